/* The store's federation peers: their configuration and the state of their pulls and pushes
 * (src/sharing/federation.c). Their credentials are sealed at rest under the data directory's
 * key (src/core/secret_box.h): written sealed, opened when read, never in the row in plain
 * text; rows of an older ermes are sealed when the store is opened. */
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/secret_box.h"
#include "core/time.h"
#include "store/store_int.h"

/* The key of st's data directory into key, loaded once (made with create when missing); also
 * for the collectors' credentials (collector_defs.c). */
int ermes__store_secret_key(ermes__store_t *st, int create,
                            unsigned char key[ERMES__SECRET_KEY_BYTES])
{
    int rc = 0;

    if (!st->data_dir)
        return ERMES_EINVAL;
    pthread_mutex_lock(&st->lock);
    if (!st->secret_loaded && (rc = ermes__secret_key_load(st->data_dir, create, st->secret)) == 0)
        st->secret_loaded = 1;
    if (rc == 0)
        memcpy(key, st->secret, ERMES__SECRET_KEY_BYTES);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* plain sealed into *sealed (caller frees with free(); NULL for no credentials). */
int ermes__store_secret_seal(ermes__store_t *st, const char *plain, char **sealed)
{
    unsigned char key[ERMES__SECRET_KEY_BYTES];
    int rc;

    *sealed = NULL;
    if (!plain || !plain[0])
        return 0;
    if ((rc = ermes__store_secret_key(st, 1, key)))
        return rc;
    rc = ermes__secret_seal(key, plain, sealed);
    sodium_memzero(key, sizeof(key));
    return rc;
}

/* sealed opened into *out (free() it, after sodium_memzero). 0, ERMES_ENOMEM, or another code
 * when the data directory's key does not open it (a database copied without its secrets.key):
 * the caller says whose secret that was. */
int ermes__store_secret_open(ermes__store_t *st, const char *sealed, char **out)
{
    unsigned char key[ERMES__SECRET_KEY_BYTES];
    size_t cap = strlen(sealed) + 1; /* the plain text is shorter than its sealed base64 */
    int rc;

    if (!(*out = ermes__malloc(cap)))
        return ERMES_ENOMEM;
    rc = ermes__store_secret_key(st, 0, key);
    if (rc == 0)
        rc = ermes__secret_open(key, sealed, *out, cap);
    sodium_memzero(key, sizeof(key));
    if (rc) {
        sodium_memzero(*out, cap);
        ermes__free(*out);
        *out = NULL;
        if (rc == ERMES_ENOMEM)
            rc = ERMES_EIO; /* ENOMEM is the caller's allocation only */
    }
    return rc;
}

#define CONFIG_COLUMNS                                                                             \
    "name, url, collection_id, auth, credentials, share_group, max_tlp, interval_s, pull, push,"   \
    " local_user"

static void bind_config(ermes__db_stmt_t *s, const ermes__peer_t *p, const char *sealed)
{
    ermes__db_bind_text(s, 1, p->name);
    ermes__db_bind_text(s, 2, p->url);
    ermes__db_bind_text(s, 3, p->collection_id);
    ermes__db_bind_text(s, 4, p->auth ? p->auth : "none");
    ermes__db_bind_text(s, 5, sealed ? sealed : "");
    ermes__db_bind_text(s, 6, p->share_group ? p->share_group : "");
    ermes__db_bind_text(s, 7, ermes_tlp_name(p->max_tlp));
    ermes__db_bind_int(s, 8, p->interval_s);
    ermes__db_bind_int(s, 9, p->pull ? 1 : 0);
    ermes__db_bind_int(s, 10, p->push ? 1 : 0);
    ermes__db_bind_text(s, 11, p->local_user ? p->local_user : "");
}

int ermes__store_peer_put(ermes__store_t *st, ermes__peer_t *p)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    char *sealed = NULL;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (!p->name || !p->url || !p->collection_id)
        return ERMES_EINVAL;
    if ((rc = ermes__store_secret_seal(st, p->credentials, &sealed)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO peers (" CONFIG_COLUMNS ", tlp, owner_org_id,"
                                " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                                " ?9, ?10, ?11, ?12, ?13, ?14, ?14) RETURNING id",
                                &s))) {
        free(sealed);
        return rc;
    }
    bind_config(s, p, sealed);
    /* The credentials are in the row: the row is as secret as the store (RED). */
    ermes__db_bind_text(s, 12, ermes_tlp_name(ERMES_TLP_RED));
    if (p->owner_org_id)
        ermes__db_bind_int(s, 13, p->owner_org_id);
    else
        ermes__db_bind_null(s, 13);
    ermes__db_bind_int(s, 14, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        p->id = ermes__db_col_int(s, 0);
        p->created_at = p->updated_at = now;
    }
    ermes__db_done(s);
    free(sealed);
    return rc < 0 ? rc : 0;
}

