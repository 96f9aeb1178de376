/* Delivery attempts: claim a notification, hold it back while a recipient is over its rate
 * limit, record the attempt (state sending), send it, record what happened; after a failure,
 * retry with a growing backoff until notify_max_attempts, then mark it failed (at once when
 * the server refuses for good). Nothing is dropped: a deferred or failing notification waits
 * with its reason in last_error, and a failed one can still be sent by hand. */
#include "notify/notify.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"
#include "incidents/incidents.h"

#define HOUR_MS (3600 * 1000LL)
#define MAX_MESSAGE (512u * 1024 * 1024)
#define DUE_BATCH 64

int64_t ermes__notify_backoff_ms(int64_t base_ms, int64_t attempts)
{
    int64_t wait = base_ms > 0 ? base_ms : 1000, cap = ERMES_NOTIFY_BACKOFF_CAP_MS;

    if (wait > cap)
        cap = wait;
    /* Doubling stops at the cap, so no attempt count can overflow it. */
    for (int64_t k = 1; k < attempts && wait < cap; k++)
        wait *= 2;
    return wait < cap ? wait : cap;
}

int64_t ermes__notify_rate_next(const int64_t *sent, size_t n, long rate_per_hour, int64_t now)
{
    size_t in_hour = 0;

    if (rate_per_hour <= 0)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (sent[k] > now - HOUR_MS)
            in_hour++;
    if (in_hour < (size_t)rate_per_hour)
        return 0;
    /* Newest first: the rate-th newest message leaves the hour first among those that
     * count; one more may go once it has. */
    return sent[rate_per_hour - 1] + HOUR_MS + 1;
}

/* One line for last_error: no line breaks from a server's reply. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20)
            *s = ' ';
}

/* When all recipients may receive one more message: 0 for now. */
static int rate_check(ermes__store_t *st, const ermes__notify_options_t *o,
                      const char *const *rcpts, size_t n, int64_t now, int64_t *next)
{
    int64_t *times;
    size_t got;
    int rc = 0;

    *next = 0;
    if (o->rate_per_hour <= 0)
        return 0;
    /* Only the rate newest messages of the hour matter (ermes__notify_rate_next). */
    if (!(times = ermes__reallocarray(NULL, (size_t)o->rate_per_hour, sizeof(*times))))
        return ERMES_ENOMEM;
    for (size_t k = 0; k < n && !rc; k++) {
        if ((rc = ermes__store_notify_sends(st, rcpts[k], now - HOUR_MS, times,
                                            (size_t)o->rate_per_hour, &got)))
            break;
        int64_t t = ermes__notify_rate_next(times, got, o->rate_per_hour, now);
        if (t > *next)
            *next = t;
    }
    ermes__free(times);
    return rc;
}

#define INTERRUPTED                                                                                \
    "interrupted: the process sending it stopped during the SMTP exchange; the server may have "   \
    "accepted it, and it is sent again with the same Message-ID"

