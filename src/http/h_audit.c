/* /api/v1/audit: what was done, by whom, from where (admins only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/time.h"
#include "http/http.h"

struct list_ctx {
    ermes__req_t *req;
    json_t *data;
    int64_t last_id;
};

static int audit_cb(void *arg, const ermes__audit_t *a)
{
    struct list_ctx *c = arg;
    json_t *detail = a->detail ? json_loads(a->detail, 0, NULL) : NULL;

    c->last_id = a->id;
    return json_array_append_new(c->data,
                                 json_pack("{s:I,s:o,s:s,s:s,s:s,s:s?,s:o,s:s?}", "id",
                                           (json_int_t)a->id, "at", ermes__json_time(a->at),
                                           "actor", a->actor, "action", a->action, "object_type",
                                           a->object_type, "object_id", a->object_id, "detail",
                                           detail ? detail : json_null(), "remote", a->remote))
               ? ERMES_ENOMEM
               : 0;
}

enum MHD_Result ermes__h_audit_list(ermes__req_t *req)
{
    struct list_ctx c = {req, json_array(), 0};
    ermes__audit_filter_t f;
    const char *since = ermes__query(req, "since"), *until = ermes__query(req, "until");
    enum MHD_Result ret;
    int more, rc;

    memset(&f, 0, sizeof(f));
    if (!ermes__page(req, &f.limit, &f.before_id, &ret)) {
        json_decref(c.data);
        return ret;
    }
    if ((since && ermes__time_parse(since, strlen(since), &f.since, NULL)) ||
        (until && ermes__time_parse(until, strlen(until), &f.until, NULL))) {
        json_decref(c.data);
        return ermes__reply_error(req, 400, "bad_request", since ? "since" : "until",
                                  "since and until are RFC 3339 times");
    }
    f.actor = ermes__query(req, "actor");
    f.object_type = ermes__query(req, "object_type");
    f.action = ermes__query(req, "action");
    rc = ermes__store_audit_each(req->srv->store, &f, audit_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}
