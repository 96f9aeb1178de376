/* The byte source under the log readers: a file, stdin or a memory buffer; gzip and zstd
 * streams recognised by their magic bytes and decoded on the fly; follow mode for growing files
 * that keeps reading at the end and survives rotation (the path names a new inode) and
 * truncation (the file shrank below our offset). */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/alloc.h"
#include "detect/detect_int.h"

#define IN_BLOCK (256 * 1024)

enum { CODEC_UNKNOWN, CODEC_RAW, CODEC_GZIP, CODEC_ZSTD };

struct det_input {
    int fd;
    char *path; /* NULL for stdin and memory */
    int follow, poll_ms;
    volatile int *stop;
    const char *mem;
    size_t mem_len, mem_pos;
    int codec;
    z_stream z;
    int z_ready, z_end;
    ZSTD_DStream *zs;
    unsigned char *in; /* compressed bytes (and the first raw block while sniffing) */
    size_t in_len, in_pos;
    int raw_eof;
    dev_t dev;
    ino_t ino;
    off_t pos;                  /* bytes read from the current file */
    struct timespec seen_mtime; /* at the last end of file with nothing new */
    int seen_valid;
    uint64_t rotations;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In follow mode, at the end of the file: reopen if the path now names another file, rewind
 * if the file was truncated. Returns 1 if there may be new bytes to read. */
static int follow_check(det_input_t *in)
{
    struct stat st;

    if (!in->path || stat(in->path, &st) != 0)
        return 0;
    if (st.st_ino != in->ino || st.st_dev != in->dev) {
        int fd = open(in->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0;
        close(in->fd);
        in->fd = fd;
        in->seen_valid = 0;
        in->ino = st.st_ino;
        in->dev = st.st_dev;
        in->pos = 0;
        in->rotations++;
        return 1;
    }
    /* Truncated: shorter than what we read, or rewritten in place to the same size (the
     * modification time moved while the size did not). */
    if (st.st_size < in->pos || (st.st_size == in->pos && in->seen_valid &&
                                 (st.st_mtim.tv_sec != in->seen_mtime.tv_sec ||
                                  st.st_mtim.tv_nsec != in->seen_mtime.tv_nsec))) {
        in->seen_valid = 0;
        if (lseek(in->fd, 0, SEEK_SET) == 0) {
            in->pos = 0;
            in->rotations++;
            return 1;
        }
    }
    if (st.st_size > in->pos) {
        in->seen_valid = 0;
        return 1;
    }
    in->seen_mtime = st.st_mtim;
    in->seen_valid = 1;
    return 0;
}

/* Raw bytes from the source: count, 0 at the end, or ERMES_EIO. */
static long raw_read(det_input_t *in, void *buf, size_t cap, ermes_diag_t *d)
{
    if (in->mem) {
        size_t n = in->mem_len - in->mem_pos;
        if (n > cap)
            n = cap;
        memcpy(buf, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        return (long)n;
    }
    for (;;) {
        ssize_t n = read(in->fd, buf, cap);
        if (n > 0) {
            in->pos += n;
            in->seen_valid = 0; /* the file grew: its new mtime says nothing of truncation */
            return (long)n;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ermes_diag_set(d, NULL, "read error: %s", strerror(errno));
            return ERMES_EIO;
        }
        if (!in->follow)
            return 0;
        if (in->stop && *in->stop)
            return 0;
        if (!follow_check(in))
            sleep_ms(in->poll_ms);
    }
}

static int input_new(det_input_t **out)
{
    det_input_t *in = ermes__calloc(1, sizeof(*in));

    if (!in)
        return ERMES_ENOMEM;
    in->fd = -1;
    in->in = ermes__malloc(IN_BLOCK);
    if (!in->in) {
        ermes__free(in);
        return ERMES_ENOMEM;
    }
    *out = in;
    return 0;
}

int ermes__det_input_open(const char *path, int follow, int poll_ms, volatile int *stop,
                          det_input_t **out, ermes_diag_t *d)
{
    det_input_t *in;
    struct stat st;
    int rc;

    if ((rc = input_new(&in)))
        return rc;
    in->follow = follow;
    in->poll_ms = poll_ms > 0 ? poll_ms : 250;
    in->stop = stop;
    if (strcmp(path, "-") == 0) {
        in->fd = 0;
        in->follow = 0; /* a pipe ends when the writer closes it */
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            ermes_diag_set(d, NULL, "cannot open %s: %s", path, strerror(errno));
            ermes__det_input_free(in);
            return ERMES_EIO;
        }
        if (fstat(in->fd, &st) == 0) {
            in->ino = st.st_ino;
            in->dev = st.st_dev;
            if (S_ISDIR(st.st_mode)) {
                ermes_diag_set(d, NULL, "%s is a directory", path);
                ermes__det_input_free(in);
                return ERMES_EIO;
            }
        }
        in->path = ermes__strdup(path);
        if (!in->path) {
            ermes__det_input_free(in);
            return ERMES_ENOMEM;
        }
    }
    *out = in;
    return 0;
}

int ermes__det_input_open_mem(const char *data, size_t len, det_input_t **out)
{
    det_input_t *in;
    int rc;

    if ((rc = input_new(&in)))
        return rc;
    in->mem = data ? data : "";
    in->mem_len = len;
    *out = in;
    return 0;
}

void ermes__det_input_free(det_input_t *in)
{
    if (!in)
        return;
    if (in->z_ready)
        inflateEnd(&in->z);
    ZSTD_freeDStream(in->zs);
    if (in->fd > 0)
        close(in->fd);
    ermes__free(in->path);
    ermes__free(in->in);
    ermes__free(in);
}

uint64_t ermes__det_input_rotations(const det_input_t *in)
{
    return in->rotations;
}

/* Tops up the compressed-input buffer; returns 0 or an error. Sets raw_eof at the end. */
static int fill(det_input_t *in, ermes_diag_t *d)
{
    long n;

    if (in->in_pos == in->in_len) {
        in->in_pos = in->in_len = 0;
    }
    if (in->in_len == IN_BLOCK || in->raw_eof)
        return 0;
    n = raw_read(in, in->in + in->in_len, IN_BLOCK - in->in_len, d);
    if (n < 0)
        return (int)n;
    if (n == 0)
        in->raw_eof = 1;
    in->in_len += (size_t)n;
    return 0;
}

static int sniff(det_input_t *in, ermes_diag_t *d)
{
    int rc;

    /* Four bytes decide; a stream shorter than that is raw. */
    while (in->in_len < 4 && !in->raw_eof)
        if ((rc = fill(in, d)))
            return rc;
    if (in->in_len >= 2 && in->in[0] == 0x1f && in->in[1] == 0x8b) {
        memset(&in->z, 0, sizeof(in->z));
        /* 15 + 32: a zlib or gzip header, detected. */
        if (inflateInit2(&in->z, 15 + 32) != Z_OK)
            return ERMES_ENOMEM;
        in->z_ready = 1;
        in->codec = CODEC_GZIP;
    } else if (in->in_len >= 4 && in->in[0] == 0x28 && in->in[1] == 0xb5 && in->in[2] == 0x2f &&
               in->in[3] == 0xfd) {
        in->zs = ZSTD_createDStream();
        if (!in->zs)
            return ERMES_ENOMEM;
        ZSTD_initDStream(in->zs);
        in->codec = CODEC_ZSTD;
    } else {
        in->codec = CODEC_RAW;
    }
    return 0;
}

long ermes__det_input_read(det_input_t *in, char *buf, size_t cap, ermes_diag_t *d)
{
    int rc;

    if (in->codec == CODEC_UNKNOWN && (rc = sniff(in, d)))
        return rc;
    if (in->codec == CODEC_RAW) {
        if (in->in_pos < in->in_len) {
            size_t n = in->in_len - in->in_pos;
            if (n > cap)
                n = cap;
            memcpy(buf, in->in + in->in_pos, n);
            in->in_pos += n;
            return (long)n;
        }
        return raw_read(in, buf, cap, d);
    }
    for (;;) {
        size_t produced = 0, consumed = 0, pos0;
        if (in->in_pos == in->in_len && (rc = fill(in, d)))
            return rc;
        if (in->in_pos == in->in_len && in->raw_eof) {
            if (in->codec == CODEC_GZIP && !in->z_end && in->z.total_in) {
                ermes_diag_set(d, NULL, "truncated gzip stream");
                return ERMES_EIO;
            }
            return 0;
        }
        pos0 = in->in_pos;
        if (in->codec == CODEC_GZIP) {
            int zr;
            if (in->z_end) {
                /* Concatenated gzip members (RFC 1952 section 2.2). */
                inflateReset(&in->z);
                in->z_end = 0;
            }
            in->z.next_in = in->in + in->in_pos;
            in->z.avail_in = (uInt)(in->in_len - in->in_pos);
            in->z.next_out = (Bytef *)buf;
            in->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
            zr = inflate(&in->z, Z_NO_FLUSH);
            in->in_pos = in->in_len - in->z.avail_in;
            produced = cap - in->z.avail_out;
            if (zr == Z_STREAM_END)
                in->z_end = 1;
            else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                ermes_diag_set(d, NULL, "gzip: %s", in->z.msg ? in->z.msg : "corrupt data");
                return ERMES_EIO;
            }
        } else {
            ZSTD_inBuffer ib = {in->in + in->in_pos, in->in_len - in->in_pos, 0};
            ZSTD_outBuffer ob = {buf, cap, 0};
            size_t zr = ZSTD_decompressStream(in->zs, &ob, &ib);
            if (ZSTD_isError(zr)) {
                ermes_diag_set(d, NULL, "zstd: %s", ZSTD_getErrorName(zr));
                return ERMES_EIO;
            }
            in->in_pos += ib.pos;
            produced = ob.pos;
        }
        consumed = in->in_pos != pos0;
        if (produced)
            return (long)produced;
        if (in->in_pos < in->in_len) {
            size_t before = in->in_len - in->in_pos;
            /* Keep the unconsumed tail at the front so fill() can append. */
            memmove(in->in, in->in + in->in_pos, before);
            in->in_len = before;
            in->in_pos = 0;
            if ((rc = fill(in, d)))
                return rc;
            if (in->raw_eof && in->in_len == before && !consumed) {
                ermes_diag_set(d, NULL, "truncated compressed stream");
                return ERMES_EIO;
            }
        }
    }
}

uint64_t ermes__det_input_raw_bytes(const det_input_t *in)
{
    return in->mem ? in->mem_pos : (uint64_t)in->pos;
}
