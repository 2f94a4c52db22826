/*
 * get-loop: the guest side of Spindle's get benchmarks (bench/Spindle.Benchmarks/ComponentGetBenchmarks.cs).
 * One source, two builds: a Spin 1.x core module over the `key-value` imports (exported as `get_n`), and a
 * component over fermyon:spin/key-value@2.0.0 (exported as spindle:test/bench#get-n). Both open `default`,
 * get the same key n times through the C SDK (which takes over and frees each value) and return the bytes read,
 * so the two differ only in the ABI underneath.
 */
#include <stdint.h>
#include <stdlib.h>

#include "spindle_http.h"

#ifdef SPINDLE_HTTP_COMPONENT
#include "spindle_kv2.h"
#else
#include "spindle_kv.h"
#endif

static const char *const keys[] = {"small", "big"};

static uint64_t get_n(uint32_t which, uint32_t n) {
    const char *key = keys[which & 1];
    uint64_t total = 0;
#ifdef SPINDLE_HTTP_COMPONENT
    spindle_kv2_store store;
    spindle_kv2_error err;
    if (!spindle_kv2_open("default", &store, &err)) {
        __builtin_trap();
    }
    for (uint32_t i = 0; i < n; i++) {
        bool found;
        uint8_t *value;
        size_t len;
        if (!spindle_kv2_get(store, key, &found, &value, &len, &err) || !found) {
            __builtin_trap();
        }
        total += len;
        free(value);
    }
    spindle_kv2_close(store);
#else
    spindle_kv_store store;
    spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
    if (!spindle_kv_open("default", &store, &err)) {
        __builtin_trap();
    }
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *value;
        size_t len;
        if (!spindle_kv_get(store, key, &value, &len, &err)) {
            __builtin_trap();
        }
        total += len;
        free(value);
    }
    spindle_kv_close(store);
#endif
    return total;
}

#ifdef SPINDLE_HTTP_COMPONENT
__attribute__((export_name("spindle:test/bench#get-n")))
#else
__attribute__((export_name("get_n")))
#endif
uint64_t bench_get_n(uint32_t which, uint32_t n) {
    return get_n(which, n);
}

/* Not benchmarked: the HTTP export the SDK requires, answering how many bytes `small` has. */
void spindle_http_handle(const spindle_http_request *req, spindle_http_response *res) {
    (void)req;
    spindle_http_response_set_status(res, get_n(0, 1) > 0 ? 200 : 500);
}
