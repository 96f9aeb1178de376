/* The streaming CSV reader (see include/ermes/csv.h for the contract).
 *
 * Bytes arrive in chunks of CSV_CHUNK through the read callback (or all at once from memory) and
 * run through a small resumable state machine: a record may start in one chunk and end several
 * chunks later, and every piece of state that must survive a chunk boundary lives in the reader.
 * Within a chunk the hot loops are table lookups over runs of ordinary bytes, and a whole run is
 * copied with one memcpy, so the cost per byte is a load and a test.
 *
 * Memory is bounded whatever the input: the raw copy of a record keeps at most max_record + 1
 * bytes, the unescaped field text can never be longer than the raw bytes it came from (plus one
 * NUL per field), and the field arrays hold at most max_fields entries.
 *
 * Details the header leaves open:
 *  - rec->raw excludes the LF or CRLF that ends the record (internal newlines of quoted fields
 *    are kept), so a quarantine can write raw plus "\n". The limit max_record applies to the
 *    same bytes.
 *  - A CR at the very end of the input is treated like the CR of a CRLF whose LF went missing.
 *  - Columns count bytes, not characters, from 1 at the start of the physical line; the BOM is
 *    not counted. d->offset is the byte offset of the record's start in the input, BOM included.
 *  - d->line and d->column point at the byte where the problem was found; for an unterminated
 *    quoted field that is the opening quote. A record too long is reported where the reader
 *    saw the first byte that could not belong to a record of max_record bytes.
 *  - Errors are detected at input positions that do not depend on how the input was split into
 *    chunks, so a file read one byte at a time gives exactly what the memory reader gives.
 *  - The lenient mode follows the state machine of CPython's Modules/_csv.c (excel dialect,
 *    strict=False, input split into lines at LF only, as io.StringIO does): after a closing
 *    quote any other byte continues the field unquoted (ST_QUOTE to ST_UNQUOTED), a CR outside
 *    quotes ends the field and the record (ST_EAT_CRNL, where only CR and LF may follow), and
 *    the end of input inside quotes ends the field. tests/unit/test_csv_python.c checks it
 *    against /usr/bin/python3's csv module. */
#include "ermes/csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"

#define CSV_CHUNK (64 * 1024)
#define CSV_DEFAULT_MAX_RECORD (1024 * 1024)
#define CSV_DEFAULT_MAX_FIELDS 4096
#define CSV_MIN_FIELD_SLOTS 16

/* Where the state machine is inside the current record. */
enum csv_state {
    ST_FIELD_START, /* at the first byte of a field */
    ST_UNQUOTED,    /* inside a field that did not start with a quote */
    ST_QUOTED,      /* inside a quoted field */
    ST_QUOTE,       /* inside a quoted field, just after a quote: closing, or half of "" */
    ST_QUOTE_CR,    /* after a closing quote and a CR: only LF may follow */
    ST_EAT_CRNL     /* lenient: the record ended at a CR; only CRs and the LF may follow */
};

/* How the rest of a record that already has an error is consumed. */
enum csv_skip {
    SKIP_NONE,   /* no error: parse and store */
    SKIP_RECORD, /* too big: keep following quotes so a quoted newline does not end the record */
    SKIP_LINE    /* malformed: quoting cannot be trusted, go to the end of the physical line */
};

struct ermes_csv {
    ermes_csv_read_cb read_cb; /* borrowed; NULL for a memory reader */
    void *ctx;                 /* borrowed */
    char *chunk;               /* owned read buffer of CSV_CHUNK bytes; NULL for a memory reader */
    const unsigned char *buf;  /* bytes being parsed: chunk, or the caller's memory */
    size_t len;                /* valid bytes in buf */
    size_t pos;                /* next byte to parse */
    int64_t base;              /* input offset of buf[0] */
    int eof;                   /* the callback reported end of input */
    int done;                  /* end of input was returned; every later call returns 0 */
    int fatal;                 /* ERMES_EIO or ERMES_ENOMEM once the reader cannot go on */
    int started;               /* the BOM check was done */

