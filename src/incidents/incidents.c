/* Incidents as the API and the CLI work on them (incidents.h): the lifecycle, the timeline,
 * the milestones, the clocks, links, tasks, observables, merging and triage. */
#include "incidents/incidents.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/time.h"
#include "notify/notify.h"

/* ---- the built-in taxonomy and templates ------------------------------------------------ */

extern const unsigned char ermes__rsit_json[];
extern const size_t ermes__rsit_json_len;
extern const unsigned char ermes__incident_templates_json[];
extern const size_t ermes__incident_templates_json_len;

static pthread_once_t data_once = PTHREAD_ONCE_INIT;
static json_t *rsit, *templates;

static void load_data(void)
{
    json_error_t e;

    rsit = json_loadb((const char *)ermes__rsit_json, ermes__rsit_json_len, 0, &e);
    templates = json_loadb((const char *)ermes__incident_templates_json,
                           ermes__incident_templates_json_len, 0, &e);
}

const json_t *ermes__rsit_taxonomy(void)
{
    pthread_once(&data_once, load_data);
    return rsit;
}

int ermes__rsit_check(const char *rsit_class, const char *rsit_type, ermes_diag_t *d)
{
    json_t *values, *v, *entry, *x;
    size_t i, k;
    int class_found = 0;

    pthread_once(&data_once, load_data);
    if ((!rsit_class || !*rsit_class) && (!rsit_type || !*rsit_type))
        return 0;
    if (!rsit_class || !*rsit_class) {
        ermes_diag_set(d, "rsit_class", "an RSIT type needs its class");
        return ERMES_EINVAL;
    }
    values = json_object_get(rsit, "values");
    json_array_foreach(values, i, v)
    {
        if (!json_is_string(json_object_get(v, "predicate")) ||
            strcmp(json_string_value(json_object_get(v, "predicate")), rsit_class) != 0)
            continue;
        class_found = 1;
        if (!rsit_type || !*rsit_type)
            return 0;
        entry = json_object_get(v, "entry");
        json_array_foreach(entry, k, x) if (json_is_string(json_object_get(x, "value")) &&
                                            strcmp(json_string_value(json_object_get(x, "value")),
                                                   rsit_type) == 0) return 0;
    }
    if (!class_found) {
        ermes_diag_set(d, "rsit_class", "\"%.64s\" is not a class of the RSIT taxonomy",
                       rsit_class);
        return ERMES_EINVAL;
    }
    ermes_diag_set(d, "rsit_type", "\"%.64s\" is not a type of RSIT class %.64s", rsit_type,
                   rsit_class);
    return ERMES_EINVAL;
}

const json_t *ermes__incident_templates(void)
{
    pthread_once(&data_once, load_data);
    return json_object_get(templates, "templates");
}

const json_t *ermes__incident_template(const char *name)
{
    const json_t *all = ermes__incident_templates();
    size_t i;
    json_t *t;

    json_array_foreach(all, i, t) if (name && json_is_string(json_object_get(t, "name")) &&
                                      strcmp(json_string_value(json_object_get(t, "name")), name) ==
                                          0) return t;
    return NULL;
}

/* ---- small helpers --------------------------------------------------------------------- */

static const char *actor_of(const ermes__viewer_t *v)
{
    return v && v->user_name ? v->user_name : "local administrator";
}

