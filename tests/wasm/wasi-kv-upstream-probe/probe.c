/*
 * wasi-kv-upstream-probe: a component importing the *upstream* text of
 * `wasi:keyvalue/batch@0.2.0-draft2` (wit/ beside this file), whose
 * `get-many` returns list<option<tuple<string, list<u8>>>>: `none` for a
 * missing key.  Spin's copy of the same version returns
 * list<tuple<string, option<list<u8>>>> (the SDK's spindle_wasi_kv_get_many);
 * a host serving both must read the type the guest imports.  See README.md.
 */
#include <stdlib.h>
#include <string.h>

#include "spindle_http.h"
#include "spindle_wasi_kv.h"

/* The same core import as the SDK's, with the upstream result: ok +4 ptr, +8 count of 20-byte elements
 * (u8 option @0; key ptr @4, len @8; value ptr @12, len @16). */
__attribute__((import_module("wasi:keyvalue/batch@0.2.0-draft2"), import_name("get-many")))
void upstream_get_many(uint32_t bucket, uint32_t keys_ptr, uint32_t keys_len, uint32_t ret);

typedef struct {
    uint8_t is_some;
    uint32_t key_ptr, key_len;
    uint32_t value_ptr, value_len;
} upstream_entry;
_Static_assert(sizeof(upstream_entry) == 20 && offsetof(upstream_entry, key_ptr) == 4 &&
                   offsetof(upstream_entry, value_ptr) == 12,
               "upstream_entry must match the layout of option<tuple<string, list<u8>>>");

static void reply(spindle_http_response *res, uint16_t status, const char *text) {
    spindle_http_response_set_status(res, status);
    spindle_http_response_add_header(res, "content-type", "text/plain; charset=utf-8");
    spindle_http_response_set_body_str(res, text);
}

static void reply_error(spindle_http_response *res, spindle_wasi_kv_error *err) {
    reply(res, 200, "");
    spindle_http_response_appendf(res, "err:%u", (unsigned)err->tag);
    if (err->tag == SPINDLE_WASI_KV_ERROR_OTHER) {
        spindle_http_response_append_str(res, ":");
        spindle_http_response_append_body(res, err->message, err->message_len);
    }
    spindle_wasi_kv_error_free(err);
}

/* Splits `text` at ',' into refs pointing into it (the caller frees *out). */
static size_t split_commas(char *text, size_t len, spindle_bytes_ref **out) {
    size_t count = 1;
    for (size_t i = 0; i < len; i++) {
        count += text[i] == ',';
    }
    spindle_bytes_ref *refs = malloc(count * sizeof *refs);
    if (refs == NULL) {
        __builtin_trap();
    }
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == ',') {
            refs[n].ptr = text + start;
            refs[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    *out = refs;
    return n;
}

/* ?keys=a,b: "ok", then per key asked "\nkey:<k>=some:<v>" for a found entry or "\nnone". */
static void route_get_many(const spindle_http_request *req, spindle_http_response *res,
                           spindle_wasi_kv_bucket bucket) {
    size_t len;
    char *text = spindle_http_request_query_param(req, "keys", &len);
    if (text == NULL) {
        reply(res, 400, "bad-request:missing keys");
        return;
    }
    spindle_bytes_ref *keys;
    size_t count = split_commas(text, len, &keys);
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    upstream_get_many(bucket, SPINDLE_ADDR(keys), count, SPINDLE_ADDR(&r));
    if (spindle_cabi_tag(&r, 0, 2) == 1) {
        spindle_wasi_kv_error err = {spindle_cabi_tag(&r, 4, 3), NULL, 0};
        if (err.tag == SPINDLE_WASI_KV_ERROR_OTHER) {
            err.message_len = spindle_cabi_u32(&r, 12);
            err.message = spindle_cabi_take_bytes(spindle_cabi_u32(&r, 8), (uint32_t)err.message_len);
        }
        reply_error(res, &err);
    } else {
        uint32_t n = spindle_cabi_u32(&r, 8);
        upstream_entry *entries = SPINDLE_PTR(spindle_cabi_u32(&r, 4));
        reply(res, 200, "ok");
        for (uint32_t i = 0; i < n; i++) {
            upstream_entry *e = &entries[i];
            if (e->is_some > 1) {
                __builtin_trap();
            }
            if (e->is_some) {
                spindle_http_response_append_str(res, "\nkey:");
                spindle_http_response_append_body(res, SPINDLE_PTR(e->key_ptr), e->key_len);
                spindle_http_response_append_str(res, "=some:");
                spindle_http_response_append_body(res, SPINDLE_PTR(e->value_ptr), e->value_len);
                spindle_cabi_release(e->key_ptr, e->key_len);
                spindle_cabi_release(e->value_ptr, e->value_len);
            } else {
                spindle_http_response_append_str(res, "\nnone");
            }
        }
        spindle_cabi_release(SPINDLE_ADDR(entries), n * (uint32_t)sizeof(upstream_entry));
    }
    free(keys);
    free(text);
}

/* ?pairs=a=1,b=2 through set-many (the same type in both texts). */
static void route_set_many(const spindle_http_request *req, spindle_http_response *res,
                           spindle_wasi_kv_bucket bucket) {
    size_t len;
    char *text = spindle_http_request_query_param(req, "pairs", &len);
    if (text == NULL) {
        reply(res, 400, "bad-request:missing pairs");
        return;
    }
    spindle_bytes_ref *parts;
    size_t count = split_commas(text, len, &parts);
    spindle_wasi_kv_pair *pairs = malloc(count * sizeof *pairs);
    if (pairs == NULL) {
        __builtin_trap();
    }
    for (size_t i = 0; i < count; i++) {
        const char *s = parts[i].ptr;
        const char *eq = parts[i].len != 0 ? memchr(s, '=', parts[i].len) : NULL;
        size_t key_len = eq != NULL ? (size_t)(eq - s) : parts[i].len;
        pairs[i].key.ptr = s;
        pairs[i].key.len = key_len;
        pairs[i].value.ptr = eq != NULL ? eq + 1 : s + key_len;
        pairs[i].value.len = eq != NULL ? parts[i].len - key_len - 1 : 0;
    }
    spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
    if (spindle_wasi_kv_set_many(bucket, pairs, count, &err)) {
        reply(res, 200, "ok");
    } else {
        reply_error(res, &err);
    }
    free(pairs);
    free(parts);
    free(text);
}

void spindle_http_handle(const spindle_http_request *req, spindle_http_response *res) {
    spindle_str path;
    if (!spindle_http_request_header(req, "spin-path-info", &path)) {
        path = spindle_http_request_path(req);
    }
    bool get_many = spindle_str_eq(path, "/get-many"), set_many = spindle_str_eq(path, "/set-many");
    if (!get_many && !set_many) {
        reply(res, 404, "not-found:");
        spindle_http_response_append_body(res, path.ptr, path.len);
        return;
    }
    size_t label_len;
    char *label = spindle_http_request_query_param(req, "label", &label_len);
    spindle_wasi_kv_bucket bucket;
    spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
    if (!spindle_wasi_kv_open_n(label != NULL ? label : "default", label != NULL ? label_len : strlen("default"),
                                &bucket, &err)) {
        reply_error(res, &err);
    } else {
        if (get_many) {
            route_get_many(req, res, bucket);
        } else {
            route_set_many(req, res, bucket);
        }
        spindle_wasi_kv_close(bucket);
    }
    free(label);
}
