/* The baseline for the EVE benchmark: a straightforward matcher written the obvious way.
 * Each line is parsed into a DOM with jansson's json_loadb; the fields are fetched with
 * json_object_get; indicators sit in jansson objects used as hash sets (domains lower case,
 * looked up at every label suffix; IPv4 addresses as text; CIDRs as "a.b.c.d/len" probed at
 * each prefix length present, most specific first; hashes lower case hex).
 *
 *   bench_jansson_matcher EVE IND...      (same arguments as bench_match eve)
 *
 * It prints the number of matching events so the two can be checked against each other. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *domains, *ips, *cidrs, *hashes;
static int plens[33];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static void load(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];

    if (!f) {
        perror(path);
        exit(1);
    }
    while (fgets(line, sizeof(line), f)) {
        char *s = line, *slash;
        size_t n = strlen(s);
        struct in_addr a;
        while (n && isspace((unsigned char)s[n - 1]))
            s[--n] = '\0';
        if (!n || s[0] == '#')
            continue;
        lower(s);
        if ((slash = strchr(s, '/'))) {
            *slash = '\0';
            char *end;
            long p = strtol(slash + 1, &end, 10);
            if (inet_pton(AF_INET, s, &a) == 1 && end != slash + 1 && !*end && p >= 0 && p <= 32) {
                *slash = '/';
                json_object_set_new(cidrs, s, json_true());
                plens[p] = 1;
            }
        } else if (inet_pton(AF_INET, s, &a) == 1) {
            json_object_set_new(ips, s, json_true());
        } else if (n == 32 || n == 40 || n == 64) {
            json_object_set_new(hashes, s, json_true());
        } else {
            json_object_set_new(domains, s, json_true());
        }
    }
    fclose(f);
}

static int match_domain(const char *name)
{
    char buf[1024];
    const char *p;
    int hits = 0;

    size_t n = name ? strlen(name) : 0;

    if (!name || n >= sizeof(buf))
        return 0;
    memcpy(buf, name, n + 1);
    lower(buf);
    for (p = buf; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL)
        hits += json_object_get(domains, p) != NULL;
    return hits;
}

static int match_ip(const char *s)
{
    struct in_addr a;
    char net[64], txt[32];

    if (!s || inet_pton(AF_INET, s, &a) != 1)
        return 0;
    if (json_object_get(ips, s))
        return 1;
    for (int p = 32; p >= 0; p--) {
        uint32_t v, mask;
        struct in_addr m;
        if (!plens[p])
            continue;
        v = ntohl(a.s_addr);
        mask = p ? 0xffffffffu << (32 - p) : 0;
        m.s_addr = htonl(v & mask);
        inet_ntop(AF_INET, &m, txt, sizeof(txt));
        snprintf(net, sizeof(net), "%s/%d", txt, p);
        if (json_object_get(cidrs, net))
            return 1;
    }
    return 0;
}

static int match_hash(const char *s)
{
    char buf[160];

    size_t n = s ? strlen(s) : 0;

    if (!s || n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n + 1);
    lower(buf);
    return json_object_get(hashes, buf) != NULL;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int main(int argc, char **argv)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0, bytes = 0;
    ssize_t n;
    unsigned long events = 0, matching = 0, bad = 0;
    double t0;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_jansson_matcher EVE IND...\n");
        return 2;
    }
    domains = json_object();
    ips = json_object();
    cidrs = json_object();
    hashes = json_object();
    for (int i = 2; i < argc; i++)
        load(argv[i]);
    f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    t0 = now();
    while ((n = getline(&line, &cap, f)) > 0) {
        json_error_t err;
        json_t *ev = json_loadb(line, (size_t)n, 0, &err), *o, *a, *e;
        size_t i;
        int hits = 0;
        bytes += (size_t)n;
        if (!ev) {
            bad++;
            continue;
        }
        events++;
        hits += match_ip(str(ev, "src_ip"));
        hits += match_ip(str(ev, "dest_ip"));
        if ((o = json_object_get(ev, "dns"))) {
            hits += match_domain(str(o, "rrname"));
            a = json_object_get(o, "answers");
            json_array_foreach(a, i, e)
            {
                const char *rd = str(e, "rdata");
                hits += match_ip(rd) + match_domain(rd);
            }
        }
        if ((o = json_object_get(ev, "http")))
            hits += match_domain(str(o, "hostname"));
        if ((o = json_object_get(ev, "tls"))) {
            hits += match_domain(str(o, "sni"));
            hits += match_hash(str(json_object_get(o, "ja3"), "hash"));
        }
        if ((o = json_object_get(ev, "fileinfo")))
            hits += match_hash(str(o, "md5")) + match_hash(str(o, "sha1")) +
                    match_hash(str(o, "sha256"));
        matching += hits > 0;
        json_decref(ev);
    }
    {
        double t = now() - t0;
        printf("%s: %lu events, %.1f MB in %.3f s: %.0f events/s, %.1f MB/s; %lu matching "
               "events, %lu malformed\n",
               argv[1], events, (double)bytes / 1e6, t, (double)events / t, (double)bytes / 1e6 / t,
               matching, bad);
    }
    free(line);
    fclose(f);
    json_decref(domains);
    json_decref(ips);
    json_decref(cidrs);
    json_decref(hashes);
    return 0;
}
