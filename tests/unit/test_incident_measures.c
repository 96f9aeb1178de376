/* Tests of the measures each incident keeps for the metrics (src/incidents/measure.c,
 * migration 49): for a few thousand random incidents (random milestones, pauses, reopened
 * ones, milestones before the creation, policies in calendar time and in business hours with
 * holidays), the columns equal what the incident's milestones give by the computation the
 * metrics made before (each duration, each SLA target's state at several moments from the
 * deadlines of its policy), whether measured by the first-run backfill or by the function
 * every change calls; the metrics from the columns equal those computed here from the
 * incidents; every path that changes an incident (create, status changes with a pause and a
 * reopen, comment, link, merge) keeps them; a policy's or calendar's change has them measured
 * again. The business-hour durations (migration 63) equal a day-by-day count written here
 * from the constituent's calendar and the pauses, and one incident opened on a Friday holiday
 * at 17:00 and acknowledged on Monday at 10:00 (with and without a pause) measures the hours
 * counted by hand, in its columns and in the metrics on basis "business". Run on SQLite and,
 * as unit_pg, on PostgreSQL. */
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

#include "access/access.h"
#include "core/time.h"
#include "incidents/incidents.h"
#include "model/org.h"
#include "store/store.h"
#include "store/schema.h"
#include "store/store_int.h"
#include "test_db.h"

#define ORGS 4
#define DAY_MS ((int64_t)86400 * 1000)
#define HOUR_MS ((int64_t)3600 * 1000)

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t org[ORGS];
    ermes__viewer_t admin;
} fixture_t;

static uint64_t seed = 0x243f6a8885a308d3ull;

/* xorshift64*: a fixed seed, so that a failure comes back. */
static uint64_t rnd(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545f4914f6cdd1dull;
}

static int64_t rnd_in(int64_t n)
{
    return (int64_t)(rnd() % (uint64_t)n);
}

static int64_t add_org(ermes__store_t *st, const char *short_name)
{
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    assert_non_null(org);
    org->short_name = ermes__org_strdup(org, short_name);
    org->name = ermes__org_strdup(org, short_name);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_insert(st, org, &d), 0);
    id = org->meta.id;
    ermes__org_free(org);
    return id;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};
    char name[16];

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-measures-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    for (int i = 0; i < ORGS; i++) {
        snprintf(name, sizeof(name), "ORG%d", i);
        f->org[i] = add_org(f->st, name);
    }
    f->admin.role = ERMES_ROLE_ADMIN;
    f->admin.org_id = f->org[0];
    f->admin.user_name = "tester";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    DIR *d;
    struct dirent *e;
    char path[512];

    ermes__store_close(f->st);
    if ((d = opendir(f->dir))) {
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
                remove(path);
            }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* The columns of incident id as stored; 0 when the row is not measured. */
static int stored(ermes__store_t *st, int64_t id, ermes__incident_measures_t *m)
{
    ermes__db_stmt_t *s;
    int measured;

    memset(m, 0, sizeof(*m));
    assert_int_equal(ermes__db_prepare(ermes__db_conn(st),
                                       "SELECT ack_ms, triage_ms, notify_ms, contain_ms,"
                                       " resolve_ms, sla_response, sla_containment,"
                                       " sla_resolution, measured, ack_bms, triage_bms,"
                                       " notify_bms, contain_bms, resolve_bms"
                                       " FROM incidents WHERE id = ?1",
                                       &s),
                     0);
    ermes__db_bind_int(s, 1, id);
    assert_int_equal(ermes__db_step(s), 1);
    for (int i = 0; i < ERMES_INCIDENT_METRICS; i++)
        if ((m->has[i] = !ermes__db_col_null(s, i)))
            m->ms[i] = ermes__db_col_int(s, i);
    for (int i = 0; i < ERMES_INCIDENT_SLA_TARGETS; i++)
        if ((m->sla_applies[i] = !ermes__db_col_null(s, ERMES_INCIDENT_METRICS + i)))
            m->sla[i] = ermes__db_col_int(s, ERMES_INCIDENT_METRICS + i);
    measured = (int)ermes__db_col_int(s, 8);
    for (int i = 0; i < ERMES_INCIDENT_METRICS; i++) {
        /* Both durations of a milestone are there, or neither. */
        assert_int_equal(!ermes__db_col_null(s, 9 + i), m->has[i]);
        m->bms[i] = m->has[i] ? ermes__db_col_int(s, 9 + i) : 0;
    }
    ermes__db_done(s);
    return measured;
}

