/* The HTTP layer's internals: a request as handlers see it, replies, and the route table.
 * Handlers (one file per resource, h_*.c) parse their input, call the registry or the store
 * on behalf of req->viewer, and answer with one of the ermes__reply_* calls. */
#ifndef ERMES_HTTP_HTTP_H
#define ERMES_HTTP_HTTP_H

#include <jansson.h>
#include <pthread.h>
#include <microhttpd.h>
#include <stdint.h>

#include "constituency/registry.h"
#include "core/config.h"
#include "core/strbuf.h"
#include "ermes/detect.h"
#include "http/server.h"
#include "indicators/warninglists.h"
#include "model/sighting.h"
#include "model/user.h"
#include "store/store.h"

#define ERMES_ROUTE_MAX_PARAMS 4

struct ermes__req;
typedef struct ermes__req {
    struct MHD_Connection *conn;
    ermes__server_t *srv;
    const char *method;
    const char *url;
    const char *params[ERMES_ROUTE_MAX_PARAMS]; /* {ref} and {id} path segments */
    size_t nparams;
    ermes__strbuf_t body;
    int body_too_big;
    /* Streaming uploads (routes with an upload function): the handler's own state. */
    void *upload_state;
    void (*upload_cleanup)(struct ermes__req *req);
    int upload_failed; /* set by the upload function; the final call answers */
    int empty_body_ok; /* set by a handler whose body members are all optional */
    const char *route; /* the matched route's pattern, for metrics */
    const struct ermes__route *route_def;
    ermes__user_t user;
    ermes__viewer_t viewer;
    char remote[64];
    int64_t started_ns;
    int status;                   /* the status that was queued */
    const char *extra_headers[8]; /* name, value pairs for the next reply */
    char extra_values[4][256];
    size_t nextra;
    int url_nul;               /* the path had a %00 before decoding */
    int ui;                    /* a file of the web UI (static.c), not an API route */
    const char *cache_control; /* NULL: no-store */
    int64_t session_id;        /* authenticated by the session cookie; 0: by a token */
    char csrf[64];             /* that session's CSRF token */
    int64_t session_expires;   /* and its absolute expiry (ms) */
    int totp_enrol_only;       /* that session may only set up TOTP (ermes__totp_enrol_only) */
    /* Work a handler handed to another thread (h_sessions.c: the password check) while the
     * connection is suspended; the handler is called again once it is done. */
    void *deferred;
    void (*deferred_free)(struct ermes__req *req);
    int suspended; /* the handler suspended the connection and will answer later */
    /* The settings in force for this request (ermes__req_cfg), given back when it ends. */
    const ermes__config_t *live_cfg;
} ermes__req_t;

/* What the server shares with the handlers. */
struct ermes__server {
    struct MHD_Daemon *daemon;
    const ermes__config_t *cfg;
    ermes__store_t *store;
    ermes__registry_t *registry;
    uint16_t port;
    struct ermes__intake *intake;
    struct ermes__auth_cache *auth;
    struct ermes__metrics *metrics;
    char *tls_cert_pem, *tls_key_pem;   /* kept while the daemon runs */
    struct ermes__sightings *sightings; /* the matcher of the stored indicators (POST /logs) */
    /* The warninglists in force (src/indicators/warninglists.h), switched at run time by
     * PATCH /api/v1/warninglists/{id}: read under wl_lock's read side, switched under its
     * write side. */
    ermes__wl_catalog_t wl;
    pthread_rwlock_t wl_lock;
    /* The catalog is read when first needed (ermes__server_wl_ready: half a second of JSON
     * that a daemon which adds no indicator never pays), under wl_load_lock. */
    pthread_mutex_t wl_load_lock;
    int wl_loaded;
    /* DATA_DIR/warninglists/ as it was when the catalog was read (ermes__wl_dir_stamp): the
     * daemon's loop reloads the catalog when it changes (ermes__server_wl_reload), under
     * wl_load_lock. */
    uint64_t wl_stamp;
    uint64_t wl_generation;         /* moves on at every change of the lists in force (atomic) */
    struct ermes__collect *collect; /* the daemon's collectors, NULL when none run */
    int64_t started_ms;             /* when it started: its settings were read then */
    char *web_root;                 /* canonical web_dir, or NULL: the UI built into the binary */
    struct ermes__hunter *hunter;   /* the daemon's retro-hunt, NULL when none runs */
    struct ermes__login_guard *login_guard; /* the login's password checks and counts */
    /* Every open connection (server.c), for the deadlines of request heads and bodies. */
    pthread_mutex_t conns_lock;
    struct ermes__conn_state *conns;
    pthread_t sweeper;
    int sweeper_started;
    int stopping;         /* under conns_lock */
    long untracked_conns; /* connections without a record (out of memory), under conns_lock */
    long live_conns;      /* tracked connections not yet shut down by ermes, under conns_lock */
    pthread_cond_t sweeper_wake;
    /* The TAXII server's rendered pages (page_cache.h), page_cache_max bytes at most (the
     * taxii_page_cache setting, its auto resolved at the start; 0: none kept). */
    struct ermes__page_cache *page_cache;
    size_t page_cache_max;
};

