/* The daemon's followed logs (detect_logs): the tailer (src/detect/tail.c) reads them as they
 * grow, matches each record against the daemon's matcher of the active stored indicators (the
 * one POST /api/v1/logs uses, taken afresh for every batch of lines, so indicator changes
 * apply at once) and this file's sink records every hit as a sighting through the same code
 * as POST /api/v1/logs. Each sighting commits before the tailer saves its position past the
 * record; after a crash the records since the last saved position are delivered again and the
 * store's uniqueness of sightings (indicator, value, field, log, offset) absorbs them. */
#include "sightings/sightings.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"

struct ermes__follow {
    ermes__store_t *st;
    ermes__registry_t *reg;
    ermes_tail_t *tail;
    ermes_tail_file_t *files;
    size_t nfiles;
    atomic_int failing; /* the store refused the last sighting (logged once until it works) */
};

static int sink_cb(void *ctx, const ermes_detect_hit_t *hit)
{
    ermes__follow_t *f = ctx;
    ermes_ownership_t *owners = f->reg ? ermes__registry_ownership(f->reg) : NULL;
    ermes__scan_report_t rep;
    int rc;

    memset(&rep, 0, sizeof(rep));
    rc = ermes__sightings_record_hit(f->st, owners, hit, NULL, &rep);
    ermes_ownership_release(owners);
    if (rc) {
        /* The tailer keeps the line and delivers it again at its next look. */
        if (!atomic_exchange(&f->failing, 1))
            ermes__log(ERMES_LOG_WARNING, "%s line %ld: cannot record a sighting: %s (retrying)",
                       hit->source, hit->line, ermes_strerror(rc));
        return -1;
    }
    if (atomic_exchange(&f->failing, 0))
        ermes__log(ERMES_LOG_NOTICE, "%s: sightings recorded again", hit->source);
    if (rep.sightings)
        ermes__log(ERMES_LOG_DEBUG, "%s line %ld: sighting in %s", hit->source, hit->line,
                   hit->field);
    return 0;
}

int ermes__follow_new(ermes__store_t *st, ermes__registry_t *reg, ermes__sightings_t *engine,
                      const char *spec, const char *state_dir, ermes__follow_t **out,
                      ermes_diag_t *d)
{
    ermes__follow_t *f;
    ermes_tail_options_t o;
    int rc;

    if (!(f = ermes__calloc(1, sizeof(*f))))
        return ERMES_ENOMEM;
    f->st = st;
    f->reg = reg;
    atomic_init(&f->failing, 0);
    if ((rc = ermes_tail_files_parse(spec, &f->files, &f->nfiles, d)))
        goto fail;
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        ermes_diag_set(d, "detect_logs", "cannot create %s: %s", state_dir, strerror(errno));
        rc = ERMES_EIO;
        goto fail;
    }
    memset(&o, 0, sizeof(o));
    o.state_dir = state_dir;
    /* A log seen for the first time is read from its beginning: what it holds already may be
     * what the indicators are about. */
    o.start_at_end = 0;
    if ((rc = ermes_tail_new(ermes__sightings_slot(engine), f->files, f->nfiles, &o, sink_cb, f,
                             &f->tail, d)))
        goto fail;
    *out = f;
    return 0;
fail:
    ermes__follow_free(f);
    return rc;
}

int ermes__follow_start(ermes__follow_t *f)
{
    return ermes_tail_start(f->tail);
}

void ermes__follow_stats(ermes__follow_t *f, ermes_tail_stats_t *out)
{
    ermes_tail_stats(f->tail, out);
}

void ermes__follow_free(ermes__follow_t *f)
{
    if (!f)
        return;
    ermes_tail_free(f->tail);
    ermes_tail_files_free(f->files, f->nfiles);
    ermes__free(f);
}
