/* /api/v1/organisations: the constituency registry over HTTP. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "http/http.h"
#include "model/org.h"

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static int list_cb(void *arg, const ermes__org_t *org)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__org_to_json(org);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = org->meta.id;
    return 0;
}

enum MHD_Result ermes__h_org_list(ermes__req_t *req)
{
    struct list_ctx c = {json_array(), 0};
    ermes__org_filter_t f;
    enum MHD_Result ret;
    int more = 0, rc;

    memset(&f, 0, sizeof(f));
    if (!c.data)
        return MHD_NO;
    if (!ermes__page(req, &f.limit, &f.after_id, &ret)) {
        json_decref(c.data);
        return ret;
    }
    f.q = ermes__query(req, "q");
    f.country = ermes__query(req, "country");
    f.sector = ermes__query(req, "sector");
    f.type = ermes__query(req, "type");
    f.parent = ermes__query(req, "parent");
    rc = ermes__store_org_each(req->srv->store, &req->viewer, &f, list_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

/* Resolves {ref} to an id the viewer may see; on failure queues the reply. */
static int resolve(ermes__req_t *req, int64_t *id, enum MHD_Result *ret)
{
    char ref[64];
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref))) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such organisation");
        return 0;
    }
    rc = ermes__store_org_resolve(req->srv->store, &req->viewer, ref, id);
    if (rc == ERMES_ENOTFOUND) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no organisation \"%s\"", ref);
        return 0;
    }
    if (rc) {
        *ret = ermes__reply_failure(req, rc, NULL);
        return 0;
    }
    return 1;
}

static enum MHD_Result reply_org(ermes__req_t *req, unsigned status, int64_t id)
{
    ermes__org_t *org = NULL;
    int rc = ermes__store_org_get(req->srv->store, &req->viewer, id, &org);

    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (status == 201) {
        char loc[96];
        snprintf(loc, sizeof(loc), "/api/v1/organisations/%lld", (long long)id);
        ermes__reply_header(req, "Location", loc);
    }
    json_t *j = ermes__org_to_json(org);
    ermes__org_free(org);
    return ermes__reply_json(req, status, j);
}

static enum MHD_Result write_org(ermes__req_t *req, int64_t id)
{
    ermes__org_t *org;
    json_t *body;
    ermes_diag_t d;
    enum MHD_Result ret;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!(org = ermes__org_new())) {
        json_decref(body);
        return MHD_NO;
    }
    ermes_diag_clear(&d);
    rc = ermes__org_from_json(org, body, id != 0, &d);
    json_decref(body);
    if (!rc)
        rc = id ? ermes__registry_org_update(req->srv->registry, &req->viewer, id, org, &d)
                : ermes__registry_org_create(req->srv->registry, &req->viewer, org, &d);
    if (!rc && !id)
        id = org->meta.id;
    ermes__org_free(org);
    if (rc == ERMES_ENOTFOUND && d.field[0])
        rc = ERMES_EINVAL; /* an unknown parent is a bad value, not a missing resource */
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    return reply_org(req, id && req->method[0] == 'P' && req->method[1] == 'O' ? 201 : 200, id);
}

enum MHD_Result ermes__h_org_create(ermes__req_t *req)
{
    return write_org(req, 0);
}

enum MHD_Result ermes__h_org_get(ermes__req_t *req)
{
    enum MHD_Result ret;
    int64_t id;

    if (!resolve(req, &id, &ret))
        return ret;
    return reply_org(req, 200, id);
}

enum MHD_Result ermes__h_org_update(ermes__req_t *req)
{
    enum MHD_Result ret;
    int64_t id;

    if (!resolve(req, &id, &ret))
        return ret;
    return write_org(req, id);
}

enum MHD_Result ermes__h_org_delete(ermes__req_t *req)
{
    enum MHD_Result ret;
    ermes_diag_t d;
    int64_t id;
    int rc;

    if (!resolve(req, &id, &ret))
        return ret;
    ermes_diag_clear(&d);
    rc = ermes__registry_org_delete(req->srv->registry, &req->viewer, id, &d);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    return ermes__reply_empty(req, 204);
}

