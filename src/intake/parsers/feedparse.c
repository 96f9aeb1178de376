#include "intake/parsers/feedparse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "ermes/net.h"

/* ---- lines ------------------------------------------------------------------------------ */

void ermes__fp_lines_init(ermes__fp_lines_t *c, const char *data, size_t len)
{
    c->p = data;
    c->end = data + len;
    c->line = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        c->p += 3;
}

int ermes__fp_lines_next(ermes__fp_lines_t *c, ermes__fp_str_t *s)
{
    const char *nl;

    if (c->p >= c->end)
        return 0;
    nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    s->p = c->p;
    s->len = (size_t)((nl ? nl : c->end) - c->p);
    c->p = nl ? nl + 1 : c->end;
    if (s->len && s->p[s->len - 1] == '\r')
        s->len--;
    c->line++;
    return 1;
}

/* ---- strings ---------------------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

ermes__fp_str_t ermes__fp_trim(ermes__fp_str_t s)
{
    while (s.len && is_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_space(s.p[s.len - 1]))
        s.len--;
    return s;
}

int ermes__fp_is_blank(ermes__fp_str_t s)
{
    return ermes__fp_trim(s).len == 0;
}

int ermes__fp_eq(ermes__fp_str_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

int ermes__fp_starts(ermes__fp_str_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.p, lit, n) == 0;
}

long ermes__fp_find(ermes__fp_str_t s, const char *lit)
{
    size_t n = strlen(lit);

    if (n == 0)
        return 0;
    for (size_t i = 0; i + n <= s.len; i++)
        if (s.p[i] == lit[0] && memcmp(s.p + i, lit, n) == 0)
            return (long)i;
    return -1;
}

size_t ermes__fp_split(ermes__fp_str_t s, char delim, ermes__fp_str_t *out, size_t max)
{
    size_t n = 0;
    const char *p = s.p, *end = s.p + s.len;

    for (;;) {
        const char *q = memchr(p, delim, (size_t)(end - p));
        if (n + 1 == max || !q) {
            if (n < max) {
                out[n].p = p;
                out[n].len = (size_t)(end - p);
            }
            n++;
            if (!q || n == max) {
                /* Count what did not fit, so callers can tell a line with too many fields. */
                while (q) {
                    q = memchr(q + 1, delim, (size_t)(end - q - 1));
                    n++;
                }
                return n;
            }
        }
        out[n].p = p;
        out[n].len = (size_t)(q - p);
        n++;
        p = q + 1;
    }
}

int ermes__fp_int(ermes__fp_str_t s, int64_t *out)
{
    int64_t v;

    s = ermes__fp_trim(s);
    if (ermes__parse_int64_n(s.p, s.len, "integer", INT64_MIN, INT64_MAX, &v, NULL))
        return ERMES_EINVAL;
    *out = v;
    return 0;
}

int ermes__fp_is_none(ermes__fp_str_t s)
{
    s = ermes__fp_trim(s);
    return s.len == 0 || ermes__fp_eq(s, "-") || ermes__fp_eq(s, "N/A");
}

/* ---- report-wide constants ---------------------------------------------------------------- */

int ermes__fp_feed_init(ermes__fp_feed_t *f, const ermes__report_info_t *info, const char *name,
                        const char *url, ermes_diag_t *d)
{
    const char *v;

    memset(f, 0, sizeof(*f));
    f->observation_len = ermes__fp_format_time(
        info->received_ms >= 0 ? info->received_ms / 1000 : -((999 - info->received_ms) / 1000),
        (int32_t)(((info->received_ms % 1000) + 1000) % 1000) * 1000, f->observation);
    f->name = name;
    f->url = url;
    f->accuracy = -1;
    if ((v = ermes__parser_option(info, "feed_name")) && *v) {
        snprintf(f->name_buf, sizeof(f->name_buf), "%s", v);
        f->name = f->name_buf;
    }
    if ((v = ermes__parser_option(info, "feed_url")) && *v) {
        snprintf(f->url_buf, sizeof(f->url_buf), "%s", v);
        f->url = f->url_buf;
    }
    if ((v = ermes__parser_option(info, "feed_provider")) && *v) {
        snprintf(f->provider_buf, sizeof(f->provider_buf), "%s", v);
        f->provider = f->provider_buf;
    }
    if ((v = ermes__parser_option(info, "accuracy")) && *v) {
        if (ermes__parse_double(v, "accuracy", 0, 100, &f->accuracy, NULL)) {
            ermes_diag_set(d, "accuracy", "option accuracy=\"%s\" is not a number from 0 to 100",
                           v);
            return ERMES_EINVAL;
        }
    }
    return 0;
}

