/* The spool directory the daemon watches (see spooldir.h for the order of the steps). */
#include "intake/spooldir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "intake/parser.h"

#define TOKEN_LEN 32 /* hex characters of a claim token */
#define SETTLE_S 1   /* a file written in place is taken once unchanged this long */
#define MAX_OPTIONS_FILE 16384
#define MAX_OPTIONS 32
#define PATH_CAP 4608

struct ermes__spooldir {
    ermes__store_t *store;
    ermes__intake_t *intake;
    ermes__viewer_t viewer;
    char *dir;
    long rescan_s;
    int inotify_fd;
    int stop_pipe[2];
    pthread_t thread;
    int running;
};

int ermes__spool_name_ignored(const char *name)
{
    size_t n = strlen(name);

    return name[0] == '.' || n == 0 || (n >= 4 && strcmp(name + n - 4, ".tmp") == 0) ||
           (n >= 5 && strcmp(name + n - 5, ".part") == 0);
}

int ermes__spooldir_new(ermes__store_t *st, ermes__intake_t *in, const ermes__viewer_t *v,
                        const char *dir, long rescan_s, ermes__spooldir_t **out)
{
    ermes__spooldir_t *sd = ermes__calloc(1, sizeof(*sd));

    if (!sd)
        return ERMES_ENOMEM;
    sd->store = st;
    sd->intake = in;
    sd->viewer = *v;
    sd->rescan_s = rescan_s > 0 ? rescan_s : 5;
    sd->inotify_fd = sd->stop_pipe[0] = sd->stop_pipe[1] = -1;
    if (!(sd->dir = ermes__strdup(dir))) {
        ermes__free(sd);
        return ERMES_ENOMEM;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        ermes__log(ERMES_LOG_ERROR, "spool: cannot create %s: %s", dir, strerror(errno));
        ermes__spooldir_free(sd);
        return ERMES_EIO;
    }
    *out = sd;
    return 0;
}

void ermes__spooldir_free(ermes__spooldir_t *sd)
{
    if (!sd)
        return;
    ermes__spooldir_stop(sd);
    ermes__free(sd->dir);
    ermes__free(sd);
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes text to path durably (a temporary name, fsync, rename). */
static int write_file(const char *path, const char *text)
{
    char tmp[PATH_CAP * 2 + 16];
    size_t n = strlen(text);
    int fd;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return ERMES_EIO;
    if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        return ERMES_EIO;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return ERMES_EIO;
    }
    return 0;
}

/* Moves src (a file of directory dir, or claimed from it) to dir/.failed/NAME with
 * NAME.reason beside it; NAME is name, or name.N when that is taken. */
static int fail_file(ermes__spooldir_t *sd, const char *dir, const char *src, const char *name,
                     const char *reason)
{
    char failed[PATH_CAP], dest[PATH_CAP + 300], rpath[PATH_CAP + 320], text[600];
    struct stat sb;
    int k;

    (void)sd;
    snprintf(failed, sizeof(failed), "%s/.failed", dir);
    if (mkdir(failed, 0700) != 0 && errno != EEXIST) {
        ermes__log(ERMES_LOG_ERROR, "spool: cannot create %s: %s (%s stays)", failed,
                   strerror(errno), src);
        return ERMES_EIO;
    }
    for (k = 0; k < 10000; k++) {
        if (k == 0)
            snprintf(dest, sizeof(dest), "%s/%s", failed, name);
        else
            snprintf(dest, sizeof(dest), "%s/%s.%d", failed, name, k);
        snprintf(rpath, sizeof(rpath), "%s.reason", dest);
        if (lstat(dest, &sb) != 0 && errno == ENOENT && lstat(rpath, &sb) != 0 && errno == ENOENT)
            break;
    }
    snprintf(text, sizeof(text), "%s\n", reason);
    /* The reason first: a crash before the move leaves the file where it was, to fail again
     * (and overwrite this reason) at the next scan. */
    if (write_file(rpath, text) != 0 || rename(src, dest) != 0) {
        ermes__log(ERMES_LOG_ERROR, "spool: cannot move %s to %s: %s", src, dest, strerror(errno));
        return ERMES_EIO;
    }
    sync_dir(failed);
    ermes__log(ERMES_LOG_WARNING, "spool: %s refused (%s): moved to %s", src, reason, dest);
    return 0;
}

