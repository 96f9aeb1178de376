/* STIX 2.1 patterns (STIX 2.1 section 9): the grammar of the OASIS STIXPattern.g4, parsed by
 * hand into a small tree, and the conversions between patterns and ermes indicators. */
#ifndef ERMES_SHARING_PATTERN_H
#define ERMES_SHARING_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"
#include "ermes/error.h"

/* Longest pattern accepted, in bytes, and most nodes in its tree: a pattern is one property of
 * one object, and these bounds keep a hostile one from costing more than a few milliseconds. */
#define ERMES__PATTERN_MAX_LEN (64 * 1024)
#define ERMES__PATTERN_MAX_DEPTH 64

typedef enum ermes__pat_kind {
    ERMES__PAT_FOLLOWEDBY, /* left FOLLOWEDBY right (observation level) */
    ERMES__PAT_OBS_OR,     /* left OR right (observation level) */
    ERMES__PAT_OBS_AND,    /* left AND right (observation level) */
    ERMES__PAT_OBS,        /* [ left ]: one observation expression over a comparison */
    ERMES__PAT_QUALIFIED,  /* left (an observation expression) with one qualifier */
    ERMES__PAT_CMP_OR,     /* left OR right inside brackets */
    ERMES__PAT_CMP_AND,    /* left AND right inside brackets */
    ERMES__PAT_TEST,       /* path op literal */
    ERMES__PAT_EXISTS      /* [NOT] EXISTS path */
} ermes__pat_kind_t;

typedef enum ermes__pat_op {
    ERMES__PAT_EQ,
    ERMES__PAT_NEQ,
    ERMES__PAT_LT,
    ERMES__PAT_LE,
    ERMES__PAT_GT,
    ERMES__PAT_GE,
    ERMES__PAT_IN,
    ERMES__PAT_LIKE,
    ERMES__PAT_MATCHES,
    ERMES__PAT_ISSUBSET,
    ERMES__PAT_ISSUPERSET
} ermes__pat_op_t;

/* Literal kinds (the grammar's token names). */
typedef enum ermes__pat_lit {
    ERMES__LIT_NONE,
    ERMES__LIT_INT,
    ERMES__LIT_FLOAT,
    ERMES__LIT_STRING,
    ERMES__LIT_BOOL,
    ERMES__LIT_BINARY,
    ERMES__LIT_HEX,
    ERMES__LIT_TIMESTAMP,
    ERMES__LIT_SET
} ermes__pat_lit_t;

typedef struct ermes__pat_node {
    ermes__pat_kind_t kind;
    int left, right; /* node indexes, -1 when absent */
    int negated;     /* TEST, EXISTS: NOT */
    ermes__pat_op_t op;
    ermes__pat_lit_t lit;
    /* Byte ranges in the pattern text: the object path (TEST, EXISTS), the literal token (a
     * set: from its '(' to its ')'), the qualifier (QUALIFIED). */
    uint32_t path_off, path_len, lit_off, lit_len;
} ermes__pat_node_t;

typedef struct ermes__pattern {
    const char *text; /* borrowed */
    size_t len;
    ermes__pat_node_t *nodes; /* owned */
    size_t n, cap;
    int root;
} ermes__pattern_t;

/* Parses text (borrowed; must outlive p) into p. Returns 0; ERMES_EPARSE when the pattern is
 * not a STIX 2.1 pattern, with the reason and position (d->offset, 0-based; d->line and
 * d->column, 1-based) in d; ERMES_ETOOBIG past the bounds above; ERMES_ENOMEM. Release p with
 * ermes__pattern_cleanup() whatever the result. */
int ermes__pattern_parse(const char *text, size_t len, ermes__pattern_t *p, ermes_diag_t *d);
void ermes__pattern_cleanup(ermes__pattern_t *p);

/* Unescapes the string literal of node into buf (cap bytes); *n its length. ERMES_ETOOBIG. */
int ermes__pattern_string(const ermes__pattern_t *p, uint32_t off, uint32_t len, char *buf,
                          size_t cap, size_t *n);

/* The indicators a parsed pattern stands for: each comparison the matcher can do, through cb
 * (type, unescaped value, ERMES_IND_* flags). ERMES_EUNSUPPORTED, with the reason in d, when
 * the pattern says more than a set of ermes indicators can (AND, FOLLOWEDBY, qualifiers,
 * other operators or object paths): the caller keeps such a pattern whole. Nothing is passed
 * to cb then: cb is only called once the whole pattern is known to be representable. */
typedef int (*ermes__pattern_ind_cb)(void *ctx, ermes_ind_type_t type, const char *value,
                                     size_t len, unsigned flags);
int ermes__pattern_indicators(const ermes__pattern_t *p, ermes__pattern_ind_cb cb, void *ctx,
                              ermes_diag_t *d);

/* Writes the pattern matching one ermes indicator into buf: "[ipv4-addr:value = '192.0.2.1']";
 * a domain with its subdomains as "[domain-name:value = 'x' OR domain-name:value LIKE '%.x']".
 * Returns 0, ERMES_EINVAL (a type STIX has no object for) or ERMES_ETOOBIG. */
int ermes__pattern_from_indicator(ermes_ind_type_t type, const char *value, size_t len,
                                  unsigned flags, char *buf, size_t cap);

#endif
