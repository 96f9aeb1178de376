/* The generic JSON parser: JSON objects, one per line, or a JSON array of them (or a single
 * object), each object a row. Nested objects are flattened with '.' ("SourceIpInfo.City").
 * Options:
 *   map.<key>=<field>   the field a key's value goes to ("map.ip=source.ip",
 *                       "map.geo.cc=source.geolocation.cc"); <field> may be extra.<name> or
 *                       __IGNORE__.
 *   unmapped=extra      what happens to other keys: extra (kept as extra.<key>), ignore, or
 *                       reject (the row fails, as IntelMQ's JSON parser does).
 *   type=               classification.type of rows that set none.
 * Without map options, keys that are IntelMQ field names map to themselves (IntelMQ's own JSON
 * events: "__type" and "raw" are skipped), so exported IntelMQ events read back as they were. */
#include "intake/parsers/feedparse.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define MAX_MAP 256
#define VALUE_CAP 65536

enum { UNMAPPED_EXTRA, UNMAPPED_IGNORE, UNMAPPED_REJECT };
enum { MODE_LINES, MODE_ARRAY, MODE_SINGLE };

typedef struct map_entry {
    char *key;
    char *field;
} map_entry_t;

typedef struct generic_json {
    ermes__fp_feed_t feed;
    int mode;
    ermes__fp_lines_t lines;
    ermes__fp_jsonarr_t elems;
    ermes__fp_str_t single;
    int single_done;
    map_entry_t map[MAX_MAP];
    size_t nmap;
    int unmapped;
    char type[64];
    char value[VALUE_CAP];
} generic_json_t;

static void gj_close(void *state)
{
    generic_json_t *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->nmap; i++) {
        ermes__free(s->map[i].key);
        ermes__free(s->map[i].field);
    }
    ermes__free(s);
}

