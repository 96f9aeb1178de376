/* The daemon's deadline warnings by e-mail (issue 11 item 5). ermes__incidents_warn
 * (incidents.c) queues one e-mail per incident and deadline in the transaction that puts the
 * warning on the timeline; this sends them. The daemon calls it only while it holds the lease
 * "incident-warnings", so two daemons on one database do not both send; a message is marked
 * sent right after the SMTP server took it, so only a daemon dying between the two would send
 * it again (at least once, never lost). */
#include "incidents/incidents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"
#include "core/time.h"
#include "notify/notify.h"

#define WARN_MAIL_BATCH 32
#define WARN_MAIL_MAX (64 * 1024)

/* RFC 5322 section 3.3 date, in UTC, with English names whatever the locale. */
static void mail_date(int64_t ms, char *buf, size_t cap)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof(tm));
    snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The title goes into a header: no line break may reach it. */
static void flatten(char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n' || *s == '\t')
            *s = ' ';
}

int ermes__incidents_warn_mail_build(const ermes__notify_options_t *o,
                                     const ermes__warning_mail_t *m, const ermes__incident_t *inc,
                                     int64_t due, int64_t now, ermes__strbuf_t *out)
{
    const char *from = o->mail_from && *o->mail_from ? o->mail_from : "ermes@localhost";
    char addr[320], to[320], date[64], due_s[ERMES_TIME_STRLEN], deadline[64], title[512];
    const char *state;
    ermes__strbuf_t subject, text;
    int rc;

    if (ermes__notify_address(from, addr, sizeof(addr)) ||
        ermes__notify_address(m->recipient, to, sizeof(to)))
        return ERMES_EINVAL;
    /* "containment:soon": the deadline's name, then whether it comes near or has passed. */
    snprintf(deadline, sizeof(deadline), "%s", m->deadline);
    state = strchr(deadline, ':');
    if (state)
        deadline[state++ - deadline] = '\0';
    else
        state = "soon";
    snprintf(title, sizeof(title), "%s", inc->title);
    flatten(title);
    mail_date(now, date, sizeof(date));
    if (due)
        ermes__time_format(due, due_s);
    else
        snprintf(due_s, sizeof(due_s), "(paused)");
    ermes__strbuf_init(&subject, 4096);
    ermes__strbuf_init(&text, 8192);
    rc = ermes__strbuf_addf(&text, "[ermes] incident #%lld: %s %s: %s", (long long)inc->id,
                            deadline, strcmp(state, "late") ? "due soon" : "late", title);
    if (!rc)
        rc = ermes__notify_header_word(text.data, &subject);
    ermes__strbuf_reset(&text);
    if (!rc)
        rc = ermes__strbuf_addf(&text,
                                "Incident #%lld, \"%s\" (severity %s, status %s):\n\n"
                                "the deadline %s %s %s UTC.\n\n"
                                "This warning is sent once per deadline by the ermes daemon.\n",
                                (long long)inc->id, title, inc->severity, inc->status, deadline,
                                strcmp(state, "late") ? "is due at" : "passed at", due_s);
    if (!rc)
        rc = ermes__strbuf_addf(out,
                                "Date: %s\r\n"
                                "From: %s\r\n"
                                "To: %s\r\n"
                                "Subject: %s\r\n"
                                "Message-ID: <incident-warning.%lld.%lld@%s>\r\n"
                                "MIME-Version: 1.0\r\n"
                                "X-ERMES-Incident: %lld\r\n"
                                "Auto-Submitted: auto-generated\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n"
                                "\r\n",
                                date, addr, to, subject.data, (long long)inc->id, (long long)m->id,
                                strchr(addr, '@') + 1, (long long)inc->id);
    if (!rc)
        rc = ermes__notify_qp(text.data, text.len, out);
    if (!rc && out->len && out->data[out->len - 1] != '\n')
        rc = ermes__strbuf_add(out, "\r\n", 2);
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&text);
    return rc;
}

/* The due time of the deadline named in key ("name:state") of inc, now; 0 when unknown. */
static int64_t due_of(ermes__store_t *st, const ermes__incident_t *inc, const char *key)
{
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    size_t n = strcspn(key, ":");

    if (ermes__incident_deadlines(st, inc, dl))
        return 0;
    for (int i = 0; i < ERMES_INCIDENT_CLOCKS; i++)
        if (strlen(dl[i].name) == n && strncmp(dl[i].name, key, n) == 0)
            return dl[i].due;
    return 0;
}

int ermes__incidents_warn_mail_send(ermes__store_t *st, const ermes__notify_options_t *o,
                                    int64_t now, size_t *sent, size_t *failed)
{
    ermes__warning_mail_t due[WARN_MAIL_BATCH];
    ermes__incident_t *inc = NULL;
    ermes__strbuf_t msg;
    size_t n = 0;
    int rc;

    *sent = *failed = 0;
    if (!o->smtp_url)
        return 0;
    if ((rc = ermes__store_warning_mails_due(st, now, due, WARN_MAIL_BATCH, &n)) || n == 0)
        return rc;
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    ermes__strbuf_init(&msg, WARN_MAIL_MAX);
    for (size_t k = 0; k < n && !rc; k++) {
        ermes__warning_mail_t *m = &due[k];
        const char *rcpt = m->recipient;
        int permanent = 0, res;
        char err[256] = "";

        ermes__strbuf_reset(&msg);
        res = ermes__store_incident_get(st, NULL, m->incident_id, inc);
        if (res == 0)
            res = ermes__incidents_warn_mail_build(o, m, inc, due_of(st, inc, m->deadline), now,
                                                   &msg);
        if (res) {
            /* Nothing to send (the incident is gone, the address unusable): failed for good. */
            snprintf(err, sizeof(err), "cannot build the message: %s", ermes_strerror(res));
            permanent = 1;
        } else {
            res = ermes__notify_smtp_send(o, &rcpt, 1, msg.data, msg.len, &permanent, err,
                                          sizeof(err));
        }
        m->attempts++;
        snprintf(m->error, sizeof(m->error), "%s", res ? err : "");
        if (res == 0) {
            snprintf(m->state, sizeof(m->state), "sent");
            m->sent_at = ermes__time_now_ms();
            (*sent)++;
        } else if (permanent || m->attempts >= o->max_attempts) {
            snprintf(m->state, sizeof(m->state), "failed");
            (*failed)++;
        } else {
            m->next_at = now + ermes__notify_backoff_ms(o->retry_base_ms, m->attempts);
        }
        rc = ermes__store_warning_mail_record(st, m);
        /* The server did not take it: the others wait for their retry rather than hold the
         * daemon's loop (which calls this) for a timeout each. */
        if (res && !permanent)
            break;
    }
    ermes__strbuf_cleanup(&msg);
    free(inc);
    return rc;
}
