/* JSON log records: Suricata EVE and Zeek JSON.
 *
 * No DOM is built. A scanner walks the record once, checking its structure, and descends only
 * into the objects whose paths lead to a field of the format's table (dns.rrname, tls.ja3.hash,
 * id.orig_h, ...); everything else is skipped at the speed of finding the next quote. Strings
 * are unescaped (RFC 8259 section 7, surrogate pairs included) only when they are extracted and
 * hold a backslash. When the scanner meets what it does not handle (nesting deeper than 64, a
 * bad escape, anything malformed) jansson parses the record: if jansson agrees it is malformed
 * the record is skipped with jansson's reason, otherwise the fields come from jansson's DOM. */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>
#include <string.h>

#if defined(__x86_64__) || defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif

#include "detect/detect_int.h"

typedef struct jnode {
    const char *key;
    size_t klen;
    const det_fieldspec_t *spec;
    const struct jnode *children;
    size_t nchildren;
} jnode_t;

#define LEAF(k, s)                                                                                 \
    {                                                                                              \
        k, sizeof(k) - 1, s, NULL, 0                                                               \
    }
#define NODE(k, c)                                                                                 \
    {                                                                                              \
        k, sizeof(k) - 1, NULL, c, sizeof(c) / sizeof(c[0])                                        \
    }

/* ---- Suricata EVE (Suricata 7 eve-log; DNS v2 and v3 layouts) ---- */
static const det_fieldspec_t eve_ts = {"timestamp", ERMES_FIELD_AUTO, DET_ROLE_TIME},
                             eve_host = {"host", ERMES_FIELD_AUTO, DET_ROLE_SENSOR},
                             eve_src = {"src_ip", ERMES_FIELD_IP, DET_ROLE_FIELD | DET_ROLE_SRC},
                             eve_dst = {"dest_ip", ERMES_FIELD_IP, DET_ROLE_FIELD | DET_ROLE_DST},
                             eve_rrname = {"dns.rrname", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD},
                             eve_q_rrname = {"dns.queries.rrname", ERMES_FIELD_DOMAIN,
                                             DET_ROLE_FIELD},
                             eve_rdata = {"dns.answers.rdata", ERMES_FIELD_AUTO, DET_ROLE_FIELD},
                             eve_hostname = {"http.hostname", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD},
                             eve_url = {"http.url", ERMES_FIELD_URL, DET_ROLE_FIELD},
                             eve_sni = {"tls.sni", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD},
                             eve_ja3 = {"tls.ja3.hash", ERMES_FIELD_JA3, DET_ROLE_FIELD},
                             eve_ja4 = {"tls.ja4", ERMES_FIELD_JA4, DET_ROLE_FIELD},
                             eve_qja4 = {"quic.ja4", ERMES_FIELD_JA4, DET_ROLE_FIELD},
                             eve_qsni = {"quic.sni", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD},
                             eve_md5 = {"fileinfo.md5", ERMES_FIELD_HASH, DET_ROLE_FIELD},
                             eve_sha1 = {"fileinfo.sha1", ERMES_FIELD_HASH, DET_ROLE_FIELD},
                             eve_sha256 = {"fileinfo.sha256", ERMES_FIELD_HASH, DET_ROLE_FIELD},
                             eve_mfrom = {"smtp.mail_from", ERMES_FIELD_EMAIL, DET_ROLE_FIELD},
                             eve_rcpt = {"smtp.rcpt_to", ERMES_FIELD_EMAIL, DET_ROLE_FIELD};

static const jnode_t eve_dns_answers[] = {LEAF("rdata", &eve_rdata)};
static const jnode_t eve_dns_queries[] = {LEAF("rrname", &eve_q_rrname)};
static const jnode_t eve_dns[] = {LEAF("rrname", &eve_rrname), NODE("answers", eve_dns_answers),
                                  NODE("queries", eve_dns_queries)};
static const jnode_t eve_http[] = {LEAF("hostname", &eve_hostname), LEAF("url", &eve_url)};
static const jnode_t eve_tls_ja3[] = {LEAF("hash", &eve_ja3)};
static const jnode_t eve_tls[] = {LEAF("sni", &eve_sni), NODE("ja3", eve_tls_ja3),
                                  LEAF("ja4", &eve_ja4)};
