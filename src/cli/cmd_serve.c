/* ermes serve: reads its flags and starts the daemon (src/daemon/). */
#include <stdio.h>

#include "cli/cli.h"
#include "daemon/daemon.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes serve [--listen ADDR:PORT] [--data-dir DIR] [--port-file FILE]\n\n"
               "Runs the daemon on the database in DATA_DIR (run `ermes init` first).\n"
               "It listens on loopback unless --listen says otherwise; port 0 picks a free\n"
               "port, written to --port-file once listening. HTTPS with --tls-cert and\n"
               "--tls-key. SIGTERM or SIGINT stop it; SIGHUP rebuilds the ownership index.\n");
    cli_usage_settings_some(f, NULL); /* the daemon reads them all */
}

int ermes__cmd_serve(cli_t *c)
{
    const char *port_file = NULL, *v;
    ermes_diag_t d;
    int rc, n;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if ((n = cli_flag(c, i, "--port-file", &v)) > 0) {
            port_file = v;
        } else {
            if (n == 0)
                cli_error("serve: unknown argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (c->viewer.org_id == 0) {
        cli_error("the database in %s is not initialised: run `ermes init`", c->cfg.data_dir);
        return CLI_ERROR;
    }
    ermes_diag_clear(&d);
    if (ermes__daemon_run(&c->cfg, c->store, &c->viewer, port_file, &d)) {
        cli_error("%s", d.reason);
        return CLI_ERROR;
    }
    return CLI_OK;
}
