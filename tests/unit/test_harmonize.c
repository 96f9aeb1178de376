/* Unit tests for src/model/harmonize.c: every field type's accepted, normalised and rejected
 * values, the RSIT type table with IntelMQ's aliases, and the time converters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ermes/event.h"
#include "model/harmonize.h"

/* Harmonizes in as type and checks the result is want. */
#define OK(type, in, want) check_ok(type, in, want, __LINE__)
/* Checks in is rejected with a reason. */
#define BAD(type, in) check_bad(type, in, __LINE__)

static void check_ok(ermes_ftype_t type, const char *in, const char *want, int line)
{
    char buf[1024];
    size_t n = 12345;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_harmonize(type, in, strlen(in), buf, sizeof(buf), &n, &d);
    if (rc != 0 || strcmp(buf, want) != 0 || n != strlen(want)) {
        print_error("line %d: type %d \"%s\": rc %d, got \"%s\", want \"%s\" (%s)\n", line,
                    (int)type, in, rc, rc ? "" : buf, want, d.reason);
        fail();
    }
}

static void check_bad(ermes_ftype_t type, const char *in, int line)
{
    char buf[1024];
    size_t n = 12345;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_harmonize(type, in, strlen(in), buf, sizeof(buf), &n, &d);
    if (rc != ERMES_EINVAL || d.reason[0] == '\0' || n != 12345) {
        print_error("line %d: type %d \"%s\": rc %d, want EINVAL with a reason (got \"%s\")\n",
                    line, (int)type, in, rc, rc ? d.reason : buf);
        fail();
    }
}

static void test_string(void **state)
{
    (void)state;
    OK(ERMES_FT_STRING, "abc", "abc");
    OK(ERMES_FT_STRING, "  a b  ", "a b");
    OK(ERMES_FT_STRING, "\t\nx\r\n", "x");
    OK(ERMES_FT_STRING, "Grüße", "Grüße");
    OK(ERMES_FT_STRING, "日本語", "日本語");
    OK(ERMES_FT_STRING, "emoji \xf0\x9f\x98\x80", "emoji \xf0\x9f\x98\x80");
    BAD(ERMES_FT_STRING, "");
    BAD(ERMES_FT_STRING, "   ");
    BAD(ERMES_FT_STRING, "\xff");
    BAD(ERMES_FT_STRING, "a\xc3");            /* truncated sequence */
    BAD(ERMES_FT_STRING, "\xc0\xaf");         /* overlong */
    BAD(ERMES_FT_STRING, "\xed\xa0\x80");     /* surrogate */
    BAD(ERMES_FT_STRING, "\xf4\x90\x80\x80"); /* beyond U+10FFFF */
    OK(ERMES_FT_LOWER, " MiXeD Case ", "mixed case");
    OK(ERMES_FT_LOWER, "ÄBC", "Äbc"); /* ASCII only */
    OK(ERMES_FT_UPPER, "d41d8cd98f00b204", "D41D8CD98F00B204");
    BAD(ERMES_FT_LOWER, " ");
    BAD(ERMES_FT_UPPER, "");
}

static void test_nul_rejected(void **state)
{
    char buf[64];
    size_t n;
    ermes_diag_t d;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes_harmonize(ERMES_FT_STRING, "a\0b", 3, buf, sizeof(buf), &n, &d),
                     ERMES_EINVAL);
    assert_non_null(strstr(d.reason, "NUL"));
}

static void test_integer(void **state)
{
    (void)state;
    OK(ERMES_FT_INTEGER, "0", "0");
    OK(ERMES_FT_INTEGER, "80", "80");
    OK(ERMES_FT_INTEGER, " 443 ", "443");
    OK(ERMES_FT_INTEGER, "+17", "17");
    OK(ERMES_FT_INTEGER, "0007", "7");
    OK(ERMES_FT_INTEGER, "-0", "0");
    OK(ERMES_FT_INTEGER, "-42", "-42");
    OK(ERMES_FT_INTEGER, "9223372036854775807", "9223372036854775807");
    OK(ERMES_FT_INTEGER, "-9223372036854775808", "-9223372036854775808");
    BAD(ERMES_FT_INTEGER, "9223372036854775808");
    BAD(ERMES_FT_INTEGER, "-9223372036854775809");
    BAD(ERMES_FT_INTEGER, "99999999999999999999999");
    BAD(ERMES_FT_INTEGER, "true");
    BAD(ERMES_FT_INTEGER, "1.0");
    BAD(ERMES_FT_INTEGER, "1e3");
    BAD(ERMES_FT_INTEGER, "0x10");
    BAD(ERMES_FT_INTEGER, "+");
    BAD(ERMES_FT_INTEGER, "-");
    BAD(ERMES_FT_INTEGER, "1 2");
    BAD(ERMES_FT_INTEGER, "++1");
    BAD(ERMES_FT_INTEGER, "٣"); /* Arabic-Indic digit: Python takes it, we do not */
}

