/*
 * spindle_wasi_http.c - the `wasi:http/incoming-handler@0.2.0` export and
 * typed wrappers over the `wasi:http/types@0.2.0` and `wasi:io@0.2.0`
 * imports, with the Canonical ABI lowered by hand (wasm32).
 *
 * Flattening facts used below (CanonicalABI.md): a resource handle is one i32;
 * a string or list is (ptr, len); results with more than one flat value come
 * back through a return area passed as the last parameter; parameters are
 * passed flat up to 16 values.  Return-area layouts, by type:
 *   result<own<T>>, result<own<T>, header-error>    +0 u8 ok/err, +4 handle (ok) or u8 tag (err)
 *   result<_, header-error>                         +0 u8 ok/err, +1 u8 tag   (2 bytes, align 1)
 *   result<list<u8>, stream-error>                  +0 u8, ok: +4 ptr +8 len; err: +4 u8 case, +8 error handle
 *   result<u64, stream-error>                       +0 u8, ok: +8 u64; err: +8 u8 case, +12 error handle
 *   result<_, stream-error>                         +0 u8, err: +4 u8 case, +8 error handle
 *   result<_, error-code>                           +0 u8 (error-code is 32 bytes at +8; 40 bytes, align 8)
 *   method                                          +0 u8 case, `other` +4 ptr +8 len
 *   option<string>                                  +0 u8, +4 ptr, +8 len
 *   list<...>                                       +0 ptr, +4 count
 */
/* posix_memalign, even under -std=c11 */
#define _POSIX_C_SOURCE 200112L

#include "spindle_wasi_http.h"

#include <stdlib.h>
#include <string.h>

#define TYPES "wasi:http/types@0.2.0"
#define STREAMS "wasi:io/streams@0.2.0"
#define POLL "wasi:io/poll@0.2.0"
#define IO_ERROR "wasi:io/error@0.2.0"

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

/* ---- raw imports -------------------------------------------------------- */

IMPORT(TYPES, "[constructor]fields") uint32_t raw_fields_new(void);
IMPORT(TYPES, "[static]fields.from-list") void raw_fields_from_list(uint32_t ptr, uint32_t len, uint32_t ret);
IMPORT(TYPES, "[method]fields.get") void raw_fields_get(uint32_t self, uint32_t name, uint32_t name_len, uint32_t ret);
IMPORT(TYPES, "[method]fields.set")
void raw_fields_set(uint32_t self, uint32_t name, uint32_t name_len, uint32_t values, uint32_t count, uint32_t ret);
IMPORT(TYPES, "[method]fields.append")
void raw_fields_append(uint32_t self, uint32_t name, uint32_t name_len, uint32_t value, uint32_t value_len, uint32_t ret);
IMPORT(TYPES, "[method]fields.entries") void raw_fields_entries(uint32_t self, uint32_t ret);
IMPORT(TYPES, "[resource-drop]fields") void raw_fields_drop(uint32_t self);

IMPORT(TYPES, "[method]incoming-request.method") void raw_request_method(uint32_t self, uint32_t ret);
IMPORT(TYPES, "[method]incoming-request.path-with-query") void raw_request_path(uint32_t self, uint32_t ret);
IMPORT(TYPES, "[method]incoming-request.headers") uint32_t raw_request_headers(uint32_t self);
IMPORT(TYPES, "[method]incoming-request.consume") void raw_request_consume(uint32_t self, uint32_t ret);
IMPORT(TYPES, "[resource-drop]incoming-request") void raw_request_drop(uint32_t self);
IMPORT(TYPES, "[method]incoming-body.stream") void raw_incoming_body_stream(uint32_t self, uint32_t ret);
IMPORT(TYPES, "[resource-drop]incoming-body") void raw_incoming_body_drop(uint32_t self);

