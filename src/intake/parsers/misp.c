/* A MISP event (JSON, as MISP exports it, optionally wrapped in {"Event": ...} or a list of
 * such). Mapping as in IntelMQ's misp parser: each indicator attribute of the network and
 * payload categories is a row; the event's ecsirt tag gives the classification, its
 * "Payload type" attribute the malware name. The option misp_url= (else feed_url=) is the
 * MISP's address, for event_description.url ("<url>events/view/<id>"). */
#include "intake/parsers/feedparse.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

static const char *const tag_types[][2] = {
    {"ecsirt:fraud=\"phishing\"", "phishing"},
    {"ecsirt:availability=\"ddos\"", "ddos"},
    {"ecsirt:abusive-content=\"spam\"", "spam"},
    {"ecsirt:information-gathering=\"scanner\"", "scanner"},
    {"ecsirt:information-content-security=\"dropzone\"", "other"},
    {"ecsirt:malicious-code=\"malware\"", "infected-system"},
    {"ecsirt:malicious-code=\"botnet-drone\"", "infected-system"},
    {"ecsirt:malicious-code=\"ransomware\"", "infected-system"},
    {"ecsirt:malicious-code=\"malware-configuration\"", "malware-configuration"},
    {"ecsirt:malicious-code=\"c2server\"", "c2-server"},
    {"ecsirt:intrusion-attempts=\"exploit\"", "exploit"},
    {"ecsirt:intrusion-attempts=\"brute-force\"", "brute-force"},
    {"ecsirt:intrusion-attempts=\"ids-alert\"", "ids-alert"},
    {"ecsirt:intrusions=\"defacement\"", "unauthorised-information-modification"},
    {"ecsirt:intrusions=\"compromised\"", "system-compromise"},
    {"ecsirt:intrusions=\"backdoor\"", "system-compromise"},
    {"ecsirt:vulnerable=\"vulnerable-service\"", "vulnerable-system"},
    {"ecsirt:other=\"blacklist\"", "blacklist"},
    {"ecsirt:other=\"unknown\"", "undetermined"},
    {"ecsirt:test=\"test\"", "test"},
};

static const char *const categories[] = {"Payload delivery", "Artifacts dropped",
                                         "Payload installation", "Network activity"};

static const struct {
    const char *type;
    ermes_field_t field;
} attribute_types[] = {
    {"domain", ERMES_F_SOURCE_FQDN},
    {"hostname", ERMES_F_SOURCE_FQDN},
    {"md5", ERMES_F_MALWARE_HASH_MD5},
    {"sha1", ERMES_F_MALWARE_HASH_SHA1},
    {"sha256", ERMES_F_MALWARE_HASH_SHA256},
    {"ip-src", ERMES_F_SOURCE_IP},
    {"ip-dst", ERMES_F_SOURCE_IP},
    {"email-src", ERMES_F_SOURCE_ACCOUNT},
    {"url", ERMES_F_SOURCE_URL},
};

typedef struct misp {
    ermes__fp_feed_t feed;
    const char *data;
    size_t len;
    json_t *root;
    json_t *events;     /* array of event objects (owned by root or made here) */
    size_t event_index; /* the event being read */
    json_t *attributes; /* its attributes, objects' included (owned here) */
    size_t attr_index;
    const char *type;  /* its classification, or NULL */
    char malware[256]; /* its "Payload type", lower case, or "" */
    char event_url[1200];
    char base_url[1024];
    char raw[16384];
} misp_t;

static void misp_close(void *state)
{
    misp_t *s = state;
    if (!s)
        return;
    json_decref(s->attributes);
    json_decref(s->events);
    json_decref(s->root);
    ermes__free(s);
}

static json_t *unwrap(json_t *e)
{
    json_t *inner = json_object_get(e, "Event");
    return json_is_object(inner) ? inner : e;
}

