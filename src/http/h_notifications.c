/* /api/v1/notifications: the e-mails made from events, for the CERT's staff: list them, see
 * one with the whole message as its recipients get it, send one now, run a round; review
 * them before they go (edit, approve, hold, cancel; one by one or in bulk). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "http/http.h"
#include "notify/notify.h"

#define MAX_PREVIEW (64u * 1024 * 1024)

static int options(ermes__req_t *req, ermes__notify_options_t *o, enum MHD_Result *ret)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes__notify_options_from_config(ermes__req_cfg(req), o, &d)) {
        *ret =
            ermes__reply_error(req, 500, "internal", d.field[0] ? d.field : NULL, "%s", d.reason);
        return 0;
    }
    return 1;
}

/* The POSTs here take no body; a JSON one (say "{}") is ignored, anything else refused. */
static int no_body(ermes__req_t *req, enum MHD_Result *ret)
{
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");

    if (req->body.len == 0 || (type && strncasecmp(type, "application/json", 16) == 0))
        return 1;
    *ret = ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                              "this request takes no body (or a JSON one, which is ignored)");
    return 0;
}

/* The notification of path parameter 0: its id or its reference. */
static int find(ermes__req_t *req, int64_t *id)
{
    char buf[64];

    return ermes__param(req, 0, buf, sizeof(buf)) == 0 &&
           ermes__store_notification_find(req->srv->store, buf, id) == 0;
}

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static int list_cb(void *arg, const ermes__notification_t *n)
{
    struct list_ctx *c = arg;

    c->last_id = n->id;
    return json_array_append_new(c->data, ermes__notification_to_json(n)) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_notification_list(ermes__req_t *req)
{
    struct list_ctx c = {NULL, 0};
    ermes__notification_filter_t f;
    const char *state = ermes__query(req, "state"), *org = ermes__query(req, "org");
    const char *approval = ermes__query(req, "approval");
    enum MHD_Result ret;
    int more = 0, rc;

    memset(&f, 0, sizeof(f));
    if (!ermes__page(req, &f.limit, &f.before_id, &ret))
        return ret;
    if (state && !ermes__notification_state_valid(state))
        return ermes__reply_error(req, 400, "bad_request", "state",
                                  "state must be pending, sending, retrying, sent or failed");
    f.state = state;
    if (approval && !ermes__notification_approval_valid(approval))
        return ermes__reply_error(req, 400, "bad_request", "approval",
                                  "approval must be none, waiting, approved, held or cancelled");
    f.approval = approval;
    if (org && ermes__store_org_resolve(req->srv->store, &req->viewer, org, &f.org_id))
        return ermes__reply_error(req, 400, "bad_request", "org", "no such organisation");
    if (!(c.data = json_array()))
        return MHD_NO;
    rc = ermes__store_notification_each(req->srv->store, &f, list_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

static int event_id_cb(void *ctx, const ermes__event_row_t *e)
{
    return json_array_append_new(ctx, json_integer(e->id)) ? ERMES_ENOMEM : 0;
}

/* The notification with its events' ids and, with preview, its whole message. */
static json_t *notification_json(ermes__req_t *req, const ermes__notify_options_t *o, int64_t id,
                                 int preview, int *err, char *why, size_t whycap)
{
    ermes__notification_t n;
    ermes__strbuf_t msg;
    json_t *j = NULL, *ids = json_array();

    if (!ids || (*err = ermes__store_notification_get(req->srv->store, id, &n))) {
        json_decref(ids);
        if (!ids)
            *err = ERMES_ENOMEM;
        return NULL;
    }
    ermes__strbuf_init(&msg, MAX_PREVIEW);
    if ((*err = ermes__store_notification_events(req->srv->store, id, event_id_cb, ids)) == 0 &&
        (!preview ||
         (*err = ermes__notify_preview(req->srv->store, o, id, &msg, why, whycap)) == 0)) {
        j = ermes__notification_to_json(&n);
        /* The text itself too: a reviewer edits it (PATCH) from what is stored. */
        if (!j || json_object_set(j, "event_ids", ids) ||
            json_object_set_new(j, "body", json_string(n.body ? n.body : "")) ||
            (preview && json_object_set_new(j, "preview", json_stringn(msg.data, msg.len)))) {
            json_decref(j);
            j = NULL;
            *err = ERMES_ENOMEM;
        }
    }
    json_decref(ids);
    ermes__strbuf_cleanup(&msg);
    ermes__notification_cleanup(&n);
    return j;
}

enum MHD_Result ermes__h_notification_get(ermes__req_t *req)
{
    ermes__notify_options_t o;
    enum MHD_Result ret;
    json_t *j;
    char why[512] = "";
    int64_t id;
    int err = 0;

    if (!find(req, &id))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification");
    if (!options(req, &o, &ret))
        return ret;
    if (!(j = notification_json(req, &o, id, 1, &err, why, sizeof(why)))) {
        if (err == ERMES_ECONFIG && why[0])
            return ermes__reply_error(req, 500, "internal", "notify_pgp_key", "%s", why);
        return ermes__reply_failure(req, err, NULL);
    }
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_notification_send(ermes__req_t *req)
{
    ermes__notify_options_t o;
    ermes__notify_stats_t stats;
    enum MHD_Result ret;
    char err[512], id_text[32];
    json_t *j;
    int64_t id;
    int rc, e = 0;

    if (!no_body(req, &ret))
        return ret;
    if (!find(req, &id))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification");
    if (!options(req, &o, &ret))
        return ret;
    if (!o.smtp_url)
        return ermes__reply_error(req, 503, "unavailable", NULL,
                                  "smtp_url is not set: notifications cannot be sent");
    memset(&stats, 0, sizeof(stats));
    rc = ermes__notify_send(req->srv->store, &o, id, 1, &stats, err, sizeof(err));
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "send", "notification", id_text, NULL);
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", NULL, "the notification was sent already");
    if (rc == ERMES_EBUSY)
        return ermes__reply_error(req, 409, "conflict", NULL,
                                  "the notification is being sent right now");
    if (rc == ERMES_EDENIED)
        return ermes__reply_error(req, 409, "conflict", "approval", "%s", err);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (stats.deferred)
        return ermes__reply_error(req, 429, "rate_limited", NULL,
                                  "a recipient's rate limit is reached; the notification waits "
                                  "for its turn");
    if (!stats.sent)
        return ermes__reply_error(req, 502, "smtp_failed", NULL, "sending failed: %s",
                                  err[0] ? err : "unknown error");
    if (!(j = notification_json(req, &o, id, 0, &e, NULL, 0)))
        return ermes__reply_failure(req, e, NULL);
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_notification_run(ermes__req_t *req)
{
    const char *now = ermes__query(req, "now");
    ermes__notify_options_t o;
    ermes__notify_stats_t s;
    enum MHD_Result ret;
    int rc;

    if (!no_body(req, &ret))
        return ret;
    if (now && strcmp(now, "true") && strcmp(now, "false"))
        return ermes__reply_error(req, 400, "bad_request", "now", "now must be true or false");
    if (!options(req, &o, &ret))
        return ret;
    memset(&s, 0, sizeof(s));
    rc = ermes__notify_run(req->srv->store, &o, now && strcmp(now, "true") == 0, &s);
    ermes__audit_write(req->srv->store, &req->viewer, "run", "notification", NULL, NULL);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(
        req, 200,
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "groups",
                  (json_int_t)s.groups, "notifications", (json_int_t)s.notifications, "events",
                  (json_int_t)s.events, "waiting_for_contact", (json_int_t)s.waiting, "sent",
                  (json_int_t)s.sent, "deferred", (json_int_t)s.deferred, "retrying",
                  (json_int_t)s.retrying, "failed", (json_int_t)s.failed, "recovered",
                  (json_int_t)s.recovered, "for_review", (json_int_t)s.for_review, "held_for_age",
                  (json_int_t)s.held_stale, "smtp", o.smtp_url != NULL));
}

/* ---- review ------------------------------------------------------------------------------- */

static enum MHD_Result reply_one(ermes__req_t *req, int64_t id)
{
    ermes__notify_options_t o;
    enum MHD_Result ret;
    json_t *j;
    int e = 0;

    if (!options(req, &o, &ret))
        return ret;
    if (!(j = notification_json(req, &o, id, 0, &e, NULL, 0)))
        return ermes__reply_failure(req, e, NULL);
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_notification_update(ermes__req_t *req)
{
    ermes__notification_edit_t e;
    enum MHD_Result ret;
    ermes_diag_t d;
    json_t *body;
    int64_t id;
    int rc;

    /* The body first: a request of the wrong type is that, whichever notification it names. */
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!find(req, &id)) {
        json_decref(body);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification");
    }
    ermes_diag_clear(&d);
    if (ermes__notification_edit_read(body, &e, &d)) {
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
        json_decref(body);
        return ret;
    }
    rc = ermes__notify_edit(req->srv->store, &req->viewer, id, &e);
    json_decref(body);
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", "approval",
                                  "only a notification waiting for approval or held can be "
                                  "edited (hold it first)");
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return reply_one(req, id);
}

static enum MHD_Result review_one(ermes__req_t *req, ermes__review_action_t action)
{
    enum MHD_Result ret;
    char why[160];
    int64_t id;
    int rc;

    if (!no_body(req, &ret))
        return ret;
    if (!find(req, &id))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification");
    rc = ermes__notify_review(req->srv->store, &req->viewer, id, action, why, sizeof(why));
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", "approval", "%s", why);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return reply_one(req, id);
}

enum MHD_Result ermes__h_notification_approve(ermes__req_t *req)
{
    return review_one(req, ERMES_REVIEW_APPROVE);
}

enum MHD_Result ermes__h_notification_hold(ermes__req_t *req)
{
    return review_one(req, ERMES_REVIEW_HOLD);
}

enum MHD_Result ermes__h_notification_cancel(ermes__req_t *req)
{
    return review_one(req, ERMES_REVIEW_CANCEL);
}

enum MHD_Result ermes__h_notification_review(ermes__req_t *req)
{
    static const char *const names[] = {"approve", "hold", "cancel"};
    ermes__review_action_t action;
    int64_t *ids = NULL, org_id = 0;
    size_t n = 0;
    const char *org = NULL;
    json_t *body = NULL, *done = NULL, *refused = NULL, *out = NULL;
    enum MHD_Result ret;
    ermes_diag_t d;
    int all = 0, rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!(ids = calloc(ERMES_REVIEW_BULK_MAX, sizeof(*ids)))) {
        json_decref(body);
        return MHD_NO;
    }
    ermes_diag_clear(&d);
    if (ermes__review_bulk_read(body, &action, ids, ERMES_REVIEW_BULK_MAX, &n, &all, &org, &d)) {
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
        goto out;
    }
    if (org && ermes__store_org_resolve(req->srv->store, &req->viewer, org, &org_id)) {
        ret = ermes__reply_error(req, 422, "invalid", "org", "no such organisation");
        goto out;
    }
    /* "waiting": every notification waiting for approval now (of one constituent), at most
     * ERMES_REVIEW_BULK_MAX a call; the answer says when more remain. */
    if (all && (rc = ermes__store_notification_waiting(req->srv->store, org_id, ids,
                                                       ERMES_REVIEW_BULK_MAX, &n))) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    if (!(done = json_array()) || !(refused = json_array())) {
        ret = MHD_NO;
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        char why[160];
        rc = ermes__notify_review(req->srv->store, &req->viewer, ids[k], action, why, sizeof(why));
        if (rc == 0)
            json_array_append_new(done, json_integer(ids[k]));
        else if (rc == ERMES_ECONFLICT || rc == ERMES_ENOTFOUND)
            json_array_append_new(refused,
                                  json_pack("{s:I,s:s}", "id", (json_int_t)ids[k], "reason",
                                            rc == ERMES_ENOTFOUND ? "no such notification" : why));
        else {
            ret = ermes__reply_failure(req, rc, NULL);
            goto out;
        }
    }
    out = json_pack("{s:s,s:O,s:O,s:b}", "action", names[action], "changed", done, "refused",
                    refused, "more", all && n == ERMES_REVIEW_BULK_MAX);
    ret = out ? ermes__reply_json(req, 200, out) : MHD_NO;
out:
    json_decref(done);
    json_decref(refused);
    json_decref(body);
    free(ids);
    return ret;
}
