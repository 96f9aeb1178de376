/* Readers of a CSAF provider's small formats for the check of section 7.1 (csaf_check.c):
 * changes.csv, index.txt, security.txt's CSAF fields, ROLIE feeds and hash files. Everything
 * here comes from another party's server: lengths are bounded by the caller, every line count
 * by ERMES_CSAF_CHECK_LINES_MAX, and nothing is trusted to be NUL-free. */
#include "advisories/csaf_check.h"

#include <string.h>

#include "core/alloc.h"
#include "core/time.h"

int ermes__csaf_relpath_ok(const char *path, size_t len)
{
    if (len < 6 || len > 512 || path[0] == '/' || memcmp(path + len - 5, ".json", 5) != 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x21 || c == 0x7f || c == '\\' || c == ':' || c == '?' || c == '#' || c == '%')
            return 0;
        /* a ".." segment would leave the provider's directory */
        if (c == '.' && i + 1 < len && path[i + 1] == '.' && (i == 0 || path[i - 1] == '/') &&
            (i + 2 == len || path[i + 2] == '/'))
            return 0;
    }
    return 1;
}

/* The next line of text from *pos (without its \n or \r\n): start and length; 0 at the end. */
static int next_line(const char *text, size_t len, size_t *pos, const char **s, size_t *n)
{
    size_t p = *pos, e;

    if (p >= len)
        return 0;
    for (e = p; e < len && text[e] != '\n'; e++)
        ;
    *s = text + p;
    *n = e - p;
    if (*n && (*s)[*n - 1] == '\r')
        (*n)--;
    *pos = e < len ? e + 1 : len;
    return 1;
}

void ermes__csaf_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        ermes__free(lines[i]);
    ermes__free(lines);
}

static int push_line(char ***lines, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        char **p = ermes__reallocarray(*lines, c, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        *lines = p;
        *cap = c;
    }
    if (!((*lines)[*n] = ermes__strndup(s, len)))
        return ERMES_ENOMEM;
    (*n)++;
    return 0;
}

int ermes__csaf_index_read(const char *text, size_t len, char ***out, size_t *n, ermes_diag_t *d)
{
    char **lines = NULL;
    size_t cnt = 0, cap = 0, pos = 0, ln;
    const char *s;
    int rc = 0;
    long lineno = 0;

    while (next_line(text, len, &pos, &s, &ln)) {
        lineno++;
        if (ln == 0)
            continue;
        if (!ermes__csaf_relpath_ok(s, ln)) {
            ermes_diag_set(d, "index.txt", "line %ld is not a relative path to a .json file",
                           lineno);
            d->line = lineno;
            rc = ERMES_EPARSE;
            goto out;
        }
        if (cnt >= ERMES_CSAF_CHECK_LINES_MAX) {
            ermes_diag_set(d, "index.txt", "more than %d lines", ERMES_CSAF_CHECK_LINES_MAX);
            rc = ERMES_ETOOBIG;
            goto out;
        }
        if ((rc = push_line(&lines, &cnt, &cap, s, ln)))
            goto out;
    }
out:
    if (rc) {
        ermes__csaf_lines_free(lines, cnt);
        return rc;
    }
    *out = lines;
    *n = cnt;
    return 0;
}

void ermes__csaf_changes_free(ermes__csaf_change_t *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) {
        ermes__free(c[i].path);
        ermes__free(c[i].when);
    }
    ermes__free(c);
}

/* One field of a changes.csv line at *p: quoted ("" inside for a quote, which a path or a
 * date never needs, so it is refused) or bare up to the comma. */
static int csv_field(const char *s, size_t n, size_t *p, const char **f, size_t *fl)
{
    size_t i = *p;

    if (i < n && s[i] == '"') {
        size_t e = i + 1;
        while (e < n && s[e] != '"')
            e++;
        if (e >= n)
            return -1;
        *f = s + i + 1;
        *fl = e - i - 1;
        i = e + 1;
    } else {
        size_t e = i;
        while (e < n && s[e] != ',')
            e++;
        *f = s + i;
        *fl = e - i;
        i = e;
    }
    *p = i;
    return 0;
}

