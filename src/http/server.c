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

#include "access/access.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"
#include "http/static.h"
#include "sightings/sightings.h"

/* The thread pool: the setting, or one thread per CPU (more only queue on the same cores). */
static unsigned pool_size(const ermes_config_t *cfg)
{
    long n = cfg->threads > 0 ? cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (unsigned)n : 1u;
}

/* Reads a whole small file (a TLS certificate or key) into memory. */
static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ermes_strbuf_t b;
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

static void set_viewer(ermes_req_t *req)
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
static int authenticate_session(ermes_req_t *req, const char *cookie, enum MHD_Result *ret)
{
    ermes_session_t s;
    ermes_diag_t d;
    const char *tok;
    size_t n;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_session_authenticate(req->srv->store, cookie, strlen(cookie),
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
    snprintf(req->csrf, sizeof(req->csrf), "%s", s.csrf);
    set_viewer(req);
    return 1;
}

/* Authenticates the request's bearer token, or else its session cookie, into req->viewer.
 * Returns 1 on success; else queues 401 and returns 0 with *ret set. */
static int authenticate(ermes_req_t *req, enum MHD_Result *ret)
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
        ermes__reply_header(req, "WWW-Authenticate", "Bearer realm=\"ermes\"");
        *ret = ermes__reply_error(req, 401, "unauthorized", NULL,
                                  "authentication required: send Authorization: Bearer <token>");
        return 0;
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

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    size_t path_len = uri ? strcspn(uri, "?") : 0;

    for (size_t k = 0; k + 2 < path_len; k++)
        if (uri[k] == '%' && uri[k + 1] == '0' && uri[k + 2] == '0')
            return &url_had_nul;
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    ermes_server_t *srv = cls;
    ermes_req_t *req = *con_cls == &url_had_nul ? NULL : *con_cls;
    const ermes_route_t *route;
    enum MHD_Result ret;

    if (!req) {
        const char *cl;
        char allow[64];
        int known = 0;
        int nul = *con_cls == &url_had_nul;

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
        /* The idle timeout does not stop a client that sends a byte now and then: the body
         * as a whole has a deadline too. Returning MHD_NO closes the connection. */
        if (ermes__time_monotonic_ns() - req->started_ns >
            (int64_t)srv->cfg->request_deadline * 1000000000) {
            ermes_log(ERMES_LOG_WARNING, "%s: request body too slow, connection closed",
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
    ret = route->handler(req);
    if (!req->status)
        ret = ermes__reply_error(req, 500, "internal", NULL, "the handler gave no answer");
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    ermes_server_t *srv = cls;
    ermes_req_t *req = *con_cls;

    if (!req || *con_cls == &url_had_nul) {
        *con_cls = NULL;
        return;
    }
    if (req->upload_cleanup)
        req->upload_cleanup(req);
    ermes__metrics_request(srv->metrics, req->method, req->status ? (unsigned)req->status : 0,
                           ermes__time_monotonic_ns() - req->started_ns);
    if (req->status)
        ermes_log(ERMES_LOG_INFO, "%s %s %s %d %.1fms user=%s", req->remote, req->method,
                  req->route ? req->route : "-", req->status,
                  (double)(ermes__time_monotonic_ns() - req->started_ns) / 1e6,
                  req->user.name[0] ? req->user.name : "-");
    ermes__strbuf_cleanup(&req->body);
    ermes__free(req);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    ermes_server_t *srv = cls;

    ermes__metrics_connection(srv->metrics, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    ermes_log(ERMES_LOG_INFO, "http: %s", msg);
}

int ermes_server_start(const ermes_config_t *cfg, ermes_store_t *st, ermes_registry_t *reg,
                       struct ermes_intake *intake, ermes_server_t **out, ermes_diag_t *d)
{
    struct sockaddr_storage ss;
    ermes_server_t *srv;
    char *cert = NULL, *key = NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
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
    srv->store = st;
    srv->registry = reg;
    srv->intake = intake;
    if ((rc = ermes__auth_cache_new(&srv->auth)) || (rc = ermes__metrics_new(&srv->metrics)) ||
        (rc = ermes__static_open(cfg->web_dir, &srv->web_root, d)))
        goto fail;
    if ((rc = ermes_sightings_new(st, &srv->sightings)))
        goto fail;
    if ((rc = ermes_warninglists_load(cfg->warninglists, &srv->warninglists, &srv->nwarninglists,
                                      d))) {
        rc = ERMES_ECONFIG;
        goto fail;
    }
    /* Replies look at it to add HSTS and Secure cookies, from the first request on. */
    srv->tls_cert_pem = cert;
    srv->tls_key_pem = key;
    if (cert)
        srv->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_THREAD_POOL_SIZE, pool_size(cfg), MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)cfg->request_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)cfg->max_header, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
            srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, MHD_OPTION_LISTENING_ADDRESS_REUSE,
            1u, MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    else
        srv->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_THREAD_POOL_SIZE, pool_size(cfg), MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)cfg->request_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)cfg->max_header, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
            srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, MHD_OPTION_LISTENING_ADDRESS_REUSE,
            1u, MHD_OPTION_END);
    if (!srv->daemon) {
        ermes_diag_set(d, "listen", "cannot listen on %s (address in use or not local?)",
                       cfg->listen);
        rc = ERMES_EIO;
        goto fail;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return 0;
fail:
    ermes_warninglists_free(srv->warninglists, srv->nwarninglists);
    ermes_sightings_free(srv->sightings);
    ermes__auth_cache_free(srv->auth);
    ermes__free(srv->web_root);
    ermes__metrics_free(srv->metrics);
    ermes__free(srv);
fail_tls:
    ermes__free(cert);
    ermes__free(key);
    return rc;
}

uint16_t ermes_server_port(const ermes_server_t *s)
{
    return s->port;
}

void ermes_server_stop(ermes_server_t *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    ermes__free(s->tls_cert_pem);
    ermes__free(s->tls_key_pem);
    ermes__auth_cache_free(s->auth);
    ermes__free(s->web_root);
    ermes__metrics_free(s->metrics);
    ermes_warninglists_free(s->warninglists, s->nwarninglists);
    ermes_sightings_free(s->sightings);
    ermes__free(s);
}
