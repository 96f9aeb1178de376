/* ermes migrate: moves the database whole from SQLite to PostgreSQL or back
 * (src/store/move.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes migrate --to URL [--force]\n\n"
               "Copies the database (database_url, or DATA_DIR/ermes.db) whole into another\n"
               "backend: --to postgresql://... from SQLite, or --to PATH (a SQLite file) from\n"
               "PostgreSQL. Every table is copied with its ids (events, reports, quarantine, the\n"
               "audit log, sessions, tokens, notifications, indicators, sightings...), then\n"
               "every table is counted on both sides; any difference is an error. Report files\n"
               "stay in DATA_DIR/reports, where the rows point: keep the data directory and set\n"
               "database_url to the target afterwards. Stop the daemons first (the copy holds\n"
               "the source's write lock). The source is opened (and so migrated) first; the\n"
               "target must then have the same schema version. A target that holds data is\n"
               "refused; --force drops everything in it first (its audit log too).\n");
    cli_usage_settings(f);
}

static void table_done(void *ctx, const char *table, int64_t source_rows, int64_t target_rows)
{
    int64_t *total = ctx;

    *total += source_rows;
    printf("  %-24s %12lld %12lld%s\n", cli_safe(table), (long long)source_rows,
           (long long)target_rows, source_rows == target_rows ? "" : "  DIFFERENT");
}

static int open_target(cli_t *c, const char *to, ermes__store_t **out)
{
    ermes__store_options_t opts = {c->cfg.busy_timeout, 1, c->cfg.db_cache, to};
    int rc = ermes__store_open(c->cfg.data_dir, &opts, out);

    if (rc) {
        cli_error("migrate: cannot open the target database (--to): %s%s", ermes_strerror(rc),
                  rc == ERMES_EUNSUPPORTED ? " (its schema is newer than this ermes)" : "");
        return CLI_ERROR;
    }
    /* The target's time map is filled in blocks of this width on SQLite. */
    ermes__store_event_width(*out, c->cfg.event_partition_width, 0);
    return CLI_OK;
}

int ermes__cmd_migrate(cli_t *c)
{
    const char *to = NULL, *v;
    ermes__store_t *dst = NULL;
    ermes_diag_t d;
    char table[64];
    int64_t total = 0;
    int force = 0, n, rc, ret = CLI_ERROR;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--force", NULL)) {
            force = 1;
        } else if ((n = cli_flag(c, i, "--to", &v)) > 0) {
            to = v;
        } else {
            if (n == 0)
                cli_error("migrate: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!to || !*to) {
        cli_error("migrate: --to URL is required (postgresql://... or a SQLite file's path)");
        return CLI_USAGE;
    }
    if (strlen(to) > 4096) {
        cli_error("migrate: --to is longer than 4096 bytes");
        return CLI_USAGE;
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    if (open_target(c, to, &dst))
        goto out;
    if (!strcmp(ermes__store_backend(c->store), ermes__store_backend(dst))) {
        cli_error("migrate: the source and the target are both %s databases: --to must name the"
                  " other backend",
                  ermes__store_backend(dst));
        goto out;
    }
    if ((rc = ermes__store_move_check(dst, table, sizeof(table)))) {
        cli_error("migrate: cannot read the target database: %s", ermes_strerror(rc));
        goto out;
    }
    if (table[0] && !force) {
        cli_error("migrate: the target database holds data (table %s): give --force to drop"
                  " everything in it first",
                  cli_safe(table));
        goto out;
    }
    if (table[0]) {
        if ((rc = ermes__store_wipe(dst))) {
            cli_error("migrate: cannot empty the target database: %s", ermes_strerror(rc));
            goto out;
        }
        ermes__store_close(dst);
        dst = NULL;
        if (open_target(c, to, &dst))
            goto out;
    }
    printf("copying the %s database to %s\n", ermes__store_backend(c->store),
           ermes__store_backend(dst));
    printf("  %-24s %12s %12s\n", "table", "source", "target");
    ermes_diag_clear(&d);
    rc = ermes__store_move(c->store, dst, table_done, &total, &d);
    if (rc) {
        cli_error("migrate: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    printf("every table's count is the same in both databases (%lld rows); report files stay"
           " in %s/reports: point database_url at the target\n",
           (long long)total, cli_safe(c->cfg.data_dir));
    ret = CLI_OK;
out:
    ermes__store_close(dst);
    return ret;
}