int ermes__csaf_changes_read(const char *text, size_t len, ermes__csaf_change_t **out, size_t *n,
                             ermes_diag_t *d)
{
    ermes__csaf_change_t *c = NULL;
    size_t cnt = 0, cap = 0, pos = 0, ln;
    const char *s;
    long lineno = 0;
    int rc = 0;

    while (next_line(text, len, &pos, &s, &ln)) {
        const char *f1, *f2;
        size_t l1, l2, p = 0;
        int64_t at;
        ermes_diag_t td;

        lineno++;
        if (ln == 0)
            continue;
        if (csv_field(s, ln, &p, &f1, &l1) || p >= ln || s[p] != ',' ||
            (p++, csv_field(s, ln, &p, &f2, &l2)) || p != ln) {
            ermes_diag_set(d, "changes.csv", "line %ld is not \"path\",\"date\"", lineno);
            rc = ERMES_EPARSE;
            goto out;
        }
        if (!ermes__csaf_relpath_ok(f1, l1)) {
            ermes_diag_set(d, "changes.csv",
                           "line %ld: the path is not a relative path to a "
                           ".json file",
                           lineno);
            rc = ERMES_EPARSE;
            goto out;
        }
        ermes_diag_clear(&td);
        if (memchr(f2, '\0', l2) || ermes__time_parse(f2, l2, &at, &td)) {
            ermes_diag_set(d, "changes.csv", "line %ld: the date is not RFC 3339", lineno);
            rc = ERMES_EPARSE;
            goto out;
        }
        if (cnt >= ERMES_CSAF_CHECK_LINES_MAX) {
            ermes_diag_set(d, "changes.csv", "more than %d lines", ERMES_CSAF_CHECK_LINES_MAX);
            rc = ERMES_ETOOBIG;
            goto out;
        }
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            ermes__csaf_change_t *q = ermes__reallocarray(c, nc, sizeof(*q));
            if (!q) {
                rc = ERMES_ENOMEM;
                goto out;
            }
            c = q;
            cap = nc;
        }
        c[cnt].path = ermes__strndup(f1, l1);
        c[cnt].when = ermes__strndup(f2, l2);
        c[cnt].at = at;
        cnt++;
        if (!c[cnt - 1].path || !c[cnt - 1].when) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
out:
    if (rc) {
        if (d->line == 0)
            d->line = lineno;
        ermes__csaf_changes_free(c, cnt);
        return rc;
    }
    *out = c;
    *n = cnt;
    return 0;
}

int ermes__csaf_security_txt_read(const char *text, size_t len, char ***out, size_t *n)
{
    char **lines = NULL;
    size_t cnt = 0, cap = 0, pos = 0, ln;
    const char *s;
    int rc;

    while (next_line(text, len, &pos, &s, &ln)) {
        /* RFC 9116: field names are case-insensitive, "Name: value" */
        if (ln < 6 || strncasecmp(s, "CSAF:", 5) != 0)
            continue;
        s += 5;
        ln -= 5;
        while (ln && (*s == ' ' || *s == '\t'))
            s++, ln--;
        while (ln && (s[ln - 1] == ' ' || s[ln - 1] == '\t'))
            ln--;
        if (!ln || memchr(s, '\0', ln) || cnt >= 1000)
            continue;
        if ((rc = push_line(&lines, &cnt, &cap, s, ln))) {
            ermes__csaf_lines_free(lines, cnt);
            return rc;
        }
    }
    *out = lines;
    *n = cnt;
    return 0;
}

