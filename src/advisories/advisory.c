/* The advisories' workflow (advisory.h): drafts from uploaded CSAF JSON, review by a second
 * person, approval, publication (now or scheduled) of a document that validates, revisions.
 * ermes owns document.tracking; whatever the upload says there is replaced. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "advisories/advisory.h"
#include "advisories/revisions.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/number.h"
#include "core/time.h"

void ermes__advisory_cleanup(ermes__advisory_t *a)
{
    ermes__free(a->document);
    ermes__free(a->published_document);
    ermes__free(a->published_signature);
    a->document = a->published_document = a->published_signature = NULL;
}

int ermes__advisory_expand_id(const char *scheme, int64_t now_ms, int64_t n, char *out, size_t cap)
{
    int64_t y;
    unsigned m, d;
    size_t o = 0;
    int w;

    ermes__civil_from_days(now_ms / 86400000, &y, &m, &d);
    for (const char *p = scheme; *p; p++) {
        char buf[32];
        int len;

        if (*p != '%') {
            if (o + 1 >= cap)
                return ERMES_EINVAL;
            out[o++] = *p;
            continue;
        }
        p++;
        w = 0;
        if (*p == '0') {
            p++;
            if (*p < '1' || *p > '9')
                return ERMES_EINVAL;
            w = *p++ - '0';
        }
        if (*p == 'Y' && !w)
            len = snprintf(buf, sizeof(buf), "%04lld", (long long)y);
        else if (*p == 'm' && !w)
            len = snprintf(buf, sizeof(buf), "%02u", m);
        else if (*p == 'n')
            len = snprintf(buf, sizeof(buf), "%0*lld", w, (long long)n);
        else if (*p == '%' && !w)
            len = snprintf(buf, sizeof(buf), "%%");
        else
            return ERMES_EINVAL;
        if (len < 0 || o + (size_t)len >= cap)
            return ERMES_EINVAL;
        memcpy(out + o, buf, (size_t)len);
        o += (size_t)len;
    }
    if (!o)
        return ERMES_EINVAL;
    out[o] = '\0';
    return 0;
}

/* Parses an upload: a JSON object with document.title and document.category at least (the
 * rest is the validator's business at publication). */
static int parse_upload(const char *json, size_t len, json_t **out, ermes_diag_t *d)
{
    json_error_t err;
    json_t *root, *doc;

    *out = NULL;
    if (len > ERMES_CSAF_MAX_DOCUMENT) {
        ermes_diag_set(d, "body", "a CSAF document is limited to %u bytes",
                       ERMES_CSAF_MAX_DOCUMENT);
        return ERMES_ETOOBIG;
    }
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        ermes_diag_set(d, "body", "not JSON: %s (line %d, column %d)", err.text, err.line,
                       err.column);
        return ERMES_EPARSE;
    }
    doc = json_object_get(root, "document");
    if (!json_is_object(root) || !json_is_object(doc)) {
        json_decref(root);
        ermes_diag_set(d, "document", "a CSAF document has a \"document\" object");
        return ERMES_EINVAL;
    }
    if (!json_is_string(json_object_get(doc, "title")) ||
        !json_string_length(json_object_get(doc, "title"))) {
        json_decref(root);
        ermes_diag_set(d, "document.title", "a CSAF document has a title");
        return ERMES_EINVAL;
    }
    if (!json_is_string(json_object_get(doc, "category"))) {
        json_decref(root);
        ermes_diag_set(d, "document.category", "a CSAF document has a category");
        return ERMES_EINVAL;
    }
    *out = root;
    return 0;
}

/* The TLP the document's distribution names (TLP 1.0 labels in CSAF 2.0); AMBER when none:
 * a document that says nothing is not public. */
static ermes_tlp_t doc_tlp(json_t *root)
{
    json_t *label = json_object_get(
        json_object_get(json_object_get(json_object_get(root, "document"), "distribution"), "tlp"),
        "label");
    ermes_tlp_t t;
    const char *s = json_string_value(label);

    if (!s || ermes_tlp_parse(s, strlen(s), &t) != 0)
        return ERMES_TLP_AMBER;
    return t;
}

static void date_text(int64_t ms, char *buf)
{
    /* Whole seconds: the dates of one publication compare equal however they are read. */
    ms -= ms % 1000;
    buf[ermes__time_format(ms, buf)] = '\0';
}

