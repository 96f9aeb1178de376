/* The observable extractor (src/mail/observables.c): each type, de-fanged forms, canonical
 * values, false positives that must not be taken (version numbers, file names, times, dates,
 * filler); the reference and TLP finders (src/mail/reply.c); and the MIME reader
 * (src/mail/parse.c) on its own: encodings, charsets, alternatives, attachments, X-ARF, ARF,
 * receipts, and the limits (depth, parts, text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "mail/mail.h"
#include "mail/dsn.h"
#include "mail/observables.h"
#include "mail/parse.h"

/* "type value" lines of what text yields, in order. */
static void extract(const char *text, char *out, size_t cap)
{
    ermes__observables_t o;
    size_t n = 0;

    ermes__observables_init(&o, 0);
    assert_int_equal(ermes__observables_extract(&o, text, strlen(text), "body"), 0);
    out[0] = '\0';
    for (size_t k = 0; k < o.n; k++) {
        int w = snprintf(out + n, cap - n, "%s %s\n", ermes__obs_type_name(o.items[k].type),
                         o.items[k].value);
        assert_true(w > 0 && (size_t)w < cap - n);
        n += (size_t)w;
    }
    ermes__observables_cleanup(&o);
}

#define EXPECT(text, want)                                                                         \
    do {                                                                                           \
        char got_[4096];                                                                           \
        extract(text, got_, sizeof(got_));                                                         \
        assert_string_equal(got_, want);                                                           \
    } while (0)

static void test_types(void **state)
{
    (void)state;
    EXPECT("from 192.0.2.1 and 2001:DB8:0:0::1 in 198.51.100.0/24 and 10.1.2.3/8",
           "ipv4 192.0.2.1\nipv6 2001:db8::1\ncidr 198.51.100.0/24\ncidr 10.0.0.0/8\n");
    EXPECT("see https://Example.ORG/a/b?c=d#e, then", "url https://Example.ORG/a/b?c=d#e\n"
                                                      "domain example.org\n");
    EXPECT("mail Bob.Smith+tag@Mail.Example.COM now", "email Bob.Smith+tag@mail.example.com\n");
    EXPECT("md5 D41D8CD98F00B204E9800998ECF8427E sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
           "md5 d41d8cd98f00b204e9800998ecf8427e\nsha1 da39a3ee5e6b4b0d3255bfef95601890afd80709\n");
    EXPECT("sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.",
           "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n");
    EXPECT("cve-2021-44228 and CVE-2024-123456", "cve CVE-2021-44228\ncve CVE-2024-123456\n");
    EXPECT("host www.bund.de. and x.co.uk", "domain www.bund.de\ndomain x.co.uk\n");
    /* Each value once. */
    EXPECT("192.0.2.1 192.0.2.1 192.0.2.1", "ipv4 192.0.2.1\n");
    /* Labels and ports around a value. */
    EXPECT("IP:192.0.2.9 src/198.51.100.7 192.0.2.10:8080 (203.0.113.5)",
           "ipv4 192.0.2.9\nipv4 198.51.100.7\nipv4 192.0.2.10\nipv4 203.0.113.5\n");
    EXPECT("http://[2001:db8::5]:8080/x", "url http://[2001:db8::5]:8080/x\nipv6 2001:db8::5\n");
    /* "::" at either end is the address's (found by fuzz_observables). */
    EXPECT("net 2001:db8:: and ::ffff:192.0.2.1, then 1:db8::.",
           "ipv6 2001:db8::\nipv6 ::ffff:192.0.2.1\nipv6 1:db8::\n");
}

static void test_defanged(void **state)
{
    (void)state;
    EXPECT("hxxp://evil[.]example[.]org/x", "url http://evil.example.org/x\n"
                                            "domain evil.example.org\n");
    EXPECT("hXXps[://]evil(.)example(dot)org", "url https://evil.example.org\n"
                                               "domain evil.example.org\n");
    EXPECT("198[.]51[.]100[.]7 and 203.0.113{.}8", "ipv4 198.51.100.7\nipv4 203.0.113.8\n");
    EXPECT("bad[@]evil[.]example[.]com and x(at)evil[dot]com",
           "email bad@evil.example.com\nemail x@evil.com\n");
    EXPECT("fxp://files.example.net/a", "url ftp://files.example.net/a\n"
                                        "domain files.example.net\n");
    /* Not a scheme in the middle of a word. */
    EXPECT("shxxpt", "");
}

