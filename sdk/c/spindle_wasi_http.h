/*
 * spindle_wasi_http.h - C guest API for a component that exports
 * `wasi:http/incoming-handler@0.2.0` (see sdk/c/README.md, "wasi:http
 * handlers").  The Canonical ABI is lowered by hand in spindle_wasi_http.c;
 * this header gives thin, typed wrappers over the `wasi:http/types` and
 * `wasi:io` imports and the `handle` export.
 *
 * The app defines one function,
 *
 *     void spindle_wasi_http_handle(spindle_wasi_http_request request,
 *                                   spindle_wasi_http_outparam response_out);
 *
 * which owns both handles: it answers through
 * spindle_wasi_http_outparam_set (or returns without it: the host answers
 * 500) and drops the request when done.  A body written after the response is
 * set streams to the client as it is written.
 *
 * Handles are the resources' u32 handles; each `_drop` function drops one,
 * and functions documented as consuming a handle take it over.  Using a
 * dropped handle traps the instance in the host.  Strings and byte lists the
 * host returns are malloc'd, NUL-terminated one byte past their length, and
 * yours to free (spindle_string / spindle_strings of spindle_cabi.h, or
 * spindle_wasi_http_entries_free).
 *
 * Link spindle_cabi.c; this file exports `cabi_realloc` itself, so a module
 * links it instead of spindle_http.c (one HTTP entry point per component).
 * spindle_kv2.c and spindle_wasi_kv.c may be linked beside it.
 */
#ifndef SPINDLE_WASI_HTTP_H
#define SPINDLE_WASI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spindle_cabi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t spindle_wasi_http_request;  /* own<incoming-request> */
typedef uint32_t spindle_wasi_http_outparam; /* own<response-outparam> */
typedef uint32_t spindle_wasi_http_fields;   /* own<fields> */
typedef uint32_t spindle_wasi_http_response; /* own<outgoing-response> */
typedef uint32_t spindle_wasi_http_body;     /* own<incoming-body> or own<outgoing-body> */
typedef uint32_t spindle_wasi_http_input;    /* own<input-stream> */
typedef uint32_t spindle_wasi_http_output;   /* own<output-stream> */
typedef uint32_t spindle_wasi_http_pollable; /* own<pollable> */

/* Implemented by the app: called once per request (the instance is fresh for each). */
void spindle_wasi_http_handle(spindle_wasi_http_request request, spindle_wasi_http_outparam response_out);

/* ---- fields ------------------------------------------------------------ */

/* `header-error` cases, in WIT order. */
enum {
    SPINDLE_WASI_HTTP_INVALID_SYNTAX = 0, /* not a token name, or CR/LF/NUL in the value */
    SPINDLE_WASI_HTTP_FORBIDDEN = 1,      /* a name the host owns (connection, transfer-encoding, ...) */
    SPINDLE_WASI_HTTP_IMMUTABLE = 2,      /* the fields belong to a request or response */
    /* SDK only: the name was not valid UTF-8, so the host was not called. */
    SPINDLE_WASI_HTTP_INVALID_NAME = 255
};

/* "invalid-syntax", "forbidden", "immutable" or "invalid-name". */
const char *spindle_wasi_http_header_error_name(uint8_t error);

/* One (name, value) entry; both owned. */
typedef struct {
    spindle_string name;
    spindle_string value;
} spindle_wasi_http_entry;

typedef struct {
    spindle_wasi_http_entry *items; /* NULL when count is 0 */
    size_t count;
} spindle_wasi_http_entries;

spindle_wasi_http_fields spindle_wasi_http_fields_new(void);
/* Adds one value for `name`, after those it has.  On refusal returns false with *error (when not NULL) set. */
bool spindle_wasi_http_fields_append(spindle_wasi_http_fields fields, const char *name, size_t name_len,
                                     const void *value, size_t value_len, uint8_t *error);
/* Replaces every value of `name` with the `count` values given. */
bool spindle_wasi_http_fields_set(spindle_wasi_http_fields fields, const char *name, size_t name_len,
                                  const spindle_bytes_ref *values, size_t count, uint8_t *error);
/* Fields with these entries, in order (`from-list`); refused as a whole when one entry is. */
bool spindle_wasi_http_fields_from_list(const spindle_bytes_ref (*entries)[2], size_t count,
                                        spindle_wasi_http_fields *out, uint8_t *error);
/* Every value of `name`, in order. */
void spindle_wasi_http_fields_get(spindle_wasi_http_fields fields, const char *name, size_t name_len,
                                  spindle_strings *out);
/* Every entry, in order; a name appears once per value. */
void spindle_wasi_http_fields_entries(spindle_wasi_http_fields fields, spindle_wasi_http_entries *out);
void spindle_wasi_http_entries_free(spindle_wasi_http_entries *entries);
void spindle_wasi_http_fields_drop(spindle_wasi_http_fields fields);

/* ---- the incoming request ---------------------------------------------- */

/* `method` cases, in WIT order; OTHER carries the name. */
enum {
    SPINDLE_WASI_HTTP_GET, SPINDLE_WASI_HTTP_HEAD, SPINDLE_WASI_HTTP_POST, SPINDLE_WASI_HTTP_PUT,
    SPINDLE_WASI_HTTP_DELETE, SPINDLE_WASI_HTTP_CONNECT, SPINDLE_WASI_HTTP_OPTIONS, SPINDLE_WASI_HTTP_TRACE,
    SPINDLE_WASI_HTTP_PATCH, SPINDLE_WASI_HTTP_OTHER
};

