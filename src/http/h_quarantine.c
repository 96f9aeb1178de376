/* /api/v1/quarantine: the rows a parser refused; retry (with a corrected line or not) and
 * dismissal with a reason, both audited (staff only). */
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

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static const char *const quarantine_states[] = {"open", "retried", "resolved", NULL};

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int quarantine_cb(void *arg, const ermes__quarantine_row_t *q)
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
    /* A correction was typed as text (UTF-8, checked on entry): a string when there is one. */
    {
        json_t *extra = json_pack("{s:o,s:o,s:o}", "edited_raw",
                                  q->edited_raw ? ermes__json_text(q->edited_raw, q->edited_raw_len)
                                                : json_null(),
                                  "resolution", ermes__json_text_or_null(q->resolution, 1),
                                  "resolved_by", ermes__json_text_or_null(q->resolved_by, 1));
        /* The reason may quote the row's bytes: ermes__json_text_or_null keeps the list
         * answerable. */
        json_t *row = json_pack(
            "{s:I,s:I,s:o,s:I,s:o,s:o,s:o,s:s,s:s,s:o}", "id", (json_int_t)q->id, "report_id",
            (json_int_t)q->report_id, "feed", ermes__json_text_or_null(q->feed, 0), "line",
            (json_int_t)q->line, "raw", raw, "field", ermes__json_text_or_null(q->field, 1),
            "reason", ermes__json_text_or_null(q->reason ? q->reason : "", 0), "state",
            q->state ? q->state : "open", "created_at", when, "retried_event_id",
            q->retried_event_id ? json_integer(q->retried_event_id) : json_null());
        if (!row || !extra || json_object_update(row, extra)) {
            json_decref(row);
            json_decref(extra);
            return ERMES_ENOMEM;
        }
        json_decref(extra);
        return json_array_append_new(c->data, row) ? ERMES_ENOMEM : 0;
    }
}

enum MHD_Result ermes__h_quarantine_list(ermes__req_t *req)
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
    rc = ermes__store_quarantine_each(req->srv->store, report_id, state, cursor, limit,
                                      quarantine_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

#define CORRECTION_MAX (1u << 20)
#define DISMISS_REASON_MAX 1000

/* A correction must be one row of text: no line end, no NUL, UTF-8 (jansson checked that). */
static int bad_correction(const char *s, size_t n)
{
    return n == 0 || n > CORRECTION_MAX || memchr(s, '\n', n) || memchr(s, '\r', n) ||
           memchr(s, '\0', n);
}

int ermes__quarantine_body_read(const json_t *body, int dismiss, const char **text, size_t *len,
                                ermes_diag_t *d)
{
    const json_t *v =
        json_is_object(body) ? json_object_get(body, dismiss ? "reason" : "raw") : NULL;

    *text = NULL;
    *len = 0;
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    if (dismiss) {
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) > DISMISS_REASON_MAX) {
            ermes_diag_set(d, "reason", "reason must say why the row is dismissed (1 to %d bytes)",
                           DISMISS_REASON_MAX);
            return ERMES_EINVAL;
        }
    } else if (v && (!json_is_string(v) ||
                     bad_correction(json_string_value(v), json_string_length(v)))) {
        ermes_diag_set(d, "raw",
                       "raw must be the corrected row: one line of text (no line end), at most %u "
                       "bytes",
                       CORRECTION_MAX);
        return ERMES_EINVAL;
    }
    if (v) {
        *text = json_string_value(v);
        *len = json_string_length(v);
    }
    return 0;
}

enum MHD_Result ermes__h_quarantine_retry(ermes__req_t *req)
{
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    json_t *body = NULL;
    const char *raw = NULL;
    size_t raw_len = 0;
    enum MHD_Result ret;
    ermes_diag_t d;
    int64_t id, event_id = 0;
    char id_text[32];
    int rc;

    /* No body, or JSON: {"raw": "the corrected line"} (optional) replaces the row's bytes for
     * this retry and the ones after it. Anything else is refused. */
    if (req->body.len && !(type && strncasecmp(type, "application/json", 16) == 0))
        return ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "this request takes no body or a JSON one");
    if (!req->srv->intake)
        return ermes__reply_error(req, 503, "unavailable", NULL, "intake is not running");
    if (!(id = ermes__param_id(req, 0)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such quarantined row");
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    if (req->body.len) {
        req->empty_body_ok = 1;
        if (!ermes__body_json(req, &body, &ret))
            return ret;
        ermes_diag_clear(&d);
        if (ermes__quarantine_body_read(body, 0, &raw, &raw_len, &d)) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s",
                                      d.reason);
        }
        if (raw) {
            rc = ermes__store_quarantine_edit(req->srv->store, id, raw, raw_len);
            json_decref(body);
            if (rc == ERMES_ENOTFOUND)
                return ermes__reply_error(req, 409, "conflict", NULL,
                                          "no open quarantined row %lld to correct", (long long)id);
            if (rc)
                return ermes__reply_failure(req, rc, NULL);
            ermes__audit_write(req->srv->store, &req->viewer, "edit", "quarantine", id_text, NULL);
        } else {
            json_decref(body);
        }
    }
    ermes_diag_clear(&d);
    rc = ermes__intake_retry(req->srv->intake, id, &event_id, &d);
    ermes__diag_utf8(&d);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL,
                                  "the row still fails: %s", d.reason);
    if (rc == ERMES_ENOTFOUND && !d.reason[0])
        return ermes__reply_error(req, 404, "not_found", NULL, "no such quarantined row");
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    ermes__audit_write(req->srv->store, &req->viewer, "retry", "quarantine", id_text, NULL);
    return ermes__reply_json(req, 200,
                             json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "state", "retried",
                                       "event_id",
                                       event_id ? json_integer(event_id) : json_null()));
}

enum MHD_Result ermes__h_quarantine_dismiss(ermes__req_t *req)
{
    json_t *body = NULL;
    const char *reason = NULL;
    enum MHD_Result ret;
    char id_text[32];
    ermes_diag_t d;
    size_t len;
    int64_t id;
    int rc;

    if (!(id = ermes__param_id(req, 0)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such quarantined row");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if (ermes__quarantine_body_read(body, 1, &reason, &len, &d)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    rc = ermes__store_quarantine_dismiss(req->srv->store, id, reason,
                                         req->viewer.user_name ? req->viewer.user_name : "");
    if (rc == ERMES_ENOTFOUND) {
        struct list_ctx c = {NULL, 0};
        json_decref(body);
        /* No open row: none at all (404), or one retried or dismissed already (409). */
        if (!(c.data = json_array()))
            return MHD_NO;
        rc = ermes__store_quarantine_get(req->srv->store, id, quarantine_cb, &c);
        json_decref(c.data);
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 404, "not_found", NULL, "no such quarantined row");
        return ermes__reply_error(req, 409, "conflict", NULL,
                                  "the row is no longer open (retried or dismissed already)");
    }
    if (rc) {
        json_decref(body);
        return ermes__reply_failure(req, rc, NULL);
    }
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "dismiss", "quarantine", id_text, reason);
    json_decref(body);
    return ermes__reply_json(req, 200,
                             json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "resolved"));
}