IMPORT(TYPES, "[constructor]outgoing-response") uint32_t raw_response_new(uint32_t headers);
IMPORT(TYPES, "[method]outgoing-response.set-status-code") uint32_t raw_response_set_status(uint32_t self, uint32_t status);
IMPORT(TYPES, "[method]outgoing-response.headers") uint32_t raw_response_headers(uint32_t self);
IMPORT(TYPES, "[method]outgoing-response.body") void raw_response_body(uint32_t self, uint32_t ret);
IMPORT(TYPES, "[method]outgoing-body.write") void raw_outgoing_body_write(uint32_t self, uint32_t ret);
IMPORT(TYPES, "[static]outgoing-body.finish")
void raw_outgoing_body_finish(uint32_t self, uint32_t trailers_is_some, uint32_t trailers, uint32_t ret);
IMPORT(TYPES, "[resource-drop]outgoing-body") void raw_outgoing_body_drop(uint32_t self);

/*
 * response-outparam.set(param, result<own<outgoing-response>, error-code>): the result flattens to 8 values, the
 * result's case then the join of `own` (i32) and error-code's 7 (case i32, then its cases' payloads joined:
 * i32, i64, i32, i32, i32, i32).
 */
IMPORT(TYPES, "[static]response-outparam.set")
void raw_outparam_set(uint32_t param, uint32_t is_err, uint32_t v0, uint32_t v1, uint64_t v2, uint32_t v3,
                      uint32_t v4, uint32_t v5, uint32_t v6);

IMPORT(STREAMS, "[method]input-stream.read") void raw_input_read(uint32_t self, uint64_t len, uint32_t ret);
IMPORT(STREAMS, "[method]input-stream.blocking-read") void raw_input_blocking_read(uint32_t self, uint64_t len, uint32_t ret);
IMPORT(STREAMS, "[method]input-stream.subscribe") uint32_t raw_input_subscribe(uint32_t self);
IMPORT(STREAMS, "[resource-drop]input-stream") void raw_input_drop(uint32_t self);
IMPORT(STREAMS, "[method]output-stream.check-write") void raw_output_check_write(uint32_t self, uint32_t ret);
IMPORT(STREAMS, "[method]output-stream.write") void raw_output_write(uint32_t self, uint32_t ptr, uint32_t len, uint32_t ret);
IMPORT(STREAMS, "[method]output-stream.flush") void raw_output_flush(uint32_t self, uint32_t ret);
IMPORT(STREAMS, "[method]output-stream.blocking-flush") void raw_output_blocking_flush(uint32_t self, uint32_t ret);
IMPORT(STREAMS, "[method]output-stream.subscribe") uint32_t raw_output_subscribe(uint32_t self);
IMPORT(STREAMS, "[resource-drop]output-stream") void raw_output_drop(uint32_t self);

IMPORT(POLL, "[method]pollable.ready") uint32_t raw_pollable_ready(uint32_t self);
IMPORT(POLL, "[method]pollable.block") void raw_pollable_block(uint32_t self);
IMPORT(POLL, "[resource-drop]pollable") void raw_pollable_drop(uint32_t self);

IMPORT(IO_ERROR, "[method]error.to-debug-string") void raw_error_to_debug_string(uint32_t self, uint32_t ret);
IMPORT(IO_ERROR, "[resource-drop]error") void raw_error_drop(uint32_t self);

/* ---- exports ------------------------------------------------------------ */

/*
 * The allocator the host hands results in with; the contract of spindle_http.h's canonical_abi_realloc: a non-zero
 * size is malloc memory (free() releases it); a zero size returns `align`, which owns nothing; running out of memory
 * traps (returning 0 would let the host write over address 0).
 */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size) {
    if (align == 0 || (align & (align - 1)) != 0) {
        __builtin_trap();
    }
    if (new_size == 0) {
        if (old_size != 0) {
            free(old_ptr);
        }
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
        __builtin_trap();
    }
    return p;
}

/* handle(request: own<incoming-request>, response-out: own<response-outparam>): two i32, no result. */
__attribute__((export_name("wasi:http/incoming-handler@0.2.0#handle")))
void spindle_wasi_http_export_handle(uint32_t request, uint32_t response_out) {
    spindle_wasi_http_handle(request, response_out);
}

