/* The store: everything ermes keeps, behind one interface.
 *
 * Callers (the registry, access control, the HTTP handlers, the CLI) use only these calls and
 * the model structs; which database sits underneath (SQLite now, PostgreSQL later, chosen when
 * the store is opened) is invisible to them. Every call works on the calling thread's own
 * connection, so any thread may use one ermes__store_t.
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
#include "model/report.h"
#include "model/notification.h"
#include "model/retrohunt.h"
#include "model/sighting.h"
#include "model/collector.h"
#include "model/incident.h"
#include "model/mail.h"
#include "model/user.h"

typedef struct ermes__store ermes__store_t;

typedef struct ermes__store_options {
    long busy_timeout_ms; /* wait on a locked database; 0 means 10 s */
    int create;           /* create the data directory and database if missing */
    long cache_mb;        /* page cache per connection in MiB; 0 means 32 */
    /* NULL or "": SQLite in DATA_DIR/ermes.db; a path: that SQLite file; "postgresql://..."
     * (or "postgres://..."): that PostgreSQL database (borrowed, copied). */
    const char *database_url;
} ermes__store_options_t;

/* Opens (and with create, creates) the database, applies pending migrations. DATA_DIR is
 * created with create whichever backend holds the rows: reports and spools live there. */
int ermes__store_open(const char *data_dir, const ermes__store_options_t *opts,
                      ermes__store_t **out);
void ermes__store_close(ermes__store_t *st);
/* "sqlite" or "postgresql". */
const char *ermes__store_backend(const ermes__store_t *st);
int ermes__store_schema_version(ermes__store_t *st, int *out);

/* ---- moving a database between backends (ermes migrate) --------------------------------- */

/* Called once a table for each table after the copy: its rows in the source and the target. */
typedef void (*ermes__store_move_cb)(void *ctx, const char *table, int64_t source_rows,
                                     int64_t target_rows);

/* Copies every table of src into dst (one SQLite, the other PostgreSQL, of the same schema
 * version) whole, ids kept, in one transaction of dst, while src's write lock keeps its
 * writers out; PostgreSQL's identity sequences are set past the highest id copied. Then counts
 * every table on both sides (cb for each) and fails when any differs. dst should be empty
 * (ermes__store_move_check). The reason of a failure is in d. */
int ermes__store_move(ermes__store_t *src, ermes__store_t *dst, ermes__store_move_cb cb, void *ctx,
                      ermes_diag_t *d);
/* The first of st's tables that every use of ermes fills (organisations, users, audit,
 * reports, events, indicators) that holds rows, into table (a string of tablelen), or "" when
 * none does: the rows a new database starts with elsewhere (counters, defaults) do not count,
 * and ermes__store_move replaces them. */
int ermes__store_move_check(ermes__store_t *st, char *table, size_t tablelen);
/* Drops every table (the audit log too, whose rows its triggers keep from DELETE, not from
 * DROP) and, on PostgreSQL, every function of st's schema: for a target given up whole
 * (`ermes migrate --force`). Close st afterwards; opening it again makes the schema anew. */
int ermes__store_wipe(ermes__store_t *st);

/* A transaction on the calling thread's connection, around multi-row writes. The calls below
 * that write more than one row open their own when none is open. */
int ermes__store_begin(ermes__store_t *st);
int ermes__store_commit(ermes__store_t *st);
void ermes__store_rollback(ermes__store_t *st);
/* 1 while the calling thread's connection is inside a transaction. */
int ermes__store_in_tx(ermes__store_t *st);

/* ---- organisations ---------------------------------------------------------------------- */

typedef struct ermes__org_filter {
    const char *q;       /* substring of name or short name, case-insensitive */
    const char *country; /* exact */
    const char *sector;
    const char *type;
    const char *parent; /* short name of the parent */
    int64_t after_id;   /* cursor: ids greater than this */
    long limit;         /* page size */
} ermes__org_filter_t;

/* Inserts a new organisation with its parts; fills org->meta (id, times). The parent is
 * resolved from org->parent. ERMES_EEXISTS if the short name, a network, an ASN or a domain is
 * already registered (d names which), ERMES_ENOTFOUND if the parent is unknown. */
int ermes__store_org_insert(ermes__store_t *st, ermes__org_t *org, ermes_diag_t *d);

/* Applies a partial update: the members flagged in upd->has replace the stored ones (arrays
 * replace the whole set). id: the organisation. Errors as insert, ERMES_ENOTFOUND for the id,
 * ERMES_ECONFLICT if the new parent would make a cycle. */
int ermes__store_org_update(ermes__store_t *st, int64_t id, const ermes__org_t *upd,
                            ermes_diag_t *d);

/* Deletes an organisation and its parts. ERMES_ECONFLICT while it has children or users. */
int ermes__store_org_delete(ermes__store_t *st, int64_t id, ermes_diag_t *d);

/* Resolves "123" or a short name to an id, honouring visibility (an organisation the viewer
 * may not see is ERMES_ENOTFOUND, never ERMES_EDENIED, so its existence does not leak). */
int ermes__store_org_resolve(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                             int64_t *id);

/* Loads one organisation with the parts the viewer may see. Caller frees with
 * ermes__org_free(). */
/* Only the short name and name of organisation id, if v may see it (lookups name the owner
 * without reading its contacts and networks). 0, ERMES_ENOTFOUND. */
int ermes__store_org_name(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                          char *short_name, size_t short_cap, char *name, size_t name_cap);
int ermes__store_org_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                         ermes__org_t **out);

/* Calls cb for each organisation the viewer may see matching f, in id order, at most f->limit
 * (0: all). The org passed to cb is borrowed for the call. cb returns 0 to go on, non-zero to
 * stop (that value is returned). *more is set to 1 when more rows follow the page. */
typedef int (*ermes__store_org_cb)(void *ctx, const ermes__org_t *org);
int ermes__store_org_each(ermes__store_t *st, const ermes__viewer_t *v,
                          const ermes__org_filter_t *f, ermes__store_org_cb cb, void *ctx,
                          int *more);

/* Builds an ownership index from every registered network, ASN and domain. */
int ermes__store_ownership_build(ermes__store_t *st, ermes_ownership_t **out);

/* Short name of an organisation id into buf (for lookups); ERMES_ENOTFOUND. */
int ermes__store_org_short_name(ermes__store_t *st, int64_t id, char *buf, size_t cap);
/* The short names of the first limit organisations by id, each to cb (which returns 0 to go
 * on): the intake reads them before its rows, a lookup each costing a round trip that, on
 * PostgreSQL, ends the COPY under way. */
typedef int (*ermes__store_org_name_cb)(void *ctx, int64_t id, const char *short_name);
int ermes__store_org_short_names(ermes__store_t *st, size_t limit, ermes__store_org_name_cb cb,
                                 void *ctx);

/* The CERT's own organisation: the first, which owns itself. ERMES_ENOTFOUND before init. */
int ermes__store_home_org(ermes__store_t *st, int64_t *id);

/* Whether each commit of the calling thread's connection waits for the disk (the default,
 * synchronous=FULL) or not (NORMAL: a commit survives a crash of the process, and the
 * database stays whole after a power loss, which may undo the last commits). The intake
 * turns it off for the batches of a report, which it can redo from the durable report file,
 * and on again for the commit that finishes the report: that commit's sync makes every
 * batch before it durable too. */
int ermes__store_durable(ermes__store_t *st, int each_commit);
/* Whether the calling thread's connection enforces foreign keys (on by default; outside a
 * transaction only). The intake turns it off for a report's batches, whose rows would each
 * look up their report and organisations, and checks the organisations once per batch with
 * ermes__store_events_orphans instead. */
int ermes__store_foreign_keys(ermes__store_t *st, int on);
/* In the caller's transaction: each of ids[0..n) (NULL: every organisation the events from
 * first_event_id on name) that no longer exists (deleted since the intake looked it up) is
 * taken out of those events (org_id and owner_org_id to NULL), as ON DELETE SET NULL would
 * have. *gone (may be NULL) counts such organisations. */
int ermes__store_events_orphans(ermes__store_t *st, const int64_t *ids, size_t n,
                                int64_t first_event_id, size_t *gone);
/* Savepoints inside a transaction: one bad row of an import is undone alone. */
int ermes__store_savepoint(ermes__store_t *st);
int ermes__store_release(ermes__store_t *st);
void ermes__store_rollback_to(ermes__store_t *st);

/* ---- several processes on one database (lease.c) ------------------------------------------ */

/* Each process is one instance: a random id drawn once, on the machine named by its host key.
 * ermes__lease_configure sets the lease time (ms; 0 keeps the default, 30 s) and the host key
 * (NULL or "": the machine's name, boot id and pid namespace); call it before the first claim
 * (the CLI does, from the lease_time and instance_host settings). */
void ermes__lease_configure(int64_t lease_ms, const char *host);
int64_t ermes__lease_ms(void);
int64_t ermes__instance_id(void);
/* This process's host key (the instance_host setting, or the machine's own). */
const char *ermes__lease_host(void);
/* This instance is alive: its row seen now, every lease it holds renewed for a lease time
 * (statement by statement, without waiting for the write lock a transaction would take).
 * The heartbeat thread calls it every third of the lease time. */
int ermes__store_lease_heartbeat(ermes__store_t *st);
/* A clean stop: the instance's row goes (its leases are given back by their owners). */
int ermes__store_instance_stop(ermes__store_t *st);
/* Whether instance id is alive: itself, or seen within a lease time and, on this machine, its
 * process still there. */
int ermes__store_instance_alive(ermes__store_t *st, int64_t id, int *alive);
/* A named job one instance does at a time: *held = 1 when this instance has it now (taken,
 * or renewed when it had it). Dropping gives it back (its row goes). */
int ermes__store_lease_take(ermes__store_t *st, const char *name, int *held);
int ermes__store_lease_drop(ermes__store_t *st, const char *name);
/* A thread that calls ermes__store_lease_heartbeat every third of the lease time (its first
 * call a third of a lease time after the start), for any process that may hold leases (every
 * command opens one with the store). Stopping it removes the instance's row (a clean stop).
 * st is borrowed and must outlive it. */
typedef struct ermes__lease_beat ermes__lease_beat_t;
int ermes__lease_beat_start(ermes__store_t *st, ermes__lease_beat_t **out);
void ermes__lease_beat_stop(ermes__lease_beat_t *b);

/* PostgreSQL only (ERMES_EUNSUPPORTED on SQLite, where the counters are polled): a connection
 * of its own listening to what the counters' triggers notify (the registry, the indicators
 * changed). ermes__store_listen_wait waits up to timeout_ms: *changed = 1 when a change was
 * notified, or when the connection had been lost and is made again (changes may have been
 * missed). A lost connection is tried again at each wait. */
typedef struct ermes__store_listener ermes__store_listener_t;
int ermes__store_listen(ermes__store_t *st, ermes__store_listener_t **out);
int ermes__store_listen_wait(ermes__store_listener_t *l, int timeout_ms, int *changed);
void ermes__store_listen_close(ermes__store_listener_t *l);

/* A number that changes whenever any process changes networks, ASNs or domains. */
int ermes__store_registry_version(ermes__store_t *st, int64_t *out);

/* Counts for /metrics. */
int ermes__store_count(ermes__store_t *st, const char *what, int64_t *out);

/* ---- users and tokens ------------------------------------------------------------------ */

int ermes__store_user_insert(ermes__store_t *st, ermes__user_t *u, ermes_diag_t *d);
int ermes__store_user_get(ermes__store_t *st, int64_t id, const char *name, ermes__user_t *out);
int ermes__store_user_update(ermes__store_t *st, const ermes__user_t *u);
typedef int (*ermes__store_user_cb)(void *ctx, const ermes__user_t *u);
int ermes__store_user_each(ermes__store_t *st, int64_t org_id, int64_t after_id, long limit,
                           ermes__store_user_cb cb, void *ctx, int *more);

