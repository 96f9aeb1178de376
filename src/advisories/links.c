/* Advisories linked to incidents and indicators (advisories/links.h): the CVE ids an advisory
 * names, matched at read against incidents' cve observables and indicators' values, and the
 * links analysts add. Every look-up first collects ids, then reads each object through the
 * store's viewer-filtered get, so what a viewer is shown is what it could open itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "access/tlp_policy.h"
#include "advisories/links.h"
#include "core/alloc.h"
#include "model/incident.h"

/* A growing list of ids (each once) with, per id, the CVE ids shared and whether an explicit
 * link names it. */
typedef struct hit {
    int64_t id;
    int linked;
    json_t *cves; /* array of strings */
} hit_t;

typedef struct hits {
    hit_t *v;
    size_t n, cap;
    const char *cve;  /* what the ids being collected share (NULL: an explicit link) */
    const char *kind; /* the kind of explicit links collected */
    int failed;
} hits_t;

static void hits_free(hits_t *h)
{
    for (size_t i = 0; i < h->n; i++)
        json_decref(h->v[i].cves);
    free(h->v);
    memset(h, 0, sizeof(*h));
}

static hit_t *hits_get(hits_t *h, int64_t id)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].id == id)
            return &h->v[i];
    if (h->n >= ERMES_ADVISORY_LINKS_MAX)
        return NULL;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        hit_t *nv = realloc(h->v, cap * sizeof(*nv));
        if (!nv) {
            h->failed = 1;
            return NULL;
        }
        h->v = nv;
        h->cap = cap;
    }
    h->v[h->n] = (hit_t){id, 0, json_array()};
    if (!h->v[h->n].cves) {
        h->failed = 1;
        return NULL;
    }
    return &h->v[h->n++];
}

/* Adds id, sharing h->cve (or explicitly linked when h->cve is NULL). No store call here: the
 * store is stepping a statement. */
static int collect(void *ctx, int64_t id)
{
    hits_t *h = ctx;
    hit_t *x = hits_get(h, id);

    if (!x)
        return h->failed ? ERMES_ENOMEM : 0;
    if (!h->cve)
        x->linked = 1;
    else if (json_array_append_new(x->cves, json_string(h->cve)))
        return ERMES_ENOMEM;
    return 0;
}

/* An advisory's explicit link to an object of h->kind gives that object. */
static int collect_link(void *ctx, int64_t advisory_id, const char *kind, int64_t object_id)
{
    hits_t *h = ctx;

    (void)advisory_id;
    return kind && h->kind && strcmp(kind, h->kind) == 0 ? collect(ctx, object_id) : 0;
}

