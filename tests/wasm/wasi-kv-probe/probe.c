/*
 * wasi-kv-probe: a component for Spindle's host tests of
 * `wasi:keyvalue@0.2.0-draft2` (store, atomics, batch).  Each route makes one
 * kind of call (plus the open/drop around it) and describes the result in the
 * body, in a form a test can compare exactly.  Fault routes make an ABI
 * violation the host must trap on.  See README.md ("Expectations").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spindle_http.h"
#include "spindle_wasi_kv.h"

/* The interface no host defines (wit/deps/spindle-test/unserved.wit). */
__attribute__((import_module("spindle:test/unserved"), import_name("get")))
void unserved_get(uint32_t name_ptr, uint32_t name_len, uint32_t ret);

/* Bounds /list-all, in case a host's cursor never ends. */
#define MAX_PAGES 100000u
/* Bounds /cas-inc's retries. */
#define MAX_TRIES 1000u

/* ---- replies ---------------------------------------------------------- */

static void reply(spindle_http_response *res, uint16_t status, const char *text) {
    spindle_http_response_set_status(res, status);
    spindle_http_response_add_header(res, "content-type", "text/plain; charset=utf-8");
    spindle_http_response_set_body_str(res, text);
}

/* "err:<tag>", "err:2:<message>" or "err:cas-failed"; frees the error. */
static void reply_error(spindle_http_response *res, spindle_wasi_kv_error *err) {
    reply(res, 200, "");
    if (err->tag == SPINDLE_WASI_KV_ERROR_CAS_FAILED) {
        spindle_http_response_append_str(res, "err:cas-failed");
    } else {
        spindle_http_response_appendf(res, "err:%u", (unsigned)err->tag);
    }
    if (err->tag == SPINDLE_WASI_KV_ERROR_OTHER) {
        spindle_http_response_append_str(res, ":");
        spindle_http_response_append_body(res, err->message, err->message_len);
    }
    spindle_wasi_kv_error_free(err);
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

static bool bad_number(probe *p, const char *name, const char *what) {
    reply(p->res, 400, "bad-request:not ");
    spindle_http_response_appendf(p->res, "%s: %s", what, name);
    return false;
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
    free(text);
    if (!ok || value > UINT32_MAX) {
        return bad_number(p, name, "a u32");
    }
    *out = (uint32_t)value;
    return true;
}

/* An optional signed 64-bit decimal parameter (`fallback` when absent). */
static bool opt_s64(probe *p, const char *name, int64_t fallback, int64_t *out) {
    size_t len;
    char *text = spindle_http_request_query_param(p->req, name, &len);
    if (text == NULL) {
        *out = fallback;
        return true;
    }
    bool negative = len > 0 && text[0] == '-';
    size_t start = negative ? 1 : 0;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, value = 0;
    bool ok = len > start;
    for (size_t i = start; ok && i < len; i++) {
        unsigned digit = (unsigned)(text[i] - '0');
        ok = digit <= 9 && value <= (limit - digit) / 10;
        value = value * 10 + digit;
    }
    free(text);
    if (!ok) {
        return bad_number(p, name, "an s64");
    }
    *out = negative ? (int64_t)(0 - value) : (int64_t)value;
    return true;
}

static bool open_bucket(probe *p, spindle_wasi_kv_bucket *bucket) {
    spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
    if (!spindle_wasi_kv_open_n(p->label, p->label_len, bucket, &err)) {
        reply_error(p->res, &err);
        return false;
    }
    return true;
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

/* ---- store routes ------------------------------------------------------- */

static void route_open(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) { /* not dropped on purpose */
        reply(p->res, 200, "");
        spindle_http_response_appendf(p->res, "ok:%" PRIu32, bucket);
    }
}

static void reply_value(probe *p, bool found, uint8_t *value, size_t len) {
    if (found) {
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
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        bool ok = true, flag = false, found = false;
        uint8_t *value = NULL;
        size_t len = 0;
        switch (op) {
        case OP_GET:
            ok = spindle_wasi_kv_get_n(bucket, key, key_len, &found, &value, &len, &err);
            break;
        case OP_SET:
            ok = spindle_wasi_kv_set_n(bucket, key, key_len, p->req->body, p->req->body_len, &err);
            break;
        case OP_DELETE:
            ok = spindle_wasi_kv_delete_n(bucket, key, key_len, &err);
            break;
        case OP_EXISTS:
            ok = spindle_wasi_kv_exists_n(bucket, key, key_len, &flag, &err);
            break;
        }
        if (!ok) {
            reply_error(p->res, &err);
        } else if (op == OP_GET) {
            reply_value(p, found, value, len);
        } else if (op == OP_EXISTS) {
            reply(p->res, 200, flag ? "ok:true" : "ok:false");
        } else {
            reply(p->res, 200, "ok");
        }
        spindle_wasi_kv_close(bucket);
    }
    free(key);
}

/* One page: "ok", a "key:<k>" line per key in the host's order, then "cursor:<c>" or "end". */
static void route_list_keys(probe *p) {
    size_t cursor_len = 0;
    char *cursor = spindle_http_request_query_param(p->req, "cursor", &cursor_len);
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        spindle_wasi_kv_page page;
        if (spindle_wasi_kv_list_keys(bucket, cursor, cursor_len, &page, &err)) {
            reply(p->res, 200, "ok\n");
            for (size_t i = 0; i < page.keys.count; i++) {
                spindle_http_response_append_str(p->res, "key:");
                spindle_http_response_append_body(p->res, page.keys.items[i].data, page.keys.items[i].len);
                spindle_http_response_append_str(p->res, "\n");
            }
            if (page.has_cursor) {
                spindle_http_response_append_str(p->res, "cursor:");
                spindle_http_response_append_body(p->res, page.cursor.data, page.cursor.len);
            } else {
                spindle_http_response_append_str(p->res, "end");
            }
            spindle_wasi_kv_page_free(&page);
        } else {
            reply_error(p->res, &err);
        }
        spindle_wasi_kv_close(bucket);
    }
    free(cursor);
}

