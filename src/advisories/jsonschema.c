/* A small JSON Schema validator (see jsonschema.h). Schemas compile into nodes kept in one
 * array; $ref and recursive definitions point at nodes by index, so cycles (CSAF's branches_t
 * contains branches_t) need no special care. */
#include "advisories/jsonschema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time.h"

enum {
    T_NULL = 1,
    T_BOOLEAN = 2,
    T_OBJECT = 4,
    T_ARRAY = 8,
    T_NUMBER = 16,
    T_STRING = 32,
    T_INTEGER = 64,
};
enum { F_NONE, F_DATE_TIME, F_URI };

/* Patterns the walk checks without PCRE2 (see pattern_shape): the hashes' and the package
 * URLs' are three in four of the patterns a CSAF document is checked against, and each
 * pcre2_match was several hundred instructions for a loop over the bytes. */
enum { P_PCRE2, P_HEX32, P_PURL };

/* Patterns whose last result a validation remembers (the first ones compiled). */
#define PATTERN_MEMO 32

typedef struct prop {
    const char *name;
    uint32_t id; /* the name's in the schema's table of keys */
    int node;
} prop_t;

typedef struct node {
    json_t *schema; /* the schema object compiled (borrowed from the root) */
    unsigned types; /* 0: any */
    prop_t *props;
    size_t nprops;
    int closed; /* no properties but those listed */
    const char **required;
    uint32_t *required_id;
    size_t nrequired;
    int items; /* node index or -1 */
    long min_items, max_items, min_length, max_length, min_props, max_props;
    int unique_items;
    pcre2_code *pattern;
    const char *pattern_src;
    int shape; /* P_PCRE2 or a pattern checked by hand */
    int memo;  /* the slot of the last result remembered, -1: none */
    json_t *enum_values, *const_value;
    int format;
    int has_min, has_max;
    double minimum, maximum;
    int ref; /* node index or -1 */
    int *one_of, *any_of, *all_of;
    size_t n_one_of, n_any_of, n_all_of;
} node_t;

struct ermes__jschema {
    node_t *nodes;
    size_t n, cap;
    json_t *root;
    json_t **docs; /* root and registered schemas */
    const char **doc_names;
    size_t ndocs;
    int strict;
    int top;
    ermes__csaf_keys_t *keys; /* every property name the schema lists or requires */
    int npatterns;            /* memo slots given out */
};

typedef struct compiler {
    ermes__jschema_t *s;
    ermes_diag_t *d;
} compiler_t;

static int compile(compiler_t *c, json_t *doc, json_t *schema, int *out);

/* The patterns of the CSAF schema checked by hand, byte for byte as PCRE2 compiles them here
 * (UTF, UCP, no multiline, no DOTALL, no DOLLAR_ENDONLY): */
static const char HEX32[] = "^[0-9a-fA-F]{32,}$";
static const char PURL[] = "^pkg:[A-Za-z\\.\\-\\+][A-Za-z0-9\\.\\-\\+]*/.+";

/* Which pattern src is. Only when this PCRE2's newline is LF, the one whose meaning of $ and
 * . the loops below follow ($ also before a final newline; . anything but a newline). */
static int pattern_shape(const char *src)
{
    uint32_t newline = 0;

    if (pcre2_config(PCRE2_CONFIG_NEWLINE, &newline) < 0 || newline != PCRE2_NEWLINE_LF)
        return P_PCRE2;
    if (strcmp(src, HEX32) == 0)
        return P_HEX32;
    if (strcmp(src, PURL) == 0)
        return P_PURL;
    return P_PCRE2;
}

static int is_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* ^[0-9a-fA-F]{32,}$: 32 hex digits or more, then the end or a newline that ends the text.
 * A text that is not UTF-8 fails both ways (PCRE2 refuses it; it has a byte that is no hex
 * digit). */
static int match_hex32(const char *s, size_t len)
{
    if (len && s[len - 1] == '\n')
        len--;
    if (len < 32)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_hex((unsigned char)s[i]))
            return 0;
    return 1;
}

static int purl_type_char(unsigned char ch, int first)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '.' || ch == '-' ||
           ch == '+' || (!first && ch >= '0' && ch <= '9');
}

/* PURL: "pkg:", a character of the type's first set, more of the second set, a slash, then
 * at least one character but a newline. The sets hold no slash, so the pattern matches only
 * when the first character after them is a slash. -1 when the text has a byte past ASCII:
 * PCRE2 then decides (it refuses a text that is not UTF-8 anywhere in it). */
