/* Indicators: types, validation and normalisation, the mutable indicator set, bulk loading
 * from plain lists, CSV (and Zeek intel files) and STIX 2.1 pattern lists. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/number.h"
#include "detect/detect_int.h"
#include "ermes/csv.h"
#include "ermes/event.h"
#include "ermes/tlp.h"
#include "model/harmonize.h"

/* ---- types ----------------------------------------------------------------------------------- */

static const char *const type_names[ERMES_IND__COUNT] = {
    "none", "ipv4",   "ipv6",   "cidr",  "domain", "url", "md5",
    "sha1", "sha256", "sha512", "email", "ja3",    "ja4"};

const char *ermes_ind_type_name(ermes_ind_type_t t)
{
    return (unsigned)t < ERMES_IND__COUNT ? type_names[t] : "none";
}

static int eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);

    if (n != len)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (det_lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

ermes_ind_type_t ermes_ind_type_parse(const char *s, size_t len)
{
    static const struct {
        const char *name;
        ermes_ind_type_t type;
    } aliases[] = {
        {"ip", ERMES_IND_NONE},
        {"ip-dst", ERMES_IND_NONE},
        {"ip-src", ERMES_IND_NONE},
        {"ipv4-addr", ERMES_IND_IPV4},
        {"ipv6-addr", ERMES_IND_IPV6},
        {"subnet", ERMES_IND_CIDR},
        {"hostname", ERMES_IND_DOMAIN},
        {"domain-name", ERMES_IND_DOMAIN},
        {"fqdn", ERMES_IND_DOMAIN},
        {"email-src", ERMES_IND_EMAIL},
        {"email-dst", ERMES_IND_EMAIL},
        {"email-addr", ERMES_IND_EMAIL},
        {"ja3-fingerprint-md5", ERMES_IND_JA3},
        {"sha-1", ERMES_IND_SHA1},
        {"sha-256", ERMES_IND_SHA256},
        {"sha-512", ERMES_IND_SHA512},
        {"intel::addr", ERMES_IND_NONE},
        {"intel::subnet", ERMES_IND_CIDR},
        {"intel::domain", ERMES_IND_DOMAIN},
        {"intel::url", ERMES_IND_URL},
        {"intel::email", ERMES_IND_EMAIL},
        {"intel::file_hash", ERMES_IND_NONE},
        {"intel::cert_hash", ERMES_IND_SHA1},
    };

    for (int t = 1; t < ERMES_IND__COUNT; t++)
        if (eq_nocase(s, len, type_names[t]))
            return (ermes_ind_type_t)t;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (eq_nocase(s, len, aliases[i].name))
            /* "ip" and friends: the value decides between IPv4, IPv6 and CIDR; returning
             * NONE asks the caller to guess, which is what these aliases mean. */
            return aliases[i].type;
    return ERMES_IND_NONE;
}

/* 1 if the alias names a type whose exact kind the value decides (ip, file hash). */
static int type_is_guessed_alias(const char *s, size_t len)
{
    return eq_nocase(s, len, "ip") || eq_nocase(s, len, "ip-dst") || eq_nocase(s, len, "ip-src") ||
           eq_nocase(s, len, "intel::addr") || eq_nocase(s, len, "intel::file_hash") ||
           eq_nocase(s, len, "hash");
}

static int all_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return len > 0;
}

