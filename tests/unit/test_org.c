/* Tests of the organisation model (src/model/org.c): the JSON document of docs/API.md, its
 * validation with the member named in d.field, partial documents, normalisation and the
 * round trip through ermes__org_to_json(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "model/org.h"

/* The organisation document of docs/API.md, verbatim. */
static const char api_doc[] =
    "{\"id\": 7, \"short_name\": \"UMA\", \"name\": \"Union Medicines Agency\", \"country\": "
    "\"NL\",\n"
    " \"sector\": \"health\", \"type\": \"agency\", \"parent\": null, \"tlp\": \"AMBER\", "
    "\"owner\": \"CERT\",\n"
    " \"created_at\": \"…\", \"updated_at\": \"…\",\n"
    " \"contacts\": [{\"id\": 3, \"name\": \"UMA abuse desk\", \"email\": "
    "\"abuse@uma.example\", \"role\": \"abuse\",\n"
    "               \"language\": \"en\", \"tlp\": \"AMBER\"}],\n"
    " \"networks\": [\"198.51.100.0/28\", \"2001:db8:7::/48\"], \"asns\": [64500],\n"
    " \"domains\": [\"uma.example\"]}";

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);

    if (!j)
        fail_msg("test JSON does not parse: %s (line %d): %s", err.text, err.line, text);
    return j;
}

/* Parses text as an organisation; returns the code, fills d, and *out when asked. */
static int parse(const char *text, int partial, ermes_diag_t *d, ermes__org_t **out)
{
    json_t *j = load(text);
    ermes__org_t *org = ermes__org_new();
    int rc;

    assert_non_null(org);
    ermes_diag_clear(d);
    rc = ermes__org_from_json(org, j, partial, d);
    json_decref(j);
    if (out && rc == 0)
        *out = org;
    else
        ermes__org_free(org);
    return rc;
}

/* Expects text to be rejected with ERMES_EINVAL (or want) and d.field == field. */
static void check_rejected_rc(const char *text, int partial, const char *field, int want)
{
    ermes_diag_t d;
    int rc = parse(text, partial, &d, NULL);

    if (rc != want)
        fail_msg("%s: got %s, want %s", text, ermes_errname(rc), ermes_errname(want));
    if (strcmp(d.field, field) != 0)
        fail_msg("%s: d.field \"%s\", want \"%s\" (reason: %s)", text, d.field, field, d.reason);
    assert_true(d.reason[0] != '\0');
}

static void check_rejected(const char *text, const char *field)
{
    check_rejected_rc(text, 0, field, ERMES_EINVAL);
}

/* A minimal valid document with one member added: "{short_name, name, <extra>}". */
static char *doc_with(const char *extra)
{
    static char buf[4096];

    snprintf(buf, sizeof(buf), "{\"short_name\": \"ORG\", \"name\": \"An organisation\"%s%s}",
             extra[0] ? ", " : "", extra);
    return buf;
}

static void test_api_document(void **state)
{
    ermes_diag_t d;
    ermes__org_t *org = NULL;
    char buf[ERMES_CIDR_STRLEN];

    (void)state;
    assert_int_equal(parse(api_doc, 0, &d, &org), 0);
    assert_string_equal(org->short_name, "UMA");
    assert_string_equal(org->name, "Union Medicines Agency");
    assert_string_equal(org->country, "NL");
    assert_string_equal(org->sector, "health");
    assert_string_equal(org->type, "agency");
    assert_null(org->parent);
    assert_int_equal(org->meta.tlp, ERMES_TLP_AMBER);
    /* id, owner and the times are ignored on input. */
    assert_int_equal(org->meta.id, 0);
    assert_null(org->owner);
    assert_int_equal(org->meta.created_at, 0);
    assert_int_equal(org->ncontacts, 1);
    assert_string_equal(org->contacts[0].name, "UMA abuse desk");
    assert_string_equal(org->contacts[0].email, "abuse@uma.example");
    assert_string_equal(org->contacts[0].role, "abuse");
    assert_string_equal(org->contacts[0].language, "en");
    assert_int_equal(org->contacts[0].meta.tlp, ERMES_TLP_AMBER);
    assert_int_equal(org->contacts[0].meta.id, 0);
    assert_int_equal(org->nnetworks, 2);
    ermes_cidr_format(&org->networks[0], buf);
    assert_string_equal(buf, "198.51.100.0/28");
    ermes_cidr_format(&org->networks[1], buf);
    assert_string_equal(buf, "2001:db8:7::/48");
    assert_int_equal(org->nasns, 1);
    assert_int_equal(org->asns[0], 64500);
    assert_int_equal(org->ndomains, 1);
    assert_string_equal(org->domains[0], "uma.example");
    assert_int_equal(org->has, ERMES_ORG_HAS_SHORT_NAME | ERMES_ORG_HAS_NAME |
                                   ERMES_ORG_HAS_COUNTRY | ERMES_ORG_HAS_SECTOR |
                                   ERMES_ORG_HAS_TYPE | ERMES_ORG_HAS_PARENT | ERMES_ORG_HAS_TLP |
                                   ERMES_ORG_HAS_CONTACTS | ERMES_ORG_HAS_NETWORKS |
                                   ERMES_ORG_HAS_ASNS | ERMES_ORG_HAS_DOMAINS);
    ermes__org_free(org);
}

