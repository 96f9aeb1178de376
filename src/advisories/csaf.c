/* CSAF 2.0 validation: reading the document, the schema (jsonschema.c), the tests
 * (csaf_tests.c), the result. The compiled schema and the CWE list are built once and shared,
 * read-only, by every thread. */
#include "advisories/csaf_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/jsonschema.h"
#include "core/alloc.h"
#include "core/json_read.h"
#include "core/strbuf.h"
#include "core/text.h"

extern const unsigned char ermes__csaf_schema[], ermes__cvss_v20_schema[], ermes__cvss_v30_schema[],
    ermes__cvss_v31_schema[], ermes__cwe_names[];
extern const size_t ermes__csaf_schema_len, ermes__cvss_v20_schema_len, ermes__cvss_v30_schema_len,
    ermes__cvss_v31_schema_len, ermes__cwe_names_len;

/* The document being validated, one per thread (the daemon validates in several HTTP
 * workers at once): its arena and the reader's stacks are kept from one document to the next,
 * so a thread validating many documents allocates almost nothing after the first. A thread
 * that ends (an HTTP worker at shutdown) frees it through the key's destructor. */
static _Thread_local ermes__csaf_doc_t thread_doc;
static _Thread_local int thread_doc_ready;
static pthread_key_t doc_key;

static void doc_free_cb(void *arg)
{
    ermes__csaf_doc_cleanup(arg);
}

static ermes__csaf_doc_t *doc_of_thread(void)
{
    if (!thread_doc_ready) {
        ermes__csaf_doc_init(&thread_doc);
        pthread_setspecific(doc_key, &thread_doc);
        thread_doc_ready = 1;
    }
    return &thread_doc;
}

static ermes__jschema_t *schema;
static json_t *cwe_names; /* {"CWE-79": "Improper Neutralization ..."} */
static int init_rc = ERMES_EINTERNAL;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* The built-in schemas and lists go through the fast reader too (a fifth of the start-up of
 * `ermes csaf validate`); jansson reads them should it ever decline one. */
static json_t *load(const unsigned char *data, size_t len)
{
    json_t *j;

    if (ermes__json_read((const char *)data, len, 256, &j) == 0)
        return j;
    return json_loadb((const char *)data, len, 0, NULL);
}

static void init(void)
{
    json_t *root = load(ermes__csaf_schema, ermes__csaf_schema_len);
    json_t *refs[3] = {load(ermes__cvss_v20_schema, ermes__cvss_v20_schema_len),
                       load(ermes__cvss_v30_schema, ermes__cvss_v30_schema_len),
                       load(ermes__cvss_v31_schema, ermes__cvss_v31_schema_len)};
    /* The CSAF schema names them by these URIs (without the "?date" of their $id). */
    static const char *const names[3] = {"https://www.first.org/cvss/cvss-v2.0.json",
                                         "https://www.first.org/cvss/cvss-v3.0.json",
                                         "https://www.first.org/cvss/cvss-v3.1.json"};
    json_t *list = load(ermes__cwe_names, ermes__cwe_names_len), *pair;
    ermes_diag_t d;
    size_t i;

    ermes_diag_clear(&d);
    ermes__lang_init();
    if (pthread_key_create(&doc_key, doc_free_cb))
        init_rc = ERMES_ENOMEM;
    else if (root && refs[0] && refs[1] && refs[2] && list)
        init_rc = ermes__jschema_compile(root, refs, names, 3, 1, &schema, &d);
    cwe_names = json_object();
    json_array_foreach(list, i, pair) json_object_set(
        cwe_names, json_string_value(json_array_get(pair, 0)), json_array_get(pair, 1));
    if (!cwe_names)
        init_rc = ERMES_ENOMEM;
    json_decref(root);
    for (int k = 0; k < 3; k++)
        json_decref(refs[k]);
    json_decref(list);
}

int ermes_csaf_init(void)
{
    pthread_once(&init_once, init);
    return init_rc;
}

const char *ermes__csaf_cwe_name(const char *id)
{
    return json_string_value(json_object_get(cwe_names, id));
}

static size_t put_text(char *dst, size_t cap, size_t n, const char *s, size_t len)
{
    size_t room = n + 1 < cap ? cap - 1 - n : 0;

    if (len > room)
        len = room;
    memcpy(dst + n, s, len);
    return n + len;
}