static void put(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Appends a timeline entry (detail stolen, may be NULL). */
static int timeline(ermes__store_t *st, const ermes__viewer_t *v, int64_t id, const char *kind,
                    int public_, json_t *detail)
{
    ermes__timeline_entry_t e;
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;

    json_decref(detail);
    if (detail && !text)
        return ERMES_ENOMEM;
    memset(&e, 0, sizeof(e));
    e.incident_id = id;
    e.user_id = v ? v->user_id : 0;
    e.actor = actor_of(v);
    e.kind = kind;
    e.public_ = public_;
    e.detail = text;
    rc = ermes__store_incident_timeline_add(st, &e);
    free(text);
    return rc;
}

static void audit(ermes__store_t *st, const ermes__viewer_t *v, const char *action, int64_t id,
                  json_t *detail)
{
    char ref[32], *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    json_decref(detail);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(st, v, action, "incident", ref, text);
    free(text);
}

/* Opens a write transaction, or joins the caller's (the incident rules decide a report in
 * one: src/incidents/rules.c); *own says which, for finish. */
static int start(ermes__store_t *st, int *own)
{
    *own = !ermes__store_in_tx(st);
    return *own ? ermes__store_begin(st) : 0;
}

/* Ends what start opened: commits (rc 0) or rolls back; a joined transaction is the caller's
 * to end, with rc telling it how. */
static int finish(ermes__store_t *st, int own, int rc)
{
    if (!own)
        return rc;
    if (rc) {
        ermes__store_rollback(st);
        return rc;
    }
    return ermes__store_commit(st);
}

/* ---- clocks ---------------------------------------------------------------------------- */

static int calendar_of(ermes__store_t *st, int64_t org_id, ermes__calendar_t *cal)
{
    ermes__calendar_row_t *row = malloc(sizeof(*row));
    int rc;

    if (!row)
        return ERMES_ENOMEM;
    ermes__calendar_always(cal);
    rc = ermes__store_calendar_get(st, org_id, row);
    if (rc == 0) {
        cal->days = (unsigned)row->days;
        cal->start_minute = (int)row->start_minute;
        cal->end_minute = (int)row->end_minute;
        cal->utc_offset_minutes = (int)row->utc_offset_minutes;
        /* A calendar the store holds was checked when it was set; a bad one counts all. */
        if (ermes__calendar_holidays(cal, row->holidays, NULL) || ermes__calendar_check(cal, NULL))
            ermes__calendar_always(cal);
    }
    free(row);
    return rc == ERMES_ENOTFOUND ? 0 : rc;
}

int ermes__incident_calendar(ermes__store_t *st, int64_t org_id, ermes__calendar_t *cal)
{
    return calendar_of(st, org_id, cal);
}

void ermes__incident_deadlines_by(const ermes__incident_t *inc, const ermes__sla_policy_t *pol,
                                  const ermes__calendar_t *cal,
                                  ermes__incident_deadline_t out[ERMES_INCIDENT_CLOCKS])
{
    ermes__span_t pauses[ERMES_CLOCK_MAX_PAUSES];
    ermes__nis2_due_t nis2;
    size_t np;

    memset(out, 0, sizeof(*out) * ERMES_INCIDENT_CLOCKS);
    out[0].name = "first_response";
    out[1].name = "containment";
    out[2].name = "resolution";
    out[3].name = "nis2_early_warning";
    out[4].name = "nis2_notification";
    out[5].name = "nis2_final_report";
    out[6].name = "csirt_feedback";
    if (pol) {
        const int64_t mins[3] = {pol->response_min, pol->containment_min, pol->resolution_min};
        const int64_t done[3] = {inc->acknowledged_at, inc->contained_at, inc->resolved_at};
        np = ermes__pauses_parse(inc->pauses, pauses, ERMES_CLOCK_MAX_PAUSES);
        for (int i = 0; i < 3; i++) {
            out[i].applies = 1;
            out[i].business_hours = pol->business_hours;
            out[i].due = ermes__clock_due(cal, inc->created_at, mins[i] * 60 * 1000, pauses, np);
            out[i].done = done[i];
        }
    }
    if (inc->nis2 && inc->aware_at) {
        ermes__nis2_deadlines(inc->aware_at, inc->early_warning_at, inc->notification_at, &nis2);
        out[3].applies = out[4].applies = out[5].applies = 1;
        out[3].due = nis2.early_warning;
        out[3].done = inc->early_warning_at;
        out[4].due = nis2.notification;
        out[4].done = inc->notification_at;
        out[5].due = nis2.final_report;
        out[5].done = inc->final_report_at;
        out[6].applies = inc->early_warning_at != 0;
        out[6].due = nis2.feedback;
        out[6].done = inc->feedback_at;
    }
}

int ermes__incident_policy(ermes__store_t *st, const char *severity, int64_t org_id,
                           ermes__sla_policy_t *pol, ermes__calendar_t *cal, int *has)
{
    int rc = ermes__store_sla_policy_get(st, severity, org_id, pol);

    *has = 0;
    ermes__calendar_always(cal);
    if (rc == ERMES_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    *has = 1;
    return pol->business_hours ? calendar_of(st, org_id, cal) : 0;
}

int ermes__incident_deadlines(ermes__store_t *st, const ermes__incident_t *inc,
                              ermes__incident_deadline_t out[ERMES_INCIDENT_CLOCKS])
{
    ermes__sla_policy_t pol;
    ermes__calendar_t cal;
    int rc, has;

    if ((rc = ermes__incident_policy(st, inc->severity, inc->org_id, &pol, &cal, &has)))
        return rc;
    ermes__incident_deadlines_by(inc, has ? &pol : NULL, &cal, out);
    return 0;
}

static int task_due_cb(void *ctx, const ermes__incident_task_t *t)
{
    int64_t *next = ctx;

    if (!t->done_at && t->due_at && (!*next || t->due_at < *next))
        *next = t->due_at;
    return 0;
}

/* The earliest deadline not met: SLA, NIS2 and open tasks; 0 for a finished incident. And the
 * incident's measures (measure.c), written. */
static int next_due(ermes__store_t *st, ermes__incident_t *inc)
{
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    int64_t next = 0;
    int rc;

    inc->next_due_at = 0;
    if ((rc = ermes__incident_deadlines(st, inc, dl)))
        return rc;
    /* Every change that may reach a milestone (the timeline entry of a status change, an
     * acknowledgement, a notification linked, a merge) saves the incident through here: its
     * measures for the metrics follow in the same transaction. */
    if ((rc = ermes__incident_measure_with(st, inc, dl)))
        return rc;
    if (ermes__incident_status_done(inc->status))
        return 0;
    for (int i = 0; i < ERMES_INCIDENT_CLOCKS; i++)
        if (dl[i].applies && !dl[i].done && dl[i].due && (!next || dl[i].due < next))
            next = dl[i].due;
    if ((rc = ermes__store_incident_task_each(st, inc->id, task_due_cb, &next)))
        return rc;
    inc->next_due_at = next;
    return 0;
}

/* ---- applying a body --------------------------------------------------------------------- */

static int resolve_assignee(ermes__store_t *st, const char *name, int64_t *id, ermes_diag_t *d)
{
    ermes__user_t u;
    int rc;

    *id = 0;
    if (!name)
        return 0;
    rc = ermes__store_user_get(st, 0, name, &u);
    if (rc == ERMES_ENOTFOUND ||
        (!rc && u.role != ERMES_ROLE_ADMIN && u.role != ERMES_ROLE_ANALYST)) {
        ermes_diag_set(d, "assignee", "no analyst or admin named \"%.64s\"", name);
        return ERMES_EINVAL;
    }
    if (rc)
        return rc;
    *id = u.id;
    return 0;
}

static int resolve_org(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                       const char *field, int64_t *id, ermes_diag_t *d)
{
    int rc = ermes__store_org_resolve(st, v, ref, id);

    if (rc == ERMES_ENOTFOUND) {
        ermes_diag_set(d, field, "no organisation \"%.64s\"", ref);
        return ERMES_EINVAL;
    }
    return rc;
}

struct task_check {
    int open_mandatory;
    char first[160];
};

static int mandatory_cb(void *ctx, const ermes__incident_task_t *t)
{
    struct task_check *c = ctx;

    if (t->mandatory && !t->done_at) {
        if (!c->open_mandatory++)
            snprintf(c->first, sizeof(c->first), "#%lld \"%.100s\"", (long long)t->id, t->title);
    }
    return 0;
}

/* The pause that waiting on the constituent opens at now, or closes. */
static void pause_edge(ermes__incident_t *inc, int start, int64_t now)
{
    size_t len = strlen(inc->pauses);

    if (start) {
        /* Full: the oldest pauses are dropped, not the running one. */
        while (len + 24 > sizeof(inc->pauses)) {
            char *comma = strchr(inc->pauses, ',');
            if (!comma) {
                inc->pauses[0] = '\0';
                break;
            }
            memmove(inc->pauses, comma + 1, strlen(comma + 1) + 1);
            len = strlen(inc->pauses);
        }
        len = strlen(inc->pauses);
        snprintf(inc->pauses + len, sizeof(inc->pauses) - len, "%s%lld-", len ? "," : "",
                 (long long)now);
    } else if (len && inc->pauses[len - 1] == '-') {
        snprintf(inc->pauses + len, sizeof(inc->pauses) - len, "%lld", (long long)now);
    }
}

/* Moves inc to status `to` at now, keeping milestones and pauses; the checks are the caller's. */
static void set_status(ermes__incident_t *inc, const char *to, int64_t now)
{
    const char *from = inc->status;

    if (strcmp(from, "waiting_on_constituent") == 0)
        pause_edge(inc, 0, now);
    if (strcmp(to, "waiting_on_constituent") == 0)
        pause_edge(inc, 1, now);
    /* Reopening: the resolution and closing are to come again. */
    if (ermes__incident_status_done(from) && !ermes__incident_status_done(to)) {
        inc->resolved_at = 0;
        inc->closed_at = 0;
    }
    if (!inc->triaged_at && strcmp(to, "new") != 0 && strcmp(to, "triage") != 0)
        inc->triaged_at = now;
    if (!inc->contained_at && (strcmp(to, "contained") == 0 || ermes__incident_status_done(to)))
        inc->contained_at = now;
    if (!inc->resolved_at && ermes__incident_status_done(to))
        inc->resolved_at = now;
    if (strcmp(to, "closed") == 0)
        inc->closed_at = now;
    put(inc->status, sizeof(inc->status), to);
}

static int status_change(ermes__store_t *st, const ermes__viewer_t *v, ermes__incident_t *inc,
                         const char *to, int64_t now, ermes_diag_t *d)
{
    struct task_check tc;
    char from[32];
    int rc;

    if (strcmp(inc->status, to) == 0)
        return 0;
    if (inc->merged_into) {
        ermes_diag_set(d, "status", "incident %lld was merged into incident %lld",
                       (long long)inc->id, (long long)inc->merged_into);
        return ERMES_ECONFLICT;
    }
    if (!ermes__incident_transition_ok(inc->status, to)) {
        ermes_diag_set(d, "status", "an incident cannot go from %s to %s%s", inc->status, to,
                       ermes__incident_status_done(inc->status) ? " (reopen it: in_progress)" : "");
        return ERMES_ECONFLICT;
    }
    if (strcmp(to, "closed") == 0) {
        memset(&tc, 0, sizeof(tc));
        if ((rc = ermes__store_incident_task_each(st, inc->id, mandatory_cb, &tc)))
            return rc;
        if (tc.open_mandatory) {
            ermes_diag_set(d, "status", "%d mandatory task(s) not done, first %s",
                           tc.open_mandatory, tc.first);
            return ERMES_ECONFLICT;
        }
    }
    put(from, sizeof(from), inc->status);
    set_status(inc, to, now);
    if (v && ermes__viewer_is_staff(v) && !inc->acknowledged_at)
        inc->acknowledged_at = now;
    return timeline(st, v, inc->id, "status", 1, json_pack("{s:s,s:s}", "from", from, "to", to));
}

/* Applies the members of in (other than status, links and constituents) to inc, recording the
 * changed ones in changes. */
static int apply_fields(ermes__store_t *st, const ermes__viewer_t *v,
                        const ermes__incident_input_t *in, ermes__incident_t *inc, json_t *changes,
                        ermes_diag_t *d)
{
    int rc;

#define TEXT_MEMBER(FLAG, NAME, FIELD, VALUE)                                                      \
    if (in->has & (FLAG)) {                                                                        \
        put(inc->FIELD, sizeof(inc->FIELD), VALUE);                                                \
        json_object_set_new(changes, NAME, json_string(inc->FIELD));                               \
    }
    TEXT_MEMBER(ERMES_INC_TITLE, "title", title, in->title)
    TEXT_MEMBER(ERMES_INC_DESCRIPTION, "description", description, in->description)
    TEXT_MEMBER(ERMES_INC_RSIT_CLASS, "rsit_class", rsit_class, in->rsit_class)
    TEXT_MEMBER(ERMES_INC_RSIT_TYPE, "rsit_type", rsit_type, in->rsit_type)
    TEXT_MEMBER(ERMES_INC_SEVERITY, "severity", severity, in->severity)
    TEXT_MEMBER(ERMES_INC_IMPACT, "impact", impact, in->impact)
    TEXT_MEMBER(ERMES_INC_PAP, "pap", pap, in->pap)
    TEXT_MEMBER(ERMES_INC_TEAM, "team", team, in->team)
#undef TEXT_MEMBER
    if (in->has & (ERMES_INC_RSIT_CLASS | ERMES_INC_RSIT_TYPE)) {
        /* A new class without a type drops a type of the old class. */
        if ((in->has & ERMES_INC_RSIT_CLASS) && !(in->has & ERMES_INC_RSIT_TYPE) &&
            ermes__rsit_check(inc->rsit_class, inc->rsit_type, NULL))
            inc->rsit_type[0] = '\0';
        if ((rc = ermes__rsit_check(inc->rsit_class, inc->rsit_type, d)))
            return rc;
    }
    if (in->has & ERMES_INC_TLP) {
        inc->tlp = in->tlp;
        json_object_set_new(changes, "tlp", json_string(ermes_tlp_name(in->tlp)));
    }
    if (in->has & ERMES_INC_ASSIGNEE) {
        if ((rc = resolve_assignee(st, in->assignee, &inc->assignee_id, d)))
            return rc;
        put(inc->assignee, sizeof(inc->assignee), in->assignee);
    }
    if (in->has & ERMES_INC_ORG) {
        inc->org_id = 0;
        if (in->org && (rc = resolve_org(st, v, in->org, "organisation", &inc->org_id, d)))
            return rc;
        json_object_set_new(changes, "organisation", in->org ? json_string(in->org) : json_null());
    }
    if (in->has & ERMES_INC_PARENT) {
        int64_t p = in->parent_id;
        ermes__incident_t *up = malloc(sizeof(*up));
        if (!up)
            return ERMES_ENOMEM;
        /* No cycle: walking up from the new parent never meets this incident. */
        for (int depth = 0; p && depth < 64; depth++) {
            if (p == inc->id || (rc = ermes__store_incident_get(st, NULL, p, up))) {
                free(up);
                ermes_diag_set(d, "parent",
                               p == inc->id ? "an incident cannot be its own ancestor"
                                            : "no incident %lld",
                               (long long)p);
                return ERMES_EINVAL;
            }
            p = up->parent_id;
        }
        free(up);
        inc->parent_id = in->parent_id;
        json_object_set_new(changes, "parent",
                            in->parent_id ? json_integer(in->parent_id) : json_null());
    }
    if (in->has & ERMES_INC_NIS2) {
        inc->nis2 = in->nis2;
        json_object_set_new(changes, "nis2", json_boolean(in->nis2));
    }
#define TIME_MEMBER(FLAG, NAME, FIELD)                                                             \
    if (in->has & (FLAG)) {                                                                        \
        inc->FIELD = in->FIELD;                                                                    \
        json_object_set_new(changes, NAME, in->FIELD ? json_integer(in->FIELD) : json_null());     \
    }
    TIME_MEMBER(ERMES_INC_AWARE, "aware_at", aware_at)
    TIME_MEMBER(ERMES_INC_EARLY_WARNING, "early_warning_at", early_warning_at)
    TIME_MEMBER(ERMES_INC_NOTIFICATION, "notification_at", notification_at)
    TIME_MEMBER(ERMES_INC_FINAL_REPORT, "final_report_at", final_report_at)
    TIME_MEMBER(ERMES_INC_FEEDBACK, "feedback_at", feedback_at)
#undef TIME_MEMBER
    if (in->has & ERMES_INC_FIELDS) {
        char *text = json_dumps(in->fields, JSON_COMPACT | JSON_SORT_KEYS);
        if (!text)
            return ERMES_ENOMEM;
        put(inc->fields, sizeof(inc->fields), text);
        free(text);
        json_object_set(changes, "fields", (json_t *)in->fields);
    }
    return 0;
}

static int link_in_tx(ermes__store_t *st, const ermes__viewer_t *v, ermes__incident_t *inc,
                      const char *kind, int64_t object_id, int *added, ermes_diag_t *d)
{
    int64_t org = 0;
    int rc, new_link = 0;

    if (added)
        *added = 0;
    if (strcmp(kind, "incident") == 0 && object_id == inc->id) {
        ermes_diag_set(d, "id", "an incident cannot link to itself");
        return ERMES_EINVAL;
    }
    rc = ermes__store_incident_link_target(st, kind, object_id, &org);
    if (rc == ERMES_ENOTFOUND) {
        ermes_diag_set(d, "id", "no %s %lld", kind, (long long)object_id);
        return ERMES_EINVAL;
    }
    if (rc || (rc = ermes__store_incident_link_add(st, inc->id, kind, object_id, &new_link)))
        return rc;
    if (!new_link)
        return 0;
    if (added)
        *added = 1;
    /* The constituent an event, sighting, notification or report concerns is affected. */
    if (org && strcmp(kind, "incident") != 0 &&
        (rc = ermes__store_incident_org_add(st, inc->id, org, NULL)))
        return rc;
    if (org && !inc->org_id && strcmp(kind, "incident") != 0)
        inc->org_id = org;
    if (strcmp(kind, "notification") == 0 && !inc->notified_at)
        inc->notified_at = ermes__time_now_ms();
    return timeline(st, v, inc->id, "link", 0,
                    json_pack("{s:s,s:I}", "kind", kind, "id", (json_int_t)object_id));
}

static int add_constituents(ermes__store_t *st, const ermes__viewer_t *v, ermes__incident_t *inc,
                            const json_t *list, ermes_diag_t *d)
{
    size_t i;
    json_t *x;
    int64_t org;
    int rc, added;

    json_array_foreach(list, i, x)
    {
        if ((rc = resolve_org(st, v, json_string_value(x), "constituents", &org, d)) ||
            (rc = ermes__store_incident_org_add(st, inc->id, org, &added)))
            return rc;
        if (!inc->org_id)
            inc->org_id = org;
        if (added && (rc = timeline(st, v, inc->id, "constituent", 0,
                                    json_pack("{s:s}", "added", json_string_value(x)))))
            return rc;
    }
    return 0;
}

static int add_links(ermes__store_t *st, const ermes__viewer_t *v, ermes__incident_t *inc,
                     const json_t *list, ermes_diag_t *d)
{
    size_t i;
    json_t *x;
    int rc;

    json_array_foreach(list, i, x)
    {
        if ((rc = link_in_tx(st, v, inc, json_string_value(json_object_get(x, "kind")),
                             json_integer_value(json_object_get(x, "id")), NULL, d)))
            return rc;
    }
    return 0;
}

/* ---- create, update, merge ------------------------------------------------------------- */

static int create_in_tx(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                        int64_t *id, ermes_diag_t *d)
{
    ermes__incident_input_t in;
    ermes__incident_t *inc;
    const json_t *tpl = NULL;
    json_t *changes = NULL, *tasks, *t;
    int64_t now = ermes__time_now_ms();
    size_t i;
    int rc;

    if ((rc = ermes__incident_body_read(body, 0, &in, d)))
        return rc;
    if ((in.has & ERMES_INC_STATUS) && strcmp(in.status, "new") != 0 &&
        strcmp(in.status, "triage") != 0) {
        ermes_diag_set(d, "status", "a new incident starts as new or triage");
        return ERMES_EINVAL;
    }
    if (in.template_name && !(tpl = ermes__incident_template(in.template_name))) {
        ermes_diag_set(d, "template", "no incident template \"%.64s\"", in.template_name);
        return ERMES_EINVAL;
    }
    if (!(inc = calloc(1, sizeof(*inc))) || !(changes = json_object())) {
        free(inc);
        return ERMES_ENOMEM;
    }
    put(inc->severity, sizeof(inc->severity), "medium");
    put(inc->pap, sizeof(inc->pap), "AMBER");
    put(inc->status, sizeof(inc->status), "new");
    inc->tlp = ERMES_TLP_AMBER;
    inc->owner_org_id = v ? v->org_id : 0;
    if (!inc->owner_org_id)
        ermes__store_home_org(st, &inc->owner_org_id);
    if (tpl) {
        char *fields = json_dumps(json_object_get(tpl, "fields"), JSON_COMPACT | JSON_SORT_KEYS);
        put(inc->template_name, sizeof(inc->template_name), in.template_name);
        put(inc->rsit_class, sizeof(inc->rsit_class),
            json_string_value(json_object_get(tpl, "rsit_class")));
        put(inc->rsit_type, sizeof(inc->rsit_type),
            json_string_value(json_object_get(tpl, "rsit_type")));
        if (json_is_string(json_object_get(tpl, "severity")))
            put(inc->severity, sizeof(inc->severity),
                json_string_value(json_object_get(tpl, "severity")));
        put(inc->fields, sizeof(inc->fields), fields);
        free(fields);
        snprintf(inc->title, sizeof(inc->title), "%s incident", in.template_name);
    }
    if ((rc = apply_fields(st, v, &in, inc, changes, d)))
        goto out;
    if ((rc = ermes__rsit_check(inc->rsit_class, inc->rsit_type, d)))
        goto out;
    if (in.has & ERMES_INC_STATUS)
        put(inc->status, sizeof(inc->status), in.status);
    inc->created_at = now;
    if ((rc = ermes__store_incident_insert(st, inc)))
        goto out;
    if (inc->org_id && (rc = ermes__store_incident_org_add(st, inc->id, inc->org_id, NULL)))
        goto out;
    if ((rc = timeline(st, v, inc->id, "created", 1,
                       json_pack("{s:s,s:s?}", "title", inc->title, "template",
                                 inc->template_name[0] ? inc->template_name : NULL))))
        goto out;
    if ((in.has & ERMES_INC_CONSTITUENTS) &&
        (rc = add_constituents(st, v, inc, in.constituents, d)))
        goto out;
    if ((in.has & ERMES_INC_LINKS) && (rc = add_links(st, v, inc, in.links, d)))
        goto out;
    tasks = tpl ? json_object_get(tpl, "tasks") : NULL;
    json_array_foreach(tasks, i, t)
    {
        ermes__incident_task_t task;
        memset(&task, 0, sizeof(task));
        task.incident_id = inc->id;
        task.title = json_string_value(json_object_get(t, "title"));
        task.mandatory = json_is_true(json_object_get(t, "mandatory"));
        if (json_is_integer(json_object_get(t, "due_hours")))
            task.due_at =
                now + json_integer_value(json_object_get(t, "due_hours")) * ERMES_CLOCK_HOUR_MS;
        if (!task.title)
            continue;
        if ((rc = ermes__store_incident_task_add(st, &task)))
            goto out;
    }
    if ((rc = next_due(st, inc)) || (rc = ermes__store_incident_update(st, inc)))
        goto out;
    *id = inc->id;
    audit(st, v, "create", inc->id, json_pack("{s:s}", "title", inc->title));
out:
    json_decref(changes);
    free(inc);
    return rc;
}

int ermes__incident_create(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                           int64_t *id, ermes_diag_t *d)
{
    int own = 0;
    int rc;

    if ((rc = start(st, &own)))
        return rc;
    return finish(st, own, create_in_tx(st, v, body, id, d));
}

int ermes__incident_update(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                           const json_t *body, ermes_diag_t *d)
{
    int own = 0;
    ermes__incident_input_t in;
    ermes__incident_t *inc;
    json_t *changes;
    int64_t now = ermes__time_now_ms(), old_assignee;
    int rc;

    if ((rc = ermes__incident_body_read(body, 1, &in, d)))
        return rc;
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    if (!(changes = json_object())) {
        free(inc);
        return ERMES_ENOMEM;
    }
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_get(st, v, id, inc)))
        goto done;
    if (inc->merged_into && in.has) {
        ermes_diag_set(d, NULL, "incident %lld was merged into incident %lld: change that one",
                       (long long)id, (long long)inc->merged_into);
        rc = ERMES_ECONFLICT;
        goto done;
    }
    old_assignee = inc->assignee_id;
    if ((rc = apply_fields(st, v, &in, inc, changes, d)))
        goto done;
    if ((in.has & ERMES_INC_STATUS) && (rc = status_change(st, v, inc, in.status, now, d)))
        goto done;
    if ((in.has & ERMES_INC_CONSTITUENTS) &&
        (rc = add_constituents(st, v, inc, in.constituents, d)))
        goto done;
    if ((in.has & ERMES_INC_ASSIGNEE) && inc->assignee_id != old_assignee) {
        if (!inc->acknowledged_at && inc->assignee_id)
            inc->acknowledged_at = now;
        if ((rc = timeline(
                 st, v, id, "assign", 0,
                 json_pack("{s:s?}", "assignee", inc->assignee_id ? inc->assignee : NULL))))
            goto done;
    }
    if (json_object_size(changes) &&
        (rc = timeline(st, v, id, "update", 0, json_pack("{s:O}", "changed", changes))))
        goto done;
    if ((rc = next_due(st, inc)) || (rc = ermes__store_incident_update(st, inc)))
        goto done;
    audit(st, v, "update", id, json_deep_copy(body));
done:
    rc = finish(st, own, rc);
out:
    json_decref(changes);
    free(inc);
    return rc;
}

