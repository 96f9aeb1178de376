/* A collector's state as the store keeps it: when it ran, what came back, what to send next
 * time (the validators of a conditional GET) and the hash of the last body ingested. */
#ifndef ERMES_MODEL_COLLECTOR_H
#define ERMES_MODEL_COLLECTOR_H

#include <stdint.h>

typedef struct ermes__collector_state {
    char name[64];
    char status[16]; /* new, ok, not_modified, unchanged, error */
    char last_error[256];
    long http_status; /* 0 when no response came */
    int64_t last_run; /* ms; 0 never */
    int64_t next_run; /* ms; 0 as soon as possible */
    int64_t last_success;
    char etag[256];
    char last_modified[64];
    int64_t last_report_id;
    char body_sha256[65];
    int64_t failures; /* consecutive */
    int64_t runs;
    int64_t reports;
} ermes__collector_state_t;

#endif
