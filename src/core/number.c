#include "core/number.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How much of a bad value a diagnostic quotes: enough to recognise, not a whole hostile body. */
#define QUOTE_MAX 40

static void quote(char *dst, size_t cap, const char *s, size_t len)
{
    size_t i, n = 0;

    /* The value goes into messages printed on terminals and logs: keep printable ASCII only. */
    for (i = 0; i < len && i < QUOTE_MAX && n + 1 < cap; i++)
        dst[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (i < len && n + 4 < cap) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

int ermes__parse_int64_n(const char *text, size_t len, const char *field, int64_t min, int64_t max,
                         int64_t *out, ermes_diag_t *d)
{
    char shown[QUOTE_MAX + 8];
    uint64_t mag = 0, limit;
    size_t i = 0;
    int neg = 0;

    if (!text || !len)
        goto not_number;
    if (text[0] == '-' || text[0] == '+') {
        neg = text[0] == '-';
        i = 1;
    }
    if (i == len)
        goto not_number;
    /* The magnitude is accumulated unsigned so the most negative int64_t is reachable and the
     * overflow check is exact; past the limit the rest must still be digits to be a number. */
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned digit;

        if (text[i] < '0' || text[i] > '9')
            goto not_number;
        digit = (unsigned)(text[i] - '0');
        if (mag > (limit - digit) / 10) {
            for (; i < len; i++)
                if (text[i] < '0' || text[i] > '9')
                    goto not_number;
            goto out_of_range;
        }
        mag = mag * 10 + digit;
    }
    {
        int64_t v;

        if (neg)
            v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        else
            v = (int64_t)mag;
        if (v < min || v > max)
            goto out_of_range;
        *out = v;
    }
    return 0;

not_number:
    quote(shown, sizeof(shown), text ? text : "", text ? len : 0);
    ermes_diag_set(d, field ? field : "", "%s: expected an integer, got '%s'",
                   field ? field : "value", shown);
    return ERMES_EPARSE;
out_of_range:
    quote(shown, sizeof(shown), text, len);
    ermes_diag_set(d, field ? field : "", "%s: '%s' is out of range (%" PRId64 " to %" PRId64 ")",
                   field ? field : "value", shown, min, max);
    return ERMES_ERANGE;
}

int ermes__parse_uint64_n(const char *text, size_t len, const char *field, uint64_t max,
                          uint64_t *out, ermes_diag_t *d)
{
    char shown[QUOTE_MAX + 8];
    uint64_t v = 0;

    if (!text || !len)
        goto not_number;
    for (size_t i = 0; i < len; i++) {
        unsigned digit;
        if (text[i] < '0' || text[i] > '9')
            goto not_number;
        digit = (unsigned)(text[i] - '0');
        if (digit > max || v > (max - digit) / 10) {
            quote(shown, sizeof(shown), text, len);
            ermes_diag_set(d, field ? field : "", "%s: '%s' is out of range (0 to %" PRIu64 ")",
                           field ? field : "value", shown, max);
            return ERMES_ERANGE;
        }
        v = v * 10 + digit;
    }
    *out = v;
    return 0;

not_number:
    quote(shown, sizeof(shown), text ? text : "", text ? len : 0);
    ermes_diag_set(d, field ? field : "", "%s: expected an unsigned integer, got '%s'",
                   field ? field : "value", shown);
    return ERMES_EPARSE;
}

int ermes__parse_int64(const char *text, const char *field, int64_t min, int64_t max, int64_t *out,
                       ermes_diag_t *d)
{
    return ermes__parse_int64_n(text, text ? strlen(text) : 0, field, min, max, out, d);
}

int ermes__parse_int(const char *text, const char *field, int min, int max, int *out,
                     ermes_diag_t *d)
{
    int64_t v;
    int rc = ermes__parse_int64(text, field, min, max, &v, d);

    if (!rc)
        *out = (int)v;
    return rc;
}

int ermes__parse_double(const char *text, const char *field, double min, double max, double *out,
                        ermes_diag_t *d)
{
    char shown[QUOTE_MAX + 8];
    char *end;
    double v;
    const char *p;

    if (!text || !*text)
        goto not_number;
    /* strtod also takes leading spaces, hexadecimal, "inf" and "nan": a value from outside
     * is decimal digits, a sign, one point and an exponent, nothing else. */
    for (p = text; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            goto not_number;
    v = strtod(text, &end);
    if (end == text || *end)
        goto not_number;
    /* Overflow gives infinity and fails here; underflow is a tiny finite value, kept. */
    if (!isfinite(v) || v < min || v > max) {
        quote(shown, sizeof(shown), text, strlen(text));
        ermes_diag_set(d, field ? field : "", "%s: '%s' is out of range (%g to %g)",
                       field ? field : "value", shown, min, max);
        return ERMES_ERANGE;
    }
    *out = v;
    return 0;

not_number:
    quote(shown, sizeof(shown), text ? text : "", text ? strlen(text) : 0);
    ermes_diag_set(d, field ? field : "", "%s: expected a number, got '%s'",
                   field ? field : "value", shown);
    return ERMES_EPARSE;
}

int ermes__double_to_int64(double v, int64_t *out)
{
    /* 2^63 is exactly representable; every double below it and at or above -2^63 converts
     * without undefined behaviour (C11 6.3.1.4). NaN fails both comparisons. */
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        return ERMES_ERANGE;
    *out = (int64_t)v;
    return 0;
}

int ermes__epoch_seconds_ms(const char *text, size_t len, int64_t *ms)
{
    /* 9999-12-31T23:59:59Z. */
    static const double max_seconds = 253402300799.999;
    char tmp[64];
    double seconds;
    size_t points = 0;
    int rc;

    if (!len || len >= sizeof(tmp))
        return len ? ERMES_ERANGE : ERMES_EPARSE;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '.')
            points++;
        else if (text[i] < '0' || text[i] > '9')
            return ERMES_EPARSE;
    }
    if (points > 1)
        return ERMES_EPARSE;
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    if ((rc = ermes__parse_double(tmp, "ts", 0, max_seconds, &seconds, NULL)))
        return rc;
    return ermes__double_to_int64(seconds * 1000.0, ms);
}
