/* CERT Polska's n6 REST API (https://n6.readthedocs.io/usage/restapi/): report/inside.json,
 * report/threats.json and search/events.json answer a JSON array of n6 events. Each event is
 * a row: its category becomes the RSIT type (the table below, after n6's own IntelMQ converter
 * where it has one), the first of its address[] entries source.ip, source.asn and
 * source.geolocation.cc (any further ones stay in extra.address), and the other attributes
 * their IntelMQ fields (fqdn, url, name as malware.name, time, dport/sport, proto, the
 * hashes, dip); what has no field goes to extra under its n6 name (id, source, origin,
 * confidence, restriction, status, ...). */
#include "intake/parsers/feedparse.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define N6_VALUE_CAP 8192

typedef struct n6 {
    ermes__fp_jsonarr_t elems;
    ermes__fp_feed_t feed;
    char value[N6_VALUE_CAP];
} n6_t;

static const struct {
    const char *category, *type;
} categories[] = {
    {"amplifier", "ddos-amplifier"},
    {"backdoor", "system-compromise"},
    {"bots", "infected-system"},
    {"cnc", "c2-server"},
    {"deface", "unauthorised-information-modification"},
    {"dns-query", "other"},
    {"dos-attacker", "ddos"},
    {"dos-victim", "ddos"},
    {"exposed", "potentially-unwanted-accessible"},
    {"flow", "other"},
    {"flow-anomaly", "other"},
    {"fraud", "masquerade"},
    {"leak", "data-leak"},
    {"malurl", "malware-distribution"},
    {"malware-action", "malware-configuration"},
    {"phish", "phishing"},
    {"proxy", "proxy"},
    {"sandbox-url", "malware-distribution"},
    {"scam", "masquerade"},
    {"scanning", "scanner"},
    {"server-exploit", "exploit"},
    {"spam", "spam"},
    {"spam-url", "spam"},
    {"tor", "tor"},
    {"vulnerable", "vulnerable-system"},
    {"webinject", "malware-configuration"},
    {"other", "other"},
};

static const struct {
    const char *key;
    ermes_field_t field;
} fields[] = {
    {"fqdn", ERMES_F_SOURCE_FQDN},         {"url", ERMES_F_SOURCE_URL},
    {"name", ERMES_F_MALWARE_NAME},        {"time", ERMES_F_TIME_SOURCE},
    {"dport", ERMES_F_DESTINATION_PORT},   {"sport", ERMES_F_SOURCE_PORT},
    {"proto", ERMES_F_PROTOCOL_TRANSPORT}, {"md5", ERMES_F_MALWARE_HASH_MD5},
    {"sha1", ERMES_F_MALWARE_HASH_SHA1},   {"sha256", ERMES_F_MALWARE_HASH_SHA256},
    {"dip", ERMES_F_DESTINATION_IP},
};

static int n6_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                   ermes_diag_t *d)
{
    n6_t *s;
    int rc;

    if (!ermes__fp_starts_with_char(data, len, '[')) {
        ermes_diag_set(d, NULL, "not an n6 answer (a JSON array)");
        return ERMES_EPARSE;
    }
    if (!(s = ermes__calloc(1, sizeof(*s))))
        return ERMES_ENOMEM;
    if ((rc = ermes__fp_jsonarr_init(&s->elems, data, len)) ||
        (rc = ermes__fp_feed_init(&s->feed, info, "n6", NULL, d))) {
        if (rc == ERMES_EPARSE)
            ermes_diag_set(d, NULL, "not an n6 answer (a JSON array)");
        ermes__free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* The first address into source.*; the others (rare) kept whole in extra.address. */
static int n6_address(n6_t *s, const json_t *addr, ermes_event_t *ev, ermes_diag_t *d)
{
    const json_t *first = json_array_get(addr, 0), *v;
    ermes_extra_type_t t;
    ermes__fp_str_t text;
    int rc;

    if (!json_is_array(addr))
        return ermes__fp_reject(d, "address: not an array");
    if (!first)
        return 0;
    if (!json_is_object(first))
        return ermes__fp_reject(d, "address: not an array of objects");
    if ((v = json_object_get(first, "ip")) &&
        ermes__fp_json_text(v, s->value, sizeof(s->value), &text, &t) == 1 &&
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, text, d)))
        return rc;
    if ((v = json_object_get(first, "asn")) &&
        ermes__fp_json_text(v, s->value, sizeof(s->value), &text, &t) == 1 &&
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_ASN, text, d)))
        return rc;
    if ((v = json_object_get(first, "cc")) &&
        ermes__fp_json_text(v, s->value, sizeof(s->value), &text, &t) == 1 &&
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_GEOLOCATION_CC, text, d)))
        return rc;
    if (json_array_size(addr) > 1) {
        rc = ermes__fp_json_text(addr, s->value, sizeof(s->value), &text, &t);
        if (rc < 0)
            return ermes__fp_reject(d, "address: too long");
        return ermes__fp_extra(ev, "address", text, t, d);
    }
    return 0;
}

static int n6_value(n6_t *s, const char *key, const json_t *v, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes_extra_type_t t;
    ermes__fp_str_t text;
    int rc;

    if (strcmp(key, "category") == 0)
        return 0; /* done before */
    if (strcmp(key, "address") == 0)
        return n6_address(s, v, ev, d);
    rc = ermes__fp_json_text(v, s->value, sizeof(s->value), &text, &t);
    if (rc < 0)
        return ermes__fp_reject(d, "%s: value too long", key);
    if (rc == 0 || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
        if (strcmp(fields[k].key, key) == 0)
            return fields[k].field == ERMES_F_TIME_SOURCE
                       ? ermes__fp_set_time(ev, fields[k].field, text, d)
                       : ermes__fp_set(ev, fields[k].field, text, d);
    return ermes__fp_extra(ev, key, text, t, d);
}

static int n6_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    n6_t *s = state;
    ermes__fp_str_t text;
    json_error_t err;
    const char *key, *category, *type = NULL;
    json_t *o, *v;
    long line = 1;
    int rc;

    rc = ermes__fp_jsonarr_next(&s->elems, &text, &line);
    if (rc == 0)
        return 0;
    ermes__fp_row(row, d, line, text);
    if (rc < 0)
        return ermes__fp_reject(d, "JSON array is cut off or malformed");
    if (!(o = json_loadb(text.p, text.len, 0, &err)))
        return ermes__fp_reject(d, "not JSON: %s", err.text);
    rc = 0;
    if (!json_is_object(o)) {
        rc = ermes__fp_reject(d, "not an n6 event (a JSON object)");
        goto out;
    }
    if (!(category = json_string_value(json_object_get(o, "category")))) {
        rc = ermes__fp_reject(d, "no category");
        goto out;
    }
    for (size_t k = 0; k < sizeof(categories) / sizeof(categories[0]) && !type; k++)
        if (strcmp(categories[k].category, category) == 0)
            type = categories[k].type;
    if (!type) {
        rc = ermes__fp_reject(d, "category: unknown n6 category \"%.64s\"", category);
        goto out;
    }
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, type, d)))
        goto out;
    json_object_foreach(o, key, v)
    {
        if ((rc = n6_value(s, key, v, ev, d)))
            goto out;
    }
out:
    json_decref(o);
    return rc ? rc : 1;
}

static void n6_close(void *state)
{
    ermes__free(state);
}

const ermes__parser_def_t ermes__parser_n6 = {
    "n6", "CERT Polska n6 REST API answer (JSON array of n6 events)", n6_open, n6_next, n6_close};
