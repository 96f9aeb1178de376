#include "model/notification.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/time.h"

void ermes__notification_cleanup(ermes__notification_t *n)
{
    if (!n || !n->owned)
        return;
    ermes__free(n->recipients);
    ermes__free(n->subject);
    ermes__free(n->body);
    n->recipients = n->subject = n->body = NULL;
    n->owned = 0;
}

void ermes__notification_reference(int64_t id, int64_t created_ms, char *buf, size_t cap)
{
    time_t t = (time_t)(created_ms / 1000);
    struct tm tm;

    if (!gmtime_r(&t, &tm))
        tm.tm_year = 70;
    snprintf(buf, cap, "ERMES-%04d-%06lld", tm.tm_year + 1900, (long long)id);
}

int ermes__notification_state_valid(const char *state)
{
    static const char *const states[] = {ERMES_NOTIFICATION_PENDING,  ERMES_NOTIFICATION_SENDING,
                                         ERMES_NOTIFICATION_RETRYING, ERMES_NOTIFICATION_SENT,
                                         ERMES_NOTIFICATION_FAILED,   NULL};

    for (size_t k = 0; state && states[k]; k++)
        if (strcmp(state, states[k]) == 0)
            return 1;
    return 0;
}

static json_t *time_or_null(int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    if (!ms)
        return json_null();
    ermes__time_format(ms, buf);
    return json_string(buf);
}

int ermes__notification_approval_valid(const char *approval)
{
    static const char *const values[] = {ERMES_APPROVAL_NONE,      ERMES_APPROVAL_WAITING,
                                         ERMES_APPROVAL_APPROVED,  ERMES_APPROVAL_HELD,
                                         ERMES_APPROVAL_CANCELLED, NULL};

    for (size_t k = 0; approval && values[k]; k++)
        if (strcmp(approval, values[k]) == 0)
            return 1;
    return 0;
}

int ermes__notification_address_valid(const char *addr)
{
    const char *at = addr ? strchr(addr, '@') : NULL;
    size_t len = addr ? strnlen(addr, ERMES_NOTIFICATION_ADDRESS_MAX + 1) : 0;

    if (!at || at == addr || !at[1] || strchr(at + 1, '@') || len > ERMES_NOTIFICATION_ADDRESS_MAX)
        return 0;
    for (const char *p = addr; *p; p++) {
        unsigned char c = (unsigned char)*p;
        /* Printable ASCII without what would end or split an SMTP path or a header. */
        if (c <= 0x20 || c >= 0x7f || strchr("<>,;:\"()[]\\", c))
            return 0;
    }
    /* A domain of labels: no empty one. */
    return at[1] != '.' && addr[len - 1] != '.' && !strstr(at, "..");
}

/* 1 when s has no control character but, with lines, line feeds, carriage returns and tabs. */
static int text_clean(const char *s, int lines)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !(lines && (c == '\n' || c == '\r' || c == '\t')) && c != '\t') ||
            c == 0x7f)
            return 0;
    }
    return 1;
}

int ermes__notification_edit_read(const json_t *body, ermes__notification_edit_t *out,
                                  ermes_diag_t *d)
{
    const char *key;
    json_t *v;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "subject") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                json_string_length(v) > ERMES_NOTIFICATION_SUBJECT_MAX ||
                strlen(json_string_value(v)) != json_string_length(v) ||
                !text_clean(json_string_value(v), 0)) {
                ermes_diag_set(d, "subject",
                               "subject must be one line of 1 to %d bytes without control "
                               "characters",
                               ERMES_NOTIFICATION_SUBJECT_MAX);
                return ERMES_EINVAL;
            }
            out->subject = json_string_value(v);
        } else if (strcmp(key, "body") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                json_string_length(v) > ERMES_NOTIFICATION_BODY_MAX ||
                strlen(json_string_value(v)) != json_string_length(v) ||
                !text_clean(json_string_value(v), 1)) {
                ermes_diag_set(d, "body",
                               "body must be text of 1 to %d bytes without control characters "
                               "other than line ends and tabs",
                               ERMES_NOTIFICATION_BODY_MAX);
                return ERMES_EINVAL;
            }
            out->body = json_string_value(v);
        } else if (strcmp(key, "recipients") == 0) {
            size_t n = json_array_size(v);
            if (!json_is_array(v) || n == 0 || n > ERMES_NOTIFICATION_RECIPIENTS_MAX) {
                ermes_diag_set(d, "recipients", "recipients must be an array of 1 to %d addresses",
                               ERMES_NOTIFICATION_RECIPIENTS_MAX);
                return ERMES_EINVAL;
            }
            for (size_t k = 0; k < n; k++) {
                const json_t *a = json_array_get(v, k);
                if (!json_is_string(a) || strlen(json_string_value(a)) != json_string_length(a) ||
                    !ermes__notification_address_valid(json_string_value(a))) {
                    ermes_diag_set(d, "recipients", "recipients[%zu] is not an e-mail address", k);
                    return ERMES_EINVAL;
                }
            }
            out->recipients = v;
        } else {
            ermes_diag_set(d, key, "unknown member \"%.64s\" (subject, body, recipients)", key);
            return ERMES_EINVAL;
        }
    }
    if (!out->subject && !out->body && !out->recipients) {
        ermes_diag_set(d, NULL, "nothing to change: give subject, body or recipients");
        return ERMES_EINVAL;
    }
    return 0;
}

