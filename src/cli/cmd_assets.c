/* ermes assets: constituents' assets (products by CPE 2.3 name, package URL, or vendor,
 * product and version), added one by one, imported from CSV or an SBOM (CycloneDX JSON, SPDX
 * JSON), listed, and given a remediation status per vulnerability (src/store/assets.c). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/vulns.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "store/vulns.h"

#define CSV_MAX_ROWS 1000000

static void help(FILE *f)
{
    fprintf(f, "usage: ermes assets list [--org ORG] [--json]\n"
               "       ermes assets add --org ORG (--cpe CPE | --purl PURL | --product P)\n"
               "                        [--vendor V] [--version VER] [--name NAME]\n"
               "       ermes assets import --org ORG FILE\n"
               "       ermes assets status ID CVE not_affected|affected|in_progress|fixed\n"
               "       ermes assets delete ID\n\n"
               "An asset is a product a constituent runs: a CPE 2.3 name, a package URL, or a\n"
               "vendor, product and version. import reads an SBOM (CycloneDX JSON or SPDX JSON:\n"
               "each component's cpe, purl, name and version) or a CSV file with a header naming\n"
               "some of the columns name, cpe, purl, vendor, product, version; a file is imported\n"
               "whole or not at all. The daemon matches new and changed assets at once against\n"
               "the published advisories and the stored vulnerabilities (`ermes vulns match`\n"
               "does it by hand). status records the remediation of an asset for a CVE.\n");
    {
        static const char *const s[] = {"data_dir", "database_url", NULL};
        cli_usage_settings_some(f, s);
    }
}

static int list_cb(void *ctx, const ermes__asset_t *a)
{
    int json = *(int *)ctx;

    if (json) {
        json_t *j =
            json_pack("{s:I,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "id", (json_int_t)a->id,
                      "org", a->org, "name", a->name, "cpe", a->cpe, "purl", a->purl, "vendor",
                      a->vendor, "product", a->product, "version", a->version, "source", a->source);
        char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(j);
        return 0;
    }
    printf("%-6lld %-16s %s", (long long)a->id, cli_safe(a->org),
           cli_safe(a->cpe    ? a->cpe
                    : a->purl ? a->purl
                              : a->product));
    if (!a->cpe && !a->purl && a->version)
        printf(" %s", cli_safe(a->version));
    if (a->name && *a->name)
        printf("  (%s)", cli_safe(a->name));
    printf("\n");
    return 0;
}

static int noop_cb(void *ctx, const ermes__asset_t *a)
{
    (void)ctx;
    (void)a;
    return 0;
}

typedef struct importer {
    cli_t *c;
    int64_t org;
    const char *source;
    long added;
    ermes_diag_t *d;
} importer_t;

static int add_one(importer_t *im, ermes__asset_t *a)
{
    int rc;

    a->org_id = im->org;
    a->source = im->source;
    if ((rc = ermes__asset_check(a, im->d)))
        return rc;
    if ((rc = ermes__store_asset_add(im->c->store, a)))
        return rc;
    im->added++;
    return 0;
}

static int sbom_cb(void *ctx, const ermes__sbom_component_t *sc)
{
    importer_t *im = ctx;
    ermes__asset_t a;
    ermes_diag_t probe;
    int rc;

    memset(&a, 0, sizeof(a));
    a.name = sc->name;
    a.version = sc->version;
    a.vendor = sc->vendor;
    a.product = sc->name;
    a.cpe = sc->cpe;
    a.purl = sc->purl;
    /* An SBOM's identifiers that do not parse are dropped, not fatal: the component stays
     * known by its name and version. */
    ermes_diag_clear(&probe);
    if (a.cpe) {
        ermes__asset_t t = {0};
        t.cpe = a.cpe;
        if (ermes__asset_check(&t, &probe))
            a.cpe = NULL;
    }
    if (a.purl) {
        ermes__asset_t t = {0};
        t.purl = a.purl;
        if (ermes__asset_check(&t, &probe))
            a.purl = NULL;
    }
    rc = add_one(im, &a);
    if (rc == ERMES_EINVAL)
        ermes_diag_set(im->d, im->d->field, "component \"%s\": %s", sc->name, im->d->reason);
    return rc;
}

