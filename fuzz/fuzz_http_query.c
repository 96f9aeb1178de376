/* libFuzzer target for the query parameters of the list routes (src/http/reply.c): limit and
 * cursor (ermes__page_parse), the id filters such as ?user= and ?report= (ermes__query_int_parse)
 * and the checked integers under them (ermes__parse_int64, src/core/number.c).
 *
 * Input: a raw query string, "limit=5&cursor=c12&user=3". libmicrohttpd splits and decodes it
 * before ermes sees it, so this harness does the same here (split at '&' and the first '=',
 * MHD_http_unescape, the first of repeated names wins as in MHD_lookup_connection_value): the
 * splitting is a stand-in for libmicrohttpd's, what is fuzzed is ermes's reading of the values.
 * Checks: a page read is 1 <= limit <= page_limit and a cursor >= 0 that, given out again as
 * ermes__reply_page writes it, reads back the same; a refusal is ERMES_EPARSE or ERMES_ERANGE
 * naming the parameter with a reason; ermes__parse_int64 agrees with strtoll on every value
 * that is a sign and digits, and refuses every other. Anything else aborts. */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/error.h"
#include "http/http.h"

#define PAGE_LIMIT 1000

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_http_query: %s\n", what);
    abort();
}

/* The value of the first parameter called name in q (split and decoded in place), or NULL. */
static const char *lookup(char **names, char **values, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    return NULL;
}

/* What the value should give by another route: strtoll over a sign and digits only. */
static void differential(const char *v, int64_t min, int64_t max, int rc, int64_t got)
{
    const char *p = v + (v[0] == '+' || v[0] == '-');
    long long want;
    char *end;

    if (!*p || strspn(p, "0123456789") != strlen(p)) {
        check(rc == ERMES_EPARSE, "a value that is not an integer was not refused as one");
        return;
    }
    errno = 0;
    want = strtoll(v, &end, 10);
    check(*end == '\0', "strtoll stopped early on digits");
    if (errno == ERANGE || want < min || want > max) {
        check(rc == ERMES_ERANGE, "an integer out of range was not refused as one");
        return;
    }
    check(rc == 0 && got == want, "an integer in range read differently from strtoll");
}

static void one_int(const char *v, const char *name, int64_t min, int64_t max)
{
    ermes_diag_t d;
    int64_t out = -7;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__query_int_parse(v, name, min, max, &out, &d);
    if (!v) {
        check(rc == 0 && out == -7, "an absent parameter was read");
        return;
    }
    if (rc) {
        check(rc == ERMES_EPARSE || rc == ERMES_ERANGE, "unexpected error code");
        check(strcmp(d.field, name) == 0 && d.reason[0], "a refusal without field or reason");
        check(out == -7, "a refused value was stored");
    } else {
        check(out >= min && out <= max, "a value out of its range was accepted");
    }
    differential(v, min, max, rc, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1), *names[64], *values[64], *p, *amp;
    size_t n = 0;
    const char *limit_text, *cursor_text;
    long limit = -1;
    int64_t cursor = -1;
    ermes_diag_t d;
    int rc;

    if (!q)
        return 0;
    memcpy(q, data, size);
    q[size] = '\0';
    for (p = q; p && n < 64; p = amp) {
        char *eq;
        if ((amp = strchr(p, '&')))
            *amp++ = '\0';
        if ((eq = strchr(p, '=')))
            *eq++ = '\0';
        MHD_http_unescape(p);
        if (eq)
            MHD_http_unescape(eq);
        names[n] = p;
        values[n++] = eq ? eq : p + strlen(p); /* "?limit" alone is an empty value */
    }
    limit_text = lookup(names, values, n, "limit");
    cursor_text = lookup(names, values, n, "cursor");

    ermes_diag_clear(&d);
    rc = ermes__page_parse(limit_text, cursor_text, PAGE_LIMIT, &limit, &cursor, &d);
    if (rc == 0) {
        char again[32];
        int64_t back = -1;
        check(limit >= 1 && limit <= PAGE_LIMIT, "a page limit out of range");
        check(limit_text || limit == 100, "no limit did not give the default page");
        check(cursor >= 0, "a negative cursor");
        check(cursor_text && *cursor_text ? cursor_text[0] == 'c' : cursor == 0,
              "a cursor accepted without its 'c', or a missing one not 0");
        /* ermes__reply_page gives out "c<last id>": it must read back as that id. */
        snprintf(again, sizeof(again), "c%lld", (long long)cursor);
        check(ermes__cursor_parse(again, &back, NULL) == 0 && back == cursor,
              "a cursor the server gives out does not read back");
    } else {
        check(rc == ERMES_EPARSE || rc == ERMES_ERANGE, "unexpected error code");
        check((strcmp(d.field, "limit") == 0 || strcmp(d.field, "cursor") == 0) && d.reason[0],
              "a refused page without field or reason");
        check(strcmp(d.field, "cursor") != 0 || limit >= 1, "a cursor read before the limit");
    }
    if (limit_text)
        one_int(limit_text, "limit", 1, PAGE_LIMIT);
    one_int(lookup(names, values, n, "user"), "user", 1, INT64_MAX);
    one_int(lookup(names, values, n, "report"), "report", 1, INT64_MAX);
    one_int(lookup(names, values, n, "min"), "min", INT64_MIN, INT64_MAX);
    free(q);
    return 0;
}
