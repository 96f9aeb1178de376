/* CSAF product_status matching: the product tree resolved to products, each product turned
 * into the NVD criterion (CPE) or CVE 5 affected entry (purl, vendor and product name) that
 * describes it, then matched by vuln_match.c. See csaf_match.h for the rules. */
#include "advisories/csaf_match.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/cpe.h"

#define TREE_DEPTH_MAX 32   /* branches nested deeper name nothing */
#define REF_DEPTH_MAX 8     /* relationships of relationships followed */
#define RANGE_MAX 1024      /* bytes of a product_version_range read */
#define CONSTRAINTS_MAX 64  /* constraints of one range read */
#define PRODUCTS_MAX 100000 /* products of one tree resolved */

typedef struct product {
    const char *id;
    const char *cpe, *purl;      /* product_identification_helper */
    const char *vendor, *name;   /* branches of category vendor and product_name */
    const char *version, *range; /* product_version, product_version_range */
    const char *ref;             /* a relationship's product_reference */
} product_t;

typedef struct tree {
    product_t *v;
    size_t n, cap;
} tree_t;

typedef struct path {
    const char *vendor, *name, *version, *range;
} path_t;

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *ermes__csaf_state_name(ermes__csaf_state_t s)
{
    switch (s) {
    case ERMES__CSAF_NOT_AFFECTED:
        return "not_affected";
    case ERMES__CSAF_FIXED:
        return "fixed";
    case ERMES__CSAF_UNDER_INVESTIGATION:
        return "under_investigation";
    case ERMES__CSAF_AFFECTED:
        return "affected";
    default:
        return "";
    }
}

static int tree_add(tree_t *t, const json_t *fpn, const path_t *p, const char *ref)
{
    const json_t *helper = json_object_get(fpn, "product_identification_helper");
    product_t *pr;

    if (!jstr(fpn, "product_id") || t->n >= PRODUCTS_MAX)
        return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        product_t *v = ermes__reallocarray(t->v, cap, sizeof(*v));
        if (!v)
            return ERMES_ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    pr = &t->v[t->n++];
    memset(pr, 0, sizeof(*pr));
    pr->id = jstr(fpn, "product_id");
    pr->cpe = jstr(helper, "cpe");
    pr->purl = jstr(helper, "purl");
    if (!pr->purl) /* CSAF 2.1 has purls[] */
        pr->purl = json_string_value(json_array_get(json_object_get(helper, "purls"), 0));
    if (p) {
        pr->vendor = p->vendor;
        pr->name = p->name;
        pr->version = p->version;
        pr->range = p->range;
    }
    pr->ref = ref;
    return 0;
}

static int walk(tree_t *t, const json_t *branches, path_t p, int depth)
{
    const json_t *b;
    size_t k;
    int rc = 0;

    if (depth > TREE_DEPTH_MAX)
        return 0;
    json_array_foreach(branches, k, b)
    {
        const char *cat = jstr(b, "category"), *name = jstr(b, "name");
        path_t q = p;
        if (cat && name) {
            if (!strcmp(cat, "vendor"))
                q.vendor = name;
            else if (!strcmp(cat, "product_name"))
                q.name = name;
            else if (!strcmp(cat, "product_version"))
                q.version = name;
            else if (!strcmp(cat, "product_version_range"))
                q.range = name;
        }
        if (json_is_object(json_object_get(b, "product")) &&
            (rc = tree_add(t, json_object_get(b, "product"), &q, NULL)))
            return rc;
        if ((rc = walk(t, json_object_get(b, "branches"), q, depth + 1)))
            return rc;
    }
    return 0;
}

static int product_cmp(const void *x, const void *y)
{
    return strcmp(((const product_t *)x)->id, ((const product_t *)y)->id);
}

static const product_t *find(const tree_t *t, const char *id)
{
    product_t key;

    if (!id || !t->n)
        return NULL;
    memset(&key, 0, sizeof(key));
    key.id = id;
    return bsearch(&key, t->v, t->n, sizeof(*t->v), product_cmp);
}