int ermes__fp_feed_apply(const ermes__fp_feed_t *f, ermes_event_t *ev, ermes_diag_t *d)
{
    int rc;

    if ((rc = ermes_event_set(ev, ERMES_F_TIME_OBSERVATION, f->observation, f->observation_len, d)))
        return rc;
    if (f->name && (rc = ermes__fp_setc(ev, ERMES_F_FEED_NAME, f->name, d)))
        return rc;
    if (f->url && (rc = ermes__fp_setc(ev, ERMES_F_FEED_URL, f->url, d)))
        return rc;
    if (f->provider && (rc = ermes__fp_setc(ev, ERMES_F_FEED_PROVIDER, f->provider, d)))
        return rc;
    if (f->accuracy >= 0) {
        char buf[40];
        size_t n = ermes__fp_format_double(f->accuracy, buf, sizeof(buf));
        if ((rc = ermes_event_set(ev, ERMES_F_FEED_ACCURACY, buf, n, d)))
            return rc;
    }
    return 0;
}

/* ---- setting fields ----------------------------------------------------------------------- */

int ermes__fp_set(ermes_event_t *ev, ermes_field_t f, ermes__fp_str_t s, ermes_diag_t *d)
{
    s = ermes__fp_trim(s);
    if (ermes__fp_is_none(s))
        return 0;
    return ermes_event_set(ev, f, s.p, s.len, d);
}

int ermes__fp_setc(ermes_event_t *ev, ermes_field_t f, const char *s, ermes_diag_t *d)
{
    ermes__fp_str_t v = {s, strlen(s)};
    return ermes__fp_set(ev, f, v, d);
}

void ermes__fp_try(ermes_event_t *ev, ermes_field_t f, ermes__fp_str_t s)
{
    ermes_diag_t scratch;
    (void)ermes__fp_set(ev, f, s, &scratch);
}

int ermes__fp_extra(ermes_event_t *ev, const char *key, ermes__fp_str_t s, ermes_extra_type_t t,
                    ermes_diag_t *d)
{
    s = ermes__fp_trim(s);
    if (ermes__fp_is_none(s))
        return 0;
    return ermes_event_set_extra(ev, key, strlen(key), s.p, s.len, t, d);
}

int ermes__fp_extra_int(ermes_event_t *ev, const char *key, int64_t v, ermes_diag_t *d)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return ermes_event_set_extra(ev, key, strlen(key), buf, (size_t)n, ERMES_EXTRA_INTEGER, d);
}

size_t ermes__fp_format_double(double v, char *buf, size_t cap)
{
    int n = 0;

    /* The shortest of 15..17 significant digits that reads back the same value. */
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, v);
        if (n < 0 || (size_t)n >= cap)
            break;
        if (strtod(buf, NULL) == v)
            break;
    }
    return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

int ermes__fp_is_ip(ermes__fp_str_t s)
{
    ermes_ip_t ip;
    s = ermes__fp_trim(s);
    return s.len > 0 && ermes_ip_parse(s.p, s.len, &ip, NULL) == 0;
}

/* ---- time ----------------------------------------------------------------------------------- */

