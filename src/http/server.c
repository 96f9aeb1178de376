/* libmicrohttpd glue: limits, authentication, routing and dispatch of every request. */
#include "http/server.h"

#include <unistd.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <pthread.h>

#include "access/access.h"
#include "access/login_guard.h"
#include "core/alloc.h"
#include "core/config_live.h"
#include "core/log.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"
#include "http/page_cache.h"
#include "http/read_probe.h"
#include "http/static.h"
#include "sightings/sightings.h"

/* The thread pool: the setting, or one thread per CPU (more only queue on the same cores). */
static unsigned pool_size(const ermes__config_t *cfg)
{
    long n = cfg->threads > 0 ? cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (unsigned)n : 1u;
}

/* Reads a whole small file (a TLS certificate or key) into memory. */
static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ermes__strbuf_t b;
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    ermes__strbuf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (ermes__strbuf_add(&b, chunk, n)) {
            ermes__strbuf_cleanup(&b);
            fclose(f);
            return NULL;
        }
    fclose(f);
    return ermes__strbuf_take(&b, NULL);
}

/* Parses "ADDR:PORT" or "[V6ADDR]:PORT" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, ermes_diag_t *d)
{
    char host[64];
    const char *colon, *port_s;
    int port;

    memset(ss, 0, sizeof(*ss));
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
            goto bad;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        port_s = close + 2;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof(host))
            goto bad;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port_s = colon + 1;
    }
    if (ermes__parse_int(port_s, "port", 0, 65535, &port, NULL))
        goto bad;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            a4->sin_port = htons((uint16_t)port);
            return 0;
        }
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons((uint16_t)port);
            return 0;
        }
    }
bad:
    ermes_diag_set(d, "listen", "listen must be ADDRESS:PORT or [IPv6]:PORT, not \"%.64s\"", s);
    return ERMES_ECONFIG;
}

static void client_address(struct MHD_Connection *conn, char *buf, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(buf, cap, "?");
    if (!sa)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)cap);
}

/* ---- connections and their deadlines ----------------------------------------------------
 * libmicrohttpd's connection timeout only measures idle gaps: a client sending a header line
 * a second is never idle, and eight of them fill --max-connections 8. So every connection is
 * known here, with the phase of its current request, and a sweeper thread closes those past
 * their deadline (docs/API.md, "Limits"):
 *   - a new connection must deliver its first request head within head_timeout;
 *   - on a kept-alive connection, the next request line may take request_timeout (idle), and
 *     the head then has head_timeout from that line;
 *   - the whole request, head and body, has request_deadline from its start.
 * Closing is shutdown() on the socket, which libmicrohttpd then sees as the client's going
 * and cleans up on its own thread; the registry's lock keeps the descriptor from being closed
 * (and reused) meanwhile: the CLOSED notification comes before libmicrohttpd closes it. */

typedef enum { PHASE_IDLE, PHASE_HEAD, PHASE_BODY, PHASE_ANSWER } conn_phase_t;

typedef struct ermes__conn_state {
    struct ermes__conn_state *prev, *next; /* srv->conns, under srv->conns_lock */
    struct MHD_Connection *conn;
    pthread_t owner; /* the worker thread that serves it (libmicrohttpd never moves one) */
    int fd;
    int first;          /* the connection's first request is still to come or in progress */
    int refused;        /* answered here and shut down: libmicrohttpd's say is void */
    conn_phase_t phase; /* written under srv->conns_lock */
    int64_t since_ns;   /* IDLE: opened or last answered; HEAD, BODY: the request's start */
    int64_t opened_ns;
} ermes_conn_state_t;

