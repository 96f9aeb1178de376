/* Listings of report files (listing.h). Both readers take untrusted bytes from the network:
 * every length is checked, nothing is copied without a bound, and the XML reader is a scanner
 * of the few elements List Blobs defines (no DTD, no entities beyond the five predefined ones
 * and numeric references), so an answer cannot make it fetch or expand anything. */
#include "intake/listing.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define MAX_PATH_DEPTH 8

void ermes__listing_free(ermes__listing_t *l)
{
    if (!l)
        return;
    for (size_t k = 0; k < l->n; k++) {
        ermes__free(l->items[k].id);
        ermes__free(l->items[k].file);
        ermes__free(l->items[k].version);
    }
    ermes__free(l->items);
    ermes__free(l->next_marker);
    l->items = NULL;
    l->n = 0;
    l->next_marker = NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = ermes__malloc(n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* A value fit to name an item or a file: no control characters (it goes into a URL, a JSON
 * body, the store and log lines). */
static int printable(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
            return 0;
    return 1;
}

/* Appends an item (copies of id, file's last '/'-segment, version). */
static int add_item(ermes__listing_t *l, size_t max_items, const char *id, size_t idlen,
                    const char *file, size_t flen, const char *ver, size_t vlen, ermes_diag_t *d)
{
    ermes__list_item_t *it;
    const char *slash;

    if (idlen == 0 || idlen > ERMES_LISTING_MAX_ID || !printable(id, idlen)) {
        ermes_diag_set(d, "id",
                       "item %zu: its id is empty, longer than %d bytes or has control "
                       "characters",
                       l->n + 1, ERMES_LISTING_MAX_ID);
        return ERMES_EPARSE;
    }
    if (!file) {
        file = id;
        flen = idlen;
    }
    while ((slash = memchr(file, '/', flen))) {
        flen -= (size_t)(slash + 1 - file);
        file = slash + 1;
    }
    if (flen == 0 || flen > ERMES_LISTING_MAX_FILE || !printable(file, flen) ||
        (flen <= 2 && file[0] == '.' && (flen == 1 || file[1] == '.'))) {
        ermes_diag_set(d, "file", "item %zu: no usable file name", l->n + 1);
        return ERMES_EPARSE;
    }
    if (vlen > ERMES_LISTING_MAX_VERSION || !printable(ver ? ver : "", vlen))
        vlen = 0; /* a version that cannot be kept is no version: the id alone counts */
    if (l->n >= max_items) {
        ermes_diag_set(d, "items", "the listing has more than %zu items", max_items);
        return ERMES_ERANGE;
    }
    if (!(it = ermes__reallocarray(l->items, l->n + 1, sizeof(*it))))
        return ERMES_ENOMEM;
    l->items = it;
    it = &l->items[l->n];
    memset(it, 0, sizeof(*it));
    if (!(it->id = dup_n(id, idlen)) || !(it->file = dup_n(file, flen)) ||
        !(it->version = dup_n(ver ? ver : "", ver ? vlen : 0))) {
        ermes__free(it->id);
        ermes__free(it->file);
        return ERMES_ENOMEM;
    }
    l->n++;
    return 0;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

int ermes__listing_json(const char *data, size_t len, const char *path, const char *id_field,
                        const char *file_field, size_t max_items, ermes__listing_t *out,
                        ermes_diag_t *d)
{
    json_error_t err;
    json_t *root, *arr, *v;
    char key[128];
    const char *p = path ? path : "";
    size_t idx;
    int rc = 0, depth = 0;

    memset(out, 0, sizeof(*out));
    if (!(root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err))) {
        ermes_diag_set(d, NULL, "the listing is not JSON: %.80s (line %d)", err.text, err.line);
        return ERMES_EPARSE;
    }
    arr = root;
    while (*p) {
        size_t n = strcspn(p, ".");
        if (n == 0 || n >= sizeof(key) || ++depth > MAX_PATH_DEPTH) {
            ermes_diag_set(d, "list_items", "list_items is keys joined by '.'");
            rc = ERMES_EINVAL;
            goto out;
        }
        memcpy(key, p, n);
        key[n] = '\0';
        arr = json_is_object(arr) ? json_object_get(arr, key) : NULL;
        p += n + (p[n] == '.');
        if (!arr)
            break;
    }
    if (!json_is_array(arr)) {
        const json_t *e = json_is_object(root) ? json_object_get(root, "error") : NULL;
        if (json_is_string(e))
            ermes_diag_set(d, NULL, "the API answered: %.200s", json_string_value(e));
        else
            ermes_diag_set(d, NULL, "the listing has no array at \"%.64s\"", path ? path : "");
        rc = ERMES_EPARSE;
        goto out;
    }
    json_array_foreach(arr, idx, v)
    {
        const json_t *id = json_is_object(v) ? json_object_get(v, id_field) : NULL;
        const json_t *file =
            json_is_object(v) && file_field ? json_object_get(v, file_field) : NULL;
        char num[32];
        const char *ids;
        size_t idlen;
        if (json_is_string(id)) {
            ids = json_string_value(id);
            idlen = json_string_length(id);
        } else if (json_is_integer(id)) {
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
            ids = num;
            idlen = strlen(num);
        } else {
            ermes_diag_set(d, id_field, "item %zu has no \"%.64s\" (a string or a whole number)",
                           idx + 1, id_field);
            rc = ERMES_EPARSE;
            goto out;
        }
        if (file && !json_is_string(file)) {
            ermes_diag_set(d, file_field, "item %zu: \"%.64s\" is not a string", idx + 1,
                           file_field);
            rc = ERMES_EPARSE;
            goto out;
        }
        /* A name with a NUL in it would be cut short where C reads it. */
        if (memchr(ids, '\0', idlen) ||
            (file && memchr(json_string_value(file), '\0', json_string_length(file)))) {
            ermes_diag_set(d, id_field, "item %zu has a NUL character", idx + 1);
            rc = ERMES_EPARSE;
            goto out;
        }
        if ((rc = add_item(out, max_items, ids, idlen, file ? json_string_value(file) : NULL,
                           file ? json_string_length(file) : 0, NULL, 0, d)))
            goto out;
    }
out:
    json_decref(root);
    if (rc)
        ermes__listing_free(out);
    return rc;
}

/* ---- Azure List Blobs XML ------------------------------------------------------------------- */

/* The first <tag>...</tag> within [p, end): its text (still encoded) in *txt, *tlen; the
 * position after the close tag in *next. 0 when there is none. Empty elements (<tag/>) have an
 * empty text. */
static int element(const char *p, const char *end, const char *tag, const char **txt, size_t *tlen,
                   const char **next)
{
    size_t tl = strlen(tag);

    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p)), *close;
        if (!lt || (size_t)(end - lt) < tl + 2)
            return 0;
        p = lt + 1;
        if (memcmp(p, tag, tl) != 0)
            continue;
        if (p[tl] == '/' && p + tl + 1 < end && p[tl + 1] == '>') {
            *txt = p + tl + 2;
            *tlen = 0;
            *next = p + tl + 2;
            return 1;
        }
        if (p[tl] != '>' && p[tl] != ' ')
            continue;
        {
            const char *gt = memchr(p + tl, '>', (size_t)(end - p - tl));
            if (!gt)
                return 0;
            *txt = gt + 1;
        }
        for (close = *txt; close < end;) {
            const char *c = memchr(close, '<', (size_t)(end - close));
            if (!c || (size_t)(end - c) < tl + 3)
                return 0;
            if (c[1] == '/' && memcmp(c + 2, tag, tl) == 0 && c[2 + tl] == '>') {
                *tlen = (size_t)(c - *txt);
                *next = c + 3 + tl;
                return 1;
            }
            close = c + 1;
        }
        return 0;
    }
    return 0;
}