static void test_minimal_and_defaults(void **state)
{
    ermes_diag_t d;
    ermes__org_t *org = NULL;

    (void)state;
    assert_int_equal(parse(doc_with("\"contacts\": [{\"email\": \"a@b.example\"}]"), 0, &d, &org),
                     0);
    /* New organisations are AMBER until told otherwise (TLP 2.0's safe default here). */
    assert_int_equal(org->meta.tlp, ERMES_TLP_AMBER);
    assert_null(org->country);
    assert_null(org->type);
    assert_int_equal(org->ncontacts, 1);
    assert_null(org->contacts[0].name);
    assert_string_equal(org->contacts[0].role, "abuse");
    assert_string_equal(org->contacts[0].language, "en");
    assert_int_equal(org->nnetworks + org->nasns + org->ndomains, 0);
    ermes__org_free(org);

    /* A contact takes the organisation's TLP unless it has its own. */
    assert_int_equal(parse(doc_with("\"tlp\": \"GREEN\", \"contacts\": [{\"email\": "
                                    "\"a@b.example\"}, {\"email\": \"c@d.example\", \"tlp\": "
                                    "\"RED\", \"role\": \"notification\"}]"),
                           0, &d, &org),
                     0);
    assert_int_equal(org->meta.tlp, ERMES_TLP_GREEN);
    assert_int_equal(org->contacts[0].meta.tlp, ERMES_TLP_GREEN);
    assert_int_equal(org->contacts[1].meta.tlp, ERMES_TLP_RED);
    assert_string_equal(org->contacts[1].role, "notification");
    ermes__org_free(org);

    /* Every TLP label, with the TLP: prefix and TLP 1.0's WHITE. */
    {
        static const struct {
            const char *text;
            ermes_tlp_t tlp;
        } labels[] = {{"CLEAR", ERMES_TLP_CLEAR},     {"green", ERMES_TLP_GREEN},
                      {"TLP:AMBER", ERMES_TLP_AMBER}, {"AMBER+STRICT", ERMES_TLP_AMBER_STRICT},
                      {"RED", ERMES_TLP_RED},         {"WHITE", ERMES_TLP_CLEAR}};
        for (size_t k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
            char extra[64];
            snprintf(extra, sizeof(extra), "\"tlp\": \"%s\"", labels[k].text);
            assert_int_equal(parse(doc_with(extra), 0, &d, &org), 0);
            assert_int_equal(org->meta.tlp, labels[k].tlp);
            ermes__org_free(org);
        }
    }
    /* Every organisation type. */
    {
        static const char *const types[] = {"institution", "body",        "agency",
                                            "office",      "directorate", "cert",
                                            "company",     "ministry",    "other"};
        for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
            char extra[64];
            snprintf(extra, sizeof(extra), "\"type\": \"%s\"", types[k]);
            assert_int_equal(parse(doc_with(extra), 0, &d, &org), 0);
            assert_string_equal(org->type, types[k]);
            ermes__org_free(org);
        }
    }
}

static void test_rejected_required(void **state)
{
    (void)state;
    check_rejected("{\"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": \"X\"}", "name");
    check_rejected("{\"short_name\": \"X\", \"name\": \"\"}", "name");
    check_rejected("{\"short_name\": \"X\", \"name\": null}", "name");
    check_rejected("{\"short_name\": null, \"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": 7, \"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": \"X\", \"name\": [\"X\"]}", "name");
    check_rejected("{\"short_name\": \"\", \"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": \"U M A\", \"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": \"UMA/2\", \"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": \"12345\", \"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": \"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\", \"name\": \"X\"}",
                   "short_name");
    check_rejected("{\"short_name\": \"\\u00e9\", \"name\": \"X\"}", "short_name");
    /* Words that are routes under /api/v1/organisations/ are reserved. */
    check_rejected("{\"short_name\": \"import\", \"name\": \"X\"}", "short_name");
    check_rejected("{\"short_name\": \"Export\", \"name\": \"X\"}", "short_name");
    check_rejected(doc_with("\"parent\": \"export\""), "parent");
    {
        char doc[512];
        char name[202];
        memset(name, 'n', 201);
        name[201] = '\0';
        snprintf(doc, sizeof(doc), "{\"short_name\": \"X\", \"name\": \"%s\"}", name);
        check_rejected(doc, "name");
    }
}

