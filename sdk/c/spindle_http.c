/*
 * spindle_http.c - the `handle-http-request` export of Spin 1.x's HTTP
 * trigger, and the allocator exports the host uses to move memory across.
 *
 * The export takes the request record flattened into ten i32 values:
 *   method, uri_ptr, uri_len, headers_ptr, headers_len, params_ptr,
 *   params_len, body_is_some, body_ptr, body_len
 * and returns the address of a 28-byte response area:
 *   +0 u16 status
 *   +4 u8 headers is-some, +8 headers_ptr, +12 headers_len (16-byte pairs)
 *   +16 u8 body is-some,   +20 body_ptr,   +24 body_len
 * The host frees each response header string (ptr, len, 1), the header array
 * (ptr, n*16, 4) and the body (ptr, len, 1) with canonical_abi_free; the area
 * itself is static.
 *
 * Built with -DSPINDLE_HTTP_COMPONENT, the same request and response helpers
 * serve a component instead: the file then exports the Component Model's
 * `fermyon:spin/inbound-http#handle-request` (same ten parameters, same
 * 28-byte area), its post-return function and `cabi_realloc`, and none of the
 * three exports above.  See "The component export" at the end of this file.
 */
/* posix_memalign, even under -std=c11 */
#define _POSIX_C_SOURCE 200112L

#include "spindle_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) == 4 && sizeof(size_t) == 4, "spindle_http.c targets wasm32");
_Static_assert(sizeof(spindle_str) == 8 && offsetof(spindle_str, len) == 4,
               "spindle_str must match the host's {ptr, len} string layout");
_Static_assert(sizeof(spindle_http_header) == 16 && offsetof(spindle_http_header, value) == 8,
               "spindle_http_header must match the host's 16-byte header element");

#define ADDR(p) ((uint32_t)(uintptr_t)(p))
#define PTR(a) ((void *)(uintptr_t)(a))

/* ---- allocator exports ------------------------------------------------ */

/* A component exports the allocator as cabi_realloc (at the end of this file) and frees nothing for the host. */
#ifdef SPINDLE_HTTP_COMPONENT
#define CORE_EXPORT(name)
#else
#define CORE_EXPORT(name) __attribute__((export_name(name)))
#endif

CORE_EXPORT("canonical_abi_realloc")
void *canonical_abi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size) {
    if (align == 0 || (align & (align - 1)) != 0) {
        __builtin_trap();
    }
    if (new_size == 0) {
        if (old_size != 0) {
            free(old_ptr);
        }
        /* Non-NULL and aligned, but owns nothing (see the contract in spindle_http.h). */
        return (void *)align;
    }
    void *p;
    if (align <= _Alignof(max_align_t)) {
        p = old_size == 0 ? malloc(new_size) : realloc(old_ptr, new_size);
    } else if (posix_memalign(&p, align, new_size) != 0) {
        p = NULL;
    } else if (old_size != 0) {
        memcpy(p, old_ptr, old_size < new_size ? old_size : new_size);
        free(old_ptr);
    }
    if (p == NULL) {
        __builtin_trap(); /* returning 0 would let the host write over address 0 */
    }
    return p;
}

CORE_EXPORT("canonical_abi_free")
void canonical_abi_free(void *ptr, size_t size, size_t align) {
    (void)align;
    if (size != 0) {
        free(ptr);
    }
}

/* ---- byte-string helpers ---------------------------------------------- */

/* A copy of `len` bytes for the host to free later; zero-size owns nothing. */
static char *copy_for_host(const char *data, size_t len) {
    if (len == 0) {
        return PTR(1);
    }
    char *copy = malloc(len);
    if (copy != NULL) {
        memcpy(copy, data, len);
    }
    return copy;
}

char *spindle_str_dup(spindle_str s) {
    char *copy = malloc(s.len + 1);
    if (copy == NULL) {
        return NULL;
    }
    if (s.len != 0) {
        memcpy(copy, s.ptr, s.len);
    }
    copy[s.len] = '\0';
    return copy;
}

spindle_str spindle_str_from(const char *text) {
    spindle_str s = {text != NULL ? text : "", text != NULL ? strlen(text) : 0};
    return s;
}

