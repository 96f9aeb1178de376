/* Harmonization: IntelMQ's field types (intelmq/lib/harmonization.py) as sanitisers that turn a
 * feed's text into the canonical text an IntelMQ event would carry, plus the time converters
 * and the RSIT taxonomy (machinev1, version 1003) with IntelMQ's additions and legacy names.
 *
 * Every function here works on (pointer, length) input that need not be NUL-terminated, writes
 * into the caller's buffer and allocates nothing, except the JSON type, which goes through
 * jansson. */
#include "model/harmonize.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/number.h"
#include "core/time.h"
#include "ermes/event.h"
#include "ermes/net.h"
#include "ermes/tlp.h"

/* ---- small helpers ------------------------------------------------------------------------ */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char to_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static unsigned char to_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 32) : c;
}

/* Case-insensitive (ASCII) comparison of s[0..len) with the lower-case literal lit. */
static int eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t k;

    for (k = 0; k < len; k++)
        if (lit[k] == '\0' || to_lower((unsigned char)s[k]) != (unsigned char)lit[k])
            return 0;
    return lit[k] == '\0';
}

static void trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;

    while (n && is_space((unsigned char)p[0])) {
        p++;
        n--;
    }
    while (n && is_space((unsigned char)p[n - 1]))
        n--;
    *s = p;
    *len = n;
}

/* Bytes 8 at a time: whether any has its high bit set, or is NUL. */
#define HIGH_BITS 0x8080808080808080ull
#define LOW_BITS 0x0101010101010101ull

static uint64_t load8(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

/* Length of the leading run of s[0..len) that is ASCII (no byte >= 0x80), and whether that
 * run holds a NUL (*nul). Whole 8-byte words first, then bytes. */
static size_t ascii_prefix(const unsigned char *p, size_t len, int *nul)
{
    size_t i = 0;
    uint64_t zeros = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w = load8(p + i);
        if (w & HIGH_BITS)
            break;
        /* Each byte is < 0x80 here, so (w - 0x01..) sets a high bit only where a byte was 0. */
        zeros |= (w - LOW_BITS) & HIGH_BITS;
    }
    for (; i < len && p[i] < 0x80; i++)
        zeros |= p[i] == 0;
    *nul = zeros != 0;
    return i;
}

int ermes__utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned char c = *p;
        size_t need;
        uint32_t cp, min;

        if (c < 0x80) {
            int nul;
            p += ascii_prefix(p, (size_t)(end - p), &nul);
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return 0;
        }
        if ((size_t)(end - p) <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += need + 1;
    }
    return 1;
}

int ermes__text_check(const char *s, size_t len)
{
    int nul;
    size_t a = ascii_prefix((const unsigned char *)s, len, &nul);

    if (nul || (a < len && memchr(s + a, '\0', len - a)))
        return 1;
    return a < len && !ermes__utf8_valid(s + a, len - a) ? 2 : 0;
}

