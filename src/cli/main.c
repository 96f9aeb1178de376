/* ermes: the one binary of a CERT's working system. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/config_live.h"
#include "core/log.h"
#include "core/number.h"
#include "core/strbuf.h"
#include "core/text.h"

static const struct command {
    const char *name;
    int (*run)(cli_t *c);
    const char *summary;
} commands[] = {
    {"init", ermes__cmd_init, "create the database, the CERT's organisation and an admin"},
    {"serve", ermes__cmd_serve, "run the daemon: HTTP API, metrics, background work"},
    {"org", ermes__cmd_org,
     "constituent organisations: add, list, show, import, export, delete, prefs"},
    {"lookup", ermes__cmd_lookup, "which organisation owns an IP, a domain or an ASN"},
    {"user", ermes__cmd_user, "users: add, list, passwd, disable"},
    {"token", ermes__cmd_token, "API tokens: create, list, revoke"},
    {"ingest", ermes__cmd_ingest, "receive a feed file and turn it into events"},
    {"events", ermes__cmd_events, "query and export events (json, ndjson, csv)"},
    {"reports", ermes__cmd_reports, "received reports and their accounting; process pending"},
    {"retention", ermes__cmd_retention,
     "delete the events and reports older than retention_days now (--dry-run: count)"},
    {"quarantine", ermes__cmd_quarantine, "rows that failed, with their reasons; retry"},
    {"feeds", ermes__cmd_feeds, "the feeds ermes can parse"},
    {"notify", ermes__cmd_notify, "notifications to constituents: list, preview, run, send"},
    {"templates", ermes__cmd_templates,
     "every template of notifications and advisories: list, show, set, reset per language"},
    {"match", ermes__cmd_match, "match indicators against logs (EVE, Zeek, lines, CSV): sightings"},
    {"indicators", ermes__cmd_indicators, "stored indicators: add, import, list, show, delete"},
    {"misp", ermes__cmd_misp, "MISP events in and out of the indicators; MISP feeds read"},
    {"warninglists", ermes__cmd_warninglists, "known-benign lists indicators are checked against"},
    {"sightings", ermes__cmd_sightings, "where the stored indicators were seen, per day too"},
    {"stix", ermes__cmd_stix, "STIX 2.1 bundles: import (objects kept whole), export, recipients"},
    {"sharing-groups", ermes__cmd_sharing_groups,
     "sharing groups (TAXII collections): list, show, add, delete"},
    {"peers", ermes__cmd_peers,
     "federation peers (TAXII 2.1 servers pulled from, pushed to): list, show, add, sync"},
    {"collect", ermes__cmd_collect, "run a collector (a feed fetched over HTTP) now"},
    {"collectors", ermes__cmd_collectors, "the collectors of the config file and their state"},
    {"retrohunt", ermes__cmd_retrohunt,
     "retro-hunts of the log archive: list, show, start, cancel"},
    {"mail", ermes__cmd_mail,
     "mail in: receive a message (MTA pipe), list, show, process, poll mailboxes, reports"},
    {"csaf", ermes__cmd_csaf, "CSAF 2.0: validate, check a provider (7.1), import its documents"},
    {"advisories", ermes__cmd_advisories,
     "CSAF advisories: list, show, import, submit, approve, reject, publish, revisions, diff"},
    {"cvss", ermes__cmd_cvss, "score CVSS 2.0, 3.0, 3.1 and 4.0 vectors (exact arithmetic)"},
    {"vulns", ermes__cmd_vulns, "import CVE 5, NVD, KEV and EPSS data; warn constituents"},
    {"assets", ermes__cmd_assets, "constituents' assets: CPE, purl, CSV and SBOM import"},
    {"incidents", ermes__cmd_incidents,
     "incidents: list, show, create, update, close, merge, comment, write; triage; rules"},
    {"stats", ermes__cmd_stats, "figures: incidents (reaction times, SLA compliance)"},
    {"migrate", ermes__cmd_migrate,
     "copy the database whole to PostgreSQL (--to postgresql://...) or back to SQLite"},
    {"correlate", ermes__cmd_correlate,
     "what mentions a value: indicators, events, sightings, incidents, networks"},
    {"settings", ermes__cmd_settings,
     "flags, environment variables, defaults; --list: the names; set/unset/stored: live ones"},
    {NULL, NULL, NULL},
};

/* Escaped copies handed out by cli_safe(): a small ring, so one printf may show several
 * untrusted values; the CLI is single-threaded where it prints. */