/* The method as text ("GET", ..., or the `other` name): malloc'd, yours to free. */
spindle_string spindle_wasi_http_request_method(spindle_wasi_http_request request);
/* The request target (path and query); empty when the host gives none. */
spindle_string spindle_wasi_http_request_path_with_query(spindle_wasi_http_request request);
/* The headers: immutable fields, one entry per value.  Drop them before the request. */
spindle_wasi_http_fields spindle_wasi_http_request_headers(spindle_wasi_http_request request);
/* The body (once; false afterwards).  Drop it, or finish it, before the request. */
bool spindle_wasi_http_request_consume(spindle_wasi_http_request request, spindle_wasi_http_body *out);
void spindle_wasi_http_request_drop(spindle_wasi_http_request request);

/* The body's byte stream (once).  Drop the stream before the body. */
bool spindle_wasi_http_incoming_body_stream(spindle_wasi_http_body body, spindle_wasi_http_input *out);
void spindle_wasi_http_incoming_body_drop(spindle_wasi_http_body body);

/* ---- the response ------------------------------------------------------ */

/* A response with these headers (consumed; they become immutable); status 200. */
spindle_wasi_http_response spindle_wasi_http_response_new(spindle_wasi_http_fields headers);
/* false for a code the host refuses. */
bool spindle_wasi_http_response_set_status(spindle_wasi_http_response response, uint16_t status);
/* The response's headers (immutable: every change is refused with IMMUTABLE).  Drop them. */
spindle_wasi_http_fields spindle_wasi_http_response_headers(spindle_wasi_http_response response);
/* The body (once). */
bool spindle_wasi_http_response_body(spindle_wasi_http_response response, spindle_wasi_http_body *out);
/* The stream to write the body to (once).  Drop it before finishing the body. */
bool spindle_wasi_http_outgoing_body_write(spindle_wasi_http_body body, spindle_wasi_http_output *out);
/* Ends the body (consumed), without trailers.  Dropping a body unfinished tells the client it was cut short. */
bool spindle_wasi_http_outgoing_body_finish(spindle_wasi_http_body body);
void spindle_wasi_http_outgoing_body_drop(spindle_wasi_http_body body);

/* Sends the response (both handles consumed).  The body may still be written afterwards: it streams. */
void spindle_wasi_http_outparam_set(spindle_wasi_http_outparam out, spindle_wasi_http_response response);
/* Answers with `error-code.internal-error(message)` instead (consumed; message may be NULL). */
void spindle_wasi_http_outparam_set_error(spindle_wasi_http_outparam out, const char *message);

/* ---- streams and pollables --------------------------------------------- */

typedef enum {
    SPINDLE_WASI_HTTP_STREAM_OK = 0,
    SPINDLE_WASI_HTTP_STREAM_CLOSED = 1, /* the end (input) or the other side went away (output) */
    SPINDLE_WASI_HTTP_STREAM_FAILED = 2  /* last-operation-failed; the SDK drops the error after reading it */
} spindle_wasi_http_stream_status;

/*
 * Reads up to `max` bytes: *data (malloc'd, free it; NULL when *len is 0) and *len.  Without `blocking` it may
 * read nothing (wait on spindle_wasi_http_input_subscribe); with it, it waits for at least one byte or the end.
 * On FAILED, *error (when not NULL) gets the host's to-debug-string (free its data).
 */
spindle_wasi_http_stream_status spindle_wasi_http_input_read(spindle_wasi_http_input stream, uint64_t max, bool blocking,
                                                             uint8_t **data, size_t *len, spindle_string *error);
spindle_wasi_http_pollable spindle_wasi_http_input_subscribe(spindle_wasi_http_input stream);
void spindle_wasi_http_input_drop(spindle_wasi_http_input stream);

/* How many bytes `write` accepts now (0: wait on spindle_wasi_http_output_subscribe). */
spindle_wasi_http_stream_status spindle_wasi_http_output_check_write(spindle_wasi_http_output stream, uint64_t *permit,
                                                                     spindle_string *error);
/* Writes at most the last check-write's permit. */
spindle_wasi_http_stream_status spindle_wasi_http_output_write(spindle_wasi_http_output stream, const void *data,
                                                               size_t len, spindle_string *error);
spindle_wasi_http_stream_status spindle_wasi_http_output_flush(spindle_wasi_http_output stream, spindle_string *error);
spindle_wasi_http_stream_status spindle_wasi_http_output_blocking_flush(spindle_wasi_http_output stream,
                                                                        spindle_string *error);
spindle_wasi_http_pollable spindle_wasi_http_output_subscribe(spindle_wasi_http_output stream);
void spindle_wasi_http_output_drop(spindle_wasi_http_output stream);

/*
 * Writes all `len` bytes the way the interface asks: check-write, wait on subscribe while the permit is 0, write
 * at most the permit, repeat; then flush.  *waits (when not NULL) is increased by the times it had to wait.
 */
spindle_wasi_http_stream_status spindle_wasi_http_output_write_all(spindle_wasi_http_output stream, const void *data,
                                                                   size_t len, size_t *waits, spindle_string *error);

bool spindle_wasi_http_pollable_ready(spindle_wasi_http_pollable pollable);
void spindle_wasi_http_pollable_block(spindle_wasi_http_pollable pollable);
void spindle_wasi_http_pollable_drop(spindle_wasi_http_pollable pollable);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_WASI_HTTP_H */
