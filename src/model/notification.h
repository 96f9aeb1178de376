/* Notifications: one e-mail to a constituent about a group of its events (one feed or one
 * classification type over a window), with a stable reference ("ERMES-2026-000042") the
 * constituent quotes when it replies, and its delivery state. */
#ifndef ERMES_MODEL_NOTIFICATION_H
#define ERMES_MODEL_NOTIFICATION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

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
    int owned; /* 1: the strings above belong to this struct (ermes__notification_cleanup) */
} ermes__notification_t;

typedef struct ermes__notification_filter {
    const char *state; /* NULL: any */
    int64_t org_id;    /* 0: any */
    int64_t before_id; /* cursor: listed newest first */
    long limit;        /* 0: all */
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

#endif
