#include "http/report_form.h"

#include <string.h>
#include <strings.h>

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

int ermes__form_scan_init(ermes__form_scan_t *s, const char *content_type)
{
    const char *b = NULL, *p;
    size_t blen;

    memset(s, 0, sizeof(*s));
    /* The boundary parameter, quoted or not; parameter names are case-insensitive. */
    for (p = content_type; p && *p; p++) {
        if ((p == content_type || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t') &&
            strncasecmp(p, "boundary=", 9) == 0) {
            b = p + 9;
            break;
        }
    }
    if (!b)
        return ERMES_EINVAL;
    if (*b == '"') {
        const char *end = strchr(++b, '"');
        if (!end)
            return ERMES_EINVAL;
        blen = (size_t)(end - b);
    } else {
        blen = strcspn(b, "; \t");
    }
    if (blen < 1 || blen > 70)
        return ERMES_EINVAL;
    memcpy(s->delim, "\r\n--", 4);
    memcpy(s->delim + 4, b, blen);
    s->dlen = 4 + blen;
    /* The first delimiter may open the body, with no line end before it. */
    s->matched = 2;
    return 0;
}

/* Whether a part's head names the part "file": a name parameter (not filename) of the
 * Content-Disposition header equal to file, quoted or not. */
static int head_names_file(const char *h, size_t n)
{
    for (size_t i = 0; i + 5 <= n; i++) {
        const char *v;
        if (strncasecmp(h + i, "name=", 5) != 0 || i == 0 ||
            (h[i - 1] != ';' && h[i - 1] != ' ' && h[i - 1] != '\t'))
            continue;
        v = h + i + 5;
        if (v + 6 <= h + n && memcmp(v, "\"file\"", 6) == 0)
            return 1;
        if (v + 4 <= h + n && memcmp(v, "file", 4) == 0 &&
            (v + 4 == h + n || strchr("; \t\r", v[4])))
            return 1;
    }
    return 0;
}

void ermes__form_scan_feed(ermes__form_scan_t *s, const char *data, size_t n)
{
    for (size_t i = 0; i < n && s->state != 2; i++) {
        char c = data[i];
        if (s->state == 1) {
            /* The head runs from the delimiter's end to the first empty line; "--" right
             * after the delimiter closes the form instead. */
            if (s->hlen < sizeof(s->head))
                s->head[s->hlen] = c;
            s->hlen++;
            if (s->hlen == 2 && s->head[0] == '-' && s->head[1] == '-') {
                s->state = 2;
            } else if (s->hlen >= 4 && s->hlen <= sizeof(s->head) &&
                       memcmp(s->head + s->hlen - 4, "\r\n\r\n", 4) == 0) {
                s->file_parts += head_names_file(s->head, s->hlen);
                s->state = 0;
                s->matched = 0;
            } else if (s->hlen > sizeof(s->head) && c == '\n') {
                /* A head too long to read: the post processor refuses it or not; it is not
                 * counted. A new delimiter is looked for from here. */
                s->state = 0;
                s->matched = 0;
            }
            continue;
        }
        /* A mismatch restarts at this byte: CR appears in the delimiter only first. */
        if (c == s->delim[s->matched]) {
            if (++s->matched == s->dlen) {
                s->state = 1;
                s->hlen = 0;
            }
        } else {
            s->matched = c == '\r' ? 1 : 0;
        }
    }
}
