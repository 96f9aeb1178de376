/* The rules that link an incident report to the open incident it belongs to, open a new one
 * or leave it for triage (table incident_rules). Run once a report is stored (mail receive and
 * poll, src/mail/receive.c): the first enabled rule that matches decides, none = the triage
 * queue. What decided (rule and a sentence) is kept per report (incident_report_decisions)
 * and written to the incident's timeline; a report is decided once (running again changes
 * nothing). */
#include "incidents/rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "incidents/incidents.h"

#define RULES_MAX 200
#define DAY_MS (24LL * 3600 * 1000)
#define HOUR_MS (3600LL * 1000)

static const char *const conditions[] = {"shared_observable", "same_thread",
                                         "same_constituent_class", "subject_pattern"};
static const char *const actions[] = {"link", "open", "queue"};
static const char *const severities[] = {"low", "medium", "high", "critical"};

static int one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(s, set[k]) == 0)
            return 1;
    return 0;
}

/* Case-insensitive glob (* and ?) over the whole text; iterative with one backtrack point,
 * so linear in practice and never recursive on hostile patterns. */
static int glob_match(const char *pat, const char *text)
{
    const char *star = NULL, *resume = NULL;

    while (*text) {
        if (*pat == '*') {
            star = pat++;
            resume = text;
        } else if (*pat == '?' ||
                   (*pat && tolower((unsigned char)*pat) == tolower((unsigned char)*text))) {
            pat++;
            text++;
        } else if (star) {
            pat = star + 1;
            text = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == 0;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++) {
        size_t k = 0;
        while (k < n && hay[k] &&
               tolower((unsigned char)hay[k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == n)
            return 1;
    }
    return n == 0;
}

int ermes__incident_rule_subject_match(const char *pattern, const char *subject)
{
    if (strpbrk(pattern, "*?"))
        return glob_match(pattern, subject);
    return contains_nocase(subject, pattern);
}

static int text_member(json_t *x, const char *key, char *dst, size_t cap, int min, ermes_diag_t *d)
{
    if (!json_is_string(x) || json_string_length(x) < (size_t)min || json_string_length(x) >= cap ||
        strlen(json_string_value(x)) != json_string_length(x)) {
        ermes_diag_set(d, key, "%s must be a text of %d to %zu bytes", key, min, cap - 1);
        return ERMES_EINVAL;
    }
    snprintf(dst, cap, "%s", json_string_value(x));
    return 0;
}

static int int_member(json_t *x, const char *key, int64_t lo, int64_t hi, int64_t *out,
                      ermes_diag_t *d)
{
    if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi) {
        ermes_diag_set(d, key, "%s must be a whole number from %lld to %lld", key, (long long)lo,
                       (long long)hi);
        return ERMES_EINVAL;
    }
    *out = json_integer_value(x);
    return 0;
}

int ermes__incident_rule_read(const json_t *body, int partial, ermes__incident_rule_t *r,
                              ermes_diag_t *d)
{
    const char *key;
    json_t *x;
    int rc = 0;

    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    if (!partial) {
        memset(r, 0, sizeof(*r));
        r->enabled = 1;
        snprintf(r->severity, sizeof(r->severity), "medium");
        r->tlp = ERMES_TLP_AMBER;
        for (const char *const *k = (const char *const[]){"name", "condition", "action", NULL}; *k;
             k++)
            if (!json_object_get(body, *k)) {
                ermes_diag_set(d, *k, "%s is required", *k);
                return ERMES_EINVAL;
            }
    }
    json_object_foreach((json_t *)body, key, x)
    {
        if (strcmp(key, "name") == 0)
            rc = text_member(x, key, r->name, sizeof(r->name), 1, d);
        else if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(x)) {
                ermes_diag_set(d, key, "enabled must be true or false");
                return ERMES_EINVAL;
            }
            r->enabled = json_is_true(x);
        } else if (strcmp(key, "position") == 0)
            rc = int_member(x, key, 1, 1000000, &r->position, d);
        else if (strcmp(key, "days") == 0)
            rc = int_member(x, key, 1, 3650, &r->days, d);
        else if (strcmp(key, "hours") == 0)
            rc = int_member(x, key, 1, 87600, &r->hours, d);
        else if (strcmp(key, "condition") == 0) {
            if ((rc = text_member(x, key, r->condition, sizeof(r->condition), 1, d)))
                ermes_diag_set(d, key,
                               "condition must be shared_observable, same_thread,"
                               " same_constituent_class or subject_pattern");
        } else if (strcmp(key, "action") == 0) {
            if ((rc = text_member(x, key, r->action, sizeof(r->action), 1, d)))
                ermes_diag_set(d, key, "action must be link, open or queue");
        } else if (strcmp(key, "pattern") == 0)
            rc = text_member(x, key, r->pattern, sizeof(r->pattern), 0, d);
        else if (strcmp(key, "rsit_class") == 0)
            rc = text_member(x, key, r->rsit_class, sizeof(r->rsit_class), 0, d);
        else if (strcmp(key, "open_class") == 0)
            rc = text_member(x, key, r->open_class, sizeof(r->open_class), 0, d);
        else if (strcmp(key, "open_type") == 0)
            rc = text_member(x, key, r->open_type, sizeof(r->open_type), 0, d);
        else if (strcmp(key, "severity") == 0)
            rc = text_member(x, key, r->severity, sizeof(r->severity), 1, d);
        else if (strcmp(key, "tlp") == 0) {
            if (!json_is_string(x) ||
                ermes_tlp_parse(json_string_value(x), json_string_length(x), &r->tlp)) {
                ermes_diag_set(d, key, "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
                return ERMES_EINVAL;
            }
        } else if (strcmp(key, "id") != 0 && strcmp(key, "created_at") != 0 &&
                   strcmp(key, "updated_at") != 0) {
            ermes_diag_set(d, key, "unknown member \"%.64s\"", key);
            return ERMES_EINVAL;
        }
        if (rc)
            return rc;
    }
    return ermes__incident_rule_check(r, d);
}

int ermes__incident_rule_check(ermes__incident_rule_t *r, ermes_diag_t *d)
{
    if (!one_of(r->condition, conditions, 4)) {
        ermes_diag_set(d, "condition",
                       "condition must be shared_observable, same_thread, same_constituent_class"
                       " or subject_pattern");
        return ERMES_EINVAL;
    }
    if (!one_of(r->action, actions, 3)) {
        ermes_diag_set(d, "action", "action must be link, open or queue");
        return ERMES_EINVAL;
    }
    if (!one_of(r->severity, severities, 4)) {
        ermes_diag_set(d, "severity", "severity must be low, medium, high or critical");
        return ERMES_EINVAL;
    }
    if ((strcmp(r->condition, "shared_observable") == 0 ||
         strcmp(r->condition, "same_thread") == 0) &&
        !r->days) {
        ermes_diag_set(d, "days", "days (how recently the incident was updated) is required");
        return ERMES_EINVAL;
    }
    if (strcmp(r->condition, "same_constituent_class") == 0) {
        if (!r->hours) {
            ermes_diag_set(d, "hours", "hours (how recently the incident was opened) is required");
            return ERMES_EINVAL;
        }
        if (!r->rsit_class[0]) {
            ermes_diag_set(d, "rsit_class", "rsit_class is required");
            return ERMES_EINVAL;
        }
        if (ermes__rsit_check(r->rsit_class, NULL, d))
            return ERMES_EINVAL;
    }
    if (strcmp(r->condition, "subject_pattern") == 0) {
        if (!r->pattern[0]) {
            ermes_diag_set(d, "pattern", "pattern is required");
            return ERMES_EINVAL;
        }
        if (strcmp(r->action, "link") == 0) {
            ermes_diag_set(d, "action",
                           "a subject_pattern finds no incident to link to: open or queue");
            return ERMES_EINVAL;
        }
    }
    if (strcmp(r->action, "open") == 0) {
        if (!r->open_class[0]) {
            ermes_diag_set(d, "open_class", "open_class (the new incident's class) is required");
            return ERMES_EINVAL;
        }
        if (ermes__rsit_check(r->open_class, r->open_type, d)) {
            if (d && strcmp(d->field, "rsit_class") == 0)
                snprintf(d->field, sizeof(d->field), "open_class");
            else if (d && strcmp(d->field, "rsit_type") == 0)
                snprintf(d->field, sizeof(d->field), "open_type");
            return ERMES_EINVAL;
        }
    }
    return 0;
}

json_t *ermes__incident_rule_to_json(const ermes__incident_rule_t *r)
{
    char created[ERMES_TIME_STRLEN], updated[ERMES_TIME_STRLEN];

    ermes__time_format(r->created_at, created);
    ermes__time_format(r->updated_at, updated);
    return json_pack("{s:I,s:I,s:s,s:b,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
                     (json_int_t)r->id, "position", (json_int_t)r->position, "name", r->name,
                     "enabled", r->enabled, "condition", r->condition, "days", (json_int_t)r->days,
                     "hours", (json_int_t)r->hours, "pattern", r->pattern, "rsit_class",
                     r->rsit_class, "action", r->action, "open_class", r->open_class, "open_type",
                     r->open_type, "severity", r->severity, "tlp", ermes_tlp_name(r->tlp),
                     "created_at", created, "updated_at", updated);
}

struct rules {
    ermes__incident_rule_t *v;
    size_t n;
};

static int collect(void *ctx, const ermes__incident_rule_t *r)
{
    struct rules *c = ctx;

    if (!r->enabled || c->n >= RULES_MAX)
        return 0;
    c->v[c->n++] = *r;
    return 0;
}

struct report_info {
    char subject[512];
    ermes_tlp_t tlp;
};

static int report_cb(void *ctx, const ermes__incident_report_t *r)
{
    struct report_info *i = ctx;

    snprintf(i->subject, sizeof(i->subject), "%s", r->subject ? r->subject : "");
    i->tlp = r->tlp;
    return 0;
}

static int first_link(void *ctx, int64_t id, const char *kind, int64_t object_id,
                      int64_t created_at)
{
    int64_t *inc = ctx;

    (void)kind;
    (void)object_id;
    (void)created_at;
    if (!*inc)
        *inc = id;
    return 0;
}

/* Appends the rule's decision to the incident's timeline. */
static int timeline_note(ermes__store_t *st, const ermes__viewer_t *v, int64_t incident_id,
                         int64_t report_id, const ermes__incident_rule_t *r, const char *reason)
{
    ermes__timeline_entry_t e;
    json_t *j = json_pack("{s:I,s:s,s:I,s:s}", "rule_id", (json_int_t)r->id, "rule", r->name,
                          "report", (json_int_t)report_id, "reason", reason);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;

    json_decref(j);
    if (!text)
        return ERMES_ENOMEM;
    memset(&e, 0, sizeof(e));
    e.incident_id = incident_id;
    e.user_id = v ? v->user_id : 0;
    e.actor = v && v->user_name ? v->user_name : "rules";
    e.kind = "rule";
    e.detail = text;
    rc = ermes__store_incident_timeline_add(st, &e);
    free(text);
    return rc;
}

/* The message ids (without angle brackets) in header text h, at most cap of them, in the
 * order written. Returns how many. */
static size_t msg_ids(const char *h, char ids[][256], size_t cap)
{
    size_t n = 0;

    while (h && *h && n < cap) {
        const char *lt = strchr(h, '<'), *gt;
        size_t len;
        if (!lt || !(gt = strchr(lt + 1, '>')))
            break;
        len = (size_t)(gt - lt - 1);
        if (len && len < 256 && memchr(lt + 1, '@', len) && !memchr(lt + 1, ' ', len)) {
            memcpy(ids[n], lt + 1, len);
            ids[n++][len] = 0;
        }
        h = gt + 1;
    }
    return n;
}

/* same_thread: the newest message the headers name first (In-Reply-To, then References from
 * the last), then, when they name none, the subject. */
static int find_thread(ermes__store_t *st, const char *thread, int64_t report_id, int64_t since,
                       int64_t *inc, char *what, size_t cap)
{
    char(*ids)[256] = malloc(32 * sizeof(*ids));
    size_t n;
    int rc = 0;

    if (!ids)
        return ERMES_ENOMEM;
    n = msg_ids(thread, ids, 32);
    *inc = 0;
    /* thread is References then In-Reply-To (rules.h), References oldest first: from the
     * last id back is from the message answered to the thread's start. */
    for (size_t k = n; k > 0 && !*inc && !rc; k--)
        rc = ermes__store_rule_find_thread(st, ids[k - 1], report_id, since, inc, what, cap);
    free(ids);
    if (rc || *inc || n)
        return rc;
    return ermes__store_rule_find_incident(st, "same_thread", report_id, since, NULL, inc, what,
                                           cap);
}

static int rules_run(ermes__store_t *st, const ermes__viewer_t *v, int64_t report_id,
                     const char *thread, int64_t *incident_id)
{
    struct rules c = {NULL, 0};
    struct report_info info;
    ermes__incident_rule_t *r = NULL;
    char what[600], reason[1024], action[16];
    int64_t inc = 0, since, rule_id = 0;
    ermes_diag_t d;
    int rc, added = 0;

    if (incident_id)
        *incident_id = 0;
    /* Decided already: the same answer again. */
    rc = ermes__store_report_decision_get(st, report_id, &rule_id, action, sizeof(action), &inc,
                                          reason, sizeof(reason));
    if (rc != ERMES_ENOTFOUND) {
        if (!rc && incident_id)
            *incident_id = inc;
        return rc;
    }
    memset(&info, 0, sizeof(info));
    if ((rc = ermes__store_incident_report_get(st, report_id, report_cb, &info)))
        return rc;
    /* Linked already (by hand, or a run stopped before it recorded its decision): that
     * incident, never a second one. */
    if ((rc = ermes__store_incident_links_of(st, "report", report_id, first_link, &inc)))
        return rc;
    if (inc) {
        snprintf(reason, sizeof(reason), "linked to incident %lld before the rules ran",
                 (long long)inc);
        rc = ermes__store_report_decision_put(st, report_id, 0, "link", inc, reason, info.tlp,
                                              &added);
        if (!rc && incident_id)
            *incident_id = inc;
        return rc;
    }
    if (!(c.v = calloc(RULES_MAX, sizeof(*c.v))))
        return ERMES_ENOMEM;
    if ((rc = ermes__store_incident_rule_each(st, collect, &c)))
        goto out;
    snprintf(reason, sizeof(reason), "no enabled rule matched: left for triage");
    for (size_t k = 0; k < c.n; k++) {
        ermes__incident_rule_t *x = &c.v[k];
        int hit = 0;

        inc = 0;
        what[0] = 0;
        if (strcmp(x->condition, "subject_pattern") == 0) {
            hit = ermes__incident_rule_subject_match(x->pattern, info.subject);
            snprintf(what, sizeof(what), "the subject matches \"%s\"", x->pattern);
        } else {
            since = ermes__time_now_ms() - (strcmp(x->condition, "same_constituent_class") == 0
                                                ? x->hours * HOUR_MS
                                                : x->days * DAY_MS);
            if (strcmp(x->condition, "same_thread") == 0)
                rc = find_thread(st, thread, report_id, since, &inc, what, sizeof(what));
            else
                rc = ermes__store_rule_find_incident(st, x->condition, report_id, since,
                                                     x->rsit_class, &inc, what, sizeof(what));
            if (rc)
                goto out;
            hit = inc != 0;
        }
        if (!hit)
            continue;
        r = x;
        if (strcmp(x->action, "queue") == 0) {
            snprintf(reason, sizeof(reason), "rule %lld \"%s\" (%s: %s): left for triage",
                     (long long)x->id, x->name, x->condition, what);
            inc = 0;
        } else if (strcmp(x->action, "link") == 0 || inc) {
            /* open with an incident found: the report belongs to it, no second incident. */
            snprintf(reason, sizeof(reason), "rule %lld \"%s\" (%s: %s): linked to incident %lld",
                     (long long)x->id, x->name, x->condition, what, (long long)inc);
        } else {
            json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "rsit_class", x->open_class, "severity",
                                     x->severity, "tlp", ermes_tlp_name(info.tlp), "title", "");
            char title[256];
            size_t len = strlen(info.subject);
            json_t *t;

            /* The subject as the title, cut at a character boundary; a subject that is not
             * UTF-8 text gives a title naming the report. */
            if (len > 200)
                for (len = 200; len > 0 && (info.subject[len] & 0xC0) == 0x80; len--)
                    ;
            memcpy(title, info.subject, len);
            title[len] = 0;
            if (!(t = len ? json_string(title) : NULL)) {
                snprintf(title, sizeof(title), "Incident report %lld", (long long)report_id);
                t = json_string(title);
            }
            if (body && x->open_type[0])
                json_object_set_new(body, "rsit_type", json_string(x->open_type));
            if (body)
                json_object_set_new(body, "title", t);
            else
                json_decref(t);
            ermes_diag_clear(&d);
            rc = body ? ermes__incident_create(st, v, body, &inc, &d) : ERMES_ENOMEM;
            json_decref(body);
            if (rc)
                goto out;
            snprintf(reason, sizeof(reason), "rule %lld \"%s\" (%s: %s): opened incident %lld",
                     (long long)x->id, x->name, x->condition, what, (long long)inc);
        }
        break;
    }
    if (inc) {
        ermes_diag_clear(&d);
        if ((rc = ermes__incident_link(st, v, inc, "report", report_id, &added, &d)) ||
            (rc = timeline_note(st, v, inc, report_id, r, reason)))
            goto out;
    }
    rc = ermes__store_report_decision_put(st, report_id, r ? r->id : 0, r ? r->action : "queue",
                                          inc, reason, info.tlp, &added);
    if (!rc && incident_id)
        *incident_id = inc;
out:
    free(c.v);
    return rc;
}

int ermes__incident_rules_run(ermes__store_t *st, const ermes__viewer_t *v, int64_t report_id,
                              const char *thread, int64_t *incident_id)
{
    /* One transaction for the whole decision: an incident opened, the report linked, the
     * timeline note and the decision recorded are all there or none is, so a crash in between
     * never leaves an incident without its report (and a second one opened on the next run). */
    int own = !ermes__store_in_tx(st), rc;

    if (own && (rc = ermes__store_begin(st)))
        return rc;
    rc = rules_run(st, v, report_id, thread, incident_id);
    if (!own)
        return rc;
    if (rc) {
        ermes__store_rollback(st);
        if (incident_id)
            *incident_id = 0;
        return rc;
    }
    return ermes__store_commit(st);
}