static int cve_valid(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 13 || n >= ERMES_CVE_ID_MAX || (s[0] | 0x20) != 'c' || (s[1] | 0x20) != 'v' ||
        (s[2] | 0x20) != 'e' || s[3] != '-' || s[8] != '-')
        return 0;
    for (i = 4; i < n; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

size_t ermes__advisory_cves(const json_t *doc, char (*out)[ERMES_CVE_ID_MAX], size_t cap)
{
    json_t *vulns = json_object_get(doc, "vulnerabilities"), *v;
    size_t i, k, n = 0;

    json_array_foreach(vulns, i, v)
    {
        const char *c = json_string_value(json_object_get(v, "cve"));
        char up[ERMES_CVE_ID_MAX];

        if (!c || !cve_valid(c) || n >= cap)
            continue;
        for (k = 0; c[k]; k++)
            up[k] = (char)(c[k] >= 'a' && c[k] <= 'z' ? c[k] - 32 : c[k]);
        up[k] = '\0';
        for (k = 0; k < n && strcmp(out[k], up); k++)
            ;
        if (k == n)
            memcpy(out[n++], up, sizeof(up));
    }
    return n;
}

/* The text of a that v reads: staff the working copy, the others what was published. */
static const char *text_for(const ermes__viewer_t *v, const ermes__advisory_t *a)
{
    return ermes__viewer_is_staff(v) ? a->document : a->published_document;
}

/* As GET /api/v1/advisories/{ref} decides (src/http/h_advisories.c): staff read every
 * advisory, the others the published ones their TLP policy gives them. */
static int may_read(const ermes__viewer_t *v, const ermes__advisory_t *a)
{
    if (ermes__viewer_is_staff(v))
        return 1;
    return a->revision && ermes__tlp_policy_allows(v, ERMES_TLP_RED, a->tlp, a->owner_org_id);
}

/* The CVE ids of a's text for v, parsed; 0 when it has none or cannot be read. */
static size_t cves_of(const ermes__viewer_t *v, const ermes__advisory_t *a,
                      char (*out)[ERMES_CVE_ID_MAX], size_t cap)
{
    const char *text = text_for(v, a);
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    size_t n = doc ? ermes__advisory_cves(doc, out, cap) : 0;

    json_decref(doc);
    return n;
}

typedef struct indicator_copy {
    int found;
    char type[64];
    char *value;
} indicator_copy_t;

static int indicator_cb(void *ctx, const ermes__indicator_row_t *r)
{
    indicator_copy_t *c = ctx;

    c->found = 1;
    snprintf(c->type, sizeof(c->type), "%s", r->type ? r->type : "");
    c->value = ermes__strdup(r->value ? r->value : "");
    return c->value ? 0 : ERMES_ENOMEM;
}

/* Appends to arr what v may see of the incidents (kind "incident") or indicators in h. */
static int objects_json(ermes__store_t *st, const ermes__viewer_t *v, const char *kind, hits_t *h,
                        json_t *arr)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    int rc = 0;

    if (!inc)
        return ERMES_ENOMEM;
    for (size_t i = 0; i < h->n && !rc; i++) {
        json_t *o = NULL;

        if (strcmp(kind, "incident") == 0) {
            rc = ermes__store_incident_get(st, v, h->v[i].id, inc);
            if (rc == ERMES_ENOTFOUND) {
                rc = 0;
                continue;
            }
            if (!rc)
                o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)inc->id, "title", inc->title,
                              "status", inc->status, "severity", inc->severity);
        } else {
            indicator_copy_t c = {0, "", NULL};

            rc = ermes__store_indicator_get(st, v, h->v[i].id, indicator_cb, &c);
            if (rc == ERMES_ENOTFOUND || (!rc && !c.found)) {
                ermes__free(c.value);
                rc = 0;
                continue;
            }
            if (!rc)
                o = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)h->v[i].id, "type", c.type,
                              "value", c.value);
            ermes__free(c.value);
        }
        if (rc)
            break;
        if (!o || json_object_set(o, "cves", h->v[i].cves) ||
            json_object_set_new(o, "linked", json_boolean(h->v[i].linked)) ||
            json_array_append_new(arr, o)) {
            json_decref(o);
            rc = ERMES_ENOMEM;
        }
    }
    free(inc);
    return rc;
}

int ermes__advisory_links_json(ermes__store_t *st, const ermes__viewer_t *v,
                               const ermes__advisory_t *a, json_t *j)
{
    static const char *const kinds[2] = {"incident", "indicator"};
    char(*cves)[ERMES_CVE_ID_MAX] = malloc(ERMES_ADVISORY_CVES_MAX * sizeof(*cves));
    size_t n, i;
    int rc = 0;

    if (!cves)
        return ERMES_ENOMEM;
    n = cves_of(v, a, cves, ERMES_ADVISORY_CVES_MAX);
    for (int k = 0; k < 2 && !rc; k++) {
        hits_t h = {0};
        json_t *arr = json_array();

        if (!arr) {
            rc = ERMES_ENOMEM;
            break;
        }
        for (i = 0; i < n && !rc; i++) {
            h.cve = cves[i];
            rc = k == 0 ? ermes__store_incidents_with_cve(st, cves[i], collect, &h)
                        : ermes__store_indicators_with_value(st, cves[i], collect, &h);
        }
        h.cve = NULL;
        h.kind = kinds[k];
        if (!rc)
            rc = ermes__store_advisory_link_each(st, a->id, NULL, 0, collect_link, &h);
        if (!rc)
            rc = objects_json(st, v, kinds[k], &h, arr);
        hits_free(&h);
        if (rc || json_object_set_new(j, k == 0 ? "incidents" : "indicators", arr)) {
            if (rc)
                json_decref(arr);
            rc = rc ? rc : ERMES_ENOMEM;
        }
    }
    free(cves);
    return rc;
}

