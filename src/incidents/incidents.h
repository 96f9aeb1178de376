/* Incidents: what the API and the CLI do with them, the same for both. Each call is one write
 * transaction on behalf of a viewer: it checks what the viewer may do, changes the incident,
 * appends to its timeline (every change, with actor and time), keeps the milestones the metrics
 * read and the next deadline the queue filters on, and writes the audit log.
 *
 * Clocks (clock.h) come from the incident's SLA policy (per severity, and per constituent
 * where one is set), the constituent's business-hour calendar, the pauses spent waiting on the
 * constituent, and the NIS2 article 23 moments. */
#ifndef ERMES_INCIDENTS_INCIDENTS_H
#define ERMES_INCIDENTS_INCIDENTS_H

#include <jansson.h>

#include "incidents/clock.h"
#include "model/incident.h"
#include "store/store.h"

/* How long before a deadline it is "due soon" (the daemon's warning, the queue's filter). */
#define ERMES_INCIDENT_WARN_MS (2 * ERMES_CLOCK_HOUR_MS)

/* 0 when class (and type, when not NULL or "") are a class and one of its types of the RSIT
 * taxonomy (data/incidents/rsit.json, built in); ERMES_EINVAL with d naming the member. A type
 * without a class is refused. */
int ermes__rsit_check(const char *rsit_class, const char *rsit_type, ermes_diag_t *d);
/* The RSIT taxonomy itself (MISP taxonomy format: "predicates" the classes, "values" their
 * types with "expanded" names and descriptions), borrowed; NULL if it did not load. */
const json_t *ermes__rsit_taxonomy(void);
/* The built-in template of that name (data/incidents/templates.json), borrowed; NULL if none. */
const json_t *ermes__incident_template(const char *name);
/* Every template, borrowed (the "templates" array). */
const json_t *ermes__incident_templates(void);

/* The deadlines of an incident at now: each with its name, due time (0: paused or not
 * applicable), done time and state. */
#define ERMES_INCIDENT_CLOCKS 7
typedef struct ermes__incident_deadline {
    const char *name; /* first_response, containment, resolution, nis2_early_warning,
                       * nis2_notification, nis2_final_report, csirt_feedback */
    int64_t due, done;
    int applies;
    int business_hours;
} ermes__incident_deadline_t;
int ermes__incident_deadlines(ermes__store_t *st, const ermes__incident_t *inc,
                              ermes__incident_deadline_t out[ERMES_INCIDENT_CLOCKS]);
/* The parts of it: the policy of a severity for a constituent with the calendar it counts in
 * (*has 0 when no policy applies; cal is then calendar time), and the deadlines of inc under
 * pol (NULL: none) and cal, which reads nothing (metrics.c keeps policies for many incidents). */
int ermes__incident_policy(ermes__store_t *st, const char *severity, int64_t org_id,
                           ermes__sla_policy_t *pol, ermes__calendar_t *cal, int *has);
void ermes__incident_deadlines_by(const ermes__incident_t *inc, const ermes__sla_policy_t *pol,
                                  const ermes__calendar_t *cal,
                                  ermes__incident_deadline_t out[ERMES_INCIDENT_CLOCKS]);
/* The business-hour calendar of constituent org_id (its own, else the default one; calendar
 * time when neither is set), whatever its SLA policies say: what the business-hour durations count
 * in (measure.c). */
int ermes__incident_calendar(ermes__store_t *st, int64_t org_id, ermes__calendar_t *cal);

/* POST /api/v1/incidents and `ermes incidents create`: a new incident from body (model/
 * incident.h's members; "template" brings that template's classification, severity, tasks and
 * fields). *id gets its id. ERMES_EINVAL with d. */
int ermes__incident_create(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                           int64_t *id, ermes_diag_t *d);
/* PATCH /api/v1/incidents/{id} and `ermes incidents update|close`: the members of body.
 * ERMES_ECONFLICT for a status the lifecycle does not allow from the current one (d says which
 * way it may go), for closing with mandatory tasks not done, for changing a merged incident;
 * ERMES_EINVAL for a bad member; ERMES_ENOTFOUND. */
