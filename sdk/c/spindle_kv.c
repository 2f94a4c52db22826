/*
 * spindle_kv.c - the `key-value` imports behind the API of spindle_kv.h.
 *
 * Layout facts this file relies on (wasm32): pointers and size_t are 32 bits,
 * memory is little-endian, and memory the host allocates through this
 * module's canonical_abi_realloc (spindle_http.c) is plain malloc memory when
 * its size is not 0.  A zero-size allocation is a dangling pointer that must
 * never be freed or read.
 */
#include "spindle_kv.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) == 4 && sizeof(size_t) == 4, "spindle_kv.c targets wasm32");
/* get-keys hands back an array of {u32 ptr, u32 len}; spindle_kv_key is used in place. */
_Static_assert(sizeof(spindle_kv_key) == 8 && offsetof(spindle_kv_key, len) == 4,
               "spindle_kv_key must match the host's string pair layout");

/* The 16-byte, 4-aligned area every import but close writes its result to. */
typedef struct {
    _Alignas(4) uint8_t bytes[16];
} kv_result;

#define ADDR(p) ((uint32_t)(uintptr_t)(p))
#define PTR(a) ((void *)(uintptr_t)(a))

static void result_reset(kv_result *r) {
    /* 0xFF is neither ok nor err: if a buggy host wrote nothing, we trap
     * instead of reading a stale success. */
    memset(r->bytes, 0xFF, sizeof r->bytes);
}

static uint32_t result_u32(const kv_result *r, size_t offset) {
    uint32_t v;
    memcpy(&v, r->bytes + offset, sizeof v);
    return v;
}

/*
 * Takes over `len` bytes the host allocated at `addr` and returns them as a
 * malloc'd buffer with a NUL byte after them.
 */
static char *take_bytes(uint32_t addr, uint32_t len) {
    char *buf;
    if (len == 0) {
        buf = malloc(1); /* the host's allocation was zero-size: nothing to free */
    } else {
        buf = realloc(PTR(addr), (size_t)len + 1);
    }
    if (buf == NULL) {
        __builtin_trap();
    }
    buf[len] = '\0';
    return buf;
}

static void release_bytes(uint32_t addr, uint32_t len) {
    if (len != 0) {
        free(PTR(addr));
    }
}

