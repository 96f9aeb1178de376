/* /taxii2/: a TAXII 2.1 server (OASIS TAXII Version 2.1, 10 June 2021). One API root,
 * /taxii2/ermes/; its collections are the sharing groups (src/sharing/sharing_groups.c), their
 * objects the stored STIX objects (src/store/stix_objects.c) seen through the TLP policy under
 * the group's highest TLP. Pages follow the keyset (date_added, row id), so that "next" never
 * skips or repeats an object, however many were added in the same millisecond. Errors are
 * TAXII error resources (reply.c writes them for every path under /taxii2/). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "core/uuid.h"
#include "http/http.h"
#include "http/page_cache.h"
#include "sharing/sharing_groups.h"
#include "sightings/sightings.h"

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define API_ROOT "ermes"
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

/* ---- media types ----------------------------------------------------------------------------- */

/* 1 if the media range s (one of Accept's, or a Content-Type) is TAXII 2.1's: the type
 * application/taxii+json with no version or version=2.1 (TAXII 2.1 section 1.6.8.1). With
 * wildcards (Accept only), "* / *" and "application/ *" too. */
static int taxii_media(const char *s, size_t n, int wildcards)
{
    const char *semi = memchr(s, ';', n);
    size_t tl = semi ? (size_t)(semi - s) : n;
    int version_ok = 1;

    while (tl && (s[tl - 1] == ' ' || s[tl - 1] == '\t'))
        tl--;
    while (tl && (*s == ' ' || *s == '\t')) {
        s++;
        tl--;
        n--;
    }
    semi = memchr(s, ';', n);
    /* Parameters: version must be 2.1 when present; q and others are ignored. */
    while (semi) {
        const char *p = semi + 1, *end = s + n, *next = memchr(p, ';', (size_t)(end - p));
        size_t pl = next ? (size_t)(next - p) : (size_t)(end - p);
        while (pl && (*p == ' ' || *p == '\t')) {
            p++;
            pl--;
        }
        while (pl && (p[pl - 1] == ' ' || p[pl - 1] == '\t'))
            pl--;
        if (pl >= 8 && strncasecmp(p, "version=", 8) == 0)
            version_ok = pl == 11 && memcmp(p + 8, "2.1", 3) == 0;
        semi = next;
    }
    if (tl == 22 && strncasecmp(s, "application/taxii+json", 22) == 0)
        return version_ok;
    if (wildcards && ((tl == 3 && memcmp(s, "*/*", 3) == 0) ||
                      (tl == 13 && strncasecmp(s, "application/*", 13) == 0)))
        return 1;
    return 0;
}

int ermes__taxii_media_ok(const char *header, int accept)
{
    const char *a = header;

    if (!accept)
        return a && taxii_media(a, strlen(a), 0);
    /* TAXII 2.1 section 1.6.8: a client asks for TAXII 2.1; anything else is 406. No Accept
     * at all is taken as "anything". */
    if (!a)
        return 1;
    while (*a) {
        const char *c = strchr(a, ',');
        size_t n = c ? (size_t)(c - a) : strlen(a);
        if (taxii_media(a, n, 1))
            return 1;
        if (!c)
            break;
        a = c + 1;
    }
    return 0;
}

static int accept_ok(ermes__req_t *req)
{
    return ermes__taxii_media_ok(MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept"),
                                 1);
}

static enum MHD_Result reply_taxii(ermes__req_t *req, unsigned status, json_t *j)
{
    char *text;

    if (!j)
        return ermes__reply_error(req, 500, "internal", NULL, "out of memory");
    text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text)
        return ermes__reply_error(req, 500, "internal", NULL, "out of memory");
    return ermes__reply_owned(req, status, TAXII_MEDIA, text, strlen(text));
}

/* The base URL of the API root, from the request's Host (only a host name and port are taken
 * from it: anything else falls back to the listening address). */
static void root_url(ermes__req_t *req, char *buf, size_t cap)
{
    const char *host = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Host");
    char fallback[64];
    int ok = host && host[0] && strlen(host) < 256;

    for (const char *p = host; ok && *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':' || *p == '[' ||
              *p == ']'))
            ok = 0;
    if (!ok) {
        snprintf(fallback, sizeof(fallback), "127.0.0.1:%u", (unsigned)req->srv->port);
        host = fallback;
    }
    snprintf(buf, cap, "%s://%s/taxii2/" API_ROOT "/", req->srv->tls_cert_pem ? "https" : "http",
             host);
}