int ermes__incident_merge(ermes__store_t *st, const ermes__viewer_t *v, int64_t id, int64_t into,
                          ermes_diag_t *d)
{
    int own = 0;
    ermes__incident_t *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!a || !b) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (id == into) {
        ermes_diag_set(d, "into", "an incident cannot be merged into itself");
        rc = ERMES_ECONFLICT;
        goto out;
    }
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_get(st, v, id, a)))
        goto done;
    if ((rc = ermes__store_incident_get(st, v, into, b))) {
        if (rc == ERMES_ENOTFOUND) {
            ermes_diag_set(d, "into", "no incident %lld", (long long)into);
            rc = ERMES_EINVAL;
        }
        goto done;
    }
    if (a->merged_into || b->merged_into) {
        ermes_diag_set(d, "into", "incident %lld was merged already",
                       (long long)(a->merged_into ? id : into));
        rc = ERMES_ECONFLICT;
        goto done;
    }
    if ((rc = ermes__store_incident_move(st, id, into)))
        goto done;
    if (strcmp(a->status, "closed") != 0) {
        if (strcmp(a->status, "waiting_on_constituent") == 0)
            pause_edge(a, 0, now);
        if (!a->resolved_at)
            a->resolved_at = now;
        a->closed_at = now;
        put(a->status, sizeof(a->status), "closed");
    }
    a->merged_into = into;
    if (!b->org_id)
        b->org_id = a->org_id;
    if ((rc = timeline(st, v, id, "merge", 1, json_pack("{s:I}", "into", (json_int_t)into))) ||
        (rc = timeline(st, v, into, "merge", 1, json_pack("{s:I}", "merged", (json_int_t)id))) ||
        (rc = ermes__store_incident_link_add(st, into, "incident", id, NULL)) ||
        (rc = next_due(st, a)) || (rc = ermes__store_incident_update(st, a)) ||
        (rc = next_due(st, b)) || (rc = ermes__store_incident_update(st, b)))
        goto done;
    audit(st, v, "merge", id, json_pack("{s:I}", "into", (json_int_t)into));