/* The business-hour calendar of a constituent as the store keeps it, read here. */
struct ref_cal {
    unsigned days;
    int64_t start, end, off; /* ms of the local day; offset ms */
    int64_t hol[64];
    int nhol;
};

static void ref_cal_of(fixture_t *f, int64_t org_id, struct ref_cal *c)
{
    ermes__calendar_row_t *row = calloc(1, sizeof(*row));
    const char *p;

    assert_non_null(row);
    memset(c, 0, sizeof(*c));
    assert_int_equal(ermes__store_calendar_get(f->st, org_id, row), 0);
    c->days = (unsigned)row->days;
    c->start = row->start_minute * 60000;
    c->end = row->end_minute * 60000;
    c->off = row->utc_offset_minutes * 60000;
    for (p = row->holidays; *p && c->nhol < 64;) {
        unsigned y, mo, d;
        assert_int_equal(sscanf(p, "%4u-%2u-%2u", &y, &mo, &d), 3);
        c->hol[c->nhol++] = ermes__days_from_civil(y, mo, d);
        p += strcspn(p, ",");
        p += *p == ',';
    }
    free(row);
}

/* The working time in [from, to) by c, pauses ("a-b,a-", an open one running on) left out:
 * a day at a time, each day's window less the part of it the pauses cover. */
static int64_t ref_business(const struct ref_cal *c, const char *pauses, int64_t from, int64_t to)
{
    int64_t pa[64], pb[64], total = 0;
    int np = 0;
    const char *p = pauses;

    while (*p && np < 64) {
        char *end;
        pa[np] = strtoll(p, &end, 10);
        assert_true(*end == '-');
        p = end + 1;
        pb[np] = (*p >= '0' && *p <= '9') ? strtoll(p, &end, 10) : INT64_MAX;
        if (pb[np] != INT64_MAX)
            p = end;
        np++;
        p += *p == ',';
    }
    for (int64_t day = (from + c->off) / DAY_MS - 1; day <= (to + c->off) / DAY_MS + 1; day++) {
        int64_t wd = ((day + 3) % 7 + 7) % 7, a, b, covered = 0, cur;
        int hol = 0;
        for (int i = 0; i < c->nhol; i++)
            hol |= c->hol[i] == day;
        if (hol || !(c->days & (1u << wd)))
            continue;
        a = day * DAY_MS + c->start - c->off;
        b = day * DAY_MS + c->end - c->off;
        if (a < from)
            a = from;
        if (b > to)
            b = to;
        if (b <= a)
            continue;
        /* The union of the pauses within [a, b): swept from a, the furthest end reached. */
        cur = a;
        for (;;) {
            int64_t best = -1;
            for (int i = 0; i < np; i++)
                if (pa[i] <= cur && pb[i] > cur && (best < 0 || pb[i] > best))
                    best = pb[i];
            if (best >= 0) {
                covered += (best < b ? best : b) - cur;
                cur = best;
                if (cur >= b)
                    break;
                continue;
            }
            /* Not in a pause at cur: on to the next start within [cur, b). */
            int64_t next = b;
            for (int i = 0; i < np; i++)
                if (pa[i] > cur && pa[i] < next)
                    next = pa[i];
            if (next >= b)
                break;
            cur = next;
        }
        total += (b - a) - covered;
    }
    return total;
}

/* What the metrics computed from the incident itself before its measures were kept: each
 * milestone less the creation (none before it), each SLA target's state at now from the
 * deadlines of the policy that applies now. The stored columns must give the same. */