/* ---- discovery and the API root -------------------------------------------------------------- */

enum MHD_Result ermes__h_taxii_discovery(ermes__req_t *req)
{
    char url[400];

    if (!accept_ok(req))
        return ermes__reply_error(req, 406, "not_acceptable", NULL,
                                  "this server speaks " TAXII_MEDIA);
    root_url(req, url, sizeof(url));
    return reply_taxii(req, 200,
                       json_pack("{s:s,s:s,s:s,s:[s]}", "title", "ermes TAXII 2.1 server",
                                 "description",
                                 "The CERT's sharing groups as TAXII 2.1 collections", "default",
                                 url, "api_roots", url));
}

/* The {root} segment names the one API root. */
static int root_ok(ermes__req_t *req)
{
    char root[32];

    return ermes__param(req, 0, root, sizeof(root)) == 0 && !strcmp(root, API_ROOT);
}

enum MHD_Result ermes__h_taxii_root(ermes__req_t *req)
{
    if (!accept_ok(req))
        return ermes__reply_error(req, 406, "not_acceptable", NULL,
                                  "this server speaks " TAXII_MEDIA);
    if (!root_ok(req))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such API root");
    return reply_taxii(req, 200,
                       json_pack("{s:s,s:s,s:[s],s:I}", "title", "ermes", "description",
                                 "Sharing groups of the CERT, as collections", "versions",
                                 TAXII_MEDIA, "max_content_length",
                                 (json_int_t)req->srv->cfg->max_body));
}

enum MHD_Result ermes__h_taxii_status(ermes__req_t *req)
{
    char id[64], *body;
    int64_t group = 0;
    int rc;

