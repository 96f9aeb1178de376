/* Internal helpers of the harmonization functions (src/model/harmonize.c) that the event code
 * (src/model/event.c) shares. The public part is in include/ermes/event.h. */
#ifndef ERMES_MODEL_HARMONIZE_H
#define ERMES_MODEL_HARMONIZE_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/event.h"

/* Longest text ermes__float_format writes, with the NUL. */
#define ERMES__FLOAT_STRLEN 32

/* 1 if s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or code points beyond
 * U+10FFFF), else 0. */
int ermes__utf8_valid(const char *s, size_t len);

/* Checks text as every field type does first: 0 when s[0..len) is well-formed UTF-8 without
 * a NUL byte, 1 when it holds a NUL, 2 when it is not UTF-8. ASCII runs go 8 bytes at a time. */
int ermes__text_check(const char *s, size_t len);

/* Writes v in decimal ("%lld") with a NUL into buf (at least 21 bytes). Returns the length. */
size_t ermes__i64_format(int64_t v, char *buf);

/* Formats a finite double as Python's repr() does ("52.0", "0.1", "1e+16", "1.5e-05"): the
 * shortest digits that read back to the same double. buf holds ERMES__FLOAT_STRLEN bytes.
 * Returns the length. */
size_t ermes__float_format(double v, char *buf);

/* Parses an ISO 8601 / RFC 3339 date-time (see ermes_harmonize, ERMES_FT_DATETIME) into
 * microseconds since the epoch, UTC. Returns 0 or ERMES_EINVAL (reason in d, may be NULL). */
int ermes__datetime_parse_us(const char *s, size_t len, int64_t *us, ermes_diag_t *d);

/* Writes "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00" for us; buf holds at least 40 bytes. */
size_t ermes__datetime_format_us(int64_t us, char *buf);

/* Parses s[0..len) as any JSON text (duplicate keys rejected) and writes it compact into *text,
 * which the caller frees with free() (jansson's allocator). Returns 0, ERMES_EINVAL (reason in
 * d), ERMES_ENOMEM. */
int ermes__json_compact(const char *s, size_t len, char **text, ermes_diag_t *d);

/* ---- for parsers that have the canonical text already (src/intake/parsers/) ------------- */

/* Normalises an extra key as ermes_event_set_extra does, into out (256 bytes): the length, or 0
 * for a key it refuses (empty or longer than 255 bytes). */
size_t ermes__event_extra_key(const char *key, size_t keylen, char *out);

/* Sets field f to text, which must be exactly what ermes_event_set would store for it (the
 * canonical text of a valid value): copied as it is, not checked. len 0 unsets f. Returns 0 or
 * ERMES_ENOMEM. */
int ermes__event_put(ermes_event_t *ev, ermes_field_t f, const char *text, size_t len);

/* Sets extra.<key>, key already normalised (ermes__event_extra_key), value already what
 * ermes_event_set_extra would store for type: copied, not checked. len 0 sets nothing. */
int ermes__event_put_extra(ermes_event_t *ev, const char *key, size_t klen, const char *value,
                           size_t len, ermes_extra_type_t type);

#endif
