/* A MISP feed consumed by ermes: manifest.json (event uuid -> {timestamp, ...}) and one
 * <uuid>.json per event, as MISP publishes them, from a directory or over HTTP(S). Only the
 * events whose manifest timestamp is newer than the one remembered for the feed are read
 * (src/store/misp_feeds.c); each goes through ermes__misp_import. */
#include "sharing/misp_feed.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/url.h"

#define FEED_FILE_MAX ((size_t)256 << 20) /* one manifest or event file */
#define FEED_TIMEOUT_S 120L
#define FEED_MAX_EVENTS 100000

typedef struct buf {
    char *data;
    size_t len, cap, max;
    int too_big;
} buf_t;

static size_t write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
    buf_t *b = arg;
    size_t n = size * nmemb;

    if (b->len + n + 1 > (b->max ? b->max : FEED_FILE_MAX)) {
        b->too_big = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        char *d;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(d = ermes__realloc(b->data, cap)))
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static int is_url(const char *s)
{
    return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const int *stop = arg;

    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE) ? 1 : 0;
}

static size_t file_max(const ermes__misp_feed_opts_t *o)
{
    return o && o->max_size && o->max_size < FEED_FILE_MAX ? o->max_size : FEED_FILE_MAX;
}

/* The feed's file name (manifest.json, <uuid>.json) into b, from the directory or URL. */
static int fetch(const char *where, const char *name, const ermes__misp_feed_opts_t *o, buf_t *b,
                 long *status_out, ermes_diag_t *d)
{
    char path[4096];
    /* A URL's query (a key some feeds take) stays after the file's name. */
    size_t wl = is_url(where) ? strcspn(where, "?#") : strlen(where);
    const char *sep = wl && where[wl - 1] == '/' ? "" : "/", *query = where + wl;

    memset(b, 0, sizeof(*b));
    b->max = file_max(o);
    if (*query == '#')
        query = "";
    if ((size_t)snprintf(path, sizeof(path), "%.*s%s%s%s", (int)wl, where, sep, name, query) >=
        sizeof(path)) {
        ermes_diag_set(d, NULL, "the feed's location is too long");
        return ERMES_EINVAL;
    }
    if (is_url(where)) {
        CURL *h = curl_easy_init();
        struct curl_slist *hdrs = NULL, *hl;
        CURLcode cc;
        long status = 0;
        if (!h)
            return ERMES_ENOMEM;
        /* A collector's header lines (an Authorization): no redirect is followed (libcurl's
         * default), so they never go to another host. */
        for (size_t k = 0; o && o->headers && o->headers[k]; k++)
            if ((hl = curl_slist_append(hdrs, o->headers[k])))
                hdrs = hl;
        curl_easy_setopt(h, CURLOPT_URL, path);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, o && o->timeout ? o->timeout : FEED_TIMEOUT_S);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                         o && o->connect_timeout ? o->connect_timeout : 20L);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)(o ? o->stop : NULL));
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_USERAGENT, "ermes");
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
        curl_slist_free_all(hdrs);
        if (status_out)
            *status_out = status;
        if (b->too_big) {
            ermes_diag_set(d, NULL, "%s: larger than %zu bytes", name, b->max);
            return ERMES_ETOOBIG;
        }
        if (cc != CURLE_OK) {
            ermes_diag_set(d, NULL, "%s: %s", name, curl_easy_strerror(cc));
            return ERMES_EIO;
        }
        if (status != 200) {
            ermes_diag_set(d, NULL, "%s: HTTP status %ld", name, status);
            return ERMES_EIO;
        }
        if (!b->data && !(b->data = ermes__calloc(1, 1)))
            return ERMES_ENOMEM;
        return 0;
    }
    {
        FILE *f = fopen(path, "rb");
        char chunk[65536];
        size_t n;
        if (!f) {
            ermes_diag_set(d, NULL, "%s: %s", name, strerror(errno));
            return ERMES_EIO;
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            if (write_cb(chunk, 1, n, b) != n)
                break;
        fclose(f);
        if (b->too_big) {
            ermes_diag_set(d, NULL, "%s: larger than %zu bytes", name, b->max);
            return ERMES_ETOOBIG;
        }
        if (!b->data && !(b->data = ermes__calloc(1, 1)))
            return ERMES_ENOMEM;
    }
    return 0;
}

/* The manifest's timestamp of an entry: a string or a number of seconds. */
static int64_t manifest_ts(const json_t *e)
{
    const json_t *v = json_object_get(e, "timestamp");

    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int64_t n = 0;
        size_t i;
        for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 15; i++)
            n = n * 10 + (s[i] - '0');
        return i && !s[i] ? n : -1;
    }
    return -1;
}

