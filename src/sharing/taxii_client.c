/* The TAXII 2.1 client (taxii_client.h). */
#include "sharing/taxii_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"

struct ermes__taxii_client {
    CURL *curl;
    struct curl_slist *get_headers, *post_headers;
    char *root; /* the API root, ending in '/' */
    const int *stop;
};

typedef struct xfer {
    ermes__taxii_client_t *c;
    ermes__taxii_response_t *r;
    int too_big;
} xfer_t;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_rc;

static void curl_init(void)
{
    curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void ermes__taxii_response_init(ermes__taxii_response_t *r)
{
    memset(r, 0, sizeof(*r));
    ermes__strbuf_init(&r->body, ERMES__TAXII_RESPONSE_MAX);
}

void ermes__taxii_response_cleanup(ermes__taxii_response_t *r)
{
    ermes__strbuf_cleanup(&r->body);
}

int ermes__taxii_client_new(const char *url, const char *auth, const char *credentials,
                            const int *stop, ermes__taxii_client_t **out)
{
    ermes__taxii_client_t *c;
    ermes__strbuf_t h;
    size_t n = strlen(url);
    int rc = ERMES_ENOMEM;

    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_rc != CURLE_OK)
        return ERMES_EINTERNAL;
    if (!(c = ermes__calloc(1, sizeof(*c))))
        return ERMES_ENOMEM;
    c->stop = stop;
    ermes__strbuf_init(&h, 8192);
    if (!(c->root = ermes__malloc(n + 2)))
        goto fail;
    memcpy(c->root, url, n + 1);
    if (!n || url[n - 1] != '/') {
        c->root[n] = '/';
        c->root[n + 1] = '\0';
    }
    if (!(c->curl = curl_easy_init()))
        goto fail;
    /* TAXII 2.1 section 1.6.8.1: every request says the media type it accepts. */
    if (!(c->get_headers = curl_slist_append(NULL, "Accept: " ERMES__TAXII_MEDIA)))
        goto fail;
    if (auth && !strcmp(auth, "token")) {
        struct curl_slist *l;
        if (ermes__strbuf_addf(&h, "Authorization: Bearer %s", credentials ? credentials : "") ||
            !(l = curl_slist_append(c->get_headers, h.data)))
            goto fail;
        c->get_headers = l;
    } else if (auth && !strcmp(auth, "basic")) {
        curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c->curl, CURLOPT_USERPWD, credentials ? credentials : "");
    }
    for (struct curl_slist *l = c->get_headers; l; l = l->next) {
        struct curl_slist *p = curl_slist_append(c->post_headers, l->data);
        if (!p)
            goto fail;
        c->post_headers = p;
    }
    {
        struct curl_slist *p =
            curl_slist_append(c->post_headers, "Content-Type: " ERMES__TAXII_MEDIA);
        if (!p)
            goto fail;
        c->post_headers = p;
    }
    ermes__strbuf_cleanup(&h);
    *out = c;
    return 0;
fail:
    ermes__strbuf_cleanup(&h);
    ermes__taxii_client_free(c);
    return rc;
}

void ermes__taxii_client_free(ermes__taxii_client_t *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->get_headers);
    curl_slist_free_all(c->post_headers);
    ermes__free(c->root);
    ermes__free(c);
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
    xfer_t *x = arg;
    size_t n = size * nmemb;

    if (ermes__strbuf_add(&x->r->body, p, n)) {
        x->too_big = 1;
        return 0;
    }
    return n;
}

/* Copies the value of header line (length n) if it is name's, trimmed, into dst. */
static void header_copy(const char *line, size_t n, const char *name, char *dst, size_t cap)
{
    size_t len = strlen(name), end;

    if (n <= len || strncasecmp(line, name, len) != 0 || line[len] != ':')
        return;
    line += len + 1;
    n -= len + 1;
    while (n && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    end = n;
    while (end && (line[end - 1] == '\r' || line[end - 1] == '\n' || line[end - 1] == ' '))
        end--;
    if (end >= cap)
        end = 0; /* too long to be a timestamp: not kept */
    memcpy(dst, line, end);
    dst[end] = '\0';
}

static size_t header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
    xfer_t *x = arg;
    size_t n = size * nmemb;

    header_copy(p, n, "X-TAXII-Date-Added-First", x->r->added_first, sizeof(x->r->added_first));
    header_copy(p, n, "X-TAXII-Date-Added-Last", x->r->added_last, sizeof(x->r->added_last));
    {
        char date[64] = "";
        header_copy(p, n, "Date", date, sizeof(date));
        if (date[0]) {
            time_t t = curl_getdate(date, NULL);
            x->r->date_ms = t > 0 ? (int64_t)t * 1000 : 0;
        }
    }
    return n;
}

static int progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    xfer_t *x = arg;

    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return x->c->stop && __atomic_load_n(x->c->stop, __ATOMIC_ACQUIRE) ? 1 : 0;
}