/* A version X.Y.Z as ermes writes them (no pre-release, no build part); 0 when it is not one. */
static int parse_version(const char *text, int64_t v[3])
{
    const char *p = text;

    for (int i = 0; i < 3; i++) {
        size_t n = strspn(p, "0123456789");

        if (!n || ermes__parse_int64_n(p, n, "version", 0, INT32_MAX, &v[i], NULL))
            return 0;
        p += n;
        if (i < 2 && *p++ != '.')
            return 0;
    }
    return *p == '\0';
}

/* Sets the working copy's tracking: status draft, the version and the history so far. For a
 * first draft, version 0.1.0 with one history entry; for the draft of a new revision of a
 * published document at version X.y.z, its published history and version X+1.0.0-draft. */
static int set_draft_tracking(json_t *root, const ermes__advisory_t *a, int64_t now)
{
    json_t *doc = json_object_get(root, "document");
    json_t *tr = json_object(), *old, *hist = NULL, *gen;
    char date[40], ver[48], initial[40];

    if (!tr)
        return ERMES_ENOMEM;
    old = json_object_get(doc, "tracking");
    gen = json_object_get(old, "generator");
    if (gen)
        json_object_set(tr, "generator", gen);
    date_text(now, date);
    date_text(a->initial_release_at ? a->initial_release_at
              : a->created_at       ? a->created_at
                                    : now,
              initial);
    if (a->published_document) {
        json_t *pub = json_loads(a->published_document, 0, NULL);
        json_t *ptr = json_object_get(json_object_get(pub, "document"), "tracking");
        int64_t v[3];

        hist = json_deep_copy(json_object_get(ptr, "revision_history"));
        /* The next major version as a pre-release: the most the publication can become (it
         * may turn out minor or patch, CSAF 2.0 section 3.1.11.5). */
        if (!parse_version(json_string_value(json_object_get(ptr, "version")), v))
            v[0] = a->revision;
        json_decref(pub);
        snprintf(ver, sizeof(ver), "%lld.0.0-draft", (long long)v[0] + 1);
    } else {
        snprintf(ver, sizeof(ver), "0.1.0");
        hist = json_pack("[{s:s,s:s,s:s}]", "date", date, "number", ver, "summary", "Draft.");
    }
    if (!hist) {
        json_decref(tr);
        return ERMES_ENOMEM;
    }
    json_object_set_new(tr, "current_release_date", json_string(date));
    json_object_set_new(tr, "id", json_string(a->tracking_id));
    json_object_set_new(tr, "initial_release_date", json_string(initial));
    json_object_set_new(tr, "revision_history", hist);
    json_object_set_new(tr, "status", json_string("draft"));
    json_object_set_new(tr, "version", json_string(ver));
    json_object_set_new(doc, "tracking", tr);
    return 0;
}

static int dump(json_t *root, char **out)
{
    *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    return *out ? 0 : ERMES_ENOMEM;
}

static void set_title(ermes__advisory_t *a, json_t *root)
{
    snprintf(a->title, sizeof(a->title), "%s",
             json_string_value(json_object_get(json_object_get(root, "document"), "title")));
}

int ermes__advisory_create(ermes__store_t *st, const char *scheme, const ermes__viewer_t *v,
                           const char *json, size_t len, int64_t *id, ermes_diag_t *d)
{
    ermes__advisory_t a;
    json_t *root;
    int64_t now = ermes__time_now_ms(), y, first, n = 0;
    unsigned m, dd;
    int rc;

    *id = 0;
    if ((rc = parse_upload(json, len, &root, d)))
        return rc;
    memset(&a, 0, sizeof(a));
    set_title(&a, root);
    snprintf(a.status, sizeof(a.status), "draft");
    a.author_id = v->user_id;
    snprintf(a.author, sizeof(a.author), "%s", v->user_name ? v->user_name : "admin");
    a.tlp = doc_tlp(root);
    a.owner_org_id = v->org_id;
    a.created_at = now;
    /* The year's sequence number: one more than the advisories created this year; a number
     * taken meanwhile (two at once) moves on to the next. */
    ermes__civil_from_days(now / 86400000, &y, &m, &dd);
    first = ermes__days_from_civil(y, 1, 1) * 86400000;
    if ((rc = ermes__store_advisory_count_since(st, first, &n)))
        goto out;
    for (int tries = 0; tries < 20; tries++) {
        if ((rc = ermes__advisory_expand_id(scheme ? scheme : "ERMES-%Y-%04n", now, n + 1 + tries,
                                            a.tracking_id, sizeof(a.tracking_id)))) {
            ermes_diag_set(d, "advisory_id_scheme", "the tracking id scheme \"%s\" is not valid",
                           scheme);
            rc = ERMES_ECONFIG;
            goto out;
        }
        ermes__free(a.document);
        a.document = NULL;
        if ((rc = set_draft_tracking(root, &a, now)) || (rc = dump(root, &a.document)))
            goto out;
        rc = ermes__store_advisory_insert(st, &a);
        if (rc != ERMES_EEXISTS)
            break;
    }
    if (!rc)
        *id = a.id;
out:
    ermes__advisory_cleanup(&a);
    json_decref(root);
    return rc;
}

