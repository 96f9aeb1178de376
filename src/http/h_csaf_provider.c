/* The CSAF provider, served by the daemon (issue 13, item 3; CSAF 2.0 section 7.1), in the
 * layout of the OASIS reference provider:
 *
 *   /.well-known/csaf/provider-metadata.json        requirement 7 (role, distributions, keys)
 *   /.well-known/csaf/service.json                  ROLIE service document (16): the 4 feeds
 *   /.well-known/csaf/openpgp/<FINGERPRINT>.asc     the public key (20)
 *   /.well-known/csaf/<tlp>/csaf-feed-tlp-<tlp>.json  a ROLIE feed per TLP (15)
 *   /.well-known/csaf/<tlp>/category-<tlp>.json     its ROLIE category document (17)
 *   /.well-known/csaf/<tlp>/index.txt, changes.csv  the directory distribution (12, 13)
 *   /.well-known/csaf/<tlp>/<YYYY>/<file>.json      the documents (11), with .sha256 and
 *                                                   .sha512 (18) and .asc (19)
 *
 * for <tlp> white, green, amber and red. white is public (requirement 4); the others need a
 * token (Bearer, or Basic NAME:TOKEN) or a session, and show each viewer what ermes's one TLP
 * policy (access/tlp_policy.c) lets it see: GREEN to every account of the constituency and
 * the staff, AMBER and RED to the owning organisation and the staff (requirement 5: another
 * path, an automatable authentication). Without credentials such a path is 401 whether or not
 * anything is there; a document the viewer may not see is 404 like one that does not exist,
 * so neither tells what exists. Every access is logged, and every access under green, amber
 * and red, allowed or refused, is audited (csaf_read, csaf_refused). The older layout of the
 * TLP:CLEAR documents at /.well-known/csaf/<YYYY>/ with index.txt and changes.csv beside the
 * metadata is still served, for links made before. Each folder has an index page, as a web
 * server's directory listing would (requirement 14). /.well-known/security.txt (RFC 9116)
 * names the metadata (requirement 8). The role is csaf_trusted_provider when the signing key
 * (csaf_openpgp_key) can be read, else csaf_provider. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "access/tlp_policy.h"
#include "advisories/advisory.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/number.h"
#include "core/sha256.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "http/http.h"

#define CSAF_SCHEMA "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
#define ROLIE_INFO_TYPE "urn:ietf:params:rolie:category:information-type"

/* The directory of each TLP (CSAF 2.0 names TLP:CLEAR "WHITE"). */
static const struct tlp_dir {
    const char *dir;
    const char *label;
    ermes_tlp_t tlp;
} dirs[] = {{"white", "WHITE", ERMES_TLP_CLEAR},
            {"green", "GREEN", ERMES_TLP_GREEN},
            {"amber", "AMBER", ERMES_TLP_AMBER},
            {"red", "RED", ERMES_TLP_RED}};
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

static int dir_of_tlp(ermes_tlp_t t)
{
    switch (t) {
    case ERMES_TLP_CLEAR:
        return 0;
    case ERMES_TLP_GREEN:
        return 1;
    case ERMES_TLP_AMBER:
    case ERMES_TLP_AMBER_STRICT:
        return 2;
    default:
        return 3;
    }
}

static int dir_named(const char *s)
{
    for (size_t k = 0; k < NDIRS; k++)
        if (strcmp(s, dirs[k].dir) == 0)
            return (int)k;
    return -1;
}

/* The file name of CSAF 2.0 section 5.1: the tracking id in lower case, every character but
 * + - a-z 0-9 replaced by _. */
static void file_name(const char *tracking_id, char *out, size_t cap)
{
    size_t o = 0;

    for (const char *p = tracking_id; *p && o + 6 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[o++] =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ? c : '_';
    }
    memcpy(out + o, ".json", 6);
}

static int64_t year_of(int64_t ms)
{
    int64_t y;
    unsigned m, d;

    ermes__civil_from_days(ms / 86400000, &y, &m, &d);
    return y;
}

static void time_text(int64_t ms, char out[40])
{
    out[ermes__time_format(ms - ms % 1000, out)] = '\0';
}

/* The provider's base URL: the csaf_base_url setting, else https:// and the request's Host. */
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

/* ---- who may see what ---------------------------------------------------------------------- */

/* The authenticated viewer, or NULL for an anonymous request (a public route leaves
 * req->viewer zeroed, which is not "nobody"). */
static const ermes__viewer_t *viewer_of(const ermes__req_t *req)
{
    return req->user.id ? &req->viewer : NULL;
}

