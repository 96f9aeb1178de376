/* The retro-hunt: when indicators are added, the archive of logs is scanned again for those
 * indicators only, and what they would have matched is reported as sightings.
 *
 * Speed is the point: an archive is gigabytes of compressed EVE. Each file is decoded in large
 * blocks straight into the line buffer (src/detect/input.c: zstd and gzip streaming, no
 * intermediate copy), and with a matcher of a few indicators the literal prefilter
 * (prefilter.c) finds the few lines that can match without parsing the others, so the scan
 * runs at nearly the speed of decompression. Without a usable prefilter every line is parsed
 * and scanned as `ermes match` would. */
#define _GNU_SOURCE /* memrchr */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "detect/detect_int.h"

#define RETRO_BUF (4u * 1024 * 1024)
/* Decoded per read: small enough that the prefilter finds the text still in the L2 cache the
 * decoder just wrote it to. */
#define RETRO_CHUNK (RETRO_CHUNK_KIB * 1024u)
#ifndef RETRO_CHUNK_KIB
#define RETRO_CHUNK_KIB 128
#endif
#define RETRO_MAX_DEPTH 32

typedef struct retro_file {
    char *path;
    uint64_t size;
} retro_file_t;

struct ermes_retro {
    char *dir;
    ermes_matcher_t *m;
    ermes_retro_options_t opts;
    ermes_detect_hit_cb sink_cb;
    void *ctx;
    det_prefilter_t *pf_json, *pf_plain;
    ermes_scanner_t *scanner;
    retro_file_t *files;
    size_t nfiles, cap_files;
    char *buf;
    size_t buf_cap;
    atomic_int cancel;
    pthread_mutex_t mu; /* guards progress */
    ermes_retro_progress_t progress;
    pthread_t thread;
    int started, joined, result;
};

/* The per-file scan state. */
typedef struct retro_scan {
    ermes_retro_t *job;
    const char *path;
    ermes_log_reader_t *reader;
    const det_prefilter_t *pf;
    int pf_decided;
    long line;        /* lines before the current position */
    uint64_t records; /* published to the progress with the next block */
    uint64_t matches, skipped;
    int sink_failed;
} retro_scan_t;

const char *ermes_retro_state_name(ermes_retro_state_t s)
{
    static const char *const names[] = {"queued", "running", "done", "failed", "cancelled"};
    return (unsigned)s < 5 ? names[s] : "unknown";
}

int ermes_retro_new(const char *archive_dir, ermes_matcher_t *m, const ermes_retro_options_t *opts,
                    ermes_detect_hit_cb sink_cb, void *ctx, ermes_retro_t **out)
{
    ermes_retro_t *job;
    int rc;

    if (!archive_dir || !m || !sink_cb || !out)
        return ERMES_EINVAL;
    job = ermes__calloc(1, sizeof(*job));
    if (!job)
        return ERMES_ENOMEM;
    pthread_mutex_init(&job->mu, NULL);
    if (opts)
        job->opts = *opts;
    if (!job->opts.max_files)
        job->opts.max_files = 1000000;
    if (!job->opts.max_line)
        job->opts.max_line = 16u * 1024 * 1024;
    job->dir = ermes__strdup(archive_dir);
    job->m = ermes_matcher_retain(m);
    job->sink_cb = sink_cb;
    job->ctx = ctx;
    if (!job->dir) {
        rc = ERMES_ENOMEM;
        goto fail;
    }
    if ((rc = ermes_scanner_new(m, &job->scanner)))
        goto fail;
    if (!job->opts.no_prefilter) {
        if ((rc = ermes__det_prefilter_new(m, 1, &job->pf_json)) ||
            (rc = ermes__det_prefilter_new(m, 0, &job->pf_plain)))
            goto fail;
    }
    job->progress.state = ERMES_RETRO_QUEUED;
    *out = job;
    return 0;
fail:
    ermes_retro_free(job);
    return rc;
}

void ermes_retro_cancel(ermes_retro_t *job)
{
    if (job)
        atomic_store(&job->cancel, 1);
}

void ermes_retro_progress(ermes_retro_t *job, ermes_retro_progress_t *out)
{
    pthread_mutex_lock(&job->mu);
    *out = job->progress;
    pthread_mutex_unlock(&job->mu);
}