static int load(ermes__store_t *st, const char *ref, ermes__advisory_t *a, ermes_diag_t *d)
{
    int rc = ermes__store_advisory_get(st, ref, a);

    if (rc == ERMES_ENOTFOUND)
        ermes_diag_set(d, NULL, "no advisory \"%s\"", ref);
    return rc;
}

int ermes__advisory_update(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                           const char *json, size_t len, ermes_diag_t *d)
{
    ermes__advisory_t a;
    json_t *root = NULL;
    int64_t was;
    int rc;

    (void)v;
    if ((rc = load(st, ref, &a, d)))
        return rc;
    if (strcmp(a.status, "draft") != 0 && strcmp(a.status, "published") != 0) {
        ermes_diag_set(d, "status",
                       "advisory %s is in %s: only a draft (or a published advisory, which "
                       "starts a revision) can be edited",
                       a.tracking_id, a.status);
        rc = ERMES_ECONFLICT;
        goto out;
    }
    if ((rc = parse_upload(json, len, &root, d)))
        goto out;
    was = a.updated_at;
    set_title(&a, root);
    a.tlp = doc_tlp(root);
    snprintf(a.status, sizeof(a.status), "draft");
    a.reviewer[0] = '\0';
    a.publish_at = 0;
    ermes__free(a.document);
    a.document = NULL;
    if ((rc = set_draft_tracking(root, &a, ermes__time_now_ms())) || (rc = dump(root, &a.document)))
        goto out;
    rc = ermes__store_advisory_update(st, &a, was);
    if (rc == ERMES_ECONFLICT)
        ermes_diag_set(d, NULL, "advisory %s changed meanwhile: read it again", a.tracking_id);
out:
    json_decref(root);
    ermes__advisory_cleanup(&a);
    return rc;
}

int ermes__advisory_transition(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                               const char *action, ermes_diag_t *d)
{
    ermes__advisory_t a;
    const char *from, *to;
    const char *who = v->user_name ? v->user_name : "admin";
    int rc;

    if (strcmp(action, "submit") == 0)
        from = "draft", to = "review";
    else if (strcmp(action, "reject") == 0)
        from = "review", to = "draft";
    else if (strcmp(action, "approve") == 0)
        from = "review", to = "approved";
    else
        return ERMES_EINVAL;
    if ((rc = load(st, ref, &a, d)))
        return rc;
    /* An approved advisory that cannot be published (it does not validate) goes back too. */
    if (strcmp(action, "reject") == 0 && strcmp(a.status, "approved") == 0)
        from = "approved";
    if (strcmp(a.status, from) != 0) {
        ermes_diag_set(d, "status", "advisory %s is in %s, not %s", a.tracking_id, a.status, from);
        rc = ERMES_ECONFLICT;
        goto out;
    }
    /* The four-eyes rule: whoever wrote it does not approve it. */
    if (strcmp(action, "approve") == 0 &&
        (strcmp(who, a.author) == 0 || (v->user_id && v->user_id == a.author_id))) {
        ermes_diag_set(d, "reviewer", "%s wrote advisory %s: another person must approve it", who,
                       a.tracking_id);
        rc = ERMES_EDENIED;
        goto out;
    }
    snprintf(a.status, sizeof(a.status), "%s", to);
    if (strcmp(action, "approve") == 0)
        snprintf(a.reviewer, sizeof(a.reviewer), "%s", who);
    else
        a.reviewer[0] = '\0';
    rc = ermes__store_advisory_update(st, &a, a.updated_at);
out:
    ermes__advisory_cleanup(&a);
    return rc;
}

