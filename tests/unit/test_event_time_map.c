/* Unit tests for the events' time map (src/store/event_time_map.c, migration 70), on both
 * backends: events stored in batches through the tally, their time.source out of order (feeds
 * report old observations late, some give none), blocks of 500 ids (event_partition_width: on
 * PostgreSQL the partitions, on SQLite the map's blocks). The events list and its count with
 * since/until give the same events through the map as without it (no_time_map: every id read),
 * for a mix of filters, viewers, orders and page sizes, page after page through the cursor;
 * the map names fewer blocks than there are for a narrow range; retention removes the blocks
 * it emptied and the lists stay the same; the map filled again from the events (ermes migrate)
 * equals the one the batches kept; on PostgreSQL the next partition takes a new width. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "test_db.h"
#include "model/org.h"
#include "store/db.h"
#include "store/store.h"

#define WIDTH 500
#define EVENTS 4000
#define DAY INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01 */

typedef struct {
    char dir[64];
    ermes__store_t *st;
    int64_t report, org[2];
    int64_t first_id, last_id;
} fixture_t;

static uint64_t seed = 88172645463325252u;

static uint64_t next_rand(void)
{
    /* xorshift64: a fixed sequence, so a failure repeats */
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static int64_t add_org(ermes__store_t *st, const char *short_name)
{
    char text[128];
    json_t *j;
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    snprintf(text, sizeof(text), "{\"short_name\":\"%s\",\"name\":\"%s\"}", short_name, short_name);
    j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_non_null(org);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__org_from_json(org, j, 0, &d), 0);
    assert_int_equal(ermes__store_org_insert(st, org, &d), 0);
    id = org->meta.id;
    ermes__org_free(org);
    json_decref(j);
    return id;
}

/* The time of the k-th event: mostly a day's worth per 500 events in arrival order, one in
 * seven months old (a late report), one in eleven without time.source. */
static int64_t time_of(int k)
{
    uint64_t r = next_rand();

    if (r % 11 == 0)
        return 0;
    if (r % 7 == 0)
        return T0 - (int64_t)(r % (200 * (uint64_t)DAY));
    return T0 + (int64_t)k * (DAY / WIDTH) + (int64_t)(r % 3600000);
}

/* EVENTS events in batches of 250 (a transaction each, the tally flushed before commit), the
 * first 1000 stored 40 days ago (for retention). */
