/* abuse.ch ThreatFox JSON export (https://threatfox.abuse.ch/export/json/recent/): one object
 * whose keys are IOC ids, each an array of one IOC object (ioc_value, ioc_type, threat_type,
 * malware, malware_printable, malware_alias, first_seen_utc, last_seen_utc,
 * confidence_level, reference, tags, anonymous, reporter). Each IOC is a row: its value goes
 * to the field its ioc_type names (url, domain, ip:port, md5/sha1/sha256 hash), threat_type
 * to the RSIT type (botnet_cc: c2-server, payload_delivery: malware-distribution, payload:
 * malware; anything else: undetermined), the rest to extra. The document is read whole
 * (bounded by the report size limit): the export is one JSON object, not lines. */
#include "intake/parsers/feedparse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define THREATFOX_VALUE_CAP 8192
#define THREATFOX_RAW_CAP 65536

typedef struct threatfox {
    ermes__fp_feed_t feed;
    json_t *root;
    void *iter;  /* over root's keys */
    size_t elem; /* next element of the current key's array */
    long row;    /* rows so far: the "line" of a row, the document having no lines */
    char *raw;   /* the current row's JSON text */
    char value[THREATFOX_VALUE_CAP];
} threatfox_t;

static int threatfox_open(const ermes__report_info_t *info, const char *data, size_t len,
                          void **state, ermes_diag_t *d)
{
    threatfox_t *s;
    json_error_t err;
    int rc;

    if (!ermes__fp_starts_with_char(data, len, '{')) {
        ermes_diag_set(d, NULL, "not a ThreatFox JSON export (it starts with '{')");
        return ERMES_EPARSE;
    }
    if (!(s = ermes__calloc(1, sizeof(*s))))
        return ERMES_ENOMEM;
    if (!(s->root = json_loadb(data, len, 0, &err)) || !json_is_object(s->root)) {
        ermes_diag_set(d, NULL, "not a ThreatFox JSON export: %s",
                       s->root ? "not an object" : err.text);
        json_decref(s->root);
        ermes__free(s);
        return ERMES_EPARSE;
    }
    if ((rc = ermes__fp_feed_init(&s->feed, info, "ThreatFox", NULL, d))) {
        json_decref(s->root);
        ermes__free(s);
        return rc;
    }
    s->iter = json_object_iter(s->root);
    *state = s;
    return 0;
}

static const char *str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

static ermes__fp_str_t fps(const char *p)
{
    ermes__fp_str_t s = {p, p ? strlen(p) : 0};

    return s;
}

/* The IOC's value into the field its type names. */
static int set_ioc(ermes_event_t *ev, const char *type, const char *value, ermes_diag_t *d)
{
    if (strcmp(type, "url") == 0)
        return ermes__fp_set(ev, ERMES_F_SOURCE_URL, fps(value), d);
    if (strcmp(type, "domain") == 0)
        return ermes__fp_set(ev, ERMES_F_SOURCE_FQDN, fps(value), d);
    if (strcmp(type, "md5_hash") == 0)
        return ermes__fp_set(ev, ERMES_F_MALWARE_HASH_MD5, fps(value), d);
    if (strcmp(type, "sha1_hash") == 0)
        return ermes__fp_set(ev, ERMES_F_MALWARE_HASH_SHA1, fps(value), d);
    if (strcmp(type, "sha256_hash") == 0)
        return ermes__fp_set(ev, ERMES_F_MALWARE_HASH_SHA256, fps(value), d);
    if (strcmp(type, "ip:port") == 0) {
        /* "192.0.2.1:443", "[2001:db8::1]:443" or an address alone. */
        const char *colon = strrchr(value, ':');
        ermes__fp_str_t ip = fps(value), port = {NULL, 0};
        int rc;
        if (value[0] == '[') {
            const char *close = strchr(value, ']');
            if (!close)
                return ermes__fp_reject(d, "ioc_value: bad address \"%.64s\"", value);
            ip.p = value + 1;
            ip.len = (size_t)(close - value - 1);
            if (close[1] == ':')
                port = fps(close + 2);
        } else if (colon && strchr(value, ':') == colon) {
            ip.len = (size_t)(colon - value);
            port = fps(colon + 1);
        }
        if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, ip, d)))
            return rc;
        return port.len ? ermes__fp_set(ev, ERMES_F_SOURCE_PORT, port, d) : 0;
    }
    return ermes__fp_reject(d, "ioc_type: unknown type \"%.64s\"", type);
}