/* The kind of change from the published document to the new one, as CSAF 2.0 section
 * 3.1.11.5 (semantic versioning) describes it for a document: major for a change to the
 * substance (the products, the vulnerabilities and what they say of the products, the
 * category or the distribution), minor for information added or taken away elsewhere (notes,
 * references, acknowledgments), patch for values corrected in place (a spelling mistake).
 * document.tracking is ermes's and not compared. */
static const char *change_kind(const char *old_text, json_t *new_root)
{
    json_t *old = json_loads(old_text, 0, NULL), *diff = NULL, *item;
    const char *kind = "patch";
    int truncated = 0;
    size_t i;

    if (!old)
        return "major";
    json_object_del(json_object_get(old, "document"), "tracking");
    new_root = json_deep_copy(new_root);
    if (new_root)
        json_object_del(json_object_get(new_root, "document"), "tracking");
    diff = new_root ? ermes__json_diff(old, new_root, 100000, &truncated) : NULL;
    if (!diff)
        kind = "major";
    json_array_foreach(diff, i, item)
    {
        const char *path = json_string_value(json_object_get(item, "path"));
        const char *op = json_string_value(json_object_get(item, "op"));

        if (!path || !op || strncmp(path, "/product_tree", 13) == 0 ||
            strncmp(path, "/vulnerabilities", 16) == 0 ||
            strncmp(path, "/document/category", 18) == 0 ||
            strncmp(path, "/document/distribution", 22) == 0 || strcmp(path, "/document") == 0 ||
            strcmp(path, "") == 0) {
            kind = "major";
            break;
        }
        if (strcmp(op, "changed") != 0)
            kind = "minor";
    }
    json_decref(diff);
    json_decref(new_root);
    json_decref(old);
    return kind;
}

/* The next version: 1.0.0 at the first publication (6.1.18: nothing released is 0.y.z), then
 * the published version with its major, minor or patch part incremented (change: the
 * analyst's choice, or NULL for change_kind's). */
static int next_version(const ermes__advisory_t *a, json_t *root, const char *change, char *ver,
                        size_t cap, const char **kind)
{
    json_t *pub;
    int64_t v[3] = {0, 0, 0};
    int ok;

    *kind = "major";
    if (!a->published_document) {
        snprintf(ver, cap, "1.0.0");
        return 0;
    }
    pub = json_loads(a->published_document, 0, NULL);
    ok = parse_version(
        json_string_value(json_object_get(
            json_object_get(json_object_get(pub, "document"), "tracking"), "version")),
        v);
    json_decref(pub);
    /* A document published before ermes counted minor versions: its revision count is its
     * major. */
    if (!ok)
        v[0] = a->revision, v[1] = v[2] = 0;
    *kind = change && *change ? change : change_kind(a->published_document, root);
    if (strcmp(*kind, "major") == 0)
        v[0]++, v[1] = v[2] = 0;
    else if (strcmp(*kind, "minor") == 0)
        v[1]++, v[2] = 0;
    else
        v[2]++;
    snprintf(ver, cap, "%lld.%lld.%lld", (long long)v[0], (long long)v[1], (long long)v[2]);
    return 0;
}

/* The document as published: the working copy with the final tracking (the next version, the
 * published history and one entry more, the release dates, status final or interim). */
