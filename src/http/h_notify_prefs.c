/* /api/v1/organisations/{ref}/notification-preferences: what a constituent wants e-mailed,
 * how often and in which attachment format (src/notify/prefs.c). The CERT's staff read and
 * set them; a constituent's users read their own organisation's (the access model has no
 * constituent administrator, so they do not set them). Every change audited. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"
#include "notify/notify.h"

/* Resolves {ref} to an organisation the viewer may see these preferences of; on failure
 * queues the reply. */
static int resolve(ermes__req_t *req, int64_t *id, enum MHD_Result *ret)
{
    char ref[64];
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref))) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such organisation");
        return 0;
    }
    rc = ermes__store_org_resolve(req->srv->store, &req->viewer, ref, id);
    /* A constituent's users see their own organisation's preferences only. */
    if (rc == 0 && !ermes__viewer_is_staff(&req->viewer) && req->viewer.org_id != *id)
        rc = ERMES_ENOTFOUND;
    if (rc == ERMES_ENOTFOUND) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such organisation");
        return 0;
    }
    if (rc) {
        *ret = ermes__reply_failure(req, rc, NULL);
        return 0;
    }
    return 1;
}

enum MHD_Result ermes__h_notify_prefs_get(ermes__req_t *req)
{
    ermes__notify_prefs_t *p;
    enum MHD_Result ret;
    int64_t id;
    int rc;

    if (!resolve(req, &id, &ret))
        return ret;
    if (!(p = ermes__calloc(1, sizeof(*p))))
        return MHD_NO;
    rc = ermes__store_notify_prefs_get(req->srv->store, id, p);
    if (rc) {
        ermes__free(p);
        return ermes__reply_failure(req, rc, NULL);
    }
    ret = ermes__reply_json(req, 200, ermes__notify_prefs_to_json(p, ermes__time_now_ms()));
    ermes__free(p);
    return ret;
}

enum MHD_Result ermes__h_notify_prefs_put(ermes__req_t *req)
{
    ermes__notify_prefs_t *p, *before;
    enum MHD_Result ret;
    ermes_diag_t d;
    json_t *body, *j;
    int64_t id, home = 0, now = ermes__time_now_ms();
    char id_text[32], *detail = NULL;
    int rc;

    if (!resolve(req, &id, &ret))
        return ret;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    p = ermes__calloc(1, sizeof(*p));
    before = ermes__calloc(1, sizeof(*before));
    if (!p || !before) {
        json_decref(body);
        ermes__free(p);
        ermes__free(before);
        return MHD_NO;
    }
    /* What the body leaves out keeps its value. */
    if ((rc = ermes__store_notify_prefs_get(req->srv->store, id, p))) {
        json_decref(body);
        ermes__free(p);
        ermes__free(before);
        return ermes__reply_failure(req, rc, NULL);
    }
    *before = *p;
    ermes_diag_clear(&d);
    if (ermes__notify_prefs_read(body, p, &d)) {
        json_decref(body);
        ermes__free(p);
        ermes__free(before);
        ermes__diag_utf8(&d);
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    json_decref(body);
    ermes__store_home_org(req->srv->store, &home);
    if ((rc = ermes__store_notify_prefs_put(req->srv->store, p, home, now))) {
        ermes__free(p);
        ermes__free(before);
        return ermes__reply_failure(req, rc, NULL);
    }
    /* The audit says who (the record's user), what they are now and what changed, before the
     * answer goes out. */
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    detail = ermes__notify_prefs_audit_detail(before, p, now);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "notification_preferences", id_text,
                       detail);
    ermes__free(detail);
    j = ermes__notify_prefs_to_json(p, now);
    ermes__free(p);
    ermes__free(before);
    if (!j)
        return MHD_NO;
    return ermes__reply_json(req, 200, j);
}
