/* Collectors stored in the database (collect.h): a row (src/store/collector_defs.c) becomes
 * the same definition a config file's section makes, through the same key checks
 * (src/core/collector_conf.c) and the same whole checks (ermes__collector_check), so an
 * administrator cannot store what the config file would refuse. */
#include "intake/collect.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "intake/presets.h"

#define SECTION_CAP 16384

/* The API's name of a config key, for the field an error names. */
static const char *field_of(const char *key)
{
    if (strcmp(key, "option") == 0)
        return "options";
    if (strcmp(key, "header") == 0)
        return "headers";
    return key;
}

static int set(ermes__config_t *cfg, const char *name, const char *key, const char *value,
               ermes_diag_t *d)
{
    int rc = ermes__collector_conf_set(cfg, name, key, value, d);

    if (rc && d)
        snprintf(d->field, sizeof(d->field), "%s", field_of(key));
    return rc;
}

/* Each string of the JSON array text as key's value. */
static int set_list(ermes__config_t *cfg, const char *name, const char *key, const char *text,
                    ermes_diag_t *d)
{
    json_t *a = json_loads(text, 0, NULL), *v;
    size_t k;
    int rc = 0;

    if (!json_is_array(a)) {
        json_decref(a);
        ermes_diag_set(d, field_of(key), "%s must be an array of strings", field_of(key));
        return ERMES_EINVAL;
    }
    json_array_foreach(a, k, v)
    {
        if (!json_is_string(v)) {
            ermes_diag_set(d, field_of(key), "%s must be an array of strings", field_of(key));
            rc = ERMES_EINVAL;
            break;
        }
        if ((rc = set(cfg, name, key, json_string_value(v), d)))
            break;
    }
    json_decref(a);
    return rc;
}

/* The preset's section lines ("key = value"), but those the row gives itself. */
static int preset_lines(const ermes__collector_def_t *row, ermes__config_t *cfg, ermes_diag_t *d)
{
    const ermes__preset_t *p = ermes__preset_find(row->preset);
    char *text = ermes__calloc(1, SECTION_CAP), *line, *next;
    int rc;

    if (!p) {
        ermes__free(text);
        ermes_diag_set(d, "preset", "no preset \"%.64s\" in the feed catalogue", row->preset);
        return ERMES_EINVAL;
    }
    if (!text)
        return ERMES_ENOMEM;
    if ((rc = ermes__preset_section(p, row->name, row->value, text, SECTION_CAP, d))) {
        if (rc == ERMES_ERANGE)
            ermes_diag_set(d, "value", "value is too long");
        goto out;
    }
    for (line = text; line && *line; line = next) {
        char *eq;
        const char *key;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!line[0] || line[0] == '#' || line[0] == '[' || !(eq = strstr(line, " = ")))
            continue;
        *eq = '\0';
        key = line;
        if ((!strcmp(key, "url") && row->url) || (!strcmp(key, "feed") && row->feed) ||
            (!strcmp(key, "interval") && row->interval) ||
            (!strcmp(key, "option") && row->options) || (!strcmp(key, "header") && row->headers) ||
            (!strcmp(key, "content") && row->content))
            continue;
        if ((rc = set(cfg, row->name, key, eq + 3, d)))
            break;
    }
out:
    memset(text, 0, SECTION_CAP); /* it held the value */
    ermes__free(text);
    return rc;
}

