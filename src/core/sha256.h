/* SHA-256 of reports and other large inputs, with the CPU's SHA instructions where it has
 * them (OpenSSL's libcrypto picks its code at run time: about 4x libsodium's portable code on
 * this project's machines, which matters for a report of hundreds of megabytes). */
#ifndef ERMES_CORE_SHA256_H
#define ERMES_CORE_SHA256_H

#include <stddef.h>

typedef struct ermes__sha256 ermes__sha256_t;

/* NULL when out of memory. */
ermes__sha256_t *ermes__sha256_new(void);
void ermes__sha256_update(ermes__sha256_t *h, const void *p, size_t n);
/* Writes the digest as 64 lower-case hex digits and a NUL into hex, and frees h. */
void ermes__sha256_final(ermes__sha256_t *h, char hex[65]);
/* Frees h without a digest (an abandoned input). */
void ermes__sha256_free(ermes__sha256_t *h);

#endif
