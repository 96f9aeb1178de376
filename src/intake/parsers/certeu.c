/* CERT-EU's CSV feed (42 named columns). Mapping as in IntelMQ's cert_eu parser_csv.py (3.x):
 * CERT-EU's own type names become RSIT types, its observation time goes to extra, and the
 * row's confidence level scales the feed's accuracy. */
#include "intake/parsers/feedparse.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

static const char *const type_map[][2] = {
    {"backdoor", "system-compromise"},
    {"blacklist", "blacklist"},
    {"botnet drone", "infected-system"},
    {"brute-force", "brute-force"},
    {"c2server", "c2-server"},
    {"compromised server", "system-compromise"},
    {"ddos infrastructure", "ddos"},
    {"ddos target", "ddos"},
    {"defacement", "unauthorised-information-modification"},
    {"dropzone", "other"},
    {"exploit url", "exploit"},
    {"ids alert", "ids-alert"},
    {"malware-configuration", "malware-configuration"},
    {"malware url", "malware-distribution"},
    {"phishing", "phishing"},
    {"ransomware", "infected-system"},
    {"scanner", "scanner"},
    {"spam infrastructure", "spam"},
    {"test", "test"},
    {"vulnerable service", "vulnerable-system"},
};

/* Columns whose meaning is unknown: a row that fills one is refused, as IntelMQ does. */
static const char *const unknown_columns[] = {"threat type", "ns1", "ns2", "response", "recent"};

/* Columns copied as they are. */
static const struct {
    const char *column;
    ermes_field_t field;
} direct[] = {
    {"source ip", ERMES_F_SOURCE_IP},
    {"source bgp prefix", ERMES_F_SOURCE_NETWORK},
    {"tlp", ERMES_F_TLP},
    {"description", ERMES_F_EVENT_DESCRIPTION_TEXT},
    {"source country", ERMES_F_SOURCE_GEOLOCATION_COUNTRY},
    {"protocol", ERMES_F_PROTOCOL_APPLICATION},
    {"destination port", ERMES_F_DESTINATION_PORT},
    {"source latitude", ERMES_F_SOURCE_GEOLOCATION_LATITUDE},
    {"source city", ERMES_F_SOURCE_GEOLOCATION_CITY},
    {"source cc", ERMES_F_SOURCE_GEOLOCATION_GEOIP_CC},
    {"source longitude", ERMES_F_SOURCE_GEOLOCATION_LONGITUDE},
    {"status", ERMES_F_STATUS},
    {"target", ERMES_F_EVENT_DESCRIPTION_TARGET},
    {"url", ERMES_F_SOURCE_URL},
    {"abuse contact", ERMES_F_SOURCE_ABUSE_CONTACT},
    {"source asn", ERMES_F_SOURCE_ASN},
    {"source as name", ERMES_F_SOURCE_AS_NAME},
    {"domain name", ERMES_F_SOURCE_FQDN},
};

/* Columns kept in extra as text. */
static const char *const extras[][2] = {
    {"feed code", "datasource"},
    {"source geohash", "source.geolocation.geohash"},
    {"first seen", "first_seen"},
    {"last seen", "last_seen"},
    {"expiration date", "expiration_date"},
};

typedef struct certeu {
    ermes_csv_t *csv;
    ermes__fp_feed_t feed;
    ermes__fp_header_t header;
    double accuracy;
    long col_direct[sizeof(direct) / sizeof(direct[0])];
    long col_extra[sizeof(extras) / sizeof(extras[0])];
    long col_unknown[sizeof(unknown_columns) / sizeof(unknown_columns[0])];
    long col_version, col_type, col_count, col_time, col_observation, col_confidence;
} certeu_t;

static void certeu_close(void *state)
{
    certeu_t *s = state;
    if (!s)
        return;
    ermes_csv_free(s->csv);
    ermes__fp_header_cleanup(&s->header);
    ermes__free(s);
}

