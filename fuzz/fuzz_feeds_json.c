/* libFuzzer target for the JSON feed parsers: misp-event, generic-json (with and without a
 * mapping) and microsoft-ctip. The first byte picks the parser, the rest is the report.
 *
 * Checks: open either fails cleanly or the parser walks the report to its end in a bounded
 * number of calls; every call returns an event (1), the end (0) or a rejected row with a line
 * and a reason; every event serialises with ermes_event_to_json and reads back with
 * ermes_event_from_json to the same JSON. Anything else aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "ermes/error.h"
#include "ermes/event.h"
#include "intake/parser.h"

extern const ermes__parser_def_t ermes__parser_misp_event;
extern const ermes__parser_def_t ermes__parser_generic_json;
extern const ermes__parser_def_t ermes__parser_microsoft_ctip;

static const char *const no_options[] = {NULL};
static const char *const map_options[] = {"map.ip=source.ip",
                                          "map.geo.cc=source.geolocation.cc",
                                          "map.seen=time.source",
                                          "map.tags=extra.tags",
                                          "unmapped=reject",
                                          "type=scanner",
                                          NULL};
static const char *const misp_options[] = {"misp_url=http://misp.example/", "accuracy=50", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ermes__parser_def_t *p;
    const char *const *options = no_options;
    ermes__report_info_t info;
    ermes_event_t *ev = NULL, *back = NULL;
    ermes__strbuf_t a, b;
    ermes_diag_t d;
    void *state = NULL;
    char *copy;
    size_t calls = 0;

    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        p = &ermes__parser_misp_event;
        options = misp_options;
        break;
    case 1:
        p = &ermes__parser_generic_json;
        break;
    case 2:
        p = &ermes__parser_generic_json;
        options = map_options;
        break;
    default:
        p = &ermes__parser_microsoft_ctip;
    }
    /* An exact-size copy, so reads past the end are caught. */
    copy = malloc(size - 1 ? size - 1 : 1);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    memset(&info, 0, sizeof(info));
    info.feed = p->name;
    info.received_ms = 1767225600000LL;
    info.options = options;
    ermes_diag_clear(&d);
    if (p->open(&info, copy, size - 1, &state, &d) != 0) {
        free(copy);
        return 0;
    }
    if (ermes_event_new(&ev) || ermes_event_new(&back))
        abort();
    ermes__strbuf_init(&a, 1u << 24);
    ermes__strbuf_init(&b, 1u << 24);
    for (;;) {
        ermes__row_t row;
        int rc;
        memset(&row, 0, sizeof(row));
        ermes_event_reset(ev);
        ermes_diag_clear(&d);
        rc = p->next(state, ev, &row, &d);
        /* Every row is at least one byte of input: more calls than bytes means a loop. */
        if (++calls > size + 16)
            abort();
        if (rc == 0)
            break;
        if (rc == ERMES_ENOMEM)
            break;
        if (rc < 0) {
            if (rc != ERMES_EINVAL && rc != ERMES_EPARSE && rc != ERMES_ETOOBIG)
                abort();
            if (row.line < 1 || !d.reason[0])
                abort();
            continue;
        }
        if (rc != 1 || row.line < 1)
            abort();
        ermes__strbuf_reset(&a);
        ermes__strbuf_reset(&b);
        if (ermes_event_to_json(ev, &a))
            continue; /* too big for the cap: not a parser bug */
        ermes_event_reset(back);
        if (ermes_event_from_json(back, a.data, a.len, &d) != 0)
            abort();
        if (ermes_event_to_json(back, &b) || a.len != b.len || memcmp(a.data, b.data, a.len))
            abort();
    }
    p->close(state);
    ermes_event_free(ev);
    ermes_event_free(back);
    ermes__strbuf_cleanup(&a);
    ermes__strbuf_cleanup(&b);
    free(copy);
    return 0;
}
