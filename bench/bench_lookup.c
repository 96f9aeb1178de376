/* Ownership lookup benchmark: builds an index shaped like a national CERT's constituency
 * (mostly IPv4 networks nested /16 to /32, some IPv6, domains with sub-domains, ASNs) and
 * measures single-thread lookups per second for each kind of query.
 *
 *   bench_lookup [--networks N] [--domains N] [--lookups N]
 *
 * Goal: at least 10 million IPv4 lookups per second with 100,000 networks. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ermes/error.h"
#include "ermes/net.h"
#include "ermes/ownership.h"

#define NAME_MAX_LEN 96

static uint64_t seed = 0x9e3779b97f4a7c15ull;

/* xorshift64*: fixed seed, so every run measures the same index and queries. */
static uint64_t next_random(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545f4914f6cdd1dull;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_count(const char *s, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 1 || v > 100000000)
        return -1;
    *out = v;
    return 0;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (!p) {
        fprintf(stderr, "bench_lookup: out of memory\n");
        exit(1);
    }
    return p;
}

static void mask_net(ermes_cidr_t *net)
{
    unsigned nbytes = net->addr.family == ERMES_AF_INET ? 4 : 16;
    unsigned i;

    for (i = 0; i < nbytes; i++) {
        unsigned keep = 0;

        if (net->prefix >= 8 * (i + 1))
            keep = 8;
        else if (net->prefix > 8 * i)
            keep = net->prefix - 8 * i;
        net->addr.bytes[i] &= (uint8_t)(keep ? 0xff << (8 - keep) : 0);
    }
}

/* A random address inside net. */
static void address_in(const ermes_cidr_t *net, ermes_ip_t *ip)
{
    unsigned nbytes = net->addr.family == ERMES_AF_INET ? 4 : 16;
    unsigned i;

    *ip = net->addr;
    for (i = net->prefix / 8; i < nbytes; i++) {
        uint8_t host = (uint8_t)next_random();

        if (i == net->prefix / 8 && net->prefix % 8)
            host &= (uint8_t)(0xff >> (net->prefix % 8));
        ip->bytes[i] |= host;
    }
}

/* Networks: a quarter are top-level allocations (/16 to /24 IPv4, /32 to /48 IPv6), the rest
 * more specific networks inside an earlier one, the way a ministry's /16 holds agencies' /24s
 * and a hospital's /28. About one in ten is IPv6. */
static void make_networks(ermes_cidr_t *nets, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        ermes_cidr_t *net = &nets[i];
        uint64_t r = next_random();
        int v6 = r % 10 == 0;
        size_t parent = i;

        /* Find an earlier network of the same family to nest in, if we want one. */
        if (i > 0 && (r >> 8) % 4 != 0) {
            size_t k;

            for (k = 0; k < 8; k++) {
                size_t p = (size_t)(next_random() % i);

                if ((nets[p].addr.family == ERMES_AF_INET6) == v6 &&
                    nets[p].prefix < (v6 ? 128 : 32)) {
                    parent = p;
                    break;
                }
            }
        }
        if (parent != i) {
            unsigned width = v6 ? 128 : 32;
            unsigned room = width - nets[parent].prefix;
            unsigned step = 1 + (unsigned)(next_random() % (room < 8 ? room : 8));
            ermes_ip_t inside;

            address_in(&nets[parent], &inside);
            net->addr = inside;
            net->prefix = (uint8_t)(nets[parent].prefix + step);
        } else if (!v6) {
            memset(net, 0, sizeof(*net));
            net->addr.family = ERMES_AF_INET;
            /* Public unicast-looking space: 1.0.0.0 to 223.255.255.255. */
            net->addr.bytes[0] = (uint8_t)(1 + next_random() % 223);
            net->addr.bytes[1] = (uint8_t)next_random();
            net->addr.bytes[2] = (uint8_t)next_random();
            net->prefix = (uint8_t)(16 + next_random() % 9);
        } else {
            uint64_t a = next_random();
            unsigned k;

            memset(net, 0, sizeof(*net));
            net->addr.family = ERMES_AF_INET6;
            net->addr.bytes[0] = (uint8_t)(0x20 | (a & 0x0f));
            for (k = 1; k < 6; k++)
                net->addr.bytes[k] = (uint8_t)(a >> (8 * k));
            net->prefix = (uint8_t)(32 + next_random() % 17);
        }
        mask_net(net);
    }
}

static int net_cmp(const void *pa, const void *pb)
{
    const ermes_cidr_t *a = *(const ermes_cidr_t *const *)pa;
    const ermes_cidr_t *b = *(const ermes_cidr_t *const *)pb;
    int c = ermes_ip_cmp(&a->addr, &b->addr);

    return c ? c : (int)a->prefix - (int)b->prefix;
}

/* Replaces duplicate networks by fresh top-level ones until all n are distinct, so the index
 * really holds n networks. */
