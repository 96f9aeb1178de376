#include "http/report_form.h"

#include <string.h>

#include "model/harmonize.h"
#include "intake/parser.h"

int ermes__form_add_piece(char *dst, size_t cap, uint64_t off, const char *data, size_t size)
{
    if (off >= cap - 1 || size > cap - 1 - off)
        return -1;
    memcpy(dst + off, data, size);
    dst[off + size] = '\0';
    return 0;
}

static int too_long(const char *key, size_t cap, ermes_diag_t *d)
{
    ermes_diag_set(d, key, "%s is longer than %zu bytes", key, cap - 1);
    return ERMES_EINVAL;
}

int ermes__report_form_field(ermes__report_form_t *f, const ermes__form_sink_t *sink,
                             const char *key, const char *filename, const char *data, uint64_t off,
                             size_t size, ermes_diag_t *d)
{
    int rc;

    if (strcmp(key, "file") != 0)
        f->in_file = 0;
    if (strcmp(key, "file") == 0) {
        /* A part starts at offset 0. libmicrohttpd may call once with no data at offset 0
         * before the part's first bytes (also at 0), so a new part is one that follows
         * another field, or starts at 0 after this part's data. Two files in one report would
         * silently be one file made of both: refused. */
        if (f->have_file && (!f->in_file || (off == 0 && f->file_end > 0))) {
            ermes_diag_set(d, "file", "the form has more than one \"file\" part");
            return ERMES_EINVAL;
        }
        f->in_file = 1;
        f->file_end = off + size;
        if ((rc = sink->begin(sink->arg, d)))
            return rc;
        /* The part's file name, unless a file_name field came first. */
        if (filename && !f->file_name[0] &&
            ermes__form_add_piece(f->file_name, sizeof(f->file_name), 0, filename,
                                  strlen(filename)))
            return too_long("file_name", sizeof(f->file_name), d);
        f->have_file = 1;
        if (size && (rc = sink->write(sink->arg, data, size, d)))
            return rc;
    } else if (strcmp(key, "feed") == 0) {
        if (ermes__form_add_piece(f->feed, sizeof(f->feed), off, data, size))
            return too_long(key, sizeof(f->feed), d);
    } else if (strcmp(key, "file_name") == 0) {
        if (ermes__form_add_piece(f->file_name, sizeof(f->file_name), off, data, size))
            return too_long(key, sizeof(f->file_name), d);
    } else if (strcmp(key, "option") == 0) {
        /* Each "option" field starts at offset 0; its value may come in pieces. */
        if (off == 0 && f->noptions == ERMES_FORM_MAX_OPTIONS)
            f->too_many_options = 1; /* answered once the form is read */
        else if (off == 0)
            f->noptions++;
        if (!f->too_many_options && f->noptions &&
            ermes__form_add_piece(f->options[f->noptions - 1], ERMES_FORM_MAX_FIELD + 1, off, data,
                                  size))
            return too_long(key, ERMES_FORM_MAX_FIELD + 1, d);
    } else {
        ermes_diag_set(d, key, "unknown form field \"%.32s\" (file, feed, file_name, option)", key);
        return ERMES_EINVAL;
    }
    return 0;
}

unsigned ermes__report_form_check(const ermes__report_form_t *f, const char *const *options,
                                  int too_many, ermes_diag_t *d)
{
    if (!f->feed[0]) {
        ermes_diag_set(d, "feed", "which feed is this? give feed= (see GET /api/v1/feeds)");
        return 400;
    }
    if (!ermes__utf8_valid(f->feed, strlen(f->feed)) || !ermes__parser_find(f->feed)) {
        ermes_diag_set(d, "feed", "unknown feed \"%s\" (see GET /api/v1/feeds)",
                       ermes__utf8_valid(f->feed, strlen(f->feed)) ? f->feed : "?");
        return 422;
    }
    if (!ermes__utf8_valid(f->file_name, strlen(f->file_name))) {
        ermes_diag_set(d, "file_name", "file_name must be UTF-8");
        return 400;
    }
    if (too_many) {
        ermes_diag_set(d, "option", "at most %d options", ERMES_FORM_MAX_OPTIONS);
        return 422;
    }
    for (const char *const *o = options; *o; o++) {
        size_t n = strlen(*o);
        if (!ermes__utf8_valid(*o, n)) {
            ermes_diag_set(d, "option", "options must be UTF-8");
            return 400;
        }
        if (n > ERMES_FORM_MAX_FIELD) {
            ermes_diag_set(d, "option", "option is longer than %d bytes", ERMES_FORM_MAX_FIELD);
            return 400;
        }
        if ((*o)[0] == '=' || !strchr(*o, '=')) {
            ermes_diag_set(d, "option", "an option is key=value");
            return 422;
        }
    }
    return 0;
}
