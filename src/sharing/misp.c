/* MISP event JSON to and from ermes indicators: see misp.h for the mapping. */
#include "sharing/misp.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/tlp_policy.h"
#include "access/tlp_recipients.h"
#include "core/alloc.h"
#include "core/time.h"
#include "model/sighting.h"

/* The namespace of every UUIDv5 ermes gives MISP events and attributes. */
static const unsigned char misp_ns[16] = {0x3d, 0x0c, 0x5a, 0x4e, 0x8f, 0x1b, 0x4c, 0x52,
                                          0x9a, 0x7d, 0x2e, 0x6b, 0x1f, 0x0c, 0x9a, 0x31};

#define TAGS_CAP 1500 /* the comma list */
/* Its JSON form (ermes__tags_to_json) must fit ERMES_INDICATOR_TAGS_MAX, or the store would
 * refuse the indicator: tags past this are left out. */
#define TAGS_JSON_CAP (ERMES_INDICATOR_TAGS_MAX - 96)

/* ---- mapping ---- */

static const struct {
    const char *misp;
    ermes_ind_type_t type;
    int part, exact;
} type_map[] = {
    {"ip-src", ERMES_IND_IPV4, 0, 0},
    {"ip-dst", ERMES_IND_IPV4, 0, 0},
    {"ip-src|port", ERMES_IND_IPV4, 1, 0},
    {"ip-dst|port", ERMES_IND_IPV4, 1, 0},
    {"domain", ERMES_IND_DOMAIN, 0, 0},
    {"hostname", ERMES_IND_DOMAIN, 0, 1},
    {"hostname|port", ERMES_IND_DOMAIN, 1, 1},
    {"domain|ip", ERMES_IND_DOMAIN, 3, 0},
    {"url", ERMES_IND_URL, 0, 0},
    {"uri", ERMES_IND_URL, 0, 0},
    {"md5", ERMES_IND_MD5, 0, 0},
    {"sha1", ERMES_IND_SHA1, 0, 0},
    {"sha256", ERMES_IND_SHA256, 0, 0},
    {"sha512", ERMES_IND_SHA512, 0, 0},
    {"filename|md5", ERMES_IND_MD5, 2, 0},
    {"filename|sha1", ERMES_IND_SHA1, 2, 0},
    {"filename|sha256", ERMES_IND_SHA256, 2, 0},
    {"filename|sha512", ERMES_IND_SHA512, 2, 0},
    {"email", ERMES_IND_EMAIL, 0, 0},
    {"email-src", ERMES_IND_EMAIL, 0, 0},
    {"email-dst", ERMES_IND_EMAIL, 0, 0},
    {"ja3-fingerprint-md5", ERMES_IND_JA3, 0, 0},
};

ermes_ind_type_t ermes__misp_type_map(const char *type, const char *relation, int *part, int *exact)
{
    *part = 0;
    *exact = 0;
    if (!type)
        return ERMES_IND_NONE;
    /* JA4 has no attribute type of its own in MISP: it is the ja4-fingerprint relation (a text
     * attribute) of the ja4-plus object. */
    if (relation && !strcmp(relation, "ja4-fingerprint") && !strcmp(type, "text"))
        return ERMES_IND_JA4;
    for (size_t i = 0; i < sizeof(type_map) / sizeof(type_map[0]); i++)
        if (!strcmp(type, type_map[i].misp)) {
            *part = type_map[i].part;
            *exact = type_map[i].exact;
            return type_map[i].type;
        }
    return ERMES_IND_NONE;
}

int ermes__misp_tag_tlp(const char *tag, ermes_tlp_t *tlp)
{
    static const struct {
        const char *tag;
        ermes_tlp_t tlp;
    } tags[] = {{"tlp:clear", ERMES_TLP_CLEAR},
                {"tlp:white", ERMES_TLP_CLEAR},
                {"tlp:green", ERMES_TLP_GREEN},
                {"tlp:amber", ERMES_TLP_AMBER},
                {"tlp:amber+strict", ERMES_TLP_AMBER_STRICT},
                {"tlp:red", ERMES_TLP_RED}};

    for (size_t i = 0; tag && i < sizeof(tags) / sizeof(tags[0]); i++)
        if (!strcasecmp(tag, tags[i].tag)) {
            *tlp = tags[i].tlp;
            return 1;
        }
    return 0;
}

int ermes__misp_distribution_tlp(long distribution)
{
    switch (distribution) {
    case 0:
        return ERMES_TLP_RED; /* your organisation only */
    case 1:
        return ERMES_TLP_AMBER; /* this community only */
    case 2:
        return ERMES_TLP_GREEN; /* connected communities */
    case 3:
        return ERMES_TLP_CLEAR; /* all communities */
    case 4:
        return ERMES_TLP_AMBER; /* a sharing group: its named organisations */
    default:
        return -1;
    }
}

/* ---- reading ---- */

void ermes__misp_import_cleanup(ermes__misp_import_t *imp)
{
    ermes__free(imp->attrs);
    for (size_t k = 0; k < imp->nrefs; k++)
        ermes__free(imp->refs[k].ind_value);
    ermes__free(imp->refs);
    ermes__free(imp->ref_events);
    for (size_t k = 0; k < imp->nobjs; k++) {
        ermes__free(imp->objs[k].description);
        ermes__free(imp->objs[k].comment);
    }
    ermes__free(imp->objs);
    for (size_t k = 0; k < imp->nobjattrs; k++)
        ermes__free(imp->objattrs[k].value);
    ermes__free(imp->objattrs);
    json_decref(imp->event_errors);
    json_decref(imp->event_uuids);
    ermes__ind_import_cleanup(&imp->store);
    memset(imp, 0, sizeof(*imp));
}

/* A MISP number member: a JSON integer, or a string of digits (MISP writes both). def when
 * absent or neither. */
static long num_member(const json_t *o, const char *key, long def)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        long n = 0;
        size_t i;
        for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 9; i++)
            n = n * 10 + (s[i] - '0');
        if (i > 0 && s[i] == '\0')
            return n;
    }
    return def;
}

/* A MISP time in seconds (an integer, or a string of up to 18 digits); -1 when neither. */
static int64_t seconds_member(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_integer(v))
        return json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int64_t n = 0;
        size_t i;
        for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 18; i++)
            n = n * 10 + (s[i] - '0');
        if (i > 0 && s[i] == '\0')
            return n;
    }
    return -1;
}

/* A MISP boolean: true/false, 0/1, "0"/"1", "true"/"false". def when absent or neither. */
static int bool_member(const json_t *o, const char *key, int def)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcmp(s, "1") || !strcasecmp(s, "true"))
            return 1;
        if (!strcmp(s, "0") || !strcasecmp(s, "false"))
            return 0;
    }
    return def;
}

static const char *str_member(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v)
               ? json_string_value(v)
               : NULL;
}

/* The bytes tag takes in the stored JSON array of tags: quotes and a comma, and jansson's
 * escapes (\" \\ and \u00XX for control characters). */
static size_t json_weight(const char *tag)
{
    size_t w = 3;

    for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
        w += *p < 0x20 ? 6 : (*p == '"' || *p == '\\') ? 2 : 1;
    return w;
}

/* The TLP named by a Tag list ([{"name": ...}] or ["..."]), -1 when none; the strictest wins
 * when several are given. Other tags are appended to tags (comma list, commas in a tag made
 * ';', at most TAGS_CAP bytes: more are left out). */
