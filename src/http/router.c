/* The route table: every endpoint of the API, its handler and who may call it. The OpenAPI
 * document (openapi.json) describes the same table; a test checks they agree. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

#include "core/number.h"

#define PUBLIC ERMES_ROUTE_PUBLIC
#define STAFF ERMES_ROUTE_STAFF
#define ADMIN ERMES_ROUTE_ADMIN
#define SENSOR ERMES_ROUTE_SENSOR
#define ENROL ERMES_ROUTE_ENROL

const ermes__route_t ermes__routes[] = {
    {"GET", "/healthz", ermes__h_healthz, PUBLIC | SENSOR, NULL},
    {"GET", "/metrics", ermes__h_metrics, STAFF, NULL},
    {"GET", "/api/v1/openapi.json", ermes__h_openapi, PUBLIC, NULL},
    {"GET", "/api/v1/me", ermes__h_me, SENSOR | ENROL, NULL},
    {"GET", "/api/v1/organisations", ermes__h_org_list, 0, NULL},
    {"POST", "/api/v1/organisations", ermes__h_org_create, STAFF, NULL},
    {"POST", "/api/v1/organisations/import", ermes__h_org_import, STAFF | ERMES_ROUTE_RAW, NULL},
    {"GET", "/api/v1/organisations/export", ermes__h_org_export, 0, NULL},
    {"GET", "/api/v1/organisations/{ref}", ermes__h_org_get, 0, NULL},
    {"PATCH", "/api/v1/organisations/{ref}", ermes__h_org_update, STAFF, NULL},
    {"DELETE", "/api/v1/organisations/{ref}", ermes__h_org_delete, ADMIN, NULL},
    /* Per-constituent notification preferences (h_notify_prefs.c). */
    {"GET", "/api/v1/organisations/{ref}/notification-preferences", ermes__h_notify_prefs_get, 0,
     NULL},
    /* A constituent's users set their own organisation's (the handler checks which). */
    {"PUT", "/api/v1/organisations/{ref}/notification-preferences", ermes__h_notify_prefs_put, 0,
     NULL},
    {"GET", "/api/v1/lookup", ermes__h_lookup, 0, NULL},
    {"GET", "/api/v1/users", ermes__h_user_list, ADMIN, NULL},
    {"POST", "/api/v1/users", ermes__h_user_create, ADMIN, NULL},
    {"GET", "/api/v1/users/{id}", ermes__h_user_get, 0, NULL},
    {"PATCH", "/api/v1/users/{id}", ermes__h_user_update, 0, NULL},
    {"GET", "/api/v1/tokens", ermes__h_token_list, 0, NULL},
    {"POST", "/api/v1/tokens", ermes__h_token_create, 0, NULL},
    {"DELETE", "/api/v1/tokens/{id}", ermes__h_token_revoke, 0, NULL},
    {"GET", "/api/v1/audit", ermes__h_audit_list, ADMIN, NULL},
    {"POST", "/api/v1/reports", ermes__h_report_create, STAFF, ermes__h_report_upload},
    {"GET", "/api/v1/reports", ermes__h_report_list, STAFF, NULL},
    {"GET", "/api/v1/reports/{id}", ermes__h_report_get, STAFF, NULL},
    {"GET", "/api/v1/events", ermes__h_event_list, 0, NULL},
    {"GET", "/api/v1/events/count", ermes__h_event_count, 0, NULL},
    {"GET", "/api/v1/events/{id}", ermes__h_event_get, 0, NULL},
    {"GET", "/api/v1/quarantine", ermes__h_quarantine_list, STAFF, NULL},
    {"POST", "/api/v1/quarantine/{id}/retry", ermes__h_quarantine_retry, STAFF, NULL},
    {"POST", "/api/v1/quarantine/{id}/dismiss", ermes__h_quarantine_dismiss, STAFF, NULL},
    {"GET", "/api/v1/feeds", ermes__h_feed_list, 0, NULL},
    {"GET", "/api/v1/notifications", ermes__h_notification_list, STAFF, NULL},
    {"POST", "/api/v1/notifications/run", ermes__h_notification_run, STAFF, NULL},
    {"POST", "/api/v1/notifications/review", ermes__h_notification_review, STAFF, NULL},
    {"GET", "/api/v1/notifications/{ref}", ermes__h_notification_get, STAFF, NULL},
    {"PATCH", "/api/v1/notifications/{ref}", ermes__h_notification_update, STAFF, NULL},
    {"POST", "/api/v1/notifications/{ref}/send", ermes__h_notification_send, STAFF, NULL},
    {"GET", "/api/v1/notifications/{ref}/correspondence", ermes__h_notification_correspondence,
     STAFF, NULL},
    {"POST", "/api/v1/mail", ermes__h_mail_create, STAFF | ERMES_ROUTE_RAW, NULL},
    {"GET", "/api/v1/mail", ermes__h_mail_list, STAFF, NULL},
    {"GET", "/api/v1/mail/{id}", ermes__h_mail_get, STAFF, NULL},
    {"GET", "/api/v1/mail/{id}/raw", ermes__h_mail_raw, STAFF, NULL},
    /* Incident reports: staff see all; a constituent's user types its own in and sees them. */
    {"GET", "/api/v1/incident-reports", ermes__h_incident_report_list, 0, NULL},
    {"POST", "/api/v1/incident-reports", ermes__h_incident_report_create, 0, NULL},
    {"GET", "/api/v1/incident-reports/{id}", ermes__h_incident_report_get, 0, NULL},
    {"GET", "/api/v1/incident-rules", ermes__h_incident_rule_list, STAFF, NULL},
    {"POST", "/api/v1/incident-rules", ermes__h_incident_rule_create, STAFF, NULL},
    {"PUT", "/api/v1/incident-rules/{id}", ermes__h_incident_rule_update, STAFF, NULL},
    {"DELETE", "/api/v1/incident-rules/{id}", ermes__h_incident_rule_delete, STAFF, NULL},
    {"POST", "/api/v1/notifications/{ref}/approve", ermes__h_notification_approve, STAFF, NULL},
    {"POST", "/api/v1/notifications/{ref}/hold", ermes__h_notification_hold, STAFF, NULL},
    {"POST", "/api/v1/notifications/{ref}/cancel", ermes__h_notification_cancel, STAFF, NULL},
    {"GET", "/api/v1/notification-policies", ermes__h_notify_policy_list, STAFF, NULL},
    {"POST", "/api/v1/notification-policies", ermes__h_notify_policy_create, STAFF, NULL},
    {"DELETE", "/api/v1/notification-policies/{id}", ermes__h_notify_policy_delete, STAFF, NULL},
    {"GET", "/api/v1/sla-policies", ermes__h_sla_policy_list, STAFF, NULL},
    {"PUT", "/api/v1/sla-policies/{name}", ermes__h_sla_policy_put, ADMIN, NULL},
    {"GET", "/api/v1/calendars", ermes__h_calendar_list, STAFF, NULL},
    {"PUT", "/api/v1/calendars/{ref}", ermes__h_calendar_put, ADMIN, NULL},
    {"GET", "/api/v1/notification-keys", ermes__h_notify_keys, STAFF, NULL},
    {"GET", "/api/v1/classifications", ermes__h_classifications, 0, NULL},
    {"GET", "/api/v1/settings", ermes__h_settings, ADMIN, NULL},
    {"PUT", "/api/v1/settings/{name}", ermes__h_setting_put, ADMIN, NULL},
    {"DELETE", "/api/v1/settings/{name}", ermes__h_setting_delete, ADMIN, NULL},
    {"GET", "/api/v1/indicators", ermes__h_indicator_list, 0, NULL},
    {"POST", "/api/v1/indicators", ermes__h_indicator_create, STAFF | ERMES_ROUTE_RAW, NULL},
    {"GET", "/api/v1/indicators/{id}", ermes__h_indicator_get, 0, NULL},
    {"PATCH", "/api/v1/indicators/{id}", ermes__h_indicator_update, STAFF, NULL},
    {"DELETE", "/api/v1/indicators/{id}", ermes__h_indicator_delete, STAFF, NULL},
    {"GET", "/api/v1/indicators/{id}/sightings", ermes__h_indicator_sightings, 0, NULL},
    {"POST", "/api/v1/misp/events", ermes__h_misp_import, STAFF | ERMES_ROUTE_RAW, NULL},
    {"GET", "/api/v1/misp/events", ermes__h_misp_export, 0, NULL},
    {"GET", "/api/v1/templates", ermes__h_template_list, STAFF, NULL},
    {"POST", "/api/v1/templates/preview", ermes__h_template_preview, STAFF, NULL},
    {"GET", "/api/v1/templates/{kind}/{name}/{lang}", ermes__h_template_get, STAFF, NULL},
    {"PUT", "/api/v1/templates/{kind}/{name}/{lang}", ermes__h_template_put, ADMIN, NULL},
    {"DELETE", "/api/v1/templates/{kind}/{name}/{lang}", ermes__h_template_delete, ADMIN, NULL},
    {"GET", "/api/v1/notification-templates", ermes__h_notify_template_list, STAFF, NULL},
    {"POST", "/api/v1/notification-templates/preview", ermes__h_notify_template_preview, STAFF,
     NULL},
    {"GET", "/api/v1/notification-templates/{lang}", ermes__h_notify_template_get, STAFF, NULL},
    {"PUT", "/api/v1/notification-templates/{lang}", ermes__h_notify_template_put, ADMIN, NULL},
    {"DELETE", "/api/v1/notification-templates/{lang}", ermes__h_notify_template_delete, ADMIN,
     NULL},
    {"GET", "/api/v1/advisory-templates", ermes__h_advisory_template_list, STAFF, NULL},
    {"POST", "/api/v1/advisory-templates/preview", ermes__h_advisory_template_preview, STAFF, NULL},
    {"GET", "/api/v1/advisory-templates/{format}/{lang}", ermes__h_advisory_template_get, STAFF,
     NULL},
    {"PUT", "/api/v1/advisory-templates/{format}/{lang}", ermes__h_advisory_template_put, ADMIN,
     NULL},
    {"DELETE", "/api/v1/advisory-templates/{format}/{lang}", ermes__h_advisory_template_delete,
     ADMIN, NULL},
    {"GET", "/api/v1/warninglists", ermes__h_warninglist_list, STAFF, NULL},
    {"GET", "/api/v1/warninglists/{name}", ermes__h_warninglist_get, STAFF, NULL},
    {"PATCH", "/api/v1/warninglists/{name}", ermes__h_warninglist_update, ADMIN, NULL},
    {"GET", "/api/v1/vulnerabilities", ermes__h_vuln_list, 0, NULL},
    {"GET", "/api/v1/vulnerabilities/sources", ermes__h_vuln_sources, STAFF, NULL},
    {"GET", "/api/v1/vulnerabilities/{name}", ermes__h_vuln_get, 0, NULL},
    {"GET", "/api/v1/assets", ermes__h_asset_list, 0, NULL},
    {"POST", "/api/v1/assets", ermes__h_asset_create, 0, NULL},
    {"GET", "/api/v1/assets/{id}", ermes__h_asset_get, 0, NULL},
    {"PATCH", "/api/v1/assets/{id}", ermes__h_asset_update, 0, NULL},
    {"DELETE", "/api/v1/assets/{id}", ermes__h_asset_delete, 0, NULL},
    {"PUT", "/api/v1/assets/{id}/vulnerabilities/{name}", ermes__h_asset_vuln_set, 0, NULL},
    {"GET", "/api/v1/sightings", ermes__h_sighting_list, 0, NULL},
    {"POST", "/api/v1/stix", ermes__h_stix_import, STAFF | ERMES_ROUTE_RAW, NULL},
    {"GET", "/api/v1/stix", ermes__h_stix_export, 0, NULL},
    {"GET", "/api/v1/stix/{name}/recipients", ermes__h_stix_recipients_get, 0, NULL},
    {"PATCH", "/api/v1/stix/{name}/recipients", ermes__h_stix_recipients_patch, 0, NULL},
    {"GET", "/api/v1/sharing-groups", ermes__h_sharing_group_list, 0, NULL},
    {"POST", "/api/v1/sharing-groups", ermes__h_sharing_group_create, STAFF, NULL},
    {"GET", "/api/v1/sharing-groups/{ref}", ermes__h_sharing_group_get, 0, NULL},
    {"DELETE", "/api/v1/sharing-groups/{ref}", ermes__h_sharing_group_delete, STAFF, NULL},
    /* Correlation (h_correlations.c): any signed-in user; the answer is TLP-filtered. */
    {"GET", "/api/v1/correlations", ermes__h_correlations, 0, NULL},
    /* The MISP feed of each sharing group (h_misp_feeds.c), for the group's readers. */
    {"GET", "/feeds/misp/{ref}/{ref}", ermes__h_misp_feed, 0, NULL},
    /* Federation peers (h_peers.c). */
    {"GET", "/api/v1/peers", ermes__h_peer_list, STAFF, NULL},
    {"POST", "/api/v1/peers", ermes__h_peer_create, STAFF, NULL},
    {"GET", "/api/v1/peers/{ref}", ermes__h_peer_get, STAFF, NULL},
    {"PATCH", "/api/v1/peers/{ref}", ermes__h_peer_update, STAFF, NULL},
    {"DELETE", "/api/v1/peers/{ref}", ermes__h_peer_delete, STAFF, NULL},
    {"POST", "/api/v1/peers/{ref}/sync", ermes__h_peer_sync, STAFF, NULL},
    /* TAXII 2.1 (h_taxii.c): its own media type, errors and Basic authentication. */
    {"GET", "/taxii2", ermes__h_taxii_discovery, 0, NULL},
    {"GET", "/taxii2/{ref}", ermes__h_taxii_root, 0, NULL},
    {"GET", "/taxii2/{ref}/status/{ref}", ermes__h_taxii_status, 0, NULL},
    {"GET", "/taxii2/{ref}/collections", ermes__h_taxii_collections, 0, NULL},
    {"GET", "/taxii2/{ref}/collections/{ref}", ermes__h_taxii_collection, 0, NULL},
    {"GET", "/taxii2/{ref}/collections/{ref}/manifest", ermes__h_taxii_manifest, 0, NULL},
    {"GET", "/taxii2/{ref}/collections/{ref}/objects", ermes__h_taxii_objects, 0, NULL},
    {"POST", "/taxii2/{ref}/collections/{ref}/objects", ermes__h_taxii_add, ERMES_ROUTE_RAW, NULL},
    {"GET", "/taxii2/{ref}/collections/{ref}/objects/{name}", ermes__h_taxii_object, 0, NULL},
    {"DELETE", "/taxii2/{ref}/collections/{ref}/objects/{name}", ermes__h_taxii_object_delete, 0,
     NULL},
    {"GET", "/taxii2/{ref}/collections/{ref}/objects/{name}/versions", ermes__h_taxii_versions, 0,
     NULL},
    {"POST", "/api/v1/logs", ermes__h_log_submit, STAFF | SENSOR | ERMES_ROUTE_RAW, NULL},
    {"GET", "/api/v1/collectors", ermes__h_collector_list, STAFF, NULL},
    {"POST", "/api/v1/collectors/{name}/run", ermes__h_collector_run, STAFF, NULL},
    {"GET", "/api/v1/collector-presets", ermes__h_collector_presets, STAFF, NULL},
    {"POST", "/api/v1/collectors", ermes__h_collector_create, ADMIN, NULL},
    {"PATCH", "/api/v1/collectors/{name}", ermes__h_collector_update, ADMIN, NULL},
    {"DELETE", "/api/v1/collectors/{name}", ermes__h_collector_delete, ADMIN, NULL},
    {"POST", "/api/v1/sessions", ermes__h_session_create, PUBLIC, NULL},
    {"GET", "/api/v1/sessions/current", ermes__h_session_current, ENROL, NULL},
    {"DELETE", "/api/v1/sessions/current", ermes__h_session_delete, ENROL, NULL},
    {"POST", "/api/v1/users/{id}/password", ermes__h_user_password, 0, NULL},
    {"POST", "/api/v1/users/{id}/totp", ermes__h_user_totp_begin, ENROL, NULL},
    {"POST", "/api/v1/users/{id}/totp/confirm", ermes__h_user_totp_confirm, ENROL, NULL},
    {"DELETE", "/api/v1/users/{id}/totp", ermes__h_user_totp_delete, 0, NULL},
    {"GET", "/api/v1/stats", ermes__h_stats, 0, NULL},
    {"GET", "/api/v1/retrohunts", ermes__h_retrohunt_list, STAFF, NULL},
    {"POST", "/api/v1/retrohunts", ermes__h_retrohunt_create, STAFF, NULL},
    {"GET", "/api/v1/retrohunts/{id}", ermes__h_retrohunt_get, STAFF, NULL},
    {"POST", "/api/v1/retrohunts/{id}/cancel", ermes__h_retrohunt_cancel, STAFF, NULL},
    {"POST", "/api/v1/csaf/validate", ermes__h_csaf_validate, 0, NULL},
    {"GET", "/api/v1/csaf/schema", ermes__h_csaf_schema, 0, NULL},
    /* Credentials for other CSAF providers' protected feeds (h_csaf_credentials.c). */
    {"GET", "/api/v1/csaf/credentials", ermes__h_csaf_cred_list, ADMIN, NULL},
    {"POST", "/api/v1/csaf/credentials", ermes__h_csaf_cred_set, ADMIN, NULL},
    {"DELETE", "/api/v1/csaf/credentials/{id}", ermes__h_csaf_cred_delete, ADMIN, NULL},
    {"GET", "/api/v1/cvss", ermes__h_cvss, 0, NULL},
    {"GET", "/api/v1/advisories", ermes__h_advisory_list, 0, NULL},
    {"POST", "/api/v1/advisories", ermes__h_advisory_create, STAFF, NULL},
    {"GET", "/api/v1/advisories/{ref}", ermes__h_advisory_get, 0, NULL},
    {"PATCH", "/api/v1/advisories/{ref}", ermes__h_advisory_update, STAFF, NULL},
    {"POST", "/api/v1/advisories/{ref}/submit", ermes__h_advisory_submit, STAFF, NULL},
    {"POST", "/api/v1/advisories/{ref}/reject", ermes__h_advisory_reject, STAFF, NULL},
    {"POST", "/api/v1/advisories/{ref}/approve", ermes__h_advisory_approve, STAFF, NULL},
    {"POST", "/api/v1/advisories/{ref}/publish", ermes__h_advisory_publish, STAFF, NULL},
    {"POST", "/api/v1/advisories/{ref}/links", ermes__h_advisory_link_add, STAFF, NULL},
    {"POST", "/api/v1/advisories/{ref}/unlink", ermes__h_advisory_link_remove, STAFF, NULL},
    {"GET", "/api/v1/advisories/{ref}/warnings", ermes__h_advisory_warnings, STAFF, NULL},
    {"GET", "/api/v1/advisories/{ref}/revisions", ermes__h_advisory_revision_list, 0, NULL},
    {"GET", "/api/v1/advisories/{ref}/revisions/{id}", ermes__h_advisory_revision_get, 0, NULL},
    {"GET", "/api/v1/advisories/{ref}/diff", ermes__h_advisory_diff, 0, NULL},
    {"GET", "/api/v1/advisories/{ref}/html", ermes__h_advisory_html, 0, NULL},
    {"GET", "/api/v1/advisories/{ref}/text", ermes__h_advisory_text, 0, NULL},
    {"GET", "/api/v1/advisory-feed", ermes__h_advisory_feed, 0, NULL},
    {"GET", "/public/advisories/{name}", ermes__h_advisory_public, PUBLIC, NULL},
    {"GET", "/.well-known/csaf/provider-metadata.json", ermes__h_csaf_provider_metadata, PUBLIC,
     NULL},
    {"GET", "/.well-known/csaf/index.txt", ermes__h_csaf_index, PUBLIC, NULL},
    {"GET", "/.well-known/csaf/changes.csv", ermes__h_csaf_changes, PUBLIC, NULL},
    /* The CSAF provider's TLP directories, ROLIE documents and key (h_csaf_provider.c). */
    {"GET", "/.well-known/csaf/service.json", ermes__h_csaf_service, PUBLIC, NULL},
    {"GET", "/.well-known/csaf/openpgp/{name}", ermes__h_csaf_openpgp, PUBLIC, NULL},
    {"GET", "/.well-known/csaf", ermes__h_csaf_root, PUBLIC, NULL},
    {"GET", "/.well-known/csaf/{ref}", ermes__h_csaf_dir, PUBLIC | ERMES_ROUTE_OPTAUTH, NULL},
    {"GET", "/.well-known/csaf/{ref}/{name}", ermes__h_csaf_file, PUBLIC | ERMES_ROUTE_OPTAUTH,
     NULL},
    {"GET", "/.well-known/csaf/{ref}/{name}/{file}", ermes__h_csaf_tlp_file,
     PUBLIC | ERMES_ROUTE_OPTAUTH, NULL},
    {"GET", "/.well-known/security.txt", ermes__h_security_txt, PUBLIC, NULL},
    {"GET", "/api/v1/incidents", ermes__h_incident_list, 0, NULL},
    {"POST", "/api/v1/incidents", ermes__h_incident_create, STAFF, NULL},
    {"GET", "/api/v1/incidents/metrics", ermes__h_incident_metrics, 0, NULL},
    {"GET", "/api/v1/incidents/{id}", ermes__h_incident_get, 0, NULL},
    {"PATCH", "/api/v1/incidents/{id}", ermes__h_incident_update, STAFF, NULL},
    {"POST", "/api/v1/incidents/{id}/merge", ermes__h_incident_merge, STAFF, NULL},
    {"GET", "/api/v1/incidents/{id}/timeline", ermes__h_incident_timeline, 0, NULL},
    {"POST", "/api/v1/incidents/{id}/timeline", ermes__h_incident_comment, 0, NULL},
    {"GET", "/api/v1/incidents/{id}/tasks", ermes__h_incident_tasks, STAFF, NULL},
    {"POST", "/api/v1/incidents/{id}/tasks", ermes__h_incident_task_add, STAFF, NULL},
    {"GET", "/api/v1/incidents/{id}/links", ermes__h_incident_links, STAFF, NULL},
    {"POST", "/api/v1/incidents/{id}/links", ermes__h_incident_link_add, STAFF, NULL},
    {"GET", "/api/v1/incidents/{id}/observables", ermes__h_incident_observables, STAFF, NULL},
    {"POST", "/api/v1/incidents/{id}/observables", ermes__h_incident_observable_add, STAFF, NULL},
    {"PATCH", "/api/v1/incident-tasks/{id}", ermes__h_incident_task_update, STAFF, NULL},
    {"GET", "/api/v1/incident-templates", ermes__h_incident_templates, STAFF, NULL},
    {"POST", "/api/v1/incidents/{id}/messages", ermes__h_incident_write, STAFF, NULL},
    {"GET", "/api/v1/incidents/{id}/correspondence", ermes__h_incident_correspondence, STAFF, NULL},
    {"POST", "/api/v1/incidents/{id}/attachments", ermes__h_incident_attachment_add,
     ERMES_ROUTE_RAW, NULL},
    {"GET", "/api/v1/incidents/{id}/attachments", ermes__h_incident_attachments, 0, NULL},
    {"GET", "/api/v1/incident-attachments/{id}", ermes__h_incident_attachment_get, 0, NULL},
    {"POST", "/api/v1/triage", ermes__h_triage, STAFF, NULL},
    {"PATCH", "/api/v1/events/{id}", ermes__h_event_triage, STAFF, NULL},
    {"PATCH", "/api/v1/sightings/{id}", ermes__h_sighting_triage, STAFF, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

/* Matches path against pattern segment by segment; {name} captures one non-empty segment. */
static int match(const char *pattern, const char *path, ermes__req_t *req)
{
    size_t n = 0;

    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *end = strchr(path, '/');
            size_t len = end ? (size_t)(end - path) : strlen(path);
            if (len == 0 || n >= ERMES_ROUTE_MAX_PARAMS)
                return 0;
            if (req)
                req->params[n] = path; /* ends at the next '/' or NUL; see ermes__param */
            n++;
            pattern = strchr(pattern, '}') + 1;
            path += len;
            continue;
        }
        if (*pattern != *path)
            return 0;
        pattern++;
        path++;
    }
    /* One trailing slash is forgiven. */
    if (*path == '/' && path[1] == '\0')
        path++;
    if (*pattern || *path)
        return 0;
    if (req)
        req->nparams = n;
    return 1;
}

