#include "constituency/registry.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/log.h"
#include "model/org.h"

struct ermes__registry {
    ermes__store_t *store;
    pthread_rwlock_t lock; /* guards index and version */
    ermes_ownership_t *index;
    int64_t version;         /* the store's registry version the index was built from */
    pthread_mutex_t rebuild; /* one rebuild at a time */
    ermes__registry_key_check_cb key_check; /* contacts' OpenPGP keys; NULL: not checked */
    void *key_check_ctx;
};

void ermes__registry_set_key_check(ermes__registry_t *r, ermes__registry_key_check_cb cb, void *ctx)
{
    r->key_check = cb;
    r->key_check_ctx = ctx;
}

int ermes__registry_check_keys(ermes__registry_t *r, const ermes__org_t *org, ermes_diag_t *d)
{
    char why[200];

    for (size_t k = 0; r->key_check && k < org->ncontacts; k++) {
        const ermes__contact_t *c = &org->contacts[k];
        if (!c->pgp_key || !*c->pgp_key)
            continue;
        why[0] = '\0';
        if (r->key_check(r->key_check_ctx, c->pgp_key, why, sizeof(why))) {
            ermes_diag_set(d, NULL, "contacts[%zu].pgp_key (%.80s): %s", k,
                           c->email ? c->email : "", why[0] ? why : "unusable OpenPGP key");
            snprintf(d->field, sizeof(d->field), "contacts[%zu].pgp_key", k);
            return ERMES_EINVAL;
        }
    }
    return 0;
}

