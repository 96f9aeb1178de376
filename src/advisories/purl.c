/* Package URLs (the purl specification): "pkg:" type "/" [namespace "/"] name ["@" version]
 * ["?" qualifiers] ["#" subpath], parsed into decoded components (CSAF test 6.1.13, asset
 * matching). The rules common to every type are applied; type-specific ones are not. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "advisories/csaf_int.h"
#include "ermes/cpe.h"

static int hexdigit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

typedef struct out {
    ermes_purl_t *p;
    size_t used;
} out_t;

/* Appends the percent-decoded s[0, n) (lower-cased when lower is 1; 2 for a qualifier value) as a
 * NUL-terminated string; returns it, or NULL on bad encoding, a decoded NUL or no room. */
static const char *decoded(out_t *o, const char *s, size_t n, int lower)
{
    char *start = o->p->buf + o->used;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (o->used + 2 >= sizeof(o->p->buf))
            return NULL;
        if (c == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]))
                return NULL;
            char hex[2] = {s[i + 1], s[i + 2]};
            c = hexdigit(hex[0]) * 16 + hexdigit(hex[1]);
            i += 2;
            if (c == 0)
                return NULL;
            /* In a qualifier value (lower == 2), '&' and '=' stay encoded: decoded they
             * would split the canonical "k=v&k=v" list. */
            if (lower == 2 && (c == '&' || c == '=' || c == '%')) {
                if (o->used + 4 >= sizeof(o->p->buf))
                    return NULL;
                o->p->buf[o->used++] = '%';
                o->p->buf[o->used++] = (char)toupper((unsigned char)hex[0]);
                o->p->buf[o->used++] = (char)toupper((unsigned char)hex[1]);
                continue;
            }
        } else if (c <= 0x20 || c == 0x7f) {
            return NULL;
        }
        o->p->buf[o->used++] = (char)(lower == 1 ? tolower(c) : c);
    }
    o->p->buf[o->used++] = '\0';
    return start;
}

static const char *rfind(const char *s, size_t n, char ch)
{
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == ch)
            return s + i - 1;
    return NULL;
}

typedef struct qual {
    const char *key, *value;
    size_t klen, vlen;
} qual_t;

