/* ermes advisories list|show|import|submit|approve|reject|publish: CSAF advisories on the
 * database, as /api/v1/advisories does, on behalf of the local administrator (cli:USER). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "advisories/advisory.h"
#include "cli/cli.h"
#include "core/time.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes advisories [list] [--status S] [--json]\n"
               "       ermes advisories show REF [--json] [--document]\n"
               "       ermes advisories import FILE\n"
               "       ermes advisories submit|approve|reject REF\n"
               "       ermes advisories publish REF [--at TIME] [--summary TEXT]\n"
               "\n"
               "CSAF 2.0 advisories: import makes a draft of a CSAF JSON document (ermes sets its\n"
               "document.tracking: the id by advisory_id_scheme, version, revision history,\n"
               "dates, status). A draft is submitted for review and approved by another person\n"
               "than its author, then published (at once, or at --at TIME, RFC 3339, by the\n"
               "daemon) if it passes the CSAF schema and mandatory tests. REF is an id or a\n"
               "tracking id. --document prints the working document itself.\n");
}

typedef struct list_ctx {
    int json;
    json_t *arr;
} list_ctx_t;

static int print_cb(void *ctx, const ermes__advisory_t *a)
{
    list_ctx_t *c = ctx;
    char when[40];

    if (c->json) {
        json_t *j = ermes__advisory_to_json(a, 0);
        return !j || json_array_append_new(c->arr, j) ? ERMES_ENOMEM : 0;
    }
    when[ermes__time_format(a->updated_at, when)] = '\0';
    printf("%-4lld %-24s %-9s rev %-3lld %-6s %s  %s\n", (long long)a->id, cli_safe(a->tracking_id),
           a->status, (long long)a->revision, ermes_tlp_name(a->tlp), when, cli_safe(a->title));
    return 0;
}

static void print_json(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

    if (text)
        printf("%s\n", text);
    free(text);
}

static int cmd_list(cli_t *c)
{
    list_ctx_t lc = {0, json_array()};
    const char *status = NULL;
    int rc, n;

    for (int i = 1; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            lc.json = 1;
        else if ((n = cli_flag(c, i, "--status", &status)) > 0)
            ;
        else {
            cli_error("advisories: unexpected argument \"%s\"", cli_arg(c, i));
            json_decref(lc.arr);
            return CLI_USAGE;
        }
    }
    if (!lc.arr || cli_open_store(c, 0)) {
        json_decref(lc.arr);
        return CLI_ERROR;
    }
    if ((rc = ermes__store_advisory_each(c->store, status, print_cb, &lc)) < 0) {
        cli_error("advisories: %s", ermes_strerror(rc));
        json_decref(lc.arr);
        return CLI_ERROR;
    }
    if (lc.json)
        print_json(lc.arr);
    json_decref(lc.arr);
    return CLI_OK;
}

static int cmd_show(cli_t *c, const char *ref)
{
    ermes__advisory_t a;
    int json = 0, doc = 0, rc;
    json_t *j;

    for (int i = 2; i < c->nargs; i++) {
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if (cli_flag(c, i, "--document", NULL))
            doc = 1;
        else {
            cli_error("advisories show: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    if ((rc = ermes__store_advisory_get(c->store, ref, &a))) {
        cli_error("advisories: %s",
                  rc == ERMES_ENOTFOUND ? "no such advisory" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (doc) {
        /* The document is JSON: jansson wrote it, every string escaped. */
        printf("%s\n", a.document);
    } else if (json) {
        j = ermes__advisory_to_json(&a, 1);
        print_json(j);
        json_decref(j);
    } else {
        list_ctx_t lc = {0, NULL};
        print_cb(&lc, &a);
        printf("author %s, reviewer %s\n", cli_safe(a.author),
               a.reviewer[0] ? cli_safe(a.reviewer) : "-");
    }
    ermes__advisory_cleanup(&a);
    return CLI_OK;
}

