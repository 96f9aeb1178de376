/* Tests of the MISP mapping (src/sharing/misp.c): attribute types to indicator types, tlp:*
 * tags and distribution levels to TLP, UUIDv5, the reader's fates; and of the feed state
 * (src/store/misp_feeds.c) and the objects kept (src/store/misp_objects.c), on SQLite and
 * PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sharing/misp.h"
#include "store/store.h"
#include "test_db.h"

static void test_type_map(void **state)
{
    static const struct {
        const char *type, *relation;
        ermes_ind_type_t want;
        int part, exact;
    } cases[] = {
        {"ip-dst", NULL, ERMES_IND_IPV4, 0, 0},
        {"ip-src", NULL, ERMES_IND_IPV4, 0, 0},
        {"ip-dst|port", NULL, ERMES_IND_IPV4, 1, 0},
        {"ip-src|port", NULL, ERMES_IND_IPV4, 1, 0},
        {"domain", NULL, ERMES_IND_DOMAIN, 0, 0},
        {"hostname", NULL, ERMES_IND_DOMAIN, 0, 1},
        {"domain|ip", NULL, ERMES_IND_DOMAIN, 3, 0},
        {"url", NULL, ERMES_IND_URL, 0, 0},
        {"md5", NULL, ERMES_IND_MD5, 0, 0},
        {"sha1", NULL, ERMES_IND_SHA1, 0, 0},
        {"sha256", NULL, ERMES_IND_SHA256, 0, 0},
        {"sha512", NULL, ERMES_IND_SHA512, 0, 0},
        {"filename|md5", NULL, ERMES_IND_MD5, 2, 0},
        {"filename|sha1", NULL, ERMES_IND_SHA1, 2, 0},
        {"filename|sha256", NULL, ERMES_IND_SHA256, 2, 0},
        {"email-src", NULL, ERMES_IND_EMAIL, 0, 0},
        {"email-dst", NULL, ERMES_IND_EMAIL, 0, 0},
        {"email", NULL, ERMES_IND_EMAIL, 0, 0},
        {"ja3-fingerprint-md5", NULL, ERMES_IND_JA3, 0, 0},
        {"text", "ja4-fingerprint", ERMES_IND_JA4, 0, 0},
        {"text", NULL, ERMES_IND_NONE, 0, 0},
        {"filename", "filename", ERMES_IND_NONE, 0, 0},
        {"AS", NULL, ERMES_IND_NONE, 0, 0},
        {"link", NULL, ERMES_IND_NONE, 0, 0},
        {"IP-DST", NULL, ERMES_IND_NONE, 0, 0}, /* MISP's types are lower case */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int part = -1, exact = -1;
        assert_int_equal(ermes__misp_type_map(cases[i].type, cases[i].relation, &part, &exact),
                         cases[i].want);
        if (cases[i].want != ERMES_IND_NONE) {
            assert_int_equal(part, cases[i].part);
            assert_int_equal(exact, cases[i].exact);
        }
    }
}

static void test_tag_and_distribution_tlp(void **state)
{
    ermes_tlp_t t;

    (void)state;
    assert_true(ermes__misp_tag_tlp("tlp:clear", &t) && t == ERMES_TLP_CLEAR);
    assert_true(ermes__misp_tag_tlp("tlp:white", &t) && t == ERMES_TLP_CLEAR);
    assert_true(ermes__misp_tag_tlp("TLP:WHITE", &t) && t == ERMES_TLP_CLEAR);
    assert_true(ermes__misp_tag_tlp("tlp:green", &t) && t == ERMES_TLP_GREEN);
    assert_true(ermes__misp_tag_tlp("tlp:amber", &t) && t == ERMES_TLP_AMBER);
    assert_true(ermes__misp_tag_tlp("tlp:amber+strict", &t) && t == ERMES_TLP_AMBER_STRICT);
    assert_true(ermes__misp_tag_tlp("tlp:red", &t) && t == ERMES_TLP_RED);
    assert_false(ermes__misp_tag_tlp("tlp:ex:chr", &t));
    assert_false(ermes__misp_tag_tlp("tlp:unclear", &t));
    assert_false(ermes__misp_tag_tlp("tlp:amber ", &t));
    assert_false(ermes__misp_tag_tlp("pap:red", &t));
    assert_false(ermes__misp_tag_tlp(NULL, &t));
    assert_int_equal(ermes__misp_distribution_tlp(0), ERMES_TLP_RED);
    assert_int_equal(ermes__misp_distribution_tlp(1), ERMES_TLP_AMBER);
    assert_int_equal(ermes__misp_distribution_tlp(2), ERMES_TLP_GREEN);
    assert_int_equal(ermes__misp_distribution_tlp(3), ERMES_TLP_CLEAR);
    assert_int_equal(ermes__misp_distribution_tlp(4), ERMES_TLP_AMBER);
    assert_int_equal(ermes__misp_distribution_tlp(5), -1);
    assert_int_equal(ermes__misp_distribution_tlp(-1), -1);
}

