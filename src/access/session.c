/* Browser sessions: creation, authentication by cookie, and the login with its lock-out. */
#include "access/access.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"

/* 32 random bytes as 43 base64url characters. */
static void random_secret(char out[ERMES_SESSION_STRLEN])
{
    unsigned char raw[32];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, ERMES_SESSION_STRLEN, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

int ermes__session_create(ermes__store_t *st, int64_t user_id, int64_t ttl_ms, const char *ip,
                          const char *user_agent, char secret[ERMES_SESSION_STRLEN],
                          ermes__session_t *s)
{
    int rc;

    memset(s, 0, sizeof(*s));
    random_secret(secret);
    _Static_assert(sizeof(s->csrf) >= ERMES_SESSION_STRLEN, "csrf buffer too small");
    random_secret(s->csrf);
    ermes__token_hash(secret, strlen(secret), s->hash);
    s->user_id = user_id;
    s->created_at = s->last_seen = ermes__time_now_ms();
    s->expires_at = s->created_at + ttl_ms;
    snprintf(s->ip, sizeof(s->ip), "%s", ip ? ip : "");
    snprintf(s->user_agent, sizeof(s->user_agent), "%s", user_agent ? user_agent : "");
    rc = ermes__store_session_insert(st, s);
    if (rc)
        sodium_memzero(secret, ERMES_SESSION_STRLEN);
    return rc;
}

int ermes__session_authenticate(ermes__store_t *st, const char *secret, size_t len, int64_t idle_ms,
                                ermes__user_t *u, ermes__session_t *s, ermes_diag_t *d)
{
    uint8_t hash[32];
    int64_t now = ermes__time_now_ms(), every;
    int rc;

    if (len != ERMES_SESSION_STRLEN - 1) {
        ermes_diag_set(d, NULL, "unknown session");
        return ERMES_EAUTH;
    }
    ermes__token_hash(secret, len, hash);
    rc = ermes__store_session_find(st, hash, s);
    if (rc == ERMES_ENOTFOUND || (!rc && sodium_memcmp(hash, s->hash, sizeof(hash)) != 0)) {
        ermes_diag_set(d, NULL, "unknown session");
        return ERMES_EAUTH;
    }
    if (rc)
        return rc;
    if (s->expires_at <= now || s->last_seen + idle_ms <= now) {
        ermes__store_session_delete(st, s->id);
        ermes_diag_set(d, NULL, "the session has expired");
        return ERMES_EAUTH;
    }
    rc = ermes__store_user_get(st, s->user_id, NULL, u);
    if (rc == ERMES_ENOTFOUND || (!rc && u->disabled)) {
        ermes__store_session_delete(st, s->id);
        ermes_diag_set(d, NULL, "the user is disabled");
        return ERMES_EAUTH;
    }
    /* A user made a sensor after signing in loses the session: sensors use tokens only. */
    if (!rc && u->role == ERMES_ROLE_SENSOR) {
        ermes__store_session_delete(st, s->id);
        memset(u, 0, sizeof(*u));
        ermes_diag_set(d, NULL, "a sensor user cannot use a session");
        return ERMES_EAUTH;
    }
    if (rc)
        return rc;
    every = idle_ms / 4 < 60000 ? idle_ms / 4 : 60000;
    if (now - s->last_seen >= every && ermes__store_session_touch(st, s->id, now) == 0)
        s->last_seen = now;
    return 0;
}

int ermes__login_locked(const int64_t *times, size_t n, int64_t now, int64_t *left)
{
    int64_t until;

    *left = 0;
    if (n < ERMES_LOGIN_MAX_FAILURES)
        return 0;
    if (times[0] - times[ERMES_LOGIN_MAX_FAILURES - 1] > ERMES_LOGIN_WINDOW_MS)
        return 0;
    until = times[0] + ERMES_LOGIN_LOCK_MS;
    if (now >= until)
        return 0;
    *left = until - now;
    return 1;
}

/* An argon2id hash of a password nobody knows: an unknown name is checked against it, so it
 * costs the same time as a known one and the answer's delay tells nothing. */
static char dummy_hash[ERMES_PWHASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    char pw[ERMES_SESSION_STRLEN];

    random_secret(pw);
    if (ermes__password_hash(pw, dummy_hash, NULL))
        dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof(pw));
}

