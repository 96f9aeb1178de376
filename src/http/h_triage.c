/* Triage: POST /api/v1/triage (events and sightings in bulk: a state, the allow-list, an
 * incident to join or to open) and the triage member of PATCH /api/v1/events/{id} and
 * PATCH /api/v1/sightings/{id}. The work is src/incidents/ (shared with the CLI). */
#include <string.h>

#include "http/http.h"
#include "incidents/incidents.h"

static enum MHD_Result apply(ermes__req_t *req, json_t *body)
{
    ermes_diag_t d;
    json_t *result = NULL;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__triage_apply(req->srv->store, &req->viewer, body, &result, &d);
    if (rc) {
        ermes__diag_utf8(&d);
        return ermes__reply_failure(req, rc, &d);
    }
    return ermes__reply_json(req, 200, result);
}

enum MHD_Result ermes__h_triage(ermes__req_t *req)
{
    json_t *body;
    enum MHD_Result ret;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ret = apply(req, body);
    json_decref(body);
    return ret;
}

/* PATCH of one event or sighting: {"triage": state, "note", "allowlist" (sightings),
 * "recipients" (sightings: h_sightings.c; alone, or with a triage)}. */
static enum MHD_Result one(ermes__req_t *req, const char *kind)
{
    json_t *body, *bulk = NULL, *state, *recipients = NULL, *names = NULL;
    const char *key;
    json_t *v;
    enum MHD_Result ret;
    int64_t id = ermes__param_id(req, 0);
    char now_state[32];

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (strcmp(kind, "sighting") == 0 && (recipients = json_object_get(body, "recipients"))) {
        json_incref(recipients);
        json_object_del(body, "recipients");
    }
    state = json_object_get(body, "triage");
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "triage") != 0 && strcmp(key, "note") != 0 &&
            !(strcmp(key, "allowlist") == 0 && strcmp(kind, "sighting") == 0)) {
            json_decref(body);
            json_decref(recipients);
            return ermes__reply_error(
                req, 422, "invalid", key, "only triage, note%s may change here",
                strcmp(kind, "sighting") == 0 ? ", allowlist and recipients" : "");
        }
    }
    if (!json_is_string(state) && !(recipients && json_object_size(body) == 0)) {
        json_decref(body);
        json_decref(recipients);
        return ermes__reply_error(req, 422, "invalid", "triage",
                                  "triage must be new, confirmed, false_positive, benign or"
                                  " duplicate");
    }
    if (recipients) {
        int done = ermes__sighting_recipients_patch(req, id, recipients, &names, &ret);
        json_decref(recipients);
        if (!done) {
            json_decref(body);
            return ret;
        }
        if (!json_is_string(state)) {
            json_decref(body);
            return ermes__reply_json(
                req, 200, json_pack("{s:I,s:o}", "id", (json_int_t)id, "recipients", names));
        }
    }
    bulk = json_pack("{s:[I],s:O}", strcmp(kind, "event") == 0 ? "events" : "sightings",
                     (json_int_t)id, "state", state);
    if (bulk && json_object_get(body, "note"))
        json_object_set(bulk, "note", json_object_get(body, "note"));
    if (bulk && json_object_get(body, "allowlist"))
        json_object_set(bulk, "allowlist", json_object_get(body, "allowlist"));
    json_decref(body);
    if (!bulk) {
        json_decref(names);
        return MHD_NO;
    }
    {
        ermes_diag_t d;
        json_t *result = NULL;
        int rc;
        ermes_diag_clear(&d);
        rc = ermes__triage_apply(req->srv->store, &req->viewer, bulk, &result, &d);
        json_decref(bulk);
        if (rc)
            json_decref(names);
        if (rc && strstr(d.reason, "no event") == d.reason)
            return ermes__reply_error(req, 404, "not_found", NULL, "no such event");
        if (rc && strstr(d.reason, "no sighting") == d.reason)
            return ermes__reply_error(req, 404, "not_found", NULL, "no such sighting");
        if (rc) {
            ermes__diag_utf8(&d);
            return ermes__reply_failure(req, rc, &d);
        }
        ermes__store_triage_get(req->srv->store, kind, id, now_state, sizeof(now_state));
        {
            json_t *j = json_pack("{s:I,s:s,s:O}", "id", (json_int_t)id, "triage", now_state,
                                  "allowlisted", json_object_get(result, "allowlisted"));
            if (j && names)
                json_object_set(j, "recipients", names);
            json_decref(names);
            ret = ermes__reply_json(req, 200, j);
        }
        json_decref(result);
        return ret;
    }
}

enum MHD_Result ermes__h_event_triage(ermes__req_t *req)
{
    return one(req, "event");
}

enum MHD_Result ermes__h_sighting_triage(ermes__req_t *req)
{
    return one(req, "sighting");
}
