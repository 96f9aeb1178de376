/* /api/v1/warninglists: the known-benign lists an indicator is checked against when it is
 * added (src/indicators/warninglists.h), each switched on or off at run time. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/log.h"
#include "http/http.h"
#include "sightings/sightings.h"

static json_t *entry_json(const ermes__wl_entry_t *e)
{
    const ermes_warninglist_t *wl = e->wl;

    return json_pack("{s:s,s:s?,s:s?,s:s?,s:I,s:I,s:s,s:b,s:s,s:s?}", "id", e->id, "name",
                     wl ? ermes_warninglist_name(wl) : NULL, "description",
                     wl ? ermes_warninglist_description(wl) : NULL, "type",
                     wl ? ermes_warninglist_type(wl) : NULL, "version",
                     (json_int_t)(wl ? ermes_warninglist_version(wl) : 0), "entries",
                     (json_int_t)(wl ? ermes_warninglist_count(wl) : 0), "origin", e->origin,
                     "enabled", e->enabled, "switched_by", e->switched ? "api" : "setting", "error",
                     e->error[0] ? e->error : NULL);
}

enum MHD_Result ermes__h_warninglist_list(ermes__req_t *req)
{
    json_t *data = json_array();

    if (!data)
        return MHD_NO;
    if (ermes__server_wl_ready(req->srv)) {
        json_decref(data);
        return ermes__reply_error(req, 503, "unavailable", NULL,
                                  "the warninglists cannot be read (see the log)");
    }
    pthread_rwlock_rdlock(&req->srv->wl_lock);
    for (size_t k = 0; k < req->srv->wl.n; k++)
        json_array_append_new(data, entry_json(&req->srv->wl.v[k]));
    pthread_rwlock_unlock(&req->srv->wl_lock);
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}

enum MHD_Result ermes__h_warninglist_get(ermes__req_t *req)
{
    char id[ERMES_WL_ID_MAX];
    const ermes__wl_entry_t *e;
    json_t *j = NULL;

    if (ermes__param(req, 0, id, sizeof(id)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such warninglist");
    if (ermes__server_wl_ready(req->srv))
        return ermes__reply_error(req, 503, "unavailable", NULL,
                                  "the warninglists cannot be read (see the log)");
    pthread_rwlock_rdlock(&req->srv->wl_lock);
    if ((e = ermes__wl_catalog_find(&req->srv->wl, id)))
        j = entry_json(e);
    pthread_rwlock_unlock(&req->srv->wl_lock);
    if (!e)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such warninglist");
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_warninglist_update(ermes__req_t *req)
{
    char id[ERMES_WL_ID_MAX], detail[64];
    const ermes__wl_entry_t *e;
    enum MHD_Result ret;
    json_t *body, *v, *j = NULL;
    const char *key;
    int enabled, rc;

    if (ermes__param(req, 0, id, sizeof(id)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such warninglist");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!json_is_object(body)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", NULL,
                                  "the body must be {\"enabled\": bool}");
    }
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "enabled") != 0) {
            ret = ermes__reply_error(req, 422, "invalid", key, "unknown member \"%.48s\"", key);
            json_decref(body);
            return ret;
        }
    }
    v = json_object_get(body, "enabled");
    if (!json_is_boolean(v)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "enabled", "enabled must be true or false");
    }
    enabled = json_is_true(v);
    json_decref(body);
    if (ermes__server_wl_ready(req->srv))
        return ermes__reply_error(req, 503, "unavailable", NULL,
                                  "the warninglists cannot be read (see the log)");
    pthread_rwlock_wrlock(&req->srv->wl_lock);
    if (!ermes__wl_catalog_find(&req->srv->wl, id)) {
        pthread_rwlock_unlock(&req->srv->wl_lock);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such warninglist");
    }
    /* Stored first: a switch the database does not keep would come undone at the restart. */
    rc = ermes__store_wl_switch_set(req->srv->store, id, enabled, req->viewer.org_id);
    if (!rc)
        rc = ermes__wl_catalog_switch(&req->srv->wl, id, enabled);
    if (!rc && (e = ermes__wl_catalog_find(&req->srv->wl, id)))
        j = entry_json(e);
    pthread_rwlock_unlock(&req->srv->wl_lock);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(detail, sizeof(detail), "{\"enabled\":%s}", enabled ? "true" : "false");
    ermes__audit_write(req->srv->store, &req->viewer, "update", "warninglist", id, detail);
    /* The stored indicators on it stop (or start again) matching before the answer. */
    ermes__server_wl_changed(req->srv);
    if ((rc = ermes__sightings_refresh(req->srv->sightings, 1)))
        ermes__log(ERMES_LOG_WARNING, "cannot rebuild the indicator matcher: %s",
                   ermes_strerror(rc));
    return ermes__reply_json(req, 200, j);
}