static ermes_conn_state_t *conn_state(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

static void set_phase(ermes__server_t *srv, ermes_conn_state_t *cs, conn_phase_t phase,
                      int64_t since_ns)
{
    if (!cs)
        return;
    pthread_mutex_lock(&srv->conns_lock);
    cs->phase = phase;
    if (since_ns)
        cs->since_ns = since_ns;
    pthread_mutex_unlock(&srv->conns_lock);
}

/* Answers on the socket itself, bypassing libmicrohttpd, then shuts the connection down: for
 * the errors it would answer with its own HTML page (sometimes with the head twice) or not at
 * all, and for deadlines. Over HTTPS the answer must go through the connection's TLS session,
 * which only its own worker thread may use: from there (own_thread) it is written through
 * GnuTLS; from the sweeper the connection is only shut down. Caller holds srv->conns_lock. */
static void refuse_locked(ermes__server_t *srv, ermes_conn_state_t *cs, int own_thread,
                          unsigned status, const char *reason, const char *code,
                          const char *message)
{
    char out[1536];
    int nb, nh;

    if (cs->refused)
        return;
    cs->refused = 1;
    srv->live_conns--;
    if (!srv->tls_cert_pem || own_thread) {
        char body[384];

        nb = snprintf(body, sizeof(body),
                      "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"field\":null}}", code,
                      message);
        nh = nb > 0 && (size_t)nb < sizeof(body)
                 ? snprintf(out, sizeof(out),
                            "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                            "Content-Length: %d\r\nConnection: close\r\nCache-Control: "
                            "no-store\r\nContent-Security-Policy: " ERMES_CSP "\r\n"
                            "X-Content-Type-Options: nosniff\r\nReferrer-Policy: "
                            "no-referrer\r\nX-Frame-Options: DENY\r\n\r\n%s",
                            status, reason, nb, body)
                 : -1;
        if (nh > 0 && (size_t)nh < sizeof(out)) {
            if (!srv->tls_cert_pem) {
                /* A few hundred bytes into an empty socket buffer: one call, never blocking. */
                (void)!send(cs->fd, out, (size_t)nh, MSG_NOSIGNAL | MSG_DONTWAIT);
            } else {
                const union MHD_ConnectionInfo *ci =
                    MHD_get_connection_info(cs->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
                /* One TLS record; libmicrohttpd's own answer, queued next, then fails on the
                 * shut socket and the connection is closed. */
                if (ci && ci->tls_session)
                    (void)gnutls_record_send((gnutls_session_t)ci->tls_session, out, (size_t)nh);
            }
        }
    }
    /* Reading stops too: what the client still sends is not a request. */
    shutdown(cs->fd, SHUT_RDWR);
}

/* On the connection's own worker thread (a libmicrohttpd callback of the connection). */
static void refuse(ermes__server_t *srv, ermes_conn_state_t *cs, unsigned status,
                   const char *reason, const char *code, const char *message)
{
    if (!cs)
        return;
    pthread_mutex_lock(&srv->conns_lock);
    refuse_locked(srv, cs, 1, status, reason, code, message);
    pthread_mutex_unlock(&srv->conns_lock);
}

/* A new connection (fresh) over max_connections: libmicrohttpd accepts a few more than that
 * (MHD_OPTION_CONNECTION_LIMIT has headroom) so that this choice is ermes's, not the kernel
 * backlog's. The connection that goes is the one that has held its slot longest without
 * giving a request to work on: an idle kept-alive one first (HTTP lets a server close those
 * at any time), else the oldest still sending its first request head, the shape of a
 * slow-header attack from many addresses. A legitimate client sends its head in
 * milliseconds, so it is almost never the oldest. When every other connection has a request
 * in work, the new one is refused with 503. Caller holds srv->conns_lock. */
static void evict_locked(ermes__server_t *srv, ermes_conn_state_t *fresh)
{
    ermes_conn_state_t *idle = NULL, *head = NULL;

    for (ermes_conn_state_t *cs = srv->conns; cs; cs = cs->next) {
        if (cs == fresh || cs->refused)
            continue;
        if (cs->phase == PHASE_IDLE && !cs->first) {
            if (!idle || cs->since_ns < idle->since_ns)
                idle = cs;
        } else if ((cs->phase == PHASE_IDLE && cs->first) || cs->phase == PHASE_HEAD) {
            if (!head || cs->opened_ns < head->opened_ns)
                head = cs;
        }
    }
    if (idle || head) {
        ermes__log(ERMES_LOG_WARNING, "http: max_connections reached: the connection that "
                                      "waited longest without a request is closed");
        refuse_locked(srv, idle ? idle : head, 0, 503, "Service Unavailable", "unavailable",
                      "the server is at max_connections and this connection had sent no "
                      "request");
    } else {
        refuse_locked(srv, fresh, 0, 503, "Service Unavailable", "unavailable",
                      "the server is at max_connections");
    }
}

int ermes__server_wl_ready(ermes__server_t *srv)
{
    ermes__wl_catalog_t c;
    ermes_diag_t d;
    int rc = 0;

    if (__atomic_load_n(&srv->wl_loaded, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&srv->wl_load_lock);
    if (!srv->wl_loaded) {
        ermes_diag_clear(&d);
        /* Taken before the files are read: a file dropped meanwhile makes a reload. */
        ermes__wl_dir_stamp(srv->cfg->data_dir, &srv->wl_stamp);
        rc = ermes__wl_catalog_load(srv->cfg->data_dir, srv->cfg->warninglists,
                                    srv->cfg->warninglists_off, srv->store, &c, &d);
        if (rc) {
            ermes__log(ERMES_LOG_ERROR, "warninglists: cannot load them: %s",
                       d.reason[0] ? d.reason : ermes_strerror(rc));
        } else {
            pthread_rwlock_wrlock(&srv->wl_lock);
            srv->wl = c;
            pthread_rwlock_unlock(&srv->wl_lock);
            __atomic_store_n(&srv->wl_loaded, 1, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&srv->wl_load_lock);
    return rc;
}

int ermes__server_wl_reload(ermes__server_t *srv, int *reloaded)
{
    ermes__wl_catalog_t fresh, old;
    uint64_t stamp = 0;
    ermes_diag_t d;
    int rc = 0, done = 0;

    if (reloaded)
        *reloaded = 0;
    if (!__atomic_load_n(&srv->wl_loaded, __ATOMIC_ACQUIRE))
        return 0; /* not read yet: the first reading will see the files as they are */
    pthread_mutex_lock(&srv->wl_load_lock);
    ermes__wl_dir_stamp(srv->cfg->data_dir, &stamp);
    if (stamp == srv->wl_stamp)
        goto out;
    ermes_diag_clear(&d);
    rc = ermes__wl_catalog_load(srv->cfg->data_dir, srv->cfg->warninglists,
                                srv->cfg->warninglists_off, srv->store, &fresh, &d);
    if (rc) {
        ermes__log(ERMES_LOG_ERROR,
                   "warninglists: cannot reload them: %s (the lists in force stay)",
                   d.reason[0] ? d.reason : ermes_strerror(rc));
        /* Said once: tried again when the files change again. */
        srv->wl_stamp = stamp;
        goto out;
    }
    pthread_rwlock_wrlock(&srv->wl_lock);
    rc = ermes__wl_catalog_keep_good(&fresh, &srv->wl);
    if (!rc) {
        old = srv->wl;
        srv->wl = fresh;
    }
    pthread_rwlock_unlock(&srv->wl_lock);
    if (rc) {
        ermes__wl_catalog_free(&fresh);
        goto out;
    }
    ermes__wl_catalog_free(&old);
    ermes__server_wl_changed(srv);
    srv->wl_stamp = stamp;
    for (size_t k = 0; k < fresh.n; k++)
        if (fresh.v[k].error[0])
            ermes__log(ERMES_LOG_ERROR, "warninglists: %s: %s%s", fresh.v[k].id, fresh.v[k].error,
                       fresh.v[k].wl ? " (the version read before stays in force)" : "");
    ermes__log(ERMES_LOG_NOTICE, "warninglists: %s/warninglists changed: %zu lists read again",
               srv->cfg->data_dir, fresh.n);
    done = 1;
    if (reloaded)
        *reloaded = 1;
out:
    pthread_mutex_unlock(&srv->wl_load_lock);
    /* The stored indicators now on a list stop matching; those no longer on one match again. */
    if (done && (rc = ermes__sightings_refresh(srv->sightings, 1)))
        ermes__log(ERMES_LOG_WARNING, "cannot rebuild the indicator matcher: %s",
                   ermes_strerror(rc));
    return rc;
}

/* The warninglists in force applied to the stored indicators when the matcher is built
 * (src/sightings/engine.c). */
static int sightings_wl(void *ctx, ermes_indicator_set_t *set, const unsigned char *skip,
                        ermes_suppressed_cb cb, void *cb_ctx)
{
    ermes__server_t *srv = ctx;
    int rc;

    if ((rc = ermes__server_wl_ready(srv)))
        return rc;
    pthread_rwlock_rdlock(&srv->wl_lock);
    for (size_t k = 0; k < srv->wl.nactive; k++)
        ermes_indicator_set_suppress_some(set, srv->wl.active[k], skip, cb, cb_ctx);
    pthread_rwlock_unlock(&srv->wl_lock);
    return 0;
}

/* Moves on at every reload and switch of the lists (ermes__server_wl_changed). */
static uint64_t sightings_wl_gen(void *ctx)
{
    ermes__server_t *srv = ctx;
    return __atomic_load_n(&srv->wl_generation, __ATOMIC_ACQUIRE);
}

void ermes__server_wl_changed(ermes__server_t *srv)
{
    __atomic_add_fetch(&srv->wl_generation, 1, __ATOMIC_ACQ_REL);
}

static void *sweeper_main(void *arg)
{
    ermes__server_t *srv = arg;
    const ermes__config_t *cfg = srv->cfg;
    int64_t last_flush = 0;

    pthread_mutex_lock(&srv->conns_lock);
    while (!srv->stopping) {
        int64_t now = ermes__time_monotonic_ns();
        struct timespec ts;

        for (ermes_conn_state_t *cs = srv->conns; cs; cs = cs->next) {
            int64_t limit;
            if (cs->refused)
                continue;
            switch (cs->phase) {
            case PHASE_IDLE:
                /* Waiting for a request line: on a new connection that is part of the first
                 * head; between requests libmicrohttpd's idle timeout applies. */
                if (!cs->first)
                    continue;
                limit = cs->opened_ns + cfg->head_timeout * 1000000000LL;
                break;
            case PHASE_HEAD:
                limit =
                    (cs->first ? cs->opened_ns : cs->since_ns) + cfg->head_timeout * 1000000000LL;
                break;
            case PHASE_BODY:
                limit = cs->since_ns + cfg->request_deadline * 1000000000LL;
                break;
            default:
                continue;
            }
            if (now < limit)
                continue;
            ermes__log(ERMES_LOG_WARNING, "http: a request %s too slowly, connection closed",
                       cs->phase == PHASE_BODY ? "body arrived" : "head arrived");
            refuse_locked(srv, cs, 0, 408, "Request Timeout", "request_timeout",
                          cs->phase == PHASE_BODY ? "the request took longer than request_deadline"
                                                  : "the request head took longer than "
                                                    "head_timeout");
        }
        /* The failed logins' counts go to the audit log once a second (h_sessions.c). */
        if (srv->login_guard && now - last_flush >= 1000000000LL) {
            last_flush = now;
            pthread_mutex_unlock(&srv->conns_lock);
            ermes__login_guard_flush(srv->login_guard, ermes__time_now_ms(), 0);
            pthread_mutex_lock(&srv->conns_lock);
            continue;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->sweeper_wake, &srv->conns_lock, &ts);
    }
    pthread_mutex_unlock(&srv->conns_lock);
    return NULL;
}

/* Counts Content-Length, Transfer-Encoding and Host headers (on_request). */
typedef struct framing {
    int content_length;
    int transfer_encoding;
    int host;
} framing_t;

static enum MHD_Result count_framing_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    framing_t *f = cls;

    (void)kind;
    (void)value;
    if (strcasecmp(key, "Content-Length") == 0)
        f->content_length++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0)
        f->transfer_encoding++;
    else if (strcasecmp(key, "Host") == 0)
        f->host++;
    return MHD_YES;
}

/* 1 when s is a Content-Length libmicrohttpd accepts: digits only, within 64 bits. */
static int content_length_ok(const char *s)
{
    unsigned long long v = 0;

    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (~0ULL - 9) / 10)
            return 0;
        v = v * 10 + (unsigned)(*s - '0');
    }
    return 1;
}

static void set_viewer(ermes__req_t *req)
{
    req->viewer.user_id = req->user.id;
    req->viewer.user_name = req->user.name;
    req->viewer.role = req->user.role;
    req->viewer.org_id = req->user.org_id;
    req->viewer.remote = req->remote;
}

static int state_changing(const char *method)
{
    return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

/* Authenticates the browser's session cookie. A change (POST, PUT, PATCH, DELETE) must also
 * carry the session's CSRF token in X-CSRF-Token: a page of another site can make the browser
 * send the cookie, but cannot read the token. */
static int authenticate_session(ermes__req_t *req, const char *cookie, enum MHD_Result *ret)
{
    ermes__session_t s;
    ermes_diag_t d;
    const char *tok;
    size_t n;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__session_authenticate(req->srv->store, cookie, strlen(cookie),
                                     req->srv->cfg->session_idle * 1000, &req->user, &s, &d);
    if (rc == ERMES_EAUTH) {
        /* The browser forgets the dead cookie. */
        char c[128];
        snprintf(c, sizeof(c), "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
                 ERMES_SESSION_COOKIE, req->srv->tls_cert_pem ? "; Secure" : "");
        ermes__reply_header(req, "Set-Cookie", c);
        *ret = ermes__reply_error(req, 401, "unauthorized", NULL, "%s", d.reason);
        return 0;
    }
    if (rc) {
        *ret = ermes__reply_error(req, 503, "unavailable", NULL,
                                  "the database is not available; try again");
        return 0;
    }
    if (state_changing(req->method)) {
        tok = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-CSRF-Token");
        n = strlen(s.csrf);
        if (!tok || strlen(tok) != n || n == 0 || sodium_memcmp(tok, s.csrf, n) != 0) {
            *ret = ermes__reply_error(req, 403, "csrf", NULL,
                                      "%s: send the session's csrf_token in X-CSRF-Token",
                                      tok ? "wrong CSRF token" : "CSRF token missing");
            return 0;
        }
    }
    req->session_id = s.id;
    req->session_expires = s.expires_at;
    req->totp_enrol_only = ermes__totp_enrol_only(req->srv->cfg, &req->user);
    snprintf(req->csrf, sizeof(req->csrf), "%s", s.csrf);
    set_viewer(req);
    return 1;
}

static int taxii_path(const ermes__req_t *req)
{
    return req->url && strncmp(req->url, "/taxii2", 7) == 0 &&
           (req->url[7] == '/' || req->url[7] == '\0');
}

/* The scheme a client is asked for: TAXII's Basic under /taxii2/, the API's Bearer elsewhere
 * (both are accepted everywhere). */
static void challenge(ermes__req_t *req)
{
    if (taxii_path(req))
        ermes__reply_header(req, "WWW-Authenticate", "Basic realm=\"ermes\", charset=\"UTF-8\"");
    else
        ermes__reply_header(req, "WWW-Authenticate",
                            "Bearer realm=\"ermes\", error=\"invalid_token\"");
}

/* HTTP Basic (RFC 7617), which TAXII 2.1 section 1.6.8.5 makes every server support: the user
 * name and, as the password, one of that user's API tokens. A token stands in for the
 * password so that a TAXII client paging through a collection costs one hash lookup per
 * request, not an argon2id computation. */
static int authenticate_basic(ermes__req_t *req, const char *b64, enum MHD_Result *ret)
{
    unsigned char raw[512];
    size_t n = 0, len = strlen(b64);
    const char *colon;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    while (len && b64[len - 1] == ' ')
        len--;
    if (sodium_base642bin(raw, sizeof(raw) - 1, b64, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        !(colon = memchr(raw, ':', n))) {
        challenge(req);
        *ret = ermes__reply_error(req, 401, "unauthorized", NULL,
                                  "Basic credentials are base64 of NAME:TOKEN");
        return 0;
    }
    raw[n] = '\0';
    rc = ermes__auth_token(req->srv, colon + 1, n - (size_t)(colon + 1 - (const char *)raw),
                           &req->user, &d);
    if (rc == 0 && colon != (const char *)raw &&
        ((size_t)(colon - (const char *)raw) != strlen(req->user.name) ||
         memcmp(raw, req->user.name, (size_t)(colon - (const char *)raw)) != 0)) {
        rc = ERMES_EAUTH;
        snprintf(d.reason, sizeof(d.reason), "the token is not this user's");
    }
    sodium_memzero(raw, sizeof(raw));
    if (rc) {
        challenge(req);
        if (rc == ERMES_EAUTH)
            *ret = ermes__reply_error(req, 401, "unauthorized", NULL, "%s", d.reason);
        else
            *ret = ermes__reply_error(req, 503, "unavailable", NULL,
                                      "the database is not available; try again");
        return 0;
    }
    set_viewer(req);
    return 1;
}

/* Authenticates the request's bearer token (or Basic credentials), or else its session
 * cookie, into req->viewer. Returns 1 on success; else queues 401 and returns 0 with *ret
 * set. */
static int authenticate(ermes__req_t *req, enum MHD_Result *ret)
{
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
    const char *cookie;
    ermes_diag_t d;
    size_t n;
    int rc;

    ermes_diag_clear(&d);
    if (!h &&
        (cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, ERMES_SESSION_COOKIE)))
        return authenticate_session(req, cookie, ret);
    if (!h) {
        if (taxii_path(req))
            ermes__reply_header(req, "WWW-Authenticate",
                                "Basic realm=\"ermes\", charset=\"UTF-8\"");
        else
            ermes__reply_header(req, "WWW-Authenticate", "Bearer realm=\"ermes\"");
        *ret = ermes__reply_error(req, 401, "unauthorized", NULL,
                                  "authentication required: send Authorization: Bearer <token>");
        return 0;
    }
    if (strncasecmp(h, "Basic ", 6) == 0) {
        h += 6;
        while (*h == ' ')
            h++;
        return authenticate_basic(req, h, ret);
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        ermes__reply_header(req, "WWW-Authenticate",
                            "Bearer realm=\"ermes\", error=\"invalid_request\"");
        *ret = ermes__reply_error(req, 401, "unauthorized", NULL,
                                  "the Authorization header must be \"Bearer <token>\"");
        return 0;
    }
    h += 7;
    while (*h == ' ')
        h++;
    n = strlen(h);
    while (n && h[n - 1] == ' ')
        n--;
    rc = ermes__auth_token(req->srv, h, n, &req->user, &d);
    if (rc) {
        ermes__reply_header(req, "WWW-Authenticate",
                            "Bearer realm=\"ermes\", error=\"invalid_token\"");
        if (rc == ERMES_EAUTH)
            *ret = ermes__reply_error(req, 401, "unauthorized", NULL, "%s", d.reason);
        else
            *ret = ermes__reply_error(req, 503, "unavailable", NULL,
                                      "the database is not available; try again");
        return 0;
    }
    set_viewer(req);
    return 1;
}

/* The target of the request line, before libmicrohttpd decodes it: a %00 in the path would
 * become a shorter path unseen. The answer becomes the request's first context: this marker,
 * or NULL. */
static char url_had_nul;
/* Or this one: more query parameters than max_query_params. */
static char url_too_many;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    ermes__server_t *srv = cls;
    ermes_conn_state_t *cs = conn_state(conn);
    size_t path_len = uri ? strcspn(uri, "?") : 0;
    long params = 0;

    if (cs) /* the connection this thread serves (read_probe.c): it is, already */
        ermes__read_probe_mark(cs->fd);
    set_phase(srv, cs, PHASE_HEAD, ermes__time_monotonic_ns());
    /* libmicrohttpd parses the query into its connection's memory right after this call: a
     * few hundred parameters exhaust it and the client then waits, unanswered, for the
     * timeout. Too many are refused here, before that parse. */
    if (uri && uri[path_len] == '?' && uri[path_len + 1]) {
        params = 1;
        for (const char *p = uri + path_len + 1; *p; p++)
            params += *p == '&';
    }
    if (params > srv->cfg->max_query_params) {
        char msg[96];
        snprintf(msg, sizeof(msg), "a request may have at most %ld query parameters",
                 srv->cfg->max_query_params);
        refuse(srv, cs, 414, "URI Too Long", "too_many_parameters", msg);
        return &url_too_many;
    }
    for (size_t k = 0; k + 2 < path_len; k++)
        if (uri[k] == '%' && uri[k + 1] == '0' && uri[k + 2] == '0')
            return &url_had_nul;
    return NULL;
}

static enum MHD_Result serve_request(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
    ermes__server_t *srv = cls;
    ermes__req_t *req = *con_cls == &url_had_nul || *con_cls == &url_too_many ? NULL : *con_cls;
    const ermes__route_t *route;
    enum MHD_Result ret;

    if (!req) {
        const char *cl;
        char allow[64];
        int known = 0;
        int nul = *con_cls == &url_had_nul, too_many = *con_cls == &url_too_many;
        ermes_conn_state_t *cs = conn_state(conn);
        framing_t fr = {0, 0, 0};
        int no_host;

        req = ermes__calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        *con_cls = req;
        req->url_nul = nul;
        req->conn = conn;
        req->srv = srv;
        req->method = method;
        req->url = url;
        req->started_ns = ermes__time_monotonic_ns();
        ermes__strbuf_init(&req->body, (size_t)srv->cfg->max_body);
        client_address(conn, req->remote, sizeof(req->remote));
        if (cs) {
            /* The request's deadline counts from its start: the connection's opening for the
             * first one, its request line for the next. */
            pthread_mutex_lock(&srv->conns_lock);
            if (cs->first)
                cs->since_ns = cs->opened_ns;
            req->started_ns = cs->since_ns;
            cs->phase = PHASE_BODY;
            pthread_mutex_unlock(&srv->conns_lock);
            if (cs->refused)
                return MHD_NO; /* answered in on_uri or by the sweeper */
        }
        /* One framing per request (RFC 9112 section 6.3): a request that could be read two
         * ways is refused and its connection closed, as nothing after it can be trusted. */
        MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing_cb, &fr);
        /* RFC 9112 section 3.2: an HTTP/1.1 request without (or with several) Host is a 400.
         * libmicrohttpd lets it through at its default strictness. */
        no_host = strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && fr.host != 1;
        if (too_many || no_host || fr.content_length > 1 ||
            (fr.content_length && fr.transfer_encoding)) {
            ermes__reply_header(req, "Connection", "close");
            if (too_many)
                return ermes__reply_error(req, 414, "too_many_parameters", NULL,
                                          "a request may have at most %ld query parameters",
                                          srv->cfg->max_query_params);
            if (no_host)
                return ermes__reply_error(req, 400, "bad_request", NULL,
                                          fr.host ? "more than one Host header"
                                                  : "an HTTP/1.1 request needs a Host header");
            return ermes__reply_error(req, 400, "bad_request", NULL, "%s",
                                      fr.content_length > 1
                                          ? "more than one Content-Length header"
                                          : "both Content-Length and Transfer-Encoding");
        }

        route = ermes__route_match(method, url, req, &known, allow, sizeof(allow));
        req->route = route ? route->pattern : NULL;
        req->route_def = route;
        /* The web UI: no token needed to load the page that asks for one. */
        if (!route && !known && ermes__static_is_ui_path(url) &&
            (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
            req->route = "/";
            req->ui = 1;
            return MHD_YES; /* answered on the final call, so the connection stays open */
        }
        /* Everything but the public routes needs a token, unknown paths included, so that
         * an anonymous client learns nothing of what exists. */
        if (!(route && (route->flags & ERMES_ROUTE_PUBLIC)) && !authenticate(req, &ret))
            return ret;
        /* A public route that serves more to those who say who they are (the CSAF provider's
         * TLP directories): credentials, when sent, must be good. */
        if (route && (route->flags & ERMES_ROUTE_OPTAUTH) &&
            (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization") ||
             MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, ERMES_SESSION_COOKIE)) &&
            !authenticate(req, &ret))
            return ret;
        if (!route && known) {
            ermes__reply_header(req, "Allow", allow);
            return ermes__reply_error(req, 405, "method_not_allowed", NULL,
                                      "%s is not allowed here; allowed: %s", method, allow);
        }
        if (!route)
            return ermes__reply_error(req, 404, "not_found", NULL, "no such resource: %.200s", url);
        if (!(route->flags & ERMES_ROUTE_PUBLIC) && !ermes__route_allows(route, &req->viewer))
            return ermes__reply_error(req, 403, "forbidden", NULL, "the %s role may not do this",
                                      ermes__role_name(req->viewer.role));
        {
            ermes_diag_t d;
            ermes_diag_clear(&d);
            if (!ermes__route_ids_valid(route, req, &d))
                return ermes__reply_error(req, 400, "bad_request", "id", "%s", d.reason);
        }
        /* totp_required: a staff session without a second factor sets one up first. */
        if (req->totp_enrol_only && !(route->flags & ERMES_ROUTE_ENROL))
            return ermes__reply_error(req, 403, "totp_enrolment_required", NULL,
                                      "set up two-step sign-in first (POST "
                                      "/api/v1/users/%lld/totp): it is required for the %s role",
                                      (long long)req->viewer.user_id,
                                      ermes__role_name(req->viewer.role));
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && !route->upload) {
            int64_t n;
            if (ermes__parse_int64(cl, "Content-Length", 0, INT64_MAX, &n, NULL) ||
                n > srv->cfg->max_body)
                return ermes__reply_error(req, 413, "payload_too_large", NULL,
                                          "the request body exceeds %ld bytes", srv->cfg->max_body);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* The idle timeout does not stop a client that sends a byte now and then: the request
         * as a whole has a deadline too (the sweeper enforces it between reads). Returning
         * MHD_NO closes the connection. */
        if (ermes__time_monotonic_ns() - req->started_ns >
            (int64_t)srv->cfg->request_deadline * 1000000000) {
            ermes__log(ERMES_LOG_WARNING, "%s: request body too slow, connection closed",
                       req->remote);
            return MHD_NO;
        }
        /* A streamed upload goes to its route's upload function; once that failed, the rest
         * is read and dropped, and the final call answers. */
        route = req->route_def;
        if (route && route->upload) {
            if (!req->upload_failed)
                route->upload(req, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        /* Past the cap the rest is read and dropped, then the request is refused whole. */
        if (!req->body_too_big && ermes__strbuf_add(&req->body, upload_data, *upload_data_size))
            req->body_too_big = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* The request has arrived whole: its deadlines end here, not while a handler works. */
    set_phase(srv, conn_state(conn), PHASE_ANSWER, 0);
    if (req->status)
        return MHD_YES; /* already answered on the first call */
    if (req->body_too_big)
        return ermes__reply_error(req, 413, "payload_too_large", NULL,
                                  "the request body exceeds %ld bytes", srv->cfg->max_body);
    if (req->ui)
        return ermes__static_serve(req);
    route = ermes__route_match(method, url, req, &(int){0}, (char[8]){0}, 8);
    if (!route)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such resource");
    req->suspended = 0;
    ret = route->handler(req);
    if (req->suspended)
        return MHD_YES; /* answered when the handler's deferred work is done */
    if (!req->status)
        ret = ermes__reply_error(req, 500, "internal", NULL, "the handler gave no answer");
    return ret;
}

static void complete_request(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    ermes__server_t *srv = cls;
    ermes__req_t *req = *con_cls;

    ermes_conn_state_t *cs = conn_state(conn);

    if (cs) {
        /* The connection waits for its next request line now. */
        pthread_mutex_lock(&srv->conns_lock);
        cs->first = 0;
        cs->phase = PHASE_IDLE;
        cs->since_ns = ermes__time_monotonic_ns();
        pthread_mutex_unlock(&srv->conns_lock);
    }
    if (!req || *con_cls == &url_had_nul || *con_cls == &url_too_many) {
        *con_cls = NULL;
        return;
    }
    if (req->deferred_free)
        req->deferred_free(req);
    if (req->upload_cleanup)
        req->upload_cleanup(req);
    ermes__metrics_request(srv->metrics, req->method, req->status ? (unsigned)req->status : 0,
                           ermes__time_monotonic_ns() - req->started_ns);
    if (req->status)
        ermes__log(ERMES_LOG_INFO, "%s %s %s %d %.1fms user=%s", req->remote, req->method,
                   req->route ? req->route : "-", req->status,
                   (double)(ermes__time_monotonic_ns() - req->started_ns) / 1e6,
                   req->user.name[0] ? req->user.name : "-");
    ermes__strbuf_cleanup(&req->body);
    if (req->live_cfg)
        ermes__live_release(req->live_cfg);
    ermes__free(req);
    *con_cls = NULL;
}

const ermes__config_t *ermes__req_cfg(ermes__req_t *req)
{
    if (!req->live_cfg)
        req->live_cfg = ermes__live_acquire(req->srv->cfg);
    return req->live_cfg;
}

/* Every callback of a connection marks it as the one its thread is serving (read_probe.c),
 * once its work is done: a handler may have read other sockets meanwhile, and a kept-alive
 * connection parses its next, pipelined request right after on_completed, without reading. */
static void mark_serving(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

    if (ci)
        ermes__read_probe_mark(ci->connect_fd);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    enum MHD_Result ret =
        serve_request(cls, conn, url, method, version, upload_data, upload_data_size, con_cls);

    mark_serving(conn);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    complete_request(cls, conn, con_cls, toe);
    mark_serving(conn);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    ermes__server_t *srv = cls;
    ermes_conn_state_t *cs;

    ermes__metrics_connection(srv->metrics, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        /* Without its record a connection is only without the deadlines: never refused. */
        cs = ci ? ermes__calloc(1, sizeof(*cs)) : NULL;
        *socket_context = cs;
        if (!cs) {
            pthread_mutex_lock(&srv->conns_lock);
            srv->untracked_conns++;
            pthread_mutex_unlock(&srv->conns_lock);
            return;
        }
        cs->fd = ci->connect_fd;
        cs->conn = conn;
        cs->owner = pthread_self();
        cs->first = 1;
        cs->phase = PHASE_IDLE;
        cs->opened_ns = cs->since_ns = ermes__time_monotonic_ns();
        pthread_mutex_lock(&srv->conns_lock);
        cs->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = cs;
        srv->conns = cs;
        srv->live_conns++;
        if (srv->live_conns > srv->cfg->max_connections)
            evict_locked(srv, cs);
        pthread_mutex_unlock(&srv->conns_lock);
        return;
    }
    cs = *socket_context;
    if (!cs) {
        pthread_mutex_lock(&srv->conns_lock);
        srv->untracked_conns--;
        pthread_mutex_unlock(&srv->conns_lock);
        return;
    }
    pthread_mutex_lock(&srv->conns_lock);
    if (!cs->refused)
        srv->live_conns--;
    if (cs->prev)
        cs->prev->next = cs->next;
    else
        srv->conns = cs->next;
    if (cs->next)
        cs->next->prev = cs->prev;
    pthread_mutex_unlock(&srv->conns_lock);
    ermes__free(cs);
    *socket_context = NULL;
}

/* libmicrohttpd answers some malformed requests itself, before any callback of ours sees their
 * head: a request line or head too long (414, 431), a malformed Content-Length (400, 413; in
 * 0.9.75 with its response head twice). (A missing Host is ermes's to refuse: on_request.)
 * It answers with an HTML page, and logs
 * the error first, on the worker thread that serves the connection, before sending anything.
 * So the connection is found among that thread's connections, and gets its answer in JSON
 * here (refuse_locked), over HTTP and HTTPS alike:
 *   - a Content-Length error is found in a complete head that has not reached us:
 *     libmicrohttpd checks it right after the head's empty line and, when they hold, calls
 *     on_request at once, in the same step; so the thread's one connection whose head is
 *     complete (MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE answers) but still in PHASE_HEAD is
 *     the one, whatever its neighbours do;
 *   - an error in the middle of a head (a line or head too long, a line that does not parse)
 *     is on the connection the thread is serving at that moment, which read_probe.c tracks
 *     (the socket it last read from, or last ran a callback of ours for): exact whatever the
 *     thread's other connections are doing, over HTTP and HTTPS. It must be one of this
 *     thread's connections still reading a head; otherwise (none matches: a connection
 *     without its record) libmicrohttpd's own page goes out rather than a guess.
 * Errors in a body are left alone. */
typedef enum { MHD_ERR_NONE, MHD_ERR_LENGTH, MHD_ERR_LENGTH_BIG, MHD_ERR_HEAD } mhd_error_t;

static void refuse_mhd_error(ermes__server_t *srv, const char *msg)
{
    static const char prefix[] = "Error processing request (HTTP response code is ";
    mhd_error_t kind = MHD_ERR_NONE;
    ermes_conn_state_t *found = NULL;
    unsigned status = 0;
    pthread_t self = pthread_self();
    int n = 0;

    if (strstr(msg, "Failed to parse `Content-Length' header")) {
        kind = MHD_ERR_LENGTH;
    } else if (strstr(msg, "Too large value of 'Content-Length' header")) {
        kind = MHD_ERR_LENGTH_BIG;
    } else if (strncmp(msg, prefix, sizeof(prefix) - 1) == 0) {
        const char *p = msg + sizeof(prefix) - 1;
        for (; *p >= '0' && *p <= '9' && status < 1000; p++)
            status = status * 10 + (unsigned)(*p - '0');
        /* Only errors of a request head: a body's (chunked encoding) are not these. */
        if (status == 414 || status == 431 ||
            (status == 400 && strstr(msg, "syntactically incorrect")))
            kind = MHD_ERR_HEAD;
    }
    if (kind == MHD_ERR_NONE)
        return;
    pthread_mutex_lock(&srv->conns_lock);
    if (kind == MHD_ERR_HEAD) {
        /* The connection this thread is serving (read_probe.c); one whose head is done
         * (body, answer) cannot have such an error. */
        int fd = ermes__read_probe_fd();
        for (ermes_conn_state_t *cs = srv->conns; cs && fd >= 0; cs = cs->next) {
            if (cs->fd == fd && pthread_equal(cs->owner, self)) {
                if (cs->phase == PHASE_IDLE || cs->phase == PHASE_HEAD) {
                    found = cs;
                    n = 1;
                }
                break;
            }
        }
        goto answer;
    }
    /* Refused connections count too: libmicrohttpd may still log their errors, which must
     * not be pinned on another one. A connection without its record (out of memory) would
     * be missing from the count: no guessing then. */
    if (srv->untracked_conns)
        goto out;
    for (ermes_conn_state_t *cs = srv->conns; cs; cs = cs->next) {
        const char *cl;
        if (!pthread_equal(cs->owner, self) || cs->phase == PHASE_ANSWER)
            continue;
        /* A complete head not handed to us: only the erring one (see above). */
        if (cs->phase != PHASE_HEAD || cs->refused ||
            !MHD_get_connection_info(cs->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE))
            continue;
        cl = MHD_lookup_connection_value(cs->conn, MHD_HEADER_KIND, "Content-Length");
        if (!cl || content_length_ok(cl))
            continue;
        found = cs;
        n++;
    }
answer:
    if (n == 1 && found->phase != PHASE_BODY && !found->refused) {
        if (kind == MHD_ERR_LENGTH)
            refuse_locked(srv, found, 1, 400, "Bad Request", "bad_request",
                          "Content-Length must be a number of bytes (digits only)");
        else if (kind == MHD_ERR_LENGTH_BIG)
            refuse_locked(srv, found, 1, 413, "Content Too Large", "payload_too_large",
                          "Content-Length does not fit in 64 bits");
        else if (status == 414)
            refuse_locked(srv, found, 1, 414, "URI Too Long", "uri_too_long",
                          "the request line is too long");
        else if (status == 431)
            refuse_locked(srv, found, 1, 431, "Request Header Fields Too Large", "header_too_large",
                          "the request head is too large (max_header)");
        else
            refuse_locked(srv, found, 1, 400, "Bad Request", "bad_request",
                          "the request line or a header is malformed");
    }
out:
    pthread_mutex_unlock(&srv->conns_lock);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    refuse_mhd_error(cls, msg);
    ermes__log(ERMES_LOG_INFO, "http: %s", msg);
}

int ermes__server_start(const ermes__config_t *cfg, ermes__store_t *st, ermes__registry_t *reg,
                        struct ermes__intake *intake, ermes__server_t **out, ermes_diag_t *d)
{
    struct sockaddr_storage ss;
    ermes__server_t *srv;
    char *cert = NULL, *key = NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    /* One address may not take every connection: by default a quarter of them. */
    unsigned per_client =
        cfg->max_client_connections > 0
            ? (unsigned)cfg->max_client_connections
            : (unsigned)(cfg->max_connections / 4 > 0 ? cfg->max_connections / 4 : 1);
    /* Headroom over max_connections, so that a connection past it reaches on_connection,
     * which closes one (evict_locked), rather than waiting in the kernel's backlog. */
    unsigned conn_limit = (unsigned)cfg->max_connections +
                          (unsigned)(cfg->max_connections / 8 > 4 ? cfg->max_connections / 8 : 4);
    const union MHD_DaemonInfo *info;
    int rc;

    if ((rc = parse_listen(cfg->listen, &ss, d)))
        return rc;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL)) {
        ermes_diag_set(d, "tls_cert", "HTTPS needs both tls_cert and tls_key");
        return ERMES_ECONFIG;
    }
    if (cfg->tls_cert) {
        cert = read_small_file(cfg->tls_cert);
        key = read_small_file(cfg->tls_key);
        if (!cert || !key) {
            ermes_diag_set(d, cert ? "tls_key" : "tls_cert", "cannot read %s",
                           cert ? cfg->tls_key : cfg->tls_cert);
            rc = ERMES_ECONFIG;
            goto fail_tls;
        }
        flags |= MHD_USE_TLS;
    }
    srv = ermes__calloc(1, sizeof(*srv));
    if (!srv) {
        rc = ERMES_ENOMEM;
        goto fail_tls;
    }
    srv->cfg = cfg;
    srv->started_ms = ermes__time_now_ms();
    srv->store = st;
    srv->registry = reg;
    srv->intake = intake;
    if ((rc = ermes__auth_cache_new(&srv->auth)) || (rc = ermes__metrics_new(&srv->metrics)) ||
        (rc = ermes__static_open(cfg->web_dir, &srv->web_root, d)))
        goto fail;
    if ((rc = ermes__sightings_new(st, &srv->sightings)))
        goto fail;
    ermes__sightings_set_warninglists(srv->sightings, sightings_wl, sightings_wl_gen, srv);
    pthread_mutex_init(&srv->conns_lock, NULL);
    pthread_cond_init(&srv->sweeper_wake, NULL);
    if ((rc = ermes__login_guard_new(st, cfg, &srv->login_guard)))
        goto fail;
    pthread_rwlock_init(&srv->wl_lock, NULL);
    pthread_mutex_init(&srv->wl_load_lock, NULL);
    srv->page_cache_max = ermes__config_taxii_page_cache_bytes(cfg);
    if ((rc = ermes__page_cache_new(srv->page_cache_max, &srv->page_cache)))
        goto fail;
    ermes__log(ERMES_LOG_NOTICE, "taxii: rendered pages kept up to %zu MiB (taxii_page_cache %s)",
               srv->page_cache_max >> 20,
               cfg->taxii_page_cache == ERMES__CONFIG_AUTO ? "auto" : "set");
    {
        /* The operator's own lists must load: checked now, so that a bad file stops the
         * start with its name (the shipped ones are read when first needed). */
        ermes_warninglist_t **wls = NULL;
        size_t n = 0;
        if ((rc = ermes__warninglists_load(cfg->warninglists, &wls, &n, d))) {
            rc = rc == ERMES_ENOMEM ? rc : ERMES_ECONFIG;
            goto fail;
        }
        ermes__warninglists_free(wls, n);
    }
    /* Replies look at it to add HSTS and Secure cookies, from the first request on. */
    srv->tls_cert_pem = cert;
    srv->tls_key_pem = key;
    if (cert)
        srv->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
            pool_size(cfg), MHD_OPTION_CONNECTION_LIMIT, conn_limit,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)cfg->request_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)cfg->max_header, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
            srv, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_HTTPS_MEM_CERT, cert,
            MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    else
        srv->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
            pool_size(cfg), MHD_OPTION_CONNECTION_LIMIT, conn_limit,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)cfg->request_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)cfg->max_header, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
            srv, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!srv->daemon) {
        ermes_diag_set(d, "listen", "cannot listen on %s (address in use or not local?)",
                       cfg->listen);
        rc = ERMES_EIO;
        goto fail;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    if (pthread_create(&srv->sweeper, NULL, sweeper_main, srv)) {
        ermes_diag_set(d, NULL, "cannot start the HTTP deadline thread");
        ermes__server_stop(srv);
        return ERMES_EINTERNAL;
    }
    srv->sweeper_started = 1;
    *out = srv;
    return 0;
fail:
    ermes__page_cache_free(srv->page_cache);
    ermes__login_guard_free(srv->login_guard);
    ermes__wl_catalog_free(&srv->wl);
    ermes__sightings_free(srv->sightings);
    ermes__auth_cache_free(srv->auth);
    ermes__free(srv->web_root);
    ermes__metrics_free(srv->metrics);
    ermes__free(srv);
fail_tls:
    ermes__free(cert);
    ermes__free(key);
    return rc;
}

