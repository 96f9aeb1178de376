/* ermes stats incidents: the reaction-time metrics of the incidents (src/incidents/metrics.c),
 * as JSON or CSV, the same figures as GET /api/v1/incidents/metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/time.h"
#include "incidents/incidents.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes stats incidents [--since TIME] [--until TIME]\n"
               "                             [--period day|month|year|all]\n"
               "                             [--by constituent|rsit_class|both|none]\n"
               "                             [--format json|csv] [--business-hours]\n\n"
               "Reaction times of the incidents opened from --since to --until (RFC 3339):\n"
               "median and 90th percentile of the time to acknowledge, triage, notify, contain\n"
               "and resolve (seconds), and the compliance with the SLA targets, per period\n"
               "(default month) and per constituent and RSIT class (default none). Every\n"
               "figure comes from the incidents' timeline timestamps. CSV cells that a\n"
               "spreadsheet would read as formulas are quoted. --business-hours counts the\n"
               "durations in business hours of each constituent's calendar, the time spent\n"
               "waiting on the constituent left out (default: wall-clock time).\n");
    cli_usage_settings(f);
}

static int parse_time(const char *flag, const char *s, int64_t *out)
{
    ermes_diag_t d;

    if (ermes__time_parse(s, strlen(s), out, &d)) {
        cli_error("stats: %s must be an RFC 3339 date-time", flag);
        return -1;
    }
    return 0;
}

int ermes__cmd_stats(cli_t *c)
{
    const char *what = NULL, *v, *period = "month", *by = "none", *format = "json";
    const char *basis = "wall";
    int64_t from = 0, to = 0;
    ermes_diag_t d;
    json_t *j = NULL;
    char *csv = NULL;
    int rc, n;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if ((n = cli_flag(c, i, "--since", &v)) > 0) {
            if (parse_time("--since", v, &from))
                return CLI_USAGE;
        } else if ((n = cli_flag(c, i, "--until", &v)) > 0) {
            if (parse_time("--until", v, &to))
                return CLI_USAGE;
        } else if ((n = cli_flag(c, i, "--period", &v)) > 0) {
            period = v;
        } else if ((n = cli_flag(c, i, "--by", &v)) > 0) {
            by = v;
        } else if ((n = cli_flag(c, i, "--format", &v)) > 0) {
            format = v;
        } else if (cli_flag(c, i, "--business-hours", NULL)) {
            n = 1;
            basis = "business";
        } else if (n == 0 && !what && cli_arg(c, i)[0] != '-') {
            n = 1;
            what = cli_arg(c, i);
        } else {
            cli_error("stats: unexpected argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (!what || strcmp(what, "incidents") != 0) {
        cli_error("stats: which figures? (incidents)");
        help(stderr);
        return CLI_USAGE;
    }
    if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
        cli_error("stats: --format must be json or csv");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    ermes_diag_clear(&d);
    rc = ermes__incident_metrics_on(c->store, &c->viewer, from, to, period, by, basis,
                                    ermes__time_now_ms(), strcmp(format, "json") == 0 ? &j : NULL,
                                    strcmp(format, "csv") == 0 ? &csv : NULL, &d);
    if (rc) {
        cli_error("stats: %s%s%s", d.field[0] ? "--" : "", d.field[0] ? d.field : "",
                  d.reason[0] ? d.reason : ermes_strerror(rc));
        return rc == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
    }
    if (csv) {
        fputs(csv, stdout);
        ermes__free(csv);
    } else {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(j);
        if (!s)
            return CLI_ERROR;
        printf("%s\n", s);
        free(s);
    }
    return CLI_OK;
}