const ermes__route_t *ermes__route_match(const char *method, const char *path, ermes__req_t *req,
                                         int *path_known, char *allow, size_t allow_cap)
{
    size_t used = 0;

    *path_known = 0;
    if (allow_cap)
        allow[0] = '\0';
    for (const ermes__route_t *r = ermes__routes; r->method; r++) {
        if (!match(r->pattern, path, NULL))
            continue;
        if (strcmp(r->method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
            match(r->pattern, path, req);
            return r;
        }
        *path_known = 1;
        if (used < allow_cap && !strstr(allow, r->method)) {
            int w = snprintf(allow + used, allow_cap - used, "%s%s", used ? ", " : "", r->method);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    return NULL;
}

int ermes__route_allows(const ermes__route_t *r, const ermes__viewer_t *v)
{
    /* A sensor's token is kept on a box outside the CERT: it must not open anything but the
     * door it needs, so it is checked against a list of its own rather than the staff rule. */
    if (v->role == ERMES_ROLE_SENSOR)
        return (r->flags & ERMES_ROUTE_SENSOR) != 0;
    if ((r->flags & ERMES_ROUTE_ADMIN) && v->role != ERMES_ROLE_ADMIN)
        return 0;
    if ((r->flags & ERMES_ROUTE_STAFF) && !ermes__viewer_is_staff(v))
        return 0;
    return 1;
}

int ermes__param(const ermes__req_t *req, size_t i, char *buf, size_t cap)
{
    const char *p = i < req->nparams ? req->params[i] : "";
    size_t n = strcspn(p, "/");

    if (n >= cap)
        return ERMES_ETOOBIG;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

int64_t ermes__param_id(const ermes__req_t *req, size_t i)
{
    const char *p = i < req->nparams ? req->params[i] : "";
    int64_t v;

    return ermes__parse_int64_n(p, strcspn(p, "/"), "id", 1, INT64_MAX, &v, NULL) ? 0 : v;
}

int ermes__route_ids_valid(const ermes__route_t *r, const ermes__req_t *req, ermes_diag_t *d)
{
    const char *p = r->pattern;
    size_t i = 0;
    int64_t v;

    /* {id} is a number; {ref} and {name} segments (notifications by id or reference,
     * organisations, collectors) are their handlers' to read.
     * The parameters are numbered in the order of the pattern's {...} segments. Only the
     * syntax is checked here: "abc" or a number past int64_t is the client's mistake (400);
     * 0 or -1 is well-formed and names nothing (404 from the handler). */
    while ((p = strchr(p, '{')) && i < req->nparams) {
        if (strncmp(p, "{id}", 4) == 0 &&
            ermes__parse_int64_n(req->params[i], strcspn(req->params[i], "/"), "id", INT64_MIN,
                                 INT64_MAX, &v, d))
            return 0;
        i++;
        p++;
    }
    return 1;
}
