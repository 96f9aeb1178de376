/* Tests of the credentials for other CSAF providers: the rows (src/store/csaf_credentials.c)
 * on SQLite and on PostgreSQL (unit_pg.test_csaf_credentials), sealed at rest and opened when
 * read; what is asked for checked (src/advisories/csaf_cred.c), fields named; and the origin
 * they are bound to (src/core/url.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advisories/csaf_cred.h"
#include "core/url.h"
#include "store/csaf_credentials.h"
#include "store/db.h"
#include "test_db.h"

static const char CERT[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
static const char KEY[] = "-----BEGIN PRIVATE KEY-----\nk3y-s3cret\n-----END PRIVATE KEY-----\n";

static void raw(ermes__store_t *st, const char *origin, int col, char *out, size_t cap)
{
    ermes__db_stmt_t *s;

    assert_int_equal(ermes__db_prepare(ermes__db_conn(st),
                                       "SELECT headers, client_key, header_names, client_cert"
                                       " FROM csaf_credentials WHERE origin = ?1",
                                       &s),
                     0);
    ermes__db_bind_text(s, 1, origin);
    assert_int_equal(ermes__db_step(s), 1);
    snprintf(out, cap, "%s", ermes__db_col_null(s, col) ? "" : ermes__db_col_text(s, col));
    ermes__db_done(s);
}

static int list_cb(void *ctx, const ermes__csaf_cred_t *c)
{
    char *buf = ctx;
    size_t n = strlen(buf);

    /* a list carries no secret */
    assert_null(c->headers);
    assert_null(c->client_key);
    snprintf(buf + n, 512 - n, "%s|%s|%d;", c->origin, c->header_names, c->client_cert != NULL);
    return 0;
}

static void test_rows(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    ermes__csaf_cred_t c, got;
    ermes_diag_t d;
    const char *h[] = {"Authorization: Bearer t0ken-s3cret", "X-Api-Key: k2"};
    char dir[64], cmd[128], buf[4096], list[512] = "";
    int created = 0;
    int64_t id;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-csafcred-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);

    ermes_diag_clear(&d);
    assert_int_equal(ermes__csaf_cred_build("https://CSAF.example/.well-known/csaf/"
                                            "provider-metadata.json",
                                            h, 2, NULL, NULL, &c, &d),
                     0);
    assert_string_equal(c.origin, "https://csaf.example:443");
    assert_string_equal(c.header_names, "Authorization,X-Api-Key");
    assert_int_equal(ermes__store_csaf_cred_put(st, &c, &created), 0);
    assert_int_equal(created, 1);
    id = c.id;
    assert_true(id > 0);
    raw(st, c.origin, 0, buf, sizeof(buf));
    assert_int_equal(strncmp(buf, "sealed:1:", 9), 0);
    assert_null(strstr(buf, "s3cret"));
    assert_int_equal(ermes__store_csaf_cred_get(st, "https://csaf.example:443", &got), 0);
    assert_string_equal(got.headers, "[\"Authorization: Bearer t0ken-s3cret\",\"X-Api-Key: k2\"]");
    assert_null(got.client_key);
    ermes__csaf_cred_clear(&got);
    ermes__csaf_cred_clear(&c);

    /* Replaced whole by origin: the same row, a key and certificate, no headers. */
    assert_int_equal(ermes__csaf_cred_build("csaf.example", NULL, 0, CERT, KEY, &c, &d), 0);
    assert_int_equal(ermes__store_csaf_cred_put(st, &c, &created), 0);
    assert_int_equal(created, 0);
    assert_int_equal(c.id, id);
    raw(st, c.origin, 1, buf, sizeof(buf));
    assert_int_equal(strncmp(buf, "sealed:1:", 9), 0);
    assert_null(strstr(buf, "s3cret"));
    raw(st, c.origin, 0, buf, sizeof(buf));
    assert_string_equal(buf, "");
    assert_int_equal(ermes__store_csaf_cred_get(st, "https://csaf.example:443", &got), 0);
    assert_null(got.headers);
    assert_string_equal(got.client_key, KEY);
    assert_string_equal(got.client_cert, CERT);
    ermes__csaf_cred_clear(&got);
    ermes__csaf_cred_clear(&c);

    assert_int_equal(ermes__csaf_cred_build("http://127.0.0.1:8443", h, 1, NULL, NULL, &c, &d), 0);
    assert_int_equal(ermes__store_csaf_cred_put(st, &c, &created), 0);
    ermes__csaf_cred_clear(&c);
    assert_int_equal(ermes__store_csaf_cred_each(st, list_cb, list), 0);
    assert_string_equal(list, "http://127.0.0.1:8443|Authorization|0;https://csaf.example:443||1;");

    assert_int_equal(ermes__store_csaf_cred_get(st, "https://other.example:443", &got),
                     ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_csaf_cred_delete(st, id, NULL), 0);
    assert_int_equal(ermes__store_csaf_cred_delete(st, id, NULL), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_csaf_cred_delete(st, 0, "http://127.0.0.1:8443"), 0);
    assert_int_equal(ermes__store_csaf_cred_delete(st, 0, "http://127.0.0.1:8443"),
                     ERMES_ENOTFOUND);
    ermes__store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void refused(const char *url, const char *const *h, size_t n, const char *cert,
                    const char *key, const char *field)
{
    ermes__csaf_cred_t c;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    assert_int_equal(ermes__csaf_cred_build(url, h, n, cert, key, &c, &d), ERMES_EINVAL);
    assert_string_equal(d.field, field);
}

