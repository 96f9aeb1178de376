/* ermes csaf validate: CSAF 2.0 documents checked against the schema and the mandatory tests
 * (issue 13, item 2). Needs no database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "ermes/csaf.h"

static void help(FILE *f)
{
    fprintf(
        f,
        "usage: ermes csaf validate [--json] FILE...   (\"-\": standard input)\n\n"
        "Checks each CSAF 2.0 document against the OASIS JSON schema (strict: no\n"
        "properties it does not define; with the FIRST CVSS schemas) and the mandatory\n"
        "tests 6.1.1 to 6.1.33 of the specification; the optional tests 6.2.1 to\n"
        "6.2.12 and 6.2.14 to 6.2.18 and the informative tests 6.3.1 to 6.3.5, 6.3.10\n"
        "and 6.3.11 are reported too (groups \"optional\", \"informative\"). Prints each failed\n"
        "test of a document by its number (6.1.7; \"schema\" for the schema) with its\n"
        "group, the JSON path and the reason, then \"valid\" when no mandatory one\n"
        "failed. With --json, one object per line and document: file, valid, failed\n"
        "[{test, group, path, message}].\n"
        "Exit status 0 when every document is valid, 1 when one failed a mandatory test\n"
        "or could not be read.\n");
}

static int validate_one(const char *file, int json)
{
    ermes_csaf_result_t r;
    ermes_diag_t d;
    size_t len = 0;
    char *text = cli_read_file(file, ERMES_CSAF_MAX_DOCUMENT + 1, &len);
    int rc;

    if (!text)
        return 1;
    ermes_diag_clear(&d);
    rc = ermes_csaf_validate(text, len, &r, &d);
    ermes__free(text);
    if (rc) {
        char where[64] = "";
        if (d.line)
            snprintf(where, sizeof(where), " (line %ld, column %ld)", d.line, d.column);
        if (json) {
            ermes_csaf_result_t bad = {0};
            ermes_csaf_failure_t f = {"json", "mandatory", (char *)"", NULL};
            char msg[400];
            snprintf(msg, sizeof(msg), "%s%s", d.reason[0] ? d.reason : ermes_strerror(rc), where);
            f.message = msg;
            bad.failed = &f;
            bad.count = bad.listed = 1;
            char *s = ermes_csaf_result_json(&bad, file);
            if (s)
                printf("%s\n", s);
            free(s);
        } else {
            cli_error("csaf validate: %s: %s%s", file, d.reason[0] ? d.reason : ermes_strerror(rc),
                      where);
        }
        return 1;
    }
    if (json) {
        char *s = ermes_csaf_result_json(&r, file);
        if (s)
            printf("%s\n", s);
        free(s);
    } else {
        for (size_t i = 0; i < r.listed; i++)
            printf("%s: %s %s %s: %s\n", cli_safe(file), r.failed[i].test, r.failed[i].group,
                   r.failed[i].path[0] ? cli_safe(r.failed[i].path) : "/",
                   cli_safe(r.failed[i].message));
        if (r.count > r.listed)
            printf("%s: ... and %zu more failures\n", cli_safe(file), r.count - r.listed);
        if (r.valid)
            printf("%s: valid\n", cli_safe(file));
    }
    rc = r.valid ? 0 : 1;
    ermes_csaf_result_cleanup(&r);
    return rc;
}

int ermes__cmd_csaf(cli_t *c)
{
    int json = 0, failed = 0, nfiles = 0;
    const char *sub = cli_arg(c, 0);

    if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        help(sub ? stdout : stderr);
        return sub ? CLI_OK : CLI_USAGE;
    }
    if (strcmp(sub, "validate") != 0) {
        cli_error("csaf: unknown subcommand \"%s\" (validate)", sub);
        return CLI_USAGE;
    }
    for (int i = 1; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (strcmp(a, "--help") == 0) {
            help(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error("csaf validate: unknown option \"%s\"", a);
            return CLI_USAGE;
        } else {
            nfiles++;
        }
    }
    if (nfiles == 0) {
        help(stderr);
        return CLI_USAGE;
    }
    if (ermes_csaf_init()) {
        cli_error("csaf validate: the built-in schema does not load");
        return CLI_ERROR;
    }
    for (int i = 1; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (strcmp(a, "--json") != 0)
            failed |= validate_one(a, json);
    }
    fflush(stdout);
    return failed ? CLI_ERROR : CLI_OK;
}