    if (!accept_ok(req))
        return ermes__reply_error(req, 406, "not_acceptable", NULL,
                                  "this server speaks " TAXII_MEDIA);
    if (!root_ok(req) || ermes__param(req, 1, id, sizeof(id)) || !ermes__uuid_valid(id, strlen(id)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such status");
    if (!(body = ermes__malloc(4u << 20)))
        return MHD_NO;
    rc = ermes__store_taxii_status_get(req->srv->store, id, body, 4u << 20, &group);
    if (rc) {
        ermes__free(body);
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 404, "not_found", NULL, "no such status");
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_owned(req, 200, TAXII_MEDIA, body, strlen(body));
}

/* ---- collections ----------------------------------------------------------------------------- */

static json_t *collection_json(ermes__req_t *req, const ermes__sharing_group_t *g)
{
    json_error_t err;
    json_t *sel = json_loads(g->selection ? g->selection : "{}", 0, &err);
    json_t *mt = json_object_get(sel, "media_types");
    json_t *c = json_pack("{s:s,s:s}", "id", g->collection_id, "title", g->title);

    if (c && g->description && g->description[0])
        json_object_set_new(c, "description", json_string(g->description));
    if (c) {
        json_object_set_new(
            c, "can_read",
            json_boolean(ermes__sharing_group_can(req->srv->store, g, &req->viewer, 0)));
        json_object_set_new(
            c, "can_write",
            json_boolean(ermes__sharing_group_can(req->srv->store, g, &req->viewer, 1)));
        json_object_set(
            c, "media_types",
            json_array_size(mt) ? mt : json_pack("[s]", "application/stix+json;version=2.1"));
        if (!json_array_size(mt))
            json_decref(json_object_get(c, "media_types"));
    }
    json_decref(sel);
    return c;
}

static int list_cb(void *ctx, const ermes__sharing_group_t *g)
{
    ermes__req_t *req = ((void **)ctx)[0];
    json_t *arr = ((void **)ctx)[1], *c = collection_json(req, g);

    return !c || json_array_append_new(arr, c) ? ERMES_ENOMEM : 0;
}

enum MHD_Result ermes__h_taxii_collections(ermes__req_t *req)
{
    json_t *arr;
    void *ctx[2];
    int rc;

    if (!accept_ok(req))
        return ermes__reply_error(req, 406, "not_acceptable", NULL,
                                  "this server speaks " TAXII_MEDIA);
    if (!root_ok(req))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such API root");
    if (!(arr = json_array()))
        return MHD_NO;
    ctx[0] = req;
    ctx[1] = arr;
    rc = ermes__store_sharing_group_each(req->srv->store, NULL, list_cb, ctx);
    if (rc) {
        json_decref(arr);
        return ermes__reply_failure(req, rc, NULL);
    }
    /* TAXII 2.1 section 5.1: an empty list is an empty resource. */
    if (!json_array_size(arr)) {
        json_decref(arr);
        return reply_taxii(req, 200, json_object());
    }
    return reply_taxii(req, 200, json_pack("{s:o}", "collections", arr));
}

/* The collection a request names, copied out of the store's callback. */
typedef struct coll {
    ermes__sharing_group_t g;
    char name[80], cid[40], title[256], description[2048], readers[4096], writers[4096],
        selection[4096], member_tlp[10240];
    json_t *sel; /* parsed selection */
    int found;
} coll_t;

static int coll_cb(void *ctx, const ermes__sharing_group_t *g)
{
    coll_t *c = ctx;

    if (strcmp(g->collection_id, c->cid) != 0)
        return 0; /* matched by name or id: collections are addressed by their id only */
    c->g = *g;
    snprintf(c->name, sizeof(c->name), "%s", g->name);
    snprintf(c->title, sizeof(c->title), "%s", g->title);
    snprintf(c->description, sizeof(c->description), "%s", g->description ? g->description : "");
    snprintf(c->readers, sizeof(c->readers), "%s", g->readers ? g->readers : "[]");
    snprintf(c->writers, sizeof(c->writers), "%s", g->writers ? g->writers : "[]");
    snprintf(c->selection, sizeof(c->selection), "%s", g->selection ? g->selection : "{}");
    snprintf(c->member_tlp, sizeof(c->member_tlp), "%s", g->member_tlp ? g->member_tlp : "{}");
    c->g.name = c->name;
    c->g.collection_id = c->cid;
    c->g.title = c->title;
    c->g.description = c->description;
    c->g.readers = c->readers;
    c->g.writers = c->writers;
    c->g.selection = c->selection;
    c->g.member_tlp = c->member_tlp;
    c->found = 1;
    return 0;
}

/* Loads the collection of the request's {ref} into c. Returns 0, or queues the answer (404,
 * 406, an error) into *ret and returns -1. need: 0 nothing, 1 can_read, 2 can_write, 3 both. */
static int collection(ermes__req_t *req, coll_t *c, int need, enum MHD_Result *ret)
{
    json_error_t err;
    int rc;

    memset(c, 0, sizeof(*c));
    if (!accept_ok(req)) {
        *ret =
            ermes__reply_error(req, 406, "not_acceptable", NULL, "this server speaks " TAXII_MEDIA);
        return -1;
    }
    if (!root_ok(req) || ermes__param(req, 1, c->cid, sizeof(c->cid)) ||
        !ermes__uuid_valid(c->cid, strlen(c->cid))) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such collection");
        return -1;
    }
    rc = ermes__store_sharing_group_each(req->srv->store, c->cid, coll_cb, c);
    if (rc == ERMES_ENOTFOUND || (!rc && !c->found)) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such collection");
        return -1;
    }
    if (rc) {
        *ret = ermes__reply_failure(req, rc, NULL);
        return -1;
    }
    if (((need & 1) && !ermes__sharing_group_can(req->srv->store, &c->g, &req->viewer, 0)) ||
        ((need & 2) && !ermes__sharing_group_can(req->srv->store, &c->g, &req->viewer, 1))) {
        *ret = ermes__reply_error(
            req, 403, "forbidden", NULL, "you may not %s this collection",
            (need & 2) && !ermes__sharing_group_can(req->srv->store, &c->g, &req->viewer, 1)
                ? "write into"
                : "read");
        return -1;
    }
    c->sel = json_loads(c->selection, 0, &err);
    return 0;
}

enum MHD_Result ermes__h_taxii_collection(ermes__req_t *req)
{
    enum MHD_Result ret;
    coll_t *c = ermes__calloc(1, sizeof(*c));

    if (!c)
        return MHD_NO;
    if (collection(req, c, 0, &ret) == 0) {
        ret = reply_taxii(req, 200, collection_json(req, &c->g));
        json_decref(c->sel);
    }
    ermes__free(c);
    return ret;
}

/* ---- objects, manifests, versions ------------------------------------------------------------ */

typedef enum page_kind { PAGE_OBJECTS, PAGE_MANIFEST, PAGE_VERSIONS } page_kind_t;

typedef struct page {
    page_kind_t kind;
    ermes__strbuf_t out;
    size_t n;
    long limit; /* the page's limit: the buffer is sized for it from the first row */
    int64_t first_added, last_added, last_id;
} page_t;

