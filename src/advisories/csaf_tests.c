/* The mandatory tests of CSAF 2.0 (section 6.1), each a function named after its number.
 * They read the parsed document defensively: the schema may have failed, so every value is
 * checked for its type before use, and a test whose input is missing or of the wrong type
 * does not fire (the schema's failure already says what is wrong). */
#include "advisories/csaf_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/time.h"
#include "ermes/cvss.h"

typedef ermes__csaf_ctx_t ctx_t;

/* ---- small accessors ---- */

static int eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* A set of strings (csaf_int.h); members borrowed from the document. */
typedef ermes__csaf_set_t set_t;

static int in(const set_t *set, const char *s)
{
    return ermes__csaf_set_has(set, s);
}

static void put(set_t *set, const char *s)
{
    ermes__csaf_set_add(set, s);
}

/* The document's category and tracking. */
static const char *category(ctx_t *c)
{
    return csaf_str(csaf_get(c->doc, "document"), "category");
}

static const ermes__csaf_node_t *tracking(ctx_t *c)
{
    return csaf_get(csaf_get(c->doc, "document"), "tracking");
}

/* ---- product ids: definitions and references ---- */

/* at is where the id stands, written (ermes__csaf_at_write) only by a callback that reports. */
typedef void (*id_cb)(ctx_t *c, void *arg, const char *id, const ermes__csaf_at_t *at);

/* The paths of product ids were written into buffers of these sizes, level by level, when
 * every id had its path written; writing into one of the same size keeps their bytes (a cut
 * of a cut at the same length is the same cut). */
#define BRANCH_PATH 1024
#define REF_PATH 512

static void branch_products(ctx_t *c, const ermes__csaf_node_t *branches,
                            const ermes__csaf_at_t *at, id_cb cb, void *arg, int depth)
{
    size_t i;
    const ermes__csaf_node_t *b;

    if (!ermes__csaf_is_array(branches) || depth > 64)
        return;
    ermes__csaf_foreach(branches, i, b)
    {
        const char *id = csaf_str(csaf_get(b, "product"), "product_id");
        if (id) {
            ermes__csaf_at_t here = {at, "/product/product_id", NULL, i, 1};
            cb(c, arg, id, &here);
        }
        ermes__csaf_at_t sub = {at, "/branches", NULL, i, 1};
        branch_products(c, csaf_get(b, "branches"), &sub, cb, arg, depth + 1);
    }
}

/* Calls cb for each product id defined in the product tree, in document order. */
static void each_definition(ctx_t *c, id_cb cb, void *arg)
{
    const ermes__csaf_node_t *tree = csaf_get(c->doc, "product_tree"), *a, *v;
    size_t i;
    const ermes__csaf_at_t branches = {NULL, "/product_tree/branches", NULL, 0, 0};
    const ermes__csaf_at_t names = {NULL, "/product_tree/full_product_names", NULL, 0, 0};
    const ermes__csaf_at_t rels = {NULL, "/product_tree/relationships", NULL, 0, 0};

    branch_products(c, csaf_get(tree, "branches"), &branches, cb, arg, 0);
    if ((a = csaf_arr(tree, "full_product_names")))
        ermes__csaf_foreach(a, i, v) if (csaf_str(v, "product_id"))
        {
            ermes__csaf_at_t here = {&names, "/product_id", NULL, i, 1};
            cb(c, arg, csaf_str(v, "product_id"), &here);
        }
    if ((a = csaf_arr(tree, "relationships")))
        ermes__csaf_foreach(a, i, v) if (csaf_str(csaf_get(v, "full_product_name"), "product_id"))
        {
            ermes__csaf_at_t here = {&rels, "/full_product_name/product_id", NULL, i, 1};
            cb(c, arg, csaf_str(csaf_get(v, "full_product_name"), "product_id"), &here);
        }
}

/* Every product reference of a document passes here: the list at list_at, each item its index
 * below it. */
static void ids_of(ctx_t *c, const ermes__csaf_node_t *list, const ermes__csaf_at_t *list_at,
                   id_cb cb, void *arg)
{
    size_t i;
    const ermes__csaf_node_t *v;

    if (!ermes__csaf_is_array(list))
        return;
    ermes__csaf_foreach(list, i, v) if (ermes__csaf_is_string(v))
    {
        ermes__csaf_at_t here = {list_at, NULL, NULL, i, 1};
        cb(c, arg, ermes__csaf_string(v), &here);
    }
}

static const char *const status_names[] = {"first_affected", "first_fixed",         "fixed",
                                           "known_affected", "known_not_affected",  "last_affected",
                                           "recommended",    "under_investigation", NULL};

/* Calls cb for each reference to a product id (section 6.1.1's list). */
static void each_product_ref(ctx_t *c, id_cb cb, void *arg)
{
    const ermes__csaf_node_t *tree = csaf_get(c->doc, "product_tree"), *a, *v, *vulns;
    size_t i, j;
    const ermes__csaf_at_t groups = {NULL, "/product_tree/product_groups", NULL, 0, 0};
    const ermes__csaf_at_t rels = {NULL, "/product_tree/relationships", NULL, 0, 0};
    const ermes__csaf_at_t vuln_list = {NULL, "/vulnerabilities", NULL, 0, 0};

    if ((a = csaf_arr(tree, "product_groups")))
        ermes__csaf_foreach(a, i, v)
        {
            ermes__csaf_at_t list = {&groups, "/product_ids", NULL, i, 1};
            ids_of(c, csaf_get(v, "product_ids"), &list, cb, arg);
        }
    if ((a = csaf_arr(tree, "relationships")))
        ermes__csaf_foreach(a, i, v)
        {
            if (csaf_str(v, "product_reference")) {
                ermes__csaf_at_t here = {&rels, "/product_reference", NULL, i, 1};
                cb(c, arg, csaf_str(v, "product_reference"), &here);
            }
            if (csaf_str(v, "relates_to_product_reference")) {
                ermes__csaf_at_t here = {&rels, "/relates_to_product_reference", NULL, i, 1};
                cb(c, arg, csaf_str(v, "relates_to_product_reference"), &here);
            }
        }
    if (!(vulns = csaf_arr(c->doc, "vulnerabilities")))
        return;
    ermes__csaf_foreach(vulns, i, v)
    {
        const ermes__csaf_node_t *ps = csaf_get(v, "product_status"), *x;
        for (int k = 0; status_names[k]; k++) {
            ermes__csaf_at_t list = {&vuln_list, "/product_status/", status_names[k], i, 1};
            ids_of(c, csaf_get(ps, status_names[k]), &list, cb, arg);
        }
        static const struct {
            const char *list, *ids;
        } lists[] = {{"/remediations", "/product_ids"},
                     {"/scores", "/products"},
                     {"/threats", "/product_ids"},
                     {"/flags", "/product_ids"}};
        for (size_t l = 0; l < sizeof(lists) / sizeof(*lists); l++)
            if ((a = csaf_arr(v, lists[l].list + 1))) {
                ermes__csaf_at_t in_vuln = {&vuln_list, lists[l].list, NULL, i, 1};
                ermes__csaf_foreach(a, j, x)
                {
                    ermes__csaf_at_t list = {&in_vuln, lists[l].ids, NULL, j, 1};
                    ids_of(c, csaf_get(x, lists[l].ids + 1), &list, cb, arg);
                }
            }
    }
}

static void add_cb(ctx_t *c, void *arg, const char *id, const ermes__csaf_at_t *at)
{
    (void)c;
    (void)at;
    put(arg, id);
}

