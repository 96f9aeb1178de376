/* The daemon's retro-hunt: when indicators are added, the log archive (detect_archive) is
 * rescanned for those indicators only, and what they match is recorded as sightings.
 *
 * Jobs live in the store's retrohunts table: the API, the CLI and this thread queue them, and
 * this thread runs them one at a time, oldest first. Each round it also looks whether
 * indicators were added past the highest one hunted for (the store's indicator counter moved)
 * and queues a job for those. This thread runs the job (ermes_retro_run; its sink records each
 * hit through the same code as POST /api/v1/logs) while a second one, the monitor, writes the
 * job's progress to its row twice a second and watches for a cancel request there. (Both
 * threads live as long as the hunter: the store keeps a connection per thread.) A daemon
 * that stops with a job running marks it failed ("interrupted") and queues it again.
 *
 * Several daemons may share the database: a running job is leased to the daemon instance that
 * claimed it (src/store/lease.c), renewed by each progress write and by the daemon's
 * heartbeat. Each round, a job whose daemon is gone (killed: its lease ran out, or its process
 * on this machine no longer exists) is failed ("interrupted") and queued again, by whichever
 * daemon looks first, and then run by whichever claims it. Hits recorded before the
 * interruption are recorded again by the new run and absorbed by the sightings' uniqueness. A
 * daemon that finds its job taken over (its progress write refused: it was cut off for longer
 * than a lease) stops it. */
#include "sightings/sightings.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"

#define IDLE_MS 1000    /* the longest sleep between rounds */
#define PROGRESS_MS 500 /* how often a running job's row is written */

struct ermes__hunter {
    ermes__store_t *st;
    ermes__registry_t *reg;
    char *archive;
    pthread_t thread, monitor;
    pthread_mutex_t lock; /* guards stopping, kicked and the monitor's wake-ups */
    pthread_cond_t wake, monitor_wake;
    int started, stopping, kicked;
    int64_t version; /* the indicator counter last looked at; -1: not yet */
    /* The running job, if any. progress_mu is held by the monitor for a whole progress write
     * and by the hunter while it takes the job away, so no progress lands after the end. */
    pthread_mutex_t progress_mu;
    struct hunt_run *current;
};

/* A running job: what its sink, the hunter and the monitor share. */
typedef struct hunt_run {
    ermes__hunter_t *h;
    ermes_retro_t *job;
    ermes__retrohunt_t row;   /* id and indicators; the monitor fills the progress */
    ermes__scan_report_t rep; /* the sink's alone */
    _Atomic uint64_t sightings;
    atomic_int cancel_sent, interrupted;
} hunt_run_t;

int ermes__hunter_new(ermes__store_t *st, ermes__registry_t *reg, const char *archive,
                      ermes__hunter_t **out)
{
    ermes__hunter_t *h;
    pthread_condattr_t attr;

    if (!st || !archive || !*archive)
        return ERMES_EINVAL;
    if (!(h = ermes__calloc(1, sizeof(*h))))
        return ERMES_ENOMEM;
    if (!(h->archive = ermes__strdup(archive))) {
        ermes__free(h);
        return ERMES_ENOMEM;
    }
    h->st = st;
    h->reg = reg;
    h->version = -1;
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->progress_mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&h->wake, &attr);
    pthread_cond_init(&h->monitor_wake, &attr);
    pthread_condattr_destroy(&attr);
    *out = h;
    return 0;
}

void ermes__hunter_kick(ermes__hunter_t *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->kicked = 1;
    pthread_cond_broadcast(&h->wake);
    pthread_mutex_unlock(&h->lock);
}

/* Sleeps on cv up to ms unless stopping (or kicked, kick set). Returns 1 when stopping. */
static int nap(ermes__hunter_t *h, pthread_cond_t *cv, int *kick, long ms)
{
    struct timespec until;
    int stopping;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&h->lock);
    while (!h->stopping && !(kick && *kick))
        if (pthread_cond_timedwait(cv, &h->lock, &until) == ETIMEDOUT)
            break;
    if (kick)
        *kick = 0;
    stopping = h->stopping;
    pthread_mutex_unlock(&h->lock);
    return stopping;
}

static int stopping(ermes__hunter_t *h)
{
    int s;

    pthread_mutex_lock(&h->lock);
    s = h->stopping;
    pthread_mutex_unlock(&h->lock);
    return s;
}

/* ---- a job ---- */

/* Runs in the job's thread: each hit becomes a sighting, committed on its own (a job that
 * stops half-way leaves everything it found recorded). */
