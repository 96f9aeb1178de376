/* Which constituents' assets a vulnerability affects (issue 13, item 6).
 *
 * The assets are indexed once by product name (lower case, spaces as '_', WFN quoting
 * removed), so one vulnerability costs a look-up per product it names, not a pass over every
 * asset; a criterion whose product is a wildcard falls back to the pass. Then, per candidate:
 *
 *   NVD      configurations[].nodes[].cpeMatch[]: the criterion's name must be a superset of
 *            the asset's (NISTIR 7696, cpe.c; an asset given as vendor/product/version is the
 *            name cpe:2.3:*:vendor:product:version:*...), then the asset's version must lie
 *            inside versionStart/End (version.c). Only vulnerable criteria name assets; an AND
 *            configuration ("app X on platform Y") holds for an organisation only when it has
 *            an asset for each node (a negated node: for none).
 *   CVE 5    affected[]: vendor and product (compared case-insensitively, ' ' and '_' alike),
 *            cpes[], or packageName against a purl's name; then the version-status algorithm
 *            on the asset's version. An asset without a version is affected when any version
 *            or the default is.
 *   KEV      when neither of the above is known: vendorProject and product by name.
 */
#include "advisories/vulns.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/cpe.h"

#define KEY_MAX 256

typedef struct asset {
    int64_t id, org_id;
    char *cpe, *purl_name, *purl_ns;
    char *vendor, *product, *version; /* WFN form: lower case, punctuation quoted */
    uint64_t key;                     /* hash of the product key */
} asset_t;

typedef struct slot {
    uint64_t key;
    size_t asset;
} slot_t;

struct ermes__vmatch {
    asset_t *assets;
    size_t n;
    slot_t *index; /* sorted by key */
    uint32_t *seen;
    uint32_t stamp;
};

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* The look-up key of a name: lower case, WFN quoting dropped, ' ' and '-' as '_'. */
static size_t make_key(const char *s, char *buf, size_t cap)
{
    size_t n = 0;

    for (; s && *s && n + 1 < cap; s++) {
        char c = *s;
        if (c == '\\' && s[1])
            c = *++s;
        buf[n++] = c == ' ' ? '_' : lower(c);
    }
    buf[n] = '\0';
    return n;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Free text as a WFN value: lower case, spaces as '_', other punctuation quoted. */
static char *to_wfn(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char *out, *p;

    if (!s || !*s || n > 1024)
        return NULL;
    if (!(out = ermes__malloc(n * 2 + 1)))
        return NULL;
    for (p = out; *s; s++) {
        char c = lower(*s);
        if (c == ' ')
            c = '_';
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              (unsigned char)c >= 0x80))
            *p++ = '\\';
        *p++ = c;
    }
    *p = '\0';
    return out;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? ermes__strdup(s) : NULL;
}

static void asset_cleanup(asset_t *a)
{
    ermes__free(a->cpe);
    ermes__free(a->purl_name);
    ermes__free(a->purl_ns);
    ermes__free(a->vendor);
    ermes__free(a->product);
    ermes__free(a->version);
}

