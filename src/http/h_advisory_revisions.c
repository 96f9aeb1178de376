/* /api/v1/advisories/{ref}/revisions and /diff: the published revisions of an advisory, each
 * as it was published, and what changed between two of them (advisories/revisions.h). A
 * reader sees the revisions of an advisory they may read (the one TLP policy,
 * src/access/tlp_policy.c), and of those only the revisions whose own TLP lets them: a
 * document once AMBER and now CLEAR does not show its AMBER past to the public. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "access/tlp_policy.h"
#include "advisories/advisory.h"
#include "advisories/revisions.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"

#define DIFF_MAX_ITEMS 10000 /* items in one diff answer; "truncated" says when there were more */

static int may_read_revision(const ermes__viewer_t *v, const ermes__advisory_revision_t *r)
{
    return ermes__viewer_is_staff(v) ||
           ermes__tlp_policy_allows(v, ERMES_TLP_RED, r->tlp, r->owner_org_id);
}

/* Loads the advisory of path parameter 0 if the viewer may read its revisions (staff: any;
 * others: a published one their TLP allows); otherwise queues the 404 and returns 0. */
static int load_advisory(ermes__req_t *req, ermes__advisory_t *a, enum MHD_Result *ret)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];
    int rc, ok;

    if (ermes__param(req, 0, ref, sizeof(ref))) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
        return 0;
    }
    rc = ermes__store_advisory_get(req->srv->store, ref, a);
    if (rc && rc != ERMES_ENOTFOUND) {
        *ret = ermes__reply_failure(req, rc, NULL);
        return 0;
    }
    ok = !rc && (ermes__viewer_is_staff(&req->viewer) ||
                 (a->revision > 0 && ermes__tlp_policy_allows(&req->viewer, ERMES_TLP_RED,
                                                              a->published_tlp, a->owner_org_id)));
    if (!rc)
        ermes__audit_write(req->srv->store, &req->viewer, ok ? "read" : "read_denied", "advisory",
                           a->tracking_id, NULL);
    if (!ok) {
        if (!rc)
            ermes__advisory_cleanup(a);
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
        return 0;
    }
    return 1;
}

static json_t *revision_json(const ermes__advisory_revision_t *r)
{
    char at[40];

    at[ermes__time_format(r->published_at, at)] = '\0';
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "number", (json_int_t)r->number, "version",
                     r->version, "status", r->status, "summary", r->summary, "published_at", at,
                     "published_by", r->published_by, "tlp", ermes_tlp_name(r->tlp));
}

typedef struct list_ctx {
    ermes__req_t *req;
    json_t *data;
} list_ctx_t;

