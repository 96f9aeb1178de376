/* The incident clocks (clock.h): business hours walked a day at a time, with holidays and
 * pauses cut out; runs of whole weeks with neither are counted in one step (a week of such a
 * calendar always holds the same working time), so that a month's budget costs a few days'
 * work, not thirty. */
#include "incidents/clock.h"

#include <stdlib.h>
#include <string.h>

#include "core/number.h"
#include "core/time.h"

#define DAY_MS ((int64_t)86400 * 1000)
#define MINUTE_MS ((int64_t)60 * 1000)
#define WALK_DAYS 3660 /* ten years */

void ermes__calendar_always(ermes__calendar_t *cal)
{
    memset(cal, 0, sizeof(*cal));
    cal->days = 0x7f;
    cal->start_minute = 0;
    cal->end_minute = 1440;
}

int ermes__calendar_check(const ermes__calendar_t *cal, ermes_diag_t *d)
{
    if (!(cal->days & 0x7f)) {
        ermes_diag_set(d, "days", "a calendar needs at least one working day");
        return ERMES_EINVAL;
    }
    if (cal->start_minute < 0 || cal->end_minute > 1440 || cal->start_minute >= cal->end_minute) {
        ermes_diag_set(d, "start_minute", "working hours must satisfy 0 <= start < end <= 1440");
        return ERMES_EINVAL;
    }
    if (cal->utc_offset_minutes < -14 * 60 || cal->utc_offset_minutes > 14 * 60) {
        ermes_diag_set(d, "utc_offset_minutes", "the offset from UTC must be within 14 hours");
        return ERMES_EINVAL;
    }
    return 0;
}

int ermes__calendar_holidays(ermes__calendar_t *cal, const char *text, ermes_diag_t *d)
{
    const char *p = text ? text : "";

    cal->nholidays = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        int64_t y, m, dd;

        while (n && *p == ' ')
            p++, n--;
        if (n == 0) {
            p += *p == ',';
            continue;
        }
        if (cal->nholidays == ERMES_CLOCK_MAX_HOLIDAYS) {
            ermes_diag_set(d, "holidays", "at most %d holidays", ERMES_CLOCK_MAX_HOLIDAYS);
            return ERMES_ETOOBIG;
        }
        if (n < 10 || p[4] != '-' || p[7] != '-' ||
            ermes__parse_int64_n(p, 4, "holidays", 1970, 9999, &y, NULL) ||
            ermes__parse_int64_n(p + 5, 2, "holidays", 1, 12, &m, NULL) ||
            ermes__parse_int64_n(p + 8, 2, "holidays", 1, 31, &dd, NULL) ||
            dd > ermes__days_in_month(y, (int)m) || (n > 10 && p[10] != ' ')) {
            ermes_diag_set(d, "holidays", "holidays must be dates YYYY-MM-DD separated by commas");
            return ERMES_EPARSE;
        }
        cal->holidays[cal->nholidays++] = ermes__days_from_civil(y, (unsigned)m, (unsigned)dd);
        p += n;
        p += *p == ',';
    }
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int is_holiday(const ermes__calendar_t *cal, int64_t day)
{
    for (size_t i = 0; i < cal->nholidays; i++)
        if (cal->holidays[i] == day)
            return 1;
    return 0;
}

/* The working window of local day `day` in UTC ms, or 0 when it is no working day. */
static int window(const ermes__calendar_t *cal, int64_t day, int64_t *ws, int64_t *we)
{
    /* 1970-01-01 was a Thursday: Monday is 0. */
    int64_t weekday = ((day + 3) % 7 + 7) % 7;
    int64_t off = (int64_t)cal->utc_offset_minutes * MINUTE_MS;

    if (!(cal->days & (1u << weekday)) || is_holiday(cal, day))
        return 0;
    *ws = day * DAY_MS + cal->start_minute * MINUTE_MS - off;
    *we = day * DAY_MS + cal->end_minute * MINUTE_MS - off;
    return 1;
}

static int span_cmp(const void *a, const void *b)
{
    const ermes__span_t *x = a, *y = b;

    return x->from < y->from ? -1 : x->from > y->from;
}