/* ---- helpers ------------------------------------------------------------ */

#define AREA(name)              \
    spindle_cabi_area name;     \
    spindle_cabi_area_reset(&name)
#define AT(area) SPINDLE_ADDR((area).bytes)

/* ok (0) or err (1) at +0; anything else traps. */
static bool is_ok(const spindle_cabi_area *area) {
    return spindle_cabi_tag(area, 0, 2) == 0;
}

static spindle_string take_string(uint32_t ptr, uint32_t len) {
    spindle_string s = {spindle_cabi_take_bytes(ptr, len), len};
    return s;
}

/* result<own<T>> and result<own<T>, header-error> (the error ignored here): the handle on ok. */
static bool take_handle(const spindle_cabi_area *area, uint32_t *out) {
    if (!is_ok(area)) {
        return false;
    }
    *out = spindle_cabi_u32(area, 4);
    return true;
}

/* A stream-error at `offset`: closed, or failed (the error's text into *error, then the error dropped). */
static spindle_wasi_http_stream_status stream_error(const spindle_cabi_area *area, size_t offset, spindle_string *error) {
    if (spindle_cabi_tag(area, offset, 2) == 1) {
        return SPINDLE_WASI_HTTP_STREAM_CLOSED;
    }
    uint32_t handle = spindle_cabi_u32(area, offset + 4);
    if (error != NULL) {
        AREA(text);
        raw_error_to_debug_string(handle, AT(text));
        *error = take_string(spindle_cabi_u32(&text, 0), spindle_cabi_u32(&text, 4));
    }
    raw_error_drop(handle);
    return SPINDLE_WASI_HTTP_STREAM_FAILED;
}

/* result<_, header-error>: +0 ok/err, +1 the case. */
static bool header_result(const spindle_cabi_area *area, uint8_t *error) {
    if (is_ok(area)) {
        return true;
    }
    uint8_t tag = spindle_cabi_tag(area, 1, 3);
    if (error != NULL) {
        *error = tag;
    }
    return false;
}

static bool name_ok(const char *name, size_t len, uint8_t *error) {
    if (spindle_cabi_valid_utf8(name, len)) {
        return true;
    }
    if (error != NULL) {
        *error = SPINDLE_WASI_HTTP_INVALID_NAME;
    }
    return false;
}

/* ---- fields ------------------------------------------------------------- */

const char *spindle_wasi_http_header_error_name(uint8_t error) {
    switch (error) {
    case SPINDLE_WASI_HTTP_INVALID_SYNTAX: return "invalid-syntax";
    case SPINDLE_WASI_HTTP_FORBIDDEN: return "forbidden";
    case SPINDLE_WASI_HTTP_IMMUTABLE: return "immutable";
    case SPINDLE_WASI_HTTP_INVALID_NAME: return "invalid-name";
    default: return "?";
    }
}

spindle_wasi_http_fields spindle_wasi_http_fields_new(void) {
    return raw_fields_new();
}

bool spindle_wasi_http_fields_append(spindle_wasi_http_fields fields, const char *name, size_t name_len,
                                     const void *value, size_t value_len, uint8_t *error) {
    if (!name_ok(name, name_len, error)) {
        return false;
    }
    AREA(area);
    raw_fields_append(fields, SPINDLE_ADDR(name), name_len, SPINDLE_ADDR(value), value_len, AT(area));
    return header_result(&area, error);
}

bool spindle_wasi_http_fields_set(spindle_wasi_http_fields fields, const char *name, size_t name_len,
                                  const spindle_bytes_ref *values, size_t count, uint8_t *error) {
    if (!name_ok(name, name_len, error)) {
        return false;
    }
    AREA(area);
    raw_fields_set(fields, SPINDLE_ADDR(name), name_len, SPINDLE_ADDR(values), count, AT(area));
    return header_result(&area, error);
}

