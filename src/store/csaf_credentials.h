/* Credentials for other CSAF providers' protected distributions (TLP:AMBER and RED, issue 13):
 * per provider origin (scheme://host:port, src/core/url.h), HTTP header lines (an
 * Authorization or API key header) and a TLS client certificate and key, sent by the import
 * (src/advisories/csaf_import.c, csaf_check.c) to that origin only. Migration 66 in
 * src/store/schema.c; the header lines and the key are sealed at rest under the data
 * directory's key as collectors' headers are (src/core/secret_box.h), plain here, never shown
 * by the API nor the CLI, which show the header names only. */
#ifndef ERMES_STORE_CSAF_CREDENTIALS_H
#define ERMES_STORE_CSAF_CREDENTIALS_H

#include <stdint.h>

#include "store/store.h"

#define ERMES_CSAF_CRED_HEADERS_MAX 16 /* header lines per provider */
#define ERMES_CSAF_CRED_CERT_MAX 65536 /* bytes of a client certificate chain (PEM) */
#define ERMES_CSAF_CRED_KEY_MAX 4096   /* bytes of its key (PEM; a sealed secret's cap) */
#define ERMES_CSAF_CRED_P12_MAX 65536  /* bytes of a PKCS#12 file they may come in */

typedef struct ermes__csaf_cred {
    int64_t id;
    char origin[300];       /* scheme://host:port */
    char *headers;          /* JSON array of "Name: value" (owned, plain); NULL: none */
    char header_names[640]; /* the names, comma-separated (what may be shown) */
    char *client_cert;      /* PEM (owned); NULL: none */
    char *client_key;       /* PEM (owned, plain); NULL: none */
    char tlp[8];
    int64_t owner_org_id, created_at, updated_at;
} ermes__csaf_cred_t;

void ermes__csaf_cred_clear(ermes__csaf_cred_t *c);

/* Stores c (by c->origin: made, or replaced whole) in one statement; *created says which, so
 * of puts of one origin at once exactly one says made. c->id is set. */
int ermes__store_csaf_cred_put(ermes__store_t *st, ermes__csaf_cred_t *c, int *created);
/* The credentials of origin, opened, into out (clear it after); ERMES_ENOTFOUND when none.
 * A secret sealed under another key (a database copied without its secrets.key) is NULL. */
int ermes__store_csaf_cred_get(ermes__store_t *st, const char *origin, ermes__csaf_cred_t *out);
/* Every provider's credentials by origin, without the secrets (headers and client_key NULL,
 * client_cert "" when one is stored). A non-zero return of cb stops and is returned. */
int ermes__store_csaf_cred_each(ermes__store_t *st,
                                int (*cb)(void *ctx, const ermes__csaf_cred_t *c), void *ctx);
/* Deletes by id (origin NULL) or by origin. ERMES_ENOTFOUND when there was none. */
int ermes__store_csaf_cred_delete(ermes__store_t *st, int64_t id, const char *origin);

#endif
