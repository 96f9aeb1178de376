/* POST /api/v1/collectors, PATCH and DELETE /api/v1/collectors/{name}: collectors made and
 * changed at run time by an administrator, stored in the database (src/store/collector_defs.c)
 * and picked up by every daemon at its next scheduling round. A config file's collector is
 * read-only here (409). Checked as a config file's section is (src/intake/collect_db.c);
 * every change audited, with the names of the fields changed, never a credential. */
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/secret_box.h"
#include "http/http.h"
#include "intake/collect.h"
#include "intake/presets.h"

#define MAX_TEXT 4096
#define MAX_LIST 32
#define MAX_INTERVAL (30L * 86400)

typedef struct one_ctx {
    const char *name;
    long min_interval;
    json_t *found;
} one_ctx_t;

static int one_cb(void *ctx, const ermes__collector_conf_t *def, const ermes__collector_state_t *s,
                  const ermes__collector_def_t *row)
{
    one_ctx_t *o = ctx;

    if (!row || strcmp(row->name, o->name) != 0)
        return 0;
    o->found = ermes__collector_json(def, s, row, o->min_interval);
    return o->found ? 1 : ERMES_ENOMEM; /* 1: stop here */
}

enum MHD_Result ermes__h_collector_reply(ermes__req_t *req, unsigned status, const char *name)
{
    one_ctx_t o = {name, ermes__req_cfg(req)->collect_min_interval, NULL};
    int rc = ermes__collect_each(req->srv->cfg, req->srv->store, one_cb, &o);

    if (rc < 0) {
        json_decref(o.found);
        return ermes__reply_failure(req, rc, NULL);
    }
    if (!o.found)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such collector");
    return ermes__reply_json(req, status, o.found);
}

static int set_text(char **slot, const json_t *v)
{
    char *copy = NULL;

    if (!json_is_null(v) && !(copy = ermes__strdup(json_string_value(v))))
        return ERMES_ENOMEM;
    ermes__free(*slot);
    *slot = copy;
    return 0;
}

/* The body's fields over row. 0, or an error answered into *ret. */
static int apply(ermes__req_t *req, json_t *body, ermes__collector_def_t *row, int creating,
                 enum MHD_Result *ret)
{
    static const char *const known[] = {"name",    "preset",   "value",   "url",
                                        "feed",    "interval", "options", "headers",
                                        "content", "tlp",      "enabled", NULL};
    const char *key;
    json_t *v;

