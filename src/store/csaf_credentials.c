/* Credentials for other CSAF providers (src/store/csaf_credentials.h, migration 66). The
 * header lines and the client key are sealed when written and opened when read, as
 * collector_defs.c does with a collector's headers. */
#include "store/csaf_credentials.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/secret_box.h"
#include "core/time.h"
#include "store/store_int.h"

#define COLUMNS                                                                                    \
    "id, origin, headers, header_names, client_cert, client_key, tlp, owner_org_id, created_at,"   \
    " updated_at"

void ermes__csaf_cred_clear(ermes__csaf_cred_t *c)
{
    if (c->headers)
        sodium_memzero(c->headers, strlen(c->headers));
    if (c->client_key)
        sodium_memzero(c->client_key, strlen(c->client_key));
    ermes__free(c->headers);
    ermes__free(c->client_cert);
    ermes__free(c->client_key);
    memset(c, 0, sizeof(*c));
}

/* Column col into *out: opened when sealed (open set), copied otherwise. Without the key that
 * sealed it the secret is unknown, hence none: the import then says the provider refused. */
static int col(ermes__store_t *st, ermes__db_stmt_t *s, int n, int open, const char *origin,
               char **out)
{
    const char *t = ermes__db_col_null(s, n) ? NULL : ermes__db_col_text(s, n);
    int rc;

    *out = NULL;
    if (!t || !*t)
        return 0;
    if (!open || !ermes__secret_is_sealed(t))
        return (*out = ermes__strdup(t)) ? 0 : ERMES_ENOMEM;
    if ((rc = ermes__store_secret_open(st, t, out)) == ERMES_ENOMEM)
        return rc;
    if (rc)
        ermes__log(ERMES_LOG_WARNING,
                   "CSAF credentials of %s cannot be opened with %s of the data directory", origin,
                   ERMES__SECRET_KEY_FILE);
    return 0;
}

static int read_row(ermes__store_t *st, ermes__db_stmt_t *s, int secrets, ermes__csaf_cred_t *c)
{
    const char *t;
    int rc;

    memset(c, 0, sizeof(*c));
    c->id = ermes__db_col_int(s, 0);
    snprintf(c->origin, sizeof(c->origin), "%s", (t = ermes__db_col_text(s, 1)) ? t : "");
    snprintf(c->header_names, sizeof(c->header_names), "%s",
             (t = ermes__db_col_text(s, 3)) ? t : "");
    rc = col(st, s, 4, 0, c->origin, &c->client_cert);
    if (!rc && secrets)
        rc = col(st, s, 2, 1, c->origin, &c->headers);
    if (!rc && secrets)
        rc = col(st, s, 5, 1, c->origin, &c->client_key);
    snprintf(c->tlp, sizeof(c->tlp), "%s", (t = ermes__db_col_text(s, 6)) ? t : "RED");
    c->owner_org_id = ermes__db_col_int(s, 7);
    c->created_at = ermes__db_col_int(s, 8);
    c->updated_at = ermes__db_col_int(s, 9);
    if (rc)
        ermes__csaf_cred_clear(c);
    return rc;
}

int ermes__store_csaf_cred_put(ermes__store_t *st, ermes__csaf_cred_t *c, int *created)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms(), home = 0;
    char *headers = NULL, *key = NULL;
    int rc;

    *created = 0;
    if (!db)
        return ERMES_ESTORE;
    ermes__store_home_org(st, &home);
    if ((rc = ermes__store_secret_seal(st, c->headers, &headers)) ||
        (rc = ermes__store_secret_seal(st, c->client_key, &key)))
        goto out;
    /* One statement says whether it made the row: a row made has updated_at = created_at, a
     * row replaced gets an updated_at past both (its old one plus 1 ms when the clock has not
     * moved on), so two puts of one origin at once cannot both say "made" (a SELECT before
     * the INSERT could: both saw no row). */
    rc = ermes__db_prepare(db,
                           "INSERT INTO csaf_credentials (origin, headers, header_names,"
                           " client_cert, client_key, tlp, owner_org_id, created_at, updated_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, 'RED', ?6, ?7, ?7) ON CONFLICT (origin)"
                           " DO UPDATE SET headers = ?2, header_names = ?3, client_cert = ?4,"
                           " client_key = ?5, updated_at = CASE WHEN"
                           " csaf_credentials.updated_at >= ?7 THEN"
                           " csaf_credentials.updated_at + 1 ELSE ?7 END"
                           " RETURNING id, created_at, updated_at",
                           &s);
    if (rc)
        goto out;
    ermes__db_bind_text(s, 1, c->origin);
    ermes__db_bind_text(s, 2, headers);
    ermes__db_bind_text(s, 3, c->header_names);
    ermes__db_bind_text(s, 4, c->client_cert);
    ermes__db_bind_text(s, 5, key);
    if (home)
        ermes__db_bind_int(s, 6, home);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        c->id = ermes__db_col_int(s, 0);
        c->created_at = ermes__db_col_int(s, 1);
        c->updated_at = ermes__db_col_int(s, 2);
        *created = c->updated_at == c->created_at;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ESTORE;
    }
    ermes__db_done(s);
out:
    free(headers);
    free(key);
    return rc;
}

int ermes__store_csaf_cred_get(ermes__store_t *st, const char *origin, ermes__csaf_cred_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " COLUMNS " FROM csaf_credentials WHERE origin = ?1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, origin);
    rc = ermes__db_step(s);
    if (rc == 1)
        rc = read_row(st, s, 1, out);
    else if (rc == 0)
        rc = ERMES_ENOTFOUND;
    ermes__db_done(s);
    return rc;
}

int ermes__store_csaf_cred_each(ermes__store_t *st,
                                int (*cb)(void *ctx, const ermes__csaf_cred_t *c), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " COLUMNS " FROM csaf_credentials ORDER BY origin"
                                " LIMIT 10000",
                                &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        ermes__csaf_cred_t c;
        if ((rc = read_row(st, s, 0, &c)))
            break;
        /* The certificate is not secret, but a list says only that there is one. */
        if (c.client_cert)
            c.client_cert[0] = '\0';
        rc = cb(ctx, &c);
        ermes__csaf_cred_clear(&c);
        if (rc)
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_csaf_cred_delete(ermes__store_t *st, int64_t id, const char *origin)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                origin ? "DELETE FROM csaf_credentials WHERE origin = ?1"
                                         " RETURNING id"
                                       : "DELETE FROM csaf_credentials WHERE id = ?1 RETURNING id",
                                &s)))
        return rc;
    if (origin)
        ermes__db_bind_text(s, 1, origin);
    else
        ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
}
