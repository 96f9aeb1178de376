/* The CSAF validator's own representation of a document (see csaf_doc.h): the table of names,
 * the arena, the reader from text and the copy from jansson. */
#include "advisories/csaf_doc.h"

#include <string.h>

#include "core/alloc.h"
#include "ermes/error.h"

/* ---- the table of names ---- */

struct ermes__csaf_keys {
    const char **name;
    size_t *len;
    size_t n;
    uint32_t *slot; /* id, 0 free; nslot a power of two, at most half used */
    size_t nslot;
};

/* FNV-1a over the key's bytes, for the duplicate check of large objects. */
static uint32_t hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The slot a key starts from in the table of names: its length and its first and last
 * eight bytes (fewer for a shorter key), mixed by two multiplications. Every key of a document
 * is looked up, and FNV-1a's multiplication per byte was 3 % of a validation. Keys that agree
 * in all three share a start; the table is fixed and at most half full, so a look-up never
 * probes past the longest run of its names, whatever the document's keys. (The duplicate
 * check keeps FNV-1a over every byte: its table holds the document's keys.) */
static uint32_t key_hash(const char *s, size_t len)
{
    uint64_t a = 0, b = 0, h;

    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        a = x;
        b = y;
    } else if (len) {
        a = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
            (uint64_t)(unsigned char)s[len - 1] << 16;
    }
    h = a * 0x9E3779B97F4A7C15ull ^ (b + len) * 0xC2B2AE3D27D4EB4Full;
    return (uint32_t)(h >> 32 ^ h);
}

int ermes__csaf_keys_new(const char *const *names, size_t n, ermes__csaf_keys_t **out)
{
    ermes__csaf_keys_t *k = ermes__calloc(1, sizeof(*k));

    if (!k)
        return ERMES_ENOMEM;
    k->nslot = 16;
    while (k->nslot < 2 * n + 2)
        k->nslot *= 2;
    k->name = ermes__calloc(n ? n : 1, sizeof(*k->name));
    k->len = ermes__calloc(n ? n : 1, sizeof(*k->len));
    k->slot = ermes__calloc(k->nslot, sizeof(*k->slot));
    if (!k->name || !k->len || !k->slot) {
        ermes__csaf_keys_free(k);
        return ERMES_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (ermes__csaf_keys_find(k, names[i], len))
            continue;
        size_t s = key_hash(names[i], len) & (k->nslot - 1);
        while (k->slot[s])
            s = (s + 1) & (k->nslot - 1);
        k->name[k->n] = names[i];
        k->len[k->n] = len;
        k->slot[s] = (uint32_t)++k->n;
    }
    *out = k;
    return 0;
}

void ermes__csaf_keys_free(ermes__csaf_keys_t *k)
{
    if (!k)
        return;
    ermes__free(k->name);
    ermes__free(k->len);
    ermes__free(k->slot);
    ermes__free(k);
}

uint32_t ermes__csaf_keys_find(const ermes__csaf_keys_t *k, const char *name, size_t len)
{
    if (!k)
        return 0;
    for (size_t s = key_hash(name, len) & (k->nslot - 1);; s = (s + 1) & (k->nslot - 1)) {
        uint32_t id = k->slot[s];
        if (!id)
            return 0;
        if (k->len[id - 1] == len && memcmp(k->name[id - 1], name, len) == 0)
            return id;
    }
}

size_t ermes__csaf_keys_count(const ermes__csaf_keys_t *k)
{
    return k ? k->n : 0;
}

/* ---- the arena ---- */

#define CHUNK_FIRST (256 * 1024)

void ermes__csaf_doc_init(ermes__csaf_doc_t *d)
{
    memset(d, 0, sizeof(*d));
}

void ermes__csaf_doc_cleanup(ermes__csaf_doc_t *d)
{
    for (size_t i = 0; i < d->nchunk; i++)
        ermes__free(d->chunk[i]);
    ermes__free(d->chunk);
    ermes__free(d->chunk_size);
    ermes__free(d->items);
    ermes__free(d->members);
    ermes__free(d->slot);
    ermes__free(d->scan.buf);
    ermes__csaf_doc_init(d);
}

void ermes__csaf_doc_trim(ermes__csaf_doc_t *d, size_t keep)
{
    size_t held = d->items_cap * sizeof(*d->items) + d->members_cap * sizeof(*d->members) +
                  d->nslot * sizeof(*d->slot) + d->scan.cap;

    for (size_t i = 0; i < d->nchunk; i++)
        held += d->chunk_size[i];
    if (held > keep)
        ermes__csaf_doc_cleanup(d);
}