#define SAFE_RING 8
static ermes__strbuf_t safe_ring[SAFE_RING];
static unsigned safe_next;

const char *cli_safe(const char *s)
{
    ermes__strbuf_t *b;

    if (!s)
        return "";
    if (!ermes__text_needs_escape(s, strlen(s)))
        return s;
    b = &safe_ring[safe_next++ % SAFE_RING];
    if (!b->max)
        ermes__strbuf_init(b, (size_t)64 << 20);
    ermes__strbuf_reset(b);
    /* Without memory for the escaped copy, print nothing of it rather than the raw bytes. */
    if (ermes__text_escape(b, s, strlen(s)) || !b->data)
        return "?";
    return b->data;
}

static void safe_cleanup(void)
{
    for (int k = 0; k < SAFE_RING; k++)
        ermes__strbuf_cleanup(&safe_ring[k]);
}

int cli_number(const char *flag, const char *text, long long min, long long max, long long *out)
{
    ermes_diag_t d;
    int64_t v;

    ermes_diag_clear(&d);
    if (ermes__parse_int64(text, flag, min, max, &v, &d)) {
        cli_error("%s", d.reason);
        return CLI_USAGE;
    }
    *out = v;
    return CLI_OK;
}

void cli_error(const char *fmt, ...)
{
    ermes__strbuf_t msg;
    va_list ap;

    /* Messages quote arguments, file contents and stored values: the whole line is escaped
     * so none of it reaches the terminal as a control sequence. */
    ermes__strbuf_init(&msg, 1 << 20);
    va_start(ap, fmt);
    ermes__strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "ermes: %s\n", cli_safe(msg.data ? msg.data : ""));
    ermes__strbuf_cleanup(&msg);
}

void cli_usage_settings(FILE *f)
{
    /* What every command reads: where the database is, and how it talks. The daemon's
     * settings are `ermes serve --help`'s; any setting may be given to any command. */
    static const char *const common[] = {"data_dir",     "database_url", "log_level", "log_json",
                                         "busy_timeout", "db_cache",     NULL};
    cli_usage_settings_some(f, common);
}

void cli_usage_settings_some(FILE *f, const char *const *names)
{
    fputc('\n', f);
    ermes__config_usage_some(f, names);
    if (names)
        fprintf(f, "`ermes settings` lists every setting; any of them may be given to any "
                   "command.\n");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ermes <command> [options]\n\ncommands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-8s %s\n", c->name, c->summary);
    fprintf(f, "\n`ermes <command> --help` describes each. Exit codes: 0 ok, 1 error, 2 usage.\n");
    cli_usage_settings(f);
}

int cli_flag(cli_t *c, int i, const char *name, const char **value)
{
    const char *a = c->argv[c->args[i]];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '\0') {
        if (!value)
            return 1;
        if (i + 1 >= c->nargs) {
            cli_error("%s needs a value", name);
            return -1;
        }
        *value = c->argv[c->args[i + 1]];
        return 2;
    }
    if (a[n] == '=' && value) {
        *value = a + n + 1;
        return 1;
    }
    return 0;
}

const char *cli_arg(cli_t *c, int i)
{
    return i < c->nargs ? c->argv[c->args[i]] : NULL;
}

