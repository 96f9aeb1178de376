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
 * certificate and its key, both or neither (NULL), ERMES_CSAF_CRED_PEM_MAX bytes each. Fills
 * out (clear it after); ERMES_EINVAL with the field named in d. */
int ermes__csaf_cred_build(const char *url, const char *const *headers, size_t n, const char *cert,
                           const char *key, ermes__csaf_cred_t *out, ermes_diag_t *d);

#endif
