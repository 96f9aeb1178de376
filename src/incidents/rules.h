/* Incident rules: link an incident report to an incident, open one, or leave it for triage
 * (rules.c; table incident_rules, store/incident_rules.c). */
#ifndef ERMES_INCIDENTS_RULES_H
#define ERMES_INCIDENTS_RULES_H

#include <jansson.h>

#include "ermes/error.h"
#include "store/store.h"

/* A rule from a JSON body (partial: the members given change *r, else every member is read
 * anew); checked as a whole. ERMES_EINVAL with d naming the member. */
int ermes__incident_rule_read(const json_t *body, int partial, ermes__incident_rule_t *r,
                              ermes_diag_t *d);
int ermes__incident_rule_check(ermes__incident_rule_t *r, ermes_diag_t *d);
json_t *ermes__incident_rule_to_json(const ermes__incident_rule_t *r);
/* 1 when subject matches pattern: a glob (* ?) when it has one, else a substring; both
 * case-insensitive. */
int ermes__incident_rule_subject_match(const char *pattern, const char *subject);
/* Runs the enabled rules in order for incident report report_id on behalf of v (the first that
 * matches decides; none: triage), in one transaction (the caller's when open). thread: the
 * message's References then In-Reply-To, as written (NULL or "" when it has neither):
 * same_thread looks for the reports of the messages they name, the one answered first, and
 * compares subjects only when the headers name no message. A report decided already keeps its
 * decision. *incident_id (may be NULL): the incident it was linked to or opened, 0 for none. */
int ermes__incident_rules_run(ermes__store_t *st, const ermes__viewer_t *v, int64_t report_id,
                              const char *thread, int64_t *incident_id);

#endif
