/* /api/v1/events: the events a viewer may see, listed with filters and streamed as JSON, NDJSON
 * or CSV in constant memory; /api/v1/events/{id}: one event with its raw line. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"
#include "intake/export.h"
#include "intake/intake.h"
#include "intake/parser.h"
#include "model/harmonize.h"

typedef struct stream {
    ermes__event_export_t x;
    ermes__server_t *srv;
    ermes__viewer_t viewer;
    ermes__user_t user;
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
        if (ermes__event_export_chunk(&s->x, s->srv->store, &s->viewer, 500))
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

    ermes__event_export_cleanup(&s->x);
    for (size_t k = 0; k < 16; k++)
        ermes__free(s->params[k]);
    ermes__free(s);
}

static const char *query_param(void *ctx, const char *name)
{
    return ermes__query(ctx, name);
}

enum MHD_Result ermes__h_event_list(ermes__req_t *req)
{
    const char *format = ermes__query(req, "format");
    ermes__export_format_t fmt;
    ermes__event_filter_t f;
    struct MHD_Response *resp;
    ermes_diag_t d;
    enum MHD_Result ret;
    stream_t *s;
    int64_t cursor;
    long limit = 0;

    if (ermes__export_format_parse(format, &fmt))
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
    if (ermes__event_filter_parse(query_param, req, req->srv->store, &req->viewer, &f, &d)) {
        ermes__diag_utf8(&d);
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
    ermes__event_export_init(&s->x, fmt, &f, limit);
    resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_cb, s, stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ermes__export_content_type(fmt));
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

/* The events list's total: counted exactly up to EVENT_COUNT_CAP, beyond which the answer says
 * "at least" (exact false) rather than read a year of events to say how many. */
#define EVENT_COUNT_CAP 100000

enum MHD_Result ermes__h_event_count(ermes__req_t *req)
{
    ermes__event_filter_t f;
    json_t *out;
    ermes_diag_t d;
    int64_t n = 0;
    int rc;

    ermes_diag_clear(&d);
    if (ermes__event_filter_parse(query_param, req, req->srv->store, &req->viewer, &f, &d)) {
        ermes__diag_utf8(&d);
        return ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
    }
    if ((rc = ermes__store_event_count(req->srv->store, &req->viewer, &f, EVENT_COUNT_CAP, &n)))
        return ermes__reply_failure(req, rc, NULL);
    out = json_pack("{s:I,s:b}", "count", (json_int_t)n, "exact", n < EVENT_COUNT_CAP);
    /* A constituent looking at another organisation (or at its own, with TLP:RED events it
     * does not own) is told that events exist which it may not see, rather than left to read
     * "no events" as "nothing happened"; only that they exist, not how many. Counted as staff
     * up to one more than it sees: at most that many rows read. */
    if (out && !ermes__viewer_is_staff(&req->viewer) && n < EVENT_COUNT_CAP) {
        ermes__viewer_t all = req->viewer;
        int64_t total = 0;
        all.role = ERMES_ROLE_ANALYST;
        if ((rc = ermes__store_event_count(req->srv->store, &all, &f, n + 1, &total))) {
            json_decref(out);
            return ermes__reply_failure(req, rc, NULL);
        }
        json_object_set_new(out, "hidden", json_boolean(total > n));
    }
    return ermes__reply_json(req, 200, out);
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
    ermes__req_t *req;
    json_t *out;
};

#define MAX_RAW_SHOWN (1 << 20)

static int event_cb(void *arg, const ermes__event_row_t *e)
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
        ermes__intake_read_raw(c->req->srv->intake, e, MAX_RAW_SHOWN, &raw, &raw_len, &truncated) ==
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

/* The notifications that carried the event, in brief: the link from an event to what told its
 * constituent (GET /api/v1/notifications/{id} goes the other way, with event_ids). */
static int event_notification_cb(void *ctx, const ermes__notification_t *n)
{
    json_t *j =
        json_pack("{s:I,s:s,s:s,s:s,s:s?}", "id", (json_int_t)n->id, "reference", n->reference,
                  "state", n->state, "approval", n->approval[0] ? n->approval : ERMES_APPROVAL_NONE,
                  "org", n->org[0] ? n->org : NULL);

    return j && json_array_append_new(ctx, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_event_get(ermes__req_t *req)
{
    struct event_ctx c = {req, NULL};
    int64_t id;

    if (!(id = ermes__param_id(req, 0)) ||
        ermes__store_event_get(req->srv->store, &req->viewer, id, event_cb, &c))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such event");
    if (!c.out)
        return ermes__reply_error(req, 500, "internal", NULL, "out of memory");
    /* The analysts' triage of the event (new until someone triages it). */
    if (json_is_object(c.out)) {
        char triage[32];
        ermes__store_triage_get(req->srv->store, "event", id, triage, sizeof(triage));
        json_object_set_new(c.out, "triage", json_string(triage));
    }
    /* Notifications are the staff's (their routes are staff only): a constituent's view of
     * the event has no such member. */
    if (json_is_object(c.out) && ermes__viewer_is_staff(&req->viewer)) {
        json_t *ns = json_array();
        int rc =
            ns ? ermes__store_event_notifications(req->srv->store, id, event_notification_cb, ns)
               : ERMES_ENOMEM;
        if (rc) {
            json_decref(ns);
            json_decref(c.out);
            return ermes__reply_failure(req, rc, NULL);
        }
        json_object_set_new(c.out, "notifications", ns);
    }
    return ermes__reply_json(req, 200, c.out);
}
