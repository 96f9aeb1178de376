/* The tailer: the daemon's configured log files (Suricata EVE, Zeek, plain lines) followed in a
 * thread of their own and matched against the current matcher as they grow.
 *
 * Positions: for each file the tailer keeps the device, inode and offset of the first byte not
 * yet delivered, plus the line number there, in DIR/tail.state (replaced atomically: written
 * to a temporary file, synced, renamed). A position is saved only after the sink has been
 * called for every record before it, so a restart resumes without missing a record and
 * without delivering one twice (except a record whose delivery failed half-way).
 *
 * Only complete lines are records: a last line without its newline waits for the writer to
 * finish it, unless the file is rotated away, which finishes it. Rotation (the path names a
 * new file) is noticed at the end of the old file: the old one is read to its end first. A
 * file that shrank below the position was truncated and is read again from its start. */
#define _GNU_SOURCE /* memrchr */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/number.h"
#include "detect/detect_int.h"

#define TAIL_READ (256u * 1024)
#define TAIL_MAX_FILES 256
#define TAIL_SAVE_EVERY (16u * 1024 * 1024)

typedef struct tail_src {
    char *path;
    ermes_log_format_t fmt;
    ermes_log_reader_t *reader;
    int fd;
    dev_t dev;
    ino_t ino;
    int64_t offset; /* file offset of buf[0]: everything before it was delivered */
    long line;      /* lines before offset */
    char *buf;      /* bytes read past offset: at most a partial last line between polls */
    size_t len, cap;
    int skipping;     /* dropping the rest of an over-long line */
    uint64_t unsaved; /* bytes read since the position was last saved */
    int saved;        /* a position was read from the state file, not yet used */
    dev_t saved_dev;
    ino_t saved_ino;
    int64_t saved_offset;
    long saved_line;
} tail_src_t;

struct ermes_tail {
    tail_src_t *src;
    size_t n;
    ermes_matcher_slot_t *slot;
    ermes_scanner_t *scanner;
    ermes_tail_options_t opts;
    char *state_path, *state_tmp;
    ermes_detect_hit_cb sink_cb;
    void *ctx;
    int dirty;
    atomic_int stop;
    pthread_mutex_t mu; /* stats, and the wait between polls */
    pthread_cond_t cv;
    ermes_tail_stats_t stats;
    pthread_t thread;
    int running;
};

/* ---- the detect_logs setting ---- */

void ermes_tail_files_free(ermes_tail_file_t *files, size_t n)
{
    if (!files)
        return;
    for (size_t i = 0; i < n; i++)
        ermes__free((char *)files[i].path);
    ermes__free(files);
}

int ermes_tail_files_parse(const char *spec, ermes_tail_file_t **files, size_t *n, ermes_diag_t *d)
{
    ermes_tail_file_t *out = NULL;
    size_t cnt = 0;
    const char *p = spec;

    if (!spec || !files || !n)
        return ERMES_EINVAL;
    while (*p) {
        const char *e = strchr(p, ','), *colon, *path = p;
        ermes_log_format_t fmt = ERMES_LOG_AUTO;
        size_t len;
        if (!e)
            e = p + strlen(p);
        colon = memchr(p, ':', (size_t)(e - p));
        if (colon) {
            char name[16];
            size_t nl = (size_t)(colon - p);
            int f = -1;
            if (nl < sizeof(name)) {
                memcpy(name, p, nl);
                name[nl] = '\0';
                f = ermes_log_format_parse(name);
            }
            if (f == ERMES_LOG_CSV) {
                ermes_diag_set(d, "detect_logs", "CSV logs cannot be followed: \"%.*s\"",
                               (int)(e - p), p);
                goto fail;
            }
            if (f >= 0) {
                fmt = (ermes_log_format_t)f;
                path = colon + 1;
            }
        }
        while (path < e && *path == ' ')
            path++;
        len = (size_t)(e - path);
        while (len && path[len - 1] == ' ')
            len--;
        if (len == 0) {
            ermes_diag_set(d, "detect_logs", "an entry without a path");
            goto fail;
        }
        if (cnt == TAIL_MAX_FILES) {
            ermes_diag_set(d, "detect_logs", "more than %d files", TAIL_MAX_FILES);
            goto fail;
        }
        if (cnt % 8 == 0) {
            ermes_tail_file_t *nf = ermes__reallocarray(out, cnt + 8, sizeof(*nf));
            if (!nf)
                goto nomem;
            out = nf;
        }
        out[cnt].format = fmt;
        out[cnt].path = ermes__strndup(path, len);
        if (!out[cnt].path)
            goto nomem;
        cnt++;
        p = *e ? e + 1 : e;
    }
    *files = out;
    *n = cnt;
    return 0;
nomem:
    ermes_tail_files_free(out, cnt);
    return ERMES_ENOMEM;
fail:
    ermes_tail_files_free(out, cnt);
    return ERMES_EINVAL;
}

