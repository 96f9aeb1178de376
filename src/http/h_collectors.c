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

static int list_cb(void *ctx, const ermes__collector_conf_t *def, const ermes__collector_state_t *s)
{
    json_t **data = ctx;
    json_t *j = ermes__collector_to_json(def, s, 0);

    return j && json_array_append_new(*data, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_collector_list(ermes__req_t *req)
{
    json_t *data = json_array();
    int rc;

    if (!data)
        return MHD_NO;
    rc = ermes__collect_each(req->srv->cfg, req->srv->store, list_cb, &data);
    if (rc) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    /* The interval shown is the one in force, with collect_min_interval applied. */
    for (size_t k = 0; k < json_array_size(data); k++)
        json_object_set_new(
            json_array_get(data, k), "interval",
            json_integer(ermes__collect_interval(&req->srv->cfg->collectors[k],
                                                 ermes__req_cfg(req)->collect_min_interval)));
    return ermes__reply_json(req, 200, json_pack("{s:o,s:n}", "data", data, "next_cursor"));
}

enum MHD_Result ermes__h_collector_run(ermes__req_t *req)
{
    const ermes__collector_conf_t *def;
    ermes__collector_state_t s;
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    char name[64];
    int rc;

    /* No body is needed; a JSON one (say "{}") is ignored, anything else refused. */
    if (req->body.len && !(type && strncasecmp(type, "application/json", 16) == 0))
        return ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "this request takes no body (or a JSON one, which is ignored)");
    if (ermes__param(req, 0, name, sizeof(name)) ||
        !(def = ermes__collector_conf_find(req->srv->cfg, name)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such collector");
    if (!req->srv->collect)
        return ermes__reply_error(req, 503, "unavailable", NULL,
                                  "collectors are not running in this daemon");
    rc = ermes__collect_run(req->srv->collect, name, &s);
    ermes__audit_write(req->srv->store, &req->viewer, "run", "collector", name, NULL);
    if (rc == ERMES_EBUSY)
        return ermes__reply_error(req, 409, "conflict", NULL, "collector \"%s\" is running already",
                                  name);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(
        req, 200, ermes__collector_to_json(def, &s, ermes__req_cfg(req)->collect_min_interval));
}