int ermes__incident_update(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                           const json_t *body, ermes_diag_t *d);
/* The constituent org_id answered a message of incident id by e-mail (who: the sender): an
 * incident waiting on the constituent goes back to in_progress (its clocks run again), as it
 * does when the constituent comments from its portal. Nothing for an incident in another
 * status, merged or gone. */
int ermes__incident_answered(ermes__store_t *st, int64_t id, int64_t org_id, const char *who);
/* Merges incident id into incident into: links, observables and constituents move to into,
 * id is closed and points to into; both timelines say so. ERMES_ECONFLICT for an incident into
 * itself or into a merged one. */
int ermes__incident_merge(ermes__store_t *st, const ermes__viewer_t *v, int64_t id, int64_t into,
                          ermes_diag_t *d);
/* A comment on the timeline. A constituent's is always public (the CERT's people see it) and,
 * while the incident waits on the constituent, it is the answer: the incident goes back to
 * in_progress. Staff comments are internal unless public. */
int ermes__incident_comment(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                            const char *text, int public_, ermes_diag_t *d);
/* Links object (kind, object_id) to incident id; the constituent the object concerns joins
 * the affected ones. *added 0 when it was linked already. */
int ermes__incident_link(ermes__store_t *st, const ermes__viewer_t *v, int64_t id, const char *kind,
                         int64_t object_id, int *added, ermes_diag_t *d);
/* Tasks: body {"title", "owner", "due_at", "mandatory", "done"}. */
int ermes__incident_task_add(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                             const json_t *body, int64_t *task_id, ermes_diag_t *d);
int ermes__incident_task_update(ermes__store_t *st, const ermes__viewer_t *v, int64_t task_id,
                                const json_t *body, int64_t *incident_id, ermes_diag_t *d);
/* Observables: body {"type", "value", "ioc", "sighted", "tlp"}; adding one that is there
 * sets its flags. */
int ermes__incident_observable_add(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                                   const json_t *body, ermes_diag_t *d);

/* The incident as v may see it: for a constituent, no other constituent's name, no assignee
 * or team. now for the clocks' states. NULL when out of memory. */
json_t *ermes__incident_to_json(ermes__store_t *st, const ermes__viewer_t *v,
                                const ermes__incident_t *inc, int64_t now);
/* A page of incidents incs[0..n) (n <= ERMES__INCIDENT_BATCH) as ermes__incident_to_json
 * makes each, appended to the array out, in a fixed number of statements: their constituents,
 * the SLA policies and calendars their clocks need, each read for the whole page at once. */
int ermes__incident_page_json(ermes__store_t *st, const ermes__viewer_t *v,
                              const ermes__incident_t *incs, size_t n, int64_t now, json_t *out);
/* Incidents as a list walks them (ermes__store_incident_each's callback), made JSON a page of
 * ERMES__INCIDENT_BATCH at a time into out: add copies each (the callback's row is the
 * store's), flush makes the rest; free releases the copies (not out). */
typedef struct ermes__incident_pager {
    ermes__store_t *st;
    const ermes__viewer_t *v;
    int64_t now;
    json_t *out;
    ermes__incident_t *buf; /* ERMES__INCIDENT_BATCH, allocated by the first add */
    size_t n;
} ermes__incident_pager_t;
int ermes__incident_pager_add(ermes__incident_pager_t *p, const ermes__incident_t *inc);
int ermes__incident_pager_flush(ermes__incident_pager_t *p);
void ermes__incident_pager_free(ermes__incident_pager_t *p);
json_t *ermes__incident_task_to_json(const ermes__incident_task_t *t);
json_t *ermes__incident_timeline_to_json(const ermes__timeline_entry_t *e);
json_t *ermes__incident_observable_to_json(const ermes__incident_observable_t *o);

