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
int ermes__access_init(void);

#define ERMES_PASSWORD_MIN 12
#define ERMES_PASSWORD_MAX 1024

/* argon2id (libsodium's crypto_pwhash_str, INTERACTIVE limits). ERMES_EINVAL with the reason
 * in d for a password shorter than ERMES_PASSWORD_MIN or longer than ERMES_PASSWORD_MAX. */
int ermes__password_hash(const char *password, char out[ERMES_PWHASH_MAX], ermes_diag_t *d);
/* 0 when password matches hash, ERMES_EAUTH otherwise (also for an empty hash). */
int ermes__password_verify(const char *hash, const char *password);

#define ERMES_TOKEN_STRLEN 50 /* "ermes_" + 43 + NUL, rounded up */

/* Creates a token for user_id valid for lifetime_ms; writes the secret (shown once) to secret
 * and fills *t. */
int ermes__token_create(ermes__store_t *st, int64_t user_id, const char *description,
                        int64_t lifetime_ms, char secret[ERMES_TOKEN_STRLEN], ermes__token_t *t);

/* The hash under which a token is stored. */
void ermes__token_hash(const char *secret, size_t len, uint8_t out[32]);

/* Resolves a token to its user. ERMES_EAUTH with d->reason "unknown token", "the token has
 * expired", "the token has been revoked" or "the user is disabled". */
int ermes__token_authenticate(ermes__store_t *st, const char *secret, size_t len, ermes__user_t *u,
                              ermes__token_t *t, ermes_diag_t *d);

/* ---- browser sessions (session.c) ---------------------------------------------------------
 * The cookie holds 256 random bits (43 base64url characters); the store keeps their BLAKE2b-256
 * hash. Each session has its own CSRF token, which the page sends back in X-CSRF-Token. */

#define ERMES_SESSION_STRLEN 44 /* 43 + NUL */
#define ERMES_LOGIN_MAX_FAILURES 5
#define ERMES_LOGIN_WINDOW_MS (15 * 60 * 1000) /* 5 failures within this lock ... */
#define ERMES_LOGIN_LOCK_MS (15 * 60 * 1000)   /* ... the name for this long */

/* Creates a session of user_id lasting ttl_ms from now; writes the cookie's secret to secret
 * and fills *s (CSRF token included). ip and user_agent may be NULL. */
int ermes__session_create(ermes__store_t *st, int64_t user_id, int64_t ttl_ms, const char *ip,
                          const char *user_agent, char secret[ERMES_SESSION_STRLEN],
                          ermes__session_t *s);

/* Resolves a cookie's secret to its session and user. A session past its absolute expiry or
 * idle for idle_ms is ended (ERMES_EAUTH, d->reason "the session has expired"), as is one whose
 * user is disabled or has become a sensor (sensors use tokens only); an unknown one is
 * ERMES_EAUTH "unknown session". last_seen is written at
 * most every min(60 s, idle_ms / 4), so a busy page does not write on every request. */
int ermes__session_authenticate(ermes__store_t *st, const char *secret, size_t len, int64_t idle_ms,
                                ermes__user_t *u, ermes__session_t *s, ermes_diag_t *d);

/* The lock-out rule, on the times (ms) of a name's latest failed logins, newest first: locked
 * when the newest ERMES_LOGIN_MAX_FAILURES fall within ERMES_LOGIN_WINDOW_MS of each other,
 * for ERMES_LOGIN_LOCK_MS after the newest. Returns 1 with the milliseconds left in *left when
 * locked at now, else 0. */
int ermes__login_locked(const int64_t *times, size_t n, int64_t now, int64_t *left);

/* The second factor a login gives, and what became of it. */
typedef enum ermes__factor_state {
    ERMES_FACTOR_NONE = 0, /* the user has no second factor */
    ERMES_FACTOR_MISSING,  /* the password was right, the user has TOTP and no code was given */
    ERMES_FACTOR_WRONG,    /* the password was right, the code or recovery code was not */
    ERMES_FACTOR_TOTP,     /* signed in with a TOTP code */
    ERMES_FACTOR_RECOVERY  /* signed in with a recovery code (now used) */
} ermes__factor_state_t;

typedef struct ermes__login_factor {
    const char *totp;            /* in: the 6-digit code, or NULL */
    const char *recovery_code;   /* in: a recovery code, or NULL */
    ermes__factor_state_t state; /* out */
    int64_t recovery_left;       /* out: unused recovery codes, after ERMES_FACTOR_RECOVERY */
} ermes__login_factor_t;

