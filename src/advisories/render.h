/* Advisories for people (issue 13, item 4): a published CSAF document as an HTML page, as
 * plain text (for a terminal or an e-mail) and as entries of an Atom feed, all filled through
 * the one template engine (core/template.h) from built-in templates, with their headings in
 * the document's language (document.lang) or the one asked for when ermes has it (the seven
 * of the notification templates). Everything from the document is escaped for its output. */
#ifndef ERMES_ADVISORIES_RENDER_H
#define ERMES_ADVISORIES_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "advisories/advisory.h"
#include "core/strbuf.h"

typedef enum ermes__advisory_format {
    ERMES_ADVISORY_HTML,
    ERMES_ADVISORY_TEXT
} ermes__advisory_format_t;

/* The language of the headings: lang (a BCP 47 tag, e.g. from ?lang=) when ermes has its
 * words, else the document's document.lang, else English. Returns the two-letter code. */
const char *ermes__advisory_render_lang(const char *lang, const char *document_lang);

/* Renders the CSAF document text (borrowed, as published) as fmt into out. lang as above
 * (NULL: the document's). ERMES_EPARSE when the text is not a CSAF document object. */
int ermes__advisory_render(const char *document, ermes__advisory_format_t fmt, const char *lang,
                           ermes__strbuf_t *out);

/* An Atom feed (RFC 4287) being written: ermes__advisory_feed_begin, one
 * ermes__advisory_feed_entry per advisory (newest first), ermes__advisory_feed_end. feed_url
 * is the feed's own address (its id); an entry's link is link_prefix, the tracking id
 * (percent-encoded) and link_suffix; its id urn:ermes:advisory:<tracking id>. */
int ermes__advisory_feed_begin(ermes__strbuf_t *out, const char *title, const char *feed_url,
                               int64_t updated_ms, const char *lang);
int ermes__advisory_feed_entry(ermes__strbuf_t *out, const ermes__advisory_t *a,
                               const char *document, const char *link_prefix,
                               const char *link_suffix);
int ermes__advisory_feed_end(ermes__strbuf_t *out);

#endif
