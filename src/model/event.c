/* Events: the field table, storage and IntelMQ's JSON form.
 *
 * An event keeps one (pointer, length) slot per harmonized field and a bit per field that is
 * set; the text lives in a chain of blocks the event owns and reuses. ermes_event_reset()
 * clears the bits and rewinds to the first block, so a warm event allocates nothing per row.
 * Extras sit in an array kept sorted by key, so that to_json can merge them with the
 * harmonized fields (whose names the header lists in byte order) without sorting. */
#include "ermes/event.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "model/harmonize.h"

/* ---- field metadata ------------------------------------------------------------------------- */

static const char *const field_names[ERMES_F_COUNT] = {
#define X(id, name, type) name,
    ERMES_EVENT_FIELDS(X)
#undef X
};

static const uint8_t field_name_lens[ERMES_F_COUNT] = {
#define X(id, name, type) sizeof(name) - 1,
    ERMES_EVENT_FIELDS(X)
#undef X
};

static const uint8_t field_types[ERMES_F_COUNT] = {
#define X(id, name, type) type,
    ERMES_EVENT_FIELDS(X)
#undef X
};

const char *ermes_field_name(ermes_field_t f)
{
    return (unsigned)f < ERMES_F_COUNT ? field_names[f] : NULL;
}

ermes_ftype_t ermes_field_type(ermes_field_t f)
{
    return (unsigned)f < ERMES_F_COUNT ? (ermes_ftype_t)field_types[f] : ERMES_FT_STRING;
}

/* Byte-order comparison of s[0..len) with field f's name. */
static int cmp_field(const char *s, size_t len, unsigned f)
{
    size_t fl = field_name_lens[f];
    int c = memcmp(s, field_names[f], len < fl ? len : fl);

    return c ? c : len < fl ? -1 : len > fl ? 1 : 0;
}

/* The header lists the fields in byte order of their names (test_event checks it), so a
 * binary search finds a name in at most 7 comparisons. */
ermes_field_t ermes_field_lookup(const char *name, size_t len)
{
    unsigned lo = 0, hi = ERMES_F_COUNT;

    if (!name)
        return ERMES_F_COUNT;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        int c = cmp_field(name, len, mid);
        if (c == 0)
            return (ermes_field_t)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return ERMES_F_COUNT;
}

/* ---- storage -------------------------------------------------------------------------------- */

#define BLOCK_SIZE 16384
#define KEEP_BLOCKS 4         /* standard blocks kept across resets */
#define EXTRA_KEY_MAX 255     /* bytes of an extra key without "extra." */
#define VALUE_MAX (64u << 20) /* one value; larger ones are ERMES_ETOOBIG */

typedef struct block {
    struct block *next;
    size_t size;
    size_t off;
    char mem[];
} block_t;

typedef struct slot {
    const char *p;
    size_t len;
} slot_t;

typedef struct extra {
    const char *key; /* without "extra." */
    size_t keylen;
    const char *value;
    size_t len;
    ermes_extra_type_t type;
} extra_t;

struct ermes_event {
    uint64_t set[(ERMES_F_COUNT + 63) / 64];
    slot_t slot[ERMES_F_COUNT];
    extra_t *extra;
    size_t nextra;
    size_t extra_cap;
    block_t *first; /* never freed before ermes_event_free */
    block_t *cur;
};

static block_t *block_new(size_t size)
{
    block_t *b;

    if (size > SIZE_MAX - sizeof(*b))
        return NULL;
    b = ermes__malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->off = 0;
    return b;
}

/* Room for need bytes in the current block, moving on to (or adding) a block when it is full.
 * The caller writes there and calls commit() with what it used. */
static char *room_slow(ermes_event_t *ev, size_t need)
{
    block_t *b = ev->cur, *nb;

    while (b->next) {
        b = b->next;
        b->off = 0;
        if (b->size >= need) {
            ev->cur = b;
            return b->mem;
        }
    }
    nb = block_new(need > BLOCK_SIZE ? need : BLOCK_SIZE);
    if (!nb)
        return NULL;
    b->next = nb;
    ev->cur = nb;
    return nb->mem;
}