enum MHD_Result ermes__h_org_import(ermes__req_t *req)
{
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    const char *mode = ermes__query(req, "mode"), *conflict = ermes__query(req, "on_conflict");
    ermes__import_options_t opts;
    ermes__import_report_t rep;
    json_t *errors, *body;
    unsigned status;
    int rc;

    memset(&opts, 0, sizeof(opts));
    opts.source = "request body";
    if (type && strncasecmp(type, "text/csv", 8) == 0)
        opts.format = ERMES_FORMAT_CSV;
    else if (type && strncasecmp(type, "application/json", 16) == 0)
        opts.format = ERMES_FORMAT_JSON;
    else
        return ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "import takes text/csv or application/json");
    if (mode && strcmp(mode, "partial") != 0 && strcmp(mode, "atomic") != 0)
        return ermes__reply_error(req, 400, "bad_request", "mode",
                                  "mode must be atomic or partial");
    if (conflict && strcmp(conflict, "error") != 0 && strcmp(conflict, "update") != 0)
        return ermes__reply_error(req, 400, "bad_request", "on_conflict",
                                  "on_conflict must be error or update");
    opts.partial = mode && strcmp(mode, "partial") == 0;
    opts.update = conflict && strcmp(conflict, "update") == 0;
    rc = ermes__registry_import(req->srv->registry, &req->viewer,
                                req->body.data ? req->body.data : "", req->body.len, &opts, &rep);
    if (rc && rc != ERMES_EINVAL && rc != ERMES_EPARSE) {
        ermes__import_report_cleanup(&rep);
        return ermes__reply_failure(req, rc, NULL);
    }
    errors = json_array();
    for (size_t k = 0; errors && k < rep.nerrors; k++)
        json_array_append_new(errors, json_pack("{s:I,s:s?,s:s}", "line",
                                                (json_int_t)rep.errors[k].line, "field",
                                                rep.errors[k].field[0] ? rep.errors[k].field : NULL,
                                                "reason", rep.errors[k].reason));
    body = json_pack("{s:I,s:I,s:I,s:I,s:o}", "rows", (json_int_t)rep.rows, "imported",
                     (json_int_t)rep.imported, "updated", (json_int_t)rep.updated, "failed",
                     (json_int_t)rep.failed, "errors", errors);
    status = rc == ERMES_EPARSE ? 400 : rc == ERMES_EINVAL ? 422 : 200;
    if (rc && body)
        json_object_set_new(body, "error",
                            json_pack("{s:s,s:s,s:n}", "code",
                                      rc == ERMES_EPARSE ? "bad_request" : "invalid", "message",
                                      rc == ERMES_EPARSE
                                          ? "the input could not be read; nothing was imported"
                                          : "some rows are invalid; nothing was imported",
                                      "field"));
    ermes__import_report_cleanup(&rep);
    return ermes__reply_json(req, status, body);
}

static int export_write(void *ctx, const char *p, size_t n)
{
    return ermes__strbuf_add(ctx, p, n);
}

enum MHD_Result ermes__h_org_export(ermes__req_t *req)
{
    const char *format = ermes__query(req, "format");
    ermes__strbuf_t b;
    ermes__format_t f = ERMES_FORMAT_JSON;
    size_t n;
    char *text;
    int rc;

    if (format && strcmp(format, "csv") == 0)
        f = ERMES_FORMAT_CSV;
    else if (format && strcmp(format, "json") != 0)
        return ermes__reply_error(req, 400, "bad_request", "format", "format must be json or csv");
    ermes__strbuf_init(&b, 1u << 30);
    rc = ermes__registry_export(req->srv->registry, &req->viewer, f, export_write, &b);
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return ermes__reply_failure(req, rc, NULL);
    }
    text = ermes__strbuf_take(&b, &n);
    if (!text)
        return MHD_NO;
    if (f == ERMES_FORMAT_CSV)
        ermes__reply_header(req, "Content-Disposition",
                            "attachment; filename=\"organisations.csv\"");
    return ermes__reply_owned(
        req, 200, f == ERMES_FORMAT_CSV ? "text/csv; charset=utf-8" : "application/json", text, n);
}
