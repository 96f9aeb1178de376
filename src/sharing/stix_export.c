/* ermes's own objects as STIX 2.1, and bundles out of the store.
 *
 * What ermes made itself (the CERT and its constituents, the indicators not imported from
 * STIX) is published into stix_objects with deterministic ids (UUIDv5 of a stable key in
 * ermes's namespace), one new version each time the object changes (its updated_at is the
 * STIX modified), so that exporting twice, or a peer pulling twice, never duplicates an
 * object. Exports read only the store, through the TLP policy. */
#include "sharing/stix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "core/uuid.h"
#include "sharing/pattern.h"

/* The registry's counter plus one when the organisations were last published: a registry that
 * never changed (counter 0, absent) is then told apart from one never published. Stored as the
 * counter itself, as before, a registry at 0 was published again on every TAXII page, and with
 * it the scan of every indicator for local ones. */
#define COUNTER_REGISTRY "stix_published_registry"
#define COUNTER_INDICATORS "stix_published_indicators_at"
#define COUNTER_INDICATOR_CHANGES "stix_published_indicators"
#define COUNTER_SIGHTINGS "stix_published_sightings"

static int any_sighting_cb(void *ctx, const ermes__sighting_t *s)
{
    (void)s;
    *(int *)ctx = 1;
    return 0;
}

static int det_id(const char *type, const char *key, char *out, size_t cap)
{
    char u[37];
    int rc;

    if ((rc = ermes__uuid5(ERMES__UUID_ERMES_NS, key, strlen(key), u)))
        return rc;
    return snprintf(out, cap, "%s--%s", type, u) < (int)cap ? 0 : ERMES_ETOOBIG;
}

int ermes__stix_cert_identity(ermes__store_t *st, char *out, size_t cap)
{
    char short_name[64], key[128];
    int64_t home = 0;

    /* As ermes__stix_publish names the CERT (created_by_ref of what it makes). */
    if (ermes__store_home_org(st, &home) ||
        ermes__store_org_short_name(st, home, short_name, sizeof(short_name)))
        snprintf(short_name, sizeof(short_name), "cert");
    snprintf(key, sizeof(key), "organisation:%s", short_name);
    return det_id("identity", key, out, cap);
}

int ermes__stix_indicator_id(const ermes__indicator_row_t *r, char *out, size_t cap)
{
    char key[ERMES_INDICATOR_VALUE_MAX + 64];

    if (r->stix_id && r->stix_id[0])
        return snprintf(out, cap, "%s", r->stix_id) < (int)cap ? 0 : ERMES_ETOOBIG;
    snprintf(key, sizeof(key), "indicator:%s:%s:%d", r->type, r->value, r->exact ? 1 : 0);
    return det_id("indicator", key, out, cap);
}

int ermes__stix_sighting_id(int64_t sighting_id, char *out, size_t cap)
{
    char key[64];

    snprintf(key, sizeof(key), "sighting:%lld", (long long)sighting_id);
    return det_id("sighting", key, out, cap);
}

static int put_object(ermes__store_t *st, json_t *obj, ermes_tlp_t tlp, int64_t owner)
{
    ermes__stix_row_t row;
    char key[32];
    char *text;
    int rc, created;

    json_object_set_new(obj, "object_marking_refs", json_pack("[s]", ermes__stix_marking_id(tlp)));
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return ERMES_ENOMEM;
    memset(&row, 0, sizeof(row));
    row.stix_id = json_string_value(json_object_get(obj, "id"));
    row.type = json_string_value(json_object_get(obj, "type"));
    row.spec_version = "2.1";
    row.created = json_string_value(json_object_get(obj, "created"));
    row.modified = json_string_value(json_object_get(obj, "modified"));
    if (!row.stix_id || !row.type || !row.modified || ermes__stix_version_key(row.modified, key)) {
        free(text);
        return ERMES_EINTERNAL;
    }
    row.version_key = key;
    row.source = "local";
    row.object = text;
    row.tlp = tlp;
    row.owner_org_id = owner;
    rc = ermes__store_stix_put(st, &row, &created);
    free(text);
    return rc;
}

typedef struct pub_ctx {
    ermes__store_t *st;
    char cert_id[80]; /* the CERT's identity, created_by_ref of what it makes */
    int64_t home;
    int64_t newest;
    int rc;
    json_t *objects;  /* uuid -> its label, of the MISP objects with a member published */
    json_t *reported; /* object uuid -> its group (object_group), of the objects looked at */
} pub_ctx_t;

