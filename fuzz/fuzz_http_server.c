/* libFuzzer target for the whole HTTP request path: the daemon's real server (libmicrohttpd's
 * request-line, header, query and body parsing, then ermes's framing checks, limits, router,
 * authentication and handlers) on a real store in a scratch data directory, fed each input as
 * the bytes of one TCP connection on loopback.
 *
 * Input: the bytes a client sends. "@T@" anywhere in it becomes an administrator's API token,
 * so that inputs reach the handlers behind authentication. The client then closes its sending
 * side and reads the answer to the end.
 * Checks: whatever comes back is nothing (the connection closed) or starts with an HTTP/1.x
 * status line; and every 64 inputs the server still answers GET /healthz with 200, so that an
 * input which wedges a worker or leaks a connection slot is caught. A crash, a sanitizer report
 * or a hang anywhere in the server aborts (libFuzzer's -timeout). Anything else aborts too. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "access/access.h"
#include "constituency/registry.h"
#include "core/config.h"
#include "http/server.h"
#include "intake/intake.h"
#include "model/org.h"
#include "store/store.h"

static ermes__config_t cfg;
static ermes__store_t *store;
static ermes__registry_t *reg;
static ermes__intake_t *intake;
static ermes__server_t *srv;
static uint16_t port;
static char token[ERMES_TOKEN_STRLEN];
static unsigned long runs;
static char data_dir[64];

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* libFuzzer ends with exit(): the server stops and the scratch data directory goes. */
static void cleanup(void)
{
    ermes__server_stop(srv);
    if (intake) {
        ermes__intake_stop(intake);
        ermes__intake_free(intake);
    }
    ermes__registry_close(reg);
    ermes__store_close(store);
    if (data_dir[0])
        nftw(data_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz_http_server: %s (%s)\n", what, strerror(errno));
    abort();
}

/* A CERT organisation, its administrator and a token, as `ermes init` makes them. */
static void init_store(const char *dir)
{
    ermes__store_options_t o = {5000, 1, 0, getenv("ERMES_TEST_DATABASE_URL")};
    ermes__org_t *org;
    ermes__user_t u;
    ermes__token_t t;
    ermes_diag_t d;

    if (ermes__store_open(dir, &o, &store))
        die("cannot open the store");
    if (!(org = ermes__org_new()))
        die("out of memory");
    org->short_name = ermes__org_strdup(org, "CERT");
    org->name = ermes__org_strdup(org, "The CERT");
    org->type = ermes__org_strdup(org, "cert");
    org->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    if (ermes__store_org_insert(store, org, &d))
        die("cannot create the CERT's organisation");
    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "admin");
    u.role = ERMES_ROLE_ADMIN;
    u.org_id = org->meta.id;
    ermes__org_free(org);
    if (ermes__store_user_insert(store, &u, &d))
        die("cannot create the administrator");
    if (ermes__token_create(store, u.id, "fuzz", 86400000LL, token, &t))
        die("cannot create a token");
}

/* OpenSSL (the SHA-256 of reports) keeps state per thread that it frees in its own exit
 * handler, which runs after LeakSanitizer's. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcrypto.so\n";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/ermes-fuzz-http-XXXXXX", schema[4096];
    ermes__intake_options_t io;
    ermes_diag_t d;

    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(dir))
        die("mkdtemp");
    snprintf(data_dir, sizeof(data_dir), "%s", dir);
    atexit(cleanup);
    if (ermes__config_init(&cfg))
        die("config");
    ermes_diag_clear(&d);
    /* Short limits, so that an input that stops half-way costs a second, not the defaults. */
    if (ermes__config_set(&cfg, "data_dir", dir, &d) ||
        ermes__config_set(&cfg, "listen", "127.0.0.1:0", &d) ||
        ermes__config_set(&cfg, "head_timeout", "1", &d) ||
        ermes__config_set(&cfg, "request_timeout", "1", &d) ||
        ermes__config_set(&cfg, "request_deadline", "5", &d) ||
        /* One client, one connection at a time, but a closed one may not be reaped yet. */
        ermes__config_set(&cfg, "max_client_connections", "64", &d))
        die(d.reason);
    init_store(dir);
    if (ermes__registry_open(store, &reg))
        die("registry");
    if (ermes__intake_options_from_config(&cfg, &io, schema, sizeof(schema), &d) ||
        ermes__intake_new(store, reg, &io, &intake) || ermes__intake_start(intake))
        die("intake");
    if (ermes__server_start(&cfg, store, reg, intake, &srv, &d))
        die(d.reason[0] ? d.reason : "cannot start the server");
    port = ermes__server_port(srv);
    return 0;
}

/* Sends req over a new connection, closes the sending side, reads the answer into buf (cut at
 * cap - 1, NUL-terminated). Returns the bytes read. libmicrohttpd keeps an HTTP/1.1 connection
 * open after its answer whatever the client closed (until request_timeout), so reading stops
 * at the first 100 ms of silence once something has come. */
static size_t exchange(const uint8_t *req, size_t len, char *buf, size_t cap)
{
    struct sockaddr_in a = {0};
    struct timeval tv = {5, 0};
    size_t got = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        die("socket");
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    /* A loaded machine running tens of thousands of exchanges can run short of local ports
     * for a moment: waited out (5 s at most), not taken for a finding. */
    for (int tries = 0; connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0; tries++) {
        if (tries == 100 || (errno != EADDRNOTAVAIL && errno != EAGAIN && errno != EINTR))
            die("connect");
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may close early: a refused head, a body too big */
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    for (;;) {
        char sink[4096];
        ssize_t n =
            got + 1 < cap ? recv(fd, buf + got, cap - 1 - got, 0) : recv(fd, sink, sizeof(sink), 0);
        if (n <= 0)
            break;
        if (got + 1 < cap)
            got += (size_t)n;
        tv.tv_sec = 0;
        tv.tv_usec = 100000;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    close(fd);
    buf[got] = '\0';
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char answer[1 << 16];
    uint8_t *req;
    size_t len = 0, tlen = strlen(token);

    if (size > (1u << 20))
        return 0;
    /* Every "@T@" becomes the token: at most size / 3 of them. */
    if (!(req = malloc(size + (size / 3 + 1) * tlen)))
        return 0;
    for (size_t i = 0; i < size;) {
        if (i + 3 <= size && memcmp(data + i, "@T@", 3) == 0) {
            memcpy(req + len, token, tlen);
            len += tlen;
            i += 3;
        } else {
            req[len++] = data[i++];
        }
    }
    if (exchange(req, len, answer, sizeof(answer)) > 0 && strncmp(answer, "HTTP/1.1 ", 9) != 0 &&
        strncmp(answer, "HTTP/1.0 ", 9) != 0)
        die("an answer that is not HTTP");
    free(req);
    if (++runs % 64 == 0) {
        static const char ping[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        exchange((const uint8_t *)ping, sizeof(ping) - 1, answer, sizeof(answer));
        if (strncmp(answer, "HTTP/1.1 200", 12) != 0)
            die("the server no longer answers /healthz");
    }
    return 0;
}
