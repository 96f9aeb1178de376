/* Mail in: messages piped by the MTA (`ermes mail receive`), uploaded (POST /api/v1/mail),
 * taken from a maildir or fetched from IMAP mailboxes by the daemon ([mailbox "NAME"]
 * sections, poll.c) all come here. A message is first made durable, exactly as received
 * (DATA_DIR/mail/<sha256>, fsync'd, then its row): that is the acknowledgement, before any
 * parsing. Processing then decides what it is:
 *   - a reply to a notification (its reference in In-Reply-To, References or the subject):
 *     threaded onto it as correspondence, the sender's state moved to acknowledged (an
 *     automatic answer, a receipt) or replied;
 *   - an X-ARF v4 or ARF (RFC 5965) abuse report: a report of feed xarf or arf, which the
 *     intake pipeline turns into events like any feed's;
 *   - anything else: an incident report, with its TLP (where the reporter marked it) and the
 *     observables of its subject, body and text attachments, each looked up in the
 *     constituency, the indicators, the events and the sightings.
 * A message that cannot be read is kept, raw, with the reason (state failed); nothing received
 * is dropped. */
#ifndef ERMES_MAIL_MAIL_H
#define ERMES_MAIL_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "constituency/registry.h"
#include "core/strbuf.h"
#include "core/config.h"
#include "model/mail.h"
#include "store/store.h"

struct ermes__intake;

typedef struct ermes__mail_options {
    const char *data_dir;   /* messages are kept in DATA_DIR/mail/ */
    size_t max_size;        /* largest message accepted, bytes */
    long max_depth;         /* MIME nesting depth */
    long max_parts;         /* MIME parts */
    size_t max_text;        /* bytes of text read from one message */
    long timeout;           /* seconds one message's parsing may take */
    const char *gnupg_home; /* the CERT's key (notify_pgp_home); NULL: GNUPGHOME */
} ermes__mail_options_t;

/* The options from the settings (strings borrowed from cfg). */
void ermes__mail_options_from_config(const ermes__config_t *cfg, ermes__mail_options_t *o);

typedef struct ermes__mail ermes__mail_t;

/* st, reg, in: borrowed, outlive the mail object; in may be NULL (then X-ARF and ARF messages
 * fail with a reason). opts is copied (its strings are borrowed). */
int ermes__mail_new(ermes__store_t *st, ermes__registry_t *reg, struct ermes__intake *in,
                    const ermes__mail_options_t *opts, ermes__mail_t **out);
void ermes__mail_free(ermes__mail_t *m);

/* Receives one message from memory or from a stream read to its end: stored durably and
 * recorded (state received), then processed unless no_process. source: "pipe", "api:USER",
 * "imap:NAME", "maildir:NAME". *out: the message's row after it all. ERMES_ETOOBIG over
 * max_size (nothing stored); ERMES_EIO / ERMES_ESTORE when it could not be stored (the MTA
 * should try again). A message that cannot be parsed is not an error of the call: it is
 * stored, state failed, with its reason. */
int ermes__mail_receive_mem(ermes__mail_t *m, const char *source, const char *data, size_t len,
                            int no_process, ermes__mail_row_t *out, ermes_diag_t *d);
int ermes__mail_receive_file(ermes__mail_t *m, const char *source, FILE *f, int no_process,
                             ermes__mail_row_t *out, ermes_diag_t *d);

/* ---- reports that do not come by mail (submit.c): POST /api/v1/incident-reports ---------- */

#define ERMES_SUBMIT_MAX_ATTACHMENTS 10
#define ERMES_SUBMIT_MAX_EXTRA 100

typedef struct ermes__submit_file {
    const char *name; /* file name: printable, no quotes or backslashes (checked by the caller) */
    const char *data; /* its bytes: text (UTF-8, no NUL) */
    size_t len;
} ermes__submit_file_t;

/* A report typed in (the portal's form, a script): what a message would have said, and what the
 * submitter decides that a message leaves to the look-ups. Strings borrowed. */
typedef struct ermes__submission {
    const char *reporter;     /* who reports: an e-mail address or a user name */
    const char *submitted_by; /* the user who typed it (X-Ermes-Submitted-By) */
    const char *subject;      /* no control characters (checked by the caller) */
    const char *body;
    ermes_tlp_t tlp;
    int64_t org_id; /* the constituent it concerns (a constituent's own); 0: the look-ups say */
    int64_t
        owner_org_id; /* who owns the report: a constituent's user's organisation; 0: the CERT */
    const ermes__submit_file_t *files;
    size_t nfiles;
    const char *const *extra; /* further observable values, each read like a line of text */
    size_t nextra;
} ermes__submission_t;

/* A POST /api/v1/incident-reports body, read: s, and what it points into (strings are
 * borrowed from the JSON; the files' bytes are decoded here). */
