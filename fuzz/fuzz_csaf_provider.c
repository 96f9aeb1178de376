/* libFuzzer target for the CSAF provider (src/http/h_csaf_provider.c) through the daemon's
 * real server: a store with one published advisory of each TLP, their tracking ids made to
 * be found in an answer (ZQPUB-, ZQGRN-, ZQAMB-, ZQRED- owned by the constituent's organisation
 * ACME, and ZQSECRET-, TLP:RED owned by no one: the staff's only), a constituent of ACME and
 * an administrator with tokens.
 *
 * Input: the first byte picks the viewer (anonymous, the constituent, the administrator); the
 * rest, up to a newline, is the path of a GET. Checks: the answer is nothing or HTTP/1.x; an
 * anonymous answer never holds ZQGRN-, ZQAMB-, ZQRED- or ZQSECRET-, the constituent's never
 * ZQSECRET-
 * (unless the path itself holds the name, which an error message may echo); and every 64
 * inputs the server still answers GET /healthz. Anything else aborts. */
#define _XOPEN_SOURCE 700 /* nftw */
#define _GNU_SOURCE       /* strcasestr */
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
#include "advisories/advisory.h"
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
static char admin_token[ERMES_TOKEN_STRLEN], conny_token[ERMES_TOKEN_STRLEN];
static unsigned long runs;
static char data_dir[64];

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

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
    fprintf(stderr, "fuzz_csaf_provider: %s (%s)\n", what, strerror(errno));
    abort();
}

static int64_t add_org(const char *short_name)
{
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    if (!org)
        die("out of memory");
    org->short_name = ermes__org_strdup(org, short_name);
    org->name = ermes__org_strdup(org, short_name);
    org->type = ermes__org_strdup(org, "other");
    org->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    if (ermes__store_org_insert(store, org, &d))
        die("cannot create an organisation");
    id = org->meta.id;
    ermes__org_free(org);
    return id;
}

static void add_user(const char *name, ermes__role_t role, int64_t org, char *token)
{
    ermes__user_t u;
    ermes__token_t t;
    ermes_diag_t d;

    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "%s", name);
    u.role = role;
    u.org_id = org;
    if (ermes__store_user_insert(store, &u, &d))
        die("cannot create a user");
    if (ermes__token_create(store, u.id, "fuzz", 86400000LL, token, &t))
        die("cannot create a token");
}

