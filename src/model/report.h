/* Reports (a feed file as received), stored events, and quarantined rows. */
#ifndef ERMES_MODEL_REPORT_H
#define ERMES_MODEL_REPORT_H

#include <stdint.h>

#include "ermes/net.h"
#include "ermes/tlp.h"

typedef struct ermes__report {
    int64_t id;
    char feed[64];
    char file_name[256]; /* "" when unknown */
    char path[256];      /* relative to DATA_DIR */
    int64_t size;
    char sha256[65];
    char options[1024]; /* JSON array of "key=value" strings, "" for none */
    char state[16];     /* received, processing, done, failed */
    char error[256];
    int64_t next_row; /* rows before this one are stored (resume point) */
    int64_t rows_in, events, duplicates, quarantined, dismissed;
    int64_t received_at, processed_at;
    char submitted_by[96];
    ermes_tlp_t tlp;
    int64_t owner_org_id;
    int64_t expired_at; /* retention took its events, raw rows and file; 0: not */
} ermes__report_t;

/* One event as the store keeps it: the indexed columns and the whole event. */
typedef struct ermes__event_row {
    int64_t id;
    int64_t report_id;
    int64_t row;
    long line;
    int64_t time_source; /* 0 when the feed gave none */
    int64_t time_observation;
    const char *feed;
    const char *taxonomy, *type, *identifier; /* may be NULL */
    ermes_ip_t source_ip;                     /* family 0 when none */
    uint32_t source_asn;                      /* 0 when none */
    const char *source_fqdn;
    int64_t org_id; /* owning constituent, 0 when none */
    const char *owner_rule;
    const char *data; /* read: the event as IntelMQ's JSON text */
    size_t data_len;
    const struct ermes_event *event; /* insert: the event, which the store packs (it sets data
                                        and the column fields feed..source_fqdn from it) */
    ermes_tlp_t tlp;
    int64_t owner_org_id;
    int64_t created_at;
    int64_t raw_offset; /* where the row's bytes are in the report's file; -1: unknown */
    int64_t raw_length;
    const char *triage; /* read by the events list: the analysts' triage state ("new" when none);
                           NULL when the query did not read it */
} ermes__event_row_t;

typedef struct ermes__event_filter {
    int64_t since, until; /* time.source range in ms, 0 = open; until is exclusive */
    int64_t org_id;       /* 0 = any */
    const char *feed;
    const char *taxonomy;
    const char *type;
    int has_net; /* filter on source.ip inside net */
    ermes_cidr_t net;
    const char *domain; /* source.fqdn equal to it or below it */
    int64_t report_id;  /* 0 = any */
    int64_t after_id;   /* cursor: ids after it in the list's order (0: from the start) */
    long limit;         /* 0 = all */
    int newest;         /* newest first (ids descending); else oldest first */
    int sort;           /* ERMES_EVENT_SORT_*: a column to sort by, the id breaking ties */
    int sort_desc;      /* 1: that column descending (ids descending too) */
    int no_time_map;    /* 1: since/until read every block, not the time map's (tests, bench) */
} ermes__event_filter_t;

/* The columns the events list may be sorted by (an allow-list: GET /api/v1/events?sort=). */
enum {
    ERMES_EVENT_SORT_ID = 0, /* the stored order: newest says which way */
    ERMES_EVENT_SORT_TIME,   /* time.source (an event without one sorts as the oldest) */
    ERMES_EVENT_SORT_FEED,
    ERMES_EVENT_SORT_TAXONOMY,
    ERMES_EVENT_SORT_TYPE,
    ERMES_EVENT_SORT_COUNT
};

typedef struct ermes__quarantine_row {
    int64_t id;
    int64_t report_id;
    int64_t row;
    long line;
    const char *raw;
    size_t raw_len;
    const char *field;
    const char *reason;
    const char *state;
    const char *feed;
    int64_t created_at;
    int64_t retried_event_id; /* the event a retry made; 0: none (or a duplicate) */
    const char *edited_raw;   /* the line as corrected by an analyst, or NULL */
    size_t edited_raw_len;
    const char *resolution; /* a dismissed row's reason, or NULL */
    const char *resolved_by;
} ermes__quarantine_row_t;

#endif