static int tag_list(const json_t *list, char *tags, size_t cap, size_t *json_size)
{
    size_t i, used = strlen(tags);
    const json_t *t;
    int tlp = -1;

    if (!json_is_array(list))
        return -1;
    json_array_foreach(list, i, t)
    {
        const char *name = json_is_string(t) ? json_string_value(t) : str_member(t, "name");
        ermes_tlp_t one;
        size_t n;
        if (!name || !name[0])
            continue;
        if (ermes__misp_tag_tlp(name, &one)) {
            if ((int)one > tlp)
                tlp = (int)one;
            continue;
        }
        n = strlen(name);
        if (used + n + 2 > cap || *json_size + json_weight(name) > TAGS_JSON_CAP)
            continue;
        *json_size += json_weight(name);
        if (used)
            tags[used++] = ',';
        for (size_t k = 0; k < n; k++)
            tags[used++] = name[k] == ',' ? ';' : name[k];
        tags[used] = '\0';
    }
    return tlp;
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static int attr_new(ermes__misp_import_t *imp, ermes__misp_attr_t **out)
{
    if (imp->nattrs >= ERMES_MISP_MAX_ATTRIBUTES)
        return ERMES_ETOOBIG;
    if (imp->nattrs == imp->cap) {
        size_t cap = imp->cap ? imp->cap * 2 : 64;
        ermes__misp_attr_t *a = ermes__reallocarray(imp->attrs, cap, sizeof(*a));
        if (!a)
            return ERMES_ENOMEM;
        imp->attrs = a;
        imp->cap = cap;
    }
    *out = &imp->attrs[imp->nattrs++];
    memset(*out, 0, sizeof(**out));
    return 0;
}

typedef struct event_ctx {
    const char *uuid;
    char source[64];
    int tlp;      /* from the event's tags, -1 none */
    int dist_tlp; /* from the event's distribution, -1 none */
    char tags[TAGS_CAP];
    size_t tags_json; /* the JSON size of tags */
} event_ctx_t;

/* The RFC 3339 time of member key (first_seen, last_seen) into *ms (0 when absent). */
static int time_member(const json_t *a, const char *key, int64_t *ms)
{
    const json_t *v = json_object_get(a, key);
    ermes_diag_t d;

    *ms = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    return ermes__time_parse(json_string_value(v), json_string_length(v), ms, &d) ? -1 : 0;
}

static int is_ip_type(ermes_ind_type_t t)
{
    return t == ERMES_IND_IPV4 || t == ERMES_IND_IPV6 || t == ERMES_IND_CIDR;
}

static int uuid_ok(const char *s);

/* The MISP object whose attributes are being read: its uuid (lower case) and its place in the
 * import's objects. */
typedef struct object_ctx {
    char uuid[40];
    size_t obj;
} object_ctx_t;

static const char *utf8_whole(const char *s, char *buf, size_t cap);

/* 1 when attribute a of an object becomes an indicator (read_attribute would not skip it for
 * its type or to_ids). */
static int object_attr_is_indicator(const json_t *a)
{
    int part, exact;

    return ermes__misp_type_map(str_member(a, "type"), str_member(a, "object_relation"), &part,
                                &exact) != ERMES_IND_NONE &&
           bool_member(a, "to_ids", 1);
}

/* What makes two object attributes one indicator: the ermes type, exact flag and value (lower
 * case; the store compares normalised values, which a value differing only in case is too). */
static void shared_key(const char *type, const char *relation, const char *value, char *buf,
                       size_t cap)
{
    int part = 0, exact = 0;
    ermes_ind_type_t t = ermes__misp_type_map(type, relation, &part, &exact);
    int n = snprintf(buf, cap, "%d:%d:", (int)t, exact);

    for (size_t k = 0; n >= 0 && (size_t)n + 1 < cap && value && value[k]; k++)
        buf[n++] = (char)(value[k] >= 'A' && value[k] <= 'Z' ? value[k] + 32 : value[k]);
    if (n >= 0 && (size_t)n < cap)
        buf[n] = '\0';
}

static void lower_uuid(char dst[40], const char *uuid)
{
    for (size_t i = 0; i < 36; i++)
        dst[i] = (char)(uuid[i] >= 'A' && uuid[i] <= 'Z' ? uuid[i] - 'A' + 'a' : uuid[i]);
    dst[36] = '\0';
}

static int grow(void **v, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    {
        size_t ncap = *cap ? *cap * 2 : first;
        void *nv = ermes__reallocarray(*v, ncap, size);
        if (!nv)
            return ERMES_ENOMEM;
        *v = nv;
        *cap = ncap;
    }
    return 0;
}

/* MISP object o of the event being read (ref_events' last) into imp's objects: its uuid, name,
 * meta-category, template, description, comment (of at most 200 bytes), timestamp and
 * distribution. oc->uuid stays empty when o has no valid uuid: its attributes are then read
 * like the event's own. */
static int object_read(const json_t *o, object_ctx_t *oc, ermes__misp_import_t *imp)
{
    const char *uuid = str_member(o, "uuid"), *comment = str_member(o, "comment");
    const char *description = str_member(o, "description");
    ermes__misp_obj_t *x;
    long d = num_member(o, "distribution", -1);
    int rc;

    oc->uuid[0] = '\0';
    if (!uuid_ok(uuid))
        return 0;
    if ((rc = grow((void **)&imp->objs, &imp->objs_cap, imp->nobjs, sizeof(*imp->objs), 16)))
        return rc;
    x = &imp->objs[imp->nobjs];
    memset(x, 0, sizeof(*x));
    x->event = imp->nref_events - 1;
    lower_uuid(x->uuid, uuid);
    utf8_whole(str_member(o, "name") ? str_member(o, "name") : "", x->name, sizeof(x->name));
    utf8_whole(str_member(o, "meta-category") ? str_member(o, "meta-category") : "",
               x->meta_category, sizeof(x->meta_category));
    if (uuid_ok(str_member(o, "template_uuid")))
        copy(x->template_uuid, sizeof(x->template_uuid), str_member(o, "template_uuid"));
    x->template_version = num_member(o, "template_version", 0);
    x->timestamp = seconds_member(o, "timestamp");
    x->distribution = d >= 0 && d <= 5 ? (int)d : -1;
    if (comment && comment[0] && strlen(comment) <= 200 && !(x->comment = ermes__strdup(comment)))
        return ERMES_ENOMEM;
    if (description && description[0] && strlen(description) <= 4096 &&
        !(x->description = ermes__strdup(description))) {
        ermes__free(x->comment);
        return ERMES_ENOMEM;
    }
    memcpy(oc->uuid, x->uuid, sizeof(oc->uuid));
    oc->obj = imp->nobjs++;
    return 0;
}

/* Attribute a of object oc into imp's object attributes: one that may become an indicator
 * (*member its entry plus one), or one that cannot (its value, of at most 200 bytes: a file's
 * filename and size, a port). A deleted one, or one without a type or value, is left out. */
static int object_attr(const json_t *a, const object_ctx_t *oc, ermes__misp_import_t *imp,
                       size_t *member)
{
    const char *type = str_member(a, "type"), *value = str_member(a, "value");
    const char *rel = str_member(a, "object_relation"), *uuid = str_member(a, "uuid");
    ermes__misp_objattr_t *x;
    int indicator, rc;

    *member = 0;
    if (!json_is_object(a) || !type || !value || bool_member(a, "deleted", 0))
        return 0;
    indicator = object_attr_is_indicator(a);
    if (!indicator && strlen(value) > 200)
        return 0;
    if ((rc = grow((void **)&imp->objattrs, &imp->objattrs_cap, imp->nobjattrs,
                   sizeof(*imp->objattrs), 64)))
        return rc;
    x = &imp->objattrs[imp->nobjattrs];
    memset(x, 0, sizeof(*x));
    x->obj = oc->obj;
    utf8_whole(rel ? rel : "", x->relation, sizeof(x->relation));
    utf8_whole(type, x->type, sizeof(x->type));
    if (uuid_ok(uuid))
        lower_uuid(x->uuid, uuid);
    x->position = (int64_t)imp->nobjattrs;
    if (indicator)
        shared_key(type, rel, value, x->key, sizeof(x->key));
    else if (!(x->value = ermes__strdup(value)))
        return ERMES_ENOMEM;
    imp->nobjattrs++;
    if (indicator)
        *member = imp->nobjattrs;
    return 0;
}

/* Marks the object attributes of event x whose value objects other than their own hold too:
 * the indicator is then one of each of those objects (store_objects). */
static int mark_shared(ermes__misp_import_t *imp, const ermes__misp_ref_event_t *x)
{
    json_t *first = json_object();
    int rc = 0;

    if (!first)
        return ERMES_ENOMEM;
    for (size_t k = x->oa_start; k < x->oa_start + x->noas; k++) {
        ermes__misp_objattr_t *e = &imp->objattrs[k];
        const json_t *f;
        if (e->value)
            continue;
        if (!(f = json_object_get(first, e->key))) {
            if (json_object_set_new(first, e->key, json_integer((json_int_t)e->obj))) {
                rc = ERMES_ENOMEM;
                break;
            }
        } else if ((size_t)json_integer_value(f) != e->obj) {
            json_object_set_new(first, e->key, json_integer(-1));
        }
    }
    for (size_t k = x->oa_start; !rc && k < x->oa_start + x->noas; k++) {
        ermes__misp_objattr_t *e = &imp->objattrs[k];
        e->shared = !e->value && json_integer_value(json_object_get(first, e->key)) == -1;
    }
    json_decref(first);
    return rc;
}

/* The ObjectReference list of object o (uuid oc_uuid) appended to imp's references: each with
 * a uuid as referenced_uuid and a relationship_type (1 to 127 bytes), not deleted; its own
 * uuid (a UUIDv5 of the three when it has none), its comment (left out past 255 bytes). */
static int read_references(const json_t *o, const char *oc_uuid, ermes__misp_import_t *imp)
{
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(o, "ObjectReference"), i, r)
    {
        const char *ref = str_member(r, "referenced_uuid"),
                   *rel = str_member(r, "relationship_type");
        const char *uuid = str_member(r, "uuid"), *comment = str_member(r, "comment");
        ermes__misp_ref_t *x;
        char key[256];
        if (!json_is_object(r) || !uuid_ok(ref) || !rel || !rel[0] || strlen(rel) > 127 ||
            bool_member(r, "deleted", 0))
            continue;
        if (imp->nrefs >= ERMES_MISP_MAX_ATTRIBUTES)
            return 0; /* at most that many an import are kept */
        if (imp->nrefs == imp->refs_cap) {
            size_t cap = imp->refs_cap ? imp->refs_cap * 2 : 16;
            ermes__misp_ref_t *v = ermes__reallocarray(imp->refs, cap, sizeof(*v));
            if (!v)
                return ERMES_ENOMEM;
            imp->refs = v;
            imp->refs_cap = cap;
        }
        x = &imp->refs[imp->nrefs++];
        memset(x, 0, sizeof(*x));
        snprintf(x->object_uuid, sizeof(x->object_uuid), "%s", oc_uuid);
        for (size_t k = 0; k < 36; k++)
            x->referenced_uuid[k] = (char)(ref[k] >= 'A' && ref[k] <= 'Z' ? ref[k] + 32 : ref[k]);
        snprintf(x->relationship_type, sizeof(x->relationship_type), "%s", rel);
        if (comment && strlen(comment) < sizeof(x->comment))
            snprintf(x->comment, sizeof(x->comment), "%s", comment);
        if (uuid_ok(uuid)) {
            for (size_t k = 0; k < 36; k++)
                x->uuid[k] = (char)(uuid[k] >= 'A' && uuid[k] <= 'Z' ? uuid[k] + 32 : uuid[k]);
        } else {
            snprintf(key, sizeof(key), "misp-ref:%s:%s:%s", x->object_uuid, x->referenced_uuid,
                     rel);
            ermes__misp_uuid5(key, x->uuid);
        }
    }
    return 0;
}

