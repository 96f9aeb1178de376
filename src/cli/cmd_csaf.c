/* ermes csaf validate: CSAF 2.0 documents checked against the schema and the mandatory tests
 * (issue 13, item 2). Needs no database. ermes csaf check: a provider against section 7.1.
 * ermes csaf import: other providers' documents as vulnerability intelligence (item 5). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "advisories/csaf_check.h"
#include "advisories/csaf_import.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "ermes/csaf.h"

/* The most threads --jobs gives `ermes csaf validate`. */
#define CSAF_MAX_JOBS 256

static void help(FILE *f)
{
    fprintf(f,
            "usage: ermes csaf validate [--json] [--preset basic|extended|full] [--jobs N]\n"
            "                           FILE...   (\"-\": standard input)\n\n"
            "Checks each CSAF 2.0 document against the OASIS JSON schema (strict: no\n"
            "properties it does not define; with the FIRST CVSS schemas) and the mandatory\n"
            "tests 6.1.1 to 6.1.33 of the specification; the optional tests 6.2.1 to\n"
            "6.2.12 and 6.2.14 to 6.2.18 and the informative tests 6.3.1 to 6.3.5, 6.3.10\n"
            "and 6.3.11 are reported too (groups \"optional\", \"informative\"). --preset,\n"
            "as csaf-validator-lib names them: basic (the schema and the mandatory tests),\n"
            "extended (and the optional ones), full (and the informative ones; the default).\n"
            "Prints each failed test of a document by its number (6.1.7; \"schema\" for the\n"
            "schema) with its group, the JSON path and the reason, then \"valid\" when no\n"
            "mandatory one failed. With --json, one object per line and document: file,\n"
            "valid, failed [{test, group, path, message}].\n"
            "--jobs N: files validated by N threads (1 to 256; default the number of online\n"
            "CPUs, never more than files; 1 when \"-\" is given twice); the output is the\n"
            "same, in the order of the arguments, printed as each file's turn comes.\n"
            "Exit status 0 when every document is valid, 1 when one failed a mandatory test\n"
            "or could not be read.\n\n"
            "usage: ermes csaf check [--json] [--cacert FILE] [--timeout SECONDS]\n"
            "                        [--max-documents N] DOMAIN|URL\n\n"
            "Checks a CSAF provider (DOMAIN: its https://DOMAIN/.well-known/csaf/\n"
            "provider-metadata.json; or the URL of its provider-metadata.json) against the\n"
            "requirements 7.1.1 to 7.1.23 of CSAF 2.0 for the role its metadata claims\n"
            "(section 7.2): the documents of its ROLIE feeds and directory (index.txt,\n"
            "changes.csv) are fetched without credentials and validated, their .sha256,\n"
            ".sha512 and .asc checked against the OpenPGP keys the metadata names, and each\n"
            "key's expiry under 7.1.20 (fails once expired, a warning within 30 days). Prints\n"
            "each requirement as pass, fail or not-applicable with the reasons (naming the\n"
            "documents by URL). An http:// URL fails 7.1.3 (TLS); --cacert FILE trusts the\n"
            "CAs in FILE (PEM) instead of the system's, for a provider with its own CA.\n"
            "Requirement 7.1.10 (DNS path) cannot be checked for an address or localhost and\n"
            "fails there; 7.1.21 to 7.1.23 are a lister's and an aggregator's. Each file is\n"
            "limited in size (16 MiB a document) and time (--timeout, default 30 s); at most\n"
            "--max-documents documents (default 1000) are read. With --json, one object per\n"
            "line and requirement: requirement (\"7.1.1\"), title, status, reasons [].\n"
            "Exit status 0 when no requirement fails, 1 otherwise.\n\n"
            "usage: ermes csaf credentials list\n"
            "       ermes csaf credentials set PROVIDER [--header \"Name: value\"]...\n"
            "                                  [--client-cert FILE --client-key FILE |\n"
            "                                   --client-p12 FILE [--p12-passphrase-file FILE]]\n"
            "       ermes csaf credentials delete PROVIDER\n\n"
            "Credentials for another provider's TLP:AMBER and RED distributions, per origin;\n"
            "`ermes csaf credentials --help` says more.\n\n"
            "usage: ermes csaf import [--no-warn] [--cacert FILE] [--timeout SECONDS]\n"
            "                         [--max-documents N] SOURCE...\n\n"
            "Imports other providers' CSAF 2.0 documents as vulnerability intelligence\n"
            "(kind csaf of `ermes vulns`). SOURCE is a provider (DOMAIN, its URL, or the URL\n"
            "of its provider-metadata.json: the documents of its ROLIE feeds and directory),\n"
            "one ROLIE feed or directory of a provider under /.well-known/csaf/ (its URL, or\n"
            "its index.txt or changes.csv: only the documents below that folder, checked\n"
            "against the keys of the host's provider-metadata.json), or a local CSAF file\n"
            "or a directory of them (*.json, with its YYYY/ folders).\n"
            "A provider's documents are fetched and checked as `ermes csaf check` does:\n"
            "size (16 MiB), JSON, schema and mandatory tests, .sha256/.sha512, and the .asc\n"
            "signature against the OpenPGP keys (fingerprints) the metadata names, in a\n"
            "temporary keyring. A document failing any check is not imported and is printed\n"
            "as \"refused: URL: reason\"; the others are imported, each in one transaction:\n"
            "each vulnerability naming a CVE becomes that CVE's record (its summary note,\n"
            "else its description note, else its title;\n"
            "CVSS, CWE, the document's product_tree and product_status, its publisher,\n"
            "tracking id and version as the source; its TLP from distribution.tlp, WHITE\n"
            "read as CLEAR, none as AMBER; a TLP:RED one warns nobody). The latest document\n"
            "read for a CVE replaces what an earlier one said (an older version read after\n"
            "a newer one changes nothing). Then what changed is matched against the\n"
            "constituents' assets (product_status through the product tree to CPE, purl or\n"
            "vendor, product and version) and each affected constituent is warned once (not\n"
            "with --no-warn).\n"
            "A provider's documents are not fetched again while its feed or changes.csv\n"
            "lists them with the same date. A provider's TLP:AMBER and RED feeds are read\n"
            "with the credentials set for its origin (ermes csaf credentials), and skipped\n"
            "without (\"skipped: URL: reason\"). Exit status 0 when every source could be read\n"
            "and no document was refused, 1 otherwise.\n");
}