    if (!json_is_object(body)) {
        *ret = ermes__reply_error(req, 400, "bad_request", NULL, "the body must be an object");
        return -1;
    }
    json_object_foreach(body, key, v)
    {
        size_t k;
        for (k = 0; known[k] && strcmp(known[k], key) != 0; k++)
            ;
        if (!known[k] || (!creating && (!strcmp(key, "name") || !strcmp(key, "preset")))) {
            *ret = ermes__reply_error(req, 400, "bad_request", key, "%s field \"%.64s\"%s",
                                      known[k] ? "read-only" : "unknown", key,
                                      known[k] ? ": delete and create the collector" : "");
            return -1;
        }
        if (!strcmp(key, "enabled")) {
            if (!json_is_boolean(v))
                goto type;
            row->enabled = json_is_true(v);
        } else if (!strcmp(key, "interval")) {
            if (json_is_null(v) && !creating) {
                row->interval = 0;
                continue;
            }
            if (!json_is_integer(v))
                goto type;
            if (json_integer_value(v) < 1 || json_integer_value(v) > MAX_INTERVAL) {
                *ret =
                    ermes__reply_error(req, 422, "invalid", key,
                                       "interval must be between 1 and %ld seconds", MAX_INTERVAL);
                return -1;
            }
            row->interval = (long)json_integer_value(v);
        } else if (!strcmp(key, "options") || !strcmp(key, "headers")) {
            char **slot = key[0] == 'o' ? &row->options : &row->headers;
            size_t i;
            json_t *item;
            if (json_is_null(v) && !creating) {
                ermes__free(*slot);
                *slot = NULL;
                continue;
            }
            if (!json_is_array(v) || json_array_size(v) > MAX_LIST)
                goto type;
            json_array_foreach(v, i, item)
            {
                if (!json_is_string(item))
                    goto type;
                if (json_string_length(item) > MAX_TEXT)
                    goto too_long;
            }
            ermes__free(*slot);
            if (!(*slot = json_dumps(v, JSON_COMPACT))) {
                *ret = ermes__reply_failure(req, ERMES_ENOMEM, NULL);
                return -1;
            }
            /* Headers carry credentials, sealed at rest as one secret (src/store/
             * collector_defs.c), hence at most ERMES__SECRET_MAX bytes in all. */
            if (key[0] == 'h' && strlen(*slot) > ERMES__SECRET_MAX)
                goto too_long;
        } else if (!strcmp(key, "tlp") || !strcmp(key, "name")) {
            char *dst = key[0] == 't' ? row->tlp : row->name;
            size_t cap = key[0] == 't' ? sizeof(row->tlp) : sizeof(row->name);
            if (!json_is_string(v))
                goto type;
            if (json_string_length(v) >= cap)
                goto too_long;
            memcpy(dst, json_string_value(v), json_string_length(v) + 1);
        } else {
            char **slot = !strcmp(key, "preset")  ? &row->preset
                          : !strcmp(key, "value") ? &row->value
                          : !strcmp(key, "url")   ? &row->url
                          : !strcmp(key, "feed")  ? &row->feed
                                                  : &row->content;
            if (!json_is_string(v) && !(json_is_null(v) && !creating))
                goto type;
            if (json_is_string(v) && json_string_length(v) > MAX_TEXT)
                goto too_long;
            if (set_text(slot, v)) {
                *ret = ermes__reply_failure(req, ERMES_ENOMEM, NULL);
                return -1;
            }
        }
        continue;
    type:
        *ret =
            ermes__reply_error(req, 400, "bad_request", key, "%s must be %s", key,
                               !strcmp(key, "enabled")          ? "true or false"
                               : !strcmp(key, "interval")       ? "a whole number of seconds"
                               : key[0] == 'o' || key[0] == 'h' ? "an array of at most 32 strings"
                                                                : "a string");
        return -1;
    too_long:
        *ret = ermes__reply_error(req, 422, "invalid", key, "%s is too long", key);
        return -1;
    }
    return 0;
}

/* The fields of body, for the audit: what changed, never a value. */
static char *fields_of(json_t *body)
{
    json_t *names = json_array(), *o, *v;
    const char *key;
    char *text;

    json_object_foreach(body, key, v)
    {
        json_array_append_new(names, json_string(key));
    }
    o = json_pack("{s:o}", "fields", names);
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* Checks row as a config file's section would be; 0 or answered into *ret. */
static int check(ermes__req_t *req, const ermes__collector_def_t *row, enum MHD_Result *ret)
{
    ermes__config_t tmp;
    ermes_diag_t d;
    int rc;

    memset(&tmp, 0, sizeof(tmp));
    ermes_diag_clear(&d);
    rc = ermes__collector_def_build(row, &tmp, &d);
    ermes__collector_conf_cleanup(&tmp);
    if (rc == ERMES_ENOMEM) {
        *ret = ermes__reply_failure(req, rc, NULL);
        return rc;
    }
    if (rc) {
        ermes__diag_utf8(&d);
        *ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s",
                                  d.reason[0] ? d.reason : ermes_strerror(rc));
    }
    return rc;
}

static enum MHD_Result read_only(ermes__req_t *req, const char *name)
{
    return ermes__reply_error(req, 409, "conflict", "name",
                              "collector \"%s\" is a section of the config file: change it there "
                              "(the API changes the collectors stored in the database)",
                              name);
}

