/* Stored indicators of compromise and their sightings: the rows the store keeps and the
 * filters its lists take. The detection engine (include/ermes/detect.h) matches; these are
 * what the CERT remembers of it: which indicators are active, and where and when each was
 * seen in a constituent's traffic. */
#ifndef ERMES_MODEL_SIGHTING_H
#define ERMES_MODEL_SIGHTING_H

#include <jansson.h>
#include <stdint.h>

#include "ermes/error.h"
#include "ermes/tlp.h"

#define ERMES_INDICATOR_VALUE_MAX 8192
#define ERMES_INDICATOR_SOURCE_MAX 256
#define ERMES_INDICATOR_TAGS_MAX 4096 /* the JSON array text */

/* One stored indicator. In callbacks every pointer is borrowed for the call. */
typedef struct ermes__indicator_row {
    int64_t id;
    const char *type;                /* ermes_ind_type_name(): "ipv4", "domain", ... */
    const char *value;               /* canonical (the detection engine's normalised form) */
    int exact;                       /* domain: the name only, not its subdomains */
    int64_t valid_from, valid_until; /* ms; 0 = unbounded */
    int confidence;                  /* 0..100, -1 unknown */
    ermes_tlp_t tlp;
    int64_t owner_org_id;
    const char *source; /* "" when none */
    const char *tags;   /* JSON array of strings, "[]" when none */
    int64_t created_at, updated_at;
    /* What a STIX indicator said of it (src/sharing/): "" when nothing; stix_id NULL for an
     * indicator ermes made itself. Read only: ermes__store_indicator_describe() writes them. */
    const char *name, *description, *stix_id;
    /* Stored despite a warninglist (force): no warninglist suppresses it in the matcher. Set by
     * put when non-zero (never cleared there); read back by the store. */
    int forced;
} ermes__indicator_row_t;

typedef struct ermes__indicator_filter {
    const char *type;  /* exact type name */
    const char *value; /* canonical value, exact */
    const char *source;
    const char *tag;   /* one tag the indicator carries */
    int64_t active_at; /* only indicators valid at this time (ms); 0 = any */
    int64_t after_id;  /* cursor */
    long limit;        /* 0 = all */
} ermes__indicator_filter_t;

/* A partial update (PATCH): the members whose has_ bit is set replace the stored ones. */
#define ERMES_IND_UPD_VALID_FROM 0x01u
#define ERMES_IND_UPD_VALID_UNTIL 0x02u
#define ERMES_IND_UPD_CONFIDENCE 0x04u
#define ERMES_IND_UPD_TLP 0x08u
#define ERMES_IND_UPD_SOURCE 0x10u
#define ERMES_IND_UPD_TAGS 0x20u

/* One sighting: indicator matched a value in a log record. */
typedef struct ermes__sighting {
    int64_t id;
    int64_t indicator_id;
    const char *indicator_type;  /* when listing; on recording, with indicator_value and */
    const char *indicator_value; /* indicator_exact, names the indicator if indicator_id is 0 */
    int indicator_exact;
    const char *value;       /* the value observed in the log */
    const char *field;       /* the log field it was in ("dns.rrname", "id.resp_h", "line") */
    const char *log_source;  /* the log's name (file name or ?source=) */
    int64_t line;            /* 1-based line in the (decompressed) log */
    int64_t offset;          /* byte offset of the record in the (decompressed) log */
    int64_t event_time;      /* ms: the record's own time, else when it was read */
    const char *sensor;      /* NULL when unknown */
    const char *internal_ip; /* the constituent side of the record, NULL when unknown */
    int64_t org_id;          /* the constituent owning internal_ip, 0 = none */
    ermes_tlp_t tlp;         /* the indicator's */
    int64_t created_at;
} ermes__sighting_t;

typedef struct ermes__sighting_filter {
    int64_t indicator_id; /* 0 = any */
    const char *value;    /* observed value or indicator value, exact */
    int64_t org_id;       /* 0 = any (constituents: always their own) */
    int64_t since, until; /* event time, ms; 0 = open */
    const char *sensor;
    const char *address; /* an IP (canonical text) seen as the value or as the internal side */
    int64_t after_id;    /* cursor */
    long limit;          /* 0 = all */
} ermes__sighting_filter_t;

/* Sightings per indicator, constituent and day of event time (UTC). */
typedef struct ermes__sighting_count {
    int64_t id; /* a cursor position */
    int64_t indicator_id;
    const char *indicator_type, *indicator_value;
    int64_t org_id;  /* 0 = no constituent */
    const char *day; /* "YYYY-MM-DD" */
    int64_t count;
    int64_t first_seen, last_seen; /* event times, ms */
} ermes__sighting_count_t;

/* JSON forms for the API and the CLI. NULL on allocation failure. */
json_t *ermes__indicator_row_to_json(const ermes__indicator_row_t *r);
json_t *ermes__sighting_to_json(const ermes__sighting_t *s);
json_t *ermes__sighting_count_to_json(const ermes__sighting_count_t *c);

/* Tags: "a, b,c" (the detection engine's comma list) to a JSON array text "[\"a\",\"b\",\"c\"]"
 * in buf, and back. Empty tags are dropped. Return 0, ERMES_ETOOBIG or ERMES_EINVAL. */
int ermes__tags_to_json(const char *list, char *buf, size_t cap);
int ermes__tags_from_json(const json_t *arr, char *buf, size_t cap, ermes_diag_t *d);

#endif
