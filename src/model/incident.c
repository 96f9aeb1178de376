/* The incident vocabulary and lifecycle, and the reading of an incident body (incident.h). */
#include "model/incident.h"

#include <stdlib.h>
#include <string.h>

#include "core/time.h"

static const char *const statuses[] = {ERMES_INCIDENT_STATUSES};
static const char *const severities[] = {"low", "medium", "high", "critical"};
static const char *const paps[] = {"CLEAR", "GREEN", "AMBER", "RED"};
static const char *const triage_states[] = {"new", "confirmed", "false_positive", "benign",
                                            "duplicate"};
static const char *const link_kinds[] = {"report",    "event",        "sighting",
                                         "indicator", "notification", "incident"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

int ermes__incident_status_valid(const char *s)
{
    return in_list(s, statuses, COUNT(statuses));
}

int ermes__incident_severity_valid(const char *s)
{
    return in_list(s, severities, COUNT(severities));
}

int ermes__incident_pap_valid(const char *s)
{
    return in_list(s, paps, COUNT(paps));
}

int ermes__incident_pap_allows_outside(const char *pap)
{
    return pap && strcmp(pap, "RED") != 0;
}

int ermes__triage_state_valid(const char *s)
{
    return in_list(s, triage_states, COUNT(triage_states));
}

int ermes__incident_link_kind_valid(const char *s)
{
    return in_list(s, link_kinds, COUNT(link_kinds));
}

int ermes__incident_status_done(const char *s)
{
    return s && (strcmp(s, "resolved") == 0 || strcmp(s, "closed") == 0);
}

/* The lifecycle: from each status, where it may go. Reopening is going back to in_progress
 * from resolved or closed. Closing is possible from every open status (a report that turns out
 * to be nothing is closed from new). */
static const struct {
    const char *from;
    const char *to[7];
} transitions[] = {
    {"new", {"triage", "in_progress", "closed"}},
    {"triage", {"new", "in_progress", "waiting_on_constituent", "closed"}},
    {"in_progress", {"triage", "waiting_on_constituent", "contained", "resolved", "closed"}},
    {"waiting_on_constituent", {"in_progress", "contained", "resolved", "closed"}},
    {"contained", {"in_progress", "waiting_on_constituent", "resolved", "closed"}},
    {"resolved", {"in_progress", "closed"}},
    {"closed", {"in_progress"}},
};

int ermes__incident_transition_ok(const char *from, const char *to)
{
    for (size_t i = 0; from && to && i < COUNT(transitions); i++) {
        if (strcmp(transitions[i].from, from) != 0)
            continue;
        for (size_t k = 0; k < 7 && transitions[i].to[k]; k++)
            if (strcmp(transitions[i].to[k], to) == 0)
                return 1;
        return 0;
    }
    return 0;
}

/* A string member of at most max bytes without NUL, or null when nullable. *out NULL for
 * null. */
static int read_string(const json_t *v, const char *name, size_t max, int nullable,
                       const char **out, ermes_diag_t *d)
{
    if (json_is_null(v) && nullable) {
        *out = NULL;
        return 0;
    }
    if (!json_is_string(v)) {
        ermes_diag_set(d, name, "%s must be a string%s", name, nullable ? " or null" : "");
        return ERMES_EINVAL;
    }
    if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v)) {
        ermes_diag_set(d, name, "%s must be at most %zu bytes, without NUL", name, max);
        return ERMES_EINVAL;
    }
    *out = json_string_value(v);
    return 0;
}

static int read_time(const json_t *v, const char *name, int64_t *out, ermes_diag_t *d)
{
    ermes_diag_t td;

    if (json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) > 64 ||
        ermes__time_parse(json_string_value(v), json_string_length(v), out, &td) || *out <= 0) {
        ermes_diag_set(d, name, "%s must be an RFC 3339 date-time or null", name);
        return ERMES_EINVAL;
    }
    return 0;
}

