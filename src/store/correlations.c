/* The correlation index (migration 31): one posting per (value, object that mentions it), keyed
 * by a 64-bit number that stands for the distinct value. The value itself is not stored again:
 * it stays in the row that mentions it (indicators.value, events.source_ip, ...), and a lookup
 * reads those rows back to check them, so the index costs a few integers per mention instead of
 * MISP's row per pair of attributes that share a value (which grows with the square of a
 * popular value's mentions).
 *
 * The key: the top four bits say what kind of value it is (ERMES__CORR_TAG_*), the 60 below are
 * the value. An IPv4 address is its 32 bits, so the addresses of a network are one range of
 * keys; an IPv6 address is its first 60 bits (the same property for networks up to /60, and a
 * lookup checks the rows for the rest); any other value is a 60-bit hash of its normal form
 * (FNV-1a, then a mixing step). Collisions are harmless: every object a posting names is read
 * back and compared with the value asked about before it is shown.
 *
 * The index follows the tables it covers from a watermark per table (corr_state): each call of
 * ermes__store_corr_sync indexes the rows added since, in batches of one transaction each, so
 * writers (the intake above all) pay nothing for it. */
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "ermes/detect.h"
#include "ermes/net.h"
#include "store/store_int.h"

#define TAG_SHIFT 60
#define LOW_MASK ((UINT64_C(1) << TAG_SHIFT) - 1)

static int64_t make_key(int tag, uint64_t low)
{
    return (int64_t)(((uint64_t)tag << TAG_SHIFT) | (low & LOW_MASK));
}

static uint64_t ip_low(const ermes_ip_t *ip)
{
    uint64_t x = 0;
    int i, n = ip->family == ERMES_AF_INET ? 4 : 8;

    for (i = 0; i < n; i++)
        x = (x << 8) | ip->bytes[i];
    /* IPv6: the first 60 of the 64 bits read. */
    return ip->family == ERMES_AF_INET ? x : x >> 4;
}