static void test_rejected_members(void **state)
{
    ermes_diag_t d;

    (void)state;
    /* Unknown member: the field names it. */
    check_rejected(doc_with("\"website\": \"https://uma.example\""), "website");
    check_rejected(doc_with("\"Short_name\": \"x\""), "Short_name");
    /* country */
    check_rejected(doc_with("\"country\": \"NLD\""), "country");
    check_rejected(doc_with("\"country\": \"N\""), "country");
    check_rejected(doc_with("\"country\": \"N1\""), "country");
    check_rejected(doc_with("\"country\": \"\""), "country");
    check_rejected(doc_with("\"country\": 31"), "country");
    /* type */
    check_rejected(doc_with("\"type\": \"university\""), "type");
    check_rejected(doc_with("\"type\": \"Agency\""), "type");
    check_rejected(doc_with("\"type\": 1"), "type");
    /* tlp */
    check_rejected(doc_with("\"tlp\": \"PURPLE\""), "tlp");
    check_rejected(doc_with("\"tlp\": \"\""), "tlp");
    check_rejected(doc_with("\"tlp\": \"AMBER STRICT\""), "tlp");
    check_rejected(doc_with("\"tlp\": null"), "tlp");
    check_rejected(doc_with("\"tlp\": 2"), "tlp");
    /* parent */
    check_rejected(doc_with("\"parent\": \"not a name\""), "parent");
    check_rejected(doc_with("\"parent\": 3"), "parent");
    /* sector */
    check_rejected(doc_with("\"sector\": false"), "sector");
    /* arrays that are not arrays */
    check_rejected(doc_with("\"networks\": \"198.51.100.0/28\""), "networks");
    check_rejected(doc_with("\"contacts\": {}"), "contacts");
    check_rejected(doc_with("\"asns\": 64500"), "asns");
    check_rejected(doc_with("\"domains\": \"uma.example\""), "domains");
    /* Not an object at all. */
    assert_int_equal(parse("[]", 0, &d, NULL), ERMES_EINVAL);
    assert_int_equal(parse("\"UMA\"", 1, &d, NULL), ERMES_EINVAL);
    assert_true(d.reason[0] != '\0');
}

static void test_rejected_networks(void **state)
{
    (void)state;
    check_rejected(doc_with("\"networks\": [\"198.51.100.0/28\", \"198.51.100.1/28\"]"),
                   "networks[1]");
    check_rejected(doc_with("\"networks\": [\"198.51.100.0/28\", \"198.51.100.0/33\"]"),
                   "networks[1]");
    check_rejected(doc_with("\"networks\": [\"banana\"]"), "networks[0]");
    check_rejected(doc_with("\"networks\": [\"\"]"), "networks[0]");
    check_rejected(doc_with("\"networks\": [\"2001:db8::/129\"]"), "networks[0]");
    check_rejected(doc_with("\"networks\": [\"010.1.1.0/24\"]"), "networks[0]");
    check_rejected(doc_with("\"networks\": [\"192.0.2.0/24\", \"192.0.2.0/24 \"]"), "networks[1]");
    check_rejected(doc_with("\"networks\": [\"192.0.2.0/24\", 3232235520]"), "networks[1]");
    check_rejected(doc_with("\"networks\": [null]"), "networks[0]");
    check_rejected(doc_with("\"networks\": [{\"net\": \"192.0.2.0/24\"}]"), "networks[0]");
}

static void test_rejected_contacts(void **state)
{
    (void)state;
    check_rejected(doc_with("\"contacts\": [\"abuse@uma.example\"]"), "contacts[0]");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"phone\": \"1\"}]"),
                   "contacts[0]");
    /* The member of a contact whose value is wrong is named. */
    check_rejected(doc_with("\"contacts\": [{\"name\": \"No mail\"}]"), "contacts[0].email");
    check_rejected(doc_with("\"contacts\": [{\"email\": null}]"), "contacts[0].email");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"not-an-address\"}]"),
                   "contacts[0].email");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\"}, {\"email\": "
                            "\"two@@b.example\"}]"),
                   "contacts[1].email");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a b@c.example\"}]"), "contacts[0].email");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\"}, {\"email\": 5}]"),
                   "contacts[1].email");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"name\": 5}]"),
                   "contacts[0].name");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"role\": "
                            "\"boss\"}]"),
                   "contacts[0].role");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"language\": "
                            "\"EN\"}]"),
                   "contacts[0].language");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"language\": "
                            "\"eng\"}]"),
                   "contacts[0].language");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"tlp\": "
                            "\"BLUE\"}]"),
                   "contacts[0].tlp");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"pgp_key\": "
                            "\"ssh-rsa AAAA\"}]"),
                   "contacts[0].pgp_key");
    check_rejected(doc_with("\"contacts\": [{\"email\": \"a@b.example\"}, {\"email\": "
                            "\"c@d.example\"}, {\"email\": \"e@f.example\", \"role\": 1}]"),
                   "contacts[2].role");
}

