/* Time: milliseconds since the Unix epoch, formatted and parsed as RFC 3339 in UTC. */
#ifndef ERMES_CORE_TIME_H
#define ERMES_CORE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

/* "2026-11-23T02:27:51.123Z" plus NUL. */
#define ERMES_TIME_STRLEN 32

int64_t ermes__time_now_ms(void);
int64_t ermes__time_monotonic_ns(void);

/* The calendar (proleptic Gregorian, UTC), one copy for every parser and formatter: days since
 * 1970-01-01 of y-m-d (m 1..12, d 1..31, not checked), its inverse, and the days of month m of
 * year y (0 when m is not 1..12). */
int64_t ermes__days_from_civil(int64_t y, unsigned m, unsigned d);
void ermes__civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
int ermes__days_in_month(int64_t y, int m);

/* Writes "YYYY-MM-DDTHH:MM:SS" (19 bytes, no NUL) of secs since the epoch in UTC; years past
 * 0..9999 are clamped. The one date-time writer of time.c and harmonize.c. */
void ermes__time_put_seconds(int64_t secs, char *buf);

/* What follows a date at s[*i]: 1 when nothing (a bare date), 0 past a 'T', 't' or ' ' (a time
 * follows), -1 when something else does. */
int ermes__time_date_end(const char *s, size_t len, size_t *i);

/* Reads the digits of a fraction of a second at s[*i] (just past its '.'), keeping the first
 * `digits` (3: milliseconds, 6: microseconds) and dropping finer ones. *out is in those units;
 * *i moves past every digit. -1 (nothing set) when no digit follows. */
int ermes__time_fraction(const char *s, size_t len, size_t *i, int digits, int64_t *out);

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (milliseconds always present). Returns length. */
size_t ermes__time_format(int64_t ms, char *buf);

/* Parses RFC 3339 section 5.6 date-time: full date, 'T' or 't' or ' ', time with optional
 * fraction (truncated to milliseconds), and 'Z' or a +hh:mm/-hh:mm offset, converted to UTC.
 * A bare date "YYYY-MM-DD" is midnight UTC. Returns 0 or ERMES_EPARSE with reason in d. */
int ermes__time_parse(const char *s, size_t len, int64_t *out_ms, ermes_diag_t *d);

#endif
