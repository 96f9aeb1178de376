/* ermes ingest, ermes reports, ermes quarantine, ermes feeds: intake from the command line. */
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "core/time.h"
#include "intake/intake.h"
#include "intake/parser.h"

/* Opens the registry and the intake pipeline over c->store. */
static int open_intake(cli_t *c, ermes__registry_t **reg, ermes__intake_t **in)
{
    ermes__intake_options_t o;
    char schema[4096];
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    if ((rc = ermes__intake_options_from_config(&c->cfg, &o, schema, sizeof(schema), &d))) {
        cli_error("%s", d.reason);
        return CLI_ERROR;
    }
    if ((rc = ermes__registry_open(c->store, reg))) {
        cli_error("cannot open the registry: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if ((rc = ermes__intake_new(c->store, *reg, &o, in))) {
        cli_error("cannot set up intake: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static void print_report(const ermes__report_t *r, int json)
{
    char when[ERMES_TIME_STRLEN];

    ermes__time_format(r->received_at, when);
    if (json) {
        json_t *j = json_pack(
            "{s:I,s:s,s:s?,s:s,s:s?,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s}", "id", (json_int_t)r->id,
            "feed", r->feed, "file_name", r->file_name[0] ? r->file_name : NULL, "state", r->state,
            "error", r->error[0] ? r->error : NULL, "size", (json_int_t)r->size, "rows_in",
            (json_int_t)r->rows_in, "events", (json_int_t)r->events, "duplicates",
            (json_int_t)r->duplicates, "quarantined", (json_int_t)r->quarantined, "dismissed",
            (json_int_t)r->dismissed, "sha256", r->sha256, "received_at", when);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        return;
    }
    printf("report %lld (%s%s%s): %s; %lld rows: %lld events, %lld duplicates, %lld "
           "quarantined%s%s\n",
           (long long)r->id, cli_safe(r->feed), r->file_name[0] ? ", " : "", cli_safe(r->file_name),
           cli_safe(r->state), (long long)r->rows_in, (long long)r->events,
           (long long)r->duplicates, (long long)r->quarantined, r->error[0] ? "; " : "",
           cli_safe(r->error));
}

static void ingest_help(FILE *f)
{
    fprintf(f, "usage: ermes ingest --feed NAME [--option KEY=VALUE]... [--file-name NAME]\n"
               "                    [--tlp TLP] [--no-process] [--force] [--json] FILE|-\n\n"
               "Stores the report (made durable before anything else), then parses it into\n"
               "events: deduplicated, enriched with the owning constituent, stored. Rows that\n"
               "fail are quarantined with their reason. `ermes feeds` lists the feeds.\n"
               "--feed shadowserver recognises the report type by itself (from the file name\n"
               "or the header). Exit status 1 when the report failed or rows were quarantined.\n"
               "The same file for the same feed a second time is not stored again: ermes says\n"
               "\"already received as report N\" and exits 0; --force stores it all the same.\n"
               "--tlp sets the report's TLP (default: the event_tlp setting); its events get\n"
               "it unless the feed's parser gives one.\n");
    {
        static const char *const intake[] = {
            "data_dir",         "database_url",        "log_level",
            "busy_timeout",     "shadowserver_schema", "dedup_window",
            "dedup_keys",       "dedup_ignore",        "event_tlp",
            "batch_rows",       "max_report",          "geoip_asn_db",
            "geoip_country_db", "geoip_overwrite",     NULL};
        cli_usage_settings_some(f, intake);
    }
}

int ermes__cmd_ingest(cli_t *c)
{
    const char *feed = NULL, *file = NULL, *file_name = NULL, *tlp = NULL, *v;
    const char *options[33];
    int noptions = 0, json = 0, no_process = 0, force = 0, n, rc;
    ermes__registry_t *reg = NULL;
    ermes__intake_t *in = NULL;
    ermes__report_meta_t meta;
    ermes__report_t r;
    ermes_diag_t d;
    FILE *f;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            ingest_help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--no-process", NULL)) {
            no_process = 1;
        } else if (cli_flag(c, i, "--force", NULL)) {
            force = 1;
        } else if ((n = cli_flag(c, i, "--feed", &v)) > 0) {
            feed = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--file-name", &v)) > 0) {
            file_name = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--tlp", &v)) > 0) {
            tlp = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--option", &v)) > 0) {
            if (noptions >= 32) {
                cli_error("ingest: at most 32 options");
                return CLI_USAGE;
            }
            options[noptions++] = v;
        } else if (n == 0 && !file &&
                   (cli_arg(c, i)[0] != '-' || strcmp(cli_arg(c, i), "-") == 0)) {
            file = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("ingest: unexpected argument \"%s\"", cli_arg(c, i));
            ingest_help(stderr);
            return CLI_USAGE;
        }
    }
    options[noptions] = NULL;
    if (!feed || !file) {
        cli_error("ingest: give --feed NAME and a file (- for standard input)");
        return CLI_USAGE;
    }
    if (!ermes__parser_find(feed)) {
        cli_error("ingest: unknown feed \"%s\" (see `ermes feeds`)", feed);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if ((rc = open_intake(c, &reg, &in)))
        goto out;
    f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        cli_error("cannot open %s", file);
        rc = CLI_ERROR;
        goto out;
    }
    memset(&meta, 0, sizeof(meta));
    meta.feed = feed;
    meta.file_name = file_name ? file_name : strcmp(file, "-") ? file : NULL;
    meta.options = options;
    meta.force = force;
    meta.tlp = tlp;
    ermes_diag_clear(&d);
    rc = ermes__intake_receive_file(in, &c->viewer, &meta, f, &r, &d);
    if (f != stdin)
        fclose(f);
    if (rc == ERMES_EEXISTS) {
        /* Not an error: the file is in, once. */
        if (json)
            print_report(&r, 1);
        else
            printf("%s: already received as report %lld (--force to store it again)\n",
                   cli_safe(file), (long long)r.id);
        rc = CLI_OK;
        goto out;
    }
    if (rc) {
        cli_error("%s: %s", file, d.reason[0] ? d.reason : ermes_strerror(rc));
        rc = CLI_ERROR;
        goto out;
    }
    {
        /* Like the API's upload: who brought which report in, from where (the CLI). */
        char id_text[24];
        snprintf(id_text, sizeof(id_text), "%lld", (long long)r.id);
        ermes__audit_write(c->store, &c->viewer, "create", "report", id_text, NULL);
    }
    if (!no_process && (rc = ermes__intake_process_wait(in, r.id, &r, ERMES__INTAKE_WAIT_MS))) {
        cli_error("%s: processing stopped: %s (the report is stored and will be resumed)", file,
                  ermes_strerror(rc));
        rc = CLI_ERROR;
        goto out;
    }
    print_report(&r, json);
    rc = strcmp(r.state, "failed") == 0 || r.quarantined ? CLI_ERROR : CLI_OK;
out:
    ermes__intake_free(in);
    ermes__registry_close(reg);
    return rc;
}

static int report_cb(void *ctx, const ermes__report_t *r)
{
    print_report(r, *(int *)ctx);
    return 0;
}

static int quarantine_print_cb(void *ctx, const ermes__quarantine_row_t *q)
{
    int json = *(int *)ctx;

    if (json) {
        /* A raw row that is not UTF-8 (binary garbage) cannot be a JSON string: it is shown as
         * {"base64": "..."}, as the API does. */
        json_t *raw = json_stringn(q->raw ? q->raw : "", q->raw_len), *j;
        char *s;
        if (!raw) {
            size_t cap = sodium_base64_ENCODED_LEN(q->raw_len, sodium_base64_VARIANT_ORIGINAL);
            char *b64 = malloc(cap);
            if (b64) {
                sodium_bin2base64(b64, cap, (const unsigned char *)q->raw, q->raw_len,
                                  sodium_base64_VARIANT_ORIGINAL);
                raw = json_pack("{s:s}", "base64", b64);
                free(b64);
            }
        }
        j = json_pack("{s:I,s:I,s:I,s:s?,s:s,s:s?,s:s,s:o?,s:o,s:s?}", "id", (json_int_t)q->id,
                      "report_id", (json_int_t)q->report_id, "line", (json_int_t)q->line, "feed",
                      q->feed, "reason", q->reason, "field", q->field, "state", q->state, "raw",
                      raw, "edited_raw",
                      q->edited_raw ? json_stringn(q->edited_raw, q->edited_raw_len) : json_null(),
                      "resolution", q->resolution);
        s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
    } else {
        /* The raw row is the feed's bytes, the reason may quote them: both are escaped, and the
         * row is cut at 200 bytes before escaping so the line stays readable. */
        ermes__strbuf_t raw_text;
        size_t shown = q->raw_len > 200 ? 200 : q->raw_len;
        int erc;

        ermes__strbuf_init(&raw_text, 4096);
        erc = ermes__text_escape(&raw_text, q->raw ? q->raw : "", q->raw ? shown : 0);
        printf("%-6lld report %-5lld line %-7ld %-8s %s\n       %s\n", (long long)q->id,
               (long long)q->report_id, q->line, cli_safe(q->state), cli_safe(q->reason),
               erc || !raw_text.data ? "?" : raw_text.data);
        ermes__strbuf_cleanup(&raw_text);
    }
    return 0;
}

static void reports_help(FILE *f)
{
    fprintf(f, "usage: ermes reports [list] [--state STATE] [--feed NAME] [--limit N] [--json]\n"
               "       ermes reports show ID [--json]\n"
               "       ermes reports process          (process every pending report now; one\n"
               "                                       another process holds is left to it)\n"
               "       ermes quarantine ...           (rows that failed: ermes quarantine --help)\n"
               "       ermes feeds                    (the feeds ermes can parse)\n");
    cli_usage_settings(f);
}

static void quarantine_help(FILE *f)
{
    fprintf(f, "usage: ermes quarantine [list] [--report ID] [--state open|retried|resolved]\n"
               "                        [--json]\n"
               "       ermes quarantine retry ID [--raw LINE]\n"
               "       ermes quarantine dismiss ID --reason TEXT\n\n"
               "The rows a feed parser refused, with their line, raw bytes and reason.\n"
               "retry parses the row again from its report; with --raw, LINE (one line, as\n"
               "corrected) takes the row's place, and is kept for later retries. A row that now\n"
               "gives an event is \"retried\", and its report counts it as an event (or a\n"
               "duplicate). dismiss closes a row that will never be right (state \"resolved\",\n"
               "the reason kept); its report counts it as dismissed. Both are audited.\n");
    cli_usage_settings(f);
}

int ermes__cmd_reports(cli_t *c)
{
    const char *sub = cli_arg(c, 0), *state = NULL, *feed = NULL, *v;
    int json = 0, n, rc, more, first = 0;
    long limit = 50;

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            reports_help(stdout);
            return CLI_OK;
        }
    if (sub && sub[0] != '-')
        first = 1;
    else
        sub = "list";
    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if ((n = cli_flag(c, i, "--state", &v)) > 0)
            state = v;
        else if (n == 0 && (n = cli_flag(c, i, "--feed", &v)) > 0)
            feed = v;
        else if (n == 0 && (n = cli_flag(c, i, "--limit", &v)) > 0) {
            long long x;
            if (cli_number("--limit", v, 1, LONG_MAX, &x))
                return CLI_USAGE;
            limit = (long)x;
        } else if (n == 0 && strcmp(sub, "show") == 0 && i == first)
            n = 1;
        else {
            if (n == 0)
                cli_error("reports: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (strcmp(sub, "list") == 0) {
        rc = ermes__store_report_each(c->store, &c->viewer, state, feed, 0, limit, report_cb, &json,
                                      &more);
        return rc ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(sub, "show") == 0) {
        ermes__report_t r;
        const char *id = cli_arg(c, first);
        long long report_id;
        if (!id) {
            cli_error("reports show: which report? (its id)");
            return CLI_USAGE;
        }
        if (cli_number("report id", id, 1, INT64_MAX, &report_id))
            return CLI_USAGE;
        if (ermes__store_report_get(c->store, &c->viewer, report_id, &r)) {
            cli_error("reports show: no such report");
            return CLI_ERROR;
        }
        print_report(&r, json);
        return CLI_OK;
    }
    if (strcmp(sub, "process") == 0) {
        ermes__registry_t *reg = NULL;
        ermes__intake_t *in = NULL;
        size_t done = 0;
        if ((rc = open_intake(c, &reg, &in)) == CLI_OK) {
            rc = ermes__intake_process_pending(in, &done);
            printf("processed %zu reports\n", done);
            rc = rc ? CLI_ERROR : CLI_OK;
        }
        ermes__intake_free(in);
        ermes__registry_close(reg);
        return rc;
    }
    cli_error("reports: unknown subcommand \"%s\"", sub);
    return CLI_USAGE;
}

int ermes__cmd_quarantine(cli_t *c)
{
    const char *sub = cli_arg(c, 0), *state = NULL, *raw = NULL, *reason = NULL, *v;
    int json = 0, n, rc, more, first = 0;
    int64_t report = 0;

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            quarantine_help(stdout);
            return CLI_OK;
        }
    if (sub && sub[0] != '-')
        first = 1;
    else
        sub = "list";
    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if ((n = cli_flag(c, i, "--state", &v)) > 0)
            state = v;
        else if (n == 0 && (n = cli_flag(c, i, "--report", &v)) > 0) {
            long long x;
            if (cli_number("--report", v, 1, INT64_MAX, &x))
                return CLI_USAGE;
            report = x;
        } else if (n == 0 && (n = cli_flag(c, i, "--raw", &v)) > 0) {
            raw = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--reason", &v)) > 0) {
            reason = v;
        } else if (n == 0 && (strcmp(sub, "retry") == 0 || strcmp(sub, "dismiss") == 0) &&
                   i == first)
            n = 1;
        else {
            if (n == 0)
                cli_error("quarantine: unexpected argument \"%s\"", cli_arg(c, i));
            quarantine_help(stderr);
            return CLI_USAGE;
        }
    }
    if ((raw && strcmp(sub, "retry") != 0) || (reason && strcmp(sub, "dismiss") != 0)) {
        cli_error("quarantine: --raw goes with retry, --reason with dismiss");
        return CLI_USAGE;
    }
    if (raw && (!raw[0] || strchr(raw, '\n') || strchr(raw, '\r') || strlen(raw) > (1u << 20))) {
        cli_error("quarantine retry: --raw is the corrected row: one line of text");
        return CLI_USAGE;
    }
    if (strcmp(sub, "dismiss") == 0 && (!reason || !reason[0] || strlen(reason) > 1000)) {
        cli_error("quarantine dismiss: --reason TEXT says why (1 to 1000 bytes)");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (strcmp(sub, "list") == 0) {
        rc = ermes__store_quarantine_each(c->store, report, state, 0, 0, quarantine_print_cb, &json,
                                          &more);
        return rc ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(sub, "retry") == 0) {
        const char *id = cli_arg(c, first);
        ermes__registry_t *reg = NULL;
        ermes__intake_t *in = NULL;
        int64_t event_id = 0;
        ermes_diag_t d;
        long long row_id;
        if (!id) {
            cli_error("quarantine retry: which row? (its id)");
            return CLI_USAGE;
        }
        if (cli_number("quarantine row id", id, 1, INT64_MAX, &row_id))
            return CLI_USAGE;
        if (raw) {
            rc = ermes__store_quarantine_edit(c->store, row_id, raw, strlen(raw));
            if (rc) {
                cli_error("quarantine retry %s: %s", cli_safe(id),
                          rc == ERMES_ENOTFOUND ? "no such open row" : ermes_strerror(rc));
                return CLI_ERROR;
            }
            ermes__audit_write(c->store, &c->viewer, "edit", "quarantine", id, NULL);
        }
        if ((rc = open_intake(c, &reg, &in)) == CLI_OK) {
            ermes_diag_clear(&d);
            rc = ermes__intake_retry(in, row_id, &event_id, &d);
            if (rc)
                cli_error("quarantine retry %s: %s", id,
                          d.reason[0] ? d.reason : ermes_strerror(rc));
            else
                ermes__audit_write(c->store, &c->viewer, "retry", "quarantine", id, NULL);
            if (rc == 0 && event_id)
                printf("row %s is now event %lld\n", cli_safe(id), (long long)event_id);
            else if (rc == 0)
                printf("row %s was a duplicate of a stored event\n", cli_safe(id));
            rc = rc ? CLI_ERROR : CLI_OK;
        }
        ermes__intake_free(in);
        ermes__registry_close(reg);
        return rc;
    }
    if (strcmp(sub, "dismiss") == 0) {
        const char *id = cli_arg(c, first);
        long long row_id;
        if (!id || cli_number("quarantine row id", id, 1, INT64_MAX, &row_id))
            return CLI_USAGE;
        rc = ermes__store_quarantine_dismiss(c->store, row_id, reason,
                                             c->viewer.user_name ? c->viewer.user_name : "local");
        if (rc) {
            cli_error("quarantine dismiss %s: %s", cli_safe(id),
                      rc == ERMES_ENOTFOUND ? "no such open row" : ermes_strerror(rc));
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "dismiss", "quarantine", id, reason);
        printf("row %s dismissed\n", cli_safe(id));
        return CLI_OK;
    }
    cli_error("quarantine: unknown subcommand \"%s\"", cli_safe(sub));
    return CLI_USAGE;
}

int ermes__cmd_feeds(cli_t *c)
{
    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            printf("usage: ermes feeds\n\nLists the feed parsers (the names --feed takes).\n");
            return CLI_OK;
        }
    for (size_t k = 0; ermes__parsers[k]; k++)
        printf("%-22s %s\n", ermes__parsers[k]->name, ermes__parsers[k]->description);
    return CLI_OK;
}