size_t ermes__fp_format_time(int64_t sec, int32_t usec, char *buf)
{
    int64_t days = sec >= 0 ? sec / 86400 : -((86399 - sec) / 86400);
    int64_t rem = sec - days * 86400, y;
    unsigned m, d;
    int n;

    ermes__civil_from_days(days, &y, &m, &d);
    if (usec)
        n = snprintf(buf, 40, "%04lld-%02u-%02uT%02d:%02d:%02d.%06d+00:00", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)usec);
    else
        n = snprintf(buf, 40, "%04lld-%02u-%02uT%02d:%02d:%02d+00:00", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return n < 0 ? 0 : n >= 40 ? 39 : (size_t)n;
}

/* A small scanner over the time text. */
typedef struct tscan {
    const char *p, *end;
} tscan_t;

static int ts_digits(tscan_t *t, int min, int max, int64_t *v)
{
    int n = 0;
    *v = 0;
    while (t->p < t->end && n < max && *t->p >= '0' && *t->p <= '9') {
        *v = *v * 10 + (*t->p - '0');
        t->p++;
        n++;
    }
    return n >= min;
}

static int ts_char(tscan_t *t, char c)
{
    if (t->p < t->end && *t->p == c) {
        t->p++;
        return 1;
    }
    return 0;
}

static void ts_spaces(tscan_t *t)
{
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
        t->p++;
}

static int ts_word(tscan_t *t, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(t->end - t->p) >= n && strncasecmp(t->p, w, n) == 0) {
        t->p += n;
        return 1;
    }
    return 0;
}

static int ts_month(tscan_t *t, unsigned *m)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    for (unsigned i = 0; i < 12; i++)
        if (ts_word(t, names[i])) {
            *m = i + 1;
            /* Full names ("September") are accepted too. */
            while (t->p < t->end &&
                   ((*t->p >= 'a' && *t->p <= 'z') || (*t->p >= 'A' && *t->p <= 'Z')))
                t->p++;
            return 1;
        }
    return 0;
}

static int ts_weekday(tscan_t *t)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (unsigned i = 0; i < 7; i++)
        if (ts_word(t, names[i])) {
            while (t->p < t->end &&
                   ((*t->p >= 'a' && *t->p <= 'z') || (*t->p >= 'A' && *t->p <= 'Z')))
                t->p++;
            return 1;
        }
    return 0;
}

/* HH:MM[:SS[.ffffff]] */
static int ts_clock(tscan_t *t, int64_t *secs, int32_t *usec)
{
    int64_t h, mi, s = 0;

    *usec = 0;
    if (!ts_digits(t, 1, 2, &h) || !ts_char(t, ':') || !ts_digits(t, 2, 2, &mi))
        return 0;
    if (ts_char(t, ':')) {
        if (!ts_digits(t, 2, 2, &s))
            return 0;
        if (t->p < t->end && (*t->p == '.' || *t->p == ',')) {
            int32_t scale = 100000, u = 0;
            t->p++;
            if (t->p >= t->end || *t->p < '0' || *t->p > '9')
                return 0;
            while (t->p < t->end && *t->p >= '0' && *t->p <= '9') {
                u += (*t->p - '0') * scale;
                scale /= 10;
                t->p++;
            }
            *usec = u;
        }
    }
    if (h > 24 || mi > 59 || s > 60)
        return 0;
    *secs = h * 3600 + mi * 60 + s;
    return 1;
}

/* Z, UTC, GMT, +hh:mm, +hhmm, +hh; or nothing (UTC). */
static int ts_zone(tscan_t *t, int64_t *offset)
{
    int64_t hh, mm = 0;
    int sign;

    *offset = 0;
    ts_spaces(t);
    if (t->p >= t->end)
        return 1;
    if (ts_char(t, 'Z') || ts_char(t, 'z') || ts_word(t, "UTC") || ts_word(t, "GMT")) {
        /* "UTC+00:00" style suffixes are rare; anything left must be an offset. */
        ts_spaces(t);
        if (t->p >= t->end)
            return 1;
    }
    if (*t->p != '+' && *t->p != '-')
        return 0;
    sign = *t->p == '-' ? -1 : 1;
    t->p++;
    if (!ts_digits(t, 2, 2, &hh))
        return 0;
    if (ts_char(t, ':')) {
        if (!ts_digits(t, 2, 2, &mm))
            return 0;
    } else if (t->p < t->end) {
        if (!ts_digits(t, 2, 2, &mm))
            return 0;
    }
    *offset = sign * (hh * 3600 + mm * 60);
    ts_spaces(t);
    return t->p == t->end;
}

