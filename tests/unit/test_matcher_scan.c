/* Tests of the matcher's fast paths (src/detect/matcher.c): the partitioned table build on sets
 * large enough to span many runs, chains of indicators sharing a key, the IPv4 prefix-length
 * scan against a brute-force answer, and ermes_scanner_scan's deferred address and domain
 * lookups, whose hits must equal field-by-field lookups in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/detect.h"

static uint64_t rng = 42;
static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33);
}

static void add(ermes_indicator_set_t *set, const char *v, const char *source, uint32_t *id)
{
    ermes_indicator_t ind;

    ermes_indicator_init(&ind);
    ind.value = v;
    ind.len = strlen(v);
    ind.source = source;
    assert_int_equal(ermes_indicator_set_add(set, &ind, id, NULL), 0);
}

/* 60,000 domains (tables of 128k slots: several partition runs), every 1000th added three
 * times: each name finds its own indicator, duplicates come back in ascending id order. */
static void test_large_set_and_chains(void **state)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;
    ermes_scanner_t *s;
    ermes_matcher_stats_t st;
    char name[64];
    uint32_t id, first_id[60];

    (void)state;
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    for (int i = 0; i < 60000; i++) {
        snprintf(name, sizeof(name), "host%d.example%d.org", i, i % 97);
        add(set, name, "a", &id);
        assert_int_equal(id, (uint32_t)(ermes_indicator_set_count(set) - 1));
        if (i % 1000 == 0)
            first_id[i / 1000] = id;
    }
    for (int i = 0; i < 60000; i += 1000) {
        snprintf(name, sizeof(name), "HOST%d.example%d.org", i, i % 97);
        add(set, name, "b", NULL);
        add(set, name, "c", NULL);
    }
    assert_int_equal(ermes_matcher_build(set, 0, &m), 0);
    ermes_matcher_stats(m, &st);
    assert_int_equal(st.indicators, 60120);
    assert_int_equal(ermes_scanner_new(m, &s), 0);
    for (int i = 0; i < 60000; i++) {
        const ermes_hit_t *h;
        size_t n;
        char got[64];
        snprintf(name, sizeof(name), "www.host%d.example%d.org", i, i % 97);
        n = ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, name, strlen(name), &h);
        if (i % 1000 == 0) {
            ermes_matcher_indicator_t mi;
            assert_int_equal(n, 3);
            assert_int_equal(h[0].indicator, first_id[i / 1000]);
            assert_true(h[0].indicator < h[1].indicator && h[1].indicator < h[2].indicator);
            assert_int_equal(ermes_matcher_indicator(m, h[2].indicator, &mi), 0);
            assert_string_equal(mi.source, "c");
        } else {
            assert_int_equal(n, 1);
        }
        ermes_matcher_value(m, h[0].indicator, got, sizeof(got));
        assert_string_equal(got, name + 4);
    }
    snprintf(name, sizeof(name), "host60000.example0.org");
    {
        const ermes_hit_t *h;
        assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, name, strlen(name), &h), 0);
    }
    ermes_scanner_free(s);
    ermes_matcher_release(m);
    ermes_indicator_set_free(set);
}

typedef struct net {
    uint32_t addr;
    int plen;
} net_t;

/* Random networks of many prefix lengths and random addresses: the matcher's answer is the
 * most specific network holding the address, as a linear scan finds it. */