int ermes__review_action_parse(const char *name, ermes__review_action_t *out)
{
    if (name && strcmp(name, "approve") == 0)
        *out = ERMES_REVIEW_APPROVE;
    else if (name && strcmp(name, "hold") == 0)
        *out = ERMES_REVIEW_HOLD;
    else if (name && strcmp(name, "cancel") == 0)
        *out = ERMES_REVIEW_CANCEL;
    else
        return ERMES_EINVAL;
    return 0;
}

const char *ermes__review_action_approval(ermes__review_action_t a)
{
    return a == ERMES_REVIEW_APPROVE ? ERMES_APPROVAL_APPROVED
           : a == ERMES_REVIEW_HOLD  ? ERMES_APPROVAL_HELD
                                     : ERMES_APPROVAL_CANCELLED;
}

int ermes__review_bulk_read(const json_t *body, ermes__review_action_t *action, int64_t *ids,
                            size_t cap, size_t *nids, int *all_waiting, const char **org,
                            ermes_diag_t *d)
{
    const json_t *a, *list, *waiting, *o;
    const char *key;
    json_t *v;

    *nids = 0;
    *all_waiting = 0;
    *org = NULL;
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "action") && strcmp(key, "ids") && strcmp(key, "waiting") &&
            strcmp(key, "org")) {
            ermes_diag_set(d, key, "unknown member \"%.64s\" (action, ids, waiting, org)", key);
            return ERMES_EINVAL;
        }
    }
    a = json_object_get(body, "action");
    if (!json_is_string(a) || ermes__review_action_parse(json_string_value(a), action)) {
        ermes_diag_set(d, "action", "action must be approve, hold or cancel");
        return ERMES_EINVAL;
    }
    list = json_object_get(body, "ids");
    waiting = json_object_get(body, "waiting");
    o = json_object_get(body, "org");
    if (list && waiting) {
        ermes_diag_set(d, "ids", "give ids or waiting, not both");
        return ERMES_EINVAL;
    }
    if (waiting) {
        if (!json_is_true(waiting)) {
            ermes_diag_set(d, "waiting", "waiting must be true");
            return ERMES_EINVAL;
        }
        if (o &&
            (!json_is_string(o) || json_string_length(o) == 0 || json_string_length(o) > 128)) {
            ermes_diag_set(d, "org", "org must be an organisation's id or short name");
            return ERMES_EINVAL;
        }
        *org = o ? json_string_value(o) : NULL;
        *all_waiting = 1;
        return 0;
    }
    if (o) {
        ermes_diag_set(d, "org", "org goes with waiting");
        return ERMES_EINVAL;
    }
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > cap ||
        json_array_size(list) > ERMES_REVIEW_BULK_MAX) {
        ermes_diag_set(d, "ids",
                       "ids must be an array of 1 to %d notification ids (or give "
                       "waiting: true)",
                       ERMES_REVIEW_BULK_MAX);
        return ERMES_EINVAL;
    }
    for (size_t k = 0; k < json_array_size(list); k++) {
        const json_t *x = json_array_get(list, k);
        if (!json_is_integer(x) || json_integer_value(x) < 1) {
            ermes_diag_set(d, "ids", "ids[%zu] is not a notification id", k);
            return ERMES_EINVAL;
        }
        ids[k] = (int64_t)json_integer_value(x);
    }
    *nids = json_array_size(list);
    return 0;
}

json_t *ermes__notification_to_json(const ermes__notification_t *n)
{
    json_t *rcpt = n->recipients ? json_loads(n->recipients, 0, NULL) : NULL;
    /* Only a notification still waiting for an attempt has a next one. */
    int pending = strcmp(n->state, ERMES_NOTIFICATION_PENDING) == 0 ||
                  strcmp(n->state, ERMES_NOTIFICATION_RETRYING) == 0;

    if (!json_is_array(rcpt)) {
        json_decref(rcpt);
        rcpt = json_array();
    }
    return json_pack(
        "{s:I,s:s,s:s?,s:s,s:s?,s:s,s:s,s:o,s:s,s:I,s:I,s:o,s:s?,s:o,s:o,s:o,s:s,"
        "s:o,s:o,s:s,s:s?}",
        "id", (json_int_t)n->id, "reference", n->reference, "message_id",
        n->message_id[0] ? n->message_id : NULL, "state", n->state, "org",
        n->org[0] ? n->org : NULL, "group", n->group_key, "language", n->language, "recipients",
        rcpt, "subject", n->subject ? n->subject : "", "events", (json_int_t)n->events, "attempts",
        (json_int_t)n->attempts, "next_attempt_at", time_or_null(pending ? n->next_attempt_at : 0),
        "last_error", n->last_error[0] ? n->last_error : NULL, "sent_at", time_or_null(n->sent_at),
        "window_start", time_or_null(n->window_start), "window_end", time_or_null(n->window_end),
        "tlp", ermes_tlp_name(n->tlp), "created_at", time_or_null(n->created_at), "updated_at",
        time_or_null(n->updated_at), "approval", n->approval[0] ? n->approval : ERMES_APPROVAL_NONE,
        "approval_reason", n->approval_reason[0] ? n->approval_reason : NULL);
}
