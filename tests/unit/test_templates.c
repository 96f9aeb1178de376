/* Tests of the one template system (src/templates/templates.c's catalogue and checks,
 * src/store/templates.c, and the two that fill templates: src/notify/message.c and
 * src/advisories/render.c), the store part on SQLite and on PostgreSQL
 * (unit_pg.test_templates): placeholders checked with their line and column for every kind and
 * part; the advisories' renderings with no stored template byte for byte what main rendered
 * before the list items and the feed's header became templates (tests/data/render/, written
 * by that code: 001 is the built-in sample, 002 002.json; 003.atom an entry of two summary
 * notes), and the notifications of each built-in language byte for byte what main wrote before
 * their lines became templates (notify.LANG.txt); a stored line of a notification or summary
 * item in its place, an unknown variable of each refused with its place; a stored list item, feed
 * header or page used in its language only; migration 71 moving the rows of the two tables it
 * replaced, twice over. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "advisories/render.h"
#include "notify/notify.h"
#include "templates/templates.h"
#include "store/store.h"
#include "test_db.h"

static void test_check(void **state)
{
    ermes_diag_t d;
    char *big;

    (void)state;
    assert_int_equal(ermes__notify_template_check("S ${org}\n\nB ${signature}\n", &d), 0);
    assert_int_equal(ermes__notify_template_check("S\n\n$ and $x and $${org}\n", &d), 0);
    assert_int_equal(ermes__notify_template_check("S\n\nbody é ${nme}\n", &d), ERMES_EINVAL);
    /* Columns count characters: "é" is one. */
    assert_int_equal(d.line, 3);
    assert_int_equal(d.column, 8);
    assert_non_null(strstr(d.reason, "unknown placeholder"));
    assert_int_equal(ermes__notify_template_check("S ${org\n\nx}\n", &d), ERMES_EINVAL);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.column, 3);
    assert_non_null(strstr(d.reason, "not closed"));
    assert_int_equal(ermes__notify_template_check("\nbody\n", &d), ERMES_EINVAL);
    assert_int_equal(ermes__notify_template_check("S\n\n\x01\n", &d), ERMES_EINVAL);
    big = malloc(70 * 1024);
    assert_non_null(big);
    memset(big, 'x', 70 * 1024 - 1);
    big[70 * 1024 - 1] = '\0';
    assert_int_equal(ermes__notify_template_check(big, &d), ERMES_ETOOBIG);
    free(big);
}

static void test_render_stored(void **state)
{
    ermes__notify_vars_t v;
    ermes__strbuf_t s, b;

    (void)state;
    memset(&v, 0, sizeof(v));
    v.reference = "ERMES-2026-000007";
    v.org = "EX";
    v.org_name = "Example";
    v.group = "feed-a";
    v.events = 2;
    ermes__strbuf_init(&s, 4096);
    ermes__strbuf_init(&b, 4096);
    assert_int_equal(ermes__notify_render_text(
                         NULL, "sv", "[${reference}] ${org}\r\n\r\nHej ${org_name}\n", &v, &s, &b),
                     0);
    assert_string_equal(s.data, "[ERMES-2026-000007] EX");
    assert_string_equal(b.data, "Hej Example\n");
    ermes__strbuf_cleanup(&s);
    ermes__strbuf_cleanup(&b);
}

