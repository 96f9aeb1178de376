/* The feed catalogue (src/intake/presets.c): every preset turns into a collector section the
 * config file reader accepts, and its parser, with the options of that section, parses the
 * preset's sample into events with no row rejected (what the pipeline would quarantine). The
 * samples are IntelMQ's where it has one (../shared/conformance/feeds/intelmq/), otherwise
 * made by hand from the provider's documented format (tests/data/presets/README.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "ermes/event.h"
#include "intake/parser.h"
#include "intake/presets.h"

#define RECEIVED_MS 1796601600000LL

static char source_dir[4096];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    *len = fread(p, 1, (size_t)n, f);
    p[*len] = '\0';
    fclose(f);
    return p;
}

static const char *test_value(const ermes__preset_t *p)
{
    switch (p->needs) {
    case ERMES_PRESET_NEEDS_API_KEY:
        return "TESTKEY123";
    case ERMES_PRESET_NEEDS_CREDENTIALS:
        return "user:secret";
    case ERMES_PRESET_NEEDS_ASN:
        return "1"; /* the AS of IntelMQ's sample */
    case ERMES_PRESET_NEEDS_KEY_SECRET:
        return "TESTKEY123:testsecret";
    case ERMES_PRESET_NEEDS_CONTAINER_URL:
        return "https://acct.blob.core.windows.net/ctip?sv=2019-12-12&sig=a%2Bb";
    default:
        return NULL;
    }
}

/* Parses the sample with the collector's feed and options; counts events, fails on a
 * rejected row. */
static size_t parse_sample(const ermes__preset_t *p, const ermes__collector_conf_t *c)
{
    const ermes__parser_def_t *def = ermes__parser_find(c->feed);
    ermes__report_info_t info = {c->feed, NULL, RECEIVED_MS, (const char *const *)c->options, NULL};
    char path[8192];
    ermes_event_t *ev;
    ermes_diag_t d;
    void *st = NULL;
    size_t len = 0, events = 0;
    char *data;
    int rc;

    if (!def)
        fail_msg("preset %s: no parser \"%s\"", p->name, c->feed);
    if (strncmp(p->sample, "local:", 6) == 0)
        snprintf(path, sizeof(path), "%s/tests/data/presets/%s", source_dir, p->sample + 6);
    else
        snprintf(path, sizeof(path), "%s/../shared/%s", source_dir, p->sample);
    if (!(data = slurp(path, &len)))
        fail_msg("preset %s: cannot read its sample %s", p->name, path);
    ermes_diag_clear(&d);
    if ((rc = def->open(&info, data, len, &st, &d)))
        fail_msg("preset %s: %s refused the sample: %s", p->name, c->feed, d.reason);
    assert_int_equal(ermes_event_new(&ev), 0);
    for (;;) {
        ermes__row_t row = {0, NULL, 0, 0, 0};
        ermes_event_reset(ev);
        ermes_diag_clear(&d);
        rc = def->next(st, ev, &row, &d);
        if (rc == 0)
            break;
        if (rc != 1)
            fail_msg("preset %s: line %ld of %s rejected: %s", p->name, row.line, p->sample,
                     d.reason);
        assert_true(ermes_event_get(ev, ERMES_F_CLASSIFICATION_TYPE, NULL) != NULL);
        /* ERMES_PRESETS_PRINT=1: the events, to review a new preset's mapping by eye. */
        if (getenv("ERMES_PRESETS_PRINT")) {
            ermes__strbuf_t json;
            ermes__strbuf_init(&json, 1u << 20);
            assert_int_equal(ermes_event_to_json(ev, &json), 0);
            fprintf(stderr, "%s: %s\n", p->name, json.data);
            ermes__strbuf_cleanup(&json);
        }
        events++;
    }
    def->close(st);
    ermes_event_free(ev);
    free(data);
    return events;
}