int ermes__login(ermes__store_t *st, const char *name, const char *password,
                 ermes__login_factor_t *f, const char *ip, ermes__user_t *u, int *locked,
                 int64_t *retry_after_s)
{
    int64_t times[ERMES_LOGIN_MAX_FAILURES], now = ermes__time_now_ms(), left;
    size_t n = 0;
    int rc, known, ok, was_locked;

    *locked = 0;
    *retry_after_s = 0;
    if (f)
        f->state = ERMES_FACTOR_NONE;
    rc = ermes__store_login_failures(st, name, now - ERMES_LOGIN_WINDOW_MS - ERMES_LOGIN_LOCK_MS,
                                     times, ERMES_LOGIN_MAX_FAILURES, &n);
    if (rc)
        return rc;
    /* A locked name stays open to addresses that took no part in locking it: whoever floods
     * "admin" with wrong passwords locks out their own address, not the administrator
     * signing in from elsewhere (docs/API.md, "Sessions"). */
    was_locked = ermes__login_locked(times, n, now, &left);
    if (was_locked) {
        int64_t mine = 0;
        if ((rc = ermes__store_login_failures_from(
                 st, name, ip, now - ERMES_LOGIN_WINDOW_MS - ERMES_LOGIN_LOCK_MS, &mine)))
            return rc;
        if (mine > 0) {
            *retry_after_s = (left + 999) / 1000;
            return ERMES_EDENIED;
        }
    }
    rc = ermes__store_user_get(st, 0, name, u);
    if (rc && rc != ERMES_ENOTFOUND)
        return rc;
    known = rc == 0 && !u->disabled && u->password_hash[0];
    pthread_once(&dummy_once, make_dummy);
    /* The argon2id work is done whatever the name: the same time for every failure. */
    ok = ermes__password_verify(known ? u->password_hash : dummy_hash, password) == 0 && known;
    /* The second factor is checked before the failures are forgotten: otherwise whoever has
     * the password could try codes without end, each right password resetting the count. */
    if (ok && u->totp_enabled) {
        const char *code = f ? f->totp : NULL, *rec = f ? f->recovery_code : NULL;
        int by_recovery = 0;
        if (!(code && *code) && !(rec && *rec)) {
            if (f)
                f->state = ERMES_FACTOR_MISSING;
            memset(u, 0, sizeof(*u));
            return ERMES_EAUTH;
        }
        rc = ermes__totp_check(st, u->id, code, rec, &by_recovery, f ? &f->recovery_left : NULL);
        if (rc && rc != ERMES_EAUTH)
            return rc;
        ok = rc == 0;
        if (f)
            f->state = !ok           ? ERMES_FACTOR_WRONG
                       : by_recovery ? ERMES_FACTOR_RECOVERY
                                     : ERMES_FACTOR_TOTP;
    }
    if (ok) {
        ermes__store_login_failures_clear(st, name, ip);
        return 0;
    }
    if ((rc = ermes__store_login_failure_add(st, name, now, ip)))
        return rc;
    /* This failure may be the one that locks the name. */
    memmove(times + 1, times, (ERMES_LOGIN_MAX_FAILURES - 1) * sizeof(times[0]));
    times[0] = now;
    n = n < ERMES_LOGIN_MAX_FAILURES ? n + 1 : n;
    *locked = !was_locked && ermes__login_locked(times, n, now, &left);
    memset(u, 0, sizeof(*u));
    return ERMES_EAUTH;
}