static uint64_t hash60(const char *s, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    /* FNV alone leaves the high bits weak for short strings; a 64-bit finaliser spreads them. */
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static void lower(char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        s[i] = (char)tolower((unsigned char)s[i]);
}

int ermes__corr_norm(const char *type, const char *value, size_t len, ermes__corr_value_t *out)
{
    ermes_ind_type_t t = ERMES_IND_NONE;
    ermes_cidr_t net;

    if (!value || len == 0)
        return ERMES_EINVAL;
    if (len > ERMES__CORR_VALUE_MAX)
        return ERMES_ETOOBIG;
    memset(out, 0, sizeof(*out));
    if (type && *type)
        t = ermes_ind_type_parse(type, strlen(type));
    if (t == ERMES_IND_NONE && type && (!strcmp(type, "ip") || !strcmp(type, "fqdn")))
        t = !strcmp(type, "ip") ? ERMES_IND_CIDR : ERMES_IND_DOMAIN;
    if (t == ERMES_IND_NONE)
        t = ermes_ind_type_guess(value, len);
    switch (t) {
    case ERMES_IND_IPV4:
    case ERMES_IND_IPV6:
    case ERMES_IND_CIDR:
        if (ermes_cidr_parse(value, len, ERMES_CIDR_LENIENT, &net, NULL) == 0) {
            unsigned full = net.addr.family == ERMES_AF_INET ? 32 : 128;

            out->net = net;
            if (net.prefix == full) {
                out->tag =
                    net.addr.family == ERMES_AF_INET ? ERMES__CORR_TAG_IPV4 : ERMES__CORR_TAG_IPV6;
                out->len = ermes_ip_format(&net.addr, out->text);
            } else {
                out->tag = ERMES__CORR_TAG_CIDR;
                out->len = ermes_cidr_format(&net, out->text);
            }
            return 0;
        }
        break; /* not an address after all: kept as it is */
    case ERMES_IND_DOMAIN:
        out->tag = ERMES__CORR_TAG_DOMAIN;
        while (len > 1 && value[len - 1] == '.')
            len--;
        memcpy(out->text, value, len);
        lower(out->text, len);
        out->len = len;
        return 0;
    case ERMES_IND_URL:
        out->tag = ERMES__CORR_TAG_URL;
        memcpy(out->text, value, len);
        out->len = len;
        return 0;
    case ERMES_IND_MD5:
    case ERMES_IND_SHA1:
    case ERMES_IND_SHA256:
    case ERMES_IND_SHA512:
    case ERMES_IND_JA3:
        out->tag = ERMES__CORR_TAG_HASH;
        memcpy(out->text, value, len);
        lower(out->text, len);
        out->len = len;
        return 0;
    case ERMES_IND_EMAIL:
        out->tag = ERMES__CORR_TAG_EMAIL;
        memcpy(out->text, value, len);
        lower(out->text, len);
        out->len = len;
        return 0;
    default:
        break;
    }
    out->tag = ERMES__CORR_TAG_OTHER;
    memcpy(out->text, value, len);
    out->len = len;
    return 0;
}

int64_t ermes__corr_key(const ermes__corr_value_t *v)
{
    if (v->tag == ERMES__CORR_TAG_IPV4 || v->tag == ERMES__CORR_TAG_IPV6)
        return make_key(v->tag, ip_low(&v->net.addr));
    return make_key(v->tag, hash60(v->text, v->len));
}

void ermes__corr_range(const ermes_cidr_t *net, int64_t *lo, int64_t *hi)
{
    ermes_ip_t last = net->addr;
    unsigned bits = net->addr.family == ERMES_AF_INET ? 32 : 128, i;
    int tag = net->addr.family == ERMES_AF_INET ? ERMES__CORR_TAG_IPV4 : ERMES__CORR_TAG_IPV6;

    for (i = net->prefix; i < bits; i++)
        last.bytes[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    *lo = make_key(tag, ip_low(&net->addr));
    *hi = make_key(tag, ip_low(&last));
}

/* ---- writing ---------------------------------------------------------------------------- */

static int add_posting(ermes__db_t *db, int64_t key, int kind, int64_t id)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc =
             ermes__db_prepare(db,
                               "INSERT INTO corr_postings (value_key, kind, id) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT DO NOTHING",
                               &s)))
        return rc;
    ermes__db_bind_int(s, 1, key);
    ermes__db_bind_int(s, 2, kind);
    ermes__db_bind_int(s, 3, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* The prefix lengths of the networks in the index, so that a lookup of an address asks only
 * for the networks of lengths that exist (a few point lookups rather than 33 or 129). */
static int add_prefix(ermes__db_t *db, const ermes_cidr_t *net)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO corr_prefixes (family, prefix) VALUES (?1, ?2)"
                                " ON CONFLICT DO NOTHING",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, net->addr.family);
    ermes__db_bind_int(s, 2, net->prefix);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int add_key(ermes__db_t *db, int64_t key, int tag, const ermes_cidr_t *net, int kind,
                   int64_t id)
{
    int rc;

    if ((rc = add_posting(db, key, kind, id)))
        return rc;
    return tag == ERMES__CORR_TAG_CIDR ? add_prefix(db, net) : 0;
}

int ermes__store_corr_add_value(ermes__store_t *st, const ermes__corr_value_t *v, int kind,
                                int64_t id)
{
    ermes__db_t *db = ermes__db_conn(st);

    if (!db)
        return ERMES_ESTORE;
    return add_key(db, ermes__corr_key(v), v->tag, &v->net, kind, id);
}

int ermes__store_corr_add(ermes__store_t *st, const char *type, const char *value, size_t len,
                          int kind, int64_t id)
{
    ermes__corr_value_t *v = malloc(sizeof(*v));
    int rc;

    if (!v)
        return ERMES_ENOMEM;
    rc = ermes__corr_norm(type, value, len, v);
    /* A value that is no value (empty, too long to be one) is simply not indexed. */
    if (rc == ERMES_EINVAL || rc == ERMES_ETOOBIG)
        rc = 0;
    else if (rc == 0)
        rc = ermes__store_corr_add_value(st, v, kind, id);
    free(v);
    return rc;
}

int ermes__store_corr_add_many(ermes__store_t *st, const ermes__corr_posting_t *p, size_t n)
{
    ermes__db_t *db = ermes__db_conn(st);
    size_t i;
    int rc = 0, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    for (i = 0; i < n && rc == 0; i++)
        rc = add_posting(db, p[i].key, p[i].kind, p[i].id);
    return ermes__tx_end(db, owned, rc);
}

/* What each covered table gives the index: its rows past the watermark, a batch at a time, as
 * (id, type, value) with type NULL where the column says it (events: an address blob in
 * column 2 and a name in column 3). */