int ermes__registry_open(ermes__store_t *st, ermes__registry_t **out)
{
    ermes__registry_t *r = ermes__calloc(1, sizeof(*r));
    int rc;

    if (!r)
        return ERMES_ENOMEM;
    r->store = st;
    r->version = -1;
    pthread_rwlock_init(&r->lock, NULL);
    pthread_mutex_init(&r->rebuild, NULL);
    rc = ermes__registry_refresh(r, 1);
    if (rc) {
        ermes__registry_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void ermes__registry_close(ermes__registry_t *r)
{
    if (!r)
        return;
    ermes_ownership_release(r->index);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->rebuild);
    ermes__free(r);
}

ermes__store_t *ermes__registry_store(ermes__registry_t *r)
{
    return r->store;
}

ermes_ownership_t *ermes__registry_ownership(ermes__registry_t *r)
{
    ermes_ownership_t *idx;

    pthread_rwlock_rdlock(&r->lock);
    idx = ermes_ownership_retain(r->index);
    pthread_rwlock_unlock(&r->lock);
    return idx;
}

int ermes__registry_refresh(ermes__registry_t *r, int force)
{
    ermes_ownership_t *fresh = NULL, *old;
    int64_t version = 0;
    int rc;

    pthread_mutex_lock(&r->rebuild);
    rc = ermes__store_registry_version(r->store, &version);
    if (rc)
        goto out;
    if (!force && version == r->version)
        goto out;
    /* The version is read before the rows: a change landing in between makes the next
     * refresh rebuild again, never miss it. */
    rc = ermes__store_ownership_build(r->store, &fresh);
    if (rc)
        goto out;
    pthread_rwlock_wrlock(&r->lock);
    old = r->index;
    r->index = fresh;
    r->version = version;
    pthread_rwlock_unlock(&r->lock);
    ermes_ownership_release(old);
    ermes__log(ERMES_LOG_DEBUG, "ownership index rebuilt (registry version %lld)",
               (long long)version);
out:
    pthread_mutex_unlock(&r->rebuild);
    return rc;
}

static int require_staff(const ermes__viewer_t *v, ermes_diag_t *d)
{
    if (ermes__viewer_is_staff(v))
        return 0;
    ermes_diag_set(d, NULL, "only the CERT's staff may change the constituency registry");
    return ERMES_EDENIED;
}

/* Audit detail for an organisation change: its short name (never contact details). */
static void audit_org(ermes__registry_t *r, const ermes__viewer_t *v, const char *action,
                      int64_t id, const char *short_name)
{
    char ref[24], detail[128];
    json_t *j = json_pack("{s:s?}", "short_name", short_name);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    snprintf(detail, sizeof(detail), "%s", text ? text : "{}");
    ermes__audit_write(r->store, v, action, "organisation", ref, detail);
    free(text);
    json_decref(j);
}

int ermes__registry_org_create(ermes__registry_t *r, const ermes__viewer_t *v, ermes__org_t *org,
                               ermes_diag_t *d)
{
    int rc;

    if ((rc = require_staff(v, d)))
        return rc;
    if (!org->meta.owner_org_id)
        org->meta.owner_org_id = v->org_id;
    if ((rc = ermes__registry_check_keys(r, org, d)))
        return rc;
    if ((rc = ermes__store_begin(r->store)))
        return rc;
    rc = ermes__store_org_insert(r->store, org, d);
    if (!rc)
        audit_org(r, v, "create", org->meta.id, org->short_name);
    if (!rc)
        rc = ermes__store_commit(r->store);
    if (rc) {
        ermes__store_rollback(r->store);
        return rc;
    }
    return ermes__registry_refresh(r, 0);
}

int ermes__registry_org_update(ermes__registry_t *r, const ermes__viewer_t *v, int64_t id,
                               const ermes__org_t *upd, ermes_diag_t *d)
{
    int rc;

    if ((rc = require_staff(v, d)))
        return rc;
    if ((rc = ermes__registry_check_keys(r, upd, d)))
        return rc;
    if ((rc = ermes__store_begin(r->store)))
        return rc;
    rc = ermes__store_org_update(r->store, id, upd, d);
    if (!rc)
        audit_org(r, v, "update", id, upd->short_name);
    if (!rc)
        rc = ermes__store_commit(r->store);
    if (rc) {
        ermes__store_rollback(r->store);
        return rc;
    }
    return ermes__registry_refresh(r, 0);
}

int ermes__registry_org_delete(ermes__registry_t *r, const ermes__viewer_t *v, int64_t id,
                               ermes_diag_t *d)
{
    char short_name[64] = "";
    int rc;

    if (v->role != ERMES_ROLE_ADMIN) {
        ermes_diag_set(d, NULL, "only administrators may delete organisations");
        return ERMES_EDENIED;
    }
    if ((rc = ermes__store_begin(r->store)))
        return rc;
    ermes__store_org_short_name(r->store, id, short_name, sizeof(short_name));
    rc = ermes__store_org_delete(r->store, id, d);
    if (!rc)
        audit_org(r, v, "delete", id, short_name);
    if (!rc)
        rc = ermes__store_commit(r->store);
    if (rc) {
        ermes__store_rollback(r->store);
        return rc;
    }
    return ermes__registry_refresh(r, 0);
}

typedef struct cidr_walk {
    ermes__lookup_net_t *v;
    size_t n, cap;
    uint8_t prefix; /* the query's */
} cidr_walk_t;

static int cidr_cb(void *ctx, const ermes_owner_t *o)
{
    cidr_walk_t *w = ctx;

    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        ermes__lookup_net_t *p = ermes__reallocarray(w->v, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        w->v = p;
        w->cap = cap;
    }
    memset(&w->v[w->n], 0, sizeof(w->v[w->n]));
    w->v[w->n].network = o->network;
    w->v[w->n].org_id = o->org_id;
    w->v[w->n].relation = o->network.prefix < w->prefix ? -1 : o->network.prefix > w->prefix;
    w->n++;
    return 0;
}

static int cmp_lookup_net(const void *a, const void *b)
{
    const ermes__lookup_net_t *x = a, *y = b;
    int c = memcmp(x->network.addr.bytes, y->network.addr.bytes, sizeof(x->network.addr.bytes));

    if (c)
        return c;
    return (int)x->network.prefix - (int)y->network.prefix;
}

int ermes__registry_lookup_cidr(ermes__registry_t *r, const ermes__viewer_t *v, const char *query,
                                size_t max, ermes__lookup_net_t **out, size_t *n, int *more,
                                ermes_diag_t *d)
{
    cidr_walk_t w = {NULL, 0, 0, 0};
    ermes_ownership_t *idx;
    ermes_cidr_t net;
    size_t i, kept = 0;
    int rc;

    *out = NULL;
    *n = 0;
    *more = 0;
    if (ermes_cidr_parse(query, strlen(query), 0, &net, d))
        return ERMES_EINVAL;
    w.prefix = net.prefix;
    if (!(idx = ermes__registry_ownership(r)))
        return ERMES_EINTERNAL;
    rc = ermes_ownership_networks(idx, &net, cidr_cb, &w);
    ermes_ownership_release(idx);
    if (rc) {
        ermes__free(w.v);
        return rc;
    }
    /* In address order, the covering networks before what they contain. */
    if (w.n)
        qsort(w.v, w.n, sizeof(*w.v), cmp_lookup_net);
    for (i = 0; i < w.n; i++) {
        ermes__lookup_net_t *e = &w.v[i];
        /* As for a single address: an organisation the viewer may not see is not named, and
         * its networks are left out. */
        rc = ermes__store_org_name(r->store, v, e->org_id, e->short_name, sizeof(e->short_name),
                                   e->name, sizeof(e->name));
        if (rc == ERMES_ENOTFOUND)
            continue;
        if (rc) {
            ermes__free(w.v);
            return rc;
        }
        if (kept == max) {
            *more = 1;
            break;
        }
        if (kept != i)
            w.v[kept] = *e;
        kept++;
    }
    *out = w.v;
    *n = kept;
    return 0;
}

int ermes__registry_lookup(ermes__registry_t *r, const ermes__viewer_t *v,
                           ermes__lookup_kind_t kind, const char *query, uint32_t asn_hint,
                           ermes__lookup_t *out, ermes_diag_t *d)
{
    ermes_ownership_t *idx;
    ermes_ip_t ip;
    uint32_t asn;
    char name[256];
    int rc = 0;

    memset(out, 0, sizeof(*out));
    switch (kind) {
    case ERMES_LOOKUP_IP:
        if ((rc = ermes_ip_parse(query, strlen(query), &ip, d)))
            return ERMES_EINVAL;
        break;
    case ERMES_LOOKUP_ASN:
        if (ermes__org_parse_asn(query, strlen(query), &asn)) {
            ermes_diag_set(d, "asn", "an AS number is 1 to 4294967295, optionally after \"AS\"");
            return ERMES_EINVAL;
        }
        break;
    case ERMES_LOOKUP_DOMAIN:
        if (strlen(query) >= sizeof(name)) {
            ermes_diag_set(d, "domain", "a domain name has at most 253 characters");
            return ERMES_EINVAL;
        }
        snprintf(name, sizeof(name), "%s", query);
        if (ermes__org_check_domain(name, d))
            return ERMES_EINVAL;
        break;
    }
    idx = ermes__registry_ownership(r);
    if (!idx)
        return ERMES_EINTERNAL;
    if (kind == ERMES_LOOKUP_IP)
        out->found = ermes_ownership_ip(idx, &ip, asn_hint, &out->owner);
    else if (kind == ERMES_LOOKUP_ASN)
        out->found = ermes_ownership_asn(idx, asn, &out->owner);
    else
        out->found = ermes_ownership_domain(idx, name, strlen(name), &out->owner);
    if (out->found && out->owner.rule == ERMES_OWNER_DOMAIN && out->owner.domain) {
        /* The answer borrows from the index; keep a copy that outlives it. */
        snprintf(name, sizeof(name), "%s", out->owner.domain);
    }
    ermes_ownership_release(idx);
    if (!out->found)
        return 0;
    out->org_id = out->owner.org_id;
    out->owner.domain = NULL;
    /* The owner is named only to a viewer allowed to see the organisation: a constituent
     * learns nothing of another organisation's networks. */
    rc = ermes__store_org_name(r->store, v, out->org_id, out->short_name, sizeof(out->short_name),
                               out->name, sizeof(out->name));
    if (rc == ERMES_ENOTFOUND) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    if (rc)
        return rc;
    if (out->owner.rule == ERMES_OWNER_DOMAIN)
        snprintf(out->matched_domain, sizeof(out->matched_domain), "%.253s", name);
    return 0;
}