static int page_cb(void *ctx, const ermes__stix_row_t *r)
{
    page_t *p = ctx;
    const char *version = r->modified && r->modified[0] ? r->modified : r->created;
    char added[32];
    int rc = 0;

    if (!p->n) {
        p->first_added = r->date_added;
        /* Room for the page at once, guessed from its first row (at most 4 MB), rather than
         * a buffer doubled (and perhaps moved) ten times over. */
        if (p->kind == PAGE_OBJECTS && p->limit > 1) {
            size_t guess = (strlen(r->object) + 16) * (size_t)p->limit;
            char *at;
            if ((rc = ermes__strbuf_room(&p->out, guess < (4u << 20) ? guess : 4u << 20, &at)))
                return rc;
        }
    }
    p->last_added = r->date_added;
    p->last_id = r->id;
    if (p->n && (rc = ermes__strbuf_addc(&p->out, ',')))
        return rc;
    p->n++;
    switch (p->kind) {
    case PAGE_OBJECTS:
        return ermes__strbuf_adds(&p->out, r->object);
    case PAGE_MANIFEST: {
        json_t *m;
        char *text;
        ermes__time_format(r->date_added, added);
        m = json_pack("{s:s,s:s,s:s?,s:s+}", "id", r->stix_id, "date_added", added, "version",
                      version && version[0] ? version : NULL, "media_type",
                      "application/stix+json;version=", r->spec_version);
        text = m ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(m);
        if (!text)
            return ERMES_ENOMEM;
        rc = ermes__strbuf_adds(&p->out, text);
        free(text);
        return rc;
    }
    case PAGE_VERSIONS: {
        json_t *s = json_string(version && version[0] ? version : "");
        char *text = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
        json_decref(s);
        if (!text)
            return ERMES_ENOMEM;
        rc = ermes__strbuf_adds(&p->out, text);
        free(text);
        return rc;
    }
    }
    return 0;
}

/* Reads limit, next, added_after and the match[] filters into f. Returns 0, or queues 400. */
static int read_filters(ermes__req_t *req, ermes__stix_filter_t *f, char *scratch, size_t cap,
                        int object_route, enum MHD_Result *ret)
{
    const char *limit = ermes__query(req, "limit"), *next = ermes__query(req, "next");
    ermes_diag_t d;
    int64_t n;

    ermes_diag_clear(&d);
    if (ermes__stix_filter_parse(
            f, scratch, cap, object_route ? NULL : ermes__query(req, "match[id]"),
            object_route ? NULL : ermes__query(req, "match[type]"),
            ermes__query(req, "match[version]"), ermes__query(req, "match[spec_version]"),
            ermes__query(req, "added_after"), &d)) {
        *ret = ermes__reply_error(req, 400, "bad_request", d.field, "%s", d.reason);
        return -1;
    }
    f->limit = PAGE_DEFAULT;
    if (limit) {
        /* TAXII 2.1 section 3.4: the server may cap the page; zero or less is an error. */
        if (ermes__parse_int64(limit, "limit", 1, INT64_MAX, &n, &d)) {
            *ret =
                ermes__reply_error(req, 400, "bad_request", "limit", "limit is a positive integer");
            return -1;
        }
        f->limit = n > PAGE_MAX ? PAGE_MAX : (long)n;
    }
    if (next) {
        /* The opaque next is the keyset of the last object of the page before: date_added
         * and row id, "<ms>-<id>". */
        const char *dash = strchr(next, '-');
        int64_t a, b;
        if (!dash ||
            ermes__parse_int64_n(next, (size_t)(dash - next), "next", 0, INT64_MAX, &a, &d) ||
            ermes__parse_int64(dash + 1, "next", 0, INT64_MAX, &b, &d)) {
            *ret = ermes__reply_error(req, 400, "bad_request", "next",
                                      "next is the value a previous page gave");
            return -1;
        }
        f->after_added = a;
        f->after_id = b;
    }
    return 0;
}

static void page_headers(ermes__req_t *req, const page_t *p)
{
    char t[32];

    if (!p->n)
        return;
    ermes__time_format(p->first_added, t);
    ermes__reply_header(req, "X-TAXII-Date-Added-First", t);
    ermes__time_format(p->last_added, t);
    ermes__reply_header(req, "X-TAXII-Date-Added-Last", t);
}

/* Room left at the front of a page's buffer for its envelope's head, '{"more":true,"next":"<ms>-
 * <id>","objects":[' (at most 21 + 41 + 14 bytes): the rows are written once, straight after
 * it, and the head is put just before them once "more" and "next" are known, so the page of up
 * to 1,000 objects (550 KB at 100,000 indicators) is never copied into an envelope (a quarter
 * of a page's CPU went to such copies, bench/README.md). */
