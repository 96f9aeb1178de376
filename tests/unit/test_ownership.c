/* Tests of the ownership index (src/constituency/ownership.c): most specific network, ASN
 * fallback, longest domain suffix, last rule wins, a differential test against a linear scan,
 * and allocation failures at every step of building. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "ermes/error.h"
#include "ermes/net.h"
#include "ermes/ownership.h"

static ermes_cidr_t cidr(const char *s)
{
    ermes_cidr_t net;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes_cidr_parse(s, strlen(s), 0, &net, &d) != 0)
        fail_msg("bad network in test: %s: %s", s, d.reason);
    return net;
}

static ermes_ip_t ip(const char *s)
{
    ermes_ip_t a;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes_ip_parse(s, strlen(s), &a, &d) != 0)
        fail_msg("bad address in test: %s: %s", s, d.reason);
    return a;
}

static void add_net(ermes_ownership_builder_t *b, const char *s, int64_t org)
{
    ermes_cidr_t net = cidr(s);

    assert_int_equal(ermes_ownership_add_network(b, &net, org), 0);
}

static void add_domain(ermes_ownership_builder_t *b, const char *s, int64_t org)
{
    assert_int_equal(ermes_ownership_add_domain(b, s, strlen(s), org), 0);
}

static ermes_ownership_t *build(ermes_ownership_builder_t *b)
{
    ermes_ownership_t *idx = NULL;

    assert_int_equal(ermes_ownership_build(b, &idx), 0);
    assert_non_null(idx);
    return idx;
}

/* Looks up addr and checks the owner and the network that matched ("" for none). */
static void expect_ip(const ermes_ownership_t *idx, const char *addr, uint32_t asn_hint,
                      int64_t org, const char *network)
{
    ermes_ip_t a = ip(addr);
    ermes_owner_t o;
    char buf[ERMES_CIDR_STRLEN];
    int found = ermes_ownership_ip(idx, &a, asn_hint, &o);

    if (org == 0) {
        if (found || o.rule != ERMES_OWNER_NONE || o.org_id != 0)
            fail_msg("%s: want no owner, got org %lld", addr, (long long)o.org_id);
        return;
    }
    if (!found || o.org_id != org)
        fail_msg("%s: want org %lld, got %lld (found %d)", addr, (long long)org,
                 (long long)o.org_id, found);
    if (network[0] == '\0') {
        assert_int_equal(o.rule, ERMES_OWNER_ASN);
        assert_int_equal(o.asn, asn_hint);
        return;
    }
    assert_int_equal(o.rule, ERMES_OWNER_NETWORK);
    ermes_cidr_format(&o.network, buf);
    if (strcmp(buf, network) != 0)
        fail_msg("%s: want network %s, got %s", addr, network, buf);
}

static void expect_domain(const ermes_ownership_t *idx, const char *name, int64_t org,
                          const char *matched)
{
    ermes_owner_t o;
    size_t len = strlen(name);
    char *copy = malloc(len ? len : 1);
    int found;

    /* Exactly len bytes, no NUL: the lookup must not read past them. */
    assert_non_null(copy);
    memcpy(copy, name, len);
    found = ermes_ownership_domain(idx, copy, len, &o);
    free(copy);
    if (org == 0) {
        if (found || o.rule != ERMES_OWNER_NONE || o.org_id != 0 || o.domain)
            fail_msg("%s: want no owner, got org %lld", name, (long long)o.org_id);
        return;
    }
    if (!found || o.org_id != org)
        fail_msg("%s: want org %lld, got %lld", name, (long long)org, (long long)o.org_id);
    assert_int_equal(o.rule, ERMES_OWNER_DOMAIN);
    assert_non_null(o.domain);
    if (strcmp(o.domain, matched) != 0)
        fail_msg("%s: want match %s, got %s", name, matched, o.domain);
}

static void test_empty_index(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    ermes_ownership_stats_t st;
    ermes_owner_t o;

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    idx = build(b);
    expect_ip(idx, "192.0.2.1", 0, 0, "");
    expect_ip(idx, "2001:db8::1", 64500, 0, "");
    expect_domain(idx, "example.eu", 0, "");
    assert_int_equal(ermes_ownership_asn(idx, 64500, &o), 0);
    assert_int_equal(o.rule, ERMES_OWNER_NONE);
    ermes_ownership_stats(idx, &st);
    assert_int_equal(st.networks4 + st.networks6 + st.asns + st.domains, 0);
    assert_true(st.bytes > 0);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
    ermes_ownership_release(NULL);
    ermes_ownership_builder_free(NULL);
}