static int final_document(const ermes__advisory_t *a, int64_t now,
                          const ermes__advisory_publish_opts_t *o, char **out, char *ver,
                          size_t vcap, char *summary_out, size_t scap)
{
    json_t *root = json_loads(a->document, 0, NULL), *tr, *hist = NULL, *pub;
    char date[40], initial[40], defsum[96];
    const char *kind = "major", *status = o && o->status && *o->status ? o->status : "final";
    const char *summary = o ? o->summary : NULL;
    int rc = ERMES_ENOMEM;

    *out = NULL;
    if (!root)
        return ERMES_ESTORE;
    tr = json_object_get(json_object_get(root, "document"), "tracking");
    if (a->published_document) {
        pub = json_loads(a->published_document, 0, NULL);
        hist = json_deep_copy(json_object_get(
            json_object_get(json_object_get(pub, "document"), "tracking"), "revision_history"));
        json_decref(pub);
    }
    if (!hist)
        hist = json_array();
    if (!tr || !hist)
        goto out;
    if ((rc = next_version(a, root, o ? o->change : NULL, ver, vcap, &kind)))
        goto out;
    rc = ERMES_ENOMEM;
    date_text(now, date);
    date_text(a->initial_release_at ? a->initial_release_at : now, initial);
    if (!a->revision)
        snprintf(defsum, sizeof(defsum), "%s",
                 strcmp(status, "interim") == 0 ? "Initial release (interim)."
                                                : "Initial release.");
    else
        snprintf(defsum, sizeof(defsum), "Revision %lld (%s change%s).", (long long)a->revision + 1,
                 kind, strcmp(status, "interim") == 0 ? ", interim" : "");
    snprintf(summary_out, scap, "%s", summary && *summary ? summary : defsum);
    if (json_array_append_new(
            hist, json_pack("{s:s,s:s,s:s}", "date", date, "number", ver, "summary", summary_out)))
        goto out;
    json_object_set_new(tr, "current_release_date", json_string(date));
    json_object_set_new(tr, "initial_release_date", json_string(initial));
    json_object_set_new(tr, "revision_history", hist);
    hist = NULL;
    json_object_set_new(tr, "status", json_string(status));
    json_object_set_new(tr, "version", json_string(ver));
    rc = dump(root, out);
out:
    json_decref(hist);
    json_decref(root);
    return rc;
}

/* CSAF dates count whole seconds, and the revision history must read in order by date (test
 * 6.1.14): a publication in the same second as the last one is dated a second after it. */
static int64_t after_last_release(const ermes__advisory_t *a, int64_t now)
{
    json_t *pub;
    const char *last;
    int64_t last_ms = 0;
    ermes_diag_t d;

    if (!a->published_document)
        return now;
    pub = json_loads(a->published_document, 0, NULL);
    last = json_string_value(json_object_get(
        json_object_get(json_object_get(pub, "document"), "tracking"), "current_release_date"));
    if (last && ermes__time_parse(last, strlen(last), &last_ms, &d) == 0 &&
        now - now % 1000 <= last_ms)
        now = last_ms - last_ms % 1000 + 1000;
    json_decref(pub);
    return now;
}

static int publish_loaded(ermes__store_t *st, const ermes__csaf_signer_t *signer,
                          ermes__advisory_t *a, int64_t now,
                          const ermes__advisory_publish_opts_t *o, const char *who,
                          ermes_csaf_result_t *result, ermes_diag_t *d)
{
    ermes_csaf_result_t r;
    ermes__advisory_revision_t rev;
    char *text = NULL, *sig = NULL;
    int rc;

    memset(&rev, 0, sizeof(rev));
    now = after_last_release(a, now);
    if ((rc = final_document(a, now, o, &text, rev.version, sizeof(rev.version), rev.summary,
                             sizeof(rev.summary))))
        return rc;
    memset(&r, 0, sizeof(r));
    if ((rc = ermes_csaf_validate(text, strlen(text), &r, d))) {
        ermes__free(text);
        return rc;
    }
    if (!r.valid) {
        ermes_diag_set(d, "document",
                       "advisory %s does not pass the CSAF 2.0 schema and mandatory tests "
                       "(%zu failures): it stays approved, unpublished",
                       a->tracking_id, r.count);
        if (result)
            *result = r;
        else
            ermes_csaf_result_cleanup(&r);
        ermes__free(text);
        return ERMES_EINVAL;
    }
    ermes_csaf_result_cleanup(&r);
    /* Signed before anything is written: a key that cannot sign publishes nothing. */
    if (signer && signer->key && (rc = ermes__csaf_sign(signer, text, strlen(text), &sig, d))) {
        ermes__free(text);
        return rc;
    }
    ermes__free(a->published_signature);
    a->published_signature = sig;
    a->published_tlp = a->tlp;
    /* The working copy becomes what was published, so the next revision starts from it. */
    ermes__free(a->published_document);
    a->published_document = text;
    ermes__free(a->document);
    a->document = ermes__strdup(text);
    if (!a->document)
        return ERMES_ENOMEM;
    if (!a->initial_release_at)
        a->initial_release_at = now - now % 1000;
    a->revision++;
    a->published_at = now;
    a->publish_at = 0;
    snprintf(a->status, sizeof(a->status), "published");
    /* The advisory and its new revision are written together: a revision is kept exactly when
     * it was published. */
    rev.advisory_id = a->id;
    rev.number = a->revision;
    snprintf(rev.status, sizeof(rev.status), "%s",
             o && o->status && *o->status ? o->status : "final");
    rev.document = text;
    rev.published_at = now;
    snprintf(rev.published_by, sizeof(rev.published_by), "%s", who ? who : "");
    rev.tlp = a->tlp;
    rev.owner_org_id = a->owner_org_id;
    if ((rc = ermes__store_begin(st)))
        return rc;
    if ((rc = ermes__store_advisory_update(st, a, a->updated_at)) ||
        (rc = ermes__store_advisory_revision_insert(st, &rev))) {
        ermes__store_rollback(st);
        return rc;
    }
    return ermes__store_commit(st);
}

