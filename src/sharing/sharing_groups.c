/* Sharing groups: access, the objects they select, and their JSON. */
#include "sharing/sharing_groups.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uuid.h"

static int listed(const char *list_json, const char *member)
{
    json_error_t err;
    json_t *l = json_loads(list_json ? list_json : "[]", 0, &err), *m;
    size_t i;
    int found = 0;

    json_array_foreach(l, i, m)
    {
        if (json_is_string(m) && !strcmp(json_string_value(m), member)) {
            found = 1;
            break;
        }
    }
    json_decref(l);
    return found;
}

int ermes__sharing_group_can(ermes__store_t *st, const ermes__sharing_group_t *g,
                             const ermes__viewer_t *v, int write)
{
    const char *list = write ? g->writers : g->readers;
    char short_name[64];

    if (!v || v->role == ERMES_ROLE_SENSOR)
        return 0;
    if (ermes__viewer_is_staff(v))
        return listed(list, ERMES__SG_STAFF);
    if (listed(list, ERMES__SG_CONSTITUENTS))
        return 1;
    return v->org_id &&
           ermes__store_org_short_name(st, v->org_id, short_name, sizeof(short_name)) == 0 &&
           strcmp(short_name, ERMES__SG_STAFF) != 0 &&
           strcmp(short_name, ERMES__SG_CONSTITUENTS) != 0 && listed(list, short_name);
}

int ermes__sharing_group_grant(ermes__store_t *st, const ermes__sharing_group_t *g,
                               const ermes__viewer_t *v)
{
    json_error_t err;
    json_t *m;
    const char *t;
    char short_name[64];
    ermes_tlp_t tlp;
    int grant = -1;

    if (!v || !v->org_id || ermes__viewer_is_staff(v) || v->role == ERMES_ROLE_SENSOR ||
        !g->member_tlp || !strcmp(g->member_tlp, "{}") || !ermes__sharing_group_can(st, g, v, 0) ||
        ermes__store_org_short_name(st, v->org_id, short_name, sizeof(short_name)))
        return -1;
    if (!(m = json_loads(g->member_tlp, 0, &err)))
        return -1;
    t = json_string_value(json_object_get(m, short_name));
    if (t && !ermes_tlp_parse(t, strlen(t), &tlp) && tlp <= g->max_tlp && tlp < ERMES_TLP_RED)
        grant = (int)tlp;
    json_decref(m);
    return grant;
}

void ermes__sharing_group_filter(const ermes__sharing_group_t *g, const json_t *selection,
                                 const ermes__viewer_t *v, int grant, ermes__stix_filter_t *f,
                                 int *none)
{
    ermes__tlp_masks_t m;
    const json_t *types = json_object_get(selection, "types"), *t;
    const char *keep[ERMES__STIX_LIST_MAX];
    size_t i, n = 0;

    *none = 0;
    ermes__tlp_policy_granted(v, g->max_tlp, grant, &m);
    f->tlp_anyone = m.anyone;
    f->tlp_owned = m.owned;
    f->org_id = m.org_id;
    f->tlp_named = m.named;
    f->tlp_client = m.client;
    f->sharing_group_id = g->id;
    f->select_all = json_is_true(json_object_get(selection, "all"));
    if (!json_array_size(types))
        return;
    /* The selection's types, and of them only those the request asks for. */
    json_array_foreach(types, i, t)
    {
        const char *s = json_string_value(t);
        int asked = f->ntypes == 0;
        if (!s || n == ERMES__STIX_LIST_MAX)
            continue;
        for (size_t k = 0; k < f->ntypes && !asked; k++)
            asked = !strcmp(f->types[k], s);
        if (asked)
            keep[n++] = s;
    }
    memcpy(f->types, keep, n * sizeof(keep[0]));
    f->ntypes = n;
    if (!n)
        *none = 1;
}

json_t *ermes__sharing_group_to_json(const ermes__sharing_group_t *g)
{
    json_error_t err;
    json_t *readers = json_loads(g->readers ? g->readers : "[]", 0, &err);
    json_t *writers = json_loads(g->writers ? g->writers : "[]", 0, &err);
    json_t *selection = json_loads(g->selection ? g->selection : "{}", 0, &err);
    json_t *members = json_loads(g->member_tlp ? g->member_tlp : "{}", 0, &err);

    return json_pack(
        "{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s}", "id", (json_int_t)g->id, "name",
        g->name, "collection_id", g->collection_id, "title", g->title, "description",
        g->description ? g->description : "", "max_tlp", ermes_tlp_name(g->max_tlp), "readers",
        readers ? readers : json_array(), "writers", writers ? writers : json_array(), "selection",
        selection ? selection : json_object(), "member_tlp", members ? members : json_object(),
        "taxii_collection", g->collection_id, "tlp", ermes_tlp_name(g->tlp));
}

