/* HMAC-SHA256 (RFC 2104 over SHA-256, RFC 4231's test vectors) as the lowercase hex string
 * that request-signing APIs put in a header: Shadowserver's reports API signs each request
 * body so (header HMAC2). */
#ifndef ERMES_CORE_HMAC_H
#define ERMES_CORE_HMAC_H

#include <stddef.h>

#define ERMES_HMAC_SHA256_HEX 65 /* 64 hex digits and the NUL */

/* The HMAC-SHA256 of msg (mlen bytes) keyed with key (klen bytes, any length: a key longer
 * than the block is hashed first), as 64 lowercase hex digits into out. 0, or ERMES_EINTERNAL
 * when libsodium cannot start. */
int ermes__hmac_sha256_hex(const void *key, size_t klen, const void *msg, size_t mlen,
                           char out[ERMES_HMAC_SHA256_HEX]);

#endif
