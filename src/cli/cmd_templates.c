/* ermes templates: the one template system (src/templates/templates.h) as the API's
 * /api/v1/templates (src/http/h_templates.c) keeps it: list, show, set from a file (checked as
 * the API checks it), reset to the default. Audited ("template", KIND/NAME/LANG).
 * `ermes notify templates` (the notification message: LANG) and `ermes advisories templates`
 * (FORMAT LANG: the page of html or text, the entry of atom) are views of it. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/text.h"
#include "templates/templates.h"

typedef struct target {
    char kind[16], name[24], lang[16];
} target_t;

typedef struct list_ctx {
    ermes__cli_templates_view_t view;
} list_ctx_t;

static const char *const usage[] = {
    "templates: list [KIND], show KIND NAME LANG, set KIND NAME LANG FILE or reset KIND NAME LANG",
    "notify templates: list, show LANG, set LANG FILE or reset LANG",
    "advisories templates: list, show FORMAT LANG, set FORMAT LANG FILE or reset FORMAT LANG"};

static const char *const prefix[] = {"templates", "notify templates", "advisories templates"};

static int list_cb(void *ctx, const char *kind, const char *name, const char *lang,
                   const char *source, int64_t updated_at)
{
    list_ctx_t *l = ctx;

    (void)updated_at;
    /* The advisories' view has the page of each format and the feed's entry. */
    if (l->view == ERMES_CLI_TEMPLATES_ADVISORY &&
        strcmp(name, strcmp(kind, "atom") == 0 ? "entry" : "page") != 0)
        return 0;
    /* The notifications' view has the message, not its lines. */
    if (l->view == ERMES_CLI_TEMPLATES_NOTIFY && strcmp(name, "message") != 0)
        return 0;
    if (l->view == ERMES_CLI_TEMPLATES_NOTIFY)
        printf("%s\t%s\n", lang, source);
    else if (l->view == ERMES_CLI_TEMPLATES_ADVISORY)
        printf("%s\t%s\t%s\n", kind, lang, source);
    else
        printf("%s\t%s\t%s\t%s\n", kind, name, lang, source);
    return 0;
}

/* The template the arguments from first on name, checked; *next the argument after them. */
static int args(cli_t *c, ermes__cli_templates_view_t view, int first, target_t *t, int *next)
{
    const char *a;
    size_t k;

    memset(t, 0, sizeof(*t));
    if (view == ERMES_CLI_TEMPLATES_NOTIFY) {
        snprintf(t->kind, sizeof(t->kind), "notification");
        snprintf(t->name, sizeof(t->name), "message");
    } else {
        a = cli_arg(c, first++);
        if (!a || (view == ERMES_CLI_TEMPLATES_ADVISORY && strcmp(a, "notification") == 0) ||
            !ermes__templates_name_at(a, 0)) {
            cli_error("%s: the %s is %s", prefix[view],
                      view == ERMES_CLI_TEMPLATES_ADVISORY ? "format" : "kind",
                      view == ERMES_CLI_TEMPLATES_ADVISORY ? "html, text or atom"
                                                           : "notification, html, text or atom");
            return CLI_USAGE;
        }
        snprintf(t->kind, sizeof(t->kind), "%s", a);
        if (view == ERMES_CLI_TEMPLATES_ADVISORY) {
            snprintf(t->name, sizeof(t->name), "%s", strcmp(a, "atom") == 0 ? "entry" : "page");
        } else {
            a = cli_arg(c, first++);
            if (!a || !ermes__templates_known(t->kind, a)) {
                cli_error("%s: no template \"%s\" of %s", prefix[view], a ? cli_safe(a) : "",
                          t->kind);
                return CLI_USAGE;
            }
            snprintf(t->name, sizeof(t->name), "%s", a);
        }
    }
    a = cli_arg(c, first++);
    for (k = 0; a && a[k] && k + 1 < sizeof(t->lang); k++)
        t->lang[k] = (char)(a[k] >= 'A' && a[k] <= 'Z' ? a[k] + 32 : a[k]);
    t->lang[k] = '\0';
    if (!a || a[k] || !ermes__templates_valid_lang(t->kind, t->lang)) {
        cli_error("%s: %s", prefix[view],
                  strcmp(t->kind, "notification") == 0
                      ? "a language is two or three letters (ISO 639)"
                      : "the language is one of en, fr, de, nl, it, es, pl");
        return CLI_USAGE;
    }
    *next = first;
    return CLI_OK;
}

/* Prints text, each line escaped: stored text is an administrator's, still no control
 * sequence reaches the terminal. Line ends stay. */
static int print_text(const char *p)
{
    ermes__strbuf_t b;
    int rc = 0;

    ermes__strbuf_init(&b, 4 * ermes__templates_max("html") + 1024);
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
    return rc;
}

static void audit(cli_t *c, const char *action, const target_t *t)
{
    char id[64];

    snprintf(id, sizeof(id), "%s/%s/%s", t->kind, t->name, t->lang);
    ermes__audit_write(c->store, &c->viewer, action, "template", id, NULL);
}

