/* /api/v1/notification-policies: which notifications wait for a reviewer's approval before
 * they are sent, per feed, classification and constituent (the rule in src/notify/review.c).
 * Staff only; every change audited. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "http/http.h"
#include "notify/notify.h"

static int list_cb(void *ctx, const ermes__notify_policy_t *p)
{
    return json_array_append_new(ctx, ermes__notify_policy_to_json(p)) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_notify_policy_list(ermes__req_t *req)
{
    json_t *data = json_array();
    int rc;

    if (!data)
        return MHD_NO;
    if ((rc = ermes__store_notify_policy_each(req->srv->store, list_cb, data))) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200,
                             json_pack("{s:o,s:s}", "data", data, "default",
                                       ermes__req_cfg(req)->notify_approval
                                           ? ermes__req_cfg(req)->notify_approval
                                           : "auto"));
}

enum MHD_Result ermes__h_notify_policy_create(ermes__req_t *req)
{
    ermes__notify_policy_t p;
    const char *org = NULL;
    enum MHD_Result ret;
    ermes_diag_t d;
    json_t *body;
    int64_t home = 0;
    char id_text[32];
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if (ermes__notify_policy_read(body, &p, &org, &d)) {
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
        json_decref(body);
        return ret;
    }
    if (org && ermes__store_org_resolve(req->srv->store, &req->viewer, org, &p.org_id)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "org", "no such organisation");
    }
    if (org)
        snprintf(p.org, sizeof(p.org), "%s", org);
    json_decref(body);
    ermes__store_home_org(req->srv->store, &home);
    rc = ermes__store_notify_policy_put(req->srv->store, &p, home);
    if (rc == ERMES_ETOOBIG)
        return ermes__reply_error(req, 422, "invalid", NULL, "at most %d notification policies",
                                  ERMES_NOTIFY_POLICIES_MAX);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(id_text, sizeof(id_text), "%lld", (long long)p.id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "notification_policy", id_text,
                       NULL);
    return ermes__reply_json(req, 201, ermes__notify_policy_to_json(&p));
}

enum MHD_Result ermes__h_notify_policy_delete(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    char id_text[32];
    int rc;

    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification policy");
    rc = ermes__store_notify_policy_delete(req->srv->store, id);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification policy");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "notification_policy", id_text,
                       NULL);
    return ermes__reply_empty(req, 204);
}
