/*
 * spindle_http.h - C guest side of Spin 1.x's HTTP trigger.
 *
 * Linking spindle_http.c into a module gives it three exports:
 *   handle-http-request    the entry point the host calls once per request
 *   canonical_abi_realloc  the allocator the host uses to hand memory in
 *   canonical_abi_free     the allocator the host uses to free the response
 * The app supplies one function, spindle_http_handle, which reads the request
 * and fills in the response with the helpers below.
 *
 * Built with -DSPINDLE_HTTP_COMPONENT (for a component, see sdk/c/README.md),
 * the same API is exported as `fermyon:spin/inbound-http#handle-request`,
 * with `cabi_post_fermyon:spin/inbound-http#handle-request` and `cabi_realloc`
 * instead of the three exports above; the host then frees nothing, and the
 * post-return export frees the response.
 *
 *     #include "spindle_http.h"
 *     void spindle_http_handle(const spindle_http_request *req, spindle_http_response *res) {
 *         spindle_http_response_add_header(res, "content-type", "text/plain");
 *         spindle_http_response_set_body_str(res, "hello\n");
 *     }
 *
 * Memory ownership
 * ----------------
 * - Request: everything reachable from `req` (uri, headers, params, body)
 *   belongs to the SDK and is freed as soon as spindle_http_handle returns.
 *   Copy what you need to keep (spindle_str_dup).  Strings from the host are
 *   NOT NUL-terminated: use the `len` of each spindle_str.
 * - Response: the helpers copy every string and byte you pass them; your
 *   buffers stay yours.  The SDK hands its copies to the host, which frees
 *   them with canonical_abi_free after reading them.
 * - Strings returned by spindle_str_dup, spindle_http_decode and
 *   spindle_http_request_query_param are malloc'd and NUL-terminated: free()
 *   them.
 *
 * Allocator contract (canonical_abi_realloc / canonical_abi_free)
 * ---------------------------------------------------------------
 * - A non-zero size is served by malloc/realloc (posix_memalign above 16-byte
 *   alignment), so such memory may be released with free().
 * - A zero size returns a non-NULL pointer equal to `align` that owns no
 *   memory; it must never be freed or dereferenced.  canonical_abi_free with
 *   size 0 therefore does nothing, and the size passed to it is otherwise
 *   ignored.
 * - Running out of memory traps the instance: returning 0 would let the host
 *   write over address 0.
 */
#ifndef SPINDLE_HTTP_H
#define SPINDLE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed byte string; not NUL-terminated.  `ptr` is not NULL, but must not
 * be read when `len` is 0. */
typedef struct {
    const char *ptr;
    size_t len;
} spindle_str;

/* One header or parameter: the host's 16-byte {name_ptr, name_len,
 * value_ptr, value_len} element, used in place. */
typedef struct {
    spindle_str name;
    spindle_str value;
} spindle_http_header;

typedef enum {
    SPINDLE_HTTP_GET = 0,
    SPINDLE_HTTP_POST = 1,
    SPINDLE_HTTP_PUT = 2,
    SPINDLE_HTTP_DELETE = 3,
    SPINDLE_HTTP_PATCH = 4,
    SPINDLE_HTTP_HEAD = 5,
    SPINDLE_HTTP_OPTIONS = 6
} spindle_http_method;

typedef struct {
    spindle_http_method method;
    spindle_str uri;                     /* path and query, as the client sent them */
    const spindle_http_header *headers;  /* names as the host passes them (lower case from Spin) */
    size_t header_count;
    const spindle_http_header *params;   /* Spin always passes none */
    size_t param_count;
    bool has_body;                       /* Spin always passes a body, possibly empty */
    const uint8_t *body;
    size_t body_len;
} spindle_http_request;

/*
 * The response being built.  Set fields only through the helpers; `status`
 * (default 200) may also be read or written directly.
 */
typedef struct {
    uint16_t status;
    /* private: */
    spindle_http_header *headers; /* owned copies */
    size_t header_count, header_cap;
    uint8_t *body;                /* owned; NULL until a body is set */
    size_t body_len, body_cap;
    bool has_body;
    bool failed;                  /* a helper ran out of memory: the response becomes a bare 500 */
} spindle_http_response;

/* Implemented by the app: called once per request. */
void spindle_http_handle(const spindle_http_request *req, spindle_http_response *res);

/* "GET", "POST", ...; "?" for a value outside the enum. */
const char *spindle_http_method_name(spindle_http_method method);

/* The uri up to (not including) the first '?', undecoded. */
spindle_str spindle_http_request_path(const spindle_http_request *req);

/* The uri after the first '?', undecoded; empty when there is none. */
spindle_str spindle_http_request_query(const spindle_http_request *req);

/* Finds the first header whose name equals `name` ignoring ASCII case. */
bool spindle_http_request_header(const spindle_http_request *req, const char *name, spindle_str *value);

/*
 * Finds the first query parameter named `name` (after decoding) and returns
 * its value percent-decoded, with '+' as a space, in a malloc'd NUL-terminated
 * buffer; *len (if not NULL) gets its length.  Returns NULL when the
 * parameter is absent (a bare `name` without '=' has an empty value) or
 * memory runs out.
 */
char *spindle_http_request_query_param(const spindle_http_request *req, const char *name, size_t *len);

/*
 * Percent-decodes `s` into a malloc'd NUL-terminated buffer (and '+' into a
 * space when `plus_as_space`).  A '%' not followed by two hex digits is kept
 * as is.  Returns NULL when memory runs out.
 */
char *spindle_http_decode(spindle_str s, bool plus_as_space, size_t *len);

/* A malloc'd NUL-terminated copy of `s`, or NULL when memory runs out. */
char *spindle_str_dup(spindle_str s);

/* Whether `s` holds exactly the bytes of the C string `text`. */
bool spindle_str_eq(spindle_str s, const char *text);

/* Makes a spindle_str over a C string (borrowed). */
spindle_str spindle_str_from(const char *text);

/*
 * Response helpers.  Each copies its arguments and returns false when memory
 * runs out; the SDK then answers 500 with no headers and no body, whatever
 * else the handler does.
 */
void spindle_http_response_set_status(spindle_http_response *res, uint16_t status);
bool spindle_http_response_add_header(spindle_http_response *res, const char *name, const char *value);
bool spindle_http_response_add_header_n(spindle_http_response *res, const char *name, size_t name_len,
                                        const char *value, size_t value_len);
/* Replaces the body (an empty body is still a body: `some` with length 0). */
bool spindle_http_response_set_body(spindle_http_response *res, const void *data, size_t len);
bool spindle_http_response_set_body_str(spindle_http_response *res, const char *text);
/* Appends to the body, creating it if there is none yet. */
bool spindle_http_response_append_body(spindle_http_response *res, const void *data, size_t len);
bool spindle_http_response_append_str(spindle_http_response *res, const char *text);
bool spindle_http_response_appendf(spindle_http_response *res, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_HTTP_H */