void ermes__csaf_pathf(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t n = 0;

    if (!cap)
        return;
    /* Formats other than %s and %zu go to vsnprintf (none of the tests' paths has one). */
    for (const char *f = strchr(fmt, '%'); f; f = strchr(f + 1, '%'))
        if (!(f[1] == 's' || (f[1] == 'z' && f[2] == 'u'))) {
            va_start(ap, fmt);
            vsnprintf(dst, cap, fmt, ap);
            va_end(ap);
            return;
        } else if (f[1] == 'z') {
            f++;
        }
    va_start(ap, fmt);
    for (const char *f = fmt; *f;) {
        const char *pct = strchr(f, '%');
        size_t lit = pct ? (size_t)(pct - f) : strlen(f);
        n = put_text(dst, cap, n, f, lit);
        if (!pct)
            break;
        if (pct[1] == 's') {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)"; /* as glibc's snprintf writes it */
            n = put_text(dst, cap, n, s, strlen(s));
            f = pct + 2;
        } else {
            char digits[24], *end = digits + sizeof(digits), *d = end;
            size_t i = va_arg(ap, size_t);
            do {
                *--d = (char)('0' + i % 10);
                i /= 10;
            } while (i);
            n = put_text(dst, cap, n, d, (size_t)(end - d));
            f = pct + 3;
        }
    }
    va_end(ap);
    dst[n] = '\0';
}

static size_t at_put(char *dst, size_t cap, size_t n, const ermes__csaf_at_t *at)
{
    if (at->up)
        n = at_put(dst, cap, n, at->up);
    if (at->indexed) {
        char digits[24], *end = digits + sizeof(digits), *d = end;
        size_t i = at->index;
        do {
            *--d = (char)('0' + i % 10);
            i /= 10;
        } while (i);
        *--d = '/';
        n = put_text(dst, cap, n, d, (size_t)(end - d));
    }
    if (at->text)
        n = put_text(dst, cap, n, at->text, strlen(at->text));
    if (at->text2)
        n = put_text(dst, cap, n, at->text2, strlen(at->text2));
    return n;
}

const char *ermes__csaf_at_write(char *dst, size_t cap, const ermes__csaf_at_t *at)
{
    if (cap)
        dst[at_put(dst, cap, 0, at)] = '\0';
    return dst;
}

/* Cuts a UTF-8 sequence that a truncating snprintf left incomplete at the end of s, so the
 * text stays valid UTF-8 for the JSON output. */
static void utf8_trim(char *s)
{
    size_t n = strlen(s), start = n, need;

    while (start > 0 && n - start < 4 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0)
        return;
    unsigned char lead = (unsigned char)s[start - 1];
    if (lead < 0x80)
        return;
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (start - 1) < need)
        s[start - 1] = '\0';
}

