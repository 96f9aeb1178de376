/* ermes events: query and export events in constant memory. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "intake/export.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes events [--format json|ndjson|csv] [--since TIME] [--until TIME]\n"
               "                    [--org ORG] [--feed NAME] [--taxonomy T] [--type T]\n"
               "                    [--ip IP|CIDR] [--domain D] [--report ID]\n"
               "                    [--order oldest|newest] [--sort [-]COLUMN] [--limit N]\n\n"
               "Streams the matching events to standard output, oldest first unless --order\n"
               "newest. --sort sorts by stored, time (time.source), feed, taxonomy or type,\n"
               "ascending (descending with a leading '-'), the id breaking ties; not with\n"
               "--order. Times are RFC 3339; --domain matches the name and its subdomains.\n");
    cli_usage_settings(f);
}

struct params {
    const char *names[16];
    const char *values[16];
    int n;
};

static const char *param(void *ctx, const char *name)
{
    struct params *p = ctx;

    for (int k = 0; k < p->n; k++)
        if (strcmp(p->names[k], name) == 0)
            return p->values[k];
    return NULL;
}

int ermes__cmd_events(cli_t *c)
{
    static const char *const filters[] = {"since", "until",  "org",    "feed",  "taxonomy", "type",
                                          "ip",    "domain", "report", "order", "sort",     NULL};
    struct params p = {{0}, {0}, 0};
    const char *format = NULL, *v;
    ermes__export_format_t fmt;
    ermes__event_filter_t f;
    ermes__event_export_t x;
    ermes_diag_t d;
    long limit = 0;
    int n, rc;

    for (int i = 0; i < c->nargs; i += n) {
        char flag[32];
        int matched = 0;
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        }
        if ((n = cli_flag(c, i, "--format", &v)) > 0) {
            format = v;
            continue;
        }
        if (n == 0 && (n = cli_flag(c, i, "--limit", &v)) > 0) {
            long long want;
            if (cli_number("--limit", v, 1, LONG_MAX, &want))
                return CLI_USAGE;
            limit = (long)want;
            continue;
        }
        for (size_t k = 0; filters[k] && n == 0; k++) {
            snprintf(flag, sizeof(flag), "--%s", filters[k]);
            if ((n = cli_flag(c, i, flag, &v)) > 0 && p.n < 16) {
                p.names[p.n] = filters[k];
                p.values[p.n++] = v;
                matched = 1;
            }
        }
        if (!matched) {
            if (n == 0)
                cli_error("events: unexpected argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (ermes__export_format_parse(format, &fmt)) {
        cli_error("events: --format must be json, ndjson or csv");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    ermes_diag_clear(&d);
    if (ermes__event_filter_parse(param, &p, c->store, &c->viewer, &f, &d)) {
        cli_error("events: --%s: %s", d.field, d.reason);
        return CLI_USAGE;
    }
    ermes__event_export_init(&x, fmt, &f, limit);
    while (!x.done) {
        if ((rc = ermes__event_export_chunk(&x, c->store, &c->viewer, 1000)))
            break;
        if (x.out.len && fwrite(x.out.data, 1, x.out.len, stdout) != x.out.len) {
            rc = ERMES_EIO;
            break;
        }
        ermes__strbuf_reset(&x.out);
    }
    ermes__event_export_cleanup(&x);
    if (rc) {
        cli_error("events: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}
