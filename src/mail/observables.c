/* Observables in free text (see observables.h). The text is re-fanged into a copy, then read
 * once from left to right: a URL is taken whole from its scheme to the first character that
 * cannot be in one (its host is taken too, as a domain or an address); anything else is cut
 * into tokens of the characters an address, a domain, a hash or a CVE id may contain, and
 * each token is tried as each type in turn. Every rule errs on the side of missing an odd
 * observable rather than inventing one: an analyst reads the report anyway, but a false
 * observable sends lookups and, later, notifications to the wrong constituent. */
#include "mail/observables.h"

#include <libpsl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/net.h"

#define DEFAULT_MAX 10000
#define MAX_VALUE 2048 /* longest value kept (URLs); longer ones are cut off by nobody: skipped */

static const char *const type_names[ERMES_OBS_COUNT] = {"ipv4",  "ipv6", "cidr", "domain", "url",
                                                        "email", "md5",  "sha1", "sha256", "cve"};

const char *ermes__obs_type_name(ermes__obs_type_t t)
{
    return (unsigned)t < ERMES_OBS_COUNT ? type_names[t] : "unknown";
}

void ermes__observables_init(ermes__observables_t *o, size_t max)
{
    memset(o, 0, sizeof(*o));
    o->max = max ? max : DEFAULT_MAX;
}

void ermes__observables_cleanup(ermes__observables_t *o)
{
    for (size_t k = 0; k < o->n; k++)
        ermes__free(o->items[k].value);
    ermes__free(o->items);
    ermes__free(o->slots);
    memset(o, 0, sizeof(*o));
}

/* FNV-1a over the type and the value. */
static size_t hash(ermes__obs_type_t t, const char *v, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)t;

    for (size_t k = 0; k < n; k++) {
        h ^= (unsigned char)v[k];
        h *= 1099511628211ull;
    }
    return (size_t)h;
}

static int rehash(ermes__observables_t *o)
{
    size_t ns = o->nslots ? o->nslots * 2 : 64, *slots = ermes__calloc(ns, sizeof(*slots));

    if (!slots)
        return ERMES_ENOMEM;
    for (size_t k = 0; k < o->n; k++) {
        size_t h = hash(o->items[k].type, o->items[k].value, strlen(o->items[k].value)) & (ns - 1);
        while (slots[h])
            h = (h + 1) & (ns - 1);
        slots[h] = k + 1;
    }
    ermes__free(o->slots);
    o->slots = slots;
    o->nslots = ns;
    return 0;
}

static int add(ermes__observables_t *o, ermes__obs_type_t t, const char *v, size_t n,
               const char *where)
{
    size_t h;

    if (n == 0 || n > MAX_VALUE)
        return 0;
    if ((o->n + 1) * 2 > o->nslots && rehash(o))
        return ERMES_ENOMEM;
    h = hash(t, v, n) & (o->nslots - 1);
    while (o->slots[h]) {
        const ermes__observable_t *e = &o->items[o->slots[h] - 1];
        if (e->type == t && strlen(e->value) == n && memcmp(e->value, v, n) == 0)
            return 0;
        h = (h + 1) & (o->nslots - 1);
    }
    if (o->n >= o->max) {
        o->truncated = 1;
        return 0;
    }
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 16;
        ermes__observable_t *items = ermes__reallocarray(o->items, nc, sizeof(*items));
        if (!items)
            return ERMES_ENOMEM;
        o->items = items;
        o->cap = nc;
    }
    if (!(o->items[o->n].value = ermes__malloc(n + 1)))
        return ERMES_ENOMEM;
    memcpy(o->items[o->n].value, v, n);
    o->items[o->n].value[n] = '\0';
    o->items[o->n].type = t;
    o->items[o->n].where = where;
    o->n++;
    o->slots[h] = o->n;
    return 0;
}