bool spindle_wasi_http_fields_from_list(const spindle_bytes_ref (*entries)[2], size_t count,
                                        spindle_wasi_http_fields *out, uint8_t *error) {
    for (size_t i = 0; i < count; i++) {
        if (!name_ok(entries[i][0].ptr, entries[i][0].len, error)) {
            return false;
        }
    }
    AREA(area);
    raw_fields_from_list(SPINDLE_ADDR(entries), count, AT(area));
    if (is_ok(&area)) {
        *out = spindle_cabi_u32(&area, 4);
        return true;
    }
    uint8_t tag = spindle_cabi_tag(&area, 4, 3);
    if (error != NULL) {
        *error = tag;
    }
    return false;
}

void spindle_wasi_http_fields_get(spindle_wasi_http_fields fields, const char *name, size_t name_len,
                                  spindle_strings *out) {
    if (!spindle_cabi_valid_utf8(name, name_len)) {
        out->items = NULL;
        out->count = 0;
        return;
    }
    AREA(area);
    raw_fields_get(fields, SPINDLE_ADDR(name), name_len, AT(area));
    spindle_cabi_take_strings(spindle_cabi_u32(&area, 0), spindle_cabi_u32(&area, 4), out);
}

void spindle_wasi_http_fields_entries(spindle_wasi_http_fields fields, spindle_wasi_http_entries *out) {
    _Static_assert(sizeof(spindle_wasi_http_entry) == 16, "an entry is the Canonical ABI's tuple<string, list<u8>>");
    AREA(area);
    raw_fields_entries(fields, AT(area));
    uint32_t count = spindle_cabi_u32(&area, 4);
    if (count == 0) {
        out->items = NULL;
        out->count = 0;
        return;
    }
    /* The host's 16-byte {name ptr, len, value ptr, len} elements become the entries in place. */
    spindle_wasi_http_entry *items = SPINDLE_PTR(spindle_cabi_u32(&area, 0));
    for (uint32_t i = 0; i < count; i++) {
        items[i].name = take_string(SPINDLE_ADDR(items[i].name.data), items[i].name.len);
        items[i].value = take_string(SPINDLE_ADDR(items[i].value.data), items[i].value.len);
    }
    out->items = items;
    out->count = count;
}

void spindle_wasi_http_entries_free(spindle_wasi_http_entries *entries) {
    if (entries == NULL) {
        return;
    }
    for (size_t i = 0; i < entries->count; i++) {
        free(entries->items[i].name.data);
        free(entries->items[i].value.data);
    }
    free(entries->items);
    entries->items = NULL;
    entries->count = 0;
}

void spindle_wasi_http_fields_drop(spindle_wasi_http_fields fields) {
    raw_fields_drop(fields);
}

/* ---- the incoming request ------------------------------------------------ */

spindle_string spindle_wasi_http_request_method(spindle_wasi_http_request request) {
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    AREA(area);
    raw_request_method(request, AT(area));
    uint8_t tag = spindle_cabi_tag(&area, 0, SPINDLE_WASI_HTTP_OTHER + 1);
    if (tag == SPINDLE_WASI_HTTP_OTHER) {
        return take_string(spindle_cabi_u32(&area, 4), spindle_cabi_u32(&area, 8));
    }
    size_t len = strlen(names[tag]);
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        __builtin_trap();
    }
    memcpy(copy, names[tag], len + 1);
    spindle_string s = {copy, len};
    return s;
}

spindle_string spindle_wasi_http_request_path_with_query(spindle_wasi_http_request request) {
    AREA(area);
    raw_request_path(request, AT(area));
    if (spindle_cabi_tag(&area, 0, 2) == 0) {
        return take_string(0, 0);
    }
    return take_string(spindle_cabi_u32(&area, 4), spindle_cabi_u32(&area, 8));
}

spindle_wasi_http_fields spindle_wasi_http_request_headers(spindle_wasi_http_request request) {
    return raw_request_headers(request);
}