static void check_incident(fixture_t *f, int64_t id, const int64_t *nows, size_t nnows)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    ermes__incident_measures_t m;

    assert_non_null(inc);
    assert_int_equal(ermes__store_incident_get(f->st, NULL, id, inc), 0);
    assert_int_equal(stored(f->st, id, &m), 1);
    const int64_t at[5] = {inc->acknowledged_at, inc->triaged_at, inc->notified_at,
                           inc->contained_at, inc->resolved_at};
    for (int i = 0; i < ERMES_INCIDENT_METRICS; i++) {
        int want = at[i] && at[i] >= inc->created_at;
        if (m.has[i] != want || (want && m.ms[i] != at[i] - inc->created_at))
            fail_msg("incident %lld metric %d: has %d ms %lld, the milestones give %d %lld",
                     (long long)id, i, m.has[i], (long long)m.ms[i], want,
                     (long long)(at[i] - inc->created_at));
    }
    {
        struct ref_cal c;
        ref_cal_of(f, inc->org_id, &c);
        for (int i = 0; i < ERMES_INCIDENT_METRICS; i++) {
            int64_t want;
            if (!m.has[i])
                continue;
            want = ref_business(&c, inc->pauses, inc->created_at, at[i]);
            if (m.bms[i] != want)
                fail_msg("incident %lld metric %d: %lld business ms kept, the calendar and "
                         "pauses give %lld (created %lld, reached %lld, pauses \"%s\")",
                         (long long)id, i, (long long)m.bms[i], (long long)want,
                         (long long)inc->created_at, (long long)at[i], inc->pauses);
        }
    }
    assert_int_equal(ermes__incident_deadlines(f->st, inc, dl), 0);
    for (int i = 0; i < ERMES_INCIDENT_SLA_TARGETS; i++) {
        if (m.sla_applies[i] != dl[i].applies)
            fail_msg("incident %lld target %d: applies %d, the policy says %d", (long long)id, i,
                     m.sla_applies[i], dl[i].applies);
        for (size_t k = 0; k < nnows && dl[i].applies; k++) {
            ermes__deadline_state_t want = ermes__deadline_state(dl[i].due, dl[i].done, nows[k], 0),
                                    got = ermes__incident_sla_state(m.sla[i], nows[k]);
            /* The metrics count met, missed and late; pending, due soon and paused alike
             * count nowhere. */
            if (want == ERMES_DEADLINE_SOON || want == ERMES_DEADLINE_PAUSED)
                want = ERMES_DEADLINE_PENDING;
            if (got == ERMES_DEADLINE_SOON || got == ERMES_DEADLINE_PAUSED)
                got = ERMES_DEADLINE_PENDING;
            if (want != got)
                fail_msg("incident %lld target %d at %lld: kept %lld is %s, the clocks say %s "
                         "(due %lld, done %lld)",
                         (long long)id, i, (long long)nows[k], (long long)m.sla[i],
                         ermes__deadline_state_name(got), ermes__deadline_state_name(want),
                         (long long)dl[i].due, (long long)dl[i].done);
        }
    }
    free(inc);
}

static const char *const severities[] = {"low", "medium", "high", "critical"};
static const char *const classes[] = {"fraud", "malicious-code", "availability", ""};

/* Random incidents straight into the store (as an import or a database of an older version
 * holds them: not measured), with random milestones, pauses (some still running) and reopens. */
static void fill_random(fixture_t *f, int64_t *ids, int n, int64_t now)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));

    assert_non_null(inc);
    assert_int_equal(ermes__store_begin(f->st), 0);
    for (int k = 0; k < n; k++) {
        int64_t t;
        memset(inc, 0, sizeof(*inc));
        snprintf(inc->title, sizeof(inc->title), "random %d", k);
        snprintf(inc->severity, sizeof(inc->severity), "%s", severities[rnd_in(4)]);
        snprintf(inc->rsit_class, sizeof(inc->rsit_class), "%s", classes[rnd_in(4)]);
        snprintf(inc->pap, sizeof(inc->pap), "AMBER");
        inc->tlp = ERMES_TLP_AMBER;
        inc->org_id = rnd_in(5) ? f->org[rnd_in(ORGS)] : 0;
        inc->owner_org_id = f->org[0];
        inc->created_at = now - rnd_in(400 * DAY_MS);
        t = inc->created_at;
        /* Each milestone after the one before it, some within minutes, some days later; one
         * in twenty before the creation (an imported incident's). */
        int64_t *ms[5] = {&inc->acknowledged_at, &inc->triaged_at, &inc->notified_at,
                          &inc->contained_at, &inc->resolved_at};
        int reached = (int)rnd_in(6);
        for (int i = 0; i < reached; i++) {
            t += rnd_in(2) ? rnd_in(4 * HOUR_MS) : rnd_in(20 * DAY_MS);
            if (t > now)
                break;
            *ms[i] = rnd_in(20) ? t : inc->created_at - 1 - rnd_in(HOUR_MS);
        }
        if (!rnd_in(4))
            inc->notified_at = 0;
        snprintf(inc->status, sizeof(inc->status), "%s",
                 inc->resolved_at    ? "resolved"
                 : inc->contained_at ? "contained"
                                     : "in_progress");
        /* Reopened: resolved once, no longer. */
        if (inc->resolved_at && !rnd_in(6)) {
            inc->resolved_at = 0;
            snprintf(inc->status, sizeof(inc->status), "in_progress");
        }
        /* Pauses waiting on the constituent, the last one sometimes still running. */
        int np = (int)rnd_in(4);
        size_t len = 0;
        int64_t p = inc->created_at;
        for (int i = 0; i < np && len + 48 < sizeof(inc->pauses); i++) {
            int64_t a = p + rnd_in(5 * DAY_MS), b = a + rnd_in(3 * DAY_MS);
            if (i == np - 1 && !rnd_in(3)) {
                len += (size_t)snprintf(inc->pauses + len, sizeof(inc->pauses) - len, "%s%lld-",
                                        len ? "," : "", (long long)a);
                snprintf(inc->status, sizeof(inc->status), "waiting_on_constituent");
            } else {
                len += (size_t)snprintf(inc->pauses + len, sizeof(inc->pauses) - len, "%s%lld-%lld",
                                        len ? "," : "", (long long)a, (long long)b);
            }
            p = b;
        }
        assert_int_equal(ermes__store_incident_insert(f->st, inc), 0);
        if (inc->org_id)
            assert_int_equal(ermes__store_incident_org_add(f->st, inc->id, inc->org_id, NULL), 0);
        ids[k] = inc->id;
    }
    assert_int_equal(ermes__store_commit(f->st), 0);
    free(inc);
}

