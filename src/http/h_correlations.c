/* GET /api/v1/correlations?value=...[&type=&threshold=&limit=]: what mentions a value
 * (src/sharing/correlation.h), filtered for the caller by the TLP policy. */
#include <string.h>

#include "core/number.h"
#include "http/http.h"
#include "sharing/correlation.h"

/* An optional whole-number parameter from 1 to max: 0 when absent, -1 when malformed. */
static long param(ermes__req_t *req, const char *name, long max)
{
    const char *s = ermes__query(req, name);
    int64_t n;

    if (!s)
        return 0;
    if (ermes__parse_int64(s, name, 1, max, &n, NULL))
        return -1;
    return (long)n;
}

enum MHD_Result ermes__h_correlations(ermes__req_t *req)
{
    ermes__corr_options_t opts = {0};
    const char *value = ermes__query(req, "value");
    json_t *body = NULL;
    ermes_diag_t d;
    int rc;

    if (!value || !*value)
        return ermes__reply_error(req, 400, "bad_request", "value",
                                  "value is required: an address, network, domain, URL, hash or "
                                  "e-mail address");
    opts.type = ermes__query(req, "type");
    if ((opts.threshold = param(req, "threshold", ERMES__CORR_THRESHOLD_MAX)) < 0)
        return ermes__reply_error(req, 400, "bad_request", "threshold",
                                  "threshold must be a whole number from 1 to %d",
                                  ERMES__CORR_THRESHOLD_MAX);
    if ((opts.limit = param(req, "limit", ERMES__CORR_LIMIT_MAX)) < 0)
        return ermes__reply_error(req, 400, "bad_request", "limit",
                                  "limit must be a whole number from 1 to %d",
                                  ERMES__CORR_LIMIT_MAX);
    ermes_diag_clear(&d);
    rc = ermes__correlate(req->srv->store, &req->viewer, value, strlen(value), &opts, &body, &d);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 400, "bad_request", "value", "%s", d.reason);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    return ermes__reply_json(req, 200, body);
}