static void test_uuid5(void **state)
{
    char a[37], b[37], c[37];

    (void)state;
    ermes__misp_uuid5("ipv4|192.0.2.1|0", a);
    ermes__misp_uuid5("ipv4|192.0.2.1|0", b);
    ermes__misp_uuid5("ipv4|192.0.2.2|0", c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '5');
    assert_true(strchr("89ab", a[19]) != NULL);
}

static const char *find_fate(const ermes__misp_import_t *imp, const char *uuid, int *fate)
{
    for (size_t k = 0; k < imp->nattrs; k++)
        if (!strcmp(imp->attrs[k].uuid, uuid)) {
            *fate = (int)imp->attrs[k].fate;
            return imp->attrs[k].reason;
        }
    return NULL;
}

static void test_read_fates_and_tlp(void **state)
{
    static const char ev[] =
        "{\"Event\":{\"uuid\":\"5F1D8C2E-3B4A-4C5D-8E9F-0A1B2C3D4E5F\",\"distribution\":\"2\","
        "\"Tag\":[{\"name\":\"tlp:amber\"},{\"name\":\"a,b\"}],"
        "\"Attribute\":["
        "{\"uuid\":\"a1\",\"type\":\"ip-dst\",\"value\":\"192.0.2.1\",\"to_ids\":true},"
        "{\"uuid\":\"a2\",\"type\":\"domain|ip\",\"value\":\"x.example|192.0.2.2\","
        "\"Tag\":[{\"name\":\"tlp:red\"}]},"
        "{\"uuid\":\"a3\",\"type\":\"ip-dst\",\"value\":\"x.example\"},"
        "{\"uuid\":\"a4\",\"type\":\"vulnerability\",\"value\":\"CVE-2024-1\"},"
        "{\"uuid\":\"a5\",\"type\":\"md5\",\"value\":\"00\",\"to_ids\":0},"
        "{\"uuid\":\"a6\",\"type\":\"filename|md5\",\"value\":\"nobar\"},"
        "{\"uuid\":\"a7\",\"type\":\"url\",\"value\":\"http://x.example/\","
        "\"first_seen\":\"yesterday\"}]}}";
    ermes_indicator_set_t *set;
    ermes__misp_import_t imp;
    ermes_diag_t d;
    int fate = -1;

    (void)state;
    memset(&imp, 0, sizeof(imp));
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    assert_int_equal(ermes__misp_read(ev, sizeof(ev) - 1, set, &imp, &d), 0);
    assert_int_equal(imp.events, 1);
    assert_int_equal(imp.nattrs, 7);
    assert_int_equal(imp.indicators, 2);
    assert_int_equal(imp.skipped, 2);
    assert_int_equal(imp.invalid, 3);
    assert_int_equal(ermes_indicator_set_count(set), 3);
    assert_non_null(find_fate(&imp, "a1", &fate));
    assert_int_equal(fate, ERMES_MISP_INDICATOR);
    assert_string_equal(imp.attrs[0].event_uuid, "5F1D8C2E-3B4A-4C5D-8E9F-0A1B2C3D4E5F");
    assert_int_equal(imp.attrs[1].nind, 2);
    assert_non_null(strstr(find_fate(&imp, "a3", &fate), "not an IP"));
    assert_int_equal(fate, ERMES_MISP_INVALID);
    assert_non_null(strstr(find_fate(&imp, "a4", &fate), "vulnerability"));
    assert_int_equal(fate, ERMES_MISP_SKIPPED);
    assert_non_null(strstr(find_fate(&imp, "a5", &fate), "to_ids"));
    assert_non_null(strstr(find_fate(&imp, "a6", &fate), "two parts"));
    assert_non_null(strstr(find_fate(&imp, "a7", &fate), "first_seen"));
    {
        ermes_matcher_t *m;
        ermes_matcher_indicator_t mi;
        assert_int_equal(ermes_matcher_build(set, 0, &m), 0);
        assert_int_equal(ermes_matcher_indicator(m, 0, &mi), 0);
        assert_int_equal(mi.tlp, ERMES_TLP_AMBER); /* the event's tag over its distribution */
        assert_string_equal(mi.source, "misp:5f1d8c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f");
        assert_string_equal(mi.tags, "a;b"); /* a comma would split the tag */
        assert_int_equal(ermes_matcher_indicator(m, 1, &mi), 0);
        assert_int_equal(mi.tlp, ERMES_TLP_RED); /* the attribute's tag wins */
        ermes_matcher_release(m);
    }
    ermes__misp_import_cleanup(&imp);
    ermes_indicator_set_free(set);
}

