/* /api/v1/incident-reports: the messages that became incident reports (src/mail/), with the
 * observables extracted from them and what the look-ups found (owner, known bad, seen
 * before); and reports typed in (POST: staff on behalf of a reporter, a constituent's user for
 * its organisation), which take the mail's road (src/mail/submit.c). The CERT's staff see every
 * report; a constituent's user sees the reports its organisation typed in, and of the look-ups
 * only what concerns its organisation. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "http/http.h"
#include "mail/mail.h"

#define SUBJECT_MAX 998       /* a header line (RFC 5322 section 2.1.1) */
#define BODY_MAX (256u << 10) /* what a report keeps of a message's text (receive.c) */
#define FILE_MAX (1u << 20)   /* one attached file, decoded */
#define FILES_MAX (4u << 20)  /* all attached files, decoded */
#define FILE_NAME_MAX 255
#define EXTRA_VALUE_MAX 1024

struct list_ctx {
    json_t *data;
    int64_t last_id;
    int staff;
    int64_t org_id; /* the viewer's */
};

/* What a constituent's user does not see of a report: the CERT's look-ups (known bad, how
 * often seen) and another constituent's name. */
static void for_constituent(json_t *j, int64_t org_id)
{
    json_t *o = json_object_get(j, "org_id");

    json_object_del(j, "known_bad");
    if (o && !json_is_null(o) && json_integer_value(o) != org_id) {
        json_object_set_new(j, "org_id", json_null());
        json_object_set_new(j, "org", json_null());
    }
}

static int list_cb(void *arg, const ermes__incident_report_t *r)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__incident_report_to_json(r, 0);

    if (j && !c->staff)
        for_constituent(j, c->org_id);
    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = r->id;
    return 0;
}

enum MHD_Result ermes__h_incident_report_list(ermes__req_t *req)
{
    struct list_ctx c = {NULL, 0, 0, 0};
    const char *org = ermes__query(req, "org"), *waiting = ermes__query(req, "waiting");
    enum MHD_Result ret;
    int64_t cursor = 0, org_id = 0;
    long limit = 0;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret))
        return ret;
    /* waiting=true: only the reports no incident holds yet (the triage queue). */
    if (waiting && strcmp(waiting, "true") != 0 && strcmp(waiting, "false") != 0)
        return ermes__reply_error(req, 400, "bad_request", "waiting",
                                  "waiting must be true or false");
    if (org && ermes__store_org_resolve(req->srv->store, &req->viewer, org, &org_id))
        return ermes__reply_error(req, 400, "bad_request", "org", "no organisation \"%.64s\"", org);
    if (!(c.data = json_array()))
        return MHD_NO;
    c.staff = ermes__viewer_is_staff(&req->viewer);
    c.org_id = req->viewer.org_id;
    if ((rc = ermes__store_incident_report_each(
             req->srv->store, org_id, c.staff ? 0 : req->viewer.org_id,
             waiting && strcmp(waiting, "true") == 0, cursor, limit, list_cb, &c, &more))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

/* What the incident rules decided (src/incidents/rules.c): "decision": {rule_id, action,
 * incident_id, reason}, null while none ran. */
static int decision_json(ermes__store_t *st, int64_t id, json_t *j)
{
    char action[16], reason[1024];
    int64_t rule_id = 0, inc = 0;
    int rc = ermes__store_report_decision_get(st, id, &rule_id, action, sizeof(action), &inc,
                                              reason, sizeof(reason));

    if (rc == ERMES_ENOTFOUND)
        return json_object_set_new(j, "decision", json_null());
    if (rc)
        return rc;
    return json_object_set_new(j, "decision",
                               json_pack("{s:o,s:s,s:o,s:s}", "rule_id",
                                         rule_id ? json_integer(rule_id) : json_null(), "action",
                                         action, "incident_id",
                                         inc ? json_integer(inc) : json_null(), "reason", reason));
}

struct one_ctx {
    json_t *j;
    int64_t owner_org_id;
    int staff;
    int64_t org_id; /* the viewer's */
};

static int one_cb(void *ctx, const ermes__incident_report_t *r)
{
    struct one_ctx *c = ctx;

    c->owner_org_id = r->owner_org_id;
    c->j = ermes__incident_report_to_json(r, 1);
    return c->j ? 0 : ERMES_ENOMEM;
}

static int obs_cb(void *ctx, const ermes__report_observable_t *o)
{
    struct one_ctx *c = ctx;
    json_t *j = ermes__report_observable_to_json(o);

    if (j && !c->staff) {
        json_object_del(j, "indicator_id");
        json_object_del(j, "known_bad");
        json_object_del(j, "events");
        json_object_del(j, "sightings");
        json_object_del(j, "seen_before");
        if (o->org_id && o->org_id != c->org_id) {
            json_object_set_new(j, "org_id", json_null());
            json_object_set_new(j, "org", json_null());
        }
    }
    return j && !json_array_append_new(json_object_get(c->j, "observables"), j) ? 0 : ERMES_ENOMEM;
}

/* The report id as GET answers it, with status (200, or 201 for one just made). */
static enum MHD_Result reply_report(ermes__req_t *req, int64_t id, unsigned status)
{
    struct one_ctx c = {NULL, 0, ermes__viewer_is_staff(&req->viewer), req->viewer.org_id};
    int rc =
        id ? ermes__store_incident_report_get(req->srv->store, id, one_cb, &c) : ERMES_ENOTFOUND;

    /* Another organisation's report does not exist for a constituent's user. */
    if (!rc && !c.staff && c.owner_org_id != req->viewer.org_id)
        rc = ERMES_ENOTFOUND;
    if (rc == ERMES_ENOTFOUND) {
        json_decref(c.j);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident report");
    }
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (json_object_set_new(c.j, "observables", json_array()) ||
        ermes__store_report_observable_each(req->srv->store, id, obs_cb, &c)) {
        json_decref(c.j);
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    }
    if (!c.staff) {
        for_constituent(c.j, req->viewer.org_id);
    } else if (decision_json(req->srv->store, id, c.j)) {
        json_decref(c.j);
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    }
    if (status == 201) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/incident-reports/%lld", (long long)id);
        ermes__reply_header(req, "Location", loc);
    }
    return ermes__reply_json(req, status, c.j);
}

