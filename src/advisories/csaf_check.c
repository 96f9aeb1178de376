/* `ermes csaf check URL`: a CSAF provider judged against the requirements 1 to 23 of CSAF 2.0
 * section 7.1, for the role its provider-metadata.json claims (section 7.2), over the network
 * with libcurl. Every file fetched has a size limit (ERMES_CSAF_MAX_DOCUMENT for documents,
 * ERMES_CSAF_CHECK_LIST_MAX for the rest) and a time limit; at most max_documents documents are
 * fetched. Nothing is written but a temporary OpenPGP keyring for the provider's public keys
 * (removed at the end), so the check can run against anyone.
 *
 * What cannot be checked from here is said so rather than guessed: requirement 10 (the DNS
 * path) for an address or localhost, 21 to 23 for a provider (they are a lister's and an
 * aggregator's), 5's "different path" (only that no TLP:AMBER or RED document is readable
 * without authentication is checked). Requirement 6 (no redirects) is a SHOULD in the
 * specification; ermes reports every redirect it met as a failure, as the brief asks. */
#define _GNU_SOURCE /* nftw */
#include "advisories/csaf_check.h"

#include <curl/curl.h>
#include <ftw.h>
#include <gpgme.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "advisories/advisory.h"
#include "advisories/jsonschema.h"
#include "core/alloc.h"
#include "core/sha256.h"
#include "core/time.h"
#include "core/url.h"
#include "ermes/csaf.h"

extern const unsigned char ermes__csaf_provider_schema[], ermes__csaf_schema[];
extern const size_t ermes__csaf_provider_schema_len, ermes__csaf_schema_len;

#define REASONS_MAX 40 /* reasons listed per requirement; the rest are counted */

static const char *const titles[ERMES_CSAF_REQUIREMENTS + 1] = {
    "",
    "Valid CSAF document",
    "Filename",
    "Usage of TLS",
    "TLP:WHITE",
    "TLP:AMBER and TLP:RED",
    "Redirects",
    "provider-metadata.json",
    "security.txt",
    "Well-known URL for provider-metadata.json",
    "DNS path",
    "One folder per year",
    "index.txt",
    "changes.csv",
    "Directory listings",
    "ROLIE feed",
    "ROLIE service document",
    "ROLIE category document",
    "Integrity",
    "Signatures",
    "Public OpenPGP Key",
    "List of CSAF providers",
    "Two disjoint issuing parties",
    "Mirror",
};

const char *ermes__csaf_requirement_title(int n)
{
    return n >= 1 && n <= ERMES_CSAF_REQUIREMENTS ? titles[n] : "";
}

/* ---- the provider metadata schema, compiled once ---- */

static ermes__jschema_t *provider_schema;
static int provider_rc = ERMES_EINTERNAL;
static pthread_once_t provider_once = PTHREAD_ONCE_INIT;
static ermes_diag_t provider_diag;

static void provider_init(void)
{
    json_t *root = json_loadb((const char *)ermes__csaf_provider_schema,
                              ermes__csaf_provider_schema_len, 0, NULL);
    /* the metadata's publisher is the CSAF schema's, by reference */
    json_t *csaf = json_loadb((const char *)ermes__csaf_schema, ermes__csaf_schema_len, 0, NULL);
    static const char *const names[1] = {
        "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"};

    ermes_diag_clear(&provider_diag);
    if (root && csaf)
        provider_rc =
            ermes__jschema_compile(root, &csaf, names, 1, 0, &provider_schema, &provider_diag);
    json_decref(csaf);
    json_decref(root);
}

/* ---- state of one check ---- */

typedef struct doc {
    char *url;
    char *sha256, *sha512, *signature; /* from a ROLIE entry, or NULL: url + ".sha256" ... */
    char feed_tlp[16];                 /* the label of the feed that listed it, "" */
    char *dir_path;                    /* "2022/x.json" when listed by the directory */
    char *stamp;                       /* the ROLIE entry's updated or changes.csv date, or NULL */
} doc_t;

typedef struct check {
    const ermes__csaf_check_options_t *o;
    ermes__csaf_check_t *out;
    long listed[ERMES_CSAF_REQUIREMENTS + 1]; /* reasons beyond REASONS_MAX */
    doc_t *docs;
    size_t ndocs, cap;
    char origin[512]; /* scheme://host[:port] */
    char host[256];
    json_t *metadata;
    json_t *changes; /* {document URL: date of its changes.csv line (ms)} */
    gpgme_ctx_t gpg;
    char gnupghome[64];
    char **fprs; /* the metadata's key fingerprints, upper case */
    size_t nfprs;
    int keys_loaded;
    int rc;             /* ERMES_ENOMEM once a reason could not be kept */
    int in_doc;         /* a document is being checked: its failures refuse its import */
    char refused[1200]; /* the first reason the document being checked failed, "" */
} check_t;

__attribute__((format(printf, 4, 0))) static void vreason(check_t *k, int n, int fail,
                                                          const char *fmt, va_list ap)
{
    ermes__csaf_requirement_t *r = &k->out->req[n];
    char buf[1200];

    if (fail)
        r->status = ERMES_CSAF_FAIL;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    /* What makes a document untrustworthy or unreadable (not where the provider put it, nor
     * whether it was served over TLS) refuses its import. */
    if (fail && k->in_doc && !k->refused[0] && (n == 1 || n == 4 || n == 18 || n == 19))
        snprintf(k->refused, sizeof(k->refused), "%s", buf);
    if (json_array_size(r->reasons) >= REASONS_MAX) {
        k->listed[n]++;
        return;
    }
    if (json_array_append_new(r->reasons, json_string(buf)))
        k->rc = ERMES_ENOMEM;
}

/* Requirement n fails, for the reason given. */
static void __attribute__((format(printf, 3, 4))) fail(check_t *k, int n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreason(k, n, 1, fmt, ap);
    va_end(ap);
}

/* A remark about requirement n that does not change its status. */
static void __attribute__((format(printf, 3, 4))) note(check_t *k, int n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreason(k, n, 0, fmt, ap);
    va_end(ap);
}

static void set_na(check_t *k, int n, const char *why)
{
    k->out->req[n].status = ERMES_CSAF_NA;
    json_array_clear(k->out->req[n].reasons);
    k->listed[n] = 0;
    note(k, n, "%s", why);
}

/* ---- fetching ---- */

