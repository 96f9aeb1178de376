/* Versions of products, compared the way vulnerability data needs: CVE JSON 5's
 * version-status algorithm (CVEProject/cve-schema, schema/docs/versions.md) and NVD's
 * versionStart/versionEnd bounds (NVD leaves the comparison unspecified; a dotted-numeric
 * comparison with a text fallback is what every consumer does, and what this is). */
#include "ermes/vuln.h"

#include <stdint.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_sep(char c)
{
    return c == '.' || c == '-' || c == '_' || c == '+' || c == '~' || c == ':';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* The next segment of s at *i: its start and length, separators skipped. 0 at the end. */
static int next_seg(const char *s, size_t *i, const char **seg, size_t *len)
{
    size_t k = *i, start;

    while (s[k] && is_sep(s[k]))
        k++;
    if (!s[k]) {
        *i = k;
        return 0;
    }
    start = k;
    if (s[k] == '*')
        k++;
    else if (is_digit(s[k]))
        while (is_digit(s[k]))
            k++;
    else
        while (s[k] && !is_digit(s[k]) && !is_sep(s[k]) && s[k] != '*')
            k++;
    *seg = s + start;
    *len = k - start;
    *i = k;
    return 1;
}

/* Numbers of any length: leading zeros dropped, then the longer is larger. */
static int cmp_num(const char *a, size_t na, const char *b, size_t nb)
{
    int c;

    while (na > 1 && *a == '0')
        a++, na--;
    while (nb > 1 && *b == '0')
        b++, nb--;
    if (na != nb)
        return na < nb ? -1 : 1;
    c = memcmp(a, b, na);
    return c < 0 ? -1 : c > 0;
}

static int cmp_text(const char *a, size_t na, const char *b, size_t nb)
{
    for (size_t k = 0; k < na && k < nb; k++) {
        char x = lower(a[k]), y = lower(b[k]);
        if (x != y)
            return (unsigned char)x < (unsigned char)y ? -1 : 1;
    }
    return na == nb ? 0 : na < nb ? -1 : 1;
}

static int generic_compare(const char *a, const char *b)
{
    size_t i = 0, j = 0;

    for (;;) {
        const char *sa = NULL, *sb = NULL;
        size_t na = 0, nb = 0;
        int ha = next_seg(a, &i, &sa, &na), hb = next_seg(b, &j, &sb, &nb), c;

        if (!ha && !hb)
            return 0;
        if (ha && *sa == '*')
            return hb && *sb == '*' ? 0 : 1;
        if (hb && *sb == '*')
            return -1;
        /* One ended: more numbers is a later version, letters a pre-release of it. */
        if (!ha)
            return is_digit(*sb) ? -1 : 1;
        if (!hb)
            return is_digit(*sa) ? 1 : -1;
        if (is_digit(*sa) && is_digit(*sb))
            c = cmp_num(sa, na, sb, nb);
        else if (is_digit(*sa) != is_digit(*sb))
            c = is_digit(*sa) ? 1 : -1; /* 1.0.1 after 1.0.beta */
        else
            c = cmp_text(sa, na, sb, nb);
        if (c)
            return c;
    }
}

/* Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], an optional "v". */
typedef struct semver {
    const char *core[3];
    size_t ncore[3];
    const char *pre; /* NULL when none */
    size_t npre;
} semver_t;

static int semver_parse(const char *s, semver_t *v)
{
    size_t k = 0;

    memset(v, 0, sizeof(*v));
    if (s[k] == 'v' || s[k] == 'V')
        k++;
    for (int p = 0; p < 3; p++) {
        size_t start = k;
        while (is_digit(s[k]))
            k++;
        if (k == start)
            return -1;
        v->core[p] = s + start;
        v->ncore[p] = k - start;
        if (p < 2 && s[k++] != '.')
            return -1;
    }
    if (s[k] == '-') {
        size_t start = ++k;
        while (s[k] && s[k] != '+')
            k++;
        if (k == start)
            return -1;
        v->pre = s + start;
        v->npre = k - start;
    }
    if (s[k] && s[k] != '+')
        return -1;
    return 0;
}

/* Section 11.4: dot-separated identifiers, numeric ones compared as numbers and lower than
 * alphanumeric ones; a larger set of fields is higher when the others are equal. */
static int semver_pre_compare(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, j = 0;

    for (;;) {
        size_t si = i, sj = j;
        int da = 1, db = 1, c;
        if (i >= na || j >= nb)
            return i >= na && j >= nb ? 0 : i >= na ? -1 : 1;
        while (i < na && a[i] != '.')
            da &= is_digit(a[i++]);
        while (j < nb && b[j] != '.')
            db &= is_digit(b[j++]);
        if (da && db)
            c = cmp_num(a + si, i - si, b + sj, j - sj);
        else if (da != db)
            c = da ? -1 : 1;
        else {
            size_t la = i - si, lb = j - sj;
            c = memcmp(a + si, b + sj, la < lb ? la : lb);
            c = c ? (c < 0 ? -1 : 1) : la == lb ? 0 : la < lb ? -1 : 1;
        }
        if (c)
            return c;
        i += i < na;
        j += j < nb;
    }
}

int ermes_version_compare(const char *a, const char *b, const char *type)
{
    semver_t x, y;

    if (type && !strcmp(type, "semver") && !semver_parse(a, &x) && !semver_parse(b, &y)) {
        for (int p = 0; p < 3; p++) {
            int c = cmp_num(x.core[p], x.ncore[p], y.core[p], y.ncore[p]);
            if (c)
                return c;
        }
        /* Section 11.3: a pre-release is lower than the normal version. */
        if (!x.pre || !y.pre)
            return !x.pre && !y.pre ? 0 : x.pre ? -1 : 1;
        return semver_pre_compare(x.pre, x.npre, y.pre, y.npre);
    }
    return generic_compare(a, b);
}

ermes_vstatus_t ermes_vstatus_parse(const char *s)
{
    if (s && !strcmp(s, "affected"))
        return ERMES_VSTATUS_AFFECTED;
    if (s && !strcmp(s, "unaffected"))
        return ERMES_VSTATUS_UNAFFECTED;
    return ERMES_VSTATUS_UNKNOWN;
}

const char *ermes_vstatus_name(ermes_vstatus_t s)
{
    return s == ERMES_VSTATUS_AFFECTED     ? "affected"
           : s == ERMES_VSTATUS_UNAFFECTED ? "unaffected"
                                           : "unknown";
}

/* versions.md: "0" as the start of a range means it has no lower bound. */
static int at_least(const char *v, const char *start, const char *type)
{
    if (!start || !strcmp(start, "0"))
        return 1;
    return ermes_version_compare(start, v, type) <= 0;
}

ermes_vstatus_t ermes_cve5_version_status(const ermes_vrange_t *v, size_t n,
                                          ermes_vstatus_t default_status, const char *version)
{
    for (size_t k = 0; k < n; k++) {
        const ermes_vrange_t *e = &v[k];
        const char *type = e->version_type;
        int in;

        if (!e->less_than && !e->less_than_or_equal) {
            if (e->version && !ermes_version_compare(e->version, version, type))
                return e->status;
            continue;
        }
        /* git ranges compare by ancestry in a repository, custom ones by rules we do not
         * know: neither can be evaluated here. */
        if (type && (!strcmp(type, "git") || !strcmp(type, "custom")))
            continue;
        in = at_least(version, e->version, type);
        if (in && e->less_than)
            in = !strcmp(e->less_than, "*") ||
                 ermes_version_compare(version, e->less_than, type) < 0;
        else if (in)
            in = !strcmp(e->less_than_or_equal, "*") ||
                 ermes_version_compare(version, e->less_than_or_equal, type) <= 0;
        if (in) {
            ermes_vstatus_t s = e->status;
            /* Changes apply in ascending order of at, whatever order they are written in:
             * the last one at or below V decides. */
            const char *best = NULL;
            for (size_t c = 0; c < e->nchanges; c++) {
                const char *at = e->changes[c].at;
                if (!at || ermes_version_compare(at, version, type) > 0)
                    continue;
                if (!best || ermes_version_compare(at, best, type) >= 0) {
                    best = at;
                    s = e->changes[c].status;
                }
            }
            return s;
        }
    }
    return default_status;
}

int ermes_nvd_version_in_range(const char *version, const char *start_incl, const char *start_excl,
                               const char *end_incl, const char *end_excl)
{
    int bounded = start_incl || start_excl || end_incl || end_excl;

    if (!version || !*version || !strcmp(version, "*") || !strcmp(version, "-"))
        return !bounded;
    if (start_incl && ermes_version_compare(version, start_incl, NULL) < 0)
        return 0;
    if (start_excl && ermes_version_compare(version, start_excl, NULL) <= 0)
        return 0;
    if (end_incl && ermes_version_compare(version, end_incl, NULL) > 0)
        return 0;
    if (end_excl && ermes_version_compare(version, end_excl, NULL) >= 0)
        return 0;
    return 1;
}
