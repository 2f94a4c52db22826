/*
 * kv-counter-component: the kv-counter example as a WebAssembly component,
 * with Spin 2's `fermyon:spin/key-value@2.0.0` (sdk/c/spindle_kv2.h) and the
 * component export of `fermyon:spin/inbound-http`.
 *
 *   GET  /          -> "count: N\n" (N = 0 while the key "count" is missing)
 *   POST /          -> increments "count" and returns the new value
 *   GET  /some/key  -> the value of key "some/key", 404 if missing
 *   PUT  /some/key  -> sets it to the request body (201 created, 200 replaced); POST does the same
 *   DELETE /some/key -> deletes it
 *
 * The path comes from the `spin-path-info` request header (the part below the
 * component's route), or from the uri when it is absent, percent-decoded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "spindle_http.h"
#include "spindle_kv2.h"

#define COUNT_KEY "count"

static void reply(spindle_http_response *res, uint16_t status, const char *text) {
    spindle_http_response_set_status(res, status);
    spindle_http_response_add_header(res, "content-type", "text/plain; charset=utf-8");
    spindle_http_response_set_body_str(res, text);
}

static void reply_store_error(spindle_http_response *res, spindle_kv2_error *err) {
    uint16_t status = err->tag == SPINDLE_KV2_ERROR_INVALID_ARGUMENT ? 400 : 500;
    reply(res, status, "error: ");
    spindle_http_response_appendf(res, "%s\n", spindle_kv2_error_text(err));
    spindle_kv2_error_free(err);
}

/* Reads "count" as ASCII decimal; a missing key is 0.  Returns false only on
 * a store error (in *err); *valid is false when the value is not a number. */
static bool read_count(spindle_kv2_store store, uint64_t *count, bool *valid, spindle_kv2_error *err) {
    bool found;
    uint8_t *digits;
    size_t len;
    *count = 0;
    *valid = true;
    if (!spindle_kv2_get(store, COUNT_KEY, &found, &digits, &len, err)) {
        return false;
    }
    if (!found) {
        return true;
    }
    *valid = len > 0 && len <= 20;
    for (size_t i = 0; *valid && i < len; i++) {
        unsigned digit = (unsigned)(digits[i] - '0');
        *valid = digit <= 9 && *count <= (UINT64_MAX - digit) / 10;
        *count = *count * 10 + digit;
    }
    free(digits);
    return true;
}

static void handle_counter(const spindle_http_request *req, spindle_http_response *res, spindle_kv2_store store) {
    if (req->method != SPINDLE_HTTP_GET && req->method != SPINDLE_HTTP_POST) {
        reply(res, 405, "use GET or POST on /\n");
        spindle_http_response_add_header(res, "allow", "GET, POST");
        return;
    }
    spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
    uint64_t count;
    bool valid;
    if (!read_count(store, &count, &valid, &err)) {
        reply_store_error(res, &err);
        return;
    }
    if (!valid) {
        reply(res, 500, "error: the value of key \"" COUNT_KEY "\" is not a decimal number\n");
        return;
    }
    if (req->method == SPINDLE_HTTP_POST) {
        if (count == UINT64_MAX) {
            reply(res, 500, "error: the counter would overflow\n");
            return;
        }
        /* Not atomic: two concurrent POSTs may both read N and both write N+1. */
        count++;
        char digits[24];
        int n = snprintf(digits, sizeof digits, "%" PRIu64, count);
        if (!spindle_kv2_set(store, COUNT_KEY, digits, (size_t)n, &err)) {
            reply_store_error(res, &err);
            return;
        }
    }
    reply(res, 200, "");
    spindle_http_response_appendf(res, "count: %" PRIu64 "\n", count);
}

static void handle_key(const spindle_http_request *req, spindle_http_response *res, spindle_kv2_store store,
                       const char *key, size_t key_len) {
    spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
    switch (req->method) {
    case SPINDLE_HTTP_GET: {
        bool found;
        uint8_t *value;
        size_t len;
        if (!spindle_kv2_get_n(store, key, key_len, &found, &value, &len, &err)) {
            reply_store_error(res, &err);
        } else if (!found) {
            reply(res, 404, "no such key\n");
        } else {
            spindle_http_response_add_header(res, "content-type", "application/octet-stream");
            spindle_http_response_set_body(res, value, len);
            free(value);
        }
        return;
    }
    case SPINDLE_HTTP_PUT:
    case SPINDLE_HTTP_POST: {
        bool existed;
        if (!spindle_kv2_exists_n(store, key, key_len, &existed, &err) ||
            !spindle_kv2_set_n(store, key, key_len, req->body, req->body_len, &err)) {
            reply_store_error(res, &err);
            return;
        }
        reply(res, existed ? 200 : 201, existed ? "updated\n" : "created\n");
        return;
    }
    case SPINDLE_HTTP_DELETE:
        if (!spindle_kv2_delete_n(store, key, key_len, &err)) {
            reply_store_error(res, &err);
            return;
        }
        reply(res, 200, "deleted\n");
        return;
    default:
        reply(res, 405, "use GET, PUT, POST or DELETE on a key\n");
        spindle_http_response_add_header(res, "allow", "GET, PUT, POST, DELETE");
        return;
    }
}

void spindle_http_handle(const spindle_http_request *req, spindle_http_response *res) {
    spindle_str path;
    if (!spindle_http_request_header(req, "spin-path-info", &path)) {
        path = spindle_http_request_path(req);
    }
    size_t key_len;
    char *key = spindle_http_decode(path, false, &key_len);
    if (key == NULL) {
        reply(res, 500, "error: out of memory\n");
        return;
    }
    /* "/some/key" is the key "some/key"; "/" and "" are the counter. */
    const char *name = key[0] == '/' ? key + 1 : key;
    size_t name_len = key[0] == '/' ? key_len - 1 : key_len;

    spindle_kv2_store store;
    spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
    if (!spindle_kv2_open("default", &store, &err)) {
        reply_store_error(res, &err);
    } else {
        if (name_len == 0) {
            handle_counter(req, res, store);
        } else {
            handle_key(req, res, store, name, name_len);
        }
        spindle_kv2_close(store); /* dropping the resource closes the store */
    }
    free(key);
}
