/* The built-in notification languages (src/notify/message.c): en, fr, de, nl, it, es, pl.
 * Each renders a group in its own words (subject, greeting, class and type explanations, TLP
 * text), with no English left in a non-English message's explanations; Polish counts with its
 * three plural forms; a language ermes has no built-in for falls back to English, and a file
 * dropped into notify_templates adds one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "notify/notify.h"

static const char *const types[] = {"infected-system", "c2-server", "scanner", NULL};
static const int64_t counts[] = {3, 1, 1};

static void render_as(const char *dir, const char *lang, int64_t events, const char *ext,
                      ermes__strbuf_t *subject, ermes__strbuf_t *body)
{
    ermes__notify_vars_t v;

    memset(&v, 0, sizeof(v));
    v.reference = "ERMES-2026-000042";
    v.org = "acme";
    v.org_name = "ACME Networks";
    v.group = "shadowserver";
    v.tlp = ERMES_TLP_AMBER;
    v.events = events;
    v.first = 1796601600000LL;
    v.last = 1796605200000LL;
    v.types = types;
    v.type_counts = counts;
    v.mail_from = "cert@example.org";
    v.signature = "CERT Example";
    v.attachment_ext = ext;
    ermes__strbuf_init(subject, 4096);
    ermes__strbuf_init(body, 1 << 20);
    assert_int_equal(ermes__notify_render(dir, lang, &v, subject, body), 0);
}

static void render(const char *dir, const char *lang, int64_t events, ermes__strbuf_t *subject,
                   ermes__strbuf_t *body)
{
    render_as(dir, lang, events, NULL, subject, body);
}

static void test_each_language(void **unused)
{
    static const struct {
        const char *lang, *subject_word, *greeting, *infected, *malicious_code, *tlp;
    } want[] = {
        {"en", "5 events", "Dear ACME Networks team", "is infected with malware", "Malicious code",
         "within your organisation and with its clients"},
        {"fr", "5 événements", "chère équipe de ACME Networks", "est infecté", "Code malveillant",
         "au sein de votre organisation et avec ses clients"},
        {"de", "5 Ereignisse", "Sehr geehrtes Team von ACME Networks", "ist mit Schadsoftware",
         "Schadcode", "in Ihrer Organisation und mit deren Kunden"},
        {"nl", "5 gebeurtenissen", "Geacht team van ACME Networks", "is besmet met malware",
         "Kwaadaardige code", "binnen uw organisatie en met haar klanten"},
        {"it", "5 eventi", "Gentile team di ACME Networks", "è infetto da malware",
         "Codice malevolo", "all'interno della vostra organizzazione e con i suoi clienti"},
        {"es", "5 eventos", "Estimado equipo de ACME Networks", "está infectado con malware",
         "Código dañino", "dentro de su organización y con los clientes"},
        {"pl", "5 zdarzeń", "Szanowny Zespole ACME Networks", "jest zainfekowany", "Złośliwy kod",
         "w swojej organizacji i jej klientom"},
    };

    (void)unused;
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        ermes__strbuf_t subject, body;
        render(NULL, want[k].lang, 5, &subject, &body);
        if (!strstr(subject.data, want[k].subject_word) || !strstr(body.data, want[k].greeting) ||
            !strstr(body.data, want[k].infected) || !strstr(body.data, want[k].malicious_code) ||
            !strstr(body.data, want[k].tlp) || !strstr(body.data, "CERT Example") ||
            !strstr(body.data, "ERMES-2026-000042"))
            fail_msg("%s:\n%s\n\n%s", want[k].lang, subject.data, body.data);
        /* No English explanation in another language's message. */
        if (strcmp(want[k].lang, "en") != 0 &&
            (strstr(body.data, "is infected") || strstr(body.data, "Malicious code") ||
             strstr(body.data, "scans other") || strstr(body.data, "${")))
            fail_msg("%s has English or a placeholder left:\n%s", want[k].lang, body.data);
        ermes__strbuf_cleanup(&subject);
        ermes__strbuf_cleanup(&body);
    }
}

/* The sentence saying how the events are attached follows the constituent's format in every
 * language: "one per line" (and its translations) for a CSV only; a JSON array's object per
 * event; one X-ARF file per event, named as message.c names the parts. */
