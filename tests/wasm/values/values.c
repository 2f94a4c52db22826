/*
 * values: a component exporting `spindle:test/values`
 * (wit/deps/spindle-test/values.wit), functions over every value type, for a
 * differential test of a host's Canonical ABI.  Written in C with the
 * Canonical ABI lifted and lowered by hand; no SDK, no imports.
 *
 * Export conventions (CanonicalABI.md, `canon lift`):
 * - each function is the core export "spindle:test/values#<name>" with its
 *   flattened parameters; more than 16 flat parameters come as one pointer to
 *   a tuple of them in memory, which the host allocated with cabi_realloc;
 * - more than one flat result: the function returns the address of a return
 *   area (one static area here) and the host reads the results from memory;
 * - strings and lists the host passes in were allocated with cabi_realloc and
 *   belong to the guest; what a result points to stays the guest's until the
 *   host calls "cabi_post_spindle:test/values#<name>", which frees it.
 * Every allocation a result holds is recorded in `pending` and freed by the
 * post-return function.  Each function's layout is written next to it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) == 4, "values.c targets wasm32");

#define ADDR(p) ((uint32_t)(uintptr_t)(p))
#define PTR(a) ((void *)(uintptr_t)(a))
#define EXPORT(name) __attribute__((export_name("spindle:test/values#" name)))
#define POST_RETURN(name) __attribute__((export_name("cabi_post_spindle:test/values#" name)))

/* ---- memory ------------------------------------------------------------- */

/* Non-zero sizes are malloc memory; a zero size is a non-NULL pointer (== align) that owns nothing. */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size) {
    if (align == 0 || (align & (align - 1)) != 0 || align > 16) {
        __builtin_trap();
    }
    if (new_size == 0) {
        if (old_size != 0) {
            free(old_ptr);
        }
        return (void *)align;
    }
    void *p = old_size == 0 ? malloc(new_size) : realloc(old_ptr, new_size);
    if (p == NULL) {
        __builtin_trap(); /* returning 0 would let the host write over address 0 */
    }
    return p;
}

static void release(uint32_t addr, uint32_t size) {
    if (size != 0) {
        free(PTR(addr));
    }
}

static void *must_malloc(size_t n) {
    void *p = malloc(n != 0 ? n : 1);
    if (p == NULL) {
        __builtin_trap();
    }
    return p;
}

/* Allocations the last result points to, freed by its post-return function. */
static void **pending;
static size_t pending_count, pending_cap;

static void keep(uint32_t addr, uint32_t size) {
    if (size == 0) {
        return;
    }
    if (pending_count == pending_cap) {
        pending_cap = pending_cap == 0 ? 16 : pending_cap * 2;
        pending = realloc(pending, pending_cap * sizeof *pending);
        if (pending == NULL) {
            __builtin_trap();
        }
    }
    pending[pending_count++] = PTR(addr);
}

static void free_pending(void) {
    for (size_t i = 0; i < pending_count; i++) {
        free(pending[i]);
    }
    pending_count = 0;
}

/* The return area of every function with more than one flat result (the largest, `mixed`, is 48 bytes). */
static _Alignas(8) uint8_t ret[48];

static void put8(size_t at, uint8_t v) { ret[at] = v; }
static void put32(size_t at, uint32_t v) { memcpy(ret + at, &v, 4); }
static void put64(size_t at, uint64_t v) { memcpy(ret + at, &v, 8); }
static void putf32(size_t at, float v) { memcpy(ret + at, &v, 4); }
static void putf64(size_t at, double v) { memcpy(ret + at, &v, 8); }

static uint32_t result_area(size_t size) {
    memset(ret, 0, size);
    return ADDR(ret);
}

/* ---- value helpers ------------------------------------------------------ */

static float f32_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static double f64_from_bits(uint64_t bits) {
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static uint32_t next_char(uint32_t c) {
    if (c == 0x10FFFF) return 0;
    if (c == 0xD7FF) return 0xE000;
    return c + 1;
}

/* Length of the UTF-8 sequence starting with `lead` (the host passes valid UTF-8 only). */
static size_t utf8_len(uint8_t lead) {
    if (lead < 0x80) return 1;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    return 4;
}

/* A new allocation with the code points of s in reverse order. */
static uint8_t *reverse_utf8(const uint8_t *s, size_t len) {
    uint8_t *out = must_malloc(len);
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_len(s[i]);
        if (n > len - i) {
            __builtin_trap();
        }
        memcpy(out + len - i - n, s + i, n);
        i += n;
    }
    return out;
}

