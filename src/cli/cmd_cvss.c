/* ermes cvss: scores CVSS 2.0, 3.0, 3.1 and 4.0 vectors (issue 13, item 5). Needs no
 * database: it is a calculator for scripts and people. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ermes/cvss.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes cvss [--json] VECTOR...\n"
               "       ermes cvss [--json] -        (one vector per line on standard input)\n\n"
               "Scores CVSS 2.0 (AV:N/AC:L/...), 3.0, 3.1 (CVSS:3.1/...) and 4.0 (CVSS:4.0/...)\n"
               "vectors with exact arithmetic. Per vector: its version, the base score and\n"
               "severity, and the temporal (2.0, 3.x) or threat (4.0) and the environmental\n"
               "scores where the vector has those metrics. With --json, one object per line:\n"
               "vector, version, base_score, base_severity, temporal_score, threat_score,\n"
               "environmental_score (null where the vector has no such metric); a vector that\n"
               "does not parse gives {\"vector\", \"error\"}. Severities are those of the FIRST\n"
               "JSON schemas (NONE, LOW, MEDIUM, HIGH, CRITICAL; 2.0: NVD's LOW, MEDIUM, HIGH).\n"
               "Exit status 0 when every vector scored, 1 when one did not parse.\n");
}

static json_t *score_json(int tenths)
{
    return tenths < 0 ? json_null() : json_real(tenths / 10.0);
}

/* Scores one vector and prints the result; returns 0, or 1 when it does not parse. */
static int one(const char *vector, size_t len, int json)
{
    ermes_cvss_t v;
    ermes_cvss_scores_t s;
    ermes_diag_t d;
    char *copy = NULL;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_cvss_parse(vector, len, &v, &d);
    if (rc == 0)
        rc = ermes_cvss_score(&v, &s);
    if (json) {
        json_t *j;
        json_t *vec = json_stringn(vector, len);
        if (!vec) /* not UTF-8: jansson refuses it; say so rather than print it */
            vec = json_string("(not UTF-8)");
        if (rc)
            j = json_pack("{s:o,s:s}", "vector", vec, "error",
                          d.reason[0] ? d.reason : ermes_strerror(rc));
        else {
            int v4 = v.version == ERMES_CVSS_V40;
            j = json_pack("{s:o,s:s,s:o,s:s,s:o,s:o,s:o}", "vector", vec, "version",
                          ermes_cvss_version_name(v.version), "base_score", score_json(s.base),
                          "base_severity", ermes_cvss_severity(v.version, s.base), "temporal_score",
                          score_json(v4 ? -1 : s.temporal), "threat_score",
                          score_json(v4 ? s.temporal : -1), "environmental_score",
                          score_json(s.environmental));
        }
        char *out =
            j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(3)) : NULL;
        if (out)
            printf("%s\n", out);
        free(out);
        json_decref(j);
        return rc ? 1 : 0;
    }
    copy = malloc(len + 1);
    if (!copy)
        return 1;
    memcpy(copy, vector, len);
    copy[len] = '\0';
    if (rc) {
        cli_error("cvss: %s: %s", copy, d.reason[0] ? d.reason : ermes_strerror(rc));
        free(copy);
        return 1;
    }
    printf("%s\tCVSS %s\tbase %d.%d %s", cli_safe(copy), ermes_cvss_version_name(v.version),
           s.base / 10, s.base % 10, ermes_cvss_severity(v.version, s.base));
    if (s.temporal >= 0)
        printf("\t%s %d.%d", v.version == ERMES_CVSS_V40 ? "threat" : "temporal", s.temporal / 10,
               s.temporal % 10);
    if (s.environmental >= 0)
        printf("\tenvironmental %d.%d", s.environmental / 10, s.environmental % 10);
    printf("\n");
    free(copy);
    return 0;
}

int ermes__cmd_cvss(cli_t *c)
{
    int json = 0, failed = 0, nvec = 0, use_stdin = 0;

    for (int i = 0; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (strcmp(a, "-") == 0) {
            use_stdin = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            cli_error("cvss: unknown option \"%s\"", a);
            return CLI_USAGE;
        } else {
            nvec++;
        }
    }
    if (nvec == 0 && !use_stdin) {
        help(stderr);
        return CLI_USAGE;
    }
    for (int i = 0; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (strcmp(a, "-") == 0) {
            /* One vector per line; a line longer than any vector is an error of its own and
             * is skipped whole. */
            char line[ERMES_CVSS_MAX_VECTOR + 2];
            while (fgets(line, sizeof(line), stdin)) {
                size_t n = strlen(line);
                if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
                    int ch;
                    while ((ch = getchar()) != EOF && ch != '\n')
                        ;
                    cli_error("cvss: a line longer than %d bytes is not a vector",
                              ERMES_CVSS_MAX_VECTOR);
                    failed = 1;
                    continue;
                }
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                                 line[n - 1] == '\t'))
                    n--;
                if (n == 0)
                    continue;
                failed |= one(line, n, json);
            }
        } else if (a[0] != '-') {
            failed |= one(a, strlen(a), json);
        }
    }
    fflush(stdout);
    return failed ? CLI_ERROR : CLI_OK;
}
