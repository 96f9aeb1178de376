/* The log reader: splits the byte stream into lines (large blocks, memchr), decides the format
 * from the first record when asked to, and hands each line to the format's parser. Malformed
 * records are skipped with a reason and counted; reading goes on. Lines longer than the cap
 * are skipped whole without being held in memory. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/detect_int.h"
#include "ermes/csv.h"

#define BLOCK (1024 * 1024)
#define SCRATCH (1024 * 1024)
#define MAX_CSV_COLS 256

struct ermes_log_reader {
    det_input_t *in;
    char *source;
    ermes_log_options_t opts;
    ermes_log_format_t fmt;
    char *buf;
    size_t cap, start, end, scan;
    int eof;
    int skipping; /* discarding the rest of an over-long line */
    long line;
    int64_t offset; /* stream offset of buf[start] */
    det_rec_t rec;
    ermes_log_record_t out;
    det_zeek_tsv_t *zeek;
    int zeek_json;
    /* CSV */
    ermes_csv_t *csv;
    int csv_header_done;
    size_t csv_ncols;
    char *csv_names[MAX_CSV_COLS];
    det_fieldspec_t csv_spec[MAX_CSV_COLS];
    int csv_use[MAX_CSV_COLS];
    ermes_log_stats_t stats;
};

/* ---- record helpers ---- */

void ermes__det_rec_reset(det_rec_t *r, ermes_log_record_t *rec)
{
    const char *source = rec->source, *format = rec->format;

    memset(rec, 0, sizeof(*rec));
    rec->source = source;
    rec->format = format;
    rec->fields = r->fields;
    r->rec = rec;
    r->nfields = 0;
    r->scratch_len = 0;
    r->overflow = 0;
}

int ermes__det_rec_add(det_rec_t *r, const char *name, ermes_field_kind_t kind, const char *v,
                       size_t len)
{
    if (r->nfields == DET_MAX_FIELDS) {
        r->overflow = 1;
        return ERMES_ETOOBIG;
    }
    r->fields[r->nfields].name = name;
    r->fields[r->nfields].kind = kind;
    r->fields[r->nfields].value = v;
    r->fields[r->nfields].len = len;
    r->nfields++;
    r->rec->nfields = r->nfields;
    return 0;
}

char *ermes__det_rec_scratch(det_rec_t *r, const char *s, size_t n)
{
    char *p;

    /* Fixed capacity: earlier fields point into it, so it never moves during a record. */
    if (n > r->scratch_cap - r->scratch_len) {
        r->overflow = 1;
        return NULL;
    }
    p = r->scratch + r->scratch_len;
    if (s)
        memcpy(p, s, n);
    r->scratch_len += n;
    return p;
}

void ermes__det_rec_role(det_rec_t *r, const det_fieldspec_t *spec, const char *v, size_t len)
{
    ermes_log_record_t *rec = r->rec;

    if (spec->roles & DET_ROLE_TIME) {
        rec->time = v;
        rec->time_len = len;
    }
    if (spec->roles & DET_ROLE_SENSOR) {
        rec->sensor = v;
        rec->sensor_len = len;
    }
    if (spec->roles & DET_ROLE_SRC) {
        rec->src_ip = v;
        rec->src_ip_len = len;
    }
    if (spec->roles & DET_ROLE_DST) {
        rec->dest_ip = v;
        rec->dest_ip_len = len;
    }
}

void ermes__det_rec_compose_urls(det_rec_t *r, const char *host_field, const char *url_field)
{
    const ermes_log_field_t *host = NULL;

    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].name[0] == host_field[0] && strcmp(r->fields[i].name, host_field) == 0)
            host = &r->fields[i];
    if (!host)
        return;
    for (size_t i = 0; i < r->nfields; i++) {
        ermes_log_field_t *f = &r->fields[i];
        char *p;
        if (strcmp(f->name, url_field) != 0 || f->len == 0 || f->value[0] != '/')
            continue;
        /* A request target in origin form (RFC 9112 section 3.2.1): the absolute URL is the
         * host in front of it. */
        p = ermes__det_rec_scratch(r, NULL, 7 + host->len + f->len);
        if (!p)
            return;
        memcpy(p, "http://", 7);
        memcpy(p + 7, host->value, host->len);
        memcpy(p + 7 + host->len, f->value, f->len);
        f->value = p;
        f->len = 7 + host->len + f->len;
    }
}

/* ---- opening and closing ---- */