static int sink_cb(void *ctx, const ermes_detect_hit_t *hit)
{
    hunt_run_t *run = ctx;
    ermes_ownership_t *owners = run->h->reg ? ermes__registry_ownership(run->h->reg) : NULL;
    uint64_t before = run->rep.sightings;
    int rc = ermes__sightings_record_hit(run->h->st, owners, hit, NULL, &run->rep);

    ermes_ownership_release(owners);
    if (rc) {
        ermes__log(ERMES_LOG_WARNING, "retro-hunt: cannot record a sighting in %s: %s", hit->source,
                   ermes_strerror(rc));
        return -1;
    }
    if (run->rep.sightings != before)
        atomic_fetch_add(&run->sightings, run->rep.sightings - before);
    return 0;
}

typedef struct job_spec {
    int64_t *ids;
    size_t nids;
    int64_t after, through;
    char *archive;
} job_spec_t;

static int spec_cb(void *ctx, const ermes__retrohunt_t *r)
{
    job_spec_t *js = ctx;

    js->after = r->min_indicator_id;
    js->through = r->max_indicator_id;
    if (!(js->archive = ermes__strdup(r->archive ? r->archive : "")))
        return ERMES_ENOMEM;
    if (r->indicator_ids) {
        json_error_t err;
        json_t *a = json_loads(r->indicator_ids, 0, &err), *v;
        size_t k;
        if (!json_is_array(a)) {
            json_decref(a);
            return ERMES_EPARSE;
        }
        js->ids = ermes__calloc(json_array_size(a) + 1, sizeof(*js->ids));
        if (!js->ids) {
            json_decref(a);
            return ERMES_ENOMEM;
        }
        json_array_foreach(a, k, v) if (json_is_integer(v)) js->ids[js->nids++] =
            json_integer_value(v);
        json_decref(a);
    }
    return 0;
}

static void fill_row(ermes__retrohunt_t *r, const ermes_retro_progress_t *p, hunt_run_t *run)
{
    r->state = ERMES_RETRO_RUNNING;
    r->files_total = p->files_total;
    r->files_done = p->files_done;
    r->files_failed = p->files_failed;
    r->bytes_total = p->bytes_total;
    r->bytes_done = p->bytes_done;
    r->bytes_scanned = p->bytes_scanned;
    r->records = p->records;
    r->matches = p->matches;
    r->sightings = atomic_load(&run->sightings);
    r->current_file = p->current;
    r->error = p->error[0] ? p->error : NULL;
}

