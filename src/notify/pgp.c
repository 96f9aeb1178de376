/* OpenPGP signatures of notifications with gpgme: a detached, ASCII-armoured signature by the
 * key notify_pgp_key from the keyring of notify_pgp_home (or GNUPGHOME), for PGP/MIME (RFC
 * 3156, built in message.c). The key must sign without a passphrase prompt: a daemon has
 * nobody to type it, so pinentry is never asked (a key that needs one fails with a reason). */
#include "notify/notify.h"

#include <errno.h>
#include <gpgme.h>
#include <sodium.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/time.h"

static pthread_once_t pgp_once = PTHREAD_ONCE_INIT;
static const char *pgp_version;

/* gpgme_check_version initialises the library; it must run once before any other call. */
static void pgp_init(void)
{
    pgp_version = gpgme_check_version(NULL);
}

/* ---- idle gpgme contexts ------------------------------------------------------------------ */

/* Contexts are kept between messages, by keyring (and, for signing, by key): making one with
 * a home directory costs a `gpg --version` run (gpgme_ctx_set_engine_info asks the engine its
 * version), and finding the signing key another run (a secret key listing). Before this pool a
 * signed and encrypted message cost five gpg runs; now two (the signature, the encryption).
 * A context is used by one thread at a time: taken out of the pool, given back after. A
 * signing context is made again after POOL_MS, so that a key replaced in the CERT's keyring
 * is picked up. */
#define POOL 8
#define POOL_MS (10 * 60 * 1000LL)

typedef struct pooled {
    gpgme_ctx_t ctx;
    char home[512];
    char keyid[160]; /* "": a contacts' keyring context */
    int64_t at;
} pooled_t;

