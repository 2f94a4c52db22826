/*
 * spindle_variables.h - C guest API for Spin 2's `fermyon:spin/variables@2.0.0`,
 * for components (see sdk/c/README.md, "Components").
 *
 * A component reads the variables of its manifest entry
 * ([component.<id>.variables] in spin.toml), each resolved from the
 * application's [variables] when the app starts.
 *
 * spindle_variables_get returns true and fills *value (malloc'd,
 * NUL-terminated one byte past value->len; free value->data) on success, and
 * false with *err filled (free it with spindle_variables_error_free) when the
 * name is invalid, undefined, or the host failed.  A name that is not valid
 * UTF-8 is refused by the SDK without calling the host
 * (SPINDLE_VARIABLES_ERROR_INVALID_ARGUMENT).
 *
 * Link spindle_cabi.c and a file that exports `cabi_realloc`
 * (spindle_http.c built with -DSPINDLE_HTTP_COMPONENT, or spindle_wasi_http.c).
 */
#ifndef SPINDLE_VARIABLES_H
#define SPINDLE_VARIABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spindle_cabi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error tags.  0-3 are the cases of the WIT `error` variant, in order; each carries a message. */
enum {
    SPINDLE_VARIABLES_ERROR_INVALID_NAME = 0, /* the name breaks Spin's naming rule */
    SPINDLE_VARIABLES_ERROR_UNDEFINED = 1,    /* the component has no such variable */
    SPINDLE_VARIABLES_ERROR_PROVIDER = 2,     /* the value's source failed */
    SPINDLE_VARIABLES_ERROR_OTHER = 3,
    /* SDK only: the name was not valid UTF-8, so the host was not called. */
    SPINDLE_VARIABLES_ERROR_INVALID_ARGUMENT = 255
};

typedef struct {
    uint8_t tag;          /* one of SPINDLE_VARIABLES_ERROR_* */
    spindle_string message; /* the host's message (empty for INVALID_ARGUMENT) */
} spindle_variables_error;

bool spindle_variables_get(const char *name, size_t name_len, spindle_string *value, spindle_variables_error *err);

/* Frees the message and empties *err.  NULL is ignored. */
void spindle_variables_error_free(spindle_variables_error *err);

/* ---- the raw import ----------------------------------------------------- */

__attribute__((import_module("fermyon:spin/variables@2.0.0"), import_name("get")))
void spindle_variables_raw_get(uint32_t name_ptr, uint32_t name_len, uint32_t ret);

#ifdef __cplusplus
}
#endif

#endif