static void refused_cb(void *ctx, const char *where, const char *reason)
{
    (void)ctx;
    printf("refused: %s: %s\n", cli_safe(where), cli_safe(reason));
}

static void skipped_cb(void *ctx, const char *where, const char *reason)
{
    (void)ctx;
    printf("skipped: %s: %s\n", cli_safe(where), cli_safe(reason));
}

/* The fetching options check and import share (--cacert, --timeout, --max-documents) at
 * argument *i: 1 when taken (*i past its value), 0 when it is none of them, -1 on a usage
 * error (printed). */
static int fetch_flag(cli_t *c, int *i, const char **cacert, long *timeout_s, long *max_documents)
{
    const char *v;
    long long n;
    int f, timeout;

    if ((f = cli_flag(c, *i, "--cacert", &v)) != 0) {
        if (f < 0)
            return -1;
        *cacert = v;
        *i += f == 2;
        return 1;
    }
    if ((f = cli_flag(c, *i, "--timeout", &v)) == 0 &&
        (f = cli_flag(c, *i, "--max-documents", &v)) == 0)
        return 0;
    timeout = strncmp(cli_arg(c, *i), "--timeout", 9) == 0;
    if (f < 0 || cli_number(timeout ? "--timeout" : "--max-documents", v, 1,
                            timeout ? 3600 : 1000000, &n) != CLI_OK)
        return -1;
    if (timeout)
        *timeout_s = (long)n;
    else
        *max_documents = (long)n;
    *i += f == 2;
    return 1;
}

