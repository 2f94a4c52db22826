/*
 * spindle_kv.h - C guest API for the Spin 1.x `key-value` interface.
 *
 * A guest built with this SDK is a wasm32-wasi core module that imports the
 * seven functions of the `key-value` import module (open, get, set, delete,
 * exists, get-keys, close), as Spin 0.9-1.x and Spindle serve them.  See
 * sdk/c/README.md for how to build a module.
 *
 * Conventions
 * -----------
 * - Every function that can fail returns `true` on success and `false` on
 *   failure.  On failure it fills `*err` (when `err` is not NULL); on success
 *   it leaves `*err` untouched.  Passing `err = NULL` discards the error.
 * - Keys and labels are C strings (length from strlen).  The `_n` variants
 *   take an explicit length instead, so a key may contain any bytes, including
 *   NUL, as long as they form valid UTF-8.
 * - Keys and labels must be valid UTF-8: the host traps the whole instance on
 *   invalid UTF-8.  The SDK checks first and, instead of calling the host,
 *   fails with SPINDLE_KV_ERROR_INVALID_ARGUMENT (a tag of the SDK's own; the
 *   host never sends it).
 *
 * Memory ownership
 * ----------------
 * - Everything you pass in (labels, keys, values) stays yours; neither the SDK
 *   nor the host keeps or frees it.
 * - Everything the SDK hands out is allocated with malloc and is yours to
 *   release:
 *     spindle_kv_get        *value   -> free(*value)
 *     spindle_kv_get_keys   *out     -> spindle_kv_keys_free(out)
 *     spindle_kv_error      message  -> spindle_kv_error_free(err)
 *   Each of these buffers has one extra NUL byte after its last byte (not
 *   counted in the length), so text can be used directly as a C string.
 * - Running out of memory while taking over a result the host wrote traps
 *   the instance (the host's own allocation through canonical_abi_realloc
 *   traps in the same situation; see spindle_http.h).
 *
 * Store handles are plain integers owned by the current instance (one
 * request).  Close them with spindle_kv_close when done; the host also drops
 * them when the instance ends.
 *
 * The allocator exports the host needs (canonical_abi_realloc and
 * canonical_abi_free) are defined in spindle_http.c; link it too.
 */
#ifndef SPINDLE_KV_H
#define SPINDLE_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A store handle returned by spindle_kv_open. */
typedef uint32_t spindle_kv_store;

/* Error tags.  0-5 are the cases of the WIT `error` variant, in order. */
enum {
    SPINDLE_KV_ERROR_STORE_TABLE_FULL = 0, /* too many stores open in this instance */
    SPINDLE_KV_ERROR_NO_SUCH_STORE = 1,    /* the label is granted but not defined */
    SPINDLE_KV_ERROR_ACCESS_DENIED = 2,    /* the label is not in key_value_stores */
    SPINDLE_KV_ERROR_INVALID_STORE = 3,    /* the handle was never opened, or is closed */
    SPINDLE_KV_ERROR_NO_SUCH_KEY = 4,      /* get of a key that does not exist */
    SPINDLE_KV_ERROR_IO = 5,               /* backend failure; `message` says why */
    /* SDK only: a key or label was not valid UTF-8, so the host was not called. */
    SPINDLE_KV_ERROR_INVALID_ARGUMENT = 255
};

typedef struct {
    uint8_t tag;        /* one of SPINDLE_KV_ERROR_* */
    char *message;      /* SPINDLE_KV_ERROR_IO only, else NULL; NUL-terminated */
    size_t message_len; /* bytes in message, without the NUL */
} spindle_kv_error;

/* A zero-initialized error is safe to pass to spindle_kv_error_free. */
#define SPINDLE_KV_ERROR_INIT {0, NULL, 0}

typedef struct {
    char *data; /* malloc'd, NUL-terminated (keys are UTF-8, may contain NUL) */
    size_t len; /* bytes in data, without the NUL */
} spindle_kv_key;

typedef struct {
    spindle_kv_key *items; /* NULL when count is 0 */
    size_t count;
} spindle_kv_keys;

/* Opens the store named `label` (for example "default"). */
bool spindle_kv_open(const char *label, spindle_kv_store *out, spindle_kv_error *err);
bool spindle_kv_open_n(const char *label, size_t label_len, spindle_kv_store *out, spindle_kv_error *err);

/*
 * Reads a value into a new malloc'd buffer: on success *value is the buffer
 * (never NULL, NUL-terminated one byte past *len) and *len its length.
 * A missing key fails with SPINDLE_KV_ERROR_NO_SUCH_KEY.
 */
bool spindle_kv_get(spindle_kv_store store, const char *key, uint8_t **value, size_t *len,
                    spindle_kv_error *err);
bool spindle_kv_get_n(spindle_kv_store store, const char *key, size_t key_len, uint8_t **value,
                      size_t *len, spindle_kv_error *err);