static void test_nested_ipv4(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    /* Added out of order on purpose. */
    add_net(b, "192.0.2.7/32", 3);
    add_net(b, "10.0.0.0/16", 1);
    add_net(b, "10.0.5.0/24", 2);
    add_net(b, "10.0.5.7/32", 3);
    add_net(b, "192.0.2.0/24", 4);
    add_net(b, "10.0.5.128/25", 5);
    add_net(b, "10.0.5.128/26", 6);
    idx = build(b);

    expect_ip(idx, "10.0.0.0", 0, 1, "10.0.0.0/16");
    expect_ip(idx, "10.0.4.255", 0, 1, "10.0.0.0/16");
    expect_ip(idx, "10.0.5.0", 0, 2, "10.0.5.0/24");
    expect_ip(idx, "10.0.5.6", 0, 2, "10.0.5.0/24");
    expect_ip(idx, "10.0.5.7", 0, 3, "10.0.5.7/32");
    expect_ip(idx, "10.0.5.8", 0, 2, "10.0.5.0/24");
    expect_ip(idx, "10.0.5.127", 0, 2, "10.0.5.0/24");
    expect_ip(idx, "10.0.5.128", 0, 6, "10.0.5.128/26");
    expect_ip(idx, "10.0.5.191", 0, 6, "10.0.5.128/26");
    expect_ip(idx, "10.0.5.192", 0, 5, "10.0.5.128/25");
    expect_ip(idx, "10.0.5.255", 0, 5, "10.0.5.128/25");
    expect_ip(idx, "10.0.6.0", 0, 1, "10.0.0.0/16");
    expect_ip(idx, "10.0.255.255", 0, 1, "10.0.0.0/16");
    expect_ip(idx, "10.1.0.0", 0, 0, "");
    expect_ip(idx, "9.255.255.255", 0, 0, "");
    expect_ip(idx, "192.0.2.6", 0, 4, "192.0.2.0/24");
    expect_ip(idx, "192.0.2.7", 0, 3, "192.0.2.7/32");
    expect_ip(idx, "192.0.2.8", 0, 4, "192.0.2.0/24");
    expect_ip(idx, "0.0.0.0", 0, 0, "");
    expect_ip(idx, "255.255.255.255", 0, 0, "");
    /* An IPv4 network does not cover the IPv4-mapped IPv6 address. */
    expect_ip(idx, "::ffff:10.0.5.7", 0, 0, "");
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
}

static void test_adjacent_and_edges(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    add_net(b, "0.0.0.0/0", 100);
    add_net(b, "192.0.2.0/25", 1);
    add_net(b, "192.0.2.128/25", 2);
    add_net(b, "192.0.3.0/24", 3);
    add_net(b, "255.255.255.255/32", 4);
    add_net(b, "255.255.255.0/24", 5);
    add_net(b, "0.0.0.0/32", 6);
    add_net(b, "0.0.0.0/8", 7);
    /* Both halves of a /24 and a /23 around them: the halves win. */
    add_net(b, "198.51.100.0/23", 8);
    add_net(b, "198.51.100.0/24", 9);
    add_net(b, "198.51.101.0/24", 10);
    idx = build(b);

    expect_ip(idx, "192.0.2.127", 0, 1, "192.0.2.0/25");
    expect_ip(idx, "192.0.2.128", 0, 2, "192.0.2.128/25");
    expect_ip(idx, "192.0.2.255", 0, 2, "192.0.2.128/25");
    expect_ip(idx, "192.0.3.0", 0, 3, "192.0.3.0/24");
    expect_ip(idx, "192.0.4.0", 0, 100, "0.0.0.0/0");
    expect_ip(idx, "192.0.1.255", 0, 100, "0.0.0.0/0");
    expect_ip(idx, "255.255.255.255", 0, 4, "255.255.255.255/32");
    expect_ip(idx, "255.255.255.254", 0, 5, "255.255.255.0/24");
    expect_ip(idx, "255.255.254.255", 0, 100, "0.0.0.0/0");
    expect_ip(idx, "0.0.0.0", 0, 6, "0.0.0.0/32");
    expect_ip(idx, "0.0.0.1", 0, 7, "0.0.0.0/8");
    expect_ip(idx, "1.0.0.0", 0, 100, "0.0.0.0/0");
    expect_ip(idx, "198.51.100.255", 0, 9, "198.51.100.0/24");
    expect_ip(idx, "198.51.101.0", 0, 10, "198.51.101.0/24");
    expect_ip(idx, "198.51.102.0", 0, 100, "0.0.0.0/0");
    /* The default route matches everything, so the ASN hint is never consulted. */
    expect_ip(idx, "8.8.8.8", 64500, 100, "0.0.0.0/0");
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
}