uint16_t ermes__server_port(const ermes__server_t *s)
{
    return s->port;
}

void ermes__server_stop(ermes__server_t *s)
{
    if (!s)
        return;
    if (s->sweeper_started) {
        pthread_mutex_lock(&s->conns_lock);
        s->stopping = 1;
        pthread_cond_signal(&s->sweeper_wake);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->sweeper, NULL);
    }
    /* The logins waiting for a password check are answered before their connections close:
     * a job must not outlive its request. */
    ermes__login_guard_stop(s->login_guard);
    MHD_stop_daemon(s->daemon);
    ermes__login_guard_free(s->login_guard);
    ermes__free(s->tls_cert_pem);
    ermes__free(s->tls_key_pem);
    ermes__auth_cache_free(s->auth);
    ermes__free(s->web_root);
    ermes__metrics_free(s->metrics);
    ermes__wl_catalog_free(&s->wl);
    pthread_rwlock_destroy(&s->wl_lock);
    pthread_mutex_destroy(&s->wl_load_lock);
    ermes__sightings_free(s->sightings);
    /* After MHD_stop_daemon: the answers still holding pages have released them. */
    ermes__page_cache_free(s->page_cache);
    if (s->sweeper_started) {
        pthread_cond_destroy(&s->sweeper_wake);
        pthread_mutex_destroy(&s->conns_lock);
    }
    ermes__free(s);
}
