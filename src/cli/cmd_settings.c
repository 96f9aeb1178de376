/* ermes settings: the settings table (src/core/config.c), for people and for scripts. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/config.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes settings [--list]\n\n"
               "Prints every setting with its flag, environment variable, meaning and default;\n"
               "--list prints only the names (the keys of the config file), one a line.\n");
}

int ermes__cmd_settings(cli_t *c)
{
    int list = 0;

    for (int i = 0; i < c->nargs; i++) {
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--list", NULL)) {
            list = 1;
        } else {
            cli_error("settings: unknown argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (list)
        ermes__config_list(stdout);
    else
        ermes__config_usage(stdout);
    return CLI_OK;
}
