/* libFuzzer target for the incident rules (src/incidents/rules.c), read the way
 * /api/v1/incident-rules and `ermes incidents rules` read them:
 *   0  POST: ermes__incident_rule_read of a whole body;
 *   1  PUT: the same as a partial change of a valid rule;
 *   2  the subject match: the body is "PATTERN\0SUBJECT" (a glob or a substring).
 * The first input byte picks which (modulo 3), the rest is the body. Checks: a refusal is
 * ERMES_EINVAL naming a member; an accepted rule holds a known condition and action with the
 * parameter it needs, and turns into JSON. Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incidents/rules.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_incident_rules: %s\n", what);
    abort();
}

static void body(const uint8_t *data, size_t size, int partial)
{
    ermes__incident_rule_t r;
    ermes_diag_t d;
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e), *out;
    int rc;

    if (!j)
        return;
    memset(&r, 0, sizeof(r));
    if (partial) {
        snprintf(r.name, sizeof(r.name), "seed");
        snprintf(r.condition, sizeof(r.condition), "shared_observable");
        snprintf(r.action, sizeof(r.action), "link");
        snprintf(r.severity, sizeof(r.severity), "medium");
        r.days = 14;
        r.enabled = 1;
    }
    ermes_diag_clear(&d);
    rc = ermes__incident_rule_read(j, partial, &r, &d);
    if (rc) {
        check(rc == ERMES_EINVAL, "unexpected error code");
        check(d.reason[0] != 0, "a refusal without a reason");
    } else {
        check(r.name[0] != 0, "a rule without a name");
        check(strcmp(r.condition, "subject_pattern") != 0 || r.pattern[0], "pattern missing");
        check(strcmp(r.condition, "same_constituent_class") != 0 || (r.hours && r.rsit_class[0]),
              "hours or class missing");
        check(strcmp(r.action, "open") != 0 || r.open_class[0], "open_class missing");
        check(r.days >= 0 && r.days <= 3650 && r.hours >= 0 && r.hours <= 87600,
              "a number out of bounds");
        out = ermes__incident_rule_to_json(&r);
        check(out != NULL, "no JSON for an accepted rule");
        json_decref(out);
    }
    json_decref(j);
}

static void subject(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2);
    size_t k;

    if (!buf)
        return;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = 0;
    for (k = 0; k < size && buf[k]; k++)
        ;
    (void)ermes__incident_rule_subject_match(buf, buf + (k < size ? k + 1 : size));
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    switch (data[0] % 3) {
    case 0:
        body(data + 1, size - 1, 0);
        break;
    case 1:
        body(data + 1, size - 1, 1);
        break;
    default:
        subject(data + 1, size - 1);
        break;
    }
    return 0;
}