enum MHD_Result ermes__h_incident_report_get(ermes__req_t *req)
{
    return reply_report(req, ermes__param_id(req, 0), 200);
}

/* ---- POST: a report typed in ------------------------------------------------------------- */

enum MHD_Result ermes__h_incident_report_create(ermes__req_t *req)
{
    ermes__mail_options_t o;
    ermes__mail_t *m = NULL;
    ermes__mail_row_t row;
    ermes__submission_in_t in;
    char source[96], id_text[32];
    enum MHD_Result ret;
    ermes_diag_t d;
    json_t *body;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__submission_read(body, ermes__viewer_is_staff(&req->viewer), req->viewer.user_name,
                                &in, &d);
    /* The constituent it concerns: staff may name it; a constituent's user reports for its own
     * organisation, and the report is that organisation's. */
    if (!rc && in.org &&
        (strlen(in.org) > 256 ||
         ermes__store_org_resolve(req->srv->store, &req->viewer, in.org, &in.s.org_id))) {
        ermes_diag_set(&d, "org", "no such organisation");
        rc = ERMES_EINVAL;
    }
    if (!rc && !ermes__viewer_is_staff(&req->viewer))
        in.s.org_id = in.s.owner_org_id = req->viewer.org_id;
    if (rc) {
        ermes__submission_in_cleanup(&in);
        json_decref(body);
        if (rc == ERMES_ENOMEM)
            return ermes__reply_failure(req, rc, NULL);
        return ermes__reply_error(req, rc == ERMES_ETOOBIG ? 413 : 422,
                                  rc == ERMES_ETOOBIG ? "payload_too_large" : "invalid",
                                  d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    ermes__mail_options_from_config(req->srv->cfg, &o);
    snprintf(source, sizeof(source), "report:%s",
             req->viewer.user_name ? req->viewer.user_name : "?");
    memset(&row, 0, sizeof(row));
    if (!(rc = ermes__mail_new(req->srv->store, req->srv->registry, req->srv->intake, &o, &m)))
        rc = ermes__mail_submit(m, source, &in.s, &row, &d);
    ermes__mail_free(m);
    ermes__submission_in_cleanup(&in);
    json_decref(body);
    if (rc || !row.incident_report_id) {
        /* Stored but not read (it is written by ermes, so this is a fault of ermes): the
         * message is kept, failed, with its reason. */
        if (row.id)
            return ermes__reply_error(req, 500, "internal", NULL,
                                      "the report was stored as message %lld but not processed: %s",
                                      (long long)row.id, row.reason[0] ? row.reason : "unknown");
        return ermes__reply_error(req, 503, "unavailable", NULL, "%s",
                                  d.reason[0] ? d.reason : "the report could not be stored");
    }
    snprintf(id_text, sizeof(id_text), "%lld", (long long)row.incident_report_id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "incident_report", id_text, NULL);
    return reply_report(req, row.incident_report_id, 201);
}
