/* Dated URLs of collectors (collect.h): feeds published as one file a day (CZ.NIC HaaS's
 * export/YYYY/MM/YYYY-MM-DD.json.gz) name the day in the URL. "{today:FORMAT}" and
 * "{yesterday:FORMAT}" are replaced with the UTC date of the run in FORMAT; braces cannot
 * stand in a URL unencoded (RFC 3986), so no URL that worked before changes meaning. */
#include "intake/collect.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_FORMAT 64

/* The conversions a date in a URL needs; others (%c, %Z, ...) could put spaces or locale text
 * in the URL. */
static int format_ok(const char *f, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (f[k] == '%') {
            if (k + 1 >= n || !strchr("Ymdjy%", f[k + 1]))
                return 0;
            k++;
        } else if (f[k] <= ' ' || f[k] >= 127 || f[k] == '{' || f[k] == '}') {
            return 0;
        }
    }
    return 1;
}

int ermes__collect_url_expand(const char *tmpl, int64_t now_ms, char *out, size_t cap)
{
    size_t len = 0;
    const char *p = tmpl;

    if (!cap)
        return ERMES_ERANGE;
    while (*p) {
        const char *open = strchr(p, '{'), *colon, *close;
        time_t when = (time_t)(now_ms / 1000);
        struct tm tm;
        size_t n;
        if (!open) {
            n = strlen(p);
            if (len + n >= cap)
                return ERMES_ERANGE;
            memcpy(out + len, p, n);
            len += n;
            break;
        }
        n = (size_t)(open - p);
        if (len + n >= cap)
            return ERMES_ERANGE;
        memcpy(out + len, p, n);
        len += n;
        close = strchr(open, '}');
        colon = strchr(open, ':');
        if (!close || !colon || colon > close)
            return ERMES_EINVAL;
        if ((size_t)(colon - open - 1) == 9 && strncmp(open + 1, "yesterday", 9) == 0)
            when -= 86400;
        else if (!((size_t)(colon - open - 1) == 5 && strncmp(open + 1, "today", 5) == 0))
            return ERMES_EINVAL;
        n = (size_t)(close - colon - 1);
        if (n == 0 || n > MAX_FORMAT || !format_ok(colon + 1, n))
            return ERMES_EINVAL;
        if (!gmtime_r(&when, &tm))
            return ERMES_EINVAL;
        /* By hand rather than strftime: the format is the config file's, not a literal. */
        for (const char *f = colon + 1; f < close; f++) {
            char piece[8];
            int w;
            if (*f != '%') {
                piece[0] = *f;
                piece[1] = '\0';
                w = 1;
            } else {
                switch (*++f) {
                case 'Y':
                    w = snprintf(piece, sizeof(piece), "%04d", tm.tm_year + 1900);
                    break;
                case 'y':
                    w = snprintf(piece, sizeof(piece), "%02d", (tm.tm_year + 1900) % 100);
                    break;
                case 'm':
                    w = snprintf(piece, sizeof(piece), "%02d", tm.tm_mon + 1);
                    break;
                case 'd':
                    w = snprintf(piece, sizeof(piece), "%02d", tm.tm_mday);
                    break;
                case 'j':
                    w = snprintf(piece, sizeof(piece), "%03d", tm.tm_yday + 1);
                    break;
                default: /* "%%", format_ok let no other through */
                    w = snprintf(piece, sizeof(piece), "%%");
                    break;
                }
            }
            if (w < 0 || len + (size_t)w >= cap)
                return ERMES_ERANGE;
            memcpy(out + len, piece, (size_t)w);
            len += (size_t)w;
        }
        p = close + 1;
    }
    out[len] = '\0';
    return 0;
}
