/*
 * spindle_wasi_kv.h - C guest API for `wasi:keyvalue@0.2.0-draft2` (store,
 * atomics, batch), as Spin 3 and Spindle serve it, for components (see
 * sdk/c/README.md, "Components").
 *
 * A bucket is a resource: spindle_wasi_kv_open returns an owned handle and
 * spindle_wasi_kv_close drops it.  A `cas` handle from spindle_wasi_kv_cas_new
 * is consumed by spindle_wasi_kv_swap (a failed swap hands a new one back) or
 * dropped with spindle_wasi_kv_cas_drop.  A missing key is not an error.
 *
 * Conventions are those of spindle_kv.h and spindle_kv2.h: true on success,
 * *err (when not NULL) filled on failure, keys must be valid UTF-8 (checked by
 * the SDK: SPINDLE_WASI_KV_ERROR_INVALID_ARGUMENT), `_n` variants take a
 * length, and everything the SDK hands out is malloc'd and yours:
 *   spindle_wasi_kv_get, _cas_current  *value -> free(*value)
 *   spindle_wasi_kv_list_keys          *page  -> spindle_wasi_kv_page_free(page)
 *   spindle_wasi_kv_get_many           *out   -> spindle_wasi_kv_entries_free(out)
 *   spindle_wasi_kv_error              message -> spindle_wasi_kv_error_free(err)
 *
 * Link spindle_cabi.c and spindle_http.c (built with -DSPINDLE_HTTP_COMPONENT).
 */
#ifndef SPINDLE_WASI_KV_H
#define SPINDLE_WASI_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spindle_cabi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t spindle_wasi_kv_bucket; /* an owned `bucket` handle */
typedef uint32_t spindle_wasi_kv_cas;    /* an owned `cas` handle */

/* Error tags.  0-2 are the cases of the WIT `error` variant, in order. */
enum {
    SPINDLE_WASI_KV_ERROR_NO_SUCH_STORE = 0,
    SPINDLE_WASI_KV_ERROR_ACCESS_DENIED = 1,
    SPINDLE_WASI_KV_ERROR_OTHER = 2, /* `message` says why */
    /* swap only: the key changed since cas_new (`cas-error.cas-failed`); *retry holds the new cas handle */
    SPINDLE_WASI_KV_ERROR_CAS_FAILED = 3,
    /* SDK only: a key or identifier was not valid UTF-8, so the host was not called. */
    SPINDLE_WASI_KV_ERROR_INVALID_ARGUMENT = 255
};

typedef struct {
    uint8_t tag;        /* one of SPINDLE_WASI_KV_ERROR_* */
    char *message;      /* SPINDLE_WASI_KV_ERROR_OTHER only, else NULL; NUL-terminated */
    size_t message_len;
} spindle_wasi_kv_error;

#define SPINDLE_WASI_KV_ERROR_INIT {0, NULL, 0}

/* One page of list_keys; has_cursor is false on the last page. */
typedef struct {
    spindle_strings keys;
    bool has_cursor;
    spindle_string cursor; /* data NULL when has_cursor is false */
} spindle_wasi_kv_page;

/* One answer of get_many: the key asked for, and its value when found. */
typedef struct {
    spindle_string key;
    bool found;
    uint8_t *value; /* NULL when not found */
    size_t len;
} spindle_wasi_kv_entry;

typedef struct {
    spindle_wasi_kv_entry *items;
    size_t count;
} spindle_wasi_kv_entries;

/* A key and value for set_many; the layout of tuple<string, list<u8>>, passed in place. */
typedef struct {
    spindle_bytes_ref key;
    spindle_bytes_ref value;
} spindle_wasi_kv_pair;

/* ---- wasi:keyvalue/store ------------------------------------------------- */

bool spindle_wasi_kv_open(const char *identifier, spindle_wasi_kv_bucket *out, spindle_wasi_kv_error *err);
bool spindle_wasi_kv_open_n(const char *identifier, size_t identifier_len, spindle_wasi_kv_bucket *out,
                            spindle_wasi_kv_error *err);