/* ---- re-fanging -------------------------------------------------------------------------- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 1 when text[i..) starts with lit, ignoring ASCII case. */
static int at(const char *text, size_t len, size_t i, const char *lit)
{
    size_t n = strlen(lit);

    if (len - i < n)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (lower((unsigned char)text[i + k]) != lit[k])
            return 0;
    return 1;
}

size_t ermes__observables_refang(const char *text, size_t len, char *out, size_t cap)
{
    /* Each pattern and what it stands for; the longest first where one begins another. */
    static const struct {
        const char *from, *to;
    } subs[] = {{"[.]", "."},       {"(.)", "."},     {"{.}", "."},      {"[dot]", "."},
                {"(dot)", "."},     {"{dot}", "."},   {"[@]", "@"},      {"(@)", "@"},
                {"[at]", "@"},      {"(at)", "@"},    {"[:]", ":"},      {"[://]", "://"},
                {"hxxps", "https"}, {"hxxp", "http"}, {"hxxxp", "http"}, {"fxp", "ftp"}};
    size_t o = 0;

    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len && o + 1 < cap;) {
        int c = (unsigned char)text[i];
        size_t k;
        /* Every pattern starts with one of these: the rest of the text is copied as it is. */
        if (!(c == '[' || c == '(' || c == '{' ||
              ((c == 'h' || c == 'H' || c == 'f' || c == 'F') && i + 1 < len &&
               (text[i + 1] == 'x' || text[i + 1] == 'X')))) {
            out[o++] = text[i++];
            continue;
        }
        for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
            /* hxxp and fxp only where a word starts, so "shxxpt" stays what it is. */
            if ((subs[k].from[0] == 'h' || subs[k].from[0] == 'f') && i > 0 &&
                ((text[i - 1] >= 'a' && text[i - 1] <= 'z') ||
                 (text[i - 1] >= 'A' && text[i - 1] <= 'Z')))
                continue;
            if (at(text, len, i, subs[k].from))
                break;
        }
        if (k < sizeof(subs) / sizeof(subs[0])) {
            size_t tn = strlen(subs[k].to);
            if (subs[k].from[0] == 'f' && !at(text, len, i + 3, "://") &&
                !at(text, len, i + 3, "[://]")) {
                out[o++] = text[i++];
                continue;
            }
            if (o + tn >= cap)
                break;
            memcpy(out + o, subs[k].to, tn);
            o += tn;
            i += strlen(subs[k].from);
            continue;
        }
        out[o++] = text[i++];
    }
    out[o] = '\0';
    return o;
}

/* ---- the types --------------------------------------------------------------------------- */

static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *psl;