bool spindle_wasi_http_request_consume(spindle_wasi_http_request request, spindle_wasi_http_body *out) {
    AREA(area);
    raw_request_consume(request, AT(area));
    return take_handle(&area, out);
}

void spindle_wasi_http_request_drop(spindle_wasi_http_request request) {
    raw_request_drop(request);
}

bool spindle_wasi_http_incoming_body_stream(spindle_wasi_http_body body, spindle_wasi_http_input *out) {
    AREA(area);
    raw_incoming_body_stream(body, AT(area));
    return take_handle(&area, out);
}

void spindle_wasi_http_incoming_body_drop(spindle_wasi_http_body body) {
    raw_incoming_body_drop(body);
}

/* ---- the response -------------------------------------------------------- */

spindle_wasi_http_response spindle_wasi_http_response_new(spindle_wasi_http_fields headers) {
    return raw_response_new(headers);
}

bool spindle_wasi_http_response_set_status(spindle_wasi_http_response response, uint16_t status) {
    uint32_t result = raw_response_set_status(response, status);
    if (result > 1) {
        __builtin_trap();
    }
    return result == 0;
}

spindle_wasi_http_fields spindle_wasi_http_response_headers(spindle_wasi_http_response response) {
    return raw_response_headers(response);
}

bool spindle_wasi_http_response_body(spindle_wasi_http_response response, spindle_wasi_http_body *out) {
    AREA(area);
    raw_response_body(response, AT(area));
    return take_handle(&area, out);
}

bool spindle_wasi_http_outgoing_body_write(spindle_wasi_http_body body, spindle_wasi_http_output *out) {
    AREA(area);
    raw_outgoing_body_write(body, AT(area));
    return take_handle(&area, out);
}

bool spindle_wasi_http_outgoing_body_finish(spindle_wasi_http_body body) {
    struct {
        _Alignas(8) uint8_t bytes[40];
    } area;
    memset(area.bytes, 0xFF, sizeof area.bytes);
    raw_outgoing_body_finish(body, 0, 0, SPINDLE_ADDR(area.bytes));
    if (area.bytes[0] > 1) {
        __builtin_trap();
    }
    return area.bytes[0] == 0;
}

void spindle_wasi_http_outgoing_body_drop(spindle_wasi_http_body body) {
    raw_outgoing_body_drop(body);
}

void spindle_wasi_http_outparam_set(spindle_wasi_http_outparam out, spindle_wasi_http_response response) {
    raw_outparam_set(out, 0, response, 0, 0, 0, 0, 0, 0);
}

void spindle_wasi_http_outparam_set_error(spindle_wasi_http_outparam out, const char *message) {
    enum { INTERNAL_ERROR = 38 }; /* the last case of error-code: internal-error(option<string>) */
    size_t len = message != NULL ? strlen(message) : 0;
    if (message != NULL && !spindle_cabi_valid_utf8(message, len)) {
        message = NULL;
        len = 0;
    }
    /* error-code's flat form: case, then option<string> as (is-some, ptr, len) in its first joined slots; the
     * second slot is the i64 join, so the pointer travels widened. */
    raw_outparam_set(out, 1, INTERNAL_ERROR, message != NULL, SPINDLE_ADDR(message), len, 0, 0, 0);
}

/* ---- streams and pollables ------------------------------------------------ */

spindle_wasi_http_stream_status spindle_wasi_http_input_read(spindle_wasi_http_input stream, uint64_t max, bool blocking,
                                                             uint8_t **data, size_t *len, spindle_string *error) {
    AREA(area);
    if (blocking) {
        raw_input_blocking_read(stream, max, AT(area));
    } else {
        raw_input_read(stream, max, AT(area));
    }
    *data = NULL;
    *len = 0;
    if (!is_ok(&area)) {
        return stream_error(&area, 4, error);
    }
    uint32_t n = spindle_cabi_u32(&area, 8);
    if (n == 0) {
        return SPINDLE_WASI_HTTP_STREAM_OK; /* a zero-size allocation owns nothing */
    }
    *data = (uint8_t *)spindle_cabi_take_bytes(spindle_cabi_u32(&area, 4), n);
    *len = n;
    return SPINDLE_WASI_HTTP_STREAM_OK;
}