size_t ermes__i64_format(int64_t v, char *buf)
{
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, t = u;
    size_t n = v < 0, len;

    /* Count the digits, then write them from the end. */
    do {
        n++;
        t /= 10;
    } while (t);
    len = n;
    buf[n] = '\0';
    do {
        buf[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[0] = '-';
    return len;
}

/* A printable excerpt of a value for a reason: at most 64 bytes, cut at a character boundary,
 * control characters and bytes that are not UTF-8 shown as '?', "..." when cut. out holds 72
 * bytes. */
static const char *excerpt(const char *s, size_t len, char *out)
{
    size_t i = 0, o = 0;

    while (i < len && o < 64) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

        if (c < 0x20 || c == 0x7F) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (n > 1 && (i + n > len || !ermes__utf8_valid(s + i, n))) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (o + n > 64)
            break;
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* Sets d's reason to "\"<value>\" <what>". */
#define REJECT(d, s, len, what)                                                                    \
    do {                                                                                           \
        char ex_[72];                                                                              \
        ermes_diag_set((d), NULL, "\"%s\" %s", excerpt((s), (len), ex_), (what));                  \
    } while (0)

/* Copies s[0..len) to buf with a NUL, or ERMES_ETOOBIG. */
static int put(const char *s, size_t len, char *buf, size_t cap, size_t *outlen)
{
    if (len >= cap)
        return ERMES_ETOOBIG;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *outlen = len;
    return 0;
}

/* ---- strings --------------------------------------------------------------------------------- */

/* String, LowercaseString, UppercaseString: case 0, 1 (lower) or 2 (upper). */
static int h_string(const char *s, size_t len, int mapcase, char *buf, size_t cap, size_t *outlen)
{
    if (len >= cap)
        return ERMES_ETOOBIG;
    if (mapcase == 0) {
        memcpy(buf, s, len);
    } else if (mapcase == 1) {
        for (size_t k = 0; k < len; k++)
            buf[k] = (char)to_lower((unsigned char)s[k]);
    } else {
        for (size_t k = 0; k < len; k++)
            buf[k] = (char)to_upper((unsigned char)s[k]);
    }
    buf[len] = '\0';
    *outlen = len;
    return 0;
}

/* ---- numbers --------------------------------------------------------------------------------- */

/* Parses [+-]digits into *v (int64). Returns 0, 1 (not an integer) or 2 (out of range). */
static int parse_int64(const char *s, size_t len, int64_t *v)
{
    size_t i = 0;
    int neg = 0;
    uint64_t acc = 0, lim;

    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == len)
        return 1;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d;
        if (!is_digit((unsigned char)s[i]))
            return 1;
        d = (unsigned)(s[i] - '0');
        if (acc > (lim - d) / 10)
            return 2;
        acc = acc * 10 + d;
    }
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

static int h_integer(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                     ermes_diag_t *d)
{
    int64_t v;
    char tmp[24];
    int rc = parse_int64(s, len, &v), n;

    if (rc == 1) {
        REJECT(d, s, len, "is not an integer (expected optional sign and decimal digits)");
        return ERMES_EINVAL;
    }
    if (rc == 2) {
        REJECT(d, s, len, "is out of the 64-bit integer range");
        return ERMES_EINVAL;
    }
    n = (int)ermes__i64_format(v, tmp);
    return put(tmp, (size_t)n, buf, cap, outlen);
}

size_t ermes__float_format(double v, char *buf)
{
    char e[40], digits[20];
    int prec, exp10, nd = 0, neg, pos = 0;
    char *p;

    if (v == 0) {
        memcpy(buf, signbit(v) ? "-0.0" : "0.0", signbit(v) ? 5 : 4);
        return signbit(v) ? 4 : 3;
    }
    /* Any decimal of up to 15 significant digits survives a trip through a double
     * (DBL_DIG), so if 15 digits read back the same value, the shortest form is those digits
     * without their trailing zeros; otherwise 16 or 17 digits are needed. */
    for (prec = 14; prec <= 16; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    neg = e[0] == '-';
    p = e + neg;
    for (; *p && *p != 'e'; p++)
        if (is_digit((unsigned char)*p))
            digits[nd++] = *p;
    exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        buf[pos++] = '-';
    /* Python's repr: positional notation for 1e-4 <= |v| < 1e16, else scientific. */
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            buf[pos++] = '0';
            buf[pos++] = '.';
            for (int k = -1; k > exp10; k--)
                buf[pos++] = '0';
            memcpy(buf + pos, digits, (size_t)nd);
            pos += nd;
        } else {
            for (int k = 0; k <= exp10; k++)
                buf[pos++] = k < nd ? digits[k] : '0';
            buf[pos++] = '.';
            if (nd > exp10 + 1) {
                memcpy(buf + pos, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
                pos += nd - exp10 - 1;
            } else {
                buf[pos++] = '0';
            }
        }
    } else {
        buf[pos++] = digits[0];
        if (nd > 1) {
            buf[pos++] = '.';
            memcpy(buf + pos, digits + 1, (size_t)(nd - 1));
            pos += nd - 1;
        }
        pos += snprintf(buf + pos, ERMES__FLOAT_STRLEN - (size_t)pos, "e%c%02d",
                        exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    buf[pos] = '\0';
    return (size_t)pos;
}

/* Parses a decimal floating-point number (no hex, inf or nan) into *v. 0 or -1. */
static int parse_double(const char *s, size_t len, double *v)
{
    char tmp[512];
    int digits = 0;

    if (len == 0 || len >= sizeof(tmp))
        return -1;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (is_digit(c))
            digits++;
        else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E')
            return -1;
    }
    if (!digits)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return ermes__parse_double(tmp, "float", -DBL_MAX, DBL_MAX, v, NULL) ? -1 : 0;
}

static int h_float(const char *s, size_t len, int accuracy, char *buf, size_t cap, size_t *outlen,
                   ermes_diag_t *d)
{
    char tmp[ERMES__FLOAT_STRLEN];
    double v;

    if (parse_double(s, len, &v)) {
        REJECT(d, s, len, "is not a finite decimal number");
        return ERMES_EINVAL;
    }
    if (accuracy && !(v >= 0 && v <= 100)) {
        REJECT(d, s, len, "is not an accuracy (expected a number from 0 to 100)");
        return ERMES_EINVAL;
    }
    if (v == 0)
        v = 0; /* no "-0.0" */
    return put(tmp, ermes__float_format(v, tmp), buf, cap, outlen);
}

static int h_boolean(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                     ermes_diag_t *d)
{
    static const char *const yes[] = {"true", "1", "yes", "y"};
    static const char *const no[] = {"false", "0", "no", "n"};

    for (size_t k = 0; k < 4; k++) {
        if (eq_nocase(s, len, yes[k]))
            return put("true", 4, buf, cap, outlen);
        if (eq_nocase(s, len, no[k]))
            return put("false", 5, buf, cap, outlen);
    }
    REJECT(d, s, len, "is not a boolean (expected true/false, 1/0, yes/no or y/n)");
    return ERMES_EINVAL;
}

static int h_asn(const char *s, size_t len, char *buf, size_t cap, size_t *outlen, ermes_diag_t *d)
{
    const char *p = s;
    size_t n = len;
    int64_t v;
    char tmp[24];
    int k;

    if (n >= 2 && to_upper((unsigned char)p[0]) == 'A' && to_upper((unsigned char)p[1]) == 'S') {
        p += 2;
        n -= 2;
        trim(&p, &n);
    }
    if (parse_int64(p, n, &v) || v < 1 || v > 4294967295LL) {
        REJECT(d, s, len, "is not an AS number (expected 1 to 4294967295, \"AS\" optional)");
        return ERMES_EINVAL;
    }
    k = (int)ermes__i64_format(v, tmp);
    return put(tmp, (size_t)k, buf, cap, outlen);
}

/* ---- addresses and names ------------------------------------------------------------------ */

static int h_ip(const char *s, size_t len, char *buf, size_t cap, size_t *outlen, ermes_diag_t *d)
{
    const char *p = s;
    size_t n = len;
    ermes_ip_t ip;
    char tmp[ERMES_IP_STRLEN];
    int host = 0;

    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
    }
    /* IntelMQ accepts a network of one address ("192.0.2.1/32"). */
    for (size_t k = 0; k < n; k++)
        if (p[k] == '/') {
            ermes_cidr_t net;
            if (ermes_cidr_parse(p, n, 0, &net, NULL) == 0 &&
                net.prefix == (net.addr.family == ERMES_AF_INET ? 32 : 128)) {
                ip = net.addr;
                host = 1;
            }
            break;
        }
    if (!host && ermes_ip_parse(p, n, &ip, NULL)) {
        REJECT(d, s, len, "is not an IP address");
        return ERMES_EINVAL;
    }
    {
        static const uint8_t zero[16];
        if (memcmp(ip.bytes, zero, 16) == 0) {
            REJECT(d, s, len, "is the unspecified address, not a valid IP address");
            return ERMES_EINVAL;
        }
    }
    return put(tmp, ermes_ip_format(&ip, tmp), buf, cap, outlen);
}

static int h_network(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                     ermes_diag_t *d)
{
    ermes_cidr_t net;
    char tmp[ERMES_CIDR_STRLEN];

    if (ermes_cidr_parse(s, len, ERMES_CIDR_LENIENT, &net, NULL)) {
        REJECT(d, s, len, "is not an IP network (expected address/prefix)");
        return ERMES_EINVAL;
    }
    return put(tmp, ermes_cidr_format(&net, tmp), buf, cap, outlen);
}

/* Whether s[0..n) has only characters an IP address can have (so that names need not go
 * through the address parser, which builds a reason for every name it refuses). */
static int ip_chars(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
              c == ':'))
            return 0;
    }
    return 1;
}

