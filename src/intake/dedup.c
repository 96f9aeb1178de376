/* Deduplication: the keys of the events seen within the window, held in memory.
 *
 * The store keeps an append-only log of keys with the time they were first seen (a row per
 * transaction of new keys, dedup_batches); this set mirrors the part of it inside the window. Every
 * check happens inside the pipeline's write transaction, and a write transaction first reads the
 * log rows written since the set last looked (by another process: the CLI and the daemon share the
 * database), so the set is exact whichever process wrote. The keys new to the window are appended
 * to the log as one row, flushed by the intake before it commits the transaction that stores their
 * events; if that transaction rolls back, the set forgets everything and is read again. Looking a
 * key up is one probe of an open-addressing table (the keys are hashes already, so their first
 * bytes are the slot), where a B-tree index in the database costs a page walk and a
 * random page write per event. */

#include "intake/dedup.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store.h"

typedef struct slot {
    uint8_t key[16];
    int64_t first_seen; /* 0: empty */
} slot_t;

struct ermes__dedup {
    slot_t *slots;
    size_t cap; /* a power of two */
    size_t used;
    int64_t last_log;   /* the last one-key log row the set has seen (before migration 11) */
    int64_t last_batch; /* the last batch of keys the set has seen */
    int64_t keep_from;  /* keys first seen before it are not held */
    int loaded;
    /* Keys new in this transaction, not yet in the store's log: one batch row at flush. */
    uint8_t *pending;
    size_t npending, cap_pending;
    int64_t pending_seen;
    uint8_t secret[16]; /* the hash's key, from the store */
    int has_secret;
};

static uint64_t slot_of(const uint8_t key[16])
{
    uint64_t h;

    memcpy(&h, key, sizeof(h));
    return h;
}