/* 6.1.1 Missing Definition of Product ID; the references are also 6.2.1's set. */
static void missing_cb(ctx_t *c, void *arg, const char *id, const ermes__csaf_at_t *at)
{
    if (c->referenced)
        put(c->referenced, id);
    if (!in(arg, id)) {
        char p[REF_PATH];
        ermes__csaf_at_write(p, sizeof(p), at);
        ermes__csaf_fail(c, "6.1.1", p, "definition of product id \"%s\" missing", id);
    }
}

static void test_6_1_1(ctx_t *c, set_t *defined)
{
    each_product_ref(c, missing_cb, defined);
}

/* 6.1.2 Multiple Definition of Product ID */
static void twice_cb(ctx_t *c, void *arg, const char *id, const ermes__csaf_at_t *at)
{
    if (in(arg, id)) {
        /* A branch's path was written into 1,024 bytes; the lists' paths (into 256) are
         * under 100 bytes, which 1,024 leaves as they were. */
        char p[BRANCH_PATH];
        ermes__csaf_at_write(p, sizeof(p), at);
        ermes__csaf_fail(c, "6.1.2", p, "product id \"%s\" is defined more than once", id);
    }
    put(arg, id);
}

static void test_6_1_2(ctx_t *c)
{
    set_t seen;

    ermes__csaf_set_init(&seen, &c->rc);
    each_definition(c, twice_cb, &seen);
    ermes__csaf_set_cleanup(&seen);
}

/* 6.1.3 Circular Definition of Product ID: a relationship's product must not be needed,
 * directly or through other relationships, to build itself. */
static int reaches(const ermes__csaf_node_t *rels, const char *from, const char *target, int depth)
{
    size_t i;
    const ermes__csaf_node_t *v;

    if (depth > 64)
        return 0;
    ermes__csaf_foreach(rels, i, v)
    {
        if (!eq(csaf_str(csaf_get(v, "full_product_name"), "product_id"), from))
            continue;
        const char *refs[2] = {csaf_str(v, "product_reference"),
                               csaf_str(v, "relates_to_product_reference")};
        for (int k = 0; k < 2; k++)
            if (refs[k] && (eq(refs[k], target) || reaches(rels, refs[k], target, depth + 1)))
                return 1;
    }
    return 0;
}

static void test_6_1_3(ctx_t *c)
{
    const ermes__csaf_node_t *rels = csaf_arr(csaf_get(c->doc, "product_tree"), "relationships"),
                             *v;
    size_t i;
    char p[256];

    if (!rels)
        return;
    ermes__csaf_foreach(rels, i, v)
    {
        const char *id = csaf_str(csaf_get(v, "full_product_name"), "product_id");
        if (id && reaches(rels, id, id, 0)) {
            ermes__csaf_pathf(p, sizeof(p), "/product_tree/relationships/%zu", i);
            ermes__csaf_fail(c, "6.1.3", p, "product id \"%s\" is defined through itself", id);
        }
    }
}

/* 6.1.4 Missing Definition of Product Group ID, 6.1.5 Multiple Definition of Product Group ID */
static void test_6_1_4_5(ctx_t *c)
{
    const ermes__csaf_node_t *groups = csaf_arr(csaf_get(c->doc, "product_tree"), "product_groups");
    const ermes__csaf_node_t *vulns = csaf_arr(c->doc, "vulnerabilities"), *v, *x, *g;
    size_t i, j, k;
    char p[256];
    set_t defined;

    ermes__csaf_set_init(&defined, &c->rc);

    if (groups)
        ermes__csaf_foreach(groups, i, g)
        {
            const char *id = csaf_str(g, "group_id");
            if (id && in(&defined, id)) {
                ermes__csaf_pathf(p, sizeof(p), "/product_tree/product_groups/%zu/group_id", i);
                ermes__csaf_fail(c, "6.1.5", p, "product group id \"%s\" is defined more than once",
                                 id);
            }
            put(&defined, id);
        }
    if (vulns)
        ermes__csaf_foreach(vulns, i, v)
        {
            static const char *const lists[] = {"remediations", "threats", "flags"};
            for (int l = 0; l < 3; l++)
                ermes__csaf_foreach(csaf_arr(v, lists[l]), j, x)
                {
                    const ermes__csaf_node_t *ids = csaf_arr(x, "group_ids"), *id;
                    ermes__csaf_foreach(ids, k, id) if (ermes__csaf_is_string(id) &&
                                                        !in(&defined, ermes__csaf_string(id)))
                    {
                        ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/%s/%zu/group_ids/%zu",
                                          i, lists[l], j, k);
                        ermes__csaf_fail(c, "6.1.4", p,
                                         "definition of product group id \"%s\" missing",
                                         ermes__csaf_string(id));
                    }
                }
        }
    ermes__csaf_set_cleanup(&defined);
}

/* 6.1.6 Contradicting Product Status: the affected, not affected, fixed and under
 * investigation groups are disjoint. */
static void test_6_1_6(ctx_t *c)
{
    static const char *const groups[4][4] = {
        {"first_affected", "known_affected", "last_affected", NULL},
        {"known_not_affected", NULL},
        {"first_fixed", "fixed", NULL},
        {"under_investigation", NULL}};
    const ermes__csaf_node_t *v;
    size_t i;
    char p[128];
    set_t seen, reported, mine;

    ermes__csaf_set_init(&seen, &c->rc);
    ermes__csaf_set_init(&reported, &c->rc);
    ermes__csaf_set_init(&mine, &c->rc);
    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        const ermes__csaf_node_t *ps = csaf_get(v, "product_status");
        if (!ps)
            continue;
        ermes__csaf_set_cleanup(&seen);
        ermes__csaf_set_cleanup(&reported);
        for (int g = 0; g < 4; g++) {
            ermes__csaf_set_cleanup(&mine);
            for (int k = 0; groups[g][k]; k++) {
                size_t j;
                const ermes__csaf_node_t *id;
                ermes__csaf_foreach(csaf_arr(ps, groups[g][k]), j, id)
                {
                    const char *s = ermes__csaf_string(id);
                    if (!s)
                        continue;
                    /* Hashed once for the four sets (hashing it for each was 1 % of a
                     * validation's instructions). */
                    uint32_t h = ermes__csaf_set_hash(s);
                    if (ermes__csaf_set_has_hashed(&seen, s, h) &&
                        !ermes__csaf_set_has_hashed(&mine, s, h) &&
                        !ermes__csaf_set_has_hashed(&reported, s, h)) {
                        ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/product_status", i);
                        ermes__csaf_fail(c, "6.1.6", p,
                                         "product id \"%s\" is in contradicting product status "
                                         "groups",
                                         s);
                        ermes__csaf_set_add_hashed(&reported, s, h);
                    }
                    ermes__csaf_set_add_hashed(&mine, s, h);
                }
            }
            for (size_t k = 0; k < mine.n; k++)
                ermes__csaf_set_add_hashed(&seen, mine.key[k], mine.hash[k]);
        }
    }
    ermes__csaf_set_cleanup(&seen);
    ermes__csaf_set_cleanup(&reported);
    ermes__csaf_set_cleanup(&mine);
}