static int report(cli_t *c, int rc, const ermes_diag_t *d, const char *what, const char *ref)
{
    if (rc) {
        cli_error("advisories %s: %s", what, d->reason[0] ? d->reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    ermes__audit_write(c->store, &c->viewer, what, "advisory", ref, NULL);
    return CLI_OK;
}

static int cmd_import(cli_t *c, const char *file)
{
    ermes_diag_t d;
    size_t len = 0;
    int64_t id = 0;
    char *text, ref[32];
    int rc;

    if (!(text = cli_read_file(file, ERMES_CSAF_MAX_DOCUMENT, &len)))
        return CLI_ERROR;
    if (cli_open_store(c, 0)) {
        free(text);
        return CLI_ERROR;
    }
    ermes_diag_clear(&d);
    rc =
        ermes__advisory_create(c->store, c->cfg.advisory_id_scheme, &c->viewer, text, len, &id, &d);
    free(text);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    if ((rc = report(c, rc, &d, "create", ref)))
        return rc;
    return cmd_show(c, ref);
}

static int cmd_publish(cli_t *c, const char *ref)
{
    const char *at = NULL, *summary = NULL;
    ermes_csaf_result_t r;
    ermes_diag_t d;
    int64_t when = 0;
    int n, rc, scheduled = 0;

    ermes_diag_clear(&d);
    for (int i = 2; i < c->nargs; i += n) {
        if ((n = cli_flag(c, i, "--at", &at)) > 0)
            ;
        else if ((n = cli_flag(c, i, "--summary", &summary)) > 0)
            ;
        else {
            cli_error("advisories publish: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (at && ermes__time_parse(at, strlen(at), &when, &d)) {
        cli_error("advisories publish: --at: %s", d.reason);
        return CLI_USAGE;
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    {
        char home[1024];
        ermes__csaf_signer_t signer;

        ermes__csaf_signer_from_config(&c->cfg, home, sizeof(home), &signer);
        rc = ermes__advisory_publish(c->store, &c->viewer, &signer, ref, when, summary, &r,
                                     &scheduled, &d);
    }
    if (rc == ERMES_EINVAL && r.failed) {
        for (size_t i = 0; i < r.listed; i++)
            if (strcmp(r.failed[i].group, "mandatory") == 0)
                fprintf(stderr, "  %s %s: %s\n", r.failed[i].test, cli_safe(r.failed[i].path),
                        cli_safe(r.failed[i].message));
        ermes_csaf_result_cleanup(&r);
    }
    if ((rc = report(c, rc, &d, scheduled ? "schedule" : "publish", ref)))
        return rc;
    return cmd_show(c, ref);
}

int ermes__cmd_advisories(cli_t *c)
{
    const char *sub = c->nargs > 0 ? cli_arg(c, 0) : "list";
    const char *ref = c->nargs > 1 ? cli_arg(c, 1) : NULL;
    ermes_diag_t d;
    int rc;

    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        help(stdout);
        cli_usage_settings_some(stdout, (const char *const[]){"advisory_id_scheme", NULL});
        return CLI_OK;
    }
    if (strcmp(sub, "list") == 0)
        return cmd_list(c);
    if (!ref || ref[0] == '-') {
        help(stderr);
        return CLI_USAGE;
    }
    if (strcmp(sub, "show") == 0)
        return cmd_show(c, ref);
    if (strcmp(sub, "import") == 0)
        return cmd_import(c, ref);
    if (strcmp(sub, "publish") == 0)
        return cmd_publish(c, ref);
    if (strcmp(sub, "submit") == 0 || strcmp(sub, "approve") == 0 || strcmp(sub, "reject") == 0) {
        if (c->nargs > 2) {
            cli_error("advisories %s: unexpected argument \"%s\"", sub, cli_arg(c, 2));
            return CLI_USAGE;
        }
        if (cli_open_store(c, 0))
            return CLI_ERROR;
        ermes_diag_clear(&d);
        rc = ermes__advisory_transition(c->store, &c->viewer, ref, sub, &d);
        if ((rc = report(c, rc, &d, sub, ref)))
            return rc;
        return cmd_show(c, ref);
    }
    help(stderr);
    return CLI_USAGE;
}