static void test_rejected_asns(void **state)
{
    (void)state;
    check_rejected(doc_with("\"asns\": [0]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"AS0\"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [4294967296]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"AS4294967296\"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"4294967296\"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [-1]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [64500.0]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [true]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"AS\"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"\"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"ASN64500\"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"AS 64500\"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [\"64500 \"]"), "asns[0]");
    check_rejected(doc_with("\"asns\": [64500, \"x\"]"), "asns[1]");
    check_rejected(doc_with("\"asns\": [64500, 1, null]"), "asns[2]");
}

static void test_rejected_domains(void **state)
{
    char label64[65], long_name[300], doc[512];

    (void)state;
    check_rejected(doc_with("\"domains\": [\"-uma.example\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"uma-.example\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"uma..example\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\".uma.example\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"uma.example..\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\".\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"uma example\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"uma!.example\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"m\\u00e9decins.example\"]"), "domains[0]");
    check_rejected(doc_with("\"domains\": [\"uma.example\", 5]"), "domains[1]");
    check_rejected(doc_with("\"domains\": [\"uma.example\", \"*.uma.example\"]"), "domains[1]");
    memset(label64, 'a', 64);
    label64[64] = '\0';
    snprintf(doc, sizeof(doc), "\"domains\": [\"%s.example\"]", label64);
    check_rejected(doc_with(doc), "domains[0]");
    /* 254 characters: one over. */
    memset(long_name, 'a', 254);
    for (int k = 63; k < 254; k += 64)
        long_name[k] = '.';
    long_name[254] = '\0';
    snprintf(doc, sizeof(doc), "\"domains\": [\"%s\"]", long_name);
    check_rejected(doc_with(doc), "domains[0]");
}

static void test_domain_normalised(void **state)
{
    ermes_diag_t d;
    ermes__org_t *org = NULL;
    char label63[64], name253[254], doc[512];

    (void)state;
    assert_int_equal(parse(doc_with("\"domains\": [\"UMA.Example\", \"Dept.UMA.example.\", "
                                    "\"xn--mdecins-bya.example\", \"_dmarc.uma.example\"]"),
                           0, &d, &org),
                     0);
    assert_int_equal(org->ndomains, 4);
    assert_string_equal(org->domains[0], "uma.example");
    assert_string_equal(org->domains[1], "dept.uma.example");
    assert_string_equal(org->domains[2], "xn--mdecins-bya.example");
    assert_string_equal(org->domains[3], "_dmarc.uma.example");
    ermes__org_free(org);

    /* The limits themselves: a 63-byte label, a 253-byte name (with its trailing dot). */
    memset(label63, 'b', 63);
    label63[63] = '\0';
    memset(name253, 'c', 253);
    for (int k = 63; k < 253; k += 64)
        name253[k] = '.';
    name253[253] = '\0';
    snprintf(doc, sizeof(doc), "\"domains\": [\"%s.example\", \"%s.\"]", label63, name253);
    assert_int_equal(parse(doc_with(doc), 0, &d, &org), 0);
    assert_int_equal(strlen(org->domains[1]), 253);
    ermes__org_free(org);

    /* ermes__org_check_domain directly. */
    {
        char s[] = "A.B.C.";
        ermes_diag_clear(&d);
        assert_int_equal(ermes__org_check_domain(s, &d), 0);
        assert_string_equal(s, "a.b.c");
        char t[] = "EXAMPLE";
        assert_int_equal(ermes__org_check_domain(t, NULL), 0);
        assert_string_equal(t, "example");
        char u[] = "a..";
        assert_int_equal(ermes__org_check_domain(u, NULL), ERMES_EINVAL);
    }
}

/* A domain string with a NUL in it is refused, as every other string member is, instead of
 * being cut at the NUL. */
static void test_domain_with_nul(void **state)
{
    json_t *doc = json_pack("{s:s, s:s, s:[o]}", "short_name", "ORG", "name", "Org", "domains",
                            json_stringn("uma.example\0evil", 16));
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int rc;

    (void)state;
    assert_non_null(doc);
    ermes_diag_clear(&d);
    rc = ermes__org_from_json(org, doc, 0, &d);
    json_decref(doc);
    ermes__org_free(org);
    assert_int_equal(rc, ERMES_EINVAL);
    assert_string_equal(d.field, "domains[0]");
}

