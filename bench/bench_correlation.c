/* Correlation index benchmark (issue 12 item 7): N values, shaped like a CERT's holdings
 * (IPv4 and IPv6 addresses, domains, URLs, SHA-256 hashes; one mention in ten repeats a value
 * already mentioned, as the same address shows in many events), go into the index of
 * src/store/correlations.c in a fresh database (SQLite in DIR, or PostgreSQL with
 * ERMES_DATABASE_URL). Measured: the build (normalising and keying every value, sorting the
 * postings, writing them), the database's size against the values' own bytes, then lookups of
 * values held (the whole of ermes__correlate: the value, its networks, the index) and of
 * values absent, p50 and p99, and adding postings one by one to the full index in random order
 * (what following the tables costs).
 *
 *   bench_correlation DIR [--values N] [--lookups N]
 *
 * Goals: 10,000,000 values built in under a minute, storage under the values' own size, a
 * lookup under 1 ms. DIR must not hold a database yet. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/number.h"
#include "sharing/correlation.h"
#include "store/store.h"

static uint64_t seed = 0x9e3779b97f4a7c15ull;

/* xorshift64*: fixed seed, so every run builds the same data. */
static uint64_t next_random(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545f4914f6cdd1dull;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int cmp_posting(const void *a, const void *b)
{
    const ermes__corr_posting_t *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const char *const words[] = {"login",  "secure", "update", "mail",  "cdn",    "account",
                                    "verify", "cloud",  "portal", "files", "office", "bank"};
static const char *const tlds[] = {"com", "net", "org", "eu", "info", "xyz"};

/* Value number i (the same i gives the same value): its type and text into buf. */
static const char *make_value(uint64_t i, char *buf, size_t cap)
{
    uint64_t r = i * 0x9e3779b97f4a7c15ull;
    unsigned kind = (unsigned)(i % 20);

    r ^= r >> 29;
    if (kind < 8) { /* 40 %: IPv4 */
        snprintf(buf, cap, "%u.%u.%u.%u", (unsigned)(r >> 24) & 0xff, (unsigned)(r >> 16) & 0xff,
                 (unsigned)(r >> 8) & 0xff, (unsigned)r & 0xff);
        return "ipv4";
    }
    if (kind < 9) { /* 5 %: IPv6 */
        snprintf(buf, cap, "2001:db8:%x:%x::%x", (unsigned)(r >> 48) & 0xffff,
                 (unsigned)(r >> 32) & 0xffff, (unsigned)r & 0xffff);
        return "ipv6";
    }
    if (kind < 15) { /* 30 %: domains */
        snprintf(buf, cap, "%s-%s%llu.%s", words[r % 12], words[(r >> 8) % 12],
                 (unsigned long long)(i % 100000000), tlds[(r >> 16) % 6]);
        return "domain";
    }
    if (kind < 17) { /* 10 %: URLs */
        snprintf(buf, cap, "http://%s%llu.%s/%s/%llx", words[r % 12],
                 (unsigned long long)(i % 10000000), tlds[(r >> 16) % 6], words[(r >> 20) % 12],
                 (unsigned long long)(r & 0xffffff));
        return "url";
    }
    /* 15 %: SHA-256 */
    {
        uint64_t h[4] = {r, r * 31 + i, r ^ (i << 7), ~r};

        snprintf(buf, cap, "%016llx%016llx%016llx%016llx", (unsigned long long)h[0],
                 (unsigned long long)h[1], (unsigned long long)h[2], (unsigned long long)h[3]);
    }
    return "sha256";
}

static long long file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

int main(int argc, char **argv)
{
    ermes__store_options_t opts = {0, 1, 256, getenv("ERMES_DATABASE_URL")};
    long long nvalues = 10000000, nlookups = 100000;
    int64_t v;
    ermes__store_t *st = NULL;
    ermes__corr_posting_t *postings = NULL;
    ermes__corr_value_t *cv = NULL;
    ermes__corr_options_t copts = {0};
    ermes__viewer_t staff = {0, "bench", ERMES_ROLE_ADMIN, 1, "bench"};
    double *lat = NULL, t0, build, sort_s, write_s, key_s, p99 = 0, ratio = 0;
    long long value_bytes = 0, distinct_bytes = 0;
    char buf[256], path[4096];
    const char *dir = NULL;
    int rc = 1, i;
    long long n, k;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--values") && i + 1 < argc) {
            if (ermes__parse_int64(argv[++i], "--values", 1000, 100000000, &v, NULL))
                goto usage;
            nvalues = v;
        } else if (!strcmp(argv[i], "--lookups") && i + 1 < argc) {
            if (ermes__parse_int64(argv[++i], "--lookups", 1, 10000000, &v, NULL))
                goto usage;
            nlookups = v;
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else {
            goto usage;
        }
    }
    if (!dir)
        goto usage;
    snprintf(path, sizeof(path), "%s/ermes.db", dir);
    if (!opts.database_url && file_size(path) > 0) {
        fprintf(stderr, "bench_correlation: %s exists; give an empty directory\n", path);
        return 1;
    }
    if (ermes__store_open(dir, &opts, &st)) {
        fprintf(stderr, "bench_correlation: cannot open the store in %s\n", dir);
        return 1;
    }
    postings = malloc(sizeof(*postings) * (size_t)nvalues);
    cv = malloc(sizeof(*cv));
    lat = malloc(sizeof(*lat) * (size_t)nlookups);
    if (!postings || !cv || !lat) {
        fprintf(stderr, "bench_correlation: out of memory\n");
        goto out;
    }

    /* Build: one mention in ten repeats an earlier value. */
    t0 = now_s();
    for (n = 0; n < nvalues; n++) {
        uint64_t which = (n % 10 == 9 && n > 0) ? next_random() % (uint64_t)n : (uint64_t)n;
        const char *type = make_value(which, buf, sizeof(buf));
        size_t len = strlen(buf);

        value_bytes += (long long)len;
        if (which == (uint64_t)n)
            distinct_bytes += (long long)len;
        if (ermes__corr_norm(type, buf, len, cv)) {
            fprintf(stderr, "bench_correlation: %s not a value\n", buf);
            goto out;
        }
        postings[n].key = ermes__corr_key(cv);
        postings[n].kind = ERMES__CORR_INDICATOR;
        postings[n].id = n + 1;
    }
    key_s = now_s() - t0;
    t0 = now_s();
    qsort(postings, (size_t)nvalues, sizeof(*postings), cmp_posting);
    sort_s = now_s() - t0;
    t0 = now_s();
    for (n = 0; n < nvalues; n += 1000000) {
        k = nvalues - n < 1000000 ? nvalues - n : 1000000;
        if (ermes__store_begin(st) || ermes__store_corr_add_many(st, postings + n, (size_t)k) ||
            ermes__store_commit(st)) {
            fprintf(stderr, "bench_correlation: writing the postings failed\n");
            goto out;
        }
    }
    write_s = now_s() - t0;
    build = key_s + sort_s + write_s;
    printf("build: %lld values (%lld distinct-value bytes, %lld bytes mentioned) in %.1f s "
           "(keying %.1f s, sort %.1f s, writing %.1f s): %.0f values/s\n",
           nvalues, distinct_bytes, value_bytes, build, key_s, sort_s, write_s,
           (double)nvalues / build);

    if (!opts.database_url) {
        long long db;

        /* Closing the last connection checkpoints the WAL into the database and removes it:
         * what stays on disk is the database alone. */
        ermes__store_close(st);
        st = NULL;
        db = file_size(path);
        printf("storage: %lld bytes on disk, %.1f bytes a value; the values themselves: %lld "
               "bytes (%.2fx)\n",
               db, (double)db / (double)nvalues, value_bytes, (double)db / (double)value_bytes);
        ratio = (double)db / (double)value_bytes;
        if (ermes__store_open(dir, &opts, &st)) {
            fprintf(stderr, "bench_correlation: cannot open the store again\n");
            goto out;
        }
    }

    /* Lookups of values held, through the whole correlation path. */
    copts.no_sync = 1;
    for (n = 0; n < nlookups; n++) {
        uint64_t which = next_random() % (uint64_t)nvalues;
        const char *type = make_value(which, buf, sizeof(buf));
        json_t *res = NULL;
        ermes_diag_t d;

        copts.type = type;
        t0 = now_s();
        if (ermes__correlate(st, &staff, buf, strlen(buf), &copts, &res, &d)) {
            fprintf(stderr, "bench_correlation: lookup of %s failed\n", buf);
            goto out;
        }
        lat[n] = now_s() - t0;
        json_decref(res);
    }
    qsort(lat, (size_t)nlookups, sizeof(*lat), cmp_double);
    p99 = lat[nlookups * 99 / 100];
    printf("lookup (held values, whole path): %lld, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           nlookups, lat[nlookups / 2] * 1e3, lat[nlookups * 99 / 100] * 1e3,
           lat[nlookups - 1] * 1e3);
    for (n = 0; n < nlookups; n++) {
        json_t *res = NULL;
        ermes_diag_t d;

        snprintf(buf, sizeof(buf), "absent-%llu.example", (unsigned long long)next_random());
        copts.type = "domain";
        t0 = now_s();
        if (ermes__correlate(st, &staff, buf, strlen(buf), &copts, &res, &d)) {
            fprintf(stderr, "bench_correlation: lookup of %s failed\n", buf);
            goto out;
        }
        lat[n] = now_s() - t0;
        json_decref(res);
    }
    qsort(lat, (size_t)nlookups, sizeof(*lat), cmp_double);
    printf("lookup (absent values): %lld, p50 %.3f ms, p99 %.3f ms\n", nlookups,
           lat[nlookups / 2] * 1e3, lat[nlookups * 99 / 100] * 1e3);

    /* Following the tables: postings added one by one, in random key order, to the full
     * index, a transaction per 5,000 (the sync's batch). */
    k = nvalues / 20 < 500000 ? nvalues / 20 : 500000;
    t0 = now_s();
    for (n = 0; n < k; n += 5000) {
        long long j, m = k - n < 5000 ? k - n : 5000;

        if (ermes__store_begin(st))
            goto out;
        for (j = 0; j < m; j++) {
            make_value(nvalues + n + j, buf, sizeof(buf));
            if (ermes__store_corr_add(st, NULL, buf, strlen(buf), ERMES__CORR_EVENT, n + j + 1)) {
                ermes__store_rollback(st);
                goto out;
            }
        }
        if (ermes__store_commit(st))
            goto out;
    }
    printf("incremental: %lld postings added to the full index in %.1f s: %.0f/s\n", k,
           now_s() - t0, (double)k / (now_s() - t0));
    printf("goals: build under 60 s: %s; storage under the values' size: %s; lookup p99 under "
           "1 ms: %s\n",
           build < 60 ? "met" : "GOAL MISSED",
           opts.database_url ? "not measured"
           : ratio < 1       ? "met"
                             : "GOAL MISSED",
           p99 < 1e-3 ? "met" : "GOAL MISSED");
    rc = 0;
out:
    free(postings);
    free(cv);
    free(lat);
    ermes__store_close(st);
    return rc;
usage:
    fprintf(stderr, "usage: bench_correlation DIR [--values N] [--lookups N]\n");
    return 2;
}
