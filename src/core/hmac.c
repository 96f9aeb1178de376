/* HMAC-SHA256 in hex (hmac.h), on libsodium's HMAC-SHA256, whose multi-part interface takes a
 * key of any length (the one-shot crypto_auth_hmacsha256 wants exactly 32 bytes). */
#include "core/hmac.h"

#include <sodium.h>

#include "ermes/error.h"

int ermes__hmac_sha256_hex(const void *key, size_t klen, const void *msg, size_t mlen,
                           char out[ERMES_HMAC_SHA256_HEX])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];

    if (sodium_init() < 0)
        return ERMES_EINTERNAL;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, msg, mlen);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, ERMES_HMAC_SHA256_HEX, mac, sizeof(mac));
    sodium_memzero(&st, sizeof(st));
    return 0;
}