/*
 * Reads a value into the caller's buffer `buf` of `cap` bytes, like snprintf:
 * on success *len is the value's full length and the first min(*len, cap)
 * bytes are copied.  So `*len > cap` means the buffer was too small and *len
 * is the size needed.  Nothing is NUL-terminated.  `buf` may be NULL when
 * `cap` is 0 (to learn the size; the value is still transferred once).
 */
bool spindle_kv_get_into(spindle_kv_store store, const char *key, void *buf, size_t cap, size_t *len,
                         spindle_kv_error *err);
bool spindle_kv_get_into_n(spindle_kv_store store, const char *key, size_t key_len, void *buf, size_t cap,
                           size_t *len, spindle_kv_error *err);

/* Writes `len` bytes from `value` (may be NULL when len is 0) under `key`. */
bool spindle_kv_set(spindle_kv_store store, const char *key, const void *value, size_t len,
                    spindle_kv_error *err);
bool spindle_kv_set_n(spindle_kv_store store, const char *key, size_t key_len, const void *value, size_t len,
                      spindle_kv_error *err);

/* Deletes `key`.  Deleting a key that does not exist succeeds. */
bool spindle_kv_delete(spindle_kv_store store, const char *key, spindle_kv_error *err);
bool spindle_kv_delete_n(spindle_kv_store store, const char *key, size_t key_len, spindle_kv_error *err);

/* Sets *out to whether `key` exists. */
bool spindle_kv_exists(spindle_kv_store store, const char *key, bool *out, spindle_kv_error *err);
bool spindle_kv_exists_n(spindle_kv_store store, const char *key, size_t key_len, bool *out,
                         spindle_kv_error *err);

/* Lists every key of the store, in the order the host returns them. */
bool spindle_kv_get_keys(spindle_kv_store store, spindle_kv_keys *out, spindle_kv_error *err);

/* Frees the keys and the array, and resets *keys to empty.  NULL is ignored. */
void spindle_kv_keys_free(spindle_kv_keys *keys);

/* Closes a handle.  Closing an unknown or closed handle does nothing. */
void spindle_kv_close(spindle_kv_store store);

/*
 * A text for the error: the host's message for SPINDLE_KV_ERROR_IO, else a
 * static text per tag ("no such key", ...).  Valid until spindle_kv_error_free.
 */
const char *spindle_kv_error_text(const spindle_kv_error *err);

/* Frees the message (if any) and resets *err to SPINDLE_KV_ERROR_INIT.  NULL is ignored. */
void spindle_kv_error_free(spindle_kv_error *err);

/*
 * Raw ABI.  These are the imports themselves, exactly as the host defines
 * them; every pointer is an offset into this module's memory.  All but close
 * write their result to `ret`, a 16-byte, 4-aligned area:
 *   +0 u8 0 = ok, 1 = err
 *   ok:  +4 u32 handle (open) | +4 ptr, +8 len (get: bytes; get-keys: array
 *        of len {ptr,len} string pairs) | +4 u8 bool (exists) | nothing
 *   err: +4 u8 tag (0-5); for io (5) +8 ptr, +12 len of the message
 * Result memory is allocated by the host through canonical_abi_realloc and
 * belongs to the guest.  Prefer the functions above, which validate input
 * and take over that memory for you.
 */
/* The import module: Spin 1.x core modules import "key-value"; a component built from the same code
 * (-DSPINDLE_HTTP_COMPONENT) imports the same functions, with the same Canonical ABI, from the unversioned
 * fermyon:spin/key-value interface. */
#ifndef SPINDLE_KV_MODULE
#ifdef SPINDLE_HTTP_COMPONENT
#define SPINDLE_KV_MODULE "fermyon:spin/key-value"
#else
#define SPINDLE_KV_MODULE "key-value"
#endif
#endif

__attribute__((import_module(SPINDLE_KV_MODULE), import_name("open")))
void spindle_kv_raw_open(uint32_t name_ptr, uint32_t name_len, uint32_t ret);
__attribute__((import_module(SPINDLE_KV_MODULE), import_name("get")))
void spindle_kv_raw_get(uint32_t store, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
__attribute__((import_module(SPINDLE_KV_MODULE), import_name("set")))
void spindle_kv_raw_set(uint32_t store, uint32_t key_ptr, uint32_t key_len, uint32_t value_ptr,
                        uint32_t value_len, uint32_t ret);
__attribute__((import_module(SPINDLE_KV_MODULE), import_name("delete")))
void spindle_kv_raw_delete(uint32_t store, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
__attribute__((import_module(SPINDLE_KV_MODULE), import_name("exists")))
void spindle_kv_raw_exists(uint32_t store, uint32_t key_ptr, uint32_t key_len, uint32_t ret);
__attribute__((import_module(SPINDLE_KV_MODULE), import_name("get-keys")))
void spindle_kv_raw_get_keys(uint32_t store, uint32_t ret);
__attribute__((import_module(SPINDLE_KV_MODULE), import_name("close")))
void spindle_kv_raw_close(uint32_t store);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_KV_H */
