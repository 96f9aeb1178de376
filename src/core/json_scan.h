/* The scanner that both fast JSON readers share: json_read.c (into jansson values) and
 * src/advisories/csaf_doc.c (into the CSAF validator's own representation). Whitespace,
 * strings (strict UTF-8, escapes decoded into a scratch buffer), numbers and literals, each
 * accepting exactly what jansson's json_loadb accepts for that token; the callers build the
 * values. Static inline: these run once per token of a 33 KiB advisory. */
#ifndef ERMES_CORE_JSON_SCAN_H
#define ERMES_CORE_JSON_SCAN_H

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/number.h"
#include "ermes/error.h"

/* Longest number token taken on; longer ones (legal but never seen in real documents) are
 * left to jansson. */
#define ERMES__JSON_NUMBER_MAX 64

typedef struct ermes__json_scan {
    const unsigned char *p, *end;
    char *buf; /* scratch for decoded strings (caller frees with ermes__free) */
    size_t cap;
    int rc; /* ERMES_ENOMEM once an allocation failed */
} ermes__json_scan_t;

/* 1 for bytes that end the plain run of a string: '"', '\\', control characters and every
 * byte >= 0x80 (checked as UTF-8 separately). */
static const unsigned char ermes__json_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Called between every two tokens; documents are mostly indented, so most calls see a
 * newline and a run of spaces: eight spaces are skipped at a time, the rest of a run in one
 * step, and a token that follows at once costs one comparison. */
static inline void ermes__json_skip_ws(ermes__json_scan_t *r)
{
    if (r->p<r->end && * r->p> ' ')
        return;
    while (r->p < r->end) {
        if (r->end - r->p >= 8) {
            uint64_t w, x;
            memcpy(&w, r->p, 8);
            x = w ^ 0x2020202020202020ull;
            if (x == 0) {
                r->p += 8;
                continue;
            }
            /* The spaces before the first other byte (bytes are in memory order: the lowest
             * is first on a little-endian machine) are passed in one step: an indentation
             * costs one word, not a test per space. */
            if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
                r->p += __builtin_ctzll(x) / 8;
        }
        if (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')
            r->p++;
        else
            break;
    }
}

/* The length of the well-formed UTF-8 sequence at p (strict: shortest form, no surrogates,
 * at most U+10FFFF), or 0. */
static inline size_t ermes__json_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n = (size_t)(end - p);

    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0; /* overlong, or a surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0; /* overlong, or past U+10FFFF */
        return 4;
    }
    return 0;
}

