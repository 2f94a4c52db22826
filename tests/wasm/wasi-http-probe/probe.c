/*
 * wasi-http-probe: a C component exporting `wasi:http/incoming-handler@0.2.0`
 * for Spindle's host tests, calling the wasi:http and wasi:io imports directly
 * through the C SDK (sdk/c/spindle_wasi_http.h) rather than through a runtime
 * that hides them.  Routes are listed in README.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spindle_kv2.h"
#include "spindle_variables.h"
#include "spindle_wasi_http.h"

#define CHUNK (64 * 1024)

/* ---- small helpers ------------------------------------------------------ */

typedef struct {
    spindle_wasi_http_body body;
    spindle_wasi_http_output stream;
} writer;

/* Sets a response with these headers (consumed) and status, and opens its body for writing. */
static writer start(spindle_wasi_http_outparam out, spindle_wasi_http_fields headers, uint16_t status) {
    spindle_wasi_http_response response = spindle_wasi_http_response_new(headers);
    if (!spindle_wasi_http_response_set_status(response, status)) {
        __builtin_trap();
    }
    writer w;
    if (!spindle_wasi_http_response_body(response, &w.body) || !spindle_wasi_http_outgoing_body_write(w.body, &w.stream)) {
        __builtin_trap();
    }
    spindle_wasi_http_outparam_set(out, response);
    return w;
}

static bool put(writer *w, const void *data, size_t len) {
    return spindle_wasi_http_output_write_all(w->stream, data, len, NULL, NULL) == SPINDLE_WASI_HTTP_STREAM_OK;
}

static bool put_str(writer *w, const char *text) {
    return put(w, text, strlen(text));
}

/* Drops the stream and finishes the body. */
static void finish(writer *w) {
    spindle_wasi_http_output_drop(w->stream);
    if (!spindle_wasi_http_outgoing_body_finish(w->body)) {
        __builtin_trap();
    }
}

static spindle_wasi_http_fields text_headers(void) {
    spindle_wasi_http_fields headers = spindle_wasi_http_fields_new();
    static const char type[] = "text/plain; charset=utf-8";
    if (!spindle_wasi_http_fields_append(headers, "content-type", 12, type, sizeof type - 1, NULL)) {
        __builtin_trap();
    }
    return headers;
}

/* A whole text response. */
static void reply(spindle_wasi_http_outparam out, uint16_t status, const char *text) {
    writer w = start(out, text_headers(), status);
    put_str(&w, text);
    finish(&w);
}