static inline char *room(ermes_event_t *ev, size_t need)
{
    block_t *b = ev->cur;

    return b->size - b->off >= need ? b->mem + b->off : room_slow(ev, need);
}

static void commit(ermes_event_t *ev, size_t used)
{
    ev->cur->off += used;
}

/* A copy of s[0..len) with a NUL in the event's memory. */
static char *store(ermes_event_t *ev, const char *s, size_t len)
{
    char *p = room(ev, len + 1);

    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    commit(ev, len + 1);
    return p;
}

int ermes_event_new(ermes_event_t **out)
{
    ermes_event_t *ev = ermes__calloc(1, sizeof(*ev));

    if (!ev)
        return ERMES_ENOMEM;
    ev->first = block_new(BLOCK_SIZE);
    if (!ev->first) {
        ermes__free(ev);
        return ERMES_ENOMEM;
    }
    ev->cur = ev->first;
    *out = ev;
    return 0;
}

void ermes_event_free(ermes_event_t *ev)
{
    block_t *b, *next;

    if (!ev)
        return;
    for (b = ev->first; b; b = next) {
        next = b->next;
        ermes__free(b);
    }
    ermes__free(ev->extra);
    ermes__free(ev);
}

void ermes_event_reset(ermes_event_t *ev)
{
    block_t *b, *prev, *next;
    int kept = 1;

    if (!ev)
        return;
    memset(ev->set, 0, sizeof(ev->set));
    ev->nextra = 0;
    /* Keep a few standard blocks for the next event; give back one-off large ones so that a
     * single huge value does not pin its memory for the rest of the run. */
    prev = ev->first;
    for (b = ev->first->next; b; b = next) {
        next = b->next;
        if (b->size > BLOCK_SIZE || kept >= KEEP_BLOCKS) {
            prev->next = next;
            ermes__free(b);
        } else {
            kept++;
            prev = b;
        }
    }
    ev->first->off = 0;
    ev->cur = ev->first;
}

static int is_set(const ermes_event_t *ev, unsigned f)
{
    return (ev->set[f / 64] >> (f % 64)) & 1;
}

/* ---- setting values --------------------------------------------------------------------- */

static int blank(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\n' && s[k] != '\r' && s[k] != '\v' &&
            s[k] != '\f')
            return 0;
    return 1;
}

/* Copies s into dst (cap bytes), cut to fit. Returns the length copied. */
static size_t copy_cut(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return n;
}

/* Puts "<name>: " in front of d's reason and name in d->field. */
static void name_reason(ermes_diag_t *d, const char *name)
{
    char tmp[sizeof(d->reason)];
    size_t n;

    if (!d)
        return;
    n = copy_cut(tmp, sizeof(tmp), name);
    n += copy_cut(tmp + n, sizeof(tmp) - n, ": ");
    copy_cut(tmp + n, sizeof(tmp) - n, d->reason);
    memcpy(d->reason, tmp, sizeof(tmp));
    copy_cut(d->field, sizeof(d->field), name);
}

/* A JSON text, compact, into the event's memory. Its compact form can be longer than the
 * input (jansson spells 1e5 as 100000.0), so it is sized after the fact. */
static int json_into(ermes_event_t *ev, const char *value, size_t len, const char **out,
                     size_t *outlen, ermes_diag_t *d)
{
    char *text, *p, probe[1];
    size_t n;
    int rc;

    /* The checks all types share (NUL, UTF-8, empty) and their reasons come from
     * ermes_harmonize, which fails before it writes anything. */
    if (memchr(value, '\0', len) || !ermes__utf8_valid(value, len) || blank(value, len))
        return ermes_harmonize(ERMES_FT_JSON, value, len, probe, sizeof(probe), &n, d);
    rc = ermes__json_compact(value, len, &text, d);
    if (rc)
        return rc;
    n = strlen(text);
    p = n <= VALUE_MAX ? store(ev, text, n) : NULL;
    free(text);
    if (!p) {
        ermes_diag_set(d, NULL, "the compact JSON text does not fit");
        return n <= VALUE_MAX ? ERMES_ENOMEM : ERMES_ETOOBIG;
    }
    *out = p;
    *outlen = n;
    return 0;
}

