/* CVSS 2.0, 3.0, 3.1 and 4.0: vector parsing and exact scoring (see include/ermes/cvss.h).
 *
 * Each version is a table of metrics (name, group, values and, for 2.0 and 3.x, the weight of
 * each value as an integer in thousandths or hundredths). Modified metrics of 3.x list "X"
 * first and then exactly the values of the base metric they modify, so that value i > 0 of
 * the modified metric is value i - 1 of the base one. */
#include "advisories/cvss_int.h"

#include <stdio.h>
#include <string.h>

#include "advisories/exact.h"

enum { G_BASE, G_TEMPORAL, G_ENV, G_SUPPLEMENTAL };

typedef struct metric {
    const char *name;
    uint8_t group;
    const char *values[8];
    int16_t weight[8];
} metric_t;

typedef struct version_def {
    ermes_cvss_version_t version;
    const char *prefix;
    const metric_t *metrics;
    int count;
} version_def_t;

/* CVSS 2.0 (Complete Guide, section 3.2), weights in thousandths. */
static const metric_t v2_metrics[] = {
    {"AV", G_BASE, {"L", "A", "N"}, {395, 646, 1000}},
    {"AC", G_BASE, {"H", "M", "L"}, {350, 610, 710}},
    {"Au", G_BASE, {"M", "S", "N"}, {450, 560, 704}},
    {"C", G_BASE, {"N", "P", "C"}, {0, 275, 660}},
    {"I", G_BASE, {"N", "P", "C"}, {0, 275, 660}},
    {"A", G_BASE, {"N", "P", "C"}, {0, 275, 660}},
    {"E", G_TEMPORAL, {"U", "POC", "F", "H", "ND"}, {850, 900, 950, 1000, 1000}},
    {"RL", G_TEMPORAL, {"OF", "TF", "W", "U", "ND"}, {870, 900, 950, 1000, 1000}},
    {"RC", G_TEMPORAL, {"UC", "UR", "C", "ND"}, {900, 950, 1000, 1000}},
    {"CDP", G_ENV, {"N", "L", "LM", "MH", "H", "ND"}, {0, 100, 300, 400, 500, 0}},
    {"TD", G_ENV, {"N", "L", "M", "H", "ND"}, {0, 250, 750, 1000, 1000}},
    {"CR", G_ENV, {"L", "M", "H", "ND"}, {500, 1000, 1510, 1000}},
    {"IR", G_ENV, {"L", "M", "H", "ND"}, {500, 1000, 1510, 1000}},
    {"AR", G_ENV, {"L", "M", "H", "ND"}, {500, 1000, 1510, 1000}},
};
enum {
    V2_AV,
    V2_AC,
    V2_AU,
    V2_C,
    V2_I,
    V2_A,
    V2_E,
    V2_RL,
    V2_RC,
    V2_CDP,
    V2_TD,
    V2_CR,
    V2_IR,
    V2_AR
};

/* CVSS 3.0 and 3.1 (specification section 7.4), weights in hundredths. PR's weights are
 * those of an unchanged scope; a changed scope's are in pr_changed below. */
static const metric_t v3_metrics[] = {
    {"AV", G_BASE, {"N", "A", "L", "P"}, {85, 62, 55, 20}},
    {"AC", G_BASE, {"L", "H"}, {77, 44}},
    {"PR", G_BASE, {"N", "L", "H"}, {85, 62, 27}},
    {"UI", G_BASE, {"N", "R"}, {85, 62}},
    {"S", G_BASE, {"U", "C"}, {0, 1}},
    {"C", G_BASE, {"H", "L", "N"}, {56, 22, 0}},
    {"I", G_BASE, {"H", "L", "N"}, {56, 22, 0}},
    {"A", G_BASE, {"H", "L", "N"}, {56, 22, 0}},
    {"E", G_TEMPORAL, {"X", "H", "F", "P", "U"}, {100, 100, 97, 94, 91}},
    {"RL", G_TEMPORAL, {"X", "U", "W", "T", "O"}, {100, 100, 97, 96, 95}},
    {"RC", G_TEMPORAL, {"X", "C", "R", "U"}, {100, 100, 96, 92}},
    {"CR", G_ENV, {"X", "H", "M", "L"}, {100, 150, 100, 50}},
    {"IR", G_ENV, {"X", "H", "M", "L"}, {100, 150, 100, 50}},
    {"AR", G_ENV, {"X", "H", "M", "L"}, {100, 150, 100, 50}},
    {"MAV", G_ENV, {"X", "N", "A", "L", "P"}, {0}},
    {"MAC", G_ENV, {"X", "L", "H"}, {0}},
    {"MPR", G_ENV, {"X", "N", "L", "H"}, {0}},
    {"MUI", G_ENV, {"X", "N", "R"}, {0}},
    {"MS", G_ENV, {"X", "U", "C"}, {0}},
    {"MC", G_ENV, {"X", "H", "L", "N"}, {0}},
    {"MI", G_ENV, {"X", "H", "L", "N"}, {0}},
    {"MA", G_ENV, {"X", "H", "L", "N"}, {0}},
};
enum {
    V3_AV,
    V3_AC,
    V3_PR,
    V3_UI,
    V3_S,
    V3_C,
    V3_I,
    V3_A,
    V3_E,
    V3_RL,
    V3_RC,
    V3_CR,
    V3_IR,
    V3_AR,
    V3_MAV
};
static const int16_t pr_changed[3] = {85, 68, 50};

