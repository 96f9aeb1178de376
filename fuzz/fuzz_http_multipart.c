/* libFuzzer target for the multipart/form-data form of POST /api/v1/reports
 * (src/http/report_form.c): what ermes does with the parts libmicrohttpd's post processor hands
 * it, and the check of the form's fields before a report is recorded.
 *
 * What it does not reach: the MIME parsing itself (boundaries, part headers), which is
 * libmicrohttpd's and needs a live connection. The input is instead the sequence of callbacks
 * the post processor makes, including ones it should never make, records of:
 *   byte 0: bits 0-2 the field (0 file, 1 feed, 2 file_name, 3 option, 4 an unknown name,
 *           5-7 file again, the part that matters most), bit 3 a part file name (the data as
 *           a string), bits 4-5 the offset (0 the next one of this field's piece, 1 zero: a new
 *           part, 2-3 the next byte times 7, anywhere), bit 6 the spool cannot be started,
 *           bit 7 the spool refuses this write;
 *   byte 1: the length of the piece, then that many bytes.
 * Checks: a refusal is ERMES_EINVAL or the spool's own error, names a field and says why,
 * and ends the form (the server stops there too); every byte of an accepted file piece, and
 * nothing else, reaches the spool, always after it was started; a file part after another
 * field, or a new one at offset 0 after file data, is refused; the fields stay NUL-terminated
 * in their arrays and at most ERMES_FORM_MAX_OPTIONS options are kept; the final check answers
 * 0, 400 or 422 with a reason, and 0 only for a known feed and key=value options. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/report_form.h"
#include "intake/parser.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_http_multipart: %s\n", what);
    abort();
}

typedef struct sink_state {
    int started, fail_begin, fail_write;
    uint64_t written;
} sink_state_t;

static int sink_begin(void *arg, ermes_diag_t *d)
{
    sink_state_t *s = arg;

    if (s->fail_begin) {
        ermes_diag_set(d, "file", "cannot store the report on disk");
        return ERMES_EIO;
    }
    s->started = 1;
    return 0;
}

static int sink_write(void *arg, const char *data, size_t size, ermes_diag_t *d)
{
    sink_state_t *s = arg;

    check(s->started, "file bytes written before the spool was started");
    check(size > 0 && data != NULL, "an empty write");
    if (s->fail_write) {
        ermes_diag_set(d, NULL, "the report is too big");
        return ERMES_ETOOBIG;
    }
    s->written += size;
    return 0;
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"file",    "feed", "file_name", "option",
                                       "comment", "file", "file",      "file"};
    ermes__report_form_t *f = calloc(1, sizeof(*f));
    sink_state_t s = {0, 0, 0, 0};
    const ermes__form_sink_t sink = {sink_begin, sink_write, &s};
    const char *options[ERMES_FORM_MAX_OPTIONS + 1];
    uint64_t accepted = 0, next_off = 0;
    int prev_key = -1, rc = 0, other_since_file = 0, file_data = 0;
    ermes_diag_t d;
    size_t i = 0;
    unsigned status;

    if (!f)
        return 0;
    ermes_diag_clear(&d);
    while (i + 2 <= size && rc == 0) {
        uint8_t op = data[i], len = data[i + 1];
        int key = op & 7, is_file = strcmp(keys[key], "file") == 0;
        uint64_t off;
        char *piece, *filename = NULL;
        int second_part;

        i += 2;
        if (len > size - i)
            len = (uint8_t)(size - i);
        switch ((op >> 4) & 3) {
        case 0:
            off = prev_key == key ? next_off : 0;
            break;
        case 1:
            off = 0;
            break;
        default:
            off = i + len < size ? (uint64_t)data[i + len] * 7 : 0;
            break;
        }
        /* An exact-size copy, so reads past the piece are caught. */
        piece = malloc(len ? len : 1);
        check(piece != NULL, "out of memory");
        memcpy(piece, data + i, len);
        if (op & 8) {
            filename = malloc((size_t)len + 1);
            check(filename != NULL, "out of memory");
            memcpy(filename, data + i, len);
            filename[len] = '\0';
        }
        i += len;
        s.fail_begin = (op & 0x40) != 0;
        s.fail_write = (op & 0x80) != 0;
        /* What must be refused as a second file: one after another field, or one starting at
         * offset 0 once the file part had data. */
        second_part = is_file && f->have_file && (other_since_file || (off == 0 && file_data));
        rc = ermes__report_form_field(f, &sink, keys[key], filename, piece, off, len, &d);
        if (rc) {
            check(rc == ERMES_EINVAL || (rc == ERMES_EIO && s.fail_begin) ||
                      (rc == ERMES_ETOOBIG && s.fail_write),
                  "unexpected error code");
            check(d.reason[0] != '\0', "a refusal without a reason");
            check(rc != ERMES_EINVAL || d.field[0] != '\0', "a refused field not named");
        } else {
            check(!second_part, "a second file part was accepted");
            if (is_file) {
                accepted += len;
                other_since_file = 0;
                file_data |= len > 0;
            }
        }
        if (!is_file && f->have_file)
            other_since_file = 1;
        prev_key = key;
        next_off = off + len;
        free(piece);
        free(filename);
        check(terminated(f->feed, sizeof(f->feed)) &&
                  terminated(f->file_name, sizeof(f->file_name)),
              "a field lost its terminator");
        check(f->noptions >= 0 && f->noptions <= ERMES_FORM_MAX_OPTIONS, "too many options");
        check(!f->too_many_options || f->noptions == ERMES_FORM_MAX_OPTIONS,
              "too many options with room left");
        for (int k = 0; k < f->noptions; k++)
            check(terminated(f->options[k], sizeof(f->options[k])),
                  "an option lost its terminator");
    }
    check(s.written == accepted, "the spool did not get exactly the file's bytes");
    if (rc == 0) {
        for (int k = 0; k < f->noptions; k++)
            options[k] = f->options[k];
        options[f->noptions] = NULL;
        ermes_diag_clear(&d);
        status = ermes__report_form_check(f, options, f->too_many_options, &d);
        check(status == 0 || status == 400 || status == 422, "unexpected status");
        if (status) {
            check(d.reason[0] && d.field[0], "a refused form without field or reason");
        } else {
            check(ermes__parser_find(f->feed) != NULL, "an unknown feed accepted");
            for (int k = 0; k < f->noptions; k++)
                check(f->options[k][0] != '=' && strchr(f->options[k], '='),
                      "an option that is not key=value accepted");
        }
    }
    free(f);
    return 0;
}
