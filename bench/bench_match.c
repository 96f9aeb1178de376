/* Benchmarks of the detection engine (src/detect/), one core.
 *
 *   bench_match lines LOG IND...     the line reader + matcher over a DNS query log
 *   bench_match eve EVE IND...       the EVE reader + matcher: events/s, MB/s, matching events
 *   bench_match big [N]              N synthetic indicators (default 10,000,000: 70% domains,
 *                                    30% IPv4/CIDR): memory per indicator, build and swap time,
 *                                    lookups/s of a reader thread alone, while another thread
 *                                    swaps matchers back and forth, and during a rebuild + swap;
 *                                    exit status 1 if any lookup round lost or invented a hit
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
           path, (unsigned long long)st.records, (double)st.bytes / 1e6, t, (double)st.records / t,
           (double)st.bytes / 1e6 / t, (unsigned long long)hitrec, (unsigned long long)hits,
           (unsigned long long)st.skipped);
    /* On a shared machine the wall clock counts time other processes took from this core;
     * CPU time does not (it still pays for their cache pollution). */
    printf("%s: CPU time %.3f s: %.0f records per CPU second\n", path, c, (double)st.records / c);
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

/* The reader thread looks up 1024 names again and again: 512 subdomains of indicators in the
 * set (each must hit) and 512 names that are in no set (each must miss). A round whose hit
 * count differs is counted as wrong: swapping must never lose or invent a hit. */
#define PROBES 1024
typedef struct reader_arg {
    ermes_matcher_slot_t *slot;
    char names[PROBES][64];
    atomic_int stop;
    atomic_ullong lookups;
    atomic_ullong wrong_rounds;
    atomic_ullong refreshes;
} reader_arg_t;

static void *reader_main(void *p)
{
    reader_arg_t *a = p;
    ermes_scanner_t *s;
    unsigned long long n = 0, wrong = 0, refreshes = 0;
    uint64_t gen = 0;

    if (ermes_scanner_new(NULL, &s))
        return NULL;
    while (!atomic_load_explicit(&a->stop, memory_order_relaxed)) {
        const ermes_hit_t *hits;
        size_t h = 0;
        uint64_t g = ermes_matcher_slot_generation(a->slot);
        if (g != gen) {
            refreshes++;
            gen = g;
        }
        ermes_scanner_refresh(s, a->slot);
        for (int i = 0; i < PROBES; i++)
            h += ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, a->names[i], strlen(a->names[i]),
                                      &hits) > 0;
        wrong += h != PROBES / 2;
        n += PROBES;
        atomic_store_explicit(&a->lookups, n, memory_order_relaxed);
        atomic_store_explicit(&a->wrong_rounds, wrong, memory_order_relaxed);
        atomic_store_explicit(&a->refreshes, refreshes, memory_order_relaxed);
    }
    ermes_scanner_free(s);
    return NULL;
}

static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Lookups/s of the reader over a window of about `s` seconds in which `work` runs (NULL: the
 * reader alone). */
static double reader_rate(reader_arg_t *a, double s, void (*work)(void *), void *ctx)
{
    unsigned long long l0 = atomic_load(&a->lookups);
    double t0 = now(), t;

    if (work)
        work(ctx);
    else
        sleep_s(s);
    t = now() - t0;
    return (double)(atomic_load(&a->lookups) - l0) / t / 1e6;
}

typedef struct swap_storm {
    ermes_matcher_slot_t *slot;
    ermes_matcher_t *m[2];
    double seconds;
    unsigned long swaps;
    double worst, cpu;
} swap_storm_t;

/* Swaps the two matchers back and forth for the given time, a swap every millisecond (far
 * more often than any feed reloads), sleeping in between so that the reader scans while every
 * swap happens. */
static void storm(void *p)
{
    swap_storm_t *w = p;
    double end = now() + w->seconds, c0 = thread_cpu_now();

    while (now() < end) {
        double t0 = now(), t;
        ermes_matcher_slot_swap(w->slot, w->m[w->swaps & 1]);
        t = now() - t0;
        if (t > w->worst)
            w->worst = t;
        w->swaps++;
        sleep_s(0.001);
    }
    w->cpu = thread_cpu_now() - c0;
}

typedef struct rebuild {
    const ermes_indicator_set_t *set;
    ermes_matcher_slot_t *slot;
    double build, swap;
    int rc;
} rebuild_t;

static void rebuild_and_swap(void *p)
{
    rebuild_t *w = p;
    ermes_matcher_t *m;
    double t0 = now();

    w->rc = ermes_matcher_build(w->set, 0, &m);
    w->build = now() - t0;
    if (w->rc)
        return;
    t0 = now();
    ermes_matcher_slot_swap(w->slot, m);
    w->swap = now() - t0;
    ermes_matcher_release(m);
}