/* CVSS 4.0 (specification section 7). Weights are the severity levels of the distance
 * computation (section 8.2), in tenths; metrics without a level have 0. */
static const metric_t v4_metrics[] = {
    {"AV", G_BASE, {"N", "A", "L", "P"}, {0, 1, 2, 3}},
    {"AC", G_BASE, {"L", "H"}, {0, 1}},
    {"AT", G_BASE, {"N", "P"}, {0, 1}},
    {"PR", G_BASE, {"N", "L", "H"}, {0, 1, 2}},
    {"UI", G_BASE, {"N", "P", "A"}, {0, 1, 2}},
    {"VC", G_BASE, {"H", "L", "N"}, {0, 1, 2}},
    {"VI", G_BASE, {"H", "L", "N"}, {0, 1, 2}},
    {"VA", G_BASE, {"H", "L", "N"}, {0, 1, 2}},
    {"SC", G_BASE, {"H", "L", "N"}, {1, 2, 3}},
    {"SI", G_BASE, {"H", "L", "N"}, {1, 2, 3}},
    {"SA", G_BASE, {"H", "L", "N"}, {1, 2, 3}},
    {"E", G_TEMPORAL, {"X", "A", "P", "U"}, {0}},
    {"CR", G_ENV, {"X", "H", "M", "L"}, {0, 0, 1, 2}},
    {"IR", G_ENV, {"X", "H", "M", "L"}, {0, 0, 1, 2}},
    {"AR", G_ENV, {"X", "H", "M", "L"}, {0, 0, 1, 2}},
    {"MAV", G_ENV, {"X", "N", "A", "L", "P"}, {0, 0, 1, 2, 3}},
    {"MAC", G_ENV, {"X", "L", "H"}, {0, 0, 1}},
    {"MAT", G_ENV, {"X", "N", "P"}, {0, 0, 1}},
    {"MPR", G_ENV, {"X", "N", "L", "H"}, {0, 0, 1, 2}},
    {"MUI", G_ENV, {"X", "N", "P", "A"}, {0, 0, 1, 2}},
    {"MVC", G_ENV, {"X", "H", "L", "N"}, {0, 0, 1, 2}},
    {"MVI", G_ENV, {"X", "H", "L", "N"}, {0, 0, 1, 2}},
    {"MVA", G_ENV, {"X", "H", "L", "N"}, {0, 0, 1, 2}},
    {"MSC", G_ENV, {"X", "H", "L", "N"}, {0, 1, 2, 3}},
    {"MSI", G_ENV, {"X", "S", "H", "L", "N"}, {0, 0, 1, 2, 3}},
    {"MSA", G_ENV, {"X", "S", "H", "L", "N"}, {0, 0, 1, 2, 3}},
    {"S", G_SUPPLEMENTAL, {"X", "N", "P"}, {0}},
    {"AU", G_SUPPLEMENTAL, {"X", "N", "Y"}, {0}},
    {"R", G_SUPPLEMENTAL, {"X", "A", "U", "I"}, {0}},
    {"V", G_SUPPLEMENTAL, {"X", "D", "C"}, {0}},
    {"RE", G_SUPPLEMENTAL, {"X", "L", "M", "H"}, {0}},
    {"U", G_SUPPLEMENTAL, {"X", "Clear", "Green", "Amber", "Red"}, {0}},
};
enum {
    V4_AV,
    V4_AC,
    V4_AT,
    V4_PR,
    V4_UI,
    V4_VC,
    V4_VI,
    V4_VA,
    V4_SC,
    V4_SI,
    V4_SA,
    V4_E,
    V4_CR,
    V4_IR,
    V4_AR,
    V4_MAV
};

#define COUNT(a) ((int)(sizeof(a) / sizeof(*(a))))

static const version_def_t versions[] = {
    {ERMES_CVSS_V2, "", v2_metrics, COUNT(v2_metrics)},
    {ERMES_CVSS_V30, "CVSS:3.0/", v3_metrics, COUNT(v3_metrics)},
    {ERMES_CVSS_V31, "CVSS:3.1/", v3_metrics, COUNT(v3_metrics)},
    {ERMES_CVSS_V40, "CVSS:4.0/", v4_metrics, COUNT(v4_metrics)},
};

