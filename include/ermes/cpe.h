/* CPE 2.3 names (NISTIR 7695 naming, NISTIR 7696 name matching) and package URLs (the purl
 * specification), for matching advisories to constituents' assets (issue 13, item 6). */
#ifndef ERMES_CPE_H
#define ERMES_CPE_H

#include <stddef.h>

#include "ermes/error.h"

/* The longest CPE name or package URL accepted. */
#define ERMES_CPE_MAX 1024

typedef enum {
    ERMES_CPE_ANY,    /* "*": any value */
    ERMES_CPE_NA,     /* "-": not applicable */
    ERMES_CPE_STRING, /* a value, in WFN form: punctuation quoted with '\', '*' and '?' wildcards */
} ermes_cpe_kind_t;

/* The eleven attributes of a well-formed name (WFN), in binding order. */
enum {
    ERMES_CPE_PART,
    ERMES_CPE_VENDOR,
    ERMES_CPE_PRODUCT,
    ERMES_CPE_VERSION,
    ERMES_CPE_UPDATE,
    ERMES_CPE_EDITION,
    ERMES_CPE_LANGUAGE,
    ERMES_CPE_SW_EDITION,
    ERMES_CPE_TARGET_SW,
    ERMES_CPE_TARGET_HW,
    ERMES_CPE_OTHER,
    ERMES_CPE_ATTRS
};

/* A name; plain data that may be copied (values are offsets into buf). */
typedef struct ermes_cpe {
    ermes_cpe_kind_t kind[ERMES_CPE_ATTRS];
    unsigned short off[ERMES_CPE_ATTRS]; /* of each value in buf; 0 is "" (ANY, NA) */
    char buf[ERMES_CPE_MAX * 2 + ERMES_CPE_ATTRS + 1];
} ermes_cpe_t;

/* The WFN value of attribute a ("" unless its kind is ERMES_CPE_STRING). */
static inline const char *ermes_cpe_value(const ermes_cpe_t *c, int a)
{
    return c->buf + c->off[a];
}

/* Parses a formatted string binding ("cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*") or a URI
 * binding ("cpe:/a:vendor:product:1.0", CPE 2.2 style, percent-encoded, with the packed
 * edition "~ed~swed~tsw~thw~oth"). On failure ERMES_EPARSE, d naming the attribute. */
int ermes_cpe_parse(const char *name, size_t len, ermes_cpe_t *out, ermes_diag_t *d);

/* Writes the formatted string binding of cpe into buf (cap bytes); its length, or 0 when it
 * does not fit. */
size_t ermes_cpe_format(const ermes_cpe_t *cpe, char *buf, size_t cap);

/* NISTIR 7696's relations: of one attribute (section 6.1) and of two names (6.2). */
typedef enum {
    ERMES_CPE_DISJOINT,
    ERMES_CPE_SUBSET,
    ERMES_CPE_SUPERSET,
    ERMES_CPE_EQUAL,
    ERMES_CPE_UNDEFINED,
} ermes_cpe_relation_t;

/* The relation of source's attribute to target's, case-insensitive. */
ermes_cpe_relation_t ermes_cpe_compare_attr(ermes_cpe_kind_t sk, const char *sv,
                                            ermes_cpe_kind_t tk, const char *tv);

/* The name relation: DISJOINT if any attribute is, EQUAL if all are, SUPERSET if each is
 * SUPERSET or EQUAL, SUBSET if each is SUBSET or EQUAL, else UNDEFINED. */
ermes_cpe_relation_t ermes_cpe_compare(const ermes_cpe_t *source, const ermes_cpe_t *target);

/* Does the criterion (e.g. an advisory's or NVD's CPE) match the product (an asset's)?
 * CPE_SUPERSET(criterion, product), which includes CPE_EQUAL. */
int ermes_cpe_matches(const ermes_cpe_t *criterion, const ermes_cpe_t *product);

const char *ermes_cpe_relation_name(ermes_cpe_relation_t r);

/* A package URL, decoded: type (lower case), namespace (NULL when none), name, version,
 * qualifiers ("k=v&k=v" with keys lower case and sorted, values decoded; NULL when none),
 * subpath (NULL when none). Pointers into buf: do not copy the struct. */
typedef struct ermes_purl {
    const char *type, *namespace_, *name, *version, *qualifiers, *subpath;
    char buf[ERMES_CPE_MAX * 2];
} ermes_purl_t;

/* Parses "pkg:type/namespace/name@version?qualifiers#subpath" (the purl specification's
 * rules common to every type). On failure ERMES_EPARSE, d naming the component. */
int ermes_purl_parse(const char *s, size_t len, ermes_purl_t *out, ermes_diag_t *d);

/* Writes the canonical form of p into buf; its length, or 0 when it does not fit. */
size_t ermes_purl_format(const ermes_purl_t *p, char *buf, size_t cap);

#endif
