#include "sharing/correlation.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "access/tlp_policy.h"
#include "access/tlp_recipients.h"
#include "sharing/stix.h"

static const char *const tag_names[] = {"other", "ipv4", "ipv6",  "domain",
                                        "url",   "hash", "email", "cidr"};
static const char *const kind_names[] = {"", "indicator", "event", "sighting", "incident"};

/* One question asked of the index: the keys [lo, hi], how the objects found relate to the value
 * asked about, and the value they must hold (target) or, for a range, the network they must
 * lie in. */
typedef struct corr_query {
    const char *relation;
    int64_t lo, hi;
    int range;
    ermes__corr_value_t *target; /* points into the lookup's own storage */
} corr_query_t;

#define QUERIES_MAX 160 /* the value, 128 networks, its parent domains (capped) */

typedef struct corr_lookup {
    ermes__store_t *st;
    const ermes__viewer_t *viewer;
    const ermes__corr_value_t *asked;
    const corr_query_t *q;
    ermes__corr_object_t obj;
    ermes__corr_value_t scratch;
    json_t *matches;
    int rc;
} corr_lookup_t;

/* Whether the viewer may see object o at all: never more than its own API shows. Indicators
 * follow the TLP policy (CLEAR and GREEN to every account, the rest to the owner and the
 * named recipients as their label allows; staff see all). Events, sightings and incidents are a
 * constituent's own business, as their lists have it: another organisation never sees them
 * (except a sighting naming it a recipient), the one concerned sees them unless they are TLP:RED
 * and not its own, and the policy may only narrow that further (a viewer without an account
 * sees CLEAR at most). */
static int visible(ermes__store_t *st, const ermes__viewer_t *v, const ermes__corr_object_t *o)
{
    if (v && ermes__viewer_is_staff(v))
        return 1;
    if (o->kind == ERMES__CORR_INDICATOR)
        return ermes__tlp_allows_object(st, v, ERMES_TLP_RED, -1, o->tlp, o->owner_org_id, NULL,
                                        o->id);
    if (!v || !v->org_id || v->role == ERMES_ROLE_SENSOR)
        return 0;
    if (o->org_id == v->org_id && (o->tlp != ERMES_TLP_RED || o->owner_org_id == v->org_id))
        return 1;
    if (o->kind == ERMES__CORR_SIGHTING) {
        /* A sighting given to v's organisation (its named recipients, as the sightings list
         * has them): every label to a named organisation, up to AMBER to a client of one. */
        char stix_id[80];
        int rel = 0;
        if (ermes__stix_sighting_id(o->id, stix_id, sizeof(stix_id)) ||
            ermes__store_tlp_relation(st, stix_id, 0, v->org_id, &rel))
            return 0;
        return rel == ERMES__TLP_NAMED || (rel == ERMES__TLP_CLIENT && o->tlp <= ERMES_TLP_AMBER);
    }
    return 0;
}

