/*
 * spindle_cabi.c - Canonical ABI helpers shared by the component SDK files.
 */
#include "spindle_cabi.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) == 4 && sizeof(size_t) == 4, "spindle_cabi.c targets wasm32");
/* list<string> elements are {u32 ptr, u32 len}; spindle_string is used in place. */
_Static_assert(sizeof(spindle_string) == 8 && offsetof(spindle_string, len) == 4,
               "spindle_string must match the Canonical ABI's string layout");

_Static_assert(sizeof(spindle_bytes_ref) == 8 && offsetof(spindle_bytes_ref, len) == 4,
               "spindle_bytes_ref must match the Canonical ABI's string layout");

void spindle_cabi_area_reset(spindle_cabi_area *area) {
    memset(area->bytes, 0xFF, sizeof area->bytes);
}

uint32_t spindle_cabi_u32(const spindle_cabi_area *area, size_t offset) {
    uint32_t v;
    memcpy(&v, area->bytes + offset, sizeof v);
    return v;
}

int64_t spindle_cabi_s64(const spindle_cabi_area *area, size_t offset) {
    int64_t v;
    memcpy(&v, area->bytes + offset, sizeof v);
    return v;
}

uint8_t spindle_cabi_tag(const spindle_cabi_area *area, size_t offset, uint8_t limit) {
    uint8_t tag = area->bytes[offset];
    if (tag >= limit) {
        __builtin_trap();
    }
    return tag;
}

bool spindle_cabi_valid_utf8(const char *text, size_t len) {
    const uint8_t *s = (const uint8_t *)text;
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
        if (len - i <= extra || s[i + 1] < lo || s[i + 1] > hi) {
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

char *spindle_cabi_take_bytes(uint32_t addr, uint32_t len) {
    char *buf = len == 0 ? malloc(1) : realloc(SPINDLE_PTR(addr), (size_t)len + 1);
    if (buf == NULL) {
        __builtin_trap();
    }
    buf[len] = '\0';
    return buf;
}

void spindle_cabi_release(uint32_t addr, uint32_t size) {
    if (size != 0) {
        free(SPINDLE_PTR(addr));
    }
}

void spindle_cabi_take_strings(uint32_t addr, uint32_t count, spindle_strings *out) {
    if (count == 0) {
        out->items = NULL; /* the array was a zero-size allocation */
        out->count = 0;
        return;
    }
    /* The host's array of {ptr, len} pairs becomes the spindle_string array in place. */
    spindle_string *items = SPINDLE_PTR(addr);
    for (uint32_t i = 0; i < count; i++) {
        items[i].data = spindle_cabi_take_bytes(SPINDLE_ADDR(items[i].data), (uint32_t)items[i].len);
    }
    out->items = items;
    out->count = count;
}

void spindle_strings_free(spindle_strings *strings) {
    if (strings == NULL) {
        return;
    }
    for (size_t i = 0; i < strings->count; i++) {
        free(strings->items[i].data);
    }
    free(strings->items);
    strings->items = NULL;
    strings->count = 0;
}
