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

#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"
#include "intake/export.h"
#include "intake/intake.h"
#include "intake/parser.h"

#define MAX_FIELD 512
#define MAX_OPTIONS 32

typedef struct upload {
    ermes_spool_t *spool;
    struct MHD_PostProcessor *pp;
    int multipart;
    char feed[64], file_name[256];
    char options[MAX_OPTIONS][MAX_FIELD];
    int noptions;
    int have_file;
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

static int fail(ermes_req_t *req, upload_t *u, int err)
{
    u->err = err;
    req->upload_failed = 1;
    return -1;
}

/* Appends to a small form field (feed, file_name, an option), which may come in pieces. */
static void add_piece(char *dst, size_t cap, uint64_t off, const char *data, size_t size)
{
    if (off >= cap - 1)
        return;
    if (off + size > cap - 1)
        size = (size_t)(cap - 1 - off);
    memcpy(dst + off, data, size);
    dst[off + size] = '\0';
}

static enum MHD_Result form_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    ermes_req_t *req = cls;
    upload_t *u = req->upload_state;

    if (strcmp(key, "file") == 0) {
        if (!u->spool && ermes_intake_spool_begin(req->srv->intake, &u->spool)) {
            ermes_diag_set(&u->d, "file", "cannot store the report on disk");
            fail(req, u, ERMES_EIO);
            return MHD_NO;
        }
        if (filename && !u->file_name[0])
            snprintf(u->file_name, sizeof(u->file_name), "%s", filename);
        u->have_file = 1;
        if (size && ermes_intake_spool_write(req->srv->intake, u->spool, data, size, &u->d)) {
            fail(req, u, u->d.reason[0] && strstr(u->d.reason, "exceeds") ? ERMES_ETOOBIG
                                                                         : ERMES_EIO);
            return MHD_NO;
        }
    } else if (strcmp(key, "feed") == 0) {
        add_piece(u->feed, sizeof(u->feed), off, data, size);
    } else if (strcmp(key, "file_name") == 0) {
        add_piece(u->file_name, sizeof(u->file_name), off, data, size);
    } else if (strcmp(key, "option") == 0) {
        if (off == 0 && u->noptions < MAX_OPTIONS)
            u->noptions++;
        if (u->noptions)
            add_piece(u->options[u->noptions - 1], MAX_FIELD, off, data, size);
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
        const char *type =
            MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
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
    if (ermes_intake_spool_write(req->srv->intake, u->spool, data, n, &u->d))
        return fail(req, u, strstr(u->d.reason, "exceeds") ? ERMES_ETOOBIG : ERMES_EIO);
    return 0;
}

struct option_collector {
    const char **list;
    int n;
};

static enum MHD_Result collect_options(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    struct option_collector *c = cls;

    if (strcmp(key, "option") == 0 && value && c->n < MAX_OPTIONS)
        c->list[c->n++] = value;
    return MHD_YES;
}

json_t *ermes__report_json(const ermes_report_t *r);

json_t *ermes__report_json(const ermes_report_t *r)
{
    char received[ERMES_TIME_STRLEN], processed[ERMES_TIME_STRLEN];

    ermes__time_format(r->received_at, received);
    if (r->processed_at)
        ermes__time_format(r->processed_at, processed);
    return json_pack("{s:I,s:s,s:s?,s:s,s:s?,s:I,s:s,s:{s:I,s:I,s:I,s:I},s:s,s:s?,s:s,s:s}", "id",
                     (json_int_t)r->id, "feed", r->feed, "file_name",
                     r->file_name[0] ? r->file_name : NULL, "state", r->state, "error",
                     r->error[0] ? r->error : NULL, "size", (json_int_t)r->size, "sha256",
                     r->sha256, "accounting", "rows_in", (json_int_t)r->rows_in, "events",
                     (json_int_t)r->events, "duplicates", (json_int_t)r->duplicates,
                     "quarantined", (json_int_t)r->quarantined, "received_at", received,
                     "processed_at", r->processed_at ? processed : NULL, "submitted_by",
                     r->submitted_by, "tlp", ermes_tlp_name(r->tlp));
}

enum MHD_Result ermes__h_report_create(ermes_req_t *req)
{
    upload_t *u = upload_of(req);
    const char *options[MAX_OPTIONS + 1];
    struct option_collector oc = {options, 0};
    const char *wait = ermes__query(req, "wait"), *q;
    ermes_report_meta_t meta;
    ermes_report_t r;
    char loc[64];
    int rc;

    if (!u)
        return MHD_NO;
    if (!req->srv->intake)
        return ermes__reply_error(req, 503, "unavailable", NULL, "intake is not running");
    if (req->upload_failed) {
        unsigned status = u->err == ERMES_ETOOBIG ? 413 : u->err == ERMES_EIO ? 500 : 400;
        return ermes__reply_error(req, status,
                                  status == 413   ? "payload_too_large"
                                  : status == 500 ? "internal"
                                                  : "bad_request",
                                  u->d.field[0] ? u->d.field : NULL, "%s", u->d.reason);
    }
    if (u->multipart && u->pp)
        MHD_destroy_post_processor(u->pp), u->pp = NULL;
    if (u->multipart && !u->have_file)
        return ermes__reply_error(req, 400, "bad_request", "file",
                                  "the form has no \"file\" part");
    if (!u->spool && ermes_intake_spool_begin(req->srv->intake, &u->spool))
        return ermes__reply_error(req, 500, "internal", NULL, "cannot store the report");
    memset(&meta, 0, sizeof(meta));
    if ((q = ermes__query(req, "feed")) && !u->feed[0])
        snprintf(u->feed, sizeof(u->feed), "%s", q);
    if ((q = ermes__query(req, "file_name")) && !u->file_name[0])
        snprintf(u->file_name, sizeof(u->file_name), "%s", q);
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_options, &oc);
    for (int k = 0; k < u->noptions && oc.n < MAX_OPTIONS; k++)
        options[oc.n++] = u->options[k];
    options[oc.n] = NULL;
    if (!u->feed[0]) {
        return ermes__reply_error(req, 422, "invalid", "feed",
                                  "which feed is this? give feed= (see GET /api/v1/feeds)");
    }
    meta.feed = u->feed;
    meta.file_name = u->file_name[0] ? u->file_name : NULL;
    meta.options = options;
    rc = ermes_intake_spool_finish(req->srv->intake, &req->viewer, &meta, u->spool, &r, &u->d);
    u->spool = NULL; /* finish took it */
    if (rc)
        return ermes__reply_failure(req, rc, &u->d);
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

enum MHD_Result ermes__h_report_list(ermes_req_t *req)
{
    struct list_ctx c = {json_array(), 0};
    enum MHD_Result ret;
    int64_t cursor;
    long limit;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret)) {
        json_decref(c.data);
        return ret;
    }
    rc = ermes_store_report_each(req->srv->store, &req->viewer, ermes__query(req, "state"),
                                 ermes__query(req, "feed"), cursor, limit, report_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

static int parse_id(ermes_req_t *req, int64_t *id)
{
    char buf[32], *end;

    if (ermes__param(req, 0, buf, sizeof(buf)))
        return 0;
    *id = strtoll(buf, &end, 10);
    return buf[0] && !*end && *id > 0;
}

enum MHD_Result ermes__h_report_get(ermes_req_t *req)
{
    ermes_report_t r;
    int64_t id;

    if (!parse_id(req, &id) || ermes_store_report_get(req->srv->store, &req->viewer, id, &r))
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
    size_t pos; /* bytes of x.out already sent */
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
    const char *format = ermes__query(req, "format"), *l = ermes__query(req, "limit");
    ermes_export_format_t fmt;
    ermes_event_filter_t f;
    struct MHD_Response *resp;
    ermes_diag_t d;
    enum MHD_Result ret;
    stream_t *s;
    int64_t cursor;
    long limit = 0;
    char *end;

    if (ermes_export_format_parse(format, &fmt))
        return ermes__reply_error(req, 400, "bad_request", "format",
                                  "format must be json, ndjson or csv");
    if (l) {
        limit = strtol(l, &end, 10);
        if (!*l || *end || limit < 1)
            return ermes__reply_error(req, 400, "bad_request", "limit",
                                      "limit must be a positive number");
    }
    /* JSON pages like every list (limit defaults to 100, next_cursor follows); NDJSON and CSV
     * are exports and stream everything that matches unless a limit is given. */
    if (fmt == ERMES_EXPORT_JSON && !l)
        limit = 100;
    if (fmt == ERMES_EXPORT_JSON && limit > req->srv->cfg->page_limit)
        limit = req->srv->cfg->page_limit;
    {
        long dummy;
        if (!ermes__page(req, &dummy, &cursor, &ret))
            return ret;
    }
    ermes_diag_clear(&d);
    if (ermes_event_filter_parse(query_param, req, req->srv->store, &req->viewer, &f, &d))
        return ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
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
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_cb, s,
                                             stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ermes_export_content_type(fmt));
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (fmt == ERMES_EXPORT_CSV)
        MHD_add_response_header(resp, "Content-Disposition",
                                "attachment; filename=\"events.csv\"");
    ret = MHD_queue_response(req->conn, 200, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES)
        req->status = 200;
    return ret;
}

