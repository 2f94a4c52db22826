/*
 * kv2-probe: a component for Spindle's host tests of
 * `fermyon:spin/key-value@2.0.0`.  Each route makes one kind of call (plus
 * the open/drop around it) and describes the result in the body, in a form a
 * test can compare exactly:
 *   ok | ok:<handle> | ok:some:<value bytes> | ok:none | ok:true | ok:false
 *   ok:<keys sorted, joined by \n> | err:<tag> | err:3:<other message>
 * Fault routes make an ABI violation the host must trap on.  See README.md
 * ("Expectations") for every route.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spindle_http.h"
#include "spindle_kv2.h"

/* The interface no host defines (wit/deps/spindle-test/unserved.wit): result<string, string> through a 12-byte area. */
__attribute__((import_module("spindle:test/unserved"), import_name("get")))
void unserved_get(uint32_t name_ptr, uint32_t name_len, uint32_t ret);

/* ---- replies ---------------------------------------------------------- */

static void reply(spindle_http_response *res, uint16_t status, const char *text) {
    spindle_http_response_set_status(res, status);
    spindle_http_response_add_header(res, "content-type", "text/plain; charset=utf-8");
    spindle_http_response_set_body_str(res, text);
}

static void reply_error(spindle_http_response *res, spindle_kv2_error *err) {
    reply(res, 200, "");
    spindle_http_response_appendf(res, "err:%u", (unsigned)err->tag);
    if (err->tag == SPINDLE_KV2_ERROR_OTHER) {
        spindle_http_response_append_str(res, ":");
        spindle_http_response_append_body(res, err->message, err->message_len);
    }
    spindle_kv2_error_free(err);
}

/* ---- query parameters ------------------------------------------------- */

typedef struct {
    const spindle_http_request *req;
    spindle_http_response *res;
    const char *label; /* ?label=, or "default" */
    size_t label_len;
} probe;

static char *need_text(probe *p, const char *name, size_t *len) {
    char *value = spindle_http_request_query_param(p->req, name, len);
    if (value == NULL) {
        reply(p->res, 400, "bad-request:missing ");
        spindle_http_response_append_str(p->res, name);
    }
    return value;
}

static bool need_u32(probe *p, const char *name, uint32_t *out) {
    size_t len;
    char *text = need_text(p, name, &len);
    if (text == NULL) {
        return false;
    }
    uint64_t value = 0;
    bool ok = len > 0 && len <= 10;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned digit = (unsigned)(text[i] - '0');
        ok = digit <= 9;
        value = value * 10 + digit;
    }
    ok = ok && value <= UINT32_MAX;
    free(text);
    if (!ok) {
        reply(p->res, 400, "bad-request:not a u32: ");
        spindle_http_response_append_str(p->res, name);
        return false;
    }
    *out = (uint32_t)value;
    return true;
}

static bool open_store(probe *p, spindle_kv2_store *store) {
    spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
    if (!spindle_kv2_open_n(p->label, p->label_len, store, &err)) {
        reply_error(p->res, &err);
        return false;
    }
    return true;
}

/* ---- routes ------------------------------------------------------------ */

static void route_open(probe *p) {
    spindle_kv2_store store;
    if (open_store(p, &store)) { /* not dropped on purpose: the instance's end must release it */
        reply(p->res, 200, "");
        spindle_http_response_appendf(p->res, "ok:%" PRIu32, store);
    }
}

static void reply_get(probe *p, spindle_kv2_store store, const char *key, size_t key_len) {
    spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
    bool found;
    uint8_t *value;
    size_t len;
    if (!spindle_kv2_get_n(store, key, key_len, &found, &value, &len, &err)) {
        reply_error(p->res, &err);
    } else if (found) {
        reply(p->res, 200, "ok:some:");
        spindle_http_response_append_body(p->res, value, len);
        free(value);
    } else {
        reply(p->res, 200, "ok:none");
    }
}

typedef enum { OP_GET, OP_SET, OP_DELETE, OP_EXISTS } key_op;

static void route_key_op(probe *p, key_op op) {
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
        bool ok = true, flag = false;
        switch (op) {
        case OP_GET:
            reply_get(p, store, key, key_len);
            break;
        case OP_SET:
            ok = spindle_kv2_set_n(store, key, key_len, p->req->body, p->req->body_len, &err);
            break;
        case OP_DELETE:
            ok = spindle_kv2_delete_n(store, key, key_len, &err);
            break;
        case OP_EXISTS:
            ok = spindle_kv2_exists_n(store, key, key_len, &flag, &err);
            break;
        }
        if (!ok) {
            reply_error(p->res, &err);
        } else if (op == OP_EXISTS) {
            reply(p->res, 200, flag ? "ok:true" : "ok:false");
        } else if (op != OP_GET) {
            reply(p->res, 200, "ok");
        }
        spindle_kv2_close(store);
    }
    free(key);
}

