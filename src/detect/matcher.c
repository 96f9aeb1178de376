/* The compiled matcher (immutable, shared by threads), the slot that swaps matchers while
 * scanning goes on, and the per-thread scanner.
 *
 * Layout: the indicators' compact records and key bytes are copied from the set; each category
 * (addresses and networks, domains, URLs, file hashes, e-mail, JA3, JA4) gets an open-addressing
 * table of 8-byte slots: a 32-bit tag (high bits of the key's hash) and the index of the first
 * indicator with that key; indicators sharing a key are chained through det_ind_t.next. A probe
 * compares the tag first, so the key bytes are touched only on a likely hit.
 *
 * Domains: the key hash runs right to left, so one pass over an observed name yields the hash of
 * every label suffix (mail.dept.example.eu -> dept.example.eu -> example.eu -> eu) and each is
 * one probe. Networks: a bit mask records which prefix lengths exist; an address is masked and
 * probed at each present length from the most specific down, and the first that exists is the
 * match (host entries are /32 and /128). */
#define _GNU_SOURCE /* memmem */
#include <sched.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/number.h"
#include "detect/detect_int.h"
#include "ermes/event.h"
#include "model/harmonize.h"

enum { CAT_IP, CAT_DOMAIN, CAT_URL, CAT_HASH, CAT_EMAIL, CAT_JA3, CAT_JA4, CAT__N };

typedef struct stab {
    uint64_t *slots; /* (tag << 32) | first indicator; low half DET_NONE when empty */
    size_t mask;     /* capacity - 1 */
    size_t n;        /* distinct keys */
    /* A one-hash bitmap over the keys (16 bits per key, at most 2 MiB) in front of the table:
     * a miss, the common case, then costs one access to memory that stays in the L2 cache
     * instead of one to the table, which does not. */
    uint64_t *filter;
    uint64_t filter_mask; /* bits - 1 */
} stab_t;

struct ermes_matcher {
    atomic_long refs;
    det_ind_t *inds;
    size_t n;
    char *keys;
    size_t keys_len;
    char *strs;
    size_t strs_len;
    stab_t tab[CAT__N];
    uint64_t v4mask; /* bit p: some IPv4 entry has prefix length p */
    /* Two bits per IPv4 /24 (YARA-style prefilter, 4 MiB when IPv4 entries exist, one byte
     * array so that one load reads both): V4PRE_SHORT says an entry of prefix length 16..24
     * covers the /24, V4PRE_LONG that an entry longer than /24 (a host or a small network)
     * lies inside it. Most addresses miss both and cost two
     * bit tests instead of a probe per prefix length. Prefixes shorter than /16 are always
     * probed. */
    uint8_t *v4pre;
    uint64_t v6mask[3]; /* bit p of 0..128 */
    ermes_matcher_stats_t stats;
};

static int category(ermes_ind_type_t t)
{
    switch (t) {
    case ERMES_IND_IPV4:
    case ERMES_IND_IPV6:
    case ERMES_IND_CIDR:
        return CAT_IP;
    case ERMES_IND_DOMAIN:
        return CAT_DOMAIN;
    case ERMES_IND_URL:
        return CAT_URL;
    case ERMES_IND_MD5:
    case ERMES_IND_SHA1:
    case ERMES_IND_SHA256:
    case ERMES_IND_SHA512:
        return CAT_HASH;
    case ERMES_IND_EMAIL:
        return CAT_EMAIL;
    case ERMES_IND_JA3:
        return CAT_JA3;
    case ERMES_IND_JA4:
        return CAT_JA4;
    default:
        return -1;
    }
}

/* Arrays of hundreds of megabytes (a set of ten million indicators): their pages are mapped
 * in one call instead of one page fault each (Linux 5.14; elsewhere, or when refused, the
 * faults happen as usual). */
static void prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095,
              e = ((uintptr_t)p + n) & ~(uintptr_t)4095;

    if (p && n >= ((size_t)8 << 20) && e > a)
        (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

static void *big_alloc(size_t count, size_t size)
{
    void *p = ermes__reallocarray(NULL, count ? count : 1, size);

    if (p)
        prefault(p, count * size);
    return p;
}

static int stab_init(stab_t *t, size_t n)
{
    size_t cap = 16;

    /* Load factor at most 3/4: linear probing stays short and 10M keys cost 12.8 bytes of
     * slots each. */
    while (cap * 3 < n * 4)
        cap *= 2;
    t->slots = big_alloc(cap, sizeof(uint64_t));
    if (!t->slots)
        return ERMES_ENOMEM;
    memset(t->slots, 0xff, cap * sizeof(uint64_t));
    t->mask = cap - 1;
    t->n = 0;
    {
        size_t bits = 4096;
        while (bits < n * 16 && bits < ((size_t)1 << 24))
            bits *= 2;
        t->filter = ermes__calloc(bits / 64, sizeof(uint64_t));
        if (!t->filter)
            return ERMES_ENOMEM;
        t->filter_mask = bits - 1;
    }
    return 0;
}

/* The filter is blocked: a key sets two bits in one 64-bit word, the word and the first bit
 * chosen by bits 24.. of its hash, the second bit by bits 48..53. One memory access as with one
 * bit, and about a fifth of the false positives (each of which costs a probe of the table). */
static inline uint64_t filter_bits(uint64_t h, uint64_t fb)
{
    return (1ULL << (fb & 63)) | (1ULL << ((h >> 48) & 63));
}

static inline uint32_t stab_find(const ermes_matcher_t *m, const stab_t *t, uint64_t h,
                                 const char *key, size_t len)
{
    uint32_t tag = (uint32_t)(h >> 32);
    uint64_t fb = (h >> 24) & t->filter_mask;

    uint64_t bits = filter_bits(h, fb);

    if ((t->filter[fb >> 6] & bits) != bits)
        return DET_NONE;
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        uint32_t first = (uint32_t)s;
        if (first == DET_NONE)
            return DET_NONE;
        if ((uint32_t)(s >> 32) == tag) {
            const det_ind_t *r = &m->inds[first];
            if (r->key_len == len && memcmp(m->keys + r->key_off, key, len) == 0)
                return first;
        }
    }
}