static void test_false_positives(void **state)
{
    (void)state;
    EXPECT("version 1.2.3, v2.4.1.7, 10.0.0.1.5 and 3.14", "");
    EXPECT("open invoice.pdf, setup.exe, notes.txt, report.docx and index.html", "");
    EXPECT("at 12:30:45 on 2026-03-01, e.g. i.e. etc.", "");
    EXPECT("filler 00000000000000000000000000000000 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "");
    EXPECT("not an address 999.1.1.1 nor 1.2.3.256 nor ::", "");
    EXPECT("co.uk alone, a@b, user@, @", "");
    EXPECT("hash-like 0123456789abcdef0123456789abcdef0 (33 digits)", "");
    EXPECT("CVE-24-1 and CVE-2024-12", "");
    EXPECT("Mr.Smith and Dr.Who", "");
}

static void test_limits_and_bytes(void **state)
{
    ermes__observables_t o;
    char text[4096];
    size_t n = 0;

    (void)state;
    /* At most max kept, the rest counted as truncated. */
    for (int k = 0; k < 100; k++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "192.0.2.%d ", k);
    ermes__observables_init(&o, 10);
    assert_int_equal(ermes__observables_extract(&o, text, n, "body"), 0);
    assert_int_equal(o.n, 10);
    assert_true(o.truncated);
    ermes__observables_cleanup(&o);
    /* NUL bytes and invalid UTF-8 are only separators. */
    {
        static const char bin[] = "\xff\xfe"
                                  "192.0.2.1\0"
                                  "198.51.100.1\x80";
        ermes__observables_init(&o, 0);
        assert_int_equal(ermes__observables_extract(&o, bin, sizeof(bin) - 1, "x"), 0);
        assert_int_equal(o.n, 2);
        ermes__observables_cleanup(&o);
    }
}

static void test_refang(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(ermes__observables_refang("a[.]b", 5, out, sizeof(out)), 3);
    assert_string_equal(out, "a.b");
    ermes__observables_refang("HXXPS://x[dot]y", 15, out, sizeof(out));
    assert_string_equal(out, "https://x.y");
}

static void test_reference_and_tlp(void **state)
{
    char ref[40];
    ermes_tlp_t t;

    (void)state;
    assert_true(ermes__mail_find_reference("Re: [ERMES-2026-000042] 3 events", ref, sizeof(ref)));
    assert_string_equal(ref, "ERMES-2026-000042");
    assert_true(
        ermes__mail_find_reference("<ermes-2026-1234567.1712@cert.example>", ref, sizeof(ref)));
    assert_string_equal(ref, "ERMES-2026-1234567");
    assert_false(ermes__mail_find_reference("HERMES-2026-000042", ref, sizeof(ref)));
    assert_false(ermes__mail_find_reference("ERMES-26-000042 ERMES-2026-", ref, sizeof(ref)));
    assert_true(ermes__mail_find_tlp("[TLP:AMBER+STRICT] x", &t));
    assert_int_equal(t, ERMES_TLP_AMBER_STRICT);
    assert_true(ermes__mail_find_tlp("classified tlp: red", &t));
    assert_int_equal(t, ERMES_TLP_RED);
    assert_true(ermes__mail_find_tlp("TLP-WHITE", &t));
    assert_int_equal(t, ERMES_TLP_CLEAR);
    assert_false(ermes__mail_find_tlp("TLPx:RED, atlp:green, TLP:purple", &t));
}

/* ---- the MIME reader --------------------------------------------------------------------- */

static ermes__mail_limits_t limits(void)
{
    ermes__mail_limits_t l = {32, 500, 1 << 20, 0};
    return l;
}

static int parse(const char *raw, ermes__mail_parsed_t *p, ermes_diag_t *d)
{
    ermes__mail_limits_t l = limits();

    ermes_diag_clear(d);
    return ermes__mail_parse_mem(raw, strlen(raw), NULL, &l, p, d);
}

static void test_parse_basic(void **state)
{
    static const char raw[] =
        "From: =?UTF-8?Q?Ren=C3=A9?= <Rene@Example.ORG>\r\n"
        "Subject: =?ISO-8859-1?Q?Caf=E9?= report\r\n"
        "Message-ID: <abc@example.org>\r\n"
        "In-Reply-To: <ERMES-2026-000001.1@cert.example>\r\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        "--b1\r\n"
        "Content-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n"
        "--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html 192.0.2.99</p>\r\n"
        "--b2\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 192.0.2.1\r\n"
        "--b2--\r\n"
        "--b1\r\nContent-Type: text/csv; charset=utf-8\r\n"
        "Content-Disposition: attachment; filename=\"ips.csv\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nMTkyLjAuMi4yCg==\r\n"
        "--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=x.png\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
        "--b1--\r\n";
    ermes__mail_parsed_t p;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(parse(raw, &p, &d), 0);
    assert_string_equal(p.message_id, "abc@example.org");
    assert_string_equal(p.from, "Rene@Example.ORG");
    assert_string_equal(p.from_name, "Ren\xc3\xa9");
    assert_string_equal(p.subject, "Caf\xc3\xa9 report");
    assert_non_null(strstr(p.in_reply_to, "ERMES-2026-000001"));
    assert_true(p.date > 0);
    assert_non_null(p.text.data);
    assert_non_null(strstr(p.text.data, "Caf\xc3\xa9 192.0.2.1"));
    assert_null(strstr(p.text.data, "192.0.2.99")); /* the plain alternative only */
    assert_int_equal(p.nattachments, 2);
    assert_string_equal(p.attachments[0].name, "ips.csv");
    assert_string_equal(p.attachments[0].text, "192.0.2.2\n");
    assert_string_equal(p.attachments[1].content_type, "image/png");
    assert_null(p.attachments[1].text);
    assert_string_equal(p.signature, "none");
    assert_string_equal(p.encryption, "none");
    ermes__mail_parsed_cleanup(&p);
}

static void test_parse_reports(void **state)
{
    static const char xarf[] =
        "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        "--x\r\nContent-Type: text/plain\r\n\r\nreport\r\n"
        "--x\r\nContent-Type: application/json\r\n\r\n"
        "{\"Version\":\"4\",\"Report\":{\"Source\":\"192.0.2.1\"}}\r\n--x--\r\n";
    static const char arf[] =
        "From: a@b.example\r\nContent-Type: multipart/report; report-type=feedback-report; "
        "boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nabuse\r\n"
        "--x\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
        "Source-IP: 192.0.2.3\r\n\r\n--x--\r\n";
    static const char mdn[] = "From: a@b.example\r\nContent-Type: multipart/report; "
                              "report-type=disposition-notification; boundary=x\r\n\r\n--x\r\n"
                              "Content-Type: text/plain\r\n\r\nread\r\n--x--\r\n";
    ermes__mail_parsed_t p;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(parse(xarf, &p, &d), 0);
    assert_non_null(p.xarf);
    assert_non_null(strstr(p.xarf, "\"Version\":\"4\""));
    ermes__mail_parsed_cleanup(&p);
    assert_int_equal(parse(arf, &p, &d), 0);
    assert_non_null(p.arf);
    assert_non_null(strstr(p.arf, "Source-IP: 192.0.2.3"));
    ermes__mail_parsed_cleanup(&p);
    assert_int_equal(parse(mdn, &p, &d), 0);
    assert_true(p.is_mdn_or_dsn);
    ermes__mail_parsed_cleanup(&p);
}

/* A DSN ermes asked for (smtp_dsn): the notification's reference comes back as the envelope
 * id, and the address ermes sent to as Original-Recipient, which wins over a Final-Recipient
 * a forward rewrote, in whichever order they come. */
static void test_dsn_envid(void **state)
{
    static const char text[] = "Reporting-MTA: dns; mx.example\r\n"
                               "Original-Envelope-Id: <ERMES-2026-000007>\r\n\r\n"
                               "Final-Recipient: rfc822; fwd@elsewhere.example\r\n"
                               "Original-Recipient: rfc822;<Soc@Orga.example>\r\n"
                               "Action: delivered\r\n\r\n"
                               "Original-Recipient: rfc822;<abuse@orga.example>\r\n"
                               "Final-Recipient: rfc822; other@elsewhere.example\r\n"
                               "Action: failed\r\n\r\n"
                               "Final-Recipient: rfc822; plain@orga.example\r\nAction: failed\r\n";
    ermes__dsn_t x;

    (void)state;
    ermes__dsn_read(text, strlen(text), &x);
    assert_string_equal(x.envid, "ERMES-2026-000007");
    assert_int_equal(x.n, 3);
    assert_string_equal(x.recipients[0].address, "soc@orga.example");
    assert_string_equal(x.recipients[1].address, "abuse@orga.example");
    assert_string_equal(x.recipients[2].address, "plain@orga.example");
    assert_int_equal(x.recipients[1].action, ERMES_DSN_FAILED);
}

/* A bounce as Postfix writes one (RFC 3464, RFC 6522 multipart/report): the recipients and
 * what became of each, and the quoted headers of the message it is about. */
static void test_parse_dsn(void **state)
{
    static const char dsn[] =
        "From: MAILER-DAEMON@mx.orga.example (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        "\tboundary=\"B1\"\r\n\r\n--B1\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.orga.example\r\nArrival-Date: Mon,  7 Dec 2026 05:00:00 +0000\r\n"
        "\r\nFinal-Recipient: rfc822; Gone@Orga.example\r\nOriginal-Recipient: rfc822;"
        "gone@orga.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 "
        "5.1.1\r\n <gone@orga.example>: Recipient address rejected\r\n\r\n"
        "Final-Recipient: rfc822; soc@orga.example\r\nAction: delivered (to mailbox)\r\n"
        "Status: 2.0.0\r\n\r\n"
        "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "Message-ID: <ERMES-2026-000042.1765.1@cert.example>\r\n"
        "Subject: [ERMES-2026-000042] compromised host\r\n--B1--\r\n";
    static const char odd[] =
        "Reporting-MTA: dns; a\n\nFinal-Recipient:\n rfc822; <x@y.example>\nAction:\n\trelayed\n\n"
        "Final-Recipient: rfc822; e@y.example\nAction: expanded\n\n"
        "Final-Recipient: rfc822; d@y.example\nAction: delayed\n\n"
        "Final-Recipient: x400; c=de\nAction: failed\n\nAction: failed\n";
    ermes__mail_parsed_t p;
    ermes_diag_t d;
    ermes__dsn_t x;
    char many[4096];
    size_t o = 0;

    (void)state;
    assert_int_equal(parse(dsn, &p, &d), 0);
    assert_true(p.is_mdn_or_dsn);
    assert_int_equal(p.dsn.n, 2);
    assert_string_equal(p.dsn.recipients[0].address, "gone@orga.example");
    assert_int_equal(p.dsn.recipients[0].action, ERMES_DSN_FAILED);
    assert_string_equal(p.dsn.recipients[0].status, "5.1.1");
    assert_string_equal(p.dsn.recipients[1].address, "soc@orga.example");
    assert_int_equal(p.dsn.recipients[1].action, ERMES_DSN_DELIVERED);
    assert_non_null(strstr(p.text.data, "ERMES-2026-000042"));
    ermes__mail_parsed_cleanup(&p);

    /* LF only, folded fields, relayed and expanded count as handed on, delayed as neither, an
     * address type that is not mail's and a block without an address are kept without one. */
    ermes__dsn_read(odd, strlen(odd), &x);
    assert_int_equal(x.n, 5);
    assert_string_equal(x.recipients[0].address, "x@y.example");
    assert_int_equal(x.recipients[0].action, ERMES_DSN_DELIVERED);
    assert_int_equal(x.recipients[1].action, ERMES_DSN_DELIVERED);
    assert_int_equal(x.recipients[2].action, ERMES_DSN_DELAYED);
    assert_string_equal(x.recipients[3].address, "");
    assert_int_equal(x.recipients[3].action, ERMES_DSN_FAILED);
    assert_string_equal(x.recipients[4].address, "");

    /* Garbage, an empty text, and more recipients than kept. */
    ermes__dsn_read("no fields at all\n:\n\n\n", 22, &x);
    assert_int_equal(x.n, 0);
    ermes__dsn_read("", 0, &x);
    assert_int_equal(x.n, 0);
    for (int k = 0; k < 40; k++)
        o +=
            (size_t)snprintf(many + o, sizeof(many) - o,
                             "Final-Recipient: rfc822; r%d@y.example\r\nAction: failed\r\n\r\n", k);
    ermes__dsn_read(many, o, &x);
    assert_int_equal(x.n, ERMES_DSN_MAX_RECIPIENTS);
    assert_string_equal(x.recipients[15].address, "r15@y.example");
}

static void test_parse_limits(void **state)
{
    ermes__mail_limits_t l = limits();
    ermes__mail_parsed_t p;
    ermes_diag_t d;
    char *raw = malloc(1 << 20);
    size_t n = 0;

    (void)state;
    assert_non_null(raw);
    /* 40 nested multiparts: deeper than 32. */
    n = (size_t)snprintf(raw, 1 << 20,
                         "From: a@b.example\r\nContent-Type: multipart/mixed; "
                         "boundary=\"b0\"\r\n\r\n");
    for (int k = 0; k < 40; k++)
        n += (size_t)snprintf(raw + n, (1 << 20) - n,
                              "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", k,
                              k + 1);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__mail_parse_mem(raw, n, NULL, &l, &p, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "nesting"));
    ermes__mail_parsed_cleanup(&p);
    /* 600 parts side by side: more than 500. */
    n = (size_t)snprintf(raw, 1 << 20,
                         "From: a@b.example\r\nContent-Type: multipart/mixed; "
                         "boundary=\"b\"\r\n\r\n");
    for (int k = 0; k < 600; k++)
        n += (size_t)snprintf(raw + n, (1 << 20) - n,
                              "--b\r\nContent-Type: text/plain\r\n\r\n%d\r\n", k);
    n += (size_t)snprintf(raw + n, (1 << 20) - n, "--b--\r\n");
    ermes_diag_clear(&d);
    assert_int_equal(ermes__mail_parse_mem(raw, n, NULL, &l, &p, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "parts"));
    ermes__mail_parsed_cleanup(&p);
    /* Text past max_text is left out, with a note. */
    l.max_text = 1000;
    n = (size_t)snprintf(raw, 1 << 20, "From: a@b.example\r\nContent-Type: text/plain\r\n\r\n");
    memset(raw + n, 'x', 100000);
    n += 100000;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__mail_parse_mem(raw, n, NULL, &l, &p, &d), 0);
    assert_int_equal(p.text.len, 0);
    assert_non_null(strstr(p.note, "over the text limit"));
    ermes__mail_parsed_cleanup(&p);
    free(raw);
}