static void too_big(const char *url, const char *cert, const char *key, const char *field)
{
    ermes__csaf_cred_t c;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    assert_int_equal(ermes__csaf_cred_build(url, NULL, 0, cert, key, &c, &d), ERMES_ETOOBIG);
    assert_string_equal(d.field, field);
}

static void test_build(void **state)
{
    const char *bad_name[] = {"Bad name: x"}, *crlf[] = {"X: a\r\nY: b"}, *empty[] = {": x"};
    const char *ok[] = {"A: b"}, *many[17];
    char big[5000];

    (void)state;
    for (size_t i = 0; i < 17; i++)
        many[i] = "A: b";
    refused(NULL, ok, 1, NULL, NULL, "url");
    refused("", ok, 1, NULL, NULL, "url");
    refused("ftp://x.example", ok, 1, NULL, NULL, "url");
    refused("https://x .example", ok, 1, NULL, NULL, "url");
    refused("x.example", NULL, 0, NULL, NULL, "headers");
    refused("x.example", bad_name, 1, NULL, NULL, "headers");
    refused("x.example", crlf, 1, NULL, NULL, "headers");
    refused("x.example", empty, 1, NULL, NULL, "headers");
    refused("x.example", many, 17, NULL, NULL, "headers");
    refused("x.example", NULL, 0, CERT, NULL, "client_key");
    refused("x.example", NULL, 0, NULL, KEY, "client_cert");
    refused("x.example", NULL, 0, "not pem", KEY, "client_cert");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "-----BEGIN ", 11);
    /* A key over its cap (a sealed secret's) is too big, said apart; a certificate chain of
     * that size is taken, up to ERMES_CSAF_CRED_CERT_MAX. */
    too_big("x.example", CERT, big, "client_key");
    {
        ermes__csaf_cred_t c;
        ermes_diag_t d;
        char *chain = malloc(ERMES_CSAF_CRED_CERT_MAX + 2);
        assert_non_null(chain);
        ermes_diag_clear(&d);
        assert_int_equal(ermes__csaf_cred_build("x.example", NULL, 0, big, KEY, &c, &d), 0);
        assert_int_equal(strlen(c.client_cert), sizeof(big) - 1);
        ermes__csaf_cred_clear(&c);
        memset(chain, 'a', ERMES_CSAF_CRED_CERT_MAX);
        memcpy(chain, "-----BEGIN ", 11);
        chain[ERMES_CSAF_CRED_CERT_MAX] = '\0';
        assert_int_equal(ermes__csaf_cred_build("x.example", NULL, 0, chain, KEY, &c, &d), 0);
        ermes__csaf_cred_clear(&c);
        chain[ERMES_CSAF_CRED_CERT_MAX] = 'a';
        chain[ERMES_CSAF_CRED_CERT_MAX + 1] = '\0';
        too_big("x.example", chain, KEY, "client_cert");
        free(chain);
    }
    /* A PKCS#12 file: what is not one, and one over the cap, named client_p12. */
    {
        static const unsigned char not_p12[] = {0x30, 0x03, 0x02, 0x01, 0x03};
        char *cert = NULL, *key = NULL;
        ermes_diag_t d;
        ermes_diag_clear(&d);
        assert_int_equal(ermes__csaf_cred_p12(not_p12, sizeof(not_p12), "x", &cert, &key, &d),
                         ERMES_EINVAL);
        assert_string_equal(d.field, "client_p12");
        assert_null(cert);
        assert_null(key);
        ermes_diag_clear(&d);
        assert_int_equal(
            ermes__csaf_cred_p12(not_p12, ERMES_CSAF_CRED_P12_MAX + 1, "x", &cert, &key, &d),
            ERMES_ETOOBIG);
        assert_string_equal(d.field, "client_p12");
        ermes_diag_clear(&d);
        assert_int_equal(ermes__csaf_cred_p12_base64("not base64!", NULL, &cert, &key, &d),
                         ERMES_EINVAL);
        assert_string_equal(d.field, "client_p12");
        assert_null(cert);
    }
}

static void test_origin(void **state)
{
    char o[256];

    (void)state;
    assert_int_equal(ermes__url_origin(NULL, "HTTPS://Csaf.Example/a/b?c", o, sizeof(o)), 0);
    assert_string_equal(o, "https://csaf.example:443");
    assert_int_equal(ermes__url_origin(NULL, "http://127.0.0.1:8080/x", o, sizeof(o)), 0);
    assert_string_equal(o, "http://127.0.0.1:8080");
    /* a relative Location resolved against the URL it came from */
    assert_int_equal(ermes__url_origin("https://a.example:8443/x/y", "/z", o, sizeof(o)), 0);
    assert_string_equal(o, "https://a.example:8443");
    assert_int_equal(ermes__url_origin("https://a.example/x", "//b.example/z", o, sizeof(o)), 0);
    assert_string_equal(o, "https://b.example:443");
    assert_int_equal(ermes__url_origin(NULL, "not a url", o, sizeof(o)), -1);
    assert_int_equal(ermes__url_origin(NULL, "https://a.example/", o, 10), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
