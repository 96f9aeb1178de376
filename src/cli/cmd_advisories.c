/* ermes advisories list|show|import|submit|approve|reject|publish|revisions|diff: CSAF
 * advisories on the
 * database, as /api/v1/advisories does, on behalf of the local administrator (cli:USER). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "advisories/advisory.h"
#include "advisories/revisions.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes advisories [list] [--status S] [--json]\n"
               "       ermes advisories show REF [--json] [--document]\n"
               "       ermes advisories import FILE\n"
               "       ermes advisories submit|approve|reject REF\n"
               "       ermes advisories publish REF [--at TIME] [--summary TEXT]\n"
               "                 [--status final|interim] [--change major|minor|patch]\n"
               "       ermes advisories revisions REF [--json]\n"
               "       ermes advisories diff REF [FROM [TO]] [--json]\n"
               "       ermes advisories templates [list | show FORMAT LANG |\n"
               "                 set FORMAT LANG FILE | reset FORMAT LANG]\n"
               "\n"
               "CSAF 2.0 advisories: import makes a draft of a CSAF JSON document (ermes sets its\n"
               "document.tracking: the id by advisory_id_scheme, version, revision history,\n"
               "dates, status). A draft is submitted for review and approved by another person\n"
               "than its author, then published (at once, or at --at TIME, RFC 3339, by the\n"
               "daemon) if it passes the CSAF schema and mandatory tests. REF is an id or a\n"
               "tracking id. --document prints the working document itself.\n"
               "\n"
               "Every publication is kept as a revision (1, 2, ...). The first is version 1.0.0;\n"
               "each later one increments the major version when the products, vulnerabilities,\n"
               "category or distribution changed, the minor when information was added or\n"
               "removed elsewhere, the patch when values were only corrected (CSAF 2.0 3.1.11.5),\n"
               "or what --change says. --status interim publishes an interim version (more\n"
               "changes expected), final (the default) a final one. diff prints what changed from\n"
               "revision FROM (default: the one before TO) to TO (default: the latest), one line\n"
               "per JSON path: \"+ PATH: NEW\", \"- PATH: OLD\", \"~ PATH: OLD -> NEW\".\n"
               "\n"
               "templates: the templates of the advisories for people, FORMAT html (the page),\n"
               "text (the text page and the warning e-mails) or atom (a feed entry), LANG one of\n"
               "en fr de nl it es pl; set stores FILE (checked: known ${name}s, renders a sample)\n"
               "and it is used at once; reset goes back to the built-in one. Audited.\n");
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
    const char *at = NULL, *summary = NULL, *status = NULL, *change = NULL;
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
        else if ((n = cli_flag(c, i, "--status", &status)) > 0)
            ;
        else if ((n = cli_flag(c, i, "--change", &change)) > 0)
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
        ermes__advisory_publish_opts_t o = {summary, status, change};

        ermes__csaf_signer_from_config(&c->cfg, home, sizeof(home), &signer);
        rc = ermes__advisory_publish_with(c->store, &c->viewer, &signer, ref, when, &o, &r,
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
    /* The flags were publish's (--at, --summary): show prints the advisory without them. */
    c->nargs = 2;
    return cmd_show(c, ref);
}

typedef struct rev_ctx {
    int json;
    json_t *arr;
} rev_ctx_t;

static int revision_cb(void *ctx, const ermes__advisory_revision_t *r)
{
    rev_ctx_t *c = ctx;
    char when[40];

    when[ermes__time_format(r->published_at, when)] = '\0';
    if (c->json) {
        json_t *j =
            json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "number", (json_int_t)r->number, "version",
                      r->version, "status", r->status, "summary", r->summary, "published_at", when,
                      "published_by", r->published_by, "tlp", ermes_tlp_name(r->tlp));
        return !j || json_array_append_new(c->arr, j) ? ERMES_ENOMEM : 0;
    }
    printf("%-3lld %-12s %-7s %-6s %s  %s  %s\n", (long long)r->number, cli_safe(r->version),
           r->status, ermes_tlp_name(r->tlp), when, cli_safe(r->published_by),
           cli_safe(r->summary));
    return 0;
}

