/* libFuzzer target for the JSON body of PUT /api/v1/organisations/{ref}/notification-preferences
 * (and `ermes org prefs`), read as the handler reads it after ermes__body_json (json_loadb with
 * JSON_REJECT_DUPLICATES): ermes__notify_prefs_read, then what the daemon does with accepted
 * preferences: the filter and the digest schedule (src/notify/prefs.c).
 * The first 8 input bytes are the clock (ms, any int64) and the digest clock is set from it;
 * the rest is the body. Not reached: the store.
 * Checks: a refusal is ERMES_EINVAL with a reason naming a field; what is accepted is within
 * the documented bounds (at most 64 entries of 1 to 127 bytes, no control character, no
 * entry twice; an hour 0-23, a weekday 0-6; a known frequency and attachment); the last due
 * time is at or before now and the next one after it, a day or a week apart; the JSON form
 * reads back as the same preferences; the audit detail of a change is JSON whose "changed"
 * pairs differ, and empty from the preferences to themselves. Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "notify/notify.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_notify_prefs: %s\n", what);
    abort();
}

static void list_ok(const char (*items)[ERMES_NOTIFY_PREFS_ITEM_MAX], size_t n)
{
    check(n <= ERMES_NOTIFY_PREFS_MAX_ITEMS, "too many entries");
    for (size_t k = 0; k < n; k++) {
        size_t len = strnlen(items[k], ERMES_NOTIFY_PREFS_ITEM_MAX);
        check(len > 0 && len < ERMES_NOTIFY_PREFS_ITEM_MAX, "an entry out of bounds");
        for (size_t i = 0; i < len; i++)
            check((unsigned char)items[k][i] >= 0x20 && items[k][i] != 0x7f, "a control character");
        for (size_t j = 0; j < k; j++)
            check(strcmp(items[j], items[k]) != 0, "an entry twice");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ermes__notify_prefs_t p, q;
    json_error_t err;
    json_t *body, *j;
    ermes_diag_t d;
    int64_t now = 0, due, last, next;
    int rc;

    if (size < 8)
        return 0;
    for (int k = 0; k < 8; k++)
        now = (int64_t)((uint64_t)now << 8 | data[k]);
    /* Times ermes can meet: 1970 to 9999 (the schedule's arithmetic stays far from overflow). */
    if (now < 0 || now > 253402300799999LL)
        now = (int64_t)((uint64_t)now % 253402300800000ULL);
    body = json_loadb((const char *)data + 8, size - 8, JSON_REJECT_DUPLICATES, &err);
    if (!body)
        return 0;
    memset(&p, 0, sizeof(p));
    p.digest_hour = 8;
    p.digest_weekday = 1;
    ermes_diag_clear(&d);
    rc = ermes__notify_prefs_read(body, &p, &d);
    json_decref(body);
    if (rc) {
        check(rc == ERMES_EINVAL, "unexpected error code");
        check(d.reason[0] != '\0', "a refusal without a reason");
        return 0;
    }
    list_ok((const char(*)[ERMES_NOTIFY_PREFS_ITEM_MAX])p.feeds, p.nfeeds);
    list_ok((const char(*)[ERMES_NOTIFY_PREFS_ITEM_MAX])p.classifications, p.nclassifications);
    check(p.digest_hour >= 0 && p.digest_hour <= 23, "an hour out of bounds");
    check(p.digest_weekday >= 0 && p.digest_weekday <= 6, "a weekday out of bounds");
    check(p.frequency <= ERMES_NOTIFY_WEEKLY && p.attachment <= ERMES_NOTIFY_ATTACH_XARF,
          "an unknown frequency or attachment");
    /* Every wanted classification is one: the first feed and classification pass the filter. */
    if (p.nfeeds && p.nclassifications)
        (void)ermes__notify_prefs_wants(&p, p.feeds[0], p.classifications[0]);
    check(ermes__notify_prefs_wants(&p, "not-a-listed-feed-\x01", "scanner") == !p.nfeeds ||
              p.nclassifications,
          "a feed not listed passed");
    p.digest_through = now / 2;
    last = ermes__notify_digest_last_due(&p, now);
    next = ermes__notify_digest_next(&p, now);
    if (p.frequency == ERMES_NOTIFY_IMMEDIATE) {
        check(last == 0 && next == 0 && !ermes__notify_digest_due(&p, now, &due),
              "a digest for immediate");
    } else {
        int64_t period = p.frequency == ERMES_NOTIFY_WEEKLY ? 7 * 86400000LL : 86400000LL;
        check(last <= now && last > now - period, "the last due time is not the latest");
        check(next - last == period, "the next due time is not one period on");
        check(((last % 86400000LL) + 86400000LL) % 86400000LL == p.digest_hour * 3600000LL,
              "a due time not at the hour");
        check(ermes__notify_digest_due(&p, now, &due) == (last > p.digest_through) && due == last,
              "due disagrees with the last due time");
    }
    /* The JSON form reads back as the same preferences. */
    j = ermes__notify_prefs_to_json(&p, now);
    check(j != NULL, "no JSON form");
    memset(&q, 0, sizeof(q));
    ermes_diag_clear(&d);
    check(ermes__notify_prefs_read(j, &q, &d) == 0, "the JSON form does not read back");
    json_decref(j);
    check(q.nfeeds == p.nfeeds && q.nclassifications == p.nclassifications &&
              q.frequency == p.frequency && q.attachment == p.attachment &&
              q.digest_hour == p.digest_hour && q.digest_weekday == p.digest_weekday,
          "the JSON form reads back otherwise");
    for (size_t k = 0; k < p.nfeeds; k++)
        check(strcmp(p.feeds[k], q.feeds[k]) == 0, "a feed reads back otherwise");
    for (size_t k = 0; k < p.nclassifications; k++)
        check(strcmp(p.classifications[k], q.classifications[k]) == 0,
              "a classification reads back otherwise");
    /* The audit's detail of the change from the defaults: JSON, each changed field a pair
     * [old, new] of different values, and nothing changed from p to itself. */
    {
        static ermes__notify_prefs_t def;
        char *detail;
        json_t *a, *changed, *v;
        const char *key;
        memset(&def, 0, sizeof(def));
        def.digest_hour = 8;
        def.digest_weekday = 1;
        detail = ermes__notify_prefs_audit_detail(&def, &p, now);
        check(detail != NULL, "no audit detail");
        a = json_loads(detail, 0, &err);
        ermes__free(detail);
        check(a != NULL, "the audit detail is not JSON");
        changed = json_object_get(a, "changed");
        check(json_is_object(changed), "no changed object");
        json_object_foreach(changed, key, v)
        {
            check(json_is_array(v) && json_array_size(v) == 2, "a change not [old, new]");
            check(!json_equal(json_array_get(v, 0), json_array_get(v, 1)), "an unchanged change");
        }
        json_decref(a);
        detail = ermes__notify_prefs_audit_detail(&p, &p, now);
        check(detail != NULL, "no audit detail");
        a = json_loads(detail, 0, &err);
        ermes__free(detail);
        check(a && json_object_size(json_object_get(a, "changed")) == 0, "a change from itself");
        json_decref(a);
    }
    return 0;
}
