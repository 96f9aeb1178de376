/* Coordination (incidents.h): an analyst writes to several constituents about an incident at
 * once. Each constituent gets its own notification (its own reference, so that its replies
 * thread back to it alone and no constituent sees who else was written to), made here and
 * then delivered by the notification machinery like any other: review policies, OpenPGP,
 * delivery state, retries. Each message of one writing shares a round (the group key
 * "incident:ID:ROUND"), which is what "reply to all" writes to again. What happens to each
 * message (queued, sent, failed, acknowledged, replied) is appended to the incident's
 * timeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"
#include "incidents/incidents.h"
#include "model/mail.h"
#include "notify/notify.h"

#define MAX_TARGETS 64

static int text_ok(const char *s, size_t len, size_t max, int lines)
{
    if (len == 0 || len > max || strlen(s) != len)
        return 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == 0x7f || (c < 0x20 && !(lines && (c == '\n' || c == '\t' || c == '\r'))))
            return 0;
    }
    return 1;
}

/* The incident id and round of an incident message's group key; 0 when it is not one. */
static int parse_key(const char *key, int64_t *id, int64_t *round)
{
    long long a = 0, b = 0;
    int used = 0;

    if (strncmp(key, "incident:", 9) != 0)
        return 0;
    if (sscanf(key + 9, "%lld:%lld%n", &a, &b, &used) != 2 || key[9 + used] != '\0' || a <= 0)
        return 0;
    *id = a;
    *round = b;
    return 1;
}

int ermes__incident_message_of(const ermes__notification_t *n, int64_t *incident_id)
{
    int64_t round;

    return parse_key(n->group_key, incident_id, &round);
}

int ermes__incident_message_event(ermes__store_t *st, const ermes__notification_t *n,
                                  const char *state, const char *who)
{
    ermes__timeline_entry_t e;
    int64_t id;
    char *text;
    json_t *detail;
    int rc;

    if (!ermes__incident_message_of(n, &id))
        return 0;
    detail = json_pack("{s:s,s:s,s:s}", "reference", n->reference, "org", n->org, "state", state);
    if (detail && who && *who)
        json_object_set_new(detail, "from", json_string(who));
    text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    if (!text)
        return ERMES_ENOMEM;
    memset(&e, 0, sizeof(e));
    e.incident_id = id;
    e.actor = "ermes";
    e.kind = "message";
    e.detail = text;
    rc = ermes__store_incident_timeline_add(st, &e);
    free(text);
    return rc;
}

/* ---- writing --------------------------------------------------------------------------- */

typedef struct targets {
    int64_t ids[MAX_TARGETS];
    size_t n;
} targets_t;

static int target_add(targets_t *t, int64_t id, ermes_diag_t *d, const char *field)
{
    for (size_t k = 0; k < t->n; k++)
        if (t->ids[k] == id)
            return 0;
    if (t->n == MAX_TARGETS) {
        ermes_diag_set(d, field, "at most %d constituents in one writing", MAX_TARGETS);
        return ERMES_EINVAL;
    }
    t->ids[t->n++] = id;
    return 0;
}

static int org_cb(void *ctx, int64_t org_id, const char *short_name, const char *name)
{
    void **a = ctx;

    (void)short_name;
    (void)name;
    return target_add(a[0], org_id, a[1], "all");
}

struct round_ctx {
    ermes__store_t *st;
    const char *reference;
    char key[192];
    int64_t ids[256];
    size_t n;
};

static int link_cb(void *ctx, int64_t id, const char *kind, int64_t object_id, int64_t created_at)
{
    struct round_ctx *c = ctx;

    (void)id;
    (void)created_at;
    if (strcmp(kind, "notification") == 0 && c->n < 256)
        c->ids[c->n++] = object_id;
    return 0;
}

/* The constituents of the round that the message `reference` of incident id was part of. */
static int round_targets(ermes__store_t *st, int64_t id, const char *reference, targets_t *t,
                         ermes_diag_t *d)
{
    struct round_ctx *c = calloc(1, sizeof(*c));
    ermes__notification_t n;
    int64_t nid = 0, inc_id, round;
    int rc;

    if (!c)
        return ERMES_ENOMEM;
    rc = ermes__store_notification_find(st, reference, &nid);
    if (rc == 0 && (rc = ermes__store_notification_get(st, nid, &n)) == 0) {
        if (parse_key(n.group_key, &inc_id, &round) && inc_id == id)
            snprintf(c->key, sizeof(c->key), "%s", n.group_key);
        ermes__notification_cleanup(&n);
    }
    if ((rc == 0 || rc == ERMES_ENOTFOUND) && !c->key[0]) {
        ermes_diag_set(d, "reply_to", "%.40s is not a message written from this incident",
                       reference);
        rc = ERMES_EINVAL;
        goto out;
    }
    if (rc || (rc = ermes__store_incident_link_each(st, id, link_cb, c)))
        goto out;
    for (size_t k = 0; k < c->n && !rc; k++) {
        if (ermes__store_notification_get(st, c->ids[k], &n))
            continue;
        if (strcmp(n.group_key, c->key) == 0 && n.org_id)
            rc = target_add(t, n.org_id, d, "reply_to");
        ermes__notification_cleanup(&n);
    }
out:
    free(c);
    return rc;
}