static void test_read_refuses(void **state)
{
    static const char *const bad[] = {"",         "{", "42", "{\"a\":1}", "{\"Attribute\":[]}",
                                      "\"Event\""};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ermes_indicator_set_t *set;
        ermes__misp_import_t imp;
        ermes_diag_t d;
        memset(&imp, 0, sizeof(imp));
        ermes_diag_clear(&d);
        assert_int_equal(ermes_indicator_set_new(&set), 0);
        assert_int_equal(ermes__misp_read(bad[i], strlen(bad[i]), set, &imp, &d), ERMES_EPARSE);
        assert_true(d.reason[0] != '\0');
        ermes__misp_import_cleanup(&imp);
        ermes_indicator_set_free(set);
    }
}

/* A long value of multi-byte characters, cut for the report: still listed, cut whole. */
static void test_report_lists_cut_values(void **state)
{
    char ev[2048];
    char val[800];
    ermes_indicator_set_t *set;
    ermes__misp_import_t imp;
    ermes_diag_t d;
    json_t *j, *a;
    size_t n = 0;

    (void)state;
    for (int i = 0; i < 250; i++) {
        memcpy(val + n, "\xc3\xa9", 2); /* U+00E9 */
        n += 2;
    }
    val[n] = '\0';
    snprintf(ev, sizeof(ev),
             "{\"uuid\":\"5f1d8c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f\",\"info\":\"x\","
             "\"Attribute\":[{\"uuid\":\"a1\",\"type\":\"t\xc3\xa9xt-%s\",\"value\":\"a%s\"}]}",
             val, val);
    memset(&imp, 0, sizeof(imp));
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    assert_int_equal(ermes__misp_read(ev, strlen(ev), set, &imp, &d), 0);
    assert_int_equal(imp.skipped, 1);
    j = ermes__misp_import_to_json(&imp);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "attributes")), 1);
    a = json_array_get(json_object_get(j, "attributes"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "fate")), "skipped");
    assert_non_null(json_string_value(json_object_get(a, "value")));
    assert_non_null(json_string_value(json_object_get(a, "reason")));
    json_decref(j);
    ermes__misp_import_cleanup(&imp);
    ermes_indicator_set_free(set);
}

/* Tags whose JSON form is long (escaped control characters, quotes): those that would not fit
 * the stored array are left out, so the store takes the indicator and the report's ids stay
 * in step with the attributes. */
static void test_long_tags_fit(void **state)
{
    char dir[64];
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__viewer_t admin = {0, "admin", ERMES_ROLE_ADMIN, 0, "test"};
    ermes__store_t *st;
    ermes__misp_import_t imp;
    ermes_diag_t d;
    json_t *ev = json_pack("{s:s,s:s,s:[],s:[]}", "uuid", "5f1d8c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f",
                           "info", "tags", "Tag", "Attribute");
    char tag[64], *text;

    (void)state;
    assert_non_null(ev);
    for (int i = 0; i < 200; i++) {
        memset(tag, i % 2 ? '"' : 1, 40);
        snprintf(tag + 40, sizeof(tag) - 40, "%d", i);
        json_array_append_new(json_object_get(ev, "Tag"), json_pack("{s:s}", "name", tag));
    }
    for (int i = 0; i < 3; i++) {
        char v[32];
        snprintf(v, sizeof(v), "t%d.example", i);
        json_array_append_new(json_object_get(ev, "Attribute"),
                              json_pack("{s:s,s:s,s:s}", "uuid", v, "type", "domain", "value", v));
    }
    text = json_dumps(ev, JSON_COMPACT);
    assert_non_null(text);
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-misp-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    memset(&imp, 0, sizeof(imp));
    assert_int_equal(ermes__misp_import(st, &admin, text, strlen(text), NULL, 0, &imp, &d), 0);
    assert_int_equal(imp.store.rejected, 0);
    assert_int_equal(imp.store.added, 3);
    for (size_t k = 0; k < 3; k++)
        assert_int_equal(imp.attrs[k].id[0], imp.store.ids[k]);
    ermes__misp_import_cleanup(&imp);
    ermes__store_close(st);
    free(text);
    json_decref(ev);
    {
        char path[512];
        DIR *dd = opendir(dir);
        struct dirent *e;
        while (dd && (e = readdir(dd)))
            if (e->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                unlink(path);
            }
        if (dd)
            closedir(dd);
        rmdir(dir);
    }
}