int ermes__store_token_insert(ermes__store_t *st, ermes__token_t *t);
/* Finds the live or dead token with this hash (the caller checks expiry and revocation). */
int ermes__store_token_find(ermes__store_t *st, const uint8_t hash[32], ermes__token_t *out);
int ermes__store_token_get(ermes__store_t *st, int64_t id, ermes__token_t *out);
int ermes__store_token_revoke(ermes__store_t *st, int64_t id, int64_t when);
typedef int (*ermes__store_token_cb)(void *ctx, const ermes__token_t *t);
int ermes__store_token_each(ermes__store_t *st, int64_t user_id, int64_t after_id, long limit,
                            ermes__store_token_cb cb, void *ctx, int *more);

/* ---- browser sessions and failed logins (sessions.c) ----------------------------------- */

/* Stores s (its hash, user, CSRF token, times, ip, user agent); fills s->id. */
int ermes__store_session_insert(ermes__store_t *st, ermes__session_t *s);
/* The session with this hash; ERMES_ENOTFOUND. */
int ermes__store_session_find(ermes__store_t *st, const uint8_t hash[32], ermes__session_t *out);
int ermes__store_session_touch(ermes__store_t *st, int64_t id, int64_t now);
int ermes__store_session_delete(ermes__store_t *st, int64_t id);
/* Ends every session of user_id but except_id (0: all); the number ended into *n (may be NULL). */
int ermes__store_session_delete_user(ermes__store_t *st, int64_t user_id, int64_t except_id,
                                     int64_t *n);
/* Deletes sessions past their absolute expiry or idle since before idle_before, and failed
 * logins older than failures_before. */
int ermes__store_session_prune(ermes__store_t *st, int64_t now, int64_t idle_before,
                               int64_t failures_before);
/* Records a failed login for name (any case). */
int ermes__store_login_failure_add(ermes__store_t *st, const char *name, int64_t at,
                                   const char *ip);
/* Times of name's failed logins after since, newest first, at most cap. */
int ermes__store_login_failures(ermes__store_t *st, const char *name, int64_t since, int64_t *times,
                                size_t cap, size_t *n);
/* How many of name's failed logins after since came from ip, in *n. */
int ermes__store_login_failures_from(ermes__store_t *st, const char *name, const char *ip,
                                     int64_t since, int64_t *n);
/* Forgets name's failed logins from ip (after a successful one from there); ip NULL: all. */
int ermes__store_login_failures_clear(ermes__store_t *st, const char *name, const char *ip);

/* ---- second factor (totp.c) ------------------------------------------------------------- */

typedef struct ermes__store_totp {
    uint8_t secret[64];
    size_t secret_len;
    int64_t enabled_at; /* 0 while the enrolment waits for its first code */
    int64_t last_step;  /* the newest time step a code was accepted for */
} ermes__store_totp_t;

/* Stores a new pending secret for user_id, replacing a pending one. ERMES_ECONFLICT when the
 * user has TOTP enabled already, ERMES_ENOTFOUND when there is no such user. */
int ermes__store_totp_put(ermes__store_t *st, int64_t user_id, const uint8_t *secret, size_t len);
/* The user's secret and state; ERMES_ENOTFOUND when none. */
int ermes__store_totp_get(ermes__store_t *st, int64_t user_id, ermes__store_totp_t *out);
/* Records that a code of time step step was accepted: 0, or ERMES_ECONFLICT when a code of
 * that step or a later one was accepted already (a replay). */
int ermes__store_totp_use_step(ermes__store_t *st, int64_t user_id, int64_t step);
/* Enables a pending secret whose first code was of step step, and replaces the user's
 * recovery codes with the n hashes given, in one transaction. ERMES_ECONFLICT when there is no
 * pending secret or the step was used. */
int ermes__store_totp_enable(ermes__store_t *st, int64_t user_id, int64_t step,
                             const uint8_t (*hashes)[32], size_t n);
/* Forgets the user's secret and recovery codes; ERMES_ENOTFOUND when there was no secret. */
int ermes__store_totp_delete(ermes__store_t *st, int64_t user_id);
/* Uses the recovery code with this hash: 0 (with the unused codes left in *left, which may be
 * NULL), or ERMES_EAUTH when the user has no such unused code. */
int ermes__store_recovery_code_use(ermes__store_t *st, int64_t user_id, const uint8_t hash[32],
                                   int64_t *left);
int ermes__store_recovery_codes_left(ermes__store_t *st, int64_t user_id, int64_t *left);

/* ---- the dashboard's figures (stats.c) -------------------------------------------------- */

/* Events counted in memory during an intake transaction, per (day, constituent, feed,
 * classification, hidden), and written to event_daily in one upsert per key just before the
 * transaction commits: the summary stays exact without a trigger or a statement per event. */
typedef struct ermes__event_tally ermes__event_tally_t;
int ermes__event_tally_new(ermes__event_tally_t **out);
void ermes__event_tally_free(ermes__event_tally_t *t);
/* Counts stored event e (after ermes__store_event_insert, which sets its created_at) under the
 * day it happened: its time.source, else its time.observation, else its created_at. */
int ermes__event_tally_add(ermes__event_tally_t *t, const ermes__event_row_t *e);
/* Adds the counts to event_daily in the open transaction and empties the tally. t may be NULL. */
int ermes__event_tally_flush(ermes__event_tally_t *t, ermes__store_t *st);

typedef enum ermes__stat {
    ERMES_STAT_EVENTS,               /* a = day, b = taxonomy "\x1f" type ("" for none), id = org id
                                      * (0: none), count: the summary's rows in the range as they
                                      * are, summed by the caller (one pass, no sort) */
    ERMES_STAT_SIGHTINGS_PER_DAY,    /* a = day, count */
    ERMES_STAT_NOTIFICATIONS,        /* a = state, count (staff only) */
    ERMES_STAT_QUARANTINE_OPEN,      /* count (staff only) */
    ERMES_STAT_REPORT_TIMES,         /* a = feed, id = received_at (ms): the 11 latest per feed,
                                      * newest first (staff only) */
    ERMES_STAT_EVENTS_BY_OBSERVATION /* count: the events of the range counted by their
                                      * time.observation (they have no time.source) */
} ermes__stat_t;
typedef int (*ermes__store_stat_cb)(void *ctx, const char *a, const char *b, int64_t id,
                                    int64_t count);
/* One of the dashboard's figures over the days from_day..to_day ("YYYY-MM-DD", inclusive),
 * for what viewer v may see: a constituent, its own organisation's events and sightings (no
 * TLP:RED one it does not own) and nothing of the staff-only figures. */
int ermes__store_stats(ermes__store_t *st, const ermes__viewer_t *v, ermes__stat_t which,
                       const char *from_day, const char *to_day, ermes__store_stat_cb cb,
                       void *ctx);

/* ---- intake: reports, events, quarantine (reports.c) ----------------------------------- */

/* Records a received report (its file is already durable); fills r->id. */
int ermes__store_report_insert(ermes__store_t *st, ermes__report_t *r);
/* A report the viewer may see (staff: all; constituents: none of the raw reports). */
int ermes__store_report_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                            ermes__report_t *out);
/* The first report, not failed, of feed with the same options (the JSON text reports keep,
 * "" for none) whose bytes have this SHA-256 (lower-case hex): the same file sent twice.
 * ERMES_ENOTFOUND when none. */
int ermes__store_report_find_sha256(ermes__store_t *st, const char *sha256, const char *feed,
                                    const char *options, ermes__report_t *out);
typedef int (*ermes__store_report_cb)(void *ctx, const ermes__report_t *r);
/* Newest first; state NULL = any; before_id cursor. */
int ermes__store_report_each(ermes__store_t *st, const ermes__viewer_t *v, const char *state,
                             const char *feed, int64_t before_id, long limit,
                             ermes__store_report_cb cb, void *ctx, int *more);
/* Ids of reports still to process (received or processing), oldest first. */
int ermes__store_report_pending(ermes__store_t *st, int64_t *ids, size_t cap, size_t *n);
/* Takes the report for processing by instance owner (ermes__instance_id) until `until` (ms):
 * succeeds (*claimed = 1) when nobody holds it, the holder's lease ran out, or the holder is
 * known to be gone (a crashed process on this machine). Renewing is claiming again (in the
 * transaction whose writes need the lease: *claimed = 0 says another instance has it now);
 * until 0 releases. */
int ermes__store_report_claim(ermes__store_t *st, int64_t id, int64_t owner, int64_t until,
                              int *claimed);
/* Writes state, error, next_row, counters and processed_at. */
int ermes__store_report_update(ermes__store_t *st, const ermes__report_t *r);

int ermes__store_event_insert(ermes__store_t *st, ermes__event_row_t *e);
/* The dictionary of the extra names packed events use (src/store/event_names.c): the number
 * of a name, made in the caller's write transaction when new; the name of a number. */
int ermes__store_event_name_id(ermes__store_t *st, const char *name, size_t len, uint32_t *id);
int ermes__store_event_name_of(ermes__store_t *st, uint32_t id, const char **name, size_t *len);
/* The deduplication log, read forward: the keys written since *after_batch (and, in a database
 * from before migration 11, the one-key rows of dedup_log since *after_log), in order, to cb
 * (non-zero stops); the cursors move past what was read. Appending is one row for a batch of
 * keys all first seen at first_seen. Pruning drops what was first seen before `before`. */
typedef int (*ermes__store_dedup_cb)(void *ctx, const uint8_t *keys, size_t nkeys,
                                     int64_t first_seen);
int ermes__store_dedup_since(ermes__store_t *st, int64_t *after_log, int64_t *after_batch,
                             ermes__store_dedup_cb cb, void *ctx);
int ermes__store_dedup_append(ermes__store_t *st, const uint8_t *keys, size_t nkeys,
                              int64_t first_seen, int64_t *batch_id);
int ermes__store_dedup_prune(ermes__store_t *st, int64_t before);
/* The secret key of the deduplication keys' hash: read, or made (random) in the caller's
 * write transaction when the database has none yet. */
int ermes__store_dedup_secret(ermes__store_t *st, uint8_t secret[16]);
/* A retried quarantined row became an event (or a duplicate): the report's counts move with
 * it, so rows_in = events + duplicates + quarantined still holds. */
int ermes__store_report_count_retry(ermes__store_t *st, int64_t report_id, int duplicate);
int ermes__store_quarantine_insert(ermes__store_t *st, int64_t report_id, int64_t row, long line,
                                   const char *raw, size_t raw_len, const char *field,
                                   const char *reason, int64_t owner_org_id);

typedef int (*ermes__store_event_cb)(void *ctx, const ermes__event_row_t *e);
/* Events the viewer may see, matching f, in id order (data and columns borrowed for the
 * call), each with its triage state (e->triage). */
int ermes__store_event_each(ermes__store_t *st, const ermes__viewer_t *v,
                            const ermes__event_filter_t *f, ermes__store_event_cb cb, void *ctx,
                            int *more);
/* How many events v may see match f (its cursor, limit and order aside), counted up to cap:
 * *count == cap means cap or more. */
int ermes__store_event_count(ermes__store_t *st, const ermes__viewer_t *v,
                             const ermes__event_filter_t *f, int64_t cap, int64_t *count);
int ermes__store_event_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                           ermes__store_event_cb cb, void *ctx);

typedef int (*ermes__store_quarantine_cb)(void *ctx, const ermes__quarantine_row_t *q);
int ermes__store_quarantine_each(ermes__store_t *st, int64_t report_id, const char *state,
                                 int64_t after_id, long limit, ermes__store_quarantine_cb cb,
                                 void *ctx, int *more);
int ermes__store_quarantine_get(ermes__store_t *st, int64_t id, ermes__store_quarantine_cb cb,
                                void *ctx);
/* Keeps raw (len bytes) as the open row id's correction (the original stays). ERMES_ENOTFOUND
 * when there is no such open row. */
