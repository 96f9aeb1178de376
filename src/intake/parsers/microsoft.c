/* Microsoft CTIP (Cyber Threat Intelligence Program) infected-host feed, both deliveries:
 *   Interflow: a JSON array of objects with "version": 1.5 (lower-case keys);
 *   Azure:     one JSON object per line ("DataFeed", "SourceIpInfo": {...}, "Payload": base64).
 * Mapping as in IntelMQ's microsoft parser_ctip.py and its tests. Every object is a row. */
#include "intake/parsers/feedparse.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"

typedef struct map {
    const char *key;
    const char *field; /* harmonized name, "extra.<key>", or NULL: ignored */
} map_t;

static const map_t interflow[] = {
    {"additionalmetadata", "extra.additionalmetadata"},
    {"description", "event_description.text"},
    {"externalid", "malware.name"},
    {"tlplevel", "tlp"},
    {"firstreporteddatetime", "time.source"},
    {"networksourceipv4", "source.ip"},
    {"networksourceport", "source.port"},
    {"networkdestinationipv4", "destination.ip"},
    {"networkdestinationport", "destination.port"},
    {"isproductlicensed", "extra.isproductlicensed"},
    {"ispartnershareable", "extra.ispartnershareable"},
    {"networksourceasn", "source.asn"},
    {"hostname", "destination.fqdn"},
    {"useragent", "extra.user_agent"},
    {"severity", "extra.severity"},
    {"tags", "extra.tags"},
    {"version", NULL},
    {"indicatorthreattype", NULL},
    {"confidence", NULL},
    {"indicatorexpirationdatetime", NULL},
};