static void test_feed_state(void **state)
{
    char dir[64];
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    int64_t ts = -1;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-misp-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    assert_int_equal(ermes__store_misp_feed_seen(st, "f", "u1", &ts), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_misp_feed_mark(st, "f", "u1", 100, 0), 0);
    assert_int_equal(ermes__store_misp_feed_seen(st, "f", "u1", &ts), 0);
    assert_int_equal(ts, 100);
    assert_int_equal(ermes__store_misp_feed_mark(st, "f", "u1", 200, 0), 0);
    assert_int_equal(ermes__store_misp_feed_seen(st, "f", "u1", &ts), 0);
    assert_int_equal(ts, 200);
    assert_int_equal(ermes__store_misp_feed_seen(st, "g", "u1", &ts), ERMES_ENOTFOUND);
    ermes__store_close(st);
    {
        DIR *dd = opendir(dir);
        struct dirent *e;
        char path[512];
        while (dd && (e = readdir(dd)))
            if (e->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                unlink(path);
            }
        if (dd)
            closedir(dd);
        rmdir(dir);
    }
}

static char ref_value[64]; /* the last reference's indicator value (borrowed in the call) */

static int count_ref(void *ctx, const ermes__misp_ref_t *r)
{
    ermes__misp_ref_t *last = ctx;

    *last = *r;
    snprintf(ref_value, sizeof(ref_value), "%s", r->ind_value ? r->ind_value : "(none)");
    last->ind_value = NULL;
    last[1].comment[0]++; /* the count, in the second slot */
    return 0;
}

/* ObjectReference entries kept per event (src/store/misp_refs.c): replaced whole by the next
 * import of the event, read per source object; inside a caller's transaction too. */