/* FEED/.options: key=value lines ('#' comments, blank lines) into list (owned strings). */
static int load_options(const char *fdir, char **list, size_t *n, char *why, size_t why_cap)
{
    char path[PATH_CAP + 16], buf[MAX_OPTIONS_FILE + 1], *line, *next;
    ssize_t got;
    long lineno = 0;
    int fd;

    *n = 0;
    snprintf(path, sizeof(path), "%s/.options", fdir);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : (snprintf(why, why_cap, "cannot read .options"), -1);
    got = read(fd, buf, MAX_OPTIONS_FILE + 1);
    close(fd);
    if (got < 0 || got > MAX_OPTIONS_FILE) {
        snprintf(why, why_cap, ".options: unreadable or larger than %d bytes", MAX_OPTIONS_FILE);
        return -1;
    }
    buf[got] = '\0';
    for (line = buf; line && *line; line = next) {
        size_t len;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        if (!len || line[0] == '#')
            continue;
        if (!strchr(line, '=') || line[0] == '=' || len > 512 || *n >= MAX_OPTIONS) {
            snprintf(why, why_cap, ".options:%ld: expected key=value (at most %d)", lineno,
                     MAX_OPTIONS);
            goto bad;
        }
        if (!(list[*n] = ermes__strdup(line))) {
            snprintf(why, why_cap, "out of memory");
            goto bad;
        }
        (*n)++;
    }
    list[*n] = NULL;
    return 0;
bad:
    for (size_t k = 0; k < *n; k++)
        ermes__free(list[k]);
    *n = 0;
    list[0] = NULL;
    return -1;
}

typedef struct counts {
    size_t taken, failed, deferred;
} counts_t;

/* Step 2 and 3 for a claimed file. Returns 0 when the file is dealt with (taken or failed),
 * non-zero when it stays claimed for the next scan (a store error). */
static int take(ermes__spooldir_t *sd, const char *feed, const char *fdir, const char *token,
                const char *name, char *const *options, counts_t *c)
{
    char claimed[PATH_CAP + 300], taking[PATH_CAP + 16];
    ermes__report_meta_t meta;
    ermes__report_t r;
    ermes_diag_t d;
    int rc;

    snprintf(taking, sizeof(taking), "%s/.taking", fdir);
    snprintf(claimed, sizeof(claimed), "%s/%s.%s", taking, token, name);
    memset(&meta, 0, sizeof(meta));
    meta.feed = feed;
    meta.file_name = name;
    meta.options = (const char *const *)options;
    ermes_diag_clear(&d);
    if ((rc = ermes__store_begin(sd->store)) == 0) {
        rc = ermes__intake_receive_path(sd->intake, &sd->viewer, &meta, claimed, &r, &d);
        if (rc == 0)
            rc = ermes__store_spool_claim_insert(sd->store, token, r.id);
        if (rc == 0)
            rc = ermes__store_commit(sd->store);
        else
            ermes__store_rollback(sd->store);
    }
    if (rc == ERMES_EEXISTS) {
        /* The same bytes for this feed were received before: nothing new to store. */
        if (unlink(claimed) != 0)
            ermes__log(ERMES_LOG_WARNING, "spool: cannot remove %s: %s", claimed, strerror(errno));
        ermes__log(ERMES_LOG_NOTICE, "spool: %s/%s: already received as report %lld", feed, name,
                   (long long)r.id);
        c->taken++;
        return 0;
    }
    if (rc == ERMES_ESTORE || rc == ERMES_EBUSY || rc == ERMES_ENOMEM) {
        ermes__log(ERMES_LOG_WARNING, "spool: %s/%s: %s; it stays claimed and is retried", feed,
                   name, ermes_strerror(rc));
        return rc;
    }
    if (rc) {
        char reason[400];
        snprintf(reason, sizeof(reason), "%s", d.reason[0] ? d.reason : ermes_strerror(rc));
        if (fail_file(sd, fdir, claimed, name, reason) == 0)
            c->failed++;
        return 0;
    }
    /* Recorded: the file's bytes are the report's now. */
    if (unlink(claimed) != 0)
        ermes__log(ERMES_LOG_WARNING, "spool: cannot remove %s: %s (recorded as report %lld)",
                   claimed, strerror(errno), (long long)r.id);
    ermes__log(ERMES_LOG_INFO, "spool: %s/%s is report %lld (%lld bytes)", feed, name,
               (long long)r.id, (long long)r.size);
    c->taken++;
    return 0;
}

/* Whether the file claimed with token is another live daemon's, which takes it itself. A
 * token's first 16 hex digits are its claimer's instance id; this instance's own are taken
 * again here (a store error left them), as are those of a token from before (no such
 * instance). */
static int claimer_alive(ermes__spooldir_t *sd, const char *token)
{
    int64_t id = 0;
    int alive = 0;

    for (int k = 0; k < 16; k++) {
        int v = token[k] >= '0' && token[k] <= '9'   ? token[k] - '0'
                : token[k] >= 'a' && token[k] <= 'f' ? token[k] - 'a' + 10
                                                     : -1;
        if (v < 0)
            return 0;
        id = (int64_t)(((uint64_t)id << 4) | (uint64_t)v);
    }
    if (id == ermes__instance_id())
        return 0;
    /* Unsure (the store failed): alive, so the file waits rather than being taken twice. */
    if (ermes__store_instance_alive(sd->store, id, &alive))
        return 1;
    return alive;
}