bool spindle_wasi_kv_get(spindle_wasi_kv_bucket bucket, const char *key, bool *found, uint8_t **value, size_t *len,
                         spindle_wasi_kv_error *err);
bool spindle_wasi_kv_get_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, bool *found,
                           uint8_t **value, size_t *len, spindle_wasi_kv_error *err);
bool spindle_wasi_kv_set(spindle_wasi_kv_bucket bucket, const char *key, const void *value, size_t len,
                         spindle_wasi_kv_error *err);
bool spindle_wasi_kv_set_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, const void *value,
                           size_t len, spindle_wasi_kv_error *err);
bool spindle_wasi_kv_delete(spindle_wasi_kv_bucket bucket, const char *key, spindle_wasi_kv_error *err);
bool spindle_wasi_kv_delete_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len,
                              spindle_wasi_kv_error *err);
bool spindle_wasi_kv_exists(spindle_wasi_kv_bucket bucket, const char *key, bool *out, spindle_wasi_kv_error *err);
bool spindle_wasi_kv_exists_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, bool *out,
                              spindle_wasi_kv_error *err);
/* One page of keys after `cursor` (NULL for the first page; else a cursor from the previous page). */
bool spindle_wasi_kv_list_keys(spindle_wasi_kv_bucket bucket, const char *cursor, size_t cursor_len,
                               spindle_wasi_kv_page *out, spindle_wasi_kv_error *err);
void spindle_wasi_kv_page_free(spindle_wasi_kv_page *page);
/* Drops the bucket handle (`[resource-drop]bucket`). */
void spindle_wasi_kv_close(spindle_wasi_kv_bucket bucket);

/* ---- wasi:keyvalue/atomics ----------------------------------------------- */

/* Adds `delta` to the key's decimal value (a missing key counts as 0) and returns the new value in *out. */
bool spindle_wasi_kv_increment(spindle_wasi_kv_bucket bucket, const char *key, int64_t delta, int64_t *out,
                               spindle_wasi_kv_error *err);
bool spindle_wasi_kv_increment_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len, int64_t delta,
                                 int64_t *out, spindle_wasi_kv_error *err);
/* Takes the key's current value as the expected one (`[static]cas.new`). */
bool spindle_wasi_kv_cas_new(spindle_wasi_kv_bucket bucket, const char *key, spindle_wasi_kv_cas *out,
                             spindle_wasi_kv_error *err);
bool spindle_wasi_kv_cas_new_n(spindle_wasi_kv_bucket bucket, const char *key, size_t key_len,
                               spindle_wasi_kv_cas *out, spindle_wasi_kv_error *err);
/* The value seen by cas_new (`[method]cas.current`). */
bool spindle_wasi_kv_cas_current(spindle_wasi_kv_cas cas, bool *found, uint8_t **value, size_t *len,
                                 spindle_wasi_kv_error *err);
/*
 * Writes `value` if the key still holds what cas_new saw.  Consumes `cas`.  On
 * a conflict fails with SPINDLE_WASI_KV_ERROR_CAS_FAILED and stores the host's
 * new cas handle in *retry (dropped when retry is NULL).
 */
bool spindle_wasi_kv_swap(spindle_wasi_kv_cas cas, const void *value, size_t len, spindle_wasi_kv_cas *retry,
                          spindle_wasi_kv_error *err);
void spindle_wasi_kv_cas_drop(spindle_wasi_kv_cas cas);

/* ---- wasi:keyvalue/batch (Spin's get-many shape) ------------------------- */

/* One entry per key asked, in order: (key, value or not found). */
bool spindle_wasi_kv_get_many(spindle_wasi_kv_bucket bucket, const spindle_bytes_ref *keys, size_t count,
                              spindle_wasi_kv_entries *out, spindle_wasi_kv_error *err);
