/* The one template engine (src/core/template.c): placeholders replaced, unknown ones kept,
 * values escaped for HTML/XML and for text, trusted values inserted as they are. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/template.h"

static int lookup(void *ctx, const char *name, size_t len, const char **value, size_t *vlen,
                  int *trusted)
{
    (void)ctx;
    if (len == 5 && memcmp(name, "title", 5) == 0) {
        *value = "<b>\"A&B\" it's</b>\x1b\x7f\xc2\x9b\xff";
        *vlen = strlen(*value);
        *trusted = 0;
        return 1;
    }
    if (len == 4 && memcmp(name, "list", 4) == 0) {
        *value = "<li>x</li>";
        *vlen = strlen(*value);
        *trusted = 1;
        return 1;
    }
    return 0;
}

static void render(const char *tpl, ermes__template_escape_t esc, const char *expected)
{
    ermes__strbuf_t b;

    ermes__strbuf_init(&b, 1 << 16);
    assert_int_equal(ermes__template_render(tpl, strlen(tpl), esc, lookup, NULL, &b), 0);
    assert_string_equal(b.data ? b.data : "", expected);
    ermes__strbuf_cleanup(&b);
}

static void test_markup(void **state)
{
    (void)state;
    render("<h1>${title}</h1><ul>${list}</ul>", ERMES_TEMPLATE_HTML,
           "<h1>&lt;b&gt;&quot;A&amp;B&quot; it&#39;s&lt;/b&gt;\xef\xbf\xbd\xef\xbf\xbd"
           "\xef\xbf\xbd\xef\xbf\xbd</h1><ul><li>x</li></ul>");
    render("${unknown} $ ${ ${title", ERMES_TEMPLATE_XML, "${unknown} $ ${ ${title");
}

static void test_text(void **state)
{
    (void)state;
    render("${title}\n", ERMES_TEMPLATE_TEXT, "<b>\"A&B\" it's</b>\\x1b\\x7f\\u009b\\xff\n");
    render("${title}", ERMES_TEMPLATE_RAW, "<b>\"A&B\" it's</b>\x1b\x7f\xc2\x9b\xff");
}

static void test_escape_text_keeps_lines(void **state)
{
    ermes__strbuf_t b;
    const char *s = "one\r\ntwo\tthree\n\nfour";

    (void)state;
    ermes__strbuf_init(&b, 1 << 16);
    assert_int_equal(ermes__template_escape(&b, s, strlen(s), ERMES_TEMPLATE_TEXT), 0);
    assert_string_equal(b.data, "one\ntwo\\x09three\n\nfour");
    ermes__strbuf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markup),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_escape_text_keeps_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
