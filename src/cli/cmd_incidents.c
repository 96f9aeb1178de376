/* ermes incidents: the incident queue on the database (list, show), opening and changing
 * incidents (create, update, close, merge, comment) and triage of events and sightings. The
 * work is src/incidents/, the same as the API's; this file reads flags into the same JSON
 * bodies the API takes. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
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
            "       ermes incidents rules list|add NAME|update ID|delete ID [--condition C]\n"
            "                       [--action A] [--days N] [--hours N] [--rsit-class X]\n"
            "                       [--pattern P] [--open-class X] [--open-type Y] [--position N]\n"
            "                       [--enabled|--disabled] (incidents rules --help)\n"
            "       ermes incidents create --title TEXT [FIELDS] [--template NAME] [--json]\n"
            "       ermes incidents update ID [FIELDS] [--status S] [--json]\n"
            "       ermes incidents close ID [--json]\n"
            "       ermes incidents merge ID --into ID [--json]\n"
            "       ermes incidents comment ID TEXT [--public]\n"
            "       ermes incidents write ID (--to ORG... | --all | --reply-to REF)\n"
            "                       --subject TEXT (--body TEXT | --body-file FILE)\n"
            "       ermes incidents correspondence ID\n"
            "       ermes incidents triage [--event ID]... [--sighting ID]... [--report ID]...\n"
            "                       [--state S]"
            " [--note TEXT] [--allowlist] [--incident ID] [--json]\n"
            "       ermes incidents policy SEVERITY [--org ORG] --response MIN\n"
            "                       --containment MIN --resolution MIN [--business-hours]\n"
            "       ermes incidents calendar [--org ORG] [--days MASK] [--hours HH:MM-HH:MM]\n"
            "                       [--utc-offset MIN] [--holidays YYYY-MM-DD,...]\n\n"
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
            "detection honours; --incident links them (and --report's incident reports) to an\n"
            "incident, or FIELDS with --title or --template open one with them. policy sets\n"
            "the SLA\n"
            "targets (minutes) of a severity, for one constituent with --org, else the default;\n"
            "--business-hours counts them in the constituent's calendar. calendar sets the\n"
            "business hours of a constituent (--org) or the default: --days a bit mask (1\n"
            "Monday ... 64 Sunday; 31 Monday to Friday), --hours, --utc-offset, --holidays.\n"
            "Without values, policy and calendar print what is set.\n");
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
    int json;
    int64_t last_id;
    long n;
    ermes__incident_pager_t pager;
};

static int list_cb(void *arg, const ermes__incident_t *inc)
{
    struct list_ctx *l = arg;

    l->last_id = inc->id;
    l->n++;
    if (l->json)
        return ermes__incident_pager_add(&l->pager, inc);
    print_line(inc);
    return 0;
}

/* The queue a page of ERMES__INCIDENT_BATCH at a time, newest first: one query for each page's
 * incidents (below the last id printed) and, with --json, a fixed number more for the page's
 * constituents, policies and calendars (ermes__incident_page_json), each incident then printed
 * as one line of JSON. So a list of a million incidents holds one page in memory and makes a
 * few queries per 50, not several per incident, and the first lines come at once. */