#define PAGE_HEAD 96

/* The key of a page in the rendered-page cache (page_cache.c): its kind and every value its
 * query binds, each written with its length. The filter is the request's (collection, match[],
 * added_after, limit, next) narrowed by the TLP policy to what this viewer may see (its masks,
 * organisation, named-recipient rights, the collection's grant to it): everything the policy
 * reads of the viewer reaches the page only through these values, so viewers whose rights
 * differ have different keys, and those whose keys are equal would be sent the same rows. */
static int key_int(ermes__strbuf_t *k, int64_t v)
{
    return ermes__strbuf_addf(k, "%lld;", (long long)v);
}

static int key_str(ermes__strbuf_t *k, const char *s)
{
    int rc = key_int(k, s ? (int64_t)strlen(s) : -1);

    return rc || !s ? rc : ermes__strbuf_adds(k, s);
}

static int key_list(ermes__strbuf_t *k, const char *const *v, size_t n)
{
    int rc = key_int(k, (int64_t)n);

    for (size_t i = 0; !rc && i < n && i < ERMES__STIX_LIST_MAX; i++)
        rc = key_str(k, v[i]);
    return rc;
}

/* 0, or an error: a key cut short is no key (the page is then answered without the cache). */
static int page_key(ermes__strbuf_t *k, page_kind_t kind, const ermes__stix_filter_t *f)
{
    int rc = key_int(k, (int64_t)kind);

    if (!rc)
        rc = key_int(k, f->tlp_anyone) || key_int(k, f->tlp_owned) || key_int(k, f->org_id) ||
                     key_int(k, f->tlp_named) || key_int(k, f->tlp_client) ||
                     key_list(k, f->ids, f->nids) || key_list(k, f->types, f->ntypes) ||
                     key_list(k, f->spec_versions, f->nspec_versions) ||
                     key_int(k, (int64_t)f->versions) ||
                     key_list(k, f->version_keys, f->nversion_keys) || key_int(k, f->added_after) ||
                     key_int(k, f->after_added) || key_int(k, f->after_id) ||
                     key_int(k, f->sharing_group_id) || key_int(k, f->select_all) ||
                     key_str(k, f->source) || key_int(k, f->limit)
                 ? ERMES_ENOMEM
                 : 0;
    return rc;
}

static enum MHD_Result reply_cached(ermes__req_t *req, ermes__cached_page_t *cp)
{
    if (cp->first[0])
        ermes__reply_header(req, "X-TAXII-Date-Added-First", cp->first);
    if (cp->last[0])
        ermes__reply_header(req, "X-TAXII-Date-Added-Last", cp->last);
    return ermes__reply_shared(req, 200, TAXII_MEDIA, cp->body, cp->len, ermes__page_cache_release,
                               cp);
}

/* Answers one page of kind from f (already narrowed to the collection). object_id: the
 * object route's object (404 when nothing of it is found). key (NULL: none): the page's key in
 * the rendered-page cache, where it is kept as rendered at scope. */
