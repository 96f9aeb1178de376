/* Checked numbers. Every number that comes from a user, a file or the network is parsed here,
 * so "x", "12abc", "", " 5" and "99999999999999999999" are errors that name the field instead
 * of quietly becoming 0, "unlimited" or a wrapped value (issue 10, item 8). */
#ifndef ERMES_CORE_NUMBER_H
#define ERMES_CORE_NUMBER_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

/* Parses the whole of text (borrowed) as a base-10 integer with an optional sign, no spaces,
 * into *out if min <= value <= max. Returns 0, ERMES_EPARSE (not an integer, text NULL or empty)
 * or ERMES_ERANGE; on failure *out is untouched and d (may be NULL) names field (borrowed) and
 * says what was expected. */
int ermes__parse_int64(const char *text, const char *field, int64_t min, int64_t max, int64_t *out,
                       ermes_diag_t *d);

/* The same over the first len bytes of text, which need not be NUL-terminated. */
int ermes__parse_int64_n(const char *text, size_t len, const char *field, int64_t min, int64_t max,
                         int64_t *out, ermes_diag_t *d);

/* An unsigned decimal integer (no sign) over the first len bytes of text, up to max. */
int ermes__parse_uint64_n(const char *text, size_t len, const char *field, uint64_t max,
                          uint64_t *out, ermes_diag_t *d);

/* Convenience for int-sized settings and options: the same with an int result. */
int ermes__parse_int(const char *text, const char *field, int min, int max, int *out,
                     ermes_diag_t *d);

/* Parses the whole of text as a finite decimal number (strtod's syntax without leading
 * spaces, "inf" or "nan") into *out if min <= value <= max. Errors as ermes__parse_int64. */
int ermes__parse_double(const char *text, const char *field, double min, double max, double *out,
                        ermes_diag_t *d);

/* Converts v to an integer (truncating toward zero) only when it is finite and fits in
 * int64_t, so a hostile "ts": 1e300 cannot reach the undefined float-to-integer conversion.
 * Returns 0 or ERMES_ERANGE (*out untouched). */
int ermes__double_to_int64(double v, int64_t *out);

/* Zeek's ts: seconds since the epoch with a fraction ("1700000000.123456"), the len bytes at
 * text, into milliseconds. Only digits and one point, at most the end of year 9999, so no
 * value can overflow the conversion to an integer. Returns 0, ERMES_EPARSE or ERMES_ERANGE
 * (*ms untouched). */
int ermes__epoch_seconds_ms(const char *text, size_t len, int64_t *ms);

#endif