/* Policies in calendar time and in business hours, with a constituent's own calendar and its
 * holidays; "critical" for ORG3 in business hours of another time zone. */
static void policies(fixture_t *f)
{
    ermes__sla_policy_t p;
    ermes__calendar_row_t *cal = calloc(1, sizeof(*cal));

    assert_non_null(cal);
    p = (ermes__sla_policy_t){60, 8 * 60, 5 * 24 * 60, 0};
    assert_int_equal(ermes__store_sla_policy_put(f->st, "low", 0, &p), 0);
    p = (ermes__sla_policy_t){30, 4 * 60, 3 * 8 * 60, 1};
    assert_int_equal(ermes__store_sla_policy_put(f->st, "high", 0, &p), 0);
    p = (ermes__sla_policy_t){15, 2 * 60, 40 * 8 * 60, 1};
    assert_int_equal(ermes__store_sla_policy_put(f->st, "critical", f->org[3], &p), 0);
    assert_int_equal(ermes__store_calendar_get(f->st, f->org[3], cal), 0);
    cal->days = 0x1f;
    cal->start_minute = 8 * 60;
    cal->end_minute = 18 * 60;
    cal->utc_offset_minutes = 120;
    snprintf(cal->holidays, sizeof(cal->holidays), "2025-12-25,2026-01-01,2026-05-01,2026-12-24");
    assert_int_equal(ermes__store_calendar_put(f->st, f->org[3], cal), 0);
    /* ORG1 works Tuesday to Saturday west of UTC, under policies in calendar time: its
     * business-hour durations count in its calendar all the same. */
    cal->days = 0x3e;
    cal->start_minute = 7 * 60 + 30;
    cal->end_minute = 16 * 60;
    cal->utc_offset_minutes = -300;
    snprintf(cal->holidays, sizeof(cal->holidays), "2026-07-04,2026-11-26,2025-11-27");
    assert_int_equal(ermes__store_calendar_put(f->st, f->org[1], cal), 0);
    free(cal);
}

#define RANDOM_N 3000

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The metrics of one constituent over every incident, computed here from the incidents as the
 * metrics did before the measures were kept, against the answer. */