static const version_def_t *version_of(ermes_cvss_version_t v)
{
    for (int i = 0; i < COUNT(versions); i++)
        if (versions[i].version == v)
            return &versions[i];
    return NULL;
}

const char *ermes_cvss_version_name(ermes_cvss_version_t v)
{
    switch (v) {
    case ERMES_CVSS_V2:
        return "2.0";
    case ERMES_CVSS_V30:
        return "3.0";
    case ERMES_CVSS_V31:
        return "3.1";
    case ERMES_CVSS_V40:
        return "4.0";
    }
    return "?";
}

const char *ermes_cvss_severity(ermes_cvss_version_t v, int tenths)
{
    if (v == ERMES_CVSS_V2)
        return tenths < 40 ? "LOW" : tenths < 70 ? "MEDIUM" : "HIGH";
    if (tenths <= 0)
        return "NONE";
    return tenths < 40 ? "LOW" : tenths < 70 ? "MEDIUM" : tenths < 90 ? "HIGH" : "CRITICAL";
}

/* Copies at most cap-1 bytes of s (len bytes, possibly not terminated) for a message. */
static const char *clip(const char *s, size_t len, char *buf, size_t cap)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

int ermes_cvss_parse(const char *vector, size_t len, ermes_cvss_t *out, ermes_diag_t *d)
{
    const version_def_t *def = NULL;
    ermes_cvss_t v;
    size_t pos = 0, end = len;
    char name[16], value[16];

    memset(&v, 0, sizeof(v));
    memset(v.value, -1, sizeof(v.value));
    if (len > ERMES_CVSS_MAX_VECTOR) {
        ermes_diag_set(d, "vector", "vector longer than %d bytes", ERMES_CVSS_MAX_VECTOR);
        return ERMES_EPARSE;
    }
    for (int i = 1; i < COUNT(versions); i++) {
        size_t n = strlen(versions[i].prefix);
        if (len >= n && memcmp(vector, versions[i].prefix, n) == 0) {
            def = &versions[i];
            pos = n;
        }
    }
    if (!def) {
        /* 2.0 has no prefix of its own; NVD writes it bare, others in parentheses or with
         * the later versions' style of prefix. */
        if (len >= 9 && memcmp(vector, "CVSS:2.0/", 9) == 0)
            pos = 9;
        else if (len >= 2 && vector[0] == '(' && vector[len - 1] == ')')
            pos = 1, end = len - 1;
        if (end - pos >= 3 && memcmp(vector + pos, "AV:", 3) == 0) {
            def = &versions[0];
        } else if (len >= 5 && memcmp(vector, "CVSS:", 5) == 0) {
            if (d)
                d->column = 6;
            ermes_diag_set(d, "version", "unknown CVSS version (2.0, 3.0, 3.1 and 4.0 are known)");
            return ERMES_EPARSE;
        } else {
            if (d)
                d->column = 1;
            ermes_diag_set(d, "version",
                           "not a CVSS vector: expected \"CVSS:3.1/\", \"CVSS:4.0/\" or \"AV:\"");
            return ERMES_EPARSE;
        }
    }
    v.version = def->version;
    if (pos >= end) {
        if (d)
            d->column = (long)pos + 1;
        ermes_diag_set(d, "vector", "no metrics after the version");
        return ERMES_EPARSE;
    }
    while (pos <= end) {
        size_t start = pos, colon, stop;
        int m = -1, k = -1;

        stop = start;
        while (stop < end && vector[stop] != '/')
            stop++;
        colon = start;
        while (colon < stop && vector[colon] != ':')
            colon++;
        if (d)
            d->column = (long)start + 1;
        if (stop == start) {
            ermes_diag_set(d, "vector", "empty metric at column %zu", start + 1);
            return ERMES_EPARSE;
        }
        if (colon == stop) {
            ermes_diag_set(d, "vector", "\"%s\" at column %zu is not METRIC:VALUE",
                           clip(vector + start, stop - start, name, sizeof(name)), start + 1);
            return ERMES_EPARSE;
        }
        clip(vector + start, colon - start, name, sizeof(name));
        clip(vector + colon + 1, stop - colon - 1, value, sizeof(value));
        for (int i = 0; i < def->count; i++)
            if (strlen(def->metrics[i].name) == colon - start &&
                memcmp(def->metrics[i].name, vector + start, colon - start) == 0)
                m = i;
        if (m < 0) {
            ermes_diag_set(d, "vector", "unknown metric \"%s\" at column %zu for CVSS %s", name,
                           start + 1, ermes_cvss_version_name(def->version));
            return ERMES_EPARSE;
        }
        if (v.value[m] >= 0) {
            ermes_diag_set(d, def->metrics[m].name, "metric %s appears twice (column %zu)", name,
                           start + 1);
            return ERMES_EPARSE;
        }
        for (int i = 0; i < 8 && def->metrics[m].values[i]; i++)
            if (strlen(def->metrics[m].values[i]) == stop - colon - 1 &&
                memcmp(def->metrics[m].values[i], vector + colon + 1, stop - colon - 1) == 0)
                k = i;
        if (k < 0) {
            if (d)
                d->column = (long)colon + 2;
            ermes_diag_set(d, def->metrics[m].name, "metric %s has no value \"%s\" (column %zu)",
                           name, value, colon + 2);
            return ERMES_EPARSE;
        }
        v.value[m] = (int8_t)k;
        /* X (3.x, 4.0) and ND (2.0) say "not defined": a group of only those is absent. */
        if (strcmp(def->metrics[m].values[k], "X") != 0 &&
            strcmp(def->metrics[m].values[k], "ND") != 0) {
            if (def->metrics[m].group == G_TEMPORAL)
                v.has_temporal = 1;
            else if (def->metrics[m].group == G_ENV)
                v.has_environmental = 1;
        }
        pos = stop + 1;
    }
    for (int i = 0; i < def->count; i++)
        if (def->metrics[i].group == G_BASE && v.value[i] < 0) {
            if (d)
                d->column = (long)len + 1;
            ermes_diag_set(d, def->metrics[i].name, "base metric %s is missing",
                           def->metrics[i].name);
            return ERMES_EPARSE;
        }
    *out = v;
    return 0;
}

