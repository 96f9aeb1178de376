/* ermes collect NAME, ermes collectors: the collectors of the config file from the command
 * line (src/intake/collect.c does the work). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/number.h"
#include "core/time.h"
#include "intake/collect.h"
#include "intake/intake.h"
#include "intake/presets.h"
#include "access/access.h"
#include "core/alloc.h"
#include <sys/stat.h>
#include <unistd.h>

static void collect_help(FILE *f)
{
    fprintf(f, "usage: ermes collect NAME [--no-process] [--json]\n"
               "       ermes collectors [--json]\n"
               "       ermes collectors presets [--json]\n"
               "       ermes collectors add --preset NAME [--name NAME] [--api-key VALUE] "
               "[--asn N] [--container-url URL] [--to-config]\n"
               "       ermes collectors add --misp-feed URL --name NAME [--header LINE]... "
               "[--interval SECONDS]\n"
               "       ermes collectors enable|disable|remove NAME\n\n"
               "A collector is a feed fetched over HTTP(S) every `interval` seconds with a\n"
               "conditional GET, each new body a report of the collector's feed. Collectors are\n"
               "stored in the database (made here, by POST /api/v1/collectors or on the\n"
               "administration screen; every daemon picks a change up within seconds) or are\n"
               "[collector \"NAME\"] sections of the config file (read at the daemon's start;\n"
               "the config file's wins over a stored one of the same name). `ermes collect NAME`\n"
               "runs one now, whatever its schedule, then processes the report it made (unless\n"
               "--no-process). Exit status 1 when the run failed (its reason is recorded and\n"
               "shown). `ermes collectors` lists every collector with its state.\n\n"
               "The feed catalogue: `ermes collectors presets` lists the feeds ermes knows (URL,\n"
               "parser and options, schedule, TLP, documentation, what each needs);\n"
               "`ermes collectors add --preset NAME` stores a collector made from it in the\n"
               "database, named after the preset or --name; with --to-config it appends its\n"
               "[collector] section to the config file instead (--config, else\n"
               "DATA_DIR/ermes.conf; made owner-only when a key goes in), which the daemon reads\n"
               "at its next start. --api-key gives the API key, user:password or API_KEY:SECRET\n"
               "a preset needs, --asn the AS number, --container-url an Azure container's URL\n"
               "with its SAS token: sealed in the database under DATA_DIR/secrets.key (as\n"
               "peers' credentials are), or written as given into the file; never shown.\n"
               "`ermes collectors add --misp-feed URL` stores a collector of feed misp-feed: at\n"
               "each run it reads the MISP feed at URL (manifest.json, then each event new or\n"
               "changed since the last run, as `ermes misp import-feed` does) into indicators;\n"
               "--header gives a header line each request carries (\"Authorization: Bearer\n"
               "TOKEN\" for another ermes's /feeds/misp/GROUP/; repeatable; sealed, never\n"
               "shown), --interval its schedule (default 3600 s).\n"
               "`enable`, `disable` and `remove` change a stored collector (audited).\n");
    cli_usage_settings(f);
}

static void print_state(const ermes__config_t *cfg, const ermes__collector_conf_t *def,
                        const ermes__collector_state_t *s, const ermes__collector_def_t *row,
                        int json)
{
    char last[ERMES_TIME_STRLEN] = "never", next[ERMES_TIME_STRLEN] = "now";

    if (json) {
        json_t *j = ermes__collector_json(def, s, row, cfg->collect_min_interval);
        char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(j);
        return;
    }
    if (s->last_run)
        ermes__time_format(s->last_run, last);
    if (s->next_run)
        ermes__time_format(s->next_run, next);
    printf("%-20s %-14s feed %s, every %lds%s%s; last run %s", cli_safe(def->name),
           cli_safe(s->status), cli_safe(def->feed),
           ermes__collect_interval(def, cfg->collect_min_interval),
           def->enabled ? "" : " (disabled)", row ? " (database)" : "", last);
    if (s->http_status)
        printf(" (HTTP %ld)", s->http_status);
    printf(", next %s; %lld reports", next, (long long)s->reports);
    if (s->last_report_id)
        printf(", last %lld", (long long)s->last_report_id);
    if (s->last_error[0])
        printf("; error: %s", cli_safe(s->last_error));
    printf("\n");
}

struct list_ctx {
    const ermes__config_t *cfg;
    int json;
};

static int list_cb(void *ctx, const ermes__collector_conf_t *def, const ermes__collector_state_t *s,
                   const ermes__collector_def_t *row)
{
    struct list_ctx *l = ctx;

    print_state(l->cfg, def, s, row, l->json);
    return 0;
}

/* ---- the feed catalogue -------------------------------------------------------------------- */