static int certeu_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                       ermes_diag_t *d)
{
    certeu_t *s = ermes__calloc(1, sizeof(*s));
    ermes_csv_record_t rec;
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    if ((rc = ermes__fp_feed_init(&s->feed, info, "CERT-EU Feed", "https://www.cert-eu.eu", d)) ||
        (rc = ermes_csv_new_mem(data, len, NULL, &s->csv)))
        goto out;
    s->accuracy = s->feed.accuracy >= 0 ? s->feed.accuracy : 100;
    s->feed.accuracy = -1;
    if ((rc = ermes_csv_next(s->csv, &rec, d)) != 1) {
        if (rc == 0)
            ermes_diag_set(d, NULL, "empty report: no CSV header");
        rc = rc == 0 ? ERMES_EPARSE : rc;
        goto out;
    }
    if ((rc = ermes__fp_header_init(&s->header, &rec)))
        goto out;
    if (ermes__fp_header_find(&s->header, "source ip") < 0) {
        ermes_diag_set(d, NULL, "not a CERT-EU CSV: no \"source ip\" column");
        rc = ERMES_EPARSE;
        goto out;
    }
    for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
        s->col_direct[i] = ermes__fp_header_find(&s->header, direct[i].column);
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
        s->col_extra[i] = ermes__fp_header_find(&s->header, extras[i][0]);
    for (size_t i = 0; i < sizeof(unknown_columns) / sizeof(unknown_columns[0]); i++)
        s->col_unknown[i] = ermes__fp_header_find(&s->header, unknown_columns[i]);
    s->col_version = ermes__fp_header_find(&s->header, "version");
    s->col_type = ermes__fp_header_find(&s->header, "type");
    s->col_count = ermes__fp_header_find(&s->header, "count");
    s->col_time = ermes__fp_header_find(&s->header, "source time");
    s->col_observation = ermes__fp_header_find(&s->header, "observation time");
    s->col_confidence = ermes__fp_header_find(&s->header, "confidence level");
    *state = s;
    return 0;
out:
    certeu_close(s);
    return rc;
}

static int certeu_row(certeu_t *s, const ermes_csv_record_t *rec, ermes_event_t *ev,
                      ermes_diag_t *d)
{
    ermes__fp_str_t v = ermes__fp_trim(ermes__fp_column(rec, s->col_version)), type;
    int rc;

    if (v.len && !ermes__fp_eq(v, "1.5"))
        return ermes__fp_reject(d, "unknown version \"%.*s\"", (int)v.len, v.p);
    for (size_t i = 0; i < sizeof(unknown_columns) / sizeof(unknown_columns[0]); i++)
        if (!ermes__fp_is_blank(ermes__fp_column(rec, s->col_unknown[i])))
            return ermes__fp_reject(d, "unable to parse column \"%s\"", unknown_columns[i]);
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        return rc;
    for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
        if ((rc = ermes__fp_set(ev, direct[i].field, ermes__fp_column(rec, s->col_direct[i]), d)))
            return rc;
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
        if ((rc = ermes__fp_extra(ev, extras[i][1], ermes__fp_column(rec, s->col_extra[i]),
                                  ERMES_EXTRA_STRING, d)))
            return rc;
    if ((rc = ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, ermes__fp_column(rec, s->col_time), d)))
        return rc;
    v = ermes__fp_column(rec, s->col_observation);
    if (!ermes__fp_is_none(v)) {
        int64_t sec;
        int32_t usec;
        char t[48];
        if ((rc = ermes__fp_parse_time(v, &sec, &usec, "extra.cert_eu_time_observation", d)) ||
            (rc =
                 ermes_event_set_extra(ev, "cert_eu_time_observation", 24, t,
                                       ermes__fp_format_time(sec, usec, t), ERMES_EXTRA_STRING, d)))
            return rc;
    }
    type = ermes__fp_trim(ermes__fp_column(rec, s->col_type));
    {
        const char *t = "other";
        for (size_t i = 0; i < sizeof(type_map) / sizeof(type_map[0]); i++)
            if (ermes__fp_eq(type, type_map[i][0]))
                t = type_map[i][1];
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, t, d)))
            return rc;
        if (ermes__fp_eq(type, "dropzone") &&
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "dropzone", d)))
            return rc;
    }
    v = ermes__fp_column(rec, s->col_count);
    if (!ermes__fp_is_blank(v) && (rc = ermes__fp_extra(ev, "count", v, ERMES_EXTRA_INTEGER, d)))
        return rc;
    v = ermes__fp_column(rec, s->col_confidence);
    {
        int64_t confidence = 100;
        char buf[40];
        if (!ermes__fp_is_blank(v) && ermes__fp_int(v, &confidence))
            return ermes__fp_reject(d, "confidence level \"%.*s\" is not a number", (int)v.len,
                                    v.p);
        if ((rc = ermes_event_set(
                 ev, ERMES_F_FEED_ACCURACY, buf,
                 ermes__fp_format_double(s->accuracy * (double)confidence / 100, buf, sizeof(buf)),
                 d)))
            return rc;
    }
    return 0;
}

static int certeu_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    certeu_t *s = state;
    ermes_csv_record_t rec;
    int rc;

    for (;;) {
        rc = ermes_csv_next(s->csv, &rec, d);
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
        if (rec.nfields && rec.lengths[0] && rec.fields[0][0] == '#')
            continue;
        rc = certeu_row(s, &rec, ev, d);
        return rc ? rc : 1;
    }
}

const ermes__parser_def_t ermes__parser_certeu_csv = {"certeu-csv", "CERT-EU CSV feed", certeu_open,
                                                      certeu_next, certeu_close};