int ermes__taxii_request(ermes__taxii_client_t *c, const char *path, const char *body, size_t len,
                         ermes__taxii_response_t *r, ermes_diag_t *d)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    ermes__strbuf_t url;
    xfer_t x = {c, r, 0};
    CURLcode cc;

    ermes__strbuf_reset(&r->body);
    r->status = 0;
    r->added_first[0] = r->added_last[0] = '\0';
    r->date_ms = 0;
    ermes__strbuf_init(&url, 16384);
    if (ermes__strbuf_adds(&url, c->root) || ermes__strbuf_adds(&url, path)) {
        ermes__strbuf_cleanup(&url);
        ermes_diag_set(d, "url", "URL too long");
        return ERMES_EINVAL;
    }
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    /* No redirects: the credentials are for this server only. */
    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "ermes/" ERMES_VERSION);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, ERMES__TAXII_CONNECT_TIMEOUT);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, ERMES__TAXII_TIMEOUT);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ERMES__TAXII_RESPONSE_MAX);
    if (body) {
        curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->post_headers);
    } else {
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->get_headers);
    }
    cc = curl_easy_perform(c->curl);
    ermes__strbuf_cleanup(&url);
    if (x.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        ermes_diag_set(d, NULL, "the answer is larger than %u bytes", ERMES__TAXII_RESPONSE_MAX);
        return ERMES_ETOOBIG;
    }
    if (cc != CURLE_OK) {
        ermes_diag_set(d, NULL, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
        return ERMES_EIO;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
    /* The body is text for the JSON reader: terminated. */
    if (ermes__strbuf_addc(&r->body, '\0'))
        return ERMES_ETOOBIG;
    r->body.len--;
    return 0;
}

int ermes__taxii_envelope_read(const char *data, size_t len, json_t **objects, int *more,
                               char *next, size_t cap, ermes_diag_t *d)
{
    json_error_t err;
    json_t *doc, *o, *m, *n;

    *objects = NULL;
    *more = 0;
    if (cap)
        next[0] = '\0';
    doc = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        ermes_diag_set(d, NULL, "not JSON: %s", err.text);
        return ERMES_EPARSE;
    }
    if (!json_is_object(doc)) {
        ermes_diag_set(d, NULL, "an envelope is a JSON object");
        json_decref(doc);
        return ERMES_EPARSE;
    }
    o = json_object_get(doc, "objects");
    m = json_object_get(doc, "more");
    n = json_object_get(doc, "next");
    if ((o && !json_is_array(o)) || (m && !json_is_boolean(m)) || (n && !json_is_string(n))) {
        ermes_diag_set(d,
                       o && !json_is_array(o)     ? "objects"
                       : m && !json_is_boolean(m) ? "more"
                                                  : "next",
                       "of the wrong type");
        json_decref(doc);
        return ERMES_EPARSE;
    }
    if (n && json_string_length(n) >= cap) {
        ermes_diag_set(d, "next", "longer than %zu bytes", cap ? cap - 1 : 0);
        json_decref(doc);
        return ERMES_EPARSE;
    }
    if (n) {
        /* The token goes back in a query: it must be text without NULs. */
        if (strlen(json_string_value(n)) != json_string_length(n)) {
            ermes_diag_set(d, "next", "contains a NUL");
            json_decref(doc);
            return ERMES_EPARSE;
        }
        memcpy(next, json_string_value(n), json_string_length(n) + 1);
    }
    *more = json_is_true(m);
    *objects = o ? json_incref(o) : json_array();
    json_decref(doc);
    if (!*objects)
        return ERMES_ENOMEM;
    return 0;
}

int ermes__taxii_status_read(const char *data, size_t len, int *complete, long *successes,
                             long *failures, long *pendings, ermes_diag_t *d)
{
    json_error_t err;
    json_t *doc, *s;
    const char *status;

    *complete = 0;
    *successes = *failures = *pendings = 0;
    doc = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, &err);
    if (!doc || !json_is_object(doc)) {
        ermes_diag_set(d, NULL, "a status is a JSON object");
        json_decref(doc);
        return ERMES_EPARSE;
    }
    s = json_object_get(doc, "status");
    status = json_string_value(s);
    if (!status || (strcmp(status, "complete") != 0 && strcmp(status, "pending") != 0)) {
        ermes_diag_set(d, "status", "is \"complete\" or \"pending\"");
        json_decref(doc);
        return ERMES_EPARSE;
    }
    *complete = !strcmp(status, "complete");
    if (json_is_integer(json_object_get(doc, "success_count")))
        *successes = (long)json_integer_value(json_object_get(doc, "success_count"));
    if (json_is_integer(json_object_get(doc, "failure_count")))
        *failures = (long)json_integer_value(json_object_get(doc, "failure_count"));
    if (json_is_integer(json_object_get(doc, "pending_count")))
        *pendings = (long)json_integer_value(json_object_get(doc, "pending_count"));
    json_decref(doc);
    return 0;
}
