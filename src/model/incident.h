/* Incidents: the cases the team handles, their vocabulary (status, severity, PAP, triage
 * states, kinds of linked object), the transitions of the status lifecycle, and the members of
 * an incident's JSON body as the API and the CLI give them. */
#ifndef ERMES_MODEL_INCIDENT_H
#define ERMES_MODEL_INCIDENT_H

#include <jansson.h>
#include <stdint.h>

#include "ermes/error.h"
#include "ermes/tlp.h"

#define ERMES_INCIDENT_TITLE_MAX 256
#define ERMES_INCIDENT_TEXT_MAX 8192   /* description, a comment */
#define ERMES_INCIDENT_FIELDS_MAX 4096 /* the template's fields, as JSON text */
#define ERMES_INCIDENT_NAME_MAX 64     /* team, template, RSIT names */
#define ERMES_INCIDENT_PAUSES_MAX 1024
#define ERMES_INCIDENT_BULK_MAX 1000 /* ids in one triage or link request */

typedef struct ermes__incident {
    int64_t id;
    char title[ERMES_INCIDENT_TITLE_MAX + 1];
    char description[ERMES_INCIDENT_TEXT_MAX + 1];
    char rsit_class[ERMES_INCIDENT_NAME_MAX + 1], rsit_type[ERMES_INCIDENT_NAME_MAX + 1];
    char severity[16]; /* low, medium, high, critical */
    char impact[16];   /* the same scale, "" when not assessed */
    char pap[8];       /* CLEAR, GREEN, AMBER, RED */
    char status[32];
    int64_t assignee_id; /* 0: unassigned */
    char assignee[ERMES_INCIDENT_NAME_MAX + 1];
    char team[ERMES_INCIDENT_NAME_MAX + 1];
    int64_t org_id; /* the main constituent concerned, 0: none */
    char org[ERMES_INCIDENT_NAME_MAX + 1];
    int64_t parent_id, merged_into;
    char template_name[ERMES_INCIDENT_NAME_MAX + 1];
    char fields[ERMES_INCIDENT_FIELDS_MAX + 1]; /* JSON object text, "" for none */
    int nis2;                                   /* a significant incident under NIS2 */
    int64_t aware_at, early_warning_at, notification_at, final_report_at, feedback_at;
    int64_t acknowledged_at, triaged_at, notified_at, contained_at, resolved_at, closed_at;
    int64_t next_due_at; /* the earliest deadline not met, 0: none (or paused) */
    char pauses[ERMES_INCIDENT_PAUSES_MAX + 1];
    char warned[256]; /* names of the deadlines warned of, comma-separated */
    ermes_tlp_t tlp;
    int64_t owner_org_id;
    int64_t created_at, updated_at;
} ermes__incident_t;

/* What the reaction-time metrics read of an incident (incidents/measure.c), kept in columns of
 * its row (migration 49) so that a year's metrics are a narrow scan, not a walk of each
 * incident's business-hour clocks. Each is recomputable from the timeline's milestones. */
#define ERMES_INCIDENT_METRICS 5     /* acknowledge, triage, notify, contain, resolve */
#define ERMES_INCIDENT_SLA_TARGETS 3 /* first_response, containment, resolution */
/* A target's state as kept: met and missed once done, else its due time (ms, > 0), or
 * ERMES_SLA_PAUSED while an open pause stops its clock. */
#define ERMES_SLA_MET (-1)
#define ERMES_SLA_MISSED (-2)
#define ERMES_SLA_PAUSED 0
typedef struct ermes__incident_measures {
    int has[ERMES_INCIDENT_METRICS];
    int64_t ms[ERMES_INCIDENT_METRICS]; /* milestone less creation, wall-clock ms */
    /* The same in business hours (ms) of the constituent's calendar, pauses left out
     * (migration 63); has[] says for both. */
    int64_t bms[ERMES_INCIDENT_METRICS];
    int sla_applies[ERMES_INCIDENT_SLA_TARGETS]; /* 0: no SLA policy applies */
    int64_t sla[ERMES_INCIDENT_SLA_TARGETS];     /* ERMES_SLA_* or the due time */
} ermes__incident_measures_t;

/* The statuses, in lifecycle order. */
#define ERMES_INCIDENT_STATUSES                                                                    \
    "new", "triage", "in_progress", "waiting_on_constituent", "contained", "resolved", "closed"
int ermes__incident_status_valid(const char *s);
/* 1 when the lifecycle lets an incident go from status `from` to `to` (reopening a resolved
 * or closed one is going back to in_progress); 0 otherwise, also for from == to. */
int ermes__incident_transition_ok(const char *from, const char *to);
/* 1 for resolved and closed. */
int ermes__incident_status_done(const char *s);
int ermes__incident_severity_valid(const char *s);
int ermes__incident_pap_valid(const char *s);
/* 1 when PAP pap lets ermes make lookups that reach outside (a third party's service):
 * not for PAP:RED, whose observables may only be checked passively, in the CERT's own data. */
int ermes__incident_pap_allows_outside(const char *pap);
int ermes__triage_state_valid(const char *s);
/* The kinds of object an incident links to: report (an incident report of the mail intake),
 * event, sighting, indicator, notification, incident. */
int ermes__incident_link_kind_valid(const char *s);

/* The members of an incident body (POST: all; PATCH: those present). Strings are borrowed from
 * the JSON; has says which members were given (ERMES_INC_*). Times in ms. */
#define ERMES_INC_TITLE 0x1u
#define ERMES_INC_DESCRIPTION 0x2u
#define ERMES_INC_RSIT_CLASS 0x4u
#define ERMES_INC_RSIT_TYPE 0x8u
#define ERMES_INC_SEVERITY 0x10u
#define ERMES_INC_IMPACT 0x20u
#define ERMES_INC_TLP 0x40u
#define ERMES_INC_PAP 0x80u
#define ERMES_INC_STATUS 0x100u
#define ERMES_INC_ASSIGNEE 0x200u
#define ERMES_INC_TEAM 0x400u
#define ERMES_INC_ORG 0x800u
#define ERMES_INC_PARENT 0x1000u
#define ERMES_INC_NIS2 0x2000u
#define ERMES_INC_AWARE 0x4000u
#define ERMES_INC_EARLY_WARNING 0x8000u
#define ERMES_INC_NOTIFICATION 0x10000u
#define ERMES_INC_FINAL_REPORT 0x20000u
#define ERMES_INC_FEEDBACK 0x40000u
#define ERMES_INC_FIELDS 0x80000u
#define ERMES_INC_TEMPLATE 0x100000u
#define ERMES_INC_CONSTITUENTS 0x200000u
#define ERMES_INC_LINKS 0x400000u

typedef struct ermes__incident_input {
    unsigned has;
    const char *title, *description, *rsit_class, *rsit_type, *severity, *impact, *pap, *status;
    const char *assignee, *team, *org, *template_name;
    ermes_tlp_t tlp;
    int64_t parent_id;
    int nis2;
    int64_t aware_at, early_warning_at, notification_at, final_report_at, feedback_at;
    const json_t *fields;       /* an object */
    const json_t *constituents; /* an array of organisation short names or ids */
    const json_t *links;        /* an array of {"kind", "id"} */
} ermes__incident_input_t;

/* Reads body (an object) into in. partial: a PATCH, where nothing is required (a POST needs a
 * title). Unknown members, wrong types, values out of their vocabulary and strings past their
 * size are ERMES_EINVAL with d naming the member; nothing touches the store. */
int ermes__incident_body_read(const json_t *body, int partial, ermes__incident_input_t *in,
                              ermes_diag_t *d);

#endif