static void test_float(void **state)
{
    (void)state;
    OK(ERMES_FT_FLOAT, "52.5167", "52.5167");
    OK(ERMES_FT_FLOAT, "52", "52.0");
    OK(ERMES_FT_FLOAT, "-13.4", "-13.4");
    OK(ERMES_FT_FLOAT, "0.1", "0.1");
    OK(ERMES_FT_FLOAT, "0.30000000000000004", "0.30000000000000004");
    OK(ERMES_FT_FLOAT, "1e16", "1e+16");
    OK(ERMES_FT_FLOAT, "1e15", "1000000000000000.0");
    OK(ERMES_FT_FLOAT, "1.5e-5", "1.5e-05");
    OK(ERMES_FT_FLOAT, "0.0001", "0.0001");
    OK(ERMES_FT_FLOAT, "1e300", "1e+300");
    OK(ERMES_FT_FLOAT, "-0", "0.0");
    OK(ERMES_FT_FLOAT, "+2.50", "2.5");
    OK(ERMES_FT_FLOAT, ".5", "0.5");
    OK(ERMES_FT_FLOAT, "5.", "5.0");
    OK(ERMES_FT_FLOAT, "123456789012345678", "1.2345678901234568e+17");
    OK(ERMES_FT_FLOAT, "2.2250738585072014e-308", "2.2250738585072014e-308");
    OK(ERMES_FT_FLOAT, "1.7976931348623157e308", "1.7976931348623157e+308");
    BAD(ERMES_FT_FLOAT, "1e400");
    BAD(ERMES_FT_FLOAT, "inf");
    BAD(ERMES_FT_FLOAT, "nan");
    BAD(ERMES_FT_FLOAT, "Infinity");
    BAD(ERMES_FT_FLOAT, "0x1p3");
    BAD(ERMES_FT_FLOAT, "1,5");
    BAD(ERMES_FT_FLOAT, "abc");
    BAD(ERMES_FT_FLOAT, ".");
    BAD(ERMES_FT_FLOAT, "1e");
    BAD(ERMES_FT_FLOAT, "--1");
}

static void test_accuracy(void **state)
{
    (void)state;
    OK(ERMES_FT_ACCURACY, "100", "100.0");
    OK(ERMES_FT_ACCURACY, "0", "0.0");
    OK(ERMES_FT_ACCURACY, "99.5", "99.5");
    OK(ERMES_FT_ACCURACY, "50.0", "50.0");
    BAD(ERMES_FT_ACCURACY, "100.1");
    BAD(ERMES_FT_ACCURACY, "-1");
    BAD(ERMES_FT_ACCURACY, "1e3");
    BAD(ERMES_FT_ACCURACY, "high");
}

static void test_boolean(void **state)
{
    (void)state;
    OK(ERMES_FT_BOOLEAN, "true", "true");
    OK(ERMES_FT_BOOLEAN, "TRUE", "true");
    OK(ERMES_FT_BOOLEAN, "True", "true");
    OK(ERMES_FT_BOOLEAN, "1", "true");
    OK(ERMES_FT_BOOLEAN, "yes", "true");
    OK(ERMES_FT_BOOLEAN, "Y", "true");
    OK(ERMES_FT_BOOLEAN, "false", "false");
    OK(ERMES_FT_BOOLEAN, "0", "false");
    OK(ERMES_FT_BOOLEAN, "No", "false");
    OK(ERMES_FT_BOOLEAN, "n", "false");
    OK(ERMES_FT_BOOLEAN, " false ", "false");
    BAD(ERMES_FT_BOOLEAN, "2");
    BAD(ERMES_FT_BOOLEAN, "t");
    BAD(ERMES_FT_BOOLEAN, "yess");
    BAD(ERMES_FT_BOOLEAN, "on");
}

