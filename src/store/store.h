/* The store: everything ermes keeps, behind one interface.
 *
 * Callers (the registry, access control, the HTTP handlers, the CLI) use only these calls and
 * the model structs; which database sits underneath (SQLite now, PostgreSQL later, chosen when
 * the store is opened) is invisible to them. Every call works on the calling thread's own
 * connection, so any thread may use one ermes_store_t.
 *
 * Reads that return objects take a viewer: the store applies TLP visibility in the query
 * itself, so a list is filtered before it is paginated and no object a viewer may not see
 * ever leaves the store. */
#ifndef ERMES_STORE_STORE_H
#define ERMES_STORE_STORE_H

#include <stdint.h>

#include "ermes/error.h"
#include "ermes/ownership.h"
#include "model/org.h"
#include "model/user.h"

typedef struct ermes_store ermes_store_t;

typedef struct ermes_store_options {
    long busy_timeout_ms; /* wait on a locked database; 0 means 10 s */
    int create;           /* create the data directory and database if missing */
} ermes_store_options_t;

/* Opens (and with create, creates) DATA_DIR/ermes.db, applies pending migrations. */
int ermes_store_open(const char *data_dir, const ermes_store_options_t *opts, ermes_store_t **out);
void ermes_store_close(ermes_store_t *st);
int ermes_store_schema_version(ermes_store_t *st, int *out);

/* A transaction on the calling thread's connection, around multi-row writes. The calls below
 * that write more than one row open their own when none is open. */
int ermes_store_begin(ermes_store_t *st);
int ermes_store_commit(ermes_store_t *st);
void ermes_store_rollback(ermes_store_t *st);

/* ---- organisations ---------------------------------------------------------------------- */

typedef struct ermes_org_filter {
    const char *q;       /* substring of name or short name, case-insensitive */
    const char *country; /* exact */
    const char *sector;
    const char *type;
    const char *parent;  /* short name of the parent */
    int64_t after_id;    /* cursor: ids greater than this */
    long limit;          /* page size */
} ermes_org_filter_t;

/* Inserts a new organisation with its parts; fills org->meta (id, times). The parent is
 * resolved from org->parent. ERMES_EEXISTS if the short name, a network, an ASN or a domain is
 * already registered (d names which), ERMES_ENOTFOUND if the parent is unknown. */
int ermes_store_org_insert(ermes_store_t *st, ermes_org_t *org, ermes_diag_t *d);

/* Applies a partial update: the members flagged in upd->has replace the stored ones (arrays
 * replace the whole set). id: the organisation. Errors as insert, ERMES_ENOTFOUND for the id,
 * ERMES_ECONFLICT if the new parent would make a cycle. */
int ermes_store_org_update(ermes_store_t *st, int64_t id, const ermes_org_t *upd,
                           ermes_diag_t *d);

/* Deletes an organisation and its parts. ERMES_ECONFLICT while it has children or users. */
int ermes_store_org_delete(ermes_store_t *st, int64_t id, ermes_diag_t *d);

/* Resolves "123" or a short name to an id, honouring visibility (an organisation the viewer
 * may not see is ERMES_ENOTFOUND, never ERMES_EDENIED, so its existence does not leak). */
int ermes_store_org_resolve(ermes_store_t *st, const ermes_viewer_t *v, const char *ref,
                            int64_t *id);

/* Loads one organisation with the parts the viewer may see. Caller frees with
 * ermes__org_free(). */
int ermes_store_org_get(ermes_store_t *st, const ermes_viewer_t *v, int64_t id,
                        ermes_org_t **out);

/* Calls cb for each organisation the viewer may see matching f, in id order, at most f->limit
 * (0: all). The org passed to cb is borrowed for the call. cb returns 0 to go on, non-zero to
 * stop (that value is returned). *more is set to 1 when more rows follow the page. */
typedef int (*ermes_store_org_cb)(void *ctx, const ermes_org_t *org);
int ermes_store_org_each(ermes_store_t *st, const ermes_viewer_t *v, const ermes_org_filter_t *f,
                         ermes_store_org_cb cb, void *ctx, int *more);

/* Builds an ownership index from every registered network, ASN and domain. */
int ermes_store_ownership_build(ermes_store_t *st, ermes_ownership_t **out);

/* Short name of an organisation id into buf (for lookups); ERMES_ENOTFOUND. */
int ermes_store_org_short_name(ermes_store_t *st, int64_t id, char *buf, size_t cap);

/* The CERT's own organisation: the first, which owns itself. ERMES_ENOTFOUND before init. */
int ermes_store_home_org(ermes_store_t *st, int64_t *id);

/* Savepoints inside a transaction: one bad row of an import is undone alone. */
int ermes_store_savepoint(ermes_store_t *st);
int ermes_store_release(ermes_store_t *st);
void ermes_store_rollback_to(ermes_store_t *st);

/* A number that changes whenever any process changes networks, ASNs or domains. */
int ermes_store_registry_version(ermes_store_t *st, int64_t *out);

/* Counts for /metrics. */
int ermes_store_count(ermes_store_t *st, const char *what, int64_t *out);

/* ---- users and tokens ------------------------------------------------------------------ */

int ermes_store_user_insert(ermes_store_t *st, ermes_user_t *u, ermes_diag_t *d);
int ermes_store_user_get(ermes_store_t *st, int64_t id, const char *name, ermes_user_t *out);
int ermes_store_user_update(ermes_store_t *st, const ermes_user_t *u);
typedef int (*ermes_store_user_cb)(void *ctx, const ermes_user_t *u);
int ermes_store_user_each(ermes_store_t *st, int64_t org_id, int64_t after_id, long limit,
                          ermes_store_user_cb cb, void *ctx, int *more);

int ermes_store_token_insert(ermes_store_t *st, ermes_token_t *t);
/* Finds the live or dead token with this hash (the caller checks expiry and revocation). */
int ermes_store_token_find(ermes_store_t *st, const uint8_t hash[32], ermes_token_t *out);
int ermes_store_token_get(ermes_store_t *st, int64_t id, ermes_token_t *out);
int ermes_store_token_revoke(ermes_store_t *st, int64_t id, int64_t when);
typedef int (*ermes_store_token_cb)(void *ctx, const ermes_token_t *t);
int ermes_store_token_each(ermes_store_t *st, int64_t user_id, int64_t after_id, long limit,
                           ermes_store_token_cb cb, void *ctx, int *more);

/* ---- audit ------------------------------------------------------------------------------ */

/* Appends to the audit log. The table refuses UPDATE and DELETE (triggers). */
int ermes_store_audit(ermes_store_t *st, const ermes_audit_t *a);
typedef int (*ermes_store_audit_cb)(void *ctx, const ermes_audit_t *a);
int ermes_store_audit_each(ermes_store_t *st, const ermes_audit_filter_t *f,
                           ermes_store_audit_cb cb, void *ctx, int *more);

#endif
