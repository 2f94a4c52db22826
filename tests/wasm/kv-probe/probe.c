/*
 * kv-probe: a guest for Spindle's host tests.  Each route makes one
 * key-value call (plus the open/close around it) and describes the result in
 * the body, in a form a test can compare exactly:
 *   ok | ok:<value bytes> | ok:true | ok:false | ok:<keys sorted, joined by \n>
 *   err:<tag> | err:5:<io message>
 * See README.md ("Expectations") for every route.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spindle_http.h"
#include "spindle_kv.h"

#define ADDR(p) ((uint32_t)(uintptr_t)(p))

/* ---- replies ---------------------------------------------------------- */

static void reply(spindle_http_response *res, uint16_t status, const char *text) {
    spindle_http_response_set_status(res, status);
    spindle_http_response_add_header(res, "content-type", "text/plain; charset=utf-8");
    spindle_http_response_set_body_str(res, text);
}

/* Appends "err:<tag>" or "err:5:<message>" and frees the error. */
static void append_error(spindle_http_response *res, spindle_kv_error *err) {
    spindle_http_response_appendf(res, "err:%u", (unsigned)err->tag);
    if (err->tag == SPINDLE_KV_ERROR_IO) {
        spindle_http_response_append_str(res, ":");
        spindle_http_response_append_body(res, err->message, err->message_len);
    }
    spindle_kv_error_free(err);
}

static void reply_error(spindle_http_response *res, spindle_kv_error *err) {
    reply(res, 200, "");
    append_error(res, err);
}

static void reply_ok_bytes(spindle_http_response *res, const void *data, size_t len) {
    reply(res, 200, "ok:");
    spindle_http_response_append_body(res, data, len);
}

/* ---- query parameters ------------------------------------------------- */

typedef struct {
    const spindle_http_request *req;
    spindle_http_response *res;
    const char *label; /* ?label=, or "default" */
    size_t label_len;
} probe;

/* A required text parameter; on absence answers 400 and returns NULL. */
static char *need_text(probe *p, const char *name, size_t *len) {
    char *value = spindle_http_request_query_param(p->req, name, len);
    if (value == NULL) {
        reply(p->res, 400, "bad-request:missing ");
        spindle_http_response_append_str(p->res, name);
    }
    return value;
}

/* A required unsigned 32-bit decimal parameter; on failure answers 400. */
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

/* Opens ?label= (default "default"); on failure answers the error. */
static bool open_store(probe *p, spindle_kv_store *store) {
    spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
    if (!spindle_kv_open_n(p->label, p->label_len, store, &err)) {
        reply_error(p->res, &err);
        return false;
    }
    return true;
}

/* ---- routes: one import call each ------------------------------------- */

static void route_open(probe *p) {
    spindle_kv_store store;
    if (open_store(p, &store)) { /* left open on purpose */
        reply(p->res, 200, "");
        spindle_http_response_appendf(p->res, "ok:%" PRIu32, store);
    }
}

/* Answers the result of a get on `store`. */
static void reply_get(probe *p, spindle_kv_store store, const char *key, size_t key_len) {
    spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
    uint8_t *value;
    size_t len;
    if (spindle_kv_get_n(store, key, key_len, &value, &len, &err)) {
        reply_ok_bytes(p->res, value, len);
        free(value);
    } else {
        reply_error(p->res, &err);
    }
}

typedef enum { OP_GET, OP_SET, OP_DELETE, OP_EXISTS } key_op;

/* open, one call on ?key=, close. */
static void route_key_op(probe *p, key_op op) {
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    spindle_kv_store store;
    if (open_store(p, &store)) {
        spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
        bool ok = true, flag = false;
        switch (op) {
        case OP_GET:
            reply_get(p, store, key, key_len);
            break;
        case OP_SET:
            ok = spindle_kv_set_n(store, key, key_len, p->req->body, p->req->body_len, &err);
            break;
        case OP_DELETE:
            ok = spindle_kv_delete_n(store, key, key_len, &err);
            break;
        case OP_EXISTS:
            ok = spindle_kv_exists_n(store, key, key_len, &flag, &err);
            break;
        }
        if (!ok) {
            reply_error(p->res, &err);
        } else if (op == OP_EXISTS) {
            reply(p->res, 200, flag ? "ok:true" : "ok:false");
        } else if (op != OP_GET) {
            reply(p->res, 200, "ok");
        }
        spindle_kv_close(store);
    }
    free(key);
}

