/* Building and queueing replies; reading query strings, JSON bodies and page cursors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"
#include "model/harmonize.h"

void ermes__reply_header(ermes__req_t *req, const char *name, const char *value)
{
    if (req->nextra >= 4)
        return;
    snprintf(req->extra_values[req->nextra], sizeof(req->extra_values[0]), "%s", value);
    req->extra_headers[2 * req->nextra] = name;
    req->extra_headers[2 * req->nextra + 1] = req->extra_values[req->nextra];
    req->nextra++;
}

void ermes__reply_secure(ermes__req_t *req, struct MHD_Response *resp)
{
    /* The same policy for the API and the UI (docs/API.md): the page runs only its own
     * scripts and styles, talks only to this server, and is never framed. */
    MHD_add_response_header(resp, "Content-Security-Policy", ERMES_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    if (req->srv && req->srv->tls_cert_pem)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result queue(ermes__req_t *req, unsigned status, const char *type,
                             struct MHD_Response *resp)
{
    enum MHD_Result ret;

    if (!resp)
        return MHD_NO;
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    /* The API's answers are data and are never cached; the UI's files say otherwise. */
    MHD_add_response_header(resp, "Cache-Control",
                            req->cache_control ? req->cache_control : "no-store");
    ermes__reply_secure(req, resp);
    for (size_t k = 0; k < req->nextra; k++)
        MHD_add_response_header(resp, req->extra_headers[2 * k], req->extra_headers[2 * k + 1]);
    req->nextra = 0;
    ret = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES)
        req->status = (int)status;
    return ret;
}

enum MHD_Result ermes__reply_bytes(ermes__req_t *req, unsigned status, const char *type,
                                   const void *p, size_t n)
{
    return queue(req, status, type,
                 MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY));
}

enum MHD_Result ermes__reply_static(ermes__req_t *req, unsigned status, const char *type,
                                    const void *p, size_t n)
{
    return queue(req, status, type,
                 MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_PERSISTENT));
}

enum MHD_Result ermes__reply_owned(ermes__req_t *req, unsigned status, const char *type, char *p,
                                   size_t n)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(n, p, ermes__free);

    if (!resp)
        ermes__free(p);
    return queue(req, status, type, resp);
}

enum MHD_Result ermes__reply_owned_at(ermes__req_t *req, unsigned status, const char *type, char *p,
                                      size_t off, size_t n)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback_cls(n, p + off, ermes__free, p);

    if (!resp)
        ermes__free(p);
    return queue(req, status, type, resp);
}

enum MHD_Result ermes__reply_shared(ermes__req_t *req, unsigned status, const char *type,
                                    const char *p, size_t n, void (*release)(void *), void *cls)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback_cls(n, (void *)p, release, cls);

    if (!resp)
        release(cls);
    return queue(req, status, type, resp);
}

enum MHD_Result ermes__reply_empty(ermes__req_t *req, unsigned status)
{
    return queue(req, status, NULL,
                 MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT));
}

enum MHD_Result ermes__reply_json(ermes__req_t *req, unsigned status, json_t *body)
{
    char *text;
    size_t n;
    enum MHD_Result ret;

    static const char oom[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\",\"field\":null}}";

    if (!body)
        return ermes__reply_bytes(req, 500, "application/json", oom, sizeof(oom) - 1);
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        return MHD_NO;
    n = strlen(text);
    ret = queue(req, status, "application/json",
                MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE));
    return ret;
}

/* Replaces every byte that is not part of valid UTF-8 with '?', in place: messages echo what
 * the client sent, and a JSON string must be UTF-8. Also ends a sequence cut by truncation. */