typedef struct corr_source {
    const char *name;
    int kind;
    const char *sql; /* ?1 = watermark, ?2 = batch size */
} corr_source_t;

static const corr_source_t sources[] = {
    {"indicators", ERMES__CORR_INDICATOR,
     "SELECT id, type, value FROM indicators WHERE id > ?1 ORDER BY id LIMIT ?2"},
    {"events", ERMES__CORR_EVENT,
     "SELECT id, source_ip, source_fqdn FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"},
    {"sightings", ERMES__CORR_SIGHTING,
     "SELECT s.id, i.type, s.value FROM sightings s JOIN indicators i ON i.id = s.indicator_id"
     " WHERE s.id > ?1 ORDER BY s.id LIMIT ?2"},
    {"incident_observables", ERMES__CORR_OBSERVABLE,
     "SELECT id, type, value FROM incident_observables WHERE id > ?1 ORDER BY id LIMIT ?2"},
};

#define SYNC_BATCH 5000

/* One row read: its id and up to two values (an event's address and name), kept as keys. */
typedef struct corr_row {
    int64_t id;
    int64_t key[2];
    ermes_cidr_t net[2]; /* for the networks' prefix lengths */
    int tag[2];
    int n;
} corr_row_t;

static void row_take(corr_row_t *r, const ermes__corr_value_t *v)
{
    r->key[r->n] = ermes__corr_key(v);
    r->net[r->n] = v->net;
    r->tag[r->n] = v->tag;
    r->n++;
}

/* An event's values as the index holds them: its source.ip (b, blen bytes) and its
 * source.fqdn, each taken into r. v is scratch. */
static void event_values(corr_row_t *r, const uint8_t *b, size_t blen, const char *fqdn,
                         ermes__corr_value_t *v)
{
    if (b && (blen == 4 || blen == 16)) {
        memset(&v->net, 0, sizeof(v->net));
        v->net.addr.family = blen == 4 ? ERMES_AF_INET : ERMES_AF_INET6;
        memcpy(v->net.addr.bytes, b, blen);
        v->net.prefix = blen == 4 ? 32 : 128;
        v->tag = blen == 4 ? ERMES__CORR_TAG_IPV4 : ERMES__CORR_TAG_IPV6;
        v->len = 0;
        row_take(r, v);
    }
    if (fqdn && *fqdn && ermes__corr_norm("domain", fqdn, strlen(fqdn), v) == 0)
        row_take(r, v);
}

int ermes__store_corr_forget_event(ermes__store_t *st, int64_t id, const void *ip, size_t iplen,
                                   const char *fqdn)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__corr_value_t *v;
    ermes__db_stmt_t *s;
    corr_row_t r;
    int rc = 0;

    if (!db)
        return ERMES_ESTORE;
    if (!(v = malloc(sizeof(*v))))
        return ERMES_ENOMEM;
    r.n = 0;
    event_values(&r, ip, iplen, fqdn, v);
    free(v);
    if (!r.n)
        return 0;
    for (int k = 0; k < r.n && rc >= 0; k++) {
        if ((rc = ermes__db_prepare(
                 db, "DELETE FROM corr_postings WHERE value_key = ?1 AND kind = ?2 AND id = ?3",
                 &s)))
            return rc;
        ermes__db_bind_int(s, 1, r.key[k]);
        ermes__db_bind_int(s, 2, ERMES__CORR_EVENT);
        ermes__db_bind_int(s, 3, id);
        rc = ermes__db_step(s);
        ermes__db_done(s);
    }
    return rc < 0 ? rc : 0;
}

