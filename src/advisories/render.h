/* Advisories for people (issue 13, item 4): a published CSAF document as an HTML page, as
 * plain text (for a terminal or an e-mail) and as entries of an Atom feed, all filled through
 * the one template engine (core/template.h) from built-in templates, with their headings in
 * the document's language (document.lang) or the one asked for when ermes has it (the seven
 * of the notification templates). Everything from the document is escaped for its output.
 * Every template, the pages', their list items' and the feed's header and entry, may be
 * replaced per language by a stored one (src/templates/templates.h, /api/v1/templates). */
#ifndef ERMES_ADVISORIES_RENDER_H
#define ERMES_ADVISORIES_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "advisories/advisory.h"
#include "core/strbuf.h"
#include "ermes/error.h"

typedef enum ermes__advisory_format {
    ERMES_ADVISORY_HTML,
    ERMES_ADVISORY_TEXT
} ermes__advisory_format_t;

/* The stored templates' lookup: calls cb with the name and text of every stored template of
 * kind ("html", "text", "atom") in lang (ermes__store_template_texts is one). */
typedef int (*ermes__advisory_tpl_fn)(void *ctx, const char *kind, const char *lang,
                                      int (*cb)(void *cbctx, const char *name, const char *text),
                                      void *cbctx);

/* Where the templates come from: fn's stored ones of the language over the built-in ones, and
 * text (when not NULL: a template being checked or previewed, whatever the language) in the
 * place of the part name (NULL: the page, or the feed's entry). NULL: built-in only. */
typedef struct ermes__advisory_tpls {
    const char *name;
    const char *text;
    ermes__advisory_tpl_fn fn;
    void *ctx;
} ermes__advisory_tpls_t;

/* The k-th part of kind ("html" and "text": page, note, vulnerability, vulnerability_note,
 * score, remediation, reference, history; "atom": entry, feed, summary), NULL past the last. */
const char *ermes__advisory_template_part(const char *kind, size_t k);

/* The built-in template of part name of kind, NULL when there is no such part. */
const char *ermes__advisory_template_builtin(const char *kind, const char *name);

/* 0 when text is a usable template of part name of kind: every ${name} closed and one the
 * part is filled with, no control characters, at most 256 KiB, and a sample advisory renders
 * through it. Else an error and d with its line, column and reason (field "text"). */
int ermes__advisory_template_check(const char *kind, const char *name, const char *text,
                                   ermes_diag_t *d);

/* A sample CSAF document (TLP:CLEAR, two vulnerabilities) to preview templates with. */
const char *ermes__advisory_template_sample(void);

/* The language of the headings: lang (a BCP 47 tag, e.g. from ?lang=) when ermes has its
 * words, else the document's document.lang, else English. Returns the two-letter code. */
const char *ermes__advisory_render_lang(const char *lang, const char *document_lang);

/* The k-th language ermes has the headings of ("en", "fr", ...), NULL past the last. */
const char *ermes__advisory_render_lang_at(size_t k);

/* Renders the CSAF document text (borrowed, as published) as fmt into out. lang as above
 * (NULL: the document's); tpls as above. ERMES_EPARSE when the text is not a CSAF document
 * object. */
int ermes__advisory_render(const char *document, ermes__advisory_format_t fmt, const char *lang,
                           const ermes__advisory_tpls_t *tpls, ermes__strbuf_t *out);

/* An Atom feed (RFC 4287) being written: ermes__advisory_feed_begin, one
 * ermes__advisory_feed_entry per advisory (newest first), ermes__advisory_feed_end. feed_url
 * is the feed's own address (its id); an entry's link is link_prefix, the tracking id
 * (percent-encoded) and link_suffix; its id urn:ermes:advisory:<tracking id>. The entry
 * template: tpls' (as above) in the language lang or the document's chooses. */
int ermes__advisory_feed_begin(ermes__strbuf_t *out, const char *title, const char *feed_url,
                               int64_t updated_ms, const char *lang,
                               const ermes__advisory_tpls_t *tpls);
int ermes__advisory_feed_entry(ermes__strbuf_t *out, const ermes__advisory_t *a,
                               const char *document, const char *link_prefix,
                               const char *link_suffix, const char *lang,
                               const ermes__advisory_tpls_t *tpls);
int ermes__advisory_feed_end(ermes__strbuf_t *out);

#endif