/* The kinds of issue an incident of RSIT class cls is (whose contacts are written to). */
static unsigned kind_of_class(const char *cls)
{
    if (strcmp(cls, "vulnerable") == 0)
        return ERMES_NOTIFY_KIND_VULNERABLE;
    if (strcmp(cls, "intrusions") == 0 || strcmp(cls, "information-content-security") == 0)
        return ERMES_NOTIFY_KIND_COMPROMISE;
    return ERMES_NOTIFY_KIND_ABUSE;
}

int ermes__incident_message_read(const json_t *body, const char **subject, const char **text,
                                 const json_t **to, int *all, const char **reply_to,
                                 ermes_diag_t *d)
{
    const char *key;
    json_t *x;
    int ways;

    *subject = *text = *reply_to = NULL;
    *to = NULL;
    *all = 0;
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, x)
    {
        if (strcmp(key, "subject") == 0) {
            if (!json_is_string(x) || !text_ok(json_string_value(x), json_string_length(x),
                                               ERMES_INCIDENT_SUBJECT_MAX, 0)) {
                ermes_diag_set(d, "subject", "subject must be one line of 1 to %d bytes",
                               ERMES_INCIDENT_SUBJECT_MAX);
                return ERMES_EINVAL;
            }
            *subject = json_string_value(x);
        } else if (strcmp(key, "body") == 0) {
            if (!json_is_string(x) || !text_ok(json_string_value(x), json_string_length(x),
                                               ERMES_INCIDENT_MESSAGE_MAX, 1)) {
                ermes_diag_set(d, "body", "body must be text of 1 to %d bytes",
                               ERMES_INCIDENT_MESSAGE_MAX);
                return ERMES_EINVAL;
            }
            *text = json_string_value(x);
        } else if (strcmp(key, "to") == 0) {
            size_t i;
            json_t *y;
            if (!json_is_array(x) || json_array_size(x) == 0 || json_array_size(x) > MAX_TARGETS) {
                ermes_diag_set(d, "to", "to must be a list of 1 to %d organisations", MAX_TARGETS);
                return ERMES_EINVAL;
            }
            json_array_foreach(x, i, y) if (!(json_is_string(y) && json_string_length(y) > 0 &&
                                              json_string_length(y) <= 64) &&
                                            !(json_is_integer(y) && json_integer_value(y) > 0))
            {
                ermes_diag_set(d, "to", "each of to is an organisation's id or short name");
                return ERMES_EINVAL;
            }
            *to = x;
        } else if (strcmp(key, "all") == 0) {
            if (!json_is_boolean(x)) {
                ermes_diag_set(d, "all", "all must be true or false");
                return ERMES_EINVAL;
            }
            *all = json_is_true(x);
        } else if (strcmp(key, "reply_to") == 0) {
            if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > 40) {
                ermes_diag_set(d, "reply_to", "reply_to must be a message's reference");
                return ERMES_EINVAL;
            }
            *reply_to = json_string_value(x);
        } else {
            ermes_diag_set(d, key, "unknown member (subject, body, to, all, reply_to)");
            return ERMES_EINVAL;
        }
    }
    ways = (*to != NULL) + (*all != 0) + (*reply_to != NULL);
    if (ways != 1) {
        ermes_diag_set(d, "to", "say whom to write to: one of to, all or reply_to");
        return ERMES_EINVAL;
    }
    if (!*subject) {
        ermes_diag_set(d, "subject", "subject is required");
        return ERMES_EINVAL;
    }
    if (!*text) {
        ermes_diag_set(d, "body", "body is required");
        return ERMES_EINVAL;
    }
    return 0;
}

