/* SMTP delivery with libcurl. smtp:// upgrades to TLS with STARTTLS whenever the server offers
 * it (CURLUSESSL_TRY; with smtp_tls=require, or credentials without smtp_plaintext_auth, it
 * must), smtps:// is TLS from the start;
 * certificates are verified, against smtp_ca_file when set. AUTH only when a user is
 * configured. The password goes to libcurl and nowhere else: errors carry
 * libcurl's message and the server's reply, never the credentials. */
#include "notify/notify.h"

#include "core/log.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* Set while the daemon stops: every exchange of the process gives up (any thread). */
static int cancel_all;

void ermes__notify_cancel_all(int on)
{
    __atomic_store_n(&cancel_all, on ? 1 : 0, __ATOMIC_RELEASE);
}

static int cancelled(const ermes__notify_options_t *o)
{
    return __atomic_load_n(&cancel_all, __ATOMIC_ACQUIRE) ||
           (o->cancel && __atomic_load_n(o->cancel, __ATOMIC_ACQUIRE));
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* curl_global_init is not safe to run twice at once; once per process. */
static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* How often a transfer looks at the cancel flags: a stopping daemon waits at most this. */
#define POLL_MS 50

/* The sockets a transfer has open. Abandoning an SMTP transfer makes libcurl say QUIT and
 * wait for the answer (up to the server response timeout); a server that hangs would hold a
 * stopping daemon that long. Shutting the sockets down first makes that wait end at once. The
 * callbacks run in the thread that drives the transfer, so the list is exact: a socket is
 * only ever shut down while libcurl still has it open. */
#define MAX_SOCKETS 8

typedef struct sockets {
    curl_socket_t fd[MAX_SOCKETS];
    size_t n;
} sockets_t;

static curl_socket_t open_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    sockets_t *s = arg;
    curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);

    if (fd != CURL_SOCKET_BAD && s->n < MAX_SOCKETS)
        s->fd[s->n++] = fd;
    return fd;
}

static int close_cb(void *arg, curl_socket_t fd)
{
    sockets_t *s = arg;

    for (size_t k = 0; k < s->n; k++)
        if (s->fd[k] == fd) {
            s->fd[k] = s->fd[--s->n];
            break;
        }
    return close(fd);
}

/* Runs the transfer with the multi interface, so that it can be abandoned between two polls
 * whatever state it is in (connecting, waiting for a greeting, for a TLS handshake). */
static CURLcode perform(const ermes__notify_options_t *o, CURL *c, sockets_t *socks, int *aborted)
{
    CURLM *m = curl_multi_init();
    CURLcode cc = CURLE_OK;
    CURLMsg *msg;
    int running = 1, left;

    *aborted = 0;
    if (!m)
        return CURLE_OUT_OF_MEMORY;
    if (curl_multi_add_handle(m, c) != CURLM_OK) {
        curl_multi_cleanup(m);
        return CURLE_OUT_OF_MEMORY;
    }
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            cc = CURLE_FAILED_INIT;
            break;
        }
        if (!running)
            break;
        if (cancelled(o)) {
            *aborted = 1;
            cc = CURLE_ABORTED_BY_CALLBACK;
            for (size_t k = 0; k < socks->n; k++)
                shutdown(socks->fd[k], SHUT_RDWR);
            break;
        }
        if (curl_multi_poll(m, NULL, 0, POLL_MS, NULL) != CURLM_OK) {
            cc = CURLE_FAILED_INIT;
            break;
        }
    }
    while (!*aborted && (msg = curl_multi_info_read(m, &left)))
        if (msg->msg == CURLMSG_DONE)
            cc = msg->data.result;
    curl_multi_remove_handle(m, c);
    curl_multi_cleanup(m);
    return cc;
}

/* DSN parameters go where libcurl (7.88, lib/smtp.c smtp_parse_address) lets them: it takes
 * MAIL FROM and each recipient as "<local@host>", drops one leading '<' and one trailing '>',
 * splits at the first '@' and writes "<local@host>" back, the rest of the string with it. So
 * "<a@b> RET=HDRS ENVID=<REF" goes out as "MAIL FROM:<a@b> RET=HDRS ENVID=<REF>" and
 * "<r@c> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;<r@c" as "... ORCPT=rfc822;<r@c>": the '>'
 * libcurl adds closes a value that has room for it (xtext, RFC 3461 section 4, allows '<' and
 * '>'). Only for ASCII addresses with an '@': libcurl would otherwise write them its own way
 * (IDN, no host). A test against a real server (test_smtp_dsn.py) holds the exact lines. */
static int dsn_ok(const char *s, int envid)
{
    if (!envid && !strchr(s, '@'))
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '<' || *s == '>' ||
            (envid && (*s == '+' || *s == '=')))
            return 0;
    return 1;
}

/* s as xtext (RFC 3461 section 4): '+', '=' and what is not printable ASCII as "+XX". */
static void xtext(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;

    for (; *s && k + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c > 0x7e || c == '+' || c == '=') {
            out[k++] = '+';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        } else {
            out[k++] = (char)c;
        }
    }
    out[k] = '\0';
}