static void test_ip(void **state)
{
    (void)state;
    OK(ERMES_FT_IP, "192.0.2.1", "192.0.2.1");
    OK(ERMES_FT_IP, " 198.51.100.7 ", "198.51.100.7");
    OK(ERMES_FT_IP, "10.0.0.1", "10.0.0.1");
    OK(ERMES_FT_IP, "2001:DB8::1", "2001:db8::1");
    OK(ERMES_FT_IP, "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    OK(ERMES_FT_IP, "[2001:db8::2]", "2001:db8::2");
    OK(ERMES_FT_IP, "::1", "::1");
    OK(ERMES_FT_IP, "::ffff:192.0.2.1", "::ffff:192.0.2.1");
    OK(ERMES_FT_IP, "192.0.2.1/32", "192.0.2.1");
    OK(ERMES_FT_IP, "2001:db8::1/128", "2001:db8::1");
    BAD(ERMES_FT_IP, "0.0.0.0");
    BAD(ERMES_FT_IP, "::");
    BAD(ERMES_FT_IP, "[::]");
    BAD(ERMES_FT_IP, "300.1.1.1");
    BAD(ERMES_FT_IP, "1.2.3");
    BAD(ERMES_FT_IP, "1.2.3.4.5");
    BAD(ERMES_FT_IP, "192.0.2.0/24");
    BAD(ERMES_FT_IP, "example.com");
    BAD(ERMES_FT_IP, "2001:db8:::1");
    BAD(ERMES_FT_IP, "[2001:db8::1");
    BAD(ERMES_FT_IP, "1.2.3.4:80");
}

static void test_network(void **state)
{
    (void)state;
    OK(ERMES_FT_NETWORK, "192.0.2.0/24", "192.0.2.0/24");
    OK(ERMES_FT_NETWORK, "192.0.2.77/24", "192.0.2.0/24");
    OK(ERMES_FT_NETWORK, "192.0.2.1", "192.0.2.1/32");
    OK(ERMES_FT_NETWORK, "2001:DB8::1/32", "2001:db8::/32");
    OK(ERMES_FT_NETWORK, "0.0.0.0/0", "0.0.0.0/0");
    BAD(ERMES_FT_NETWORK, "192.0.2.0/33");
    BAD(ERMES_FT_NETWORK, "192.0.2.0/");
    BAD(ERMES_FT_NETWORK, "192.0.2/24");
    BAD(ERMES_FT_NETWORK, "net");
}

static void test_asn(void **state)
{
    (void)state;
    OK(ERMES_FT_ASN, "64496", "64496");
    OK(ERMES_FT_ASN, "AS64496", "64496");
    OK(ERMES_FT_ASN, "as3320", "3320");
    OK(ERMES_FT_ASN, "AS 3320", "3320");
    OK(ERMES_FT_ASN, "1", "1");
    OK(ERMES_FT_ASN, "4294967295", "4294967295");
    OK(ERMES_FT_ASN, "00123", "123");
    BAD(ERMES_FT_ASN, "0");
    BAD(ERMES_FT_ASN, "AS0");
    BAD(ERMES_FT_ASN, "4294967296");
    BAD(ERMES_FT_ASN, "-5");
    BAD(ERMES_FT_ASN, "AS");
    BAD(ERMES_FT_ASN, "ASN123");
    BAD(ERMES_FT_ASN, "12.5");
}

static void test_fqdn(void **state)
{
    char long_label[80], long_name[300];

    (void)state;
    OK(ERMES_FT_FQDN, "example.com", "example.com");
    OK(ERMES_FT_FQDN, "WWW.Example.COM.", "www.example.com");
    OK(ERMES_FT_FQDN, "localhost", "localhost");
    OK(ERMES_FT_FQDN, "_dmarc.example.org", "_dmarc.example.org");
    OK(ERMES_FT_FQDN, "xn--bcher-kva.example", "xn--bcher-kva.example");
    OK(ERMES_FT_FQDN, "1-2-3-4.dyn.example.net", "1-2-3-4.dyn.example.net");
    OK(ERMES_FT_FQDN, "4.3.2.1.in-addr.arpa", "4.3.2.1.in-addr.arpa");
    BAD(ERMES_FT_FQDN, ".");
    BAD(ERMES_FT_FQDN, "example.com..");
    BAD(ERMES_FT_FQDN, "a..b");
    BAD(ERMES_FT_FQDN, ".example.com");
    BAD(ERMES_FT_FQDN, "example.com:80");
    BAD(ERMES_FT_FQDN, "http://example.com/");
    BAD(ERMES_FT_FQDN, "exa mple.com");
    BAD(ERMES_FT_FQDN, "*.example.com");
    BAD(ERMES_FT_FQDN, "192.0.2.1");
    BAD(ERMES_FT_FQDN, "2001:db8::1");
    memset(long_label, 'a', 64);
    strcpy(long_label + 64, ".com");
    BAD(ERMES_FT_FQDN, long_label);
    long_label[1] = '.';
    OK(ERMES_FT_FQDN, long_label + 2, long_label + 2); /* 62 + ".com" */
    for (int k = 0; k < 254; k++)
        long_name[k] = (k % 2) ? '.' : 'a';
    long_name[253] = 'a';
    long_name[254] = '\0';
    BAD(ERMES_FT_FQDN, long_name);
    long_name[253] = '\0';
    OK(ERMES_FT_FQDN, long_name, long_name);
}

static void test_fqdn_ulabel_reason(void **state)
{
    char buf[64];
    size_t n;
    ermes_diag_t d;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes_harmonize(ERMES_FT_FQDN, "bücher.example", 15, buf, sizeof(buf), &n, &d),
                     ERMES_EINVAL);
    assert_non_null(strstr(d.reason, "A-label"));
    assert_non_null(strstr(d.reason, "bücher.example"));
}