static int valid_date(int64_t y, int64_t m, int64_t d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
           d <= ermes__days_in_month(y, (int)m);
}

static int finish(int64_t y, int64_t m, int64_t d, int64_t clock, int64_t offset, int64_t *sec)
{
    if (!valid_date(y, m, d))
        return 0;
    *sec = ermes__days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + clock - offset;
    return 1;
}

/* YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone] */
static int parse_iso(tscan_t t, int64_t *sec, int32_t *usec)
{
    int64_t y, m, d, clock = 0, off;

    *usec = 0;
    if (!ts_digits(&t, 4, 4, &y) || !ts_char(&t, '-') || !ts_digits(&t, 1, 2, &m) ||
        !ts_char(&t, '-') || !ts_digits(&t, 1, 2, &d))
        return 0;
    if (t.p < t.end && (*t.p == 'T' || *t.p == 't' || *t.p == ' ')) {
        tscan_t save = t;
        t.p++;
        ts_spaces(&t);
        if (!ts_clock(&t, &clock, usec)) {
            t = save;
            clock = 0;
        }
    }
    if (!ts_zone(&t, &off))
        return 0;
    return finish(y, m, d, clock, off, sec);
}

/* 01/Aug/2018:09:49:41 +0200 */
static int parse_clf(tscan_t t, int64_t *sec, int32_t *usec)
{
    int64_t y, d, clock, off;
    unsigned m;

    if (!ts_digits(&t, 1, 2, &d) || !ts_char(&t, '/') || !ts_month(&t, &m) || !ts_char(&t, '/') ||
        !ts_digits(&t, 4, 4, &y) || !ts_char(&t, ':') || !ts_clock(&t, &clock, usec) ||
        !ts_zone(&t, &off))
        return 0;
    return finish(y, m, d, clock, off, sec);
}

/* [Www] Mmm DD HH:MM:SS YYYY [zone]  or  Www, DD Mmm YYYY HH:MM:SS [zone] */
static int parse_words(tscan_t t, int64_t *sec, int32_t *usec)
{
    int64_t y, d, clock, off;
    unsigned m;

    if (ts_weekday(&t)) {
        ts_char(&t, ',');
        ts_spaces(&t);
    }
    if (ts_month(&t, &m)) {
        ts_spaces(&t);
        if (!ts_digits(&t, 1, 2, &d))
            return 0;
        ts_spaces(&t);
        if (!ts_clock(&t, &clock, usec))
            return 0;
        ts_spaces(&t);
        if (!ts_digits(&t, 4, 4, &y))
            return 0;
    } else {
        if (!ts_digits(&t, 1, 2, &d))
            return 0;
        ts_spaces(&t);
        if (!ts_month(&t, &m))
            return 0;
        ts_spaces(&t);
        if (!ts_digits(&t, 4, 4, &y))
            return 0;
        ts_spaces(&t);
        if (!ts_clock(&t, &clock, usec))
            return 0;
    }
    if (!ts_zone(&t, &off))
        return 0;
    return finish(y, m, d, clock, off, sec);
}

/* Epoch seconds, optionally with a fraction. */
static int parse_epoch(tscan_t t, int64_t *sec, int32_t *usec)
{
    int64_t v;
    int32_t u = 0, scale = 100000;

    if (!ts_digits(&t, 1, 12, &v))
        return 0;
    if (ts_char(&t, '.')) {
        while (t.p < t.end && *t.p >= '0' && *t.p <= '9') {
            u += (*t.p - '0') * scale;
            scale /= 10;
            t.p++;
        }
    }
    if (t.p != t.end)
        return 0;
    *sec = v;
    *usec = u;
    return 1;
}