static int match_purl(const char *s, size_t len)
{
    size_t k = 5;

    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return -1;
    if (len < 5 || memcmp(s, "pkg:", 4) != 0 || !purl_type_char((unsigned char)s[4], 1))
        return 0;
    while (k < len && purl_type_char((unsigned char)s[k], 0))
        k++;
    return k + 1 < len && s[k] == '/' && s[k + 1] != '\n';
}

static int find_node(const ermes__jschema_t *s, const json_t *schema)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->nodes[i].schema == schema)
            return (int)i;
    return -1;
}

/* Resolves a $ref: "#/a/b" in doc, or a registered URI (with an optional "#/..." part). */
static json_t *resolve(compiler_t *c, json_t *doc, const char *ref, json_t **ref_doc)
{
    const char *hash = strchr(ref, '#');
    json_t *at = doc;

    if (hash != ref) {
        size_t n = hash ? (size_t)(hash - ref) : strlen(ref);
        at = NULL;
        for (size_t i = 0; i < c->s->ndocs; i++)
            if (c->s->doc_names[i] && strlen(c->s->doc_names[i]) == n &&
                memcmp(c->s->doc_names[i], ref, n) == 0)
                at = c->s->docs[i];
        if (!at)
            return NULL;
    }
    *ref_doc = at;
    if (!hash || hash[1] == '\0')
        return at;
    if (hash[1] != '/')
        return NULL;
    /* JSON pointer segments; the schemas use plain names, ~0 and ~1 are decoded anyway. */
    for (const char *p = hash + 2; at && *p;) {
        char seg[128];
        size_t k = 0;
        while (*p && *p != '/' && k + 1 < sizeof(seg)) {
            if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
                seg[k++] = p[1] == '0' ? '~' : '/';
                p += 2;
            } else {
                seg[k++] = *p++;
            }
        }
        seg[k] = '\0';
        if (*p == '/')
            p++;
        at = json_is_object(at) ? json_object_get(at, seg) : NULL;
    }
    return at;
}

static int new_node(compiler_t *c, json_t *schema)
{
    ermes__jschema_t *s = c->s;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        node_t *n = ermes__reallocarray(s->nodes, cap, sizeof(*n));
        if (!n)
            return -1;
        s->nodes = n;
        s->cap = cap;
    }
    memset(&s->nodes[s->n], 0, sizeof(node_t));
    node_t *nd = &s->nodes[s->n];
    nd->schema = schema;
    nd->items = nd->ref = -1;
    nd->min_items = nd->max_items = nd->min_length = nd->max_length = -1;
    nd->min_props = nd->max_props = -1;
    return (int)s->n++;
}

static int type_bit(const char *t)
{
    static const struct {
        const char *name;
        unsigned bit;
    } types[] = {{"null", T_NULL},      {"boolean", T_BOOLEAN}, {"object", T_OBJECT},
                 {"array", T_ARRAY},    {"number", T_NUMBER},   {"string", T_STRING},
                 {"integer", T_INTEGER}};
    for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
        if (strcmp(types[i].name, t) == 0)
            return (int)types[i].bit;
    return 0;
}

static int fail(compiler_t *c, const char *key, const char *why)
{
    ermes_diag_set(c->d, key, "schema keyword \"%s\": %s", key, why);
    return ERMES_EINVAL;
}

