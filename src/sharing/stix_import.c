/* STIX 2.1 bundles into the store: every object checked on its own and kept whole, one row a
 * version; indicators with STIX patterns ermes can match become ermes indicators too, with
 * their names and descriptions; patterns it cannot match are kept and reported. */
#include "sharing/stix.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "core/uuid.h"
#include "indicators/indicators.h"
#include "sharing/pattern.h"

/* STIX 2.1 section 6: the cyber-observable objects, which have no created/modified and one
 * version. */
static const char *const sco_types[] = {
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
};

static int is_sco(const char *type, const json_t *o)
{
    for (size_t i = 0; i < sizeof(sco_types) / sizeof(sco_types[0]); i++)
        if (!strcmp(type, sco_types[i]))
            return 1;
    /* A custom object without created is an SCO (custom SDOs and SROs must have it). */
    return strcmp(type, "marking-definition") != 0 && strcmp(type, "bundle") != 0 &&
           !json_object_get(o, "created");
}

/* STIX 2.1 section 3.1: a type is 3 to 250 of a-z, 0-9 and '-', no leading/trailing '-'. */
static int type_ok(const char *t)
{
    size_t n = strlen(t);

    if (n < 3 || n > 250 || t[0] == '-' || t[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) || t[i] == '-'))
            return 0;
    return 1;
}

void ermes__stix_import_result_init(ermes__stix_import_result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->failures = json_array();
    r->successes = json_array();
    r->unsupported_patterns = json_array();
}

void ermes__stix_import_result_cleanup(ermes__stix_import_result_t *r)
{
    json_decref(r->failures);
    json_decref(r->successes);
    json_decref(r->unsupported_patterns);
    memset(r, 0, sizeof(*r));
}

json_t *ermes__stix_import_result_json(const ermes__stix_import_result_t *r)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:O,s:O}", "total", (json_int_t)r->total, "stored",
                     (json_int_t)r->stored, "duplicates", (json_int_t)r->duplicates, "failed",
                     (json_int_t)r->failed, "indicators", (json_int_t)r->indicators, "failures",
                     r->failures, "unsupported_patterns", r->unsupported_patterns);
}

static int failure(ermes__stix_import_result_t *res, size_t index, const char *id,
                   const char *version, const char *reason)
{
    json_t *f = json_pack("{s:I,s:s?,s:s?,s:s}", "index", (json_int_t)index, "id", id, "version",
                          version && version[0] ? version : NULL, "reason", reason);

    res->failed++;
    if (!f || json_array_append_new(res->failures, f))
        return ERMES_ENOMEM;
    return 0;
}

/* The indicators of one page of objects, made together: the store's indicator import builds a
 * matcher of its set (a 4 MiB address prefilter among others), which per object cost more than
 * the rest of the import. Each entry is one STIX indicator's share of the set. */
typedef struct ind_entry {
    json_t *obj;         /* borrowed from the objects being imported */
    uint32_t first, end; /* its indicators: the set's indices first..end-1 */
} ind_entry_t;

typedef struct ind_batch {
    ermes_indicator_set_t *set;
    ind_entry_t *e;
    size_t n, cap;
} ind_batch_t;

typedef struct ind_ctx {
    ermes_indicator_set_t *set;
    ermes_indicator_t base;
    ermes_diag_t d;
    int bad;
} ind_ctx_t;

static int ind_cb(void *ctx, ermes_ind_type_t type, const char *value, size_t len, unsigned flags)
{
    ind_ctx_t *c = ctx;
    ermes_indicator_t ind = c->base;
    int rc;

    ind.type = type;
    ind.value = value;
    ind.len = len;
    ind.flags = flags;
    rc = ermes_indicator_set_add(c->set, &ind, NULL, &c->d);
    if (rc == ERMES_EINVAL) {
        c->bad = 1; /* a value the detection engine refuses: the pattern is not ours */
        return ERMES_EUNSUPPORTED;
    }
    return rc;
}

