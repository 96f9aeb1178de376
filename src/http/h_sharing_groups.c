/* /api/v1/sharing-groups: the sharing groups, which TAXII serves as collections
 * (/taxii2/ermes/collections/<collection_id>/). Everyone signed in may list them (with what
 * they may do in each); the CERT's staff create and delete them. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "http/http.h"
#include "sharing/sharing_groups.h"

typedef struct list_ctx {
    ermes__req_t *req;
    json_t *data;
} list_ctx_t;

static json_t *group_json(ermes__req_t *req, const ermes__sharing_group_t *g)
{
    json_t *j = ermes__sharing_group_to_json(g);

    if (j) {
        json_object_set_new(
            j, "can_read",
            json_boolean(ermes__sharing_group_can(req->srv->store, g, &req->viewer, 0)));
        json_object_set_new(
            j, "can_write",
            json_boolean(ermes__sharing_group_can(req->srv->store, g, &req->viewer, 1)));
    }
    return j;
}

static int list_cb(void *ctx, const ermes__sharing_group_t *g)
{
    list_ctx_t *c = ctx;
    json_t *j = group_json(c->req, g);

    return !j || json_array_append_new(c->data, j) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_sharing_group_list(ermes__req_t *req)
{
    list_ctx_t c = {req, json_array()};
    int rc;

    if (!c.data)
        return MHD_NO;
    if ((rc = ermes__store_sharing_group_each(req->srv->store, NULL, list_cb, &c))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o,s:b}", "data", c.data, "more", 0));
}

static int one_cb(void *ctx, const ermes__sharing_group_t *g)
{
    list_ctx_t *c = ctx;

    json_decref(c->data);
    c->data = group_json(c->req, g);
    return c->data ? 1 : ERMES_ENOMEM; /* the first match */
}

static enum MHD_Result reply_group(ermes__req_t *req, const char *ref, unsigned status)
{
    list_ctx_t c = {req, NULL};
    int rc = ermes__store_sharing_group_each(req->srv->store, ref, one_cb, &c);

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no sharing group \"%s\"", ref);
    if (rc < 0) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, status, c.data);
}

enum MHD_Result ermes__h_sharing_group_get(ermes__req_t *req)
{
    char ref[128];

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such sharing group");
    return reply_group(req, ref, 200);
}

enum MHD_Result ermes__h_sharing_group_create(ermes__req_t *req)
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
    rc = ermes__sharing_group_create(req->srv->store, &req->viewer, body, &id, &d);
    json_decref(body);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
    if (rc == ERMES_EEXISTS)
        return ermes__reply_error(req, 409, "conflict", "name", "%s", d.reason);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "sharing_group", ref, NULL);
    return reply_group(req, ref, 201);
}

static int id_cb(void *ctx, const ermes__sharing_group_t *g)
{
    *(int64_t *)ctx = g->id;
    return 1;
}

enum MHD_Result ermes__h_sharing_group_delete(ermes__req_t *req)
{
    char ref[128], idtext[32];
    int64_t id = 0;
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such sharing group");
    rc = ermes__store_sharing_group_each(req->srv->store, ref, id_cb, &id);
    if (rc == ERMES_ENOTFOUND || (rc >= 0 && !id))
        return ermes__reply_error(req, 404, "not_found", NULL, "no sharing group \"%s\"", ref);
    if (rc < 0)
        return ermes__reply_failure(req, rc, NULL);
    if ((rc = ermes__store_sharing_group_delete(req->srv->store, id)))
        return ermes__reply_failure(req, rc, NULL);
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "sharing_group", idtext, NULL);
    return ermes__reply_empty(req, 204);
}