void ermes__csaf_feed_cleanup(ermes__csaf_feed_t *f)
{
    for (size_t i = 0; f->entries && i < f->n; i++) {
        ermes__csaf_feed_entry_t *e = &f->entries[i];
        ermes__free(e->id);
        ermes__free(e->src);
        ermes__free(e->sha256);
        ermes__free(e->sha512);
        ermes__free(e->signature);
        ermes__free(e->updated);
    }
    ermes__free(f->entries);
    ermes__free(f->self);
    memset(f, 0, sizeof(*f));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The href of the link with rel in links whose href ends in tail ("" for any), or NULL. */
static const char *link_of(const json_t *links, const char *rel, const char *tail)
{
    size_t i;
    json_t *l;

    json_array_foreach(links, i, l)
    {
        const char *r = str(l, "rel"), *h = str(l, "href");
        if (r && h && strcmp(r, rel) == 0 && ends_with(h, tail))
            return h;
    }
    return NULL;
}

#define FEED_FAIL(where, ...)                                                                      \
    do {                                                                                           \
        ermes_diag_set(d, where, __VA_ARGS__);                                                     \
        rc = ERMES_EPARSE;                                                                         \
        goto out;                                                                                  \
    } while (0)

static char *dup_or_null(const char *s, int *rc)
{
    char *p;
    if (!s)
        return NULL;
    if (!(p = ermes__strdup(s)))
        *rc = ERMES_ENOMEM;
    return p;
}

int ermes__csaf_feed_read(const char *text, size_t len, ermes__csaf_feed_t *out, ermes_diag_t *d)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *feed, *cat, *entries, *e;
    ermes__csaf_feed_t f;
    size_t i;
    int rc = 0, csaf_cat = 0;

    memset(&f, 0, sizeof(f));
    memset(out, 0, sizeof(*out));
    if (!root)
        FEED_FAIL("feed", "not JSON (line %d: %.100s)", je.line, je.text);
    if (!json_is_object(feed = json_object_get(root, "feed")))
        FEED_FAIL("/feed", "no feed object");
    if (!str(feed, "id") || !str(feed, "title") || !str(feed, "updated"))
        FEED_FAIL("/feed", "the feed lacks id, title or updated");
    if (!json_is_array(json_object_get(feed, "link")) ||
        !link_of(json_object_get(feed, "link"), "self", ""))
        FEED_FAIL("/feed/link", "no link with rel \"self\"");
    json_array_foreach(json_object_get(feed, "category"), i, cat)
    {
        const char *sc = str(cat, "scheme"), *t = str(cat, "term");
        if (sc && t && strcmp(sc, "urn:ietf:params:rolie:category:information-type") == 0 &&
            strcmp(t, "csaf") == 0)
            csaf_cat = 1;
    }
    if (!csaf_cat)
        FEED_FAIL("/feed/category", "no category urn:ietf:params:rolie:category:information-type "
                                    "with the term csaf");
    entries = json_object_get(feed, "entry");
    if (entries && !json_is_array(entries))
        FEED_FAIL("/feed/entry", "not an array");
    if (json_array_size(entries) > ERMES_CSAF_CHECK_LINES_MAX)
        FEED_FAIL("/feed/entry", "more than %d entries", ERMES_CSAF_CHECK_LINES_MAX);
    if (json_array_size(entries) &&
        !(f.entries = ermes__calloc(json_array_size(entries), sizeof(*f.entries)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    json_array_foreach(entries, i, e)
    {
        char where[64];
        json_t *links = json_object_get(e, "link"), *content = json_object_get(e, "content"),
               *format = json_object_get(e, "format");
        const char *ct = str(content, "type"), *ver = str(format, "version");
        ermes__csaf_feed_entry_t *en = &f.entries[f.n];

        snprintf(where, sizeof(where), "/feed/entry/%zu", i);
        if (!str(e, "id") || !str(e, "title") || !str(e, "published") || !str(e, "updated"))
            FEED_FAIL(where, "the entry lacks id, title, published or updated");
        if (!json_is_array(links) || !link_of(links, "self", ""))
            FEED_FAIL(where, "the entry has no link with rel \"self\"");
        if (!ct || strcmp(ct, "application/json") != 0 || !str(content, "src"))
            FEED_FAIL(where, "content is not {type \"application/json\", src}");
        if (!str(format, "schema") || !ver || strcmp(ver, "2.0") != 0)
            FEED_FAIL(where, "format is not {schema, version \"2.0\"}");
        f.n++;
        en->id = dup_or_null(str(e, "id"), &rc);
        en->src = dup_or_null(str(content, "src"), &rc);
        en->updated = dup_or_null(str(e, "updated"), &rc);
        en->sha256 = dup_or_null(link_of(links, "hash", ".sha256"), &rc);
        en->sha512 = dup_or_null(link_of(links, "hash", ".sha512"), &rc);
        en->signature = dup_or_null(link_of(links, "signature", ""), &rc);
        if (rc)
            goto out;
    }
    f.self = dup_or_null(link_of(json_object_get(feed, "link"), "self", ""), &rc);
out:
    json_decref(root);
    if (rc) {
        ermes__csaf_feed_cleanup(&f);
        return rc;
    }
    *out = f;
    return 0;
}

int ermes__csaf_hash_file_read(const char *text, size_t len, size_t hexlen, char *hex)
{
    size_t i;

    if (len < hexlen)
        return ERMES_EPARSE;
    for (i = 0; i < hexlen; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return ERMES_EPARSE;
        hex[i] = c;
    }
    hex[hexlen] = '\0';
    if (len > hexlen && text[hexlen] != ' ' && text[hexlen] != '\t' && text[hexlen] != '\n' &&
        text[hexlen] != '\r')
        return ERMES_EPARSE;
    return 0;
}
