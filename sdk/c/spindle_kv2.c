/*
 * spindle_kv2.c - the `fermyon:spin/key-value@2.0.0` imports behind the API of
 * spindle_kv2.h, with the Canonical ABI lowered by hand.
 *
 * Layouts (CanonicalABI.md, wasm32): `error` is a variant of 4 cases: u8
 * discriminant, payload (string: ptr, len) at +4, size 12, align 4.  Every
 * result here is `result<T, error>` with T of at most 12 bytes and align 4:
 * discriminant at +0, payload at +4, 16 bytes in all, passed as the last
 * parameter because the result flattens to more than one value.
 */
#include "spindle_kv2.h"

#include <stdlib.h>
#include <string.h>

#define ERROR_CASES 4

static bool check_text(const char *text, size_t len, spindle_kv2_error *err) {
    if (len == 0 || spindle_cabi_valid_utf8(text, len)) {
        return true;
    }
    if (err != NULL) {
        err->tag = SPINDLE_KV2_ERROR_INVALID_ARGUMENT;
        err->message = NULL;
        err->message_len = 0;
    }
    return false;
}

static size_t text_len(const char *text) {
    return text == NULL ? 0 : strlen(text);
}

/* Returns true for ok; for err takes over the error (into *err or freed) and returns false. */
static bool result_ok(const spindle_cabi_area *r, spindle_kv2_error *err) {
    if (spindle_cabi_tag(r, 0, 2) == 0) {
        return true;
    }
    uint8_t tag = spindle_cabi_tag(r, 4, ERROR_CASES);
    char *message = NULL;
    size_t message_len = 0;
    if (tag == SPINDLE_KV2_ERROR_OTHER) {
        message_len = spindle_cabi_u32(r, 12);
        message = spindle_cabi_take_bytes(spindle_cabi_u32(r, 8), (uint32_t)message_len);
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

bool spindle_kv2_open_n(const char *label, size_t label_len, spindle_kv2_store *out, spindle_kv2_error *err) {
    if (!check_text(label, label_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_kv2_raw_open(SPINDLE_ADDR(label), label_len, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *out = spindle_cabi_u32(&r, 4);
    return true;
}

bool spindle_kv2_open(const char *label, spindle_kv2_store *out, spindle_kv2_error *err) {
    return spindle_kv2_open_n(label, text_len(label), out, err);
}

bool spindle_kv2_get_n(spindle_kv2_store store, const char *key, size_t key_len, bool *found, uint8_t **value,
                       size_t *len, spindle_kv2_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_kv2_raw_get(store, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *found = spindle_cabi_tag(&r, 4, 2) == 1;
    if (*found) {
        uint32_t n = spindle_cabi_u32(&r, 12);
        *value = (uint8_t *)spindle_cabi_take_bytes(spindle_cabi_u32(&r, 8), n);
        *len = n;
    } else {
        *value = NULL;
        *len = 0;
    }
    return true;
}

bool spindle_kv2_get(spindle_kv2_store store, const char *key, bool *found, uint8_t **value, size_t *len,
                     spindle_kv2_error *err) {
    return spindle_kv2_get_n(store, key, text_len(key), found, value, len, err);
}

bool spindle_kv2_set_n(spindle_kv2_store store, const char *key, size_t key_len, const void *value, size_t len,
                       spindle_kv2_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_kv2_raw_set(store, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(value), len, SPINDLE_ADDR(&r));
    return result_ok(&r, err);
}

bool spindle_kv2_set(spindle_kv2_store store, const char *key, const void *value, size_t len,
                     spindle_kv2_error *err) {
    return spindle_kv2_set_n(store, key, text_len(key), value, len, err);
}

bool spindle_kv2_delete_n(spindle_kv2_store store, const char *key, size_t key_len, spindle_kv2_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_kv2_raw_delete(store, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(&r));
    return result_ok(&r, err);
}

bool spindle_kv2_delete(spindle_kv2_store store, const char *key, spindle_kv2_error *err) {
    return spindle_kv2_delete_n(store, key, text_len(key), err);
}

bool spindle_kv2_exists_n(spindle_kv2_store store, const char *key, size_t key_len, bool *out,
                          spindle_kv2_error *err) {
    if (!check_text(key, key_len, err)) {
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_kv2_raw_exists(store, SPINDLE_ADDR(key), key_len, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    *out = spindle_cabi_tag(&r, 4, 2) == 1;
    return true;
}

bool spindle_kv2_exists(spindle_kv2_store store, const char *key, bool *out, spindle_kv2_error *err) {
    return spindle_kv2_exists_n(store, key, text_len(key), out, err);
}

bool spindle_kv2_get_keys(spindle_kv2_store store, spindle_strings *out, spindle_kv2_error *err) {
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_kv2_raw_get_keys(store, SPINDLE_ADDR(&r));
    if (!result_ok(&r, err)) {
        return false;
    }
    spindle_cabi_take_strings(spindle_cabi_u32(&r, 4), spindle_cabi_u32(&r, 8), out);
    return true;
}

void spindle_kv2_close(spindle_kv2_store store) {
    spindle_kv2_raw_drop(store);
}

const char *spindle_kv2_error_text(const spindle_kv2_error *err) {
    if (err == NULL) {
        return "no error";
    }
    switch (err->tag) {
    case SPINDLE_KV2_ERROR_STORE_TABLE_FULL:
        return "store table full";
    case SPINDLE_KV2_ERROR_NO_SUCH_STORE:
        return "no such store";
    case SPINDLE_KV2_ERROR_ACCESS_DENIED:
        return "access denied";
    case SPINDLE_KV2_ERROR_OTHER:
        return err->message != NULL ? err->message : "other error";
    case SPINDLE_KV2_ERROR_INVALID_ARGUMENT:
        return "invalid argument: key or label is not valid UTF-8";
    default:
        return "unknown error";
    }
}

void spindle_kv2_error_free(spindle_kv2_error *err) {
    if (err == NULL) {
        return;
    }
    free(err->message);
    err->tag = 0;
    err->message = NULL;
    err->message_len = 0;
}