/* Logs every access; audits those under green, amber and red (dir > 0), allowed or not. */
static void record(ermes__req_t *req, int dir, int allowed, unsigned status)
{
    ermes__viewer_t anon = {0, "anonymous", ERMES_ROLE_CONSTITUENT, 0, req->remote};
    char detail[128], path[256];

    ermes__log(ERMES_LOG_INFO, "csaf provider: %s %s from %s: %u", req->method, req->url,
               req->remote, status);
    if (dir <= 0)
        return;
    snprintf(path, sizeof(path), "%s", req->url);
    snprintf(detail, sizeof(detail), "{\"tlp\":\"%s\",\"status\":%u}", dirs[dir].label, status);
    ermes__audit_write(req->srv->store, req->user.id ? &req->viewer : &anon,
                       allowed ? "csaf_read" : "csaf_refused", "csaf", path, detail);
}

/* May the request enter directory dir at all? 1 if so; else the answer is queued in *ret:
 * 401 without credentials, 403 for an account whose role reads no such label (a sensor). */
static int gate(ermes__req_t *req, int dir, enum MHD_Result *ret)
{
    ermes__tlp_masks_t m;
    unsigned bits = ERMES__TLP_BIT(dirs[dir].tlp);

    if (dir == 0)
        return 1;
    if (!req->user.id) {
        record(req, dir, 0, 401);
        ermes__reply_header(req, "WWW-Authenticate", "Bearer realm=\"ermes\"");
        *ret = ermes__reply_error(req, 401, "unauthorized", NULL,
                                  "TLP:%s CSAF documents need authentication: send "
                                  "Authorization: Bearer <token> (or Basic NAME:TOKEN)",
                                  dirs[dir].label);
        return 0;
    }
    if (dirs[dir].tlp == ERMES_TLP_AMBER)
        bits |= ERMES__TLP_BIT(ERMES_TLP_AMBER_STRICT);
    ermes__tlp_policy(&req->viewer, ERMES_TLP_RED, &m);
    if (!((m.anyone | m.owned) & bits)) {
        record(req, dir, 0, 403);
        *ret = ermes__reply_error(req, 403, "forbidden", NULL,
                                  "the %s role may not read TLP:%s CSAF documents",
                                  ermes__role_name(req->viewer.role), dirs[dir].label);
        return 0;
    }
    return 1;
}

/* Is a (published, listed without documents) in dir and visible to the request? */
static int visible(const ermes__req_t *req, const ermes__advisory_t *a, int dir)
{
    if (a->revision <= 0 || dir_of_tlp(a->published_tlp) != dir)
        return 0;
    return dir == 0 || ermes__tlp_policy_allows(viewer_of(req), ERMES_TLP_RED, a->published_tlp,
                                                a->owner_org_id);
}

/* ---- index.txt and changes.csv (requirements 12 and 13) --------------------------------- */

typedef struct pub_ctx {
    ermes__req_t *req;
    int dir;
    ermes__strbuf_t *out;
    int csv;
} pub_ctx_t;

static int line_cb(void *ctx, const ermes__advisory_t *a)
{
    pub_ctx_t *c = ctx;
    char name[ERMES_ADVISORY_ID_MAX + 8], when[40];

    if (!visible(c->req, a, c->dir))
        return 0;
    file_name(a->tracking_id, name, sizeof(name));
    if (c->csv) {
        time_text(a->published_at, when);
        return ermes__strbuf_addf(c->out, "\"%lld/%s\",\"%s\"\n",
                                  (long long)year_of(a->initial_release_at), name, when);
    }
    return ermes__strbuf_addf(c->out, "%lld/%s\n", (long long)year_of(a->initial_release_at), name);
}

/* changes.csv is sorted by current_release_date, newest first (7.1.13): the lines are sorted
 * by their second field, which is that date in one fixed format. */
static int by_date_desc(const void *x, const void *y)
{
    const char *const *a = x, *const *b = y;
    const char *da = strstr(*a, "\",\""), *db = strstr(*b, "\",\"");
    int c = strcmp(db ? db : "", da ? da : "");

    return c ? c : strcmp(*a, *b);
}

static int sort_csv(char *text, size_t n, char **out)
{
    size_t lines = 0, k = 0, o = 0;
    char **v, *res, *p;

    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    *out = NULL;
    if (!(v = ermes__calloc(lines ? lines : 1, sizeof(*v))) || !(res = ermes__malloc(n + 1))) {
        ermes__free(v);
        return ERMES_ENOMEM;
    }
    for (p = text; k < lines; k++) {
        char *nl = strchr(p, '\n');
        *nl = '\0';
        v[k] = p;
        p = nl + 1;
    }
    qsort(v, lines, sizeof(*v), by_date_desc);
    for (k = 0; k < lines; k++) {
        size_t len = strlen(v[k]);
        memcpy(res + o, v[k], len);
        o += len;
        res[o++] = '\n';
    }
    res[o] = '\0';
    ermes__free(v);
    *out = res;
    return 0;
}