static pooled_t pool[POOL];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* An idle context for (home, keyid), or NULL. */
static gpgme_ctx_t pool_take(const char *home, const char *keyid, int64_t now, int64_t *made)
{
    gpgme_ctx_t ctx = NULL, stale = NULL;

    pthread_mutex_lock(&pool_lock);
    for (size_t k = 0; k < POOL && !ctx; k++) {
        if (!pool[k].ctx || strcmp(pool[k].home, home ? home : "") ||
            strcmp(pool[k].keyid, keyid ? keyid : ""))
            continue;
        if (now - pool[k].at >= POOL_MS)
            stale = pool[k].ctx;
        else {
            ctx = pool[k].ctx;
            *made = pool[k].at;
        }
        pool[k].ctx = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (stale)
        gpgme_release(stale);
    return ctx;
}

/* Gives ctx back (made at `at`); released when the pool is full or the names do not fit. */
static void pool_give(gpgme_ctx_t ctx, const char *home, const char *keyid, int64_t at)
{
    size_t k;

    if (!ctx)
        return;
    home = home ? home : "";
    keyid = keyid ? keyid : "";
    if (strlen(home) >= sizeof(pool[0].home) || strlen(keyid) >= sizeof(pool[0].keyid)) {
        gpgme_release(ctx);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    for (k = 0; k < POOL && pool[k].ctx; k++)
        ;
    if (k < POOL) {
        pool[k].ctx = ctx;
        snprintf(pool[k].home, sizeof(pool[k].home), "%s", home);
        snprintf(pool[k].keyid, sizeof(pool[k].keyid), "%s", keyid);
        pool[k].at = at;
        ctx = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (ctx)
        gpgme_release(ctx);
}

/* The first secret key matching pattern (id, fingerprint or user id) that can sign. */
static gpgme_error_t find_key(gpgme_ctx_t ctx, const char *pattern, gpgme_key_t *out)
{
    gpgme_key_t key = NULL;
    gpgme_error_t e;

    *out = NULL;
    if ((e = gpgme_op_keylist_start(ctx, pattern, 1)))
        return e;
    while (!*out && !(e = gpgme_op_keylist_next(ctx, &key))) {
        if (key->can_sign && !key->revoked && !key->expired && !key->disabled && !key->invalid)
            *out = key;
        else
            gpgme_key_unref(key);
    }
    gpgme_op_keylist_end(ctx);
    return *out ? 0 : e;
}

int ermes__notify_pgp_sign(const char *home, const char *keyid, const char *data, size_t len,
                           ermes__strbuf_t *sig, char *micalg, size_t micalg_cap, char *err,
                           size_t errcap)
{
    gpgme_ctx_t ctx = NULL;
    gpgme_key_t key = NULL;
    gpgme_data_t in = NULL, out = NULL;
    gpgme_sign_result_t result;
    gpgme_error_t e;
    const char *hash;
    char *armour = NULL;
    size_t n = 0;
    int64_t now = ermes__time_now_ms(), made = now;
    int rc = ERMES_ECONFIG;

    if (err && errcap)
        err[0] = '\0';
    pthread_once(&pgp_once, pgp_init);
    if (!pgp_version) {
        snprintf(err, errcap, "gpgme cannot be initialised");
        return ERMES_EUNSUPPORTED;
    }
    /* A context of an earlier message has the key among its signers already. */
    if (!(ctx = pool_take(home, keyid, now, &made))) {
        if ((e = gpgme_new(&ctx))) {
            snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
            return ERMES_ENOMEM;
        }
        if ((e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) ||
            (home && *home &&
             (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home))) ||
            (e = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_CANCEL))) {
            snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
            goto out;
        }
        gpgme_set_armor(ctx, 1);
        gpgme_set_textmode(ctx, 0);
        if ((e = find_key(ctx, keyid, &key)) || !key) {
            snprintf(err, errcap, "no secret key \"%.64s\" that can sign%s%s", keyid, e ? ": " : "",
                     e ? gpgme_strerror(e) : "");
            goto out;
        }
        if ((e = gpgme_signers_add(ctx, key))) {
            snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    if ((e = gpgme_data_new_from_mem(&in, data, len, 0)) || (e = gpgme_data_new(&out))) {
        snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((e = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH))) {
        snprintf(err, errcap, "signing with \"%.64s\": %s", keyid, gpgme_strerror(e));
        goto out;
    }
    result = gpgme_op_sign_result(ctx);
    if (!result || !result->signatures || result->invalid_signers) {
        snprintf(err, errcap, "signing with \"%.64s\" made no signature", keyid);
        goto out;
    }
    /* RFC 3156 section 5: micalg is "pgp-" and the hash's name in lower case. */
    hash = gpgme_hash_algo_name(result->signatures->hash_algo);
    if (!hash) {
        snprintf(err, errcap, "unknown hash algorithm %d", (int)result->signatures->hash_algo);
        goto out;
    }
    {
        size_t k = 0;
        int w = snprintf(micalg, micalg_cap, "pgp-");
        for (k = 0; hash[k] && (size_t)w + k + 1 < micalg_cap; k++)
            micalg[w + k] = (char)(hash[k] >= 'A' && hash[k] <= 'Z' ? hash[k] + 32 : hash[k]);
        micalg[w + k] = '\0';
    }
    armour = gpgme_data_release_and_get_mem(out, &n);
    out = NULL;
    rc = 0;
    /* The armour comes with "\n" line ends; a MIME part has CRLF. */
    for (size_t k = 0; !rc && k < n; k++) {
        if (armour[k] == '\n' && (k == 0 || armour[k - 1] != '\r'))
            rc = ermes__strbuf_addc(sig, '\r');
        if (!rc)
            rc = ermes__strbuf_addc(sig, armour[k]);
    }
out:
    if (armour)
        gpgme_free(armour);
    gpgme_data_release(in);
    gpgme_data_release(out);
    if (key)
        gpgme_key_unref(key);
    /* Kept for the next message only when all went well: a failed one starts afresh. */
    if (!rc)
        pool_give(ctx, home, keyid, made);
    else
        gpgme_release(ctx);
    return rc;
}

/* ---- contacts' keys: checks and encryption ------------------------------------------------ */

/* What was read of a contact's key, per (keyring, key text), for this process: gpgme runs gpg
 * for every operation, and reading, importing and finding the same key again for every
 * message cost three gpg runs each (bench/bench_notify.c). An entry is read again after
 * KEY_CACHE_MS; expiry is judged at each use from the time the key gave. */
#define KEY_CACHE 256
#define KEY_CACHE_MS (10 * 60 * 1000LL)

typedef struct cached_key {
    unsigned char digest[crypto_generichash_BYTES];
    int used;
    int64_t at;
    ermes__pgp_key_info_t info;
    gpgme_key_t key; /* once imported into the keyring; NULL before */
} cached_key_t;

static cached_key_t key_cache[KEY_CACHE];
static size_t key_cache_next;
static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void key_digest(const char *home, const char *armour, unsigned char *out)
{
    crypto_generichash_state h;

    crypto_generichash_init(&h, NULL, 0, crypto_generichash_BYTES);
    crypto_generichash_update(&h, (const unsigned char *)(home ? home : ""),
                              strlen(home ? home : "") + 1);
    crypto_generichash_update(&h, (const unsigned char *)armour, strlen(armour));
    crypto_generichash_final(&h, out, crypto_generichash_BYTES);
}

/* The fresh entry of digest, or NULL; under key_cache_lock. */
static cached_key_t *cache_find(const unsigned char *digest, int64_t now)
{
    for (size_t k = 0; k < KEY_CACHE; k++)
        if (key_cache[k].used && now - key_cache[k].at < KEY_CACHE_MS &&
            memcmp(key_cache[k].digest, digest, sizeof(key_cache[k].digest)) == 0)
            return &key_cache[k];
    return NULL;
}

/* An entry for digest (a stale one of it, or the next in turn); under key_cache_lock. */
static cached_key_t *cache_slot(const unsigned char *digest)
{
    cached_key_t *e = NULL;

    for (size_t k = 0; k < KEY_CACHE && !e; k++)
        if (key_cache[k].used &&
            memcmp(key_cache[k].digest, digest, sizeof(key_cache[k].digest)) == 0)
            e = &key_cache[k];
    if (!e) {
        e = &key_cache[key_cache_next];
        key_cache_next = (key_cache_next + 1) % KEY_CACHE;
    }
    if (e->key)
        gpgme_key_unref(e->key);
    memset(e, 0, sizeof(*e));
    memcpy(e->digest, digest, sizeof(e->digest));
    return e;
}

/* info as of now: a key that was usable may have expired since it was read. */
static void info_at(ermes__pgp_key_info_t *info, int64_t now)
{
    if (info->usable && info->expires_at && info->expires_at <= now) {
        info->usable = 0;
        snprintf(info->problem, sizeof(info->problem), "the key has expired");
    }
}

/* The contacts' public keys live in a keyring of their own (DATA_DIR/pgp-contacts, made here
 * with mode 0700): the CERT's own keyring (notify_pgp_home) is never written to. */
static int contacts_context(const char *home, gpgme_ctx_t *out, char *err, size_t errcap)
{
    gpgme_error_t e;

    *out = NULL;
    pthread_once(&pgp_once, pgp_init);
    if (!pgp_version) {
        snprintf(err, errcap, "gpgme cannot be initialised");
        return ERMES_EUNSUPPORTED;
    }
    if (home && *home && mkdir(home, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "cannot make the contacts' keyring %.200s: %s", home,
                 strerror(errno));
        return ERMES_EIO;
    }
    if ((e = gpgme_new(out))) {
        snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
        return ERMES_ENOMEM;
    }
    if ((e = gpgme_set_protocol(*out, GPGME_PROTOCOL_OpenPGP)) ||
        (home && *home &&
         (e = gpgme_ctx_set_engine_info(*out, GPGME_PROTOCOL_OpenPGP, NULL, home))) ||
        (e = gpgme_set_pinentry_mode(*out, GPGME_PINENTRY_MODE_CANCEL))) {
        snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
        gpgme_release(*out);
        *out = NULL;
        return ERMES_EUNSUPPORTED;
    }
    gpgme_set_armor(*out, 1);
    return 0;
}

/* What key says about encrypting to it at now (ms). */
static void describe_key(gpgme_key_t key, int64_t now, ermes__pgp_key_info_t *info)
{
    int64_t best = -1;
    int expired = 0;

    snprintf(info->fingerprint, sizeof(info->fingerprint), "%s",
             key->fpr ? key->fpr : (key->subkeys && key->subkeys->fpr ? key->subkeys->fpr : ""));
    snprintf(info->uid, sizeof(info->uid), "%s", key->uids && key->uids->uid ? key->uids->uid : "");
    info->usable = 0;
    info->expires_at = 0;
    if (key->revoked || key->disabled || key->invalid) {
        snprintf(info->problem, sizeof(info->problem), "the key is %s",
                 key->revoked    ? "revoked"
                 : key->disabled ? "disabled"
                                 : "invalid");
        return;
    }
    /* The subkeys that can encrypt now; the key lasts as long as the last of them. */
    for (gpgme_subkey_t sk = key->subkeys; sk; sk = sk->next) {
        int64_t until = sk->expires > 0 ? (int64_t)sk->expires * 1000 : 0;
        if (!sk->can_encrypt || sk->revoked || sk->disabled || sk->invalid)
            continue;
        if (sk->expired || (until && until <= now)) {
            expired = 1;
            continue;
        }
        if (best < 0 || until == 0 || (best != 0 && until > best))
            best = until;
    }
    if (best < 0) {
        snprintf(info->problem, sizeof(info->problem), "%s",
                 expired ? "the key has expired" : "the key cannot encrypt");
        return;
    }
    info->usable = 1;
    info->expires_at = best;
    info->problem[0] = '\0';
}

int ermes__notify_pgp_key_info(const char *home, const char *armour, int64_t now,
                               ermes__pgp_key_info_t *info, char *err, size_t errcap)
{
    gpgme_ctx_t ctx = NULL;
    gpgme_data_t in = NULL;
    gpgme_key_t key = NULL, extra = NULL;
    gpgme_error_t e;
    unsigned char digest[crypto_generichash_BYTES];
    cached_key_t *hit;
    int rc;

    memset(info, 0, sizeof(*info));
    if (err && errcap)
        err[0] = '\0';
    key_digest(home, armour, digest);
    pthread_mutex_lock(&key_cache_lock);
    if ((hit = cache_find(digest, now)))
        *info = hit->info;
    pthread_mutex_unlock(&key_cache_lock);
    if (hit) {
        info_at(info, now);
        return 0;
    }
    if ((rc = contacts_context(home, &ctx, err, errcap)))
        return rc;
    rc = ERMES_EPARSE;
    if ((e = gpgme_data_new_from_mem(&in, armour, strlen(armour), 0))) {
        snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
        rc = ERMES_ENOMEM;
        goto out;
    }
    /* Read, not imported: a key that is refused never reaches the keyring. */
    if ((e = gpgme_op_keylist_from_data_start(ctx, in, 0)) ||
        (e = gpgme_op_keylist_next(ctx, &key))) {
        snprintf(err, errcap, "no OpenPGP public key could be read%s%s", e ? ": " : "",
                 e ? gpgme_strerror(e) : "");
        goto out;
    }
    /* One key a contact: a second would make "the contact's key" ambiguous. */
    if (gpgme_op_keylist_next(ctx, &extra) == 0) {
        snprintf(err, errcap, "more than one OpenPGP key: give the contact's only");
        gpgme_key_unref(extra);
        goto out;
    }
    describe_key(key, now, info);
    rc = 0;
    pthread_mutex_lock(&key_cache_lock);
    {
        cached_key_t *slot = cache_slot(digest);
        slot->used = 1;
        slot->at = now;
        slot->info = *info;
        /* Judged again at each use (info_at): cached as read, not as of now. */
        if (!info->usable && strcmp(info->problem, "the key has expired") == 0)
            slot->used = 0;
    }
    pthread_mutex_unlock(&key_cache_lock);
out:
    if (ctx)
        gpgme_op_keylist_end(ctx);
    if (key)
        gpgme_key_unref(key);
    gpgme_data_release(in);
    gpgme_release(ctx);
    return rc;
}

int ermes__notify_pgp_encrypt(const char *home, const char *const *armours, size_t n,
                              const char *data, size_t len, ermes__strbuf_t *out, char *err,
                              size_t errcap)
{
    gpgme_key_t keys[ERMES_NOTIFY_MAX_RECIPIENTS + 1];
    gpgme_data_t in = NULL, cipher = NULL;
    gpgme_encrypt_result_t result;
    gpgme_ctx_t ctx = NULL;
    gpgme_error_t e;
    char *armour = NULL;
    size_t nkeys = 0, got = 0;
    int64_t made = ermes__time_now_ms();
    int rc;

    memset(keys, 0, sizeof(keys));
    if (err && errcap)
        err[0] = '\0';
    if (n == 0 || n > ERMES_NOTIFY_MAX_RECIPIENTS)
        return ERMES_EINVAL;
    /* The contacts' keyring's context of an earlier message, or a new one. */
    if (!(ctx = pool_take(home, "", made, &made)) &&
        (rc = contacts_context(home, &ctx, err, errcap)))
        return rc;
    rc = ERMES_ECONFIG;
    /* Each key into the contacts' keyring (again: an import of a key already there changes
     * nothing), then by its fingerprint. */
    for (size_t k = 0; k < n; k++) {
        gpgme_data_t kd = NULL;
        gpgme_import_result_t ir;
        unsigned char digest[crypto_generichash_BYTES];
        cached_key_t *hit;
        int64_t now = ermes__time_now_ms();
        key_digest(home, armours[k], digest);
        pthread_mutex_lock(&key_cache_lock);
        hit = cache_find(digest, now);
        if (hit && hit->key) {
            gpgme_key_ref(hit->key);
            keys[nkeys++] = hit->key;
        }
        pthread_mutex_unlock(&key_cache_lock);
        if (hit && hit->key)
            continue;
        if ((e = gpgme_data_new_from_mem(&kd, armours[k], strlen(armours[k]), 0))) {
            snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
            rc = ERMES_ENOMEM;
            goto out;
        }
        e = gpgme_op_import(ctx, kd);
        gpgme_data_release(kd);
        ir = e ? NULL : gpgme_op_import_result(ctx);
        if (e || !ir || !ir->imports || !ir->imports->fpr) {
            snprintf(err, errcap, "a recipient's key cannot be imported%s%s", e ? ": " : "",
                     e ? gpgme_strerror(e) : "");
            goto out;
        }
        if ((e = gpgme_get_key(ctx, ir->imports->fpr, &keys[nkeys], 0))) {
            snprintf(err, errcap, "a recipient's key %.64s: %s", ir->imports->fpr,
                     gpgme_strerror(e));
            goto out;
        }
        /* Imported and found: the next message to it needs neither. */
        pthread_mutex_lock(&key_cache_lock);
        hit = cache_find(digest, now);
        if (hit && !hit->key) {
            gpgme_key_ref(keys[nkeys]);
            hit->key = keys[nkeys];
        }
        pthread_mutex_unlock(&key_cache_lock);
        nkeys++;
    }
    if ((e = gpgme_data_new_from_mem(&in, data, len, 0)) || (e = gpgme_data_new(&cipher))) {
        snprintf(err, errcap, "gpgme: %s", gpgme_strerror(e));
        rc = ERMES_ENOMEM;
        goto out;
    }
    /* The keys were given by the CERT's staff for these contacts: trusted as such, not
     * through the web of trust (which this keyring has none of). */
    if ((e = gpgme_op_encrypt(ctx, keys, GPGME_ENCRYPT_ALWAYS_TRUST, in, cipher))) {
        snprintf(err, errcap, "encrypting: %s", gpgme_strerror(e));
        goto out;
    }
    result = gpgme_op_encrypt_result(ctx);
    if (result && result->invalid_recipients) {
        snprintf(err, errcap, "a recipient's key cannot encrypt: %.64s",
                 result->invalid_recipients->fpr ? result->invalid_recipients->fpr : "?");
        goto out;
    }
    armour = gpgme_data_release_and_get_mem(cipher, &got);
    cipher = NULL;
    rc = 0;
    /* The armour comes with "\n" line ends; a MIME part has CRLF. */
    for (size_t k = 0; !rc && k < got; k++) {
        if (armour[k] == '\n' && (k == 0 || armour[k - 1] != '\r'))
            rc = ermes__strbuf_addc(out, '\r');
        if (!rc)
            rc = ermes__strbuf_addc(out, armour[k]);
    }
out:
    if (armour)
        gpgme_free(armour);
    for (size_t k = 0; k < nkeys; k++)
        gpgme_key_unref(keys[k]);
    gpgme_data_release(in);
    gpgme_data_release(cipher);
    if (!rc)
        pool_give(ctx, home, "", made);
    else
        gpgme_release(ctx);
    return rc;
}

int ermes__notify_key_check_cb(void *ctx, const char *armour, char *why, size_t cap)
{
    ermes__pgp_key_info_t info;
    int rc = ermes__notify_pgp_key_info(ctx, armour, ermes__time_now_ms(), &info, why, cap);

    if (rc == ERMES_EUNSUPPORTED || rc == ERMES_EIO || rc == ERMES_ENOMEM)
        return rc; /* the reason is in why: this side's failure, said as such */
    if (rc)
        return rc;
    if (!info.usable) {
        snprintf(why, cap, "%s", info.problem);
        return ERMES_EINVAL;
    }
    return 0;
}