static void psl_init(void)
{
    psl = psl_builtin();
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

/* A host name: labels of letters, digits and hyphens (not at a label's ends), at least two,
 * the last (the top-level domain) alphabetic and listed in the Public Suffix List, which
 * leaves out file names and the like ("setup.exe", "notes.txt"). Written lower case into
 * buf. Returns the length, 0 when it is no domain. */
static size_t domain_check(const char *s, size_t n, char *buf, size_t cap)
{
    size_t labels = 0, label_len = 0, tld = 0;

    if (n && s[n - 1] == '.')
        n--; /* the root's dot */
    if (n < 4 || n > 253 || n >= cap)
        return 0;
    for (size_t k = 0; k < n; k++) {
        int c = (unsigned char)s[k];
        if (c == '.') {
            if (label_len == 0 || s[k - 1] == '-')
                return 0;
            labels++;
            label_len = 0;
            tld = k + 1;
            buf[k] = '.';
            continue;
        }
        if (!is_alnum(c) && c != '-' && c != '_')
            return 0;
        if ((c == '-' && label_len == 0) || ++label_len > 63)
            return 0;
        buf[k] = (char)lower(c);
    }
    if (label_len == 0 || labels == 0 || s[n - 1] == '-')
        return 0;
    buf[n] = '\0';
    if (n - tld < 2)
        return 0;
    for (size_t k = tld; k < n; k++)
        if (!is_alpha((unsigned char)buf[k]))
            return 0;
    /* RFC 2606 and RFC 6761 reserve .example and .test for examples and tests; they are in
     * no suffix list, but documentation, exercises and test constituencies use them. */
    if (strcmp(buf + tld, "example") == 0 || strcmp(buf + tld, "test") == 0)
        return n;
    pthread_once(&psl_once, psl_init);
    if (!psl || !psl_is_public_suffix2(psl, buf + tld, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE))
        return 0;
    /* A name that is itself a public suffix ("co.uk") names nobody. */
    if (psl_is_public_suffix2(psl, buf, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE))
        return 0;
    return n;
}

/* An address (4 or 6), or with /prefix a network. "1.2.3.4:8080" is the address. */
static int try_ip(ermes__observables_t *o, const char *s, size_t n, const char *where)
{
    const char *slash = memchr(s, '/', n);
    char buf[ERMES_CIDR_STRLEN];
    ermes_cidr_t net;
    ermes_ip_t ip;
    size_t colons = 0;

    for (size_t k = 0; k < n; k++)
        colons += s[k] == ':';
    if (slash) {
        size_t pn = n - (size_t)(slash - s) - 1;
        if (pn == 0 || pn > 3)
            return 0;
        for (size_t k = 0; k < pn; k++)
            if (!is_digit((unsigned char)slash[1 + k]))
                return 0;
        /* A network with host bits set is what the reporter wrote ("10.1.2.3/24"): the
         * network it lies in is the observable. */
        if (ermes_cidr_parse(s, n, ERMES_CIDR_LENIENT, &net, NULL))
            return 0;
        ermes_cidr_format(&net, buf);
        return add(o, ERMES_OBS_CIDR, buf, strlen(buf), where) ? -1 : 1;
    }
    if (colons == 1) {
        /* host:port */
        const char *c = memchr(s, ':', n);
        size_t pn = n - (size_t)(c - s) - 1;
        if (pn == 0 || pn > 5)
            return 0;
        for (size_t k = 0; k < pn; k++)
            if (!is_digit((unsigned char)c[1 + k]))
                return 0;
        n = (size_t)(c - s);
        colons = 0;
    }
    if (colons >= 2) {
        /* IPv6 wants hex groups: "12:30:45" is a time, not an address; "::" alone is the
         * unspecified address, which names nobody. */
        int has_hex = 0, dcolon = 0;
        for (size_t k = 0; k < n; k++) {
            if (is_hex((unsigned char)s[k]))
                has_hex = 1;
            if (k + 1 < n && s[k] == ':' && s[k + 1] == ':')
                dcolon = 1;
        }
        if (!has_hex || (!dcolon && colons != 7))
            return 0;
        if (ermes_ip_parse(s, n, &ip, NULL) || ip.family != ERMES_AF_INET6)
            return 0;
        {
            /* "0::", "0:0::0": the unspecified address, however written. */
            int zero = 1;
            for (int k = 0; k < 16; k++)
                zero &= ip.bytes[k] == 0;
            if (zero)
                return 0;
        }
        ermes_ip_format(&ip, buf);
        return add(o, ERMES_OBS_IPV6, buf, strlen(buf), where) ? -1 : 1;
    }
    if (ermes_ip_parse(s, n, &ip, NULL) || ip.family != ERMES_AF_INET)
        return 0;
    ermes_ip_format(&ip, buf);
    return add(o, ERMES_OBS_IPV4, buf, strlen(buf), where) ? -1 : 1;
}

/* CVE-YYYY-NNNN (4 digits or more), CVE 5 section "cveId". */
static int try_cve(ermes__observables_t *o, const char *s, size_t n, const char *where)
{
    char buf[32];

    if (n < 13 || n >= sizeof(buf) || lower((unsigned char)s[0]) != 'c' ||
        lower((unsigned char)s[1]) != 'v' || lower((unsigned char)s[2]) != 'e' || s[3] != '-' ||
        s[8] != '-')
        return 0;
    for (size_t k = 4; k < n; k++)
        if (k != 8 && !is_digit((unsigned char)s[k]))
            return 0;
    memcpy(buf, "CVE", 3);
    memcpy(buf + 3, s + 3, n - 3);
    return add(o, ERMES_OBS_CVE, buf, n, where) ? -1 : 1;
}

static int try_hash(ermes__observables_t *o, const char *s, size_t n, const char *where)
{
    char buf[65];
    int digits = 0, letters = 0;
    ermes__obs_type_t t;

    if (n == 32)
        t = ERMES_OBS_MD5;
    else if (n == 40)
        t = ERMES_OBS_SHA1;
    else if (n == 64)
        t = ERMES_OBS_SHA256;
    else
        return 0;
    for (size_t k = 0; k < n; k++) {
        int c = (unsigned char)s[k];
        if (!is_hex(c))
            return 0;
        digits += is_digit(c);
        letters += !is_digit(c);
        buf[k] = (char)lower(c);
    }
    /* A run of one kind only ("0000...", "aaaa...") is filler, not a digest. */
    if (!digits || !letters)
        return 0;
    return add(o, t, buf, n, where) ? -1 : 1;
}

static int try_email(ermes__observables_t *o, const char *s, size_t n, const char *where)
{
    const char *a = memchr(s, '@', n);
    char buf[320];
    size_t ln, dn;

    if (!a || memchr(a + 1, '@', n - (size_t)(a - s) - 1))
        return 0;
    ln = (size_t)(a - s);
    if (ln == 0 || ln > 64 || s[0] == '.' || s[ln - 1] == '.')
        return 0;
    for (size_t k = 0; k < ln; k++) {
        int c = (unsigned char)s[k];
        if (!is_alnum(c) && !strchr(".-_+%=", c))
            return 0;
    }
    if (!(dn = domain_check(a + 1, n - ln - 1, buf + ln + 1, sizeof(buf) - ln - 1)))
        return 0;
    memcpy(buf, s, ln);
    buf[ln] = '@';
    /* The local part keeps its case (RFC 5321 section 2.4 lets the receiving host decide). */
    return add(o, ERMES_OBS_EMAIL, buf, ln + 1 + dn, where) ? -1 : 1;
}

static int try_domain(ermes__observables_t *o, const char *s, size_t n, const char *where)
{
    char buf[256];
    size_t dn = domain_check(s, n, buf, sizeof(buf));

    if (!dn)
        return 0;
    return add(o, ERMES_OBS_DOMAIN, buf, dn, where) ? -1 : 1;
}

/* The host of a URL, as an address or a domain. */
static int url_host(ermes__observables_t *o, const char *u, size_t n, const char *where)
{
    const char *p = memchr(u, ':', n), *end = u + n, *h, *he;

    if (!p || end - p < 3)
        return 0;
    h = p + 3;
    for (he = h; he < end && *he != '/' && *he != '?' && *he != '#'; he++)
        ;
    /* user:password@host */
    for (const char *q = he; q > h; q--)
        if (q[-1] == '@') {
            h = q;
            break;
        }
    if (h < he && *h == '[') {
        const char *rb = memchr(h, ']', (size_t)(he - h));
        return rb ? try_ip(o, h + 1, (size_t)(rb - h - 1), where) : 0;
    }
    {
        const char *colon = memchr(h, ':', (size_t)(he - h));
        if (colon)
            he = colon;
    }
    if (try_ip(o, h, (size_t)(he - h), where))
        return 0;
    return try_domain(o, h, (size_t)(he - h), where) < 0 ? -1 : 0;
}

/* Character classes by table: the scan looks at every byte of every message. */
enum { C_TOKEN = 1, C_URL = 2 };
static unsigned char classes[256];
static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

static void classes_init(void)
{
    for (int c = 0; c < 256; c++) {
        if (is_alnum(c) || (c && strchr(".-_:/@+", c)))
            classes[c] |= C_TOKEN;
        if (c > ' ' && c < 127 && !strchr("<>\"`{}|\\^", c))
            classes[c] |= C_URL;
    }
}

static int url_char(int c)
{
    return classes[c & 0xff] & C_URL;
}

static int token_char(int c)
{
    return classes[c & 0xff] & C_TOKEN;
}

static int classify(ermes__observables_t *o, const char *s, size_t n, const char *where)
{
    int rc;

    /* Sentence punctuation around a value is not part of it; but "::" is IPv6's, at either
     * end ("::1", "2001:db8::"). */
    while (n && strchr(".:-/_+@", s[0]) && !(n > 1 && s[0] == ':' && s[1] == ':')) {
        s++;
        n--;
    }
    while (n && strchr(".:-/_+@", s[n - 1]) && !(n > 1 && s[n - 1] == ':' && s[n - 2] == ':'))
        n--;
    if (n < 3) /* "8::" is the shortest value there is */
        return 0;
    if (memchr(s, '@', n))
        return try_email(o, s, n, where);
    if ((rc = try_cve(o, s, n, where)))
        return rc;
    if ((rc = try_hash(o, s, n, where)))
        return rc;
    if ((rc = try_ip(o, s, n, where)))
        return rc;
    /* A bare "example.org/path" or "example.org:8080": the host part. */
    {
        size_t hn = 0;
        while (hn < n && s[hn] != '/' && s[hn] != ':')
            hn++;
        if (hn < n)
            return try_domain(o, s, hn, where);
    }
    return try_domain(o, s, n, where);
}

int ermes__observables_extract(ermes__observables_t *o, const char *text, size_t len,
                               const char *where)
{
    char *buf;
    size_t n, i = 0;
    int rc = 0;

    if (len == 0)
        return 0;
    if (len > SIZE_MAX - 1 || !(buf = ermes__malloc(len + 1)))
        return ERMES_ENOMEM;
    pthread_once(&classes_once, classes_init);
    n = ermes__observables_refang(text, len, buf, len + 1);
    while (i < n && !rc) {
        int c = (unsigned char)buf[i];
        size_t j;
        if (!token_char(c)) {
            i++;
            continue;
        }
        /* A URL: a scheme where a word starts, then everything a URL may hold. */
        if ((i == 0 || !is_alnum((unsigned char)buf[i - 1])) &&
            (at(buf, n, i, "http://") || at(buf, n, i, "https://") || at(buf, n, i, "ftp://"))) {
            size_t s = (size_t)(strchr(buf + i, ':') - buf) + 3;
            for (j = s; j < n && url_char((unsigned char)buf[j]); j++)
                ;
            while (j > s && strchr(".,;:!?)]}'*", buf[j - 1]))
                j--;
            if (j > s) {
                for (size_t k = i; k < s; k++)
                    buf[k] = (char)lower((unsigned char)buf[k]);
                if ((rc = add(o, ERMES_OBS_URL, buf + i, j - i, where)) ||
                    url_host(o, buf + i, j - i, where) < 0) {
                    rc = rc ? rc : ERMES_ENOMEM;
                    break;
                }
            }
            i = j > i ? j : i + 1;
            continue;
        }
        for (j = i; j < n && token_char((unsigned char)buf[j]); j++)
            ;
        /* A token that is no value as a whole may hold one after a label ("IP:192.0.2.1",
         * "src/198.51.100.7"): its pieces are tried. */
        {
            int got = classify(o, buf + i, j - i, where);
            if (got == 0 && (memchr(buf + i, ':', j - i) || memchr(buf + i, '/', j - i))) {
                size_t a = i;
                while (a < j && got >= 0) {
                    size_t b = a;
                    while (b < j && buf[b] != ':' && buf[b] != '/')
                        b++;
                    got = classify(o, buf + a, b - a, where);
                    a = b + 1;
                }
            }
            if (got < 0)
                rc = ERMES_ENOMEM;
        }
        i = j;
    }
    ermes__free(buf);
    return rc;
}