static int64_t time_ms(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    int64_t ms = 0;
    ermes_diag_t d;

    if (s && ermes__time_parse(s, strlen(s), &ms, &d) == 0)
        return ms;
    return 0;
}

/* The ermes indicators of one STIX indicator (its newest version) into the page's set, stored
 * and described at the end of the page (batch_store). A pattern with a value the engine refuses
 * adds nothing: it is first expanded into a set of its own, then, whole, into the page's. */
static int make_indicators(ind_batch_t *b, const ermes__stix_import_opts_t *o, json_t *obj,
                           const char *id, ermes_tlp_t tlp, const ermes__pattern_t *p,
                           ermes__stix_import_result_t *res)
{
    ind_ctx_t c;
    char tags[2048] = "";
    json_t *lab;
    size_t i, n = 0;
    uint32_t first;
    int rc;

    memset(&c, 0, sizeof(c));
    if ((rc = ermes_indicator_set_new(&c.set)))
        return rc;
    ermes_indicator_init(&c.base);
    c.base.valid_from = time_ms(obj, "valid_from");
    c.base.valid_until = time_ms(obj, "valid_until");
    if (json_is_integer(json_object_get(obj, "confidence"))) {
        json_int_t v = json_integer_value(json_object_get(obj, "confidence"));
        if (v >= 0 && v <= 100)
            c.base.confidence = (int)v;
    }
    c.base.tlp = (int)tlp;
    c.base.source = json_string_value(json_object_get(obj, "created_by_ref"));
    if (!c.base.source)
        c.base.source = o->source && o->source[0] ? o->source : "stix";
    json_array_foreach(json_object_get(obj, "labels"), i, lab)
    {
        const char *l = json_string_value(lab);
        int w;
        if (!l || strchr(l, ','))
            continue;
        w = snprintf(tags + n, sizeof(tags) - n, "%s%s", n ? "," : "", l);
        if (w < 0 || (size_t)w >= sizeof(tags) - n) {
            tags[n] = '\0';
            break;
        }
        n += (size_t)w;
    }
    if (n)
        c.base.tags = tags;
    ermes_diag_clear(&c.d);
    rc = ermes__pattern_indicators(p, ind_cb, &c, &c.d);
    if (rc == ERMES_EUNSUPPORTED) {
        json_t *u = json_pack("{s:s,s:s}", "id", id, "reason", c.d.reason);
        res->unsupported++;
        rc = !u || json_array_append_new(res->unsupported_patterns, u) ? ERMES_ENOMEM : 0;
        goto out;
    }
    if (rc)
        goto out;
    /* Accepted whole: the same again into the page's set (every value passed above). */
    ermes_indicator_set_free(c.set);
    c.set = b->set;
    first = (uint32_t)ermes_indicator_set_count(b->set);
    ermes_diag_clear(&c.d);
    if ((rc = ermes__pattern_indicators(p, ind_cb, &c, &c.d))) {
        c.set = NULL;
        return rc == ERMES_EUNSUPPORTED ? ERMES_EINTERNAL : rc;
    }
    c.set = NULL;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        ind_entry_t *ne = ermes__reallocarray(b->e, ncap, sizeof(*ne));
        if (!ne)
            return ERMES_ENOMEM;
        b->e = ne;
        b->cap = ncap;
    }
    b->e[b->n].obj = obj;
    b->e[b->n].first = first;
    b->e[b->n].end = (uint32_t)ermes_indicator_set_count(b->set);
    b->n++;
out:
    ermes_indicator_set_free(c.set);
    return rc;
}

/* The page's indicators stored in one call (one matcher), then each described by its STIX
 * indicator, in the objects' order (a later version's name is the one that stays). */