static int put_utf8(char *out, size_t cap, size_t *o, uint32_t cp)
{
    unsigned char b[4];
    size_t n;

    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (n > cap - *o)
        return -1;
    memcpy(out + *o, b, n);
    *o += n;
    return 0;
}

/* XML character data (no markup inside) decoded into out (cap bytes, NUL-terminated): the
 * five predefined entities and &#N; / &#xH;. -1 when it does not fit or is not well formed. */
static int xml_text(const char *s, size_t n, char *out, size_t cap, size_t *olen)
{
    static const struct {
        const char *name;
        char ch;
    } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    size_t o = 0;

    if (cap == 0)
        return -1;
    for (size_t k = 0; k < n;) {
        if (s[k] == '<')
            return -1;
        if (s[k] != '&') {
            if (o + 1 >= cap)
                return -1;
            out[o++] = s[k++];
            continue;
        }
        k++;
        if (k < n && s[k] == '#') {
            uint32_t cp = 0;
            int hex = k + 1 < n && (s[k + 1] == 'x' || s[k + 1] == 'X'), digits = 0;
            k += 1 + (size_t)hex;
            for (; k < n && s[k] != ';'; k++, digits++) {
                unsigned v;
                char c = s[k];
                if (c >= '0' && c <= '9')
                    v = (unsigned)(c - '0');
                else if (hex && c >= 'a' && c <= 'f')
                    v = (unsigned)(c - 'a' + 10);
                else if (hex && c >= 'A' && c <= 'F')
                    v = (unsigned)(c - 'A' + 10);
                else
                    return -1;
                if (digits >= 7)
                    return -1;
                cp = cp * (hex ? 16u : 10u) + v;
            }
            if (k >= n || digits == 0 || put_utf8(out, cap - 1, &o, cp))
                return -1;
            k++;
            continue;
        }
        {
            size_t e;
            for (e = 0; e < sizeof(ents) / sizeof(ents[0]); e++) {
                size_t el = strlen(ents[e].name);
                if (n - k >= el && memcmp(s + k, ents[e].name, el) == 0) {
                    if (o + 1 >= cap)
                        return -1;
                    out[o++] = ents[e].ch;
                    k += el;
                    break;
                }
            }
            if (e == sizeof(ents) / sizeof(ents[0]))
                return -1;
        }
    }
    out[o] = '\0';
    *olen = o;
    return 0;
}