size_t ermes_cvss_format(const ermes_cvss_t *v, char *buf, size_t cap)
{
    const version_def_t *def = version_of(v->version);
    size_t n = 0;

    if (!def || cap == 0)
        return 0;
    buf[0] = '\0';
    n = (size_t)snprintf(buf, cap, "%s", def->prefix);
    for (int i = 0; i < def->count && n < cap; i++) {
        if (v->value[i] < 0)
            continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s:%s", n > strlen(def->prefix) ? "/" : "",
                              def->metrics[i].name, def->metrics[i].values[v->value[i]]);
    }
    return n < cap ? n : 0;
}

const char *ermes_cvss_metric(const ermes_cvss_t *v, const char *metric)
{
    const version_def_t *def = version_of(v->version);

    for (int i = 0; def && i < def->count; i++)
        if (strcmp(def->metrics[i].name, metric) == 0)
            return v->value[i] >= 0 ? def->metrics[i].values[v->value[i]] : NULL;
    return NULL;
}

/* ---- exact helpers ---- */

typedef ermes__exact_t X;

static X num(int64_t v, int scale)
{
    X r;
    ermes__exact_set(&r, v, scale);
    return r;
}

/* The formulas below chain many operations; an overflow of the limbs cannot happen with
 * the CVSS weights (the largest intermediate has some 230 digits of 460), so the checks are
 * collected in one flag instead of one branch per step. */
typedef struct calc {
    int rc;
} calc_t;

static X add(calc_t *c, X a, X b)
{
    X r;
    int rc = ermes__exact_add(&r, &a, &b);
    c->rc |= rc;
    return rc ? a : r;
}

static X sub(calc_t *c, X a, X b)
{
    X r;
    int rc = ermes__exact_sub(&r, &a, &b);
    c->rc |= rc;
    return rc ? a : r;
}

static X mul(calc_t *c, X a, X b)
{
    X r;
    int rc = ermes__exact_mul(&r, &a, &b);
    c->rc |= rc;
    return rc ? a : r;
}

static X power(calc_t *c, X a, unsigned k)
{
    X r;
    int rc = ermes__exact_pow(&r, &a, k);
    c->rc |= rc;
    return rc ? a : r;
}

static X min(X a, X b)
{
    return ermes__exact_cmp(&a, &b) <= 0 ? a : b;
}

static int positive(X a)
{
    return a.n > 0 && !a.neg;
}

static int round_to(calc_t *c, X a, int places, ermes__round_t mode)
{
    int64_t v = 0;

    if (!positive(a))
        return 0;
    c->rc |= ermes__exact_round(&a, places, mode, &v);
    return (int)v;
}

/* ---- CVSS 2.0 (Complete Guide, section 3.2) ---- */

static int w2(const ermes_cvss_t *v, int m, int dflt)
{
    return v->value[m] < 0 ? dflt : v2_metrics[m].weight[v->value[m]];
}

/* BaseScore = round_to_1_decimal(((0.6*Impact)+(0.4*Exploitability)-1.5)*f(Impact)). */
static int v2_base(calc_t *c, X impact, X expl)
{
    X t;
    if (!positive(impact))
        return 0;
    t = sub(c, add(c, mul(c, num(6, 1), impact), mul(c, num(4, 1), expl)), num(15, 1));
    return round_to(c, mul(c, t, num(1176, 3)), 1, ERMES__ROUND_HALF_UP);
}