static int batch_store(ermes__store_t *st, const ermes__stix_import_opts_t *o, ind_batch_t *b,
                       ermes__stix_import_result_t *res)
{
    ermes__ind_import_t rep;
    int rc;

    if (!b->n)
        return 0;
    memset(&rep, 0, sizeof(rep));
    /* Each indicator carries its object's TLP; the default is never used. */
    if ((rc = ermes__indicators_store(st, o->viewer, b->set, o->wls, o->nwl, o->default_tlp, &rep)))
        goto out;
    for (size_t k = 0; k < b->n && rc == 0; k++) {
        json_t *obj = b->e[k].obj;
        for (uint32_t i = b->e[k].first; i < b->e[k].end && rc == 0; i++) {
            if (!rep.set_ids || !rep.set_ids[i])
                continue;
            rc = ermes__store_indicator_describe(
                st, rep.set_ids[i], json_string_value(json_object_get(obj, "name")),
                json_string_value(json_object_get(obj, "description")),
                json_string_value(json_object_get(obj, "id")));
            res->indicators++;
        }
    }
out:
    ermes__ind_import_cleanup(&rep);
    return rc;
}

typedef struct newest_ctx {
    char key[32];
} newest_ctx_t;

static int newest_cb(void *ctx, const ermes__stix_row_t *r)
{
    newest_ctx_t *c = ctx;
    snprintf(c->key, sizeof(c->key), "%s", r->version_key);
    return 0;
}

/* The newest stored version of stix_id, whoever may see it. */
static int newest_version(ermes__store_t *st, const char *stix_id, char key[32])
{
    ermes__stix_filter_t f;
    newest_ctx_t c;
    int rc;

    memset(&f, 0, sizeof(f));
    f.tlp_anyone = ERMES__TLP_ALL;
    f.ids[0] = stix_id;
    f.nids = 1;
    f.added_after = -1;
    f.after_added = -1;
    f.versions = ERMES__STIX_VERSION_LAST;
    c.key[0] = '\0';
    rc = ermes__store_stix_each(st, &f, newest_cb, &c, NULL);
    snprintf(key, 32, "%s", c.key);
    return rc;
}