int ermes__advisory_publish(ermes__store_t *st, const ermes__viewer_t *v,
                            const ermes__csaf_signer_t *signer, const char *ref, int64_t publish_at,
                            const char *summary, ermes_csaf_result_t *result, int *scheduled,
                            ermes_diag_t *d)
{
    ermes__advisory_publish_opts_t o = {summary, NULL, NULL};

    return ermes__advisory_publish_with(st, v, signer, ref, publish_at, &o, result, scheduled, d);
}

int ermes__advisory_publish_with(ermes__store_t *st, const ermes__viewer_t *v,
                                 const ermes__csaf_signer_t *signer, const char *ref,
                                 int64_t publish_at, const ermes__advisory_publish_opts_t *o,
                                 ermes_csaf_result_t *result, int *scheduled, ermes_diag_t *d)
{
    ermes__advisory_t a;
    int64_t now = ermes__time_now_ms();
    char ver[64], sum[ERMES_ADVISORY_SUMMARY_MAX + 1];
    int rc;

    static const ermes__advisory_publish_opts_t defaults = {NULL, NULL, NULL};

    if (!o)
        o = &defaults;
    *scheduled = 0;
    if (result)
        memset(result, 0, sizeof(*result));
    if (o->status && *o->status && strcmp(o->status, "final") != 0 &&
        strcmp(o->status, "interim") != 0) {
        ermes_diag_set(d, "status", "a publication's status is final or interim");
        return ERMES_EINVAL;
    }
    if (o->change && *o->change && strcmp(o->change, "major") != 0 &&
        strcmp(o->change, "minor") != 0 && strcmp(o->change, "patch") != 0) {
        ermes_diag_set(d, "change", "a change is major, minor or patch");
        return ERMES_EINVAL;
    }
    if (o->summary && strlen(o->summary) > ERMES_ADVISORY_SUMMARY_MAX) {
        ermes_diag_set(d, "summary", "a summary is limited to %d bytes",
                       ERMES_ADVISORY_SUMMARY_MAX);
        return ERMES_EINVAL;
    }
    /* A scheduled publication is final, with the change ermes finds: the daemon publishes it
     * without the analyst's choices (they are not stored with the schedule). */
    if (publish_at > now &&
        ((o->status && strcmp(o->status, "interim") == 0) || (o->change && *o->change))) {
        ermes_diag_set(d, "publish_at",
                       "a scheduled publication is final with the change ermes finds: publish "
                       "an interim version or choose the change when publishing now");
        return ERMES_EINVAL;
    }
    if (result)
        memset(result, 0, sizeof(*result));
    if ((rc = load(st, ref, &a, d)))
        return rc;
    if (strcmp(a.status, "approved") != 0) {
        ermes_diag_set(d, "status", "advisory %s is in %s: only an approved one is published",
                       a.tracking_id, a.status);
        rc = ERMES_ECONFLICT;
        goto out;
    }
    if (publish_at > now) {
        /* Validated now too, so a schedule is not set for a document that cannot go out; the
         * daemon validates again when it is due. */
        char *text = NULL;
        ermes_csaf_result_t r;

        if ((rc = final_document(&a, now, o, &text, ver, sizeof(ver), sum, sizeof(sum))))
            goto out;
        memset(&r, 0, sizeof(r));
        rc = ermes_csaf_validate(text, strlen(text), &r, d);
        ermes__free(text);
        if (rc)
            goto out;
        if (!r.valid) {
            ermes_diag_set(d, "document",
                           "advisory %s does not pass the CSAF 2.0 schema and mandatory tests "
                           "(%zu failures): not scheduled",
                           a.tracking_id, r.count);
            if (result)
                *result = r;
            else
                ermes_csaf_result_cleanup(&r);
            rc = ERMES_EINVAL;
            goto out;
        }
        ermes_csaf_result_cleanup(&r);
        /* Nor for a key that cannot sign it. */
        if (signer && signer->key) {
            char *sig = NULL;
            if ((rc = ermes__csaf_sign(signer, a.document, strlen(a.document), &sig, d)))
                goto out;
            ermes__free(sig);
        }
        a.publish_at = publish_at;
        rc = ermes__store_advisory_update(st, &a, a.updated_at);
        *scheduled = rc == 0;
        goto out;
    }
    rc = publish_loaded(st, signer, &a, now, o, v->user_name ? v->user_name : "admin", result, d);
out:
    ermes__advisory_cleanup(&a);
    return rc;
}

