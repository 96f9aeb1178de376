/* Tests of the federation's peers in the store (src/store/peers.c) and of what the federation
 * reads from outside (src/sharing/taxii_client.c, federation.c): configuration kept, state
 * written apart from it, a new collection starting over, credentials never in the JSON, and
 * the envelope and status readers. Run on both backends (unit_pg). */
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

#include "sharing/federation.h"
#include "sharing/taxii_client.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-peers-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char path[512];
    DIR *d;
    struct dirent *e;

    ermes__store_close(f->st);
    if ((d = opendir(f->dir))) {
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

typedef struct got {
    int n;
    char json[4096];
    int64_t id, pulled, failures;
    char added_after[40], collection[64], credentials[128];
} got_t;

static int got_cb(void *ctx, const ermes__peer_t *p)
{
    got_t *g = ctx;
    json_t *j = ermes__peer_to_json(p);
    char *t = json_dumps(j, JSON_COMPACT);

    g->n++;
    g->id = p->id;
    g->pulled = p->pulled;
    g->failures = p->failures;
    snprintf(g->added_after, sizeof(g->added_after), "%s", p->added_after);
    snprintf(g->collection, sizeof(g->collection), "%s", p->collection_id);
    snprintf(g->credentials, sizeof(g->credentials), "%s", p->credentials ? p->credentials : "");
    snprintf(g->json, sizeof(g->json), "%s", t ? t : "");
    free(t);
    json_decref(j);
    return 0;
}

static json_t *body(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

/* The credentials column of peer name as the database holds it, into out. */
static void stored_credentials(ermes__store_t *st, const char *name, char *out, size_t cap)
{
    ermes__db_stmt_t *s;

    assert_int_equal(
        ermes__db_prepare(ermes__db_conn(st), "SELECT credentials FROM peers WHERE name = ?1", &s),
        0);
    ermes__db_bind_text(s, 1, name);
    assert_int_equal(ermes__db_step(s), 1);
    snprintf(out, cap, "%s", ermes__db_col_text(s, 0));
    ermes__db_done(s);
}

/* Credentials are sealed in the row and opened when read; a row in plain text (an older
 * ermes) is sealed by ermes__store_peers_seal, and reads the same. */
static void test_credentials_sealed(void **state)
{
    fixture_t *f = *state;
    ermes__viewer_t admin = {0, "admin", ERMES_ROLE_ADMIN, 0, "test"};
    ermes_diag_t d;
    ermes__db_stmt_t *s;
    char raw[1024];
    got_t g;
    json_t *b;
    int64_t id = 0;

    b = body("{\"name\":\"cert-c\",\"url\":\"https://c.example/taxii2/ermes/\","
             "\"collection\":\"c1\",\"credentials\":\"USER:pa55-word\",\"auth\":\"basic\"}");
    ermes_diag_clear(&d);
    assert_int_equal(ermes__peer_create(f->st, &admin, b, &id, &d), 0);
    json_decref(b);
    stored_credentials(f->st, "cert-c", raw, sizeof(raw));
    assert_int_equal(strncmp(raw, "sealed:1:", 9), 0);
    assert_null(strstr(raw, "pa55-word"));
    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__store_peer_each(f->st, "cert-c", got_cb, &g), 0);
    assert_string_equal(g.credentials, "USER:pa55-word");

    assert_int_equal(ermes__db_prepare(ermes__db_conn(f->st),
                                       "UPDATE peers SET credentials = 'legacy-token'"
                                       " WHERE name = 'cert-c'",
                                       &s),
                     0);
    assert_true(ermes__db_step(s) >= 0);
    ermes__db_done(s);
    stored_credentials(f->st, "cert-c", raw, sizeof(raw));
    assert_string_equal(raw, "legacy-token");
    assert_int_equal(ermes__store_peers_seal(f->st), 0);
    stored_credentials(f->st, "cert-c", raw, sizeof(raw));
    assert_int_equal(strncmp(raw, "sealed:1:", 9), 0);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__store_peer_each(f->st, "cert-c", got_cb, &g), 0);
    assert_string_equal(g.credentials, "legacy-token");
    /* Nothing left to seal: nothing changes. */
    assert_int_equal(ermes__store_peers_seal(f->st), 0);
}