static int import_one(ermes__store_t *st, ind_batch_t *b, json_t *obj, size_t index, int64_t added,
                      const ermes__stix_import_opts_t *o, ermes__stix_import_result_t *res)
{
    const char *type, *id, *spec, *created, *modified, *pt;
    char key[32] = "", why[300], newest[32];
    ermes__stix_row_t row;
    ermes_tlp_t tlp = o->default_tlp, t;
    ermes__pattern_t pat;
    ermes_diag_t d;
    json_t *refs, *ref;
    char *text = NULL;
    size_t i, tl;
    int rc = 0, created_row = 0, sco, have_pattern = 0, marked = 0;

    memset(&pat, 0, sizeof(pat));
    res->total++;
    if (!json_is_object(obj))
        return failure(res, index, NULL, NULL, "not a JSON object");
    type = json_string_value(json_object_get(obj, "type"));
    id = json_string_value(json_object_get(obj, "id"));
    if (!type || !type_ok(type))
        return failure(res, index, id, NULL, "type: missing, or not a STIX type name");
    if (!id)
        return failure(res, index, NULL, NULL, "id: missing");
    tl = strlen(type);
    if (strncmp(id, type, tl) != 0 || strncmp(id + tl, "--", 2) != 0 ||
        !ermes__uuid_valid(id + tl + 2, strlen(id + tl + 2)))
        return failure(res, index, id, NULL, "id: not <type>--<UUID> of its type");
    if (!strcmp(type, "bundle"))
        return failure(res, index, id, NULL, "a bundle inside a bundle");
    sco = is_sco(type, obj);
    spec = json_string_value(json_object_get(obj, "spec_version"));
    /* STIX 2.1 section 3.2: optional on SCOs, 2.1 when absent; an SDO, SRO or marking without
     * it is STIX 2.0's, which had none. */
    if (!spec)
        spec = sco ? "2.1" : "2.0";
    if (!spec || (strcmp(spec, "2.1") != 0 && strcmp(spec, "2.0") != 0))
        return failure(res, index, id, NULL, "spec_version: missing, or not 2.1 or 2.0");
    created = json_string_value(json_object_get(obj, "created"));
    modified = json_string_value(json_object_get(obj, "modified"));
    if (!sco || created) {
        if (!created || ermes__stix_version_key(created, key))
            return failure(res, index, id, NULL,
                           "created: missing, or not a STIX timestamp (YYYY-MM-DDTHH:MM:SS.sssZ)");
    }
    if (modified) {
        char ck[32];
        if (ermes__stix_version_key(modified, key))
            return failure(res, index, id, NULL, "modified: not a STIX timestamp");
        if (created && ermes__stix_version_key(created, ck) == 0 && strcmp(key, ck) < 0)
            return failure(res, index, id, modified, "modified: earlier than created");
    } else if (!sco && strcmp(type, "marking-definition") != 0 &&
               strcmp(type, "extension-definition") != 0 && strcmp(type, "language-content") != 0) {
        /* STIX 2.1 section 3.2: every SDO and SRO has modified (marking definitions do not). */
        if (json_object_get(obj, "created") && strcmp(spec, "2.1") == 0 &&
            strcmp(type, "extension-definition") != 0)
            return failure(res, index, id, NULL, "modified: missing");
    }
    if (sco)
        key[0] = '\0';
    /* TLP: the most restrictive TLP marking the object names (TLP 2.0 or 1.0); marking
     * definitions themselves are CLEAR: a definition says nothing secret. */
    refs = json_object_get(obj, "object_marking_refs");
    if (refs && !json_is_array(refs))
        return failure(res, index, id, modified, "object_marking_refs: not an array");
    json_array_foreach(refs, i, ref)
    {
        const char *r = json_string_value(ref);
        if (!r)
            return failure(res, index, id, modified, "object_marking_refs: not a list of ids");
        if (ermes__stix_marking_tlp(r, &t) == 0) {
            if (!marked || t > tlp)
                tlp = t;
            marked = 1;
        }
    }
    if (!strcmp(type, "marking-definition") && ermes__stix_marking_tlp(id, &t) == 0)
        tlp = ERMES_TLP_CLEAR;
    if (tlp > o->max_tlp) {
        snprintf(why, sizeof(why), "TLP:%s is above this collection's TLP:%s", ermes_tlp_name(tlp),
                 ermes_tlp_name(o->max_tlp));
        return failure(res, index, id, modified, why);
    }
    /* An indicator's pattern is checked before anything is stored: a malformed one is the
     * object's failure (STIX 2.1 section 9: an invalid pattern matches nothing). */
    pt = json_string_value(json_object_get(obj, "pattern_type"));
    if (!strcmp(type, "indicator")) {
        json_t *pv = json_object_get(obj, "pattern");
        if (!json_is_string(pv) || !pt)
            return failure(res, index, id, modified, "pattern and pattern_type: required");
        if (!strcmp(pt, "stix")) {
            ermes_diag_clear(&d);
            rc = ermes__pattern_parse(json_string_value(pv), json_string_length(pv), &pat, &d);
            if (rc == ERMES_ENOMEM)
                goto out;
            if (rc) {
                snprintf(why, sizeof(why), "pattern: %s", d.reason);
                rc = failure(res, index, id, modified, why);
                goto out;
            }
            have_pattern = 1;
        }
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (strlen(text) > ERMES__STIX_OBJECT_MAX) {
        rc = failure(res, index, id, modified, "larger than 1 MiB");
        goto out;
    }
    memset(&row, 0, sizeof(row));
    row.stix_id = id;
    row.date_added = added;
    row.type = type;
    row.spec_version = spec;
    row.created = created;
    row.modified = modified;
    row.version_key = key;
    row.source = o->source;
    row.sharing_group_id = o->sharing_group_id;
    row.revoked = json_is_true(json_object_get(obj, "revoked"));
    row.object = text;
    row.tlp = tlp;
    row.owner_org_id = o->viewer ? o->viewer->org_id : 0;
    if ((rc = ermes__store_stix_put(st, &row, &created_row)))
        goto out;
    if (created_row)
        res->stored++;
    else
        res->duplicates++;
    /* The organisations the importer gives the object to, as PATCH /api/v1/indicators does
     * for an indicator: every path then asks the policy with them (tlp_recipients.c). */
    if (o->nrecipients && (rc = ermes__store_tlp_recipients_set(
                               st, id, 0, o->recipients, o->nrecipients, tlp, row.owner_org_id)))
        goto out;
    {
        json_t *s = json_pack("{s:s,s:s?}", "id", id, "version", modified ? modified : created);
        if (!s || json_array_append_new(res->successes, s)) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    /* Only the newest version of an indicator speaks for it in detection, and a revoked one
     * no longer does (its ermes indicators stay until someone deletes them: they may have
     * come from elsewhere too). */
    if (have_pattern && created_row && !row.revoked) {
        /* The only version is the newest; else the store says which is. */
        if (!row.sole && (rc = newest_version(st, id, newest)))
            goto out;
        if (row.sole || !strcmp(newest, key))
            rc = make_indicators(b, o, obj, id, tlp, &pat, res);
    }
out:
    ermes__pattern_cleanup(&pat);
    free(text);
    return rc;
}

int ermes__stix_import_objects(ermes__store_t *st, json_t *objects,
                               const ermes__stix_import_opts_t *o, ermes__stix_import_result_t *res)
{
    /* TAXII 2.1 section 3.4: date_added is when the server added the object; the objects of
     * one request are added at one time. */
    int64_t added = ermes__time_now_ms();
    ind_batch_t b;
    json_t *obj;
    size_t i;
    int rc = 0;

    if (!res->failures || !res->successes || !res->unsupported_patterns)
        return ERMES_ENOMEM;
    memset(&b, 0, sizeof(b));
    if ((rc = ermes_indicator_set_new(&b.set)))
        return rc;
    if ((rc = ermes__store_begin(st)))
        goto out;
    json_array_foreach(objects, i, obj)
    {
        if ((rc = import_one(st, &b, obj, i, added, o, res)))
            break;
    }
    if (rc == 0)
        rc = batch_store(st, o, &b, res);
    if (rc)
        ermes__store_rollback(st);
    else
        rc = ermes__store_commit(st);
out:
    ermes_indicator_set_free(b.set);
    ermes__free(b.e);
    return rc;
}

int ermes__stix_import(ermes__store_t *st, const char *data, size_t len,
                       const ermes__stix_import_opts_t *o, ermes__stix_import_result_t *res,
                       ermes_diag_t *d)
{
    json_error_t err;
    json_t *doc, *objects, *one = NULL;
    int rc;

    doc = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        ermes_diag_set(d, NULL, "not JSON: %s", err.text);
        if (d) {
            d->line = err.line;
            d->column = err.column;
            d->offset = err.position;
        }
        return ERMES_EPARSE;
    }
    if (json_is_array(doc)) {
        objects = doc;
    } else if (json_is_object(doc) && json_is_array(json_object_get(doc, "objects"))) {
        /* A bundle (type "bundle") or a TAXII envelope. */
        const char *t = json_string_value(json_object_get(doc, "type"));
        if (t && strcmp(t, "bundle") != 0) {
            ermes_diag_set(d, "type", "an object with \"objects\" is a bundle or an envelope");
            json_decref(doc);
            return ERMES_EPARSE;
        }
        objects = json_object_get(doc, "objects");
    } else if (json_is_object(doc) && json_is_string(json_object_get(doc, "type"))) {
        if (!(one = json_array()) || json_array_append(one, doc)) {
            json_decref(one);
            json_decref(doc);
            return ERMES_ENOMEM;
        }
        objects = one;
    } else {
        ermes_diag_set(d, NULL, "not a STIX bundle, an envelope, an object or an array of them");
        json_decref(doc);
        return ERMES_EPARSE;
    }
    if (json_array_size(objects) > ERMES__STIX_BUNDLE_MAX) {
        ermes_diag_set(d, "objects", "more than %d objects", ERMES__STIX_BUNDLE_MAX);
        json_decref(one);
        json_decref(doc);
        return ERMES_ETOOBIG;
    }
    rc = ermes__stix_import_objects(st, objects, o, res);
    json_decref(one);
    json_decref(doc);
    return rc;
}