static int org_cb(void *ctx, const ermes__org_t *org)
{
    pub_ctx_t *c = ctx;
    char id[80], key[300], created[32], modified[32];
    json_t *o;
    int rc;

    snprintf(key, sizeof(key), "organisation:%s", org->short_name);
    if ((rc = det_id("identity", key, id, sizeof(id))))
        return rc;
    ermes__time_format(org->meta.created_at, created);
    ermes__time_format(org->meta.updated_at > org->meta.created_at ? org->meta.updated_at
                                                                   : org->meta.created_at,
                       modified);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "identity", "spec_version", "2.1",
                  "id", id, "created", created, "modified", modified, "name",
                  org->name ? org->name : org->short_name, "identity_class", "organization",
                  "roles", org->meta.id == c->home ? "cert" : "constituent");
    if (!o)
        return ERMES_ENOMEM;
    if (org->sector && org->sector[0])
        json_object_set_new(o, "sectors", json_pack("[s]", org->sector));
    json_object_set_new(o, "x_ermes_short_name", json_string(org->short_name));
    rc = put_object(c->st, o, org->meta.tlp, org->meta.owner_org_id);
    json_decref(o);
    return rc;
}

static int indicator_cb(void *ctx, const ermes__indicator_row_t *r)
{
    pub_ctx_t *c = ctx;
    char id[80], pattern[2 * ERMES_INDICATOR_VALUE_MAX + 128];
    char created[32], modified[32], from[32], until[32];
    ermes_ind_type_t type = ermes_ind_type_parse(r->type, strlen(r->type));
    json_error_t err;
    json_t *o, *tags;
    int rc;

    if (r->updated_at > c->newest)
        c->newest = r->updated_at;
    if (ermes__pattern_from_indicator(type, r->value, strlen(r->value),
                                      r->exact ? ERMES_IND_EXACT : 0, pattern, sizeof(pattern)))
        return 0; /* a type STIX has no object for: not published */
    if ((rc = ermes__stix_indicator_id(r, id, sizeof(id))))
        return rc;
    ermes__time_format(r->created_at, created);
    ermes__time_format(r->updated_at, modified);
    ermes__time_format(r->valid_from ? r->valid_from : r->created_at, from);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "indicator",
                  "spec_version", "2.1", "id", id, "created_by_ref", c->cert_id, "created", created,
                  "modified", modified, "name", r->name && r->name[0] ? r->name : r->value,
                  "pattern", pattern, "pattern_type", "stix", "valid_from", from, "indicator_types",
                  "malicious-activity");
    if (!o)
        return ERMES_ENOMEM;
    json_object_set_new(o, "pattern_version", json_string("2.1"));
    if (r->description && r->description[0])
        json_object_set_new(o, "description", json_string(r->description));
    if (r->valid_until > (r->valid_from ? r->valid_from : r->created_at)) {
        ermes__time_format(r->valid_until, until);
        json_object_set_new(o, "valid_until", json_string(until));
    }
    if (r->confidence >= 0)
        json_object_set_new(o, "confidence", json_integer(r->confidence));
    tags = json_loads(r->tags ? r->tags : "[]", 0, &err);
    if (json_array_size(tags))
        json_object_set_new(o, "labels", tags);
    else
        json_decref(tags);
    rc = put_object(c->st, o, r->tlp, r->owner_org_id);
    json_decref(o);
    return rc;
}

typedef struct ind_ref {
    char id[96];
} ind_ref_t;

static int ind_ref_cb(void *ctx, const ermes__indicator_row_t *r)
{
    ind_ref_t *c = ctx;
    char key[ERMES_INDICATOR_VALUE_MAX + 64];

    if (r->stix_id) {
        snprintf(c->id, sizeof(c->id), "%s", r->stix_id);
        return 0;
    }
    snprintf(key, sizeof(key), "indicator:%s:%s:%d", r->type, r->value, r->exact ? 1 : 0);
    return det_id("indicator", key, c->id, sizeof(c->id));
}