static int load_advisory(cli_t *c, const char *ref, ermes__advisory_t *a)
{
    int rc;

    if (cli_open_store(c, 0))
        return CLI_ERROR;
    if ((rc = ermes__store_advisory_get(c->store, ref, a))) {
        cli_error("advisories: %s",
                  rc == ERMES_ENOTFOUND ? "no such advisory" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_revisions(cli_t *c, const char *ref)
{
    ermes__advisory_t a;
    rev_ctx_t rc_ = {0, NULL};
    int rc;

    for (int i = 2; i < c->nargs; i++) {
        if (cli_flag(c, i, "--json", NULL))
            rc_.json = 1;
        else {
            cli_error("advisories revisions: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((rc = load_advisory(c, ref, &a)))
        return rc;
    rc_.arr = json_array();
    rc = rc_.arr ? ermes__store_advisory_revision_each(c->store, a.id, revision_cb, &rc_)
                 : ERMES_ENOMEM;
    ermes__advisory_cleanup(&a);
    if (rc) {
        json_decref(rc_.arr);
        cli_error("advisories revisions: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (rc_.json)
        print_json(rc_.arr);
    json_decref(rc_.arr);
    return CLI_OK;
}

static int cmd_diff(cli_t *c, const char *ref)
{
    ermes__advisory_t a;
    ermes__advisory_revision_t ra, rb;
    int64_t num[2] = {0, 0};
    int json = 0, nnum = 0, rc, truncated = 0;
    json_t *da = NULL, *db = NULL, *diff = NULL;
    ermes_diag_t d;

    for (int i = 2; i < c->nargs; i++) {
        const char *arg = cli_arg(c, i);

        if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (nnum < 2 && arg[0] != '-') {
            ermes_diag_clear(&d);
            if (ermes__parse_int64(arg, nnum ? "TO" : "FROM", 1, INT32_MAX, &num[nnum], &d)) {
                cli_error("advisories diff: %s is a revision number (1, 2, ...)",
                          nnum ? "TO" : "FROM");
                return CLI_USAGE;
            }
            nnum++;
        } else {
            cli_error("advisories diff: unexpected argument \"%s\"", cli_safe(arg));
            return CLI_USAGE;
        }
    }
    if ((rc = load_advisory(c, ref, &a)))
        return rc;
    if (!num[1])
        num[1] = a.revision;
    if (nnum < 1)
        num[0] = num[1] > 1 ? num[1] - 1 : 1;
    if (!num[1]) {
        cli_error("advisories diff: advisory %s is not published", cli_safe(a.tracking_id));
        ermes__advisory_cleanup(&a);
        return CLI_ERROR;
    }
    memset(&rb, 0, sizeof(rb));
    if ((rc = ermes__store_advisory_revision_get(c->store, a.id, num[0], &ra)) ||
        (rc = ermes__store_advisory_revision_get(c->store, a.id, num[1], &rb))) {
        cli_error("advisories diff: %s",
                  rc == ERMES_ENOTFOUND ? "no such revision" : ermes_strerror(rc));
        ermes__advisory_revision_cleanup(&ra);
        ermes__advisory_cleanup(&a);
        return CLI_ERROR;
    }
    da = json_loads(ra.document, 0, NULL);
    db = json_loads(rb.document, 0, NULL);
    if (da && db)
        diff = ermes__json_diff(da, db, SIZE_MAX, &truncated);
    json_decref(da);
    json_decref(db);
    if (!diff) {
        cli_error("advisories diff: the stored revisions could not be compared");
        rc = CLI_ERROR;
    } else if (json) {
        json_t *j = json_pack("{s:s,s:{s:I,s:s},s:{s:I,s:s},s:O,s:b}", "tracking_id", a.tracking_id,
                              "from", "number", (json_int_t)num[0], "version", ra.version, "to",
                              "number", (json_int_t)num[1], "version", rb.version, "changes", diff,
                              "truncated", truncated);
        print_json(j);
        json_decref(j);
        rc = CLI_OK;
    } else {
        /* The text form: every string from the documents escaped (diff.c). */
        char *text = ermes__json_diff_text(diff);

        if (text) {
            printf("--- %s revision %lld (%s)\n+++ %s revision %lld (%s)\n",
                   cli_safe(a.tracking_id), (long long)num[0], cli_safe(ra.version),
                   cli_safe(a.tracking_id), (long long)num[1], cli_safe(rb.version));
            fputs(text, stdout);
        }
        ermes__free(text);
        rc = text ? CLI_OK : CLI_ERROR;
    }
    json_decref(diff);
    ermes__advisory_revision_cleanup(&ra);
    ermes__advisory_revision_cleanup(&rb);
    ermes__advisory_cleanup(&a);
    return rc;
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
    if (strcmp(sub, "templates") == 0)
        return ermes__cmd_templates_view(c, ERMES_CLI_TEMPLATES_ADVISORY, 1,
                                         c->cfg.notify_templates);
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
    if (strcmp(sub, "revisions") == 0)
        return cmd_revisions(c, ref);
    if (strcmp(sub, "diff") == 0)
        return cmd_diff(c, ref);
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