int ermes__store_quarantine_edit(ermes__store_t *st, int64_t id, const char *raw, size_t len);
/* Dismisses the open row id with reason (by actor): state 'resolved', and its report counts it
 * as dismissed instead of quarantined, in one transaction. ERMES_ENOTFOUND when there is no
 * such open row. */
int ermes__store_quarantine_dismiss(ermes__store_t *st, int64_t id, const char *reason,
                                    const char *actor);
int ermes__store_quarantine_set_state(ermes__store_t *st, int64_t id, const char *state,
                                      int64_t event_id);

/* ---- notifications (notifications.c) ---------------------------------------------------- */

/* A group of events still to notify: one constituent, one feed.name or classification.type. */
typedef struct ermes__notify_group {
    int64_t org_id;
    const char *key;  /* the feed name or the type ("unknown" for none); borrowed */
    int64_t events;   /* how many are waiting */
    int64_t first_at; /* created_at of the oldest */
    int64_t max_id;   /* the newest: a notification takes events up to this one */
} ermes__notify_group_t;

typedef int (*ermes__store_notify_group_cb)(void *ctx, const ermes__notify_group_t *g);
/* Calls cb for each group of notifiable events (owned by a constituent that has a contact
 * with role notification, abuse, security, cert or technical; not notified yet; never TLP:RED)
 * whose oldest event was stored at or before cutoff, oldest first. by_type: group by
 * classification.type, else by feed.name. The group is borrowed for the call. */
int ermes__store_notify_groups(ermes__store_t *st, int by_type, int64_t cutoff,
                               ermes__store_notify_group_cb cb, void *ctx);
/* The notifiable events of group g with ids up to g->max_id (and past its org's cursor), in
 * id order, at most limit (0: all); the rows are borrowed for the call. */
int ermes__store_notify_group_events(ermes__store_t *st, const ermes__notify_group_t *g,
                                     int by_type, long limit, ermes__store_event_cb cb, void *ctx);
/* Events waiting because their constituent has nobody to write to. */
int ermes__store_notify_waiting(ermes__store_t *st, int64_t *events);
/* Moves the notification cursor (migration 12 in schema.c) of org_id, or of every
 * organisation when org_id is 0, past the events that are notified or TLP:RED, up to just
 * below its oldest event still to notify; *moved gets how many cursors moved. Inside the
 * caller's transaction when one is open, else in its own (opened only when a cursor can
 * move). Grouping reads only the events past an org's cursor. */
int ermes__store_notify_advance(ermes__store_t *st, int64_t org_id, long *moved);
/* For the tests: the plan SQLite chose (EXPLAIN QUERY PLAN, one detail a line) for the
 * statement of grouping (which = 0), a group's events (1), the waiting count (2) or the
 * cursors' look (3). */
int ermes__store_notify_plan(ermes__store_t *st, int which, char *buf, size_t cap);

/* Stores notification n carrying event_ids and gives it its reference; fills n->id,
 * reference, state, created_at. n->message_id is stored as given ("" for none). ERMES_ECONFLICT
 * (nothing stored) when an event already went to the same language group. Opens its own
 * transaction when none is open. */
int ermes__store_notification_insert(ermes__store_t *st, ermes__notification_t *n,
                                     const int64_t *event_ids, size_t nevents);
/* Sets the subject, body and Message-ID of notification id (made once its reference is
 * known); message_id NULL leaves it. */
int ermes__store_notification_set_text(ermes__store_t *st, int64_t id, const char *subject,
                                       const char *body, const char *message_id);
/* Marks events notified; ERMES_ECONFLICT (nothing marked) if any already was. */
int ermes__store_notify_mark_events(ermes__store_t *st, const int64_t *ids, size_t n);

/* Loads one notification; caller frees with ermes__notification_cleanup(). */
int ermes__store_notification_get(ermes__store_t *st, int64_t id, ermes__notification_t *out);
/* Resolves "42" or "ERMES-2026-000042" to an id; ERMES_ENOTFOUND. */
int ermes__store_notification_find(ermes__store_t *st, const char *ref, int64_t *id);
typedef int (*ermes__store_notification_cb)(void *ctx, const ermes__notification_t *n);
/* Newest first, matching f; the notification is borrowed for the call. Staff only: callers
 * check the viewer. */
int ermes__store_notification_each(ermes__store_t *st, const ermes__notification_filter_t *f,
                                   ermes__store_notification_cb cb, void *ctx, int *more);
/* The events a notification carries, in id order (rows borrowed for the call). */
int ermes__store_notification_events(ermes__store_t *st, int64_t id, ermes__store_event_cb cb,
                                     void *ctx);
/* The notifications that carried event event_id (one per language at most), oldest first
 * (rows borrowed for the call). */
int ermes__store_event_notifications(ermes__store_t *st, int64_t event_id,
                                     ermes__store_notification_cb cb, void *ctx);
/* Ids of notifications waiting for an attempt (pending or retrying) due at now, soonest
 * first. Some may be held by a sender at the moment: the claim tells. */
int ermes__store_notification_due(ermes__store_t *st, int64_t now, int64_t *ids, size_t cap,
                                  size_t *n);
/* The earliest next attempt of any pending or retrying notification; 0 when there is none. */
int ermes__store_notification_next_due(ermes__store_t *st, int64_t *at);
/* Takes notification id for an attempt by instance owner until `until` (ms): *claimed = 1
 * when it is pending or retrying, due (or force) and nobody holds it. force also takes a
 * failed one (a manual send). A lease whose time ran out, or whose holder is known to be gone
 * (lease.c), holds nothing; one of this very instance (another thread) does. */
int ermes__store_notification_claim(ermes__store_t *st, int64_t id, int64_t owner, int64_t now,
                                    int64_t until, int force, int *claimed);
/* Records, before the SMTP exchange, that an attempt starts: state sending, attempts + 1
 * (the new count into *attempts). Only the holder may; ERMES_EBUSY otherwise. */
int ermes__store_notification_start(ermes__store_t *st, int64_t id, int64_t owner,
                                    int64_t *attempts);
/* Records the outcome of an attempt and releases the claim. last_error NULL or "" clears it;
 * sent_at 0 leaves it NULL. */
int ermes__store_notification_finish(ermes__store_t *st, int64_t id, const char *state,
                                     int64_t attempts, int64_t next_attempt_at,
                                     const char *last_error, int64_t sent_at);
/* Records a delivery: state sent at `at`, and one send per recipient (lower case) in the
 * send log, in one transaction. */
int ermes__store_notification_sent(ermes__store_t *st, int64_t id, const char *const *rcpts,
                                   size_t n, int64_t at);
/* Sets the note (last_error) of notification id, e.g. the recipients an encrypted message
 * left out. */
int ermes__store_notification_note(ermes__store_t *st, int64_t id, const char *note);
/* Gives a claim back without recording an attempt. */
int ermes__store_notification_release(ermes__store_t *st, int64_t id);
/* Notifications left in state sending by an instance that is gone (or whose lease ran out):
 * id's alone, or all with id 0. Each becomes retrying, due at now, with note as last_error,
 * or failed when it has had max_attempts attempts. The count into *recovered. */
int ermes__store_notification_recover(ermes__store_t *st, int64_t id, int64_t now,
                                      int64_t max_attempts, const char *note, size_t *recovered);
/* The send log, for the per-recipient rate limit: times of the messages recipient (lower
 * case) got after since, newest first, at most cap. */
int ermes__store_notify_sends(ermes__store_t *st, const char *recipient, int64_t since,
                              int64_t *times, size_t cap, size_t *n);
int ermes__store_notify_send_log(ermes__store_t *st, const char *recipient, int64_t notification_id,
                                 int64_t at);

/* ---- warninglist switches (warninglists.c) ---------------------------------------------- */

/* Turns warninglist id on or off (enabled 0/1), kept across restarts; owner_org_id: the CERT's
 * organisation (0: none). */
int ermes__store_wl_switch_set(ermes__store_t *st, const char *id, int enabled,
                               int64_t owner_org_id);
/* Calls cb with every stored switch, by id. Returns 0, cb's non-zero, or a store error. */
int ermes__store_wl_switch_each(ermes__store_t *st,
                                int (*cb)(void *ctx, const char *id, int enabled), void *ctx);
/* ---- templates (templates.c) --------------------------------------------------------------- */

/* The stored template kind/name/lang (see src/templates/templates.h) in *text (ermes__free
 * it); ERMES_ENOTFOUND when there is none. updated_at may be NULL. */
int ermes__store_template_get(ermes__store_t *st, const char *kind, const char *name,
                              const char *lang, char **text, int64_t *updated_at);
/* Stores (or replaces) the template; owner_org_id: the CERT's organisation (0: none). */
int ermes__store_template_put(ermes__store_t *st, const char *kind, const char *name,
                              const char *lang, const char *text, int64_t owner_org_id);
/* ERMES_ENOTFOUND when there is no stored template kind/name/lang. */
int ermes__store_template_delete(ermes__store_t *st, const char *kind, const char *name,
                                 const char *lang);
/* Calls cb with every stored template of kind (NULL: of every kind), by kind, name and
 * language. Returns 0, cb's non-zero, or a store error. */
int ermes__store_template_each(ermes__store_t *st, const char *kind,
                               int (*cb)(void *ctx, const char *kind, const char *name,
                                         const char *lang, int64_t updated_at),
                               void *ctx);
/* Calls cb with the name and text (borrowed for the call) of every stored template of kind in
 * lang, in one query: render.c's lookup (store: an ermes__store_t). */
int ermes__store_template_texts(void *store, const char *kind, const char *lang,
                                int (*cb)(void *ctx, const char *name, const char *text),
                                void *ctx);
/* ---- settings changed while ermes runs (settings.c) ------------------------------------- */

/* Stores name = value (replacing a stored one) by who (a user name or cli:USER); *old gets the
 * value stored before, or NULL when there was none (ermes__free it; old may be NULL). */
int ermes__store_setting_put(ermes__store_t *st, const char *name, const char *value,
                             const char *who, int64_t owner_org_id, char **old);
/* Removes name's stored value: ERMES_ENOTFOUND when there is none. */
int ermes__store_setting_delete(ermes__store_t *st, const char *name);
typedef int (*ermes__store_setting_cb)(void *ctx, const char *name, const char *value,
                                       const char *updated_by, int64_t updated_at);
/* Calls cb with every stored setting, by name. */
int ermes__store_setting_each(ermes__store_t *st, ermes__store_setting_cb cb, void *ctx);
/* Reads every stored setting and lays them over this process's settings
 * (src/core/config_live.h) and over cfg when it is not NULL; *changed (may be NULL) = 1 when
 * they differ from the last read. */
struct ermes__config;
int ermes__store_settings_apply(ermes__store_t *st, struct ermes__config *cfg, int *changed);

/* ---- review before sending (notifications.c, notify_policies.c) ------------------------- */

/* Every notification not sent yet (pending or retrying) that goes out by itself (approval
 * none) and was made before cutoff becomes waiting, with reason; *n gets how many. */
int ermes__store_notification_hold_stale(ermes__store_t *st, int64_t cutoff, int64_t now,
                                         const char *reason, size_t *n);
/* Sets the approval of notification id (ERMES_APPROVAL_APPROVED, HELD or CANCELLED) with
 * reason (who decided; may be NULL), if it is not sent and not being sent and not cancelled:
 * *changed = 1. An approved one that was waiting for its first attempt is due at once. */
int ermes__store_notification_review(ermes__store_t *st, int64_t id, const char *approval,
                                     const char *reason, int *changed);
/* Changes the subject, body and/or recipients (JSON array text) of notification id (NULL:
 * unchanged), which must wait for approval (waiting or held) and not be sent: ERMES_ECONFLICT
 * otherwise, ERMES_ENOTFOUND. */
int ermes__store_notification_edit(ermes__store_t *st, int64_t id, const char *subject,
                                   const char *body, const char *recipients);
/* Ids of the notifications waiting for approval (of org_id; 0: all), oldest first, at most
 * cap. */