bool spindle_str_eq(spindle_str s, const char *text) {
    size_t n = strlen(text);
    return s.len == n && (n == 0 || memcmp(s.ptr, text, n) == 0);
}

static char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*
 * Decodes the byte of `s` at *i (advancing *i): "%XY" is one byte, '+' is a
 * space when asked, anything else is itself.
 */
static char decode_next(spindle_str s, size_t *i, bool plus_as_space) {
    char c = s.ptr[*i];
    if (c == '%' && s.len - *i >= 3) {
        int hi = hex_value(s.ptr[*i + 1]);
        int lo = hex_value(s.ptr[*i + 2]);
        if (hi >= 0 && lo >= 0) {
            *i += 3;
            return (char)(hi * 16 + lo);
        }
    }
    *i += 1;
    return (c == '+' && plus_as_space) ? ' ' : c;
}

char *spindle_http_decode(spindle_str s, bool plus_as_space, size_t *len) {
    char *out = malloc(s.len + 1); /* decoding never grows the text */
    if (out == NULL) {
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < s.len;) {
        out[n++] = decode_next(s, &i, plus_as_space);
    }
    out[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return out;
}

/* Whether `s`, form-decoded, equals `text` (without allocating). */
static bool decoded_equals(spindle_str s, const char *text, size_t text_len) {
    size_t i = 0, k = 0;
    while (i < s.len) {
        if (k == text_len || decode_next(s, &i, true) != text[k]) {
            return false;
        }
        k++;
    }
    return k == text_len;
}

/* ---- request helpers -------------------------------------------------- */

const char *spindle_http_method_name(spindle_http_method method) {
    static const char *const names[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
    return (unsigned)method < sizeof names / sizeof names[0] ? names[method] : "?";
}

static size_t query_start(const spindle_http_request *req) {
    const char *mark = req->uri.len != 0 ? memchr(req->uri.ptr, '?', req->uri.len) : NULL;
    return mark != NULL ? (size_t)(mark - req->uri.ptr) : req->uri.len;
}

spindle_str spindle_http_request_path(const spindle_http_request *req) {
    spindle_str path = {req->uri.ptr, query_start(req)};
    return path;
}

spindle_str spindle_http_request_query(const spindle_http_request *req) {
    size_t start = query_start(req);
    if (start == req->uri.len) {
        spindle_str empty = {"", 0};
        return empty;
    }
    spindle_str query = {req->uri.ptr + start + 1, req->uri.len - start - 1};
    return query;
}

bool spindle_http_request_header(const spindle_http_request *req, const char *name, spindle_str *value) {
    size_t n = strlen(name);
    for (size_t h = 0; h < req->header_count; h++) {
        spindle_str candidate = req->headers[h].name;
        if (candidate.len != n) {
            continue;
        }
        size_t i = 0;
        while (i < n && ascii_lower(candidate.ptr[i]) == ascii_lower(name[i])) {
            i++;
        }
        if (i == n) {
            *value = req->headers[h].value;
            return true;
        }
    }
    return false;
}

char *spindle_http_request_query_param(const spindle_http_request *req, const char *name, size_t *len) {
    spindle_str query = spindle_http_request_query(req);
    size_t name_len = strlen(name);
    size_t pos = 0;
    while (pos < query.len) {
        const char *part = query.ptr + pos;
        size_t rest = query.len - pos;
        const char *amp = memchr(part, '&', rest);
        size_t part_len = amp != NULL ? (size_t)(amp - part) : rest;
        const char *eq = memchr(part, '=', part_len);
        spindle_str key = {part, eq != NULL ? (size_t)(eq - part) : part_len};
        if (decoded_equals(key, name, name_len)) {
            spindle_str value = {part + key.len, 0};
            if (eq != NULL) {
                value.ptr = eq + 1;
                value.len = part_len - key.len - 1;
            }
            return spindle_http_decode(value, true, len);
        }
        pos += part_len + 1;
    }
    return NULL;
}

/* ---- response helpers ------------------------------------------------- */

void spindle_http_response_set_status(spindle_http_response *res, uint16_t status) {
    res->status = status;
}

static bool fail(spindle_http_response *res) {
    res->failed = true;
    return false;
}

bool spindle_http_response_add_header_n(spindle_http_response *res, const char *name, size_t name_len,
                                        const char *value, size_t value_len) {
    if (res->failed) {
        return false;
    }
    if (res->header_count == res->header_cap) {
        size_t cap = res->header_cap == 0 ? 8 : res->header_cap * 2;
        if (cap > SIZE_MAX / sizeof(spindle_http_header)) {
            return fail(res);
        }
        spindle_http_header *grown = realloc(res->headers, cap * sizeof(spindle_http_header));
        if (grown == NULL) {
            return fail(res);
        }
        res->headers = grown;
        res->header_cap = cap;
    }
    char *name_copy = copy_for_host(name, name_len);
    char *value_copy = copy_for_host(value, value_len);
    if (name_copy == NULL || value_copy == NULL) {
        canonical_abi_free(name_copy, name_copy != NULL ? name_len : 0, 1);
        canonical_abi_free(value_copy, value_copy != NULL ? value_len : 0, 1);
        return fail(res);
    }
    spindle_http_header *h = &res->headers[res->header_count++];
    h->name.ptr = name_copy;
    h->name.len = name_len;
    h->value.ptr = value_copy;
    h->value.len = value_len;
    return true;
}

bool spindle_http_response_add_header(spindle_http_response *res, const char *name, const char *value) {
    return spindle_http_response_add_header_n(res, name, strlen(name), value, strlen(value));
}

/* Makes room for `extra` more body bytes plus a NUL (used by appendf). */
static bool reserve_body(spindle_http_response *res, size_t extra) {
    if (extra > SIZE_MAX - 1 - res->body_len) {
        return fail(res);
    }
    size_t needed = res->body_len + extra + 1;
    if (needed <= res->body_cap) {
        return true;
    }
    size_t cap = res->body_cap < 64 ? 64 : res->body_cap;
    while (cap < needed) {
        cap = cap > SIZE_MAX / 2 ? needed : cap * 2;
    }
    uint8_t *grown = realloc(res->body, cap);
    if (grown == NULL) {
        return fail(res);
    }
    res->body = grown;
    res->body_cap = cap;
    return true;
}

bool spindle_http_response_append_body(spindle_http_response *res, const void *data, size_t len) {
    if (res->failed) {
        return false;
    }
    res->has_body = true;
    if (len == 0) {
        return true;
    }
    if (!reserve_body(res, len)) {
        return false;
    }
    memcpy(res->body + res->body_len, data, len);
    res->body_len += len;
    return true;
}

bool spindle_http_response_set_body(spindle_http_response *res, const void *data, size_t len) {
    res->body_len = 0;
    return spindle_http_response_append_body(res, data, len);
}

bool spindle_http_response_set_body_str(spindle_http_response *res, const char *text) {
    return spindle_http_response_set_body(res, text, strlen(text));
}

bool spindle_http_response_append_str(spindle_http_response *res, const char *text) {
    return spindle_http_response_append_body(res, text, strlen(text));
}

bool spindle_http_response_appendf(spindle_http_response *res, const char *format, ...) {
    if (res->failed) {
        return false;
    }
    va_list args;
    va_start(args, format);
    va_list again;
    va_copy(again, args);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    bool ok = n >= 0 && reserve_body(res, (size_t)n);
    if (ok) {
        vsnprintf((char *)res->body + res->body_len, (size_t)n + 1, format, again);
        res->body_len += (size_t)n;
        res->has_body = true;
    } else if (n < 0) {
        fail(res);
    }
    va_end(again);
    return ok;
}

/* ---- the export ------------------------------------------------------- */

static _Alignas(4) uint8_t response_area[28];

static void put_u32(size_t offset, uint32_t v) {
    memcpy(response_area + offset, &v, sizeof v);
}

static void free_pair_strings(const spindle_http_header *pairs, size_t count) {
    for (size_t i = 0; i < count; i++) {
        canonical_abi_free((void *)pairs[i].name.ptr, pairs[i].name.len, 1);
        canonical_abi_free((void *)pairs[i].value.ptr, pairs[i].value.len, 1);
    }
}

static void free_pairs(const spindle_http_header *pairs, size_t count) {
    free_pair_strings(pairs, count);
    canonical_abi_free((void *)pairs, count * sizeof(spindle_http_header), 4);
}

static void free_request(const spindle_http_request *req) {
    canonical_abi_free((void *)req->uri.ptr, req->uri.len, 1);
    free_pairs(req->headers, req->header_count);
    free_pairs(req->params, req->param_count);
    if (req->has_body) {
        canonical_abi_free((void *)req->body, req->body_len, 1);
    }
}

/* Writes the response area; from here on the host owns the response's memory. */
static uint32_t hand_over(spindle_http_response *res) {
    memset(response_area, 0, sizeof response_area);
    if (res->failed) {
        free_pair_strings(res->headers, res->header_count);
        free(res->headers);
        free(res->body);
        uint16_t status = 500;
        memcpy(response_area, &status, sizeof status);
        return ADDR(response_area);
    }
    memcpy(response_area, &res->status, sizeof res->status);
    if (res->header_count != 0) {
        response_area[4] = 1;
        put_u32(8, ADDR(res->headers));
        put_u32(12, res->header_count);
    }
    if (res->has_body) {
        uint32_t body = ADDR(res->body);
        if (res->body_len == 0) {
            free(res->body); /* the host frees nothing for length 0 */
            body = 1;
        }
        response_area[16] = 1;
        put_u32(20, body);
        put_u32(24, res->body_len);
    }
    return ADDR(response_area);
}

#ifdef SPINDLE_HTTP_COMPONENT
#define HANDLE_REQUEST_EXPORT "fermyon:spin/inbound-http#handle-request"
#else
#define HANDLE_REQUEST_EXPORT "handle-http-request"
#endif

__attribute__((export_name(HANDLE_REQUEST_EXPORT)))
uint32_t spindle_http_export_handle_request(uint32_t method, uint32_t uri_ptr, uint32_t uri_len,
                                            uint32_t headers_ptr, uint32_t headers_len, uint32_t params_ptr,
                                            uint32_t params_len, uint32_t body_is_some, uint32_t body_ptr,
                                            uint32_t body_len) {
    if (body_is_some > 1) {
        __builtin_trap(); /* not an option discriminant */
    }
    spindle_http_request req = {
        .method = (spindle_http_method)method,
        .uri = {PTR(uri_ptr), uri_len},
        .headers = PTR(headers_ptr),
        .header_count = headers_len,
        .params = PTR(params_ptr),
        .param_count = params_len,
        .has_body = body_is_some == 1,
        .body = body_is_some == 1 ? PTR(body_ptr) : PTR(1),
        .body_len = body_is_some == 1 ? body_len : 0,
    };
    spindle_http_response res = {.status = 200};
    spindle_http_handle(&req, &res);
    free_request(&req);
    return hand_over(&res);
}

/* ---- the component export ----------------------------------------------
 *
 * With -DSPINDLE_HTTP_COMPONENT the module is the core module of a component
 * that exports `fermyon:spin/inbound-http` (wrapped by wit-component, see
 * sdk/c/README.md).  The Canonical ABI gives the export exactly the core
 * signature above: `request` flattens to the ten i32 values, and `response`
 * (7 flat values, more than the one result allowed) comes back as the address
 * of the 28-byte area.  The memory the host hands in was allocated through
 * cabi_realloc and is the guest's, so the export frees the request itself, as
 * the core export does.  The response memory stays the guest's too: the host
 * reads it and then calls the post-return function, which frees it.
 */
#ifdef SPINDLE_HTTP_COMPONENT

static uint32_t get_u32(size_t offset) {
    uint32_t v;
    memcpy(&v, response_area + offset, sizeof v);
    return v;
}

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size) {
    return canonical_abi_realloc(old_ptr, old_size, align, new_size);
}

__attribute__((export_name("cabi_post_fermyon:spin/inbound-http#handle-request")))
void spindle_http_export_post_handle_request(uint32_t area) {
    if (area != ADDR(response_area)) {
        __builtin_trap(); /* not the address handle-request returned */
    }
    if (response_area[4] == 1) {
        free_pairs(PTR(get_u32(8)), get_u32(12));
    }
    if (response_area[16] == 1) {
        canonical_abi_free(PTR(get_u32(20)), get_u32(24), 1);
    }
    memset(response_area, 0, sizeof response_area);
}

#endif /* SPINDLE_HTTP_COMPONENT */
