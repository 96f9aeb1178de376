/* What the log reader targets share: a small matcher built once, then one log in the given
 * format read record by record (parse errors skipped, as ermes match does) and each record
 * scanned. Included by fuzz_eve.c and fuzz_zeek.c. */
#ifndef ERMES_FUZZ_LOG_READER_H
#define ERMES_FUZZ_LOG_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ermes/detect.h"

static int fuzz_log_reader(ermes_log_format_t format, const uint8_t *data, size_t size)
{
    static ermes_matcher_t *m;
    ermes_log_options_t opts = {0};
    ermes_log_reader_t *r;
    ermes_log_record_t rec;
    ermes_scanner_t *s;
    ermes_diag_t d;
    int rc;

    if (!m) {
        ermes_indicator_set_t *set;
        const char *ind = "evil.example\n10.0.0.0/8\n2001:db8::/32\n1.2.3.4\nhttp://x.example/a\n"
                          "44d88612fea8a8f36de82e1278abb02f\nboss@x.example\n";
        ermes_indicator_set_new(&set);
        ermes_indicator_set_load(set, ind, strlen(ind), ERMES_IND_FORMAT_LIST, NULL, NULL, NULL,
                                 NULL, &d);
        ermes_matcher_build(set, 0, &m);
        ermes_indicator_set_free(set);
    }
    opts.format = format;
    opts.max_line = 1 << 16;
    if (ermes_log_reader_open_mem((const char *)data, size, &opts, &r, &d))
        return 0;
    if (ermes_scanner_new(m, &s) == 0) {
        while ((rc = ermes_log_reader_next(r, &rec, &d)) != 0) {
            const ermes_hit_t *h;
            if (rc < 0 && rc != ERMES_EPARSE)
                break;
            if (rc > 0)
                ermes_scanner_scan(s, &rec, &h);
        }
        ermes_scanner_free(s);
    }
    ermes_log_reader_free(r);
    return 0;
}

#endif
