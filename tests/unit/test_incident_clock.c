/* Tests of the incident clocks (src/incidents/clock.c) with a clock the test controls: every
 * moment is a parameter, never the wall clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/time.h"
#include "incidents/clock.h"

#define H ERMES_CLOCK_HOUR_MS
#define M ((int64_t)60 * 1000)

static int64_t at(const char *s)
{
    ermes_diag_t d;
    int64_t ms = 0;

    if (ermes__time_parse(s, strlen(s), &ms, &d))
        fail_msg("bad time %s", s);
    return ms;
}

/* Monday to Friday, 09:00 to 17:00 UTC. */
static void office(ermes__calendar_t *c)
{
    ermes__calendar_always(c);
    c->days = 0x1f;
    c->start_minute = 9 * 60;
    c->end_minute = 17 * 60;
}

static void business_hours_across_a_weekend(void **state)
{
    ermes__calendar_t c;
    (void)state;

    office(&c);
    /* Friday 2026-12-04 16:00: one hour left that day, then Monday 09:00 (7 hours more). */
    assert_int_equal(ermes__clock_due(&c, at("2026-12-04T16:00:00Z"), 8 * H, NULL, 0),
                     at("2026-12-07T16:00:00Z"));
    assert_int_equal(
        ermes__clock_elapsed(&c, at("2026-12-04T16:00:00Z"), at("2026-12-07T16:00:00Z"), NULL, 0),
        8 * H);
    /* A report on Saturday starts counting on Monday morning. */
    assert_int_equal(ermes__clock_due(&c, at("2026-12-05T11:00:00Z"), 30 * M, NULL, 0),
                     at("2026-12-07T09:30:00Z"));
    /* Before opening time on a weekday: from 09:00. */
    assert_int_equal(ermes__clock_due(&c, at("2026-12-08T07:00:00Z"), 1 * H, NULL, 0),
                     at("2026-12-08T10:00:00Z"));
    /* Calendar time counts the weekend. */
    ermes__calendar_always(&c);
    assert_int_equal(ermes__clock_due(&c, at("2026-12-04T16:00:00Z"), 8 * H, NULL, 0),
                     at("2026-12-05T00:00:00Z"));
}

static void business_hours_across_a_holiday(void **state)
{
    ermes__calendar_t c;
    ermes_diag_t d;
    (void)state;

    office(&c);
    assert_int_equal(ermes__calendar_holidays(&c, "2026-12-24, 2026-12-25", &d), 0);
    assert_int_equal(c.nholidays, 2);
    /* Wednesday 23 December 15:00: two hours that day, Thursday and Friday are holidays, the
     * weekend follows: the rest (6 hours) on Monday 28 December. */
    assert_int_equal(ermes__clock_due(&c, at("2026-12-23T15:00:00Z"), 8 * H, NULL, 0),
                     at("2026-12-28T15:00:00Z"));
    /* A calendar an hour east of UTC: its 09:00 is 08:00 UTC. */
    c.utc_offset_minutes = 60;
    assert_int_equal(ermes__clock_due(&c, at("2026-12-28T07:00:00Z"), 1 * H, NULL, 0),
                     at("2026-12-28T09:00:00Z"));
    assert_int_equal(ermes__calendar_holidays(&c, "2026-02-30", &d), ERMES_EPARSE);
    assert_string_equal(d.field, "holidays");
    c.start_minute = 1000;
    c.end_minute = 900;
    assert_int_equal(ermes__calendar_check(&c, &d), ERMES_EINVAL);
}