static int compare_keys(const void *a, const void *b) {
    const spindle_kv_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n == 0 ? 0 : memcmp(x->data, y->data, n);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void route_keys(probe *p) {
    spindle_kv_store store;
    if (!open_store(p, &store)) {
        return;
    }
    spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
    spindle_kv_keys keys;
    if (spindle_kv_get_keys(store, &keys, &err)) {
        if (keys.count > 1) {
            qsort(keys.items, keys.count, sizeof keys.items[0], compare_keys);
        }
        reply(p->res, 200, "ok:");
        for (size_t i = 0; i < keys.count; i++) {
            if (i != 0) {
                spindle_http_response_append_str(p->res, "\n");
            }
            spindle_http_response_append_body(p->res, keys.items[i].data, keys.items[i].len);
        }
        spindle_kv_keys_free(&keys);
    } else {
        reply_error(p->res, &err);
    }
    spindle_kv_close(store);
}

static void route_open_many(probe *p) {
    uint32_t count;
    if (!need_u32(p, "count", &count)) {
        return;
    }
    for (uint32_t opened = 0; opened < count; opened++) {
        spindle_kv_store store;
        spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
        if (!spindle_kv_open_n(p->label, p->label_len, &store, &err)) {
            reply_error(p->res, &err);
            spindle_http_response_appendf(p->res, " after %" PRIu32, opened);
            return;
        }
    }
    reply(p->res, 200, "ok");
}

static void route_closed(probe *p) {
    size_t key_len;
    char *key = spindle_http_request_query_param(p->req, "key", &key_len);
    spindle_kv_store store;
    if (open_store(p, &store)) {
        spindle_kv_close(store);
        if (key != NULL) {
            reply_get(p, store, key, key_len);
        } else {
            reply_get(p, store, "closed-probe", strlen("closed-probe"));
        }
    }
    free(key);
}

static void route_forged(probe *p) {
    uint32_t handle;
    if (!need_u32(p, "handle", &handle)) {
        return;
    }
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key != NULL) {
        reply_get(p, handle, key, key_len);
        free(key);
    }
}

static void route_close_unknown(probe *p) {
    uint32_t handle;
    if (need_u32(p, "handle", &handle)) {
        spindle_kv_close(handle);
        reply(p->res, 200, "ok");
    }
}

/* ---- routes that break the guest on purpose --------------------------- */

static volatile uint32_t loop_counter;

__attribute__((noreturn)) static void route_loop(void) {
    for (;;) {
        loop_counter++; /* volatile: the loop cannot be optimized away */
    }
}

static void *volatile membomb_chain;

__attribute__((noreturn)) static void route_membomb(void) {
    const size_t chunk_size = 1u << 20;
    for (;;) {
        void **chunk = malloc(chunk_size);
        if (chunk == NULL) {
            __builtin_trap();
        }
        memset(chunk, 0xA5, chunk_size); /* touch every page */
        *chunk = membomb_chain;          /* keep it reachable so nothing is elided */
        membomb_chain = chunk;
    }
}

/* Describes a raw result area: "ok" or "err:<tag>" (io messages are not read). */
static void reply_raw_result(probe *p, const uint8_t *area) {
    reply(p->res, 200, "");
    if (area[0] == 0) {
        spindle_http_response_append_str(p->res, "ok");
    } else {
        spindle_http_response_appendf(p->res, "err:%u", (unsigned)area[4]);
    }
}

static void route_oob(probe *p) {
    spindle_kv_store store;
    if (!open_store(p, &store)) {
        return;
    }
    /* A valid handle, so the only thing wrong is the key pointer. */
    _Alignas(4) uint8_t area[16] = {0};
    spindle_kv_raw_get(store, 0xFFFFFF00u, 64, ADDR(area));
    reply_raw_result(p, area); /* reached only if the host did not trap */
}

static void route_badutf8(probe *p) {
    spindle_kv_store store;
    if (!open_store(p, &store)) {
        return;
    }
    static const char key[2] = {'\xff', '\xfe'};
    static const char value[1] = {'x'};
    _Alignas(4) uint8_t area[16] = {0};
    spindle_kv_raw_set(store, ADDR(key), sizeof key, ADDR(value), sizeof value, ADDR(area));
    reply_raw_result(p, area); /* reached only if the host did not trap */
}

static void route_big(probe *p) {
    uint32_t size;
    if (!need_u32(p, "size", &size)) {
        return;
    }
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    char *value = malloc(size != 0 ? size : 1);
    spindle_kv_store store;
    if (value == NULL) {
        reply(p->res, 500, "oom");
    } else if (open_store(p, &store)) {
        memset(value, 'x', size);
        spindle_kv_error err = SPINDLE_KV_ERROR_INIT;
        if (spindle_kv_set_n(store, key, key_len, value, size, &err)) {
            reply(p->res, 200, "ok");
        } else {
            reply_error(p->res, &err);
        }
        spindle_kv_close(store);
    }
    free(value);
    free(key);
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
}

static void route_status(probe *p) {
    uint32_t code;
    if (need_u32(p, "code", &code)) {
        reply(p->res, (uint16_t)code, "ok");
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
    else if (spindle_str_eq(path, "/open-many")) route_open_many(&p);
    else if (spindle_str_eq(path, "/closed")) route_closed(&p);
    else if (spindle_str_eq(path, "/forged")) route_forged(&p);
    else if (spindle_str_eq(path, "/close-unknown")) route_close_unknown(&p);
    else if (spindle_str_eq(path, "/trap")) __builtin_trap();
    else if (spindle_str_eq(path, "/loop")) route_loop();
    else if (spindle_str_eq(path, "/membomb")) route_membomb();
    else if (spindle_str_eq(path, "/oob")) route_oob(&p);
    else if (spindle_str_eq(path, "/badutf8")) route_badutf8(&p);
    else if (spindle_str_eq(path, "/big")) route_big(&p);
    else if (spindle_str_eq(path, "/echo")) route_echo(&p);
    else if (spindle_str_eq(path, "/status")) route_status(&p);
    else {
        reply(res, 404, "not-found:");
        spindle_http_response_append_body(res, path.ptr, path.len);
    }
    free(label);
}