/* Inserts indicator id, whose key hashes to h. Indicators sharing a key are chained, the one
 * inserted last first. The indicator records are read only when a tag matches, so inserting
 * touches the table and little else. */
static inline void stab_insert(ermes_matcher_t *m, stab_t *t, uint32_t id, uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32);
    uint64_t fb = (h >> 24) & t->filter_mask;

    t->filter[fb >> 6] |= filter_bits(h, fb);

    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        uint32_t first = (uint32_t)s;
        if (first == DET_NONE) {
            t->slots[i] = ((uint64_t)tag << 32) | id;
            t->n++;
            return;
        }
        if ((uint32_t)(s >> 32) == tag) {
            det_ind_t *r = &m->inds[id];
            const det_ind_t *o = &m->inds[first];
            if (o->key_len == r->key_len &&
                memcmp(m->keys + o->key_off, m->keys + r->key_off, r->key_len) == 0) {
                r->next = first;
                t->slots[i] = ((uint64_t)tag << 32) | id;
                return;
            }
        }
    }
}

/* The IPv4 prefilter: two bits per /24 in one byte array, so one load answers both. */
#define V4PRE_BYTES ((size_t)1 << 22)
#define V4PRE_SHORT 1u
#define V4PRE_LONG 2u
static inline unsigned v4pre_get(const uint8_t *pre, uint32_t a24)
{
    return (pre[a24 >> 2] >> ((a24 & 3) * 2)) & 3u;
}

/* Per compiled IP entry: the prefix-length masks and the /24 prefilter. */
static void note_ip(ermes_matcher_t *m, const uint8_t *k)
{
    unsigned p = k[1];
    uint32_t a24, cnt;

    if (k[0] != ERMES_AF_INET) {
        m->v6mask[p / 64] |= 1ULL << (p % 64);
        return;
    }
    m->v4mask |= 1ULL << p;
    if (p < 16)
        return;
    a24 = (uint32_t)k[2] << 16 | (uint32_t)k[3] << 8 | k[4];
    if (p > 24) {
        m->v4pre[a24 >> 2] |= (uint8_t)(V4PRE_LONG << ((a24 & 3) * 2));
        return;
    }
    cnt = 1u << (24 - p);
    for (uint32_t j = 0; j < cnt; j++)
        m->v4pre[(a24 + j) >> 2] |= (uint8_t)(V4PRE_SHORT << (((a24 + j) & 3) * 2));
}

/* The IP entries' masks and prefilter bits, in batches whose prefilter bytes are prefetched
 * first: the 4 MiB prefilter is written at random, and one miss at a time would dominate the
 * build of a set with millions of addresses. */
#define IP_BATCH 32
static int note_ips(ermes_matcher_t *m, const uint8_t *cs)
{
    const uint8_t *batch[IP_BATCH];
    size_t nb = 0;

    m->v4pre = ermes__calloc(V4PRE_BYTES, 1);
    if (!m->v4pre)
        return ERMES_ENOMEM;
    for (size_t i = 0; i <= m->n; i++) {
        if (i < m->n) {
            const uint8_t *k;
            if (cs[i] != CAT_IP)
                continue;
            k = (const uint8_t *)m->keys + m->inds[i].key_off;
            if (k[0] == ERMES_AF_INET)
                __builtin_prefetch(
                    &m->v4pre[((uint32_t)k[2] << 16 | (uint32_t)k[3] << 8 | k[4]) >> 2], 1);
            batch[nb++] = k;
            if (nb < IP_BATCH)
                continue;
        }
        for (size_t j = 0; j < nb; j++)
            note_ip(m, batch[j]);
        nb = 0;
    }
    if (!m->v4mask) {
        /* No IPv4 entry: the lookup never reads the prefilter. */
        ermes__free(m->v4pre);
        m->v4pre = NULL;
    }
    return 0;
}

/* Building a table of millions of slots by inserting keys in their given order would cost a
 * cache miss and a TLB miss per key (the table is far larger than both). Instead the keys are
 * first partitioned, by a counting sort on the top bits of their home slot, into runs that
 * each fall into one 128 KiB stretch of the table; inserted run by run, the table is written
 * almost sequentially. The partition is stable and the keys enter it in descending id order,
 * so indicators sharing a key still chain in ascending id order. */
#define RUN_SLOTS_LOG2 14
#define SKIP_CAT 0xffu

typedef struct pending {
    uint64_t h;
    uint32_t id;
} pending_t;

