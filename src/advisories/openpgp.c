/* The CSAF provider's OpenPGP key (CSAF 2.0 requirements 19 and 20): the detached,
 * ASCII-armoured signature of each document at its publication, and the public key with its
 * fingerprint for /.well-known/csaf/openpgp/ and the provider metadata. The key lives in a
 * GnuPG home of its own (csaf_openpgp_home, by default DATA_DIR/csaf-openpgp), named by its
 * fingerprint (csaf_openpgp_key); it must sign without a passphrase prompt, as the daemon
 * publishes scheduled advisories with nobody there to type one. Signing goes through the
 * notifications' gpgme code (src/notify/pgp.c), which keeps its contexts between calls. */
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "advisories/advisory.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "notify/notify.h"

void ermes__csaf_signer_from_config(const ermes__config_t *cfg, char *home, size_t cap,
                                    ermes__csaf_signer_t *out)
{
    memset(out, 0, sizeof(*out));
    if (cfg->csaf_openpgp_home && *cfg->csaf_openpgp_home)
        snprintf(home, cap, "%s", cfg->csaf_openpgp_home);
    else
        snprintf(home, cap, "%s/csaf-openpgp",
                 cfg->data_dir && *cfg->data_dir ? cfg->data_dir : ".");
    out->home = home;
    out->key = cfg->csaf_openpgp_key && *cfg->csaf_openpgp_key ? cfg->csaf_openpgp_key : NULL;
}

int ermes__csaf_sign(const ermes__csaf_signer_t *s, const char *data, size_t len, char **armour,
                     ermes_diag_t *d)
{
    ermes__strbuf_t sig;
    char micalg[32], err[256];
    size_t n = 0, o = 0;
    char *text;
    int rc;

    *armour = NULL;
    /* An expired key: gpg would refuse with a reason nobody reads; say it. */
    {
        int64_t expires = 0, now = ermes__time_now_ms();
        char when[ERMES_TIME_STRLEN];
        ermes_diag_t ignored;

        ermes_diag_clear(&ignored);
        if (s->key && ermes__csaf_key_expires(s, &expires, &ignored) == 0 && expires &&
            expires <= now) {
            ermes__time_format(expires, when);
            ermes_diag_set(d, "csaf_openpgp_key",
                           "csaf_openpgp_key %.64s expired on %s: nothing was published or "
                           "signed (extend the key or set another)",
                           s->key, when);
            return ERMES_ECONFIG;
        }
    }
    ermes__strbuf_init(&sig, 1u << 20);
    rc = ermes__notify_pgp_sign(s->home, s->key, data, len, &sig, micalg, sizeof(micalg), err,
                                sizeof(err));
    if (rc) {
        ermes__strbuf_cleanup(&sig);
        ermes_diag_set(d, "csaf_openpgp_key",
                       "csaf_openpgp_key %.48s cannot sign, nothing was published: %.120s "
                       "(GnuPG home %.60s)",
                       s->key, err, s->home);
        return rc == ERMES_ENOMEM ? rc : ERMES_ECONFIG;
    }
    if (!(text = ermes__strbuf_take(&sig, &n)))
        return ERMES_ENOMEM;
    /* pgp.c writes CRLF for MIME; a .asc file has the armour's own "\n" line ends. */
    for (size_t k = 0; k < n; k++)
        if (!(text[k] == '\r' && k + 1 < n && text[k + 1] == '\n'))
            text[o++] = text[k];
    text[o] = '\0';
    *armour = text;
    return 0;
}

