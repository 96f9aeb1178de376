/* libFuzzer target for the JSON bodies of the review routes of notifications, read the way
 * the handlers read them after ermes__body_json (json_loadb with JSON_REJECT_DUPLICATES):
 *   0  PATCH /api/v1/notifications/{ref}: ermes__notification_edit_read;
 *   1  POST /api/v1/notifications/review: ermes__review_bulk_read;
 *   2  POST /api/v1/notification-policies: ermes__notify_policy_read.
 * The first input byte picks the route (modulo 3), the rest is the body. Not reached: what
 * needs the store (the notification's approval, an org's resolution).
 * Checks: a refusal is ERMES_EINVAL with a reason; what is accepted is within the documented
 * bounds (a subject is one line; recipients are addresses an SMTP envelope and a header can
 * carry; ids are positive and at most ERMES_REVIEW_BULK_MAX; a policy's strings are
 * terminated, its mode auto or review). Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/event.h"
#include "model/notification.h"
#include "notify/notify.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_http_notify_bodies: %s\n", what);
    abort();
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void refused(int rc, const ermes_diag_t *d)
{
    check(rc == ERMES_EINVAL, "unexpected error code");
    check(d->reason[0] != '\0', "a refusal without a reason");
    check(terminated(d->field, sizeof(d->field)) && terminated(d->reason, sizeof(d->reason)),
          "an unterminated diagnostic");
}

static void edit(const json_t *body)
{
    ermes__notification_edit_t e;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__notification_edit_read(body, &e, &d);
    if (rc) {
        refused(rc, &d);
        return;
    }
    check(e.subject || e.body || e.recipients, "an empty edit accepted");
    if (e.subject) {
        check(strlen(e.subject) <= ERMES_NOTIFICATION_SUBJECT_MAX, "a subject too long");
        check(!strchr(e.subject, '\r') && !strchr(e.subject, '\n'), "a subject of two lines");
    }
    if (e.body)
        check(strlen(e.body) <= ERMES_NOTIFICATION_BODY_MAX, "a body too long");
    for (size_t k = 0; e.recipients && k < json_array_size(e.recipients); k++) {
        const char *a = json_string_value(json_array_get(e.recipients, k));
        check(a && strchr(a, '@') && !strpbrk(a, " <>,;\r\n\""), "a recipient that is no address");
        check(strlen(a) <= ERMES_NOTIFICATION_ADDRESS_MAX, "a recipient too long");
    }
    check(!e.recipients || (json_array_size(e.recipients) >= 1 &&
                            json_array_size(e.recipients) <= ERMES_NOTIFICATION_RECIPIENTS_MAX),
          "recipients out of bounds");
}

static void bulk(const json_t *body)
{
    static int64_t ids[ERMES_REVIEW_BULK_MAX];
    ermes__review_action_t a;
    const char *org;
    ermes_diag_t d;
    size_t n;
    int all, rc;

    ermes_diag_clear(&d);
    rc = ermes__review_bulk_read(body, &a, ids, ERMES_REVIEW_BULK_MAX, &n, &all, &org, &d);
    if (rc) {
        refused(rc, &d);
        return;
    }
    check(a == ERMES_REVIEW_APPROVE || a == ERMES_REVIEW_HOLD || a == ERMES_REVIEW_CANCEL,
          "an unknown action");
    check(all ? n == 0 : (n >= 1 && n <= ERMES_REVIEW_BULK_MAX), "ids out of bounds");
    check(all || !org, "org without waiting");
    for (size_t k = 0; k < n; k++)
        check(ids[k] >= 1, "an id below 1");
}

static void policy(const json_t *body)
{
    ermes__notify_policy_t p;
    const char *org;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__notify_policy_read(body, &p, &org, &d);
    if (rc) {
        refused(rc, &d);
        return;
    }
    check(strcmp(p.mode, "auto") == 0 || strcmp(p.mode, "review") == 0, "a bad mode");
    check(terminated(p.feed, sizeof(p.feed)) && terminated(p.note, sizeof(p.note)) &&
              terminated(p.classification, sizeof(p.classification)),
          "an unterminated policy string");
    check(!p.classification[0] || ermes_taxonomy_valid(p.classification) ||
              ermes_taxonomy_of_type(p.classification),
          "a classification that is neither an RSIT class nor a type");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *body;

    if (size < 1)
        return 0;
    body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &err);
    if (!body)
        return 0;
    switch (data[0] % 3) {
    case 0:
        edit(body);
        break;
    case 1:
        bulk(body);
        break;
    default:
        policy(body);
        break;
    }
    json_decref(body);
    return 0;
}