static const jnode_t eve_quic[] = {LEAF("sni", &eve_qsni), LEAF("ja4", &eve_qja4)};
static const jnode_t eve_fileinfo[] = {LEAF("md5", &eve_md5), LEAF("sha1", &eve_sha1),
                                       LEAF("sha256", &eve_sha256)};
static const jnode_t eve_smtp[] = {LEAF("mail_from", &eve_mfrom), LEAF("rcpt_to", &eve_rcpt)};
static const jnode_t eve_top[] = {LEAF("timestamp", &eve_ts),     LEAF("src_ip", &eve_src),
                                  LEAF("dest_ip", &eve_dst),      NODE("dns", eve_dns),
                                  NODE("http", eve_http),         NODE("tls", eve_tls),
                                  NODE("fileinfo", eve_fileinfo), NODE("quic", eve_quic),
                                  NODE("smtp", eve_smtp),         LEAF("host", &eve_host)};
static const jnode_t eve_root = {"", 0, NULL, eve_top, sizeof(eve_top) / sizeof(eve_top[0])};

/* ---- Zeek JSON: flat dotted keys ("id.orig_h"), or nested when Zeek is told to ---- */
#define ZLEAF(k)                                                                                   \
    {                                                                                              \
        k, sizeof(k) - 1, NULL, NULL, 0                                                            \
    }
static jnode_t zeek_id[] = {ZLEAF("orig_h"), ZLEAF("resp_h")};
static jnode_t zeek_san[] = {ZLEAF("dns"), ZLEAF("ip"), ZLEAF("email")};
static jnode_t zeek_top[] = {
    ZLEAF("ts"),          ZLEAF("_system_name"), ZLEAF("id.orig_h"),  ZLEAF("id.resp_h"),
    ZLEAF("query"),       ZLEAF("answers"),      ZLEAF("host"),       ZLEAF("uri"),
    ZLEAF("server_name"), ZLEAF("ja3"),          ZLEAF("ja4"),        ZLEAF("md5"),
    ZLEAF("sha1"),        ZLEAF("sha256"),       ZLEAF("san.dns"),    ZLEAF("san.ip"),
    ZLEAF("san.email"),   ZLEAF("tx_hosts"),     ZLEAF("rx_hosts"),   ZLEAF("mailfrom"),
    ZLEAF("rcptto"),      ZLEAF("fingerprint"),  NODE("id", zeek_id), NODE("san", zeek_san)};
static const jnode_t zeek_root = {"", 0, NULL, zeek_top, sizeof(zeek_top) / sizeof(zeek_top[0])};

/* The Zeek leaves take their specs from the shared Zeek table (readers/zeek.c) once. */
static void zeek_bind(void)
{
    static int bound;
    char name[64];

    if (__atomic_load_n(&bound, __ATOMIC_ACQUIRE))
        return;
    for (size_t i = 0; i < sizeof(zeek_top) / sizeof(zeek_top[0]); i++)
        if (!zeek_top[i].children)
            zeek_top[i].spec = ermes__det_zeek_spec(zeek_top[i].key, zeek_top[i].klen);
    for (size_t i = 0; i < 2; i++) {
        snprintf(name, sizeof(name), "id.%s", zeek_id[i].key);
        zeek_id[i].spec = ermes__det_zeek_spec(name, strlen(name));
    }
    for (size_t i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "san.%s", zeek_san[i].key);
        zeek_san[i].spec = ermes__det_zeek_spec(name, strlen(name));
    }
    __atomic_store_n(&bound, 1, __ATOMIC_RELEASE);
}

/* ---- the scanner ---- */

typedef struct js {
    const char *p, *end;
    det_rec_t *r;
    const char *err;
} js_t;

#define MAX_DEPTH 64