static void test_url(void **state)
{
    (void)state;
    OK(ERMES_FT_URL, "http://example.com/", "http://example.com/");
    OK(ERMES_FT_URL, "HTTP://EXAMPLE.COM/Path?Q=A#F", "http://example.com/Path?Q=A#F");
    OK(ERMES_FT_URL, "hxxp://evil.example/x.exe", "http://evil.example/x.exe");
    OK(ERMES_FT_URL, "hxxps://evil.example/x", "https://evil.example/x");
    OK(ERMES_FT_URL, "HXXPS://evil.example/x", "https://evil.example/x");
    OK(ERMES_FT_URL, "hxxp://evil[.]example[.]com/a[.]b", "http://evil.example.com/a.b");
    OK(ERMES_FT_URL, "example.com/path", "http://example.com/path");
    OK(ERMES_FT_URL, "example.com", "http://example.com");
    OK(ERMES_FT_URL, "//example.com/x", "http://example.com/x");
    OK(ERMES_FT_URL, "  https://example.com  ", "https://example.com");
    OK(ERMES_FT_URL, "ftp://user:Pass@FTP.Example.com:21/f",
       "ftp://user:Pass@ftp.example.com:21/f");
    OK(ERMES_FT_URL, "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x");
    OK(ERMES_FT_URL, "http://192.0.2.1:8080", "http://192.0.2.1:8080");
    OK(ERMES_FT_URL, "file:///etc/passwd", "file://localhost/etc/passwd");
    OK(ERMES_FT_URL, "http://example.com/a b", "http://example.com/a b");
    OK(ERMES_FT_URL, "http://example.com/ünï", "http://example.com/ünï");
    OK(ERMES_FT_URL, "example.com:8080/x", "http://example.com:8080/x");
    /* Nested defanging is undone completely, so the result is a fixed point. */
    OK(ERMES_FT_URL, "http://a[[.]]b/", "http://a.b/");
    OK(ERMES_FT_URL, "http://a[[[.]]]b/", "http://a.b/");
    OK(ERMES_FT_URL, "http://a[[.].]b/", "http://a[..]b/");
    OK(ERMES_FT_URL, "http://a[.b/", "http://a[.b/");
    BAD(ERMES_FT_URL, "http://");
    BAD(ERMES_FT_URL, "http:///path");
    BAD(ERMES_FT_URL, "http://:80/");
    BAD(ERMES_FT_URL, "http://user@/x");
    BAD(ERMES_FT_URL, "/just/a/path");
    BAD(ERMES_FT_URL, "http://example.com:http/");
    BAD(ERMES_FT_URL, "http://example.com:99999/");
    BAD(ERMES_FT_URL, "http://exa mple.com/");
    BAD(ERMES_FT_URL, "http://example.com/\x01");
    BAD(ERMES_FT_URL, "http://[::1/");
    BAD(ERMES_FT_URL, "http://[192.0.2.1]/");
    BAD(ERMES_FT_URL, "javascript:alert(1)");
}

static void test_datetime(void **state)
{
    (void)state;
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02 03:04:05", "2024-01-02T03:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02t03:04:05z", "2024-01-02T03:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05.5Z", "2024-01-02T03:04:05.500000+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05-0130", "2024-01-02T04:34:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02T03:04:05+01", "2024-01-02T02:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02 03:04:05 UTC", "2024-01-02T03:04:05+00:00");
    OK(ERMES_FT_DATETIME, "2024-01-02 03:04", "2024-01-02T03:04:00+00:00");
    OK(ERMES_FT_DATETIME, "2024-02-29", "2024-02-29T00:00:00+00:00");
    OK(ERMES_FT_DATETIME, "2016-12-31T23:59:60Z", "2016-12-31T23:59:59+00:00");
    OK(ERMES_FT_DATETIME, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00");
    OK(ERMES_FT_DATETIME, "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999+00:00");
    OK(ERMES_FT_DATETIME, "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00");
    OK(ERMES_FT_DATETIME, "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+00:00");
    BAD(ERMES_FT_DATETIME, "2023-02-29");
    BAD(ERMES_FT_DATETIME, "2024-13-01");
    BAD(ERMES_FT_DATETIME, "2024-00-10");
    BAD(ERMES_FT_DATETIME, "2024-01-32");
    BAD(ERMES_FT_DATETIME, "2024-01-02T24:00:00Z");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05.Z");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05+25:00");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05+01:");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05+1");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05+01:60");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05-");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05ZZ");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03");
    BAD(ERMES_FT_DATETIME, "2024-1-2");
    BAD(ERMES_FT_DATETIME, "2024-01-02T03:04:05 foo");
    BAD(ERMES_FT_DATETIME, "0000-01-01T00:00:00Z");
    BAD(ERMES_FT_DATETIME, "0001-01-01T00:00:00+01:00");
    BAD(ERMES_FT_DATETIME, "9999-12-31T23:59:59-01:00");
    BAD(ERMES_FT_DATETIME, "1700000000");
    BAD(ERMES_FT_DATETIME, "yesterday");
    BAD(ERMES_FT_DATETIME, "24-01-02");
}