static int sighting_cb(void *ctx, const ermes__sighting_t *s)
{
    pub_ctx_t *c = ctx;
    ermes__viewer_t staff = {0, "stix", ERMES_ROLE_ADMIN, 0, "stix"};
    char id[80], key[128], created[32], seen[32], org[64], org_id[80];
    ind_ref_t ind;
    json_t *o;
    int rc, named = 0;

    if (s->id > c->newest)
        c->newest = s->id;
    ind.id[0] = '\0';
    rc = ermes__store_indicator_get(c->st, &staff, s->indicator_id, ind_ref_cb, &ind);
    if (rc == ERMES_ENOTFOUND || !ind.id[0])
        return 0; /* its indicator is gone */
    if (rc)
        return rc;
    if ((rc = ermes__stix_sighting_id(s->id, id, sizeof(id))))
        return rc;
    ermes__time_format(s->created_at, created);
    ermes__time_format(s->event_time ? s->event_time : s->created_at, seen);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "type", "sighting", "spec_version",
                  "2.1", "id", id, "created_by_ref", c->cert_id, "created", created, "modified",
                  created, "sighting_of_ref", ind.id, "first_seen", seen, "last_seen", seen,
                  "count", 1);
    if (!o)
        return ERMES_ENOMEM;
    /* TLP 2.0: who was hit is the constituent's business. Named only in a sighting that
     * stays with the constituent and the CERT (AMBER and stricter, owned by the
     * constituent); a CLEAR or GREEN sighting says that the indicator was seen, not where. */
    if (s->org_id && s->tlp >= ERMES_TLP_AMBER &&
        ermes__store_org_short_name(c->st, s->org_id, org, sizeof(org)) == 0) {
        snprintf(key, sizeof(key), "organisation:%s", org);
        if (strlen(key) < sizeof(key) - 1 && det_id("identity", key, org_id, sizeof(org_id)) == 0) {
            json_object_set_new(o, "where_sighted_refs", json_pack("[s]", org_id));
            named = 1;
        }
    }
    rc = put_object(c->st, o, s->tlp, named ? s->org_id : c->home);
    json_decref(o);
    return rc;
}

/* A MISP object's label (and the report's): misp-object-meta:UUID:NAME:META-CATEGORY:
 * TEMPLATE-UUID:TEMPLATE-VERSION, with ':' and ',' in the name and meta-category made '-' so
 * that it splits at its ':' (the form earlier versions kept it in as a tag). */
static void object_label(const ermes__misp_object_t *o, char *buf, size_t cap)
{
    char name[64], meta[64];
    const char *from[2] = {o->name, o->meta_category};
    char *to[2] = {name, meta};

    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        for (const char *p = from[k]; p && *p && n + 1 < sizeof(name); p++)
            to[k][n++] = (*p == ':' || *p == ',') ? '-' : *p;
        to[k][n] = '\0';
    }
    snprintf(buf, cap, "misp-object-meta:%s:%s:%s:%s:%lld", o->uuid, name, meta, o->template_uuid,
             (long long)o->template_version);
}

static int changed_object_cb(void *ctx, const ermes__misp_object_t *o)
{
    pub_ctx_t *c = ctx;
    char label[300];

    if (!c->objects && !(c->objects = json_object()))
        return ERMES_ENOMEM;
    object_label(o, label, sizeof(label));
    return json_object_set_new(c->objects, o->uuid, json_string(label)) ? ERMES_ENOMEM : 0;
}

static int member_id_cb(void *ctx, int64_t id)
{
    return json_array_append_new(ctx, json_integer((json_int_t)id)) ? ERMES_ENOMEM : 0;
}

/* One member into its object's group: its STIX id, the group's first creation, last change and
 * strictest TLP (the report shows nobody an indicator it names). A member STIX does not show
 * (a type it has no pattern for, an indicator imported from STIX) is left out. */
static int group_member_cb(void *ctx, const ermes__indicator_row_t *r)
{
    json_t *g = ctx;
    char id[96], pattern[2 * ERMES_INDICATOR_VALUE_MAX + 128];
    ermes_ind_type_t type = ermes_ind_type_parse(r->type, strlen(r->type));
    int rc;

    if (r->stix_id ||
        ermes__pattern_from_indicator(type, r->value, strlen(r->value),
                                      r->exact ? ERMES_IND_EXACT : 0, pattern, sizeof(pattern)))
        return 0;
    if ((rc = ermes__stix_indicator_id(r, id, sizeof(id))))
        return rc;
    if (!json_array_size(json_object_get(g, "refs"))) {
        json_object_set_new(g, "created", json_integer(r->created_at));
        json_object_set_new(g, "modified", json_integer(r->updated_at));
    }
    if (json_array_append_new(json_object_get(g, "refs"), json_string(id)))
        return ERMES_ENOMEM;
    if (r->created_at < json_integer_value(json_object_get(g, "created")))
        json_object_set_new(g, "created", json_integer(r->created_at));
    if (r->updated_at > json_integer_value(json_object_get(g, "modified")))
        json_object_set_new(g, "modified", json_integer(r->updated_at));
    if ((json_int_t)r->tlp > json_integer_value(json_object_get(g, "tlp"))) {
        json_object_set_new(g, "tlp", json_integer(r->tlp));
        json_object_set_new(g, "owner", json_integer(r->owner_org_id));
    }
    return 0;
}

