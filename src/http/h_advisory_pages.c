/* Advisories for people (advisories/render.h): the HTML page, the plain text and the Atom
 * feed of the published advisories.
 *   Public, without a token, TLP:CLEAR only: GET /public/advisories/<tracking id>.html and
 *   .txt, and GET /public/advisories/feed.atom (the newest 50). Not /advisories/: that is the
 *   web UI's advisory screen.
 *   Any signed-in user, as the TLP policy lets them read the advisory (src/access/
 *   tlp_policy.c, as GET /api/v1/advisories/{ref}): GET /api/v1/advisories/{ref}/html and
 *   /text, and GET /api/v1/advisory-feed (their own feed, GREEN and above included).
 * What is rendered is the text published, never a draft. ?lang= picks the headings' language
 * (the document's document.lang otherwise). The daemon's security headers (CSP) apply. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "access/tlp_policy.h"
#include "advisories/advisory.h"
#include "advisories/render.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"

#define FEED_ENTRIES 50
#define RENDER_MAX (64u << 20)

/* The public base address: the csaf_base_url setting, else https:// and the request's Host
 * (as the CSAF provider's). */
static void base_url(ermes__req_t *req, char *out, size_t cap)
{
    const char *host = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Host");
    const char *set = req->srv->cfg->csaf_base_url;
    size_t n;

    if (set && *set)
        snprintf(out, cap, "%s", set);
    else
        snprintf(out, cap, "https://%s", host && strlen(host) < 200 ? host : "localhost");
    n = strlen(out);
    while (n && out[n - 1] == '/')
        out[--n] = '\0';
}

static int is_public(const ermes__advisory_t *a)
{
    return a->revision > 0 && a->published_tlp == ERMES_TLP_CLEAR && a->published_document;
}

static int may_read(const ermes__viewer_t *v, const ermes__advisory_t *a)
{
    return a->revision > 0 && a->published_document &&
           (ermes__viewer_is_staff(v) ||
            ermes__tlp_policy_allows(v, ERMES_TLP_RED, a->published_tlp, a->owner_org_id));
}

static const char *lang_param(ermes__req_t *req)
{
    const char *l = ermes__query(req, "lang");
    return l && strlen(l) < 36 ? l : NULL;
}

static enum MHD_Result reply_rendered(ermes__req_t *req, const ermes__advisory_t *a,
                                      ermes__advisory_format_t fmt)
{
    /* The CERT's stored templates win over the built-in ones (/api/v1/templates). */
    ermes__advisory_tpls_t t = {.fn = ermes__store_template_texts, .ctx = req->srv->store};
    ermes__strbuf_t b;
    size_t n = 0;
    char *p;
    int rc;

    ermes__strbuf_init(&b, RENDER_MAX);
    rc = ermes__advisory_render(a->published_document, fmt, lang_param(req), &t, &b);
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return ermes__reply_failure(req, rc, NULL);
    }
    p = ermes__strbuf_take(&b, &n);
    if (!p)
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    return ermes__reply_owned(req, 200,
                              fmt == ERMES_ADVISORY_HTML ? "text/html; charset=utf-8"
                                                         : "text/plain; charset=utf-8",
                              p, n);
}

typedef struct feed_ctx {
    ermes__req_t *req;
    int public;
    int64_t ids[FEED_ENTRIES];
    size_t n;
} feed_ctx_t;

static int feed_cb(void *ctx, const ermes__advisory_t *a)
{
    feed_ctx_t *c = ctx;

    if (c->n >= FEED_ENTRIES)
        return 0;
    if (a->revision <= 0 ||
        (c->public ? a->published_tlp != ERMES_TLP_CLEAR
                   : !(ermes__viewer_is_staff(&c->req->viewer) ||
                       ermes__tlp_policy_allows(&c->req->viewer, ERMES_TLP_RED, a->published_tlp,
                                                a->owner_org_id))))
        return 0;
    c->ids[c->n++] = a->id;
    return 0;
}

/* The feed: the newest published advisories the reader may see (public: TLP:CLEAR). */
static enum MHD_Result reply_feed(ermes__req_t *req, int public)
{
    feed_ctx_t c = {.req = req, .public = public, .n = 0};
    ermes__advisory_tpls_t t = {.text = NULL};
    ermes__strbuf_t b;
    char base[512], feed_url[700], link_base[700];
    int64_t updated = 0;
    size_t n = 0;
    char *p;
    int rc;

