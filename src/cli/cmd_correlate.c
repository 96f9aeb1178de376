/* ermes correlate VALUE: which indicators, events, sightings and incidents mention a value, or
 * relate to it through a network or a parent domain (src/sharing/correlation.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sharing/correlation.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: ermes correlate VALUE [--type TYPE] [--threshold N] [--limit N] [--json]\n\n"
            "Lists what mentions VALUE (an address, network, domain, URL, hash, e-mail address):\n"
            "one line per object, \"relation object id tlp value\". Relations: same (the value\n"
            "itself), inside (a network holding the address or network asked about), contains\n"
            "(an address inside the network asked about), subdomain_of (a parent domain).\n"
            "A value more than --threshold objects mention (default %d, at most %d) is\n"
            "named as over-correlated instead of listed, as MISP does. --limit caps the addresses\n"
            "listed inside a network (default %d, at most %d). --type gives the value's type\n"
            "(ipv4, ipv6, cidr, domain, url, md5, sha1, sha256, sha512, email, ...) when the\n"
            "guess is wrong. Exit status 0 when something relates to VALUE, 1 otherwise.\n",
            ERMES__CORR_THRESHOLD_DEFAULT, ERMES__CORR_THRESHOLD_MAX, ERMES__CORR_LIMIT_DEFAULT,
            ERMES__CORR_LIMIT_MAX);
    cli_usage_settings(f);
}

int ermes__cmd_correlate(cli_t *c)
{
    ermes__corr_options_t opts = {0};
    const char *v, *value = NULL;
    long long num;
    json_t *res = NULL, *m;
    ermes_diag_t d;
    int json = 0, n, rc;
    size_t i;

    for (int a = 0; a < c->nargs; a += n) {
        n = 1;
        if (cli_flag(c, a, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, a, "--json", NULL)) {
            json = 1;
        } else if ((n = cli_flag(c, a, "--type", &v)) > 0) {
            opts.type = v;
        } else if ((n = cli_flag(c, a, "--threshold", &v)) > 0) {
            if ((rc = cli_number("--threshold", v, 1, ERMES__CORR_THRESHOLD_MAX, &num)))
                return rc;
            opts.threshold = (long)num;
        } else if ((n = cli_flag(c, a, "--limit", &v)) > 0) {
            if ((rc = cli_number("--limit", v, 1, ERMES__CORR_LIMIT_MAX, &num)))
                return rc;
            opts.limit = (long)num;
        } else if (n == 0 && cli_arg(c, a)[0] != '-' && !value) {
            value = cli_arg(c, a);
            n = 1;
        } else {
            if (n == 0)
                cli_error("correlate: unexpected argument \"%s\"", cli_arg(c, a));
            return CLI_USAGE;
        }
    }
    if (!value) {
        help(stderr);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    ermes_diag_clear(&d);
    rc = ermes__correlate(c->store, &c->viewer, value, strlen(value), &opts, &res, &d);
    if (rc) {
        cli_error("correlate: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return rc == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
    }
    m = json_object_get(res, "matches");
    if (json) {
        char *s = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);

        if (s)
            printf("%s\n", s);
        free(s);
    } else {
        json_t *o;

        json_array_foreach(m, i, o)
        {
            printf("%s\t%s\t%lld\t%s\t%s\n", json_string_value(json_object_get(o, "relation")),
                   json_string_value(json_object_get(o, "object")),
                   (long long)json_integer_value(json_object_get(o, "id")),
                   json_string_value(json_object_get(o, "tlp")),
                   cli_safe(json_string_value(json_object_get(o, "value"))));
        }
        json_array_foreach(json_object_get(res, "over_correlated"), i, o)
        {
            printf("%s\tover-correlated\t-\t-\t%s (more than %lld objects mention it)\n",
                   json_string_value(json_object_get(o, "relation")),
                   cli_safe(json_string_value(json_object_get(o, "value"))),
                   (long long)json_integer_value(json_object_get(res, "threshold")));
        }
        if (json_is_true(json_object_get(res, "truncated")))
            printf("(more addresses inside; --limit shows more)\n");
    }
    rc = json_array_size(m) || json_array_size(json_object_get(res, "over_correlated")) ? CLI_OK
                                                                                        : CLI_ERROR;
    json_decref(res);
    return rc;
}
