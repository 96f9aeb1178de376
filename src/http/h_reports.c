/* /api/v1/reports: feed files received over HTTP.
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
#include <time.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"
#include "intake/export.h"
#include "intake/intake.h"
#include "intake/parser.h"
#include "http/report_form.h"
#include "model/harmonize.h"

#define MAX_OPTIONS ERMES_FORM_MAX_OPTIONS

typedef struct upload {
    ermes__spool_t *spool;
    struct MHD_PostProcessor *pp;
    int multipart;
    ermes__report_form_t form; /* the form's fields, filled as the parts arrive */
    ermes__form_scan_t scan;   /* its parts, counted from the raw body */
    ermes_diag_t d;
    int err; /* ERMES_E* of the failure */
} upload_t;

static void upload_cleanup(ermes__req_t *req)
{
    upload_t *u = req->upload_state;

    if (!u)
        return;
    if (u->pp)
        MHD_destroy_post_processor(u->pp);
    ermes__intake_spool_abort(u->spool);
    ermes__free(u);
    req->upload_state = NULL;
}

static upload_t *upload_of(ermes__req_t *req)
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
static int fail(ermes__req_t *req, upload_t *u, int err)
{
    u->err = err;
    req->upload_failed = 1;
    ermes__intake_spool_abort(u->spool);
    u->spool = NULL;
    return -1;
}

/* The form's file part goes to the spool, started with its first piece. */
static int sink_begin(void *arg, ermes_diag_t *d)
{
    ermes__req_t *req = arg;
    upload_t *u = req->upload_state;

    if (!u->spool && ermes__intake_spool_begin(req->srv->intake, &u->spool)) {
        ermes_diag_set(d, "file", "cannot store the report on disk");
        return ERMES_EIO;
    }
    return 0;
}

static int sink_write(void *arg, const char *data, size_t size, ermes_diag_t *d)
{
    ermes__req_t *req = arg;
    upload_t *u = req->upload_state;

    return ermes__intake_spool_write(req->srv->intake, u->spool, data, size, d);
}

static enum MHD_Result form_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    ermes__req_t *req = cls;
    upload_t *u = req->upload_state;
    const ermes__form_sink_t sink = {sink_begin, sink_write, req};
    int rc = ermes__report_form_field(&u->form, &sink, key, filename, data, off, size, &u->d);

    if (rc) {
        fail(req, u, rc);
        return MHD_NO;
    }
    return MHD_YES;
}