static void test_object_references(void **state)
{
    char dir[64];
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    ermes__misp_ref_t refs[2], got[2];

    (void)state;
    memset(refs, 0, sizeof(refs));
    snprintf(refs[0].uuid, sizeof(refs[0].uuid), "e1e1e1e1-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    snprintf(refs[0].object_uuid, sizeof(refs[0].object_uuid),
             "a1a1a1a1-1111-4111-8111-111111111111");
    snprintf(refs[0].referenced_uuid, sizeof(refs[0].referenced_uuid),
             "b2b2b2b2-2222-4222-8222-222222222222");
    snprintf(refs[0].relationship_type, sizeof(refs[0].relationship_type), "communicates-with");
    snprintf(refs[0].comment, sizeof(refs[0].comment), "beacon");
    /* A reference to an attribute that became an indicator keeps that indicator (migration
     * 65); the other none. */
    snprintf(refs[0].ind_type, sizeof(refs[0].ind_type), "ipv4");
    refs[0].ind_value = "192.0.2.10";
    refs[0].ind_exact = 0;
    refs[1] = refs[0];
    refs[1].ind_type[0] = '\0';
    refs[1].ind_value = NULL;
    snprintf(refs[1].uuid, sizeof(refs[1].uuid), "e2e2e2e2-bbbb-4bbb-8bbb-bbbbbbbbbbbb");
    snprintf(refs[1].relationship_type, sizeof(refs[1].relationship_type), "drops");
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-misp-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    assert_int_equal(ermes__store_misp_refs_replace(st, "ev1", refs, 2, "GREEN", 0), 0);
    memset(got, 0, sizeof(got));
    assert_int_equal(ermes__store_misp_refs_of(st, refs[0].object_uuid, count_ref, got), 0);
    assert_int_equal(got[1].comment[0], 2);
    /* Sorted by referenced uuid, then relationship: "drops" last. */
    assert_string_equal(got[0].relationship_type, "drops");
    assert_string_equal(got[0].uuid, refs[1].uuid);
    assert_string_equal(got[0].referenced_uuid, refs[0].referenced_uuid);
    assert_string_equal(ref_value, "(none)");
    /* The event again with one reference: the other goes. In the caller's transaction. */
    assert_int_equal(ermes__store_begin(st), 0);
    assert_int_equal(ermes__store_misp_refs_replace(st, "ev1", refs, 1, "GREEN", 0), 0);
    assert_int_equal(ermes__store_commit(st), 0);
    memset(got, 0, sizeof(got));
    assert_int_equal(ermes__store_misp_refs_of(st, refs[0].object_uuid, count_ref, got), 0);
    assert_int_equal(got[1].comment[0], 1);
    assert_string_equal(got[0].comment, "beacon");
    assert_string_equal(got[0].ind_type, "ipv4");
    assert_string_equal(ref_value, "192.0.2.10");
    assert_int_equal(got[0].ind_exact, 0);
    assert_int_equal(got[0].ind_id, 0); /* no such indicator stored */
    /* Another event's import leaves these alone; none for an unknown object. */
    assert_int_equal(ermes__store_misp_refs_replace(st, "ev2", NULL, 0, "AMBER", 0), 0);
    memset(got, 0, sizeof(got));
    assert_int_equal(ermes__store_misp_refs_of(st, refs[0].object_uuid, count_ref, got), 0);
    assert_int_equal(got[1].comment[0], 1);
    memset(got, 0, sizeof(got));
    assert_int_equal(ermes__store_misp_refs_of(st, refs[0].referenced_uuid, count_ref, got), 0);
    assert_int_equal(got[1].comment[0], 0);
    ermes__store_close(st);
    {
        DIR *dd = opendir(dir);
        struct dirent *e;
        char path[512];
        while (dd && (e = readdir(dd)))
            if (e->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                unlink(path);
            }
        if (dd)
            closedir(dd);
        rmdir(dir);
    }
}

static int count_object_cb(void *ctx, const ermes__misp_object_t *o)
{
    char *names = ctx;
    size_t n = strlen(names);

    snprintf(names + n, 200 - n, "%s%s/%s/%lld", n ? "," : "", o->name, o->meta_category,
             (long long)o->misp_timestamp);
    return 0;
}

static int count_attr_cb(void *ctx, const ermes__misp_object_attr_t *a)
{
    char *rows = ctx;
    size_t n = strlen(rows);

    snprintf(rows + n, 400 - n, "%s%.8s:%s:%s:%s", n ? "," : "", a->object_uuid, a->relation,
             a->type, a->indicator_id ? "ind" : a->value);
    return 0;
}

static int count_member_cb(void *ctx, int64_t id)
{
    (void)id;
    ++*(int *)ctx;
    return 0;
}

static int import_text(ermes__store_t *st, const char *json)
{
    ermes__viewer_t staff = {0, "test", ERMES_ROLE_ADMIN, 0, "test"};
    ermes__misp_import_t imp;
    ermes_diag_t d;
    int rc;

    memset(&imp, 0, sizeof(imp));
    ermes_diag_clear(&d);
    rc = ermes__misp_import(st, &staff, json, strlen(json), NULL, 0, &imp, &d);
    ermes__misp_import_cleanup(&imp);
    return rc;
}

/* MISP objects in their tables (src/store/misp_objects.c, migration 72): an import keeps each
 * object, its members (one indicator two objects share is a member of both) and its attributes
 * that are no indicators; importing the event again replaces them; an indicator another event
 * takes is no longer a member. */