/* The pauses sorted and merged into out (at most ERMES_CLOCK_MAX_PAUSES). */
static size_t merge_pauses(const ermes__span_t *p, size_t n, ermes__span_t *out)
{
    size_t k = 0;

    if (n > ERMES_CLOCK_MAX_PAUSES)
        n = ERMES_CLOCK_MAX_PAUSES;
    for (size_t i = 0; i < n; i++)
        if (p[i].to > p[i].from)
            out[k++] = p[i];
    qsort(out, k, sizeof(*out), span_cmp);
    if (k == 0)
        return 0;
    size_t m = 0;
    for (size_t i = 1; i < k; i++) {
        if (out[i].from <= out[m].to) {
            if (out[i].to > out[m].to)
                out[m].to = out[i].to;
        } else {
            out[++m] = out[i];
        }
    }
    return m + 1;
}

/* Walks the working time from `from` piece by piece (window minus pauses): cb gets each piece
 * [a, b) in order and returns 1 to stop. Returns 1 when cb stopped, 0 at `to` or the end of the
 * walk, -1 when an open pause stopped the clock. weeks, when not NULL, is offered runs of whole
 * local weeks free of pauses and holidays (at most max of them, each week_ms of working time)
 * and returns how many it took in whole, each exactly as if cb had had its pieces without
 * stopping. */
typedef int (*piece_cb)(void *ctx, int64_t a, int64_t b);
typedef int64_t (*weeks_cb)(void *ctx, int64_t week_ms, int64_t max);

/* How many whole weeks from local day `day` walk may skip: none before the first whole day,
 * none reaching a holiday, a pause (those before it already passed over), `to` or the walk's
 * end. */
static int64_t weeks_free(const ermes__calendar_t *cal, int64_t day, int64_t k, int64_t from,
                          int64_t to, const ermes__span_t *p, size_t np, size_t pi, int64_t off)
{
    int64_t start = day * DAY_MS - off, max = (WALK_DAYS - k) / 7, stop;

    if (start < from || max <= 0)
        return 0;
    if (to - start < max * 7 * DAY_MS)
        max = (to - start) / (7 * DAY_MS);
    while (pi < np && p[pi].to <= start)
        pi++;
    if (pi < np) {
        if (p[pi].from <= start)
            return 0;
        stop = (p[pi].from - start) / (7 * DAY_MS); /* weeks before the pause's week */
        if (stop < max)
            max = stop;
    }
    for (size_t i = 0; i < cal->nholidays && max > 0; i++)
        if (cal->holidays[i] >= day && (cal->holidays[i] - day) / 7 < max)
            max = (cal->holidays[i] - day) / 7;
    return max;
}

static int walk(const ermes__calendar_t *cal, int64_t from, int64_t to, const ermes__span_t *pauses,
                size_t npauses, piece_cb cb, weeks_cb weeks, void *ctx)
{
    ermes__span_t p[ERMES_CLOCK_MAX_PAUSES];
    size_t np = merge_pauses(pauses, npauses, p), pi = 0;
    int64_t off = (int64_t)cal->utc_offset_minutes * MINUTE_MS;
    int64_t day = floor_div(from + off, DAY_MS), ws, we, week_ms = 0;

    /* A window lies within its local day (0 <= start < end <= 1440), so a week holds the same
     * working time whichever day it starts on. */
    for (int wd = 0; wd < 7; wd++)
        if (cal->days & (1u << wd))
            week_ms += (int64_t)(cal->end_minute - cal->start_minute) * MINUTE_MS;
    for (int64_t k = 0; k < WALK_DAYS; k++, day++) {
        if (day * DAY_MS - off >= to)
            return 0;
        if (weeks && week_ms > 0) {
            int64_t n = weeks_free(cal, day, k, from, to, p, np, pi, off);
            if (n > 0 && (n = weeks(ctx, week_ms, n)) > 0) {
                day += 7 * n - 1;
                k += 7 * n - 1;
                continue;
            }
        }
        if (!window(cal, day, &ws, &we))
            continue;
        if (ws < from)
            ws = from;
        if (we > to)
            we = to;
        while (ws < we) {
            while (pi < np && p[pi].to <= ws)
                pi++;
            if (pi < np && p[pi].from <= ws) {
                if (p[pi].to == ERMES_CLOCK_OPEN)
                    return -1;
                ws = p[pi].to;
                continue;
            }
            int64_t end = pi < np && p[pi].from < we ? p[pi].from : we;
            if (cb(ctx, ws, end))
                return 1;
            ws = end;
        }
    }
    return 0;
}

static int sum_cb(void *ctx, int64_t a, int64_t b)
{
    *(int64_t *)ctx += b - a;
    return 0;
}

static int64_t sum_weeks(void *ctx, int64_t week_ms, int64_t max)
{
    *(int64_t *)ctx += week_ms * max;
    return max;
}

