/* SHA-256 through OpenSSL's EVP interface (see sha256.h). */
#include "core/sha256.h"

#include <openssl/evp.h>

/* ermes__sha256_t is an EVP_MD_CTX under another name. */
ermes__sha256_t *ermes__sha256_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return (ermes__sha256_t *)ctx;
}

void ermes__sha256_update(ermes__sha256_t *h, const void *p, size_t n)
{
    if (n)
        EVP_DigestUpdate((EVP_MD_CTX *)h, p, n);
}

void ermes__sha256_final(ermes__sha256_t *h, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &n);
    EVP_MD_CTX_free((EVP_MD_CTX *)h);
    for (unsigned int k = 0; k < n && k < 32; k++) {
        hex[2 * k] = digits[md[k] >> 4];
        hex[2 * k + 1] = digits[md[k] & 15];
    }
    hex[64] = '\0';
}

void ermes__sha256_free(ermes__sha256_t *h)
{
    EVP_MD_CTX_free((EVP_MD_CTX *)h);
}