/* Every string read from the document is refused when it holds a NUL, not only the members
 * read by get_str(): the list items and the labels too. */
static void test_strings_with_nul(void **state)
{
    static const struct {
        const char *extra, *field;
    } cases[] = {
        {"\"networks\": [\"10.0.0.0/8\\u0000x\"]", "networks[0]"},
        {"\"networks\": [{\"cidr\": \"10.0.0.0/8\\u0000\"}]", "networks[0]"},
        {"\"asns\": [\"AS1\\u00002\"]", "asns[0]"},
        {"\"asns\": [{\"asn\": \"64496\\u0000\"}]", "asns[0]"},
        {"\"domains\": [{\"domain\": \"uma.example\\u0000evil\"}]", "domains[0]"},
        {"\"tlp\": \"RED\\u0000\"", "tlp"},
        {"\"country\": \"N\\u0000\"", "country"},
        {"\"contacts\": [{\"email\": \"a@b.example\\u0000x\"}]", "contacts[0].email"},
        {"\"contacts\": [{\"email\": \"a@b.example\", \"name\": \"A\\u0000\"}]",
         "contacts[0].name"},
        {"\"contacts\": [{\"email\": \"a@b.example\", \"tlp\": \"RED\\u0000\"}]",
         "contacts[0].tlp"},
    };

    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        json_t *doc = json_loads(doc_with(cases[k].extra), JSON_ALLOW_NUL, NULL);
        ermes__org_t *org = ermes__org_new();
        ermes_diag_t d;
        int rc;
        assert_non_null(doc);
        ermes_diag_clear(&d);
        rc = ermes__org_from_json(org, doc, 0, &d);
        json_decref(doc);
        ermes__org_free(org);
        if (rc != ERMES_EINVAL || strcmp(d.field, cases[k].field) != 0)
            fail_msg("%s: got %s, field \"%s\"; want ERMES_EINVAL, \"%s\"", cases[k].extra,
                     ermes_errname(rc), d.field, cases[k].field);
    }
}

static void test_asn_parse(void **state)
{
    static const struct {
        const char *text;
        int rc;
        uint32_t asn;
    } cases[] = {
        {"AS64496", 0, 64496},
        {"as1", 0, 1},
        {"aS23", 0, 23},
        {"1", 0, 1},
        {"4294967295", 0, 4294967295u},
        {"AS4294967295", 0, 4294967295u},
        {"0064500", 0, 64500},
        {"0", ERMES_ERANGE, 0},
        {"AS0", ERMES_ERANGE, 0},
        {"AS00", ERMES_ERANGE, 0},
        {"4294967296", ERMES_ERANGE, 0},
        {"99999999999999999999999", ERMES_ERANGE, 0},
        {"", ERMES_EINVAL, 0},
        {"AS", ERMES_EINVAL, 0},
        {"A", ERMES_EINVAL, 0},
        {"ASN1", ERMES_EINVAL, 0},
        {"-1", ERMES_EINVAL, 0},
        {"+1", ERMES_EINVAL, 0},
        {" 1", ERMES_EINVAL, 0},
        {"1 ", ERMES_EINVAL, 0},
        {"1.5", ERMES_EINVAL, 0},
        {"0x10", ERMES_EINVAL, 0},
        {"AS1AS", ERMES_EINVAL, 0},
    };

    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t len = strlen(cases[k].text);
        char *p = malloc(len ? len : 1); /* no NUL: a read past len fails under ASan */
        uint32_t asn = 7;
        int rc;
        assert_non_null(p);
        memcpy(p, cases[k].text, len);
        rc = ermes__org_parse_asn(p, len, &asn);
        free(p);
        if (rc != cases[k].rc)
            fail_msg("\"%s\": got %s, want %s", cases[k].text, ermes_errname(rc),
                     ermes_errname(cases[k].rc));
        /* On failure the output is untouched. */
        assert_int_equal(asn, rc ? 7 : cases[k].asn);
    }
}

static void test_asns_in_json(void **state)
{
    ermes_diag_t d;
    ermes__org_t *org = NULL;

    (void)state;
    assert_int_equal(parse(doc_with("\"asns\": [\"AS64496\", \"as1\", 64500, 4294967295, "
                                    "{\"asn\": 65000}, \"AS4200000000\"]"),
                           0, &d, &org),
                     0);
    assert_int_equal(org->nasns, 6);
    assert_int_equal(org->asns[0], 64496);
    assert_int_equal(org->asns[1], 1);
    assert_int_equal(org->asns[2], 64500);
    assert_int_equal(org->asns[3], 4294967295u);
    assert_int_equal(org->asns[4], 65000);
    assert_int_equal(org->asns[5], 4200000000u);
    ermes__org_free(org);
}

