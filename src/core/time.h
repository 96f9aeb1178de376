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

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (milliseconds always present). Returns length. */
size_t ermes__time_format(int64_t ms, char *buf);

/* Parses RFC 3339 section 5.6 date-time: full date, 'T' or 't' or ' ', time with optional
 * fraction (truncated to milliseconds), and 'Z' or a +hh:mm/-hh:mm offset, converted to UTC.
 * A bare date "YYYY-MM-DD" is midnight UTC. Returns 0 or ERMES_EPARSE with reason in d. */
int ermes__time_parse(const char *s, size_t len, int64_t *out_ms, ermes_diag_t *d);

#endif