int ermes__store_peer_update(ermes__store_t *st, const ermes__peer_t *p, int reset)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char *sealed = NULL;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__store_secret_seal(st, p->credentials, &sealed)))
        return rc;
    if ((rc = ermes__db_prepare(
             db,
             reset ? "UPDATE peers SET name = ?1, url = ?2, collection_id = ?3, auth = ?4,"
                     " credentials = ?5, share_group = ?6, max_tlp = ?7, interval_s = ?8,"
                     " pull = ?9, push = ?10, local_user = ?11, updated_at = ?12, added_after = '',"
                     " push_after_added = 0, push_after_id = 0, failures = 0, next_at = 0,"
                     " last_error = '' WHERE id = ?13 RETURNING id"
                   : "UPDATE peers SET name = ?1, url = ?2, collection_id = ?3, auth = ?4,"
                     " credentials = ?5, share_group = ?6, max_tlp = ?7, interval_s = ?8,"
                     " pull = ?9, push = ?10, local_user = ?11, updated_at = ?12, failures = 0,"
                     " next_at = 0 WHERE id = ?13 RETURNING id",
             &s))) {
        free(sealed);
        return rc;
    }
    bind_config(s, p, sealed);
    ermes__db_bind_int(s, 12, ermes__time_now_ms());
    ermes__db_bind_int(s, 13, p->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    free(sealed);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
}

int ermes__store_peer_state(ermes__store_t *st, const ermes__peer_t *p)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE peers SET added_after = ?1, push_after_added = ?2,"
                                " push_after_id = ?3, last_pull_at = ?4, last_push_at = ?5,"
                                " next_at = ?6, failures = ?7, pulled = ?8, pushed = ?9,"
                                " last_error = ?10, updated_at = ?11 WHERE id = ?12 RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, p->added_after ? p->added_after : "");
    ermes__db_bind_int(s, 2, p->push_after_added);
    ermes__db_bind_int(s, 3, p->push_after_id);
    ermes__db_bind_int(s, 4, p->last_pull_at);
    ermes__db_bind_int(s, 5, p->last_push_at);
    ermes__db_bind_int(s, 6, p->next_at);
    ermes__db_bind_int(s, 7, p->failures);
    ermes__db_bind_int(s, 8, p->pulled);
    ermes__db_bind_int(s, 9, p->pushed);
    ermes__db_bind_text(s, 10, p->last_error ? p->last_error : "");
    ermes__db_bind_int(s, 11, ermes__time_now_ms());
    ermes__db_bind_int(s, 12, p->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
}

int ermes__store_peer_delete(ermes__store_t *st, int64_t id)
{
    return ermes__db_exec_id(st, "DELETE FROM peers WHERE id = ?1 RETURNING id", id);
}

static ermes_tlp_t tlp_of(const char *t, ermes_tlp_t dflt)
{
    ermes_tlp_t v;

    return t && ermes_tlp_parse(t, strlen(t), &v) == 0 ? v : dflt;
}