done:
    rc = finish(st, own, rc);
out:
    free(a);
    free(b);
    return rc;
}

/* ---- comments, links, tasks, observables ------------------------------------------------ */

int ermes__incident_comment(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                            const char *text, int public_, ermes_diag_t *d)
{
    int own = 0;
    ermes__incident_t *inc;
    int64_t now = ermes__time_now_ms();
    int staff = !v || ermes__viewer_is_staff(v), rc;

    if (!text || !*text || strlen(text) > ERMES_INCIDENT_TEXT_MAX) {
        ermes_diag_set(d, "text", "a comment is a text of 1 to %d bytes", ERMES_INCIDENT_TEXT_MAX);
        return ERMES_EINVAL;
    }
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_get(st, v, id, inc)))
        goto done;
    if (!staff)
        public_ = 1;
    if ((rc = timeline(st, v, id, "comment", public_, json_pack("{s:s}", "text", text))))
        goto done;
    if (staff && public_ && !inc->acknowledged_at)
        inc->acknowledged_at = now;
    /* The constituent's answer ends the wait. */
    if (!staff && strcmp(inc->status, "waiting_on_constituent") == 0 &&
        (rc = status_change(st, v, inc, "in_progress", now, d)))
        goto done;
    if ((rc = next_due(st, inc)) || (rc = ermes__store_incident_update(st, inc)))
        goto done;
    audit(st, v, "comment", id, NULL);
done:
    rc = finish(st, own, rc);
out:
    free(inc);
    return rc;
}

int ermes__incident_answered(ermes__store_t *st, int64_t id, int64_t org_id, const char *who)
{
    int own = 0;
    /* The answer is the constituent's, as a comment from its portal is: no acknowledgement by
     * the CERT, and the timeline names the mail's sender. */
    char actor[160];
    ermes__viewer_t answer = {
        .user_name = actor, .role = ERMES_ROLE_CONSTITUENT, .org_id = org_id, .remote = "mail"};
    ermes__incident_t *inc;
    ermes_diag_t d;
    int64_t now = ermes__time_now_ms();
    int rc;

    snprintf(actor, sizeof(actor), "%.150s (mail)", who && *who ? who : "constituent");
    ermes_diag_clear(&d);
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_get(st, NULL, id, inc)))
        goto done;
    if (strcmp(inc->status, "waiting_on_constituent") != 0 || inc->merged_into)
        goto done;
    if ((rc = status_change(st, &answer, inc, "in_progress", now, &d)) ||
        (rc = next_due(st, inc)) || (rc = ermes__store_incident_update(st, inc)))
        goto done;
    audit(st, &answer, "update", id, json_pack("{s:s}", "status", "in_progress"));
done:
    rc = finish(st, own, rc == ERMES_ENOTFOUND ? 0 : rc);
out:
    free(inc);
    return rc;
}

int ermes__incident_link(ermes__store_t *st, const ermes__viewer_t *v, int64_t id, const char *kind,
                         int64_t object_id, int *added, ermes_diag_t *d)
{
    int own = 0;
    ermes__incident_t *inc;
    int rc;

    if (!ermes__incident_link_kind_valid(kind)) {
        ermes_diag_set(d, "kind",
                       "kind must be report, event, sighting, indicator, notification or incident");
        return ERMES_EINVAL;
    }
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_get(st, v, id, inc)) ||
        (rc = link_in_tx(st, v, inc, kind, object_id, added, d)) || (rc = next_due(st, inc)) ||
        (rc = ermes__store_incident_update(st, inc)))
        goto done;
    audit(st, v, "link", id, json_pack("{s:s,s:I}", "kind", kind, "id", (json_int_t)object_id));