int ermes__store_notification_waiting(ermes__store_t *st, int64_t org_id, int64_t *ids, size_t cap,
                                      size_t *n);

/* A notification policy: whether the notifications it matches wait for approval. */
typedef struct ermes__notify_policy {
    int64_t id;
    char feed[128];          /* feed.name; "" any */
    char classification[64]; /* RSIT class (classification.taxonomy) or type; "" any */
    int64_t org_id;          /* the constituent; 0 any */
    char org[64];            /* its short name, "" for any */
    char mode[8];            /* "auto" or "review" */
    char note[256];
    int64_t created_at;
} ermes__notify_policy_t;

#define ERMES_NOTIFY_POLICIES_MAX 10000
typedef int (*ermes__store_notify_policy_cb)(void *ctx, const ermes__notify_policy_t *p);
/* Every policy, by id; borrowed for the call. */
int ermes__store_notify_policy_each(ermes__store_t *st, ermes__store_notify_policy_cb cb,
                                    void *ctx);
/* Stores p (feed, classification, org_id, mode, note); a policy with the same feed,
 * classification and constituent is replaced. Fills p->id and created_at. */
int ermes__store_notify_policy_put(ermes__store_t *st, ermes__notify_policy_t *p, int64_t home);
/* ERMES_ENOTFOUND when there is no such policy. */
int ermes__store_notify_policy_delete(ermes__store_t *st, int64_t id);

/* ---- STIX 2.1 objects and sharing groups (stix_objects.c, sharing_groups.c) ------------- */

/* One stored version of a STIX object. In callbacks every pointer is borrowed for the call. */
typedef struct ermes__stix_row {
    int64_t id;          /* the row: with date_added, the keyset TAXII pages on */
    const char *stix_id; /* "indicator--<uuid>" */
    const char *type;
    const char *spec_version;
    const char *created;      /* as the object says it, "" when it has none */
    const char *modified;     /* as the object says it, "" when it has none */
    const char *version_key;  /* modified (else created, else "") written to 9 fraction digits */
    int64_t date_added;       /* ms, set by the store */
    const char *source;       /* "local", or "peer:NAME", or "import" */
    int64_t sharing_group_id; /* the collection it was posted into; 0: none */
    int revoked;
    const char *object; /* the whole object, JSON text */
    ermes_tlp_t tlp;
    int64_t owner_org_id;
    int64_t created_at, updated_at;
    int sole; /* out of ermes__store_stix_put: stored, and the object's only version */
} ermes__stix_row_t;

#define ERMES__STIX_LIST_MAX 8 /* values of one match[] filter in one query */

typedef enum ermes__stix_versions {
    ERMES__STIX_VERSION_LAST = 0,
    ERMES__STIX_VERSION_FIRST,
    ERMES__STIX_VERSION_ALL,
    ERMES__STIX_VERSION_LISTED /* those of version_keys */
} ermes__stix_versions_t;

typedef struct ermes__stix_filter {
    /* What the viewer may see (src/access/tlp_policy.h): required. */
    unsigned tlp_anyone, tlp_owned;
    int64_t org_id;
    unsigned tlp_named, tlp_client; /* on objects naming org_id, or its parent, a recipient */
    const char *ids[ERMES__STIX_LIST_MAX];
    size_t nids;
    const char *types[ERMES__STIX_LIST_MAX];
    size_t ntypes;
    const char *spec_versions[ERMES__STIX_LIST_MAX];
    size_t nspec_versions;
    ermes__stix_versions_t versions;
    const char *version_keys[ERMES__STIX_LIST_MAX];
    size_t nversion_keys;
    int64_t added_after; /* ms, exclusive; -1: none */
    int64_t after_added; /* keyset cursor: rows after (after_added, after_id) */
    int64_t after_id;
    int64_t sharing_group_id; /* objects posted into it, or, with select_all, any object */
    int select_all;
    const char *source; /* exact; NULL: any */
    long limit;         /* 0: all */
} ermes__stix_filter_t;

/* Stores one version (r->date_added, when 0, created_at, updated_at and id are set here; a
 * batch gives its objects one date_added: TAXII's time they were added). *created is
 * 0 when that version (stix_id, version_key) was stored before: nothing changes then, as STIX
 * wants (a version is never rewritten). */
int ermes__store_stix_put(ermes__store_t *st, ermes__stix_row_t *r, int *created);
typedef int (*ermes__store_stix_cb)(void *ctx, const ermes__stix_row_t *r);
/* Versions matching f in (date_added, id) order; *more when rows follow the page. */
int ermes__store_stix_each(ermes__store_t *st, const ermes__stix_filter_t *f,
                           ermes__store_stix_cb cb, void *ctx, int *more);
/* Deletes the versions of stix_id that f (ids, types ignored) selects; *n how many. */
int ermes__store_stix_delete(ermes__store_t *st, const char *stix_id, const ermes__stix_filter_t *f,
                             int64_t *n);
/* Name, description and STIX id of stored indicator id (what a STIX indicator says of it). */
int ermes__store_indicator_describe(ermes__store_t *st, int64_t id, const char *name,
                                    const char *description, const char *stix_id);
/* The value of counter name (0 when missing), and setting it. */
int ermes__store_counter_get(ermes__store_t *st, const char *name, int64_t *out);
int ermes__store_counter_set(ermes__store_t *st, const char *name, int64_t value);
/* The sum of the values of up to 4 counters names (NULL entries and missing counters: 0), read in
 * one query, so at one moment: a value that grows whenever one of them moves. ERMES_EINVAL for
 * more than 4. */
int ermes__store_counter_sum(ermes__store_t *st, const char *const *names, size_t n, uint64_t *sum);

/* A sharing group: a TAXII collection. readers and writers: JSON arrays of roles ("staff",
 * "constituent") and organisation short names; selection: JSON {"types": [...], "all": bool}. */
typedef struct ermes__sharing_group {
    int64_t id;
    const char *name, *collection_id, *title, *description;
    ermes_tlp_t max_tlp;
    const char *readers, *writers, *selection;
    ermes_tlp_t tlp;
    int64_t owner_org_id, created_at, updated_at;
    /* JSON object: member short name -> the highest TLP it receives (migration 51) */
    const char *member_tlp;
} ermes__sharing_group_t;

/* Inserts g (id and times set); ERMES_EEXISTS when the name or collection id is taken. */
int ermes__store_sharing_group_put(ermes__store_t *st, ermes__sharing_group_t *g);
int ermes__store_sharing_group_delete(ermes__store_t *st, int64_t id);
typedef int (*ermes__store_sharing_group_cb)(void *ctx, const ermes__sharing_group_t *g);
/* Every group, by id; with key (a name, a collection id or a decimal id) only that one
 * (ERMES_ENOTFOUND when none). */
int ermes__store_sharing_group_each(ermes__store_t *st, const char *key,
                                    ermes__store_sharing_group_cb cb, void *ctx);
/* The status resource (JSON text) of a TAXII POST into group_id, and reading it back into
 * body (cap bytes): ERMES_ENOTFOUND, ERMES_ETOOBIG. */
int ermes__store_taxii_status_put(ermes__store_t *st, const char *status_id, int64_t group_id,
                                  const char *body, int64_t owner_org_id);
int ermes__store_taxii_status_get(ermes__store_t *st, const char *status_id, char *body, size_t cap,
                                  int64_t *group_id);
/* ---- named recipients of TLP-marked objects (tlp_recipients.c) -------------------------- */

#define ERMES__TLP_RECIPIENTS_MAX 50

/* Replaces the named recipients of the object stix_id (every version) with the n
 * organisations orgs; indicator_id (0: none) ties them to an ermes indicator as well. tlp and
 * owner_org_id are the object's, kept on each row. ERMES_EINVAL (no id, more than
 * ERMES__TLP_RECIPIENTS_MAX). */
int ermes__store_tlp_recipients_set(ermes__store_t *st, const char *stix_id, int64_t indicator_id,
                                    const int64_t *orgs, size_t n, ermes_tlp_t tlp,
                                    int64_t owner_org_id);
/* The same for sighting sighting_id, whose STIX id is stix_id (migration 60: the sightings
 * list asks the rows by sighting). ERMES_EINVAL. */
int ermes__store_sighting_recipients_set(ermes__store_t *st, int64_t sighting_id,
                                         const char *stix_id, const int64_t *orgs, size_t n,
                                         ermes_tlp_t tlp, int64_t owner_org_id);
typedef int (*ermes__store_tlp_recipient_cb)(void *ctx, int64_t org_id, const char *short_name);
/* The named recipients of stix_id by short name (borrowed for the call). */
int ermes__store_tlp_recipients_each(ermes__store_t *st, const char *stix_id,
                                     ermes__store_tlp_recipient_cb cb, void *ctx);
typedef int (*ermes__store_tlp_recipient_org_cb)(void *ctx, int64_t org_id, const char *short_name,
                                                 const char *name);
/* The same with each organisation's name (GET /api/v1/stix/{name}/recipients). */
int ermes__store_tlp_recipient_orgs(ermes__store_t *st, const char *stix_id,
                                    ermes__store_tlp_recipient_org_cb cb, void *ctx);
/* How org_id stands to the recipients named on stix_id (NULL: none) or indicator_id (0:
 * none): *rel 0 not named, 1 named, 2 its parent organisation named (ermes__tlp_relation_t). */
int ermes__store_tlp_relation(ermes__store_t *st, const char *stix_id, int64_t indicator_id,
                              int64_t org_id, int *rel);

/* ---- federation peers (peers.c) ------------------------------------------------------------ */

/* Seals every peer's credentials still stored in plain text (src/core/secret_box.h), making
 * the data directory's key when there is none. 0 (also when nothing was to seal), or an error
 * (nothing changed). ermes__store_open calls it. */
int ermes__store_peers_seal(ermes__store_t *st);

/* A peer: another TAXII 2.1 server this node pulls from and pushes to (src/sharing/
 * federation.h). In callbacks every pointer is borrowed for the call. */
typedef struct ermes__peer {
    int64_t id;
    const char *name;
    const char *url;           /* the TAXII API root, ending in '/' */
    const char *collection_id; /* the peer's collection */
    const char *auth;          /* "none", "token" (bearer), "basic" */
    const char *credentials;   /* the token, or "user:password"; never shown back */
    const char *share_group;   /* the local sharing group pushed to the peer; "": none */
    const char *local_user;    /* the local account the peer writes in with; "": none */
    ermes_tlp_t max_tlp;       /* objects marked above it are refused on pull */
    long interval_s;
    int pull, push;
    /* State. */
    const char *added_after; /* the peer's X-TAXII-Date-Added-Last of the last page pulled */
    int64_t push_after_added, push_after_id; /* local keyset cursor of what was pushed */
    int64_t last_pull_at, last_push_at, next_at, failures, pulled, pushed;
    const char *last_error;
    ermes_tlp_t tlp;
    int64_t owner_org_id, created_at, updated_at;
} ermes__peer_t;

/* Inserts p (id and times set); ERMES_EEXISTS when the name is taken. */
int ermes__store_peer_put(ermes__store_t *st, ermes__peer_t *p);
/* Rewrites p's configuration (name, url, collection_id, auth, credentials, share_group,
 * max_tlp, interval_s, pull, push, local_user); with reset the state starts over (a new
 * collection). */
int ermes__store_peer_update(ermes__store_t *st, const ermes__peer_t *p, int reset);
/* Rewrites p's state (added_after to last_error). */
int ermes__store_peer_state(ermes__store_t *st, const ermes__peer_t *p);
int ermes__store_peer_delete(ermes__store_t *st, int64_t id);
typedef int (*ermes__store_peer_cb)(void *ctx, const ermes__peer_t *p);
/* Every peer, by id; with key (a name or a decimal id) only that one (ERMES_ENOTFOUND). */
int ermes__store_peer_each(ermes__store_t *st, const char *key, ermes__store_peer_cb cb, void *ctx);