static int tree_read(const json_t *doc, tree_t *t)
{
    const json_t *pt = json_object_get(doc, "product_tree"), *x;
    path_t none = {NULL, NULL, NULL, NULL};
    size_t k;
    int rc;

    if ((rc = walk(t, json_object_get(pt, "branches"), none, 0)))
        return rc;
    json_array_foreach(json_object_get(pt, "full_product_names"), k, x)
    {
        if ((rc = tree_add(t, x, NULL, NULL)))
            return rc;
    }
    json_array_foreach(json_object_get(pt, "relationships"), k, x)
    {
        if ((rc = tree_add(t, json_object_get(x, "full_product_name"), NULL,
                           jstr(x, "product_reference"))))
            return rc;
    }
    if (t->n)
        qsort(t->v, t->n, sizeof(*t->v), product_cmp);
    return 0;
}

/* The product that identifies p: p, or what its relationship refers to. */
static const product_t *resolve(const tree_t *t, const product_t *p)
{
    for (int d = 0; p && p->ref && d < REF_DEPTH_MAX; d++) {
        const product_t *q = find(t, p->ref);
        if (!q || q == p)
            return p;
        p = q;
    }
    return p;
}

/* ---- versions -------------------------------------------------------------------------------- */

/* One interval of versions: exact (lo only), or [lo, hi] with each end open, closed or absent. */
typedef struct interval {
    const char *lo, *hi;
    int lo_incl, hi_incl, exact;
} interval_t;

typedef struct vset {
    interval_t iv[CONSTRAINTS_MAX];
    size_t n;
    int all;          /* every version */
    const char *type; /* vers type ("semver"...), NULL: generic */
    char buf[RANGE_MAX + 64];
} vset_t;

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* Reads a vers string or a bare constraint list into vs. 0, or -1 when it says nothing we can
 * use. */
static int range_parse(const char *range, vset_t *vs)
{
    char *s, *c, *bar;
    interval_t *open = NULL;

    if (strlen(range) > RANGE_MAX)
        return -1;
    snprintf(vs->buf, sizeof(vs->buf), "%s", range);
    s = vs->buf;
    if (!strncmp(s, "vers:", 5)) {
        char *slash = strchr(s + 5, '/');
        if (!slash)
            return -1;
        *slash = '\0';
        vs->type = s + 5;
        s = slash + 1;
    }
    for (c = s; c; c = bar) {
        char *v;
        int op; /* 0 '=', 1 '>=', 2 '>', 3 '<=', 4 '<', 5 '!=' */
        if ((bar = strchr(c, '|')))
            *bar++ = '\0';
        v = trim(c);
        if (!strcmp(v, "*")) {
            vs->all = 1;
            return 0;
        }
        if (!strncmp(v, ">=", 2))
            op = 1, v += 2;
        else if (!strncmp(v, "<=", 2))
            op = 3, v += 2;
        else if (!strncmp(v, "!=", 2))
            op = 5, v += 2;
        else if (*v == '>')
            op = 2, v++;
        else if (*v == '<')
            op = 4, v++;
        else if (*v == '=')
            op = 0, v++;
        else
            op = 0;
        v = trim(v);
        if (!*v || strlen(v) >= ERMES_VERSION_MAX)
            return -1;
        if (op == 5)
            continue;
        if (vs->n == CONSTRAINTS_MAX)
            break;
        if (op == 0) {
            vs->iv[vs->n++] = (interval_t){v, NULL, 1, 0, 1};
            open = NULL;
        } else if (op == 1 || op == 2) {
            vs->iv[vs->n] = (interval_t){v, NULL, op == 1, 0, 0};
            open = &vs->iv[vs->n++];
        } else if (open) {
            open->hi = v;
            open->hi_incl = op == 3;
            open = NULL;
        } else
            vs->iv[vs->n++] = (interval_t){NULL, v, 0, op == 3, 0};
    }
    return vs->n ? 0 : -1;
}