/* One attribute (of the event, or of one of its objects: member, its entry in the import's
 * object attributes plus one, 0 for the event's own). */
static int read_attribute(const json_t *a, const event_ctx_t *ev, int object_deleted, size_t member,
                          ermes_indicator_set_t *set, ermes__misp_import_t *imp)
{
    const char *type = str_member(a, "type"), *value = str_member(a, "value");
    const char *relation = str_member(a, "object_relation");
    ermes__misp_attr_t *r;
    ermes_ind_type_t t;
    char tags[TAGS_CAP];
    int part, exact, tlp, rc;
    int64_t from, until;
    size_t tags_json;

    if ((rc = attr_new(imp, &r)))
        return rc;
    copy(r->uuid, sizeof(r->uuid), str_member(a, "uuid"));
    copy(r->event_uuid, sizeof(r->event_uuid), ev->uuid);
    copy(r->type, sizeof(r->type), type);
    copy(r->value, sizeof(r->value), value);
    r->member = member;
    r->fate = ERMES_MISP_SKIPPED;
    if (!json_is_object(a)) {
        r->fate = ERMES_MISP_INVALID;
        copy(r->reason, sizeof(r->reason), "an attribute must be a JSON object");
        imp->invalid++;
        return 0;
    }
    if (!type || !value) {
        r->fate = ERMES_MISP_INVALID;
        copy(r->reason, sizeof(r->reason), "an attribute needs a type and a value (strings)");
        imp->invalid++;
        return 0;
    }
    if (object_deleted || bool_member(a, "deleted", 0)) {
        copy(r->reason, sizeof(r->reason),
             object_deleted ? "its object is deleted in MISP" : "deleted in MISP");
        imp->skipped++;
        return 0;
    }
    t = ermes__misp_type_map(type, relation, &part, &exact);
    if (t == ERMES_IND_NONE) {
        snprintf(r->reason, sizeof(r->reason), "type %.40s: not an indicator ermes can match",
                 type);
        imp->skipped++;
        return 0;
    }
    if (!bool_member(a, "to_ids", 1)) {
        copy(r->reason, sizeof(r->reason), "to_ids is false: not meant for detection");
        imp->skipped++;
        return 0;
    }
    if (time_member(a, "first_seen", &from) || time_member(a, "last_seen", &until)) {
        r->fate = ERMES_MISP_INVALID;
        copy(r->reason, sizeof(r->reason), "first_seen or last_seen is not a date-time");
        imp->invalid++;
        return 0;
    }
    /* The event's tags, then the attribute's. An object is kept in tables of its own
     * (store_objects), not among the tags. */
    copy(tags, sizeof(tags), ev->tags);
    tags_json = ev->tags_json;
    tlp = tag_list(json_object_get(a, "Tag"), tags, sizeof(tags), &tags_json);
    if (tlp < 0)
        tlp = ev->tlp;
    if (tlp < 0)
        tlp = ermes__misp_distribution_tlp(num_member(a, "distribution", 5));
    if (tlp < 0)
        tlp = ev->dist_tlp;
    if (tlp < 0)
        tlp = ERMES_TLP_AMBER;
    {
        const char *bar = strchr(value, '|');
        const char *parts[2];
        size_t lens[2];
        int n = 0;
        if (part == 0) {
            parts[n] = value;
            lens[n++] = strlen(value);
        } else {
            if (!bar) {
                r->fate = ERMES_MISP_INVALID;
                snprintf(r->reason, sizeof(r->reason), "a %.40s value has two parts split by '|'",
                         type);
                imp->invalid++;
                return 0;
            }
            if (part == 1 || part == 3) {
                parts[n] = value;
                lens[n++] = (size_t)(bar - value);
            }
            if (part == 2 || part == 3) {
                parts[n] = bar + 1;
                lens[n++] = strlen(bar + 1);
            }
        }
        for (int k = 0; k < n; k++) {
            ermes_indicator_t ind;
            ermes_diag_t d;
            ermes_ind_type_t kt = (part == 3 && k == 1) ? ERMES_IND_IPV4 : t;
            uint32_t id;
            ermes_indicator_init(&ind);
            if (is_ip_type(kt)) {
                kt = ermes_ind_type_guess(parts[k], lens[k]);
                if (!is_ip_type(kt)) {
                    r->fate = ERMES_MISP_INVALID;
                    snprintf(r->reason, sizeof(r->reason), "%.*s is not an IP address or network",
                             (int)(lens[k] > 60 ? 60 : lens[k]), parts[k]);
                    imp->invalid++;
                    return 0;
                }
            }
            ind.type = kt;
            ind.value = parts[k];
            ind.len = lens[k];
            ind.flags = (exact && kt == ERMES_IND_DOMAIN) ? ERMES_IND_EXACT : 0;
            ind.valid_from = from;
            ind.valid_until = until;
            ind.tlp = tlp;
            ind.source = ev->source;
            ind.tags = tags[0] ? tags : NULL;
            ermes_diag_clear(&d);
            rc = ermes_indicator_set_add(set, &ind, &id, &d);
            if (rc == ERMES_ENOMEM)
                return rc;
            if (rc) {
                /* The first part may be in the set already (domain|ip): it stays an
                 * indicator, the attribute is reported invalid for its bad part. */
                r->fate = ERMES_MISP_INVALID;
                snprintf(r->reason, sizeof(r->reason), "%.190s",
                         d.reason[0] ? d.reason : "invalid");
                imp->invalid++;
                return 0;
            }
            r->set_id[r->nind++] = id;
        }
    }
    r->fate = ERMES_MISP_INDICATOR;
    imp->indicators++;
    return 0;
}

static int event_error(ermes__misp_import_t *imp, size_t index, const char *uuid,
                       const char *reason)
{
    json_t *o = json_pack("{s:I,s:s}", "index", (json_int_t)index, "reason", reason);

    if (!o)
        return ERMES_ENOMEM;
    if (uuid)
        json_object_set_new(o, "uuid", json_string(uuid));
    return json_array_append_new(imp->event_errors, o) ? ERMES_ENOMEM : 0;
}

static int uuid_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

/* A new entry of imp's events with references (every event read has one, so that reading it
 * again without references clears those kept). */
