/* The clocks of an incident, as pure functions of the time they are given (never the wall
 * clock), so that tests control it: business hours of a calendar with holidays, pauses while
 * the CERT waits on the constituent, the SLA deadlines and the NIS2 article 23 deadlines, and
 * the state of a deadline at a given moment (pending, due soon, late, met, missed). */
#ifndef ERMES_INCIDENTS_CLOCK_H
#define ERMES_INCIDENTS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

#define ERMES_CLOCK_HOUR_MS ((int64_t)3600 * 1000)
#define ERMES_CLOCK_OPEN INT64_MAX /* the end of a pause still running */
#define ERMES_CLOCK_MAX_PAUSES 64
#define ERMES_CLOCK_MAX_HOLIDAYS 256

/* Business hours: the days of the week it works (bit 0 Monday ... bit 6 Sunday), from
 * start_minute to end_minute (local minutes of the day, start < end <= 1440), local time being
 * UTC plus utc_offset_minutes, and holidays (local dates as days since 1970-01-01, any
 * order). A calendar of every day from 0 to 1440 with offset 0 is calendar time. */
typedef struct ermes__calendar {
    unsigned days;
    int start_minute, end_minute;
    int utc_offset_minutes;
    int64_t holidays[ERMES_CLOCK_MAX_HOLIDAYS];
    size_t nholidays;
} ermes__calendar_t;

/* A span of time [from, to) in ms; to is ERMES_CLOCK_OPEN while it goes on. */
typedef struct ermes__span {
    int64_t from, to;
} ermes__span_t;

/* Calendar time: every hour of every day. */
void ermes__calendar_always(ermes__calendar_t *cal);
/* Reads holidays "YYYY-MM-DD,YYYY-MM-DD" into cal (replacing its holidays). ERMES_EPARSE with
 * d naming the bad date, ERMES_ETOOBIG past ERMES_CLOCK_MAX_HOLIDAYS. */
int ermes__calendar_holidays(ermes__calendar_t *cal, const char *text, ermes_diag_t *d);
/* 0 when cal is usable (a day, 0 <= start < end <= 1440, offset within +-14 h), else
 * ERMES_EINVAL with d. */
int ermes__calendar_check(const ermes__calendar_t *cal, ermes_diag_t *d);

/* The working time (ms) in [from, to) by cal, leaving out the pauses (any order, may
 * overlap). */
int64_t ermes__clock_elapsed(const ermes__calendar_t *cal, int64_t from, int64_t to,
                             const ermes__span_t *pauses, size_t npauses);
/* The moment budget_ms of working time after from by cal, pauses left out: 0 when it cannot be
 * said (a pause still open stops the clock) or lies more than ten years ahead. */
int64_t ermes__clock_due(const ermes__calendar_t *cal, int64_t from, int64_t budget_ms,
                         const ermes__span_t *pauses, size_t npauses);
/* The same moment of the next month (UTC), the day clamped to the month's last: the "one
 * month" of NIS2 art. 23(4)(d). */
int64_t ermes__clock_add_month(int64_t ms);

/* Reads pauses "from-to,from-" (ms; an empty end is a pause still open) as the store keeps
 * them; at most cap, the rest dropped (the oldest kept). Returns how many. */
size_t ermes__pauses_parse(const char *text, ermes__span_t *out, size_t cap);

typedef enum ermes__deadline_state {
    ERMES_DEADLINE_PENDING = 0, /* not done, not due soon */
    ERMES_DEADLINE_SOON,        /* not done, due within the warning time */
    ERMES_DEADLINE_LATE,        /* not done, past due */
    ERMES_DEADLINE_MET,         /* done by its due time */
    ERMES_DEADLINE_MISSED,      /* done after its due time */
    ERMES_DEADLINE_PAUSED       /* no due time while the clock is stopped */
} ermes__deadline_state_t;
const char *ermes__deadline_state_name(ermes__deadline_state_t s);
/* The state at now of a deadline due at due (0: paused), done at done (0: not yet), warned
 * warn_ms before it. */
ermes__deadline_state_t ermes__deadline_state(int64_t due, int64_t done, int64_t now,
                                              int64_t warn_ms);

/* NIS2 art. 23(4) and (5), from when the entity became aware (aware) and when the early
 * warning and the notification were received (0: not yet): the early warning within 24 h of
 * awareness, the incident notification within 72 h, the final report one month after the
 * notification was submitted (after its deadline while it has not been), and the CSIRT's
 * initial feedback within 24 h of receiving the early warning (0 while none was received).
 * Calendar time: the law counts hours, not business hours. */
typedef struct ermes__nis2_due {
    int64_t early_warning, notification, final_report, feedback;
} ermes__nis2_due_t;
void ermes__nis2_deadlines(int64_t aware, int64_t early_warning_at, int64_t notification_at,
                           ermes__nis2_due_t *out);

#endif