static int import_csv(importer_t *im, const char *data, size_t len)
{
    static const char *const cols[] = {"name", "cpe", "purl", "vendor", "product", "version"};
    int idx[6] = {-1, -1, -1, -1, -1, -1};
    size_t pos = 0, line = 0;
    int rc = 0, header = 1;

    while (pos < len && !rc) {
        const char *s = data + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        char *fields[32];
        char buf[8192];
        int nf = 0;

        pos += n + (nl != NULL);
        line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (!n)
            continue;
        if (n >= sizeof(buf) || line > CSV_MAX_ROWS) {
            ermes_diag_set(im->d, "csv", "line %zu: too long", line);
            return ERMES_EINVAL;
        }
        /* Plain comma-separated values, double quotes around a field allowed. */
        memcpy(buf, s, n);
        buf[n] = '\0';
        for (char *p = buf; nf < 32;) {
            char *start = p, *w;
            if (*p == '"') {
                start = w = ++p;
                while (*p && !(*p == '"' && p[1] != '"')) {
                    if (*p == '"')
                        p++;
                    *w++ = *p++;
                }
                if (*p == '"')
                    p++;
                if (*p && *p != ',') {
                    ermes_diag_set(im->d, "csv", "line %zu: text after a quoted field", line);
                    return ERMES_EINVAL;
                }
                *w = '\0';
                fields[nf++] = start;
                if (*p)
                    *p++ = '\0';
                else
                    break;
                continue;
            }
            while (*p && *p != ',')
                p++;
            fields[nf++] = start;
            if (!*p)
                break;
            *p++ = '\0';
        }
        if (header) {
            for (int k = 0; k < nf; k++)
                for (int j = 0; j < 6; j++)
                    if (!strcmp(fields[k], cols[j]))
                        idx[j] = k;
            if (idx[1] < 0 && idx[2] < 0 && idx[4] < 0) {
                ermes_diag_set(im->d, "csv", "the header names none of cpe, purl, product");
                return ERMES_EINVAL;
            }
            header = 0;
            continue;
        }
        {
            ermes__asset_t a;
            const char **f[6];
            memset(&a, 0, sizeof(a));
            f[0] = &a.name, f[1] = &a.cpe, f[2] = &a.purl, f[3] = &a.vendor, f[4] = &a.product,
            f[5] = &a.version;
            for (int j = 0; j < 6; j++)
                if (idx[j] >= 0 && idx[j] < nf && *fields[idx[j]])
                    *f[j] = fields[idx[j]];
            if ((rc = add_one(im, &a)) == ERMES_EINVAL) {
                ermes_diag_set(im->d, im->d->field, "line %zu: %s", line, im->d->reason);
                return rc;
            }
        }
    }
    return rc;
}

static int import_file(cli_t *c, int64_t org, const char *path)
{
    importer_t im = {c, org, "csv", 0, NULL};
    ermes_diag_t d;
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *data = NULL;
    size_t len = 0, cap = 0;
    const char *format = "csv";
    int rc;

    ermes_diag_clear(&d);
    im.d = &d;
    if (!f) {
        cli_error("assets: %s: cannot open it", cli_safe(path));
        return CLI_ERROR;
    }
    for (;;) {
        size_t got;
        if (len + 65537 > cap) {
            char *p;
            cap = cap ? cap * 2 : 1 << 20;
            if (cap > (size_t)ERMES_VULN_DOC_MAX || !(p = ermes__reallocarray(data, cap, 1))) {
                cli_error("assets: %s: larger than %ld bytes", cli_safe(path), ERMES_VULN_DOC_MAX);
                ermes__free(data);
                if (f != stdin)
                    fclose(f);
                return CLI_ERROR;
            }
            data = p;
        }
        got = fread(data + len, 1, 65536, f);
        len += got;
        if (got < 65536)
            break;
    }
    if (f != stdin)
        fclose(f);
    data[len] = '\0';
    if ((rc = ermes__store_begin(c->store)))
        goto out;
    {
        size_t k = 0;
        while (k < len && (data[k] == ' ' || data[k] == '\n' || data[k] == '\r' || data[k] == '\t'))
            k++;
        if (k < len && data[k] == '{') {
            im.source = "sbom";
            rc = ermes__sbom_read(data, len, sbom_cb, &im, &format, &d);
        } else
            rc = import_csv(&im, data, len);
    }
    if (!rc)
        rc = ermes__store_commit(c->store);
    if (rc)
        ermes__store_rollback(c->store);
out:
    ermes__free(data);
    if (rc) {
        cli_error("assets: %s: %s%s%s (nothing imported)", cli_safe(path), cli_safe(d.field),
                  d.field[0] ? ": " : "", d.reason[0] ? cli_safe(d.reason) : ermes_strerror(rc));
        return CLI_ERROR;
    }
    printf("%s: %s, %ld assets added\n", cli_safe(path), format, im.added);
    return CLI_OK;
}

