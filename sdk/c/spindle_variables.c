/*
 * spindle_variables.c - the `fermyon:spin/variables@2.0.0` import behind
 * spindle_variables.h, with the Canonical ABI lowered by hand.
 *
 * Layout (CanonicalABI.md, wasm32): `result<string, error>` has its
 * discriminant at +0 and its payload at +4: the string (ptr, len) for ok; for
 * err the `error` variant, a u8 case at +4 and its string (ptr, len) at +8.
 * 16 bytes in all, passed as the last parameter because the result flattens
 * to more than one value.
 */
#include "spindle_variables.h"

#include <stdlib.h>

#define ERROR_CASES 4

static spindle_string take_string(const spindle_cabi_area *r, size_t at) {
    uint32_t len = spindle_cabi_u32(r, at + 4);
    spindle_string s = {spindle_cabi_take_bytes(spindle_cabi_u32(r, at), len), len};
    return s;
}

bool spindle_variables_get(const char *name, size_t name_len, spindle_string *value, spindle_variables_error *err) {
    if (name_len > 0 && !spindle_cabi_valid_utf8(name, name_len)) {
        if (err != NULL) {
            err->tag = SPINDLE_VARIABLES_ERROR_INVALID_ARGUMENT;
            err->message.data = NULL;
            err->message.len = 0;
        }
        return false;
    }
    spindle_cabi_area r;
    spindle_cabi_area_reset(&r);
    spindle_variables_raw_get(SPINDLE_ADDR(name), (uint32_t)name_len, SPINDLE_ADDR(&r));
    if (spindle_cabi_tag(&r, 0, 2) == 0) {
        *value = take_string(&r, 4);
        return true;
    }
    uint8_t tag = spindle_cabi_tag(&r, 4, ERROR_CASES);
    spindle_string message = take_string(&r, 8);
    if (err != NULL) {
        err->tag = tag;
        err->message = message;
    } else {
        free(message.data);
    }
    return false;
}

void spindle_variables_error_free(spindle_variables_error *err) {
    if (err != NULL) {
        free(err->message.data);
        err->message.data = NULL;
        err->message.len = 0;
    }
}
