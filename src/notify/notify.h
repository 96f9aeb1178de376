/* Notify: events become e-mails to the constituents they concern.
 *
 *   group.c    events not yet notified, per (constituent, feed or classification type), wait
 *              notify_window from the oldest one; then they become one notification per
 *              language group of the constituent's contacts, with a reference number. One
 *              transaction per group: the events are marked notified in the same commit.
 *   message.c  the text from a template in the contact's language (built-in en, fr, de), and
 *              the MIME message: text part, the events as a CSV attachment, headers.
 *   smtp.c     delivery with libcurl (STARTTLS when the server offers it, or smtps://).
 *   send.c     one delivery attempt: claim, rate limit, send, record; backoff on failure.
 *   worker.c   the daemon's thread: group, then send what is due; again every few seconds.
 *
 * Who gets a notification: the organisation's contacts with role "abuse" or "notification";
 * when it has none, those with role "security" or "cert". Other roles (management, technical)
 * are never e-mailed events. An organisation with none of these gets nothing: its events wait
 * (counted by ermes_store_notify_waiting) until a contact is added.
 *
 * TLP: a notification only carries events of one constituent and goes only to that
 * constituent's own contacts, so AMBER and AMBER+STRICT never reach anyone else; TLP:RED
 * events are never e-mailed at all. The subject shows the most restrictive label of the
 * events it carries.
 *
 * Never twice: an event is marked notified when its notification is made, and the database
 * refuses a second notification of an event to the same language group (UNIQUE (event_id,
 * language)); a notification is sent by one sender at a time (a lease) and never again once
 * sent. The remaining window is the SMTP exchange itself: if the process dies after the
 * server accepted a message and before the state is written, the message is sent again after
 * the lease runs out, with the same Message-ID, so the recipient's system can tell. */
#ifndef ERMES_NOTIFY_NOTIFY_H
#define ERMES_NOTIFY_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "model/notification.h"
#include "model/org.h"
#include "store/store.h"

struct ermes_config;

/* Events in one e-mail at most; a larger group becomes several notifications. */
#define ERMES_NOTIFY_MAX_EVENTS 10000
/* Backoff between attempts: retry_base, doubled each time, never more than this. */
#define ERMES_NOTIFY_BACKOFF_CAP_MS (3600 * 1000LL)
/* How long one sender may hold a notification (longer than any SMTP exchange may last). */
#define ERMES_NOTIFY_LEASE_MS (10 * 60 * 1000LL)
/* Seconds an SMTP exchange may take, and its connection. */
#define ERMES_NOTIFY_SMTP_TIMEOUT 120
#define ERMES_NOTIFY_SMTP_CONNECT_TIMEOUT 20
/* Recipients of one notification at most. */
#define ERMES_NOTIFY_MAX_RECIPIENTS 32

typedef struct ermes_notify_options {
    int64_t window_ms;     /* a group is due when its oldest event is this old */
    int by_type;           /* group by classification.type, else by feed.name */
    int64_t retry_base_ms; /* first backoff */
    long max_attempts;
    long rate_per_hour;        /* per recipient */
    const char *smtp_url;      /* NULL: prepare notifications, send nothing */
    const char *smtp_user;     /* NULL: no AUTH */
    const char *smtp_password; /* never logged */
    const char *mail_from;     /* "ermes@localhost", or "Name <addr>" */
    const char *templates_dir; /* NULL: built-in templates only */
    const int *cancel;         /* when set and non-zero (read atomically), an SMTP exchange stops */
} ermes_notify_options_t;

/* The options from the settings; strings borrow from cfg. ERMES_ECONFIG with d for a bad
 * notify_group_by, mail_from or smtp_url. */
int ermes_notify_options_from_config(const struct ermes_config *cfg, ermes_notify_options_t *o,
                                     ermes_diag_t *d);

/* What a run did, for logs, the CLI and the API. */
typedef struct ermes_notify_stats {
    long groups;        /* groups that became notifications */
    long notifications; /* notifications made */
    long events;        /* events they carry */
    int64_t waiting;    /* events waiting for a contact */
    long sent;          /* notifications delivered */
    long deferred;      /* over a recipient's rate limit: wait, not dropped */
    long retrying;      /* attempts that failed and will be retried */
    long failed;        /* given up after max_attempts */
} ermes_notify_stats_t;

/* ---- grouping (group.c) ------------------------------------------------------------------ */

/* Makes notifications of every due group: those whose oldest event was stored at least
 * window_ms before now, or all of them with ignore_window. Adds to *stats. */
int ermes_notify_group(ermes_store_t *st, const ermes_notify_options_t *o, int64_t now,
                       int ignore_window, ermes_notify_stats_t *stats);

/* Recipients of org's notifications (see the rule above): the indexes into org->contacts, at
 * most cap, into idx; returns how many. */
size_t ermes_notify_recipients(const ermes_org_t *org, size_t *idx, size_t cap);

/* ---- messages (message.c) ---------------------------------------------------------------- */

/* The language whose template serves contacts speaking lang (ISO 639-1, any case): lang
 * itself when templates_dir has lang.txt or a built-in exists (en, fr, de), else "en". buf
 * gets at least 3 bytes. */
void ermes_notify_language(const char *templates_dir, const char *lang, char *buf, size_t cap);

