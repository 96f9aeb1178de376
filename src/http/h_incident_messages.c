/* /api/v1/incidents/{id}/messages and /correspondence: writing to constituents from an
 * incident, and what they answered (src/incidents/coordinate.c does the work, shared with the
 * CLI). */
#include <string.h>

#include "http/http.h"
#include "incidents/incidents.h"
#include "notify/notify.h"

static enum MHD_Result failure(ermes__req_t *req, int rc, ermes_diag_t *d)
{
    ermes__diag_utf8(d);
    if (rc == ERMES_ENOTFOUND && !d->reason[0])
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident");
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", d->field[0] ? d->field : NULL, "%s",
                                  d->reason[0] ? d->reason : "conflicting state");
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 422, "invalid", d->field[0] ? d->field : NULL, "%s",
                                  d->reason[0] ? d->reason : "invalid body");
    return ermes__reply_failure(req, rc, d);
}

enum MHD_Result ermes__h_incident_write(ermes__req_t *req)
{
    ermes__notify_options_t o;
    ermes_diag_t d;
    json_t *body, *result = NULL;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0);
    int rc;

    ermes_diag_clear(&d);
    if (ermes__notify_options_from_config(ermes__req_cfg(req), &o, &d))
        return ermes__reply_error(req, 500, "internal", d.field[0] ? d.field : NULL, "%s",
                                  d.reason);
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    rc = ermes__incident_write(req->srv->store, &req->viewer, &o, id, body, &result, &d);
    json_decref(body);
    if (rc)
        return failure(req, rc, &d);
    return ermes__reply_json(req, 201, result);
}

enum MHD_Result ermes__h_incident_correspondence(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *out = NULL;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__incident_correspondence(req->srv->store, &req->viewer, ermes__param_id(req, 0),
                                        &out);
    if (rc)
        return failure(req, rc, &d);
    return ermes__reply_json(req, 200, out);
}