static void test_nested_ipv6(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    ermes_ownership_stats_t st;

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    add_net(b, "2001:db8::/32", 1);
    add_net(b, "2001:db8:7::/48", 2);
    add_net(b, "2001:db8:7:1::/64", 3);
    add_net(b, "2001:db8:7:1::1/128", 4);
    add_net(b, "2001:db8:8::/48", 5);
    add_net(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 6);
    add_net(b, "::/128", 7);
    add_net(b, "2001:db8:7:1:8000::/65", 8);
    add_net(b, "10.0.0.0/8", 9);
    idx = build(b);

    expect_ip(idx, "2001:db8::1", 0, 1, "2001:db8::/32");
    expect_ip(idx, "2001:db8:7::", 0, 2, "2001:db8:7::/48");
    expect_ip(idx, "2001:db8:7:0:ffff:ffff:ffff:ffff", 0, 2, "2001:db8:7::/48");
    expect_ip(idx, "2001:db8:7:1::", 0, 3, "2001:db8:7:1::/64");
    expect_ip(idx, "2001:db8:7:1::1", 0, 4, "2001:db8:7:1::1/128");
    expect_ip(idx, "2001:db8:7:1::2", 0, 3, "2001:db8:7:1::/64");
    expect_ip(idx, "2001:db8:7:1:7fff:ffff:ffff:ffff", 0, 3, "2001:db8:7:1::/64");
    expect_ip(idx, "2001:db8:7:1:8000::", 0, 8, "2001:db8:7:1:8000::/65");
    expect_ip(idx, "2001:db8:7:1:ffff:ffff:ffff:ffff", 0, 8, "2001:db8:7:1:8000::/65");
    expect_ip(idx, "2001:db8:7:2::", 0, 2, "2001:db8:7::/48");
    expect_ip(idx, "2001:db8:8::1", 0, 5, "2001:db8:8::/48");
    expect_ip(idx, "2001:db8:9::1", 0, 1, "2001:db8::/32");
    expect_ip(idx, "2001:db9::", 0, 0, "");
    expect_ip(idx, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, "");
    expect_ip(idx, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 6,
              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
    expect_ip(idx, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 0, 0, "");
    expect_ip(idx, "::", 0, 7, "::/128");
    expect_ip(idx, "::1", 0, 0, "");
    /* Families do not mix: 10.0.0.0/8 says nothing about ::a00:1. */
    expect_ip(idx, "::a00:1", 0, 0, "");
    expect_ip(idx, "10.0.0.1", 0, 9, "10.0.0.0/8");
    ermes_ownership_stats(idx, &st);
    assert_int_equal(st.networks4, 1);
    assert_int_equal(st.networks6, 8);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);

    /* The whole IPv6 space. */
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    add_net(b, "::/0", 11);
    add_net(b, "8000::/1", 12);
    idx = build(b);
    expect_ip(idx, "::", 0, 11, "::/0");
    expect_ip(idx, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 11, "::/0");
    expect_ip(idx, "8000::", 0, 12, "8000::/1");
    expect_ip(idx, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 12, "8000::/1");
    expect_ip(idx, "10.0.0.1", 0, 0, "");
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
}