int ermes__fp_parse_time(ermes__fp_str_t s, int64_t *sec, int32_t *usec, const char *field,
                         ermes_diag_t *d)
{
    tscan_t t;
    int64_t ms;
    ermes_diag_t scratch;

    s = ermes__fp_trim(s);
    t.p = s.p;
    t.end = s.p + s.len;
    if (s.len && (parse_iso(t, sec, usec) || parse_epoch(t, sec, usec) || parse_clf(t, sec, usec) ||
                  parse_words(t, sec, usec)))
        return 0;
    if (s.len && ermes_time_convert(ERMES_TIME_AUTO, s.p, s.len, &ms, &scratch) == 0) {
        *sec = ms >= 0 ? ms / 1000 : -((999 - ms) / 1000);
        *usec = (int32_t)((ms - *sec * 1000) * 1000);
        return 0;
    }
    ermes_diag_set(d, field, "%s: \"%.*s\" is not a date and time I can read",
                   field ? field : "time", (int)(s.len > 80 ? 80 : s.len), s.p);
    return ERMES_EINVAL;
}

int ermes__fp_set_time(ermes_event_t *ev, ermes_field_t f, ermes__fp_str_t s, ermes_diag_t *d)
{
    int64_t sec;
    int32_t usec;
    char buf[48];
    size_t n;
    int rc;

    if (ermes__fp_is_none(s))
        return 0;
    if ((rc = ermes__fp_parse_time(s, &sec, &usec, ermes_field_name(f), d)))
        return rc;
    n = ermes__fp_format_time(sec, usec, buf);
    return ermes_event_set(ev, f, buf, n, d);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static const char *skip_ws(const char *p, const char *end, long *line)
{
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end && is_space(*p)) {
        if (*p == '\n' && line)
            (*line)++;
        p++;
    }
    return p;
}

int ermes__fp_starts_with_char(const char *data, size_t len, char c)
{
    const char *p = skip_ws(data, data + len, NULL);
    return p < data + len && *p == c;
}

int ermes__fp_jsonarr_init(ermes__fp_jsonarr_t *it, const char *data, size_t len)
{
    it->line = 1;
    it->end = data + len;
    it->p = skip_ws(data, it->end, &it->line);
    it->done = 0;
    if (it->p >= it->end || *it->p != '[')
        return ERMES_EPARSE;
    it->p++;
    return 0;
}

int ermes__fp_jsonarr_next(ermes__fp_jsonarr_t *it, ermes__fp_str_t *elem, long *line)
{
    const char *p, *start;
    int depth = 0, in_string = 0;

    if (it->done)
        return 0;
    p = skip_ws(it->p, it->end, &it->line);
    if (p < it->end && *p == ']') {
        it->done = 1;
        return 0;
    }
    start = p;
    *line = it->line;
    for (; p < it->end; p++) {
        char c = *p;
        if (c == '\n')
            it->line++;
        if (in_string) {
            if (c == '\\' && p + 1 < it->end)
                p++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"')
            in_string = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && depth > 0)
            depth--;
        else if (depth == 0 && (c == ',' || c == ']'))
            break;
    }
    elem->p = start;
    elem->len = (size_t)(p - start);
    while (elem->len && is_space(elem->p[elem->len - 1]))
        elem->len--;
    if (p >= it->end) {
        it->done = 1;
        return ERMES_EPARSE;
    }
    if (*p == ']')
        it->done = 1;
    it->p = p + 1;
    if (elem->len == 0)
        return ERMES_EPARSE;
    return 1;
}

