/* ermes mail: mail in from the command line (src/mail/ does the work). `ermes mail receive` is
 * what a mail server pipes a message to; its exit status speaks sysexits.h to the MTA. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/time.h"
#include "intake/intake.h"
#include "mail/mail.h"

/* sysexits.h: what an MTA understands from a delivery program. */
#define EX_DATAERR 65
#define EX_TEMPFAIL 75

static void mail_help(FILE *f)
{
    fprintf(
        f,
        "usage: ermes mail receive [--source NAME] [--no-process] [--json]\n"
        "       ermes mail list [--state received|processed|failed] [--limit N] [--json]\n"
        "       ermes mail show ID [--json]\n"
        "       ermes mail process [ID]\n"
        "       ermes mail poll [NAME]\n"
        "       ermes mail reports [--limit N] [--json] | ermes mail reports show ID [--json]\n"
        "       ermes mail reports add --subject TEXT --reporter ADDRESS [--tlp TLP] [--org ORG]\n"
        "                              [--file PATH]... [--observable VALUE]... [--json] < BODY\n\n"
        "`ermes mail receive` reads one RFC 5322 message on standard input, as a mail\n"
        "server's pipe delivers it (e.g. an alias \"cert: |ermes mail receive --data-dir\n"
        "/var/lib/ermes\"). The message is stored first, raw and durably\n"
        "(DATA_DIR/mail/<sha256>), then read: a reply to a notification is threaded onto\n"
        "it, an X-ARF or ARF abuse report becomes events (feeds xarf, arf), anything else\n"
        "an incident report with the observables of its text looked up. A message that\n"
        "cannot be read is kept with its reason. Exit status, for the mail server: 0 the\n"
        "message is stored (whatever it turned out to be); 75 (EX_TEMPFAIL) it could not\n"
        "be stored, try again later; 65 (EX_DATAERR) it was refused, larger than\n"
        "mail_max_size (nothing stored); 2 a usage error.\n\n"
        "`list` and `show` tell what became of the messages received; `process` reads\n"
        "again the messages left unread (or message ID); `poll` fetches the new mail of\n"
        "the [mailbox \"NAME\"] sections of the config file once (the daemon does it on\n"
        "their interval); `reports` lists the incident reports and their observables;\n"
        "`reports add` types one in (a report given by telephone), its description on\n"
        "standard input, as POST /api/v1/incident-reports does: written as a message,\n"
        "stored, its observables (subject, description, the text files, the values given)\n"
        "looked up, the incident rules run.\n");
    {
        static const char *const mail[] = {"data_dir",
                                           "database_url",
                                           "log_level",
                                           "busy_timeout",
                                           "mail_max_size",
                                           "mail_max_depth",
                                           "mail_max_parts",
                                           "mail_max_text",
                                           "mail_timeout",
                                           "notify_pgp_home",
                                           "max_report",
                                           "dedup_window",
                                           NULL};
        cli_usage_settings_some(f, mail);
    }
}

static void print_row(const ermes__mail_row_t *m, int json)
{
    char when[ERMES_TIME_STRLEN];

    if (json) {
        json_t *j = ermes__mail_row_to_json(m);
        char *t = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (t)
            printf("%s\n", t);
        free(t);
        json_decref(j);
        return;
    }
    ermes__time_format(m->received_at, when);
    printf("%-6lld %-9s %-8s %s  from %s: %s", (long long)m->id, m->state,
           m->kind[0] ? m->kind : "-", when, cli_safe(m->from_addr[0] ? m->from_addr : "?"),
           cli_safe(m->subject));
    if (m->notification_id)
        printf(" [notification %lld]", (long long)m->notification_id);
    if (m->report_id)
        printf(" [report %lld]", (long long)m->report_id);
    if (m->incident_report_id)
        printf(" [incident report %lld]", (long long)m->incident_report_id);
    if (m->reason[0])
        printf(" (%s)", cli_safe(m->reason));
    printf("\n");
}

