/* The CSAF validator's own read-only representation of a document (issue 13): what jansson's
 * json_t gave the validator before, without its per-value allocations, reference counts and
 * hashed objects. One arena per document (per thread, reused from one document to the next);
 * a value is a 16-byte node with its type; strings carry their length and a NUL (read from
 * text, they sit in the arena's copy of it, where they were); objects are
 * arrays of (key, value) members in document order, each key interned against a table built
 * once (the schema's property names), so a lookup by a known name compares integers; arrays
 * are contiguous runs of nodes.
 *
 * The reader takes exactly what json_loadb(text, len, JSON_REJECT_DUPLICATES) takes, with the
 * same integer and real typing (it shares json_read.c's scanner, src/core/json_scan.h), and
 * declines the rest as ermes__json_read does, for the caller to ask jansson (whose message the
 * user sees); a document jansson accepts but the reader declined is converted from jansson's
 * value, so the verdict never depends on which reader read it. fuzz/fuzz_csaf_doc.c holds
 * both paths to jansson's.
 *
 * The accessors have jansson's semantics (NULL and 0 for the wrong type) so that code written
 * against json_t moves over line by line. */
#ifndef ERMES_ADVISORIES_CSAF_DOC_H
#define ERMES_ADVISORIES_CSAF_DOC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/json_scan.h"

/* The types, in jansson's words. */
enum {
    ERMES__CSAF_OBJECT = 1,
    ERMES__CSAF_ARRAY,
    ERMES__CSAF_STRING,
    ERMES__CSAF_INTEGER,
    ERMES__CSAF_REAL,
    ERMES__CSAF_TRUE,
    ERMES__CSAF_FALSE,
    ERMES__CSAF_NULL,
};

typedef struct ermes__csaf_member ermes__csaf_member_t;

typedef struct ermes__csaf_node {
    uint8_t type;
    uint32_t n; /* a string's bytes, an array's items, an object's members */
    union {
        const char *s; /* NUL-terminated after its n bytes (which hold no NUL) */
        struct ermes__csaf_node *item;
        ermes__csaf_member_t *member;
        int64_t integer;
        double real;
    } u;
} ermes__csaf_node_t;

struct ermes__csaf_member {
    const char *key; /* NUL-terminated */
    uint32_t klen;
    uint32_t id; /* the key's number in the table of names, 0 when it has none */
    ermes__csaf_node_t value;
};

/* A table of names (the keys a validator asks for), built once and then shared read-only by
 * every thread. Ids run from 1 in the order the names were given; a name given twice keeps
 * its first id. */
typedef struct ermes__csaf_keys ermes__csaf_keys_t;

/* Builds the table of n names (borrowed: they must outlive it). Returns 0, ERMES_ENOMEM. */
int ermes__csaf_keys_new(const char *const *names, size_t n, ermes__csaf_keys_t **out);
void ermes__csaf_keys_free(ermes__csaf_keys_t *k);

/* The id of name (len bytes) in k, 0 when it is not there or k is NULL. */
uint32_t ermes__csaf_keys_find(const ermes__csaf_keys_t *k, const char *name, size_t len);

/* The number of names in k. */
size_t ermes__csaf_keys_count(const ermes__csaf_keys_t *k);

/* A document and the memory it lives in. Embedded (zeroed by _init), one per thread: the
 * arena and the reader's scratch are kept from one document to the next. */
typedef struct ermes__csaf_doc {
    ermes__csaf_node_t root;
    const ermes__csaf_keys_t *keys; /* borrowed: the table keys were interned against */
    /* The arena: chunks, the last one being filled. */
    char **chunk;
    size_t *chunk_size, nchunk, chunk_cap, off;
    /* The reader's stacks of pending items and members (containers not yet closed). */
    ermes__csaf_node_t *items;
    size_t nitems, items_cap;
    ermes__csaf_member_t *members;
    size_t nmembers, members_cap;
    uint32_t *slot; /* duplicate-key check of large objects */
    size_t nslot;
    ermes__json_scan_t scan;
    int depth, max_depth;
    char *text; /* the text read, copied into the arena: the strings point into it */
    const unsigned char *source; /* the caller's text while it is read */
} ermes__csaf_doc_t;

void ermes__csaf_doc_init(ermes__csaf_doc_t *d);

/* Frees everything the document holds; it is then as after _init. */
void ermes__csaf_doc_cleanup(ermes__csaf_doc_t *d);

/* Frees everything (as _cleanup) when the arena and the reader's stacks hold more than keep
 * bytes: a thread that read one large document does not keep its memory for the small ones
 * that follow. */
void ermes__csaf_doc_trim(ermes__csaf_doc_t *d, size_t keep);

/* Reads text (len bytes, need not be NUL-terminated) whose top level is an object or array,
 * nested at most max_depth levels, into d (whatever d held before is forgotten, its memory
 * reused), interning keys against keys (borrowed, may be NULL: every id 0). Returns 0 with
 * d->root set, ERMES_EPARSE when declined (see above), ERMES_ENOMEM. */
