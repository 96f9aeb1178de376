/* The events list filtered on time alone, through the time map and without it (issue 14).
 *
 *   bench_events_time [--events N] [--width W] [--database-url postgresql://...] [--keep]
 *
 * Stores N events (default 1,000,000) through the store as the intake does (batches of 50,000,
 * the tally flushed before each commit, so the time map is kept as in production), a year of
 * them in arrival order: time.source the arrival time less a delay of up to an hour, one event
 * in 50 reported up to 30 days late, one in 11 without time.source. event_partition_width is W
 * (default 100,000: ten partitions on PostgreSQL for 1,000,000 events, as a year of a national
 * CERT has about 1,100 of the default width). Then the list (GET /api/v1/events's store call)
 * with since/until, each query run with the map and without it (no_time_map: the ids walked
 * from the cursor, as before the map), 5 times each after one warm-up run:
 *   week-mid   a week in the middle of the year, oldest first, a page of 100
 *   week-mid-n the same week, newest first
 *   last-day   the last day, newest first (the map can do little: the newest blocks are first)
 *   count      the count of the week in the middle, up to 10,000 (the list's "total")
 * and prints ms a query (wall, and this process's CPU: on PostgreSQL the server's is not in it).
 * Without --database-url, SQLite in a throwaway data directory; with it, an empty database (or a
 * schema of one, through options=-csearch_path=...) that the bench fills. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/report.h"
#include "store/store.h"

#define DAY INT64_C(86400000)
#define T0 INT64_C(1735689600000) /* 2025-01-01 */

static double now_s(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t seed = 88172645463325252u;

static uint64_t next_rand(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static int count_row(void *ctx, const ermes__event_row_t *e)
{
    (void)e;
    (*(long *)ctx)++;
    return 0;
}

static int fill(ermes__store_t *st, long n)
{
    ermes__event_tally_t *tally;
    ermes__report_t r;
    int rc;

    memset(&r, 0, sizeof(r));
    snprintf(r.feed, sizeof(r.feed), "bench");
    snprintf(r.path, sizeof(r.path), "reports/bench");
    snprintf(r.sha256, sizeof(r.sha256), "00");
    snprintf(r.submitted_by, sizeof(r.submitted_by), "bench");
    r.tlp = ERMES_TLP_AMBER;
    if ((rc = ermes__store_report_insert(st, &r)) || (rc = ermes__event_tally_new(&tally)))
        return rc;
    for (long k = 0; k < n && !rc;) {
        if ((rc = ermes__store_begin(st)))
            break;
        for (long b = 0; b < 50000 && k < n && !rc; b++, k++) {
            ermes__event_row_t e;
            uint64_t x = next_rand();
            int64_t arrival = T0 + (int64_t)((double)k / (double)n * 365.0 * (double)DAY);
            static const char data[] = "{\"feed.name\":\"bench\"}";

            memset(&e, 0, sizeof(e));
            e.report_id = r.id;
            e.row = k + 1;
            e.line = k + 2;
            e.time_source = x % 11 == 0   ? 0
                            : x % 50 == 0 ? arrival - (int64_t)(x % (30 * (uint64_t)DAY))
                                          : arrival - (int64_t)(x % 3600000);
            e.time_observation = arrival;
            e.feed = "bench";
            e.taxonomy = "vulnerable";
            e.type = "vulnerable-system";
            e.tlp = ERMES_TLP_AMBER;
            e.raw_offset = -1;
            e.created_at = arrival;
            e.data = data;
            e.data_len = sizeof(data) - 1;
            if (!(rc = ermes__store_event_insert(st, &e)))
                rc = ermes__event_tally_add(tally, &e);
        }
        if (!rc)
            rc = ermes__event_tally_flush(tally, st);
        rc = rc ? (ermes__store_rollback(st), rc) : ermes__store_commit(st);
        fprintf(stderr, "\rstored %ld", k);
    }
    fprintf(stderr, "\n");
    ermes__event_tally_free(tally);
    return rc;
}

static int run(ermes__store_t *st, const char *name, ermes__event_filter_t f, int counting)
{
    double wall[2], cpu[2];
    long rows[2] = {0, 0};
    int rc = 0;

    for (int mapped = 1; mapped >= 0 && !rc; mapped--) {
        f.no_time_map = !mapped;
        for (int k = 0; k < 6 && !rc; k++) {
            double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
            long got = 0;
            int64_t n = 0;
            if (counting) {
                rc = ermes__store_event_count(st, NULL, &f, 10000, &n);
                got = (long)n;
            } else {
                rc = ermes__store_event_each(st, NULL, &f, count_row, &got, NULL);
            }
            if (k == 0) { /* warm-up */
                wall[mapped] = cpu[mapped] = 0;
                rows[mapped] = got;
                continue;
            }
            wall[mapped] += now_s(CLOCK_MONOTONIC) - w0;
            cpu[mapped] += now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
    }
    if (rc)
        return rc;
    printf("%-11s rows %5ld/%5ld  map: %9.2f ms wall %9.2f ms cpu   no map: %9.2f ms wall %9.2f "
           "ms cpu   x%.1f\n",
           name, rows[1], rows[0], wall[1] * 200, cpu[1] * 200, wall[0] * 200, cpu[0] * 200,
           wall[1] > 0 ? wall[0] / wall[1] : 0);
    return rows[0] == rows[1] ? 0 : -1;
}

int main(int argc, char **argv)
{
    long n = 1000000, width = 100000;
    const char *url = NULL;
    int keep = 0, rc;
    char dir[] = "/tmp/ermes-bench-time-XXXXXX";
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    ermes__event_filter_t f;
    int64_t mid = T0 + 180 * DAY, end = T0 + 365 * DAY;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--events") && i + 1 < argc)
            n = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--width") && i + 1 < argc)
            width = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--database-url") && i + 1 < argc)
            url = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else {
            fprintf(stderr, "usage: bench_events_time [--events N] [--width W] "
                            "[--database-url postgresql://...] [--keep]\n");
            return 2;
        }
    }
    if (!mkdtemp(dir))
        return 1;
    opts.database_url = url;
    if ((rc = ermes__store_open(dir, &opts, &st))) {
        fprintf(stderr, "bench_events_time: cannot open the store: %d\n", rc);
        return 1;
    }
    if ((rc = ermes__store_event_width(st, width, 1)) || (rc = fill(st, n))) {
        fprintf(stderr, "bench_events_time: cannot store the events: %d\n", rc);
        return 1;
    }
    printf("%ld events, width %ld, %s\n", n, width, url ? "PostgreSQL" : "SQLite");
    memset(&f, 0, sizeof(f));
    f.since = mid;
    f.until = mid + 7 * DAY;
    f.limit = 100;
    rc = run(st, "week-mid", f, 0);
    f.newest = 1;
    if (!rc)
        rc = run(st, "week-mid-n", f, 0);
    f.since = end - DAY;
    f.until = 0;
    if (!rc)
        rc = run(st, "last-day", f, 0);
    f.newest = 0;
    f.since = mid;
    f.until = mid + 7 * DAY;
    if (!rc)
        rc = run(st, "count", f, 1);
    ermes__store_close(st);
    if (!keep) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_events_time: cannot remove %s\n", dir);
    } else {
        printf("kept: %s\n", dir);
    }
    return rc ? 1 : 0;
}