static void test_ipv4_most_specific(void **state)
{
    enum { NNETS = 20000, NQ = 50000 };
    static const int lens[] = {8, 12, 16, 17, 20, 22, 24, 25, 28, 30, 32};
    net_t *nets = calloc(NNETS, sizeof(*nets));
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;
    ermes_scanner_t *s;
    char buf[64];
    size_t nn = 0;

    (void)state;
    assert_non_null(nets);
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    for (int i = 0; i < NNETS; i++) {
        /* Clustered in 16 /8s so that nesting happens. */
        int plen = lens[rnd() % (sizeof(lens) / sizeof(lens[0]))];
        uint32_t a = ((rnd() % 16 + 1) << 24) | (rnd() & 0xffffff);
        uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;
        int dup = 0;
        a &= mask;
        for (size_t j = 0; j < nn && !dup; j++)
            dup = nets[j].addr == a && nets[j].plen == plen;
        if (dup)
            continue;
        nets[nn].addr = a;
        nets[nn].plen = plen;
        snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%d", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                 a & 255, plen);
        add(set, buf, NULL, NULL);
        nn++;
    }
    assert_int_equal(ermes_matcher_build(set, 0, &m), 0);
    assert_int_equal(ermes_scanner_new(m, &s), 0);
    for (int q = 0; q < NQ; q++) {
        /* Half the queries inside a known network, half anywhere in the clustered range. */
        uint32_t a = q % 2 ? nets[rnd() % nn].addr | (rnd() & 0xff)
                           : ((rnd() % 17 + 1) << 24) | (rnd() & 0xffffff);
        int best = -1;
        const ermes_hit_t *h;
        size_t n;
        for (size_t j = 0; j < nn; j++) {
            uint32_t mask = nets[j].plen ? 0xffffffffu << (32 - nets[j].plen) : 0;
            if ((a & mask) == nets[j].addr && (best < 0 || nets[j].plen > nets[best].plen))
                best = (int)j;
        }
        snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                 a & 255);
        n = ermes_scanner_lookup(s, ERMES_FIELD_IP, buf, strlen(buf), &h);
        if (best < 0) {
            assert_int_equal(n, 0);
        } else {
            assert_int_equal(n, 1);
            assert_int_equal(h[0].indicator, (uint32_t)best);
        }
    }
    ermes_scanner_free(s);
    ermes_matcher_release(m);
    ermes_indicator_set_free(set);
    free(nets);
}

/* A record of many fields, more addresses and names than the scanner defers, names too long
 * or with too many labels to defer: the hits of one scan are exactly the hits of looking up
 * each field in turn. */
static void test_scan_equals_field_lookups(void **state)
{
    static const char *const inds[] = {"10.1.2.0/24",
                                       "10.1.2.3",
                                       "192.0.2.0/25",
                                       "example.eu",
                                       "dept.example.eu",
                                       "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t."
                                       "u.v.w.x.y.z.aa.bb.cc.dd.ee.ff.gg.hh.org",
                                       "evil.test",
                                       "http://evil.test/x",
                                       "44d88612fea8a8f36de82e1278abb02f",
                                       NULL};
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;
    ermes_scanner_t *s;
    ermes_log_field_t f[40];
    ermes_log_record_t rec;
    ermes_hit_t expect[128];
    const ermes_hit_t *h;
    size_t nf = 0, ne = 0, n;
    char longname[400];

    (void)state;
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    for (int i = 0; inds[i]; i++)
        add(set, inds[i], NULL, NULL);
    assert_int_equal(ermes_matcher_build(set, 0, &m), 0);
    assert_int_equal(ermes_scanner_new(m, &s), 0);

    memset(longname, 'x', sizeof(longname));
    memcpy(longname + sizeof(longname) - 16, ".dept.example.eu", 16);
#define F(k, v) (f[nf].name = "f", f[nf].kind = (k), f[nf].value = (v), f[nf].len = strlen(v), nf++)
    F(ERMES_FIELD_DOMAIN, "mail.dept.example.eu");
    F(ERMES_FIELD_IP, "10.1.2.3");
    F(ERMES_FIELD_IP, "10.1.2.9 ");
    F(ERMES_FIELD_HASH, "44D88612FEA8A8F36DE82E1278ABB02F");
    F(ERMES_FIELD_DOMAIN, "EXAMPLE.EU.");
    F(ERMES_FIELD_IP, "192.0.2.1");
    F(ERMES_FIELD_DOMAIN, "10.1.2.3");
    F(ERMES_FIELD_DOMAIN, "www.evil.test:8080");
    F(ERMES_FIELD_URL, "http://EVIL.test/x");
    F(ERMES_FIELD_DOMAIN, "x.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee"
                          ".ff.gg.hh.org");
    F(ERMES_FIELD_DOMAIN, "nothing.example");
    F(ERMES_FIELD_AUTO, "10.1.2.77");
    for (int i = 0; i < 10; i++)
        F(ERMES_FIELD_IP, i % 2 ? "10.1.2.3" : "192.0.2.127");
    for (int i = 0; i < 6; i++)
        F(ERMES_FIELD_DOMAIN, i % 2 ? "evil.test" : "a.example.eu");
    F(ERMES_FIELD_IP, "2001:db8::1");
    F(ERMES_FIELD_IP, "");
    F(ERMES_FIELD_DOMAIN, "");
    f[nf].name = "f";
    f[nf].kind = ERMES_FIELD_DOMAIN;
    f[nf].value = longname;
    f[nf].len = sizeof(longname);
    nf++;
#undef F
    for (size_t i = 0; i < nf; i++) {
        n = ermes_scanner_lookup(s, f[i].kind, f[i].value, f[i].len, &h);
        for (size_t k = 0; k < n; k++) {
            expect[ne].indicator = h[k].indicator;
            expect[ne++].field = (uint32_t)i;
        }
    }
    assert_true(ne >= 20);
    memset(&rec, 0, sizeof(rec));
    rec.fields = f;
    rec.nfields = nf;
    n = ermes_scanner_scan(s, &rec, &h);
    assert_int_equal(n, ne);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(h[k].field, expect[k].field);
        assert_int_equal(h[k].indicator, expect[k].indicator);
    }
    ermes_scanner_free(s);
    ermes_matcher_release(m);
    ermes_indicator_set_free(set);
}

