/* ermes misp import|export|import-feed: MISP event JSON to and from the store's indicators
 * (src/sharing/misp.h) and MISP feeds read by ermes (src/sharing/misp_feed.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/time.h"
#include "core/url.h"
#include "indicators/warninglists.h"
#include "sharing/misp.h"
#include "sharing/misp_feed.h"

#define MISP_FILE_MAX ((size_t)1 << 30)

static void help(FILE *f)
{
    fprintf(f,
            "usage: ermes misp import FILE|- [--force] [--json]\n"
            "       ermes misp export [--source NAME] [--tag TAG] [--type TYPE] [--value V]\n"
            "                         [--active] [--output FILE]\n"
            "       ermes misp import-feed URL|DIR [--force] [--json]\n"
            "\n"
            "import reads MISP event JSON (one {\"Event\": ...}, a list of them, a restSearch\n"
            "answer or a MISP feed's event file): attributes ermes can match become indicators\n"
            "(source misp:<event uuid>, TLP from the tlp:* tags or the distribution, other tags\n"
            "kept); every other attribute is reported as skipped or invalid with its uuid and\n"
            "the reason. Values on a warninglist in force are not stored, unless --force.\n"
            "export writes the stored indicators as MISP events (one per source), a JSON list\n"
            "of {\"Event\": ...} that MISP imports. import-feed reads a MISP feed (manifest.json\n"
            "and <uuid>.json files) from a directory or an http(s) URL, taking only the events\n"
            "new or changed since the last run; a collector with feed = misp-feed does the\n"
            "same on a schedule (see `ermes collectors`). Exit code 1 when an event, an\n"
            "attribute or a feed's event file could not be read (the rest is imported all the\n"
            "same).\n");
    cli_usage_settings(f);
}

static int print_json(json_t *j, FILE *f)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

    if (!s) {
        cli_error("misp: out of memory");
        return CLI_ERROR;
    }
    fprintf(f, "%s\n", s);
    free(s);
    return CLI_OK;
}

/* The warninglists in force, as the daemon has them; none with force. */
static int load_wls(cli_t *c, int force, ermes__wl_catalog_t *cat)
{
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    if (force)
        return 0;
    if ((rc = ermes__wl_catalog_load(c->cfg.data_dir, c->cfg.warninglists, c->cfg.warninglists_off,
                                     c->store, cat, &d)))
        cli_error("misp: warninglists: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
    return rc;
}

static void audit(cli_t *c, int force, size_t events, size_t added, size_t updated, size_t skipped,
                  size_t invalid, size_t suppressed)
{
    char detail[200];

    if (!added && !updated)
        return;
    snprintf(detail, sizeof(detail),
             "{\"format\":\"misp\",\"events\":%zu,\"added\":%zu,\"updated\":%zu,"
             "\"skipped\":%zu,\"invalid\":%zu,\"suppressed\":%zu}",
             events, added, updated, skipped, invalid, suppressed);
    ermes__audit_write(c->store, &c->viewer, "import", "indicator", NULL, detail);
    if (force)
        ermes__audit_write(c->store, &c->viewer, "force", "indicator", NULL,
                           "{\"warninglists\":\"not checked\"}");
}

static int parse_common(cli_t *c, const char *what, const char **path, int *force, int *json)
{
    for (int i = 1; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (cli_flag(c, i, "--force", NULL))
            *force = 1;
        else if (cli_flag(c, i, "--json", NULL))
            *json = 1;
        else if (!*path && (a[0] != '-' || !strcmp(a, "-")))
            *path = a;
        else {
            cli_error("misp %s: unexpected argument \"%s\"", what, a);
            return CLI_USAGE;
        }
    }
    if (!*path) {
        cli_error("misp %s: which %s?", what, strcmp(what, "import") ? "feed" : "file");
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int cmd_import(cli_t *c)
{
    const char *path = NULL;
    ermes__wl_catalog_t cat = {0};
    ermes__misp_import_t imp;
    ermes_diag_t d;
    char *data = NULL;
    size_t len;
    int force = 0, json = 0, rc;

    memset(&imp, 0, sizeof(imp));
    if ((rc = parse_common(c, "import", &path, &force, &json)))
        return rc;
    if (!(data = cli_read_file(path, MISP_FILE_MAX, &len)))
        return CLI_ERROR;
    rc = CLI_ERROR;
    if (cli_open_store(c, 0) || load_wls(c, force, &cat))
        goto out;
    ermes_diag_clear(&d);
    if ((rc = ermes__misp_import(c->store, &c->viewer, data, len, cat.active, cat.nactive, &imp,
                                 &d))) {
        cli_error("misp import: %s: %s", path, d.reason[0] ? d.reason : ermes_strerror(rc));
        rc = CLI_ERROR;
        goto out;
    }
    audit(c, force, imp.events, imp.store.added, imp.store.updated, imp.skipped, imp.invalid,
          imp.suppressed);
    if (json) {
        json_t *j = ermes__misp_import_to_json(&imp);
        rc = print_json(j, stdout);
        json_decref(j);
    } else {
        for (size_t k = 0; k < imp.nattrs; k++) {
            const ermes__misp_attr_t *r = &imp.attrs[k];
            if (r->fate != ERMES_MISP_INDICATOR)
                printf("attribute %s (%s %s): %s\n", cli_safe(r->uuid), cli_safe(r->type),
                       cli_safe(r->value), cli_safe(r->reason));
        }
        printf("%s: %zu events, %zu indicators (%zu added, %zu updated), %zu skipped, %zu "
               "invalid, %zu suppressed by warninglists\n",
               cli_safe(path), imp.events, imp.indicators, imp.store.added, imp.store.updated,
               imp.skipped, imp.invalid, imp.suppressed);
        rc = CLI_OK;
    }
    if (rc == CLI_OK && (imp.invalid || json_array_size(imp.event_errors)))
        rc = CLI_ERROR;
out:
    ermes__free(data);
    ermes__misp_import_cleanup(&imp);
    ermes__wl_catalog_free(&cat);
    return rc;
}

static int cmd_import_feed(cli_t *c)
{
    const char *where = NULL;
    ermes__wl_catalog_t cat = {0};
    json_t *rep = NULL;
    ermes_diag_t d;
    char shown[4096];
    int force = 0, json = 0, rc;

    if ((rc = parse_common(c, "import-feed", &where, &force, &json)))
        return rc;
    ermes__url_shown(where, shown, sizeof(shown)); /* no user:password@ or ?key= on screen */
    rc = CLI_ERROR;
    if (cli_open_store(c, 0) || load_wls(c, force, &cat))
        goto out;
    ermes_diag_clear(&d);
    if ((rc = ermes__misp_feed_import(c->store, &c->viewer, where, cat.active, cat.nactive, &rep,
                                      &d))) {
        cli_error("misp import-feed: %s: %s", cli_safe(shown),
                  d.reason[0] ? d.reason : ermes_strerror(rc));
        rc = CLI_ERROR;
        goto out;
    }
    audit(c, force, (size_t)json_integer_value(json_object_get(rep, "imported")),
          (size_t)json_integer_value(json_object_get(rep, "added")),
          (size_t)json_integer_value(json_object_get(rep, "updated")),
          (size_t)json_integer_value(json_object_get(rep, "skipped")),
          (size_t)json_integer_value(json_object_get(rep, "invalid")),
          (size_t)json_integer_value(json_object_get(rep, "suppressed")));
    if (json) {
        rc = print_json(rep, stdout);
    } else {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(rep, "failed"), i, f)
            printf("event %s: %s\n", cli_safe(json_string_value(json_object_get(f, "uuid"))),
                   cli_safe(json_string_value(json_object_get(f, "reason"))));
        printf("%s: %lld events in the manifest, %lld imported, %lld unchanged, %zu failed; "
               "%lld indicators added, %lld updated, %lld attributes skipped, %lld invalid, "
               "%lld suppressed\n",
               cli_safe(shown), json_integer_value(json_object_get(rep, "manifest_events")),
               json_integer_value(json_object_get(rep, "imported")),
               json_integer_value(json_object_get(rep, "unchanged")),
               json_array_size(json_object_get(rep, "failed")),
               json_integer_value(json_object_get(rep, "added")),
               json_integer_value(json_object_get(rep, "updated")),
               json_integer_value(json_object_get(rep, "skipped")),
               json_integer_value(json_object_get(rep, "invalid")),
               json_integer_value(json_object_get(rep, "suppressed")));
        rc = CLI_OK;
    }
    if (rc == CLI_OK && json_array_size(json_object_get(rep, "failed")))
        rc = CLI_ERROR;
out:
    json_decref(rep);
    ermes__wl_catalog_free(&cat);
    return rc;
}

static int cmd_export(cli_t *c)
{
    ermes__indicator_filter_t f;
    const char *v, *output = NULL;
    json_t *out = NULL;
    FILE *fo = stdout;
    int n, rc;

    memset(&f, 0, sizeof(f));
    for (int i = 1; i < c->nargs; i += n) {
        const char **dst = NULL;
        static const char *const names[] = {"--source", "--tag", "--value", "--output", "--type"};
        const char **dsts[] = {&f.source, &f.tag, &f.value, &output, &v};
        n = 0;
        for (size_t k = 0; k < 5 && n == 0; k++)
            if ((n = cli_flag(c, i, names[k], dsts[k])) != 0)
                dst = dsts[k];
        if (n < 0) {
            cli_error("misp export: %s needs a value", cli_arg(c, i));
            return CLI_USAGE;
        }
        if (n > 0 && dst == &v) {
            ermes_ind_type_t t = ermes_ind_type_parse(v, strlen(v));
            if (t == ERMES_IND_NONE) {
                cli_error("misp export: unknown indicator type \"%s\"", v);
                return CLI_USAGE;
            }
            f.type = ermes_ind_type_name(t);
        }
        if (n > 0)
            continue;
        n = 1;
        if (cli_flag(c, i, "--active", NULL)) {
            f.active_at = ermes__time_now_ms();
        } else {
            cli_error("misp export: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    if ((rc = ermes__misp_export(c->store, &c->viewer, &f, &out))) {
        cli_error("misp export: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (output && !(fo = fopen(output, "w"))) {
        cli_error("misp export: %s: cannot be written", output);
        json_decref(out);
        return CLI_ERROR;
    }
    rc = print_json(out, fo);
    if (fo != stdout && fclose(fo)) {
        cli_error("misp export: %s: cannot be written", output);
        rc = CLI_ERROR;
    }
    json_decref(out);
    return rc;
}

int ermes__cmd_misp(cli_t *c)
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
    if (!strcmp(sub, "import"))
        return cmd_import(c);
    if (!strcmp(sub, "export"))
        return cmd_export(c);
    if (!strcmp(sub, "import-feed"))
        return cmd_import_feed(c);
    cli_error("misp: unknown subcommand \"%s\"", sub);
    help(stderr);
    return CLI_USAGE;
}