/* FQDN: a host name in lower case without the trailing dot; IDNA U-labels must come as
 * A-labels ("xn--..."): IntelMQ encodes them with Python's idna codec, which we do not carry. */
static int h_fqdn(const char *s, size_t len, char *buf, size_t cap, size_t *outlen, ermes_diag_t *d)
{
    size_t n = len, label = 0;
    ermes_ip_t ip;

    if (n && s[n - 1] == '.')
        n--;
    if (n == 0) {
        REJECT(d, s, len, "is not a domain name (empty)");
        return ERMES_EINVAL;
    }
    if (n > 253) {
        REJECT(d, s, len, "is not a domain name (longer than 253 characters)");
        return ERMES_EINVAL;
    }
    if (ip_chars(s, n) && ermes_ip_parse(s, n, &ip, NULL) == 0) {
        REJECT(d, s, len, "is an IP address, not a domain name");
        return ERMES_EINVAL;
    }
    if (n >= cap)
        return ERMES_ETOOBIG;
    for (size_t k = 0; k <= n; k++) {
        unsigned char c = k < n ? (unsigned char)s[k] : '.';
        if (c == '.') {
            if (label == 0 || label > 63) {
                REJECT(d, s, len,
                       "is not a domain name (a label is empty or longer than 63 characters)");
                return ERMES_EINVAL;
            }
            label = 0;
        } else if (c >= 0x80) {
            REJECT(d, s, len,
                   "is not an ASCII domain name (use the IDNA A-label form, \"xn--...\")");
            return ERMES_EINVAL;
        } else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
            label++;
        } else {
            REJECT(d, s, len,
                   "is not a domain name (only letters, digits, '-', '_' and '.' are allowed)");
            return ERMES_EINVAL;
        }
        if (k < n)
            buf[k] = (char)to_lower(c);
    }
    buf[n] = '\0';
    *outlen = n;
    return 0;
}

/* Appends s[0..n) to buf at *pos, or ERMES_ETOOBIG (room is kept for the NUL). */
static int append(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (n >= cap - *pos)
        return ERMES_ETOOBIG;
    memcpy(buf + *pos, s, n);
    *pos += n;
    return 0;
}

/* URL, after IntelMQ's URL sanitizer: "hxxp://" and "hxxps://" become http and https, a value
 * without a scheme gets "http://" in front, "file:" without a host gets "localhost", and a host
 * is required. We also undo the "[.]" defanging and lower-case the scheme and the host
 * (RFC 3986 section 6.2.2.1); path, query and fragment are kept as given. */
