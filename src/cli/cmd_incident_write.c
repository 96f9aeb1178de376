/* ermes incidents write|correspondence: coordination with constituents from an incident (the
 * work is src/incidents/coordinate.c, the same as POST /api/v1/incidents/{id}/messages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/number.h"
#include "incidents/incidents.h"
#include "notify/notify.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes incidents write ID (--to ORG... | --all | --reply-to REF)\n"
               "                       --subject TEXT (--body TEXT | --body-file FILE) [--json]\n"
               "       ermes incidents correspondence ID [--json]\n\n"
               "write: one message per constituent, each with its own reference, sent by the\n"
               "notification machinery (review policies, OpenPGP, retries) to the constituent's\n"
               "contacts for the incident's kind of issue. --to names constituents (repeatable),\n"
               "--all every constituent the incident concerns, --reply-to REF every constituent\n"
               "of the writing that message REF was part of (reply to all). --body-file - reads\n"
               "stdin. correspondence: each message, every recipient's state (pending, sent,\n"
               "failed, acknowledged, replied) and the answers threaded onto it.\n");
}

static int print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    if (!s)
        return CLI_ERROR;
    printf("%s\n", s);
    free(s);
    return CLI_OK;
}

static int fail(int rc, const ermes_diag_t *d)
{
    if (rc == ERMES_ENOTFOUND && !d->reason[0])
        cli_error("incidents: no such incident");
    else if (d->reason[0])
        cli_error("incidents: %s%s%s", d->field[0] ? d->field : "", d->field[0] ? ": " : "",
                  d->reason);
    else
        cli_error("incidents: %s", ermes_strerror(rc));
    return rc == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
}

static void print_correspondence(json_t *out)
{
    size_t i, k;
    json_t *m, *r;

    json_array_foreach(json_object_get(out, "data"), i, m)
    {
        printf("%s  %-10s %-8s %s\n", cli_safe(json_string_value(json_object_get(m, "reference"))),
               cli_safe(json_string_value(json_object_get(m, "org"))),
               cli_safe(json_string_value(json_object_get(m, "state"))),
               cli_safe(json_string_value(json_object_get(m, "subject"))));
        json_array_foreach(json_object_get(m, "recipient_states"), k, r)
            printf("    %-40s %s\n", cli_safe(json_string_value(json_object_get(r, "address"))),
                   cli_safe(json_string_value(json_object_get(r, "state"))));
        json_array_foreach(json_object_get(m, "messages"), k, r) printf(
            "    answer from %s: %s\n", cli_safe(json_string_value(json_object_get(r, "from"))),
            cli_safe(json_string_value(json_object_get(r, "subject"))));
    }
}

int ermes__cmd_incidents_write(cli_t *c, const char *verb)
{
    json_t *body = json_object(), *to = json_array(), *result = NULL;
    const char *v, *body_file = NULL;
    char *text = NULL;
    int64_t id = 0;
    int json = 0, rc = CLI_OK, n, x;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (!body || !to) {
        rc = CLI_ERROR;
        goto out;
    }
    /* Argument 0 is the verb. */
    for (int i = 1; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            goto out;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--all", NULL)) {
            json_object_set_new(body, "all", json_true());
        } else if ((n = cli_flag(c, i, "--to", &v)) > 0) {
            json_array_append_new(to, json_string(v));
        } else if ((n = cli_flag(c, i, "--reply-to", &v)) > 0) {
            json_object_set_new(body, "reply_to", json_string(v));
        } else if ((n = cli_flag(c, i, "--subject", &v)) > 0) {
            json_object_set_new(body, "subject", json_string(v));
        } else if ((n = cli_flag(c, i, "--body", &v)) > 0) {
            json_object_set_new(body, "body", json_string(v));
        } else if ((n = cli_flag(c, i, "--body-file", &v)) > 0) {
            body_file = v;
        } else if (n == 0 && !id && cli_arg(c, i)[0] != '-') {
            long long l;
            n = 1;
            if (cli_number("ID", cli_arg(c, i), 1, INT64_MAX, &l)) {
                rc = CLI_USAGE;
                goto out;
            }
            id = l;
        } else {
            cli_error("incidents %s: unexpected argument \"%s\"", verb, cli_arg(c, i));
            help(stderr);
            rc = CLI_USAGE;
            goto out;
        }
    }
    if (!id) {
        cli_error("incidents %s: which incident? (an id)", verb);
        rc = CLI_USAGE;
        goto out;
    }
    if (body_file) {
        size_t len = 0;
        if (!(text = cli_read_file(body_file, ERMES_INCIDENT_MESSAGE_MAX, &len))) {
            rc = CLI_USAGE;
            goto out;
        }
        json_object_set_new(body, "body", json_stringn(text, len));
    }
    if (json_array_size(to))
        json_object_set(body, "to", to);
    if ((rc = cli_open_store(c, 0)))
        goto out;
    if (strcmp(verb, "correspondence") == 0) {
        if ((x = ermes__incident_correspondence(c->store, &c->viewer, id, &result))) {
            rc = fail(x, &d);
            goto out;
        }
        if (json)
            rc = print_json(result);
        else
            print_correspondence(result);
    } else {
        ermes__notify_options_t o;
        size_t i;
        json_t *m;
        if (ermes__notify_options_from_config(&c->cfg, &o, &d)) {
            rc = fail(ERMES_ECONFIG, &d);
            goto out;
        }
        if ((x = ermes__incident_write(c->store, &c->viewer, &o, id, body, &result, &d))) {
            rc = fail(x, &d);
            goto out;
        }
        if (json) {
            rc = print_json(result);
        } else {
            json_array_foreach(json_object_get(result, "messages"), i, m) printf(
                "%s to %s: %s\n", cli_safe(json_string_value(json_object_get(m, "reference"))),
                cli_safe(json_string_value(json_object_get(m, "org"))),
                cli_safe(json_string_value(json_object_get(m, "state"))));
            json_array_foreach(json_object_get(result, "skipped"), i, m) printf(
                "not written to %s: %s\n", cli_safe(json_string_value(json_object_get(m, "org"))),
                cli_safe(json_string_value(json_object_get(m, "reason"))));
        }
    }
out:
    ermes__free(text);
    json_decref(result);
    json_decref(body);
    json_decref(to);
    return rc;
}
