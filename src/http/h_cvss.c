/* GET /api/v1/cvss?vector=V: one CVSS 2.0, 3.0, 3.1 or 4.0 vector scored by ermes's exact
 * scorer (src/advisories/cvss.c), as `ermes cvss --json` prints it. The advisory editor asks it
 * for the scores of each vector typed, so a document carries the scores test 6.1.9 expects. */
#include <string.h>

#include "ermes/cvss.h"
#include "http/http.h"

static json_t *score_json(int tenths)
{
    return tenths < 0 ? json_null() : json_real(tenths / 10.0);
}

int ermes__cvss_json(const char *vector, size_t len, json_t **out, ermes_diag_t *d)
{
    ermes_cvss_t v;
    ermes_cvss_scores_t s;
    json_t *vec;
    int rc, v4;

    *out = NULL;
    if (len > ERMES_CVSS_MAX_VECTOR) {
        ermes_diag_set(d, "vector", "a vector is at most %d bytes", ERMES_CVSS_MAX_VECTOR);
        return ERMES_EPARSE;
    }
    if ((rc = ermes_cvss_parse(vector, len, &v, d)))
        return rc;
    if ((rc = ermes_cvss_score(&v, &s)))
        return rc;
    /* Parsed vectors are ASCII: jansson takes them as they are. */
    if (!(vec = json_stringn(vector, len)))
        return ERMES_ENOMEM;
    v4 = v.version == ERMES_CVSS_V40;
    *out = json_pack("{s:o,s:s,s:o,s:s,s:o,s:o,s:o}", "vector", vec, "version",
                     ermes_cvss_version_name(v.version), "base_score", score_json(s.base),
                     "base_severity", ermes_cvss_severity(v.version, s.base), "temporal_score",
                     score_json(v4 ? -1 : s.temporal), "threat_score",
                     score_json(v4 ? s.temporal : -1), "environmental_score",
                     score_json(s.environmental));
    return *out ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_cvss(ermes__req_t *req)
{
    const char *vector = ermes__query(req, "vector");
    ermes_diag_t d;
    json_t *j;
    int rc;

    if (!vector || !*vector)
        return ermes__reply_error(req, 400, "bad_request", "vector",
                                  "vector is a CVSS 2.0, 3.0, 3.1 or 4.0 vector");
    ermes_diag_clear(&d);
    rc = ermes__cvss_json(vector, strlen(vector), &j, &d);
    if (rc == ERMES_EPARSE) {
        ermes__diag_utf8(&d);
        return ermes__reply_error(req, 422, "invalid", "vector", "%s",
                                  d.reason[0] ? d.reason : "not a CVSS vector");
    }
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(req, 200, j);
}