int64_t ermes__csaf_key_expiry_of(struct _gpgme_key *key)
{
    gpgme_subkey_t p = key ? key->subkeys : NULL, k;
    int64_t best = -1;

    if (!p)
        return 0;
    /* gpg signs with a usable signing (sub)key: the key is good until the last of those
     * expires (one that never does: never), and never beyond its primary key's expiry. */
    for (k = p; k; k = k->next) {
        if (!k->can_sign || k->revoked || k->disabled || k->invalid)
            continue;
        if (!k->expires) {
            best = 0;
            break;
        }
        if ((int64_t)k->expires * 1000 > best)
            best = (int64_t)k->expires * 1000;
    }
    if (best < 0)
        best = p->expires ? (int64_t)p->expires * 1000 : 0;
    if (p->expires && (best == 0 || (int64_t)p->expires * 1000 < best))
        best = (int64_t)p->expires * 1000;
    return best;
}

/* ---- the public key ------------------------------------------------------------------------
 * Read once a minute at most: the provider metadata names its fingerprint, and every request
 * for it would otherwise cost gpg runs. */
#define KEY_CACHE_MS (60 * 1000LL)

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char home[1024], key[160], fpr[ERMES_CSAF_FPR_MAX];
    char *armour;
    int64_t at, expires;
} key_cache;

static int read_key(const ermes__csaf_signer_t *s, char *fpr, char **armour, int64_t *expires,
                    ermes_diag_t *d)
{
    gpgme_ctx_t ctx = NULL;
    gpgme_key_t key = NULL, other = NULL;
    gpgme_data_t out = NULL;
    gpgme_error_t e;
    char *mem = NULL;
    size_t n = 0;
    int rc = ERMES_ECONFIG;

    if (!gpgme_check_version(NULL)) {
        ermes_diag_set(d, "csaf_openpgp_key", "gpgme cannot be initialised");
        return ERMES_EUNSUPPORTED;
    }
    if ((e = gpgme_new(&ctx))) {
        ermes_diag_set(d, "csaf_openpgp_key", "gpgme: %s", gpgme_strerror(e));
        return ERMES_ENOMEM;
    }
    if ((e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) ||
        (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, s->home))) {
        ermes_diag_set(d, "csaf_openpgp_key", "gpgme: %s", gpgme_strerror(e));
        goto out;
    }
    gpgme_set_armor(ctx, 1);
    /* The secret key that signs, so that the fingerprint published is that of the signer. */
    if ((e = gpgme_op_keylist_start(ctx, s->key, 1)) || (e = gpgme_op_keylist_next(ctx, &key))) {
        ermes_diag_set(d, "csaf_openpgp_key", "no secret key %.64s in %.200s", s->key, s->home);
        gpgme_op_keylist_end(ctx);
        goto out;
    }
    if (!gpgme_op_keylist_next(ctx, &other)) {
        gpgme_key_unref(other);
        gpgme_op_keylist_end(ctx);
        ermes_diag_set(d, "csaf_openpgp_key",
                       "%.64s names more than one key in %.200s: give "
                       "the full fingerprint",
                       s->key, s->home);
        goto out;
    }
    gpgme_op_keylist_end(ctx);
    if (!key->fpr || strlen(key->fpr) >= ERMES_CSAF_FPR_MAX) {
        ermes_diag_set(d, "csaf_openpgp_key", "the key %.64s has no fingerprint", s->key);
        goto out;
    }
    snprintf(fpr, ERMES_CSAF_FPR_MAX, "%s", key->fpr);
    *expires = ermes__csaf_key_expiry_of(key);
    if ((e = gpgme_data_new(&out)) || (e = gpgme_op_export(ctx, key->fpr, 0, out))) {
        ermes_diag_set(d, "csaf_openpgp_key", "exporting %.64s: %s", s->key, gpgme_strerror(e));
        goto out;
    }
    mem = gpgme_data_release_and_get_mem(out, &n);
    out = NULL;
    if (!mem || !n) {
        ermes_diag_set(d, "csaf_openpgp_key", "exporting %.64s gave nothing", s->key);
        goto out;
    }
    if (!(*armour = ermes__malloc(n + 1))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    memcpy(*armour, mem, n);
    (*armour)[n] = '\0';
    rc = 0;
out:
    if (mem)
        gpgme_free(mem);
    gpgme_data_release(out);
    if (key)
        gpgme_key_unref(key);
    gpgme_release(ctx);
    return rc;
}