static int is_ja4(const char *s, size_t len)
{
    /* JA4 (FoxIO): a_b_c with a = 10 characters ([tqd], version, sni, counts, alpn), b and c 12
     * hex digits each. */
    if (len != 36 || s[10] != '_' || s[23] != '_')
        return 0;
    if (s[0] != 't' && s[0] != 'q' && s[0] != 'd' && s[0] != 'T' && s[0] != 'Q' && s[0] != 'D')
        return 0;
    for (size_t i = 1; i < 10; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return all_hex(s + 11, 12) && all_hex(s + 24, 12);
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static int domain_valid(const char *s, size_t len)
{
    size_t label = 0;

    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        /* Letters, digits, hyphen, underscore (seen in real DNS: SRV, DKIM, malware), and
         * UTF-8 bytes of internationalised names as written in logs. */
        if (!(isalnum(c) || c == '-' || c == '_' || c >= 0x80))
            return 0;
        if (++label > 63)
            return 0;
    }
    if (label == 0)
        return 0;
    /* No top-level domain is all digits: "256.1.1.1" is a broken address, not a name. */
    for (size_t i = len - label; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return 1;
    return 0;
}

ermes_ind_type_t ermes_ind_type_guess(const char *s, size_t len)
{
    ermes_cidr_t net;
    ermes_ip_t ip;

    trim(&s, &len);
    if (len == 0)
        return ERMES_IND_NONE;
    if (ermes_ip_parse(s, len, &ip, NULL) == 0)
        return ip.family == ERMES_AF_INET ? ERMES_IND_IPV4 : ERMES_IND_IPV6;
    if (memchr(s, '/', len)) {
        const char *slash = memchr(s, '/', len);
        if (ermes_cidr_parse(s, len, ERMES_CIDR_LENIENT, &net, NULL) == 0)
            return ERMES_IND_CIDR;
        /* An address before the slash: a network with a bad prefix, not a URL to guess. */
        if (ermes_ip_parse(s, (size_t)(slash - s), &ip, NULL) == 0)
            return ERMES_IND_NONE;
    }
    if (all_hex(s, len)) {
        switch (len) {
        case 32:
            return ERMES_IND_MD5;
        case 40:
            return ERMES_IND_SHA1;
        case 64:
            return ERMES_IND_SHA256;
        case 128:
            return ERMES_IND_SHA512;
        }
    }
    if (is_ja4(s, len))
        return ERMES_IND_JA4;
    if (len >= 3 && memmem(s, len, "://", 3))
        return ERMES_IND_URL;
    if (memchr(s, '@', len))
        return ERMES_IND_EMAIL;
    if (memchr(s, '/', len))
        return ERMES_IND_URL;
    {
        /* "*.example.com" and "example.com." are domains too. */
        const char *p = s;
        size_t n = len;
        if (n > 2 && p[0] == '*' && p[1] == '.') {
            p += 2;
            n -= 2;
        }
        if (n > 1 && p[n - 1] == '.')
            n--;
        if (domain_valid(p, n))
            return ERMES_IND_DOMAIN;
    }
    return ERMES_IND_NONE;
}

int ermes__det_hex_decode(const char *s, size_t len, uint8_t *out)
{
    static const signed char v[256] = {
        ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
        ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
        ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
        ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

    if (len % 2)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        int hi = v[(unsigned char)s[i]], lo = v[(unsigned char)s[i + 1]];
        if (!hi || !lo)
            return -1;
        out[i / 2] = (uint8_t)(((hi - 1) << 4) | (lo - 1));
    }
    return 0;
}

static size_t hash_len(ermes_ind_type_t t)
{
    switch (t) {
    case ERMES_IND_MD5:
    case ERMES_IND_JA3:
        return 16;
    case ERMES_IND_SHA1:
        return 20;
    case ERMES_IND_SHA256:
        return 32;
    case ERMES_IND_SHA512:
        return 64;
    default:
        return 0;
    }
}

int ermes__det_normalise(ermes_ind_type_t type, const char *s, size_t len, unsigned flags,
                         char *key, size_t cap, size_t *key_len, ermes_ind_type_t *type_out,
                         ermes_diag_t *d)
{
    ermes_cidr_t net;
    size_t n = 0;

    if (!s && len)
        return ERMES_EINVAL;
    trim(&s, &len);
    if (len == 0) {
        ermes_diag_set(d, "value", "the value is empty");
        return ERMES_EINVAL;
    }
    if (memchr(s, '\0', len)) {
        ermes_diag_set(d, "value", "the value holds a NUL byte");
        return ERMES_EINVAL;
    }
    if (type == ERMES_IND_NONE) {
        type = ermes_ind_type_guess(s, len);
        if (type == ERMES_IND_NONE) {
            ermes_diag_set(d, "value", "\"%.*s\" is no IP, network, domain, URL, hash or e-mail",
                           (int)(len > 80 ? 80 : len), s);
            return ERMES_EINVAL;
        }
    }
    switch (type) {
    case ERMES_IND_IPV4:
    case ERMES_IND_IPV6:
    case ERMES_IND_CIDR:
        if (ermes_cidr_parse(s, len, ERMES_CIDR_LENIENT, &net, d))
            return ERMES_EINVAL;
        if (cap < 18)
            return ERMES_ETOOBIG;
        {
            /* ::ffff:a.b.c.d is how IPv6 sockets write IPv4 peers: the matcher looks such
             * addresses up as IPv4, so indicators are stored the same way. */
            static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (net.addr.family == ERMES_AF_INET6 && net.prefix >= 96 &&
                memcmp(net.addr.bytes, mapped, 12) == 0) {
                memmove(net.addr.bytes, net.addr.bytes + 12, 4);
                memset(net.addr.bytes + 4, 0, 12);
                net.addr.family = ERMES_AF_INET;
                net.prefix = (uint8_t)(net.prefix - 96);
            }
        }
        key[0] = (char)net.addr.family;
        key[1] = (char)net.prefix;
        n = net.addr.family == ERMES_AF_INET ? 4 : 16;
        memcpy(key + 2, net.addr.bytes, n);
        n += 2;
        if (net.prefix == (net.addr.family == ERMES_AF_INET ? 32 : 128))
            type = net.addr.family == ERMES_AF_INET ? ERMES_IND_IPV4 : ERMES_IND_IPV6;
        else
            type = ERMES_IND_CIDR;
        break;
    case ERMES_IND_DOMAIN:
        if (len > 2 && s[0] == '*' && s[1] == '.') {
            s += 2;
            len -= 2;
        }
        if (len > 1 && s[len - 1] == '.')
            len--;
        if (!domain_valid(s, len)) {
            ermes_diag_set(d, "value", "\"%.*s\" is not a domain name", (int)(len > 80 ? 80 : len),
                           s);
            return ERMES_EINVAL;
        }
        if (len > cap)
            return ERMES_ETOOBIG;
        for (n = 0; n < len; n++)
            key[n] = (char)det_lower((unsigned char)s[n]);
        break;
    case ERMES_IND_URL: {
        int rc = ermes_harmonize(ERMES_FT_URL, s, len, key, cap, &n, d);
        if (rc)
            return rc == ERMES_ETOOBIG ? rc : ERMES_EINVAL;
        break;
    }
    case ERMES_IND_MD5:
    case ERMES_IND_SHA1:
    case ERMES_IND_SHA256:
    case ERMES_IND_SHA512:
    case ERMES_IND_JA3:
        n = hash_len(type);
        if (len != 2 * n || ermes__det_hex_decode(s, len, (uint8_t *)key)) {
            ermes_diag_set(d, "value", "a %s is %zu hexadecimal digits", ermes_ind_type_name(type),
                           2 * n);
            return ERMES_EINVAL;
        }
        break;
    case ERMES_IND_EMAIL: {
        const char *at;
        if (len > 2 && s[0] == '<' && s[len - 1] == '>') {
            s++;
            len -= 2;
        }
        at = memchr(s, '@', len);
        if (!at || at == s || at == s + len - 1 ||
            memchr(at + 1, '@', len - (size_t)(at - s) - 1) ||
            !domain_valid(at + 1, len - (size_t)(at - s) - 1)) {
            ermes_diag_set(d, "value", "\"%.*s\" is not an e-mail address",
                           (int)(len > 80 ? 80 : len), s);
            return ERMES_EINVAL;
        }
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] <= ' ') {
                ermes_diag_set(d, "value", "an e-mail address holds no spaces");
                return ERMES_EINVAL;
            }
        if (len > cap)
            return ERMES_ETOOBIG;
        for (n = 0; n < len; n++)
            key[n] = (char)det_lower((unsigned char)s[n]);
        break;
    }
    case ERMES_IND_JA4:
        if (!is_ja4(s, len)) {
            ermes_diag_set(d, "value", "not a JA4 fingerprint (a_b_c, 36 characters)");
            return ERMES_EINVAL;
        }
        for (n = 0; n < len; n++)
            key[n] = (char)det_lower((unsigned char)s[n]);
        break;
    default:
        ermes_diag_set(d, "type", "unknown indicator type");
        return ERMES_EINVAL;
    }
    (void)flags;
    *key_len = n;
    *type_out = type;
    return 0;
}

