/* /api/v1/reports, /api/v1/events, /api/v1/quarantine, /api/v1/feeds: intake over HTTP.
 *
 * POST /api/v1/reports streams the body to disk as it arrives (never whole in memory): either
 * the raw file (any content type; feed and file_name in the query) or a multipart/form-data
 * form with a "file" part and "feed", "file_name" and "option" fields. The answer comes once
 * the report is durable: 202 with the report, processed in the background; with ?wait=true,
 * 201 after processing, with the report's accounting. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"
#include "intake/export.h"
#include "intake/intake.h"
#include "intake/parser.h"
#include "model/harmonize.h"

#define MAX_FIELD 512
#define MAX_OPTIONS 32

typedef struct upload {
    ermes_spool_t *spool;
    struct MHD_PostProcessor *pp;
    int multipart;
    char feed[64], file_name[256];
    char options[MAX_OPTIONS][MAX_FIELD + 1];
    int noptions;
    int too_many_options; /* more "option" fields than MAX_OPTIONS */
    int have_file;
    /* Where the form is in its "file" part: in_file while the callbacks are for it, file_end
     * the offset its data reached. A second part would be appended to the first. */
    int in_file;
    uint64_t file_end;
    ermes_diag_t d;
    int err; /* ERMES_E* of the failure */
} upload_t;

static void upload_cleanup(ermes_req_t *req)
{
    upload_t *u = req->upload_state;

    if (!u)
        return;
    if (u->pp)
        MHD_destroy_post_processor(u->pp);
    ermes_intake_spool_abort(u->spool);
    ermes__free(u);
    req->upload_state = NULL;
}

static upload_t *upload_of(ermes_req_t *req)
{
    upload_t *u = req->upload_state;

    if (u)
        return u;
    if (!(u = ermes__calloc(1, sizeof(*u))))
        return NULL;
    ermes_diag_clear(&u->d);
    req->upload_state = u;
    req->upload_cleanup = upload_cleanup;
    return u;
}

/* Records why the upload failed. What was spooled goes at once: the rest of the body is still
 * read (and dropped) before the answer, and a refused report must not hold disk meanwhile or
 * linger after the client has its answer. */
static int fail(ermes_req_t *req, upload_t *u, int err)
{
    u->err = err;
    req->upload_failed = 1;
    ermes_intake_spool_abort(u->spool);
    u->spool = NULL;
    return -1;
}

/* Appends to a small form field (feed, file_name, an option), which may come in pieces.
 * Returns -1 when the value does not fit: it is refused, never silently cut. */