/* The key's fingerprint, armour (when not NULL) and expiry, from the cache when fresh. */
static int key_info(const ermes__csaf_signer_t *s, char fpr[ERMES_CSAF_FPR_MAX], char **armour,
                    int64_t *expires, ermes_diag_t *d)
{
    int64_t now = ermes__time_now_ms(), exp = 0;
    char *text = NULL;
    int rc;

    fpr[0] = '\0';
    if (armour)
        *armour = NULL;
    if (expires)
        *expires = 0;
    if (!s->key)
        return ERMES_ENOTFOUND;
    pthread_mutex_lock(&key_lock);
    if (key_cache.armour && now - key_cache.at < KEY_CACHE_MS &&
        strcmp(key_cache.home, s->home) == 0 && strcmp(key_cache.key, s->key) == 0) {
        snprintf(fpr, ERMES_CSAF_FPR_MAX, "%s", key_cache.fpr);
        if (expires)
            *expires = key_cache.expires;
        rc = 0;
        if (armour && !(*armour = ermes__strdup(key_cache.armour)))
            rc = ERMES_ENOMEM;
        pthread_mutex_unlock(&key_lock);
        return rc;
    }
    pthread_mutex_unlock(&key_lock);
    if ((rc = read_key(s, fpr, &text, &exp, d)))
        return rc;
    pthread_mutex_lock(&key_lock);
    ermes__free(key_cache.armour);
    key_cache.armour = ermes__strdup(text);
    snprintf(key_cache.home, sizeof(key_cache.home), "%s", s->home);
    snprintf(key_cache.key, sizeof(key_cache.key), "%s", s->key);
    snprintf(key_cache.fpr, sizeof(key_cache.fpr), "%s", fpr);
    key_cache.at = now;
    key_cache.expires = exp;
    pthread_mutex_unlock(&key_lock);
    if (expires)
        *expires = exp;
    if (armour)
        *armour = text;
    else
        ermes__free(text);
    return 0;
}

int ermes__csaf_public_key(const ermes__csaf_signer_t *s, char fpr[ERMES_CSAF_FPR_MAX],
                           char **armour, ermes_diag_t *d)
{
    return key_info(s, fpr, armour, NULL, d);
}

int ermes__csaf_key_expires(const ermes__csaf_signer_t *s, int64_t *expires, ermes_diag_t *d)
{
    char fpr[ERMES_CSAF_FPR_MAX];

    return key_info(s, fpr, NULL, expires, d);
}

int ermes__csaf_key_state(const ermes__csaf_signer_t *s, char fpr[ERMES_CSAF_FPR_MAX],
                          int64_t *expires, ermes_diag_t *d)
{
    return key_info(s, fpr, NULL, expires, d);
}

int ermes__csaf_key_warning(const ermes__csaf_signer_t *s, int64_t now, char *buf, size_t cap)
{
    char when[ERMES_TIME_STRLEN];
    int64_t expires = 0;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (!s->key || ermes__csaf_key_expires(s, &expires, &d) || !expires)
        return 0;
    ermes__time_format(expires, when);
    if (expires <= now) {
        snprintf(buf, cap,
                 "the CSAF signing key csaf_openpgp_key %.64s expired on %s: advisories cannot "
                 "be published until it is extended or replaced",
                 s->key, when);
        return 1;
    }
    if (expires - now > (int64_t)ERMES_CSAF_KEY_WARN_DAYS * 86400 * 1000)
        return 0;
    snprintf(buf, cap,
             "the CSAF signing key csaf_openpgp_key %.64s expires on %s (in %lld day(s)): extend "
             "it or replace it before then",
             s->key, when, (long long)((expires - now) / (86400 * 1000LL)));
    return 1;
}
