/* The settings (src/core/config.c's table) for administrators.
 * GET /api/v1/settings: each with its value (never a secret's: only whether it is set),
 * default, meaning, where the value comes from (default, file, database, env, flag) and
 * whether it changes while ermes runs ("applies": "live") or at a restart (with the reason).
 * PUT /api/v1/settings/NAME {"value": ...}: a live setting checked with the table's own parser
 * and limits, stored in the database (src/store/settings.c) and audited; every daemon on the
 * database uses it within a few seconds (src/core/config_live.c).
 * DELETE /api/v1/settings/NAME: back to the config file's, the environment's or the default. */
#include <string.h>

#include "access/access.h"
#include "core/config.h"
#include "core/config_live.h"
#include "http/http.h"
#include "notify/notify.h"

typedef struct list_ctx {
    json_t *data;
    json_t *stored; /* name -> {updated_by, updated_at} of the database's rows */
} list_ctx_t;

static json_t *setting_json(const ermes__setting_view_t *s, json_t *stored)
{
    json_t *row = stored ? json_object_get(stored, s->name) : NULL;
    json_t *j =
        json_pack("{s:s,s:s?,s:s?,s:s,s:b,s:b,s:s,s:s,s:s?}", "name", s->name, "value", s->value,
                  "default", s->def, "help", s->help, "secret", s->secret, "set", s->set, "applies",
                  s->live ? "live" : "restart", "source", s->source, "restart_reason", s->why);

    if (j && s->effective)
        json_object_set_new(j, "effective", json_string(s->effective));
    if (j && row && strcmp(s->source, "database") == 0)
        json_object_update(j, row);
    return j;
}

static int setting_cb(void *ctx, const ermes__setting_view_t *s)
{
    list_ctx_t *c = ctx;
    json_t *j = setting_json(s, c->stored);

    return j && json_array_append_new(c->data, j) == 0 ? 0 : ERMES_ENOMEM;
}

static int stored_cb(void *ctx, const char *name, const char *value, const char *by, int64_t at)
{
    (void)value;
    return json_object_set_new(
               ctx, name, json_pack("{s:s,s:I}", "updated_by", by, "updated_at", (json_int_t)at))
               ? ERMES_ENOMEM
               : 0;
}

enum MHD_Result ermes__h_settings(ermes__req_t *req)
{
    list_ctx_t c = {json_array(), json_object()};
    json_t *live;
    int rc;

    if (!c.data || !c.stored)
        goto fail;
    if ((rc = ermes__store_setting_each(req->srv->store, stored_cb, c.stored))) {
        json_decref(c.data);
        json_decref(c.stored);
        return ermes__reply_failure(req, rc, NULL);
    }
    if (ermes__config_each(ermes__req_cfg(req), setting_cb, &c))
        goto fail;
    json_decref(c.stored);
    live = json_pack(
        "[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "what", "notification policies (review before sending)",
        "path", "/api/v1/notification-policies", "what", "warninglist switches", "path",
        "/api/v1/warninglists", "what", "templates (notifications, advisories' pages and feed)",
        "path", "/api/v1/templates");
    return ermes__reply_json(req, 200, json_pack("{s:o,s:o?}", "data", c.data, "live", live));
fail:
    json_decref(c.data);
    json_decref(c.stored);
    return MHD_NO;
}

typedef struct find_ctx {
    const char *name;
    json_t *found;
} find_ctx_t;

static int find_cb(void *ctx, const ermes__setting_view_t *s)
{
    find_ctx_t *f = ctx;

    if (strcmp(s->name, f->name) != 0)
        return 0;
    f->found = setting_json(s, NULL);
    return 1;
}

/* The setting name as in force now (a fresh snapshot: the request's own predates the change). */
static enum MHD_Result reply_setting(ermes__req_t *req, const char *name)
{
    find_ctx_t f = {name, NULL};

    if (req->live_cfg) {
        ermes__live_release(req->live_cfg);
        req->live_cfg = NULL;
    }
    ermes__config_each(ermes__req_cfg(req), find_cb, &f);
    if (!f.found)
        return MHD_NO;
    return ermes__reply_json(req, 200, f.found);
}

/* Checks that name may be changed here: a live setting whose value does not come from this
 * daemon's environment or flags (those win over the database). */
