/* MISP warninglists (github.com/MISP/misp-warninglists, lists/<name>/list.json): known-benign
 * values (top sites, cloud ranges, empty-file hashes, RFC 1918, ...) that must not raise
 * sightings. Types: "string" (exact, case-insensitive), "substring", "hostname" (the name and
 * its subdomains), "cidr" (addresses and networks inside a listed network), "regex" (POSIX
 * extended, case-insensitive: MISP's PCRE expressions in their common subset).
 *
 * Hostname and CIDR lists are compiled into a matcher of their own, so checking a hundred
 * thousand indicators against a list of ten thousand networks costs a hash probe per prefix
 * length, not a scan of the list. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/detect_int.h"

enum { WL_STRING, WL_SUBSTRING, WL_HOSTNAME, WL_CIDR, WL_REGEX };

struct ermes_warninglist {
    char *name;
    char *description;
    long long version;
    int type;
    char **values; /* lower case; sorted for WL_STRING */
    size_t n;
    regex_t *re;
    size_t nre;
    ermes_matcher_t *m; /* WL_HOSTNAME, WL_CIDR */
    ermes_scanner_t *scanner;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *lower_dup(const char *s, size_t n)
{
    char *p = ermes__strndup(s, n);

    if (p)
        for (size_t i = 0; i < n; i++)
            p[i] = (char)det_lower((unsigned char)p[i]);
    return p;
}

/* MISP writes its expressions as JavaScript literals, /PATTERN/FLAGS, in PCRE's dialect: the
 * slashes and flags go (every list is matched without case already), and PCRE's
 * non-capturing "(?:" becomes a plain group, which POSIX reads (groups capture nothing here:
 * REG_NOSUB). What POSIX still cannot read is left out by the caller. */
static char *regex_to_posix(const char *s, size_t n)
{
    const char *end = NULL;
    char *out, *w;

    if (n >= 2 && s[0] == '/') {
        for (size_t k = n; k-- > 1;)
            if (s[k] == '/') {
                end = s + k;
                break;
            }
        for (const char *f = end ? end + 1 : s; end && f < s + n; f++)
            if (!(*f >= 'a' && *f <= 'z'))
                end = NULL; /* a slash inside, not a literal's end */
        if (end) {
            s++;
            n = (size_t)(end - s);
        }
    }
    if (!(out = ermes__malloc(n + 1)))
        return NULL;
    w = out;
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\\' && k + 1 < n) {
            *w++ = s[k++];
            *w++ = s[k];
        } else if (s[k] == '(' && k + 2 < n && s[k + 1] == '?' && s[k + 2] == ':') {
            *w++ = '(';
            k += 2;
        } else {
            *w++ = s[k];
        }
    }
    *w = '\0';
    return out;
}