/* Forgets the previous document: the largest chunk (the last) is kept for the next one, the
 * others freed, so a thread validating many documents allocates nothing after the first. */
static void reset(ermes__csaf_doc_t *d, const ermes__csaf_keys_t *keys, int max_depth)
{
    if (d->nchunk > 1) {
        for (size_t i = 0; i + 1 < d->nchunk; i++)
            ermes__free(d->chunk[i]);
        d->chunk[0] = d->chunk[d->nchunk - 1];
        d->chunk_size[0] = d->chunk_size[d->nchunk - 1];
        d->nchunk = 1;
    }
    d->off = 0;
    d->nitems = d->nmembers = 0;
    d->depth = 0;
    d->max_depth = max_depth;
    d->keys = keys;
    d->scan.rc = 0;
    memset(&d->root, 0, sizeof(d->root));
}

/* n bytes aligned to 8 from the arena, NULL when out of memory. */
static void *arena_alloc(ermes__csaf_doc_t *d, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!d->nchunk || d->chunk_size[d->nchunk - 1] - d->off < n) {
        size_t size = d->nchunk ? d->chunk_size[d->nchunk - 1] * 2 : CHUNK_FIRST;
        if (size < n)
            size = n;
        if (d->nchunk == d->chunk_cap) {
            size_t cap = d->chunk_cap ? d->chunk_cap * 2 : 8;
            char **c = ermes__reallocarray(d->chunk, cap, sizeof(*c));
            if (!c)
                return NULL;
            d->chunk = c;
            size_t *s = ermes__reallocarray(d->chunk_size, cap, sizeof(*s));
            if (!s)
                return NULL;
            d->chunk_size = s;
            d->chunk_cap = cap;
        }
        char *c = ermes__malloc(size);
        if (!c)
            return NULL;
        d->chunk[d->nchunk] = c;
        d->chunk_size[d->nchunk++] = size;
        d->off = 0;
    }
    void *p = d->chunk[d->nchunk - 1] + d->off;
    d->off += n;
    return p;
}

/* A NUL-terminated copy of s (n bytes) in the arena. */
static const char *arena_string(ermes__csaf_doc_t *d, const char *s, size_t n)
{
    char *c = arena_alloc(d, n + 1);

    if (!c)
        return NULL;
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static int push_item(ermes__csaf_doc_t *d, const ermes__csaf_node_t *v)
{
    if (d->nitems == d->items_cap) {
        size_t cap = d->items_cap ? d->items_cap * 2 : 256;
        ermes__csaf_node_t *a = ermes__reallocarray(d->items, cap, sizeof(*a));
        if (!a)
            return -1;
        d->items = a;
        d->items_cap = cap;
    }
    d->items[d->nitems++] = *v;
    return 0;
}

static ermes__csaf_member_t *push_member(ermes__csaf_doc_t *d)
{
    if (d->nmembers == d->members_cap) {
        size_t cap = d->members_cap ? d->members_cap * 2 : 256;
        ermes__csaf_member_t *m = ermes__reallocarray(d->members, cap, sizeof(*m));
        if (!m)
            return NULL;
        d->members = m;
        d->members_cap = cap;
    }
    return &d->members[d->nmembers++];
}

/* Moves the items pushed since base into the arena as the array v. */
static int close_array(ermes__csaf_doc_t *d, size_t base, ermes__csaf_node_t *v)
{
    size_t n = d->nitems - base;

    v->type = ERMES__CSAF_ARRAY;
    v->n = (uint32_t)n;
    v->u.item = NULL;
    if (n) {
        if (!(v->u.item = arena_alloc(d, n * sizeof(*v->u.item)))) {
            d->scan.rc = ERMES_ENOMEM;
            return -1;
        }
        memcpy(v->u.item, d->items + base, n * sizeof(*v->u.item));
    }
    d->nitems = base;
    return 0;
}

static int same_key(const ermes__csaf_member_t *a, const ermes__csaf_member_t *b)
{
    return a->klen == b->klen && memcmp(a->key, b->key, a->klen) == 0;
}

/* 1 when the n members at m hold a key twice (jansson's JSON_REJECT_DUPLICATES), -1 when
 * out of memory. Most objects are small and compared pairwise; larger ones through a table
 * of their keys' hashes. */
static int has_duplicate(ermes__csaf_doc_t *d, const ermes__csaf_member_t *m, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (same_key(&m[i], &m[j]))
                    return 1;
        return 0;
    }
    size_t nslot = 64;
    while (nslot < 2 * n)
        nslot *= 2;
    if (nslot > d->nslot) {
        uint32_t *s = ermes__reallocarray(d->slot, nslot, sizeof(*s));
        if (!s)
            return -1;
        d->slot = s;
        d->nslot = nslot;
    }
    memset(d->slot, 0, nslot * sizeof(*d->slot));
    for (size_t i = 0; i < n; i++) {
        size_t s = hash(m[i].key, m[i].klen) & (nslot - 1);
        for (; d->slot[s]; s = (s + 1) & (nslot - 1))
            if (same_key(&m[d->slot[s] - 1], &m[i]))
                return 1;
        d->slot[s] = (uint32_t)(i + 1);
    }
    return 0;
}