typedef struct resp {
    long status;
    long redirects;
    char *body;
    size_t len, max, cap;
    int toobig;
    char error[CURL_ERROR_SIZE];
    char *final_url;
    int authenticated; /* the last hop carried the credentials */
} resp_t;

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
    resp_t *r = ctx;
    size_t n = size * nmemb;
    char *q;

    if (r->len + n > r->max) {
        r->toobig = 1;
        return 0;
    }
    /* grown geometrically: a document of 16 MiB arrives in thousands of pieces */
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 16384;
        while (cap < r->len + n + 1)
            cap *= 2;
        if (!(q = ermes__realloc(r->body, cap)))
            return 0;
        r->body = q;
        r->cap = cap;
    }
    memcpy(r->body + r->len, p, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static void resp_cleanup(resp_t *r)
{
    ermes__free(r->body);
    ermes__free(r->final_url);
    memset(r, 0, sizeof(*r));
}

/* 1 when a request of url carries the credentials: its origin is theirs. */
static int credentials_for(const check_t *k, const char *url)
{
    char o[512];

    return k->o->cred_origin && k->o->cred_origin[0] &&
           ermes__url_origin(NULL, url, o, sizeof(o)) == 0 && strcmp(o, k->o->cred_origin) == 0;
}

/* GETs url (at most max bytes), following up to 5 redirects, which it reports under
 * requirement 6; a URL that is not https is reported under requirement 3. The redirects are
 * followed here, one request per hop, so that the credentials (o->cred_*) go with a hop only
 * when its own URL is of their origin: a Location on another host, port or scheme gets a
 * request without them (libcurl would send custom headers and the client certificate on).
 * r->authenticated says whether the last hop carried them. Returns 0 when a response came
 * (any status), ERMES_EIO otherwise (r->error says why). */
static int get(check_t *k, const char *url, size_t max, resp_t *r)
{
    CURL *c;
    CURLcode cc = CURLE_OK;
    char *eff = NULL, *cur = NULL;
    struct curl_slist *hdrs = NULL;

    memset(r, 0, sizeof(*r));
    r->max = max;
    if (strncasecmp(url, "https://", 8) != 0)
        fail(k, 3, "%s is not fetched over HTTPS", url);
    for (size_t i = 0; i < k->o->ncred_headers; i++) {
        struct curl_slist *h = curl_slist_append(hdrs, k->o->cred_headers[i]);
        if (!h) {
            curl_slist_free_all(hdrs);
            return ERMES_ENOMEM;
        }
        hdrs = h;
    }
    if (!(c = curl_easy_init()) || !(cur = ermes__strdup(url))) {
        if (c)
            curl_easy_cleanup(c);
        curl_slist_free_all(hdrs);
        return ERMES_ENOMEM;
    }
    for (;;) {
        char *next = NULL;
        int creds = credentials_for(k, cur);
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, cur);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, k->o->timeout_s < 30 ? k->o->timeout_s : 30L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, k->o->timeout_s);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "ermes-csaf-check/" ERMES_VERSION);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->error);
        if (k->o->cacert)
            curl_easy_setopt(c, CURLOPT_CAINFO, k->o->cacert);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        r->authenticated = creds;
        if (creds) {
            if (hdrs)
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
            if (k->o->cred_cert && k->o->cred_cert[0]) {
                struct curl_blob cb = {(void *)k->o->cred_cert, strlen(k->o->cred_cert),
                                       CURL_BLOB_COPY};
                curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cb);
                curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
            }
            if (k->o->cred_key && k->o->cred_key[0]) {
                struct curl_blob kb = {(void *)k->o->cred_key, strlen(k->o->cred_key),
                                       CURL_BLOB_COPY};
                curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &kb);
                curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
            }
        }
        r->len = 0;
        r->toobig = 0;
        r->status = 0;
        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        if (cc != CURLE_OK || r->status < 300 || r->status >= 400)
            break;
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
        if (!next)
            break;
        if (r->redirects >= 5) {
            snprintf(r->error, sizeof(r->error), "more than 5 redirects");
            cc = CURLE_TOO_MANY_REDIRECTS;
            break;
        }
        if (strncasecmp(next, "https://", 8) && strncasecmp(next, "http://", 7)) {
            snprintf(r->error, sizeof(r->error), "a redirect to another scheme than http(s)");
            cc = CURLE_UNSUPPORTED_PROTOCOL;
            break;
        }
        r->redirects++;
        ermes__free(cur);
        if (!(cur = ermes__strdup(next))) {
            cc = CURLE_OUT_OF_MEMORY;
            break;
        }
    }
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
    if (eff)
        r->final_url = ermes__strdup(eff);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    ermes__free(cur);
    if (r->redirects > 0)
        fail(k, 6, "%s redirects to %s", url, r->final_url ? r->final_url : "?");
    if (r->final_url && strncasecmp(r->final_url, "https://", 8) != 0 &&
        strncasecmp(url, "https://", 8) == 0)
        fail(k, 3, "%s redirects to %s, which is not HTTPS", url, r->final_url);
    if (r->toobig) {
        snprintf(r->error, sizeof(r->error), "larger than %zu bytes", max);
        return ERMES_EIO;
    }
    if (cc != CURLE_OK) {
        if (!r->error[0])
            snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(cc));
        return ERMES_EIO;
    }
    if (!r->body && !(r->body = ermes__strdup("")))
        return ERMES_ENOMEM;
    if (r->body)
        r->body[r->len] = '\0';
    return 0;
}

/* 1 when url lies in a distribution for TLP:GREEN, AMBER or RED by its path (".../green/...",
 * as providers lay them out): one a provider protects (7.1.5), which a check without
 * credentials cannot read. */
static int protected_url(const char *url)
{
    static const char *const labels[] = {"green", "amber", "red"};
    const char *p = strstr(url, "://");

    p = p ? strchr(p + 3, '/') : NULL;
    for (; p && *p; p = strchr(p + 1, '/'))
        for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
            size_t n = strlen(labels[i]);
            if (strncasecmp(p + 1, labels[i], n) == 0 &&
                (p[1 + n] == '/' || p[1 + n] == '\0' || p[1 + n] == '?'))
                return 1;
        }
    return 0;
}

/* A 200 response of url, or a reason (for requirement n) and nonzero. A listing or feed of a
 * protected distribution (7.1.12 to 7.1.17) that asks for credentials is noted as not checked,
 * not failed: the spec wants it protected. */
