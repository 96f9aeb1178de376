/* libFuzzer target for a report typed in (POST /api/v1/incident-reports, src/mail/submit.c):
 * the body is read as the API reads it, as staff when the first input byte is odd, else as a
 * constituent's user; an accepted report is written as the message it stands for, which is
 * parsed back with the mail reader (src/mail/parse.c) the way it is processed. Checks: a
 * refusal is ERMES_EINVAL or ERMES_ETOOBIG naming a member; the message written parses; its
 * subject reads back as given; each file comes back as a text attachment of its name. Anything
 * else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "mail/parse.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_incident_report_submit: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__mail_limits_t lim = {32, 500, 16u << 20, 0};
    ermes__submission_in_t in;
    ermes__mail_parsed_t p;
    ermes__strbuf_t b;
    ermes_diag_t d;
    json_error_t e;
    json_t *j;
    int rc;

    if (size < 1)
        return 0;
    if (!(j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &e)))
        return 0;
    ermes_diag_clear(&d);
    rc = ermes__submission_read(j, data[0] & 1, "fuzz-user", &in, &d);
    if (rc) {
        check(rc == ERMES_EINVAL || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM,
              "unexpected error code");
        check(rc == ERMES_ENOMEM || d.reason[0], "a refusal without a reason");
        goto out;
    }
    check(in.s.subject && *in.s.subject && in.s.body && in.s.reporter, "a report without text");
    ermes__strbuf_init(&b, 64u << 20);
    check(ermes__submission_write(&in.s, &b) == 0, "the message could not be written");
    ermes_diag_clear(&d);
    rc = ermes__mail_parse_mem(b.data, b.len, "/nonexistent-gnupg-home", &lim, &p, &d);
    check(rc == 0, "the message written does not parse");
    check(p.subject && !strcmp(p.subject, in.s.subject), "the subject does not read back");
    check(p.nattachments == in.s.nfiles, "a file went missing");
    for (size_t k = 0; k < p.nattachments; k++)
        check(p.attachments[k].text && !strcmp(p.attachments[k].name, in.s.files[k].name),
              "a file does not read back as text of its name");
    ermes__mail_parsed_cleanup(&p);
    ermes__strbuf_cleanup(&b);
out:
    ermes__submission_in_cleanup(&in);
    json_decref(j);
    return 0;
}