static void utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;

    while (*p) {
        size_t n = *p < 0x80             ? 1
                   : (*p & 0xE0) == 0xC0 ? 2
                   : (*p & 0xF0) == 0xE0 ? 3
                   : (*p & 0xF8) == 0xF0 ? 4
                                         : 0;
        size_t k = 1;
        if ((n == 2 && *p < 0xC2) || (n == 3 && *p == 0xE0 && p[1] < 0xA0) ||
            (n == 3 && *p == 0xED && p[1] >= 0xA0) || (n == 4 && *p == 0xF0 && p[1] < 0x90) ||
            (n == 4 && (*p > 0xF4 || (*p == 0xF4 && p[1] >= 0x90))))
            n = 0; /* overlong, a surrogate, or beyond U+10FFFF */
        for (; n && k < n; k++)
            if ((p[k] & 0xC0) != 0x80)
                break;
        if (n == 0 || k < n) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

enum MHD_Result ermes__reply_error(ermes__req_t *req, unsigned status, const char *code,
                                   const char *field, const char *fmt, ...)
{
    char msg[512], fld[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_clean(msg);
    if (field) {
        snprintf(fld, sizeof(fld), "%s", field);
        utf8_clean(fld);
    }
    if (req->url && strncmp(req->url, "/taxii2", 7) == 0 &&
        (req->url[7] == '/' || req->url[7] == '\0')) {
        /* TAXII 2.1 section 3.6.1: an error is an error resource, in TAXII's media type. */
        char st[8], *text;
        json_t *e;
        snprintf(st, sizeof(st), "%u", status);
        e = json_pack("{s:s,s:s,s:s,s:s}", "title", MHD_get_reason_phrase_for(status),
                      "description", msg, "error_code", code, "http_status", st);
        if (e && field)
            json_object_set_new(e, "details", json_pack("{s:s}", "field", fld));
        text = e ? json_dumps(e, JSON_COMPACT) : NULL;
        json_decref(e);
        if (!text)
            return MHD_NO;
        return ermes__reply_owned(req, status, "application/taxii+json;version=2.1", text,
                                  strlen(text));
    }
    return ermes__reply_json(req, status,
                             json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", code, "message", msg,
                                       "field", field ? fld : NULL));
}

enum MHD_Result ermes__reply_failure(ermes__req_t *req, int err, const ermes_diag_t *d)
{
    const char *reason = d && d->reason[0] ? d->reason : ermes_strerror(err);
    const char *field = d && d->field[0] ? d->field : NULL;

    switch (err) {
    case ERMES_EINVAL:
    case ERMES_ERANGE:
        return ermes__reply_error(req, 422, "invalid", field, "%s", reason);
    case ERMES_EPARSE:
        return ermes__reply_error(req, 400, "bad_request", field, "%s", reason);
    case ERMES_ENOTFOUND:
        return ermes__reply_error(req, 404, "not_found", field, "%s", reason);
    case ERMES_EEXISTS:
    case ERMES_ECONFLICT:
        return ermes__reply_error(req, 409, "conflict", field, "%s", reason);
    case ERMES_EDENIED:
        return ermes__reply_error(req, 403, "forbidden", field, "%s", reason);
    case ERMES_EAUTH:
        return ermes__reply_error(req, 401, "unauthorized", field, "%s", reason);
    case ERMES_ETOOBIG:
        return ermes__reply_error(req, 413, "payload_too_large", field, "%s", reason);
    case ERMES_EBUSY:
        return ermes__reply_error(req, 503, "unavailable", NULL, "the database is busy; try again");
    default:
        return ermes__reply_error(req, 500, "internal", NULL, "internal error: %s",
                                  ermes_strerror(err));
    }
}

const char *ermes__query(ermes__req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

int ermes__body_json(ermes__req_t *req, json_t **out, enum MHD_Result *ret)
{
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    json_error_t err;

    /* An empty body where every member is optional is an empty object. */
    if (req->body.len == 0 && !type && req->empty_body_ok) {
        *out = json_object();
        return *out != NULL;
    }
    if (!type || strncasecmp(type, "application/json", 16) != 0 ||
        (type[16] && type[16] != ';' && type[16] != ' ')) {
        *ret = ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "the body must be application/json");
        return 0;
    }
    *out = json_loadb(req->body.data ? req->body.data : "", req->body.len, JSON_REJECT_DUPLICATES,
                      &err);
    if (!*out) {
        *ret = ermes__reply_json(
            req, 400,
            json_pack("{s:{s:s,s:s+,s:n,s:I,s:i,s:i}}", "error", "code", "malformed_json",
                      "message", "malformed JSON: ", err.text, "field", "position",
                      (json_int_t)err.position, "line", err.line, "column", err.column));
        return 0;
    }
    return 1;
}

int ermes__query_int_parse(const char *v, const char *name, int64_t min, int64_t max, int64_t *out,
                           ermes_diag_t *d)
{
    if (!v)
        return 0;
    return ermes__parse_int64(v, name, min, max, out, d);
}

int ermes__query_int(ermes__req_t *req, const char *name, int64_t min, int64_t max, int64_t *out,
                     enum MHD_Result *ret)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes__query_int_parse(ermes__query(req, name), name, min, max, out, &d)) {
        *ret = ermes__reply_error(req, 400, "bad_request", name, "%s", d.reason);
        return 0;
    }
    return 1;
}