static inline void ws(js_t *s)
{
    /* Machine-written logs hold no white space between tokens: one comparison says so. */
    while (s->p < s->end && (unsigned char)*s->p <= ' ' &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* At an opening quote: finds the closing one. *esc is set if the string holds escapes (each is
 * checked here). Returns 0 or -1. */
static inline __attribute__((always_inline)) int scan_string(js_t *s, const char **start,
                                                             size_t *len, int *esc)
{
    const char *p = s->p + 1, *end = s->end;

    *esc = 0;
    *start = p;
    for (;;) {
#ifdef HAVE_SSE2
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
            __m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
            /* Bytes below 0x20: max(v, 0x1f) == 0x1f. */
            __m128i c = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
            if (m) {
                p += __builtin_ctz(m);
                break;
            }
            p += 16;
        }
#endif
        while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            p++;
        if (p >= end) {
            s->err = "unterminated string";
            return -1;
        }
        if (*p == '"')
            break;
        if (*p == '\\') {
            *esc = 1;
            if (p + 1 >= end) {
                s->err = "unterminated string";
                return -1;
            }
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p += 2;
                continue;
            case 'u':
                if (end - p < 6 || hexv((unsigned char)p[2]) < 0 || hexv((unsigned char)p[3]) < 0 ||
                    hexv((unsigned char)p[4]) < 0 || hexv((unsigned char)p[5]) < 0) {
                    s->err = "bad \\u escape";
                    return -1;
                }
                p += 6;
                continue;
            default:
                s->err = "bad escape";
                return -1;
            }
        }
        s->err = "control character in a string";
        return -1;
    }
    *len = (size_t)(p - *start);
    s->p = p + 1;
    return 0;
}

/* Unescapes a checked string into out (which holds at least len bytes: escapes never grow).
 * Returns the length, or -1 for an unpaired surrogate. */
static long unescape(const char *in, size_t len, char *out)
{
    size_t i = 0, o = 0;

    while (i < len) {
        if (in[i] != '\\') {
            out[o++] = in[i++];
            continue;
        }
        char c = in[i + 1];
        i += 2;
        switch (c) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            unsigned cp =
                (unsigned)(hexv((unsigned char)in[i]) << 12 | hexv((unsigned char)in[i + 1]) << 8 |
                           hexv((unsigned char)in[i + 2]) << 4 | hexv((unsigned char)in[i + 3]));
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (i + 6 > len || in[i] != '\\' || in[i + 1] != 'u')
                    return -1;
                lo = (unsigned)(hexv((unsigned char)in[i + 2]) << 12 |
                                hexv((unsigned char)in[i + 3]) << 8 |
                                hexv((unsigned char)in[i + 4]) << 4 |
                                hexv((unsigned char)in[i + 5]));
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            /* At most 4 bytes of UTF-8 out of 6 or 12 bytes of escape in. */
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: /* '"', '\\', '/' */
            out[o++] = c;
        }
    }
    return (long)o;
}

static const jnode_t *child(const jnode_t *node, const char *k, size_t n)
{
    for (size_t i = 0; i < node->nchildren; i++) {
        const jnode_t *c = &node->children[i];
        /* The first byte rejects almost every other key without a call to memcmp. */
        if (c->klen == n && c->key[0] == k[0] && memcmp(c->key, k, n) == 0)
            return c;
    }
    return NULL;
}

static void emit(det_rec_t *r, const det_fieldspec_t *spec, const char *v, size_t n)
{
    if (!spec)
        return;
    if (spec->roles & DET_ROLE_FIELD)
        ermes__det_rec_add(r, spec->path, spec->kind, v, n);
    ermes__det_rec_role(r, spec, v, n);
}

static int value(js_t *s, const jnode_t *node, int depth);

static int object(js_t *s, const jnode_t *node, int depth)
{
    s->p++; /* '{' */
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        const char *k;
        size_t kn;
        int esc;
        const jnode_t *c = NULL;

        if (s->p >= s->end || *s->p != '"') {
            s->err = "expected a key";
            return -1;
        }
        if (scan_string(s, &k, &kn, &esc))
            return -1;
        if (node && node->nchildren) {
            if (esc) {
                char tmp[64];
                long u;
                if (kn <= sizeof(tmp) && (u = unescape(k, kn, tmp)) >= 0)
                    c = child(node, tmp, (size_t)u);
            } else {
                c = child(node, k, kn);
            }
        }
        ws(s);
        if (s->p >= s->end || *s->p != ':') {
            s->err = "expected ':'";
            return -1;
        }
        s->p++;
        ws(s);
        if (value(s, c, depth + 1))
            return -1;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        s->err = "expected ',' or '}'";
        return -1;
    }
}

static int array(js_t *s, const jnode_t *node, int depth)
{
    s->p++; /* '[' */
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        /* Arrays are transparent: dns.answers[].rdata is the path dns.answers.rdata. */
        if (value(s, node, depth + 1))
            return -1;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        s->err = "expected ',' or ']'";
        return -1;
    }
}