/* Claims left by a run that stopped between steps. */
static int recover(ermes__spooldir_t *sd, const char *feed, const char *fdir, int known,
                   char *const *options, counts_t *c)
{
    char taking[PATH_CAP + 16], path[PATH_CAP + 300], token[TOKEN_LEN + 1];
    struct dirent *e;
    DIR *dh;
    int rc = 0;

    snprintf(taking, sizeof(taking), "%s/.taking", fdir);
    if (!(dh = opendir(taking)))
        return 0;
    while ((e = readdir(dh))) {
        const char *name = e->d_name + TOKEN_LEN + 1;
        int64_t report_id = 0;
        if (strlen(e->d_name) <= TOKEN_LEN + 1 || e->d_name[TOKEN_LEN] != '.')
            continue;
        memcpy(token, e->d_name, TOKEN_LEN);
        token[TOKEN_LEN] = '\0';
        if (claimer_alive(sd, token))
            continue;
        snprintf(path, sizeof(path), "%s/%s", taking, e->d_name);
        rc = ermes__store_spool_claim_find(sd->store, token, &report_id);
        if (rc == 0) {
            if (unlink(path) == 0)
                ermes__log(ERMES_LOG_NOTICE, "spool: %s/%s was already report %lld", feed, name,
                           (long long)report_id);
            continue;
        }
        if (rc != ERMES_ENOTFOUND)
            break;
        rc = 0;
        if (!known) {
            if (fail_file(sd, fdir, path, name, "unknown feed (see `ermes feeds`)") == 0)
                c->failed++;
            continue;
        }
        if ((rc = take(sd, feed, fdir, token, name, options, c)))
            break;
    }
    closedir(dh);
    return rc;
}