static void test_taxonomy(void **state)
{
    static const char *const classes[] = {"abusive-content",
                                          "malicious-code",
                                          "information-gathering",
                                          "intrusion-attempts",
                                          "intrusions",
                                          "availability",
                                          "information-content-security",
                                          "fraud",
                                          "vulnerable",
                                          "other",
                                          "test"};

    (void)state;
    for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]); k++)
        OK(ERMES_FT_TAXONOMY, classes[k], classes[k]);
    OK(ERMES_FT_TAXONOMY, "Malicious-Code", "malicious-code");
    OK(ERMES_FT_TAXONOMY, "malicious code", "malicious-code");
    BAD(ERMES_FT_TAXONOMY, "malware");
    BAD(ERMES_FT_TAXONOMY, "infected-system");
    BAD(ERMES_FT_TAXONOMY, "vulnerability");
}

/* Every RSIT type (machinev1 version 1003) with its class, and IntelMQ's additions. */
static const char *const rsit[][2] = {
    {"spam", "abusive-content"},
    {"harmful-speech", "abusive-content"},
    {"violence", "abusive-content"},
    {"infected-system", "malicious-code"},
    {"c2-server", "malicious-code"},
    {"malware-distribution", "malicious-code"},
    {"malware-configuration", "malicious-code"},
    {"scanner", "information-gathering"},
    {"sniffing", "information-gathering"},
    {"social-engineering", "information-gathering"},
    {"ids-alert", "intrusion-attempts"},
    {"brute-force", "intrusion-attempts"},
    {"exploit", "intrusion-attempts"},
    {"privileged-account-compromise", "intrusions"},
    {"unprivileged-account-compromise", "intrusions"},
    {"application-compromise", "intrusions"},
    {"system-compromise", "intrusions"},
    {"burglary", "intrusions"},
    {"dos", "availability"},
    {"ddos", "availability"},
    {"misconfiguration", "availability"},
    {"sabotage", "availability"},
    {"outage", "availability"},
    {"unauthorised-information-access", "information-content-security"},
    {"unauthorised-information-modification", "information-content-security"},
    {"data-loss", "information-content-security"},
    {"data-leak", "information-content-security"},
    {"unauthorised-use-of-resources", "fraud"},
    {"copyright", "fraud"},
    {"masquerade", "fraud"},
    {"phishing", "fraud"},
    {"weak-crypto", "vulnerable"},
    {"ddos-amplifier", "vulnerable"},
    {"potentially-unwanted-accessible", "vulnerable"},
    {"information-disclosure", "vulnerable"},
    {"vulnerable-system", "vulnerable"},
    {"other", "other"},
    {"undetermined", "other"},
    {"test", "test"},
    /* IntelMQ */
    {"blacklist", "other"},
    {"dga-domain", "other"},
    {"malware", "other"},
    {"proxy", "other"},
    {"tor", "other"},
    {"unauthorized-use-of-resources", "fraud"},
};

static void test_ctype_known(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(rsit) / sizeof(rsit[0]); k++) {
        const char *tax = ermes_taxonomy_of_type(rsit[k][0]);
        OK(ERMES_FT_CTYPE, rsit[k][0], rsit[k][0]);
        assert_non_null(tax);
        assert_string_equal(tax, rsit[k][1]);
    }
    OK(ERMES_FT_CTYPE, "Infected-System", "infected-system");
    OK(ERMES_FT_CTYPE, " PHISHING ", "phishing");
    assert_null(ermes_taxonomy_of_type("nonsense"));
    assert_null(ermes_taxonomy_of_type(""));
    assert_null(ermes_taxonomy_of_type(NULL));
    assert_null(ermes_taxonomy_of_type("Spam")); /* canonical names only, lower case */
    BAD(ERMES_FT_CTYPE, "nonsense");
    BAD(ERMES_FT_CTYPE, "infected system x");
    BAD(ERMES_FT_CTYPE, "vulnerable"); /* a class, not a type */
    BAD(ERMES_FT_CTYPE, "unauthorised-use-of-resource");
}

static void test_ctype_aliases(void **state)
{
    static const char *const aliases[][2] = {
        {"botnet drone", "infected-system"},
        {"Botnet Drone", "infected-system"},
        {"ransomware", "infected-system"},
        {"c&c", "c2-server"},
        {"C&C", "c2-server"},
        {"leak", "data-leak"},
        {"unknown", "undetermined"},
        {"defacement", "unauthorised-information-modification"},
        {"backdoor", "system-compromise"},
        {"compromised", "system-compromise"},
        {"unauthorized-login", "system-compromise"},
        {"unauthorized-command", "system-compromise"},
        {"dropzone", "other"},
        {"dga domain", "dga-domain"},
        {"malware configuration", "malware-configuration"},
        {"ids alert", "ids-alert"},
        {"vulnerable service", "vulnerable-system"},
        {"vulnerable client", "vulnerable-system"},
    };

    (void)state;
    for (size_t k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++) {
        OK(ERMES_FT_CTYPE, aliases[k][0], aliases[k][1]);
        /* The class of an alias is the class of what it stands for. */
        if (strcmp(aliases[k][0], "Botnet Drone") && strcmp(aliases[k][0], "C&C"))
            assert_string_equal(ermes_taxonomy_of_type(aliases[k][0]),
                                ermes_taxonomy_of_type(aliases[k][1]));
    }
    /* IntelMQ's US spelling is kept and maps to RSIT's class. */
    OK(ERMES_FT_CTYPE, "unauthorized-use-of-resources", "unauthorized-use-of-resources");
    assert_string_equal(ermes_taxonomy_of_type("unauthorized-use-of-resources"), "fraud");
}