int ermes__listing_azure(const char *data, size_t len, size_t max_items, ermes__listing_t *out,
                         ermes_diag_t *d)
{
    const char *end = data + len, *p, *txt, *next, *blobs, *blobs_end;
    char name[ERMES_LISTING_MAX_ID + 1], etag[ERMES_LISTING_MAX_VERSION + 1], marker[1024];
    size_t tlen, nlen, elen;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!element(data, end, "EnumerationResults", &txt, &tlen, &next)) {
        const char *etxt, *mtxt;
        size_t el = 0, ml = 0;
        char code[128] = "", msg[256] = "";
        if (element(data, end, "Error", &txt, &tlen, &next)) {
            if (element(txt, txt + tlen, "Code", &etxt, &el, &next))
                xml_text(etxt, el, code, sizeof(code), &el);
            if (element(txt, txt + tlen, "Message", &mtxt, &ml, &next))
                xml_text(mtxt, ml, msg, sizeof(msg), &ml);
            ermes_diag_set(d, NULL, "Azure answered %s: %.160s", code[0] ? code : "an error", msg);
        } else {
            ermes_diag_set(d, NULL,
                           "the listing is no Azure List Blobs answer "
                           "(no <EnumerationResults>)");
        }
        return ERMES_EPARSE;
    }
    end = txt + tlen;
    if (element(txt, end, "NextMarker", &p, &nlen, &next) && nlen) {
        if (xml_text(p, nlen, marker, sizeof(marker), &nlen) || !printable(marker, nlen) ||
            !(out->next_marker = dup_n(marker, nlen))) {
            ermes_diag_set(d, "NextMarker", "the listing's NextMarker is unusable");
            rc = ERMES_EPARSE;
            goto out;
        }
    }
    if (!element(txt, end, "Blobs", &blobs, &tlen, &next))
        return 0; /* an empty container may leave <Blobs> out */
    blobs_end = blobs + tlen;
    for (p = blobs; element(p, blobs_end, "Blob", &txt, &tlen, &next); p = next) {
        const char *ntxt, *props, *after;
        size_t plen;
        if (!element(txt, txt + tlen, "Name", &ntxt, &nlen, &after) ||
            xml_text(ntxt, nlen, name, sizeof(name), &nlen) || memchr(name, '\0', nlen)) {
            ermes_diag_set(d, "Name", "blob %zu has no usable <Name>", out->n + 1);
            rc = ERMES_EPARSE;
            goto out;
        }
        etag[0] = '\0';
        elen = 0;
        if (element(txt, txt + tlen, "Properties", &props, &plen, &after)) {
            const char *et;
            size_t etl;
            if (element(props, props + plen, "Etag", &et, &etl, &after) &&
                xml_text(et, etl, etag, sizeof(etag), &elen))
                elen = 0;
        }
        if ((rc = add_item(out, max_items, name, nlen, NULL, 0, etag, elen, d)))
            goto out;
    }
    return 0;
out:
    ermes__listing_free(out);
    return rc;
}