static const map_t azure[] = {
    {"DataFeed", "feed.name"},
    {"SourcedFrom", "event_description.text"},
    {"DateTimeReceivedUtc", "time.source"},
    {"DateTimeReceivedUtcTxt", NULL},
    {"Malware", "extra.malware"},
    {"ThreatCode", "malware.name"},
    {"ThreatConfidence", "feed.accuracy"},
    {"TotalEncounters", "extra.total_encounters"},
    {"TLP", "tlp"},
    {"SourceIp", "source.ip"},
    {"SourcePort", "source.port"},
    {"DestinationIp", "destination.ip"},
    {"DestinationPort", "destination.port"},
    {"TargetIp", NULL},
    {"TargetPort", NULL},
    {"DestinationIpInfo.DestinationIpAsnNumber", "destination.asn"},
    {"DestinationIpInfo.DestinationIpAsnOrgName", "destination.as_name"},
    {"DestinationIpInfo.DestinationIpCountryCode", "destination.geolocation.cc"},
    {"DestinationIpInfo.DestinationIpRegion", "destination.geolocation.region"},
    {"DestinationIpInfo.DestinationIpCity", "destination.geolocation.city"},
    {"DestinationIpInfo.DestinationIpPostalCode", "extra.destination.geolocation.postal_code"},
    {"DestinationIpInfo.DestinationIpLatitude", "destination.geolocation.latitude"},
    {"DestinationIpInfo.DestinationIpLongitude", "destination.geolocation.longitude"},
    {"DestinationIpInfo.DestinationIpMetroCode", "extra.destination.geolocation.metro_code"},
    {"DestinationIpInfo.DestinationIpAreaCode", "extra.destination.geolocation.area_code"},
    {"DestinationIpInfo.DestinationIpConnectionType", "extra.destination.connection_type"},
    {"DestinationIpInfo.DestinationIpv4Int", NULL},
    {"Signatures.Sha256", "extra.signatures.sha256"},
    {"SourceIpInfo.SourceIpAsnNumber", "source.asn"},
    {"SourceIpInfo.SourceIpAsnOrgName", "source.as_name"},
    {"SourceIpInfo.SourceIpCountryCode", "source.geolocation.cc"},
    {"SourceIpInfo.SourceIpRegion", "source.geolocation.region"},
    {"SourceIpInfo.SourceIpCity", "source.geolocation.city"},
    {"SourceIpInfo.SourceIpPostalCode", "extra.source.geolocation.postal_code"},
    {"SourceIpInfo.SourceIpLatitude", "source.geolocation.latitude"},
    {"SourceIpInfo.SourceIpLongitude", "source.geolocation.longitude"},
    {"SourceIpInfo.SourceIpMetroCode", "extra.source.geolocation.metro_code"},
    {"SourceIpInfo.SourceIpAreaCode", "extra.source.geolocation.area_code"},
    {"SourceIpInfo.SourceIpConnectionType", "extra.source.connection_type"},
    {"SourceIpInfo.SourceIpv4Int", NULL},
    {"HttpInfo.HttpHost", "extra.http.host"},
    {"HttpInfo.HttpRequest", "extra.http.request"},
    {"HttpInfo.HttpMethod", "extra.http.method"},
    {"HttpInfo.HttpReferrer", "extra.http.referrer"},
    {"HttpInfo.HttpUserAgent", "extra.user_agent"},
    {"HttpInfo.HttpVersion", "extra.http.version"},
    {"CustomInfo.CustomField1", "extra.custom_field1"},
    {"CustomInfo.CustomField2", "extra.custom_field2"},
    {"CustomInfo.CustomField3", "extra.custom_field3"},
    {"CustomInfo.CustomField4", "extra.custom_field4"},
    {"CustomInfo.CustomField5", "extra.custom_field5"},
    {"Payload.ts", "extra.payload.timestamp"},
    {"Payload.ip", "extra.payload.ip"},
    {"Payload.port", "extra.payload.port"},
    {"Payload.serverIp", "extra.payload.server.ip"},
    {"Payload.serverPort", "extra.payload.server.port"},
    {"Payload.domain", "destination.fqdn"},
    {"Payload.family", "extra.payload.family"},
    {"Payload.malware", "extra.payload.malware"},
    {"Payload.response", "extra.payload.response"},
    {"Payload.handler", "extra.payload.handler"},
    {"Payload.type", "protocol.application"},
    {"Payload", "extra.payload.text"},
    {"Payload.Time", "extra.payload.time"},
    {"Payload.SourceIP", "extra.payload.source.ip"},
    /* The Gov feeds' payload: nested names, as IntelMQ gives them. */
    {"Payload.source_ip", "extra.payload.source.ip"},
    {"Payload.source_port", "extra.payload.source.port"},
    {"Payload.destination_ip", "extra.payload.destination.ip"},
    {"Payload.destination_port", "extra.payload.destination.port"},
    {"Payload.DestIP", "extra.payload.destination.ip"},
    {"Payload.RemotePort", "extra.payload.remote.port"},
    {"Payload.RemoteHost", "extra.payload.remote.host"},
    {"Payload.ServerPort", "extra.payload.server.port"},
    {"Payload.BCode", "extra.payload.b_code"},
    {"Payload.Protocol", "extra.payload.protocol"},
    {"Payload.Length", "extra.payload.length"},
    {"Payload.URI", "destination.urlpath"},
    {"Payload.Referer", "extra.http_referer"},
    {"Payload.UserAgent", "extra.user_agent"},
    {"Payload.RequestMethod", "extra.http.method"},
    {"Payload.HTTPHost", "extra.http.host"},
    {"Payload.Custom1", "extra.payload.custom_field1"},
    {"Payload.Custom2", "extra.payload.custom_field2"},
    {"Payload.Custom3", "extra.payload.custom_field3"},
    {"Payload.Custom4", "extra.payload.custom_field4"},
    {"Payload.Custom5", "extra.payload.custom_field5"},
};

#define VALUE_CAP 8192

typedef struct ctip {
    ermes__fp_feed_t feed;
    int array; /* Interflow (a JSON array) or Azure (JSON lines) */
    ermes__fp_jsonarr_t elems;
    ermes__fp_lines_t lines;
    double accuracy; /* the feed's accuracy the confidence scales: 100 unless accuracy= */
    char value[VALUE_CAP];
    char payload[VALUE_CAP];
} ctip_t;

static int ctip_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                     ermes_diag_t *d)
{
    ctip_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    if ((rc = ermes__fp_feed_init(&s->feed, info, NULL, NULL, d))) {
        ermes__free(s);
        return rc;
    }
    s->accuracy = s->feed.accuracy >= 0 ? s->feed.accuracy : 100;
    /* The row's accuracy is computed from the confidence; the feed's own is its base. */
    s->feed.accuracy = -1;
    if (ermes__fp_starts_with_char(data, len, '[')) {
        s->array = 1;
        ermes__fp_jsonarr_init(&s->elems, data, len);
    } else if (ermes__fp_starts_with_char(data, len, '{') ||
               ermes__fp_is_blank((ermes__fp_str_t){data, len})) {
        ermes__fp_lines_init(&s->lines, data, len);
    } else {
        ermes__free(s);
        ermes_diag_set(d, NULL, "not CTIP data: neither a JSON array nor JSON lines");
        return ERMES_EPARSE;
    }
    *state = s;
    return 0;
}

