/* What published advisories warned (migration 40, src/store/advisory_warnings.c): the
 * revision of each advisory whose warnings were made, and per advisory and asset the digest
 * of what the asset was warned of. Used by src/notify/advisories.c. */
#ifndef ERMES_STORE_ADVISORY_WARNINGS_H
#define ERMES_STORE_ADVISORY_WARNINGS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define ERMES_ADVISORY_DIGEST_MAX 64 /* hex SHA-256 */

/* Ids of the advisories with a publication (published_document) whose revision has not been
 * warned of yet, or that were last matched against the assets before one was created or
 * changed (migration 48: assets_seen below the assets' latest updated_at), ascending, at most
 * cap. */
int ermes__store_advisory_unwarned(ermes__store_t *st, int64_t *ids, size_t cap, size_t *n);
/* Records that revision of advisory_id has been warned of, matched against the assets as they
 * are now. */
int ermes__store_advisory_set_warned(ermes__store_t *st, int64_t advisory_id, int64_t revision,
                                     int64_t owner, int64_t now);
/* The same, matched against the assets as they were at assets_seen (the assets' latest
 * updated_at read before they were loaded; -1: now). */
int ermes__store_advisory_set_warned_seen(ermes__store_t *st, int64_t advisory_id, int64_t revision,
                                          int64_t assets_seen, int64_t owner, int64_t now);
/* The latest updated_at of the assets (0: none): it moves when one is created, changed or
 * imported. */
int ermes__store_assets_changed_at(ermes__store_t *st, int64_t *at);
/* The assets' updated_at that matcher name ("vulnerabilities") last ran against (0: never),
 * and its recording. */
int ermes__store_asset_match_mark(ermes__store_t *st, const char *name, int64_t *seen);
int ermes__store_asset_match_mark_set(ermes__store_t *st, const char *name, int64_t seen,
                                      int64_t now);

typedef int (*ermes__advisory_warning_cb)(void *ctx, int64_t asset_id, const char *digest);
/* The assets advisory_id warned, with their digests. */
int ermes__store_advisory_warning_each(ermes__store_t *st, int64_t advisory_id,
                                       ermes__advisory_warning_cb cb, void *ctx);
/* Records (or replaces) the warning of asset_id (of org_id) by advisory_id. */
int ermes__store_advisory_warning_put(ermes__store_t *st, int64_t advisory_id, int64_t asset_id,
                                      int64_t org_id, int64_t revision, const char *digest,
                                      int64_t notification_id, int64_t owner, int64_t now);
/* Forgets it (the asset is no longer affected: should it become so again, it is warned). */
int ermes__store_advisory_warning_drop(ermes__store_t *st, int64_t advisory_id, int64_t asset_id);

/* One asset's warning, for the API (strings borrowed for the callback; NULL when unknown). */
typedef struct ermes__advisory_warning_row {
    int64_t asset_id, org_id, revision, updated_at;
    const char *org, *notification; /* the organisation's short name, the reference */
} ermes__advisory_warning_row_t;
typedef int (*ermes__advisory_warning_row_cb)(void *ctx, const ermes__advisory_warning_row_t *w);
/* The warnings of advisory_id, by organisation and asset; *warned_revision the last revision
 * warned of (0: none yet). */
int ermes__store_advisory_warning_list(ermes__store_t *st, int64_t advisory_id,
                                       int64_t *warned_revision, ermes__advisory_warning_row_cb cb,
                                       void *ctx);

/* The id of the vulnerability named name (a CVE id, or another id of an advisory's
 * vulnerability), made with nothing else known when missing, so that an asset's remediation
 * status can be kept for it. */
int ermes__store_vuln_ensure(ermes__store_t *st, const char *name, int64_t owner, int64_t now,
                             int64_t *id);
/* The remediation status the constituent set on asset_id for vulnerability vuln_id into
 * status (cap bytes); "" when none. */
int ermes__store_asset_vuln_status(ermes__store_t *st, int64_t asset_id, int64_t vuln_id,
                                   char *status, size_t cap, int *warned_kev);

#endif