static int compile_list(compiler_t *c, json_t *doc, json_t *list, const char *key, int **out,
                        size_t *n)
{
    size_t i;
    json_t *v;

    if (!json_is_array(list) || json_array_size(list) == 0)
        return fail(c, key, "not a non-empty array");
    *out = ermes__calloc(json_array_size(list), sizeof(int));
    if (!*out)
        return ERMES_ENOMEM;
    *n = json_array_size(list);
    json_array_foreach(list, i, v)
    {
        int rc = compile(c, doc, v, &(*out)[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int get_count(compiler_t *c, json_t *v, const char *key, long *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(c, key, "not a non-negative integer");
    *out = (long)json_integer_value(v);
    return 0;
}

static int compile(compiler_t *c, json_t *doc, json_t *schema, int *out)
{
    ermes__jschema_t *s = c->s;
    const char *key;
    json_t *v;
    int idx, rc;

    if (!json_is_object(schema))
        return fail(c, "(schema)", "a schema is not an object");
    if ((idx = find_node(s, schema)) >= 0) {
        *out = idx;
        return 0;
    }
    if ((idx = new_node(c, schema)) < 0)
        return ERMES_ENOMEM;
    *out = idx;
    json_object_foreach(schema, key, v)
    {
        /* nd is re-read after every nested compile: the node array may move. */
#define ND (&s->nodes[idx])
        if (!strcmp(key, "title") || !strcmp(key, "description") || !strcmp(key, "examples") ||
            !strcmp(key, "default") || !strcmp(key, "$schema") || !strcmp(key, "$id") ||
            !strcmp(key, "$defs") || !strcmp(key, "definitions") || !strcmp(key, "license") ||
            !strcmp(key, "$comment")) {
            continue;
        } else if (!strcmp(key, "type")) {
            if (json_is_string(v)) {
                ND->types = (unsigned)type_bit(json_string_value(v));
            } else if (json_is_array(v)) {
                size_t i;
                json_t *t;
                json_array_foreach(v, i, t) ND->types |=
                    json_is_string(t) ? (unsigned)type_bit(json_string_value(t)) : 0;
            }
            if (!ND->types)
                return fail(c, key, "unknown type");
        } else if (!strcmp(key, "properties")) {
            const char *pname;
            json_t *ps;
            size_t n = json_object_size(v), k = 0;
            prop_t *props = ermes__calloc(n ? n : 1, sizeof(*props));
            if (!props)
                return ERMES_ENOMEM;
            ND->props = props;
            ND->nprops = n;
            json_object_foreach(v, pname, ps)
            {
                int child;
                if ((rc = compile(c, doc, ps, &child)))
                    return rc;
                ND->props[k].name = pname;
                ND->props[k].node = child;
                k++;
            }
            if (s->strict)
                ND->closed = 1;
        } else if (!strcmp(key, "additionalProperties")) {
            if (!json_is_false(v))
                return fail(c, key, "only false is understood");
            ND->closed = 1;
        } else if (!strcmp(key, "required")) {
            size_t i;
            json_t *r;
            ND->required = ermes__calloc(json_array_size(v) + 1, sizeof(char *));
            if (!ND->required)
                return ERMES_ENOMEM;
            json_array_foreach(v, i, r)
            {
                if (!json_is_string(r))
                    return fail(c, key, "not an array of names");
                ND->required[ND->nrequired++] = json_string_value(r);
            }
        } else if (!strcmp(key, "items")) {
            int child;
            if ((rc = compile(c, doc, v, &child)))
                return rc;
            ND->items = child;
        } else if (!strcmp(key, "minItems")) {
            if ((rc = get_count(c, v, key, &ND->min_items)))
                return rc;
        } else if (!strcmp(key, "maxItems")) {
            if ((rc = get_count(c, v, key, &ND->max_items)))
                return rc;
        } else if (!strcmp(key, "minLength")) {
            if ((rc = get_count(c, v, key, &ND->min_length)))
                return rc;
        } else if (!strcmp(key, "maxLength")) {
            if ((rc = get_count(c, v, key, &ND->max_length)))
                return rc;
        } else if (!strcmp(key, "minProperties")) {
            if ((rc = get_count(c, v, key, &ND->min_props)))
                return rc;
        } else if (!strcmp(key, "maxProperties")) {
            if ((rc = get_count(c, v, key, &ND->max_props)))
                return rc;
        } else if (!strcmp(key, "uniqueItems")) {
            ND->unique_items = json_is_true(v);
        } else if (!strcmp(key, "pattern")) {
            int err;
            PCRE2_SIZE off;
            if (!json_is_string(v))
                return fail(c, key, "not a string");
            /* ECMA-262 semantics as ajv applies them with the "u" flag: UTF-8 code points. */
            ND->pattern = pcre2_compile((PCRE2_SPTR)json_string_value(v), PCRE2_ZERO_TERMINATED,
                                        PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_BSUX, &err, &off, NULL);
            if (!ND->pattern)
                return fail(c, key, "does not compile");
            pcre2_jit_compile(ND->pattern, PCRE2_JIT_COMPLETE);
            ND->pattern_src = json_string_value(v);
            ND->shape = pattern_shape(ND->pattern_src);
            ND->memo = ND->shape == P_PCRE2 && s->npatterns < PATTERN_MEMO ? s->npatterns++ : -1;
        } else if (!strcmp(key, "enum")) {
            if (!json_is_array(v))
                return fail(c, key, "not an array");
            ND->enum_values = v;
        } else if (!strcmp(key, "const")) {
            ND->const_value = v;
        } else if (!strcmp(key, "format")) {
            const char *f = json_string_value(v);
            if (f && !strcmp(f, "date-time"))
                ND->format = F_DATE_TIME;
            else if (f && !strcmp(f, "uri"))
                ND->format = F_URI;
            else
                return fail(c, key, "only date-time and uri are understood");
        } else if (!strcmp(key, "minimum")) {
            if (!json_is_number(v))
                return fail(c, key, "not a number");
            ND->has_min = 1;
            ND->minimum = json_number_value(v);
        } else if (!strcmp(key, "maximum")) {
            if (!json_is_number(v))
                return fail(c, key, "not a number");
            ND->has_max = 1;
            ND->maximum = json_number_value(v);
        } else if (!strcmp(key, "oneOf") || !strcmp(key, "anyOf") || !strcmp(key, "allOf")) {
            int *list = NULL;
            size_t n = 0;
            if ((rc = compile_list(c, doc, v, key, &list, &n))) {
                ermes__free(list);
                return rc;
            }
            if (key[0] == 'o')
                ND->one_of = list, ND->n_one_of = n;
            else if (key[1] == 'n')
                ND->any_of = list, ND->n_any_of = n;
            else
                ND->all_of = list, ND->n_all_of = n;
        } else if (!strcmp(key, "$ref")) {
            json_t *ref_doc = NULL, *target;
            int child;
            if (!json_is_string(v))
                return fail(c, key, "not a string");
            target = resolve(c, doc, json_string_value(v), &ref_doc);
            if (!target) {
                ermes_diag_set(c->d, key, "$ref \"%s\" does not resolve", json_string_value(v));
                return ERMES_EINVAL;
            }
            if ((rc = compile(c, ref_doc, target, &child)))
                return rc;
            ND->ref = child;
        } else {
            return fail(c, key, "not understood by this validator");
        }
#undef ND
    }
    return 0;
}

/* Builds the table of the property names the schema lists or requires, and gives each
 * property and required name its id: the walk then finds a member's schema, or a required
 * member, by comparing integers. */
static int intern(ermes__jschema_t *s)
{
    size_t n = 0, k = 0;
    const char **names;
    int rc;

    for (size_t i = 0; i < s->n; i++)
        n += s->nodes[i].nprops + s->nodes[i].nrequired;
    if (!(names = ermes__calloc(n ? n : 1, sizeof(*names))))
        return ERMES_ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < s->nodes[i].nprops; j++)
            names[k++] = s->nodes[i].props[j].name;
        for (size_t j = 0; j < s->nodes[i].nrequired; j++)
            names[k++] = s->nodes[i].required[j];
    }
    rc = ermes__csaf_keys_new(names, n, &s->keys);
    ermes__free(names);
    if (rc)
        return rc;
    for (size_t i = 0; i < s->n; i++) {
        node_t *nd = &s->nodes[i];
        for (size_t j = 0; j < nd->nprops; j++)
            nd->props[j].id =
                ermes__csaf_keys_find(s->keys, nd->props[j].name, strlen(nd->props[j].name));
        if (nd->nrequired && !(nd->required_id = ermes__calloc(nd->nrequired, sizeof(uint32_t))))
            return ERMES_ENOMEM;
        for (size_t j = 0; j < nd->nrequired; j++)
            nd->required_id[j] =
                ermes__csaf_keys_find(s->keys, nd->required[j], strlen(nd->required[j]));
    }
    return 0;
}

int ermes__jschema_compile(json_t *root, json_t *const *refs, const char *const *ref_names,
                           size_t n, int strict, ermes__jschema_t **out, ermes_diag_t *d)
{
    ermes__jschema_t *s = ermes__calloc(1, sizeof(*s));
    compiler_t c = {s, d};
    int rc = ERMES_ENOMEM;

    if (!s)
        return ERMES_ENOMEM;
    s->strict = strict;
    s->root = json_incref(root);
    s->docs = ermes__calloc(n + 1, sizeof(*s->docs));
    s->doc_names = ermes__calloc(n + 1, sizeof(*s->doc_names));
    if (!s->docs || !s->doc_names)
        goto out;
    s->docs[0] = root;
    for (size_t i = 0; i < n; i++) {
        s->docs[i + 1] = json_incref(refs[i]);
        s->doc_names[i + 1] = ref_names[i];
    }
    s->ndocs = n + 1;
    if ((rc = compile(&c, root, root, &s->top)) || (rc = intern(s)))
        goto out;
    *out = s;
    return 0;
out:
    ermes__jschema_free(s);
    return rc;
}

void ermes__jschema_free(ermes__jschema_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        node_t *nd = &s->nodes[i];
        ermes__free(nd->props);
        ermes__free(nd->required);
        ermes__free(nd->required_id);
        pcre2_code_free(nd->pattern);
        ermes__free(nd->one_of);
        ermes__free(nd->any_of);
        ermes__free(nd->all_of);
    }
    ermes__free(s->nodes);
    for (size_t i = 1; i < s->ndocs; i++)
        json_decref(s->docs[i]);
    json_decref(s->root);
    ermes__free(s->docs);
    ermes__free(s->doc_names);
    ermes__csaf_keys_free(s->keys);
    ermes__free(s);
}

const ermes__csaf_keys_t *ermes__jschema_keys(const ermes__jschema_t *s)
{
    return s->keys;
}

/* ---- validation ---- */

typedef struct vctx {
    const ermes__jschema_t *s;
    ermes__jschema_error_cb cb;
    void *ctx;
    size_t max, count;
    int silent; /* inside oneOf/anyOf: count, do not report */
    int rc;
    char path[4096];
    size_t plen;
    /* The walk's place: one segment per level (see push). */
#define PATH_SEGMENTS 4096
    struct {
        const char *key; /* NULL: an array index */
        size_t index;
    } seg[PATH_SEGMENTS];
    size_t depth;
    pcre2_match_data *md;
    /* The last text each memo slot's pattern was checked against (borrowed from the
     * document, which outlives the walk) and whether it matched: a document repeats its CVSS
     * vectors, CWE ids and versions. */
    struct {
        const char *s;
        size_t len;
        int match;
    } memo[PATTERN_MEMO];
    /* uniqueItems over an array of strings: their values and lengths (the check does not
     * recurse, so one scratch serves every level). */
#define UNIQUE_FAST 256
    const char *str[UNIQUE_FAST];
    size_t slen[UNIQUE_FAST];
} vctx_t;

static void write_path(vctx_t *v);
static void report(vctx_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(vctx_t *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    v->count++;
    if (v->silent || v->count > v->max || !v->cb)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    write_path(v);
    v->cb(v->ctx, v->path, msg);
}

/* Appends "/seg" (JSON pointer escaped) to the path. */
static void append(vctx_t *v, const char *seg)
{
    char *p = v->path + v->plen;
    size_t room = sizeof(v->path) - v->plen;

    if (room < 2)
        return;
    *p++ = '/';
    room--;
    for (; *seg && room > 2; seg++) {
        if (*seg == '~' || *seg == '/') {
            *p++ = '~';
            *p++ = *seg == '~' ? '0' : '1';
            room -= 2;
        } else {
            *p++ = *seg;
            room--;
        }
    }
    *p = '\0';
    v->plen = (size_t)(p - v->path);
}

/* The path of the value being checked is written only when a failure is reported: the walk
 * keeps the segments (a key, or an array index) on a stack, and report() appends them one by
 * one as the walk used to at every step, so the text is the same, truncation included.
 * Segments past the stack's depth (deeper than any path could be written out) are counted,
 * not kept. */
static void push(vctx_t *v, const char *key)
{
    if (v->depth < PATH_SEGMENTS)
        v->seg[v->depth].key = key;
    v->depth++;
}

static void push_index(vctx_t *v, size_t i)
{
    if (v->depth < PATH_SEGMENTS) {
        v->seg[v->depth].key = NULL;
        v->seg[v->depth].index = i;
    }
    v->depth++;
}

static void pop(vctx_t *v)
{
    v->depth--;
}

/* Writes the path of the stack into v->path (array indexes in digits by hand). */
static void write_path(vctx_t *v)
{
    size_t n = v->depth < PATH_SEGMENTS ? v->depth : PATH_SEGMENTS;

    v->plen = 0;
    v->path[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (v->seg[k].key) {
            append(v, v->seg[k].key);
        } else {
            char digits[24], *p = digits + sizeof(digits) - 1;
            size_t i = v->seg[k].index;
            *p = '\0';
            do {
                *--p = (char)('0' + i % 10);
                i /= 10;
            } while (i);
            append(v, p);
        }
    }
}

static size_t utf8_length(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* RFC 3339 date-time, as ajv-formats checks it: a full date, T (or t or a space), a time
 * with seconds and an optional fraction, and a time zone (Z or +hh:mm). */
static int is_date_time(const char *s, size_t len)
{
    size_t i = 19;

    if (len < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2) ||
        s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return 0;
    int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    if (m < 1 || m > 12 || d < 1 || d > ermes__days_in_month(y, m))
        return 0;
    int hh = num(s + 11, 2), mm = num(s + 14, 2), ss = num(s + 17, 2);
    if (hh > 23 || mm > 59 || ss > 60)
        return 0;
    if (i < len && s[i] == '.') {
        size_t j = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == j)
            return 0;
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z'))
        return i + 1 == len;
    if (i + 6 == len && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
        digits(s + i + 4, 2))
        return num(s + i + 1, 2) <= 23 && num(s + i + 4, 2) <= 59;
    return 0;
}

/* An absolute URI (RFC 3986): a scheme, ":", then only characters a URI may hold, with
 * percent signs followed by two hex digits. */
static int is_uri(const char *s, size_t len)
{
    size_t i = 0;

    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    while (i < len && s[i] != ':') {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '-' || ch == '.'))
            return 0;
        i++;
    }
    if (i == len)
        return 0;
    for (i++; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '%') {
            if (i + 2 >= len || !strchr("0123456789abcdefABCDEF", s[i + 1]) ||
                !strchr("0123456789abcdefABCDEF", s[i + 2]) || !s[i + 1] || !s[i + 2])
                return 0;
            i += 2;
        } else if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '<' || ch == '>' || ch == '\\' ||
                   ch == '^' || ch == '`' || ch == '{' || ch == '|' || ch == '}') {
            /* The characters of "\"<>\\^`{|}" tested one by one: strchr per character of
             * every URI was 1% of a validation. */
            return 0;
        }
    }
    return 1;
}