static int big(size_t n)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m, *m2;
    ermes_matcher_slot_t *slot;
    ermes_matcher_stats_t st;
    reader_arg_t *arg;
    swap_storm_t sw;
    rebuild_t rb;
    pthread_t th;
    char buf[64];
    double t0, c0, t_set, t_build, c_build, t_swap, r_alone, r_storm, r_rebuild;
    long rss0, rss1, rss2;
    size_t nhit = 0;

    arg = calloc(1, sizeof(*arg));
    if (!arg)
        return 1;
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
        /* Every n/512-th domain (spread over the set) becomes a probe that must hit. */
        if (ind.type == ERMES_IND_DOMAIN && nhit < PROBES / 2 && i % (n / 700 + 1) == 0)
            snprintf(arg->names[nhit++], sizeof(arg->names[0]), "www.%s", buf);
    }
    t_set = now() - t0;
    if (nhit < PROBES / 2) {
        fprintf(stderr, "big: need at least %d indicators\n", PROBES * 2);
        return 1;
    }
    for (int i = 0; i < PROBES / 2; i++)
        snprintf(arg->names[PROBES / 2 + i], sizeof(arg->names[0]), "www.q%dx.example.%s", i,
                 i % 2 ? "com" : "net");

    /* The build alone, nothing else running in the process. */
    t0 = now();
    c0 = thread_cpu_now();
    if (ermes_matcher_build(set, 0, &m))
        return 1;
    t_build = now() - t0;
    c_build = thread_cpu_now() - c0;
    ermes_matcher_stats(m, &st);
    rss1 = rss_kb();
    ermes_matcher_slot_new(NULL, &slot);
    t0 = now();
    ermes_matcher_slot_swap(slot, m);
    t_swap = now() - t0;
    printf("big: %zu indicators (%zu domains, %zu IPv4, %zu CIDR)\n", st.indicators,
           st.by_type[ERMES_IND_DOMAIN], st.by_type[ERMES_IND_IPV4], st.by_type[ERMES_IND_CIDR]);
    printf("big: set filled in %.3f s\n", t_set);
    printf("big: matcher built in %.3f s (%.3f s CPU), swapped in %.6f s: build + swap %.3f s\n",
           t_build, c_build, t_swap, t_build + t_swap);
    printf("big: matcher memory %zu bytes = %.1f bytes per indicator (RSS of set + matcher %.1f "
           "bytes per indicator)\n",
           st.bytes, (double)st.bytes / (double)st.indicators,
           (double)(rss1 - rss0) * 1024.0 / (double)st.indicators);

    if ((double)st.bytes / (double)st.indicators >= 100)
        printf("GOAL MISSED: 100 bytes per indicator or more\n");
    if (t_build + t_swap >= 2)
        printf("GOAL MISSED: build + swap took 2 s or more\n");

    /* A reader thread scanning while the main thread swaps. */
    arg->slot = slot;
    pthread_create(&th, NULL, reader_main, arg);
    sleep_s(0.1);
    r_alone = reader_rate(arg, 0.5, NULL, NULL);
    printf("big: reader thread alone: %.2f M lookups/s\n", r_alone);

    if (ermes_matcher_build(set, 0, &m2))
        return 1;
    memset(&sw, 0, sizeof(sw));
    sw.slot = slot;
    sw.m[0] = m2;
    sw.m[1] = m;
    sw.seconds = 1.0;
    r_storm = reader_rate(arg, 0, storm, &sw);
    printf("big: reader while the other thread swaps matchers (%lu swaps in 1 s, the slowest "
           "%.6f s, swapper CPU %.3f s): %.2f M lookups/s (%.0f%% of alone), the reader "
           "switched matchers %llu times\n",
           sw.swaps, sw.worst, sw.cpu, r_storm, 100.0 * r_storm / r_alone,
           (unsigned long long)atomic_load(&arg->refreshes));
    ermes_matcher_release(m2);
    ermes_matcher_release(m);

    memset(&rb, 0, sizeof(rb));
    rb.set = set;
    rb.slot = slot;
    r_rebuild = reader_rate(arg, 0, rebuild_and_swap, &rb);
    if (rb.rc)
        return 1;
    printf("big: rebuild + swap while the reader runs: %.3f s + %.6f s; reader meanwhile %.2f M "
           "lookups/s\n",
           rb.build, rb.swap, r_rebuild);
    rss2 = rss_kb();
    sleep_s(0.2);
    atomic_store(&arg->stop, 1);
    pthread_join(th, NULL);
    printf("big: reader: %llu lookups in all, %llu rounds with a wrong hit count (must be 0); "
           "RSS %ld MB\n",
           (unsigned long long)atomic_load(&arg->lookups),
           (unsigned long long)atomic_load(&arg->wrong_rounds), rss2 / 1024);
    ermes_matcher_slot_free(slot);
    ermes_indicator_set_free(set);
    {
        int wrong = atomic_load(&arg->wrong_rounds) != 0;
        free(arg);
        return wrong;
    }
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