static void test_peer_crud_and_state(void **state)
{
    fixture_t *f = *state;
    ermes__viewer_t admin = {0, "admin", ERMES_ROLE_ADMIN, 0, "test"};
    ermes__peer_t p;
    ermes_diag_t d;
    got_t g;
    json_t *b;
    int64_t id = 0;

    b = body("{\"name\":\"cert-b\",\"url\":\"https://b.example/taxii2/ermes/\","
             "\"collection\":\"c1\",\"credentials\":\"s3cret-token\",\"interval\":60}");
    ermes_diag_clear(&d);
    assert_int_equal(ermes__peer_create(f->st, &admin, b, &id, &d), 0);
    assert_true(id > 0);
    /* The same name again: refused, naming the field. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__peer_create(f->st, &admin, b, &id, &d), ERMES_EEXISTS);
    assert_string_equal(d.field, "name");
    json_decref(b);

    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__store_peer_each(f->st, "cert-b", got_cb, &g), 0);
    assert_int_equal(g.n, 1);
    assert_null(strstr(g.json, "s3cret-token"));
    assert_non_null(strstr(g.json, "\"credentials_set\":true"));
    assert_non_null(strstr(g.json, "\"auth\":\"token\""));

    /* State apart from configuration. */
    memset(&p, 0, sizeof(p));
    p.id = g.id;
    p.added_after = "2026-12-07T01:00:00.000Z";
    p.pulled = 42;
    p.failures = 3;
    p.last_error = "pull: HTTP 401";
    assert_int_equal(ermes__store_peer_state(f->st, &p), 0);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__store_peer_each(f->st, "cert-b", got_cb, &g), 0);
    assert_int_equal(g.pulled, 42);
    assert_string_equal(g.added_after, "2026-12-07T01:00:00.000Z");

    /* A change of interval keeps the cursor (and clears the back-off); a new collection
     * starts over. */
    b = body("{\"interval\":120}");
    assert_int_equal(ermes__peer_update(f->st, "cert-b", b, &d), 0);
    json_decref(b);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__store_peer_each(f->st, "cert-b", got_cb, &g), 0);
    assert_string_equal(g.added_after, "2026-12-07T01:00:00.000Z");
    assert_int_equal(g.failures, 0);
    b = body("{\"collection\":\"c2\"}");
    assert_int_equal(ermes__peer_update(f->st, "cert-b", b, &d), 0);
    json_decref(b);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__store_peer_each(f->st, "cert-b", got_cb, &g), 0);
    assert_string_equal(g.collection, "c2");
    assert_string_equal(g.added_after, "");

    /* Push needs a sharing group that exists. */
    b = body("{\"push\":true,\"share_group\":\"nope\"}");
    ermes_diag_clear(&d);
    assert_int_equal(ermes__peer_update(f->st, "cert-b", b, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "share_group");
    json_decref(b);

    assert_int_equal(ermes__store_peer_delete(f->st, g.id), 0);
    assert_int_equal(ermes__store_peer_delete(f->st, g.id), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_peer_each(f->st, "cert-b", got_cb, &g), ERMES_ENOTFOUND);
}

static void test_envelope_and_status(void **state)
{
    const char *env = "{\"more\":true,\"next\":\"12-34\",\"objects\":[{\"type\":\"note\"}]}";
    char next[16];
    json_t *objects = NULL;
    long s, fl, p;
    int more = 0, complete = 0;
    ermes_diag_t d;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(
        ermes__taxii_envelope_read(env, strlen(env), &objects, &more, next, sizeof(next), &d), 0);
    assert_int_equal(more, 1);
    assert_string_equal(next, "12-34");
    assert_int_equal(json_array_size(objects), 1);
    json_decref(objects);
    /* An empty envelope is no objects. */
    assert_int_equal(ermes__taxii_envelope_read("{}", 2, &objects, &more, next, sizeof(next), &d),
                     0);
    assert_int_equal(json_array_size(objects), 0);
    assert_int_equal(more, 0);
    json_decref(objects);
    /* A next too long is refused, not cut. */
    assert_int_equal(ermes__taxii_envelope_read(env, strlen(env), &objects, &more, next, 4, &d),
                     ERMES_EPARSE);
    assert_null(objects);
    assert_int_equal(
        ermes__taxii_envelope_read("{\"more\":1}", 10, &objects, &more, next, sizeof(next), &d),
        ERMES_EPARSE);
    assert_int_equal(ermes__taxii_status_read("{\"status\":\"pending\",\"success_count\":2}", 38,
                                              &complete, &s, &fl, &p, &d),
                     0);
    assert_int_equal(complete, 0);
    assert_int_equal(s, 2);
    assert_int_equal(ermes__taxii_status_read("{\"status\":\"x\"}", 14, &complete, &s, &fl, &p, &d),
                     ERMES_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_peer_crud_and_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_sealed, setup, teardown),
        cmocka_unit_test(test_envelope_and_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