/* Moves the members pushed since base into the arena as the object v; -1 for a duplicate key
 * or no memory. */
static int close_object(ermes__csaf_doc_t *d, size_t base, ermes__csaf_node_t *v)
{
    size_t n = d->nmembers - base;
    int dup = has_duplicate(d, d->members + base, n);

    if (dup < 0)
        d->scan.rc = ERMES_ENOMEM;
    if (dup)
        return -1;
    v->type = ERMES__CSAF_OBJECT;
    v->n = (uint32_t)n;
    v->u.member = NULL;
    if (n) {
        if (!(v->u.member = arena_alloc(d, n * sizeof(*v->u.member)))) {
            d->scan.rc = ERMES_ENOMEM;
            return -1;
        }
        memcpy(v->u.member, d->members + base, n * sizeof(*v->u.member));
    }
    d->nmembers = base;
    return 0;
}

/* ---- the reader ---- */

/* The string whose opening quote r->p points at, NUL-terminated in the document's copy of the
 * text, where its source was: a string without escapes stays where it is (its closing quote
 * becomes the NUL), an escaped one is decoded over its source, never longer than that. No
 * string is copied or allocated on its own (a copy and an allocation per string were a tenth
 * of a validation). */
static const char *read_text_string(ermes__csaf_doc_t *d, size_t *n)
{
    ermes__json_scan_t *r = &d->scan;
    const unsigned char *start = r->p + 1;
    const char *s;
    char *dst;

    if (ermes__json_read_string(r, &s, n))
        return NULL;
    dst = d->text + (start - d->source);
    if (s != (const char *)start)
        memcpy(dst, s, *n);
    dst[*n] = '\0';
    return dst;
}

static int read_value(ermes__csaf_doc_t *d, ermes__csaf_node_t *v);

static int read_object(ermes__csaf_doc_t *d, ermes__csaf_node_t *v)
{
    ermes__json_scan_t *r = &d->scan;
    size_t base = d->nmembers;
    const char *k;
    size_t kn;

    r->p++;
    ermes__json_skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return close_object(d, base, v);
    }
    for (;;) {
        ermes__json_skip_ws(r);
        if (r->p >= r->end || *r->p != '"' || !(k = read_text_string(d, &kn)))
            return -1;
        /* A member's place on the stack is taken only once its value is read, as the value's
         * own members go on the same stack. */
        const char *key = k;
        ermes__csaf_node_t value;
        ermes__json_skip_ws(r);
        if (r->p >= r->end || *r->p != ':')
            return -1;
        r->p++;
        ermes__json_skip_ws(r);
        if (read_value(d, &value))
            return -1;
        ermes__csaf_member_t *m = push_member(d);
        if (!m) {
            r->rc = ERMES_ENOMEM;
            return -1;
        }
        m->key = key;
        m->klen = (uint32_t)kn;
        m->id = ermes__csaf_keys_find(d->keys, key, kn);
        m->value = value;
        ermes__json_skip_ws(r);
        if (r->p >= r->end)
            return -1;
        if (*r->p == '}') {
            r->p++;
            return close_object(d, base, v);
        }
        if (*r->p != ',')
            return -1;
        r->p++;
    }
}

static int read_array(ermes__csaf_doc_t *d, ermes__csaf_node_t *v)
{
    ermes__json_scan_t *r = &d->scan;
    size_t base = d->nitems;

    r->p++;
    ermes__json_skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return close_array(d, base, v);
    }
    for (;;) {
        ermes__csaf_node_t item;
        ermes__json_skip_ws(r);
        if (read_value(d, &item))
            return -1;
        if (push_item(d, &item)) {
            r->rc = ERMES_ENOMEM;
            return -1;
        }
        ermes__json_skip_ws(r);
        if (r->p >= r->end)
            return -1;
        if (*r->p == ']') {
            r->p++;
            return close_array(d, base, v);
        }
        if (*r->p != ',')
            return -1;
        r->p++;
    }
}

