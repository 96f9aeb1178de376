/* Sightings: the store's indicators matched against logs, and what was seen recorded.
 *
 *   indicators      stored and read back by src/indicators/ (indicators/indicators.h).
 *   matcher         ermes__sightings_t keeps the matcher of the active stored indicators in a
 *                   slot; it is built on first use and rebuilt, then swapped atomically, when
 *                   the store's indicator counter moves or a validity bound passes. Scans in
 *                   flight go on with the matcher they hold.
 *   sightings out   ermes__sightings_scan() reads a log, matches every record and records each
 *                   hit as a sighting, attributed to the constituent owning the record's
 *                   internal address (the registry's ownership index). */
#ifndef ERMES_SIGHTINGS_SIGHTINGS_H
#define ERMES_SIGHTINGS_SIGHTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"
#include "constituency/registry.h"
#include "ermes/ownership.h"
#include "indicators/indicators.h"
#include "store/store.h"

/* ---- the daemon's matcher (engine.c) ------------------------------------------------------ */

typedef struct ermes__sightings ermes__sightings_t;

/* st: borrowed, must outlive the engine. No matcher is built until first use. */
int ermes__sightings_new(ermes__store_t *st, ermes__sightings_t **out);
void ermes__sightings_free(ermes__sightings_t *e);

/* Rebuilds the matcher if the stored indicators changed since it was built (or force). When
 * another thread is rebuilding already and a matcher exists, returns at once: callers go on
 * with the current one. */
int ermes__sightings_refresh(ermes__sightings_t *e, int force);

/* The warninglists in force for the matcher: apply marks the set's indicators a list covers
 * (ermes_indicator_set_suppress, reporting each to cb with its list; forced indicators are
 * left alone) and returns 0 or an error. Called at each rebuild, with the stored indicators;
 * NULL (the default): none. The suppressed are not matched, and ermes__sightings_warninglist
 * names their list. */
typedef int (*ermes__sightings_wl_fn)(void *ctx, ermes_indicator_set_t *set,
                                      const unsigned char *skip, ermes_suppressed_cb cb,
                                      void *cb_ctx);
/* generation: a number that changes whenever the lists in force change (a reload, a switch):
 * the engine checks only the indicators it did not check at that generation (skip). */
typedef uint64_t (*ermes__sightings_wl_gen_fn)(void *ctx);
void ermes__sightings_set_warninglists(ermes__sightings_t *e, ermes__sightings_wl_fn apply,
                                       ermes__sightings_wl_gen_fn generation, void *ctx);
/* The name of the warninglist that keeps stored indicator id out of the current matcher into
 * name (cap bytes); 0 when one does, ERMES_ENOTFOUND when none (or no matcher yet). */
int ermes__sightings_warninglist(ermes__sightings_t *e, int64_t id, char *name, size_t cap);

/* The slot holding the current matcher (for scanners' ermes_scanner_refresh). */
ermes_matcher_slot_t *ermes__sightings_slot(ermes__sightings_t *e);

/* Counters for /metrics and tests: how many indicators the current matcher holds and how many
 * times it was built. */
void ermes__sightings_stats(ermes__sightings_t *e, size_t *indicators, uint64_t *builds);

/* ---- scanning and recording (scan.c) ------------------------------------------------------ */

typedef struct ermes__scan_options {
    const char *source; /* the log's name for sightings; NULL: the reader's */
    const char *sensor; /* the sensor; NULL: the record's own (EVE host, Zeek path) */
    int record;         /* store the sightings (else only count) */
    uint64_t max_bytes; /* stop with ERMES_ETOOBIG past this many decompressed bytes; 0: none */
} ermes__scan_options_t;

#define ERMES_SCAN_REASONS 16

typedef struct ermes__scan_report {
    uint64_t records;    /* records read */
    uint64_t matched;    /* records with at least one hit */
    uint64_t hits;       /* (indicator, field) hits */
    uint64_t sightings;  /* sightings newly stored */
    uint64_t duplicates; /* hits already stored before (the same log posted again) */
    uint64_t gone;       /* hits on an indicator deleted meanwhile */
    uint64_t allowed;    /* hits on a value of the allow-list (triaged false positive) */
    uint64_t skipped;    /* malformed records */
    struct {
        char reason[40];
        uint64_t count;
    } reasons[ERMES_SCAN_REASONS]; /* skipped records by reason */
    size_t nreasons;
    long first_skip_line;
    char first_skip_reason[256];
} ermes__scan_report_t;

/* Called for each record with hits (after they are recorded); may be NULL. */
typedef void (*ermes__scan_hit_cb)(void *ctx, const ermes_matcher_t *m,
                                   const ermes_log_record_t *rec, const ermes_hit_t *hits, size_t n,
                                   const char *internal_ip, size_t internal_len,
                                   const ermes_owner_t *owner);

/* Records the hits of one record as sightings (o->record) and counts them in rep. m is the
 * matcher the hits come from; owners (may be NULL) attributes them. */