static enum MHD_Result reply_list(ermes__req_t *req, int dir, int csv)
{
    ermes__strbuf_t out;
    pub_ctx_t c = {req, dir, &out, csv};
    char *text, *sorted = NULL;
    size_t n = 0;
    int rc;

    ermes__strbuf_init(&out, 64u << 20);
    if ((rc = ermes__store_advisory_each(req->srv->store, NULL, line_cb, &c))) {
        ermes__strbuf_cleanup(&out);
        return ermes__reply_failure(req, rc, NULL);
    }
    if (!(text = ermes__strbuf_take(&out, &n)))
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    if (csv) {
        rc = sort_csv(text, n, &sorted);
        ermes__free(text);
        if (rc)
            return ermes__reply_failure(req, rc, NULL);
        text = sorted;
    }
    record(req, dir, 1, 200);
    return ermes__reply_owned(req, 200, csv ? "text/csv" : "text/plain", text, n);
}

enum MHD_Result ermes__h_csaf_index(ermes__req_t *req)
{
    return reply_list(req, 0, 0);
}

enum MHD_Result ermes__h_csaf_changes(ermes__req_t *req)
{
    return reply_list(req, 0, 1);
}

/* ---- the documents, their hashes and signatures (requirements 11, 18, 19) ---------------- */

typedef struct find_ctx {
    const ermes__req_t *req;
    int dir;
    const char *want; /* the file name asked for, without .sha256/.sha512/.asc */
    int64_t year;
    int64_t id;
} find_ctx_t;

static int find_cb(void *ctx, const ermes__advisory_t *a)
{
    find_ctx_t *c = ctx;
    char name[ERMES_ADVISORY_ID_MAX + 8];

    if (!visible(c->req, a, c->dir) || year_of(a->initial_release_at) != c->year)
        return 0;
    file_name(a->tracking_id, name, sizeof(name));
    if (strcmp(name, c->want) != 0)
        return 0;
    c->id = a->id;
    return 1;
}

static enum MHD_Result not_found(ermes__req_t *req, int dir)
{
    record(req, dir, 0, 404);
    return ermes__reply_error(req, 404, "not_found", NULL, "no such document");
}

/* The document named name (with its suffix) in dir's folder year_text. */
static enum MHD_Result serve_document(ermes__req_t *req, int dir, const char *year_text, char *name)
{
    char ref[32], hex[129], *body = NULL;
    find_ctx_t c = {req, dir, name, 0, 0};
    ermes__advisory_t a;
    size_t n = strlen(name);
    int kind = 0, rc; /* 0 the document, 256 or 512 its hash, 1 its signature */

    if (ermes__parse_int64(year_text, "year", 1000, 9999, &c.year, NULL))
        return not_found(req, dir);
    if (n > 7 && strcmp(name + n - 7, ".sha256") == 0)
        kind = 256, name[n - 7] = '\0';
    else if (n > 7 && strcmp(name + n - 7, ".sha512") == 0)
        kind = 512, name[n - 7] = '\0';
    else if (n > 4 && strcmp(name + n - 4, ".asc") == 0)
        kind = 1, name[n - 4] = '\0';
    rc = ermes__store_advisory_each(req->srv->store, NULL, find_cb, &c);
    if (rc < 0)
        return ermes__reply_failure(req, rc, NULL);
    if (!c.id)
        return not_found(req, dir);
    snprintf(ref, sizeof(ref), "%lld", (long long)c.id);
    if ((rc = ermes__store_advisory_get(req->srv->store, ref, &a)))
        return rc == ERMES_ENOTFOUND ? not_found(req, dir) : ermes__reply_failure(req, rc, NULL);
    if (!a.published_document || (kind == 1 && !a.published_signature)) {
        ermes__advisory_cleanup(&a);
        record(req, dir, 0, 404);
        return ermes__reply_error(req, 404, "not_found", NULL,
                                  kind == 1 ? "no signature: this revision was published "
                                              "without csaf_openpgp_key"
                                            : "no such document");
    }
    record(req, dir, 1, 200);
    if (kind == 0 || kind == 1) {
        char **keep = kind ? &a.published_signature : &a.published_document;
        body = *keep;
        *keep = NULL;
        ermes__advisory_cleanup(&a);
        return ermes__reply_owned(req, 200, kind ? "application/pgp-signature" : "application/json",
                                  body, strlen(body));
    }
    n = strlen(a.published_document);
    if (kind == 256) {
        ermes__sha256_t *h = ermes__sha256_new();
        if (!h) {
            ermes__advisory_cleanup(&a);
            return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
        }
        ermes__sha256_update(h, a.published_document, n);
        ermes__sha256_final(h, hex); /* frees h */
    } else {
        unsigned char d[crypto_hash_sha512_BYTES];
        crypto_hash_sha512(d, (const unsigned char *)a.published_document, n);
        sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
    }
    ermes__advisory_cleanup(&a);
    /* "<hex>  <file name>", as sha256sum writes it (7.1.18). */
    n = strlen(hex) + 2 + strlen(name) + 1;
    if (!(body = ermes__malloc(n + 1)))
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    snprintf(body, n + 1, "%s  %s\n", hex, name);
    return ermes__reply_owned(req, 200, "text/plain", body, n);
}