static int literal(js_t *s, const char *w, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0) {
        s->err = "unexpected character";
        return -1;
    }
    s->p += n;
    return 0;
}

/* The characters that may follow a number's first digit. */
static const unsigned char num_char[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1, ['+'] = 1, ['-'] = 1};

static int number(js_t *s)
{
    const char *p = s->p;

    /* RFC 8259 section 6, checked loosely: the characters of a number, at least one digit. */
    if (p < s->end && *p == '-')
        p++;
    if (p >= s->end || *p < '0' || *p > '9') {
        s->err = "unexpected character";
        return -1;
    }
    while (p < s->end && num_char[(unsigned char)*p])
        p++;
    s->p = p;
    return 0;
}

static int value(js_t *s, const jnode_t *node, int depth)
{
    if (depth > MAX_DEPTH) {
        s->err = "nesting too deep";
        return -1;
    }
    if (s->p >= s->end) {
        s->err = "truncated record";
        return -1;
    }
    switch (*s->p) {
    case '"': {
        const char *v;
        size_t n;
        int esc;
        if (scan_string(s, &v, &n, &esc))
            return -1;
        if (node && node->spec) {
            if (esc) {
                char *out = ermes__det_rec_scratch(s->r, NULL, n);
                long u;
                if (!out)
                    return 0; /* the record's scratch is full: the field is dropped */
                if ((u = unescape(v, n, out)) < 0) {
                    s->err = "unpaired surrogate in \\u escape";
                    return -1;
                }
                emit(s->r, node->spec, out, (size_t)u);
            } else {
                emit(s->r, node->spec, v, n);
            }
        }
        return 0;
    }
    case '{':
        return object(s, node && node->nchildren ? node : NULL, depth);
    case '[':
        return array(s, node, depth);
    case 't':
        return literal(s, "true", 4);
    case 'f':
        return literal(s, "false", 5);
    case 'n':
        return literal(s, "null", 4);
    default:
        return number(s);
    }
}

/* ---- the jansson fallback ---- */

static void dom_value(det_rec_t *r, json_t *v, const jnode_t *node, int depth);

static void dom_object(det_rec_t *r, json_t *o, const jnode_t *node, int depth)
{
    const char *k;
    json_t *v;

    json_object_foreach(o, k, v)
    {
        const jnode_t *c = child(node, k, strlen(k));
        if (c)
            dom_value(r, v, c, depth + 1);
    }
}

static void dom_value(det_rec_t *r, json_t *v, const jnode_t *node, int depth)
{
    size_t i;
    json_t *e;

    if (depth > 4096)
        return;
    if (json_is_string(v) && node->spec) {
        char *out = ermes__det_rec_scratch(r, json_string_value(v), json_string_length(v));
        if (out)
            emit(r, node->spec, out, json_string_length(v));
    } else if (json_is_object(v) && node->nchildren) {
        dom_object(r, v, node, depth);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e) dom_value(r, e, node, depth + 1);
    }
}

int ermes__det_json_record(det_json_table_t table, const char *line, size_t len, det_rec_t *r,
                           ermes_diag_t *d)
{
    const jnode_t *root = table == DET_JSON_EVE ? &eve_root : &zeek_root;
    js_t s = {line, line + len, r, NULL};
    json_error_t err;
    json_t *doc;

    if (table == DET_JSON_ZEEK)
        zeek_bind();
    ws(&s);
    if (s.p < s.end && *s.p == '{' && object(&s, root, 1) == 0) {
        ws(&s);
        if (s.p == s.end)
            return 0;
        s.err = "data after the record";
    } else if (!s.err) {
        s.err = "not a JSON object";
    }
    /* Something unusual: let a real parser decide. */
    ermes__det_rec_reset(r, r->rec);
    doc = json_loadb(line, len, 0, &err);
    if (!doc) {
        ermes_diag_set(d, NULL, "malformed JSON: %s", err.text);
        d->column = err.column;
        return ERMES_EPARSE;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        ermes_diag_set(d, NULL, "the record is not a JSON object");
        return ERMES_EPARSE;
    }
    dom_object(r, doc, root, 1);
    /* The DOM's strings die with it: fields were copied into the record's scratch. */
    json_decref(doc);
    return 0;
}