static int h_url(const char *s, size_t len, char *buf, size_t cap, size_t *outlen, ermes_diag_t *d)
{
    size_t i = 0, pos = 0, auth, end, host, hostend, k;
    int rc;

    for (k = 0; k < len; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7F) {
            REJECT(d, s, len, "is not a URL (it holds control characters)");
            return ERMES_EINVAL;
        }
    if (cap < 1)
        return ERMES_ETOOBIG;
    /* RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
    if (len && is_alpha((unsigned char)s[0])) {
        k = 1;
        while (k < len && (is_alpha((unsigned char)s[k]) || is_digit((unsigned char)s[k]) ||
                           s[k] == '+' || s[k] == '-' || s[k] == '.'))
            k++;
        if (len - k >= 3 && memcmp(s + k, "://", 3) == 0) {
            if (eq_nocase(s, k, "hxxp"))
                rc = append(buf, cap, &pos, "http", 4);
            else if (eq_nocase(s, k, "hxxps"))
                rc = append(buf, cap, &pos, "https", 5);
            else
                rc = append(buf, cap, &pos, s, k);
            if (rc)
                return rc;
            for (size_t j = 0; j < pos; j++)
                buf[j] = (char)to_lower((unsigned char)buf[j]);
            i = k + 3;
        }
    }
    if (pos == 0) {
        /* No scheme: "//host/path" or "host/path". */
        if (len >= 2 && s[0] == '/' && s[1] == '/')
            i = 2;
        if ((rc = append(buf, cap, &pos, "http", 4)))
            return rc;
    }
    if ((rc = append(buf, cap, &pos, "://", 3)))
        return rc;
    auth = pos;
    if (pos == 7 && memcmp(buf, "file", 4) == 0 && i < len && s[i] == '/' &&
        (rc = append(buf, cap, &pos, "localhost", 9)))
        return rc;
    while (i < len) {
        if ((rc = append(buf, cap, &pos, s + i, 1)))
            return rc;
        i++;
        /* Undo "[.]" as the output grows, so that nested defanging ("[[.].]") is undone
         * completely and sanitising the result again changes nothing. */
        if (pos - auth >= 3 && memcmp(buf + pos - 3, "[.]", 3) == 0) {
            pos -= 2;
            buf[pos - 1] = '.';
        }
    }
    buf[pos] = '\0';
    /* The authority ends at the first '/', '?' or '#' (RFC 3986 section 3.2). */
    for (end = auth; end < pos && buf[end] != '/' && buf[end] != '?' && buf[end] != '#'; end++)
        ;
    host = auth;
    for (k = auth; k < end; k++)
        if (buf[k] == '@')
            host = k + 1;
    hostend = end;
    if (host < end && buf[host] == '[') {
        ermes_ip_t ip;
        for (k = host; k < end && buf[k] != ']'; k++)
            ;
        if (k == end || ermes_ip_parse(buf + host + 1, k - host - 1, &ip, NULL) ||
            ip.family != ERMES_AF_INET6) {
            REJECT(d, s, len, "is not a URL (bad IPv6 address in brackets)");
            return ERMES_EINVAL;
        }
        hostend = k + 1;
        if (hostend < end && buf[hostend] != ':') {
            REJECT(d, s, len, "is not a URL (text after the IPv6 address)");
            return ERMES_EINVAL;
        }
    } else {
        for (k = host; k < end; k++)
            if (buf[k] == ':') {
                hostend = k;
                break;
            }
    }
    if (hostend == host) {
        REJECT(d, s, len, "is not a URL (a host is required)");
        return ERMES_EINVAL;
    }
    for (k = host; k < hostend; k++) {
        unsigned char c = (unsigned char)buf[k];
        if (c == ' ' || c == '\\' || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' ||
            c == '|' || c == '^' || c == '`') {
            REJECT(d, s, len, "is not a URL (the host holds a character not allowed there)");
            return ERMES_EINVAL;
        }
        buf[k] = (char)to_lower(c);
    }
    if (hostend < end) {
        /* hostend is at ':': a port, digits only (empty is allowed by RFC 3986). */
        for (k = hostend + 1; k < end; k++)
            if (!is_digit((unsigned char)buf[k])) {
                REJECT(d, s, len, "is not a URL (the port is not a number)");
                return ERMES_EINVAL;
            }
        if (end - hostend - 1 > 5 || (end - hostend - 1 > 0 && atoi(buf + hostend + 1) > 65535)) {
            REJECT(d, s, len, "is not a URL (the port is above 65535)");
            return ERMES_EINVAL;
        }
    }
    for (k = auth; k < host; k++)
        if (buf[k] == ' ') {
            REJECT(d, s, len, "is not a URL (spaces in the user part)");
            return ERMES_EINVAL;
        }
    *outlen = pos;
    return 0;
}

/* ---- time ----------------------------------------------------------------------------------- */

/* Python's datetime range: 0001-01-01T00:00:00 to 9999-12-31T23:59:59.999999 UTC. */
#define US_MIN (-62135596800LL * 1000000)
#define US_MAX (253402300800LL * 1000000 - 1)

/* Reads exactly n digits at s[*i]; -1 if any is missing. */
static int digits_n(const char *s, size_t len, size_t *i, int n)
{
    int v = 0;

    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || !is_digit((unsigned char)s[*i]))
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    return v;
}

/* Microseconds since the epoch of a civil UTC date and time (fields already checked). */
static int64_t civil_us(int y, int mo, int da, int h, int mi, int se, int64_t frac_us)
{
    int64_t days = ermes__days_from_civil(y, (unsigned)mo, (unsigned)da);

    return (days * 86400 + h * 3600 + mi * 60 + se) * 1000000 + frac_us;
}

int ermes__datetime_parse_us(const char *s, size_t len, int64_t *us, ermes_diag_t *d)
{
    size_t i = 0;
    int y, mo, da, h = 0, mi = 0, se = 0, off = 0, rc;
    int64_t frac = 0, v;

    y = digits_n(s, len, &i, 4);
    if (y < 1 || i >= len || s[i++] != '-' || (mo = digits_n(s, len, &i, 2)) < 1 || mo > 12 ||
        i >= len || s[i++] != '-' || (da = digits_n(s, len, &i, 2)) < 1 ||
        da > ermes__days_in_month(y, mo))
        goto bad_date;
    if ((rc = ermes__time_date_end(s, len, &i)) != 0) {
        if (rc > 0)
            goto done;
        goto bad_time;
    }
    if ((h = digits_n(s, len, &i, 2)) < 0 || i >= len || s[i++] != ':' ||
        (mi = digits_n(s, len, &i, 2)) < 0 || h > 23 || mi > 59)
        goto bad_time;
    if (i < len && s[i] == ':') {
        i++;
        if ((se = digits_n(s, len, &i, 2)) < 0 || se > 60)
            goto bad_time;
        /* RFC 3339 section 5.6 allows a leap second; Python's datetime does not: fold it. */
        if (se == 60)
            se = 59;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            i++;
            /* Like dateutil, keep microseconds and drop finer digits. */
            if (ermes__time_fraction(s, len, &i, 6, &frac))
                goto bad_time;
        }
    }
    if (i < len && s[i] == ' ')
        i++;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (len - i == 3 && (eq_nocase(s + i, 3, "utc") || eq_nocase(s + i, 3, "gmt"))) {
        i += 3;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
        i++;
        if ((oh = digits_n(s, len, &i, 2)) < 0 || oh > 23)
            goto bad_zone;
        /* +hh:mm, +hhmm or +hh; a colon needs the minutes after it. */
        if (i < len && s[i] == ':' && ++i == len)
            goto bad_zone;
        if (i < len && (om = digits_n(s, len, &i, 2)) < 0)
            goto bad_zone;
        if (om > 59)
            goto bad_zone;
        off = sign * (oh * 60 + om);
    }
    if (i != len)
        goto bad_zone;