/* ---- ROLIE (requirements 15 to 17) -------------------------------------------------------- */

typedef struct feed_ctx {
    ermes__req_t *req;
    int dir;
    const char *base;
    json_t *entries;
    int rc;
} feed_ctx_t;

static int entry_cb(void *ctx, const ermes__advisory_t *a)
{
    feed_ctx_t *c = ctx;
    char name[ERMES_ADVISORY_ID_MAX + 8], url[1024], h256[1040], h512[1040], asc[1040];
    char published[40], updated[40];
    json_t *links, *e;

    if (!visible(c->req, a, c->dir))
        return 0;
    file_name(a->tracking_id, name, sizeof(name));
    snprintf(url, sizeof(url), "%s/.well-known/csaf/%s/%lld/%s", c->base, dirs[c->dir].dir,
             (long long)year_of(a->initial_release_at), name);
    snprintf(h256, sizeof(h256), "%s.sha256", url);
    snprintf(h512, sizeof(h512), "%s.sha512", url);
    snprintf(asc, sizeof(asc), "%s.asc", url);
    time_text(a->initial_release_at, published);
    time_text(a->published_at, updated);
    links = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "rel", "self", "href", url, "rel", "hash",
                      "href", h256, "rel", "hash", "href", h512);
    /* A revision published before csaf_openpgp_key was set has no signature to link. */
    if (links && a->has_signature)
        json_array_append_new(links, json_pack("{s:s,s:s}", "rel", "signature", "href", asc));
    e = json_pack("{s:s,s:s,s:o,s:s,s:s,s:{s:s},s:{s:s,s:s},s:{s:s,s:s}}", "id", a->tracking_id,
                  "title", a->title, "link", links, "published", published, "updated", updated,
                  "summary", "content", a->title, "content", "type", "application/json", "src", url,
                  "format", "schema", CSAF_SCHEMA, "version", "2.0");
    if (!e || json_array_append_new(c->entries, e)) {
        c->rc = ERMES_ENOMEM;
        return 1;
    }
    return 0;
}

static json_t *feed_categories(int dir)
{
    return json_pack("[{s:s,s:s},{s:s,s:s}]", "scheme", ROLIE_INFO_TYPE, "term", "csaf", "scheme",
                     "https://www.first.org/tlp/", "term", dirs[dir].label);
}

static enum MHD_Result reply_feed(ermes__req_t *req, int dir)
{
    char base[512], self[700], now[40], id[64], title[300];
    const char *pub = req->srv->cfg->csaf_publisher_name;
    feed_ctx_t c = {req, dir, base, json_array(), 0};
    int rc;

    base_url(req, base, sizeof(base));
    if (!c.entries)
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    if ((rc = ermes__store_advisory_each(req->srv->store, NULL, entry_cb, &c)) || c.rc) {
        json_decref(c.entries);
        return ermes__reply_failure(req, rc ? rc : c.rc, NULL);
    }
    snprintf(self, sizeof(self), "%s/.well-known/csaf/%s/csaf-feed-tlp-%s.json", base,
             dirs[dir].dir, dirs[dir].dir);
    snprintf(id, sizeof(id), "csaf-feed-tlp-%s", dirs[dir].dir);
    snprintf(title, sizeof(title), "%.200s CSAF feed (TLP:%s)", pub && *pub ? pub : "ermes",
             dirs[dir].label);
    time_text(ermes__time_now_ms(), now);
    record(req, dir, 1, 200);
    return ermes__reply_json(req, 200,
                             json_pack("{s:{s:s,s:s,s:[{s:s,s:s}],s:o,s:s,s:o}}", "feed", "id", id,
                                       "title", title, "link", "rel", "self", "href", self,
                                       "category", feed_categories(dir), "updated", now, "entry",
                                       c.entries));
}

