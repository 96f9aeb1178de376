/* Indicators: the CERT's list of indicators of compromise, between the detection engine and
 * the store. ermes__indicators_store() puts a set built by the engine's loaders
 * (include/ermes/detect.h) into the store, canonical, minus what the configured warninglists
 * suppress, reporting every rejected entry; ermes__indicators_from_store() and _from_store_job()
 * read the active ones back into a set for a matcher (src/sightings/). */
#ifndef ERMES_INDICATORS_INDICATORS_H
#define ERMES_INDICATORS_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"
#include "store/store.h"

#define ERMES_IND_IMPORT_MAX_LISTED 1000 /* errors and suppressions listed; more are counted */

typedef struct ermes__ind_import_error {
    long index; /* 0-based position in a JSON array; -1 when not from one */
    long line;  /* 1-based line of a bulk body; 0 when not known */
    char reason[256];
} ermes__ind_import_error_t;

typedef struct ermes__ind_import_suppressed {
    char value[256];
    char warninglist[128];
} ermes__ind_import_suppressed_t;

typedef struct ermes__ind_import {
    size_t added, updated, rejected, suppressed;
    ermes__ind_import_error_t *errors; /* nerrors of them, at most ERMES_IND_IMPORT_MAX_LISTED */
    size_t nerrors;
    ermes__ind_import_suppressed_t *suppressions;
    size_t nsuppressions;
    int64_t *ids; /* the stored indicators' ids, in the set's order (nids) */
    size_t nids;
    /* Set by the caller: the import is forced (no warninglist checked), so the stored
     * indicators are marked forced and no warninglist suppresses them later in the matcher. */
    int forced;
    int64_t *set_ids; /* by the set's index: the stored id, 0 when not stored (suppressed...) */
} ermes__ind_import_t;

void ermes__ind_import_cleanup(ermes__ind_import_t *rep);
/* Records a rejected entry (index or line, reason). Returns 0 or ERMES_ENOMEM. */
int ermes__ind_import_reject(ermes__ind_import_t *rep, long index, long line, const char *reason);

/* Warninglists named in a comma-separated list of files (NULL or "": none). Caller frees the
 * array with ermes__warninglists_free(). ERMES_EIO / ERMES_EPARSE with the file in d. */
int ermes__warninglists_load(const char *files, ermes_warninglist_t ***out, size_t *n,
                             ermes_diag_t *d);
void ermes__warninglists_free(ermes_warninglist_t **wls, size_t n);

/* Stores every indicator of set (borrowed; the warninglists mark it) on behalf of v (the owner is
 * v's organisation), in one transaction: new ones added, known ones (same type, value, exact)
 * updated. Those the warninglists cover are left out and listed. Indicators without a TLP get
 * default_tlp. Returns 0 or a store error (nothing stored then). */
int ermes__indicators_store(ermes__store_t *st, const ermes__viewer_t *v,
                            ermes_indicator_set_t *set, ermes_warninglist_t *const *wls, size_t nwl,
                            ermes_tlp_t default_tlp, ermes__ind_import_t *rep);

/* Adds every active stored indicator (valid at now, ms) to set. *n (may be NULL) receives
 * how many. Returns 0 or an error. */
int ermes__indicators_from_store(ermes__store_t *st, int64_t now, ermes_indicator_set_t *set,
                                 size_t *n);
/* The same, and *ids (caller frees with ermes__free; *nids entries) maps each index the set
 * gave an indicator to its stored id (0 for an index that is not one of these). */
int ermes__indicators_from_store_ids(ermes__store_t *st, int64_t now, ermes_indicator_set_t *set,
                                     size_t *n, int64_t **ids, size_t *nids);

/* Adds a retro-hunt job's indicators to set: those of ids[0..nids) (when ids is not NULL),
 * else those with after_id < id <= through_id; only the ones active at now (ms; 0: the
 * current time). *n (may be NULL) receives how many. Returns 0 or an error. */
int ermes__indicators_from_store_job(ermes__store_t *st, int64_t now, const int64_t *ids,
                                     size_t nids, int64_t after_id, int64_t through_id,
                                     ermes_indicator_set_t *set, size_t *n);

#endif