static void pauses_while_waiting(void **state)
{
    ermes__calendar_t c;
    ermes__span_t p[2];
    (void)state;

    ermes__calendar_always(&c);
    /* Four hours to contain from 10:00; waiting on the constituent from 11:00 to 13:00. */
    p[0].from = at("2026-12-01T11:00:00Z");
    p[0].to = at("2026-12-01T13:00:00Z");
    assert_int_equal(ermes__clock_due(&c, at("2026-12-01T10:00:00Z"), 4 * H, p, 1),
                     at("2026-12-01T16:00:00Z"));
    assert_int_equal(
        ermes__clock_elapsed(&c, at("2026-12-01T10:00:00Z"), at("2026-12-01T16:00:00Z"), p, 1),
        4 * H);
    /* Still waiting: the clock stands, there is no due time. */
    p[1].from = at("2026-12-01T14:00:00Z");
    p[1].to = ERMES_CLOCK_OPEN;
    assert_int_equal(ermes__clock_due(&c, at("2026-12-01T10:00:00Z"), 4 * H, p, 2), 0);
    /* A deadline reached before the open pause is still known. */
    assert_int_equal(ermes__clock_due(&c, at("2026-12-01T10:00:00Z"), 2 * H, p, 2),
                     at("2026-12-01T14:00:00Z"));
    /* Pauses as the store keeps them. */
    assert_int_equal(ermes__pauses_parse("100-200,300-", p, 2), 2);
    assert_int_equal(p[0].from, 100);
    assert_int_equal(p[0].to, 200);
    assert_int_equal(p[1].from, 300);
    assert_true(p[1].to == ERMES_CLOCK_OPEN);
    /* In business hours, a pause over a night only costs its working part. */
    office(&c);
    p[0].from = at("2026-12-01T16:00:00Z");
    p[0].to = at("2026-12-02T10:00:00Z");
    assert_int_equal(ermes__clock_due(&c, at("2026-12-01T15:00:00Z"), 3 * H, p, 1),
                     at("2026-12-02T12:00:00Z"));
}

static void nis2_deadlines(void **state)
{
    ermes__nis2_due_t n;
    int64_t aware = at("2026-01-30T10:00:00Z");
    (void)state;

    ermes__nis2_deadlines(aware, 0, 0, &n);
    assert_int_equal(n.early_warning, at("2026-01-31T10:00:00Z"));
    assert_int_equal(n.notification, at("2026-02-02T10:00:00Z"));
    /* No notification yet: one month after its deadline. */
    assert_int_equal(n.final_report, at("2026-03-02T10:00:00Z"));
    assert_int_equal(n.feedback, 0);
    /* The early warning came after 5 hours, the notification on 31 January: the final report
     * is due a month later, clamped to the end of February; the CSIRT's feedback 24 h after
     * the early warning. */
    ermes__nis2_deadlines(aware, at("2026-01-30T15:00:00Z"), at("2026-01-31T09:00:00Z"), &n);
    assert_int_equal(n.final_report, at("2026-02-28T09:00:00Z"));
    assert_int_equal(n.feedback, at("2026-01-31T15:00:00Z"));
    /* A leap year keeps 29 February; December rolls into January. */
    assert_int_equal(ermes__clock_add_month(at("2028-01-31T00:00:00Z")),
                     at("2028-02-29T00:00:00Z"));
    assert_int_equal(ermes__clock_add_month(at("2026-12-15T08:00:00Z")),
                     at("2027-01-15T08:00:00Z"));
    ermes__nis2_deadlines(0, 0, 0, &n);
    assert_int_equal(n.early_warning, 0);
}

static void warning_before_a_deadline(void **state)
{
    int64_t due = at("2026-12-01T12:00:00Z");
    (void)state;

    assert_int_equal(ermes__deadline_state(due, 0, at("2026-12-01T09:00:00Z"), H),
                     ERMES_DEADLINE_PENDING);
    assert_int_equal(ermes__deadline_state(due, 0, at("2026-12-01T11:00:00Z"), H),
                     ERMES_DEADLINE_SOON);
    assert_int_equal(ermes__deadline_state(due, 0, at("2026-12-01T12:00:00Z"), H),
                     ERMES_DEADLINE_SOON);
    assert_int_equal(ermes__deadline_state(due, 0, at("2026-12-01T12:00:01Z"), H),
                     ERMES_DEADLINE_LATE);
    assert_int_equal(ermes__deadline_state(due, at("2026-12-01T11:59:00Z"), 0, H),
                     ERMES_DEADLINE_MET);
    assert_int_equal(ermes__deadline_state(due, at("2026-12-01T13:00:00Z"), 0, H),
                     ERMES_DEADLINE_MISSED);
    assert_int_equal(ermes__deadline_state(0, 0, at("2026-12-01T13:00:00Z"), H),
                     ERMES_DEADLINE_PAUSED);
    assert_string_equal(ermes__deadline_state_name(ERMES_DEADLINE_SOON), "due_soon");
}

/* A reference clock a minute at a time, the plainest reading of clock.h: a minute counts
 * when its local day is a working day and no holiday, its local minute lies within the hours
 * and no pause covers it. */
