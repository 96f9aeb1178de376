/* ermes csaf credentials: credentials for other CSAF providers' TLP:AMBER and RED
 * distributions (src/store/csaf_credentials.h), used by `ermes csaf import` and csaf=URL
 * sources. The secrets are written, never printed back: list shows the header names. */
#include <sodium.h>
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
    fprintf(f,
            "usage: ermes csaf credentials list\n"
            "       ermes csaf credentials set PROVIDER [--header \"Name: value\"]...\n"
            "                                  [--client-cert FILE --client-key FILE |\n"
            "                                   --client-p12 FILE [--p12-passphrase-file FILE]]\n"
            "       ermes csaf credentials delete PROVIDER\n\n"
            "Credentials for another CSAF provider's protected distributions (its\n"
            "TLP:AMBER and RED ROLIE feeds and directories), kept per origin\n"
            "(scheme://host:port of PROVIDER, a domain or URL). `ermes csaf import` and\n"
            "csaf=URL sources of vuln_sources send the header lines (e.g. Authorization)\n"
            "and the TLS client certificate and key with every request to that origin and\n"
            "nowhere else: a redirect to another host, port or scheme is followed without\n"
            "them. The certificate (with its chain, at most 65536 bytes) and key (at most\n"
            "4096 bytes) are PEM files, or come from a PKCS#12 file (.p12, .pfx; at most\n"
            "65536 bytes) opened with the first line of --p12-passphrase-file (none: no\n"
            "passphrase) and kept as PEM. Without credentials a provider's TLP:AMBER and\n"
            "RED feeds are skipped, said as \"skipped: URL: reason\" (and, for a csaf=URL\n"
            "source of the daemon, by `ermes vulns sources`). set replaces what was set for\n"
            "the origin. The header lines and the key are sealed in the database under\n"
            "DATA_DIR/secrets.key; list shows the header names only.\n");
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

/* The whole of a small file (at most max bytes: PEM, PKCS#12, a passphrase) into a new
 * NUL-terminated buffer (*len bytes before the NUL), or NULL (said). */
static char *slurp(const char *flag, const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (!f) {
        cli_error("csaf credentials: %s: cannot open %s", flag, cli_safe(path));
        return NULL;
    }
    if (!(buf = ermes__malloc(max + 2)))
        goto out;
    n = fread(buf, 1, max + 1, f);
    if (ferror(f) || n > max) {
        cli_error("csaf credentials: %s: %s is %s", flag, cli_safe(path),
                  ferror(f) ? "not readable" : "too large");
        if (!ferror(f))
            cli_error("csaf credentials: %s: at most %zu bytes", flag, max);
        sodium_memzero(buf, max + 2);
        ermes__free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    *len = n;
out:
    fclose(f);
    return buf;
}

static int set(cli_t *c)
{
    const char *headers[ERMES_CSAF_CRED_HEADERS_MAX + 1], *provider = NULL, *v;
    const char *cert_file = NULL, *key_file = NULL, *p12_file = NULL, *pass_file = NULL;
    char *cert = NULL, *key = NULL, *p12 = NULL, *pass = NULL;
    size_t n = 0, len = 0, p12_len = 0;
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
        } else if ((f = cli_flag(c, i, "--client-p12", &v)) != 0) {
            if (f < 0)
                return CLI_USAGE;
            p12_file = v;
            i += f == 2;
        } else if ((f = cli_flag(c, i, "--p12-passphrase-file", &v)) != 0) {
            if (f < 0)
                return CLI_USAGE;
            pass_file = v;
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
    if (p12_file && (cert_file || key_file)) {
        cli_error("csaf credentials set: --client-p12, or --client-cert and --client-key: not "
                  "both");
        return CLI_USAGE;
    }
    if (pass_file && !p12_file) {
        cli_error("csaf credentials set: --p12-passphrase-file goes with --client-p12");
        return CLI_USAGE;
    }
    if ((cert_file &&
         !(cert = slurp("--client-cert", cert_file, ERMES_CSAF_CRED_CERT_MAX, &len))) ||
        (key_file && !(key = slurp("--client-key", key_file, ERMES_CSAF_CRED_KEY_MAX, &len))) ||
        (p12_file && !(p12 = slurp("--client-p12", p12_file, ERMES_CSAF_CRED_P12_MAX, &p12_len))) ||
        (pass_file && !(pass = slurp("--p12-passphrase-file", pass_file, 1024, &len)))) {
        rc = CLI_ERROR;
        goto out;
    }
    ermes_diag_clear(&d);
    if (pass) {
        /* The first line of the file is the passphrase (echo's newline is not part of it). */
        pass[strcspn(pass, "\r\n")] = '\0';
    }
    if (p12 && ermes__csaf_cred_p12((const unsigned char *)p12, p12_len, pass, &cert, &key, &d)) {
        cli_error("csaf credentials set: %s: %s",
                  strcmp(d.field, "p12_passphrase") ? "--client-p12" : "--p12-passphrase-file",
                  d.reason);
        rc = CLI_ERROR;
        goto out;
    }
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
    ermes__csaf_cred_pem_free(key);
    if (p12)
        sodium_memzero(p12, p12_len);
    ermes__free(p12);
    ermes__csaf_cred_pem_free(pass);
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
