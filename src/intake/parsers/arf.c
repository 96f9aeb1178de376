/* ARF abuse reports (RFC 5965): the machine-readable part of one, message/feedback-report,
 * as src/mail/ hands it over (a report of feed "arf"): "Name: value" lines (section 3.1).
 * One report is one event: Source-IP (section 3.2) becomes source.ip, Arrival-Date
 * time.source, Reported-Domain source.fqdn, Reported-URI source.url, and Feedback-Type
 * (abuse, fraud, virus, ...) the RSIT type. */
#include "intake/parsers/feedparse.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "mail/parse.h"

typedef struct arf {
    ermes__fp_feed_t feed;
    const char *data;
    size_t len;
    int done;
} arf_t;

static int arf_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                    ermes_diag_t *d)
{
    arf_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    if ((rc = ermes__fp_feed_init(&s->feed, info, "ARF", NULL, d))) {
        ermes__free(s);
        return rc;
    }
    s->data = data;
    s->len = len;
    *state = s;
    return 0;
}

static void arf_close(void *state)
{
    ermes__free(state);
}

/* RFC 5965 section 7.3's feedback types and RSIT's. */
static const char *type_of(ermes__fp_str_t t)
{
    if (ermes__fp_eq(t, "abuse") || ermes__fp_eq(t, "not-spam"))
        return "spam";
    if (ermes__fp_eq(t, "fraud"))
        return "phishing";
    if (ermes__fp_eq(t, "virus"))
        return "malware-distribution";
    return "undetermined";
}

/* Arrival-Date is an RFC 5322 date ("Thu, 8 Mar 2026 14:00:00 EDT", section 3.3, with its
 * obsolete zone names): GMime reads those; the feeds' own formats are the fallback. */
static int set_date(ermes_event_t *ev, ermes__fp_str_t date, ermes_diag_t *d)
{
    char text[128], iso[64];
    GDateTime *dt;

    if (date.len >= sizeof(text))
        return ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, date, d);
    memcpy(text, date.p, date.len);
    text[date.len] = '\0';
    ermes__mail_init();
    if (!(dt = g_mime_utils_header_decode_date(text)))
        return ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, date, d);
    snprintf(iso, sizeof(iso), "%lld", (long long)g_date_time_to_unix(dt));
    g_date_time_unref(dt);
    return ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, (ermes__fp_str_t){iso, strlen(iso)}, d);
}

static int arf_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    arf_t *s = state;
    ermes__fp_lines_t lines;
    ermes__fp_str_t line, ip = {NULL, 0}, date = {NULL, 0}, type = {NULL, 0}, dom = {NULL, 0},
                          uri = {NULL, 0}, agent = {NULL, 0};
    int rc;

    if (s->done)
        return 0;
    s->done = 1;
    ermes__fp_row(row, d, 1, (ermes__fp_str_t){s->data, s->len});
    ermes__fp_lines_init(&lines, s->data, s->len);
    while (ermes__fp_lines_next(&lines, &line)) {
        const char *colon = memchr(line.p, ':', line.len);
        ermes__fp_str_t name, value;
        if (!colon)
            continue;
        name = ermes__fp_trim((ermes__fp_str_t){line.p, (size_t)(colon - line.p)});
        value =
            ermes__fp_trim((ermes__fp_str_t){colon + 1, line.len - (size_t)(colon - line.p) - 1});
#define IS(n) (name.len == strlen(n) && strncasecmp(name.p, n, name.len) == 0)
        if (IS("Source-IP") && !ip.p)
            ip = value;
        else if (IS("Arrival-Date") && !date.p)
            date = value;
        else if (IS("Feedback-Type") && !type.p)
            type = value;
        else if (IS("Reported-Domain") && !dom.p)
            dom = value;
        else if (IS("Reported-URI") && !uri.p)
            uri = value;
        else if (IS("User-Agent") && !agent.p)
            agent = value;
#undef IS
    }
    if (!type.p)
        return ermes__fp_reject(d, "no Feedback-Type: not an RFC 5965 feedback report");
    if (!ip.p && !dom.p && !uri.p)
        return ermes__fp_reject(d,
                                "the report names no Source-IP, Reported-Domain or Reported-URI");
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (ip.p && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, ip, d))) ||
        (dom.p && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_FQDN, dom, d))) ||
        (uri.p && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_URL, uri, d))) ||
        (date.p && (rc = set_date(ev, date, d))) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, type_of(type), d)) ||
        (rc = ermes__fp_extra(ev, "feedback_type", type, ERMES_EXTRA_STRING, d)) ||
        (agent.p && (rc = ermes__fp_extra(ev, "reporter", agent, ERMES_EXTRA_STRING, d))))
        return rc;
    return 1;
}

const ermes__parser_def_t ermes__parser_arf = {
    "arf", "ARF abuse report (RFC 5965 message/feedback-report; from mail in)", arf_open, arf_next,
    arf_close};