static int add_piece(char *dst, size_t cap, uint64_t off, const char *data, size_t size)
{
    if (off >= cap - 1 || size > cap - 1 - off)
        return -1;
    memcpy(dst + off, data, size);
    dst[off + size] = '\0';
    return 0;
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
static json_t *text_json(const char *s, size_t n)
{
    ermes_strbuf_t b;
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
static void diag_utf8(ermes_diag_t *d)
{
    char *texts[] = {d->field, d->reason};

    for (size_t t = 0; t < 2; t++) {
        size_t n = strlen(texts[t]), len;
        for (size_t k = 0; k < n; k += len ? len : 1)
            if (!(len = utf8_char(texts[t] + k, n - k)))
                texts[t][k] = '?';
    }
}

/* text_json of a NUL-terminated string; JSON null for NULL (or "" when empty_is_null). */
static json_t *text_or_null(const char *s, int empty_is_null)
{
    if (!s || (empty_is_null && !*s))
        return json_null();
    return text_json(s, strlen(s));
}

static enum MHD_Result too_long(ermes_req_t *req, upload_t *u, const char *key, size_t cap)
{
    ermes_diag_set(&u->d, key, "%s is longer than %zu bytes", key, cap - 1);
    fail(req, u, ERMES_EINVAL);
    return MHD_NO;
}

static enum MHD_Result form_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    ermes_req_t *req = cls;
    upload_t *u = req->upload_state;

    if (strcmp(key, "file") != 0)
        u->in_file = 0;
    if (strcmp(key, "file") == 0) {
        /* A part starts at offset 0. libmicrohttpd may call once with no data at offset 0
         * before the part's first bytes (also at 0), so a new part is one that follows
         * another field, or starts at 0 after this part's data. Two files in one report would
         * silently be one file made of both: refused. */
        if (u->have_file && (!u->in_file || (off == 0 && u->file_end > 0))) {
            ermes_diag_set(&u->d, "file", "the form has more than one \"file\" part");
            fail(req, u, ERMES_EINVAL);
            return MHD_NO;
        }
        u->in_file = 1;
        u->file_end = off + size;
        if (!u->spool && ermes_intake_spool_begin(req->srv->intake, &u->spool)) {
            ermes_diag_set(&u->d, "file", "cannot store the report on disk");
            fail(req, u, ERMES_EIO);
            return MHD_NO;
        }
        /* The part's file name, unless a file_name field came first. */
        if (filename && !u->file_name[0] &&
            add_piece(u->file_name, sizeof(u->file_name), 0, filename, strlen(filename)))
            return too_long(req, u, "file_name", sizeof(u->file_name));
        u->have_file = 1;
        if (size) {
            int rc = ermes_intake_spool_write(req->srv->intake, u->spool, data, size, &u->d);
            if (rc) {
                fail(req, u, rc);
                return MHD_NO;
            }
        }
    } else if (strcmp(key, "feed") == 0) {
        if (add_piece(u->feed, sizeof(u->feed), off, data, size))
            return too_long(req, u, key, sizeof(u->feed));
    } else if (strcmp(key, "file_name") == 0) {
        if (add_piece(u->file_name, sizeof(u->file_name), off, data, size))
            return too_long(req, u, key, sizeof(u->file_name));
    } else if (strcmp(key, "option") == 0) {
        /* Each "option" field starts at offset 0; its value may come in pieces. */
        if (off == 0 && u->noptions == MAX_OPTIONS)
            u->too_many_options = 1; /* answered once the form is read */
        else if (off == 0)
            u->noptions++;
        if (!u->too_many_options && u->noptions &&
            add_piece(u->options[u->noptions - 1], MAX_FIELD + 1, off, data, size))
            return too_long(req, u, key, MAX_FIELD + 1);
    } else {
        ermes_diag_set(&u->d, key, "unknown form field \"%.32s\" (file, feed, file_name, option)",
                       key);
        fail(req, u, ERMES_EINVAL);
        return MHD_NO;
    }
    return MHD_YES;
}

int ermes__h_report_upload(ermes_req_t *req, const char *data, size_t n)
{
    upload_t *u = upload_of(req);

    if (!u)
        return (req->upload_failed = 1);
    if (!u->spool && !u->pp) {
        const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
        if (type && strncasecmp(type, "multipart/form-data", 19) == 0) {
            u->multipart = 1;
            u->pp = MHD_create_post_processor(req->conn, 64 * 1024, form_cb, req);
            if (!u->pp) {
                ermes_diag_set(&u->d, NULL, "malformed multipart/form-data body");
                return fail(req, u, ERMES_EPARSE);
            }
        } else if (ermes_intake_spool_begin(req->srv->intake, &u->spool)) {
            ermes_diag_set(&u->d, NULL, "cannot store the report on disk");
            return fail(req, u, ERMES_EIO);
        }
    }
    if (u->multipart) {
        if (MHD_post_process(u->pp, data, n) != MHD_YES && !req->upload_failed) {
            ermes_diag_set(&u->d, NULL, "malformed multipart/form-data body");
            return fail(req, u, ERMES_EPARSE);
        }
        return req->upload_failed ? -1 : 0;
    }
    {
        int rc = ermes_intake_spool_write(req->srv->intake, u->spool, data, n, &u->d);
        if (rc)
            return fail(req, u, rc);
    }
    return 0;
}

struct option_collector {
    const char **list;
    int n;
    int too_many;
};

static enum MHD_Result collect_options(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    struct option_collector *c = cls;

    if (strcmp(key, "option") != 0)
        return MHD_YES;
    if (c->n == MAX_OPTIONS)
        c->too_many = 1;
    else
        c->list[c->n++] = value ? value : "";
    return MHD_YES;
}

/* What the sender said about the report, checked before it is recorded: every value is
 * UTF-8 (it is shown back in JSON), every option key=value. 0, or the status with d set. */
static unsigned check_upload_meta(const upload_t *u, const char *const *options, int too_many,
                                  ermes_diag_t *d)
{
    if (!u->feed[0]) {
        ermes_diag_set(d, "feed", "which feed is this? give feed= (see GET /api/v1/feeds)");
        return 400;
    }
    if (!ermes__utf8_valid(u->feed, strlen(u->feed)) || !ermes_parser_find(u->feed)) {
        ermes_diag_set(d, "feed", "unknown feed \"%s\" (see GET /api/v1/feeds)",
                       ermes__utf8_valid(u->feed, strlen(u->feed)) ? u->feed : "?");
        return 422;
    }
    if (!ermes__utf8_valid(u->file_name, strlen(u->file_name))) {
        ermes_diag_set(d, "file_name", "file_name must be UTF-8");
        return 400;
    }
    if (too_many) {
        ermes_diag_set(d, "option", "at most %d options", MAX_OPTIONS);
        return 422;
    }
    for (const char *const *o = options; *o; o++) {
        size_t n = strlen(*o);
        if (!ermes__utf8_valid(*o, n)) {
            ermes_diag_set(d, "option", "options must be UTF-8");
            return 400;
        }
        if (n > MAX_FIELD) {
            ermes_diag_set(d, "option", "option is longer than %d bytes", MAX_FIELD);
            return 400;
        }
        if ((*o)[0] == '=' || !strchr(*o, '=')) {
            ermes_diag_set(d, "option", "an option is key=value");
            return 422;
        }
    }
    return 0;
}

json_t *ermes__report_json(const ermes_report_t *r);

json_t *ermes__report_json(const ermes_report_t *r)
{
    char received[ERMES_TIME_STRLEN], processed[ERMES_TIME_STRLEN];

    ermes__time_format(r->received_at, received);
    if (r->processed_at)
        ermes__time_format(r->processed_at, processed);
    /* The texts came from outside (the sender, a parser's reason cut to fit): text_json. */
    return json_pack("{s:I,s:o,s:o,s:s,s:o,s:I,s:s,s:{s:I,s:I,s:I,s:I},s:s,s:s?,s:o,s:s}", "id",
                     (json_int_t)r->id, "feed", text_or_null(r->feed, 0), "file_name",
                     text_or_null(r->file_name, 1), "state", r->state, "error",
                     text_or_null(r->error, 1), "size", (json_int_t)r->size, "sha256", r->sha256,
                     "accounting", "rows_in", (json_int_t)r->rows_in, "events",
                     (json_int_t)r->events, "duplicates", (json_int_t)r->duplicates, "quarantined",
                     (json_int_t)r->quarantined, "received_at", received, "processed_at",
                     r->processed_at ? processed : NULL, "submitted_by",
                     text_or_null(r->submitted_by, 0), "tlp", ermes_tlp_name(r->tlp));
}

enum MHD_Result ermes__h_report_create(ermes_req_t *req)
{
    upload_t *u = upload_of(req);
    const char *options[MAX_OPTIONS + 1];
    struct option_collector oc = {options, 0, 0};
    const char *wait = ermes__query(req, "wait"), *q;
    ermes_report_meta_t meta;
    ermes_report_t r;
    char loc[64];
    unsigned status;
    int rc;

    if (!u)
        return MHD_NO;
    if (!req->srv->intake)
        return ermes__reply_error(req, 503, "unavailable", NULL, "intake is not running");
    if (req->upload_failed) {
        /* The partial file goes before the answer does, so a client that reads the 400 finds
         * nothing of its upload left (cleanup would only remove it later). */
        ermes_intake_spool_abort(u->spool);
        u->spool = NULL;
        diag_utf8(&u->d);
        status = u->err == ERMES_ETOOBIG ? 413 : u->err == ERMES_EIO ? 500 : 400;
        return ermes__reply_error(req, status,
                                  status == 413   ? "payload_too_large"
                                  : status == 500 ? "internal"
                                                  : "bad_request",
                                  u->d.field[0] ? u->d.field : NULL, "%s", u->d.reason);
    }
    if (u->multipart && u->pp) {
        /* The post processor says whether the form ended where a form ends: after its closing
         * boundary. A body cut short (a client or proxy that stopped sending) holds the start
         * of the file only; stored, it would be a report with half the rows. */
        enum MHD_Result complete = MHD_destroy_post_processor(u->pp);
        u->pp = NULL;
        if (complete != MHD_YES) {
            ermes_intake_spool_abort(u->spool);
            u->spool = NULL;
            return ermes__reply_error(req, 400, "bad_request", "file",
                                      "the form ends before its closing boundary: the upload "
                                      "was cut short, nothing was stored");
        }
    }
    if (u->multipart && !u->have_file)
        return ermes__reply_error(req, 400, "bad_request", "file", "the form has no \"file\" part");
    if (!u->spool && ermes_intake_spool_begin(req->srv->intake, &u->spool))
        return ermes__reply_error(req, 500, "internal", NULL, "cannot store the report");
    memset(&meta, 0, sizeof(meta));
    /* Form fields win over the query's. */
    if ((q = ermes__query(req, "feed")) && !u->feed[0] &&
        add_piece(u->feed, sizeof(u->feed), 0, q, strlen(q)))
        return ermes__reply_error(req, 400, "bad_request", "feed", "feed is longer than %zu bytes",
                                  sizeof(u->feed) - 1);
    if ((q = ermes__query(req, "file_name")) && !u->file_name[0] &&
        add_piece(u->file_name, sizeof(u->file_name), 0, q, strlen(q)))
        return ermes__reply_error(req, 400, "bad_request", "file_name",
                                  "file_name is longer than %zu bytes", sizeof(u->file_name) - 1);
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_options, &oc);
    for (int k = 0; k < u->noptions; k++) {
        if (oc.n == MAX_OPTIONS)
            oc.too_many = 1;
        else
            options[oc.n++] = u->options[k];
    }
    options[oc.n] = NULL;
    if ((status = check_upload_meta(u, options, oc.too_many || u->too_many_options, &u->d)))
        return ermes__reply_error(req, status, status == 400 ? "bad_request" : "invalid",
                                  u->d.field, "%s", u->d.reason);
    meta.feed = u->feed;
    meta.file_name = u->file_name[0] ? u->file_name : NULL;
    meta.options = options;
    rc = ermes_intake_spool_finish(req->srv->intake, &req->viewer, &meta, u->spool, &r, &u->d);
    u->spool = NULL; /* finish took it */
    if (rc) {
        diag_utf8(&u->d);
        return ermes__reply_failure(req, rc, &u->d);
    }
    snprintf(loc, sizeof(loc), "%lld", (long long)r.id);
    ermes_audit_write(req->srv->store, &req->viewer, "create", "report", loc, NULL);
    if (wait && strcmp(wait, "true") == 0) {
        rc = ermes_intake_process(req->srv->intake, r.id, &r);
        if (rc && rc != ERMES_EBUSY)
            return ermes__reply_failure(req, rc, NULL);
    } else {
        ermes_intake_kick(req->srv->intake);
    }
    snprintf(loc, sizeof(loc), "/api/v1/reports/%lld", (long long)r.id);
    ermes__reply_header(req, "Location", loc);
    return ermes__reply_json(req, strcmp(r.state, "received") == 0 ? 202 : 201,
                             ermes__report_json(&r));
}

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static int report_cb(void *arg, const ermes_report_t *r)
{
    struct list_ctx *c = arg;

    c->last_id = r->id;
    return json_array_append_new(c->data, ermes__report_json(r)) ? ERMES_ENOMEM : 0;
}

