/* Tests of the collector sections of the config file (src/core/collector_conf.c), the spool
 * directory's name rule and the collectors' schedule (src/intake/collect.c): section names,
 * keys and their validation, the file as a whole, the interval's minimum and the backoff. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "intake/collect.h"
#include "intake/spooldir.h"

static void test_section_names(void **state)
{
    char name[64];

    (void)state;
    assert_int_equal(ermes__collector_section("collector \"dshield\"", name, sizeof(name)), 1);
    assert_string_equal(name, "dshield");
    assert_int_equal(ermes__collector_section("collector.block-list_1.v2", name, sizeof(name)), 1);
    assert_string_equal(name, "block-list_1.v2");
    assert_int_equal(ermes__collector_section("ermes", name, sizeof(name)), 0);
    assert_int_equal(ermes__collector_section("collectors", name, sizeof(name)), 0);
    assert_int_equal(ermes__collector_section("collector \"\"", name, sizeof(name)), -1);
    assert_int_equal(ermes__collector_section("collector \"a b\"", name, sizeof(name)), -1);
    assert_int_equal(ermes__collector_section("collector \"x\" y", name, sizeof(name)), -1);
    assert_int_equal(ermes__collector_section("collector dshield", name, sizeof(name)), -1);
    assert_int_equal(ermes__collector_section("collector.", name, sizeof(name)), -1);
    assert_int_equal(ermes__collector_section("collector.a/b", name, sizeof(name)), -1);
    assert_int_equal(ermes__collector_section("collector.0123456789012345678901234567890123456"
                                              "789012345678901234567890123",
                                              name, sizeof(name)),
                     -1);
}

static void test_keys(void **state)
{
    ermes__config_t cfg;
    ermes_diag_t d;
    const ermes__collector_conf_t *c;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "url", "https://x.example/l.txt", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "feed", "dshield", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "max_size", "2M", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "content", "zip", &d), ERMES_EINVAL);
    assert_string_equal(d.field, "content");
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "content", "gzip", &d), 0);
    assert_int_equal(ermes__collector_conf_find(&cfg, "a")->gzip, 1);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "content", "raw", &d), 0);
    assert_int_equal(ermes__collector_conf_find(&cfg, "a")->gzip, 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "header", "X-Key: v: w", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "header", "Authorization: k", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "option", "kind=ssh", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "enabled", "no", &d), 0);
    c = ermes__collector_conf_find(&cfg, "a");
    assert_non_null(c);
    assert_string_equal(c->url, "https://x.example/l.txt");
    assert_int_equal(c->max_size, 2L << 20);
    assert_int_equal(c->nheaders, 2);
    assert_string_equal(c->headers[1], "Authorization: k");
    assert_null(c->headers[2]);
    assert_string_equal(c->options[0], "kind=ssh");
    assert_int_equal(c->enabled, 0);
    assert_int_equal(c->interval, 3600);
    assert_null(ermes__collector_conf_find(&cfg, "b"));

    /* Refused values, each naming the key. */
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "url", "ftp://x/y", &d), ERMES_EINVAL);
    assert_string_equal(d.field, "url");
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "url", "http://x/ y", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "header", "No colon", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "header", "Bad Name: v", &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "interval", "0", &d), ERMES_ERANGE);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "interval", "ten", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "max_size", "3X", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "option", "novalue", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "file_name", "a/b", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "a", "colour", "red", &d), ERMES_ENOTFOUND);
    assert_non_null(strstr(d.reason, "colour"));
    /* A refused value leaves the one in force. */
    assert_string_equal(ermes__collector_conf_find(&cfg, "a")->url, "https://x.example/l.txt");
    ermes__config_cleanup(&cfg);
    assert_int_equal(cfg.ncollectors, 0);
}

static void write_conf(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_file(void **state)
{
    char path[] = "/tmp/ermes-collect-test-XXXXXX";
    ermes__config_t cfg;
    ermes_diag_t d;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    write_conf(path, "listen = 127.0.0.1:9999\n"
                     "[collector \"one\"]\nurl = http://a.example/x\nfeed = dshield\n"
                     "[collector.two]\nurl = https://b.example/y\nfeed = blocklistde\n"
                     "interval = 10\n"
                     "[ermes]\nlog_level = info\n");
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), 0);
    assert_int_equal(cfg.ncollectors, 2);
    assert_string_equal(cfg.collectors[0].name, "one");
    assert_string_equal(cfg.collectors[1].feed, "blocklistde");
    assert_string_equal(cfg.log_level, "info");
    /* The interval in force is at least collect_min_interval. */
    assert_int_equal(cfg.collect_min_interval, 60);
    assert_int_equal(ermes__collect_interval(&cfg.collectors[1], cfg.collect_min_interval), 60);
    assert_int_equal(ermes__collect_interval(&cfg.collectors[0], cfg.collect_min_interval), 3600);
    ermes__config_cleanup(&cfg);

    /* A collector without a feed; an unknown key (with its line); a bad section name. */
    write_conf(path, "[collector \"one\"]\nurl = http://a.example/x\n");
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    assert_non_null(strstr(d.reason, "no feed"));
    ermes__config_cleanup(&cfg);
    write_conf(path, "[collector \"one\"]\nurl = http://a.example/x\nfeed = x\nspeed = 3\n");
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    assert_int_equal(d.line, 4);
    ermes__config_cleanup(&cfg);
    write_conf(path, "[collector \"o n e\"]\nurl = http://a.example/x\n");
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    ermes__config_cleanup(&cfg);
    unlink(path);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(ermes__collect_delay_ms(60, 0), 60000);
    assert_int_equal(ermes__collect_delay_ms(60, 1), 60000);
    assert_int_equal(ermes__collect_delay_ms(60, 2), 120000);
    assert_int_equal(ermes__collect_delay_ms(60, 3), 240000);
    /* Capped at a day... */
    assert_int_equal(ermes__collect_delay_ms(3600, 10), 24LL * 3600 * 1000);
    assert_int_equal(ermes__collect_delay_ms(60, 1000000), 24LL * 3600 * 1000);
    /* ...unless the interval itself is longer. */
    assert_int_equal(ermes__collect_delay_ms(2 * 86400, 5), 2LL * 86400 * 1000);
}

