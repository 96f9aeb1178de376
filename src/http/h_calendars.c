/* /api/v1/calendars: the business hours the SLA clocks count in (src/incidents/clock.c): the
 * default calendar and a constituent's own, with working days, hours, offset from UTC and
 * holidays. Staff read them; an administrator sets one; every change audited.
 * `ermes incidents calendar` does the same from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "http/http.h"
#include "incidents/clock.h"

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static json_t *calendar_json(const char *org, const ermes__calendar_row_t *c, int64_t updated_at)
{
    json_t *days = json_array(), *holidays = json_array(), *j;
    char hours[16], at[ERMES_TIME_STRLEN];

    for (int i = 0; i < 7; i++)
        if (c->days & (1 << i))
            json_array_append_new(days, json_string(day_names[i]));
    for (const char *p = c->holidays; *p;) {
        size_t n = strcspn(p, ",");
        if (n)
            json_array_append_new(holidays, json_stringn(p, n));
        p += n;
        p += *p == ',';
    }
    snprintf(hours, sizeof(hours), "%02d:%02d-%02d:%02d", (int)(c->start_minute / 60 % 100),
             (int)(c->start_minute % 60), (int)(c->end_minute / 60 % 100),
             (int)(c->end_minute % 60));
    if (updated_at)
        ermes__time_format(updated_at, at);
    j = json_pack("{s:s?,s:o,s:s,s:I,s:o,s:s?}", "organisation", org && *org ? org : NULL, "days",
                  days, "hours", hours, "utc_offset_minutes", (json_int_t)c->utc_offset_minutes,
                  "holidays", holidays, "updated_at", updated_at ? at : NULL);
    return j;
}

static int list_cb(void *ctx, const ermes__calendar_entry_t *e)
{
    json_t *j = calendar_json(e->org, &e->row, e->updated_at);

    return j && json_array_append_new(ctx, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_calendar_list(ermes__req_t *req)
{
    json_t *data = json_array();
    int rc;

    if (!data)
        return MHD_NO;
    if ((rc = ermes__store_calendar_each(req->srv->store, list_cb, data))) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}

/* "HH:MM" (00:00 to 24:00) at p into minutes; -1 when it is not one. */
static int hhmm(const char *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] != ':' || p[3] < '0' ||
        p[3] > '5' || p[4] < '0' || p[4] > '9')
        return -1;
    int h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[3] - '0') * 10 + (p[4] - '0');
    return h > 24 || (h == 24 && m) ? -1 : h * 60 + m;
}

