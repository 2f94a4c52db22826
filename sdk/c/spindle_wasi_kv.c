/*
 * spindle_wasi_kv.c - the `wasi:keyvalue@0.2.0-draft2` imports (store,
 * atomics, batch) behind the API of spindle_wasi_kv.h, with the Canonical ABI
 * lowered by hand.  The return-area layouts are listed in spindle_wasi_kv.h.
 */
#include "spindle_wasi_kv.h"

#include <stdlib.h>
#include <string.h>

#define ERROR_CASES 3

_Static_assert(sizeof(spindle_wasi_kv_pair) == 16 && offsetof(spindle_wasi_kv_pair, value) == 8,
               "spindle_wasi_kv_pair must match the layout of tuple<string, list<u8>>");

static void set_error(spindle_wasi_kv_error *err, uint8_t tag, char *message, size_t message_len) {
    if (err != NULL) {
        err->tag = tag;
        err->message = message;
        err->message_len = message_len;
    } else {
        free(message);
    }
}

static bool check_text(const void *text, size_t len, spindle_wasi_kv_error *err) {
    if (len == 0 || spindle_cabi_valid_utf8(text, len)) {
        return true;
    }
    set_error(err, SPINDLE_WASI_KV_ERROR_INVALID_ARGUMENT, NULL, 0);
    return false;
}

static size_t text_len(const char *text) {
    return text == NULL ? 0 : strlen(text);
}

/* Takes over the `error` value at `offset` of the area. */
static void take_error(const spindle_cabi_area *r, size_t offset, spindle_wasi_kv_error *err) {
    uint8_t tag = spindle_cabi_tag(r, offset, ERROR_CASES);
    char *message = NULL;
    size_t message_len = 0;
    if (tag == SPINDLE_WASI_KV_ERROR_OTHER) {
        message_len = spindle_cabi_u32(r, offset + 8);
        message = spindle_cabi_take_bytes(spindle_cabi_u32(r, offset + 4), (uint32_t)message_len);
    }
    set_error(err, tag, message, message_len);
}

/* result<T, error> with its payload at `payload`: true for ok; for err takes over the error. */
static bool result_ok_at(const spindle_cabi_area *r, size_t payload, spindle_wasi_kv_error *err) {
    if (spindle_cabi_tag(r, 0, 2) == 0) {
        return true;
    }
    take_error(r, payload, err);
    return false;
}

static bool result_ok(const spindle_cabi_area *r, spindle_wasi_kv_error *err) {
    return result_ok_at(r, 4, err);
}

/* option<list<u8>> at `offset`. */
static void take_option_bytes(const spindle_cabi_area *r, size_t offset, bool *found, uint8_t **value,
                              size_t *len) {
    *found = spindle_cabi_tag(r, offset, 2) == 1;
    if (*found) {
        uint32_t n = spindle_cabi_u32(r, offset + 8);
        *value = (uint8_t *)spindle_cabi_take_bytes(spindle_cabi_u32(r, offset + 4), n);
        *len = n;
    } else {
        *value = NULL;
        *len = 0;
    }
}

/* ---- store ---------------------------------------------------------------- */

