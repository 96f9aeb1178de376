/* API tokens: 256 random bits shown once, kept as a BLAKE2b-256 hash, compared in constant time */
#include "access/access.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"

#define TOKEN_PREFIX "ermes_"

void ermes__token_hash(const char *secret, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, len, NULL, 0);
}

int ermes__token_create(ermes__store_t *st, int64_t user_id, const char *description,
                        int64_t lifetime_ms, char secret[ERMES_TOKEN_STRLEN], ermes__token_t *t)
{
    unsigned char raw[32];
    int rc;

    randombytes_buf(raw, sizeof(raw));
    memcpy(secret, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
    sodium_bin2base64(secret + sizeof(TOKEN_PREFIX) - 1,
                      ERMES_TOKEN_STRLEN - (sizeof(TOKEN_PREFIX) - 1), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    memset(t, 0, sizeof(*t));
    t->user_id = user_id;
    ermes__token_hash(secret, strlen(secret), t->hash);
    snprintf(t->prefix, sizeof(t->prefix), "%.12s", secret);
    snprintf(t->description, sizeof(t->description), "%s", description ? description : "");
    t->created_at = ermes__time_now_ms();
    t->expires_at = t->created_at + lifetime_ms;
    rc = ermes__store_token_insert(st, t);
    if (rc)
        sodium_memzero(secret, ERMES_TOKEN_STRLEN);
    return rc;
}

int ermes__token_authenticate(ermes__store_t *st, const char *secret, size_t len, ermes__user_t *u,
                              ermes__token_t *t, ermes_diag_t *d)
{
    uint8_t hash[32];
    int rc;

    /* Anything that is not shaped like one of our tokens is refused before the database. */
    if (len != sizeof(TOKEN_PREFIX) - 1 + 43 ||
        memcmp(secret, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) != 0) {
        ermes_diag_set(d, NULL, "unknown token");
        return ERMES_EAUTH;
    }
    ermes__token_hash(secret, len, hash);
    rc = ermes__store_token_find(st, hash, t);
    if (rc == ERMES_ENOTFOUND) {
        ermes_diag_set(d, NULL, "unknown token");
        return ERMES_EAUTH;
    }
    if (rc)
        return rc;
    /* The lookup went by hash; compare again in constant time so no early-exit comparison in
     * the database's index can be timed. */
    if (sodium_memcmp(hash, t->hash, sizeof(hash)) != 0) {
        ermes_diag_set(d, NULL, "unknown token");
        return ERMES_EAUTH;
    }
    if (t->revoked_at) {
        ermes_diag_set(d, NULL, "the token has been revoked");
        return ERMES_EAUTH;
    }
    if (t->expires_at <= ermes__time_now_ms()) {
        ermes_diag_set(d, NULL, "the token has expired");
        return ERMES_EAUTH;
    }
    rc = ermes__store_user_get(st, t->user_id, NULL, u);
    if (rc == ERMES_ENOTFOUND || (!rc && u->disabled)) {
        ermes_diag_set(d, NULL, "the user is disabled");
        return ERMES_EAUTH;
    }
    return rc;
}
