/* The retro-hunt (src/detect/retro.c) over an archive directory with a few new indicators.
 *
 *   bench_retro [--no-prefilter] [--quiet] ARCHIVE_DIR VALUE...
 *
 * VALUEs are indicators (type guessed: IPs, domains, hashes, ...). Prints one line:
 *   files N bytes_on_disk N bytes_scanned N records N matches N seconds S
 * and, unless --quiet, every sighting as "path:line:offset field value indicator" on stdout
 * before it. Run pinned: taskset -c 0 build/bench_retro /tmp/archive 198.51.100.7 evil.example */
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

static int quiet;

static int print_cb(void *ctx, const ermes_detect_hit_t *s)
{
    char v[512];

    (void)ctx;
    if (quiet)
        return 0;
    ermes_matcher_value(s->matcher, s->indicator, v, sizeof(v));
    printf("%s:%ld:%lld %s %.*s %s\n", s->source, s->line, (long long)s->offset, s->field,
           (int)s->value_len, s->value, v);
    return 0;
}

int main(int argc, char **argv)
{
    ermes_indicator_set_t *set = NULL;
    ermes_matcher_t *m = NULL;
    ermes_retro_t *job = NULL;
    ermes_retro_options_t o = {0};
    ermes_retro_progress_t p;
    const char *dir = NULL;
    double t0, t1;
    int i = 1, rc = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--no-prefilter") == 0)
            o.no_prefilter = 1;
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else
            break;
    }
    if (i + 2 > argc) {
        fprintf(stderr, "usage: bench_retro [--no-prefilter] [--quiet] ARCHIVE_DIR VALUE...\n");
        return 2;
    }
    dir = argv[i++];
    if (ermes_indicator_set_new(&set))
        goto out;
    for (; i < argc; i++) {
        ermes_indicator_t ind;
        ermes_diag_t d;
        ermes_indicator_init(&ind);
        ind.value = argv[i];
        ind.len = strlen(argv[i]);
        if (ermes_indicator_set_add(set, &ind, NULL, &d)) {
            fprintf(stderr, "bench_retro: %s: %s\n", argv[i], d.reason);
            goto out;
        }
    }
    if (ermes_matcher_build(set, 0, &m) || ermes_retro_new(dir, m, &o, print_cb, NULL, &job))
        goto out;
    t0 = now();
    rc = ermes_retro_run(job);
    t1 = now();
    ermes_retro_progress(job, &p);
    printf("files %llu bytes_on_disk %llu bytes_scanned %llu records %llu matches %llu "
           "seconds %.3f state %s\n",
           (unsigned long long)p.files_done, (unsigned long long)p.bytes_done,
           (unsigned long long)p.bytes_scanned, (unsigned long long)p.records,
           (unsigned long long)p.matches, t1 - t0, ermes_retro_state_name(p.state));
    if (rc || p.state != ERMES_RETRO_DONE || p.files_failed) {
        fprintf(stderr, "bench_retro: %s\n", p.error[0] ? p.error : ermes_strerror(rc));
        rc = 1;
    }
out:
    ermes_retro_free(job);
    ermes_matcher_release(m);
    ermes_indicator_set_free(set);
    return rc ? 1 : 0;
}
