/* /api/v1/assets: constituents' assets (src/store/assets.c) and, per asset and CVE, the
 * remediation status. A constituent manages its own organisation's assets only (another's
 * are not found, so their existence does not leak); staff manage every organisation's. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "http/http.h"
#include "store/vulns.h"

/* The organisation whose assets the viewer may touch: its own for a constituent, 0 (any)
 * for staff. */
static int64_t scope(const ermes__req_t *req)
{
    return ermes__viewer_is_staff(&req->viewer) ? 0 : req->viewer.org_id;
}

static json_t *asset_json(const ermes__asset_t *a)
{
    return json_pack("{s:I,s:s,s:I,s:o,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s,s:o,s:o}", "id",
                     (json_int_t)a->id, "org", a->org, "org_id", (json_int_t)a->org_id, "name",
                     ermes__json_text_or_null(a->name, 1), "cpe", a->cpe, "purl", a->purl, "vendor",
                     a->vendor, "product", a->product, "version", a->version, "source", a->source,
                     "tlp", ermes_tlp_name(a->tlp), "created_at", ermes__json_time(a->created_at),
                     "updated_at", ermes__json_time(a->updated_at));
}

typedef struct list_ctx {
    json_t *data;
    int64_t last;
} list_ctx_t;

static int list_cb(void *ctx, const ermes__asset_t *a)
{
    list_ctx_t *l = ctx;
    json_t *j = asset_json(a);

    if (!j || json_array_append_new(l->data, j))
        return ERMES_ENOMEM;
    l->last = a->id;
    return 0;
}

enum MHD_Result ermes__h_asset_list(ermes__req_t *req)
{
    list_ctx_t l = {NULL, 0};
    enum MHD_Result ret;
    const char *org_ref = ermes__query(req, "org");
    int64_t org = scope(req), cursor = 0;
    long limit = 0;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret))
        return ret;
    if (org_ref) {
        int64_t want = 0;
        rc = ermes__store_org_resolve(req->srv->store, &req->viewer, org_ref, &want);
        if (rc || (org && want != org))
            return ermes__reply_error(req, 404, "not_found", "org", "no such organisation");
        org = want;
    }
    if (!(l.data = json_array()))
        return MHD_NO;
    if ((rc = ermes__store_asset_each(req->srv->store, org, cursor, limit, list_cb, &l, &more))) {
        json_decref(l.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, l.data, more, l.last);
}

/* Reads an asset body: name, cpe, purl, vendor, product, version (strings) and, for staff
 * creating one, org; nothing else. Borrowed from body. */
static int read_body(ermes__req_t *req, const json_t *body, ermes__asset_t *a, const char **org,
                     ermes_diag_t *d)
{
    static const char *const keys[] = {"name", "cpe", "purl", "vendor", "product", "version"};
    const char **dst[6];
    const char *key;
    json_t *v;

    (void)req;
    dst[0] = &a->name, dst[1] = &a->cpe, dst[2] = &a->purl, dst[3] = &a->vendor,
    dst[4] = &a->product, dst[5] = &a->version;
    if (!json_is_object(body)) {
        ermes_diag_set(d, "", "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        int known = 0;
        if (org && !strcmp(key, "org")) {
            if (!json_is_string(v) && !json_is_integer(v)) {
                ermes_diag_set(d, "org", "org is a short name or an id");
                return ERMES_EINVAL;
            }
            *org = json_is_string(v) ? json_string_value(v) : NULL;
            continue;
        }
        for (int k = 0; k < 6; k++)
            if (!strcmp(key, keys[k])) {
                known = 1;
                if (!json_is_string(v) && !json_is_null(v)) {
                    ermes_diag_set(d, keys[k], "%s must be a string", keys[k]);
                    return ERMES_EINVAL;
                }
                *dst[k] = json_string_value(v);
                if (*dst[k] && !**dst[k])
                    *dst[k] = NULL;
            }
        if (!known) {
            ermes_diag_set(d, key, "unknown member \"%.48s\"", key);
            return ERMES_EINVAL;
        }
    }
    return ermes__asset_check(a, d);
}

static int copy_cb(void *ctx, const ermes__asset_t *a)
{
    json_t **out = ctx;
    return (*out = asset_json(a)) ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_asset_create(ermes__req_t *req)
{
    ermes__asset_t a;
    ermes_diag_t d;
    enum MHD_Result ret;
    const char *org_ref = NULL;
    json_t *body, *j = NULL, *org_v;
    char detail[64], id[24];
    int rc;

    memset(&a, 0, sizeof(a));
    ermes_diag_clear(&d);
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if ((rc = read_body(req, body, &a, &org_ref, &d))) {
        json_decref(body);
        return ermes__reply_failure(req, rc, &d);
    }
    a.org_id = req->viewer.org_id;
    org_v = json_object_get(body, "org");
    if (org_v) {
        int64_t want = 0;
        char num[24];
        if (json_is_integer(org_v)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(org_v));
            org_ref = num;
        }
        rc = ermes__store_org_resolve(req->srv->store, &req->viewer, org_ref, &want);
        if (rc || (scope(req) && want != scope(req))) {
            json_decref(body);
            return ermes__reply_error(req, 404, "not_found", "org", "no such organisation");
        }
        a.org_id = want;
    } else if (ermes__viewer_is_staff(&req->viewer)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "org", "org names the organisation");
    }
    a.source = "manual";
    rc = ermes__store_asset_add(req->srv->store, &a);
    json_decref(body);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(id, sizeof(id), "%lld", (long long)a.id);
    snprintf(detail, sizeof(detail), "{\"org_id\":%lld}", (long long)a.org_id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "asset", id, detail);
    if ((rc = ermes__store_asset_get(req->srv->store, a.id, 0, copy_cb, &j)))
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(req, 201, j);
}