static int import(cli_t *c)
{
    ermes__csaf_import_options_t o;
    ermes__notify_options_t no;
    const char *srcs[64];
    size_t nsrcs = 0;
    ermes_diag_t d;
    int f, failed = 0, rc;

    memset(&o, 0, sizeof(o));
    o.timeout_s = 30;
    o.max_documents = 100000;
    o.warn = 1;
    o.refused = refused_cb;
    o.skipped = skipped_cb;
    for (int i = 1; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (strcmp(a, "--help") == 0) {
            help(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--no-warn") == 0) {
            o.warn = 0;
        } else if ((f = fetch_flag(c, &i, &o.cacert, &o.timeout_s, &o.max_documents)) != 0) {
            if (f < 0)
                return CLI_USAGE;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error("csaf import: unknown option \"%s\"", a);
            return CLI_USAGE;
        } else if (nsrcs == sizeof(srcs) / sizeof(srcs[0])) {
            cli_error("csaf import: at most 64 sources at a time");
            return CLI_USAGE;
        } else {
            srcs[nsrcs++] = a;
        }
    }
    if (!nsrcs) {
        help(stderr);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    ermes_diag_clear(&d);
    memset(&no, 0, sizeof(no));
    if (ermes__notify_options_from_config(&c->cfg, &no, &d)) {
        cli_error("csaf import: %s: %s", d.field, d.reason);
        return CLI_ERROR;
    }
    for (size_t k = 0; k < nsrcs; k++) {
        ermes__csaf_import_stats_t s;
        ermes_diag_clear(&d);
        rc = ermes__csaf_import(c->store, &no, srcs[k], &o, &s, &d);
        printf("%s: %ld documents, %ld imported, %ld refused, %ld unchanged (not fetched), "
               "%ld vulnerabilities, %ld changed, %zu new asset warnings, %ld notifications\n",
               cli_safe(srcs[k]), s.documents, s.imported, s.refused, s.skipped, s.records,
               s.changed, s.matches, s.notifications);
        if (rc) {
            cli_error("csaf import: %s: %s", cli_safe(srcs[k]),
                      d.reason[0] ? cli_safe(d.reason) : ermes_strerror(rc));
            failed = 1;
        }
        failed |= s.refused > 0;
    }
    fflush(stdout);
    return failed ? CLI_ERROR : CLI_OK;
}

static int check(cli_t *c)
{
    ermes__csaf_check_options_t o = {.cacert = NULL, .timeout_s = 30, .max_documents = 1000};
    ermes__csaf_check_t res;
    ermes_diag_t d;
    const char *url = NULL;
    int json = 0, failed = 0, f;

    for (int i = 1; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (strcmp(a, "--help") == 0) {
            help(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((f = fetch_flag(c, &i, &o.cacert, &o.timeout_s, &o.max_documents)) != 0) {
            if (f < 0)
                return CLI_USAGE;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error("csaf check: unknown option \"%s\"", a);
            return CLI_USAGE;
        } else if (url) {
            cli_error("csaf check: one provider at a time");
            return CLI_USAGE;
        } else {
            url = a;
        }
    }
    if (!url) {
        help(stderr);
        return CLI_USAGE;
    }
    ermes_diag_clear(&d);
    int rc = ermes__csaf_check(url, &o, &res, &d);
    if (rc) {
        cli_error("csaf check: %s: %s", url, d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (!json)
        printf("provider metadata: %s (role %s)\n", cli_safe(res.metadata_url),
               res.role[0] ? cli_safe(res.role) : "unknown");
    for (int k = 1; k <= ERMES_CSAF_REQUIREMENTS; k++) {
        const ermes__csaf_requirement_t *r = &res.req[k];
        const char *status = r->status == ERMES_CSAF_PASS   ? "pass"
                             : r->status == ERMES_CSAF_FAIL ? "fail"
                                                            : "not-applicable";
        char num[16];
        size_t i;
        json_t *reason;

        failed |= r->status == ERMES_CSAF_FAIL;
        snprintf(num, sizeof(num), "7.1.%d", k);
        if (json) {
            json_t *o2 = json_pack("{s:s, s:s, s:s, s:O}", "requirement", num, "title",
                                   ermes__csaf_requirement_title(k), "status", status, "reasons",
                                   r->reasons);
            char *s2 = o2 ? json_dumps(o2, JSON_COMPACT) : NULL;
            if (s2)
                printf("%s\n", s2);
            free(s2);
            json_decref(o2);
            continue;
        }
        printf("%s %s: %s\n", num, ermes__csaf_requirement_title(k), status);
        json_array_foreach(r->reasons, i, reason)
            printf("    %s\n", cli_safe(json_string_value(reason)));
    }
    ermes__csaf_check_cleanup(&res);
    fflush(stdout);
    return failed ? CLI_ERROR : CLI_OK;
}

/* One file's validation. Workers fill it (reading, validating and, with --json, the line to
 * print: all of that is thread-safe); the main thread prints it in the order of the arguments
 * (cli_safe and cli_error keep state of their own and stay on that thread). */
typedef struct validation {
    const char *file;
    int why;   /* CLI_READ_* when the file could not be read */
    int rc;    /* ermes_csaf_validate's */
    int ready; /* under the pool's mutex */
    ermes_diag_t d;
    ermes_csaf_result_t r;
    char *line; /* --json: the object to print (free()), NULL when out of memory */
} validation_t;

static void validate_file(validation_t *v, int json, ermes_csaf_preset_t preset)
{
    size_t len = 0;
    char *text = cli_read_file_quietly(v->file, ERMES_CSAF_MAX_DOCUMENT + 1, &len, &v->why);

    memset(&v->r, 0, sizeof(v->r));
    v->line = NULL;
    v->rc = 0;
    if (!text)
        return;
    ermes_diag_clear(&v->d);
    v->rc = ermes_csaf_validate_preset(text, len, preset, &v->r, &v->d);
    ermes__free(text);
    if (!json)
        return;
    if (v->rc) {
        char where[64] = "", msg[400];
        ermes_csaf_result_t bad = {0};
        ermes_csaf_failure_t f = {"json", "mandatory", (char *)"", msg};
        if (v->d.line)
            snprintf(where, sizeof(where), " (line %ld, column %ld)", v->d.line, v->d.column);
        snprintf(msg, sizeof(msg), "%s%s", v->d.reason[0] ? v->d.reason : ermes_strerror(v->rc),
                 where);
        bad.failed = &f;
        bad.count = bad.listed = 1;
        v->line = ermes_csaf_result_json(&bad, v->file);
    } else {
        v->line = ermes_csaf_result_json(&v->r, v->file);
    }
}

/* Prints v as `ermes csaf validate` always has and releases what it holds: 1 when the file
 * failed (unreadable, not JSON, or a mandatory test), else 0. */
static int print_validation(validation_t *v, int json)
{
    int failed = 1;

    if (v->why) {
        cli_read_file_error(v->file, ERMES_CSAF_MAX_DOCUMENT + 1, v->why);
        return 1;
    }
    if (json) {
        if (v->line)
            printf("%s\n", v->line);
    } else if (v->rc) {
        char where[64] = "";
        if (v->d.line)
            snprintf(where, sizeof(where), " (line %ld, column %ld)", v->d.line, v->d.column);
        cli_error("csaf validate: %s: %s%s", v->file,
                  v->d.reason[0] ? v->d.reason : ermes_strerror(v->rc), where);
    } else {
        const ermes_csaf_result_t *r = &v->r;
        for (size_t i = 0; i < r->listed; i++)
            printf("%s: %s %s %s: %s\n", cli_safe(v->file), r->failed[i].test, r->failed[i].group,
                   r->failed[i].path[0] ? cli_safe(r->failed[i].path) : "/",
                   cli_safe(r->failed[i].message));
        if (r->count > r->listed)
            printf("%s: ... and %zu more failures\n", cli_safe(v->file), r->count - r->listed);
        if (r->valid)
            printf("%s: valid\n", cli_safe(v->file));
    }
    if (!v->rc)
        failed = !v->r.valid;
    free(v->line);
    v->line = NULL;
    ermes_csaf_result_cleanup(&v->r);
    return failed;
}

/* The files shared by the workers: file k is validated into slot[k % nslot] once the main
 * thread has printed file k - nslot, so memory stays bounded by the window whatever the
 * number of files. */
typedef struct pool {
    pthread_mutex_t lock;
    pthread_cond_t ready; /* a slot was filled */
    pthread_cond_t freed; /* the main thread printed one */
    const char **files;
    size_t nfiles, claimed, printed, nslot;
    validation_t *slot;
    int json;
    ermes_csaf_preset_t preset;
} pool_t;

static void *validate_worker(void *arg)
{
    pool_t *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->claimed < p->nfiles && p->claimed >= p->printed + p->nslot)
            pthread_cond_wait(&p->freed, &p->lock);
        if (p->claimed >= p->nfiles)
            break;
        validation_t *v = &p->slot[p->claimed % p->nslot];
        v->file = p->files[p->claimed++];
        pthread_mutex_unlock(&p->lock);
        validate_file(v, p->json, p->preset);
        pthread_mutex_lock(&p->lock);
        v->ready = 1;
        pthread_cond_signal(&p->ready);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Validates files with jobs threads and prints them in order: 1 when one failed. */
static int validate_files(const char **files, size_t nfiles, long jobs, int json,
                          ermes_csaf_preset_t preset)
{
    pool_t p = {.files = files, .nfiles = nfiles, .json = json, .preset = preset};
    pthread_t threads[CSAF_MAX_JOBS];
    long started = 0;
    int failed = 0;

    if (jobs <= 1) {
        for (size_t k = 0; k < nfiles; k++) {
            validation_t v = {.file = files[k]};
            validate_file(&v, json, preset);
            failed |= print_validation(&v, json);
        }
        return failed;
    }
    /* Four documents a thread in flight: enough that a slow one rarely stalls the others. */
    p.nslot = (size_t)jobs * 4;
    p.slot = ermes__calloc(p.nslot, sizeof(*p.slot));
    if (!p.slot) {
        cli_error("csaf validate: %s", ermes_strerror(ERMES_ENOMEM));
        return 1;
    }
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.ready, NULL);
    pthread_cond_init(&p.freed, NULL);
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, validate_worker, &p))
            break;
    if (started == 0) {
        /* No thread at all: this one does the work. */
        p.nslot = 1;
        p.printed = 0;
    }
    for (size_t k = 0; k < nfiles; k++) {
        validation_t *v = &p.slot[k % p.nslot];
        if (started == 0) {
            v->file = files[k];
            validate_file(v, json, preset);
        } else {
            pthread_mutex_lock(&p.lock);
            while (!v->ready)
                pthread_cond_wait(&p.ready, &p.lock);
            pthread_mutex_unlock(&p.lock);
        }
        failed |= print_validation(v, json);
        pthread_mutex_lock(&p.lock);
        v->ready = 0;
        p.printed++;
        pthread_cond_broadcast(&p.freed);
        pthread_mutex_unlock(&p.lock);
    }
    for (long t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    pthread_cond_destroy(&p.freed);
    pthread_cond_destroy(&p.ready);
    pthread_mutex_destroy(&p.lock);
    ermes__free(p.slot);
    return failed;
}

int ermes__cmd_csaf(cli_t *c)
{
    ermes_csaf_preset_t preset = ERMES_CSAF_FULL;
    const char *sub = cli_arg(c, 0), *v, **files;
    size_t nfiles = 0, stdin_files = 0;
    long jobs = 0;
    long long n;
    int json = 0, failed, f;

    if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        help(sub ? stdout : stderr);
        return sub ? CLI_OK : CLI_USAGE;
    }
    if (strcmp(sub, "check") == 0)
        return check(c);
    if (strcmp(sub, "import") == 0)
        return import(c);
    if (strcmp(sub, "credentials") == 0)
        return ermes__cmd_csaf_credentials(c);
    if (strcmp(sub, "validate") != 0) {
        cli_error("csaf: unknown subcommand \"%s\" (validate, check, import, credentials)", sub);
        return CLI_USAGE;
    }
    files = ermes__calloc((size_t)c->nargs, sizeof(*files));
    if (!files) {
        cli_error("csaf validate: %s", ermes_strerror(ERMES_ENOMEM));
        return CLI_ERROR;
    }
    for (int i = 1; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if (strcmp(a, "--help") == 0) {
            help(stdout);
            ermes__free(files);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((f = cli_flag(c, i, "--jobs", &v)) != 0) {
            if (f < 0 || cli_number("--jobs", v, 1, CSAF_MAX_JOBS, &n) != CLI_OK) {
                ermes__free(files);
                return CLI_USAGE;
            }
            jobs = (long)n;
            i += f == 2;
        } else if ((f = cli_flag(c, i, "--preset", &v)) != 0) {
            if (f < 0 || ermes_csaf_preset_parse(v, &preset)) {
                if (f > 0)
                    cli_error("csaf validate: --preset: \"%s\" is none of basic, extended, full",
                              v);
                ermes__free(files);
                return CLI_USAGE;
            }
            i += f == 2;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error("csaf validate: unknown option \"%s\"", a);
            ermes__free(files);
            return CLI_USAGE;
        } else {
            stdin_files += strcmp(a, "-") == 0;
            files[nfiles++] = a;
        }
    }
    if (nfiles == 0) {
        help(stderr);
        ermes__free(files);
        return CLI_USAGE;
    }
    if (ermes_csaf_init()) {
        cli_error("csaf validate: the built-in schema does not load");
        ermes__free(files);
        return CLI_ERROR;
    }
    if (jobs == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = cpus < 1 ? 1 : cpus > CSAF_MAX_JOBS ? CSAF_MAX_JOBS : cpus;
    }
    if ((size_t)jobs > nfiles)
        jobs = (long)nfiles;
    /* Standard input given twice is read once, by the first "-": which one that is must not
     * depend on which thread gets there first. */
    if (stdin_files > 1)
        jobs = 1;
    failed = validate_files(files, nfiles, jobs, json, preset);
    ermes__free(files);
    fflush(stdout);
    return failed ? CLI_ERROR : CLI_OK;
}