typedef enum { MODE_EXACT, MODE_FROM, MODE_UPTO } vmode_t;

/* The version a product names exactly ("" kinds and wildcards are none); a CPE's without its
 * WFN quoting, into buf. */
static const char *own_version(const product_t *p, const ermes_cpe_t *cpe, const ermes_purl_t *purl,
                               char *buf, size_t cap)
{
    if (cpe && cpe->kind[ERMES_CPE_VERSION] == ERMES_CPE_STRING &&
        !strpbrk(ermes_cpe_value(cpe, ERMES_CPE_VERSION), "*?")) {
        const char *s = ermes_cpe_value(cpe, ERMES_CPE_VERSION);
        size_t n = 0;
        for (; *s && n + 1 < cap; s++) {
            if (*s == '\\' && s[1])
                s++;
            buf[n++] = *s;
        }
        buf[n] = '\0';
        return buf;
    }
    if (purl && purl->version && *purl->version)
        return purl->version;
    return p->version;
}

/* ---- one product as matcher input ----------------------------------------------------------- */

typedef struct ident {
    const product_t *p; /* the identifying product */
    ermes_cpe_t cpe;
    ermes_purl_t purl;
    int has_cpe, has_purl;
    const char *version; /* exactly named, NULL: none */
    char vbuf[ERMES_VERSION_MAX + 1];
} ident_t;

static int ident_read(const tree_t *t, const product_t *given, ident_t *id)
{
    ermes_diag_t d;

    memset(id, 0, sizeof(*id));
    id->p = resolve(t, given);
    if (!id->p)
        return -1;
    if (id->p->cpe && !ermes_cpe_parse(id->p->cpe, strlen(id->p->cpe), &id->cpe, &d))
        id->has_cpe = 1;
    else if (id->p->purl && !ermes_purl_parse(id->p->purl, strlen(id->p->purl), &id->purl, &d))
        id->has_purl = 1;
    else if (!id->p->name)
        return -1; /* nothing that could name an asset */
    id->version = own_version(id->p, id->has_cpe ? &id->cpe : NULL, id->has_purl ? &id->purl : NULL,
                              id->vbuf, sizeof(id->vbuf));
    return 0;
}

/* A key equal for two products that differ in version only. */
static void ident_key(const ident_t *id, char *buf, size_t cap)
{
    if (id->has_cpe) {
        ermes_cpe_t c = id->cpe;
        c.kind[ERMES_CPE_VERSION] = ERMES_CPE_ANY;
        c.off[ERMES_CPE_VERSION] = 0;
        if (!ermes_cpe_format(&c, buf, cap))
            buf[0] = '\0';
    } else if (id->has_purl)
        snprintf(buf, cap, "pkg:%s/%s/%s", id->purl.type ? id->purl.type : "",
                 id->purl.namespace_ ? id->purl.namespace_ : "", id->purl.name);
    else
        snprintf(buf, cap, "%s\x1f%s", id->p->vendor ? id->p->vendor : "", id->p->name);
}

/* The versions of id in mode (end_excl: the first fixed version bounding a first_affected). */
static void versions(const ident_t *id, vmode_t mode, const char *end_excl, vset_t *vs)
{
    memset(vs, 0, offsetof(vset_t, buf));
    vs->buf[0] = '\0';
    if (id->version) {
        if (mode == MODE_EXACT)
            vs->iv[vs->n++] = (interval_t){id->version, NULL, 1, 0, 1};
        else if (mode == MODE_FROM)
            vs->iv[vs->n++] = (interval_t){id->version, end_excl, 1, 0, 0};
        else
            vs->iv[vs->n++] = (interval_t){NULL, id->version, 0, 1, 0};
        return;
    }
    if (id->p->range && !range_parse(id->p->range, vs))
        return;
    memset(vs, 0, offsetof(vset_t, buf));
    vs->all = 1;
}