size_t ermes__det_key_format(ermes_ind_type_t type, const char *key, size_t key_len, char *buf,
                             size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    if (cap == 0)
        return 0;
    switch (type) {
    case ERMES_IND_IPV4:
    case ERMES_IND_IPV6:
    case ERMES_IND_CIDR: {
        ermes_cidr_t net;
        char tmp[ERMES_CIDR_STRLEN];
        memset(&net, 0, sizeof(net));
        net.addr.family = (uint8_t)key[0];
        net.prefix = (uint8_t)key[1];
        memcpy(net.addr.bytes, key + 2, key_len - 2);
        n = type == ERMES_IND_CIDR ? ermes_cidr_format(&net, tmp) : ermes_ip_format(&net.addr, tmp);
        if (n >= cap)
            return 0;
        memcpy(buf, tmp, n + 1);
        return n;
    }
    case ERMES_IND_MD5:
    case ERMES_IND_SHA1:
    case ERMES_IND_SHA256:
    case ERMES_IND_SHA512:
    case ERMES_IND_JA3:
        if (2 * key_len >= cap)
            return 0;
        for (size_t i = 0; i < key_len; i++) {
            buf[n++] = hex[(unsigned char)key[i] >> 4];
            buf[n++] = hex[(unsigned char)key[i] & 15];
        }
        buf[n] = '\0';
        return n;
    default:
        if (key_len >= cap)
            return 0;
        memcpy(buf, key, key_len);
        buf[key_len] = '\0';
        return key_len;
    }
}

/* ---- pools and the set ----------------------------------------------------------------------- */

int ermes__det_pool_add(det_pool_t *p, const void *s, size_t n, uint32_t *off)
{
    if (n > UINT32_MAX - p->len)
        return ERMES_ETOOBIG;
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        char *nd;
        while (cap < p->len + n)
            cap *= 2;
        if (cap > (size_t)UINT32_MAX + 1)
            cap = (size_t)UINT32_MAX + 1;
        nd = ermes__realloc(p->data, cap);
        if (!nd)
            return ERMES_ENOMEM;
        p->data = nd;
        p->cap = cap;
    }
    if (n)
        memcpy(p->data + p->len, s, n);
    *off = (uint32_t)p->len;
    p->len += n;
    return 0;
}