static void check_metrics(fixture_t *f, const int64_t *ids, int n, int org, int64_t now,
                          const json_t *groups, int business)
{
    struct ref_cal rc;
    static const char *const names[5] = {"time_to_acknowledge", "time_to_triage", "time_to_notify",
                                         "time_to_contain", "time_to_resolve"};
    static const char *const targets[3] = {"first_response", "containment", "resolution"};
    int64_t *v[5], nv[5] = {0}, count = 0, st[3][3] = {{0}};
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    char name[16];
    const json_t *g = NULL, *x;
    size_t i;

    snprintf(name, sizeof(name), "ORG%d", org);
    json_array_foreach(groups, i, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "constituent")), name) == 0)
            g = x;
    }
    assert_non_null(g);
    assert_non_null(inc);
    for (int m = 0; m < 5; m++)
        assert_non_null(v[m] = malloc((size_t)n * sizeof(int64_t)));
    for (int k = 0; k < n; k++) {
        assert_int_equal(ermes__store_incident_get(f->st, NULL, ids[k], inc), 0);
        if (inc->org_id != f->org[org])
            continue;
        count++;
        const int64_t at[5] = {inc->acknowledged_at, inc->triaged_at, inc->notified_at,
                               inc->contained_at, inc->resolved_at};
        if (business)
            ref_cal_of(f, inc->org_id, &rc);
        for (int m = 0; m < 5; m++)
            if (at[m] && at[m] >= inc->created_at)
                v[m][nv[m]++] = business ? ref_business(&rc, inc->pauses, inc->created_at, at[m])
                                         : at[m] - inc->created_at;
        assert_int_equal(ermes__incident_deadlines(f->st, inc, dl), 0);
        for (int t = 0; t < 3; t++) {
            ermes__deadline_state_t s;
            if (!dl[t].applies)
                continue;
            s = ermes__deadline_state(dl[t].due, dl[t].done, now, 0);
            st[t][0] += s == ERMES_DEADLINE_MET;
            st[t][1] += s == ERMES_DEADLINE_MISSED;
            st[t][2] += s == ERMES_DEADLINE_LATE;
        }
    }
    assert_int_equal(json_integer_value(json_object_get(g, "incidents")), count);
    for (int m = 0; m < 5; m++) {
        const json_t *j = json_object_get(g, names[m]);
        assert_int_equal(json_integer_value(json_object_get(j, "count")), nv[m]);
        qsort(v[m], (size_t)nv[m], sizeof(int64_t), cmp64);
        if (nv[m]) {
            size_t r50 = ((size_t)nv[m] * 50 + 99) / 100, r90 = ((size_t)nv[m] * 90 + 99) / 100;
            assert_int_equal(json_integer_value(json_object_get(j, "median_seconds")),
                             (v[m][r50 - 1] + 500) / 1000);
            assert_int_equal(json_integer_value(json_object_get(j, "p90_seconds")),
                             (v[m][r90 - 1] + 500) / 1000);
        }
        free(v[m]);
    }
    for (int t = 0; t < 3; t++) {
        const json_t *j = json_object_get(json_object_get(g, "sla"), targets[t]);
        assert_int_equal(json_integer_value(json_object_get(j, "met")), st[t][0]);
        assert_int_equal(json_integer_value(json_object_get(j, "missed")), st[t][1]);
        assert_int_equal(json_integer_value(json_object_get(j, "late")), st[t][2]);
    }
    free(inc);
}

static void random_incidents_match_the_clocks(void **state)
{
    fixture_t *f = *state;
    int64_t *ids = malloc(RANDOM_N * sizeof(*ids)), now = ermes__time_now_ms(), done = 0;
    const int64_t nows[4] = {now, now - 100 * DAY_MS, now - 300 * DAY_MS, now + 30 * DAY_MS};
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes__incident_measures_t m;
    ermes_diag_t d;
    json_t *out = NULL;

    assert_non_null(ids);
    assert_non_null(inc);
    policies(f);
    fill_random(f, ids, RANDOM_N, now);
    /* Half measured by the function every change calls, the rest by the first run's
     * backfill. */
    assert_int_equal(ermes__store_begin(f->st), 0);
    for (int k = 0; k < RANDOM_N; k += 2) {
        assert_int_equal(ermes__store_incident_get(f->st, NULL, ids[k], inc), 0);
        assert_int_equal(ermes__incident_measure(f->st, inc), 0);
    }
    assert_int_equal(ermes__store_commit(f->st), 0);
    assert_int_equal(stored(f->st, ids[1], &m), 0);
    /* A bounded run (the daemon's) measures that many, the next the rest. */
    assert_int_equal(ermes__incident_measure_pending(f->st, 1200, &done), 0);
    assert_int_equal(done, 1200);
    assert_int_equal(ermes__incident_measure_pending(f->st, 0, &done), 0);
    assert_int_equal(done, RANDOM_N / 2 - 1200);
    for (int k = 0; k < RANDOM_N; k++)
        check_incident(f, ids[k], nows, 4);
    /* The metrics from the columns are those of the incidents' clocks. */
    ermes_diag_clear(&d);
    assert_int_equal(
        ermes__incident_metrics(f->st, &f->admin, 0, 0, "all", "constituent", now, &out, NULL, &d),
        0);
    for (int o = 0; o < ORGS; o++)
        check_metrics(f, ids, RANDOM_N, o, now, json_object_get(out, "groups"), 0);
    json_decref(out);
    /* The same in business hours. */
    assert_int_equal(ermes__incident_metrics_on(f->st, &f->admin, 0, 0, "all", "constituent",
                                                "business", now, &out, NULL, &d),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "basis")), "business");
    for (int o = 0; o < ORGS; o++)
        check_metrics(f, ids, RANDOM_N, o, now, json_object_get(out, "groups"), 1);
    json_decref(out);
    /* A policy changed: the incidents it concerns are measured again, by the next metrics. */
    ermes__sla_policy_t p = {5, 60, 8 * 60, 1};
    assert_int_equal(ermes__store_sla_policy_put(f->st, "low", 0, &p), 0);
    ermes__calendar_row_t *cal = calloc(1, sizeof(*cal));
    assert_non_null(cal);
    assert_int_equal(ermes__store_calendar_get(f->st, f->org[3], cal), 0);
    snprintf(cal->holidays, sizeof(cal->holidays), "2026-03-02,2026-03-03");
    assert_int_equal(ermes__store_calendar_put(f->st, f->org[3], cal), 0);
    free(cal);
    int unmeasured = 0;
    for (int k = 0; k < RANDOM_N; k++)
        unmeasured += !stored(f->st, ids[k], &m);
    assert_true(unmeasured > RANDOM_N / 5);
    assert_int_equal(
        ermes__incident_metrics(f->st, &f->admin, 0, 0, "all", "constituent", now, &out, NULL, &d),
        0);
    for (int k = 0; k < RANDOM_N; k++)
        check_incident(f, ids[k], nows, 4);
    for (int o = 0; o < ORGS; o++)
        check_metrics(f, ids, RANDOM_N, o, now, json_object_get(out, "groups"), 0);
    json_decref(out);
    free(inc);
    free(ids);
}