    unsigned char delim;
    int lenient; /* read as Python's csv module does */
    size_t max_record;
    size_t max_fields;
    /* Bytes that end a run of ordinary bytes, outside and inside quotes. */
    unsigned char stop_unquoted[256];
    unsigned char stop_quoted[256];

    long line;          /* current physical line, 1-based */
    int64_t line_start; /* input offset of the current line's first byte */

    /* The record being read. */
    int64_t rec_start;
    long rec_line;
    long rec_end_line;
    enum csv_state state;
    enum csv_skip skip;
    size_t raw_mark;      /* first byte of buf not yet copied into raw */
    ermes__strbuf_t raw;  /* raw bytes, capped at max_record + 1 */
    int raw_over;         /* the record had more bytes than raw keeps */
    ermes__strbuf_t text; /* unescaped field text, each field followed by a NUL */
    size_t field_start;   /* offset in text of the current field */
    size_t nfields;
    size_t slots; /* capacity of the three arrays below */
    size_t *starts;
    size_t *lengths;
    char **fields;
    long quote_line; /* where the current quoted field opened */
    long quote_column;

    /* The first error in the record, reported when the record has been consumed. */
    int err;
    long err_line;
    long err_column;
    char err_reason[200];
};

static int64_t offset_of(const ermes_csv_t *csv, const unsigned char *p)
{
    return csv->base + (int64_t)(p - csv->buf);
}

static long column_of(const ermes_csv_t *csv, int64_t off)
{
    return (long)(off - csv->line_start) + 1;
}

/* Remembers the record's first error at input offset off; later errors are consequences of the
 * first one and are not reported. */
static void __attribute__((format(printf, 4, 5)))
record_error(ermes_csv_t *csv, int code, int64_t off, const char *fmt, ...)
{
    va_list ap;

    if (csv->err)
        return;
    csv->err = code;
    csv->err_line = csv->line;
    csv->err_column = column_of(csv, off);
    va_start(ap, fmt);
    vsnprintf(csv->err_reason, sizeof(csv->err_reason), fmt, ap);
    va_end(ap);
}

/* ermes__strbuf_add when the buffer already has the room (n bytes and the NUL), which is
 * nearly always once the first records have been read: no call, no checks. Returns 1 when it
 * did the append, 0 when the caller must go through ermes__strbuf_add. The room test also
 * keeps the buffer's cap: cap <= max + 1. */
static inline int quick_add(ermes__strbuf_t *b, const void *p, size_t n)
{
    if (!b->data || n >= b->cap - b->len)
        return 0;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 1;
}

/* Appends to the raw copy, keeping what fits under its cap. */
static int raw_add(ermes_csv_t *csv, const unsigned char *p, size_t n)
{
    size_t room = csv->raw.max - csv->raw.len;

    if (n <= room && quick_add(&csv->raw, p, n))
        return 0;

    if (n > room) {
        csv->raw_over = 1;
        n = room;
    }
    if (n == 0)
        return 0;
    return ermes__strbuf_add(&csv->raw, p, n);
}

/* The text buffer's cap is set so that it cannot be reached by a record within max_record, so
 * hitting it would be a bug: say so rather than report a limit the user did not exceed. */
static int text_add_slow(ermes_csv_t *csv, const void *p, size_t n)
{
    int rc = ermes__strbuf_add(&csv->text, p, n);

    return rc == ERMES_ETOOBIG ? ERMES_EINTERNAL : rc;
}

static inline int text_add(ermes_csv_t *csv, const void *p, size_t n)
{
    return quick_add(&csv->text, p, n) ? 0 : text_add_slow(csv, p, n);
}