done:
    rc = finish(st, own, rc);
out:
    free(inc);
    return rc;
}

/* Reads a task body into t (strings borrowed from body); *done: -1 absent, 0/1 given. */
static int task_read(ermes__store_t *st, const json_t *body, int partial, ermes__incident_task_t *t,
                     int *done, ermes_diag_t *d)
{
    const char *key;
    json_t *x;
    int rc;

    *done = -1;
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, x)
    {
        if (strcmp(key, "title") == 0) {
            if (!json_is_string(x) || !json_string_length(x) ||
                json_string_length(x) > ERMES_INCIDENT_TITLE_MAX ||
                strlen(json_string_value(x)) != json_string_length(x)) {
                ermes_diag_set(d, key, "title must be a text of 1 to %d bytes",
                               ERMES_INCIDENT_TITLE_MAX);
                return ERMES_EINVAL;
            }
            t->title = json_string_value(x);
        } else if (strcmp(key, "owner") == 0) {
            if (!json_is_null(x) &&
                (!json_is_string(x) || json_string_length(x) > ERMES_INCIDENT_NAME_MAX)) {
                ermes_diag_set(d, key, "owner must be a user name or null");
                return ERMES_EINVAL;
            }
            t->owner_id = 0;
            if (json_is_string(x)) {
                ermes__user_t u;
                rc = ermes__store_user_get(st, 0, json_string_value(x), &u);
                if (rc == ERMES_ENOTFOUND) {
                    ermes_diag_set(d, key, "no user \"%.64s\"", json_string_value(x));
                    return ERMES_EINVAL;
                }
                if (rc)
                    return rc;
                t->owner_id = u.id;
            }
        } else if (strcmp(key, "due_at") == 0) {
            ermes_diag_t td;
            t->due_at = 0;
            if (!json_is_null(x) &&
                (!json_is_string(x) || json_string_length(x) > 64 ||
                 ermes__time_parse(json_string_value(x), json_string_length(x), &t->due_at, &td))) {
                ermes_diag_set(d, key, "due_at must be an RFC 3339 date-time or null");
                return ERMES_EINVAL;
            }
        } else if (strcmp(key, "mandatory") == 0) {
            if (!json_is_boolean(x)) {
                ermes_diag_set(d, key, "mandatory must be true or false");
                return ERMES_EINVAL;
            }
            t->mandatory = json_is_true(x);
        } else if (strcmp(key, "done") == 0) {
            if (!json_is_boolean(x)) {
                ermes_diag_set(d, key, "done must be true or false");
                return ERMES_EINVAL;
            }
            *done = json_is_true(x);
        } else {
            ermes_diag_set(d, key, "unknown member \"%.40s\"", key);
            return ERMES_EINVAL;
        }
    }
    if (!partial && !t->title) {
        ermes_diag_set(d, "title", "a task needs a title");
        return ERMES_EINVAL;
    }
    return 0;
}

int ermes__incident_task_add(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                             const json_t *body, int64_t *task_id, ermes_diag_t *d)
{
    int own = 0;
    ermes__incident_task_t t;
    ermes__incident_t *inc;
    int rc, done;

    memset(&t, 0, sizeof(t));
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_get(st, v, id, inc)) ||
        (rc = task_read(st, body, 0, &t, &done, d)))
        goto done;
    t.incident_id = id;
    if (done == 1)
        t.done_at = ermes__time_now_ms();
    if ((rc = ermes__store_incident_task_add(st, &t)) ||
        (rc = timeline(st, v, id, "task", 0,
                       json_pack("{s:s,s:I,s:b}", "added", t.title, "task", (json_int_t)t.id,
                                 "mandatory", t.mandatory))) ||
        (rc = next_due(st, inc)) || (rc = ermes__store_incident_update(st, inc)))
        goto done;
    *task_id = t.id;
    audit(st, v, "task", id, json_pack("{s:I}", "task", (json_int_t)t.id));
done:
    rc = finish(st, own, rc);
out:
    free(inc);
    return rc;
}

struct task_copy {
    ermes__incident_task_t t;
    char title[ERMES_INCIDENT_TITLE_MAX + 1];
};

static int task_copy_cb(void *ctx, const ermes__incident_task_t *t)
{
    struct task_copy *c = ctx;

    c->t = *t;
    put(c->title, sizeof(c->title), t->title);
    c->t.title = c->title;
    c->t.owner = NULL;
    return 0;
}

int ermes__incident_task_update(ermes__store_t *st, const ermes__viewer_t *v, int64_t task_id,
                                const json_t *body, int64_t *incident_id, ermes_diag_t *d)
{
    int own = 0;
    struct task_copy c;
    ermes__incident_t *inc;
    int rc, done;

    memset(&c, 0, sizeof(c));
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_task_get(st, task_id, task_copy_cb, &c)) ||
        (rc = ermes__store_incident_get(st, v, c.t.incident_id, inc)) ||
        (rc = task_read(st, body, 1, &c.t, &done, d)))
        goto done;
    if (done == 1 && !c.t.done_at)
        c.t.done_at = ermes__time_now_ms();
    else if (done == 0)
        c.t.done_at = 0;
    if ((rc = ermes__store_incident_task_update(st, &c.t)) ||
        (rc = timeline(st, v, inc->id, "task", 0,
                       json_pack("{s:I,s:s,s:b}", "task", (json_int_t)task_id, "title", c.t.title,
                                 "done", c.t.done_at != 0))) ||
        (rc = next_due(st, inc)) || (rc = ermes__store_incident_update(st, inc)))
        goto done;
    *incident_id = inc->id;
    audit(st, v, "task", inc->id, json_pack("{s:I}", "task", (json_int_t)task_id));
done:
    rc = finish(st, own, rc);
out:
    free(inc);
    return rc;
}

static int observable_type_ok(const char *t)
{
    static const char *const types[] = {"ipv4",  "ipv6", "cidr", "domain",   "url",
                                        "email", "md5",  "sha1", "sha256",   "cve",
                                        "asn",   "ja3",  "file", "hostname", "other"};

    for (size_t i = 0; t && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(t, types[i]) == 0)
            return 1;
    return 0;
}

int ermes__incident_observable_add(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                                   const json_t *body, ermes_diag_t *d)
{
    int own = 0;
    ermes__incident_observable_t o;
    ermes__incident_t *inc;
    const char *key;
    json_t *x;
    int rc;

    memset(&o, 0, sizeof(o));
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, x)
    {
        if (strcmp(key, "type") == 0 && json_is_string(x) &&
            observable_type_ok(json_string_value(x))) {
            o.type = json_string_value(x);
        } else if (strcmp(key, "value") == 0 && json_is_string(x) && json_string_length(x) &&
                   json_string_length(x) <= 2048 &&
                   strlen(json_string_value(x)) == json_string_length(x)) {
            o.value = json_string_value(x);
        } else if ((strcmp(key, "ioc") == 0 || strcmp(key, "sighted") == 0) && json_is_boolean(x)) {
            *(key[0] == 'i' ? &o.ioc : &o.sighted) = json_is_true(x);
        } else if (strcmp(key, "tlp") == 0 && json_is_string(x) &&
                   !ermes_tlp_parse(json_string_value(x), json_string_length(x), &o.tlp)) {
            continue;
        } else {
            ermes_diag_set(d, key,
                           "%.40s: an observable is {\"type\": ipv4, ipv6, cidr, domain, url,"
                           " email, md5, sha1, sha256, cve, asn, ja3, file, hostname or other,"
                           " \"value\": text, \"ioc\", \"sighted\": booleans, \"tlp\"}",
                           key);
            return ERMES_EINVAL;
        }
    }
    if (!o.type || !o.value) {
        ermes_diag_set(d, o.type ? "value" : "type", "an observable needs a type and a value");
        return ERMES_EINVAL;
    }
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    if ((rc = start(st, &own)))
        goto out;
    if ((rc = ermes__store_incident_get(st, v, id, inc)))
        goto done;
    if (!json_object_get(body, "tlp"))
        o.tlp = inc->tlp;
    o.incident_id = id;
    if ((rc = ermes__store_incident_observable_put(st, &o)) ||
        (rc = timeline(st, v, id, "observable", 0,
                       json_pack("{s:s,s:s,s:b,s:b}", "type", o.type, "value", o.value, "ioc",
                                 o.ioc, "sighted", o.sighted))))
        goto done;
    audit(st, v, "observable", id, json_pack("{s:s,s:s}", "type", o.type, "value", o.value));
done:
    rc = finish(st, own, rc);
out:
    free(inc);
    return rc;
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* ms as RFC 3339, null for 0 (never happened). */
static json_t *jtime(int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    if (!ms)
        return json_null();
    ermes__time_format(ms, buf);
    return json_string(buf);
}