static int same_value(const ermes__corr_value_t *a, const ermes__corr_value_t *b)
{
    return a->tag == b->tag && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Whether value x of the object answers query q (the index's keys may collide or, for IPv6,
 * stand for more than one address). */
static int answers(const corr_query_t *q, const ermes__corr_value_t *x)
{
    if (q->range)
        return (x->tag == ERMES__CORR_TAG_IPV4 || x->tag == ERMES__CORR_TAG_IPV6) &&
               ermes_cidr_contains(&q->target->net, &x->net.addr);
    return same_value(q->target, x);
}

static int object_matches(corr_lookup_t *l, const ermes__corr_object_t *o)
{
    ermes__corr_value_t *x = &l->scratch;

    if (o->ip.family) {
        memset(&x->net, 0, sizeof(x->net));
        x->net.addr = o->ip;
        x->net.prefix = o->ip.family == ERMES_AF_INET ? 32 : 128;
        x->tag = o->ip.family == ERMES_AF_INET ? ERMES__CORR_TAG_IPV4 : ERMES__CORR_TAG_IPV6;
        x->len = ermes_ip_format(&o->ip, x->text);
        if (answers(l->q, x))
            return 1;
    }
    if (!o->value[0])
        return 0;
    if (ermes__corr_norm(o->kind == ERMES__CORR_EVENT ? "domain" : o->type, o->value,
                         strlen(o->value), x))
        return 0;
    return answers(l->q, x);
}

static int posting_cb(void *ctx, int64_t key, int kind, int64_t id)
{
    corr_lookup_t *l = ctx;
    ermes__corr_object_t *o = &l->obj;
    json_t *m;
    int rc;

    (void)key;
    rc = ermes__store_corr_object(l->st, kind, id, o);
    if (rc == ERMES_ENOTFOUND)
        return 0; /* deleted since it was indexed */
    if (rc)
        return rc;
    if (!visible(l->st, l->viewer, o) || !object_matches(l, o))
        return 0;
    /* The value the object holds (what matched), then what it is. */
    m = json_pack("{s:s,s:s,s:s,s:I,s:s}", "relation", l->q->relation, "value", l->scratch.text,
                  "object", kind_names[kind], "id",
                  (json_int_t)(kind == ERMES__CORR_OBSERVABLE ? o->parent_id : id), "tlp",
                  ermes_tlp_name(o->tlp));
    if (!m)
        return ERMES_ENOMEM;
    switch (kind) {
    case ERMES__CORR_INDICATOR:
        json_object_set_new(m, "type", json_string(o->type));
        json_object_set_new(m, "source", json_string(o->label));
        break;
    case ERMES__CORR_EVENT:
        json_object_set_new(m, "feed", json_string(o->label));
        break;
    case ERMES__CORR_SIGHTING:
        json_object_set_new(m, "log_source", json_string(o->label));
        json_object_set_new(m, "indicator_id", json_integer(o->parent_id));
        break;
    case ERMES__CORR_OBSERVABLE:
        json_object_set_new(m, "title", json_string(o->label));
        json_object_set_new(m, "observable_id", json_integer(id));
        break;
    default:
        break;
    }
    if (json_array_append_new(l->matches, m))
        return ERMES_ENOMEM;
    return 0;
}

/* The networks of the lengths indexed that hold the address asked about. */
static size_t network_queries(ermes__store_t *st, const ermes__corr_value_t *asked, unsigned below,
                              ermes__corr_value_t *vals, corr_query_t *qs, size_t room, int *rc)
{
    uint8_t prefixes[129];
    size_t n = 0, i, out = 0;

    *rc = ermes__store_corr_prefixes(st, asked->net.addr.family, prefixes, &n);
    if (*rc)
        return 0;
    for (i = 0; i < n && out < room; i++) {
        ermes__corr_value_t *x = &vals[out];
        ermes_cidr_t net = asked->net;
        unsigned b;

        if (prefixes[i] >= below)
            continue;
        net.prefix = prefixes[i];
        for (b = net.prefix; b < 128; b++)
            net.addr.bytes[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
        memset(x, 0, offsetof(ermes__corr_value_t, text));
        x->tag = ERMES__CORR_TAG_CIDR;
        x->net = net;
        x->len = ermes_cidr_format(&net, x->text);
        qs[out].relation = "inside";
        qs[out].lo = qs[out].hi = ermes__corr_key(x);
        qs[out].range = 0;
        qs[out].target = x;
        out++;
    }
    return out;
}

/* The parent domains of a name (evil.example for a.evil.example), up to room of them: an
 * indicator for a domain covers its subdomains. */
static size_t parent_queries(const ermes__corr_value_t *asked, ermes__corr_value_t *vals,
                             corr_query_t *qs, size_t room)
{
    const char *p = asked->text, *end = asked->text + asked->len;
    size_t out = 0;

    while (out < room && (p = memchr(p, '.', (size_t)(end - p))) != NULL) {
        ermes__corr_value_t *x = &vals[out];

        p++;
        /* Never a bare top-level domain: "com" relates everything to everything. */
        if (!memchr(p, '.', (size_t)(end - p)))
            break;
        x->tag = ERMES__CORR_TAG_DOMAIN;
        x->len = (size_t)(end - p);
        memcpy(x->text, p, x->len);
        x->text[x->len] = '\0';
        qs[out].relation = "subdomain_of";
        qs[out].lo = qs[out].hi = ermes__corr_key(x);
        qs[out].range = 0;
        qs[out].target = x;
        out++;
    }
    return out;
}

#define PARENTS_MAX 8
/* Rows not yet indexed that a lookup indexes itself before answering (a few milliseconds); more
 * are left to the daemon's background step. */
#define SYNC_INLINE_MAX 5000

int ermes__correlate(ermes__store_t *st, const ermes__viewer_t *v, const char *value, size_t len,
                     const ermes__corr_options_t *opts, json_t **out, ermes_diag_t *d)
{
    long threshold = opts && opts->threshold > 0 ? opts->threshold : ERMES__CORR_THRESHOLD_DEFAULT;
    long limit = opts && opts->limit > 0 ? opts->limit : ERMES__CORR_LIMIT_DEFAULT;
    corr_lookup_t *l = NULL;
    ermes__corr_value_t *asked = NULL, *vals = NULL;
    corr_query_t *qs = NULL;
    json_t *over = NULL, *body = NULL;
    size_t nq = 0, i;
    int64_t pending = 0;
    int rc, truncated = 0;

    if (threshold > ERMES__CORR_THRESHOLD_MAX)
        threshold = ERMES__CORR_THRESHOLD_MAX;
    if (limit > ERMES__CORR_LIMIT_MAX)
        limit = ERMES__CORR_LIMIT_MAX;
    l = calloc(1, sizeof(*l));
    asked = malloc(sizeof(*asked));
    qs = calloc(QUERIES_MAX, sizeof(*qs));
    /* The targets of the network and domain queries: short texts, but the struct is sized
     * for the longest value; 137 of them stay well under 2 MB. */
    vals = calloc(129 + PARENTS_MAX, sizeof(*vals));
    over = json_array();
    if (!l || !asked || !qs || !vals || !over || !(l->matches = json_array())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    rc = ermes__corr_norm(opts ? opts->type : NULL, value, len, asked);
    if (rc == ERMES_EINVAL || rc == ERMES_ETOOBIG) {
        ermes_diag_set(d, "value", "a value to correlate is 1 to %d bytes", ERMES__CORR_VALUE_MAX);
        rc = ERMES_EINVAL;
        goto out;
    }
    if (rc)
        goto out;
    /* What was added since the index was last brought up to date is indexed first when it is
     * little (a lookup stays in milliseconds); a backlog (a bulk import) is the daemon's to
     * index in the background (ermes__store_corr_sync_some every second), and the answer
     * says how many rows wait rather than making the request wait minutes. */
    if (!(opts && opts->no_sync)) {
        if ((rc = ermes__store_corr_pending(st, SYNC_INLINE_MAX + 1, &pending)))
            goto out;
        if (pending <= SYNC_INLINE_MAX) {
            if ((rc = ermes__store_corr_sync(st, NULL)))
                goto out;
            pending = 0;
        }
    }

    /* What to ask the index. */
    qs[0].relation = "same";
    qs[0].lo = qs[0].hi = ermes__corr_key(asked);
    qs[0].target = asked;
    nq = 1;
    if (asked->tag == ERMES__CORR_TAG_IPV4 || asked->tag == ERMES__CORR_TAG_IPV6 ||
        asked->tag == ERMES__CORR_TAG_CIDR) {
        if (asked->tag == ERMES__CORR_TAG_CIDR) {
            qs[nq].relation = "contains";
            ermes__corr_range(&asked->net, &qs[nq].lo, &qs[nq].hi);
            qs[nq].range = 1;
            qs[nq].target = asked;
            nq++;
        }
        nq += network_queries(st, asked, asked->net.prefix, vals, qs + nq, QUERIES_MAX - nq, &rc);
        if (rc)
            goto out;
    } else if (asked->tag == ERMES__CORR_TAG_DOMAIN) {
        nq += parent_queries(asked, vals, qs + nq, PARENTS_MAX);
    }

    l->st = st;
    l->viewer = v;
    l->asked = asked;
    for (i = 0; i < nq; i++) {
        int64_t count = 0;

        if ((rc = ermes__store_corr_count(st, qs[i].lo, qs[i].hi,
                                          (qs[i].range ? limit : threshold) + 1, &count)))
            goto out;
        if (count == 0)
            continue;
        /* Over-correlation, as MISP does it: a value too many objects mention says nothing
         * about any one of them; it is named, its objects are not listed (and not read). A
         * network's addresses are a list of their own, cut at limit. */
        if (count > threshold && !qs[i].range) {
            json_array_append_new(over, json_pack("{s:s,s:s}", "relation", qs[i].relation, "value",
                                                  qs[i].target->text));
            continue;
        }
        l->q = &qs[i];
        if ((rc = ermes__store_corr_each(st, qs[i].lo, qs[i].hi, qs[i].range ? limit : 0,
                                         posting_cb, l)))
            goto out;
        if (qs[i].range && count > limit)
            truncated = 1;
    }
    body = json_pack("{s:s,s:s,s:I,s:O,s:O,s:b}", "value", asked->text, "type",
                     tag_names[asked->tag], "threshold", (json_int_t)threshold, "matches",
                     l->matches, "over_correlated", over, "truncated", truncated);
    if (!body) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (pending)
        json_object_set_new(body, "pending", json_integer((json_int_t)pending));
    *out = body;
    rc = 0;
out:
    if (l)
        json_decref(l->matches);
    json_decref(over);
    free(l);
    free(asked);
    free(qs);
    free(vals);
    return rc;
}
