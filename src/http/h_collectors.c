/* /api/v1/collectors: the feeds the daemon fetches on a schedule, for the CERT's staff: their
 * state (last run, outcome, next run), and running one now. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "http/http.h"
#include "intake/collect.h"

void ermes__server_set_collect(ermes__server_t *s, struct ermes__collect *c)
{
    if (s)
        s->collect = c;
}

typedef struct list_ctx {
    json_t *data;
    long min_interval;
} list_ctx_t;

static int list_cb(void *ctx, const ermes__collector_conf_t *def, const ermes__collector_state_t *s,
                   const ermes__collector_def_t *row)
{
    list_ctx_t *l = ctx;
    /* The interval shown is the one in force, with collect_min_interval applied. */
    json_t *j = ermes__collector_json(def, s, row, l->min_interval);

    return j && json_array_append_new(l->data, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_collector_list(ermes__req_t *req)
{
    list_ctx_t l = {json_array(), ermes__req_cfg(req)->collect_min_interval};
    int rc;

    if (!l.data)
        return MHD_NO;
    rc = ermes__collect_each(req->srv->cfg, req->srv->store, list_cb, &l);
    if (rc) {
        json_decref(l.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o,s:n}", "data", l.data, "next_cursor"));
}

enum MHD_Result ermes__h_collector_run(ermes__req_t *req)
{
    const ermes__collector_conf_t *def;
    ermes__collector_state_t s;
    ermes__config_t tmp;
    ermes_diag_t d;
    int loaded = 0;
    enum MHD_Result ret;
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    char name[64];
    int rc;

    /* No body is needed; a JSON one (say "{}") is ignored, anything else refused. */
    if (req->body.len && !(type && strncasecmp(type, "application/json", 16) == 0))
        return ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "this request takes no body (or a JSON one, which is ignored)");
    if (ermes__param(req, 0, name, sizeof(name)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such collector");
    ermes_diag_clear(&d);
    if (!(def = ermes__collector_conf_find(req->srv->cfg, name))) {
        /* A stored one, as it is now. */
        if ((rc = ermes__collect_load(req->srv->store, name, &tmp, &d)) == 0) {
            ermes__collector_conf_cleanup(&tmp);
            loaded = 1;
        }
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 404, "not_found", NULL, "no such collector");
        if (rc)
            return ermes__reply_error(req, 409, "conflict", d.field[0] ? d.field : NULL,
                                      "collector \"%s\" cannot run: %s", name,
                                      d.reason[0] ? d.reason : ermes_strerror(rc));
    }
    if (!req->srv->collect) {
        ret = ermes__reply_error(req, 503, "unavailable", NULL,
                                 "collectors are not running in this daemon");
        goto out;
    }
    rc = ermes__collect_run(req->srv->collect, name, &s);
    ermes__audit_write(req->srv->store, &req->viewer, "run", "collector", name, NULL);
    if (rc == ERMES_EBUSY) {
        ret = ermes__reply_error(req, 409, "conflict", NULL, "collector \"%s\" is running already",
                                 name);
        goto out;
    }
    if (rc) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    if (loaded) {
        ret = ermes__h_collector_reply(req, 200, name);
        goto out;
    }
    ret = ermes__reply_json(
        req, 200, ermes__collector_json(def, &s, NULL, ermes__req_cfg(req)->collect_min_interval));
out:
    return ret;
}