/* 6.1.7 Multiple Scores with same Version per Product */
static void test_6_1_7(ctx_t *c)
{
    const ermes__csaf_node_t *v, *s, *pid;
    size_t i, j, k;
    char p[256], key[600];

    set_t seen;

    ermes__csaf_set_init(&seen, &c->rc);
    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        ermes__csaf_set_cleanup(&seen);
        ermes__csaf_foreach(csaf_arr(v, "scores"), j, s)
        {
            const char *versions[2] = {csaf_str(csaf_get(s, "cvss_v2"), "version"),
                                       csaf_str(csaf_get(s, "cvss_v3"), "version")};
            ermes__csaf_foreach(csaf_arr(s, "products"), k, pid)
            {
                const char *id = ermes__csaf_string(pid);
                if (!id)
                    continue;
                int dup = 0;
                for (int m = 0; m < 2; m++) {
                    if (!versions[m])
                        continue;
                    ermes__csaf_pathf(key, sizeof(key), "%s\n%s", versions[m], id);
                    dup |= in(&seen, key);
                }
                if (dup) {
                    ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/scores/%zu/products/%zu",
                                      i, j, k);
                    ermes__csaf_fail(c, "6.1.7", p,
                                     "product \"%s\" has a second score of the same CVSS version",
                                     id);
                }
                for (int m = 0; m < 2; m++)
                    if (versions[m]) {
                        ermes__csaf_pathf(key, sizeof(key), "%s\n%s", versions[m], id);
                        ermes__csaf_set_add_copy(&seen, key);
                    }
            }
        }
    }
    ermes__csaf_set_cleanup(&seen);
}

/* 6.1.9 Invalid CVSS computation, 6.1.10 Inconsistent CVSS */

typedef struct cvss_map {
    const char *property, *metric;
    const char *names[7], *codes[7];
} cvss_map_t;

static const cvss_map_t v3_map[] = {
    {"attackVector",
     "AV",
     {"NETWORK", "ADJACENT_NETWORK", "LOCAL", "PHYSICAL"},
     {"N", "A", "L", "P"}},
    {"attackComplexity", "AC", {"LOW", "HIGH"}, {"L", "H"}},
    {"privilegesRequired", "PR", {"NONE", "LOW", "HIGH"}, {"N", "L", "H"}},
    {"userInteraction", "UI", {"NONE", "REQUIRED"}, {"N", "R"}},
    {"scope", "S", {"UNCHANGED", "CHANGED"}, {"U", "C"}},
    {"confidentialityImpact", "C", {"NONE", "LOW", "HIGH"}, {"N", "L", "H"}},
    {"integrityImpact", "I", {"NONE", "LOW", "HIGH"}, {"N", "L", "H"}},
    {"availabilityImpact", "A", {"NONE", "LOW", "HIGH"}, {"N", "L", "H"}},
    {"exploitCodeMaturity",
     "E",
     {"NOT_DEFINED", "UNPROVEN", "PROOF_OF_CONCEPT", "FUNCTIONAL", "HIGH"},
     {"X", "U", "P", "F", "H"}},
    {"remediationLevel",
     "RL",
     {"NOT_DEFINED", "OFFICIAL_FIX", "TEMPORARY_FIX", "WORKAROUND", "UNAVAILABLE"},
     {"X", "O", "T", "W", "U"}},
    {"reportConfidence",
     "RC",
     {"NOT_DEFINED", "UNKNOWN", "REASONABLE", "CONFIRMED"},
     {"X", "U", "R", "C"}},
    {"confidentialityRequirement",
     "CR",
     {"NOT_DEFINED", "LOW", "MEDIUM", "HIGH"},
     {"X", "L", "M", "H"}},
    {"integrityRequirement", "IR", {"NOT_DEFINED", "LOW", "MEDIUM", "HIGH"}, {"X", "L", "M", "H"}},
    {"availabilityRequirement",
     "AR",
     {"NOT_DEFINED", "LOW", "MEDIUM", "HIGH"},
     {"X", "L", "M", "H"}},
    {"modifiedAttackVector",
     "MAV",
     {"NOT_DEFINED", "NETWORK", "ADJACENT_NETWORK", "LOCAL", "PHYSICAL"},
     {"X", "N", "A", "L", "P"}},
    {"modifiedAttackComplexity", "MAC", {"NOT_DEFINED", "LOW", "HIGH"}, {"X", "L", "H"}},
    {"modifiedPrivilegesRequired",
     "MPR",
     {"NOT_DEFINED", "NONE", "LOW", "HIGH"},
     {"X", "N", "L", "H"}},
    {"modifiedUserInteraction", "MUI", {"NOT_DEFINED", "NONE", "REQUIRED"}, {"X", "N", "R"}},
    {"modifiedScope", "MS", {"NOT_DEFINED", "UNCHANGED", "CHANGED"}, {"X", "U", "C"}},
    {"modifiedConfidentialityImpact",
     "MC",
     {"NOT_DEFINED", "NONE", "LOW", "HIGH"},
     {"X", "N", "L", "H"}},
    {"modifiedIntegrityImpact", "MI", {"NOT_DEFINED", "NONE", "LOW", "HIGH"}, {"X", "N", "L", "H"}},
    {"modifiedAvailabilityImpact",
     "MA",
     {"NOT_DEFINED", "NONE", "LOW", "HIGH"},
     {"X", "N", "L", "H"}},
    {NULL, NULL, {NULL}, {NULL}},
};

static const cvss_map_t v2_map[] = {
    {"accessVector", "AV", {"NETWORK", "ADJACENT_NETWORK", "LOCAL"}, {"N", "A", "L"}},
    {"accessComplexity", "AC", {"HIGH", "MEDIUM", "LOW"}, {"H", "M", "L"}},
    {"authentication", "Au", {"MULTIPLE", "SINGLE", "NONE"}, {"M", "S", "N"}},
    {"confidentialityImpact", "C", {"NONE", "PARTIAL", "COMPLETE"}, {"N", "P", "C"}},
    {"integrityImpact", "I", {"NONE", "PARTIAL", "COMPLETE"}, {"N", "P", "C"}},
    {"availabilityImpact", "A", {"NONE", "PARTIAL", "COMPLETE"}, {"N", "P", "C"}},
    {"exploitability",
     "E",
     {"UNPROVEN", "PROOF_OF_CONCEPT", "FUNCTIONAL", "HIGH", "NOT_DEFINED"},
     {"U", "POC", "F", "H", "ND"}},
    {"remediationLevel",
     "RL",
     {"OFFICIAL_FIX", "TEMPORARY_FIX", "WORKAROUND", "UNAVAILABLE", "NOT_DEFINED"},
     {"OF", "TF", "W", "U", "ND"}},
    {"reportConfidence",
     "RC",
     {"UNCONFIRMED", "UNCORROBORATED", "CONFIRMED", "NOT_DEFINED"},
     {"UC", "UR", "C", "ND"}},
    {"collateralDamagePotential",
     "CDP",
     {"NONE", "LOW", "LOW_MEDIUM", "MEDIUM_HIGH", "HIGH", "NOT_DEFINED"},
     {"N", "L", "LM", "MH", "H", "ND"}},
    {"targetDistribution",
     "TD",
     {"NONE", "LOW", "MEDIUM", "HIGH", "NOT_DEFINED"},
     {"N", "L", "M", "H", "ND"}},
    {"confidentialityRequirement",
     "CR",
     {"LOW", "MEDIUM", "HIGH", "NOT_DEFINED"},
     {"L", "M", "H", "ND"}},
    {"integrityRequirement", "IR", {"LOW", "MEDIUM", "HIGH", "NOT_DEFINED"}, {"L", "M", "H", "ND"}},
    {"availabilityRequirement",
     "AR",
     {"LOW", "MEDIUM", "HIGH", "NOT_DEFINED"},
     {"L", "M", "H", "ND"}},
    {NULL, NULL, {NULL}, {NULL}},
};

/* A number in the document equals a score in tenths (JSON 9.8 is the double nearest 9.8). */
static int score_differs(const ermes__csaf_node_t *n, int tenths)
{
    double d = ermes__csaf_number(n), want = tenths / 10.0;
    return d < want - 1e-9 || d > want + 1e-9;
}

