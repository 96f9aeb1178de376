/* The spool directory: a drop box the daemon watches. A file that appears in SPOOL/<feed>/
 * becomes a report of that feed, made durable like an upload, then removed from the spool.
 * Writers write elsewhere (or under a name starting with '.' or ending in .tmp or .part) and
 * rename the finished file in. Options for the feed's parser come from SPOOL/<feed>/.options
 * (one key=value a line, as `ermes ingest --option`).
 *
 * Taking a file, in an order where a crash at any point neither loses nor duplicates it:
 *   1. rename FEED/NAME to FEED/.taking/TOKEN.NAME (the claim: atomic, invisible to the scan);
 *   2. hash it, link (or copy) it into the reports store, and record the report together with
 *      TOKEN in one transaction (the acknowledgement);
 *   3. remove FEED/.taking/TOKEN.NAME.
 * A file found in .taking/ at the next scan was claimed by a run that stopped: if its TOKEN is
 * recorded the report exists and the file is only removed, else it is taken again from 2.
 * Several daemons may watch one spool directory (on one machine, or shared): the rename gives
 * a file to one of them, and TOKEN begins with the claimer's instance id (16 hex digits,
 * src/store/lease.c), so a file in .taking/ is taken over only once its claimer is gone (not
 * seen for a lease time, or its process on this machine no longer exists).
 * A file that cannot be taken moves to FEED/.failed/NAME with FEED/.failed/NAME.reason beside
 * it (the reason is written first) and a log line. */
#ifndef ERMES_INTAKE_SPOOLDIR_H
#define ERMES_INTAKE_SPOOLDIR_H

#include <stddef.h>

#include "intake/intake.h"

typedef struct ermes__spooldir ermes__spooldir_t;

/* dir: the spool directory (created if missing, not its parents). st, in: borrowed. v: the
 * viewer the reports are received as (copied; its user_name borrowed). rescan_s: seconds
 * between full scans when inotify says nothing. */
int ermes__spooldir_new(ermes__store_t *st, ermes__intake_t *in, const ermes__viewer_t *v,
                        const char *dir, long rescan_s, ermes__spooldir_t **out);
void ermes__spooldir_free(ermes__spooldir_t *sd);

/* One pass over the spool: recovers claims, takes what is ready. *taken counts the reports
 * made, *failed the files moved to .failed, *deferred files too young to take yet (written
 * in place, perhaps still being written). Any may be NULL. */
int ermes__spooldir_scan(ermes__spooldir_t *sd, size_t *taken, size_t *failed, size_t *deferred);

/* The daemon's thread: scans at start, on inotify events and every rescan_s seconds. stop
 * returns within a scan's current file (the thread polls its stop pipe). */
int ermes__spooldir_start(ermes__spooldir_t *sd);
void ermes__spooldir_stop(ermes__spooldir_t *sd);

/* The ignore rule for names: 1 when a file of this name is not (yet) for the spool. */
int ermes__spool_name_ignored(const char *name);

#endif