/* The category document: the terms a consumer may pick documents by (7.1.17): each document's
 * category, its language, and the vendor and product names of its product tree. */
typedef struct cat_ctx {
    ermes__req_t *req;
    int dir;
    json_t *terms; /* a set: term -> true */
    int rc;
} cat_ctx_t;

static void branch_terms(json_t *branches, json_t *terms, int depth)
{
    size_t k;
    json_t *b;

    if (depth > 30 || !json_is_array(branches))
        return;
    json_array_foreach(branches, k, b)
    {
        const char *cat = json_string_value(json_object_get(b, "category"));
        const char *name = json_string_value(json_object_get(b, "name"));
        if (cat && name &&
            (!strcmp(cat, "vendor") || !strcmp(cat, "product_name") ||
             !strcmp(cat, "product_family")))
            json_object_set_new(terms, name, json_true());
        branch_terms(json_object_get(b, "branches"), terms, depth + 1);
    }
}

static int category_cb(void *ctx, const ermes__advisory_t *a)
{
    cat_ctx_t *c = ctx;
    ermes__advisory_t full;
    char ref[32];
    json_t *doc, *d;
    const char *s;

    if (!visible(c->req, a, c->dir))
        return 0;
    snprintf(ref, sizeof(ref), "%lld", (long long)a->id);
    if ((c->rc = ermes__store_advisory_get(c->req->srv->store, ref, &full)))
        return 1;
    doc = full.published_document ? json_loads(full.published_document, 0, NULL) : NULL;
    ermes__advisory_cleanup(&full);
    d = json_object_get(doc, "document");
    if ((s = json_string_value(json_object_get(d, "category"))))
        json_object_set_new(c->terms, s, json_true());
    if ((s = json_string_value(json_object_get(d, "lang"))))
        json_object_set_new(c->terms, s, json_true());
    branch_terms(json_object_get(json_object_get(doc, "product_tree"), "branches"), c->terms, 0);
    json_decref(doc);
    return 0;
}

static enum MHD_Result reply_categories(ermes__req_t *req, int dir)
{
    cat_ctx_t c = {req, dir, json_object(), 0};
    json_t *list = json_array(), *v;
    const char *term;
    int rc;

    if (!c.terms || !list) {
        json_decref(c.terms);
        json_decref(list);
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    }
    if ((rc = ermes__store_advisory_each(req->srv->store, NULL, category_cb, &c)) || c.rc) {
        json_decref(c.terms);
        json_decref(list);
        return ermes__reply_failure(req, rc ? rc : c.rc, NULL);
    }
    json_object_foreach(c.terms, term, v)
    {
        json_array_append_new(list, json_pack("{s:s}", "term", term));
    }
    json_decref(c.terms);
    record(req, dir, 1, 200);
    return ermes__reply_json(req, 200, json_pack("{s:{s:o}}", "categories", "category", list));
}

enum MHD_Result ermes__h_csaf_service(ermes__req_t *req)
{
    char base[512], href[700];
    const char *pub = req->srv->cfg->csaf_publisher_name;
    json_t *cols = json_array();

    base_url(req, base, sizeof(base));
    for (size_t k = 0; cols && k < NDIRS; k++) {
        char title[300];
        snprintf(href, sizeof(href), "%s/.well-known/csaf/%s/csaf-feed-tlp-%s.json", base,
                 dirs[k].dir, dirs[k].dir);
        snprintf(title, sizeof(title), "%.200s CSAF feed (TLP:%s)", pub && *pub ? pub : "ermes",
                 dirs[k].label);
        json_array_append_new(cols, json_pack("{s:s,s:s,s:{s:o}}", "title", title, "href", href,
                                              "categories", "category", feed_categories((int)k)));
    }
    record(req, 0, 1, 200);
    return ermes__reply_json(req, 200,
                             json_pack("{s:{s:[{s:s,s:o}]}}", "service", "workspace", "title",
                                       "CSAF feeds", "collection", cols));
}

/* ---- directory listings (requirement 14) --------------------------------------------------
 * As a web server's index pages: a link a line, for people finding their way by hand. */

typedef struct listing_ctx {
    ermes__req_t *req;
    int dir;
    int64_t year; /* 0: the years of dir */
    ermes__strbuf_t *out;
    int64_t years[64];
    size_t nyears;
    int rc;
} listing_ctx_t;