/* ---- MISP feeds (misp_feeds.c) ------------------------------------------------------------ */

/* The manifest timestamp of the version of event_uuid last imported from feed: 0 or
 * ERMES_ENOTFOUND (never imported). */
int ermes__store_misp_feed_seen(ermes__store_t *st, const char *feed, const char *event_uuid,
                                int64_t *timestamp);
/* Records that event_uuid of feed was imported at its manifest timestamp. */
int ermes__store_misp_feed_mark(ermes__store_t *st, const char *feed, const char *event_uuid,
                                int64_t timestamp, int64_t owner_org_id);

/* ---- MISP object references (misp_refs.c) ----------------------------------------------- */

/* One ObjectReference of a MISP object: its uuid, the object it starts from, the uuid it
 * points to (an object or an attribute), MISP's relationship_type and comment. */
typedef struct ermes__misp_ref {
    char uuid[40];
    char object_uuid[40];
    char referenced_uuid[40];
    char relationship_type[128];
    char comment[256];
    /* A reference to an attribute that became an indicator: that indicator (type, value,
     * exact); ind_value NULL otherwise. The MISP import owns the one it fills;
     * ermes__store_misp_refs_of lends its own for the callback only. */
    char ind_type[16];
    char *ind_value;
    int ind_exact;
    int64_t ind_id; /* read back: that indicator's id while it is stored, else 0 */
} ermes__misp_ref_t;
/* The references of event_uuid's objects become refs (n of them; 0 clears them): those stored
 * before for the event are replaced, in one transaction (its own when none is open). */
int ermes__store_misp_refs_replace(ermes__store_t *st, const char *event_uuid,
                                   const ermes__misp_ref_t *refs, size_t n, const char *tlp,
                                   int64_t owner_org_id);
/* cb with each reference of object object_uuid (lower case), by referenced uuid and
 * relationship; cb's nonzero return stops and is returned. */
int ermes__store_misp_refs_of(ermes__store_t *st, const char *object_uuid,
                              int (*cb)(void *ctx, const ermes__misp_ref_t *r), void *ctx);

/* ---- MISP objects (misp_objects.c) ------------------------------------------------------ */

/* A MISP object as an import read it (migration 72): uuid and event_uuid in lower case; name,
 * meta-category, template_uuid (a uuid or ""), template_version, description and comment as
 * MISP gave them; misp_timestamp (seconds) and distribution, -1 when unknown (objects moved
 * from the tags of earlier versions). Strings borrowed. */
typedef struct ermes__misp_object {
    const char *uuid, *event_uuid, *name, *meta_category, *template_uuid, *description, *comment;
    int64_t template_version, misp_timestamp;
    int distribution;
} ermes__misp_object_t;
/* One attribute of a MISP object, at its place in the object (position): one that became an
 * indicator (indicator_id; several rows when an object holds it under several relations or
 * several objects hold it) or one that did not (indicator_id 0, value). relation and type are
 * MISP's object_relation and type, attribute_uuid MISP's uuid of the attribute. Strings
 * borrowed. */
typedef struct ermes__misp_object_attr {
    const char *object_uuid, *relation, *type, *attribute_uuid, *value;
    int64_t position, indicator_id;
} ermes__misp_object_attr_t;
typedef int (*ermes__store_misp_object_cb)(void *ctx, const ermes__misp_object_t *o);
typedef int (*ermes__store_misp_object_attr_cb)(void *ctx, const ermes__misp_object_attr_t *a);
/* The objects of event_uuid become objs (n of them) with their attributes attrs (each naming
 * one of objs): those stored before for the event are replaced (an object stored before under
 * another event moves to this one), in one transaction (its own when none is open). */
int ermes__store_misp_objects_replace(ermes__store_t *st, const char *event_uuid,
                                      const ermes__misp_object_t *objs, size_t n,
                                      const ermes__misp_object_attr_t *attrs, size_t nattrs);
/* cb with each object of event_uuid, by uuid; cb's nonzero return stops and is returned. */
int ermes__store_misp_object_each(ermes__store_t *st, const char *event_uuid,
                                  ermes__store_misp_object_cb cb, void *ctx);
/* cb with each object one of whose members changed after since (ms, updated_at). */
int ermes__store_misp_objects_changed(ermes__store_t *st, int64_t since,
                                      ermes__store_misp_object_cb cb, void *ctx);
/* cb with the attributes of event_uuid's objects, by position: those that are no
 * indicator, and the members whose indicator is still the event's (source misp:EVENT_UUID;
 * an indicator another import took since has left the event's objects). */
int ermes__store_misp_object_attr_each(ermes__store_t *st, const char *event_uuid,
                                       ermes__store_misp_object_attr_cb cb, void *ctx);
/* cb with the id of each indicator of object object_uuid that is still its event's, by id. */
int ermes__store_misp_object_members(ermes__store_t *st, const char *object_uuid,
                                     int (*cb)(void *ctx, int64_t indicator_id), void *ctx);

/* ---- indicators and sightings (indicators.c, sightings.c) ------------------------------- */

/* Stores indicator r (type, value, exact, validity, confidence, tlp, owner_org_id, source,
 * tags) or, when (type, value, exact) is already stored, replaces its validity, confidence,
 * tlp, source and tags. Fills r->id, created_at, updated_at; *created (may be NULL) = 1 for a
 * new row. The strings must be canonical already (the detection engine's form). */
int ermes__store_indicator_put(ermes__store_t *st, ermes__indicator_row_t *r, int *created);
/* Applies the members of upd flagged in has (ERMES_IND_UPD_*). ERMES_ENOTFOUND. */
int ermes__store_indicator_update(ermes__store_t *st, int64_t id, const ermes__indicator_row_t *upd,
                                  unsigned has);
int ermes__store_indicator_delete(ermes__store_t *st, int64_t id);

typedef int (*ermes__store_indicator_cb)(void *ctx, const ermes__indicator_row_t *r);
/* Indicators the viewer may see matching f, in id order (rows borrowed for the call). A
 * constituent sees CLEAR and GREEN indicators, those its organisation owns, and AMBER and
 * AMBER+STRICT ones sighted in its own organisation's traffic; never another's RED. */
int ermes__store_indicator_each(ermes__store_t *st, const ermes__viewer_t *v,
                                const ermes__indicator_filter_t *f, ermes__store_indicator_cb cb,
                                void *ctx, int *more);
/* The indicators ermes made itself (not from a STIX indicator) changed after since (ms), in
 * updated_at order: what src/sharing/ publishes as STIX. */
int ermes__store_indicator_local_each(ermes__store_t *st, int64_t since,
                                      ermes__store_indicator_cb cb, void *ctx);
/* One indicator the viewer may see; ERMES_ENOTFOUND otherwise. */
int ermes__store_indicator_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                               ermes__store_indicator_cb cb, void *ctx);
/* A number that changes whenever any process changes an indicator. */
int ermes__store_indicator_version(ermes__store_t *st, int64_t *out);
/* The earliest valid_from or valid_until after now (ms), when the set of active indicators
 * changes by itself; 0 when none is ahead. */
int ermes__store_indicator_next_change(ermes__store_t *st, int64_t now, int64_t *at);

/* Records sighting s (indicator by s->indicator_id, else by type, value and exact; value,
 * field, log_source, line, offset, event_time, sensor, internal_ip, org_id) and counts it in
 * sighting_counts, in one transaction (the caller's when one is open). *inserted = 0 when the
 * same (indicator, value, field, log, offset) was already stored: nothing changes then.
 * Fills s->id, indicator_id, tlp and created_at. ERMES_ENOTFOUND when the indicator is gone. */
int ermes__store_sighting_record(ermes__store_t *st, ermes__sighting_t *s, int *inserted);

typedef int (*ermes__store_sighting_cb)(void *ctx, const ermes__sighting_t *s);
/* Sightings the viewer may see matching f, in id order: staff see all; a constituent only
 * those in its own organisation's traffic, and no RED indicator's unless it owns it. */
int ermes__store_sighting_each(ermes__store_t *st, const ermes__viewer_t *v,
                               const ermes__sighting_filter_t *f, ermes__store_sighting_cb cb,
                               void *ctx, int *more);
typedef int (*ermes__store_sighting_count_cb)(void *ctx, const ermes__sighting_count_t *c);
/* The daily counts under the same visibility; f->since/until compare with the day, sensor and
 * value (the indicator's) as for sightings except that sensor is not kept per day (ignored). */
int ermes__store_sighting_count_each(ermes__store_t *st, const ermes__viewer_t *v,
                                     const ermes__sighting_filter_t *f,
                                     ermes__store_sighting_count_cb cb, void *ctx, int *more);

/* ---- sightings that notify (notify_sightings.c) ----------------------------------------- */

/* The groups of sightings to notify (of a constituent that has someone to write to, in no
 * notification yet): one per (constituent, indicator source, as key: "" for none), with the
 * oldest stored at or before cutoff; events counts sightings, max_id the newest. */
int ermes__store_notify_sighting_groups(ermes__store_t *st, int64_t cutoff,
                                        ermes__store_notify_group_cb cb, void *ctx);
/* The sightings of group g up to g->max_id still to notify, with their indicator's type, value
 * and (current) TLP, at most limit (0: all); borrowed for the call. */
int ermes__store_notify_sighting_rows(ermes__store_t *st, const ermes__notify_group_t *g,
                                      long limit, ermes__store_sighting_cb cb, void *ctx);
/* Records that notification id carries sightings ids (and counts them in its events);
 * ERMES_ECONFLICT (nothing recorded) when one is in a notification already. */
int ermes__store_notification_add_sightings(ermes__store_t *st, int64_t id, const int64_t *ids,
                                            size_t n);
/* The sightings notification id carries, in id order (borrowed for the call). */
int ermes__store_notification_sightings(ermes__store_t *st, int64_t id, ermes__store_sighting_cb cb,
                                        void *ctx);
/* ---- collectors stored in the database (collector_defs.c) ------------------------------ */

/* A collector made at run time (POST /api/v1/collectors, `ermes collectors add`): what was
 * asked for, turned into a definition by ermes__collector_def_build (src/intake/collect_db.c),
 * which checks it as a config file's section is checked. Strings are owned (NULL: not given;
 * free with ermes__store_collector_def_clear). value and headers are credentials: sealed in
 * the database under the data directory's key (src/core/secret_box.h), plain here, never
 * shown by the API nor the CLI. */
typedef struct ermes__collector_def {
    char name[64];
    char *preset;  /* the feed catalogue's preset it came from */
    char *value;   /* what the preset needs (API key, user:password, KEY:SECRET, URL) */
    char *feed;    /* parser; NULL: the preset's */
    char *url;     /* NULL: the preset's */
    long interval; /* seconds; 0: the preset's (or the default) */
    char *options; /* JSON array of "key=value"; NULL: the preset's */
    char *headers; /* JSON array of "Name: value"; NULL: the preset's */
    char *content; /* "raw" or "gzip"; NULL: the preset's */
    int enabled;
    char tlp[16]; /* of the reports it makes */
    char created_by[96];
    int64_t owner_org_id, created_at, updated_at;
} ermes__collector_def_t;

void ermes__store_collector_def_clear(ermes__collector_def_t *d);
/* Inserts d (ERMES_EEXISTS when the name is taken) or, with update, replaces the row called
 * d->name (ERMES_ENOTFOUND when there is none); sets updated_at (and created_at on insert). */
int ermes__store_collector_def_put(ermes__store_t *st, ermes__collector_def_t *d, int update);
/* The row called name into *out (ermes__store_collector_def_clear it); ERMES_ENOTFOUND. */
int ermes__store_collector_def_get(ermes__store_t *st, const char *name,
                                   ermes__collector_def_t *out);
/* Removes the row called name with its state and list items; ERMES_ENOTFOUND. */
int ermes__store_collector_def_delete(ermes__store_t *st, const char *name);
/* Seals every stored collector's credentials still in plain text (an older ermes), making the
 * data directory's key when there is none. 0 (also when nothing was to seal), or an error. */
