/* libFuzzer target: the zeek log reader (src/detect/readers/) and the scanner on its records. */
#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
        ermes_indicator_set_load(set, ind, 110, ERMES_IND_FORMAT_LIST, NULL, NULL, NULL, NULL, &d);
        ermes_matcher_build(set, 0, &m);
        ermes_indicator_set_free(set);
    }
    opts.format = ERMES_LOG_ZEEK;
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