static int64_t create(fixture_t *f, const char *json)
{
    json_error_t je;
    json_t *body = json_loads(json, 0, &je);
    ermes_diag_t d;
    int64_t id = 0;

    assert_non_null(body);
    ermes_diag_clear(&d);
    if (ermes__incident_create(f->st, &f->admin, body, &id, &d))
        fail_msg("create %s: %s (%s)", json, d.reason, d.field);
    json_decref(body);
    return id;
}

static void update(fixture_t *f, int64_t id, const char *json)
{
    json_error_t je;
    json_t *body = json_loads(json, 0, &je);
    ermes_diag_t d;

    assert_non_null(body);
    ermes_diag_clear(&d);
    if (ermes__incident_update(f->st, &f->admin, id, body, &d))
        fail_msg("update %s: %s (%s)", json, d.reason, d.field);
    json_decref(body);
}

/* Each path that appends a timeline entry reaching a milestone keeps the measures. */
static void every_change_keeps_the_measures(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms();
    const int64_t nows[3] = {now, now + 3 * DAY_MS, now + 400 * DAY_MS};
    ermes_diag_t d;
    ermes__incident_t *inc = malloc(sizeof(*inc));
    int added = 0;

    assert_non_null(inc);
    policies(f);
    int64_t a =
        create(f, "{\"title\": \"a\", \"severity\": \"high\", \"constituents\": [\"ORG1\"]}");
    int64_t b = create(f, "{\"title\": \"b\", \"severity\": \"low\", \"constituents\": [\"ORG2\"],"
                          " \"status\": \"triage\"}");
    check_incident(f, a, nows, 3);
    check_incident(f, b, nows, 3);
    update(f, a, "{\"status\": \"in_progress\"}");
    check_incident(f, a, nows, 3);
    update(f, a, "{\"status\": \"waiting_on_constituent\"}");
    check_incident(f, a, nows, 3);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__incident_answered(f->st, a, f->org[1], "someone@org1.example"), 0);
    check_incident(f, a, nows, 3);
    update(f, a, "{\"status\": \"contained\"}");
    check_incident(f, a, nows, 3);
    update(f, a, "{\"status\": \"resolved\"}");
    check_incident(f, a, nows, 3);
    /* Reopened: the resolution is no longer reached. */
    update(f, a, "{\"status\": \"in_progress\"}");
    assert_int_equal(ermes__store_incident_get(f->st, NULL, a, inc), 0);
    check_incident(f, a, nows, 3);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__incident_comment(f->st, &f->admin, b, "we are on it", 1, &d), 0);
    check_incident(f, b, nows, 3);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__incident_link(f->st, &f->admin, b, "incident", a, &added, &d), 0);
    check_incident(f, b, nows, 3);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__incident_merge(f->st, &f->admin, b, a, &d), 0);
    check_incident(f, a, nows, 3);
    check_incident(f, b, nows, 3);
    update(f, a, "{\"status\": \"closed\"}");
    check_incident(f, a, nows, 3);
    free(inc);
}

/* An incident of org stored with the given moments (a controlled clock: none is the wall
 * clock's) and measured by the function every change calls, in a transaction. */