static int listing_cb(void *ctx, const ermes__advisory_t *a)
{
    listing_ctx_t *c = ctx;
    char name[ERMES_ADVISORY_ID_MAX + 8];
    int64_t y = year_of(a->initial_release_at);

    if (!visible(c->req, a, c->dir))
        return 0;
    if (!c->year) {
        size_t k;
        for (k = 0; k < c->nyears && c->years[k] != y; k++)
            ;
        if (k == c->nyears && c->nyears < sizeof(c->years) / sizeof(c->years[0]))
            c->years[c->nyears++] = y;
        return 0;
    }
    if (y != c->year)
        return 0;
    file_name(a->tracking_id, name, sizeof(name));
    c->rc = ermes__strbuf_addf(c->out,
                               "<a href=\"%s\">%s</a>\n<a href=\"%s.sha256\">%s.sha256</a>\n"
                               "<a href=\"%s.sha512\">%s.sha512</a>\n",
                               name, name, name, name, name, name);
    if (!c->rc && a->has_signature)
        c->rc = ermes__strbuf_addf(c->out, "<a href=\"%s.asc\">%s.asc</a>\n", name, name);
    return c->rc ? 1 : 0;
}

static int by_year_desc(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

    return a < b ? 1 : a > b ? -1 : 0;
}

static enum MHD_Result reply_listing(ermes__req_t *req, int dir, int64_t year)
{
    ermes__strbuf_t out;
    listing_ctx_t c;
    size_t n = 0;
    char *text, title[64];
    int rc;

    memset(&c, 0, sizeof(c));
    c.req = req, c.dir = dir, c.year = year, c.out = &out;
    ermes__strbuf_init(&out, 64u << 20);
    if (dir < 0)
        snprintf(title, sizeof(title), "/.well-known/csaf/");
    else if (!year)
        snprintf(title, sizeof(title), "/.well-known/csaf/%s/", dirs[dir].dir);
    else
        snprintf(title, sizeof(title), "/.well-known/csaf/%s/%lld/", dirs[dir].dir,
                 (long long)year);
    rc = ermes__strbuf_addf(
        &out,
        "<!DOCTYPE html>\n<html><head><base href=\"%s\"><title>Index of %s</title>"
        "</head><body><pre>\n<a href=\"../\">../</a>\n",
        title, title);
    if (!rc && dir < 0) {
        rc =
            ermes__strbuf_addf(&out, "<a href=\"provider-metadata.json\">provider-metadata.json</a>"
                                     "\n<a href=\"service.json\">service.json</a>\n");
        for (size_t k = 0; !rc && k < NDIRS; k++)
            rc = ermes__strbuf_addf(&out, "<a href=\"%s/\">%s/</a>\n", dirs[k].dir, dirs[k].dir);
    } else if (!rc) {
        if (!year)
            rc = ermes__strbuf_addf(&out,
                                    "<a href=\"index.txt\">index.txt</a>\n<a href=\"changes.csv\">"
                                    "changes.csv</a>\n<a href=\"csaf-feed-tlp-%s.json\">csaf-feed-"
                                    "tlp-%s.json</a>\n<a href=\"category-%s.json\">category-%s."
                                    "json</a>\n",
                                    dirs[dir].dir, dirs[dir].dir, dirs[dir].dir, dirs[dir].dir);
        if (!rc)
            rc = ermes__store_advisory_each(req->srv->store, NULL, listing_cb, &c);
        if (!rc)
            rc = c.rc;
        qsort(c.years, c.nyears, sizeof(c.years[0]), by_year_desc);
        for (size_t k = 0; !rc && k < c.nyears; k++)
            rc = ermes__strbuf_addf(&out, "<a href=\"%lld/\">%lld/</a>\n", (long long)c.years[k],
                                    (long long)c.years[k]);
    }
    if (!rc)
        rc = ermes__strbuf_addf(&out, "</pre></body></html>\n");
    if (rc || !(text = ermes__strbuf_take(&out, &n))) {
        ermes__strbuf_cleanup(&out);
        return ermes__reply_failure(req, rc ? rc : ERMES_ENOMEM, NULL);
    }
    record(req, dir < 0 ? 0 : dir, 1, 200);
    return ermes__reply_owned(req, 200, "text/html; charset=utf-8", text, n);
}

/* /.well-known/csaf/ and /.well-known/csaf/{ref}/: the listing of the provider's folder or of
 * a TLP directory. */
enum MHD_Result ermes__h_csaf_root(ermes__req_t *req)
{
    return reply_listing(req, -1, 0);
}