static int uuid_ok(const char *s)
{
    size_t n = strlen(s);

    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23
                ? c != '-'
                : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static int failed(json_t *list, const char *uuid, const char *reason)
{
    return json_array_append_new(list, json_pack("{s:s,s:s}", "uuid", uuid, "reason", reason))
               ? ERMES_ENOMEM
               : 0;
}

typedef struct fixed_wls {
    ermes_warninglist_t *const *wls;
    size_t nwl;
} fixed_wls_t;

static int fixed_load(void *ctx, ermes_warninglist_t *const **wls, size_t *nwl, ermes_diag_t *d)
{
    fixed_wls_t *f = ctx;

    (void)d;
    *wls = f->wls;
    *nwl = f->nwl;
    return 0;
}

int ermes__misp_feed_import(ermes__store_t *st, const ermes__viewer_t *v, const char *where,
                            ermes_warninglist_t *const *wls, size_t nwl, json_t **report,
                            ermes_diag_t *d)
{
    fixed_wls_t f = {wls, nwl};
    ermes__misp_feed_opts_t o;

    memset(&o, 0, sizeof(o));
    o.load_wls = fixed_load;
    o.wls_ctx = &f;
    return ermes__misp_feed_import_opts(st, v, where, &o, report, d);
}

static int stopped(const ermes__misp_feed_opts_t *o)
{
    return o->stop && __atomic_load_n(o->stop, __ATOMIC_ACQUIRE);
}

int ermes__misp_feed_import_opts(ermes__store_t *st, const ermes__viewer_t *v, const char *where,
                                 ermes__misp_feed_opts_t *o, json_t **report, ermes_diag_t *d)
{
    ermes_warninglist_t *const *wls = NULL;
    size_t nwl = 0;
    int wls_loaded = 0;
    buf_t man = {0};
    json_t *manifest = NULL, *fails = json_array(), *events = json_array(), *e;
    json_error_t err;
    size_t taken = 0, unchanged = 0, added = 0, updated = 0, skipped = 0, invalid = 0,
           suppressed = 0;
    const char *uuid;
    char key[4096], shown[4096];
    int rc;

    *report = NULL;
    /* The feed is named in misp_feed_events and in the report without the credentials its
     * URL may hold (user:password@, ?key=): the name is bookkeeping, shown to the CERT. */
    ermes__url_shown(where, shown, sizeof(shown));
    if ((rc = ermes__url_key(where, key, sizeof(key)))) {
        if (rc == ERMES_ERANGE)
            ermes_diag_set(d, NULL, "the feed's location is too long");
        goto out;
    }
    if (!fails || !events) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    o->http_status = 0;
    if ((rc = fetch(where, "manifest.json", o, &man, &o->http_status, d)))
        goto out;
    manifest = json_loadb(man.data, man.len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(manifest)) {
        ermes_diag_set(d, NULL, "manifest.json is not a JSON object of events%s%s",
                       manifest ? "" : ": ", manifest ? "" : err.text);
        rc = ERMES_EPARSE;
        goto out;
    }
    if (json_object_size(manifest) > FEED_MAX_EVENTS) {
        ermes_diag_set(d, NULL, "manifest.json lists more than %d events", FEED_MAX_EVENTS);
        rc = ERMES_ETOOBIG;
        goto out;
    }
    json_object_foreach(manifest, uuid, e)
    {
        int64_t ts = manifest_ts(e), seen = 0;
        char name[48];
        ermes__misp_import_t imp;
        buf_t ev;
        ermes_diag_t ed;
        if (stopped(o)) {
            ermes_diag_set(d, NULL, "stopped");
            rc = ERMES_EIO;
            goto out;
        }
        if (!uuid_ok(uuid)) {
            if ((rc = failed(fails, uuid, "not an event uuid")))
                goto out;
            continue;
        }
        if (ts < 0) {
            if ((rc = failed(fails, uuid, "the manifest gives no timestamp")))
                goto out;
            continue;
        }
        rc = ermes__store_misp_feed_seen(st, key, uuid, &seen);
        if (rc && rc != ERMES_ENOTFOUND)
            goto out;
        if (rc == 0 && seen >= ts) {
            unchanged++;
            continue;
        }
        snprintf(name, sizeof(name), "%s.json", uuid);
        ermes_diag_clear(&ed);
        if (!wls_loaded) {
            /* Not before an event is to be imported: an unchanged feed costs the manifest. */
            if ((rc = o->load_wls(o->wls_ctx, &wls, &nwl, d)))
                goto out;
            wls_loaded = 1;
        }
        if ((rc = fetch(where, name, o, &ev, NULL, &ed))) {
            ermes__free(ev.data);
            if (rc == ERMES_ENOMEM || (rc = failed(fails, uuid, ed.reason)))
                goto out;
            continue;
        }
        memset(&imp, 0, sizeof(imp));
        rc = ermes__misp_import(st, v, ev.data, ev.len, wls, nwl, &imp, &ed);
        ermes__free(ev.data);
        if (rc == ERMES_EPARSE || rc == ERMES_ETOOBIG) {
            ermes__misp_import_cleanup(&imp);
            if ((rc = failed(fails, uuid, ed.reason)))
                goto out;
            continue;
        }
        if (!rc)
            rc = ermes__store_misp_feed_mark(st, key, uuid, ts, v ? v->org_id : 0);
        if (rc) {
            ermes__misp_import_cleanup(&imp);
            goto out;
        }
        taken++;
        added += imp.store.added;
        updated += imp.store.updated;
        skipped += imp.skipped;
        invalid += imp.invalid;
        suppressed += imp.suppressed;
        json_array_append_new(events, ermes__misp_import_to_json(&imp));
        ermes__misp_import_cleanup(&imp);
    }
    *report = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O,s:O}", "feed", shown,
                        "manifest_events", (json_int_t)json_object_size(manifest), "imported",
                        (json_int_t)taken, "unchanged", (json_int_t)unchanged, "added",
                        (json_int_t)added, "updated", (json_int_t)updated, "skipped",
                        (json_int_t)skipped, "invalid", (json_int_t)invalid, "suppressed",
                        (json_int_t)suppressed, "failed", fails, "events", events);
    rc = *report ? 0 : ERMES_ENOMEM;
out:
    ermes__free(man.data);
    json_decref(manifest);
    json_decref(fails);
    json_decref(events);
    return rc;
}