/* POST /api/v1/triage and `ermes incidents triage`: body {"events": [ids], "sightings": [ids],
 * "reports": [ids] (incident reports of the mail intake: no state, they open or join an
 * incident), "state", "note", "allowlist": true (false-positive sightings' values join the
 * allow-list), "incident": id (link them to it) or "open_incident": {an incident body} (open
 * one with them)}. *result: {"events", "sightings", "reports", "allowlisted": counts,
 * "incident": id|null}. */
int ermes__triage_apply(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                        json_t **result, ermes_diag_t *d);

/* The daemon's warnings: every open incident with a deadline due within lead_ms of now (or
 * past) gets one timeline entry "warning" per deadline, once; *n counts them. With mail, each
 * warning is also queued as an e-mail (incident_warning_mails, sent by
 * ermes__incidents_warn_mail_send) to the assignee when the assignee's user name is an e-mail
 * address, else to team_to (NULL or "": none). */
int ermes__incidents_warn(ermes__store_t *st, int64_t now, int64_t lead_ms, int mail,
                          const char *team_to, size_t *n);
/* Sends the queued warning e-mails due at now (at most a batch per call) through o's SMTP
 * server (nothing without smtp_url), recording each attempt: sent, retried with the
 * notifications' backoff, failed after max_attempts or a permanent refusal. The caller holds
 * the lease "incident-warnings". *sent and *failed count this call's outcomes. */
struct ermes__notify_options;
struct ermes_strbuf;
int ermes__incidents_warn_mail_send(ermes__store_t *st, const struct ermes__notify_options *o,
                                    int64_t now, size_t *sent, size_t *failed);
/* The message of warning m about inc (due: the deadline's due time), dated now, into out. */
int ermes__incidents_warn_mail_build(const struct ermes__notify_options *o,
                                     const ermes__warning_mail_t *m, const ermes__incident_t *inc,
                                     int64_t due, int64_t now, struct ermes_strbuf *out);
/* The bodies of PUT /api/v1/sla-policies/{severity} (every target in whole minutes, 1 to
 * ERMES_SLA_MAX_MINUTES, response and containment not after resolution; business_hours
 * optional) and PUT /api/v1/calendars/{ref} (any of days, hours, utc_offset_minutes, holidays
 * over what row holds; the holidays' dates and the whole calendar are checked by the caller
 * with clock.h). ERMES_EINVAL with d naming the member (sla_input.c). */
#define ERMES_SLA_MAX_MINUTES 525600
extern const char *const ermes__calendar_day_names[7]; /* "mon" ... "sun" */
int ermes__sla_policy_body_read(const json_t *body, ermes__sla_policy_t *p, ermes_diag_t *d);
int ermes__calendar_body_read(const json_t *body, ermes__calendar_row_t *row, ermes_diag_t *d);
/* The daemon's default lead of the warnings (the incident_warn_before setting). */
#define ERMES_INCIDENT_WARN_BEFORE_S (4 * 3600)

/* Reaction-time metrics (metrics.c) over the incidents created in [from, to) (ms) that v may
 * see: per period ("day", "month", "year" or "all") and per "constituent", "rsit_class",
 * "both" or "none": count, median and 90th percentile (seconds) of time to acknowledge,
 * triage, notify, contain and resolve, and the SLA compliance of each target, at now. *out:
 * a JSON object (csv 0) or CSV text (csv 1, cells that a spreadsheet would read as formulas
 * quoted), caller frees with json_decref or ermes__free. */
int ermes__incident_metrics(ermes__store_t *st, const ermes__viewer_t *v, int64_t from, int64_t to,
                            const char *period, const char *by, int64_t now, json_t **json,
                            char **csv, ermes_diag_t *d);
/* The same with the durations counted on basis "wall" (wall-clock time, what
 * ermes__incident_metrics counts) or "business" (business hours of each incident's
 * constituent's calendar, the time waiting on the constituent left out; migration 63); the
 * SLA compliance is the same on both. ERMES_EINVAL with d naming "basis" for another. */