static enum MHD_Result answer_page(ermes__req_t *req, ermes__stix_filter_t *f, page_kind_t kind,
                                   int none, const char *object_id, const ermes__strbuf_t *key,
                                   int64_t scope)
{
    static const char empty[] = "{\"more\":false}";
    page_t p;
    char head[PAGE_HEAD], *at, *text;
    const char *member = kind == PAGE_VERSIONS ? "versions" : "objects";
    size_t len;
    int more = 0, rc = 0, hlen;

    memset(&p, 0, sizeof(p));
    p.kind = kind;
    p.limit = f->limit;
    ermes__strbuf_init(&p.out, (1u << 30) + PAGE_HEAD);
    if (!(rc = ermes__strbuf_room(&p.out, PAGE_HEAD, &at)))
        ermes__strbuf_used(&p.out, PAGE_HEAD);
    if (!rc && !none)
        rc = ermes__store_stix_each(req->srv->store, f, page_cb, &p, &more);
    if (rc) {
        ermes__strbuf_cleanup(&p.out);
        return ermes__reply_failure(req, rc, NULL);
    }
    if (object_id && !p.n && f->after_added < 0) {
        ermes__strbuf_cleanup(&p.out);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such object");
    }
    if (!p.n && kind != PAGE_VERSIONS) {
        ermes__strbuf_cleanup(&p.out);
        return ermes__reply_static(req, 200, TAXII_MEDIA, empty, sizeof(empty) - 1);
    }
    /* The envelope: "more", "next" when there is more, and the page. */
    if (more)
        hlen = snprintf(head, sizeof(head), "{\"more\":true,\"next\":\"%lld-%lld\",\"%s\":[",
                        (long long)p.last_added, (long long)p.last_id, member);
    else
        hlen = snprintf(head, sizeof(head), "{\"more\":false,\"%s\":[", member);
    if (hlen < 0 || (size_t)hlen >= sizeof(head)) {
        ermes__strbuf_cleanup(&p.out);
        return ermes__reply_failure(req, ERMES_EINTERNAL, NULL);
    }
    if ((rc = ermes__strbuf_adds(&p.out, "]}"))) {
        ermes__strbuf_cleanup(&p.out);
        return ermes__reply_failure(req, rc, NULL);
    }
    memcpy(p.out.data + PAGE_HEAD - hlen, head, (size_t)hlen);
    text = ermes__strbuf_take(&p.out, &len);
    ermes__strbuf_cleanup(&p.out);
    if (!text)
        return MHD_NO;
    if (key) {
        char first[32], last[32];
        ermes__cached_page_t *cp;
        ermes__time_format(p.first_added, first);
        ermes__time_format(p.last_added, last);
        cp = ermes__page_cache_put(req->srv->page_cache, key->data, key->len, scope, text,
                                   PAGE_HEAD - (size_t)hlen, len - (PAGE_HEAD - (size_t)hlen),
                                   first, last);
        return cp ? reply_cached(req, cp) : MHD_NO;
    }
    page_headers(req, &p);
    return ermes__reply_owned_at(req, 200, TAXII_MEDIA, text, PAGE_HEAD - (size_t)hlen,
                                 len - (PAGE_HEAD - (size_t)hlen));
}

static enum MHD_Result list_objects(ermes__req_t *req, page_kind_t kind)
{
    ermes__stix_filter_t f;
    ermes__strbuf_t key;
    enum MHD_Result ret;
    char scratch[4096];
    coll_t *c = ermes__calloc(1, sizeof(*c));
    int none = 0;

    if (!c)
        return MHD_NO;
    memset(&f, 0, sizeof(f));
    ermes__strbuf_init(&key, 1u << 16);
    if (collection(req, c, 1, &ret) == 0) {
        int rc = ermes__stix_publish(req->srv->store);
        if (rc)
            ret = ermes__reply_failure(req, rc, NULL);
        else if (read_filters(req, &f, scratch, sizeof(scratch), 0, &ret) == 0) {
            ermes__cached_page_t *cp = NULL;
            int64_t scope = 0;
            uint64_t sum = 0;
            char objects_name[32], group_name[32], org_name[40];
            const char *names[3];
            ermes__sharing_group_filter(
                &c->g, c->sel, &req->viewer,
                ermes__sharing_group_grant(req->srv->store, &c->g, &req->viewer), &f, &none);
            /* The counters are read before the page: a write landing between the two leaves a
             * page newer than its counters, which their next read drops. The page's scope is
             * the sum of the counters of what it is made of (schema.c, migrations 64 and 76),
             * each only growing: its objects' (the collection's own, or that of every object
             * when it selects them all), the sharing group's (moved by a write to its row) and
             * the viewer's organisation's (its rights and parent). */
            snprintf(group_name, sizeof(group_name), "stix:%lld", (long long)c->g.id);
            snprintf(objects_name, sizeof(objects_name), "%s",
                     f.select_all ? "stix:all" : group_name);
            snprintf(org_name, sizeof(org_name), "stix:org:%lld", (long long)f.org_id);
            names[0] = objects_name;
            names[1] = f.select_all ? group_name : NULL;
            names[2] = f.org_id > 0 ? org_name : NULL;
            if (!none && req->srv->page_cache_max > 0) {
                if (page_key(&key, kind, &f) || !key.data ||
                    ermes__store_counter_sum(req->srv->store, names, 3, &sum))
                    ermes__strbuf_cleanup(&key); /* answered without the cache */
                else {
                    scope = (int64_t)(sum & (uint64_t)INT64_MAX);
                    cp = ermes__page_cache_get(req->srv->page_cache, key.data, key.len, scope);
                }
            }
            if (cp)
                ret = reply_cached(req, cp);
            else
                ret = answer_page(req, &f, kind, none, NULL, key.data ? &key : NULL, scope);
        }
        json_decref(c->sel);
    }
    ermes__strbuf_cleanup(&key);
    ermes__free(c);
    return ret;
}

