/* /api/v1/stix/{name}/recipients: the named recipients (TLP 2.0) of a stored STIX object, read
 * by the CERT's staff and the owner organisation, changed by an administrator or the owner
 * (src/sharing/stix_recipients.c says who and how). */
#include <string.h>

#include "access/tlp_recipients.h"
#include "http/http.h"
#include "sharing/stix.h"

/* The object of the request's path for the viewer; 0 with *ret the answer when there is none. */
static int object_of(ermes__req_t *req, int change, ermes__stix_owned_t *o, enum MHD_Result *ret)
{
    char id[sizeof(o->stix_id)];
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    if (ermes__param(req, 0, id, sizeof(id))) {
        *ret = ermes__reply_error(req, 404, "not_found", "id", "no such STIX object");
        return 0;
    }
    rc = ermes__stix_recipients_find(req->srv->store, &req->viewer, id, change, o, &d);
    if (rc == ERMES_EINVAL)
        *ret = ermes__reply_error(req, 404, "not_found", "id", "%s", d.reason);
    else if (rc)
        *ret = ermes__reply_failure(req, rc, &d);
    return rc == 0;
}

static enum MHD_Result reply_object(ermes__req_t *req, const ermes__stix_owned_t *o)
{
    json_t *j = ermes__stix_recipients_json(req->srv->store, o);

    if (!j)
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_stix_recipients_get(ermes__req_t *req)
{
    ermes__stix_owned_t o;
    enum MHD_Result ret;

    if (!object_of(req, 0, &o, &ret))
        return ret;
    return reply_object(req, &o);
}

enum MHD_Result ermes__h_stix_recipients_patch(ermes__req_t *req)
{
    ermes__stix_owned_t o;
    int64_t orgs[ERMES__TLP_RECIPIENTS_MAX];
    json_t *body, *list;
    const char *key;
    json_t *v;
    ermes_diag_t d;
    enum MHD_Result ret;
    size_t n = 0;
    int rc;

    if (!object_of(req, 1, &o, &ret))
        return ret;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "recipients") != 0) {
            /* key lives in body: the answer is made before body is let go. */
            ret = ermes__reply_error(req, 422, "invalid", key, "only recipients may change here");
            json_decref(body);
            return ret;
        }
    }
    ermes_diag_clear(&d);
    if (!(list = json_object_get(body, "recipients"))) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "recipients",
                                  "recipients is a list of organisations' short names");
    }
    rc = ermes__tlp_recipients_parse(req->srv->store, &req->viewer, list, "recipients", orgs, &n,
                                     &d);
    json_decref(body);
    if (!rc)
        rc = ermes__stix_recipients_change(req->srv->store, &req->viewer, &o, orgs, n, &d);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    return reply_object(req, &o);
}
