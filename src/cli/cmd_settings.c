/* ermes settings: the settings table (src/core/config.c), for people and for scripts; and the
 * live settings stored in the database (set, unset, stored), which every daemon on that
 * database uses within a few seconds. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/config_live.h"
#include "notify/notify.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes settings [--list]\n"
               "       ermes settings set NAME VALUE|-\n"
               "       ermes settings unset NAME\n"
               "       ermes settings stored\n\n"
               "Prints every setting with its flag, environment variable, meaning and default;\n"
               "--list prints only the names (the keys of the config file), one a line.\n"
               "set stores the value of a live setting (marked [live]) in the database, checked\n"
               "as the daemon checks it (VALUE -: read from the first line of standard input,\n"
               "for a password); the running daemons use it within a few seconds. It wins over\n"
               "the config file and the default, not over a daemon's ERMES_* environment or\n"
               "flags. unset removes the stored value (back to the file's or the default);\n"
               "stored lists the stored values (secrets as \"(secret)\"). Both are audited as\n"
               "cli:$USER.\n");
}

static int stored_cb(void *ctx, const char *name, const char *value, const char *by, int64_t at)
{
    int secret = 0;

    (void)ctx;
    (void)at;
    ermes__config_setting_info(name, NULL, &secret);
    printf("%s = %s", cli_safe(name), secret ? "(secret)" : cli_safe(value));
    printf("  (by %s)\n", cli_safe(by));
    return 0;
}

/* The first line of standard input, without its line end. */
static int read_stdin_line(char *buf, size_t cap)
{
    size_t n;

    if (!fgets(buf, (int)cap, stdin))
        return -1;
    n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

static int check_live(const char *name)
{
    int live = 0;

    if (ermes__config_setting_info(name, &live, NULL)) {
        cli_error("settings: unknown setting \"%s\"", name);
        return CLI_USAGE;
    }
    if (!live) {
        cli_error("settings: %s needs a restart: set it in the config file, the environment or "
                  "a flag",
                  name);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_set(cli_t *c, const char *name, const char *value)
{
    char line[4096], old[4096];
    int secret = 0, src = 0, rc;
    ermes_diag_t d;

    if ((rc = check_live(name)))
        return rc;
    if (strcmp(value, "-") == 0) {
        if (read_stdin_line(line, sizeof(line))) {
            cli_error("settings: no value on standard input");
            return CLI_ERROR;
        }
        value = line;
    }
    if (strlen(value) >= 4096) {
        cli_error("settings: the value is longer than 4095 bytes");
        return CLI_ERROR;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    ermes__config_setting_info(name, NULL, &secret);
    ermes_diag_clear(&d);
    if ((rc = ermes__notify_check_setting(&c->cfg, name, value, &d))) {
        cli_error("settings: %s: %s", d.field[0] ? d.field : name,
                  d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    ermes__config_get(&c->cfg, name, old, sizeof(old), &src);
    if ((rc = ermes__store_setting_put(c->store, name, value, c->actor, c->viewer.org_id, NULL))) {
        cli_error("settings: cannot store %s: %s", name, ermes_strerror(rc));
        return CLI_ERROR;
    }
    ermes__audit_setting(c->store, &c->viewer, name, secret, old, value, 0);
    printf("%s stored; the running daemons use it within a few seconds\n", name);
    if (src == ERMES__SRC_ENV || src == ERMES__SRC_FLAG)
        fprintf(stderr,
                "ermes: note: this process has %s from its %s, which wins over the database; a "
                "daemon started the same way keeps that value\n",
                name, src == ERMES__SRC_ENV ? "environment" : "flags");
    return CLI_OK;
}

static int cmd_unset(cli_t *c, const char *name)
{
    char old[4096];
    int rc, secret = 0;

    if ((rc = check_live(name)))
        return rc;
    if ((rc = cli_open_store(c, 0)))
        return rc;
    ermes__config_setting_info(name, NULL, &secret);
    ermes__config_get(&c->cfg, name, old, sizeof(old), NULL);
    if ((rc = ermes__store_setting_delete(c->store, name))) {
        if (rc == ERMES_ENOTFOUND) {
            cli_error("settings: %s has no value stored in the database", name);
            return CLI_ERROR;
        }
        cli_error("settings: cannot remove %s: %s", name, ermes_strerror(rc));
        return CLI_ERROR;
    }
    {
        /* The value in force now: the file's, the environment's or the default (the live
         * layer was given the settings without the database's when the store opened). */
        const ermes__config_t *now;
        char value[4096] = "";
        ermes__store_settings_apply(c->store, NULL, NULL);
        now = ermes__live_acquire(&c->cfg);
        ermes__config_get(now, name, value, sizeof(value), NULL);
        ermes__live_release(now);
        ermes__audit_setting(c->store, &c->viewer, name, secret, old, value, 1);
    }
    printf("%s: stored value removed; the config file's, the environment's or the default "
           "applies\n",
           name);
    return CLI_OK;
}

int ermes__cmd_settings(cli_t *c)
{
    const char *sub = cli_arg(c, 0);
    int list = 0, rc;

    if (sub && strcmp(sub, "set") == 0) {
        if (c->nargs != 3) {
            help(stderr);
            return CLI_USAGE;
        }
        return cmd_set(c, cli_arg(c, 1), cli_arg(c, 2));
    }
    if (sub && strcmp(sub, "unset") == 0) {
        if (c->nargs != 2) {
            help(stderr);
            return CLI_USAGE;
        }
        return cmd_unset(c, cli_arg(c, 1));
    }
    if (sub && strcmp(sub, "stored") == 0) {
        if (c->nargs != 1) {
            help(stderr);
            return CLI_USAGE;
        }
        if ((rc = cli_open_store(c, 0)))
            return rc;
        if ((rc = ermes__store_setting_each(c->store, stored_cb, NULL))) {
            cli_error("settings: cannot read the stored settings: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    for (int i = 0; i < c->nargs; i++) {
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--list", NULL)) {
            list = 1;
        } else {
            cli_error("settings: unknown argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (list)
        ermes__config_list(stdout);
    else
        ermes__config_usage(stdout);
    return CLI_OK;
}