int cli_open_store(cli_t *c, int create)
{
    ermes__store_options_t opts = {c->cfg.busy_timeout, create, c->cfg.db_cache,
                                   c->cfg.database_url};
    const char *who = getenv("USER");
    int rc;

    /* Leases name this process's instance and last lease_time unrenewed (src/store/lease.c). */
    ermes__lease_configure((int64_t)c->cfg.lease_time * 1000, c->cfg.instance_host);
    rc = ermes__store_open(c->cfg.data_dir, &opts, &c->store);

    if (rc) {
        int pg = c->cfg.database_url && *c->cfg.database_url;
        /* The log line before this one has the details (libpq's reason, the versions). */
        const char *hint = rc == ERMES_EUNSUPPORTED
                               ? ": its schema is newer than this ermes knows (run the ermes "
                                 "that wrote it, or a later one)"
                           : create                      ? ""
                           : pg && rc != ERMES_ENOTFOUND ? " (is the server up, the URL right?)"
                                                         : " (run `ermes init` first?)";
        if (pg)
            cli_error("cannot open the database (database_url): %s%s", ermes_strerror(rc), hint);
        else
            cli_error("cannot open the database in %s: %s%s", c->cfg.data_dir, ermes_strerror(rc),
                      hint);
        return CLI_ERROR;
    }
    /* The live settings an administrator stored lie over the config file's (not over the
     * environment and the flags); the daemon reads them again while it runs. */
    if ((rc = ermes__live_init(&c->cfg)) ||
        (rc = ermes__store_settings_apply(c->store, &c->cfg, NULL)))
        ermes__log(ERMES_LOG_WARNING, "cannot read the settings stored in the database: %s",
                   ermes_strerror(rc));
    /* The time map's blocks on SQLite (src/store/event_time_map.c); the daemon stores it for
     * PostgreSQL's next partitions. */
    ermes__store_event_width(c->store, c->cfg.event_partition_width, 0);
    memset(&c->viewer, 0, sizeof(c->viewer));
    c->viewer.role = ERMES_ROLE_ADMIN;
    ermes__store_home_org(c->store, &c->viewer.org_id);
    snprintf(c->actor, sizeof(c->actor), "cli:%s", who && *who ? who : "local");
    c->viewer.user_name = c->actor;
    c->viewer.remote = "cli";
    /* Whatever this command claims (a report, a notification, a collector) stays its own while
     * it works, however long. */
    if ((rc = ermes__lease_beat_start(c->store, &c->beat))) {
        cli_error("cannot start the lease heartbeat: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

int main(int argc, char **argv)
{
    const struct command *cmd = NULL;
    cli_t c;
    ermes_diag_t d;
    int rc, *rest;

    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ermes %s\n", ERMES_VERSION);
        return CLI_OK;
    }
    for (const struct command *k = commands; k->name; k++)
        if (strcmp(argv[1], k->name) == 0)
            cmd = k;
    if (!cmd) {
        cli_error("unknown command \"%s\"; see `ermes --help`", argv[1]);
        return CLI_USAGE;
    }
    /* The database holds password hashes and contact details: nothing ermes creates is
     * readable by other users of the machine. */
    umask(077);
    if (ermes__access_init()) {
        cli_error("cannot initialise libsodium");
        return CLI_ERROR;
    }
    memset(&c, 0, sizeof(c));
    rest = ermes__calloc((size_t)argc, sizeof(*rest));
    if (!rest)
        return CLI_ERROR;
    ermes_diag_clear(&d);
    rc = ermes__config_load(&c.cfg, argc - 2, argv + 2, rest, &c.nargs, &d);
    if (rc) {
        if (d.line)
            cli_error("%s:%ld: %s", d.source, d.line, d.reason);
        else if (d.source[0])
            cli_error("%s: %s", d.source, d.reason);
        else
            cli_error("%s", d.reason[0] ? d.reason : ermes_strerror(rc));
        ermes__free(rest);
        ermes__config_cleanup(&c.cfg);
        return rc == ERMES_ECONFIG || rc == ERMES_EIO ? CLI_ERROR : CLI_USAGE;
    }
    ermes__log_setup(ermes__log_level_parse(c.cfg.log_level), c.cfg.log_json);
    c.argc = argc - 2;
    c.argv = argv + 2;
    c.args = rest;
    rc = cmd->run(&c);
    ermes__lease_beat_stop(c.beat);
    ermes__store_close(c.store);
    ermes__live_free();
    ermes__config_cleanup(&c.cfg);
    ermes__free(rest);
    safe_cleanup();
    return rc;
}

char *cli_read_file_quietly(const char *path, size_t max, size_t *len, int *why)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    ermes__strbuf_t b;
    char chunk[65536];
    size_t n;

    if (!f) {
        *why = CLI_READ_OPEN;
        return NULL;
    }
    ermes__strbuf_init(&b, max);
    *why = 0;
    while (!*why && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (ermes__strbuf_add(&b, chunk, n))
            *why = CLI_READ_TOOBIG;
    if (!*why && ferror(f))
        *why = CLI_READ_IO;
    if (f != stdin)
        fclose(f);
    if (*why) {
        ermes__strbuf_cleanup(&b);
        return NULL;
    }
    char *p = ermes__strbuf_take(&b, len);
    if (!p)
        *why = CLI_READ_IO;
    return p;
}

void cli_read_file_error(const char *path, size_t max, int why)
{
    if (why == CLI_READ_OPEN)
        cli_error("cannot open %s", path);
    else if (why == CLI_READ_TOOBIG)
        cli_error("%s is larger than %zu bytes", path, max);
    else
        cli_error("cannot read %s", path);
}

char *cli_read_file(const char *path, size_t max, size_t *len)
{
    int why;
    char *p = cli_read_file_quietly(path, max, len, &why);

    if (!p)
        cli_read_file_error(path, max, why);
    return p;
}
