/* GET /api/v1/advisories/{ref}/warnings: which constituents' assets a published advisory
 * warned (src/notify/advisories.c), for the CERT's staff: per asset its organisation, the
 * revision that last warned it and that notification's reference, and the last revision whose
 * warnings were made (warnings follow a publication within seconds, made by the daemon). */
#include <stdio.h>

#include "advisories/advisory.h"
#include "core/time.h"
#include "http/http.h"
#include "store/advisory_warnings.h"

static int row_cb(void *ctx, const ermes__advisory_warning_row_t *w)
{
    char at[ERMES_TIME_STRLEN];
    json_t *j;

    ermes__time_format(w->updated_at, at);
    j = json_pack("{s:I,s:s?,s:I,s:s?,s:s}", "asset_id", (json_int_t)w->asset_id, "org", w->org,
                  "revision", (json_int_t)w->revision, "notification", w->notification,
                  "updated_at", at);
    return !j || json_array_append_new(ctx, j) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_advisory_warnings(ermes__req_t *req)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];
    ermes__advisory_t a;
    int64_t warned = 0;
    json_t *data;
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    rc = ermes__store_advisory_get(req->srv->store, ref, &a);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (!(data = json_array())) {
        ermes__advisory_cleanup(&a);
        return MHD_NO;
    }
    rc = ermes__store_advisory_warning_list(req->srv->store, a.id, &warned, row_cb, data);
    if (rc) {
        ermes__advisory_cleanup(&a);
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    {
        json_t *j =
            json_pack("{s:s,s:I,s:I,s:o}", "tracking_id", a.tracking_id, "revision",
                      (json_int_t)a.revision, "warned_revision", (json_int_t)warned, "data", data);
        ermes__advisory_cleanup(&a);
        if (!j)
            return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
        return ermes__reply_json(req, 200, j);
    }
}
