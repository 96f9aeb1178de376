/* The template engine (template.h). */
#include "core/template.h"

#include <string.h>

#include "core/text.h"
#include "ermes/error.h"

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 when there is none, and its
 * code point in *cp. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], min;
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, c &= 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, c &= 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, c &= 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[k] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Markup: the five characters that mean something as character references; what an XML
 * parser refuses (C0 controls but tab, newline and return, U+FFFE/U+FFFF, bad UTF-8) and
 * what a browser might act on (DEL, C1) as U+FFFD. */
static int escape_markup(ermes__strbuf_t *out, const unsigned char *s, size_t n)
{
    static const char replacement[] = "\xef\xbf\xbd";
    size_t k = 0, plain = 0;
    int rc = 0;

    while (!rc && k < n) {
        unsigned cp = 0;
        size_t len = utf8_seq(s + k, n - k, &cp);
        const char *ent = NULL;

        if (len == 1) {
            switch (cp) {
            case '&':
                ent = "&amp;";
                break;
            case '<':
                ent = "&lt;";
                break;
            case '>':
                ent = "&gt;";
                break;
            case '"':
                ent = "&quot;";
                break;
            case '\'':
                ent = "&#39;";
                break;
            default:
                if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f)
                    ent = replacement;
            }
        } else if (!len) {
            ent = replacement;
            len = 1;
        } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff) {
            ent = replacement;
        }
        if (!ent) {
            k += len;
            plain += len;
            continue;
        }
        rc = ermes__strbuf_add(out, s + k - plain, plain);
        if (!rc)
            rc = ermes__strbuf_adds(out, ent);
        plain = 0;
        k += len;
    }
    if (!rc && plain)
        rc = ermes__strbuf_add(out, s + n - plain, plain);
    return rc;
}

/* Text for a person: each line through core/text.c's escaper, the newlines kept. */
static int escape_text(ermes__strbuf_t *out, const char *s, size_t n)
{
    int rc = 0;

    while (!rc) {
        const char *nl = memchr(s, '\n', n);
        size_t line = nl ? (size_t)(nl - s) : n;

        /* A carriage return before the newline is the line end too, not a control to show. */
        rc = ermes__text_escape(out, s, line && s[line - 1] == '\r' && nl ? line - 1 : line);
        if (rc || !nl)
            break;
        rc = ermes__strbuf_addc(out, '\n');
        s += line + 1;
        n -= line + 1;
    }
    return rc;
}

int ermes__template_escape(ermes__strbuf_t *out, const char *s, size_t n,
                           ermes__template_escape_t esc)
{
    switch (esc) {
    case ERMES_TEMPLATE_HTML:
    case ERMES_TEMPLATE_XML:
        return escape_markup(out, (const unsigned char *)s, n);
    case ERMES_TEMPLATE_TEXT:
        return escape_text(out, s, n);
    default:
        return ermes__strbuf_add(out, s, n);
    }
}

int ermes__template_render(const char *text, size_t n, ermes__template_escape_t esc,
                           ermes__template_var_cb cb, void *ctx, ermes__strbuf_t *out)
{
    size_t k = 0;
    int rc = 0;

    while (!rc && k < n) {
        const char *open = memchr(text + k, '$', n - k), *close, *val = NULL;
        size_t vlen = 0;
        int trusted = 0;

        if (!open) {
            rc = ermes__strbuf_add(out, text + k, n - k);
            break;
        }
        rc = ermes__strbuf_add(out, text + k, (size_t)(open - (text + k)));
        k = (size_t)(open - text);
        if (rc)
            break;
        if (k + 1 < n && text[k + 1] == '{' &&
            (close = memchr(text + k + 2, '}', n - k - 2)) != NULL &&
            cb(ctx, text + k + 2, (size_t)(close - (text + k + 2)), &val, &vlen, &trusted)) {
            rc = trusted ? ermes__strbuf_add(out, val, vlen)
                         : ermes__template_escape(out, val, vlen, esc);
            k = (size_t)(close - text) + 1;
        } else {
            rc = ermes__strbuf_addc(out, '$');
            k++;
        }
    }
    return rc;
}