static int score_v2(const ermes_cvss_t *v, ermes_cvss_scores_t *o)
{
    calc_t c = {0};
    X one = num(1, 0), expl, impact, temporal_factor;
    int base;

    expl = mul(&c, mul(&c, mul(&c, num(20, 0), num(w2(v, V2_AV, 0), 3)), num(w2(v, V2_AC, 0), 3)),
               num(w2(v, V2_AU, 0), 3));
    impact = mul(
        &c, num(1041, 2),
        sub(&c, one,
            mul(&c,
                mul(&c, sub(&c, one, num(w2(v, V2_C, 0), 3)), sub(&c, one, num(w2(v, V2_I, 0), 3))),
                sub(&c, one, num(w2(v, V2_A, 0), 3)))));
    base = v2_base(&c, impact, expl);
    temporal_factor = mul(&c, mul(&c, num(w2(v, V2_E, 1000), 3), num(w2(v, V2_RL, 1000), 3)),
                          num(w2(v, V2_RC, 1000), 3));
    o->base = base;
    o->temporal = v->has_temporal ? round_to(&c, mul(&c, num(base, 1), temporal_factor), 1,
                                             ERMES__ROUND_HALF_UP)
                                  : -1;
    o->environmental = -1;
    if (v->has_environmental) {
        X adj = one, adj_impact, ten = num(10, 0);
        int adj_base, adj_temporal;
        static const int cia[3][2] = {{V2_C, V2_CR}, {V2_I, V2_IR}, {V2_A, V2_AR}};
        for (int i = 0; i < 3; i++)
            adj = mul(
                &c, adj,
                sub(&c, one, mul(&c, num(w2(v, cia[i][0], 0), 3), num(w2(v, cia[i][1], 1000), 3))));
        adj_impact = min(ten, mul(&c, num(1041, 2), sub(&c, one, adj)));
        adj_base = v2_base(&c, adj_impact, expl);
        adj_temporal =
            round_to(&c, mul(&c, num(adj_base, 1), temporal_factor), 1, ERMES__ROUND_HALF_UP);
        /* EnvironmentalScore = round_to_1_decimal((AdjustedTemporal +
         * (10 - AdjustedTemporal) * CollateralDamagePotential) * TargetDistribution). */
        o->environmental =
            round_to(&c,
                     mul(&c,
                         add(&c, num(adj_temporal, 1),
                             mul(&c, sub(&c, ten, num(adj_temporal, 1)), num(w2(v, V2_CDP, 0), 3))),
                         num(w2(v, V2_TD, 1000), 3)),
                     1, ERMES__ROUND_HALF_UP);
    }
    return c.rc ? ERMES_EINTERNAL : 0;
}

/* ---- CVSS 3.0 and 3.1 (specification section 7, 3.1 Appendix A) ---- */

/* 3.1 Roundup: the smallest one-decimal number >= x, computed on x rounded to five decimals
 * so that representation noise of the inputs cannot push it up a tenth; 3.0's is the plain
 * ceiling (exact here, so free of the floating-point surprises the 3.1 rule was made for). */
static int roundup(calc_t *c, X x, int minor)
{
    int64_t i = 0;

    if (!positive(x))
        return 0;
    if (minor == 0)
        return round_to(c, x, 1, ERMES__ROUND_CEIL);
    c->rc |= ermes__exact_round(&x, 5, ERMES__ROUND_HALF_UP, &i);
    return (int)(i % 10000 == 0 ? i / 10000 : i / 10000 + 1);
}

/* The weight of 3.x metric m (base index b) in v, taking the modified metric mm when it is
 * set and not X. */
static int v3_index(const ermes_cvss_t *v, int b, int mm)
{
    if (mm >= 0 && v->value[mm] > 0)
        return v->value[mm] - 1;
    return v->value[b];
}

static int w3(const ermes_cvss_t *v, int m)
{
    return v->value[m] < 0 ? 100 : v3_metrics[m].weight[v->value[m]];
}

static X v3_impact(calc_t *c, X iss, int changed, int minor, int modified)
{
    if (!changed)
        return mul(c, num(642, 2), iss);
    /* Changed scope: 7.52 x (ISS - 0.029) - 3.25 x (ISS - 0.02)^15; the 3.1 environmental
     * formula uses 3.25 x (MISS x 0.9731 - 0.02)^13. */
    if (modified && minor == 1)
        return sub(c, mul(c, num(752, 2), sub(c, iss, num(29, 3))),
                   mul(c, num(325, 2), power(c, sub(c, mul(c, iss, num(9731, 4)), num(2, 2)), 13)));
    return sub(c, mul(c, num(752, 2), sub(c, iss, num(29, 3))),
               mul(c, num(325, 2), power(c, sub(c, iss, num(2, 2)), 15)));
}