/* ---- positions ---- */

/* The state file: "ermes-tail 1" then one "DEV INO OFFSET LINE PATH" line per file. */
static int state_load(ermes_tail_t *t, ermes_diag_t *d)
{
    FILE *f = fopen(t->state_path, "r");
    char line[4352];
    long no = 0;

    if (!f)
        return errno == ENOENT
                   ? 0
                   : (ermes_diag_set(d, NULL, "cannot read %s: %s", t->state_path, strerror(errno)),
                      ERMES_EIO);
    while (fgets(line, sizeof(line), f)) {
        uint64_t dev, ino;
        int64_t off, ln;
        size_t pos = 0, l = strlen(line);
        const char *tok[4];
        size_t tlen[4];
        int ntok = 0;
        no++;
        if (l && line[l - 1] == '\n')
            line[--l] = '\0';
        if (no == 1) {
            if (strcmp(line, "ermes-tail 1") != 0)
                break;
            continue;
        }
        /* "DEV INO OFFSET LINE PATH": four numbers and the rest of the line. */
        while (ntok < 4 && pos < l) {
            tok[ntok] = line + pos;
            tlen[ntok] = strcspn(line + pos, " ");
            pos += tlen[ntok] + 1;
            ntok++;
        }
        if (ntok < 4 || pos > l ||
            ermes__parse_uint64_n(tok[0], tlen[0], "dev", UINT64_MAX, &dev, NULL) ||
            ermes__parse_uint64_n(tok[1], tlen[1], "ino", UINT64_MAX, &ino, NULL) ||
            ermes__parse_int64_n(tok[2], tlen[2], "offset", 0, INT64_MAX, &off, NULL) ||
            ermes__parse_int64_n(tok[3], tlen[3], "line", 0, LONG_MAX, &ln, NULL)) {
            fclose(f);
            ermes_diag_set(d, NULL, "%s:%ld: malformed position", t->state_path, no);
            return ERMES_EIO;
        }
        for (size_t i = 0; i < t->n; i++)
            if (strcmp(t->src[i].path, line + pos) == 0) {
                t->src[i].saved = 1;
                t->src[i].saved_dev = (dev_t)dev;
                t->src[i].saved_ino = (ino_t)ino;
                t->src[i].saved_offset = off;
                t->src[i].saved_line = ln;
            }
    }
    fclose(f);
    return 0;
}

