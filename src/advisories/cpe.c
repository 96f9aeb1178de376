/* CPE 2.3: the formatted string and URI bindings unbound into well-formed names (NISTIR 7695
 * sections 6.1 and 6.2), and name matching (NISTIR 7696 section 6). A WFN value keeps every
 * character but letters, digits and '_' quoted with a backslash; an unquoted '*' or '?' is a
 * wildcard, allowed only at the start or the end of a value. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ermes/cpe.h"

static const char *const attr_names[ERMES_CPE_ATTRS] = {
    "part",     "vendor",     "product",   "version",   "update", "edition",
    "language", "sw_edition", "target_sw", "target_hw", "other"};

const char *ermes_cpe_relation_name(ermes_cpe_relation_t r)
{
    static const char *const names[] = {"DISJOINT", "SUBSET", "SUPERSET", "EQUAL", "UNDEFINED"};
    return r <= ERMES_CPE_UNDEFINED ? names[r] : "?";
}

typedef struct builder {
    ermes_cpe_t *cpe;
    size_t used;
} builder_t;

static int put(builder_t *b, char c)
{
    if (b->used + 1 >= sizeof(b->cpe->buf))
        return -1;
    b->cpe->buf[b->used++] = c;
    return 0;
}

/* Checks the wildcards of a WFN value: '*' only first or last (and alone at each end),
 * '?' runs only at the start or the end. */
static int wildcards_ok(const char *v, size_t n)
{
    size_t i = 0, lead_end = 0, trail_start = n;

    /* leading run */
    if (i < n && v[i] == '*')
        i++;
    else
        while (i < n && v[i] == '?')
            i++;
    lead_end = i;
    /* trailing run (unquoted) */
    size_t j = n;
    if (j > lead_end && v[j - 1] == '*' && !(j >= 2 && v[j - 2] == '\\'))
        j--;
    else
        while (j > lead_end && v[j - 1] == '?' && !(j >= 2 && v[j - 2] == '\\'))
            j--;
    trail_start = j;
    for (i = lead_end; i < trail_start; i++) {
        if (v[i] == '\\') {
            i++;
            continue;
        }
        if (v[i] == '*' || v[i] == '?')
            return 0;
    }
    return !(n == 1 && v[0] == '*'); /* a lone '*' is ANY, not a value */
}

/* Adds one formatted-string value (raw text of len bytes) as attribute a. */
static int add_fs_value(builder_t *b, int a, const char *s, size_t len, ermes_diag_t *d)
{
    ermes_cpe_t *cpe = b->cpe;
    size_t start = b->used;

    if (len == 1 && s[0] == '*') {
        cpe->kind[a] = ERMES_CPE_ANY;
        cpe->off[a] = 0;
        return 0;
    }
    if (len == 1 && s[0] == '-') {
        cpe->kind[a] = ERMES_CPE_NA;
        cpe->off[a] = 0;
        return 0;
    }
    if (len == 0) {
        ermes_diag_set(d, attr_names[a], "the %s is empty", attr_names[a]);
        return ERMES_EPARSE;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc = 0;
        if (c == '\\') {
            if (i + 1 >= len || (unsigned char)s[i + 1] <= 0x20 ||
                (unsigned char)s[i + 1] >= 0x7f) {
                ermes_diag_set(d, attr_names[a], "the %s ends in a lone backslash", attr_names[a]);
                return ERMES_EPARSE;
            }
            /* A quoted letter, digit or '_' needs no quoting in a WFN: keep one form. */
            unsigned char q = (unsigned char)s[++i];
            rc = isalnum(q) || q == '_' ? put(b, (char)q) : put(b, '\\') | put(b, (char)q);
        } else if (isalnum(c) || c == '_') {
            rc = put(b, (char)c);
        } else if (c == '*' || c == '?') {
            rc = put(b, (char)c);
        } else if (c > 0x20 && c < 0x7f) {
            rc = put(b, '\\') | put(b, (char)c);
        } else {
            ermes_diag_set(d, attr_names[a], "the %s holds a character CPE does not allow",
                           attr_names[a]);
            return ERMES_EPARSE;
        }
        if (rc) {
            ermes_diag_set(d, attr_names[a], "the name is too long");
            return ERMES_EPARSE;
        }
    }
    if (put(b, '\0')) {
        ermes_diag_set(d, attr_names[a], "the name is too long");
        return ERMES_EPARSE;
    }
    if (!wildcards_ok(cpe->buf + start, b->used - start - 1)) {
        ermes_diag_set(d, attr_names[a], "a wildcard inside the %s (only at its start or end)",
                       attr_names[a]);
        return ERMES_EPARSE;
    }
    cpe->kind[a] = ERMES_CPE_STRING;
    cpe->off[a] = (unsigned short)start;
    return 0;
}

