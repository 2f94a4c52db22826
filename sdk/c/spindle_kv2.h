/*
 * spindle_kv2.h - C guest API for Spin 2's `fermyon:spin/key-value@2.0.0`,
 * for components (see sdk/c/README.md, "Components").
 *
 * The store is a resource: spindle_kv2_open returns an owned handle, and
 * spindle_kv2_close drops it (that is how a store is closed).  A missing key
 * is not an error: spindle_kv2_get succeeds with *found = false.
 *
 * Conventions are those of spindle_kv.h: every fallible call returns true on
 * success and fills *err (when not NULL) on failure; keys and labels must be
 * valid UTF-8 (checked by the SDK: SPINDLE_KV2_ERROR_INVALID_ARGUMENT); the
 * `_n` variants take an explicit length.  Buffers the SDK hands out are
 * malloc'd, NUL-terminated one byte past their length, and yours to free:
 *   spindle_kv2_get       *value  -> free(*value)
 *   spindle_kv2_get_keys  *out    -> spindle_strings_free(out)
 *   spindle_kv2_error     message -> spindle_kv2_error_free(err)
 *
 * Link spindle_cabi.c and spindle_http.c (built with -DSPINDLE_HTTP_COMPONENT,
 * which exports the `cabi_realloc` the host allocates results with).
 */
#ifndef SPINDLE_KV2_H
#define SPINDLE_KV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spindle_cabi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An owned `store` resource handle. */
typedef uint32_t spindle_kv2_store;

/* Error tags.  0-3 are the cases of the WIT `error` variant, in order. */
enum {
    SPINDLE_KV2_ERROR_STORE_TABLE_FULL = 0, /* too many stores open in this instance */
    SPINDLE_KV2_ERROR_NO_SUCH_STORE = 1,    /* the label is granted but not defined */
    SPINDLE_KV2_ERROR_ACCESS_DENIED = 2,    /* the label is not in key_value_stores */
    SPINDLE_KV2_ERROR_OTHER = 3,            /* any other failure; `message` says why */
    /* SDK only: a key or label was not valid UTF-8, so the host was not called. */
    SPINDLE_KV2_ERROR_INVALID_ARGUMENT = 255
};

typedef struct {
    uint8_t tag;        /* one of SPINDLE_KV2_ERROR_* */
    char *message;      /* SPINDLE_KV2_ERROR_OTHER only, else NULL; NUL-terminated */
    size_t message_len; /* bytes in message, without the NUL */
} spindle_kv2_error;

#define SPINDLE_KV2_ERROR_INIT {0, NULL, 0}

/* Opens the store with this label (`[static]store.open`). */
bool spindle_kv2_open(const char *label, spindle_kv2_store *out, spindle_kv2_error *err);
bool spindle_kv2_open_n(const char *label, size_t label_len, spindle_kv2_store *out, spindle_kv2_error *err);

/* Reads a value: *found tells whether the key exists; when it does, *value (malloc'd) and *len hold it. */
bool spindle_kv2_get(spindle_kv2_store store, const char *key, bool *found, uint8_t **value, size_t *len,
                     spindle_kv2_error *err);
bool spindle_kv2_get_n(spindle_kv2_store store, const char *key, size_t key_len, bool *found, uint8_t **value,
                       size_t *len, spindle_kv2_error *err);

bool spindle_kv2_set(spindle_kv2_store store, const char *key, const void *value, size_t len,
                     spindle_kv2_error *err);
bool spindle_kv2_set_n(spindle_kv2_store store, const char *key, size_t key_len, const void *value, size_t len,
                       spindle_kv2_error *err);

/* Deleting a key that does not exist succeeds. */
bool spindle_kv2_delete(spindle_kv2_store store, const char *key, spindle_kv2_error *err);
bool spindle_kv2_delete_n(spindle_kv2_store store, const char *key, size_t key_len, spindle_kv2_error *err);

bool spindle_kv2_exists(spindle_kv2_store store, const char *key, bool *out, spindle_kv2_error *err);
bool spindle_kv2_exists_n(spindle_kv2_store store, const char *key, size_t key_len, bool *out,
                          spindle_kv2_error *err);

/* Every key of the store, in the host's order. */
bool spindle_kv2_get_keys(spindle_kv2_store store, spindle_strings *out, spindle_kv2_error *err);

/* Drops the handle (`[resource-drop]store`).  Using it afterwards traps the instance in the host. */
void spindle_kv2_close(spindle_kv2_store store);

/* The host's message for SPINDLE_KV2_ERROR_OTHER, else a static text per tag. */
const char *spindle_kv2_error_text(const spindle_kv2_error *err);
void spindle_kv2_error_free(spindle_kv2_error *err);

/*
 * Raw ABI: the core imports of module "fermyon:spin/key-value@2.0.0" exactly
 * as wit-component lowers them.  `self` is a store handle; strings and lists
 * are (ptr, len) in this module's memory; `ret` is a 4-aligned 16-byte area:
 *   +0 u8 result discriminant (0 ok, 1 err)
 *   ok:  open +4 u32 handle | get +4 u8 option (0 none, 1 some), +8 ptr, +12 len
 *        | exists +4 u8 bool | get-keys +4 ptr, +8 count of {ptr, len} pairs
 *   err: +4 u8 error tag (0-3); for other (3) +8 ptr, +12 len of the message
 */
__attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name("[static]store.open")))
void spindle_kv2_raw_open(uint32_t label_ptr, uint32_t label_len, uint32_t ret);
__attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name("[method]store.get")))
void spindle_kv2_raw_get(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
__attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name("[method]store.set")))
void spindle_kv2_raw_set(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t value_ptr,
                         uint32_t value_len, uint32_t ret);
__attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name("[method]store.delete")))
void spindle_kv2_raw_delete(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
__attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name("[method]store.exists")))
void spindle_kv2_raw_exists(uint32_t self, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
__attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name("[method]store.get-keys")))
void spindle_kv2_raw_get_keys(uint32_t self, uint32_t ret);
__attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name("[resource-drop]store")))
void spindle_kv2_raw_drop(uint32_t self);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_KV2_H */
