/* The daemon's matcher of the active stored indicators: built on first use, rebuilt when the
 * store's indicator counter moves (any process changed an indicator) or a validity bound
 * passes, and swapped into the slot atomically. One thread rebuilds at a time; the others go
 * on matching with the matcher in the slot meanwhile. */
#include "sightings/sightings.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* The warninglists applied at each rebuild (ermes__sightings_set_warninglists), and what
     * they kept out of the current matcher: by stored id, under wl_lock. */
    ermes__sightings_wl_fn wl_apply;
    ermes__sightings_wl_gen_fn wl_generation;
    void *wl_ctx;
    pthread_mutex_t wl_lock;
    struct suppressed *suppressed;
    size_t nsuppressed;
    /* The stored ids checked against the lists of generation checked_gen (sorted; only the
     * rebuilding thread touches them): a rebuild checks the others only. */
    int64_t *checked;
    size_t nchecked;
    uint64_t checked_gen;
};

/* A stored indicator a warninglist keeps out of the matcher. */
struct suppressed {
    int64_t id;
    char list[128];
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
    pthread_mutex_init(&e->wl_lock, NULL);
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
    pthread_mutex_destroy(&e->wl_lock);
    ermes__free(e->suppressed);
    ermes__free(e->checked);
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

void ermes__sightings_set_warninglists(ermes__sightings_t *e, ermes__sightings_wl_fn apply,
                                       ermes__sightings_wl_gen_fn generation, void *ctx)
{
    e->wl_apply = apply;
    e->wl_generation = generation;
    e->wl_ctx = ctx;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_suppressed(const void *a, const void *b)
{
    const struct suppressed *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

int ermes__sightings_warninglist(ermes__sightings_t *e, int64_t id, char *name, size_t cap)
{
    struct suppressed key, *hit;
    int rc = ERMES_ENOTFOUND;

    key.id = id;
    pthread_mutex_lock(&e->wl_lock);
    hit = e->nsuppressed ? bsearch(&key, e->suppressed, e->nsuppressed, sizeof(key), cmp_suppressed)
                         : NULL;
    if (hit) {
        snprintf(name, cap, "%s", hit->list);
        rc = 0;
    }
    pthread_mutex_unlock(&e->wl_lock);
    return rc;
}

/* What a rebuild's warninglists kept out, by the set's index (ids: the stored id of each). */
struct wl_collect {
    const int64_t *ids;
    size_t nids;
    struct suppressed *v;
    size_t n, cap;
    int rc;
};

static void suppressed_cb(void *ctx, uint32_t index, const ermes_warninglist_t *wl)
{
    struct wl_collect *c = ctx;

    if (c->rc || index >= c->nids)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct suppressed *grown = ermes__reallocarray(c->v, cap, sizeof(*grown));
        if (!grown) {
            c->rc = ERMES_ENOMEM;
            return;
        }
        c->v = grown;
        c->cap = cap;
    }
    c->v[c->n].id = c->ids[index];
    snprintf(c->v[c->n].list, sizeof(c->v[c->n].list), "%s", ermes_warninglist_name(wl));
    c->n++;
}

static int rebuild(ermes__sightings_t *e, int64_t version, int64_t now)
{
    ermes_indicator_set_t *set = NULL;
    ermes_matcher_t *m = NULL;
    struct wl_collect wc;
    int64_t next = 0, *ids = NULL, *checked = NULL;
    size_t n = 0, nids = 0, nchecked = 0;
    uint64_t checked_gen = 0;
    unsigned char *skip = NULL;
    int rc;

    memset(&wc, 0, sizeof(wc));
    if ((rc = ermes_indicator_set_new(&set)))
        return rc;
    /* The version was read before the rows: a change landing in between makes the next
     * refresh rebuild again, never miss it. */
    if ((rc = ermes__store_indicator_next_change(e->store, now, &next)) ||
        (rc = ermes__indicators_from_store_ids(e->store, now, set, &n, &ids, &nids)))
        goto out;
    /* The warninglists in force keep what they cover out, as an import does (a start and a
     * reload of the lists alike); forced indicators stay. */
    if (e->wl_apply) {
        size_t count = ermes_indicator_set_count(set);
        uint64_t gen = e->wl_generation ? e->wl_generation(e->wl_ctx) : 0;
        /* Checking every stored indicator against every list costs seconds for tens of
         * thousands: those checked at this generation of the lists and not kept out then are
         * skipped (an indicator's value never changes); the ones kept out are checked again. */
        if (count && !(skip = ermes__calloc(count, 1))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        for (size_t i = 0; gen == e->checked_gen && i < count && i < nids; i++) {
            struct suppressed key;
            key.id = ids[i];
            skip[i] = e->nchecked &&
                      bsearch(&ids[i], e->checked, e->nchecked, sizeof(int64_t), cmp_id) &&
                      !(e->nsuppressed &&
                        bsearch(&key, e->suppressed, e->nsuppressed, sizeof(key), cmp_suppressed));
        }
        wc.ids = ids;
        wc.nids = nids;
        if ((rc = e->wl_apply(e->wl_ctx, set, skip, suppressed_cb, &wc)) || (rc = wc.rc))
            goto out;
        if (wc.n)
            qsort(wc.v, wc.n, sizeof(*wc.v), cmp_suppressed);
        if (!(checked = ermes__calloc(count ? count : 1, sizeof(*checked)))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < count && i < nids; i++)
            checked[nchecked++] = ids[i];
        qsort(checked, nchecked, sizeof(*checked), cmp_id);
        checked_gen = gen;
    }
    if ((rc = ermes_matcher_build(set, now, &m)))
        goto out;
    ermes_matcher_slot_swap(e->slot, m);
    pthread_mutex_lock(&e->wl_lock);
    ermes__free(e->suppressed);
    e->suppressed = wc.v;
    e->nsuppressed = wc.n;
    wc.v = NULL;
    pthread_mutex_unlock(&e->wl_lock);
    if (checked) {
        ermes__free(e->checked);
        e->checked = checked;
        e->nchecked = nchecked;
        e->checked_gen = checked_gen;
        checked = NULL;
    }
    if (wc.n)
        ermes__log(ERMES_LOG_INFO,
                   "indicator matcher: %zu stored indicators on a warninglist"
                   " left out",
                   wc.n);
    atomic_store(&e->indicators, n);
    atomic_store(&e->next_change, next);
    atomic_store(&e->version, version);
    atomic_fetch_add(&e->builds, 1);
    ermes__log(ERMES_LOG_INFO, "indicator matcher rebuilt: %zu active indicators (version %lld)", n,
               (long long)version);
out:
    ermes__free(wc.v);
    ermes__free(ids);
    ermes__free(skip);
    ermes__free(checked);
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
