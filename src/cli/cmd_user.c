/* ermes user and ermes token: accounts and API tokens, on the database directly. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/time.h"

static void user_help(FILE *f)
{
    fprintf(f, "usage: ermes user add NAME --role admin|analyst|constituent|sensor [--org ORG]\n"
               "                      [--password-stdin]\n"
               "       ermes user list [--json]\n"
               "       ermes user passwd NAME        (reads the new password from stdin)\n"
               "       ermes user disable NAME | enable NAME\n"
               "       ermes user totp reset NAME    (turns NAME's two-step sign-in off)\n\n"
               "A constituent user belongs to one organisation (--org, its short name) and sees\n"
               "only what that organisation may see; admins and analysts belong to the CERT.\n"
               "A sensor user (a Suricata or Zeek box) may only submit logs (POST /api/v1/logs)\n"
               "with a token (ermes token create NAME): no password, no web sign-in. --org names\n"
               "the organisation whose network it watches (optional).\n"
               "totp reset is for a user who lost the device with their one-time codes: their\n"
               "TOTP secret and recovery codes are forgotten and their sessions ended; they set\n"
               "it up again at their next sign-in (Account in the web interface).\n");
    cli_usage_settings(f);
}

static int read_password(char *buf, size_t cap)
{
    size_t n;

    if (!fgets(buf, (int)cap, stdin)) {
        cli_error("no password on standard input");
        return -1;
    }
    n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 0;
}

struct print_ctx {
    cli_t *c;
    int json;
};

static int print_user(void *arg, const ermes__user_t *u)
{
    struct print_ctx *p = arg;
    char org[64] = "";

    ermes__store_org_short_name(p->c->store, u->org_id, org, sizeof(org));
    if (p->json) {
        /* jansson writes the names, so a quote or a control character in one stays a string. */
        json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:b,s:b}", "id", (json_int_t)u->id, "name", u->name,
                              "role", ermes__role_name(u->role), "org", org, "disabled",
                              u->disabled, "totp_enabled", u->totp_enabled);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!s)
            return ERMES_ENOMEM;
        printf("%s\n", s);
        free(s);
    } else {
        printf("%-6lld %-24s %-12s %-12s%s%s\n", (long long)u->id, cli_safe(u->name),
               ermes__role_name(u->role), cli_safe(org), u->totp_enabled ? " (totp)" : "",
               u->disabled ? " (disabled)" : "");
    }
    return 0;
}