static int send_once(const ermes__notify_options_t *o, const char *envid, const char *const *rcpts,
                     size_t n, const char *msg, size_t len, int *permanent, long *reply, char *err,
                     size_t errcap);

int ermes__notify_smtp_send(const ermes__notify_options_t *o, const char *const *rcpts, size_t n,
                            const char *msg, size_t len, int *permanent, char *err, size_t errcap)
{
    return ermes__notify_smtp_send_ref(o, NULL, rcpts, n, msg, len, permanent, err, errcap);
}

int ermes__notify_smtp_send_ref(const ermes__notify_options_t *o, const char *envid,
                                const char *const *rcpts, size_t n, const char *msg, size_t len,
                                int *permanent, char *err, size_t errcap)
{
    long reply = 0;
    int rc, dummy;

    if (!permanent)
        permanent = &dummy;
    if (!o->smtp_dsn || !envid || !*envid || strlen(envid) > 90 || !dsn_ok(envid, 1))
        return send_once(o, NULL, rcpts, n, msg, len, permanent, &reply, err, errcap);
    rc = send_once(o, envid, rcpts, n, msg, len, permanent, &reply, err, errcap);
    /* A server without DSN (RFC 3461 not in its EHLO) refuses the parameters: 555 (RFC 5321
     * section 4.1.1.11), or 501 / 504 from older ones. The message goes again without them:
     * asking for a receipt must never keep a notification from being sent. */
    if (rc && (reply == 555 || reply == 501 || reply == 504)) {
        ermes__log(ERMES_LOG_INFO,
                   "smtp: %s: the server refused the DSN parameters (%ld): "
                   "sent without them",
                   envid, reply);
        rc = send_once(o, NULL, rcpts, n, msg, len, permanent, &reply, err, errcap);
    }
    return rc;
}

static int send_once(const ermes__notify_options_t *o, const char *envid, const char *const *rcpts,
                     size_t n, const char *msg, size_t len, int *permanent, long *reply, char *err,
                     size_t errcap)
{
    char errbuf[CURL_ERROR_SIZE], from[320], addr[1100], orcpt[1000];
    struct curl_slist *list = NULL, *l;
    upload_t u = {msg, len};
    sockets_t socks;
    CURL *c = NULL;
    CURLcode cc;
    long code = 0;
    int rc = ERMES_EIO, aborted = 0;

    *permanent = 0;
    *reply = 0;
    socks.n = 0;
    if (err && errcap)
        err[0] = '\0';
    if (!o->smtp_url) {
        snprintf(err, errcap, "smtp_url is not set");
        return ERMES_ECONFIG;
    }
    if (ermes__notify_address(o->mail_from, from, sizeof(from))) {
        snprintf(err, errcap, "mail_from is not an address");
        return ERMES_ECONFIG;
    }
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        snprintf(err, errcap, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
        return ERMES_EIO;
    }
    for (size_t k = 0; k < n; k++) {
        /* With DSN: a receipt when delivered or failed, not when delayed, with the address
         * sent to (the trailing '>' is libcurl's: see dsn_ok). */
        if (envid && dsn_ok(rcpts[k], 0)) {
            xtext(rcpts[k], orcpt, sizeof(orcpt));
            snprintf(addr, sizeof(addr), "<%s> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;<%s", rcpts[k],
                     orcpt);
        } else {
            snprintf(addr, sizeof(addr), "<%s>", rcpts[k]);
        }
        if (!(l = curl_slist_append(list, addr))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        list = l;
    }
    /* RET=HDRS: a receipt quotes the headers, not the notification's text. */
    if (envid && dsn_ok(from, 0))
        snprintf(addr, sizeof(addr), "<%s> RET=HDRS ENVID=<%s", from, envid);
    else
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
    /* RFC 3207: STARTTLS when the server offers it, plain otherwise (smtp://), or never plain
     * with smtp_tls=require; smtps:// is TLS from the first byte. Certificates and host names
     * are verified (libcurl's default) against the system's CAs or smtp_ca_file. */
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     (long)(o->smtp_tls_required ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (o->smtp_ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->smtp_ca_file);
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
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_cb);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &socks);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETDATA, &socks);
    cc = perform(o, c, &socks, &aborted);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    *reply = code;
    if (cc == CURLE_OK) {
        rc = 0;
    } else if (aborted) {
        snprintf(err, errcap, "aborted: ermes is stopping");
    } else {
        /* RFC 5321 section 4.2.1: 5yz is a permanent refusal; the same message would be
         * refused again. A refused AUTH is the configuration's fault, not the message's. */
        *permanent = code >= 500 && code <= 599 && cc != CURLE_LOGIN_DENIED;
        if (cc == CURLE_USE_SSL_FAILED && o->smtp_user)
            snprintf(err, errcap,
                     "the SMTP server offers no STARTTLS, and smtp_user is set: credentials "
                     "are sent only over TLS (smtp_plaintext_auth = true allows it in clear)");
        else if (code)
            snprintf(err, errcap, "%s (SMTP %ld)%s%s", curl_easy_strerror(cc), code,
                     errbuf[0] ? ": " : "", errbuf);
        else
            snprintf(err, errcap, "%s%s%s", curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf);
    }
out:
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(list);
    return rc;
}