static void add_failure(ermes__csaf_ctx_t *c, const char *test, const char *group, const char *path,
                        const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void add_failure(ermes__csaf_ctx_t *c, const char *test, const char *group, const char *path,
                        const char *fmt, va_list ap)
{
    ermes_csaf_result_t *r = c->r;
    char msg[512];

    r->count++;
    if (r->listed >= ERMES_CSAF_MAX_FAILURES)
        return;
    if (r->listed % 16 == 0) {
        ermes_csaf_failure_t *f =
            ermes__reallocarray(r->failed, r->listed + 16, sizeof(*r->failed));
        if (!f) {
            c->rc = ERMES_ENOMEM;
            return;
        }
        r->failed = f;
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    utf8_trim(msg);
    ermes_csaf_failure_t *f = &r->failed[r->listed];
    snprintf(f->test, sizeof(f->test), "%s", test);
    f->group = group;
    f->path = ermes__strdup(path);
    if (f->path)
        utf8_trim(f->path);
    f->message = ermes__strdup(msg);
    if (!f->path || !f->message) {
        ermes__free(f->path);
        ermes__free(f->message);
        c->rc = ERMES_ENOMEM;
        return;
    }
    r->listed++;
}

void ermes__csaf_fail(ermes__csaf_ctx_t *c, const char *test, const char *path, const char *fmt,
                      ...)
{
    va_list ap;

    c->r->valid = 0;
    va_start(ap, fmt);
    add_failure(c, test, "mandatory", path, fmt, ap);
    va_end(ap);
}

void ermes__csaf_warn(ermes__csaf_ctx_t *c, const char *test, const char *path, const char *fmt,
                      ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_failure(c, test, "optional", path, fmt, ap);
    va_end(ap);
}

void ermes__csaf_info(ermes__csaf_ctx_t *c, const char *test, const char *path, const char *fmt,
                      ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_failure(c, test, "informative", path, fmt, ap);
    va_end(ap);
}

/* Schema failures inside a CVSS object are test 6.1.8 (Invalid CVSS), the others "schema". */
static void schema_error_cb(void *ctx, const char *path, const char *message)
{
    ermes__csaf_ctx_t *c = ctx;
    const char *test = strstr(path, "/cvss_v2") || strstr(path, "/cvss_v3") ? "6.1.8" : "schema";

    ermes__csaf_fail(c, test, path, "%s", message);
}

/* The depth of the deepest array or object: refused past a limit before any recursion. */
static int too_deep(const char *json, size_t len, int limit)
{
    int depth = 0, in_string = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = json[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = 0;
        } else if (ch == '"') {
            in_string = 1;
        } else if (ch == '{' || ch == '[') {
            if (++depth > limit)
                return 1;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return 0;
}

int ermes_csaf_validate(const char *json, size_t len, ermes_csaf_result_t *out, ermes_diag_t *d)
{
    return ermes_csaf_validate_preset(json, len, ERMES_CSAF_FULL, out, d);
}

int ermes_csaf_preset_parse(const char *name, ermes_csaf_preset_t *out)
{
    static const char *const names[] = {"basic", "extended", "full"};

    for (int k = 0; name && k < 3; k++)
        if (strcmp(name, names[k]) == 0) {
            *out = (ermes_csaf_preset_t)k;
            return 0;
        }
    return ERMES_EINVAL;
}

int ermes_csaf_validate_preset(const char *json, size_t len, ermes_csaf_preset_t preset,
                               ermes_csaf_result_t *out, ermes_diag_t *d)
{
    ermes__csaf_ctx_t c;
    ermes__csaf_set_t referenced;
    ermes_csaf_result_t r;
    json_error_t jerr;
    ermes__csaf_doc_t *doc;
    const ermes__csaf_keys_t *keys;
    int rc;

    memset(&r, 0, sizeof(r));
    if (len > ERMES_CSAF_MAX_DOCUMENT) {
        ermes_diag_set(d, "document", "larger than %u bytes", ERMES_CSAF_MAX_DOCUMENT);
        return ERMES_ETOOBIG;
    }
    if ((rc = ermes_csaf_init()))
        return rc;
    /* The reader takes every well-formed document (csaf_doc.c, sharing json_read.c's
     * scanner); what it declines goes the old way, so a refusal reads exactly as before: too
     * deep, or jansson's message and position; what jansson then accepts is copied into the
     * same representation. */
    doc = doc_of_thread();
    keys = ermes__jschema_keys(schema);
    if ((rc = ermes__csaf_doc_read(doc, keys, json, len, 64)) == ERMES_ENOMEM)
        return rc;
    if (rc) {
        /* Real advisories nest branches a few levels deep; 64 leaves room and bounds the
         * recursion of the validator. */
        if (too_deep(json, len, 64)) {
            ermes_diag_set(d, "document", "nested deeper than 64 levels");
            return ERMES_EPARSE;
        }
        json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
            ermes_diag_set(d, "document", "not JSON: %s", jerr.text);
            if (d) {
                d->line = jerr.line;
                d->column = jerr.column;
            }
            return ERMES_EPARSE;
        }
        rc = ermes__csaf_doc_from_json(doc, keys, j, 64);
        json_decref(j);
        if (rc == ERMES_EINVAL) {
            ermes_diag_set(d, "document", "nested deeper than 64 levels");
            return ERMES_EPARSE;
        }
        if (rc)
            return rc;
    }
    c.doc = &doc->root;
    r.valid = 1;
    c.r = &r;
    c.rc = 0;
    ermes__csaf_set_init(&referenced, &c.rc);
    c.referenced = &referenced;
    rc = ermes__jschema_validate_doc(schema, doc, schema_error_cb, &c, ERMES_CSAF_MAX_FAILURES);
    if (rc < 0)
        c.rc = rc;
    ermes__csaf_mandatory_tests(&c);
    if (preset >= ERMES_CSAF_EXTENDED)
        ermes__csaf_optional_tests(&c);
    if (preset >= ERMES_CSAF_FULL)
        ermes__csaf_informative_tests(&c);
    /* The sets borrow the document's strings: released before the next document reuses
     * the arena. The arena is kept for the next document unless this one was large (a
     * 33 KiB advisory fits in the arena's first 256 KiB). */
    ermes__csaf_set_cleanup(&referenced);
    ermes__csaf_doc_trim(doc, (size_t)4 << 20);
    if (c.rc) {
        ermes_csaf_result_cleanup(&r);
        return c.rc;
    }
    *out = r;
    return 0;
}

void ermes_csaf_result_cleanup(ermes_csaf_result_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->listed; i++) {
        ermes__free(r->failed[i].path);
        ermes__free(r->failed[i].message);
    }
    ermes__free(r->failed);
    memset(r, 0, sizeof(*r));
}

/* 1 when s is well-formed UTF-8 as jansson's json_string checks it (shortest forms, no
 * surrogates, nothing past U+10FFFF). */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned c = *p, v;
        size_t n;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 2, v = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 3, v = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 4, v = c & 0x07;
        else
            return 0;
        for (size_t k = 1; k < n; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return 0;
            v = (v << 6) | (p[k] & 0x3F);
        }
        if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || (v >= 0xD800 && v <= 0xDFFF) ||
            v > 0x10FFFF)
            return 0;
        p += n;
    }
    return 1;
}