/* The scores of a vector, remembered per thread: parsing and scoring were a third of the
 * mandatory tests, and the same few vectors come back in document after document (and within
 * one). A direct-mapped table keyed by the whole vector string; a pure function of the
 * string, so a hit is exactly what computing it again would give. Returns 0 with cv->version
 * and sc set, or non-zero when the vector does not parse or score. */
#define SCORE_SLOTS 256
#define SCORE_VECTOR_MAX 192
static _Thread_local struct score_slot {
    unsigned char used, bad;
    unsigned short len;
    ermes_cvss_version_t version;
    ermes_cvss_scores_t sc;
    char vector[SCORE_VECTOR_MAX];
} score_cache[SCORE_SLOTS];

static int scored(const char *vector, ermes_cvss_t *cv, ermes_cvss_scores_t *sc)
{
    size_t len = strlen(vector);
    unsigned h = 2166136261u;
    struct score_slot *slot = NULL;
    ermes_diag_t d;
    int bad;

    if (len < SCORE_VECTOR_MAX) {
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)vector[i]) * 16777619u;
        slot = &score_cache[h % SCORE_SLOTS];
        if (slot->used && slot->len == len && memcmp(slot->vector, vector, len) == 0) {
            cv->version = slot->version;
            *sc = slot->sc;
            return slot->bad;
        }
    }
    ermes_diag_clear(&d);
    bad = ermes_cvss_parse(vector, len, cv, &d) || ermes_cvss_score_all(cv, sc);
    if (slot) {
        slot->used = 1;
        slot->bad = (unsigned char)bad;
        slot->len = (unsigned short)len;
        slot->version = bad ? (ermes_cvss_version_t)0 : cv->version;
        slot->sc = bad ? (ermes_cvss_scores_t){0, 0, 0} : *sc;
        memcpy(slot->vector, vector, len);
    }
    return bad;
}

static void cvss_object(ctx_t *c, const ermes__csaf_node_t *o, const char *path, int v3)
{
    const char *vector = csaf_str(o, "vectorString"), *version = csaf_str(o, "version");
    const cvss_map_t *map = v3 ? v3_map : v2_map;
    ermes_cvss_t cv;
    ermes_cvss_scores_t sc;
    char p[512];

    if (!vector)
        return;
    if (v3 && !eq(version, "3.0") && !eq(version, "3.1"))
        return;
    /* 6.1.10: each property that the vector also says must say the same. */
    for (int m = 0; map[m].property; m++) {
        const char *have = csaf_str(o, map[m].property);
        size_t mlen = strlen(map[m].metric);
        if (!have)
            continue;
        for (const char *at = vector; at && *at;) {
            const char *slash = strchr(at, '/'), *end = slash ? slash : at + strlen(at);
            if ((size_t)(end - at) > mlen + 1 && strncmp(at, map[m].metric, mlen) == 0 &&
                at[mlen] == ':') {
                const char *code = at + mlen + 1;
                size_t clen = (size_t)(end - code);
                for (int k = 0; map[m].codes[k]; k++)
                    if (strlen(map[m].codes[k]) == clen &&
                        strncmp(map[m].codes[k], code, clen) == 0 && !eq(map[m].names[k], have)) {
                        ermes__csaf_pathf(p, sizeof(p), "%s/%s", path, map[m].property);
                        ermes__csaf_fail(c, "6.1.10", p,
                                         "%s is %s but the vector string says %s:%.*s",
                                         map[m].property, have, map[m].metric, (int)clen, code);
                    }
            }
            at = slash ? slash + 1 : NULL;
        }
    }
    /* 6.1.9: the scores and severities given are those the vector computes to. */
    if (scored(vector, &cv, &sc))
        return;
    if (v3 && strcmp(ermes_cvss_version_name(cv.version), version) != 0)
        return;
    if (!v3 && cv.version != ERMES_CVSS_V2)
        return;
    static const char *const names[3] = {"baseScore", "temporalScore", "environmentalScore"};
    static const char *const sev[3] = {"baseSeverity", "temporalSeverity", "environmentalSeverity"};
    int want[3] = {sc.base, sc.temporal, sc.environmental};
    for (int k = 0; k < 3; k++) {
        const ermes__csaf_node_t *n = csaf_get(o, names[k]);
        if (ermes__csaf_is_number(n) && score_differs(n, want[k])) {
            ermes__csaf_pathf(p, sizeof(p), "%s/%s", path, names[k]);
            ermes__csaf_fail(c, "6.1.9", p, "%s is %g but the vector computes to %d.%d", names[k],
                             ermes__csaf_number(n), want[k] / 10, want[k] % 10);
        }
        const char *s = csaf_str(o, sev[k]);
        if (v3 && s && strcmp(s, ermes_cvss_severity(cv.version, want[k])) != 0) {
            ermes__csaf_pathf(p, sizeof(p), "%s/%s", path, sev[k]);
            ermes__csaf_fail(c, "6.1.9", p, "%s is %s but the vector computes to %s", sev[k], s,
                             ermes_cvss_severity(cv.version, want[k]));
        }
    }
}

static void test_6_1_9_10(ctx_t *c)
{
    const ermes__csaf_node_t *v, *s;
    size_t i, j;
    char p[256];

    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
        ermes__csaf_foreach(csaf_arr(v, "scores"), j, s)
    {
        if (ermes__csaf_is_object(csaf_get(s, "cvss_v2"))) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/scores/%zu/cvss_v2", i, j);
            cvss_object(c, csaf_get(s, "cvss_v2"), p, 0);
        }
        if (ermes__csaf_is_object(csaf_get(s, "cvss_v3"))) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/scores/%zu/cvss_v3", i, j);
            cvss_object(c, csaf_get(s, "cvss_v3"), p, 1);
        }
    }
}

/* 6.1.11 CWE: the id exists and the name is its name. */
static void test_6_1_11(ctx_t *c)
{
    const ermes__csaf_node_t *v;
    size_t i;
    char p[128];

    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        const ermes__csaf_node_t *cwe = csaf_get(v, "cwe");
        const char *id = csaf_str(cwe, "id"), *name = csaf_str(cwe, "name"), *known;
        if (!id || !name)
            continue;
        known = ermes__csaf_cwe_name(id);
        if (!known) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/cwe/id", i);
            ermes__csaf_fail(c, "6.1.11", p, "no weakness %s is known", id);
        } else if (strcmp(known, name) != 0) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/cwe/name", i);
            ermes__csaf_fail(c, "6.1.11", p, "the name of %s is \"%s\"", id, known);
        }
    }
}

/* 6.1.12 Language */
static void test_6_1_12(ctx_t *c)
{
    const ermes__csaf_node_t *doc = csaf_get(c->doc, "document");
    const char *lang = csaf_str(doc, "lang"), *source = csaf_str(doc, "source_lang");

    if (lang && !ermes__lang_tag_valid(lang))
        ermes__csaf_fail(c, "6.1.12", "/document/lang", "\"%s\" is not a valid language tag", lang);
    if (source && !ermes__lang_tag_valid(source))
        ermes__csaf_fail(c, "6.1.12", "/document/source_lang", "\"%s\" is not a valid language tag",
                         source);
}

/* 6.1.13 PURL, 6.1.25 Multiple Use of Same Hash Algorithm: on every product's
 * identification helper. */