static void test_spool_names(void **state)
{
    (void)state;
    assert_false(ermes__spool_name_ignored("block.txt"));
    assert_false(ermes__spool_name_ignored("2026-01-01-scan_adb.csv"));
    assert_true(ermes__spool_name_ignored(".block.txt"));
    assert_true(ermes__spool_name_ignored("block.txt.tmp"));
    assert_true(ermes__spool_name_ignored("block.txt.part"));
    assert_true(ermes__spool_name_ignored(".failed"));
    assert_false(ermes__spool_name_ignored("tmp"));
    assert_false(ermes__spool_name_ignored("part"));
}

/* Dated URLs (url_date.c): 2026-01-01T05:00:00Z, so yesterday is in the year before. */
static void test_url_dates(void **state)
{
    const int64_t now = 1767243600000LL;
    char out[256];

    (void)state;
    assert_int_equal(ermes__collect_url_expand("https://h/x.txt", now, out, sizeof(out)), 0);
    assert_string_equal(out, "https://h/x.txt");
    assert_int_equal(ermes__collect_url_expand("https://h/{yesterday:%Y/%m/%Y-%m-%d}.json.gz", now,
                                               out, sizeof(out)),
                     0);
    assert_string_equal(out, "https://h/2025/12/2025-12-31.json.gz");
    assert_int_equal(
        ermes__collect_url_expand("https://h/{today:%y%m%d}-{today:%j}%%?d={yesterday:%d%%}", now,
                                  out, sizeof(out)),
        0);
    assert_string_equal(out, "https://h/260101-001%%?d=31%");
    /* What is no date pattern, and what does not fit. */
    assert_int_equal(ermes__collect_url_expand("https://h/{tomorrow:%Y}", now, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_url_expand("https://h/{today:%c}", now, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_url_expand("https://h/{today:% }", now, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_url_expand("https://h/{today:}", now, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_url_expand("https://h/{today:%Y", now, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_url_expand("https://h/{today:%", now, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_url_expand("https://h/{value}", now, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_url_expand("https://h/{today:%Y}", now, out, 12), ERMES_ERANGE);
    assert_int_equal(ermes__collect_url_expand("https://h/{today:%Y}", now, out, 15), 0);
    assert_string_equal(out, "https://h/2026");
}

typedef struct sink {
    char buf[64];
    size_t len;
} sink_t;

static int sink_cb(void *ctx, const void *p, size_t n)
{
    sink_t *s = ctx;

    if (n > sizeof(s->buf) - s->len)
        return ERMES_ERANGE;
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

/* gzip of "hello\n" (gzip -n), twice: two members are one file. */
static const unsigned char HELLO_GZ[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00,
                                         0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00};

static void test_gunzip(void **state)
{
    ermes__gunzip_t *g;
    sink_t s;
    unsigned char two[2 * sizeof(HELLO_GZ)];

    (void)state;
    /* Byte by byte, two members. */
    memcpy(two, HELLO_GZ, sizeof(HELLO_GZ));
    memcpy(two + sizeof(HELLO_GZ), HELLO_GZ, sizeof(HELLO_GZ));
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__gunzip_new(&g), 0);
    for (size_t k = 0; k < sizeof(two); k++)
        assert_int_equal(ermes__gunzip_feed(g, two + k, 1, sink_cb, &s), 0);
    assert_int_equal(ermes__gunzip_end(g), 0);
    assert_int_equal(s.len, 12);
    assert_memory_equal(s.buf, "hello\nhello\n", 12);
    ermes__gunzip_free(g);
    /* Truncated: no end. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__gunzip_new(&g), 0);
    assert_int_equal(ermes__gunzip_feed(g, HELLO_GZ, sizeof(HELLO_GZ) - 3, sink_cb, &s), 0);
    assert_int_equal(ermes__gunzip_end(g), ERMES_EINVAL);
    ermes__gunzip_free(g);
    /* Not gzip; a bad trailer (CRC); the callback's refusal comes back. */
    assert_int_equal(ermes__gunzip_new(&g), 0);
    assert_int_equal(ermes__gunzip_feed(g, "hello\n", 6, sink_cb, &s), ERMES_EINVAL);
    assert_int_equal(ermes__gunzip_end(g), ERMES_EINVAL);
    ermes__gunzip_free(g);
    memcpy(two, HELLO_GZ, sizeof(HELLO_GZ));
    two[sizeof(HELLO_GZ) - 6] ^= 1;
    assert_int_equal(ermes__gunzip_new(&g), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__gunzip_feed(g, two, sizeof(HELLO_GZ), sink_cb, &s), ERMES_EINVAL);
    ermes__gunzip_free(g);
    assert_int_equal(ermes__gunzip_new(&g), 0);
    memset(&s, 0, sizeof(s));
    s.len = sizeof(s.buf) - 2;
    assert_int_equal(ermes__gunzip_feed(g, HELLO_GZ, sizeof(HELLO_GZ), sink_cb, &s), ERMES_ERANGE);
    ermes__gunzip_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_section_names), cmocka_unit_test(test_keys),
        cmocka_unit_test(test_file),          cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_spool_names),   cmocka_unit_test(test_url_dates),
        cmocka_unit_test(test_gunzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