int ermes_warninglist_new(const char *data, size_t len, ermes_warninglist_t **out, ermes_diag_t *d)
{
    ermes_warninglist_t *wl = NULL;
    ermes_indicator_set_t *set = NULL;
    json_error_t err;
    json_t *doc, *list, *v;
    const char *type;
    size_t i;
    int rc = ERMES_ENOMEM;

    doc = json_loadb(data, len, 0, &err);
    if (!doc) {
        ermes_diag_set(d, NULL, "not JSON: %s", err.text);
        d->line = err.line;
        return ERMES_EPARSE;
    }
    list = json_object_get(doc, "list");
    type = json_string_value(json_object_get(doc, "type"));
    if (!json_is_array(list) || !json_is_string(json_object_get(doc, "name"))) {
        ermes_diag_set(d, NULL, "a warninglist has \"name\", \"type\" and a \"list\" array");
        rc = ERMES_EPARSE;
        goto out;
    }
    if (!type)
        type = "string";
    wl = ermes__calloc(1, sizeof(*wl));
    if (!wl)
        goto out;
    if (!strcmp(type, "string"))
        wl->type = WL_STRING;
    else if (!strcmp(type, "substring"))
        wl->type = WL_SUBSTRING;
    else if (!strcmp(type, "hostname"))
        wl->type = WL_HOSTNAME;
    else if (!strcmp(type, "cidr"))
        wl->type = WL_CIDR;
    else if (!strcmp(type, "regex"))
        wl->type = WL_REGEX;
    else {
        ermes_diag_set(d, "type", "unknown warninglist type \"%.40s\"", type);
        rc = ERMES_EUNSUPPORTED;
        goto out;
    }
    wl->name = ermes__strdup(json_string_value(json_object_get(doc, "name")));
    wl->values = ermes__calloc(json_array_size(list) + 1, sizeof(char *));
    if (!wl->name || !wl->values)
        goto out;
    if (json_is_string(json_object_get(doc, "description")) &&
        !(wl->description = ermes__strdup(json_string_value(json_object_get(doc, "description")))))
        goto out;
    if (json_is_integer(json_object_get(doc, "version")))
        wl->version = (long long)json_integer_value(json_object_get(doc, "version"));
    if (wl->type == WL_REGEX) {
        wl->re = ermes__calloc(json_array_size(list) + 1, sizeof(regex_t));
        if (!wl->re)
            goto out;
    }
    if ((wl->type == WL_HOSTNAME || wl->type == WL_CIDR) && (rc = ermes_indicator_set_new(&set)))
        goto out;
    rc = ERMES_ENOMEM;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!s || n == 0)
            continue;
        if (wl->type == WL_REGEX) {
            char *pat = regex_to_posix(s, n);
            int e;
            if (!pat)
                goto out;
            e = regcomp(&wl->re[wl->nre], pat, REG_EXTENDED | REG_ICASE | REG_NOSUB);
            ermes__free(pat);
            if (e == 0)
                wl->nre++;
            continue; /* an expression POSIX cannot read is left out */
        }
        if (set) {
            ermes_indicator_t ind;
            ermes_indicator_init(&ind);
            ind.type = wl->type == WL_CIDR ? ERMES_IND_CIDR : ERMES_IND_DOMAIN;
            ind.value = s;
            ind.len = n;
            if (ermes_indicator_set_add(set, &ind, NULL, NULL) == ERMES_ENOMEM)
                goto out;
            wl->n++;
            continue;
        }
        if (!(wl->values[wl->n] = lower_dup(s, n)))
            goto out;
        wl->n++;
    }
    if (wl->type == WL_STRING)
        qsort(wl->values, wl->n, sizeof(char *), cmp_str);
    if (set && ((rc = ermes_matcher_build(set, 0, &wl->m)) ||
                (rc = ermes_scanner_new(wl->m, &wl->scanner))))
        goto out;
    if (wl->type == WL_REGEX)
        wl->n = wl->nre;
    rc = 0;
    *out = wl;
    wl = NULL;
out:
    ermes_indicator_set_free(set);
    ermes_warninglist_free(wl);
    json_decref(doc);
    return rc;
}

void ermes_warninglist_free(ermes_warninglist_t *wl)
{
    if (!wl)
        return;
    if (wl->values)
        for (size_t i = 0; wl->type != WL_HOSTNAME && wl->type != WL_CIDR && i < wl->n; i++)
            ermes__free(wl->values[i]);
    for (size_t i = 0; i < wl->nre; i++)
        regfree(&wl->re[i]);
    ermes__free(wl->re);
    ermes__free(wl->values);
    ermes_scanner_free(wl->scanner);
    ermes_matcher_release(wl->m);
    ermes__free(wl->name);
    ermes__free(wl->description);
    ermes__free(wl);
}

const char *ermes_warninglist_description(const ermes_warninglist_t *wl)
{
    return wl->description ? wl->description : "";
}

long long ermes_warninglist_version(const ermes_warninglist_t *wl)
{
    return wl->version;
}

const char *ermes_warninglist_type(const ermes_warninglist_t *wl)
{
    static const char *const names[] = {"string", "substring", "hostname", "cidr", "regex"};
    return names[wl->type];
}

const char *ermes_warninglist_name(const ermes_warninglist_t *wl)
{
    return wl->name;
}

size_t ermes_warninglist_count(const ermes_warninglist_t *wl)
{
    return wl->n;
}