void ermes_indicator_init(ermes_indicator_t *ind)
{
    memset(ind, 0, sizeof(*ind));
    ind->confidence = -1;
    ind->tlp = -1;
}

int ermes_indicator_set_new(ermes_indicator_set_t **out)
{
    ermes_indicator_set_t *s = ermes__calloc(1, sizeof(*s));
    uint32_t off;

    if (!s || ermes__det_pool_add(&s->strs, "", 1, &off)) {
        ermes_indicator_set_free(s);
        return ERMES_ENOMEM;
    }
    *out = s;
    return 0;
}

void ermes_indicator_set_free(ermes_indicator_set_t *set)
{
    if (!set)
        return;
    ermes__free(set->inds);
    ermes__free(set->keys.data);
    ermes__free(set->strs.data);
    ermes__free(set->intern);
    ermes__free(set);
}

size_t ermes_indicator_set_count(const ermes_indicator_set_t *set)
{
    return set ? set->n : 0;
}

/* Interns s in the string pool: sources and tags repeat across millions of indicators. */
static int intern(ermes_indicator_set_t *set, const char *s, uint32_t *out)
{
    size_t len, i;
    uint64_t h;
    int rc;

    if (!s || !*s) {
        *out = 0;
        return 0;
    }
    len = strlen(s);
    if (len > 4096)
        len = 4096;
    if ((set->intern_n + 1) * 2 > set->intern_cap) {
        size_t ncap = set->intern_cap ? set->intern_cap * 2 : 64;
        uint32_t *nt = ermes__calloc(ncap, sizeof(*nt));
        if (!nt)
            return ERMES_ENOMEM;
        for (i = 0; i < set->intern_cap; i++) {
            uint32_t o = set->intern[i];
            if (!o)
                continue;
            h = det_hash(set->strs.data + o, strlen(set->strs.data + o));
            for (size_t j = h & (ncap - 1);; j = (j + 1) & (ncap - 1))
                if (!nt[j]) {
                    nt[j] = o;
                    break;
                }
        }
        ermes__free(set->intern);
        set->intern = nt;
        set->intern_cap = ncap;
    }
    h = det_hash(s, len);
    for (i = h & (set->intern_cap - 1);; i = (i + 1) & (set->intern_cap - 1)) {
        uint32_t o = set->intern[i];
        if (!o)
            break;
        if (strncmp(set->strs.data + o, s, len) == 0 && set->strs.data[o + len] == '\0') {
            *out = o;
            return 0;
        }
    }
    {
        uint32_t off, z;
        if ((rc = ermes__det_pool_add(&set->strs, s, len, &off)) ||
            (rc = ermes__det_pool_add(&set->strs, "", 1, &z)))
            return rc;
        set->intern[i] = off;
        set->intern_n++;
        *out = off;
    }
    return 0;
}

int ermes_indicator_set_add(ermes_indicator_set_t *set, const ermes_indicator_t *ind,
                            uint32_t *id_out, ermes_diag_t *d)
{
    char key[DET_MAX_KEY];
    size_t klen;
    ermes_ind_type_t type;
    det_ind_t rec;
    int rc;

    if (!set || !ind || (!ind->value && ind->len))
        return ERMES_EINVAL;
    if ((unsigned)ind->type >= ERMES_IND__COUNT)
        return ERMES_EINVAL;
    if (set->n >= INT32_MAX)
        return ERMES_ETOOBIG;
    rc = ermes__det_normalise(ind->type, ind->value, ind->len, ind->flags, key, sizeof(key), &klen,
                              &type, d);
    if (rc) {
        if (rc == ERMES_ETOOBIG)
            ermes_diag_set(d, "value", "the value is longer than %d bytes", DET_MAX_KEY);
        return rc == ERMES_ENOMEM ? rc : ERMES_EINVAL;
    }
    if (ind->valid_until && ind->valid_from && ind->valid_until < ind->valid_from) {
        ermes_diag_set(d, "valid_until", "valid_until is before valid_from");
        return ERMES_EINVAL;
    }
    if (ind->confidence > 100 || ind->confidence < -1) {
        ermes_diag_set(d, "confidence", "confidence is 0..100");
        return ERMES_EINVAL;
    }
    if (ind->tlp > ERMES_TLP_RED || ind->tlp < -1) {
        ermes_diag_set(d, "tlp", "unknown TLP");
        return ERMES_EINVAL;
    }
    memset(&rec, 0, sizeof(rec));
    rec.next = DET_NONE;
    rec.valid_from = ind->valid_from;
    rec.valid_until = ind->valid_until;
    rec.key_len = (uint16_t)klen;
    rec.type = (uint8_t)type;
    rec.flags = (uint8_t)(ind->flags & (ERMES_IND_EXACT | ERMES_IND_FORCED));
    rec.confidence = (int8_t)ind->confidence;
    rec.tlp = (int8_t)ind->tlp;
    if ((rc = intern(set, ind->source, &rec.source)) || (rc = intern(set, ind->tags, &rec.tags)))
        return rc;
    if (set->n == set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 1024;
        det_ind_t *ni = ermes__reallocarray(set->inds, ncap, sizeof(*ni));
        if (!ni)
            return ERMES_ENOMEM;
        set->inds = ni;
        set->cap = ncap;
    }
    if ((rc = ermes__det_pool_add(&set->keys, key, klen, &rec.key_off)))
        return rc;
    set->inds[set->n] = rec;
    if (id_out)
        *id_out = (uint32_t)set->n;
    set->n++;
    return 0;
}