static int score_v3(const ermes_cvss_t *v, ermes_cvss_scores_t *o)
{
    calc_t c = {0};
    int minor = v->version == ERMES_CVSS_V31, changed = v->value[V3_S] == 1, base;
    X one = num(1, 0), ten = num(10, 0), iss, impact, expl, total, tf;

    iss = one;
    for (int m = V3_C; m <= V3_A; m++)
        iss = mul(&c, iss, sub(&c, one, num(v3_metrics[m].weight[v->value[m]], 2)));
    iss = sub(&c, one, iss);
    impact = v3_impact(&c, iss, changed, minor, 0);
    expl = num(822, 2);
    for (int m = V3_AV; m <= V3_UI; m++) {
        int k = v->value[m];
        expl =
            mul(&c, expl, num(m == V3_PR && changed ? pr_changed[k] : v3_metrics[m].weight[k], 2));
    }
    total = add(&c, impact, expl);
    if (changed)
        total = mul(&c, num(108, 2), total);
    base = positive(impact) ? roundup(&c, min(total, ten), minor) : 0;
    tf = mul(&c, mul(&c, num(w3(v, V3_E), 2), num(w3(v, V3_RL), 2)), num(w3(v, V3_RC), 2));
    o->base = base;
    o->temporal = v->has_temporal ? roundup(&c, mul(&c, num(base, 1), tf), minor) : -1;
    o->environmental = -1;
    if (v->has_environmental) {
        /* Modified metrics: MAV..MA follow AV..A in the table, each X or a base value. */
        int mi[8];
        for (int m = 0; m < 8; m++)
            mi[m] = v3_index(v, V3_AV + m, V3_MAV + m);
        int mchanged = mi[V3_S] == 1, mod_total;
        X miss = one, mimpact, mexpl = num(822, 2), mt;
        static const int req[3] = {V3_CR, V3_IR, V3_AR};
        for (int m = V3_C; m <= V3_A; m++)
            miss = mul(
                &c, miss,
                sub(&c, one,
                    mul(&c, num(w3(v, req[m - V3_C]), 2), num(v3_metrics[m].weight[mi[m]], 2))));
        miss = min(sub(&c, one, miss), num(915, 3));
        mimpact = v3_impact(&c, miss, mchanged, minor, 1);
        for (int m = V3_AV; m <= V3_UI; m++)
            mexpl = mul(
                &c, mexpl,
                num(m == V3_PR && mchanged ? pr_changed[mi[m]] : v3_metrics[m].weight[mi[m]], 2));
        mt = add(&c, mimpact, mexpl);
        if (mchanged)
            mt = mul(&c, num(108, 2), mt);
        if (!positive(mimpact)) {
            o->environmental = 0;
        } else {
            mod_total = roundup(&c, min(mt, ten), minor);
            o->environmental = roundup(&c, mul(&c, num(mod_total, 1), tf), minor);
        }
    }
    return c.rc ? ERMES_EINTERNAL : 0;
}

/* ---- CVSS 4.0 (specification section 8) ---- */

/* What a 4.0 metric counts as in the score (section 8.2 "effective values"): E:X is A,
 * CR/IR/AR:X are H, and a modified metric other than X replaces its base metric. Returns
 * the value's text. use_threat/use_env leave those groups at their defaults. */
typedef struct eff4 {
    const ermes_cvss_t *v;
    int threat, env;
} eff4_t;

static const char *e4(const eff4_t *e, int m)
{
    const ermes_cvss_t *v = e->v;

    if (m == V4_E)
        return e->threat && v->value[m] > 0 ? v4_metrics[m].values[v->value[m]] : "A";
    if (m >= V4_CR && m <= V4_AR)
        return e->env && v->value[m] > 0 ? v4_metrics[m].values[v->value[m]] : "H";
    if (m <= V4_SA) {
        int mm = V4_MAV + m;
        if (e->env && v->value[mm] > 0)
            return v4_metrics[mm].values[v->value[mm]];
        return v4_metrics[m].values[v->value[m]];
    }
    return "X";
}

static int is4(const eff4_t *e, int m, const char *val)
{
    return strcmp(e4(e, m), val) == 0;
}

/* The severity level of metric m's effective value, in tenths (section 8.2's table). */
static int level4(const eff4_t *e, int m)
{
    const char *val = e4(e, m);
    const metric_t *def = &v4_metrics[m];

    if ((m == V4_SI || m == V4_SA) && strcmp(val, "S") == 0)
        return 0;
    if (m >= V4_CR && m <= V4_AR) {
        for (int i = 1; i < 4; i++)
            if (strcmp(def->values[i], val) == 0)
                return def->weight[i];
        return 0;
    }
    for (int i = 0; i < 8 && def->values[i]; i++)
        if (strcmp(def->values[i], val) == 0)
            return def->weight[i];
    return 0;
}

static int lookup4(const int eq[6])
{
    if (eq[0] > 2 || eq[1] > 1 || eq[2] > 2 || eq[3] > 2 || eq[4] > 2 || eq[5] > 1)
        return -1;
    return ermes__cvss4_lookup[((((eq[0] * 2 + eq[1]) * 3 + eq[2]) * 3 + eq[3]) * 3 + eq[4]) * 2 +
                               eq[5]];
}

