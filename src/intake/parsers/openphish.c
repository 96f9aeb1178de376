/* OpenPhish's feeds: the public one, one phishing URL per line (IntelMQ's openphish parser),
 * and the commercial one, one JSON object per line (IntelMQ's openphish commercial parser):
 * {"url", "ip", "isotime", "asn": "AS13335", "asn_name", "host", "country_code", "brand",
 * "sector", "tld", "family_id", "discover_time", "country_name", "phishing_kit", "emails"}. */
#include "intake/parsers/feedparse.h"

#include <jansson.h>
#include <string.h>

#include "core/alloc.h"

typedef struct openphish {
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
} openphish_t;

static int openphish_open(const ermes__report_info_t *info, const char *data, size_t len,
                          void **state, ermes_diag_t *d)
{
    openphish_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, "OpenPhish", "https://www.openphish.com/feed.txt",
                                  d))) {
        ermes__free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static void openphish_close(void *state)
{
    ermes__free(state);
}

static int openphish_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    openphish_t *s = state;
    ermes__fp_str_t line;
    int rc;

    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        if (t.len == 0 || t.p[0] == '#')
            continue;
        ermes__fp_row(row, d, s->lines.line, line);
        if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
            (rc = ermes__fp_set(ev, ERMES_F_SOURCE_URL, t, d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "phishing", d)))
            return rc;
        return 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_openphish = {
    "openphish", "OpenPhish public feed (one URL per line)", openphish_open, openphish_next,
    openphish_close};

/* ---- the commercial JSON feed ----------------------------------------------------------- */

#define OPENPHISH_VALUE_CAP 8192

typedef struct openphish_commercial {
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
    char value[OPENPHISH_VALUE_CAP];
} openphish_commercial_t;

/* Keys with a harmonized field; every other key with a value goes to extra under its name. */
static const struct {
    const char *key;
    ermes_field_t field;
} commercial_fields[] = {
    {"url", ERMES_F_SOURCE_URL},
    {"ip", ERMES_F_SOURCE_IP},
    {"isotime", ERMES_F_TIME_SOURCE},
    {"asn", ERMES_F_SOURCE_ASN},
    {"asn_name", ERMES_F_SOURCE_AS_NAME},
    {"host", ERMES_F_SOURCE_FQDN},
    {"country_code", ERMES_F_SOURCE_GEOLOCATION_CC},
};

static int commercial_open(const ermes__report_info_t *info, const char *data, size_t len,
                           void **state, ermes_diag_t *d)
{
    openphish_commercial_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, "OpenPhish Commercial", NULL, d))) {
        ermes__free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int commercial_value(openphish_commercial_t *s, const char *key, const json_t *v,
                            ermes_event_t *ev, ermes_diag_t *d)
{
    ermes_extra_type_t type;
    ermes__fp_str_t t;
    size_t i;
    int rc = ermes__fp_json_text(v, s->value, sizeof(s->value), &t, &type);

    if (rc < 0)
        return ermes__fp_reject(d, "%s: value too long", key);
    if (strcmp(key, "url") == 0 && !json_is_string(v))
        return ermes__fp_reject(d, "url: not a string");
    /* null, "" and [] say nothing (phishing_kit and emails are mostly empty). */
    if (rc == 0 || (json_is_string(v) && json_string_length(v) == 0) ||
        (json_is_array(v) && json_array_size(v) == 0))
        return 0;
    for (i = 0; i < sizeof(commercial_fields) / sizeof(commercial_fields[0]); i++)
        if (strcmp(commercial_fields[i].key, key) == 0) {
            ermes_field_t f = commercial_fields[i].field;
            if (f == ERMES_F_TIME_SOURCE)
                return ermes__fp_set_time(ev, f, t, d);
            return ermes__fp_set(ev, f, t, d);
        }
    return ermes__fp_extra(ev, key, t, type, d);
}

static int commercial_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    openphish_commercial_t *s = state;
    ermes__fp_str_t line;
    json_error_t err;
    const char *key;
    json_t *o, *v;
    int rc = 0;

    do {
        if (!ermes__fp_lines_next(&s->lines, &line))
            return 0;
    } while (ermes__fp_is_blank(line));
    ermes__fp_row(row, d, s->lines.line, line);
    o = json_loadb(line.p, line.len, 0, &err);
    if (!o)
        return ermes__fp_reject(d, "not JSON: %s", err.text);
    if (!json_is_object(o)) {
        json_decref(o);
        return ermes__fp_reject(d, "not a JSON object");
    }
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "phishing", d)))
        goto out;
    json_object_foreach(o, key, v)
    {
        if ((rc = commercial_value(s, key, v, ev, d)))
            goto out;
    }
    if (!ermes_event_get(ev, ERMES_F_SOURCE_URL, NULL))
        rc = ermes__fp_reject(d, "no url");
out:
    json_decref(o);
    return rc ? rc : 1;
}

const ermes__parser_def_t ermes__parser_openphish_commercial = {
    "openphish-commercial", "OpenPhish commercial feed (one JSON object per line)", commercial_open,
    commercial_next, openphish_close};