typedef ermes__csaf_node_t inst_t;

static unsigned type_of(const inst_t *j)
{
    switch (j->type) {
    case ERMES__CSAF_NULL:
        return T_NULL;
    case ERMES__CSAF_TRUE:
    case ERMES__CSAF_FALSE:
        return T_BOOLEAN;
    case ERMES__CSAF_OBJECT:
        return T_OBJECT;
    case ERMES__CSAF_ARRAY:
        return T_ARRAY;
    case ERMES__CSAF_INTEGER:
        return T_INTEGER | T_NUMBER;
    case ERMES__CSAF_REAL: {
        /* 2.0 is an integer to JSON Schema. */
        double d = j->u.real;
        return d == (double)(long long)d ? T_INTEGER | T_NUMBER : T_NUMBER;
    }
    case ERMES__CSAF_STRING:
        return T_STRING;
    }
    return 0;
}

/* json_equal(a, b) for a schema's value a and an instance's b: an integer never equals a
 * real, strings by their bytes, objects whatever the order of their members. */
static int equal(const json_t *a, const inst_t *b)
{
    size_t i;
    const char *key;
    json_t *av;

    switch (json_typeof(a)) {
    case JSON_OBJECT:
        if (b->type != ERMES__CSAF_OBJECT || json_object_size(a) != b->n)
            return 0;
        json_object_foreach((json_t *)a, key, av)
        {
            const inst_t *bv = ermes__csaf_member(b, key);
            if (!bv || !equal(av, bv))
                return 0;
        }
        return 1;
    case JSON_ARRAY:
        if (b->type != ERMES__CSAF_ARRAY || json_array_size(a) != b->n)
            return 0;
        json_array_foreach((json_t *)a, i, av) if (!equal(av, &b->u.item[i])) return 0;
        return 1;
    case JSON_STRING:
        return b->type == ERMES__CSAF_STRING && json_string_length(a) == b->n &&
               memcmp(json_string_value(a), b->u.s, b->n) == 0;
    case JSON_INTEGER:
        return b->type == ERMES__CSAF_INTEGER && (int64_t)json_integer_value(a) == b->u.integer;
    case JSON_REAL:
        return b->type == ERMES__CSAF_REAL && json_real_value(a) == b->u.real;
    case JSON_TRUE:
        return b->type == ERMES__CSAF_TRUE;
    case JSON_FALSE:
        return b->type == ERMES__CSAF_FALSE;
    case JSON_NULL:
        return b->type == ERMES__CSAF_NULL;
    }
    return 0;
}

