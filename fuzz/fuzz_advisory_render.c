/* libFuzzer target for the renderings of advisories for people (src/advisories/render.c) and
 * the template engine under them (src/core/template.c), as GET /advisories/<id>.html, .txt,
 * /advisories/feed.atom and the API's /html, /text and /advisory-feed use them: the input is
 * a document (any JSON; the published ones are valid CSAF, but the renderer must not rely on
 * it). Checks: the HTML and the feed hold no "<script" from the document, no raw control
 * character but tab, newline and return, and valid UTF-8; the text holds no control character
 * but newlines; the engine leaves an unknown placeholder as written. The input is also an
 * edited template of each part (ermes__advisory_template_check, PUT /api/v1/templates/...). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/render.h"
#include "core/template.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_advisory_render: %s\n", what);
    abort();
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t k = 0;

    while (k < n) {
        unsigned c = s[k];
        size_t need;

        if (c < 0x80) {
            k++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3;
        else
            return 0;
        if (k + need >= n)
            return 0;
        for (size_t j = 1; j <= need; j++)
            if ((s[k + j] & 0xc0) != 0x80)
                return 0;
        k += need + 1;
    }
    return 1;
}

static void check_markup(const ermes__strbuf_t *b)
{
    const unsigned char *p = (const unsigned char *)(b->data ? b->data : "");

    for (size_t k = 0; k < b->len; k++)
        check(p[k] >= 0x20 || p[k] == '\t' || p[k] == '\n' || p[k] == '\r',
              "no control character in markup");
    check(valid_utf8(p, b->len), "markup is valid UTF-8");
    /* The templates have no script: any "<script" came from the document unescaped. */
    check(!b->data || !strstr(b->data, "<script"), "no <script from the document");
}

static int no_var(void *ctx, const char *name, size_t len, const char **value, size_t *vlen,
                  int *trusted)
{
    (void)ctx, (void)name, (void)len, (void)value, (void)vlen, (void)trusted;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    ermes__strbuf_t b;
    ermes__advisory_t a;
    int rc;

    if (size > 1 << 20)
        return 0;
    /* The engine with no variable known: the text comes back as it was. */
    ermes__strbuf_init(&b, 4u << 20);
    check(ermes__template_render((const char *)data, size, ERMES_TEMPLATE_HTML, no_var, NULL, &b) ==
              0,
          "render");
    check(b.len == size && (!size || memcmp(b.data, data, size) == 0), "unknown names kept");
    ermes__strbuf_reset(&b);
    check(ermes__template_escape(&b, (const char *)data, size, ERMES_TEMPLATE_XML) == 0, "escape");
    check_markup(&b);
    ermes__strbuf_cleanup(&b);

    if (!(text = malloc(size + 1)))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ermes__strbuf_init(&b, 64u << 20);
    rc = ermes__advisory_render(text, ERMES_ADVISORY_HTML, "de", NULL, &b);
    check(rc == 0 || rc == ERMES_EPARSE || rc == ERMES_ENOMEM || rc == ERMES_ETOOBIG, "html rc");
    if (!rc)
        check_markup(&b);
    ermes__strbuf_reset(&b);
    rc = ermes__advisory_render(text, ERMES_ADVISORY_TEXT, NULL, NULL, &b);
    if (!rc)
        for (size_t k = 0; k < b.len; k++)
            check((unsigned char)b.data[k] >= 0x20 || b.data[k] == '\n', "text: only newlines");
    ermes__strbuf_reset(&b);
    memset(&a, 0, sizeof(a));
    snprintf(a.tracking_id, sizeof(a.tracking_id), "%.*s", (int)(size < 40 ? size : 40),
             (const char *)data);
    rc = ermes__advisory_feed_begin(&b, "feed", "https://x/feed.atom", 0, "en", NULL);
    if (!rc)
        rc = ermes__advisory_feed_entry(&b, &a, text, "https://x/advisories/", ".html", NULL, NULL);
    if (!rc) {
        check(ermes__advisory_feed_end(&b) == 0, "feed end");
        check_markup(&b);
    }
    ermes__strbuf_cleanup(&b);
    /* The input as an edited template (h_templates.c): checked as each part of each kind
     * (the pages, their list items, the feed's header and entry); one that passes renders the
     * sample (the check does), one refused names a line inside it. */
    for (size_t f = 0; f < 3; f++) {
        static const char *const kinds[] = {"html", "text", "atom"};
        const char *name;
        for (size_t k = 0; (name = ermes__advisory_template_part(kinds[f], k)) != NULL; k++) {
            ermes_diag_t d;
            rc = ermes__advisory_template_check(kinds[f], name, text, &d);
            check(rc == 0 || rc == ERMES_EINVAL || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM,
                  "check rc");
            if (rc == ERMES_EINVAL)
                check(d.line >= 1 && d.column >= 1 && d.reason[0], "a line and a reason");
        }
    }
    free(text);
    return 0;
}