static int by_key(const void *a, const void *b)
{
    const qual_t *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = strncasecmp(x->key, y->key, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static int fail(ermes_diag_t *d, const char *field, const char *why)
{
    ermes_diag_set(d, field, "%s", why);
    return ERMES_EPARSE;
}

int ermes_purl_parse(const char *s, size_t len, ermes_purl_t *p, ermes_diag_t *d)
{
    const char *end = s + len, *cur, *hash, *query, *slash, *at;
    out_t o = {p, 0};
    qual_t quals[32];
    size_t nquals = 0;

    memset(p, 0, offsetof(ermes_purl_t, buf));
    if (len > ERMES_CPE_MAX)
        return fail(d, "purl", "longer than 1024 bytes");
    if (len < 4 || strncasecmp(s, "pkg:", 4) != 0)
        return fail(d, "scheme", "a package URL starts with pkg:");
    cur = s + 4;
    while (cur < end && *cur == '/')
        cur++;
    hash = memchr(cur, '#', (size_t)(end - cur));
    if (hash) {
        /* subpath: segments without "", "." or "..", slashes trimmed */
        const char *q = hash + 1, *e = end;
        while (q < e && *q == '/')
            q++;
        while (e > q && e[-1] == '/')
            e--;
        if (e > q && !(p->subpath = decoded(&o, q, (size_t)(e - q), 0)))
            return fail(d, "subpath", "bad percent-encoding in the subpath");
        end = hash;
    }
    query = memchr(cur, '?', (size_t)(end - cur));
    if (query) {
        const char *q = query + 1;
        while (q < end) {
            const char *amp = memchr(q, '&', (size_t)(end - q)), *stop = amp ? amp : end;
            const char *eq = memchr(q, '=', (size_t)(stop - q));
            if (stop == q) {
                q = stop + 1;
                continue;
            }
            if (!eq || eq == q)
                return fail(d, "qualifiers", "a qualifier is not key=value");
            if (isdigit((unsigned char)q[0]))
                return fail(d, "qualifiers", "a qualifier key starts with a digit");
            for (const char *k = q; k < eq; k++)
                if (!isalnum((unsigned char)*k) && *k != '.' && *k != '-' && *k != '_')
                    return fail(d, "qualifiers", "a qualifier key has a character purl forbids");
            if (eq + 1 < stop) { /* an empty value means the qualifier is absent */
                if (nquals == 32)
                    return fail(d, "qualifiers", "more than 32 qualifiers");
                quals[nquals++] = (qual_t){q, eq + 1, (size_t)(eq - q), (size_t)(stop - eq - 1)};
            }
            q = amp ? amp + 1 : end;
        }
        qsort(quals, nquals, sizeof(*quals), by_key);
        for (size_t i = 1; i < nquals; i++)
            if (by_key(&quals[i - 1], &quals[i]) == 0)
                return fail(d, "qualifiers", "a qualifier key appears twice");
        end = query;
    }
    while (end > cur && end[-1] == '/')
        end--;
    slash = memchr(cur, '/', (size_t)(end - cur));
    if (!slash || slash == cur)
        return fail(d, "type", "no type before the first /");
    if (!isalpha((unsigned char)cur[0]) && cur[0] != '.' && cur[0] != '+' && cur[0] != '-')
        return fail(d, "type", "the type must start with a letter");
    for (const char *t = cur; t < slash; t++)
        if (!isalnum((unsigned char)*t) && *t != '.' && *t != '+' && *t != '-')
            return fail(d, "type", "the type has a character purl forbids");
    if (!(p->type = decoded(&o, cur, (size_t)(slash - cur), 1)))
        return fail(d, "type", "the type does not fit");
    cur = slash + 1;
    at = rfind(cur, (size_t)(end - cur), '@');
    if (at) {
        if (at + 1 == end)
            return fail(d, "version", "an empty version after @");
        if (!(p->version = decoded(&o, at + 1, (size_t)(end - at - 1), 0)))
            return fail(d, "version", "bad percent-encoding in the version");
        end = at;
    }
    slash = rfind(cur, (size_t)(end - cur), '/');
    const char *name = slash ? slash + 1 : cur;
    if (name == end)
        return fail(d, "name", "no name");
    if (!(p->name = decoded(&o, name, (size_t)(end - name), 0)))
        return fail(d, "name", "bad percent-encoding in the name");
    if (slash) {
        const char *ns = cur, *e = slash;
        while (ns < e && *ns == '/')
            ns++;
        if (e > ns && !(p->namespace_ = decoded(&o, ns, (size_t)(e - ns), 0)))
            return fail(d, "namespace", "bad percent-encoding in the namespace");
    }
    if (nquals) {
        /* "key=value&key=value": keys lower case, in order, values decoded after them. */
        char *first = p->buf + o.used;
        for (size_t i = 0; i < nquals; i++) {
            if (o.used + quals[i].klen + 2 >= sizeof(p->buf))
                return fail(d, "qualifiers", "the qualifiers do not fit");
            for (size_t k = 0; k < quals[i].klen; k++)
                p->buf[o.used++] = (char)tolower((unsigned char)quals[i].key[k]);
            p->buf[o.used++] = '=';
            if (!decoded(&o, quals[i].value, quals[i].vlen, 2))
                return fail(d, "qualifiers", "bad percent-encoding in a qualifier value");
            if (i + 1 < nquals)
                p->buf[o.used - 1] = '&'; /* the value's NUL */
        }
        p->qualifiers = first;
    }
    return 0;
}

/* Appends s percent-encoded (all but unreserved characters, ':' and, when keep is non-NULL,
 * the characters in keep) at buf[*n]; 0, or -1 when out of room. */
static int enc(char *buf, size_t cap, size_t *n, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == ':' ||
            (keep && strchr(keep, c))) {
            if (*n + 1 >= cap)
                return -1;
            buf[(*n)++] = (char)c;
        } else {
            if (*n + 3 >= cap)
                return -1;
            buf[(*n)++] = '%';
            buf[(*n)++] = hex[c >> 4];
            buf[(*n)++] = hex[c & 15];
        }
    }
    return 0;
}

static int lit(char *buf, size_t cap, size_t *n, const char *s)
{
    size_t k = strlen(s);
    if (*n + k >= cap)
        return -1;
    memcpy(buf + *n, s, k);
    *n += k;
    return 0;
}

size_t ermes_purl_format(const ermes_purl_t *p, char *buf, size_t cap)
{
    size_t n = 0;
    int rc = 0;

    if (cap == 0 || !p->type || !p->name)
        return 0;
    /* The type's characters (letters, digits, '.', '+', '-') were checked: none needs encoding. */
    rc |= lit(buf, cap, &n, "pkg:") | lit(buf, cap, &n, p->type) | lit(buf, cap, &n, "/");
    if (p->namespace_)
        rc |= enc(buf, cap, &n, p->namespace_, "/") | lit(buf, cap, &n, "/");
    rc |= enc(buf, cap, &n, p->name, NULL);
    if (p->version)
        rc |= lit(buf, cap, &n, "@") | enc(buf, cap, &n, p->version, NULL);
    if (p->qualifiers)
        rc |= lit(buf, cap, &n, "?") | enc(buf, cap, &n, p->qualifiers, "=&%");
    if (p->subpath)
        rc |= lit(buf, cap, &n, "#") | enc(buf, cap, &n, p->subpath, "/");
    if (rc || n >= cap)
        return 0;
    buf[n] = '\0';
    return n;
}

int ermes__purl_valid(const char *s, size_t len)
{
    ermes_purl_t p;
    return ermes_purl_parse(s, len, &p, NULL) == 0;
}