static int event_cb(void *arg, const ermes_event_row_t *e)
{
    json_t **out = arg;
    json_t *ev = json_loadb(e->data, e->data_len, 0, NULL);
    char obs[ERMES_TIME_STRLEN];

    ermes__time_format(e->created_at, obs);
    *out = json_pack("{s:I,s:I,s:I,s:o,s:s,s:s?}", "id", (json_int_t)e->id, "report_id",
                     (json_int_t)e->report_id, "line", (json_int_t)e->line, "event",
                     ev ? ev : json_object(), "stored_at", obs, "owner_rule", e->owner_rule);
    return 0;
}

enum MHD_Result ermes__h_event_get(ermes_req_t *req)
{
    json_t *out = NULL;
    int64_t id;

    if (!parse_id(req, &id) ||
        ermes_store_event_get(req->srv->store, &req->viewer, id, event_cb, &out))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such event");
    return ermes__reply_json(req, 200, out);
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
    return json_array_append_new(
               c->data, json_pack("{s:I,s:I,s:s?,s:I,s:o,s:s?,s:s,s:s,s:s}", "id",
                                  (json_int_t)q->id, "report_id", (json_int_t)q->report_id,
                                  "feed", q->feed, "line", (json_int_t)q->line, "raw", raw,
                                  "field", q->field, "reason", q->reason, "state", q->state,
                                  "created_at", when))
               ? ERMES_ENOMEM
               : 0;
}

enum MHD_Result ermes__h_quarantine_list(ermes_req_t *req)
{
    struct list_ctx c = {json_array(), 0};
    const char *report = ermes__query(req, "report");
    enum MHD_Result ret;
    int64_t cursor;
    long limit;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret)) {
        json_decref(c.data);
        return ret;
    }
    rc = ermes_store_quarantine_each(req->srv->store, report ? strtoll(report, NULL, 10) : 0,
                                     ermes__query(req, "state"), cursor, limit, quarantine_cb, &c,
                                     &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_quarantine_retry(ermes_req_t *req)
{
    ermes_diag_t d;
    int64_t id, event_id = 0;
    int rc;

    if (!parse_id(req, &id))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such quarantined row");
    ermes_diag_clear(&d);
    rc = ermes_intake_retry(req->srv->intake, id, &event_id, &d);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL,
                                  "the row still fails: %s", d.reason);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
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
