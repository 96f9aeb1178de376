/* Encryption of notifications to their recipients' OpenPGP keys (the keys stored with the
 * constituent's contacts): which recipients, which keys, and who is left out.
 *
 * A message goes to all its recipients at once, so it is encrypted only when each of them
 * has a usable key (notify_encrypt, on by default); otherwise it goes as before (signed when
 * notify_pgp_key is set). With notify_encrypt_strict, a notification of TLP:AMBER+STRICT or
 * RED (RED is never e-mailed at all) goes only to the recipients with a usable key,
 * encrypted; the others are left out, and the notification says who and why. */
#include "notify/notify.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/log.h"

void ermes__notify_crypt_cleanup(ermes__notify_crypt_t *c)
{
    if (!c)
        return;
    for (size_t k = 0; k < c->nkeys; k++)
        ermes__free(c->armours[k]);
    memset(c, 0, sizeof(*c));
}

static void add_note(ermes__notify_crypt_t *c, const char *addr, const char *why)
{
    size_t len = strlen(c->note);

    if (len + 4 < sizeof(c->note))
        snprintf(c->note + len, sizeof(c->note) - len, "%s%s: %s", len ? "; " : "", addr, why);
}

int ermes__notify_crypt_plan(ermes__store_t *st, const ermes__notify_options_t *o,
                             const ermes__notification_t *n, const char **rcpts, size_t *nrcpt,
                             int64_t now, ermes__notify_crypt_t *c)
{
    const char *kept[ERMES_NOTIFY_MAX_RECIPIENTS];
    char *keys[ERMES_NOTIFY_MAX_RECIPIENTS];
    ermes__org_t *org = NULL;
    size_t nkept = 0, usable = 0;
    int strict = o->encrypt_strict && n->tlp >= ERMES_TLP_AMBER_STRICT, rc = 0;

    memset(c, 0, sizeof(*c));
    memset(keys, 0, sizeof(keys));
    if ((!o->encrypt && !strict) || *nrcpt == 0)
        return 0;
    /* The constituent deleted since: nobody's key is known. */
    if (n->org_id && (rc = ermes__store_org_get(st, NULL, n->org_id, &org)) &&
        rc != ERMES_ENOTFOUND)
        return rc;
    rc = 0;
    for (size_t r = 0; r < *nrcpt && r < ERMES_NOTIFY_MAX_RECIPIENTS; r++) {
        const char *armour = NULL;
        ermes__pgp_key_info_t info;
        char err[256];
        for (size_t k = 0; org && k < org->ncontacts && !armour; k++)
            if (org->contacts[k].email && strcasecmp(org->contacts[k].email, rcpts[r]) == 0 &&
                org->contacts[k].pgp_key && *org->contacts[k].pgp_key)
                armour = org->contacts[k].pgp_key;
        if (!armour) {
            add_note(c, rcpts[r], "no OpenPGP key");
            continue;
        }
        if (ermes__notify_pgp_key_info(o->pgp_contacts_home, armour, now, &info, err,
                                       sizeof(err))) {
            add_note(c, rcpts[r], err[0] ? err : "the OpenPGP key cannot be read");
            continue;
        }
        if (!info.usable) {
            add_note(c, rcpts[r], info.problem);
            continue;
        }
        if (!(keys[r] = ermes__strdup(armour))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        usable++;
    }
    if (strict) {
        /* Only those who can read it in private. */
        for (size_t r = 0; r < *nrcpt; r++) {
            if (!keys[r])
                continue;
            kept[nkept] = rcpts[r];
            c->armours[nkept++] = keys[r];
            keys[r] = NULL;
        }
        c->nkeys = nkept;
        if (!nkept) {
            char why[sizeof(c->note)];
            snprintf(why, sizeof(why),
                     "not sent: TLP:%s requires encryption (notify_encrypt_strict) and no "
                     "recipient has a usable OpenPGP key (%.300s)",
                     ermes_tlp_name(n->tlp), c->note);
            snprintf(c->note, sizeof(c->note), "%s", why);
            rc = ERMES_EDENIED;
            goto out;
        }
        if (nkept < *nrcpt) {
            char why[sizeof(c->note)];
            snprintf(why, sizeof(why),
                     "TLP:%s requires encryption: not sent to the recipients without a usable "
                     "OpenPGP key (%.350s)",
                     ermes_tlp_name(n->tlp), c->note);
            snprintf(c->note, sizeof(c->note), "%s", why);
        } else {
            c->note[0] = '\0';
        }
        memcpy(rcpts, kept, nkept * sizeof(*kept));
        *nrcpt = nkept;
        c->encrypt = 1;
        goto out;
    }
    /* Everyone can decrypt it, or it goes as it would have without keys. */
    if (usable == *nrcpt) {
        for (size_t r = 0; r < *nrcpt; r++) {
            c->armours[c->nkeys++] = keys[r];
            keys[r] = NULL;
        }
        c->encrypt = 1;
    }
    c->note[0] = '\0';
out:
    for (size_t r = 0; r < ERMES_NOTIFY_MAX_RECIPIENTS; r++)
        ermes__free(keys[r]);
    ermes__org_free(org);
    if (rc && rc != ERMES_EDENIED) {
        char note[sizeof(c->note)];
        memcpy(note, c->note, sizeof(note));
        ermes__notify_crypt_cleanup(c);
        memcpy(c->note, note, sizeof(note));
    }
    return rc;
}

/* ---- the contacts' keys, all of them ------------------------------------------------------- */

typedef struct keys_ctx {
    const ermes__notify_options_t *o;
    int64_t now;
    ermes__notify_key_cb cb;
    void *ctx;
} keys_ctx_t;

static int org_keys_cb(void *arg, const ermes__org_t *org)
{
    keys_ctx_t *k = arg;
    int rc = 0;

    for (size_t j = 0; j < org->ncontacts && !rc; j++) {
        const ermes__contact_t *c = &org->contacts[j];
        ermes__pgp_key_info_t info;
        char err[256] = "";
        if (!c->pgp_key || !*c->pgp_key)
            continue;
        memset(&info, 0, sizeof(info));
        if (ermes__notify_pgp_key_info(k->o->pgp_contacts_home, c->pgp_key, k->now, &info, err,
                                       sizeof(err)) &&
            !err[0])
            snprintf(err, sizeof(err), "the key cannot be read");
        rc = k->cb(k->ctx, org, c, &info, err[0] ? err : NULL);
    }
    return rc;
}

int ermes__notify_keys_each(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                            ermes__notify_key_cb cb, void *ctx)
{
    ermes__viewer_t staff = {0, "notify", ERMES_ROLE_ADMIN, 0, "daemon"};
    ermes__org_filter_t f;
    keys_ctx_t k = {o, now, cb, ctx};

    memset(&f, 0, sizeof(f));
    return ermes__store_org_each(st, &staff, &f, org_keys_cb, &k, NULL);
}

typedef struct warn_ctx {
    int64_t now, horizon;
    size_t warned;
} warn_ctx_t;

static int warn_cb(void *arg, const ermes__org_t *org, const ermes__contact_t *c,
                   const ermes__pgp_key_info_t *info, const char *err)
{
    warn_ctx_t *w = arg;

    if (err || !info->usable) {
        w->warned++;
        ermes__log(ERMES_LOG_WARNING,
                   "OpenPGP key of %s's contact %s cannot be used: %s; notifications to it are "
                   "not encrypted",
                   org->short_name, c->email ? c->email : "?", err ? err : info->problem);
    } else if (info->expires_at && info->expires_at - w->now <= w->horizon) {
        w->warned++;
        ermes__log(ERMES_LOG_WARNING,
                   "OpenPGP key %s of %s's contact %s expires in %lld days: ask for a new one",
                   info->fingerprint, org->short_name, c->email ? c->email : "?",
                   (long long)((info->expires_at - w->now) / (86400 * 1000LL)));
    }
    return 0;
}

int ermes__notify_keys_warn(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                            size_t *warned)
{
    warn_ctx_t w = {now, o->expiry_warn_ms, 0};
    int rc;

    *warned = 0;
    if (o->expiry_warn_ms <= 0)
        return 0;
    rc = ermes__notify_keys_each(st, o, now, warn_cb, &w);
    *warned = w.warned;
    return rc;
}