static int list_cb(void *ctx, const ermes__advisory_revision_t *r)
{
    list_ctx_t *c = ctx;
    json_t *j;

    if (!may_read_revision(&c->req->viewer, r))
        return 0;
    j = revision_json(r);
    return !j || json_array_append_new(c->data, j) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_advisory_revision_list(ermes__req_t *req)
{
    ermes__advisory_t a;
    list_ctx_t c = {req, NULL};
    enum MHD_Result ret;
    int rc;

    if (!load_advisory(req, &a, &ret))
        return ret;
    c.data = json_array();
    rc = c.data ? ermes__store_advisory_revision_each(req->srv->store, a.id, list_cb, &c)
                : ERMES_ENOMEM;
    if (rc) {
        json_decref(c.data);
        ermes__advisory_cleanup(&a);
        return ermes__reply_failure(req, rc, NULL);
    }
    ret = ermes__reply_json(
        req, 200,
        json_pack("{s:s,s:o,s:b}", "tracking_id", a.tracking_id, "data", c.data, "more", 0));
    ermes__advisory_cleanup(&a);
    return ret;
}

/* Revision number of text (a query value or path part) into *n; 0 when it is one. */
static int revision_number(const char *text, int64_t *n)
{
    return text ? ermes__parse_int64(text, "revision", 1, INT32_MAX, n, NULL) : ERMES_EINVAL;
}

/* Loads revision n of advisory a if the viewer may read it; 0 and the 404 queued otherwise. */
static int load_revision(ermes__req_t *req, const ermes__advisory_t *a, int64_t n,
                         ermes__advisory_revision_t *r, enum MHD_Result *ret)
{
    int rc = ermes__store_advisory_revision_get(req->srv->store, a->id, n, r);

    if (rc == ERMES_ENOTFOUND || (!rc && !may_read_revision(&req->viewer, r))) {
        if (!rc)
            ermes__advisory_revision_cleanup(r);
        *ret = ermes__reply_error(req, 404, "not_found", "revision",
                                  "advisory %s has no revision %lld", a->tracking_id, (long long)n);
        return 0;
    }
    if (rc) {
        *ret = ermes__reply_failure(req, rc, NULL);
        return 0;
    }
    return 1;
}

enum MHD_Result ermes__h_advisory_revision_get(ermes__req_t *req)
{
    ermes__advisory_t a;
    ermes__advisory_revision_t r;
    enum MHD_Result ret;
    char num[24];
    int64_t n = 0;
    json_t *j, *doc;

    if (ermes__param(req, 1, num, sizeof(num)) || revision_number(num, &n))
        return ermes__reply_error(req, 404, "not_found", "revision", "no such revision");
    if (!load_advisory(req, &a, &ret))
        return ret;
    if (!load_revision(req, &a, n, &r, &ret)) {
        ermes__advisory_cleanup(&a);
        return ret;
    }
    j = revision_json(&r);
    doc = json_loads(r.document, 0, NULL);
    if (j) {
        json_object_set_new(j, "tracking_id", json_string(a.tracking_id));
        json_object_set_new(j, "document", doc ? doc : json_null());
    } else {
        json_decref(doc);
    }
    ermes__advisory_revision_cleanup(&r);
    ermes__advisory_cleanup(&a);
    return j ? ermes__reply_json(req, 200, j) : ermes__reply_failure(req, ERMES_ENOMEM, NULL);
}

enum MHD_Result ermes__h_advisory_diff(ermes__req_t *req)
{
    const char *qfrom = ermes__query(req, "from"), *qto = ermes__query(req, "to");
    const char *format = ermes__query(req, "format");
    ermes__advisory_t a;
    ermes__advisory_revision_t ra, rb;
    enum MHD_Result ret;
    int64_t from = 0, to = 0;
    json_t *da = NULL, *db = NULL, *diff = NULL;
    int truncated = 0;

    if (qfrom && revision_number(qfrom, &from))
        return ermes__reply_error(req, 400, "bad_request", "from",
                                  "from is a revision number (1, 2, ...)");
    if (qto && revision_number(qto, &to))
        return ermes__reply_error(req, 400, "bad_request", "to",
                                  "to is a revision number (1, 2, ...)");
    if (format && strcmp(format, "json") != 0 && strcmp(format, "text") != 0)
        return ermes__reply_error(req, 400, "bad_request", "format", "format is json or text");
    if (!load_advisory(req, &a, &ret))
        return ret;
    /* Defaults: the latest revision, compared with the one before it. */
    if (!to)
        to = a.revision;
    if (!from)
        from = to > 1 ? to - 1 : 1;
    if (!to) {
        ret = ermes__reply_error(req, 404, "not_found", "to", "advisory %s is not published",
                                 a.tracking_id);
        ermes__advisory_cleanup(&a);
        return ret;
    }
    if (!load_revision(req, &a, from, &ra, &ret)) {
        ermes__advisory_cleanup(&a);
        return ret;
    }
    if (!load_revision(req, &a, to, &rb, &ret)) {
        ermes__advisory_revision_cleanup(&ra);
        ermes__advisory_cleanup(&a);
        return ret;
    }
    da = json_loads(ra.document, 0, NULL);
    db = json_loads(rb.document, 0, NULL);
    if (da && db)
        diff = ermes__json_diff(da, db, DIFF_MAX_ITEMS, &truncated);
    json_decref(da);
    json_decref(db);
    if (!diff) {
        ret = ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    } else if (format && strcmp(format, "text") == 0) {
        char *text = ermes__json_diff_text(diff);

        json_decref(diff);
        ret = text ? ermes__reply_owned(req, 200, "text/plain; charset=utf-8", text, strlen(text))
                   : ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    } else {
        ret = ermes__reply_json(req, 200,
                                json_pack("{s:s,s:{s:I,s:s},s:{s:I,s:s},s:o,s:b}", "tracking_id",
                                          a.tracking_id, "from", "number", (json_int_t)from,
                                          "version", ra.version, "to", "number", (json_int_t)to,
                                          "version", rb.version, "changes", diff, "truncated",
                                          truncated));
    }
    ermes__advisory_revision_cleanup(&ra);
    ermes__advisory_revision_cleanup(&rb);
    ermes__advisory_cleanup(&a);
    return ret;
}