static void make_distinct(ermes_cidr_t *nets, size_t n)
{
    ermes_cidr_t **order = xcalloc(n, sizeof(*order));
    size_t i, dups;

    do {
        for (i = 0; i < n; i++)
            order[i] = &nets[i];
        qsort(order, n, sizeof(*order), net_cmp);
        dups = 0;
        for (i = 1; i < n; i++) {
            ermes_cidr_t *net = order[i];

            if (net_cmp(&order[i - 1], &order[i]) != 0)
                continue;
            memset(net, 0, sizeof(*net));
            net->addr.family = ERMES_AF_INET;
            net->addr.bytes[0] = (uint8_t)(1 + next_random() % 223);
            net->addr.bytes[1] = (uint8_t)next_random();
            net->addr.bytes[2] = (uint8_t)next_random();
            net->addr.bytes[3] = (uint8_t)next_random();
            net->prefix = (uint8_t)(16 + next_random() % 17);
            mask_net(net);
            dups++;
        }
    } while (dups);
    free(order);
}

/* Lookup addresses of one family: three quarters inside a random network, the rest anywhere. */
static void make_addresses(ermes_ip_t *ips, size_t n, const ermes_cidr_t *nets, size_t nnets,
                           uint8_t family)
{
    size_t i, in_family = 0;

    for (i = 0; i < nnets; i++)
        in_family += nets[i].addr.family == family;
    for (i = 0; i < n; i++) {
        ermes_ip_t *ip = &ips[i];
        unsigned k;

        if (in_family && next_random() % 4 != 0) {
            const ermes_cidr_t *net;

            do {
                net = &nets[next_random() % nnets];
            } while (net->addr.family != family);
            address_in(net, ip);
            continue;
        }
        memset(ip, 0, sizeof(*ip));
        ip->family = family;
        for (k = 0; k < (family == ERMES_AF_INET ? 4u : 16u); k++)
            ip->bytes[k] = (uint8_t)next_random();
        if (family == ERMES_AF_INET6)
            ip->bytes[0] = (uint8_t)(0x20 | (ip->bytes[0] & 0x0f));
    }
}

static void random_label(char *buf, size_t cap, size_t *len)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 3 + (size_t)(next_random() % 10), i;

    for (i = 0; i < n && *len + 1 < cap; i++)
        buf[(*len)++] = letters[next_random() % 36];
    buf[*len] = '\0';
}

/* Registered domains: "label.tld", a fifth of them a sub-domain of an earlier one. */
static void make_domains(char (*names)[NAME_MAX_LEN], size_t n)
{
    static const char *tlds[] = {"eu", "nl", "de", "fr", "be", "example", "org", "gov.xx"};
    size_t i;

    for (i = 0; i < n; i++) {
        size_t len = 0;

        random_label(names[i], NAME_MAX_LEN, &len);
        if (i > 0 && next_random() % 5 == 0) {
            char parent[NAME_MAX_LEN];

            memcpy(parent, names[next_random() % i], sizeof(parent));
            snprintf(names[i] + len, NAME_MAX_LEN - len, ".%.80s", parent);
        } else {
            snprintf(names[i] + len, NAME_MAX_LEN - len, ".%s", tlds[next_random() % 8]);
        }
    }
}

/* Queries: 0 to 2 labels in front of a registered name (upper case now and then), or a
 * random name nobody registered. */
static void make_queries(char (*queries)[NAME_MAX_LEN], size_t n, char (*names)[NAME_MAX_LEN],
                         size_t nnames)
{
    size_t i;

    for (i = 0; i < n; i++) {
        size_t len = 0;
        unsigned extra = (unsigned)(next_random() % 3), k;

        for (k = 0; k < extra; k++) {
            random_label(queries[i], 40, &len);
            queries[i][len++] = '.';
        }
        if (next_random() % 5 == 0) {
            random_label(queries[i], NAME_MAX_LEN, &len);
            snprintf(queries[i] + len, NAME_MAX_LEN - len, ".com");
        } else {
            snprintf(queries[i] + len, NAME_MAX_LEN - len, "%s", names[next_random() % nnames]);
            if (next_random() % 8 == 0 && queries[i][len] >= 'a' && queries[i][len] <= 'z')
                queries[i][len] = (char)(queries[i][len] - 'a' + 'A');
        }
    }
}

static void print_row(const char *what, size_t count, size_t found, double seconds)
{
    printf("%-8s %12zu %12zu %10.3f %14.1f\n", what, count, found, seconds,
           seconds > 0 ? (double)count / seconds : 0.0);
}

