/* Collectors: scheduled conditional GETs whose new bodies become reports (collect.h). */
#include "intake/collect.h"

#include <curl/curl.h>
#include <jansson.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/config_live.h"
#include "core/alloc.h"
#include "core/url.h"
#include "core/hmac.h"
#include "core/log.h"
#include "core/number.h"
#include "core/time.h"
#include "store/store.h"
#include "intake/listing.h"
#include "intake/parser.h"
#include "intake/presets.h"

#define MAX_REDIRECTS 5L
#define MAX_BACKOFF_MS (24LL * 3600 * 1000)
#define URL_CAP 4096         /* a URL after its dates are filled in */
#define RECHECK_MS 5000      /* the thread looks at the schedule at least this often */
#define LIST_CAP (32u << 20) /* a listing's body, bytes (also capped by max_size) */
#define LIST_PAGES 100       /* pages of one Azure listing in a run */
#define ITEM_ATTEMPTS 5      /* fetches of a listed item before it is given up */

struct ermes__collect {
    const ermes__config_t *cfg;
    ermes__store_t *store;
    ermes__intake_t *intake;
    int64_t home_org;
    int stop; /* atomic */
    pthread_t thread;
    int running;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int kicked; /* under lock: ermes__collect_wake was called during a round */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_rc;

static void curl_init(void)
{
    curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

long ermes__collect_interval(const ermes__collector_conf_t *def, long min_interval)
{
    return def->interval < min_interval ? min_interval : def->interval;
}

int64_t ermes__collect_delay_ms(long interval_s, int64_t failures)
{
    int64_t base = (int64_t)interval_s * 1000, delay = base;

    /* Doubling after each consecutive failure, so a feed that is down is not hammered, but
     * never beyond a day (nor below the interval, when the interval is longer than that). */
    for (int64_t k = 1; k < failures && k <= 16 && delay < MAX_BACKOFF_MS; k++)
        delay *= 2;
    if (delay > MAX_BACKOFF_MS)
        delay = base > MAX_BACKOFF_MS ? base : MAX_BACKOFF_MS;
    return delay;
}

int ermes__collector_check(const ermes__collector_conf_t *def, ermes_diag_t *d)
{
    char buf[URL_CAP], *body = NULL;
    int bad;

    if (strcmp(def->feed, ERMES_COLLECT_MISP_FEED) == 0) {
        /* Read by the MISP feed reader, which fetches manifest.json and <uuid>.json itself. */
        if (def->list || def->gzip || def->npost || def->sign_header || def->file_name) {
            ermes_diag_set(d, "feed",
                           "collector \"%s\": feed misp-feed takes url, headers, interval, "
                           "timeouts, max_size and enabled only (no list, content, post, "
                           "sign_header or file_name)",
                           def->name);
            return ERMES_ECONFIG;
        }
        if (strchr(def->url, '{')) {
            ermes_diag_set(d, "url", "collector \"%s\": a MISP feed's url has no dates", def->name);
            return ERMES_ECONFIG;
        }
        return 0;
    }
    if (!ermes__parser_find(def->feed)) {
        ermes_diag_set(d, "feed", "collector \"%s\": unknown feed \"%.64s\" (see `ermes feeds`)",
                       def->name, def->feed);
        return ERMES_ECONFIG;
    }
    if (ermes__collect_url_expand(def->url, ermes__time_now_ms(), buf, sizeof(buf))) {
        ermes_diag_set(d, "url",
                       "collector \"%s\": url has a '{' that is no {today:FORMAT} or "
                       "{yesterday:FORMAT} (FORMAT of %%Y %%m %%d %%j %%y)",
                       def->name);
        return ERMES_ECONFIG;
    }
    bad = def->download_url &&
          ermes__collect_template(def->download_url, 0, "x", "x", 1, buf, sizeof(buf));
    bad = bad || ermes__collect_post_body(def->post, def->npost, 0, NULL, NULL, &body);
    free(body);
    body = NULL;
    bad = bad ||
          ermes__collect_post_body(def->download_post, def->ndownload_post, 0, "x", "x", &body);
    free(body);
    if (bad) {
        ermes_diag_set(d, "post",
                       "collector \"%s\": download_url, post or download_post has a bad "
                       "{today:F} / {yesterday:F}, {id} / {file} where no item is, or is "
                       "not UTF-8",
                       def->name);
        return ERMES_ECONFIG;
    }
    return 0;
}

int ermes__collect_new(const ermes__config_t *cfg, ermes__store_t *st, ermes__intake_t *in,
                       ermes__collect_t **out, ermes_diag_t *d)
{
    ermes__collect_t *c;
    int rc;

    for (size_t k = 0; k < cfg->ncollectors; k++)
        if ((rc = ermes__collector_check(&cfg->collectors[k], d)))
            return rc;
    pthread_once(&curl_once, curl_init);
    if (curl_rc != CURLE_OK)
        return ERMES_EINTERNAL;
    if (!(c = ermes__calloc(1, sizeof(*c))))
        return ERMES_ENOMEM;
    c->cfg = cfg;
    c->store = st;
    c->intake = in;
    ermes__store_home_org(st, &c->home_org);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    *out = c;
    return 0;
}

void ermes__collect_free(ermes__collect_t *c)
{
    if (!c)
        return;
    ermes__collect_stop(c);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    ermes__free(c);
}

/* ---- one transfer ------------------------------------------------------------------------ */

typedef struct transfer {
    ermes__collect_t *c;
    CURL *curl;
    ermes__spool_t *sp;
    char *mem; /* list mode's listing: the body in memory (any status), NUL-terminated */
    int to_memory;
    size_t size, cap;
    int too_big, write_failed;
    ermes__gunzip_t *gz; /* content = gzip; NULL: the body as it comes */
    int gz_failed;
    crypto_hash_sha256_state sha;
    char etag[256];
    char last_modified[64];
    ermes_diag_t d;
    /* Redirects of a collector with custom headers (API keys): libcurl sends CURLOPT_HTTPHEADER
     * to wherever a Location points, so each Location is checked before it is followed. */
    const char *origin_url; /* the configured URL, borrowed; NULL: no custom headers */
    long status;            /* of the response whose headers are arriving */
    int redirect_refused;
    char refused_to[256]; /* scheme://host:port of the refused Location */
} transfer_t;

static int stopping(ermes__collect_t *c)
{
    return __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
}

/* n bytes of the report's body (decoded, for content = gzip): spooled under the cap. */
static int keep(void *arg, const void *p, size_t n)
{
    transfer_t *t = arg;

    if (n > t->cap - t->size) {
        t->too_big = 1;
        return ERMES_ERANGE;
    }
    if (t->to_memory) {
        char *m = ermes__realloc(t->mem, t->size + n + 1);
        if (!m) {
            t->write_failed = 1;
            return ERMES_ENOMEM;
        }
        memcpy(m + t->size, p, n);
        m[t->size + n] = '\0';
        t->mem = m;
        t->size += n;
        return 0;
    }
    if (ermes__intake_spool_write(t->c->intake, t->sp, p, n, &t->d)) {
        t->write_failed = 1;
        return ERMES_EIO;
    }
    crypto_hash_sha256_update(&t->sha, (const unsigned char *)p, n);
    t->size += n;
    return 0;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
    transfer_t *t = arg;
    size_t n = size * nmemb;
    long code = 0;

    /* Only a 200's body is kept; an error page is read and dropped (a listing's is kept: it
     * says why, e.g. {"error": "..."}). */
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200 && !t->to_memory)
        return n;
    if (t->gz) {
        int rc = ermes__gunzip_feed(t->gz, p, n, keep, t);
        if (rc == ERMES_EINVAL)
            t->gz_failed = 1;
        return rc ? 0 : n;
    }
    return keep(t, p, n) ? 0 : n;
}

/* Copies the value of header line `line` (length n) named name into dst, trimmed. */
static int header_value(const char *line, size_t n, const char *name, char *dst, size_t cap)
{
    size_t len = strlen(name), end;

    if (n <= len || strncasecmp(line, name, len) != 0 || line[len] != ':')
        return 0;
    line += len + 1;
    n -= len + 1;
    while (n && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    end = n;
    while (end && (line[end - 1] == '\r' || line[end - 1] == '\n' || line[end - 1] == ' '))
        end--;
    if (end >= cap) /* a validator too long to keep is not sent back at all */
        end = 0;
    memcpy(dst, line, end);
    dst[end] = '\0';
    return 1;
}

/* A Location header of a redirect, for a collector with custom headers: 1 when it stays on
 * the configured URL's scheme, host and port; else 0, the target's origin noted. */
static int redirect_allowed(transfer_t *t, const char *line, size_t n)
{
    char location[2048], here[256], there[256];
    char *current = NULL;

    if (!header_value(line, n, "Location", location, sizeof(location)))
        return 1;
    curl_easy_getinfo(t->curl, CURLINFO_EFFECTIVE_URL, &current);
    /* An empty value is also what header_value leaves of one too long to keep. */
    if (!location[0] || ermes__url_origin(NULL, t->origin_url, here, sizeof(here)) ||
        ermes__url_origin(current ? current : t->origin_url, location, there, sizeof(there))) {
        snprintf(t->refused_to, sizeof(t->refused_to), "an unreadable Location");
        return 0;
    }
    if (strcmp(here, there) == 0)
        return 1;
    snprintf(t->refused_to, sizeof(t->refused_to), "%s", there);
    return 0;
}

static size_t header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
    transfer_t *t = arg;
    size_t n = size * nmemb;

    /* A new status line starts a new response (after a redirect): only the last one's
     * validators count. */
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', n);
        t->etag[0] = '\0';
        t->last_modified[0] = '\0';
        int64_t status = 0;
        if (sp && (size_t)(sp - p) + 4 <= n)
            ermes__parse_int64_n(sp + 1, 3, "status", 100, 999, &status, NULL);
        t->status = (long)status;
    } else if (t->origin_url && t->status >= 300 && t->status < 400 && !redirect_allowed(t, p, n)) {
        /* Stopping here, before libcurl follows, keeps the headers from the other host. */
        t->redirect_refused = 1;
        return 0;
    } else if (!header_value(p, n, "ETag", t->etag, sizeof(t->etag))) {
        header_value(p, n, "Last-Modified", t->last_modified, sizeof(t->last_modified));
    }
    return n;
}

