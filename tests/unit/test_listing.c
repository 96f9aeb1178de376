/* List mode of collectors: HMAC-SHA256 on RFC 4231's test vectors (what signs Shadowserver's
 * requests), the JSON listing (Shadowserver's reports/list, Interflow's files) and the Azure
 * List Blobs reader, the templates of item URLs and POST bodies, and the Azure URLs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/hmac.h"
#include "intake/collect.h"
#include "intake/listing.h"

static void hmac_case(const void *key, size_t klen, const void *msg, size_t mlen, const char *want)
{
    char hex[ERMES_HMAC_SHA256_HEX];

    assert_int_equal(ermes__hmac_sha256_hex(key, klen, msg, mlen, hex), 0);
    assert_string_equal(hex, want);
}

/* RFC 4231 section 4, HMAC-SHA-256 of test cases 1-4, 6 and 7 (5 is a truncated MAC). */
static void test_hmac_rfc4231(void **unused)
{
    unsigned char k[131], m[50];
    const char *big = "This is a test using a larger than block-size key and a larger than "
                      "block-size data. The key needs to be hashed before being used by the HMAC "
                      "algorithm.";

    (void)unused;
    memset(k, 0x0b, 20);
    hmac_case(k, 20, "Hi There", 8,
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_case("Jefe", 4, "what do ya want for nothing?", 28,
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(m, 0xdd, 50);
    hmac_case(k, 20, m, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        k[i] = (unsigned char)(i + 1);
    memset(m, 0xcd, 50);
    hmac_case(k, 25, m, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0xaa, 131);
    hmac_case(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    hmac_case(k, 131, big, strlen(big),
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_json_listing(void **unused)
{
    /* The shape of Shadowserver's reports/list answer. */
    const char *ss =
        "[{\"id\":\"ab12\",\"type\":\"scan_ftp\",\"url\":\"https://dl.shadowserver.org/"
        "ab12\",\"file\":\"2026-12-06-scan_ftp-example-geo.csv\",\"report\":\"ex\","
        "\"timestamp\":\"2026-12-06T10:00:00Z\"},{\"id\":7,\"file\":\"dir/x.csv\"},"
        "{\"id\":\"only-id\"}]";
    ermes__listing_t l;
    ermes_diag_t d;

    (void)unused;
    assert_int_equal(ermes__listing_json(ss, strlen(ss), "", "id", "file", 100, &l, &d), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].id, "ab12");
    assert_string_equal(l.items[0].file, "2026-12-06-scan_ftp-example-geo.csv");
    assert_string_equal(l.items[0].version, "");
    assert_string_equal(l.items[1].id, "7");
    assert_string_equal(l.items[1].file, "x.csv"); /* never a path */
    assert_string_equal(l.items[2].file, "only-id");
    assert_null(l.next_marker);
    ermes__listing_free(&l);
    /* A nested array; the limit on items. */
    const char *nested = "{\"data\":{\"files\":[{\"Name\":\"a.json\"},{\"Name\":\"b.json\"}]}}";
    assert_int_equal(
        ermes__listing_json(nested, strlen(nested), "data.files", "Name", NULL, 10, &l, &d), 0);
    assert_int_equal(l.n, 2);
    ermes__listing_free(&l);
    assert_int_equal(
        ermes__listing_json(nested, strlen(nested), "data.files", "Name", NULL, 1, &l, &d),
        ERMES_ERANGE);
    assert_int_equal(l.n, 0);
    /* How the API refuses a request: its message is the reason. */
    const char *err = "{\"error\":\"Invalid HMAC\"}";
    assert_int_equal(ermes__listing_json(err, strlen(err), "", "id", "file", 10, &l, &d),
                     ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "Invalid HMAC"));
    /* Not JSON, an item without id, an id with a control character, a file that is no name. */
    const char *bad[] = {"[{\"id\":",
                         "[{\"file\":\"a\"}]",
                         "[{\"id\":\"a\\nb\"}]",
                         "[{\"id\":\"a\",\"file\":\"..\"}]",
                         "[{\"id\":\"a\",\"file\":3}]",
                         "[{\"id\":\"a\\u0000b\"}]",
                         "[1]",
                         "{\"x\":1}"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        ermes_diag_clear(&d);
        assert_int_not_equal(
            ermes__listing_json(bad[k], strlen(bad[k]), "", "id", "file", 10, &l, &d), 0);
        assert_true(d.reason[0] != '\0');
        assert_int_equal(l.n, 0);
    }
}

static void test_azure_listing(void **unused)
{
    /* The shape of List Blobs (learn.microsoft.com, "List Blobs", response body). */
    const char *xml =
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        "<EnumerationResults ServiceEndpoint=\"https://acct.blob.core.windows.net/\" "
        "ContainerName=\"ctip\"><MaxResults>2</MaxResults><Blobs>"
        "<Blob><Name>2026/12/06/ctip-infected-10.json.gz</Name><Properties>"
        "<Last-Modified>Sun, 06 Dec 2026 10:00:00 GMT</Last-Modified><Etag>0x8D1</Etag>"
        "<Content-Length>512</Content-Length></Properties></Blob>"
        "<Blob><Name>a &amp; b&#x2F;c&#233;.json</Name><Properties><Etag>\"0x8D2\"</Etag>"
        "</Properties></Blob></Blobs><NextMarker>2!80!MDAw</NextMarker></EnumerationResults>";
    const char *last = "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>";
    const char *error = "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code>"
                        "<Message>Server failed to authenticate the request.</Message></Error>";
    ermes__listing_t l;
    ermes_diag_t d;

    (void)unused;
    assert_int_equal(ermes__listing_azure(xml, strlen(xml), 100, &l, &d), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].id, "2026/12/06/ctip-infected-10.json.gz");
    assert_string_equal(l.items[0].file, "ctip-infected-10.json.gz");
    assert_string_equal(l.items[0].version, "0x8D1");
    assert_string_equal(l.items[1].id, "a & b/c\xc3\xa9.json");
    assert_string_equal(l.items[1].file, "c\xc3\xa9.json");
    assert_string_equal(l.next_marker, "2!80!MDAw");
    ermes__listing_free(&l);
    assert_int_equal(ermes__listing_azure(last, strlen(last), 100, &l, &d), 0);
    assert_int_equal(l.n, 0);
    assert_null(l.next_marker);
    assert_int_equal(ermes__listing_azure(error, strlen(error), 100, &l, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "AuthenticationFailed"));
    assert_int_equal(ermes__listing_azure(xml, strlen(xml), 1, &l, &d), ERMES_ERANGE);
    const char *bad[] = {"",
                         "<EnumerationResults><Blobs><Blob><Name>a&bogus;</Name></Blob>"
                         "</Blobs></EnumerationResults>",
                         "<EnumerationResults><Blobs><Blob><Name>&#0;</Name></Blob></Blobs>"
                         "</EnumerationResults>",
                         "<EnumerationResults><Blobs><Blob></Blob></Blobs></EnumerationResults>",
                         "<EnumerationResults><Blobs><Blob><Name>x"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        ermes_diag_clear(&d);
        /* The last one is cut short: no whole <EnumerationResults>. */
        assert_int_equal(ermes__listing_azure(bad[k], strlen(bad[k]), 10, &l, &d), ERMES_EPARSE);
        assert_int_equal(l.n, 0);
        assert_true(d.reason[0] != '\0');
    }
}

static void test_templates(void **unused)
{
    /* 2026-12-07T12:00:00Z */
    const int64_t now = 1796644800000LL;
    char out[512], *body = NULL;
    char *fields[] = {"apikey=K\"1", "date={yesterday:%Y-%m-%d}:{today:%Y-%m-%d}", "id={id}"};

    (void)unused;
    assert_int_equal(ermes__collect_template("https://h/d/{id}?f={file}&d={today:%Y%m%d}", now,
                                             "a b/c", "x&y.csv", 1, out, sizeof(out)),
                     0);
    assert_string_equal(out, "https://h/d/a%20b%2Fc?f=x%26y.csv&d=20261207");
    assert_int_equal(ermes__collect_template("{id}", now, NULL, NULL, 1, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_template("{today:%c}", now, NULL, NULL, 0, out, sizeof(out)),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collect_template("abcdef", now, NULL, NULL, 0, out, 4), ERMES_ERANGE);
    assert_int_equal(ermes__collect_post_body(fields, 3, now, "r1", "f", &body), 0);
    assert_string_equal(body,
                        "{\"apikey\":\"K\\\"1\",\"date\":\"2026-12-06:2026-12-07\",\"id\":\"r1\"}");
    free(body);
    assert_int_equal(ermes__collect_azure_url("https://a.blob.core.windows.net/ctip?sv=1&sig=a%2B",
                                              NULL, NULL, out, sizeof(out)),
                     0);
    assert_string_equal(out,
                        "https://a.blob.core.windows.net/ctip?restype=container&comp=list&sv=1&"
                        "sig=a%2B");
    assert_int_equal(ermes__collect_azure_url("https://a.blob.core.windows.net/ctip/", "2!8 0",
                                              NULL, out, sizeof(out)),
                     0);
    assert_string_equal(out, "https://a.blob.core.windows.net/ctip?restype=container&comp=list&"
                             "marker=2%218%200");
    assert_int_equal(ermes__collect_azure_url("https://a.blob.core.windows.net/ctip?sv=1", NULL,
                                              "2026/12/a b.json", out, sizeof(out)),
                     0);
    assert_string_equal(out, "https://a.blob.core.windows.net/ctip/2026/12/a%20b.json?sv=1");
}

/* The keys of list mode and signing, as the config file reader checks them. */
static void test_config_keys(void **unused)
{
    ermes__config_t cfg;
    ermes_diag_t d;

    (void)unused;
    assert_int_equal(ermes__config_init(&cfg), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "url", "https://h/list", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "feed", "shadowserver", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "list", "xml", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "list", "json", &d), 0);
    assert_int_equal(ermes__collector_conf_check(&cfg, &d), ERMES_ECONFIG);
    assert_string_equal(d.field, "item_id");
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "item_id", "id", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "download_url", "ftp://h/{id}", &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "download_url", "https://h/d", &d), 0);
    assert_int_equal(ermes__collector_conf_check(&cfg, &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "post", "noequals", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "post", "apikey=k", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "sign_header", "HM AC", &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "sign_header", "HMAC2", &d), 0);
    assert_int_equal(ermes__collector_conf_check(&cfg, &d), ERMES_ECONFIG);
    assert_string_equal(d.field, "secret");
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "secret", "", &d), ERMES_EINVAL);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "secret", "x", &d), 0);
    assert_int_equal(ermes__collector_conf_set(&cfg, "s", "max_items", "0", &d), ERMES_ERANGE);
    assert_int_equal(ermes__collector_conf_check(&cfg, &d), 0);
    assert_int_equal(cfg.collectors[0].list, ERMES_COLLECT_LIST_JSON);
    assert_int_equal(cfg.collectors[0].npost, 1);
    assert_int_equal(cfg.collectors[0].max_items, 10000);
    ermes__config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),  cmocka_unit_test(test_json_listing),
        cmocka_unit_test(test_azure_listing), cmocka_unit_test(test_templates),
        cmocka_unit_test(test_config_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