size_t ermes_indicator_set_value(const ermes_indicator_set_t *set, uint32_t id, char *buf,
                                 size_t cap)
{
    const det_ind_t *r;

    if (!set || id >= set->n)
        return 0;
    r = &set->inds[id];
    return ermes__det_key_format((ermes_ind_type_t)r->type, set->keys.data + r->key_off, r->key_len,
                                 buf, cap);
}

/* ---- bulk loading ---------------------------------------------------------------------------- */

typedef struct loader {
    ermes_indicator_set_t *set;
    const ermes_indicator_t *defaults;
    ermes_ind_reject_cb reject_cb;
    void *ctx;
    ermes_ind_load_stats_t stats;
    int stopped;
    long line;
} loader_t;

static void reject(loader_t *l, ermes_diag_t *d)
{
    l->stats.rejected++;
    d->line = l->line;
    if (l->reject_cb && l->reject_cb(l->ctx, d))
        l->stopped = 1;
}

static int add_one(loader_t *l, ermes_indicator_t *ind)
{
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_indicator_set_add(l->set, ind, NULL, &d);
    if (rc == ERMES_ENOMEM || rc == ERMES_ETOOBIG)
        return rc;
    if (rc)
        reject(l, &d);
    else
        l->stats.added++;
    return 0;
}

static void base_indicator(loader_t *l, ermes_indicator_t *ind)
{
    if (l->defaults)
        *ind = *l->defaults;
    else
        ermes_indicator_init(ind);
}

static int load_list(loader_t *l, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    int rc;

    while (p < end && !l->stopped) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *s = p;
        size_t n;
        ermes_indicator_t ind;

        l->line++;
        p = nl ? nl + 1 : end;
        while (s < e && isspace((unsigned char)*s))
            s++;
        if (s == e || *s == '#' || (*s == '/' && s + 1 < e && s[1] == '/'))
            continue;
        /* The value is the first token: lists often carry a comment after it ("# ...",
         * "// ...", "; ..."). Anything else after it is not silently dropped. */
        for (n = 0; s + n < e && !isspace((unsigned char)s[n]); n++)
            ;
        {
            const char *t = s + n;
            while (t < e && isspace((unsigned char)*t))
                t++;
            if (t < e && *t != '#' && *t != ';' && !(*t == '/' && t + 1 < e && t[1] == '/')) {
                ermes_diag_t d;
                ermes_diag_clear(&d);
                ermes_diag_set(&d, NULL,
                               "\"%.*s\": text after the value (a comment starts with "
                               "#, // or ;)",
                               (int)(e - s > 80 ? 80 : e - s), s);
                reject(l, &d);
                continue;
            }
        }
        base_indicator(l, &ind);
        ind.value = s;
        ind.len = n;
        if ((rc = add_one(l, &ind)))
            return rc;
    }
    return 0;
}

static int parse_time_ms(const char *s, size_t len, int64_t *ms)
{
    int64_t us;
    size_t i;

    if (len == 0 || (len == 1 && s[0] == '-')) {
        *ms = 0;
        return 0;
    }
    for (i = 0; i < len && isdigit((unsigned char)s[i]); i++)
        ;
    if (i == len && len <= 12) {
        /* Seconds since the epoch: at most 12 digits, so the product fits. */
        int64_t seconds;
        if (ermes__parse_int64_n(s, len, "time", 0, 999999999999, &seconds, NULL))
            return -1;
        *ms = seconds * 1000;
        return 0;
    }
    if (ermes__datetime_parse_us(s, len, &us, NULL))
        return -1;
    *ms = us / 1000;
    return 0;
}

enum {
    COL_VALUE,
    COL_TYPE,
    COL_FROM,
    COL_UNTIL,
    COL_CONF,
    COL_TLP,
    COL_SOURCE,
    COL_TAGS,
    COL_EXACT,
    COL__N
};