static int grow_slots(ermes_csv_t *csv)
{
    size_t n = csv->slots ? csv->slots * 2 : CSV_MIN_FIELD_SLOTS;
    void *p;

    if (n > csv->max_fields)
        n = csv->max_fields;
    /* Each array is replaced as soon as its realloc succeeds, so a failure part way leaves the
     * reader consistent: slots only grows when all three have the room. */
    p = ermes__reallocarray(csv->starts, n, sizeof(*csv->starts));
    if (!p)
        return ERMES_ENOMEM;
    csv->starts = p;
    p = ermes__reallocarray(csv->lengths, n, sizeof(*csv->lengths));
    if (!p)
        return ERMES_ENOMEM;
    csv->lengths = p;
    p = ermes__reallocarray(csv->fields, n, sizeof(*csv->fields));
    if (!p)
        return ERMES_ENOMEM;
    csv->fields = p;
    csv->slots = n;
    return 0;
}

static int field_end_slow(ermes_csv_t *csv);

/* Closes the current field. The caller has made sure nfields < max_fields. */
static inline __attribute__((always_inline)) int field_end(ermes_csv_t *csv)
{
    ermes__strbuf_t *t = &csv->text;

    if (csv->nfields < csv->slots && t->data && t->cap - t->len > 1) {
        /* The common case, without calls: a slot and room for the field's NUL. */
        csv->starts[csv->nfields] = csv->field_start;
        csv->lengths[csv->nfields] = t->len - csv->field_start;
        csv->nfields++;
        t->data[++t->len] = '\0'; /* data[len] was the NUL already */
        csv->field_start = t->len;
        return 0;
    }
    return field_end_slow(csv);
}

/* field_end when the slots or the text buffer must grow first. */
static int field_end_slow(ermes_csv_t *csv)
{
    int rc;

    if (csv->nfields == csv->slots && (rc = grow_slots(csv)) < 0)
        return rc;
    csv->starts[csv->nfields] = csv->field_start;
    csv->lengths[csv->nfields] = csv->text.len - csv->field_start;
    csv->nfields++;
    if ((rc = text_add(csv, "", 1)) < 0)
        return rc;
    csv->field_start = csv->text.len;
    return 0;
}

/* Closes the current field at a delimiter; p is the byte after it, where the next field starts.
 */
static int field_next(ermes_csv_t *csv, const unsigned char *p)
{
    int rc = field_end(csv);

    if (rc < 0)
        return rc;
    if (csv->nfields == csv->max_fields) {
        record_error(csv, ERMES_ETOOBIG, offset_of(csv, p), "record has more than %zu fields",
                     csv->max_fields);
        csv->skip = SKIP_RECORD;
    }
    return 0;
}

/* A CR just before the LF (or the end of input) that ends a record belongs to the line end,
 * not to the last field. */
static void field_strip_cr(ermes_csv_t *csv)
{
    if (csv->text.len > csv->field_start && csv->text.data[csv->text.len - 1] == '\r')
        csv->text.data[--csv->text.len] = '\0';
}

/* Copies the record's last raw bytes, up to index stop of buf, and drops the CR of a CRLF.
 * Returns the record's length in bytes. */
static int raw_finish(ermes_csv_t *csv, size_t stop, int strip_cr, int64_t *len)
{
    int rc = raw_add(csv, csv->buf + csv->raw_mark, stop - csv->raw_mark);

    if (rc < 0)
        return rc;
    csv->raw_mark = stop;
    *len = offset_of(csv, csv->buf + stop) - csv->rec_start;
    if (strip_cr && !csv->raw_over && csv->raw.len && csv->raw.data[csv->raw.len - 1] == '\r') {
        csv->raw.data[--csv->raw.len] = '\0';
        (*len)--;
    }
    return 0;
}