typedef struct env {
    ermes__registry_t *reg;
    ermes__intake_t *intake;
    ermes__mail_t *mail;
} env_t;

static void env_close(env_t *e)
{
    ermes__mail_free(e->mail);
    ermes__intake_free(e->intake);
    ermes__registry_close(e->reg);
}

static int env_open(cli_t *c, env_t *e)
{
    ermes__intake_options_t io;
    ermes__mail_options_t mo;
    char schema[4096];
    ermes_diag_t d;
    int rc;

    memset(e, 0, sizeof(*e));
    if ((rc = ermes__registry_open(c->store, &e->reg)))
        return rc;
    ermes_diag_clear(&d);
    /* Without an intake, X-ARF and ARF messages are kept with a reason; the rest works. */
    if (ermes__intake_options_from_config(&c->cfg, &io, schema, sizeof(schema), &d) == 0)
        ermes__intake_new(c->store, e->reg, &io, &e->intake);
    ermes__mail_options_from_config(&c->cfg, &mo);
    return ermes__mail_new(c->store, e->reg, e->intake, &mo, &e->mail);
}

static int cmd_receive(cli_t *c, int first)
{
    const char *source = "pipe";
    int json = 0, no_process = 0, rc;
    ermes__mail_row_t row;
    ermes_diag_t d;
    env_t e;

    for (int i = first; i < c->nargs; i++) {
        int k;
        if ((k = cli_flag(c, i, "--source", &source)) < 0)
            return CLI_USAGE;
        else if (k) {
            i += k - 1;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--no-process", NULL)) {
            no_process = 1;
        } else {
            cli_error("mail receive: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (strlen(source) > 64) {
        cli_error("mail receive: --source is longer than 64 bytes");
        return CLI_USAGE;
    }
    /* The database cannot be opened: the MTA keeps the message and tries later. */
    if (cli_open_store(c, 0))
        return EX_TEMPFAIL;
    if ((rc = env_open(c, &e))) {
        cli_error("mail receive: %s", ermes_strerror(rc));
        env_close(&e);
        return EX_TEMPFAIL;
    }
    ermes_diag_clear(&d);
    rc = ermes__mail_receive_file(e.mail, source, stdin, no_process, &row, &d);
    env_close(&e);
    if (rc == ERMES_ETOOBIG) {
        cli_error("mail receive: %s", d.reason);
        return EX_DATAERR;
    }
    if (rc && !row.id) {
        cli_error("mail receive: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return EX_TEMPFAIL;
    }
    /* Stored: whatever happened after (a store error while reading it), the message is kept
     * and `ermes mail process` finishes it. The MTA must not send it again. */
    if (rc)
        cli_error("mail receive: message %lld stored, not processed: %s", (long long)row.id,
                  ermes_strerror(rc));
    print_row(&row, json);
    return CLI_OK;
}

struct list_ctx {
    int json;
};

static int list_cb(void *ctx, const ermes__mail_row_t *m)
{
    print_row(m, ((struct list_ctx *)ctx)->json);
    return 0;
}

static int cmd_list(cli_t *c, int first)
{
    const char *state = NULL, *limit_s = NULL;
    struct list_ctx l = {0};
    long long limit = 50;
    int rc;

    for (int i = first; i < c->nargs; i++) {
        int k;
        if ((k = cli_flag(c, i, "--state", &state)) < 0 ||
            (!k && (k = cli_flag(c, i, "--limit", &limit_s)) < 0))
            return CLI_USAGE;
        if (k) {
            i += k - 1;
        } else if (cli_flag(c, i, "--json", NULL)) {
            l.json = 1;
        } else {
            cli_error("mail list: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (limit_s && (rc = cli_number("--limit", limit_s, 1, 100000, &limit)))
        return rc;
    if (state && strcmp(state, ERMES_MAIL_RECEIVED) && strcmp(state, ERMES_MAIL_PROCESSED) &&
        strcmp(state, ERMES_MAIL_FAILED)) {
        cli_error("mail list: --state must be received, processed or failed");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if ((rc = ermes__store_mail_each(c->store, state, 0, (long)limit, list_cb, &l, NULL))) {
        cli_error("mail list: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_show(cli_t *c, int first)
{
    const char *id_s = NULL;
    long long id;
    int json = 0, rc;
    ermes__mail_row_t m;

    for (int i = first; i < c->nargs; i++) {
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if (!id_s)
            id_s = cli_arg(c, i);
        else {
            cli_error("mail show: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!id_s) {
        cli_error("mail show: which message? (an id)");
        return CLI_USAGE;
    }
    if ((rc = cli_number("ID", id_s, 1, INT64_MAX, &id)))
        return rc;
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if ((rc = ermes__store_mail_get(c->store, id, &m))) {
        cli_error("mail show: %s", rc == ERMES_ENOTFOUND ? "no such message" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    print_row(&m, json);
    return CLI_OK;
}

static int cmd_process(cli_t *c, int first)
{
    const char *id_s = first < c->nargs ? cli_arg(c, first) : NULL;
    long long id = 0;
    size_t n = 0;
    ermes__mail_row_t row;
    env_t e;
    int rc;

    if (first + 1 < c->nargs) {
        cli_error("mail process: unexpected argument \"%s\"", cli_arg(c, first + 1));
        return CLI_USAGE;
    }
    if (id_s && (rc = cli_number("ID", id_s, 1, INT64_MAX, &id)))
        return rc;
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if ((rc = env_open(c, &e))) {
        env_close(&e);
        cli_error("mail process: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (id) {
        rc = ermes__mail_process(e.mail, id, &row);
        if (!rc)
            print_row(&row, 0);
    } else {
        rc = ermes__mail_process_pending(e.mail, &n);
        if (!rc)
            printf("%zu messages processed\n", n);
    }
    env_close(&e);
    if (rc) {
        cli_error("mail process: %s",
                  rc == ERMES_ENOTFOUND ? "no such message" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_poll(cli_t *c, int first)
{
    const char *name = first < c->nargs ? cli_arg(c, first) : NULL;
    ermes__mail_poller_t *p = NULL;
    ermes_diag_t d;
    size_t n = 0;
    env_t e;
    int rc;

    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (c->cfg.nmailboxes == 0) {
        cli_error("mail poll: no [mailbox \"NAME\"] sections in the config file");
        return CLI_ERROR;
    }
    if ((rc = env_open(c, &e)) || (rc = ermes__mail_poller_new(&c->cfg, e.mail, &p))) {
        env_close(&e);
        cli_error("mail poll: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    ermes_diag_clear(&d);
    rc = ermes__mail_poll(p, name, &n, &d);
    ermes__mail_poller_free(p);
    env_close(&e);
    printf("%zu messages received\n", n);
    if (rc) {
        cli_error("mail poll: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int report_cb(void *ctx, const ermes__incident_report_t *r)
{
    int json = *(int *)ctx;
    char when[ERMES_TIME_STRLEN];

    if (json) {
        json_t *j = ermes__incident_report_to_json(r, 0);
        char *t = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (t)
            printf("%s\n", t);
        free(t);
        json_decref(j);
        return 0;
    }
    ermes__time_format(r->received_at, when);
    printf("%-6lld %s TLP:%s%s from %s: %s (%lld observables%s%s)\n", (long long)r->id, when,
           ermes_tlp_name(r->tlp), r->tlp_marked ? "" : " (default)", cli_safe(r->reporter),
           cli_safe(r->subject), (long long)r->observables, r->org && *r->org ? ", about " : "",
           cli_safe(r->org));
    return 0;
}

static int obs_cb(void *ctx, const ermes__report_observable_t *o)
{
    json_t *arr = ctx;

    if (arr)
        return json_array_append_new(arr, ermes__report_observable_to_json(o)) ? ERMES_ENOMEM : 0;
    printf("  %-7s %s  (%s)%s%s%s", o->type, cli_safe(o->value), cli_safe(o->found_in),
           o->org && *o->org ? " owner " : "", cli_safe(o->org),
           o->indicator_id ? " KNOWN BAD" : "");
    if (o->events || o->sightings)
        printf(" seen: %lld events, %lld sightings", (long long)o->events, (long long)o->sightings);
    printf("\n");
    return 0;
}

static int report_show_cb(void *ctx, const ermes__incident_report_t *r)
{
    json_t **out = ctx;

    if (out) {
        *out = ermes__incident_report_to_json(r, 1);
        return *out ? 0 : ERMES_ENOMEM;
    }
    return report_cb(&(int){0}, r);
}

/* `ermes mail reports add`: the flags made into the body POST /api/v1/incident-reports reads,
 * so that both are checked by the same code (src/mail/submit.c). */
static int cmd_reports_add(cli_t *c, int first)
{
    json_t *body = json_object(), *files = json_array(), *obs = json_array();
    ermes__submission_in_t in;
    ermes__mail_row_t row;
    ermes_diag_t d;
    char *text = NULL;
    size_t len = 0;
    int json = 0, rc = CLI_USAGE, src;
    env_t e;

    memset(&e, 0, sizeof(e));
    memset(&in, 0, sizeof(in));
    if (!body || !files || !obs)
        goto out;
    for (int i = first; i < c->nargs; i++) {
        const char *v = NULL;
        int k = 0;
        static const char *const one[] = {"--subject", "--reporter", "--tlp", "--org"};
        for (size_t j = 0; !k && j < sizeof(one) / sizeof(one[0]); j++)
            if ((k = cli_flag(c, i, one[j], &v)) > 0)
                json_object_set_new(body, one[j] + 2, json_string(v));
        if (k < 0)
            goto out;
        if (!k && (k = cli_flag(c, i, "--observable", &v)) > 0)
            json_array_append_new(obs, json_string(v));
        if (k < 0)
            goto out;
        if (!k && (k = cli_flag(c, i, "--file", &v)) > 0) {
            char *data = cli_read_file(v, 1u << 20, &len), *b64;
            const char *base = strrchr(v, '/') ? strrchr(v, '/') + 1 : v;
            size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
            if (!data)
                goto fail;
            if (!(b64 = ermes__malloc(cap))) {
                ermes__free(data);
                goto fail;
            }
            sodium_bin2base64(b64, cap, (const unsigned char *)data, len,
                              sodium_base64_VARIANT_ORIGINAL);
            json_array_append_new(files, json_pack("{s:s,s:s}", "name", base, "content", b64));
            ermes__free(b64);
            ermes__free(data);
        }
        if (k < 0)
            goto out;
        if (k)
            i += k - 1;
        else if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else {
            cli_error("mail reports add: unexpected argument \"%s\"", cli_arg(c, i));
            goto out;
        }
    }
    if (json_array_size(files))
        json_object_set(body, "attachments", files);
    if (json_array_size(obs))
        json_object_set(body, "observables", obs);
    /* The description: standard input, at most what a report keeps (256 KiB) and one more
     * byte, so that a longer one is refused by the reader rather than cut. */
    if (!(text = cli_read_file("-", (256u << 10) + 1, &len)))
        goto fail;
    if (strlen(text) != len) {
        cli_error("mail reports add: the description holds a NUL byte");
        goto out;
    }
    json_object_set_new(body, "body", json_string(text));
    ermes_diag_clear(&d);
    if ((src = ermes__submission_read(body, 1, "cli", &in, &d))) {
        cli_error("mail reports add: %s%s%s", d.field[0] ? d.field : "", d.field[0] ? ": " : "",
                  d.reason);
        goto out;
    }
    if ((rc = cli_open_store(c, 0)))
        goto out;
    if (in.org && ermes__store_org_resolve(c->store, &c->viewer, in.org, &in.s.org_id)) {
        cli_error("mail reports add: org: no organisation \"%s\"", cli_safe(in.org));
        rc = CLI_USAGE;
        goto out;
    }
    if ((src = env_open(c, &e)) ||
        (src = ermes__mail_submit(e.mail, "report:cli", &in.s, &row, &d)) ||
        !row.incident_report_id) {
        cli_error("mail reports add: %s", src ? ermes_strerror(src) : row.reason);
        goto fail;
    }
    {
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)row.incident_report_id);
        ermes__audit_write(c->store, &c->viewer, "create", "incident_report", id, NULL);
    }
    if (json)
        ermes__store_incident_report_get(c->store, row.incident_report_id, report_cb, &json);
    else
        printf("incident report %lld (message %lld)\n", (long long)row.incident_report_id,
               (long long)row.id);
    rc = CLI_OK;
    goto out;
fail:
    rc = CLI_ERROR;
out:
    env_close(&e);
    ermes__submission_in_cleanup(&in);
    ermes__free(text);
    json_decref(body);
    json_decref(files);
    json_decref(obs);
    return rc;
}

static int cmd_reports(cli_t *c, int first)
{
    const char *limit_s = NULL, *id_s = NULL;
    long long limit = 50, id = 0;
    int json = 0, show = 0, rc;

    for (int i = first; i < c->nargs; i++) {
        int k;
        if ((k = cli_flag(c, i, "--limit", &limit_s)) < 0)
            return CLI_USAGE;
        if (k)
            i += k - 1;
        else if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if (!show && strcmp(cli_arg(c, i), "show") == 0)
            show = 1;
        else if (show && !id_s)
            id_s = cli_arg(c, i);
        else {
            cli_error("mail reports: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (limit_s && (rc = cli_number("--limit", limit_s, 1, 100000, &limit)))
        return rc;
    if (show && (!id_s || (rc = cli_number("ID", id_s, 1, INT64_MAX, &id)))) {
        if (!id_s)
            cli_error("mail reports show: which report? (an id)");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (show) {
        json_t *j = NULL, *arr = json ? json_array() : NULL;
        rc = ermes__store_incident_report_get(c->store, id, report_show_cb, json ? &j : NULL);
        if (!rc)
            rc = ermes__store_report_observable_each(c->store, id, obs_cb, arr);
        if (!rc && json && j) {
            char *t;
            json_object_set_new(j, "observables", arr);
            arr = NULL;
            t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (t)
                printf("%s\n", t);
            free(t);
        }
        json_decref(j);
        json_decref(arr);
    } else {
        rc = ermes__store_incident_report_each(c->store, 0, 0, 0, 0, (long)limit, report_cb, &json,
                                               NULL);
    }
    if (rc) {
        cli_error("mail reports: %s",
                  rc == ERMES_ENOTFOUND ? "no such report" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

int ermes__cmd_mail(cli_t *c)
{
    const char *sub = c->nargs ? cli_arg(c, 0) : NULL;

    if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        mail_help(sub ? stdout : stderr);
        return sub ? CLI_OK : CLI_USAGE;
    }
    for (int i = 1; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            mail_help(stdout);
            return CLI_OK;
        }
    if (!strcmp(sub, "receive"))
        return cmd_receive(c, 1);
    if (!strcmp(sub, "list"))
        return cmd_list(c, 1);
    if (!strcmp(sub, "show"))
        return cmd_show(c, 1);
    if (!strcmp(sub, "process"))
        return cmd_process(c, 1);
    if (!strcmp(sub, "poll"))
        return cmd_poll(c, 1);
    if (!strcmp(sub, "reports") && c->nargs > 1 && !strcmp(cli_arg(c, 1), "add"))
        return cmd_reports_add(c, 2);
    if (!strcmp(sub, "reports"))
        return cmd_reports(c, 1);
    cli_error("mail: unknown subcommand \"%s\" (receive, list, show, process, poll, reports)", sub);
    return CLI_USAGE;
}
