/* /api/v1/tokens: API tokens, listed, created (the secret shown once) and revoked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/time.h"
#include "http/http.h"

static json_t *token_json(const ermes__token_t *t)
{
    return json_pack("{s:I,s:I,s:s,s:s,s:o,s:o,s:o,s:o}", "id", (json_int_t)t->id, "user_id",
                     (json_int_t)t->user_id, "prefix", t->prefix, "description", t->description,
                     "created_at", ermes__json_time(t->created_at), "expires_at",
                     ermes__json_time(t->expires_at), "revoked_at", ermes__json_time(t->revoked_at),
                     "last_used_at", ermes__json_time(t->last_used_at));
}

struct list_ctx {
    ermes__req_t *req;
    json_t *data;
    int64_t last_id;
};

static int token_cb(void *arg, const ermes__token_t *t)
{
    struct list_ctx *c = arg;

    c->last_id = t->id;
    return json_array_append_new(c->data, token_json(t)) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_token_list(ermes__req_t *req)
{
    struct list_ctx c = {req, json_array(), 0};
    int64_t user_id = req->viewer.user_id, after;
    long limit;
    enum MHD_Result ret;
    int more, rc;

    if (!ermes__page(req, &limit, &after, &ret)) {
        json_decref(c.data);
        return ret;
    }
    /* An administrator sees every user's tokens, or one user's with user=ID; "user=abc" is an
     * error, not "all of them". */
    if (req->viewer.role == ERMES_ROLE_ADMIN) {
        user_id = 0;
        if (!ermes__query_int(req, "user", 1, INT64_MAX, &user_id, &ret)) {
            json_decref(c.data);
            return ret;
        }
    }
    rc = ermes__store_token_each(req->srv->store, user_id, after, limit, token_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

int ermes__token_body_read(const json_t *body, const char **desc, long *days, ermes_diag_t *d)
{
    const json_t *v;

    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be an object");
        return ERMES_EINVAL;
    }
    if ((v = json_object_get(body, "description"))) {
        if (!json_is_string(v) || json_string_length(v) > 120) {
            ermes_diag_set(d, "description", "description must be a string of at most 120 bytes");
            return ERMES_EINVAL;
        }
        *desc = json_string_value(v);
    }
    if ((v = json_object_get(body, "expires_in_days"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 3650) {
            ermes_diag_set(d, "expires_in_days",
                           "expires_in_days must be a whole number from 1 to 3650");
            return ERMES_EINVAL;
        }
        *days = (long)json_integer_value(v);
    }
    return 0;
}

enum MHD_Result ermes__h_token_create(ermes__req_t *req)
{
    char secret[ERMES_TOKEN_STRLEN], ref[24];
    ermes__token_t t;
    ermes__user_t owner;
    json_t *body, *v, *out;
    enum MHD_Result ret;
    long days = req->srv->cfg->token_days;
    int64_t user_id = req->viewer.user_id;
    const char *desc = NULL;
    ermes_diag_t d;
    int rc;

    req->empty_body_ok = 1;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if (ermes__token_body_read(body, &desc, &days, &d)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    if ((v = json_object_get(body, "user"))) {
        if (req->viewer.role != ERMES_ROLE_ADMIN) {
            json_decref(body);
            return ermes__reply_error(req, 403, "forbidden", "user",
                                      "only an administrator may create tokens for others");
        }
        if (!json_is_integer(v) ||
            ermes__store_user_get(req->srv->store, json_integer_value(v), NULL, &owner)) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "user", "no such user");
        }
        user_id = owner.id;
    }
    rc = ermes__token_create(req->srv->store, user_id, desc, (int64_t)days * 86400000, secret, &t);
    json_decref(body);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)t.id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "token", ref, NULL);
    out = token_json(&t);
    if (out)
        json_object_set_new(out, "token", json_string(secret));
    memset(secret, 0, sizeof(secret));
    return ermes__reply_json(req, 201, out);
}

enum MHD_Result ermes__h_token_revoke(ermes__req_t *req)
{
    ermes__token_t t;
    char ref[24];
    int64_t id;
    int rc;

    if (!(id = ermes__param_id(req, 0)) || ermes__store_token_get(req->srv->store, id, &t) ||
        (req->viewer.role != ERMES_ROLE_ADMIN && t.user_id != req->viewer.user_id))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such token");
    rc = ermes__store_token_revoke(req->srv->store, id, ermes__time_now_ms());
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    ermes__auth_cache_clear(req->srv->auth);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "revoke", "token", ref, NULL);
    return ermes__reply_empty(req, 204);
}