enum MHD_Result ermes__h_csaf_dir(ermes__req_t *req)
{
    char first[16];
    enum MHD_Result ret;
    int dir;

    if (ermes__param(req, 0, first, sizeof(first)) || (dir = dir_named(first)) < 0)
        return not_found(req, 0);
    if (!gate(req, dir, &ret))
        return ret;
    return reply_listing(req, dir, 0);
}

/* /.well-known/csaf/{ref}/{name}: a document in the older layout ({ref} a year), or a file
 * of a TLP directory ({ref} white, green, amber or red), or the listing of one of its years. */
enum MHD_Result ermes__h_csaf_file(ermes__req_t *req)
{
    char first[16], name[ERMES_ADVISORY_ID_MAX + 16], want[64];
    enum MHD_Result ret;
    int dir;

    if (ermes__param(req, 0, first, sizeof(first)) || ermes__param(req, 1, name, sizeof(name)))
        return not_found(req, 0);
    if ((dir = dir_named(first)) < 0)
        return serve_document(req, 0, first, name);
    if (!gate(req, dir, &ret))
        return ret;
    if (strcmp(name, "index.txt") == 0)
        return reply_list(req, dir, 0);
    if (strcmp(name, "changes.csv") == 0)
        return reply_list(req, dir, 1);
    snprintf(want, sizeof(want), "csaf-feed-tlp-%s.json", dirs[dir].dir);
    if (strcmp(name, want) == 0)
        return reply_feed(req, dir);
    snprintf(want, sizeof(want), "category-%s.json", dirs[dir].dir);
    if (strcmp(name, want) == 0)
        return reply_categories(req, dir);
    {
        int64_t year;
        if (strlen(name) == 4 && ermes__parse_int64(name, "year", 1000, 9999, &year, NULL) == 0)
            return reply_listing(req, dir, year);
    }
    return not_found(req, dir);
}

/* /.well-known/csaf/{ref}/{name}/{file}: a document of a TLP directory, by year. */
enum MHD_Result ermes__h_csaf_tlp_file(ermes__req_t *req)
{
    char first[16], year[16], name[ERMES_ADVISORY_ID_MAX + 16];
    enum MHD_Result ret;
    int dir;

    if (ermes__param(req, 0, first, sizeof(first)) || (dir = dir_named(first)) < 0)
        return not_found(req, 0);
    if (!gate(req, dir, &ret))
        return ret;
    if (ermes__param(req, 1, year, sizeof(year)) || ermes__param(req, 2, name, sizeof(name)))
        return not_found(req, dir);
    return serve_document(req, dir, year, name);
}

/* /.well-known/csaf/openpgp/{name}: the public key, as <FINGERPRINT>.asc (requirement 20). */
enum MHD_Result ermes__h_csaf_openpgp(ermes__req_t *req)
{
    char name[96], fpr[ERMES_CSAF_FPR_MAX], home[1024], *armour = NULL;
    ermes__csaf_signer_t s;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    ermes__csaf_signer_from_config(req->srv->cfg, home, sizeof(home), &s);
    if (ermes__param(req, 0, name, sizeof(name)) || !s.key)
        return not_found(req, 0);
    if ((rc = ermes__csaf_public_key(&s, fpr, &armour, &d))) {
        ermes__log(ERMES_LOG_WARNING, "csaf provider: the public key: %s", d.reason);
        return not_found(req, 0);
    }
    if (strlen(name) != strlen(fpr) + 4 || strncasecmp(name, fpr, strlen(fpr)) != 0 ||
        strcmp(name + strlen(fpr), ".asc") != 0) {
        ermes__free(armour);
        return not_found(req, 0);
    }
    record(req, 0, 1, 200);
    return ermes__reply_owned(req, 200, "application/pgp-keys", armour, strlen(armour));
}

/* ---- the provider metadata (requirement 7) ------------------------------------------------ */

enum MHD_Result ermes__h_csaf_provider_metadata(ermes__req_t *req)
{
    char base[512], url[600], ns[512], now[40], home[1024], fpr[ERMES_CSAF_FPR_MAX], u[700];
    const char *name = req->srv->cfg->csaf_publisher_name;
    const char *namespace = req->srv->cfg->csaf_publisher_namespace;
    json_t *j, *dists = json_array(), *feeds = json_array(), *cats = json_array();
    ermes__csaf_signer_t s;
    ermes_diag_t d;
    int trusted = 0;