/* Returns true for ok; for err fills *err (or drops it) and returns false. */
static bool result_ok(const kv_result *r, spindle_kv_error *err) {
    uint8_t discriminant = r->bytes[0];
    if (discriminant == 0) {
        return true;
    }
    if (discriminant != 1) {
        __builtin_trap(); /* not a result<_, error>: the host broke the ABI */
    }
    uint8_t tag = r->bytes[4];
    if (tag > SPINDLE_KV_ERROR_IO) {
        __builtin_trap();
    }
    char *message = NULL;
    size_t message_len = 0;
    if (tag == SPINDLE_KV_ERROR_IO) {
        message_len = result_u32(r, 12);
        message = take_bytes(result_u32(r, 8), (uint32_t)message_len);
    }
    if (err != NULL) {
        err->tag = tag;
        err->message = message;
        err->message_len = message_len;
    } else {
        free(message);
    }
    return false;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t extra;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (b >= 0xC2 && b <= 0xDF) {
            extra = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            extra = 2;
            if (b == 0xE0) lo = 0xA0;
            if (b == 0xED) hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            extra = 3;
            if (b == 0xF0) lo = 0x90;
            if (b == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (len - i <= extra) {
            return false;
        }
        if (s[i + 1] < lo || s[i + 1] > hi) {
            return false;
        }
        for (size_t k = 2; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

static bool check_text(const char *text, size_t len, spindle_kv_error *err) {
    if (len == 0 || valid_utf8((const uint8_t *)text, len)) {
        return true;
    }
    if (err != NULL) {
        err->tag = SPINDLE_KV_ERROR_INVALID_ARGUMENT;
        err->message = NULL;
        err->message_len = 0;
    }
    return false;
}

static size_t text_len(const char *text) {
    return text == NULL ? 0 : strlen(text);
}

bool spindle_kv_open_n(const char *label, size_t label_len, spindle_kv_store *out, spindle_kv_error *err) {
    if (!check_text(label, label_len, err)) {
        return false;
    }
    kv_result r;
    result_reset(&r);
    spindle_kv_raw_open(ADDR(label), label_len, ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *out = result_u32(&r, 4);
    return true;
}

bool spindle_kv_open(const char *label, spindle_kv_store *out, spindle_kv_error *err) {
    return spindle_kv_open_n(label, text_len(label), out, err);
}

/* Calls get; on success *addr and *len describe the host's allocation, now ours. */
static bool raw_get(spindle_kv_store store, const char *key, size_t key_len, uint32_t *addr, uint32_t *len,
                    spindle_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    kv_result r;
    result_reset(&r);
    spindle_kv_raw_get(store, ADDR(key), key_len, ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *addr = result_u32(&r, 4);
    *len = result_u32(&r, 8);
    return true;
}

bool spindle_kv_get_n(spindle_kv_store store, const char *key, size_t key_len, uint8_t **value, size_t *len,
                      spindle_kv_error *err) {
    uint32_t addr, n;
    if (!raw_get(store, key, key_len, &addr, &n, err)) {
        return false;
    }
    *value = (uint8_t *)take_bytes(addr, n);
    *len = n;
    return true;
}

bool spindle_kv_get(spindle_kv_store store, const char *key, uint8_t **value, size_t *len,
                    spindle_kv_error *err) {
    return spindle_kv_get_n(store, key, text_len(key), value, len, err);
}

bool spindle_kv_get_into_n(spindle_kv_store store, const char *key, size_t key_len, void *buf, size_t cap,
                           size_t *len, spindle_kv_error *err) {
    uint32_t addr, n;
    if (!raw_get(store, key, key_len, &addr, &n, err)) {
        return false;
    }
    size_t copy = n < cap ? n : cap;
    if (copy != 0) {
        memcpy(buf, PTR(addr), copy);
    }
    release_bytes(addr, n);
    *len = n;
    return true;
}

bool spindle_kv_get_into(spindle_kv_store store, const char *key, void *buf, size_t cap, size_t *len,
                         spindle_kv_error *err) {
    return spindle_kv_get_into_n(store, key, text_len(key), buf, cap, len, err);
}

bool spindle_kv_set_n(spindle_kv_store store, const char *key, size_t key_len, const void *value, size_t len,
                      spindle_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    kv_result r;
    result_reset(&r);
    spindle_kv_raw_set(store, ADDR(key), key_len, ADDR(value), len, ADDR(&r));
    return result_ok(&r, err);
}

bool spindle_kv_set(spindle_kv_store store, const char *key, const void *value, size_t len,
                    spindle_kv_error *err) {
    return spindle_kv_set_n(store, key, text_len(key), value, len, err);
}

bool spindle_kv_delete_n(spindle_kv_store store, const char *key, size_t key_len, spindle_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    kv_result r;
    result_reset(&r);
    spindle_kv_raw_delete(store, ADDR(key), key_len, ADDR(&r));
    return result_ok(&r, err);
}

bool spindle_kv_delete(spindle_kv_store store, const char *key, spindle_kv_error *err) {
    return spindle_kv_delete_n(store, key, text_len(key), err);
}

bool spindle_kv_exists_n(spindle_kv_store store, const char *key, size_t key_len, bool *out,
                         spindle_kv_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    kv_result r;
    result_reset(&r);
    spindle_kv_raw_exists(store, ADDR(key), key_len, ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    uint8_t flag = r.bytes[4];
    if (flag > 1) {
        __builtin_trap(); /* not a bool */
    }
    *out = flag == 1;
    return true;
}

bool spindle_kv_exists(spindle_kv_store store, const char *key, bool *out, spindle_kv_error *err) {
    return spindle_kv_exists_n(store, key, text_len(key), out, err);
}

bool spindle_kv_get_keys(spindle_kv_store store, spindle_kv_keys *out, spindle_kv_error *err) {
    kv_result r;
    result_reset(&r);
    spindle_kv_raw_get_keys(store, ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    uint32_t count = result_u32(&r, 8);
    if (count == 0) {
        out->items = NULL; /* the array was a zero-size allocation */
        out->count = 0;
        return true;
    }
    /* The host's array of {ptr, len} pairs becomes our spindle_kv_key array in
     * place; each string is moved into a NUL-terminated buffer. */
    spindle_kv_key *items = PTR(result_u32(&r, 4));
    for (uint32_t i = 0; i < count; i++) {
        items[i].data = take_bytes(ADDR(items[i].data), (uint32_t)items[i].len);
    }
    out->items = items;
    out->count = count;
    return true;
}

void spindle_kv_keys_free(spindle_kv_keys *keys) {
    if (keys == NULL) {
        return;
    }
    for (size_t i = 0; i < keys->count; i++) {
        free(keys->items[i].data);
    }
    free(keys->items);
    keys->items = NULL;
    keys->count = 0;
}

void spindle_kv_close(spindle_kv_store store) {
    spindle_kv_raw_close(store);
}

const char *spindle_kv_error_text(const spindle_kv_error *err) {
    if (err == NULL) {
        return "no error";
    }
    switch (err->tag) {
    case SPINDLE_KV_ERROR_STORE_TABLE_FULL:
        return "store table full";
    case SPINDLE_KV_ERROR_NO_SUCH_STORE:
        return "no such store";
    case SPINDLE_KV_ERROR_ACCESS_DENIED:
        return "access denied";
    case SPINDLE_KV_ERROR_INVALID_STORE:
        return "invalid store";
    case SPINDLE_KV_ERROR_NO_SUCH_KEY:
        return "no such key";
    case SPINDLE_KV_ERROR_IO:
        return err->message != NULL ? err->message : "io error";
    case SPINDLE_KV_ERROR_INVALID_ARGUMENT:
        return "invalid argument: key or label is not valid UTF-8";
    default:
        return "unknown error";
    }
}

void spindle_kv_error_free(spindle_kv_error *err) {
    if (err == NULL) {
        return;
    }
    free(err->message);
    err->tag = 0;
    err->message = NULL;
    err->message_len = 0;
}