/* The group of MISP object uuid (src/store/misp_objects.c), made once a publication: {"refs":
 * its members' STIX ids, "created", "modified", "tlp", "owner"}; no refs when it has no member
 * STIX shows, and then no report. *out borrowed from c->reported. */
static int object_group(pub_ctx_t *c, const char *uuid, const json_t **out)
{
    ermes__viewer_t staff = {0, "stix", ERMES_ROLE_ADMIN, 0, "stix"};
    json_t *g, *ids = NULL;
    size_t i;
    int rc = 0;

    *out = NULL;
    if ((g = json_object_get(c->reported, uuid))) {
        *out = g;
        return 0;
    }
    if (!c->reported && !(c->reported = json_object()))
        return ERMES_ENOMEM;
    g = json_pack("{s:[],s:I,s:I,s:i,s:I}", "refs", "created", (json_int_t)0, "modified",
                  (json_int_t)0, "tlp", -1, "owner", (json_int_t)0);
    if (!g || json_object_set_new(c->reported, uuid, g) || !(ids = json_array()))
        return ERMES_ENOMEM;
    if ((rc = ermes__store_misp_object_members(c->st, uuid, member_id_cb, ids)))
        goto out;
    for (i = 0; i < json_array_size(ids); i++) {
        rc = ermes__store_indicator_get(c->st, &staff, json_integer_value(json_array_get(ids, i)),
                                        group_member_cb, g);
        if (rc == ERMES_ENOTFOUND)
            rc = 0;
        if (rc)
            goto out;
    }
    *out = g;
out:
    json_decref(ids);
    return rc;
}

static int cmp_ref(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* A MISP object's indicators stay separate STIX indicators (each matches by itself, as ermes
 * matches them, and an AND of a file's hashes would say less than each hash does); one report
 * per object (report_types indicator; its label the object's name, uuid, meta-category and
 * template) names them. A report, not a grouping: the OASIS STIX 2.1 bundle schema lists no
 * grouping among its objects, so a bundle with one does not validate. meta is the object's
 * label (object_label), g its group (object_group). */
static int misp_object_report(pub_ctx_t *c, const char *meta, const json_t *g)
{
    char id[96], key[64], name[160], created[32], modified[32], uuid[37];
    const char *rest = meta + 17, *colon;
    const json_t *members = json_object_get(g, "refs");
    json_t **refs = NULL, *sorted = NULL, *o = NULL;
    size_t n, i;
    int rc = 0;

    n = json_array_size(members);
    if (!json_is_object(g) || !n || strlen(rest) < 37)
        goto out; /* no member STIX shows: no report */
    memcpy(uuid, rest, 36);
    uuid[36] = '\0';
    colon = strchr(rest + 37, ':');
    snprintf(name, sizeof(name), "MISP object %.*s %s",
             (int)(colon ? colon - (rest + 37) : (ptrdiff_t)strlen(rest + 37)), rest + 37, uuid);
    /* Sorted, so that publishing again without a change gives the same object. */
    if (!(refs = ermes__calloc(n, sizeof(*refs))) || !(sorted = json_array())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i++)
        refs[i] = json_array_get(members, i);
    qsort(refs, n, sizeof(*refs), cmp_ref);
    for (i = 0; i < n; i++)
        if (!i || strcmp(json_string_value(refs[i]), json_string_value(refs[i - 1])))
            json_array_append(sorted, refs[i]);
    snprintf(key, sizeof(key), "misp-object:%s", uuid);
    if ((rc = det_id("report", key, id, sizeof(id))))
        goto out;
    ermes__time_format(json_integer_value(json_object_get(g, "created")), created);
    ermes__time_format(json_integer_value(json_object_get(g, "modified")), modified);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:s,s:O,s:[s]}", "type", "report",
                  "spec_version", "2.1", "id", id, "created_by_ref", c->cert_id, "created", created,
                  "modified", modified, "name", name, "report_types", "indicator", "published",
                  modified, "object_refs", sorted, "labels", meta);
    if (!o) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    rc = put_object(c->st, o, (ermes_tlp_t)json_integer_value(json_object_get(g, "tlp")),
                    json_integer_value(json_object_get(g, "owner")));
out:
    json_decref(o);
    json_decref(sorted);
    ermes__free(refs);
    return rc;
}

typedef struct rel_ctx {
    pub_ctx_t *c;
    const json_t *g; /* the source object's group (misp_object_report) */
    const char *modified;
    const json_t *reports; /* referenced object uuid -> its group, for those with a report */
} rel_ctx_t;

/* The STIX indicator a reference to an attribute names (the indicator the attribute became,
 * when STIX shows it): its id, TLP and owner. */
