/* `ermes incidents rules list|add|update|delete`: the incident rules (src/incidents/rules.c),
 * as /api/v1/incident-rules has them; every change audited. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "incidents/rules.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes incidents rules list [--json]\n"
               "       ermes incidents rules add NAME --condition C --action A [options]\n"
               "       ermes incidents rules update ID [NAME] [options]\n"
               "       ermes incidents rules delete ID\n"
               "The first enabled rule (by position) that matches an incident report decides.\n"
               "  --condition shared_observable|same_thread|same_constituent_class|"
               "subject_pattern\n"
               "  --action link|open|queue\n"
               "  --days N        shared_observable, same_thread: incident updated within N days\n"
               "  --hours N       same_constituent_class: incident opened within N hours\n"
               "  --rsit-class X  same_constituent_class: the incident's RSIT class\n"
               "  --pattern P     subject_pattern: a substring, or a glob with * and ?\n"
               "  --open-class X --open-type Y --severity S   open: the new incident's\n"
               "  --position N    its place (before the rule there)\n"
               "  --enabled | --disabled\n");
}

static int print_cb(void *ctx, const ermes__incident_rule_t *r)
{
    json_t *all = ctx;
    char param[300];

    if (all)
        return json_array_append_new(all, ermes__incident_rule_to_json(r)) ? ERMES_ENOMEM : 0;
    if (strcmp(r->condition, "subject_pattern") == 0)
        snprintf(param, sizeof(param), "\"%s\"", cli_safe(r->pattern));
    else if (strcmp(r->condition, "same_constituent_class") == 0)
        snprintf(param, sizeof(param), "%s %lldh", cli_safe(r->rsit_class), (long long)r->hours);
    else
        snprintf(param, sizeof(param), "%lld days", (long long)r->days);
    printf("%-5lld %-4lld %-8s %-24s %-24s -> %s%s%s  %s\n", (long long)r->id,
           (long long)r->position, r->enabled ? "enabled" : "disabled", r->condition, param,
           r->action, strcmp(r->action, "open") == 0 ? " " : "",
           strcmp(r->action, "open") == 0 ? cli_safe(r->open_class) : "", cli_safe(r->name));
    return 0;
}

static const struct {
    const char *flag, *member;
    int number;
} flags[] = {
    {"--condition", "condition", 0},
    {"--action", "action", 0},
    {"--days", "days", 1},
    {"--hours", "hours", 1},
    {"--rsit-class", "rsit_class", 0},
    {"--pattern", "pattern", 0},
    {"--open-class", "open_class", 0},
    {"--open-type", "open_type", 0},
    {"--severity", "severity", 0},
    {"--position", "position", 1},
    {"--tlp", "tlp", 0},
};

int ermes__cmd_incidents_rules(cli_t *c)
{
    const char *verb = c->nargs > 1 ? cli_arg(c, 1) : NULL, *v;
    json_t *body = json_object(), *all = NULL;
    ermes__incident_rule_t r;
    int64_t id = 0;
    int json = 0, rc = CLI_OK, n, x;
    char ref[32];
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (!body)
        return CLI_ERROR;
    if (!verb || strcmp(verb, "--help") == 0) {
        help(verb ? stdout : stderr);
        rc = verb ? CLI_OK : CLI_USAGE;
        goto out;
    }
    if (strcmp(verb, "list") && strcmp(verb, "add") && strcmp(verb, "update") &&
        strcmp(verb, "delete")) {
        cli_error("incidents rules: unknown verb \"%s\"", verb);
        help(stderr);
        rc = CLI_USAGE;
        goto out;
    }
    /* Arguments 0 and 1 are "rules" and the verb. */
    for (int i = 2; i < c->nargs; i += n) {
        size_t k;
        n = 0;
        for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
            if ((n = cli_flag(c, i, flags[k].flag, &v)) > 0)
                break;
        if (k < sizeof(flags) / sizeof(flags[0])) {
            long long l;
            if (flags[k].number) {
                if (cli_number(flags[k].flag, v, 0, 1000000, &l)) {
                    rc = CLI_USAGE;
                    goto out;
                }
                json_object_set_new(body, flags[k].member, json_integer(l));
            } else {
                json_object_set_new(body, flags[k].member, json_string(v));
            }
            continue;
        }
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            goto out;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--enabled", NULL)) {
            json_object_set_new(body, "enabled", json_true());
        } else if (cli_flag(c, i, "--disabled", NULL)) {
            json_object_set_new(body, "enabled", json_false());
        } else if (cli_arg(c, i)[0] != '-' && strcmp(verb, "add") && !id) {
            long long l;
            if (cli_number("ID", cli_arg(c, i), 1, INT64_MAX, &l)) {
                rc = CLI_USAGE;
                goto out;
            }
            id = l;
        } else if (cli_arg(c, i)[0] != '-' && strcmp(verb, "list") && strcmp(verb, "delete") &&
                   !json_object_get(body, "name")) {
            json_object_set_new(body, "name", json_string(cli_arg(c, i)));
        } else {
            cli_error("incidents rules %s: unexpected argument \"%s\"", verb, cli_arg(c, i));
            help(stderr);
            rc = CLI_USAGE;
            goto out;
        }
    }
    if ((strcmp(verb, "update") == 0 || strcmp(verb, "delete") == 0) && !id) {
        cli_error("incidents rules %s: which rule? (an id)", verb);
        rc = CLI_USAGE;
        goto out;
    }
    if ((rc = cli_open_store(c, 0)))
        goto out;
    if (strcmp(verb, "list") == 0) {
        if (json && !(all = json_array())) {
            rc = CLI_ERROR;
            goto out;
        }
        if (ermes__store_incident_rule_each(c->store, print_cb, all)) {
            cli_error("incidents rules list: cannot read the rules");
            rc = CLI_ERROR;
            goto out;
        }
        if (json) {
            char *text = json_dumps(all, JSON_INDENT(2));
            if (text)
                printf("%s\n", text);
            free(text);
        }
        goto out;
    }
    memset(&r, 0, sizeof(r));
    if (id && (x = ermes__store_incident_rule_get(c->store, id, &r))) {
        cli_error("incidents rules %s: %s", verb,
                  x == ERMES_ENOTFOUND ? "no such rule" : "cannot read the rule");
        rc = CLI_ERROR;
        goto out;
    }
    if (strcmp(verb, "delete") == 0) {
        x = ermes__store_incident_rule_delete(c->store, id);
    } else {
        if (ermes__incident_rule_read(body, id != 0, &r, &d)) {
            cli_error("incidents rules %s: %s%s%s", verb, d.field[0] ? d.field : "",
                      d.field[0] ? ": " : "", d.reason);
            rc = CLI_USAGE;
            goto out;
        }
        if (!id)
            ermes__store_home_org(c->store, &r.owner_org_id);
        x = id ? ermes__store_incident_rule_update(c->store, &r)
               : ermes__store_incident_rule_insert(c->store, &r);
    }
    if (x) {
        cli_error("incidents rules %s: %s", verb, ermes_strerror(x));
        rc = CLI_ERROR;
        goto out;
    }
    snprintf(ref, sizeof(ref), "%lld", (long long)r.id);
    ermes__audit_write(c->store, &c->viewer,
                       strcmp(verb, "add") == 0      ? "create"
                       : strcmp(verb, "delete") == 0 ? "delete"
                                                     : "update",
                       "incident_rule", ref, NULL);
    if (strcmp(verb, "delete") == 0)
        printf("deleted rule %lld\n", (long long)r.id);
    else if (json) {
        json_t *j = ermes__incident_rule_to_json(&r);
        char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(j);
    } else
        print_cb(NULL, &r);
out:
    json_decref(body);
    json_decref(all);
    return rc;
}
