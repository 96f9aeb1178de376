#include "core/time.h"

#include <time.h>

int64_t ermes__time_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ermes__time_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* After H. Hinnant's days_from_civil and civil_from_days (proleptic Gregorian). */
int64_t ermes__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ermes__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int ermes__days_in_month(int64_t y, int m)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return mdays[m - 1];
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

void ermes__time_put_seconds(int64_t secs, char *buf)
{
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    unsigned sod = (unsigned)(secs - days * 86400);
    int64_t y;
    unsigned m, d;

    ermes__civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    buf[0] = (char)('0' + y / 1000);
    buf[1] = (char)('0' + y / 100 % 10);
    put2(buf + 2, (unsigned)(y % 100));
    buf[4] = '-';
    put2(buf + 5, m);
    buf[7] = '-';
    put2(buf + 8, d);
    buf[10] = 'T';
    put2(buf + 11, sod / 3600);
    buf[13] = ':';
    put2(buf + 14, sod / 60 % 60);
    buf[16] = ':';
    put2(buf + 17, sod % 60);
}

int ermes__time_fraction(const char *s, size_t len, size_t *i, int digits, int64_t *out)
{
    int64_t v = 0;
    int n = 0;

    for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++, n++)
        if (n < digits)
            v = v * 10 + (s[*i] - '0');
    if (n == 0)
        return -1;
    for (; n < digits; n++)
        v *= 10;
    *out = v;
    return 0;
}

int ermes__time_date_end(const char *s, size_t len, size_t *i)
{
    if (*i == len)
        return 1;
    /* RFC 3339 section 5.6 NOTE: 't' and a space may stand for 'T'. */
    if (s[*i] != 'T' && s[*i] != 't' && s[*i] != ' ')
        return -1;
    (*i)++;
    return 0;
}

size_t ermes__time_format(int64_t ms, char *buf)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    unsigned frac = (unsigned)(ms - secs * 1000);

    ermes__time_put_seconds(secs, buf);
    buf[19] = '.';
    buf[20] = (char)('0' + frac / 100);
    put2(buf + 21, frac % 100);
    buf[23] = 'Z';
    buf[24] = '\0';
    return 24;
}

/* Reads exactly n digits at s[*i]; -1 if any is missing. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
    int v = 0;

    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    return v;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

int ermes__time_parse(const char *s, size_t len, int64_t *out_ms, ermes_diag_t *d)
{
    size_t i = 0;
    int y, mo, da, h = 0, mi = 0, se = 0, ms = 0, off = 0, rc;
    int64_t days;

    y = digits(s, len, &i, 4);
    if (y < 0 || expect(s, len, &i, '-') || (mo = digits(s, len, &i, 2)) < 0 ||
        expect(s, len, &i, '-') || (da = digits(s, len, &i, 2)) < 0)
        goto bad_date;
    if (mo < 1 || mo > 12 || da < 1 || da > ermes__days_in_month(y, mo))
        goto bad_date;
    if ((rc = ermes__time_date_end(s, len, &i)) != 0) {
        if (rc > 0)
            goto done;
        goto bad_time;
    }
    if ((h = digits(s, len, &i, 2)) < 0 || expect(s, len, &i, ':') ||
        (mi = digits(s, len, &i, 2)) < 0 || expect(s, len, &i, ':') ||
        (se = digits(s, len, &i, 2)) < 0)
        goto bad_time;
    /* RFC 3339 allows second 60 for leap seconds; we fold it into 59. */
    if (h > 23 || mi > 59 || se > 60)
        goto bad_time;
    if (se == 60)
        se = 59;
    if (i < len && s[i] == '.') {
        int64_t frac;
        i++;
        if (ermes__time_fraction(s, len, &i, 3, &frac))
            goto bad_time;
        ms = (int)frac;
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, oh, om;
        i++;
        if ((oh = digits(s, len, &i, 2)) < 0 || expect(s, len, &i, ':') ||
            (om = digits(s, len, &i, 2)) < 0 || oh > 23 || om > 59)
            goto bad_zone;
        off = sign * (oh * 60 + om);
    } else {
        goto bad_zone;
    }
    if (i != len) {
        ermes_diag_set(d, NULL, "unexpected text after the time");
        if (d)
            d->column = (long)i + 1;
        return ERMES_EPARSE;
    }
done:
    days = ermes__days_from_civil(y, (unsigned)mo, (unsigned)da);
    *out_ms = ((days * 86400 + h * 3600 + mi * 60 + se) - (int64_t)off * 60) * 1000 + ms;
    return 0;
bad_date:
    ermes_diag_set(d, NULL, "expected a date YYYY-MM-DD");
    return ERMES_EPARSE;
bad_time:
    ermes_diag_set(d, NULL, "expected a time HH:MM:SS after the date");
    return ERMES_EPARSE;
bad_zone:
    ermes_diag_set(d, NULL, "expected a time zone: Z or +hh:mm / -hh:mm");
    return ERMES_EPARSE;
}
