/* /api/v1/advisories: CSAF advisories (src/advisories/advisory.h). The CERT's staff upload,
 * edit, review, approve and publish them; every signed-in user reads the published ones their
 * TLP lets them see (src/access/tlp_policy.c), as published. Every change is audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "access/tlp_policy.h"
#include "advisories/advisory.h"
#include "advisories/links.h"
#include "core/time.h"
#include "http/http.h"

/* What viewer v may read of a: 2 the published document only, 1 everything, 0 nothing. */
static int may_read(const ermes__viewer_t *v, const ermes__advisory_t *a)
{
    if (ermes__viewer_is_staff(v))
        return 1;
    if (!a->revision)
        return 0;
    return ermes__tlp_policy_allows(v, ERMES_TLP_RED, a->tlp, a->owner_org_id) ? 2 : 0;
}

typedef struct list_ctx {
    ermes__req_t *req;
    json_t *data;
} list_ctx_t;

static int list_cb(void *ctx, const ermes__advisory_t *a)
{
    list_ctx_t *c = ctx;
    json_t *j;

    if (!may_read(&c->req->viewer, a))
        return 0;
    j = ermes__advisory_to_json(a, 0);
    return !j || json_array_append_new(c->data, j) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_advisory_list(ermes__req_t *req)
{
    list_ctx_t c = {req, json_array()};
    const char *status = ermes__query(req, "status");
    int rc;

    if (!c.data)
        return MHD_NO;
    if (status && strcmp(status, "draft") && strcmp(status, "review") &&
        strcmp(status, "approved") && strcmp(status, "published")) {
        json_decref(c.data);
        return ermes__reply_error(req, 400, "bad_request", "status",
                                  "status is draft, review, approved or published");
    }
    if ((rc = ermes__store_advisory_each(req->srv->store, status, list_cb, &c))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o,s:b}", "data", c.data, "more", 0));
}

static enum MHD_Result reply_advisory(ermes__req_t *req, const char *ref, unsigned status)
{
    ermes__advisory_t a;
    json_t *j;
    int rc = ermes__store_advisory_get(req->srv->store, ref, &a), how;

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    how = may_read(&req->viewer, &a);
    /* Access to an advisory is logged, as the trusted provider's are. */
    ermes__audit_write(req->srv->store, &req->viewer, how ? "read" : "read_denied", "advisory",
                       a.tracking_id, NULL);
    if (!how) {
        ermes__advisory_cleanup(&a);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    }
    j = ermes__advisory_to_json(&a, how);
    /* The incidents and indicators it shares CVE ids with or is linked to (links.h). */
    rc = j ? ermes__advisory_links_json(req->srv->store, &req->viewer, &a, j) : ERMES_ENOMEM;
    ermes__advisory_cleanup(&a);
    if (rc) {
        json_decref(j);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, status, j);
}

enum MHD_Result ermes__h_advisory_get(ermes__req_t *req)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    return reply_advisory(req, ref, 200);
}

static enum MHD_Result reply_diag(ermes__req_t *req, int rc, ermes_diag_t *d)
{
    const char *field = d->field[0] ? d->field : NULL;

    ermes__diag_utf8(d);
    switch (rc) {
    case ERMES_EPARSE:
        return ermes__reply_error(req, 400, "bad_request", field ? field : "body", "%s", d->reason);
    case ERMES_EINVAL:
        return ermes__reply_error(req, 422, "invalid", field, "%s", d->reason);
    case ERMES_ETOOBIG:
        return ermes__reply_error(req, 413, "too_large", "body", "%s", d->reason);
    case ERMES_ENOTFOUND:
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    case ERMES_ECONFLICT:
        return ermes__reply_error(req, 409, "conflict", field ? field : "status", "%s", d->reason);
    case ERMES_EDENIED:
        return ermes__reply_error(req, 403, "forbidden", field, "%s", d->reason);
    case ERMES_ECONFIG:
        return ermes__reply_error(req, 500, "config", field, "%s", d->reason);
    default:
        return ermes__reply_failure(req, rc, NULL);
    }
}

enum MHD_Result ermes__h_advisory_create(ermes__req_t *req)
{
    json_t *body;
    enum MHD_Result ret;
    ermes_diag_t d;
    int64_t id = 0;
    char ref[32];
    int rc;

