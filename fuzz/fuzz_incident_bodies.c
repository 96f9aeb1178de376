/* libFuzzer target for the incident JSON bodies, read the way the handlers and the CLI read
 * them (src/model/incident.c, src/incidents/):
 *   0  POST /api/v1/incidents: ermes__incident_body_read, then the RSIT check of what it gave;
 *   1  PATCH /api/v1/incidents/{id}: the same as a partial update;
 *   2  the pauses of the SLA clocks as the store keeps them (ermes__pauses_parse), and a due
 *      time computed over them;
 *   3  a calendar's holidays (ermes__calendar_holidays) and the business time of a week;
 *   4  PUT /api/v1/sla-policies/{severity}: ermes__sla_policy_body_read;
 *   5  PUT /api/v1/calendars/{ref}: ermes__calendar_body_read over the default calendar, then
 *      the checks the handler makes and the business time of a week by what was accepted.
 * The first input byte picks which (modulo 6), the rest is the body. Not reached: what needs
 * the store (assignee, organisations, links, triage). Checks: a refusal is ERMES_EINVAL with
 * a reason; what is accepted is within the documented bounds. Anything else aborts. */
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
    fprintf(stderr, "fuzz_incident_bodies: %s\n", what);
    abort();
}

static void body(const uint8_t *data, size_t size, int partial)
{
    ermes__incident_input_t in;
    ermes_diag_t d;
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
    int rc;

    if (!j)
        return;
    ermes_diag_clear(&d);
    rc = ermes__incident_body_read(j, partial, &in, &d);
    if (rc) {
        check(rc == ERMES_EINVAL, "unexpected error code");
        check(d.reason[0] != '\0', "a refusal without a reason");
    } else {
        check(!in.title || (strlen(in.title) <= ERMES_INCIDENT_TITLE_MAX && in.title[0]),
              "title out of bounds");
        check(!in.description || strlen(in.description) <= ERMES_INCIDENT_TEXT_MAX,
              "description too long");
        check(!in.severity || ermes__incident_severity_valid(in.severity), "bad severity");
        check(!in.status || ermes__incident_status_valid(in.status), "bad status");
        check(!in.pap || ermes__incident_pap_valid(in.pap), "bad pap");
        check(partial || in.title || in.template_name, "a new incident without a title");
        ermes_diag_clear(&d);
        rc = ermes__rsit_check(in.rsit_class, in.rsit_type, &d);
        check(rc == 0 || (rc == ERMES_EINVAL && d.reason[0]), "RSIT check");
    }
    json_decref(j);
}

static void sla_body(const uint8_t *data, size_t size)
{
    ermes__sla_policy_t p;
    ermes_diag_t d;
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
    int rc;

    if (!j)
        return;
    ermes_diag_clear(&d);
    rc = ermes__sla_policy_body_read(j, &p, &d);
    if (rc) {
        check(rc == ERMES_EINVAL && d.reason[0], "SLA policy refusal");
    } else {
        check(p.response_min >= 1 && p.containment_min >= 1 &&
                  p.resolution_min <= ERMES_SLA_MAX_MINUTES,
              "SLA targets out of bounds");
        check(p.response_min <= p.resolution_min && p.containment_min <= p.resolution_min,
              "resolution before response or containment");
    }
    json_decref(j);
}

static void calendar_body(const uint8_t *data, size_t size)
{
    ermes__calendar_row_t *row = calloc(1, sizeof(*row));
    ermes__calendar_t *cal = calloc(1, sizeof(*cal));
    ermes_diag_t d;
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
    int rc;

    if (!j || !row || !cal)
        goto out;
    row->days = 31;
    row->start_minute = 540;
    row->end_minute = 1020;
    ermes_diag_clear(&d);
    rc = ermes__calendar_body_read(j, row, &d);
    if (rc) {
        check(rc == ERMES_EINVAL && d.reason[0], "calendar refusal");
        goto out;
    }
    check(row->days >= 1 && row->days <= 0x7f, "days out of bounds");
    check(row->start_minute >= 0 && row->start_minute < row->end_minute && row->end_minute <= 1440,
          "hours out of bounds");
    check(row->utc_offset_minutes >= -840 && row->utc_offset_minutes <= 840, "offset");
    check(strlen(row->holidays) < sizeof(row->holidays), "holidays overflow");
    ermes__calendar_always(cal);
    cal->days = (unsigned)row->days;
    cal->start_minute = (int)row->start_minute;
    cal->end_minute = (int)row->end_minute;
    cal->utc_offset_minutes = (int)row->utc_offset_minutes;
    ermes_diag_clear(&d);
    if (ermes__calendar_holidays(cal, row->holidays, &d) == 0 &&
        ermes__calendar_check(cal, &d) == 0)
        check(ermes__clock_elapsed(cal, 0, (int64_t)7 * 86400 * 1000, NULL, 0) <=
                  (int64_t)7 * 86400 * 1000,
              "more than a week of work in a week");
out:
    json_decref(j);
    free(row);
    free(cal);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1)
        return 0;
    switch (data[0] % 6) {
    case 0:
        body(data + 1, size - 1, 0);
        break;
    case 1:
        body(data + 1, size - 1, 1);
        break;
    case 4:
        sla_body(data + 1, size - 1);
        break;
    case 5:
        calendar_body(data + 1, size - 1);
        break;
    case 2: {
        ermes__span_t p[ERMES_CLOCK_MAX_PAUSES];
        ermes__calendar_t cal;
        size_t n;
        if (!(text = malloc(size)))
            return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        n = ermes__pauses_parse(text, p, ERMES_CLOCK_MAX_PAUSES);
        check(n <= ERMES_CLOCK_MAX_PAUSES, "too many pauses");
        ermes__calendar_always(&cal);
        int64_t due = ermes__clock_due(&cal, 1000, 3600 * 1000, p, n);
        check(due == 0 || due >= 1000 + 3600 * 1000, "due before its budget");
        free(text);
        break;
    }
    case 3:
    default: {
        ermes__calendar_t cal;
        ermes_diag_t d;
        int rc;
        if (!(text = malloc(size)))
            return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        ermes__calendar_always(&cal);
        cal.days = 0x1f;
        cal.start_minute = 540;
        cal.end_minute = 1020;
        ermes_diag_clear(&d);
        rc = ermes__calendar_holidays(&cal, text, &d);
        check(rc == 0 || ((rc == ERMES_EPARSE || rc == ERMES_ETOOBIG) && d.reason[0]),
              "holidays refusal");
        check(cal.nholidays <= ERMES_CLOCK_MAX_HOLIDAYS, "too many holidays");
        check(ermes__clock_elapsed(&cal, 0, (int64_t)7 * 86400 * 1000, NULL, 0) <=
                  (int64_t)5 * 8 * 3600 * 1000,
              "more than a working week in a week");
        free(text);
        break;
    }
    }
    return 0;
}
