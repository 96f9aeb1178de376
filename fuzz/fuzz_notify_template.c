/* libFuzzer target for the notification templates edited in the API
 * (PUT /api/v1/notification-templates/{lang} and .../preview; src/notify/message.c).
 *
 * The input is the template's text (cut at its first NUL, as a JSON string is).
 * ermes__notify_template_check either refuses it with a reason and, for a placeholder, a line
 * and column inside the text, or accepts it; an accepted one renders for a sample group with a
 * one-line subject and no "${" left that names a known placeholder. The same text as each of
 * the message's lines (PUT /api/v1/templates/notification/{line}/{lang}: ermes__notify_part_check)
 * is refused the same way or renders in its place. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "notify/notify.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_notify_template: %s\n", what);
    abort();
}

/* A refusal: a known error, a reason, a line and column inside the text. */
static void refused(int rc, const ermes_diag_t *d, long lines, size_t size)
{
    check(rc == ERMES_EINVAL || rc == ERMES_ETOOBIG, "an unexpected error");
    check(d->reason[0] != '\0', "a refusal without a reason");
    check(d->line >= 0 && d->line <= lines, "a line outside the text");
    check(d->column >= 0 && (size_t)d->column <= size + 1, "a column outside the text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"scanner", "vulnerable-system", "no-such-type", NULL};
    static const int64_t counts[] = {1, 2, 3};
    static const char *const ext[] = {"csv", "json", "xarf.json"};
    ermes__strbuf_t subject, body;
    ermes__notify_vars_t v;
    char *text = malloc(size + 1);
    const char *name;
    ermes_diag_t d;
    long lines = 1;
    int rc;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t k = 0; text[k]; k++)
        lines += text[k] == '\n';
    memset(&v, 0, sizeof(v));
    v.reference = "ERMES-2026-000001";
    v.org = "ex";
    v.org_name = "Example";
    v.group = "feed";
    v.tlp = ERMES_TLP_AMBER;
    v.events = 6;
    v.types = types;
    v.type_counts = counts;
    v.mail_from = "cert@example.org";
    v.signature = "a\\nb";
    ermes__strbuf_init(&subject, 64 * 1024);
    ermes__strbuf_init(&body, 1024 * 1024);
    rc = ermes__notify_template_check(text, &d);
    if (rc) {
        refused(rc, &d, lines, size);
    } else {
        rc = ermes__notify_render_text(NULL, data[0] % 2 ? "pl" : "en", text, &v, &subject, &body);
        check(rc == 0, "an accepted template does not render");
        check(!subject.data || !strchr(subject.data, '\n'), "a subject of more than one line");
        check(!subject.data || !strstr(subject.data, "${reference}"), "a placeholder left");
    }
    /* The same text as each line of the message (explanation, digest, attachment): checked
     * like the message, and one accepted renders in its place (a digest, each format). */
    for (size_t k = 1; (name = ermes__notify_part_at(k)) != NULL; k++) {
        ermes__notify_texts_t t;
        rc = ermes__notify_part_check(name, text, &d);
        if (rc) {
            refused(rc, &d, lines, size);
            continue;
        }
        memset(&t, 0, sizeof(t));
        check(ermes__notify_texts_set(&t, name, text) == 0, "a line not copied");
        v.digest = k == ERMES_NOTIFY_PART_DIGEST_WEEKLY ? 2 : 1;
        v.attachment_ext =
            ext[k >= ERMES_NOTIFY_PART_ATTACHED_CSV ? k - ERMES_NOTIFY_PART_ATTACHED_CSV : 0];
        ermes__strbuf_reset(&subject);
        ermes__strbuf_reset(&body);
        rc = ermes__notify_render_texts(NULL, data[0] % 2 ? "pl" : "fr", &t, &v, &subject, &body);
        check(rc == 0, "an accepted line does not render");
        check(!subject.data || !strchr(subject.data, '\n'), "a subject of more than one line");
        ermes__notify_texts_cleanup(&t);
    }
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    free(text);
    return 0;
}