    ermes__viewer_t as = req->viewer;
    const char *org = ermes__query(req, "org");

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    json_decref(body);
    /* ?org=: the organisation the advisory is for. It owns it, so that the TLP policy gives
     * an AMBER or RED advisory to that organisation's accounts (and the staff), on the API
     * and under /.well-known/csaf/; without it the author's organisation (the CERT) owns it. */
    if (org) {
        int64_t org_id = 0;
        if (ermes__store_org_resolve(req->srv->store, &req->viewer, org, &org_id) || !org_id)
            return ermes__reply_error(req, 422, "invalid", "org", "no such organisation");
        as.org_id = org_id;
    }
    ermes_diag_clear(&d);
    rc = ermes__advisory_create(req->srv->store, req->srv->cfg->advisory_id_scheme, &as,
                                req->body.data ? req->body.data : "", req->body.len, &id, &d);
    if (rc)
        return reply_diag(req, rc, &d);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "advisory", ref, NULL);
    return reply_advisory(req, ref, 201);
}

enum MHD_Result ermes__h_advisory_update(ermes__req_t *req)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];
    json_t *body;
    enum MHD_Result ret;
    ermes_diag_t d;
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    json_decref(body);
    ermes_diag_clear(&d);
    rc = ermes__advisory_update(req->srv->store, &req->viewer, ref,
                                req->body.data ? req->body.data : "", req->body.len, &d);
    if (rc)
        return reply_diag(req, rc, &d);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "advisory", ref, NULL);
    return reply_advisory(req, ref, 200);
}

static enum MHD_Result transition(ermes__req_t *req, const char *action)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];
    ermes_diag_t d;
    int rc;

    json_t *body, *comment;
    enum MHD_Result ret;
    char *detail = NULL;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    /* An optional {"comment": "..."}, kept in the audit log with the step. */
    req->empty_body_ok = 1;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    comment = json_object_get(body, "comment");
    if (!json_is_object(body) || (comment && !json_is_string(comment)) ||
        json_string_length(comment) > 4000) {
        json_decref(body);
        return ermes__reply_error(req, 400, "bad_request", "comment",
                                  "the body is an object with an optional comment (a string of "
                                  "at most 4000 bytes)");
    }
    ermes_diag_clear(&d);
    if ((rc = ermes__advisory_transition(req->srv->store, &req->viewer, ref, action, &d))) {
        json_decref(body);
        return reply_diag(req, rc, &d);
    }
    if (comment) {
        json_t *j = json_pack("{s:O}", "comment", comment);
        detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
    }
    json_decref(body);
    ermes__audit_write(req->srv->store, &req->viewer, action, "advisory", ref, detail);
    free(detail);
    return reply_advisory(req, ref, 200);
}

enum MHD_Result ermes__h_advisory_submit(ermes__req_t *req)
{
    return transition(req, "submit");
}

enum MHD_Result ermes__h_advisory_reject(ermes__req_t *req)
{
    return transition(req, "reject");
}

enum MHD_Result ermes__h_advisory_approve(ermes__req_t *req)
{
    return transition(req, "approve");
}

/* The signing key refused to sign (src/advisories/openpgp.c): a state the request cannot
 * change but an admin can (extend or replace the key), so 409, naming the key and its expiry:
 * {"error": {"code": "signing_key_expired" or "signing_key_unusable", "message", "field":
 * "csaf_openpgp_key", "fingerprint", "expires_at" (RFC 3339, null: never or unknown)}}. */
static enum MHD_Result reply_key_refused(ermes__req_t *req, ermes_diag_t *d)
{
    char home[1024], fpr[ERMES_CSAF_FPR_MAX], when[ERMES_TIME_STRLEN + 1];
    ermes__csaf_signer_t signer;
    int64_t expires = 0;
    ermes_diag_t ignored;
    int expired;
    json_t *e;

    ermes__csaf_signer_from_config(req->srv->cfg, home, sizeof(home), &signer);
    ermes_diag_clear(&ignored);
    if (ermes__csaf_key_state(&signer, fpr, &expires, &ignored)) {
        /* gpg does not have it: the fingerprint is the one configured. */
        snprintf(fpr, sizeof(fpr), "%.*s", ERMES_CSAF_FPR_MAX - 1, signer.key ? signer.key : "");
        expires = 0;
    }
    expired = expires && expires <= ermes__time_now_ms();
    if (expires)
        when[ermes__time_format(expires, when)] = '\0';
    ermes__diag_utf8(d);
    e = json_pack("{s:s,s:s,s:s}", "code", expired ? "signing_key_expired" : "signing_key_unusable",
                  "message", d->reason, "field", "csaf_openpgp_key");
    if (e) {
        json_t *f = json_string(fpr);
        json_object_set_new(e, "fingerprint", f ? f : json_null());
        json_object_set_new(e, "expires_at", expires ? json_string(when) : json_null());
    }
    return ermes__reply_json(req, 409, e ? json_pack("{s:o}", "error", e) : NULL);
}