static int64_t stored_incident(fixture_t *f, int64_t org, int64_t created, int64_t ack,
                               int64_t resolved, const char *pauses)
{
    ermes__incident_t *inc = calloc(1, sizeof(*inc));
    int64_t id;

    assert_non_null(inc);
    snprintf(inc->title, sizeof(inc->title), "by hand");
    snprintf(inc->severity, sizeof(inc->severity), "medium");
    snprintf(inc->pap, sizeof(inc->pap), "AMBER");
    snprintf(inc->status, sizeof(inc->status), "%s", resolved ? "resolved" : "in_progress");
    snprintf(inc->pauses, sizeof(inc->pauses), "%s", pauses);
    inc->tlp = ERMES_TLP_AMBER;
    inc->org_id = org;
    inc->owner_org_id = f->org[0];
    inc->created_at = created;
    inc->acknowledged_at = ack;
    inc->resolved_at = resolved;
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__store_incident_insert(f->st, inc), 0);
    assert_int_equal(ermes__store_incident_org_add(f->st, inc->id, org, NULL), 0);
    assert_int_equal(ermes__incident_measure(f->st, inc), 0);
    assert_int_equal(ermes__store_commit(f->st), 0);
    id = inc->id;
    free(inc);
    return id;
}

/* Business hours counted by hand. ORG2 and ORG1 work Monday to Friday 08:00-18:00 at UTC+1;
 * Friday 2026-12-25 is a holiday of ORG2's, not of ORG1's. Opened Friday 17:00 local,
 * acknowledged Monday 2026-12-28 10:00 local (65 wall-clock hours), resolved Tuesday 12:00:
 * - ORG2: Friday a holiday, the weekend off, Monday 08:00-10:00: 2 h to acknowledge; to
 *   resolve, Monday's 10 h and Tuesday 08:00-12:00: 14 h;
 * - ORG1: Friday 17:00-18:00 counts: 3 h and 15 h;
 * - ORG2 waiting on the constituent Monday 08:30-09:15: 1 h 15 min and 13 h 15 min. */
static void business_hours_by_hand(void **state)
{
    fixture_t *f = *state;
    const int64_t fri = ermes__days_from_civil(2026, 12, 25) * DAY_MS,
                  mon = ermes__days_from_civil(2026, 12, 28) * DAY_MS, tue = mon + DAY_MS;
    /* Local times at UTC+1: UTC is an hour earlier. */
    const int64_t created = fri + 16 * HOUR_MS, ack = mon + 9 * HOUR_MS,
                  resolved = tue + 11 * HOUR_MS, min = 60 * 1000;
    ermes__calendar_row_t *cal = calloc(1, sizeof(*cal));
    ermes__incident_measures_t m;
    char pause[64];
    ermes_diag_t d;
    json_t *out = NULL;
    size_t i;
    const json_t *g;

    assert_non_null(cal);
    assert_int_equal(ermes__store_calendar_get(f->st, f->org[2], cal), 0);
    cal->days = 0x1f;
    cal->start_minute = 8 * 60;
    cal->end_minute = 18 * 60;
    cal->utc_offset_minutes = 60;
    cal->holidays[0] = '\0';
    assert_int_equal(ermes__store_calendar_put(f->st, f->org[1], cal), 0);
    snprintf(cal->holidays, sizeof(cal->holidays), "2026-12-24,2026-12-25,2027-01-01");
    assert_int_equal(ermes__store_calendar_put(f->st, f->org[2], cal), 0);
    free(cal);

    int64_t a = stored_incident(f, f->org[2], created, ack, resolved, "");
    int64_t b = stored_incident(f, f->org[1], created, ack, resolved, "");
    snprintf(pause, sizeof(pause), "%lld-%lld", (long long)(mon + 7 * HOUR_MS + 30 * min),
             (long long)(mon + 8 * HOUR_MS + 15 * min));
    int64_t c = stored_incident(f, f->org[2], created, ack, resolved, pause);

    assert_int_equal(stored(f->st, a, &m), 1);
    assert_int_equal(m.ms[0], 65 * HOUR_MS);
    assert_int_equal(m.bms[0], 2 * HOUR_MS);
    assert_int_equal(m.bms[4], 14 * HOUR_MS);
    assert_int_equal(m.has[1], 0);
    assert_int_equal(stored(f->st, b, &m), 1);
    assert_int_equal(m.bms[0], 3 * HOUR_MS);
    assert_int_equal(m.bms[4], 15 * HOUR_MS);
    assert_int_equal(stored(f->st, c, &m), 1);
    assert_int_equal(m.ms[0], 65 * HOUR_MS);
    assert_int_equal(m.bms[0], HOUR_MS + 15 * min);
    assert_int_equal(m.bms[4], 13 * HOUR_MS + 15 * min);

    /* The metrics on both bases: ORG2's median is the lower of its two (ranks rounded up),
     * its 90th percentile the higher. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__incident_metrics_on(f->st, &f->admin, 0, 0, "all", "constituent",
                                                "business", resolved, &out, NULL, &d),
                     0);
    json_array_foreach(json_object_get(out, "groups"), i, g)
    {
        const char *name = json_string_value(json_object_get(g, "constituent"));
        const json_t *ta = json_object_get(g, "time_to_acknowledge"),
                     *tr = json_object_get(g, "time_to_resolve");
        if (strcmp(name, "ORG2") == 0) {
            assert_int_equal(json_integer_value(json_object_get(ta, "count")), 2);
            assert_int_equal(json_integer_value(json_object_get(ta, "median_seconds")), 4500);
            assert_int_equal(json_integer_value(json_object_get(ta, "p90_seconds")), 7200);
            assert_int_equal(json_integer_value(json_object_get(tr, "median_seconds")), 47700);
            assert_int_equal(json_integer_value(json_object_get(tr, "p90_seconds")), 50400);
        } else {
            assert_string_equal(name, "ORG1");
            assert_int_equal(json_integer_value(json_object_get(ta, "median_seconds")), 10800);
            assert_int_equal(json_integer_value(json_object_get(tr, "median_seconds")), 54000);
        }
    }
    assert_int_equal(json_array_size(json_object_get(out, "groups")), 2);
    json_decref(out);
    assert_int_equal(ermes__incident_metrics_on(f->st, &f->admin, 0, 0, "all", "none", "wall",
                                                resolved, &out, NULL, &d),
                     0);
    g = json_array_get(json_object_get(out, "groups"), 0);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(g, "time_to_acknowledge"), "p90_seconds")),
                     65 * 3600);
    json_decref(out);
    /* Another basis is refused, naming it. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__incident_metrics_on(f->st, &f->admin, 0, 0, "all", "none", "cpu",
                                                resolved, &out, NULL, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "basis");

    /* ORG2's calendar changes (the Friday no longer a holiday): measured again before the
     * next metrics, 3 h. */
    cal = calloc(1, sizeof(*cal));
    assert_non_null(cal);
    assert_int_equal(ermes__store_calendar_get(f->st, f->org[2], cal), 0);
    snprintf(cal->holidays, sizeof(cal->holidays), "2027-01-01");
    assert_int_equal(ermes__store_calendar_put(f->st, f->org[2], cal), 0);
    free(cal);
    assert_int_equal(ermes__incident_measure_pending(f->st, 0, NULL), 0);
    assert_int_equal(stored(f->st, a, &m), 1);
    assert_int_equal(m.bms[0], 3 * HOUR_MS);
    assert_int_equal(stored(f->st, c, &m), 1);
    assert_int_equal(m.bms[0], 2 * HOUR_MS + 15 * min);
}

