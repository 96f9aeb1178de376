/* /api/v1/misp/events: MISP event JSON in (attributes to indicators, every attribute's fate
 * reported) and out (the viewer's visible indicators as MISP events). The mapping is
 * src/sharing/misp.h's. */
#include <string.h>

#include "access/access.h"
#include "core/time.h"
#include "http/http.h"
#include "sharing/misp.h"
#include "sightings/sightings.h"

enum MHD_Result ermes__h_misp_import(ermes__req_t *req)
{
    const char *force = ermes__query(req, "force");
    ermes__misp_import_t imp;
    ermes_diag_t d;
    json_t *out;
    int forced = force && strcmp(force, "true") == 0, rc;

    if (force && !forced && strcmp(force, "false") != 0)
        return ermes__reply_error(req, 400, "bad_request", "force", "force must be true or false");
    if (!forced && ermes__server_wl_ready(req->srv))
        return ermes__reply_error(req, 503, "unavailable", NULL,
                                  "the warninglists cannot be read (see the log): nothing was "
                                  "stored");
    memset(&imp, 0, sizeof(imp));
    ermes_diag_clear(&d);
    /* force=true: the analyst has looked, and the values are wanted although a warninglist in
     * force covers them (audited as forced). */
    pthread_rwlock_rdlock(&req->srv->wl_lock);
    rc = ermes__misp_import(req->srv->store, &req->viewer, req->body.data ? req->body.data : "",
                            req->body.len, forced ? NULL : req->srv->wl.active,
                            forced ? 0 : req->srv->wl.nactive, &imp, &d);
    pthread_rwlock_unlock(&req->srv->wl_lock);
    if (rc == ERMES_EPARSE || rc == ERMES_ETOOBIG) {
        ermes__misp_import_cleanup(&imp);
        return ermes__reply_error(req, rc == ERMES_EPARSE ? 400 : 413,
                                  rc == ERMES_EPARSE ? "bad_request" : "payload_too_large", NULL,
                                  "%s", d.reason[0] ? d.reason : "not a MISP event");
    }
    if (rc) {
        ermes__misp_import_cleanup(&imp);
        return ermes__reply_failure(req, rc, NULL);
    }
    if (imp.store.added || imp.store.updated) {
        char detail[200];
        snprintf(detail, sizeof(detail),
                 "{\"format\":\"misp\",\"events\":%zu,\"added\":%zu,\"updated\":%zu,"
                 "\"skipped\":%zu,\"invalid\":%zu,\"suppressed\":%zu}",
                 imp.events, imp.store.added, imp.store.updated, imp.skipped, imp.invalid,
                 imp.suppressed);
        ermes__audit_write(req->srv->store, &req->viewer, "import", "indicator", NULL, detail);
        if (forced)
            ermes__audit_write(req->srv->store, &req->viewer, "force", "indicator", NULL,
                               "{\"warninglists\":\"not checked\"}");
        ermes__sightings_refresh(req->srv->sightings, 0);
        ermes__hunter_kick(req->srv->hunter);
    }
    out = ermes__misp_import_to_json(&imp);
    ermes__misp_import_cleanup(&imp);
    return ermes__reply_json(req, 200, out);
}

enum MHD_Result ermes__h_misp_export(ermes__req_t *req)
{
    ermes__indicator_filter_t f;
    const char *active = ermes__query(req, "active"), *type = ermes__query(req, "type");
    json_t *out = NULL;
    int rc;

    memset(&f, 0, sizeof(f));
    if (type && ermes_ind_type_parse(type, strlen(type)) == ERMES_IND_NONE)
        return ermes__reply_error(req, 400, "bad_request", "type", "unknown indicator type");
    if (active && strcmp(active, "true") != 0 && strcmp(active, "false") != 0)
        return ermes__reply_error(req, 400, "bad_request", "active",
                                  "active must be true or false");
    f.type = type ? ermes_ind_type_name(ermes_ind_type_parse(type, strlen(type))) : NULL;
    f.source = ermes__query(req, "source");
    f.tag = ermes__query(req, "tag");
    f.value = ermes__query(req, "value");
    if ((f.tag && strlen(f.tag) > 256) || (f.source && strlen(f.source) > 256))
        return ermes__reply_error(req, 400, "bad_request", f.tag ? "tag" : "source",
                                  "the filter is too long");
    if (active && strcmp(active, "true") == 0)
        f.active_at = ermes__time_now_ms();
    rc = ermes__misp_export(req->srv->store, &req->viewer, &f, &out);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(req, 200, out);
}