/* The record ends at the LF at index lf of buf. */
static int record_end_lf(ermes_csv_t *csv, size_t lf)
{
    int64_t len;
    int rc = raw_finish(csv, lf, 1, &len);

    if (rc < 0)
        return rc;
    if (csv->skip == SKIP_NONE && (uint64_t)len > csv->max_record)
        record_error(csv, ERMES_ETOOBIG, offset_of(csv, csv->buf + lf),
                     "record is longer than %zu bytes", csv->max_record);
    csv->rec_end_line = csv->line;
    csv->line++;
    csv->pos = lf + 1;
    csv->raw_mark = lf + 1;
    csv->line_start = offset_of(csv, csv->buf + lf + 1);
    return 0;
}

/* Skips whole 8-byte words of p[0..end) that hold none of the bytes a, '\n' and NUL (the stop
 * bytes outside quotes with a = the delimiter, inside with a = '"'); the table loop does the
 * rest. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline const unsigned char *skip_words(const unsigned char *p, const unsigned char *end,
                                              uint64_t a)
{
    const uint64_t nl = ONES * '\n';

    while (end - p >= 8) {
        uint64_t w, x, y;
        memcpy(&w, p, 8);
        x = w ^ a;
        y = w ^ nl;
        /* A zero byte in w, x or y: one of the stop bytes is in the word. */
        if (((w - ONES) & ~w & HIGHS) | ((x - ONES) & ~x & HIGHS) | ((y - ONES) & ~y & HIGHS))
            break;
        p += 8;
    }
    return p;
}

/* skip_words for the lenient mode, where a CR also ends a run of unquoted bytes. */
static inline const unsigned char *skip_words_cr(const unsigned char *p, const unsigned char *end,
                                                 uint64_t a)
{
    const uint64_t nl = ONES * '\n', cr = ONES * '\r';

    while (end - p >= 8) {
        uint64_t w, x, y, z;
        memcpy(&w, p, 8);
        x = w ^ a;
        y = w ^ nl;
        z = w ^ cr;
        if (((w - ONES) & ~w & HIGHS) | ((x - ONES) & ~x & HIGHS) | ((y - ONES) & ~y & HIGHS) |
            ((z - ONES) & ~z & HIGHS))
            break;
        p += 8;
    }
    return p;
}

#define SCAN_MORE 0   /* consumed everything up to stop, the record goes on */
#define SCAN_RECORD 1 /* the record ended at an LF */