/* A JSON string as jansson's compact dump writes it: quote, backslash and the control
 * characters escaped (\b \f \n \r \t, the others as \u00XX in capitals), everything else,
 * "/" and non-ASCII included, as it is. */
static int put_json_string(ermes__strbuf_t *b, const char *s)
{
    const char *run = s;
    int rc = ermes__strbuf_addc(b, '"');

    for (; rc == 0 && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[6];
        size_t n;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        n = ermes__json_escape(ch, 1, esc);
        rc = ermes__strbuf_add(b, run, (size_t)(s - run));
        run = s + 1;
        if (rc == 0)
            rc = ermes__strbuf_add(b, esc, n);
    }
    if (rc == 0)
        rc = ermes__strbuf_add(b, run, (size_t)(s - run));
    return rc ? rc : ermes__strbuf_addc(b, '"');
}

/* Written by hand, byte for byte what building the object with jansson and dumping it
 * compactly gave (a twentieth of `ermes csaf validate`): a failure with a string that is not
 * UTF-8 is left out as json_pack left it out, and a file name that is not UTF-8 gives NULL. */
char *ermes_csaf_result_json(const ermes_csaf_result_t *r, const char *file)
{
    ermes__strbuf_t b;
    int rc = 0, first = 1;
    char num[24];

    if (file && !utf8_valid(file))
        return NULL;
    ermes__strbuf_init(&b, (size_t)1 << 30);
    if (file) {
        rc |= ermes__strbuf_adds(&b, "{\"file\":");
        rc |= put_json_string(&b, file);
        rc |= ermes__strbuf_adds(&b, r->valid ? ",\"valid\":true" : ",\"valid\":false");
    } else {
        rc |= ermes__strbuf_adds(&b, r->valid ? "{\"valid\":true" : "{\"valid\":false");
    }
    rc |= ermes__strbuf_adds(&b, ",\"failed\":[");
    for (size_t i = 0; i < r->listed && rc == 0; i++) {
        const ermes_csaf_failure_t *f = &r->failed[i];
        if (!f->group || !f->path || !f->message || !utf8_valid(f->test) || !utf8_valid(f->group) ||
            !utf8_valid(f->path) || !utf8_valid(f->message))
            continue;
        rc |= ermes__strbuf_adds(&b, first ? "{\"test\":" : ",{\"test\":");
        first = 0;
        rc |= put_json_string(&b, f->test);
        rc |= ermes__strbuf_adds(&b, ",\"group\":");
        rc |= put_json_string(&b, f->group);
        rc |= ermes__strbuf_adds(&b, ",\"path\":");
        rc |= put_json_string(&b, f->path);
        rc |= ermes__strbuf_adds(&b, ",\"message\":");
        rc |= put_json_string(&b, f->message);
        rc |= ermes__strbuf_addc(&b, '}');
    }
    rc |= ermes__strbuf_addc(&b, ']');
    if (r->count > r->listed) {
        snprintf(num, sizeof(num), "%zu", r->count - r->listed);
        rc |= ermes__strbuf_adds(&b, ",\"more_failures\":");
        rc |= ermes__strbuf_adds(&b, num);
    }
    rc |= ermes__strbuf_addc(&b, '}');
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return NULL;
    }
    return ermes__strbuf_take(&b, NULL);
}

/* ---- the tests' sets of strings (see csaf_int.h) ---- */

void ermes__csaf_set_init(ermes__csaf_set_t *s, int *rc)
{
    s->rc = rc;
    s->key = s->key_inline;
    s->hash = s->hash_inline;
    s->n = 0;
    s->cap = ERMES__CSAF_SET_INLINE;
    s->slot = s->slot_inline;
    s->nslot = 2 * ERMES__CSAF_SET_INLINE;
    memset(s->slot_inline, 0, sizeof(s->slot_inline));
    s->owned = NULL;
    s->nowned = s->owned_cap = 0;
}

