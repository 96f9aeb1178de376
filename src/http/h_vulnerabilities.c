/* /api/v1/vulnerabilities: the vulnerability intelligence ermes imported (CVE 5, NVD, KEV,
 * EPSS, CSAF: src/store/vulns.c). The data are public (TLP:CLEAR): every signed-in user may
 * read them, constituents too; a CVE a CSAF document of a higher TLP spoke of (`ermes csaf
 * import`) takes that TLP, and is shown only to whom the TLP policy lets read it. */
#include <stdio.h>
#include <string.h>

#include "access/tlp_policy.h"
#include "http/http.h"
#include "store/vulns.h"

static json_t *vuln_json(const ermes__vuln_row_t *v, int full)
{
    json_t *j =
        json_pack("{s:I,s:s,s:o,s:o,s:o,s:s?,s:s?,s:s?,s:s?,s:b}", "id", (json_int_t)v->id, "cve",
                  v->cve_id, "description", ermes__json_text_or_null(v->description, 1),
                  "published", ermes__json_time(v->published), "modified",
                  ermes__json_time(v->modified), "cvss_version", v->cvss_version, "cvss_vector",
                  v->cvss_vector, "cvss_severity", v->cvss_severity, "cwe", v->cwe, "kev", v->kev);
    json_error_t err;

    if (!j)
        return NULL;
    json_object_set_new(j, "cvss_score",
                        v->cvss_score >= 0 ? json_real(v->cvss_score / 10.0) : json_null());
    json_object_set_new(j, "epss",
                        v->epss >= 0 ? json_real((double)v->epss / 100000.0) : json_null());
    json_object_set_new(j, "epss_percentile",
                        v->epss_percentile >= 0 ? json_real((double)v->epss_percentile / 100000.0)
                                                : json_null());
    if (v->kev)
        json_object_set_new(j, "kev_entry",
                            json_pack("{s:o,s:o,s:s?,s:s?,s:s?,s:s?,s:s?}", "date_added",
                                      ermes__json_time(v->kev_added), "due_date",
                                      ermes__json_time(v->kev_due), "name", v->kev_name,
                                      "required_action", v->kev_action,
                                      "known_ransomware_campaign_use", v->kev_ransomware,
                                      "vendor_project", v->kev_vendor, "product", v->kev_product));
    if (full) {
        json_t *nvd = v->affected_nvd ? json_loads(v->affected_nvd, 0, &err) : NULL;
        json_t *cve5 = v->affected_cve5 ? json_loads(v->affected_cve5, 0, &err) : NULL;
        json_object_set_new(j, "nvd_configurations", nvd ? nvd : json_null());
        json_object_set_new(j, "cve5_affected", cve5 ? cve5 : json_null());
        json_t *csaf = v->affected_csaf ? json_loads(v->affected_csaf, 0, &err) : NULL;
        json_object_set_new(j, "csaf", csaf ? csaf : json_null());
    }
    json_object_set_new(j, "csaf_source",
                        v->csaf_source ? ermes__json_text_or_null(v->csaf_source, 1) : json_null());
    {
        /* Every provider's document on it, latest first (csaf_source is the first's). */
        json_t *all = v->csaf_sources ? json_loads(v->csaf_sources, 0, NULL) : NULL;
        json_object_set_new(j, "csaf_sources", json_is_array(all) ? all : json_array());
        if (all && !json_is_array(all))
            json_decref(all);
    }
    json_object_set_new(j, "tlp", json_string(ermes_tlp_name(v->tlp)));
    json_object_set_new(j, "updated_at", ermes__json_time(v->updated_at));
    return j;
}

typedef struct list_ctx {
    json_t *data;
    int64_t last;
    const ermes__viewer_t *viewer;
} list_ctx_t;

static int list_cb(void *ctx, const ermes__vuln_row_t *v)
{
    list_ctx_t *l = ctx;
    json_t *j;

    l->last = v->id;
    if (v->tlp != ERMES_TLP_CLEAR &&
        !ermes__tlp_policy_allows(l->viewer, ERMES_TLP_RED, v->tlp, v->owner_org_id))
        return 0;
    if (!(j = vuln_json(v, 0)) || json_array_append_new(l->data, j))
        return ERMES_ENOMEM;
    return 0;
}

