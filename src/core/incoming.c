/* Files received from outside, made durable under their content's name (see incoming.h). */
#include "core/incoming.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "ermes/error.h"

static const char prefix[] = ".incoming-";

int ermes__incoming_open(ermes__incoming_t *f, const char *dir)
{
    int n;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    n = snprintf(f->dir, sizeof(f->dir), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(f->dir))
        return ERMES_EINVAL;
    if (mkdir(f->dir, 0700) != 0 && errno != EEXIST)
        return ERMES_EIO;
    snprintf(f->tmp, sizeof(f->tmp), "%s/%sXXXXXX", f->dir, prefix);
    if (!(f->sha = ermes__sha256_new()))
        return ERMES_ENOMEM;
    if ((f->fd = mkstemp(f->tmp)) < 0) {
        ermes__sha256_free(f->sha);
        f->sha = NULL;
        f->tmp[0] = '\0';
        return ERMES_EIO;
    }
    return 0;
}

int ermes__incoming_write(ermes__incoming_t *f, const void *data, size_t n)
{
    const char *p = data;

    if (f->sha)
        ermes__sha256_update(f->sha, p, n);
    f->size += n;
    while (n) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ERMES_EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void ermes__incoming_digest(ermes__incoming_t *f)
{
    if (!f->sha)
        return;
    ermes__sha256_final(f->sha, f->sha256);
    f->sha = NULL;
}

int ermes__incoming_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY), rc = 0;

    if (fd < 0)
        return ERMES_EIO;
    if (fsync(fd) != 0)
        rc = ERMES_EIO;
    close(fd);
    return rc;
}

int ermes__incoming_commit(ermes__incoming_t *f)
{
    char final[sizeof(f->dir) + 66];

    ermes__incoming_digest(f);
    if (fsync(f->fd) != 0) {
        ermes__incoming_abort(f);
        return ERMES_EIO;
    }
    close(f->fd);
    f->fd = -1;
    snprintf(final, sizeof(final), "%s/%s", f->dir, f->sha256);
    if (rename(f->tmp, final) != 0) {
        ermes__incoming_abort(f);
        return ERMES_EIO;
    }
    f->tmp[0] = '\0';
    return ermes__incoming_sync_dir(f->dir);
}

void ermes__incoming_abort(ermes__incoming_t *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->tmp[0])
        unlink(f->tmp);
    f->tmp[0] = '\0';
    ermes__sha256_free(f->sha);
    f->sha = NULL;
}

size_t ermes__incoming_sweep(const char *dir, long max_age, const char *what)
{
    char path[4352];
    struct dirent *e;
    struct stat sb;
    size_t removed = 0;
    time_t now = time(NULL);
    DIR *dh = opendir(dir);

    if (!dh)
        return 0;
    while ((e = readdir(dh))) {
        if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && now - sb.st_mtime > max_age &&
            unlink(path) == 0) {
            ermes__log(ERMES_LOG_NOTICE, "removed %s, a partial %s never acknowledged", path, what);
            removed++;
        }
    }
    closedir(dh);
    return removed;
}