/* "WHERE: WHY" into the progress's error. */
static void set_error(ermes_retro_t *job, const char *where, const char *why)
{
    pthread_mutex_lock(&job->mu);
    snprintf(job->progress.error, sizeof(job->progress.error), "%.120s: %.130s", where, why);
    pthread_mutex_unlock(&job->mu);
}

/* ---- the archive's files ---- */

static int file_add(ermes_retro_t *job, const char *path, uint64_t size)
{
    if (job->nfiles == job->opts.max_files)
        return ERMES_ETOOBIG;
    if (job->nfiles == job->cap_files) {
        size_t ncap = job->cap_files ? job->cap_files * 2 : 64;
        retro_file_t *nf = ermes__reallocarray(job->files, ncap, sizeof(*nf));
        if (!nf)
            return ERMES_ENOMEM;
        job->files = nf;
        job->cap_files = ncap;
    }
    job->files[job->nfiles].path = ermes__strdup(path);
    if (!job->files[job->nfiles].path)
        return ERMES_ENOMEM;
    job->files[job->nfiles].size = size;
    job->nfiles++;
    return 0;
}

static int walk(ermes_retro_t *job, const char *dir, int depth)
{
    DIR *dh;
    struct dirent *de;
    int rc = 0;

    if (depth > RETRO_MAX_DEPTH)
        return 0;
    dh = opendir(dir);
    if (!dh) {
        set_error(job, dir, strerror(errno));
        return ERMES_EIO;
    }
    while (rc == 0 && (de = readdir(dh)) != NULL) {
        char path[4096];
        struct stat st;
        int n;
        if (de->d_name[0] == '.')
            continue; /* ".", "..", and hidden files (partial uploads, editors' swap files) */
        n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = walk(job, path, depth + 1);
        else if (S_ISREG(st.st_mode))
            rc = file_add(job, path, (uint64_t)st.st_size);
        if (rc == ERMES_EIO)
            rc = 0; /* an unreadable subdirectory: noted, the rest goes on */
    }
    closedir(dh);
    return rc;
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const retro_file_t *)a)->path, ((const retro_file_t *)b)->path);
}

/* The format a file's name announces, else AUTO (decided by the first record). */
static ermes_log_format_t format_by_name(const char *path)
{
    static const char *const zeek[] = {"conn.",   "dns.",   "http.", "ssl.",      "files.", "x509.",
                                       "notice.", "intel.", "smtp.", "ssh.",      "weird.", "dhcp.",
                                       "ftp.",    "rdp.",   "sip.",  "smb_files."};
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    if (strncmp(base, "eve", 3) == 0 && strstr(base, ".json"))
        return ERMES_LOG_EVE;
    if (strstr(base, ".csv"))
        return ERMES_LOG_CSV;
    for (size_t i = 0; i < sizeof(zeek) / sizeof(zeek[0]); i++)
        if (strncmp(base, zeek[i], strlen(zeek[i])) == 0)
            return ERMES_LOG_ZEEK;
    return ERMES_LOG_AUTO;
}

/* ---- sightings ---- */

static int report(retro_scan_t *sc, const ermes_log_record_t *rec)
{
    ermes_retro_t *job = sc->job;
    const ermes_hit_t *hits;
    size_t n = ermes_scanner_scan(job->scanner, rec, &hits);

    for (size_t i = 0; i < n; i++) {
        const ermes_log_field_t *f = &rec->fields[hits[i].field];
        ermes_detect_hit_t s = {sc->path, rec->offset,       rec->line, f->name, f->value,
                                f->len,   hits[i].indicator, job->m,    rec};
        if (job->sink_cb(job->ctx, &s) != 0) {
            sc->sink_failed = 1;
            return ERMES_EIO;
        }
        sc->matches++;
    }
    return 0;
}