static int build_tables(ermes_matcher_t *m, const uint64_t *hs, const uint8_t *cs,
                        const size_t count[CAT__N])
{
    size_t *runs[CAT__N] = {NULL};
    unsigned shift[CAT__N];
    size_t base[CAT__N], total = 0;
    pending_t *part = NULL;
    int rc = ERMES_ENOMEM;

    for (int c = 0; c < CAT__N; c++) {
        size_t cap = m->tab[c].mask + 1, nruns = 1;
        unsigned bits = 0;
        while (((size_t)1 << bits) < cap)
            bits++;
        shift[c] = bits > RUN_SLOTS_LOG2 ? bits - RUN_SLOTS_LOG2 : 0;
        nruns = cap >> shift[c];
        /* runs[c][r] counts, then becomes the write position of run r. */
        runs[c] = ermes__calloc(nruns + 1, sizeof(size_t));
        if (!runs[c])
            goto out;
        base[c] = total;
        total += count[c];
    }
    part = ermes__reallocarray(NULL, total ? total : 1, sizeof(*part));
    if (!part)
        goto out;
    for (size_t i = 0; i < m->n; i++)
        if (cs[i] != SKIP_CAT)
            runs[cs[i]][((hs[i] & m->tab[cs[i]].mask) >> shift[cs[i]]) + 1]++;
    for (int c = 0; c < CAT__N; c++) {
        size_t nruns = (m->tab[c].mask + 1) >> shift[c];
        runs[c][0] = base[c];
        for (size_t r = 1; r <= nruns; r++)
            runs[c][r] += runs[c][r - 1];
    }
    for (size_t i = m->n; i > 0; i--) {
        unsigned c = cs[i - 1];
        pending_t *e;
        if (c == SKIP_CAT)
            continue;
        e = &part[runs[c][(hs[i - 1] & m->tab[c].mask) >> shift[c]]++];
        e->h = hs[i - 1];
        e->id = (uint32_t)(i - 1);
    }
    for (int c = 0; c < CAT__N; c++) {
        stab_t *t = &m->tab[c];
        for (size_t k = base[c]; k < base[c] + count[c]; k++) {
            if (k + 8 < base[c] + count[c]) {
                uint64_t fb = (part[k + 8].h >> 24) & t->filter_mask;
                __builtin_prefetch(&t->filter[fb >> 6], 1);
            }
            stab_insert(m, t, part[k].id, part[k].h);
        }
    }
    rc = 0;
out:
    for (int c = 0; c < CAT__N; c++)
        ermes__free(runs[c]);
    ermes__free(part);
    return rc;
}

/* Hashes the keys of indicators ids[0..n) (n <= HASH_LANES) into hs[id]. The hash is a chain
 * of multiplications, one per byte, each waiting for the one before: four keys hashed in
 * lockstep keep four chains in flight and take little longer than one. */
#define HASH_LANES 4
static void hash_lanes(const ermes_matcher_t *m, const uint32_t *ids, size_t n, uint64_t *hs)
{
    const unsigned char *k[HASH_LANES];
    size_t len[HASH_LANES], common = SIZE_MAX;
    uint64_t h[HASH_LANES];

    if (n < HASH_LANES) {
        for (size_t j = 0; j < n; j++)
            hs[ids[j]] = det_hash(m->keys + m->inds[ids[j]].key_off, m->inds[ids[j]].key_len);
        return;
    }
    for (size_t j = 0; j < HASH_LANES; j++) {
        k[j] = (const unsigned char *)m->keys + m->inds[ids[j]].key_off;
        len[j] = m->inds[ids[j]].key_len;
        h[j] = DET_HASH_SEED;
        if (len[j] < common)
            common = len[j];
    }
    /* Right to left, as det_hash: the last `common` bytes of every key together... */
    for (size_t i = 1; i <= common; i++) {
        h[0] = det_hash_step(h[0], k[0][len[0] - i]);
        h[1] = det_hash_step(h[1], k[1][len[1] - i]);
        h[2] = det_hash_step(h[2], k[2][len[2] - i]);
        h[3] = det_hash_step(h[3], k[3][len[3] - i]);
    }
    /* ...then the rest of each. */
    for (size_t j = 0; j < HASH_LANES; j++) {
        for (size_t i = len[j] - common; i > 0; i--)
            h[j] = det_hash_step(h[j], k[j][i - 1]);
        hs[ids[j]] = det_hash_final(h[j], len[j]);
    }
}