enum MHD_Result ermes__h_advisory_publish(ermes__req_t *req)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];
    json_t *body, *at, *summary, *status, *change;
    enum MHD_Result ret;
    ermes_csaf_result_t r;
    ermes_diag_t d;
    int64_t publish_at = 0;
    int rc, scheduled = 0;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    req->empty_body_ok = 1;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    at = json_object_get(body, "publish_at");
    summary = json_object_get(body, "summary");
    status = json_object_get(body, "status");
    change = json_object_get(body, "change");
    if (!json_is_object(body) || (at && !json_is_null(at) && !json_is_string(at)) ||
        (summary && !json_is_string(summary)) || (status && !json_is_string(status)) ||
        (change && !json_is_string(change))) {
        json_decref(body);
        return ermes__reply_error(req, 400, "bad_request", NULL,
                                  "the body is an object with an optional publish_at (RFC 3339), "
                                  "summary, status (final or interim) and change (major, minor "
                                  "or patch), strings");
    }
    if (json_is_string(at) &&
        ermes__time_parse(json_string_value(at), json_string_length(at), &publish_at, &d)) {
        json_decref(body);
        return ermes__reply_error(req, 400, "bad_request", "publish_at", "%s", d.reason);
    }
    if (summary && json_string_length(summary) > 1000) {
        json_decref(body);
        return ermes__reply_error(req, 400, "bad_request", "summary",
                                  "a summary is limited to 1000 bytes");
    }
    {
        char home[1024];
        ermes__csaf_signer_t signer;
        ermes__advisory_publish_opts_t o = {json_string_value(summary), json_string_value(status),
                                            json_string_value(change)};

        ermes__csaf_signer_from_config(req->srv->cfg, home, sizeof(home), &signer);
        rc = ermes__advisory_publish_with(req->srv->store, &req->viewer, &signer, ref, publish_at,
                                          &o, &r, &scheduled, &d);
    }
    json_decref(body);
    if (rc == ERMES_EINVAL && r.failed) {
        char *text = ermes_csaf_result_json(&r, NULL);
        json_t *v = text ? json_loads(text, 0, NULL) : NULL;

        free(text);
        ermes_csaf_result_cleanup(&r);
        ermes__diag_utf8(&d);
        return ermes__reply_json(req, 422,
                                 json_pack("{s:{s:s,s:s,s:s,s:o}}", "error", "code", "invalid",
                                           "message", d.reason, "field", "document", "validation",
                                           v ? v : json_null()));
    }
    if (rc == ERMES_ECONFIG && strcmp(d.field, "csaf_openpgp_key") == 0)
        return reply_key_refused(req, &d);
    if (rc)
        return reply_diag(req, rc, &d);
    ermes__audit_write(req->srv->store, &req->viewer, scheduled ? "schedule" : "publish",
                       "advisory", ref, NULL);
    return reply_advisory(req, ref, 200);
}

/* POST /api/v1/advisories/{ref}/links and .../unlink: {"kind": "incident" or "indicator",
 * "id": its id}. */
static enum MHD_Result link_change(ermes__req_t *req, int remove)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];
    json_t *body;
    const char *kind = NULL;
    int64_t object_id = 0;
    enum MHD_Result ret;
    ermes_diag_t d;
    int rc, changed = 0;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if (ermes__advisory_link_body_read(body, &kind, &object_id, &d)) {
        json_decref(body);
        return reply_diag(req, ERMES_EINVAL, &d);
    }
    ermes_diag_clear(&d);
    rc = ermes__advisory_link(req->srv->store, &req->viewer, ref, kind, object_id, remove, &changed,
                              &d);
    json_decref(body);
    if (rc == ERMES_ENOTFOUND && d.reason[0]) {
        ermes__diag_utf8(&d);
        return ermes__reply_error(req, 404, "not_found", "id", "%s", d.reason);
    }
    if (rc)
        return reply_diag(req, rc, &d);
    return reply_advisory(req, ref, !remove && changed ? 201 : 200);
}

enum MHD_Result ermes__h_advisory_link_add(ermes__req_t *req)
{
    return link_change(req, 0);
}

enum MHD_Result ermes__h_advisory_link_remove(ermes__req_t *req)
{
    return link_change(req, 1);
}
