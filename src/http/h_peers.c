/* /api/v1/peers: the federation's peers (src/sharing/federation.h), their configuration and
 * the state of their pulls and pushes; credentials are written, never read back. The CERT's
 * staff only. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "http/http.h"
#include "sharing/federation.h"

typedef struct list_ctx {
    json_t *data;
    int64_t id;
} list_ctx_t;

static int list_cb(void *ctx, const ermes__peer_t *p)
{
    list_ctx_t *c = ctx;
    json_t *j = ermes__peer_to_json(p);

    return !j || json_array_append_new(c->data, j) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_peer_list(ermes__req_t *req)
{
    list_ctx_t c = {json_array(), 0};
    int rc;

    if (!c.data)
        return MHD_NO;
    if ((rc = ermes__store_peer_each(req->srv->store, NULL, list_cb, &c))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o,s:b}", "data", c.data, "more", 0));
}

static int one_cb(void *ctx, const ermes__peer_t *p)
{
    list_ctx_t *c = ctx;

    json_decref(c->data);
    c->data = ermes__peer_to_json(p);
    c->id = p->id;
    return c->data ? 1 : ERMES_ENOMEM;
}

static enum MHD_Result reply_peer(ermes__req_t *req, const char *ref, unsigned status)
{
    list_ctx_t c = {NULL, 0};
    int rc = ermes__store_peer_each(req->srv->store, ref, one_cb, &c);

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no peer \"%s\"", ref);
    if (rc < 0) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, status, c.data);
}

enum MHD_Result ermes__h_peer_get(ermes__req_t *req)
{
    char ref[128];

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such peer");
    return reply_peer(req, ref, 200);
}

static enum MHD_Result reply_invalid(ermes__req_t *req, int rc, const ermes_diag_t *d)
{
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 422, "invalid", d->field[0] ? d->field : NULL, "%s",
                                  d->reason);
    if (rc == ERMES_EEXISTS)
        return ermes__reply_error(req, 409, "conflict", "name", "%s", d->reason);
    return ermes__reply_failure(req, rc, NULL);
}

enum MHD_Result ermes__h_peer_create(ermes__req_t *req)
{
    json_t *body;
    enum MHD_Result ret;
    ermes_diag_t d;
    int64_t id = 0;
    char ref[32];
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__peer_create(req->srv->store, &req->viewer, body, &id, &d);
    json_decref(body);
    if (rc)
        return reply_invalid(req, rc, &d);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "peer", ref, NULL);
    return reply_peer(req, ref, 201);
}

enum MHD_Result ermes__h_peer_update(ermes__req_t *req)
{
    list_ctx_t c = {NULL, 0};
    json_t *body;
    enum MHD_Result ret;
    ermes_diag_t d;
    char ref[128], idtext[32];
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such peer");
    rc = ermes__store_peer_each(req->srv->store, ref, one_cb, &c);
    json_decref(c.data);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no peer \"%s\"", ref);
    if (rc < 0)
        return ermes__reply_failure(req, rc, NULL);
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    snprintf(idtext, sizeof(idtext), "%lld", (long long)c.id);
    ermes_diag_clear(&d);
    rc = ermes__peer_update(req->srv->store, idtext, body, &d);
    json_decref(body);
    if (rc)
        return reply_invalid(req, rc, &d);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "peer", idtext, NULL);
    return reply_peer(req, idtext, 200);
}

enum MHD_Result ermes__h_peer_delete(ermes__req_t *req)
{
    list_ctx_t c = {NULL, 0};
    char ref[128], idtext[32];
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such peer");
    rc = ermes__store_peer_each(req->srv->store, ref, one_cb, &c);
    json_decref(c.data);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no peer \"%s\"", ref);
    if (rc < 0 || (rc = ermes__store_peer_delete(req->srv->store, c.id)))
        return ermes__reply_failure(req, rc, NULL);
    snprintf(idtext, sizeof(idtext), "%lld", (long long)c.id);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "peer", idtext, NULL);
    return ermes__reply_empty(req, 204);
}

/* POST /api/v1/peers/{ref}/sync: one round now, in this request; its outcome. */
enum MHD_Result ermes__h_peer_sync(ermes__req_t *req)
{
    ermes__peer_round_t r;
    char ref[128];
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such peer");
    rc = ermes__peer_sync(req->srv->store, ref, NULL, &r);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no peer \"%s\"", ref);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(
        req, 200,
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s?}", "pages", (json_int_t)r.pages,
                  "received", (json_int_t)r.received, "stored", (json_int_t)r.stored, "duplicates",
                  (json_int_t)r.duplicates, "failed", (json_int_t)r.failed, "indicators",
                  (json_int_t)r.indicators, "pushed", (json_int_t)r.pushed, "push_failures",
                  (json_int_t)r.push_failures, "error", r.error[0] ? r.error : NULL));
}