/* An object's explicit links list advisories: collect_link takes the advisory id. */
static int collect_advisory(void *ctx, int64_t advisory_id, const char *kind, int64_t object_id)
{
    (void)kind;
    (void)object_id;
    return collect(ctx, advisory_id);
}

typedef struct observables {
    char (*cves)[ERMES_CVE_ID_MAX];
    size_t n;
} observables_t;

static int observable_cb(void *ctx, const ermes__incident_observable_t *o)
{
    observables_t *c = ctx;

    if (o->type && strcmp(o->type, "cve") == 0 && o->value && cve_valid(o->value) &&
        c->n < ERMES_ADVISORY_CVES_MAX) {
        size_t k;
        for (k = 0; o->value[k]; k++)
            c->cves[c->n][k] =
                (char)(o->value[k] >= 'a' && o->value[k] <= 'z' ? o->value[k] - 32 : o->value[k]);
        c->cves[c->n][k] = '\0';
        for (k = 0; k < c->n && strcmp(c->cves[k], c->cves[c->n]); k++)
            ;
        if (k == c->n)
            c->n++;
    }
    return 0;
}

int ermes__incident_advisories_json(ermes__store_t *st, const ermes__viewer_t *v,
                                    int64_t incident_id, json_t *j)
{
    observables_t obs = {malloc(ERMES_ADVISORY_CVES_MAX * sizeof(*obs.cves)), 0};
    char(*mine)[ERMES_CVE_ID_MAX] = malloc(ERMES_ADVISORY_CVES_MAX * sizeof(*mine));
    hits_t h = {0};
    json_t *arr = json_array();
    size_t i;
    int rc = 0;

    if (!obs.cves || !mine || !arr) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__store_incident_observable_each(st, incident_id, observable_cb, &obs)))
        goto out;
    /* Candidates by the index of advisories' CVE ids (of either document), then the CVE ids
     * of the text this viewer reads parsed: a published document that still names a CVE its
     * working copy dropped links for those who read the published one only. */
    for (i = 0; i < obs.n && !rc; i++) {
        h.cve = obs.cves[i];
        rc = ermes__store_advisories_with_cve(st, obs.cves[i], collect, &h);
    }
    for (i = 0; i < h.n; i++)
        json_array_clear(h.v[i].cves);
    h.cve = NULL;
    if (!rc)
        rc = ermes__store_advisory_link_each(st, 0, "incident", incident_id, collect_advisory, &h);
    for (i = 0; i < h.n && !rc; i++) {
        ermes__advisory_t a;
        char ref[32];
        size_t n, k, m;
        json_t *o;

        snprintf(ref, sizeof(ref), "%lld", (long long)h.v[i].id);
        if ((rc = ermes__store_advisory_get(st, ref, &a)) == ERMES_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        if (!may_read(v, &a)) {
            ermes__advisory_cleanup(&a);
            continue;
        }
        n = cves_of(v, &a, mine, ERMES_ADVISORY_CVES_MAX);
        for (k = 0; k < n; k++)
            for (m = 0; m < obs.n; m++)
                if (strcmp(mine[k], obs.cves[m]) == 0 &&
                    json_array_append_new(h.v[i].cves, json_string(mine[k])))
                    rc = ERMES_ENOMEM;
        if (!rc && (json_array_size(h.v[i].cves) || h.v[i].linked)) {
            o = json_pack("{s:I,s:s,s:s,s:s,s:O,s:b}", "id", (json_int_t)a.id, "tracking_id",
                          a.tracking_id, "title", a.title, "status", a.status, "cves", h.v[i].cves,
                          "linked", h.v[i].linked);
            if (!o || json_array_append_new(arr, o))
                rc = ERMES_ENOMEM;
        }
        ermes__advisory_cleanup(&a);
    }
    if (!rc && json_object_set(j, "advisories", arr))
        rc = ERMES_ENOMEM;
out:
    json_decref(arr);
    hits_free(&h);
    free(obs.cves);
    free(mine);
    return rc;
}

static int kind_valid(const char *kind)
{
    return kind && (strcmp(kind, "incident") == 0 || strcmp(kind, "indicator") == 0);
}