int64_t ermes__clock_elapsed(const ermes__calendar_t *cal, int64_t from, int64_t to,
                             const ermes__span_t *pauses, size_t npauses)
{
    int64_t sum = 0;

    if (to <= from)
        return 0;
    walk(cal, from, to, pauses, npauses, sum_cb, sum_weeks, &sum);
    return sum;
}

struct due_ctx {
    int64_t left, at;
};

static int due_cb(void *ctx, int64_t a, int64_t b)
{
    struct due_ctx *c = ctx;

    if (b - a >= c->left) {
        c->at = a + c->left;
        return 1;
    }
    c->left -= b - a;
    return 0;
}

/* Whole weeks that end before the budget does (one ending exactly on it stops in its last
 * piece, which the walk must find). */
static int64_t due_weeks(void *ctx, int64_t week_ms, int64_t max)
{
    struct due_ctx *c = ctx;
    int64_t n = (c->left - 1) / week_ms;

    if (n > max)
        n = max;
    if (n > 0)
        c->left -= n * week_ms;
    return n > 0 ? n : 0;
}

int64_t ermes__clock_due(const ermes__calendar_t *cal, int64_t from, int64_t budget_ms,
                         const ermes__span_t *pauses, size_t npauses)
{
    struct due_ctx c = {budget_ms, 0};

    if (budget_ms <= 0)
        return from;
    return walk(cal, from, INT64_MAX / 2, pauses, npauses, due_cb, due_weeks, &c) == 1 ? c.at : 0;
}

int64_t ermes__clock_add_month(int64_t ms)
{
    int64_t day = floor_div(ms, DAY_MS), rest = ms - day * DAY_MS, y;
    unsigned m, d;
    int last;

    ermes__civil_from_days(day, &y, &m, &d);
    if (++m > 12) {
        m = 1;
        y++;
    }
    last = ermes__days_in_month(y, (int)m);
    if ((int)d > last)
        d = (unsigned)last;
    return ermes__days_from_civil(y, m, d) * DAY_MS + rest;
}

size_t ermes__pauses_parse(const char *text, ermes__span_t *out, size_t cap)
{
    const char *p = text ? text : "";
    size_t n = 0;

    while (*p && n < cap) {
        size_t len = strcspn(p, ","), dash = strcspn(p, "-");
        int64_t a, b = ERMES_CLOCK_OPEN;

        if (dash >= len || ermes__parse_int64_n(p, dash, "pauses", 0, INT64_MAX - 1, &a, NULL) ||
            (dash + 1 < len && ermes__parse_int64_n(p + dash + 1, len - dash - 1, "pauses", 0,
                                                    INT64_MAX - 1, &b, NULL))) {
            p += len;
            p += *p == ',';
            continue;
        }
        out[n].from = a;
        out[n].to = b;
        n++;
        p += len;
        p += *p == ',';
    }
    return n;
}

const char *ermes__deadline_state_name(ermes__deadline_state_t s)
{
    static const char *const names[] = {"pending", "due_soon", "late", "met", "missed", "paused"};

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "pending";
}

ermes__deadline_state_t ermes__deadline_state(int64_t due, int64_t done, int64_t now,
                                              int64_t warn_ms)
{
    if (done)
        return due && done > due ? ERMES_DEADLINE_MISSED : ERMES_DEADLINE_MET;
    if (!due)
        return ERMES_DEADLINE_PAUSED;
    if (now > due)
        return ERMES_DEADLINE_LATE;
    if (due - now <= warn_ms)
        return ERMES_DEADLINE_SOON;
    return ERMES_DEADLINE_PENDING;
}

void ermes__nis2_deadlines(int64_t aware, int64_t early_warning_at, int64_t notification_at,
                           ermes__nis2_due_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!aware)
        return;
    /* Art. 23(4)(a) and (b): hours from becoming aware of the significant incident. */
    out->early_warning = aware + 24 * ERMES_CLOCK_HOUR_MS;
    out->notification = aware + 72 * ERMES_CLOCK_HOUR_MS;
    /* Art. 23(4)(d): one month after the submission of the incident notification. */
    out->final_report =
        ermes__clock_add_month(notification_at ? notification_at : out->notification);
    /* Art. 23(5): the CSIRT's response within 24 hours of receiving the early warning. */
    if (early_warning_at)
        out->feedback = early_warning_at + 24 * ERMES_CLOCK_HOUR_MS;
}