int ermes__incident_metrics_on(ermes__store_t *st, const ermes__viewer_t *v, int64_t from,
                               int64_t to, const char *period, const char *by, const char *basis,
                               int64_t now, json_t **json, char **csv, ermes_diag_t *d);

/* The measures the metrics read (measure.c), kept in the incident's row: the definition from
 * inc's milestones and deadlines dl (ermes__incident_deadlines_by), which reads nothing; the
 * state an SLA target kept as `kept` has at now; writing inc's measures (its deadlines read
 * with its policy, or given as dl) in the caller's transaction, which every change of an
 * incident that may reach a milestone does (incidents.c's next_due, coordinate.c); and
 * measuring the incidents not measured yet (stored before migration 49, or whose policy or
 * calendar changed), at most limit of them (0: all), a transaction per thousand, *n how many
 * (may be NULL). */
void ermes__incident_measures_by(const ermes__incident_t *inc,
                                 const ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS],
                                 const ermes__calendar_t *cal, ermes__incident_measures_t *m);
ermes__deadline_state_t ermes__incident_sla_state(int64_t kept, int64_t now);
int ermes__incident_measure_with(ermes__store_t *st, const ermes__incident_t *inc,
                                 const ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS]);
int ermes__incident_measure(ermes__store_t *st, const ermes__incident_t *inc);
int ermes__incident_measure_pending(ermes__store_t *st, int64_t limit, int64_t *n);

/* ---- coordination (coordinate.c) ------------------------------------------------------ */

struct ermes__notify_options;
struct ermes__notification;

/* Limits of a message written from an incident. */
#define ERMES_INCIDENT_SUBJECT_MAX 200
#define ERMES_INCIDENT_MESSAGE_MAX (64 * 1024)

/* POST /api/v1/incidents/{id}/messages and `ermes incidents write`: body {"subject", "body",
 * and whom: "to": [organisation ids or short names], or "all": true (every constituent the
 * incident concerns), or "reply_to": a reference of a message written from this incident
 * (reply to all: every constituent of that writing)}. One notification per constituent (its
 * contacts for the incident's kind of issue; its own reference), delivered by the notify
 * machinery (o: review default, mail_from, signature); each linked to the incident and on its
 * timeline. *result: {"incident", "round", "messages": [...], "skipped": [{"org", "reason"}]}.
 * ERMES_EINVAL with d naming the member; ERMES_ECONFLICT for a TLP:RED or merged incident. */
int ermes__incident_write(ermes__store_t *st, const ermes__viewer_t *v,
                          const struct ermes__notify_options *o, int64_t id, const json_t *body,
                          json_t **result, ermes_diag_t *d);
/* Reads and checks such a body (everything ermes__incident_write checks without the store):
 * subject one line, body text without control characters but line ends and tabs, to 1 to 64
 * ids or names, exactly one of to, all, reply_to; nothing else. Out-params borrow from body.
 * ERMES_EINVAL with d naming the member. */
int ermes__incident_message_read(const json_t *body, const char **subject, const char **text,
                                 const json_t **to, int *all, const char **reply_to,
                                 ermes_diag_t *d);
/* GET /api/v1/incidents/{id}/correspondence: every notification linked to the incident with
 * each recipient's state (pending, sent, failed, acknowledged, replied) and the answers
 * threaded onto it. */
int ermes__incident_correspondence(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                                   json_t **out);
/* 1 (and *incident_id) when notification n was written from an incident. */
int ermes__incident_message_of(const struct ermes__notification *n, int64_t *incident_id);
/* Appends what happened to such a message (state: sent, failed, acknowledged, replied; who:
 * the answer's sender, may be NULL) to its incident's timeline; 0 and nothing for another
 * notification. */
int ermes__incident_message_event(ermes__store_t *st, const struct ermes__notification *n,
                                  const char *state, const char *who);

#endif