/* enum and const: numbers by their value (1 equals 1.0), anything else as json_equal. */
static int json_same(const json_t *a, const inst_t *b)
{
    if (json_is_number(a) && ermes__csaf_is_number(b))
        return json_number_value(a) == ermes__csaf_number(b);
    return equal(a, b);
}

/* uniqueItems between two items of the instance, by the same rules. */
static int same_items(const inst_t *a, const inst_t *b)
{
    if (ermes__csaf_is_number(a) && ermes__csaf_is_number(b))
        return ermes__csaf_number(a) == ermes__csaf_number(b);
    return ermes__csaf_equal(a, b);
}

/* 1 when the array's n items are all strings, their values and lengths then in str and
 * slen. */
static int strings_only(const inst_t *a, size_t n, const char **str, size_t *slen)
{
    for (size_t i = 0; i < n; i++) {
        const inst_t *e = &a->u.item[i];
        if (e->type != ERMES__CSAF_STRING)
            return 0;
        str[i] = e->u.s;
        slen[i] = e->n;
    }
    return 1;
}

/* 1 when s (len bytes) matches nd's pattern. */
static int pattern_matches(vctx_t *v, const node_t *nd, const char *s, size_t len)
{
    int m = -1;

    if (nd->shape == P_HEX32)
        return match_hex32(s, len);
    if (nd->shape == P_PURL && (m = match_purl(s, len)) >= 0)
        return m;
    if (nd->memo >= 0 && v->memo[nd->memo].s && v->memo[nd->memo].len == len &&
        memcmp(v->memo[nd->memo].s, s, len) == 0)
        return v->memo[nd->memo].match;
    m = pcre2_match(nd->pattern, (PCRE2_SPTR)s, len, 0, 0, v->md, NULL) >= 0;
    if (nd->memo >= 0) {
        v->memo[nd->memo].s = s;
        v->memo[nd->memo].len = len;
        v->memo[nd->memo].match = m;
    }
    return m;
}

