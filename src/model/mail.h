/* Mail in: a received message as recorded (mail_messages), a message threaded onto a
 * notification (correspondence), and an incident report with its observables. */
#ifndef ERMES_MODEL_MAIL_H
#define ERMES_MODEL_MAIL_H

#include <jansson.h>
#include <stdint.h>

#include "ermes/tlp.h"

/* States of a received message: received (raw bytes and row on disk, not read yet),
 * processed (it became what kind says), failed (kept raw, unreadable: reason says why). */
#define ERMES_MAIL_RECEIVED "received"
#define ERMES_MAIL_PROCESSED "processed"
#define ERMES_MAIL_FAILED "failed"

/* What a message became: reply (threaded onto a notification), xarf / arf (a report of that
 * feed: events), report (an incident report), unparsed (state failed). */
typedef struct ermes__mail_row {
    int64_t id;
    char sha256[65];
    int64_t size;
    char source[80]; /* pipe, api:USER, imap:NAME, maildir:NAME */
    int64_t received_at;
    char state[16];
    char kind[16];    /* "" until processed */
    char reason[512]; /* why it failed, or what was left out of a processed one */
    char message_id[256];
    char from_addr[320];
    char subject[512];
    char signature[32];  /* none, good, bad, unknown-key, error */
    char encryption[32]; /* none, decrypted, no-key, error */
    int64_t notification_id, report_id, incident_report_id; /* what it became; 0 none */
    ermes_tlp_t tlp;
    int64_t owner_org_id;
    int64_t created_at, updated_at;
} ermes__mail_row_t;

json_t *ermes__mail_row_to_json(const ermes__mail_row_t *m);

/* A message threaded onto a notification. state: the recipient's state it moved to. */
typedef struct ermes__correspondence {
    int64_t id;
    int64_t notification_id;
    int64_t mail_id;
    const char *from_addr;
    const char *subject;
    const char *body;
    const char *state; /* acknowledged or replied */
    int64_t created_at;
} ermes__correspondence_t;

json_t *ermes__correspondence_to_json(const ermes__correspondence_t *c);

/* An incident report: a message that was neither a reply nor a machine-readable report. */
typedef struct ermes__incident_report {
    int64_t id;
    int64_t mail_id;
    const char *reporter;
    int64_t received_at;
    const char *subject;
    const char *body;
    int tlp_marked;  /* the reporter marked the TLP in the subject or body */
    int64_t org_id;  /* the constituent most of its observables belong to; 0 none */
    const char *org; /* its short name, "" */
    ermes_tlp_t tlp;
    int64_t owner_org_id;
    int64_t created_at, updated_at;
    int64_t observables; /* how many (in lists) */
    int64_t known_bad;   /* how many of them are a stored indicator (in lists) */
    int64_t incident_id; /* the first incident it is linked to; 0: waiting for triage */
} ermes__incident_report_t;

typedef struct ermes__report_observable {
    int64_t id;
    const char *type; /* ermes__obs_type_name */
    const char *value;
    const char *found_in; /* subject, body, attachment NAME */
    int64_t org_id;       /* owner in the constituency; 0 none */
    const char *org;
    int64_t indicator_id; /* a stored indicator of that value (known bad); 0 none */
    int64_t events;       /* events seen with it (at most 1000 counted) */
    int64_t sightings;    /* sightings of that indicator */
} ermes__report_observable_t;

json_t *ermes__incident_report_to_json(const ermes__incident_report_t *r, int with_body);
json_t *ermes__report_observable_to_json(const ermes__report_observable_t *o);

#endif
