/* /api/v1/users: who may use ermes, with which role, for which organisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/time.h"
#include "http/http.h"

json_t *ermes__user_json(ermes__req_t *req, const ermes__user_t *u)
{
    char org[64] = "";

    ermes__store_org_short_name(req->srv->store, u->org_id, org, sizeof(org));
    return json_pack("{s:I,s:s,s:s,s:s,s:b,s:b,s:b,s:o,s:o}", "id", (json_int_t)u->id, "name",
                     u->name, "role", ermes__role_name(u->role), "org", org, "disabled",
                     u->disabled, "has_password", u->password_hash[0] != '\0', "totp_enabled",
                     u->totp_enabled, "created_at", ermes__json_time(u->created_at), "updated_at",
                     ermes__json_time(u->updated_at));
}

struct list_ctx {
    ermes__req_t *req;
    json_t *data;
    int64_t last_id;
};

static int user_cb(void *arg, const ermes__user_t *u)
{
    struct list_ctx *c = arg;

    c->last_id = u->id;
    return json_array_append_new(c->data, ermes__user_json(c->req, u)) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_user_list(ermes__req_t *req)
{
    struct list_ctx c = {req, json_array(), 0};
    const char *org = ermes__query(req, "org");
    int64_t org_id = 0, after;
    long limit;
    enum MHD_Result ret;
    int more, rc;

    if (!ermes__page(req, &limit, &after, &ret)) {
        json_decref(c.data);
        return ret;
    }
    if (org && ermes__store_org_resolve(req->srv->store, &req->viewer, org, &org_id)) {
        json_decref(c.data);
        return ermes__reply_error(req, 400, "bad_request", "org", "no organisation \"%s\"", org);
    }
    rc = ermes__store_user_each(req->srv->store, org_id, after, limit, user_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

int ermes__user_body_read(const json_t *body, int creating, ermes__user_body_t *ub, ermes_diag_t *d)
{
    static const char *const known[] = {
        "name", "role", "org", "password", "disabled", "current_password", NULL};
    const char *key, *s;
    json_t *v;

    memset(ub, 0, sizeof(*ub));
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be an object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        int ok = 0;
        for (size_t k = 0; known[k]; k++)
            ok |= strcmp(key, known[k]) == 0;
        if (!ok) {
            ermes_diag_set(d, key, "unknown member \"%.48s\"", key);
            return ERMES_EINVAL;
        }
    }
    if (creating) {
        s = json_string_value(json_object_get(body, "name"));
        if (!s || !*s || strlen(s) > ERMES_USER_NAME_MAX ||
            strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@") !=
                strlen(s)) {
            ermes_diag_set(d, "name", "name must be 1 to 64 letters, digits, '.', '-', '_' or '@'");
            return ERMES_EINVAL;
        }
        ub->name = s;
    }
    if ((v = json_object_get(body, "role"))) {
        if (!json_is_string(v) || ermes__role_parse(json_string_value(v), &ub->role)) {
            ermes_diag_set(d, "role", "role must be admin, analyst, constituent or sensor");
            return ERMES_EINVAL;
        }
        ub->has_role = 1;
    }
    if ((v = json_object_get(body, "org"))) {
        if (json_is_integer(v))
            snprintf(ub->org, sizeof(ub->org), "%lld", (long long)json_integer_value(v));
        else if (json_is_string(v) && json_string_length(v) < sizeof(ub->org) &&
                 strlen(json_string_value(v)) == json_string_length(v))
            snprintf(ub->org, sizeof(ub->org), "%s", json_string_value(v));
        else {
            ermes_diag_set(d, "org", "org must be a short name or an id");
            return ERMES_EINVAL;
        }
        ub->has_org = 1;
    }
    if ((v = json_object_get(body, "disabled"))) {
        if (!json_is_boolean(v)) {
            ermes_diag_set(d, "disabled", "disabled must be true or false");
            return ERMES_EINVAL;
        }
        ub->has_disabled = 1;
        ub->disabled = json_is_true(v);
    }
    if ((v = json_object_get(body, "password"))) {
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            ermes_diag_set(d, "password", "password must be a string without NUL characters");
            return ERMES_EINVAL;
        }
        ub->password = json_string_value(v);
    }
    return 0;
}

/* Applies a body ermes__user_body_read accepted to u: the organisation resolved, the rules of
 * each role, the password hashed. Returns 0 or an error with d. */
