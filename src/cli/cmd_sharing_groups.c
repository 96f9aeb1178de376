/* ermes sharing-groups [list|show REF|add NAME ...|delete REF]: the sharing groups, which the
 * daemon serves as TAXII 2.1 collections, as /api/v1/sharing-groups does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sharing/sharing_groups.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: ermes sharing-groups [list] [--json]\n"
            "       ermes sharing-groups show REF [--json]\n"
            "       ermes sharing-groups add NAME [--title T] [--description D] [--max-tlp TLP]\n"
            "                                [--reader WHO]... [--writer WHO]... [--type T]...\n"
            "                                [--all] [--collection-id UUID]\n"
            "                                [--member-tlp ORG=TLP]...\n"
            "       ermes sharing-groups delete REF\n"
            "\n"
            "A sharing group is a TAXII 2.1 collection (/taxii2/ermes/collections/ID/): the\n"
            "highest TLP it carries (--max-tlp, default GREEN), who reads and who writes it\n"
            "(WHO: staff, constituents, or an organisation's short name; default staff),\n"
            "and what it selects besides the objects posted into it (--all: every stored\n"
            "object up to its TLP; --type: only objects of these STIX types). REF is a name,\n"
            "a collection id or a number. --member-tlp ORG=TLP gives the reader ORG (an\n"
            "organisation's short name, a peer CERT's say) every object of the group up to\n"
            "TLP (CLEAR, GREEN, AMBER or AMBER+STRICT, never above --max-tlp), more than\n"
            "the rest of the community receives (CLEAR and GREEN).\n");
}

typedef cli_list_t list_ctx_t;

static int print_cb(void *ctx, const ermes__sharing_group_t *g)
{
    list_ctx_t *c = ctx;

    if (c->json) {
        json_t *j = ermes__sharing_group_to_json(g);
        return !j || json_array_append_new(c->arr, j) ? ERMES_ENOMEM : 0;
    }
    printf("%-4lld %-24s %-36s %-12s readers %s writers %s selection %s  %s\n", (long long)g->id,
           cli_safe(g->name), g->collection_id, ermes_tlp_name(g->max_tlp), cli_safe(g->readers),
           cli_safe(g->writers), cli_safe(g->selection), cli_safe(g->title));
    if (g->member_tlp && strcmp(g->member_tlp, "{}") != 0)
        printf("     member_tlp %s\n", cli_safe(g->member_tlp));
    return 0;
}

static int cmd_list(cli_t *c, const char *ref, int first)
{
    list_ctx_t lc;
    int rc = cli_list_begin(c, first, "sharing-groups", &lc);

    if (rc != CLI_OK)
        return rc;
    return cli_list_end(&lc, ermes__store_sharing_group_each(c->store, ref, print_cb, &lc),
                        "sharing-groups", "sharing group", ref);
}

static int cmd_add(cli_t *c)
{
    const char *name = cli_arg(c, 1), *v;
    json_t *body = json_object(), *readers = json_array(), *writers = json_array(),
           *types = json_array(), *sel = json_object(), *members = json_object();
    ermes_diag_t d;
    int64_t id = 0;
    int n, rc = CLI_USAGE;

    if (!body || !readers || !writers || !types || !sel || !members)
        goto out;
    if (!name || name[0] == '-') {
        cli_error("sharing-groups add: which name?");
        goto out;
    }
    json_object_set_new(body, "name", json_string(name));
    for (int i = 2; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--all", NULL)) {
            json_object_set_new(sel, "all", json_true());
        } else if ((n = cli_flag(c, i, "--title", &v)) > 0) {
            json_object_set_new(body, "title", json_string(v));
        } else if ((n = cli_flag(c, i, "--description", &v)) > 0) {
            json_object_set_new(body, "description", json_string(v));
        } else if ((n = cli_flag(c, i, "--max-tlp", &v)) > 0) {
            json_object_set_new(body, "max_tlp", json_string(v));
        } else if ((n = cli_flag(c, i, "--collection-id", &v)) > 0) {
            json_object_set_new(body, "collection_id", json_string(v));
        } else if ((n = cli_flag(c, i, "--reader", &v)) > 0) {
            json_array_append_new(readers, json_string(v));
        } else if ((n = cli_flag(c, i, "--writer", &v)) > 0) {
            json_array_append_new(writers, json_string(v));
        } else if ((n = cli_flag(c, i, "--type", &v)) > 0) {
            json_array_append_new(types, json_string(v));
        } else if ((n = cli_flag(c, i, "--member-tlp", &v)) > 0) {
            const char *eq = strchr(v, '=');
            char org[65];
            if (!eq || eq == v || (size_t)(eq - v) >= sizeof(org)) {
                cli_error("sharing-groups add: --member-tlp is ORG=TLP");
                goto out;
            }
            memcpy(org, v, (size_t)(eq - v));
            org[eq - v] = '\0';
            json_object_set_new(members, org, json_string(eq + 1));
        } else {
            cli_error("sharing-groups add: unexpected argument \"%s\"", cli_arg(c, i));
            goto out;
        }
    }
    if (json_array_size(readers))
        json_object_set(body, "readers", readers);
    if (json_array_size(writers))
        json_object_set(body, "writers", writers);
    if (json_array_size(types))
        json_object_set(sel, "types", types);
    json_object_set(body, "selection", sel);
    if (json_object_size(members))
        json_object_set(body, "member_tlp", members);
    rc = CLI_ERROR;
    if (cli_open_store(c, 0))
        goto out;
    ermes_diag_clear(&d);
    n = ermes__sharing_group_create(c->store, &c->viewer, body, &id, &d);
    if (n) {
        cli_error("sharing-groups add: %s", d.reason[0] ? d.reason : ermes_strerror(n));
        rc = n == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
        goto out;
    }
    {
        char ref[32];
        snprintf(ref, sizeof(ref), "%lld", (long long)id);
        list_ctx_t lc = {0, NULL};
        ermes__store_sharing_group_each(c->store, ref, print_cb, &lc);
    }
    rc = CLI_OK;
out:
    json_decref(body);
    json_decref(readers);
    json_decref(writers);
    json_decref(types);
    json_decref(sel);
    json_decref(members);
    return rc;
}

static int id_cb(void *ctx, const ermes__sharing_group_t *g)
{
    *(int64_t *)ctx = g->id;
    return 1;
}

static int cmd_delete(cli_t *c)
{
    const char *ref = cli_arg(c, 1);
    int64_t id = 0;
    int rc;

    if (!ref || c->nargs > 2) {
        cli_error("sharing-groups delete: which one?");
        return CLI_USAGE;
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    rc = ermes__store_sharing_group_each(c->store, ref, id_cb, &id);
    if (rc == ERMES_ENOTFOUND || (rc >= 0 && !id)) {
        cli_error("sharing-groups: no sharing group \"%s\"", ref);
        return CLI_ERROR;
    }
    if (rc < 0 || (rc = ermes__store_sharing_group_delete(c->store, id))) {
        cli_error("sharing-groups delete: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    printf("deleted sharing group %s\n", cli_safe(ref));
    return CLI_OK;
}

int ermes__cmd_sharing_groups(cli_t *c)
{
    const char *sub = cli_arg(c, 0);

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        }
    if (!sub || !strcmp(sub, "--json"))
        return cmd_list(c, NULL, 0);
    if (!strcmp(sub, "list"))
        return cmd_list(c, NULL, 1);
    if (!strcmp(sub, "show")) {
        if (!cli_arg(c, 1)) {
            cli_error("sharing-groups show: which one?");
            return CLI_USAGE;
        }
        return cmd_list(c, cli_arg(c, 1), 2);
    }
    if (!strcmp(sub, "add"))
        return cmd_add(c);
    if (!strcmp(sub, "delete"))
        return cmd_delete(c);
    cli_error("sharing-groups: unknown subcommand \"%s\"", sub);
    help(stderr);
    return CLI_USAGE;
}