static int event_refs_begin(ermes__misp_import_t *imp, const char *uuid, int tlp)
{
    ermes__misp_ref_event_t *x;

    if (imp->nref_events == imp->ref_events_cap) {
        size_t cap = imp->ref_events_cap ? imp->ref_events_cap * 2 : 8;
        ermes__misp_ref_event_t *v = ermes__reallocarray(imp->ref_events, cap, sizeof(*v));
        if (!v)
            return ERMES_ENOMEM;
        imp->ref_events = v;
        imp->ref_events_cap = cap;
    }
    x = &imp->ref_events[imp->nref_events++];
    memset(x, 0, sizeof(*x));
    for (size_t k = 0; k < 36; k++)
        x->uuid[k] = (char)(uuid[k] >= 'A' && uuid[k] <= 'Z' ? uuid[k] + 32 : uuid[k]);
    x->tlp = tlp >= 0 ? tlp : ERMES_TLP_AMBER;
    x->start = imp->nrefs;
    x->attr_start = imp->nattrs;
    x->obj_start = imp->nobjs;
    x->oa_start = imp->nobjattrs;
    return 0;
}

static int read_event(const json_t *e, size_t index, ermes_indicator_set_t *set,
                      ermes__misp_import_t *imp)
{
    const json_t *inner = json_object_get(e, "Event"), *list, *a, *o;
    event_ctx_t ev;
    size_t i, j;
    int rc;

    if (json_is_object(inner))
        e = inner;
    if (!json_is_object(e))
        return event_error(imp, index, NULL, "not a MISP event (a JSON object)");
    memset(&ev, 0, sizeof(ev));
    ev.uuid = str_member(e, "uuid");
    if (!uuid_ok(ev.uuid))
        return event_error(imp, index, NULL, "not a MISP event: no uuid");
    snprintf(ev.source, sizeof(ev.source), "misp:%s", ev.uuid);
    for (char *p = ev.source; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    ev.tlp = tag_list(json_object_get(e, "Tag"), ev.tags, sizeof(ev.tags), &ev.tags_json);
    /* Inside an EventTag list too (MISP's own export nests Tag in it). */
    list = json_object_get(e, "EventTag");
    json_array_foreach(list, i, a)
    {
        json_t *one = json_pack("[O]", json_object_get(a, "Tag"));
        int t = one ? tag_list(one, ev.tags, sizeof(ev.tags), &ev.tags_json) : -1;
        json_decref(one);
        if (t > ev.tlp)
            ev.tlp = t;
    }
    ev.dist_tlp = ermes__misp_distribution_tlp(num_member(e, "distribution", -1));
    imp->events++;
    if (json_array_append_new(imp->event_uuids, json_string(ev.source + 5)))
        return ERMES_ENOMEM;
    if ((rc = event_refs_begin(imp, ev.uuid, ev.tlp >= 0 ? ev.tlp : ev.dist_tlp)))
        return rc;
    list = json_object_get(e, "Attribute");
    json_array_foreach(list, i, a)
    {
        if ((rc = read_attribute(a, &ev, 0, 0, set, imp)))
            return rc;
    }
    list = json_object_get(e, "Object");
    json_array_foreach(list, i, o)
    {
        const json_t *attrs = json_object_get(o, "Attribute");
        int deleted = bool_member(o, "deleted", 0);
        object_ctx_t oc;
        oc.uuid[0] = '\0';
        /* A deleted object is not kept: its attributes are skipped (read_attribute). */
        if (json_is_object(o) && !deleted && (rc = object_read(o, &oc, imp)))
            break;
        if (oc.uuid[0] && (rc = read_references(o, oc.uuid, imp)))
            break;
        json_array_foreach(attrs, j, a)
        {
            size_t member = 0;
            if (oc.uuid[0] && (rc = object_attr(a, &oc, imp, &member)))
                break;
            if ((rc = read_attribute(a, &ev, deleted, member, set, imp)))
                break;
        }
        if (rc)
            break;
    }
    if (!rc) {
        ermes__misp_ref_event_t *x = &imp->ref_events[imp->nref_events - 1];
        x->n = imp->nrefs - x->start;
        x->nattrs = imp->nattrs - x->attr_start;
        x->nobjs = imp->nobjs - x->obj_start;
        x->noas = imp->nobjattrs - x->oa_start;
        rc = mark_shared(imp, x);
    }
    return rc;
}

/* 1 when j is an event: {"Event": {...}} or a bare event (with a uuid and Attribute, Object
 * or info). */
static int looks_like_event(const json_t *j)
{
    return json_is_object(j) && (json_is_object(json_object_get(j, "Event")) ||
                                 (json_object_get(j, "uuid") &&
                                  (json_object_get(j, "Attribute") ||
                                   json_object_get(j, "Object") || json_object_get(j, "info"))));
}

static int nesting_ok(const char *data, size_t len)
{
    int depth = 0, in_str = 0;

    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > ERMES_MISP_MAX_DEPTH)
                return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

int ermes__misp_read(const char *data, size_t len, ermes_indicator_set_t *set,
                     ermes__misp_import_t *imp, ermes_diag_t *d)
{
    json_error_t err;
    json_t *root, *list = NULL;
    int rc = 0;

    if (!imp->event_errors && !(imp->event_errors = json_array()))
        return ERMES_ENOMEM;
    if (!imp->event_uuids && !(imp->event_uuids = json_array()))
        return ERMES_ENOMEM;
    if (!nesting_ok(data, len)) {
        ermes_diag_set(d, NULL, "the JSON is nested deeper than %d levels", ERMES_MISP_MAX_DEPTH);
        return ERMES_EPARSE;
    }
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        ermes_diag_set(d, NULL, "not JSON: %s (line %d)", err.text, err.line);
        return ERMES_EPARSE;
    }
    if (json_is_array(root))
        list = root;
    else if (json_is_object(root) && json_is_array(json_object_get(root, "response")))
        list = json_object_get(root, "response");
    if (list) {
        size_t i;
        json_t *e;
        if (json_array_size(list) > ERMES_MISP_MAX_EVENTS) {
            ermes_diag_set(d, NULL, "more than %d events", ERMES_MISP_MAX_EVENTS);
            rc = ERMES_ETOOBIG;
            goto out;
        }
        json_array_foreach(list, i, e)
        {
            if ((rc = read_event(e, i, set, imp)))
                break;
        }
    } else if (looks_like_event(root)) {
        rc = read_event(root, 0, set, imp);
    } else {
        ermes_diag_set(d, NULL,
                       "not a MISP event: expected {\"Event\": {...}}, a list of events "
                       "or a MISP feed's event file");
        rc = ERMES_EPARSE;
    }
    if (rc == ERMES_ETOOBIG)
        ermes_diag_set(d, NULL, "more than %d attributes in one import", ERMES_MISP_MAX_ATTRIBUTES);
out:
    json_decref(root);
    return rc;
}

/* After ermes__indicators_store: which indicators the warninglists left out, and the stored
 * ids of the others (rep->ids lists the stored ones in the set's order). */
static int resolve(ermes_indicator_set_t *set, ermes__misp_import_t *imp)
{
    size_t n = ermes_indicator_set_count(set), next = 0;
    int64_t *ids = NULL;
    ermes_matcher_t *m = NULL;
    int rc;

    if (!n)
        return 0;
    if ((rc = ermes_matcher_build(set, 0, &m)))
        return rc;
    if (!(ids = ermes__calloc(n, sizeof(*ids)))) {
        ermes_matcher_release(m);
        return ERMES_ENOMEM;
    }
    for (uint32_t id = 0; id < n; id++) {
        ermes_matcher_indicator_t mi;
        ermes_matcher_indicator(m, id, &mi);
        if (mi.flags & ERMES_IND_SUPPRESSED)
            ids[id] = -1;
        else if (next < imp->store.nids)
            ids[id] = imp->store.ids[next++];
    }
    for (size_t k = 0; k < imp->nattrs; k++) {
        ermes__misp_attr_t *r = &imp->attrs[k];
        int suppressed = 0;
        for (int i = 0; i < r->nind; i++) {
            int64_t v = ids[r->set_id[i]];
            r->id[i] = v > 0 ? v : 0;
            if (v < 0) {
                suppressed = 1;
                /* The list's name, from the store's report of the same value. */
                char value[256];
                if (ermes_indicator_set_value(set, r->set_id[i], value, sizeof(value)))
                    for (size_t s = 0; s < imp->store.nsuppressions; s++)
                        if (!strcmp(imp->store.suppressions[s].value, value))
                            copy(r->warninglist, sizeof(r->warninglist),
                                 imp->store.suppressions[s].warninglist);
            }
        }
        if (r->fate == ERMES_MISP_INDICATOR && suppressed) {
            r->fate = ERMES_MISP_SUPPRESSED;
            snprintf(r->reason, sizeof(r->reason), "on the warninglist \"%s\"",
                     r->warninglist[0] ? r->warninglist : "?");
            imp->indicators--;
            imp->suppressed++;
        }
    }
    ermes__free(ids);
    ermes_matcher_release(m);
    return 0;
}

