/* libFuzzer target for the MIME reader of mail in (src/mail/parse.c, over GMime): the input is
 * one message, as POST /api/v1/mail and `ermes mail receive` take it. Whatever the bytes, the
 * reader returns 0 or ERMES_EPARSE with a reason, within its limits (depth, parts, text: the
 * text kept is never more than max_text), and everything it returns is freed. Its text goes
 * through the observable extractor too, as an incident report's would. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/observables.h"
#include "mail/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__mail_limits_t lim = {8, 64, 64 << 10, 0};
    ermes__mail_parsed_t p;
    ermes__observables_t o;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__mail_parse_mem((const char *)data, size, "/nonexistent-gnupg-home", &lim, &p, &d);
    if (rc != 0 && rc != ERMES_EPARSE) {
        fprintf(stderr, "fuzz_mail_parse: unexpected error %d\n", rc);
        abort();
    }
    if (rc == ERMES_EPARSE && !d.reason[0]) {
        fprintf(stderr, "fuzz_mail_parse: a failure without a reason\n");
        abort();
    }
    if (p.text.len > lim.max_text || p.nparts > lim.max_parts + 1 || p.depth > lim.max_depth + 1) {
        fprintf(stderr, "fuzz_mail_parse: a limit was not kept\n");
        abort();
    }
    ermes__observables_init(&o, 100);
    if (p.text.len)
        ermes__observables_extract(&o, p.text.data, p.text.len, "body");
    if (p.subject)
        ermes__observables_extract(&o, p.subject, strlen(p.subject), "subject");
    ermes__observables_cleanup(&o);
    ermes__mail_parsed_cleanup(&p);
    return 0;
}
