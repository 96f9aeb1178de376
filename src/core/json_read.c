/* A fast JSON reader into jansson values (see json_read.h). One pass over the buffer: strings
 * without escapes go to jansson straight from the input, escaped ones are decoded into one
 * scratch buffer reused for the whole document. The grammar is RFC 8259's, restricted to what
 * jansson accepts: strict UTF-8 (no overlong forms, no encoded surrogates, nothing past
 * U+10FFFF), no control characters in strings, no \u0000, surrogate escapes only in pairs,
 * no duplicate keys (after decoding), integers within int64, reals that do not overflow. */
#include "core/json_read.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json_scan.h"
#include "ermes/error.h"

typedef struct reader {
    ermes__json_scan_t s;
    int depth, max_depth;
} reader_t;

/* A number as jansson types it: an integer (json_int_t) or a real. */
static json_t *read_number(reader_t *r)
{
    int real;
    int64_t i;
    double d;

    if (ermes__json_read_number(&r->s, &real, &i, &d))
        return NULL;
    return real ? json_real(d) : json_integer((json_int_t)i);
}

static json_t *read_value(reader_t *r);

static json_t *read_object(reader_t *r)
{
    json_t *o = json_object();
    const char *k;
    size_t kn;

    if (!o) {
        r->s.rc = ERMES_ENOMEM;
        return NULL;
    }
    r->s.p++;
    ermes__json_skip_ws(&r->s);
    if (r->s.p < r->s.end && *r->s.p == '}') {
        r->s.p++;
        return o;
    }
    for (;;) {
        ermes__json_skip_ws(&r->s);
        if (r->s.p >= r->s.end || *r->s.p != '"' || ermes__json_read_string(&r->s, &k, &kn))
            goto fail;
        /* The key may sit in the scratch buffer, which the value's strings reuse: keep a
         * copy when it does. */
        char small[128], *key = (char *)k;
        int owned = 0;
        if (k == r->s.buf) {
            if (kn < sizeof(small)) {
                key = small;
            } else if (!(key = ermes__malloc(kn + 1))) {
                r->s.rc = ERMES_ENOMEM;
                goto fail;
            } else {
                owned = 1;
            }
            memcpy(key, k, kn);
        }
        ermes__json_skip_ws(&r->s);
        json_t *v = NULL;
        if (r->s.p < r->s.end && *r->s.p == ':') {
            r->s.p++;
            ermes__json_skip_ws(&r->s);
            v = read_value(r);
        }
        size_t before = json_object_size(o);
        /* A duplicate key replaces the value and leaves the size: refused, as jansson with
         * JSON_REJECT_DUPLICATES. */
        int bad =
            !v || json_object_setn_new_nocheck(o, key, kn, v) || json_object_size(o) == before;
        if (owned)
            ermes__free(key);
        if (bad)
            goto fail;
        ermes__json_skip_ws(&r->s);
        if (r->s.p >= r->s.end)
            goto fail;
        if (*r->s.p == '}') {
            r->s.p++;
            return o;
        }
        if (*r->s.p != ',')
            goto fail;
        r->s.p++;
    }
fail:
    json_decref(o);
    return NULL;
}

static json_t *read_array(reader_t *r)
{
    json_t *a = json_array();

    if (!a) {
        r->s.rc = ERMES_ENOMEM;
        return NULL;
    }
    r->s.p++;
    ermes__json_skip_ws(&r->s);
    if (r->s.p < r->s.end && *r->s.p == ']') {
        r->s.p++;
        return a;
    }
    for (;;) {
        ermes__json_skip_ws(&r->s);
        json_t *v = read_value(r);
        if (!v || json_array_append_new(a, v))
            goto fail;
        ermes__json_skip_ws(&r->s);
        if (r->s.p >= r->s.end)
            goto fail;
        if (*r->s.p == ']') {
            r->s.p++;
            return a;
        }
        if (*r->s.p != ',')
            goto fail;
        r->s.p++;
    }
fail:
    json_decref(a);
    return NULL;
}

static json_t *read_value(reader_t *r)
{
    json_t *v;
    const char *s;
    size_t n;

    if (r->s.p >= r->s.end)
        return NULL;
    switch (*r->s.p) {
    case '{':
    case '[':
        if (++r->depth > r->max_depth)
            return NULL;
        v = *r->s.p == '{' ? read_object(r) : read_array(r);
        r->depth--;
        return v;
    case '"':
        if (ermes__json_read_string(&r->s, &s, &n))
            return NULL;
        return json_stringn_nocheck(s, n);
    case 't':
        return ermes__json_literal(&r->s, "true", 4) ? json_true() : NULL;
    case 'f':
        return ermes__json_literal(&r->s, "false", 5) ? json_false() : NULL;
    case 'n':
        return ermes__json_literal(&r->s, "null", 4) ? json_null() : NULL;
    default:
        return read_number(r);
    }
}

int ermes__json_read(const char *text, size_t len, int max_depth, json_t **out)
{
    reader_t r = {.s = {.p = (const unsigned char *)text, .end = (const unsigned char *)text + len},
                  .max_depth = max_depth};
    json_t *v = NULL;

    *out = NULL;
    ermes__json_skip_ws(&r.s);
    if (r.s.p < r.s.end && (*r.s.p == '{' || *r.s.p == '['))
        v = read_value(&r);
    ermes__json_skip_ws(&r.s);
    ermes__free(r.s.buf);
    if (v && r.s.p == r.s.end) {
        *out = v;
        return 0;
    }
    json_decref(v);
    return r.s.rc ? r.s.rc : ERMES_EPARSE;
}