bool spindle_wasi_kv_open_n(const char *identifier, size_t identifier_len, spindle_wasi_kv_bucket *out,
                            spindle_wasi_kv_error *err) {
    if (!check_text(identifier, identifier_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_open(SPINDLE_ADDR(identifier), identifier_len, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *out = spindle_cabi_u32(&r, 4);
    return true;
}

bool spindle_wasi_kv_open(const char *identifier, spindle_wasi_kv_bucket *out, spindle_wasi_kv_error *err) {
    return spindle_wasi_kv_open_n(identifier, text_len(identifier), out, err);
}

bool spindle_wasi_kv_get_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, bool *found,
                           uint8_t **value, size_t *len, spindle_wasi_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_get(bucket, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    take_option_bytes(&r, 4, found, value, len);
    return true;
}

bool spindle_wasi_kv_get(spindle_wasi_kv_bucket bucket, const char *key, bool *found, uint8_t **value, size_t *len,
                         spindle_wasi_kv_error *err) {
    return spindle_wasi_kv_get_n(bucket, key, text_len(key), found, value, len, err);
}

bool spindle_wasi_kv_set_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, const void *value,
                           size_t len, spindle_wasi_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_set(bucket, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(value), len, SPINDLE_ADDR(&r));
    return result_ok(&r, err);
}

bool spindle_wasi_kv_set(spindle_wasi_kv_bucket bucket, const char *key, const void *value, size_t len,
                         spindle_wasi_kv_error *err) {
    return spindle_wasi_kv_set_n(bucket, key, text_len(key), value, len, err);
}

bool spindle_wasi_kv_delete_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len,
                              spindle_wasi_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_delete(bucket, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(&r));
    return result_ok(&r, err);
}

bool spindle_wasi_kv_delete(spindle_wasi_kv_bucket bucket, const char *key, spindle_wasi_kv_error *err) {
    return spindle_wasi_kv_delete_n(bucket, key, text_len(key), err);
}

bool spindle_wasi_kv_exists_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, bool *out,
                              spindle_wasi_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_exists(bucket, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *out = spindle_cabi_tag(&r, 4, 2) == 1;
    return true;
}

bool spindle_wasi_kv_exists(spindle_wasi_kv_bucket bucket, const char *key, bool *out, spindle_wasi_kv_error *err) {
    return spindle_wasi_kv_exists_n(bucket, key, text_len(key), out, err);
}

bool spindle_wasi_kv_list_keys(spindle_wasi_kv_bucket bucket, const char *cursor, size_t cursor_len,
                               spindle_wasi_kv_page *out, spindle_wasi_kv_error *err) {
    if (cursor != NULL && !check_text(cursor, cursor_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_list_keys(bucket, cursor != NULL, SPINDLE_ADDR(cursor), cursor != NULL ? cursor_len : 0,
                                  SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    spindle_cabi_take_strings(spindle_cabi_u32(&r, 4), spindle_cabi_u32(&r, 8), &out->keys);
    out->has_cursor = spindle_cabi_tag(&r, 12, 2) == 1;
    if (out->has_cursor) {
        out->cursor.len = spindle_cabi_u32(&r, 20);
        out->cursor.data = spindle_cabi_take_bytes(spindle_cabi_u32(&r, 16), (uint32_t)out->cursor.len);
    } else {
        out->cursor.data = NULL;
        out->cursor.len = 0;
    }
    return true;
}

void spindle_wasi_kv_page_free(spindle_wasi_kv_page *page) {
    if (page == NULL) {
        return;
    }
    spindle_strings_free(&page->keys);
    free(page->cursor.data);
    page->has_cursor = false;
    page->cursor.data = NULL;
    page->cursor.len = 0;
}

void spindle_wasi_kv_close(spindle_wasi_kv_bucket bucket) {
    spindle_wasi_kv_raw_drop_bucket(bucket);
}

/* ---- atomics -------------------------------------------------------------- */

bool spindle_wasi_kv_increment_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, int64_t delta,
                                 int64_t *out, spindle_wasi_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_increment(bucket, SPINDLE_ADDR(key), key_len, delta, SPINDLE_ADDR(&r));
    /* result<s64, error>: the payload is 8-aligned, so it starts at +8. */
    if (!result_ok_at(&r, 8, err)) {
        return false;
    }
    *out = spindle_cabi_s64(&r, 8);
    return true;
}

bool spindle_wasi_kv_increment(spindle_wasi_kv_bucket bucket, const char *key, int64_t delta, int64_t *out,
                               spindle_wasi_kv_error *err) {
    return spindle_wasi_kv_increment_n(bucket, key, text_len(key), delta, out, err);
}

bool spindle_wasi_kv_cas_new_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len,
                               spindle_wasi_kv_cas *out, spindle_wasi_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_cas_new(bucket, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *out = spindle_cabi_u32(&r, 4);
    return true;
}

bool spindle_wasi_kv_cas_new(spindle_wasi_kv_bucket bucket, const char *key, spindle_wasi_kv_cas *out,
                             spindle_wasi_kv_error *err) {
    return spindle_wasi_kv_cas_new_n(bucket, key, text_len(key), out, err);
}

bool spindle_wasi_kv_cas_current(spindle_wasi_kv_cas cas, bool *found, uint8_t **value, size_t *len,
                                 spindle_wasi_kv_error *err) {
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_cas_current(cas, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    take_option_bytes(&r, 4, found, value, len);
    return true;
}

bool spindle_wasi_kv_swap(spindle_wasi_kv_cas cas, const void *value, size_t len, spindle_wasi_kv_cas *retry,
                          spindle_wasi_kv_error *err) {
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_swap(cas, SPINDLE_ADDR(value), len, SPINDLE_ADDR(&r));
    if (spindle_cabi_tag(&r, 0, 2) == 0) {
        return true;
    }
    /* cas-error at +4: its own discriminant, then the payload at +8. */
    if (spindle_cabi_tag(&r, 4, 2) == 0) {
        take_error(&r, 8, err);
        return false;
    }
    spindle_wasi_kv_cas fresh = spindle_cabi_u32(&r, 8);
    if (retry != NULL) {
        *retry = fresh;
    } else {
        spindle_wasi_kv_raw_drop_cas(fresh);
    }
    set_error(err, SPINDLE_WASI_KV_ERROR_CAS_FAILED, NULL, 0);
    return false;
}

void spindle_wasi_kv_cas_drop(spindle_wasi_kv_cas cas) {
    spindle_wasi_kv_raw_drop_cas(cas);
}

/* ---- batch ---------------------------------------------------------------- */

/* get-many's element: tuple<string, option<list<u8>>>. */
typedef struct {
    uint32_t key_ptr, key_len;
    uint8_t is_some;
    uint32_t value_ptr, value_len;
} host_entry;
_Static_assert(sizeof(host_entry) == 20 && offsetof(host_entry, value_ptr) == 12,
               "host_entry must match the layout of tuple<string, option<list<u8>>>");

static bool check_keys(const spindle_bytes_ref *keys, size_t count, spindle_wasi_kv_error *err) {
    for (size_t i = 0; i < count; i++) {
        if (!check_text(keys[i].ptr, keys[i].len, err)) {
            return false;
        }
    }
    return true;
}

bool spindle_wasi_kv_get_many(spindle_wasi_kv_bucket bucket, const spindle_bytes_ref *keys, size_t count,
                              spindle_wasi_kv_entries *out, spindle_wasi_kv_error *err) {
    if (!check_keys(keys, count, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_get_many(bucket, SPINDLE_ADDR(keys), count, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    uint32_t addr = spindle_cabi_u32(&r, 4), n = spindle_cabi_u32(&r, 8);
    out->items = NULL;
    out->count = 0;
    if (n == 0) {
        return true;
    }
    spindle_wasi_kv_entry *items = malloc(n * sizeof *items);
    if (items == NULL) {
        __builtin_trap();
    }
    const host_entry *host = SPINDLE_PTR(addr);
    for (uint32_t i = 0; i < n; i++) {
        if (host[i].is_some > 1) {
            __builtin_trap();
        }
        items[i].key.len = host[i].key_len;
        items[i].key.data = spindle_cabi_take_bytes(host[i].key_ptr, host[i].key_len);
        items[i].found = host[i].is_some == 1;
        items[i].value = items[i].found ? (uint8_t *)spindle_cabi_take_bytes(host[i].value_ptr, host[i].value_len)
                                        : NULL;
        items[i].len = items[i].found ? host[i].value_len : 0;
    }
    spindle_cabi_release(addr, n * (uint32_t)sizeof(host_entry));
    out->items = items;
    out->count = n;
    return true;
}

void spindle_wasi_kv_entries_free(spindle_wasi_kv_entries *entries) {
    if (entries == NULL) {
        return;
    }
    for (size_t i = 0; i < entries->count; i++) {
        free(entries->items[i].key.data);
        free(entries->items[i].value);
    }
    free(entries->items);
    entries->items = NULL;
    entries->count = 0;
}

bool spindle_wasi_kv_set_many(spindle_wasi_kv_bucket bucket, const spindle_wasi_kv_pair *pairs, size_t count,
                              spindle_wasi_kv_error *err) {
    for (size_t i = 0; i < count; i++) {
        if (!check_text(pairs[i].key.ptr, pairs[i].key.len, err)) {
            return false;
        }
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_set_many(bucket, SPINDLE_ADDR(pairs), count, SPINDLE_ADDR(&r));
    return result_ok(&r, err);
}

bool spindle_wasi_kv_delete_many(spindle_wasi_kv_bucket bucket, const spindle_bytes_ref *keys, size_t count,
                                 spindle_wasi_kv_error *err) {
    if (!check_keys(keys, count, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_wasi_kv_raw_delete_many(bucket, SPINDLE_ADDR(keys), count, SPINDLE_ADDR(&r));
    return result_ok(&r, err);
}

const char *spindle_wasi_kv_error_text(const spindle_wasi_kv_error *err) {
    if (err == NULL) {
        return "no error";
    }
    switch (err->tag) {
    case SPINDLE_WASI_KV_ERROR_NO_SUCH_STORE:
        return "no such store";
    case SPINDLE_WASI_KV_ERROR_ACCESS_DENIED:
        return "access denied";
    case SPINDLE_WASI_KV_ERROR_OTHER:
        return err->message != NULL ? err->message : "other error";
    case SPINDLE_WASI_KV_ERROR_CAS_FAILED:
        return "cas failed: the key changed since cas_new";
    case SPINDLE_WASI_KV_ERROR_INVALID_ARGUMENT:
        return "invalid argument: key or identifier is not valid UTF-8";
    default:
        return "unknown error";
    }
}

void spindle_wasi_kv_error_free(spindle_wasi_kv_error *err) {
    if (err == NULL) {
        return;
    }
    free(err->message);
    err->tag = 0;
    err->message = NULL;
    err->message_len = 0;
}
