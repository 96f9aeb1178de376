/* The one template engine of ermes: "${name}" replaced by a value from a lookup callback, the
 * value escaped for where it goes (HTML, XML, a person's terminal or mail text, or as is).
 * The notification messages (src/notify/message.c) and the renderings of advisories for people
 * (src/advisories/render.c: the HTML page, the Atom feed, the plain text) all fill their
 * templates through it. A list is a value rendered beforehand from an item template and
 * handed back as trusted (already escaped). Unknown names stay as written. */
#ifndef ERMES_CORE_TEMPLATE_H
#define ERMES_CORE_TEMPLATE_H

#include <stddef.h>

#include "core/strbuf.h"

typedef enum ermes__template_escape {
    ERMES_TEMPLATE_RAW,  /* as is (the notification texts: plain text, headers flattened later) */
    ERMES_TEMPLATE_HTML, /* & < > " ' as character references, controls and bad UTF-8 U+FFFD */
    ERMES_TEMPLATE_XML,  /* the same (XML 1.0 forbids C0 controls but tab, newline, return) */
    ERMES_TEMPLATE_TEXT  /* controls but newline made visible (\xNN, \u00NN), bad UTF-8 \xNN */
} ermes__template_escape_t;

/* Looks up name (len bytes, not NUL-terminated): 1 and *value (borrowed, valid until the next
 * call), *vlen, *trusted (1: already escaped for the output, inserted as is) when known; 0 when
 * not (the placeholder is then copied as written). */
typedef int (*ermes__template_var_cb)(void *ctx, const char *name, size_t len, const char **value,
                                      size_t *vlen, int *trusted);

/* Appends text[0..n) with every known ${name} replaced to out. Returns 0, ERMES_ETOOBIG or
 * ERMES_ENOMEM (out then holds a prefix). */
int ermes__template_render(const char *text, size_t n, ermes__template_escape_t esc,
                           ermes__template_var_cb cb, void *ctx, ermes__strbuf_t *out);

/* Appends s[0..n) escaped as esc says to out. */
int ermes__template_escape(ermes__strbuf_t *out, const char *s, size_t n,
                           ermes__template_escape_t esc);

#endif