int ermes__collector_def_build(const ermes__collector_def_t *row, ermes__config_t *cfg,
                               ermes_diag_t *d)
{
    const ermes__collector_conf_t *def;
    ermes__config_t one;
    char num[32];
    int rc;

    /* Built alone, then checked alone: another collector of cfg is not this one's fault. */
    memset(&one, 0, sizeof(one));
    if (!row->name[0] || strlen(row->name) >= 64 ||
        strspn(row->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
            strlen(row->name)) {
        ermes_diag_set(d, "name", "a collector name is 1 to 63 letters, digits, '-', '_', '.'");
        return ERMES_EINVAL;
    }
    if (row->preset) {
        if ((rc = preset_lines(row, &one, d)))
            goto out;
    } else if (row->value) {
        ermes_diag_set(d, "value",
                       "value is what a preset needs; without a preset, give "
                       "headers");
        rc = ERMES_EINVAL;
        goto out;
    }
    if ((row->url && (rc = set(&one, row->name, "url", row->url, d))) ||
        (row->feed && (rc = set(&one, row->name, "feed", row->feed, d))) ||
        (row->content && (rc = set(&one, row->name, "content", row->content, d))))
        goto out;
    snprintf(num, sizeof(num), "%ld", row->interval);
    if ((row->interval && (rc = set(&one, row->name, "interval", num, d))) ||
        (row->options && (rc = set_list(&one, row->name, "option", row->options, d))) ||
        (row->headers && (rc = set_list(&one, row->name, "header", row->headers, d))) ||
        (row->tlp[0] && (rc = set(&one, row->name, "tlp", row->tlp, d))) ||
        (rc = set(&one, row->name, "enabled", row->enabled ? "true" : "false", d)))
        goto out;
    if ((rc = ermes__collector_conf_check(&one, d)) ||
        (rc = ermes__collector_check(&one.collectors[0], d)))
        goto out;
    /* Moved into cfg whole: its strings change owner. */
    def = &one.collectors[0];
    {
        ermes__collector_conf_t *v =
            ermes__reallocarray(cfg->collectors, cfg->ncollectors + 1, sizeof(*v));
        if (!v) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        cfg->collectors = v;
        cfg->collectors[cfg->ncollectors++] = *def;
        ermes__free(one.collectors);
        return 0;
    }
out:
    ermes__collector_conf_cleanup(&one);
    return rc;
}

/* Replaces each occurrence of the n bytes at piece in text (cap bytes) by "(credential)". */
static void redact_piece(char *text, size_t cap, const char *piece, size_t n)
{
    static const char mark[] = "(credential)";
    char *at;

    if (n < 4)
        return; /* too short to be a credential, and would hit anything */
    for (at = text; *at && strncmp(at, piece, n) != 0; at++)
        ;
    while (*at) {
        size_t tail = strlen(at + n);
        if ((size_t)(at - text) + sizeof(mark) - 1 + tail >= cap) {
            snprintf(text, cap, "%s", mark); /* no room: none of it shown */
            return;
        }
        memmove(at + sizeof(mark) - 1, at + n, tail + 1);
        memcpy(at, mark, sizeof(mark) - 1);
        for (at += sizeof(mark) - 1; *at && strncmp(at, piece, n) != 0; at++)
            ;
    }
}

/* A preset's value may be written into its URL (PhishTank's key is a path segment): the URL
 * shown has it replaced, and the parts of a KEY:SECRET or user:password, and a container URL's
 * SAS token. An AS number is no secret. */
static void redact(char *url, size_t cap, const ermes__collector_def_t *row)
{
    const ermes__preset_t *p = row->preset ? ermes__preset_find(row->preset) : NULL;
    const char *v = row->value, *cut;

    if (!v || !p || p->needs == ERMES_PRESET_NEEDS_ASN)
        return;
    redact_piece(url, cap, v, strlen(v));
    if (p->needs == ERMES_PRESET_NEEDS_CONTAINER_URL) {
        if ((cut = strchr(v, '?')))
            redact_piece(url, cap, cut + 1, strlen(cut + 1));
        return;
    }
    if ((cut = strchr(v, ':'))) {
        redact_piece(url, cap, v, (size_t)(cut - v));
        redact_piece(url, cap, cut + 1, strlen(cut + 1));
    }
}

json_t *ermes__collector_json(const ermes__collector_conf_t *def, const ermes__collector_state_t *s,
                              const ermes__collector_def_t *row, long min_interval)
{
    json_t *j = ermes__collector_to_json(def, s, min_interval);

    if (!j)
        return NULL;
    if (row && row->value && json_is_string(json_object_get(j, "url"))) {
        char url[2048];
        snprintf(url, sizeof(url), "%s", json_string_value(json_object_get(j, "url")));
        redact(url, sizeof(url), row);
        json_object_set_new(j, "url", json_string(url));
    }
    /* Whether credentials are set, never what they are. */
    if (json_object_set_new(j, "source", json_string(row ? "database" : "config")) ||
        json_object_set_new(j, "tlp",
                            row           ? json_string(row->tlp)
                            : def->tlp[0] ? json_string(def->tlp)
                                          : json_null()) ||
        json_object_set_new(j, "preset",
                            row && row->preset ? json_string(row->preset) : json_null()) ||
        json_object_set_new(j, "credentials",
                            json_boolean(row ? row->value || row->headers
                                             : def->nheaders > 0 || def->secret != NULL))) {
        json_decref(j);
        return NULL;
    }
    if (row) {
        char buf[ERMES_TIME_STRLEN];
        ermes__time_format(row->created_at, buf);
        json_object_set_new(j, "created_at", json_string(buf));
        ermes__time_format(row->updated_at, buf);
        json_object_set_new(j, "updated_at", json_string(buf));
        json_object_set_new(j, "created_by", json_string(row->created_by));
        /* The stored options are shown (they are a parser's settings, no secret). */
        json_object_set_new(j, "options",
                            row->options ? json_loads(row->options, 0, NULL) : json_null());
        if (!def->url[0] || !def->feed[0])
            json_object_set_new(j, "definition_error",
                                json_string("the stored definition no longer makes a valid "
                                            "collector (its preset is gone?): edit or delete it"));
    }
    return j;
}