static int apply_user(ermes__req_t *req, const ermes__user_body_t *ub, ermes__user_t *u,
                      int creating, ermes_diag_t *d)
{
    int64_t home;

    if (creating) {
        snprintf(u->name, sizeof(u->name), "%s", ub->name);
        u->role = ERMES_ROLE_ANALYST;
    }
    if (ub->has_role)
        u->role = ub->role;
    if (ub->has_org &&
        ermes__store_org_resolve(req->srv->store, &req->viewer, ub->org, &u->org_id)) {
        ermes_diag_set(d, "org", "no organisation \"%s\"", ub->org);
        return ERMES_EINVAL;
    }
    if (ermes__store_home_org(req->srv->store, &home))
        return ERMES_ESTORE;
    if (u->role == ERMES_ROLE_CONSTITUENT && (u->org_id == 0 || u->org_id == home)) {
        ermes_diag_set(d, "org", "a constituent user needs the organisation it belongs to");
        return ERMES_EINVAL;
    }
    if (u->role == ERMES_ROLE_SENSOR) {
        /* A sensor may name the organisation whose network it watches; else it is the
         * CERT's own. It signs in with tokens only, so it keeps no password. */
        if (!u->org_id)
            u->org_id = home;
        if (ub->password) {
            ermes_diag_set(d, "password", "a sensor user has no password: it uses API tokens");
            return ERMES_EINVAL;
        }
        u->password_hash[0] = '\0';
    } else if (u->role != ERMES_ROLE_CONSTITUENT) {
        /* The CERT's staff belong to the CERT. */
        if (u->org_id && u->org_id != home && ub->has_org) {
            ermes_diag_set(d, "org", "admins and analysts belong to the CERT's own organisation");
            return ERMES_EINVAL;
        }
        u->org_id = home;
    }
    if (ub->has_disabled)
        u->disabled = ub->disabled;
    if (ub->password)
        return ermes__password_hash(ub->password, u->password_hash, d);
    return 0;
}

enum MHD_Result ermes__h_user_create(ermes__req_t *req)
{
    ermes__user_body_t ub;
    ermes__user_t u;
    ermes_diag_t d;
    json_t *body;
    enum MHD_Result ret;
    char loc[64], ref[24];
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    memset(&u, 0, sizeof(u));
    ermes_diag_clear(&d);
    rc = ermes__user_body_read(body, 1, &ub, &d);
    if (!rc)
        rc = apply_user(req, &ub, &u, 1, &d);
    json_decref(body);
    if (!rc)
        rc = ermes__store_user_insert(req->srv->store, &u, &d);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    snprintf(ref, sizeof(ref), "%lld", (long long)u.id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "user", ref, NULL);
    snprintf(loc, sizeof(loc), "/api/v1/users/%lld", (long long)u.id);
    ermes__reply_header(req, "Location", loc);
    return ermes__reply_json(req, 201, ermes__user_json(req, &u));
}

/* Loads {id}; only an admin or the user itself may see it. */
static int load_user(ermes__req_t *req, ermes__user_t *u, enum MHD_Result *ret)
{
    int64_t id;

    if (!(id = ermes__param_id(req, 0)) ||
        (req->viewer.role != ERMES_ROLE_ADMIN && id != req->viewer.user_id) ||
        ermes__store_user_get(req->srv->store, id, NULL, u)) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such user");
        return 0;
    }
    return 1;
}

enum MHD_Result ermes__h_user_get(ermes__req_t *req)
{
    ermes__user_t u;
    enum MHD_Result ret;

    if (!load_user(req, &u, &ret))
        return ret;
    return ermes__reply_json(req, 200, ermes__user_json(req, &u));
}

enum MHD_Result ermes__h_user_update(ermes__req_t *req)
{
    ermes__user_body_t ub;
    ermes__user_t u;
    ermes_diag_t d;
    json_t *body, *v;
    enum MHD_Result ret;
    char ref[24];
    int rc = 0;

    if (!load_user(req, &u, &ret))
        return ret;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if (!json_is_object(body)) {
        ermes_diag_set(&d, NULL, "the body must be an object");
        rc = ERMES_EINVAL;
    } else if (req->viewer.role != ERMES_ROLE_ADMIN) {
        /* Users change their own password only, proving they know the current one. */
        const char *key;
        json_object_foreach(body, key, v)
        {
            if (strcmp(key, "password") && strcmp(key, "current_password")) {
                ermes_diag_set(&d, key, "only an administrator may change %s", key);
                rc = ERMES_EDENIED;
            }
        }
        v = json_object_get(body, "current_password");
        if (!rc &&
            (!json_is_string(v) || ermes__password_verify(u.password_hash, json_string_value(v)))) {
            ermes_diag_set(&d, "current_password", "current_password is wrong");
            rc = ERMES_EDENIED;
        }
    }
    if (!rc)
        rc = ermes__user_body_read(body, 0, &ub, &d);
    if (!rc)
        rc = apply_user(req, &ub, &u, 0, &d);
    json_decref(body);
    if (!rc)
        rc = ermes__store_user_update(req->srv->store, &u);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    /* A role change or a disabled account must take effect at once. */
    ermes__auth_cache_clear(req->srv->auth);
    snprintf(ref, sizeof(ref), "%lld", (long long)u.id);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "user", ref, NULL);
    return ermes__reply_json(req, 200, ermes__user_json(req, &u));
}