int ermes__fp_json_text(const json_t *v, char *buf, size_t cap, ermes__fp_str_t *out,
                        ermes_extra_type_t *type)
{
    int n;

    switch (json_typeof(v)) {
    case JSON_STRING:
        out->p = json_string_value(v);
        out->len = json_string_length(v);
        *type = ERMES_EXTRA_STRING;
        return 1;
    case JSON_INTEGER:
        n = snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        if (n < 0 || (size_t)n >= cap)
            return ERMES_ETOOBIG;
        out->p = buf;
        out->len = (size_t)n;
        *type = ERMES_EXTRA_INTEGER;
        return 1;
    case JSON_REAL:
        out->p = buf;
        out->len = ermes__fp_format_double(json_real_value(v), buf, cap);
        /* JSON has no NaN or infinity; a float must read back as a float. */
        if (!memchr(buf, '.', out->len) && !memchr(buf, 'e', out->len) && out->len + 2 < cap) {
            memcpy(buf + out->len, ".0", 3);
            out->len += 2;
        }
        *type = ERMES_EXTRA_FLOAT;
        return 1;
    case JSON_TRUE:
    case JSON_FALSE:
        out->p = json_is_true(v) ? "true" : "false";
        out->len = strlen(out->p);
        *type = ERMES_EXTRA_BOOLEAN;
        return 1;
    case JSON_NULL:
        return 0;
    default: {
        size_t need = json_dumpb(v, buf, cap, JSON_COMPACT);
        if (need == 0 || need >= cap)
            return ERMES_ETOOBIG;
        buf[need] = '\0';
        out->p = buf;
        out->len = need;
        *type = ERMES_EXTRA_JSON;
        return 1;
    }
    }
}

long ermes__fp_base64_decode(ermes__fp_str_t s, char *out, size_t cap)
{
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0, pad = 0;

    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        int v;
        if (is_space((char)c))
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return -1;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap)
                return -1;
            out[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    if (pad > 2 || bits >= 6)
        return -1;
    return (long)n;
}

/* ---- CSV with a header -------------------------------------------------------------------------
 */

int ermes__fp_header_init(ermes__fp_header_t *h, const ermes_csv_record_t *rec)
{
    h->count = 0;
    h->names = ermes__calloc(rec->nfields ? rec->nfields : 1, sizeof(char *));
    if (!h->names)
        return ERMES_ENOMEM;
    for (size_t i = 0; i < rec->nfields; i++) {
        ermes__fp_str_t t = ermes__fp_trim((ermes__fp_str_t){rec->fields[i], rec->lengths[i]});
        if (!(h->names[i] = ermes__strndup(t.p, t.len))) {
            ermes__fp_header_cleanup(h);
            return ERMES_ENOMEM;
        }
        h->count = i + 1;
    }
    return 0;
}

void ermes__fp_header_cleanup(ermes__fp_header_t *h)
{
    for (size_t i = 0; h->names && i < h->count; i++)
        ermes__free(h->names[i]);
    ermes__free(h->names);
    h->names = NULL;
    h->count = 0;
}

long ermes__fp_header_find(const ermes__fp_header_t *h, const char *name)
{
    for (size_t i = 0; i < h->count; i++)
        if (strcmp(h->names[i], name) == 0)
            return (long)i;
    return -1;
}

ermes__fp_str_t ermes__fp_column(const ermes_csv_record_t *rec, long col)
{
    ermes__fp_str_t s = {"", 0};
    if (col >= 0 && (size_t)col < rec->nfields) {
        s.p = rec->fields[col];
        s.len = rec->lengths[col];
    }
    return s;
}

/* ---- rows ------------------------------------------------------------------------------------ */

void ermes__fp_row(ermes__row_t *row, ermes_diag_t *d, long line, ermes__fp_str_t s)
{
    row->line = line;
    row->raw = s.p;
    row->raw_len = s.len;
    if (d)
        d->line = line;
}

int ermes__fp_reject(ermes_diag_t *d, const char *fmt, ...)
{
    va_list ap;

    if (d) {
        va_start(ap, fmt);
        vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
        va_end(ap);
    }
    return ERMES_EINVAL;
}
