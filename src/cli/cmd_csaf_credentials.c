/* ermes csaf credentials: credentials for other CSAF providers' TLP:AMBER and RED
 * distributions (src/store/csaf_credentials.h), used by `ermes csaf import` and csaf=URL
 * sources. The secrets are written, never printed back: list shows the header names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "advisories/csaf_cred.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/time.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes csaf credentials list\n"
               "       ermes csaf credentials set PROVIDER [--header \"Name: value\"]...\n"
               "                                  [--client-cert FILE --client-key FILE]\n"
               "       ermes csaf credentials delete PROVIDER\n\n"
               "Credentials for another CSAF provider's protected distributions (its\n"
               "TLP:AMBER and RED ROLIE feeds and directories), kept per origin\n"
               "(scheme://host:port of PROVIDER, a domain or URL). `ermes csaf import` and\n"
               "csaf=URL sources of vuln_sources send the header lines (e.g. Authorization)\n"
               "and the TLS client certificate and key (PEM files) with every request to that\n"
               "origin and nowhere else: a redirect to another host, port or scheme is\n"
               "followed without them. Without credentials a provider's TLP:AMBER and RED\n"
               "feeds are skipped, said as \"skipped: URL: reason\". set replaces what was\n"
               "set for the origin. The header lines and the key are sealed in the database\n"
               "under DATA_DIR/secrets.key; list shows the header names only.\n");
}

static int list_cb(void *ctx, const ermes__csaf_cred_t *c)
{
    char when[ERMES_TIME_STRLEN];

    (void)ctx;
    ermes__time_format(c->updated_at, when);
    printf("%s  headers: %s  client certificate: %s  updated %s\n", cli_safe(c->origin),
           c->header_names[0] ? cli_safe(c->header_names) : "none", c->client_cert ? "set" : "none",
           when);
    return 0;
}

/* The whole of a small file (PEM) into a new string, or NULL (said). */
static char *slurp(const char *flag, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (!f) {
        cli_error("csaf credentials: %s: cannot open %s", flag, cli_safe(path));
        return NULL;
    }
    if (!(buf = ermes__malloc(ERMES_CSAF_CRED_PEM_MAX + 2)))
        goto out;
    n = fread(buf, 1, ERMES_CSAF_CRED_PEM_MAX + 1, f);
    if (ferror(f) || n > ERMES_CSAF_CRED_PEM_MAX) {
        cli_error("csaf credentials: %s: %s is not a PEM file of at most %d bytes", flag,
                  cli_safe(path), ERMES_CSAF_CRED_PEM_MAX);
        ermes__free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
out:
    fclose(f);
    return buf;
}

static int set(cli_t *c)
{
    const char *headers[ERMES_CSAF_CRED_HEADERS_MAX + 1], *provider = NULL, *v;
    const char *cert_file = NULL, *key_file = NULL;
    char *cert = NULL, *key = NULL;
    size_t n = 0;
    ermes__csaf_cred_t cred;
    ermes_diag_t d;
    int f, rc = CLI_USAGE, created = 0;

    memset(&cred, 0, sizeof(cred));
    for (int i = 2; i < c->nargs; i++) {
        const char *a = cli_arg(c, i);
        if ((f = cli_flag(c, i, "--header", &v)) != 0) {
            if (f < 0)
                return CLI_USAGE;
            if (n > ERMES_CSAF_CRED_HEADERS_MAX) {
                cli_error("csaf credentials set: at most %d --header", ERMES_CSAF_CRED_HEADERS_MAX);
                return CLI_USAGE;
            }
            headers[n++] = v;
            i += f == 2;
        } else if ((f = cli_flag(c, i, "--client-cert", &v)) != 0) {
            if (f < 0)
                return CLI_USAGE;
            cert_file = v;
            i += f == 2;
        } else if ((f = cli_flag(c, i, "--client-key", &v)) != 0) {
            if (f < 0)
                return CLI_USAGE;
            key_file = v;
            i += f == 2;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error("csaf credentials set: unknown option \"%s\"", a);
            return CLI_USAGE;
        } else if (provider) {
            cli_error("csaf credentials set: one PROVIDER at a time");
            return CLI_USAGE;
        } else {
            provider = a;
        }
    }
    if (!provider) {
        help(stderr);
        return CLI_USAGE;
    }
    if ((cert_file && !(cert = slurp("--client-cert", cert_file))) ||
        (key_file && !(key = slurp("--client-key", key_file)))) {
        rc = CLI_ERROR;
        goto out;
    }
    ermes_diag_clear(&d);
    if (ermes__csaf_cred_build(provider, headers, n, cert, key, &cred, &d)) {
        cli_error("csaf credentials set: %s: %s", d.field, d.reason);
        goto out;
    }
    if ((rc = cli_open_store(c, 0)))
        goto out;
    if ((rc = ermes__store_csaf_cred_put(c->store, &cred, &created))) {
        cli_error("csaf credentials set: %s", ermes_strerror(rc));
        rc = CLI_ERROR;
        goto out;
    }
    printf("%s: credentials %s (headers: %s; client certificate: %s)\n", cli_safe(cred.origin),
           created ? "set" : "replaced",
           cred.header_names[0] ? cli_safe(cred.header_names) : "none",
           cred.client_cert ? "set" : "none");
    rc = CLI_OK;
out:
    ermes__csaf_cred_clear(&cred);
    ermes__free(cert);
    ermes__free(key);
    return rc;
}

int ermes__cmd_csaf_credentials(cli_t *c)
{
    const char *sub = cli_arg(c, 1);
    int rc;

    if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        help(sub ? stdout : stderr);
        return sub ? CLI_OK : CLI_USAGE;
    }
    if (!strcmp(sub, "set"))
        return set(c);
    if (!strcmp(sub, "list")) {
        if (c->nargs > 2) {
            cli_error("csaf credentials list: no arguments");
            return CLI_USAGE;
        }
        if ((rc = cli_open_store(c, 0)))
            return rc;
        if ((rc = ermes__store_csaf_cred_each(c->store, list_cb, NULL))) {
            cli_error("csaf credentials list: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if (!strcmp(sub, "delete")) {
        ermes__csaf_cred_t cred;
        ermes_diag_t d;
        const char *fake = "Authorization: x";
        if (c->nargs != 3) {
            help(stderr);
            return CLI_USAGE;
        }
        /* The provider's origin as set computes it. */
        ermes_diag_clear(&d);
        if (ermes__csaf_cred_build(cli_arg(c, 2), &fake, 1, NULL, NULL, &cred, &d)) {
            cli_error("csaf credentials delete: %s: %s", d.field, d.reason);
            return CLI_USAGE;
        }
        if ((rc = cli_open_store(c, 0)) == 0 &&
            (rc = ermes__store_csaf_cred_delete(c->store, 0, cred.origin))) {
            cli_error("csaf credentials delete: %s: %s", cli_safe(cred.origin),
                      rc == ERMES_ENOTFOUND ? "no credentials set" : ermes_strerror(rc));
            rc = CLI_ERROR;
        } else if (rc == 0) {
            printf("%s: credentials deleted\n", cli_safe(cred.origin));
        }
        ermes__csaf_cred_clear(&cred);
        return rc;
    }
    cli_error("csaf credentials: unknown subcommand \"%s\" (list, set, delete)", sub);
    return CLI_USAGE;
}
