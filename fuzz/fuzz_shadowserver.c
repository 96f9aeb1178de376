/* libFuzzer target for the Shadowserver parser and the mapping it is driven by.
 *
 * First byte even: the rest is a report, parsed as one of a few report types picked by the
 * second byte (through Shadowserver's file name, so detection runs too), or with no file name at
 * all (detection from the header). First byte odd: the rest is a schema (intelmq.json form),
 * which must load or be refused with a reason, never crash.
 *
 * Checks: open fails cleanly or the parser walks the report to its end in a bounded number of
 * calls; each call gives an event, the end, or a rejected row with a line and a reason; every
 * event serialises and reads back to the same JSON. Anything else aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "ermes/error.h"
#include "ermes/event.h"
#include "intake/parser.h"

static const char *const names[] = {
    "2026-01-01-scan_adb-example-geo.csv",  "2026-01-01-event4_sinkhole_http-x.csv",
    "2026-01-01-blocklist-example.csv",     "2026-01-01-scan_exchange-example.csv",
    "2026-01-01-compromised_website-x.csv", "2026-01-01-event4_honeypot_http_scan-x.csv",
    "2026-01-01-scan_ssl-example-geo.csv",  NULL,
};

static void parse_report(const char *file_name, const uint8_t *data, size_t size)
{
    const ermes__parser_def_t *p = ermes__parser_find("shadowserver");
    ermes__report_info_t info;
    ermes_event_t *ev = NULL, *back = NULL;
    ermes__strbuf_t a, b;
    ermes_diag_t d;
    void *state = NULL;
    char *copy = malloc(size ? size : 1); /* exact size: reads past the end are caught */
    size_t calls = 0;

    if (!p || !copy)
        abort();
    memcpy(copy, data, size);
    memset(&info, 0, sizeof(info));
    info.feed = "shadowserver";
    info.file_name = file_name;
    info.received_ms = 1767225600000LL;
    ermes_diag_clear(&d);
    if (p->open(&info, copy, size, &state, &d) != 0) {
        if (!d.reason[0])
            abort();
        free(copy);
        return;
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
        if (++calls > size + 16)
            abort();
        if (rc == 0 || rc == ERMES_ENOMEM)
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
            continue;
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes_diag_t d;

    if (size < 2)
        return 0;
    if (data[0] & 1) {
        ermes_diag_clear(&d);
        if (ermes__shadowserver_schema_check((const char *)data + 1, size - 1, &d) != 0 &&
            !d.reason[0])
            abort();
        return 0;
    }
    parse_report(names[data[1] % (sizeof(names) / sizeof(names[0]))], data + 2, size - 2);
    return 0;
}