/* The highest-severity vectors of each MacroVector level (FIRST's "max_composed"), as the
 * severity levels (tenths) of their metrics. Each row: metric count, then (metric, level). */
typedef struct maxvec {
    int n;
    struct {
        int8_t m, level;
    } at[6];
} maxvec_t;

static const maxvec_t eq1_max[3][3] = {
    {{3, {{V4_AV, 0}, {V4_PR, 0}, {V4_UI, 0}}}},
    {{3, {{V4_AV, 1}, {V4_PR, 0}, {V4_UI, 0}}},
     {3, {{V4_AV, 0}, {V4_PR, 1}, {V4_UI, 0}}},
     {3, {{V4_AV, 0}, {V4_PR, 0}, {V4_UI, 1}}}},
    {{3, {{V4_AV, 3}, {V4_PR, 0}, {V4_UI, 0}}}, {3, {{V4_AV, 1}, {V4_PR, 1}, {V4_UI, 1}}}},
};
static const maxvec_t eq2_max[2][2] = {
    {{2, {{V4_AC, 0}, {V4_AT, 0}}}},
    {{2, {{V4_AC, 1}, {V4_AT, 0}}}, {2, {{V4_AC, 0}, {V4_AT, 1}}}},
};
/* eq3eq6: [eq3][eq6]; VC VI VA CR IR AR (H 0, L 1; CR: H 0, M 1). */
#define V36(vc, vi, va, cr, ir, ar)                                                                \
    {                                                                                              \
        6,                                                                                         \
        {                                                                                          \
            {V4_VC, vc}, {V4_VI, vi}, {V4_VA, va}, {V4_CR, cr}, {V4_IR, ir},                       \
            {                                                                                      \
                V4_AR, ar                                                                          \
            }                                                                                      \
        }                                                                                          \
    }
static const maxvec_t eq36_max[3][2][5] = {
    {{V36(0, 0, 0, 0, 0, 0)}, {V36(0, 0, 1, 1, 1, 0), V36(0, 0, 0, 1, 1, 1)}},
    {{V36(1, 0, 0, 0, 0, 0), V36(0, 1, 0, 0, 0, 0)},
     {V36(1, 0, 1, 0, 1, 0), V36(1, 0, 0, 0, 1, 1), V36(0, 1, 0, 1, 0, 1), V36(0, 1, 1, 1, 0, 0),
      V36(1, 1, 0, 0, 0, 1)}},
    {{{0, {{0, 0}}}}, {V36(1, 1, 1, 0, 0, 0)}},
};
static const maxvec_t eq4_max[3][1] = {
    {{3, {{V4_SC, 1}, {V4_SI, 0}, {V4_SA, 0}}}},
    {{3, {{V4_SC, 1}, {V4_SI, 1}, {V4_SA, 1}}}},
    {{3, {{V4_SC, 2}, {V4_SI, 2}, {V4_SA, 2}}}},
};
/* The depth of each MacroVector level (FIRST's "max_severity"), in tenths. */
static const int eq1_depth[3] = {1, 4, 5}, eq2_depth[2] = {1, 2}, eq4_depth[3] = {6, 5, 4};
static const int eq36_depth[3][2] = {{7, 6}, {8, 8}, {0, 10}};

/* The distance of the vector from the first of the n max vectors it does not exceed in any
 * metric, summed over their metrics; 0 when none fits (cannot happen for a valid level). */
static int distance4(const eff4_t *e, const maxvec_t *mv, int n)
{
    for (int i = 0; i < n; i++) {
        int sum = 0, ok = mv[i].n > 0;
        for (int k = 0; k < mv[i].n; k++) {
            int dlt = level4(e, mv[i].at[k].m) - mv[i].at[k].level;
            if (dlt < 0)
                ok = 0;
            sum += dlt;
        }
        if (ok)
            return sum;
    }
    return 0;
}

static int count_max(const maxvec_t *mv, int cap)
{
    int n = 0;
    while (n < cap && mv[n].n > 0)
        n++;
    return n;
}

