/* IPv4 and IPv6 addresses and CIDR networks: strict parsing, canonical formatting.
 *
 * The parsers accept exactly one spelling family for each address: dotted quads with four
 * decimal parts and no leading zeros (so "010.1.1.1" cannot be read as octal by one tool and as
 * decimal by another), and the RFC 4291 section 2.2 text forms of IPv6 without zone index.
 * Input is a pointer and a length, never a C string: nothing at or past s[len] is read. */
#include "ermes/net.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ermes/error.h"

/* Longest slice of offending input quoted in a reason, so a huge token cannot fill it. */
#define QUOTE_MAX 16

static int fail(ermes_diag_t *d, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Describes the problem in d (if any) with the 0-based position pos of the offending byte. */
static int fail(ermes_diag_t *d, size_t pos, const char *fmt, ...)
{
    char reason[sizeof(d->reason)];
    va_list ap;

    if (!d)
        return ERMES_EPARSE;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    ermes_diag_set(d, NULL, "%s", reason);
    d->column = (long)pos + 1;
    return ERMES_EPARSE;
}

/* Names a byte for a reason: 'x' when printable, otherwise its hexadecimal value. */
static const char *byte_name(unsigned char c, char buf[16])
{
    if (c == ' ')
        snprintf(buf, 16, "a space");
    else if (c > 0x20 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static int quote_len(size_t n)
{
    return (int)(n > QUOTE_MAX ? QUOTE_MAX : n);
}

static const char *quote_more(size_t n)
{
    return n > QUOTE_MAX ? "..." : "";
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses a dotted quad from s[0..len). base is the position of s[0] in the caller's input, so
 * columns stay right for the IPv4 tail of an IPv6 address. */
static int parse_v4(const char *s, size_t len, size_t base, uint8_t out[4], ermes_diag_t *d)
{
    uint8_t quad[4];
    size_t i = 0;
    int parts = 0;
    char name[16];

    for (;;) {
        size_t start = i;
        unsigned value = 0;

        while (i < len && is_digit(s[i])) {
            /* Stop accumulating once out of range: the value only feeds the range check. */
            if (value <= 255)
                value = value * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start) {
            if (i < len && s[i] != '.')
                return fail(d, base + i, "unexpected character %s in IPv4 address",
                            byte_name((unsigned char)s[i], name));
            if (i == 0)
                return fail(d, base + i, "IPv4 address starts with '.'");
            if (i == len)
                return fail(d, base + i, "IPv4 address ends with '.'");
            return fail(d, base + i, "IPv4 address has an empty part ('..')");
        }
        if (i - start > 1 && s[start] == '0')
            return fail(d, base + start,
                        "IPv4 octet %.*s%s has a leading zero (ambiguous: octal or decimal?)",
                        quote_len(i - start), s + start, quote_more(i - start));
        if (value > 255)
            return fail(d, base + start, "IPv4 octet %.*s%s is greater than 255",
                        quote_len(i - start), s + start, quote_more(i - start));
        if (parts == 4)
            return fail(d, base + start, "IPv4 address has more than 4 parts");
        quad[parts++] = (uint8_t)value;
        if (i == len)
            break;
        if (s[i] != '.')
            return fail(d, base + i, "unexpected character %s in IPv4 address",
                        byte_name((unsigned char)s[i], name));
        i++;
    }
    if (parts != 4)
        return fail(d, base + len - 1, "IPv4 address has %d parts, expected 4", parts);
    memcpy(out, quad, 4);
    return 0;
}

static int zone_error(ermes_diag_t *d, size_t pos)
{
    return fail(d, pos, "IPv6 zone index ('%%...') is not allowed");
}

/* RFC 4291 section 2.2: eight groups of 1 to 4 hex digits, one "::" for one or more zero
 * groups, and optionally the last 32 bits as a dotted quad. */
static int parse_v6(const char *s, size_t len, uint8_t out[16], ermes_diag_t *d)
{
    uint16_t groups[8];
    int n = 0;
    int gap = -1;
    size_t i = 0;
    char name[16];
    int k;

    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (s[0] == ':') {
        return fail(d, 0, "IPv6 address starts with a single ':'");
    }
    while (i < len) {
        size_t start = i;
        unsigned value = 0;
        size_t digits;

        while (i < len && hex_value(s[i]) >= 0) {
            if (i - start < 4)
                value = (value << 4) | (unsigned)hex_value(s[i]);
            i++;
        }
        if (i < len && s[i] == '.') {
            uint8_t quad[4];
            int rc;

            if (n + 2 > 8)
                return fail(d, start,
                            "IPv6 address has more than 8 groups (an IPv4 tail counts as two)");
            rc = parse_v4(s + start, len - start, start, quad, d);
            if (rc)
                return rc;
            groups[n++] = (uint16_t)(quad[0] << 8 | quad[1]);
            groups[n++] = (uint16_t)(quad[2] << 8 | quad[3]);
            break;
        }
        digits = i - start;
        if (digits == 0) {
            if (i < len && s[i] == '%')
                return zone_error(d, i);
            if (i < len && s[i] == ':')
                return fail(d, i, "empty IPv6 group (':::' is not allowed)");
            if (i == len)
                return fail(d, i - 1, "IPv6 address ends with a single ':'");
            return fail(d, i, "unexpected character %s in IPv6 address",
                        byte_name((unsigned char)s[i], name));
        }
        if (digits > 4)
            return fail(d, start, "IPv6 group %.*s%s has more than 4 hex digits", quote_len(digits),
                        s + start, quote_more(digits));
        if (n == 8)
            return fail(d, start, "IPv6 address has more than 8 groups");
        groups[n++] = (uint16_t)value;
        if (i == len)
            break;
        if (s[i] == '%')
            return zone_error(d, i);
        if (s[i] != ':')
            return fail(d, i, "unexpected character %s in IPv6 address",
                        byte_name((unsigned char)s[i], name));
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return fail(d, i - 1, "IPv6 address has more than one '::'");
            gap = n;
            i++;
        } else if (i == len) {
            return fail(d, i - 1, "IPv6 address ends with a single ':'");
        }
    }
    if (gap < 0 && n != 8)
        return fail(d, len - 1, "IPv6 address has %d groups, expected 8 (or '::' for zeros)", n);
    if (gap >= 0 && n > 7)
        return fail(d, len - 1,
                    "'::' must stand for at least one zero group, but the address "
                    "already has 8 groups");

    memset(out, 0, 16);
    /* Groups before the gap go to the front, groups after it to the back. */
    for (k = 0; k < n; k++) {
        int at = (gap >= 0 && k >= gap) ? 8 - (n - k) : k;

        out[2 * at] = (uint8_t)(groups[k] >> 8);
        out[2 * at + 1] = (uint8_t)(groups[k] & 0xff);
    }
    return 0;
}

int ermes_ip_parse(const char *s, size_t len, ermes_ip_t *out, struct ermes_diag *d)
{
    ermes_ip_t ip;
    int rc;

    if (!s || len == 0)
        return fail(d, 0, "empty address");
    memset(&ip, 0, sizeof(ip));
    if (memchr(s, ':', len)) {
        ip.family = ERMES_AF_INET6;
        rc = parse_v6(s, len, ip.bytes, d);
    } else {
        ip.family = ERMES_AF_INET;
        rc = parse_v4(s, len, 0, ip.bytes, d);
    }
    if (rc)
        return rc;
    *out = ip;
    return 0;
}

static unsigned family_bits(uint8_t family)
{
    return family == ERMES_AF_INET ? 32 : 128;
}

/* Clears the bits past prefix; returns 1 if any was set. */
static int mask_host_bits(uint8_t *bytes, unsigned nbytes, unsigned prefix)
{
    int dirty = 0;
    unsigned i;

    for (i = 0; i < nbytes; i++) {
        uint8_t keep;

        if (prefix >= 8 * (i + 1))
            continue;
        keep = prefix > 8 * i ? (uint8_t)(0xff << (8 - (prefix - 8 * i))) : 0;
        if (bytes[i] & ~keep)
            dirty = 1;
        bytes[i] &= keep;
    }
    return dirty;
}

int ermes_cidr_parse(const char *s, size_t len, unsigned flags, ermes_cidr_t *out,
                     struct ermes_diag *d)
{
    ermes_cidr_t net;
    const char *slash;
    size_t alen, i, plen;
    unsigned prefix = 0, max;
    char name[16];
    int rc;

    if (!s || len == 0)
        return fail(d, 0, "empty network");
    memset(&net, 0, sizeof(net));
    slash = memchr(s, '/', len);
    alen = slash ? (size_t)(slash - s) : len;
    if (alen == 0)
        return fail(d, 0, "missing address before '/'");
    rc = ermes_ip_parse(s, alen, &net.addr, d);
    if (rc)
        return rc;
    max = family_bits(net.addr.family);
    if (!slash) {
        net.prefix = (uint8_t)max;
        *out = net;
        return 0;
    }

    plen = len - alen - 1;
    if (plen == 0)
        return fail(d, alen, "missing prefix length after '/'");
    for (i = alen + 1; i < len; i++) {
        if (!is_digit(s[i]))
            return fail(d, i, "unexpected character %s in prefix length (expected 0 to %u)",
                        byte_name((unsigned char)s[i], name), max);
        if (prefix <= max)
            prefix = prefix * 10 + (unsigned)(s[i] - '0');
    }
    if (plen > 1 && s[alen + 1] == '0')
        return fail(d, alen + 1, "prefix length %.*s%s has a leading zero", quote_len(plen),
                    s + alen + 1, quote_more(plen));
    if (prefix > max)
        return fail(d, alen + 1, "prefix length %.*s%s is greater than %u for an %s network",
                    quote_len(plen), s + alen + 1, quote_more(plen), max,
                    max == 32 ? "IPv4" : "IPv6");
    net.prefix = (uint8_t)prefix;
    if (mask_host_bits(net.addr.bytes, max / 8, prefix) && !(flags & ERMES_CIDR_LENIENT)) {
        char suggestion[ERMES_CIDR_STRLEN];

        ermes_cidr_format(&net, suggestion);
        return fail(d, 0, "host bits set: did you mean %s?", suggestion);
    }
    *out = net;
    return 0;
}

static size_t format_v4(const uint8_t *b, char *buf)
{
    size_t n = 0;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned v = b[i];

        if (i)
            buf[n++] = '.';
        if (v >= 100)
            buf[n++] = (char)('0' + v / 100);
        if (v >= 10)
            buf[n++] = (char)('0' + v / 10 % 10);
        buf[n++] = (char)('0' + v % 10);
    }
    buf[n] = '\0';
    return n;
}

static size_t format_group(unsigned g, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    int shift;
    int started = 0;

    for (shift = 12; shift >= 0; shift -= 4) {
        unsigned nibble = (g >> shift) & 0xf;

        if (nibble || started || shift == 0) {
            buf[n++] = hex[nibble];
            started = 1;
        }
    }
    return n;
}

/* RFC 5952 section 4: lower case, no leading zeros, the longest run of two or more zero groups
 * compressed to "::" (the first on a tie); section 5: IPv4-mapped addresses with a dotted
 * tail. */
static size_t format_v6(const uint8_t *b, char *buf)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    unsigned groups[8];
    int best = -1, best_len = 0;
    int run = -1, run_len = 0;
    size_t n = 0;
    int i;

    if (memcmp(b, mapped, sizeof(mapped)) == 0) {
        memcpy(buf, "::ffff:", 7);
        return 7 + format_v4(b + 12, buf + 7);
    }
    for (i = 0; i < 8; i++) {
        groups[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        if (groups[i] == 0) {
            if (run < 0) {
                run = i;
                run_len = 0;
            }
            run_len++;
            if (run_len > best_len) {
                best = run;
                best_len = run_len;
            }
        } else {
            run = -1;
        }
    }
    /* Section 4.2.2: "::" never shortens a single 16-bit 0 field. */
    if (best_len < 2) {
        best = -1;
        best_len = 0;
    }
    for (i = 0; i < 8;) {
        if (i == best) {
            buf[n++] = ':';
            buf[n++] = ':';
            i += best_len;
            continue;
        }
        if (i > 0 && i != best + best_len)
            buf[n++] = ':';
        n += format_group(groups[i], buf + n);
        i++;
    }
    buf[n] = '\0';
    return n;
}

size_t ermes_ip_format(const ermes_ip_t *ip, char *buf)
{
    if (ip->family == ERMES_AF_INET)
        return format_v4(ip->bytes, buf);
    if (ip->family == ERMES_AF_INET6)
        return format_v6(ip->bytes, buf);
    buf[0] = '\0';
    return 0;
}

size_t ermes_cidr_format(const ermes_cidr_t *net, char *buf)
{
    size_t n = ermes_ip_format(&net->addr, buf);
    unsigned p = net->prefix;

    if (n == 0)
        return 0;
    buf[n++] = '/';
    if (p >= 100)
        buf[n++] = (char)('0' + p / 100);
    if (p >= 10)
        buf[n++] = (char)('0' + p / 10 % 10);
    buf[n++] = (char)('0' + p % 10);
    buf[n] = '\0';
    return n;
}

int ermes_cidr_contains(const ermes_cidr_t *net, const ermes_ip_t *ip)
{
    unsigned prefix = net->prefix;
    unsigned full, rest;

    if (net->addr.family != ip->family || prefix > family_bits(ip->family))
        return 0;
    full = prefix / 8;
    rest = prefix % 8;
    if (memcmp(net->addr.bytes, ip->bytes, full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));

        if ((net->addr.bytes[full] ^ ip->bytes[full]) & mask)
            return 0;
    }
    return 1;
}

int ermes_ip_cmp(const ermes_ip_t *a, const ermes_ip_t *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->family == ERMES_AF_INET ? 4 : 16);
}
