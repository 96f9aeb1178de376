/* /api/v1/stix: STIX 2.1 bundles in (each object checked on its own; the good ones kept, the
 * others listed with their id and reason) and out (what the viewer may see under the TLP
 * policy, src/access/tlp_policy.h). */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "access/tlp_recipients.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "http/http.h"
#include "sharing/stix.h"
#include "sightings/sightings.h"

enum MHD_Result ermes__h_stix_import(ermes__req_t *req)
{
    ermes__stix_import_opts_t o;
    ermes__stix_import_result_t res;
    const char *tlp = ermes__query(req, "tlp"), *recipients = ermes__query(req, "recipients");
    int64_t orgs[ERMES__TLP_RECIPIENTS_MAX];
    ermes_diag_t d;
    char detail[200];
    json_t *out;
    int rc;

    memset(&o, 0, sizeof(o));
    o.viewer = &req->viewer;
    o.default_tlp = ERMES_TLP_AMBER;
    o.max_tlp = ERMES_TLP_RED;
    o.source = "local";
    if (tlp && ermes_tlp_parse(tlp, strlen(tlp), &o.default_tlp))
        return ermes__reply_error(req, 400, "bad_request", "tlp",
                                  "tlp is CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
    if (recipients) {
        ermes_diag_clear(&d);
        rc = ermes__tlp_recipients_parse_text(req->srv->store, &req->viewer, recipients,
                                              "recipients", orgs, &o.nrecipients, &d);
        if (rc == ERMES_EINVAL)
            return ermes__reply_error(req, 400, "bad_request", "recipients", "%s", d.reason);
        if (rc)
            return ermes__reply_failure(req, rc, NULL);
        o.recipients = orgs;
    }
    ermes__stix_import_result_init(&res);
    ermes_diag_clear(&d);
    /* The warninglists in force leave out the indicators they cover, as for any other import
     * (the STIX objects themselves are kept whole). */
    if (ermes__server_wl_ready(req->srv)) {
        ermes__stix_import_result_cleanup(&res);
        return ermes__reply_error(req, 503, "unavailable", NULL,
                                  "the warninglists cannot be read (see the log): nothing was "
                                  "stored");
    }
    pthread_rwlock_rdlock(&req->srv->wl_lock);
    o.wls = req->srv->wl.active;
    o.nwl = req->srv->wl.nactive;
    rc = ermes__stix_import(req->srv->store, req->body.data, req->body.len, &o, &res, &d);
    pthread_rwlock_unlock(&req->srv->wl_lock);
    if (rc == ERMES_EPARSE || rc == ERMES_ETOOBIG) {
        ermes__stix_import_result_cleanup(&res);
        return ermes__reply_error(req, rc == ERMES_ETOOBIG ? 413 : 400,
                                  rc == ERMES_ETOOBIG ? "payload_too_large" : "bad_request",
                                  d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    if (rc) {
        ermes__stix_import_result_cleanup(&res);
        return ermes__reply_failure(req, rc, NULL);
    }
    if (res.indicators) {
        ermes__sightings_refresh(req->srv->sightings, 0);
        ermes__hunter_kick(req->srv->hunter);
    }
    snprintf(detail, sizeof(detail),
             "{\"total\":%zu,\"stored\":%zu,\"failed\":%zu,\"indicators\":%zu}", res.total,
             res.stored, res.failed, res.indicators);
    ermes__audit_write(req->srv->store, &req->viewer, "import", "stix", NULL, detail);
    out = ermes__stix_import_result_json(&res);
    ermes__stix_import_result_cleanup(&res);
    return ermes__reply_json(req, 200, out);
}

enum MHD_Result ermes__h_stix_export(ermes__req_t *req)
{
    ermes__stix_export_opts_t o;
    ermes__strbuf_t buf;
    char scratch[4096];
    const char *version = ermes__query(req, "version");
    ermes_diag_t d;
    enum MHD_Result ret;
    size_t n = 0, len;
    char *text;
    int rc;

    memset(&o, 0, sizeof(o));
    o.viewer = &req->viewer;
    o.cap = ERMES_TLP_RED;
    ermes_diag_clear(&d);
    if (ermes__stix_filter_parse(
            &o.filter, scratch, sizeof(scratch), ermes__query(req, "id"), ermes__query(req, "type"),
            version, ermes__query(req, "spec_version"), ermes__query(req, "added_after"), &d))
        return ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
    o.filter.source = ermes__query(req, "source");
    {
        const char *ev = ermes__query(req, "events"), *since = ermes__query(req, "events_since");
        int64_t k = 0;
        if (ev && ermes__query_int_parse(ev, "events", 0, ERMES__STIX_EVENTS_MAX, &k, &d))
            return ermes__reply_error(req, 400, "bad_request", "events",
                                      "events is how many events to add, 0 to %d",
                                      ERMES__STIX_EVENTS_MAX);
        o.events_limit = (long)k;
        if (since && ermes__time_parse(since, strlen(since), &o.events_since, &d))
            return ermes__reply_error(req, 400, "bad_request", "events_since",
                                      "events_since must be an RFC 3339 date-time");
    }
    ermes__strbuf_init(&buf, 1u << 30);
    rc = ermes__stix_export(req->srv->store, &o, &buf, &n);
    if (rc) {
        ermes__strbuf_cleanup(&buf);
        return ermes__reply_failure(req, rc, NULL);
    }
    text = ermes__strbuf_take(&buf, &len);
    ermes__strbuf_cleanup(&buf);
    if (!text)
        return MHD_NO;
    ret = ermes__reply_owned(req, 200, "application/stix+json;version=2.1", text, len);
    return ret;
}