static int get_ok(check_t *k, int n, const char *url, size_t max, resp_t *r)
{
    if (get(k, url, max, r)) {
        fail(k, n, "%s: %s", url, r->error);
        return -1;
    }
    if ((r->status == 401 || r->status == 403) && n >= 12 && n <= 17 && protected_url(url)) {
        if (r->authenticated)
            note(k, n, "%s: HTTP status %ld with the credentials set for %s", url, r->status,
                 k->o->cred_origin);
        else
            note(k, n, "%s: access-protected (HTTP status %ld): not checked without credentials",
                 url, r->status);
        if (k->o->skipped) {
            char why[700];
            if (r->authenticated)
                snprintf(why, sizeof(why),
                         "HTTP status %ld: the provider refused the credentials "
                         "set for %s",
                         r->status, k->o->cred_origin);
            else {
                char origin[512];
                if (ermes__url_origin(NULL, url, origin, sizeof(origin)))
                    snprintf(origin, sizeof(origin), "?");
                snprintf(why, sizeof(why),
                         "HTTP status %ld: access-protected, and no credentials "
                         "are set for its origin %s (ermes csaf credentials set)",
                         r->status, origin);
            }
            k->o->skipped(k->o->ctx, url, why);
        }
        return -1;
    }
    if (r->status != 200) {
        fail(k, n, "%s: HTTP status %ld", url, r->status);
        return -1;
    }
    return 0;
}

/* base resolved against rel (absolute or relative) into a new string, or NULL. */
static char *resolve(const char *base, const char *rel)
{
    CURLU *u = curl_url();
    char *s = NULL, *out = NULL;

    if (!u)
        return NULL;
    if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, rel, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = ermes__strdup(s);
    curl_free(s);
    curl_url_cleanup(u);
    return out;
}

/* ---- documents ---- */

static doc_t *doc_add(check_t *k, const char *url)
{
    for (size_t i = 0; i < k->ndocs; i++)
        if (strcmp(k->docs[i].url, url) == 0)
            return &k->docs[i];
    if (k->ndocs == k->cap) {
        size_t c = k->cap ? k->cap * 2 : 64;
        doc_t *p = ermes__reallocarray(k->docs, c, sizeof(*p));
        if (!p)
            return NULL;
        k->docs = p;
        k->cap = c;
    }
    memset(&k->docs[k->ndocs], 0, sizeof(doc_t));
    if (!(k->docs[k->ndocs].url = ermes__strdup(url)))
        return NULL;
    return &k->docs[k->ndocs++];
}

/* The file name of section 5.1 for a tracking id. */
static void file_name(const char *id, char *out, size_t cap)
{
    size_t o = 0;

    for (const char *p = id; *p && o + 6 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[o++] =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ? c : '_';
    }
    memcpy(out + o, ".json", 6);
}

static const char *jstr(const json_t *o, const char *path)
{
    /* path: keys separated by '/' */
    char key[64];
    const char *p = path;

    while (o && *p) {
        size_t n = strcspn(p, "/");
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        o = json_object_get(o, key);
        p += n;
        if (*p == '/')
            p++;
    }
    return json_string_value(o);
}

