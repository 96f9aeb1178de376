/* The bodies of PUT /api/v1/sla-policies/{severity} and PUT /api/v1/calendars/{ref}
 * (src/http/h_sla_policies.c, h_calendars.c), read apart from the handlers so that
 * fuzz/fuzz_incident_bodies.c reaches them. */
#include "incidents/incidents.h"

#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"

const char *const ermes__calendar_day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* A whole number of minutes in 1..ERMES_SLA_MAX_MINUTES from member name of body. */
static int minutes(const json_t *body, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(body, name);

    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > ERMES_SLA_MAX_MINUTES)
        return ERMES_EINVAL;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int ermes__sla_policy_body_read(const json_t *body, ermes__sla_policy_t *p, ermes_diag_t *d)
{
    static const char *const members[] = {"response_minutes", "containment_minutes",
                                          "resolution_minutes", "business_hours"};
    const json_t *bh;
    const char *key;
    json_t *v;

    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        size_t k = 0;
        while (k < 4 && strcmp(key, members[k]))
            k++;
        if (k == 4) {
            ermes_diag_set(d, NULL, "unknown member (one of %s, %s, %s, %s)", members[0],
                           members[1], members[2], members[3]);
            return ERMES_EINVAL;
        }
    }
    for (size_t k = 0; k < 3; k++) {
        int64_t *dst = k == 0   ? &p->response_min
                       : k == 1 ? &p->containment_min
                                : &p->resolution_min;
        if (minutes(body, members[k], dst)) {
            ermes_diag_set(d, members[k], "a whole number of minutes from 1 to %d",
                           ERMES_SLA_MAX_MINUTES);
            return ERMES_EINVAL;
        }
    }
    if (p->response_min > p->resolution_min || p->containment_min > p->resolution_min) {
        ermes_diag_set(d, "resolution_minutes",
                       "resolution comes after the response and the containment");
        return ERMES_EINVAL;
    }
    bh = json_object_get(body, "business_hours");
    if (bh && !json_is_boolean(bh)) {
        ermes_diag_set(d, "business_hours", "true or false");
        return ERMES_EINVAL;
    }
    p->business_hours = json_is_true(bh);
    return 0;
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

int ermes__calendar_body_read(const json_t *body, ermes__calendar_row_t *row, ermes_diag_t *d)
{
    const char *key;
    json_t *v;

    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "a JSON object");
        return ERMES_EINVAL;
    }

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
                while (k < 7 && !(json_is_string(x) &&
                                  strcmp(json_string_value(x), ermes__calendar_day_names[k]) == 0))
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