static int misp_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                     ermes_diag_t *d)
{
    misp_t *s = ermes__calloc(1, sizeof(*s));
    const char *url = ermes__parser_option(info, "misp_url");
    json_error_t err;
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    s->data = data;
    s->len = len;
    if ((rc = ermes__fp_feed_init(&s->feed, info, NULL, NULL, d)))
        goto out;
    if (!url)
        url = s->feed.url;
    if (url)
        snprintf(s->base_url, sizeof(s->base_url), "%s", url);
    s->root = json_loadb(data, len, 0, &err);
    if (!s->root) {
        ermes_diag_set(d, NULL, "not JSON: %s (line %d)", err.text, err.line);
        d->line = err.line;
        rc = ERMES_EPARSE;
        goto out;
    }
    if (json_is_array(s->root)) {
        s->events = json_incref(s->root);
    } else if (json_is_object(s->root)) {
        s->events = json_array();
        if (!s->events || json_array_append(s->events, s->root)) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    } else {
        ermes_diag_set(d, NULL, "not a MISP event: the JSON is no object");
        rc = ERMES_EPARSE;
        goto out;
    }
    *state = s;
    return 0;
out:
    misp_close(s);
    return rc;
}

/* Prepares event i: its attributes, classification, malware name and URL. */
static int load_event(misp_t *s, json_t *e, ermes_diag_t *d)
{
    json_t *list, *a, *o, *tags = json_object_get(e, "Tag"), *id = json_object_get(e, "id");
    size_t i, j;

    json_decref(s->attributes);
    s->attributes = json_array();
    s->attr_index = 0;
    if (!s->attributes)
        return ERMES_ENOMEM;
    list = json_object_get(e, "Attribute");
    json_array_foreach(list, i, a)
    {
        if (json_array_append(s->attributes, a))
            return ERMES_ENOMEM;
    }
    json_array_foreach(json_object_get(e, "Object"), i, o)
    {
        json_array_foreach(json_object_get(o, "Attribute"), j, a)
        {
            if (json_array_append(s->attributes, a))
                return ERMES_ENOMEM;
        }
    }
    s->type = NULL;
    json_array_foreach(tags, i, a)
    {
        const char *name = json_string_value(json_object_get(a, "name"));
        for (j = 0; name && !s->type && j < sizeof(tag_types) / sizeof(tag_types[0]); j++)
            if (strcmp(name, tag_types[j][0]) == 0)
                s->type = tag_types[j][1];
        if (s->type)
            break;
    }
    s->malware[0] = '\0';
    json_array_foreach(s->attributes, i, a)
    {
        const char *cat = json_string_value(json_object_get(a, "category"));
        const char *v = json_string_value(json_object_get(a, "value"));
        if (cat && v && strcmp(cat, "Payload type") == 0) {
            size_t n = 0;
            for (; v[n] && n < sizeof(s->malware) - 1; n++)
                s->malware[n] = (char)(v[n] >= 'A' && v[n] <= 'Z' ? v[n] + 32 : v[n]);
            s->malware[n] = '\0';
        }
    }
    s->event_url[0] = '\0';
    if (s->base_url[0] && (json_is_string(id) || json_is_integer(id))) {
        /* urljoin(base, "events/view/<id>"): relative to the base's directory. */
        const char *b = s->base_url, *host = strstr(b, "://"), *slash;
        size_t keep = strlen(b);
        char idbuf[32];
        if (json_is_integer(id))
            snprintf(idbuf, sizeof(idbuf), "%lld", (long long)json_integer_value(id));
        else
            snprintf(idbuf, sizeof(idbuf), "%s", json_string_value(id));
        slash = strrchr(host ? host + 3 : b, '/');
        if (slash)
            keep = (size_t)(slash - b) + 1;
        snprintf(s->event_url, sizeof(s->event_url), "%.*s%sevents/view/%s", (int)keep, b,
                 slash ? "" : "/", idbuf);
    }
    (void)d;
    return 0;
}

/* The line an attribute starts on: where its uuid first appears in the report. */
static long attribute_line(misp_t *s, const char *uuid)
{
    const char *p;
    long line = 1;
    size_t n = uuid ? strlen(uuid) : 0;

    if (!n)
        return 1;
    for (p = s->data; p + n <= s->data + s->len; p++) {
        if (*p == '\n')
            line++;
        else if (*p == uuid[0] && memcmp(p, uuid, n) == 0)
            return line;
    }
    return 1;
}