static int state_save(ermes_tail_t *t)
{
    FILE *f;
    int rc = 0;

    if (!t->state_path || !t->dirty)
        return 0;
    f = fopen(t->state_tmp, "w");
    if (!f)
        return ERMES_EIO;
    fprintf(f, "ermes-tail 1\n");
    for (size_t i = 0; i < t->n; i++) {
        const tail_src_t *s = &t->src[i];
        if (s->fd >= 0)
            fprintf(f, "%llu %llu %lld %ld %s\n", (unsigned long long)s->dev,
                    (unsigned long long)s->ino, (long long)s->offset, s->line, s->path);
        else if (s->saved)
            fprintf(f, "%llu %llu %lld %ld %s\n", (unsigned long long)s->saved_dev,
                    (unsigned long long)s->saved_ino, (long long)s->saved_offset, s->saved_line,
                    s->path);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = ERMES_EIO;
    if (fclose(f) != 0)
        rc = ERMES_EIO;
    if (rc == 0 && rename(t->state_tmp, t->state_path) != 0)
        rc = ERMES_EIO;
    if (rc)
        unlink(t->state_tmp);
    else
        t->dirty = 0;
    return rc;
}

/* ---- records ---- */

static void stat_add(ermes_tail_t *t, uint64_t *field, uint64_t v)
{
    pthread_mutex_lock(&t->mu);
    *field += v;
    pthread_mutex_unlock(&t->mu);
}

/* One complete line at file offset off: parsed, scanned, reported. Returns 0, or -1 when the
 * sink failed (the line is to be delivered again). */
static int deliver(ermes_tail_t *t, tail_src_t *s, const char *source, const char *line, size_t len,
                   int64_t off, long lineno)
{
    ermes_log_record_t rec;
    const ermes_hit_t *hits;
    ermes_diag_t d;
    size_t nh;
    int rc = ermes__det_reader_line(s->reader, line, len, lineno, off, &rec, &d);

    if (rc == ERMES_EPARSE) {
        stat_add(t, &t->stats.skipped, 1);
        return 0;
    }
    if (rc != 1)
        return 0;
    stat_add(t, &t->stats.records, 1);
    nh = ermes_scanner_scan(t->scanner, &rec, &hits);
    for (size_t i = 0; i < nh; i++) {
        const ermes_log_field_t *f = &rec.fields[hits[i].field];
        ermes_detect_hit_t sg = {source,
                                 off,
                                 lineno,
                                 f->name,
                                 f->value,
                                 f->len,
                                 hits[i].indicator,
                                 ermes_scanner_matcher(t->scanner),
                                 &rec};
        if (t->sink_cb(t->ctx, &sg) != 0) {
            stat_add(t, &t->stats.sink_failures, 1);
            return -1;
        }
        stat_add(t, &t->stats.sightings, 1);
    }
    return 0;
}

/* Delivers the complete lines in s->buf (all of it when final: the file is finished) and
 * keeps the rest. Returns 0 or -1 (sink failure: the rest is kept for the next poll). */
static int deliver_buffered(ermes_tail_t *t, tail_src_t *s, const char *source, int final)
{
    size_t a = 0;
    int rc = 0;

    ermes_scanner_refresh(t->scanner, t->slot);
    while (a < s->len) {
        const char *nl = memchr(s->buf + a, '\n', s->len - a);
        size_t e = nl ? (size_t)(nl - s->buf) : s->len;
        if (!nl && !final)
            break;
        if (deliver(t, s, source, s->buf + a, e - a, s->offset + (int64_t)a, s->line + 1) != 0) {
            rc = -1;
            break;
        }
        s->line++;
        a = nl ? e + 1 : s->len;
    }
    if (a) {
        memmove(s->buf, s->buf + a, s->len - a);
        s->len -= a;
        s->offset += (int64_t)a;
        t->dirty = 1;
    }
    return rc;
}

/* Reads fd to its current end, delivering complete lines. Returns 0, -1 (sink failure) or an
 * ERMES_E* code. */
static int read_to_end(ermes_tail_t *t, tail_src_t *s, int fd, const char *source)
{
    size_t max = t->opts.max_line;

    while (!atomic_load(&t->stop)) {
        ssize_t n;
        if (s->cap - s->len < TAIL_READ) {
            if (s->len > max) {
                /* An over-long line: skipped whole, its bytes dropped as they come. */
                if (!s->skipping)
                    stat_add(t, &t->stats.skipped, 1);
                s->skipping = 1;
                s->offset += (int64_t)s->len;
                s->len = 0;
            } else {
                size_t ncap = s->cap ? s->cap * 2 : 2 * TAIL_READ;
                char *nb = ermes__realloc(s->buf, ncap);
                if (!nb)
                    return ERMES_ENOMEM;
                s->buf = nb;
                s->cap = ncap;
            }
        }
        n = read(fd, s->buf + s->len, s->cap - s->len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ERMES_EIO;
        }
        if (n == 0)
            return 0;
        stat_add(t, &t->stats.bytes, (uint64_t)n);
        if (s->skipping) {
            char *nl = memchr(s->buf + s->len, '\n', (size_t)n);
            if (!nl) {
                s->offset += n;
                continue;
            }
            /* Drop the over-long line's tail, newline included. */
            {
                size_t drop = (size_t)(nl - (s->buf + s->len)) + 1;
                memmove(s->buf + s->len, nl + 1, (size_t)n - drop);
                s->offset += (int64_t)drop;
                n -= (ssize_t)drop;
                s->skipping = 0;
                s->line++;
                t->dirty = 1;
            }
        }
        s->len += (size_t)n;
        if (deliver_buffered(t, s, source, 0) != 0)
            return -1;
        /* A long backlog: the position is saved on the way, so that a crash does not make the
         * next start deliver all of it again. */
        s->unsaved += (uint64_t)n;
        if (s->unsaved >= TAIL_SAVE_EVERY && state_save(t) == 0)
            s->unsaved = 0;
    }
    return 0;
}

static int reader_reset(ermes_tail_t *t, tail_src_t *s)
{
    ermes_log_options_t o = {0};

    ermes_log_reader_free(s->reader);
    s->reader = NULL;
    o.format = s->fmt;
    o.max_line = t->opts.max_line;
    return ermes__det_reader_lines_new(s->path, &o, &s->reader);
}

/* Resuming inside a file: its header lines (Zeek's #fields) and first record (which decides
 * the format) come before the position; the reader is shown them, nothing is reported. */
static void prime_reader(tail_src_t *s, int fd)
{
    char buf[65536];
    ermes_log_record_t rec;
    ermes_diag_t d;
    size_t lim = s->offset < (int64_t)sizeof(buf) ? (size_t)s->offset : sizeof(buf);
    ssize_t n = pread(fd, buf, lim, 0);
    size_t a = 0;

    while (n > 0 && a < (size_t)n) {
        const char *nl = memchr(buf + a, '\n', (size_t)n - a);
        size_t e;
        if (!nl)
            break;
        e = (size_t)(nl - buf);
        ermes__det_reader_line(s->reader, buf + a, e - a, 0, 0, &rec, &d);
        if (e > a && buf[a] != '#' && ermes_log_reader_format(s->reader) != ERMES_LOG_AUTO)
            break;
        a = e + 1;
    }
}

static long count_lines(int fd, int64_t upto)
{
    char buf[65536];
    int64_t pos = 0;
    long lines = 0;

    while (pos < upto) {
        size_t want = upto - pos < (int64_t)sizeof(buf) ? (size_t)(upto - pos) : sizeof(buf);
        ssize_t n = pread(fd, buf, want, pos);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
        pos += n;
    }
    return lines;
}

/* The file rotated away while the tailer was down: looked for by its inode beside the path
 * (logrotate's eve.json.1), read from the saved position to its end. */
static int finish_rotated(ermes_tail_t *t, tail_src_t *s)
{
    char dir[4096], found[4096 + 256];
    const char *slash = strrchr(s->path, '/');
    DIR *dh;
    struct dirent *de;
    int fd, rc = 0;

    found[0] = '\0';
    if (slash)
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - s->path), s->path);
    else
        snprintf(dir, sizeof(dir), ".");
    if (!dir[0])
        snprintf(dir, sizeof(dir), "/");
    dh = opendir(dir);
    if (!dh)
        return 0;
    while ((de = readdir(dh)) != NULL) {
        char p[4096 + 256];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == s->saved_ino &&
            st.st_dev == s->saved_dev && st.st_size >= s->saved_offset) {
            snprintf(found, sizeof(found), "%s", p);
            break;
        }
    }
    closedir(dh);
    if (!found[0] || (fd = open(found, O_RDONLY | O_CLOEXEC)) < 0)
        return 0; /* gone (compressed or deleted): nothing to finish */
    s->offset = s->saved_offset;
    s->line = s->saved_line;
    s->len = 0;
    if (s->offset > 0)
        prime_reader(s, fd);
    if (lseek(fd, s->offset, SEEK_SET) == s->offset) {
        rc = read_to_end(t, s, fd, found);
        if (rc == 0)
            rc = deliver_buffered(t, s, found, 1);
    }
    close(fd);
    return rc;
}