spindle_wasi_http_pollable spindle_wasi_http_input_subscribe(spindle_wasi_http_input stream) {
    return raw_input_subscribe(stream);
}

void spindle_wasi_http_input_drop(spindle_wasi_http_input stream) {
    raw_input_drop(stream);
}

spindle_wasi_http_stream_status spindle_wasi_http_output_check_write(spindle_wasi_http_output stream, uint64_t *permit,
                                                                     spindle_string *error) {
    AREA(area);
    raw_output_check_write(stream, AT(area));
    if (!is_ok(&area)) {
        *permit = 0;
        return stream_error(&area, 8, error);
    }
    *permit = (uint64_t)spindle_cabi_s64(&area, 8);
    return SPINDLE_WASI_HTTP_STREAM_OK;
}

/* result<_, stream-error> in `area`. */
static spindle_wasi_http_stream_status unit_stream_result(const spindle_cabi_area *area, spindle_string *error) {
    return is_ok(area) ? SPINDLE_WASI_HTTP_STREAM_OK : stream_error(area, 4, error);
}

spindle_wasi_http_stream_status spindle_wasi_http_output_write(spindle_wasi_http_output stream, const void *data,
                                                               size_t len, spindle_string *error) {
    AREA(area);
    raw_output_write(stream, SPINDLE_ADDR(data), len, AT(area));
    return unit_stream_result(&area, error);
}

spindle_wasi_http_stream_status spindle_wasi_http_output_flush(spindle_wasi_http_output stream, spindle_string *error) {
    AREA(area);
    raw_output_flush(stream, AT(area));
    return unit_stream_result(&area, error);
}

spindle_wasi_http_stream_status spindle_wasi_http_output_blocking_flush(spindle_wasi_http_output stream,
                                                                        spindle_string *error) {
    AREA(area);
    raw_output_blocking_flush(stream, AT(area));
    return unit_stream_result(&area, error);
}

spindle_wasi_http_pollable spindle_wasi_http_output_subscribe(spindle_wasi_http_output stream) {
    return raw_output_subscribe(stream);
}

void spindle_wasi_http_output_drop(spindle_wasi_http_output stream) {
    raw_output_drop(stream);
}

spindle_wasi_http_stream_status spindle_wasi_http_output_write_all(spindle_wasi_http_output stream, const void *data,
                                                                   size_t len, size_t *waits, spindle_string *error) {
    const uint8_t *bytes = data;
    while (len > 0) {
        uint64_t permit;
        spindle_wasi_http_stream_status status = spindle_wasi_http_output_check_write(stream, &permit, error);
        if (status != SPINDLE_WASI_HTTP_STREAM_OK) {
            return status;
        }
        if (permit == 0) {
            spindle_wasi_http_pollable ready = raw_output_subscribe(stream);
            raw_pollable_block(ready);
            raw_pollable_drop(ready);
            if (waits != NULL) {
                (*waits)++;
            }
            continue;
        }
        size_t n = permit < len ? (size_t)permit : len;
        status = spindle_wasi_http_output_write(stream, bytes, n, error);
        if (status != SPINDLE_WASI_HTTP_STREAM_OK) {
            return status;
        }
        bytes += n;
        len -= n;
    }
    return spindle_wasi_http_output_flush(stream, error);
}

bool spindle_wasi_http_pollable_ready(spindle_wasi_http_pollable pollable) {
    uint32_t ready = raw_pollable_ready(pollable);
    if (ready > 1) {
        __builtin_trap();
    }
    return ready == 1;
}

void spindle_wasi_http_pollable_block(spindle_wasi_http_pollable pollable) {
    raw_pollable_block(pollable);
}

void spindle_wasi_http_pollable_drop(spindle_wasi_http_pollable pollable) {
    raw_pollable_drop(pollable);
}
