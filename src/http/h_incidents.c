/* /api/v1/incidents: the incident queue, one incident with its timeline, tasks, links and
 * observables, merging, and the reaction-time metrics; /api/v1/incident-tasks/{id}; the
 * incident templates. What each call does is src/incidents/ (shared with the CLI); this file
 * reads the request and writes the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "advisories/links.h"
#include "http/http.h"
#include "incidents/incidents.h"

struct list_ctx {
    ermes__req_t *req;
    json_t *data;
    int64_t last_id, now;
};

struct queue_ctx {
    int64_t last_id, now;
    ermes__incident_pager_t pager;
};

/* Each incident is kept and made JSON with its page (constituents and clocks read for the
 * whole page at once, not per incident). */
static int incident_cb(void *arg, const ermes__incident_t *inc)
{
    struct queue_ctx *c = arg;

    c->last_id = inc->id;
    return ermes__incident_pager_add(&c->pager, inc);
}

static int parse_time(const char *s, int64_t *out)
{
    ermes_diag_t d;

    return ermes__time_parse(s, strlen(s), out, &d);
}

static int flag(ermes__req_t *req, const char *name)
{
    const char *v = ermes__query(req, name);

    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || *v == '\0');
}

enum MHD_Result ermes__h_incident_list(ermes__req_t *req)
{
    struct queue_ctx c;
    json_t *data;
    ermes__incident_filter_t f;
    const char *status = ermes__query(req, "status"), *sev = ermes__query(req, "severity");
    const char *org = ermes__query(req, "org");
    int64_t within_min = ERMES_INCIDENT_WARN_MS / 60000, cursor = 0;
    enum MHD_Result ret;
    int more = 0, rc;

    memset(&f, 0, sizeof(f));
    memset(&c, 0, sizeof(c));
    c.now = ermes__time_now_ms();
    if (!ermes__page(req, &f.limit, &cursor, &ret))
        return ret;
    /* The queue is newest first: the cursor is the last id seen, the next page below it. */
    f.before_id = cursor;
    if (status && !ermes__incident_status_valid(status))
        return ermes__reply_error(req, 400, "bad_request", "status",
                                  "status must be new, triage, in_progress,"
                                  " waiting_on_constituent, contained, resolved or closed");
    if (sev && !ermes__incident_severity_valid(sev))
        return ermes__reply_error(req, 400, "bad_request", "severity",
                                  "severity must be low, medium, high or critical");
    if (!ermes__query_int(req, "within", 1, 525600, &within_min, &ret) ||
        !ermes__query_int(req, "parent", 1, INT64_MAX, &f.parent_id, &ret))
        return ret;
    f.status = status;
    f.severity = sev;
    f.open = flag(req, "open");
    if (flag(req, "mine"))
        f.assignee_id = req->viewer.user_id ? req->viewer.user_id : -1;
    f.unassigned = flag(req, "unassigned");
    if (flag(req, "late")) {
        f.open = 1;
        f.due_to = c.now - 1;
    } else if (flag(req, "due_soon")) {
        f.open = 1;
        f.due_from = c.now;
        f.due_to = c.now + within_min * 60000;
    }
    if (org) {
        rc = ermes__store_org_resolve(req->srv->store, &req->viewer, org, &f.org_id);
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 400, "bad_request", "org", "no organisation \"%s\"",
                                      org);
        if (rc)
            return ermes__reply_failure(req, rc, NULL);
    }
    if (!(data = json_array()))
        return MHD_NO;
    c.pager.st = req->srv->store;
    c.pager.v = &req->viewer;
    c.pager.now = c.now;
    c.pager.out = data;
    rc = ermes__store_incident_each(req->srv->store, &req->viewer, &f, incident_cb, &c, &more);
    if (!rc)
        rc = ermes__incident_pager_flush(&c.pager);
    ermes__incident_pager_free(&c.pager);
    if (rc) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, data, more, c.last_id);
}

/* Answers with incident id as the viewer sees it (status 200 or 201). */
static enum MHD_Result reply_incident(ermes__req_t *req, int64_t id, unsigned status)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    json_t *j;
    int rc;

    if (!inc)
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    rc = ermes__store_incident_get(req->srv->store, &req->viewer, id, inc);
    if (rc) {
        free(inc);
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 404, "not_found", NULL, "no incident %lld",
                                      (long long)id);
        return ermes__reply_failure(req, rc, NULL);
    }
    j = ermes__incident_to_json(req->srv->store, &req->viewer, inc, ermes__time_now_ms());
    free(inc);
    /* The advisories that share a CVE id with it or are linked to it (advisories/links.h). */
    rc = j ? ermes__incident_advisories_json(req->srv->store, &req->viewer, id, j) : ERMES_ENOMEM;
    if (rc) {
        json_decref(j);
        return ermes__reply_failure(req, rc, NULL);
    }
    if (status == 201) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/incidents/%lld", (long long)id);
        ermes__reply_header(req, "Location", loc);
    }
    return ermes__reply_json(req, status, j);
}