static int compare_strings(const void *a, const void *b) {
    const spindle_string *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n == 0 ? 0 : memcmp(x->data, y->data, n);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Pages through every key from no cursor to the end:
 * "ok:pages=<P> keys=<N> distinct=<D>" then one line per distinct key, sorted. */
static void route_list_all(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (!open_bucket(p, &bucket)) {
        return;
    }
    spindle_strings all = {NULL, 0};
    size_t cap = 0;
    uint32_t pages = 0;
    char *cursor = NULL;
    size_t cursor_len = 0;
    bool done = false;
    while (!done) {
        if (pages == MAX_PAGES) {
            reply(p->res, 200, "");
            spindle_http_response_appendf(p->res, "err:more than %u pages", MAX_PAGES);
            goto out;
        }
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        spindle_wasi_kv_page page;
        if (!spindle_wasi_kv_list_keys(bucket, cursor, cursor_len, &page, &err)) {
            reply_error(p->res, &err);
            spindle_http_response_appendf(p->res, " after %" PRIu32 " pages", pages);
            goto out;
        }
        pages++;
        if (all.count + page.keys.count > cap) {
            cap = (all.count + page.keys.count) * 2;
            spindle_string *grown = realloc(all.items, cap * sizeof *grown);
            if (grown == NULL) {
                __builtin_trap();
            }
            all.items = grown;
        }
        /* move the page's strings over; only the page's array is freed */
        memcpy(all.items + all.count, page.keys.items, page.keys.count * sizeof *page.keys.items);
        all.count += page.keys.count;
        free(page.keys.items);
        free(cursor);
        done = !page.has_cursor;
        cursor = page.cursor.data;
        cursor_len = page.cursor.len;
    }
    if (all.count > 1) {
        qsort(all.items, all.count, sizeof all.items[0], compare_strings);
    }
    size_t distinct = 0;
    for (size_t i = 0; i < all.count; i++) {
        distinct += i == 0 || compare_strings(&all.items[i - 1], &all.items[i]) != 0;
    }
    reply(p->res, 200, "");
    spindle_http_response_appendf(p->res, "ok:pages=%" PRIu32 " keys=%zu distinct=%zu", pages, all.count, distinct);
    for (size_t i = 0; i < all.count; i++) {
        if (i == 0 || compare_strings(&all.items[i - 1], &all.items[i]) != 0) {
            spindle_http_response_append_str(p->res, "\n");
            spindle_http_response_append_body(p->res, all.items[i].data, all.items[i].len);
        }
    }
out:
    free(cursor);
    spindle_strings_free(&all);
    spindle_wasi_kv_close(bucket);
}

static void route_open_many(probe *p, bool drop) {
    uint32_t count;
    if (!need_u32(p, "count", &count)) {
        return;
    }
    for (uint32_t opened = 0; opened < count; opened++) {
        spindle_wasi_kv_bucket bucket;
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        if (!spindle_wasi_kv_open_n(p->label, p->label_len, &bucket, &err)) {
            reply_error(p->res, &err);
            spindle_http_response_appendf(p->res, " after %" PRIu32, opened);
            return;
        }
        if (drop) {
            spindle_wasi_kv_close(bucket);
        }
    }
    reply(p->res, 200, "ok");
}

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
    spindle_wasi_kv_bucket bucket;
    if (value == NULL) {
        reply(p->res, 500, "oom");
    } else if (open_bucket(p, &bucket)) {
        for (size_t i = 0; i < size; i++) {
            value[i] = pattern(i);
        }
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        if (spindle_wasi_kv_set_n(bucket, key, key_len, value, size, &err)) {
            reply(p->res, 200, "ok");
        } else {
            reply_error(p->res, &err);
        }
        spindle_wasi_kv_close(bucket);
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
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        bool found;
        uint8_t *value;
        size_t len;
        if (!spindle_wasi_kv_get_n(bucket, key, key_len, &found, &value, &len, &err)) {
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
        spindle_wasi_kv_close(bucket);
    }
    free(key);
}

/* ---- atomics routes ----------------------------------------------------- */

static void route_increment(probe *p) {
    int64_t delta;
    size_t key_len;
    if (!opt_s64(p, "delta", 1, &delta)) {
        return;
    }
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        int64_t value;
        if (spindle_wasi_kv_increment_n(bucket, key, key_len, delta, &value, &err)) {
            reply(p->res, 200, "");
            spindle_http_response_appendf(p->res, "ok:%" PRId64, value);
        } else {
            reply_error(p->res, &err);
        }
        spindle_wasi_kv_close(bucket);
    }
    free(key);
}

