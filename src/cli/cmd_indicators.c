/* ermes indicators (add, import, list, show, delete) and ermes sightings: the store's
 * indicators of compromise and where they were seen. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "indicators/warninglists.h"
#include "sightings/sightings.h"

#define MAX_TAGS 32
#define MAX_WARNINGLISTS 16
#define INDICATOR_FILE_MAX ((size_t)1 << 30)
#define MAX_REPORTED 50

static void help(FILE *f)
{
    fprintf(f, "usage: ermes indicators add TYPE VALUE [--tlp TLP] [--exact] [--valid-from TIME]\n"
               "                            [--valid-until TIME] [--confidence 0-100]\n"
               "                            [--source NAME] [--tag TAG]... [--force] [--json]\n"
               "       ermes indicators import FILE|- [--format auto|plain|csv|stix] [--tlp TLP]\n"
               "                            [--source NAME] [--confidence N] [--valid-until TIME]\n"
               "                            [--warninglist FILE]... [--force] [--json]\n"
               "       ermes indicators list [--type T] [--value V] [--source S] [--tag T]\n"
               "                            [--active] [--limit N] [--json]\n"
               "       ermes indicators show ID\n"
               "       ermes indicators delete ID\n\n"
               "Indicators of compromise kept in the database: the daemon matches logs posted to\n"
               "/api/v1/logs against the active ones, and `ermes match --db` does the same on\n"
               "files. TYPE: ipv4 ipv6 cidr domain url md5 sha1 sha256 sha512 email ja3 ja4, or\n"
               "auto to guess. Values are stored canonical; adding a known one updates it. import\n"
               "reads plain lists, CSV with a value column, Zeek intel files and STIX 2.1\n"
               "bundles; every rejected line is reported as FILE:LINE and the exit status is 1,\n"
               "the valid entries being stored. Values on a warninglist in force (the shipped\n"
               "MISP warninglists, DATA_DIR/warninglists/, the warninglists setting and\n"
               "--warninglist; `ermes warninglists` lists them) are reported and not stored,\n"
               "unless --force. Times are RFC 3339.\n");
    cli_usage_settings(f);
}

static void sightings_help(FILE *f)
{
    fprintf(f, "usage: ermes sightings [--indicator ID] [--value V] [--org ORG] [--since TIME]\n"
               "                       [--until TIME] [--sensor NAME] [--group day]\n"
               "                       [--limit N] [--json]\n\n"
               "Where the stored indicators were seen: one line per sighting (indicator, the\n"
               "value observed, field, log and line, event time, constituent), or with\n"
               "--group day the counts per indicator, constituent and day. --json prints one\n"
               "JSON object per line.\n");
    cli_usage_settings(f);
}

static int print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(j);
    if (!s)
        return ERMES_ENOMEM;
    printf("%s\n", s);
    free(s);
    return 0;
}

static int parse_id(const char *s, int64_t *id)
{
    return ermes__parse_int64(s, "id", 1, INT64_MAX, id, NULL) ? -1 : 0;
}

static int parse_time_arg(const char *flag, const char *v, int64_t *out)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes__time_parse(v, strlen(v), out, &d)) {
        cli_error("indicators: %s: %s", flag, d.reason);
        return -1;
    }
    return 0;
}

/* Options common to add and import: the indicator's attributes. Returns the number of
 * arguments used (1 or 2), 0 when argument i is none of them, -1 on a bad value. */
