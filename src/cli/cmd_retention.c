/* ermes retention: delete now what retention_days says is past keeping (the daemon does it
 * every hour), or count it with --dry-run. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/time.h"
#include "intake/retention.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes retention [--days N] [--dry-run] [--json]\n\n"
               "Deletes the events stored more than N days ago (default: the retention_days\n"
               "setting), except those linked to an incident, with their address index,\n"
               "correlation and triage rows; then marks expired the reports received before\n"
               "then that no event refers to any more, deleting their quarantined rows and\n"
               "their raw file under DATA_DIR/reports/ (unless a report not expired holds the\n"
               "same file). Report rows and the daily counts stay. A running daemon does the\n"
               "same every hour when retention_days is set. --dry-run counts what would go and\n"
               "changes nothing. The run is audited (action expire, object retention).\n");
    {
        static const char *const names[] = {"data_dir", "database_url", "retention_days", NULL};
        cli_usage_settings_some(f, names);
    }
}

int ermes__cmd_retention(cli_t *c)
{
    long long days = -1;
    int dry_run = 0, json = 0, rc;
    ermes__retention_stats_t rs;
    const char *v;

    for (int i = 0, n = 1; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--dry-run", NULL)) {
            dry_run = 1;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, i, "--days", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            if ((rc = cli_number("--days", v, 1, 36500, &days)) != CLI_OK)
                return rc;
        } else {
            cli_error("retention: unexpected argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)) != CLI_OK)
        return rc;
    if (days < 0)
        days = c->cfg.retention_days;
    if (days <= 0) {
        cli_error("retention: retention_days is 0 (events are kept for ever): nothing to do; "
                  "give --days N");
        return CLI_USAGE;
    }
    if ((rc = ermes__retention_run(c->store, c->cfg.data_dir, (long)days, ermes__time_now_ms(),
                                   dry_run, 0, &c->viewer, &rs))) {
        cli_error("retention: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (json)
        printf("{\"retention_days\":%lld,\"dry_run\":%s,\"events\":%lld,\"events_kept\":%lld,"
               "\"reports\":%lld,\"quarantined\":%lld,\"files\":%lld,\"partitions\":%lld}\n",
               days, dry_run ? "true" : "false", (long long)rs.events, (long long)rs.events_kept,
               (long long)rs.reports, (long long)rs.quarantined, (long long)rs.files,
               (long long)rs.partitions);
    else
        printf("%s %lld event(s) stored more than %lld day(s) ago (%lld kept: linked to an "
               "incident); %s %lld report(s) (%lld quarantined row(s), %lld file(s))\n",
               dry_run ? "would delete" : "deleted", (long long)rs.events, days,
               (long long)rs.events_kept, dry_run ? "would expire" : "expired",
               (long long)rs.reports, (long long)rs.quarantined, (long long)rs.files);
    return CLI_OK;
}