int ermes__advisory_publish_due(ermes__store_t *st, const ermes__csaf_signer_t *signer, int64_t now,
                                size_t *n)
{
    int64_t ids[64];
    size_t k = 0;
    int rc;

    *n = 0;
    if ((rc = ermes__store_advisory_due(st, now, ids, 64, &k)))
        return rc;
    for (size_t i = 0; i < k; i++) {
        ermes__advisory_t a;
        ermes_diag_t d;
        char ref[32];
        ermes__viewer_t daemon = {0, "daemon", ERMES_ROLE_ADMIN, 0, "daemon"};

        ermes_diag_clear(&d);
        snprintf(ref, sizeof(ref), "%lld", (long long)ids[i]);
        if (ermes__store_advisory_get(st, ref, &a))
            continue;
        /* Another instance may publish it at the same time: the update's version check
         * lets one through. */
        if (publish_loaded(st, signer, &a, now, NULL, "daemon", NULL, &d) == 0) {
            (*n)++;
            ermes__audit_write(st, &daemon, "publish", "advisory", a.tracking_id, NULL);
        } else if (d.reason[0]) {
            int changed = 0;

            /* It stays scheduled, tried again at each round; the reason is recorded with it
             * (GET shows publish_error) and logged once per new reason. */
            if (ermes__store_advisory_publish_failed(st, a.id, d.reason, &changed) || changed)
                ermes__log(ERMES_LOG_ERROR, "advisory %s: scheduled publication failed: %s",
                           a.tracking_id, d.reason);
        }
        ermes__advisory_cleanup(&a);
    }
    return 0;
}

json_t *ermes__advisory_to_json(const ermes__advisory_t *a, int with_document)
{
    char created[40], updated[40], pub[40], at[40];
    json_t *j;

    created[ermes__time_format(a->created_at, created)] = '\0';
    updated[ermes__time_format(a->updated_at, updated)] = '\0';
    j = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)a->id, "tracking_id",
                  a->tracking_id, "title", a->title, "status", a->status, "revision",
                  (json_int_t)a->revision, "author", a->author, "tlp", ermes_tlp_name(a->tlp),
                  "created_at", created, "updated_at", updated);
    if (!j)
        return NULL;
    json_object_set_new(j, "reviewer", a->reviewer[0] ? json_string(a->reviewer) : json_null());
    if (a->published_at) {
        pub[ermes__time_format(a->published_at, pub)] = '\0';
        json_object_set_new(j, "published_at", json_string(pub));
    } else {
        json_object_set_new(j, "published_at", json_null());
    }
    if (a->publish_at) {
        at[ermes__time_format(a->publish_at, at)] = '\0';
        json_object_set_new(j, "publish_at", json_string(at));
    } else {
        json_object_set_new(j, "publish_at", json_null());
    }
    {
        json_t *pe = a->publish_error[0] ? json_string(a->publish_error) : NULL;
        json_object_set_new(j, "publish_error", pe ? pe : json_null());
    }
    if (with_document) {
        const char *text = with_document == 2 ? a->published_document : a->document;
        json_t *doc = text ? json_loads(text, 0, NULL) : NULL;

        json_object_set_new(j, "document", doc ? doc : json_null());
    }
    return j;
}