static void test_asn(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    ermes_owner_t o;
    ermes_ownership_stats_t st;

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    add_net(b, "192.0.2.0/24", 1);
    add_net(b, "2001:db8::/32", 2);
    assert_int_equal(ermes_ownership_add_asn(b, 64500, 10), 0);
    assert_int_equal(ermes_ownership_add_asn(b, 64501, 11), 0);
    assert_int_equal(ermes_ownership_add_asn(b, 4200000000u, 12), 0);
    assert_int_equal(ermes_ownership_add_asn(b, 64501, 13), 0); /* the last one wins */
    assert_int_equal(ermes_ownership_add_asn(b, 0, 14), ERMES_EINVAL);
    idx = build(b);

    /* A matching network beats the ASN hint. */
    expect_ip(idx, "192.0.2.1", 64500, 1, "192.0.2.0/24");
    expect_ip(idx, "2001:db8::1", 64500, 2, "2001:db8::/32");
    /* No network: the hint decides. */
    expect_ip(idx, "198.51.100.1", 64500, 10, "");
    expect_ip(idx, "2001:db9::1", 64501, 13, "");
    expect_ip(idx, "198.51.100.1", 4200000000u, 12, "");
    expect_ip(idx, "198.51.100.1", 64999, 0, "");
    expect_ip(idx, "198.51.100.1", 0, 0, "");

    assert_int_equal(ermes_ownership_asn(idx, 64500, &o), 1);
    assert_int_equal(o.org_id, 10);
    assert_int_equal(o.rule, ERMES_OWNER_ASN);
    assert_int_equal(o.asn, 64500);
    assert_int_equal(ermes_ownership_asn(idx, 64501, &o), 1);
    assert_int_equal(o.org_id, 13);
    assert_int_equal(ermes_ownership_asn(idx, 64502, &o), 0);
    assert_int_equal(o.org_id, 0);
    assert_int_equal(o.rule, ERMES_OWNER_NONE);
    assert_int_equal(ermes_ownership_asn(idx, 0, &o), 0);
    ermes_ownership_stats(idx, &st);
    assert_int_equal(st.asns, 3);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
}

static void test_domains(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    ermes_ownership_stats_t st;
    char long_name[300];
    size_t i;

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    add_domain(b, "example.eu", 1);
    add_domain(b, "Dept.Example.EU.", 2); /* stored lower case, without the dot */
    add_domain(b, "uma.example", 3);
    add_domain(b, "eu", 4);
    add_domain(b, "other.example.eu", 5);
    add_domain(b, "other.example.eu", 6); /* the last one wins */
    idx = build(b);

    expect_domain(idx, "example.eu", 1, "example.eu");
    expect_domain(idx, "www.example.eu", 1, "example.eu");
    expect_domain(idx, "dept.example.eu", 2, "dept.example.eu");
    expect_domain(idx, "mail.dept.example.eu", 2, "dept.example.eu");
    expect_domain(idx, "a.b.c.mail.dept.example.eu", 2, "dept.example.eu");
    expect_domain(idx, "xdept.example.eu", 1, "example.eu");
    expect_domain(idx, "MAIL.DEPT.Example.Eu", 2, "dept.example.eu");
    expect_domain(idx, "mail.dept.example.eu.", 2, "dept.example.eu");
    expect_domain(idx, "other.example.eu", 6, "other.example.eu");
    expect_domain(idx, "uma.example", 3, "uma.example");
    expect_domain(idx, "www.uma.example", 3, "uma.example");
    /* Only on label boundaries. */
    expect_domain(idx, "xuma.example", 0, "");
    expect_domain(idx, "example", 0, "");
    expect_domain(idx, "uma.example.org", 0, "");
    expect_domain(idx, "xexample.eu", 4, "eu");
    expect_domain(idx, "eu", 4, "eu");
    expect_domain(idx, "xeu", 0, "");
    /* Malformed names own nothing. */
    expect_domain(idx, "", 0, "");
    expect_domain(idx, ".", 0, "");
    expect_domain(idx, "example.eu..", 0, "");
    expect_domain(idx, "a..example.eu", 0, "");
    expect_domain(idx, ".example.eu", 0, "");
    expect_domain(idx, "..example.eu", 0, "");
    expect_domain(idx, "mail.dept.example.eu.x", 0, "");

    /* 253 bytes is the longest name; 254 is not a name. */
    memset(long_name, 'a', sizeof(long_name));
    memcpy(long_name + 253 - 11, ".example.eu", 11);
    long_name[253] = '\0';
    expect_domain(idx, long_name, 1, "example.eu");
    long_name[253] = '.';
    long_name[254] = '\0';
    expect_domain(idx, long_name, 1, "example.eu");
    memset(long_name, 'a', sizeof(long_name));
    memcpy(long_name + 254 - 11, ".example.eu", 11);
    long_name[254] = '\0';
    expect_domain(idx, long_name, 0, "");
    /* Many short labels. */
    for (i = 0; i < 242; i += 2) {
        long_name[i] = 'a';
        long_name[i + 1] = '.';
    }
    memcpy(long_name + 242, "example.eu", 11);
    assert_int_equal(strlen(long_name), 252);
    expect_domain(idx, long_name, 1, "example.eu");

    ermes_ownership_stats(idx, &st);
    assert_int_equal(st.domains, 5);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
}