/* Opens the file at the path and positions it. Returns 0 (also when it does not exist yet),
 * -1 (sink failure while finishing a rotated file) or an ERMES_E* code. */
static int open_src(ermes_tail_t *t, tail_src_t *s)
{
    struct stat st;
    int fd, rc;

    fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    if ((rc = reader_reset(t, s))) {
        close(fd);
        return rc;
    }
    s->len = 0;
    s->skipping = 0;
    s->offset = 0;
    s->line = 0;
    if (s->saved) {
        if (st.st_dev == s->saved_dev && st.st_ino == s->saved_ino) {
            if (st.st_size >= s->saved_offset) {
                s->offset = s->saved_offset;
                s->line = s->saved_line;
            }
        } else if ((rc = finish_rotated(t, s)) != 0) {
            close(fd);
            return rc; /* the saved position stays: tried again at the next poll */
        } else {
            s->offset = 0;
            s->line = 0;
            s->len = 0;
            if ((rc = reader_reset(t, s))) {
                close(fd);
                return rc;
            }
        }
        s->saved = 0;
    } else if (t->opts.start_at_end) {
        s->offset = st.st_size;
        s->line = count_lines(fd, s->offset);
        /* A partial last line is left to be read when complete. */
        if (s->offset > 0) {
            char c;
            int64_t back = s->offset;
            while (back > 0 && pread(fd, &c, 1, back - 1) == 1 && c != '\n')
                back--;
            s->offset = back;
        }
    }
    if (s->offset > 0)
        prime_reader(s, fd);
    if (lseek(fd, s->offset, SEEK_SET) != s->offset) {
        close(fd);
        return ERMES_EIO;
    }
    s->fd = fd;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    t->dirty = 1;
    return 0;
}

