/* Imports of vulnerability intelligence: a document (a file, or fetched from a URL with
 * libcurl; gzip is inflated, as FIRST serves EPSS) is read and stored in one transaction, so
 * a broken document imports nothing; then the vulnerabilities whose affected products or KEV
 * entry changed are matched against the assets and warn the constituents concerned
 * (src/notify/vulns.c). */
#include "advisories/vuln_import.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/vulns.h"

typedef struct import {
    ermes__store_t *st;
    int64_t home, now;
    ermes__vuln_import_stats_t *stats;
    int64_t *ids;
    size_t nids, cap;
} import_t;

static int put_cb(void *ctx, const ermes__vuln_record_t *r)
{
    import_t *im = ctx;
    int64_t id = 0;
    int changed = 0, match_changed = 0, rc;

    if ((rc = ermes__store_vuln_put(im->st, r, im->home, im->now, &id, &changed, &match_changed)))
        return rc;
    im->stats->records++;
    im->stats->changed += changed;
    if (!match_changed)
        return 0;
    if (im->nids == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 256;
        int64_t *p = ermes__reallocarray(im->ids, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        im->ids = p;
        im->cap = cap;
    }
    im->ids[im->nids++] = id;
    return 0;
}

/* gzip data inflated into a new buffer (at most ERMES_VULN_DOC_MAX bytes). */
static int gunzip(const char *data, size_t len, char **out, size_t *outlen, ermes_diag_t *d)
{
    z_stream z;
    size_t cap = len * 4 + 4096, n = 0;
    char *buf;
    int zrc;

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return ERMES_ENOMEM;
    if (cap > (size_t)ERMES_VULN_DOC_MAX)
        cap = (size_t)ERMES_VULN_DOC_MAX;
    if (!(buf = ermes__malloc(cap + 1))) {
        inflateEnd(&z);
        return ERMES_ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    do {
        if (n == cap) {
            char *p;
            if (cap >= (size_t)ERMES_VULN_DOC_MAX) {
                ermes_diag_set(d, "document", "larger than %ld bytes inflated", ERMES_VULN_DOC_MAX);
                inflateEnd(&z);
                ermes__free(buf);
                return ERMES_ETOOBIG;
            }
            cap = cap * 2 > (size_t)ERMES_VULN_DOC_MAX ? (size_t)ERMES_VULN_DOC_MAX : cap * 2;
            if (!(p = ermes__reallocarray(buf, cap + 1, 1))) {
                inflateEnd(&z);
                ermes__free(buf);
                return ERMES_ENOMEM;
            }
            buf = p;
        }
        z.next_out = (Bytef *)buf + n;
        z.avail_out = (uInt)(cap - n);
        zrc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
    } while (zrc == Z_OK);
    inflateEnd(&z);
    if (zrc != Z_STREAM_END) {
        ermes_diag_set(d, "document", "broken gzip data");
        ermes__free(buf);
        return ERMES_EPARSE;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

int ermes__vuln_import(ermes__store_t *st, const ermes__notify_options_t *o, const char *data,
                       size_t len, ermes__vuln_kind_t kind, int warn,
                       ermes__vuln_import_stats_t *stats, ermes_diag_t *d)
{
    import_t im;
    char *plain = NULL;
    int rc;

    memset(&im, 0, sizeof(im));
    memset(stats, 0, sizeof(*stats));
    im.st = st;
    im.stats = stats;
    im.now = ermes__time_now_ms();
    ermes__store_home_org(st, &im.home);
    if (len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b) {
        if ((rc = gunzip(data, len, &plain, &len, d)))
            return rc;
        data = plain;
    }
    if ((rc = ermes__store_begin(st)))
        goto out;
    rc = ermes__vuln_read(data, len, kind, put_cb, &im, &stats->kind, d);
    if (!rc)
        rc = ermes__store_commit(st);
    if (rc) {
        ermes__store_rollback(st);
        stats->records = stats->changed = 0;
        goto out;
    }
    stats->to_match = im.nids;
    if (warn == ERMES_VULN_KEEP_IDS) {
        stats->ids = im.ids;
        im.ids = NULL;
    } else if (warn && im.nids && o) {
        ermes__notify_stats_t ns;
        memset(&ns, 0, sizeof(ns));
        rc = ermes__notify_vulns(st, o, im.ids, im.nids, &ns, &stats->matches);
        stats->notifications = ns.notifications;
    }
out:
    ermes__free(im.ids);
    ermes__free(plain);
    return rc;
}

typedef struct fetch {
    char *buf;
    size_t n, cap;
    int toobig;
} fetch_t;

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
    fetch_t *f = ctx;
    size_t n = size * nmemb;

    if (f->n + n > (size_t)ERMES_VULN_DOC_MAX) {
        f->toobig = 1;
        return 0;
    }
    if (f->n + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 65536;
        char *q;
        while (cap < f->n + n + 1)
            cap *= 2;
        if (!(q = ermes__reallocarray(f->buf, cap, 1)))
            return 0;
        f->buf = q;
        f->cap = cap;
    }
    memcpy(f->buf + f->n, p, n);
    f->n += n;
    f->buf[f->n] = '\0';
    return n;
}

int ermes__vuln_fetch(const char *url, char **out, size_t *len, ermes_diag_t *d)
{
    CURL *c;
    fetch_t f = {NULL, 0, 0, 0};
    CURLcode cc;
    long status = 0;

    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
        ermes_diag_set(d, "url", "only http:// and https:// URLs");
        return ERMES_EINVAL;
    }
    if (!(c = curl_easy_init()))
        return ERMES_ENOMEM;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ermes/" ERMES_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (f.toobig) {
        ermes__free(f.buf);
        ermes_diag_set(d, "url", "the document is larger than %ld bytes", ERMES_VULN_DOC_MAX);
        return ERMES_ETOOBIG;
    }
    if (cc != CURLE_OK || status != 200) {
        ermes__free(f.buf);
        if (cc != CURLE_OK)
            ermes_diag_set(d, "url", "%s", curl_easy_strerror(cc));
        else
            ermes_diag_set(d, "url", "HTTP status %ld", status);
        return ERMES_EIO;
    }
    *out = f.buf ? f.buf : ermes__strdup("");
    *len = f.n;
    return *out ? 0 : ERMES_ENOMEM;
}