/* The value of query parameter `name` (undecoded) in `query`, or NULL. */
static const char *query_param(const char *query, const char *name, size_t *len) {
    size_t n = strlen(name);
    for (const char *p = query; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '&');
        size_t part = end != NULL ? (size_t)(end - p) : strlen(p);
        if (part >= n && strncmp(p, name, n) == 0 && (part == n || p[n] == '=')) {
            *len = part == n ? 0 : part - n - 1;
            return part == n ? p + n : p + n + 1;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

static bool parse_u64(const char *text, size_t len, uint64_t *out) {
    uint64_t v = 0;
    if (len == 0 || len > 19) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(text[i] - '0');
    }
    *out = v;
    return true;
}

/* ---- routes ------------------------------------------------------------- */

/*
 * Echoes every request header as x-echo-<name> (one entry per value, in order), answers in x-get-count how many
 * values `fields.get` finds for x-m, and adds two multi-valued headers: set-cookie by `append`, x-multi from a
 * `from-list` copy.
 */
static void route_headers(spindle_wasi_http_request req, spindle_wasi_http_outparam out) {
    spindle_wasi_http_fields request_headers = spindle_wasi_http_request_headers(req);
    spindle_wasi_http_entries entries;
    spindle_wasi_http_fields_entries(request_headers, &entries);
    spindle_strings values;
    spindle_wasi_http_fields_get(request_headers, "X-M", 3, &values);
    spindle_wasi_http_fields_drop(request_headers);
    spindle_wasi_http_fields headers = text_headers();
    char count[24];
    int count_len = snprintf(count, sizeof count, "%zu", values.count);
    spindle_strings_free(&values);
    if (!spindle_wasi_http_fields_append(headers, "x-get-count", 11, count, (size_t)count_len, NULL)) {
        __builtin_trap();
    }
    for (size_t i = 0; i < entries.count; i++) {
        char name[256];
        int n = snprintf(name, sizeof name, "x-echo-%s", entries.items[i].name.data);
        if (n < 0 || (size_t)n >= sizeof name ||
            !spindle_wasi_http_fields_append(headers, name, (size_t)n, entries.items[i].value.data,
                                             entries.items[i].value.len, NULL)) {
            __builtin_trap();
        }
    }
    spindle_wasi_http_entries_free(&entries);
    if (!spindle_wasi_http_fields_append(headers, "set-cookie", 10, "a=1", 3, NULL) ||
        !spindle_wasi_http_fields_append(headers, "set-cookie", 10, "b=2", 3, NULL)) {
        __builtin_trap();
    }
    /* from-list builds fields whose entries are then copied over one by one, values in order. */
    spindle_bytes_ref list[][2] = {{{"x-multi", 7}, {"1", 1}}, {{"x-multi", 7}, {"2", 1}}};
    spindle_wasi_http_fields multi;
    spindle_wasi_http_entries multi_entries;
    if (!spindle_wasi_http_fields_from_list((const spindle_bytes_ref(*)[2])list, 2, &multi, NULL)) {
        __builtin_trap();
    }
    spindle_wasi_http_fields_entries(multi, &multi_entries);
    spindle_wasi_http_fields_drop(multi);
    for (size_t i = 0; i < multi_entries.count; i++) {
        spindle_wasi_http_entry *e = &multi_entries.items[i];
        if (!spindle_wasi_http_fields_append(headers, e->name.data, e->name.len, e->value.data, e->value.len, NULL)) {
            __builtin_trap();
        }
    }
    spindle_wasi_http_entries_free(&multi_entries);
    writer w = start(out, headers, 200);
    put_str(&w, "ok");
    finish(&w);
}

static void report(char *buf, size_t cap, size_t *used, const char *what, bool ok, uint8_t error) {
    int n = snprintf(buf + *used, cap - *used, "%s: %s\n", what, ok ? "ok" : spindle_wasi_http_header_error_name(error));
    if (n > 0 && (size_t)n < cap - *used) {
        *used += (size_t)n;
    }
}

/* Tries changes the host must refuse (and one it must accept) and answers one `<case>: <result>` line per try. */
static void route_bad_header(spindle_wasi_http_request req, spindle_wasi_http_outparam out) {
    char text[1024];
    size_t used = 0;
    uint8_t error = 0;
    spindle_wasi_http_fields f = spindle_wasi_http_fields_new();
    bool ok = spindle_wasi_http_fields_append(f, "x-fine", 6, "fine", 4, &error);
    report(text, sizeof text, &used, "append x-fine", ok, error);
    ok = spindle_wasi_http_fields_append(f, "bad name", 8, "v", 1, &error);
    report(text, sizeof text, &used, "append bad name", ok, error);
    ok = spindle_wasi_http_fields_append(f, "x-bad-value", 11, "a\r\nb", 4, &error);
    report(text, sizeof text, &used, "append bad value", ok, error);
    ok = spindle_wasi_http_fields_append(f, "connection", 10, "close", 5, &error);
    report(text, sizeof text, &used, "append connection", ok, error);
    spindle_bytes_ref chunked[] = {{"chunked", 7}};
    ok = spindle_wasi_http_fields_set(f, "transfer-encoding", 17, chunked, 1, &error);
    report(text, sizeof text, &used, "set transfer-encoding", ok, error);
    spindle_bytes_ref list[][2] = {{{"x-a", 3}, {"1", 1}}, {{"x:b", 3}, {"2", 1}}};
    spindle_wasi_http_fields from;
    ok = spindle_wasi_http_fields_from_list((const spindle_bytes_ref(*)[2])list, 2, &from, &error);
    report(text, sizeof text, &used, "from-list with x:b", ok, error);
    if (ok) {
        spindle_wasi_http_fields_drop(from);
    }

    spindle_wasi_http_fields request_headers = spindle_wasi_http_request_headers(req);
    ok = spindle_wasi_http_fields_append(request_headers, "x-new", 5, "1", 1, &error);
    report(text, sizeof text, &used, "append to request headers", ok, error);
    spindle_wasi_http_fields_drop(request_headers);

    spindle_wasi_http_response response = spindle_wasi_http_response_new(f);
    spindle_wasi_http_fields response_headers = spindle_wasi_http_response_headers(response);
    ok = spindle_wasi_http_fields_append(response_headers, "x-late", 6, "1", 1, &error);
    report(text, sizeof text, &used, "append to response headers", ok, error);
    spindle_wasi_http_fields_drop(response_headers);

    writer w;
    if (!spindle_wasi_http_response_body(response, &w.body) || !spindle_wasi_http_outgoing_body_write(w.body, &w.stream)) {
        __builtin_trap();
    }
    spindle_wasi_http_outparam_set(out, response);
    put(&w, text, used);
    finish(&w);
}

/*
 * Copies the request body to the response body in chunks: waits on the input stream's pollable and reads without
 * blocking (or, with ?blocking, uses blocking-read), and writes through check-write/subscribe.  Returns the bytes
 * copied and counts the reads that found nothing although the pollable said ready.
 */
static uint64_t copy_body(spindle_wasi_http_request req, writer *w, bool blocking, uint64_t *empty_reads, bool echo) {
    spindle_wasi_http_body body;
    spindle_wasi_http_input in;
    if (!spindle_wasi_http_request_consume(req, &body) || !spindle_wasi_http_incoming_body_stream(body, &in)) {
        __builtin_trap();
    }
    uint64_t total = 0;
    for (;;) {
        if (!blocking) {
            spindle_wasi_http_pollable ready = spindle_wasi_http_input_subscribe(in);
            spindle_wasi_http_pollable_block(ready);
            spindle_wasi_http_pollable_drop(ready);
        }
        uint8_t *data;
        size_t len;
        spindle_wasi_http_stream_status status = spindle_wasi_http_input_read(in, CHUNK, blocking, &data, &len, NULL);
        if (status == SPINDLE_WASI_HTTP_STREAM_CLOSED) {
            break;
        }
        if (status != SPINDLE_WASI_HTTP_STREAM_OK) {
            __builtin_trap();
        }
        if (len == 0) {
            (*empty_reads)++;
            continue;
        }
        total += len;
        if (echo && !put(w, data, len)) {
            __builtin_trap();
        }
        free(data);
    }
    spindle_wasi_http_input_drop(in);
    spindle_wasi_http_incoming_body_drop(body);
    return total;
}

static void route_echo(spindle_wasi_http_request req, spindle_wasi_http_outparam out, bool blocking) {
    spindle_wasi_http_fields headers = spindle_wasi_http_fields_new();
    writer w = start(out, headers, 200);
    uint64_t empty = 0;
    copy_body(req, &w, blocking, &empty, true);
    finish(&w);
}

/* Starts the response first (so a client can hold the body back until it sees it), then reads the body. */
static void route_poll_body(spindle_wasi_http_request req, spindle_wasi_http_outparam out) {
    writer w = start(out, text_headers(), 200);
    put_str(&w, "waiting\n");
    uint64_t empty = 0;
    uint64_t total = copy_body(req, &w, false, &empty, false);
    char text[96];
    snprintf(text, sizeof text, "bytes:%" PRIu64 " empty-reads:%" PRIu64 "\n", total, empty);
    put_str(&w, text);
    finish(&w);
}

static void route_chunks(spindle_wasi_http_outparam out, const char *query) {
    size_t len;
    const char *n_text = query_param(query, "n", &len);
    uint64_t n;
    if (n_text == NULL || !parse_u64(n_text, len, &n)) {
        reply(out, 400, "bad-request: n");
        return;
    }
    writer w = start(out, text_headers(), 200);
    for (uint64_t i = 0; i < n; i++) {
        char chunk[32];
        int c = snprintf(chunk, sizeof chunk, "chunk %" PRIu64 "\n", i);
        if (!put(&w, chunk, (size_t)c)) {
            __builtin_trap();
        }
    }
    finish(&w);
}

static void route_status(spindle_wasi_http_outparam out, const char *code_text) {
    uint64_t code;
    if (!parse_u64(code_text, strlen(code_text), &code) || code > UINT16_MAX) {
        reply(out, 400, "bad-request: status");
        return;
    }
    spindle_wasi_http_response response = spindle_wasi_http_response_new(text_headers());
    const char *text = spindle_wasi_http_response_set_status(response, (uint16_t)code) ? "status set" : "status refused";
    writer w;
    if (!spindle_wasi_http_response_body(response, &w.body) || !spindle_wasi_http_outgoing_body_write(w.body, &w.stream)) {
        __builtin_trap();
    }
    spindle_wasi_http_outparam_set(out, response);
    put_str(&w, text);
    finish(&w);
}

/*
 * Sets the response, sends part of the body, then traps.  256 KiB (at least) is four times what the host buffers between a
 * guest and its client (docs/http.md), so by the time the writes return most of it has reached the client: the
 * trap then cuts a response that has started.
 */
static void route_trap_after_start(spindle_wasi_http_outparam out) {
    writer w = start(out, text_headers(), 200);
    static const char line[] = "partial body line\n"; /* 18 bytes */
    for (size_t sent = 0; sent < 256 * 1024; sent += sizeof line - 1) {
        put(&w, line, sizeof line - 1);
    }
    spindle_wasi_http_output_blocking_flush(w.stream, NULL);
    __builtin_trap();
}

/* Adds 1 to the decimal counter at ?key= in the default store (missing: 0) and answers the new value. */
static void route_kv(spindle_wasi_http_outparam out, const char *query) {
    size_t key_len;
    const char *key = query_param(query, "key", &key_len);
    if (key == NULL || key_len == 0) {
        reply(out, 400, "bad-request: key");
        return;
    }
    spindle_kv2_store store;
    spindle_kv2_error err = SPINDLE_KV2_ERROR_INIT;
    if (!spindle_kv2_open("default", &store, &err)) {
        reply(out, 500, spindle_kv2_error_text(&err));
        spindle_kv2_error_free(&err);
        return;
    }
    bool found;
    uint8_t *value;
    size_t len;
    uint64_t count = 0;
    if (!spindle_kv2_get_n(store, key, key_len, &found, &value, &len, &err)) {
        reply(out, 500, spindle_kv2_error_text(&err));
        spindle_kv2_error_free(&err);
        spindle_kv2_close(store);
        return;
    }
    if (found) {
        bool ok = parse_u64((const char *)value, len, &count);
        free(value);
        if (!ok) {
            reply(out, 500, "the stored counter is not a decimal number");
            spindle_kv2_close(store);
            return;
        }
    }
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRIu64, count + 1);
    if (!spindle_kv2_set_n(store, key, key_len, text, (size_t)n, &err)) {
        reply(out, 500, spindle_kv2_error_text(&err));
        spindle_kv2_error_free(&err);
        spindle_kv2_close(store);
        return;
    }
    spindle_kv2_close(store);
    reply(out, 200, text);
}

