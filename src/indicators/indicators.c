/* Indicators into the store: a set built by the detection engine's loaders, canonical, minus
 * what the warninglists suppress. And the active stored indicators back into a set. */
#include "indicators/indicators.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"

void ermes__ind_import_cleanup(ermes__ind_import_t *rep)
{
    if (!rep)
        return;
    ermes__free(rep->errors);
    ermes__free(rep->suppressions);
    ermes__free(rep->ids);
    ermes__free(rep->set_ids);
    memset(rep, 0, sizeof(*rep));
}

int ermes__ind_import_reject(ermes__ind_import_t *rep, long index, long line, const char *reason)
{
    ermes__ind_import_error_t *e;

    rep->rejected++;
    if (rep->nerrors >= ERMES_IND_IMPORT_MAX_LISTED)
        return 0;
    if (!rep->errors &&
        !(rep->errors = ermes__calloc(ERMES_IND_IMPORT_MAX_LISTED, sizeof(*rep->errors))))
        return ERMES_ENOMEM;
    e = &rep->errors[rep->nerrors++];
    e->index = index;
    e->line = line;
    snprintf(e->reason, sizeof(e->reason), "%s", reason && reason[0] ? reason : "rejected");
    return 0;
}

void ermes__warninglists_free(ermes_warninglist_t **wls, size_t n)
{
    if (!wls)
        return;
    for (size_t i = 0; i < n; i++)
        ermes_warninglist_free(wls[i]);
    ermes__free(wls);
}

/* Reads a whole file of at most max bytes; caller frees. */
static char *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t r;
        if (n == cap) {
            char *nb;
            if (cap >= max)
                goto fail;
            cap = cap ? cap * 2 : 65536;
            if (cap > max)
                cap = max;
            if (!(nb = ermes__realloc(buf, cap + 1)))
                goto fail;
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    ermes__free(buf);
    return NULL;
}

