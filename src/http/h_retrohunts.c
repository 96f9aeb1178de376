/* /api/v1/retrohunts: the log archive rescanned for indicators, for the CERT's staff. The
 * daemon queues a job by itself when indicators are added; these routes list the jobs, show
 * one's progress, queue one for chosen indicators (or all active ones) and cancel one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "http/http.h"
#include "http/server.h"
#include "sightings/sightings.h"

void ermes__server_set_hunter(ermes__server_t *s, struct ermes__hunter *h)
{
    if (s)
        s->hunter = h;
}

struct ermes__sightings *ermes__server_sightings(ermes__server_t *s)
{
    return s ? s->sightings : NULL;
}

static int one_cb(void *ctx, const ermes__retrohunt_t *r)
{
    json_t **out = ctx;

    *out = ermes__retrohunt_to_json(r);
    return *out ? 0 : ERMES_ENOMEM;
}

static enum MHD_Result reply_job(ermes__req_t *req, unsigned status, int64_t id)
{
    json_t *j = NULL;
    int rc = ermes__store_retrohunt_get(req->srv->store, id, one_cb, &j);

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no retro-hunt %lld", (long long)id);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (status == 202) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/retrohunts/%lld", (long long)id);
        ermes__reply_header(req, "Location", loc);
    }
    return ermes__reply_json(req, status, j);
}

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static int list_cb(void *arg, const ermes__retrohunt_t *r)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__retrohunt_to_json(r);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = r->id;
    return 0;
}

enum MHD_Result ermes__h_retrohunt_list(ermes__req_t *req)
{
    struct list_ctx c = {NULL, 0};
    enum MHD_Result ret;
    int64_t cursor = 0;
    long limit = 0;
    int more = 0, rc;

    /* Newest first: the cursor is the last id of the previous page, the next one goes below. */
    if (!ermes__page(req, &limit, &cursor, &ret))
        return ret;
    if (!(c.data = json_array()))
        return MHD_NO;
    rc = ermes__store_retrohunt_each(req->srv->store, cursor, limit, list_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_retrohunt_get(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);

    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such retro-hunt");
    return reply_job(req, 200, id);
}

static int exists_cb(void *ctx, const ermes__indicator_row_t *r)
{
    (void)ctx;
    (void)r;
    return 0;
}

int ermes__retrohunt_body_read(const json_t *body, int64_t **ids, size_t *n, ermes_diag_t *d)
{
    const json_t *list = NULL, *v;
    const char *key;
    json_t *m;
    size_t k;

    *ids = NULL;
    *n = 0;
    if (!body)
        return 0; /* no body: every indicator */
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, m)
    {
        if (strcmp(key, "indicators") != 0) {
            ermes_diag_set(d, key, "unknown member \"%.64s\"", key);
            return ERMES_EINVAL;
        }
        list = m;
    }
    if (!list)
        return 0;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > ERMES_RETROHUNT_MAX_IDS) {
        ermes_diag_set(d, "indicators", "indicators must be an array of 1 to %d indicator ids",
                       ERMES_RETROHUNT_MAX_IDS);
        return ERMES_EINVAL;
    }
    json_array_foreach(list, k, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            ermes_diag_set(d, "indicators", "indicators[%zu] is not an indicator id", k);
            return ERMES_EINVAL;
        }
    }
    if (!(*ids = calloc(json_array_size(list), sizeof(**ids))))
        return ERMES_ENOMEM;
    for (k = 0; k < json_array_size(list); k++)
        (*ids)[k] = (int64_t)json_integer_value(json_array_get(list, k));
    *n = json_array_size(list);
    return 0;
}

enum MHD_Result ermes__h_retrohunt_create(ermes__req_t *req)
{
    const char *archive = req->srv->cfg->detect_archive;
    json_t *body = NULL;
    int64_t *ids = NULL, id = 0;
    ermes_diag_t d;
    size_t nids = 0, k;
    enum MHD_Result ret;
    char detail[64];
    int rc;

    req->empty_body_ok = 1;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if ((rc = ermes__retrohunt_body_read(body, &ids, &nids, &d))) {
        ret = rc == ERMES_EINVAL ? ermes__reply_error(req, 400, "bad_request",
                                                      d.field[0] ? d.field : NULL, "%s", d.reason)
                                 : ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    for (k = 0; k < nids; k++) {
        rc = ermes__store_indicator_get(req->srv->store, &req->viewer, ids[k], exists_cb, NULL);
        if (rc == ERMES_ENOTFOUND) {
            ret = ermes__reply_error(req, 400, "bad_request", "indicators", "no indicator %lld",
                                     (long long)ids[k]);
            goto out;
        }
        if (rc) {
            ret = ermes__reply_failure(req, rc, NULL);
            goto out;
        }
    }
    if (!archive || !*archive) {
        ret = ermes__reply_error(req, 409, "conflict", NULL,
                                 "no log archive is configured (the detect_archive setting)");
        goto out;
    }
    rc = ermes__retrohunt_queue(req->srv->store, archive, ids, nids,
                                req->viewer.user_name ? req->viewer.user_name : "", &id);
    if (rc) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    snprintf(detail, sizeof(detail), "{\"indicators\":%zu}", nids);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "retrohunt", NULL, detail);
    ermes__hunter_kick(req->srv->hunter);
    ret = reply_job(req, 202, id);
out:
    free(ids);
    json_decref(body);
    return ret;
}

enum MHD_Result ermes__h_retrohunt_cancel(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    ermes_retro_state_t state;
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    char ref[32];
    int rc;

    /* No body is needed; a JSON one (say "{}") is ignored, anything else refused. */
    if (req->body.len && !(type && strncasecmp(type, "application/json", 16) == 0))
        return ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "this request takes no body (or a JSON one, which is ignored)");
    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such retro-hunt");
    rc = ermes__store_retrohunt_cancel(req->srv->store, id, &state);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no retro-hunt %lld", (long long)id);
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", NULL, "retro-hunt %lld has ended (%s)",
                                  (long long)id, ermes_retro_state_name(state));
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "cancel", "retrohunt", ref, NULL);
    ermes__hunter_kick(req->srv->hunter);
    return reply_job(req, 200, id);
}
