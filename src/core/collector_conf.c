/* Collector sections of the config file: [collector "NAME"] (git's style) or [collector.NAME],
 * each one feed fetched over HTTP(S) on a schedule. The keys are checked here, where the file
 * is read, so a mistake is reported with the file's name before the daemon starts; whether
 * the feed names a parser is checked by the collector itself (src/intake/collect.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/config.h"
#include "ermes/tlp.h"

#define MAX_COLLECTORS 256
#define MAX_VALUE 4096

static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
}

int ermes__collector_section(const char *section, char *name, size_t cap)
{
    const char *p, *end;
    size_t n;

    if (strncmp(section, "collector", 9) != 0)
        return 0;
    p = section + 9;
    if (*p == '.') {
        p++;
        end = p + strlen(p);
    } else if (*p == ' ' || *p == '\t') {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '"')
            return -1;
        p++;
        end = strchr(p, '"');
        if (!end || end[1] != '\0')
            return -1;
    } else {
        return 0; /* [collectors], [collectorX]: not ours, the caller refuses it */
    }
    n = (size_t)(end - p);
    if (n == 0 || n >= cap)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (!name_char(p[k]))
            return -1;
    memcpy(name, p, n);
    name[n] = '\0';
    return 1;
}

const ermes__collector_conf_t *ermes__collector_conf_find(const ermes__config_t *cfg,
                                                          const char *name)
{
    for (size_t k = 0; k < cfg->ncollectors; k++)
        if (strcmp(cfg->collectors[k].name, name) == 0)
            return &cfg->collectors[k];
    return NULL;
}

static int get_or_add(ermes__config_t *cfg, const char *name, ermes__collector_conf_t **out,
                      ermes_diag_t *d)
{
    ermes__collector_conf_t *c = (ermes__collector_conf_t *)ermes__collector_conf_find(cfg, name);

    if (c) {
        *out = c;
        return 0;
    }
    if (cfg->ncollectors >= MAX_COLLECTORS) {
        ermes_diag_set(d, NULL, "at most %d collectors", MAX_COLLECTORS);
        return ERMES_ERANGE;
    }
    c = ermes__reallocarray(cfg->collectors, cfg->ncollectors + 1, sizeof(*c));
    if (!c)
        return ERMES_ENOMEM;
    cfg->collectors = c;
    c = &cfg->collectors[cfg->ncollectors++];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->interval = 3600;
    c->timeout = 300;
    c->connect_timeout = 30;
    c->max_size = 64L << 20;
    c->enabled = 1;
    c->max_items = 10000;
    *out = c;
    return 0;
}

/* A whole number with an optional K, M or G suffix (powers of 1024), within [min, max]. */
static int parse_number(const char *cname, const char *key, const char *value, long min, long max,
                        int suffixes, long *out, ermes_diag_t *d)
{
    size_t len = strlen(value);
    long mul = 1;
    int64_t v;

    if (suffixes && len > 1) {
        switch (value[len - 1]) {
        case 'k':
        case 'K':
            mul = 1L << 10;
            break;
        case 'm':
        case 'M':
            mul = 1L << 20;
            break;
        case 'g':
        case 'G':
            mul = 1L << 30;
            break;
        default:
            break;
        }
    }
    if (ermes__parse_int64_n(value, mul > 1 ? len - 1 : len, key, INT64_MIN, INT64_MAX, &v, NULL)) {
        ermes_diag_set(d, key, "collector \"%s\": %s must be a whole number, not \"%.64s\"", cname,
                       key, value);
        return ERMES_EINVAL;
    }
    if (v < min / mul || v > max / mul) {
        ermes_diag_set(d, key, "collector \"%s\": %s must be between %ld and %ld", cname, key, min,
                       max);
        return ERMES_ERANGE;
    }
    *out = (long)v * mul;
    return 0;
}

static int set_string(char **slot, const char *value)
{
    char *copy = ermes__strdup(value);

    if (!copy)
        return ERMES_ENOMEM;
    ermes__free(*slot);
    *slot = copy;
    return 0;
}

/* Header lines go to the server as they are: one line "Name: value", nothing that could end
 * it early (CR, LF) and a token for a name. */
static int header_ok(const char *h)
{
    const char *colon = strchr(h, ':');

    if (!colon || colon == h || strpbrk(h, "\r\n"))
        return 0;
    for (const char *p = h; p < colon; p++)
        if (*p <= ' ' || *p >= 127 || strchr("()<>@,;:\\\"/[]?={}", *p))
            return 0;
    return 1;
}