int ermes__warninglists_load(const char *files, ermes_warninglist_t ***out, size_t *n,
                             ermes_diag_t *d)
{
    ermes_warninglist_t **wls = NULL;
    size_t count = 0;
    const char *p = files ? files : "";
    int rc = 0;

    *out = NULL;
    *n = 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char path[1024];
        ermes_warninglist_t **grown;
        char *data;
        size_t dlen;

        if (len && len < sizeof(path)) {
            memcpy(path, p, len);
            path[len] = '\0';
            if (!(data = slurp(path, (size_t)256 << 20, &dlen))) {
                snprintf(d->source, sizeof(d->source), "%.120s", path);
                ermes_diag_set(d, "warninglists", "%s: cannot be read", path);
                rc = ERMES_EIO;
                break;
            }
            if (!(grown = ermes__reallocarray(wls, count + 1, sizeof(*wls)))) {
                ermes__free(data);
                rc = ERMES_ENOMEM;
                break;
            }
            wls = grown;
            rc = ermes_warninglist_new(data, dlen, &wls[count], d);
            ermes__free(data);
            if (rc) {
                snprintf(d->source, sizeof(d->source), "%.120s", path);
                break;
            }
            count++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (rc) {
        ermes__warninglists_free(wls, count);
        return rc;
    }
    *out = wls;
    *n = count;
    return 0;
}

typedef struct suppress_ctx {
    ermes__ind_import_t *rep;
    const ermes_indicator_set_t *set;
} suppress_ctx_t;

static void suppressed_cb(void *arg, uint32_t id, const ermes_warninglist_t *wl)
{
    suppress_ctx_t *c = arg;
    ermes__ind_import_t *rep = c->rep;
    ermes__ind_import_suppressed_t *s;

    rep->suppressed++;
    if (rep->nsuppressions >= ERMES_IND_IMPORT_MAX_LISTED)
        return;
    if (!rep->suppressions && !(rep->suppressions = ermes__calloc(ERMES_IND_IMPORT_MAX_LISTED,
                                                                  sizeof(*rep->suppressions))))
        return;
    s = &rep->suppressions[rep->nsuppressions++];
    if (!ermes_indicator_set_value(c->set, id, s->value, sizeof(s->value)))
        snprintf(s->value, sizeof(s->value), "(indicator %u)", id);
    snprintf(s->warninglist, sizeof(s->warninglist), "%s", ermes_warninglist_name(wl));
}

int ermes__indicators_store(ermes__store_t *st, const ermes__viewer_t *v,
                            ermes_indicator_set_t *set, ermes_warninglist_t *const *wls, size_t nwl,
                            ermes_tlp_t default_tlp, ermes__ind_import_t *rep)
{
    ermes_matcher_t *m = NULL;
    size_t n = ermes_indicator_set_count(set);
    char *value = NULL;
    char tags[ERMES_INDICATOR_TAGS_MAX];
    int rc = 0, in_tx = 0;

    /* Warninglists mark the set's indicators suppressed; the matcher keeps every id and
     * reports the flag, which is how the loop below sees them. */
    for (size_t k = 0; k < nwl; k++) {
        suppress_ctx_t sc = {rep, set};
        ermes_indicator_set_suppress(set, wls[k], suppressed_cb, &sc);
    }
    if ((rc = ermes_matcher_build(set, 0, &m)))
        goto out;
    if (!(value = ermes__malloc(ERMES_INDICATOR_VALUE_MAX + 8))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (n && (!(rep->ids = ermes__calloc(n, sizeof(*rep->ids))) ||
              !(rep->set_ids = ermes__calloc(n, sizeof(*rep->set_ids))))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    /* Inside a caller's transaction (a STIX import stores its objects and their indicators
     * together), that transaction decides. */
    if (!ermes__store_in_tx(st)) {
        if ((rc = ermes__store_begin(st)))
            goto out;
        in_tx = 1;
    }
    for (uint32_t id = 0; id < n; id++) {
        ermes_matcher_indicator_t mi;
        ermes__indicator_row_t row;
        int created = 0;

        ermes_matcher_indicator(m, id, &mi);
        if (mi.flags & ERMES_IND_SUPPRESSED)
            continue;
        if (!ermes_matcher_value(m, id, value, ERMES_INDICATOR_VALUE_MAX + 8))
            continue;
        memset(&row, 0, sizeof(row));
        row.type = ermes_ind_type_name(mi.type);
        row.value = value;
        row.exact = (mi.flags & ERMES_IND_EXACT) != 0;
        row.valid_from = mi.valid_from;
        row.valid_until = mi.valid_until;
        row.confidence = mi.confidence;
        row.tlp = mi.tlp >= 0 && mi.tlp <= ERMES_TLP_RED ? (ermes_tlp_t)mi.tlp : default_tlp;
        row.owner_org_id = v ? v->org_id : 0;
        row.source = mi.source;
        if (ermes__tags_to_json(mi.tags, tags, sizeof(tags))) {
            if ((rc = ermes__ind_import_reject(rep, -1, 0, "the tags are too long")))
                goto out;
            continue;
        }
        row.tags = tags;
        row.forced = rep->forced;
        if ((rc = ermes__store_indicator_put(st, &row, &created)))
            goto out;
        rep->ids[rep->nids++] = row.id;
        rep->set_ids[id] = row.id;
        if (created)
            rep->added++;
        else
            rep->updated++;
    }
    if (in_tx)
        rc = ermes__store_commit(st);
    in_tx = 0;
out:
    if (in_tx)
        ermes__store_rollback(st);
    if (rc) {
        rep->added = rep->updated = 0;
        rep->nids = 0;
        if (rep->set_ids)
            memset(rep->set_ids, 0, n * sizeof(*rep->set_ids));
    }
    ermes__free(value);
    ermes_matcher_release(m);
    return rc;
}

typedef struct from_store_ctx {
    ermes_indicator_set_t *set;
    size_t n;
    int64_t now, through_id; /* for a job's indicators: active at now, ids up to through_id */
    char tags[ERMES_INDICATOR_TAGS_MAX];
    int64_t *ids; /* when wanted: the stored id of each of the set's indicators, by index */
    size_t ids_cap;
    int want_ids;
} from_store_ctx_t;

/* The stored JSON array of tags back to the engine's comma list. */
static void tags_list(const char *json, char *buf, size_t cap)
{
    json_error_t err;
    json_t *arr = json_loads(json ? json : "[]", 0, &err);
    ermes_diag_t d;

    buf[0] = '\0';
    if (arr && ermes__tags_from_json(arr, buf, cap, &d))
        buf[0] = '\0';
    json_decref(arr);
}

static int from_store_cb(void *arg, const ermes__indicator_row_t *r)
{
    from_store_ctx_t *c = arg;
    ermes_indicator_t ind;
    ermes_diag_t d;
    uint32_t index = 0;
    int rc;

    if (c->through_id && r->id > c->through_id)
        return 1; /* past the range: stop (ids come in order) */
    if (c->now &&
        ((r->valid_from && r->valid_from > c->now) || (r->valid_until && r->valid_until <= c->now)))
        return 0; /* not active */
    ermes_indicator_init(&ind);
    ind.type = ermes_ind_type_parse(r->type, strlen(r->type));
    ind.value = r->value;
    ind.len = strlen(r->value);
    ind.flags = (r->exact ? ERMES_IND_EXACT : 0) | (r->forced ? ERMES_IND_FORCED : 0);
    ind.valid_from = r->valid_from;
    ind.valid_until = r->valid_until;
    ind.confidence = r->confidence;
    ind.tlp = (int)r->tlp;
    ind.source = r->source;
    tags_list(r->tags, c->tags, sizeof(c->tags));
    ind.tags = c->tags[0] ? c->tags : NULL;
    ermes_diag_clear(&d);
    rc = ermes_indicator_set_add(c->set, &ind, &index, &d);
    if (rc == ERMES_EINVAL)
        return 0; /* stored by an older, laxer version: it cannot match, leave it out */
    if (rc)
        return rc;
    c->n++;
    if (c->want_ids) {
        /* The matcher names an indicator by its index in the set; what a person looks up is
         * the stored id (`ermes indicators show ID`). */
        if (index >= c->ids_cap) {
            size_t cap = c->ids_cap ? c->ids_cap * 2 : 1024;
            int64_t *p;
            while (cap <= index)
                cap *= 2;
            if (!(p = ermes__reallocarray(c->ids, cap, sizeof(*p))))
                return ERMES_ENOMEM;
            memset(p + c->ids_cap, 0, (cap - c->ids_cap) * sizeof(*p));
            c->ids = p;
            c->ids_cap = cap;
        }
        c->ids[index] = r->id;
    }
    return 0;
}

int ermes__indicators_from_store(ermes__store_t *st, int64_t now, ermes_indicator_set_t *set,
                                 size_t *n)
{
    return ermes__indicators_from_store_ids(st, now, set, n, NULL, NULL);
}

int ermes__indicators_from_store_ids(ermes__store_t *st, int64_t now, ermes_indicator_set_t *set,
                                     size_t *n, int64_t **ids, size_t *nids)
{
    ermes__indicator_filter_t f;
    from_store_ctx_t *c = ermes__calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return ERMES_ENOMEM;
    memset(&f, 0, sizeof(f));
    f.active_at = now ? now : ermes__time_now_ms();
    c->set = set;
    c->want_ids = ids != NULL;
    rc = ermes__store_indicator_each(st, NULL, &f, from_store_cb, c, NULL);
    if (n)
        *n = c->n;
    if (ids && !rc) {
        *ids = c->ids;
        *nids = c->ids_cap;
        c->ids = NULL;
    }
    ermes__free(c->ids);
    ermes__free(c);
    return rc;
}

int ermes__indicators_from_store_job(ermes__store_t *st, int64_t now, const int64_t *ids,
                                     size_t nids, int64_t after_id, int64_t through_id,
                                     ermes_indicator_set_t *set, size_t *n)
{
    ermes__indicator_filter_t f;
    from_store_ctx_t *c = ermes__calloc(1, sizeof(*c));
    int rc = 0;

    if (!c)
        return ERMES_ENOMEM;
    c->set = set;
    c->now = now ? now : ermes__time_now_ms();
    if (ids) {
        for (size_t i = 0; i < nids && rc == 0; i++) {
            rc = ermes__store_indicator_get(st, NULL, ids[i], from_store_cb, c);
            if (rc == ERMES_ENOTFOUND)
                rc = 0; /* deleted since the job was queued */
        }
    } else {
        memset(&f, 0, sizeof(f));
        f.after_id = after_id;
        f.active_at = c->now;
        c->through_id = through_id > 0 ? through_id : INT64_MAX;
        rc = ermes__store_indicator_each(st, NULL, &f, from_store_cb, c, NULL);
        if (rc == 1)
            rc = 0;
    }
    if (n)
        *n = c->n;
    ermes__free(c);
    return rc;
}
