/* /api/v1/sla-policies: the SLA targets per severity (the default, and a constituent's own)
 * that the incidents' clocks count (src/incidents/). Staff read them; an administrator sets
 * one; every change audited. `ermes incidents policy` does the same from the command line. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/time.h"
#include "http/http.h"
#include "incidents/incidents.h"

static json_t *policy_json(const char *severity, const char *org, const ermes__sla_policy_t *p,
                           int64_t updated_at)
{
    char at[ERMES_TIME_STRLEN];

    if (updated_at)
        ermes__time_format(updated_at, at);
    return json_pack("{s:s,s:s?,s:I,s:I,s:I,s:b,s:s?}", "severity", severity, "organisation",
                     org && *org ? org : NULL, "response_minutes", (json_int_t)p->response_min,
                     "containment_minutes", (json_int_t)p->containment_min, "resolution_minutes",
                     (json_int_t)p->resolution_min, "business_hours", p->business_hours,
                     "updated_at", updated_at ? at : NULL);
}

static int list_cb(void *ctx, const ermes__sla_policy_row_t *r)
{
    json_t *j = policy_json(r->severity, r->org, &r->policy, r->updated_at);

    return j && json_array_append_new(ctx, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_sla_policy_list(ermes__req_t *req)
{
    json_t *data = json_array();
    int rc;

    if (!data)
        return MHD_NO;
    if ((rc = ermes__store_sla_policy_each(req->srv->store, list_cb, data))) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}

enum MHD_Result ermes__h_sla_policy_put(ermes__req_t *req)
{
    const char *org = ermes__query(req, "org");
    char severity[16], ref[64];
    ermes__sla_policy_t p;
    enum MHD_Result ret;
    int64_t org_id = 0;
    ermes_diag_t d;
    json_t *body;
    int rc;

    if (ermes__param(req, 0, severity, sizeof(severity)) ||
        !ermes__incident_severity_valid(severity))
        return ermes__reply_error(req, 422, "invalid", "severity", "low, medium, high or critical");
    if (org && *org && ermes__store_org_resolve(req->srv->store, &req->viewer, org, &org_id))
        return ermes__reply_error(req, 422, "invalid", "org", "no such organisation");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if (ermes__sla_policy_body_read(body, &p, &d)) {
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
        goto out;
    }
    if ((rc = ermes__store_sla_policy_put(req->srv->store, severity, org_id, &p))) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    snprintf(ref, sizeof(ref), "%s/%lld", severity, (long long)org_id);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "sla_policy", ref, NULL);
    ret = ermes__reply_json(req, 200,
                            policy_json(severity, org_id ? org : NULL, &p, ermes__time_now_ms()));
out:
    json_decref(body);
    return ret;
}
