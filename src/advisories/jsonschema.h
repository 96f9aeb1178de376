/* A small JSON Schema (2020-12 and draft-07 subset) validator: the keywords the CSAF 2.0
 * schema and the FIRST CVSS schemas it references use, and no others (an unknown keyword
 * other than annotations is an error when the schema is loaded, so a new schema cannot be
 * half-understood silently).
 *
 * Keywords: type, properties, additionalProperties (false), required, items, minItems,
 * maxItems, uniqueItems, minLength, maxLength, minProperties, maxProperties, pattern
 * (PCRE2, which reads the ECMA-262 patterns the schemas use), enum, const, format (date-time
 * and uri), minimum, maximum, oneOf, anyOf, allOf, $ref (a JSON pointer into the same
 * document, or a registered schema's URI). A schema is compiled once into an immutable tree
 * that any number of threads may use at once. The walk reads the CSAF validator's own
 * representation (csaf_doc.h) with keys interned against the schema's property names;
 * jansson values are copied into it first. */
#ifndef ERMES_ADVISORIES_JSONSCHEMA_H
#define ERMES_ADVISORIES_JSONSCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "advisories/csaf_doc.h"
#include "ermes/error.h"

typedef struct ermes__jschema ermes__jschema_t;

/* One failure: where in the instance (a JSON pointer, "" for the root) and why. */
typedef void (*ermes__jschema_error_cb)(void *ctx, const char *path, const char *message);

/* Compiles root (borrowed; kept referenced until free). refs/ref_names: n further schemas a
 * $ref may name by URI (borrowed likewise). strict: every object schema with "properties"
 * refuses other properties, as the CSAF validators' strict mode does. On failure returns
 * ERMES_EINVAL or ERMES_ENOMEM and says why in d. */
int ermes__jschema_compile(json_t *root, json_t *const *refs, const char *const *ref_names,
                           size_t n, int strict, ermes__jschema_t **out, ermes_diag_t *d);
void ermes__jschema_free(ermes__jschema_t *s);

/* Validates instance (borrowed; copied into a csaf_doc for the walk); calls error_cb for
 * each failure (at most max_errors). Returns the number of failures found (0: valid), or a
 * negative ERMES_E* code. */
int ermes__jschema_validate(const ermes__jschema_t *s, const json_t *instance,
                            ermes__jschema_error_cb error_cb, void *ctx, size_t max_errors);

/* The same over a document read (or copied) with ermes__jschema_keys(s)'s table, else
 * ERMES_EINVAL. */
int ermes__jschema_validate_doc(const ermes__jschema_t *s, const ermes__csaf_doc_t *doc,
                                ermes__jschema_error_cb error_cb, void *ctx, size_t max_errors);

/* The table of every property name the schema lists or requires (owned by s): the keys a
 * document must be read with for ermes__jschema_validate_doc. */
const ermes__csaf_keys_t *ermes__jschema_keys(const ermes__jschema_t *s);

#endif