void spindle_wasi_kv_entries_free(spindle_wasi_kv_entries *entries);
bool spindle_wasi_kv_set_many(spindle_wasi_kv_bucket bucket, const spindle_wasi_kv_pair *pairs, size_t count,
                              spindle_wasi_kv_error *err);
bool spindle_wasi_kv_delete_many(spindle_wasi_kv_bucket bucket, const spindle_bytes_ref *keys, size_t count,
                                 spindle_wasi_kv_error *err);

const char *spindle_wasi_kv_error_text(const spindle_wasi_kv_error *err);
void spindle_wasi_kv_error_free(spindle_wasi_kv_error *err);

/*
 * Raw ABI: the core imports exactly as wit-component lowers them.  `ret` is
 * the return area (u8 result discriminant at +0, 0 ok / 1 err):
 *   16 bytes, align 4: open, get, set, delete, exists, cas.new, cas.current,
 *       get-many, set-many, delete-many: payload at +4; `error` at +4 is a u8
 *       tag (0-2) with other's message at +8 (ptr), +12 (len)
 *   24 bytes, align 4: list-keys: ok +4 keys ptr, +8 count, +12 u8 cursor
 *       option, +16 cursor ptr, +20 len
 *   24 bytes, align 8: increment: ok +8 s64; err `error` at +8 (tag +8,
 *       message +12, +16)
 *   20 bytes, align 4: swap: err `cas-error` at +4 (u8 0 store-error with
 *       `error` at +8, or 1 cas-failed with the cas handle at +8)
 * get-many's ok list holds 20-byte elements: key ptr +0, len +4, u8 option +8,
 * value ptr +12, len +16.
 */
#define SPINDLE_WASI_KV_IMPORT(iface, name) \
    __attribute__((import_module("wasi:keyvalue/" iface "@0.2.0-draft2"), import_name(name)))

SPINDLE_WASI_KV_IMPORT("store", "open")
void spindle_wasi_kv_raw_open(uint32_t id_ptr, uint32_t id_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("store", "[method]bucket.get")
void spindle_wasi_kv_raw_get(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("store", "[method]bucket.set")
void spindle_wasi_kv_raw_set(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t value_ptr,
                             uint32_t value_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("store", "[method]bucket.delete")
void spindle_wasi_kv_raw_delete(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("store", "[method]bucket.exists")
void spindle_wasi_kv_raw_exists(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("store", "[method]bucket.list-keys")
void spindle_wasi_kv_raw_list_keys(uint32_t self, uint32_t cursor_is_some, uint32_t cursor_ptr,
                                   uint32_t cursor_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("store", "[resource-drop]bucket")
void spindle_wasi_kv_raw_drop_bucket(uint32_t self);
SPINDLE_WASI_KV_IMPORT("atomics", "increment")
void spindle_wasi_kv_raw_increment(uint32_t bucket, uint32_t key_ptr, uint32_t key_len, int64_t delta,
                                   uint32_t ret);
SPINDLE_WASI_KV_IMPORT("atomics", "[static]cas.new")
void spindle_wasi_kv_raw_cas_new(uint32_t bucket, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("atomics", "[method]cas.current")
void spindle_wasi_kv_raw_cas_current(uint32_t self, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("atomics", "swap")
void spindle_wasi_kv_raw_swap(uint32_t cas, uint32_t value_ptr, uint32_t value_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("atomics", "[resource-drop]cas")
void spindle_wasi_kv_raw_drop_cas(uint32_t self);
SPINDLE_WASI_KV_IMPORT("batch", "get-many")
void spindle_wasi_kv_raw_get_many(uint32_t bucket, uint32_t keys_ptr, uint32_t keys_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("batch", "set-many")
void spindle_wasi_kv_raw_set_many(uint32_t bucket, uint32_t pairs_ptr, uint32_t pairs_len, uint32_t ret);
SPINDLE_WASI_KV_IMPORT("batch", "delete-many")
void spindle_wasi_kv_raw_delete_many(uint32_t bucket, uint32_t keys_ptr, uint32_t keys_len, uint32_t ret);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_WASI_KV_H */
