/* ermes peers [list|show REF|add NAME URL ...|update REF ...|delete REF|sync REF]: the
 * federation's peers, as /api/v1/peers does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/number.h"
#include "sharing/federation.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes peers [list] [--json]\n"
               "       ermes peers show REF [--json]\n"
               "       ermes peers add NAME URL --collection ID [OPTIONS]\n"
               "       ermes peers update REF [--url URL] [--collection ID] [OPTIONS]\n"
               "       ermes peers delete REF\n"
               "       ermes peers sync REF [--json]\n"
               "\n"
               "A peer is another TAXII 2.1 server (URL: its API root, e.g.\n"
               "https://cert.example/taxii2/ermes/) whose collection ID this node pulls from\n"
               "every --interval seconds (default 300; doubled after each failure), remembering\n"
               "where it stopped, and to which it pushes what the local sharing group\n"
               "--share-group carries (with --push). Options:\n"
               "  --credentials SECRET       a bearer token, or USER:PASSWORD with --auth basic\n"
               "  --credentials-file FILE    the same, read from the first line of FILE\n"
               "  --auth none|token|basic    (default: token when credentials are given)\n"
               "  --max-tlp TLP              objects marked above it are refused (default AMBER)\n"
               "  --share-group NAME         the local sharing group pushed to the peer\n"
               "  --local-user NAME          the account the peer reads and writes here with:\n"
               "                             a push carries what it may read (the TLP policy),\n"
               "                             and its own objects are not pushed back to it\n"
               "  --interval SECONDS         1 to 86400\n"
               "  --pull / --no-pull, --push / --no-push\n"
               "Credentials are stored, never shown back. REF is a name or a number.\n"
               "`sync` runs one round now (the daemon runs them by itself).\n");
}

typedef cli_list_t list_ctx_t;

static int print_cb(void *ctx, const ermes__peer_t *p)
{
    list_ctx_t *c = ctx;

    if (c->json) {
        json_t *j = ermes__peer_to_json(p);
        return !j || json_array_append_new(c->arr, j) ? ERMES_ENOMEM : 0;
    }
    printf("%-4lld %-20s %s collection %s  %s%s every %lds  max %s  pulled %lld pushed %lld"
           " failures %lld%s%s\n",
           (long long)p->id, cli_safe(p->name), cli_safe(p->url), cli_safe(p->collection_id),
           p->pull ? "pull" : "", p->push ? " push" : "", p->interval_s, ermes_tlp_name(p->max_tlp),
           (long long)p->pulled, (long long)p->pushed, (long long)p->failures,
           p->last_error && p->last_error[0] ? "  last error: " : "",
           p->last_error && p->last_error[0] ? cli_safe(p->last_error) : "");
    return 0;
}

static int cmd_list(cli_t *c, const char *ref, int first)
{
    list_ctx_t lc;
    int rc = cli_list_begin(c, first, "peers", &lc);

    if (rc != CLI_OK)
        return rc;
    return cli_list_end(&lc, ermes__store_peer_each(c->store, ref, print_cb, &lc), "peers", "peer",
                        ref);
}

/* The first line of path into buf. */
static int read_secret(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f)
        return -1;
    if (!fgets(buf, (int)cap, f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return 0;
}

/* The options from argument first on into body. */
static int read_options(cli_t *c, int first, json_t *body, const char *what)
{
    static char secret[ERMES__PEER_CREDENTIALS_MAX + 2];
    const char *v;
    int n;

    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--pull", NULL)) {
            json_object_set_new(body, "pull", json_true());
        } else if (cli_flag(c, i, "--no-pull", NULL)) {
            json_object_set_new(body, "pull", json_false());
        } else if (cli_flag(c, i, "--push", NULL)) {
            json_object_set_new(body, "push", json_true());
        } else if (cli_flag(c, i, "--no-push", NULL)) {
            json_object_set_new(body, "push", json_false());
        } else if ((n = cli_flag(c, i, "--url", &v)) > 0) {
            json_object_set_new(body, "url", json_string(v));
        } else if ((n = cli_flag(c, i, "--collection", &v)) > 0) {
            json_object_set_new(body, "collection", json_string(v));
        } else if ((n = cli_flag(c, i, "--credentials", &v)) > 0) {
            json_object_set_new(body, "credentials", json_string(v));
        } else if ((n = cli_flag(c, i, "--credentials-file", &v)) > 0) {
            if (read_secret(v, secret, sizeof(secret))) {
                cli_error("%s: cannot read %s", what, cli_safe(v));
                return CLI_ERROR;
            }
            json_object_set_new(body, "credentials", json_string(secret));
        } else if ((n = cli_flag(c, i, "--auth", &v)) > 0) {
            json_object_set_new(body, "auth", json_string(v));
        } else if ((n = cli_flag(c, i, "--max-tlp", &v)) > 0) {
            json_object_set_new(body, "max_tlp", json_string(v));
        } else if ((n = cli_flag(c, i, "--share-group", &v)) > 0) {
            json_object_set_new(body, "share_group", json_string(v));
        } else if ((n = cli_flag(c, i, "--local-user", &v)) > 0) {
            json_object_set_new(body, "local_user", json_string(v));
        } else if ((n = cli_flag(c, i, "--interval", &v)) > 0) {
            int64_t s;
            ermes_diag_t d;
            ermes_diag_clear(&d);
            if (ermes__parse_int64(v, "interval", ERMES__PEER_INTERVAL_MIN,
                                   ERMES__PEER_INTERVAL_MAX, &s, &d)) {
                cli_error("%s: --interval: %s", what, d.reason);
                return CLI_USAGE;
            }
            json_object_set_new(body, "interval", json_integer(s));
        } else {
            cli_error("%s: unexpected argument \"%s\"", what, cli_arg(c, i));
            return CLI_USAGE;
        }
        if (n < 0) {
            cli_error("%s: %s needs a value", what, cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

static int show_one(cli_t *c, const char *ref)
{
    list_ctx_t lc = {0, NULL};

    return ermes__store_peer_each(c->store, ref, print_cb, &lc) < 0 ? CLI_ERROR : CLI_OK;
}

static int cmd_add(cli_t *c)
{
    const char *name = cli_arg(c, 1), *url = cli_arg(c, 2);
    json_t *body = json_object();
    ermes_diag_t d;
    int64_t id = 0;
    char ref[32];
    int rc = CLI_USAGE, e;

    if (!body)
        return CLI_ERROR;
    if (!name || name[0] == '-' || !url || url[0] == '-') {
        cli_error("peers add: NAME and URL, please");
        goto out;
    }
    json_object_set_new(body, "name", json_string(name));
    json_object_set_new(body, "url", json_string(url));
    if ((rc = read_options(c, 3, body, "peers add")) != CLI_OK)
        goto out;
    rc = CLI_ERROR;
    if (cli_open_store(c, 0))
        goto out;
    ermes_diag_clear(&d);
    if ((e = ermes__peer_create(c->store, &c->viewer, body, &id, &d))) {
        cli_error("peers add: %s%s%s", d.field[0] ? d.field : "", d.field[0] ? ": " : "",
                  d.reason[0] ? d.reason : ermes_strerror(e));
        rc = e == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
        goto out;
    }
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    rc = show_one(c, ref);
out:
    json_decref(body);
    return rc;
}

static int cmd_update(cli_t *c)
{
    const char *ref = cli_arg(c, 1);
    json_t *body = json_object();
    ermes_diag_t d;
    int rc = CLI_USAGE, e;

    if (!body)
        return CLI_ERROR;
    if (!ref || ref[0] == '-') {
        cli_error("peers update: which one?");
        goto out;
    }
    if ((rc = read_options(c, 2, body, "peers update")) != CLI_OK)
        goto out;
    rc = CLI_ERROR;
    if (cli_open_store(c, 0))
        goto out;
    ermes_diag_clear(&d);
    if ((e = ermes__peer_update(c->store, ref, body, &d))) {
        if (e == ERMES_ENOTFOUND)
            cli_error("peers: no peer \"%s\"", ref);
        else
            cli_error("peers update: %s%s%s", d.field[0] ? d.field : "", d.field[0] ? ": " : "",
                      d.reason[0] ? d.reason : ermes_strerror(e));
        rc = e == ERMES_EINVAL ? CLI_USAGE : CLI_ERROR;
        goto out;
    }
    rc = show_one(c, ref);
out:
    json_decref(body);
    return rc;
}

static int id_cb(void *ctx, const ermes__peer_t *p)
{
    *(int64_t *)ctx = p->id;
    return 1;
}

static int cmd_delete(cli_t *c)
{
    const char *ref = cli_arg(c, 1);
    int64_t id = 0;
    int rc;

    if (!ref || c->nargs > 2) {
        cli_error("peers delete: which one?");
        return CLI_USAGE;
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    rc = ermes__store_peer_each(c->store, ref, id_cb, &id);
    if (rc == ERMES_ENOTFOUND || (rc >= 0 && !id)) {
        cli_error("peers: no peer \"%s\"", ref);
        return CLI_ERROR;
    }
    if (rc < 0 || (rc = ermes__store_peer_delete(c->store, id))) {
        cli_error("peers delete: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    printf("deleted peer %s\n", cli_safe(ref));
    return CLI_OK;
}

static int cmd_sync(cli_t *c)
{
    const char *ref = cli_arg(c, 1);
    ermes__peer_round_t r;
    int json = 0, rc;

    if (!ref || ref[0] == '-') {
        cli_error("peers sync: which one?");
        return CLI_USAGE;
    }
    for (int i = 2; i < c->nargs; i++) {
        if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
            continue;
        }
        cli_error("peers sync: unexpected argument \"%s\"", cli_arg(c, i));
        return CLI_USAGE;
    }
    if (cli_open_store(c, 0))
        return CLI_ERROR;
    rc = ermes__peer_sync(c->store, ref, NULL, &r);
    if (rc == ERMES_ENOTFOUND) {
        cli_error("peers: no peer \"%s\"", ref);
        return CLI_ERROR;
    }
    if (rc) {
        cli_error("peers sync: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (json) {
        json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s?}", "pages", (json_int_t)r.pages,
                              "received", (json_int_t)r.received, "stored", (json_int_t)r.stored,
                              "duplicates", (json_int_t)r.duplicates, "failed",
                              (json_int_t)r.failed, "indicators", (json_int_t)r.indicators,
                              "pushed", (json_int_t)r.pushed, "error", r.error[0] ? r.error : NULL);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(j);
    } else {
        printf("%ld received in %ld pages: %ld new, %ld already here, %ld refused, %ld "
               "indicators; %ld pushed\n",
               r.received, r.pages, r.stored, r.duplicates, r.failed, r.indicators, r.pushed);
    }
    if (r.error[0]) {
        cli_error("peers sync: %s", r.error);
        return CLI_ERROR;
    }
    return CLI_OK;
}

int ermes__cmd_peers(cli_t *c)
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
            cli_error("peers show: which one?");
            return CLI_USAGE;
        }
        return cmd_list(c, cli_arg(c, 1), 2);
    }
    if (!strcmp(sub, "add"))
        return cmd_add(c);
    if (!strcmp(sub, "update"))
        return cmd_update(c);
    if (!strcmp(sub, "delete"))
        return cmd_delete(c);
    if (!strcmp(sub, "sync"))
        return cmd_sync(c);
    cli_error("peers: unknown subcommand \"%s\"", sub);
    help(stderr);
    return CLI_USAGE;
}