static enum MHD_Result failure(ermes__req_t *req, int rc, ermes_diag_t *d)
{
    ermes__diag_utf8(d);
    if (rc == ERMES_ENOTFOUND && !d->reason[0])
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident");
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", d->field[0] ? d->field : NULL, "%s",
                                  d->reason[0] ? d->reason : "conflicting state");
    return ermes__reply_failure(req, rc, d);
}

enum MHD_Result ermes__h_incident_create(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body;
    enum MHD_Result ret;
    int64_t id = 0;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__incident_create(req->srv->store, &req->viewer, body, &id, &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return reply_incident(req, id, 201);
}

enum MHD_Result ermes__h_incident_get(ermes__req_t *req)
{
    return reply_incident(req, ermes__param_id(req, 0), 200);
}

enum MHD_Result ermes__h_incident_update(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0);
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__incident_update(req->srv->store, &req->viewer, id, body, &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return reply_incident(req, id, 200);
}

enum MHD_Result ermes__h_incident_merge(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body, *into;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0);
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    into = json_object_get(body, "into");
    if (!json_is_integer(into) || json_integer_value(into) < 1 || json_object_size(body) != 1) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "into",
                                  "the body is {\"into\": the id of the surviving incident}");
    }
    ermes_diag_clear(&d);
    rc = ermes__incident_merge(req->srv->store, &req->viewer, id, json_integer_value(into), &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return reply_incident(req, id, 200);
}

/* ---- sub-resources ------------------------------------------------------------------------ */

/* 1 when the viewer may see incident id, else the 404 is queued in *ret. */
static int visible(ermes__req_t *req, int64_t id, enum MHD_Result *ret)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    int rc = inc ? ermes__store_incident_get(req->srv->store, &req->viewer, id, inc) : ERMES_ENOMEM;

    free(inc);
    if (rc == ERMES_ENOTFOUND)
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no incident %lld", (long long)id);
    else if (rc)
        *ret = ermes__reply_failure(req, rc, NULL);
    return rc == 0;
}

static int timeline_cb(void *arg, const ermes__timeline_entry_t *e)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__incident_timeline_to_json(e);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = e->id;
    return 0;
}

enum MHD_Result ermes__h_incident_timeline(ermes__req_t *req)
{
    struct list_ctx c = {req, NULL, 0, 0};
    int64_t id = ermes__param_id(req, 0), cursor = 0;
    long limit;
    enum MHD_Result ret;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret) || !visible(req, id, &ret))
        return ret;
    if (!(c.data = json_array()))
        return MHD_NO;
    rc = ermes__store_incident_timeline_each(req->srv->store, id,
                                             !ermes__viewer_is_staff(&req->viewer), cursor, limit,
                                             timeline_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_incident_comment(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body, *text, *pub;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0);
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    text = json_object_get(body, "text");
    pub = json_object_get(body, "public");
    if (!json_is_string(text) || (pub && !json_is_boolean(pub)) ||
        json_object_size(body) != 1u + (pub != NULL) ||
        strlen(json_string_value(text)) != json_string_length(text)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "text",
                                  "the body is {\"text\": a comment, \"public\": true or false}");
    }
    ermes_diag_clear(&d);
    rc = ermes__incident_comment(req->srv->store, &req->viewer, id, json_string_value(text),
                                 json_is_true(pub), &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return ermes__reply_json(req, 201, json_pack("{s:I}", "incident", (json_int_t)id));
}

static int task_cb(void *arg, const ermes__incident_task_t *t)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__incident_task_to_json(t);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    return 0;
}

static enum MHD_Result reply_tasks(ermes__req_t *req, int64_t id, unsigned status)
{
    struct list_ctx c = {req, NULL, 0, 0};
    int rc;

    if (!(c.data = json_array()))
        return MHD_NO;
    if ((rc = ermes__store_incident_task_each(req->srv->store, id, task_cb, &c))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, status, json_pack("{s:o}", "data", c.data));
}

enum MHD_Result ermes__h_incident_tasks(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    enum MHD_Result ret;

    if (!visible(req, id, &ret))
        return ret;
    return reply_tasks(req, id, 200);
}

enum MHD_Result ermes__h_incident_task_add(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0), task = 0;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__incident_task_add(req->srv->store, &req->viewer, id, body, &task, &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return reply_tasks(req, id, 201);
}