static void test_catalogue(void **state)
{
    ermes_diag_t d;
    const char *k, *n;
    size_t parts = 0;

    (void)state;
    for (size_t i = 0; (k = ermes__templates_kind_at(i)) != NULL; i++)
        for (size_t j = 0; (n = ermes__templates_name_at(k, j)) != NULL; j++, parts++) {
            char *text = NULL;
            const char *source = NULL;
            /* Every default passes its own check. */
            assert_int_equal(ermes__templates_default(NULL, k, n, "fr", &text, &source), 0);
            assert_string_equal(source, "builtin");
            assert_int_equal(ermes__templates_check(k, n, text, &d), 0);
            ermes__free(text);
        }
    assert_int_equal(parts, 7 + 8 + 8 + 3);
    assert_true(ermes__templates_valid_lang("notification", "sv"));
    assert_false(ermes__templates_valid_lang("html", "sv"));
    assert_true(ermes__templates_valid_lang("atom", "pl"));

    /* A list item knows its fields and the headings, not the document's. */
    assert_int_equal(ermes__templates_check("html", "reference", "<li>${link} ${nope}</li>\n", &d),
                     ERMES_EINVAL);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.column, 13);
    assert_non_null(strstr(d.reason, "${nope}"));
    assert_int_equal(ermes__templates_check("html", "reference", "<li>${tracking_id}</li>", &d),
                     ERMES_EINVAL);
    assert_int_equal(
        ermes__templates_check("text", "history", "${l_version} ${number}: ${summary}\n", &d), 0);
    assert_int_equal(ermes__templates_check("html", "score", "${vector}\n${cve}", &d),
                     ERMES_EINVAL);
    assert_int_equal(d.line, 2);
    /* The feed's header has its own four, the entry no headings. */
    assert_int_equal(ermes__templates_check("atom", "feed", "<feed>${feed_url}${updated}", &d), 0);
    assert_int_equal(ermes__templates_check("atom", "feed", "<feed>${summary}", &d), ERMES_EINVAL);
    assert_int_equal(ermes__templates_check("atom", "entry", "${l_id}", &d), ERMES_EINVAL);
    /* The summary item knows a note's title and text, nothing of the document. */
    assert_int_equal(ermes__templates_check("atom", "summary", "${title}: ${text}", &d), 0);
    assert_int_equal(ermes__templates_check("atom", "summary", "${text}\n ${tracking_id}", &d),
                     ERMES_EINVAL);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.column, 2);
    assert_non_null(strstr(d.reason, "${tracking_id}"));
    /* The lines of a notification: each its own variables, an unknown one with its place. */
    assert_int_equal(ermes__templates_check("notification", "explanation",
                                            "* ${class}/${type_words}/${type}: ${count} ${events}"
                                            " ${what} ${type_note}${explanation}",
                                            &d),
                     0);
    assert_int_equal(ermes__templates_check("notification", "explanation", "- ${what} ${org}", &d),
                     ERMES_EINVAL);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.column, 11);
    assert_non_null(strstr(d.reason, "${org}"));
    assert_int_equal(
        ermes__templates_check("notification", "digest_daily", "${period_start} ${org_name}", &d),
        0);
    assert_int_equal(ermes__templates_check("notification", "digest_weekly", "Week\n${file}", &d),
                     ERMES_EINVAL);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.column, 1);
    assert_int_equal(
        ermes__templates_check("notification", "attached_xarf", "${file} ${count}", &d), 0);
    assert_int_equal(
        ermes__templates_check("notification", "attached_csv", "${file} ${explanations}", &d),
        ERMES_EINVAL);
    assert_int_equal(d.column, 9);
    assert_int_equal(ermes__templates_check("notification", "attached_json", "", &d), ERMES_EINVAL);
    assert_string_equal(d.field, "text");
    /* Unknown kinds and names are named as such. */
    assert_int_equal(ermes__templates_check("pdf", "page", "x", &d), ERMES_EINVAL);
    assert_string_equal(d.field, "kind");
    assert_int_equal(ermes__templates_check("notification", "page", "x", &d), ERMES_EINVAL);
    assert_string_equal(d.field, "name");
    assert_int_equal(ermes__templates_check("notification", "message", "S ${nme}\n\nb\n", &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "text");
}

