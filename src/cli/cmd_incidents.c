/* ermes incidents: the incident queue on the database (list, show), opening and changing
 * incidents (create, update, close, merge, comment) and triage of events and sightings. The
 * work is src/incidents/, the same as the API's; this file reads flags into the same JSON
 * bodies the API takes. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/number.h"
#include "core/time.h"
#include "incidents/incidents.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: ermes incidents [list] [--status S] [--severity S] [--open] [--unassigned]\n"
            "                       [--late] [--due-soon] [--org ORG] [--limit N] [--json]\n"
            "       ermes incidents show ID [--json]\n"
            "       ermes incidents create --title TEXT [FIELDS] [--template NAME] [--json]\n"
            "       ermes incidents update ID [FIELDS] [--status S] [--json]\n"
            "       ermes incidents close ID [--json]\n"
            "       ermes incidents merge ID --into ID [--json]\n"
            "       ermes incidents comment ID TEXT [--public]\n"
            "       ermes incidents triage [--event ID]... [--sighting ID]... [--state S]\n"
            "                       [--note TEXT] [--allowlist] [--incident ID] [--json]\n\n"
            "FIELDS: --title TEXT, --description TEXT, --severity low|medium|high|critical,\n"
            "--impact LEVEL, --rsit-class CLASS, --rsit-type TYPE (RSIT taxonomy), --tlp LABEL,\n"
            "--pap CLEAR|GREEN|AMBER|RED, --assignee USER, --team NAME, --org ORG (the main\n"
            "constituent), --constituent ORG (more affected ones, repeatable), --parent ID,\n"
            "--nis2 (a significant incident under NIS2), --aware-at TIME, --early-warning-at\n"
            "TIME, --notification-at TIME, --final-report-at TIME, --feedback-at TIME (RFC\n"
            "3339). Statuses: new, triage, in_progress, waiting_on_constituent, contained,\n"
            "resolved, closed; reopening a resolved or closed incident is --status in_progress.\n"
            "Templates (--template): phishing, ransomware, ddos, compromised-account,\n"
            "vulnerable-system. Triage states: new, confirmed, false_positive, benign,\n"
            "duplicate; --allowlist adds false-positive sightings' values to the allow-list\n"
            "detection honours; --incident links them to an incident.\n");
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
    return s && ermes__parse_int64(s, "id", 1, INT64_MAX, id, NULL) == 0 ? 0 : -1;
}

static void print_line(const ermes__incident_t *inc)
{
    char created[ERMES_TIME_STRLEN], due[ERMES_TIME_STRLEN] = "-";

    ermes__time_format(inc->created_at, created);
    if (inc->next_due_at)
        ermes__time_format(inc->next_due_at, due);
    printf("%-6lld %-22s %-8s %-10s %-24s due %-24s %s\n", (long long)inc->id, inc->status,
           inc->severity, inc->org[0] ? cli_safe(inc->org) : "-", created, due,
           cli_safe(inc->title));
}

struct list_ctx {
    cli_t *c;
    int json;
};

static int list_cb(void *arg, const ermes__incident_t *inc)
{
    struct list_ctx *l = arg;

    if (l->json)
        return print_json(ermes__incident_to_json(l->c->store, &l->c->viewer, inc,
                                                  ermes__time_now_ms()));
    print_line(inc);
    return 0;
}

static int timeline_cb(void *arg, const ermes__timeline_entry_t *e)
{
    char at[ERMES_TIME_STRLEN];

    (void)arg;
    ermes__time_format(e->at, at);
    printf("  %s  %-12s %-10s %s\n", at, cli_safe(e->actor), e->kind,
           e->detail ? cli_safe(e->detail) : "");
    return 0;
}

static int task_cb(void *arg, const ermes__incident_task_t *t)
{
    char due[ERMES_TIME_STRLEN] = "-";

    (void)arg;
    if (t->due_at)
        ermes__time_format(t->due_at, due);
    printf("  #%-5lld [%s] %s%s  due %s\n", (long long)t->id, t->done_at ? "x" : " ",
           cli_safe(t->title), t->mandatory ? " (mandatory)" : "", due);
    return 0;
}

static int show(cli_t *c, int64_t id, int json)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    json_t *j;
    size_t i;
    json_t *x;
    int rc;

    if (!inc)
        return CLI_ERROR;
    rc = ermes__store_incident_get(c->store, &c->viewer, id, inc);
    if (rc) {
        cli_error("incidents: %s", rc == ERMES_ENOTFOUND ? "no such incident" : ermes_strerror(rc));
        free(inc);
        return CLI_ERROR;
    }
    j = ermes__incident_to_json(c->store, &c->viewer, inc, ermes__time_now_ms());
    if (json) {
        free(inc);
        return print_json(j) ? CLI_ERROR : CLI_OK;
    }
    print_line(inc);
    printf("  rsit %s/%s  tlp %s  pap %s  assignee %s  team %s\n",
           inc->rsit_class[0] ? inc->rsit_class : "-", inc->rsit_type[0] ? inc->rsit_type : "-",
           ermes_tlp_name(inc->tlp), inc->pap, inc->assignee_id ? cli_safe(inc->assignee) : "-",
           inc->team[0] ? cli_safe(inc->team) : "-");
    if (inc->merged_into)
        printf("  merged into incident %lld\n", (long long)inc->merged_into);
    printf("clocks:\n");
    json_array_foreach(json_object_get(j, "clocks"), i, x)
    {
        printf("  %-20s due %-26s %s\n", json_string_value(json_object_get(x, "name")),
               json_is_string(json_object_get(x, "due"))
                   ? json_string_value(json_object_get(x, "due"))
                   : "(paused)",
               json_string_value(json_object_get(x, "state")));
    }
    json_decref(j);
    printf("tasks:\n");
    ermes__store_incident_task_each(c->store, id, task_cb, NULL);
    printf("timeline:\n");
    ermes__store_incident_timeline_each(c->store, id, 0, 0, 0, timeline_cb, NULL, NULL);
    free(inc);
    return CLI_OK;
}

/* The flags that become members of an incident body. */
static const struct {
    const char *flag, *member;
} text_flags[] = {
    {"--title", "title"},           {"--description", "description"},
    {"--severity", "severity"},     {"--impact", "impact"},
    {"--rsit-class", "rsit_class"}, {"--rsit-type", "rsit_type"},
    {"--tlp", "tlp"},               {"--pap", "pap"},
    {"--assignee", "assignee"},     {"--team", "team"},
    {"--org", "organisation"},      {"--template", "template"},
    {"--status", "status"},         {"--aware-at", "aware_at"},
    {"--early-warning-at", "early_warning_at"}, {"--notification-at", "notification_at"},
    {"--final-report-at", "final_report_at"},   {"--feedback-at", "feedback_at"},
};