static void ctip_close(void *state)
{
    ermes__free(state);
}

static const char *lookup(const map_t *m, size_t n, const char *key, int *known)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].key, key) == 0) {
            *known = 1;
            return m[i].field;
        }
    *known = 0;
    return NULL;
}

static int set_accuracy(ctip_t *s, ermes_event_t *ev, double confidence, ermes_diag_t *d)
{
    char buf[40];
    size_t n = ermes__fp_format_double(s->accuracy * confidence / 100, buf, sizeof(buf));
    return ermes_event_set(ev, ERMES_F_FEED_ACCURACY, buf, n, d);
}

/* Sets field (a harmonized name or "extra.x") from v. Keys CTIP invents later land in extra
 * under their own (normalised) name instead of failing the row. */
static int put(ctip_t *s, ermes_event_t *ev, const char *field, const char *key, const json_t *v,
               ermes_diag_t *d)
{
    ermes__fp_str_t t;
    ermes_extra_type_t type;
    char name[160];
    int rc = ermes__fp_json_text(v, s->value, sizeof(s->value), &t, &type);

    if (rc <= 0)
        return rc == 0 ? 0 : ermes__fp_reject(d, "%s: value too long", key);
    if (!field) {
        snprintf(name, sizeof(name), "extra.%s", key);
        field = name;
    }
    if (strncmp(field, "extra.", 6) == 0) {
        if (type == ERMES_EXTRA_STRING && ermes__fp_is_none(t))
            return 0;
        return ermes_event_set_extra(ev, field + 6, strlen(field + 6), t.p, t.len, type, d);
    }
    {
        ermes_field_t f = ermes_field_lookup(field, strlen(field));
        if (f == ERMES_F_COUNT)
            return ermes__fp_reject(d, "unknown field %s", field);
        if (f == ERMES_F_TIME_SOURCE)
            return ermes__fp_set_time(ev, f, t, d);
        return ermes__fp_set(ev, f, t, d);
    }
}

static int interflow_row(ctip_t *s, json_t *o, ermes_event_t *ev, ermes_diag_t *d)
{
    const char *key;
    json_t *v, *type = json_object_get(o, "indicatorthreattype");
    json_t *dst = json_object_get(o, "networkdestinationipv4");
    json_t *conf = json_object_get(o, "confidence");
    int rc, known;

    if (!json_is_string(type) || strcmp(json_string_value(type), "Botnet") != 0)
        return ermes__fp_reject(d, "unknown indicatorthreattype, only Botnet is supported");
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        return rc;
    json_object_foreach(o, key, v)
    {
        const char *field =
            lookup(interflow, sizeof(interflow) / sizeof(interflow[0]), key, &known);
        if (known && !field)
            continue;
        if (strcmp(key, "additionalmetadata") == 0 && json_is_array(v)) {
            /* [], [""], ["null"] and [null] say nothing. */
            json_t *e = json_array_get(v, 0);
            if (json_array_size(v) == 0 ||
                (json_array_size(v) == 1 &&
                 (json_is_null(e) ||
                  (json_is_string(e) &&
                   (json_string_length(e) == 0 || strcmp(json_string_value(e), "null") == 0)))))
                continue;
        }
        if (strcmp(key, "hostname") == 0 && json_is_string(v)) {
            /* The destination IP repeated, or bytes that are no name: not an FQDN. */
            if (!(json_is_string(dst) && strcmp(json_string_value(v), json_string_value(dst)) == 0))
                ermes__fp_try(ev, ERMES_F_DESTINATION_FQDN,
                              (ermes__fp_str_t){json_string_value(v), json_string_length(v)});
            continue;
        }
        if (strcmp(key, "networkdestinationipv4") == 0 && json_is_string(v)) {
            /* "0.0.0.0" is no address; since 2019 some rows repeat it: "a, a". */
            ermes__fp_str_t ip = {json_string_value(v), json_string_length(v)};
            long comma = ermes__fp_find(ip, ",");
            if (comma >= 0)
                ip.len = (size_t)comma;
            if (ermes__fp_eq(ermes__fp_trim(ip), "0.0.0.0"))
                continue;
            if ((rc = ermes__fp_set(ev, ERMES_F_DESTINATION_IP, ip, d)))
                return rc;
            continue;
        }
        if ((rc = put(s, ev, field, key, v, d)))
            return rc;
    }
    if ((rc = set_accuracy(s, ev, json_is_number(conf) ? json_number_value(conf) : 100, d)))
        return rc;
    return ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "infected-system", d);
}