static void test_add_rejects(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    ermes_cidr_t net;
    char name[300], stored[254];

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    assert_int_equal(ermes_ownership_add_domain(b, "", 0, 1), ERMES_EINVAL);
    assert_int_equal(ermes_ownership_add_domain(b, ".", 1, 1), ERMES_EINVAL);
    assert_int_equal(ermes_ownership_add_domain(b, "a..b", 4, 1), ERMES_EINVAL);
    assert_int_equal(ermes_ownership_add_domain(b, ".a", 2, 1), ERMES_EINVAL);
    assert_int_equal(ermes_ownership_add_domain(b, "a.b..", 5, 1), ERMES_EINVAL);
    assert_int_equal(ermes_ownership_add_domain(b, NULL, 0, 1), ERMES_EINVAL);
    memset(name, 'a', sizeof(name));
    assert_int_equal(ermes_ownership_add_domain(b, name, 254, 1), ERMES_EINVAL);
    assert_int_equal(ermes_ownership_add_domain(b, name, 253, 1), 0);
    name[253] = '.';
    assert_int_equal(ermes_ownership_add_domain(b, name, 254, 2), 0);
    memset(stored, 'a', 253);
    stored[253] = '\0';

    /* Host bits set, bad prefix, bad family. */
    net = cidr("192.0.2.0/24");
    net.addr.bytes[3] = 1;
    assert_int_equal(ermes_ownership_add_network(b, &net, 1), ERMES_EINVAL);
    net = cidr("192.0.2.0/24");
    net.prefix = 33;
    assert_int_equal(ermes_ownership_add_network(b, &net, 1), ERMES_EINVAL);
    net = cidr("2001:db8::/32");
    net.prefix = 129;
    assert_int_equal(ermes_ownership_add_network(b, &net, 1), ERMES_EINVAL);
    net = cidr("2001:db8::/32");
    net.addr.bytes[15] = 1;
    assert_int_equal(ermes_ownership_add_network(b, &net, 1), ERMES_EINVAL);
    net.addr.family = 5;
    assert_int_equal(ermes_ownership_add_network(b, &net, 1), ERMES_EINVAL);
    assert_int_equal(ermes_ownership_add_network(b, NULL, 1), ERMES_EINVAL);

    idx = build(b);
    expect_domain(idx, stored, 2, stored);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
}

