/* The rendered-page cache of the TAXII server: the last objects and manifest pages rendered, by
 * key (everything the page's query binds: the collection, the request's filters and cursor, and
 * the masks the TLP policy made of the viewer, so that two viewers whose rights differ never share
 * a page) and by a scope: the sum of the database counters of what the page is made of when it
 * was rendered (h_taxii.c): its objects' ('stix:<id>' of its collection, or 'stix:all' for a
 * collection selecting every object: moved by a write to its objects or to their named
 * recipients), its sharing group's row ('stix:<id>' too) and its viewer's organisation's
 * ('stix:org:<id>': its rights and parent). They move in the transaction of the write, whichever
 * daemon wrote it (schema.c, migrations 64 and 76), only upwards, each move with random low bits:
 * a page is served only while its scope is the one read for the request, so a write into one
 * collection, one group or one organisation leaves the pages of the others served, and a
 * database restored from an older copy never meets the scopes of the pages kept before.
 * Reading the counters is one query of up to three primary-key rows; rendering a page of 1,000
 * objects reads and copies about 550 KB (bench/README.md, taxii-vs-nginx). Bounded in bytes
 * (taxii_page_cache, auto: config.c); memory is taken only as pages are kept, and the least
 * recently used pages go first. A page being sent holds a reference and outlives its
 * eviction. No write drops every collection's pages at once (since migration 76). */
#include "http/page_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/error.h"

/* The hash table starts small and doubles as pages come (a bound of gigabytes holds hundreds of
 * thousands of small pages): its memory too is taken only as pages are kept. */
#define BUCKETS_FIRST 1024u
#define BUCKETS_MAX (1u << 22)
/* What a page costs beyond its bytes (its record and key), counted against the bound. */
#define PAGE_OVERHEAD 256u

typedef struct page {
    ermes__cached_page_t pub; /* first: a reference is a pointer to it */
    atomic_int refs;
    char *buf; /* what is freed */
    uint64_t hash;
    int64_t scope;
    size_t cost;
    unsigned char *key;
    size_t klen;
    struct page *next_in_bucket, *newer, *older;
} page_t;

struct ermes__page_cache {
    pthread_mutex_t lock;
    size_t max, used, count;
    uint64_t hits;
    page_t **buckets;
    size_t nbuckets;
    page_t *newest, *oldest;
};

static uint64_t hash_of(const void *key, size_t n)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

int ermes__page_cache_new(size_t max_bytes, ermes__page_cache_t **out)
{
    ermes__page_cache_t *c = ermes__calloc(1, sizeof(*c));

    if (!c)
        return ERMES_ENOMEM;
    if (!(c->buckets = ermes__calloc(BUCKETS_FIRST, sizeof(*c->buckets)))) {
        ermes__free(c);
        return ERMES_ENOMEM;
    }
    c->nbuckets = BUCKETS_FIRST;
    pthread_mutex_init(&c->lock, NULL);
    c->max = max_bytes;
    *out = c;
    return 0;
}

void ermes__page_cache_release(void *page)
{
    page_t *p = page;

    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    ermes__free(p->buf);
    ermes__free(p->key);
    ermes__free(p);
}

/* Takes p out of the cache (under the lock) and drops the cache's reference. */
static void unlink_page(ermes__page_cache_t *c, page_t *p)
{
    page_t **at = &c->buckets[p->hash % c->nbuckets];

    while (*at && *at != p)
        at = &(*at)->next_in_bucket;
    if (*at)
        *at = p->next_in_bucket;
    if (p->newer)
        p->newer->older = p->older;
    else
        c->newest = p->older;
    if (p->older)
        p->older->newer = p->newer;
    else
        c->oldest = p->newer;
    c->used -= p->cost;
    c->count--;
    ermes__page_cache_release(p);
}