typedef struct ermes__submission_in {
    ermes__submission_t s;
    const char *org;    /* the member org as given (staff only): the caller resolves it */
    char subject[1000]; /* the subject without leading or trailing spaces (a header's are not
                         * kept: RFC 5322 unfolding, GMime) */
    ermes__submit_file_t files[ERMES_SUBMIT_MAX_ATTACHMENTS];
    const char *extra[ERMES_SUBMIT_MAX_EXTRA];
    char *decoded[ERMES_SUBMIT_MAX_ATTACHMENTS];
} ermes__submission_in_t;

/* Reads body (subject, body, reporter, tlp, org, observables, attachments: docs/API.md) as a
 * member of the CERT's staff (staff: reporter required, org allowed) or a constituent's user
 * user_name (the reporter unless it gives an address; no org). Sets s.org_id and
 * s.owner_org_id to 0: the caller decides them. ERMES_EINVAL (a member is wrong) or
 * ERMES_ETOOBIG (an attachment is too large) with d naming the member; ERMES_ENOMEM. Call
 * ermes__submission_in_cleanup whatever it returns. */
int ermes__submission_read(const json_t *body, int staff, const char *user_name,
                           ermes__submission_in_t *in, ermes_diag_t *d);
void ermes__submission_in_cleanup(ermes__submission_in_t *in);
/* The RFC 5322 message s stands for, appended to b: From (when the reporter is an address),
 * Date, Message-ID, X-Ermes-Submitted-By, Subject (RFC 2047 when not ASCII), multipart/mixed
 * with the body and each file as base64 text/plain parts. */
int ermes__submission_write(const ermes__submission_t *s, ermes__strbuf_t *b);

/* Takes report s the way a message comes: written as an RFC 5322 message (multipart, the files
 * as text attachments), stored durably like any message received (source "api:USER"), then
 * processed as an incident report, never as a reply or an abuse report: observables extracted
 * from the subject, body, files and extra values, looked up, the incident rules run. *out: the
 * message's row (its incident_report_id is the report). A message that cannot be stored:
 * ERMES_EIO / ERMES_ESTORE. */
int ermes__mail_submit(ermes__mail_t *m, const char *source, const ermes__submission_t *s,
                       ermes__mail_row_t *out, ermes_diag_t *d);
/* Processes stored message id as the incident report s describes (s NULL: as any message). */
int ermes__mail_process_as(ermes__mail_t *m, int64_t id, const ermes__submission_t *s,
                           ermes__mail_row_t *out);

/* Removes DATA_DIR/mail/.incoming-* files older than max_age seconds: messages a stopped
 * process was receiving, never acknowledged. Returns how many. */
size_t ermes__mail_sweep_incoming(ermes__mail_t *m, long max_age);
/* Processes stored message id (again): what it becomes, as above. */
int ermes__mail_process(ermes__mail_t *m, int64_t id, ermes__mail_row_t *out);
/* Processes every message received but not processed (left by a crash), oldest first. */
int ermes__mail_process_pending(ermes__mail_t *m, size_t *processed);

/* The text of stored message id's raw bytes path (DATA_DIR/mail/<sha256>). */
void ermes__mail_path(const ermes__mail_t *m, const char *sha256, char *buf, size_t cap);

/* ---- finding what a message refers to (reply.c) ---------------------------------------- */

/* The first notification reference ("ERMES-2026-000042") in s, into ref (cap bytes).
 * Returns 1 when there is one. */
int ermes__mail_find_reference(const char *s, char *ref, size_t cap);
/* The TLP a reporter marked in s ("TLP:AMBER", "[TLP: RED]", "tlp amber+strict"; TLP 2.0 words,
 * WHITE read as CLEAR). Returns 1 with *out set when there is one. */
int ermes__mail_find_tlp(const char *s, ermes_tlp_t *out);

/* ---- sources the daemon polls (poll.c): [mailbox "NAME"] sections --------------------- */

typedef struct ermes__mail_poller ermes__mail_poller_t;
/* cfg, m: borrowed. */
int ermes__mail_poller_new(const ermes__config_t *cfg, ermes__mail_t *m,
                           ermes__mail_poller_t **out);
/* One pass over mailbox name (or every mailbox when NULL): new messages received, then
 * marked seen, moved or deleted as its section says. *received: how many. */
int ermes__mail_poll(ermes__mail_poller_t *p, const char *name, size_t *received, ermes_diag_t *d);
/* The daemon's thread: each mailbox every `interval` seconds; and messages left received by
 * a crash processed at start. */
int ermes__mail_poller_start(ermes__mail_poller_t *p);
void ermes__mail_poller_stop(ermes__mail_poller_t *p);
void ermes__mail_poller_free(ermes__mail_poller_t *p);

#endif
