/* The packed event (format in event_pack.h): packing for the store, unpacking for readers. */
#include "model/event_pack.h"

#include <string.h>

#include "core/strbuf.h"
#include "ermes/net.h"
#include "model/harmonize.h"

enum kind { FTEXT, FUINT, FTIME, FIP4, FIP6, XSTR, XUINT, XTYPED };

#define MAX_CODE (UINT32_MAX >> 3)
/* The times a packed event can hold: years 0001 to 9999, as the canonical text has them. */
#define MIN_US (-62135596800LL * 1000000)
#define MAX_US (253402300800LL * 1000000 - 1)

/* ---- packing ---------------------------------------------------------------------------- */

static size_t put_uvarint(uint8_t *p, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* The value of a plain decimal text: digits only, no leading zero, at most 19 of them and
 * within a signed 64-bit integer (so its decimal form is the text again, and it is an integer
 * IntelMQ's types allow). Returns 1 when the text is such a number. */
static int plain_uint(const char *s, size_t len, uint64_t *v)
{
    uint64_t x = 0;

    if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
        return 0;
    for (size_t k = 0; k < len; k++) {
        if (s[k] < '0' || s[k] > '9')
            return 0;
        x = x * 10 + (uint64_t)(s[k] - '0');
    }
    *v = x;
    return x <= (uint64_t)INT64_MAX;
}

/* Microseconds whose canonical text is exactly s. */
static int plain_time(const char *s, size_t len, int64_t *us)
{
    char buf[64];

    if (len >= sizeof(buf) || ermes__datetime_parse_us(s, len, us, NULL))
        return 0;
    return ermes__datetime_format_us(*us, buf) == len && memcmp(buf, s, len) == 0;
}

/* An address whose canonical text is exactly s. */
static int plain_ip(const char *s, size_t len, ermes_ip_t *ip)
{
    char buf[ERMES_IP_STRLEN];

    if (len >= sizeof(buf) || ermes_ip_parse(s, len, ip, NULL))
        return 0;
    return ermes_ip_format(ip, buf) == len && memcmp(buf, s, len) == 0;
}

/* One entry: the tag, then a number or a text (with its length first), written in place. */
static int entry(ermes__strbuf_t *out, uint32_t code, enum kind k, int type, uint64_t num,
                 const void *bytes, size_t len)
{
    uint8_t *p;
    size_t n;
    int rc;

    /* tag 5 bytes, type 1, a number or a length 10 */
    if ((rc = ermes__strbuf_room(out, 16 + len, (char **)&p)))
        return rc;
    n = put_uvarint(p, (uint64_t)code << 3 | k);
    if (type >= 0)
        p[n++] = (uint8_t)type;
    if (k == FUINT || k == XUINT || k == FTIME) {
        n += put_uvarint(p + n, num);
    } else {
        if (k != FIP4 && k != FIP6)
            n += put_uvarint(p + n, len);
        if (len)
            memcpy(p + n, bytes, len);
        n += len;
    }
    ermes__strbuf_used(out, n);
    return 0;
}

int ermes__event_pack(const ermes_event_t *ev, const uint64_t *omit,
                      ermes__event_name_id_fn name_id, void *ctx, ermes__strbuf_t *out)
{
    uint8_t v1 = ERMES_EVENT_PACK_V1;
    int rc;

    if ((rc = ermes__strbuf_add(out, &v1, 1)))
        return rc;
    for (unsigned f = ermes_event_next(ev, 0); f < ERMES_F_COUNT; f = ermes_event_next(ev, f + 1)) {
        size_t len;
        const char *s;
        uint64_t u;
        int64_t us;
        ermes_ip_t ip;

        if (omit && (omit[f / 64] >> (f % 64) & 1))
            continue;
        s = ermes_event_get(ev, (ermes_field_t)f, &len);
        switch (ermes_field_type((ermes_field_t)f)) {
        case ERMES_FT_INTEGER:
        case ERMES_FT_ASN:
            if (plain_uint(s, len, &u)) {
                rc = entry(out, f, FUINT, -1, u, NULL, 0);
                break;
            }
            rc = entry(out, f, FTEXT, -1, 0, s, len);
            break;
        case ERMES_FT_DATETIME:
            if (plain_time(s, len, &us)) {
                /* zigzag: small negative numbers stay small */
                u = ((uint64_t)us << 1) ^ (uint64_t)(us >> 63);
                rc = entry(out, f, FTIME, -1, u, NULL, 0);
                break;
            }
            rc = entry(out, f, FTEXT, -1, 0, s, len);
            break;
        case ERMES_FT_IP:
            if (plain_ip(s, len, &ip)) {
                int v4 = ip.family == ERMES_AF_INET;
                rc = entry(out, f, v4 ? FIP4 : FIP6, -1, 0, ip.bytes, v4 ? 4 : 16);
                break;
            }
            rc = entry(out, f, FTEXT, -1, 0, s, len);
            break;
        default:
            rc = entry(out, f, FTEXT, -1, 0, s, len);
            break;
        }
        if (rc)
            return rc;
    }
    for (size_t k = 0; k < ermes_event_extra_count(ev); k++) {
        const char *key, *s;
        size_t len;
        ermes_extra_type_t t;
        uint32_t id;
        uint64_t u;

        ermes_event_extra_at(ev, k, &key, &s, &len, &t);
        if ((rc = name_id(ctx, key, strlen(key), &id)))
            return rc;
        if (id > MAX_CODE)
            return ERMES_ETOOBIG;
        if (t == ERMES_EXTRA_STRING)
            rc = entry(out, id, XSTR, -1, 0, s, len);
        else if (t == ERMES_EXTRA_INTEGER && plain_uint(s, len, &u))
            rc = entry(out, id, XUINT, -1, u, NULL, 0);
        else
            rc = entry(out, id, XTYPED, (int)t, 0, s, len);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- unpacking -------------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p, *end;
} reader_t;

static int get_uvarint(reader_t *r, uint64_t *v)
{
    uint64_t x = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (r->p == r->end)
            return -1;
        b = *r->p++;
        if (shift == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static int get_bytes(reader_t *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    *out = r->p;
    r->p += n;
    return 0;
}

static int get_text(reader_t *r, const uint8_t **out, size_t *len)
{
    uint64_t n;

    if (get_uvarint(r, &n) || n > (uint64_t)(r->end - r->p))
        return -1;
    *len = (size_t)n;
    return get_bytes(r, *len, out);
}

static size_t format_uint(uint64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0, k = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf[k++] = tmp[--n];
    buf[k] = '\0';
    return k;
}

/* The types IntelMQ's JSON writes without quotes: a text of theirs must be valid for them. */
static int unquoted(ermes_ftype_t t)
{
    return t == ERMES_FT_INTEGER || t == ERMES_FT_FLOAT || t == ERMES_FT_BOOLEAN ||
           t == ERMES_FT_ACCURACY || t == ERMES_FT_ASN || t == ERMES_FT_JSON;
}

/* Whether a field's binary kind is one packing gives its type. */
static int kind_fits(enum kind k, uint32_t code)
{
    ermes_ftype_t t;

    if (k != FUINT && k != FTIME && k != FIP4 && k != FIP6)
        return 1;
    t = ermes_field_type((ermes_field_t)code);
    if (k == FUINT)
        return t == ERMES_FT_INTEGER || t == ERMES_FT_ASN;
    if (k == FTIME)
        return t == ERMES_FT_DATETIME;
    return t == ERMES_FT_IP;
}

static int damaged(ermes_diag_t *d, size_t at, const char *why)
{
    ermes_diag_set(d, NULL, "the packed event is damaged at byte %zu: %s", at, why);
    return ERMES_EINVAL;
}

int ermes__event_unpack(ermes_event_t *ev, const void *doc, size_t len,
                        ermes__event_name_of_fn name_of, void *ctx, ermes_diag_t *d)
{
    reader_t r = {doc, (const uint8_t *)doc + len};
    char buf[64];

    if (len == 0 || r.p[0] != ERMES_EVENT_PACK_V1)
        return damaged(d, 0, "not a packed event of a known version");
    r.p++;
    while (r.p < r.end) {
        size_t at = (size_t)(r.p - (const uint8_t *)doc), n = 0;
        const uint8_t *bytes = NULL;
        const char *text = buf, *name;
        uint64_t tag, num;
        uint32_t code;
        size_t namelen;
        ermes_extra_type_t t = ERMES_EXTRA_STRING;
        enum kind k;
        int rc;

        if (get_uvarint(&r, &tag) || tag >> 3 > MAX_CODE)
            return damaged(d, at, "a bad tag");
        k = (enum kind)(tag & 7);
        code = (uint32_t)(tag >> 3);
        if (k <= FIP6 && code >= ERMES_F_COUNT)
            return damaged(d, at, "an unknown field number");
        if (!kind_fits(k, code))
            return damaged(d, at, "a binary form the field's type does not have");
        switch (k) {
        case FTEXT:
        case XSTR:
            if (get_text(&r, &bytes, &n))
                return damaged(d, at, "a text runs past the end");
            text = (const char *)bytes;
            break;
        case XTYPED:
            if (get_bytes(&r, 1, &bytes) || *bytes > ERMES_EXTRA_JSON)
                return damaged(d, at, "a bad extra type");
            t = (ermes_extra_type_t)*bytes;
            if (get_text(&r, &bytes, &n))
                return damaged(d, at, "a text runs past the end");
            text = (const char *)bytes;
            break;
        case FUINT:
        case XUINT:
            if (get_uvarint(&r, &num) || num > (uint64_t)INT64_MAX)
                return damaged(d, at, "a bad number"); /* integers are 64-bit, signed */
            n = format_uint(num, buf);
            t = ERMES_EXTRA_INTEGER;
            break;
        case FTIME: {
            int64_t us;
            if (get_uvarint(&r, &num))
                return damaged(d, at, "a bad time");
            us = (int64_t)(num >> 1) ^ -(int64_t)(num & 1);
            if (us < MIN_US || us > MAX_US)
                return damaged(d, at, "a time out of range");
            n = ermes__datetime_format_us(us, buf);
            break;
        }
        case FIP4:
        case FIP6: {
            ermes_ip_t ip;
            char ipbuf[ERMES_IP_STRLEN];
            memset(&ip, 0, sizeof(ip));
            ip.family = k == FIP4 ? ERMES_AF_INET : ERMES_AF_INET6;
            if (get_bytes(&r, k == FIP4 ? 4 : 16, &bytes))
                return damaged(d, at, "an address runs past the end");
            memcpy(ip.bytes, bytes, k == FIP4 ? 4 : 16);
            n = ermes_ip_format(&ip, ipbuf);
            memcpy(buf, ipbuf, n + 1);
            break;
        }
        }
        /* Texts are checked as JSON needs them: one damaged byte must not make the JSON a
         * reader gets invalid. Types written unquoted go through their harmonizer. */
        if ((k == FTEXT || k == XSTR || k == XTYPED) &&
            (memchr(text, '\0', n) || !ermes__utf8_valid(text, n)))
            return damaged(d, at, "a text that is not UTF-8");
        if (k == FTEXT && unquoted(ermes_field_type((ermes_field_t)code))) {
            rc = ermes_event_set(ev, (ermes_field_t)code, text, n, NULL);
        } else if (k <= FIP6) {
            rc = ermes__event_put(ev, (ermes_field_t)code, text, n);
        } else {
            if ((rc = name_of(ctx, code, &name, &namelen)))
                return rc == ERMES_ENOTFOUND ? damaged(d, at, "an unknown extra name") : rc;
            if (k == XTYPED && t != ERMES_EXTRA_STRING)
                rc = ermes_event_set_extra(ev, name, namelen, text, n, t, NULL);
            else
                rc = ermes__event_put_extra(ev, name, namelen, text, n, t);
        }
        if (rc)
            return rc == ERMES_EINVAL ? damaged(d, at, "a value its type does not allow") : rc;
    }
    return 0;
}