static json_t *cve5_versions(const vset_t *vs)
{
    json_t *a = json_array();

    for (size_t k = 0; a && k < vs->n; k++) {
        const interval_t *iv = &vs->iv[k];
        json_t *e;
        if (iv->exact) {
            json_array_append_new(a,
                                  json_pack("{s:s,s:s}", "version", iv->lo, "status", "affected"));
            continue;
        }
        if (iv->lo && !iv->lo_incl) /* "> lo": lo itself first, as unaffected */
            json_array_append_new(
                a, json_pack("{s:s,s:s}", "version", iv->lo, "status", "unaffected"));
        e = json_pack("{s:s,s:s}", "version", iv->lo ? iv->lo : "0", "status", "affected");
        if (!e)
            continue;
        json_object_set_new(e, iv->hi && iv->hi_incl ? "lessThanOrEqual" : "lessThan",
                            json_string(iv->hi ? iv->hi : "*"));
        if (vs->type && !strcmp(vs->type, "semver"))
            json_object_set_new(e, "versionType", json_string("semver"));
        json_array_append_new(a, e);
    }
    return a;
}

/* The matcher input describing id's versions vs: into a (nvd or cve5 set, owned by the
 * caller through *hold). */
static int affects_build(const ident_t *id, const vset_t *vs, ermes__vuln_affects_t *a,
                         json_t **hold)
{
    json_t *root = NULL;

    memset(a, 0, sizeof(*a));
    if (id->has_cpe) {
        ermes_cpe_t c = id->cpe;
        char crit[ERMES_CPE_MAX * 2 + 64];
        json_t *cms = json_array();
        c.kind[ERMES_CPE_VERSION] = ERMES_CPE_ANY;
        c.off[ERMES_CPE_VERSION] = 0;
        if (!cms || !ermes_cpe_format(&c, crit, sizeof(crit))) {
            json_decref(cms);
            return cms ? 0 : ERMES_ENOMEM;
        }
        if (vs->all)
            json_array_append_new(cms, json_pack("{s:b,s:s}", "vulnerable", 1, "criteria", crit));
        for (size_t k = 0; !vs->all && k < vs->n; k++) {
            const interval_t *iv = &vs->iv[k];
            json_t *e = json_pack("{s:b,s:s}", "vulnerable", 1, "criteria", crit);
            if (!e)
                continue;
            if (iv->exact) {
                json_object_set_new(e, "versionStartIncluding", json_string(iv->lo));
                json_object_set_new(e, "versionEndIncluding", json_string(iv->lo));
            } else {
                if (iv->lo)
                    json_object_set_new(
                        e, iv->lo_incl ? "versionStartIncluding" : "versionStartExcluding",
                        json_string(iv->lo));
                if (iv->hi)
                    json_object_set_new(e,
                                        iv->hi_incl ? "versionEndIncluding" : "versionEndExcluding",
                                        json_string(iv->hi));
            }
            json_array_append_new(cms, e);
        }
        root = json_pack("[{s:[{s:s,s:o}]}]", "nodes", "operator", "OR", "cpeMatch", cms);
        a->nvd = root;
    } else {
        json_t *e = json_pack("{s:s,s:o}", "defaultStatus", vs->all ? "affected" : "unaffected",
                              "versions", vs->all ? json_array() : cve5_versions(vs));
        if (e && id->has_purl) {
            char pkg[ERMES_CPE_MAX * 2 + 2];
            if (id->purl.namespace_)
                snprintf(pkg, sizeof(pkg), "%s/%s", id->purl.namespace_, id->purl.name);
            else
                snprintf(pkg, sizeof(pkg), "%s", id->purl.name);
            json_object_set_new(e, "packageName", json_string(pkg));
        } else if (e) {
            json_object_set_new(e, "product", json_string(id->p->name));
            if (id->p->vendor)
                json_object_set_new(e, "vendor", json_string(id->p->vendor));
        }
        root = e ? json_pack("[o]", e) : NULL;
        a->cve5 = root;
    }
    *hold = root;
    return root ? 0 : ERMES_ENOMEM;
}