static int column_of(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int col;
    } names[] = {{"value", COL_VALUE},       {"indicator", COL_VALUE}, {"ioc", COL_VALUE},
                 {"observable", COL_VALUE},  {"type", COL_TYPE},       {"indicator_type", COL_TYPE},
                 {"kind", COL_TYPE},         {"valid_from", COL_FROM}, {"first_seen", COL_FROM},
                 {"valid_until", COL_UNTIL}, {"expires", COL_UNTIL},   {"confidence", COL_CONF},
                 {"tlp", COL_TLP},           {"source", COL_SOURCE},   {"meta.source", COL_SOURCE},
                 {"tags", COL_TAGS},         {"meta.desc", COL_TAGS},  {"exact", COL_EXACT}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (eq_nocase(s, n, names[i].name))
            return names[i].col;
    return -1;
}

static int load_csv(loader_t *l, const char *data, size_t len, char delim)
{
    ermes_csv_options_t opts = {delim, 0, 0, 0};
    ermes_csv_t *csv = NULL;
    ermes_csv_record_t rec;
    ermes_diag_t d;
    int col[COL__N], rc, header = 1;

    for (int i = 0; i < COL__N; i++)
        col[i] = -1;
    if ((rc = ermes_csv_new_mem(data, len, &opts, &csv)))
        return rc;
    for (;;) {
        ermes_indicator_t ind;
        const char *f[COL__N];
        size_t fl[COL__N];

        ermes_diag_clear(&d);
        rc = ermes_csv_next(csv, &rec, &d);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (rc == ERMES_ENOMEM)
                goto out;
            l->line = d.line;
            reject(l, &d);
            if (l->stopped || header)
                break;
            continue;
        }
        l->line = rec.line;
        if (rec.nfields == 0 || (rec.nfields == 1 && rec.lengths[0] == 0))
            continue;
        if (header) {
            if (rec.lengths[0] && rec.fields[0][0] == '#')
                continue; /* comments before the header */
            header = 0;
            for (size_t i = 0; i < rec.nfields; i++) {
                int c = column_of(rec.fields[i], rec.lengths[i]);
                if (c >= 0 && col[c] < 0)
                    col[c] = (int)i;
            }
            if (col[COL_VALUE] < 0) {
                ermes_diag_set(&d, NULL, "the CSV header names no value/indicator column");
                rc = ERMES_EPARSE;
                goto out;
            }
            continue;
        }
        if (rec.fields[0][0] == '#')
            continue;
        for (int c = 0; c < COL__N; c++) {
            f[c] = col[c] >= 0 && (size_t)col[c] < rec.nfields ? rec.fields[col[c]] : "";
            fl[c] = col[c] >= 0 && (size_t)col[c] < rec.nfields ? rec.lengths[col[c]] : 0;
            if (fl[c] == 1 && f[c][0] == '-')
                fl[c] = 0; /* Zeek's unset field */
        }
        base_indicator(l, &ind);
        ind.value = f[COL_VALUE];
        ind.len = fl[COL_VALUE];
        if (fl[COL_TYPE]) {
            ind.type = ermes_ind_type_parse(f[COL_TYPE], fl[COL_TYPE]);
            if (ind.type == ERMES_IND_NONE && !type_is_guessed_alias(f[COL_TYPE], fl[COL_TYPE])) {
                ermes_diag_set(&d, "type", "unknown indicator type \"%.*s\"",
                               (int)(fl[COL_TYPE] > 40 ? 40 : fl[COL_TYPE]), f[COL_TYPE]);
                reject(l, &d);
                if (l->stopped)
                    break;
                continue;
            }
        }
        if ((fl[COL_FROM] && parse_time_ms(f[COL_FROM], fl[COL_FROM], &ind.valid_from)) ||
            (fl[COL_UNTIL] && parse_time_ms(f[COL_UNTIL], fl[COL_UNTIL], &ind.valid_until))) {
            ermes_diag_set(&d, "valid_from", "unreadable validity time");
            reject(l, &d);
            if (l->stopped)
                break;
            continue;
        }
        if (fl[COL_CONF]) {
            int64_t v;
            if (ermes__parse_int64_n(f[COL_CONF], fl[COL_CONF], "confidence", 0, 100, &v, NULL)) {
                ermes_diag_set(&d, "confidence", "confidence is an integer 0..100");
                reject(l, &d);
                if (l->stopped)
                    break;
                continue;
            }
            ind.confidence = (int)v;
        }
        if (fl[COL_TLP]) {
            ermes_tlp_t t;
            if (ermes_tlp_parse(f[COL_TLP], fl[COL_TLP], &t)) {
                ermes_diag_set(&d, "tlp", "unknown TLP");
                reject(l, &d);
                if (l->stopped)
                    break;
                continue;
            }
            ind.tlp = (int)t;
        }
        char src[256], tags[1024];
        if (fl[COL_SOURCE]) {
            snprintf(src, sizeof(src), "%.*s", (int)(fl[COL_SOURCE] > 255 ? 255 : fl[COL_SOURCE]),
                     f[COL_SOURCE]);
            ind.source = src;
        }
        if (fl[COL_TAGS]) {
            snprintf(tags, sizeof(tags), "%.*s", (int)(fl[COL_TAGS] > 1000 ? 1000 : fl[COL_TAGS]),
                     f[COL_TAGS]);
            ind.tags = tags;
        }
        if (fl[COL_EXACT] && (eq_nocase(f[COL_EXACT], fl[COL_EXACT], "true") ||
                              eq_nocase(f[COL_EXACT], fl[COL_EXACT], "1") ||
                              eq_nocase(f[COL_EXACT], fl[COL_EXACT], "yes")))
            ind.flags |= ERMES_IND_EXACT;
        if ((rc = add_one(l, &ind)))
            goto out;
        if (l->stopped)
            break;
    }
    rc = 0;