done:
    v = civil_us(y, mo, da, h, mi, se, frac) - (int64_t)off * 60 * 1000000;
    if (v < US_MIN || v > US_MAX) {
        REJECT(d, s, len, "is outside the years 1 to 9999 once converted to UTC");
        return ERMES_EINVAL;
    }
    *us = v;
    return 0;
bad_date:
    REJECT(d, s, len, "is not a date-time (expected YYYY-MM-DD, a valid date)");
    return ERMES_EINVAL;
bad_time:
    REJECT(d, s, len, "is not a date-time (expected HH:MM[:SS[.ffffff]] after the date)");
    return ERMES_EINVAL;
bad_zone:
    REJECT(d, s, len, "is not a date-time (expected Z, +hh:mm or nothing after the time)");
    return ERMES_EINVAL;
}

size_t ermes__datetime_format_us(int64_t us, char *buf)
{
    int64_t secs;
    unsigned frac;
    size_t n = 19;

    if (us < US_MIN)
        us = US_MIN;
    if (us > US_MAX)
        us = US_MAX;
    secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
    frac = (unsigned)(us - secs * 1000000);
    ermes__time_put_seconds(secs, buf);
    /* Python's isoformat() shows microseconds only when they are not zero. */
    if (frac) {
        buf[19] = '.';
        for (int k = 25; k >= 20; k--) {
            buf[k] = (char)('0' + frac % 10);
            frac /= 10;
        }
        n = 26;
    }
    memcpy(buf + n, "+00:00", 7);
    return n + 6;
}

size_t ermes_time_format_intelmq(int64_t ms, char *buf)
{
    if (ms < US_MIN / 1000)
        ms = US_MIN / 1000;
    if (ms > US_MAX / 1000)
        ms = US_MAX / 1000;
    return ermes__datetime_format_us(ms * 1000, buf);
}

static int h_datetime(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                      ermes_diag_t *d)
{
    int64_t us;
    char tmp[40];
    int rc = ermes__datetime_parse_us(s, len, &us, d);

    if (rc)
        return rc;
    return put(tmp, ermes__datetime_format_us(us, tmp), buf, cap, outlen);
}

/* Floor division of a by b (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-(a + 1)) / b) - 1;
}

/* Epoch numbers: [-]digits[.digits] scaled by unit (ms per unit: 1000 for seconds, 1 for
 * milliseconds) into ms. Returns 0 or -1. */
static int parse_epoch(const char *s, size_t len, int64_t unit, int64_t *ms)
{
    size_t i = 0, intdigits = 0;
    int neg = 0;
    int64_t whole = 0, frac = 0, fscale = 1;

    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    for (; i < len && is_digit((unsigned char)s[i]); i++, intdigits++) {
        /* 13 digits of seconds reach far beyond the year 9999; stop before overflow. */
        if (whole > INT64_MAX / 10 / 1000)
            return -1;
        whole = whole * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        size_t fd = 0;
        i++;
        for (; i < len && is_digit((unsigned char)s[i]); i++, fd++)
            if (fscale < 1000000000) {
                frac = frac * 10 + (s[i] - '0');
                fscale *= 10;
            }
        if (fd == 0 && intdigits == 0)
            return -1;
    }
    if (i != len || (intdigits == 0 && fscale == 1))
        return -1;
    /* whole * unit + frac * unit / fscale, truncated to whole milliseconds toward -inf. */
    {
        int64_t sub = frac * unit / fscale;
        int64_t v;
        if (whole > (INT64_MAX - sub) / unit)
            return -1;
        v = whole * unit + sub;
        if (neg) {
            int64_t rem = (frac * unit) % fscale;
            v = -v - (rem ? 1 : 0);
        }
        *ms = v;
    }
    return 0;
}

static int month_of(const char *s)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};

    for (int k = 0; k < 12; k++)
        if (eq_nocase(s, 3, months[k]))
            return k + 1;
    return 0;
}

static int day_name_ok(const char *s, size_t n, int long_form)
{
    static const char *const shortn[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    static const char *const longn[] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};

    for (int k = 0; k < 7; k++)
        if (eq_nocase(s, n, long_form ? longn[k] : shortn[k]))
            return 1;
    return 0;
}

/* RFC 7231 section 7.1.1.1: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete
 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994" forms. */