static char *slurp(const char *name)
{
    const char *src = getenv("ERMES_SOURCE_DIR");
    char path[1024];
    FILE *f;
    long n;
    char *b;

    snprintf(path, sizeof(path), "%s/tests/data/render/%s", src ? src : ".", name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

static void assert_file(const char *name, const ermes__strbuf_t *b)
{
    char *want = slurp(name);

    if (strlen(want) != b->len || memcmp(want, b->data, b->len) != 0)
        fail_msg("%s differs: got\n%.*s", name, (int)b->len, b->data);
    free(want);
}

static const char *const langs[] = {NULL, "en", "fr", "de", "nl", "it", "es", "pl"};

/* The renderings of documents 001 and 002 with tpls (NULL, or a store with or without
 * overrides in another language) compared to tests/data/render. */
static void check_golden(const ermes__advisory_tpls_t *tpls)
{
    for (int d = 1; d <= 2; d++) {
        char *doc = d == 1 ? NULL : slurp("002.json"), name[64];
        const char *text = d == 1 ? ermes__advisory_template_sample() : doc;
        ermes__advisory_t a;
        ermes__strbuf_t b;

        ermes__strbuf_init(&b, 1u << 24);
        for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++) {
            assert_int_equal(ermes__advisory_render(text, ERMES_ADVISORY_HTML, langs[l], tpls, &b),
                             0);
            snprintf(name, sizeof(name), "%03d.%s.html", d, langs[l] ? langs[l] : "doc");
            assert_file(name, &b);
            ermes__strbuf_reset(&b);
            assert_int_equal(ermes__advisory_render(text, ERMES_ADVISORY_TEXT, langs[l], tpls, &b),
                             0);
            snprintf(name, sizeof(name), "%03d.%s.txt", d, langs[l] ? langs[l] : "doc");
            assert_file(name, &b);
            ermes__strbuf_reset(&b);
        }
        memset(&a, 0, sizeof(a));
        snprintf(a.tracking_id, sizeof(a.tracking_id), "EX/%03d", d);
        assert_int_equal(ermes__advisory_feed_begin(&b, "Advisories & co",
                                                    "https://cert.example/public/advisories/"
                                                    "feed.atom",
                                                    1796601600000, "fr", tpls),
                         0);
        assert_int_equal(ermes__advisory_feed_entry(&b, &a, text,
                                                    "https://cert.example/public/advisories/",
                                                    ".html", NULL, tpls),
                         0);
        assert_int_equal(ermes__advisory_feed_end(&b), 0);
        snprintf(name, sizeof(name), "%03d.atom", d);
        assert_file(name, &b);
        ermes__strbuf_cleanup(&b);
        free(doc);
    }
}

static void test_golden_builtin(void **state)
{
    (void)state;
    check_golden(NULL);
}

/* Notifications: four messages per built-in language (a daily digest with a CSV attachment
 * and six types, known, spelt out, unknown and unclassified; a weekly digest with a JSON
 * attachment; one event as X-ARF, no digest; 45 events of no type as X-ARF) compared to
 * tests/data/render/notify.<lang>.txt, written by main's code before the lines of explanations, the
 * digest and the attachment became templates (ERMES_WRITE_GOLDEN=1 writes them instead). */
static int render_notifications(const char *lang, const ermes__notify_texts_t *stored,
                                ermes__strbuf_t *out)
{
    static const char *const types[] = {
        "vulnerable-system", "ddos-amplifier", "c2-server", "unknown",
        "made-up-type",      "scanner",        NULL};
    static const int64_t counts[] = {1, 3, 22, 5, 2, 12};
    int rc = 0;

    for (int m = 0; !rc && m < 4; m++) {
        ermes__notify_vars_t v;
        ermes__strbuf_t subject, body;
        memset(&v, 0, sizeof(v));
        v.reference = "ERMES-2026-000042";
        v.org = "example";
        v.org_name = "Example Networks";
        v.group = m == 1 ? "scanner" : "shadowserver-scan-http";
        v.by_type = m == 1;
        v.tlp = m == 2 ? ERMES_TLP_RED : ERMES_TLP_AMBER;
        v.events = m == 2 ? 1 : 45;
        v.first = 1796601600000;
        v.last = 1796601600000 + 5 * 3600 * 1000LL;
        v.types = m == 3 ? NULL : m == 2 ? types + 5 : types;
        v.type_counts = m == 2 ? counts + 5 : counts;
        v.mail_from = "CERT <cert@example.org>";
        v.signature = m == 0 ? "Example CERT\\nhttps://cert.example" : NULL;
        v.digest = m >= 2 ? 0 : m + 1;
        v.period_start = 1796515200000;
        v.period_end = 1796601600000;
        v.attachment_ext = m == 0 ? "csv" : m == 1 ? "json" : "xarf.json";
        ermes__strbuf_init(&subject, 64 * 1024);
        ermes__strbuf_init(&body, 1024 * 1024);
        rc = ermes__notify_render_texts(NULL, lang, stored, &v, &subject, &body);
        if (!rc)
            rc = ermes__strbuf_addf(out, "== %d\n%s\n--\n%s", m, subject.data ? subject.data : "",
                                    body.data ? body.data : "");
        ermes__strbuf_cleanup(&subject);
        ermes__strbuf_cleanup(&body);
    }
    return rc;
}

static void test_golden_notification(void **state)
{
    const char *lang;

    (void)state;
    for (size_t l = 0; (lang = ermes__templates_lang_at("notification", l)) != NULL; l++) {
        ermes__strbuf_t b;
        char name[64];
        ermes__strbuf_init(&b, 1u << 24);
        assert_int_equal(render_notifications(lang, NULL, &b), 0);
        snprintf(name, sizeof(name), "notify.%s.txt", lang);
        if (getenv("ERMES_WRITE_GOLDEN")) {
            char path[1024];
            FILE *f;
            snprintf(path, sizeof(path), "%s/tests/data/render/%s",
                     getenv("ERMES_SOURCE_DIR") ? getenv("ERMES_SOURCE_DIR") : ".", name);
            assert_non_null(f = fopen(path, "wb"));
            assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
            fclose(f);
        }
        assert_file(name, &b);
        ermes__strbuf_cleanup(&b);
    }
}

/* An Atom entry whose document has two summary notes (and a note of another category between
 * them), with characters XML escapes: tests/data/render/003.atom, written by main's code
 * before the summary became an item template. */
static const char two_summaries[] =
    "{\"document\":{\"category\":\"csaf_base\",\"csaf_version\":\"2.0\",\"lang\":\"de\","
    "\"title\":\"Two <summaries>\",\"distribution\":{\"tlp\":{\"label\":\"WHITE\"}},"
    "\"publisher\":{\"category\":\"coordinator\",\"name\":\"CERT & co\","
    "\"namespace\":\"https://cert.example\"},"
    "\"notes\":[{\"category\":\"summary\",\"text\":\"First <b>line</b> & more.\"},"
    "{\"category\":\"details\",\"text\":\"Not in the feed.\"},"
    "{\"category\":\"summary\",\"title\":\"Second\",\"text\":\"Second \\\"line\\\"\\nand a "
    "break.\"}],"
    "\"tracking\":{\"id\":\"EX-2026-0003\",\"version\":\"1\",\"status\":\"final\","
    "\"initial_release_date\":\"2026-12-01T10:00:00.000Z\","
    "\"current_release_date\":\"2026-12-07T09:00:00.000Z\"}}}";

static void atom_two_summaries(const ermes__advisory_tpls_t *tpls, const char *lang,
                               ermes__strbuf_t *b)
{
    ermes__advisory_t a;

    memset(&a, 0, sizeof(a));
    snprintf(a.tracking_id, sizeof(a.tracking_id), "EX-2026-0003");
    assert_int_equal(ermes__advisory_feed_entry(b, &a, two_summaries,
                                                "https://cert.example/public/advisories/", ".html",
                                                lang, tpls),
                     0);
}

static void test_golden_atom_summary(void **state)
{
    ermes__strbuf_t b;

    (void)state;
    ermes__strbuf_init(&b, 1u << 20);
    atom_two_summaries(NULL, NULL, &b);
    if (getenv("ERMES_WRITE_GOLDEN")) {
        char path[1024];
        FILE *f;
        snprintf(path, sizeof(path), "%s/tests/data/render/003.atom",
                 getenv("ERMES_SOURCE_DIR") ? getenv("ERMES_SOURCE_DIR") : ".");
        assert_non_null(f = fopen(path, "wb"));
        assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
        fclose(f);
    }
    assert_file("003.atom", &b);
    ermes__strbuf_cleanup(&b);
}

/* Stored lines of a notification replace the built-in ones, each in its place, the others
 * keep theirs; the summary item of the Atom entry likewise. */
static void test_parts_stored(void **state)
{
    ermes__notify_texts_t t;
    ermes__strbuf_t b;

    (void)state;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ermes__notify_texts_set(&t, "explanation",
                                             "* [${class}] [${type_words}] ${type}=${count} "
                                             "${events} [${type_note}] ${what}"),
                     0);
    assert_int_equal(ermes__notify_texts_set(&t, "digest_daily", "DAILY ${period_start}"), 0);
    assert_int_equal(ermes__notify_texts_set(&t, "attached_csv", "CSV ${file} ${reference}"), 0);
    assert_int_equal(ermes__notify_texts_set(&t, "nothing", "x"), 0);
    ermes__strbuf_init(&b, 1u << 20);
    assert_int_equal(render_notifications("de", &t, &b), 0);
    assert_non_null(strstr(b.data, "\n* [Verwundbar] [vulnerable system] vulnerable-system=1 "
                                   "Ereignis [vulnerable-system, ] Verwundbar: vulnerable system\n"
                                   "* [Verwundbar] [DDoS amplifier] ddos-amplifier=3 Ereignisse "
                                   "[ddos-amplifier, ] Verwundbar: DDoS amplifier\n"));
    assert_non_null(strstr(b.data, "\n* [] [made up type] made-up-type=2 Ereignisse "
                                   "[made-up-type, ] made up type\n"));
    assert_non_null(strstr(b.data, "\nDAILY 2026-12-06 00:00\n\nzwischen"));
    assert_non_null(strstr(b.data, "\nCSV ERMES-2026-000042.csv ERMES-2026-000042\n"));
    /* The weekly digest and the JSON and X-ARF sentences are still the built-in ones. */
    assert_non_null(strstr(b.data, "Dies ist Ihre wöchentliche Zusammenfassung"));
    assert_non_null(strstr(b.data, "Die angehängte Datei ERMES-2026-000042.json führt sie"));
    assert_null(strstr(b.data, "- Verwundbar"));
    ermes__notify_texts_cleanup(&t);
    ermes__notify_texts_cleanup(&t); /* twice: a no-op */
    /* A stored line naming the variable it fills (the check refuses it; a row need not have
     * passed the check) reads it empty. */
    assert_int_equal(ermes__notify_texts_set(&t, "digest_daily", "D[${digest}]"), 0);
    assert_int_equal(ermes__notify_texts_set(&t, "attached_csv", "A[${attached}${digest}]"), 0);
    ermes__strbuf_reset(&b);
    assert_int_equal(render_notifications("en", &t, &b), 0);
    assert_non_null(strstr(b.data, "\nD[]\n\nbetween "));
    assert_non_null(strstr(b.data, "\nA[D[]\n\n]\n"));
    ermes__notify_texts_cleanup(&t);
    ermes__strbuf_reset(&b);
    {
        ermes__advisory_tpls_t tpls = {.name = "summary", .text = "[${title}] ${text}"};
        atom_two_summaries(&tpls, NULL, &b);
        assert_non_null(strstr(b.data,
                               "<summary>[summary] First &lt;b&gt;line&lt;/b&gt; &amp; more.\n"
                               "[Second] Second &quot;line&quot;\nand a break.</summary>"));
    }
    ermes__strbuf_cleanup(&b);
}

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static int setup(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    fixture_t *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-tmpl-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(test_store_open(f->dir, &opts, &f->st), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];

    ermes__store_close(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int each_cb(void *ctx, const char *kind, const char *name, const char *lang,
                   int64_t updated_at)
{
    char *out = ctx;
    size_t n = strlen(out);

    assert_true(updated_at > 0);
    snprintf(out + n, 256 - n, "%s/%s/%s,", kind, name, lang);
    return 0;
}

static int texts_cb(void *ctx, const char *name, const char *text)
{
    char *out = ctx;
    size_t n = strlen(out);

    snprintf(out + n, 256 - n, "%s=%s,", name, text);
    return 0;
}

static void test_store(void **state)
{
    fixture_t *f = *state;
    char *text = NULL, seen[256] = "";
    const char *source = NULL;
    int64_t at = 0;

    assert_int_equal(ermes__store_template_get(f->st, "notification", "message", "sv", &text, &at),
                     ERMES_ENOTFOUND);
    assert_null(text);
    assert_int_equal(
        ermes__store_template_put(f->st, "notification", "message", "sv", "A\n\nfirst\n", 0), 0);
    assert_int_equal(
        ermes__store_template_put(f->st, "notification", "message", "sv", "B\n\nsecond ö\n", 0), 0);
    assert_int_equal(ermes__store_template_put(f->st, "html", "reference", "fr", "<li>R</li>", 0),
                     0);
    assert_int_equal(ermes__store_template_put(f->st, "html", "page", "fr", "P", 0), 0);
    assert_int_equal(ermes__store_template_put(f->st, "html", "page", "en", "E", 0), 0);
    assert_int_equal(ermes__store_template_get(f->st, "notification", "message", "sv", &text, &at),
                     0);
    assert_string_equal(text, "B\n\nsecond ö\n");
    assert_true(at > 0);
    ermes__free(text);
    assert_int_equal(ermes__store_template_each(f->st, NULL, each_cb, seen), 0);
    assert_string_equal(seen,
                        "html/page/en,html/page/fr,html/reference/fr,notification/message/sv,");
    seen[0] = '\0';
    assert_int_equal(ermes__store_template_each(f->st, "notification", each_cb, seen), 0);
    assert_string_equal(seen, "notification/message/sv,");
    seen[0] = '\0';
    assert_int_equal(ermes__store_template_texts(f->st, "html", "fr", texts_cb, seen), 0);
    assert_true(strcmp(seen, "page=P,reference=<li>R</li>,") == 0 ||
                strcmp(seen, "reference=<li>R</li>,page=P,") == 0);
    /* In use: the stored one, else the default. */
    assert_int_equal(
        ermes__templates_get(f->st, NULL, "html", "reference", "fr", &text, &source, &at), 0);
    assert_string_equal(source, "stored");
    ermes__free(text);
    assert_int_equal(
        ermes__templates_get(f->st, NULL, "html", "reference", "de", &text, &source, &at), 0);
    assert_string_equal(source, "builtin");
    assert_string_equal(text, ermes__advisory_template_builtin("html", "reference"));
    assert_int_equal(at, 0);
    ermes__free(text);
    assert_int_equal(ermes__store_template_delete(f->st, "notification", "message", "sv"), 0);
    assert_int_equal(ermes__store_template_delete(f->st, "notification", "message", "sv"),
                     ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_template_get(f->st, "notification", "message", "sv", &text, NULL),
                     ERMES_ENOTFOUND);
}

/* Stored templates in one language change that language's renderings only: the byte-identical
 * ones of every other language stay as they were. */
static void test_overrides(void **state)
{
    fixture_t *f = *state;
    ermes__advisory_tpls_t t = {.fn = ermes__store_template_texts, .ctx = f->st};
    char *doc = slurp("002.json");
    ermes__advisory_t a;
    ermes__strbuf_t b;

    /* With nothing stored the store's lookup changes nothing. */
    check_golden(&t);
    assert_int_equal(ermes__store_template_put(f->st, "html", "reference", "en",
                                               "<li class=\"ref\">${summary}: ${link}</li>\n", 0),
                     0);
    assert_int_equal(ermes__store_template_put(f->st, "html", "history", "en",
                                               "<tr><td colspan=\"3\">${number}</td></tr>\n", 0),
                     0);
    assert_int_equal(ermes__store_template_put(f->st, "text", "vulnerability", "fr",
                                               "* ${cve} [${l_affected}: ${affected}]\n", 0),
                     0);
    assert_int_equal(ermes__store_template_put(f->st, "atom", "feed", "en",
                                               "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                                               "<title>MINE ${title}</title>\n",
                                               0),
                     0);
    assert_int_equal(ermes__store_template_put(f->st, "atom", "entry", "fr",
                                               "<entry><id>${entry_id}</id>FR</entry>\n", 0),
                     0);

    ermes__strbuf_init(&b, 1u << 24);
    assert_int_equal(ermes__advisory_render(doc, ERMES_ADVISORY_HTML, "en", &t, &b), 0);
    assert_non_null(strstr(b.data, "<li class=\"ref\">Advisory &amp; more: <a "
                                   "href=\"https://cert.example/a?x=1&amp;y=2\">"));
    assert_non_null(strstr(b.data, "<li class=\"ref\">Not a link: javascript:alert(1)</li>\n"));
    assert_non_null(strstr(b.data, "<tr><td colspan=\"3\">2</td></tr>\n"));
    assert_null(strstr(b.data, "<td>2026-11-15T10:00:00.000Z</td>"));
    ermes__strbuf_reset(&b);
    /* The document's own language (fr) has none of the English ones. */
    assert_int_equal(ermes__advisory_render(doc, ERMES_ADVISORY_HTML, NULL, &t, &b), 0);
    assert_file("002.doc.html", &b);
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__advisory_render(doc, ERMES_ADVISORY_TEXT, "fr", &t, &b), 0);
    assert_non_null(strstr(b.data, "Vulnérabilités:\n* CVE-2026-1111 [Produits affectés: "
                                   "Widget 1.0, W9]\n* CVE-2026-2222 [Produits affectés: -]\n"));
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__advisory_render(doc, ERMES_ADVISORY_TEXT, "en", &t, &b), 0);
    assert_null(strstr(b.data, "* CVE-2026-1111"));
    ermes__strbuf_reset(&b);

    /* The feed: the header in English from the stored one, a French document's entry too. */
    memset(&a, 0, sizeof(a));
    snprintf(a.tracking_id, sizeof(a.tracking_id), "EX-2026-0002");
    assert_int_equal(
        ermes__advisory_feed_begin(&b, "A & B", "https://x/feed.atom", 1796601600000, "en", &t), 0);
    assert_string_equal(b.data, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>MINE A &amp; "
                                "B</title>\n");
    assert_int_equal(ermes__advisory_feed_entry(&b, &a, doc, "https://x/", ".html", NULL, &t), 0);
    assert_non_null(strstr(b.data, "<entry><id>urn:ermes:advisory:EX-2026-0002</id>FR</entry>\n"));
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__advisory_feed_entry(&b, &a, doc, "https://x/", ".html", "de", &t), 0);
    assert_null(strstr(b.data, "FR</entry>"));
    ermes__strbuf_reset(&b);
    assert_int_equal(
        ermes__advisory_feed_begin(&b, "A", "https://x/feed.atom", 1796601600000, "fr", &t), 0);
    assert_null(strstr(b.data, "MINE"));

    /* A template being checked replaces the stored one of its part, the others stay. */
    {
        ermes__advisory_tpls_t edit = {.name = "history",
                                       .text = "H ${number}\n",
                                       .fn = ermes__store_template_texts,
                                       .ctx = f->st};
        ermes__strbuf_reset(&b);
        assert_int_equal(ermes__advisory_render(doc, ERMES_ADVISORY_HTML, "en", &edit, &b), 0);
        assert_non_null(strstr(b.data, "H 3\n"));
        assert_non_null(strstr(b.data, "<li class=\"ref\">"));
    }
    ermes__strbuf_cleanup(&b);
    free(doc);
}