/* Runs the state machine over buf[pos, stop). */
static int scan(ermes_csv_t *csv, size_t stop)
{
    const unsigned char *buf = csv->buf;
    const unsigned char *p = buf + csv->pos;
    const unsigned char *end = buf + stop;
    const unsigned char *unquoted = csv->stop_unquoted;
    const unsigned char *quoted = csv->stop_quoted;
    const unsigned char *run;
    unsigned char delim = csv->delim;
    const uint64_t delims = ONES * delim, quotes = ONES * '"';
    enum csv_state state = csv->state;
    int store = csv->skip == SKIP_NONE;
    int rc;

    if (csv->skip == SKIP_LINE)
        goto skip_line;

    while (p < end) {
        switch (state) {
        case ST_FIELD_START:
            if (*p == '"') {
                csv->quote_line = csv->line;
                csv->quote_column = column_of(csv, offset_of(csv, p));
                state = ST_QUOTED;
                p++;
                break;
            }
            /* A delimiter, LF or NUL here is handled by the unquoted case as an empty run. */
            state = ST_UNQUOTED;
            /* fall through */
        case ST_UNQUOTED:
            run = p;
            p = csv->lenient ? skip_words_cr(p, end, delims) : skip_words(p, end, delims);
            while (p < end && !unquoted[*p])
                p++;
            if (store && p > run && (rc = text_add(csv, run, (size_t)(p - run))) < 0)
                return rc;
            if (p == end)
                goto suspend;
            if (*p == delim) {
                p++;
                state = ST_FIELD_START;
                if (store) {
                    if ((rc = field_next(csv, p)) < 0)
                        return rc;
                    store = csv->skip == SKIP_NONE;
                }
                break;
            }
            if (*p == '\n') {
                if (store) {
                    field_strip_cr(csv);
                    if ((rc = field_end(csv)) < 0)
                        return rc;
                }
                goto record_end;
            }
            if (*p == '\r') {
                /* Only the lenient mode stops at a CR: it ends the field and the record. */
                p++;
                state = ST_EAT_CRNL;
                if (store && (rc = field_end(csv)) < 0)
                    return rc;
                break;
            }
            record_error(csv, ERMES_EPARSE, offset_of(csv, p), "NUL byte in record");
            goto skip_line;
        case ST_QUOTED:
            run = p;
            for (;;) {
                p = skip_words(p, end, quotes);
                while (p < end && !quoted[*p])
                    p++;
                if (p == end || *p != '\n')
                    break;
                /* A newline inside quotes is field text, but it starts a new physical line. */
                p++;
                csv->line++;
                csv->line_start = offset_of(csv, p);
            }
            if (store && p > run && (rc = text_add(csv, run, (size_t)(p - run))) < 0)
                return rc;
            if (p == end)
                goto suspend;
            if (*p == '"') {
                p++;
                state = ST_QUOTE;
                break;
            }
            record_error(csv, ERMES_EPARSE, offset_of(csv, p), "NUL byte in record");
            goto skip_line;
        case ST_QUOTE:
            if (*p == '"') {
                if (store && (rc = text_add(csv, p, 1)) < 0)
                    return rc;
                p++;
                state = ST_QUOTED;
                break;
            }
            if (*p == delim) {
                p++;
                state = ST_FIELD_START;
                if (store) {
                    if ((rc = field_next(csv, p)) < 0)
                        return rc;
                    store = csv->skip == SKIP_NONE;
                }
                break;
            }
            if (*p == '\n') {
                if (store && (rc = field_end(csv)) < 0)
                    return rc;
                goto record_end;
            }
            if (*p == '\r') {
                p++;
                if (csv->lenient) {
                    state = ST_EAT_CRNL;
                    if (store && (rc = field_end(csv)) < 0)
                        return rc;
                } else {
                    state = ST_QUOTE_CR;
                }
                break;
            }
            if (*p == '\0') {
                record_error(csv, ERMES_EPARSE, offset_of(csv, p), "NUL byte in record");
                goto skip_line;
            }
            if (csv->lenient) {
                /* Python's csv (strict=False): the byte and what follows it up to the next
                 * delimiter are unquoted text of the same field, quotes included
                 * ("a\"b"c -> a\b"c). */
                if (store && (rc = text_add(csv, p, 1)) < 0)
                    return rc;
                p++;
                state = ST_UNQUOTED;
                break;
            }
            record_error(csv, ERMES_EPARSE, offset_of(csv, p), "text after closing quote");
            goto skip_line;
        case ST_QUOTE_CR:
            if (*p == '\n') {
                if (store && (rc = field_end(csv)) < 0)
                    return rc;
                goto record_end;
            }
            /* The CR itself was the text after the closing quote; it may sit in the previous
             * chunk, hence the offset arithmetic rather than p - 1. */
            record_error(csv, ERMES_EPARSE, offset_of(csv, p) - 1, "text after closing quote");
            goto skip_line;
        case ST_EAT_CRNL:
            if (*p == '\r') {
                p++;
                break;
            }
            if (*p == '\n')
                goto record_end;
            record_error(csv, ERMES_EPARSE, offset_of(csv, p),
                         "new-line character (CR) in unquoted field");
            goto skip_line;
        }
    }
suspend:
    csv->pos = (size_t)(p - buf);
    csv->state = state;
    return SCAN_MORE;

skip_line:
    csv->skip = SKIP_LINE;
    run = memchr(p, '\n', (size_t)(end - p));
    if (!run) {
        p = end;
        goto suspend;
    }
    p = run;
record_end:
    csv->state = state;
    rc = record_end_lf(csv, (size_t)(p - buf));
    return rc < 0 ? rc : SCAN_RECORD;
}