/* Reverses string (ptr, len) by code points: frees the input, returns the new address (kept for post-return). */
static uint32_t reversed_string(uint32_t ptr, uint32_t len) {
    if (len == 0) {
        return ptr; /* a zero-size allocation owns nothing */
    }
    uint8_t *out = reverse_utf8(PTR(ptr), len);
    release(ptr, len);
    keep(ADDR(out), len);
    return ADDR(out);
}

/* ---- scalars: one flat value in, one out -------------------------------- */

EXPORT("nothing") void values_nothing(void) {}
EXPORT("negate-bool") uint32_t values_negate_bool(uint32_t x) { return x == 0; }
EXPORT("inc-s8") int32_t values_inc_s8(int32_t x) { return (int8_t)((uint8_t)x + 1); }
EXPORT("inc-u8") uint32_t values_inc_u8(uint32_t x) { return (uint8_t)(x + 1); }
EXPORT("inc-s16") int32_t values_inc_s16(int32_t x) { return (int16_t)((uint16_t)x + 1); }
EXPORT("inc-u16") uint32_t values_inc_u16(uint32_t x) { return (uint16_t)(x + 1); }
EXPORT("inc-s32") int32_t values_inc_s32(int32_t x) { return (int32_t)((uint32_t)x + 1); }
EXPORT("inc-u32") uint32_t values_inc_u32(uint32_t x) { return x + 1; }
EXPORT("inc-s64") int64_t values_inc_s64(int64_t x) { return (int64_t)((uint64_t)x + 1); }
EXPORT("inc-u64") uint64_t values_inc_u64(uint64_t x) { return x + 1; }
EXPORT("negate-f32") float values_negate_f32(float x) { return -x; }
EXPORT("negate-f64") double values_negate_f64(double x) { return -x; }
EXPORT("next-char") uint32_t values_next_char(uint32_t c) { return next_char(c); }
/* enum color: the discriminant. */
EXPORT("next-color") uint32_t values_next_color(uint32_t c) { return (c + 1) % 3; }
/* result (no payloads): the discriminant, 0 ok, 1 err. */
EXPORT("flip-bare-result") uint32_t values_flip_bare_result(uint32_t r) { return r == 0 ? 1 : 0; }
/* flags: one i32 of bits, flag i = bit i. */
EXPORT("invert-flags1") uint32_t values_invert_flags1(uint32_t f) { return ~f & 0x1u; }
EXPORT("invert-flags8") uint32_t values_invert_flags8(uint32_t f) { return ~f & 0xFFu; }
EXPORT("invert-flags9") uint32_t values_invert_flags9(uint32_t f) { return ~f & 0x1FFu; }
EXPORT("invert-flags32") uint32_t values_invert_flags32(uint32_t f) { return ~f; }

/* 16 flat parameters: still passed as values. */
EXPORT("sum16")
uint32_t values_sum16(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5, uint32_t a6,
                      uint32_t a7, uint32_t a8, uint32_t a9, uint32_t a10, uint32_t a11, uint32_t a12, uint32_t a13,
                      uint32_t a14, uint32_t a15) {
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
}

/* ---- strings and lists: (ptr, len) in, return area {ptr @0, len @4} out -- */

EXPORT("reverse-string") uint32_t values_reverse_string(uint32_t ptr, uint32_t len) {
    uint32_t out = reversed_string(ptr, len);
    uint32_t area = result_area(8);
    put32(0, out);
    put32(4, len);
    return area;
}

EXPORT("reverse-bytes") uint32_t values_reverse_bytes(uint32_t ptr, uint32_t len) {
    uint8_t *b = PTR(ptr);
    for (uint32_t i = 0; i < len / 2; i++) {
        uint8_t t = b[i];
        b[i] = b[len - 1 - i];
        b[len - 1 - i] = t;
    }
    keep(ptr, len); /* reversed in place: the host's allocation is the result */
    uint32_t area = result_area(8);
    put32(0, ptr);
    put32(4, len);
    return area;
}

/* list<string>: elements {ptr @0, len @4}, 8 bytes; reversed in place, strings unchanged. */
EXPORT("reverse-strings") uint32_t values_reverse_strings(uint32_t ptr, uint32_t len) {
    uint64_t *e = PTR(ptr); /* one 8-byte {ptr, len} element each */
    for (uint32_t i = 0; i < len / 2; i++) {
        uint64_t t = e[i];
        e[i] = e[len - 1 - i];
        e[len - 1 - i] = t;
    }
    const uint32_t *words = PTR(ptr);
    for (uint32_t i = 0; i < len; i++) {
        keep(words[2 * i], words[2 * i + 1]);
    }
    keep(ptr, len * 8);
    uint32_t area = result_area(8);
    put32(0, ptr);
    put32(4, len);
    return area;
}

