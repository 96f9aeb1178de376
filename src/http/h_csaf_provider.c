/* The CSAF provider's public part, served by the daemon (issue 13, item 3, in part): the
 * published TLP:CLEAR (CSAF 2.0: WHITE) advisories under /.well-known/csaf/ in the directory
 * layout of CSAF 2.0 section 7.1.11 to 7.1.13 (YYYY/<file name>.json, with .sha256 and .sha512,
 * index.txt, changes.csv) and the provider metadata (7.1.7), without authentication. Every
 * access is logged; /.well-known/security.txt (RFC 9116) names the metadata. Not yet served:
 * OpenPGP signatures (.asc), ROLIE feeds, the documents of other TLPs; the metadata's role is
 * therefore csaf_publisher. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/advisory.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/number.h"
#include "core/sha256.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "http/http.h"

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

typedef struct pub_ctx {
    ermes__strbuf_t *out;
    int csv;
    int rc;
} pub_ctx_t;

/* Only what is public: published at least once, TLP:CLEAR. */
static int is_public(const ermes__advisory_t *a)
{
    return a->revision > 0 && a->tlp == ERMES_TLP_CLEAR;
}

static int line_cb(void *ctx, const ermes__advisory_t *a)
{
    pub_ctx_t *c = ctx;
    char name[ERMES_ADVISORY_ID_MAX + 8], when[40];

    if (!is_public(a))
        return 0;
    file_name(a->tracking_id, name, sizeof(name));
    if (c->csv) {
        when[ermes__time_format(a->published_at - a->published_at % 1000, when)] = '\0';
        return ermes__strbuf_addf(c->out, "\"%lld/%s\",\"%s\"\n",
                                  (long long)year_of(a->initial_release_at), name, when);
    }
    return ermes__strbuf_addf(c->out, "%lld/%s\n", (long long)year_of(a->initial_release_at), name);
}

static enum MHD_Result reply_list(ermes__req_t *req, int csv)
{
    ermes__strbuf_t out;
    pub_ctx_t c = {&out, csv, 0};
    int rc;

    ermes__strbuf_init(&out, 64u << 20);
    /* Newest first: changes.csv is sorted by time, descending (7.1.13). */
    if ((rc = ermes__store_advisory_each(req->srv->store, "published", line_cb, &c))) {
        ermes__strbuf_cleanup(&out);
        return ermes__reply_failure(req, rc, NULL);
    }
    ermes__log(ERMES_LOG_INFO, "csaf provider: %s %s from %s", req->method, req->url, req->remote);
    {
        size_t n = 0;
        char *text = ermes__strbuf_take(&out, &n);
        if (!text)
            return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
        return ermes__reply_owned(req, 200, csv ? "text/csv" : "text/plain", text, n);
    }
}

enum MHD_Result ermes__h_csaf_index(ermes__req_t *req)
{
    return reply_list(req, 0);
}

enum MHD_Result ermes__h_csaf_changes(ermes__req_t *req)
{
    return reply_list(req, 1);
}

enum MHD_Result ermes__h_csaf_provider_metadata(ermes__req_t *req)
{
    char base[512], url[600], dir[600], ns[512], now[40];
    const char *name = req->srv->cfg->csaf_publisher_name;
    const char *namespace = req->srv->cfg->csaf_publisher_namespace;
    json_t *j;

    base_url(req, base, sizeof(base));
    snprintf(url, sizeof(url), "%s/.well-known/csaf/provider-metadata.json", base);
    snprintf(dir, sizeof(dir), "%s/.well-known/csaf/", base);
    snprintf(ns, sizeof(ns), "%s", namespace && *namespace ? namespace : base);
    now[ermes__time_format(ermes__time_now_ms() / 1000 * 1000, now)] = '\0';
    j = json_pack("{s:s,s:[{s:s}],s:s,s:b,s:s,s:b,s:{s:s,s:s,s:s},s:s}", "canonical_url", url,
                  "distributions", "directory_url", dir, "last_updated", now,
                  "list_on_CSAF_aggregators", 1, "metadata_version", "2.0",
                  "mirror_on_CSAF_aggregators", 1, "publisher", "category", "coordinator", "name",
                  name && *name ? name : "ermes", "namespace", ns, "role", "csaf_publisher");
    ermes__log(ERMES_LOG_INFO, "csaf provider: %s %s from %s", req->method, req->url, req->remote);
    return ermes__reply_json(req, 200, j);
}

typedef struct find_ctx {
    const char *want; /* the file name asked for, without .sha256/.sha512 */
    int64_t year;
    int64_t id;
} find_ctx_t;

static int find_cb(void *ctx, const ermes__advisory_t *a)
{
    find_ctx_t *c = ctx;
    char name[ERMES_ADVISORY_ID_MAX + 8];

    if (!is_public(a) || year_of(a->initial_release_at) != c->year)
        return 0;
    file_name(a->tracking_id, name, sizeof(name));
    if (strcmp(name, c->want) != 0)
        return 0;
    c->id = a->id;
    return 1;
}

enum MHD_Result ermes__h_csaf_file(ermes__req_t *req)
{
    char year[16], name[ERMES_ADVISORY_ID_MAX + 16], ref[32], hex[129], *body = NULL;
    find_ctx_t c = {name, 0, 0};
    ermes__advisory_t a;
    size_t n;
    int kind = 0, rc; /* 0 the document, 256 or 512 its hash */

    if (ermes__param(req, 0, year, sizeof(year)) || ermes__param(req, 1, name, sizeof(name)) ||
        ermes__parse_int64(year, "year", 1000, 9999, &c.year, NULL))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such document");
    n = strlen(name);
    if (n > 7 && strcmp(name + n - 7, ".sha256") == 0)
        kind = 256, name[n - 7] = '\0';
    else if (n > 7 && strcmp(name + n - 7, ".sha512") == 0)
        kind = 512, name[n - 7] = '\0';
    ermes__log(ERMES_LOG_INFO, "csaf provider: %s %s from %s", req->method, req->url, req->remote);
    rc = ermes__store_advisory_each(req->srv->store, "published", find_cb, &c);
    if (rc < 0)
        return ermes__reply_failure(req, rc, NULL);
    if (!c.id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such document");
    snprintf(ref, sizeof(ref), "%lld", (long long)c.id);
    if ((rc = ermes__store_advisory_get(req->srv->store, ref, &a)))
        return ermes__reply_failure(req, rc, NULL);
    if (!a.published_document) {
        ermes__advisory_cleanup(&a);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such document");
    }
    n = strlen(a.published_document);
    if (kind == 0) {
        body = a.published_document;
        a.published_document = NULL;
        ermes__advisory_cleanup(&a);
        return ermes__reply_owned(req, 200, "application/json", body, n);
    }
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