static int part_ok(const ermes_cpe_t *cpe, ermes_diag_t *d)
{
    const char *p = ermes_cpe_value(cpe, ERMES_CPE_PART);
    if (cpe->kind[ERMES_CPE_PART] == ERMES_CPE_STRING &&
        !(strlen(p) == 1 && (p[0] == 'a' || p[0] == 'o' || p[0] == 'h'))) {
        ermes_diag_set(d, "part", "the part must be a, o or h");
        return ERMES_EPARSE;
    }
    return 0;
}

static int parse_fs(const char *s, size_t len, ermes_cpe_t *out, ermes_diag_t *d)
{
    builder_t b = {out, 1};
    size_t pos = 8; /* after "cpe:2.3:" */
    int a = 0, rc;

    while (a < ERMES_CPE_ATTRS) {
        size_t end = pos;
        while (end < len && s[end] != ':') {
            if (s[end] == '\\' && end + 1 < len)
                end++;
            end++;
        }
        if (end > len)
            end = len;
        if ((rc = add_fs_value(&b, a, s + pos, end - pos, d)))
            return rc;
        a++;
        if (end >= len)
            break;
        pos = end + 1;
        if (a == ERMES_CPE_ATTRS) {
            ermes_diag_set(d, "name", "more than 11 attributes after cpe:2.3:");
            return ERMES_EPARSE;
        }
    }
    if (a != ERMES_CPE_ATTRS) {
        ermes_diag_set(d, attr_names[a],
                       "the name ends before the %s (a formatted string has "
                       "11 attributes)",
                       attr_names[a]);
        return ERMES_EPARSE;
    }
    return part_ok(out, d);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Adds one URI-binding value (NISTIR 7695 6.1.3.2: percent-encoded; %01 is '?', %02 '*'). */
static int add_uri_value(builder_t *b, int a, const char *s, size_t len, ermes_diag_t *d)
{
    char raw[ERMES_CPE_MAX * 2];
    size_t n = 0;

    if (len == 0) {
        b->cpe->kind[a] = ERMES_CPE_ANY;
        b->cpe->off[a] = 0;
        return 0;
    }
    if (len == 1 && s[0] == '-') {
        b->cpe->kind[a] = ERMES_CPE_NA;
        b->cpe->off[a] = 0;
        return 0;
    }
    for (size_t i = 0; i < len && n + 2 < sizeof(raw); i++) {
        if (s[i] == '%') {
            int h1 = i + 2 < len ? hexval(s[i + 1]) : -1, h2 = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (i + 2 >= len || h1 < 0 || h2 < 0) {
                ermes_diag_set(d, attr_names[a], "bad percent-encoding in the %s", attr_names[a]);
                return ERMES_EPARSE;
            }
            int c = h1 * 16 + h2;
            i += 2;
            if (c == 1)
                raw[n++] = '?';
            else if (c == 2)
                raw[n++] = '*';
            else if (c > 0x20 && c < 0x7f) {
                /* an encoded character is a literal: quote it unless alphanumeric */
                if (!isalnum(c) && c != '_')
                    raw[n++] = '\\';
                raw[n++] = (char)c;
            } else {
                ermes_diag_set(d, attr_names[a], "the %s holds a character CPE does not allow",
                               attr_names[a]);
                return ERMES_EPARSE;
            }
        } else if (s[i] == '*' || s[i] == '?') {
            raw[n++] = '\\';
            raw[n++] = s[i];
        } else {
            raw[n++] = (char)tolower((unsigned char)s[i]);
        }
    }
    return add_fs_value(b, a, raw, n, d);
}

static int parse_uri(const char *s, size_t len, ermes_cpe_t *out, ermes_diag_t *d)
{
    builder_t b = {out, 1};
    size_t pos = 5; /* after "cpe:/" */
    int a = 0, rc;

    for (int k = 0; k < ERMES_CPE_ATTRS; k++) {
        out->kind[k] = ERMES_CPE_ANY;
        out->off[k] = 0;
    }
    while (pos <= len && a <= ERMES_CPE_LANGUAGE) {
        size_t end = pos;
        while (end < len && s[end] != ':')
            end++;
        if (a == ERMES_CPE_EDITION && end > pos && s[pos] == '~') {
            /* packed: ~edition~sw_edition~target_sw~target_hw~other */
            static const int packed[5] = {ERMES_CPE_EDITION, ERMES_CPE_SW_EDITION,
                                          ERMES_CPE_TARGET_SW, ERMES_CPE_TARGET_HW,
                                          ERMES_CPE_OTHER};
            size_t p = pos + 1;
            for (int k = 0; k < 5; k++) {
                size_t e = p;
                while (e < end && s[e] != '~')
                    e++;
                if ((k < 4 && e >= end) || (k == 4 && e != end)) {
                    ermes_diag_set(d, "edition", "a packed edition has five fields");
                    return ERMES_EPARSE;
                }
                if ((rc = add_uri_value(&b, packed[k], s + p, e - p, d)))
                    return rc;
                p = e + 1;
            }
        } else if ((rc = add_uri_value(&b, a, s + pos, end - pos, d))) {
            return rc;
        }
        a++;
        if (end >= len)
            break;
        pos = end + 1;
    }
    if (pos < len && a > ERMES_CPE_LANGUAGE) {
        ermes_diag_set(d, "name", "more than 7 components after cpe:/");
        return ERMES_EPARSE;
    }
    return part_ok(out, d);
}

int ermes_cpe_parse(const char *name, size_t len, ermes_cpe_t *out, ermes_diag_t *d)
{
    int rc;

    if (len > ERMES_CPE_MAX) {
        ermes_diag_set(d, "name", "longer than %d bytes", ERMES_CPE_MAX);
        return ERMES_EPARSE;
    }
    memset(out->kind, 0, sizeof(out->kind));
    memset(out->off, 0, sizeof(out->off));
    out->buf[0] = '\0';
    if (len >= 8 && strncasecmp(name, "cpe:2.3:", 8) == 0)
        rc = parse_fs(name, len, out, d);
    else if (len >= 5 && strncasecmp(name, "cpe:/", 5) == 0)
        rc = parse_uri(name, len, out, d);
    else {
        ermes_diag_set(d, "name", "not a CPE name: expected cpe:2.3: or cpe:/");
        rc = ERMES_EPARSE;
    }
    if (rc == 0) {
        /* A URI's packed and percent-encoded values can take more room as a formatted
         * string; a name is kept only if its formatted string is itself a name we read. */
        char text[ERMES_CPE_MAX * 3];
        size_t n = ermes_cpe_format(out, text, sizeof(text));

        if (n == 0 || n > ERMES_CPE_MAX) {
            ermes_diag_set(d, "name", "its formatted string is longer than %d bytes",
                           ERMES_CPE_MAX);
            rc = ERMES_EPARSE;
        }
    }
    return rc;
}

size_t ermes_cpe_format(const ermes_cpe_t *cpe, char *buf, size_t cap)
{
    size_t n = 0;
    int w = snprintf(buf, cap, "cpe:2.3");

    if (w < 0 || (size_t)w >= cap)
        return 0;
    n = (size_t)w;
    for (int a = 0; a < ERMES_CPE_ATTRS; a++) {
        if (n + 2 >= cap)
            return 0;
        buf[n++] = ':';
        if (cpe->kind[a] == ERMES_CPE_ANY) {
            buf[n++] = '*';
        } else if (cpe->kind[a] == ERMES_CPE_NA) {
            buf[n++] = '-';
        } else {
            /* WFN to formatted string: '.', '-' and '_' need no quoting there. */
            const char *v = ermes_cpe_value(cpe, a);
            for (const char *p = v; *p; p++) {
                if (n + 3 >= cap)
                    return 0;
                /* '.', '-' and '_' go unquoted in a formatted string, but for a value that
                 * is a lone "-", which would read as NA. */
                if (p[0] == '\\' && p[1] && (p[1] == '.' || p[1] == '-' || p[1] == '_') &&
                    strcmp(v, "\\-") != 0)
                    p++;
                else if (p[0] == '\\' && p[1])
                    buf[n++] = *p++;
                buf[n++] = *p;
            }
        }
    }
    buf[n] = '\0';
    return n;
}

/* ---- NISTIR 7696 section 6 ---- */

static int has_wildcards(const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '*' || *p == '?')
            return 1;
    }
    return 0;
}