typedef struct rel_ind {
    char id[96];
    ermes_tlp_t tlp;
    int64_t owner;
} rel_ind_t;

static int rel_ind_cb(void *ctx, const ermes__indicator_row_t *r)
{
    rel_ind_t *t = ctx;
    char pattern[2 * ERMES_INDICATOR_VALUE_MAX + 128];

    if (ermes__pattern_from_indicator(ermes_ind_type_parse(r->type, strlen(r->type)), r->value,
                                      strlen(r->value), r->exact ? ERMES_IND_EXACT : 0, pattern,
                                      sizeof(pattern)))
        return 0; /* not published as a STIX indicator */
    t->tlp = r->tlp;
    t->owner = r->owner_org_id;
    return ermes__stix_indicator_id(r, t->id, sizeof(t->id));
}

/* One ObjectReference kept at import (src/store/misp_refs.c) as a STIX relationship from the
 * object's report to the other object's report, when it has one too, or to the indicator the
 * referenced attribute became; its TLP the stricter of both ends. */
static int relationship_cb(void *arg, const ermes__misp_ref_t *r)
{
    rel_ctx_t *x = arg;
    const json_t *to = json_object_get(x->reports, r->referenced_uuid);
    char id[96], src[96], dst[96], key[256], rel[128];
    json_int_t tlp = json_integer_value(json_object_get(x->g, "tlp"));
    json_int_t owner = json_integer_value(json_object_get(x->g, "owner"));
    rel_ind_t ind;
    size_t n = 0;
    json_t *o;
    int rc;

    ind.id[0] = '\0';
    if (!to && r->ind_id > 0) {
        ermes__viewer_t staff = {0, "stix", ERMES_ROLE_ADMIN, 0, "stix"};
        rc = ermes__store_indicator_get(x->c->st, &staff, r->ind_id, rel_ind_cb, &ind);
        if (rc && rc != ERMES_ENOTFOUND)
            return rc;
    }
    if (!to && !ind.id[0])
        return 0; /* an object without a published member, an attribute without one */
    if (to && json_integer_value(json_object_get(to, "tlp")) > tlp) {
        tlp = json_integer_value(json_object_get(to, "tlp"));
        owner = json_integer_value(json_object_get(to, "owner"));
    } else if (!to && (json_int_t)ind.tlp > tlp) {
        tlp = ind.tlp;
        owner = ind.owner;
    }
    /* STIX relationship types are lower case, digits and '-' (MISP's are, mostly). */
    for (const char *p = r->relationship_type; *p && n + 1 < sizeof(rel); p++)
        rel[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p
                   : *p >= 'A' && *p <= 'Z'                             ? (char)(*p + 32)
                                                                        : '-';
    rel[n] = '\0';
    snprintf(key, sizeof(key), "misp-object:%s", r->object_uuid);
    if ((rc = det_id("report", key, src, sizeof(src))))
        return rc;
    snprintf(key, sizeof(key), "misp-object:%s", r->referenced_uuid);
    if (!to)
        snprintf(dst, sizeof(dst), "%s", ind.id);
    else if ((rc = det_id("report", key, dst, sizeof(dst))))
        return rc;
    snprintf(key, sizeof(key), "misp-object-reference:%s", r->uuid);
    if ((rc = det_id("relationship", key, id, sizeof(id))))
        return rc;
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "relationship", "spec_version",
                  "2.1", "id", id, "created_by_ref", x->c->cert_id, "created", x->modified,
                  "modified", x->modified, "relationship_type", rel, "source_ref", src,
                  "target_ref", dst);
    if (!o)
        return ERMES_ENOMEM;
    if (r->comment[0])
        json_object_set_new(o, "description", json_string(r->comment));
    rc = put_object(x->c->st, o, (ermes_tlp_t)tlp, owner);
    json_decref(o);
    return rc;
}

static int referenced_cb(void *ctx, const ermes__misp_ref_t *r)
{
    return json_array_append_new(ctx, json_string(r->referenced_uuid)) ? ERMES_ENOMEM : 0;
}

/* The references of the MISP object uuid whose report misp_object_report just published. The
 * groups of the objects they name are made first: a query inside the walk of the references
 * would reuse its statement. */