static int ref_indicator_cb(void *ctx, const ermes__indicator_row_t *row)
{
    ermes__misp_ref_t *x = ctx;

    snprintf(x->ind_type, sizeof(x->ind_type), "%s", row->type);
    x->ind_exact = row->exact ? 1 : 0;
    ermes__free(x->ind_value);
    return (x->ind_value = ermes__strdup(row->value)) ? 0 : ERMES_ENOMEM;
}

/* The references of event x to one of its attributes (the event's own or an object's) that
 * became a stored indicator: that indicator (its first for a domain|ip), as the store holds
 * it, which export finds again under ermes's uuid for it (ermes__misp_export). */
static int refs_to_attributes(ermes__store_t *st, ermes__misp_import_t *imp,
                              const ermes__misp_ref_event_t *x)
{
    ermes__viewer_t staff = {0, "misp", ERMES_ROLE_ADMIN, 0, "misp"};
    json_t *by_uuid;
    int rc = 0;

    if (!x->n || !x->nattrs)
        return 0;
    if (!(by_uuid = json_object()))
        return ERMES_ENOMEM;
    for (size_t k = x->attr_start; k < x->attr_start + x->nattrs; k++) {
        char u[48];
        const ermes__misp_attr_t *r = &imp->attrs[k];
        if (!uuid_ok(r->uuid))
            continue;
        for (size_t i = 0; i < 37; i++)
            u[i] = (char)(r->uuid[i] >= 'A' && r->uuid[i] <= 'Z' ? r->uuid[i] + 32 : r->uuid[i]);
        if (!json_object_get(by_uuid, u) &&
            json_object_set_new(by_uuid, u, json_integer((json_int_t)k))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    for (size_t k = x->start; k < x->start + x->n; k++) {
        const json_t *at = json_object_get(by_uuid, imp->refs[k].referenced_uuid);
        const ermes__misp_attr_t *r;
        if (!at)
            continue;
        r = &imp->attrs[json_integer_value(at)];
        if (r->fate != ERMES_MISP_INDICATOR || r->nind < 1 || r->id[0] <= 0)
            continue; /* no indicator: the reference stays, with none */
        rc = ermes__store_indicator_get(st, &staff, r->id[0], ref_indicator_cb, &imp->refs[k]);
        if (rc == ERMES_ENOTFOUND)
            rc = 0;
        if (rc)
            break;
    }
out:
    json_decref(by_uuid);
    return rc;
}

/* A row of misp_object_attributes an import writes: entry objattrs[entry] of event, as an
 * attribute that is no indicator (id 0) or as indicator id's membership. */
typedef struct object_row {
    size_t event, entry;
    int64_t position, id;
} object_row_t;

static int cmp_object_row(const void *a, const void *b)
{
    const object_row_t *x = a, *y = b;

    if (x->event != y->event)
        return x->event < y->event ? -1 : 1;
    if (x->position != y->position)
        return x->position < y->position ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int row_add(object_row_t **rows, size_t *n, size_t *cap, size_t event, size_t entry,
                   int64_t position, int64_t id)
{
    int rc = grow((void **)rows, cap, *n, sizeof(**rows), 64);

    if (rc)
        return rc;
    (*rows)[(*n)++] = (object_row_t){event, entry, position, id};
    return 0;
}

/* The memberships of indicator id, which attribute r (an object's) gave last: its object, or
 * when other objects of its event hold the same value, each of those (every relation each
 * gives it, once), in the event's order. A stored indicator is what the last attribute of the
 * import that gave it says, as its other properties are. */
static int member_rows(const ermes__misp_import_t *imp, const ermes__misp_attr_t *r, int64_t id,
                       object_row_t **rows, size_t *n, size_t *cap)
{
    const ermes__misp_objattr_t *e = &imp->objattrs[r->member - 1];
    size_t event = imp->objs[e->obj].event, first = *n;
    const ermes__misp_ref_event_t *x = &imp->ref_events[event];
    int rc;

    if (!e->shared)
        return row_add(rows, n, cap, event, r->member - 1, e->position, id);
    for (size_t k = x->oa_start; k < x->oa_start + x->noas; k++) {
        const ermes__misp_objattr_t *o = &imp->objattrs[k];
        int seen = 0;
        if (o->value || strcmp(o->key, e->key))
            continue;
        for (size_t j = first; j < *n && !seen; j++) {
            const ermes__misp_objattr_t *p = &imp->objattrs[(*rows)[j].entry];
            seen =
                p->obj == o->obj && !strcmp(p->relation, o->relation) && !strcmp(p->type, o->type);
        }
        if (!seen && (rc = row_add(rows, n, cap, event, k, o->position, id)))
            return rc;
    }
    return 0;
}

/* Every event read keeps its MISP objects as this import gives them (src/store/misp_objects.c),
 * in the transaction open: each object with its attributes that are no indicators, and the
 * stored indicators that are its members. */
static int store_objects(ermes__store_t *st, const ermes__misp_import_t *imp)
{
    json_t *last = json_object(); /* indicator id -> the attribute that gave it last */
    object_row_t *rows = NULL;
    ermes__misp_object_t *objs = NULL;
    ermes__misp_object_attr_t *attrs = NULL;
    size_t n = 0, cap = 0, at = 0;
    const char *key;
    json_t *v;
    int rc = 0;

    if (!last)
        return ERMES_ENOMEM;
    for (size_t k = 0; k < imp->nattrs && !rc; k++) {
        const ermes__misp_attr_t *r = &imp->attrs[k];
        for (int i = 0; i < r->nind && !rc; i++) {
            char id[24];
            if (r->id[i] <= 0)
                continue;
            snprintf(id, sizeof(id), "%lld", (long long)r->id[i]);
            if (json_object_set_new(last, id, json_integer((json_int_t)k)))
                rc = ERMES_ENOMEM;
        }
    }
    json_object_foreach(last, key, v)
    {
        const ermes__misp_attr_t *r = &imp->attrs[json_integer_value(v)];
        if (rc)
            break;
        if (r->member)
            rc = member_rows(imp, r, strtoll(key, NULL, 10), &rows, &n, &cap);
    }
    for (size_t k = 0; k < imp->nobjattrs && !rc; k++)
        if (imp->objattrs[k].value)
            rc = row_add(&rows, &n, &cap, imp->objs[imp->objattrs[k].obj].event, k,
                         imp->objattrs[k].position, 0);
    if (rc)
        goto out;
    if (n)
        qsort(rows, n, sizeof(*rows), cmp_object_row);
    if ((imp->nobjs && !(objs = ermes__calloc(imp->nobjs, sizeof(*objs)))) ||
        (n && !(attrs = ermes__calloc(n, sizeof(*attrs))))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < imp->nobjs; k++) {
        const ermes__misp_obj_t *o = &imp->objs[k];
        objs[k] = (ermes__misp_object_t){o->uuid,          imp->ref_events[o->event].uuid,
                                         o->name,          o->meta_category,
                                         o->template_uuid, o->description,
                                         o->comment,       o->template_version,
                                         o->timestamp,     o->distribution};
    }
    for (size_t k = 0; k < n; k++) {
        const ermes__misp_objattr_t *e = &imp->objattrs[rows[k].entry];
        attrs[k] = (ermes__misp_object_attr_t){imp->objs[e->obj].uuid,
                                               e->relation,
                                               e->type,
                                               e->uuid,
                                               e->value,
                                               e->position,
                                               rows[k].id};
    }
    for (size_t k = 0; k < imp->nref_events && !rc; k++) {
        const ermes__misp_ref_event_t *x = &imp->ref_events[k];
        size_t from = at;
        while (at < n && rows[at].event == k)
            at++;
        rc = ermes__store_misp_objects_replace(st, x->uuid, objs + x->obj_start, x->nobjs,
                                               attrs + from, at - from);
    }
out:
    ermes__free(attrs);
    ermes__free(objs);
    ermes__free(rows);
    json_decref(last);
    return rc;
}

int ermes__misp_import(ermes__store_t *st, const ermes__viewer_t *v, const char *data, size_t len,
                       ermes_warninglist_t *const *wls, size_t nwl, ermes__misp_import_t *imp,
                       ermes_diag_t *d)
{
    ermes_indicator_set_t *set = NULL;
    int rc;

    if ((rc = ermes_indicator_set_new(&set)))
        return rc;
    if ((rc = ermes__misp_read(data, len, set, imp, d)))
        goto out;
    if ((rc = ermes__indicators_store(st, v, set, wls, nwl, ERMES_TLP_AMBER, &imp->store)) ||
        (rc = resolve(set, imp)))
        goto out;
    for (size_t k = 0; k < imp->nref_events && !rc; k++)
        rc = refs_to_attributes(st, imp, &imp->ref_events[k]);
    if (rc)
        goto out;
    {
        /* One transaction for every event's references and objects (a body may hold 10,000
         * events). */
        int own = !ermes__store_in_tx(st);
        if (own && (rc = ermes__store_begin(st)))
            goto out;
        for (size_t k = 0; k < imp->nref_events && !rc; k++) {
            const ermes__misp_ref_event_t *x = &imp->ref_events[k];
            rc = ermes__store_misp_refs_replace(st, x->uuid, imp->refs + x->start, x->n,
                                                ermes_tlp_name((ermes_tlp_t)x->tlp),
                                                v ? v->org_id : 0);
        }
        if (!rc)
            rc = store_objects(st, imp);
        if (own && rc)
            ermes__store_rollback(st);
        else if (own)
            rc = ermes__store_commit(st);
    }
out:
    ermes_indicator_set_free(set);
    return rc;
}

static const char *fate_name(ermes__misp_fate_t f)
{
    static const char *const names[] = {"indicator", "skipped", "invalid", "suppressed"};

    return (unsigned)f < 4 ? names[f] : "?";
}

/* A copy of s in buf, cut at a character boundary: the fixed-size fields of the report may have
 * cut a UTF-8 sequence, and jansson takes only whole ones. */
static const char *utf8_whole(const char *s, char *buf, size_t cap)
{
    size_t n, i;
    unsigned char c;
    size_t need;

    snprintf(buf, cap, "%s", s);
    n = strlen(buf);
    if (!n)
        return buf;
    i = n - 1;
    while (i > 0 && ((unsigned char)buf[i] & 0xc0) == 0x80)
        i--;
    c = (unsigned char)buf[i];
    need = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
    if (i + need > n)
        buf[i] = '\0';
    return buf;
}

json_t *ermes__misp_import_to_json(const ermes__misp_import_t *imp)
{
    json_t *attrs = json_array(), *out;

    for (size_t k = 0; attrs && k < imp->nattrs; k++) {
        const ermes__misp_attr_t *r = &imp->attrs[k];
        char u[48], eu[48], t[48], v[160];
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "uuid", utf8_whole(r->uuid, u, sizeof(u)),
                              "event_uuid", utf8_whole(r->event_uuid, eu, sizeof(eu)), "type",
                              utf8_whole(r->type, t, sizeof(t)), "value",
                              utf8_whole(r->value, v, sizeof(v)), "fate", fate_name(r->fate));
        if (!o)
            continue;
        if (r->reason[0]) {
            char why[200];
            json_object_set_new(o, "reason", json_string(utf8_whole(r->reason, why, sizeof(why))));
        }
        if (r->fate == ERMES_MISP_INDICATOR) {
            json_t *ids = json_array();
            for (int i = 0; ids && i < r->nind; i++)
                if (r->id[i])
                    json_array_append_new(ids, json_integer(r->id[i]));
            json_object_set_new(o, "indicator_ids", ids);
        }
        if (r->warninglist[0]) {
            char wl[128];
            json_object_set_new(o, "warninglist",
                                json_string(utf8_whole(r->warninglist, wl, sizeof(wl))));
        }
        json_array_append_new(attrs, o);
    }
    out =
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O,s:O,s:o*}", "events", (json_int_t)imp->events,
                  "indicators", (json_int_t)imp->indicators, "added", (json_int_t)imp->store.added,
                  "updated", (json_int_t)imp->store.updated, "skipped", (json_int_t)imp->skipped,
                  "invalid", (json_int_t)imp->invalid, "suppressed", (json_int_t)imp->suppressed,
                  "event_uuids", imp->event_uuids ? imp->event_uuids : json_array(), "event_errors",
                  imp->event_errors ? imp->event_errors : json_array(), "attributes", attrs);
    return out;
}

