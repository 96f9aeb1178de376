#include "access/access.h"

#include <sodium.h>
#include <string.h>

int ermes__access_init(void)
{
    return sodium_init() < 0 ? ERMES_EINTERNAL : 0;
}

int ermes__password_hash(const char *password, char out[ERMES_PWHASH_MAX], ermes_diag_t *d)
{
    size_t n = strlen(password);

    if (n < ERMES_PASSWORD_MIN) {
        ermes_diag_set(d, "password", "a password needs at least %d characters",
                       ERMES_PASSWORD_MIN);
        return ERMES_EINVAL;
    }
    if (n > ERMES_PASSWORD_MAX) {
        ermes_diag_set(d, "password", "a password may have at most %d characters",
                       ERMES_PASSWORD_MAX);
        return ERMES_EINVAL;
    }
    _Static_assert(crypto_pwhash_STRBYTES <= ERMES_PWHASH_MAX, "hash buffer too small");
    if (crypto_pwhash_str_alg(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return ERMES_ENOMEM;
    return 0;
}

int ermes__password_verify(const char *hash, const char *password)
{
    if (!hash[0])
        return ERMES_EAUTH;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : ERMES_EAUTH;
}