/* Rows measured before migration 63 (their business durations NULL) are measured again when
 * it runs, and by the next metrics hold them. */
static void migration_back_fills(void **state)
{
    fixture_t *f = *state;
    const int64_t mon = ermes__days_from_civil(2026, 11, 2) * DAY_MS;
    ermes__incident_measures_t m;
    ermes__db_stmt_t *s;
    int64_t id = stored_incident(f, f->org[1], mon + 9 * HOUR_MS, mon + 11 * HOUR_MS, 0, "");
    int64_t none = stored_incident(f, f->org[1], mon + 9 * HOUR_MS, 0, 0, "");

    /* As a database of before the migration holds it. */
    assert_int_equal(ermes__db_prepare(ermes__db_conn(f->st),
                                       "UPDATE incidents SET ack_bms = NULL, triage_bms = NULL,"
                                       " notify_bms = NULL, contain_bms = NULL,"
                                       " resolve_bms = NULL",
                                       &s),
                     0);
    assert_true(ermes__db_step(s) >= 0);
    ermes__db_done(s);
    /* The migration, run again as a rolled-back schema would. */
    assert_int_equal(ermes__db_exec(ermes__db_conn(f->st),
                                    ermes__schema_migration(63, getenv("ERMES_TEST_DATABASE_URL")
                                                                    ? ERMES__SCHEMA_POSTGRESQL
                                                                    : ERMES__SCHEMA_SQLITE)),
                     0);
    assert_int_equal(stored(f->st, none, &m), 1); /* nothing reached: nothing to back-fill */
    assert_int_equal(ermes__incident_measure_pending(f->st, 0, NULL), 0);
    assert_int_equal(stored(f->st, id, &m), 1);
    assert_int_equal(m.bms[0], 2 * HOUR_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(random_incidents_match_the_clocks, setup, teardown),
        cmocka_unit_test_setup_teardown(every_change_keeps_the_measures, setup, teardown),
        cmocka_unit_test_setup_teardown(business_hours_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(migration_back_fills, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