/* Escape characters (quoting backslashes) in v[from, to). */
static size_t escapes(const char *v, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        if (v[i] == '\\') {
            n++;
            i++;
        }
    return n;
}

static int ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* Finds needle (n bytes) in hay from index from, case-insensitively; -1 when absent. */
static long find_ci(const char *hay, size_t hlen, const char *needle, size_t n, size_t from)
{
    for (size_t i = from; i + n <= hlen; i++)
        if (strncasecmp(hay + i, needle, n) == 0)
            return (long)i;
    return -1;
}

/* A source value with wildcards against a target value without (section 6.1.2's
 * compareStrings): SUPERSET when the pattern matches, else DISJOINT. */
static ermes_cpe_relation_t compare_strings(const char *src, const char *tgt)
{
    size_t slen = strlen(src), tlen = strlen(tgt), start = 0, end = slen;
    long begins = 0, ends = 0;

    if (slen > 0 && src[0] == '*') {
        start = 1;
        begins = -1;
    } else {
        while (start < slen && src[start] == '?') {
            start++;
            begins++;
        }
    }
    if (end > start && src[end - 1] == '*' && !(end >= 2 && src[end - 2] == '\\')) {
        end--;
        ends = -1;
    } else {
        while (end > start && src[end - 1] == '?' && !(end >= 2 && src[end - 2] == '\\')) {
            end--;
            ends++;
        }
    }
    const char *core = src + start;
    size_t clen = end - start;
    long index = -1;
    long leftover = (long)tlen;
    while (leftover > 0 || (clen == 0 && index < 0)) {
        index = find_ci(tgt, tlen, core, clen, (size_t)(index + 1));
        if (index < 0)
            break;
        long esc = (long)escapes(tgt, 0, (size_t)index);
        if (index > 0 && begins != -1 && begins < index - esc)
            break;
        esc = (long)escapes(tgt, (size_t)index + 1, tlen);
        leftover = (long)tlen - index - esc - (long)clen;
        if (leftover > 0 && ends != -1 && leftover > ends)
            continue;
        return ERMES_CPE_SUPERSET;
    }
    return ERMES_CPE_DISJOINT;
}