/* Publishes a csaf_base document of label tlp, its tracking id by scheme, owned by org. */
static void publish(const char *scheme, const char *tlp, int64_t org)
{
    ermes__viewer_t author = {1, "author", ERMES_ROLE_ANALYST, org, "fuzz"};
    ermes__viewer_t reviewer = {2, "reviewer", ERMES_ROLE_ANALYST, 0, "fuzz"};
    ermes_csaf_result_t r;
    ermes_diag_t d;
    char doc[512], ref[32];
    int64_t id = 0;
    int scheduled = 0;

    snprintf(doc, sizeof(doc),
             "{\"document\":{\"category\":\"csaf_base\",\"csaf_version\":\"2.0\","
             "\"title\":\"Fuzz %s\",\"publisher\":{\"category\":\"coordinator\",\"name\":"
             "\"CERT\",\"namespace\":\"https://cert.example\"},\"distribution\":{\"tlp\":"
             "{\"label\":\"%s\"}}}}",
             tlp, tlp);
    ermes_diag_clear(&d);
    if (ermes__advisory_create(store, scheme, &author, doc, strlen(doc), &id, &d))
        die(d.reason);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    if (ermes__advisory_transition(store, &author, ref, "submit", &d) ||
        ermes__advisory_transition(store, &reviewer, ref, "approve", &d) ||
        ermes__advisory_publish(store, &reviewer, NULL, ref, 0, NULL, &r, &scheduled, &d))
        die(d.reason[0] ? d.reason : "cannot publish");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/ermes-fuzz-csafp-XXXXXX", schema[4096];
    ermes__store_options_t o = {5000, 1, 0, getenv("ERMES_TEST_DATABASE_URL")};
    ermes__intake_options_t io;
    ermes_diag_t d;
    int64_t cert, acme;

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
    if (ermes__config_set(&cfg, "data_dir", dir, &d) ||
        ermes__config_set(&cfg, "listen", "127.0.0.1:0", &d) ||
        ermes__config_set(&cfg, "head_timeout", "1", &d) ||
        ermes__config_set(&cfg, "request_timeout", "1", &d) ||
        ermes__config_set(&cfg, "request_deadline", "5", &d) ||
        ermes__config_set(&cfg, "max_client_connections", "64", &d))
        die(d.reason);
    if (ermes__store_open(dir, &o, &store))
        die("cannot open the store");
    cert = add_org("CERT");
    acme = add_org("ACME");
    add_user("admin", ERMES_ROLE_ADMIN, cert, admin_token);
    add_user("conny", ERMES_ROLE_CONSTITUENT, acme, conny_token);
    publish("ZQPUB-%n", "WHITE", acme);
    publish("ZQGRN-%n", "GREEN", acme);
    publish("ZQAMB-%n", "AMBER", acme);
    publish("ZQRED-%n", "RED", acme);
    publish("ZQSECRET-%n", "RED", 0);
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

/* Sends req over a new connection and reads the answer into buf (cut at cap - 1). */
static size_t exchange(const char *req, size_t len, char *buf, size_t cap)
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
    /* The send timeout is set after connect: on Linux it bounds connect too, and a loaded
     * machine may take longer than 5 s to have the server accept (the kernel retries the SYN
     * meanwhile); a server that never accepts still fails, after the kernel's retries. */
    /* A loaded machine running tens of thousands of exchanges can run short of local ports
     * for a moment: waited out (5 s at most), not taken for a finding. */
    for (int tries = 0; connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0; tries++) {
        if (tries == 100 || (errno != EADDRNOTAVAIL && errno != EAGAIN && errno != EINTR))
            die("connect");
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
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

/* Fails when answer holds marker and the path does not (an error may echo the path). */
static void must_not_hold(const char *answer, const char *path, const char *marker)
{
    if (strcasestr(answer, marker) && !strcasestr(path, marker)) {
        fprintf(stderr, "fuzz_csaf_provider: %s leaked for path %s\n", marker, path);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char answer[1 << 17], req[8192];
    char path[4096];
    const uint8_t *nl;
    size_t plen;
    int who, n;

    if (size < 1)
        return 0;
    who = data[0] % 3;
    nl = memchr(data + 1, '\n', size - 1);
    plen = nl ? (size_t)(nl - data - 1) : size - 1;
    if (plen >= sizeof(path) || memchr(data + 1, '\0', plen))
        return 0;
    memcpy(path, data + 1, plen);
    path[plen] = '\0';
    n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n%s%s%sConnection: close\r\n\r\n",
                 path, who ? "Authorization: Bearer " : "",
                 who == 1   ? conny_token
                 : who == 2 ? admin_token
                            : "",
                 who ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(req))
        return 0;
    if (exchange(req, (size_t)n, answer, sizeof(answer)) > 0 &&
        strncmp(answer, "HTTP/1.1 ", 9) != 0 && strncmp(answer, "HTTP/1.0 ", 9) != 0)
        die("an answer that is not HTTP");
    if (who != 2)
        must_not_hold(answer, path, "zqsecret-");
    if (who == 0) {
        must_not_hold(answer, path, "zqgrn-");
        must_not_hold(answer, path, "zqamb-");
        must_not_hold(answer, path, "zqred-");
    }
    if (++runs % 64 == 0) {
        static const char ping[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        exchange(ping, sizeof(ping) - 1, answer, sizeof(answer));
        if (strncmp(answer, "HTTP/1.1 200", 12) != 0)
            die("the server no longer answers /healthz");
    }
    return 0;
}