static void validate(vctx_t *v, int idx, const inst_t *inst)
{
    const node_t *nd = &v->s->nodes[idx];
    unsigned t = type_of(inst);

    if (nd->ref >= 0)
        validate(v, nd->ref, inst);
    if (nd->types && !(nd->types & t)) {
        report(v, "must be of type %s",
               nd->types & T_OBJECT    ? "object"
               : nd->types & T_ARRAY   ? "array"
               : nd->types & T_STRING  ? "string"
               : nd->types & T_INTEGER ? "integer"
               : nd->types & T_NUMBER  ? "number"
                                       : "boolean");
        return;
    }
    if (nd->enum_values) {
        size_t i;
        json_t *e;
        int found = 0;
        if (t & T_STRING) {
            /* A string equals only a string of the same bytes (json_same without its calls
             * into jansson for each allowed value). */
            const char *s = inst->u.s;
            size_t len = inst->n;
            json_array_foreach(nd->enum_values, i, e) if (json_is_string(e) &&
                                                          json_string_length(e) == len &&
                                                          memcmp(json_string_value(e), s, len) == 0)
            {
                found = 1;
                break;
            }
        } else {
            json_array_foreach(nd->enum_values, i, e) found |= json_same(e, inst);
        }
        if (!found)
            report(v, "must be equal to one of the allowed values");
    }
    if (nd->const_value && !json_same(nd->const_value, inst))
        report(v, "must be equal to the constant");
    if (t & T_STRING) {
        const char *s = inst->u.s;
        size_t len = inst->n, chars = 0;
        /* Without a maxLength, characters are counted only when there are too few bytes
         * to be sure of minLength (a character is 4 bytes at most): every string of a CSAF
         * document has a minLength of 1, and counting all of a long text was 2% of a
         * validation, counting its first 4 bytes 1%. */
        if (nd->max_length >= 0)
            chars = utf8_length(s, len);
        else if (nd->min_length >= 0 && len >= (size_t)nd->min_length * 4)
            chars = (size_t)nd->min_length; /* 4 bytes a character at most: enough of them */
        else if (nd->min_length >= 0)
            chars = utf8_length(s, len);
        if (nd->min_length >= 0 && chars < (size_t)nd->min_length)
            report(v, "must not have fewer than %ld characters", nd->min_length);
        if (nd->max_length >= 0 && chars > (size_t)nd->max_length)
            report(v, "must not have more than %ld characters", nd->max_length);
        if (nd->pattern && !pattern_matches(v, nd, s, len))
            report(v, "must match pattern \"%.120s\"", nd->pattern_src);
        if (nd->format == F_DATE_TIME && !is_date_time(s, len))
            report(v, "must match format \"date-time\"");
        else if (nd->format == F_URI && !is_uri(s, len))
            report(v, "must match format \"uri\"");
    }
    if (t & T_NUMBER) {
        double d = ermes__csaf_number(inst);
        if (nd->has_min && d < nd->minimum)
            report(v, "must be >= %g", nd->minimum);
        if (nd->has_max && d > nd->maximum)
            report(v, "must be <= %g", nd->maximum);
    }
    if (t & T_ARRAY) {
        size_t n = inst->n;
        if (nd->min_items >= 0 && n < (size_t)nd->min_items)
            report(v, "must not have fewer than %ld items", nd->min_items);
        if (nd->max_items >= 0 && n > (size_t)nd->max_items)
            report(v, "must not have more than %ld items", nd->max_items);
        if (nd->unique_items && n <= UNIQUE_FAST && strings_only(inst, n, v->str, v->slen)) {
            /* The same pairs in the same order as below, over the strings' bytes: lists of
             * product ids are the long ones, and a call into jansson per pair was most of the
             * check. */
            for (size_t i = 1; i < n; i++)
                for (size_t j = 0; j < i; j++)
                    if (v->slen[i] == v->slen[j] && memcmp(v->str[i], v->str[j], v->slen[i]) == 0) {
                        report(v, "must not have duplicate items (items %zu and %zu are identical)",
                               j, i);
                        i = j = n;
                    }
        } else if (nd->unique_items) {
            /* Quadratic, but arrays in advisories are short and the document size is capped. */
            for (size_t i = 1; i < n; i++)
                for (size_t j = 0; j < i; j++)
                    if (same_items(&inst->u.item[i], &inst->u.item[j])) {
                        report(v, "must not have duplicate items (items %zu and %zu are identical)",
                               j, i);
                        i = j = n;
                    }
        }
        if (nd->items >= 0)
            for (size_t i = 0; i < n; i++) {
                push_index(v, i);
                validate(v, nd->items, &inst->u.item[i]);
                pop(v);
            }
    }
    if (t & T_OBJECT) {
        size_t n = inst->n;
        if (nd->min_props >= 0 && n < (size_t)nd->min_props)
            report(v, "must not have fewer than %ld properties", nd->min_props);
        if (nd->max_props >= 0 && n > (size_t)nd->max_props)
            report(v, "must not have more than %ld properties", nd->max_props);
        /* Keys compared as integers: the document was read with the schema's table, in
         * which every name a schema lists or requires has an id (a key without one is no
         * property of any schema). */
        for (size_t i = 0; i < nd->nrequired; i++)
            if (!ermes__csaf_member_id(inst, nd->required_id[i]))
                report(v, "must have required property '%s'", nd->required[i]);
        for (size_t m = 0; m < n; m++) {
            const ermes__csaf_member_t *mb = &inst->u.member[m];
            int found = -1;
            for (size_t i = 0; mb->id && i < nd->nprops; i++)
                if (nd->props[i].id == mb->id) {
                    found = nd->props[i].node;
                    break;
                }
            if (found >= 0) {
                push(v, mb->key);
                validate(v, found, &mb->value);
                pop(v);
            } else if (nd->closed) {
                push(v, mb->key);
                report(v, "must NOT have additional properties");
                pop(v);
            }
        }
    }
    for (size_t i = 0; i < nd->n_all_of; i++)
        validate(v, nd->all_of[i], inst);
    if (nd->n_one_of || nd->n_any_of) {
        int silent = v->silent;
        size_t before = v->count, matched = 0;
        const int *list = nd->n_one_of ? nd->one_of : nd->any_of;
        size_t n = nd->n_one_of ? nd->n_one_of : nd->n_any_of;
        v->silent = 1;
        for (size_t i = 0; i < n; i++) {
            size_t c0 = v->count;
            validate(v, list[i], inst);
            matched += v->count == c0;
        }
        v->silent = silent;
        v->count = before;
        if (nd->n_one_of && matched != 1)
            report(v, "must match exactly one schema in oneOf (matches %zu)", matched);
        else if (nd->n_any_of && matched == 0)
            report(v, "must match a schema in anyOf");
    }
}