static const char *rsit_type(const char *threat)
{
    if (!threat)
        return "undetermined";
    if (strcmp(threat, "botnet_cc") == 0)
        return "c2-server";
    if (strcmp(threat, "payload_delivery") == 0)
        return "malware-distribution";
    if (strcmp(threat, "payload") == 0)
        return "malware";
    return "undetermined";
}

static int threatfox_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    threatfox_t *s = state;
    const char *key, *type, *value, *name;
    json_t *ioc = NULL, *v;
    int rc;

    while (s->iter && !ioc) {
        json_t *arr = json_object_iter_value(s->iter);
        if (json_is_array(arr) && s->elem < json_array_size(arr)) {
            ioc = json_array_get(arr, s->elem++);
        } else if (!json_is_array(arr) && s->elem == 0) {
            ioc = arr; /* a lone object, or something that is no IOC: a row to reject */
            s->elem++;
        } else {
            s->iter = json_object_iter_next(s->root, s->iter);
            s->elem = 0;
        }
    }
    if (!ioc)
        return 0;
    s->row++;
    free(s->raw);
    s->raw = json_dumps(ioc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s->raw)
        return ERMES_ENOMEM;
    if (strlen(s->raw) > THREATFOX_RAW_CAP)
        s->raw[THREATFOX_RAW_CAP] = '\0';
    ermes__fp_row(row, d, s->row, fps(s->raw));
    if (!json_is_object(ioc))
        return ermes__fp_reject(d, "not an IOC object");
    if (!(type = str(ioc, "ioc_type")) || !(value = str(ioc, "ioc_value")) || !*value)
        return ermes__fp_reject(d, "no ioc_type or ioc_value");
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, rsit_type(str(ioc, "threat_type")),
                             d)) ||
        (rc = set_ioc(ev, type, value, d)))
        return rc;
    if ((name = str(ioc, "malware_printable")) && *name && strcmp(name, "Unknown malware") &&
        (rc = ermes__fp_set(ev, ERMES_F_MALWARE_NAME, fps(name), d)))
        return rc;
    if ((value = str(ioc, "first_seen_utc")) && *value &&
        (rc = ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, fps(value), d)))
        return rc;
    json_object_foreach(ioc, key, v)
    {
        ermes_extra_type_t t;
        ermes__fp_str_t text;
        if (!strcmp(key, "ioc_value") || !strcmp(key, "ioc_type") ||
            !strcmp(key, "malware_printable") || !strcmp(key, "first_seen_utc"))
            continue;
        rc = ermes__fp_json_text(v, s->value, sizeof(s->value), &text, &t);
        if (rc < 0)
            return ermes__fp_reject(d, "%s: value too long", key);
        if (rc == 0 || (json_is_string(v) && json_string_length(v) == 0))
            continue;
        if ((rc = ermes__fp_extra(ev, key, text, t, d)))
            return rc;
    }
    return 1;
}

static void threatfox_close(void *state)
{
    threatfox_t *s = state;

    if (!s)
        return;
    json_decref(s->root);
    free(s->raw); /* json_dumps's */
    ermes__free(s);
}

const ermes__parser_def_t ermes__parser_threatfox = {
    "threatfox", "abuse.ch ThreatFox JSON export (IOC id -> [IOC])", threatfox_open, threatfox_next,
    threatfox_close};