static int cmd_presets(cli_t *c, int first)
{
    int json = 0;

    for (int i = first; i < c->nargs; i++) {
        if (cli_flag(c, i, "--help", NULL)) {
            collect_help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else {
            cli_error("collectors presets: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    for (size_t k = 0; ermes__presets[k]; k++) {
        const ermes__preset_t *p = ermes__presets[k];
        if (json) {
            json_t *j = ermes__preset_to_json(p);
            char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (!text) {
                json_decref(j);
                cli_error("collectors presets: out of memory");
                return CLI_ERROR;
            }
            printf("%s\n", text);
            free(text);
            json_decref(j);
            continue;
        }
        printf("%-24s %-20s %s\n%-24s parser %s, every %lds, TLP:%s%s%s; %s\n", p->name,
               p->provider, p->title, "", p->parser, p->interval, p->tlp,
               p->needs ? ", needs " : "", p->needs ? ermes__preset_needs_name(p->needs) : "",
               p->doc);
    }
    return CLI_OK;
}

/* Appends text to path (made 0600: it may hold an API key), then reads the whole file back
 * as the daemon would; when that fails the file is cut back to what it was. */
static int append_section(const char *path, const char *text, int secret, ermes_diag_t *d)
{
    struct stat sb;
    off_t before = 0;
    size_t len = strlen(text), done = 0;
    ermes__config_t check;
    int fd, rc = 0;

    if (stat(path, &sb) == 0)
        before = sb.st_size;
    if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
        ermes_diag_set(d, NULL, "cannot open %s: %s", path, strerror(errno));
        return ERMES_EIO;
    }
    /* A key going in: the file becomes the owner's alone, as a new one is. */
    if (secret && fstat(fd, &sb) == 0 && (sb.st_mode & 077) && fchmod(fd, sb.st_mode & 0700)) {
        ermes_diag_set(d, NULL, "cannot make %s private: %s", path, strerror(errno));
        close(fd);
        return ERMES_EIO;
    }
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ermes_diag_set(d, NULL, "cannot write %s: %s", path, strerror(errno));
            rc = ERMES_EIO;
            break;
        }
        done += (size_t)w;
    }
    if (!rc && fsync(fd) != 0) {
        ermes_diag_set(d, NULL, "cannot write %s: %s", path, strerror(errno));
        rc = ERMES_EIO;
    }
    if (!rc && (rc = ermes__config_init(&check)) == 0) {
        rc = ermes__config_load_file(&check, path, d);
        ermes__config_cleanup(&check);
    }
    if (rc && ftruncate(fd, before) != 0)
        ermes_diag_set(d, NULL, "%s is left with a bad section: %s", path, strerror(errno));
    close(fd);
    return rc;
}

