/* /api/v1/incident-rules: the ordered rules that link an incident report to an incident, open
 * one or leave it for triage (src/incidents/rules.c). Admins and analysts; every change
 * audited. The order is the position member (PUT it to move a rule). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "http/http.h"
#include "incidents/rules.h"

static int list_cb(void *ctx, const ermes__incident_rule_t *r)
{
    json_t *j = ermes__incident_rule_to_json(r);

    return j && !json_array_append_new(ctx, j) ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_incident_rule_list(ermes__req_t *req)
{
    json_t *data = json_array();
    int rc;

    if (!data)
        return MHD_NO;
    if ((rc = ermes__store_incident_rule_each(req->srv->store, list_cb, data))) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}

static void audit(ermes__req_t *req, const char *action, const ermes__incident_rule_t *r)
{
    json_t *j = ermes__incident_rule_to_json(r);
    char id_text[32], *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    snprintf(id_text, sizeof(id_text), "%lld", (long long)r->id);
    ermes__audit_write(req->srv->store, &req->viewer, action, "incident_rule", id_text, text);
    free(text);
    json_decref(j);
}

/* POST (id 0) and PUT (id: the members given change the rule). */
static enum MHD_Result write_rule(ermes__req_t *req, int64_t id)
{
    ermes__incident_rule_t r;
    enum MHD_Result ret;
    ermes_diag_t d;
    json_t *body;
    int rc;

    memset(&r, 0, sizeof(r));
    if (id) {
        rc = ermes__store_incident_rule_get(req->srv->store, id, &r);
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 404, "not_found", NULL, "no such incident rule");
        if (rc)
            return ermes__reply_failure(req, rc, NULL);
    }
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__incident_rule_read(body, id != 0, &r, &d);
    json_decref(body);
    if (rc) {
        ermes__diag_utf8(&d);
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    if (!id)
        ermes__store_home_org(req->srv->store, &r.owner_org_id);
    rc = id ? ermes__store_incident_rule_update(req->srv->store, &r)
            : ermes__store_incident_rule_insert(req->srv->store, &r);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident rule");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    audit(req, id ? "update" : "create", &r);
    return ermes__reply_json(req, id ? 200 : 201, ermes__incident_rule_to_json(&r));
}

enum MHD_Result ermes__h_incident_rule_create(ermes__req_t *req)
{
    return write_rule(req, 0);
}

enum MHD_Result ermes__h_incident_rule_update(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);

    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident rule");
    return write_rule(req, id);
}

enum MHD_Result ermes__h_incident_rule_delete(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    ermes__incident_rule_t r;
    int rc;

    if (!id || ermes__store_incident_rule_get(req->srv->store, id, &r))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident rule");
    rc = ermes__store_incident_rule_delete(req->srv->store, id);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident rule");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    audit(req, "delete", &r);
    return ermes__reply_empty(req, 204);
}
