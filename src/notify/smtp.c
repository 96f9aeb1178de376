/* SMTP delivery with libcurl. smtp:// upgrades to TLS with STARTTLS whenever the server offers
 * it (CURLUSESSL_TRY), smtps:// is TLS from the start; certificates are verified. AUTH only
 * when a user is configured. The password goes to libcurl and nowhere else: errors carry
 * libcurl's message and the server's reply, never the credentials. */
#include "notify/notify.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct upload {
    const char *p;
    size_t left;
} upload_t;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    upload_t *u = arg;
    size_t n = size * nitems;

    if (n > u->left)
        n = u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* Aborts the transfer once the daemon is stopping, so that a slow server cannot hold up
 * shutdown for the whole timeout. */
static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const int *cancel = arg;

    return cancel && __atomic_load_n(cancel, __ATOMIC_ACQUIRE) ? 1 : 0;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* curl_global_init is not safe to run twice at once; once per process. */
static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ermes_notify_smtp_send(const ermes_notify_options_t *o, const char *const *rcpts, size_t n,
                           const char *msg, size_t len, char *err, size_t errcap)
{
    char errbuf[CURL_ERROR_SIZE], from[320], addr[330];
    struct curl_slist *list = NULL, *l;
    upload_t u = {msg, len};
    CURL *c = NULL;
    CURLcode cc;
    long code = 0;
    int rc = ERMES_EIO;

    if (err && errcap)
        err[0] = '\0';
    if (!o->smtp_url) {
        snprintf(err, errcap, "smtp_url is not set");
        return ERMES_ECONFIG;
    }
    if (ermes_notify_address(o->mail_from, from, sizeof(from))) {
        snprintf(err, errcap, "mail_from is not an address");
        return ERMES_ECONFIG;
    }
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        snprintf(err, errcap, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
        return ERMES_EIO;
    }
    for (size_t k = 0; k < n; k++) {
        snprintf(addr, sizeof(addr), "<%s>", rcpts[k]);
        if (!(l = curl_slist_append(list, addr))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        list = l;
    }
    snprintf(addr, sizeof(addr), "<%s>", from);
    if (!(c = curl_easy_init())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, o->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, list);
    /* RFC 3207: STARTTLS when the server offers it, plain otherwise (smtp://); smtps:// is TLS
     * from the first byte. */
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    if (o->smtp_user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, o->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, o->smtp_password ? o->smtp_password : "");
    }
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)ERMES_NOTIFY_SMTP_CONNECT_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)ERMES_NOTIFY_SMTP_TIMEOUT);
    /* Threads: no signals for timeouts. */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (o->cancel) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o->cancel);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_OK) {
        rc = 0;
    } else {
        if (code)
            snprintf(err, errcap, "%s (SMTP %ld)%s%s", curl_easy_strerror(cc), code,
                     errbuf[0] ? ": " : "", errbuf);
        else
            snprintf(err, errcap, "%s%s%s", curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf);
        rc = ERMES_EIO;
    }
out:
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(list);
    return rc;
}