/* `collectors add` without --to-config: the collector goes into the database. */
static int add_stored(cli_t *c, const ermes__preset_t *p, const char *name, const char *value)
{
    ermes__collector_def_t row;
    ermes__config_t tmp;
    ermes_diag_t d;
    char detail[128];
    int rc;

    memset(&row, 0, sizeof(row));
    memset(&tmp, 0, sizeof(tmp));
    if (strlen(name) >= sizeof(row.name)) {
        cli_error("collectors add: a collector name is 1 to 63 letters, digits, '-', '_', '.'");
        return CLI_USAGE;
    }
    snprintf(row.name, sizeof(row.name), "%s", name);
    snprintf(row.tlp, sizeof(row.tlp), "%s", p->tlp);
    row.enabled = 1;
    if (!(row.preset = ermes__strdup(p->name)) || (value && !(row.value = ermes__strdup(value)))) {
        ermes__store_collector_def_clear(&row);
        cli_error("collectors add: out of memory");
        return CLI_ERROR;
    }
    ermes_diag_clear(&d);
    rc = ermes__collector_def_build(&row, &tmp, &d);
    ermes__collector_conf_cleanup(&tmp);
    if (rc) {
        ermes__store_collector_def_clear(&row);
        cli_error("collectors add: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0))) {
        ermes__store_collector_def_clear(&row);
        return rc;
    }
    snprintf(row.created_by, sizeof(row.created_by), "%s", c->actor[0] ? c->actor : "cli");
    row.owner_org_id = c->viewer.org_id;
    rc = ermes__store_collector_def_put(c->store, &row, 0);
    if (rc == 0) {
        snprintf(detail, sizeof(detail), "{\"fields\":[\"preset\",\"name\"%s]}",
                 value ? ",\"value\"" : "");
        ermes__audit_write(c->store, &c->viewer, "create", "collector", row.name, detail);
        printf("collector \"%s\" (preset %s, feed %s, every %lds) stored in the database; the "
               "daemon runs it within seconds\n",
               row.name, p->name, p->parser, p->interval);
    } else if (rc == ERMES_EEXISTS) {
        cli_error("collectors add: there is a collector \"%s\" already (--name another)", row.name);
    } else {
        cli_error("collectors add: %s", ermes_strerror(rc));
    }
    ermes__store_collector_def_clear(&row);
    return rc == 0 ? CLI_OK : rc == ERMES_EEXISTS ? CLI_USAGE : CLI_ERROR;
}

/* ermes collectors enable|disable|remove NAME: a stored collector. */
static int cmd_change(cli_t *c, const char *what, int first)
{
    ermes__collector_def_t row;
    const char *name = NULL;
    int rc;

    for (int i = first; i < c->nargs; i++) {
        if (cli_flag(c, i, "--help", NULL)) {
            collect_help(stdout);
            return CLI_OK;
        } else if (!name && cli_arg(c, i)[0] != '-') {
            name = cli_arg(c, i);
        } else {
            cli_error("collectors %s: unexpected argument \"%s\"", what, cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!name) {
        cli_error("collectors %s: which collector? (`ermes collectors` lists them)", what);
        return CLI_USAGE;
    }
    if (ermes__collector_conf_find(&c->cfg, name)) {
        cli_error("collectors %s: \"%s\" is a section of the config file: change it there", what,
                  cli_safe(name));
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (strcmp(what, "remove") == 0) {
        rc = ermes__store_collector_def_delete(c->store, name);
    } else if ((rc = ermes__store_collector_def_get(c->store, name, &row)) == 0) {
        row.enabled = strcmp(what, "enable") == 0;
        rc = ermes__store_collector_def_put(c->store, &row, 1);
        ermes__store_collector_def_clear(&row);
    }
    if (rc == ERMES_ENOTFOUND) {
        cli_error("collectors %s: no collector \"%s\" in the database", what, cli_safe(name));
        return CLI_USAGE;
    }
    if (rc) {
        cli_error("collectors %s: %s", what, ermes_strerror(rc));
        return CLI_ERROR;
    }
    ermes__audit_write(c->store, &c->viewer, strcmp(what, "remove") == 0 ? "delete" : "update",
                       "collector", name,
                       strcmp(what, "remove") == 0 ? NULL : "{\"fields\":[\"enabled\"]}");
    printf("collector \"%s\" %s\n", cli_safe(name),
           strcmp(what, "remove") == 0   ? "removed"
           : strcmp(what, "enable") == 0 ? "enabled"
                                         : "disabled");
    return CLI_OK;
}

/* A stored collector of feed misp-feed (collect_misp.c): url, header lines, interval. */
static int add_misp(cli_t *c, const char *name, const char *url, const char *const *headers,
                    size_t nheaders, const char *interval)
{
    ermes__collector_def_t row;
    ermes__config_t tmp;
    ermes_diag_t d;
    json_t *h = json_array();
    int64_t every = 3600;
    int rc;

    memset(&row, 0, sizeof(row));
    memset(&tmp, 0, sizeof(tmp));
    ermes_diag_clear(&d);
    if (!name || !name[0] || strlen(name) >= sizeof(row.name)) {
        json_decref(h);
        cli_error("collectors add: --misp-feed needs --name (1 to 63 letters, digits, '-', "
                  "'_', '.')");
        return CLI_USAGE;
    }
    if (interval && ermes__parse_int64(interval, "interval", 1, 30L * 86400, &every, &d)) {
        json_decref(h);
        cli_error("collectors add: --interval must be 1 to 2592000 seconds");
        return CLI_USAGE;
    }
    snprintf(row.name, sizeof(row.name), "%s", name);
    snprintf(row.tlp, sizeof(row.tlp), "AMBER");
    row.enabled = 1;
    row.interval = (long)every;
    for (size_t k = 0; h && k < nheaders; k++)
        json_array_append_new(h, json_string(headers[k]));
    if (!h || !(row.url = ermes__strdup(url)) ||
        !(row.feed = ermes__strdup(ERMES_COLLECT_MISP_FEED)) ||
        (nheaders && !(row.headers = json_dumps(h, JSON_COMPACT)))) {
        json_decref(h);
        ermes__store_collector_def_clear(&row);
        cli_error("collectors add: out of memory");
        return CLI_ERROR;
    }
    json_decref(h);
    rc = ermes__collector_def_build(&row, &tmp, &d);
    ermes__collector_conf_cleanup(&tmp);
    if (rc) {
        ermes__store_collector_def_clear(&row);
        cli_error("collectors add: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0))) {
        ermes__store_collector_def_clear(&row);
        return rc;
    }
    snprintf(row.created_by, sizeof(row.created_by), "%s", c->actor[0] ? c->actor : "cli");
    row.owner_org_id = c->viewer.org_id;
    rc = ermes__store_collector_def_put(c->store, &row, 0);
    if (rc == 0) {
        ermes__audit_write(c->store, &c->viewer, "create", "collector", row.name,
                           nheaders ? "{\"fields\":[\"name\",\"feed\",\"url\",\"interval\","
                                      "\"headers\"]}"
                                    : "{\"fields\":[\"name\",\"feed\",\"url\",\"interval\"]}");
        printf("collector \"%s\" (feed misp-feed, every %llds) stored in the database; the daemon "
               "runs it within seconds\n",
               row.name, (long long)every);
    } else if (rc == ERMES_EEXISTS) {
        cli_error("collectors add: there is a collector \"%s\" already (--name another)", row.name);
    } else {
        cli_error("collectors add: %s", ermes_strerror(rc));
    }
    ermes__store_collector_def_clear(&row);
    return rc == 0 ? CLI_OK : rc == ERMES_EEXISTS ? CLI_USAGE : CLI_ERROR;
}

static int cmd_add(cli_t *c, int first)
{
    const char *preset = NULL, *name = NULL, *value = NULL, *v, *misp = NULL, *interval = NULL;
    const char *headers[ERMES_COLLECTOR_MAX_HEADERS];
    size_t nheaders = 0;
    const ermes__preset_t *p;
    char text[8192] = "", *path = NULL;
    ermes_diag_t d;
    int n, rc, to_config = 0;

    for (int i = first; i<c->nargs; i += n> 0 ? n : 1) {
        if (cli_flag(c, i, "--help", NULL)) {
            collect_help(stdout);
            return CLI_OK;
        }
        if ((n = cli_flag(c, i, "--preset", &v)) > 0)
            preset = v;
        else if (n == 0 && (n = cli_flag(c, i, "--name", &v)) > 0)
            name = v;
        else if (n == 0 && (n = cli_flag(c, i, "--api-key", &v)) > 0)
            value = v;
        else if (n == 0 && (n = cli_flag(c, i, "--asn", &v)) > 0)
            value = v;
        else if (n == 0 && (n = cli_flag(c, i, "--container-url", &v)) > 0)
            value = v;
        else if (n == 0 && (n = cli_flag(c, i, "--misp-feed", &v)) > 0)
            misp = v;
        else if (n == 0 && (n = cli_flag(c, i, "--interval", &v)) > 0)
            interval = v;
        else if (n == 0 && (n = cli_flag(c, i, "--header", &v)) > 0) {
            if (nheaders >= ERMES_COLLECTOR_MAX_HEADERS) {
                cli_error("collectors add: at most %d --header", ERMES_COLLECTOR_MAX_HEADERS);
                return CLI_USAGE;
            }
            headers[nheaders++] = v;
        } else if (n == 0 && cli_flag(c, i, "--to-config", NULL)) {
            to_config = 1;
            n = 1;
        }
        if (n < 0)
            return CLI_USAGE;
        if (n == 0) {
            cli_error("collectors add: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (misp) {
        if (preset || value || to_config) {
            cli_error("collectors add: --misp-feed takes --name, --header and --interval only");
            return CLI_USAGE;
        }
        if (name && ermes__collector_conf_find(&c->cfg, name)) {
            cli_error("collectors add: there is a collector \"%s\" already (--name another)", name);
            return CLI_USAGE;
        }
        return add_misp(c, name, misp, headers, nheaders, interval);
    }
    if (nheaders || interval) {
        cli_error("collectors add: --header and --interval go with --misp-feed");
        return CLI_USAGE;
    }
    if (!preset) {
        cli_error("collectors add: which preset? (--preset NAME; `ermes collectors presets` "
                  "lists them)");
        return CLI_USAGE;
    }
    if (!(p = ermes__preset_find(preset))) {
        cli_error("collectors add: no preset \"%s\" (`ermes collectors presets` lists them)",
                  preset);
        return CLI_USAGE;
    }
    if (!name)
        name = p->name;
    if (ermes__collector_conf_find(&c->cfg, name)) {
        cli_error("collectors add: there is a collector \"%s\" already (--name another)", name);
        return CLI_USAGE;
    }
    if (!to_config)
        return add_stored(c, p, name, value);
    ermes_diag_clear(&d);
    if ((rc = ermes__preset_section(p, name, value, text, sizeof(text), &d))) {
        cli_error("collectors add: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_USAGE;
    }
    if (c->cfg.config_file) {
        path = ermes__strdup(c->cfg.config_file);
    } else if (c->cfg.data_dir) {
        size_t len = strlen(c->cfg.data_dir) + sizeof("/ermes.conf");
        if ((path = ermes__malloc(len)))
            snprintf(path, len, "%s/ermes.conf", c->cfg.data_dir);
    }
    if (!path) {
        cli_error("collectors add: no config file to write to (--config FILE)");
        return CLI_ERROR;
    }
    if ((rc = append_section(path, text, value != NULL, &d))) {
        cli_error("collectors add: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        ermes__free(path);
        return CLI_ERROR;
    }
    printf("collector \"%s\" (preset %s, feed %s, every %lds) added to %s; the daemon runs it "
           "from its next start\n",
           name, p->name, p->parser, p->interval, cli_safe(path));
    ermes__free(path);
    return CLI_OK;
}

int ermes__cmd_collectors(cli_t *c)
{
    struct list_ctx l = {&c->cfg, 0};
    int rc;

    if (c->nargs > 0 && strcmp(cli_arg(c, 0), "presets") == 0)
        return cmd_presets(c, 1);
    if (c->nargs > 0 && strcmp(cli_arg(c, 0), "add") == 0)
        return cmd_add(c, 1);
    if (c->nargs > 0 &&
        (strcmp(cli_arg(c, 0), "enable") == 0 || strcmp(cli_arg(c, 0), "disable") == 0 ||
         strcmp(cli_arg(c, 0), "remove") == 0))
        return cmd_change(c, cli_arg(c, 0), 1);
    for (int i = 0; i < c->nargs; i++) {
        if (cli_flag(c, i, "--help", NULL)) {
            collect_help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            l.json = 1;
        } else {
            cli_error("collectors: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    rc = ermes__collect_each(&c->cfg, c->store, list_cb, &l);
    if (rc) {
        cli_error("collectors: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

int ermes__cmd_collect(cli_t *c)
{
    const char *name = NULL;
    int json = 0, no_process = 0, rc;
    ermes__registry_t *reg = NULL;
    ermes__intake_t *in = NULL;
    ermes__collect_t *col = NULL;
    ermes__intake_options_t o;
    ermes__collector_state_t s;
    const ermes__collector_conf_t *def;
    ermes__config_t tmp;
    char schema[4096];
    ermes_diag_t d;

    for (int i = 0; i < c->nargs; i++) {
        if (cli_flag(c, i, "--help", NULL)) {
            collect_help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--no-process", NULL)) {
            no_process = 1;
        } else if (!name && cli_arg(c, i)[0] != '-') {
            name = cli_arg(c, i);
        } else {
            cli_error("collect: unexpected argument \"%s\"", cli_arg(c, i));
            collect_help(stderr);
            return CLI_USAGE;
        }
    }
    if (!name) {
        cli_error("collect: which collector? (`ermes collectors` lists them)");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    memset(&tmp, 0, sizeof(tmp));
    ermes_diag_clear(&d);
    if (!(def = ermes__collector_conf_find(&c->cfg, name))) {
        /* A stored collector, as it is now. */
        if ((rc = ermes__collect_load(c->store, name, &tmp, &d))) {
            if (rc == ERMES_ENOTFOUND)
                cli_error("collect: no collector \"%s\" in the config file%s%s nor the database",
                          cli_safe(name), c->cfg.config_file ? " " : "",
                          c->cfg.config_file ? c->cfg.config_file : "");
            else
                cli_error("collect: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
            return CLI_USAGE;
        }
        def = &tmp.collectors[0];
    }
    ermes_diag_clear(&d);
    if ((rc = ermes__intake_options_from_config(&c->cfg, &o, schema, sizeof(schema), &d)) ||
        (rc = ermes__registry_open(c->store, &reg)) ||
        (rc = ermes__intake_new(c->store, reg, &o, &in)) ||
        (rc = ermes__collect_new(&c->cfg, c->store, in, &col, &d))) {
        cli_error("collect: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        rc = CLI_ERROR;
        goto out;
    }
    rc = ermes__collect_run(col, name, &s);
    if (rc == ERMES_EBUSY) {
        cli_error("collect: collector \"%s\" is running elsewhere (the daemon?)", name);
        rc = CLI_ERROR;
        goto out;
    }
    if (rc) {
        cli_error("collect: %s", ermes_strerror(rc));
        rc = CLI_ERROR;
        goto out;
    }
    if (def->list) {
        /* List mode: a run may make several reports, some even when an item failed. */
        size_t n = 0;
        if (!no_process && (rc = ermes__intake_process_pending(in, &n)))
            cli_error("collect: processing stopped: %s (it will be resumed)", ermes_strerror(rc));
    } else if (!no_process && strcmp(s.status, "ok") == 0 && s.last_report_id &&
               (rc = ermes__intake_process_wait(in, s.last_report_id, NULL, ERMES__INTAKE_WAIT_MS)))
        cli_error("collect: report %lld stored; processing stopped: %s (it will be resumed)",
                  (long long)s.last_report_id, ermes_strerror(rc));
    print_state(&c->cfg, def, &s, NULL, json);
    rc = strcmp(s.status, "error") == 0 || rc ? CLI_ERROR : CLI_OK;
out:
    ermes__collect_free(col);
    ermes__intake_free(in);
    ermes__registry_close(reg);
    ermes__collector_conf_cleanup(&tmp);
    return rc;
}