static void test_tlp(void **state)
{
    (void)state;
    OK(ERMES_FT_TLP, "WHITE", "CLEAR");
    OK(ERMES_FT_TLP, "white", "CLEAR");
    OK(ERMES_FT_TLP, "TLP:WHITE", "CLEAR");
    OK(ERMES_FT_TLP, "tlp:clear", "CLEAR");
    OK(ERMES_FT_TLP, "green", "GREEN");
    OK(ERMES_FT_TLP, "TLP:AMBER", "AMBER");
    OK(ERMES_FT_TLP, "amber+strict", "AMBER+STRICT");
    OK(ERMES_FT_TLP, "TLP:AMBER+STRICT", "AMBER+STRICT");
    OK(ERMES_FT_TLP, "Red", "RED");
    OK(ERMES_FT_TLP, "TLP: RED", "RED");
    BAD(ERMES_FT_TLP, "BLUE");
    BAD(ERMES_FT_TLP, "TLP:");
    BAD(ERMES_FT_TLP, "AMBER STRICT");
    BAD(ERMES_FT_TLP, "TLP:TLP:RED");
}

static void test_registry(void **state)
{
    (void)state;
    OK(ERMES_FT_REGISTRY, "ripe", "RIPE");
    OK(ERMES_FT_REGISTRY, "RIPE-NCC", "RIPE");
    OK(ERMES_FT_REGISTRY, "ripencc", "RIPE");
    OK(ERMES_FT_REGISTRY, "arin", "ARIN");
    OK(ERMES_FT_REGISTRY, "APNIC", "APNIC");
    OK(ERMES_FT_REGISTRY, "Lacnic", "LACNIC");
    OK(ERMES_FT_REGISTRY, "afrinic", "AFRINIC");
    BAD(ERMES_FT_REGISTRY, "IANA");
    BAD(ERMES_FT_REGISTRY, "RIPE NCC");
}

static void test_base64(void **state)
{
    (void)state;
    OK(ERMES_FT_BASE64, "aGVsbG8=", "aGVsbG8=");
    OK(ERMES_FT_BASE64, "aGVsbA==", "aGVsbA==");
    OK(ERMES_FT_BASE64, "aGVs", "aGVs");
    OK(ERMES_FT_BASE64, "a+/=", "a+/=");
    BAD(ERMES_FT_BASE64, "aGVsbG8");
    BAD(ERMES_FT_BASE64, "aGV=bG8=");
    BAD(ERMES_FT_BASE64, "a===");
    BAD(ERMES_FT_BASE64, "aGVs bG8=");
    BAD(ERMES_FT_BASE64, "aGVsbG8-");
    BAD(ERMES_FT_BASE64, "aGVsbA=a");
}

static void test_json(void **state)
{
    (void)state;
    OK(ERMES_FT_JSON, "{\"a\": 1, \"b\": [1, 2]}", "{\"a\":1,\"b\":[1,2]}");
    OK(ERMES_FT_JSON, "[]", "[]");
    OK(ERMES_FT_JSON, "\"text\"", "\"text\"");
    OK(ERMES_FT_JSON, "42", "42");
    OK(ERMES_FT_JSON, "null", "null");
    OK(ERMES_FT_JSON, "{\"z\":1,\"a\":2}", "{\"z\":1,\"a\":2}"); /* order kept */
    OK(ERMES_FT_JSON, "{\"k\": \"\\u00e9\"}", "{\"k\":\"é\"}");
    BAD(ERMES_FT_JSON, "{");
    BAD(ERMES_FT_JSON, "{\"a\":1,\"a\":2}");
    BAD(ERMES_FT_JSON, "{'a': 1}");
    BAD(ERMES_FT_JSON, "[1,]");
}

static void test_cc(void **state)
{
    (void)state;
    OK(ERMES_FT_CC, "de", "DE");
    OK(ERMES_FT_CC, "AT", "AT");
    OK(ERMES_FT_CC, "a1", "A1");
    OK(ERMES_FT_CC, " us ", "US");
    BAD(ERMES_FT_CC, "DEU");
    BAD(ERMES_FT_CC, "D");
    BAD(ERMES_FT_CC, "D-");
    BAD(ERMES_FT_CC, "ÄÖ");
}