int ermes__sightings_record(ermes__store_t *st, const ermes_ownership_t *owners,
                            const ermes_matcher_t *m, const ermes_log_record_t *rec,
                            const ermes_hit_t *hits, size_t n, const ermes__scan_options_t *o,
                            ermes__scan_report_t *rep, ermes__scan_hit_cb cb, void *ctx);

/* The internal side of rec (scan.c): the endpoint a constituent owns (owners, may be NULL)
 * that did not itself match an IP indicator among hits[0..nhits); without one, a private
 * address; else the endpoint that did not match. *ip and *len point into rec (NULL, 0: none);
 * *owner is the owner found (rule ERMES_OWNER_NONE: none). The sightings stored and what
 * `ermes match` prints both come from here. */
void ermes__sightings_internal_side(const ermes_ownership_t *owners, const ermes_log_record_t *rec,
                                    const ermes_hit_t *hits, size_t nhits, const char **ip,
                                    size_t *len, ermes_owner_t *owner);

/* Records one hit delivered by the tailer or a retro-hunt (h borrowed) as a sighting named
 * h->source at h->line and h->offset, attributed like the hits of ermes__sightings_record (owners
 * may be NULL). sensor: NULL for the record's own. Outside a transaction each sighting commits
 * alone; a hit stored before (a line delivered again after a crash) is counted in
 * rep->duplicates and changes nothing. Returns 0 (also when the indicator was deleted
 * meanwhile: rep->gone) or a store error. */
int ermes__sightings_record_hit(ermes__store_t *st, const ermes_ownership_t *owners,
                                const ermes_detect_hit_t *h, const char *sensor,
                                ermes__scan_report_t *rep);

/* Reads every record of r, matches it with the scanner (refreshed from slot, when not NULL,
 * as the scan goes) and records the hits, committing in batches. Malformed records are
 * counted by reason in rep and skipped. Returns 0, ERMES_ETOOBIG (past o->max_bytes),
 * ERMES_EIO (the log cannot be read on; reason in d) or a store error. */
int ermes__sightings_scan(ermes__store_t *st, const ermes_ownership_t *owners,
                          ermes_scanner_t *scanner, ermes_matcher_slot_t *slot,
                          ermes_log_reader_t *r, const ermes__scan_options_t *o,
                          ermes__scan_report_t *rep, ermes__scan_hit_cb cb, void *ctx,
                          ermes_diag_t *d);

/* ---- the daemon's followed logs (follow.c) ------------------------------------------------ */

typedef struct ermes__follow ermes__follow_t;

/* Follows the logs of spec (the detect_logs setting, "FORMAT:PATH,...") with the current
 * matcher of engine, positions kept in state_dir (created), recording every hit as a sighting
 * attributed through reg's ownership index. st, reg and engine are borrowed and outlive it.
 * Nothing is read before ermes__follow_start. Caller frees with ermes__follow_free() (which
 * stops the thread, positions saved). Returns 0, ERMES_EINVAL (a bad spec, reason in d),
 * ERMES_EIO (state_dir, reason in d) or ERMES_ENOMEM. */
int ermes__follow_new(ermes__store_t *st, ermes__registry_t *reg, ermes__sightings_t *engine,
                      const char *spec, const char *state_dir, ermes__follow_t **out,
                      ermes_diag_t *d);
int ermes__follow_start(ermes__follow_t *f);
void ermes__follow_stats(ermes__follow_t *f, ermes_tail_stats_t *out);
void ermes__follow_free(ermes__follow_t *f);

/* ---- the daemon's retro-hunt (hunter.c) --------------------------------------------------- */

typedef struct ermes__hunter ermes__hunter_t;

/* The hunter of archive (the detect_archive setting): runs the store's queued retro-hunt jobs
 * one at a time and queues one itself whenever indicators are added past those hunted for.
 * st and reg are borrowed and outlive it. Returns 0, ERMES_EINVAL or ERMES_ENOMEM. */
int ermes__hunter_new(ermes__store_t *st, ermes__registry_t *reg, const char *archive,
                      ermes__hunter_t **out);
/* Marks jobs a previous daemon left running failed ("interrupted") and queues them again,
 * then starts the threads. */
int ermes__hunter_start(ermes__hunter_t *h);
/* A job was queued or a cancel asked for: look now rather than within a second. */
void ermes__hunter_kick(ermes__hunter_t *h);
/* Stops the threads; a job under way is interrupted and queued again. */
void ermes__hunter_stop(ermes__hunter_t *h);
void ermes__hunter_free(ermes__hunter_t *h);

/* Queues a retro-hunt of archive for the indicators ids[0..nids) or, ids NULL, for every
 * active indicator (those stored now), on behalf of requested_by. *id: the job. */
int ermes__retrohunt_queue(ermes__store_t *st, const char *archive, const int64_t *ids, size_t nids,
                           const char *requested_by, int64_t *id);

#endif