/* list<list<u32>>: outer elements {ptr, len}; each inner list reversed in place. */
EXPORT("reverse-inner") uint32_t values_reverse_inner(uint32_t ptr, uint32_t len) {
    const uint32_t *outer = PTR(ptr);
    for (uint32_t i = 0; i < len; i++) {
        uint32_t *inner = PTR(outer[2 * i]);
        uint32_t n = outer[2 * i + 1];
        for (uint32_t k = 0; k < n / 2; k++) {
            uint32_t t = inner[k];
            inner[k] = inner[n - 1 - k];
            inner[n - 1 - k] = t;
        }
        keep(outer[2 * i], n * 4);
    }
    keep(ptr, len * 8);
    uint32_t area = result_area(8);
    put32(0, ptr);
    put32(4, len);
    return area;
}

/* ---- records and tuples -------------------------------------------------- */

/* point: (x, y) in; {x @0, y @4} out. */
EXPORT("swap-point") uint32_t values_swap_point(int32_t x, int32_t y) {
    uint32_t area = result_area(8);
    put32(0, (uint32_t)y);
    put32(4, (uint32_t)x);
    return area;
}

/*
 * mixed in memory (size 48, align 8): a u8 @0, b u16 @2, c u32 @4, d u64 @8,
 * e f32 @16, f f64 @24, g bool @32, h char @36, name ptr @40, len @44.
 * Writes the bumped record at `at` (the name is reversed into a new kept allocation).
 */
static void write_bumped_mixed(uint8_t *at, uint32_t a, uint32_t b, uint32_t c, uint64_t d, float e, double f,
                               uint32_t g, uint32_t h, uint32_t name, uint32_t name_len) {
    uint8_t a8 = (uint8_t)(a + 1);
    uint16_t b16 = (uint16_t)(b + 1);
    uint32_t c32 = c + 1, h32 = next_char(h), name_out = reversed_string(name, name_len);
    uint64_t d64 = d + 1;
    float e32 = e + 1.0f;
    double f64 = f + 1.0;
    memset(at, 0, 48);
    at[0] = a8;
    memcpy(at + 2, &b16, 2);
    memcpy(at + 4, &c32, 4);
    memcpy(at + 8, &d64, 8);
    memcpy(at + 16, &e32, 4);
    memcpy(at + 24, &f64, 8);
    at[32] = g == 0;
    memcpy(at + 36, &h32, 4);
    memcpy(at + 40, &name_out, 4);
    memcpy(at + 44, &name_len, 4);
}

/* mixed flattens to 10 values: i32 a, i32 b, i32 c, i64 d, f32 e, f64 f, i32 g, i32 h, i32 ptr, i32 len. */
EXPORT("bump-mixed")
uint32_t values_bump_mixed(uint32_t a, uint32_t b, uint32_t c, uint64_t d, float e, double f, uint32_t g, uint32_t h,
                           uint32_t name, uint32_t name_len) {
    uint32_t area = result_area(48);
    write_bumped_mixed(ret, a, b, c, d, e, f, g, h, name, name_len);
    return area;
}

/* list<mixed>: 48-byte elements, 8-aligned; reversed and bumped in place. */
EXPORT("bump-mixed-list") uint32_t values_bump_mixed_list(uint32_t ptr, uint32_t len) {
    uint8_t *base = PTR(ptr);
    for (uint32_t i = 0; i < len / 2; i++) {
        uint8_t t[48];
        memcpy(t, base + 48 * i, 48);
        memcpy(base + 48 * i, base + 48 * (len - 1 - i), 48);
        memcpy(base + 48 * (len - 1 - i), t, 48);
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t *m = base + 48 * i;
        uint16_t b;
        uint32_t c, h, name, name_len;
        uint64_t d;
        float e;
        double f;
        memcpy(&b, m + 2, 2);
        memcpy(&c, m + 4, 4);
        memcpy(&d, m + 8, 8);
        memcpy(&e, m + 16, 4);
        memcpy(&f, m + 24, 8);
        memcpy(&h, m + 36, 4);
        memcpy(&name, m + 40, 4);
        memcpy(&name_len, m + 44, 4);
        write_bumped_mixed(m, m[0], b, c, d, e, f, m[32], h, name, name_len);
    }
    keep(ptr, len * 48);
    uint32_t area = result_area(8);
    put32(0, ptr);
    put32(4, len);
    return area;
}