static void helper_checks(ctx_t *c, const ermes__csaf_node_t *product, const ermes__csaf_at_t *at)
{
    const ermes__csaf_node_t *helper = csaf_get(product, "product_identification_helper"), *h;
    const char *purl = csaf_str(helper, "purl");
    size_t i, j;
    char p[1200], base[BRANCH_PATH];

    if (purl && !ermes__purl_valid(purl, strlen(purl))) {
        ermes__csaf_pathf(p, sizeof(p), "%s/product_identification_helper/purl",
                          ermes__csaf_at_write(base, sizeof(base), at));
        ermes__csaf_fail(c, "6.1.13", p, "\"%.200s\" is not a valid package URL", purl);
    }
    ermes__csaf_foreach(csaf_arr(helper, "hashes"), i, h)
    {
        const ermes__csaf_node_t *fh;
        set_t seen;
        ermes__csaf_set_init(&seen, &c->rc);
        ermes__csaf_foreach(csaf_arr(h, "file_hashes"), j, fh)
        {
            const char *alg = csaf_str(fh, "algorithm");
            if (alg && in(&seen, alg)) {
                ermes__csaf_pathf(p, sizeof(p),
                                  "%s/product_identification_helper/hashes/%zu/file_hashes/%zu",
                                  ermes__csaf_at_write(base, sizeof(base), at), i, j);
                ermes__csaf_fail(c, "6.1.25", p, "hash algorithm %s is used twice", alg);
            }
            put(&seen, alg);
        }
        ermes__csaf_set_cleanup(&seen);
    }
}

static void helper_branches(ctx_t *c, const ermes__csaf_node_t *branches,
                            const ermes__csaf_at_t *at, int depth)
{
    size_t i;
    const ermes__csaf_node_t *b;

    if (depth > 64)
        return;
    ermes__csaf_foreach(branches, i, b)
    {
        ermes__csaf_at_t product = {at, "/product", NULL, i, 1};
        if (csaf_get(b, "product"))
            helper_checks(c, csaf_get(b, "product"), &product);
        ermes__csaf_at_t sub = {at, "/branches", NULL, i, 1};
        helper_branches(c, csaf_arr(b, "branches"), &sub, depth + 1);
    }
}

static void test_6_1_13_25(ctx_t *c)
{
    const ermes__csaf_node_t *tree = csaf_get(c->doc, "product_tree"), *v;
    size_t i;
    const ermes__csaf_at_t branches = {NULL, "/product_tree/branches", NULL, 0, 0};
    const ermes__csaf_at_t names = {NULL, "/product_tree/full_product_names", NULL, 0, 0};
    const ermes__csaf_at_t rels = {NULL, "/product_tree/relationships", NULL, 0, 0};

    ermes__csaf_foreach(csaf_arr(tree, "full_product_names"), i, v)
    {
        ermes__csaf_at_t here = {&names, NULL, NULL, i, 1};
        helper_checks(c, v, &here);
    }
    ermes__csaf_foreach(csaf_arr(tree, "relationships"), i, v)
    {
        ermes__csaf_at_t here = {&rels, "/full_product_name", NULL, i, 1};
        helper_checks(c, csaf_get(v, "full_product_name"), &here);
    }
    helper_branches(c, csaf_arr(tree, "branches"), &branches, 0);
}

/* ---- versions and dates of the tracking (6.1.14 to 6.1.22, 6.1.30) ---- */

typedef struct semver {
    int valid;
    unsigned long long major, minor, patch;
    const char *pre; /* pre-release identifiers (NULL: none), up to pre_len */
    size_t pre_len;
} semver_t;