int ermes__store_peer_each(ermes__store_t *st, const char *key, ermes__store_peer_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__peer_t p;
    char credentials[ERMES__SECRET_MAX + 1];
    int rc, found = 0;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, " CONFIG_COLUMNS ", added_after, push_after_added,"
                                " push_after_id, last_pull_at, last_push_at, next_at, failures,"
                                " pulled, pushed, last_error, tlp, owner_org_id, created_at,"
                                " updated_at FROM peers WHERE ?1 = '' OR name = ?1"
                                " OR CAST(id AS TEXT) = ?1 ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, key ? key : "");
    while ((rc = ermes__db_step(s)) == 1) {
        memset(&p, 0, sizeof(p));
        p.id = ermes__db_col_int(s, 0);
        p.name = ermes__db_col_text(s, 1);
        p.url = ermes__db_col_text(s, 2);
        p.collection_id = ermes__db_col_text(s, 3);
        p.auth = ermes__db_col_text(s, 4);
        p.credentials = ermes__db_col_text(s, 5);
        if (ermes__secret_is_sealed(p.credentials)) {
            /* Without the key that sealed them (a database copied without its data
             * directory's secrets.key) the credentials are unknown, hence none. */
            unsigned char box_key[ERMES__SECRET_KEY_BYTES];
            if (ermes__store_secret_key(st, 0, box_key) ||
                ermes__secret_open(box_key, p.credentials, credentials, sizeof(credentials))) {
                credentials[0] = '\0';
                ermes__log(ERMES_LOG_WARNING,
                           "peer %s: its credentials cannot be opened with %s of the data"
                           " directory",
                           p.name ? p.name : "", ERMES__SECRET_KEY_FILE);
            }
            sodium_memzero(box_key, sizeof(box_key));
            p.credentials = credentials;
        }
        p.share_group = ermes__db_col_text(s, 6);
        p.max_tlp = tlp_of(ermes__db_col_text(s, 7), ERMES_TLP_CLEAR);
        p.interval_s = (long)ermes__db_col_int(s, 8);
        p.pull = ermes__db_col_int(s, 9) != 0;
        p.push = ermes__db_col_int(s, 10) != 0;
        p.local_user = ermes__db_col_text(s, 11);
        p.added_after = ermes__db_col_text(s, 12);
        p.push_after_added = ermes__db_col_int(s, 13);
        p.push_after_id = ermes__db_col_int(s, 14);
        p.last_pull_at = ermes__db_col_int(s, 15);
        p.last_push_at = ermes__db_col_int(s, 16);
        p.next_at = ermes__db_col_int(s, 17);
        p.failures = ermes__db_col_int(s, 18);
        p.pulled = ermes__db_col_int(s, 19);
        p.pushed = ermes__db_col_int(s, 20);
        p.last_error = ermes__db_col_text(s, 21);
        p.tlp = tlp_of(ermes__db_col_text(s, 22), ERMES_TLP_RED);
        p.owner_org_id = ermes__db_col_null(s, 23) ? 0 : ermes__db_col_int(s, 23);
        p.created_at = ermes__db_col_int(s, 24);
        p.updated_at = ermes__db_col_int(s, 25);
        found = 1;
        rc = cb(ctx, &p);
        sodium_memzero(credentials, sizeof(credentials));
        if (rc)
            break;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (rc == 0 && key && key[0] && !found)
        return ERMES_ENOTFOUND;
    return rc;
}

int ermes__store_peers_seal(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t ids[64];
    char *plain[64];
    size_t n = 0, i;
    int rc, own = 0, more;

    if (!db)
        return ERMES_ESTORE;
    do {
        /* In batches: a row is read, then written, never while a statement reads the table. */
        n = 0;
        if ((rc = ermes__db_prepare(db,
                                    "SELECT id, credentials FROM peers WHERE credentials <> ''"
                                    " AND credentials NOT LIKE 'sealed:%' ORDER BY id LIMIT 64",
                                    &s)))
            return rc;
        while (n < 64 && (rc = ermes__db_step(s)) == 1) {
            if (!(plain[n] = strdup(ermes__db_col_text(s, 1)))) {
                rc = ERMES_ENOMEM;
                break;
            }
            ids[n++] = ermes__db_col_int(s, 0);
        }
        ermes__db_done(s);
        more = n == 64;
        if (rc >= 0 && n && !ermes__db_in_tx(db))
            rc = ermes__db_scrub(db, 0);
        if (rc >= 0)
            rc = n ? ermes__tx_start(db, &own) : 0;
        for (i = 0; rc >= 0 && i < n; i++) {
            char *sealed = NULL;
            if ((rc = ermes__store_secret_seal(st, plain[i], &sealed)))
                break;
            if ((rc = ermes__db_prepare(db, "UPDATE peers SET credentials = ?1 WHERE id = ?2",
                                        &s)) == 0) {
                ermes__db_bind_text(s, 1, sealed);
                ermes__db_bind_int(s, 2, ids[i]);
                rc = ermes__db_step(s);
                ermes__db_done(s);
            }
            free(sealed);
        }
        if (n)
            rc = ermes__tx_end(db, own, rc < 0 ? rc : 0);
        if (rc >= 0 && n && own)
            rc = ermes__db_scrub(db, 1);
        for (i = 0; i < n; i++) {
            sodium_memzero(plain[i], strlen(plain[i]));
            free(plain[i]);
        }
    } while (rc >= 0 && more);
    return rc < 0 ? rc : 0;
}
