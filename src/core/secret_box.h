/* Secrets at rest (a peer's credentials): sealed with libsodium's secretbox
 * (XSalsa20-Poly1305, authenticated) under a key kept in a file of the data directory, beside
 * the database and never in it, so that a copy of the database (a dump, a backup, a stolen
 * PostgreSQL replica) without the key file reveals nothing.
 *
 * The key file, DATA_DIR/secrets.key, is 64 hexadecimal digits and a newline, mode 0600,
 * created at first use (the first secret sealed) by writing a temporary file and linking it
 * into place, so two processes that race both end up with the one that won. Several daemons
 * on one PostgreSQL database must each have the same file (copy it, keep it 0600).
 *
 * A sealed secret is text: "sealed:1:" and the base64 of nonce || ciphertext. */
#ifndef ERMES_CORE_SECRET_BOX_H
#define ERMES_CORE_SECRET_BOX_H

#include <stddef.h>

#define ERMES__SECRET_KEY_FILE "secrets.key"
#define ERMES__SECRET_KEY_BYTES 32
#define ERMES__SECRET_PREFIX "sealed:1:"
#define ERMES__SECRET_MAX 4096 /* bytes of a secret */

/* Reads the key of data_dir into key; with create, makes the file first when there is none.
 * ERMES_ENOTFOUND (no key file, create 0), ERMES_EPARSE (not a key file), ERMES_EIO. */
int ermes__secret_key_load(const char *data_dir, int create,
                           unsigned char key[ERMES__SECRET_KEY_BYTES]);

/* 1 if text is a sealed secret (by its prefix). */
int ermes__secret_is_sealed(const char *text);

/* Seals plain (at most ERMES__SECRET_MAX bytes) into *out (caller frees with free()).
 * ERMES_EINVAL (too long), ERMES_ENOMEM. */
int ermes__secret_seal(const unsigned char key[ERMES__SECRET_KEY_BYTES], const char *plain,
                       char **out);

/* Opens sealed into out (cap bytes, NUL-terminated). ERMES_EPARSE (not a sealed secret, or
 * not sealed under this key: forged, damaged or another key), ERMES_ETOOBIG. */
int ermes__secret_open(const unsigned char key[ERMES__SECRET_KEY_BYTES], const char *sealed,
                       char *out, size_t cap);

#endif
