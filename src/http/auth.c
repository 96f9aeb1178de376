/* A small cache in front of token authentication. Without it every API request would hash
 * the token and query two tables; with it a request costs one hash and one probe. Entries are
 * keyed by the token's BLAKE2b hash (never the secret) and live AUTH_TTL_MS, so a token
 * revoked or a user disabled by another process stops working within that time; revocation
 * through this daemon clears the cache at once. */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"

#define AUTH_SLOTS 1024 /* power of two */
#define AUTH_TTL_MS 2000

typedef struct auth_entry {
    uint8_t hash[32];
    int64_t fetched_at; /* 0: empty */
    int64_t expires_at; /* the token's own expiry */
    ermes__user_t user;
} auth_entry_t;

struct ermes__auth_cache {
    pthread_rwlock_t lock;
    auth_entry_t slots[AUTH_SLOTS];
};

int ermes__auth_cache_new(struct ermes__auth_cache **out)
{
    struct ermes__auth_cache *c = ermes__calloc(1, sizeof(*c));

    if (!c)
        return ERMES_ENOMEM;
    pthread_rwlock_init(&c->lock, NULL);
    *out = c;
    return 0;
}

void ermes__auth_cache_free(struct ermes__auth_cache *c)
{
    if (!c)
        return;
    pthread_rwlock_destroy(&c->lock);
    sodium_memzero(c, sizeof(*c));
    ermes__free(c);
}

void ermes__auth_cache_clear(struct ermes__auth_cache *c)
{
    pthread_rwlock_wrlock(&c->lock);
    for (size_t k = 0; k < AUTH_SLOTS; k++)
        c->slots[k].fetched_at = 0;
    pthread_rwlock_unlock(&c->lock);
}

int ermes__auth_token(ermes__server_t *srv, const char *secret, size_t len, ermes__user_t *u,
                      ermes_diag_t *d)
{
    struct ermes__auth_cache *c = srv->auth;
    uint8_t hash[32];
    ermes__token_t t;
    int64_t now = ermes__time_now_ms();
    auth_entry_t *e;
    int rc, hit = 0;

    if (len > 256) {
        ermes_diag_set(d, NULL, "unknown token");
        return ERMES_EAUTH;
    }
    ermes__token_hash(secret, len, hash);
    e = &c->slots[(hash[0] | (size_t)hash[1] << 8) & (AUTH_SLOTS - 1)];
    pthread_rwlock_rdlock(&c->lock);
    if (e->fetched_at && now - e->fetched_at < AUTH_TTL_MS && now < e->expires_at &&
        sodium_memcmp(e->hash, hash, sizeof(hash)) == 0) {
        *u = e->user;
        hit = 1;
    }
    pthread_rwlock_unlock(&c->lock);
    if (hit)
        return 0;
    rc = ermes__token_authenticate(srv->store, secret, len, u, &t, d);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&c->lock);
    memcpy(e->hash, hash, sizeof(hash));
    e->fetched_at = now;
    e->expires_at = t.expires_at;
    e->user = *u;
    pthread_rwlock_unlock(&c->lock);
    return 0;
}