/* ---- export ---- */

void ermes__misp_uuid5(const char *name, char buf[37])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    memset(md, 0, sizeof(md));
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
        EVP_DigestUpdate(ctx, misp_ns, sizeof(misp_ns)) &&
        EVP_DigestUpdate(ctx, name, strlen(name)))
        EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC variant */
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            buf[o++] = '-';
        buf[o++] = hex[md[i] >> 4];
        buf[o++] = hex[md[i] & 15];
    }
    buf[o] = '\0';
}

/* The MISP type and category of an ermes indicator type; NULL type for JA4 (an object). */
static void misp_type(const char *type, int exact, const char **mtype, const char **category)
{
    *category = "Network activity";
    if (!strcmp(type, "ipv4") || !strcmp(type, "ipv6") || !strcmp(type, "cidr"))
        *mtype = "ip-dst";
    else if (!strcmp(type, "domain"))
        *mtype = exact ? "hostname" : "domain";
    else if (!strcmp(type, "url"))
        *mtype = "url";
    else if (!strcmp(type, "ja3"))
        *mtype = "ja3-fingerprint-md5";
    else if (!strcmp(type, "ja4"))
        *mtype = NULL;
    else {
        *category = "Payload delivery";
        *mtype = !strcmp(type, "email") ? "email-src" : type; /* md5, sha1, sha256, sha512 */
    }
}

/* MISP's first_seen/last_seen form: ISO 8601 with microseconds and an offset. */
static json_t *misp_time(int64_t ms)
{
    char buf[40];

    ermes__time_put_seconds(ms / 1000, buf);
    snprintf(buf + 19, sizeof(buf) - 19, ".%03d000+00:00", (int)(ms % 1000));
    return json_string(buf);
}

static json_t *tlp_tag(ermes_tlp_t tlp)
{
    static const char *const names[] = {"tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict",
                                        "tlp:red"};

    return json_pack("{s:s}", "name", (unsigned)tlp < 5 ? names[tlp] : "tlp:amber");
}

/* MISP distribution for a TLP (sharing.md 7.3, without a sharing group: AMBER stays in the
 * community, AMBER+STRICT and RED in the organisation). The tlp tag says the rest. */
static const char *tlp_distribution(ermes_tlp_t tlp)
{
    switch (tlp) {
    case ERMES_TLP_CLEAR:
        return "3";
    case ERMES_TLP_GREEN:
        return "2";
    case ERMES_TLP_AMBER:
        return "1";
    default:
        return "0";
    }
}

typedef struct export_ctx {
    json_t *events; /* uuid -> event */
    const ermes__viewer_t *viewer;
    int rc;
    ermes_tlp_t cap;    /* the channel's highest TLP (a published feed's sharing group) */
    ermes__store_t *st; /* where named recipients are looked up */
    int grant;          /* the feed's sharing group's grant to the viewer (-1: none) */
} export_ctx_t;

/* The objects of an event imported from MISP, as export needs them: {uuid: {"name",
 * "meta-category", "template_uuid", "template_version", "comment", "attrs": [[relation,
 * type, value], ...]}} (the attributes that are no indicators). */
static int stored_object_cb(void *ctx, const ermes__misp_object_t *o)
{
    char ver[24];
    json_t *x;

    snprintf(ver, sizeof(ver), "%lld", (long long)o->template_version);
    x = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[]}", "name", o->name, "meta-category", o->meta_category,
                  "template_uuid", o->template_uuid, "template_version", ver, "comment", o->comment,
                  "attrs");
    return !x || json_object_set_new(ctx, o->uuid, x) ? ERMES_ENOMEM : 0;
}

/* Each attribute of the event's objects: into its object's "attrs" when it is no indicator,
 * else into "members": {indicator id: [[object uuid, relation, type], ...]} in the event's
 * order. */
static int stored_object_attr_cb(void *ctx, const ermes__misp_object_attr_t *a)
{
    json_t *mo = ctx, *list, *o;

    if (!a->indicator_id) {
        o = json_object_get(json_object_get(mo, "objects"), a->object_uuid);
        if (!(list = json_object_get(o, "attrs")))
            return 0;
        return json_array_append_new(list, json_pack("[s,s,s]", a->relation, a->type, a->value))
                   ? ERMES_ENOMEM
                   : 0;
    } else {
        char id[24];
        json_t *members = json_object_get(mo, "members");
        snprintf(id, sizeof(id), "%lld", (long long)a->indicator_id);
        if (!(list = json_object_get(members, id))) {
            if (!(list = json_array()) || json_object_set_new(members, id, list))
                return ERMES_ENOMEM;
        }
        return json_array_append_new(list,
                                     json_pack("[s,s,s]", a->object_uuid, a->relation, a->type))
                   ? ERMES_ENOMEM
                   : 0;
    }
}