/* ermes user totp reset NAME: for a user who lost their device. */
static int user_totp(cli_t *c)
{
    const char *action = cli_arg(c, 1), *name = cli_arg(c, 2);
    int64_t ended = 0;
    ermes__user_t u;
    char ref[32], detail[64];
    int rc;

    if (!action || strcmp(action, "reset") || !name || name[0] == '-' || c->nargs > 3) {
        cli_error("user totp: usage: ermes user totp reset NAME");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (ermes__store_user_get(c->store, 0, name, &u)) {
        cli_error("user totp reset: no user \"%s\"", cli_safe(name));
        return CLI_ERROR;
    }
    rc = ermes__totp_reset(c->store, u.id);
    if (rc == ERMES_ENOTFOUND) {
        cli_error("user totp reset: %s has no two-step sign-in set up", cli_safe(u.name));
        return CLI_ERROR;
    }
    /* The lost device may be signed in somewhere: its sessions end too. */
    if (!rc)
        rc = ermes__store_session_delete_user(c->store, u.id, 0, &ended);
    if (rc) {
        cli_error("user totp reset: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    snprintf(ref, sizeof(ref), "%lld", (long long)u.id);
    snprintf(detail, sizeof(detail), "{\"sessions_ended\":%lld}", (long long)ended);
    ermes__audit_write(c->store, &c->viewer, "totp_reset", "user", ref, detail);
    printf("%s: two-step sign-in reset (%lld session%s ended)\n", cli_safe(u.name),
           (long long)ended, ended == 1 ? "" : "s");
    return CLI_OK;
}

int ermes__cmd_user(cli_t *c)
{
    const char *sub = cli_arg(c, 0), *name = NULL, *role = NULL, *org = NULL, *v;
    int pw_stdin = 0, json = 0, n, rc;
    ermes__user_t u;
    ermes_diag_t d;
    char ref[32];

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            user_help(stdout);
            return CLI_OK;
        }
    if (!sub) {
        user_help(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(sub, "totp"))
        return user_totp(c);
    for (int i = 1; i < c->nargs; i += n) {
        n = 1;
        if ((n = cli_flag(c, i, "--role", &v)) > 0)
            role = v;
        else if (n == 0 && (n = cli_flag(c, i, "--org", &v)) > 0)
            org = v;
        else if (n == 0 && cli_flag(c, i, "--password-stdin", NULL))
            pw_stdin = n = 1;
        else if (n == 0 && cli_flag(c, i, "--json", NULL))
            json = n = 1;
        else if (n == 0 && !name && cli_arg(c, i)[0] != '-')
            name = cli_arg(c, i), n = 1;
        else {
            if (n == 0)
                cli_error("user: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    ermes_diag_clear(&d);
    if (!strcmp(sub, "list")) {
        struct print_ctx p = {c, json};
        int more;
        if ((rc = cli_open_store(c, 0)))
            return rc;
        rc = ermes__store_user_each(c->store, 0, 0, 0, print_user, &p, &more);
        return rc ? CLI_ERROR : CLI_OK;
    }
    if (!name) {
        cli_error("user %s: which user?", sub);
        return CLI_USAGE;
    }
    if (!strcmp(sub, "add")) {
        memset(&u, 0, sizeof(u));
        if (strlen(name) > ERMES_USER_NAME_MAX ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@") !=
                strlen(name)) {
            cli_error("user add: a name is 1 to 64 letters, digits, '.', '-', '_' or '@'");
            return CLI_USAGE;
        }
        snprintf(u.name, sizeof(u.name), "%s", name);
        if (!role || ermes__role_parse(role, &u.role)) {
            cli_error("user add: --role must be admin, analyst, constituent or sensor");
            return CLI_USAGE;
        }
        if (u.role == ERMES_ROLE_SENSOR && pw_stdin) {
            cli_error("user add: a sensor user has no password: give it a token");
            return CLI_USAGE;
        }
        if (u.role != ERMES_ROLE_SENSOR && (u.role == ERMES_ROLE_CONSTITUENT) != (org != NULL)) {
            cli_error("user add: %s", org ? "only constituent users belong to another "
                                            "organisation than the CERT"
                                          : "a constituent user needs --org");
            return CLI_USAGE;
        }
        if ((rc = cli_open_store(c, 0)))
            return rc;
        u.org_id = c->viewer.org_id;
        if (org && ermes__store_org_resolve(c->store, &c->viewer, org, &u.org_id)) {
            cli_error("user add: no organisation \"%s\"", org);
            return CLI_ERROR;
        }
        if (pw_stdin) {
            char pw[ERMES_PASSWORD_MAX + 2];
            if (read_password(pw, sizeof(pw)))
                return CLI_ERROR;
            rc = ermes__password_hash(pw, u.password_hash, &d);
            memset(pw, 0, sizeof(pw));
            if (rc) {
                cli_error("user add: %s", d.reason);
                return CLI_USAGE;
            }
        }
        if ((rc = ermes__store_user_insert(c->store, &u, &d))) {
            cli_error("user add: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
            return CLI_ERROR;
        }
        snprintf(ref, sizeof(ref), "%lld", (long long)u.id);
        ermes__audit_write(c->store, &c->viewer, "create", "user", ref, NULL);
        printf("added user %s (id %lld, %s)\n", cli_safe(u.name), (long long)u.id,
               ermes__role_name(u.role));
        return CLI_OK;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (ermes__store_user_get(c->store, 0, name, &u)) {
        cli_error("user %s: no user \"%s\"", sub, name);
        return CLI_ERROR;
    }
    if (!strcmp(sub, "passwd")) {
        char pw[ERMES_PASSWORD_MAX + 2];
        if (u.role == ERMES_ROLE_SENSOR) {
            cli_error("user passwd: %s is a sensor: it has no password, only tokens", u.name);
            return CLI_USAGE;
        }
        if (read_password(pw, sizeof(pw)))
            return CLI_ERROR;
        rc = ermes__password_hash(pw, u.password_hash, &d);
        memset(pw, 0, sizeof(pw));
        if (rc) {
            cli_error("user passwd: %s", d.reason);
            return CLI_USAGE;
        }
    } else if (!strcmp(sub, "disable") || !strcmp(sub, "enable")) {
        u.disabled = !strcmp(sub, "disable");
    } else {
        cli_error("user: unknown subcommand \"%s\"", sub);
        return CLI_USAGE;
    }
    if ((rc = ermes__store_user_update(c->store, &u))) {
        cli_error("user %s: %s", sub, ermes_strerror(rc));
        return CLI_ERROR;
    }
    snprintf(ref, sizeof(ref), "%lld", (long long)u.id);
    ermes__audit_write(c->store, &c->viewer, sub, "user", ref, NULL);
    printf("%s: done\n", cli_safe(u.name));
    return CLI_OK;
}

static void token_help(FILE *f)
{
    fprintf(f, "usage: ermes token create USER [--description TEXT] [--expires-in-days N]\n"
               "                              [--expires-in-seconds N]\n"
               "       ermes token list [USER] [--json]\n"
               "       ermes token revoke ID\n\n"
               "create prints the new token once; only its hash is stored.\n");
    cli_usage_settings(f);
}

static int print_token(void *arg, const ermes__token_t *t)
{
    char created[ERMES_TIME_STRLEN], expires[ERMES_TIME_STRLEN];

    (void)arg;
    ermes__time_format(t->created_at, created);
    ermes__time_format(t->expires_at, expires);
    printf("%-6lld user %-6lld %-14s created %s expires %s%s %s\n", (long long)t->id,
           (long long)t->user_id, cli_safe(t->prefix), created, expires,
           t->revoked_at ? " REVOKED" : "", cli_safe(t->description));
    return 0;
}

int ermes__cmd_token(cli_t *c)
{
    const char *sub = cli_arg(c, 0), *target = NULL, *desc = NULL, *v;
    int64_t lifetime = c->cfg.token_days * 86400000LL;
    int n, rc;
    ermes__user_t u;
    char ref[32];

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            token_help(stdout);
            return CLI_OK;
        }
    if (!sub) {
        token_help(stderr);
        return CLI_USAGE;
    }
    for (int i = 1; i < c->nargs; i += n) {
        long long x;
        n = 1;
        if ((n = cli_flag(c, i, "--description", &v)) > 0)
            desc = v;
        else if (n == 0 && ((n = cli_flag(c, i, "--expires-in-days", &v)) > 0 ||
                            (n = cli_flag(c, i, "--expires-in-seconds", &v)) > 0)) {
            int days = strstr(cli_arg(c, i), "days") != NULL;
            /* At most ten years either way. */
            if (cli_number(days ? "--expires-in-days" : "--expires-in-seconds", v, 1,
                           days ? 3650 : 3650LL * 86400, &x))
                return CLI_USAGE;
            lifetime = days ? x * 86400000LL : x * 1000LL;
        } else if (n == 0 && !target && cli_arg(c, i)[0] != '-')
            target = cli_arg(c, i), n = 1;
        else {
            if (n == 0)
                cli_error("token: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (!strcmp(sub, "create")) {
        char secret[ERMES_TOKEN_STRLEN];
        ermes__token_t t;
        if (!target) {
            cli_error("token create: for which user?");
            return CLI_USAGE;
        }
        if (ermes__store_user_get(c->store, 0, target, &u)) {
            cli_error("token create: no user \"%s\"", target);
            return CLI_ERROR;
        }
        if ((rc = ermes__token_create(c->store, u.id, desc, lifetime, secret, &t))) {
            cli_error("token create: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        snprintf(ref, sizeof(ref), "%lld", (long long)t.id);
        ermes__audit_write(c->store, &c->viewer, "create", "token", ref, NULL);
        printf("%s\n", secret);
        memset(secret, 0, sizeof(secret));
        return CLI_OK;
    }
    if (!strcmp(sub, "list")) {
        int more;
        int64_t uid = 0;
        if (target) {
            if (ermes__store_user_get(c->store, 0, target, &u)) {
                cli_error("token list: no user \"%s\"", target);
                return CLI_ERROR;
            }
            uid = u.id;
        }
        return ermes__store_token_each(c->store, uid, 0, 0, print_token, NULL, &more) ? CLI_ERROR
                                                                                      : CLI_OK;
    }
    if (!strcmp(sub, "revoke")) {
        long long id;
        if (!target) {
            cli_error("token revoke: give the token's id (see `ermes token list`)");
            return CLI_USAGE;
        }
        if (cli_number("token id", target, 1, INT64_MAX, &id))
            return CLI_USAGE;
        if ((rc = ermes__store_token_revoke(c->store, id, ermes__time_now_ms()))) {
            cli_error("token revoke: %s",
                      rc == ERMES_ENOTFOUND ? "no such token" : ermes_strerror(rc));
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "revoke", "token", target, NULL);
        printf("revoked token %lld\n", id);
        return CLI_OK;
    }
    cli_error("token: unknown subcommand \"%s\"", sub);
    return CLI_USAGE;
}
