/* Benchmarks of the detection engine (src/detect/), one core.
 *
 *   bench_match lines LOG IND...     the line reader + matcher over a DNS query log
 *   bench_match eve EVE IND...       the EVE reader + matcher: events/s, MB/s, matching events
 *   bench_match big [N]              N synthetic indicators (default 10,000,000: 70% domains,
 *                                    30% IPv4/CIDR): memory per indicator, build and swap time,
 *                                    lookups/s of a reader thread before and during a swap
 *
 * Run pinned: taskset -c 0 build/bench_match eve eve.json indicators.txt ind_ip.txt ... */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ermes/detect.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static ermes_matcher_t *load(int n, char **files)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;
    double t0 = now();
    size_t total = 0;

    if (ermes_indicator_set_new(&set))
        exit(1);
    for (int i = 0; i < n; i++) {
        size_t len;
        char *data = slurp(files[i], &len);
        ermes_ind_load_stats_t st;
        ermes_diag_t d;
        if (!data) {
            fprintf(stderr, "cannot read %s\n", files[i]);
            exit(1);
        }
        ermes_indicator_set_load(set, data, len, ERMES_IND_FORMAT_LIST, NULL, NULL, NULL, &st, &d);
        total += st.added;
        free(data);
    }
    if (ermes_matcher_build(set, 0, &m))
        exit(1);
    ermes_indicator_set_free(set);
    fprintf(stderr, "indicators: %zu loaded and compiled in %.3f s\n", total, now() - t0);
    return m;
}

static int scan_file(const char *path, ermes_log_format_t fmt, ermes_matcher_t *m)
{
    ermes_log_options_t opts = {0};
    ermes_log_reader_t *r;
    ermes_log_record_t rec;
    ermes_log_stats_t st;
    ermes_scanner_t *s;
    ermes_diag_t d;
    uint64_t hitrec = 0, hits = 0;
    double t0, t, c0, c;
    int rc;

    opts.format = fmt;
    if (ermes_log_reader_open(path, &opts, &r, &d) || ermes_scanner_new(m, &s)) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    t0 = now();
    c0 = cpu_now();
    while ((rc = ermes_log_reader_next(r, &rec, &d)) != 0) {
        const ermes_hit_t *h;
        size_t n;
        if (rc < 0) {
            if (rc == ERMES_EPARSE)
                continue;
            break;
        }
        n = ermes_scanner_scan(s, &rec, &h);
        hits += n;
        hitrec += n > 0;
    }
    t = now() - t0;
    c = cpu_now() - c0;
    ermes_log_reader_stats(r, &st);
    printf("%s: %llu records, %.1f MB in %.3f s: %.0f records/s, %.1f MB/s; %llu matching "
           "records, %llu hits, %llu skipped\n",
           path, (unsigned long long)st.records, (double)st.bytes / 1e6, t,
           (double)st.records / t, (double)st.bytes / 1e6 / t, (unsigned long long)hitrec,
           (unsigned long long)hits, (unsigned long long)st.skipped);
    /* On a shared machine the wall clock counts time other processes took from this core;
     * CPU time does not (it still pays for their cache pollution). */
    printf("%s: CPU time %.3f s: %.0f records per CPU second\n", path, c,
           (double)st.records / c);
    ermes_scanner_free(s);
    ermes_log_reader_free(r);
    return 0;
}

/* ---- the 10M bench ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    /* splitmix64: deterministic synthetic data, not security. */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void synth(size_t i, char *buf, size_t cap, ermes_ind_type_t *type)
{
    static const char *const tlds[] = {"com", "net", "org", "de", "eu", "io", "ru", "info"};
    uint64_t r = rnd();

    if (i % 10 < 7) {
        char label[16];
        int n = 6 + (int)(r % 8);
        for (int k = 0; k < n; k++)
            label[k] = (char)('a' + (rnd() % 26));
        label[n] = '\0';
        snprintf(buf, cap, "%s%zx.%s", label, i, tlds[r % 8]);
        *type = ERMES_IND_DOMAIN;
    } else if (i % 10 < 9) {
        snprintf(buf, cap, "%u.%u.%u.%u", (unsigned)(1 + (r >> 8) % 223), (unsigned)(r >> 16) & 255,
                 (unsigned)(r >> 24) & 255, (unsigned)(r >> 32) & 255);
        *type = ERMES_IND_IPV4;
    } else {
        snprintf(buf, cap, "%u.%u.%u.0/24", (unsigned)(1 + (r >> 8) % 223),
                 (unsigned)(r >> 16) & 255, (unsigned)(r >> 24) & 255);
        *type = ERMES_IND_CIDR;
    }
}

typedef struct reader_arg {
    ermes_matcher_slot_t *slot;
    atomic_int stop;
    atomic_ullong lookups;
    atomic_ullong hits;
} reader_arg_t;

