/* ermes stix import|export: STIX 2.1 bundles in and out of the database, as POST and GET
 * /api/v1/stix do in the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/tlp_recipients.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "sharing/stix.h"

#define STIX_FILE_MAX (256u << 20)

static void help(FILE *f)
{
    fprintf(f, "usage: ermes stix import FILE|- [--tlp TLP] [--recipients ORG,...] [--json]\n"
               "       ermes stix export [--type T,...] [--id ID,...] [--version last|first|all]\n"
               "                         [--added-after TIME] [--source SRC] [--max-tlp TLP]\n"
               "                         [--events N] [--events-since TIME]\n"
               "       ermes stix recipients ID [--set ORG,... | --clear] [--json]\n"
               "\n"
               "import stores every object of a STIX 2.1 bundle whole (all versions, custom\n"
               "properties too); indicators whose pattern ermes can match also become ermes\n"
               "indicators; objects that fail are listed with their id and reason, the others\n"
               "are kept. Objects without a TLP marking get --tlp (default AMBER).\n"
               "--recipients names the organisations (short names) every object imported is\n"
               "given to (TLP 2.0 named recipients).\n"
               "export writes a bundle of the stored objects and of ermes's own (constituents\n"
               "as identities, indicators, sightings) to stdout, up to --max-tlp (default RED);\n"
               "--events N adds up to N events (from --events-since) as observed-data with\n"
               "their addresses and domain names.\n"
               "recipients lists the organisations the stored object ID (<type>--<UUID>) is\n"
               "given to (TLP 2.0 named recipients of an AMBER, AMBER+STRICT or RED object);\n"
               "--set replaces them (short names), --clear removes them all.\n");
}

static int cmd_import(cli_t *c)
{
    const char *path = NULL, *v, *recipients = NULL;
    int64_t orgs[ERMES__TLP_RECIPIENTS_MAX];
    ermes__stix_import_opts_t o;
    ermes__stix_import_result_t res;
    ermes_diag_t d;
    char *data = NULL;
    size_t len;
    int json = 0, n, rc = CLI_ERROR;

    memset(&o, 0, sizeof(o));
    o.default_tlp = ERMES_TLP_AMBER;
    o.max_tlp = ERMES_TLP_RED;
    o.source = "local";
    for (int i = 1; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, i, "--tlp", &v)) > 0) {
            if (ermes_tlp_parse(v, strlen(v), &o.default_tlp)) {
                cli_error("stix import: --tlp is CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
                return CLI_USAGE;
            }
        } else if ((n = cli_flag(c, i, "--recipients", &v)) > 0) {
            recipients = v;
        } else if (n == 0 && !path &&
                   (cli_arg(c, i)[0] != '-' || strcmp(cli_arg(c, i), "-") == 0)) {
            path = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("stix import: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!path) {
        cli_error("stix import: which file?");
        return CLI_USAGE;
    }
    if (!(data = cli_read_file(path, STIX_FILE_MAX, &len)))
        return CLI_ERROR;
    if (cli_open_store(c, 0)) {
        ermes__free(data);
        return CLI_ERROR;
    }
    o.viewer = &c->viewer;
    ermes__stix_import_result_init(&res);
    ermes_diag_clear(&d);
    if (recipients) {
        n = ermes__tlp_recipients_parse_text(c->store, &c->viewer, recipients, "--recipients", orgs,
                                             &o.nrecipients, &d);
        if (n) {
            cli_error("stix import: %s", n == ERMES_EINVAL ? d.reason : ermes_strerror(n));
            ermes__free(data);
            rc = n == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
            goto out;
        }
        o.recipients = orgs;
    }
    n = ermes__stix_import(c->store, data, len, &o, &res, &d);
    ermes__free(data);
    if (n) {
        cli_error("stix import: %s: %s", path, d.reason[0] ? d.reason : ermes_strerror(n));
        goto out;
    }
    if (json) {
        json_t *j = ermes__stix_import_result_json(&res);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!text)
            goto out;
        printf("%s\n", text);
        free(text);
    } else {
        json_t *f;
        size_t i;
        printf("%s: %zu objects: %zu stored, %zu already there, %zu failed; %zu indicators for "
               "detection, %zu patterns kept but not matchable\n",
               cli_safe(path), res.total, res.stored, res.duplicates, res.failed, res.indicators,
               res.unsupported);
        json_array_foreach(res.failures, i, f)
        {
            printf("  object %lld %s: %s\n",
                   (long long)json_integer_value(json_object_get(f, "index")),
                   cli_safe(json_string_value(json_object_get(f, "id"))),
                   cli_safe(json_string_value(json_object_get(f, "reason"))));
        }
        json_array_foreach(res.unsupported_patterns, i, f)
        {
            printf("  kept, not matched: %s: %s\n",
                   cli_safe(json_string_value(json_object_get(f, "id"))),
                   cli_safe(json_string_value(json_object_get(f, "reason"))));
        }
    }
    rc = res.failed ? CLI_ERROR : CLI_OK;
out:
    ermes__stix_import_result_cleanup(&res);
    return rc;
}

static int cmd_export(cli_t *c)
{
    const char *types = NULL, *ids = NULL, *version = NULL, *after = NULL, *source = NULL, *v;
    ermes__stix_export_opts_t o;
    ermes__strbuf_t buf;
    char scratch[4096];
    ermes_diag_t d;
    size_t count = 0;
    int n, rc;

    memset(&o, 0, sizeof(o));
    o.cap = ERMES_TLP_RED;
    for (int i = 1; i < c->nargs; i += n) {
        if ((n = cli_flag(c, i, "--type", &types)) > 0 || (n = cli_flag(c, i, "--id", &ids)) > 0 ||
            (n = cli_flag(c, i, "--version", &version)) > 0 ||
            (n = cli_flag(c, i, "--added-after", &after)) > 0 ||
            (n = cli_flag(c, i, "--source", &source)) > 0)
            continue;
        if ((n = cli_flag(c, i, "--events", &v)) > 0) {
            long long k;
            if (cli_number("--events", v, 0, ERMES__STIX_EVENTS_MAX, &k))
                return CLI_USAGE;
            o.events_limit = (long)k;
            continue;
        }
        if ((n = cli_flag(c, i, "--events-since", &v)) > 0) {
            ermes_diag_t td;
            if (ermes__time_parse(v, strlen(v), &o.events_since, &td)) {
                cli_error("stix export: --events-since is an RFC 3339 date-time");
                return CLI_USAGE;
            }
            continue;
        }
        if ((n = cli_flag(c, i, "--max-tlp", &v)) > 0) {
            if (ermes_tlp_parse(v, strlen(v), &o.cap)) {
                cli_error("stix export: --max-tlp is CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
                return CLI_USAGE;
            }
            continue;
        }
        cli_error("stix export: unexpected argument \"%s\"", cli_arg(c, i));
        return CLI_USAGE;
    }
    ermes_diag_clear(&d);
    if (ermes__stix_filter_parse(&o.filter, scratch, sizeof(scratch), ids, types, version, NULL,
                                 after, &d)) {
        cli_error("stix export: %s", d.reason);
        return CLI_USAGE;
    }
    o.filter.source = source;
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    o.viewer = &c->viewer;
    ermes__strbuf_init(&buf, 1u << 30);
    rc = ermes__stix_export(c->store, &o, &buf, &count);
    if (rc) {
        ermes__strbuf_cleanup(&buf);
        cli_error("stix export: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    fwrite(buf.data, 1, buf.len, stdout);
    putchar('\n');
    ermes__strbuf_cleanup(&buf);
    return fflush(stdout) ? CLI_ERROR : CLI_OK;
}

static int cmd_recipients(cli_t *c)
{
    const char *id = NULL, *set = NULL;
    int64_t orgs[ERMES__TLP_RECIPIENTS_MAX];
    ermes__stix_owned_t o;
    ermes_diag_t d;
    json_t *j, *r;
    size_t norgs = 0, k;
    int json = 0, clear = 0, n, rc;

    for (int i = 1; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--clear", NULL)) {
            clear = 1;
        } else if ((n = cli_flag(c, i, "--set", &set)) > 0) {
            continue;
        } else if (n == 0 && !id && cli_arg(c, i)[0] != '-') {
            id = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("stix recipients: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!id) {
        cli_error("stix recipients: which object (its STIX id)?");
        return CLI_USAGE;
    }
    if (set && clear) {
        cli_error("stix recipients: --set or --clear, not both");
        return CLI_USAGE;
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    ermes_diag_clear(&d);
    rc = ermes__stix_recipients_find(c->store, &c->viewer, id, set || clear, &o, &d);
    if (!rc && set)
        rc = ermes__tlp_recipients_parse_text(c->store, &c->viewer, set, "--set", orgs, &norgs, &d);
    if (!rc && (set || clear))
        rc = ermes__stix_recipients_change(c->store, &c->viewer, &o, orgs, norgs, &d);
    if (rc) {
        cli_error("stix recipients: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return rc == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
    }
    if (!(j = ermes__stix_recipients_json(c->store, &o))) {
        cli_error("stix recipients: %s", ermes_strerror(ERMES_ESTORE));
        return CLI_ERROR;
    }
    if (json) {
        char *text = json_dumps(j, JSON_COMPACT);
        if (text)
            printf("%s\n", text);
        free(text);
    } else {
        printf("%s (TLP:%s, owner %s)\n", cli_safe(o.stix_id), ermes_tlp_name(o.tlp),
               json_is_string(json_object_get(j, "owner"))
                   ? cli_safe(json_string_value(json_object_get(j, "owner")))
                   : "none");
        json_array_foreach(json_object_get(j, "recipients"), k, r)
        {
            printf("  %s\t%s\n", cli_safe(json_string_value(json_object_get(r, "short_name"))),
                   cli_safe(json_string_value(json_object_get(r, "name"))));
        }
        if (!json_array_size(json_object_get(j, "recipients")))
            printf("  no named recipients\n");
    }
    json_decref(j);
    return fflush(stdout) ? CLI_ERROR : CLI_OK;
}

int ermes__cmd_stix(cli_t *c)
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
    if (!strcmp(sub, "import"))
        return cmd_import(c);
    if (!strcmp(sub, "export"))
        return cmd_export(c);
    if (!strcmp(sub, "recipients"))
        return cmd_recipients(c);
    cli_error("stix: unknown subcommand \"%s\"", sub);
    help(stderr);
    return CLI_USAGE;
}
