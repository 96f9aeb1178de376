/* libFuzzer target for collectors stored in the database (src/intake/collect_db.c): the JSON
 * object POST /api/v1/collectors takes ({"name", "preset", "value", "url", "feed", "interval",
 * "options", "headers", "content", "tlp", "enabled"}) made into a row as the handler does and
 * built into a definition through the config file's checks. A refusal names a field and says
 * why; a definition built has the row's name, a URL of http(s) and a feed, and its credentials
 * are never in ermes__collector_json's answer. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "intake/collect.h"
#include "intake/presets.h"
#include "store/store.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_collector_def: %s\n", what);
    abort();
}

static char *text_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_string(v) ? ermes__strdup(json_string_value(v)) : NULL;
}

static char *list_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_array(v) ? json_dumps(v, JSON_COMPACT) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *o = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, NULL), *v;
    ermes__collector_def_t row;
    ermes__collector_state_t s;
    ermes__config_t cfg;
    ermes_diag_t d;
    char *opts, *hdrs;
    int rc;

    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    memset(&row, 0, sizeof(row));
    memset(&cfg, 0, sizeof(cfg));
    if (json_is_string(v = json_object_get(o, "name")))
        snprintf(row.name, sizeof(row.name), "%s", json_string_value(v));
    if (json_is_string(v = json_object_get(o, "tlp")))
        snprintf(row.tlp, sizeof(row.tlp), "%s", json_string_value(v));
    row.preset = text_of(o, "preset");
    row.value = text_of(o, "value");
    row.url = text_of(o, "url");
    row.feed = text_of(o, "feed");
    row.content = text_of(o, "content");
    /* json_dumps allocates with malloc: copied so that the row owns ermes__ memory. */
    opts = list_of(o, "options");
    hdrs = list_of(o, "headers");
    row.options = opts ? ermes__strdup(opts) : NULL;
    row.headers = hdrs ? ermes__strdup(hdrs) : NULL;
    free(opts);
    free(hdrs);
    if (json_is_integer(v = json_object_get(o, "interval")) && json_integer_value(v) > 0 &&
        json_integer_value(v) <= 30L * 86400)
        row.interval = (long)json_integer_value(v);
    row.enabled = !json_is_false(json_object_get(o, "enabled"));
    ermes_diag_clear(&d);
    rc = ermes__collector_def_build(&row, &cfg, &d);
    if (rc) {
        check(d.reason[0] != '\0', "a refusal without a reason");
        check(d.field[0] != '\0', "a refusal without a field");
    } else {
        const ermes__collector_conf_t *c = &cfg.collectors[0];
        json_t *j;
        char *text;
        check(cfg.ncollectors == 1, "not one collector built");
        check(strcmp(c->name, row.name) == 0, "the name changed");
        check(c->url && (strncasecmp(c->url, "http://", 7) == 0 ||
                         strncasecmp(c->url, "https://", 8) == 0),
              "a URL that is not http(s)");
        check(c->feed && c->feed[0], "no feed");
        memset(&s, 0, sizeof(s));
        j = ermes__collector_json(c, &s, &row, 60);
        check(j != NULL, "no JSON");
        text = json_dumps(j, JSON_COMPACT);
        /* A value of a few characters may be found by chance (in the feed's name, say); an
         * AS number is no secret; nor is a value the caller also chose as the collector's
         * name, which the answer names. */
        check(!text || !row.value || strlen(row.value) < 12 ||
                  ermes__preset_find(row.preset)->needs == ERMES_PRESET_NEEDS_ASN ||
                  strstr(row.name, row.value) || !strstr(text, row.value),
              "the preset's value in the answer");
        free(text);
        json_decref(j);
    }
    ermes__collector_conf_cleanup(&cfg);
    ermes__store_collector_def_clear(&row);
    json_decref(o);
    return 0;
}