static int score_v4_with(const eff4_t *e)
{
    int eq[6], value, nx[6], lower[5], dist[5], depth[5];
    int64_t den = 1, num_sum = 0, n_lower = 0;

    if (is4(e, V4_VC, "N") && is4(e, V4_VI, "N") && is4(e, V4_VA, "N") && is4(e, V4_SC, "N") &&
        is4(e, V4_SI, "N") && is4(e, V4_SA, "N"))
        return 0;
    /* Section 8.2: the six equivalence classes. */
    int av_n = is4(e, V4_AV, "N"), pr_n = is4(e, V4_PR, "N"), ui_n = is4(e, V4_UI, "N");
    if (av_n && pr_n && ui_n)
        eq[0] = 0;
    else if ((av_n || pr_n || ui_n) && !is4(e, V4_AV, "P"))
        eq[0] = 1;
    else
        eq[0] = 2;
    eq[1] = is4(e, V4_AC, "L") && is4(e, V4_AT, "N") ? 0 : 1;
    int vc = is4(e, V4_VC, "H"), vi = is4(e, V4_VI, "H"), va = is4(e, V4_VA, "H");
    eq[2] = vc && vi ? 0 : (vc || vi || va) ? 1 : 2;
    if (is4(e, V4_SI, "S") || is4(e, V4_SA, "S"))
        eq[3] = 0;
    else if (is4(e, V4_SC, "H") || is4(e, V4_SI, "H") || is4(e, V4_SA, "H"))
        eq[3] = 1;
    else
        eq[3] = 2;
    eq[4] = is4(e, V4_E, "A") ? 0 : is4(e, V4_E, "P") ? 1 : 2;
    eq[5] = (is4(e, V4_CR, "H") && vc) || (is4(e, V4_IR, "H") && vi) || (is4(e, V4_AR, "H") && va)
                ? 0
                : 1;
    value = lookup4(eq);
    if (value < 0)
        return -1;

    /* The next lower MacroVector of each class (EQ3 and EQ6 together); its score gives the
     * available distance. */
    for (int g = 0; g < 5; g++) {
        memcpy(nx, eq, sizeof(nx));
        int s;
        if (g == 0)
            nx[0]++, s = lookup4(nx);
        else if (g == 1)
            nx[1]++, s = lookup4(nx);
        else if (g == 2) {
            if (eq[2] == 0 && eq[5] == 0) {
                int l, r;
                nx[5]++;
                l = lookup4(nx);
                nx[5]--, nx[2]++;
                r = lookup4(nx);
                s = l > r ? l : r;
            } else if (eq[2] == 1 && eq[5] == 0) {
                nx[5]++, s = lookup4(nx);
            } else {
                nx[2]++, s = lookup4(nx);
            }
        } else if (g == 3)
            nx[3]++, s = lookup4(nx);
        else
            nx[4]++, s = lookup4(nx);
        lower[g] = s < 0 ? -1 : value - s;
    }
    dist[0] = distance4(e, eq1_max[eq[0]], count_max(eq1_max[eq[0]], 3));
    dist[1] = distance4(e, eq2_max[eq[1]], count_max(eq2_max[eq[1]], 2));
    dist[2] = distance4(e, eq36_max[eq[2]][eq[5]], count_max(eq36_max[eq[2]][eq[5]], 5));
    dist[3] = distance4(e, eq4_max[eq[3]], 1);
    dist[4] = 0;
    depth[0] = eq1_depth[eq[0]];
    depth[1] = eq2_depth[eq[1]];
    depth[2] = eq36_depth[eq[2]][eq[5]];
    depth[3] = eq4_depth[eq[3]];
    depth[4] = 1;
    /* Score = value - mean over the classes with a lower MacroVector of
     * available_distance x distance / depth, all in tenths: an exact fraction. */
    for (int g = 0; g < 5; g++)
        den *= depth[g];
    for (int g = 0; g < 5; g++) {
        if (lower[g] < 0)
            continue;
        n_lower++;
        num_sum += (int64_t)lower[g] * dist[g] * (den / depth[g]);
    }
    if (n_lower == 0)
        return value;
    /* value - num_sum / (den * n_lower), rounded half up to a tenth (one unit here). */
    int64_t d = den * n_lower, n = (int64_t)value * d - num_sum;
    if (n <= 0)
        return 0;
    int64_t r = (2 * n + d) / (2 * d);
    return r > 100 ? 100 : (int)r;
}

static int score_v4(const ermes_cvss_t *v, ermes_cvss_scores_t *o)
{
    eff4_t base = {v, 0, 0}, threat = {v, 1, 0}, all = {v, 1, 1};

    o->base = score_v4_with(&base);
    o->temporal = v->has_temporal ? score_v4_with(&threat) : -1;
    o->environmental = v->has_environmental ? score_v4_with(&all) : -1;
    return o->base < 0 ? ERMES_EINTERNAL : 0;
}

int ermes_cvss_score(const ermes_cvss_t *v, ermes_cvss_scores_t *out)
{
    ermes_cvss_scores_t s;
    int rc;

    switch (v->version) {
    case ERMES_CVSS_V2:
        rc = score_v2(v, &s);
        break;
    case ERMES_CVSS_V30:
    case ERMES_CVSS_V31:
        rc = score_v3(v, &s);
        break;
    case ERMES_CVSS_V40:
        rc = score_v4(v, &s);
        break;
    default:
        return ERMES_EINVAL;
    }
    if (rc == 0)
        *out = s;
    return rc;
}

int ermes_cvss_score_all(const ermes_cvss_t *v, ermes_cvss_scores_t *out)
{
    ermes_cvss_t all = *v;

    all.has_temporal = all.has_environmental = 1;
    return ermes_cvss_score(&all, out);
}