/* cas.new then current; the cas handle is dropped. */
static void route_cas_current(probe *p) {
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        spindle_wasi_kv_cas cas;
        bool found;
        uint8_t *value;
        size_t len;
        if (!spindle_wasi_kv_cas_new_n(bucket, key, key_len, &cas, &err)) {
            reply_error(p->res, &err);
        } else {
            if (spindle_wasi_kv_cas_current(cas, &found, &value, &len, &err)) {
                reply_value(p, found, value, len);
            } else {
                reply_error(p->res, &err);
            }
            spindle_wasi_kv_cas_drop(cas);
        }
        spindle_wasi_kv_close(bucket);
    }
    free(key);
}

/* cas.new, then (with `conflict`) a plain set of the key to "conflict", then swap to the request body. */
static void route_cas_swap(probe *p, bool conflict) {
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        spindle_wasi_kv_cas cas;
        if (!spindle_wasi_kv_cas_new_n(bucket, key, key_len, &cas, &err)) {
            reply_error(p->res, &err);
        } else if (conflict && !spindle_wasi_kv_set_n(bucket, key, key_len, "conflict", 8, &err)) {
            reply_error(p->res, &err);
            spindle_wasi_kv_cas_drop(cas);
        } else if (spindle_wasi_kv_swap(cas, p->req->body, p->req->body_len, NULL, &err)) {
            reply(p->res, 200, "ok");
        } else {
            reply_error(p->res, &err); /* a cas-failed handle was dropped by the SDK (retry = NULL) */
        }
        spindle_wasi_kv_close(bucket);
    }
    free(key);
}