int main(int argc, char **argv)
{
    long nnets = 100000, ndomains = 10000, nlookups = 4000000;
    size_t nasns, n6lookups, ndlookups, i;
    ermes_cidr_t *nets;
    ermes_ip_t *ips4, *ips6;
    char(*names)[NAME_MAX_LEN], (*queries)[NAME_MAX_LEN];
    uint32_t *asn_queries;
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    ermes_ownership_stats_t st;
    ermes_owner_t o;
    int64_t sum = 0;
    size_t found;
    double t0, t_build, t;
    int rc, a;

    for (a = 1; a < argc; a += 2) {
        long *target = NULL;

        if (strcmp(argv[a], "--networks") == 0)
            target = &nnets;
        else if (strcmp(argv[a], "--domains") == 0)
            target = &ndomains;
        else if (strcmp(argv[a], "--lookups") == 0)
            target = &nlookups;
        if (!target || a + 1 >= argc || parse_count(argv[a + 1], target) != 0) {
            fprintf(stderr, "usage: %s [--networks N] [--domains N] [--lookups N]\n", argv[0]);
            return 2;
        }
    }
    nasns = (size_t)nnets / 20 + 1;
    n6lookups = (size_t)nlookups / 4 + 1;
    ndlookups = (size_t)nlookups / 4 + 1;

    /* Inputs, generated before any timing. */
    nets = xcalloc((size_t)nnets, sizeof(*nets));
    names = xcalloc((size_t)ndomains, sizeof(*names));
    queries = xcalloc(ndlookups, sizeof(*queries));
    ips4 = xcalloc((size_t)nlookups, sizeof(*ips4));
    ips6 = xcalloc(n6lookups, sizeof(*ips6));
    asn_queries = xcalloc((size_t)nlookups, sizeof(*asn_queries));
    make_networks(nets, (size_t)nnets);
    /* IPv6 lookups need at least one IPv6 network to aim at. */
    nets[0].addr.family = ERMES_AF_INET6;
    memset(nets[0].addr.bytes, 0, 16);
    memcpy(nets[0].addr.bytes, "\x20\x01\x0d\xb8", 4);
    nets[0].prefix = 32;
    make_distinct(nets, (size_t)nnets);
    make_domains(names, (size_t)ndomains);
    make_queries(queries, ndlookups, names, (size_t)ndomains);
    make_addresses(ips4, (size_t)nlookups, nets, (size_t)nnets, ERMES_AF_INET);
    make_addresses(ips6, n6lookups, nets, (size_t)nnets, ERMES_AF_INET6);
    for (i = 0; i < (size_t)nlookups; i++)
        asn_queries[i] = 64512 + (uint32_t)(next_random() % (2 * nasns));

    t0 = now();
    rc = ermes_ownership_builder_new(&b);
    for (i = 0; rc == 0 && i < (size_t)nnets; i++)
        rc = ermes_ownership_add_network(b, &nets[i], (int64_t)(i % 5000) + 1);
    for (i = 0; rc == 0 && i < (size_t)ndomains; i++)
        rc = ermes_ownership_add_domain(b, names[i], strlen(names[i]), (int64_t)(i % 5000) + 1);
    for (i = 0; rc == 0 && i < nasns; i++)
        rc = ermes_ownership_add_asn(b, 64512 + (uint32_t)i, (int64_t)(i % 5000) + 1);
    if (rc == 0)
        rc = ermes_ownership_build(b, &idx);
    t_build = now() - t0;
    if (rc) {
        fprintf(stderr, "bench_lookup: building the index: %s\n", ermes_strerror(rc));
        return 1;
    }
    ermes_ownership_builder_free(b);
    ermes_ownership_stats(idx, &st);

    printf("ownership index: %zu IPv4 + %zu IPv6 networks, %zu domains, %zu ASNs\n", st.networks4,
           st.networks6, st.domains, st.asns);
    printf("build: %.3f s, index: %zu bytes (%.1f MiB)\n\n", t_build, st.bytes,
           (double)st.bytes / (1024.0 * 1024.0));
    printf("%-8s %12s %12s %10s %14s\n", "lookup", "count", "found", "seconds", "per second");

    found = 0;
    t = now();
    for (i = 0; i < (size_t)nlookups; i++) {
        found += (size_t)ermes_ownership_ip(idx, &ips4[i], 0, &o);
        sum += o.org_id;
    }
    print_row("ipv4", (size_t)nlookups, found, now() - t);

    found = 0;
    t = now();
    for (i = 0; i < n6lookups; i++) {
        found += (size_t)ermes_ownership_ip(idx, &ips6[i], 0, &o);
        sum += o.org_id;
    }
    print_row("ipv6", n6lookups, found, now() - t);

    found = 0;
    t = now();
    for (i = 0; i < ndlookups; i++) {
        found += (size_t)ermes_ownership_domain(idx, queries[i], strlen(queries[i]), &o);
        sum += o.org_id;
    }
    print_row("domain", ndlookups, found, now() - t);

    found = 0;
    t = now();
    for (i = 0; i < (size_t)nlookups; i++) {
        found += (size_t)ermes_ownership_asn(idx, asn_queries[i], &o);
        sum += o.org_id;
    }
    print_row("asn", (size_t)nlookups, found, now() - t);

    /* Printing the sum keeps the compiler from dropping the lookups. */
    printf("\nchecksum of org ids: %lld\n", (long long)sum);

    ermes_ownership_release(idx);
    free(nets);
    free(names);
    free(queries);
    free(ips4);
    free(ips6);
    free(asn_queries);
    return 0;
}