/* A record of one empty field whose raw bytes are nothing or CRs only (the lenient mode leaves
 * the CRs of "\r\r\n" in raw) is a blank line, not a record. A quoted empty field ("") is not
 * blank: its raw bytes are the quotes. */
static int blank_record(const ermes_csv_t *csv)
{
    size_t i;

    if (csv->nfields != 1 || csv->raw_over || csv->lengths[0] != 0)
        return 0;
    for (i = 0; i < csv->raw.len; i++)
        if (csv->raw.data[i] != '\r')
            return 0;
    return 1;
}

/* The input ended inside or after the current record. Returns 1 (a record), 0 (nothing left)
 * or the record's error. */
static int record_end_eof(ermes_csv_t *csv)
{
    int in_quotes = csv->state == ST_QUOTED;
    int64_t len;
    int rc;

    csv->done = 1;
    if ((rc = raw_finish(csv, csv->len, !in_quotes, &len)) < 0)
        return rc;
    csv->rec_end_line = csv->line;
    if (csv->skip != SKIP_NONE)
        return csv->err;
    if (in_quotes && !csv->lenient) {
        record_error(csv, ERMES_EPARSE, 0, "unterminated quoted field");
        csv->err_line = csv->quote_line;
        csv->err_column = csv->quote_column;
        return csv->err;
    }
    if (csv->state == ST_FIELD_START && csv->nfields == 0 && len == 0)
        return 0;
    if (csv->state == ST_UNQUOTED)
        field_strip_cr(csv);
    /* In ST_EAT_CRNL the last field was closed at its CR already. */
    if (csv->state != ST_EAT_CRNL && (rc = field_end(csv)) < 0)
        return rc;
    if ((uint64_t)len > csv->max_record) {
        record_error(csv, ERMES_ETOOBIG, offset_of(csv, csv->buf + csv->len),
                     "record is longer than %zu bytes", csv->max_record);
        return csv->err;
    }
    /* A last line holding only a CR is a blank line. */
    if (len == 0 && csv->nfields == 1)
        return 0;
    if (blank_record(csv))
        return 0;
    return 1;
}

static void record_begin(ermes_csv_t *csv)
{
    csv->rec_start = offset_of(csv, csv->buf + csv->pos);
    csv->rec_line = csv->line;
    csv->rec_end_line = csv->line;
    csv->state = ST_FIELD_START;
    csv->skip = SKIP_NONE;
    csv->raw_mark = csv->pos;
    ermes__strbuf_reset(&csv->raw);
    csv->raw_over = 0;
    ermes__strbuf_reset(&csv->text);
    csv->field_start = 0;
    csv->nfields = 0;
    csv->err = 0;
}

/* Reads the next chunk. The current record's unsaved raw bytes are saved first. */
static int refill(ermes_csv_t *csv)
{
    ssize_t n;
    int rc;

    if (!csv->read_cb) {
        csv->eof = 1;
        return 0;
    }
    if ((rc = raw_add(csv, csv->buf + csv->raw_mark, csv->len - csv->raw_mark)) < 0)
        return rc;
    csv->base += (int64_t)csv->len;
    csv->len = csv->pos = csv->raw_mark = 0;
    n = csv->read_cb(csv->ctx, csv->chunk, CSV_CHUNK);
    if (n < 0 || (size_t)n > CSV_CHUNK)
        return ERMES_EIO;
    if (n == 0)
        csv->eof = 1;
    csv->len = (size_t)n;
    return 0;
}

/* Skips a UTF-8 byte order mark at the very start. It may arrive split over several reads, so
 * the first reads accumulate until there are three bytes to look at. */