static void test_check_helpers(void **state)
{
    ermes_diag_t d;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__org_check_short_name("UMA", &d), 0);
    assert_int_equal(ermes__org_check_short_name("dg-it_2.0", &d), 0);
    assert_int_equal(ermes__org_check_short_name("A23", &d), 0);
    assert_int_equal(ermes__org_check_short_name("0123", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_short_name("", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_short_name("a;b", &d), ERMES_EINVAL);
    assert_string_equal(d.field, "short_name");
    assert_int_equal(ermes__org_check_short_name("01234567890123456789012345678901x", NULL),
                     ERMES_EINVAL);
    assert_int_equal(ermes__org_check_short_name("A0123456789012345678901234567890", NULL), 0);

    assert_int_equal(ermes__org_check_email("abuse@uma.example", &d), 0);
    assert_int_equal(ermes__org_check_email("first.last+tag@sub.uma.example", &d), 0);
    assert_int_equal(ermes__org_check_email("abuse", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("@uma.example", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("abuse@", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("abuse@localhost", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("abuse@.example", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("abuse@uma.example.", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("a@b@uma.example", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("<abuse@uma.example>", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("a,b@uma.example", &d), ERMES_EINVAL);
    assert_int_equal(ermes__org_check_email("a\tb@uma.example", NULL), ERMES_EINVAL);
}

static void test_partial(void **state)
{
    ermes_diag_t d;
    ermes__org_t *org = NULL;

    (void)state;
    assert_int_equal(parse("{}", 1, &d, &org), 0);
    assert_int_equal(org->has, 0);
    ermes__org_free(org);

    assert_int_equal(parse("{\"name\": \"Renamed\"}", 1, &d, &org), 0);
    assert_int_equal(org->has, ERMES_ORG_HAS_NAME);
    assert_string_equal(org->name, "Renamed");
    assert_null(org->short_name);
    ermes__org_free(org);

    assert_int_equal(parse("{\"tlp\": \"RED\", \"networks\": [], \"parent\": null}", 1, &d, &org),
                     0);
    assert_int_equal(org->has, ERMES_ORG_HAS_TLP | ERMES_ORG_HAS_NETWORKS | ERMES_ORG_HAS_PARENT);
    assert_int_equal(org->meta.tlp, ERMES_TLP_RED);
    assert_int_equal(org->nnetworks, 0);
    assert_null(org->parent);
    ermes__org_free(org);

    /* null for an array is present (and empty); null for a string clears it. */
    assert_int_equal(parse("{\"domains\": null, \"country\": null, \"sector\": null, "
                           "\"type\": null}",
                           1, &d, &org),
                     0);
    assert_int_equal(org->has, ERMES_ORG_HAS_DOMAINS | ERMES_ORG_HAS_COUNTRY |
                                   ERMES_ORG_HAS_SECTOR | ERMES_ORG_HAS_TYPE);
    assert_null(org->country);
    ermes__org_free(org);

    assert_int_equal(parse("{\"short_name\": \"NEW\", \"contacts\": [{\"email\": "
                           "\"a@b.example\"}], \"asns\": [1], \"country\": \"de\"}",
                           1, &d, &org),
                     0);
    assert_int_equal(org->has, ERMES_ORG_HAS_SHORT_NAME | ERMES_ORG_HAS_CONTACTS |
                                   ERMES_ORG_HAS_ASNS | ERMES_ORG_HAS_COUNTRY);
    /* Country codes are upper-cased. */
    assert_string_equal(org->country, "DE");
    ermes__org_free(org);

    /* Partial documents are still validated. */
    check_rejected_rc("{\"name\": \"\"}", 1, "name", ERMES_EINVAL);
    check_rejected_rc("{\"name\": null}", 1, "name", ERMES_EINVAL);
    check_rejected_rc("{\"short_name\": \"a b\"}", 1, "short_name", ERMES_EINVAL);
    check_rejected_rc("{\"networks\": [\"x\"]}", 1, "networks[0]", ERMES_EINVAL);
    check_rejected_rc("{\"id\": 3, \"colour\": 1}", 1, "colour", ERMES_EINVAL);
    check_rejected_rc("{\"asns\": [0]}", 1, "asns[0]", ERMES_EINVAL);
}

/* short_name cannot be cleared by a partial update, any more than name can. */
static void test_partial_short_name_null(void **state)
{
    ermes_diag_t d;
    int rc;

    (void)state;
    rc = parse("{\"short_name\": null}", 1, &d, NULL);
    assert_int_equal(rc, ERMES_EINVAL);
    assert_string_equal(d.field, "short_name");
    /* Absent is still fine: the short name is kept. */
    assert_int_equal(parse("{\"country\": \"NL\"}", 1, &d, NULL), 0);
}

/* to_json then from_json gives the same organisation, and to_json of that the same JSON. */
static void check_round_trip(const char *text)
{
    ermes_diag_t d;
    ermes__org_t *org = NULL, *again = ermes__org_new();
    json_t *j1, *j2;

    assert_int_equal(parse(text, 0, &d, &org), 0);
    org->meta.id = 42;
    org->meta.created_at = 1795400871123;
    org->meta.updated_at = 1795400871124;
    j1 = ermes__org_to_json(org);
    assert_non_null(j1);
    ermes_diag_clear(&d);
    if (ermes__org_from_json(again, j1, 0, &d) != 0)
        fail_msg("round trip of %s fails: %s: %s", text, d.field, d.reason);
    again->meta.id = 42;
    again->meta.created_at = 1795400871123;
    again->meta.updated_at = 1795400871124;
    j2 = ermes__org_to_json(again);
    assert_non_null(j2);
    if (!json_equal(j1, j2)) {
        char *a = json_dumps(j1, JSON_SORT_KEYS), *b = json_dumps(j2, JSON_SORT_KEYS);
        fail_msg("round trip differs:\n%s\n%s", a, b);
    }
    json_decref(j1);
    json_decref(j2);
    ermes__org_free(org);
    ermes__org_free(again);
}

static void test_to_json(void **state)
{
    ermes_diag_t d;
    ermes__org_t *org = NULL;
    json_t *j, *c;

    (void)state;
    assert_int_equal(parse(api_doc, 0, &d, &org), 0);
    org->meta.id = 7;
    org->meta.created_at = 1795400871123;
    org->meta.updated_at = 1795400871123;
    org->owner = ermes__org_strdup(org, "CERT");
    j = ermes__org_to_json(org);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 7);
    assert_string_equal(json_string_value(json_object_get(j, "short_name")), "UMA");
    assert_string_equal(json_string_value(json_object_get(j, "tlp")), "AMBER");
    assert_string_equal(json_string_value(json_object_get(j, "owner")), "CERT");
    assert_true(json_is_null(json_object_get(j, "parent")));
    assert_string_equal(json_string_value(json_object_get(j, "created_at")),
                        "2026-11-23T02:27:51.123Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "networks"), 1)),
                        "2001:db8:7::/48");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "asns"), 0)), 64500);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "domains"), 0)),
                        "uma.example");
    c = json_array_get(json_object_get(j, "contacts"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "email")), "abuse@uma.example");
    assert_string_equal(json_string_value(json_object_get(c, "tlp")), "AMBER");
    /* Contacts not yet stored carry no id; no pgp_key member when there is none. */
    assert_null(json_object_get(c, "id"));
    assert_null(json_object_get(c, "pgp_key"));
    json_decref(j);
    ermes__org_free(org);
}