enum MHD_Result ermes__h_taxii_objects(ermes__req_t *req)
{
    return list_objects(req, PAGE_OBJECTS);
}

enum MHD_Result ermes__h_taxii_manifest(ermes__req_t *req)
{
    return list_objects(req, PAGE_MANIFEST);
}

/* The object routes: {ref} the collection, {name} the object's id. */
static enum MHD_Result object_route(ermes__req_t *req, page_kind_t kind)
{
    ermes__stix_filter_t f;
    enum MHD_Result ret;
    char scratch[4096], oid[300];
    coll_t *c = ermes__calloc(1, sizeof(*c));
    int none = 0;

    if (!c)
        return MHD_NO;
    memset(&f, 0, sizeof(f));
    if (collection(req, c, 1, &ret) == 0) {
        if (ermes__param(req, 2, oid, sizeof(oid))) {
            ret = ermes__reply_error(req, 404, "not_found", NULL, "no such object");
        } else if (read_filters(req, &f, scratch, sizeof(scratch), 1, &ret) == 0) {
            f.ids[0] = oid;
            f.nids = 1;
            /* versions/: every version unless match[version] chose (TAXII 2.1 section 5.8). */
            if (kind == PAGE_VERSIONS && !ermes__query(req, "match[version]"))
                f.versions = ERMES__STIX_VERSION_ALL;
            ermes__sharing_group_filter(
                &c->g, c->sel, &req->viewer,
                ermes__sharing_group_grant(req->srv->store, &c->g, &req->viewer), &f, &none);
            ret = answer_page(req, &f, kind, none, oid, NULL, 0);
        }
        json_decref(c->sel);
    }
    ermes__free(c);
    return ret;
}

enum MHD_Result ermes__h_taxii_object(ermes__req_t *req)
{
    return object_route(req, PAGE_OBJECTS);
}

enum MHD_Result ermes__h_taxii_versions(ermes__req_t *req)
{
    return object_route(req, PAGE_VERSIONS);
}

enum MHD_Result ermes__h_taxii_object_delete(ermes__req_t *req)
{
    ermes__stix_filter_t f;
    enum MHD_Result ret;
    char scratch[4096], oid[300];
    coll_t *c = ermes__calloc(1, sizeof(*c));
    int64_t n = 0;
    int none = 0, rc;

    if (!c)
        return MHD_NO;
    memset(&f, 0, sizeof(f));
    if (collection(req, c, 3, &ret) == 0) {
        if (ermes__param(req, 2, oid, sizeof(oid))) {
            ret = ermes__reply_error(req, 404, "not_found", NULL, "no such object");
        } else if (read_filters(req, &f, scratch, sizeof(scratch), 1, &ret) == 0) {
            /* TAXII 2.1 section 5.7: every version unless match[version] says which. */
            if (!ermes__query(req, "match[version]"))
                f.versions = ERMES__STIX_VERSION_ALL;
            ermes__sharing_group_filter(
                &c->g, c->sel, &req->viewer,
                ermes__sharing_group_grant(req->srv->store, &c->g, &req->viewer), &f, &none);
            /* Only what was posted into this collection is this collection's to delete. */
            f.select_all = 0;
            rc = none ? 0 : ermes__store_stix_delete(req->srv->store, oid, &f, &n);
            if (rc)
                ret = ermes__reply_failure(req, rc, NULL);
            else if (!n)
                ret = ermes__reply_error(req, 404, "not_found", NULL, "no such object");
            else {
                char detail[400];
                snprintf(detail, sizeof(detail), "{\"collection\":\"%s\",\"versions\":%lld}",
                         c->cid, (long long)n);
                ermes__audit_write(req->srv->store, &req->viewer, "delete", "stix", oid, detail);
                ret = ermes__reply_empty(req, 200);
            }
        }
        json_decref(c->sel);
    }
    ermes__free(c);
    return ret;
}

/* ---- adding objects ------------------------------------------------------------------------- */

static json_t *status_details(json_t *list, const char *message)
{
    json_t *out = json_array(), *e;
    size_t i;

    json_array_foreach(list, i, e)
    {
        json_t *d =
            json_pack("{s:s?,s:s?,s:s}", "id", json_string_value(json_object_get(e, "id")),
                      "version", json_string_value(json_object_get(e, "version")), "message",
                      message ? message : json_string_value(json_object_get(e, "reason")));
        if (d)
            json_array_append_new(out, d);
    }
    return out;
}