out:
    ermes_csv_free(csv);
    return rc;
}

/* ---- STIX 2.1 patterns ----------------------------------------------------------------------- */

/* The pattern grammar itself is src/sharing/pattern.c (ermes_stix_pattern_parse). */

typedef struct stix_ctx {
    loader_t *l;
    ermes_indicator_t base;
    size_t pending;
    struct {
        ermes_ind_type_t type;
        char *value;
        size_t len;
    } vals[64];
} stix_ctx_t;

static int stix_collect(void *ctx, ermes_ind_type_t type, const char *value, size_t len)
{
    stix_ctx_t *c = ctx;

    if (c->pending == 64)
        return ERMES_ETOOBIG;
    c->vals[c->pending].value = ermes__strndup(value, len);
    if (!c->vals[c->pending].value)
        return ERMES_ENOMEM;
    c->vals[c->pending].type = type;
    c->vals[c->pending].len = len;
    c->pending++;
    return 0;
}

/* A pattern is all or nothing: its values are added only if the whole pattern is supported. */
static int stix_pattern(loader_t *l, const ermes_indicator_t *base, const char *p, size_t n)
{
    stix_ctx_t c;
    ermes_diag_t d;
    int rc = 0;

    c.l = l;
    c.base = *base;
    c.pending = 0;
    ermes_diag_clear(&d);
    rc = ermes_stix_pattern_parse(p, n, stix_collect, &c, &d);
    if (rc == ERMES_ENOMEM)
        goto out;
    if (rc) {
        if (rc == ERMES_ETOOBIG)
            ermes_diag_set(&d, "pattern", "more than 64 comparisons in one pattern");
        reject(l, &d);
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < c.pending && rc == 0; i++) {
        ermes_indicator_t ind = *base;
        ind.type = c.vals[i].type;
        ind.value = c.vals[i].value;
        ind.len = c.vals[i].len;
        rc = add_one(l, &ind);
    }
out:
    for (size_t i = 0; i < c.pending; i++)
        ermes__free(c.vals[i].value);
    return rc;
}

static int stix_object(loader_t *l, json_t *o)
{
    ermes_indicator_t ind;
    json_t *v;
    const char *pt;
    char tags[1024] = "", src[256] = "";
    ermes_diag_t d;

    if (!json_is_object(o))
        return 0;
    v = json_object_get(o, "type");
    if (!json_is_string(v) || strcmp(json_string_value(v), "indicator") != 0)
        return 0; /* other STIX objects (identities, markings, relationships) are not ours */
    l->line++;
    base_indicator(l, &ind);
    ermes_diag_clear(&d);
    pt = json_string_value(json_object_get(o, "pattern_type"));
    if (pt && strcmp(pt, "stix") != 0) {
        ermes_diag_set(&d, "pattern_type", "pattern_type \"%.40s\" is not supported", pt);
        reject(l, &d);
        return 0;
    }
    v = json_object_get(o, "pattern");
    if (!json_is_string(v)) {
        ermes_diag_set(&d, "pattern", "an indicator without a pattern");
        reject(l, &d);
        return 0;
    }
    if ((pt = json_string_value(json_object_get(o, "valid_from"))) &&
        parse_time_ms(pt, strlen(pt), &ind.valid_from)) {
        ermes_diag_set(&d, "valid_from", "unreadable valid_from");
        reject(l, &d);
        return 0;
    }
    if ((pt = json_string_value(json_object_get(o, "valid_until"))) &&
        parse_time_ms(pt, strlen(pt), &ind.valid_until)) {
        ermes_diag_set(&d, "valid_until", "unreadable valid_until");
        reject(l, &d);
        return 0;
    }
    if (json_is_integer(json_object_get(o, "confidence"))) {
        json_int_t c = json_integer_value(json_object_get(o, "confidence"));
        if (c >= 0 && c <= 100)
            ind.confidence = (int)c;
    }
    {
        json_t *labels = json_object_get(o, "labels"), *lab;
        size_t i, n = 0;
        json_array_foreach(labels, i, lab)
        {
            if (!json_is_string(lab))
                continue;
            n += (size_t)snprintf(tags + n, sizeof(tags) - n, "%s%s", n ? "," : "",
                                  json_string_value(lab));
            if (n >= sizeof(tags))
                n = sizeof(tags) - 1;
        }
        if (n)
            ind.tags = tags;
    }
    if ((pt = json_string_value(json_object_get(o, "created_by_ref")))) {
        snprintf(src, sizeof(src), "%s", pt);
        if (!ind.source)
            ind.source = src;
    }
    return stix_pattern(l, &ind, json_string_value(v), json_string_length(v));
}