static void test_round_trip(void **state)
{
    (void)state;
    check_round_trip(api_doc);
    check_round_trip(doc_with(""));
    check_round_trip(doc_with("\"country\": \"fr\", \"sector\": \"\", \"type\": \"other\", "
                              "\"parent\": \"UP\", \"tlp\": \"tlp:amber+strict\""));
    check_round_trip(
        doc_with("\"contacts\": [{\"email\": \"a@b.example\", \"pgp_key\": \"-----BEGIN PGP PUBLIC "
                 "KEY BLOCK-----\\nxyz\\n-----END PGP PUBLIC KEY BLOCK-----\\n\"}, {\"email\": "
                 "\"c@d.example\", \"name\": \"\\u00c9quipe \\\"abuse\\\"\", \"role\": \"cert\", "
                 "\"language\": \"fr\", \"tlp\": \"CLEAR\"}]"));
    check_round_trip(doc_with("\"networks\": [\"2001:DB8:0:0:0:0:0:0/32\", \"0.0.0.0/0\", "
                              "\"::/0\", \"192.0.2.7\", \"::ffff:192.0.2.0/120\", "
                              "{\"cidr\": \"10.0.0.0/8\"}]"));
    check_round_trip(doc_with("\"asns\": [\"AS1\", 4294967295], \"domains\": [\"A.B.\", "
                              "{\"domain\": \"c.example\"}]"));
}