enum MHD_Result ermes__h_taxii_add(ermes__req_t *req)
{
    const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    ermes__stix_import_opts_t o;
    ermes__stix_import_result_t res;
    enum MHD_Result ret;
    json_error_t err;
    json_t *body = NULL, *status = NULL;
    char sid[37], source[160], now[32], msg[160], *text;
    coll_t *c = ermes__calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return MHD_NO;
    ermes__stix_import_result_init(&res);
    if (collection(req, c, 2, &ret) != 0)
        goto out;
    if (!ermes__taxii_media_ok(ct, 0)) {
        ret = ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                 "objects come as " TAXII_MEDIA);
        goto out;
    }
    body = json_loadb(req->body.data ? req->body.data : "", req->body.len, JSON_REJECT_DUPLICATES,
                      &err);
    if (!body) {
        ret = ermes__reply_error(req, 400, "bad_request", NULL, "not JSON: %s", err.text);
        goto out;
    }
    /* TAXII 2.1 section 5.4: the body is an envelope; anything else cannot be processed. */
    if (!json_is_object(body) || !json_is_array(json_object_get(body, "objects")) ||
        json_object_get(body, "type")) {
        ret = ermes__reply_error(req, 422, "unprocessable", "objects",
                                 "the body is a TAXII envelope: {\"objects\": [...]}");
        goto out;
    }
    if (json_array_size(json_object_get(body, "objects")) > ERMES__STIX_BUNDLE_MAX) {
        ret = ermes__reply_error(req, 413, "payload_too_large", "objects",
                                 "at most %d objects in one request", ERMES__STIX_BUNDLE_MAX);
        goto out;
    }
    memset(&o, 0, sizeof(o));
    o.viewer = &req->viewer;
    /* Objects without a TLP marking are shared as the collection's TLP: whoever posts into a
     * GREEN community shares with that community. Those marked above it are refused. */
    o.default_tlp = c->g.max_tlp;
    o.max_tlp = c->g.max_tlp;
    snprintf(source, sizeof(source), "taxii:%s",
             req->viewer.user_name ? req->viewer.user_name : "");
    o.source = source;
    o.sharing_group_id = c->g.id;
    if (ermes__server_wl_ready(req->srv)) {
        ret = ermes__reply_error(req, 503, "unavailable", NULL,
                                 "the warninglists cannot be read (see the log): nothing was "
                                 "stored");
        goto out;
    }
    pthread_rwlock_rdlock(&req->srv->wl_lock);
    o.wls = req->srv->wl.active;
    o.nwl = req->srv->wl.nactive;
    rc = ermes__stix_import_objects(req->srv->store, json_object_get(body, "objects"), &o, &res);
    pthread_rwlock_unlock(&req->srv->wl_lock);
    if (rc) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    if (res.indicators) {
        ermes__sightings_refresh(req->srv->sightings, 0);
        ermes__hunter_kick(req->srv->hunter);
    }
    ermes__uuid4(sid);
    ermes__time_format(ermes__time_now_ms(), now);
    snprintf(msg, sizeof(msg), "added to collection %s", c->cid);
    status = json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:I,s:o,s:I,s:[]}", "id", sid, "status",
                       "complete", "request_timestamp", now, "total_count", (json_int_t)res.total,
                       "success_count", (json_int_t)json_array_size(res.successes), "successes",
                       status_details(res.successes, msg), "failure_count", (json_int_t)res.failed,
                       "failures", status_details(res.failures, NULL), "pending_count",
                       (json_int_t)0, "pendings");
    text = status ? json_dumps(status, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!text) {
        ret = MHD_NO;
        goto out;
    }
    rc = ermes__store_taxii_status_put(req->srv->store, sid, c->g.id, text, req->viewer.org_id);
    free(text);
    if (rc) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    {
        char detail[200];
        snprintf(detail, sizeof(detail), "{\"total\":%zu,\"stored\":%zu,\"failed\":%zu}", res.total,
                 res.stored, res.failed);
        ermes__audit_write(req->srv->store, &req->viewer, "import", "stix", c->cid, detail);
    }
    ret = reply_taxii(req, 202, status);
    status = NULL;
out:
    json_decref(status);
    json_decref(body);
    if (c->sel)
        json_decref(c->sel);
    ermes__stix_import_result_cleanup(&res);
    ermes__free(c);
    return ret;
}