static int attribute_row(misp_t *s, json_t *e, json_t *a, ermes_event_t *ev, ermes_diag_t *d)
{
    const char *cat = json_string_value(json_object_get(a, "category"));
    const char *type = json_string_value(json_object_get(a, "type"));
    json_t *value = json_object_get(a, "value"), *ts = json_object_get(a, "timestamp");
    ermes_field_t field = ERMES_F_COUNT;
    int supported = 0, rc;

    for (size_t i = 0; cat && i < sizeof(categories) / sizeof(categories[0]); i++)
        supported |= strcmp(cat, categories[i]) == 0;
    for (size_t i = 0; type && i < sizeof(attribute_types) / sizeof(attribute_types[0]); i++)
        if (strcmp(type, attribute_types[i].type) == 0)
            field = attribute_types[i].field;
    if (!supported || field == ERMES_F_COUNT)
        return ermes__fp_reject(d,
                                "MISP attribute of category \"%s\", type \"%s\" is no "
                                "indicator this parser maps",
                                cat ? cat : "", type ? type : "");
    if (!json_is_string(value))
        return ermes__fp_reject(d, "MISP attribute without a value");
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_set(ev, field,
                            (ermes__fp_str_t){json_string_value(value), json_string_length(value)},
                            d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_MISP_EVENT_UUID,
                             json_string_value(json_object_get(e, "uuid"))
                                 ? json_string_value(json_object_get(e, "uuid"))
                                 : "",
                             d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_MISP_ATTRIBUTE_UUID,
                             json_string_value(json_object_get(a, "uuid"))
                                 ? json_string_value(json_object_get(a, "uuid"))
                                 : "",
                             d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, cat, d)))
        return rc;
    if (json_is_string(json_object_get(a, "comment")) &&
        (rc = ermes__fp_setc(ev, ERMES_F_COMMENT, json_string_value(json_object_get(a, "comment")),
                             d)))
        return rc;
    if (s->event_url[0] &&
        (rc = ermes__fp_setc(ev, ERMES_F_EVENT_DESCRIPTION_URL, s->event_url, d)))
        return rc;
    if (s->malware[0])
        ermes__fp_try(ev, ERMES_F_MALWARE_NAME, (ermes__fp_str_t){s->malware, strlen(s->malware)});
    if (s->type && (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, s->type, d)))
        return rc;
    if (json_is_string(ts))
        rc =
            ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE,
                               (ermes__fp_str_t){json_string_value(ts), json_string_length(ts)}, d);
    else if (json_is_integer(ts)) {
        char t[48];
        rc = ermes_event_set(ev, ERMES_F_TIME_SOURCE, t,
                             ermes__fp_format_time(json_integer_value(ts), 0, t), d);
    }
    return rc;
}

static int misp_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    misp_t *s = state;
    int rc;

    for (;;) {
        json_t *e, *a;
        const char *cat;
        size_t n;
        if (!s->attributes || s->attr_index >= json_array_size(s->attributes)) {
            if (s->event_index >= json_array_size(s->events))
                return 0;
            if ((rc = load_event(s, unwrap(json_array_get(s->events, s->event_index++)), d)))
                return rc;
            continue;
        }
        e = unwrap(json_array_get(s->events, s->event_index - 1));
        a = json_array_get(s->attributes, s->attr_index++);
        cat = json_string_value(json_object_get(a, "category"));
        /* The malware name, read with the event: not an indicator of its own. */
        if (cat && strcmp(cat, "Payload type") == 0)
            continue;
        n = json_dumpb(a, s->raw, sizeof(s->raw), JSON_COMPACT | JSON_SORT_KEYS);
        row->line = attribute_line(s, json_string_value(json_object_get(a, "uuid")));
        row->raw = s->raw;
        row->raw_len = n < sizeof(s->raw) ? n : sizeof(s->raw);
        d->line = row->line;
        if (!json_is_object(a))
            return ermes__fp_reject(d, "MISP attribute is not a JSON object");
        rc = attribute_row(s, e, a, ev, d);
        return rc ? rc : 1;
    }
}

const ermes__parser_def_t ermes__parser_misp_event = {
    "misp-event", "A MISP event (JSON); option misp_url= for links to it", misp_open, misp_next,
    misp_close};