int ermes__store_collector_defs_seal(ermes__store_t *st);
/* Calls cb with every row (borrowed for the call), by name; at most 256. */
int ermes__store_collector_def_each(ermes__store_t *st,
                                    int (*cb)(void *ctx, const ermes__collector_def_t *d),
                                    void *ctx);

/* ---- collection: collector state, spool claims (collectors.c) ------------------------- */

/* The state of collector name; ERMES_ENOTFOUND before its first run. */
int ermes__store_collector_get(ermes__store_t *st, const char *name, ermes__collector_state_t *out);
/* Writes the whole state (insert or update) and releases the lease. */
int ermes__store_collector_put(ermes__store_t *st, const ermes__collector_state_t *s);
/* Takes collector name for a run by instance owner until `until` (ms), creating its row when
 * missing: *claimed = 1 when nobody holds it, the lease ran out or the holder is gone. */
int ermes__store_collector_claim(ermes__store_t *st, const char *name, int64_t owner, int64_t until,
                                 int *claimed);
/* Gives a lease back without changing the state. */
int ermes__store_collector_release(ermes__store_t *st, const char *name, int64_t owner);
/* An item of a collector in list mode (collector_items): its version and status ("ok",
 * "error") into version (129 bytes) and status (16 bytes), its failed fetches in a row into
 * *attempts; ERMES_ENOTFOUND when never seen. */
int ermes__store_collector_item_get(ermes__store_t *st, const char *collector, const char *item,
                                    char *version, char *status, int64_t *attempts);
/* Records the outcome of fetching an item: status "ok" with its report (report_id, 0: none)
 * or "error" with the reason; attempts counts the failed fetches of this version in a row. */
int ermes__store_collector_item_put(ermes__store_t *st, const char *collector, const char *item,
                                    const char *version, const char *status, int64_t report_id,
                                    const char *error);
/* Records that a spool file claimed with token became report_id (in the caller's
 * transaction, with the report); ermes__store_spool_claim_find tells (ERMES_ENOTFOUND). */
int ermes__store_spool_claim_insert(ermes__store_t *st, const char *token, int64_t report_id);
int ermes__store_spool_claim_find(ermes__store_t *st, const char *token, int64_t *report_id);

/* ---- retro-hunt jobs (retrohunts.c) ---------------------------------------------------- */

typedef int (*ermes__store_retrohunt_cb)(void *ctx, const ermes__retrohunt_t *r);
/* Queues a job: r's indicator_ids (or range), archive, requested_by and retry_of. */
int ermes__store_retrohunt_add(ermes__store_t *st, const ermes__retrohunt_t *r, int64_t *id);
/* *hunted: the highest indicator id a range job covers (0: none yet); *newest: the highest
 * indicator id stored (0: none). */
int ermes__store_retrohunt_hunted(ermes__store_t *st, int64_t *hunted, int64_t *newest);
/* Queues a job for the indicators added past the ones hunted for, in one transaction; *id = 0
 * when there are none. */
int ermes__store_retrohunt_add_new(ermes__store_t *st, const char *archive,
                                   const char *requested_by, int64_t *id);
/* One job (ERMES_ENOTFOUND), or a page of them newest first, below before_id (0: from the
 * newest); *more = 1 when more follow. Rows are borrowed for the callback. */
int ermes__store_retrohunt_get(ermes__store_t *st, int64_t id, ermes__store_retrohunt_cb cb,
                               void *ctx);
int ermes__store_retrohunt_each(ermes__store_t *st, int64_t before_id, long limit,
                                ermes__store_retrohunt_cb cb, void *ctx, int *more);
/* Takes the oldest queued job: running from now, leased to this instance for a lease time
 * (renewed by the heartbeat and each progress write). ERMES_ENOTFOUND when none waits. */
int ermes__store_retrohunt_claim(ermes__store_t *st, int64_t *id);
/* Running jobs whose instance is gone (lease run out, or its process on this machine gone):
 * as ermes__store_retrohunt_requeue for each; the count into *n. */
int ermes__store_retrohunt_recover(ermes__store_t *st, const char *why, size_t *n);
/* Writes r's state, indicators, progress, current file and error (finished_at once the state
 * is final), renewing the job's lease; ERMES_ECONFLICT when the job is no longer this
 * instance's running job (another daemon failed it and queued it again). */
int ermes__store_retrohunt_update(ermes__store_t *st, const ermes__retrohunt_t *r);
/* Cancels a queued job, or asks the hunter to stop a running one. *state: the state it was
 * in. ERMES_ENOTFOUND; ERMES_ECONFLICT when it had ended already. */
int ermes__store_retrohunt_cancel(ermes__store_t *st, int64_t id, ermes_retro_state_t *state);
int ermes__store_retrohunt_cancel_requested(ermes__store_t *st, int64_t id, int *yes);
/* Running job id (0: every running job) that will not finish (the daemon stopped): marked
 * failed with why and queued again as a new job (retry_of), or cancelled when a cancel was
 * asked for. *n: how many. */
int ermes__store_retrohunt_requeue(ermes__store_t *st, int64_t id, const char *why, size_t *n);

/* ---- incidents (incidents.c) and triage (triage.c) -------------------------------------- */

/* A constituent sees an incident when its organisation is one of the incident's affected
 * constituents and the TLP lets it (not RED unless it owns it); staff see every incident. */

typedef struct ermes__incident_filter {
    const char *status;   /* NULL: any */
    const char *severity; /* NULL: any */
    int open;             /* neither resolved nor closed */
    int64_t assignee_id;  /* 0: anyone's */
    int unassigned;
    int64_t org_id;                   /* an affected constituent, 0: any */
    int64_t parent_id;                /* children of this incident, 0: any */
    int64_t due_from, due_to;         /* next_due_at in [due_from, due_to] (ms), 0: no bound */
    int64_t created_from, created_to; /* created_at in [from, to) (ms), 0: no bound */
    int not_merged;                   /* leave out the incidents merged into another */
    int64_t before_id;                /* cursor: ids below this (the list is newest first) */
    long limit;                       /* 0: all */
} ermes__incident_filter_t;

/* Inserts inc (title ... warned, tlp, owner) and fills its id and times. */
int ermes__store_incident_insert(ermes__store_t *st, ermes__incident_t *inc);
/* Loads incident id as v may see it (v NULL: no check) into *out; ERMES_ENOTFOUND. */
int ermes__store_incident_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                              ermes__incident_t *out);
/* Writes every member of inc but id and created_at; updated_at becomes now. */
int ermes__store_incident_update(ermes__store_t *st, ermes__incident_t *inc);
/* Incidents v may see matching f, newest first (the incident is borrowed for the call). */
typedef int (*ermes__store_incident_cb)(void *ctx, const ermes__incident_t *inc);
int ermes__store_incident_each(ermes__store_t *st, const ermes__viewer_t *v,
                               const ermes__incident_filter_t *f, ermes__store_incident_cb cb,
                               void *ctx, int *more);
/* The reaction-time measures of incident id (incidents/measure.c), written in the transaction
 * that changed its milestones; the row counts as measured from then on. pending_only: only
 * when it is not measured yet (a backfill must not overwrite what a change that committed
 * after its read wrote: PostgreSQL checks the condition again on the row that change left). */
int ermes__store_incident_measures_set(ermes__store_t *st, int64_t id,
                                       const ermes__incident_measures_t *m, int pending_only);
/* Up to cap ids of incidents whose measures are not (or no longer) kept: filled before
 * migration 49, or whose SLA policy or calendar changed since (sla.c marks them). */
int ermes__store_incident_unmeasured(ermes__store_t *st, int64_t *ids, size_t cap, size_t *n);
/* For the metrics: the measures of the incidents v may see created in [from, to) (ms; 0:
 * unbounded), but those merged into another, in creation order, from the index
 * incidents_metrics alone where the backend can (org is the main constituent's id, 0: none;
 * rsit_class "" when not classified). business: the durations in m.ms are the business-hour
 * ones (m.bms unset), from the index incidents_metrics_business. */
typedef struct ermes__incident_measure_row {
    int64_t created_at, org_id;
    const char *rsit_class; /* valid during the callback */
    ermes__incident_measures_t m;
} ermes__incident_measure_row_t;
typedef int (*ermes__store_measure_cb)(void *ctx, const ermes__incident_measure_row_t *r);
int ermes__store_incident_measures_each(ermes__store_t *st, const ermes__viewer_t *v, int64_t from,
                                        int64_t to, int business, ermes__store_measure_cb cb,
                                        void *ctx);
/* Open incidents (neither resolved nor closed) with a deadline by `before` (ms) that may have
 * a warning to give at now (their warn_check_at unset, or reached), for the daemon's warnings:
 * their ids into ids (at most cap, the earliest deadlines first), the count into *n. */
int ermes__store_incident_due(ermes__store_t *st, int64_t now, int64_t before, int64_t *ids,
                              size_t cap, size_t *n);
/* Counts for the dashboard: open incidents, those late (next_due_at < now) and those due by
 * soon (ms), as v may see them. */
/* When incident id may next have a warning to give (ms; INT64_MAX: none until it changes):
 * ermes__store_incident_update clears it, as any change may bring one. */
int ermes__store_incident_warn_check(ermes__store_t *st, int64_t id, int64_t at);
int ermes__store_incident_counts(ermes__store_t *st, const ermes__viewer_t *v, int64_t now,
                                 int64_t soon, int64_t *open, int64_t *late, int64_t *due_soon);

/* Deadline warnings by e-mail (incident_warnings.c): one per incident and deadline key
 * ("containment:soon"); adding one that is there does nothing (*added 0). State pending until
 * sent, or failed; attempts, next_at (the next attempt), sent_at, the last error. */
typedef struct ermes__warning_mail {
    int64_t id, incident_id;
    char deadline[64];
    char recipient[256];
    char state[16];
    int64_t attempts, next_at, sent_at;
    char error[256];
} ermes__warning_mail_t;
int ermes__store_warning_mail_add(ermes__store_t *st, int64_t incident_id, const char *deadline,
                                  const char *recipient, ermes_tlp_t tlp, int64_t owner_org_id,
                                  int *added);
/* Pending ones whose next attempt is due by now, oldest first, at most cap. */
int ermes__store_warning_mails_due(ermes__store_t *st, int64_t now, ermes__warning_mail_t *out,
                                   size_t cap, size_t *n);
int ermes__store_warning_mail_each(ermes__store_t *st, int64_t incident_id,
                                   int (*cb)(void *ctx, const ermes__warning_mail_t *m), void *ctx);
/* Writes m's state, attempts, next_at, sent_at and error. */
int ermes__store_warning_mail_record(ermes__store_t *st, const ermes__warning_mail_t *m);

/* Affected constituents. add: *added 1 when it was not there yet (may be NULL). */
int ermes__store_incident_org_add(ermes__store_t *st, int64_t incident_id, int64_t org_id,
                                  int *added);
typedef int (*ermes__store_incident_org_cb)(void *ctx, int64_t org_id, const char *short_name,
                                            const char *name);
int ermes__store_incident_org_each(ermes__store_t *st, int64_t incident_id,
                                   ermes__store_incident_org_cb cb, void *ctx);
/* The same for a page of incidents in one statement (not one per incident: on PostgreSQL
 * each is a round trip): ids[0..n), n <= ERMES__INCIDENT_BATCH; cb gets each constituent with
 * its incident's id, by incident id then short name. */
#define ERMES__INCIDENT_BATCH 50
typedef int (*ermes__store_incident_orgs_cb)(void *ctx, int64_t incident_id, int64_t org_id,
                                             const char *short_name, const char *name);
int ermes__store_incident_orgs_of(ermes__store_t *st, const int64_t *ids, size_t n,
                                  ermes__store_incident_orgs_cb cb, void *ctx);

