/* ermes retrohunt: the retro-hunt jobs of the database (list, show) and queueing one (start)
 * or cancelling one. The daemon (`ermes serve` with detect_archive set) runs the queued jobs. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/number.h"
#include "core/time.h"
#include "sightings/sightings.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes retrohunt [list] [--limit N] [--json]\n"
               "       ermes retrohunt show ID [--json]\n"
               "       ermes retrohunt start [--indicator ID]... [--json]\n"
               "       ermes retrohunt cancel ID [--json]\n\n"
               "Retro-hunts rescan the log archive (the detect_archive setting) for indicators\n"
               "added after the logs were written; what they match is recorded as sightings\n"
               "named by the archive file. The daemon queues one by itself when indicators\n"
               "are added and runs the queued jobs one at a time. start queues one for the\n"
               "given indicators, or for every active indicator without --indicator. --json\n"
               "prints one JSON object per job and line.\n");
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

static int print_cb(void *ctx, const ermes__retrohunt_t *r)
{
    const int *json = ctx;
    char created[ERMES_TIME_STRLEN];

    if (*json)
        return print_json(ermes__retrohunt_to_json(r));
    ermes__time_format(r->created_at, created);
    printf("%-6lld %-9s %s  files %llu/%llu  bytes %llu/%llu  matches %llu  sightings %llu  %s",
           (long long)r->id, ermes_retro_state_name(r->state), created,
           (unsigned long long)r->files_done, (unsigned long long)r->files_total,
           (unsigned long long)r->bytes_done, (unsigned long long)r->bytes_total,
           (unsigned long long)r->matches, (unsigned long long)r->sightings,
           r->indicator_ids ? "indicators " : "");
    if (r->indicator_ids)
        printf("%s", cli_safe(r->indicator_ids));
    else
        printf("indicators %lld..%lld", (long long)r->min_indicator_id + 1,
               (long long)r->max_indicator_id);
    if (r->error)
        printf("  error: %s", cli_safe(r->error));
    printf("\n");
    return 0;
}

static int show(cli_t *c, int64_t id, int json)
{
    int rc = ermes__store_retrohunt_get(c->store, id, print_cb, &json);

    if (rc == ERMES_ENOTFOUND) {
        cli_error("retrohunt: no job %lld", (long long)id);
        return CLI_ERROR;
    }
    if (rc) {
        cli_error("retrohunt: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int exists_cb(void *ctx, const ermes__indicator_row_t *r)
{
    (void)ctx;
    (void)r;
    return 0;
}

int ermes__cmd_retrohunt(cli_t *c)
{
    const char *verb = NULL, *v;
    int64_t ids[ERMES_RETROHUNT_MAX_IDS], id = 0;
    size_t nids = 0;
    long limit = 0;
    int json = 0, rc, n;
    ermes_retro_state_t state;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, i, "--indicator", &v)) > 0) {
            if (nids == ERMES_RETROHUNT_MAX_IDS || parse_id(v, &ids[nids])) {
                cli_error("retrohunt: --indicator takes an indicator id (at most %d of them)",
                          ERMES_RETROHUNT_MAX_IDS);
                return CLI_USAGE;
            }
            nids++;
        } else if ((n = cli_flag(c, i, "--limit", &v)) > 0) {
            long long x;
            if (cli_number("--limit", v, 1, INT_MAX, &x))
                return CLI_USAGE;
            limit = x;
        } else if (n == 0 && !verb && cli_arg(c, i)[0] != '-') {
            n = 1;
            verb = cli_arg(c, i);
        } else if (n == 0 && verb && !id && cli_arg(c, i)[0] != '-' &&
                   parse_id(cli_arg(c, i), &id) == 0) {
            n = 1;
        } else {
            cli_error("retrohunt: unexpected argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (!verb)
        verb = "list";
    if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0 && strcmp(verb, "start") != 0 &&
        strcmp(verb, "cancel") != 0) {
        cli_error("retrohunt: unknown command \"%s\"", verb);
        help(stderr);
        return CLI_USAGE;
    }
    if ((strcmp(verb, "show") == 0 || strcmp(verb, "cancel") == 0) && !id) {
        cli_error("retrohunt %s: which job? (an id)", verb);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (strcmp(verb, "list") == 0) {
        if ((rc = ermes__store_retrohunt_each(c->store, 0, limit, print_cb, &json, NULL))) {
            cli_error("retrohunt: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if (strcmp(verb, "show") == 0)
        return show(c, id, json);
    if (strcmp(verb, "cancel") == 0) {
        rc = ermes__store_retrohunt_cancel(c->store, id, &state);
        if (rc == ERMES_ECONFLICT) {
            cli_error("retrohunt: job %lld has ended (%s)", (long long)id,
                      ermes_retro_state_name(state));
            return CLI_ERROR;
        }
        if (rc && rc != ERMES_ENOTFOUND) {
            cli_error("retrohunt: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        if (!rc) {
            char ref[32];
            snprintf(ref, sizeof(ref), "%lld", (long long)id);
            ermes__audit_write(c->store, &c->viewer, "cancel", "retrohunt", ref, NULL);
        }
        return show(c, id, json);
    }
    /* start */
    if (!c->cfg.detect_archive || !*c->cfg.detect_archive) {
        cli_error("retrohunt: no log archive is configured (the detect_archive setting)");
        return CLI_ERROR;
    }
    for (size_t k = 0; k < nids; k++) {
        rc = ermes__store_indicator_get(c->store, NULL, ids[k], exists_cb, NULL);
        if (rc) {
            cli_error("retrohunt: --indicator %lld: %s", (long long)ids[k],
                      rc == ERMES_ENOTFOUND ? "no such indicator" : ermes_strerror(rc));
            return CLI_ERROR;
        }
    }
    if ((rc = ermes__retrohunt_queue(c->store, c->cfg.detect_archive, nids ? ids : NULL, nids,
                                     c->viewer.user_name ? c->viewer.user_name : "cli", &id))) {
        cli_error("retrohunt: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    ermes__audit_write(c->store, &c->viewer, "create", "retrohunt", NULL, NULL);
    return show(c, id, json);
}
