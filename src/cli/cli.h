/* The command line: `ermes <command> [<subcommand>] [options]`. Each command is one file. */
#ifndef ERMES_CLI_CLI_H
#define ERMES_CLI_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "constituency/registry.h"
#include "core/config.h"
#include "model/user.h"
#include "store/store.h"

/* Exit codes (issue "Foundation"): 0 ok, 1 error, 2 usage. */
#define CLI_OK 0
#define CLI_ERROR 1
#define CLI_USAGE 2

/* The command's arguments once settings are taken out: argv[args[0..nargs)]. */
typedef struct cli {
    ermes__config_t cfg;
    int argc;
    char **argv;
    int *args;
    int nargs;
    int pos; /* next argument to read */
    ermes__store_t *store;
    ermes__lease_beat_t *beat; /* renews the leases this process holds (store/lease.c) */
    ermes__viewer_t viewer;    /* the local administrator */
    char actor[96];
} cli_t;

/* Argument reading. cli_flag matches "--name" (returns 1) or "--name=value"/"--name value"
 * when value is non-NULL (sets *value). cli_next returns the next positional or NULL. */
int cli_flag(cli_t *c, int i, const char *name, const char **value);
const char *cli_arg(cli_t *c, int i);

/* Opens the store (creating it with create=1) and sets up the local administrator viewer.
 * Prints the reason and returns CLI_ERROR on failure. */
int cli_open_store(cli_t *c, int create);

/* Untrusted text (feed rows, reasons, file names, names stored by others) for a person's
 * terminal: s itself when it holds no control character, else an escaped copy (C0, DEL, C1
 * and invalid UTF-8 made visible as \xNN or \u00NN) that stays valid until eight more calls.
 * NULL gives "". Every human-readable output of such text goes through it (issue 10, item 6);
 * JSON output is escaped by jansson instead. */
const char *cli_safe(const char *s);

/* Parses text as the value of option flag: an integer from min to max. Prints what was
 * wrong, naming flag, and returns CLI_USAGE; or sets *out and returns CLI_OK. */
int cli_number(const char *flag, const char *text, long long min, long long max, long long *out);

/* A list command's frame (list.c): cli_list_begin reads [--json] from argument `first` on
 * (any other argument is named: CLI_USAGE), opens the store and makes arr, where a --json
 * listing gathers its objects (the store's callback appends them; without --json it prints a
 * line each). cli_list_end takes what the store's walk returned: ERMES_ENOTFOUND names the
 * missing `what` REF, an error is printed, else the JSON is printed (the one object for a
 * REF, the array otherwise); arr is freed. Both return the exit code. */
typedef struct cli_list {
    int json;
    json_t *arr;
} cli_list_t;
int cli_list_begin(cli_t *c, int first, const char *command, cli_list_t *l);
int cli_list_end(cli_list_t *l, int rc, const char *command, const char *what, const char *ref);

/* Prints "ermes: " + message to stderr, control characters escaped as by cli_safe. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints usage text and the settings table to f. */
void cli_usage_settings(FILE *f);
/* The settings named (NULL-terminated; NULL: every one), after a command's own usage. */
void cli_usage_settings_some(FILE *f, const char *const *names);

int ermes__cmd_init(cli_t *c);
int ermes__cmd_serve(cli_t *c);
int ermes__cmd_org(cli_t *c);
/* ermes org prefs (cmd_org_prefs.c): arguments from first on. */
int ermes__cli_org_prefs(cli_t *c, int first);
int ermes__cmd_lookup(cli_t *c);
int ermes__cmd_user(cli_t *c);
int ermes__cmd_token(cli_t *c);
int ermes__cmd_ingest(cli_t *c);
int ermes__cmd_events(cli_t *c);
int ermes__cmd_retention(cli_t *c);
int ermes__cmd_reports(cli_t *c);
int ermes__cmd_quarantine(cli_t *c);
int ermes__cmd_feeds(cli_t *c);
int ermes__cmd_notify(cli_t *c);
/* notify approve|hold|cancel|edit|policy (cmd_notify_review.c). */
int ermes__cmd_notify_review(cli_t *c, const char *sub);
/* ermes templates (cmd_templates.c), and its views `notify templates` (LANG: the notification
 * message) and `advisories templates` (FORMAT LANG: the page, the feed's entry); first: the
 * index of the subcommand argument; dir: notify_templates. */
typedef enum ermes__cli_templates_view {
    ERMES_CLI_TEMPLATES_ALL,
    ERMES_CLI_TEMPLATES_NOTIFY,
    ERMES_CLI_TEMPLATES_ADVISORY
} ermes__cli_templates_view_t;
int ermes__cmd_templates(cli_t *c);
int ermes__cmd_templates_view(cli_t *c, ermes__cli_templates_view_t view, int first,
                              const char *dir);
/* `ermes incidents rules ...` (cmd_incident_rules.c). */
int ermes__cmd_incidents_rules(cli_t *c);
int ermes__cmd_match(cli_t *c);
int ermes__cmd_indicators(cli_t *c);
int ermes__cmd_misp(cli_t *c);
int ermes__cmd_warninglists(cli_t *c);
int ermes__cmd_sightings(cli_t *c);
int ermes__cmd_collect(cli_t *c);
int ermes__cmd_collectors(cli_t *c);
int ermes__cmd_retrohunt(cli_t *c);
int ermes__cmd_mail(cli_t *c);
int ermes__cmd_settings(cli_t *c);
int ermes__cmd_cvss(cli_t *c);
int ermes__cmd_vulns(cli_t *c);
int ermes__cmd_assets(cli_t *c);
int ermes__cmd_csaf(cli_t *c);
int ermes__cmd_csaf_credentials(cli_t *c); /* ermes csaf credentials (cmd_csaf_credentials.c) */
int ermes__cmd_stix(cli_t *c);
int ermes__cmd_sharing_groups(cli_t *c);
int ermes__cmd_peers(cli_t *c);
int ermes__cmd_advisories(cli_t *c);
int ermes__cmd_incidents(cli_t *c);
/* incidents write|correspondence (cmd_incident_write.c). */
int ermes__cmd_incidents_write(cli_t *c, const char *verb);
int ermes__cmd_stats(cli_t *c);
int ermes__cmd_migrate(cli_t *c);
int ermes__cmd_correlate(cli_t *c);

/* Reads a whole file ("-" for stdin) up to max bytes into memory (caller frees with
 * ermes__free). Prints the reason and returns NULL on failure. */
char *cli_read_file(const char *path, size_t max, size_t *len);
/* The same without printing, safe from any thread: NULL with *why one of CLI_READ_* on
 * failure, which cli_read_file_error prints as cli_read_file would have. */
enum { CLI_READ_OPEN = 1, CLI_READ_TOOBIG, CLI_READ_IO };
char *cli_read_file_quietly(const char *path, size_t max, size_t *len, int *why);
void cli_read_file_error(const char *path, size_t max, int why);

#endif
