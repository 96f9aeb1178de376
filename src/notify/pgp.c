/* OpenPGP signatures of notifications with gpgme: a detached, ASCII-armoured signature by the
 * key notify_pgp_key from the keyring of notify_pgp_home (or GNUPGHOME), for PGP/MIME (RFC
 * 3156, built in message.c). The key must sign without a passphrase prompt: a daemon has
 * nobody to type it, so pinentry is never asked (a key that needs one fails with a reason). */
#include "notify/notify.h"

#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t pgp_once = PTHREAD_ONCE_INIT;
static const char *pgp_version;

/* gpgme_check_version initialises the library; it must run once before any other call. */
static void pgp_init(void)
{
    pgp_version = gpgme_check_version(NULL);
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
    int rc = ERMES_ECONFIG;

    if (err && errcap)
        err[0] = '\0';
    pthread_once(&pgp_once, pgp_init);
    if (!pgp_version) {
        snprintf(err, errcap, "gpgme cannot be initialised");
        return ERMES_EUNSUPPORTED;
    }
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
    if ((e = gpgme_signers_add(ctx, key)) || (e = gpgme_data_new_from_mem(&in, data, len, 0)) ||
        (e = gpgme_data_new(&out))) {
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
    gpgme_release(ctx);
    return rc;
}