int ermes__incident_body_read(const json_t *body, int partial, ermes__incident_input_t *in,
                              ermes_diag_t *d)
{
    const char *key;
    json_t *v;
    int rc = 0;

    memset(in, 0, sizeof(*in));
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "title") == 0) {
            rc = read_string(v, key, ERMES_INCIDENT_TITLE_MAX, 0, &in->title, d);
            if (!rc && !in->title[0]) {
                ermes_diag_set(d, key, "title must not be empty");
                rc = ERMES_EINVAL;
            }
            in->has |= ERMES_INC_TITLE;
        } else if (strcmp(key, "description") == 0) {
            rc = read_string(v, key, ERMES_INCIDENT_TEXT_MAX, 0, &in->description, d);
            in->has |= ERMES_INC_DESCRIPTION;
        } else if (strcmp(key, "rsit_class") == 0) {
            rc = read_string(v, key, ERMES_INCIDENT_NAME_MAX, 1, &in->rsit_class, d);
            in->has |= ERMES_INC_RSIT_CLASS;
        } else if (strcmp(key, "rsit_type") == 0) {
            rc = read_string(v, key, ERMES_INCIDENT_NAME_MAX, 1, &in->rsit_type, d);
            in->has |= ERMES_INC_RSIT_TYPE;
        } else if (strcmp(key, "severity") == 0) {
            rc = read_string(v, key, 16, 0, &in->severity, d);
            if (!rc && !ermes__incident_severity_valid(in->severity)) {
                ermes_diag_set(d, key, "severity must be low, medium, high or critical");
                rc = ERMES_EINVAL;
            }
            in->has |= ERMES_INC_SEVERITY;
        } else if (strcmp(key, "impact") == 0) {
            rc = read_string(v, key, 16, 1, &in->impact, d);
            if (!rc && in->impact && !ermes__incident_severity_valid(in->impact)) {
                ermes_diag_set(d, key, "impact must be low, medium, high, critical or null");
                rc = ERMES_EINVAL;
            }
            in->has |= ERMES_INC_IMPACT;
        } else if (strcmp(key, "tlp") == 0) {
            const char *t = NULL;
            rc = read_string(v, key, 16, 0, &t, d);
            if (!rc && ermes_tlp_parse(t, strlen(t), &in->tlp)) {
                ermes_diag_set(d, key, "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
                rc = ERMES_EINVAL;
            }
            in->has |= ERMES_INC_TLP;
        } else if (strcmp(key, "pap") == 0) {
            rc = read_string(v, key, 8, 0, &in->pap, d);
            if (!rc && !ermes__incident_pap_valid(in->pap)) {
                ermes_diag_set(d, key, "pap must be CLEAR, GREEN, AMBER or RED");
                rc = ERMES_EINVAL;
            }
            in->has |= ERMES_INC_PAP;
        } else if (strcmp(key, "status") == 0) {
            rc = read_string(v, key, 32, 0, &in->status, d);
            if (!rc && !ermes__incident_status_valid(in->status)) {
                ermes_diag_set(d, key,
                               "status must be new, triage, in_progress, waiting_on_constituent,"
                               " contained, resolved or closed");
                rc = ERMES_EINVAL;
            }
            in->has |= ERMES_INC_STATUS;
        } else if (strcmp(key, "assignee") == 0) {
            rc = read_string(v, key, ERMES_INCIDENT_NAME_MAX, 1, &in->assignee, d);
            in->has |= ERMES_INC_ASSIGNEE;
        } else if (strcmp(key, "team") == 0) {
            rc = read_string(v, key, ERMES_INCIDENT_NAME_MAX, 1, &in->team, d);
            in->has |= ERMES_INC_TEAM;
        } else if (strcmp(key, "organisation") == 0) {
            rc = read_string(v, key, ERMES_INCIDENT_NAME_MAX, 1, &in->org, d);
            in->has |= ERMES_INC_ORG;
        } else if (strcmp(key, "template") == 0 && !partial) {
            rc = read_string(v, key, ERMES_INCIDENT_NAME_MAX, 0, &in->template_name, d);
            in->has |= ERMES_INC_TEMPLATE;
        } else if (strcmp(key, "parent") == 0) {
            if (json_is_null(v)) {
                in->parent_id = 0;
            } else if (!json_is_integer(v) || json_integer_value(v) < 1) {
                ermes_diag_set(d, key, "parent must be an incident id or null");
                rc = ERMES_EINVAL;
            } else {
                in->parent_id = json_integer_value(v);
            }
            in->has |= ERMES_INC_PARENT;
        } else if (strcmp(key, "nis2") == 0) {
            if (!json_is_boolean(v)) {
                ermes_diag_set(d, key, "nis2 must be true or false");
                rc = ERMES_EINVAL;
            }
            in->nis2 = json_is_true(v);
            in->has |= ERMES_INC_NIS2;
        } else if (strcmp(key, "aware_at") == 0) {
            rc = read_time(v, key, &in->aware_at, d);
            in->has |= ERMES_INC_AWARE;
        } else if (strcmp(key, "early_warning_at") == 0) {
            rc = read_time(v, key, &in->early_warning_at, d);
            in->has |= ERMES_INC_EARLY_WARNING;
        } else if (strcmp(key, "notification_at") == 0) {
            rc = read_time(v, key, &in->notification_at, d);
            in->has |= ERMES_INC_NOTIFICATION;
        } else if (strcmp(key, "final_report_at") == 0) {
            rc = read_time(v, key, &in->final_report_at, d);
            in->has |= ERMES_INC_FINAL_REPORT;
        } else if (strcmp(key, "feedback_at") == 0) {
            rc = read_time(v, key, &in->feedback_at, d);
            in->has |= ERMES_INC_FEEDBACK;
        } else if (strcmp(key, "fields") == 0) {
            char *text = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
            if (!text || strlen(text) > ERMES_INCIDENT_FIELDS_MAX) {
                ermes_diag_set(d, key, "fields must be an object of at most %d bytes as JSON",
                               ERMES_INCIDENT_FIELDS_MAX);
                rc = ERMES_EINVAL;
            }
            free(text);
            in->fields = v;
            in->has |= ERMES_INC_FIELDS;
        } else if (strcmp(key, "constituents") == 0) {
            size_t i;
            json_t *o;
            if (!json_is_array(v) || json_array_size(v) > ERMES_INCIDENT_BULK_MAX)
                rc = ERMES_EINVAL;
            json_array_foreach(v, i, o) if (!json_is_string(o) ||
                                            json_string_length(o) > ERMES_INCIDENT_NAME_MAX) rc =
                ERMES_EINVAL;
            if (rc)
                ermes_diag_set(d, key,
                               "constituents must be an array of at most %d organisation names",
                               ERMES_INCIDENT_BULK_MAX);
            in->constituents = v;
            in->has |= ERMES_INC_CONSTITUENTS;
        } else if (strcmp(key, "links") == 0 && !partial) {
            size_t i;
            json_t *o;
            if (!json_is_array(v) || json_array_size(v) > ERMES_INCIDENT_BULK_MAX)
                rc = ERMES_EINVAL;
            json_array_foreach(v, i, o)
            {
                json_t *k = json_object_get(o, "kind"), *id = json_object_get(o, "id");
                if (!json_is_object(o) || json_object_size(o) != 2 || !json_is_string(k) ||
                    !ermes__incident_link_kind_valid(json_string_value(k)) ||
                    !json_is_integer(id) || json_integer_value(id) < 1)
                    rc = ERMES_EINVAL;
            }
            if (rc)
                ermes_diag_set(d, key,
                               "links must be an array of {\"kind\": report, event, sighting,"
                               " indicator, notification or incident, \"id\": N}");
            in->links = v;
            in->has |= ERMES_INC_LINKS;
        } else {
            ermes_diag_set(d, key, "unknown member \"%.40s\"", key);
            rc = ERMES_EINVAL;
        }
        if (rc)
            return rc;
    }
    if (!partial && !(in->has & (ERMES_INC_TITLE | ERMES_INC_TEMPLATE))) {
        ermes_diag_set(d, "title", "an incident needs a title");
        return ERMES_EINVAL;
    }
    return 0;
}
