/* ermes lookup: which constituent owns an IP address, a CIDR network, a domain or an AS
 * number. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "model/org.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes lookup IP|CIDR|DOMAIN|ASN... [--asn N] [--json]\n\n"
               "IP: the most specific registered network wins, then the owner of --asn.\n"
               "CIDR: every organisation owning a network inside it, equal to it or covering\n"
               "it, one line each (covers, equal, inside).\n"
               "DOMAIN: the longest registered parent domain wins. ASN: 64496 or AS64496.\n"
               "Exit status 0 when every query has an owner, 1 otherwise.\n");
    cli_usage_settings(f);
}

/* A CIDR query: its lines; returns 1 when nobody owns any of it (or it is no CIDR). */
static int lookup_cidr(cli_t *c, ermes__registry_t *reg, const char *query, int json)
{
    static const char *const relation[] = {"covers", "equal", "inside"};
    ermes__lookup_net_t *nets = NULL;
    char text[ERMES_CIDR_STRLEN];
    ermes_diag_t d;
    size_t n = 0;
    int more = 0, rc;

    ermes_diag_clear(&d);
    rc = ermes__registry_lookup_cidr(reg, &c->viewer, query, 100000, &nets, &n, &more, &d);
    if (rc) {
        cli_error("lookup %s: %s", cli_safe(query), d.reason[0] ? d.reason : ermes_strerror(rc));
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        ermes_cidr_format(&nets[i].network, text);
        if (json) {
            json_t *j =
                json_pack("{s:s,s:b,s:s,s:s,s:s,s:s,s:s}", "query", query, "found", 1,
                          "organisation", nets[i].short_name, "name", nets[i].name, "rule",
                          "network", "matched", text, "relation", relation[nets[i].relation + 1]);
            char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (s)
                printf("%s\n", s);
            free(s);
            json_decref(j);
        } else {
            printf("%s\t%s\t%s (network %s, %s)\n", cli_safe(query), cli_safe(nets[i].short_name),
                   cli_safe(nets[i].name), text, relation[nets[i].relation + 1]);
        }
    }
    if (n == 0) {
        if (json) {
            json_t *j = json_pack("{s:s,s:b}", "query", query, "found", 0);
            char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (s)
                printf("%s\n", s);
            free(s);
            json_decref(j);
        } else
            printf("%s\t-\tno registered owner of any part of it\n", cli_safe(query));
    }
    ermes__free(nets);
    return n == 0;
}

int ermes__cmd_lookup(cli_t *c)
{
    static const char *const rules[] = {"none", "network", "asn", "domain"};
    ermes__registry_t *reg = NULL;
    const char *v, *queries[256];
    uint32_t hint = 0;
    int json = 0, n, rc, nq = 0, missing = 0;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, i, "--asn", &v)) > 0) {
            if (ermes__org_parse_asn(v, strlen(v), &hint)) {
                cli_error("lookup: --asn takes an AS number such as 64496");
                return CLI_USAGE;
            }
        } else if (n == 0 && cli_arg(c, i)[0] != '-' && nq < 256) {
            queries[nq++] = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("lookup: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (nq == 0) {
        help(stderr);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if ((rc = ermes__registry_open(c->store, &reg))) {
        cli_error("lookup: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    for (int q = 0; q < nq; q++) {
        ermes__lookup_kind_t kind = ERMES_LOOKUP_DOMAIN;
        if (strchr(queries[q], '/')) {
            missing |= lookup_cidr(c, reg, queries[q], json);
            continue;
        }
        ermes__lookup_t res;
        ermes_diag_t d;
        ermes_ip_t ip;
        uint32_t asn;
        char matched[ERMES_CIDR_STRLEN + 256] = "";

        if (ermes_ip_parse(queries[q], strlen(queries[q]), &ip, NULL) == 0)
            kind = ERMES_LOOKUP_IP;
        else if (ermes__org_parse_asn(queries[q], strlen(queries[q]), &asn) == 0)
            kind = ERMES_LOOKUP_ASN;
        ermes_diag_clear(&d);
        rc = ermes__registry_lookup(reg, &c->viewer, kind, queries[q], hint, &res, &d);
        if (rc) {
            cli_error("lookup %s: %s", queries[q], d.reason[0] ? d.reason : ermes_strerror(rc));
            missing = 1;
            continue;
        }
        if (res.found && res.owner.rule == ERMES_OWNER_NETWORK)
            ermes_cidr_format(&res.owner.network, matched);
        else if (res.found && res.owner.rule == ERMES_OWNER_ASN)
            snprintf(matched, sizeof(matched), "AS%u", res.owner.asn);
        else if (res.found)
            snprintf(matched, sizeof(matched), "%s", res.matched_domain);
        if (json) {
            json_t *j = json_pack("{s:s,s:b,s:s?,s:s?,s:s?,s:s?}", "query", queries[q], "found",
                                  res.found, "organisation", res.found ? res.short_name : NULL,
                                  "name", res.found ? res.name : NULL, "rule",
                                  res.found ? rules[res.owner.rule] : NULL, "matched",
                                  res.found ? matched : NULL);
            char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (s)
                printf("%s\n", s);
            free(s);
            json_decref(j);
        } else if (res.found) {
            printf("%s\t%s\t%s (%s %s)\n", cli_safe(queries[q]), cli_safe(res.short_name),
                   cli_safe(res.name), rules[res.owner.rule], cli_safe(matched));
        } else {
            printf("%s\t-\tno registered owner\n", cli_safe(queries[q]));
        }
        missing |= !res.found;
    }
    ermes__registry_close(reg);
    return missing ? CLI_ERROR : CLI_OK;
}