/* Runs job id (claimed: running) to its end, or until the daemon stops. */
static void run_job(ermes__hunter_t *h, int64_t id)
{
    job_spec_t js;
    ermes_indicator_set_t *set = NULL;
    ermes_matcher_t *m = NULL;
    ermes__retrohunt_t row;
    ermes_retro_progress_t p;
    hunt_run_t *run = NULL;
    size_t nind = 0, n;
    int rc, job_rc;
    char error[300];

    memset(&js, 0, sizeof(js));
    memset(&row, 0, sizeof(row));
    memset(&p, 0, sizeof(p));
    error[0] = '\0';
    row.id = id;
    if ((rc = ermes__store_retrohunt_get(h->st, id, spec_cb, &js))) {
        snprintf(error, sizeof(error), "cannot read the job: %s", ermes_strerror(rc));
        goto fail;
    }
    /* Indicators are taken as they are now: one deleted since the job was queued is not
     * hunted for, one expired neither. */
    if ((rc = ermes_indicator_set_new(&set)) ||
        (rc = ermes__indicators_from_store_job(h->st, 0, js.ids, js.nids, js.after, js.through, set,
                                               &nind)) ||
        (rc = ermes_matcher_build(set, ermes__time_now_ms(), &m))) {
        snprintf(error, sizeof(error), "cannot build the job's matcher: %s", ermes_strerror(rc));
        goto fail;
    }
    row.indicators = (int64_t)nind;
    if (!(run = ermes__calloc(1, sizeof(*run)))) {
        rc = ERMES_ENOMEM;
        snprintf(error, sizeof(error), "%s", ermes_strerror(rc));
        goto fail;
    }
    run->h = h;
    run->row = row;
    atomic_init(&run->sightings, 0);
    atomic_init(&run->cancel_sent, 0);
    atomic_init(&run->interrupted, 0);
    if ((rc = ermes_retro_new(js.archive, m, NULL, sink_cb, run, &run->job))) {
        snprintf(error, sizeof(error), "cannot set up the scan of %s: %s", js.archive,
                 ermes_strerror(rc));
        goto fail;
    }
    ermes__log(ERMES_LOG_NOTICE, "retro-hunt %lld: scanning %s for %zu indicators", (long long)id,
               js.archive, nind);
    pthread_mutex_lock(&h->progress_mu);
    h->current = run;
    pthread_mutex_unlock(&h->progress_mu);
    pthread_mutex_lock(&h->lock);
    if (h->stopping) /* the stop came before the job was there to cancel */
        atomic_store(&run->interrupted, 1);
    pthread_cond_broadcast(&h->monitor_wake);
    pthread_mutex_unlock(&h->lock);
    job_rc = atomic_load(&run->interrupted) ? 0 : ermes_retro_run(run->job);
    pthread_mutex_lock(&h->progress_mu);
    h->current = NULL;
    pthread_mutex_unlock(&h->progress_mu);

    ermes_retro_progress(run->job, &p);
    fill_row(&row, &p, run);
    row.current_file = NULL;
    if (atomic_load(&run->interrupted) && !atomic_load(&run->cancel_sent)) {
        /* Stopped by the daemon's stop, not by anyone's wish: written as far as it got, then
         * failed and queued again. */
        ermes__store_retrohunt_update(h->st, &row);
        if (ermes__store_retrohunt_requeue(h->st, id, "interrupted", &n) == 0)
            ermes__log(ERMES_LOG_NOTICE, "retro-hunt %lld interrupted: queued again",
                       (long long)id);
        goto out;
    }
    if (job_rc) {
        row.state = ERMES_RETRO_FAILED;
        if (!row.error)
            row.error = ermes_strerror(job_rc);
    } else {
        row.state = p.state == ERMES_RETRO_CANCELLED ? ERMES_RETRO_CANCELLED : ERMES_RETRO_DONE;
    }
    if ((rc = ermes__store_retrohunt_update(h->st, &row)) == ERMES_ECONFLICT)
        ermes__log(ERMES_LOG_WARNING,
                   "retro-hunt %lld: another daemon took it over; its end here "
                   "is not recorded",
                   (long long)id);
    else if (rc)
        ermes__log(ERMES_LOG_ERROR, "retro-hunt %lld: cannot record its end: %s", (long long)id,
                   ermes_strerror(rc));
    ermes__log(ERMES_LOG_NOTICE,
               "retro-hunt %lld %s: %llu files, %llu records, %llu matches, %llu new sightings",
               (long long)id, ermes_retro_state_name(row.state), (unsigned long long)row.files_done,
               (unsigned long long)row.records, (unsigned long long)row.matches,
               (unsigned long long)row.sightings);
    goto out;
fail:
    row.state = ERMES_RETRO_FAILED;
    row.error = error;
    ermes__log(ERMES_LOG_ERROR, "retro-hunt %lld failed: %s", (long long)id, error);
    ermes__store_retrohunt_update(h->st, &row);
out:
    if (run)
        ermes_retro_free(run->job);
    ermes__free(run);
    ermes_matcher_release(m);
    ermes_indicator_set_free(set);
    ermes__free(js.ids);
    ermes__free(js.archive);
}

/* The monitor: the running job's progress into its row, and a cancel asked for there passed
 * on to the job. */
static void *monitor_main(void *arg)
{
    ermes__hunter_t *h = arg;
    ermes_retro_progress_t p;

    for (;;) {
        pthread_mutex_lock(&h->progress_mu);
        if (h->current) {
            hunt_run_t *run = h->current;
            ermes__retrohunt_t row = run->row;
            int yes = 0, rc;
            if (!atomic_load(&run->cancel_sent) &&
                ermes__store_retrohunt_cancel_requested(h->st, row.id, &yes) == 0 && yes) {
                atomic_store(&run->cancel_sent, 1);
                ermes_retro_cancel(run->job);
            }
            ermes_retro_progress(run->job, &p);
            fill_row(&row, &p, run);
            rc = ermes__store_retrohunt_update(h->st, &row);
            /* Not ERMES_EBUSY: a database busy for a moment is no reason to stop. */
            if (rc == ERMES_ECONFLICT && !atomic_exchange(&run->interrupted, 1)) {
                ermes__log(ERMES_LOG_WARNING,
                           "retro-hunt %lld: taken over by another daemon; stopped here",
                           (long long)row.id);
                ermes_retro_cancel(run->job);
            } else if (rc && rc != ERMES_ECONFLICT) {
                ermes__log(ERMES_LOG_WARNING, "retro-hunt %lld: cannot write its progress: %s",
                           (long long)row.id, ermes_strerror(rc));
            }
        }
        pthread_mutex_unlock(&h->progress_mu);
        if (nap(h, &h->monitor_wake, NULL, PROGRESS_MS))
            break;
    }
    return NULL;
}

