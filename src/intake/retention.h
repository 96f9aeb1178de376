/* Retention of events and reports (retention.c): what the daemon runs every hour and
 * `ermes retention` on demand. */
#ifndef ERMES_INTAKE_RETENTION_H
#define ERMES_INTAKE_RETENTION_H

#include <stdint.h>

#include "model/user.h"
#include "store/store.h"

/* Deletes what retention_days (days > 0) says is past keeping at now_ms (see
 * src/store/retention.c for what goes and what stays), at most about max_events events per
 * call (0: all; out->more says more wait). A run that deleted anything is audited as v
 * (action "expire", object "retention", the counts as detail). dry_run: counts only, nothing
 * written. */
int ermes__retention_run(ermes__store_t *st, const char *data_dir, long days, int64_t now_ms,
                         int dry_run, int64_t max_events, const ermes__viewer_t *v,
                         ermes__retention_stats_t *out);

#endif
