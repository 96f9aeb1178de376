/* Files received from outside (reports, mail), made durable under their content's name.
 *
 * The bytes are written under a temporary name in the directory (DIR/.incoming-XXXXXX) and
 * hashed as they arrive; on commit the file is fsync'd, renamed to DIR/<sha256> and the
 * directory fsync'd, so a crash leaves either no such name or the whole file under it, and
 * files with the same bytes share one name. A crash while the bytes arrive leaves the temporary
 * file behind, never acknowledged: ermes__incoming_sweep removes those past an age. */
#ifndef ERMES_CORE_INCOMING_H
#define ERMES_CORE_INCOMING_H

#include <stddef.h>

#include "core/sha256.h"

typedef struct ermes__incoming {
    char dir[4096];
    char tmp[4128];
    int fd;
    ermes__sha256_t *sha;
    size_t size;     /* bytes written so far */
    char sha256[65]; /* set by ermes__incoming_digest */
} ermes__incoming_t;

/* Makes DIR (0700) when missing and opens a temporary file in it. ERMES_EINVAL: DIR's name is
 * too long; ERMES_EIO: the directory or file cannot be made. */
int ermes__incoming_open(ermes__incoming_t *f, const char *dir);
int ermes__incoming_write(ermes__incoming_t *f, const void *p, size_t n);
/* Ends the hashing: f->sha256 holds the digest, so the caller can decide (a file received
 * before) between commit and abort. */
void ermes__incoming_digest(ermes__incoming_t *f);
/* fsync, rename to DIR/<sha256>, fsync DIR (after ermes__incoming_digest). The temporary file
 * is gone whatever the outcome; 0 means the file is durable under its name. */
int ermes__incoming_commit(ermes__incoming_t *f);
/* Closes and removes the temporary file (any time before commit; again after it is harmless). */
void ermes__incoming_abort(ermes__incoming_t *f);
/* fsync of a directory: what makes a rename or link in it durable. */
int ermes__incoming_sync_dir(const char *dir);
/* Removes DIR/.incoming-* files not changed for more than max_age seconds, logging each as
 * "removed PATH, a partial WHAT never acknowledged"; returns how many. */
size_t ermes__incoming_sweep(const char *dir, long max_age, const char *what);

#endif