/* Adds 1 to the key's decimal value with cas.new/current/swap, retrying on cas-failed with a fresh cas:
 * "ok:<new value> tries=<n>". */
static void route_cas_inc(probe *p) {
    size_t key_len;
    char *key = need_text(p, "key", &key_len);
    if (key == NULL) {
        return;
    }
    spindle_wasi_kv_bucket bucket;
    if (!open_bucket(p, &bucket)) {
        free(key);
        return;
    }
    for (uint32_t tries = 1;; tries++) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        spindle_wasi_kv_cas cas;
        bool found;
        uint8_t *value;
        size_t len;
        if (!spindle_wasi_kv_cas_new_n(bucket, key, key_len, &cas, &err)) {
            reply_error(p->res, &err);
            break;
        }
        if (!spindle_wasi_kv_cas_current(cas, &found, &value, &len, &err)) {
            reply_error(p->res, &err);
            spindle_wasi_kv_cas_drop(cas);
            break;
        }
        uint64_t n = 0;
        bool number = !found || len > 0;
        for (size_t i = 0; found && number && i < len; i++) {
            unsigned digit = (unsigned)(value[i] - '0');
            number = digit <= 9 && n <= (UINT64_MAX - digit) / 10 - 1;
            n = n * 10 + digit;
        }
        free(value);
        if (!number) {
            reply(p->res, 200, "err:not a decimal number");
            spindle_wasi_kv_cas_drop(cas);
            break;
        }
        char digits[24];
        int written = snprintf(digits, sizeof digits, "%" PRIu64, n + 1);
        if (spindle_wasi_kv_swap(cas, digits, (size_t)written, NULL, &err)) {
            reply(p->res, 200, "");
            spindle_http_response_appendf(p->res, "ok:%" PRIu64 " tries=%" PRIu32, n + 1, tries);
            break;
        }
        if (err.tag != SPINDLE_WASI_KV_ERROR_CAS_FAILED || tries == MAX_TRIES) {
            reply_error(p->res, &err);
            if (tries == MAX_TRIES) {
                spindle_http_response_appendf(p->res, " after %u tries", MAX_TRIES);
            }
            break;
        }
    }
    spindle_wasi_kv_close(bucket);
    free(key);
}

/* ---- batch routes ------------------------------------------------------- */

/* ?keys=a,b,c: "ok", then one "key:<k>=some:<v>" or "key:<k>=none" line per entry, in the host's order. */
static void route_get_many(probe *p) {
    size_t len;
    char *text = need_text(p, "keys", &len);
    if (text == NULL) {
        return;
    }
    spindle_bytes_ref *keys;
    size_t count = split_commas(text, len, &keys);
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        spindle_wasi_kv_entries entries;
        if (spindle_wasi_kv_get_many(bucket, keys, count, &entries, &err)) {
            reply(p->res, 200, "ok");
            for (size_t i = 0; i < entries.count; i++) {
                spindle_wasi_kv_entry *e = &entries.items[i];
                spindle_http_response_append_str(p->res, "\nkey:");
                spindle_http_response_append_body(p->res, e->key.data, e->key.len);
                if (e->found) {
                    spindle_http_response_append_str(p->res, "=some:");
                    spindle_http_response_append_body(p->res, e->value, e->len);
                } else {
                    spindle_http_response_append_str(p->res, "=none");
                }
            }
            spindle_wasi_kv_entries_free(&entries);
        } else {
            reply_error(p->res, &err);
        }
        spindle_wasi_kv_close(bucket);
    }
    free(keys);
    free(text);
}