int ermes_warninglist_contains(const ermes_warninglist_t *wl, const char *value, size_t len)
{
    const ermes_hit_t *hits;
    char buf[DET_MAX_KEY + 1];

    if (!wl || !value || len > DET_MAX_KEY)
        return 0;
    switch (wl->type) {
    case WL_HOSTNAME: {
        /* The host of a URL or an e-mail address, or the value itself. */
        const char *p = value, *e = value + len, *at, *sch = memmem(value, len, "://", 3);
        if (sch) {
            p = sch + 3;
            for (e = p; e < value + len && *e != '/' && *e != ':' && *e != '?'; e++)
                ;
        } else if ((at = memchr(value, '@', len))) {
            p = at + 1;
        }
        return ermes_scanner_lookup(wl->scanner, ERMES_FIELD_DOMAIN, p, (size_t)(e - p), &hits) > 0;
    }
    case WL_CIDR: {
        const char *slash = memchr(value, '/', len);
        size_t n;
        if (!slash)
            return ermes_scanner_lookup(wl->scanner, ERMES_FIELD_IP, value, len, &hits) > 0;
        /* A network is covered when its first address lies in a listed network no longer
         * than its own prefix. */
        n = ermes_scanner_lookup(wl->scanner, ERMES_FIELD_IP, value, (size_t)(slash - value),
                                 &hits);
        if (n) {
            char net[ERMES_CIDR_STRLEN + 1];
            ermes_cidr_t a, b;
            size_t l = ermes_matcher_value(wl->m, hits[0].indicator, net, sizeof(net));
            if (ermes_cidr_parse(net, l, ERMES_CIDR_LENIENT, &a, NULL) == 0 &&
                ermes_cidr_parse(value, len, ERMES_CIDR_LENIENT, &b, NULL) == 0)
                return a.prefix <= b.prefix;
        }
        return 0;
    }
    default:
        break;
    }
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)det_lower((unsigned char)value[i]);
    buf[len] = '\0';
    if (wl->type == WL_STRING) {
        const char *key = buf;
        return bsearch(&key, wl->values, wl->n, sizeof(char *), cmp_str) != NULL;
    }
    if (wl->type == WL_SUBSTRING) {
        for (size_t i = 0; i < wl->n; i++)
            if (strstr(buf, wl->values[i]))
                return 1;
        return 0;
    }
    for (size_t i = 0; i < wl->nre; i++)
        if (regexec(&wl->re[i], buf, 0, NULL, 0) == 0)
            return 1;
    return 0;
}

size_t ermes_indicator_set_suppress(ermes_indicator_set_t *set, const ermes_warninglist_t *wl,
                                    ermes_suppressed_cb cb, void *ctx)
{
    return ermes_indicator_set_suppress_some(set, wl, NULL, cb, ctx);
}

size_t ermes_indicator_set_suppress_some(ermes_indicator_set_t *set, const ermes_warninglist_t *wl,
                                         const unsigned char *skip, ermes_suppressed_cb cb,
                                         void *ctx)
{
    char buf[DET_MAX_KEY + 1];
    size_t count = 0;

    if (!set || !wl)
        return 0;
    for (size_t i = 0; i < set->n; i++) {
        det_ind_t *r = &set->inds[i];
        size_t n;
        if ((r->flags & (ERMES_IND_SUPPRESSED | ERMES_IND_FORCED)) || (skip && skip[i]))
            continue;
        if (wl->type == WL_CIDR && r->type != ERMES_IND_IPV4 && r->type != ERMES_IND_IPV6 &&
            r->type != ERMES_IND_CIDR)
            continue;
        if (wl->type == WL_HOSTNAME && r->type != ERMES_IND_DOMAIN && r->type != ERMES_IND_URL &&
            r->type != ERMES_IND_EMAIL)
            continue;
        n = ermes_indicator_set_value(set, (uint32_t)i, buf, sizeof(buf));
        if (n && ermes_warninglist_contains(wl, buf, n)) {
            r->flags |= ERMES_IND_SUPPRESSED;
            count++;
            if (cb)
                cb(ctx, (uint32_t)i, wl);
        }
    }
    return count;
}