/* Stored text (UTF-8 from JSON bodies; names from the registry); "?" should it not be. */
static json_t *jtext(const char *s)
{
    json_t *j;

    if (!s)
        return json_null();
    j = json_string(s);
    return j ? j : json_string("?");
}

struct orgs_ctx {
    json_t *list;
    const ermes__viewer_t *v;
};

static int org_json_cb(void *ctx, int64_t org_id, const char *short_name, const char *name)
{
    struct orgs_ctx *c = ctx;

    (void)name;
    /* A constituent sees its own name only. */
    if (c->v && !ermes__viewer_is_staff(c->v) && c->v->org_id != org_id)
        return 0;
    return json_array_append_new(c->list, jtext(short_name));
}

/* The incident's JSON from its constituents (constituents, taken) and its clocks (dl, NULL
 * when they could not be read: none shown). */
static json_t *incident_json(const ermes__viewer_t *v, const ermes__incident_t *inc,
                             json_t *constituents, const ermes__incident_deadline_t *dl,
                             int64_t now)
{
    int staff = !v || ermes__viewer_is_staff(v);
    json_t *j, *clocks, *warnings, *fields = NULL, *milestones;
    json_error_t e;
    int late = 0;

    if (!(j = json_object()) || !(clocks = json_array()) || !(warnings = json_array()) ||
        !(milestones = json_object())) {
        json_decref(j);
        json_decref(constituents);
        return NULL;
    }
    if (inc->fields[0])
        fields = json_loads(inc->fields, 0, &e);
    if (dl) {
        for (int i = 0; i < ERMES_INCIDENT_CLOCKS; i++) {
            ermes__deadline_state_t s;
            if (!dl[i].applies)
                continue;
            s = ermes__deadline_state(dl[i].due, dl[i].done, now, ERMES_INCIDENT_WARN_MS);
            if (ermes__incident_status_done(inc->status) && !dl[i].done && s != ERMES_DEADLINE_LATE)
                s = ERMES_DEADLINE_PENDING;
            json_array_append_new(clocks,
                                  json_pack("{s:s,s:o,s:o,s:s,s:b}", "name", dl[i].name, "due",
                                            jtime(dl[i].due), "done_at", jtime(dl[i].done), "state",
                                            ermes__deadline_state_name(s), "business_hours",
                                            dl[i].business_hours));
            if (s == ERMES_DEADLINE_SOON || s == ERMES_DEADLINE_LATE)
                json_array_append_new(warnings, json_string(dl[i].name));
            late |= s == ERMES_DEADLINE_LATE;
        }
    }
    json_object_set_new(milestones, "acknowledged_at", jtime(inc->acknowledged_at));
    json_object_set_new(milestones, "triaged_at", jtime(inc->triaged_at));
    json_object_set_new(milestones, "notified_at", jtime(inc->notified_at));
    json_object_set_new(milestones, "contained_at", jtime(inc->contained_at));
    json_object_set_new(milestones, "resolved_at", jtime(inc->resolved_at));
    json_object_set_new(milestones, "closed_at", jtime(inc->closed_at));
    json_object_set_new(j, "id", json_integer(inc->id));
    json_object_set_new(j, "title", jtext(inc->title));
    json_object_set_new(j, "description", jtext(inc->description));
    json_object_set_new(j, "rsit_class",
                        inc->rsit_class[0] ? json_string(inc->rsit_class) : json_null());
    json_object_set_new(j, "rsit_type",
                        inc->rsit_type[0] ? json_string(inc->rsit_type) : json_null());
    json_object_set_new(j, "severity", json_string(inc->severity));
    json_object_set_new(j, "impact", inc->impact[0] ? json_string(inc->impact) : json_null());
    json_object_set_new(j, "tlp", json_string(ermes_tlp_name(inc->tlp)));
    json_object_set_new(j, "pap", json_string(inc->pap));
    json_object_set_new(j, "outside_lookups_allowed",
                        json_boolean(ermes__incident_pap_allows_outside(inc->pap)));
    json_object_set_new(j, "status", json_string(inc->status));
    if (staff) {
        json_object_set_new(j, "assignee", inc->assignee_id ? jtext(inc->assignee) : json_null());
        json_object_set_new(j, "team", inc->team[0] ? jtext(inc->team) : json_null());
    }
    json_object_set_new(j, "organisation",
                        inc->org_id && (staff || v->org_id == inc->org_id) ? jtext(inc->org)
                                                                           : json_null());
    json_object_set_new(j, "constituents", constituents ? constituents : json_array());
    json_object_set_new(j, "parent", inc->parent_id ? json_integer(inc->parent_id) : json_null());
    json_object_set_new(j, "merged_into",
                        inc->merged_into ? json_integer(inc->merged_into) : json_null());
    json_object_set_new(j, "template",
                        inc->template_name[0] ? json_string(inc->template_name) : json_null());
    json_object_set_new(j, "fields", fields ? fields : json_object());
    json_object_set_new(j, "nis2", json_boolean(inc->nis2));
    json_object_set_new(j, "aware_at", jtime(inc->aware_at));
    json_object_set_new(j, "early_warning_at", jtime(inc->early_warning_at));
    json_object_set_new(j, "notification_at", jtime(inc->notification_at));
    json_object_set_new(j, "final_report_at", jtime(inc->final_report_at));
    json_object_set_new(j, "feedback_at", jtime(inc->feedback_at));
    json_object_set_new(j, "milestones", milestones);
    json_object_set_new(j, "clocks", clocks);
    json_object_set_new(j, "warnings", warnings);
    json_object_set_new(j, "late", json_boolean(late));
    json_object_set_new(j, "next_due_at", jtime(inc->next_due_at));
    json_object_set_new(j, "created_at", jtime(inc->created_at));
    json_object_set_new(j, "updated_at", jtime(inc->updated_at));
    return j;
}

json_t *ermes__incident_to_json(ermes__store_t *st, const ermes__viewer_t *v,
                                const ermes__incident_t *inc, int64_t now)
{
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    struct orgs_ctx oc;

    oc.list = json_array();
    oc.v = v;
    if (oc.list)
        ermes__store_incident_org_each(st, inc->id, org_json_cb, &oc);
    return incident_json(v, inc, oc.list, ermes__incident_deadlines(st, inc, dl) ? NULL : dl, now);
}

/* ---- a page of incidents ------------------------------------------------------------------ */

/* What the clocks of a page need, read for the whole page at once (ermes__incident_page_json):
 * the SLA policies that may apply and the calendars of its constituents. */
struct page_policy {
    char severity[16];
    int64_t org_id; /* 0: the default */
    ermes__sla_policy_t p;
};

struct page_calendar {
    int64_t org_id; /* 0: the default */
    ermes__calendar_t cal;
};

struct page_ctx {
    const ermes__viewer_t *v;
    const ermes__incident_t *incs;
    size_t n;
    json_t *lists[ERMES__INCIDENT_BATCH];
    struct page_policy *pol;
    size_t npol, cappol;
    struct page_calendar cals[ERMES__INCIDENT_BATCH + 1];
    size_t ncals;
};

static int page_org_cb(void *ctx, int64_t incident_id, int64_t org_id, const char *short_name,
                       const char *name)
{
    struct page_ctx *c = ctx;
    struct orgs_ctx oc;

    for (size_t i = 0; i < c->n; i++) {
        if (c->incs[i].id != incident_id || !c->lists[i])
            continue;
        oc.list = c->lists[i];
        oc.v = c->v;
        return org_json_cb(&oc, org_id, short_name, name) ? ERMES_ENOMEM : 0;
    }
    return 0;
}

static int page_policy_cb(void *ctx, const char *severity, int64_t org_id,
                          const ermes__sla_policy_t *p)
{
    struct page_ctx *c = ctx;

    if (c->npol == c->cappol) {
        size_t cap = c->cappol ? c->cappol * 2 : 64;
        struct page_policy *grown = realloc(c->pol, cap * sizeof(*grown));
        if (!grown)
            return ERMES_ENOMEM;
        c->pol = grown;
        c->cappol = cap;
    }
    snprintf(c->pol[c->npol].severity, sizeof(c->pol[c->npol].severity), "%s",
             severity ? severity : "");
    c->pol[c->npol].org_id = org_id;
    c->pol[c->npol].p = *p;
    c->npol++;
    return 0;
}

static int page_calendar_cb(void *ctx, int64_t org_id, const ermes__calendar_row_t *row)
{
    struct page_ctx *c = ctx;
    ermes__calendar_t *cal;

    if (c->ncals == sizeof(c->cals) / sizeof(c->cals[0]))
        return 0; /* one per constituent of the page and the default: no more can come */
    c->cals[c->ncals].org_id = org_id;
    cal = &c->cals[c->ncals++].cal;
    /* As calendar_of: a calendar the store holds was checked when it was set; a bad one
     * counts all. */
    ermes__calendar_always(cal);
    cal->days = (unsigned)row->days;
    cal->start_minute = (int)row->start_minute;
    cal->end_minute = (int)row->end_minute;
    cal->utc_offset_minutes = (int)row->utc_offset_minutes;
    if (ermes__calendar_holidays(cal, row->holidays, NULL) || ermes__calendar_check(cal, NULL))
        ermes__calendar_always(cal);
    return 0;
}