static void hex_of(const unsigned char *h, size_t n, char *out)
{
    static const char x[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = x[h[i] >> 4];
        out[2 * i + 1] = x[h[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Requirement 18 for one document: its .sha256 and .sha512 files match. */
static void check_hashes(check_t *k, const doc_t *doc, const char *body, size_t len)
{
    char want[129], have[129], *u256 = NULL, *u512 = NULL;
    int found = 0;
    resp_t r;

    if (!(u256 = doc->sha256 ? ermes__strdup(doc->sha256) : NULL)) {
        size_t n = strlen(doc->url) + 8;
        if ((u256 = ermes__malloc(n)))
            snprintf(u256, n, "%s.sha256", doc->url);
    }
    if (!(u512 = doc->sha512 ? ermes__strdup(doc->sha512) : NULL)) {
        size_t n = strlen(doc->url) + 8;
        if ((u512 = ermes__malloc(n)))
            snprintf(u512, n, "%s.sha512", doc->url);
    }
    if (!u256 || !u512) {
        k->rc = ERMES_ENOMEM;
        goto out;
    }
    if (get(k, u256, 4096, &r) == 0 && r.status == 200) {
        ermes__sha256_t *h = ermes__sha256_new();
        found++;
        if (!h) {
            k->rc = ERMES_ENOMEM;
        } else if (ermes__csaf_hash_file_read(r.body, r.len, 64, want)) {
            fail(k, 18, "%s does not begin with a SHA-256 digest", u256);
        } else {
            ermes__sha256_update(h, body, len);
            ermes__sha256_final(h, have); /* frees h */
            h = NULL;
            if (strcmp(want, have) != 0)
                fail(k, 18, "%s: the SHA-256 digest does not match %s", doc->url, u256);
        }
        ermes__sha256_free(h);
    }
    resp_cleanup(&r);
    if (get(k, u512, 4096, &r) == 0 && r.status == 200) {
        unsigned char h[crypto_hash_sha512_BYTES];
        found++;
        if (ermes__csaf_hash_file_read(r.body, r.len, 128, want)) {
            fail(k, 18, "%s does not begin with a SHA-512 digest", u512);
        } else {
            crypto_hash_sha512(h, (const unsigned char *)body, len);
            hex_of(h, sizeof(h), have);
            if (strcmp(want, have) != 0)
                fail(k, 18, "%s: the SHA-512 digest does not match %s", doc->url, u512);
        }
    }
    resp_cleanup(&r);
    if (!found)
        fail(k, 18, "%s: neither %s nor %s can be read", doc->url, u256, u512);
out:
    ermes__free(u256);
    ermes__free(u512);
}

/* Requirement 19 for one document: its .asc is a good signature by a key of the metadata. */
static void check_signature(check_t *k, const doc_t *doc, const char *body, size_t len)
{
    char *url = doc->signature ? ermes__strdup(doc->signature) : NULL;
    gpgme_data_t sig = NULL, txt = NULL;
    gpgme_verify_result_t vr;
    resp_t r;
    int good = 0;

    memset(&r, 0, sizeof(r));
    if (!url) {
        size_t n = strlen(doc->url) + 8;
        if (!(url = ermes__malloc(n))) {
            k->rc = ERMES_ENOMEM;
            return;
        }
        snprintf(url, n, "%s.asc", doc->url);
    }
    if (get_ok(k, 19, url, 1024 * 1024, &r))
        goto out;
    if (!k->gpg) {
        fail(k, 19, "%s: no key of the metadata could be read to verify it", url);
        goto out;
    }
    if (gpgme_data_new_from_mem(&sig, r.body, r.len, 0) ||
        gpgme_data_new_from_mem(&txt, body, len, 0)) {
        k->rc = ERMES_ENOMEM;
        goto out;
    }
    if (gpgme_op_verify(k->gpg, sig, txt, NULL) || !(vr = gpgme_op_verify_result(k->gpg)) ||
        !vr->signatures) {
        fail(k, 19, "%s is not an OpenPGP signature", url);
        goto out;
    }
    for (gpgme_signature_t s = vr->signatures; s; s = s->next) {
        gpgme_key_t key = NULL;
        if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR || !s->fpr)
            continue;
        /* the signature may name a signing subkey: the metadata names the primary key */
        if (gpgme_get_key(k->gpg, s->fpr, &key, 0) == 0 && key && key->subkeys) {
            for (size_t i = 0; i < k->nfprs; i++)
                if (strcasecmp(key->subkeys->fpr, k->fprs[i]) == 0)
                    good = 1;
        }
        gpgme_key_unref(key);
    }
    if (!good)
        fail(k, 19, "%s: %s is not a good signature of it by a key the metadata names", doc->url,
             url);
out:
    gpgme_data_release(sig);
    gpgme_data_release(txt);
    resp_cleanup(&r);
    ermes__free(url);
}

static int year_folder_ok(const char *path, const char *initial)
{
    return initial && strlen(initial) >= 4 && strlen(path) > 5 && memcmp(path, initial, 4) == 0 &&
           path[4] == '/' && !strchr(path + 5, '/');
}

/* Requirements 1, 2, 4, 5, 11, 18, 19 for one document. Keeps its current_release_date (for
 * 13) in *current (caller frees) and its TLP label in tlp. */
static void check_document(check_t *k, doc_t *doc, char **current, char *tlp, size_t tlpcap)
{
    resp_t r;
    ermes_csaf_result_t res;
    ermes_diag_t d;
    json_t *j = NULL;
    const char *id, *label, *slash;
    char want[300];

    *current = NULL;
    tlp[0] = '\0';
    k->out->documents++;
    k->in_doc = 1;
    k->refused[0] = '\0';
    if (get(k, doc->url, ERMES_CSAF_MAX_DOCUMENT, &r)) {
        fail(k, 1, "%s: %s", doc->url, r.error);
        goto out;
    }
    if (r.status != 200) {
        /* a feed's label says what it should be; a document not read is requirement 4's
         * business when it is TLP:WHITE, nobody's when it is AMBER or RED */
        if (r.authenticated)
            fail(k, 1, "%s: HTTP status %ld with the credentials set for %s", doc->url, r.status,
                 k->o->cred_origin);
        else if (!strcmp(doc->feed_tlp, "AMBER") || !strcmp(doc->feed_tlp, "RED"))
            note(k, 5, "%s: HTTP status %ld without authentication", doc->url, r.status);
        else
            fail(k, 4, "%s: HTTP status %ld without authentication", doc->url, r.status);
        goto out;
    }
    ermes_diag_clear(&d);
    if (ermes_csaf_validate(r.body, r.len, &res, &d)) {
        fail(k, 1, "%s: %s", doc->url, d.reason[0] ? d.reason : "not JSON");
        goto out;
    }
    if (!res.valid) {
        for (size_t i = 0; i < res.listed; i++)
            if (strcmp(res.failed[i].group, "mandatory") == 0) {
                fail(k, 1, "%s: fails %s at %s: %s", doc->url, res.failed[i].test,
                     res.failed[i].path[0] ? res.failed[i].path : "/", res.failed[i].message);
                break;
            }
    }
    ermes_csaf_result_cleanup(&res);
    if (!(j = json_loadb(r.body, r.len, 0, NULL)))
        goto out;
    id = jstr(j, "document/tracking/id");
    label = jstr(j, "document/distribution/tlp/label");
    snprintf(tlp, tlpcap, "%s", label ? label : "UNLABELED");
    if (jstr(j, "document/tracking/current_release_date"))
        *current = ermes__strdup(jstr(j, "document/tracking/current_release_date"));
    /* 2: the file name from the tracking id */
    slash = strrchr(doc->url, '/');
    if (id) {
        file_name(id, want, sizeof(want));
        if (!slash || strcmp(slash + 1, want) != 0)
            fail(k, 2, "%s: the file name should be %s (tracking id %s)", doc->url, want, id);
    }
    /* 4 and 5: what was read without authentication */
    if (label && (!strcmp(label, "AMBER") || !strcmp(label, "RED")) && !r.authenticated)
        fail(k, 5, "%s is TLP:%s and was read without authentication", doc->url, label);
    if (doc->feed_tlp[0] && strcmp(doc->feed_tlp, tlp) != 0)
        fail(k, 15, "%s is TLP:%s but listed in a feed of TLP:%s", doc->url, tlp, doc->feed_tlp);
    /* 11: the folder of its initial release year */
    if (doc->dir_path &&
        !year_folder_ok(doc->dir_path, jstr(j, "document/tracking/initial_release_date")))
        fail(k, 11, "%s is not in the folder of the year of its initial_release_date (%s)",
             doc->url,
             jstr(j, "document/tracking/initial_release_date")
                 ? jstr(j, "document/tracking/initial_release_date")
                 : "none");
    check_hashes(k, doc, r.body, r.len);
    check_signature(k, doc, r.body, r.len);
out:
    k->in_doc = 0;
    if (k->o->document && !k->rc) {
        int rc;
        if (!k->refused[0] && (!r.body || r.status != 200))
            snprintf(k->refused, sizeof(k->refused), "%s: not read", doc->url);
        rc = k->o->document(k->o->ctx, doc->url, doc->stamp ? doc->stamp : "",
                            k->refused[0] ? NULL : r.body, k->refused[0] ? 0 : r.len,
                            k->refused[0] ? k->refused : NULL);
        if (rc)
            k->rc = rc;
    }
    json_decref(j);
    resp_cleanup(&r);
}

/* ---- OpenPGP keys (requirement 20) ---- */

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

/* The expiry of the key fpr just imported: an expired key fails requirement 20 (its
 * signatures can no longer be trusted as current); one expiring within
 * ERMES_CSAF_KEY_WARN_DAYS days passes with a warning; otherwise its expiry is noted. */
static void key_expiry(check_t *k, const char *fpr)
{
    gpgme_key_t key = NULL;
    int64_t expires, now = ermes__time_now_ms();
    char when[ERMES_TIME_STRLEN];

    if (gpgme_get_key(k->gpg, fpr, &key, 0) || !key)
        return;
    expires = ermes__csaf_key_expiry_of(key);
    gpgme_key_unref(key);
    if (!expires) {
        note(k, 20, "the key %s does not expire", fpr);
        return;
    }
    ermes__time_format(expires, when);
    if (expires <= now)
        fail(k, 20, "the key %s expired on %s", fpr, when);
    else if (expires - now <= (int64_t)ERMES_CSAF_KEY_WARN_DAYS * 86400 * 1000)
        note(k, 20, "warning: the key %s expires on %s, in %lld day(s)", fpr, when,
             (long long)((expires - now) / (86400 * 1000LL)));
    else
        note(k, 20, "the key %s expires on %s", fpr, when);
}

static void check_keys(check_t *k)
{
    json_t *keys = json_object_get(k->metadata, "public_openpgp_keys"), *key;
    const char *tmp = getenv("TMPDIR");
    size_t i;

    if (!json_array_size(keys)) {
        fail(k, 20, "the metadata lists no public_openpgp_keys");
        return;
    }
    gpgme_check_version(NULL);
    snprintf(k->gnupghome, sizeof(k->gnupghome), "%.40s/ermes-check-XXXXXX",
             tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(k->gnupghome)) {
        k->gnupghome[0] = '\0';
        fail(k, 20, "cannot make a temporary keyring");
        return;
    }
    if (gpgme_new(&k->gpg) || gpgme_set_protocol(k->gpg, GPGME_PROTOCOL_OpenPGP) ||
        gpgme_ctx_set_engine_info(k->gpg, GPGME_PROTOCOL_OpenPGP, NULL, k->gnupghome)) {
        fail(k, 20, "gpgme cannot be used");
        if (k->gpg)
            gpgme_release(k->gpg);
        k->gpg = NULL;
        return;
    }
    if (!(k->fprs = ermes__calloc(json_array_size(keys), sizeof(char *)))) {
        k->rc = ERMES_ENOMEM;
        return;
    }
    json_array_foreach(keys, i, key)
    {
        const char *fpr = json_string_value(json_object_get(key, "fingerprint"));
        const char *url = json_string_value(json_object_get(key, "url"));
        gpgme_data_t kd = NULL;
        gpgme_import_result_t ir;
        int matched = 0;
        resp_t r;
        char *abs;

        if (!url) {
            fail(k, 20, "public_openpgp_keys/%zu has no url", i);
            continue;
        }
        if (!fpr)
            fail(k, 20, "public_openpgp_keys/%zu has no fingerprint", i);
        else if (!(k->fprs[k->nfprs++] = ermes__strdup(fpr)))
            k->rc = ERMES_ENOMEM;
        if (!(abs = resolve(k->out->metadata_url, url))) {
            fail(k, 20, "%s is not a URL", url);
            continue;
        }
        if (get_ok(k, 20, abs, 1024 * 1024, &r) == 0) {
            if (gpgme_data_new_from_mem(&kd, r.body, r.len, 0) == 0 &&
                gpgme_op_import(k->gpg, kd) == 0 && (ir = gpgme_op_import_result(k->gpg))) {
                for (gpgme_import_status_t s = ir->imports; s; s = s->next)
                    if (s->fpr && fpr && strcasecmp(s->fpr, fpr) == 0)
                        matched = 1;
                if (!ir->imports)
                    fail(k, 20, "%s holds no OpenPGP key", abs);
                else if (!matched && fpr)
                    fail(k, 20, "%s does not hold the key %s the metadata names", abs, fpr);
                else if (matched) {
                    k->keys_loaded++;
                    key_expiry(k, fpr);
                }
            } else {
                fail(k, 20, "%s cannot be read as an OpenPGP key", abs);
            }
            gpgme_data_release(kd);
        }
        resp_cleanup(&r);
        ermes__free(abs);
    }
    if (k->out->req[20].status == ERMES_CSAF_PASS)
        note(k, 20, "%d key(s) read, fingerprints match the metadata", k->keys_loaded);
}

/* ---- distributions ---- */

static void check_directory(check_t *k, const char *dir_url)
{
    char url[1200], **index = NULL;
    ermes__csaf_change_t *changes = NULL;
    size_t nindex = 0, nchanges = 0;
    resp_t r;
    ermes_diag_t d;
    int have_index = 0, have_changes = 0;

    snprintf(url, sizeof(url), "%s/index.txt", dir_url);
    if (get_ok(k, 12, url, ERMES_CSAF_CHECK_LIST_MAX, &r) == 0) {
        ermes_diag_clear(&d);
        if (ermes__csaf_index_read(r.body, r.len, &index, &nindex, &d))
            fail(k, 12, "%s: %s", url, d.reason);
        else
            have_index = 1;
    }
    resp_cleanup(&r);
    snprintf(url, sizeof(url), "%s/changes.csv", dir_url);
    if (get_ok(k, 13, url, ERMES_CSAF_CHECK_LIST_MAX, &r) == 0) {
        ermes_diag_clear(&d);
        if (ermes__csaf_changes_read(r.body, r.len, &changes, &nchanges, &d))
            fail(k, 13, "%s: %s", url, d.reason);
        else
            have_changes = 1;
    }
    resp_cleanup(&r);
    /* 12 and 13 agree with each other */
    for (size_t i = 0; have_index && have_changes && i < nchanges; i++) {
        size_t j;
        for (j = 0; j < nindex && strcmp(index[j], changes[i].path) != 0; j++)
            ;
        if (j == nindex)
            fail(k, 12, "%s/index.txt does not list %s, which changes.csv lists", dir_url,
                 changes[i].path);
        if (i > 0 && changes[i].at > changes[i - 1].at)
            fail(k, 13, "%s/changes.csv is not sorted newest first (line %zu)", dir_url, i + 1);
    }
    for (size_t j = 0; have_index && have_changes && j < nindex; j++) {
        size_t i;
        for (i = 0; i < nchanges && strcmp(index[j], changes[i].path) != 0; i++)
            ;
        if (i == nchanges)
            fail(k, 13, "%s/changes.csv does not list %s, which index.txt lists", dir_url,
                 index[j]);
    }
    /* the documents: those index.txt lists, and those only changes.csv lists */
    for (size_t j = 0; j < nindex + nchanges; j++) {
        const char *p = j < nindex ? index[j] : changes[j - nindex].path;
        doc_t *doc;
        snprintf(url, sizeof(url), "%s/%s", dir_url, p);
        if (!(doc = doc_add(k, url)) || (!doc->dir_path && !(doc->dir_path = ermes__strdup(p)))) {
            k->rc = ERMES_ENOMEM;
            break;
        }
    }
    /* 14: a listing of the directory that names the year folders (not for an import) */
    snprintf(url, sizeof(url), "%s/", dir_url);
    if (!k->o->document && get_ok(k, 14, url, ERMES_CSAF_CHECK_LIST_MAX, &r) == 0) {
        for (size_t j = 0; j < nindex; j++) {
            char folder[8];
            if (strlen(index[j]) < 5 || index[j][4] != '/')
                continue;
            memcpy(folder, index[j], 5);
            folder[5] = '\0';
            if (!strstr(r.body, folder)) {
                fail(k, 14, "%s does not list the folder %s", url, folder);
                break;
            }
        }
    }
    resp_cleanup(&r);
    ermes__csaf_lines_free(index, nindex);
    /* 13: each line's date is the document's current_release_date, compared when the
     * documents are read (by URL) */
    for (size_t i = 0; i < nchanges && k->changes; i++) {
        snprintf(url, sizeof(url), "%s/%s", dir_url, changes[i].path);
        doc_t *doc = doc_add(k, url);
        if (json_object_set_new(k->changes, url, json_integer(changes[i].at)) || !doc ||
            (!doc->stamp && changes[i].when && !(doc->stamp = ermes__strdup(changes[i].when))))
            k->rc = ERMES_ENOMEM;
    }
    ermes__csaf_changes_free(changes, nchanges);
}

static void check_feed(check_t *k, const char *feed_url, const char *tlp)
{
    resp_t r;
    ermes__csaf_feed_t f;
    ermes_diag_t d;

    if (get_ok(k, 15, feed_url, ERMES_CSAF_CHECK_LIST_MAX, &r)) {
        resp_cleanup(&r);
        return;
    }
    ermes_diag_clear(&d);
    if (ermes__csaf_feed_read(r.body, r.len, &f, &d)) {
        fail(k, 15, "%s: %s: %s", feed_url, d.field, d.reason);
        resp_cleanup(&r);
        return;
    }
    for (size_t i = 0; i < f.n; i++) {
        char *abs = resolve(feed_url, f.entries[i].src);
        doc_t *doc = abs ? doc_add(k, abs) : NULL;
        ermes__free(abs);
        if (!doc) {
            fail(k, 15, "%s: entry %zu: content src %s is not a URL", feed_url, i,
                 f.entries[i].src);
            continue;
        }
        snprintf(doc->feed_tlp, sizeof(doc->feed_tlp), "%s", tlp);
        if (f.entries[i].updated && !doc->stamp &&
            !(doc->stamp = ermes__strdup(f.entries[i].updated)))
            k->rc = ERMES_ENOMEM;
        if (f.entries[i].sha256 && !doc->sha256)
            doc->sha256 = resolve(feed_url, f.entries[i].sha256);
        if (f.entries[i].sha512 && !doc->sha512)
            doc->sha512 = resolve(feed_url, f.entries[i].sha512);
        if (f.entries[i].signature && !doc->signature)
            doc->signature = resolve(feed_url, f.entries[i].signature);
    }
    ermes__csaf_feed_cleanup(&f);
    resp_cleanup(&r);
}

/* 16: a service document lists every feed of the metadata */
static void check_service(check_t *k, const char *url, json_t *feeds)
{
    resp_t r;
    json_t *j, *ws, *col, *feed;
    size_t i, a, b;

    if (get_ok(k, 16, url, ERMES_CSAF_CHECK_LIST_MAX, &r)) {
        resp_cleanup(&r);
        return;
    }
    if (!(j = json_loadb(r.body, r.len, 0, NULL)) ||
        !json_is_array(json_object_get(json_object_get(j, "service"), "workspace"))) {
        fail(k, 16, "%s is not a ROLIE service document (no service.workspace)", url);
    } else {
        json_array_foreach(feeds, i, feed)
        {
            const char *fu = json_string_value(json_object_get(feed, "url"));
            int found = 0;
            json_array_foreach(json_object_get(json_object_get(j, "service"), "workspace"), a, ws)
                json_array_foreach(json_object_get(ws, "collection"), b, col)
            {
                const char *h = json_string_value(json_object_get(col, "href"));
                if (h && fu && strcmp(h, fu) == 0)
                    found = 1;
            }
            if (fu && !found)
                fail(k, 16, "%s does not list the feed %s", url, fu);
        }
    }
    json_decref(j);
    resp_cleanup(&r);
}

/* 17: a category document is {"categories": {"category": [{"scheme"?, "term"}...]}} */
static void check_category(check_t *k, const char *url)
{
    resp_t r;
    json_t *j, *c;
    size_t i;

    if (get_ok(k, 17, url, ERMES_CSAF_CHECK_LIST_MAX, &r)) {
        resp_cleanup(&r);
        return;
    }
    j = json_loadb(r.body, r.len, 0, NULL);
    c = json_object_get(json_object_get(j, "categories"), "category");
    if (!json_array_size(c))
        fail(k, 17, "%s is not a ROLIE category document (no categories.category)", url);
    json_array_foreach(c, i, c)
    {
        if (!json_string_value(json_object_get(c, "term"))) {
            fail(k, 17, "%s: category %zu has no term", url, i);
            break;
        }
    }
    json_decref(j);
    resp_cleanup(&r);
}

/* ---- the metadata's discovery (7, 8, 9, 10) ---- */

static int is_address(const char *host)
{
    if (!strcmp(host, "localhost") || strstr(host, ".localhost"))
        return 1;
    if (host[0] == '[')
        return 1;
    for (const char *p = host; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return 0;
    return 1;
}

static void check_discovery(check_t *k)
{
    char url[1200];
    resp_t r;
    char **fields = NULL;
    size_t n = 0;
    json_t *j;

    /* 9 */
    snprintf(url, sizeof(url), "%s/.well-known/csaf/provider-metadata.json", k->origin);
    if (get_ok(k, 9, url, ERMES_CSAF_CHECK_LIST_MAX, &r) == 0) {
        j = json_loadb(r.body, r.len, 0, NULL);
        if (!j || !json_equal(j, k->metadata))
            fail(k, 9, "%s is not the provider-metadata.json checked (%s)", url,
                 k->out->metadata_url);
        json_decref(j);
    }
    resp_cleanup(&r);
    /* 8 */
    snprintf(url, sizeof(url), "%s/.well-known/security.txt", k->origin);
    if (get_ok(k, 8, url, ERMES_CSAF_CHECK_LIST_MAX, &r) == 0) {
        const char *canon = json_string_value(json_object_get(k->metadata, "canonical_url"));
        if (ermes__csaf_security_txt_read(r.body, r.len, &fields, &n)) {
            k->rc = ERMES_ENOMEM;
        } else if (n == 0) {
            fail(k, 8, "%s has no CSAF field", url);
        } else {
            size_t i;
            for (i = 0; i < n; i++)
                if (!strcmp(fields[i], k->out->metadata_url) ||
                    (canon && !strcmp(fields[i], canon)))
                    break;
            if (i == n)
                fail(k, 8, "%s: no CSAF field names %s", url, canon ? canon : k->out->metadata_url);
        }
        ermes__csaf_lines_free(fields, n);
    }
    resp_cleanup(&r);
    /* 10 */
    if (is_address(k->host)) {
        fail(k, 10,
             "not checkable: %s is an address or localhost, which has no "
             "csaf.data.security. name",
             k->host);
    } else {
        snprintf(url, sizeof(url), "https://csaf.data.security.%s", k->host);
        if (get_ok(k, 10, url, ERMES_CSAF_CHECK_LIST_MAX, &r) == 0) {
            j = json_loadb(r.body, r.len, 0, NULL);
            if (!j || !json_object_get(j, "canonical_url"))
                fail(k, 10, "%s does not serve the provider-metadata.json", url);
            json_decref(j);
        }
        resp_cleanup(&r);
    }
}

static void schema_error_cb(void *ctx, const char *path, const char *message)
{
    check_t *k = ctx;
    fail(k, 7, "%s at %s: %s", k->out->metadata_url, path[0] ? path : "/", message);
}

/* ---- roles (section 7.2) ---- */

static int in_role(const char *role, int n, int directory, int rolie)
{
    int provider = !strcmp(role, "csaf_provider") || !strcmp(role, "csaf_trusted_provider");
    /* 7: a metadata that is published at all must be valid, whatever role it claims (an
     * unknown role is itself a failure of 7) */
    if (n <= 4 || n == 7)
        return 1;
    if (n <= 7)
        return provider;
    if (n <= 10)
        return provider; /* one of them: see apply_role */
    if (n <= 14)
        return provider && directory;
    if (n == 15)
        return provider && rolie;
    if (n <= 17)
        return provider && rolie; /* optional documents: n/a when absent */
    if (n <= 20)
        return !strcmp(role, "csaf_trusted_provider");
    return 0;
}

static void apply_role(check_t *k, int directory, int rolie, int services, int categories)
{
    const char *role = k->out->role;
    int met = -1;
    char why[300];

    for (int n = 8; n <= 10; n++)
        if (k->out->req[n].status == ERMES_CSAF_PASS && met < 0)
            met = n;
    for (int n = 1; n <= ERMES_CSAF_REQUIREMENTS; n++) {
        ermes__csaf_requirement_t *r = &k->out->req[n];
        if (n >= 21) {
            set_na(k, n,
                   "applies to CSAF listers and aggregators (aggregator.json), not to a "
                   "provider-metadata.json");
            continue;
        }
        if (!in_role(role, n, directory, rolie)) {
            if (n >= 11 && n <= 14 && !directory)
                snprintf(why, sizeof(why), "the metadata lists no directory distribution");
            else if (n >= 15 && n <= 17 && !rolie)
                snprintf(why, sizeof(why), "the metadata lists no ROLIE distribution");
            else
                snprintf(why, sizeof(why), "the role %s does not require it%s", role,
                         r->status == ERMES_CSAF_FAIL ? " (it would fail)" : "");
            if ((n >= 11 && n <= 14 && !directory) || (n >= 15 && n <= 17 && !rolie)) {
                set_na(k, n, why);
            } else if (r->status == ERMES_CSAF_FAIL) {
                /* what would fail stays listed, after why it does not count */
                r->status = ERMES_CSAF_NA;
                if (json_array_insert_new(r->reasons, 0, json_string(why)))
                    k->rc = ERMES_ENOMEM;
            } else {
                note(k, n, "%s", why);
            }
            continue;
        }
        if (n >= 8 && n <= 10 && met > 0 && met != n && r->status == ERMES_CSAF_FAIL) {
            snprintf(why, sizeof(why), "one of 7.1.8 to 7.1.10 suffices and 7.1.%d is met", met);
            note(k, n, "%s", why);
            r->status = ERMES_CSAF_NA;
        }
        if (n == 16 && !services)
            set_na(k, n, "optional: the metadata lists no ROLIE service document");
        if (n == 17 && !categories)
            set_na(k, n, "optional: the metadata lists no ROLIE category document");
        if (r->status == ERMES_CSAF_PASS && json_array_size(r->reasons) == 0)
            note(k, n, "met");
    }
    for (int n = 1; n <= ERMES_CSAF_REQUIREMENTS; n++)
        if (k->listed[n])
            note(k, n, "... and %ld more", k->listed[n]);
}

int ermes__csaf_check(const char *arg, const ermes__csaf_check_options_t *o,
                      ermes__csaf_check_t *out, ermes_diag_t *d)
{
    check_t k;
    resp_t r;
    CURLU *u = NULL;
    char *scheme = NULL, *host = NULL, *port = NULL;
    json_t *dist, *dd, *feed;
    size_t i, a;
    int directory = 0, rolie = 0, services = 0, categories = 0, rc = 0;

    memset(&k, 0, sizeof(k));
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    k.o = o;
    k.out = out;
    if (!(k.changes = json_object()))
        rc = ERMES_ENOMEM;
    for (int n = 1; n <= ERMES_CSAF_REQUIREMENTS; n++)
        if (!(out->req[n].reasons = json_array()))
            rc = ERMES_ENOMEM;
    if (rc)
        goto out;
    if (strlen(arg) > 900 || strchr(arg, ' ') || !*arg) {
        ermes_diag_set(d, "url", "not a domain or URL");
        rc = ERMES_EINVAL;
        goto out;
    }
    if (strstr(arg, "://")) {
        size_t n = strlen(arg);
        if (n > 5 && !strcmp(arg + n - 5, ".json"))
            snprintf(out->metadata_url, sizeof(out->metadata_url), "%s", arg);
        else
            snprintf(out->metadata_url, sizeof(out->metadata_url),
                     "%.*s/.well-known/csaf/provider-metadata.json",
                     (int)(n && arg[n - 1] == '/' ? n - 1 : n), arg);
    } else {
        snprintf(out->metadata_url, sizeof(out->metadata_url),
                 "https://%s/.well-known/csaf/provider-metadata.json", arg);
    }
    if (!(u = curl_url()) || curl_url_set(u, CURLUPART_URL, out->metadata_url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "https") && strcasecmp(scheme, "http"))) {
        ermes_diag_set(d, "url", "not an http or https URL");
        rc = ERMES_EINVAL;
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    snprintf(k.host, sizeof(k.host), "%s", host);
    snprintf(k.origin, sizeof(k.origin), "%s://%s%s%s", scheme, host, port ? ":" : "",
             port ? port : "");
    pthread_once(&provider_once, provider_init);
    if (provider_rc || ermes_csaf_init()) {
        ermes_diag_set(d, "schema", "the built-in schemas do not load: %s", provider_diag.reason);
        rc = ERMES_EINTERNAL;
        goto out;
    }
    /* 7: the metadata */
    if (get_ok(&k, 7, out->metadata_url, ERMES_CSAF_CHECK_LIST_MAX, &r) == 0) {
        json_error_t je;
        if (!(k.metadata = json_loadb(r.body, r.len, JSON_REJECT_DUPLICATES, &je)))
            fail(&k, 7, "%s is not JSON (line %d: %s)", out->metadata_url, je.line, je.text);
    }
    resp_cleanup(&r);
    if (!k.metadata) {
        for (int n = 1; n <= ERMES_CSAF_REQUIREMENTS; n++)
            if (n != 7 && n != 3 && n != 6)
                set_na(&k, n, "not checked: the provider metadata could not be read");
        goto out;
    }
    if (ermes__jschema_validate(provider_schema, k.metadata, schema_error_cb, &k, 20) < 0)
        k.rc = ERMES_ENOMEM;
    {
        const char *canon = json_string_value(json_object_get(k.metadata, "canonical_url"));
        const char *role = json_string_value(json_object_get(k.metadata, "role"));
        if (canon && strcmp(canon, out->metadata_url) != 0)
            fail(&k, 7, "canonical_url %s is not the URL the metadata was read from (%s)", canon,
                 out->metadata_url);
        snprintf(out->role, sizeof(out->role), "%s", role ? role : "csaf_publisher");
    }
    /* An import (o->document) reads only what finds and checks documents: the metadata, the
     * feeds and listings, and the keys once a document is to be fetched, so a run with
     * nothing new fetches no document, key, hash or signature. */
    if (!o->document) {
        check_discovery(&k);
        check_keys(&k);
    }
    dist = json_object_get(k.metadata, "distributions");
    json_array_foreach(dist, i, dd)
    {
        const char *dir = json_string_value(json_object_get(dd, "directory_url"));
        json_t *ro = json_object_get(dd, "rolie"), *x;
        if (dir) {
            char *base =
                ermes__strndup(dir, strlen(dir) - (strlen(dir) && dir[strlen(dir) - 1] == '/'));
            directory = 1;
            if (base)
                check_directory(&k, base);
            ermes__free(base);
        }
        if (ro) {
            int public_feed = 0;
            rolie = 1;
            json_array_foreach(json_object_get(ro, "feeds"), a, feed)
            {
                const char *fu = json_string_value(json_object_get(feed, "url"));
                const char *tl = json_string_value(json_object_get(feed, "tlp_label"));
                if (tl &&
                    (!strcmp(tl, "WHITE") || !strcmp(tl, "GREEN") || !strcmp(tl, "UNLABELED")))
                    public_feed = 1;
                /* An import reads a TLP:AMBER or RED feed with credentials for its origin
                 * only; without, it says so rather than asking for a 401. */
                if (fu && o->document && tl && (!strcmp(tl, "AMBER") || !strcmp(tl, "RED")) &&
                    !credentials_for(&k, fu)) {
                    if (o->skipped) {
                        char why[800], origin[512];
                        if (ermes__url_origin(NULL, fu, origin, sizeof(origin)))
                            snprintf(origin, sizeof(origin), "?");
                        snprintf(why, sizeof(why),
                                 "TLP:%s feed: no credentials are set for its origin %s (ermes "
                                 "csaf credentials set)",
                                 tl, origin);
                        o->skipped(o->ctx, fu, why);
                    }
                    continue;
                }
                if (fu)
                    check_feed(&k, fu, tl ? tl : "");
            }
            if (!public_feed)
                fail(&k, 15, "no feed of TLP:WHITE, GREEN or UNLABELED");
            json_array_foreach(json_object_get(ro, "services"), a, x)
            {
                services = 1;
                if (json_string_value(x))
                    if (!o->document)
                        check_service(&k, json_string_value(x), json_object_get(ro, "feeds"));
            }
            json_array_foreach(json_object_get(ro, "categories"), a, x)
            {
                categories = 1;
                if (json_string_value(x))
                    if (!o->document)
                        check_category(&k, json_string_value(x));
            }
        }
    }
    if (!directory && !rolie) {
        fail(&k, 12, "the metadata lists no distribution: no document can be found");
        fail(&k, 15, "the metadata lists no distribution: no document can be found");
    }
    /* the documents */
    {
        json_t *changes = k.changes;
        long white = 0;
        int keys_read = 0;
        for (i = 0; i < k.ndocs && k.rc == 0; i++) {
            char *current = NULL, tlp[16];
            json_t *when;
            if ((long)i >= o->max_documents) {
                note(&k, 1, "only the first %ld of %zu documents were checked", o->max_documents,
                     k.ndocs);
                break;
            }
            if (o->want && !o->want(o->ctx, k.docs[i].url, k.docs[i].stamp ? k.docs[i].stamp : ""))
                continue;
            if (o->document && !keys_read) {
                check_keys(&k);
                keys_read = 1;
            }
            check_document(&k, &k.docs[i], &current, tlp, sizeof(tlp));
            if (!strcmp(tlp, "WHITE"))
                white++;
            when = json_object_get(changes, k.docs[i].url);
            if (when && current) {
                int64_t at = 0;
                ermes_diag_t td;
                ermes_diag_clear(&td);
                if (ermes__time_parse(current, strlen(current), &at, &td) == 0 &&
                    at != json_integer_value(when))
                    fail(&k, 13,
                         "changes.csv gives %s another date than its "
                         "current_release_date %s",
                         k.docs[i].url, current);
            }
            ermes__free(current);
        }
        if (k.ndocs == 0)
            fail(&k, 1, "no document found in the distributions of the metadata");
        else
            note(&k, 1, "%ld document(s) read", out->documents);
        if (!white && out->req[4].status == ERMES_CSAF_PASS)
            note(&k, 4, "no TLP:WHITE document was found");
    }
    apply_role(&k, directory, rolie, services, categories);
out:
    rc = rc ? rc : k.rc;
    for (i = 0; i < k.ndocs; i++) {
        ermes__free(k.docs[i].url);
        ermes__free(k.docs[i].sha256);
        ermes__free(k.docs[i].sha512);
        ermes__free(k.docs[i].signature);
        ermes__free(k.docs[i].dir_path);
        ermes__free(k.docs[i].stamp);
    }
    ermes__free(k.docs);
    for (i = 0; i < k.nfprs; i++)
        ermes__free(k.fprs[i]);
    ermes__free(k.fprs);
    if (k.gpg)
        gpgme_release(k.gpg);
    if (k.gnupghome[0])
        nftw(k.gnupghome, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    json_decref(k.metadata);
    json_decref(k.changes);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    if (rc)
        ermes__csaf_check_cleanup(out);
    return rc;
}

void ermes__csaf_check_cleanup(ermes__csaf_check_t *c)
{
    for (int n = 0; n <= ERMES_CSAF_REQUIREMENTS; n++) {
        json_decref(c->req[n].reasons);
        c->req[n].reasons = NULL;
    }
}