static void test_parse_garbage(void **state)
{
    ermes__mail_limits_t l = limits();
    ermes__mail_parsed_t p;
    ermes_diag_t d;

    (void)state;
    /* Anything at all is read without a crash; what it is, is the caller's to decide. */
    static const char *const inputs[] = {"", "\r\n\r\n", "no header here at all",
                                         "Content-Type: multipart/mixed\r\n\r\n--\r\n",
                                         "Subject: =?utf-8?b?####?=\r\n\r\nx"};
    for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
        ermes_diag_clear(&d);
        ermes__mail_parse_mem(inputs[k], strlen(inputs[k]), NULL, &l, &p, &d);
        ermes__mail_parsed_cleanup(&p);
    }
}

static void test_mailbox_sections(void **state)
{
    ermes__config_t cfg;
    char name[64];
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes__mailbox_section("mailbox \"cert\"", name, sizeof(name)), 1);
    assert_string_equal(name, "cert");
    assert_int_equal(ermes__mailbox_section("mailbox.abuse-desk", name, sizeof(name)), 1);
    assert_int_equal(ermes__mailbox_section("mailbox \"a b\"", name, sizeof(name)), -1);
    assert_int_equal(ermes__mailbox_section("mailboxes", name, sizeof(name)), 0);
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "url", "http://x", &d), ERMES_EINVAL);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "url", "imaps://imap.example", &d), 0);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "processed", "archive", &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "folder", "IN\"BOX", &d), ERMES_EINVAL);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "interval", "0", &d), ERMES_EINVAL);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "nope", "1", &d), ERMES_ENOTFOUND);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "processed", "move", &d), 0);
    /* move without move_to, then a url and a maildir both: refused. */
    assert_int_equal(ermes__mailbox_conf_check(&cfg, &d), ERMES_ECONFIG);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "move_to", "Done", &d), 0);
    assert_int_equal(ermes__mailbox_conf_check(&cfg, &d), 0);
    assert_int_equal(ermes__mailbox_conf_set(&cfg, "cert", "maildir", "/tmp/x", &d), 0);
    assert_int_equal(ermes__mailbox_conf_check(&cfg, &d), ERMES_ECONFIG);
    assert_non_null(ermes__mailbox_conf_find(&cfg, "cert"));
    assert_null(ermes__mailbox_conf_find(&cfg, "other"));
    ermes__config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_defanged),
        cmocka_unit_test(test_false_positives),
        cmocka_unit_test(test_limits_and_bytes),
        cmocka_unit_test(test_refang),
        cmocka_unit_test(test_reference_and_tlp),
        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_parse_reports),
        cmocka_unit_test(test_parse_dsn),
        cmocka_unit_test(test_dsn_envid),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_mailbox_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
