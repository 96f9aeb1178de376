/* ermes org: the constituency registry from the command line. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "notify/notify.h"
#include "core/alloc.h"
#include "model/org.h"

/* Contacts' OpenPGP keys are checked as the daemon checks them (src/notify/pgp.c), in the
 * keyring notifications encrypt with. */
static char pgp_contacts[1024];

static void key_check(cli_t *c, ermes__registry_t *reg)
{
    snprintf(pgp_contacts, sizeof(pgp_contacts), "%s/pgp-contacts",
             c->cfg.data_dir && *c->cfg.data_dir ? c->cfg.data_dir : ".");
    ermes__registry_set_key_check(reg, ermes__notify_key_check_cb, pgp_contacts);
}

static void help(FILE *f)
{
    fprintf(
        f,
        "usage: ermes org add --short-name SHORT --name NAME [--country CC] [--sector S]\n"
        "                     [--type T] [--parent SHORT] [--tlp TLP] [--network CIDR]...\n"
        "                     [--asn N]... [--domain D]... [--contact EMAIL[|NAME|ROLE|LANG]]...\n"
        "       ermes org add --file ORG.json\n"
        "       ermes org list [--json] [--q TEXT] [--country CC] [--sector S] [--type T]\n"
        "                      [--parent SHORT]\n"
        "       ermes org show REF [--json]          REF: short name or id\n"
        "       ermes org import FILE|- [--format csv|json] [--partial] [--update]\n"
        "       ermes org export [--format json|csv] [--output FILE]\n"
        "       ermes org delete REF\n"
        "       ermes org prefs REF [--json] [--feeds F1,F2] [--classifications C1,C2]\n"
        "                       [--frequency immediate|daily|weekly] [--digest-hour 0-23]\n"
        "                       [--digest-weekday 0-6] [--attachment csv|json|xarf]\n\n"
        "import is all or nothing unless --partial; every bad row is reported as\n"
        "FILE:LINE: reason. --update updates organisations that already exist.\n"
        "prefs shows, or with options sets, what the organisation's notifications carry:\n"
        "the feeds and classifications (RSIT classes or types) it wants (\"\" for all), as\n"
        "they come or a daily or weekly digest (at --digest-hour in the organisation's\n"
        "time: UTC shifted by its business-hours calendar's offset; weekly on\n"
        "--digest-weekday, 0 = Sunday), and the attachment format.\n");
    cli_usage_settings(f);
}

static void print_org_text(const ermes__org_t *o)
{
    char buf[ERMES_CIDR_STRLEN];

    printf("%s  %s\n", cli_safe(o->short_name), cli_safe(o->name));
    printf("  id %lld, type %s, sector %s, country %s, parent %s, TLP:%s\n", (long long)o->meta.id,
           o->type ? cli_safe(o->type) : "-", o->sector ? cli_safe(o->sector) : "-",
           o->country ? cli_safe(o->country) : "-", o->parent ? cli_safe(o->parent) : "-",
           ermes_tlp_name(o->meta.tlp));
    for (size_t k = 0; k < o->nnetworks; k++) {
        ermes_cidr_format(&o->networks[k], buf);
        printf("  network %s\n", buf);
    }
    for (size_t k = 0; k < o->nasns; k++)
        printf("  asn     AS%u\n", o->asns[k]);
    for (size_t k = 0; k < o->ndomains; k++)
        printf("  domain  %s\n", cli_safe(o->domains[k]));
    for (size_t k = 0; k < o->ncontacts; k++)
        printf("  contact %s <%s> %s %s\n", cli_safe(o->contacts[k].name),
               cli_safe(o->contacts[k].email), cli_safe(o->contacts[k].role),
               cli_safe(o->contacts[k].language));
}

struct list_ctx {
    int json;
    long n;
};

static int list_cb(void *arg, const ermes__org_t *o)
{
    struct list_ctx *c = arg;

    if (c->json) {
        json_t *j = ermes__org_to_json(o);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!s)
            return ERMES_ENOMEM;
        printf("%s%s", c->n ? ",\n" : "\n", s);
        free(s);
    } else {
        printf("%-12s %-4s %-12s %-12s %s\n", cli_safe(o->short_name),
               o->country ? cli_safe(o->country) : "-", o->type ? cli_safe(o->type) : "-",
               o->parent ? cli_safe(o->parent) : "-", cli_safe(o->name));
    }
    c->n++;
    return 0;
}