/* Harmonizes value as type into the event's memory: *out and *outlen on success. */
static int harmonize_into(ermes_event_t *ev, ermes_ftype_t type, const char *value, size_t len,
                          const char **out, size_t *outlen, ermes_diag_t *d)
{
    size_t need, n;
    char *p;
    int rc;

    if (len > VALUE_MAX) {
        ermes_diag_set(d, NULL, "a value of %zu bytes is over the limit of %u", len, VALUE_MAX);
        return ERMES_ETOOBIG;
    }
    if (type == ERMES_FT_JSON)
        return json_into(ev, value, len, out, outlen, d);
    /* Sanitising grows a value by a few bytes at most ("http://", a time zone, ".0"). */
    need = len + 64;
    p = room(ev, need);
    if (!p)
        return ERMES_ENOMEM;
    rc = ermes_harmonize(type, value, len, p, need, &n, d);
    if (rc)
        return rc;
    commit(ev, n + 1);
    *out = p;
    *outlen = n;
    return 0;
}

int ermes_event_set(ermes_event_t *ev, ermes_field_t f, const char *value, size_t len,
                    ermes_diag_t *d)
{
    const char *p;
    size_t n;
    int rc;

    if ((unsigned)f >= ERMES_F_COUNT) {
        ermes_diag_set(d, NULL, "unknown field number %d", (int)f);
        return ERMES_EINVAL;
    }
    if (!value && len)
        return ERMES_EINVAL;
    if (blank(value, len))
        return 0;
    rc = harmonize_into(ev, (ermes_ftype_t)field_types[f], value, len, &p, &n, d);
    if (rc) {
        name_reason(d, field_names[f]);
        return rc;
    }
    ev->slot[f].p = p;
    ev->slot[f].len = n;
    ev->set[f / 64] |= (uint64_t)1 << (f % 64);
    return 0;
}

void ermes_event_unset(ermes_event_t *ev, ermes_field_t f)
{
    if ((unsigned)f < ERMES_F_COUNT)
        ev->set[f / 64] &= ~((uint64_t)1 << (f % 64));
}

/* Normalises an extra key into out (EXTRA_KEY_MAX + 1 bytes): lower case, characters other
 * than [a-z0-9_] to '_', an empty segment to "_". Returns the length, or 0 if unusable. */
static size_t extra_key(const char *key, size_t keylen, char *out)
{
    if (keylen == 0 || keylen > EXTRA_KEY_MAX)
        return 0;
    for (size_t k = 0; k < keylen; k++) {
        unsigned char c = (unsigned char)key[k];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (c == '.') {
            /* IntelMQ's key pattern has no empty segment: "a..b" becomes "a._b". */
            if (k == 0 || k == keylen - 1 || out[k - 1] == '.')
                c = '_';
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            c = '_';
        }
        out[k] = (char)c;
    }
    out[keylen] = '\0';
    return keylen;
}