int ermes__notify_send(ermes__store_t *st, const ermes__notify_options_t *o, int64_t id, int force,
                       ermes__notify_stats_t *stats, char *err, size_t errcap)
{
    const char *rcpts[ERMES_NOTIFY_MAX_RECIPIENTS];
    char error[512] = "";
    int64_t now = ermes__time_now_ms(), wait = 0, attempts = 0;
    int64_t self = ermes__instance_id();
    ermes__notification_t n;
    ermes__notify_crypt_t crypt;
    ermes__strbuf_t csv, msg;
    json_t *list = NULL;
    size_t nrcpt = 0, recovered = 0;
    int rc, claimed = 0, permanent = 0, incident_msg = 0;
    int64_t incident_id = 0;

    ermes__notify_stats_t dummy;

    if (!stats)
        stats = memset(&dummy, 0, sizeof(dummy));
    if (err && errcap)
        err[0] = '\0';
    memset(&n, 0, sizeof(n));
    memset(&crypt, 0, sizeof(crypt));
    if (!o->smtp_url)
        return ERMES_ECONFIG;
    /* Left in state sending by a process that died: it may be tried again (at least once). */
    if ((rc = ermes__store_notification_recover(st, id, now, o->max_attempts, INTERRUPTED,
                                                &recovered)))
        return rc;
    if (recovered) {
        stats->recovered += (long)recovered;
        ermes__log(ERMES_LOG_WARNING,
                   "notify: notification %lld was being sent by a process that stopped; it is "
                   "sent again with the same Message-ID",
                   (long long)id);
    }
    if ((rc = ermes__store_notification_claim(st, id, self, now, now + ermes__lease_ms(), force,
                                              &claimed)))
        return rc;
    if (!claimed) {
        if ((rc = ermes__store_notification_get(st, id, &n)))
            return rc;
        rc = strcmp(n.state, ERMES_NOTIFICATION_SENT) == 0 ? ERMES_ECONFLICT : ERMES_EBUSY;
        /* Waiting for approval, held or cancelled: a send is not an approval. */
        if (strcmp(n.state, ERMES_NOTIFICATION_SENT) && strcmp(n.approval, ERMES_APPROVAL_NONE) &&
            strcmp(n.approval, ERMES_APPROVAL_APPROVED)) {
            rc = ERMES_EDENIED;
            if (err && errcap)
                snprintf(err, errcap, "the notification is %s: approve it first", n.approval);
        }
        ermes__notification_cleanup(&n);
        return rc;
    }
    ermes__strbuf_init(&csv, MAX_MESSAGE);
    ermes__strbuf_init(&msg, MAX_MESSAGE);
    if ((rc = ermes__store_notification_get(st, id, &n)))
        goto release;
    list = json_loads(n.recipients, 0, NULL);
    for (size_t k = 0; k < json_array_size(list) && nrcpt < ERMES_NOTIFY_MAX_RECIPIENTS; k++)
        if (json_string_value(json_array_get(list, k)))
            rcpts[nrcpt++] = json_string_value(json_array_get(list, k));
    attempts = n.attempts;
    if (nrcpt == 0) {
        snprintf(error, sizeof(error), "no recipients");
        rc = ermes__store_notification_finish(st, id, ERMES_NOTIFICATION_FAILED, attempts, now,
                                              error, 0);
        stats->failed++;
        goto out;
    }
    /* Encrypted to the recipients' keys (encrypt.c); with notify_encrypt_strict a
     * TLP:AMBER+STRICT notification leaves out whoever has no usable key, and is failed (not
     * an attempt) when that is everyone. */
    rc = ermes__notify_crypt_plan(st, o, &n, rcpts, &nrcpt, now, &crypt);
    if (rc == ERMES_EDENIED) {
        snprintf(error, sizeof(error), "%s", crypt.note);
        one_line(error);
        rc = ermes__store_notification_finish(st, id, ERMES_NOTIFICATION_FAILED, attempts, now,
                                              error, 0);
        stats->failed++;
        ermes__log(ERMES_LOG_WARNING, "notification %s: %s", n.reference, error);
        goto out;
    }
    if (rc)
        goto release;
    incident_msg = ermes__incident_message_of(&n, &incident_id);
    /* Over a recipient's rate limit the message waits for its turn; it is not an attempt. A
     * manual send waits like any other: the limit protects the recipient. */
    if ((rc = rate_check(st, o, rcpts, nrcpt, now, &wait)))
        goto release;
    if (wait) {
        snprintf(error, sizeof(error), "rate limit: a recipient got %ld messages in the last hour",
                 o->rate_per_hour);
        rc = ermes__store_notification_finish(
            st, id, attempts ? ERMES_NOTIFICATION_RETRYING : ERMES_NOTIFICATION_PENDING, attempts,
            wait, error, 0);
        stats->deferred++;
        goto out;
    }
    /* A message written from an incident carries no events: no attachment. */
    if ((!incident_msg && (rc = ermes__notify_attachment(st, o, &n, &csv))) ||
        (rc = ermes__notify_build_message_to(o, &n,
                                             incident_msg ? NULL
                                             : csv.data   ? csv.data
                                                          : "",
                                             csv.len, &crypt, &msg, error, sizeof(error)))) {
        /* A key that cannot sign is the configuration's fault: it waits like a failed
         * attempt would, and says why. */
        if (rc == ERMES_ECONFIG && error[0]) {
            one_line(error);
            rc = ermes__store_notification_finish(
                st, id, attempts ? ERMES_NOTIFICATION_RETRYING : ERMES_NOTIFICATION_PENDING,
                attempts, now + ermes__notify_backoff_ms(o->retry_base_ms, attempts + 1), error, 0);
            stats->retrying++;
            ermes__log(ERMES_LOG_ERROR, "notification %s: %s", n.reference, error);
            goto out;
        }
        goto release;
    }
    /* The attempt is on disk before the first byte goes out: a crash from here on leaves
     * state sending, which the next round takes up again (notify.h: at least once). */
    if ((rc = ermes__store_notification_start(st, id, self, &attempts)))
        goto release;
    rc = ermes__notify_smtp_send_ref(o, n.reference, rcpts, nrcpt, msg.data, msg.len, &permanent,
                                     error, sizeof(error));
    now = ermes__time_now_ms();
    if (rc == 0) {
        rc = ermes__store_notification_sent(st, id, rcpts, nrcpt, now);
        /* Who was left out, and why, stays with it. */
        if (!rc && crypt.note[0]) {
            snprintf(error, sizeof(error), "%s", crypt.note);
            one_line(error);
            rc = ermes__store_notification_note(st, id, error);
        }
        /* A message written from an incident: its timeline says it went. */
        if (!rc)
            rc = ermes__incident_message_event(st, &n, "sent", NULL);
        if (!rc) {
            stats->sent++;
            ermes__log(ERMES_LOG_NOTICE, "notification %s sent to %zu recipients (%lld events)",
                       n.reference, nrcpt, (long long)n.events);
        } else {
            /* It stays in state sending: once the lease runs out it is sent again. */
            ermes__log(ERMES_LOG_ERROR, "notification %s was sent but cannot be recorded: %s",
                       n.reference, ermes_strerror(rc));
        }
        goto out;
    }
    one_line(error);
    if (permanent || attempts >= o->max_attempts) {
        if (permanent) {
            static const char prefix[] = "refused for good: ";
            size_t len = strnlen(error, sizeof(error) - sizeof(prefix));
            memmove(error + sizeof(prefix) - 1, error, len);
            memcpy(error, prefix, sizeof(prefix) - 1);
            error[sizeof(prefix) - 1 + len] = '\0';
        }
        rc = ermes__store_notification_finish(st, id, ERMES_NOTIFICATION_FAILED, attempts, now,
                                              error, 0);
        if (!rc)
            rc = ermes__incident_message_event(st, &n, "failed", NULL);
        stats->failed++;
        ermes__log(ERMES_LOG_ERROR, "notification %s failed after %lld attempts: %s", n.reference,
                   (long long)attempts, error);
    } else {
        int64_t next = now + ermes__notify_backoff_ms(o->retry_base_ms, attempts);
        rc = ermes__store_notification_finish(st, id, ERMES_NOTIFICATION_RETRYING, attempts, next,
                                              error, 0);
        stats->retrying++;
        ermes__log(ERMES_LOG_WARNING, "notification %s: attempt %lld failed, retry in %lld s: %s",
                   n.reference, (long long)attempts, (long long)((next - now + 999) / 1000), error);
    }
    goto out;
release:
    /* Something on this side failed (memory, the database): give the claim back untouched
     * so that the next round tries again. */
    ermes__store_notification_release(st, id);
out:
    if (err && errcap && error[0])
        snprintf(err, errcap, "%s", error);
    json_decref(list);
    ermes__notify_crypt_cleanup(&crypt);
    ermes__strbuf_cleanup(&csv);
    ermes__strbuf_cleanup(&msg);
    ermes__notification_cleanup(&n);
    return rc;
}