static void test_many_parts(void **state)
{
    json_t *doc = json_pack("{s:s, s:s}", "short_name", "BIG", "name", "Big");
    json_t *nets = json_array(), *asns = json_array();
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;

    (void)state;
    for (unsigned k = 0; k < 3000; k++) {
        char text[32];
        snprintf(text, sizeof(text), "10.%u.%u.0/24", k / 256, k % 256);
        json_array_append_new(nets, json_string(text));
        json_array_append_new(asns, json_integer(k + 1));
    }
    json_object_set_new(doc, "networks", nets);
    json_object_set_new(doc, "asns", asns);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__org_from_json(org, doc, 0, &d), 0);
    assert_int_equal(org->nnetworks, 3000);
    assert_int_equal(org->nasns, 3000);
    for (unsigned k = 0; k < 3000; k++) {
        assert_int_equal(org->asns[k], k + 1);
        assert_int_equal(org->networks[k].addr.bytes[1], k / 256);
        assert_int_equal(org->networks[k].addr.bytes[2], k % 256);
    }
    json_decref(doc);
    ermes__org_free(org);
}

static void test_too_many_parts(void **state)
{
    json_t *doc = json_pack("{s:s, s:s}", "short_name", "BIG", "name", "Big");
    json_t *asns = json_array();
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;

    (void)state;
    for (unsigned k = 0; k <= ERMES_ORG_MAX_ITEMS; k++)
        json_array_append_new(asns, json_integer(1));
    json_object_set_new(doc, "asns", asns);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__org_from_json(org, doc, 0, &d), ERMES_ETOOBIG);
    assert_string_equal(d.field, "asns");
    json_decref(doc);
    ermes__org_free(org);
}

static void test_out_of_memory(void **state)
{
    json_t *doc = load(api_doc);
    ermes_diag_t d;
    int rc = ERMES_ENOMEM;

    (void)state;
    /* Each allocation of the model fails in turn: ENOMEM, never a crash or a leak. */
    for (long n = 0; n < 1000 && rc == ERMES_ENOMEM; n++) {
        ermes__org_t *org;
        ermes__alloc_fail_after(n);
        org = ermes__org_new();
        if (org) {
            ermes_diag_clear(&d);
            rc = ermes__org_from_json(org, doc, 0, &d);
        }
        ermes__alloc_fail_after(-1);
        ermes__org_free(org);
        if (rc != 0 && rc != ERMES_ENOMEM)
            fail_msg("allocation %ld failing gave %s", n, ermes_errname(rc));
    }
    assert_int_equal(rc, 0);
    json_decref(doc);
}

/* Runs fn in a child; returns its exit status (crashes give a non-zero one). */
static int in_child(void (*fn)(void))
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child must die of its crash, not return into the test runner's handler. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        signal(SIGFPE, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void no_diag_cases(void)
{
    static const char *const docs[] = {
        "{\"short_name\": \"X\", \"name\": \"X\", \"networks\": [\"nonsense\"]}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"domains\": [\"-x\"]}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"parent\": \"a b\"}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"contacts\": [{\"email\": \"x\"}]}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"networks\": [\"10.0.0.0/8\\u0000x\"]}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"domains\": [\"x.example\\u0000evil\"]}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"asns\": [\"AS1\\u00002\"]}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"tlp\": \"RED\\u0000\"}",
        "{\"short_name\": \"X\", \"name\": \"X\", \"contacts\": [{\"email\":"
        " \"a@x.example\", \"name\": \"A\\u0000B\"}]}",
    };

    for (size_t k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
        json_t *j = json_loads(docs[k], JSON_ALLOW_NUL, NULL);
        ermes__org_t *org = ermes__org_new();
        if (ermes__org_from_json(org, j, 0, NULL) != ERMES_EINVAL)
            _exit(10 + (int)k);
        ermes__org_free(org);
        json_decref(j);
    }
}

/* The diagnostic is optional, as for every other parser (ermes_diag_set() accepts NULL). */
static void test_from_json_without_diag(void **state)
{
    (void)state;
    assert_int_equal(in_child(no_diag_cases), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_document),      cmocka_unit_test(test_minimal_and_defaults),
        cmocka_unit_test(test_rejected_required), cmocka_unit_test(test_rejected_members),
        cmocka_unit_test(test_rejected_networks), cmocka_unit_test(test_rejected_contacts),
        cmocka_unit_test(test_rejected_asns),     cmocka_unit_test(test_rejected_domains),
        cmocka_unit_test(test_domain_normalised), cmocka_unit_test(test_domain_with_nul),
        cmocka_unit_test(test_strings_with_nul),  cmocka_unit_test(test_asn_parse),
        cmocka_unit_test(test_asns_in_json),      cmocka_unit_test(test_check_helpers),
        cmocka_unit_test(test_partial),           cmocka_unit_test(test_partial_short_name_null),
        cmocka_unit_test(test_to_json),           cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_many_parts),        cmocka_unit_test(test_too_many_parts),
        cmocka_unit_test(test_out_of_memory),     cmocka_unit_test(test_from_json_without_diag),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
