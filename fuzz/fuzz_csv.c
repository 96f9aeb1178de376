/* libFuzzer target for the streaming CSV reader.
 *
 * Reads the input twice in lockstep: from memory, and through a read callback that hands out
 * odd-sized pieces, so records, quotes, CRLFs and the BOM get split at every kind of place.
 * Both readers must report exactly the same thing on every call; any difference aborts. A small
 * max_record makes the too-long path common. Each input is read in both modes, strict and
 * lenient (Python's csv rules, which the Shadowserver and generic CSV parsers use). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ermes/csv.h"
#include "ermes/error.h"

#define FUZZ_MAX_RECORD 64
#define FUZZ_MAX_FIELDS 8
#define FUZZ_MAX_CALLS 100000

typedef struct piecewise {
    const uint8_t *data;
    size_t len;
    size_t pos;
    unsigned turn;
} piecewise_t;

static ssize_t piecewise_read_cb(void *ctx, char *buf, size_t cap)
{
    static const size_t sizes[] = {1, 3, 2, 7, 1, 13, 5, 31, 1, 61, 2, 127};
    piecewise_t *r = ctx;
    size_t n = sizes[r->turn++ % (sizeof(sizes) / sizeof(sizes[0]))];

    if (n > r->len - r->pos)
        n = r->len - r->pos;
    if (n > cap)
        n = cap;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static void same_record(const ermes_csv_record_t *a, const ermes_csv_record_t *b)
{
    size_t i;

    if (a->nfields != b->nfields || a->line != b->line || a->end_line != b->end_line ||
        a->unterminated != b->unterminated || a->raw_len != b->raw_len ||
        memcmp(a->raw, b->raw, a->raw_len) != 0)
        abort();
    if (a->raw_len > FUZZ_MAX_RECORD || a->nfields > FUZZ_MAX_FIELDS)
        abort();
    for (i = 0; i < a->nfields; i++) {
        if (a->lengths[i] != b->lengths[i] ||
            memcmp(a->fields[i], b->fields[i], a->lengths[i]) != 0 ||
            a->fields[i][a->lengths[i]] != '\0')
            abort();
    }
}

static void read_both_ways(const uint8_t *data, size_t size, int lenient)
{
    ermes_csv_options_t opts = {0, FUZZ_MAX_RECORD, FUZZ_MAX_FIELDS, lenient};
    piecewise_t reader = {data, size, 0, 0};
    ermes_csv_t *mem = NULL, *cb = NULL;
    ermes_csv_record_t rec_mem, rec_cb;
    ermes_diag_t d_mem, d_cb;
    int rc_mem, rc_cb, calls = 0;

    if (ermes_csv_new_mem((const char *)data, size, &opts, &mem) != 0)
        abort();
    if (ermes_csv_new(piecewise_read_cb, &reader, &opts, &cb) != 0)
        abort();
    do {
        ermes_diag_clear(&d_mem);
        ermes_diag_clear(&d_cb);
        rc_mem = ermes_csv_next(mem, &rec_mem, &d_mem);
        rc_cb = ermes_csv_next(cb, &rec_cb, &d_cb);
        if (rc_mem != rc_cb)
            abort();
        if (rc_mem == 1)
            same_record(&rec_mem, &rec_cb);
        if (rc_mem == ERMES_EPARSE || rc_mem == ERMES_ETOOBIG) {
            if (d_mem.line != d_cb.line || d_mem.column != d_cb.column ||
                d_mem.offset != d_cb.offset || strcmp(d_mem.reason, d_cb.reason) != 0 ||
                d_mem.line < 1 || d_mem.column < 1 || rec_mem.raw_len != rec_cb.raw_len ||
                memcmp(rec_mem.raw, rec_cb.raw, rec_mem.raw_len) != 0)
                abort();
        } else if (rc_mem < 0) {
            /* Neither reader can fail to allocate or to read here. */
            abort();
        }
        /* Every call consumes input, so the number of calls is bounded by the size. */
        if (++calls > FUZZ_MAX_CALLS || (size_t)calls > size + 1)
            abort();
    } while (rc_mem != 0);
    if (ermes_csv_next(mem, &rec_mem, &d_mem) != 0 || ermes_csv_next(cb, &rec_cb, &d_cb) != 0)
        abort();
    ermes_csv_free(mem);
    ermes_csv_free(cb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_both_ways(data, size, 0);
    read_both_ways(data, size, 1);
    return 0;
}