typedef enum MHD_Result (*ermes__handler_fn)(ermes__req_t *req);
/* Receives a piece of a streamed request body; returns 0, or non-zero after recording the
 * failure in req (req->upload_failed) for the final call to report. */
typedef int (*ermes__upload_fn)(ermes__req_t *req, const char *data, size_t n);

#define ERMES_ROUTE_PUBLIC 0x1u  /* no token needed */
#define ERMES_ROUTE_STAFF 0x2u   /* admin or analyst */
#define ERMES_ROUTE_ADMIN 0x4u   /* admin only */
#define ERMES_ROUTE_RAW 0x8u     /* the handler checks the body's type itself */
#define ERMES_ROUTE_SENSOR 0x10u /* a sensor may call it too (sensors may call nothing else) */
#define ERMES_ROUTE_ENROL 0x20u  /* a session that must set up TOTP first may call it */
/* With ERMES_ROUTE_PUBLIC: credentials, when sent, are checked and make req->viewer (the
 * CSAF provider serves more to those who say who they are). */
#define ERMES_ROUTE_OPTAUTH 0x200u

struct ermes__route;
typedef struct ermes__route {
    const char *method;
    const char *pattern; /* "/api/v1/organisations/{ref}" */
    ermes__handler_fn handler;
    unsigned flags;
    ermes__upload_fn upload; /* NULL: the body is buffered (up to max_body) */
} ermes__route_t;

/* The route table (router.c), terminated by a NULL method. */
extern const ermes__route_t ermes__routes[];

/* Finds the route for method and path. Returns the route, or NULL with *path_known set when
 * the path exists for other methods (their names in allow, comma-separated). */
const ermes__route_t *ermes__route_match(const char *method, const char *path, ermes__req_t *req,
                                         int *path_known, char *allow, size_t allow_cap);

/* 1 when viewer v may call route r: a sensor only the routes flagged for it, whatever their
 * other flags; others by ERMES_ROUTE_ADMIN and ERMES_ROUTE_STAFF. */
int ermes__route_allows(const ermes__route_t *r, const ermes__viewer_t *v);

/* ---- replies (reply.c) ----------------------------------------------------------------- */

/* Each queues the response and returns MHD's result. */
enum MHD_Result ermes__reply_json(ermes__req_t *req, unsigned status, json_t *body); /* steals */
enum MHD_Result ermes__reply_bytes(ermes__req_t *req, unsigned status, const char *type,
                                   const void *p, size_t n);
enum MHD_Result ermes__reply_owned(ermes__req_t *req, unsigned status, const char *type, char *p,
                                   size_t n); /* takes p (freed with ermes__free) */
/* Sends the n bytes at p + off and takes p (freed with ermes__free once sent): a body built
 * after room left at the front of its buffer goes out without a copy. */
enum MHD_Result ermes__reply_owned_at(ermes__req_t *req, unsigned status, const char *type, char *p,
                                      size_t off, size_t n);
/* Sends the n bytes at p, shared with others: release(cls) once sent (or at once on failure). */
enum MHD_Result ermes__reply_shared(ermes__req_t *req, unsigned status, const char *type,
                                    const char *p, size_t n, void (*release)(void *), void *cls);