static int read_watermark(ermes__db_t *db, const char *name, int64_t *through)
{
    ermes__db_stmt_t *s;
    int rc;

    *through = 0;
    if ((rc = ermes__db_prepare(db, "SELECT through_id FROM corr_state WHERE source = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    rc = ermes__db_step(s);
    if (rc == 1)
        *through = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int write_watermark(ermes__db_t *db, const char *name, int64_t through)
{
    ermes__db_stmt_t *s;
    int rc;

    /* The CERT's own bookkeeping: AMBER+STRICT, no owner. */
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO corr_state (source, through_id, tlp, owner_org_id,"
             " created_at, updated_at) VALUES (?1, ?2, 'AMBER+STRICT', NULL,"
             " ?3, ?3) ON CONFLICT (source) DO UPDATE SET"
             " through_id = excluded.through_id, updated_at = excluded.updated_at",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, through);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* Reads one batch of src past *through into rows (up to SYNC_BATCH); *n rows read. */
static int read_batch(ermes__db_t *db, const corr_source_t *src, int64_t through, corr_row_t *rows,
                      size_t *n, ermes__corr_value_t *v)
{
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if ((rc = ermes__db_prepare(db, src->sql, &s)))
        return rc;
    ermes__db_bind_int(s, 1, through);
    ermes__db_bind_int(s, 2, SYNC_BATCH);
    while ((rc = ermes__db_step(s)) == 1) {
        corr_row_t *r = &rows[(*n)++];

        r->id = ermes__db_col_int(s, 0);
        r->n = 0;
        if (src->kind == ERMES__CORR_EVENT) {
            size_t blen = 0;
            const uint8_t *b = ermes__db_col_blob(s, 1, &blen);

            event_values(r, b, blen, ermes__db_col_text(s, 2), v);
        } else {
            const char *type = ermes__db_col_text(s, 1), *value = ermes__db_col_text(s, 2);

            if (value && ermes__corr_norm(type, value, strlen(value), v) == 0)
                row_take(r, v);
        }
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_corr_pending(ermes__store_t *st, int64_t cap, int64_t *pending)
{
    ermes__db_t *db = ermes__db_conn(st);
    int rc = 0;

    *pending = 0;
    if (!db)
        return ERMES_ESTORE;
    for (size_t k = 0; k < sizeof(sources) / sizeof(sources[0]) && *pending < cap; k++) {
        static const char *const sql[] = {
            "SELECT count(*) FROM (SELECT 1 FROM indicators WHERE id > ?1 LIMIT ?2) AS p",
            "SELECT count(*) FROM (SELECT 1 FROM events WHERE id > ?1 LIMIT ?2) AS p",
            "SELECT count(*) FROM (SELECT 1 FROM sightings WHERE id > ?1 LIMIT ?2) AS p",
            ("SELECT count(*) FROM (SELECT 1 FROM incident_observables WHERE id > ?1 LIMIT ?2)"
             " AS p"),
        };
        ermes__db_stmt_t *s;
        int64_t through;

        _Static_assert(sizeof(sql) / sizeof(sql[0]) == sizeof(sources) / sizeof(sources[0]),
                       "one count per source");
        if ((rc = read_watermark(db, sources[k].name, &through)) ||
            (rc = ermes__db_prepare(db, sql[k], &s)))
            return rc;
        ermes__db_bind_int(s, 1, through);
        ermes__db_bind_int(s, 2, cap - *pending);
        if ((rc = ermes__db_step(s)) == 1)
            *pending += ermes__db_col_int(s, 0);
        ermes__db_done(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ermes__store_corr_sync(ermes__store_t *st, int64_t *added)
{
    return ermes__store_corr_sync_some(st, 0, added, NULL);
}

int ermes__store_corr_sync_some(ermes__store_t *st, int64_t max_rows, int64_t *added, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    corr_row_t *rows = NULL;
    ermes__corr_value_t *v = NULL;
    int64_t done = 0;
    size_t i, k, n;
    int rc = 0, j;

    if (added)
        *added = 0;
    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if (ermes__db_in_tx(db))
        return ERMES_EINVAL; /* it commits a batch at a time */
    rows = malloc(sizeof(*rows) * SYNC_BATCH);
    v = malloc(sizeof(*v));
    if (!rows || !v) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    for (k = 0; k < sizeof(sources) / sizeof(sources[0]); k++) {
        const corr_source_t *src = &sources[k];

        for (;;) {
            int64_t through;

            if ((rc = ermes__db_begin(db, 1)))
                goto out;
            if ((rc = read_watermark(db, src->name, &through)) ||
                (rc = read_batch(db, src, through, rows, &n, v))) {
                ermes__db_rollback(db);
                goto out;
            }
            if (n == 0) {
                ermes__db_rollback(db);
                break;
            }
            for (i = 0; i < n; i++)
                for (j = 0; j < rows[i].n; j++)
                    if ((rc = add_key(db, rows[i].key[j], rows[i].tag[j], &rows[i].net[j],
                                      src->kind, rows[i].id))) {
                        ermes__db_rollback(db);
                        goto out;
                    }
            if ((rc = write_watermark(db, src->name, rows[n - 1].id)) ||
                (rc = ermes__db_commit(db))) {
                ermes__db_rollback(db);
                goto out;
            }
            if (added)
                *added += (int64_t)n;
            done += (int64_t)n;
            if (n < SYNC_BATCH)
                break;
            if (max_rows > 0 && done >= max_rows) {
                if (more)
                    *more = 1;
                goto out;
            }
        }
    }
out:
    free(v);
    free(rows);
    return rc;
}

/* ---- reading ---------------------------------------------------------------------------- */

int ermes__store_corr_count(ermes__store_t *st, int64_t lo, int64_t hi, int64_t cap, int64_t *count)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *count = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT count(*) FROM (SELECT 1 FROM corr_postings"
                                " WHERE value_key BETWEEN ?1 AND ?2 LIMIT ?3) AS c",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, lo);
    ermes__db_bind_int(s, 2, hi);
    ermes__db_bind_int(s, 3, cap);
    rc = ermes__db_step(s);
    if (rc == 1)
        *count = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_corr_each(ermes__store_t *st, int64_t lo, int64_t hi, long limit,
                           ermes__store_corr_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "SELECT value_key, kind, id FROM corr_postings WHERE value_key BETWEEN ?1 AND ?2"
             " ORDER BY value_key, kind, id LIMIT ?3",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, lo);
    ermes__db_bind_int(s, 2, hi);
    ermes__db_bind_int(s, 3, limit > 0 ? limit : -1);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), (int)ermes__db_col_int(s, 1),
                     ermes__db_col_int(s, 2))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_corr_prefixes(ermes__store_t *st, int family, uint8_t *prefixes, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT prefix FROM corr_prefixes WHERE family = ?1 ORDER BY prefix", &s)))
        return rc;
    ermes__db_bind_int(s, 1, family);
    while ((rc = ermes__db_step(s)) == 1) {
        int64_t p = ermes__db_col_int(s, 0);

        if (p >= 0 && p <= 128 && *n < 129)
            prefixes[(*n)++] = (uint8_t)p;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static void set_text(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;

    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static ermes_tlp_t tlp_of(const char *t)
{
    ermes_tlp_t tlp;

    /* Unreadable labels are treated as the most restrictive one. */
    if (!t || ermes_tlp_parse(t, strlen(t), &tlp))
        return ERMES_TLP_RED;
    return tlp;
}

int ermes__store_corr_object(ermes__store_t *st, int kind, int64_t id, ermes__corr_object_t *o)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    const char *sql;
    int rc;

    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->id = id;
    if (!db)
        return ERMES_ESTORE;
    switch (kind) {
    case ERMES__CORR_INDICATOR:
        sql = "SELECT type, value, NULL, tlp, owner_org_id, NULL, source, id FROM indicators"
              " WHERE id = ?1";
        break;
    case ERMES__CORR_EVENT:
        sql = "SELECT NULL, source_fqdn, source_ip, tlp, owner_org_id, org_id, feed, id"
              " FROM events WHERE id = ?1";
        break;
    case ERMES__CORR_SIGHTING:
        sql = "SELECT i.type, s.value, NULL, s.tlp, s.owner_org_id, s.org_id, s.log_source,"
              " s.indicator_id FROM sightings s JOIN indicators i ON i.id = s.indicator_id"
              " WHERE s.id = ?1";
        break;
    case ERMES__CORR_OBSERVABLE:
        sql = "SELECT o.type, o.value, NULL, i.tlp, i.owner_org_id, i.org_id, i.title, i.id"
              " FROM incident_observables o JOIN incidents i ON i.id = o.incident_id"
              " WHERE o.id = ?1";
        break;
    default:
        return ERMES_EINVAL;
    }
    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        size_t blen = 0;
        const uint8_t *b = ermes__db_col_blob(s, 2, &blen);

        set_text(o->type, sizeof(o->type), ermes__db_col_text(s, 0));
        set_text(o->value, sizeof(o->value), ermes__db_col_text(s, 1));
        if (b && (blen == 4 || blen == 16)) {
            o->ip.family = blen == 4 ? ERMES_AF_INET : ERMES_AF_INET6;
            memcpy(o->ip.bytes, b, blen);
        }
        o->tlp = tlp_of(ermes__db_col_text(s, 3));
        o->owner_org_id = ermes__db_col_int(s, 4);
        o->org_id = ermes__db_col_int(s, 5);
        set_text(o->label, sizeof(o->label), ermes__db_col_text(s, 6));
        o->parent_id = ermes__db_col_int(s, 7);
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : ERMES_ENOTFOUND;
}