static int list_pages(cli_t *c, ermes__incident_filter_t *f, int json)
{
    struct list_ctx l;
    long want = f->limit, done = 0;
    int more, rc = 0;
    size_t i;
    json_t *x;

    memset(&l, 0, sizeof(l));
    l.json = json;
    l.pager.st = c->store;
    l.pager.v = &c->viewer;
    l.pager.now = ermes__time_now_ms();
    do {
        more = 0;
        l.n = 0;
        f->limit = ERMES__INCIDENT_BATCH;
        if (want > 0 && want - done < f->limit)
            f->limit = want - done;
        if (json && !(l.pager.out = json_array())) {
            rc = ERMES_ENOMEM;
            break;
        }
        rc = ermes__store_incident_each(c->store, &c->viewer, f, list_cb, &l, &more);
        if (!rc && json)
            rc = ermes__incident_pager_flush(&l.pager);
        if (!rc && json) {
            json_array_foreach(l.pager.out, i, x)
            {
                if ((rc = print_json(json_incref(x))))
                    break;
            }
        }
        json_decref(l.pager.out);
        l.pager.out = NULL;
        done += l.n;
        f->before_id = l.last_id;
    } while (!rc && more && (want <= 0 || done < want));
    ermes__incident_pager_free(&l.pager);
    return rc;
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
    {"--title", "title"},
    {"--description", "description"},
    {"--severity", "severity"},
    {"--impact", "impact"},
    {"--rsit-class", "rsit_class"},
    {"--rsit-type", "rsit_type"},
    {"--tlp", "tlp"},
    {"--pap", "pap"},
    {"--assignee", "assignee"},
    {"--team", "team"},
    {"--org", "organisation"},
    {"--template", "template"},
    {"--status", "status"},
    {"--aware-at", "aware_at"},
    {"--early-warning-at", "early_warning_at"},
    {"--notification-at", "notification_at"},
    {"--final-report-at", "final_report_at"},
    {"--feedback-at", "feedback_at"},
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

static int policy(cli_t *c, const char *severity, int64_t org_id, long long response,
                  long long containment, long long resolution, int business_hours)
{
    ermes__sla_policy_t p;
    char ref[32];
    int rc;

    if (!severity || !ermes__incident_severity_valid(severity)) {
        cli_error("incidents policy: which severity? (low, medium, high or critical)");
        return CLI_USAGE;
    }
    if (response > 0 || containment > 0 || resolution > 0) {
        if (response < 1 || containment < 1 || resolution < 1) {
            cli_error("incidents policy: give --response, --containment and --resolution");
            return CLI_USAGE;
        }
        p.response_min = response;
        p.containment_min = containment;
        p.resolution_min = resolution;
        p.business_hours = business_hours;
        if ((rc = ermes__store_sla_policy_put(c->store, severity, org_id, &p))) {
            cli_error("incidents policy: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        snprintf(ref, sizeof(ref), "%s/%lld", severity, (long long)org_id);
        ermes__audit_write(c->store, &c->viewer, "update", "sla_policy", ref, NULL);
    }
    if ((rc = ermes__store_sla_policy_get(c->store, severity, org_id, &p))) {
        cli_error("incidents policy: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    printf("%s: response %lld min, containment %lld min, resolution %lld min, %s\n", severity,
           (long long)p.response_min, (long long)p.containment_min, (long long)p.resolution_min,
           p.business_hours ? "business hours" : "calendar time");
    return CLI_OK;
}

static int calendar(cli_t *c, int64_t org_id, long long days, const char *hours, long long offset,
                    const char *holidays)
{
    ermes__calendar_row_t *row = calloc(1, sizeof(*row));
    ermes__calendar_t cal;
    ermes_diag_t d;
    char ref[32];
    int rc = CLI_OK, sh, sm, eh, em;

    if (!row)
        return CLI_ERROR;
    if (ermes__store_calendar_get(c->store, org_id, row)) {
        cli_error("incidents calendar: cannot read the calendar");
        rc = CLI_ERROR;
        goto out;
    }
    if (days > 0 || hours || offset != -9999 || holidays) {
        if (days > 0)
            row->days = days;
        if (hours) {
            if (strlen(hours) != 11 || hours[2] != ':' || hours[5] != '-' || hours[8] != ':' ||
                sscanf(hours, "%2d:%2d-%2d:%2d", &sh, &sm, &eh, &em) != 4) {
                cli_error("incidents calendar: --hours is HH:MM-HH:MM");
                rc = CLI_USAGE;
                goto out;
            }
            row->start_minute = sh * 60 + sm;
            row->end_minute = eh * 60 + em;
        }
        if (offset != -9999)
            row->utc_offset_minutes = offset;
        if (holidays)
            snprintf(row->holidays, sizeof(row->holidays), "%s", holidays);
        ermes__calendar_always(&cal);
        cal.days = (unsigned)row->days;
        cal.start_minute = (int)row->start_minute;
        cal.end_minute = (int)row->end_minute;
        cal.utc_offset_minutes = (int)row->utc_offset_minutes;
        ermes_diag_clear(&d);
        if (ermes__calendar_holidays(&cal, row->holidays, &d) || ermes__calendar_check(&cal, &d)) {
            cli_error("incidents calendar: %s", d.reason);
            rc = CLI_USAGE;
            goto out;
        }
        if (ermes__store_calendar_put(c->store, org_id, row)) {
            cli_error("incidents calendar: cannot store the calendar");
            rc = CLI_ERROR;
            goto out;
        }
        snprintf(ref, sizeof(ref), "%lld", (long long)org_id);
        ermes__audit_write(c->store, &c->viewer, "update", "calendar", ref, NULL);
    }
    printf("days %lld, %02lld:%02lld-%02lld:%02lld, UTC%+lld min, holidays %s\n",
           (long long)row->days, (long long)row->start_minute / 60,
           (long long)row->start_minute % 60, (long long)row->end_minute / 60,
           (long long)row->end_minute % 60, (long long)row->utc_offset_minutes,
           row->holidays[0] ? cli_safe(row->holidays) : "-");
out:
    free(row);
    return rc;
}

int ermes__cmd_incidents(cli_t *c)
{
    const char *verb = NULL, *v, *text = NULL;
    ermes__incident_filter_t f;
    json_t *body = json_object(), *constituents = json_array(), *events = json_array(),
           *sightings = json_array(), *reports = json_array();
    int64_t id = 0, into = 0, x;
    int json = 0, rc = CLI_OK, n, pub = 0, late = 0, soon = 0, bh = 0;
    long long response = -1, containment = -1, resolution = -1, days = -1, offset = -9999;
    const char *hours = NULL, *holidays = NULL, *severity_arg = NULL;
    ermes_diag_t d;

    /* The incident rules: their own file (cmd_incident_rules.c). */
    if (c->nargs > 0 && strcmp(cli_arg(c, 0), "rules") == 0) {
        rc = ermes__cmd_incidents_rules(c);
        goto out;
    }
    /* Coordination with constituents: its own file (cmd_incident_write.c). */
    if (c->nargs > 0 &&
        (strcmp(cli_arg(c, 0), "write") == 0 || strcmp(cli_arg(c, 0), "correspondence") == 0)) {
        rc = ermes__cmd_incidents_write(c, cli_arg(c, 0));
        goto out;
    }
    memset(&f, 0, sizeof(f));
    ermes_diag_clear(&d);
    if (!body || !constituents || !events || !sightings || !reports) {
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
            int ev =
                strcmp(cli_arg(c, i), "--event") == 0 || strncmp(cli_arg(c, i), "--event=", 8) == 0;
            if (parse_id(v, &x)) {
                cli_error("incidents: %s takes an id", ev ? "--event" : "--sighting");
                rc = CLI_USAGE;
                goto out;
            }
            json_array_append_new(ev ? events : sightings, json_integer(x));
        } else if (cli_flag(c, i, "--business-hours", NULL)) {
            n = 1; /* the flags tried before set n to 0 */
            bh = 1;
        } else if ((n = cli_flag(c, i, "--response", &v)) > 0 ||
                   (n = cli_flag(c, i, "--containment", &v)) > 0 ||
                   (n = cli_flag(c, i, "--resolution", &v)) > 0) {
            const char *a = cli_arg(c, i);
            long long *dst = strncmp(a, "--response", 10) == 0      ? &response
                             : strncmp(a, "--containment", 13) == 0 ? &containment
                                                                    : &resolution;
            if (cli_number("minutes", v, 1, 5256000, dst)) {
                rc = CLI_USAGE;
                goto out;
            }
        } else if ((n = cli_flag(c, i, "--days", &v)) > 0) {
            if (cli_number("--days", v, 1, 127, &days)) {
                rc = CLI_USAGE;
                goto out;
            }
        } else if ((n = cli_flag(c, i, "--utc-offset", &v)) > 0) {
            if (cli_number("--utc-offset", v, -840, 840, &offset)) {
                rc = CLI_USAGE;
                goto out;
            }
        } else if ((n = cli_flag(c, i, "--hours", &v)) > 0) {
            hours = v;
        } else if ((n = cli_flag(c, i, "--holidays", &v)) > 0) {
            holidays = v;
        } else if ((n = cli_flag(c, i, "--report", &v)) > 0) {
            if (parse_id(v, &x)) {
                cli_error("incidents: --report takes an incident report id");
                rc = CLI_USAGE;
                goto out;
            }
            json_array_append_new(reports, json_integer(x));
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
        } else if (n == 0 && verb && !severity_arg && strcmp(verb, "policy") == 0 &&
                   cli_arg(c, i)[0] != '-') {
            n = 1;
            severity_arg = cli_arg(c, i);
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
        strcmp(verb, "comment") && strcmp(verb, "triage") && strcmp(verb, "policy") &&
        strcmp(verb, "calendar")) {
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
        if ((x = list_pages(c, &f, json))) {
            cli_error("incidents: %s", ermes_strerror((int)x));
            rc = CLI_ERROR;
        }
        goto out;
    }
    if (strcmp(verb, "show") == 0) {
        rc = show(c, id, json);
        goto out;
    }
    if (strcmp(verb, "policy") == 0 || strcmp(verb, "calendar") == 0) {
        const char *org = json_string_value(json_object_get(body, "organisation"));
        int64_t org_id = 0;
        if (org && ermes__store_org_resolve(c->store, &c->viewer, org, &org_id)) {
            cli_error("incidents: no organisation \"%s\"", org);
            rc = CLI_USAGE;
            goto out;
        }
        rc = strcmp(verb, "policy") == 0
                 ? policy(c, severity_arg, org_id, response, containment, resolution, bh)
                 : calendar(c, org_id, days, hours, offset, holidays);
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
        if (json_array_size(reports))
            json_object_set(body, "reports", reports);
        /* FIELDS with a title or a template: the incident the selection opens. */
        if (json_object_get(body, "title") || json_object_get(body, "template")) {
            json_t *open = json_object();
            for (size_t k = 0; open && k < sizeof(text_flags) / sizeof(text_flags[0]); k++) {
                json_t *m = json_object_get(body, text_flags[k].member);
                if (m) {
                    json_object_set(open, text_flags[k].member, m);
                    json_object_del(body, text_flags[k].member);
                }
            }
            if (open && json_array_size(constituents))
                json_object_set(open, "constituents", constituents);
            json_object_del(body, "constituents");
            json_object_set_new(body, "open_incident", open);
        }
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
    json_decref(reports);
    return rc;
}
