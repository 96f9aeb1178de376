/* ermes notify templates: the notification templates per language, as the API's
 * /api/v1/notification-templates (src/http/h_notify_templates.c) keeps them: list, show, set
 * from a file (checked as the API checks it), reset to the file or the built-in. Audited. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/text.h"
#include "notify/notify.h"

#define MAX_TEMPLATE_FILE (64 * 1024)

static int stored_cb(void *ctx, const char *lang, int64_t updated_at)
{
    (void)ctx;
    (void)updated_at;
    printf("%s\tstored\n", lang);
    return 0;
}

/* The language argument, lower case; 0 when it is one. */
static int lang_arg(cli_t *c, int i, char *lang, size_t cap)
{
    const char *a = cli_arg(c, i);
    size_t k;

    if (!a) {
        cli_error("notify templates: which language? (two or three letters, ISO 639)");
        return CLI_USAGE;
    }
    for (k = 0; a[k] && k + 1 < cap; k++)
        lang[k] = (char)(a[k] >= 'A' && a[k] <= 'Z' ? a[k] + 32 : a[k]);
    lang[k] = '\0';
    if (a[k] || !ermes__notify_template_valid_lang(lang)) {
        cli_error("notify templates: a language is two or three letters (ISO 639)");
        return CLI_USAGE;
    }
    return CLI_OK;
}

int ermes__cmd_notify_templates(cli_t *c, const char *dir)
{
    const char *sub = cli_arg(c, 1) ? cli_arg(c, 1) : "list", *l, *source;
    char lang[8], *text = NULL;
    ermes_diag_t d;
    size_t len;
    int rc;

    if (strcmp(sub, "list") == 0) {
        if ((rc = cli_open_store(c, 0)))
            return rc;
        /* The built-in languages, then the stored ones (the files are in notify_templates). */
        for (size_t k = 0; (l = ermes__notify_builtin_lang(k)) != NULL; k++)
            printf("%s\tbuiltin\n", l);
        if (ermes__store_notify_template_each(c->store, stored_cb, NULL)) {
            cli_error("notify templates: cannot read the stored templates");
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if (strcmp(sub, "show") != 0 && strcmp(sub, "set") != 0 && strcmp(sub, "reset") != 0) {
        cli_error("notify templates: list, show LANG, set LANG FILE or reset LANG");
        return CLI_USAGE;
    }
    if ((rc = lang_arg(c, 2, lang, sizeof(lang))))
        return rc;
    if (strcmp(sub, "set") == 0) {
        if (!cli_arg(c, 3)) {
            cli_error("notify templates set: which file?");
            return CLI_USAGE;
        }
        if (!(text = cli_read_file(cli_arg(c, 3), MAX_TEMPLATE_FILE, &len))) {
            cli_error("notify templates set: cannot read the file (at most 64 KiB)");
            return CLI_ERROR;
        }
        if (strlen(text) != len) {
            ermes__free(text);
            cli_error("notify templates set: a NUL byte in the file");
            return CLI_ERROR;
        }
        if (ermes__notify_template_check(text, &d)) {
            ermes__free(text);
            cli_error("notify templates set: %s", d.reason);
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
        rc = ermes__store_notify_template_put(c->store, lang, text, home);
        ermes__free(text);
        if (rc) {
            cli_error("notify templates set: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "update", "notification_template", lang, NULL);
        return CLI_OK;
    }
    if (strcmp(sub, "reset") == 0) {
        rc = ermes__store_notify_template_delete(c->store, lang);
        if (rc) {
            cli_error("notify templates reset: %s",
                      rc == ERMES_ENOTFOUND ? "no stored template" : ermes_strerror(rc));
            return CLI_ERROR;
        }
        ermes__audit_write(c->store, &c->viewer, "delete", "notification_template", lang, NULL);
        return CLI_OK;
    }
    source = "stored";
    rc = ermes__store_notify_template_get(c->store, lang, &text, NULL);
    if (rc == ERMES_ENOTFOUND)
        rc = ermes__notify_template_default(dir, lang, &text, &source);
    if (rc) {
        cli_error("notify templates show: %s",
                  rc == ERMES_ENOTFOUND ? "no template in that language" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    {
        /* Stored text is an administrator's, still escaped: no control sequence reaches the
         * terminal. Line ends stay. */
        ermes__strbuf_t b;
        const char *p = text;
        ermes__strbuf_init(&b, 4 * MAX_TEMPLATE_FILE + 1024);
        printf("# %s (%s)\n", lang, source);
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