void ermes__csaf_set_cleanup(ermes__csaf_set_t *s)
{
    if (!s)
        return;
    if (s->key != s->key_inline) {
        ermes__free((void *)s->key);
        ermes__free(s->hash);
    }
    if (s->slot != s->slot_inline)
        ermes__free(s->slot);
    for (size_t i = 0; i < s->nowned; i++)
        ermes__free(s->owned[i]);
    ermes__free(s->owned);
    ermes__csaf_set_init(s, s->rc);
}

/* FNV-1a: product ids are short, and a multiply per byte is cheaper than jansson's seeded
 * hash of the key plus its length. */
uint32_t ermes__csaf_set_hash(const char *k)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The slot holding k, or the free slot where it would go. */
static size_t set_find(const ermes__csaf_set_t *s, const char *k, uint32_t h)
{
    size_t mask = s->nslot - 1, i = h & mask;

    for (;;) {
        uint32_t m = s->slot[i];
        if (m == 0 || (s->hash[m - 1] == h && strcmp(s->key[m - 1], k) == 0))
            return i;
        i = (i + 1) & mask;
    }
}

int ermes__csaf_set_has(const ermes__csaf_set_t *s, const char *k)
{
    if (!k || s->n == 0)
        return 0;
    return s->slot[set_find(s, k, ermes__csaf_set_hash(k))] != 0;
}

int ermes__csaf_set_has_hashed(const ermes__csaf_set_t *s, const char *k, uint32_t h)
{
    if (!k || s->n == 0)
        return 0;
    return s->slot[set_find(s, k, h)] != 0;
}

/* Doubles the members' arrays and the index (kept at most half full). */
static int set_grow(ermes__csaf_set_t *s)
{
    size_t cap = s->cap * 2, nslot = s->nslot * 2;
    const char **key = ermes__reallocarray(NULL, cap, sizeof(*key));
    uint32_t *hash = ermes__reallocarray(NULL, cap, sizeof(*hash));
    uint32_t *slot = ermes__calloc(nslot, sizeof(*slot));

    if (!key || !hash || !slot || cap > UINT32_MAX) {
        ermes__free((void *)key);
        ermes__free(hash);
        ermes__free(slot);
        return ERMES_ENOMEM;
    }
    memcpy(key, s->key, s->n * sizeof(*key));
    memcpy(hash, s->hash, s->n * sizeof(*hash));
    if (s->key != s->key_inline) {
        ermes__free((void *)s->key);
        ermes__free(s->hash);
    }
    if (s->slot != s->slot_inline)
        ermes__free(s->slot);
    s->key = key;
    s->hash = hash;
    s->cap = cap;
    s->slot = slot;
    s->nslot = nslot;
    for (size_t m = 0; m < s->n; m++) {
        size_t i = hash[m] & (nslot - 1);
        while (slot[i])
            i = (i + 1) & (nslot - 1);
        slot[i] = (uint32_t)m + 1;
    }
    return 0;
}

int ermes__csaf_set_add(ermes__csaf_set_t *s, const char *k)
{
    return k ? ermes__csaf_set_add_hashed(s, k, ermes__csaf_set_hash(k)) : 0;
}

int ermes__csaf_set_add_hashed(ermes__csaf_set_t *s, const char *k, uint32_t h)
{
    size_t i;

    if (!k)
        return 0;
    i = set_find(s, k, h);
    if (s->slot[i])
        return 0;
    if (s->n == s->cap) {
        if (set_grow(s)) {
            *s->rc = ERMES_ENOMEM;
            return ERMES_ENOMEM;
        }
        i = set_find(s, k, h);
    }
    s->key[s->n] = k;
    s->hash[s->n] = h;
    s->slot[i] = (uint32_t)++s->n;
    return 1;
}

int ermes__csaf_set_add_copy(ermes__csaf_set_t *s, const char *k)
{
    char *copy;
    int rc;

    if (!k || !utf8_valid(k) || ermes__csaf_set_has(s, k))
        return 0;
    if (s->nowned == s->owned_cap) {
        size_t cap = s->owned_cap ? s->owned_cap * 2 : 8;
        char **o = ermes__reallocarray(s->owned, cap, sizeof(*o));
        if (!o) {
            *s->rc = ERMES_ENOMEM;
            return ERMES_ENOMEM;
        }
        s->owned = o;
        s->owned_cap = cap;
    }
    if (!(copy = ermes__strdup(k))) {
        *s->rc = ERMES_ENOMEM;
        return ERMES_ENOMEM;
    }
    if ((rc = ermes__csaf_set_add(s, copy)) != 1) {
        ermes__free(copy);
        return rc;
    }
    s->owned[s->nowned++] = copy;
    return 1;
}
