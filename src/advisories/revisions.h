/* Every published revision of an advisory, kept whole (issue 13, item 1: "diffs between
 * revisions"): the store of revisions (src/store/advisory_revisions.c, migration 39) and the
 * structured diff of two CSAF documents (src/advisories/diff.c). A revision is the exact text
 * published, so what a reader compares is what was served. */
#ifndef ERMES_ADVISORIES_REVISIONS_H
#define ERMES_ADVISORIES_REVISIONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ermes/tlp.h"
#include "store/store.h"

#define ERMES_ADVISORY_SUMMARY_MAX 1000 /* bytes of a revision_history summary */

typedef struct ermes__advisory_revision {
    int64_t advisory_id;
    int64_t number;   /* 1 for the first publication, 2 for the second... */
    char version[64]; /* document.tracking.version as published */
    char status[16];  /* final or interim */
    char summary[ERMES_ADVISORY_SUMMARY_MAX + 1];
    char *document; /* the published text (owned; NULL when listed without it) */
    int64_t published_at;
    char published_by[128];
    ermes_tlp_t tlp;
    int64_t owner_org_id, created_at, updated_at;
} ermes__advisory_revision_t;

void ermes__advisory_revision_cleanup(ermes__advisory_revision_t *r);

/* Stores a revision (r->document borrowed). ERMES_EEXISTS when that number is taken. */
int ermes__store_advisory_revision_insert(ermes__store_t *st, const ermes__advisory_revision_t *r);
typedef int (*ermes__store_advisory_revision_cb)(void *ctx, const ermes__advisory_revision_t *r);
/* The revisions of an advisory in ascending order, without their documents. */
int ermes__store_advisory_revision_each(ermes__store_t *st, int64_t advisory_id,
                                        ermes__store_advisory_revision_cb cb, void *ctx);
/* One revision with its document (free with ermes__advisory_revision_cleanup);
 * ERMES_ENOTFOUND. */
int ermes__store_advisory_revision_get(ermes__store_t *st, int64_t advisory_id, int64_t number,
                                       ermes__advisory_revision_t *r);

/* The differences from document a to document b (both borrowed) as a JSON array, each item
 * {"op": "added"|"removed"|"changed", "path": JSON Pointer (RFC 6901), "old": value,
 * "new": value} ("old" absent for added, "new" for removed). Objects are compared key by key,
 * arrays index by index; a value whose type changes is one "changed" item. At most
 * max_items items; *truncated set when there were more. NULL on allocation failure. */
json_t *ermes__json_diff(const json_t *a, const json_t *b, size_t max_items, int *truncated);
/* The diff (as ermes__json_diff gives it) as lines of text, one per item: "+ PATH: NEW",
 * "- PATH: OLD", "~ PATH: OLD -> NEW", values as compact JSON with control characters
 * escaped. Caller frees with ermes__free(). NULL on allocation failure. */
char *ermes__json_diff_text(const json_t *diff);

#endif