/* Migration 71 on a store holding rows of migration 28's and 56's tables (made again here as
 * they were): every row lands in templates, and running it again changes nothing. */
static void test_migration(void **state)
{
    fixture_t *f = *state;
    int backend = test_db_postgresql() ? ERMES__SCHEMA_POSTGRESQL : ERMES__SCHEMA_SQLITE;
    ermes__db_t *db = ermes__db_conn(f->st);
    char *text = NULL, seen[256] = "";
    int64_t at = 0;

    assert_non_null(db);
    assert_int_equal(ermes__db_exec(db, ermes__schema_migration(28, backend)), 0);
    assert_int_equal(ermes__db_exec(db, ermes__schema_migration(56, backend)), 0);
    assert_int_equal(ermes__db_exec(db, "INSERT INTO notify_templates (lang, text, tlp, created_at,"
                                        " updated_at) VALUES ('sv', 'S\n\nsv body\n', 'CLEAR', 1,"
                                        " 17)"),
                     0);
    assert_int_equal(ermes__db_exec(db, "INSERT INTO advisory_templates (format, lang, text, tlp,"
                                        " created_at, updated_at) VALUES"
                                        " ('html', 'de', '<h1>${title}</h1>', 'CLEAR', 1, 18),"
                                        " ('atom', 'fr', '<entry/>', 'CLEAR', 1, 19)"),
                     0);
    /* A row the new table already has is kept as it is. */
    assert_int_equal(ermes__store_template_put(f->st, "text", "page", "en", "NEW", 0), 0);
    assert_int_equal(ermes__db_exec(db, "INSERT INTO advisory_templates (format, lang, text, tlp,"
                                        " created_at, updated_at) VALUES"
                                        " ('text', 'en', 'OLD', 'CLEAR', 1, 20)"),
                     0);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(ermes__db_exec(db, ermes__schema_migration(71, backend)), 0);
        seen[0] = '\0';
        assert_int_equal(ermes__store_template_each(f->st, NULL, each_cb, seen), 0);
        assert_string_equal(seen,
                            "atom/entry/fr,html/page/de,notification/message/sv,text/page/en,");
    }
    assert_int_equal(ermes__store_template_get(f->st, "notification", "message", "sv", &text, &at),
                     0);
    assert_string_equal(text, "S\n\nsv body\n");
    assert_int_equal(at, 17);
    ermes__free(text);
    assert_int_equal(ermes__store_template_get(f->st, "html", "page", "de", &text, &at), 0);
    assert_string_equal(text, "<h1>${title}</h1>");
    ermes__free(text);
    assert_int_equal(ermes__store_template_get(f->st, "text", "page", "en", &text, &at), 0);
    assert_string_equal(text, "NEW");
    ermes__free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_render_stored),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_golden_builtin),
        cmocka_unit_test(test_golden_notification),
        cmocka_unit_test(test_golden_atom_summary),
        cmocka_unit_test(test_parts_stored),
        cmocka_unit_test_setup_teardown(test_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