static int parse_http_date(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0, comma;
    int y, mo, da, h, mi, se;

    for (comma = 0; comma < len && is_alpha((unsigned char)s[comma]); comma++)
        ;
    if (comma < len && s[comma] == ',') {
        i = comma + 1;
        if (i >= len || s[i++] != ' ')
            return -1;
        if (comma == 3) {
            /* IMF-fixdate: DD SP Mon SP YYYY */
            if (!day_name_ok(s, 3, 0) || (da = digits_n(s, len, &i, 2)) < 0 || i + 5 > len ||
                s[i] != ' ' || !(mo = month_of(s + i + 1)) || s[i + 4] != ' ')
                return -1;
            i += 5;
            if ((y = digits_n(s, len, &i, 4)) < 0)
                return -1;
        } else {
            /* RFC 850: DD-Mon-YY, two-digit years below 70 taken as 20YY. */
            if (!day_name_ok(s, comma, 1) || (da = digits_n(s, len, &i, 2)) < 0 || i + 5 > len ||
                s[i] != '-' || !(mo = month_of(s + i + 1)) || s[i + 4] != '-')
                return -1;
            i += 5;
            if ((y = digits_n(s, len, &i, 2)) < 0)
                return -1;
            y += y < 70 ? 2000 : 1900;
        }
        if (i >= len || s[i++] != ' ')
            return -1;
        if ((h = digits_n(s, len, &i, 2)) < 0 || i >= len || s[i++] != ':' ||
            (mi = digits_n(s, len, &i, 2)) < 0 || i >= len || s[i++] != ':' ||
            (se = digits_n(s, len, &i, 2)) < 0)
            return -1;
        if (len - i != 4 || !eq_nocase(s + i, 4, " gmt"))
            return -1;
    } else if (comma == 3 && len == 24 && s[3] == ' ') {
        /* asctime: Www Mmm dD HH:MM:SS YYYY, the day padded with a space. */
        if (!day_name_ok(s, 3, 0) || !(mo = month_of(s + 4)) || s[7] != ' ')
            return -1;
        if (s[8] == ' ' && is_digit((unsigned char)s[9]))
            da = s[9] - '0';
        else if (is_digit((unsigned char)s[8]) && is_digit((unsigned char)s[9]))
            da = (s[8] - '0') * 10 + (s[9] - '0');
        else
            return -1;
        i = 10;
        if (s[i++] != ' ' || (h = digits_n(s, len, &i, 2)) < 0 || s[i++] != ':' ||
            (mi = digits_n(s, len, &i, 2)) < 0 || s[i++] != ':' ||
            (se = digits_n(s, len, &i, 2)) < 0 || s[i++] != ' ' ||
            (y = digits_n(s, len, &i, 4)) < 0)
            return -1;
    } else {
        return -1;
    }
    if (y < 1 || da < 1 || da > ermes__days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
        return -1;
    if (se == 60)
        se = 59;
    *ms = civil_us(y, mo, da, h, mi, se, 0) / 1000;
    return 0;
}

static int all_digits(const char *s, size_t len)
{
    size_t k = 0;

    if (k < len && s[k] == '-')
        k++;
    if (k == len)
        return 0;
    for (; k < len; k++)
        if (!is_digit((unsigned char)s[k]) && s[k] != '.')
            return 0;
    return 1;
}

int ermes_time_convert(ermes_time_format_t fmt, const char *value, size_t len, int64_t *ms,
                       ermes_diag_t *d)
{
    const char *s = value;
    size_t n = len;
    int64_t v, us;

    trim(&s, &n);
    switch (fmt) {
    case ERMES_TIME_AUTO:
        if (all_digits(s, n)) {
            if (parse_epoch(s, n, 1000, &v))
                break;
            goto range;
        }
        if (n && is_alpha((unsigned char)s[0])) {
            if (parse_http_date(s, n, &v) == 0)
                goto range;
            REJECT(d, s, n,
                   "is not a date-time (expected ISO 8601, epoch seconds or an "
                   "HTTP date)");
            return ERMES_EINVAL;
        }
        if (ermes__datetime_parse_us(s, n, &us, d))
            return ERMES_EINVAL;
        *ms = floor_div(us, 1000);
        return 0;
    case ERMES_TIME_EPOCH:
        if (parse_epoch(s, n, 1000, &v))
            break;
        goto range;
    case ERMES_TIME_EPOCH_MS:
        if (parse_epoch(s, n, 1, &v))
            break;
        goto range;
    case ERMES_TIME_WINDOWS_NT: {
        int64_t ticks;
        /* 100 ns ticks since 1601-01-01, 11644473600 s before the Unix epoch. */
        if (parse_int64(s, n, &ticks) || ticks < 0) {
            REJECT(d, s, n, "is not a Windows NT time (expected 100 ns ticks since 1601)");
            return ERMES_EINVAL;
        }
        v = ticks / 10000 - 11644473600000LL;
        goto range;
    }
    case ERMES_TIME_HTTP:
        if (parse_http_date(s, n, &v) == 0)
            goto range;
        REJECT(d, s, n, "is not an HTTP date (expected \"Sun, 06 Nov 1994 08:49:37 GMT\")");
        return ERMES_EINVAL;
    default:
        ermes_diag_set(d, NULL, "unknown time format %d", (int)fmt);
        return ERMES_EINVAL;
    }
    REJECT(d, s, n, "is not an epoch time (expected decimal digits, a fraction allowed)");
    return ERMES_EINVAL;
range:
    if (v < US_MIN / 1000 || v > US_MAX / 1000) {
        REJECT(d, s, n, "is a time outside the years 1 to 9999");
        return ERMES_EINVAL;
    }
    *ms = v;
    return 0;
}

/* ---- taxonomy -------------------------------------------------------------------------------- */

typedef struct rsit_type {
    const char *type;
    const char *taxonomy;
} rsit_type_t;

/* RSIT machinev1 (version 1003) types with their class, IntelMQ's additions (class other)
 * and IntelMQ's US spelling of unauthorised-use-of-resources. Sorted by type for bsearch. */
static const rsit_type_t rsit_types[] = {
    {"application-compromise", "intrusions"},
    {"blacklist", "other"},
    {"brute-force", "intrusion-attempts"},
    {"burglary", "intrusions"},
    {"c2-server", "malicious-code"},
    {"copyright", "fraud"},
    {"data-leak", "information-content-security"},
    {"data-loss", "information-content-security"},
    {"ddos", "availability"},
    {"ddos-amplifier", "vulnerable"},
    {"dga-domain", "other"},
    {"dos", "availability"},
    {"exploit", "intrusion-attempts"},
    {"harmful-speech", "abusive-content"},
    {"ids-alert", "intrusion-attempts"},
    {"infected-system", "malicious-code"},
    {"information-disclosure", "vulnerable"},
    {"malware", "other"},
    {"malware-configuration", "malicious-code"},
    {"malware-distribution", "malicious-code"},
    {"masquerade", "fraud"},
    {"misconfiguration", "availability"},
    {"other", "other"},
    {"outage", "availability"},
    {"phishing", "fraud"},
    {"potentially-unwanted-accessible", "vulnerable"},
    {"privileged-account-compromise", "intrusions"},
    {"proxy", "other"},
    {"sabotage", "availability"},
    {"scanner", "information-gathering"},
    {"sniffing", "information-gathering"},
    {"social-engineering", "information-gathering"},
    {"spam", "abusive-content"},
    {"system-compromise", "intrusions"},
    {"test", "test"},
    {"tor", "other"},
    {"unauthorised-information-access", "information-content-security"},
    {"unauthorised-information-modification", "information-content-security"},
    {"unauthorised-use-of-resources", "fraud"},
    {"unauthorized-use-of-resources", "fraud"},
    {"undetermined", "other"},
    {"unprivileged-account-compromise", "intrusions"},
    {"violence", "abusive-content"},
    {"vulnerable-system", "vulnerable"},
    {"weak-crypto", "vulnerable"},
};

/* Legacy names IntelMQ's ClassificationType sanitizer maps, and the space spellings of
 * IntelMQ 1.x. Sorted by alias. */
static const rsit_type_t type_aliases[] = {
    {"backdoor", "system-compromise"},
    {"botnet drone", "infected-system"},
    {"c&c", "c2-server"},
    {"compromised", "system-compromise"},
    {"defacement", "unauthorised-information-modification"},
    {"dga domain", "dga-domain"},
    {"dropzone", "other"},
    {"ids alert", "ids-alert"},
    {"leak", "data-leak"},
    {"malware configuration", "malware-configuration"},
    {"ransomware", "infected-system"},
    {"unauthorized-command", "system-compromise"},
    {"unauthorized-login", "system-compromise"},
    {"unknown", "undetermined"},
    {"vulnerable client", "vulnerable-system"},
    {"vulnerable service", "vulnerable-system"},
};

static const char *const rsit_classes[] = {
    "abusive-content",
    "availability",
    "fraud",
    "information-content-security",
    "information-gathering",
    "intrusion-attempts",
    "intrusions",
    "malicious-code",
    "other",
    "test",
    "vulnerable",
};

/* Compares s[0..len) with the NUL-terminated b in byte order. */
static int cmp_len(const char *s, size_t len, const char *b)
{
    size_t bl = strlen(b);
    int c = memcmp(s, b, len < bl ? len : bl);

    return c ? c : len < bl ? -1 : len > bl ? 1 : 0;
}

static const rsit_type_t *find_type(const rsit_type_t *tab, size_t n, const char *s, size_t len)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_len(s, len, tab[mid].type);
        if (c == 0)
            return &tab[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *ermes_taxonomy_of_type(const char *type)
{
    const rsit_type_t *t;
    size_t len;

    if (!type)
        return NULL;
    len = strlen(type);
    t = find_type(type_aliases, NELEM(type_aliases), type, len);
    if (t)
        type = t->taxonomy, len = strlen(type);
    t = find_type(rsit_types, NELEM(rsit_types), type, len);
    return t ? t->taxonomy : NULL;
}

int ermes_taxonomy_valid(const char *taxonomy)
{
    for (size_t k = 0; taxonomy && k < NELEM(rsit_classes); k++)
        if (strcmp(rsit_classes[k], taxonomy) == 0)
            return 1;
    return 0;
}

static int h_ctype(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                   ermes_diag_t *d)
{
    char low[64];
    const rsit_type_t *t;
    const char *canon;

    if (len >= sizeof(low))
        goto bad;
    for (size_t k = 0; k < len; k++)
        low[k] = (char)to_lower((unsigned char)s[k]);
    t = find_type(type_aliases, NELEM(type_aliases), low, len);
    if (t) {
        canon = t->taxonomy;
        return put(canon, strlen(canon), buf, cap, outlen);
    }
    if (find_type(rsit_types, NELEM(rsit_types), low, len))
        return put(low, len, buf, cap, outlen);
bad:
    REJECT(d, s, len,
           "is not a classification type (expected an RSIT type such as "
           "\"infected-system\")");
    return ERMES_EINVAL;
}

static int h_taxonomy(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                      ermes_diag_t *d)
{
    char low[64];

    if (len < sizeof(low)) {
        /* IntelMQ 1.x wrote classes with spaces ("malicious code"). */
        for (size_t k = 0; k < len; k++)
            low[k] = s[k] == ' ' ? '-' : (char)to_lower((unsigned char)s[k]);
        for (size_t k = 0; k < NELEM(rsit_classes); k++)
            if (cmp_len(low, len, rsit_classes[k]) == 0)
                return put(low, len, buf, cap, outlen);
    }
    REJECT(d, s, len,
           "is not a classification taxonomy (expected an RSIT class such as "
           "\"malicious-code\")");
    return ERMES_EINVAL;
}

/* ---- enumerations and encodings ------------------------------------------------------------ */

static int h_tlp(const char *s, size_t len, char *buf, size_t cap, size_t *outlen, ermes_diag_t *d)
{
    const char *p = s;
    size_t n = len;
    ermes_tlp_t tlp;
    const char *name;

    if (n >= 4 && eq_nocase(p, 4, "tlp:")) {
        p += 4;
        n -= 4;
        trim(&p, &n);
    }
    if ((n >= 4 && eq_nocase(p, 4, "tlp:")) || ermes_tlp_parse(p, n, &tlp)) {
        REJECT(d, s, len,
               "is not a TLP label (expected CLEAR, GREEN, AMBER, AMBER+STRICT or "
               "RED; WHITE means CLEAR)");
        return ERMES_EINVAL;
    }
    name = ermes_tlp_name(tlp);
    return put(name, strlen(name), buf, cap, outlen);
}

static int h_registry(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                      ermes_diag_t *d)
{
    static const char *const names[] = {"afrinic", "apnic", "arin", "lacnic", "ripe"};
    static const char *const upper[] = {"AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"};

    if (eq_nocase(s, len, "ripe-ncc") || eq_nocase(s, len, "ripencc"))
        return put("RIPE", 4, buf, cap, outlen);
    for (size_t k = 0; k < NELEM(names); k++)
        if (eq_nocase(s, len, names[k]))
            return put(upper[k], strlen(upper[k]), buf, cap, outlen);
    REJECT(d, s, len, "is not a registry (expected AFRINIC, APNIC, ARIN, LACNIC or RIPE)");
    return ERMES_EINVAL;
}

static int h_base64(const char *s, size_t len, char *buf, size_t cap, size_t *outlen,
                    ermes_diag_t *d)
{
    size_t pad = 0;

    /* RFC 4648 section 4: the standard alphabet, padded to a multiple of 4. */
    if (len % 4)
        goto bad;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '=') {
            if (k < len - 2)
                goto bad;
            pad++;
        } else if (pad || !(is_alpha(c) || is_digit(c) || c == '+' || c == '/')) {
            goto bad;
        }
    }
    return put(s, len, buf, cap, outlen);
bad:
    REJECT(d, s, len, "is not base64 (expected the standard alphabet, padded with '=')");
    return ERMES_EINVAL;
}