static int cmp_key(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = 0;

    /* Keys are short: a loop beats a call to memcmp. */
    if (n <= 64) {
        for (size_t k = 0; k < n; k++)
            if (a[k] != b[k])
                return (unsigned char)a[k] < (unsigned char)b[k] ? -1 : 1;
    } else {
        c = memcmp(a, b, n);
    }

    return c ? c : alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Index of key in the sorted extras, or where it would go (*found = 0). */
static size_t extra_find(const ermes_event_t *ev, const char *key, size_t keylen, int *found)
{
    size_t lo = 0, hi = ev->nextra;

    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key(key, keylen, ev->extra[mid].key, ev->extra[mid].keylen);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static const char *extra_type_name(ermes_extra_type_t t)
{
    switch (t) {
    case ERMES_EXTRA_INTEGER:
        return "integer";
    case ERMES_EXTRA_FLOAT:
        return "float";
    case ERMES_EXTRA_BOOLEAN:
        return "boolean";
    case ERMES_EXTRA_JSON:
        return "JSON";
    default:
        return "string";
    }
}

/* Puts extra key (normalised, klen bytes) = v[0..n) (already in the event's memory), replacing
 * an extra of that key. */
static int extra_insert(ermes_event_t *ev, const char *kbuf, size_t klen, const char *v, size_t n,
                        ermes_extra_type_t type)
{
    const char *k;
    size_t at;
    int found;

    at = extra_find(ev, kbuf, klen, &found);
    if (found) {
        k = ev->extra[at].key;
    } else {
        if (ev->nextra == ev->extra_cap) {
            size_t cap = ev->extra_cap ? ev->extra_cap * 2 : 16;
            extra_t *x = ermes__reallocarray(ev->extra, cap, sizeof(*x));
            if (!x)
                return ERMES_ENOMEM;
            ev->extra = x;
            ev->extra_cap = cap;
        }
        if (!(k = store(ev, kbuf, klen)))
            return ERMES_ENOMEM;
        memmove(ev->extra + at + 1, ev->extra + at, (ev->nextra - at) * sizeof(extra_t));
        ev->nextra++;
    }
    ev->extra[at].key = k;
    ev->extra[at].keylen = klen;
    ev->extra[at].value = v;
    ev->extra[at].len = n;
    ev->extra[at].type = type;
    return 0;
}

size_t ermes__event_extra_key(const char *key, size_t keylen, char *out)
{
    return extra_key(key, keylen, out);
}

int ermes__event_put(ermes_event_t *ev, ermes_field_t f, const char *text, size_t len)
{
    const char *p;

    /* Bounds only: an unpacked document (event_pack.c) is not trusted past them. */
    if ((unsigned)f >= ERMES_F_COUNT || len > VALUE_MAX)
        return ERMES_EINVAL;
    if (len == 0) {
        ermes_event_unset(ev, f);
        return 0;
    }
    if (!(p = store(ev, text, len)))
        return ERMES_ENOMEM;
    ev->slot[f].p = p;
    ev->slot[f].len = len;
    ev->set[f / 64] |= (uint64_t)1 << (f % 64);
    return 0;
}

int ermes__event_put_extra(ermes_event_t *ev, const char *key, size_t klen, const char *value,
                           size_t len, ermes_extra_type_t type)
{
    const char *v;

    if (klen == 0 || klen > EXTRA_KEY_MAX || len > VALUE_MAX || (unsigned)type > ERMES_EXTRA_JSON)
        return ERMES_EINVAL;
    if (len == 0)
        return 0;
    if (!(v = store(ev, value, len)))
        return ERMES_ENOMEM;
    return extra_insert(ev, key, klen, v, len, type);
}

int ermes_event_set_extra(ermes_event_t *ev, const char *key, size_t keylen, const char *value,
                          size_t len, ermes_extra_type_t type, ermes_diag_t *d)
{
    char kbuf[EXTRA_KEY_MAX + 1], field[EXTRA_KEY_MAX + 32];
    const char *v;
    size_t n, klen;
    int rc;

    if (!key || !(klen = extra_key(key, keylen, kbuf))) {
        ermes_diag_set(d, "extra", "an extra key must be 1 to %d characters", EXTRA_KEY_MAX);
        return ERMES_EINVAL;
    }
    memcpy(field, "extra.", 6);
    memcpy(field + 6, kbuf, klen + 1);
    if (!value && len)
        return ERMES_EINVAL;
    if (len == 0)
        return 0;
    switch (type) {
    case ERMES_EXTRA_STRING:
        /* IntelMQ keeps extra strings as they are; only the encoding is checked. */
        if (len > VALUE_MAX) {
            ermes_diag_set(d, NULL, "a value of %zu bytes is over the limit", len);
            rc = ERMES_ETOOBIG;
            goto fail;
        }
        if (ermes__text_check(value, len)) {
            ermes_diag_set(d, NULL, "the value is not valid UTF-8 text");
            rc = ERMES_EINVAL;
            goto fail;
        }
        if (!(v = store(ev, value, len))) {
            rc = ERMES_ENOMEM;
            goto fail;
        }
        n = len;
        break;
    case ERMES_EXTRA_INTEGER:
    case ERMES_EXTRA_FLOAT:
    case ERMES_EXTRA_BOOLEAN:
    case ERMES_EXTRA_JSON: {
        static const ermes_ftype_t ft[] = {ERMES_FT_STRING, ERMES_FT_INTEGER, ERMES_FT_FLOAT,
                                           ERMES_FT_BOOLEAN, ERMES_FT_JSON};
        if (blank(value, len))
            return 0;
        rc = harmonize_into(ev, ft[type], value, len, &v, &n, d);
        if (rc)
            goto fail;
        break;
    }
    default:
        ermes_diag_set(d, NULL, "unknown extra type %d", (int)type);
        rc = ERMES_EINVAL;
        goto fail;
    }
    return extra_insert(ev, kbuf, klen, v, n, type);
fail:
    /* "extra.count (integer): \"x\" is not an integer ..." */
    n = 6 + klen;
    n += copy_cut(field + n, sizeof(field) - n, " (");
    n += copy_cut(field + n, sizeof(field) - n, extra_type_name(type));
    copy_cut(field + n, sizeof(field) - n, ")");
    name_reason(d, field);
    field[6 + klen] = '\0';
    if (d)
        copy_cut(d->field, sizeof(d->field), field);
    return rc;
}

int ermes_event_set_name(ermes_event_t *ev, const char *name, const char *value, size_t len,
                         ermes_diag_t *d)
{
    size_t nl = name ? strlen(name) : 0;
    ermes_field_t f;

    if (nl > 6 && memcmp(name, "extra.", 6) == 0)
        return ermes_event_set_extra(ev, name + 6, nl - 6, value, len, ERMES_EXTRA_STRING, d);
    f = ermes_field_lookup(name, nl);
    if (f == ERMES_F_COUNT) {
        ermes_diag_set(d, NULL, "unknown field \"%.64s\"", name ? name : "");
        if (d)
            copy_cut(d->field, sizeof(d->field), name ? name : "");
        return ERMES_EINVAL;
    }
    return ermes_event_set(ev, f, value, len, d);
}

/* ---- reading values --------------------------------------------------------------------- */

const char *ermes_event_get(const ermes_event_t *ev, ermes_field_t f, size_t *len)
{
    if ((unsigned)f >= ERMES_F_COUNT || !is_set(ev, f)) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = ev->slot[f].len;
    return ev->slot[f].p;
}

ermes_field_t ermes_event_next(const ermes_event_t *ev, unsigned f)
{
    while (f < ERMES_F_COUNT) {
        uint64_t w = ev->set[f / 64] >> (f % 64);
        if (w)
            return (ermes_field_t)(f + (unsigned)__builtin_ctzll(w));
        f = (f / 64 + 1) * 64;
    }
    return ERMES_F_COUNT;
}

int ermes_event_ip(const ermes_event_t *ev, ermes_field_t f, ermes_ip_t *out)
{
    size_t n;
    const char *s = ermes_event_get(ev, f, &n);

    if (!s)
        return ERMES_ENOTFOUND;
    if (field_types[f] != ERMES_FT_IP)
        return ERMES_EINVAL;
    return ermes_ip_parse(s, n, out, NULL) ? ERMES_EINVAL : 0;
}

int ermes_event_time_ms(const ermes_event_t *ev, ermes_field_t f, int64_t *out)
{
    size_t n;
    const char *s = ermes_event_get(ev, f, &n);
    int64_t us;

    if (!s)
        return ERMES_ENOTFOUND;
    if (field_types[f] != ERMES_FT_DATETIME)
        return ERMES_EINVAL;
    if (ermes__datetime_parse_us(s, n, &us, NULL))
        return ERMES_EINVAL;
    *out = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    return 0;
}

int ermes_event_asn(const ermes_event_t *ev, ermes_field_t f, uint32_t *out)
{
    size_t n;
    const char *s = ermes_event_get(ev, f, &n);
    uint64_t v = 0;

    if (!s)
        return ERMES_ENOTFOUND;
    if (field_types[f] != ERMES_FT_ASN)
        return ERMES_EINVAL;
    for (size_t k = 0; k < n; k++)
        v = v * 10 + (uint64_t)(s[k] - '0');
    *out = (uint32_t)v;
    return 0;
}

size_t ermes_event_extra_count(const ermes_event_t *ev)
{
    return ev->nextra;
}

void ermes_event_extra_at(const ermes_event_t *ev, size_t i, const char **key, const char **value,
                          size_t *len, ermes_extra_type_t *type)
{
    const extra_t *x;

    if (i >= ev->nextra) {
        if (key)
            *key = NULL;
        if (value)
            *value = NULL;
        if (len)
            *len = 0;
        return;
    }
    x = &ev->extra[i];
    if (key)
        *key = x->key;
    if (value)
        *value = x->value;
    if (len)
        *len = x->len;
    if (type)
        *type = x->type;
}

/* ---- JSON out ------------------------------------------------------------------------------- */

/* Output goes through a stack buffer so the strbuf is touched a few times per event, not a
 * few times per field. */
typedef struct writer {
    ermes__strbuf_t *out;
    int rc;
    size_t n;
    char buf[2048];
} writer_t;

static void flush(writer_t *w)
{
    if (w->n && !w->rc)
        w->rc = ermes__strbuf_add(w->out, w->buf, w->n);
    w->n = 0;
}

static void wr(writer_t *w, const char *s, size_t n)
{
    if (n > sizeof(w->buf) - w->n) {
        flush(w);
        if (n > sizeof(w->buf)) {
            if (!w->rc)
                w->rc = ermes__strbuf_add(w->out, s, n);
            return;
        }
    }
    memcpy(w->buf + w->n, s, n);
    w->n += n;
}

/* A JSON string: '"' and '\\' escaped, control characters as \b \f \n \r \t (as Python's
 * json module writes them) or \u00XX, UTF-8 passed through (validated on the way in). */
static void wr_string(writer_t *w, const char *s, size_t n)
{
    size_t run = 0;

    wr(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        wr(w, s + run, i - run);
        run = i + 1;
        wr(w, esc, ermes__json_escape(c, 0, esc));
    }
    wr(w, s + run, n - run);
    wr(w, "\"", 1);
}

/* Whether a field's value is written bare (a JSON number or boolean). */
static int bare_type(ermes_ftype_t t)
{
    return t == ERMES_FT_INTEGER || t == ERMES_FT_ASN || t == ERMES_FT_FLOAT ||
           t == ERMES_FT_ACCURACY || t == ERMES_FT_BOOLEAN;
}

static void wr_field(writer_t *w, const ermes_event_t *ev, unsigned f, int *first)
{
    wr(w, *first ? "\"" : ",\"", *first ? 1 : 2);
    *first = 0;
    wr(w, field_names[f], field_name_lens[f]);
    wr(w, "\":", 2);
    if (bare_type((ermes_ftype_t)field_types[f]))
        wr(w, ev->slot[f].p, ev->slot[f].len);
    else
        wr_string(w, ev->slot[f].p, ev->slot[f].len);
}

static void wr_extra(writer_t *w, const extra_t *x, int *first)
{
    wr(w, *first ? "\"extra." : ",\"extra.", *first ? 7 : 8);
    *first = 0;
    wr(w, x->key, x->keylen);
    wr(w, "\":", 2);
    if (x->type == ERMES_EXTRA_STRING)
        wr_string(w, x->value, x->len);
    else
        wr(w, x->value, x->len);
}

/* Byte order of field f's name against "extra." + key. */
static int field_before_extra(unsigned f, const extra_t *x)
{
    const char *name = field_names[f];
    size_t nl = field_name_lens[f];
    int c = memcmp(name, "extra.", nl < 6 ? nl : 6);

    if (c)
        return c < 0;
    if (nl <= 6)
        return nl < 6 || x->keylen > 0;
    return cmp_key(name + 6, nl - 6, x->key, x->keylen) < 0;
}

int ermes_event_to_json(const ermes_event_t *ev, struct ermes_strbuf *out)
{
    writer_t wbuf, *w = &wbuf;
    size_t start = out->len, xi = 0;
    int first = 1, rc;

    w->out = out;
    w->rc = 0;
    w->n = 0;
    wr(w, "{", 1);
    for (unsigned f = 0; f < ERMES_F_COUNT; f++) {
        if (!is_set(ev, f))
            continue;
        while (xi < ev->nextra && !field_before_extra(f, &ev->extra[xi]))
            wr_extra(w, &ev->extra[xi++], &first);
        wr_field(w, ev, f, &first);
    }
    while (xi < ev->nextra)
        wr_extra(w, &ev->extra[xi++], &first);
    wr(w, "}", 1);
    flush(w);
    rc = w->rc;
    if (rc && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

/* ---- JSON in -------------------------------------------------------------------------------- */

/* The text of a JSON scalar for a harmonized field or an extra; *len gets its length. Returns
 * NULL for a value that has no text form (object, array), buf otherwise or the string's own
 * memory. */
static const char *scalar_text(json_t *v, char *buf, size_t cap, size_t *len)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        *len = json_string_length(v);
        return json_string_value(v);
    case JSON_INTEGER:
        *len = (size_t)snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        *len = ermes__float_format(json_real_value(v), buf);
        return buf;
    case JSON_TRUE:
        *len = 4;
        return "true";
    case JSON_FALSE:
        *len = 5;
        return "false";
    default:
        return NULL;
    }
}

static int from_json_extra(ermes_event_t *ev, const char *key, size_t keylen, json_t *v,
                           ermes_diag_t *d)
{
    char buf[ERMES__FLOAT_STRLEN + 8];
    const char *text;
    size_t len;
    ermes_extra_type_t t;
    int rc;

    switch (json_typeof(v)) {
    case JSON_STRING:
        t = ERMES_EXTRA_STRING;
        break;
    case JSON_INTEGER:
        t = ERMES_EXTRA_INTEGER;
        break;
    case JSON_REAL:
        t = ERMES_EXTRA_FLOAT;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        t = ERMES_EXTRA_BOOLEAN;
        break;
    default: {
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!dump)
            return ERMES_ENOMEM;
        rc = ermes_event_set_extra(ev, key, keylen, dump, strlen(dump), ERMES_EXTRA_JSON, d);
        free(dump);
        return rc;
    }
    }
    text = scalar_text(v, buf, sizeof(buf), &len);
    return ermes_event_set_extra(ev, key, keylen, text, len, t, d);
}

/* IntelMQ before 2.0 kept "extra" as one JSON object (or as its text): each member becomes an
 * extra.<member>. */
static int from_json_nested_extra(ermes_event_t *ev, json_t *v, ermes_diag_t *d)
{
    json_t *obj = v, *m;
    const char *k;
    int rc = 0;

    if (json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        obj = json_loadb(json_string_value(v), json_string_length(v), JSON_REJECT_DUPLICATES, NULL);
        if (!obj || !json_is_object(obj)) {
            json_decref(obj);
            ermes_diag_set(d, "extra", "extra: the text of \"extra\" is not a JSON object");
            return ERMES_EINVAL;
        }
    } else if (!json_is_object(v)) {
        ermes_diag_set(d, "extra", "extra: \"extra\" must be an object");
        return ERMES_EINVAL;
    }
    json_object_foreach(obj, k, m)
    {
        if ((rc = from_json_extra(ev, k, strlen(k), m, d)))
            break;
    }
    if (obj != v)
        json_decref(obj);
    return rc;
}

static int from_json_field(ermes_event_t *ev, ermes_field_t f, json_t *v, ermes_diag_t *d)
{
    char buf[ERMES__FLOAT_STRLEN + 8];
    const char *text;
    size_t len;
    ermes_ftype_t t = (ermes_ftype_t)field_types[f];

    if (json_is_null(v))
        return 0;
    /* Python's bool is an int, but IntelMQ's Integer and Float refuse it; only Boolean takes
     * it. */
    if (json_is_boolean(v) && t != ERMES_FT_BOOLEAN) {
        ermes_diag_set(d, field_names[f], "%s: a JSON boolean is not a valid value here",
                       field_names[f]);
        return ERMES_EINVAL;
    }
    if ((json_is_object(v) || json_is_array(v)) && t == ERMES_FT_JSON) {
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc;
        if (!dump)
            return ERMES_ENOMEM;
        rc = ermes_event_set(ev, f, dump, strlen(dump), d);
        free(dump);
        return rc;
    }
    text = scalar_text(v, buf, sizeof(buf), &len);
    if (!text) {
        ermes_diag_set(d, field_names[f], "%s: expected a string or a number, not %s",
                       field_names[f], json_is_object(v) ? "an object" : "an array");
        return ERMES_EINVAL;
    }
    return ermes_event_set(ev, f, text, len, d);
}

int ermes_event_from_json(ermes_event_t *ev, const char *json, size_t len, ermes_diag_t *d)
{
    json_error_t err;
    json_t *root, *v;
    const char *key;
    int rc = 0;

    ermes_event_reset(ev);
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    /* jansson says "out of memory", or nothing at all when its first allocation fails: every
     * real syntax error has a text. */
    if (!root && (json_error_code(&err) == json_error_out_of_memory || !err.text[0])) {
        ermes_diag_set(d, NULL, "out of memory reading the event");
        return ERMES_ENOMEM;
    }
    if (!root) {
        ermes_diag_set(d, NULL, "the event is not JSON: %.160s", err.text);
        if (d) {
            d->line = err.line;
            d->column = err.column;
            d->offset = err.position;
        }
        return ERMES_EINVAL;
    }
    if (!json_is_object(root)) {
        ermes_diag_set(d, NULL, "an event must be a JSON object");
        rc = ERMES_EINVAL;
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        size_t kl = strlen(key);
        ermes_field_t f;

        if (strcmp(key, "__type") == 0)
            continue;
        if (kl > 6 && memcmp(key, "extra.", 6) == 0) {
            rc = from_json_extra(ev, key + 6, kl - 6, v, d);
        } else if (strcmp(key, "extra") == 0) {
            rc = from_json_nested_extra(ev, v, d);
        } else if ((f = ermes_field_lookup(key, kl)) != ERMES_F_COUNT) {
            rc = from_json_field(ev, f, v, d);
        } else {
            ermes_diag_set(d, NULL, "unknown field \"%.64s\"", key);
            if (d)
                copy_cut(d->field, sizeof(d->field), key);
            rc = ERMES_EINVAL;
        }
        if (rc)
            break;
    }
out:
    json_decref(root);
    if (rc)
        ermes_event_reset(ev);
    return rc;
}
