/* OpenPhish public feed: one phishing URL per line (IntelMQ's openphish parser). */
#include "intake/parsers/feedparse.h"

#include "core/alloc.h"

typedef struct openphish {
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
} openphish_t;

static int openphish_open(const ermes__report_info_t *info, const char *data, size_t len,
                          void **state, ermes_diag_t *d)
{
    openphish_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, "OpenPhish", "https://www.openphish.com/feed.txt",
                                  d))) {
        ermes__free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static void openphish_close(void *state)
{
    ermes__free(state);
}

static int openphish_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    openphish_t *s = state;
    ermes__fp_str_t line;
    int rc;

    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        if (t.len == 0 || t.p[0] == '#')
            continue;
        ermes__fp_row(row, d, s->lines.line, line);
        if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
            (rc = ermes__fp_set(ev, ERMES_F_SOURCE_URL, t, d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "phishing", d)))
            return rc;
        return 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_openphish = {
    "openphish", "OpenPhish public feed (one URL per line)", openphish_open, openphish_next,
    openphish_close};
