/* The daemon's matcher of the active stored indicators: built on first use, rebuilt when the
 * store's indicator counter moves (any process changed an indicator) or a validity bound
 * passes, and swapped into the slot atomically. One thread rebuilds at a time; the others go
 * on matching with the matcher in the slot meanwhile. */
#include "sightings/sightings.h"

#include <pthread.h>
#include <stdatomic.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"

struct ermes__sightings {
    ermes__store_t *store;
    ermes_matcher_slot_t *slot;
    pthread_mutex_t rebuild;
    _Atomic int64_t version;     /* the counter the current matcher was built at; -1: none */
    _Atomic int64_t next_change; /* when a validity bound passes (ms); 0: none ahead */
    _Atomic size_t indicators;
    _Atomic uint64_t builds;
};

int ermes__sightings_new(ermes__store_t *st, ermes__sightings_t **out)
{
    ermes__sightings_t *e = ermes__calloc(1, sizeof(*e));
    int rc;

    if (!e)
        return ERMES_ENOMEM;
    e->store = st;
    atomic_init(&e->version, -1);
    atomic_init(&e->next_change, 0);
    atomic_init(&e->indicators, 0);
    atomic_init(&e->builds, 0);
    pthread_mutex_init(&e->rebuild, NULL);
    if ((rc = ermes_matcher_slot_new(NULL, &e->slot))) {
        ermes__sightings_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void ermes__sightings_free(ermes__sightings_t *e)
{
    if (!e)
        return;
    ermes_matcher_slot_free(e->slot);
    pthread_mutex_destroy(&e->rebuild);
    ermes__free(e);
}

ermes_matcher_slot_t *ermes__sightings_slot(ermes__sightings_t *e)
{
    return e->slot;
}

void ermes__sightings_stats(ermes__sightings_t *e, size_t *indicators, uint64_t *builds)
{
    if (indicators)
        *indicators = atomic_load(&e->indicators);
    if (builds)
        *builds = atomic_load(&e->builds);
}

static int rebuild(ermes__sightings_t *e, int64_t version, int64_t now)
{
    ermes_indicator_set_t *set = NULL;
    ermes_matcher_t *m = NULL;
    int64_t next = 0;
    size_t n = 0;
    int rc;

    if ((rc = ermes_indicator_set_new(&set)))
        return rc;
    /* The version was read before the rows: a change landing in between makes the next
     * refresh rebuild again, never miss it. */
    if ((rc = ermes__store_indicator_next_change(e->store, now, &next)) ||
        (rc = ermes__indicators_from_store(e->store, now, set, &n)) ||
        (rc = ermes_matcher_build(set, now, &m)))
        goto out;
    ermes_matcher_slot_swap(e->slot, m);
    atomic_store(&e->indicators, n);
    atomic_store(&e->next_change, next);
    atomic_store(&e->version, version);
    atomic_fetch_add(&e->builds, 1);
    ermes__log(ERMES_LOG_INFO, "indicator matcher rebuilt: %zu active indicators (version %lld)", n,
               (long long)version);
out:
    ermes_matcher_release(m);
    ermes_indicator_set_free(set);
    return rc;
}

int ermes__sightings_refresh(ermes__sightings_t *e, int force)
{
    int64_t version = 0, now = ermes__time_now_ms(), next;
    int rc;

    if ((rc = ermes__store_indicator_version(e->store, &version)))
        return rc;
    next = atomic_load(&e->next_change);
    if (!force && version == atomic_load(&e->version) && (next == 0 || now < next))
        return 0;
    /* Someone else is rebuilding: go on with the matcher there is, if there is one. */
    if (pthread_mutex_trylock(&e->rebuild) != 0) {
        if (atomic_load(&e->version) >= 0)
            return 0;
        pthread_mutex_lock(&e->rebuild);
    }
    next = atomic_load(&e->next_change);
    rc = 0;
    if (force || version != atomic_load(&e->version) || (next && now >= next))
        rc = rebuild(e, version, now);
    pthread_mutex_unlock(&e->rebuild);
    return rc;
}
