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
#include "incidents/incidents.h"

static json_t *calendar_json(const char *org, const ermes__calendar_row_t *c, int64_t updated_at)
{
    json_t *days = json_array(), *holidays = json_array(), *j;
    char hours[16], at[ERMES_TIME_STRLEN];

    for (int i = 0; i < 7; i++)
        if (c->days & (1 << i))
            json_array_append_new(days, json_string(ermes__calendar_day_names[i]));
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
    if (ermes__calendar_body_read(body, row, &d)) {
        ermes__diag_utf8(&d);
        ret = ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
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