/* ---- status groups --------------------------------------------------------------------------- */

typedef struct found {
    size_t asset;
    ermes__csaf_state_t state;
    const char *product_id;
} found_t;

typedef struct collect {
    found_t *v;
    size_t n, cap;
    ermes__csaf_state_t state;
    const char *product_id;
} collect_t;

static int collect_cb(void *ctx, size_t asset)
{
    collect_t *c = ctx;

    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        found_t *v = ermes__reallocarray(c->v, cap, sizeof(*v));
        if (!v)
            return ERMES_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (found_t){asset, c->state, c->product_id};
    return 0;
}

static int found_cmp(const void *x, const void *y)
{
    const found_t *a = x, *b = y;
    if (a->asset != b->asset)
        return a->asset < b->asset ? -1 : 1;
    return (int)b->state - (int)a->state; /* the strongest first */
}

static const struct group {
    const char *name;
    ermes__csaf_state_t state;
    vmode_t mode;
} groups[] = {
    {"known_affected", ERMES__CSAF_AFFECTED, MODE_EXACT},
    {"first_affected", ERMES__CSAF_AFFECTED, MODE_FROM},
    {"last_affected", ERMES__CSAF_AFFECTED, MODE_UPTO},
    {"under_investigation", ERMES__CSAF_UNDER_INVESTIGATION, MODE_EXACT},
    {"fixed", ERMES__CSAF_FIXED, MODE_EXACT},
    {"first_fixed", ERMES__CSAF_FIXED, MODE_FROM},
    {"known_not_affected", ERMES__CSAF_NOT_AFFECTED, MODE_EXACT},
};

/* For a first_affected product: the lowest first_fixed version of the same product above its
 * own, which ends the affected versions; into out (cap bytes), NULL when there is none. */
static const char *fixed_bound(const tree_t *t, const json_t *status, const ident_t *id, char *out,
                               size_t cap)
{
    const json_t *x;
    const char *best = NULL;
    char mine[ERMES_CPE_MAX * 2 + 64], other[ERMES_CPE_MAX * 2 + 64];
    ident_t *o;
    size_t k;

    if (!id->version || !(o = ermes__malloc(sizeof(*o))))
        return NULL;
    ident_key(id, mine, sizeof(mine));
    json_array_foreach(json_object_get(status, "first_fixed"), k, x)
    {
        const product_t *p = find(t, json_string_value(x));
        if (!p || ident_read(t, p, o) || !o->version)
            continue;
        ident_key(o, other, sizeof(other));
        if (strcmp(mine, other) || ermes_version_compare(o->version, id->version, NULL) <= 0 ||
            (best && ermes_version_compare(o->version, best, NULL) >= 0))
            continue;
        snprintf(out, cap, "%s", o->version);
        best = out;
    }
    ermes__free(o);
    return best;
}

/* Does the remediation r name product id (directly or by one of its groups)? */
static int names_product(const json_t *r, const json_t *pgroups, const char *pid)
{
    const json_t *x, *g;
    size_t k, j;

    json_array_foreach(json_object_get(r, "product_ids"), k, x)
    {
        const char *s = json_string_value(x);
        if (s && !strcmp(s, pid))
            return 1;
    }
    json_array_foreach(json_object_get(r, "group_ids"), k, x)
    {
        const char *gid = json_string_value(x);
        json_array_foreach(pgroups, j, g)
        {
            const char *id = jstr(g, "group_id");
            const json_t *y;
            size_t i;
            if (!gid || !id || strcmp(gid, id))
                continue;
            json_array_foreach(json_object_get(g, "product_ids"), i, y)
            {
                const char *s = json_string_value(y);
                if (s && !strcmp(s, pid))
                    return 1;
            }
        }
    }
    return 0;
}