int ermes__csaf_doc_read(ermes__csaf_doc_t *d, const ermes__csaf_keys_t *keys, const char *text,
                         size_t len, int max_depth);

/* Copies jansson's value j (borrowed) into d, as _read would have read its text. Returns 0,
 * ERMES_EINVAL when j is nested deeper than max_depth, ERMES_ENOMEM. */
int ermes__csaf_doc_from_json(ermes__csaf_doc_t *d, const ermes__csaf_keys_t *keys, const json_t *j,
                              int max_depth);

/* ---- accessors, with jansson's semantics ---- */

static inline int ermes__csaf_is_object(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_OBJECT;
}

static inline int ermes__csaf_is_array(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_ARRAY;
}

static inline int ermes__csaf_is_string(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_STRING;
}

static inline int ermes__csaf_is_integer(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_INTEGER;
}

static inline int ermes__csaf_is_number(const ermes__csaf_node_t *v)
{
    return v && (v->type == ERMES__CSAF_INTEGER || v->type == ERMES__CSAF_REAL);
}

static inline int ermes__csaf_is_boolean(const ermes__csaf_node_t *v)
{
    return v && (v->type == ERMES__CSAF_TRUE || v->type == ERMES__CSAF_FALSE);
}

/* json_string_value: NULL unless a string. */
static inline const char *ermes__csaf_string(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_STRING ? v->u.s : NULL;
}

/* json_string_length: 0 unless a string. */
static inline size_t ermes__csaf_string_length(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_STRING ? v->n : 0;
}

/* json_number_value: 0.0 unless a number. */
static inline double ermes__csaf_number(const ermes__csaf_node_t *v)
{
    if (!v)
        return 0.0;
    return v->type == ERMES__CSAF_INTEGER ? (double)v->u.integer
           : v->type == ERMES__CSAF_REAL  ? v->u.real
                                          : 0.0;
}

/* json_integer_value: 0 unless an integer. */
static inline int64_t ermes__csaf_integer(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_INTEGER ? v->u.integer : 0;
}

/* json_array_size / json_object_size: 0 for anything else. */
static inline size_t ermes__csaf_size(const ermes__csaf_node_t *v)
{
    return v && (v->type == ERMES__CSAF_ARRAY || v->type == ERMES__CSAF_OBJECT) ? v->n : 0;
}

/* json_array_size: 0 unless an array. */
static inline size_t ermes__csaf_array_size(const ermes__csaf_node_t *v)
{
    return v && v->type == ERMES__CSAF_ARRAY ? v->n : 0;
}

/* json_array_foreach over the items of a node (none unless an array). */
#define ermes__csaf_foreach(array, index, value)                                                   \
    for (index = 0; index < ermes__csaf_array_size(array) && (value = &(array)->u.item[index]);    \
         index++)

/* json_array_get: NULL unless an array with an item i. */
static inline const ermes__csaf_node_t *ermes__csaf_item(const ermes__csaf_node_t *v, size_t i)
{
    return v && v->type == ERMES__CSAF_ARRAY && i < v->n ? &v->u.item[i] : NULL;
}

/* json_object_get: the member named k (NUL-terminated), NULL when v is not an object or has
 * none. Inline, and lengths compared first: the tests ask for members by literal names, whose
 * strlen the compiler folds, so most members are passed over on one comparison of integers
 * (strcmp per member was a tenth of a validation). */
static inline const ermes__csaf_node_t *ermes__csaf_member(const ermes__csaf_node_t *v,
                                                           const char *k)
{
    size_t len = strlen(k);

    if (!v || v->type != ERMES__CSAF_OBJECT)
        return NULL;
    for (uint32_t i = 0; i < v->n; i++) {
        const ermes__csaf_member_t *m = &v->u.member[i];
        if (m->klen == len && m->key[0] == k[0] && memcmp(m->key, k, len) == 0)
            return &m->value;
    }
    return NULL;
}

/* The member whose key has id (from ermes__csaf_keys_find on the table the document was read
 * with; not 0): integers compared, no text. */
static inline const ermes__csaf_node_t *ermes__csaf_member_id(const ermes__csaf_node_t *v,
                                                              uint32_t id)
{
    if (!v || v->type != ERMES__CSAF_OBJECT)
        return NULL;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->u.member[i].id == id)
            return &v->u.member[i].value;
    return NULL;
}

/* json_equal, with jansson's rules: an integer never equals a real, objects equal whatever
 * the order of their members. */
int ermes__csaf_equal(const ermes__csaf_node_t *a, const ermes__csaf_node_t *b);

/* 1 when v has the same value as jansson's j (types, strings' bytes, members in the same
 * order): what the tests and the fuzz target compare. */
int ermes__csaf_same_as_json(const ermes__csaf_node_t *v, const json_t *j);

#endif
