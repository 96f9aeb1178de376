/* The second factor: time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1,
 * 30 s steps, 6 digits, one step of clock drift either way), their enrolment (secret, otpauth://
 * URI, QR code as SVG) and single-use recovery codes. A code is accepted once: the store keeps
 * the newest step a code was accepted for, and only later steps pass. */
#include "access/access.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time.h"

/* RFC 4648 section 6, the alphabet authenticator apps read. */
static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int ermes__base32_encode(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t need = (n * 8 + 4) / 5, o = 0;
    unsigned bits = 0, acc = 0;

    if (cap < need + 1)
        return ERMES_ETOOBIG;
    for (size_t k = 0; k < n; k++) {
        acc = (acc << 8) | p[k];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return 0;
}

int ermes__hotp(const uint8_t *key, size_t len, uint64_t counter, int digits, uint32_t *out)
{
    static const uint32_t pow10[] = {1,      10,      100,      1000,      10000,
                                     100000, 1000000, 10000000, 100000000, 1000000000};
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0, off;
    uint32_t bin;

    if (digits < 6 || digits > 9 || len == 0 || len > 64)
        return ERMES_EINVAL;
    /* RFC 4226 section 5.2: the counter is 8 bytes, big-endian. */
    for (int k = 7; k >= 0; k--) {
        msg[k] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
    if (!HMAC(EVP_sha1(), key, (int)len, msg, sizeof(msg), mac, &maclen) || maclen != 20)
        return ERMES_EINTERNAL;
    /* RFC 4226 section 5.3: dynamic truncation. */
    off = mac[19] & 0x0f;
    bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
          ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    *out = bin % pow10[digits];
    sodium_memzero(mac, sizeof(mac));
    return 0;
}

int64_t ermes__totp_step(int64_t now_ms)
{
    /* RFC 6238 section 4.2: T = floor((unix time - T0) / X), T0 = 0, X = 30 s. */
    return now_ms / 1000 / ERMES_TOTP_PERIOD;
}

int ermes__totp_match(const uint8_t *key, size_t len, const char *code, int64_t now_ms,
                      int64_t after_step, int64_t *step)
{
    int64_t cur = ermes__totp_step(now_ms);
    char want[16];
    int found = 0;

    if (!code || strlen(code) != ERMES_TOTP_DIGITS ||
        strspn(code, "0123456789") != ERMES_TOTP_DIGITS)
        return ERMES_EAUTH;
    /* RFC 6238 section 5.2: one step of drift either way. Every candidate is computed and
     * compared, so the time taken does not say which one matched. */
    for (int64_t s = cur - 1; s <= cur + 1; s++) {
        uint32_t v;
        int rc = ermes__hotp(key, len, (uint64_t)s, ERMES_TOTP_DIGITS, &v);
        if (rc)
            return rc;
        snprintf(want, sizeof(want), "%0*u", ERMES_TOTP_DIGITS, v);
        if (sodium_memcmp(want, code, ERMES_TOTP_DIGITS) == 0 && s > after_step && !found) {
            *step = s;
            found = 1;
        }
    }
    sodium_memzero(want, sizeof(want));
    return found ? 0 : ERMES_EAUTH;
}

/* A recovery code as typed: separators and case do not matter. Leaves the 16 base32
 * characters in out; ERMES_EAUTH when it cannot be one. */
static int recovery_normalise(const char *in, char out[17])
{
    size_t n = 0;

    for (; *in; in++) {
        char c = *in;
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (!strchr(b32_alphabet, c) || c == '\0' || n == 16)
            return ERMES_EAUTH;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 16 ? 0 : ERMES_EAUTH;
}

int ermes__totp_begin(ermes__store_t *st, const ermes__user_t *u, const char *issuer,
                      ermes__totp_enrolment_t *out)
{
    uint8_t secret[ERMES_TOTP_SECRET_BYTES];
    char label[3 * (ERMES_USER_NAME_MAX + 64) + 2];
    size_t o = 0;
    int rc, w;

    memset(out, 0, sizeof(*out));
    randombytes_buf(secret, sizeof(secret));
    if ((rc = ermes__base32_encode(secret, sizeof(secret), out->secret, sizeof(out->secret))))
        goto out;
    /* The label is "issuer:name", percent-encoded but for unreserved characters (Key URI
     * format of Google Authenticator, which the other apps follow). */
    for (const char *part = issuer; part; part = part == issuer ? u->name : NULL) {
        for (const unsigned char *c = (const unsigned char *)part; *c && o + 4 < sizeof(label);
             c++) {
            if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                *c == '-' || *c == '.' || *c == '_')
                label[o++] = (char)*c;
            else
                o += (size_t)snprintf(label + o, sizeof(label) - o, "%%%02X", *c);
        }
        if (part == issuer && o + 4 < sizeof(label))
            label[o++] = ':';
    }
    label[o] = '\0';
    w = snprintf(out->uri, sizeof(out->uri),
                 "otpauth://totp/%s?secret=%s&issuer=%.*s&algorithm=SHA1&digits=%d&period=%d",
                 label, out->secret, (int)strcspn(label, ":"), label, ERMES_TOTP_DIGITS,
                 ERMES_TOTP_PERIOD);
    if (w < 0 || (size_t)w >= sizeof(out->uri)) {
        rc = ERMES_ETOOBIG;
        goto out;
    }
    rc = ermes__store_totp_put(st, u->id, secret, sizeof(secret));
out:
    sodium_memzero(secret, sizeof(secret));
    if (rc)
        sodium_memzero(out, sizeof(*out));
    return rc;
}

int ermes__totp_confirm(ermes__store_t *st, const ermes__user_t *u, const char *code,
                        char codes[ERMES_RECOVERY_CODES][ERMES_RECOVERY_CODE_STRLEN])
{
    uint8_t hashes[ERMES_RECOVERY_CODES][32];
    ermes__store_totp_t t;
    int64_t step = 0;
    int rc;

    if ((rc = ermes__store_totp_get(st, u->id, &t)))
        return rc;
    if (t.enabled_at) {
        rc = ERMES_ECONFLICT;
        goto out;
    }
    if ((rc = ermes__totp_match(t.secret, t.secret_len, code, ermes__time_now_ms(), t.last_step,
                                &step)))
        goto out;
    for (size_t k = 0; k < ERMES_RECOVERY_CODES; k++) {
        uint8_t raw[10];
        char b32[17];
        randombytes_buf(raw, sizeof(raw));
        ermes__base32_encode(raw, sizeof(raw), b32, sizeof(b32));
        ermes__token_hash(b32, 16, hashes[k]);
        /* Shown as four groups of four, in lower case: easier to read out and type. */
        for (size_t i = 0, o = 0; i < 16; i++) {
            if (i && i % 4 == 0)
                codes[k][o++] = '-';
            codes[k][o++] = (char)(b32[i] >= 'A' && b32[i] <= 'Z' ? b32[i] + 32 : b32[i]);
            codes[k][o] = '\0';
        }
        sodium_memzero(raw, sizeof(raw));
        sodium_memzero(b32, sizeof(b32));
    }
    rc = ermes__store_totp_enable(st, u->id, step, (const uint8_t(*)[32])hashes,
                                  ERMES_RECOVERY_CODES);
    if (rc == ERMES_ECONFLICT)
        rc = ERMES_EAUTH; /* the same code was used a moment ago */
    if (rc)
        sodium_memzero(codes, ERMES_RECOVERY_CODES * ERMES_RECOVERY_CODE_STRLEN);
out:
    sodium_memzero(&t, sizeof(t));
    return rc;
}

int ermes__totp_check(ermes__store_t *st, int64_t user_id, const char *code,
                      const char *recovery_code, int *by_recovery, int64_t *left)
{
    ermes__store_totp_t t;
    int64_t step;
    int rc;

    *by_recovery = 0;
    if (code && *code) {
        if ((rc = ermes__store_totp_get(st, user_id, &t)))
            return rc == ERMES_ENOTFOUND ? ERMES_EAUTH : rc;
        rc = !t.enabled_at ? ERMES_EAUTH
                           : ermes__totp_match(t.secret, t.secret_len, code, ermes__time_now_ms(),
                                               t.last_step, &step);
        sodium_memzero(&t, sizeof(t));
        if (rc)
            return rc;
        rc = ermes__store_totp_use_step(st, user_id, step);
        return rc == ERMES_ECONFLICT ? ERMES_EAUTH : rc;
    }
    if (recovery_code && *recovery_code) {
        char norm[17];
        uint8_t hash[32];
        if (recovery_normalise(recovery_code, norm))
            return ERMES_EAUTH;
        ermes__token_hash(norm, 16, hash);
        sodium_memzero(norm, sizeof(norm));
        rc = ermes__store_recovery_code_use(st, user_id, hash, left);
        if (!rc)
            *by_recovery = 1;
        return rc;
    }
    return ERMES_EAUTH;
}

int ermes__totp_reset(ermes__store_t *st, int64_t user_id)
{
    return ermes__store_totp_delete(st, user_id);
}

int ermes__totp_qr_svg(const char *text, char **out)
{
    /* Four modules of quiet zone around the symbol (ISO/IEC 18004 section 6.3.8). */
    enum { QUIET = 4 };
    ermes__strbuf_t b;
    QRcode *qr;
    int rc = 0, size;

    *out = NULL;
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return ERMES_ENOMEM;
    size = qr->width + 2 * QUIET;
    ermes__strbuf_init(&b, 1 << 20);
    rc = ermes__strbuf_addf(&b,
                            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                            "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                            "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                            size, size, size, size);
    /* One horizontal run of dark modules per path segment: a fifth of the size of a square
     * per module. */
    for (int y = 0; !rc && y < qr->width; y++) {
        for (int x = 0; !rc && x < qr->width;) {
            int run = 0;
            while (x + run < qr->width && (qr->data[y * qr->width + x + run] & 1))
                run++;
            if (run)
                rc = ermes__strbuf_addf(&b, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
            x += run ? run : 1;
        }
    }
    if (!rc)
        rc = ermes__strbuf_addf(&b, "\"/></svg>");
    QRcode_free(qr);
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return rc;
    }
    *out = ermes__strbuf_take(&b, NULL);
    return *out ? 0 : ERMES_ENOMEM;
}
