/* ermes notify: notifications from the command line: list them, preview one as its recipients
 * will see it, make and send what is due, send one now. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/time.h"
#include "notify/notify.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes notify [list] [--state STATE] [--approval APPROVAL] [--org ORG]\n"
               "                          [--limit N] [--json]\n"
               "       ermes notify preview ID|REFERENCE  (the whole message, as it is sent)\n"
               "       ermes notify run [--now]           (make the notifications that are due\n"
               "                                           and send what is due; --now ignores\n"
               "                                           notify_window)\n"
               "       ermes notify send ID|REFERENCE     (send one now)\n"
               "       ermes notify approve|hold|cancel ID|REFERENCE... | --waiting [--org ORG]\n"
               "                                          (review: let go, stop, never send)\n"
               "       ermes notify edit ID|REFERENCE [--subject TEXT] [--body-file FILE|-]\n"
               "                          [--recipients ADDR,...]  (one waiting or held)\n"
               "       ermes notify policy [list] [--json]\n"
               "       ermes notify policy add --mode auto|review [--feed FEED]\n"
               "                          [--classification CLASS|TYPE] [--org ORG] [--note TEXT]\n"
               "       ermes notify policy delete ID\n"
               "       ermes notify keys [--json]   (contacts' OpenPGP keys: usable, until when)\n"
               "       ermes notify templates [list] | show LANG | set LANG FILE | reset LANG\n"
               "                          (the message templates; set checks the placeholders)\n\n"
               "Events of each constituent are grouped by feed (or by classification type, with\n"
               "notify_group_by=type) for notify_window seconds from the oldest, then sent as one\n"
               "e-mail per group and language to the organisation's contacts for that kind of\n"
               "issue (abuse: abuse, else security or cert; vulnerable systems: technical, else\n"
               "security or cert; compromises: security or cert, else abuse; notification\n"
               "contacts get every kind), with the events attached as CSV and a reference\n"
               "number. TLP:RED events are never e-mailed. Without smtp_url, notifications are\n"
               "made but stay pending. STATE: pending, sending, retrying, sent or failed.\n\n"
               "Review before sending: a notification waits for approval when the most specific\n"
               "notification policy matching its feed, classification (RSIT class or type) and\n"
               "constituent says review (notify_approval when none matches), or when it is not\n"
               "sent notify_review_age seconds after it was made (a backlog). APPROVAL: none,\n"
               "waiting, approved, held or cancelled. Every decision and edit is audited.\n\n"
               "Encryption: a notification is signed (notify_pgp_key) and encrypted (PGP/MIME)\n"
               "to its recipients' OpenPGP keys (the contacts' pgp_key) when each of them has a\n"
               "usable one (notify_encrypt); with notify_encrypt_strict, TLP:AMBER+STRICT goes\n"
               "only to recipients with a usable key, and the notification says who was left\n"
               "out. Keys are checked when entered; the daemon warns notify_pgp_expiry_warn days\n"
               "before one expires.\n");
    {
        static const char *const notify[] = {"data_dir",
                                             "database_url",
                                             "log_level",
                                             "smtp_url",
                                             "smtp_user",
                                             "smtp_password",
                                             "smtp_tls",
                                             "smtp_plaintext_auth",
                                             "smtp_dsn",
                                             "smtp_ca_file",
                                             "mail_from",
                                             "notify_window",
                                             "notify_group_by",
                                             "notify_retry_base",
                                             "notify_max_attempts",
                                             "notify_rate_per_hour",
                                             "notify_templates",
                                             "notify_pgp_key",
                                             "notify_pgp_home",
                                             "notify_approval",
                                             "notify_review_age",
                                             "notify_encrypt",
                                             "notify_encrypt_strict",
                                             "notify_pgp_expiry_warn",
                                             "notify_signature",
                                             NULL};
        cli_usage_settings_some(f, notify);
    }
}

static int options(cli_t *c, ermes__notify_options_t *o)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes__notify_options_from_config(&c->cfg, o, &d)) {
        cli_error("%s", d.reason);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static void print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
}

static int print_cb(void *ctx, const ermes__notification_t *n)
{
    char when[ERMES_TIME_STRLEN];

    if (*(int *)ctx) {
        print_json(ermes__notification_to_json(n));
        return 0;
    }
    ermes__time_format(n->sent_at ? n->sent_at : n->created_at, when);
    printf("%-6lld %-18s %-8s %-12s %5lld events  %s  %s  attempts %lld%s%s%s%s%s%s\n",
           (long long)n->id, cli_safe(n->reference), cli_safe(n->state),
           n->org[0] ? cli_safe(n->org) : "-", (long long)n->events, cli_safe(n->group_key), when,
           (long long)n->attempts, n->last_error[0] ? "  " : "", cli_safe(n->last_error),
           strcmp(n->approval, ERMES_APPROVAL_NONE) ? "  approval " : "",
           strcmp(n->approval, ERMES_APPROVAL_NONE) ? cli_safe(n->approval) : "",
           n->approval_reason[0] ? ": " : "", cli_safe(n->approval_reason));
    return 0;
}

static void print_stats(const ermes__notify_stats_t *s, int json)
{
    if (json) {
        print_json(json_pack(
            "{s:i,s:i,s:i,s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "groups", (int)s->groups,
            "notifications", (int)s->notifications, "events", (int)s->events, "waiting_for_contact",
            (json_int_t)s->waiting, "sent", (int)s->sent, "deferred", (int)s->deferred, "retrying",
            (int)s->retrying, "failed", (int)s->failed, "recovered", (int)s->recovered,
            "for_review", (int)s->for_review, "held_for_age", (int)s->held_stale));
        return;
    }
    printf("%ld notifications made (%ld events), %ld sent, %ld retrying, %ld deferred by the "
           "rate limit, %ld failed\n",
           s->notifications, s->events, s->sent, s->retrying, s->deferred, s->failed);
    if (s->for_review || s->held_stale)
        printf("%ld notifications wait for approval (%ld by a policy, %ld older than "
               "notify_review_age): ermes notify list --approval waiting\n",
               s->for_review + s->held_stale, s->for_review, s->held_stale);
    if (s->recovered)
        printf("%ld notifications were being sent by a process that stopped: they are sent "
               "again with the same Message-ID\n",
               s->recovered);
    if (s->waiting)
        printf("%lld events wait for their constituent to have a notification, abuse, "
               "security, cert or technical contact\n",
               (long long)s->waiting);
}

static int resolve(cli_t *c, const char *ref, int64_t *id)
{
    if (!ref) {
        cli_error("notify: which notification? (its id or reference)");
        return CLI_USAGE;
    }
    if (ermes__store_notification_find(c->store, ref, id)) {
        cli_error("notify: no notification %s", ref);
        return CLI_ERROR;
    }
    return CLI_OK;
}

int ermes__cmd_notify(cli_t *c)
{
    const char *sub = cli_arg(c, 0), *state = NULL, *org = NULL, *target = NULL, *v;
    const char *approval = NULL;
    ermes__notification_filter_t f;
    ermes__notify_options_t o;
    ermes__notify_stats_t stats;
    int json = 0, now = 0, n, rc, more = 0, first = 0;
    long limit = 0;

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        }
    if (sub &&
        (strcmp(sub, "approve") == 0 || strcmp(sub, "hold") == 0 || strcmp(sub, "cancel") == 0 ||
         strcmp(sub, "edit") == 0 || strcmp(sub, "policy") == 0 || strcmp(sub, "keys") == 0)) {
        rc = ermes__cmd_notify_review(c, sub);
        if (rc == CLI_USAGE)
            help(stderr);
        return rc;
    }
    if (sub && strcmp(sub, "templates") == 0) {
        if ((rc = options(c, &o)))
            return rc;
        rc = ermes__cmd_templates_view(c, ERMES_CLI_TEMPLATES_NOTIFY, 1, o.templates_dir);
        if (rc == CLI_USAGE)
            help(stderr);
        return rc;
    }
    if (sub && sub[0] != '-')
        first = 1;
    else
        sub = "list";
    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if (cli_flag(c, i, "--now", NULL))
            now = 1;
        else if ((n = cli_flag(c, i, "--state", &v)) > 0)
            state = v;
        else if (n == 0 && (n = cli_flag(c, i, "--org", &v)) > 0)
            org = v;
        else if (n == 0 && (n = cli_flag(c, i, "--approval", &v)) > 0)
            approval = v;
        else if (n == 0 && (n = cli_flag(c, i, "--limit", &v)) > 0) {
            long long x;
            if (cli_number("--limit", v, 1, LONG_MAX, &x))
                return CLI_USAGE;
            limit = (long)x;
        } else if (n == 0 && !target && cli_arg(c, i)[0] != '-' &&
                   (strcmp(sub, "preview") == 0 || strcmp(sub, "send") == 0)) {
            target = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("notify: unexpected argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (state && !ermes__notification_state_valid(state)) {
        cli_error("notify: --state must be pending, sending, retrying, sent or failed");
        return CLI_USAGE;
    }
    if (approval && !ermes__notification_approval_valid(approval)) {
        cli_error("notify: --approval must be none, waiting, approved, held or cancelled");
        return CLI_USAGE;
    }
    if ((rc = options(c, &o)))
        return rc;
    if ((rc = cli_open_store(c, 0)))
        return rc;
    memset(&stats, 0, sizeof(stats));

    if (strcmp(sub, "list") == 0) {
        memset(&f, 0, sizeof(f));
        f.state = state;
        f.approval = approval;
        f.limit = limit;
        if (org && ermes__store_org_resolve(c->store, &c->viewer, org, &f.org_id)) {
            cli_error("notify: no organisation %s", org);
            return CLI_ERROR;
        }
        rc = ermes__store_notification_each(c->store, &f, print_cb, &json, &more);
        if (rc)
            cli_error("notify list: %s", ermes_strerror(rc));
        return rc ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(sub, "preview") == 0) {
        ermes__strbuf_t msg;
        char err[512] = "";
        int64_t id;
        if ((rc = resolve(c, target, &id)))
            return rc;
        ermes__strbuf_init(&msg, 1024u * 1024 * 1024);
        rc = ermes__notify_preview(c->store, &o, id, &msg, err, sizeof(err));
        if (rc)
            cli_error("notify preview %s: %s", target, err[0] ? err : ermes_strerror(rc));
        else /* The message as sent, byte for byte: every text from outside in it is encoded
              * (quoted-printable, base64, RFC 2047 words), so it holds no control character. */
            fwrite(msg.data, 1, msg.len, stdout);
        ermes__strbuf_cleanup(&msg);
        return rc ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(sub, "run") == 0) {
        rc = ermes__notify_run(c->store, &o, now, &stats);
        print_stats(&stats, json);
        if (!o.smtp_url && !json)
            printf("smtp_url is not set: nothing was sent\n");
        if (rc)
            cli_error("notify run: %s", ermes_strerror(rc));
        return rc ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(sub, "send") == 0) {
        ermes__notification_t nt;
        char err[512], id_text[32];
        int64_t id;
        if ((rc = resolve(c, target, &id)))
            return rc;
        if (!o.smtp_url) {
            cli_error("notify send: smtp_url is not set");
            return CLI_ERROR;
        }
        rc = ermes__notify_send(c->store, &o, id, 1, &stats, err, sizeof(err));
        snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
        ermes__audit_write(c->store, &c->viewer, "send", "notification", id_text, NULL);
        if (rc == ERMES_ECONFLICT) {
            cli_error("notify send %s: it was sent already", target);
            return CLI_ERROR;
        }
        if (rc == ERMES_EBUSY) {
            cli_error("notify send %s: another process is sending it right now", target);
            return CLI_ERROR;
        }
        if (rc == ERMES_EDENIED) {
            cli_error("notify send %s: %s", target, err);
            return CLI_ERROR;
        }
        if (rc) {
            cli_error("notify send %s: %s", target, ermes_strerror(rc));
            return CLI_ERROR;
        }
        if (ermes__store_notification_get(c->store, id, &nt) == 0) {
            if (json)
                print_json(ermes__notification_to_json(&nt));
            else
                printf("%s: %s%s%s\n", cli_safe(nt.reference), cli_safe(nt.state),
                       nt.last_error[0] ? ": " : "", cli_safe(nt.last_error));
            rc = strcmp(nt.state, ERMES_NOTIFICATION_SENT) == 0 ? CLI_OK : CLI_ERROR;
            ermes__notification_cleanup(&nt);
            return rc;
        }
        return CLI_ERROR;
    }
    cli_error("notify: unknown subcommand \"%s\"", sub);
    return CLI_USAGE;
}
