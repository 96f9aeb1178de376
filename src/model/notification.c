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
    return json_pack("{s:I,s:s,s:s?,s:s,s:s?,s:s,s:s,s:o,s:s,s:I,s:I,s:o,s:s?,s:o,s:o,s:o,s:s,"
                     "s:o,s:o}",
                     "id", (json_int_t)n->id, "reference", n->reference, "message_id",
                     n->message_id[0] ? n->message_id : NULL, "state", n->state, "org",
                     n->org[0] ? n->org : NULL, "group", n->group_key, "language", n->language,
                     "recipients", rcpt, "subject", n->subject ? n->subject : "", "events",
                     (json_int_t)n->events, "attempts", (json_int_t)n->attempts, "next_attempt_at",
                     time_or_null(pending ? n->next_attempt_at : 0), "last_error",
                     n->last_error[0] ? n->last_error : NULL, "sent_at", time_or_null(n->sent_at),
                     "window_start", time_or_null(n->window_start), "window_end",
                     time_or_null(n->window_end), "tlp", ermes_tlp_name(n->tlp), "created_at",
                     time_or_null(n->created_at), "updated_at", time_or_null(n->updated_at));
}