/* tuple<u8, string, f64> flattens to (i32, i32 ptr, i32 len, f64); tuple<f64, string, u8> out:
 * f64 @0, string ptr @8, len @12, u8 @16 (size 24, align 8). */
EXPORT("reverse-tuple") uint32_t values_reverse_tuple(uint32_t a, uint32_t s, uint32_t s_len, double c) {
    keep(s, s_len);
    uint32_t area = result_area(24);
    putf64(0, c);
    put32(8, s);
    put32(12, s_len);
    put8(16, (uint8_t)a);
    return area;
}

/* ---- variants, options, results ------------------------------------------- */

/*
 * shape flattens to (i32 case, i64 slot0, i32 slot1): the payloads' flat
 * types joined slot by slot (f32|i32|i64|f64 -> i64; i32 -> i32).  An f32 or
 * f64 payload arrives as its bits in slot0, an i32 in slot0's low 32 bits.
 * Out (size 16, align 8): u8 case @0, payload @8.
 */
EXPORT("bump-shape") uint32_t values_bump_shape(uint32_t tag, uint64_t slot0, uint32_t slot1) {
    uint32_t area = result_area(16);
    put8(0, (uint8_t)tag);
    switch (tag) {
    case 0: /* nothing */
        break;
    case 1: /* circle(f32) */
        putf32(8, -f32_from_bits((uint32_t)slot0));
        break;
    case 2: /* rect(point): x in slot0, y in slot1 */
        put32(8, slot1);
        put32(12, (uint32_t)slot0);
        break;
    case 3: /* label(string): ptr in slot0, len in slot1 */
        put32(8, reversed_string((uint32_t)slot0, slot1));
        put32(12, slot1);
        break;
    case 4: /* big(u64) */
        put64(8, slot0 + 1);
        break;
    case 5: /* ratio(f64) */
        putf64(8, -f64_from_bits(slot0));
        break;
    case 6: /* code(s8) */
        put8(8, (uint8_t)((uint8_t)slot0 + 1));
        break;
    default:
        __builtin_trap(); /* the host lifts only valid cases */
    }
    return area;
}

/* real flattens to (i32 case, i64 bits); out: u8 case @0, f32 or f64 @8 (size 16). */
EXPORT("negate-real") uint32_t values_negate_real(uint32_t tag, uint64_t bits) {
    uint32_t area = result_area(16);
    put8(0, (uint8_t)tag);
    if (tag == 0) {
        putf32(8, -f32_from_bits((uint32_t)bits));
    } else {
        putf64(8, -f64_from_bits(bits));
    }
    return area;
}

/* option<u32>: (i32 is-some, i32 value) in; u8 @0, u32 @4 out (size 8). */
EXPORT("inc-option") uint32_t values_inc_option(uint32_t is_some, uint32_t value) {
    uint32_t area = result_area(8);
    put8(0, (uint8_t)is_some);
    if (is_some) {
        put32(4, value + 1);
    }
    return area;
}

/* option<option<string>>: (i32 outer, i32 inner, i32 ptr, i32 len) in;
 * u8 outer @0, u8 inner @4, ptr @8, len @12 out (size 16). */
EXPORT("echo-nested-option")
uint32_t values_echo_nested_option(uint32_t outer, uint32_t inner, uint32_t ptr, uint32_t len) {
    uint32_t area = result_area(16);
    put8(0, (uint8_t)outer);
    if (outer) {
        put8(4, (uint8_t)inner);
        if (inner) {
            keep(ptr, len);
            put32(8, ptr);
            put32(12, len);
        }
    }
    return area;
}

/* result<u32, string>: (i32 case, i32 a, i32 b): ok a = n; err (a, b) = string.
 * result<string, u32> out: u8 case @0; ok string ptr @4, len @8; err u32 @4 (size 12). */
EXPORT("flip-result") uint32_t values_flip_result(uint32_t tag, uint32_t a, uint32_t b) {
    uint32_t area = result_area(12);
    if (tag == 0) {
        put8(0, 1);
        put32(4, a);
    } else {
        keep(a, b);
        put8(0, 0);
        put32(4, a);
        put32(8, b);
    }
    return area;
}

/*
 * result<result<option<u8>, string>, result<_, u64>> flattens to
 * (i32 outer, i32 inner, i64 s, i32 t): the ok payload is (inner, a, b) with
 * option<u8> = (is-some, value) or string = (ptr, len) as (a, b); the err
 * payload is (inner, u64); joined, a and the u64 share the i64 slot `s`.
 * Out (size 24, align 8): u8 outer @0, payload @8:
 *   ok:  u8 inner @8; option<u8>: u8 is-some @12, u8 value @13 | string: ptr @12, len @16
 *   err: u8 inner @8; u64 @16
 */