static void close_src(tail_src_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->len = 0;
    s->skipping = 0;
}

/* One file once: up to its end, through a rotation or truncation found there. */
static int poll_src(ermes_tail_t *t, tail_src_t *s)
{
    int rc;

    for (int round = 0; round < 4 && !atomic_load(&t->stop); round++) {
        struct stat st, fst;
        if (s->fd < 0) {
            if ((rc = open_src(t, s)) != 0 || s->fd < 0)
                return rc;
        } else if (s->len && deliver_buffered(t, s, s->path, 0) != 0) {
            return -1; /* the sink failed again on the kept line */
        }
        if ((rc = read_to_end(t, s, s->fd, s->path)) != 0)
            return rc;
        if (atomic_load(&t->stop))
            return 0;
        if (fstat(s->fd, &fst) == 0 && fst.st_size < s->offset + (int64_t)s->len) {
            /* Truncated: read again from the start. */
            if (lseek(s->fd, 0, SEEK_SET) != 0)
                return ERMES_EIO;
            s->offset = 0;
            s->line = 0;
            s->len = 0;
            s->skipping = 0;
            t->dirty = 1;
            stat_add(t, &t->stats.rotations, 1);
            if ((rc = reader_reset(t, s)))
                return rc;
            continue;
        }
        if (stat(s->path, &st) != 0 || (st.st_ino == s->ino && st.st_dev == s->dev))
            return 0; /* not rotated (or the new file is not there yet: keep the old one) */
        /* Rotated: the old file was read to its end above; its last line is finished. */
        if ((rc = read_to_end(t, s, s->fd, s->path)) != 0)
            return rc;
        if (deliver_buffered(t, s, s->path, 1) != 0)
            return -1;
        close_src(s);
        stat_add(t, &t->stats.rotations, 1);
        t->dirty = 1;
    }
    return 0;
}

static int poll_all(ermes_tail_t *t)
{
    int first = 0;

    for (size_t i = 0; i < t->n; i++) {
        int rc = poll_src(t, &t->src[i]);
        if (rc > 0 || rc < -1)
            first = first ? first : rc;
        if (t->dirty) {
            int src = state_save(t);
            pthread_mutex_lock(&t->mu);
            t->stats.state_error = src;
            pthread_mutex_unlock(&t->mu);
        }
    }
    return first;
}

int ermes_tail_poll(ermes_tail_t *t)
{
    if (!t || t->running)
        return ERMES_EINVAL;
    return poll_all(t);
}