int ermes_matcher_build(const ermes_indicator_set_t *set, int64_t now_ms, ermes_matcher_t **out)
{
    ermes_matcher_t *m;
    size_t count[CAT__N] = {0};
    uint64_t *hs = NULL; /* key hash per indicator */
    uint8_t *cs = NULL;  /* category per indicator, SKIP_CAT when not compiled */
    uint32_t pend[HASH_LANES];
    size_t npend = 0;
    int rc = ERMES_ENOMEM;

    if (!set || !out)
        return ERMES_EINVAL;
    m = ermes__calloc(1, sizeof(*m));
    if (!m)
        return ERMES_ENOMEM;
    atomic_init(&m->refs, 1);
    m->n = set->n;

    m->inds = big_alloc(set->n, sizeof(det_ind_t));
    m->keys = big_alloc(set->keys.len, 1);
    m->strs = ermes__malloc(set->strs.len ? set->strs.len : 1);
    hs = big_alloc(set->n, sizeof(*hs));
    cs = big_alloc(set->n, 1);
    if (!m->inds || !m->keys || !m->strs || !hs || !cs)
        goto fail;
    if (set->keys.len)
        memcpy(m->keys, set->keys.data, set->keys.len);
    memcpy(m->strs, set->strs.data, set->strs.len);
    m->keys_len = set->keys.len;
    m->strs_len = set->strs.len;
    /* One sequential pass copies, classifies and hashes. Suppressed and expired indicators
     * keep their ids but are not compiled. */
    for (size_t i = 0; i < m->n; i++) {
        det_ind_t *r = &m->inds[i];
        int c;
        *r = set->inds[i];
        c = category((ermes_ind_type_t)r->type);
        r->next = DET_NONE;
        if (c < 0 || (r->flags & ERMES_IND_SUPPRESSED) ||
            (now_ms && r->valid_until && r->valid_until < now_ms)) {
            cs[i] = SKIP_CAT;
            continue;
        }
        cs[i] = (uint8_t)c;
        count[c]++;
        m->stats.by_type[r->type]++;
        m->stats.indicators++;
        pend[npend++] = (uint32_t)i;
        if (npend == HASH_LANES) {
            hash_lanes(m, pend, npend, hs);
            npend = 0;
        }
    }
    hash_lanes(m, pend, npend, hs);
    if (count[CAT_IP] && note_ips(m, cs))
        goto fail;
    for (int c = 0; c < CAT__N; c++)
        if (stab_init(&m->tab[c], count[c]))
            goto fail;
    if (build_tables(m, hs, cs, count))
        goto fail;
    m->stats.bytes = sizeof(*m) + m->n * sizeof(det_ind_t) + m->keys_len + m->strs_len +
                     (m->v4pre ? V4PRE_BYTES : 0);
    for (int c = 0; c < CAT__N; c++)
        m->stats.bytes += (m->tab[c].mask + 1) * sizeof(uint64_t) + (m->tab[c].filter_mask + 1) / 8;
    ermes__free(hs);
    ermes__free(cs);
    *out = m;
    return 0;
fail:
    ermes__free(hs);
    ermes__free(cs);
    ermes_matcher_release(m);
    return rc;
}

ermes_matcher_t *ermes_matcher_retain(ermes_matcher_t *m)
{
    if (m)
        atomic_fetch_add(&m->refs, 1);
    return m;
}

void ermes_matcher_release(ermes_matcher_t *m)
{
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    for (int c = 0; c < CAT__N; c++)
        ermes__free(m->tab[c].slots), ermes__free(m->tab[c].filter);
    ermes__free(m->v4pre);
    ermes__free(m->inds);
    ermes__free(m->keys);
    ermes__free(m->strs);
    ermes__free(m);
}

int ermes_matcher_indicator(const ermes_matcher_t *m, uint32_t id, ermes_matcher_indicator_t *out)
{
    const det_ind_t *r;

    if (!m || id >= m->n)
        return ERMES_ENOTFOUND;
    r = &m->inds[id];
    out->type = (ermes_ind_type_t)r->type;
    out->flags = r->flags & (ERMES_IND_EXACT | ERMES_IND_SUPPRESSED);
    out->valid_from = r->valid_from;
    out->valid_until = r->valid_until;
    out->confidence = r->confidence;
    out->tlp = r->tlp;
    out->source = m->strs + r->source;
    out->tags = m->strs + r->tags;
    return 0;
}

size_t ermes_matcher_value(const ermes_matcher_t *m, uint32_t id, char *buf, size_t cap)
{
    const det_ind_t *r;

    if (!m || id >= m->n)
        return 0;
    r = &m->inds[id];
    return ermes__det_key_format((ermes_ind_type_t)r->type, m->keys + r->key_off, r->key_len, buf,
                                 cap);
}

void ermes_matcher_stats(const ermes_matcher_t *m, ermes_matcher_stats_t *out)
{
    if (m)
        *out = m->stats;
    else
        memset(out, 0, sizeof(*out));
}

/* ---- the slot -------------------------------------------------------------------------------- */

struct ermes_matcher_slot {
    _Atomic(ermes_matcher_t *) cur;
    atomic_uint_fast64_t generation;
    atomic_long acquiring; /* readers between loading cur and retaining it */
    atomic_flag swapping;
};

int ermes_matcher_slot_new(ermes_matcher_t *m, ermes_matcher_slot_t **out)
{
    ermes_matcher_slot_t *s = ermes__calloc(1, sizeof(*s));

    if (!s)
        return ERMES_ENOMEM;
    atomic_init(&s->cur, ermes_matcher_retain(m));
    atomic_init(&s->generation, 1);
    atomic_init(&s->acquiring, 0);
    atomic_flag_clear(&s->swapping);
    *out = s;
    return 0;
}

void ermes_matcher_slot_free(ermes_matcher_slot_t *slot)
{
    if (!slot)
        return;
    ermes_matcher_release(atomic_load(&slot->cur));
    ermes__free(slot);
}

ermes_matcher_t *ermes_matcher_slot_acquire(ermes_matcher_slot_t *slot)
{
    ermes_matcher_t *m;

    /* The swapper drops the slot's reference to the old matcher only once no reader is between
     * these two lines, so the matcher we load cannot be freed before we retain it. */
    atomic_fetch_add(&slot->acquiring, 1);
    m = ermes_matcher_retain(atomic_load(&slot->cur));
    atomic_fetch_sub(&slot->acquiring, 1);
    return m;
}