int ermes__advisory_link_body_read(const json_t *body, const char **kind, int64_t *id,
                                   ermes_diag_t *d)
{
    json_t *k = json_object_get(body, "kind"), *o = json_object_get(body, "id");

    if (!json_is_object(body) || !json_is_string(k) || !kind_valid(json_string_value(k))) {
        ermes_diag_set(d, "kind", "the body is {\"kind\": incident or indicator, \"id\": its id}");
        return ERMES_EINVAL;
    }
    if (!json_is_integer(o) || json_integer_value(o) < 1 || json_object_size(body) != 2) {
        ermes_diag_set(d, "id", "the body is {\"kind\": incident or indicator, \"id\": its id}");
        return ERMES_EINVAL;
    }
    *kind = json_string_value(k);
    *id = json_integer_value(o);
    return 0;
}

int ermes__advisory_link(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                         const char *kind, int64_t object_id, int remove, int *changed,
                         ermes_diag_t *d)
{
    ermes__advisory_t a;
    ermes__incident_t *inc = NULL;
    int rc, own = 0;
    char *text = NULL;
    json_t *detail;

    *changed = 0;
    if (!kind_valid(kind)) {
        ermes_diag_set(d, "kind", "kind must be incident or indicator");
        return ERMES_EINVAL;
    }
    if ((rc = ermes__store_advisory_get(st, ref, &a)))
        return rc;
    if (!(inc = malloc(sizeof(*inc)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    own = !ermes__store_in_tx(st);
    if (own && (rc = ermes__store_begin(st)))
        goto out;
    /* Only what the analyst may see can be linked (a removal needs no such check: the link
     * may name an object deleted since). */
    if (!remove) {
        indicator_copy_t c = {0, "", NULL};

        rc = strcmp(kind, "incident") == 0
                 ? ermes__store_incident_get(st, v, object_id, inc)
                 : ermes__store_indicator_get(st, v, object_id, indicator_cb, &c);
        ermes__free(c.value);
        if (rc == ERMES_ENOTFOUND || (!rc && strcmp(kind, "indicator") == 0 && !c.found)) {
            ermes_diag_set(d, "id", "no %s %lld", kind, (long long)object_id);
            rc = ERMES_EINVAL;
        }
        if (rc)
            goto done;
        rc = ermes__store_advisory_link_add(st, a.id, kind, object_id,
                                            v && v->user_name ? v->user_name : "", a.tlp,
                                            a.owner_org_id, changed);
    } else {
        rc = ermes__store_advisory_link_remove(st, a.id, kind, object_id);
        if (rc == ERMES_ENOTFOUND)
            ermes_diag_set(d, "id", "advisory %s has no link to %s %lld", a.tracking_id, kind,
                           (long long)object_id);
        *changed = rc == 0;
    }
    if (rc || !*changed)
        goto done;
    detail = json_pack("{s:s,s:I,s:I,s:s}", "kind", kind, "id", (json_int_t)object_id, "advisory",
                       (json_int_t)a.id, "tracking_id", a.tracking_id);
    text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    if (!text) {
        rc = ERMES_ENOMEM;
        goto done;
    }
    if (strcmp(kind, "incident") == 0) {
        /* The incident's history says an advisory was linked or unlinked: staff only (public
         * 0), as the advisory may still be a draft. */
        ermes__timeline_entry_t e;

        memset(&e, 0, sizeof(e));
        e.incident_id = object_id;
        e.user_id = v ? v->user_id : 0;
        e.actor = v && v->user_name ? v->user_name : "local administrator";
        e.kind = remove ? "advisory_unlink" : "advisory_link";
        e.detail = text;
        /* A link to an incident deleted since has no timeline left to write. */
        if (!remove || ermes__store_incident_get(st, v, object_id, inc) == 0)
            rc = ermes__store_incident_timeline_add(st, &e);
    }
    if (!rc)
        ermes__audit_write(st, v, remove ? "unlink" : "link", "advisory", a.tracking_id, text);
done:
    if (own) {
        if (rc)
            ermes__store_rollback(st);
        else
            rc = ermes__store_commit(st);
    }
out:
    free(text);
    free(inc);
    ermes__advisory_cleanup(&a);
    return rc;
}