int ermes__cursor_parse(const char *c, int64_t *cursor, ermes_diag_t *d)
{
    *cursor = 0;
    /* A cursor is "c" followed by the last id seen: opaque to clients, checked here, so one
     * past INT64_MAX is refused instead of saturating into an empty page. */
    if (c && *c &&
        (c[0] != 'c' || ermes__parse_int64(c + 1, "cursor", 0, INT64_MAX, cursor, NULL))) {
        ermes_diag_set(d, "cursor", "cursor is not one this server gave out");
        return ERMES_EPARSE;
    }
    return 0;
}

int ermes__query_cursor(ermes__req_t *req, int64_t *cursor, enum MHD_Result *ret)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes__cursor_parse(ermes__query(req, "cursor"), cursor, &d)) {
        *ret = ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
        return 0;
    }
    return 1;
}

int ermes__page_parse(const char *limit_text, const char *cursor_text, int64_t page_limit,
                      long *limit, int64_t *cursor, ermes_diag_t *d)
{
    int64_t v = 100;
    int rc;

    if ((rc = ermes__query_int_parse(limit_text, "limit", 1, page_limit, &v, d)))
        return rc;
    *limit = (long)v;
    return ermes__cursor_parse(cursor_text, cursor, d);
}

int ermes__page(ermes__req_t *req, long *limit, int64_t *cursor, enum MHD_Result *ret)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes__page_parse(ermes__query(req, "limit"), ermes__query(req, "cursor"),
                          req->srv->cfg->page_limit, limit, cursor, &d)) {
        /* The field is the parameter: ermes__parse_int64 names "limit", the cursor "cursor". */
        *ret = ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
        return 0;
    }
    return 1;
}

enum MHD_Result ermes__reply_page(ermes__req_t *req, json_t *data, int more, int64_t last_id)
{
    char cursor[32];

    snprintf(cursor, sizeof(cursor), "c%lld", (long long)last_id);
    return ermes__reply_json(
        req, 200, json_pack("{s:o,s:s?}", "data", data, "next_cursor", more ? cursor : NULL));
}

/* The length of the well-formed UTF-8 sequence at s[0..n), or 0 when s[0] starts none. */
static size_t utf8_char(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;

    return len && len <= n && ermes__utf8_valid(s, len) ? len : 0;
}

/* A JSON string of s[0..n), which is meant to be UTF-8 but may not be: a file name as a client
 * sent it, a parser's reason quoting the bytes of a bad row, a reason cut in the middle of a
 * character. Each byte that does not start a well-formed sequence becomes U+FFFD, so that one
 * such value can never make a whole list unanswerable. NULL only when out of memory. */
json_t *ermes__json_text(const char *s, size_t n)
{
    ermes__strbuf_t b;
    json_t *j;
    int rc = 0;

    if (ermes__utf8_valid(s, n))
        return json_stringn(s, n);
    ermes__strbuf_init(&b, n * 3 + 1);
    for (size_t k = 0, len; k < n && !rc; k += len ? len : 1) {
        len = utf8_char(s + k, n - k);
        rc = len ? ermes__strbuf_add(&b, s + k, len) : ermes__strbuf_add(&b, "\xef\xbf\xbd", 3);
    }
    j = rc ? NULL : json_stringn(b.data ? b.data : "", b.len);
    ermes__strbuf_cleanup(&b);
    return j;
}

/* Makes a diagnostic fit for a JSON error: a byte of its reason or field that is not UTF-8
 * (a parser quoting a bad row, a name cut to fit) becomes '?'. */
void ermes__diag_utf8(ermes_diag_t *d)
{
    char *texts[] = {d->field, d->reason};

    for (size_t t = 0; t < 2; t++) {
        size_t n = strlen(texts[t]), len;
        for (size_t k = 0; k < n; k += len ? len : 1)
            if (!(len = utf8_char(texts[t] + k, n - k)))
                texts[t][k] = '?';
    }
}

/* ermes__json_text of a NUL-terminated string; JSON null for NULL (or "" when empty_is_null). */
json_t *ermes__json_text_or_null(const char *s, int empty_is_null)
{
    if (!s || (empty_is_null && !*s))
        return json_null();
    return ermes__json_text(s, strlen(s));
}

/* ms as RFC 3339 UTC, or JSON null when 0 (never happened). */
json_t *ermes__json_time(int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    if (!ms)
        return json_null();
    ermes__time_format(ms, buf);
    return json_string(buf);
}