/* The members of body over row (what is not given stays); 0 or ERMES_EINVAL with d. */
static int read_body(const json_t *body, ermes__calendar_row_t *row, ermes_diag_t *d)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "days") == 0) {
            size_t i;
            json_t *x;
            row->days = 0;
            if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 7) {
                ermes_diag_set(d, "days", "a list of days: mon, tue, wed, thu, fri, sat, sun");
                return ERMES_EINVAL;
            }
            json_array_foreach(v, i, x)
            {
                int k = 0;
                while (k < 7 &&
                       !(json_is_string(x) && strcmp(json_string_value(x), day_names[k]) == 0))
                    k++;
                if (k == 7) {
                    ermes_diag_set(d, "days", "a list of days: mon, tue, wed, thu, fri, sat, sun");
                    return ERMES_EINVAL;
                }
                row->days |= 1 << k;
            }
        } else if (strcmp(key, "hours") == 0) {
            const char *s = json_string_value(v);
            int a, b;
            if (!s || strlen(s) != 11 || s[5] != '-' || (a = hhmm(s)) < 0 ||
                (b = hhmm(s + 6)) < 0 || a >= b) {
                ermes_diag_set(d, "hours", "HH:MM-HH:MM, the start before the end (00:00-24:00)");
                return ERMES_EINVAL;
            }
            row->start_minute = a;
            row->end_minute = b;
        } else if (strcmp(key, "utc_offset_minutes") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < -14 * 60 ||
                json_integer_value(v) > 14 * 60) {
                ermes_diag_set(d, "utc_offset_minutes", "whole minutes from -840 to 840");
                return ERMES_EINVAL;
            }
            row->utc_offset_minutes = (int64_t)json_integer_value(v);
        } else if (strcmp(key, "holidays") == 0) {
            ermes__strbuf_t b;
            size_t i;
            json_t *x;
            int rc = 0;
            if (!json_is_array(v) || json_array_size(v) > ERMES_CLOCK_MAX_HOLIDAYS) {
                ermes_diag_set(d, "holidays", "a list of at most %d dates YYYY-MM-DD",
                               ERMES_CLOCK_MAX_HOLIDAYS);
                return ERMES_EINVAL;
            }
            ermes__strbuf_init(&b, sizeof(row->holidays) - 1);
            json_array_foreach(v, i, x)
            {
                const char *s = json_string_value(x);
                if (!s || strlen(s) != 10 || strchr(s, ',')) {
                    rc = ERMES_EINVAL;
                    break;
                }
                if ((rc = ermes__strbuf_addf(&b, "%s%s", i ? "," : "", s)))
                    break;
            }
            if (!rc)
                snprintf(row->holidays, sizeof(row->holidays), "%s", b.data ? b.data : "");
            ermes__strbuf_cleanup(&b);
            if (rc) {
                ermes_diag_set(d, "holidays", "a list of at most %d dates YYYY-MM-DD",
                               ERMES_CLOCK_MAX_HOLIDAYS);
                return ERMES_EINVAL;
            }
        } else {
            ermes_diag_set(d, NULL,
                           "unknown member (one of days, hours, utc_offset_minutes, holidays)");
            return ERMES_EINVAL;
        }
    }
    return 0;
}

enum MHD_Result ermes__h_calendar_put(ermes__req_t *req)
{
    ermes__calendar_row_t *row = NULL;
    ermes__calendar_t *cal = NULL;
    enum MHD_Result ret;
    char name[256], ref[32];
    json_t *body = NULL;
    int64_t org_id = 0;
    ermes_diag_t d;
    int rc;

    if (ermes__param(req, 0, name, sizeof(name)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such organisation");
    if (strcmp(name, "default") &&
        ermes__store_org_resolve(req->srv->store, &req->viewer, name, &org_id))
        return ermes__reply_error(req, 404, "not_found", NULL,
                                  "no such organisation (or \"default\")");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    row = calloc(1, sizeof(*row));
    cal = calloc(1, sizeof(*cal));
    if (!row || !cal) {
        ret = MHD_NO;
        goto out;
    }
    /* What is not given stays as it was: the constituent's own, else the default. */
    if ((rc = ermes__store_calendar_get(req->srv->store, org_id, row))) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    ermes_diag_clear(&d);
    if (!json_is_object(body) || read_body(body, row, &d)) {
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s",
                                 d.reason[0] ? d.reason : "a JSON object");
        goto out;
    }
    ermes__calendar_always(cal);
    cal->days = (unsigned)row->days;
    cal->start_minute = (int)row->start_minute;
    cal->end_minute = (int)row->end_minute;
    cal->utc_offset_minutes = (int)row->utc_offset_minutes;
    ermes_diag_clear(&d);
    if (ermes__calendar_holidays(cal, row->holidays, &d) || ermes__calendar_check(cal, &d)) {
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : "holidays", "%s",
                                 d.reason);
        goto out;
    }
    if ((rc = ermes__store_calendar_put(req->srv->store, org_id, row))) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    snprintf(ref, sizeof(ref), "%lld", (long long)org_id);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "calendar", ref, NULL);
    ret =
        ermes__reply_json(req, 200, calendar_json(org_id ? name : NULL, row, ermes__time_now_ms()));
out:
    free(row);
    free(cal);
    json_decref(body);
    return ret;
}
