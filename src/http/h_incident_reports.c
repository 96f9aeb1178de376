/* /api/v1/incident-reports: the messages that became incident reports (src/mail/), with the
 * observables extracted from them and what the look-ups found (owner, known bad, seen
 * before). The CERT's staff only. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static int list_cb(void *arg, const ermes__incident_report_t *r)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__incident_report_to_json(r, 0);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = r->id;
    return 0;
}

enum MHD_Result ermes__h_incident_report_list(ermes__req_t *req)
{
    struct list_ctx c = {NULL, 0};
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
    if ((rc = ermes__store_incident_report_each(req->srv->store, org_id,
                                                waiting && strcmp(waiting, "true") == 0, cursor,
                                                limit, list_cb, &c, &more))) {
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

static int one_cb(void *ctx, const ermes__incident_report_t *r)
{
    json_t **out = ctx;

    *out = ermes__incident_report_to_json(r, 1);
    return *out ? 0 : ERMES_ENOMEM;
}

static int obs_cb(void *ctx, const ermes__report_observable_t *o)
{
    json_t *j = ermes__report_observable_to_json(o);

    return j && !json_array_append_new(ctx, j) ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_incident_report_get(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    json_t *j = NULL, *obs;
    int rc =
        id ? ermes__store_incident_report_get(req->srv->store, id, one_cb, &j) : ERMES_ENOTFOUND;

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident report");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (!(obs = json_array()) ||
        ermes__store_report_observable_each(req->srv->store, id, obs_cb, obs)) {
        json_decref(obs);
        json_decref(j);
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    }
    json_object_set_new(j, "observables", obs);
    if (decision_json(req->srv->store, id, j))
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    return ermes__reply_json(req, 200, j);
}