/* Queues a job for indicators added since the last look, when the counter moved. */
static void queue_new(ermes__hunter_t *h)
{
    int64_t version = 0, id = 0;
    int rc;

    if ((rc = ermes__store_indicator_version(h->st, &version)))
        return;
    if (version == h->version)
        return;
    if ((rc = ermes__store_retrohunt_add_new(h->st, h->archive, "auto", &id))) {
        ermes__log(ERMES_LOG_WARNING, "retro-hunt: cannot queue a job for new indicators: %s",
                   ermes_strerror(rc));
        return;
    }
    h->version = version;
    if (id)
        ermes__log(ERMES_LOG_INFO, "retro-hunt %lld queued for new indicators", (long long)id);
}

static void *hunter_main(void *arg)
{
    ermes__hunter_t *h = arg;

    while (!stopping(h)) {
        int64_t id = 0;
        size_t n = 0;
        int rc;
        /* Jobs of daemons that are gone: queued again, for this one or another to run. */
        if (ermes__store_retrohunt_recover(h->st, "interrupted", &n) == 0 && n)
            ermes__log(ERMES_LOG_NOTICE, "%zu interrupted retro-hunt(s) queued again", n);
        queue_new(h);
        rc = ermes__store_retrohunt_claim(h->st, &id);
        if (rc == 0) {
            run_job(h, id);
            continue;
        }
        if (rc != ERMES_ENOTFOUND)
            ermes__log(ERMES_LOG_WARNING, "retro-hunt: cannot take the next job: %s",
                       ermes_strerror(rc));
        if (nap(h, &h->wake, &h->kicked, IDLE_MS))
            break;
    }
    return NULL;
}

int ermes__hunter_start(ermes__hunter_t *h)
{
    size_t n = 0;
    int rc;

    if (h->started)
        return ERMES_EINVAL;
    /* A job left running by a daemon that died: failed, and queued again (a job another
     * live daemon runs is left to it). */
    if ((rc = ermes__store_retrohunt_recover(h->st, "interrupted", &n)))
        return rc;
    if (n)
        ermes__log(ERMES_LOG_NOTICE, "%zu interrupted retro-hunt(s) queued again", n);
    if (pthread_create(&h->monitor, NULL, monitor_main, h) != 0)
        return ERMES_ENOMEM;
    if (pthread_create(&h->thread, NULL, hunter_main, h) != 0) {
        pthread_mutex_lock(&h->lock);
        h->stopping = 1;
        pthread_cond_broadcast(&h->monitor_wake);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->monitor, NULL);
        return ERMES_ENOMEM;
    }
    h->started = 1;
    return 0;
}

void ermes__hunter_stop(ermes__hunter_t *h)
{
    if (!h || !h->started)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = 1;
    pthread_cond_broadcast(&h->wake);
    pthread_cond_broadcast(&h->monitor_wake);
    pthread_mutex_unlock(&h->lock);
    /* A job under way stops within one buffer's worth of work and is queued again. */
    pthread_mutex_lock(&h->progress_mu);
    if (h->current) {
        atomic_store(&h->current->interrupted, 1);
        ermes_retro_cancel(h->current->job);
    }
    pthread_mutex_unlock(&h->progress_mu);
    pthread_join(h->thread, NULL);
    pthread_join(h->monitor, NULL);
    h->started = 0;
}

void ermes__hunter_free(ermes__hunter_t *h)
{
    if (!h)
        return;
    ermes__hunter_stop(h);
    pthread_cond_destroy(&h->wake);
    pthread_cond_destroy(&h->monitor_wake);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->progress_mu);
    ermes__free(h->archive);
    ermes__free(h);
}

int ermes__retrohunt_queue(ermes__store_t *st, const char *archive, const int64_t *ids, size_t nids,
                           const char *requested_by, int64_t *id)
{
    ermes__retrohunt_t r;
    json_t *a = NULL;
    char *text = NULL;
    int64_t hunted = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    r.archive = archive;
    r.requested_by = requested_by;
    if (ids) {
        if (!(a = json_array()))
            return ERMES_ENOMEM;
        for (size_t i = 0; i < nids; i++)
            if (json_array_append_new(a, json_integer((json_int_t)ids[i]))) {
                json_decref(a);
                return ERMES_ENOMEM;
            }
        text = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        if (!text)
            return ERMES_ENOMEM;
        r.indicator_ids = text;
    } else if ((rc = ermes__store_retrohunt_hunted(st, &hunted, &r.max_indicator_id))) {
        return rc;
    }
    rc = ermes__store_retrohunt_add(st, &r, id);
    free(text);
    return rc;
}