static void test_attachment_wording(void **unused)
{
    static const struct {
        const char *lang, *csv, *json, *xarf, *per_line;
    } want[] = {
        {"en", "The attached file ERMES-2026-000042.csv lists them, one per line.",
         "The attached file ERMES-2026-000042.json lists them as a JSON array, one object per "
         "event.",
         "They are attached as X-ARF reports, one file per event (ERMES-2026-000042-1.xarf.json"
         " … ERMES-2026-000042-5.xarf.json).",
         "one per line"},
        {"fr", "Le fichier joint ERMES-2026-000042.csv les énumère, un par ligne.",
         "sous forme de tableau JSON, un objet par événement.",
         "Ils sont joints sous forme de rapports X-ARF, un fichier par événement", "par ligne"},
        {"de", "Die angehängte Datei ERMES-2026-000042.csv führt sie auf, eines pro Zeile.",
         "als JSON-Array auf, ein Objekt pro Ereignis.",
         "Sie sind als X-ARF-Berichte angehängt, eine Datei pro Ereignis", "pro Zeile"},
        {"nl", "Het bijgevoegde bestand ERMES-2026-000042.csv somt ze op, één per regel.",
         "als JSON-array, één object per gebeurtenis.",
         "Ze zijn bijgevoegd als X-ARF-rapporten, één bestand per gebeurtenis", "per regel"},
        {"it", "Il file allegato ERMES-2026-000042.csv li elenca, uno per riga.",
         "come array JSON, un oggetto per evento.",
         "Sono allegati come rapporti X-ARF, un file per evento", "per riga"},
        {"es", "El archivo adjunto ERMES-2026-000042.csv los enumera, uno por línea.",
         "como un array JSON, un objeto por evento.",
         "Se adjuntan como informes X-ARF, un archivo por evento", "por línea"},
        {"pl", "Załączony plik ERMES-2026-000042.csv zawiera ich listę, po jednym w wierszu.",
         "jako tablicę JSON, po jednym obiekcie na zdarzenie.",
         "Załączono je jako raporty X-ARF, po jednym pliku na zdarzenie", "w wierszu"},
    };

    (void)unused;
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        static const char *const exts[] = {NULL, "csv", "json", "xarf.json"};
        for (size_t f = 0; f < sizeof(exts) / sizeof(exts[0]); f++) {
            ermes__strbuf_t subject, body;
            const char *expect = f < 2 ? want[k].csv : f == 2 ? want[k].json : want[k].xarf;
            render_as(NULL, want[k].lang, 5, exts[f], &subject, &body);
            if (!strstr(body.data, expect))
                fail_msg("%s %s: no \"%s\" in\n%s", want[k].lang, exts[f] ? exts[f] : "default",
                         expect, body.data);
            /* "One per line" is said of a CSV only. */
            if (f >= 2 && strstr(body.data, want[k].per_line))
                fail_msg("%s %s says \"%s\":\n%s", want[k].lang, exts[f], want[k].per_line,
                         body.data);
            if (f == 3 && (!strstr(body.data, "ERMES-2026-000042-1.xarf.json") ||
                           !strstr(body.data, "ERMES-2026-000042-5.xarf.json")))
                fail_msg("%s xarf: the files are not named:\n%s", want[k].lang, body.data);
            ermes__strbuf_cleanup(&subject);
            ermes__strbuf_cleanup(&body);
        }
    }
    {
        /* One X-ARF event: one file named. */
        ermes__strbuf_t subject, body;
        render_as(NULL, "en", 1, "xarf.json", &subject, &body);
        assert_non_null(strstr(body.data, "one file per event (ERMES-2026-000042-1.xarf.json)."));
        ermes__strbuf_cleanup(&subject);
        ermes__strbuf_cleanup(&body);
    }
}

static void test_polish_plurals(void **unused)
{
    static const struct {
        int64_t n;
        const char *words;
    } want[] = {{1, "1 zdarzenie"},    {2, "2 zdarzenia"}, {4, "4 zdarzenia"},
                {5, "5 zdarzeń"},      {12, "12 zdarzeń"}, {14, "14 zdarzeń"},
                {22, "22 zdarzenia"},  {25, "25 zdarzeń"}, {112, "112 zdarzeń"},
                {104, "104 zdarzenia"}};

    (void)unused;
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        ermes__strbuf_t subject, body;
        render(NULL, "pl", want[k].n, &subject, &body);
        if (!strstr(subject.data, want[k].words))
            fail_msg("%lld: %s", (long long)want[k].n, subject.data);
        ermes__strbuf_cleanup(&subject);
        ermes__strbuf_cleanup(&body);
    }
    {
        /* In the explanations too: 3 infected systems. */
        ermes__strbuf_t subject, body;
        render(NULL, "pl", 5, &subject, &body);
        assert_non_null(strstr(body.data, "3 zdarzenia"));
        assert_non_null(strstr(body.data, "1 zdarzenie"));
        ermes__strbuf_cleanup(&subject);
        ermes__strbuf_cleanup(&body);
    }
}

static void test_fallback_and_dropped_file(void **unused)
{
    char dir[] = "/tmp/ermes-test-lang-XXXXXX", path[128];
    ermes__strbuf_t subject, body;
    char lang[16];
    FILE *f;

    (void)unused;
    /* No built-in Portuguese: English. */
    render(NULL, "pt", 2, &subject, &body);
    assert_non_null(strstr(subject.data, "2 events"));
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    ermes__notify_language(NULL, "pt", lang, sizeof(lang));
    assert_string_equal(lang, "en");
    ermes__notify_language(NULL, "PL", lang, sizeof(lang));
    assert_string_equal(lang, "pl");
    /* A file dropped into the templates directory adds it. */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pt.txt", dir);
    assert_non_null((f = fopen(path, "w")));
    fputs("[${reference}] ${n_events} para ${org}\n\nCaros ${org_name},\n${explanations}\n", f);
    fclose(f);
    ermes__notify_language(dir, "pt", lang, sizeof(lang));
    assert_string_equal(lang, "pt");
    render(dir, "pt", 2, &subject, &body);
    assert_non_null(strstr(subject.data, "para acme"));
    assert_non_null(strstr(body.data, "Caros ACME Networks"));
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_language),
        cmocka_unit_test(test_attachment_wording),
        cmocka_unit_test(test_polish_plurals),
        cmocka_unit_test(test_fallback_and_dropped_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