int ermes__json_compact(const char *s, size_t len, char **text, ermes_diag_t *d)
{
    json_error_t err;
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);

    if (!j) {
        char ex[72];
        ermes_diag_set(d, NULL, "\"%s\" is not JSON (%.80s)", excerpt(s, len, ex), err.text);
        return ERMES_EINVAL;
    }
    *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    return *text ? 0 : ERMES_ENOMEM;
}

static int h_json(const char *s, size_t len, char *buf, size_t cap, size_t *outlen, ermes_diag_t *d)
{
    char *text;
    int rc = ermes__json_compact(s, len, &text, d);

    if (rc)
        return rc;
    rc = put(text, strlen(text), buf, cap, outlen);
    free(text);
    return rc;
}

static int h_cc(const char *s, size_t len, char *buf, size_t cap, size_t *outlen, ermes_diag_t *d)
{
    char cc[2];

    if (len != 2 || !(is_alpha((unsigned char)s[0]) || is_digit((unsigned char)s[0])) ||
        !(is_alpha((unsigned char)s[1]) || is_digit((unsigned char)s[1]))) {
        REJECT(d, s, len, "is not a country code (expected two letters or digits)");
        return ERMES_EINVAL;
    }
    cc[0] = (char)to_upper((unsigned char)s[0]);
    cc[1] = (char)to_upper((unsigned char)s[1]);
    return put(cc, 2, buf, cap, outlen);
}

