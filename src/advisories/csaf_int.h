/* Internals of the CSAF validator shared by its files: csaf.c (reading, schema, results),
 * csaf_doc.c (the document as the validator reads it), csaf_tests.c (the tests of section
 * 6.1), csaf_optional.c and csaf_informative.c (6.2, 6.3), lang.c (BCP 47 language tags),
 * purl.c. */
#ifndef ERMES_ADVISORIES_CSAF_INT_H
#define ERMES_ADVISORIES_CSAF_INT_H

#include <stdint.h>

#include "advisories/csaf_doc.h"
#include "ermes/csaf.h"

/* The tests' three look-ups: the member k of o (NULL when o is not an object or has none),
 * that member when it is an array (else NULL), and its string (NULL when it is none). */
static inline const ermes__csaf_node_t *csaf_get(const ermes__csaf_node_t *o, const char *k)
{
    return ermes__csaf_member(o, k);
}

static inline const ermes__csaf_node_t *csaf_arr(const ermes__csaf_node_t *o, const char *k)
{
    const ermes__csaf_node_t *a = ermes__csaf_member(o, k);
    return ermes__csaf_is_array(a) ? a : NULL;
}

static inline const char *csaf_str(const ermes__csaf_node_t *o, const char *k)
{
    return ermes__csaf_string(ermes__csaf_member(o, k));
}

typedef struct ermes__csaf_ctx {
    const ermes__csaf_node_t *doc; /* the document's root, in csaf_doc.h's representation */
    ermes_csaf_result_t *r;
    int rc; /* ERMES_ENOMEM once a failure could not be recorded */
    /* The product ids referenced where section 6.1.1 looks (borrowed, may be NULL): filled
     * by test 6.1.1's walk, read by 6.2.1, which needs the same set. */
    struct ermes__csaf_set *referenced;
} ermes__csaf_ctx_t;

/* Records a failure of test ("6.1.7") at path (a JSON pointer) with a printf-style reason. */
void ermes__csaf_fail(ermes__csaf_ctx_t *c, const char *test, const char *path, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/* Records a warning of an optional test ("6.2.1"): listed with the group "optional", it does
 * not make the document invalid. */
void ermes__csaf_warn(ermes__csaf_ctx_t *c, const char *test, const char *path, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/* Records a finding of an informative test ("6.3.1"): group "informative", valid unchanged. */
void ermes__csaf_info(ermes__csaf_ctx_t *c, const char *test, const char *path, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/* snprintf(dst, cap, fmt, ...) for the tests' paths and keys, written by hand for %s and %zu
 * (snprintf was a twentieth of a validation); any other directive goes to vsnprintf. The
 * same bytes as snprintf, truncation included. */
void ermes__csaf_pathf(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A path written only when a test reports something: the tests walk every product reference
 * and branch, and writing the path of each whether or not it failed was 6 to 8 % of the
 * instructions of a validation. Its text is the path of up (nothing when NULL), then "/"
 * index when indexed, then text and text2 (each may be NULL). Each lives on the stack of the
 * walk that made it. */
typedef struct ermes__csaf_at {
    const struct ermes__csaf_at *up;
    const char *text, *text2;
    size_t index;
    int indexed;
} ermes__csaf_at_t;

/* Writes at's path into dst (cap bytes, at least 1), truncated as snprintf would: the same
 * bytes as the snprintf calls a walk made level by level into buffers of cap bytes each.
 * Returns dst. */
const char *ermes__csaf_at_write(char *dst, size_t cap, const ermes__csaf_at_t *at);

/* A set of strings for the tests (product ids, group ids, CVEs, revision numbers): its
 * members in the order they were first added, and an open-addressing index over them. It
 * replaces a jansson object used as a set (json_object_set_new of true, json_object_get),
 * whose hashing, key copies and value per member were a tenth of a validation; iteration
 * order is the same (insertion order, a member added again keeps its place). Small sets
 * (most of them: the hashes of one product, the scores of one vulnerability) live in the
 * struct itself. */
#define ERMES__CSAF_SET_INLINE 16
typedef struct ermes__csaf_set {
    const char **key; /* members, in the order first added */
    uint32_t *hash;
    size_t n, cap;
    uint32_t *slot; /* member index + 1, 0 free; nslot a power of two */
    size_t nslot;
    char **owned; /* copies made by ermes__csaf_set_add_copy */
    size_t nowned, owned_cap;
    int *rc; /* set to ERMES_ENOMEM when a member could not be added */
    const char *key_inline[ERMES__CSAF_SET_INLINE];
    uint32_t hash_inline[ERMES__CSAF_SET_INLINE];
    uint32_t slot_inline[2 * ERMES__CSAF_SET_INLINE];
} ermes__csaf_set_t;

/* An empty set; an allocation that fails later sets *rc (borrowed, the validation's
 * ermes__csaf_ctx_t rc) to ERMES_ENOMEM. The set points into itself: it must not be moved. */
void ermes__csaf_set_init(ermes__csaf_set_t *s, int *rc);

/* Frees what the set allocated (the members added by ermes__csaf_set_add stay the
 * caller's) and leaves it empty, ready for use again. */
void ermes__csaf_set_cleanup(ermes__csaf_set_t *s);

/* 1 when k (NULL: never) is a member. */
int ermes__csaf_set_has(const ermes__csaf_set_t *s, const char *k);

/* Adds k, borrowed: it must outlive the set (the document's strings do). Returns 1 when
 * added, 0 when k is NULL or already a member, ERMES_ENOMEM (k then not added). */
int ermes__csaf_set_add(ermes__csaf_set_t *s, const char *k);

/* The hash a set keeps of k (not NULL), for the two calls below: a test that looks a string
 * up in several sets hashes it once. */
uint32_t ermes__csaf_set_hash(const char *k);

/* ermes__csaf_set_has and ermes__csaf_set_add for a k whose ermes__csaf_set_hash is h. */
int ermes__csaf_set_has_hashed(const ermes__csaf_set_t *s, const char *k, uint32_t h);
int ermes__csaf_set_add_hashed(ermes__csaf_set_t *s, const char *k, uint32_t h);

/* Adds a copy of k (a key formatted in a buffer of the caller's). A k that is not valid
 * UTF-8 (a key cut short inside a character) is not added, as jansson refused such a key.
 * Returns as ermes__csaf_set_add. */
int ermes__csaf_set_add_copy(ermes__csaf_set_t *s, const char *k);

/* Runs the informative tests ermes implements (6.3.1 to 6.3.5, 6.3.10, 6.3.11). */
void ermes__csaf_informative_tests(ermes__csaf_ctx_t *c);

/* Runs the optional tests ermes implements (6.2.1 to 6.2.12, 6.2.14 to 6.2.18). */
void ermes__csaf_optional_tests(ermes__csaf_ctx_t *c);

/* Runs the mandatory tests (6.1.1 to 6.1.33 but 6.1.8, which the schema covers). */
void ermes__csaf_mandatory_tests(ermes__csaf_ctx_t *c);

/* The name of the CWE with this id ("CWE-79"), or NULL when there is no such weakness. */
const char *ermes__csaf_cwe_name(const char *id);

/* Loads the language subtag registry (called by ermes_csaf_init, before any validation). */
void ermes__lang_init(void);

/* 1 when tag is a well-formed BCP 47 language tag whose subtags are registered. */
int ermes__lang_tag_valid(const char *tag);

/* 1 when tag names a private-use language, script or region (CSAF test 6.2.14). */
int ermes__lang_tag_private(const char *tag);

/* 1 when s is a package URL as the purl specification defines it. */
int ermes__purl_valid(const char *s, size_t len);

#endif