static slot_t *find(slot_t *slots, size_t cap, const uint8_t key[16])
{
    size_t i = (size_t)slot_of(key) & (cap - 1);

    while (slots[i].first_seen && memcmp(slots[i].key, key, 16) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* Doubles the table, or rebuilds it at the same size without what is older than keep_from
 * when that frees enough. */
static int grow(ermes__dedup_t *dd, int64_t keep_from)
{
    size_t live = 0, cap;
    slot_t *ns;

    for (size_t i = 0; i < dd->cap; i++)
        live += dd->slots[i].first_seen && dd->slots[i].first_seen >= keep_from;
    cap = dd->cap ? dd->cap : 1024;
    while (live * 2 >= cap)
        cap *= 2;
    if (!(ns = ermes__calloc(cap, sizeof(*ns))))
        return ERMES_ENOMEM;
    for (size_t i = 0; i < dd->cap; i++) {
        if (dd->slots[i].first_seen >= keep_from && dd->slots[i].first_seen)
            *find(ns, cap, dd->slots[i].key) = dd->slots[i];
    }
    ermes__free(dd->slots);
    dd->slots = ns;
    dd->cap = cap;
    dd->used = live;
    return 0;
}

static int put(ermes__dedup_t *dd, const uint8_t key[16], int64_t first_seen)
{
    slot_t *s;
    int rc;

    if ((dd->used + 1) * 4 >= dd->cap * 3 && (rc = grow(dd, dd->keep_from)))
        return rc;
    s = find(dd->slots, dd->cap, key);
    if (!s->first_seen) {
        memcpy(s->key, key, 16);
        dd->used++;
    }
    /* Rows of reports processed out of order may carry an older time: the newest wins. */
    if (first_seen > s->first_seen)
        s->first_seen = first_seen;
    return 0;
}

int ermes__dedup_new(ermes__dedup_t **out)
{
    ermes__dedup_t *dd = ermes__calloc(1, sizeof(*dd));

    *out = dd;
    return dd ? 0 : ERMES_ENOMEM;
}

void ermes__dedup_free(ermes__dedup_t *dd)
{
    if (!dd)
        return;
    ermes__free(dd->slots);
    ermes__free(dd->pending);
    ermes__free(dd);
}

void ermes__dedup_forget(ermes__dedup_t *dd)
{
    ermes__free(dd->slots);
    dd->slots = NULL;
    dd->cap = dd->used = 0;
    dd->last_log = dd->last_batch = 0;
    dd->npending = 0;
    dd->loaded = 0;
    dd->has_secret = 0; /* a rollback may have undone the one this process made */
}

struct sync_ctx {
    ermes__dedup_t *dd;
    int rc;
};

static int on_keys(void *ctx, const uint8_t *keys, size_t nkeys, int64_t first_seen)
{
    struct sync_ctx *c = ctx;

    if (first_seen < c->dd->keep_from)
        return 0;
    for (size_t k = 0; k < nkeys; k++) {
        if ((c->rc = put(c->dd, keys + 16 * k, first_seen)))
            return c->rc;
    }
    return 0;
}

int ermes__dedup_sync(ermes__dedup_t *dd, ermes__store_t *st, int64_t keep_from)
{
    struct sync_ctx c = {dd, 0};
    int rc;

    /* A report older than the set's reach (a backlog) needs keys the set let go: read the
     * log again from its start. A newer one lets older keys go when the table next grows. */
    if (dd->loaded && keep_from < dd->keep_from)
        ermes__dedup_forget(dd);
    dd->keep_from = keep_from;
    dd->npending = 0;
    if (!dd->cap && (rc = grow(dd, keep_from)))
        return rc;
    if (!dd->has_secret) {
        if ((rc = ermes__store_dedup_secret(st, dd->secret)))
            return rc;
        dd->has_secret = 1;
    }
    rc = ermes__store_dedup_since(st, &dd->last_log, &dd->last_batch, on_keys, &c);
    if (rc || c.rc) {
        ermes__dedup_forget(dd);
        return rc ? rc : c.rc;
    }
    dd->loaded = 1;
    return 0;
}

int ermes__dedup_hash(const ermes__dedup_t *dd, const void *bytes, size_t n, uint8_t key[16])
{
    if (!dd->has_secret)
        return ERMES_EINVAL; /* ermes__dedup_sync first */
    crypto_shorthash_siphashx24(key, bytes, n, dd->secret);
    return 0;
}

int ermes__dedup_flush(ermes__dedup_t *dd, ermes__store_t *st)
{
    int64_t id;
    int rc;

    if (!dd->npending)
        return 0;
    if ((rc = ermes__store_dedup_append(st, dd->pending, dd->npending, dd->pending_seen, &id)))
        return rc;
    dd->npending = 0;
    /* Our own batch: the next sync need not read it back. */
    if (id > dd->last_batch)
        dd->last_batch = id;
    return 0;
}

int ermes__dedup_check(ermes__dedup_t *dd, ermes__store_t *st, const uint8_t key[16],
                       int64_t window_start, int64_t now, int *dup)
{
    slot_t *s;
    int rc;

    *dup = 0;
    if (!dd->loaded)
        return ERMES_EINVAL; /* ermes__dedup_sync first, in the transaction */
    if (dd->cap) {
        s = find(dd->slots, dd->cap, key);
        /* Like IntelMQ's deduplicator, the window runs from the first sighting: a repeat
         * inside it is a duplicate and does not extend it; after it, the value is new. */
        if (s->first_seen && s->first_seen >= window_start) {
            *dup = 1;
            return 0;
        }
    }
    /* A batch holds keys first seen at one time. */
    if (dd->npending && dd->pending_seen != now && (rc = ermes__dedup_flush(dd, st)))
        return rc;
    if (dd->npending == dd->cap_pending) {
        size_t cap = dd->cap_pending ? dd->cap_pending * 2 : 1024;
        uint8_t *p = ermes__reallocarray(dd->pending, cap, 16);
        if (!p)
            return ERMES_ENOMEM;
        dd->pending = p;
        dd->cap_pending = cap;
    }
    if ((rc = put(dd, key, now)))
        return rc;
    memcpy(dd->pending + 16 * dd->npending++, key, 16);
    dd->pending_seen = now;
    return 0;
}

size_t ermes__dedup_size(const ermes__dedup_t *dd)
{
    return dd->used;
}