ermes_cpe_relation_t ermes_cpe_compare_attr(ermes_cpe_kind_t sk, const char *sv,
                                            ermes_cpe_kind_t tk, const char *tv)
{
    if (tk == ERMES_CPE_STRING && has_wildcards(tv))
        return ERMES_CPE_UNDEFINED;
    if (sk == tk && (sk != ERMES_CPE_STRING || ieq(sv, tv)))
        return ERMES_CPE_EQUAL;
    if (sk == ERMES_CPE_ANY)
        return ERMES_CPE_SUPERSET;
    if (tk == ERMES_CPE_ANY)
        return ERMES_CPE_SUBSET;
    if (sk == ERMES_CPE_NA || tk == ERMES_CPE_NA)
        return ERMES_CPE_DISJOINT;
    if (!has_wildcards(sv))
        return ERMES_CPE_DISJOINT; /* two different plain values */
    return compare_strings(sv, tv);
}

ermes_cpe_relation_t ermes_cpe_compare(const ermes_cpe_t *source, const ermes_cpe_t *target)
{
    ermes_cpe_relation_t r[ERMES_CPE_ATTRS];
    int equal = 1, superset = 1, subset = 1;

    for (int a = 0; a < ERMES_CPE_ATTRS; a++) {
        r[a] = ermes_cpe_compare_attr(source->kind[a], ermes_cpe_value(source, a), target->kind[a],
                                      ermes_cpe_value(target, a));
        if (r[a] == ERMES_CPE_DISJOINT)
            return ERMES_CPE_DISJOINT;
    }
    for (int a = 0; a < ERMES_CPE_ATTRS; a++) {
        equal &= r[a] == ERMES_CPE_EQUAL;
        superset &= r[a] == ERMES_CPE_EQUAL || r[a] == ERMES_CPE_SUPERSET;
        subset &= r[a] == ERMES_CPE_EQUAL || r[a] == ERMES_CPE_SUBSET;
    }
    return equal      ? ERMES_CPE_EQUAL
           : superset ? ERMES_CPE_SUPERSET
           : subset   ? ERMES_CPE_SUBSET
                      : ERMES_CPE_UNDEFINED;
}

int ermes_cpe_matches(const ermes_cpe_t *criterion, const ermes_cpe_t *product)
{
    ermes_cpe_relation_t r = ermes_cpe_compare(criterion, product);
    return r == ERMES_CPE_SUPERSET || r == ERMES_CPE_EQUAL;
}