static json_t *event_for(export_ctx_t *c, const char *source)
{
    char uuid[40];
    json_t *e;

    if (!strncmp(source, "misp:", 5) && uuid_ok(source + 5))
        snprintf(uuid, sizeof(uuid), "%s", source + 5);
    else {
        char name[ERMES_INDICATOR_SOURCE_MAX + 16];
        snprintf(name, sizeof(name), "ermes:source:%s", source);
        ermes__misp_uuid5(name, uuid);
    }
    if ((e = json_object_get(c->events, uuid)))
        return e;
    e = json_pack("{s:s,s:s*,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:{s:s,s:s},s:[],s:[],s:[],s:I}", "uuid",
                  uuid, "info", source[0] ? source : "ermes indicators", "date", "1970-01-01",
                  "threat_level_id", "4", "analysis", "2", "distribution", "0", "published", 1,
                  "timestamp", "0", "publish_timestamp", "0", "Orgc", "name", "ermes", "uuid",
                  "3d0c5a4e-8f1b-4c52-9a7d-2e6b1f0c9a31", "Attribute", "Object", "Tag", "_min",
                  (json_int_t)INT64_MAX);
    if (!e || json_object_set_new(c->events, uuid, e))
        return NULL;
    /* An event imported from MISP: its objects, which its indicators go back into. */
    if (!strncmp(source, "misp:", 5) && uuid_ok(source + 5) && c->st && !c->rc) {
        json_t *mo = json_pack("{s:{},s:{}}", "objects", "members");
        if (!mo || json_object_set_new(e, "_mo", mo))
            return NULL;
        if ((c->rc = ermes__store_misp_object_each(c->st, uuid, stored_object_cb,
                                                   json_object_get(mo, "objects"))) ||
            (c->rc = ermes__store_misp_object_attr_each(c->st, uuid, stored_object_attr_cb, mo)))
            return NULL;
    }
    return e;
}

/* The object uuid of event e ("_objects": uuid -> object), made when it is new from what the
 * store keeps of it ("_mo"). */
static json_t *object_for(json_t *e, const char *uuid, const char *dist, const char *ts)
{
    json_t *objs = json_object_get(e, "_objects"), *o;
    const json_t *stored =
        json_object_get(json_object_get(json_object_get(e, "_mo"), "objects"), uuid);
    const char *keys[] = {"name", "meta-category", "template_uuid", "template_version", "comment"};

    if (!objs) {
        if (!(objs = json_object()) || json_object_set_new(e, "_objects", objs))
            return NULL;
    }
    if ((o = json_object_get(objs, uuid)))
        return o;
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "uuid", uuid, "name", "",
                  "meta-category", "", "template_uuid", "", "template_version", "0", "distribution",
                  dist, "timestamp", ts, "comment", "", "Attribute");
    if (!o || json_object_set_new(objs, uuid, o))
        return NULL;
    for (size_t k = 0; stored && k < sizeof(keys) / sizeof(keys[0]); k++)
        json_object_set(o, keys[k], json_object_get(stored, keys[k]));
    if (!json_string_length(json_object_get(o, "template_uuid")))
        json_object_del(o, "template_uuid");
    return o;
}

/* The category of an object's attribute that is no indicator: one MISP allows its type
 * (PyMISP describeTypes), Other for the rest. */
static const char *object_attr_category(const char *type)
{
    static const struct {
        const char *type, *category;
    } map[] = {{"filename", "Payload delivery"},      {"port", "Network activity"},
               {"email-subject", "Payload delivery"}, {"email-src", "Payload delivery"},
               {"email-dst", "Payload delivery"},     {"ip-src", "Network activity"},
               {"ip-dst", "Network activity"},        {"domain", "Network activity"},
               {"hostname", "Network activity"},      {"url", "Network activity"},
               {"md5", "Payload delivery"},           {"sha1", "Payload delivery"},
               {"sha256", "Payload delivery"},        {"sha512", "Payload delivery"}};

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(type, map[i].type))
            return map[i].category;
    return "Other";
}

/* 1 when object o has an attribute of this relation and value already. */
static int object_has(const json_t *o, const char *rel, const char *value)
{
    const json_t *a;
    size_t i;

    json_array_foreach(json_object_get(o, "Attribute"), i, a)
    {
        if (!strcmp(json_string_value(json_object_get(a, "object_relation")), rel) &&
            !strcmp(json_string_value(json_object_get(a, "value")), value))
            return 1;
    }
    return 0;
}

/* Puts attribute a (indicator r) into each MISP object it is a member of (members: [[object
 * uuid, relation, type], ...], see stored_object_attr_cb), with the objects' attributes that
 * are no indicators. 1 when it went into one or more objects, 0 when it belongs to none,
 * ERMES_ENOMEM. */
static int object_members(json_t *e, const json_t *members, const json_t *a,
                          const ermes__indicator_row_t *r, const char *ts, char first[40])
{
    char key[ERMES_INDICATOR_VALUE_MAX + 200], auuid[40];
    const json_t *m, *x;
    size_t i, k;
    int in = 0;

    json_array_foreach(members, i, m)
    {
        const char *uuid = json_string_value(json_array_get(m, 0));
        const char *rel = json_string_value(json_array_get(m, 1));
        const char *type = json_string_value(json_array_get(m, 2));
        const json_t *stored;
        json_t *o, *copy_a;
        if (!uuid || !rel || !type || !rel[0] || !type[0])
            continue;
        if (!(o = object_for(e, uuid, tlp_distribution(r->tlp), ts)))
            return ERMES_ENOMEM;
        in = 1;
        snprintf(key, sizeof(key), "%s|%s|%s", uuid, rel, r->value);
        ermes__misp_uuid5(key, auuid);
        if (!first[0])
            memcpy(first, auuid, 37);
        if (object_has(o, rel, r->value))
            continue;
        if (!(copy_a = json_deep_copy(a)))
            return ERMES_ENOMEM;
        json_object_set_new(copy_a, "uuid", json_string(auuid));
        json_object_set_new(copy_a, "type", json_string(type));
        json_object_set_new(copy_a, "object_relation", json_string(rel));
        if (json_array_append_new(json_object_get(o, "Attribute"), copy_a))
            return ERMES_ENOMEM;
        /* The object's attributes that are no indicators come with its first member shown,
         * under that member's TLP. */
        stored = json_object_get(json_object_get(json_object_get(e, "_mo"), "objects"), uuid);
        json_array_foreach(json_object_get(stored, "attrs"), k, x)
        {
            const char *arel = json_string_value(json_array_get(x, 0));
            const char *atype = json_string_value(json_array_get(x, 1));
            const char *val = json_string_value(json_array_get(x, 2));
            json_t *y;
            if (!arel || !atype || !val || object_has(o, arel, val))
                continue;
            snprintf(key, sizeof(key), "%s|%s|%s", uuid, arel, val);
            ermes__misp_uuid5(key, auuid);
            y = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:b,s:[o]}", "uuid", auuid, "type",
                          atype, "category", object_attr_category(atype), "object_relation", arel,
                          "value", val, "to_ids", 0, "distribution", tlp_distribution(r->tlp),
                          "timestamp", ts, "comment", "", "disable_correlation", 0, "Tag",
                          tlp_tag(r->tlp));
            if (!y || json_array_append_new(json_object_get(o, "Attribute"), y))
                return ERMES_ENOMEM;
        }
    }
    return in;
}