/* Azure: one value, its key flattened ("SourceIpInfo.SourceIpCity"). */
static int azure_value(ctip_t *s, const char *key, const json_t *v, ermes_event_t *ev,
                       ermes_diag_t *d)
{
    int known, rc;
    const char *field = lookup(azure, sizeof(azure) / sizeof(azure[0]), key, &known);
    char extra[160];

    if (known && !field)
        return 0;
    /* IntelMQ skips every false value: "", 0, false, null. */
    if (json_is_null(v) || json_is_false(v) || (json_is_string(v) && json_string_length(v) == 0) ||
        (json_is_integer(v) && json_integer_value(v) == 0) ||
        (json_is_real(v) && json_real_value(v) == 0) ||
        (json_is_object(v) && json_object_size(v) == 0) ||
        (json_is_array(v) && json_array_size(v) == 0))
        return 0;
    if (strcmp(key, "ThreatConfidence") == 0 && json_is_string(v)) {
        static const struct {
            const char *name;
            double confidence;
        } levels[] = {{"High", 100}, {"Medium", 50}, {"Low", 20}, {"Informational", 10}};
        if (strcmp(json_string_value(v), "None") == 0)
            return 0;
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
            if (strcmp(json_string_value(v), levels[i].name) == 0)
                return set_accuracy(s, ev, levels[i].confidence, d);
        return ermes__fp_reject(d, "unknown ThreatConfidence \"%s\"", json_string_value(v));
    }
    if (strcmp(key, "DateTimeReceivedUtc") == 0 && json_is_integer(v)) {
        /* Windows NT time: 100 ns ticks since 1601-01-01. */
        long long ticks = json_integer_value(v);
        char t[48];
        int64_t sec = ticks / 10000000 - 11644473600LL;
        size_t n = ermes__fp_format_time(sec, (int32_t)(ticks % 10000000 / 10), t);
        return ermes_event_set(ev, ERMES_F_TIME_SOURCE, t, n, d);
    }
    if (strcmp(key, "Payload.ts") == 0 && json_is_number(v)) {
        char num[40], t[48];
        int64_t sec;
        int32_t usec;
        ermes__fp_str_t ns = {num, ermes__fp_format_double(json_number_value(v), num, sizeof(num))};
        if ((rc = ermes__fp_parse_time(ns, &sec, &usec, "extra.payload.timestamp", d)))
            return rc;
        return ermes_event_set_extra(ev, "payload.timestamp", 17, t,
                                     ermes__fp_format_time(sec, usec, t), ERMES_EXTRA_STRING, d);
    }
    if (strcmp(key, "Payload.Protocol") == 0 && json_is_string(v)) {
        /* "HTTP/1.1": the protocol, and the whole in extra. */
        ermes__fp_str_t p = {json_string_value(v), json_string_length(v)};
        long slash = ermes__fp_find(p, "/");
        if (slash > 0)
            p.len = (size_t)slash;
        if ((rc = ermes__fp_set(ev, ERMES_F_PROTOCOL_APPLICATION, p, d)))
            return rc;
    }
    if (strcmp(key, "TLP") == 0 && json_is_string(v)) {
        /* "Unknown" says nothing; "YELLOW" is CTIP's older name for AMBER (as IntelMQ reads
         * it); another level TLP does not know is kept in extra. */
        ermes_diag_t scratch;
        if (strcmp(json_string_value(v), "Unknown") == 0)
            return 0;
        if (strcasecmp(json_string_value(v), "YELLOW") == 0)
            return ermes__fp_setc(ev, ERMES_F_TLP, "AMBER", d);
        if (ermes__fp_set(ev, ERMES_F_TLP,
                          (ermes__fp_str_t){json_string_value(v), json_string_length(v)},
                          &scratch) == 0)
            return 0;
        return put(s, ev, "extra.tlp", key, v, d);
    }
    if (strcmp(key, "Payload.domain") == 0 && json_is_string(v)) {
        /* An address here is the destination's; IntelMQ maps the domain to destination.fqdn. */
        ermes__fp_str_t dom = {json_string_value(v), json_string_length(v)};
        if (ermes__fp_is_ip(dom))
            return put(s, ev, "extra.payload.domain", key, v, d);
    }
    if (!known) {
        /* A key CTIP added later: kept as extra.<key, lower case, '_' for other bytes>. */
        size_t n = 0;
        for (const char *k = key; *k && n < sizeof(extra) - 1; k++)
            extra[n++] =
                (char)(isalnum((unsigned char)*k) || *k == '.' ? tolower((unsigned char)*k) : '_');
        extra[n] = '\0';
        return put(s, ev, NULL, extra, v, d);
    }
    return put(s, ev, field, key, v, d);
}