static int skip_bom(ermes_csv_t *csv)
{
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    ssize_t n;

    while (csv->read_cb && !csv->eof && csv->len < sizeof(bom)) {
        n = csv->read_cb(csv->ctx, csv->chunk + csv->len, CSV_CHUNK - csv->len);
        if (n < 0 || (size_t)n > CSV_CHUNK - csv->len)
            return ERMES_EIO;
        if (n == 0)
            csv->eof = 1;
        csv->len += (size_t)n;
    }
    if (csv->len >= sizeof(bom) && memcmp(csv->buf, bom, sizeof(bom)) == 0) {
        csv->pos = sizeof(bom);
        csv->line_start = sizeof(bom);
    }
    csv->started = 1;
    return 0;
}

static int fail(ermes_csv_t *csv, int rc, ermes_diag_t *d)
{
    csv->fatal = rc;
    if (d) {
        d->line = csv->line;
        d->column = 0;
        d->offset = (long)csv->rec_start;
        ermes_diag_set(d, "", "%s", rc == ERMES_EIO ? "read error" : ermes_strerror(rc));
    }
    return rc;
}

static int emit(ermes_csv_t *csv, int rc, ermes_csv_record_t *rec, ermes_diag_t *d)
{
    size_t i;

    if (rc < 0 && rc != ERMES_EPARSE && rc != ERMES_ETOOBIG)
        return fail(csv, rc, d);
    if (rc == 0)
        return 0;
    rec->line = csv->rec_line;
    rec->offset = csv->rec_start;
    rec->end_line = csv->rec_end_line;
    rec->raw = csv->raw.data ? csv->raw.data : "";
    rec->raw_len = csv->raw.len < csv->max_record ? csv->raw.len : csv->max_record;
    rec->fields = csv->fields;
    rec->lengths = csv->lengths;
    rec->unterminated = 0;
    if (rc < 0) {
        rec->nfields = 0;
        if (d) {
            d->line = csv->err_line;
            d->column = csv->err_column;
            d->offset = (long)csv->rec_start;
            ermes_diag_set(d, "", "%s", csv->err_reason);
        }
        return rc;
    }
    rec->nfields = csv->nfields;
    rec->unterminated = csv->done && csv->state == ST_QUOTED;
    for (i = 0; i < csv->nfields; i++)
        csv->fields[i] = csv->text.data + csv->starts[i];
    return 1;
}

int ermes_csv_next(ermes_csv_t *csv, ermes_csv_record_t *rec, ermes_diag_t *d)
{
    size_t stop, left;
    int64_t used;
    int rc;

    if (!csv || !rec)
        return ERMES_EINVAL;
    if (csv->fatal)
        return csv->fatal;
    if (csv->done)
        return 0;
    if (!csv->started && (rc = skip_bom(csv)) < 0)
        return fail(csv, rc, d);
    record_begin(csv);
    for (;;) {
        if (csv->pos == csv->len) {
            if (!csv->eof) {
                if ((rc = refill(csv)) < 0)
                    return fail(csv, rc, d);
                continue;
            }
            return emit(csv, record_end_eof(csv), rec, d);
        }
        stop = csv->len;
        if (csv->skip == SKIP_NONE) {
            /* Stop exactly where the record reaches max_record + 1 bytes (one more than the
             * limit, for the CR of a CRLF), wherever the chunk boundaries are. */
            used = offset_of(csv, csv->buf + csv->pos) - csv->rec_start;
            left = csv->max_record + 1 - (size_t)used;
            if (left == 0) {
                if (csv->buf[csv->pos] == '\n' && csv->state != ST_QUOTED) {
                    stop = csv->pos + 1;
                } else {
                    record_error(csv, ERMES_ETOOBIG, offset_of(csv, csv->buf + csv->pos),
                                 "record is longer than %zu bytes", csv->max_record);
                    csv->skip = SKIP_RECORD;
                }
            } else if (left < stop - csv->pos) {
                stop = csv->pos + left;
            }
        }
        rc = scan(csv, stop);
        if (rc < 0)
            return fail(csv, rc, d);
        if (rc == SCAN_RECORD) {
            /* A blank line (nothing, or a lone CR, before the LF) is not a record. */
            if (!csv->err && blank_record(csv)) {
                record_begin(csv);
                continue;
            }
            return emit(csv, csv->err ? csv->err : 1, rec, d);
        }
    }
}