/* A "key=value" field of a POST body. */
static int add_field(char **slots, size_t *n, const char *cname, const char *key, const char *value,
                     ermes_diag_t *d)
{
    if (!strchr(value, '=') || value[0] == '=' || strpbrk(value, "\r\n")) {
        ermes_diag_set(d, key, "collector \"%s\": %s must be key=value", cname, key);
        return ERMES_EINVAL;
    }
    if (*n >= ERMES_COLLECTOR_MAX_HEADERS) {
        ermes_diag_set(d, key, "collector \"%s\": at most %d %s lines", cname,
                       ERMES_COLLECTOR_MAX_HEADERS, key);
        return ERMES_ERANGE;
    }
    if (!(slots[*n] = ermes__strdup(value)))
        return ERMES_ENOMEM;
    (*n)++;
    return 0;
}

/* The keys of list mode and request signing (collect_list.c). */
static int list_key(ermes__collector_conf_t *c, const char *name, const char *key,
                    const char *value, ermes_diag_t *d)
{
    if (strcmp(key, "list") == 0) {
        if (strcmp(value, "json") == 0)
            c->list = ERMES_COLLECT_LIST_JSON;
        else if (strcmp(value, "azure-blob") == 0)
            c->list = ERMES_COLLECT_LIST_AZURE;
        else if (strcmp(value, "none") == 0)
            c->list = ERMES_COLLECT_LIST_NONE;
        else {
            ermes_diag_set(d, key, "collector \"%s\": list must be json, azure-blob or none", name);
            return ERMES_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "list_items") == 0 || strcmp(key, "item_id") == 0 ||
        strcmp(key, "item_file") == 0) {
        char **slot = key[0] == 'l' ? &c->list_items : key[5] == 'i' ? &c->item_id : &c->item_file;
        if (strlen(value) >= 128 || strpbrk(value, " \t\r\n")) {
            ermes_diag_set(d, key, "collector \"%s\": %s is a field name", name, key);
            return ERMES_EINVAL;
        }
        return set_string(slot, value);
    }
    if (strcmp(key, "download_url") == 0) {
        if (strncasecmp(value, "http://", 7) != 0 && strncasecmp(value, "https://", 8) != 0) {
            ermes_diag_set(d, key,
                           "collector \"%s\": download_url must start with http:// or "
                           "https://",
                           name);
            return ERMES_EINVAL;
        }
        if (strpbrk(value, " \t\r\n")) {
            ermes_diag_set(d, key, "collector \"%s\": download_url has white space", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->download_url, value);
    }
    if (strcmp(key, "max_items") == 0)
        return parse_number(name, key, value, 1, 1000000, 0, &c->max_items, d);
    if (strcmp(key, "post") == 0)
        return add_field(c->post, &c->npost, name, key, value, d);
    if (strcmp(key, "download_post") == 0)
        return add_field(c->download_post, &c->ndownload_post, name, key, value, d);
    if (strcmp(key, "sign_header") == 0) {
        char h[80];
        if (strlen(value) >= 64 || snprintf(h, sizeof(h), "%.63s: x", value) < 0 || !header_ok(h)) {
            ermes_diag_set(d, key, "collector \"%s\": sign_header must be a header name", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->sign_header, value);
    }
    if (strcmp(key, "secret") == 0) {
        if (!value[0]) {
            ermes_diag_set(d, key, "collector \"%s\": secret is empty", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->secret, value);
    }
    ermes_diag_set(d, key, "collector \"%s\": unknown key \"%.64s\"", name, key);
    return ERMES_ENOTFOUND;
}

int ermes__collector_conf_set(ermes__config_t *cfg, const char *name, const char *key,
                              const char *value, ermes_diag_t *d)
{
    ermes__collector_conf_t *c;
    int rc;

    if ((rc = get_or_add(cfg, name, &c, d)))
        return rc;
    if (strlen(value) > MAX_VALUE) {
        ermes_diag_set(d, key, "collector \"%s\": %s is longer than %d bytes", name, key,
                       MAX_VALUE);
        return ERMES_ERANGE;
    }
    if (strcmp(key, "url") == 0) {
        if (strncasecmp(value, "http://", 7) != 0 && strncasecmp(value, "https://", 8) != 0) {
            ermes_diag_set(d, key, "collector \"%s\": url must start with http:// or https://",
                           name);
            return ERMES_EINVAL;
        }
        if (strpbrk(value, " \t\r\n")) {
            ermes_diag_set(d, key, "collector \"%s\": url has white space", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->url, value);
    }
    if (strcmp(key, "feed") == 0) {
        if (!value[0] || strlen(value) >= 64) {
            ermes_diag_set(d, key, "collector \"%s\": feed must name a parser", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->feed, value);
    }
    if (strcmp(key, "file_name") == 0) {
        if (!value[0] || strchr(value, '/') || strlen(value) >= 256) {
            ermes_diag_set(d, key, "collector \"%s\": file_name must be a file name", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->file_name, value);
    }
    if (strcmp(key, "interval") == 0)
        return parse_number(name, key, value, 1, 30L * 86400, 0, &c->interval, d);
    if (strcmp(key, "timeout") == 0)
        return parse_number(name, key, value, 1, 86400, 0, &c->timeout, d);
    if (strcmp(key, "connect_timeout") == 0)
        return parse_number(name, key, value, 1, 600, 0, &c->connect_timeout, d);
    if (strcmp(key, "max_size") == 0)
        return parse_number(name, key, value, 1, 1L << 40, 1, &c->max_size, d);
    if (strcmp(key, "enabled") == 0) {
        if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1") ||
            !strcmp(value, "on"))
            c->enabled = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0") ||
                 !strcmp(value, "off"))
            c->enabled = 0;
        else {
            ermes_diag_set(d, key, "collector \"%s\": enabled must be true or false", name);
            return ERMES_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "tlp") == 0) {
        ermes_tlp_t t;
        if (ermes_tlp_parse(value, strlen(value), &t)) {
            ermes_diag_set(d, key,
                           "collector \"%s\": tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or "
                           "RED",
                           name);
            return ERMES_EINVAL;
        }
        snprintf(c->tlp, sizeof(c->tlp), "%s", ermes_tlp_name(t));
        return 0;
    }
    if (strcmp(key, "content") == 0) {
        if (strcmp(value, "gzip") != 0 && strcmp(value, "raw") != 0) {
            ermes_diag_set(d, key, "collector \"%s\": content must be raw or gzip", name);
            return ERMES_EINVAL;
        }
        c->gzip = strcmp(value, "gzip") == 0;
        return 0;
    }
    if (strcmp(key, "header") == 0) {
        if (!header_ok(value)) {
            ermes_diag_set(d, key, "collector \"%s\": header must be one line \"Name: value\"",
                           name);
            return ERMES_EINVAL;
        }
        if (c->nheaders >= ERMES_COLLECTOR_MAX_HEADERS) {
            ermes_diag_set(d, key, "collector \"%s\": at most %d header lines", name,
                           ERMES_COLLECTOR_MAX_HEADERS);
            return ERMES_ERANGE;
        }
        if (!(c->headers[c->nheaders] = ermes__strdup(value)))
            return ERMES_ENOMEM;
        c->nheaders++;
        return 0;
    }
    if (strcmp(key, "option") == 0) {
        if (!strchr(value, '=') || value[0] == '=' || strlen(value) > 512) {
            ermes_diag_set(d, key, "collector \"%s\": option must be key=value", name);
            return ERMES_EINVAL;
        }
        if (c->noptions >= ERMES_COLLECTOR_MAX_OPTIONS) {
            ermes_diag_set(d, key, "collector \"%s\": at most %d options", name,
                           ERMES_COLLECTOR_MAX_OPTIONS);
            return ERMES_ERANGE;
        }
        if (!(c->options[c->noptions] = ermes__strdup(value)))
            return ERMES_ENOMEM;
        c->noptions++;
        return 0;
    }
    return list_key(c, name, key, value, d);
}

int ermes__collector_conf_check(const ermes__config_t *cfg, ermes_diag_t *d)
{
    for (size_t k = 0; k < cfg->ncollectors; k++) {
        const ermes__collector_conf_t *c = &cfg->collectors[k];
        if (!c->url || !c->feed) {
            ermes_diag_set(d, !c->url ? "url" : "feed", "collector \"%s\" has no %s", c->name,
                           !c->url ? "url" : "feed");
            return ERMES_ECONFIG;
        }
        if (c->sign_header && !c->secret) {
            ermes_diag_set(d, "secret", "collector \"%s\": sign_header needs a secret", c->name);
            return ERMES_ECONFIG;
        }
        if (c->list == ERMES_COLLECT_LIST_JSON && (!c->item_id || !c->download_url)) {
            ermes_diag_set(d, !c->item_id ? "item_id" : "download_url",
                           "collector \"%s\": list = json needs item_id and download_url", c->name);
            return ERMES_ECONFIG;
        }
    }
    return 0;
}

void ermes__collector_conf_cleanup(ermes__config_t *cfg)
{
    for (size_t k = 0; k < cfg->ncollectors; k++) {
        ermes__collector_conf_t *c = &cfg->collectors[k];
        ermes__free(c->url);
        ermes__free(c->feed);
        ermes__free(c->file_name);
        for (size_t i = 0; i < c->nheaders; i++)
            ermes__free(c->headers[i]);
        for (size_t i = 0; i < c->noptions; i++)
            ermes__free(c->options[i]);
        for (size_t i = 0; i < c->npost; i++)
            ermes__free(c->post[i]);
        for (size_t i = 0; i < c->ndownload_post; i++)
            ermes__free(c->download_post[i]);
        ermes__free(c->list_items);
        ermes__free(c->item_id);
        ermes__free(c->item_file);
        ermes__free(c->download_url);
        ermes__free(c->sign_header);
        if (c->secret)
            memset(c->secret, 0, strlen(c->secret));
        ermes__free(c->secret);
    }
    ermes__free(cfg->collectors);
    cfg->collectors = NULL;
    cfg->ncollectors = 0;
}