int ermes__cmd_templates_view(cli_t *c, ermes__cli_templates_view_t view, int first,
                              const char *dir)
{
    const char *sub = cli_arg(c, first) ? cli_arg(c, first) : "list", *source = NULL;
    char *text = NULL;
    ermes_diag_t d;
    target_t t;
    size_t len;
    int rc, next = 0;

    if (strcmp(sub, "list") == 0) {
        list_ctx_t l = {.view = view};
        const char *kind = view == ERMES_CLI_TEMPLATES_NOTIFY ? "notification"
                           : view == ERMES_CLI_TEMPLATES_ALL  ? cli_arg(c, first + 1)
                                                              : NULL;
        if (kind && !ermes__templates_name_at(kind, 0)) {
            cli_error("%s", usage[view]);
            return CLI_USAGE;
        }
        if ((rc = cli_open_store(c, 0)))
            return rc;
        if (view == ERMES_CLI_TEMPLATES_ADVISORY) {
            static const char *const formats[] = {"html", "text", "atom"};
            for (size_t f = 0; !rc && f < 3; f++)
                rc = ermes__templates_each(c->store, dir, formats[f], list_cb, &l);
        } else {
            rc = ermes__templates_each(c->store, dir, kind, list_cb, &l);
        }
        if (rc) {
            cli_error("%s: cannot read the stored templates", prefix[view]);
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if (strcmp(sub, "show") != 0 && strcmp(sub, "set") != 0 && strcmp(sub, "reset") != 0) {
        cli_error("%s", usage[view]);
        return CLI_USAGE;
    }
    if ((rc = args(c, view, first + 1, &t, &next)))
        return rc;
    if (strcmp(sub, "set") == 0) {
        size_t max = ermes__templates_max(t.kind);
        if (!cli_arg(c, next)) {
            cli_error("%s set: which file?", prefix[view]);
            return CLI_USAGE;
        }
        if (!(text = cli_read_file(cli_arg(c, next), max, &len))) {
            cli_error("%s set: cannot read the file (at most %zu KiB)", prefix[view], max / 1024);
            return CLI_ERROR;
        }
        if (strlen(text) != len) {
            ermes__free(text);
            cli_error("%s set: a NUL byte in the file", prefix[view]);
            return CLI_ERROR;
        }
        if (ermes__templates_check(t.kind, t.name, text, &d)) {
            ermes__free(text);
            cli_error("%s set: %s", prefix[view], d.reason);
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
        rc = ermes__store_template_put(c->store, t.kind, t.name, t.lang, text, home);
        ermes__free(text);
        if (rc) {
            cli_error("%s set: %s", prefix[view], ermes_strerror(rc));
            return CLI_ERROR;
        }
        audit(c, "update", &t);
        return CLI_OK;
    }
    if (strcmp(sub, "reset") == 0) {
        rc = ermes__store_template_delete(c->store, t.kind, t.name, t.lang);
        if (rc) {
            cli_error("%s reset: %s", prefix[view],
                      rc == ERMES_ENOTFOUND ? "no stored template" : ermes_strerror(rc));
            return CLI_ERROR;
        }
        audit(c, "delete", &t);
        return CLI_OK;
    }
    rc = ermes__templates_get(c->store, dir, t.kind, t.name, t.lang, &text, &source, NULL);
    if (rc) {
        cli_error("%s show: %s", prefix[view],
                  rc == ERMES_ENOTFOUND ? "no template in that language" : ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (view == ERMES_CLI_TEMPLATES_NOTIFY)
        printf("# %s (%s)\n", t.lang, source);
    else if (view == ERMES_CLI_TEMPLATES_ADVISORY)
        printf("# %s %s (%s)\n", t.kind, t.lang, source);
    else
        printf("# %s %s %s (%s)\n", t.kind, t.name, t.lang, source);
    rc = print_text(text);
    ermes__free(text);
    return rc ? CLI_ERROR : CLI_OK;
}

static void help(FILE *f)
{
    fprintf(f,
            "usage: ermes templates [list [KIND] | show KIND NAME LANG |\n"
            "                        set KIND NAME LANG FILE | reset KIND NAME LANG]\n"
            "\n"
            "Every text ermes writes for people comes from a template of a KIND, a NAME and a\n"
            "LANG, filled with ${name} variables:\n"
            "  notification message  a notification: the subject line, a blank line, the body\n"
            "                        (LANG any ISO 639 code; notify_templates' LANG.txt is used\n"
            "                        before the built-in one)\n"
            "  html|text page        an advisory's HTML page, its plain text (and the advisory\n"
            "                        warning e-mails)\n"
            "  html|text note, vulnerability, vulnerability_note, score, remediation, reference,\n"
            "            history     the items of those pages' lists\n"
            "  notification explanation, digest_daily, digest_weekly, attached_csv,\n"
            "            attached_json, attached_xarf   a notification's lines: one per type of\n"
            "                        event (${explanations}), a digest's opening sentence\n"
            "                        (${digest}), how the events are attached (${attached})\n"
            "  atom feed|entry       the Atom feed's header, each advisory's entry\n"
            "  atom summary          an entry's summary: one per summary note of the advisory\n"
            "(advisories: LANG one of en fr de nl it es pl). list prints KIND NAME LANG and where\n"
            "the one in use comes from (builtin, file, stored); set stores FILE, checked first\n"
            "(every ${name} known to that template, a sample renders through it), used at once;\n"
            "reset goes back to the default. Changes are audited.\n");
}

int ermes__cmd_templates(cli_t *c)
{
    int rc;

    for (int i = 0; i < c->nargs; i++)
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        }
    rc = ermes__cmd_templates_view(c, ERMES_CLI_TEMPLATES_ALL, 0, c->cfg.notify_templates);
    if (rc == CLI_USAGE)
        help(stderr);
    return rc;
}
