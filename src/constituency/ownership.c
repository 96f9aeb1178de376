/* The ownership index: who owns an IP address, a domain or an ASN.
 *
 * Lookups happen for every event a feed delivers, so the index is compiled for them:
 *
 *  - Networks of one family are flattened into sorted disjoint spans. Registered networks are
 *    either nested or disjoint (CIDR blocks cannot partly overlap), so one sweep over them in
 *    (address, prefix) order with a stack of the enclosing networks cuts the address space into
 *    spans, each carrying its most specific network. A lookup is then "the last span starting
 *    at or before the address". A table over the top 16 bits of the address narrows that binary
 *    search to the few spans of one /16 (for IPv6: of one /16 of the hi word), so an IPv4 lookup
 *    costs a couple of cache misses.
 *  - ASNs live in an open-addressing hash table (ASN 0 is reserved, RFC 7607, and marks empty
 *    slots).
 *  - Domains live in an open-addressing hash table of lower-case names kept in one string pool.
 *    The hash runs from the last byte to the first, so a single pass over the query yields the
 *    hash of every parent suffix; probing goes from the longest suffix to the shortest.
 *
 * The index is immutable once built and reference-counted, so any number of threads can share
 * it without locks. */
#include "ermes/ownership.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/error.h"

#define NO_NETWORK UINT32_MAX
#define DOMAIN_MAX 253
/* A name of 253 bytes has at most 127 labels. */
#define LABELS_MAX 128
#define BUCKETS 65536
/* Indexes into the spans and networks are uint32_t; stay well clear of the NO_NETWORK mark. */
#define RULES_MAX (UINT32_MAX / 4)

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* An unsigned 128-bit key: an IPv6 address, or an IPv4 address in lo. */
typedef struct u128 {
    uint64_t hi, lo;
} u128_t;

/* Builder records, in the order they were added (pos breaks ties: the last one wins). */
typedef struct net_rule {
    u128_t addr;
    int64_t org_id;
    uint32_t pos;
    uint8_t prefix;
} net_rule_t;

typedef struct net_list {
    net_rule_t *v;
    size_t n, cap;
    uint32_t next_pos; /* never reused, even when build drops duplicates */
} net_list_t;

typedef struct asn_rule {
    uint32_t asn;
    int64_t org_id;
} asn_rule_t;

typedef struct domain_rule {
    uint64_t hash;
    uint32_t off, len; /* into the builder's pool */
    int64_t org_id;
} domain_rule_t;

struct ermes_ownership_builder {
    net_list_t net4, net6;
    asn_rule_t *asns;
    size_t nasns, capasns;
    domain_rule_t *domains;
    size_t ndomains, capdomains;
    char *pool; /* domain names, each NUL-terminated */
    size_t pool_len, pool_cap;
};

/* The index. */
typedef struct net4 {
    int64_t org_id;
    uint32_t addr;
    uint8_t prefix;
} net4_t;

typedef struct span4 {
    uint32_t start;
    uint32_t net; /* index into net4, or NO_NETWORK */
} span4_t;

typedef struct net6 {
    int64_t org_id;
    u128_t addr;
    uint8_t prefix;
} net6_t;

typedef struct span6 {
    u128_t start;
    uint32_t net; /* index into net6, or NO_NETWORK */
} span6_t;

typedef struct asn_slot {
    uint32_t asn; /* 0: empty */
    int64_t org_id;
} asn_slot_t;

typedef struct domain_slot {
    uint64_t hash;
    uint32_t off, len; /* into the index's pool; len 0: empty */
    int64_t org_id;
} domain_slot_t;

struct ermes_ownership {
    atomic_long refs;

    net4_t *net4;
    size_t nnet4;
    span4_t *span4;
    size_t nspan4;
    uint32_t *bucket4; /* BUCKETS + 1 entries; NULL when there is no IPv4 network */

    net6_t *net6;
    size_t nnet6;
    span6_t *span6;
    size_t nspan6;
    uint32_t *bucket6;

    asn_slot_t *asns;
    size_t nasns, asn_mask;

    domain_slot_t *domains;
    size_t ndomains, domain_mask;
    char *pool;
    size_t pool_len;
    unsigned max_labels; /* most labels of any registered domain */