/* Links to objects by kind (ermes__incident_link_kind_valid) and id. add: *added 1 when new.
 * target: whether the object exists (a "report" is an incident report of the mail intake,
 * table incident_reports) and which constituent it concerns (0: none, or not known):
 * ERMES_ENOTFOUND when it does not exist. */
int ermes__store_incident_link_add(ermes__store_t *st, int64_t incident_id, const char *kind,
                                   int64_t object_id, int *added);
int ermes__store_incident_link_target(ermes__store_t *st, const char *kind, int64_t object_id,
                                      int64_t *org_id);
typedef int (*ermes__store_incident_link_cb)(void *ctx, int64_t id, const char *kind,
                                             int64_t object_id, int64_t created_at);
int ermes__store_incident_link_each(ermes__store_t *st, int64_t incident_id,
                                    ermes__store_incident_link_cb cb, void *ctx);
/* The incidents an object is linked to (kind, object_id), their ids to cb as link ids. */
int ermes__store_incident_links_of(ermes__store_t *st, const char *kind, int64_t object_id,
                                   ermes__store_incident_link_cb cb, void *ctx);
/* Moves every link, observable and affected constituent of incident from to incident to
 * (those already there are dropped from from). */
int ermes__store_incident_move(ermes__store_t *st, int64_t from, int64_t to);

/* The timeline: append-only. */
typedef struct ermes__timeline_entry {
    int64_t id, incident_id, at, user_id;
    const char *actor;
    const char *kind;   /* created, status, update, assign, link, task, observable, comment,
                         * merge, warning, triage */
    int public_;        /* a constituent sees it */
    const char *detail; /* JSON text or NULL */
} ermes__timeline_entry_t;
/* Appends e (at 0: now) and fills its id. */
int ermes__store_incident_timeline_add(ermes__store_t *st, ermes__timeline_entry_t *e);
typedef int (*ermes__store_timeline_cb)(void *ctx, const ermes__timeline_entry_t *e);
/* In order; public_only: the entries a constituent sees. */
int ermes__store_incident_timeline_each(ermes__store_t *st, int64_t incident_id, int public_only,
                                        int64_t after_id, long limit, ermes__store_timeline_cb cb,
                                        void *ctx, int *more);

typedef struct ermes__incident_task {
    int64_t id, incident_id;
    const char *title;
    int64_t owner_id;
    const char *owner; /* the owner's name when read, NULL for none */
    int64_t due_at, done_at;
    int mandatory;
    int64_t created_at, updated_at;
} ermes__incident_task_t;
int ermes__store_incident_task_add(ermes__store_t *st, ermes__incident_task_t *t);
/* Writes title, owner, due, mandatory, done of task t->id. */
int ermes__store_incident_task_update(ermes__store_t *st, const ermes__incident_task_t *t);
typedef int (*ermes__store_task_cb)(void *ctx, const ermes__incident_task_t *t);
int ermes__store_incident_task_get(ermes__store_t *st, int64_t id, ermes__store_task_cb cb,
                                   void *ctx);
int ermes__store_incident_task_each(ermes__store_t *st, int64_t incident_id,
                                    ermes__store_task_cb cb, void *ctx);

typedef struct ermes__incident_observable {
    int64_t id, incident_id;
    const char *type, *value;
    int ioc, sighted;
    ermes_tlp_t tlp;
    int64_t created_at;
} ermes__incident_observable_t;
/* Adds o, or sets the flags of the one with the same type and value; fills o->id. */
int ermes__store_incident_observable_put(ermes__store_t *st, ermes__incident_observable_t *o);
typedef int (*ermes__store_observable_cb)(void *ctx, const ermes__incident_observable_t *o);
int ermes__store_incident_observable_each(ermes__store_t *st, int64_t incident_id,
                                          ermes__store_observable_cb cb, void *ctx);

/* The SLA policy of severity for constituent org_id (its own, else the default), in minutes;
 * ERMES_ENOTFOUND when none applies. */
typedef struct ermes__sla_policy {
    int64_t response_min, containment_min, resolution_min;
    int business_hours;
} ermes__sla_policy_t;
int ermes__store_sla_policy_get(ermes__store_t *st, const char *severity, int64_t org_id,
                                ermes__sla_policy_t *out);
/* Sets the policy of severity for org_id (0: the default). */
int ermes__store_sla_policy_put(ermes__store_t *st, const char *severity, int64_t org_id,
                                const ermes__sla_policy_t *p);
/* The calendar of org_id's business hours (its own, else the default of org 0): days,
 * minutes, offset, holidays text into holidays (cap bytes). */
typedef struct ermes__calendar_row {
    int64_t days, start_minute, end_minute, utc_offset_minutes;
    char holidays[4096];
} ermes__calendar_row_t;
int ermes__store_calendar_get(ermes__store_t *st, int64_t org_id, ermes__calendar_row_t *out);
int ermes__store_calendar_put(ermes__store_t *st, int64_t org_id, const ermes__calendar_row_t *c);
/* For a page of incidents, in one statement each: every SLA policy that may apply to
 * constituents org_ids[0..n) (theirs and the defaults, org_id 0 to cb), and their calendars
 * (theirs and the default of org 0); n <= ERMES__INCIDENT_BATCH. Choosing among them is the
 * caller's, as ermes__store_sla_policy_get and ermes__store_calendar_get choose. */
int ermes__store_sla_policies_of(ermes__store_t *st, const int64_t *org_ids, size_t n,
                                 int (*cb)(void *ctx, const char *severity, int64_t org_id,
                                           const ermes__sla_policy_t *p),
                                 void *ctx);
int ermes__store_calendars_of(ermes__store_t *st, const int64_t *org_ids, size_t n,
                              int (*cb)(void *ctx, int64_t org_id, const ermes__calendar_row_t *c),
                              void *ctx);
/* Every policy (the defaults, org_id 0 and org "", first) and every calendar (the default of
 * org 0 first), each constituent's by its short name (sla.c). */
typedef struct ermes__sla_policy_row {
    char severity[16];
    int64_t org_id;
    char org[128];
    ermes__sla_policy_t policy;
    int64_t updated_at;
} ermes__sla_policy_row_t;
typedef int (*ermes__store_sla_policy_cb)(void *ctx, const ermes__sla_policy_row_t *r);
int ermes__store_sla_policy_each(ermes__store_t *st, ermes__store_sla_policy_cb cb, void *ctx);
typedef struct ermes__calendar_entry {
    int64_t org_id;
    char org[128];
    ermes__calendar_row_t row;
    int64_t updated_at;
} ermes__calendar_entry_t;
typedef int (*ermes__store_calendar_cb)(void *ctx, const ermes__calendar_entry_t *e);
int ermes__store_calendar_each(ermes__store_t *st, ermes__store_calendar_cb cb, void *ctx);

/* Triage of events and sightings (kind "event" or "sighting"). set: the state of each of
 * ids[0..n) (they must exist: ERMES_ENOTFOUND names the first that does not, in *missing). */
int ermes__store_triage_set(ermes__store_t *st, const char *kind, const int64_t *ids, size_t n,
                            const char *state, const char *note, const char *actor,
                            int64_t *missing);
/* The state of one (ERMES_ENOTFOUND when never triaged: "new"). */
int ermes__store_triage_get(ermes__store_t *st, const char *kind, int64_t id, char *state,
                            size_t cap);
/* The value a sighting saw (for the allow-list), and its constituent. */
int ermes__store_sighting_value(ermes__store_t *st, int64_t id, char *value, size_t cap,
                                int64_t *org_id);
/* The local allow-list: values detection does not record as sightings. */
int ermes__store_allowlist_add(ermes__store_t *st, const char *value, const char *reason,
                               int64_t owner_org_id, int *added);
int ermes__store_allowlist_has(ermes__store_t *st, const char *value, int *yes);

/* ---- audit ------------------------------------------------------------------------------ */

/* Appends to the audit log. The table refuses UPDATE and DELETE (triggers). */
int ermes__store_audit(ermes__store_t *st, const ermes__audit_t *a);
typedef int (*ermes__store_audit_cb)(void *ctx, const ermes__audit_t *a);
int ermes__store_audit_each(ermes__store_t *st, const ermes__audit_filter_t *f,
                            ermes__store_audit_cb cb, void *ctx, int *more);

/* ---- mail in (mail.c, incident_reports.c) ---------------------------------------------- */

/* Records a received message whose raw bytes are on disk (m: sha256, size, source,
 * received_at, tlp, owner_org_id); the same sha256 again is the row already there. Fills the
 * whole of *m from the row; *created (may be NULL) = 1 for a new one. */
int ermes__store_mail_insert(ermes__store_t *st, ermes__mail_row_t *m, int *created);
/* Writes what processing found: state, kind, reason, message_id, from, subject, signature,
 * encryption, the links and tlp. ERMES_ENOTFOUND. */
int ermes__store_mail_update(ermes__store_t *st, const ermes__mail_row_t *m);
int ermes__store_mail_get(ermes__store_t *st, int64_t id, ermes__mail_row_t *out);
typedef int (*ermes__store_mail_cb)(void *ctx, const ermes__mail_row_t *m);
/* Newest first, of state (NULL: any), below before_id (0: from the newest). Staff only. */
int ermes__store_mail_each(ermes__store_t *st, const char *state, int64_t before_id, long limit,
                           ermes__store_mail_cb cb, void *ctx, int *more);
/* Ids of messages received but not processed yet (a crash between the two), oldest first: at
 * most cap, each over `after`, so a sweep pages on by the last id it got and passes messages
 * another daemon holds instead of reading them again. */
int ermes__store_mail_pending(ermes__store_t *st, int64_t after, int64_t *ids, size_t cap,
                              size_t *n);
/* Threads message mail_id onto notification_id and moves the state of recipient (the sender
 * when NULL; for a delivery status notification, the recipient it is about) in one
 * transaction (the caller's when open). States only move forward: delivered or failed (the
 * later of the two wins), then acknowledged, then replied; a state other than these four
 * (delayed) threads the message and moves nothing. The same message twice is threaded once. */
int ermes__store_correspondence_add(ermes__store_t *st, int64_t notification_id, int64_t mail_id,
                                    const char *from, const char *recipient, const char *subject,
                                    const char *body, const char *state, ermes_tlp_t tlp,
                                    int64_t owner_org_id);
typedef int (*ermes__store_correspondence_cb)(void *ctx, const ermes__correspondence_t *c);
int ermes__store_correspondence_each(ermes__store_t *st, int64_t notification_id,
                                     ermes__store_correspondence_cb cb, void *ctx);
typedef int (*ermes__store_recipient_cb)(void *ctx, const char *recipient, const char *state,
                                         int64_t answered_at);
int ermes__store_notification_recipient_each(ermes__store_t *st, int64_t notification_id,
                                             ermes__store_recipient_cb cb, void *ctx);

/* ---- incident rules (incident_rules.c): src/incidents/rules.c decides with them ---------- */

typedef struct ermes__incident_rule {
    int64_t id, position;
    char name[129];
    int enabled;
    char condition[32]; /* shared_observable, same_thread, same_constituent_class,
                         * subject_pattern */
    int64_t days, hours;
    char pattern[257];   /* subject_pattern: a substring or a glob, case-insensitive */
    char rsit_class[65]; /* same_constituent_class: the incident's class */
    char action[16];     /* link, open, queue */
    char open_class[65], open_type[65], severity[16]; /* open: the new incident's */
    ermes_tlp_t tlp;
    int64_t owner_org_id, created_at, updated_at;
} ermes__incident_rule_t;
typedef int (*ermes__store_incident_rule_cb)(void *ctx, const ermes__incident_rule_t *r);
/* In order (position, then id). */
int ermes__store_incident_rule_each(ermes__store_t *st, ermes__store_incident_rule_cb cb,
                                    void *ctx);
