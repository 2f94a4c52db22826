/*
 * spindle_cabi.h - what the component SDK files (spindle_kv2.c,
 * spindle_wasi_kv.c) share: owned string types and the Canonical ABI helpers
 * that take over memory the host allocated.
 *
 * Component Model rules this SDK relies on (wasm32, CanonicalABI.md):
 * - Strings and lists the guest passes to an import stay the guest's; the
 *   host only reads them during the call.
 * - Strings and lists an import returns were allocated by the host through
 *   this module's `cabi_realloc` (spindle_http.c built with
 *   -DSPINDLE_HTTP_COMPONENT) and belong to the guest.  A non-zero size is
 *   plain malloc memory; a zero size is a dangling pointer that owns nothing
 *   (never freed, never read).
 * - Results with more than one flat value come back through a return area the
 *   guest passes as the last parameter.
 */
#ifndef SPINDLE_CABI_H
#define SPINDLE_CABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An owned byte string: malloc'd, with a NUL byte after its last byte (not counted in len). */
typedef struct {
    char *data;
    size_t len;
} spindle_string;

/* An owned array of owned strings; items is NULL when count is 0. */
typedef struct {
    spindle_string *items;
    size_t count;
} spindle_strings;

/* Borrowed bytes (a key, a value) passed to the host; the layout of a Canonical ABI string or list<u8>. */
typedef struct {
    const void *ptr; /* may be NULL when len is 0 */
    size_t len;
} spindle_bytes_ref;

/* Frees every string and the array, and resets *strings to empty.  NULL is ignored. */
void spindle_strings_free(spindle_strings *strings);

/* ---- internal to the SDK ------------------------------------------------ */

#define SPINDLE_ADDR(p) ((uint32_t)(uintptr_t)(p))
#define SPINDLE_PTR(a) ((void *)(uintptr_t)(a))

/* A return area for any import of the SDK: 8-aligned (results holding an s64 need it), 32 bytes. */
typedef struct {
    _Alignas(8) uint8_t bytes[32];
} spindle_cabi_area;

/* Fills the area with 0xFF, a discriminant no import writes, so a host that wrote nothing traps the guest. */
void spindle_cabi_area_reset(spindle_cabi_area *area);
uint32_t spindle_cabi_u32(const spindle_cabi_area *area, size_t offset);
int64_t spindle_cabi_s64(const spindle_cabi_area *area, size_t offset);
/* A discriminant or bool at `offset` that must be below `limit`; anything else traps (the host broke the ABI). */
uint8_t spindle_cabi_tag(const spindle_cabi_area *area, size_t offset, uint8_t limit);

/* Strict UTF-8 (RFC 3629): the host traps the instance on anything else in a string. */
bool spindle_cabi_valid_utf8(const char *s, size_t len);

/* Takes over `len` host-allocated bytes at `addr` as a malloc'd buffer with a NUL after them (traps on OOM). */
char *spindle_cabi_take_bytes(uint32_t addr, uint32_t len);
/* Frees a host allocation of `size` bytes (nothing for size 0). */
void spindle_cabi_release(uint32_t addr, uint32_t size);
/* Takes over a host-allocated list<string> (`count` {ptr, len} pairs at `addr`) into *out. */
void spindle_cabi_take_strings(uint32_t addr, uint32_t count, spindle_strings *out);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_CABI_H */
