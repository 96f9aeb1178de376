/* Notifications: one e-mail to a constituent about a group of its events (one feed or one
 * classification type over a window), with a stable reference ("ERMES-2026-000042") the
 * constituent quotes when it replies, and its delivery state. */
#ifndef ERMES_MODEL_NOTIFICATION_H
#define ERMES_MODEL_NOTIFICATION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"
#include "ermes/tlp.h"

/* Delivery states:
 *   pending   made, waiting for its first attempt (or for a recipient's rate limit)
 *   sending   an attempt is under way; recorded before the SMTP exchange starts
 *   retrying  the last attempt failed (or was interrupted); the next is at next_attempt_at
 *   sent      the SMTP server accepted it; never sent again
 *   failed    given up: notify_max_attempts failed attempts, or a permanent refusal (5xx);
 *             a manual send may still deliver it */
#define ERMES_NOTIFICATION_PENDING "pending"
#define ERMES_NOTIFICATION_SENDING "sending"
#define ERMES_NOTIFICATION_RETRYING "retrying"
#define ERMES_NOTIFICATION_SENT "sent"
#define ERMES_NOTIFICATION_FAILED "failed"

/* Approval (review before sending), apart from the delivery state:
 *   none       goes out by itself when due
 *   waiting    waits for a reviewer: a notification policy says so, or it was older than
 *              notify_review_age when it would have left (a backlog)
 *   approved   a reviewer let it go; it goes out when due
 *   held       a reviewer stopped it; it waits until approved or cancelled
 *   cancelled  never sent */
#define ERMES_APPROVAL_NONE "none"
#define ERMES_APPROVAL_WAITING "waiting"
#define ERMES_APPROVAL_APPROVED "approved"
#define ERMES_APPROVAL_HELD "held"
#define ERMES_APPROVAL_CANCELLED "cancelled"

/* Limits of what a reviewer may write into a notification. */
#define ERMES_NOTIFICATION_SUBJECT_MAX 998 /* RFC 5322 section 2.1.1: a line */
#define ERMES_NOTIFICATION_BODY_MAX (1024 * 1024)
#define ERMES_NOTIFICATION_RECIPIENTS_MAX 32
#define ERMES_NOTIFICATION_ADDRESS_MAX 254 /* RFC 5321 section 4.5.3.1.3 */

typedef struct ermes__notification {
    int64_t id;
    int64_t org_id;       /* the constituent; 0 when it was deleted since */
    char org[64];         /* its short name, "" when unknown */
    char group_key[192];  /* "feed:<feed.name>" or "type:<classification.type>" */
    char language[16];    /* the template's language (ISO 639-1) */
    char reference[32];   /* ERMES-YYYY-NNNNNN */
    char message_id[160]; /* "<...>", the same for every attempt; "" for one made before it */
    char state[12];
    char *recipients; /* JSON array of addresses */
    char *subject;
    char *body; /* the text part, "\n" line ends */
    int64_t events;
    int64_t attempts;
    int64_t next_attempt_at;
    char last_error[256];
    int64_t sent_at;                  /* 0 until sent */
    int64_t window_start, window_end; /* times of the first and last event (ms) */
    ermes_tlp_t tlp;                  /* the most restrictive of its events */
    int64_t owner_org_id;
    int64_t created_at, updated_at;
    char approval[12];         /* ERMES_APPROVAL_* */
    char approval_reason[256]; /* why it waits, or who decided; "" when none */
    int owned; /* 1: the strings above belong to this struct (ermes__notification_cleanup) */
    /* Not stored: the attachment's format when the message is built (0 CSV, 1 JSON, 2 X-ARF:
     * ermes__notify_attachment_t, set by src/notify/attach.c from the constituent's
     * preferences). */
    int attachment;
} ermes__notification_t;

typedef struct ermes__notification_filter {
    const char *state;    /* NULL: any */
    const char *approval; /* NULL: any */
    int64_t org_id;       /* 0: any */
    int64_t before_id;    /* cursor: listed newest first */
    long limit;           /* 0: all */
} ermes__notification_filter_t;

/* Frees the strings of a notification the store copied out (owned = 1); a borrowed one is
 * left alone. The struct itself is the caller's. */
void ermes__notification_cleanup(ermes__notification_t *n);

/* The notification as JSON (recipients as an array); new reference, NULL when out of memory. */
json_t *ermes__notification_to_json(const ermes__notification_t *n);

/* The reference of notification id created at ms: "ERMES-<year>-<id, 6 digits or more>". */
void ermes__notification_reference(int64_t id, int64_t created_ms, char *buf, size_t cap);

/* 1 when state names a delivery state (for filters given by people). */
int ermes__notification_state_valid(const char *state);
/* 1 when approval names an approval (ERMES_APPROVAL_*). */
int ermes__notification_approval_valid(const char *approval);

/* What a reviewer changes in a notification not yet sent (PATCH /api/v1/notifications/{ref},
 * `ermes notify edit`): each member NULL when unchanged; strings borrowed from the JSON. */
typedef struct ermes__notification_edit {
    const char *subject;
    const char *body;
    json_t *recipients; /* a JSON array of addresses (borrowed) */
} ermes__notification_edit_t;

/* Reads and checks an edit from a JSON object body: "subject" (one line, at most
 * ERMES_NOTIFICATION_SUBJECT_MAX bytes, no control character), "body" (at most
 * ERMES_NOTIFICATION_BODY_MAX bytes, no control character but line ends and tabs),
 * "recipients" (1 to ERMES_NOTIFICATION_RECIPIENTS_MAX addresses local@domain); nothing
 * else, and at least one of them. ERMES_EINVAL with d naming the field. out borrows from
 * body. */
int ermes__notification_edit_read(const json_t *body, ermes__notification_edit_t *out,
                                  ermes_diag_t *d);

/* 1 when addr is a bare address fit for an SMTP envelope: local@domain, printable ASCII, no
 * space, angle bracket, comma or quote, at most ERMES_NOTIFICATION_ADDRESS_MAX bytes. */
int ermes__notification_address_valid(const char *addr);

/* The review actions (POST /api/v1/notifications/{ref}/{action}, bulk review). */
typedef enum ermes__review_action {
    ERMES_REVIEW_APPROVE,
    ERMES_REVIEW_HOLD,
    ERMES_REVIEW_CANCEL,
} ermes__review_action_t;

/* "approve", "hold" or "cancel" into *out; ERMES_EINVAL otherwise. */
int ermes__review_action_parse(const char *name, ermes__review_action_t *out);
/* The approval an action leads to (ERMES_APPROVAL_*). */
const char *ermes__review_action_approval(ermes__review_action_t a);

/* A bulk review body: {"action": "approve"|"hold"|"cancel", "ids": [id, ...]} (1 to
 * ERMES_REVIEW_BULK_MAX positive ids) or {"action": ..., "waiting": true, "org": REF} (every
 * waiting notification, of one constituent with org). ids gets the ids (at most cap);
 * *nids how many, 0 with *all_waiting = 1 for the second form; *org borrows the org
 * reference or NULL. ERMES_EINVAL with d naming the field. */
#define ERMES_REVIEW_BULK_MAX 1000
int ermes__review_bulk_read(const json_t *body, ermes__review_action_t *action, int64_t *ids,
                            size_t cap, size_t *nids, int *all_waiting, const char **org,
                            ermes_diag_t *d);

#endif