void ermes_matcher_slot_swap(ermes_matcher_slot_t *slot, ermes_matcher_t *m)
{
    ermes_matcher_t *old;

    while (atomic_flag_test_and_set(&slot->swapping))
        sched_yield(); /* swappers queue behind each other; readers never do */
    old = atomic_exchange(&slot->cur, ermes_matcher_retain(m));
    atomic_fetch_add(&slot->generation, 1);
    while (atomic_load(&slot->acquiring) != 0)
        sched_yield();
    atomic_flag_clear(&slot->swapping);
    ermes_matcher_release(old);
}

uint64_t ermes_matcher_slot_generation(const ermes_matcher_slot_t *slot)
{
    return atomic_load(&((ermes_matcher_slot_t *)slot)->generation);
}

/* ---- the scanner ----------------------------------------------------------------------------- */

#define NAME_MAX_LEN 1024

#define DOM_DEFER 4
#define DOM_DEFER_LEN 256
#define DOM_LABELS 32

struct ermes_scanner {
    ermes_matcher_t *m;
    uint64_t generation;
    ermes_hit_t *hits;
    size_t nhits, cap;
    uint32_t field;
    /* The record being scanned, for validity checks against its time. */
    const ermes_log_record_t *rec;
    int time_state; /* 0 not parsed yet, 1 parsed, 2 none */
    int64_t time_ms;
    char buf[DET_MAX_KEY + 16];
    /* ermes_scanner_scan: domain names whose probes wait until the record's other fields are
     * looked up (see there). */
    struct dom_defer {
        uint32_t field;
        uint32_t nprobe;
        uint64_t h[DOM_LABELS];   /* hash of each label suffix, shortest first */
        uint16_t off[DOM_LABELS]; /* where that suffix starts in name */
        char name[DOM_DEFER_LEN]; /* lower-cased */
    } dom[DOM_DEFER];
};

int ermes_scanner_new(ermes_matcher_t *m, ermes_scanner_t **out)
{
    ermes_scanner_t *s = ermes__calloc(1, sizeof(*s));

    if (!s)
        return ERMES_ENOMEM;
    s->cap = 64;
    s->hits = ermes__reallocarray(NULL, s->cap, sizeof(*s->hits));
    if (!s->hits) {
        ermes__free(s);
        return ERMES_ENOMEM;
    }
    s->m = ermes_matcher_retain(m);
    *out = s;
    return 0;
}

void ermes_scanner_free(ermes_scanner_t *s)
{
    if (!s)
        return;
    ermes_matcher_release(s->m);
    ermes__free(s->hits);
    ermes__free(s);
}

void ermes_scanner_use(ermes_scanner_t *s, ermes_matcher_t *m)
{
    ermes_matcher_t *old = s->m;

    s->m = ermes_matcher_retain(m);
    ermes_matcher_release(old);
}

void ermes_scanner_refresh(ermes_scanner_t *s, ermes_matcher_slot_t *slot)
{
    uint64_t g = ermes_matcher_slot_generation(slot);
    ermes_matcher_t *m;

    if (g == s->generation)
        return;
    m = ermes_matcher_slot_acquire(slot);
    ermes_matcher_release(s->m);
    s->m = m;
    s->generation = g;
}

ermes_matcher_t *ermes_scanner_matcher(const ermes_scanner_t *s)
{
    return s->m;
}

static int record_time(ermes_scanner_t *s, int64_t *ms)
{
    if (s->time_state == 0) {
        const char *t = s->rec ? s->rec->time : NULL;
        size_t n = s->rec ? s->rec->time_len : 0;
        int64_t us;
        s->time_state = 2;
        if (t && n) {
            size_t i = 0;
            while (i < n && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.'))
                i++;
            if (i == n) {
                /* Zeek: seconds since the epoch, with a fraction; one past any date leaves
                 * the record without a time. */
                if (ermes__epoch_seconds_ms(t, n, &s->time_ms) == 0)
                    s->time_state = 1;
            } else if (ermes__datetime_parse_us(t, n, &us, NULL) == 0) {
                s->time_ms = us / 1000;
                s->time_state = 1;
            }
        }
        if (s->time_state == 2 && s->rec) {
            /* No usable event time: validity is judged against the present. */
            s->time_ms = (int64_t)time(NULL) * 1000;
            s->time_state = 1;
        }
    }
    *ms = s->time_ms;
    return s->time_state == 1;
}

static void add_hits(ermes_scanner_t *s, uint32_t first, int exact_ok)
{
    const det_ind_t *inds = s->m->inds;

    for (uint32_t id = first; id != DET_NONE; id = inds[id].next) {
        const det_ind_t *r = &inds[id];
        int64_t t;
        size_t i;
        if ((r->flags & ERMES_IND_EXACT) && !exact_ok)
            continue;
        if ((r->valid_from || r->valid_until) && record_time(s, &t) &&
            ((r->valid_from && t < r->valid_from) || (r->valid_until && t > r->valid_until)))
            continue;
        for (i = 0; i < s->nhits; i++)
            if (s->hits[i].indicator == id && s->hits[i].field == s->field)
                break;
        if (i < s->nhits)
            continue;
        if (s->nhits == s->cap) {
            ermes_hit_t *nh = ermes__reallocarray(s->hits, s->cap * 2, sizeof(*nh));
            if (!nh)
                return; /* out of memory: the hit is lost, the scan goes on */
            s->hits = nh;
            s->cap *= 2;
        }
        s->hits[s->nhits].indicator = id;
        s->hits[s->nhits].field = s->field;
        s->nhits++;
    }
}

static inline int parse_v4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (digits == 1 && v == 0)
                return -1;
            v = v * 10 + (unsigned)(s[i] - '0');
            if (++digits > 3 || v > 255)
                return -1;
            i++;
        }
        if (!digits)
            return -1;
        out[part] = (uint8_t)v;
        if (part < 3) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
    }
    return i == len ? 0 : -1;
}

