/* ermes warninglists: the known-benign lists in force (src/indicators/warninglists.h), and
 * their switches from the command line. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "indicators/warninglists.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes warninglists [list] [--json]\n"
               "       ermes warninglists on|off ID\n\n"
               "Warninglists are known-benign values (MISP warninglists): an indicator on a list\n"
               "in force is reported and not stored unless its import is forced. In force: the\n"
               "lists shipped with ermes, the files dropped into DATA_DIR/warninglists/ (ID.json,\n"
               "in MISP's format; one named like a shipped list replaces it when its version is\n"
               "not older) and the files of the warninglists setting. list shows each with its\n"
               "origin, size and state; a list that cannot be read is shown with its error.\n"
               "on/off keeps a switch in the database, which wins over warninglists_off; a\n"
               "running daemon reads switches when it starts (PATCH /api/v1/warninglists/ID\n"
               "switches it at once).\n");
    {
        static const char *const wl[] = {"data_dir", "database_url", "warninglists",
                                         "warninglists_off", NULL};
        cli_usage_settings_some(f, wl);
    }
}

static int list(cli_t *c, int json)
{
    ermes__wl_catalog_t cat;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    if ((rc = ermes__wl_catalog_load(c->cfg.data_dir, c->cfg.warninglists, c->cfg.warninglists_off,
                                     c->store, &cat, &d))) {
        cli_error("warninglists: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    for (size_t k = 0; k < cat.n; k++) {
        const ermes__wl_entry_t *e = &cat.v[k];
        const ermes_warninglist_t *wl = e->wl;
        if (json) {
            json_t *j =
                json_pack("{s:s,s:s?,s:s?,s:I,s:I,s:s,s:b,s:s?}", "id", e->id, "name",
                          wl ? ermes_warninglist_name(wl) : NULL, "type",
                          wl ? ermes_warninglist_type(wl) : NULL, "version",
                          (json_int_t)(wl ? ermes_warninglist_version(wl) : 0), "entries",
                          (json_int_t)(wl ? ermes_warninglist_count(wl) : 0), "origin", e->origin,
                          "enabled", e->enabled, "error", e->error[0] ? e->error : NULL);
            char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (text)
                printf("%s\n", text);
            free(text);
            json_decref(j);
            continue;
        }
        printf("%-40s %-3s %-8s %-9s %8zu  %s%s%s\n", cli_safe(e->id), e->enabled ? "on" : "off",
               e->origin, wl ? ermes_warninglist_type(wl) : "-",
               wl ? ermes_warninglist_count(wl) : (size_t)0,
               wl ? cli_safe(ermes_warninglist_name(wl)) : "", e->error[0] ? "error: " : "",
               cli_safe(e->error));
    }
    ermes__wl_catalog_free(&cat);
    return CLI_OK;
}

static int set(cli_t *c, const char *id, int enabled)
{
    ermes__wl_catalog_t cat;
    ermes_diag_t d;
    char detail[64];
    int rc;

    ermes_diag_clear(&d);
    if ((rc = ermes__wl_catalog_load(c->cfg.data_dir, c->cfg.warninglists, c->cfg.warninglists_off,
                                     c->store, &cat, &d))) {
        cli_error("warninglists: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    rc = ermes__wl_catalog_find(&cat, id) ? 0 : ERMES_ENOTFOUND;
    ermes__wl_catalog_free(&cat);
    if (rc) {
        cli_error("warninglists: no warninglist \"%s\" (`ermes warninglists` lists them)", id);
        return CLI_ERROR;
    }
    if ((rc = ermes__store_wl_switch_set(c->store, id, enabled, c->viewer.org_id))) {
        cli_error("warninglists: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    snprintf(detail, sizeof(detail), "{\"enabled\":%s}", enabled ? "true" : "false");
    ermes__audit_write(c->store, &c->viewer, "update", "warninglist", id, detail);
    printf("warninglist %s is %s\n", cli_safe(id), enabled ? "on" : "off");
    return CLI_OK;
}

int ermes__cmd_warninglists(cli_t *c)
{
    const char *verb = NULL, *id = NULL;
    int json = 0, rc;

    for (int i = 0; i < c->nargs; i++) {
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (!verb && cli_arg(c, i)[0] != '-') {
            verb = cli_arg(c, i);
        } else if (!id && cli_arg(c, i)[0] != '-') {
            id = cli_arg(c, i);
        } else {
            cli_error("warninglists: unexpected argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (verb && strcmp(verb, "list") != 0 && strcmp(verb, "on") != 0 && strcmp(verb, "off") != 0) {
        cli_error("warninglists: unknown command \"%s\"", verb);
        help(stderr);
        return CLI_USAGE;
    }
    if (verb && strcmp(verb, "list") != 0 && !id) {
        cli_error("warninglists %s: give the list's ID", verb);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (!verb || strcmp(verb, "list") == 0)
        return list(c, json);
    return set(c, id, strcmp(verb, "on") == 0);
}
