/* The daemon's scheduled sync of vulnerability intelligence (vuln_sync.c): every
 * vuln_sync_interval seconds each source of vuln_sources (KIND=URL) is fetched and imported as
 * `ermes vulns sync` does, with its warnings, by one daemon of several (the lease
 * "vuln-sync"); each source's run is recorded (store/vuln_sync.c) and logged. A hook for other
 * work on the same schedule belongs here too. */
#ifndef ERMES_DAEMON_VULN_SYNC_H
#define ERMES_DAEMON_VULN_SYNC_H

#include "core/config.h"
#include "notify/notify.h"
#include "store/store.h"

typedef struct ermes__vuln_sync ermes__vuln_sync_t;

/* Runs once each source of sources (the vuln_sources text) whose last run is interval_ms or
 * more before now (or never ran), stopping early when *stop is set; *ran gets how many ran.
 * o (borrowed) sends the warnings. A source that fails is recorded with its error and the
 * others go on; returns 0, or ERMES_EINVAL for a sources text that cannot be read. */
int ermes__vuln_sync_round(ermes__store_t *st, const char *sources, int64_t interval_ms,
                           const ermes__notify_options_t *o, const int *stop, int64_t now,
                           int *ran);

/* Starts the thread (nothing, *out NULL, when cfg->vuln_sync_interval is 0 or no source is
 * set). st, cfg and o are borrowed until ermes__vuln_sync_stop. */
int ermes__vuln_sync_start(ermes__store_t *st, const ermes__config_t *cfg,
                           const ermes__notify_options_t *o, ermes__vuln_sync_t **out);
/* Stops it (a fetch under way ends at its time limit); NULL is a no-op. */
void ermes__vuln_sync_stop(ermes__vuln_sync_t *s);

#endif