static int misp_object_relationships(pub_ctx_t *c, const char *uuid, const json_t *g)
{
    char modified[32];
    rel_ctx_t x = {c, g, modified, NULL};
    json_t *to = NULL, *reports = NULL;
    size_t i;
    int rc;

    if (!json_is_object(g) || !json_array_size(json_object_get(g, "refs")))
        return 0;
    if (!(to = json_array()) || !(reports = json_object())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__store_misp_refs_of(c->st, uuid, referenced_cb, to)))
        goto out;
    for (i = 0; i < json_array_size(to); i++) {
        const char *u = json_string_value(json_array_get(to, i));
        const json_t *other;
        if ((rc = object_group(c, u, &other)))
            goto out;
        if (json_array_size(json_object_get(other, "refs")))
            json_object_set(reports, u, (json_t *)other);
    }
    x.reports = reports;
    ermes__time_format(json_integer_value(json_object_get(g, "modified")), modified);
    rc = ermes__store_misp_refs_of(c->st, uuid, relationship_cb, &x);
out:
    json_decref(to);
    json_decref(reports);
    return rc;
}

int ermes__stix_publish(ermes__store_t *st)
{
    ermes__viewer_t staff = {0, "stix", ERMES_ROLE_ADMIN, 0, "stix"};
    ermes__org_filter_t f;
    pub_ctx_t c;
    char short_name[64];
    int64_t registry = 0, done = 0, since = 0, ind_now = 0, ind_done = 0, sight_done = 0;
    int new_sightings = 0, new_incidents = 0;
    int rc, more = 0;

    memset(&c, 0, sizeof(c));
    c.st = st;
    if (ermes__store_home_org(st, &c.home) ||
        ermes__store_org_short_name(st, c.home, short_name, sizeof(short_name)))
        snprintf(short_name, sizeof(short_name), "cert");
    {
        char key[128];
        snprintf(key, sizeof(key), "organisation:%s", short_name);
        if ((rc = det_id("identity", key, c.cert_id, sizeof(c.cert_id))))
            return rc;
    }
    /* The registry's and the indicators' counters move with every change to an organisation
     * or an indicator: when both are where the last publication left them, nothing changed,
     * and no write transaction is taken (TAXII reads call this on every page). */
    if ((rc = ermes__store_counter_get(st, "registry", &registry)) ||
        (rc = ermes__store_counter_get(st, COUNTER_REGISTRY, &done)) ||
        (rc = ermes__store_counter_get(st, "indicators", &ind_now)) ||
        (rc = ermes__store_counter_get(st, COUNTER_INDICATOR_CHANGES, &ind_done)))
        return rc;
    if ((rc = ermes__store_counter_get(st, COUNTER_SIGHTINGS, &sight_done)))
        return rc;
    {
        /* New sightings: any past the last one published (they are only ever added). */
        ermes__sighting_filter_t sf;
        int any = 0;
        memset(&sf, 0, sizeof(sf));
        sf.after_id = sight_done;
        sf.limit = 1;
        if ((rc = ermes__store_sighting_each(st, &staff, &sf, any_sighting_cb, &any, NULL)))
            return rc;
        new_sightings = any;
    }
    if ((rc = ermes__stix_incidents_changed(st, &new_incidents)))
        return rc;
    if (registry + 1 == done && ind_now == ind_done && !new_sightings && !new_incidents)
        return 0;
    if ((rc = ermes__store_begin(st)))
        return rc;
    if (registry + 1 != done) {
        memset(&f, 0, sizeof(f));
        if ((rc = ermes__store_org_each(st, &staff, &f, org_cb, &c, &more)) ||
            (rc = ermes__store_counter_set(st, COUNTER_REGISTRY, registry + 1)))
            goto out;
    }
    if ((rc = ermes__store_counter_get(st, COUNTER_INDICATORS, &since)))
        goto out;
    c.newest = since;
    if ((rc = ermes__store_indicator_local_each(st, since, indicator_cb, &c)))
        goto out;
    /* The MISP objects of the indicators published: their reports and relationships again. */
    if ((rc = ermes__store_misp_objects_changed(st, since, changed_object_cb, &c)))
        goto out;
    if (c.objects) {
        const char *uuid;
        json_t *label;
        json_object_foreach(c.objects, uuid, label)
        {
            const json_t *g;
            if ((rc = object_group(&c, uuid, &g)) ||
                (rc = misp_object_report(&c, json_string_value(label), g)) ||
                (rc = misp_object_relationships(&c, uuid, g)))
                goto out;
        }
    }
    if (c.newest != since && (rc = ermes__store_counter_set(st, COUNTER_INDICATORS, c.newest)))
        goto out;
    if ((rc = ermes__store_counter_set(st, COUNTER_INDICATOR_CHANGES, ind_now)))
        goto out;
    if (new_sightings) {
        ermes__sighting_filter_t sf;
        memset(&sf, 0, sizeof(sf));
        sf.after_id = sight_done;
        c.newest = sight_done;
        if ((rc = ermes__store_sighting_each(st, &staff, &sf, sighting_cb, &c, NULL)))
            goto out;
        rc = ermes__store_counter_set(st, COUNTER_SIGHTINGS, c.newest);
    }
    if (!rc && new_incidents)
        rc = ermes__stix_publish_incidents(st, c.cert_id);
out:
    json_decref(c.objects);
    json_decref(c.reported);
    if (rc) {
        ermes__store_rollback(st);
        return rc;
    }
    return ermes__store_commit(st);
}