static int scan_feed(ermes__spooldir_t *sd, const char *feed, counts_t *c)
{
    char fdir[PATH_CAP], taking[PATH_CAP + 16], path[PATH_CAP + 300], claimed[PATH_CAP + 340];
    char *options[MAX_OPTIONS + 1] = {NULL}, why[160] = "";
    size_t noptions = 0;
    int known = ermes__parser_find(feed) != NULL, bad_options = 0, rc = 0;
    time_t now = time(NULL);
    struct dirent *e;
    struct stat sb;
    DIR *dh;

    snprintf(fdir, sizeof(fdir), "%s/%s", sd->dir, feed);
    snprintf(taking, sizeof(taking), "%s/.taking", fdir);
    if (known && load_options(fdir, options, &noptions, why, sizeof(why)) != 0)
        bad_options = 1;
    if (!bad_options && (rc = recover(sd, feed, fdir, known, options, c)))
        goto out;
    if (!(dh = opendir(fdir)))
        goto out;
    while ((e = readdir(dh))) {
        char token[TOKEN_LEN + 1];
        unsigned char rnd[TOKEN_LEN / 4];
        if (ermes__spool_name_ignored(e->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", fdir, e->d_name);
        if (lstat(path, &sb) != 0 || S_ISDIR(sb.st_mode))
            continue;
        if (!S_ISREG(sb.st_mode)) {
            if (fail_file(sd, fdir, path, e->d_name, "not a regular file") == 0)
                c->failed++;
            continue;
        }
        if (!known) {
            char reason[200];
            snprintf(reason, sizeof(reason), "unknown feed \"%.64s\" (see `ermes feeds`)", feed);
            if (fail_file(sd, fdir, path, e->d_name, reason) == 0)
                c->failed++;
            continue;
        }
        if (bad_options) {
            if (fail_file(sd, fdir, path, e->d_name, why) == 0)
                c->failed++;
            continue;
        }
        /* A file renamed in is whole; one written in place may still be growing. Either way
         * a file changed within the last second waits for the next pass. */
        if (now - sb.st_mtime < SETTLE_S && sb.st_mtime <= now) {
            c->deferred++;
            continue;
        }
        if (mkdir(taking, 0700) != 0 && errno != EEXIST) {
            ermes__log(ERMES_LOG_ERROR, "spool: cannot create %s: %s", taking, strerror(errno));
            break;
        }
        /* The claimer's instance id, then 64 random bits. */
        randombytes_buf(rnd, sizeof(rnd));
        snprintf(token, sizeof(token), "%016llx", (unsigned long long)ermes__instance_id());
        sodium_bin2hex(token + 16, sizeof(token) - 16, rnd, sizeof(rnd));
        snprintf(claimed, sizeof(claimed), "%s/%s.%s", taking, token, e->d_name);
        if (rename(path, claimed) != 0) {
            if (errno != ENOENT) /* ENOENT: another process took it first */
                ermes__log(ERMES_LOG_ERROR, "spool: cannot claim %s: %s", path, strerror(errno));
            continue;
        }
        /* The claim must be on disk before the report is: a claim lost to a power cut after
         * the report was recorded would bring the file back to be taken twice. */
        sync_dir(taking);
        sync_dir(fdir);
        if ((rc = take(sd, feed, fdir, token, e->d_name, options, c)))
            break;
    }
    closedir(dh);
out:
    for (size_t k = 0; k < noptions; k++)
        ermes__free(options[k]);
    return rc;
}

static int scan(ermes__spooldir_t *sd, counts_t *c)
{
    char path[PATH_CAP + 300];
    struct dirent *e;
    struct stat sb;
    DIR *dh;
    int rc = 0;

    if (!(dh = opendir(sd->dir))) {
        ermes__log(ERMES_LOG_ERROR, "spool: cannot read %s: %s", sd->dir, strerror(errno));
        return ERMES_EIO;
    }
    while ((e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", sd->dir, e->d_name);
        if (lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (sd->inotify_fd >= 0)
                inotify_add_watch(sd->inotify_fd, path,
                                  IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR);
            if ((rc = scan_feed(sd, e->d_name, c)))
                break;
        } else if (!ermes__spool_name_ignored(e->d_name)) {
            if (fail_file(sd, sd->dir, path, e->d_name,
                          "not in a feed directory (put it in SPOOL/<feed>/)") == 0)
                c->failed++;
        }
    }
    closedir(dh);
    if (c->taken)
        ermes__intake_kick(sd->intake);
    return rc;
}

int ermes__spooldir_scan(ermes__spooldir_t *sd, size_t *taken, size_t *failed, size_t *deferred)
{
    counts_t c = {0, 0, 0};
    int rc = scan(sd, &c);

    if (taken)
        *taken = c.taken;
    if (failed)
        *failed = c.failed;
    if (deferred)
        *deferred = c.deferred;
    return rc;
}

static void *watch_main(void *arg)
{
    ermes__spooldir_t *sd = arg;
    counts_t c = {0, 0, 0};

    scan(sd, &c);
    for (;;) {
        struct pollfd p[2] = {{sd->stop_pipe[0], POLLIN, 0}, {sd->inotify_fd, POLLIN, 0}};
        int timeout = c.deferred ? SETTLE_S * 1000 : (int)sd->rescan_s * 1000;
        int n = poll(p, sd->inotify_fd >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && (p[0].revents & POLLIN))
            break;
        if (n > 0 && (p[1].revents & POLLIN)) {
            char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
            while (read(sd->inotify_fd, buf, sizeof(buf)) > 0)
                ;
        }
        memset(&c, 0, sizeof(c));
        scan(sd, &c);
    }
    return NULL;
}

int ermes__spooldir_start(ermes__spooldir_t *sd)
{
    if (sd->running)
        return 0;
    if (pipe(sd->stop_pipe) != 0)
        return ERMES_EIO;
    fcntl(sd->stop_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(sd->stop_pipe[1], F_SETFD, FD_CLOEXEC);
    /* inotify wakes the thread at once; without it (no instances left, a file system that
     * does not report) the periodic rescan still finds everything. */
    sd->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (sd->inotify_fd < 0)
        ermes__log(ERMES_LOG_WARNING, "spool: no inotify (%s): rescanning every %ld s",
                   strerror(errno), sd->rescan_s);
    else if (inotify_add_watch(sd->inotify_fd, sd->dir,
                               IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR) < 0)
        ermes__log(ERMES_LOG_WARNING, "spool: cannot watch %s (%s): rescanning every %ld s",
                   sd->dir, strerror(errno), sd->rescan_s);
    if (pthread_create(&sd->thread, NULL, watch_main, sd) != 0) {
        close(sd->stop_pipe[0]);
        close(sd->stop_pipe[1]);
        if (sd->inotify_fd >= 0)
            close(sd->inotify_fd);
        sd->inotify_fd = sd->stop_pipe[0] = sd->stop_pipe[1] = -1;
        return ERMES_ENOMEM;
    }
    sd->running = 1;
    ermes__log(ERMES_LOG_INFO, "spool: watching %s", sd->dir);
    return 0;
}

void ermes__spooldir_stop(ermes__spooldir_t *sd)
{
    if (!sd || !sd->running)
        return;
    if (write(sd->stop_pipe[1], "x", 1) != 1)
        ermes__log(ERMES_LOG_ERROR, "spool: cannot signal the watcher to stop");
    pthread_join(sd->thread, NULL);
    close(sd->stop_pipe[0]);
    close(sd->stop_pipe[1]);
    if (sd->inotify_fd >= 0)
        close(sd->inotify_fd);
    sd->inotify_fd = sd->stop_pipe[0] = sd->stop_pipe[1] = -1;
    sd->running = 0;
}