int ermes__cmd_assets(cli_t *c)
{
    const char *verb = NULL, *org_ref = NULL, *v, *pos[3] = {NULL, NULL, NULL};
    ermes__asset_t a;
    int json = 0, npos = 0, rc;
    int64_t org = 0;

    memset(&a, 0, sizeof(a));
    for (int i = 0, n = 1; i<c->nargs; i += n> 0 ? n : 1) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, i, "--org", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            org_ref = v;
        } else if ((n = cli_flag(c, i, "--cpe", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            a.cpe = v;
        } else if ((n = cli_flag(c, i, "--purl", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            a.purl = v;
        } else if ((n = cli_flag(c, i, "--vendor", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            a.vendor = v;
        } else if ((n = cli_flag(c, i, "--product", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            a.product = v;
        } else if ((n = cli_flag(c, i, "--version", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            a.version = v;
        } else if ((n = cli_flag(c, i, "--name", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            a.name = v;
        } else if (!verb && cli_arg(c, i)[0] != '-') {
            verb = cli_arg(c, i);
        } else if (verb && npos < 3 && (cli_arg(c, i)[0] != '-' || !strcmp(cli_arg(c, i), "-"))) {
            pos[npos++] = cli_arg(c, i);
        } else {
            cli_error("assets: unexpected argument \"%s\"", cli_safe(cli_arg(c, i)));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (!verb)
        verb = "list";
    if (strcmp(verb, "list") && strcmp(verb, "add") && strcmp(verb, "import") &&
        strcmp(verb, "status") && strcmp(verb, "delete")) {
        cli_error("assets: unknown command \"%s\"", cli_safe(verb));
        help(stderr);
        return CLI_USAGE;
    }
    if ((!strcmp(verb, "add") || !strcmp(verb, "import")) && !org_ref) {
        cli_error("assets %s: --org names the organisation", verb);
        return CLI_USAGE;
    }
    if (!strcmp(verb, "import") && npos != 1) {
        cli_error("assets import: give one FILE");
        return CLI_USAGE;
    }
    if ((!strcmp(verb, "status") && npos != 3) || (!strcmp(verb, "delete") && npos != 1)) {
        cli_error("assets %s: see ermes assets --help", verb);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (org_ref && (rc = ermes__store_org_resolve(c->store, &c->viewer, org_ref, &org))) {
        cli_error("assets: no organisation \"%s\"", cli_safe(org_ref));
        return CLI_ERROR;
    }
    if (!strcmp(verb, "list")) {
        if ((rc = ermes__store_asset_each(c->store, org, 0, 0, list_cb, &json, NULL))) {
            cli_error("assets: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if (!strcmp(verb, "import"))
        return import_file(c, org, pos[0]);
    if (!strcmp(verb, "add")) {
        ermes_diag_t d;
        ermes_diag_clear(&d);
        a.org_id = org;
        a.source = "manual";
        if ((rc = ermes__asset_check(&a, &d))) {
            cli_error("assets add: %s: %s", d.field, cli_safe(d.reason));
            return CLI_USAGE;
        }
        if ((rc = ermes__store_asset_add(c->store, &a))) {
            cli_error("assets add: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        printf("asset %lld added\n", (long long)a.id);
        return CLI_OK;
    }
    {
        long long id;
        if (cli_number("ID", pos[0], 1, INT64_MAX, &id))
            return CLI_USAGE;
        if (!strcmp(verb, "delete")) {
            rc = ermes__store_asset_delete(c->store, id, 0);
        } else {
            if (!ermes__asset_status_valid(pos[2])) {
                cli_error("assets status: not_affected, affected, in_progress or fixed");
                return CLI_USAGE;
            }
            rc = ermes__store_asset_get(c->store, id, 0, noop_cb, NULL) == ERMES_ENOTFOUND
                     ? ERMES_ENOTFOUND
                     : ermes__store_asset_vuln_set(c->store, id, pos[1], pos[2], NULL, 0);
        }
        if (rc) {
            cli_error("assets %s: %s", verb, ermes_strerror(rc));
            return CLI_ERROR;
        }
        printf("asset %lld: %s\n", id, !strcmp(verb, "delete") ? "deleted" : pos[2]);
    }
    return CLI_OK;
}