/* ---- export ---------------------------------------------------------------------------------- */

typedef struct exp_ctx {
    ermes__strbuf_t *out;
    size_t n;
    unsigned tlps;    /* TLP 2.0 markings referred to */
    unsigned defined; /* TLP 2.0 marking definitions among the objects */
} exp_ctx_t;

static int export_cb(void *ctx, const ermes__stix_row_t *r)
{
    exp_ctx_t *c = ctx;
    ermes_tlp_t t;
    int rc;

    if (!strcmp(r->type, "marking-definition") && ermes__stix_marking_tlp(r->stix_id, &t) == 0 &&
        !strcmp(r->stix_id, ermes__stix_marking_id(t)))
        c->defined |= ERMES__TLP_BIT(t);
    c->tlps |= ERMES__TLP_BIT(r->tlp);
    if ((c->n && (rc = ermes__strbuf_addc(c->out, ','))) ||
        (rc = ermes__strbuf_adds(c->out, r->object)))
        return rc;
    c->n++;
    return 0;
}

/* ---- events, made on the fly ---------------------------------------------------------------- */

typedef struct ev_ctx {
    exp_ctx_t *c;
    const ermes__stix_export_opts_t *o;
    char cert_id[80];
    json_t *scos; /* SCO ids already written: a bundle holds each once */
} ev_ctx_t;

static int add_json(exp_ctx_t *c, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int rc;

    json_decref(obj);
    if (!text)
        return ERMES_ENOMEM;
    rc = c->n ? ermes__strbuf_addc(c->out, ',') : 0;
    if (!rc)
        rc = ermes__strbuf_adds(c->out, text);
    free(text);
    if (!rc)
        c->n++;
    return rc;
}

/* An SCO with a deterministic id (STIX 2.1 section 2.9: UUIDv5 in the SCO namespace of its
 * ID contributing properties, here its value) into the bundle once; its id into id. */
static int sco(ev_ctx_t *e, const char *type, const char *value, ermes_tlp_t tlp, char *id,
               size_t cap)
{
    json_t *name = json_pack("{s:s}", "value", value);
    char *canon = name ? json_dumps(name, JSON_COMPACT) : NULL;
    char u[37];
    int rc;

    json_decref(name);
    if (!canon)
        return ERMES_ENOMEM;
    rc = ermes__uuid5(ERMES__UUID_STIX_SCO_NS, canon, strlen(canon), u);
    free(canon);
    if (rc)
        return rc;
    snprintf(id, cap, "%s--%s", type, u);
    if (json_object_get(e->scos, id))
        return 0;
    json_object_set_new(e->scos, id, json_true());
    e->c->tlps |= ERMES__TLP_BIT(tlp);
    return add_json(e->c, json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "type", type, "spec_version", "2.1",
                                    "id", id, "value", value, "object_marking_refs",
                                    ermes__stix_marking_id(tlp)));
}

