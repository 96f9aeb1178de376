/* Users and access: argon2id passwords, API tokens, authentication of a request, the audit
 * log. Tokens are 256 random bits shown once as "ermes_" + 43 base64url characters; only their
 * BLAKE2b-256 hash is stored, so a stolen database yields no usable token. */
#ifndef ERMES_ACCESS_ACCESS_H
#define ERMES_ACCESS_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "model/user.h"
#include "store/store.h"

/* Initialises libsodium; call once before anything else here. */
int ermes_access_init(void);

#define ERMES_PASSWORD_MIN 12
#define ERMES_PASSWORD_MAX 1024

/* argon2id (libsodium's crypto_pwhash_str, INTERACTIVE limits). ERMES_EINVAL with the reason
 * in d for a password shorter than ERMES_PASSWORD_MIN or longer than ERMES_PASSWORD_MAX. */
int ermes_password_hash(const char *password, char out[ERMES_PWHASH_MAX], ermes_diag_t *d);
/* 0 when password matches hash, ERMES_EAUTH otherwise (also for an empty hash). */
int ermes_password_verify(const char *hash, const char *password);

#define ERMES_TOKEN_STRLEN 50 /* "ermes_" + 43 + NUL, rounded up */

/* Creates a token for user_id valid for lifetime_ms; writes the secret (shown once) to secret
 * and fills *t. */
int ermes_token_create(ermes_store_t *st, int64_t user_id, const char *description,
                       int64_t lifetime_ms, char secret[ERMES_TOKEN_STRLEN], ermes_token_t *t);

/* The hash under which a token is stored. */
void ermes_token_hash(const char *secret, size_t len, uint8_t out[32]);

/* Resolves a token to its user. ERMES_EAUTH with d->reason "unknown token", "the token has
 * expired", "the token has been revoked" or "the user is disabled". */
int ermes_token_authenticate(ermes_store_t *st, const char *secret, size_t len, ermes_user_t *u,
                             ermes_token_t *t, ermes_diag_t *d);

/* Writes one audit record on behalf of viewer v. detail may be NULL (JSON text otherwise). */
int ermes_audit_write(ermes_store_t *st, const ermes_viewer_t *v, const char *action,
                      const char *object_type, const char *object_id, const char *detail);

#endif