enum MHD_Result ermes__h_collector_create(ermes__req_t *req)
{
    ermes__collector_def_t row;
    enum MHD_Result ret;
    json_t *body;
    char *detail = NULL;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    memset(&row, 0, sizeof(row));
    row.enabled = 1;
    if (apply(req, body, &row, 1, &ret))
        goto out;
    if (row.preset && !ermes__preset_find(row.preset)) {
        ret = ermes__reply_error(req, 422, "invalid", "preset",
                                 "no preset \"%.64s\" in the feed catalogue (GET "
                                 "/api/v1/collector-presets lists them)",
                                 row.preset);
        goto out;
    }
    if (!row.name[0] && row.preset)
        snprintf(row.name, sizeof(row.name), "%s", row.preset);
    if (!row.name[0]) {
        ret = ermes__reply_error(req, 422, "invalid", "name", "name is needed (or a preset)");
        goto out;
    }
    /* A preset's TLP is that of what the feed says. */
    if (!row.tlp[0])
        snprintf(row.tlp, sizeof(row.tlp), "%s",
                 row.preset ? ermes__preset_find(row.preset)->tlp : "AMBER");
    if (ermes__collector_conf_find(req->srv->cfg, row.name)) {
        ret = ermes__reply_error(req, 409, "conflict", "name",
                                 "the config file has a collector \"%s\" (it would win): choose "
                                 "another name",
                                 row.name);
        goto out;
    }
    if (check(req, &row, &ret))
        goto out;
    snprintf(row.created_by, sizeof(row.created_by), "%s",
             req->user.name[0] ? req->user.name : "api");
    ermes__store_home_org(req->srv->store, &row.owner_org_id);
    if ((rc = ermes__store_collector_def_put(req->srv->store, &row, 0))) {
        if (rc == ERMES_EEXISTS)
            ret = ermes__reply_error(req, 409, "conflict", "name",
                                     "there is a collector \"%s\" already", row.name);
        else
            ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    detail = fields_of(body);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "collector", row.name, detail);
    ermes__collect_wake(req->srv->collect);
    ret = ermes__h_collector_reply(req, 201, row.name);
out:
    ermes__free(detail);
    ermes__store_collector_def_clear(&row);
    json_decref(body);
    return ret;
}

enum MHD_Result ermes__h_collector_update(ermes__req_t *req)
{
    ermes__collector_def_t row;
    enum MHD_Result ret;
    json_t *body = NULL;
    char name[64], *detail = NULL;
    int rc;

    memset(&row, 0, sizeof(row));
    if (ermes__param(req, 0, name, sizeof(name)))
        return ermes__reply_error(req, 404, "not_found", "name", "no such collector");
    if (ermes__collector_conf_find(req->srv->cfg, name))
        return read_only(req, name);
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if ((rc = ermes__store_collector_def_get(req->srv->store, name, &row))) {
        ret = rc == ERMES_ENOTFOUND
                  ? ermes__reply_error(req, 404, "not_found", "name", "no such collector")
                  : ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    if (apply(req, body, &row, 0, &ret) || check(req, &row, &ret))
        goto out;
    if ((rc = ermes__store_collector_def_put(req->srv->store, &row, 1))) {
        ret = rc == ERMES_ENOTFOUND
                  ? ermes__reply_error(req, 404, "not_found", "name", "no such collector")
                  : ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    detail = fields_of(body);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "collector", name, detail);
    ermes__collect_wake(req->srv->collect);
    ret = ermes__h_collector_reply(req, 200, name);
out:
    ermes__free(detail);
    ermes__store_collector_def_clear(&row);
    json_decref(body);
    return ret;
}

enum MHD_Result ermes__h_collector_delete(ermes__req_t *req)
{
    char name[64];
    int rc;

    if (ermes__param(req, 0, name, sizeof(name)))
        return ermes__reply_error(req, 404, "not_found", "name", "no such collector");
    if (ermes__collector_conf_find(req->srv->cfg, name))
        return read_only(req, name);
    if ((rc = ermes__store_collector_def_delete(req->srv->store, name)))
        return rc == ERMES_ENOTFOUND
                   ? ermes__reply_error(req, 404, "not_found", "name", "no such collector")
                   : ermes__reply_failure(req, rc, NULL);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "collector", name, NULL);
    return ermes__reply_empty(req, 204);
}