int ermes__store_incident_rule_get(ermes__store_t *st, int64_t id, ermes__incident_rule_t *out);
/* insert: fills id and times (position 0: after the last); update: every member; ENOTFOUND. */
int ermes__store_incident_rule_insert(ermes__store_t *st, ermes__incident_rule_t *r);
int ermes__store_incident_rule_update(ermes__store_t *st, ermes__incident_rule_t *r);
int ermes__store_incident_rule_delete(ermes__store_t *st, int64_t id);
/* What decided for a report: put once (a second put for the same report changes nothing,
 * *added 0); get: ERMES_ENOTFOUND when none. reason is copied into a buffer of cap bytes. */
int ermes__store_report_decision_put(ermes__store_t *st, int64_t report_id, int64_t rule_id,
                                     const char *action, int64_t incident_id, const char *reason,
                                     ermes_tlp_t tlp, int *added);
int ermes__store_report_decision_get(ermes__store_t *st, int64_t report_id, int64_t *rule_id,
                                     char *action, size_t action_cap, int64_t *incident_id,
                                     char *reason, size_t cap);
/* The open incident (neither resolved, closed nor merged) updated since `since` (ms) that the
 * condition finds for report_id, newest first: *incident_id (0: none); what was shared into
 * what (cap bytes). shared_observable: an observable of the report is one of another report
 * linked to it or one of its own; same_thread: a linked report whose subject is the report's
 * without its Re:/Fwd: prefixes (when the headers name no message: rules.c);
 * same_constituent_class: the report's constituent is the
 * incident's and its RSIT class is rsit_class. */
int ermes__store_rule_find_incident(ermes__store_t *st, const char *condition, int64_t report_id,
                                    int64_t since, const char *rsit_class, int64_t *incident_id,
                                    char *what, size_t cap);
/* same_thread by the mail's headers: the open incident updated since `since` that a report
 * other than report_id is linked to, whose message's Message-ID is message_id (without angle
 * brackets). *incident_id 0 when none; what names the report. */
int ermes__store_rule_find_thread(ermes__store_t *st, const char *message_id, int64_t report_id,
                                  int64_t since, int64_t *incident_id, char *what, size_t cap);

/* Stores incident report r with its observables in one transaction; fills r->id and times. */
int ermes__store_incident_report_insert(ermes__store_t *st, ermes__incident_report_t *r,
                                        const ermes__report_observable_t *obs, size_t nobs);
typedef int (*ermes__store_incident_report_cb)(void *ctx, const ermes__incident_report_t *r);
/* Newest first; org_id 0: any; waiting: only those linked to no incident (left for triage).
 * Rows borrowed for the call. Staff only. */
/* owner_org_id: only the reports that organisation owns (a constituent's own, typed in at
 * POST /api/v1/incident-reports); 0: all. */
int ermes__store_incident_report_each(ermes__store_t *st, int64_t org_id, int64_t owner_org_id,
                                      int waiting, int64_t before_id, long limit,
                                      ermes__store_incident_report_cb cb, void *ctx, int *more);
int ermes__store_incident_report_get(ermes__store_t *st, int64_t id,
                                     ermes__store_incident_report_cb cb, void *ctx);
typedef int (*ermes__store_report_observable_cb)(void *ctx, const ermes__report_observable_t *o);
int ermes__store_report_observable_each(ermes__store_t *st, int64_t report_id,
                                        ermes__store_report_observable_cb cb, void *ctx);
/* A stored indicator of type and value (for a domain with subdomains, of the name or a parent
 * that is not exact-only): its id into *indicator_id (0: none) and its sightings counted. */
int ermes__store_indicator_known(ermes__store_t *st, const char *type, const char *value,
                                 int subdomains, int64_t *indicator_id, int64_t *sightings);

/* ---- the correlation index (correlations.c) ---------------------------------------------- */

/* What kind of value a key stands for: its top four bits, 0 to 7 so that every key is a
 * non-negative int64 (found by fuzz_correlation: a tag of 8 made keys negative). */
enum {
    ERMES__CORR_TAG_OTHER = 0,
    ERMES__CORR_TAG_IPV4 = 1,
    ERMES__CORR_TAG_IPV6 = 2,
    ERMES__CORR_TAG_DOMAIN = 3,
    ERMES__CORR_TAG_URL = 4,
    ERMES__CORR_TAG_HASH = 5,
    ERMES__CORR_TAG_EMAIL = 6,
    ERMES__CORR_TAG_CIDR = 7
};
/* The objects a posting names. */
enum {
    ERMES__CORR_INDICATOR = 1,
    ERMES__CORR_EVENT = 2,
    ERMES__CORR_SIGHTING = 3,
    ERMES__CORR_OBSERVABLE = 4 /* an incident's observable: shown as its incident */
};
#define ERMES__CORR_VALUE_MAX 8192

/* A value in its normal form: addresses and networks canonical, names, hashes and e-mail
 * addresses in lower case, URLs as they are. */
typedef struct ermes__corr_value {
    int tag;
    ermes_cidr_t net; /* addresses (prefix full) and networks */
    size_t len;
    char text[ERMES__CORR_VALUE_MAX + 1];
} ermes__corr_value_t;

/* Normalises value[0..len) of type (an indicator or observable type name, "ip", "fqdn"; NULL or
 * unknown: guessed from the value) into out. ERMES_EINVAL when empty, ERMES_ETOOBIG past
 * ERMES__CORR_VALUE_MAX. */
int ermes__corr_norm(const char *type, const char *value, size_t len, ermes__corr_value_t *out);
/* The key of a normal value. */
int64_t ermes__corr_key(const ermes__corr_value_t *v);
/* The keys of the addresses inside net: [*lo, *hi] (IPv6 past /60: a superset). */
void ermes__corr_range(const ermes_cidr_t *net, int64_t *lo, int64_t *hi);

/* Indexes that object id of kind mentions value (normalised here; a value that is none is
 * skipped), in the caller's transaction if one is open. */
int ermes__store_corr_add(ermes__store_t *st, const char *type, const char *value, size_t len,
                          int kind, int64_t id);
int ermes__store_corr_add_value(ermes__store_t *st, const ermes__corr_value_t *v, int kind,
                                int64_t id);
/* One posting, for loading many at once. */
typedef struct ermes__corr_posting {
    int64_t key;
    int64_t id;
    int kind;
} ermes__corr_posting_t;
/* Adds postings p[0..n) (sorted by key they go in fastest) in the caller's transaction or one of
 * their own. Networks' prefix lengths are not recorded: for keys of values without one. */
int ermes__store_corr_add_many(ermes__store_t *st, const ermes__corr_posting_t *p, size_t n);
/* Retention (retention.c): what a run deleted (a dry run: would delete). */
/* PostgreSQL's partitions of events (src/store/event_partitions.c; nothing on SQLite): made
 * so that one whole partition lies ahead of the next id (*made: how many were made), or so that
 * every id up to upto has one. */
int ermes__store_event_partitions_ahead(ermes__store_t *st, int *made);
/* event_partition_width (src/store/event_time_map.c): the width of the partitions made from
 * now on. It is kept by st (on SQLite the time map's blocks are min(width, 100,000) ids) and
 * with write, on PostgreSQL, stored in event_partitioning for every daemon's next partition. */
#define ERMES__EVENT_WIDTH_DEFAULT INT64_C(10000000)
int ermes__store_event_width(ermes__store_t *st, int64_t width, int write);
/* The width of a block of the time map on SQLite. */
int64_t ermes__store_event_block(ermes__store_t *st);
/* The time map made again from the stored events (after `ermes migrate` copied them), in the
 * caller's transaction. */
int ermes__store_event_time_map_fill(ermes__store_t *st);
int ermes__store_event_partitions_cover(ermes__store_t *st, int64_t upto, int *made);

typedef struct ermes__retention_stats {
    int64_t events;      /* events deleted */
    int64_t events_kept; /* events past the cut-off kept: linked to an incident */
    int64_t reports;     /* reports expired (no event left; raw rows and file gone) */
    int64_t quarantined; /* quarantined rows of those reports deleted */
    int64_t files;       /* raw files removed from DATA_DIR/reports */
    int64_t partitions;  /* PostgreSQL: partitions of events dropped whole (in events too) */
    int more;            /* stopped at max_events: call again */
} ermes__retention_stats_t;
/* Deletes the events stored before cutoff_ms (but those linked to an incident), then expires
 * the reports received before it that no event refers to any more (their quarantined rows
 * deleted, their raw file under data_dir removed unless another report holds it, expired_at =
 * now_ms). A batch per transaction: none may be open. dry_run: counts only. max_events > 0:
 * stops after about that many events (a batch more at most), out->more set, the reports left
 * to the next call. */
int ermes__store_retention_run(ermes__store_t *st, const char *data_dir, int64_t cutoff_ms,
                               int64_t now_ms, int dry_run, int64_t max_events,
                               ermes__retention_stats_t *out);

/* Removes the postings of event id (its source.ip: ip, iplen bytes; its source.fqdn), in the
 * caller's transaction: the event is going (retention.c). */
int ermes__store_corr_forget_event(ermes__store_t *st, int64_t id, const void *ip, size_t iplen,
                                   const char *fqdn);
/* Indexes the indicators, events, sightings and incident observables added since the last
 * call, a batch per transaction (none may be open); *added (may be NULL) gets the rows read. */
int ermes__store_corr_sync(ermes__store_t *st, int64_t *added);
/* The same, stopping after about max_rows rows (a batch more at most; 0: no limit), *more (may
 * be NULL) = 1 when rows are left: the daemon's background step. */
int ermes__store_corr_sync_some(ermes__store_t *st, int64_t max_rows, int64_t *added, int *more);
/* The rows of the covered tables not indexed yet, counted up to cap. */
int ermes__store_corr_pending(ermes__store_t *st, int64_t cap, int64_t *pending);
/* How many postings have keys in [lo, hi], counted up to cap. */
int ermes__store_corr_count(ermes__store_t *st, int64_t lo, int64_t hi, int64_t cap,
                            int64_t *count);
typedef int (*ermes__store_corr_cb)(void *ctx, int64_t key, int kind, int64_t id);
/* The postings with keys in [lo, hi], by key, up to limit (<= 0: all). */
int ermes__store_corr_each(ermes__store_t *st, int64_t lo, int64_t hi, long limit,
                           ermes__store_corr_cb cb, void *ctx);
/* The prefix lengths of the networks indexed, of family (ERMES_AF_INET or ERMES_AF_INET6):
 * prefixes must hold 129; *n gets how many. */
int ermes__store_corr_prefixes(ermes__store_t *st, int family, uint8_t *prefixes, size_t *n);

/* What a lookup shows of an object a posting names, and what decides who may see it. */
typedef struct ermes__corr_object {
    int kind;
    int64_t id;
    char type[32];    /* indicator or observable type; "" for events */
    char value[1024]; /* the value (an event: its source.fqdn); cut at 1023 bytes */
    ermes_ip_t ip;    /* an event's source.ip (family 0: none) */
    ermes_tlp_t tlp;
    int64_t owner_org_id; /* 0: none */
    int64_t org_id;       /* the constituent it concerns (events, sightings, incidents) */
    char label[256];   /* indicator: source; event: feed; sighting: log source; incident: title */
    int64_t parent_id; /* sighting: its indicator; observable: its incident */
} ermes__corr_object_t;
/* Reads object id of kind; ERMES_ENOTFOUND when it is gone. No TLP filter: the caller asks
 * the policy (src/access/tlp_policy.h) before showing anything. */
int ermes__store_corr_object(ermes__store_t *st, int kind, int64_t id, ermes__corr_object_t *o);

/* ---- incidents as STIX (stix_incidents.c) ----------------------------------------------- */

/* The ids of the incidents changed (updated_at, or an observable added) after since (ms), the
 * oldest changes first, up to cap distinct ones into ids (*n); *newest gets the latest moment
 * read (since when none). */
int ermes__store_incident_changed(ermes__store_t *st, int64_t since, int64_t *ids, size_t cap,
                                  size_t *n, int64_t *newest);

#endif