static int report(int rc, const ermes_diag_t *d)
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

int ermes__cmd_incidents(cli_t *c)
{
    const char *verb = NULL, *v, *text = NULL;
    ermes__incident_filter_t f;
    json_t *body = json_object(), *constituents = json_array(), *events = json_array(),
           *sightings = json_array();
    int64_t id = 0, into = 0, x;
    int json = 0, rc = CLI_OK, n, pub = 0, late = 0, soon = 0;
    ermes_diag_t d;

    memset(&f, 0, sizeof(f));
    ermes_diag_clear(&d);
    if (!body || !constituents || !events || !sightings) {
        rc = CLI_ERROR;
        goto out;
    }
    for (int i = 0; i < c->nargs; i += n) {
        size_t k;
        n = 1;
        for (k = 0; k < sizeof(text_flags) / sizeof(text_flags[0]); k++)
            if ((n = cli_flag(c, i, text_flags[k].flag, &v)) > 0)
                break;
        if (k < sizeof(text_flags) / sizeof(text_flags[0])) {
            json_object_set_new(body, text_flags[k].member, json_string(v));
            if (strcmp(text_flags[k].flag, "--status") == 0)
                f.status = v;
            if (strcmp(text_flags[k].flag, "--severity") == 0)
                f.severity = v;
            continue;
        }
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            goto out;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--open", NULL)) {
            f.open = 1;
        } else if (cli_flag(c, i, "--unassigned", NULL)) {
            f.unassigned = 1;
        } else if (cli_flag(c, i, "--late", NULL)) {
            late = 1;
        } else if (cli_flag(c, i, "--due-soon", NULL)) {
            soon = 1;
        } else if (cli_flag(c, i, "--nis2", NULL)) {
            json_object_set_new(body, "nis2", json_true());
        } else if (cli_flag(c, i, "--public", NULL)) {
            pub = 1;
        } else if (cli_flag(c, i, "--allowlist", NULL)) {
            json_object_set_new(body, "allowlist", json_true());
        } else if ((n = cli_flag(c, i, "--constituent", &v)) > 0) {
            json_array_append_new(constituents, json_string(v));
        } else if ((n = cli_flag(c, i, "--parent", &v)) > 0) {
            if (parse_id(v, &x)) {
                cli_error("incidents: --parent takes an incident id");
                rc = CLI_USAGE;
                goto out;
            }
            json_object_set_new(body, "parent", json_integer(x));
        } else if ((n = cli_flag(c, i, "--into", &v)) > 0) {
            if (parse_id(v, &into)) {
                cli_error("incidents: --into takes an incident id");
                rc = CLI_USAGE;
                goto out;
            }
        } else if ((n = cli_flag(c, i, "--incident", &v)) > 0) {
            if (parse_id(v, &x)) {
                cli_error("incidents: --incident takes an incident id");
                rc = CLI_USAGE;
                goto out;
            }
            json_object_set_new(body, "incident", json_integer(x));
        } else if ((n = cli_flag(c, i, "--event", &v)) > 0 ||
                   (n = cli_flag(c, i, "--sighting", &v)) > 0) {
            int ev = strcmp(cli_arg(c, i), "--event") == 0 || strncmp(cli_arg(c, i), "--event=", 8) == 0;
            if (parse_id(v, &x)) {
                cli_error("incidents: %s takes an id", ev ? "--event" : "--sighting");
                rc = CLI_USAGE;
                goto out;
            }
            json_array_append_new(ev ? events : sightings, json_integer(x));
        } else if ((n = cli_flag(c, i, "--state", &v)) > 0) {
            json_object_set_new(body, "state", json_string(v));
        } else if ((n = cli_flag(c, i, "--note", &v)) > 0) {
            json_object_set_new(body, "note", json_string(v));
        } else if ((n = cli_flag(c, i, "--limit", &v)) > 0) {
            long long l;
            if (cli_number("--limit", v, 1, INT_MAX, &l)) {
                rc = CLI_USAGE;
                goto out;
            }
            f.limit = (long)l;
        } else if (n == 0 && !verb && cli_arg(c, i)[0] != '-') {
            n = 1;
            verb = cli_arg(c, i);
        } else if (n == 0 && verb && !id && cli_arg(c, i)[0] != '-' &&
                   parse_id(cli_arg(c, i), &id) == 0) {
            n = 1;
        } else if (n == 0 && verb && id && !text && strcmp(verb, "comment") == 0) {
            n = 1;
            text = cli_arg(c, i);
        } else {
            cli_error("incidents: unexpected argument \"%s\"", cli_arg(c, i));
            help(stderr);
            rc = CLI_USAGE;
            goto out;
        }
    }
    if (!verb)
        verb = "list";
    if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "create") &&
        strcmp(verb, "update") && strcmp(verb, "close") && strcmp(verb, "merge") &&
        strcmp(verb, "comment") && strcmp(verb, "triage")) {
        cli_error("incidents: unknown command \"%s\"", verb);
        help(stderr);
        rc = CLI_USAGE;
        goto out;
    }
    if (!id && (!strcmp(verb, "show") || !strcmp(verb, "update") || !strcmp(verb, "close") ||
                !strcmp(verb, "merge") || !strcmp(verb, "comment"))) {
        cli_error("incidents %s: which incident? (an id)", verb);
        rc = CLI_USAGE;
        goto out;
    }
    if ((rc = cli_open_store(c, 0)))
        goto out;
    if (json_array_size(constituents))
        json_object_set(body, "constituents", constituents);
    if (strcmp(verb, "list") == 0) {
        struct list_ctx l = {c, json};
        int64_t now = ermes__time_now_ms();
        const char *org = json_string_value(json_object_get(body, "organisation"));
        if (org && ermes__store_org_resolve(c->store, &c->viewer, org, &f.org_id)) {
            cli_error("incidents: no organisation \"%s\"", org);
            rc = CLI_USAGE;
            goto out;
        }
        if (late) {
            f.open = 1;
            f.due_to = now - 1;
        } else if (soon) {
            f.open = 1;
            f.due_from = now;
            f.due_to = now + ERMES_INCIDENT_WARN_MS;
        }
        if (f.status && !ermes__incident_status_valid(f.status)) {
            cli_error("incidents: --status: no status \"%s\"", f.status);
            rc = CLI_USAGE;
            goto out;
        }
        if ((x = ermes__store_incident_each(c->store, &c->viewer, &f, list_cb, &l, NULL))) {
            cli_error("incidents: %s", ermes_strerror((int)x));
            rc = CLI_ERROR;
        }
        goto out;
    }
    if (strcmp(verb, "show") == 0) {
        rc = show(c, id, json);
        goto out;
    }
    if (strcmp(verb, "create") == 0) {
        if ((x = ermes__incident_create(c->store, &c->viewer, body, &id, &d))) {
            rc = report((int)x, &d);
            goto out;
        }
    } else if (strcmp(verb, "update") == 0 || strcmp(verb, "close") == 0) {
        if (strcmp(verb, "close") == 0)
            json_object_set_new(body, "status", json_string("closed"));
        if ((x = ermes__incident_update(c->store, &c->viewer, id, body, &d))) {
            rc = report((int)x, &d);
            goto out;
        }
    } else if (strcmp(verb, "merge") == 0) {
        if (!into) {
            cli_error("incidents merge: into which incident? (--into ID)");
            rc = CLI_USAGE;
            goto out;
        }
        if ((x = ermes__incident_merge(c->store, &c->viewer, id, into, &d))) {
            rc = report((int)x, &d);
            goto out;
        }
    } else if (strcmp(verb, "comment") == 0) {
        if ((x = ermes__incident_comment(c->store, &c->viewer, id, text, pub, &d))) {
            rc = report((int)x, &d);
            goto out;
        }
    } else {
        json_t *result = NULL;
        if (json_array_size(events))
            json_object_set(body, "events", events);
        if (json_array_size(sightings))
            json_object_set(body, "sightings", sightings);
        if ((x = ermes__triage_apply(c->store, &c->viewer, body, &result, &d))) {
            rc = report((int)x, &d);
            goto out;
        }
        if (json) {
            print_json(result);
        } else {
            printf("triaged %lld event(s), %lld sighting(s); %lld value(s) allow-listed",
                   (long long)json_integer_value(json_object_get(result, "events")),
                   (long long)json_integer_value(json_object_get(result, "sightings")),
                   (long long)json_integer_value(json_object_get(result, "allowlisted")));
            if (json_is_integer(json_object_get(result, "incident")))
                printf("; incident %lld",
                       (long long)json_integer_value(json_object_get(result, "incident")));
            printf("\n");
            json_decref(result);
        }
        goto out;
    }
    rc = show(c, id, json);
out:
    json_decref(body);
    json_decref(constituents);
    json_decref(events);
    json_decref(sightings);
    return rc;
}
