/* Retention of events and reports: the cut-off from retention_days, the store's deletion
 * (src/store/retention.c), and the audit record of what went. */
#include "intake/retention.h"

#include <stdio.h>

#include "access/access.h"
#include "core/log.h"

#define DAY_MS ((int64_t)86400 * 1000)

int ermes__retention_run(ermes__store_t *st, const char *data_dir, long days, int64_t now_ms,
                         int dry_run, int64_t max_events, const ermes__viewer_t *v,
                         ermes__retention_stats_t *out)
{
    char detail[320];
    int rc;

    if (days <= 0)
        return ERMES_EINVAL;
    rc = ermes__store_retention_run(st, data_dir, now_ms - (int64_t)days * DAY_MS, now_ms, dry_run,
                                    max_events, out);
    if (dry_run || (!out->events && !out->reports))
        return rc;
    /* One record per run, with its counts: not one per event. */
    snprintf(detail, sizeof(detail),
             "{\"retention_days\":%ld,\"events\":%lld,\"events_kept\":%lld,\"reports\":%lld,"
             "\"quarantined\":%lld,\"files\":%lld,\"partitions\":%lld}",
             days, (long long)out->events, (long long)out->events_kept, (long long)out->reports,
             (long long)out->quarantined, (long long)out->files, (long long)out->partitions);
    ermes__audit_write(st, v, "expire", "retention", NULL, detail);
    ermes__log(ERMES_LOG_NOTICE,
               "retention (%ld days): %lld event(s) deleted (%lld partition(s) dropped), %lld "
               "kept for incidents, %lld report(s) expired",
               days, (long long)out->events, (long long)out->partitions,
               (long long)out->events_kept, (long long)out->reports);
    return rc;
}