static int export_cb(void *arg, const ermes__indicator_row_t *r)
{
    export_ctx_t *c = arg;
    const json_t *members;
    json_t *e, *a, *tags, *arr;
    const char *mtype, *category;
    char key[ERMES_INDICATOR_VALUE_MAX + 64], uuid[40], ts[24], first[40];
    json_error_t err;
    json_t *attrs;
    int64_t min;
    int rc;

    /* An export path: what the store shows the viewer, and only what the one TLP policy of
     * every sharing path lets out (src/access/tlp_policy.h). */
    if (!ermes__tlp_allows_object(c->st, c->viewer, c->cap, c->grant, r->tlp, r->owner_org_id,
                                  r->stix_id, r->id))
        return 0;
    if (!(e = event_for(c, r->source ? r->source : "")))
        return c->rc ? c->rc : ERMES_ENOMEM;
    misp_type(r->type, r->exact, &mtype, &category);
    snprintf(key, sizeof(key), "%s|%s|%d", r->type, r->value, r->exact);
    ermes__misp_uuid5(key, uuid);
    snprintf(ts, sizeof(ts), "%lld", (long long)(r->updated_at / 1000));
    tags = json_array();
    if (!tags || json_array_append_new(tags, tlp_tag(r->tlp)))
        return ERMES_ENOMEM;
    arr = json_loads(r->tags ? r->tags : "[]", 0, &err);
    if (json_is_array(arr)) {
        size_t i;
        json_t *t;
        json_array_foreach(arr, i, t) json_array_append_new(tags, json_pack("{s:O}", "name", t));
    }
    json_decref(arr);
    {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)r->id);
        members = json_object_get(json_object_get(json_object_get(e, "_mo"), "members"), id);
    }
    a = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:b,s:o}", "uuid", uuid, "type",
                  mtype ? mtype : "text", "category", category, "value", r->value, "to_ids", 1,
                  "distribution", tlp_distribution(r->tlp), "timestamp", ts, "comment", "",
                  "disable_correlation", 0, "Tag", tags);
    if (!a)
        return ERMES_ENOMEM;
    if (r->valid_from)
        json_object_set_new(a, "first_seen", misp_time(r->valid_from));
    if (r->valid_until)
        json_object_set_new(a, "last_seen", misp_time(r->valid_until));
    first[0] = '\0';
    if (members && (rc = object_members(e, members, a, r, ts, first)) != 0) {
        json_decref(a);
        if (rc < 0)
            return rc;
    } else if (mtype) {
        json_array_append_new(json_object_get(e, "Attribute"), a);
    } else {
        /* JA4: the ja4-plus object's ja4-fingerprint relation. */
        char ouuid[40], okey[ERMES_INDICATOR_VALUE_MAX + 64];
        json_t *o;
        snprintf(okey, sizeof(okey), "ja4-plus|%s", r->value);
        ermes__misp_uuid5(okey, ouuid);
        json_object_set_new(a, "object_relation", json_string("ja4-fingerprint"));
        o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[o]}", "uuid", ouuid, "name", "ja4-plus",
                      "meta-category", "network", "template_uuid",
                      "2c15c75e-e7db-4b62-8d17-633e7571818f", "distribution",
                      tlp_distribution(r->tlp), "timestamp", ts, "Attribute", a);
        if (!o)
            return ERMES_ENOMEM;
        json_array_append_new(json_object_get(e, "Object"), o);
    }
    /* The uuid the indicator has in this event (in its first object when it went into
     * objects), by its key: what an object's reference to the attribute it came from names
     * (ref_cb). Only the indicators the reader is shown are here. */
    if (!(attrs = json_object_get(e, "_attrs"))) {
        if (!(attrs = json_object()) || json_object_set_new(e, "_attrs", attrs))
            return ERMES_ENOMEM;
    }
    if (!json_object_get(attrs, key) &&
        json_object_set_new(attrs, key, json_string(first[0] ? first : uuid)))
        return ERMES_ENOMEM;
    /* The event's date: its oldest indicator's; its timestamp: the newest change. */
    min = json_integer_value(json_object_get(e, "_min"));
    if (r->created_at < min) {
        char date[24];
        ermes__time_put_seconds(r->created_at / 1000, date);
        date[10] = '\0';
        json_object_set_new(e, "_min", json_integer(r->created_at));
        json_object_set_new(e, "date", json_string(date));
    }
    if (strtoll(json_string_value(json_object_get(e, "timestamp")), NULL, 10) <
        r->updated_at / 1000)
        json_object_set_new(e, "timestamp", json_string(ts));
    /* The event's distribution: the widest of its attributes'. */
    if (strcmp(tlp_distribution(r->tlp), json_string_value(json_object_get(e, "distribution"))) > 0)
        json_object_set_new(e, "distribution", json_string(tlp_distribution(r->tlp)));
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Moves event e's MISP objects ("_objects", made by object_members) into its Object list, in
 * uuid order, so that exporting again gives the same event. */
typedef struct refs_ctx {
    json_t *objs; /* the event's exported objects by uuid */
    json_t *list; /* the object's ObjectReference */
    const char *ts;
    const json_t *attrs; /* the event's exported indicators: "type|value|exact" -> uuid */
} refs_ctx_t;

static int ref_cb(void *arg, const ermes__misp_ref_t *r)
{
    refs_ctx_t *c = arg;
    const char *to = r->referenced_uuid;
    json_int_t type = 1; /* MISP's referenced_type: 0 an attribute, 1 an object */

    /* Only to what the reader is shown in this event: a reference to something it may not
     * see would name it. An attribute is named by the uuid ermes gives the indicator it
     * became (UUIDv5), not MISP's. */
    if (!json_object_get(c->objs, to)) {
        char key[ERMES_INDICATOR_VALUE_MAX + 64];
        const char *u;
        if (!r->ind_value || !c->attrs)
            return 0;
        snprintf(key, sizeof(key), "%s|%s|%d", r->ind_type, r->ind_value, r->ind_exact ? 1 : 0);
        if (!(u = json_string_value(json_object_get(c->attrs, key))))
            return 0;
        to = u;
        type = 0;
    }
    return json_array_append_new(c->list,
                                 json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:b}", "uuid", r->uuid,
                                           "object_uuid", r->object_uuid, "referenced_uuid", to,
                                           "referenced_type", type, "relationship_type",
                                           r->relationship_type, "comment", r->comment, "timestamp",
                                           c->ts, "deleted", 0))
               ? ERMES_ENOMEM
               : 0;
}

/* Each exported object's references kept at import (src/store/misp_refs.c) whose other end is
 * an object of the same exported event, or an attribute whose indicator is exported in it
 * (attrs), as its ObjectReference list (none: no list). */
static int object_references(ermes__store_t *st, json_t *objs, const json_t *attrs)
{
    const char *uuid;
    json_t *o;
    int rc;

    json_object_foreach(objs, uuid, o)
    {
        refs_ctx_t c = {objs, json_array(), json_string_value(json_object_get(o, "timestamp")),
                        attrs};
        if (!c.list)
            return ERMES_ENOMEM;
        if (!c.ts)
            c.ts = "0";
        if ((rc = ermes__store_misp_refs_of(st, uuid, ref_cb, &c))) {
            json_decref(c.list);
            return rc;
        }
        if (json_array_size(c.list))
            json_object_set_new(o, "ObjectReference", c.list);
        else
            json_decref(c.list);
    }
    return 0;
}

static int objects_sorted(ermes__store_t *st, json_t *e)
{
    json_t *objs = json_object_get(e, "_objects"), *o, *list = json_object_get(e, "Object");
    const char **keys, *key;
    size_t n = json_object_size(objs), i = 0;

    if (!n) {
        json_object_del(e, "_objects");
        return 0;
    }
    if (st) {
        int rc = object_references(st, objs, json_object_get(e, "_attrs"));
        if (rc)
            return rc;
    }
    if (!(keys = ermes__calloc(n, sizeof(*keys))))
        return ERMES_ENOMEM;
    json_object_foreach(objs, key, o) keys[i++] = key;
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n; i++)
        if (json_array_append(list, json_object_get(objs, keys[i]))) {
            ermes__free(keys);
            return ERMES_ENOMEM;
        }
    ermes__free(keys);
    json_object_del(e, "_objects");
    return 0;
}

int ermes__misp_export(ermes__store_t *st, const ermes__viewer_t *v,
                       const ermes__indicator_filter_t *f, json_t **out)
{
    return ermes__misp_export_capped(st, v, ERMES_TLP_RED, -1, f, out);
}

int ermes__misp_export_capped(ermes__store_t *st, const ermes__viewer_t *v, ermes_tlp_t cap,
                              int grant, const ermes__indicator_filter_t *f, json_t **out)
{
    export_ctx_t c = {json_object(), v, 0, cap, st, grant};
    /* A member granted more than the community receives by its group is shown indicators that
     * the REST list would not show it: those are read as the CERT's, and the policy
     * (export_cb) alone decides. */
    ermes__viewer_t all_of_them = {0, "misp-feed", ERMES_ROLE_ADMIN, 0, "misp-feed"};
    const ermes__viewer_t *reader = grant > (int)ERMES_TLP_GREEN ? &all_of_them : v;
    ermes__indicator_filter_t all = *f;
    const char **keys = NULL;
    size_t n = 0, i = 0;
    const char *key;
    json_t *e, *arr = NULL;
    int rc;

    *out = NULL;
    if (!c.events)
        return ERMES_ENOMEM;
    all.limit = 0;
    all.after_id = 0;
    if ((rc = ermes__store_indicator_each(st, reader, &all, export_cb, &c, NULL)))
        goto out;
    n = json_object_size(c.events);
    if (!(arr = json_array()) || (n && !(keys = ermes__calloc(n, sizeof(*keys))))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    json_object_foreach(c.events, key, e) keys[i++] = key;
    if (n) /* qsort wants a non-null base even for no elements */
        qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n; i++) {
        e = json_object_get(c.events, keys[i]);
        json_object_del(e, "_min");
        if ((rc = objects_sorted(st, e)))
            goto out;
        json_object_del(e, "_attrs");
        json_object_del(e, "_mo");
        json_object_set(e, "publish_timestamp", json_object_get(e, "timestamp"));
        if (json_array_append_new(arr, json_pack("{s:O}", "Event", e))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    *out = arr;
    arr = NULL;
out:
    ermes__free(keys);
    json_decref(arr);
    json_decref(c.events);
    return rc;
}
