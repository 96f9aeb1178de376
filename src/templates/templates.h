/* The one template system of ermes (issue 13, item 4): every text a person receives from
 * ermes is a template of a kind, a name (the part) and a language, filled by the one engine
 * (core/template.h):
 *   notification  message       a notification e-mail: subject line, blank line, body
 *   notification  explanation, digest_daily, digest_weekly, attached_csv, attached_json,
 *                 attached_xarf the message's lines (${explanations}: one per type of event;
 *                 ${digest}; ${attached})
 *   html          page          an advisory's HTML page (/public/advisories/X.html)
 *   text          page          its plain text (X.txt, the advisories' warning e-mails)
 *   html, text    note, vulnerability, vulnerability_note, score, remediation, reference,
 *                 history       the list items of those pages
 *   atom          feed, entry   the Atom feed's header and each advisory's entry
 *   atom          summary       an entry's ${summary}: one per summary note of the advisory
 * Each has a built-in default shipped in the binary (for notification, templates_dir's
 * <lang>.txt wins over it), and an administrator's override per language kept in the store
 * (src/store/templates.c), checked before it is stored. The API (src/http/h_templates.c) and
 * the CLI (src/cli/cmd_templates.c) edit them; src/notify/message.c and
 * src/advisories/render.c use them. */
#ifndef ERMES_TEMPLATES_TEMPLATES_H
#define ERMES_TEMPLATES_TEMPLATES_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"
#include "store/store.h"

/* The k-th kind ("notification", "html", "text", "atom"), NULL past the last. */
const char *ermes__templates_kind_at(size_t k);

/* The k-th name of kind, NULL past the last (or for an unknown kind). */
const char *ermes__templates_name_at(const char *kind, size_t k);

/* 1 when kind/name is a template of the system. */
int ermes__templates_known(const char *kind, const char *name);

/* The k-th language kind has built in, NULL past the last. */
const char *ermes__templates_lang_at(const char *kind, size_t k);

/* 1 when a template of kind may be stored in lang (lower case): for notification any two or
 * three letters (ISO 639), for the advisories one of the renderer's languages. */
int ermes__templates_valid_lang(const char *kind, const char *lang);

/* The most bytes a template of kind may have. */
size_t ermes__templates_max(const char *kind);

/* The template kind/name/lang without a stored one in *text (ermes__free it), *source
 * "file" (notification: templates_dir's <lang>.txt; templates_dir may be NULL) or
 * "builtin". ERMES_ENOTFOUND when there is neither. */
int ermes__templates_default(const char *templates_dir, const char *kind, const char *name,
                             const char *lang, char **text, const char **source);

/* The template in use: the stored one (*source "stored", *updated_at its time), else the
 * default as above (*updated_at 0). updated_at may be NULL. */
int ermes__templates_get(ermes__store_t *st, const char *templates_dir, const char *kind,
                         const char *name, const char *lang, char **text, const char **source,
                         int64_t *updated_at);

/* Calls cb with every template of kind (NULL: of every kind) by kind, name and language:
 * each built-in one, each of templates_dir's files (notification), each stored one, with
 * where the one in use comes from (a stored one hides the file and the built-in one, a file
 * the built-in one) and when it was stored (0: not). A stored template of a language its kind
 * has no use for is left out. Returns 0, cb's non-zero, or an error. */
int ermes__templates_each(ermes__store_t *st, const char *templates_dir, const char *kind,
                          int (*cb)(void *ctx, const char *kind, const char *name, const char *lang,
                                    const char *source, int64_t updated_at),
                          void *ctx);

/* 0 when text may be stored as kind/name: at most ermes__templates_max bytes, no control
 * characters, every ${var} closed and one that template is filled with (an unknown one named
 * in d's reason with its line and column), and a sample renders through it. Else
 * ERMES_EINVAL or ERMES_ETOOBIG and d (field "text", or "kind"/"name" for an unknown one). */
int ermes__templates_check(const char *kind, const char *name, const char *text, ermes_diag_t *d);

#endif
