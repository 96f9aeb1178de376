/* ermes init: the database, the CERT's own organisation, the first administrator and its
 * token; with --demo, the demo constituency. Safe to run again: what exists is kept. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "access/access.h"
#include "cli/cli.h"
#include "sharing/sharing_groups.h"
#include "core/alloc.h"
#include "model/org.h"

extern const unsigned char ermes__demo_constituency[];
extern const size_t ermes__demo_constituency_len;

static void help(FILE *f)
{
    fprintf(f, "usage: ermes init [--demo] [--cert-name NAME] [--cert-short-name SHORT]\n"
               "                  [--admin NAME] [--admin-token-file FILE] [--data-dir DIR]\n\n"
               "Creates DATA_DIR/ermes.db (or upgrades its schema), the CERT's own\n"
               "organisation, an administrator (default \"admin\") and, when the administrator\n"
               "is new or --admin-token-file is given, an API token for it: printed, or written\n"
               "to FILE (mode 0600). --demo loads the fictional demo constituency.\n");
    cli_usage_settings(f);
}

int ermes__cmd_init(cli_t *c)
{
    const char *cert_name = "Computer Emergency Response Team", *cert_short = "CERT";
    const char *admin = "admin", *token_file = NULL, *v;
    int demo = 0, rc, n, new_admin = 0;
    ermes__user_t u;
    ermes_diag_t d;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--demo", NULL)) {
            demo = 1;
        } else if ((n = cli_flag(c, i, "--cert-name", &v)) > 0) {
            cert_name = v;
        } else if ((n = cli_flag(c, i, "--cert-short-name", &v)) > 0) {
            cert_short = v;
        } else if ((n = cli_flag(c, i, "--admin", &v)) > 0) {
            admin = v;
        } else if ((n = cli_flag(c, i, "--admin-token-file", &v)) > 0) {
            token_file = v;
        } else {
            if (n == 0)
                cli_error("init: unknown argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 1)))
        return rc;
    ermes_diag_clear(&d);
    if (c->viewer.org_id == 0) {
        ermes__org_t *org = ermes__org_new();
        if (!org)
            return CLI_ERROR;
        org->short_name = ermes__org_strdup(org, cert_short);
        org->name = ermes__org_strdup(org, cert_name);
        org->type = ermes__org_strdup(org, "cert");
        org->meta.tlp = ERMES_TLP_GREEN;
        if (ermes__org_check_short_name(cert_short, &d)) {
            cli_error("--cert-short-name: %s", d.reason);
            ermes__org_free(org);
            return CLI_USAGE;
        }
        rc = ermes__store_org_insert(c->store, org, &d);
        if (!rc)
            c->viewer.org_id = org->meta.id;
        ermes__org_free(org);
        if (rc) {
            cli_error("cannot create the CERT's organisation: %s", d.reason);
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "init", "organisation", cert_short, NULL);
        printf("created the CERT's organisation %s\n", cert_short);
    }
    rc = ermes__store_user_get(c->store, 0, admin, &u);
    if (rc == ERMES_ENOTFOUND) {
        memset(&u, 0, sizeof(u));
        snprintf(u.name, sizeof(u.name), "%s", admin);
        u.role = ERMES_ROLE_ADMIN;
        u.org_id = c->viewer.org_id;
        if ((rc = ermes__store_user_insert(c->store, &u, &d))) {
            cli_error("cannot create user %s: %s", admin,
                      d.reason[0] ? d.reason : ermes_strerror(rc));
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "create", "user", admin, NULL);
        printf("created administrator %s\n", admin);
        new_admin = 1;
    } else if (rc) {
        cli_error("cannot read users: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (demo) {
        ermes__registry_t *reg = NULL;
        ermes__import_options_t opts = {ERMES_FORMAT_JSON, 0, 1, "demo constituency"};
        ermes__import_report_t rep;
        if ((rc = ermes__registry_open(c->store, &reg))) {
            cli_error("cannot open the registry: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        rc = ermes__registry_import(reg, &c->viewer, (const char *)ermes__demo_constituency,
                                    ermes__demo_constituency_len, &opts, &rep);
        ermes__registry_close(reg);
        for (size_t k = 0; k < rep.nerrors; k++)
            cli_error("demo constituency:%ld: %s%s%s", rep.errors[k].line,
                      rep.errors[k].field[0] ? rep.errors[k].field : "",
                      rep.errors[k].field[0] ? ": " : "", rep.errors[k].reason);
        if (rc) {
            ermes__import_report_cleanup(&rep);
            cli_error("cannot load the demo constituency: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        printf("demo constituency: %ld organisations (%ld new, %ld updated)\n", rep.rows,
               rep.imported, rep.updated);
        ermes__import_report_cleanup(&rep);
        {
            char cid[37];
            size_t nind = 0;
            if ((rc = ermes__sharing_demo(c->store, &c->viewer, cid, &nind))) {
                cli_error("cannot set up the demo sharing group: %s", ermes_strerror(rc));
                return CLI_ERROR;
            }
            printf("demo sharing group: demo-community (up to TLP:GREEN), TAXII collection "
                   "/taxii2/ermes/collections/%s/\n",
                   cid);
        }
    }
    if (new_admin || token_file) {
        char secret[ERMES_TOKEN_STRLEN];
        ermes__token_t t;
        rc = ermes__token_create(c->store, u.id, "created by ermes init",
                                 c->cfg.token_days * 86400000LL, secret, &t);
        if (rc) {
            cli_error("cannot create a token: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        if (token_file) {
            FILE *f;
            mode_t old = umask(077);
            f = fopen(token_file, "w");
            umask(old);
            if (!f || fprintf(f, "%s\n", secret) < 0 || fclose(f) != 0) {
                cli_error("cannot write %s", token_file);
                return CLI_ERROR;
            }
            printf("API token for %s written to %s\n", admin, token_file);
        } else {
            printf("API token for %s (shown once, keep it safe):\n%s\n", admin, secret);
        }
        memset(secret, 0, sizeof(secret));
    }
    if (c->cfg.database_url && strncmp(c->cfg.database_url, "postgres", 8) == 0)
        printf("ready: PostgreSQL (database_url), data directory %s\n", c->cfg.data_dir);
    else if (c->cfg.database_url && *c->cfg.database_url)
        printf("ready: %s\n", c->cfg.database_url);
    else
        printf("ready: %s/ermes.db\n", c->cfg.data_dir);
    return CLI_OK;
}