static void test_every_preset(void **unused)
{
    size_t n = 0;

    (void)unused;
    for (size_t k = 0; ermes__presets[k]; k++) {
        const ermes__preset_t *p = ermes__presets[k];
        char section[8192] = "", path[] = "/tmp/ermes-test-presets-XXXXXX";
        ermes__config_t cfg;
        ermes_diag_t d;
        json_t *j;
        int fd;
        n++;
        /* Names unique, what a person needs to choose it present. */
        for (size_t m = 0; m < k; m++)
            assert_string_not_equal(ermes__presets[m]->name, p->name);
        assert_true(p->provider && p->title && p->doc && p->tlp && p->sample && p->interval > 0);
        assert_int_equal(strncmp(p->doc, "https://", 8), 0);
        assert_non_null(ermes__preset_find(p->name));
        assert_non_null((j = ermes__preset_to_json(p)));
        json_decref(j);
        /* The section, read back as the config file reader reads it. */
        ermes_diag_clear(&d);
        if (ermes__preset_section(p, p->name, test_value(p), section, sizeof(section), &d))
            fail_msg("preset %s: %s", p->name, d.reason);
        assert_null(strstr(section, "{value}"));
        assert_true((fd = mkstemp(path)) >= 0);
        assert_int_equal(write(fd, section, strlen(section)), (ssize_t)strlen(section));
        close(fd);
        assert_int_equal(ermes__config_init(&cfg), 0);
        ermes_diag_clear(&d);
        if (ermes__config_load_file(&cfg, path, &d))
            fail_msg("preset %s: its section is refused: %s\n%s", p->name, d.reason, section);
        unlink(path);
        assert_int_equal(cfg.ncollectors, 1);
        assert_string_equal(cfg.collectors[0].name, p->name);
        assert_int_equal(cfg.collectors[0].interval, p->interval);
        assert_true(parse_sample(p, &cfg.collectors[0]) > 0);
        ermes__config_cleanup(&cfg);
    }
    assert_true(n >= 20);
}

static void test_values_checked(void **unused)
{
    const ermes__preset_t *key = ermes__preset_find("phishtank"),
                          *asn = ermes__preset_find("dshield-asn"),
                          *none = ermes__preset_find("spamhaus-drop"),
                          *cred = ermes__preset_find("openphish-commercial");
    char out[4096];
    ermes_diag_t d;

    (void)unused;
    assert_non_null(key);
    assert_non_null(asn);
    assert_non_null(none);
    assert_non_null(cred);
    out[0] = '\0';
    assert_int_equal(ermes__preset_section(key, "pt", NULL, out, sizeof(out), &d), ERMES_EINVAL);
    assert_string_equal(d.field, "value");
    assert_int_equal(ermes__preset_section(key, "pt", "a b", out, sizeof(out), &d), ERMES_EINVAL);
    assert_int_equal(ermes__preset_section(key, "pt", "x\"y", out, sizeof(out), &d), ERMES_EINVAL);
    assert_int_equal(ermes__preset_section(key, "pt", "k{value}", out, sizeof(out), &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__preset_section(asn, "a", "AS1", out, sizeof(out), &d), ERMES_EINVAL);
    assert_int_equal(ermes__preset_section(none, "d", "key", out, sizeof(out), &d), ERMES_EINVAL);
    assert_int_equal(ermes__preset_section(cred, "o", "nocolon", out, sizeof(out), &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__preset_section(none, "bad name", NULL, out, sizeof(out), &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "name");
    assert_string_equal(out, "");
    assert_int_equal(ermes__preset_section(key, "pt", "abc123", out, sizeof(out), &d), 0);
    assert_non_null(strstr(out, "url = https://data.phishtank.com/data/abc123/online-valid.csv\n"));
    assert_null(ermes__preset_find("no-such-preset"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_preset),
        cmocka_unit_test(test_values_checked),
    };
    const char *src = getenv("ERMES_SOURCE_DIR");

    snprintf(source_dir, sizeof(source_dir), "%s", src ? src : ERMES_SOURCE_DIR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