static int azure_object(ctip_t *s, const char *prefix, json_t *o, ermes_event_t *ev,
                        ermes_diag_t *d)
{
    const char *key;
    json_t *v;
    char full[160];
    int rc;

    json_object_foreach(o, key, v)
    {
        snprintf(full, sizeof(full), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
        if (!prefix && strcmp(key, "Payload") == 0 && json_is_string(v)) {
            /* Base64 of JSON (unpacked into Payload.*), of text, or JSON as it is. */
            ermes__fp_str_t b = {json_string_value(v), json_string_length(v)};
            long n = ermes__fp_base64_decode(b, s->payload, sizeof(s->payload) - 1);
            json_t *inner;
            if (n == 1 && s->payload[0] == '\0')
                continue; /* "AA==": a NUL byte, nothing */
            if (n < 0) {
                if (b.len >= sizeof(s->payload))
                    return ermes__fp_reject(d, "Payload too long");
                memcpy(s->payload, b.p, b.len);
                n = (long)b.len;
            }
            s->payload[n] = '\0';
            inner = json_loadb(s->payload, (size_t)n, JSON_DECODE_ANY, NULL);
            if (json_is_object(inner)) {
                rc = azure_object(s, "Payload", inner, ev, d);
                json_decref(inner);
                if (rc)
                    return rc;
                continue;
            }
            json_decref(inner);
            {
                json_t *text = json_stringn(s->payload, (size_t)n);
                if (!text)
                    return ermes__fp_reject(d, "Payload is not UTF-8 text");
                rc = azure_value(s, "Payload", text, ev, d);
                json_decref(text);
                if (rc)
                    return rc;
            }
            continue;
        }
        if (json_is_object(v) && !prefix) {
            if ((rc = azure_object(s, key, v, ev, d)))
                return rc;
            continue;
        }
        if ((rc = azure_value(s, full, v, ev, d)))
            return rc;
    }
    return 0;
}

static int azure_row(ctip_t *s, json_t *o, ermes_event_t *ev, ermes_diag_t *d)
{
    int rc;

    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) || (rc = azure_object(s, NULL, o, ev, d)))
        return rc;
    return ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "infected-system", d);
}

static int ctip_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    ctip_t *s = state;
    ermes__fp_str_t text;
    json_error_t err;
    json_t *o;
    long line;
    int rc;

    if (s->array) {
        rc = ermes__fp_jsonarr_next(&s->elems, &text, &line);
        if (rc == 0)
            return 0;
        ermes__fp_row(row, d, line, text);
        if (rc < 0)
            return ermes__fp_reject(d, "JSON array is cut off or malformed");
    } else {
        do {
            if (!ermes__fp_lines_next(&s->lines, &text))
                return 0;
        } while (ermes__fp_is_blank(text));
        ermes__fp_row(row, d, s->lines.line, text);
    }
    o = json_loadb(text.p, text.len, 0, &err);
    if (!o)
        return ermes__fp_reject(d, "not JSON: %s", err.text);
    if (!json_is_object(o))
        rc = ermes__fp_reject(d, "not a JSON object");
    else if (json_real_value(json_object_get(o, "version")) == 1.5)
        rc = interflow_row(s, o, ev, d);
    else
        rc = azure_row(s, o, ev, d);
    json_decref(o);
    return rc ? rc : 1;
}

const ermes__parser_def_t ermes__parser_microsoft_ctip = {
    "microsoft-ctip",
    "Microsoft CTIP infected-host feed (Interflow JSON array or Azure JSON lines)", ctip_open,
    ctip_next, ctip_close};