static int numeric_id(const char *s, size_t n, unsigned long long *out)
{
    unsigned long long v = 0;
    if (n == 0 || (n > 1 && s[0] == '0'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || v > 1844674407370955160ULL)
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Semantic Versioning 2.0.0 (what the semver package's valid() accepts, strictly). */
static semver_t parse_semver(const char *s)
{
    semver_t v = {0};
    const char *p = s, *dot;
    unsigned long long *parts[3] = {&v.major, &v.minor, &v.patch};

    if (!s)
        return v;
    for (int k = 0; k < 3; k++) {
        const char *q = p;
        while (isdigit((unsigned char)*q))
            q++;
        if (!numeric_id(p, (size_t)(q - p), parts[k]))
            return v;
        if (k < 2 && *q != '.')
            return v;
        p = k < 2 ? q + 1 : q;
    }
    if (*p == '-') {
        const char *start = ++p;
        while (*p && *p != '+')
            p++;
        v.pre = start;
        v.pre_len = (size_t)(p - start);
        for (const char *id = start; id <= p;) {
            dot = memchr(id, '.', (size_t)(p - id));
            const char *end = dot ? dot : p;
            unsigned long long ignored;
            int alnum = 0;
            if (end == id)
                return v;
            for (const char *q = id; q < end; q++) {
                if (!isalnum((unsigned char)*q) && *q != '-')
                    return v;
                alnum |= !isdigit((unsigned char)*q);
            }
            if (!alnum && !numeric_id(id, (size_t)(end - id), &ignored))
                return v;
            id = end + 1;
            if (!dot)
                break;
        }
    }
    if (*p == '+') {
        const char *start = ++p;
        while (*p && (isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
            p++;
        if (p == start || start[0] == '.' || p[-1] == '.' || strstr(start, ".."))
            return v;
    }
    v.valid = *p == '\0';
    return v;
}

/* The precedence of section 11 of Semantic Versioning: -1, 0, 1. */
static int semver_cmp(const semver_t *a, const semver_t *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    if (!a->pre || !b->pre)
        return a->pre ? -1 : b->pre ? 1 : 0;
    const char *x = a->pre, *xe = a->pre + a->pre_len, *y = b->pre, *ye = b->pre + b->pre_len;
    while (x < xe && y < ye) {
        const char *xd = memchr(x, '.', (size_t)(xe - x)), *yd = memchr(y, '.', (size_t)(ye - y));
        size_t xn = (size_t)((xd ? xd : xe) - x), yn = (size_t)((yd ? yd : ye) - y);
        unsigned long long xv, yv;
        int xnum = numeric_id(x, xn, &xv), ynum = numeric_id(y, yn, &yv);
        if (xnum && ynum && xv != yv)
            return xv < yv ? -1 : 1;
        if (xnum != ynum)
            return xnum ? -1 : 1;
        if (!xnum) {
            int cmp = strncmp(x, y, xn < yn ? xn : yn);
            if (cmp)
                return cmp < 0 ? -1 : 1;
            if (xn != yn)
                return xn < yn ? -1 : 1;
        }
        x += xn + 1;
        y += yn + 1;
    }
    return x < xe ? 1 : y < ye ? -1 : 0;
}

/* JavaScript's parseInt on a version number: the leading digits (NaN as -1). */
static long long leading_int(const char *s)
{
    long long v = 0;
    int any = 0;
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    for (; isdigit((unsigned char)*s) && v < 100000000000LL; s++, any = 1)
        v = v * 10 + (*s - '0');
    return any ? v : -1;
}

/* An RFC 3339 date-time as a comparable instant (milliseconds since the epoch, through
 * core/time.c); ok 0 when it does not parse. */
typedef struct instant {
    int64_t ms;
    int ok;
} instant_t;

static instant_t parse_instant(const char *s)
{
    instant_t t = {0, 0};
    t.ok = s && ermes__time_parse(s, strlen(s), &t.ms, NULL) == 0;
    return t;
}

static int instant_cmp(instant_t a, instant_t b)
{
    return a.ms < b.ms ? -1 : a.ms > b.ms;
}

/* The csaf-validator's compareVersions(v1, v2): > 0 when v2 >= v1 (semantic versions), else
 * the difference of their integer parts. */
static long long compare_versions(const char *v1, const char *v2)
{
    semver_t a = parse_semver(v1), b = parse_semver(v2);
    if (a.valid && b.valid)
        return semver_cmp(&b, &a) >= 0 ? 1 : -1;
    return leading_int(v2) - leading_int(v1);
}

typedef struct revision {
    const char *number;
    instant_t date;
    size_t index;
} revision_t;

static const ermes__csaf_node_t *history(ctx_t *c)
{
    return csaf_arr(tracking(c), "revision_history");
}

/* The revision history when every item has a string number and date, else NULL/0. */
static revision_t *revisions(ctx_t *c, size_t *n)
{
    const ermes__csaf_node_t *h = history(c), *v;
    size_t i;
    revision_t *r;

    *n = 0;
    if (!h || ermes__csaf_array_size(h) == 0)
        return NULL;
    r = calloc(ermes__csaf_array_size(h), sizeof(*r));
    if (!r)
        return NULL;
    ermes__csaf_foreach(h, i, v)
    {
        if (!csaf_str(v, "number") || !csaf_str(v, "date")) {
            free(r);
            return NULL;
        }
        r[i].number = csaf_str(v, "number");
        r[i].date = parse_instant(csaf_str(v, "date"));
        r[i].index = i;
    }
    *n = ermes__csaf_array_size(h);
    return r;
}

/* Sorting by date ascending, ties by version descending (6.1.14's order). */
static int by_date_then_version_desc(const void *x, const void *y)
{
    const revision_t *a = x, *b = y;
    int c = instant_cmp(a->date, b->date);
    if (c)
        return c;
    long long v = compare_versions(b->number, a->number);
    if (v)
        return v < 0 ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int by_date(const void *x, const void *y)
{
    const revision_t *a = x, *b = y;
    int c = instant_cmp(a->date, b->date);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* The number as a semantic version; an integer n counts as n.0.0. */
static semver_t as_semver(const char *number, char *buf, size_t cap)
{
    semver_t v = parse_semver(number);
    if (!v.valid) {
        snprintf(buf, cap, "%s.0.0", number);
        v = parse_semver(buf);
    }
    return v;
}

static void test_tracking(ctx_t *c)
{
    const ermes__csaf_node_t *t = tracking(c);
    const char *status = csaf_str(t, "status"), *version = csaf_str(t, "version");
    size_t n, i;
    revision_t *r = revisions(c, &n);
    char p[128];
    int released = eq(status, "final") || eq(status, "interim");

    /* 6.1.14 Sorted Revision History */
    if (r) {
        qsort(r, n, sizeof(*r), by_date_then_version_desc);
        semver_t prev = {0};
        char b1[96], b2[96];
        int have_prev = 0, sorted = 1;
        for (i = 0; i < n; i++) {
            semver_t cur = as_semver(r[i].number, i % 2 ? b1 : b2, sizeof(b1));
            if (!cur.valid)
                continue;
            if (have_prev && semver_cmp(&cur, &prev) == 0)
                continue; /* the same number again: counted once */
            if (have_prev && semver_cmp(&cur, &prev) < 0)
                sorted = 0;
            prev = cur;
            have_prev = 1;
        }
        if (!sorted)
            ermes__csaf_fail(c, "6.1.14", "/document/tracking/revision_history",
                             "the items are not in ascending order of their numbers when sorted "
                             "by date");
    }
    /* 6.1.16 Latest Document Version: the version is the number of the latest revision (by
     * date, then by number), build metadata aside and, for drafts, pre-release too. */
    if (r && version && status) {
        revision_t *latest = &r[0];
        for (i = 1; i < n; i++) {
            int cmp = instant_cmp(r[i].date, latest->date);
            if (cmp > 0 || (cmp == 0 && compare_versions(latest->number, r[i].number) > 0))
                latest = &r[i];
        }
        size_t a = strcspn(latest->number, eq(status, "draft") ? "+-" : "+");
        size_t b = strcspn(version, eq(status, "draft") ? "+-" : "+");
        if (a != b || strncmp(latest->number, version, a) != 0)
            ermes__csaf_fail(c, "6.1.16", "/document/tracking/version",
                             "version %s is not the latest revision's number %s", version,
                             latest->number);
    }
    /* 6.1.17 Document Status Draft */
    if (version && status && !eq(status, "draft")) {
        semver_t v = parse_semver(version);
        if (eq(version, "0") || (v.valid && (v.major == 0 || v.pre)))
            ermes__csaf_fail(c, "6.1.17", "/document/tracking/status",
                             "version %s requires the status draft", version);
    }
    /* 6.1.18 Released Revision History */
    if (version && status && released && history(c)) {
        const ermes__csaf_node_t *v;
        int bad = 0;
        ermes__csaf_foreach(history(c), i, v)
        {
            semver_t s = parse_semver(csaf_str(v, "number"));
            bad |= eq(csaf_str(v, "number"), "0") || (s.valid && s.major == 0);
        }
        if (bad)
            ermes__csaf_fail(c, "6.1.18", "/document/tracking/status",
                             "a %s document has revisions numbered 0 or 0.y.z", status);
    }
    /* 6.1.19 Revision History Entries for Pre-release Versions */
    if (version && status && history(c)) {
        const ermes__csaf_node_t *v;
        ermes__csaf_foreach(history(c), i, v)
        {
            semver_t s = parse_semver(csaf_str(v, "number"));
            if (s.valid && s.pre) {
                ermes__csaf_pathf(p, sizeof(p), "/document/tracking/revision_history/%zu/number",
                                  i);
                ermes__csaf_fail(c, "6.1.19", p, "revision %s is a pre-release",
                                 csaf_str(v, "number"));
            }
        }
    }
    /* 6.1.20 Non-draft Document Version */
    if (version && status && released) {
        semver_t s = parse_semver(version);
        if (s.valid && s.pre)
            ermes__csaf_fail(c, "6.1.20", "/document/tracking/version",
                             "a %s document's version %s has a pre-release part", status, version);
    }
    /* 6.1.21 Missing Item in Revision History: the integer parts, in date order and each
     * counted once, start at 0 or 1 and have no gap. */
    if (r) {
        qsort(r, n, sizeof(*r), by_date);
        long long *seq = calloc(n, sizeof(*seq));
        size_t m = 0;
        if (seq) {
            for (i = 0; i < n; i++) {
                long long x = leading_int(r[i].number);
                int dup = 0;
                for (size_t k = 0; k < m; k++)
                    dup |= seq[k] == x;
                if (!dup)
                    seq[m++] = x;
            }
            int missing = m > 0 && seq[0] != 0 && seq[0] != 1;
            for (i = 0; i < m; i++)
                if (seq[i] > seq[0] + (long long)i)
                    missing = 1;
            if (missing)
                ermes__csaf_fail(c, "6.1.21", "/document/tracking/revision_history",
                                 "the revision history misses a version");
            free(seq);
        }
    }
    /* 6.1.22 Multiple Definition in Revision History */
    if (history(c)) {
        const ermes__csaf_node_t *v;
        set_t seen;
        ermes__csaf_set_init(&seen, &c->rc);
        ermes__csaf_foreach(history(c), i, v)
        {
            const char *num = csaf_str(v, "number");
            if (num && in(&seen, num)) {
                ermes__csaf_pathf(p, sizeof(p), "/document/tracking/revision_history/%zu/number",
                                  i);
                ermes__csaf_fail(c, "6.1.22", p, "revision %s is listed twice", num);
            }
            put(&seen, num);
        }
        ermes__csaf_set_cleanup(&seen);
    }
    /* 6.1.30 Mixed Integer and Semantic Versioning */
    if (ermes__csaf_is_object(t)) {
        const ermes__csaf_node_t *v;
        int scheme = -1; /* 0 integer, 1 semantic */
        ermes__csaf_foreach(history(c), i, v)
        {
            const char *num = csaf_str(v, "number");
            if (!num)
                continue;
            char buf[32];
            snprintf(buf, sizeof(buf), "%lld", leading_int(num));
            int mine = strcmp(buf, num) != 0;
            if (scheme < 0)
                scheme = mine;
            if (mine != scheme) {
                ermes__csaf_pathf(p, sizeof(p), "/document/tracking/revision_history/%zu/number",
                                  i);
                ermes__csaf_fail(c, "6.1.30", p, "integer and semantic versioning are mixed");
            }
        }
        if (scheme >= 0 && version) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%lld", leading_int(version));
            if ((strcmp(buf, version) != 0) != scheme)
                ermes__csaf_fail(c, "6.1.30", "/document/tracking/version",
                                 "integer and semantic versioning are mixed");
        }
    }
    free(r);
}

/* 6.1.15 Translator, 6.1.28 Translation */
static void test_6_1_15_28(ctx_t *c)
{
    const ermes__csaf_node_t *doc = csaf_get(c->doc, "document");
    const char *lang = csaf_str(doc, "lang"), *source = csaf_str(doc, "source_lang");

    if (eq(csaf_str(csaf_get(doc, "publisher"), "category"), "translator") && !source)
        ermes__csaf_fail(c, "6.1.15", "/document/source_lang",
                         "a translator's document needs source_lang");
    if (lang && source && strcmp(lang, source) == 0)
        ermes__csaf_fail(c, "6.1.28", "/document/lang",
                         "lang and source_lang are both %s: a translation changes the language",
                         lang);
}

/* 6.1.23 Multiple Use of Same CVE, 6.1.24 Multiple Definition in Involvements, 6.1.29
 * Remediation without Product Reference, 6.1.32 Flag without Product Reference */
static void test_vulnerability_lists(ctx_t *c)
{
    const ermes__csaf_node_t *v, *x;
    size_t i, j;
    char p[256];
    set_t cves, seen;

    ermes__csaf_set_init(&cves, &c->rc);
    ermes__csaf_set_init(&seen, &c->rc);

    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        const char *cve = csaf_str(v, "cve");
        if (cve && in(&cves, cve)) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/cve", i);
            ermes__csaf_fail(c, "6.1.23", p, "%s is in more than one vulnerability", cve);
        }
        put(&cves, cve);
        ermes__csaf_set_cleanup(&seen);
        ermes__csaf_foreach(csaf_arr(v, "involvements"), j, x)
        {
            char key[512];
            if (!csaf_str(x, "party") || !csaf_str(x, "date"))
                continue;
            ermes__csaf_pathf(key, sizeof(key), "%s\n%s", csaf_str(x, "party"),
                              csaf_str(x, "date"));
            if (in(&seen, key)) {
                ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/involvements/%zu", i, j);
                ermes__csaf_fail(c, "6.1.24", p, "party %s has two involvements dated %s",
                                 csaf_str(x, "party"), csaf_str(x, "date"));
            }
            ermes__csaf_set_add_copy(&seen, key);
        }
        ermes__csaf_foreach(csaf_arr(v, "remediations"), j,
                            x) if (!csaf_get(x, "product_ids") && !csaf_get(x, "group_ids"))
        {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/remediations/%zu", i, j);
            ermes__csaf_fail(c, "6.1.29", p, "the remediation names no product or group");
        }
        ermes__csaf_foreach(csaf_arr(v, "flags"), j,
                            x) if (!csaf_get(x, "product_ids") && !csaf_get(x, "group_ids"))
        {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/flags/%zu", i, j);
            ermes__csaf_fail(c, "6.1.32", p, "the flag names no product or group");
        }
    }
    ermes__csaf_set_cleanup(&cves);
    ermes__csaf_set_cleanup(&seen);
}

/* 6.1.26 Prohibited Document Category Name */
static void test_6_1_26(ctx_t *c)
{
    static const char *const profiles[] = {"csaf_base",
                                           "csaf_security_incident_response",
                                           "csaf_informational_advisory",
                                           "csaf_security_advisory",
                                           "csaf_vex",
                                           NULL};
    static const char *const similar[] = {"securityincidentresponse", "informationaladvisory",
                                          "securityadvisory", "vex", NULL};
    const char *cat = category(c);
    char norm[256];
    size_t n = 0;

    if (!cat)
        return;
    for (int i = 0; profiles[i]; i++)
        if (strcmp(cat, profiles[i]) == 0)
            return;
    if (strncasecmp(cat, "csaf_", 5) == 0) {
        ermes__csaf_fail(c, "6.1.26", "/document/category",
                         "categories starting with csaf_ are reserved for the profiles");
        return;
    }
    for (const char *p = cat; *p && n + 1 < sizeof(norm); p++)
        if (*p != '_' && *p != '-' && !isspace((unsigned char)*p))
            norm[n++] = (char)tolower((unsigned char)*p);
    norm[n] = '\0';
    for (int i = 0; similar[i]; i++)
        if (strcmp(norm, similar[i]) == 0)
            ermes__csaf_fail(c, "6.1.26", "/document/category",
                             "category \"%s\" is too close to a profile's name", cat);
}

/* Does the group (by id) contain the product? */
static int group_has(ctx_t *c, const char *group_id, const char *product)
{
    const ermes__csaf_node_t *g, *id;
    size_t i, j;

    ermes__csaf_foreach(csaf_arr(csaf_get(c->doc, "product_tree"), "product_groups"), i, g)
    {
        if (!eq(csaf_str(g, "group_id"), group_id))
            continue;
        ermes__csaf_foreach(csaf_arr(g, "product_ids"), j,
                            id) if (eq(ermes__csaf_string(id), product)) return 1;
    }
    return 0;
}

/* Does item (a remediation, threat or flag) name the product, directly or by a group? */
static int names_product(ctx_t *c, const ermes__csaf_node_t *item, const char *product)
{
    const ermes__csaf_node_t *id;
    size_t i;

    ermes__csaf_foreach(csaf_arr(item, "product_ids"), i,
                        id) if (eq(ermes__csaf_string(id), product)) return 1;
    ermes__csaf_foreach(csaf_arr(item, "group_ids"), i,
                        id) if (ermes__csaf_is_string(id) &&
                                group_has(c, ermes__csaf_string(id), product)) return 1;
    return 0;
}

/* 6.1.27.x the profiles' tests, 6.1.33 Multiple Flags with VEX Justification Codes */
static void test_profiles(ctx_t *c)
{
    const char *cat = category(c);
    const ermes__csaf_node_t *doc = csaf_get(c->doc, "document"),
                             *vulns = csaf_get(c->doc, "vulnerabilities"), *v, *x;
    int incident = eq(cat, "csaf_security_incident_response");
    int info = eq(cat, "csaf_informational_advisory");
    int advisory = eq(cat, "csaf_security_advisory"), vex = eq(cat, "csaf_vex");
    size_t i, j;
    char p[256];
    set_t seen, mine;

    if (incident || info) {
        int found = 0;
        ermes__csaf_foreach(csaf_arr(doc, "notes"), i, x)
        {
            const char *nc = csaf_str(x, "category");
            found |= eq(nc, "description") || eq(nc, "details") || eq(nc, "general") ||
                     eq(nc, "summary");
        }
        if (!found)
            ermes__csaf_fail(c, "6.1.27.1", "/document/notes",
                             "needs a note of category description, details, general or summary");
        found = 0;
        ermes__csaf_foreach(csaf_arr(doc, "references"), i, x) found |=
            eq(csaf_str(x, "category"), "external");
        if (!found)
            ermes__csaf_fail(c, "6.1.27.2", "/document/references",
                             "needs a reference of category external");
    }
    if (info && vulns)
        ermes__csaf_fail(c, "6.1.27.3", "/vulnerabilities",
                         "an informational advisory has no vulnerabilities");
    if (!advisory && !vex)
        goto flags;
    if (!csaf_get(c->doc, "product_tree"))
        ermes__csaf_fail(c, "6.1.27.4", "/product_tree", "needs a product tree");
    if (!vulns)
        ermes__csaf_fail(c, "6.1.27.11", "/vulnerabilities", "needs vulnerabilities");
    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        const ermes__csaf_node_t *ps = csaf_get(v, "product_status");
        if (!csaf_get(v, "notes")) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/notes", i);
            ermes__csaf_fail(c, "6.1.27.5", p, "the vulnerability needs notes");
        }
        if (!ps) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/product_status", i);
            ermes__csaf_fail(c, "6.1.27.6", p, "the vulnerability needs a product status");
        }
        if (!vex)
            continue;
        if (ps && !csaf_arr(ps, "fixed") && !csaf_arr(ps, "known_affected") &&
            !csaf_arr(ps, "known_not_affected") && !csaf_arr(ps, "under_investigation")) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/product_status", i);
            ermes__csaf_fail(c, "6.1.27.7", p,
                             "needs fixed, known_affected, known_not_affected or "
                             "under_investigation");
        }
        if (!csaf_get(v, "cve") && !csaf_get(v, "ids")) {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu", i);
            ermes__csaf_fail(c, "6.1.27.8", p, "the vulnerability needs a cve or ids");
        }
        ermes__csaf_foreach(csaf_arr(ps, "known_not_affected"), j, x)
        {
            const char *id = ermes__csaf_string(x);
            int ok = 0;
            size_t k;
            const ermes__csaf_node_t *t;
            if (!id)
                continue;
            ermes__csaf_foreach(csaf_arr(v, "threats"), k, t) ok |=
                eq(csaf_str(t, "category"), "impact") && names_product(c, t, id);
            ermes__csaf_foreach(csaf_arr(v, "flags"), k, t) ok |= names_product(c, t, id);
            if (!ok) {
                ermes__csaf_pathf(p, sizeof(p),
                                  "/vulnerabilities/%zu/product_status/known_not_affected/%zu", i,
                                  j);
                ermes__csaf_fail(c, "6.1.27.9", p, "product %s needs an impact statement", id);
            }
        }
        ermes__csaf_foreach(csaf_arr(ps, "known_affected"), j, x)
        {
            const char *id = ermes__csaf_string(x);
            int ok = 0;
            size_t k;
            const ermes__csaf_node_t *t;
            if (!id)
                continue;
            ermes__csaf_foreach(csaf_arr(v, "remediations"), k, t) ok |= names_product(c, t, id);
            if (!ok) {
                ermes__csaf_pathf(p, sizeof(p),
                                  "/vulnerabilities/%zu/product_status/known_affected/%zu", i, j);
                ermes__csaf_fail(c, "6.1.27.10", p, "product %s needs an action statement", id);
            }
        }
    }
flags:
    /* 6.1.33: per vulnerability, at most one flag per product (directly or by a group). */
    ermes__csaf_set_init(&seen, &c->rc);
    ermes__csaf_set_init(&mine, &c->rc);
    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        const ermes__csaf_node_t *f, *id, *g;
        size_t k, m, q;
        ermes__csaf_set_cleanup(&seen);
        ermes__csaf_foreach(csaf_arr(v, "flags"), j, f)
        {
            ermes__csaf_set_cleanup(&mine);
            ermes__csaf_foreach(csaf_arr(f, "product_ids"), k, id)
                put(&mine, ermes__csaf_string(id));
            ermes__csaf_foreach(csaf_arr(f, "group_ids"), k, id)
                ermes__csaf_foreach(csaf_arr(csaf_get(c->doc, "product_tree"), "product_groups"), m,
                                    g) if (eq(csaf_str(g, "group_id"), ermes__csaf_string(id)))
                    ermes__csaf_foreach(csaf_arr(g, "product_ids"), q, x)
                        put(&mine, ermes__csaf_string(x));
            for (size_t n = 0; n < mine.n; n++) {
                const char *key = mine.key[n];
                if (in(&seen, key)) {
                    ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/flags/%zu", i, j);
                    ermes__csaf_fail(c, "6.1.33", p, "product %s has more than one flag", key);
                }
                put(&seen, key);
            }
        }
    }
    ermes__csaf_set_cleanup(&seen);
    ermes__csaf_set_cleanup(&mine);
}

