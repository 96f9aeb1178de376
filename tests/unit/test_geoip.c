/* Tests of the GeoIP enrichment (src/intake/geoip.c) with two tiny MaxMind DB files that
 * tests/data/geoip/make-test-mmdb.pl writes into a temporary directory: lookups over IPv4 and
 * IPv6, filling an event's source and destination, keeping the feed's values unless
 * geoip_overwrite, the errors of a missing or broken file, and the reopening of a file
 * replaced while in use (a broken replacement keeps the old database). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "intake/geoip.h"

typedef struct {
    char dir[64];
    char asn[128], city[128];
    ermes__geoip_t *g;
    ermes_event_t *ev;
} fixture_t;

/* Runs the generator into dir; variant 2 maps 192.0.2.0/24 to AS64510. */
static int make_dbs(const char *dir, int variant)
{
    const char *src = getenv("ERMES_SOURCE_DIR");
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "perl '%s/tests/data/geoip/make-test-mmdb.pl' '%s' --variant %d",
             src ? src : ERMES_SOURCE_DIR, dir, variant);
    if (system(cmd) != 0) {
        fprintf(stderr,
                "test_geoip: `%s` failed (MaxMind::DB::Writer missing? "
                "scripts/install-deps test)\n",
                cmd);
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__geoip_options_t o = {0};
    ermes_diag_t d;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-geoip-XXXXXX");
    if (!mkdtemp(f->dir) || make_dbs(f->dir, 1))
        return -1;
    snprintf(f->asn, sizeof(f->asn), "%s/test-asn.mmdb", f->dir);
    snprintf(f->city, sizeof(f->city), "%s/test-city.mmdb", f->dir);
    o.asn_db = f->asn;
    o.country_db = f->city;
    ermes_diag_clear(&d);
    if (ermes__geoip_new(&o, &f->g, &d) || !f->g || ermes_event_new(&f->ev)) {
        fprintf(stderr, "test_geoip: %s\n", d.reason);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[256];

    ermes__geoip_free(f->g);
    ermes_event_free(f->ev);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void lookup(ermes__geoip_t *g, const char *addr, ermes__geoip_result_t *r)
{
    ermes_ip_t ip;

    assert_int_equal(ermes_ip_parse(addr, strlen(addr), &ip, NULL), 0);
    assert_int_equal(ermes__geoip_lookup(g, &ip, r), 0);
}

static void assert_text(const char *s, size_t len, const char *want)
{
    assert_non_null(s);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(s, want, len);
}

static void set(ermes_event_t *ev, const char *name, const char *value)
{
    assert_int_equal(ermes_event_set_name(ev, name, value, strlen(value), NULL), 0);
}

static void assert_field(const ermes_event_t *ev, const char *name, const char *want)
{
    ermes_field_t f = ermes_field_lookup(name, strlen(name));
    const char *v = ermes_event_get(ev, f, NULL);

    if (!want) {
        if (v)
            fail_msg("%s is \"%s\", expected unset", name, v);
        return;
    }
    if (!v)
        fail_msg("%s is unset, expected \"%s\"", name, want);
    assert_string_equal(v, want);
}

static void test_lookup_v4(void **state)
{
    fixture_t *f = *state;
    ermes__geoip_result_t r;

    lookup(f->g, "192.0.2.10", &r);
    assert_int_equal(r.asn, 64496);
    assert_text(r.as_name, r.as_name_len, "Example Net One");
    assert_int_equal(r.prefix, 24);
    assert_string_equal(r.cc, "NL");
    assert_text(r.city, r.city_len, "Amsterdam");
    assert_true(r.has_location);
    assert_true(r.latitude > 52.37 && r.latitude < 52.38);
    assert_true(r.longitude > 4.88 && r.longitude < 4.89);

    /* The AS covers only the lower half of 198.51.100.0/24; the country all of it. */
    lookup(f->g, "198.51.100.7", &r);
    assert_int_equal(r.asn, 64497);
    assert_int_equal(r.prefix, 25);
    assert_string_equal(r.cc, "DE");
    assert_null(r.city);
    assert_false(r.has_location);
    lookup(f->g, "198.51.100.200", &r);
    assert_int_equal(r.asn, 0);
    assert_null(r.as_name);
    assert_int_equal(r.prefix, -1);
    assert_string_equal(r.cc, "DE");

    /* Nothing known. */
    lookup(f->g, "10.1.2.3", &r);
    assert_int_equal(r.asn, 0);
    assert_string_equal(r.cc, "");
    assert_null(r.city);
}

static void test_lookup_v6(void **state)
{
    fixture_t *f = *state;
    ermes__geoip_result_t r;

    lookup(f->g, "2001:db8:1234::1", &r);
    assert_int_equal(r.asn, 64499);
    assert_text(r.as_name, r.as_name_len, "Example Net Six");
    assert_int_equal(r.prefix, 32);
    assert_string_equal(r.cc, "FR");
    assert_text(r.city, r.city_len, "Paris");
    assert_true(r.has_location);

    lookup(f->g, "2001:db9::1", &r);
    assert_int_equal(r.asn, 0);
    assert_string_equal(r.cc, "");
}

static void test_enrich_fills(void **state)
{
    fixture_t *f = *state;

    set(f->ev, "source.ip", "192.0.2.10");
    set(f->ev, "destination.ip", "2001:db8::25");
    assert_int_equal(ermes__geoip_enrich(f->g, f->ev), 0);
    assert_field(f->ev, "source.asn", "64496");
    assert_field(f->ev, "source.as_name", "Example Net One");
    assert_field(f->ev, "source.network", "192.0.2.0/24");
    assert_field(f->ev, "source.geolocation.cc", "NL");
    assert_field(f->ev, "source.geolocation.city", "Amsterdam");
    assert_field(f->ev, "source.geolocation.latitude", "52.374");
    assert_field(f->ev, "source.geolocation.longitude", "4.8897");
    assert_field(f->ev, "destination.asn", "64499");
    assert_field(f->ev, "destination.as_name", "Example Net Six");
    assert_field(f->ev, "destination.network", "2001:db8::/32");
    assert_field(f->ev, "destination.geolocation.cc", "FR");
    assert_field(f->ev, "destination.geolocation.city", "Paris");

    /* An address the databases do not know, and an event without addresses: untouched. */
    ermes_event_reset(f->ev);
    set(f->ev, "source.ip", "10.9.8.7");
    set(f->ev, "source.fqdn", "example.org");
    assert_int_equal(ermes__geoip_enrich(f->g, f->ev), 0);
    assert_field(f->ev, "source.asn", NULL);
    assert_field(f->ev, "source.geolocation.cc", NULL);
    assert_field(f->ev, "source.network", NULL);
    ermes_event_reset(f->ev);
    set(f->ev, "source.fqdn", "example.org");
    assert_int_equal(ermes__geoip_enrich(f->g, f->ev), 0);
    assert_field(f->ev, "source.asn", NULL);
}

static void test_enrich_keeps_feed_values(void **state)
{
    fixture_t *f = *state;

    /* The feed says another AS and country: kept, and nothing about the database's AS or
     * city is paired with them. */
    set(f->ev, "source.ip", "203.0.113.9");
    set(f->ev, "source.asn", "AS65000");
    set(f->ev, "source.geolocation.cc", "us");
    set(f->ev, "source.network", "203.0.113.0/28");
    assert_int_equal(ermes__geoip_enrich(f->g, f->ev), 0);
    assert_field(f->ev, "source.asn", "65000");
    assert_field(f->ev, "source.as_name", NULL);
    assert_field(f->ev, "source.network", "203.0.113.0/28");
    assert_field(f->ev, "source.geolocation.cc", "US");
    assert_field(f->ev, "source.geolocation.city", NULL);
    assert_field(f->ev, "source.geolocation.latitude", NULL);

    /* The feed's AS is the database's: its name is added, the feed's own name kept. */
    ermes_event_reset(f->ev);
    set(f->ev, "source.ip", "203.0.113.9");
    set(f->ev, "source.asn", "64498");
    assert_int_equal(ermes__geoip_enrich(f->g, f->ev), 0);
    assert_field(f->ev, "source.as_name", "Example Net Three");
    assert_field(f->ev, "source.network", "203.0.113.0/24");
    assert_field(f->ev, "source.geolocation.cc", "JP");
    assert_field(f->ev, "source.geolocation.city", "Tokyo");
    ermes_event_reset(f->ev);
    set(f->ev, "source.ip", "203.0.113.9");
    set(f->ev, "source.as_name", "Feed's Name");
    assert_int_equal(ermes__geoip_enrich(f->g, f->ev), 0);
    assert_field(f->ev, "source.asn", "64498");
    assert_field(f->ev, "source.as_name", "Feed's Name");
}

static void test_enrich_overwrite(void **state)
{
    fixture_t *f = *state;
    ermes__geoip_options_t o = {f->asn, f->city, 1};
    ermes__geoip_t *g = NULL;

    assert_int_equal(ermes__geoip_new(&o, &g, NULL), 0);
    set(f->ev, "source.ip", "203.0.113.9");
    set(f->ev, "source.asn", "65000");
    set(f->ev, "source.as_name", "Feed's Name");
    set(f->ev, "source.geolocation.cc", "US");
    set(f->ev, "source.geolocation.city", "Boston");
    set(f->ev, "source.network", "203.0.113.0/28");
    assert_int_equal(ermes__geoip_enrich(g, f->ev), 0);
    assert_field(f->ev, "source.asn", "64498");
    assert_field(f->ev, "source.as_name", "Example Net Three");
    assert_field(f->ev, "source.network", "203.0.113.0/24");
    assert_field(f->ev, "source.geolocation.cc", "JP");
    assert_field(f->ev, "source.geolocation.city", "Tokyo");
    ermes__geoip_free(g);
}

static void test_only_one_db(void **state)
{
    fixture_t *f = *state;
    ermes__geoip_options_t o = {NULL, f->city, 0};
    ermes__geoip_t *g = NULL;

    assert_int_equal(ermes__geoip_new(&o, &g, NULL), 0);
    set(f->ev, "source.ip", "192.0.2.1");
    assert_int_equal(ermes__geoip_enrich(g, f->ev), 0);
    assert_field(f->ev, "source.asn", NULL);
    assert_field(f->ev, "source.network", NULL);
    assert_field(f->ev, "source.geolocation.cc", "NL");
    ermes__geoip_free(g);
}

static void test_none_configured(void **state)
{
    fixture_t *f = *state;
    ermes__geoip_options_t o = {NULL, "", 0};
    ermes__geoip_t *g = (ermes__geoip_t *)&o; /* must be replaced by NULL */
    ermes__geoip_result_t r;
    ermes_ip_t ip;

    assert_int_equal(ermes__geoip_new(&o, &g, NULL), 0);
    assert_null(g);
    set(f->ev, "source.ip", "192.0.2.1");
    assert_int_equal(ermes__geoip_enrich(NULL, f->ev), 0);
    assert_field(f->ev, "source.asn", NULL);
    assert_int_equal(ermes_ip_parse("192.0.2.1", 9, &ip, NULL), 0);
    assert_int_equal(ermes__geoip_lookup(NULL, &ip, &r), 0);
    assert_int_equal(r.asn, 0);
    assert_int_equal(ermes__geoip_reload(NULL, 1), 0);
    ermes__geoip_free(NULL);
}

static void test_missing_or_broken_file(void **state)
{
    fixture_t *f = *state;
    ermes__geoip_options_t o = {0};
    ermes__geoip_t *g = NULL;
    ermes_diag_t d;
    char bad[160];
    FILE *fp;

    ermes_diag_clear(&d);
    o.asn_db = f->asn;
    o.country_db = "/nonexistent/GeoLite2-City.mmdb";
    assert_int_equal(ermes__geoip_new(&o, &g, &d), ERMES_ECONFIG);
    assert_null(g);
    assert_string_equal(d.field, "geoip_country_db");
    assert_non_null(strstr(d.reason, "/nonexistent/GeoLite2-City.mmdb"));
    assert_non_null(strstr(d.reason, "No such file"));

    /* Not a MaxMind DB at all. */
    snprintf(bad, sizeof(bad), "%s/not-a-db.mmdb", f->dir);
    assert_non_null(fp = fopen(bad, "w"));
    fputs("ip,asn\n192.0.2.1,64496\n", fp);
    fclose(fp);
    ermes_diag_clear(&d);
    o.asn_db = bad;
    o.country_db = NULL;
    assert_int_equal(ermes__geoip_new(&o, &g, &d), ERMES_ECONFIG);
    assert_null(g);
    assert_string_equal(d.field, "geoip_asn_db");
    assert_non_null(strstr(d.reason, bad));

    /* An empty file. */
    assert_non_null(fp = fopen(bad, "w"));
    fclose(fp);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__geoip_new(&o, &g, &d), ERMES_ECONFIG);
    assert_non_null(strstr(d.reason, "geoip_asn_db"));
}

/* Writes `text` to dir/name through a temporary file renamed over it, as geoipupdate does. */
static void replace_with(const char *dir, const char *name, const char *text)
{
    char tmp[160], path[160];
    FILE *fp;

    snprintf(tmp, sizeof(tmp), "%s/.replace.tmp", dir);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(fp = fopen(tmp, "w"));
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static uint32_t asn_of(ermes__geoip_t *g, const char *addr)
{
    ermes__geoip_result_t r;

    lookup(g, addr, &r);
    return r.asn;
}

static void test_reload(void **state)
{
    fixture_t *f = *state;
    int64_t deadline;
    char path[160];

    assert_int_equal(asn_of(f->g, "192.0.2.10"), 64496);
    assert_int_equal(ermes__geoip_reload(f->g, 1), 0); /* nothing changed */

    /* A new file renamed over the old one is taken at the next check. */
    assert_int_equal(make_dbs(f->dir, 2), 0);
    assert_int_equal(ermes__geoip_reload(f->g, 1), 2);
    assert_int_equal(asn_of(f->g, "192.0.2.10"), 64510);
    assert_int_equal(asn_of(f->g, "203.0.113.1"), 64498);

    /* A broken replacement is refused: the database open stays in use, and the same broken
     * file is not tried again. */
    replace_with(f->dir, "test-asn.mmdb", "this is not a MaxMind DB\n");
    assert_int_equal(ermes__geoip_reload(f->g, 1), 0);
    assert_int_equal(asn_of(f->g, "192.0.2.10"), 64510);
    assert_int_equal(ermes__geoip_reload(f->g, 1), 0);

    /* A file removed: the open one too. */
    snprintf(path, sizeof(path), "%s/test-asn.mmdb", f->dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(ermes__geoip_reload(f->g, 1), 0);
    assert_int_equal(asn_of(f->g, "192.0.2.10"), 64510);

    /* A good file again, found by the enrichment's own check (at most once a second):
     * polled with a generous bound. */
    assert_int_equal(make_dbs(f->dir, 1), 0);
    deadline = ermes__time_monotonic_ns() + 30LL * 1000000000;
    for (;;) {
        const char *v;
        ermes_event_reset(f->ev);
        set(f->ev, "source.ip", "192.0.2.10");
        assert_int_equal(ermes__geoip_enrich(f->g, f->ev), 0);
        v = ermes_event_get(f->ev, ERMES_F_SOURCE_ASN, NULL);
        assert_non_null(v);
        if (strcmp(v, "64496") == 0)
            break;
        assert_string_equal(v, "64510");
        assert_true(ermes__time_monotonic_ns() < deadline);
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    assert_field(f->ev, "source.as_name", "Example Net One");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookup_v4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_v6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enrich_fills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enrich_keeps_feed_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enrich_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_one_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none_configured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_or_broken_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
    };

    ermes__log_setup(ERMES_LOG_ERROR, 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