static int cmd_list(cli_t *c, int first)
{
    struct list_ctx lc = {0, 0};
    ermes__org_filter_t f;
    const char *v;
    int n, more, rc;

    memset(&f, 0, sizeof(f));
    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            lc.json = 1;
        else if ((n = cli_flag(c, i, "--q", &v)) > 0)
            f.q = v;
        else if ((n = cli_flag(c, i, "--country", &v)) > 0)
            f.country = v;
        else if ((n = cli_flag(c, i, "--sector", &v)) > 0)
            f.sector = v;
        else if ((n = cli_flag(c, i, "--type", &v)) > 0)
            f.type = v;
        else if ((n = cli_flag(c, i, "--parent", &v)) > 0)
            f.parent = v;
        else {
            if (n == 0)
                cli_error("org list: unknown argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (lc.json)
        printf("[");
    rc = ermes__store_org_each(c->store, &c->viewer, &f, list_cb, &lc, &more);
    if (lc.json)
        printf("\n]\n");
    if (rc) {
        cli_error("org list: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_show(cli_t *c, int first)
{
    const char *ref = NULL;
    ermes__org_t *org = NULL;
    int json = 0, rc;
    int64_t id;

    for (int i = first; i < c->nargs; i++) {
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if (!ref && cli_arg(c, i)[0] != '-')
            ref = cli_arg(c, i);
        else {
            cli_error("org show: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!ref) {
        cli_error("org show: which organisation? (short name or id)");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    rc = ermes__store_org_resolve(c->store, &c->viewer, ref, &id);
    if (!rc)
        rc = ermes__store_org_get(c->store, &c->viewer, id, &org);
    if (rc) {
        cli_error("org show %s: %s", ref,
                  rc == ERMES_ENOTFOUND ? "no such organisation" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (json) {
        json_t *j = ermes__org_to_json(org);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (s)
            printf("%s\n", s);
        free(s);
    } else {
        print_org_text(org);
    }
    ermes__org_free(org);
    return CLI_OK;
}

/* Builds the organisation document from flags, so the CLI and the API share one validator. */
static int cmd_add(cli_t *c, int first)
{
    json_t *doc = json_object(), *nets = json_array(), *asns = json_array(), *doms = json_array(),
           *contacts = json_array();
    const char *v, *file = NULL;
    ermes__registry_t *reg = NULL;
    ermes__org_t *org = NULL;
    ermes_diag_t d;
    int n, rc, status = CLI_USAGE;
    static const struct {
        const char *flag, *key;
    } scalars[] = {{"--short-name", "short_name"},
                   {"--name", "name"},
                   {"--country", "country"},
                   {"--sector", "sector"},
                   {"--type", "type"},
                   {"--parent", "parent"},
                   {"--tlp", "tlp"}};

    for (int i = first; i < c->nargs; i += n) {
        int matched = 0;
        n = 1;
        for (size_t k = 0; k < sizeof(scalars) / sizeof(scalars[0]) && !matched; k++)
            if ((n = cli_flag(c, i, scalars[k].flag, &v)) > 0) {
                json_object_set_new(doc, scalars[k].key, json_string(v));
                matched = 1;
            } else if (n < 0)
                goto out;
        if (matched)
            continue;
        n = 1;
        if ((n = cli_flag(c, i, "--network", &v)) > 0)
            json_array_append_new(nets, json_string(v));
        else if (n == 0 && (n = cli_flag(c, i, "--asn", &v)) > 0)
            json_array_append_new(asns, json_string(v));
        else if (n == 0 && (n = cli_flag(c, i, "--domain", &v)) > 0)
            json_array_append_new(doms, json_string(v));
        else if (n == 0 && (n = cli_flag(c, i, "--file", &v)) > 0)
            file = v;
        else if (n == 0 && (n = cli_flag(c, i, "--contact", &v)) > 0) {
            const char *keys[] = {"email", "name", "role", "language"};
            json_t *ct = json_object();
            const char *p = v;
            for (int part = 0; part < 4 && p; part++) {
                const char *bar = strchr(p, '|');
                size_t len = bar ? (size_t)(bar - p) : strlen(p);
                if (len)
                    json_object_set_new(ct, keys[part], json_stringn(p, len));
                p = bar ? bar + 1 : NULL;
            }
            json_array_append_new(contacts, ct);
        } else {
            if (n == 0)
                cli_error("org add: unknown argument \"%s\"", cli_arg(c, i));
            goto out;
        }
    }
    if (file) {
        size_t len;
        char *text = cli_read_file(file, 64u << 20, &len);
        json_error_t err;
        status = CLI_ERROR;
        if (!text)
            goto out;
        json_decref(doc);
        doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
        ermes__free(text);
        if (!doc) {
            cli_error("%s:%d:%d: %s", file, err.line, err.column, err.text);
            goto out;
        }
    } else {
        if (json_array_size(nets))
            json_object_set(doc, "networks", nets);
        if (json_array_size(asns))
            json_object_set(doc, "asns", asns);
        if (json_array_size(doms))
            json_object_set(doc, "domains", doms);
        if (json_array_size(contacts))
            json_object_set(doc, "contacts", contacts);
    }
    status = CLI_ERROR;
    if (!(org = ermes__org_new()))
        goto out;
    ermes_diag_clear(&d);
    if ((rc = ermes__org_from_json(org, doc, 0, &d))) {
        cli_error("org add: %s%s%s", d.field, d.field[0] ? ": " : "", d.reason);
        status = CLI_USAGE;
        goto out;
    }
    if ((rc = cli_open_store(c, 0)))
        goto out;
    if ((rc = ermes__registry_open(c->store, &reg)))
        goto out;
    key_check(c, reg);
    if ((rc = ermes__registry_org_create(reg, &c->viewer, org, &d))) {
        cli_error("org add: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    printf("added %s (id %lld)\n", cli_safe(org->short_name), (long long)org->meta.id);
    status = CLI_OK;
out:
    ermes__registry_close(reg);
    ermes__org_free(org);
    json_decref(doc);
    json_decref(nets);
    json_decref(asns);
    json_decref(doms);
    json_decref(contacts);
    return status;
}

static int cmd_import(cli_t *c, int first)
{
    const char *file = NULL, *v;
    ermes__import_options_t opts;
    ermes__import_report_t rep;
    ermes__registry_t *reg = NULL;
    int n, rc, explicit_format = 0;
    size_t len;
    char *data;

    memset(&opts, 0, sizeof(opts));
    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--partial", NULL))
            opts.partial = 1;
        else if (cli_flag(c, i, "--update", NULL))
            opts.update = 1;
        else if ((n = cli_flag(c, i, "--format", &v)) > 0) {
            explicit_format = 1;
            if (strcmp(v, "csv") == 0)
                opts.format = ERMES_FORMAT_CSV;
            else if (strcmp(v, "json") == 0)
                opts.format = ERMES_FORMAT_JSON;
            else {
                cli_error("org import: --format must be csv or json");
                return CLI_USAGE;
            }
        } else if (n == 0 && !file && (cli_arg(c, i)[0] != '-' || !strcmp(cli_arg(c, i), "-"))) {
            file = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("org import: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!file) {
        cli_error("org import: which file? (- for standard input)");
        return CLI_USAGE;
    }
    if (!explicit_format) {
        size_t fl = strlen(file);
        opts.format =
            fl > 4 && strcmp(file + fl - 4, ".csv") == 0 ? ERMES_FORMAT_CSV : ERMES_FORMAT_JSON;
    }
    opts.source = file;
    if (!(data = cli_read_file(file, 1u << 30, &len)))
        return CLI_ERROR;
    if (!explicit_format && strcmp(file, "-") == 0) {
        size_t k = 0;
        while (k < len && (data[k] == ' ' || data[k] == '\n' || data[k] == '\r' || data[k] == '\t'))
            k++;
        opts.format =
            k < len && (data[k] == '{' || data[k] == '[') ? ERMES_FORMAT_JSON : ERMES_FORMAT_CSV;
    }
    if ((rc = cli_open_store(c, 0))) {
        ermes__free(data);
        return rc;
    }
    if ((rc = ermes__registry_open(c->store, &reg))) {
        cli_error("org import: %s", ermes_strerror(rc));
        ermes__free(data);
        return CLI_ERROR;
    }
    key_check(c, reg);
    rc = ermes__registry_import(reg, &c->viewer, data, len, &opts, &rep);
    ermes__free(data);
    ermes__registry_close(reg);
    for (size_t k = 0; k < rep.nerrors; k++)
        fprintf(stderr, "%s:%ld: %s%s%s\n", cli_safe(file), rep.errors[k].line,
                cli_safe(rep.errors[k].field), rep.errors[k].field[0] ? ": " : "",
                cli_safe(rep.errors[k].reason));
    if ((size_t)rep.failed > rep.nerrors)
        fprintf(stderr, "%s: %ld more errors not shown\n", cli_safe(file),
                rep.failed - (long)rep.nerrors);
    if (rc == 0)
        printf("%s: %ld rows, %ld imported, %ld updated, %ld failed\n", cli_safe(file), rep.rows,
               rep.imported, rep.updated, rep.failed);
    else if (rc == ERMES_EINVAL || rc == ERMES_EPARSE)
        fprintf(stderr,
                "%s: nothing imported (%ld of %ld rows failed; --partial keeps the "
                "good ones)\n",
                cli_safe(file), rep.failed, rep.rows);
    else
        cli_error("org import: %s", ermes_strerror(rc));
    ermes__import_report_cleanup(&rep);
    return rc == 0 && rep.failed == 0 ? CLI_OK : CLI_ERROR;
}

static int write_file(void *ctx, const char *p, size_t n)
{
    return fwrite(p, 1, n, ctx) == n ? 0 : ERMES_EIO;
}

static int cmd_export(cli_t *c, int first)
{
    const char *v, *output = NULL;
    ermes__format_t format = ERMES_FORMAT_JSON;
    ermes__registry_t *reg = NULL;
    FILE *f = stdout;
    int n, rc;

    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if ((n = cli_flag(c, i, "--format", &v)) > 0) {
            if (strcmp(v, "csv") == 0)
                format = ERMES_FORMAT_CSV;
            else if (strcmp(v, "json") != 0) {
                cli_error("org export: --format must be json or csv");
                return CLI_USAGE;
            }
        } else if (n == 0 && (n = cli_flag(c, i, "--output", &v)) > 0) {
            output = v;
        } else {
            if (n == 0)
                cli_error("org export: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if ((rc = ermes__registry_open(c->store, &reg))) {
        cli_error("org export: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (output && !(f = fopen(output, "w"))) {
        cli_error("cannot write %s", output);
        ermes__registry_close(reg);
        return CLI_ERROR;
    }
    rc = ermes__registry_export(reg, &c->viewer, format, write_file, f);
    ermes__registry_close(reg);
    if (output && fclose(f) != 0)
        rc = rc ? rc : ERMES_EIO;
    if (rc) {
        cli_error("org export: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_delete(cli_t *c, int first)
{
    const char *ref = cli_arg(c, first);
    ermes__registry_t *reg = NULL;
    ermes_diag_t d;
    int64_t id;
    int rc;

    if (!ref || c->nargs > first + 1) {
        cli_error("org delete: give exactly one organisation");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    ermes_diag_clear(&d);
    rc = ermes__store_org_resolve(c->store, &c->viewer, ref, &id);
    if (!rc)
        rc = ermes__registry_open(c->store, &reg);
    if (!rc)
        rc = ermes__registry_org_delete(reg, &c->viewer, id, &d);
    ermes__registry_close(reg);
    if (rc) {
        cli_error("org delete %s: %s", ref, d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    printf("deleted %s\n", cli_safe(ref));
    return CLI_OK;
}

int ermes__cmd_org(cli_t *c)
{
    const char *sub = cli_arg(c, 0);

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        }
    if (!sub) {
        help(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(sub, "add"))
        return cmd_add(c, 1);
    if (!strcmp(sub, "list"))
        return cmd_list(c, 1);
    if (!strcmp(sub, "show"))
        return cmd_show(c, 1);
    if (!strcmp(sub, "import"))
        return cmd_import(c, 1);
    if (!strcmp(sub, "export"))
        return cmd_export(c, 1);
    if (!strcmp(sub, "delete"))
        return cmd_delete(c, 1);
    if (!strcmp(sub, "prefs"))
        return ermes__cli_org_prefs(c, 1);
    cli_error("org: unknown subcommand \"%s\"", sub);
    help(stderr);
    return CLI_USAGE;
}