static int check_list(const json_t *l, const char *field, ermes_diag_t *d)
{
    const json_t *m;
    size_t i;

    if (!l)
        return 0;
    if (!json_is_array(l) || json_array_size(l) > 100) {
        ermes_diag_set(d, field, "%s is a list of up to 100 members", field);
        return ERMES_EINVAL;
    }
    json_array_foreach(l, i, m)
    {
        if (!json_is_string(m) || json_string_length(m) == 0 || json_string_length(m) > 64) {
            ermes_diag_set(d, field,
                           "%s lists \"staff\", \"constituents\" or organisations' short names",
                           field);
            return ERMES_EINVAL;
        }
    }
    return 0;
}

static int check_selection(const json_t *s, ermes_diag_t *d)
{
    const char *key;
    const json_t *v, *t;
    size_t i;

    if (!s)
        return 0;
    if (!json_is_object(s))
        goto bad;
    json_object_foreach((json_t *)s, key, v)
    {
        if (!strcmp(key, "all")) {
            if (!json_is_boolean(v))
                goto bad;
        } else if (!strcmp(key, "types") || !strcmp(key, "media_types")) {
            if (!json_is_array(v) || json_array_size(v) > ERMES__STIX_LIST_MAX)
                goto bad;
            json_array_foreach(v, i, t)
            {
                if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 250)
                    goto bad;
            }
        } else {
            goto bad;
        }
    }
    return 0;
bad:
    ermes_diag_set(d, "selection",
                   "selection is {\"all\": true|false, \"types\": [STIX types, up to %d], "
                   "\"media_types\": [...]}",
                   ERMES__STIX_LIST_MAX);
    return ERMES_EINVAL;
}

/* member_tlp: {"SHORT_NAME": "TLP", ...}, up to 100 members, each up to AMBER+STRICT (RED
 * goes to named recipients only) and not above the group's max_tlp. */
static int check_member_tlp(const json_t *m, ermes_tlp_t max_tlp, ermes_diag_t *d)
{
    const char *key;
    const json_t *v;
    ermes_tlp_t t;

    if (!m)
        return 0;
    if (!json_is_object(m) || json_object_size(m) > 100) {
        ermes_diag_set(d, "member_tlp",
                       "member_tlp is an object of up to 100 members: {\"SHORT_NAME\": \"TLP\"}");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)m, key, v)
    {
        const char *s = json_string_value(v);
        if (strlen(key) == 0 || strlen(key) > 64 || !s || ermes_tlp_parse(s, strlen(s), &t) ||
            t == ERMES_TLP_RED || t > max_tlp) {
            ermes_diag_set(d, "member_tlp",
                           "member_tlp gives a member CLEAR, GREEN, AMBER or AMBER+STRICT, "
                           "never above max_tlp (RED goes to named recipients only)");
            return ERMES_EINVAL;
        }
    }
    return 0;
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