/* Suppressed and expired indicators keep their ids and are not compiled. */
static void test_build_skips(void **state)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;
    ermes_scanner_t *s;
    ermes_matcher_stats_t st;
    ermes_indicator_t ind;
    const ermes_hit_t *h;

    (void)state;
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    add(set, "old.example", NULL, NULL);
    ermes_indicator_init(&ind);
    ind.value = "old.example";
    ind.len = 11;
    ind.valid_until = 1000;
    assert_int_equal(ermes_indicator_set_add(set, &ind, NULL, NULL), 0);
    add(set, "198.51.100.7", NULL, NULL);
    assert_int_equal(ermes_matcher_build(set, 5000, &m), 0);
    ermes_matcher_stats(m, &st);
    assert_int_equal(st.indicators, 2);
    assert_int_equal(ermes_scanner_new(m, &s), 0);
    assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, "old.example", 11, &h), 1);
    assert_int_equal(h[0].indicator, 0);
    assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_IP, "198.51.100.7", 12, &h), 1);
    assert_int_equal(h[0].indicator, 2);
    ermes_scanner_free(s);
    ermes_matcher_release(m);
    ermes_indicator_set_free(set);
}

/* Every allocation of a build may fail: the build then returns ERMES_ENOMEM and frees what it
 * made (ASan's leak check runs over this test). */
static void test_build_out_of_memory(void **state)
{
    static const char *const v[] = {"example.eu",
                                    "10.1.2.0/24",
                                    "198.51.100.7",
                                    "2001:db8::/32",
                                    "44d88612fea8a8f36de82e1278abb02f",
                                    "http://evil.test/x",
                                    "a@evil.test",
                                    NULL};
    ermes_indicator_set_t *set;
    int ok = 0;

    (void)state;
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    for (int i = 0; v[i]; i++)
        add(set, v[i], NULL, NULL);
    for (long n = 0; n < 200 && !ok; n++) {
        ermes_matcher_t *m = NULL;
        int rc;
        ermes__alloc_fail_after(n);
        rc = ermes_matcher_build(set, 0, &m);
        ermes__alloc_fail_after(-1);
        if (rc == 0) {
            ermes_scanner_t *s;
            const ermes_hit_t *h;
            assert_int_equal(ermes_scanner_new(m, &s), 0);
            assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_IP, "10.1.2.9", 8, &h), 1);
            ermes_scanner_free(s);
            ermes_matcher_release(m);
            ok = 1;
        } else {
            assert_int_equal(rc, ERMES_ENOMEM);
            assert_null(m);
        }
    }
    assert_true(ok);
    ermes_indicator_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_set_and_chains),      cmocka_unit_test(test_ipv4_most_specific),
        cmocka_unit_test(test_scan_equals_field_lookups), cmocka_unit_test(test_build_skips),
        cmocka_unit_test(test_build_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