static int av_cb(void *ctx, const ermes__asset_vuln_t *av)
{
    json_t *arr = ctx;
    json_t *j = json_pack("{s:s,s:s,s:s,s:b,s:o}", "cve", av->cve_id, "status", av->status, "note",
                          av->note ? av->note : "", "warned_kev", av->warned_kev, "updated_at",
                          ermes__json_time(av->updated_at));
    return j && !json_array_append_new(arr, j) ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_asset_get(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    json_t *j = NULL, *vulns;
    int rc;

    rc = ermes__store_asset_get(req->srv->store, id, scope(req), copy_cb, &j);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such asset");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (!(vulns = json_array()) ||
        (rc = ermes__store_asset_vuln_each(req->srv->store, id, av_cb, vulns))) {
        json_decref(vulns);
        json_decref(j);
        return rc ? ermes__reply_failure(req, rc, NULL) : MHD_NO;
    }
    json_object_set_new(j, "vulnerabilities", vulns);
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_asset_update(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    ermes__asset_t a;
    ermes_diag_t d;
    enum MHD_Result ret;
    json_t *body, *j = NULL;
    char idtext[24];
    int rc;

    memset(&a, 0, sizeof(a));
    ermes_diag_clear(&d);
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    /* PATCH: the members not sent keep their values. */
    rc = ermes__store_asset_get(req->srv->store, id, scope(req), copy_cb, &j);
    if (rc) {
        json_decref(body);
        return rc == ERMES_ENOTFOUND
                   ? ermes__reply_error(req, 404, "not_found", NULL, "no such asset")
                   : ermes__reply_failure(req, rc, NULL);
    }
    if (json_is_object(body)) {
        static const char *const keys[] = {"name", "cpe", "purl", "vendor", "product", "version"};
        for (int k = 0; k < 6; k++)
            if (!json_object_get(body, keys[k]) && json_object_get(j, keys[k]))
                json_object_set(body, keys[k], json_object_get(j, keys[k]));
    }
    json_decref(j);
    j = NULL;
    if ((rc = read_body(req, body, &a, NULL, &d))) {
        json_decref(body);
        return ermes__reply_failure(req, rc, &d);
    }
    rc = ermes__store_asset_update(req->srv->store, id, scope(req), &a);
    json_decref(body);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such asset");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "asset", idtext, NULL);
    if ((rc = ermes__store_asset_get(req->srv->store, id, 0, copy_cb, &j)))
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(req, 200, j);
}

enum MHD_Result ermes__h_asset_delete(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    char idtext[24];
    int rc = ermes__store_asset_delete(req->srv->store, id, scope(req));

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such asset");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "asset", idtext, NULL);
    return ermes__reply_empty(req, 204);
}

/* PUT /api/v1/assets/{id}/vulnerabilities/{cve}: {"status": ..., "note": ...}. */
enum MHD_Result ermes__h_asset_vuln_set(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    char cve[40], detail[160];
    enum MHD_Result ret;
    json_t *body, *j = NULL, *v;
    const char *status, *note = NULL, *key;
    int rc;

    if (ermes__param(req, 1, cve, sizeof(cve)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such vulnerability");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    rc = ermes__store_asset_get(req->srv->store, id, scope(req), copy_cb, &j);
    json_decref(j);
    if (rc) {
        json_decref(body);
        return rc == ERMES_ENOTFOUND
                   ? ermes__reply_error(req, 404, "not_found", NULL, "no such asset")
                   : ermes__reply_failure(req, rc, NULL);
    }
    if (!json_is_object(body)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", NULL, "the body must be a JSON object");
    }
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "status") && strcmp(key, "note")) {
            ret = ermes__reply_error(req, 422, "invalid", key, "unknown member \"%.48s\"", key);
            json_decref(body);
            return ret;
        }
    }
    status = json_string_value(json_object_get(body, "status"));
    if (!ermes__asset_status_valid(status)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "status",
                                  "status is not_affected, affected, in_progress or fixed");
    }
    if ((v = json_object_get(body, "note"))) {
        note = json_string_value(v);
        if (!note || strlen(note) > 4096 || strpbrk(note, "\r\x7f")) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "note",
                                      "note is a string of at most 4096 bytes");
        }
    }
    rc = ermes__store_asset_vuln_set(req->srv->store, id, cve, status, note, req->viewer.org_id);
    if (rc == ERMES_ENOTFOUND) {
        json_decref(body);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such vulnerability");
    }
    if (rc) {
        json_decref(body);
        return ermes__reply_failure(req, rc, NULL);
    }
    snprintf(detail, sizeof(detail), "{\"asset\":%lld,\"status\":\"%s\"}", (long long)id, status);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "asset_vulnerability", cve, detail);
    j = json_pack("{s:I,s:s,s:s,s:s}", "asset", (json_int_t)id, "cve", cve, "status", status,
                  "note", note ? note : "");
    json_decref(body);
    return ermes__reply_json(req, 200, j);
}
