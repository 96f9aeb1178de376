/* Tests of IP address and CIDR parsing and formatting (src/core/net.c).
 *
 * Every input is copied into a heap buffer of exactly its length, without a terminating NUL,
 * so that under AddressSanitizer a parser reading past len fails the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/error.h"
#include "ermes/net.h"

/* A copy of s without its NUL; caller frees. */
static char *exact_copy(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);

    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

static int parse_ip(const char *s, ermes_ip_t *ip, ermes_diag_t *d)
{
    size_t len = strlen(s);
    char *p = exact_copy(s, len);
    int rc;

    ermes_diag_clear(d);
    rc = ermes_ip_parse(p, len, ip, d);
    free(p);
    return rc;
}

static int parse_cidr(const char *s, unsigned flags, ermes_cidr_t *net, ermes_diag_t *d)
{
    size_t len = strlen(s);
    char *p = exact_copy(s, len);
    int rc;

    ermes_diag_clear(d);
    rc = ermes_cidr_parse(p, len, flags, net, d);
    free(p);
    return rc;
}

/* Parses in and checks its canonical text is want. */
static void check_ip(const char *in, const char *want)
{
    ermes_ip_t ip, again;
    ermes_diag_t d;
    char buf[ERMES_IP_STRLEN];
    size_t n;

    if (parse_ip(in, &ip, &d) != 0)
        fail_msg("\"%s\" rejected: %s", in, d.reason);
    n = ermes_ip_format(&ip, buf);
    assert_int_equal(n, strlen(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("\"%s\" formatted as \"%s\", want \"%s\"", in, buf, want);
    /* The canonical form parses back to the same address. */
    assert_int_equal(parse_ip(buf, &again, &d), 0);
    assert_int_equal(ermes_ip_cmp(&ip, &again), 0);
}

static void check_cidr(const char *in, unsigned flags, const char *want)
{
    ermes_cidr_t net, again;
    ermes_diag_t d;
    char buf[ERMES_CIDR_STRLEN];

    if (parse_cidr(in, flags, &net, &d) != 0)
        fail_msg("\"%s\" rejected: %s", in, d.reason);
    ermes_cidr_format(&net, buf);
    if (strcmp(buf, want) != 0)
        fail_msg("\"%s\" formatted as \"%s\", want \"%s\"", in, buf, want);
    assert_int_equal(parse_cidr(buf, 0, &again, &d), 0);
    assert_int_equal(ermes_ip_cmp(&net.addr, &again.addr), 0);
    assert_int_equal(net.prefix, again.prefix);
}

typedef struct rejection {
    const char *in;
    const char *reason; /* a substring of the expected reason */
    long column;        /* expected column, 0: not checked */
} rejection_t;

static void check_rejections(const rejection_t *cases, size_t n, int cidr)
{
    size_t i;

    for (i = 0; i < n; i++) {
        ermes_diag_t d;
        ermes_ip_t ip, before;
        ermes_cidr_t net, net_before;
        int rc;

        memset(&before, 0xa5, sizeof(before));
        memset(&net_before, 0xa5, sizeof(net_before));
        ip = before;
        net = net_before;
        if (cidr)
            rc = parse_cidr(cases[i].in, 0, &net, &d);
        else
            rc = parse_ip(cases[i].in, &ip, &d);
        if (rc != ERMES_EPARSE)
            fail_msg("\"%s\" accepted, want rejection \"%s\"", cases[i].in, cases[i].reason);
        if (!strstr(d.reason, cases[i].reason))
            fail_msg("\"%s\": reason \"%s\", want \"%s\"", cases[i].in, d.reason, cases[i].reason);
        if (cases[i].column && d.column != cases[i].column)
            fail_msg("\"%s\": column %ld, want %ld (%s)", cases[i].in, d.column, cases[i].column,
                     d.reason);
        /* Out-parameters are untouched on failure. */
        assert_memory_equal(&ip, &before, sizeof(ip));
        assert_memory_equal(&net, &net_before, sizeof(net));
    }
}

static void test_ipv4_valid(void **state)
{
    (void)state;
    check_ip("0.0.0.0", "0.0.0.0");
    check_ip("192.0.2.1", "192.0.2.1");
    check_ip("255.255.255.255", "255.255.255.255");
    check_ip("10.0.100.9", "10.0.100.9");
    check_ip("1.20.255.0", "1.20.255.0");
}

static void test_ipv4_bytes(void **state)
{
    ermes_ip_t ip;
    ermes_diag_t d;
    static const uint8_t zero[12] = {0};

    (void)state;
    assert_int_equal(parse_ip("192.0.2.200", &ip, &d), 0);
    assert_int_equal(ip.family, ERMES_AF_INET);
    assert_int_equal(ip.bytes[0], 192);
    assert_int_equal(ip.bytes[1], 0);
    assert_int_equal(ip.bytes[2], 2);
    assert_int_equal(ip.bytes[3], 200);
    assert_memory_equal(ip.bytes + 4, zero, sizeof(zero));
}

static void test_ipv4_rejected(void **state)
{
    static const rejection_t cases[] = {
        {"", "empty address", 1},
        {"010.1.1.1", "IPv4 octet 010 has a leading zero", 1},
        {"1.1.1.00", "IPv4 octet 00 has a leading zero", 7},
        {"1.2.3.04", "leading zero", 7},
        {"256.1.1.1", "IPv4 octet 256 is greater than 255", 1},
        {"1.1.1.300", "IPv4 octet 300 is greater than 255", 7},
        {"1.1.1.99999999999999999999999", "IPv4 octet 9999999999999999... is greater than 255", 7},
        {"1.2.3", "IPv4 address has 3 parts, expected 4", 5},
        {"1", "IPv4 address has 1 parts, expected 4", 1},
        {"1.2.3.4.5", "IPv4 address has more than 4 parts", 9},
        {"1.2..4", "IPv4 address has an empty part", 5},
        {".1.2.3", "IPv4 address starts with '.'", 1},
        {"1.2.3.4.", "IPv4 address ends with '.'", 9},
        {"1.2.3.", "IPv4 address ends with '.'", 7},
        {"1.2.3.4 ", "unexpected character a space in IPv4 address", 8},
        {" 1.2.3.4", "unexpected character a space", 1},
        {"1.2.3.x", "unexpected character 'x' in IPv4 address", 7},
        {"1.2.3.-1", "unexpected character '-'", 7},
        {"1.2.3.+1", "unexpected character '+'", 7},
        {"0x1.2.3.4", "unexpected character 'x'", 2},
        {"1.2.3.4/24", "unexpected character '/'", 8},
        {"1.2.3\n.4", "byte 0x0a", 6},
    };

    (void)state;
    check_rejections(cases, sizeof(cases) / sizeof(cases[0]), 0);
}

static void test_ipv6_valid(void **state)
{
    (void)state;
    /* RFC 5952 section 4.1: no leading zeros. */
    check_ip("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    /* Section 4.2.1: the longest run is compressed, as far as possible. */
    check_ip("2001:db8:0:0:0:0:2:1", "2001:db8::2:1");
    check_ip("2001:db8::0:1", "2001:db8::1");
    /* Section 4.2.2: a single zero group is not compressed. */
    check_ip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    check_ip("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    /* Section 4.2.3: the longest run wins; on a tie the first. */
    check_ip("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
    check_ip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    /* Section 4.3: lower case. */
    check_ip("2001:DB8::ABCD:EF", "2001:db8::abcd:ef");
    check_ip("::", "::");
    check_ip("::1", "::1");
    check_ip("1::", "1::");
    check_ip("0:0:0:0:0:0:0:0", "::");
    check_ip("1:0:0:0:0:0:0:0", "1::");
    check_ip("0:0:0:0:0:0:0:1", "::1");
    check_ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    check_ip("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
    check_ip("1::8", "1::8");
    check_ip("1:2:3:4:5:6::8", "1:2:3:4:5:6:0:8");
    check_ip("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8");
    check_ip("fe80::1:0:0:0", "fe80::1:0:0:0");
    check_ip("fe80:0:0:1::", "fe80:0:0:1::");
    check_ip("1:0:0:2:0:0:0:3", "1:0:0:2::3");
    /* Section 5: IPv4-mapped addresses keep the dotted tail. */
    check_ip("::ffff:192.0.2.1", "::ffff:192.0.2.1");
    check_ip("::FFFF:c000:0201", "::ffff:192.0.2.1");
    check_ip("0:0:0:0:0:ffff:192.0.2.1", "::ffff:192.0.2.1");
    check_ip("::ffff:0.0.0.0", "::ffff:0.0.0.0");
    /* Other embedded IPv4 tails are read, and printed in hex. */
    check_ip("::192.0.2.1", "::c000:201");
    check_ip("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
    check_ip("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304");
    check_ip("::1:2:3:4:5:1.2.3.4", "0:1:2:3:4:5:102:304");
}

static void test_ipv6_bytes(void **state)
{
    ermes_ip_t ip;
    ermes_diag_t d;
    static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,    0,
                                     0,    0,    0,    0,    0, 0, 0x12, 0x34};

    (void)state;
    assert_int_equal(parse_ip("2001:db8::1234", &ip, &d), 0);
    assert_int_equal(ip.family, ERMES_AF_INET6);
    assert_memory_equal(ip.bytes, want, 16);
}

static void test_ipv6_rejected(void **state)
{
    static const rejection_t cases[] = {
        {"1:2:3:4:5:6:7:8:9", "IPv6 address has more than 8 groups", 17},
        {"1:2:3:4:5:6:7", "IPv6 address has 7 groups, expected 8", 13},
        {"1::2::3", "IPv6 address has more than one '::'", 5},
        {"::1::", "more than one '::'", 4},
        {"12345::1", "IPv6 group 12345 has more than 4 hex digits", 1},
        {"1:00000::", "IPv6 group 00000 has more than 4 hex digits", 3},
        {"fe80::1%eth0", "IPv6 zone index", 8},
        {"fe80::%1", "zone index", 7},
        {":1:2:3:4:5:6:7", "IPv6 address starts with a single ':'", 1},
        {"1:2:3:4:5:6:7:", "IPv6 address ends with a single ':'", 14},
        {":::", "':::' is not allowed", 3},
        {"1:::2", "':::' is not allowed", 4},
        {"1:2:3:4:5:6:7:8::", "'::' must stand for at least one zero group", 0},
        {"::1:2:3:4:5:6:7:8", "'::' must stand for at least one zero group", 0},
        {"::1:2:3:4:5:6:7:8:9", "more than 8 groups", 19},
        {"1:2:3:4::5:6:7:8", "'::' must stand for at least one zero group", 0},
        {"g::1", "unexpected character 'g' in IPv6 address", 1},
        {"1::x", "unexpected character 'x' in IPv6 address", 4},
        {"[::1]", "unexpected character '['", 1},
        {"::1 ", "unexpected character a space", 4},
        {"1:2:3:4:5:6:7:1.2.3.4", "more than 8 groups (an IPv4 tail counts as two)", 15},
        {"1:2:3:4:5:1.2.3.4", "IPv6 address has 7 groups", 0},
        {"::ffff:1.2.3.256", "IPv4 octet 256 is greater than 255", 14},
        {"::ffff:1.2.3", "IPv4 address has 3 parts", 0},
        {"::ffff:01.2.3.4", "IPv4 octet 01 has a leading zero", 8},
        {"::1.2.3.4:5", "unexpected character ':' in IPv4 address", 10},
        {"::1.2.3.4::", "unexpected character ':'", 10},
        {"::ffff:1a.2.3.4", "unexpected character 'a' in IPv4 address", 9},
        {"1.2.3.4:80", "unexpected character ':' in IPv4 address", 8},
    };

    (void)state;
    check_rejections(cases, sizeof(cases) / sizeof(cases[0]), 0);
}

static void test_cidr_valid(void **state)
{
    ermes_cidr_t net;
    ermes_diag_t d;

    (void)state;
    check_cidr("192.0.2.0/24", 0, "192.0.2.0/24");
    check_cidr("0.0.0.0/0", 0, "0.0.0.0/0");
    check_cidr("192.0.2.1/32", 0, "192.0.2.1/32");
    check_cidr("192.0.2.1", 0, "192.0.2.1/32");
    check_cidr("10.0.0.0/8", 0, "10.0.0.0/8");
    check_cidr("192.0.2.128/25", 0, "192.0.2.128/25");
    check_cidr("::/0", 0, "::/0");
    check_cidr("2001:DB8::/32", 0, "2001:db8::/32");
    check_cidr("2001:db8::1", 0, "2001:db8::1/128");
    check_cidr("2001:db8:0:0:8000::/65", 0, "2001:db8:0:0:8000::/65");
    check_cidr("::ffff:192.0.2.0/120", 0, "::ffff:192.0.2.0/120");
    check_cidr("2001:db8::1/128", 0, "2001:db8::1/128");

    /* Lenient parsing masks the host bits. */
    check_cidr("192.0.2.77/24", ERMES_CIDR_LENIENT, "192.0.2.0/24");
    check_cidr("10.1.2.3/0", ERMES_CIDR_LENIENT, "0.0.0.0/0");
    check_cidr("192.0.2.255/31", ERMES_CIDR_LENIENT, "192.0.2.254/31");
    check_cidr("2001:db8::1/64", ERMES_CIDR_LENIENT, "2001:db8::/64");
    check_cidr("2001:db8:ffff::/33", ERMES_CIDR_LENIENT, "2001:db8:8000::/33");

    assert_int_equal(parse_cidr("198.51.100.0/28", 0, &net, &d), 0);
    assert_int_equal(net.prefix, 28);
    assert_int_equal(net.addr.family, ERMES_AF_INET);
}

static void test_cidr_rejected(void **state)
{
    static const rejection_t cases[] = {
        {"", "empty network", 1},
        {"/24", "missing address before '/'", 1},
        {"192.0.2.0/", "missing prefix length after '/'", 10},
        {"192.0.2.0/33", "prefix length 33 is greater than 32 for an IPv4 network", 11},
        {"192.0.2.0/100", "prefix length 100 is greater than 32", 11},
        {"192.0.2.0/99999999999999999999", "prefix length 9999999999999999... is greater", 11},
        {"2001:db8::/129", "prefix length 129 is greater than 128 for an IPv6 network", 12},
        {"192.0.2.0/+24", "unexpected character '+' in prefix length", 11},
        {"192.0.2.0/-24", "unexpected character '-' in prefix length", 11},
        {"192.0.2.0/024", "prefix length 024 has a leading zero", 11},
        {"192.0.2.0/00", "prefix length 00 has a leading zero", 11},
        {"192.0.2.0/2a", "unexpected character 'a' in prefix length", 12},
        {"192.0.2.0/24 ", "unexpected character a space in prefix length", 13},
        {"192.0.2.0/ 24", "unexpected character a space", 11},
        {"192.0.2.0/24/24", "unexpected character '/'", 13},
        {"192.0.2.1/24", "host bits set: did you mean 192.0.2.0/24?", 1},
        {"10.1.0.0/8", "did you mean 10.0.0.0/8?", 1},
        {"192.0.2.1/0", "did you mean 0.0.0.0/0?", 1},
        {"2001:db8::1/64", "host bits set: did you mean 2001:db8::/64?", 1},
        {"2001:db8:1::/32", "did you mean 2001:db8::/32?", 1},
        {"010.0.0.0/8", "IPv4 octet 010 has a leading zero", 1},
        {"1.2.3/24", "IPv4 address has 3 parts", 0},
        {"fe80::%eth0/64", "zone index", 7},
    };

    (void)state;
    check_rejections(cases, sizeof(cases) / sizeof(cases[0]), 1);
}

static void test_diag_optional(void **state)
{
    ermes_ip_t ip;
    ermes_cidr_t net;

    (void)state;
    assert_int_equal(ermes_ip_parse("1.2.3", 5, &ip, NULL), ERMES_EPARSE);
    assert_int_equal(ermes_cidr_parse("1.2.3.4/24", 10, 0, &net, NULL), ERMES_EPARSE);
    assert_int_equal(ermes_ip_parse(NULL, 0, &ip, NULL), ERMES_EPARSE);
}

static void test_len_respected(void **state)
{
    ermes_ip_t ip;
    ermes_cidr_t net;
    ermes_diag_t d;
    char buf[ERMES_IP_STRLEN];

    (void)state;
    /* Only the first len bytes count, whatever follows them. */
    assert_int_equal(ermes_ip_parse("192.0.2.1xyz", 9, &ip, &d), 0);
    ermes_ip_format(&ip, buf);
    assert_string_equal(buf, "192.0.2.1");
    assert_int_equal(ermes_cidr_parse("10.0.0.0/8/garbage", 10, 0, &net, &d), 0);
    assert_int_equal(net.prefix, 8);
    assert_int_equal(ermes_ip_parse("::1:", 3, &ip, &d), 0);
    ermes_ip_format(&ip, buf);
    assert_string_equal(buf, "::1");
    /* A NUL inside the length is just a bad byte. */
    assert_int_equal(ermes_ip_parse("1.2.3.4\0", 8, &ip, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "byte 0x00"));
}

static void test_format_longest(void **state)
{
    ermes_ip_t ip;
    ermes_cidr_t net;
    char buf[ERMES_CIDR_STRLEN];
    size_t n;

    (void)state;
    memset(&ip, 0, sizeof(ip));
    ip.family = ERMES_AF_INET6;
    memset(ip.bytes, 0xff, 10);
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xfe;
    memset(ip.bytes + 12, 0xff, 4);
    n = ermes_ip_format(&ip, buf);
    assert_true(n < ERMES_IP_STRLEN);
    assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:fffe:ffff:ffff");

    net.addr = ip;
    net.prefix = 128;
    n = ermes_cidr_format(&net, buf);
    assert_true(n < ERMES_CIDR_STRLEN);
    assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:fffe:ffff:ffff/128");

    memset(&ip, 0, sizeof(ip));
    ip.family = 0;
    assert_int_equal(ermes_ip_format(&ip, buf), 0);
    assert_string_equal(buf, "");
}

static void test_contains(void **state)
{
    ermes_cidr_t net;
    ermes_ip_t ip;
    ermes_diag_t d;
    size_t i;
    static const struct {
        const char *net, *ip;
        int inside;
    } cases[] = {
        {"192.0.2.0/24", "192.0.2.0", 1},
        {"192.0.2.0/24", "192.0.2.255", 1},
        {"192.0.2.0/24", "192.0.3.0", 0},
        {"192.0.2.0/24", "192.0.1.255", 0},
        {"192.0.2.128/25", "192.0.2.127", 0},
        {"192.0.2.128/25", "192.0.2.128", 1},
        {"192.0.2.7/32", "192.0.2.7", 1},
        {"192.0.2.7/32", "192.0.2.6", 0},
        {"0.0.0.0/0", "255.255.255.255", 1},
        {"0.0.0.0/0", "::", 0},
        {"::/0", "0.0.0.0", 0},
        {"::/0", "ffff::1", 1},
        {"2001:db8::/32", "2001:db8:ffff::1", 1},
        {"2001:db8::/32", "2001:db9::", 0},
        {"2001:db8::/33", "2001:db8:8000::", 0},
        {"2001:db8::/33", "2001:db8:7fff::", 1},
        {"2001:db8::1/128", "2001:db8::1", 1},
        {"2001:db8::1/128", "2001:db8::2", 0},
        {"::ffff:0.0.0.0/96", "::ffff:192.0.2.1", 1},
        {"::ffff:0.0.0.0/96", "192.0.2.1", 0},
    };

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse_cidr(cases[i].net, 0, &net, &d), 0);
        assert_int_equal(parse_ip(cases[i].ip, &ip, &d), 0);
        if (ermes_cidr_contains(&net, &ip) != cases[i].inside)
            fail_msg("%s contains %s: want %d", cases[i].net, cases[i].ip, cases[i].inside);
    }
}

static void test_cmp(void **state)
{
    ermes_ip_t a, b;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(parse_ip("10.0.0.1", &a, &d), 0);
    assert_int_equal(parse_ip("10.0.0.2", &b, &d), 0);
    assert_true(ermes_ip_cmp(&a, &b) < 0);
    assert_true(ermes_ip_cmp(&b, &a) > 0);
    assert_int_equal(ermes_ip_cmp(&a, &a), 0);
    assert_int_equal(parse_ip("9.255.255.255", &b, &d), 0);
    assert_true(ermes_ip_cmp(&a, &b) > 0);
    /* Family first: every IPv4 address sorts before every IPv6 address. */
    assert_int_equal(parse_ip("::", &b, &d), 0);
    assert_true(ermes_ip_cmp(&a, &b) < 0);
    assert_true(ermes_ip_cmp(&b, &a) > 0);
    assert_int_equal(parse_ip("::ffff:10.0.0.1", &b, &d), 0);
    assert_true(ermes_ip_cmp(&a, &b) != 0);
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* Random addresses and networks: format, parse and compare; random text must never crash. */
static void test_round_trip_random(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char buf[ERMES_CIDR_STRLEN];
    int i;

    (void)state;
    for (i = 0; i < 200000; i++) {
        uint64_t r = xorshift64(&seed);
        ermes_cidr_t net, again;
        ermes_diag_t d;
        int k;

        memset(&net, 0, sizeof(net));
        if (r & 1) {
            net.addr.family = ERMES_AF_INET;
            for (k = 0; k < 4; k++)
                net.addr.bytes[k] = (uint8_t)(xorshift64(&seed) >> 56);
            net.prefix = (uint8_t)(xorshift64(&seed) % 33);
        } else {
            net.addr.family = ERMES_AF_INET6;
            for (k = 0; k < 16; k++) {
                /* Many zero bytes, to exercise "::" placement. */
                uint64_t v = xorshift64(&seed);

                net.addr.bytes[k] = (v & 3) ? 0 : (uint8_t)(v >> 56);
            }
            if ((r >> 1 & 7) == 0)
                memcpy(net.addr.bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
            net.prefix = (uint8_t)(xorshift64(&seed) % 129);
        }
        /* Host address: /32 or /128 round trip, no masking. */
        {
            ermes_ip_t ip;
            size_t n = ermes_ip_format(&net.addr, buf);

            assert_true(n < ERMES_IP_STRLEN);
            assert_int_equal(ermes_ip_parse(buf, n, &ip, &d), 0);
            assert_int_equal(ermes_ip_cmp(&ip, &net.addr), 0);
        }
        /* Networks: the lenient parse masks; the strict parse of the result agrees. */
        {
            ermes_cidr_t masked;
            size_t n = ermes_cidr_format(&net, buf);

            assert_int_equal(ermes_cidr_parse(buf, n, ERMES_CIDR_LENIENT, &masked, &d), 0);
            n = ermes_cidr_format(&masked, buf);
            assert_int_equal(ermes_cidr_parse(buf, n, 0, &again, &d), 0);
            assert_int_equal(ermes_ip_cmp(&masked.addr, &again.addr), 0);
            assert_int_equal(masked.prefix, again.prefix);
            assert_int_equal(masked.prefix, net.prefix);
            assert_true(ermes_cidr_contains(&masked, &net.addr));
        }
    }
    /* Random short strings over the address alphabet. */
    for (i = 0; i < 200000; i++) {
        static const char alphabet[] = "0123456789abcdefABCDEF:./%x ";
        char text[48];
        size_t n = (size_t)(xorshift64(&seed) % sizeof(text)), k;
        ermes_cidr_t net;
        ermes_diag_t d;

        for (k = 0; k < n; k++)
            text[k] = alphabet[xorshift64(&seed) % (sizeof(alphabet) - 1)];
        {
            char *p = exact_copy(text, n);

            ermes_diag_clear(&d);
            if (ermes_cidr_parse(p, n, 0, &net, &d) == 0) {
                size_t m = ermes_cidr_format(&net, buf);
                ermes_cidr_t again;

                assert_int_equal(ermes_cidr_parse(buf, m, 0, &again, &d), 0);
                assert_int_equal(ermes_ip_cmp(&net.addr, &again.addr), 0);
            } else {
                assert_true(d.reason[0] != '\0');
                assert_true(d.column >= 1 && d.column <= (long)n + 1);
            }
            free(p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_valid),
        cmocka_unit_test(test_ipv4_bytes),
        cmocka_unit_test(test_ipv4_rejected),
        cmocka_unit_test(test_ipv6_valid),
        cmocka_unit_test(test_ipv6_bytes),
        cmocka_unit_test(test_ipv6_rejected),
        cmocka_unit_test(test_cidr_valid),
        cmocka_unit_test(test_cidr_rejected),
        cmocka_unit_test(test_diag_optional),
        cmocka_unit_test(test_len_respected),
        cmocka_unit_test(test_format_longest),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_cmp),
        cmocka_unit_test(test_round_trip_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