/* Checks name, password and, for a user with TOTP enabled, the second factor in f (which may
 * be NULL: no code given). 0 with *u on success;
 * ERMES_EAUTH for an unknown name, a wrong password, a disabled user or one without a password,
 * all alike and all after the same argon2id work, each recorded as a failure from ip (*locked
 * set to 1 when that failure locks the name); ERMES_EAUTH with f->state ERMES_FACTOR_WRONG for
 * a wrong or replayed code, recorded as a failure the same way; ERMES_EAUTH with
 * ERMES_FACTOR_MISSING when no code was given (not a failure, and the failures are not
 * forgotten: only a complete login does that); ERMES_EDENIED while the name is locked for ip,
 * with the seconds until it opens in *retry_after_s (no password is checked then). A locked
 * name is locked only for the addresses with a failure of it in the window: another address
 * may still try (and, failing, is locked too). A success forgets the name's failures from ip
 * only. */
int ermes__login(ermes__store_t *st, const char *name, const char *password,
                 ermes__login_factor_t *f, const char *ip, ermes__user_t *u, int *locked,
                 int64_t *retry_after_s);

/* ---- second factor (totp.c) ---------------------------------------------------------------
 * RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits, a code of the step before or after the
 * current one accepted too, and no code accepted twice. Secrets are 160 random bits, shown
 * once at enrolment and never again. Recovery codes: ERMES_RECOVERY_CODES of 80 random bits
 * each, shown once, stored as BLAKE2b-256 hashes, each good for one login. */

#define ERMES_TOTP_SECRET_BYTES 20
#define ERMES_TOTP_PERIOD 30
#define ERMES_TOTP_DIGITS 6
#define ERMES_RECOVERY_CODES 10
#define ERMES_RECOVERY_CODE_STRLEN 20 /* "abcd-efgh-ijkl-mnop" + NUL */

/* RFC 4648 base32 of p (no padding) into out; ERMES_ETOOBIG when cap is too small. */
int ermes__base32_encode(const uint8_t *p, size_t n, char *out, size_t cap);
/* RFC 4226 section 5.3: the HOTP value of key at counter, with digits (6 to 9) digits. */
int ermes__hotp(const uint8_t *key, size_t len, uint64_t counter, int digits, uint32_t *out);
/* The RFC 6238 time step of now_ms (ms since the epoch). */
int64_t ermes__totp_step(int64_t now_ms);
/* 0 with the matching step in *step when code is key's code at now_ms, at the step before or
 * the step after, and that step is later than after_step; ERMES_EAUTH otherwise. */
int ermes__totp_match(const uint8_t *key, size_t len, const char *code, int64_t now_ms,
                      int64_t after_step, int64_t *step);

typedef struct ermes__totp_enrolment {
    char secret[40]; /* base32, for typing into an app */
    char uri[512];   /* otpauth://totp/... for the QR code */
} ermes__totp_enrolment_t;

/* Starts (or starts again) u's enrolment with a new secret, under issuer (the app's label).
 * ERMES_ECONFLICT when u has TOTP enabled already. */
int ermes__totp_begin(ermes__store_t *st, const ermes__user_t *u, const char *issuer,
                      ermes__totp_enrolment_t *out);
/* Ends u's enrolment when code is right for the pending secret: TOTP is enabled and the new
 * recovery codes, to be shown once, are written to codes. ERMES_ENOTFOUND when no enrolment
 * was started, ERMES_ECONFLICT when TOTP is enabled already, ERMES_EAUTH for a wrong code. */
int ermes__totp_confirm(ermes__store_t *st, const ermes__user_t *u, const char *code,
                        char codes[ERMES_RECOVERY_CODES][ERMES_RECOVERY_CODE_STRLEN]);
/* Checks a second factor of user_id: code (6 digits) when not NULL or empty, else
 * recovery_code. 0 on success (*by_recovery 1 when a recovery code was used up, with the codes
 * left in *left); ERMES_EAUTH when wrong, replayed, or the user has no TOTP enabled. */
int ermes__totp_check(ermes__store_t *st, int64_t user_id, const char *code,
                      const char *recovery_code, int *by_recovery, int64_t *left);
/* Forgets user_id's secret and recovery codes (a lost device); ERMES_ENOTFOUND when none. */
int ermes__totp_reset(ermes__store_t *st, int64_t user_id);
/* text as a QR code (error correction M) in an SVG document; caller frees with ermes__free. */
int ermes__totp_qr_svg(const char *text, char **out);

/* Writes one audit record on behalf of viewer v. detail may be NULL (JSON text otherwise). */
int ermes__audit_write(ermes__store_t *st, const ermes__viewer_t *v, const char *action,
                       const char *object_type, const char *object_id, const char *detail);
/* A change of setting name (object "setting"): detail {"old": ..., "new": ...}, or for a secret
 * {"value": "changed"} (a secret is never written out, not even here). removed: the stored
 * value was removed (action "delete"), new is the value in force after. */
int ermes__audit_setting(ermes__store_t *st, const ermes__viewer_t *v, const char *name, int secret,
                         const char *old, const char *new_value, int removed);

#endif