static const json_t *remediation_for(const json_t *vuln, const json_t *pgroups, const char *pid)
{
    const json_t *r, *any = NULL;
    size_t k;

    json_array_foreach(json_object_get(vuln, "remediations"), k, r)
    {
        const char *cat = jstr(r, "category");
        if (!names_product(r, pgroups, pid))
            continue;
        if (cat && !strcmp(cat, "vendor_fix"))
            return r;
        if (!any)
            any = r;
    }
    return any;
}

static int match_vuln(ermes__vmatch_t *m, const tree_t *t, const json_t *doc, const json_t *vuln,
                      size_t vi, ermes__csaf_hit_cb cb, void *ctx)
{
    const json_t *status = json_object_get(vuln, "product_status");
    const json_t *pgroups = json_object_get(json_object_get(doc, "product_tree"), "product_groups");
    const char *name = jstr(vuln, "cve");
    char bound[ERMES_VERSION_MAX + 1];
    collect_t c;
    ident_t *id;
    vset_t *vs;
    int rc = 0;

    if (!name)
        name = jstr(json_array_get(json_object_get(vuln, "ids"), 0), "text");
    memset(&c, 0, sizeof(c));
    id = ermes__malloc(sizeof(*id));
    vs = ermes__malloc(sizeof(*vs));
    if (!id || !vs) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    for (size_t g = 0; !rc && g < sizeof(groups) / sizeof(groups[0]); g++) {
        const json_t *x;
        size_t k;
        json_array_foreach(json_object_get(status, groups[g].name), k, x)
        {
            const product_t *p = find(t, json_string_value(x));
            ermes__vuln_affects_t a;
            json_t *hold = NULL;
            if (!p || ident_read(t, p, id))
                continue;
            versions(id, groups[g].mode,
                     groups[g].mode == MODE_FROM && groups[g].state == ERMES__CSAF_AFFECTED
                         ? fixed_bound(t, status, id, bound, sizeof(bound))
                         : NULL,
                     vs);
            if ((rc = affects_build(id, vs, &a, &hold)))
                break;
            c.state = groups[g].state;
            c.product_id = p->id;
            rc = ermes__vmatch_run(m, &a, collect_cb, &c);
            json_decref(hold);
            if (rc)
                break;
        }
    }
    if (rc || !c.n)
        goto out;
    qsort(c.v, c.n, sizeof(*c.v), found_cmp);
    for (size_t k = 0; !rc && k < c.n; k++) {
        const json_t *r;
        ermes__csaf_hit_t h;
        if (k && c.v[k].asset == c.v[k - 1].asset)
            continue;
        r = remediation_for(vuln, pgroups, c.v[k].product_id);
        h.asset = c.v[k].asset;
        h.vuln = vi;
        h.name = name;
        h.state = c.v[k].state;
        h.product_id = c.v[k].product_id;
        h.remediation = jstr(r, "details");
        h.remediation_url = jstr(r, "url");
        rc = cb(ctx, &h);
    }
out:
    ermes__free(c.v);
    ermes__free(id);
    ermes__free(vs);
    return rc;
}

int ermes__csaf_match(ermes__vmatch_t *m, const json_t *doc, ermes__csaf_hit_cb cb, void *ctx,
                      size_t *products)
{
    tree_t t;
    const json_t *v;
    size_t k;
    int rc;

    memset(&t, 0, sizeof(t));
    if (products)
        *products = 0;
    if ((rc = tree_read(doc, &t)))
        goto out;
    if (products)
        *products = t.n;
    json_array_foreach(json_object_get(doc, "vulnerabilities"), k, v)
    {
        if ((rc = match_vuln(m, &t, doc, v, k, cb, ctx)))
            break;
    }
out:
    ermes__free(t.v);
    return rc;
}