    /* Every advisory that ever was published is "published" or a new revision's draft or
     * review: the listing is taken whole and filtered by revision. */
    if ((rc = ermes__store_advisory_each(req->srv->store, NULL, feed_cb, &c)))
        return ermes__reply_failure(req, rc, NULL);
    base_url(req, base, sizeof(base));
    if (public) {
        snprintf(feed_url, sizeof(feed_url), "%s/public/advisories/feed.atom", base);
        snprintf(link_base, sizeof(link_base), "%s/public/advisories/", base);
    } else {
        snprintf(feed_url, sizeof(feed_url), "%s/api/v1/advisory-feed", base);
        snprintf(link_base, sizeof(link_base), "%s/api/v1/advisories/", base);
    }
    ermes__strbuf_init(&b, RENDER_MAX);
    /* The feed's date: the newest publication in it (now when it is empty). */
    for (size_t k = 0; k < c.n; k++) {
        ermes__advisory_t a;
        char ref[32];

        snprintf(ref, sizeof(ref), "%lld", (long long)c.ids[k]);
        if (ermes__store_advisory_get(req->srv->store, ref, &a) == 0) {
            if (a.published_at > updated)
                updated = a.published_at;
            ermes__advisory_cleanup(&a);
        }
    }
    t.fn = ermes__store_template_texts;
    t.ctx = req->srv->store;
    rc = ermes__advisory_feed_begin(&b, public ? "Advisories" : "Advisories (signed in)", feed_url,
                                    updated ? updated : ermes__time_now_ms(), lang_param(req), &t);
    for (size_t k = 0; !rc && k < c.n; k++) {
        ermes__advisory_t a;
        char ref[32];

        snprintf(ref, sizeof(ref), "%lld", (long long)c.ids[k]);
        if (ermes__store_advisory_get(req->srv->store, ref, &a))
            continue;
        /* A signed-in reader's link: the API's HTML rendering. */
        if (public ? is_public(&a) : may_read(&req->viewer, &a))
            rc = ermes__advisory_feed_entry(&b, &a, a.published_document, link_base,
                                            public ? ".html" : "/html", lang_param(req), &t);
        ermes__advisory_cleanup(&a);
    }
    if (!rc)
        rc = ermes__advisory_feed_end(&b);
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return ermes__reply_failure(req, rc, NULL);
    }
    p = ermes__strbuf_take(&b, &n);
    return p ? ermes__reply_owned(req, 200, "application/atom+xml; charset=utf-8", p, n)
             : ermes__reply_failure(req, ERMES_ENOMEM, NULL);
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && memcmp(s + n - k, suffix, k) == 0;
}

enum MHD_Result ermes__h_advisory_public(ermes__req_t *req)
{
    char name[ERMES_ADVISORY_ID_MAX + 8];
    ermes__advisory_format_t fmt;
    ermes__advisory_t a;
    enum MHD_Result ret;
    size_t n;
    int rc;

    if (ermes__param(req, 0, name, sizeof(name)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    if (strcmp(name, "feed.atom") == 0)
        return reply_feed(req, 1);
    n = strlen(name);
    if (ends_with(name, n, ".html"))
        fmt = ERMES_ADVISORY_HTML, name[n - 5] = '\0';
    else if (ends_with(name, n, ".txt"))
        fmt = ERMES_ADVISORY_TEXT, name[n - 4] = '\0';
    else
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    /* By tracking id only: a number is not a public name. */
    rc = ermes__store_advisory_get(req->srv->store, name, &a);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (!is_public(&a) || strcmp(a.tracking_id, name) != 0) {
        ermes__advisory_cleanup(&a);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    }
    ret = reply_rendered(req, &a, fmt);
    ermes__advisory_cleanup(&a);
    return ret;
}

static enum MHD_Result reply_api(ermes__req_t *req, ermes__advisory_format_t fmt)
{
    char ref[ERMES_ADVISORY_ID_MAX + 1];
    ermes__advisory_t a;
    enum MHD_Result ret;
    int rc, ok;

    if (ermes__param(req, 0, ref, sizeof(ref)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    rc = ermes__store_advisory_get(req->srv->store, ref, &a);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    ok = may_read(&req->viewer, &a);
    ermes__audit_write(req->srv->store, &req->viewer, ok ? "read" : "read_denied", "advisory",
                       a.tracking_id, NULL);
    if (!ok) {
        ermes__advisory_cleanup(&a);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such advisory");
    }
    ret = reply_rendered(req, &a, fmt);
    ermes__advisory_cleanup(&a);
    return ret;
}

enum MHD_Result ermes__h_advisory_html(ermes__req_t *req)
{
    return reply_api(req, ERMES_ADVISORY_HTML);
}

enum MHD_Result ermes__h_advisory_text(ermes__req_t *req)
{
    return reply_api(req, ERMES_ADVISORY_TEXT);
}

enum MHD_Result ermes__h_advisory_feed(ermes__req_t *req)
{
    return reply_feed(req, 0);
}
