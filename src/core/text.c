#include "core/text.h"

#include <stdint.h>
#include <stdio.h>

#include "ermes/error.h"

/* Length of the valid UTF-8 sequence at s (at most len bytes) and its code point, or 0 if the
 * bytes are not one (overlong forms, surrogates and values past U+10FFFF are not). */
static size_t utf8_char(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n, i;
    uint32_t v, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        v = s[0] & 0x1f;
        min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        v = s[0] & 0x0f;
        min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        v = s[0] & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

int ermes__text_needs_escape(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;
    uint32_t cp;

    while (i < len) {
        n = utf8_char(p + i, len - i, &cp);
        if (!n || is_control(cp))
            return 1;
        i += n;
    }
    return 0;
}

int ermes__text_escape(ermes__strbuf_t *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, n;
    uint32_t cp;
    int rc;

    /* Runs of harmless characters are copied in one append. */
    while (i < len) {
        n = utf8_char(p + i, len - i, &cp);
        if (n && !is_control(cp)) {
            i += n;
            continue;
        }
        if (i > run && (rc = ermes__strbuf_add(b, s + run, i - run)))
            return rc;
        if (!n)
            rc = ermes__strbuf_addf(b, "\\x%02x", p[i]), n = 1;
        else if (cp < 0x80)
            rc = ermes__strbuf_addf(b, "\\x%02x", (unsigned)cp);
        else
            rc = ermes__strbuf_addf(b, "\\u%04x", (unsigned)cp);
        if (rc)
            return rc;
        i += n;
        run = i;
    }
    if (!b->data || i > run)
        return ermes__strbuf_add(b, s + run, i - run);
    return 0;
}

size_t ermes__text_escape_buf(const char *s, size_t len, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0, n;
    uint32_t cp;

    while (i < len) {
        char esc[8];
        size_t w;

        n = utf8_char(p + i, len - i, &cp);
        if (n && !is_control(cp)) {
            if (o + n >= cap)
                break;
            for (size_t k = 0; k < n; k++)
                out[o++] = s[i + k];
            i += n;
            continue;
        }
        if (!n)
            w = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", p[i]), n = 1;
        else if (cp < 0x80)
            w = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
        else
            w = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
        if (o + w >= cap)
            break;
        for (size_t k = 0; k < w; k++)
            out[o++] = esc[k];
        i += n;
    }
    out[o] = '\0';
    return o;
}

int ermes__csv_cell_is_formula(const char *s, size_t len)
{
    if (!len)
        return 0;
    switch (s[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
        return 1;
    default:
        return 0;
    }
}

size_t ermes__json_escape(unsigned char c, int upper_hex, char out[6])
{
    const char *hex = upper_hex ? "0123456789ABCDEF" : "0123456789abcdef";
    char short_form = c == '"'    ? '"'
                      : c == '\\' ? '\\'
                      : c == '\b' ? 'b'
                      : c == '\f' ? 'f'
                      : c == '\n' ? 'n'
                      : c == '\r' ? 'r'
                      : c == '\t' ? 't'
                                  : 0;

    if (c >= 0x20 && !short_form)
        return 0;
    out[0] = '\\';
    if (short_form) {
        out[1] = short_form;
        return 2;
    }
    out[1] = 'u', out[2] = '0', out[3] = '0', out[4] = hex[c >> 4], out[5] = hex[c & 15];
    return 6;
}