static void *reader_main(void *p)
{
    reader_arg_t *a = p;
    ermes_scanner_t *s;
    char names[1024][32];
    unsigned long long n = 0, h = 0;

    for (int i = 0; i < 1024; i++)
        snprintf(names[i], sizeof(names[i]), "www.q%dx.example.%s", i, i % 2 ? "com" : "net");
    if (ermes_scanner_new(NULL, &s))
        return NULL;
    while (!atomic_load_explicit(&a->stop, memory_order_relaxed)) {
        const ermes_hit_t *hits;
        ermes_scanner_refresh(s, a->slot);
        for (int i = 0; i < 1024; i++)
            h += ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, names[i], strlen(names[i]), &hits);
        n += 1024;
        atomic_store_explicit(&a->lookups, n, memory_order_relaxed);
    }
    atomic_store(&a->hits, h);
    ermes_scanner_free(s);
    return NULL;
}

static int big(size_t n)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m, *m2;
    ermes_matcher_slot_t *slot;
    ermes_matcher_stats_t st;
    reader_arg_t arg;
    pthread_t th;
    char buf[64];
    double t0, t_set, t_build, t_swap, t_build2;
    long rss0, rss1, rss2;
    unsigned long long l0, l1, l2, l3;

    rss0 = rss_kb();
    if (ermes_indicator_set_new(&set))
        return 1;
    t0 = now();
    for (size_t i = 0; i < n; i++) {
        ermes_indicator_t ind;
        ermes_indicator_init(&ind);
        synth(i, buf, sizeof(buf), &ind.type);
        ind.value = buf;
        ind.len = strlen(buf);
        ind.source = "synthetic";
        if (ermes_indicator_set_add(set, &ind, NULL, NULL)) {
            fprintf(stderr, "add failed at %zu: %s\n", i, buf);
            return 1;
        }
    }
    t_set = now() - t0;
    t0 = now();
    if (ermes_matcher_build(set, 0, &m))
        return 1;
    t_build = now() - t0;
    ermes_matcher_stats(m, &st);
    rss1 = rss_kb();
    printf("big: %zu indicators (%zu domains, %zu IPv4, %zu CIDR)\n", st.indicators,
           st.by_type[ERMES_IND_DOMAIN], st.by_type[ERMES_IND_IPV4], st.by_type[ERMES_IND_CIDR]);
    printf("big: set filled in %.3f s; matcher built in %.3f s\n", t_set, t_build);
    printf("big: matcher memory %zu bytes = %.1f bytes per indicator (RSS of set + matcher %.1f "
           "bytes per indicator)\n",
           st.bytes, (double)st.bytes / (double)st.indicators,
           (double)(rss1 - rss0) * 1024.0 / (double)st.indicators);

    ermes_matcher_slot_new(m, &slot);
    memset(&arg, 0, sizeof(arg));
    arg.slot = slot;
    pthread_create(&th, NULL, reader_main, &arg);
    /* Lookups/s before the swap. */
    l0 = atomic_load(&arg.lookups);
    t0 = now();
    {
        struct timespec ts = {0, 500000000};
        nanosleep(&ts, NULL);
    }
    l1 = atomic_load(&arg.lookups);
    printf("big: reader thread alone: %.2f M lookups/s\n", (double)(l1 - l0) / (now() - t0) / 1e6);
    /* Build a new matcher (the same set plus nothing) and swap it while the reader runs. */
    t0 = now();
    if (ermes_matcher_build(set, 0, &m2))
        return 1;
    t_build2 = now() - t0;
    {
        double ts0 = now();
        ermes_matcher_slot_swap(slot, m2);
        t_swap = now() - ts0;
    }
    l2 = atomic_load(&arg.lookups);
    printf("big: rebuild during lookups %.3f s, swap %.6f s (build + swap %.3f s); reader during "
           "rebuild and swap: %.2f M lookups/s\n",
           t_build2, t_swap, t_build2 + t_swap, (double)(l2 - l1) / (now() - t0) / 1e6);
    ermes_matcher_release(m2);
    ermes_matcher_release(m);
    rss2 = rss_kb();
    {
        struct timespec ts = {0, 300000000};
        nanosleep(&ts, NULL);
    }
    l3 = atomic_load(&arg.lookups);
    atomic_store(&arg.stop, 1);
    pthread_join(th, NULL);
    printf("big: reader after swap: %llu lookups in all; RSS %ld MB\n", l3, rss2 / 1024);
    ermes_matcher_slot_free(slot);
    ermes_indicator_set_free(set);
    return 0;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc >= 4 && (strcmp(argv[1], "lines") == 0 || strcmp(argv[1], "eve") == 0)) {
        ermes_matcher_t *m = load(argc - 3, argv + 3);
        rc = scan_file(argv[2], argv[1][0] == 'l' ? ERMES_LOG_LINES : ERMES_LOG_EVE, m);
        ermes_matcher_release(m);
        return rc;
    }
    if (argc >= 2 && strcmp(argv[1], "big") == 0)
        return big(argc >= 3 ? (size_t)strtoull(argv[2], NULL, 10) : 10000000);
    fprintf(stderr, "usage: bench_match lines LOG IND... | eve EVE IND... | big [N]\n");
    return 2;
}