int ermes__jschema_validate_doc(const ermes__jschema_t *s, const ermes__csaf_doc_t *doc,
                                ermes__jschema_error_cb error_cb, void *ctx, size_t max_errors)
{
    /* Not calloc: the context is 70 KiB of path stacks and scratch, and clearing it was 3% of
     * a validation; every field read before it is written is set here. */
    vctx_t *v;
    int count;

    if (doc->keys != s->keys)
        return ERMES_EINVAL;
    if (!(v = ermes__malloc(sizeof(*v))))
        return ERMES_ENOMEM;
    v->count = 0;
    v->silent = 0;
    v->rc = 0;
    v->plen = 0;
    v->path[0] = '\0';
    v->depth = 0;
    for (int i = 0; i < PATTERN_MEMO; i++)
        v->memo[i].s = NULL;
    v->s = s;
    v->cb = error_cb;
    v->ctx = ctx;
    v->max = max_errors;
    v->md = pcre2_match_data_create(1, NULL);
    if (!v->md) {
        ermes__free(v);
        return ERMES_ENOMEM;
    }
    validate(v, s->top, &doc->root);
    count = v->count > 0x7fffffff ? 0x7fffffff : (int)v->count;
    pcre2_match_data_free(v->md);
    ermes__free(v);
    return count;
}

int ermes__jschema_validate(const ermes__jschema_t *s, const json_t *instance,
                            ermes__jschema_error_cb error_cb, void *ctx, size_t max_errors)
{
    ermes__csaf_doc_t doc;
    int rc;

    /* jansson's values (provider metadata, ROLIE feeds, the tests) are copied into the
     * representation the walk reads; jansson's own reader bounds their depth. */
    ermes__csaf_doc_init(&doc);
    rc = ermes__csaf_doc_from_json(&doc, s->keys, instance, INT32_MAX);
    if (rc == 0)
        rc = ermes__jschema_validate_doc(s, &doc, error_cb, ctx, max_errors);
    ermes__csaf_doc_cleanup(&doc);
    return rc;
}