static int compare_strings(const void *a, const void *b) {
    const spindle_string *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n == 0 ? 0 : memcmp(x->data, y->data, n);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void route_keys(probe *p) {
    spindle_kv2_store store;
    if (!open_store(p, &store)) {
        return;
    }
    spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
    spindle_strings keys;
    if (spindle_kv2_get_keys(store, &keys, &err)) {
        if (keys.count > 1) {
            qsort(keys.items, keys.count, sizeof keys.items[0], compare_strings);
        }
        reply(p->res, 200, "ok:");
        for (size_t i = 0; i < keys.count; i++) {
            if (i != 0) {
                spindle_http_response_append_str(p->res, "\n");
            }
            spindle_http_response_append_body(p->res, keys.items[i].data, keys.items[i].len);
        }
        spindle_strings_free(&keys);
    } else {
        reply_error(p->res, &err);
    }
    spindle_kv2_close(store);
}

/* N opens; with `drop`, each store is dropped right away, else none is. */
static void route_open_many(probe *p, bool drop) {
    uint32_t count;
    if (!need_u32(p, "count", &count)) {
        return;
    }
    for (uint32_t opened = 0; opened < count; opened++) {
        spindle_kv2_store store;
        spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
        if (!spindle_kv2_open_n(p->label, p->label_len, &store, &err)) {
            reply_error(p->res, &err);
            spindle_http_response_appendf(p->res, " after %" PRIu32, opened);
            return;
        }
        if (drop) {
            spindle_kv2_close(store);
        }
    }
    reply(p->res, 200, "ok");
}

/* The value of /set-big: byte i is i % 251, so a shifted or truncated copy shows. */
static uint8_t pattern(size_t i) {
    return (uint8_t)(i % 251);
}

static void route_set_big(probe *p) {
    uint32_t size;
    size_t key_len;
    if (!need_u32(p, "size", &size)) {
        return;
    }
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    uint8_t *value = malloc(size != 0 ? size : 1);
    spindle_kv2_store store;
    if (value == NULL) {
        reply(p->res, 500, "oom");
    } else if (open_store(p, &store)) {
        for (size_t i = 0; i < size; i++) {
            value[i] = pattern(i);
        }
        spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
        if (spindle_kv2_set_n(store, key, key_len, value, size, &err)) {
            reply(p->res, 200, "ok");
        } else {
            reply_error(p->res, &err);
        }
        spindle_kv2_close(store);
    }
    free(value);
    free(key);
}

static void route_get_big(probe *p) {
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
        bool found;
        uint8_t *value;
        size_t len;
        if (!spindle_kv2_get_n(store, key, key_len, &found, &value, &len, &err)) {
            reply_error(p->res, &err);
        } else if (!found) {
            reply(p->res, 200, "ok:none");
        } else {
            size_t i = 0;
            while (i < len && value[i] == pattern(i)) {
                i++;
            }
            reply(p->res, 200, "");
            if (i == len) {
                spindle_http_response_appendf(p->res, "ok:%zu:pattern", len);
            } else {
                spindle_http_response_appendf(p->res, "ok:%zu:differs at %zu", len, i);
            }
            free(value);
        }
        spindle_kv2_close(store);
    }
    free(key);
}

/* ---- routes that break the ABI on purpose ------------------------------ */

/* Describes a raw result area: "ok" or "err:<tag>" (messages are not read). */
static void reply_raw_result(probe *p, const uint8_t *area) {
    reply(p->res, 200, "");
    if (area[0] == 0) {
        spindle_http_response_append_str(p->res, "ok");
    } else {
        spindle_http_response_appendf(p->res, "err:%u", (unsigned)area[4]);
    }
}

/* open, drop, then a get on the dropped handle: the host must trap. */
static void route_dropped(probe *p) {
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        spindle_kv2_close(store);
        _Alignas(4) uint8_t area[16] = {0};
        spindle_kv2_raw_get(store, SPINDLE_ADDR("k"), 1, SPINDLE_ADDR(area));
        reply_raw_result(p, area); /* reached only if the host did not trap */
    }
}

/* open, drop, drop again: the host must trap. */
static void route_dropped_twice(probe *p) {
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        spindle_kv2_close(store);
        spindle_kv2_raw_drop(store);
        reply(p->res, 200, "ok"); /* reached only if the host did not trap */
    }
}