/* ?pairs=a=1,b=2 (each value up to its comma; a pair without '=' has an empty value). */
static void route_set_many(probe *p) {
    size_t len;
    char *text = need_text(p, "pairs", &len);
    if (text == NULL) {
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
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        if (spindle_wasi_kv_set_many(bucket, pairs, count, &err)) {
            reply(p->res, 200, "ok");
        } else {
            reply_error(p->res, &err);
        }
        spindle_wasi_kv_close(bucket);
    }
    free(pairs);
    free(parts);
    free(text);
}

static void route_delete_many(probe *p) {
    size_t len;
    char *text = need_text(p, "keys", &len);
    if (text == NULL) {
        return;
    }
    spindle_bytes_ref *keys;
    size_t count = split_commas(text, len, &keys);
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
        if (spindle_wasi_kv_delete_many(bucket, keys, count, &err)) {
            reply(p->res, 200, "ok");
        } else {
            reply_error(p->res, &err);
        }
        spindle_wasi_kv_close(bucket);
    }
    free(keys);
    free(text);
}

/* ?prefix=P&count=N: one set-many of the keys P0 .. P<N-1>, key Pi holding the decimal i. */
static void route_fill(probe *p) {
    uint32_t count;
    size_t prefix_len;
    if (!need_u32(p, "count", &count)) {
        return;
    }
    char *prefix = need_text(p, "prefix", &prefix_len);
    if (prefix == NULL) {
        return;
    }
    /* one buffer: per key "<prefix><i>" and then "<i>" */
    const size_t slot = prefix_len + 2 * 10;
    char *text = malloc(count != 0 ? (size_t)count * slot : 1);
    spindle_wasi_kv_pair *pairs = malloc(count != 0 ? count * sizeof *pairs : 1);
    if (text == NULL || pairs == NULL) {
        reply(p->res, 500, "oom");
    } else {
        for (uint32_t i = 0; i < count; i++) {
            char *s = text + (size_t)i * slot;
            memcpy(s, prefix, prefix_len);
            int digits = snprintf(s + prefix_len, 11, "%" PRIu32, i);
            memcpy(s + prefix_len + digits, s + prefix_len, (size_t)digits);
            pairs[i].key.ptr = s;
            pairs[i].key.len = prefix_len + (size_t)digits;
            pairs[i].value.ptr = s + prefix_len + digits;
            pairs[i].value.len = (size_t)digits;
        }
        spindle_wasi_kv_bucket bucket;
        if (open_bucket(p, &bucket)) {
            spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
            if (spindle_wasi_kv_set_many(bucket, pairs, count, &err)) {
                reply(p->res, 200, "ok");
            } else {
                reply_error(p->res, &err);
            }
            spindle_wasi_kv_close(bucket);
        }
    }
    free(pairs);
    free(text);
    free(prefix);
}

/* ---- routes that break the ABI on purpose ------------------------------ */

static void reply_raw_result(probe *p, const uint8_t *area) {
    reply(p->res, 200, "");
    if (area[0] == 0) {
        spindle_http_response_append_str(p->res, "ok");
    } else {
        spindle_http_response_appendf(p->res, "err:%u", (unsigned)area[4]);
    }
}