static int attr_flag(cli_t *c, int i, ermes_indicator_t *ind, char *tags, size_t cap)
{
    const char *v;
    int n;

    if ((n = cli_flag(c, i, "--tlp", &v)) > 0) {
        ermes_tlp_t t;
        if (ermes_tlp_parse(v, strlen(v), &t)) {
            cli_error("indicators: --tlp is CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
            return -1;
        }
        ind->tlp = (int)t;
    } else if (n == 0 && (n = cli_flag(c, i, "--confidence", &v)) > 0) {
        long long x;
        if (cli_number("--confidence", v, 0, 100, &x))
            return -1;
        ind->confidence = (int)x;
    } else if (n == 0 && (n = cli_flag(c, i, "--valid-until", &v)) > 0) {
        if (parse_time_arg("--valid-until", v, &ind->valid_until))
            return -1;
    } else if (n == 0 && (n = cli_flag(c, i, "--valid-from", &v)) > 0) {
        if (parse_time_arg("--valid-from", v, &ind->valid_from))
            return -1;
    } else if (n == 0 && (n = cli_flag(c, i, "--source", &v)) > 0) {
        if (strlen(v) > ERMES_INDICATOR_SOURCE_MAX) {
            cli_error("indicators: --source is longer than %d bytes", ERMES_INDICATOR_SOURCE_MAX);
            return -1;
        }
        ind->source = v;
    } else if (n == 0 && tags && (n = cli_flag(c, i, "--tag", &v)) > 0) {
        size_t used = strlen(tags), len = strlen(v);
        if (!len || strchr(v, ',') || used + len + 2 > cap) {
            cli_error("indicators: --tag: a tag is non-empty, without commas, and the tags "
                      "fit in %zu bytes",
                      cap - 1);
            return -1;
        }
        if (used)
            tags[used++] = ',';
        memcpy(tags + used, v, len + 1);
        ind->tags = tags;
    } else if (n == 0 && cli_flag(c, i, "--exact", NULL)) {
        ind->flags |= ERMES_IND_EXACT;
        n = 1;
    }
    return n;
}

static int show_cb(void *ctx, const ermes__indicator_row_t *r)
{
    int json = *(int *)ctx;
    char until[ERMES_TIME_STRLEN] = "-";

    if (json)
        return print_json(ermes__indicator_row_to_json(r));
    if (r->valid_until)
        ermes__time_format(r->valid_until, until);
    printf("%-8lld %-7s %-40s %-12s %-24s %s%s\n", (long long)r->id, cli_safe(r->type),
           cli_safe(r->value), ermes_tlp_name(r->tlp), until,
           r->source[0] ? cli_safe(r->source) : "-", r->exact ? " (exact)" : "");
    return 0;
}

/* Stores set, reports what the warninglists suppressed; audits. */
static int store_set(cli_t *c, ermes_indicator_set_t *set, const char *const *wl_files, int nwl,
                     int force, ermes_tlp_t default_tlp, ermes__ind_import_t *rep)
{
    ermes_warninglist_t **wls = NULL, **more = NULL;
    ermes__wl_catalog_t cat = {0};
    size_t n = 0, nmore = 0;
    ermes_diag_t d;
    char detail[160], ref[32];
    int rc;

    ermes_diag_clear(&d);
    /* The lists in force, as the daemon has them (src/indicators/warninglists.h); --force
     * checks none. */
    if (!force && (rc = ermes__wl_catalog_load(c->cfg.data_dir, c->cfg.warninglists,
                                               c->cfg.warninglists_off, c->store, &cat, &d))) {
        cli_error("indicators: warninglists: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return rc;
    }
    if (cat.nactive) {
        if (!(wls = ermes__calloc(cat.nactive, sizeof(*wls)))) {
            ermes__wl_catalog_free(&cat);
            return ERMES_ENOMEM;
        }
        memcpy(wls, cat.active, cat.nactive * sizeof(*wls));
        n = cat.nactive;
    }
    for (int i = 0; i < nwl; i++) {
        ermes_warninglist_t **one = NULL, **grown;
        size_t k = 0;
        ermes_diag_clear(&d);
        if ((rc = ermes__warninglists_load(wl_files[i], &one, &k, &d))) {
            cli_error("indicators: --warninglist %s: %s", wl_files[i],
                      d.reason[0] ? d.reason : ermes_strerror(rc));
            goto out;
        }
        if (!(grown = ermes__reallocarray(more, nmore + k, sizeof(*more)))) {
            ermes__warninglists_free(one, k);
            rc = ERMES_ENOMEM;
            goto out;
        }
        more = grown;
        memcpy(more + nmore, one, k * sizeof(*one));
        nmore += k;
        ermes__free(one);
    }
    if (nmore) {
        ermes_warninglist_t **all = ermes__reallocarray(wls, n + nmore, sizeof(*wls));
        if (!all) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        wls = all;
        memcpy(wls + n, more, nmore * sizeof(*more));
        n += nmore;
        ermes__free(more);
        more = NULL;
        nmore = 0;
    }
    rep->forced = force;
    rc = ermes__indicators_store(c->store, &c->viewer, set, wls, n, default_tlp, rep);
    if (rc) {
        cli_error("indicators: %s", ermes_strerror(rc));
        goto out;
    }
    for (size_t k = 0; k < rep->nsuppressions; k++)
        cli_error("indicators: warninglist \"%s\" covers %s: not stored",
                  rep->suppressions[k].warninglist, rep->suppressions[k].value);
    if (rep->nids == 1 && rep->rejected == 0) {
        snprintf(ref, sizeof(ref), "%lld", (long long)rep->ids[0]);
        ermes__audit_write(c->store, &c->viewer, rep->added ? "create" : "update", "indicator", ref,
                           NULL);
    } else if (rep->added || rep->updated) {
        snprintf(detail, sizeof(detail),
                 "{\"added\":%zu,\"updated\":%zu,\"rejected\":%zu,\"suppressed\":%zu}", rep->added,
                 rep->updated, rep->rejected, rep->suppressed);
        ermes__audit_write(c->store, &c->viewer, "import", "indicator", NULL, detail);
    }
out:
    /* wls holds the catalog's lists (freed with it) and then the --warninglist ones. */
    for (size_t k = cat.nactive; k < n; k++)
        ermes_warninglist_free(wls[k]);
    ermes__free(wls);
    ermes__warninglists_free(more, nmore);
    ermes__wl_catalog_free(&cat);
    if (!rc && force && rep->nids)
        ermes__audit_write(c->store, &c->viewer, "force", "indicator", NULL,
                           "{\"warninglists\":\"not checked\"}");
    return rc;
}

static int cmd_add(cli_t *c)
{
    const char *type = NULL, *value = NULL;
    ermes_indicator_set_t *set = NULL;
    ermes__ind_import_t rep;
    ermes_indicator_t ind;
    char tags[ERMES_INDICATOR_TAGS_MAX] = "";
    ermes_diag_t d;
    int json = 0, force = 0, n, rc;

    memset(&rep, 0, sizeof(rep));
    ermes_indicator_init(&ind);
    for (int i = 1; i < c->nargs; i += n) {
        if ((n = attr_flag(c, i, &ind, tags, sizeof(tags))) < 0)
            return CLI_USAGE;
        if (n > 0)
            continue;
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if (cli_flag(c, i, "--force", NULL))
            force = 1;
        else if (!type && cli_arg(c, i)[0] != '-')
            type = cli_arg(c, i);
        else if (!value && cli_arg(c, i)[0] != '-')
            value = cli_arg(c, i);
        else {
            cli_error("indicators add: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!type || !value) {
        cli_error("indicators add: give TYPE and VALUE");
        return CLI_USAGE;
    }
    if (strcmp(type, "auto") != 0 &&
        (ind.type = ermes_ind_type_parse(type, strlen(type))) == ERMES_IND_NONE) {
        cli_error("indicators add: unknown type \"%s\"", type);
        return CLI_USAGE;
    }
    ind.value = value;
    ind.len = strlen(value);
    if (ermes_indicator_set_new(&set))
        return CLI_ERROR;
    ermes_diag_clear(&d);
    if ((rc = ermes_indicator_set_add(set, &ind, NULL, &d))) {
        cli_error("indicators add: %s: %s", value, d.reason[0] ? d.reason : ermes_strerror(rc));
        ermes_indicator_set_free(set);
        return CLI_ERROR;
    }
    if ((rc = cli_open_store(c, 0)) == CLI_OK) {
        rc = store_set(c, set, NULL, 0, force, ERMES_TLP_AMBER, &rep) ? CLI_ERROR : CLI_OK;
        if (rc == CLI_OK && rep.nids == 0)
            rc = CLI_ERROR; /* suppressed: reported by store_set */
        if (rc == CLI_OK) {
            if (json)
                ermes__store_indicator_get(c->store, &c->viewer, rep.ids[0], show_cb, &json);
            else
                printf("%s indicator %lld\n", rep.added ? "added" : "updated",
                       (long long)rep.ids[0]);
        }
    }
    ermes_indicator_set_free(set);
    ermes__ind_import_cleanup(&rep);
    return rc;
}

typedef struct import_ctx {
    const char *path;
    ermes__ind_import_t *rep;
} import_ctx_t;

static int import_reject_cb(void *arg, const ermes_diag_t *d)
{
    import_ctx_t *ic = arg;

    if (ic->rep->rejected < MAX_REPORTED)
        cli_error("%s:%ld: %s", ic->path, d->line, d->reason);
    return ermes__ind_import_reject(ic->rep, -1, d->line, d->reason) ? 1 : 0;
}

static int cmd_import(cli_t *c)
{
    const char *path = NULL, *wl[MAX_WARNINGLISTS], *v;
    ermes_ind_format_t fmt = ERMES_IND_FORMAT_AUTO;
    ermes_indicator_set_t *set = NULL;
    ermes__ind_import_t rep;
    ermes_ind_load_stats_t ls;
    ermes_indicator_t def;
    import_ctx_t ic;
    ermes_diag_t d;
    char *data = NULL;
    size_t len;
    int json = 0, force = 0, nwl = 0, n, rc = CLI_ERROR;

    memset(&rep, 0, sizeof(rep));
    ermes_indicator_init(&def);
    for (int i = 1; i < c->nargs; i += n) {
        if ((n = attr_flag(c, i, &def, NULL, 0)) < 0)
            return CLI_USAGE;
        if (n > 0)
            continue;
        n = 1;
        if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, i, "--format", &v)) > 0) {
            if (!strcmp(v, "auto"))
                fmt = ERMES_IND_FORMAT_AUTO;
            else if (!strcmp(v, "plain") || !strcmp(v, "list"))
                fmt = ERMES_IND_FORMAT_LIST;
            else if (!strcmp(v, "csv"))
                fmt = ERMES_IND_FORMAT_CSV;
            else if (!strcmp(v, "stix"))
                fmt = ERMES_IND_FORMAT_STIX;
            else {
                cli_error("indicators import: --format is auto, plain, csv or stix");
                return CLI_USAGE;
            }
        } else if (n == 0 && cli_flag(c, i, "--force", NULL)) {
            force = 1;
            n = 1;
        } else if (n == 0 && (n = cli_flag(c, i, "--warninglist", &v)) > 0) {
            if (nwl == MAX_WARNINGLISTS)
                return CLI_USAGE;
            wl[nwl++] = v;
        } else if (n == 0 && !path &&
                   (cli_arg(c, i)[0] != '-' || strcmp(cli_arg(c, i), "-") == 0)) {
            path = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("indicators import: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!path) {
        cli_error("indicators import: which file?");
        return CLI_USAGE;
    }
    if (!def.source) {
        const char *base = strrchr(path, '/');
        def.source = base ? base + 1 : path;
    }
    if (!(data = cli_read_file(path, INDICATOR_FILE_MAX, &len)))
        return CLI_ERROR;
    if (ermes_indicator_set_new(&set))
        goto out;
    ic.path = path;
    ic.rep = &rep;
    ermes_diag_clear(&d);
    n = ermes_indicator_set_load(set, data, len, fmt, &def, import_reject_cb, &ic, &ls, &d);
    if (n) {
        cli_error("indicators import: %s: %s", path, d.reason[0] ? d.reason : ermes_strerror(n));
        goto out;
    }
    if (cli_open_store(c, 0))
        goto out;
    if (store_set(c, set, wl, nwl, force, def.tlp >= 0 ? (ermes_tlp_t)def.tlp : ERMES_TLP_AMBER,
                  &rep))
        goto out;
    if (json)
        printf("{\"added\":%zu,\"updated\":%zu,\"rejected\":%zu,\"suppressed\":%zu}\n", rep.added,
               rep.updated, rep.rejected, rep.suppressed);
    else
        printf("%s: %zu added, %zu updated, %zu rejected, %zu suppressed by warninglists\n",
               cli_safe(path), rep.added, rep.updated, rep.rejected, rep.suppressed);
    rc = rep.rejected ? CLI_ERROR : CLI_OK;
out:
    ermes__free(data);
    ermes_indicator_set_free(set);
    ermes__ind_import_cleanup(&rep);
    return rc;
}

static int cmd_list(cli_t *c)
{
    ermes__indicator_filter_t f;
    const char *v;
    int json = 0, n, rc;

    memset(&f, 0, sizeof(f));
    for (int i = 1; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if (cli_flag(c, i, "--active", NULL))
            f.active_at = ermes__time_now_ms();
        else if ((n = cli_flag(c, i, "--type", &v)) > 0) {
            ermes_ind_type_t t = ermes_ind_type_parse(v, strlen(v));
            if (t == ERMES_IND_NONE) {
                cli_error("indicators list: unknown type \"%s\"", v);
                return CLI_USAGE;
            }
            f.type = ermes_ind_type_name(t);
        } else if (n == 0 && (n = cli_flag(c, i, "--value", &v)) > 0)
            f.value = v;
        else if (n == 0 && (n = cli_flag(c, i, "--source", &v)) > 0)
            f.source = v;
        else if (n == 0 && (n = cli_flag(c, i, "--tag", &v)) > 0)
            f.tag = v;
        else if (n == 0 && (n = cli_flag(c, i, "--limit", &v)) > 0) {
            long long x;
            if (cli_number("--limit", v, 1, INT_MAX, &x))
                return CLI_USAGE;
            f.limit = x;
        } else {
            if (n == 0)
                cli_error("indicators list: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if ((rc = ermes__store_indicator_each(c->store, &c->viewer, &f, show_cb, &json, NULL))) {
        cli_error("indicators list: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_show_delete(cli_t *c, int del)
{
    const char *what = del ? "delete" : "show";
    int64_t id;
    int json = 1, rc;
    char ref[32];

    if (c->nargs != 2 || parse_id(cli_arg(c, 1), &id)) {
        cli_error("indicators %s: give one indicator id", what);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    rc = del ? ermes__store_indicator_delete(c->store, id)
             : ermes__store_indicator_get(c->store, &c->viewer, id, show_cb, &json);
    if (rc) {
        cli_error("indicators %s %lld: %s", what, (long long)id, ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (del) {
        snprintf(ref, sizeof(ref), "%lld", (long long)id);
        ermes__audit_write(c->store, &c->viewer, "delete", "indicator", ref, NULL);
        printf("deleted indicator %lld\n", (long long)id);
    }
    return CLI_OK;
}

int ermes__cmd_indicators(cli_t *c)
{
    const char *sub = cli_arg(c, 0);

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        }
    if (!sub) {
        help(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(sub, "add"))
        return cmd_add(c);
    if (!strcmp(sub, "import"))
        return cmd_import(c);
    if (!strcmp(sub, "list"))
        return cmd_list(c);
    if (!strcmp(sub, "show"))
        return cmd_show_delete(c, 0);
    if (!strcmp(sub, "delete"))
        return cmd_show_delete(c, 1);
    cli_error("indicators: unknown subcommand \"%s\"", sub);
    help(stderr);
    return CLI_USAGE;
}

/* ---- ermes sightings ---- */

static int sighting_cb(void *ctx, const ermes__sighting_t *s)
{
    int json = *(int *)ctx;
    char when[ERMES_TIME_STRLEN];

    if (json)
        return print_json(ermes__sighting_to_json(s));
    ermes__time_format(s->event_time, when);
    printf("%-8lld %s %-30s %-30s %-12s %s:%lld %s", (long long)s->id, when,
           cli_safe(s->indicator_value), cli_safe(s->value), cli_safe(s->field),
           cli_safe(s->log_source), (long long)s->line,
           s->internal_ip ? cli_safe(s->internal_ip) : "-");
    if (s->org_id)
        printf(" org %lld", (long long)s->org_id);
    printf("\n");
    return 0;
}

static int count_cb(void *ctx, const ermes__sighting_count_t *s)
{
    int json = *(int *)ctx;

    if (json)
        return print_json(ermes__sighting_count_to_json(s));
    printf("%s %-8lld %-40s org %-6lld %lld\n", cli_safe(s->day), (long long)s->indicator_id,
           cli_safe(s->indicator_value), (long long)s->org_id, (long long)s->count);
    return 0;
}

int ermes__cmd_sightings(cli_t *c)
{
    ermes__sighting_filter_t f;
    const char *v, *org = NULL;
    int json = 0, group = 0, n, rc;

    memset(&f, 0, sizeof(f));
    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            sightings_help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, i, "--indicator", &v)) > 0) {
            if (parse_id(v, &f.indicator_id)) {
                cli_error("sightings: --indicator is an indicator id");
                return CLI_USAGE;
            }
        } else if (n == 0 && (n = cli_flag(c, i, "--value", &v)) > 0) {
            f.value = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--org", &v)) > 0) {
            org = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--sensor", &v)) > 0) {
            f.sensor = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--since", &v)) > 0) {
            if (parse_time_arg("--since", v, &f.since))
                return CLI_USAGE;
        } else if (n == 0 && (n = cli_flag(c, i, "--until", &v)) > 0) {
            if (parse_time_arg("--until", v, &f.until))
                return CLI_USAGE;
        } else if (n == 0 && (n = cli_flag(c, i, "--group", &v)) > 0) {
            if (strcmp(v, "day")) {
                cli_error("sightings: --group is day");
                return CLI_USAGE;
            }
            group = 1;
        } else if (n == 0 && (n = cli_flag(c, i, "--limit", &v)) > 0) {
            long long x;
            if (cli_number("--limit", v, 1, INT_MAX, &x))
                return CLI_USAGE;
            f.limit = x;
        } else {
            if (n == 0)
                cli_error("sightings: unexpected argument \"%s\"", cli_arg(c, i));
            sightings_help(stderr);
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (org && (rc = ermes__store_org_resolve(c->store, &c->viewer, org, &f.org_id))) {
        cli_error("sightings: --org %s: %s", org, ermes_strerror(rc));
        return CLI_ERROR;
    }
    rc = group ? ermes__store_sighting_count_each(c->store, &c->viewer, &f, count_cb, &json, NULL)
               : ermes__store_sighting_each(c->store, &c->viewer, &f, sighting_cb, &json, NULL);
    if (rc) {
        cli_error("sightings: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}