static enum MHD_Result changeable(ermes__req_t *req, const char *name, int *secret, int *ok)
{
    char buf[8];
    int live = 0, src = 0;

    *ok = 0;
    if (ermes__config_setting_info(name, &live, secret))
        return ermes__reply_error(req, 404, "not_found", "name", "no setting is called that");
    if (!live)
        return ermes__reply_error(req, 409, "needs_restart", "name",
                                  "%s needs a restart: set it in the config file, the environment "
                                  "or a flag",
                                  name);
    ermes__config_get(ermes__req_cfg(req), name, buf, sizeof(buf), &src);
    if (src == ERMES__SRC_ENV || src == ERMES__SRC_FLAG)
        return ermes__reply_error(req, 409, "overridden", "name",
                                  "%s is set by this daemon's %s, which wins over the database",
                                  name, src == ERMES__SRC_ENV ? "environment" : "flags");
    *ok = 1;
    return MHD_YES;
}

/* A value as text: strings as they are, numbers and booleans written out. */
static int value_text(json_t *v, char *buf, size_t cap, const char **out)
{
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return strlen(*out) < 4096 ? 0 : -1;
    }
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        *out = buf;
        return 0;
    }
    if (json_is_boolean(v)) {
        snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
        *out = buf;
        return 0;
    }
    return -1;
}

enum MHD_Result ermes__h_setting_put(ermes__req_t *req)
{
    char name[64], buf[32], old[4096];
    const char *value;
    enum MHD_Result ret;
    ermes_diag_t d;
    int secret = 0, ok, rc;
    int64_t home = 0;
    json_t *body;

    if (ermes__param(req, 0, name, sizeof(name)))
        return ermes__reply_error(req, 404, "not_found", "name", "no setting is called that");
    ret = changeable(req, name, &secret, &ok);
    if (!ok)
        return ret;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!json_is_object(body) || !json_object_get(body, "value") ||
        value_text(json_object_get(body, "value"), buf, sizeof(buf), &value)) {
        ret = ermes__reply_error(req, 422, "invalid", "value",
                                 "value must be a string (at most 4095 bytes), a number or a "
                                 "boolean");
        goto out;
    }
    ermes_diag_clear(&d);
    if ((rc = ermes__notify_check_setting(ermes__req_cfg(req), name, value, &d))) {
        if (rc == ERMES_ENOMEM) {
            ret = ermes__reply_failure(req, rc, NULL);
            goto out;
        }
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : name, "%s", d.reason);
        goto out;
    }
    ermes__config_get(ermes__req_cfg(req), name, old, sizeof(old), NULL);
    ermes__store_home_org(req->srv->store, &home);
    if ((rc = ermes__store_setting_put(req->srv->store, name, value,
                                       req->user.name[0] ? req->user.name : "api", home, NULL))) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    ermes__audit_setting(req->srv->store, &req->viewer, name, secret, old, value, 0);
    /* In force in this daemon at once; the others read the table within a few seconds. */
    ermes__store_settings_apply(req->srv->store, NULL, NULL);
    ret = reply_setting(req, name);
out:
    json_decref(body);
    return ret;
}

enum MHD_Result ermes__h_setting_delete(ermes__req_t *req)
{
    char name[64], old[4096], now[4096];
    int secret = 0, ok, rc;
    enum MHD_Result ret;

    if (ermes__param(req, 0, name, sizeof(name)))
        return ermes__reply_error(req, 404, "not_found", "name", "no setting is called that");
    ret = changeable(req, name, &secret, &ok);
    if (!ok)
        return ret;
    ermes__config_get(ermes__req_cfg(req), name, old, sizeof(old), NULL);
    if ((rc = ermes__store_setting_delete(req->srv->store, name))) {
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 404, "not_found", "name",
                                      "%s has no value stored in the database", name);
        return ermes__reply_failure(req, rc, NULL);
    }
    ermes__store_settings_apply(req->srv->store, NULL, NULL);
    if (req->live_cfg) {
        ermes__live_release(req->live_cfg);
        req->live_cfg = NULL;
    }
    ermes__config_get(ermes__req_cfg(req), name, now, sizeof(now), NULL);
    ermes__audit_setting(req->srv->store, &req->viewer, name, secret, old, now, 1);
    return reply_setting(req, name);
}