int ermes__notify_send_due(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                           ermes__notify_stats_t *stats)
{
    int64_t ids[DUE_BATCH];
    size_t n = 0, recovered = 0;
    int rc;

    if (!o->smtp_url)
        return 0;
    /* What a sender that died left in state sending becomes due again (notify.h). */
    if ((rc = ermes__store_notification_recover(st, 0, now, o->max_attempts, INTERRUPTED,
                                                &recovered)))
        return rc;
    if (recovered) {
        stats->recovered += (long)recovered;
        ermes__log(ERMES_LOG_WARNING,
                   "notify: %zu notifications were being sent by a process that stopped; they "
                   "are sent again with the same Message-ID",
                   recovered);
    }
    /* A backlog (sending was off, or the server down, for notify_review_age) waits for a
     * person rather than leaving all at once (review.c). */
    {
        size_t held = 0;
        if ((rc = ermes__notify_hold_stale(st, o, now, &held)))
            return rc;
        stats->held_stale += (long)held;
    }
    /* One batch per call: the worker comes back at once when the batch was full. */
    if ((rc = ermes__store_notification_due(st, now, ids, DUE_BATCH, &n)))
        return rc;
    for (size_t k = 0; k < n; k++) {
        rc = ermes__notify_send(st, o, ids[k], 0, stats, NULL, 0);
        /* Taken by another sender meanwhile, or sent: theirs. */
        if (rc == ERMES_EBUSY || rc == ERMES_ECONFLICT)
            rc = 0;
        if (rc)
            ermes__log(ERMES_LOG_WARNING, "notify: sending notification %lld: %s",
                       (long long)ids[k], ermes_strerror(rc));
    }
    return 0;
}

int ermes__notify_run(ermes__store_t *st, const ermes__notify_options_t *o, int ignore_window,
                      ermes__notify_stats_t *stats)
{
    int rc = ermes__notify_group(st, o, ermes__time_now_ms(), ignore_window, stats);
    int rc2 = ermes__notify_send_due(st, o, ermes__time_now_ms(), stats);

    return rc ? rc : rc2;
}