enum MHD_Result ermes__h_vuln_list(ermes__req_t *req)
{
    ermes__vuln_filter_t f;
    list_ctx_t l = {NULL, 0, &req->viewer};
    enum MHD_Result ret;
    const char *kev = ermes__query(req, "kev");
    int64_t min_score = 0, min_epss = 0;
    int more = 0, rc;

    memset(&f, 0, sizeof(f));
    if (!ermes__page(req, &f.limit, &f.after_id, &ret) ||
        !ermes__query_int(req, "min_score", 0, 10, &min_score, &ret) ||
        !ermes__query_int(req, "min_epss_percent", 0, 100, &min_epss, &ret))
        return ret;
    if (kev && strcmp(kev, "true") && strcmp(kev, "false"))
        return ermes__reply_error(req, 400, "invalid", "kev", "kev is true or false");
    f.kev_only = kev && !strcmp(kev, "true");
    f.min_score = (int)min_score * 10;
    f.min_epss = (long)min_epss * 1000;
    f.cve_id = ermes__query(req, "cve");
    f.text = ermes__query(req, "q");
    if (f.text && strlen(f.text) > 256)
        return ermes__reply_error(req, 400, "invalid", "q", "q is at most 256 bytes");
    if (!(l.data = json_array()))
        return MHD_NO;
    if ((rc = ermes__store_vuln_each(req->srv->store, &f, list_cb, &l, &more))) {
        json_decref(l.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, l.data, more, l.last);
}

typedef struct get_ctx {
    json_t *out;
    const ermes__viewer_t *viewer;
} get_ctx_t;

static int get_cb(void *ctx, const ermes__vuln_row_t *v)
{
    get_ctx_t *g = ctx;
    if (v->tlp != ERMES_TLP_CLEAR &&
        !ermes__tlp_policy_allows(g->viewer, ERMES_TLP_RED, v->tlp, v->owner_org_id))
        return ERMES_ENOTFOUND;
    return (g->out = vuln_json(v, 1)) ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_vuln_get(ermes__req_t *req)
{
    char cve[40];
    get_ctx_t g = {NULL, &req->viewer};
    int rc;

    if (ermes__param(req, 0, cve, sizeof(cve)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such vulnerability");
    rc = ermes__store_vuln_get(req->srv->store, 0, cve, get_cb, &g);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such vulnerability");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(req, 200, g.out);
}

/* GET /api/v1/vulnerabilities/sources: the scheduled sync's record of each source
 * (src/store/vuln_sync.c), with the TLP:AMBER and RED feeds of a csaf source its last run
 * skipped (migration 75). Staff only: the rows are the CERT's own (TLP:AMBER). */
static int source_cb(void *ctx, const ermes__vuln_sync_row_t *r)
{
    json_t *skipped = r->skipped && *r->skipped ? json_loads(r->skipped, 0, NULL) : NULL;
    json_t *j;

    if (!json_is_array(skipped)) {
        json_decref(skipped);
        if (!(skipped = json_array()))
            return ERMES_ENOMEM;
    }
    j = json_pack("{s:s,s:o,s:b,s:I,s:I,s:o,s:o}", "source", r->source ? r->source : "",
                  "last_run_at", ermes__json_time(r->last_run_at), "ok", r->ok, "records",
                  (json_int_t)r->records, "changed", (json_int_t)r->changed, "error",
                  r->error && *r->error ? ermes__json_text_or_null(r->error, 1) : json_null(),
                  "skipped", skipped);
    return j && json_array_append_new(ctx, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_vuln_sources(ermes__req_t *req)
{
    json_t *data = json_array();
    int rc;

    if (!data)
        return MHD_NO;
    if ((rc = ermes__store_vuln_sync_each(req->srv->store, source_cb, data))) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}