static int asset_init(asset_t *a, const ermes__asset_ref_t *r)
{
    char key[KEY_MAX];
    ermes_diag_t d;

    memset(a, 0, sizeof(*a));
    a->id = r->id;
    a->org_id = r->org_id;
    if (r->cpe && *r->cpe) {
        ermes_cpe_t *c = ermes__malloc(sizeof(*c));
        if (!c)
            return ERMES_ENOMEM;
        if (!ermes_cpe_parse(r->cpe, strlen(r->cpe), c, &d)) {
            a->cpe = ermes__strdup(r->cpe);
            if (c->kind[ERMES_CPE_VENDOR] == ERMES_CPE_STRING)
                a->vendor = ermes__strdup(ermes_cpe_value(c, ERMES_CPE_VENDOR));
            if (c->kind[ERMES_CPE_PRODUCT] == ERMES_CPE_STRING)
                a->product = ermes__strdup(ermes_cpe_value(c, ERMES_CPE_PRODUCT));
            if (c->kind[ERMES_CPE_VERSION] == ERMES_CPE_STRING) {
                make_key(ermes_cpe_value(c, ERMES_CPE_VERSION), key, sizeof(key));
                a->version = ermes__strdup(key);
            }
        }
        ermes__free(c);
    }
    if (r->purl && *r->purl) {
        ermes_purl_t *p = ermes__malloc(sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        if (!ermes_purl_parse(r->purl, strlen(r->purl), p, &d)) {
            make_key(p->name, key, sizeof(key));
            a->purl_name = ermes__strdup(key);
            if (p->namespace_) {
                make_key(p->namespace_, key, sizeof(key));
                a->purl_ns = ermes__strdup(key);
            }
            if (!a->version && p->version)
                a->version = ermes__strdup(p->version);
            if (!a->product)
                a->product = to_wfn(p->name);
        }
        ermes__free(p);
    }
    if (!a->vendor)
        a->vendor = to_wfn(r->vendor);
    if (!a->product)
        a->product = to_wfn(r->product);
    if (!a->version)
        a->version = dup_or_null(r->version);
    make_key(a->product ? a->product : "", key, sizeof(key));
    a->key = hash(key);
    return 0;
}

static int slot_cmp(const void *x, const void *y)
{
    const slot_t *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->asset < b->asset ? -1 : a->asset > b->asset;
}

int ermes__vmatch_new(const ermes__asset_ref_t *assets, size_t n, ermes__vmatch_t **out)
{
    ermes__vmatch_t *m = ermes__calloc(1, sizeof(*m));
    int rc = ERMES_ENOMEM;

    if (!m)
        return ERMES_ENOMEM;
    if (n && (!(m->assets = ermes__calloc(n, sizeof(*m->assets))) ||
              !(m->index = ermes__calloc(n, sizeof(*m->index))) ||
              !(m->seen = ermes__calloc(n, sizeof(*m->seen)))))
        goto out;
    for (size_t k = 0; k < n; k++) {
        m->n = k + 1;
        if ((rc = asset_init(&m->assets[k], &assets[k])))
            goto out;
        m->index[k].key = m->assets[k].key;
        m->index[k].asset = k;
    }
    m->n = n;
    if (n)
        qsort(m->index, n, sizeof(*m->index), slot_cmp);
    *out = m;
    return 0;
out:
    ermes__vmatch_free(m);
    return rc;
}

void ermes__vmatch_free(ermes__vmatch_t *m)
{
    if (!m)
        return;
    for (size_t k = 0; k < m->n; k++)
        asset_cleanup(&m->assets[k]);
    ermes__free(m->assets);
    ermes__free(m->index);
    ermes__free(m->seen);
    ermes__free(m);
}

/* The first index slot of key, and how many there are. */
static size_t lookup(const ermes__vmatch_t *m, const char *name, size_t *count)
{
    char key[KEY_MAX];
    uint64_t h;
    size_t lo = 0, hi = m->n, first;

    make_key(name, key, sizeof(key));
    h = hash(key);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->index[mid].key < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    first = lo;
    while (lo < m->n && m->index[lo].key == h)
        lo++;
    *count = lo - first;
    return first;
}

/* A list of asset indexes. */
typedef struct hits {
    size_t *v;
    size_t n, cap;
} hits_t;

static int hits_add(hits_t *h, size_t a)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        size_t *p = ermes__reallocarray(h->v, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        h->v = p;
        h->cap = cap;
    }
    h->v[h->n++] = a;
    return 0;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int rel_ok(ermes_cpe_relation_t r)
{
    return r == ERMES_CPE_SUPERSET || r == ERMES_CPE_EQUAL;
}

/* Does the criterion name a (name only; versions apply after)? */
static int criterion_names(const ermes_cpe_t *crit, const asset_t *a, int ignore_version)
{
    /* A package known by its purl alone is matched by package name (CVE 5 packageName), not
     * by a CPE's vendor and product, which a purl does not name. */
    if (!a->cpe && a->purl_name)
        return 0;
    /* The vendor first, from the asset's kept value: most candidates of a product name are
     * another vendor's, and this spares parsing their whole name. */
    if (a->vendor && !rel_ok(ermes_cpe_compare_attr(crit->kind[ERMES_CPE_VENDOR],
                                                    ermes_cpe_value(crit, ERMES_CPE_VENDOR),
                                                    ERMES_CPE_STRING, a->vendor)))
        return 0;
    if (a->cpe) {
        ermes_cpe_t *c = ermes__malloc(sizeof(*c));
        ermes_diag_t d;
        int ok = 0;
        if (c && !ermes_cpe_parse(a->cpe, strlen(a->cpe), c, &d)) {
            ok = 1;
            for (int k = 0; ok && k < ERMES_CPE_ATTRS; k++) {
                if (k == ERMES_CPE_VERSION && ignore_version)
                    continue;
                ok = rel_ok(ermes_cpe_compare_attr(crit->kind[k], ermes_cpe_value(crit, k),
                                                   c->kind[k], ermes_cpe_value(c, k)));
            }
        }
        ermes__free(c);
        return ok;
    }
    if (!a->product || !rel_ok(ermes_cpe_compare_attr(crit->kind[ERMES_CPE_PRODUCT],
                                                      ermes_cpe_value(crit, ERMES_CPE_PRODUCT),
                                                      ERMES_CPE_STRING, a->product)))
        return 0;
    /* An asset known by its product name alone (an SBOM's component) is not refused for want
     * of a vendor. */
    if (a->vendor && !rel_ok(ermes_cpe_compare_attr(crit->kind[ERMES_CPE_VENDOR],
                                                    ermes_cpe_value(crit, ERMES_CPE_VENDOR),
                                                    ERMES_CPE_STRING, a->vendor)))
        return 0;
    if (!ignore_version && crit->kind[ERMES_CPE_VERSION] == ERMES_CPE_STRING)
        return a->version &&
               !ermes_version_compare(ermes_cpe_value(crit, ERMES_CPE_VERSION), a->version, NULL);
    return 1;
}

/* Every asset one cpeMatch entry matches, into h. */
static int cpematch_hits(ermes__vmatch_t *m, const json_t *cm, hits_t *h)
{
    const char *criteria = jstr(cm, "criteria");
    const char *si = jstr(cm, "versionStartIncluding"), *se = jstr(cm, "versionStartExcluding");
    const char *ei = jstr(cm, "versionEndIncluding"), *ee = jstr(cm, "versionEndExcluding");
    ermes_cpe_t *crit;
    ermes_diag_t d;
    size_t first = 0, count = m->n;
    int rc = 0, scan;

    if (!criteria)
        return 0;
    if (!(crit = ermes__malloc(sizeof(*crit))))
        return ERMES_ENOMEM;
    if (ermes_cpe_parse(criteria, strlen(criteria), crit, &d))
        goto out; /* a criterion we cannot read names nothing */
    scan = crit->kind[ERMES_CPE_PRODUCT] != ERMES_CPE_STRING ||
           strpbrk(ermes_cpe_value(crit, ERMES_CPE_PRODUCT), "*?") != NULL;
    if (!scan)
        first = lookup(m, ermes_cpe_value(crit, ERMES_CPE_PRODUCT), &count);
    for (size_t k = 0; !rc && k < count; k++) {
        size_t i = scan ? first + k : m->index[first + k].asset;
        const asset_t *a = &m->assets[i];
        int ranged = si || se || ei || ee;
        if (!criterion_names(crit, a, ranged))
            continue;
        if (ranged && !ermes_nvd_version_in_range(a->version, si, se, ei, ee))
            continue;
        rc = hits_add(h, i);
    }
out:
    ermes__free(crit);
    return rc;
}

static int org_has(const ermes__vmatch_t *m, const hits_t *h, int64_t org)
{
    for (size_t k = 0; k < h->n; k++)
        if (m->assets[h->v[k]].org_id == org)
            return 1;
    return 0;
}

typedef struct emit {
    ermes__vmatch_t *m;
    int (*cb)(void *ctx, size_t asset);
    void *ctx;
} emit_t;

static int emit(emit_t *e, size_t a)
{
    if (e->m->seen[a] == e->m->stamp)
        return 0;
    e->m->seen[a] = e->m->stamp;
    return e->cb(e->ctx, a);
}

/* One NVD configuration. */
static int nvd_config(emit_t *e, const json_t *config)
{
    const json_t *nodes = json_object_get(config, "nodes");
    const char *cop = jstr(config, "operator");
    int and_config = cop && !strcmp(cop, "AND");
    size_t nn = json_array_size(nodes);
    hits_t *node_hits, vuln = {NULL, 0, 0};
    int rc = 0;

    if (!nn)
        return 0;
    /* Per node: every asset of its criteria ("context" ones too), and the vulnerable ones. */
    if (!(node_hits = ermes__calloc(nn, sizeof(*node_hits))))
        return ERMES_ENOMEM;
    for (size_t k = 0; !rc && k < nn; k++) {
        const json_t *node = json_array_get(nodes, k), *cm;
        size_t j;
        json_array_foreach(json_object_get(node, "cpeMatch"), j, cm)
        {
            size_t before = node_hits[k].n;
            if ((rc = cpematch_hits(e->m, cm, &node_hits[k])))
                break;
            if (json_is_false(json_object_get(cm, "vulnerable")))
                continue;
            for (size_t i = before; !rc && i < node_hits[k].n; i++)
                rc = hits_add(&vuln, node_hits[k].v[i]);
        }
    }
    if (rc || !vuln.n)
        goto out;
    /* The common case: one node of OR'd criteria, or an OR configuration: every vulnerable
     * match counts. Otherwise the configuration is checked per organisation. */
    for (size_t k = 0; !rc && k < vuln.n; k++) {
        int64_t org = e->m->assets[vuln.v[k]].org_id;
        int any = 0, all = 1;
        for (size_t n = 0; n < nn; n++) {
            const json_t *node = json_array_get(nodes, n);
            const char *op = jstr(node, "operator");
            int has;
            if (op && !strcmp(op, "AND")) {
                /* Every criterion of an AND node needs an asset: approximated by the node
                 * having at least as many matches of this organisation as criteria. */
                size_t need = json_array_size(json_object_get(node, "cpeMatch")), got = 0;
                for (size_t i = 0; i < node_hits[n].n; i++)
                    got += e->m->assets[node_hits[n].v[i]].org_id == org;
                has = got >= need;
            } else
                has = org_has(e->m, &node_hits[n], org);
            if (json_is_true(json_object_get(node, "negate")))
                has = !has;
            any |= has;
            all &= has;
        }
        int holds = and_config ? all : any;
        if (holds)
            rc = emit(e, vuln.v[k]);
    }
out:
    for (size_t k = 0; k < nn; k++)
        ermes__free(node_hits[k].v);
    ermes__free(node_hits);
    ermes__free(vuln.v);
    return rc;
}

/* ' ' and '_' alike, case-insensitive. */
static int name_eq(const char *wfn, const char *text)
{
    char a[KEY_MAX], b[KEY_MAX];
    make_key(wfn, a, sizeof(a));
    make_key(text, b, sizeof(b));
    return !strcmp(a, b);
}

#define VRANGE_MAX 256
#define VCHANGE_MAX 1024

/* The CVE 5 status of asset a in affected entry e. */
static int cve5_affects(const json_t *e, const asset_t *a)
{
    static __thread ermes_vrange_t ranges[VRANGE_MAX];
    static __thread ermes_vchange_t changes[VCHANGE_MAX];
    const json_t *versions = json_object_get(e, "versions"), *v;
    ermes_vstatus_t def = ermes_vstatus_parse(jstr(e, "defaultStatus"));
    size_t n = 0, nc = 0, k;

    json_array_foreach(versions, k, v)
    {
        const json_t *ch;
        size_t j;
        if (n == VRANGE_MAX)
            break;
        ranges[n].version = jstr(v, "version");
        ranges[n].less_than = jstr(v, "lessThan");
        ranges[n].less_than_or_equal = jstr(v, "lessThanOrEqual");
        ranges[n].version_type = jstr(v, "versionType");
        ranges[n].status = ermes_vstatus_parse(jstr(v, "status"));
        ranges[n].changes = changes + nc;
        ranges[n].nchanges = 0;
        json_array_foreach(json_object_get(v, "changes"), j, ch)
        {
            if (nc == VCHANGE_MAX)
                break;
            changes[nc].at = jstr(ch, "at");
            changes[nc].status = ermes_vstatus_parse(jstr(ch, "status"));
            nc++;
            ranges[n].nchanges++;
        }
        n++;
    }
    if (!a->version || !*a->version || !strcmp(a->version, "*") || !strcmp(a->version, "-")) {
        if (def == ERMES_VSTATUS_AFFECTED)
            return 1;
        for (k = 0; k < n; k++)
            if (ranges[k].status == ERMES_VSTATUS_AFFECTED)
                return 1;
        return 0;
    }
    return ermes_cve5_version_status(ranges, n, def, a->version) == ERMES_VSTATUS_AFFECTED;
}

static int cve5_entry(emit_t *e, const json_t *entry)
{
    ermes__vmatch_t *m = e->m;
    const char *vendor = jstr(entry, "vendor"), *product = jstr(entry, "product");
    const char *pkg = jstr(entry, "packageName");
    const json_t *cpes = json_object_get(entry, "cpes"), *c;
    size_t first, count, k;
    int rc = 0;

    if (product) {
        first = lookup(m, product, &count);
        for (k = 0; !rc && k < count; k++) {
            const asset_t *a = &m->assets[m->index[first + k].asset];
            if (a->vendor && vendor && !name_eq(a->vendor, vendor))
                continue;
            if (!a->cpe && a->purl_name)
                continue; /* a purl: by packageName below */
            if (!a->product || !name_eq(a->product, product))
                continue;
            if (cve5_affects(entry, a))
                rc = emit(e, m->index[first + k].asset);
        }
    }
    if (pkg && !rc) {
        /* "group:artifact" (Maven), "namespace/name" or "name". */
        const char *base = pkg, *p;
        char full[KEY_MAX];
        for (p = pkg; *p; p++)
            if (*p == '/' || *p == ':')
                base = p + 1;
        make_key(pkg, full, sizeof(full));
        first = lookup(m, base, &count);
        for (k = 0; !rc && k < count; k++) {
            const asset_t *a = &m->assets[m->index[first + k].asset];
            char mine[2 * KEY_MAX + 2];
            if (!a->purl_name || !name_eq(a->purl_name, base))
                continue;
            /* With a namespace in the package name, the purl's must be the same. */
            if (base != pkg) {
                if (!a->purl_ns)
                    continue;
                snprintf(mine, sizeof(mine), "%s%c%s", a->purl_ns, pkg[base - pkg - 1],
                         a->purl_name);
                if (strcmp(mine, full))
                    continue;
            }
            if (cve5_affects(entry, a))
                rc = emit(e, m->index[first + k].asset);
        }
    }
    json_array_foreach(cpes, k, c)
    {
        const char *s = json_string_value(c);
        ermes_cpe_t *crit;
        ermes_diag_t d;
        size_t j;
        if (rc || !s || !(crit = ermes__malloc(sizeof(*crit))))
            break;
        if (!ermes_cpe_parse(s, strlen(s), crit, &d) &&
            crit->kind[ERMES_CPE_PRODUCT] == ERMES_CPE_STRING) {
            first = lookup(m, ermes_cpe_value(crit, ERMES_CPE_PRODUCT), &count);
            for (j = 0; !rc && j < count; j++) {
                const asset_t *a = &m->assets[m->index[first + j].asset];
                if (criterion_names(crit, a, 1) && cve5_affects(entry, a))
                    rc = emit(e, m->index[first + j].asset);
            }
        }
        ermes__free(crit);
    }
    return rc;
}

int ermes__vmatch_run(ermes__vmatch_t *m, const ermes__vuln_affects_t *a,
                      int (*cb)(void *ctx, size_t asset), void *ctx)
{
    emit_t e = {m, cb, ctx};
    const json_t *x;
    size_t k;
    int rc = 0;

    if (!m->n)
        return 0;
    if (++m->stamp == 0) {
        memset(m->seen, 0, m->n * sizeof(*m->seen));
        m->stamp = 1;
    }
    json_array_foreach(a->nvd, k, x)
    {
        if ((rc = nvd_config(&e, x)))
            return rc;
    }
    json_array_foreach(a->cve5, k, x)
    {
        if ((rc = cve5_entry(&e, x)))
            return rc;
    }
    if (!json_array_size(a->nvd) && !json_array_size(a->cve5) && a->kev_product) {
        size_t first, count;
        first = lookup(m, a->kev_product, &count);
        for (k = 0; !rc && k < count; k++) {
            const asset_t *as = &m->assets[m->index[first + k].asset];
            if (!as->product || !name_eq(as->product, a->kev_product))
                continue;
            if (as->vendor && a->kev_vendor && !name_eq(as->vendor, a->kev_vendor))
                continue;
            rc = emit(&e, m->index[first + k].asset);
        }
    }
    return rc;
}