enum MHD_Result ermes__reply_empty(ermes__req_t *req, unsigned status);
/* {"error": {"code", "message", "field"}}. field may be NULL. */
enum MHD_Result ermes__reply_error(ermes__req_t *req, unsigned status, const char *code,
                                   const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Maps an ERMES_E* code and its diagnostic to the right status and body. */
enum MHD_Result ermes__reply_failure(ermes__req_t *req, int err, const ermes_diag_t *d);
/* Queues p (static storage, not copied). */
enum MHD_Result ermes__reply_static(ermes__req_t *req, unsigned status, const char *type,
                                    const void *p, size_t n);
/* The headers every response carries: the Content-Security-Policy, nosniff, no referrer, no
 * framing, and HSTS over HTTPS. For responses made outside these helpers (streams). */
void ermes__reply_secure(ermes__req_t *req, struct MHD_Response *resp);
#define ERMES_CSP                                                                                  \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "             \
    "form-action 'self'"
/* Adds a header to the next reply (Location, Allow...). */
void ermes__reply_header(ermes__req_t *req, const char *name, const char *value);

/* ---- request helpers ------------------------------------------------------------------- */

/* Copies path parameter i (a segment of the URL) into buf; returns 0, or ERMES_ETOOBIG. */
int ermes__param(const ermes__req_t *req, size_t i, char *buf, size_t cap);
/* The settings in force now (the live ones an administrator changed included), the same for
 * the whole request (src/core/config_live.h); srv->cfg has those the daemon started with. */
const ermes__config_t *ermes__req_cfg(ermes__req_t *req);
/* Path parameter i as a positive decimal id ({id} routes); 0 when it is not one. */
int64_t ermes__param_id(const ermes__req_t *req, size_t i);
/* 1 when every {id} of route r's pattern holds a decimal integer that fits int64_t in req's
 * path; else 0 with d naming it (the server answers 400 before the handler runs). */
int ermes__route_ids_valid(const ermes__route_t *r, const ermes__req_t *req, ermes_diag_t *d);

/* A query parameter, or NULL. */
/* A JSON string of s[0..n), meant to be UTF-8 but maybe not (a client's file name, a parser's
 * reason quoting a bad row): each byte that starts no well-formed sequence becomes U+FFFD, so
 * one such value never makes a whole list unanswerable. NULL only when out of memory. */
json_t *ermes__json_text(const char *s, size_t n);
/* ermes__json_text of a NUL-terminated string; JSON null for NULL (or "" when empty_is_null). */
json_t *ermes__json_text_or_null(const char *s, int empty_is_null);
/* ms as an RFC 3339 JSON string in UTC, or JSON null when ms is 0 (never happened). */
json_t *ermes__json_time(int64_t ms);
/* Makes d fit for a JSON error: a byte of its reason or field that is not UTF-8 becomes '?'. */
void ermes__diag_utf8(ermes_diag_t *d);
const char *ermes__query(ermes__req_t *req, const char *name);
/* Parses the JSON body into *out; on failure queues 400/415 and returns MHD's result through
 * *ret and 0. Returns 1 when *out is set. */
int ermes__body_json(ermes__req_t *req, json_t **out, enum MHD_Result *ret);
/* Pagination: reads limit and cursor. On a bad value queues 400 and returns 0. */
int ermes__page(ermes__req_t *req, long *limit, int64_t *cursor, enum MHD_Result *ret);
/* Query parameter name as an integer from min to max (ermes__parse_int64) into *out, left
 * alone when the parameter is absent. Returns 1 to go on; 0 when it is not such a number, with
 * a 400 naming the parameter queued and MHD's result in *ret. */
int ermes__query_int(ermes__req_t *req, const char *name, int64_t min, int64_t max, int64_t *out,
                     enum MHD_Result *ret);
/* The cursor parameter ("c" and the last id seen, as ermes__reply_page gives it out) into
 * *cursor, 0 when absent. Returns 1, or 0 with a 400 queued in *ret. */
int ermes__query_cursor(ermes__req_t *req, int64_t *cursor, enum MHD_Result *ret);
/* The pure parts of the three above, for values already taken from the query (NULL: the
 * parameter is absent), so they can be tested and fuzzed without a connection. Each returns
 * 0, or ERMES_EPARSE / ERMES_ERANGE with d naming the parameter and saying why; the callers
 * above answer that as 400. ermes__query_int_parse leaves *out alone when v is NULL;
 * ermes__cursor_parse sets *cursor to 0 unless it reads one; ermes__page_parse reads limit
 * (default 100, 1 to page_limit) into *limit and then the cursor. */
int ermes__query_int_parse(const char *v, const char *name, int64_t min, int64_t max, int64_t *out,
                           ermes_diag_t *d);
int ermes__cursor_parse(const char *c, int64_t *cursor, ermes_diag_t *d);
int ermes__page_parse(const char *limit_text, const char *cursor_text, int64_t page_limit,
                      long *limit, int64_t *cursor, ermes_diag_t *d);
/* {"data": data, "next_cursor": ...} (steals data). */
enum MHD_Result ermes__reply_page(ermes__req_t *req, json_t *data, int more, int64_t last_id);

/* ---- request bodies, read without the connection (tested and fuzzed on their own) ------- */

/* The tags of an indicator read by ermes__indicator_from_json (its tags point here). */
typedef struct ermes__ind_text {
    char tags[ERMES_INDICATOR_TAGS_MAX];
} ermes__ind_text_t;
/* Reads the members of an indicator object (POST /api/v1/indicators, one object or each of
 * an array's; PATCH /api/v1/indicators/{id}) into ind, strings borrowed from obj, tags into t.
 * partial: a PATCH, where type, value and exact may not appear; *has gets the members present
 * (ERMES_IND_UPD_*). Returns 0 or ERMES_EINVAL with d. */
int ermes__indicator_from_json(const json_t *obj, int partial, ermes_indicator_t *ind,
                               ermes__ind_text_t *t, unsigned *has, ermes_diag_t *d);
/* The body of POST /api/v1/tokens but its "user" (which needs the store): *desc (borrowed)
 * and *days, each left alone when absent. Returns 0 or ERMES_EINVAL with d (422). */
int ermes__token_body_read(const json_t *body, const char **desc, long *days, ermes_diag_t *d);
/* The body of POST /api/v1/sessions: 0 when it has a username and a password and second
 * factors that are strings or null, else ERMES_EINVAL with d naming the member (422). */
int ermes__login_body_check(const json_t *body, ermes_diag_t *d);
struct ermes__login_job;
/* Copies the credentials of a body ermes__login_body_check accepted into job: the name cut
 * to its field, a password too long or with a NUL inside as "" (a wrong one). */
void ermes__login_body_read(const json_t *body, struct ermes__login_job *job);

/* The body of POST /api/v1/users and PATCH /api/v1/users/{id} but what needs the store:
 * only known members; name (when creating), role, org (as sent: a short name or an id, still
 * to resolve), disabled and password (borrowed from body) checked for their types and forms.
 * Returns 0 or ERMES_EINVAL with d naming the member. */
typedef struct ermes__user_body {
    const char *name;     /* creating only */
    const char *password; /* NULL when absent */
    ermes__role_t role;
    int has_role, has_org, has_disabled, disabled;
    char org[40]; /* a short name (1-32 bytes) or an id; longer is refused, never cut */
} ermes__user_body_t;
int ermes__user_body_read(const json_t *body, int creating, ermes__user_body_t *ub,
                          ermes_diag_t *d);
/* The body of POST /api/v1/retrohunts: nothing, {} or {"indicators": [ids]}, 1 to
 * ERMES_RETROHUNT_MAX_IDS ids > 0. *ids (malloc'd, NULL when none) and *n. Returns 0,
 * ERMES_ENOMEM, or ERMES_EINVAL with d. */
int ermes__retrohunt_body_read(const json_t *body, int64_t **ids, size_t *n, ermes_diag_t *d);
/* The body of the TOTP routes: {"<member>": "<string>"}; *value borrowed. Returns 0 or
 * ERMES_EINVAL with d naming the member. */
int ermes__string_member_read(const json_t *body, const char *member, const char **value,
                              ermes_diag_t *d);

/* {"min_length", "max_length"}: the password rule, in /me and the session (h_system.c). */
json_t *ermes__password_rule_json(void);

/* Reads the warninglists in force the first time it is called (later calls return at once).
 * Returns 0, or the error that kept them from loading (logged; called again, it retries). */
int ermes__server_wl_ready(ermes__server_t *srv);
/* The lists in force changed (a switch, a reload): the matcher checks every stored indicator
 * against them again at its next rebuild. */
void ermes__server_wl_changed(ermes__server_t *srv);

/* ---- handlers -------------------------------------------------------------------------- */

enum MHD_Result ermes__h_healthz(ermes__req_t *req);
enum MHD_Result ermes__h_metrics(ermes__req_t *req);
enum MHD_Result ermes__h_openapi(ermes__req_t *req);
enum MHD_Result ermes__h_me(ermes__req_t *req);
enum MHD_Result ermes__h_org_list(ermes__req_t *req);
enum MHD_Result ermes__h_org_create(ermes__req_t *req);
enum MHD_Result ermes__h_org_get(ermes__req_t *req);
enum MHD_Result ermes__h_org_update(ermes__req_t *req);
enum MHD_Result ermes__h_org_delete(ermes__req_t *req);
enum MHD_Result ermes__h_org_import(ermes__req_t *req);
enum MHD_Result ermes__h_org_export(ermes__req_t *req);
enum MHD_Result ermes__h_lookup(ermes__req_t *req);
enum MHD_Result ermes__h_user_list(ermes__req_t *req);
enum MHD_Result ermes__h_user_create(ermes__req_t *req);
enum MHD_Result ermes__h_user_get(ermes__req_t *req);
enum MHD_Result ermes__h_user_update(ermes__req_t *req);
enum MHD_Result ermes__h_token_list(ermes__req_t *req);
enum MHD_Result ermes__h_token_create(ermes__req_t *req);
enum MHD_Result ermes__h_token_revoke(ermes__req_t *req);
enum MHD_Result ermes__h_audit_list(ermes__req_t *req);
enum MHD_Result ermes__h_report_create(ermes__req_t *req);
int ermes__h_report_upload(ermes__req_t *req, const char *data, size_t n);
enum MHD_Result ermes__h_report_list(ermes__req_t *req);
enum MHD_Result ermes__h_report_get(ermes__req_t *req);
enum MHD_Result ermes__h_event_list(ermes__req_t *req);
enum MHD_Result ermes__h_event_count(ermes__req_t *req);
enum MHD_Result ermes__h_event_get(ermes__req_t *req);
enum MHD_Result ermes__h_quarantine_list(ermes__req_t *req);
enum MHD_Result ermes__h_quarantine_retry(ermes__req_t *req);
enum MHD_Result ermes__h_quarantine_dismiss(ermes__req_t *req);
/* The JSON body of POST /api/v1/quarantine/{id}/retry (dismiss 0: an optional "raw", the
 * corrected row, one line) or .../dismiss (dismiss 1: "reason", required). *text and *len
 * borrow from body (NULL, 0 when absent). ERMES_EINVAL with the field in d. */
int ermes__quarantine_body_read(const json_t *body, int dismiss, const char **text, size_t *len,
                                ermes_diag_t *d);
enum MHD_Result ermes__h_feed_list(ermes__req_t *req);
enum MHD_Result ermes__h_notification_list(ermes__req_t *req);
enum MHD_Result ermes__h_notification_get(ermes__req_t *req);
enum MHD_Result ermes__h_notification_send(ermes__req_t *req);
enum MHD_Result ermes__h_notification_run(ermes__req_t *req);
enum MHD_Result ermes__h_notification_update(ermes__req_t *req);
enum MHD_Result ermes__h_notification_approve(ermes__req_t *req);
enum MHD_Result ermes__h_notification_hold(ermes__req_t *req);
enum MHD_Result ermes__h_notification_cancel(ermes__req_t *req);
enum MHD_Result ermes__h_notification_review(ermes__req_t *req);
enum MHD_Result ermes__h_notify_policy_list(ermes__req_t *req);
enum MHD_Result ermes__h_notify_policy_create(ermes__req_t *req);
enum MHD_Result ermes__h_notify_policy_delete(ermes__req_t *req);
/* Per-constituent notification preferences (h_notify_prefs.c). */
enum MHD_Result ermes__h_notify_prefs_get(ermes__req_t *req);
enum MHD_Result ermes__h_notify_prefs_put(ermes__req_t *req);
/* The SLA policies and business-hour calendars (h_sla_policies.c, h_calendars.c). */
enum MHD_Result ermes__h_sla_policy_list(ermes__req_t *req);
enum MHD_Result ermes__h_sla_policy_put(ermes__req_t *req);
enum MHD_Result ermes__h_calendar_list(ermes__req_t *req);
enum MHD_Result ermes__h_calendar_put(ermes__req_t *req);
enum MHD_Result ermes__h_notify_keys(ermes__req_t *req);
enum MHD_Result ermes__h_classifications(ermes__req_t *req);
enum MHD_Result ermes__h_settings(ermes__req_t *req);
enum MHD_Result ermes__h_setting_put(ermes__req_t *req);
enum MHD_Result ermes__h_setting_delete(ermes__req_t *req);
/* h_templates.c: /api/v1/templates, and the notification and advisory template routes as views
 * of it. */
enum MHD_Result ermes__h_template_list(ermes__req_t *req);
enum MHD_Result ermes__h_template_get(ermes__req_t *req);
enum MHD_Result ermes__h_template_put(ermes__req_t *req);
enum MHD_Result ermes__h_template_delete(ermes__req_t *req);
enum MHD_Result ermes__h_template_preview(ermes__req_t *req);
enum MHD_Result ermes__h_notify_template_list(ermes__req_t *req);
enum MHD_Result ermes__h_notify_template_get(ermes__req_t *req);
enum MHD_Result ermes__h_notify_template_put(ermes__req_t *req);
enum MHD_Result ermes__h_notify_template_delete(ermes__req_t *req);
enum MHD_Result ermes__h_notify_template_preview(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_template_list(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_template_get(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_template_put(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_template_delete(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_template_preview(ermes__req_t *req);
enum MHD_Result ermes__h_indicator_list(ermes__req_t *req);
enum MHD_Result ermes__h_indicator_create(ermes__req_t *req);
enum MHD_Result ermes__h_indicator_get(ermes__req_t *req);
enum MHD_Result ermes__h_indicator_update(ermes__req_t *req);
enum MHD_Result ermes__h_indicator_delete(ermes__req_t *req);
enum MHD_Result ermes__h_warninglist_list(ermes__req_t *req);
enum MHD_Result ermes__h_warninglist_get(ermes__req_t *req);
enum MHD_Result ermes__h_warninglist_update(ermes__req_t *req);
enum MHD_Result ermes__h_vuln_list(ermes__req_t *req);
enum MHD_Result ermes__h_vuln_get(ermes__req_t *req);
enum MHD_Result ermes__h_vuln_sources(ermes__req_t *req);
enum MHD_Result ermes__h_asset_list(ermes__req_t *req);
enum MHD_Result ermes__h_asset_create(ermes__req_t *req);
enum MHD_Result ermes__h_asset_get(ermes__req_t *req);
enum MHD_Result ermes__h_asset_update(ermes__req_t *req);
enum MHD_Result ermes__h_asset_delete(ermes__req_t *req);
enum MHD_Result ermes__h_asset_vuln_set(ermes__req_t *req);
enum MHD_Result ermes__h_indicator_sightings(ermes__req_t *req);
enum MHD_Result ermes__h_stix_import(ermes__req_t *req);
enum MHD_Result ermes__h_stix_export(ermes__req_t *req);
/* h_stix_recipients.c */
enum MHD_Result ermes__h_stix_recipients_get(ermes__req_t *req);
enum MHD_Result ermes__h_stix_recipients_patch(ermes__req_t *req);
enum MHD_Result ermes__h_sharing_group_list(ermes__req_t *req);
enum MHD_Result ermes__h_sharing_group_create(ermes__req_t *req);
enum MHD_Result ermes__h_sharing_group_get(ermes__req_t *req);
enum MHD_Result ermes__h_sharing_group_delete(ermes__req_t *req);
enum MHD_Result ermes__h_correlations(ermes__req_t *req);
enum MHD_Result ermes__h_misp_feed(ermes__req_t *req);
enum MHD_Result ermes__h_peer_list(ermes__req_t *req);
enum MHD_Result ermes__h_peer_create(ermes__req_t *req);
enum MHD_Result ermes__h_peer_get(ermes__req_t *req);
enum MHD_Result ermes__h_peer_update(ermes__req_t *req);
enum MHD_Result ermes__h_peer_delete(ermes__req_t *req);
enum MHD_Result ermes__h_peer_sync(ermes__req_t *req);
/* 1 if header names TAXII 2.1's media type: an Accept header (accept = 1: any of its media
 * ranges, wildcards included; none at all is fine) or a Content-Type (accept = 0). */
int ermes__taxii_media_ok(const char *header, int accept);
enum MHD_Result ermes__h_taxii_discovery(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_root(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_status(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_collections(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_collection(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_objects(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_add(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_manifest(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_object(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_object_delete(ermes__req_t *req);
enum MHD_Result ermes__h_taxii_versions(ermes__req_t *req);
enum MHD_Result ermes__h_misp_import(ermes__req_t *req);
enum MHD_Result ermes__h_misp_export(ermes__req_t *req);
/* The sightings list answer, of one indicator or (indicator_id 0) of all the viewer may see. */
enum MHD_Result ermes__sightings_reply(ermes__req_t *req, int64_t indicator_id);
enum MHD_Result ermes__h_sighting_list(ermes__req_t *req);
/* The recipients member of PATCH /api/v1/sightings/{id} (list, borrowed): the organisations the
 * sighting is given to (TLP 2.0 named recipients) replaced; *names: them now, by short name
 * (new reference). 1; 0 when it replied itself (422 recipients, 404), *ret set. */
int ermes__sighting_recipients_patch(ermes__req_t *req, int64_t id, const json_t *list,
                                     json_t **names, enum MHD_Result *ret);
enum MHD_Result ermes__h_log_submit(ermes__req_t *req);
enum MHD_Result ermes__h_collector_list(ermes__req_t *req);
enum MHD_Result ermes__h_collector_run(ermes__req_t *req);
enum MHD_Result ermes__h_collector_presets(ermes__req_t *req);
/* Collectors stored in the database (h_collector_edit.c). */
enum MHD_Result ermes__h_collector_create(ermes__req_t *req);
enum MHD_Result ermes__h_collector_update(ermes__req_t *req);
enum MHD_Result ermes__h_collector_delete(ermes__req_t *req);
/* The stored collector name as GET /api/v1/collectors shows it, with status. */
enum MHD_Result ermes__h_collector_reply(ermes__req_t *req, unsigned status, const char *name);
enum MHD_Result ermes__h_retrohunt_list(ermes__req_t *req);
enum MHD_Result ermes__h_retrohunt_create(ermes__req_t *req);
enum MHD_Result ermes__h_retrohunt_get(ermes__req_t *req);
enum MHD_Result ermes__h_retrohunt_cancel(ermes__req_t *req);
/* Mail in (h_mail.c, h_incident_reports.c). */
enum MHD_Result ermes__h_mail_create(ermes__req_t *req);
enum MHD_Result ermes__h_mail_list(ermes__req_t *req);
enum MHD_Result ermes__h_mail_get(ermes__req_t *req);
enum MHD_Result ermes__h_mail_raw(ermes__req_t *req);
enum MHD_Result ermes__h_notification_correspondence(ermes__req_t *req);
enum MHD_Result ermes__h_incident_report_list(ermes__req_t *req);
enum MHD_Result ermes__h_incident_report_get(ermes__req_t *req);
enum MHD_Result ermes__h_incident_report_create(ermes__req_t *req);
/* Incident rules (h_incident_rules.c). */
enum MHD_Result ermes__h_incident_rule_list(ermes__req_t *req);
enum MHD_Result ermes__h_incident_rule_create(ermes__req_t *req);
enum MHD_Result ermes__h_incident_rule_update(ermes__req_t *req);
enum MHD_Result ermes__h_incident_rule_delete(ermes__req_t *req);

/* ---- incidents (h_incidents.c) and triage (h_triage.c) ----------------------------------- */

enum MHD_Result ermes__h_incident_list(ermes__req_t *req);
enum MHD_Result ermes__h_incident_create(ermes__req_t *req);
enum MHD_Result ermes__h_incident_metrics(ermes__req_t *req);
enum MHD_Result ermes__h_incident_get(ermes__req_t *req);
enum MHD_Result ermes__h_incident_update(ermes__req_t *req);
enum MHD_Result ermes__h_incident_merge(ermes__req_t *req);
enum MHD_Result ermes__h_incident_timeline(ermes__req_t *req);
enum MHD_Result ermes__h_incident_comment(ermes__req_t *req);
enum MHD_Result ermes__h_incident_tasks(ermes__req_t *req);
enum MHD_Result ermes__h_incident_task_add(ermes__req_t *req);
enum MHD_Result ermes__h_incident_task_update(ermes__req_t *req);
enum MHD_Result ermes__h_incident_links(ermes__req_t *req);
enum MHD_Result ermes__h_incident_link_add(ermes__req_t *req);
enum MHD_Result ermes__h_incident_observables(ermes__req_t *req);
enum MHD_Result ermes__h_incident_observable_add(ermes__req_t *req);
enum MHD_Result ermes__h_incident_templates(ermes__req_t *req);
/* Coordination: writing to constituents from an incident (h_incident_messages.c). */
enum MHD_Result ermes__h_incident_write(ermes__req_t *req);
enum MHD_Result ermes__h_incident_correspondence(ermes__req_t *req);
/* Attachments of incidents (h_incident_attachments.c). */
enum MHD_Result ermes__h_incident_attachment_add(ermes__req_t *req);
enum MHD_Result ermes__h_incident_attachments(ermes__req_t *req);
enum MHD_Result ermes__h_incident_attachment_get(ermes__req_t *req);
enum MHD_Result ermes__h_triage(ermes__req_t *req);
enum MHD_Result ermes__h_event_triage(ermes__req_t *req);
enum MHD_Result ermes__h_sighting_triage(ermes__req_t *req);

/* ---- the web UI (static.c) and browser sessions (h_sessions.c) ------------------------- */

/* Answers a GET or HEAD of the UI (ermes__static_is_ui_path). */
enum MHD_Result ermes__static_serve(ermes__req_t *req);
/* Canonicalises web_dir into *root (NULL when unset; caller frees). ERMES_ECONFIG when it is
 * not a directory. */
int ermes__static_open(const char *web_dir, char **root, ermes_diag_t *d);

#define ERMES_SESSION_COOKIE "ermes__session"
enum MHD_Result ermes__h_session_create(ermes__req_t *req);
enum MHD_Result ermes__h_session_current(ermes__req_t *req);
enum MHD_Result ermes__h_session_delete(ermes__req_t *req);
enum MHD_Result ermes__h_user_password(ermes__req_t *req);

/* ---- second factor (h_totp.c) ------------------------------------------------------------ */

/* 1 when u, signed in by a session, may do nothing but set up TOTP: totp_required is on, u is
 * an admin or analyst, and has no TOTP yet. Such a session reaches ERMES_ROUTE_ENROL routes
 * only. */
int ermes__totp_enrol_only(const ermes__config_t *cfg, const ermes__user_t *u);
enum MHD_Result ermes__h_user_totp_begin(ermes__req_t *req);
enum MHD_Result ermes__h_user_totp_confirm(ermes__req_t *req);
enum MHD_Result ermes__h_user_totp_delete(ermes__req_t *req);
enum MHD_Result ermes__h_stats(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_validate(ermes__req_t *req);
/* Credentials for other CSAF providers (h_csaf_credentials.c). */
enum MHD_Result ermes__h_csaf_cred_list(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_cred_set(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_cred_delete(ermes__req_t *req);
/* The CSAF schema and CVSS scores for the advisory editor (h_csaf_schema.c, h_cvss.c). */
enum MHD_Result ermes__h_csaf_schema(ermes__req_t *req);
enum MHD_Result ermes__h_cvss(ermes__req_t *req);
/* One vector scored as `ermes cvss --json` prints it, in *out (new reference); ERMES_EPARSE
 * with the reason in d when it is not a vector. */
int ermes__cvss_json(const char *vector, size_t len, json_t **out, ermes_diag_t *d);
/* CSAF advisories (h_advisories.c). */
enum MHD_Result ermes__h_advisory_list(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_create(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_get(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_update(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_submit(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_reject(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_approve(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_publish(ermes__req_t *req);
/* Explicit links of an advisory to incidents and indicators (src/advisories/links.h). */
enum MHD_Result ermes__h_advisory_link_add(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_link_remove(ermes__req_t *req);
/* h_advisory_warnings.c */
enum MHD_Result ermes__h_advisory_warnings(ermes__req_t *req);
/* Published revisions of an advisory and their diff (h_advisory_revisions.c). */
enum MHD_Result ermes__h_advisory_revision_list(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_revision_get(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_diff(ermes__req_t *req);
/* Advisories for people: HTML, text, Atom (h_advisory_pages.c). */
enum MHD_Result ermes__h_advisory_html(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_text(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_feed(ermes__req_t *req);
enum MHD_Result ermes__h_advisory_public(ermes__req_t *req);
/* The CSAF provider's public directory (h_csaf_provider.c). */
enum MHD_Result ermes__h_csaf_provider_metadata(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_index(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_changes(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_file(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_tlp_file(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_service(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_openpgp(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_root(ermes__req_t *req);
enum MHD_Result ermes__h_csaf_dir(ermes__req_t *req);
enum MHD_Result ermes__h_security_txt(ermes__req_t *req);
/* The stale-feed rule of /api/v1/stats, on a feed's latest report times (ms, newest first):
 * stale when the newest is older than factor times the median interval between them, and
 * than a day. Needs 3 reports at least; the median (ms) into *usual. */
#define ERMES_STALE_SAMPLES 10
int ermes__feed_stale(const int64_t *times, size_t n, int64_t now, long factor, int64_t *usual);

/* ---- authentication cache (auth.c) ------------------------------------------------------ */

struct ermes__auth_cache;
int ermes__auth_cache_new(struct ermes__auth_cache **out);
void ermes__auth_cache_free(struct ermes__auth_cache *c);
/* Authenticates a bearer token, from the cache when fresh (entries live 2 s, so a change made
 * by another process is seen within that; revocation through this daemon is immediate). */
int ermes__auth_token(ermes__server_t *srv, const char *secret, size_t len, ermes__user_t *u,
                      ermes_diag_t *d);
/* Drops every cached entry (after a revocation, a role change, a disabled user). */
void ermes__auth_cache_clear(struct ermes__auth_cache *c);

/* ---- metrics (metrics.c) ---------------------------------------------------------------- */

struct ermes__metrics;
int ermes__metrics_new(struct ermes__metrics **out);
void ermes__metrics_free(struct ermes__metrics *m);
void ermes__metrics_request(struct ermes__metrics *m, const char *method, unsigned status,
                            int64_t duration_ns);
void ermes__metrics_connection(struct ermes__metrics *m, int delta);
int ermes__metrics_render(ermes__server_t *srv, ermes__strbuf_t *out);

#endif