static void route_dropped(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        spindle_wasi_kv_close(bucket);
        _Alignas(4) uint8_t area[16] = {0};
        spindle_wasi_kv_raw_get(bucket, SPINDLE_ADDR("k"), 1, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

/* cas.new, swap (which consumes the cas), then current on the consumed handle: the host must trap. */
static void route_cas_consumed(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (!open_bucket(p, &bucket)) {
        return;
    }
    spindle_wasi_kv_error err = SPINDLE_WASI_KV_ERROR_INIT;
    spindle_wasi_kv_cas cas;
    if (!spindle_wasi_kv_cas_new(bucket, "cas-consumed", &cas, &err)) {
        reply_error(p->res, &err);
    } else {
        spindle_wasi_kv_swap(cas, "v", 1, NULL, NULL);
        _Alignas(4) uint8_t area[16] = {0};
        spindle_wasi_kv_raw_cas_current(cas, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
    spindle_wasi_kv_close(bucket);
}

static void route_forged(probe *p) {
    uint32_t handle;
    if (need_u32(p, "handle", &handle)) {
        _Alignas(4) uint8_t area[16] = {0};
        spindle_wasi_kv_raw_get(handle, SPINDLE_ADDR("k"), 1, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

static void route_oob(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        _Alignas(4) uint8_t area[16] = {0};
        spindle_wasi_kv_raw_get(bucket, 0xFFFFFF00u, 64, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

/* get-many with a list of 2^28 strings (2 GiB of elements), far past the end of memory. */
static void route_oob_list(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        static spindle_bytes_ref one = {"k", 1};
        _Alignas(4) uint8_t area[16] = {0};
        spindle_wasi_kv_raw_get_many(bucket, SPINDLE_ADDR(&one), 0x10000000u, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

/* list-keys with the cursor option's discriminant 2 (only 0 and 1 exist): the host must trap. */
static void route_bad_tag(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        _Alignas(4) uint8_t area[24] = {0};
        spindle_wasi_kv_raw_list_keys(bucket, 2, SPINDLE_ADDR("k"), 1, SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

static void route_badutf8(probe *p) {
    spindle_wasi_kv_bucket bucket;
    if (open_bucket(p, &bucket)) {
        static const char key[2] = {'\xff', '\xfe'};
        static const char value[1] = {'x'};
        _Alignas(4) uint8_t area[16] = {0};
        spindle_wasi_kv_raw_set(bucket, SPINDLE_ADDR(key), sizeof key, SPINDLE_ADDR(value), sizeof value,
                                SPINDLE_ADDR(area));
        reply_raw_result(p, area);
    }
}

static void route_unknown_import(probe *p) {
    _Alignas(4) uint8_t area[12] = {0};
    unserved_get(SPINDLE_ADDR("name"), 4, SPINDLE_ADDR(area));
    reply(p->res, 200, area[0] == 0 ? "ok" : "err");
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
    else if (spindle_str_eq(path, "/list-keys")) route_list_keys(&p);
    else if (spindle_str_eq(path, "/list-all")) route_list_all(&p);
    else if (spindle_str_eq(path, "/open-many")) route_open_many(&p, false);
    else if (spindle_str_eq(path, "/open-drop-many")) route_open_many(&p, true);
    else if (spindle_str_eq(path, "/set-big")) route_set_big(&p);
    else if (spindle_str_eq(path, "/get-big")) route_get_big(&p);
    else if (spindle_str_eq(path, "/increment")) route_increment(&p);
    else if (spindle_str_eq(path, "/cas-current")) route_cas_current(&p);
    else if (spindle_str_eq(path, "/cas-swap")) route_cas_swap(&p, false);
    else if (spindle_str_eq(path, "/cas-conflict")) route_cas_swap(&p, true);
    else if (spindle_str_eq(path, "/cas-inc")) route_cas_inc(&p);
    else if (spindle_str_eq(path, "/get-many")) route_get_many(&p);
    else if (spindle_str_eq(path, "/set-many")) route_set_many(&p);
    else if (spindle_str_eq(path, "/delete-many")) route_delete_many(&p);
    else if (spindle_str_eq(path, "/fill")) route_fill(&p);
    else if (spindle_str_eq(path, "/dropped")) route_dropped(&p);
    else if (spindle_str_eq(path, "/cas-consumed")) route_cas_consumed(&p);
    else if (spindle_str_eq(path, "/forged")) route_forged(&p);
    else if (spindle_str_eq(path, "/oob")) route_oob(&p);
    else if (spindle_str_eq(path, "/oob-list")) route_oob_list(&p);
    else if (spindle_str_eq(path, "/bad-tag")) route_bad_tag(&p);
    else if (spindle_str_eq(path, "/badutf8")) route_badutf8(&p);
    else if (spindle_str_eq(path, "/unknown-import")) route_unknown_import(&p);
    else if (spindle_str_eq(path, "/trap")) __builtin_trap();
    else {
        reply(res, 404, "not-found:");
        spindle_http_response_append_body(res, path.ptr, path.len);
    }
    free(label);
}