/* The addresses of org's contacts for kinds, lower case, each once, as a JSON array. */
static json_t *addresses(const ermes__org_t *org, unsigned kinds)
{
    size_t idx[ERMES_NOTIFY_MAX_RECIPIENTS],
        n = ermes__notify_recipients(org, kinds, idx, ERMES_NOTIFY_MAX_RECIPIENTS);
    json_t *list = json_array();

    for (size_t k = 0; list && k < n; k++) {
        char addr[320];
        size_t j, i;
        snprintf(addr, sizeof(addr), "%s", org->contacts[idx[k]].email);
        for (j = 0; addr[j]; j++)
            if (addr[j] >= 'A' && addr[j] <= 'Z')
                addr[j] = (char)(addr[j] + 32);
        for (i = 0; i < json_array_size(list); i++)
            if (strcmp(json_string_value(json_array_get(list, i)), addr) == 0)
                break;
        if (i == json_array_size(list) && json_array_append_new(list, json_string(addr))) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* One constituent's message, inside the caller's transaction. */
static int write_one(ermes__store_t *st, const ermes__viewer_t *v, const ermes__notify_options_t *o,
                     const ermes__notify_policies_t *pol, ermes__incident_t *inc, int64_t org_id,
                     int64_t round, const char *subject, const char *text, json_t *messages,
                     json_t *skipped)
{
    ermes__org_t *org = NULL;
    ermes__notification_t n;
    ermes__strbuf_t subj, body;
    json_t *rcpt = NULL, *detail;
    char *rtext = NULL, *dtext = NULL;
    int rc, added = 0;

    memset(&n, 0, sizeof(n));
    if ((rc = ermes__store_org_get(st, NULL, org_id, &org)))
        return rc == ERMES_ENOTFOUND ? 0 : rc;
    if (!(rcpt = addresses(org, kind_of_class(inc->rsit_class)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (json_array_size(rcpt) == 0) {
        /* Nobody to write to: said in the answer, nothing made (like the notifications,
         * which wait for a contact; here the analyst decides). */
        rc = json_array_append_new(skipped, json_pack("{s:s,s:s}", "org", org->short_name, "reason",
                                                      "no contact to write to"))
                 ? ERMES_ENOMEM
                 : 0;
        goto out;
    }
    if (!(rtext = json_dumps(rcpt, JSON_COMPACT))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    n.org_id = org_id;
    snprintf(n.group_key, sizeof(n.group_key), "incident:%lld:%lld", (long long)inc->id,
             (long long)round);
    snprintf(n.language, sizeof(n.language), "en");
    n.recipients = rtext;
    n.window_start = n.window_end = inc->created_at;
    n.tlp = inc->tlp;
    n.owner_org_id = inc->owner_org_id;
    /* Review before sending: the policies naming this constituent (or the default). */
    if (ermes__notify_review_decide(pol, o->review_default, org_id, NULL, 0, NULL, 0,
                                    n.approval_reason, sizeof(n.approval_reason)))
        snprintf(n.approval, sizeof(n.approval), "%s", ERMES_APPROVAL_WAITING);
    if ((rc = ermes__store_notification_insert(st, &n, NULL, 0)))
        goto out;
    ermes__notify_message_id(n.reference, n.created_at, o->mail_from, n.message_id,
                             sizeof(n.message_id));
    ermes__strbuf_init(&subj, 4096);
    ermes__strbuf_init(&body, 2 * ERMES_INCIDENT_MESSAGE_MAX);
    /* The reference in the subject is what threads the answer back (mail/reply.c). */
    rc = ermes__strbuf_addf(&subj, "[%s] %s", n.reference, subject);
    if (!rc)
        rc = ermes__strbuf_addf(&body,
                                "%s\n\n-- \nReference: %s (please keep it in the subject of "
                                "your reply)\nTLP:%s\n%s\n",
                                text, n.reference, ermes_tlp_name(inc->tlp),
                                o->signature ? o->signature : o->mail_from);
    if (!rc)
        rc = ermes__store_notification_set_text(st, n.id, subj.data, body.data, n.message_id);
    ermes__strbuf_cleanup(&subj);
    ermes__strbuf_cleanup(&body);
    if (rc || (rc = ermes__store_incident_link_add(st, inc->id, "notification", n.id, &added)) ||
        (rc = ermes__store_incident_org_add(st, inc->id, org_id, NULL)))
        goto out;
    if (!inc->notified_at)
        inc->notified_at = ermes__time_now_ms();
    detail = json_pack(
        "{s:s,s:s,s:s,s:O,s:s}", "reference", n.reference, "org", org->short_name, "state",
        n.approval[0] && strcmp(n.approval, ERMES_APPROVAL_WAITING) == 0 ? "waiting for approval"
                                                                         : "queued",
        "recipients", rcpt, "subject", subject);
    if (!detail) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (json_array_append(messages, detail)) {
        json_decref(detail);
        rc = ERMES_ENOMEM;
        goto out;
    }
    dtext = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    if (!dtext) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    {
        ermes__timeline_entry_t e;
        memset(&e, 0, sizeof(e));
        e.incident_id = inc->id;
        e.user_id = v ? v->user_id : 0;
        e.actor = v && v->user_name ? v->user_name : "local administrator";
        e.kind = "message";
        e.detail = dtext;
        rc = ermes__store_incident_timeline_add(st, &e);
    }
    if (!rc)
        ermes__log(ERMES_LOG_INFO, "incident %lld: message %s to %s", (long long)inc->id,
                   n.reference, org->short_name);
out:
    free(dtext);
    ermes__free(rtext);
    json_decref(rcpt);
    ermes__org_free(org);
    return rc;
}

int ermes__incident_write(ermes__store_t *st, const ermes__viewer_t *v,
                          const ermes__notify_options_t *o, int64_t id, const json_t *body,
                          json_t **result, ermes_diag_t *d)
{
    const char *subject, *text, *reply_to;
    const json_t *to;
    ermes__notify_policies_t pol;
    ermes__incident_t *inc = NULL;
    targets_t t;
    json_t *messages = NULL, *skipped = NULL;
    int64_t round = ermes__time_now_ms();
    int rc, all;

    *result = NULL;
    memset(&pol, 0, sizeof(pol));
    memset(&t, 0, sizeof(t));
    if ((rc = ermes__incident_message_read(body, &subject, &text, &to, &all, &reply_to, d)))
        return rc;
    if (!(inc = malloc(sizeof(*inc))) || !(messages = json_array()) || !(skipped = json_array())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__notify_policies_load(st, &pol)))
        goto out;
    if ((rc = ermes__store_begin(st)))
        goto out;
    if ((rc = ermes__store_incident_get(st, v, id, inc)))
        goto done;
    if (inc->merged_into) {
        ermes_diag_set(d, NULL, "incident %lld was merged into %lld: write from that one",
                       (long long)id, (long long)inc->merged_into);
        rc = ERMES_ECONFLICT;
        goto done;
    }
    /* TLP:RED is for the named recipients only: ermes never e-mails it (notify.h). */
    if (inc->tlp == ERMES_TLP_RED) {
        ermes_diag_set(d, "tlp", "a TLP:RED incident is not e-mailed to constituents");
        rc = ERMES_ECONFLICT;
        goto done;
    }
    if (to) {
        size_t i;
        json_t *x;
        json_array_foreach(to, i, x)
        {
            char ref[72];
            int64_t org = 0;
            if (json_is_integer(x))
                snprintf(ref, sizeof(ref), "%lld", (long long)json_integer_value(x));
            else
                snprintf(ref, sizeof(ref), "%s", json_string_value(x));
            rc = ermes__store_org_resolve(st, v, ref, &org);
            if (rc == ERMES_ENOTFOUND) {
                ermes_diag_set(d, "to", "no organisation \"%.64s\"", ref);
                rc = ERMES_EINVAL;
            }
            if (rc || (rc = target_add(&t, org, d, "to")))
                goto done;
        }
    } else if (all) {
        /* Every constituent the incident concerns: those its linked reports, events,
         * sightings and observables belong to, and those added by hand. */
        void *a[2] = {&t, d};
        if ((rc = ermes__store_incident_org_each(st, id, org_cb, a)))
            goto done;
        if (t.n == 0) {
            ermes_diag_set(d, "all", "the incident concerns no constituent yet");
            rc = ERMES_EINVAL;
            goto done;
        }
    } else if ((rc = round_targets(st, id, reply_to, &t, d))) {
        goto done;
    }
    for (size_t k = 0; k < t.n && !rc; k++)
        rc = write_one(st, v, o, &pol, inc, t.ids[k], round, subject, text, messages, skipped);
    if (rc)
        goto done;
    if (json_array_size(messages) == 0) {
        ermes_diag_set(d, "to", "none of these constituents has a contact to write to");
        rc = ERMES_EINVAL;
        goto done;
    }
    /* The first message sent is the incident's notify milestone: its measures follow. */
    if ((rc = ermes__store_incident_update(st, inc)) || (rc = ermes__incident_measure(st, inc)))
        goto done;
    {
        char ref[32], *a;
        json_t *aj = json_pack("{s:I,s:O}", "round", (json_int_t)round, "messages", messages);
        a = aj ? json_dumps(aj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(aj);
        snprintf(ref, sizeof(ref), "%lld", (long long)id);
        ermes__audit_write(st, v, "write", "incident", ref, a);
        free(a);
    }
done:
    if (rc) {
        ermes__store_rollback(st);
    } else {
        rc = ermes__store_commit(st);
    }
    if (!rc && !(*result = json_pack("{s:I,s:I,s:O,s:O}", "incident", (json_int_t)id, "round",
                                     (json_int_t)round, "messages", messages, "skipped", skipped)))
        rc = ERMES_ENOMEM;
out:
    ermes__notify_policies_cleanup(&pol);
    json_decref(messages);
    json_decref(skipped);
    free(inc);
    return rc;
}

/* ---- the correspondence of an incident ------------------------------------------------- */

struct corr_ctx {
    json_t *list;
    json_t *states; /* address -> {state, answered_at} */
};

static json_t *time_json(int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    if (!ms)
        return json_null();
    ermes__time_format(ms, buf);
    return json_string(buf);
}

static int recipient_cb(void *ctx, const char *recipient, const char *state, int64_t answered_at)
{
    struct corr_ctx *c = ctx;

    return json_object_set_new(
               c->states, recipient,
               json_pack("{s:s,s:o}", "state", state, "answered_at", time_json(answered_at)))
               ? ERMES_ENOMEM
               : 0;
}

static int message_cb(void *ctx, const ermes__correspondence_t *m)
{
    struct corr_ctx *c = ctx;
    json_t *j = ermes__correspondence_to_json(m);

    return !j || json_array_append_new(c->list, j) ? ERMES_ENOMEM : 0;
}

int ermes__incident_correspondence(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                                   json_t **out)
{
    struct round_ctx *links = calloc(1, sizeof(*links));
    ermes__incident_t *inc = malloc(sizeof(*inc));
    json_t *data = json_array();
    int rc;

    *out = NULL;
    if (!links || !inc || !data) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__store_incident_get(st, v, id, inc)) ||
        (rc = ermes__store_incident_link_each(st, id, link_cb, links)))
        goto out;
    for (size_t k = 0; k < links->n && !rc; k++) {
        ermes__notification_t n;
        struct corr_ctx c = {json_array(), json_object()};
        json_t *j, *rcpt, *who = json_array(), *addr;
        size_t i;
        if (ermes__store_notification_get(st, links->ids[k], &n)) {
            json_decref(c.list);
            json_decref(c.states);
            json_decref(who);
            continue;
        }
        j = ermes__notification_to_json(&n);
        if (!j || !c.list || !c.states || !who ||
            (rc = ermes__store_notification_recipient_each(st, n.id, recipient_cb, &c)) ||
            (rc = ermes__store_correspondence_each(st, n.id, message_cb, &c))) {
            rc = rc ? rc : ERMES_ENOMEM;
            goto one_done;
        }
        /* Each recipient's state: replied or acknowledged once it answered, else what
         * happened to the message (pending, sent, failed...). */
        rcpt = json_object_get(j, "recipients");
        json_array_foreach(rcpt, i, addr)
        {
            json_t *s = json_object_get(c.states, json_string_value(addr));
            json_array_append_new(
                who, json_pack("{s:O,s:s,s:O}", "address", addr, "state",
                               s ? json_string_value(json_object_get(s, "state")) : n.state,
                               "answered_at", s ? json_object_get(s, "answered_at") : json_null()));
        }
        /* Answers from addresses it was not sent to (a colleague replying) count too. */
        {
            const char *key;
            json_t *s;
            json_object_foreach(c.states, key, s)
            {
                int found = 0;
                json_array_foreach(rcpt, i, addr) if (strcmp(json_string_value(addr), key) == 0)
                    found = 1;
                if (!found)
                    json_array_append_new(who, json_pack("{s:s,s:O,s:O}", "address", key, "state",
                                                         json_object_get(s, "state"), "answered_at",
                                                         json_object_get(s, "answered_at")));
            }
        }
        json_object_set(j, "recipient_states", who);
        json_object_set(j, "messages", c.list);
        {
            int64_t inc_id;
            json_object_set_new(j, "coordination",
                                json_boolean(ermes__incident_message_of(&n, &inc_id)));
        }
        if (json_array_append(data, j))
            rc = ERMES_ENOMEM;
    one_done:
        json_decref(j);
        json_decref(who);
        json_decref(c.list);
        json_decref(c.states);
        ermes__notification_cleanup(&n);
    }
    if (!rc && !(*out = json_pack("{s:I,s:O}", "incident", (json_int_t)id, "data", data)))
        rc = ERMES_ENOMEM;
out:
    json_decref(data);
    free(links);
    free(inc);
    return rc;
}