/* After the reader decided the format: which prefilter, if any, this file can use. */
static void decide_prefilter(retro_scan_t *sc, const char *line, size_t len)
{
    ermes_log_format_t f = ermes_log_reader_format(sc->reader);

    if (f == ERMES_LOG_AUTO)
        return;
    sc->pf_decided = 1;
    if (f == ERMES_LOG_EVE) {
        sc->pf = sc->job->pf_json;
    } else if (f == ERMES_LOG_LINES) {
        sc->pf = sc->job->pf_plain;
    } else if (f == ERMES_LOG_ZEEK) {
        /* Zeek JSON is JSON; Zeek TSV's \x escapes could hide a literal: parse it all. */
        while (len && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
        sc->pf = len && *line == '{' ? sc->job->pf_json : NULL;
    }
}

static int one_line(retro_scan_t *sc, const char *line, size_t len, int64_t offset)
{
    ermes_log_record_t rec;
    ermes_diag_t d;
    int rc;

    sc->line++;
    sc->records++;
    rc = ermes__det_reader_line(sc->reader, line, len, sc->line, offset, &rec, &d);
    if (!sc->pf_decided)
        decide_prefilter(sc, line, len);
    if (rc == 1)
        return report(sc, &rec);
    if (rc == ERMES_EPARSE) {
        sc->skipped++;
        return 0;
    }
    return rc;
}

/* Complete lines base[a..b): b is just past a newline, or the end of the stream. */
static int scan_region(retro_scan_t *sc, const char *base, size_t a, size_t b, int64_t base_off)
{
    int rc;

    while (a < b && !sc->pf_decided) {
        const char *nl = memchr(base + a, '\n', b - a);
        size_t e = nl ? (size_t)(nl - base) : b;
        if ((rc = one_line(sc, base + a, e - a, base_off + (int64_t)a)))
            return rc;
        a = nl ? e + 1 : b;
    }
    if (!sc->pf) {
        while (a < b) {
            const char *nl = memchr(base + a, '\n', b - a);
            size_t e = nl ? (size_t)(nl - base) : b;
            if ((rc = one_line(sc, base + a, e - a, base_off + (int64_t)a)))
                return rc;
            a = nl ? e + 1 : b;
        }
        return 0;
    }
    while (a < b) {
        uint64_t nls = 0;
        size_t c = ermes__det_prefilter_find(sc->pf, base + a, b - a, &nls);
        size_t cand, ls, e;
        const char *p;
        sc->line += (long)nls;
        sc->records += nls;
        if (c == b - a) {
            /* No candidate: the lines are counted; an unterminated last one too. */
            if (base[b - 1] != '\n') {
                sc->line++;
                sc->records++;
            }
            return 0;
        }
        cand = a + c;
        p = c ? memrchr(base + a, '\n', c) : NULL;
        ls = p ? (size_t)(p - base) + 1 : a;
        p = memchr(base + cand, '\n', b - cand);
        e = p ? (size_t)(p - base) : b;
        if ((rc = one_line(sc, base + ls, e - ls, base_off + (int64_t)ls)))
            return rc;
        a = p ? e + 1 : b;
    }
    return 0;
}

static void publish(retro_scan_t *sc, det_input_t *in, uint64_t done_before, uint64_t scanned)
{
    ermes_retro_t *job = sc->job;

    pthread_mutex_lock(&job->mu);
    job->progress.bytes_done = done_before + (in ? ermes__det_input_raw_bytes(in) : 0);
    job->progress.bytes_scanned += scanned;
    job->progress.records += sc->records;
    job->progress.matches += sc->matches;
    job->progress.skipped += sc->skipped;
    pthread_mutex_unlock(&job->mu);
    sc->records = sc->matches = sc->skipped = 0;
}

/* CSV files go through the ordinary reader (quoted fields may span lines). */
static int scan_csv(retro_scan_t *sc, const retro_file_t *f, uint64_t done_before)
{
    ermes_log_options_t o = {0};
    ermes_log_reader_t *r = NULL;
    ermes_log_record_t rec;
    ermes_diag_t d;
    int rc;

    o.format = ERMES_LOG_CSV;
    o.max_line = sc->job->opts.max_line;
    if ((rc = ermes_log_reader_open(f->path, &o, &r, &d))) {
        set_error(sc->job, f->path, d.reason);
        return rc == ERMES_ENOMEM ? rc : 1;
    }
    for (uint64_t k = 1;; k++) {
        rc = ermes_log_reader_next(r, &rec, &d);
        if (rc == 0)
            break;
        if (rc == ERMES_EPARSE) {
            sc->skipped++;
            continue;
        }
        if (rc < 0) {
            set_error(sc->job, f->path, d.reason);
            rc = rc == ERMES_ENOMEM ? rc : 1;
            goto out;
        }
        sc->records++;
        if ((rc = report(sc, &rec)))
            goto out;
        if ((k & 1023) == 0) {
            if (atomic_load(&sc->job->cancel))
                break;
            publish(sc, NULL, done_before, 0);
        }
    }
    rc = 0;
out:
    publish(sc, NULL, done_before, 0);
    ermes_log_reader_free(r);
    return rc;
}

/* Scans one file: 0, 1 when the file could not be read (noted, the job goes on), or an error
 * that ends the job. */
static int scan_file(ermes_retro_t *job, const retro_file_t *f, uint64_t done_before)
{
    retro_scan_t sc = {0};
    ermes_log_options_t o = {0};
    det_input_t *in = NULL;
    ermes_diag_t d;
    size_t start = 0, end = 0;
    int64_t base_off = 0; /* stream offset of buf[0] */
    int skipping = 0, rc;

    sc.job = job;
    sc.path = f->path;
    o.format = job->opts.format != ERMES_LOG_AUTO ? job->opts.format : format_by_name(f->path);
    o.max_line = job->opts.max_line;
    if (o.format == ERMES_LOG_CSV)
        return scan_csv(&sc, f, done_before);
    if ((rc = ermes__det_reader_lines_new(f->path, &o, &sc.reader)))
        return rc;
    ermes_diag_clear(&d);
    if ((rc = ermes__det_input_open(f->path, 0, 0, NULL, &in, &d))) {
        set_error(job, f->path, d.reason);
        rc = rc == ERMES_ENOMEM ? rc : 1;
        goto out;
    }
    for (;;) {
        long n;
        size_t from;
        const char *nl;
        if (atomic_load(&job->cancel)) {
            rc = 0;
            goto out;
        }
        /* Room to read into: move the partial last line to the front, grow for long ones. */
        if (job->buf_cap - end < RETRO_BUF / 4 && start > 0) {
            memmove(job->buf, job->buf + start, end - start);
            end -= start;
            base_off += (int64_t)start;
            start = 0;
        }
        if (job->buf_cap - end < RETRO_BUF / 4) {
            if (end - start > job->opts.max_line) {
                /* Over-long: dropped up to its newline, counted as skipped. */
                base_off += (int64_t)end;
                start = end = 0;
                if (!skipping) {
                    skipping = 1;
                    sc.skipped++;
                }
            } else {
                size_t ncap = job->buf_cap * 2;
                char *nb = ermes__realloc(job->buf, ncap);
                if (!nb) {
                    rc = ERMES_ENOMEM;
                    goto out;
                }
                job->buf = nb;
                job->buf_cap = ncap;
            }
        }
        from = end;
        n = ermes__det_input_read(
            in, job->buf + end, job->buf_cap - end < RETRO_CHUNK ? job->buf_cap - end : RETRO_CHUNK,
            &d);
        if (n < 0) {
            set_error(job, f->path, d.reason);
            rc = n == ERMES_ENOMEM ? ERMES_ENOMEM : 1;
            goto out;
        }
        end += (size_t)n;
        if (skipping) {
            nl = memchr(job->buf + from, '\n', end - from);
            if (!nl) {
                if (n == 0)
                    break;
                continue;
            }
            skipping = 0;
            sc.line++;
            start = (size_t)(nl - job->buf) + 1;
            from = start;
        }
        if (n == 0) {
            /* The end: what is left is the last line, without a newline. */
            if (end > start && (rc = scan_region(&sc, job->buf, start, end, base_off)))
                goto out;
            break;
        }
        nl = memrchr(job->buf + from, '\n', end - from);
        if (nl) {
            size_t b = (size_t)(nl - job->buf) + 1;
            if ((rc = scan_region(&sc, job->buf, start, b, base_off)))
                goto out;
            start = b;
        }
        publish(&sc, in, done_before, (uint64_t)n);
    }
    rc = 0;
out:
    publish(&sc, in, done_before, 0);
    if (sc.sink_failed)
        set_error(job, f->path, "the sighting sink failed");
    ermes__det_input_free(in);
    ermes_log_reader_free(sc.reader);
    return rc;
}

static int run(ermes_retro_t *job)
{
    ermes_retro_state_t final = ERMES_RETRO_DONE;
    uint64_t total = 0, done = 0;
    int rc;

    pthread_mutex_lock(&job->mu);
    job->progress.state = ERMES_RETRO_RUNNING;
    pthread_mutex_unlock(&job->mu);
    if ((rc = walk(job, job->dir, 0))) {
        final = ERMES_RETRO_FAILED;
        if (rc == ERMES_ETOOBIG)
            set_error(job, job->dir, "more files than max_files");
        goto out;
    }
    if (job->nfiles) /* an empty archive: no list to sort (qsort wants a non-null base) */
        qsort(job->files, job->nfiles, sizeof(*job->files), file_cmp);
    for (size_t i = 0; i < job->nfiles; i++)
        total += job->files[i].size;
    job->buf_cap = RETRO_BUF;
    job->buf = ermes__malloc(job->buf_cap);
    if (!job->buf) {
        rc = ERMES_ENOMEM;
        final = ERMES_RETRO_FAILED;
        goto out;
    }
    pthread_mutex_lock(&job->mu);
    job->progress.files_total = job->nfiles;
    job->progress.bytes_total = total;
    pthread_mutex_unlock(&job->mu);
    for (size_t i = 0; i < job->nfiles; i++) {
        if (atomic_load(&job->cancel))
            break;
        pthread_mutex_lock(&job->mu);
        snprintf(job->progress.current, sizeof(job->progress.current), "%s", job->files[i].path);
        pthread_mutex_unlock(&job->mu);
        rc = scan_file(job, &job->files[i], done);
        if (rc < 0) {
            final = ERMES_RETRO_FAILED;
            goto out;
        }
        if (atomic_load(&job->cancel))
            break; /* the file was not finished: not counted as done */
        done += job->files[i].size;
        pthread_mutex_lock(&job->mu);
        job->progress.files_done++;
        if (rc == 1)
            job->progress.files_failed++;
        job->progress.bytes_done = done;
        pthread_mutex_unlock(&job->mu);
    }
    rc = 0;
    if (atomic_load(&job->cancel))
        final = ERMES_RETRO_CANCELLED;
out:
    pthread_mutex_lock(&job->mu);
    job->progress.state = final;
    job->progress.current[0] = '\0';
    if (rc == ERMES_ENOMEM && !job->progress.error[0])
        snprintf(job->progress.error, sizeof(job->progress.error), "out of memory");
    pthread_mutex_unlock(&job->mu);
    return rc;
}

int ermes_retro_run(ermes_retro_t *job)
{
    if (!job)
        return ERMES_EINVAL;
    pthread_mutex_lock(&job->mu);
    if (job->started || job->progress.state != ERMES_RETRO_QUEUED) {
        pthread_mutex_unlock(&job->mu);
        return ERMES_EINVAL;
    }
    job->started = 1;
    pthread_mutex_unlock(&job->mu);
    job->joined = 1; /* no thread to join */
    job->result = run(job);
    return job->result;
}

static void *retro_thread(void *arg)
{
    ermes_retro_t *job = arg;
    job->result = run(job);
    return NULL;
}

int ermes_retro_start(ermes_retro_t *job)
{
    if (!job)
        return ERMES_EINVAL;
    pthread_mutex_lock(&job->mu);
    if (job->started) {
        pthread_mutex_unlock(&job->mu);
        return ERMES_EINVAL;
    }
    job->started = 1;
    pthread_mutex_unlock(&job->mu);
    if (pthread_create(&job->thread, NULL, retro_thread, job) != 0) {
        job->joined = 1;
        pthread_mutex_lock(&job->mu);
        job->progress.state = ERMES_RETRO_FAILED;
        snprintf(job->progress.error, sizeof(job->progress.error), "cannot start a thread");
        pthread_mutex_unlock(&job->mu);
        return ERMES_ENOMEM;
    }
    return 0;
}

int ermes_retro_wait(ermes_retro_t *job)
{
    if (!job || !job->started)
        return ERMES_EINVAL;
    if (!job->joined) {
        pthread_join(job->thread, NULL);
        job->joined = 1;
    }
    return job->result;
}

void ermes_retro_free(ermes_retro_t *job)
{
    if (!job)
        return;
    if (job->started && !job->joined) {
        ermes_retro_cancel(job);
        ermes_retro_wait(job);
    }
    for (size_t i = 0; i < job->nfiles; i++)
        ermes__free(job->files[i].path);
    ermes__free(job->files);
    ermes__free(job->buf);
    ermes__det_prefilter_free(job->pf_json);
    ermes__det_prefilter_free(job->pf_plain);
    ermes_scanner_free(job->scanner);
    ermes_matcher_release(job->m);
    ermes__free(job->dir);
    pthread_mutex_destroy(&job->mu);
    ermes__free(job);
}