static inline int ermes__json_hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
    unsigned v = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static inline int ermes__json_reserve(ermes__json_scan_t *r, size_t need)
{
    if (need <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : 256;
    while (cap < need)
        cap *= 2;
    char *b = ermes__realloc(r->buf, cap);
    if (!b) {
        r->rc = ERMES_ENOMEM;
        return -1;
    }
    r->buf = b;
    r->cap = cap;
    return 0;
}

/* Skips the plain bytes of a string eight at a time: a word is passed over when none of its
 * bytes is '"', '\\', a control character or >= 0x80 (each test exact as to whether such a
 * byte is present), then the byte loop finds the stop within the word. Strings are most of an
 * advisory's bytes, and a table lookup per byte was a tenth of reading one. */
static inline const unsigned char *ermes__json_plain_run(const unsigned char *p,
                                                         const unsigned char *end)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;

    while (end - p >= 8) {
        uint64_t w, q, b, stop;
        memcpy(&w, p, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        /* Per byte: below 0x20, equal to '"' (q's byte zero), equal to '\\' (b's), or
         * with the high bit set. */
        stop = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & high;
        if (stop) {
            /* A subtraction borrows into the byte above only from a byte that is itself a
             * stop, so the lowest flagged byte is the first stop (on a little-endian machine
             * the first in memory): reached in one step, not a lookup per byte. */
            if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
                return p + __builtin_ctzll(stop) / 8;
            break;
        }
        p += 8;
    }
    while (p < end && !ermes__json_stop[*p])
        p++;
    return p;
}

/* Reads the string whose opening quote r->p points at. *s and *n give its decoded bytes: in
 * the input when it has no escape, else in r->buf (valid until the next string). */
static inline int ermes__json_read_string(ermes__json_scan_t *r, const char **s, size_t *n)
{
    const unsigned char *start = ++r->p, *p = start, *end = r->end;
    size_t len;

    for (;;) {
        p = ermes__json_plain_run(p, end);
        if (p == end)
            return -1;
        if (*p == '"') {
            *s = (const char *)start;
            *n = (size_t)(p - start);
            r->p = p + 1;
            return 0;
        }
        if (*p == '\\')
            break;
        if (*p < 0x80)
            return -1; /* a control character */
        size_t k = ermes__json_utf8_seq(p, end);
        if (!k)
            return -1;
        p += k;
    }
    /* An escape: decode from here on into the scratch buffer. Decoded text is never longer
     * than its source. */
    if (ermes__json_reserve(r, (size_t)(end - start) + 1))
        return -1;
    len = (size_t)(p - start);
    memcpy(r->buf, start, len);
    for (;;) {
        while (p < end && !ermes__json_stop[*p])
            r->buf[len++] = (char)*p++;
        if (p == end)
            return -1;
        if (*p == '"') {
            *s = r->buf;
            *n = len;
            r->p = p + 1;
            return 0;
        }
        if (*p >= 0x80) {
            size_t k = ermes__json_utf8_seq(p, end);
            if (!k)
                return -1;
            memcpy(r->buf + len, p, k);
            len += k;
            p += k;
            continue;
        }
        if (*p != '\\' || p + 1 >= end)
            return -1;
        unsigned char e = p[1];
        p += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            r->buf[len++] = (char)e;
            continue;
        case 'b':
            r->buf[len++] = '\b';
            continue;
        case 'f':
            r->buf[len++] = '\f';
            continue;
        case 'n':
            r->buf[len++] = '\n';
            continue;
        case 'r':
            r->buf[len++] = '\r';
            continue;
        case 't':
            r->buf[len++] = '\t';
            continue;
        case 'u':
            break;
        default:
            return -1;
        }
        unsigned cp, lo;
        if (ermes__json_hex4(p, end, &cp))
            return -1;
        p += 4;
        if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
            return -1; /* \u0000 or a lone low surrogate */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || ermes__json_hex4(p + 2, end, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF)
                return -1;
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        /* \uXXXX is 6 bytes of source and at most 3 of UTF-8, a pair 12 and 4. */
        char *o = r->buf + len;
        if (cp < 0x80) {
            o[0] = (char)cp;
            len += 1;
        } else if (cp < 0x800) {
            o[0] = (char)(0xC0 | cp >> 6);
            o[1] = (char)(0x80 | (cp & 0x3F));
            len += 2;
        } else if (cp < 0x10000) {
            o[0] = (char)(0xE0 | cp >> 12);
            o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[2] = (char)(0x80 | (cp & 0x3F));
            len += 3;
        } else {
            o[0] = (char)(0xF0 | cp >> 18);
            o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[3] = (char)(0x80 | (cp & 0x3F));
            len += 4;
        }
    }
}

static inline int ermes__json_is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* Reads a number as jansson reads it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, an
 * integer (*real 0, *i) when it has neither fraction nor exponent, else a real (*real 1, *d).
 * Returns -1 for what jansson refuses (an integer past int64, a real that overflows) and for
 * reals longer than ERMES__JSON_NUMBER_MAX, left to jansson. */
static inline int ermes__json_read_number(ermes__json_scan_t *r, int *real, int64_t *i, double *d)
{
    const unsigned char *p = r->p, *end = r->end, *start = p;
    char text[ERMES__JSON_NUMBER_MAX + 1];

    *real = 0;
    if (*p == '-')
        p++;
    if (!ermes__json_is_digit(p, end))
        return -1;
    if (*p == '0') {
        p++;
        if (ermes__json_is_digit(p, end))
            return -1;
    } else {
        while (ermes__json_is_digit(p, end))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        *real = 1;
        if (!ermes__json_is_digit(p, end))
            return -1;
        while (ermes__json_is_digit(p, end))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        *real = 1;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!ermes__json_is_digit(p, end))
            return -1;
        while (ermes__json_is_digit(p, end))
            p++;
    }
    size_t n = (size_t)(p - start);
    r->p = p;
    if (!*real)
        return ermes__parse_int64_n((const char *)start, n, NULL, INT64_MIN, INT64_MAX, i, NULL)
                   ? -1
                   : 0;
    if (n > ERMES__JSON_NUMBER_MAX)
        return -1;
    memcpy(text, start, n);
    text[n] = '\0';
    /* Overflow fails (jansson refuses it too); underflow keeps the tiny value, as jansson. */
    return ermes__parse_double(text, NULL, -DBL_MAX, DBL_MAX, d, NULL) ? -1 : 0;
}

/* Reads the literal word (true, false, null) at r->p: 1 when it is there and not followed
 * by a letter (jansson reads a run of letters as one token: "truex" is not "true"). */
static inline int ermes__json_literal(ermes__json_scan_t *r, const char *word, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    if (r->p < r->end && ((*r->p >= 'a' && *r->p <= 'z') || (*r->p >= 'A' && *r->p <= 'Z')))
        return 0;
    return 1;
}

#endif
