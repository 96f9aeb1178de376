/* The frame of a list command (`ermes peers [list|show REF] [--json]` and the like): the
 * arguments, the store, and the output as lines or as JSON (see cli.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

int cli_list_begin(cli_t *c, int first, const char *command, cli_list_t *l)
{
    l->json = 0;
    l->arr = NULL;
    for (int i = first; i < c->nargs; i++) {
        if (cli_flag(c, i, "--json", NULL)) {
            l->json = 1;
            continue;
        }
        cli_error("%s: unexpected argument \"%s\"", command, cli_arg(c, i));
        return CLI_USAGE;
    }
    if (!(l->arr = json_array())) {
        cli_error("%s: out of memory", command);
        return CLI_ERROR;
    }
    if (cli_open_store(c, 0)) {
        json_decref(l->arr);
        l->arr = NULL;
        return CLI_ERROR;
    }
    return CLI_OK;
}

int cli_list_end(cli_list_t *l, int rc, const char *command, const char *what, const char *ref)
{
    int out = CLI_OK;

    if (rc == ERMES_ENOTFOUND) {
        cli_error("%s: no %s \"%s\"", command, what, ref ? ref : "");
        out = CLI_ERROR;
    } else if (rc < 0) {
        cli_error("%s: %s", command, ermes_strerror(rc));
        out = CLI_ERROR;
    } else if (l->json) {
        /* One object for a REF, the array otherwise. */
        json_t *j = ref ? json_array_get(l->arr, 0) : l->arr;
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
    }
    json_decref(l->arr);
    l->arr = NULL;
    return out;
}