static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    transfer_t *t = arg;

    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return stopping(t->c) ? 1 : 0;
}

/* The report's file name: the configured one, else the URL's last path segment. */
static void report_file_name(const ermes__collector_conf_t *def, const char *u, char *buf,
                             size_t cap)
{
    const char *start, *end;

    if (def->file_name) {
        snprintf(buf, cap, "%s", def->file_name);
        return;
    }
    start = strstr(u, "://");
    start = start ? start + 3 : u;
    end = start + strcspn(start, "?#");
    start = memchr(start, '/', (size_t)(end - start));
    buf[0] = '\0';
    if (start) {
        const char *seg = end;
        while (seg > start && seg[-1] != '/')
            seg--;
        /* The decoded body of x.json.gz is x.json, whose extension the parser may look at. */
        if (def->gzip && end - seg > 3 && strncasecmp(end - 3, ".gz", 3) == 0)
            end -= 3;
        if (seg < end)
            snprintf(buf, cap, "%.*s", (int)(end - seg), seg);
    }
    if (!buf[0])
        snprintf(buf, cap, "%s", def->name);
}

static void set_error(ermes__collector_state_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(ermes__collector_state_t *s, const char *fmt, ...)
{
    va_list ap;

    snprintf(s->status, sizeof(s->status), "error");
    va_start(ap, fmt);
    vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
    va_end(ap);
}

/* The options of one transfer of url (t->curl made, t's callbacks): hdrs, a POST of body
 * (NULL: a GET), the collector's limits. restrict_origin: the request carries credentials
 * (custom headers, an API key), so no redirect leaves the URL's origin. */
static void setup(transfer_t *t, const ermes__collector_conf_t *def, const char *url,
                  struct curl_slist *hdrs, const char *body, int restrict_origin, char *errbuf)
{
    /* Custom headers go to the configured URL's scheme, host and port only: header_cb stops a
     * redirect anywhere else (CURLOPT_UNRESTRICTED_AUTH covers Authorization, not these). */
    t->origin_url = restrict_origin ? url : NULL;
    curl_easy_setopt(t->curl, CURLOPT_URL, url);
    curl_easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(t->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(t->curl, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    curl_easy_setopt(t->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(t->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    /* content = gzip keeps the bytes as sent: a server that also labels the .gz file
     * Content-Encoding: gzip would otherwise have it decoded twice. */
    if (t->gz)
        curl_easy_setopt(t->curl, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    else
        curl_easy_setopt(t->curl, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(t->curl, CURLOPT_USERAGENT, "ermes/" ERMES_VERSION);
    curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT, def->connect_timeout);
    curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, def->timeout);
    curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->curl, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(t->curl, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(t->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(t->curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(t->curl, CURLOPT_XFERINFODATA, t);
    curl_easy_setopt(t->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->cap);
    if (body) {
        /* A POST whose body the signature covers: a redirect would not resend it as signed. */
        curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        curl_easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 0L);
    }
}

/* ---- list mode ---------------------------------------------------------------------------- */

/* One request of list mode: url (a POST of body, signed when the collector says so, or a GET
 * for body NULL) into t (its memory or its spool, t->gz decoding). 0 for a whole 200 answer;
 * else -1 with why (cap bytes) and *code the status (0: none came). Never puts the secret,
 * the signature or the URL's query in why: it is logged and shown. */
static int list_fetch(ermes__collect_t *c, const ermes__collector_conf_t *def, const char *url,
                      const char *body, transfer_t *t, long *code, char *why, size_t cap)
{
    struct curl_slist *hdrs = NULL, *h;
    char errbuf[CURL_ERROR_SIZE] = "", line[160], mac[ERMES_HMAC_SHA256_HEX];
    CURLcode cc;
    int rc = -1;

    *code = 0;
    for (size_t k = 0; k < def->nheaders; k++)
        if ((h = curl_slist_append(hdrs, def->headers[k])))
            hdrs = h;
    if (body) {
        if ((h = curl_slist_append(hdrs, "Content-Type: application/json")))
            hdrs = h;
        if (def->sign_header) {
            /* The signature of the exact bytes sent (ermes__collect_post_body's). */
            if (ermes__hmac_sha256_hex(def->secret, strlen(def->secret), body, strlen(body), mac)) {
                snprintf(why, cap, "cannot sign the request");
                goto out;
            }
            snprintf(line, sizeof(line), "%s: %s", def->sign_header, mac);
            if ((h = curl_slist_append(hdrs, line)))
                hdrs = h;
            sodium_memzero(line, sizeof(line));
        }
    }
    if (!(t->curl = curl_easy_init())) {
        snprintf(why, cap, "out of memory");
        goto out;
    }
    setup(t, def, url, hdrs, body, def->nheaders > 0 || body != NULL, errbuf);
    cc = curl_easy_perform(t->curl);
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, code);
    if (cc == CURLE_ABORTED_BY_CALLBACK && stopping(c))
        snprintf(why, cap, "stopped");
    else if (t->redirect_refused)
        snprintf(why, cap,
                 "redirect to %.100s refused: requests with credentials stay on the "
                 "configured origin",
                 t->refused_to);
    else if (t->gz_failed || (t->gz && cc == CURLE_OK && *code == 200 && ermes__gunzip_end(t->gz)))
        snprintf(why, cap, "the body is not a whole gzip file");
    else if (t->too_big || cc == CURLE_FILESIZE_EXCEEDED)
        snprintf(why, cap, "the body exceeds %zu bytes (max_size or max_report)", t->cap);
    else if (t->write_failed)
        snprintf(why, cap, "cannot store the body: %.200s", t->d.reason);
    else if (cc != CURLE_OK)
        snprintf(why, cap, "%.250s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (*code != 200)
        snprintf(why, cap, "HTTP status %ld", *code);
    else
        rc = 0;
out:
    if (t->curl)
        curl_easy_cleanup(t->curl);
    t->curl = NULL;
    curl_slist_free_all(hdrs);
    return rc;
}

static size_t body_cap(ermes__collect_t *c, const ermes__collector_conf_t *def)
{
    size_t cap = (size_t)def->max_size;

    return cap > ermes__intake_max_report(c->intake) ? ermes__intake_max_report(c->intake) : cap;
}

/* Fetches item it of a listing unless fetched before (same id, same version) and makes it a
 * report of the collector's feed, the item's outcome recorded with it. 1: fetched (a new
 * report or one received before), 0: nothing to do, -1: failed (the reason recorded with the
 * item and, for the first failure of the run, in first_err). */
static int list_item(ermes__collect_t *c, const ermes__collector_conf_t *def,
                     const ermes__list_item_t *it, const char *container, int64_t now,
                     ermes__collector_state_t *st, char *first_err, size_t cap)
{
    char version[129], status[16], url[URL_CAP], why[300] = "", file[ERMES_LISTING_MAX_FILE + 1];
    char who[96], *body = NULL;
    const char *opts[ERMES_COLLECTOR_MAX_OPTIONS + 1];
    ermes__report_meta_t meta;
    ermes__viewer_t v;
    ermes__report_t r;
    ermes__spool_t *sp;
    transfer_t t;
    size_t flen;
    int64_t attempts = 0;
    long code = 0;
    int rc, fresh = 1, result = -1;

    rc = ermes__store_collector_item_get(c->store, def->name, it->id, version, status, &attempts);
    if (rc == 0 && strcmp(status, "ok") == 0 && strcmp(version, it->version) == 0)
        return 0;
    /* An item that failed ITEM_ATTEMPTS times is given up (its reason stays recorded) unless
     * it changes: one report the API cannot hand out must not keep the collector failing and
     * backing off from the new ones. */
    if (rc == 0 && attempts >= ITEM_ATTEMPTS && strcmp(version, it->version) == 0)
        return 0;
    memset(&t, 0, sizeof(t));
    t.c = c;
    t.cap = body_cap(c, def);
    crypto_hash_sha256_init(&t.sha);
    ermes_diag_clear(&t.d);
    snprintf(file, sizeof(file), "%s", it->file);
    flen = strlen(file);
    /* A gzipped file (CTIP's blobs may be) is a report of what it holds, named without .gz. */
    if (flen > 3 && strcasecmp(file + flen - 3, ".gz") == 0) {
        file[flen - 3] = '\0';
        if ((rc = ermes__gunzip_new(&t.gz))) {
            snprintf(why, sizeof(why), "out of memory");
            goto failed;
        }
    } else if (def->gzip && (rc = ermes__gunzip_new(&t.gz))) {
        snprintf(why, sizeof(why), "out of memory");
        goto failed;
    }
    if (def->list == ERMES_COLLECT_LIST_AZURE)
        rc = ermes__collect_azure_url(container, NULL, it->id, url, sizeof(url));
    else
        rc = ermes__collect_template(def->download_url, now, it->id, it->file, 1, url, sizeof(url));
    if (rc) {
        snprintf(why, sizeof(why), "cannot make its URL (download_url)");
        goto failed;
    }
    if (def->ndownload_post && ermes__collect_post_body(def->download_post, def->ndownload_post,
                                                        now, it->id, it->file, &body)) {
        snprintf(why, sizeof(why), "cannot make its request body (download_post)");
        goto failed;
    }
    if ((rc = ermes__intake_spool_begin(c->intake, &t.sp))) {
        snprintf(why, sizeof(why), "cannot store the body: %s", ermes_strerror(rc));
        goto failed;
    }
    if (list_fetch(c, def, url, body, &t, &code, why, sizeof(why))) {
        if (stopping(c)) {
            result = 0; /* shutdown: the item is fetched at the next run */
            goto out;
        }
        goto failed;
    }
    for (size_t k = 0; k <= def->noptions; k++)
        opts[k] = def->options[k];
    memset(&meta, 0, sizeof(meta));
    meta.feed = def->feed;
    meta.file_name = file;
    meta.options = opts;
    meta.tlp = def->tlp[0] ? def->tlp : NULL;
    memset(&v, 0, sizeof(v));
    v.role = ERMES_ROLE_ADMIN;
    v.org_id = c->home_org;
    snprintf(who, sizeof(who), "collector:%s", def->name);
    v.user_name = who;
    memset(&r, 0, sizeof(r));
    sp = t.sp;
    t.sp = NULL;
    /* The report and the item's "fetched" commit together: a crash between them cannot make
     * the item fetched again, nor leave it fetched without its report. */
    if ((rc = ermes__store_begin(c->store)) == 0) {
        ermes_diag_clear(&t.d);
        rc = ermes__intake_spool_finish(c->intake, &v, &meta, sp, &r, &t.d);
        sp = NULL;
        if (rc == ERMES_EEXISTS) {
            fresh = 0;
            rc = 0;
        }
        if (rc == 0)
            rc = ermes__store_collector_item_put(c->store, def->name, it->id, it->version, "ok",
                                                 r.id, NULL);
        if (rc == 0)
            rc = ermes__store_commit(c->store);
        else
            ermes__store_rollback(c->store);
    }
    ermes__intake_spool_abort(sp);
    if (rc) {
        snprintf(why, sizeof(why), "cannot record the report: %.200s",
                 t.d.reason[0] ? t.d.reason : ermes_strerror(rc));
        goto failed;
    }
    if (fresh) {
        st->reports++;
        ermes__intake_kick(c->intake);
    }
    st->last_report_id = r.id;
    ermes__log(ERMES_LOG_INFO, "collector %s: item %s: %s report %lld (%zu bytes)", def->name,
               it->id, fresh ? "" : "already received as", (long long)r.id, t.size);
    result = 1;
    goto out;
failed:
    ermes__store_collector_item_put(c->store, def->name, it->id, it->version, "error", 0, why);
    if (!first_err[0])
        snprintf(first_err, cap, "item %.80s: %.200s", it->id, why);
    ermes__log(ERMES_LOG_WARNING, "collector %s: item %s: %s", def->name, it->id, why);
out:
    free(body);
    ermes__gunzip_free(t.gz);
    ermes__intake_spool_abort(t.sp);
    ermes__free(t.mem);
    return result;
}

/* A run of a collector in list mode: the listing (every page of an Azure one), then each item
 * not fetched before; the outcome into st (status ok: something new, unchanged: nothing new,
 * error: the listing failed or some item did, the others recorded all the same). */
static void run_list(ermes__collect_t *c, const ermes__collector_conf_t *def,
                     ermes__collector_state_t *st, int64_t now)
{
    char container[URL_CAP], url[URL_CAP], why[300], first_err[300] = "", *marker = NULL;
    size_t nitems = 0, fetched = 0, failed = 0;
    int pages = 0, more = 1, listed = 0, broken = 0;

    st->runs++;
    st->last_run = now;
    st->http_status = 0;
    if (ermes__collect_url_expand(def->url, now, container, sizeof(container))) {
        set_error(st, "the url cannot be expanded");
        return;
    }
    while (more && !stopping(c)) {
        transfer_t t;
        ermes__listing_t l;
        ermes_diag_t d;
        char *body = NULL;
        long code = 0;
        int rc, prc = -1;

        more = 0;
        memset(&t, 0, sizeof(t));
        memset(&l, 0, sizeof(l));
        ermes_diag_clear(&d);
        ermes_diag_clear(&t.d);
        t.c = c;
        t.to_memory = 1;
        t.cap = (size_t)def->max_size < LIST_CAP ? (size_t)def->max_size : LIST_CAP;
        if (def->list == ERMES_COLLECT_LIST_AZURE)
            rc = ermes__collect_azure_url(container, marker, NULL, url, sizeof(url));
        else
            rc = snprintf(url, sizeof(url), "%s", container) < 0;
        if (rc || (def->npost &&
                   ermes__collect_post_body(def->post, def->npost, now, NULL, NULL, &body))) {
            set_error(st, "cannot make the listing request (url, post)");
            broken = 1;
            break;
        }
        rc = list_fetch(c, def, url, body, &t, &code, why, sizeof(why));
        free(body);
        st->http_status = code;
        if (rc == 0 || (code && t.mem)) {
            if (def->list == ERMES_COLLECT_LIST_AZURE)
                prc = ermes__listing_azure(t.mem ? t.mem : "", t.size, (size_t)def->max_items, &l,
                                           &d);
            else
                prc = ermes__listing_json(t.mem ? t.mem : "", t.size, def->list_items, def->item_id,
                                          def->item_file, (size_t)def->max_items, &l, &d);
        }
        ermes__free(t.mem);
        if (rc) {
            /* The answer of a refused request says why ({"error": ...}, Azure's <Error>). */
            if (!stopping(c)) {
                if (code && prc && d.reason[0])
                    set_error(st, "listing: %.60s: %.180s", why, d.reason);
                else
                    set_error(st, "listing: %.240s", why);
            }
            ermes__listing_free(&l);
            broken = 1;
            break;
        }
        if (prc) {
            set_error(st, "listing: %.240s", d.reason[0] ? d.reason : "unreadable");
            broken = 1;
            break;
        }
        listed = 1;
        for (size_t k = 0; k < l.n && !stopping(c); k++) {
            int got =
                list_item(c, def, &l.items[k], container, now, st, first_err, sizeof(first_err));
            nitems++;
            fetched += got > 0;
            failed += got < 0;
        }
        ermes__free(marker);
        marker = NULL;
        if (l.next_marker && ++pages < LIST_PAGES) {
            marker = l.next_marker;
            l.next_marker = NULL;
            more = 1;
        }
        ermes__listing_free(&l);
    }
    ermes__free(marker);
    /* A page that failed after others were read: the run is an error (their items are kept);
     * the items fetched are in st->reports all the same. */
    if (!listed || broken)
        return;
    if (failed) {
        set_error(st, "%zu of %zu items failed (the others are recorded); first: %.180s", failed,
                  nitems, first_err);
    } else {
        snprintf(st->status, sizeof(st->status), "%s", fetched ? "ok" : "unchanged");
        st->last_error[0] = '\0';
    }
}

/* A run of collector name; scheduled: the collector thread's, which gives way when the run is
 * not due any more (another daemon ran it between our look and our claim). */
static int run_one(ermes__collect_t *c, const ermes__collector_conf_t *def, int scheduled,
                   ermes__collector_state_t *out)
{
    const char *name = def ? def->name : "";
    ermes__collector_state_t st;
    struct curl_slist *hdrs = NULL, *h;
    char errbuf[CURL_ERROR_SIZE] = "", line[400], who[96], file_name[256], hex[65];
    char url[URL_CAP];
    unsigned char hash[crypto_hash_sha256_BYTES];
    transfer_t t;
    CURLcode cc = CURLE_OK;
    int64_t now = ermes__time_now_ms(), self = ermes__instance_id();
    long interval, code = 0;
    int rc, claimed = 0, recorded = 0;

    if (!def)
        return ERMES_ENOTFOUND;
    memset(&t, 0, sizeof(t));
    {
        /* collect_min_interval may change while ermes runs (src/core/config_live.h). */
        const ermes__config_t *live = ermes__live_acquire(c->cfg);
        interval = ermes__collect_interval(def, live->collect_min_interval);
        ermes__live_release(live);
    }
    if ((rc =
             ermes__store_collector_claim(c->store, name, self, now + ermes__lease_ms(), &claimed)))
        return rc;
    if (!claimed)
        return ERMES_EBUSY;
    if ((rc = ermes__store_collector_get(c->store, name, &st)))
        goto out_release;
    if (scheduled && st.next_run > ermes__time_now_ms()) {
        rc = 0;
        goto out_release;
    }
    if (def->list) {
        run_list(c, def, &st, now);
        goto finish;
    }
    if (strcmp(def->feed, ERMES_COLLECT_MISP_FEED) == 0) {
        ermes__collect_misp_run(c->cfg, c->store, c->home_org, &c->stop, def, &st, now);
        goto finish;
    }
    t.c = c;
    t.cap = (size_t)def->max_size;
    if (t.cap > ermes__intake_max_report(c->intake))
        t.cap = ermes__intake_max_report(c->intake);
    crypto_hash_sha256_init(&t.sha);
    ermes_diag_clear(&t.d);
    if ((rc = ermes__intake_spool_begin(c->intake, &t.sp)))
        goto out_release;
    if (!(t.curl = curl_easy_init())) {
        rc = ERMES_ENOMEM;
        goto out_release;
    }
    /* Checked by ermes__collect_new; the date is that of the run. */
    if (ermes__collect_url_expand(def->url, now, url, sizeof(url))) {
        rc = ERMES_ECONFIG;
        goto out_release;
    }
    if (def->gzip && (rc = ermes__gunzip_new(&t.gz)))
        goto out_release;
    for (size_t k = 0; k < def->nheaders; k++)
        if ((h = curl_slist_append(hdrs, def->headers[k])))
            hdrs = h;
    /* Conditional GET: the server answers 304 when nothing changed since the last one. */
    if (st.etag[0]) {
        snprintf(line, sizeof(line), "If-None-Match: %s", st.etag);
        if ((h = curl_slist_append(hdrs, line)))
            hdrs = h;
    }
    if (st.last_modified[0]) {
        snprintf(line, sizeof(line), "If-Modified-Since: %s", st.last_modified);
        if ((h = curl_slist_append(hdrs, line)))
            hdrs = h;
    }
    setup(&t, def, url, hdrs, NULL, def->nheaders > 0, errbuf);
    cc = curl_easy_perform(t.curl);
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_ABORTED_BY_CALLBACK && stopping(c)) {
        /* Shutdown: not the feed's failure; the run is due again at the next start. */
        rc = 0;
        goto out_release;
    }

    st.runs++;
    st.last_run = now;
    st.http_status = code;
    if (t.redirect_refused) {
        set_error(&st,
                  "redirect to %s refused: the collector's custom headers are sent to the "
                  "configured URL's scheme, host and port only",
                  t.refused_to);
    } else if (t.gz_failed || (t.gz && cc == CURLE_OK && code == 200 && ermes__gunzip_end(t.gz))) {
        set_error(&st, "the body is not a whole gzip file (content = gzip)");
    } else if (t.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        set_error(&st, "the body exceeds %zu bytes (max_size or max_report)", t.cap);
    } else if (t.write_failed) {
        set_error(&st, "cannot store the body: %s", t.d.reason);
    } else if (cc != CURLE_OK) {
        set_error(&st, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    } else if (code == 304) {
        snprintf(st.status, sizeof(st.status), "not_modified");
        st.last_error[0] = '\0';
    } else if (code != 200) {
        set_error(&st, "HTTP status %ld", code);
    } else {
        crypto_hash_sha256_final(&t.sha, hash);
        sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
        snprintf(st.etag, sizeof(st.etag), "%s", t.etag);
        snprintf(st.last_modified, sizeof(st.last_modified), "%s", t.last_modified);
        st.last_error[0] = '\0';
        if (strcmp(hex, st.body_sha256) == 0) {
            snprintf(st.status, sizeof(st.status), "unchanged");
        } else {
            ermes__report_meta_t meta;
            ermes__viewer_t v;
            ermes__report_t r;
            ermes__spool_t *sp = t.sp;
            const char *opts[ERMES_COLLECTOR_MAX_OPTIONS + 1];
            for (size_t k = 0; k <= def->noptions; k++)
                opts[k] = def->options[k];
            report_file_name(def, url, file_name, sizeof(file_name));
            memset(&meta, 0, sizeof(meta));
            meta.feed = def->feed;
            meta.file_name = file_name;
            meta.options = opts;
            meta.tlp = def->tlp[0] ? def->tlp : NULL;
            memset(&v, 0, sizeof(v));
            v.role = ERMES_ROLE_ADMIN;
            v.org_id = c->home_org;
            snprintf(who, sizeof(who), "collector:%s", name);
            v.user_name = who;
            snprintf(st.status, sizeof(st.status), "ok");
            snprintf(st.body_sha256, sizeof(st.body_sha256), "%s", hex);
            st.failures = 0;
            st.last_success = now;
            st.reports++;
            st.next_run = now + ermes__collect_delay_ms(interval, 0);
            /* The report and the collector's state commit together: a crash cannot leave a
             * report whose body the collector would fetch and ingest again. */
            t.sp = NULL;
            if ((rc = ermes__store_begin(c->store)) == 0) {
                ermes_diag_clear(&t.d);
                rc = ermes__intake_spool_finish(c->intake, &v, &meta, sp, &r, &t.d);
                sp = NULL;
                if (rc == ERMES_EEXISTS) {
                    /* Bytes received before (another collector, an upload): no new report;
                     * the collector's state moves on all the same. */
                    ermes__log(ERMES_LOG_INFO, "collector %s: already received as report %lld",
                               name, (long long)r.id);
                    rc = 0;
                }
                if (rc == 0) {
                    st.last_report_id = r.id;
                    rc = ermes__store_collector_put(c->store, &st);
                }
                if (rc == 0)
                    rc = ermes__store_commit(c->store);
                else
                    ermes__store_rollback(c->store);
            }
            ermes__intake_spool_abort(sp);
            if (rc == 0) {
                recorded = 1;
                ermes__intake_kick(c->intake);
                ermes__log(ERMES_LOG_INFO, "collector %s: report %lld (%zu bytes)", name,
                           (long long)r.id, t.size);
            } else {
                /* Nothing of it was recorded: the old hash stays, the next run retries. */
                ermes__collector_state_t old;
                if (ermes__store_collector_get(c->store, name, &old) == 0) {
                    snprintf(st.body_sha256, sizeof(st.body_sha256), "%s", old.body_sha256);
                    st.last_report_id = old.last_report_id;
                    st.last_success = old.last_success;
                    st.reports = old.reports;
                    st.etag[0] = st.last_modified[0] = '\0';
                }
                st.failures = 0;
                set_error(&st, "cannot record the report: %s",
                          t.d.reason[0] ? t.d.reason : ermes_strerror(rc));
                rc = 0;
            }
        }
    }
finish:
    if (!recorded) {
        if (strcmp(st.status, "error") == 0) {
            st.failures++;
            ermes__log(ERMES_LOG_WARNING, "collector %s: %s (failure %lld)", name, st.last_error,
                       (long long)st.failures);
        } else {
            st.failures = 0;
            st.last_success = now;
        }
        st.next_run = now + ermes__collect_delay_ms(interval, st.failures);
        rc = ermes__store_collector_put(c->store, &st);
    }
    if (rc == 0 && out)
        *out = st;
    curl_easy_cleanup(t.curl);
    curl_slist_free_all(hdrs);
    ermes__gunzip_free(t.gz);
    ermes__intake_spool_abort(t.sp);
    return rc;

out_release:
    if (t.curl)
        curl_easy_cleanup(t.curl);
    curl_slist_free_all(hdrs);
    ermes__gunzip_free(t.gz);
    ermes__intake_spool_abort(t.sp);
    ermes__store_collector_release(c->store, name, self);
    return rc;
}

static json_t *time_or_null(int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    if (!ms)
        return json_null();
    ermes__time_format(ms, buf);
    return json_string(buf);
}

static json_t *text_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

json_t *ermes__collector_to_json(const ermes__collector_conf_t *def,
                                 const ermes__collector_state_t *s, long min_interval)
{
    char url[1024];

    /* scheme://[user:password@]host/path?query: the user information and the query may hold
     * credentials, so only scheme, host and path are shown. */
    ermes__url_shown(def->url, url, sizeof(url));
    /* A preset's key written into the path (a config file's PhishTank collector). */
    ermes__preset_url_redact(url, sizeof(url));
    return json_pack(
        "{s:s,s:s,s:s,s:I,s:b,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I}", "name",
        def->name, "feed", def->feed, "url", url, "interval",
        (json_int_t)ermes__collect_interval(def, min_interval), "enabled", def->enabled, "status",
        s->status[0] ? s->status : "new", "last_error", text_or_null(s->last_error), "http_status",
        s->http_status ? json_integer(s->http_status) : json_null(), "last_run",
        time_or_null(s->last_run), "next_run", time_or_null(s->next_run), "last_success",
        time_or_null(s->last_success), "etag", text_or_null(s->etag), "last_modified",
        text_or_null(s->last_modified), "last_report_id",
        s->last_report_id ? json_integer(s->last_report_id) : json_null(), "body_sha256",
        text_or_null(s->body_sha256), "failures", (json_int_t)s->failures, "runs",
        (json_int_t)s->runs, "reports", (json_int_t)s->reports);
}

/* ---- listing and the daemon's thread ----------------------------------------------------- */

/* A stored collector whose definition no longer holds (a preset gone from a newer catalogue):
 * listed with what the row says, disabled, without a feed. */
static int bare_def(const ermes__collector_def_t *row, ermes__config_t *tmp)
{
    ermes_diag_t d;
    int rc;

    ermes__collector_conf_cleanup(tmp);
    ermes_diag_clear(&d);
    if ((rc = ermes__collector_conf_set(tmp, row->name, "enabled", "false", &d)))
        return rc;
    tmp->collectors[0].url = ermes__strdup(row->url ? row->url : "");
    tmp->collectors[0].feed = ermes__strdup(""); /* what ermes__collector_json tells by */
    return tmp->collectors[0].url && tmp->collectors[0].feed ? 0 : ERMES_ENOMEM;
}

typedef struct each_ctx {
    const ermes__config_t *cfg;
    ermes__store_t *store;
    ermes__collect_cb cb;
    void *ctx;
} each_ctx_t;

static int state_of(ermes__store_t *st, const char *name, ermes__collector_state_t *s)
{
    int rc = ermes__store_collector_get(st, name, s);

    if (rc == ERMES_ENOTFOUND) {
        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->status, sizeof(s->status), "new");
        rc = 0;
    }
    return rc;
}

static int each_row(void *arg, const ermes__collector_def_t *row)
{
    each_ctx_t *e = arg;
    ermes__config_t tmp;
    ermes__collector_state_t s;
    ermes_diag_t d;
    int rc;

    /* The config file's collector of the same name wins (it was listed already). */
    if (ermes__collector_conf_find(e->cfg, row->name))
        return 0;
    memset(&tmp, 0, sizeof(tmp));
    ermes_diag_clear(&d);
    if ((rc = ermes__collector_def_build(row, &tmp, &d)) && rc != ERMES_ENOMEM)
        rc = bare_def(row, &tmp);
    if (rc == 0)
        rc = state_of(e->store, row->name, &s);
    if (rc == 0)
        rc = e->cb(e->ctx, &tmp.collectors[0], &s, row);
    ermes__collector_conf_cleanup(&tmp);
    return rc;
}

int ermes__collect_each(const ermes__config_t *cfg, ermes__store_t *st, ermes__collect_cb cb,
                        void *ctx)
{
    each_ctx_t e = {cfg, st, cb, ctx};

    for (size_t k = 0; k < cfg->ncollectors; k++) {
        const ermes__collector_conf_t *def = &cfg->collectors[k];
        ermes__collector_state_t s;
        int rc = state_of(st, def->name, &s);
        if (rc || (rc = cb(ctx, def, &s, NULL)))
            return rc;
    }
    return ermes__store_collector_def_each(st, each_row, &e);
}

int ermes__collect_load(ermes__store_t *st, const char *name, ermes__config_t *tmp, ermes_diag_t *d)
{
    ermes__collector_def_t row;
    int rc;

    memset(tmp, 0, sizeof(*tmp));
    if ((rc = ermes__store_collector_def_get(st, name, &row)))
        return rc;
    rc = ermes__collector_def_build(&row, tmp, d);
    ermes__store_collector_def_clear(&row);
    if (rc)
        ermes__collector_conf_cleanup(tmp);
    return rc;
}

int ermes__collect_run(ermes__collect_t *c, const char *name, ermes__collector_state_t *out)
{
    const ermes__collector_conf_t *def = ermes__collector_conf_find(c->cfg, name);
    ermes__config_t tmp;
    ermes_diag_t d;
    int rc;

    if (def)
        return run_one(c, def, 0, out);
    ermes_diag_clear(&d);
    if ((rc = ermes__collect_load(c->store, name, &tmp, &d)))
        return rc == ERMES_ENOTFOUND ? rc : ERMES_ECONFIG;
    rc = run_one(c, &tmp.collectors[0], 0, out);
    ermes__collector_conf_cleanup(&tmp);
    return rc;
}

/* A scheduling round's look at one collector: run it when due; *next gets earlier when its
 * next run is before it. */
static void consider(ermes__collect_t *c, const ermes__collector_conf_t *def, int64_t *next)
{
    ermes__collector_state_t s;
    int rc;

    if (!def->enabled)
        return;
    rc = ermes__store_collector_get(c->store, def->name, &s);
    if (rc == 0 && s.next_run > ermes__time_now_ms()) {
        if (s.next_run < *next)
            *next = s.next_run;
        return;
    }
    if (rc && rc != ERMES_ENOTFOUND)
        return;
    rc = run_one(c, def, 1, NULL);
    if (rc && rc != ERMES_EBUSY)
        ermes__log(ERMES_LOG_ERROR, "collector %s: %s", def->name, ermes_strerror(rc));
}

/* The names of the stored collectors enabled now (not those of the config file, which win). */
typedef struct names {
    const ermes__config_t *cfg;
    char (*v)[64];
    size_t n;
} names_t;

static int name_cb(void *arg, const ermes__collector_def_t *row)
{
    names_t *l = arg;

    if (row->enabled && !ermes__collector_conf_find(l->cfg, row->name) && l->n < 256)
        snprintf(l->v[l->n++], 64, "%s", row->name);
    return 0;
}

static void *collect_main(void *arg)
{
    ermes__collect_t *c = arg;
    char(*stored)[64] = ermes__calloc(256, 64);

    while (!stopping(c)) {
        int64_t now = ermes__time_now_ms(), next = now + RECHECK_MS;
        struct timespec until;
        names_t l = {c->cfg, stored, 0};
        for (size_t k = 0; k < c->cfg->ncollectors && !stopping(c); k++)
            consider(c, &c->cfg->collectors[k], &next);
        /* The stored collectors are read again at each round (at most RECHECK_MS apart), so
         * one added, changed, disabled or deleted through the API or another daemon is seen
         * within seconds; the rows are read first, the runs made after. */
        if (stored && ermes__store_collector_def_each(c->store, name_cb, &l) == 0) {
            for (size_t k = 0; k < l.n && !stopping(c); k++) {
                ermes__config_t tmp;
                ermes_diag_t d;
                ermes_diag_clear(&d);
                if (ermes__collect_load(c->store, stored[k], &tmp, &d))
                    continue; /* deleted since, or no longer valid (listed with its reason) */
                consider(c, &tmp.collectors[0], &next);
                ermes__collector_conf_cleanup(&tmp);
            }
        }
        now = ermes__time_now_ms();
        if (next > now + RECHECK_MS)
            next = now + RECHECK_MS;
        if (next <= now)
            continue;
        pthread_mutex_lock(&c->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)((next - now) / 1000);
        until.tv_nsec += (long)((next - now) % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (!stopping(c) && !c->kicked)
            pthread_cond_timedwait(&c->wake, &c->lock, &until);
        c->kicked = 0;
        pthread_mutex_unlock(&c->lock);
    }
    ermes__free(stored);
    return NULL;
}

int ermes__collect_start(ermes__collect_t *c)
{
    /* Started with no collector in the config file too: some may be stored, now or later. */
    if (c->running)
        return 0;
    __atomic_store_n(&c->stop, 0, __ATOMIC_RELEASE);
    if (pthread_create(&c->thread, NULL, collect_main, c) != 0)
        return ERMES_ENOMEM;
    c->running = 1;
    return 0;
}

void ermes__collect_wake(ermes__collect_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->kicked = 1;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

void ermes__collect_stop(ermes__collect_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    if (c->running) {
        pthread_join(c->thread, NULL);
        c->running = 0;
    }
}