static int read_value(ermes__csaf_doc_t *d, ermes__csaf_node_t *v)
{
    ermes__json_scan_t *r = &d->scan;
    const char *s;
    size_t n;
    int rc, real;

    if (r->p >= r->end)
        return -1;
    switch (*r->p) {
    case '{':
    case '[':
        if (++d->depth > d->max_depth)
            return -1;
        rc = *r->p == '{' ? read_object(d, v) : read_array(d, v);
        d->depth--;
        return rc;
    case '"':
        if (!(s = read_text_string(d, &n)))
            return -1;
        v->type = ERMES__CSAF_STRING;
        v->n = (uint32_t)n;
        v->u.s = s;
        return 0;
    case 't':
        v->type = ERMES__CSAF_TRUE;
        return ermes__json_literal(r, "true", 4) ? 0 : -1;
    case 'f':
        v->type = ERMES__CSAF_FALSE;
        return ermes__json_literal(r, "false", 5) ? 0 : -1;
    case 'n':
        v->type = ERMES__CSAF_NULL;
        return ermes__json_literal(r, "null", 4) ? 0 : -1;
    default:
        if (ermes__json_read_number(r, &real, &v->u.integer, &v->u.real))
            return -1;
        v->type = real ? ERMES__CSAF_REAL : ERMES__CSAF_INTEGER;
        v->n = 0;
        return 0;
    }
}

int ermes__csaf_doc_read(ermes__csaf_doc_t *d, const ermes__csaf_keys_t *keys, const char *text,
                         size_t len, int max_depth)
{
    ermes__json_scan_t *r = &d->scan;
    ermes__csaf_node_t root;
    int rc = -1;

    /* Strings and counts are 32-bit: larger documents (far past the validator's cap) are
     * jansson's. */
    if (len > UINT32_MAX)
        return ERMES_EPARSE;
    reset(d, keys, max_depth);
    /* The strings live in a copy of the text (see read_text_string). */
    if (!(d->text = arena_alloc(d, len + 1)))
        return ERMES_ENOMEM;
    memcpy(d->text, text, len);
    d->text[len] = '\0';
    d->source = (const unsigned char *)text;
    r->p = (const unsigned char *)text;
    r->end = r->p + len;
    ermes__json_skip_ws(r);
    if (r->p < r->end && (*r->p == '{' || *r->p == '['))
        rc = read_value(d, &root);
    ermes__json_skip_ws(r);
    if (rc == 0 && r->p == r->end) {
        d->root = root;
        return 0;
    }
    rc = r->rc ? r->rc : ERMES_EPARSE;
    reset(d, keys, max_depth);
    return rc;
}

/* ---- the copy from jansson ---- */

static int copy(ermes__csaf_doc_t *d, const json_t *j, ermes__csaf_node_t *v, int depth)
{
    memset(v, 0, sizeof(*v));
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t base = d->nmembers;
        const char *key;
        json_t *value;
        if (depth + 1 > d->max_depth)
            return ERMES_EINVAL;
        json_object_foreach((json_t *)j, key, value)
        {
            ermes__csaf_node_t child;
            int rc = copy(d, value, &child, depth + 1);
            if (rc)
                return rc;
            size_t kn = strlen(key);
            ermes__csaf_member_t *m = push_member(d);
            if (!m || !(m->key = arena_string(d, key, kn)))
                return ERMES_ENOMEM;
            m->klen = (uint32_t)kn;
            m->id = ermes__csaf_keys_find(d->keys, key, kn);
            m->value = child;
        }
        /* jansson's keys are unique: only memory can fail here. */
        return close_object(d, base, v) ? ERMES_ENOMEM : 0;
    }
    case JSON_ARRAY: {
        size_t base = d->nitems, i;
        json_t *item;
        if (depth + 1 > d->max_depth)
            return ERMES_EINVAL;
        json_array_foreach((json_t *)j, i, item)
        {
            ermes__csaf_node_t child;
            int rc = copy(d, item, &child, depth + 1);
            if (rc)
                return rc;
            if (push_item(d, &child))
                return ERMES_ENOMEM;
        }
        return close_array(d, base, v) ? ERMES_ENOMEM : 0;
    }
    case JSON_STRING:
        v->type = ERMES__CSAF_STRING;
        v->n = (uint32_t)json_string_length(j);
        /* jansson allows a NUL inside a string (from \u0000, which its reader refuses):
         * the copy keeps every byte all the same. */
        v->u.s = arena_string(d, json_string_value(j), json_string_length(j));
        return v->u.s ? 0 : ERMES_ENOMEM;
    case JSON_INTEGER:
        v->type = ERMES__CSAF_INTEGER;
        v->u.integer = (int64_t)json_integer_value(j);
        return 0;
    case JSON_REAL:
        v->type = ERMES__CSAF_REAL;
        v->u.real = json_real_value(j);
        return 0;
    case JSON_TRUE:
        v->type = ERMES__CSAF_TRUE;
        return 0;
    case JSON_FALSE:
        v->type = ERMES__CSAF_FALSE;
        return 0;
    case JSON_NULL:
        v->type = ERMES__CSAF_NULL;
        return 0;
    }
    return ERMES_EINVAL;
}