int ermes_log_format_parse(const char *s)
{
    static const char *const names[] = {"auto", "eve", "zeek", "lines", "csv"};

    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static const char *format_name(ermes_log_format_t f)
{
    static const char *const names[] = {"auto", "eve", "zeek", "lines", "csv"};
    return (unsigned)f < 5 ? names[f] : "auto";
}

static int reader_new(const char *source, const ermes_log_options_t *opts, ermes_log_reader_t **out)
{
    ermes_log_reader_t *r = ermes__calloc(1, sizeof(*r));

    if (!r)
        return ERMES_ENOMEM;
    if (opts)
        r->opts = *opts;
    if (!r->opts.max_line)
        r->opts.max_line = 16u * 1024 * 1024;
    r->fmt = r->opts.format;
    r->cap = BLOCK;
    r->buf = ermes__malloc(r->cap);
    r->source = ermes__strdup(source);
    r->rec.scratch_cap = SCRATCH;
    r->rec.scratch = ermes__malloc(SCRATCH);
    if (!r->buf || !r->source || !r->rec.scratch) {
        ermes_log_reader_free(r);
        return ERMES_ENOMEM;
    }
    r->out.source = r->source;
    *out = r;
    return 0;
}

int ermes_log_reader_open(const char *path, const ermes_log_options_t *opts,
                          ermes_log_reader_t **out, ermes_diag_t *d)
{
    ermes_log_reader_t *r;
    int rc;

    if (!path || !out)
        return ERMES_EINVAL;
    if ((rc = reader_new(path, opts, &r)))
        return rc;
    if ((rc = ermes__det_input_open(path, r->opts.follow, r->opts.follow_poll_ms, r->opts.stop,
                                    &r->in, d))) {
        ermes_log_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int ermes_log_reader_open_mem(const char *data, size_t len, const ermes_log_options_t *opts,
                              ermes_log_reader_t **out, ermes_diag_t *d)
{
    ermes_log_reader_t *r;
    int rc;

    (void)d;
    if (!out || (!data && len))
        return ERMES_EINVAL;
    if ((rc = reader_new("(memory)", opts, &r)))
        return rc;
    r->opts.follow = 0;
    if ((rc = ermes__det_input_open_mem(data, len, &r->in))) {
        ermes_log_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void ermes_log_reader_free(ermes_log_reader_t *r)
{
    if (!r)
        return;
    ermes__det_input_free(r->in);
    ermes__det_zeek_tsv_free(r->zeek);
    ermes_csv_free(r->csv);
    for (size_t i = 0; i < MAX_CSV_COLS; i++)
        ermes__free(r->csv_names[i]);
    ermes__free(r->rec.scratch);
    ermes__free(r->buf);
    ermes__free(r->source);
    ermes__free(r);
}

ermes_log_format_t ermes_log_reader_format(const ermes_log_reader_t *r)
{
    return r->fmt;
}

void ermes_log_reader_stats(const ermes_log_reader_t *r, ermes_log_stats_t *out)
{
    *out = r->stats;
    out->rotations = r->in ? ermes__det_input_rotations(r->in) : 0;
}

/* ---- lines ---- */

/* Next line: 1 with line and len set, 0 at the end, ERMES_ETOOBIG for an over-long line (already
 * skipped), or a read error. */
static int next_line(ermes_log_reader_t *r, const char **line, size_t *len, ermes_diag_t *d)
{
    for (;;) {
        char *nl = r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
        long n;

        if (nl) {
            size_t e = (size_t)(nl - r->buf);
            size_t start = r->start;
            r->start = r->scan = e + 1;
            r->line++;
            r->out.line = r->line;
            r->out.offset = r->offset;
            r->offset += (int64_t)(e + 1 - start);
            r->stats.lines++;
            if (r->skipping) {
                r->skipping = 0;
                continue;
            }
            if (e - start > r->opts.max_line) {
                ermes_diag_set(d, NULL, "line longer than %zu bytes: skipped", r->opts.max_line);
                d->line = r->line;
                d->offset = r->out.offset;
                return ERMES_ETOOBIG;
            }
            *line = r->buf + start;
            *len = e - start;
            return 1;
        }
        r->scan = r->end;
        if (r->eof) {
            if (r->start < r->end && !r->skipping) {
                *line = r->buf + r->start;
                *len = r->end - r->start;
                r->line++;
                r->out.line = r->line;
                r->out.offset = r->offset;
                r->offset += (int64_t)*len;
                r->stats.lines++;
                r->start = r->scan = r->end;
                return 1;
            }
            return 0;
        }
        if (r->end - r->start > r->opts.max_line) {
            /* Over-long: drop what we hold and discard up to the next newline. */
            int was = r->skipping;
            r->offset += (int64_t)(r->end - r->start);
            r->start = r->scan = r->end = 0;
            if (!was) {
                r->skipping = 1;
                ermes_diag_set(d, NULL, "line longer than %zu bytes: skipped", r->opts.max_line);
                d->line = r->line + 1;
                d->offset = r->offset;
                return ERMES_ETOOBIG;
            }
        }
        if (r->start > 0 && (r->start == r->end || r->cap - r->end < BLOCK / 2)) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->scan -= r->start;
            r->start = 0;
        }
        if (r->cap - r->end < BLOCK / 2) {
            size_t ncap = r->cap * 2;
            char *nb;
            if (ncap > r->opts.max_line + 2 * BLOCK)
                ncap = r->opts.max_line + 2 * BLOCK;
            if (ncap <= r->cap) {
                ncap = r->cap;
            } else {
                nb = ermes__realloc(r->buf, ncap);
                if (!nb)
                    return ERMES_ENOMEM;
                r->buf = nb;
                r->cap = ncap;
            }
        }
        if (r->cap == r->end)
            continue; /* full: the over-long check above makes room */
        n = ermes__det_input_read(r->in, r->buf + r->end, r->cap - r->end, d);
        if (n < 0)
            return (int)n;
        if (n == 0)
            r->eof = 1;
        r->end += (size_t)n;
        r->stats.bytes += (uint64_t)n;
    }
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static void detect_format(ermes_log_reader_t *r, const char *line, size_t len)
{
    while (len && isspace((unsigned char)*line)) {
        line++;
        len--;
    }
    if (len && line[0] == '{') {
        if (memmem(line, len, "\"event_type\"", 12))
            r->fmt = ERMES_LOG_EVE;
        else if (memmem(line, len, "\"ts\"", 4) || memmem(line, len, "\"id.orig_h\"", 11) ||
                 memmem(line, len, "\"uid\"", 5))
            r->fmt = ERMES_LOG_ZEEK;
        else
            r->fmt = ERMES_LOG_EVE;
    } else if (len && line[0] == '#' &&
               ((len >= 10 && memcmp(line, "#separator", 10) == 0) ||
                (len >= 7 && memcmp(line, "#fields", 7) == 0))) {
        r->fmt = ERMES_LOG_ZEEK;
    } else {
        r->fmt = ERMES_LOG_LINES;
    }
}

static int lines_record(ermes_log_reader_t *r, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    while (len && (line[0] == ' ' || line[0] == '\t')) {
        line++;
        len--;
    }
    if (len == 0 || line[0] == '#')
        return 0;
    ermes__det_rec_add(&r->rec, "line", ERMES_FIELD_AUTO, line, len);
    return 1;
}

/* ---- CSV logs ---- */

static ssize_t csv_read_cb(void *ctx, char *buf, size_t cap)
{
    ermes_log_reader_t *r = ctx;
    long n = ermes__det_input_read(r->in, buf, cap, NULL);

    if (n > 0)
        r->stats.bytes += (uint64_t)n;
    return n < 0 ? -1 : (ssize_t)n;
}

static ermes_field_kind_t kind_parse(const char *s, size_t n)
{
    static const char *const names[] = {"auto", "ip",    "domain", "url",
                                        "hash", "email", "ja3",    "ja4"};
    for (int i = 0; i < 8; i++)
        if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
            return (ermes_field_kind_t)i;
    return (ermes_field_kind_t)-1;
}

static int csv_header(ermes_log_reader_t *r, const ermes_csv_record_t *rec, ermes_diag_t *d)
{
    r->csv_ncols = rec->nfields < MAX_CSV_COLS ? rec->nfields : MAX_CSV_COLS;
    for (size_t i = 0; i < r->csv_ncols; i++) {
        const char *n = rec->fields[i];
        r->csv_names[i] = ermes__strndup(n, rec->lengths[i]);
        if (!r->csv_names[i])
            return ERMES_ENOMEM;
        r->csv_spec[i].path = r->csv_names[i];
        r->csv_spec[i].kind = ERMES_FIELD_AUTO;
        r->csv_spec[i].roles = DET_ROLE_FIELD;
        if (!strcasecmp(n, "ts") || !strcasecmp(n, "time") || !strcasecmp(n, "timestamp") ||
            !strcasecmp(n, "date"))
            r->csv_spec[i].roles = DET_ROLE_TIME;
        else if (!strcasecmp(n, "src_ip") || !strcasecmp(n, "sa") || !strcasecmp(n, "source.ip") ||
                 !strcasecmp(n, "client_ip"))
            r->csv_spec[i].roles |= DET_ROLE_SRC;
        else if (!strcasecmp(n, "dest_ip") || !strcasecmp(n, "da") ||
                 !strcasecmp(n, "destination.ip") || !strcasecmp(n, "dst_ip"))
            r->csv_spec[i].roles |= DET_ROLE_DST;
        r->csv_use[i] = r->opts.csv_columns == NULL || (r->csv_spec[i].roles & DET_ROLE_TIME);
    }
    if (r->opts.csv_columns) {
        const char *p = r->opts.csv_columns;
        while (*p) {
            const char *e = strchr(p, ','), *colon;
            size_t n;
            int found = 0;
            if (!e)
                e = p + strlen(p);
            colon = memchr(p, ':', (size_t)(e - p));
            n = (size_t)((colon ? colon : e) - p);
            for (size_t i = 0; i < r->csv_ncols; i++)
                if (strlen(r->csv_names[i]) == n && memcmp(r->csv_names[i], p, n) == 0) {
                    found = 1;
                    r->csv_use[i] = 1;
                    r->csv_spec[i].roles |= DET_ROLE_FIELD;
                    if (colon) {
                        int k = (int)kind_parse(colon + 1, (size_t)(e - colon - 1));
                        if (k < 0) {
                            ermes_diag_set(d, "csv_columns", "unknown kind \"%.*s\"",
                                           (int)(e - colon - 1), colon + 1);
                            return ERMES_EINVAL;
                        }
                        r->csv_spec[i].kind = (ermes_field_kind_t)k;
                    }
                }
            if (!found) {
                ermes_diag_set(d, "csv_columns", "the CSV header has no column \"%.*s\"", (int)n,
                               p);
                return ERMES_EINVAL;
            }
            p = *e ? e + 1 : e;
        }
    }
    return 0;
}

static int csv_next(ermes_log_reader_t *r, ermes_log_record_t *out, ermes_diag_t *d)
{
    ermes_csv_record_t rec;
    int rc;

    if (!r->csv) {
        ermes_csv_options_t o = {r->opts.csv_delimiter, r->opts.max_line, 0, 0};
        if ((rc = ermes_csv_new(csv_read_cb, r, &o, &r->csv)))
            return rc;
    }
    for (;;) {
        rc = ermes_csv_next(r->csv, &rec, d);
        if (rc == 0)
            return 0;
        if (rc == ERMES_EIO || rc == ERMES_ENOMEM)
            return rc;
        if (rc < 0) {
            r->stats.skipped++;
            return ERMES_EPARSE;
        }
        r->stats.lines = (uint64_t)rec.end_line;
        if (!r->csv_header_done) {
            r->csv_header_done = 1;
            if ((rc = csv_header(r, &rec, d)))
                return rc == ERMES_EINVAL ? ERMES_EIO : rc;
            continue;
        }
        ermes__det_rec_reset(&r->rec, &r->out);
        r->out.line = rec.line;
        r->out.offset = -1;
        for (size_t i = 0; i < rec.nfields && i < r->csv_ncols; i++) {
            if (!r->csv_use[i] || rec.lengths[i] == 0)
                continue;
            if (r->csv_spec[i].roles & DET_ROLE_FIELD)
                ermes__det_rec_add(&r->rec, r->csv_spec[i].path, r->csv_spec[i].kind, rec.fields[i],
                                   rec.lengths[i]);
            ermes__det_rec_role(&r->rec, &r->csv_spec[i], rec.fields[i], rec.lengths[i]);
        }
        r->stats.records++;
        *out = r->out;
        return 1;
    }
}

/* ---- the loop ---- */

/* Parses one line (without its newline) of a line-based format: 1 with r->out filled, 0 for
 * a line that holds no record (blank, a header, a comment), ERMES_EPARSE for a malformed one
 * (reason in d), ERMES_ENOMEM. r->out.line and r->out.offset are set by the caller. */
static int parse_line(ermes_log_reader_t *r, const char *line, size_t len, ermes_diag_t *d)
{
    int rc;

    if (r->fmt == ERMES_LOG_AUTO) {
        if (is_blank(line, len))
            return 0;
        detect_format(r, line, len);
    }
    {
        int64_t off = r->out.offset;
        long lineno = r->out.line;
        r->out.format = format_name(r->fmt);
        ermes__det_rec_reset(&r->rec, &r->out);
        r->out.line = lineno;
        r->out.offset = off;
    }
    if (len && memchr(line, '\0', len) && r->fmt != ERMES_LOG_LINES) {
        ermes_diag_set(d, NULL, "binary data (a NUL byte) in the record");
        return ERMES_EPARSE;
    }
    switch (r->fmt) {
    case ERMES_LOG_EVE:
    case ERMES_LOG_ZEEK:
        if (is_blank(line, len))
            return 0;
        if (r->fmt == ERMES_LOG_ZEEK && !r->zeek_json) {
            const char *p = line;
            while (p < line + len && isspace((unsigned char)*p))
                p++;
            if (p < line + len && *p == '{')
                r->zeek_json = 1;
        }
        if (r->fmt == ERMES_LOG_EVE || r->zeek_json) {
            rc = ermes__det_json_record(r->fmt == ERMES_LOG_EVE ? DET_JSON_EVE : DET_JSON_ZEEK,
                                        line, len, &r->rec, d);
            if (rc)
                return ERMES_EPARSE;
            if (r->fmt == ERMES_LOG_EVE)
                ermes__det_rec_compose_urls(&r->rec, "http.hostname", "http.url");
            else
                ermes__det_rec_compose_urls(&r->rec, "host", "uri");
        } else {
            if (!r->zeek && (rc = ermes__det_zeek_tsv_new(&r->zeek)))
                return rc;
            rc = ermes__det_zeek_tsv_line(r->zeek, line, len, &r->rec, d);
            if (rc == 0)
                return 0; /* a header */
            if (rc < 0)
                return ERMES_EPARSE;
            ermes__det_rec_compose_urls(&r->rec, "host", "uri");
        }
        break;
    default:
        if (len && memchr(line, '\0', len)) {
            ermes_diag_set(d, NULL, "binary data (a NUL byte) in the line");
            return ERMES_EPARSE;
        }
        if (!lines_record(r, line, len))
            return 0;
    }
    return 1;
}

int ermes_log_reader_next(ermes_log_reader_t *r, ermes_log_record_t *rec, ermes_diag_t *d)
{
    const char *line = NULL;
    size_t len = 0;
    int rc;

    if (!r || !rec)
        return ERMES_EINVAL;
    if (r->fmt == ERMES_LOG_CSV) {
        r->out.format = "csv";
        return csv_next(r, rec, d);
    }
    for (;;) {
        rc = next_line(r, &line, &len, d);
        if (rc == 0)
            return 0;
        if (rc == ERMES_ETOOBIG) {
            r->stats.skipped++;
            return ERMES_EPARSE;
        }
        if (rc < 0)
            return rc;
        rc = parse_line(r, line, len, d);
        if (rc == 0)
            continue;
        if (rc == ERMES_ENOMEM)
            return rc;
        if (rc < 0) {
            r->stats.skipped++;
            d->line = r->line;
            d->offset = r->out.offset;
            return ERMES_EPARSE;
        }
        r->stats.records++;
        *rec = r->out;
        return 1;
    }
}

/* ---- fed line by line (src/detect/tail.c, retro.c) ---- */

int ermes__det_reader_lines_new(const char *source, const ermes_log_options_t *opts,
                                ermes_log_reader_t **out)
{
    if (!source || !out)
        return ERMES_EINVAL;
    if (opts && opts->format == ERMES_LOG_CSV)
        return ERMES_EUNSUPPORTED;
    return reader_new(source, opts, out);
}

int ermes__det_reader_line(ermes_log_reader_t *r, const char *line, size_t len, long lineno,
                           int64_t offset, ermes_log_record_t *rec, ermes_diag_t *d)
{
    int rc;

    r->out.line = lineno;
    r->out.offset = offset;
    r->stats.lines++;
    r->stats.bytes += (uint64_t)len + 1;
    if (len > r->opts.max_line) {
        ermes_diag_set(d, NULL, "line longer than %zu bytes: skipped", r->opts.max_line);
        rc = ERMES_EPARSE;
    } else {
        rc = parse_line(r, line, len, d);
    }
    if (rc == 1) {
        r->stats.records++;
        *rec = r->out;
    } else if (rc == ERMES_EPARSE) {
        r->stats.skipped++;
        d->line = lineno;
        d->offset = (long)offset;
    }
    return rc;
}