static void store_events(fixture_t *f)
{
    static const char *const feeds[] = {"feed-a", "feed-b", "feed-c"};
    ermes__event_tally_t *tally;
    int row = 0;

    assert_int_equal(ermes__event_tally_new(&tally), 0);
    for (int b = 0; b < EVENTS / 250; b++) {
        assert_int_equal(ermes__store_begin(f->st), 0);
        for (int k = 0; k < 250; k++, row++) {
            ermes__event_row_t e;
            char data[64];
            uint64_t r = next_rand();

            memset(&e, 0, sizeof(e));
            e.report_id = f->report;
            e.row = row + 1;
            e.line = row + 2;
            e.time_source = time_of(row);
            e.time_observation = T0;
            e.feed = feeds[r % 3];
            e.taxonomy = "vulnerable";
            e.type = r % 5 ? "vulnerable-system" : "infected-system";
            e.org_id = r % 4 ? f->org[r % 2] : 0;
            e.owner_org_id = e.org_id;
            e.tlp = r % 9 == 0 ? ERMES_TLP_RED : ERMES_TLP_AMBER;
            e.raw_offset = -1;
            e.created_at = row < 1000 ? T0 - 40 * DAY : 0;
            snprintf(data, sizeof(data), "{\"feed.name\":\"%s\"}", e.feed);
            e.data = data;
            e.data_len = strlen(data);
            assert_int_equal(ermes__store_event_insert(f->st, &e), 0);
            assert_int_equal(ermes__event_tally_add(tally, &e), 0);
            if (!f->first_id)
                f->first_id = e.id;
            f->last_id = e.id;
        }
        assert_int_equal(ermes__event_tally_flush(tally, f->st), 0);
        assert_int_equal(ermes__store_commit(f->st), 0);
    }
    ermes__event_tally_free(tally);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__report_t r;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-timemap-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    /* On PostgreSQL the partitions made from now on, on SQLite the map's blocks (the daemon
     * does this from the setting). */
    if (ermes__store_event_width(f->st, WIDTH, 1))
        return -1;
    memset(&r, 0, sizeof(r));
    snprintf(r.feed, sizeof(r.feed), "test");
    snprintf(r.path, sizeof(r.path), "reports/x");
    snprintf(r.sha256, sizeof(r.sha256), "00");
    snprintf(r.submitted_by, sizeof(r.submitted_by), "test");
    r.tlp = ERMES_TLP_AMBER;
    if (ermes__store_report_insert(f->st, &r))
        return -1;
    f->report = r.id;
    f->org[0] = add_org(f->st, "ONE");
    f->org[1] = add_org(f->st, "TWO");
    store_events(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char path[512];
    DIR *d;
    struct dirent *e;

    ermes__store_close(f->st);
    if ((d = opendir(f->dir))) {
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

typedef struct ids {
    int64_t *v;
    size_t n, cap;
} ids_t;

static int collect(void *ctx, const ermes__event_row_t *e)
{
    ids_t *g = ctx;

    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->v = realloc(g->v, g->cap * sizeof(*g->v));
        assert_non_null(g->v);
    }
    g->v[g->n++] = e->id;
    return 0;
}

/* Every page of the list of flt (its limit a page), through the cursor, into g; the number of
 * pages. */
static int pages(ermes__store_t *st, const ermes__viewer_t *v, ermes__event_filter_t flt, ids_t *g)
{
    int more = 1, n = 0;

    g->n = 0;
    flt.after_id = 0;
    while (more) {
        size_t before = g->n;
        assert_int_equal(ermes__store_event_each(st, v, &flt, collect, g, &more), 0);
        n++;
        if (flt.limit > 0 && more)
            assert_int_equal(g->n - before, (size_t)flt.limit);
        if (!more || g->n == before)
            break;
        flt.after_id = g->v[g->n - 1];
        assert_true(n < 10000);
    }
    return n;
}

/* The list and count of flt with the map and without it: the same ids in the same order, the
 * same pages, the same count. */
static void same(ermes__store_t *st, const ermes__viewer_t *v, ermes__event_filter_t flt)
{
    ids_t a = {0}, b = {0};
    int64_t ca = 0, cb = 0;
    int pa, pb;

    flt.no_time_map = 0;
    pa = pages(st, v, flt, &a);
    assert_int_equal(ermes__store_event_count(st, v, &flt, 1000000, &ca), 0);
    flt.no_time_map = 1;
    pb = pages(st, v, flt, &b);
    assert_int_equal(ermes__store_event_count(st, v, &flt, 1000000, &cb), 0);
    if (a.n != b.n || pa != pb || (a.n && memcmp(a.v, b.v, a.n * sizeof(*a.v))))
        fail_msg("since %lld until %lld limit %ld newest %d sort %d org %lld: %zu ids in %d "
                 "pages through the map, %zu in %d without",
                 (long long)flt.since, (long long)flt.until, flt.limit, flt.newest, flt.sort,
                 (long long)flt.org_id, a.n, pa, b.n, pb);
    assert_int_equal(ca, cb);
    if (flt.sort == 0 && flt.limit == 0)
        assert_int_equal(ca, (int64_t)a.n);
    free(a.v);
    free(b.v);
}

/* A range of time: random bounds around the events' times, either end open at times. */
static void a_range(ermes__event_filter_t *flt)
{
    uint64_t r = next_rand();
    int64_t lo = T0 - 220 * DAY + (int64_t)(next_rand() % (230 * (uint64_t)DAY));
    int64_t len = r % 3 == 0 ? DAY / 4 : r % 3 == 1 ? 2 * DAY : 60 * DAY;

    flt->since = r % 10 == 0 ? 0 : lo;
    flt->until = r % 10 == 1 || flt->since == 0 ? (r % 20 == 0 ? 0 : lo + len) : lo + len;
    if (!flt->since && !flt->until)
        flt->since = lo;
}

static void brute_force(fixture_t *f, int rounds)
{
    static const long limits[] = {0, 1, 7, 50, 333};
    ermes__viewer_t constituent = {7, "c", ERMES_ROLE_CONSTITUENT, f->org[1], "test"};

    for (int k = 0; k < rounds; k++) {
        ermes__event_filter_t flt;
        uint64_t r = next_rand();

        memset(&flt, 0, sizeof(flt));
        a_range(&flt);
        flt.limit = limits[r % 5];
        flt.newest = (r >> 3) % 2;
        if ((r >> 4) % 4 == 0)
            flt.org_id = f->org[(r >> 6) % 2];
        if ((r >> 7) % 5 == 0)
            flt.feed = "feed-b";
        if ((r >> 9) % 6 == 0) {
            flt.sort = ERMES_EVENT_SORT_TIME;
            flt.sort_desc = (r >> 11) % 2;
            flt.newest = 0;
        }
        same(f->st, (r >> 12) % 4 == 0 ? &constituent : NULL, flt);
    }
}

static void test_same_as_without_the_map(void **state)
{
    brute_force(*state, 100);
}

/* A narrow range of recent times is held by a few blocks, not all of them: those stored
 * before it are left out. (Blocks stored after it that hold old events reported late cover
 * it too: a block's range of time is its least to its greatest.) */
static void test_reads_fewer_blocks(void **state)
{
    fixture_t *f = *state;
    ermes__event_filter_t flt;
    ids_t a = {0};
    int64_t n = 0;

    memset(&flt, 0, sizeof(flt));
    /* The events stored 3000 to 3250 happened on days 6 of T0: the late old ones aside, only
     * their blocks hold that day. */
    flt.since = T0 + 6 * DAY;
    flt.until = T0 + 6 * DAY + DAY / 2;
    {
        ermes__db_t *db = ermes__db_conn(f->st);
        ermes__db_stmt_t *s;
        int64_t blocks = 0, matching = 0;
        assert_int_equal(ermes__db_prepare(db,
                                           "SELECT count(*), sum(CASE WHEN max_time >= ?1 AND"
                                           " min_time < ?2 THEN 1 ELSE 0 END) FROM event_time_map",
                                           &s),
                         0);
        ermes__db_bind_int(s, 1, flt.since);
        ermes__db_bind_int(s, 2, flt.until);
        assert_int_equal(ermes__db_step(s), 1);
        blocks = ermes__db_col_int(s, 0);
        matching = ermes__db_col_int(s, 1);
        ermes__db_done(s);
        /* 4,000 events in blocks of 500 ids (on PostgreSQL a partition may start elsewhere) */
        assert_true(blocks >= EVENTS / WIDTH && blocks <= EVENTS / WIDTH + 1);
        /* The blocks of days 6 and 7 (those after also hold late old events, so their range
         * of time covers day 6 too), and perhaps the last of day 5; not the five before. */
        assert_true(matching >= 2 && matching <= 3);
    }
    pages(f->st, NULL, flt, &a);
    assert_true(a.n > 0);
    assert_int_equal(ermes__store_event_count(f->st, NULL, &flt, 1000000, &n), 0);
    assert_int_equal(n, (int64_t)a.n);
    free(a.v);
    same(f->st, NULL, flt);
}

static int64_t map_rows(ermes__store_t *st, const char *where)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char sql[256];
    int64_t n = -1;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM event_time_map %s", where);
    assert_int_equal(ermes__db_prepare(db, sql, &s), 0);
    if (ermes__db_step(s) == 1)
        n = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return n;
}

/* The map's rows as text, in order, for comparing two maps. */
static void map_text(ermes__store_t *st, char *out, size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    size_t len = 0;

    out[0] = '\0';
    assert_int_equal(
        ermes__db_prepare(db, "SELECT lo, hi, min_time, max_time FROM event_time_map ORDER BY lo",
                          &s),
        0);
    while (ermes__db_step(s) == 1) {
        int n = snprintf(out + len, cap - len, "%lld-%lld:%lld-%lld;",
                         (long long)ermes__db_col_int(s, 0), (long long)ermes__db_col_int(s, 1),
                         (long long)ermes__db_col_int(s, 2), (long long)ermes__db_col_int(s, 3));
        assert_true(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    ermes__db_done(s);
}

/* Retention: the events stored 40 days ago go (on PostgreSQL whole partitions are dropped),
 * the map loses the blocks left empty, and the lists still match. */
static void test_retention(void **state)
{
    fixture_t *f = *state;
    ermes__retention_stats_t rs;
    int64_t before = map_rows(f->st, ""), now = T0 + 10 * DAY;

    assert_int_equal(ermes__store_retention_run(f->st, f->dir, now - 30 * DAY, now, 0, 0, &rs), 0);
    assert_int_equal(rs.events, 1000);
    /* The first 1000 ids: two blocks of 500 (on PostgreSQL the first partitions). */
    assert_int_equal(map_rows(f->st, ""), before - 2);
    brute_force(f, 40);
}

/* The map filled again from the events (what ermes migrate does on its target) is the one the
 * batches kept: every block's least and greatest time. */
static void test_fill_again(void **state)
{
    fixture_t *f = *state;
    static char kept[65536], again[65536];

    map_text(f->st, kept, sizeof(kept));
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__store_event_time_map_fill(f->st), 0);
    assert_int_equal(ermes__store_commit(f->st), 0);
    map_text(f->st, again, sizeof(again));
    assert_string_equal(kept, again);
    assert_true(strlen(kept) > 10);
}

/* PostgreSQL: the next partition made has the width set last; those made keep theirs. On
 * SQLite the next blocks of the map have it. */
static void test_new_width(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    int64_t last = f->last_id, lo = 0, hi = 0;
    int made = 0;

    assert_int_equal(ermes__store_event_width(f->st, 1200, 1), 0);
    if (!test_db_postgresql()) {
        assert_int_equal(ermes__store_event_block(f->st), 1200);
        assert_int_equal(ermes__store_event_width(f->st, 5000000, 0), 0);
        assert_int_equal(ermes__store_event_block(f->st), 100000);
        return;
    }
    /* Every id to 700 past the last covered: partitions of 500 up to the last one made... */
    assert_int_equal(ermes__db_prepare(db, "SELECT max(hi) FROM event_partitions", &s), 0);
    assert_int_equal(ermes__db_step(s), 1);
    hi = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    assert_true(hi > last);
    assert_int_equal(ermes__store_event_partitions_cover(f->st, hi + 10, &made), 0);
    assert_int_equal(made, 1);
    assert_int_equal(
        ermes__db_prepare(db, "SELECT lo, hi FROM event_partitions ORDER BY lo DESC LIMIT 2", &s),
        0);
    assert_int_equal(ermes__db_step(s), 1);
    lo = ermes__db_col_int(s, 0);
    assert_int_equal(ermes__db_col_int(s, 1) - lo, 1200); /* the new one */
    assert_int_equal(lo, hi);
    assert_int_equal(ermes__db_step(s), 1);
    assert_int_equal(ermes__db_col_int(s, 1) - ermes__db_col_int(s, 0), WIDTH); /* made before */
    ermes__db_done(s);
}

/* The plan of what the list runs for one range of ids (events.c's EVENT_RANGE): on PostgreSQL
 * the partitions outside the range are left out, at planning with the values known and at the
 * executor's start with a generic plan's parameters ("Subplans Removed"); on SQLite a range of
 * the rowid. */
static void plan_of(ermes__store_t *st, const char *sql, char *out, size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    size_t len = 0;
    int rc;

    out[0] = '\0';
    assert_int_equal(ermes__db_prepare(db, sql, &s), 0);
    while ((rc = ermes__db_step(s)) == 1) {
        int col = test_db_postgresql() ? 0 : 3; /* SQLite: id, parent, notused, detail */
        const char *t = ermes__db_col_text(s, col);
        int n = snprintf(out + len, cap - len, "%s\n", t ? t : "");
        assert_true(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    assert_int_equal(rc, 0);
    ermes__db_done(s);
}

static void test_plan_reads_one_partition(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);
    static char plan[16384];

    if (!test_db_postgresql()) {
        plan_of(f->st,
                "EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE e.id > 0 AND e.time_source >="
                " 1767744000000 AND e.id >= 3001 AND e.id < 3501 ORDER BY e.id LIMIT 101",
                plan, sizeof(plan));
        assert_non_null(strstr(plan, "INTEGER PRIMARY KEY (rowid>? AND rowid<?)"));
        return;
    }
    plan_of(f->st,
            "EXPLAIN SELECT e.id FROM events e WHERE e.id > 0 AND e.time_source >= 1767744000000"
            " AND e.id >= 3001 AND e.id < 3501 ORDER BY e.id LIMIT 101",
            plan, sizeof(plan));
    assert_non_null(strstr(plan, "events_part_3001"));
    assert_null(strstr(plan, "events_part_2501"));
    assert_null(strstr(plan, "events_part_1 "));
    /* Parameters, as the list binds them, in a generic plan: pruned when it starts. */
    assert_int_equal(ermes__db_exec(db, "SET plan_cache_mode = force_generic_plan"), 0);
    assert_int_equal(ermes__db_exec(db, "PREPARE ranged(bigint, bigint, bigint) AS SELECT e.id"
                                        " FROM events e WHERE e.id > 0 AND e.time_source >= $1"
                                        " AND e.id >= $2 AND e.id < $3 ORDER BY e.id LIMIT 101"),
                     0);
    plan_of(f->st, "EXPLAIN (ANALYZE, COSTS OFF) EXECUTE ranged(1767744000000, 3001, 3501)", plan,
            sizeof(plan));
    assert_non_null(strstr(plan, "Subplans Removed: "));
    assert_non_null(strstr(plan, "events_part_3001"));
    assert_int_equal(ermes__db_exec(db, "DEALLOCATE ranged"), 0);
    assert_int_equal(ermes__db_exec(db, "RESET plan_cache_mode"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_without_the_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_fewer_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_width, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_reads_one_partition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