static void test_objects_store(void **state)
{
    static const char ev1[] =
        "{\"Event\": {\"uuid\": \"0e0e0e0e-0000-4000-8000-000000000001\", \"info\": \"o\","
        " \"Attribute\": [{\"type\": \"domain\", \"value\": \"plain.example\"}],"
        " \"Object\": [{\"uuid\": \"A0000000-0000-4000-8000-000000000001\", \"name\": \"ip-port\","
        " \"meta-category\": \"network\", \"timestamp\": \"1764547200\", \"Attribute\": ["
        "  {\"type\": \"domain\", \"value\": \"c2.example\", \"object_relation\": \"domain\"},"
        "  {\"type\": \"port\", \"value\": \"8443\", \"object_relation\": \"dst-port\"}]},"
        " {\"uuid\": \"b0000000-0000-4000-8000-000000000002\", \"name\": \"url\","
        " \"meta-category\": \"network\", \"Attribute\": ["
        "  {\"type\": \"domain\", \"value\": \"C2.example\", \"object_relation\": \"domain\"}]}]}}";
    static const char ev1_again[] =
        "{\"Event\": {\"uuid\": \"0e0e0e0e-0000-4000-8000-000000000001\", \"info\": \"o\","
        " \"Object\": [{\"uuid\": \"a0000000-0000-4000-8000-000000000001\", \"name\": \"ip-port\","
        " \"meta-category\": \"network\", \"Attribute\": ["
        "  {\"type\": \"domain\", \"value\": \"c2.example\", \"object_relation\": \"domain\"}]}]}}";
    static const char ev2[] = "{\"Event\": {\"uuid\": \"0e0e0e0e-0000-4000-8000-000000000002\","
                              " \"info\": \"p\", \"Attribute\": [{\"type\": \"domain\","
                              " \"value\": \"c2.example\"}]}}";
    const char *ev = "0e0e0e0e-0000-4000-8000-000000000001";
    const char *a = "a0000000-0000-4000-8000-000000000001";
    const char *b = "b0000000-0000-4000-8000-000000000002";
    char dir[64], names[200], rows[400];
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    int n;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-misp-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    assert_int_equal(import_text(st, ev1), 0);
    names[0] = '\0';
    assert_int_equal(ermes__store_misp_object_each(st, ev, count_object_cb, names), 0);
    assert_string_equal(names, "ip-port/network/1764547200,url/network/-1");
    rows[0] = '\0';
    assert_int_equal(ermes__store_misp_object_attr_each(st, ev, count_attr_cb, rows), 0);
    /* The shared domain: a member of both objects, in the event's order. */
    assert_string_equal(rows, "a0000000:domain:domain:ind,a0000000:dst-port:port:8443,"
                              "b0000000:domain:domain:ind");
    n = 0;
    assert_int_equal(ermes__store_misp_object_members(st, b, count_member_cb, &n), 0);
    assert_int_equal(n, 1);
    names[0] = '\0';
    assert_int_equal(ermes__store_misp_objects_changed(st, 0, count_object_cb, names), 0);
    assert_string_equal(names, "ip-port/network/1764547200,url/network/-1");
    names[0] = '\0';
    assert_int_equal(ermes__store_misp_objects_changed(st, INT64_MAX / 2, count_object_cb, names),
                     0);
    assert_string_equal(names, "");
    /* The event again, without the url object nor the port: they go. */
    assert_int_equal(import_text(st, ev1_again), 0);
    names[0] = '\0';
    assert_int_equal(ermes__store_misp_object_each(st, ev, count_object_cb, names), 0);
    assert_string_equal(names, "ip-port/network/-1");
    rows[0] = '\0';
    assert_int_equal(ermes__store_misp_object_attr_each(st, ev, count_attr_cb, rows), 0);
    assert_string_equal(rows, "a0000000:domain:domain:ind");
    n = 0;
    assert_int_equal(ermes__store_misp_object_members(st, b, count_member_cb, &n), 0);
    assert_int_equal(n, 0);
    /* Another event stores the same value: the indicator is that event's now, in no object of
     * the first. */
    assert_int_equal(import_text(st, ev2), 0);
    n = 0;
    assert_int_equal(ermes__store_misp_object_members(st, a, count_member_cb, &n), 0);
    assert_int_equal(n, 0);
    rows[0] = '\0';
    assert_int_equal(ermes__store_misp_object_attr_each(st, ev, count_attr_cb, rows), 0);
    assert_string_equal(rows, "");
    ermes__store_close(st);
    {
        DIR *dd = opendir(dir);
        struct dirent *e;
        char path[512];
        while (dd && (e = readdir(dd)))
            if (e->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                unlink(path);
            }
        if (dd)
            closedir(dd);
        rmdir(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_map),
        cmocka_unit_test(test_tag_and_distribution_tlp),
        cmocka_unit_test(test_uuid5),
        cmocka_unit_test(test_read_fates_and_tlp),
        cmocka_unit_test(test_read_refuses),
        cmocka_unit_test(test_report_lists_cut_values),
        cmocka_unit_test(test_long_tags_fit),
        cmocka_unit_test(test_feed_state),
        cmocka_unit_test(test_object_references),
        cmocka_unit_test(test_objects_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