int ermes__csaf_doc_from_json(ermes__csaf_doc_t *d, const ermes__csaf_keys_t *keys, const json_t *j,
                              int max_depth)
{
    ermes__csaf_node_t root;
    int rc;

    reset(d, keys, max_depth);
    if ((rc = copy(d, j, &root, 0))) {
        reset(d, keys, max_depth);
        return rc;
    }
    d->root = root;
    return 0;
}

/* ---- comparisons ---- */

int ermes__csaf_equal(const ermes__csaf_node_t *a, const ermes__csaf_node_t *b)
{
    if (!a || !b)
        return 0;
    if (a == b)
        return 1;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case ERMES__CSAF_OBJECT:
        if (a->n != b->n)
            return 0;
        for (uint32_t i = 0; i < a->n; i++) {
            const ermes__csaf_member_t *m = &a->u.member[i], *o = NULL;
            for (uint32_t k = 0; k < b->n && !o; k++)
                if (same_key(m, &b->u.member[k]))
                    o = &b->u.member[k];
            if (!o || !ermes__csaf_equal(&m->value, &o->value))
                return 0;
        }
        return 1;
    case ERMES__CSAF_ARRAY:
        if (a->n != b->n)
            return 0;
        for (uint32_t i = 0; i < a->n; i++)
            if (!ermes__csaf_equal(&a->u.item[i], &b->u.item[i]))
                return 0;
        return 1;
    case ERMES__CSAF_STRING:
        return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
    case ERMES__CSAF_INTEGER:
        return a->u.integer == b->u.integer;
    case ERMES__CSAF_REAL:
        return a->u.real == b->u.real;
    default:
        return 1;
    }
}

int ermes__csaf_same_as_json(const ermes__csaf_node_t *v, const json_t *j)
{
    size_t i = 0;
    const char *key;
    json_t *child;

    if (!v || !j)
        return 0;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        if (v->type != ERMES__CSAF_OBJECT || v->n != json_object_size(j))
            return 0;
        json_object_foreach((json_t *)j, key, child)
        {
            const ermes__csaf_member_t *m = &v->u.member[i++];
            if (m->klen != strlen(key) || memcmp(m->key, key, m->klen) != 0 ||
                !ermes__csaf_same_as_json(&m->value, child))
                return 0;
        }
        return 1;
    case JSON_ARRAY:
        if (v->type != ERMES__CSAF_ARRAY || v->n != json_array_size(j))
            return 0;
        json_array_foreach((json_t *)j, i,
                           child) if (!ermes__csaf_same_as_json(&v->u.item[i], child)) return 0;
        return 1;
    case JSON_STRING:
        return v->type == ERMES__CSAF_STRING && v->n == json_string_length(j) &&
               memcmp(v->u.s, json_string_value(j), v->n) == 0;
    case JSON_INTEGER:
        return v->type == ERMES__CSAF_INTEGER && v->u.integer == (int64_t)json_integer_value(j);
    case JSON_REAL:
        return v->type == ERMES__CSAF_REAL && v->u.real == json_real_value(j);
    case JSON_TRUE:
        return v->type == ERMES__CSAF_TRUE;
    case JSON_FALSE:
        return v->type == ERMES__CSAF_FALSE;
    case JSON_NULL:
        return v->type == ERMES__CSAF_NULL;
    }
    return 0;
}