static int minute_works(const ermes__calendar_t *c, int64_t t, const ermes__span_t *p, size_t np)
{
    int64_t local = t + (int64_t)c->utc_offset_minutes * M;
    int64_t day = local >= 0 ? local / (1440 * M) : (local - 1440 * M + 1) / (1440 * M);
    int64_t minute = (local - day * 1440 * M) / M;
    int64_t weekday = ((day + 3) % 7 + 7) % 7;

    if (!(c->days & (1u << weekday)) || minute < c->start_minute || minute >= c->end_minute)
        return 0;
    for (size_t i = 0; i < c->nholidays; i++)
        if (c->holidays[i] == day)
            return 0;
    for (size_t i = 0; i < np; i++)
        if (p[i].from <= t && t < p[i].to)
            return 0;
    return 1;
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

/* The clock skips whole weeks free of pauses and holidays in one step: its answers must be
 * those of the minute-by-minute reference for calendars, holidays and pauses of all kinds. */
static void whole_weeks_match_minute_walk(void **state)
{
    uint64_t x = 42;
    int64_t base = at("2026-01-05T00:00:00Z");
    (void)state;

    for (int round = 0; round < 200; round++) {
        ermes__calendar_t c;
        ermes__span_t p[4];
        size_t np = lcg(&x) % 4;
        int64_t from = base + (int64_t)(lcg(&x) % (20 * 1440)) * M;
        int64_t budget, ref = 0, left, t, week = 0;

        ermes__calendar_always(&c);
        c.days = (unsigned)(1 + lcg(&x) % 127);
        c.start_minute = (int)(lcg(&x) % 1200);
        c.end_minute = c.start_minute + 1 + (int)(lcg(&x) % (unsigned)(1440 - c.start_minute));
        for (int wd = 0; wd < 7; wd++)
            week += (c.days >> wd & 1) ? c.end_minute - c.start_minute : 0;
        /* Up to 30 weeks of work: the reference below walks 400 days at most. */
        budget = (int64_t)(1 + lcg(&x) % (uint64_t)(week * 30)) * M;
        left = budget;
        c.utc_offset_minutes = (int)(lcg(&x) % 1681) - 840;
        c.nholidays = lcg(&x) % 5;
        for (size_t i = 0; i < c.nholidays; i++)
            c.holidays[i] = base / (1440 * M) + (int64_t)(lcg(&x) % 150);
        for (size_t i = 0; i < np; i++) {
            p[i].from = from + (int64_t)(lcg(&x) % (100 * 1440)) * M;
            p[i].to = p[i].from + (int64_t)(lcg(&x) % (10 * 1440)) * M;
            if (lcg(&x) % 10 == 0)
                p[i].to = ERMES_CLOCK_OPEN;
        }
        /* The due time: the end of the minute that uses up the budget; 0 when an open pause
         * stops the clock first. */
        for (t = from; left > 0 && t < from + 400 * 1440 * M; t += M) {
            int open = 0;
            for (size_t i = 0; i < np; i++)
                open |= p[i].to == ERMES_CLOCK_OPEN && p[i].from <= t;
            if (open) {
                t = 0;
                break;
            }
            if (minute_works(&c, t, p, np))
                left -= M;
        }
        int64_t due = left > 0 ? 0 : t;
        assert_int_equal(ermes__clock_due(&c, from, budget, p, np), due);
        /* The working time over a span of up to 120 days, pauses closed at its end. */
        int64_t to = from + (int64_t)(lcg(&x) % (120 * 1440)) * M;
        ermes__span_t q[4];
        for (size_t i = 0; i < np; i++) {
            q[i] = p[i];
            if (q[i].to == ERMES_CLOCK_OPEN)
                q[i].to = to;
        }
        for (t = from; t < to; t += M)
            ref += minute_works(&c, t, q, np) ? M : 0;
        assert_int_equal(ermes__clock_elapsed(&c, from, to, q, np), ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(business_hours_across_a_weekend),
        cmocka_unit_test(business_hours_across_a_holiday),
        cmocka_unit_test(pauses_while_waiting),
        cmocka_unit_test(nis2_deadlines),
        cmocka_unit_test(warning_before_a_deadline),
        cmocka_unit_test(whole_weeks_match_minute_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