/* IPv4: the prefix lengths worth probing are the set bits of one word (those present in the
 * matcher, less those the /24 prefilter rules out), visited from the most specific down. */
static void lookup_v4(ermes_scanner_t *s, const uint8_t *addr)
{
    const ermes_matcher_t *m = s->m;
    uint32_t a =
        (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
    uint64_t cand = m->v4mask;
    unsigned pre;
    char key[6];

    if (!cand)
        return;
    pre = v4pre_get(m->v4pre, a >> 8);
    if (!(pre & V4PRE_LONG))
        cand &= ~(((1ULL << 33) - 1) & ~((1ULL << 25) - 1)); /* /25../32 */
    if (!(pre & V4PRE_SHORT))
        cand &= ~(((1ULL << 25) - 1) & ~((1ULL << 16) - 1)); /* /16../24 */
    key[0] = (char)ERMES_AF_INET;
    while (cand) {
        int p = 63 - __builtin_clzll(cand);
        uint32_t masked = p ? a & (0xffffffffu << (32 - p)) : 0;
        uint32_t first;
        cand &= ~(1ULL << p);
        key[1] = (char)p;
        key[2] = (char)(masked >> 24);
        key[3] = (char)(masked >> 16);
        key[4] = (char)(masked >> 8);
        key[5] = (char)masked;
        first = stab_find(m, &m->tab[CAT_IP], det_hash(key, sizeof(key)), key, sizeof(key));
        if (first != DET_NONE) {
            /* The most specific entry wins. */
            add_hits(s, first, 1);
            return;
        }
    }
}

static void lookup_ip_bytes(ermes_scanner_t *s, int family, const uint8_t *addr)
{
    const ermes_matcher_t *m = s->m;
    char key[18];

    if (family == ERMES_AF_INET) {
        lookup_v4(s, addr);
        return;
    }
    key[0] = (char)family;
    for (int p = 128; p >= 0; p--) {
        uint32_t first;
        if (!(m->v6mask[p / 64] & (1ULL << (p % 64))))
            continue;
        key[1] = (char)p;
        for (int b = 0; b < 16; b++) {
            int bits = p - b * 8;
            uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
            key[2 + b] = (char)(addr[b] & mask);
        }
        first = stab_find(m, &m->tab[CAT_IP], det_hash(key, 18), key, 18);
        if (first != DET_NONE) {
            /* The most specific entry wins. */
            add_hits(s, first, 1);
            return;
        }
    }
}

static void lookup_ip(ermes_scanner_t *s, const char *v, size_t len)
{
    uint8_t a4[4];
    ermes_ip_t ip;

    if (s->m->tab[CAT_IP].n == 0)
        return;
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\r'))
        len--;
    if (parse_v4(v, len, a4) == 0) {
        lookup_ip_bytes(s, ERMES_AF_INET, a4);
        return;
    }
    if (len > 2 && v[0] == '[' && v[len - 1] == ']') {
        v++;
        len -= 2;
    }
    if (ermes_ip_parse(v, len, &ip, NULL))
        return;
    if (ip.family == ERMES_AF_INET6) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(ip.bytes, mapped, 12) == 0) {
            lookup_ip_bytes(s, ERMES_AF_INET, ip.bytes + 12);
            return;
        }
    }
    lookup_ip_bytes(s, ip.family, ip.bytes);
}

static void lookup_domain(ermes_scanner_t *s, const char *v, size_t len)
{
    const ermes_matcher_t *m = s->m;
    const stab_t *t = &m->tab[CAT_DOMAIN];
    char *b = s->buf;
    uint64_t h = DET_HASH_SEED;

    if (t->n == 0 || len == 0)
        return;
    if (len > NAME_MAX_LEN)
        return;
    if (len > 1 && v[len - 1] == '.')
        len--;
    /* One pass from the right: lower-case, hash, and probe at each label boundary. */
    for (size_t i = len; i > 0; i--) {
        unsigned char c = det_lower((unsigned char)v[i - 1]);
        b[i - 1] = (char)c;
        h = det_hash_step(h, c);
        if (i == 1 || v[i - 2] == '.') {
            size_t off = i - 1, n = len - off;
            uint32_t first = stab_find(m, t, det_hash_final(h, n), b + off, n);
            if (first != DET_NONE)
                add_hits(s, first, off == 0);
        }
    }
}

/* The first half of lookup_domain for a name of a DOMAIN field, done early: lower-cases the
 * name into d, computes the hash of every label suffix and prefetches the filter word each will
 * probe. Returns 0, or -1 when the name does not fit d (it is then looked up at once). */