static int csv_new(const ermes_csv_options_t *opts, ermes_csv_t **out)
{
    ermes_csv_t *csv;
    unsigned char delim = ',';
    size_t max_record = CSV_DEFAULT_MAX_RECORD;
    size_t max_fields = CSV_DEFAULT_MAX_FIELDS;
    int lenient = 0;

    if (!out)
        return ERMES_EINVAL;
    if (opts) {
        if (opts->delimiter)
            delim = (unsigned char)opts->delimiter;
        if (opts->max_record)
            max_record = opts->max_record;
        if (opts->max_fields)
            max_fields = opts->max_fields;
        lenient = opts->lenient != 0;
    }
    /* The delimiter cannot be a byte with a meaning of its own; the limits must leave room for
     * the arithmetic on them (max_record + 1 + max_fields + 1, arrays of max_fields). */
    if (delim == '"' || delim == '\n' || delim == '\r' || delim == '\0')
        return ERMES_EINVAL;
    if (max_record > SIZE_MAX / 4 || max_fields > SIZE_MAX / 4 / sizeof(size_t))
        return ERMES_EINVAL;

    csv = ermes__calloc(1, sizeof(*csv));
    if (!csv)
        return ERMES_ENOMEM;
    csv->delim = delim;
    csv->max_record = max_record;
    csv->max_fields = max_fields;
    csv->stop_unquoted[delim] = 1;
    csv->stop_unquoted['\n'] = 1;
    csv->stop_unquoted['\0'] = 1;
    csv->lenient = lenient;
    if (lenient)
        csv->stop_unquoted['\r'] = 1;
    csv->stop_quoted['"'] = 1;
    csv->stop_quoted['\n'] = 1;
    csv->stop_quoted['\0'] = 1;
    csv->line = 1;
    ermes__strbuf_init(&csv->raw, max_record + 1);
    ermes__strbuf_init(&csv->text, max_record + 1 + max_fields + 1);
    *out = csv;
    return 0;
}

int ermes_csv_new(ermes_csv_read_cb read_cb, void *ctx, const ermes_csv_options_t *opts,
                  ermes_csv_t **out)
{
    ermes_csv_t *csv = NULL;
    int rc;

    if (!read_cb)
        return ERMES_EINVAL;
    if ((rc = csv_new(opts, &csv)) < 0)
        return rc;
    csv->chunk = ermes__malloc(CSV_CHUNK);
    if (!csv->chunk) {
        ermes_csv_free(csv);
        return ERMES_ENOMEM;
    }
    csv->read_cb = read_cb;
    csv->ctx = ctx;
    csv->buf = (const unsigned char *)csv->chunk;
    *out = csv;
    return 0;
}

int ermes_csv_new_mem(const char *data, size_t len, const ermes_csv_options_t *opts,
                      ermes_csv_t **out)
{
    ermes_csv_t *csv = NULL;
    int rc;

    if (!data && len)
        return ERMES_EINVAL;
    if ((rc = csv_new(opts, &csv)) < 0)
        return rc;
    csv->buf = (const unsigned char *)(data ? data : "");
    csv->len = len;
    csv->eof = 1;
    *out = csv;
    return 0;
}

void ermes_csv_free(ermes_csv_t *csv)
{
    if (!csv)
        return;
    ermes__free(csv->chunk);
    ermes__strbuf_cleanup(&csv->raw);
    ermes__strbuf_cleanup(&csv->text);
    ermes__free(csv->starts);
    ermes__free(csv->lengths);
    ermes__free(csv->fields);
    ermes__free(csv);
}