/* get on handle H, never handed out: the host must trap. */
static void route_forged(probe *p) {
    uint32_t handle;
    if (need_u32(p, "handle", &handle)) {
        _Alignas(4) uint8_t area[16] = {0};
        spindle_kv2_raw_get(handle, SPINDLE_ADDR("k"), 1, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

/* get with a key pointer past the end of memory: the host must trap. */
static void route_oob(probe *p) {
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        _Alignas(4) uint8_t area[16] = {0};
        spindle_kv2_raw_get(store, 0xFFFFFF00u, 64, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

/* set with a value length that runs past the end of memory: the host must trap. */
static void route_oob_len(probe *p) {
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        _Alignas(4) uint8_t area[16] = {0};
        static const char value[1] = {'x'};
        spindle_kv2_raw_set(store, SPINDLE_ADDR("k"), 1, SPINDLE_ADDR(value), 0x7FFFFFFFu, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

/* get with the return area past the end of memory: the host must trap when it writes the result. */
static void route_oob_ret(probe *p) {
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        spindle_kv2_raw_get(store, SPINDLE_ADDR("k"), 1, 0xFFFFFFF0u);
        reply(p->res, 200, "ok");
    }
}

/* set of key bytes FF FE (not UTF-8): the host must trap. */
static void route_badutf8(probe *p) {
    spindle_kv2_store store;
    if (open_store(p, &store)) {
        static const char key[2] = {'\xff', '\xfe'};
        static const char value[1] = {'x'};
        _Alignas(4) uint8_t area[16] = {0};
        spindle_kv2_raw_set(store, SPINDLE_ADDR(key), sizeof key, SPINDLE_ADDR(value), sizeof value,
                            SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

/* Calls the import no host defines: the host's stub must trap. */
static void route_unknown_import(probe *p) {
    _Alignas(4) uint8_t area[12] = {0};
    unserved_get(SPINDLE_ADDR("name"), 4, SPINDLE_ADDR(area));
    reply(p->res, 200, area[0] == 0 ? "ok" : "err"); /* reached only if the host did not trap */
}

static void route_echo(probe *p) {
    const spindle_http_request *req = p->req;
    reply(p->res, 200, spindle_http_method_name(req->method));
    spindle_http_response_append_str(p->res, "\n");
    spindle_http_response_append_body(p->res, req->uri.ptr, req->uri.len);
    spindle_http_response_append_str(p->res, "\n");
    for (size_t i = 0; i < req->header_count; i++) {
        const spindle_http_header *h = &req->headers[i];
        spindle_http_response_append_body(p->res, h->name.ptr, h->name.len);
        spindle_http_response_append_str(p->res, ": ");
        spindle_http_response_append_body(p->res, h->value.ptr, h->value.len);
        spindle_http_response_append_str(p->res, "\n");
    }
    if (req->has_body) {
        spindle_http_response_appendf(p->res, "body: %zu bytes\n", req->body_len);
    }
}

/* ---- dispatch --------------------------------------------------------- */

void spindle_http_handle(const spindle_http_request *req, spindle_http_response *res) {
    spindle_str path;
    if (!spindle_http_request_header(req, "spin-path-info", &path)) {
        path = spindle_http_request_path(req);
    }
    probe p = {.req = req, .res = res};
    char *label = spindle_http_request_query_param(req, "label", &p.label_len);
    p.label = label;
    if (label == NULL) {
        p.label = "default";
        p.label_len = strlen("default");
    }

    if (spindle_str_eq(path, "/open")) route_open(&p);
    else if (spindle_str_eq(path, "/get")) route_key_op(&p, OP_GET);
    else if (spindle_str_eq(path, "/set")) route_key_op(&p, OP_SET);
    else if (spindle_str_eq(path, "/delete")) route_key_op(&p, OP_DELETE);
    else if (spindle_str_eq(path, "/exists")) route_key_op(&p, OP_EXISTS);
    else if (spindle_str_eq(path, "/keys")) route_keys(&p);
    else if (spindle_str_eq(path, "/open-many")) route_open_many(&p, false);
    else if (spindle_str_eq(path, "/open-drop-many")) route_open_many(&p, true);
    else if (spindle_str_eq(path, "/set-big")) route_set_big(&p);
    else if (spindle_str_eq(path, "/get-big")) route_get_big(&p);
    else if (spindle_str_eq(path, "/dropped")) route_dropped(&p);
    else if (spindle_str_eq(path, "/dropped-twice")) route_dropped_twice(&p);
    else if (spindle_str_eq(path, "/forged")) route_forged(&p);
    else if (spindle_str_eq(path, "/oob")) route_oob(&p);
    else if (spindle_str_eq(path, "/oob-len")) route_oob_len(&p);
    else if (spindle_str_eq(path, "/oob-ret")) route_oob_ret(&p);
    else if (spindle_str_eq(path, "/badutf8")) route_badutf8(&p);
    else if (spindle_str_eq(path, "/unknown-import")) route_unknown_import(&p);
    else if (spindle_str_eq(path, "/trap")) __builtin_trap();
    else if (spindle_str_eq(path, "/echo")) route_echo(&p);
    else {
        reply(res, 404, "not-found:");
        spindle_http_response_append_body(res, path.ptr, path.len);
    }
    free(label);
}