static void test_last_wins_and_reuse(void **state)
{
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx, *idx2;
    ermes_ownership_stats_t st;

    (void)state;
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    add_net(b, "192.0.2.0/24", 1);
    add_net(b, "192.0.2.0/25", 2);
    add_net(b, "192.0.2.0/24", 3);
    add_net(b, "2001:db8::/32", 4);
    add_net(b, "2001:db8::/32", 5);
    add_net(b, "192.0.2.0/24", 6);
    idx = build(b);
    expect_ip(idx, "192.0.2.200", 0, 6, "192.0.2.0/24");
    expect_ip(idx, "192.0.2.1", 0, 2, "192.0.2.0/25");
    expect_ip(idx, "2001:db8::1", 0, 5, "2001:db8::/32");
    ermes_ownership_stats(idx, &st);
    assert_int_equal(st.networks4, 2);
    assert_int_equal(st.networks6, 1);

    /* The builder is empty after a build and can be used again. */
    idx2 = build(b);
    expect_ip(idx2, "192.0.2.200", 0, 0, "");
    ermes_ownership_release(idx2);
    add_net(b, "192.0.2.0/24", 7);
    idx2 = build(b);
    expect_ip(idx2, "192.0.2.200", 0, 7, "192.0.2.0/24");

    /* The first index is untouched by the second and lives until its last reference. */
    assert_ptr_equal(ermes_ownership_retain(idx), idx);
    ermes_ownership_release(idx);
    expect_ip(idx, "192.0.2.200", 0, 6, "192.0.2.0/24");
    ermes_ownership_release(idx);
    ermes_ownership_release(idx2);
    ermes_ownership_builder_free(b);
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

typedef struct rule {
    ermes_cidr_t net;
    int64_t org;
} rule_t;

/* The answer by definition: the longest prefix containing the address, the last added of
 * equal networks. */
static int brute_force(const rule_t *rules, size_t n, const ermes_ip_t *a, int64_t *org,
                       ermes_cidr_t *net)
{
    int best = -1;
    size_t i;

    for (i = 0; i < n; i++) {
        if (ermes_cidr_contains(&rules[i].net, a) && (int)rules[i].net.prefix >= best) {
            best = rules[i].net.prefix;
            *org = rules[i].org;
            *net = rules[i].net;
        }
    }
    return best >= 0;
}

static void mask(ermes_cidr_t *net)
{
    unsigned nbytes = net->addr.family == ERMES_AF_INET ? 4 : 16;
    unsigned i;

    for (i = 0; i < nbytes; i++) {
        unsigned keep = 0;

        if (net->prefix >= 8 * (i + 1))
            keep = 8;
        else if (net->prefix > 8 * i)
            keep = net->prefix - 8 * i;
        net->addr.bytes[i] &= (uint8_t)(keep ? 0xff << (8 - keep) : 0);
    }
}

/* A random address, most of the time close to one of the rules so lookups hit the nests. */
static void random_address(uint64_t *seed, const rule_t *rules, size_t n, ermes_ip_t *a)
{
    uint64_t r = xorshift64(seed);
    unsigned k;

    if (r % 4 != 0 && n > 0) {
        const rule_t *base = &rules[xorshift64(seed) % n];
        unsigned nbytes = base->net.addr.family == ERMES_AF_INET ? 4 : 16;

        *a = base->net.addr;
        /* Flip a few low bits: inside, at the edges or just outside the network. */
        for (k = 0; k < 3; k++) {
            unsigned bit = (unsigned)(xorshift64(seed) % (8 * nbytes));

            if (xorshift64(seed) % 2)
                bit = 8 * nbytes - 1 - (bit % 12);
            a->bytes[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
        }
        if (r % 16 == 1)
            memset(a->bytes + nbytes - 2, 0xff, 2);
        return;
    }
    memset(a, 0, sizeof(*a));
    a->family = (r >> 8) % 3 ? ERMES_AF_INET : ERMES_AF_INET6;
    for (k = 0; k < (a->family == ERMES_AF_INET ? 4u : 16u); k++)
        a->bytes[k] = (uint8_t)(xorshift64(seed) >> 56);
    if (a->family == ERMES_AF_INET)
        a->bytes[0] = (uint8_t)(a->bytes[0] % 4 + 10);
    else
        memcpy(a->bytes, "\x20\x01\x0d\xb8", 4);
}

static void test_differential(void **state)
{
    enum { NRULES = 3000, NLOOKUPS = 100000 };
    uint64_t seed = 0x2545f4914f6cdd1dull;
    rule_t *rules = calloc(NRULES, sizeof(*rules));
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    size_t i, hits = 0;

    (void)state;
    assert_non_null(rules);
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    for (i = 0; i < NRULES; i++) {
        rule_t *r = &rules[i];
        uint64_t x = xorshift64(&seed);
        unsigned k;

        if (i > 0 && x % 5 == 0) {
            /* A more specific network (or a duplicate) inside an earlier one. */
            const rule_t *parent = &rules[xorshift64(&seed) % i];
            unsigned width = parent->net.addr.family == ERMES_AF_INET ? 32 : 128;

            r->net = parent->net;
            r->net.prefix = (uint8_t)(parent->net.prefix +
                                      xorshift64(&seed) % (width - parent->net.prefix + 1));
            for (k = 0; k < width / 8; k++)
                r->net.addr.bytes[k] |= (uint8_t)(xorshift64(&seed) >> 56);
        } else if (x % 3 != 0) {
            /* IPv4 in 10.0.0.0/14 so that networks collide and nest often. */
            memset(&r->net, 0, sizeof(r->net));
            r->net.addr.family = ERMES_AF_INET;
            for (k = 0; k < 4; k++)
                r->net.addr.bytes[k] = (uint8_t)(xorshift64(&seed) >> 56);
            r->net.addr.bytes[0] = (uint8_t)(r->net.addr.bytes[0] % 4 + 10);
            r->net.prefix = (uint8_t)(8 + xorshift64(&seed) % 25);
        } else {
            memset(&r->net, 0, sizeof(r->net));
            r->net.addr.family = ERMES_AF_INET6;
            for (k = 0; k < 16; k++)
                r->net.addr.bytes[k] = (uint8_t)(xorshift64(&seed) >> 56);
            memcpy(r->net.addr.bytes, "\x20\x01\x0d\xb8", 4);
            r->net.addr.bytes[4] &= 0x03;
            r->net.prefix = (uint8_t)(24 + xorshift64(&seed) % 105);
        }
        mask(&r->net);
        r->org = (int64_t)(i + 1);
        assert_int_equal(ermes_ownership_add_network(b, &r->net, r->org), 0);
    }
    idx = build(b);

    for (i = 0; i < NLOOKUPS; i++) {
        ermes_ip_t a;
        ermes_owner_t o;
        int64_t want_org = 0;
        ermes_cidr_t want_net;
        int want, got;

        random_address(&seed, rules, NRULES, &a);
        want = brute_force(rules, NRULES, &a, &want_org, &want_net);
        got = ermes_ownership_ip(idx, &a, 0, &o);
        if (want != got || (want && (o.org_id != want_org || o.network.prefix != want_net.prefix ||
                                     ermes_ip_cmp(&o.network.addr, &want_net.addr) != 0))) {
            char abuf[ERMES_IP_STRLEN], nbuf[ERMES_CIDR_STRLEN], gbuf[ERMES_CIDR_STRLEN];

            ermes_ip_format(&a, abuf);
            ermes_cidr_format(&want_net, nbuf);
            ermes_cidr_format(&o.network, gbuf);
            fail_msg("%s: want %d org %lld %s, got %d org %lld %s", abuf, want, (long long)want_org,
                     want ? nbuf : "-", got, (long long)o.org_id, got ? gbuf : "-");
        }
        hits += (size_t)want;
    }
    /* The address generator must exercise both outcomes. */
    assert_true(hits > NLOOKUPS / 4);
    assert_true(hits < NLOOKUPS);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
    free(rules);
}

/* Random labels from a tiny alphabet, so that names share suffixes. */
static void test_domain_differential(void **state)
{
    enum { NDOMAINS = 2000, NLOOKUPS = 50000 };
    /* Names are registered from the first 8; lookups also use the last 2, never registered. */
    static const char *labels[] = {"a",    "b",   "mail", "Example", "eu",
                                   "dept", "x-y", "www",  "nl",      "ab"};
    uint64_t seed = 0x1234567887654321ull;
    char(*names)[64] = calloc(NDOMAINS, sizeof(*names));
    ermes_ownership_builder_t *b;
    ermes_ownership_t *idx;
    size_t i, j, hits = 0;

    (void)state;
    assert_non_null(names);
    assert_int_equal(ermes_ownership_builder_new(&b), 0);
    for (i = 0; i < NDOMAINS; i++) {
        unsigned n = 1 + (unsigned)(xorshift64(&seed) % 4), k;

        names[i][0] = '\0';
        for (k = 0; k < n; k++) {
            size_t len = strlen(names[i]);

            snprintf(names[i] + len, sizeof(names[i]) - len, "%s%s", k ? "." : "",
                     labels[xorshift64(&seed) % 8]);
        }
        add_domain(b, names[i], (int64_t)i + 1);
    }
    idx = build(b);
    for (i = 0; i < NLOOKUPS; i++) {
        char q[80];
        unsigned n = 1 + (unsigned)(xorshift64(&seed) % 6), k;
        size_t qlen = 0, best_len = 0;
        int64_t want = 0;
        ermes_owner_t o;

        q[0] = '\0';
        for (k = 0; k < n; k++) {
            qlen = strlen(q);
            snprintf(q + qlen, sizeof(q) - qlen, "%s%s", k ? "." : "",
                     labels[xorshift64(&seed) % 10]);
        }
        qlen = strlen(q);
        /* Brute force: a registered name equal to q or a suffix of q after a dot, case
         * insensitive; the longest wins, and among equal names the last added. */
        for (j = 0; j < NDOMAINS; j++) {
            size_t len = strlen(names[j]);

            if (len > qlen || strcasecmp(q + qlen - len, names[j]) != 0)
                continue;
            if (len < qlen && q[qlen - len - 1] != '.')
                continue;
            if (len >= best_len) {
                best_len = len;
                want = (int64_t)j + 1;
            }
        }
        ermes_ownership_domain(idx, q, qlen, &o);
        if (o.org_id != want)
            fail_msg("%s: want org %lld, got %lld", q, (long long)want, (long long)o.org_id);
        if (want)
            assert_int_equal(strlen(o.domain), best_len);
        hits += want != 0;
    }
    assert_true(hits > NLOOKUPS / 4);
    assert_true(hits < NLOOKUPS);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
    free(names);
}

static void expect_ip_after_retry(ermes_ownership_builder_t *b)
{
    ermes_ownership_t *idx = NULL;

    add_net(b, "2001:db8:1::/48", 999);
    assert_int_equal(ermes_ownership_build(b, &idx), 0);
    expect_ip(idx, "10.1.2.3", 0, 298, "10.1.2.3/32");
    expect_ip(idx, "10.1.9.9", 0, 297, "10.1.0.0/16");
    expect_ip(idx, "2001:db8:1::5", 0, 999, "2001:db8:1::/48");
    expect_ip(idx, "192.0.2.1", 64799, 7, "");
    expect_domain(idx, "www.d149.example.eu", 8, "d149.example.eu");
    ermes_ownership_release(idx);
}

/* Builds a small index of every kind, with the nth allocation failing. Returns the first
 * error, or 0 with the index checked and released. */
static int build_with_failure(long n)
{
    static const char *nets[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32", "2001:db8::/32",
                                 "2001:db8:1::/48"};
    ermes_ownership_builder_t *b = NULL;
    ermes_ownership_t *idx = NULL;
    size_t i;
    int rc;

    ermes__alloc_fail_after(n);
    rc = ermes_ownership_builder_new(&b);
    if (rc)
        goto out;
    /* Enough rules to make the builder arrays grow more than once. */
    for (i = 0; i < 300 && !rc; i++) {
        ermes_cidr_t net = cidr(nets[i % 5]);
        char name[32];

        rc = ermes_ownership_add_network(b, &net, (int64_t)i + 1);
        if (!rc)
            rc = ermes_ownership_add_asn(b, 64500 + (uint32_t)i, 7);
        snprintf(name, sizeof(name), "d%zu.example.eu", i % 150);
        if (!rc)
            rc = ermes_ownership_add_domain(b, name, strlen(name), 8);
    }
    if (rc)
        goto out;
    rc = ermes_ownership_build(b, &idx);
    if (rc) {
        /* The builder still holds every rule: building again without failures works, and a
         * rule added now still beats the older ones for the same network. */
        ermes__alloc_fail_after(-1);
        assert_null(idx);
        expect_ip_after_retry(b);
        goto out;
    }
    ermes__alloc_fail_after(-1);
    expect_ip(idx, "10.1.2.3", 0, 298, "10.1.2.3/32");
    expect_ip(idx, "2001:db8:1::5", 0, 300, "2001:db8:1::/48");
    expect_ip(idx, "192.0.2.1", 64799, 7, "");
    expect_domain(idx, "www.d149.example.eu", 8, "d149.example.eu");
out:
    ermes__alloc_fail_after(-1);
    ermes_ownership_release(idx);
    ermes_ownership_builder_free(b);
    return rc;
}

static void test_alloc_failures(void **state)
{
    long n;
    int failures = 0;

    (void)state;
    for (n = 0; n < 10000; n++) {
        int rc = build_with_failure(n);

        if (rc == 0)
            break;
        assert_int_equal(rc, ERMES_ENOMEM);
        failures++;
    }
    assert_true(n < 10000);
    assert_true(failures > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_nested_ipv4),
        cmocka_unit_test(test_adjacent_and_edges),
        cmocka_unit_test(test_nested_ipv6),
        cmocka_unit_test(test_asn),
        cmocka_unit_test(test_domains),
        cmocka_unit_test(test_add_rejects),
        cmocka_unit_test(test_last_wins_and_reuse),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_domain_differential),
        cmocka_unit_test(test_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
