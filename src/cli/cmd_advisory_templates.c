/* ermes advisories templates: the templates of the advisories for people (the HTML page, the
 * text page of the pages and the warning e-mails, the Atom feed entry) per language, as the
 * API's /api/v1/advisory-templates (src/http/h_advisory_templates.c) keeps them: list, show,
 * set from a file (checked as the API checks it), reset to the built-in. Audited. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "advisories/render.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/text.h"

#define MAX_TEMPLATE_FILE (256 * 1024)

static int stored_cb(void *ctx, const char *format, const char *lang, int64_t updated_at)
{
    (void)ctx;
    (void)updated_at;
    printf("%s\t%s\tstored\n", format, lang);
    return 0;
}

/* FORMAT LANG at arguments 2 and 3, checked; CLI_OK when they are. */
static int args(cli_t *c, const char **format, const char **lang)
{
    const char *l;

    *format = cli_arg(c, 2);
    *lang = cli_arg(c, 3);
    if (!*format || !ermes__advisory_template_builtin(*format)) {
        cli_error("advisories templates: the format is html, text or atom");
        return CLI_USAGE;
    }
    for (size_t k = 0; *lang && (l = ermes__advisory_render_lang_at(k)) != NULL; k++)
        if (strcmp(l, *lang) == 0)
            return CLI_OK;
    cli_error("advisories templates: the language is one of en, fr, de, nl, it, es, pl");
    return CLI_USAGE;
}

int ermes__cmd_advisory_templates(cli_t *c)
{
    const char *sub = cli_arg(c, 1) ? cli_arg(c, 1) : "list", *format, *lang, *l;
    char *text = NULL, target[40];
    ermes_diag_t d;
    size_t len;
    int rc;

    if (strcmp(sub, "list") == 0) {
        if ((rc = cli_open_store(c, 0)))
            return rc;
        for (size_t f = 0; f < 3; f++)
            for (size_t k = 0; (l = ermes__advisory_render_lang_at(k)) != NULL; k++)
                printf("%s\t%s\tbuiltin\n", (const char *[]){"html", "text", "atom"}[f], l);
        if (ermes__store_advisory_template_each(c->store, stored_cb, NULL)) {
            cli_error("advisories templates: cannot read the stored templates");
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if (strcmp(sub, "show") != 0 && strcmp(sub, "set") != 0 && strcmp(sub, "reset") != 0) {
        cli_error("advisories templates: list, show FORMAT LANG, set FORMAT LANG FILE or reset "
                  "FORMAT LANG");
        return CLI_USAGE;
    }
    if ((rc = args(c, &format, &lang)))
        return rc;
    snprintf(target, sizeof(target), "%s/%s", format, lang);
    if (strcmp(sub, "set") == 0) {
        if (!cli_arg(c, 4)) {
            cli_error("advisories templates set: which file?");
            return CLI_USAGE;
        }
        if (!(text = cli_read_file(cli_arg(c, 4), MAX_TEMPLATE_FILE, &len))) {
            cli_error("advisories templates set: cannot read the file (at most 256 KiB)");
            return CLI_ERROR;
        }
        if (strlen(text) != len) {
            ermes__free(text);
            cli_error("advisories templates set: a NUL byte in the file");
            return CLI_ERROR;
        }
        if (ermes__advisory_template_check(format, text, &d)) {
            ermes__free(text);
            cli_error("advisories templates set: %s", d.reason);
            return CLI_ERROR;
        }
    }
    if ((rc = cli_open_store(c, 0))) {
        ermes__free(text);
        return rc;
    }
    if (strcmp(sub, "set") == 0) {
        int64_t home = 0;
        ermes__store_home_org(c->store, &home);
        rc = ermes__store_advisory_template_put(c->store, format, lang, text, home);
        ermes__free(text);
        if (rc) {
            cli_error("advisories templates set: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "update", "advisory_template", target, NULL);
        return CLI_OK;
    }
    if (strcmp(sub, "reset") == 0) {
        rc = ermes__store_advisory_template_delete(c->store, format, lang);
        if (rc) {
            cli_error("advisories templates reset: %s",
                      rc == ERMES_ENOTFOUND ? "no stored template" : ermes_strerror(rc));
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "delete", "advisory_template", target, NULL);
        return CLI_OK;
    }
    rc = ermes__store_advisory_template_get(c->store, format, lang, &text, NULL);
    if (rc && rc != ERMES_ENOTFOUND) {
        cli_error("advisories templates show: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    printf("# %s %s (%s)\n", format, lang, rc ? "builtin" : "stored");
    {
        /* Stored text is an administrator's, still escaped: no control sequence reaches the
         * terminal. Line ends stay. */
        const char *p = rc ? ermes__advisory_template_builtin(format) : text;
        ermes__strbuf_t b;
        rc = 0;
        ermes__strbuf_init(&b, 4 * MAX_TEMPLATE_FILE + 1024);
        while (!rc && *p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            b.len = 0;
            rc = ermes__text_escape(&b, p, n);
            if (!rc)
                printf("%.*s\n", (int)b.len, b.data ? b.data : "");
            p += n + (nl ? 1 : 0);
        }
        ermes__strbuf_cleanup(&b);
        ermes__free(text);
    }
    return rc ? CLI_ERROR : CLI_OK;
}
