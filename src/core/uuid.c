#include "core/uuid.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ermes/error.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ermes__uuid_valid(const char *s, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (hexval(s[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

static void format(const unsigned char b[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;

    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    out[k] = '\0';
}

int ermes__uuid5(const char *ns, const char *name, size_t len, char out[37])
{
    unsigned char nsb[16], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    size_t k = 0;

    if (!ns || !ermes__uuid_valid(ns, strlen(ns)))
        return ERMES_EINVAL;
    for (size_t i = 0; i < 36; i++) {
        if (ns[i] == '-')
            continue;
        nsb[k / 2] = (unsigned char)(k % 2 ? nsb[k / 2] | hexval(ns[i]) : hexval(ns[i]) << 4);
        k++;
    }
    /* RFC 9562 5.5: SHA-1 of the namespace's 16 bytes then the name; version and variant bits
     * over the first 16 bytes of the digest. */
    if (!(ctx = EVP_MD_CTX_new()))
        return ERMES_ENOMEM;
    if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 || EVP_DigestUpdate(ctx, nsb, 16) != 1 ||
        EVP_DigestUpdate(ctx, name, len) != 1 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
        EVP_MD_CTX_free(ctx);
        return ERMES_EINTERNAL;
    }
    EVP_MD_CTX_free(ctx);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    format(md, out);
    return 0;
}

void ermes__uuid4(char out[37])
{
    unsigned char b[16];

    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    format(b, out);
}