    size_t bytes;
};

/* A network as a range of keys, for the sweep. */
typedef struct range {
    u128_t first, last;
} range_t;

typedef struct span {
    u128_t start;
    uint32_t net;
} span_t;

static int u128_cmp(u128_t a, u128_t b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static int u128_eq(u128_t a, u128_t b)
{
    return a.hi == b.hi && a.lo == b.lo;
}

static u128_t u128_inc(u128_t a)
{
    a.lo++;
    if (a.lo == 0)
        a.hi++;
    return a;
}

static uint64_t load_be64(const uint8_t *b)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static uint32_t load_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void store_be64(uint8_t *b, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        b[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

/* The host part of a prefix within a key of the given width, as all-ones. */
static u128_t host_mask(unsigned prefix, unsigned width)
{
    u128_t m = {0, 0};
    unsigned host = width - prefix;

    if (host >= 128) {
        m.hi = m.lo = UINT64_MAX;
    } else if (host >= 64) {
        m.lo = UINT64_MAX;
        m.hi = host == 64 ? 0 : UINT64_MAX >> (128 - host);
    } else if (host > 0) {
        m.lo = UINT64_MAX >> (64 - host);
    }
    return m;
}

static uint64_t mix64(uint64_t h)
{
    /* MurmurHash3 finalizer: spreads every input bit over the low bits used as slot number. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Smallest power of two holding n entries at most half full. */
static size_t table_size(size_t n)
{
    size_t size = 16;

    while (size < 2 * n)
        size *= 2;
    return size;
}

/* Makes room for element n of an array v of *cap elements of size bytes each. Returns the
 * (possibly moved) array, or NULL when out of memory (v is then untouched). */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
    size_t new_cap;

    if (n < *cap)
        return v;
    if (n >= RULES_MAX)
        return NULL;
    new_cap = *cap ? *cap * 2 : 64;
    v = ermes__reallocarray(v, new_cap, size);
    if (v)
        *cap = new_cap;
    return v;
}

int ermes_ownership_builder_new(ermes_ownership_builder_t **out)
{
    ermes_ownership_builder_t *b = ermes__calloc(1, sizeof(*b));

    if (!b)
        return ERMES_ENOMEM;
    *out = b;
    return 0;
}

static void builder_reset(ermes_ownership_builder_t *b)
{
    ermes__free(b->net4.v);
    ermes__free(b->net6.v);
    ermes__free(b->asns);
    ermes__free(b->domains);
    ermes__free(b->pool);
    memset(b, 0, sizeof(*b));
}

void ermes_ownership_builder_free(ermes_ownership_builder_t *b)
{
    if (!b)
        return;
    builder_reset(b);
    ermes__free(b);
}

int ermes_ownership_add_network(ermes_ownership_builder_t *b, const ermes_cidr_t *net,
                                int64_t org_id)
{
    net_list_t *list;
    net_rule_t *r;
    u128_t addr, host;
    unsigned width;

    if (!b || !net)
        return ERMES_EINVAL;
    if (net->addr.family == ERMES_AF_INET) {
        list = &b->net4;
        width = 32;
        addr.hi = 0;
        addr.lo = load_be32(net->addr.bytes);
    } else if (net->addr.family == ERMES_AF_INET6) {
        list = &b->net6;
        width = 128;
        addr.hi = load_be64(net->addr.bytes);
        addr.lo = load_be64(net->addr.bytes + 8);
    } else {
        return ERMES_EINVAL;
    }
    if (net->prefix > width)
        return ERMES_EINVAL;
    /* A network has no host bits (net.h); anything else is a caller's bug, not a network. */
    host = host_mask(net->prefix, width);
    if ((addr.hi & host.hi) || (addr.lo & host.lo))
        return ERMES_EINVAL;
    if (list->next_pos == UINT32_MAX)
        return ERMES_ENOMEM;
    r = grow(list->v, &list->cap, list->n, sizeof(*list->v));
    if (!r)
        return ERMES_ENOMEM;
    list->v = r;
    r += list->n;
    r->addr = addr;
    r->prefix = net->prefix;
    r->org_id = org_id;
    r->pos = list->next_pos++;
    list->n++;
    return 0;
}

int ermes_ownership_add_asn(ermes_ownership_builder_t *b, uint32_t asn, int64_t org_id)
{
    asn_rule_t *asns;

    /* ASN 0 is reserved (RFC 7607) and means "unknown" to the lookups. */
    if (!b || asn == 0)
        return ERMES_EINVAL;
    asns = grow(b->asns, &b->capasns, b->nasns, sizeof(*b->asns));
    if (!asns)
        return ERMES_ENOMEM;
    b->asns = asns;
    b->asns[b->nasns].asn = asn;
    b->asns[b->nasns].org_id = org_id;
    b->nasns++;
    return 0;
}

/* The hash of a lower-case name, computed from its last byte to its first (see the top). */
static uint64_t name_hash(const char *s, size_t len)
{
    uint64_t h = FNV_OFFSET;

    while (len-- > 0) {
        h ^= (unsigned char)s[len];
        h *= FNV_PRIME;
    }
    return mix64(h);
}

int ermes_ownership_add_domain(ermes_ownership_builder_t *b, const char *domain, size_t len,
                               int64_t org_id)
{
    domain_rule_t *r;
    char *name;
    size_t i;

    if (!b || !domain)
        return ERMES_EINVAL;
    if (len > 0 && domain[len - 1] == '.')
        len--;
    if (len == 0 || len > DOMAIN_MAX)
        return ERMES_EINVAL;
    /* A name with an empty label ("a..b", ".a") could never match a lookup. */
    for (i = 0; i < len; i++) {
        if (domain[i] == '.' && (i == 0 || i + 1 == len || domain[i + 1] == '.'))
            return ERMES_EINVAL;
    }
    r = grow(b->domains, &b->capdomains, b->ndomains, sizeof(*b->domains));
    if (!r)
        return ERMES_ENOMEM;
    b->domains = r;
    if (b->pool_cap - b->pool_len < len + 1) {
        size_t cap = b->pool_cap ? b->pool_cap : 4096;
        char *p;

        while (cap - b->pool_len < len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return ERMES_ENOMEM;
        p = ermes__realloc(b->pool, cap);
        if (!p)
            return ERMES_ENOMEM;
        b->pool = p;
        b->pool_cap = cap;
    }
    name = b->pool + b->pool_len;
    for (i = 0; i < len; i++)
        name[i] = lower(domain[i]);
    name[len] = '\0';
    r = &b->domains[b->ndomains++];
    r->hash = name_hash(name, len);
    r->off = (uint32_t)b->pool_len;
    r->len = (uint32_t)len;
    r->org_id = org_id;
    b->pool_len += len + 1;
    return 0;
}

static int net_rule_cmp(const void *pa, const void *pb)
{
    const net_rule_t *a = pa, *b = pb;
    int c = u128_cmp(a->addr, b->addr);

    if (c)
        return c;
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Sorts the rules by (address, prefix) and keeps only the last added of each network. Returns
 * the number of distinct networks. */
static size_t sort_unique(net_list_t *list)
{
    size_t i, n = 0;

    if (list->n == 0)
        return 0;
    qsort(list->v, list->n, sizeof(*list->v), net_rule_cmp);
    for (i = 0; i < list->n; i++) {
        if (i + 1 < list->n && u128_eq(list->v[i].addr, list->v[i + 1].addr) &&
            list->v[i].prefix == list->v[i + 1].prefix)
            continue;
        list->v[n++] = list->v[i];
    }
    list->n = n;
    return n;
}

/* Appends a span, merging with the previous one: a span at the same start replaces it (a
 * network starting where another ends), a span with the same network extends it. */
static void emit(span_t *out, size_t *n, u128_t start, uint32_t net)
{
    if (*n && u128_eq(out[*n - 1].start, start)) {
        out[*n - 1].net = net;
        if (*n >= 2 && out[*n - 2].net == net)
            (*n)--;
        return;
    }
    if (*n && out[*n - 1].net == net)
        return;
    out[*n].start = start;
    out[*n].net = net;
    (*n)++;
}

/* Flattens sorted, distinct CIDR ranges (nested or disjoint) into disjoint spans covering the
 * whole key space [0, max], each with the index of its most specific range. out holds 2n + 1
 * spans. Returns the number of spans. */
static size_t sweep(const range_t *r, size_t n, u128_t max, span_t *out)
{
    uint32_t stack[130]; /* nesting is strictly by prefix length: at most 129 deep */
    size_t depth = 0, nout = 0, i;
    u128_t zero = {0, 0};

    emit(out, &nout, zero, NO_NETWORK);
    for (i = 0; i <= n; i++) {
        /* Close every open range that ends before this one starts (all of them at the end). */
        while (depth && (i == n || u128_cmp(r[stack[depth - 1]].last, r[i].first) < 0)) {
            u128_t last = r[stack[--depth]].last;

            if (!u128_eq(last, max))
                emit(out, &nout, u128_inc(last), depth ? stack[depth - 1] : NO_NETWORK);
        }
        if (i == n)
            break;
        emit(out, &nout, r[i].first, (uint32_t)i);
        stack[depth++] = (uint32_t)i;
    }
    return nout;
}

/* Computes the span range of each bucket: bucket[b] is the last span starting at or before
 * the first key of bucket b, bucket[BUCKETS] the last span. first_bucket[j] is the first
 * bucket whose first key is at or after the start of span j (its start rounded up). */
static void fill_buckets(uint32_t *bucket, size_t nspans, const uint32_t *first_bucket)
{
    size_t j = 0;
    uint32_t b;

    for (b = 0; b < BUCKETS; b++) {
        while (j + 1 < nspans && first_bucket[j + 1] <= b)
            j++;
        bucket[b] = (uint32_t)j;
    }
    bucket[BUCKETS] = (uint32_t)(nspans - 1);
}

/* Builds spans and buckets for one family. The rules are sorted and distinct. */
static int build_family(const net_rule_t *rules, size_t n, unsigned width, span_t **spans_out,
                        size_t *nspans_out, uint32_t **bucket_out)
{
    range_t *ranges = NULL;
    span_t *spans = NULL;
    uint32_t *first_bucket = NULL;
    uint32_t *bucket = NULL;
    u128_t max = host_mask(0, width);
    size_t nspans, i;
    int rc = ERMES_ENOMEM;

    ranges = ermes__reallocarray(NULL, n, sizeof(*ranges));
    spans = ermes__reallocarray(NULL, 2 * n + 1, sizeof(*spans));
    if (!ranges || !spans)
        goto out;
    for (i = 0; i < n; i++) {
        u128_t host = host_mask(rules[i].prefix, width);

        ranges[i].first = rules[i].addr;
        ranges[i].last.hi = rules[i].addr.hi | host.hi;
        ranges[i].last.lo = rules[i].addr.lo | host.lo;
    }
    nspans = sweep(ranges, n, max, spans);

    first_bucket = ermes__reallocarray(NULL, nspans, sizeof(*first_bucket));
    bucket = ermes__reallocarray(NULL, BUCKETS + 1, sizeof(*bucket));
    if (!first_bucket || !bucket)
        goto out;
    for (i = 0; i < nspans; i++) {
        uint64_t top, rest;

        if (width == 32) {
            top = spans[i].start.lo >> 16;
            rest = spans[i].start.lo & 0xffff;
        } else {
            top = spans[i].start.hi >> 48;
            rest = (spans[i].start.hi & 0xffffffffffffull) | spans[i].start.lo;
        }
        first_bucket[i] = (uint32_t)(top + (rest != 0));
    }
    fill_buckets(bucket, nspans, first_bucket);

    *spans_out = spans;
    *nspans_out = nspans;
    *bucket_out = bucket;
    spans = NULL;
    bucket = NULL;
    rc = 0;
out:
    ermes__free(ranges);
    ermes__free(spans);
    ermes__free(first_bucket);
    ermes__free(bucket);
    return rc;
}

static void index_free(ermes_ownership_t *idx)
{
    if (!idx)
        return;
    ermes__free(idx->net4);
    ermes__free(idx->span4);
    ermes__free(idx->bucket4);
    ermes__free(idx->net6);
    ermes__free(idx->span6);
    ermes__free(idx->bucket6);
    ermes__free(idx->asns);
    ermes__free(idx->domains);
    ermes__free(idx->pool);
    ermes__free(idx);
}

static int build_networks4(ermes_ownership_t *idx, ermes_ownership_builder_t *b)
{
    span_t *spans = NULL;
    size_t n = sort_unique(&b->net4), i;
    int rc;

    if (n == 0)
        return 0;
    idx->net4 = ermes__reallocarray(NULL, n, sizeof(*idx->net4));
    if (!idx->net4)
        return ERMES_ENOMEM;
    for (i = 0; i < n; i++) {
        idx->net4[i].addr = (uint32_t)b->net4.v[i].addr.lo;
        idx->net4[i].prefix = b->net4.v[i].prefix;
        idx->net4[i].org_id = b->net4.v[i].org_id;
    }
    idx->nnet4 = n;
    rc = build_family(b->net4.v, n, 32, &spans, &idx->nspan4, &idx->bucket4);
    if (rc)
        return rc;
    idx->span4 = ermes__reallocarray(NULL, idx->nspan4, sizeof(*idx->span4));
    if (!idx->span4) {
        ermes__free(spans);
        return ERMES_ENOMEM;
    }
    for (i = 0; i < idx->nspan4; i++) {
        idx->span4[i].start = (uint32_t)spans[i].start.lo;
        idx->span4[i].net = spans[i].net;
    }
    ermes__free(spans);
    idx->bytes += n * sizeof(*idx->net4) + idx->nspan4 * sizeof(*idx->span4) +
                  (BUCKETS + 1) * sizeof(*idx->bucket4);
    return 0;
}

static int build_networks6(ermes_ownership_t *idx, ermes_ownership_builder_t *b)
{
    span_t *spans = NULL;
    size_t n = sort_unique(&b->net6), i;
    int rc;

    if (n == 0)
        return 0;
    idx->net6 = ermes__reallocarray(NULL, n, sizeof(*idx->net6));
    if (!idx->net6)
        return ERMES_ENOMEM;
    for (i = 0; i < n; i++) {
        idx->net6[i].addr = b->net6.v[i].addr;
        idx->net6[i].prefix = b->net6.v[i].prefix;
        idx->net6[i].org_id = b->net6.v[i].org_id;
    }
    idx->nnet6 = n;
    rc = build_family(b->net6.v, n, 128, &spans, &idx->nspan6, &idx->bucket6);
    if (rc)
        return rc;
    idx->span6 = ermes__reallocarray(NULL, idx->nspan6, sizeof(*idx->span6));
    if (!idx->span6) {
        ermes__free(spans);
        return ERMES_ENOMEM;
    }
    for (i = 0; i < idx->nspan6; i++) {
        idx->span6[i].start = spans[i].start;
        idx->span6[i].net = spans[i].net;
    }
    ermes__free(spans);
    idx->bytes += n * sizeof(*idx->net6) + idx->nspan6 * sizeof(*idx->span6) +
                  (BUCKETS + 1) * sizeof(*idx->bucket6);
    return 0;
}

static size_t asn_slot_of(uint32_t asn, size_t mask)
{
    return (size_t)(mix64(asn) & mask);
}

static int build_asns(ermes_ownership_t *idx, const ermes_ownership_builder_t *b)
{
    size_t size, i;

    if (b->nasns == 0)
        return 0;
    size = table_size(b->nasns);
    idx->asns = ermes__calloc(size, sizeof(*idx->asns));
    if (!idx->asns)
        return ERMES_ENOMEM;
    idx->asn_mask = size - 1;
    /* Insert in the order added, overwriting: the last rule for an ASN wins. */
    for (i = 0; i < b->nasns; i++) {
        size_t s = asn_slot_of(b->asns[i].asn, idx->asn_mask);

        while (idx->asns[s].asn != 0 && idx->asns[s].asn != b->asns[i].asn)
            s = (s + 1) & idx->asn_mask;
        if (idx->asns[s].asn == 0)
            idx->nasns++;
        idx->asns[s].asn = b->asns[i].asn;
        idx->asns[s].org_id = b->asns[i].org_id;
    }
    idx->bytes += size * sizeof(*idx->asns);
    return 0;
}

static int build_domains(ermes_ownership_t *idx, const ermes_ownership_builder_t *b)
{
    size_t size, i, pool_len = 0;

    if (b->ndomains == 0)
        return 0;
    size = table_size(b->ndomains);
    idx->domains = ermes__calloc(size, sizeof(*idx->domains));
    if (!idx->domains)
        return ERMES_ENOMEM;
    idx->domain_mask = size - 1;
    /* First pass: slots point into the builder's pool; the last rule for a name wins. */
    for (i = 0; i < b->ndomains; i++) {
        const domain_rule_t *r = &b->domains[i];
        size_t s = (size_t)(r->hash & idx->domain_mask);
        domain_slot_t *slot;

        for (;;) {
            slot = &idx->domains[s];
            if (slot->len == 0)
                break;
            if (slot->hash == r->hash && slot->len == r->len &&
                memcmp(b->pool + slot->off, b->pool + r->off, r->len) == 0)
                break;
            s = (s + 1) & idx->domain_mask;
        }
        if (slot->len == 0) {
            idx->ndomains++;
            pool_len += r->len + 1;
        }
        slot->hash = r->hash;
        slot->off = r->off;
        slot->len = r->len;
        slot->org_id = r->org_id;
    }
    /* Second pass: copy only the distinct names into the index's own pool. */
    idx->pool = ermes__malloc(pool_len);
    if (!idx->pool)
        return ERMES_ENOMEM;
    idx->pool_len = 0;
    for (i = 0; i < size; i++) {
        domain_slot_t *slot = &idx->domains[i];
        unsigned labels = 1;
        uint32_t k;

        if (slot->len == 0)
            continue;
        memcpy(idx->pool + idx->pool_len, b->pool + slot->off, slot->len + 1);
        for (k = 0; k < slot->len; k++)
            labels += idx->pool[idx->pool_len + k] == '.';
        if (labels > idx->max_labels)
            idx->max_labels = labels;
        slot->off = (uint32_t)idx->pool_len;
        idx->pool_len += slot->len + 1;
    }
    idx->bytes += size * sizeof(*idx->domains) + pool_len;
    return 0;
}

int ermes_ownership_build(ermes_ownership_builder_t *b, ermes_ownership_t **out)
{
    ermes_ownership_t *idx;
    int rc;

    if (!b || !out)
        return ERMES_EINVAL;
    idx = ermes__calloc(1, sizeof(*idx));
    if (!idx)
        return ERMES_ENOMEM;
    atomic_init(&idx->refs, 1);
    idx->bytes = sizeof(*idx);
    /* On failure the builder keeps the same rules (sorted, duplicates resolved), so the caller
     * may retry or add more. */
    rc = build_networks4(idx, b);
    if (!rc)
        rc = build_networks6(idx, b);
    if (!rc)
        rc = build_asns(idx, b);
    if (!rc)
        rc = build_domains(idx, b);
    if (rc) {
        index_free(idx);
        return rc;
    }
    builder_reset(b);
    *out = idx;
    return 0;
}

ermes_ownership_t *ermes_ownership_retain(ermes_ownership_t *idx)
{
    if (idx)
        atomic_fetch_add_explicit(&idx->refs, 1, memory_order_relaxed);
    return idx;
}

void ermes_ownership_release(ermes_ownership_t *idx)
{
    if (!idx)
        return;
    /* acq_rel: the thread that frees must see every other thread's last use of the index. */
    if (atomic_fetch_sub_explicit(&idx->refs, 1, memory_order_acq_rel) == 1)
        index_free(idx);
}

static void no_owner(ermes_owner_t *out)
{
    memset(out, 0, sizeof(*out));
    out->rule = ERMES_OWNER_NONE;
}

static uint32_t find4(const ermes_ownership_t *idx, uint32_t a)
{
    uint32_t b = a >> 16;
    uint32_t lo = idx->bucket4[b], hi = idx->bucket4[b + 1];

    /* The last span in [lo, hi] starting at or before a; span lo always qualifies. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;

        if (idx->span4[mid].start <= a)
            lo = mid;
        else
            hi = mid - 1;
    }
    return idx->span4[lo].net;
}

static uint32_t find6(const ermes_ownership_t *idx, u128_t a)
{
    uint32_t b = (uint32_t)(a.hi >> 48);
    uint32_t lo = idx->bucket6[b], hi = idx->bucket6[b + 1];

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;

        if (u128_cmp(idx->span6[mid].start, a) <= 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    return idx->span6[lo].net;
}

static int asn_lookup(const ermes_ownership_t *idx, uint32_t asn, ermes_owner_t *out)
{
    size_t s;

    if (asn == 0 || idx->nasns == 0)
        return 0;
    s = asn_slot_of(asn, idx->asn_mask);
    while (idx->asns[s].asn != 0) {
        if (idx->asns[s].asn == asn) {
            out->org_id = idx->asns[s].org_id;
            out->rule = ERMES_OWNER_ASN;
            out->asn = asn;
            return 1;
        }
        s = (s + 1) & idx->asn_mask;
    }
    return 0;
}

int ermes_ownership_ip(const ermes_ownership_t *idx, const ermes_ip_t *ip, uint32_t asn_hint,
                       ermes_owner_t *out)
{
    no_owner(out);
    if (!idx || !ip)
        return 0;
    if (ip->family == ERMES_AF_INET && idx->nnet4) {
        uint32_t n = find4(idx, load_be32(ip->bytes));

        if (n != NO_NETWORK) {
            const net4_t *net = &idx->net4[n];

            out->org_id = net->org_id;
            out->rule = ERMES_OWNER_NETWORK;
            out->network.addr.family = ERMES_AF_INET;
            out->network.addr.bytes[0] = (uint8_t)(net->addr >> 24);
            out->network.addr.bytes[1] = (uint8_t)(net->addr >> 16);
            out->network.addr.bytes[2] = (uint8_t)(net->addr >> 8);
            out->network.addr.bytes[3] = (uint8_t)net->addr;
            out->network.prefix = net->prefix;
            return 1;
        }
    } else if (ip->family == ERMES_AF_INET6 && idx->nnet6) {
        u128_t a;
        uint32_t n;

        a.hi = load_be64(ip->bytes);
        a.lo = load_be64(ip->bytes + 8);
        n = find6(idx, a);
        if (n != NO_NETWORK) {
            const net6_t *net = &idx->net6[n];

            out->org_id = net->org_id;
            out->rule = ERMES_OWNER_NETWORK;
            out->network.addr.family = ERMES_AF_INET6;
            store_be64(out->network.addr.bytes, net->addr.hi);
            store_be64(out->network.addr.bytes + 8, net->addr.lo);
            out->network.prefix = net->prefix;
            return 1;
        }
    }
    return asn_lookup(idx, asn_hint, out);
}

/* 1 when the first p bits of a and b are equal (p 0..128). */
static int same_prefix6(u128_t a, u128_t b, unsigned p)
{
    if (p == 0)
        return 1;
    if (p <= 64)
        return (a.hi >> (64 - p)) == (b.hi >> (64 - p));
    if (a.hi != b.hi)
        return 0;
    return p == 128 || (a.lo >> (128 - p)) == (b.lo >> (128 - p));
}

int ermes_ownership_networks(const ermes_ownership_t *idx, const ermes_cidr_t *q,
                             ermes_ownership_network_cb cb, void *ctx)
{
    ermes_owner_t o;
    size_t i;
    int rc;

    if (!idx || !q || !cb)
        return 0;
    /* Registered networks are nested or disjoint, and so are they and q: a network overlaps q
     * exactly when the shorter of the two prefixes matches. A scan of one family's networks:
     * an interactive question, not the per-event path. */
    if (q->addr.family == ERMES_AF_INET) {
        uint32_t qa = load_be32(q->addr.bytes);
        for (i = 0; i < idx->nnet4; i++) {
            const net4_t *n = &idx->net4[i];
            unsigned p = n->prefix < q->prefix ? n->prefix : q->prefix;
            if (p && (n->addr >> (32 - p)) != (qa >> (32 - p)))
                continue;
            no_owner(&o);
            o.org_id = n->org_id;
            o.rule = ERMES_OWNER_NETWORK;
            o.network.addr.family = ERMES_AF_INET;
            o.network.addr.bytes[0] = (uint8_t)(n->addr >> 24);
            o.network.addr.bytes[1] = (uint8_t)(n->addr >> 16);
            o.network.addr.bytes[2] = (uint8_t)(n->addr >> 8);
            o.network.addr.bytes[3] = (uint8_t)n->addr;
            o.network.prefix = n->prefix;
            if ((rc = cb(ctx, &o)))
                return rc;
        }
    } else if (q->addr.family == ERMES_AF_INET6) {
        u128_t qa;
        qa.hi = load_be64(q->addr.bytes);
        qa.lo = load_be64(q->addr.bytes + 8);
        for (i = 0; i < idx->nnet6; i++) {
            const net6_t *n = &idx->net6[i];
            unsigned p = n->prefix < q->prefix ? n->prefix : q->prefix;
            if (!same_prefix6(n->addr, qa, p))
                continue;
            no_owner(&o);
            o.org_id = n->org_id;
            o.rule = ERMES_OWNER_NETWORK;
            o.network.addr.family = ERMES_AF_INET6;
            store_be64(o.network.addr.bytes, n->addr.hi);
            store_be64(o.network.addr.bytes + 8, n->addr.lo);
            o.network.prefix = n->prefix;
            if ((rc = cb(ctx, &o)))
                return rc;
        }
    }
    return 0;
}

int ermes_ownership_asn(const ermes_ownership_t *idx, uint32_t asn, ermes_owner_t *out)
{
    no_owner(out);
    if (!idx)
        return 0;
    return asn_lookup(idx, asn, out);
}

static const domain_slot_t *domain_find(const ermes_ownership_t *idx, const char *name, size_t len,
                                        uint64_t hash)
{
    size_t s = (size_t)(hash & idx->domain_mask);

    for (;;) {
        const domain_slot_t *slot = &idx->domains[s];

        if (slot->len == 0)
            return NULL;
        if (slot->hash == hash && slot->len == len && memcmp(idx->pool + slot->off, name, len) == 0)
            return slot;
        s = (s + 1) & idx->domain_mask;
    }
}

int ermes_ownership_domain(const ermes_ownership_t *idx, const char *name, size_t len,
                           ermes_owner_t *out)
{
    char buf[DOMAIN_MAX];
    uint64_t hashes[LABELS_MAX];
    uint8_t starts[LABELS_MAX]; /* suffix k starts at buf + starts[k]; k = 0 is the TLD */
    unsigned nsuffix = 0, k;
    uint64_t h = FNV_OFFSET;
    size_t i;

    no_owner(out);
    if (!idx || !name || idx->ndomains == 0)
        return 0;
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > DOMAIN_MAX)
        return 0;
    /* One pass from the end: lower-case into buf and record the hash of every suffix that
     * starts on a label boundary. */
    for (i = len; i-- > 0;) {
        char c = lower(name[i]);

        buf[i] = c;
        if (c == '.') {
            if (i == 0 || i + 1 == len || buf[i + 1] == '.')
                return 0; /* empty label */
            hashes[nsuffix] = mix64(h);
            starts[nsuffix] = (uint8_t)(i + 1);
            nsuffix++;
        }
        h ^= (unsigned char)c;
        h *= FNV_PRIME;
    }
    hashes[nsuffix] = mix64(h);
    starts[nsuffix] = 0;
    nsuffix++;

    /* Longest suffix first; suffixes with more labels than any registered name cannot hit. */
    for (k = nsuffix; k-- > 0;) {
        const domain_slot_t *slot;

        if (k + 1 > idx->max_labels)
            continue;
        slot = domain_find(idx, buf + starts[k], len - starts[k], hashes[k]);
        if (slot) {
            out->org_id = slot->org_id;
            out->rule = ERMES_OWNER_DOMAIN;
            out->domain = idx->pool + slot->off;
            return 1;
        }
    }
    return 0;
}

void ermes_ownership_stats(const ermes_ownership_t *idx, ermes_ownership_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!idx)
        return;
    out->networks4 = idx->nnet4;
    out->networks6 = idx->nnet6;
    out->asns = idx->nasns;
    out->domains = idx->ndomains;
    out->bytes = idx->bytes;
}
