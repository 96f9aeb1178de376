/* Zone-H defacement reports (CSV with a header; accepted and pending lists). Mapping as in
 * IntelMQ's zoneh parser: the "domain" column is the defaced URL. */
#include "intake/parsers/feedparse.h"

#include <string.h>

#include "core/alloc.h"

/* Columns kept in extra as text. */
static const char *const extras[][2] = {
    {"accept_date", "accepted_date"},  {"attacker", "actor"},
    {"web_server", "http_target"},     {"system", "os.name"},
    {"hackmode", "compromise_method"}, {"defacement_id", "zoneh_report_id"},
};

typedef struct zoneh {
    ermes_csv_t *csv;
    ermes__fp_feed_t feed;
    ermes__fp_header_t header;
    long col_extra[sizeof(extras) / sizeof(extras[0])];
    long col_domain, col_ip, col_cc, col_added;
} zoneh_t;

static void zoneh_close(void *state)
{
    zoneh_t *s = state;
    if (!s)
        return;
    ermes_csv_free(s->csv);
    ermes__fp_header_cleanup(&s->header);
    ermes__free(s);
}

static int zoneh_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                      ermes_diag_t *d)
{
    zoneh_t *s = ermes__calloc(1, sizeof(*s));
    ermes_csv_record_t rec;
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    if ((rc = ermes__fp_feed_init(&s->feed, info, NULL, NULL, d)) ||
        (rc = ermes_csv_new_mem(data, len, NULL, &s->csv)))
        goto out;
    if ((rc = ermes_csv_next(s->csv, &rec, d)) != 1) {
        if (rc == 0)
            ermes_diag_set(d, NULL, "empty report: no CSV header");
        rc = rc == 0 ? ERMES_EPARSE : rc;
        goto out;
    }
    if ((rc = ermes__fp_header_init(&s->header, &rec)))
        goto out;
    s->col_domain = ermes__fp_header_find(&s->header, "domain");
    s->col_ip = ermes__fp_header_find(&s->header, "ip_address");
    s->col_cc = ermes__fp_header_find(&s->header, "country_code");
    s->col_added = ermes__fp_header_find(&s->header, "add_date");
    if (s->col_domain < 0 || s->col_added < 0) {
        ermes_diag_set(d, NULL, "not a Zone-H report: no \"domain\" and \"add_date\" columns");
        rc = ERMES_EPARSE;
        goto out;
    }
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
        s->col_extra[i] = ermes__fp_header_find(&s->header, extras[i][0]);
    *state = s;
    return 0;
out:
    zoneh_close(s);
    return rc;
}

static int zoneh_row(zoneh_t *s, const ermes_csv_record_t *rec, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t url = ermes__fp_trim(ermes__fp_column(rec, s->col_domain));
    ermes__fp_str_t scheme = {url.p, 0}, host = {url.p, 0};
    long sep = ermes__fp_find(url, "://");
    int rc;

    /* scheme://host[:port]/path: the scheme is the protocol, the host the FQDN. */
    if (sep > 0) {
        scheme.len = (size_t)sep;
        host.p = url.p + sep + 3;
        while (host.p + host.len < url.p + url.len && !strchr("/?#", host.p[host.len]))
            host.len++;
    }
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE,
                             "unauthorised-information-modification", d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "compromised-website", d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, "defacement", d)) ||
        (rc =
             ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, ermes__fp_column(rec, s->col_added), d)) ||
        (rc = ermes__fp_set(ev, ERMES_F_PROTOCOL_APPLICATION, scheme, d)))
        return rc;
    ermes__fp_try(ev, ERMES_F_SOURCE_IP, ermes__fp_column(rec, s->col_ip));
    ermes__fp_try(ev, ERMES_F_SOURCE_FQDN, host);
    ermes__fp_try(ev, ERMES_F_SOURCE_GEOLOCATION_CC, ermes__fp_column(rec, s->col_cc));
    ermes__fp_try(ev, ERMES_F_SOURCE_URL, url);
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
        if ((rc = ermes__fp_extra(ev, extras[i][1], ermes__fp_column(rec, s->col_extra[i]),
                                  ERMES_EXTRA_STRING, d)))
            return rc;
    return 0;
}

static int zoneh_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    zoneh_t *s = state;
    ermes_csv_record_t rec;
    int rc = ermes_csv_next(s->csv, &rec, d);

    if (rc == 0)
        return 0;
    row->line = rec.line;
    row->raw = rec.raw;
    row->raw_len = rec.raw_len;
    row->has_offset = 1;
    row->offset = rec.offset;
    d->line = rec.line;
    if (rc < 0)
        return rc;
    rc = zoneh_row(s, &rec, ev, d);
    return rc ? rc : 1;
}

const ermes__parser_def_t ermes__parser_zoneh = {"zoneh", "Zone-H defacement reports (CSV)",
                                                 zoneh_open, zoneh_next, zoneh_close};