int ermes__sharing_group_create(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                                int64_t *id, ermes_diag_t *d)
{
    ermes__sharing_group_t g;
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *cid = json_string_value(json_object_get(body, "collection_id"));
    const char *tlp = json_string_value(json_object_get(body, "max_tlp"));
    const json_t *readers = json_object_get(body, "readers");
    const json_t *writers = json_object_get(body, "writers");
    const json_t *selection = json_object_get(body, "selection");
    const json_t *members = json_object_get(body, "member_tlp");
    char uuid[37], *rtext = NULL, *wtext = NULL, *stext = NULL, *mtext = NULL;
    int rc;

    memset(&g, 0, sizeof(g));
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body is a sharing group object");
        return ERMES_EINVAL;
    }
    if (!name || !name_ok(name)) {
        ermes_diag_set(d, "name", "name: 1 to 64 letters, digits, '-', '_' or '.'");
        return ERMES_EINVAL;
    }
    if (cid && !ermes__uuid_valid(cid, strlen(cid))) {
        ermes_diag_set(d, "collection_id", "collection_id is a UUID");
        return ERMES_EINVAL;
    }
    g.max_tlp = ERMES_TLP_GREEN;
    if (json_object_get(body, "max_tlp") &&
        (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &g.max_tlp))) {
        ermes_diag_set(d, "max_tlp", "max_tlp is CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
        return ERMES_EINVAL;
    }
    g.title = json_string_value(json_object_get(body, "title"));
    g.description = json_string_value(json_object_get(body, "description"));
    if ((json_object_get(body, "title") && (!g.title || strlen(g.title) > 200)) ||
        (json_object_get(body, "description") &&
         (!g.description || strlen(g.description) > 2000))) {
        ermes_diag_set(d,
                       json_object_get(body, "title") && (!g.title || strlen(g.title) > 200)
                           ? "title"
                           : "description",
                       "title (up to 200 bytes) and description (up to 2000) are strings");
        return ERMES_EINVAL;
    }
    if ((rc = check_list(readers, "readers", d)) || (rc = check_list(writers, "writers", d)) ||
        (rc = check_selection(selection, d)) || (rc = check_member_tlp(members, g.max_tlp, d)))
        return rc;
    if (!cid) {
        ermes__uuid4(uuid);
        cid = uuid;
    }
    g.name = name;
    g.collection_id = cid;
    if (!g.title)
        g.title = name;
    rtext = readers ? json_dumps(readers, JSON_COMPACT) : NULL;
    wtext = writers ? json_dumps(writers, JSON_COMPACT) : NULL;
    stext = selection ? json_dumps(selection, JSON_COMPACT) : NULL;
    g.readers = rtext ? rtext : "[\"" ERMES__SG_STAFF "\"]";
    g.writers = wtext ? wtext : "[\"" ERMES__SG_STAFF "\"]";
    g.selection = stext ? stext : "{}";
    mtext = members ? json_dumps(members, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    g.member_tlp = mtext ? mtext : "{}";
    g.tlp = ERMES_TLP_AMBER;
    g.owner_org_id = v ? v->org_id : 0;
    rc = ermes__store_sharing_group_put(st, &g);
    if (rc == ERMES_EEXISTS)
        ermes_diag_set(d, "name", "a sharing group with this name or collection_id exists");
    if (!rc)
        *id = g.id;
    free(rtext);
    free(wtext);
    free(stext);
    free(mtext);
    return rc;
}

/* The demo's indicators: documentation addresses and names (RFC 5737, RFC 2606), shared
 * GREEN and CLEAR. */
static const char demo_bundle[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--0f3c8a52-6d7e-4b1a-9c2d-3e4f5a6b7c8d\",\"objects\":["
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--5b0e2a4c-1d3f-4e6a-8b7c-9d0e1f2a3b4c\","
    "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
    "\"name\":\"Demo C2 server\",\"description\":\"A command-and-control address of the demo "
    "community's exercise.\",\"indicator_types\":[\"malicious-activity\"],"
    "\"pattern\":\"[ipv4-addr:value = '203.0.113.199']\",\"pattern_type\":\"stix\","
    "\"valid_from\":\"2026-01-01T00:00:00Z\",\"object_marking_refs\":"
    "[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]},"
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--6c1f3b5d-2e4a-4f7b-9c8d-0e1f2a3b4c5d\","
    "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
    "\"name\":\"Demo phishing domain\",\"description\":\"Sends the exercise's phishing "
    "mail.\",\"indicator_types\":[\"malicious-activity\"],"
    "\"pattern\":\"[domain-name:value = 'phish.exercise.example' OR domain-name:value LIKE "
    "'%.phish.exercise.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:"
    "00Z\","
    "\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]},"
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--7d2a4c6e-3f5b-4a8c-8d9e-1f2a3b4c5d6e\","
    "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
    "\"name\":\"Demo malware download\",\"description\":\"Where the exercise's dropper "
    "fetches its payload.\",\"indicator_types\":[\"malicious-activity\"],"
    "\"pattern\":\"[url:value = 'http://downloads.example.net/update.exe']\","
    "\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\","
    "\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"]}"
    "]}";

static int demo_cb(void *ctx, const ermes__sharing_group_t *g)
{
    *(int64_t *)ctx = g->id;
    return 1;
}

int ermes__sharing_demo(ermes__store_t *st, const ermes__viewer_t *v, char collection_id[37],
                        size_t *indicators)
{
    ermes__stix_import_opts_t o;
    ermes__stix_import_result_t res;
    ermes_diag_t d;
    json_t *body;
    int64_t id = 0;
    int rc;

    rc = ermes__uuid5(ERMES__UUID_ERMES_NS, "sharing-group:demo-community", 28, collection_id);
    if (rc)
        return rc;
    rc = ermes__store_sharing_group_each(st, "demo-community", demo_cb, &id);
    if (rc == ERMES_ENOTFOUND) {
        body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[s,s],s:[s],s:{s:b}}", "name", "demo-community",
                         "collection_id", collection_id, "title",
                         "Demo community (up to TLP:GREEN)", "description",
                         "What the CERT shares with its constituents: indicators and "
                         "identities up to TLP:GREEN",
                         "max_tlp", "GREEN", "readers", ERMES__SG_STAFF, ERMES__SG_CONSTITUENTS,
                         "writers", ERMES__SG_STAFF, "selection", "all", 1);
        if (!body)
            return ERMES_ENOMEM;
        ermes_diag_clear(&d);
        rc = ermes__sharing_group_create(st, v, body, &id, &d);
        json_decref(body);
    }
    if (rc < 0)
        return rc;
    memset(&o, 0, sizeof(o));
    o.viewer = v;
    o.default_tlp = ERMES_TLP_GREEN;
    o.max_tlp = ERMES_TLP_GREEN;
    o.source = "local";
    o.sharing_group_id = id;
    ermes__stix_import_result_init(&res);
    ermes_diag_clear(&d);
    rc = ermes__stix_import(st, demo_bundle, sizeof(demo_bundle) - 1, &o, &res, &d);
    if (indicators)
        *indicators = res.indicators;
    if (!rc && res.failed)
        rc = ERMES_EINTERNAL;
    ermes__stix_import_result_cleanup(&res);
    return rc;
}
