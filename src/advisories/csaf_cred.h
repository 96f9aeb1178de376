/* Credentials for another CSAF provider as asked for (`ermes csaf credentials set`, POST
 * /api/v1/csaf/credentials), checked and turned into what src/store/csaf_credentials.h keeps:
 * csaf_cred.c. */
#ifndef ERMES_ADVISORIES_CSAF_CRED_H
#define ERMES_ADVISORIES_CSAF_CRED_H

#include <stddef.h>

#include "ermes/error.h"
#include "store/csaf_credentials.h"

/* url: the provider (a domain, its URL or its metadata's URL; its origin is kept). headers: n
 * lines "Name: value" (a token name, a value without control characters, at most
 * ERMES_CSAF_CRED_HEADERS_MAX lines and 4096 bytes in all). cert, key: PEM text of a TLS client
 * certificate (with its chain, at most ERMES_CSAF_CRED_CERT_MAX bytes) and its key (at most
 * ERMES_CSAF_CRED_KEY_MAX bytes), both or neither (NULL). Fills out (clear it after);
 * ERMES_EINVAL, or ERMES_ETOOBIG for a certificate or key over its cap, with the field named
 * in d. */
int ermes__csaf_cred_build(const char *url, const char *const *headers, size_t n, const char *cert,
                           const char *key, ermes__csaf_cred_t *out, ermes_diag_t *d);

/* A PKCS#12 file (DER or PEM, len bytes, at most ERMES_CSAF_CRED_P12_MAX) opened with
 * passphrase (NULL or "": none) and turned into what ermes__csaf_cred_build takes: its
 * certificate with the chain it holds, and its private key (PKCS#8), as PEM into *cert and
 * *key (caller frees both with ermes__csaf_cred_pem_free(); untouched on failure). Returns
 * ERMES_ETOOBIG with d's field "client_p12" over the cap, ERMES_EINVAL with "client_p12" (not
 * PKCS#12, no key or no certificate in it, a chain or key over its cap) or "p12_passphrase"
 * (the passphrase does not open it), ERMES_ENOMEM. */
int ermes__csaf_cred_p12(const unsigned char *p12, size_t len, const char *passphrase, char **cert,
                         char **key, ermes_diag_t *d);

/* The same from base64 text (as the API takes it; white space ignored). */
int ermes__csaf_cred_p12_base64(const char *b64, const char *passphrase, char **cert, char **key,
                                ermes_diag_t *d);

/* Frees what ermes__csaf_cred_p12 made, a key wiped first. NULL: nothing. */
void ermes__csaf_cred_pem_free(char *pem);

#endif
