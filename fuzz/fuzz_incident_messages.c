/* libFuzzer target for the body of POST /api/v1/incidents/{id}/messages and `ermes incidents
 * write` (src/incidents/coordinate.c), read as ermes__incident_write reads it before it needs
 * the store. Checks: a refusal is ERMES_EINVAL with a reason; what is accepted has a subject of
 * one line within ERMES_INCIDENT_SUBJECT_MAX, a body within ERMES_INCIDENT_MESSAGE_MAX with no
 * control character but line ends and tabs, and exactly one way of saying whom. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incidents/incidents.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_incident_messages: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *subject, *text, *reply_to;
    const json_t *to;
    ermes_diag_t d;
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
    int rc, all;

    if (!j)
        return 0;
    ermes_diag_clear(&d);
    rc = ermes__incident_message_read(j, &subject, &text, &to, &all, &reply_to, &d);
    if (rc) {
        check(rc == ERMES_EINVAL, "unexpected error code");
        check(d.reason[0] != '\0', "a refusal without a reason");
    } else {
        size_t n = strlen(subject);
        check(n > 0 && n <= ERMES_INCIDENT_SUBJECT_MAX, "subject length");
        for (size_t k = 0; k < n; k++)
            check((unsigned char)subject[k] >= 0x20 && subject[k] != 0x7f, "subject control");
        n = strlen(text);
        check(n > 0 && n <= ERMES_INCIDENT_MESSAGE_MAX, "body length");
        for (size_t k = 0; k < n; k++)
            check((unsigned char)text[k] >= 0x20 || text[k] == '\n' || text[k] == '\r' ||
                      text[k] == '\t',
                  "body control");
        check((to != NULL) + (all != 0) + (reply_to != NULL) == 1, "whom");
        check(!to || (json_array_size(to) >= 1 && json_array_size(to) <= 64), "to size");
    }
    json_decref(j);
    return 0;
}