static void test_unknown_type_and_small_buffer(void **state)
{
    char buf[8];
    size_t n = 99;
    ermes_diag_t d;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes_harmonize((ermes_ftype_t)99, "x", 1, buf, sizeof(buf), &n, &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes_harmonize(ERMES_FT_STRING, "123456789", 9, buf, sizeof(buf), &n, &d),
                     ERMES_ETOOBIG);
    assert_int_equal(ermes_harmonize(ERMES_FT_STRING, "1234567", 7, buf, sizeof(buf), &n, &d), 0);
    assert_int_equal(n, 7);
    assert_int_equal(ermes_harmonize(ERMES_FT_DATETIME, "2024-01-01", 10, buf, sizeof(buf), &n, &d),
                     ERMES_ETOOBIG);
    assert_int_equal(ermes_harmonize(ERMES_FT_URL, "example.com", 11, buf, sizeof(buf), &n, &d),
                     ERMES_ETOOBIG);
}

static void test_reason_names_value_truncated(void **state)
{
    char in[200], buf[256];
    size_t n;
    ermes_diag_t d;

    (void)state;
    memset(in, 'x', sizeof(in));
    ermes_diag_clear(&d);
    assert_int_equal(ermes_harmonize(ERMES_FT_IP, in, sizeof(in), buf, sizeof(buf), &n, &d),
                     ERMES_EINVAL);
    /* The quoted value: 64 characters and "...". */
    assert_non_null(strstr(d.reason, "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                     "xxxxx...\" is not an IP address"));
    ermes_diag_clear(&d);
    assert_int_equal(ermes_harmonize(ERMES_FT_IP, "300.1.1.1", 9, buf, sizeof(buf), &n, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.reason, "\"300.1.1.1\" is not an IP address");
    /* Control characters are not copied into a reason. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes_harmonize(ERMES_FT_INTEGER, "1\x1b[31m", 7, buf, sizeof(buf), &n, &d),
                     ERMES_EINVAL);
    assert_null(strchr(d.reason, '\x1b'));
}

/* ---- time converters -------------------------------------------------------------------- */

#define TC_OK(fmt, in, want) tc_ok(fmt, in, want, __LINE__)
#define TC_BAD(fmt, in) tc_bad(fmt, in, __LINE__)

static void tc_ok(ermes_time_format_t fmt, const char *in, int64_t want, int line)
{
    int64_t ms = -1;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_time_convert(fmt, in, strlen(in), &ms, &d);
    if (rc || ms != want) {
        print_error("line %d: \"%s\": rc %d ms %lld want %lld (%s)\n", line, in, rc, (long long)ms,
                    (long long)want, d.reason);
        fail();
    }
}

static void tc_bad(ermes_time_format_t fmt, const char *in, int line)
{
    int64_t ms = 77;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_time_convert(fmt, in, strlen(in), &ms, &d);
    if (rc != ERMES_EINVAL || ms != 77 || !d.reason[0]) {
        print_error("line %d: \"%s\": rc %d, want EINVAL\n", line, in, rc);
        fail();
    }
}

static void test_time_convert(void **state)
{
    (void)state;
    TC_OK(ERMES_TIME_AUTO, "2015-09-14T04:39:22Z", 1442205562000);
    TC_OK(ERMES_TIME_AUTO, "2015-09-14 04:39:22", 1442205562000);
    TC_OK(ERMES_TIME_AUTO, "2015-09-14T06:39:22.250+02:00", 1442205562250);
    TC_OK(ERMES_TIME_AUTO, "1442205562", 1442205562000);
    TC_OK(ERMES_TIME_AUTO, "1442205562.5", 1442205562500);
    TC_OK(ERMES_TIME_AUTO, "Mon, 14 Sep 2015 04:39:22 GMT", 1442205562000);
    TC_OK(ERMES_TIME_AUTO, "1969-12-31T23:59:59.9995Z", -1);
    TC_BAD(ERMES_TIME_AUTO, "soon");
    TC_BAD(ERMES_TIME_AUTO, "");
    TC_OK(ERMES_TIME_EPOCH, "0", 0);
    TC_OK(ERMES_TIME_EPOCH, " 1442205562 ", 1442205562000);
    TC_OK(ERMES_TIME_EPOCH, "1442205562.123456", 1442205562123);
    TC_OK(ERMES_TIME_EPOCH, "-1.5", -1500);
    TC_OK(ERMES_TIME_EPOCH, "-0.0001", -1);
    TC_OK(ERMES_TIME_EPOCH, ".5", 500);
    TC_BAD(ERMES_TIME_EPOCH, "1e9");
    TC_BAD(ERMES_TIME_EPOCH, "12a");
    TC_BAD(ERMES_TIME_EPOCH, ".");
    TC_BAD(ERMES_TIME_EPOCH, "99999999999999999999");
    TC_BAD(ERMES_TIME_EPOCH, "253402300800"); /* year 10000 */
    TC_OK(ERMES_TIME_EPOCH_MS, "1442205562123", 1442205562123);
    TC_OK(ERMES_TIME_EPOCH_MS, "-5", -5);
    TC_BAD(ERMES_TIME_EPOCH_MS, "abc");
    /* 2015-09-14T04:39:22Z in 100 ns ticks since 1601. */
    TC_OK(ERMES_TIME_WINDOWS_NT, "130866791620000000", 1442205562000);
    TC_OK(ERMES_TIME_WINDOWS_NT, "116444736000000000", 0);
    TC_BAD(ERMES_TIME_WINDOWS_NT, "-1");
    TC_BAD(ERMES_TIME_WINDOWS_NT, "1.5");
    TC_OK(ERMES_TIME_HTTP, "Mon, 14 Sep 2015 04:39:22 GMT", 1442205562000);
    TC_OK(ERMES_TIME_HTTP, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777000);
    TC_OK(ERMES_TIME_HTTP, "Sunday, 06-Nov-94 08:49:37 GMT", 784111777000);
    TC_OK(ERMES_TIME_HTTP, "Sun Nov  6 08:49:37 1994", 784111777000);
    TC_OK(ERMES_TIME_HTTP, "Thu Dec 24 08:49:37 2015", 1450946977000);
    TC_BAD(ERMES_TIME_HTTP, "Sun, 06 Nov 1994 08:49:37 CET");
    TC_BAD(ERMES_TIME_HTTP, "Sun, 31 Feb 1994 08:49:37 GMT");
    TC_BAD(ERMES_TIME_HTTP, "Xyz, 06 Nov 1994 08:49:37 GMT");
    TC_BAD(ERMES_TIME_HTTP, "Sun, 06 Foo 1994 08:49:37 GMT");
    TC_BAD(ERMES_TIME_HTTP, "2015-09-14T04:39:22Z");
    TC_BAD((ermes_time_format_t)42, "0");
}

static void test_time_format_intelmq(void **state)
{
    char buf[40];

    (void)state;
    assert_int_equal(ermes_time_format_intelmq(0, buf), 25);
    assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
    assert_int_equal(ermes_time_format_intelmq(1442205562123, buf), 32);
    assert_string_equal(buf, "2015-09-14T04:39:22.123000+00:00");
    ermes_time_format_intelmq(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999000+00:00");
    ermes_time_format_intelmq(1442205562000, buf);
    assert_string_equal(buf, "2015-09-14T04:39:22+00:00");
}

/* The word-at-a-time text check against a byte-by-byte reference, with the odd byte at every
 * position of strings up to 40 bytes (so in every lane of a word and in the tail). */
static int text_check_ref(const char *s, size_t len)
{
    if (memchr(s, '\0', len))
        return 1;
    return ermes__utf8_valid(s, len) ? 0 : 2;
}

static void test_text_check(void **state)
{
    static const char *const odd[] = {"\0",           "\xff",         "\xc3\xa9",         "\xc3",
                                      "\xe2\x82\xac", "\xed\xa0\x80", "\xf0\x9f\x98\x80", "\x80"};
    char buf[64];

    (void)state;
    assert_int_equal(ermes__text_check("", 0), 0);
    for (size_t len = 1; len <= 40; len++)
        for (size_t at = 0; at < len; at++)
            for (size_t o = 0; o < sizeof(odd) / sizeof(odd[0]); o++) {
                size_t ol = o == 0 ? 1 : strlen(odd[o]);
                memset(buf, 'a', sizeof(buf));
                if (at + ol > len)
                    continue;
                memcpy(buf + at, odd[o], ol);
                if (text_check_ref(buf, len) != ermes__text_check(buf, len)) {
                    print_error("len %zu at %zu odd %zu: ref %d got %d\n", len, at, o,
                                text_check_ref(buf, len), ermes__text_check(buf, len));
                    fail();
                }
            }
    assert_int_equal(ermes__text_check("abc\0def", 7), 1);
    {
        static const char mixed[] = "\xc3\xa9t\xc3\xa9 and more ASCII text";
        static const char cut[] = "ASCII text first, then \xc3";
        assert_int_equal(ermes__text_check(mixed, sizeof(mixed) - 1), 0);
        assert_int_equal(ermes__text_check(cut, sizeof(cut) - 1), 2);
    }
}

static void test_i64_format(void **state)
{
    static const int64_t v[] = {0,
                                1,
                                -1,
                                9,
                                10,
                                99,
                                100,
                                5555,
                                4294967295LL,
                                -4294967296LL,
                                INT64_MAX,
                                INT64_MIN,
                                1000000000000000000LL};
    char want[32], got[32];

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t n = ermes__i64_format(v[i], got);
        snprintf(want, sizeof(want), "%lld", (long long)v[i]);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_nul_rejected),
        cmocka_unit_test(test_integer),
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_boolean),
        cmocka_unit_test(test_ip),
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_asn),
        cmocka_unit_test(test_fqdn),
        cmocka_unit_test(test_fqdn_ulabel_reason),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_taxonomy),
        cmocka_unit_test(test_ctype_known),
        cmocka_unit_test(test_ctype_aliases),
        cmocka_unit_test(test_tlp),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_cc),
        cmocka_unit_test(test_unknown_type_and_small_buffer),
        cmocka_unit_test(test_reason_names_value_truncated),
        cmocka_unit_test(test_time_convert),
        cmocka_unit_test(test_time_format_intelmq),
        cmocka_unit_test(test_text_check),
        cmocka_unit_test(test_i64_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