/* ---- the thread ---- */

static void *tail_thread(void *arg)
{
    ermes_tail_t *t = arg;

    while (!atomic_load(&t->stop)) {
        struct timespec ts;
        poll_all(t);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)t->opts.poll_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&t->mu);
        if (!atomic_load(&t->stop))
            pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        pthread_mutex_unlock(&t->mu);
    }
    state_save(t);
    return NULL;
}

int ermes_tail_start(ermes_tail_t *t)
{
    if (!t || t->running)
        return ERMES_EINVAL;
    atomic_store(&t->stop, 0);
    if (pthread_create(&t->thread, NULL, tail_thread, t) != 0)
        return ERMES_ENOMEM;
    t->running = 1;
    return 0;
}

void ermes_tail_stop(ermes_tail_t *t)
{
    if (!t || !t->running)
        return;
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->stop, 1);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    t->running = 0;
}

void ermes_tail_stats(ermes_tail_t *t, ermes_tail_stats_t *out)
{
    pthread_mutex_lock(&t->mu);
    *out = t->stats;
    pthread_mutex_unlock(&t->mu);
}

int ermes_tail_new(ermes_matcher_slot_t *slot, const ermes_tail_file_t *files, size_t n,
                   const ermes_tail_options_t *opts, ermes_detect_hit_cb sink_cb, void *ctx,
                   ermes_tail_t **out, ermes_diag_t *d)
{
    ermes_tail_t *t;
    int rc;

    if (!slot || (!files && n) || n > TAIL_MAX_FILES || !sink_cb || !out)
        return ERMES_EINVAL;
    t = ermes__calloc(1, sizeof(*t));
    if (!t)
        return ERMES_ENOMEM;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (opts)
        t->opts = *opts;
    t->opts.state_dir = NULL; /* borrowed: only the paths below are kept */
    if (t->opts.poll_ms <= 0)
        t->opts.poll_ms = 250;
    if (!t->opts.max_line)
        t->opts.max_line = 1024u * 1024;
    t->slot = slot;
    t->sink_cb = sink_cb;
    t->ctx = ctx;
    t->src = ermes__calloc(n ? n : 1, sizeof(*t->src));
    if (!t->src) {
        rc = ERMES_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        t->src[i].fd = -1;
        t->n++;
        if (!files[i].path || !files[i].path[0] || files[i].format == ERMES_LOG_CSV) {
            ermes_diag_set(d, "detect_logs", "%s",
                           files[i].format == ERMES_LOG_CSV ? "CSV logs cannot be followed"
                                                            : "a log file without a path");
            rc = ERMES_EINVAL;
            goto fail;
        }
        t->src[i].path = ermes__strdup(files[i].path);
        t->src[i].fmt = files[i].format;
        if (!t->src[i].path) {
            rc = ERMES_ENOMEM;
            goto fail;
        }
    }
    if ((rc = ermes_scanner_new(NULL, &t->scanner)))
        goto fail;
    if (opts && opts->state_dir) {
        size_t l = strlen(opts->state_dir) + 32;
        t->state_path = ermes__malloc(l);
        t->state_tmp = ermes__malloc(l);
        if (!t->state_path || !t->state_tmp) {
            rc = ERMES_ENOMEM;
            goto fail;
        }
        snprintf(t->state_path, l, "%s/tail.state", opts->state_dir);
        snprintf(t->state_tmp, l, "%s/tail.state.tmp", opts->state_dir);
        if ((rc = state_load(t, d)))
            goto fail;
    }
    *out = t;
    return 0;
fail:
    ermes_tail_free(t);
    return rc;
}

void ermes_tail_free(ermes_tail_t *t)
{
    if (!t)
        return;
    ermes_tail_stop(t);
    for (size_t i = 0; i < t->n; i++) {
        close_src(&t->src[i]);
        ermes_log_reader_free(t->src[i].reader);
        ermes__free(t->src[i].buf);
        ermes__free(t->src[i].path);
    }
    ermes__free(t->src);
    ermes_scanner_free(t->scanner);
    ermes__free(t->state_path);
    ermes__free(t->state_tmp);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    ermes__free(t);
}