/* 6.1.31 Version Range in Product Version */
static void test_6_1_31(ctx_t *c, const ermes__csaf_node_t *branches, const ermes__csaf_at_t *at,
                        int depth)
{
    static const char *const words[] = {"after", "all",   "before",   "earlier",
                                        "later", "prior", "versions", NULL};
    const ermes__csaf_node_t *b;
    size_t i;
    char p[1024];

    if (depth > 64)
        return;
    ermes__csaf_foreach(branches, i, b)
    {
        const char *name = csaf_str(b, "name");
        if (eq(csaf_str(b, "category"), "product_version") && name) {
            int range = strchr(name, '<') || strchr(name, '>');
            char low[512];
            size_t n = 0;
            for (const char *q = name; *q && n + 1 < sizeof(low); q++)
                low[n++] = (char)tolower((unsigned char)*q);
            low[n] = '\0';
            for (char *w = low; *w && !range;) {
                while (*w && isspace((unsigned char)*w))
                    w++;
                char *e = w;
                while (*e && !isspace((unsigned char)*e))
                    e++;
                for (int k = 0; words[k]; k++)
                    if ((size_t)(e - w) == strlen(words[k]) &&
                        strncmp(w, words[k], (size_t)(e - w)) == 0)
                        range = 1;
                w = e;
            }
            if (range) {
                ermes__csaf_at_t here = {at, "/name", NULL, i, 1};
                ermes__csaf_at_write(p, sizeof(p), &here);
                ermes__csaf_fail(c, "6.1.31", p,
                                 "a product_version branch names a version range: \"%.200s\"",
                                 name);
            }
        }
        ermes__csaf_at_t sub = {at, "/branches", NULL, i, 1};
        test_6_1_31(c, csaf_arr(b, "branches"), &sub, depth + 1);
    }
}

void ermes__csaf_mandatory_tests(ermes__csaf_ctx_t *c)
{
    set_t defined;

    ermes__csaf_set_init(&defined, &c->rc);
    each_definition(c, add_cb, &defined);
    test_6_1_1(c, &defined);
    ermes__csaf_set_cleanup(&defined);
    test_6_1_2(c);
    test_6_1_3(c);
    test_6_1_4_5(c);
    test_6_1_6(c);
    test_6_1_7(c);
    test_6_1_9_10(c);
    test_6_1_11(c);
    test_6_1_12(c);
    test_6_1_13_25(c);
    test_tracking(c);
    test_6_1_15_28(c);
    test_vulnerability_lists(c);
    test_6_1_26(c);
    test_profiles(c);
    const ermes__csaf_at_t branches = {NULL, "/product_tree/branches", NULL, 0, 0};
    test_6_1_31(c, csaf_arr(csaf_get(c->doc, "product_tree"), "branches"), &branches, 0);
}