/* What a template is filled with. */
typedef struct ermes_notify_vars {
    const char *reference; /* "ERMES-2026-000042" */
    const char *org;       /* short name */
    const char *org_name;
    const char *group; /* the feed name or the type */
    int by_type;
    ermes_tlp_t tlp;
    int64_t events;
    int64_t first, last;      /* time range of the events, ms */
    const char *const *types; /* classification types present, NULL-terminated */
    const int64_t *type_counts;
    const char *mail_from;
} ermes_notify_vars_t;

/* Renders the subject (one line) and the body ("\n" line ends) in language lang from its
 * template (templates_dir/lang.txt: first line the subject, then a blank line, then the
 * body; ${name} substitutions, see message.c; else the built-in). ERMES_EIO when a template file
 * cannot be read, ERMES_ETOOBIG, ERMES_ENOMEM. */
int ermes_notify_render(const char *templates_dir, const char *lang,
                        const ermes_notify_vars_t *vars, ermes_strbuf_t *subject,
                        ermes_strbuf_t *body);

/* The complete message (RFC 5322 + MIME, CRLF line ends) as sent: headers Date, From, To,
 * Subject, Message-ID, MIME-Version, X-ERMES-Reference; a multipart/mixed body with the text
 * (quoted-printable UTF-8) and the events as REFERENCE.csv (base64 text/csv). csv may be NULL
 * for a message without attachment. date_ms: the Date header. */
int ermes_notify_build_message(const ermes_notify_options_t *o, const ermes_notification_t *n,
                               const char *csv, size_t csv_len, int64_t date_ms,
                               ermes_strbuf_t *out);

/* The CSV attachment of notification id: the events it carries. */
int ermes_notify_csv(ermes_store_t *st, int64_t id, ermes_strbuf_t *out);

/* The complete message of a stored notification, as it would be sent now. */
int ermes_notify_preview(ermes_store_t *st, const ermes_notify_options_t *o, int64_t id,
                         ermes_strbuf_t *out);

/* Encoders (RFC 2045 section 6.7 and 6.8, RFC 2047), exposed for the tests. */
int ermes_notify_base64(const void *p, size_t n, ermes_strbuf_t *out);
int ermes_notify_qp(const char *text, size_t n, ermes_strbuf_t *out);
int ermes_notify_header_word(const char *text, ermes_strbuf_t *out);

/* The bare address of "Name <addr>" or "addr" into buf; ERMES_EINVAL when there is none. */
int ermes_notify_address(const char *from, char *buf, size_t cap);

/* ---- delivery (smtp.c, send.c) ----------------------------------------------------------- */

/* Sends msg to rcpts over SMTP. On failure returns ERMES_EIO with the reason (never the
 * password) in err. */
int ermes_notify_smtp_send(const ermes_notify_options_t *o, const char *const *rcpts, size_t n,
                           const char *msg, size_t len, char *err, size_t errcap);

/* The wait before attempt number attempts + 1, after attempts failed ones (>= 1):
 * base * 2^(attempts-1), capped at ERMES_NOTIFY_BACKOFF_CAP_MS (or base when that is larger). */
int64_t ermes_notify_backoff_ms(int64_t base_ms, int64_t attempts);

/* Rate limit: sent holds the times (newest first) of the messages a recipient got in the last
 * hour, n of them. Returns 0 when one more may go now, else the time at which it may. */
int64_t ermes_notify_rate_next(const int64_t *sent, size_t n, long rate_per_hour, int64_t now);

/* One delivery attempt of notification id: claims it, checks the rate limits, sends, records
 * the outcome (sent; pending with a backoff; failed after max_attempts; deferred by the rate
 * limit without counting an attempt). force: a manual send (now, even before its next attempt
 * or after it failed). Returns 0 when the attempt ran (its outcome in stats and in the
 * store), ERMES_ECONFLICT when it was already sent, ERMES_EBUSY when another sender holds it,
 * ERMES_ENOTFOUND, ERMES_ECONFIG without smtp_url. err gets the SMTP error, if any. */
int ermes_notify_send(ermes_store_t *st, const ermes_notify_options_t *o, int64_t id, int force,
                      ermes_notify_stats_t *stats, char *err, size_t errcap);

/* Attempts every notification due now. */
int ermes_notify_send_due(ermes_store_t *st, const ermes_notify_options_t *o, int64_t now,
                          ermes_notify_stats_t *stats);

/* Grouping then sending (without smtp_url: grouping only), as the worker does each round. */
int ermes_notify_run(ermes_store_t *st, const ermes_notify_options_t *o, int ignore_window,
                     ermes_notify_stats_t *stats);

/* ---- the daemon's worker (worker.c) ---------------------------------------------------- */

typedef struct ermes_notifier ermes_notifier_t;

/* st and the strings of o are borrowed and must outlive the notifier. */
int ermes_notifier_new(ermes_store_t *st, const ermes_notify_options_t *o, ermes_notifier_t **out);
/* Starts the thread: a round at once, then whenever kicked, when a notification falls due,
 * and every few seconds. */
int ermes_notifier_start(ermes_notifier_t *n);
void ermes_notifier_kick(ermes_notifier_t *n);
/* Stops and joins the thread; an SMTP exchange under way is abandoned (its attempt counts as
 * failed and is retried after the restart). */
void ermes_notifier_stop(ermes_notifier_t *n);
/* Stops if needed and frees. NULL is a no-op. */
void ermes_notifier_free(ermes_notifier_t *n);

#endif