enum MHD_Result ermes__h_incident_task_update(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body;
    enum MHD_Result ret;
    int64_t task = ermes__param_id(req, 0), incident = 0;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__incident_task_update(req->srv->store, &req->viewer, task, body, &incident, &d);
    json_decref(body);
    if (rc == ERMES_ENOTFOUND && !d.reason[0])
        return ermes__reply_error(req, 404, "not_found", NULL, "no task %lld", (long long)task);
    if (rc)
        return failure(req, rc, &d);
    return reply_tasks(req, incident, 200);
}

static int link_cb(void *arg, int64_t id, const char *kind, int64_t object_id, int64_t at)
{
    struct list_ctx *c = arg;
    char t[ERMES_TIME_STRLEN];
    json_t *j;

    ermes__time_format(at, t);
    j = json_pack("{s:I,s:s,s:I,s:s}", "id", (json_int_t)id, "kind", kind, "object_id",
                  (json_int_t)object_id, "created_at", t);
    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    return 0;
}

static enum MHD_Result reply_links(ermes__req_t *req, int64_t id, unsigned status)
{
    struct list_ctx c = {req, NULL, 0, 0};
    int rc;

    if (!(c.data = json_array()))
        return MHD_NO;
    if ((rc = ermes__store_incident_link_each(req->srv->store, id, link_cb, &c))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, status, json_pack("{s:o}", "data", c.data));
}

enum MHD_Result ermes__h_incident_links(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    enum MHD_Result ret;

    if (!visible(req, id, &ret))
        return ret;
    return reply_links(req, id, 200);
}

enum MHD_Result ermes__h_incident_link_add(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body, *kind, *obj;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0);
    int rc, added = 0;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    kind = json_object_get(body, "kind");
    obj = json_object_get(body, "id");
    if (!json_is_string(kind) || !json_is_integer(obj) || json_integer_value(obj) < 1 ||
        json_object_size(body) != 2) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "kind",
                                  "the body is {\"kind\": report, event, sighting, indicator,"
                                  " notification or incident, \"id\": its id}");
    }
    ermes_diag_clear(&d);
    rc = ermes__incident_link(req->srv->store, &req->viewer, id, json_string_value(kind),
                              json_integer_value(obj), &added, &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return reply_links(req, id, added ? 201 : 200);
}

static int observable_cb(void *arg, const ermes__incident_observable_t *o)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__incident_observable_to_json(o);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    return 0;
}

static enum MHD_Result reply_observables(ermes__req_t *req, int64_t id, unsigned status)
{
    struct list_ctx c = {req, NULL, 0, 0};
    int rc;

    if (!(c.data = json_array()))
        return MHD_NO;
    if ((rc = ermes__store_incident_observable_each(req->srv->store, id, observable_cb, &c))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, status, json_pack("{s:o}", "data", c.data));
}

enum MHD_Result ermes__h_incident_observables(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    enum MHD_Result ret;

    if (!visible(req, id, &ret))
        return ret;
    return reply_observables(req, id, 200);
}

enum MHD_Result ermes__h_incident_observable_add(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *body;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0);
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__incident_observable_add(req->srv->store, &req->viewer, id, body, &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return reply_observables(req, id, 201);
}

/* ---- metrics and templates ---------------------------------------------------------------- */

enum MHD_Result ermes__h_incident_metrics(ermes__req_t *req)
{
    const char *since = ermes__query(req, "since"), *until = ermes__query(req, "until");
    const char *period = ermes__query(req, "period"), *by = ermes__query(req, "by");
    const char *format = ermes__query(req, "format"), *basis = ermes__query(req, "basis");
    int64_t from = 0, to = 0;
    ermes_diag_t d;
    json_t *j = NULL;
    char *csv = NULL;
    int rc, as_csv;

    if (since && parse_time(since, &from))
        return ermes__reply_error(req, 400, "bad_request", "since",
                                  "since must be an RFC 3339 date-time");
    if (until && parse_time(until, &to))
        return ermes__reply_error(req, 400, "bad_request", "until",
                                  "until must be an RFC 3339 date-time");
    if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
        return ermes__reply_error(req, 400, "bad_request", "format", "format must be json or csv");
    as_csv = format && strcmp(format, "csv") == 0;
    ermes_diag_clear(&d);
    rc = ermes__incident_metrics_on(
        req->srv->store, &req->viewer, from, to, period ? period : "month", by ? by : "none",
        basis ? basis : "wall", ermes__time_now_ms(), as_csv ? NULL : &j, as_csv ? &csv : NULL, &d);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    if (as_csv)
        return ermes__reply_owned(req, 200, "text/csv; charset=utf-8", csv, strlen(csv));
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_incident_templates(ermes__req_t *req)
{
    const json_t *t = ermes__incident_templates();

    return ermes__reply_json(req, 200, json_pack("{s:O}", "data", t ? (json_t *)t : json_array()));
}