/* The component variable ?name= (fermyon:spin/variables@2.0.0): "ok:<value>", or "err:<case>:<message>". */
static void route_variable(spindle_wasi_http_outparam out, const char *query) {
    static const char *const cases[] = {"invalid-name", "undefined", "provider", "other"};
    size_t name_len;
    const char *name = query_param(query, "name", &name_len);
    if (name == NULL) {
        reply(out, 400, "bad-request: name");
        return;
    }
    spindle_string value;
    spindle_variables_error err;
    char *text;
    if (spindle_variables_get(name, name_len, &value, &err)) {
        text = malloc(value.len + 4);
        if (text == NULL) {
            __builtin_trap();
        }
        snprintf(text, value.len + 4, "ok:%s", value.data);
        free(value.data);
    } else {
        const char *kind = err.tag < 4 ? cases[err.tag] : "sdk";
        size_t size = err.message.len + strlen(kind) + 6;
        text = malloc(size);
        if (text == NULL) {
            __builtin_trap();
        }
        snprintf(text, size, "err:%s:%s", kind, err.message.data == NULL ? "" : err.message.data);
        spindle_variables_error_free(&err);
    }
    reply(out, 200, text);
    free(text);
}

void spindle_wasi_http_handle(spindle_wasi_http_request req, spindle_wasi_http_outparam out) {
    spindle_string target = spindle_wasi_http_request_path_with_query(req);
    char *query = strchr(target.data, '?');
    if (query != NULL) {
        *query++ = '\0';
    } else {
        query = "";
    }
    const char *path = target.data;
    if (strcmp(path, "/headers") == 0) {
        route_headers(req, out);
    } else if (strcmp(path, "/bad-header") == 0) {
        route_bad_header(req, out);
    } else if (strcmp(path, "/echo") == 0) {
        route_echo(req, out, strcmp(query, "blocking") == 0);
    } else if (strcmp(path, "/poll-body") == 0) {
        route_poll_body(req, out);
    } else if (strcmp(path, "/chunks") == 0) {
        route_chunks(out, query);
    } else if (strncmp(path, "/status/", 8) == 0) {
        route_status(out, path + 8);
    } else if (strcmp(path, "/no-response") == 0) {
        /* Returns without setting the response: the host answers 500. */
    } else if (strcmp(path, "/error-code") == 0) {
        spindle_wasi_http_outparam_set_error(out, "the probe answers with an error-code");
    } else if (strcmp(path, "/trap") == 0) {
        __builtin_trap();
    } else if (strcmp(path, "/trap-after-start") == 0) {
        route_trap_after_start(out);
    } else if (strcmp(path, "/variable") == 0) {
        route_variable(out, query);
    } else if (strcmp(path, "/kv") == 0) {
        route_kv(out, query);
    } else if (strcmp(path, "/method") == 0) {
        spindle_string method = spindle_wasi_http_request_method(req);
        reply(out, 200, method.data);
        free(method.data);
    } else {
        reply(out, 404, "not-found");
    }
    free(target.data);
    spindle_wasi_http_request_drop(req);
}