static int load_stix(loader_t *l, const char *data, size_t len, ermes_diag_t *d)
{
    const char *p = data, *end = data + len;
    json_error_t err;
    json_t *doc, *objs, *o;
    size_t i;
    int rc = 0;

    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p < end && *p == '[' && (end - p < 2 || p[1] != ']')) {
        /* Could be a JSON array of objects or a list of bracketed patterns; patterns have a ':'
         * object path right after the bracket. */
        const char *q = p + 1;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q < end && *q != '{' && *q != ']') {
            /* One pattern per line. */
            while (p < end && !l->stopped && rc == 0) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                ermes_indicator_t ind;
                l->line++;
                while (p < e && isspace((unsigned char)*p))
                    p++;
                if (p < e && *p != '#') {
                    base_indicator(l, &ind);
                    rc = stix_pattern(l, &ind, p, (size_t)(e - p));
                }
                p = nl ? nl + 1 : end;
            }
            return rc;
        }
    }
    doc = json_loadb(data, len, 0, &err);
    if (!doc) {
        ermes_diag_set(d, NULL, "not JSON: %s", err.text);
        d->line = err.line;
        d->column = err.column;
        return ERMES_EPARSE;
    }
    objs = json_is_array(doc) ? doc : json_object_get(doc, "objects");
    if (json_is_array(objs)) {
        json_array_foreach(objs, i, o)
        {
            if ((rc = stix_object(l, o)) || l->stopped)
                break;
        }
    } else if (json_is_object(doc)) {
        rc = stix_object(l, doc);
    }
    json_decref(doc);
    return rc;
}

int ermes_indicator_set_load(ermes_indicator_set_t *set, const char *data, size_t len,
                             ermes_ind_format_t fmt, const ermes_indicator_t *defaults,
                             ermes_ind_reject_cb reject_cb, void *ctx,
                             ermes_ind_load_stats_t *stats, ermes_diag_t *d)
{
    loader_t l;
    int rc;

    if (!set || (!data && len))
        return ERMES_EINVAL;
    memset(&l, 0, sizeof(l));
    l.set = set;
    l.defaults = defaults;
    l.reject_cb = reject_cb;
    l.ctx = ctx;
    if (fmt == ERMES_IND_FORMAT_AUTO) {
        const char *p = data, *end = data + len, *nl;
        size_t n;
        /* The first line that is not blank and not a comment decides. */
        for (;;) {
            while (p < end && isspace((unsigned char)*p))
                p++;
            nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
            n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (n > len)
                n = len; /* cannot happen; tells the compiler the bound */
            if (!nl || p == end || *p != '#' || (n >= 7 && memcmp(p, "#fields", 7) == 0))
                break;
            p = nl + 1;
        }
        if (p < end && (*p == '{' || (*p == '[' && memmem(p, (size_t)(end - p), ":value", 6)) ||
                        (*p == '[' && memmem(p, (size_t)(end - p), ":hashes", 7)) ||
                        (*p == '[' && n > 1 && isspace((unsigned char)p[1]))))
            fmt = ERMES_IND_FORMAT_STIX;
        else if (n >= 7 && memcmp(p, "#fields", 7) == 0)
            fmt = ERMES_IND_FORMAT_CSV;
        else if (memchr(p, ',', n) && (memmem(p, n, "value", 5) || memmem(p, n, "indicator", 9)))
            fmt = ERMES_IND_FORMAT_CSV;
        else
            fmt = ERMES_IND_FORMAT_LIST;
    }
    switch (fmt) {
    case ERMES_IND_FORMAT_LIST:
        rc = load_list(&l, data, len);
        break;
    case ERMES_IND_FORMAT_CSV: {
        const char *p = data;
        size_t n = len;
        char delim = ',';
        while (n && isspace((unsigned char)*p)) {
            p++;
            n--;
        }
        if (n >= 8 && memcmp(p, "#fields", 7) == 0) {
            /* A Zeek intel file: "#fields\tindicator\tindicator_type\tmeta.source...". */
            p += 8;
            n -= 8;
            delim = '\t';
            l.line = 0;
        }
        rc = load_csv(&l, p, n, delim);
        break;
    }
    case ERMES_IND_FORMAT_STIX:
        rc = load_stix(&l, data, len, d);
        break;
    default:
        rc = ERMES_EINVAL;
    }
    if (stats)
        *stats = l.stats;
    return rc;
}