static int domain_prepare(const ermes_matcher_t *m, struct dom_defer *d, const char *v, size_t len)
{
    const stab_t *t = &m->tab[CAT_DOMAIN];
    uint64_t h = DET_HASH_SEED;

    if (len > 1 && v[len - 1] == '.')
        len--;
    if (len > DOM_DEFER_LEN)
        return -1;
    d->nprobe = 0;
    for (size_t i = len; i > 0; i--) {
        unsigned char c = det_lower((unsigned char)v[i - 1]);
        d->name[i - 1] = (char)c;
        h = det_hash_step(h, c);
        if (i == 1 || v[i - 2] == '.') {
            size_t off = i - 1;
            uint64_t hf = det_hash_final(h, len - off), fb = (hf >> 24) & t->filter_mask;
            if (d->nprobe == DOM_LABELS)
                return -1;
            __builtin_prefetch(&t->filter[fb >> 6]);
            d->h[d->nprobe] = hf;
            d->off[d->nprobe++] = (uint16_t)off;
        }
    }
    /* The whole name's length rides in off[] of a sentinel. */
    if (d->nprobe == DOM_LABELS)
        return -1;
    d->off[d->nprobe] = (uint16_t)len;
    return 0;
}

/* The second half: the probes, in lookup_domain's order, with its hits. */
static void domain_probe(ermes_scanner_t *s, const struct dom_defer *d)
{
    const ermes_matcher_t *m = s->m;
    const stab_t *t = &m->tab[CAT_DOMAIN];
    size_t len = d->off[d->nprobe];

    for (uint32_t k = 0; k < d->nprobe; k++) {
        size_t off = d->off[k];
        uint32_t first = stab_find(m, t, d->h[k], d->name + off, len - off);
        if (first != DET_NONE)
            add_hits(s, first, off == 0);
    }
}

/* A domain field may hold "host:port" (Zeek's http.host) or an address literal. */
static void lookup_host(ermes_scanner_t *s, const char *v, size_t len)
{
    const char *colon;

    if (len && ((v[0] >= '0' && v[0] <= '9') || v[0] == '[' || memchr(v, ':', len))) {
        colon = memchr(v, ':', len);
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - v) - 1) && v[0] != '[') {
            size_t hl = (size_t)(colon - v);
            uint8_t a4[4];
            if (parse_v4(v, hl, a4) == 0)
                lookup_ip(s, v, hl);
            else
                lookup_domain(s, v, hl);
            return;
        }
        if (v[0] == '[' || colon) {
            lookup_ip(s, v, len);
            return;
        }
        {
            uint8_t a4[4];
            if (parse_v4(v, len, a4) == 0) {
                lookup_ip(s, v, len);
                return;
            }
        }
    }
    lookup_domain(s, v, len);
}

static void lookup_key(ermes_scanner_t *s, int cat, const char *key, size_t len)
{
    const ermes_matcher_t *m = s->m;
    uint32_t first;

    if (m->tab[cat].n == 0)
        return;
    first = stab_find(m, &m->tab[cat], det_hash(key, len), key, len);
    if (first != DET_NONE)
        add_hits(s, first, 1);
}

static int all_hex(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')))
            return 0;
    }
    return 1;
}

static void lookup_hash(ermes_scanner_t *s, const char *v, size_t len, int ja3_too)
{
    uint8_t bin[64];

    if (len != 32 && len != 40 && len != 64 && len != 128)
        return;
    if (ermes__det_hex_decode(v, len, bin))
        return;
    lookup_key(s, CAT_HASH, (const char *)bin, len / 2);
    if (ja3_too && len == 32)
        lookup_key(s, CAT_JA3, (const char *)bin, 16);
}

static void lookup_lower(ermes_scanner_t *s, int cat, const char *v, size_t len)
{
    if (s->m->tab[cat].n == 0 || len > DET_MAX_KEY)
        return;
    if (cat == CAT_EMAIL && len > 2 && v[0] == '<' && v[len - 1] == '>') {
        v++;
        len -= 2;
    }
    for (size_t i = 0; i < len; i++)
        s->buf[i] = (char)det_lower((unsigned char)v[i]);
    lookup_key(s, cat, s->buf, len);
}

static void lookup_url(ermes_scanner_t *s, const char *v, size_t len, int host_too)
{
    size_t n;

    if (s->m->tab[CAT_URL].n &&
        ermes_harmonize(ERMES_FT_URL, v, len, s->buf, sizeof(s->buf), &n, NULL) == 0)
        lookup_key(s, CAT_URL, s->buf, n);
    if (host_too) {
        /* The host of a URL in a plain log: its domain or address. */
        const char *p = v, *e = v + len, *h;
        const char *sch = len >= 3 ? memmem(v, len, "://", 3) : NULL;
        if (sch)
            p = sch + 3;
        h = p;
        while (p < e && *p != '/' && *p != '?' && *p != '#')
            p++;
        {
            const char *at = memchr(h, '@', (size_t)(p - h));
            if (at)
                h = at + 1;
        }
        if (p > h)
            lookup_host(s, h, (size_t)(p - h));
    }
}