/* ---- the dispatcher -------------------------------------------------------------------------- */

int ermes_harmonize(ermes_ftype_t type, const char *value, size_t len, char *buf, size_t cap,
                    size_t *outlen, ermes_diag_t *d)
{
    const char *s = value;
    size_t n = len, out = 0;
    int rc;

    if (!value && len)
        return ERMES_EINVAL;
    if (!buf || cap == 0)
        return ERMES_ETOOBIG;
    switch (len ? ermes__text_check(value, len) : 0) {
    case 1:
        REJECT(d, value, len, "holds a NUL byte");
        return ERMES_EINVAL;
    case 2:
        REJECT(d, value, len, "is not valid UTF-8");
        return ERMES_EINVAL;
    }
    trim(&s, &n);
    if (n == 0) {
        ermes_diag_set(d, NULL, "the value is empty");
        return ERMES_EINVAL;
    }
    switch (type) {
    case ERMES_FT_STRING:
        rc = h_string(s, n, 0, buf, cap, &out);
        break;
    case ERMES_FT_LOWER:
        rc = h_string(s, n, 1, buf, cap, &out);
        break;
    case ERMES_FT_UPPER:
        rc = h_string(s, n, 2, buf, cap, &out);
        break;
    case ERMES_FT_INTEGER:
        rc = h_integer(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_FLOAT:
        rc = h_float(s, n, 0, buf, cap, &out, d);
        break;
    case ERMES_FT_ACCURACY:
        rc = h_float(s, n, 1, buf, cap, &out, d);
        break;
    case ERMES_FT_BOOLEAN:
        rc = h_boolean(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_IP:
        rc = h_ip(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_NETWORK:
        rc = h_network(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_ASN:
        rc = h_asn(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_FQDN:
        rc = h_fqdn(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_URL:
        rc = h_url(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_DATETIME:
        rc = h_datetime(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_TAXONOMY:
        rc = h_taxonomy(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_CTYPE:
        rc = h_ctype(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_TLP:
        rc = h_tlp(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_REGISTRY:
        rc = h_registry(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_BASE64:
        rc = h_base64(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_JSON:
        rc = h_json(s, n, buf, cap, &out, d);
        break;
    case ERMES_FT_CC:
        rc = h_cc(s, n, buf, cap, &out, d);
        break;
    default:
        ermes_diag_set(d, NULL, "unknown field type %d", (int)type);
        return ERMES_EINVAL;
    }
    if (rc == 0 && outlen)
        *outlen = out;
    return rc;
}