    base_url(req, base, sizeof(base));
    snprintf(url, sizeof(url), "%s/.well-known/csaf/provider-metadata.json", base);
    snprintf(ns, sizeof(ns), "%s", namespace && *namespace ? namespace : base);
    /* What the metadata says comes from the settings, read when the daemon started: that is
     * when it last changed, the same at every fetch (7.1.9's check reads it twice). */
    time_text(req->srv->started_ms, now);
    for (size_t k = 0; dists && feeds && cats && k < NDIRS; k++) {
        char summary[200];
        snprintf(u, sizeof(u), "%s/.well-known/csaf/%s/", base, dirs[k].dir);
        json_array_append_new(dists, json_pack("{s:s}", "directory_url", u));
        snprintf(u, sizeof(u), "%s/.well-known/csaf/%s/csaf-feed-tlp-%s.json", base, dirs[k].dir,
                 dirs[k].dir);
        snprintf(summary, sizeof(summary), "The TLP:%s advisories%s", dirs[k].label,
                 k == 0   ? " (public)"
                 : k == 1 ? " (the constituency's accounts)"
                          : " (authenticated recipients the TLP policy names)");
        json_array_append_new(feeds, json_pack("{s:s,s:s,s:s}", "summary", summary, "tlp_label",
                                               dirs[k].label, "url", u));
        snprintf(u, sizeof(u), "%s/.well-known/csaf/%s/category-%s.json", base, dirs[k].dir,
                 dirs[k].dir);
        json_array_append_new(cats, json_string(u));
    }
    snprintf(u, sizeof(u), "%s/.well-known/csaf/service.json", base);
    if (dists)
        json_array_append_new(dists, json_pack("{s:{s:o,s:[s],s:o}}", "rolie", "feeds", feeds,
                                               "services", u, "categories", cats));
    else {
        json_decref(feeds);
        json_decref(cats);
    }
    j = json_pack("{s:s,s:o,s:s,s:b,s:s,s:b,s:{s:s,s:s,s:s}}", "canonical_url", url,
                  "distributions", dists, "last_updated", now, "list_on_CSAF_aggregators", 1,
                  "metadata_version", "2.0", "mirror_on_CSAF_aggregators", 1, "publisher",
                  "category", "coordinator", "name", name && *name ? name : "ermes", "namespace",
                  ns);
    /* Signed documents and their key (requirements 18 to 20) make a trusted provider. */
    ermes_diag_clear(&d);
    ermes__csaf_signer_from_config(req->srv->cfg, home, sizeof(home), &s);
    if (j && s.key) {
        if (ermes__csaf_public_key(&s, fpr, NULL, &d) == 0) {
            snprintf(u, sizeof(u), "%s/.well-known/csaf/openpgp/%s.asc", base, fpr);
            json_object_set_new(j, "public_openpgp_keys",
                                json_pack("[{s:s,s:s}]", "fingerprint", fpr, "url", u));
            trusted = 1;
        } else {
            ermes__log(ERMES_LOG_WARNING, "csaf provider: the signing key: %s", d.reason);
        }
    }
    if (j)
        json_object_set_new(j, "role",
                            json_string(trusted ? "csaf_trusted_provider" : "csaf_provider"));
    record(req, 0, 1, 200);
    return ermes__reply_json(req, 200, j);
}

/* /.well-known/security.txt (RFC 9116): Contact from the security_contact setting (404
 * while it is unset), Expires half a year ahead (the RFC asks for less than a year), the
 * Canonical URL, and the CSAF field pointing at the provider metadata (CSAF 2.0 7.1.8). */
enum MHD_Result ermes__h_security_txt(ermes__req_t *req)
{
    const char *contact = req->srv->cfg->security_contact;
    char base[512], expires[40], *body;
    int64_t at = ermes__time_now_ms() + 182LL * 86400000;
    size_t n;

    if (!contact || !*contact)
        return ermes__reply_error(req, 404, "not_found", NULL,
                                  "no security.txt: the security_contact setting is not set");
    base_url(req, base, sizeof(base));
    expires[ermes__time_format(at - at % 86400000, expires)] = '\0';
    n = 64 + 3 * strlen(base) + strlen(contact) + strlen(expires) + 128;
    if (!(body = ermes__malloc(n)))
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    snprintf(body, n,
             "Contact: %s\nExpires: %s\nCanonical: %s/.well-known/security.txt\n"
             "CSAF: %s/.well-known/csaf/provider-metadata.json\n",
             contact, expires, base, base);
    ermes__log(ERMES_LOG_INFO, "security.txt: %s %s from %s", req->method, req->url, req->remote);
    return ermes__reply_owned(req, 200, "text/plain; charset=utf-8", body, strlen(body));
}