static void lookup_auto(ermes_scanner_t *s, const char *v, size_t len)
{
    unsigned char c0;

    while (len && (v[0] == ' ' || v[0] == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r'))
        len--;
    if (len == 0)
        return;
    c0 = (unsigned char)v[0];
    if ((len == 32 || len == 40 || len == 64 || len == 128) && all_hex(v, len)) {
        lookup_hash(s, v, len, 1);
        return;
    }
    if (memchr(v, '@', len)) {
        lookup_lower(s, CAT_EMAIL, v, len);
        return;
    }
    if (memchr(v, '/', len)) {
        lookup_url(s, v, len, 1);
        return;
    }
    if ((c0 >= '0' && c0 <= '9') || memchr(v, ':', len)) {
        uint8_t a4[4];
        ermes_ip_t ip;
        if (parse_v4(v, len, a4) == 0 || ermes_ip_parse(v, len, &ip, NULL) == 0) {
            lookup_ip(s, v, len);
            return;
        }
    }
    if (len == 36 && v[10] == '_' && s->m->tab[CAT_JA4].n) {
        lookup_lower(s, CAT_JA4, v, len);
        return;
    }
    lookup_host(s, v, len);
}

static void lookup_field(ermes_scanner_t *s, ermes_field_kind_t kind, const char *v, size_t len)
{
    switch (kind) {
    case ERMES_FIELD_IP:
        lookup_ip(s, v, len);
        break;
    case ERMES_FIELD_DOMAIN:
        lookup_host(s, v, len);
        break;
    case ERMES_FIELD_URL:
        lookup_url(s, v, len, 0);
        break;
    case ERMES_FIELD_HASH:
        lookup_hash(s, v, len, 0);
        break;
    case ERMES_FIELD_EMAIL:
        lookup_lower(s, CAT_EMAIL, v, len);
        break;
    case ERMES_FIELD_JA3:
        /* A JA3 is an MD5 digest: an untyped list cannot tell the two apart, so an MD5
         * indicator is looked up too. */
        lookup_hash(s, v, len == 32 ? len : 0, 1);
        break;
    case ERMES_FIELD_JA4:
        lookup_lower(s, CAT_JA4, v, len);
        break;
    default:
        lookup_auto(s, v, len);
    }
}

#define SCAN_DEFER 8

/* Whether lookup_host would take v for a domain name (not an address, not host:port). */
static inline int plain_name(const char *v, size_t len)
{
    return len && !((v[0] >= '0' && v[0] <= '9') || v[0] == '[' || memchr(v, ':', len));
}

/* Scanning a record: the tables' filters and the IPv4 prefilter are far apart in memory and
 * rarely in the cache while a log streams through it, so a lookup mostly waits for memory.
 * The addresses and domain names of the record are therefore looked up in two steps: first
 * each one's hashes are computed and the memory its probes will read is prefetched, then,
 * after the record's other fields, the probes are made, when those lines have arrived. The
 * misses overlap instead of coming one after another. Hits come back ordered by field, as if
 * every field had been looked up in turn. */
size_t ermes_scanner_scan(ermes_scanner_t *s, const ermes_log_record_t *rec,
                          const ermes_hit_t **hits)
{
    struct {
        uint8_t a4[4];
        uint32_t field;
    } defer[SCAN_DEFER];
    size_t ndefer = 0, ndom = 0;
    const ermes_matcher_t *m = s->m;

    s->nhits = 0;
    *hits = s->hits;
    if (!m || !rec)
        return 0;
    s->rec = rec;
    s->time_state = 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        const ermes_log_field_t *f = &rec->fields[i];
        s->field = (uint32_t)i;
        if (f->kind == ERMES_FIELD_IP && m->v4pre && ndefer < SCAN_DEFER) {
            size_t len = f->len;
            uint8_t *a4 = defer[ndefer].a4;
            while (len && (f->value[len - 1] == ' ' || f->value[len - 1] == '\r'))
                len--;
            if (parse_v4(f->value, len, a4) == 0) {
                uint32_t a24 = (uint32_t)a4[0] << 16 | (uint32_t)a4[1] << 8 | a4[2];
                __builtin_prefetch(&m->v4pre[a24 >> 2]);
                defer[ndefer++].field = (uint32_t)i;
                continue;
            }
        } else if (f->kind == ERMES_FIELD_DOMAIN && ndom < DOM_DEFER && m->tab[CAT_DOMAIN].n &&
                   f->len <= NAME_MAX_LEN && plain_name(f->value, f->len) &&
                   domain_prepare(m, &s->dom[ndom], f->value, f->len) == 0) {
            s->dom[ndom++].field = (uint32_t)i;
            continue;
        }
        lookup_field(s, f->kind, f->value, f->len);
    }
    if (ndefer || ndom) {
        for (size_t k = 0; k < ndefer; k++) {
            s->field = defer[k].field;
            lookup_ip_bytes(s, ERMES_AF_INET, defer[k].a4);
        }
        for (size_t k = 0; k < ndom; k++) {
            s->field = s->dom[k].field;
            domain_probe(s, &s->dom[k]);
        }
        /* A stable insertion sort by field (there are rarely more than one or two hits). */
        for (size_t k = 1; k < s->nhits; k++) {
            ermes_hit_t h = s->hits[k];
            size_t j = k;
            while (j > 0 && s->hits[j - 1].field > h.field) {
                s->hits[j] = s->hits[j - 1];
                j--;
            }
            s->hits[j] = h;
        }
    }
    s->rec = NULL;
    *hits = s->hits;
    return s->nhits;
}

size_t ermes_scanner_lookup(ermes_scanner_t *s, ermes_field_kind_t kind, const char *value,
                            size_t len, const ermes_hit_t **hits)
{
    s->nhits = 0;
    *hits = s->hits;
    if (!s->m || (!value && len))
        return 0;
    s->rec = NULL;
    s->time_state = 2;
    s->field = 0;
    lookup_field(s, kind, value, len);
    *hits = s->hits;
    return s->nhits;
}