static const char *const report_states[] = {"received", "processing", "done", "failed", NULL};
static const char *const quarantine_states[] = {"open", "retried", "resolved", NULL};

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

enum MHD_Result ermes__h_report_list(ermes_req_t *req)
{
    struct list_ctx c = {NULL, 0};
    const char *state = ermes__query(req, "state");
    enum MHD_Result ret;
    int64_t cursor;
    long limit;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret))
        return ret;
    if (state && !one_of(state, report_states))
        return ermes__reply_error(req, 400, "bad_request", "state",
                                  "state must be received, processing, done or failed");
    if (!(c.data = json_array()))
        return MHD_NO;
    rc = ermes_store_report_each(req->srv->store, &req->viewer, state, ermes__query(req, "feed"),
                                 cursor, limit, report_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_report_get(ermes_req_t *req)
{
    ermes_report_t r;
    int64_t id;

    if (!(id = ermes__param_id(req, 0)) ||
        ermes_store_report_get(req->srv->store, &req->viewer, id, &r))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such report");
    return ermes__reply_json(req, 200, ermes__report_json(&r));
}

/* ---- events, streamed ------------------------------------------------------------------- */

typedef struct stream {
    ermes_event_export_t x;
    ermes_server_t *srv;
    ermes_viewer_t viewer;
    ermes_user_t user;
    char remote[64];
    size_t pos;       /* bytes of x.out already sent */
    char *params[16]; /* owned copies of the filter's strings */
} stream_t;

static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_t *s = cls;

    while (s->pos == s->x.out.len) {
        if (s->x.done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        ermes__strbuf_reset(&s->x.out);
        s->pos = 0;
        if (ermes_event_export_chunk(&s->x, s->srv->store, &s->viewer, 500))
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (max > s->x.out.len - s->pos)
        max = s->x.out.len - s->pos;
    memcpy(buf, s->x.out.data + s->pos, max);
    s->pos += max;
    return (ssize_t)max;
}

static void stream_free(void *cls)
{
    stream_t *s = cls;

    ermes_event_export_cleanup(&s->x);
    for (size_t k = 0; k < 16; k++)
        ermes__free(s->params[k]);
    ermes__free(s);
}

static const char *query_param(void *ctx, const char *name)
{
    return ermes__query(ctx, name);
}

enum MHD_Result ermes__h_event_list(ermes_req_t *req)
{
    const char *format = ermes__query(req, "format");
    ermes_export_format_t fmt;
    ermes_event_filter_t f;
    struct MHD_Response *resp;
    ermes_diag_t d;
    enum MHD_Result ret;
    stream_t *s;
    int64_t cursor;
    long limit = 0;

    if (ermes_export_format_parse(format, &fmt))
        return ermes__reply_error(req, 400, "bad_request", "format",
                                  "format must be json, ndjson or csv");
    /* JSON pages like every list (limit 1 to page_limit, 100 by default; next_cursor follows);
     * NDJSON and CSV are exports and stream everything that matches unless a limit (any
     * positive number) is given. The cursor means the same in all three. */
    if (fmt == ERMES_EXPORT_JSON) {
        if (!ermes__page(req, &limit, &cursor, &ret))
            return ret;
    } else {
        int64_t want = 0;
        if (!ermes__query_int(req, "limit", 1, LONG_MAX, &want, &ret) ||
            !ermes__query_cursor(req, &cursor, &ret))
            return ret;
        limit = (long)want;
    }
    ermes_diag_clear(&d);
    if (ermes_event_filter_parse(query_param, req, req->srv->store, &req->viewer, &f, &d)) {
        diag_utf8(&d);
        return ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
    }
    f.after_id = cursor;
    if (!(s = ermes__calloc(1, sizeof(*s))))
        return MHD_NO;
    /* The response outlives this call: the filter's strings and the viewer are copied. */
    {
        const char **slots[] = {&f.feed, &f.taxonomy, &f.type, &f.domain};
        for (size_t k = 0; k < 4; k++)
            if (*slots[k]) {
                s->params[k] = ermes__strdup(*slots[k]);
                *slots[k] = s->params[k];
            }
    }
    s->srv = req->srv;
    s->user = req->user;
    s->viewer = req->viewer;
    s->viewer.user_name = s->user.name;
    snprintf(s->remote, sizeof(s->remote), "%s", req->remote);
    s->viewer.remote = s->remote;
    ermes_event_export_init(&s->x, fmt, &f, limit);
    resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_cb, s, stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ermes_export_content_type(fmt));
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    ermes__reply_secure(req, resp);
    if (fmt == ERMES_EXPORT_CSV)
        MHD_add_response_header(resp, "Content-Disposition", "attachment; filename=\"events.csv\"");
    ret = MHD_queue_response(req->conn, 200, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES)
        req->status = 200;
    return ret;
}

/* Bytes as a JSON string when they are UTF-8, else {"base64": ...}: nothing of them lost. */
static json_t *text_or_base64(const char *p, size_t n)
{
    json_t *j = json_stringn(p ? p : "", n);

    if (!j) {
        size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = ermes__malloc(cap);
        if (!b64)
            return NULL;
        sodium_bin2base64(b64, cap, (const unsigned char *)p, n, sodium_base64_VARIANT_ORIGINAL);
        j = json_pack("{s:s}", "base64", b64);
        ermes__free(b64);
    }
    return j;
}

struct event_ctx {
    ermes_req_t *req;
    json_t *out;
};

#define MAX_RAW_SHOWN (1 << 20)

static int event_cb(void *arg, const ermes_event_row_t *e)
{
    struct event_ctx *c = arg;
    json_t *ev = json_loadb(e->data, e->data_len, 0, NULL);
    char obs[ERMES_TIME_STRLEN];
    char *raw = NULL;
    size_t raw_len = 0;
    int truncated = 0;

    if (!ev)
        ev = json_object();
    /* The row as the feed sent it, read back from the report's file: IntelMQ's "raw" field
     * (base64) in the event, and the text itself beside it for people. */
    if (c->req->srv->intake &&
        ermes_intake_read_raw(c->req->srv->intake, e, MAX_RAW_SHOWN, &raw, &raw_len, &truncated) ==
            0 &&
        !json_object_get(ev, "raw")) {
        size_t cap = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = ermes__malloc(cap);
        if (b64) {
            sodium_bin2base64(b64, cap, (const unsigned char *)raw, raw_len,
                              sodium_base64_VARIANT_ORIGINAL);
            json_object_set_new(ev, "raw", json_string(b64));
            ermes__free(b64);
        }
    }
    ermes__time_format(e->created_at, obs);
    c->out = json_pack("{s:I,s:I,s:I,s:o,s:s,s:s?}", "id", (json_int_t)e->id, "report_id",
                       (json_int_t)e->report_id, "line", (json_int_t)e->line, "event", ev,
                       "stored_at", obs, "owner_rule", e->owner_rule);
    if (c->out) {
        json_object_set_new(c->out, "raw", raw ? text_or_base64(raw, raw_len) : json_null());
        if (truncated)
            json_object_set_new(c->out, "raw_truncated", json_true());
    }
    ermes__free(raw);
    return 0;
}

enum MHD_Result ermes__h_event_get(ermes_req_t *req)
{
    struct event_ctx c = {req, NULL};
    int64_t id;

    if (!(id = ermes__param_id(req, 0)) ||
        ermes_store_event_get(req->srv->store, &req->viewer, id, event_cb, &c))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such event");
    if (!c.out)
        return ermes__reply_error(req, 500, "internal", NULL, "out of memory");
    return ermes__reply_json(req, 200, c.out);
}

static int quarantine_cb(void *arg, const ermes_quarantine_row_t *q)
{
    struct list_ctx *c = arg;
    char when[ERMES_TIME_STRLEN];
    /* A raw row that is not UTF-8 (binary garbage) cannot be a JSON string: it is shown
     * as base64 instead, so nothing of it is lost. */
    json_t *raw = json_stringn(q->raw ? q->raw : "", q->raw_len);

    if (!raw) {
        size_t cap = sodium_base64_ENCODED_LEN(q->raw_len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = ermes__malloc(cap);
        if (!b64)
            return ERMES_ENOMEM;
        sodium_bin2base64(b64, cap, (const unsigned char *)q->raw, q->raw_len,
                          sodium_base64_VARIANT_ORIGINAL);
        raw = json_pack("{s:s}", "base64", b64);
        ermes__free(b64);
    }
    ermes__time_format(q->created_at, when);
    c->last_id = q->id;
    /* The reason may quote the row's bytes: text_or_null keeps the list answerable. */
    return json_array_append_new(
               c->data,
               json_pack("{s:I,s:I,s:o,s:I,s:o,s:o,s:o,s:s,s:s,s:o}", "id", (json_int_t)q->id,
                         "report_id", (json_int_t)q->report_id, "feed", text_or_null(q->feed, 0),
                         "line", (json_int_t)q->line, "raw", raw, "field",
                         text_or_null(q->field, 1), "reason",
                         text_or_null(q->reason ? q->reason : "", 0), "state",
                         q->state ? q->state : "open", "created_at", when, "retried_event_id",
                         q->retried_event_id ? json_integer(q->retried_event_id) : json_null()))
               ? ERMES_ENOMEM
               : 0;
}

enum MHD_Result ermes__h_quarantine_list(ermes_req_t *req)
{
    struct list_ctx c = {NULL, 0};
    const char *state = ermes__query(req, "state");
    enum MHD_Result ret;
    int64_t cursor, report_id = 0;
    long limit;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret))
        return ret;
    if (!ermes__query_int(req, "report", 1, INT64_MAX, &report_id, &ret))
        return ret;
    if (state && !one_of(state, quarantine_states))
        return ermes__reply_error(req, 400, "bad_request", "state",
                                  "state must be open, retried or resolved");
    if (!(c.data = json_array()))
        return MHD_NO;
    rc = ermes_store_quarantine_each(req->srv->store, report_id, state, cursor, limit,
                                     quarantine_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_quarantine_retry(ermes_req_t *req)
{
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    ermes_diag_t d;
    int64_t id, event_id = 0;
    char id_text[32];
    int rc;

    /* Like the other POSTs that take no body: a JSON one is ignored, anything else refused. */
    if (req->body.len && !(type && strncasecmp(type, "application/json", 16) == 0))
        return ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "this request takes no body (or a JSON one, which is ignored)");
    if (!req->srv->intake)
        return ermes__reply_error(req, 503, "unavailable", NULL, "intake is not running");
    if (!(id = ermes__param_id(req, 0)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such quarantined row");
    ermes_diag_clear(&d);
    rc = ermes_intake_retry(req->srv->intake, id, &event_id, &d);
    diag_utf8(&d);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL,
                                  "the row still fails: %s", d.reason);
    if (rc == ERMES_ENOTFOUND && !d.reason[0])
        return ermes__reply_error(req, 404, "not_found", NULL, "no such quarantined row");
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    ermes_audit_write(req->srv->store, &req->viewer, "retry", "quarantine", id_text, NULL);
    return ermes__reply_json(req, 200,
                             json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "state", "retried",
                                       "event_id",
                                       event_id ? json_integer(event_id) : json_null()));
}

enum MHD_Result ermes__h_feed_list(ermes_req_t *req)
{
    json_t *data = json_array();

    for (size_t k = 0; ermes_parsers[k]; k++)
        json_array_append_new(data, json_pack("{s:s,s:s}", "name", ermes_parsers[k]->name,
                                              "description", ermes_parsers[k]->description));
    return ermes__reply_json(req, 200, json_pack("{s:o,s:n}", "data", data, "next_cursor"));
}