/* The policy ermes__store_sla_policy_get would choose for inc: the constituent's own for the
 * severity, else the default; NULL when none applies. */
static const ermes__sla_policy_t *page_policy_of(const struct page_ctx *c,
                                                 const ermes__incident_t *inc)
{
    const struct page_policy *best = NULL;

    for (size_t i = 0; i < c->npol; i++) {
        const struct page_policy *p = &c->pol[i];
        if (strcmp(p->severity, inc->severity) != 0 || (p->org_id && p->org_id != inc->org_id))
            continue;
        if (!best || p->org_id > best->org_id)
            best = p;
    }
    return best ? &best->p : NULL;
}

/* The calendar ermes__store_calendar_get would choose: the constituent's, else the default,
 * else every hour. */
static const ermes__calendar_t *page_calendar_of(const struct page_ctx *c, int64_t org_id,
                                                 const ermes__calendar_t *always)
{
    const struct page_calendar *best = NULL;

    for (size_t i = 0; i < c->ncals; i++) {
        const struct page_calendar *k = &c->cals[i];
        if (k->org_id && k->org_id != org_id)
            continue;
        if (!best || k->org_id > best->org_id)
            best = k;
    }
    return best ? &best->cal : always;
}

int ermes__incident_page_json(ermes__store_t *st, const ermes__viewer_t *v,
                              const ermes__incident_t *incs, size_t n, int64_t now, json_t *out)
{
    struct page_ctx *c = calloc(1, sizeof(*c));
    int64_t ids[ERMES__INCIDENT_BATCH], orgs[ERMES__INCIDENT_BATCH];
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    ermes__calendar_t *always = malloc(sizeof(*always));
    size_t norgs = 0;
    int rc = 0, hours = 0;

    if (!c || !always) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (n > ERMES__INCIDENT_BATCH) {
        rc = ERMES_EINVAL;
        goto out;
    }
    ermes__calendar_always(always);
    c->v = v;
    c->incs = incs;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        ids[i] = incs[i].id;
        while (k < norgs && orgs[k] != incs[i].org_id)
            k++;
        if (k == norgs)
            orgs[norgs++] = incs[i].org_id;
        if (!(c->lists[i] = json_array())) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    /* A fixed number of statements for the page: its constituents, the policies, and the
     * calendars when a policy counts business hours. */
    if (n && ((rc = ermes__store_incident_orgs_of(st, ids, n, page_org_cb, c)) ||
              (rc = ermes__store_sla_policies_of(st, orgs, norgs, page_policy_cb, c))))
        goto out;
    for (size_t i = 0; i < n && !hours; i++) {
        const ermes__sla_policy_t *p = page_policy_of(c, &incs[i]);
        hours = p && p->business_hours;
    }
    if (hours && (rc = ermes__store_calendars_of(st, orgs, norgs, page_calendar_cb, c)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        const ermes__sla_policy_t *p = page_policy_of(c, &incs[i]);
        json_t *j;
        ermes__incident_deadlines_by(
            &incs[i], p,
            p && p->business_hours ? page_calendar_of(c, incs[i].org_id, always) : always, dl);
        j = incident_json(v, &incs[i], c->lists[i], dl, now);
        c->lists[i] = NULL;
        if (!j || json_array_append_new(out, j)) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
out:
    if (c) {
        for (size_t i = 0; i < n && i < ERMES__INCIDENT_BATCH; i++)
            json_decref(c->lists[i]);
        free(c->pol);
    }
    free(c);
    free(always);
    return rc;
}

int ermes__incident_pager_flush(ermes__incident_pager_t *p)
{
    int rc = p->n ? ermes__incident_page_json(p->st, p->v, p->buf, p->n, p->now, p->out) : 0;

    p->n = 0;
    return rc;
}

int ermes__incident_pager_add(ermes__incident_pager_t *p, const ermes__incident_t *inc)
{
    if (!p->buf && !(p->buf = malloc(ERMES__INCIDENT_BATCH * sizeof(*p->buf))))
        return ERMES_ENOMEM;
    if (p->n == ERMES__INCIDENT_BATCH) {
        int rc = ermes__incident_pager_flush(p);
        if (rc)
            return rc;
    }
    memcpy(&p->buf[p->n++], inc, sizeof(*inc));
    return 0;
}

void ermes__incident_pager_free(ermes__incident_pager_t *p)
{
    free(p->buf);
    p->buf = NULL;
    p->n = 0;
}

json_t *ermes__incident_task_to_json(const ermes__incident_task_t *t)
{
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:b,s:b,s:o,s:o}", "id", (json_int_t)t->id, "incident",
                     (json_int_t)t->incident_id, "title", jtext(t->title), "owner",
                     t->owner ? jtext(t->owner) : json_null(), "due_at", jtime(t->due_at),
                     "mandatory", t->mandatory, "done", t->done_at != 0, "done_at",
                     jtime(t->done_at), "created_at", jtime(t->created_at));
}

json_t *ermes__incident_timeline_to_json(const ermes__timeline_entry_t *e)
{
    json_error_t err;
    json_t *detail = e->detail ? json_loads(e->detail, 0, &err) : NULL;

    return json_pack("{s:I,s:o,s:o,s:s,s:b,s:o}", "id", (json_int_t)e->id, "at", jtime(e->at),
                     "actor", jtext(e->actor), "kind", e->kind, "public", e->public_, "detail",
                     detail ? detail : json_null());
}

json_t *ermes__incident_observable_to_json(const ermes__incident_observable_t *o)
{
    return json_pack("{s:I,s:s,s:o,s:b,s:b,s:s,s:o}", "id", (json_int_t)o->id, "type", o->type,
                     "value", jtext(o->value), "ioc", o->ioc, "sighted", o->sighted, "tlp",
                     ermes_tlp_name(o->tlp), "created_at", jtime(o->created_at));
}

/* ---- triage ------------------------------------------------------------------------------ */

/* An array of at most ERMES_INCIDENT_BULK_MAX positive ids into a new array. */
static int read_ids(const json_t *a, const char *name, int64_t **ids, size_t *n, ermes_diag_t *d)
{
    size_t i;
    json_t *x;

    *ids = NULL;
    *n = 0;
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > ERMES_INCIDENT_BULK_MAX) {
        ermes_diag_set(d, name, "%s must be an array of at most %d ids", name,
                       ERMES_INCIDENT_BULK_MAX);
        return ERMES_EINVAL;
    }
    if (!json_array_size(a))
        return 0;
    if (!(*ids = malloc(json_array_size(a) * sizeof(**ids))))
        return ERMES_ENOMEM;
    json_array_foreach(a, i, x)
    {
        if (!json_is_integer(x) || json_integer_value(x) < 1) {
            ermes_diag_set(d, name, "%s must be an array of positive ids", name);
            free(*ids);
            *ids = NULL;
            return ERMES_EINVAL;
        }
        (*ids)[i] = json_integer_value(x);
    }
    *n = json_array_size(a);
    return 0;
}