int ermes__h_report_upload(ermes__req_t *req, const char *data, size_t n)
{
    upload_t *u = upload_of(req);

    if (!u)
        return (req->upload_failed = 1);
    if (!u->spool && !u->pp) {
        const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
        if (type && strncasecmp(type, "multipart/form-data", 19) == 0) {
            u->multipart = 1;
            u->pp = MHD_create_post_processor(req->conn, 64 * 1024, form_cb, req);
            if (!u->pp || ermes__form_scan_init(&u->scan, type)) {
                ermes_diag_set(&u->d, NULL, "malformed multipart/form-data body");
                return fail(req, u, ERMES_EPARSE);
            }
        } else if (ermes__intake_spool_begin(req->srv->intake, &u->spool)) {
            ermes_diag_set(&u->d, NULL, "cannot store the report on disk");
            return fail(req, u, ERMES_EIO);
        }
    }
    if (u->multipart) {
        ermes__form_scan_feed(&u->scan, data, n);
        if (MHD_post_process(u->pp, data, n) != MHD_YES && !req->upload_failed) {
            ermes_diag_set(&u->d, NULL, "malformed multipart/form-data body");
            return fail(req, u, ERMES_EPARSE);
        }
        return req->upload_failed ? -1 : 0;
    }
    {
        int rc = ermes__intake_spool_write(req->srv->intake, u->spool, data, n, &u->d);
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

json_t *ermes__report_json(const ermes__report_t *r);

json_t *ermes__report_json(const ermes__report_t *r)
{
    char received[ERMES_TIME_STRLEN], processed[ERMES_TIME_STRLEN], expired[ERMES_TIME_STRLEN];
    json_t *o;

    ermes__time_format(r->received_at, received);
    if (r->processed_at)
        ermes__time_format(r->processed_at, processed);
    /* The texts came from outside (the sender, a parser's reason cut to fit): ermes__json_text. */
    o = json_pack("{s:I,s:o,s:o,s:s,s:o,s:I,s:s,s:{s:I,s:I,s:I,s:I,s:I},s:s,s:s?,s:o,s:s}", "id",
                  (json_int_t)r->id, "feed", ermes__json_text_or_null(r->feed, 0), "file_name",
                  ermes__json_text_or_null(r->file_name, 1), "state", r->state, "error",
                  ermes__json_text_or_null(r->error, 1), "size", (json_int_t)r->size, "sha256",
                  r->sha256, "accounting", "rows_in", (json_int_t)r->rows_in, "events",
                  (json_int_t)r->events, "duplicates", (json_int_t)r->duplicates, "quarantined",
                  (json_int_t)r->quarantined, "dismissed", (json_int_t)r->dismissed, "received_at",
                  received, "processed_at", r->processed_at ? processed : NULL, "submitted_by",
                  ermes__json_text_or_null(r->submitted_by, 0), "tlp", ermes_tlp_name(r->tlp));
    /* Only on a report retention expired: its events, raw rows and file are gone. */
    if (o && r->expired_at) {
        ermes__time_format(r->expired_at, expired);
        json_object_set_new(o, "expired_at", json_string(expired));
    }
    return o;
}

/* Drops what was spooled of a refused upload before the answer goes out: a client that reads
 * the 4xx must find nothing of its upload left (cleanup runs only after the answer is sent). */
static void drop_spool(upload_t *u)
{
    ermes__intake_spool_abort(u->spool);
    u->spool = NULL;
}

enum MHD_Result ermes__h_report_create(ermes__req_t *req)
{
    upload_t *u = upload_of(req);
    const char *options[MAX_OPTIONS + 1];
    struct option_collector oc = {options, 0, 0};
    const char *wait = ermes__query(req, "wait"), *force = ermes__query(req, "force"), *q;
    ermes__report_meta_t meta;
    ermes__report_t r;
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
        drop_spool(u);
        ermes__diag_utf8(&u->d);
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
            drop_spool(u);
            return ermes__reply_error(req, 400, "bad_request", "file",
                                      "the form ends before its closing boundary: the upload "
                                      "was cut short, nothing was stored");
        }
    }
    if (u->multipart && u->scan.file_parts > 1) {
        /* Seen here when the post processor took two parts for one (an empty first one). */
        drop_spool(u);
        return ermes__reply_error(req, 400, "bad_request", "file",
                                  "the form has more than one \"file\" part (%d): one "
                                  "report per upload, nothing was stored",
                                  u->scan.file_parts);
    }
    if (u->multipart && !u->form.have_file) {
        drop_spool(u);
        return ermes__reply_error(req, 400, "bad_request", "file", "the form has no \"file\" part");
    }
    if (force && strcmp(force, "true") != 0 && strcmp(force, "false") != 0) {
        drop_spool(u);
        return ermes__reply_error(req, 400, "bad_request", "force", "force must be true or false");
    }
    if (!u->spool && ermes__intake_spool_begin(req->srv->intake, &u->spool))
        return ermes__reply_error(req, 500, "internal", NULL, "cannot store the report");
    memset(&meta, 0, sizeof(meta));
    /* Form fields win over the query's. */
    if ((q = ermes__query(req, "feed")) && !u->form.feed[0] &&
        ermes__form_add_piece(u->form.feed, sizeof(u->form.feed), 0, q, strlen(q))) {
        drop_spool(u);
        return ermes__reply_error(req, 400, "bad_request", "feed", "feed is longer than %zu bytes",
                                  sizeof(u->form.feed) - 1);
    }
    if ((q = ermes__query(req, "file_name")) && !u->form.file_name[0] &&
        ermes__form_add_piece(u->form.file_name, sizeof(u->form.file_name), 0, q, strlen(q))) {
        drop_spool(u);
        return ermes__reply_error(req, 400, "bad_request", "file_name",
                                  "file_name is longer than %zu bytes",
                                  sizeof(u->form.file_name) - 1);
    }
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_options, &oc);
    for (int k = 0; k < u->form.noptions; k++) {
        if (oc.n == MAX_OPTIONS)
            oc.too_many = 1;
        else
            options[oc.n++] = u->form.options[k];
    }
    options[oc.n] = NULL;
    if ((status = ermes__report_form_check(&u->form, options,
                                           oc.too_many || u->form.too_many_options, &u->d))) {
        drop_spool(u);
        return ermes__reply_error(req, status, status == 400 ? "bad_request" : "invalid",
                                  u->d.field, "%s", u->d.reason);
    }
    meta.feed = u->form.feed;
    meta.file_name = u->form.file_name[0] ? u->form.file_name : NULL;
    meta.options = options;
    meta.force = force && strcmp(force, "true") == 0;
    meta.tlp = ermes__query(req, "tlp");
    rc = ermes__intake_spool_finish(req->srv->intake, &req->viewer, &meta, u->spool, &r, &u->d);
    u->spool = NULL; /* finish took it */
    if (rc == ERMES_EEXISTS) {
        /* The same file again: nothing new is stored; the answer is the report received
         * first, so a client that retries an upload gets what its first attempt made. */
        json_t *body = ermes__report_json(&r);
        snprintf(loc, sizeof(loc), "/api/v1/reports/%lld", (long long)r.id);
        ermes__reply_header(req, "Location", loc);
        if (body)
            json_object_set_new(body, "already_received", json_true());
        return ermes__reply_json(req, 200, body);
    }
    if (rc) {
        ermes__diag_utf8(&u->d);
        return ermes__reply_failure(req, rc, &u->d);
    }
    snprintf(loc, sizeof(loc), "%lld", (long long)r.id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "report", loc, NULL);
    if (wait && strcmp(wait, "true") == 0) {
        /* Another worker may have taken the report first (this daemon's, woken by the
         * upload, or another process on the database): its end is waited for. */
        rc = ermes__intake_process_wait(req->srv->intake, r.id, &r, ERMES__INTAKE_WAIT_MS);
        if (rc && rc != ERMES_EBUSY)
            return ermes__reply_failure(req, rc, NULL);
    } else {
        ermes__intake_kick(req->srv->intake);
    }
    snprintf(loc, sizeof(loc), "/api/v1/reports/%lld", (long long)r.id);
    ermes__reply_header(req, "Location", loc);
    /* 201 once processed (done, or failed with its reason); 202 while still on its way. */
    return ermes__reply_json(
        req, strcmp(r.state, "done") == 0 || strcmp(r.state, "failed") == 0 ? 201 : 202,
        ermes__report_json(&r));
}

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static int report_cb(void *arg, const ermes__report_t *r)
{
    struct list_ctx *c = arg;

    c->last_id = r->id;
    return json_array_append_new(c->data, ermes__report_json(r)) ? ERMES_ENOMEM : 0;
}

static const char *const report_states[] = {"received", "processing", "done", "failed", NULL};

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

enum MHD_Result ermes__h_report_list(ermes__req_t *req)
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
    rc = ermes__store_report_each(req->srv->store, &req->viewer, state, ermes__query(req, "feed"),
                                  cursor, limit, report_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_report_get(ermes__req_t *req)
{
    ermes__report_t r;
    int64_t id;

    if (!(id = ermes__param_id(req, 0)) ||
        ermes__store_report_get(req->srv->store, &req->viewer, id, &r))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such report");
    return ermes__reply_json(req, 200, ermes__report_json(&r));
}

/* ---- events, streamed ------------------------------------------------------------------- */
