/*
 * kv-loop: the guest of bench/backends. A Spin 1.x HTTP core module; each request runs one batch:
 *
 *   GET /?op=get&n=N&keys=K&seed=S&prefix=P   N gets
 *   GET /?op=set&n=N&keys=K&seed=S&prefix=P   N sets of a 100-byte value
 *
 * on the store `default`, one call at a time. Key i is P followed by a 12-digit zero-padded number below K,
 * taken from a pseudo-random sequence started at S (the shape of redis-benchmark's "key:__rand_int__" with -r K).
 * Every get must find its key (the benchmark fills the key space first). Answers 200 with the number of calls
 * made, or 500 with the store's error on the first failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spindle_http.h"
#include "spindle_kv.h"

#define DIGITS 12
#define VALUE_BYTES 100
#define MAX_PREFIX 32

static uint64_t param_u64(const spindle_http_request *req, const char *name, uint64_t fallback) {
    char *text = spindle_http_request_query_param(req, name, NULL);
    if (text == NULL) {
        return fallback;
    }
    uint64_t value = strtoull(text, NULL, 10);
    free(text);
    return value;
}

static void fail(spindle_http_response *res, const char *what, uint64_t done, spindle_kv_error *err) {
    spindle_http_response_set_status(res, 500);
    spindle_http_response_appendf(res, "%s failed after %" PRIu64 " calls: %s\n", what, done,
                                  spindle_kv_error_text(err));
    spindle_kv_error_free(err);
}

void spindle_http_handle(const spindle_http_request *req, spindle_http_response *res) {
    char *op = spindle_http_request_query_param(req, "op", NULL);
    size_t prefix_len = 0;
    char *prefix = spindle_http_request_query_param(req, "prefix", &prefix_len);
    uint64_t n = param_u64(req, "n", 1);
    uint64_t keys = param_u64(req, "keys", 1);
    uint64_t state = param_u64(req, "seed", 1);
    bool set = op != NULL && strcmp(op, "set") == 0;
    if (op == NULL || (!set && strcmp(op, "get") != 0) || prefix == NULL || prefix_len > MAX_PREFIX || keys == 0) {
        spindle_http_response_set_status(res, 400);
        spindle_http_response_set_body_str(res, "use /?op=get|set&n=N&keys=K&seed=S&prefix=P\n");
        free(op);
        free(prefix);
        return;
    }

    char key[MAX_PREFIX + DIGITS + 1];
    memcpy(key, prefix, prefix_len);
    free(op);
    free(prefix);
    uint8_t value[VALUE_BYTES];
    memset(value, 'x', sizeof value);

    spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
    spindle_kv_store store;
    if (!spindle_kv_open("default", &store, &err)) {
        fail(res, "open", 0, &err);
        return;
    }

    uint64_t done = 0;
    for (; done < n; done++) {
        /* A 64-bit LCG (Knuth's MMIX constants); its high bits pick the key. */
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t k = (state >> 33) % keys;
        for (int d = DIGITS - 1; d >= 0; d--) {
            key[prefix_len + (size_t)d] = (char)('0' + k % 10);
            k /= 10;
        }
        size_t key_len = prefix_len + DIGITS;
        if (set) {
            if (!spindle_kv_set_n(store, key, key_len, value, sizeof value, &err)) {
                fail(res, "set", done, &err);
                break;
            }
        } else {
            uint8_t *got;
            size_t len;
            if (!spindle_kv_get_n(store, key, key_len, &got, &len, &err)) {
                fail(res, "get", done, &err);
                break;
            }
            free(got);
        }
    }
    spindle_kv_close(store);
    if (done == n) {
        spindle_http_response_appendf(res, "%" PRIu64 "\n", done);
    }
}