EXPORT("echo-nested-result")
uint32_t values_echo_nested_result(uint32_t outer, uint32_t inner, uint64_t s, uint32_t t) {
    uint32_t area = result_area(24);
    put8(0, (uint8_t)outer);
    put8(8, (uint8_t)inner);
    if (outer == 0) {
        if (inner == 0) {
            put8(12, (uint8_t)s);
            put8(13, (uint8_t)(s != 0 ? t : 0));
        } else {
            keep((uint32_t)s, t);
            put32(12, (uint32_t)s);
            put32(16, t);
        }
    } else if (inner == 1) {
        put64(16, s);
    }
    return area;
}

/* ---- more than one result, more than 16 parameters ---------------------- */

/* tuple<u32, u32> out: {high @0, low @4}. */
EXPORT("split") uint32_t values_split(uint64_t x) {
    uint32_t area = result_area(8);
    put32(0, (uint32_t)(x >> 32));
    put32(4, (uint32_t)x);
    return area;
}

/*
 * 18 flat parameters: one pointer to the tuple of them (size 88, align 8):
 *   a u8 @0, b s16 @2, c u32 @4, d s64 @8, e f32 @16, f f64 @24, g bool @32,
 *   h char @36, s string @40 (ptr) @44 (len), i u64 @48, j s8 @56, k u16 @58,
 *   l s32 @60, m f32 @64, n f64 @72, o u32 @80, p u32 @84.
 * summary out (size 24, align 8): ints s64 @0, floats f64 @8, text ptr @16, len @20.
 */
EXPORT("many") uint32_t values_many(uint32_t args) {
    const uint8_t *m = PTR(args);
    int16_t b;
    uint32_t c, h, s, s_len, o, p;
    int64_t d;
    uint64_t i;
    int8_t j;
    uint16_t k;
    int32_t l;
    float e, mm;
    double f, n;
    memcpy(&b, m + 2, 2);
    memcpy(&c, m + 4, 4);
    memcpy(&d, m + 8, 8);
    memcpy(&e, m + 16, 4);
    memcpy(&f, m + 24, 8);
    memcpy(&h, m + 36, 4);
    memcpy(&s, m + 40, 4);
    memcpy(&s_len, m + 44, 4);
    memcpy(&i, m + 48, 8);
    memcpy(&j, m + 56, 1);
    memcpy(&k, m + 58, 2);
    memcpy(&l, m + 60, 4);
    memcpy(&mm, m + 64, 4);
    memcpy(&n, m + 72, 8);
    memcpy(&o, m + 80, 4);
    memcpy(&p, m + 84, 4);
    /* wrapping sum in u64 arithmetic */
    uint64_t ints = (uint64_t)m[0] + (uint64_t)(int64_t)b + c + (uint64_t)d + (m[32] != 0) + h + i +
                    (uint64_t)(int64_t)j + k + (uint64_t)(int64_t)l + o + p;
    double floats = (double)e + f + (double)mm + n;
    free(PTR(args)); /* the host's allocation of the parameter tuple is the guest's */
    keep(s, s_len);
    uint32_t area = result_area(24);
    put64(0, ints);
    putf64(8, floats);
    put32(16, s);
    put32(20, s_len);
    return area;
}

/* ---- post-return: free what the last result pointed to ------------------- */

#define FREE_AFTER(name, fn)                                                                                   \
    POST_RETURN(name) void fn(uint32_t area) {                                                                 \
        (void)area;                                                                                            \
        free_pending();                                                                                        \
    }

FREE_AFTER("reverse-string", post_reverse_string)
FREE_AFTER("reverse-bytes", post_reverse_bytes)
FREE_AFTER("reverse-strings", post_reverse_strings)
FREE_AFTER("reverse-inner", post_reverse_inner)
FREE_AFTER("bump-mixed", post_bump_mixed)
FREE_AFTER("bump-mixed-list", post_bump_mixed_list)
FREE_AFTER("reverse-tuple", post_reverse_tuple)
FREE_AFTER("bump-shape", post_bump_shape)
FREE_AFTER("echo-nested-option", post_echo_nested_option)
FREE_AFTER("flip-result", post_flip_result)
FREE_AFTER("echo-nested-result", post_echo_nested_result)
FREE_AFTER("many", post_many)
