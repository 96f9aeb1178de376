/* Retro-hunt jobs: the log archive rescanned for indicators added after the logs were
 * written. A job names its indicators (a list of ids, or the active ones in an id range), the
 * archive, how far it got and what it found. */
#ifndef ERMES_MODEL_RETROHUNT_H
#define ERMES_MODEL_RETROHUNT_H

#include <jansson.h>
#include <stdint.h>

#include "ermes/detect.h"
#include "ermes/error.h"

#define ERMES_RETROHUNT_MAX_IDS 1000 /* indicators one request may name */

/* One stored job. Strings are borrowed for a callback's duration. */
typedef struct ermes__retrohunt {
    int64_t id;
    ermes_retro_state_t state;
    const char *indicator_ids; /* JSON array of ids, or NULL: the range below */
    int64_t min_indicator_id;  /* the range: active indicators with min < id <= max */
    int64_t max_indicator_id;
    const char *archive;
    int64_t indicators; /* how many the job's matcher holds (once it runs) */
    uint64_t files_total, files_done, files_failed;
    uint64_t bytes_total, bytes_done, bytes_scanned;
    uint64_t records, matches, sightings;
    const char *current_file; /* NULL when none */
    const char *error;        /* NULL when none */
    int cancel_requested;
    int64_t retry_of; /* the interrupted job this one runs again; 0: none */
    const char *requested_by;
    int64_t created_at, started_at, finished_at, updated_at;
} ermes__retrohunt_t;

/* "queued"... back to the state; -1 for an unknown name. */
int ermes__retrohunt_state_parse(const char *s);
/* The job as the API shows it (a new reference, NULL on ENOMEM). */
json_t *ermes__retrohunt_to_json(const ermes__retrohunt_t *r);

#endif