int ermes__triage_apply(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                        json_t **result, ermes_diag_t *d)
{
    int own = 0;
    const char *key, *state = NULL, *note = NULL;
    int64_t *events = NULL, *sightings = NULL, *reports = NULL, incident = 0, missing = 0;
    size_t nev = 0, nsg = 0, nrep = 0, allowed = 0;
    const json_t *open = NULL;
    ermes__incident_t *inc = NULL;
    int allowlist = 0, rc = 0;
    json_t *x;

    *result = NULL;
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, x)
    {
        if (strcmp(key, "events") == 0 || strcmp(key, "sightings") == 0 ||
            strcmp(key, "reports") == 0) {
            continue;
        } else if (strcmp(key, "state") == 0 && json_is_string(x) &&
                   ermes__triage_state_valid(json_string_value(x))) {
            state = json_string_value(x);
        } else if (strcmp(key, "note") == 0 && json_is_string(x) &&
                   json_string_length(x) <= ERMES_INCIDENT_TEXT_MAX &&
                   strlen(json_string_value(x)) == json_string_length(x)) {
            note = json_string_value(x);
        } else if (strcmp(key, "allowlist") == 0 && json_is_boolean(x)) {
            allowlist = json_is_true(x);
        } else if (strcmp(key, "incident") == 0 && json_is_integer(x) &&
                   json_integer_value(x) > 0) {
            incident = json_integer_value(x);
        } else if (strcmp(key, "open_incident") == 0 && json_is_object(x)) {
            open = x;
        } else {
            ermes_diag_set(d, key,
                           strcmp(key, "state") == 0
                               ? "state must be new, confirmed, false_positive, benign or"
                                 " duplicate"
                               : "%.40s: not a member of a triage body, or not of its type",
                           key);
            return ERMES_EINVAL;
        }
    }
    if (incident && open) {
        ermes_diag_set(d, "open_incident", "give incident or open_incident, not both");
        return ERMES_EINVAL;
    }
    if ((rc = read_ids(json_object_get(body, "events"), "events", &events, &nev, d)) ||
        (rc = read_ids(json_object_get(body, "sightings"), "sightings", &sightings, &nsg, d)) ||
        (rc = read_ids(json_object_get(body, "reports"), "reports", &reports, &nrep, d)))
        goto out;
    if (!state && !incident && !open) {
        ermes_diag_set(d, "state", "give a state, an incident to join or one to open");
        rc = ERMES_EINVAL;
        goto out;
    }
    if (!nev && !nsg && !nrep) {
        ermes_diag_set(d, "events", "name at least one event, sighting or report");
        rc = ERMES_EINVAL;
        goto out;
    }
    if (nrep && !incident && !open) {
        /* Reports have no triage state of their own: they open or join an incident. */
        ermes_diag_set(d, "reports", "reports open an incident or join one");
        rc = ERMES_EINVAL;
        goto out;
    }
    if (!(inc = malloc(sizeof(*inc)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = start(st, &own)))
        goto out;
    if (state) {
        if ((rc = ermes__store_triage_set(st, "event", events, nev, state, note, actor_of(v),
                                          &missing))) {
            if (rc == ERMES_ENOTFOUND) {
                ermes_diag_set(d, "events", "no event %lld", (long long)missing);
                rc = ERMES_EINVAL;
            }
            goto done;
        }
        if ((rc = ermes__store_triage_set(st, "sighting", sightings, nsg, state, note, actor_of(v),
                                          &missing))) {
            if (rc == ERMES_ENOTFOUND) {
                ermes_diag_set(d, "sightings", "no sighting %lld", (long long)missing);
                rc = ERMES_EINVAL;
            }
            goto done;
        }
    }
    if (allowlist && state && strcmp(state, "false_positive") == 0) {
        for (size_t i = 0; i < nsg; i++) {
            char value[ERMES_INDICATOR_VALUE_MAX + 1], reason[96];
            int64_t org = 0;
            int added = 0;
            snprintf(reason, sizeof(reason), "false positive (sighting %lld)",
                     (long long)sightings[i]);
            if ((rc = ermes__store_sighting_value(st, sightings[i], value, sizeof(value), &org)) ||
                (rc = ermes__store_allowlist_add(st, value, reason, v ? v->org_id : 0, &added)))
                goto done;
            allowed += added;
        }
    }
    if (open && (rc = create_in_tx(st, v, open, &incident, d)))
        goto done;
    if (incident) {
        if ((rc = ermes__store_incident_get(st, v, incident, inc))) {
            if (rc == ERMES_ENOTFOUND) {
                ermes_diag_set(d, "incident", "no incident %lld", (long long)incident);
                rc = ERMES_EINVAL;
            }
            goto done;
        }
        for (size_t i = 0; i < nev && !rc; i++)
            rc = link_in_tx(st, v, inc, "event", events[i], NULL, d);
        for (size_t i = 0; i < nsg && !rc; i++)
            rc = link_in_tx(st, v, inc, "sighting", sightings[i], NULL, d);
        for (size_t i = 0; i < nrep && !rc; i++)
            rc = link_in_tx(st, v, inc, "report", reports[i], NULL, d);
        if (rc || (rc = next_due(st, inc)) || (rc = ermes__store_incident_update(st, inc)))
            goto done;
    }
    {
        char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        ermes__audit_write(st, v, "triage", "triage", NULL, text);
        free(text);
    }
    *result =
        json_pack("{s:I,s:I,s:I,s:I,s:o}", "events", (json_int_t)nev, "sightings", (json_int_t)nsg,
                  "reports", (json_int_t)nrep, "allowlisted", (json_int_t)allowed, "incident",
                  incident ? json_integer(incident) : json_null());
    if (!*result)
        rc = ERMES_ENOMEM;
done:
    rc = finish(st, own, rc);
    if (rc) {
        json_decref(*result);
        *result = NULL;
    }
out:
    free(inc);
    free(events);
    free(sightings);
    free(reports);
    return rc;
}

/* ---- the daemon's warnings --------------------------------------------------------------- */

static int warned(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p += len;
        p += *p == ',';
    }
    return 0;
}

/* Where the warning about inc goes by e-mail: its assignee when the assignee's user name is an
 * address, else team_to (the incident_warn_mail setting); "" when nowhere. */
static void warning_recipient(const ermes__incident_t *inc, const char *team_to, char *out,
                              size_t cap)
{
    out[0] = '\0';
    if (inc->assignee_id && ermes__notify_address(inc->assignee, out, cap) == 0)
        return;
    out[0] = '\0';
    if (team_to && *team_to && ermes__notify_address(team_to, out, cap))
        out[0] = '\0';
}

int ermes__incidents_warn(ermes__store_t *st, int64_t now, int64_t lead_ms, int mail,
                          const char *team_to, size_t *n)
{
    int own = 0;
    int64_t ids[256];
    size_t nids = 0;
    ermes__incident_t *inc;
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    int64_t check_at;
    int rc;

    *n = 0;
    /* Incidents whose warnings are all given wait until their next one can be due
     * (warn_check_at), so however many are late the ones with news come first. */
    if ((rc = ermes__store_incident_due(st, now, now + lead_ms, ids, 256, &nids)))
        return rc;
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    for (size_t k = 0; k < nids; k++) {
        int changed = 0;
        if ((rc = start(st, &own)))
            break;
        if ((rc = ermes__store_incident_get(st, NULL, ids[k], inc)) ||
            (rc = ermes__incident_deadlines(st, inc, dl))) {
            rc = finish(st, own, rc == ERMES_ENOTFOUND ? 0 : rc);
            if (rc)
                break;
            continue;
        }
        check_at = INT64_MAX;
        for (int i = 0; i < ERMES_INCIDENT_CLOCKS && !rc; i++) {
            ermes__deadline_state_t s;
            char name[64], to[256];
            size_t len;
            int added;
            if (!dl[i].applies)
                continue;
            s = ermes__deadline_state(dl[i].due, dl[i].done, now, lead_ms);
            /* The next moment this deadline can bring a warning not given yet. */
            if (!dl[i].done && dl[i].due) {
                snprintf(name, sizeof(name), "%s:late", dl[i].name);
                if (s != ERMES_DEADLINE_LATE && !warned(inc->warned, name) && dl[i].due < check_at)
                    check_at = dl[i].due;
                snprintf(name, sizeof(name), "%s:soon", dl[i].name);
                if (s != ERMES_DEADLINE_SOON && s != ERMES_DEADLINE_LATE &&
                    !warned(inc->warned, name) && dl[i].due - lead_ms < check_at)
                    check_at = dl[i].due - lead_ms;
            }
            if (s != ERMES_DEADLINE_SOON && s != ERMES_DEADLINE_LATE)
                continue;
            snprintf(name, sizeof(name), "%s:%s", dl[i].name,
                     s == ERMES_DEADLINE_LATE ? "late" : "soon");
            len = strlen(inc->warned);
            if (warned(inc->warned, name) || len + strlen(name) + 2 > sizeof(inc->warned))
                continue;
            snprintf(inc->warned + len, sizeof(inc->warned) - len, "%s%s", len ? "," : "", name);
            /* The e-mail is queued in this transaction, once per deadline (its unique key), and
             * sent after it by the holder of the warnings' lease (warn_mail.c). */
            to[0] = '\0';
            if (mail)
                warning_recipient(inc, team_to, to, sizeof(to));
            if (to[0] && (rc = ermes__store_warning_mail_add(st, inc->id, name, to, inc->tlp,
                                                             inc->owner_org_id, &added)))
                break;
            rc = timeline(st, NULL, inc->id, "warning", 0,
                          json_pack("{s:s,s:o,s:s,s:s?,s:s?}", "deadline", dl[i].name, "due",
                                    jtime(dl[i].due), "state", ermes__deadline_state_name(s),
                                    "assignee", inc->assignee_id ? inc->assignee : NULL, "mail_to",
                                    to[0] ? to : NULL));
            changed = 1;
            (*n)++;
        }
        if (!rc && changed)
            rc = ermes__store_incident_update(st, inc);
        /* A paused clock has no due time yet: the pause's end changes the incident. */
        if (!rc)
            rc = ermes__store_incident_warn_check(st, inc->id, check_at);
        if ((rc = finish(st, own, rc)))
            break;
    }
    free(inc);
    return rc;
}