static int gj_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                   ermes_diag_t *d)
{
    generic_json_t *s = ermes__calloc(1, sizeof(*s));
    const char *v;
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    if ((rc = ermes__fp_feed_init(&s->feed, info, NULL, NULL, d)))
        goto out;
    rc = ERMES_EINVAL;
    for (const char *const *o = info->options; o && *o; o++) {
        const char *eq = strchr(*o, '=');
        ermes_field_t f;
        if (strncmp(*o, "map.", 4) != 0 || !eq)
            continue;
        if (s->nmap == MAX_MAP) {
            ermes_diag_set(d, "map", "more than %d map. options", MAX_MAP);
            goto out;
        }
        f = ermes_field_lookup(eq + 1, strlen(eq + 1));
        if (f == ERMES_F_COUNT && strncmp(eq + 1, "extra.", 6) && strcmp(eq + 1, "__IGNORE__")) {
            ermes_diag_set(d, *o, "%s: \"%s\" is not a field", *o, eq + 1);
            goto out;
        }
        s->map[s->nmap].key = ermes__strndup(*o + 4, (size_t)(eq - *o - 4));
        s->map[s->nmap].field = ermes__strdup(eq + 1);
        s->nmap++;
        if (!s->map[s->nmap - 1].key || !s->map[s->nmap - 1].field) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    s->unmapped = UNMAPPED_EXTRA;
    if ((v = ermes__parser_option(info, "unmapped"))) {
        if (!strcmp(v, "extra"))
            s->unmapped = UNMAPPED_EXTRA;
        else if (!strcmp(v, "ignore"))
            s->unmapped = UNMAPPED_IGNORE;
        else if (!strcmp(v, "reject"))
            s->unmapped = UNMAPPED_REJECT;
        else {
            ermes_diag_set(d, "unmapped", "unmapped must be extra, ignore or reject");
            goto out;
        }
    }
    if ((v = ermes__parser_option(info, "type")) && *v)
        snprintf(s->type, sizeof(s->type), "%s", v);

    if (ermes__fp_starts_with_char(data, len, '[')) {
        s->mode = MODE_ARRAY;
        ermes__fp_jsonarr_init(&s->elems, data, len);
    } else {
        /* One object over several lines, or one object per line. */
        json_t *whole =
            ermes__fp_starts_with_char(data, len, '{') ? json_loadb(data, len, 0, NULL) : NULL;
        if (json_is_object(whole) && memchr(data, '\n', len)) {
            s->mode = MODE_SINGLE;
            s->single.p = data;
            s->single.len = len;
        } else {
            s->mode = MODE_LINES;
            ermes__fp_lines_init(&s->lines, data, len);
        }
        json_decref(whole);
    }
    *state = s;
    return 0;
out:
    gj_close(s);
    return rc;
}

/* Sets one flattened key's value. */
static int put(generic_json_t *s, const char *key, const json_t *v, ermes_event_t *ev,
               ermes_diag_t *d)
{
    const char *field = NULL;
    char extra[300];
    ermes__fp_str_t t;
    ermes_extra_type_t type;
    ermes_field_t f;
    int rc;

    if (s->nmap) {
        for (size_t i = 0; i < s->nmap; i++)
            if (strcmp(s->map[i].key, key) == 0)
                field = s->map[i].field;
    } else if (strcmp(key, "__type") == 0 || strcmp(key, "raw") == 0) {
        return 0;
    } else if (strncmp(key, "extra.", 6) == 0 ||
               ermes_field_lookup(key, strlen(key)) != ERMES_F_COUNT) {
        field = key;
    }
    if (!field) {
        if (s->unmapped == UNMAPPED_IGNORE)
            return 0;
        if (s->unmapped == UNMAPPED_REJECT)
            return ermes__fp_reject(d, "key \"%s\" maps to no field", key);
        snprintf(extra, sizeof(extra), "extra.%s", key);
        field = extra;
    }
    if (strcmp(field, "__IGNORE__") == 0)
        return 0;
    rc = ermes__fp_json_text(v, s->value, sizeof(s->value), &t, &type);
    if (rc <= 0)
        return rc == 0 ? 0 : ermes__fp_reject(d, "%s: value too long", key);
    if (strncmp(field, "extra.", 6) == 0) {
        if (type == ERMES_EXTRA_STRING && ermes__fp_is_none(t))
            return 0;
        return ermes_event_set_extra(ev, field + 6, strlen(field + 6), t.p, t.len, type, d);
    }
    f = ermes_field_lookup(field, strlen(field));
    if (f == ERMES_F_TIME_SOURCE || f == ERMES_F_TIME_OBSERVATION)
        return ermes__fp_set_time(ev, f, t, d);
    return ermes__fp_set(ev, f, t, d);
}

static int put_object(generic_json_t *s, const char *prefix, json_t *o, ermes_event_t *ev,
                      ermes_diag_t *d)
{
    const char *key;
    json_t *v;
    char full[256];
    int rc;

    json_object_foreach(o, key, v)
    {
        int n =
            snprintf(full, sizeof(full), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
        if (n < 0 || (size_t)n >= sizeof(full))
            return ermes__fp_reject(d, "key \"%.40s...\" is too long", full);
        /* A nested object is flattened, unless the mapping takes it whole. */
        if (json_is_object(v)) {
            int whole = 0;
            for (size_t i = 0; i < s->nmap; i++)
                whole |= strcmp(s->map[i].key, full) == 0;
            if (!whole) {
                if ((rc = put_object(s, full, v, ev, d)))
                    return rc;
                continue;
            }
        }
        if ((rc = put(s, full, v, ev, d)))
            return rc;
    }
    return 0;
}

static int gj_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    generic_json_t *s = state;
    ermes__fp_str_t text;
    json_error_t err;
    json_t *o;
    long line = 1;
    int rc;

    if (s->mode == MODE_ARRAY) {
        rc = ermes__fp_jsonarr_next(&s->elems, &text, &line);
        if (rc == 0)
            return 0;
        ermes__fp_row(row, d, line, text);
        if (rc < 0)
            return ermes__fp_reject(d, "JSON array is cut off or malformed");
    } else if (s->mode == MODE_SINGLE) {
        if (s->single_done)
            return 0;
        s->single_done = 1;
        text = s->single;
        ermes__fp_row(row, d, 1, text);
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
    if (!json_is_object(o)) {
        json_decref(o);
        return ermes__fp_reject(d, "not a JSON object");
    }
    rc = ermes__fp_feed_apply(&s->feed, ev, d);
    if (!rc)
        rc = put_object(s, NULL, o, ev, d);
    json_decref(o);
    if (!rc && s->type[0] && !ermes_event_get(ev, ERMES_F_CLASSIFICATION_TYPE, NULL))
        rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, s->type, d);
    return rc ? rc : 1;
}

const ermes__parser_def_t ermes__parser_generic_json = {
    "generic-json", "JSON objects (one per line, or an array) with a field mapping (map.<key>=)",
    gj_open, gj_next, gj_close};