static int event_cb(void *ctx, const ermes__event_row_t *ev)
{
    ev_ctx_t *e = ctx;
    char ip[64], ipid[128], dnid[400], id[80], key[48], created[32], seen[32];
    json_t *o, *refs, *labels;
    int rc;

    /* The channel's cap on top of the events' own visibility, which the store applied. */
    if (ev->tlp > e->o->cap)
        return 0;
    if (!(refs = json_array()))
        return ERMES_ENOMEM;
    if (ev->source_ip.family) {
        ermes_ip_format(&ev->source_ip, ip);
        if ((rc = sco(e, ev->source_ip.family == 4 ? "ipv4-addr" : "ipv6-addr", ip, ev->tlp, ipid,
                      sizeof(ipid)))) {
            json_decref(refs);
            return rc;
        }
        json_array_append_new(refs, json_string(ipid));
    }
    if (ev->source_fqdn && ev->source_fqdn[0] && strlen(ev->source_fqdn) < 256) {
        if ((rc = sco(e, "domain-name", ev->source_fqdn, ev->tlp, dnid, sizeof(dnid)))) {
            json_decref(refs);
            return rc;
        }
        json_array_append_new(refs, json_string(dnid));
    }
    if (!json_array_size(refs)) {
        json_decref(refs); /* observed-data must observe something */
        return 0;
    }
    snprintf(key, sizeof(key), "event:%lld", (long long)ev->id);
    if ((rc = det_id("observed-data", key, id, sizeof(id)))) {
        json_decref(refs);
        return rc;
    }
    ermes__time_format(ev->created_at, created);
    ermes__time_format(ev->time_source ? ev->time_source : ev->time_observation, seen);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:[s]}", "type", "observed-data",
                  "spec_version", "2.1", "id", id, "created_by_ref", e->cert_id, "created", created,
                  "modified", created, "first_observed", seen, "last_observed", seen,
                  "number_observed", 1, "object_refs", refs, "object_marking_refs",
                  ermes__stix_marking_id(ev->tlp));
    if (!o)
        return ERMES_ENOMEM;
    labels = json_array();
    if (labels && ev->taxonomy && ev->taxonomy[0])
        json_array_append_new(labels, json_string(ev->taxonomy));
    if (labels && ev->type && ev->type[0])
        json_array_append_new(labels, json_string(ev->type));
    if (json_array_size(labels))
        json_object_set_new(o, "labels", labels);
    else
        json_decref(labels);
    if (ev->feed && ev->feed[0])
        json_object_set_new(o, "x_ermes_feed", json_string(ev->feed));
    e->c->tlps |= ERMES__TLP_BIT(ev->tlp);
    return add_json(e->c, o);
}

static int export_events(ermes__store_t *st, const ermes__stix_export_opts_t *o, exp_ctx_t *c)
{
    ermes__event_filter_t f;
    ev_ctx_t e;
    char short_name[64], key[128];
    int64_t home = 0;
    int rc;

    memset(&e, 0, sizeof(e));
    e.c = c;
    e.o = o;
    if (ermes__store_home_org(st, &home) ||
        ermes__store_org_short_name(st, home, short_name, sizeof(short_name)))
        snprintf(short_name, sizeof(short_name), "cert");
    snprintf(key, sizeof(key), "organisation:%s", short_name);
    if ((rc = det_id("identity", key, e.cert_id, sizeof(e.cert_id))))
        return rc;
    if (!(e.scos = json_object()))
        return ERMES_ENOMEM;
    memset(&f, 0, sizeof(f));
    f.since = o->events_since;
    f.limit = o->events_limit > ERMES__STIX_EVENTS_MAX ? ERMES__STIX_EVENTS_MAX : o->events_limit;
    rc = ermes__store_event_each(st, o->viewer, &f, event_cb, &e, NULL);
    json_decref(e.scos);
    return rc;
}

int ermes__stix_export(ermes__store_t *st, const ermes__stix_export_opts_t *o, ermes__strbuf_t *out,
                       size_t *count)
{
    ermes__stix_filter_t f = o->filter;
    ermes__tlp_masks_t m;
    exp_ctx_t c = {out, 0, 0, 0};
    char u[37];
    int rc;

    if ((rc = ermes__stix_publish(st)))
        return rc;
    ermes__tlp_policy(o->viewer, o->cap, &m);
    f.tlp_anyone = m.anyone;
    f.tlp_owned = m.owned;
    f.tlp_named = m.named;
    f.tlp_client = m.client;
    f.org_id = m.org_id;
    ermes__uuid4(u);
    if ((rc = ermes__strbuf_addf(out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[",
                                 u)))
        return rc;
    if ((rc = ermes__store_stix_each(st, &f, export_cb, &c, NULL)))
        return rc;
    if (o->events_limit > 0 && o->viewer && (rc = export_events(st, o, &c)))
        return rc;
    /* The TLP 2.0 marking definitions the objects name, unless they were among them. Objects
     * marked with TLP 1.0 keep their marking; the STIX spec defines those. */
    for (int t = ERMES_TLP_CLEAR; t <= ERMES_TLP_RED; t++) {
        json_t *md;
        char *text;
        if (!(c.tlps & ERMES__TLP_BIT(t)) || (c.defined & ERMES__TLP_BIT(t)))
            continue;
        if (!(md = ermes__stix_marking_object((ermes_tlp_t)t)))
            return ERMES_ENOMEM;
        text = json_dumps(md, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(md);
        if (!text)
            return ERMES_ENOMEM;
        rc = (c.n ? ermes__strbuf_addc(out, ',') : 0);
        if (!rc)
            rc = ermes__strbuf_adds(out, text);
        free(text);
        if (rc)
            return rc;
        c.n++;
    }
    if ((rc = ermes__strbuf_adds(out, "]}")))
        return rc;
    if (count)
        *count = c.n;
    return 0;
}