/* Doubles the hash table (under the lock); out of memory, the chains just grow longer. */
static void grow(ermes__page_cache_t *c)
{
    size_t n = c->nbuckets * 2;
    page_t **b;

    if (n > BUCKETS_MAX || !(b = ermes__calloc(n, sizeof(*b))))
        return;
    for (page_t *p = c->oldest; p; p = p->newer) {
        p->next_in_bucket = b[p->hash % n];
        b[p->hash % n] = p;
    }
    ermes__free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

void ermes__page_cache_free(ermes__page_cache_t *c)
{
    if (!c)
        return;
    while (c->oldest)
        unlink_page(c, c->oldest);
    pthread_mutex_destroy(&c->lock);
    ermes__free(c->buckets);
    ermes__free(c);
}

ermes__cached_page_t *ermes__page_cache_get(ermes__page_cache_t *c, const void *key, size_t klen,
                                            int64_t scope)
{
    uint64_t h = hash_of(key, klen);
    page_t *p;

    if (!c || !c->max)
        return NULL;
    pthread_mutex_lock(&c->lock);
    for (p = c->buckets[h % c->nbuckets]; p; p = p->next_in_bucket)
        if (p->hash == h && p->klen == klen && !memcmp(p->key, key, klen))
            break;
    if (p && p->scope < scope) {
        unlink_page(c, p); /* what it is made of moved on: it will not be served again */
        p = NULL;
    } else if (p && p->scope != scope) {
        p = NULL; /* rendered at a later scope than this request read: not its page */
    }
    if (p) {
        /* The most recently used is the newest. */
        if (p->newer) {
            p->newer->older = p->older;
            if (p->older)
                p->older->newer = p->newer;
            else
                c->oldest = p->newer;
            p->older = c->newest;
            p->newer = NULL;
            c->newest->newer = p;
            c->newest = p;
        }
        atomic_fetch_add(&p->refs, 1);
        c->hits++;
    }
    pthread_mutex_unlock(&c->lock);
    return p ? &p->pub : NULL;
}

ermes__cached_page_t *ermes__page_cache_put(ermes__page_cache_t *c, const void *key, size_t klen,
                                            int64_t scope, char *buf, size_t off, size_t len,
                                            const char *first, const char *last)
{
    page_t *p = ermes__calloc(1, sizeof(*p)), *q;

    if (!p) {
        ermes__free(buf);
        return NULL;
    }
    p->buf = buf;
    p->pub.body = buf + off;
    p->pub.len = len;
    snprintf(p->pub.first, sizeof(p->pub.first), "%s", first ? first : "");
    snprintf(p->pub.last, sizeof(p->pub.last), "%s", last ? last : "");
    p->scope = scope;
    p->cost = off + len + klen + PAGE_OVERHEAD;
    atomic_init(&p->refs, 1); /* the answer's */
    if (!c || p->cost > c->max)
        return &p->pub;
    if (!(p->key = ermes__malloc(klen ? klen : 1)))
        return &p->pub; /* sent, not kept */
    memcpy(p->key, key, klen);
    p->klen = klen;
    p->hash = hash_of(key, klen);
    pthread_mutex_lock(&c->lock);
    /* Another request may have rendered the same page meanwhile: the newer one wins (the one
     * of the higher scope, the later at equal ones). */
    for (q = c->buckets[p->hash % c->nbuckets]; q; q = q->next_in_bucket)
        if (q->hash == p->hash && q->klen == klen && !memcmp(q->key, key, klen))
            break;
    if (q && q->scope > scope) {
        pthread_mutex_unlock(&c->lock);
        return &p->pub; /* sent, not kept: the page kept is of later writes */
    }
    if (q)
        unlink_page(c, q);
    while (c->oldest && c->used + p->cost > c->max)
        unlink_page(c, c->oldest);
    atomic_fetch_add(&p->refs, 1); /* the cache's */
    if (c->count >= c->nbuckets)
        grow(c);
    p->next_in_bucket = c->buckets[p->hash % c->nbuckets];
    c->buckets[p->hash % c->nbuckets] = p;
    p->older = c->newest;
    if (c->newest)
        c->newest->newer = p;
    else
        c->oldest = p;
    c->newest = p;
    c->used += p->cost;
    c->count++;
    pthread_mutex_unlock(&c->lock);
    return &p->pub;
}

void ermes__page_cache_stats(ermes__page_cache_t *c, size_t *pages, size_t *bytes, uint64_t *hits)
{
    *pages = *bytes = 0;
    *hits = 0;
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    *pages = c->count;
    *bytes = c->used;
    *hits = c->hits;
    pthread_mutex_unlock(&c->lock);
}
