/* The catalogue of the template system (templates.h): which kinds and names there are, their
 * languages, defaults and checks, asked of the code that fills them (src/notify/message.c,
 * src/advisories/render.c), so the API and the CLI edit every template the same way. */
#include "templates/templates.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/render.h"
#include "core/alloc.h"
#include "notify/notify.h"

static const char *const kinds[] = {"notification", "html", "text", "atom"};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static int is_notification(const char *kind)
{
    return kind && strcmp(kind, "notification") == 0;
}

const char *ermes__templates_kind_at(size_t k)
{
    return k < NKINDS ? kinds[k] : NULL;
}

const char *ermes__templates_name_at(const char *kind, size_t k)
{
    if (is_notification(kind))
        return ermes__notify_part_at(k);
    return ermes__advisory_template_part(kind, k);
}

int ermes__templates_known(const char *kind, const char *name)
{
    const char *n;

    for (size_t k = 0; name && (n = ermes__templates_name_at(kind, k)) != NULL; k++)
        if (strcmp(n, name) == 0)
            return 1;
    return 0;
}

const char *ermes__templates_lang_at(const char *kind, size_t k)
{
    if (is_notification(kind))
        return ermes__notify_builtin_lang(k);
    return ermes__templates_name_at(kind, 0) ? ermes__advisory_render_lang_at(k) : NULL;
}

int ermes__templates_valid_lang(const char *kind, const char *lang)
{
    const char *l;

    if (!lang)
        return 0;
    if (is_notification(kind))
        return ermes__notify_template_valid_lang(lang);
    for (size_t k = 0; (l = ermes__templates_lang_at(kind, k)) != NULL; k++)
        if (strcmp(l, lang) == 0)
            return 1;
    return 0;
}

size_t ermes__templates_max(const char *kind)
{
    return is_notification(kind) ? 64 * 1024 : 256 * 1024;
}

int ermes__templates_default(const char *templates_dir, const char *kind, const char *name,
                             const char *lang, char **text, const char **source)
{
    const char *b;

    *text = NULL;
    *source = NULL;
    if (!ermes__templates_known(kind, name) || !ermes__templates_valid_lang(kind, lang))
        return ERMES_ENOTFOUND;
    if (is_notification(kind) && strcmp(name, "message") == 0)
        return ermes__notify_template_default(templates_dir, lang, text, source);
    /* The lines of a notification: built in for the languages that have a message. */
    if (is_notification(kind)) {
        for (size_t k = 0; (b = ermes__notify_builtin_lang(k)) != NULL; k++)
            if (strcmp(b, lang) == 0)
                break;
        if (!b || !(b = ermes__notify_part_builtin(name, lang)))
            return ERMES_ENOTFOUND;
        *source = "builtin";
        return (*text = ermes__strdup(b)) ? 0 : ERMES_ENOMEM;
    }
    /* The advisories' built-in texts are one per part; their headings carry the language. */
    if (!(b = ermes__advisory_template_builtin(kind, name)))
        return ERMES_ENOTFOUND;
    *source = "builtin";
    return (*text = ermes__strdup(b)) ? 0 : ERMES_ENOMEM;
}

int ermes__templates_get(ermes__store_t *st, const char *templates_dir, const char *kind,
                         const char *name, const char *lang, char **text, const char **source,
                         int64_t *updated_at)
{
    int rc;

    *source = NULL;
    rc = ermes__store_template_get(st, kind, name, lang, text, updated_at);
    if (rc == 0)
        *source = "stored";
    else if (rc == ERMES_ENOTFOUND)
        rc = ermes__templates_default(templates_dir, kind, name, lang, text, source);
    return rc;
}

int ermes__templates_check(const char *kind, const char *name, const char *text, ermes_diag_t *d)
{
    ermes_diag_clear(d);
    if (!ermes__templates_name_at(kind, 0)) {
        ermes_diag_set(d, "kind", "the kind is notification, html, text or atom");
        return ERMES_EINVAL;
    }
    if (!ermes__templates_known(kind, name)) {
        ermes_diag_set(d, "name", "no template \"%.24s\" of kind %s", name ? name : "", kind);
        return ERMES_EINVAL;
    }
    if (is_notification(kind))
        return ermes__notify_part_check(name, text, d);
    return ermes__advisory_template_check(kind, name, text, d);
}

/* ---- the list ------------------------------------------------------------------------------ */

#define MAX_FILES 1000

typedef struct entry {
    char kind[16], name[24], lang[16];
    const char *source; /* "builtin", "file", "stored" */
    int64_t updated_at;
} entry_t;

typedef struct list {
    entry_t *e;
    size_t n, cap;
} list_t;

static int add(list_t *l, const char *kind, const char *name, const char *lang, const char *source,
               int64_t updated_at)
{
    entry_t *e = NULL;

    if (!ermes__templates_known(kind, name) || !ermes__templates_valid_lang(kind, lang))
        return 0;
    for (size_t k = 0; !e && k < l->n; k++)
        if (strcmp(l->e[k].kind, kind) == 0 && strcmp(l->e[k].name, name) == 0 &&
            strcmp(l->e[k].lang, lang) == 0)
            e = &l->e[k];
    if (!e) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 64;
            entry_t *p = ermes__realloc(l->e, cap * sizeof(*p));
            if (!p)
                return ERMES_ENOMEM;
            l->e = p;
            l->cap = cap;
        }
        e = &l->e[l->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->kind, sizeof(e->kind), "%s", kind);
        snprintf(e->name, sizeof(e->name), "%s", name);
        snprintf(e->lang, sizeof(e->lang), "%s", lang);
        e->source = source;
    } else if (strcmp(source, "stored") == 0 ||
               (strcmp(source, "file") == 0 && strcmp(e->source, "builtin") == 0)) {
        e->source = source;
    }
    if (updated_at)
        e->updated_at = updated_at;
    return 0;
}

static int stored_cb(void *ctx, const char *kind, const char *name, const char *lang,
                     int64_t updated_at)
{
    return add(ctx, kind, name, lang, "stored", updated_at);
}

/* templates_dir's files: every <lang>.txt with a valid language name. */
static int add_files(list_t *l, const char *dir)
{
    struct dirent *de;
    size_t seen = 0;
    DIR *d;
    int rc = 0;

    if (!dir || !*dir || !(d = opendir(dir)))
        return 0;
    while (!rc && (de = readdir(d)) != NULL && seen++ < MAX_FILES) {
        char lang[8];
        size_t n = strlen(de->d_name);
        if (n < 6 || n > 7 || strcmp(de->d_name + n - 4, ".txt") != 0)
            continue;
        memcpy(lang, de->d_name, n - 4);
        lang[n - 4] = '\0';
        rc = add(l, "notification", "message", lang, "file", 0);
    }
    closedir(d);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    int c = strcmp(x->kind, y->kind);

    if (!c)
        c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->lang, y->lang);
}

int ermes__templates_each(ermes__store_t *st, const char *templates_dir, const char *kind,
                          int (*cb)(void *ctx, const char *kind, const char *name, const char *lang,
                                    const char *source, int64_t updated_at),
                          void *ctx)
{
    list_t l = {.e = NULL, .n = 0, .cap = 0};
    const char *k, *name, *lang;
    int rc = 0;

    for (size_t i = 0; !rc && (k = ermes__templates_kind_at(i)) != NULL; i++) {
        if (kind && strcmp(kind, k) != 0)
            continue;
        for (size_t n = 0; !rc && (name = ermes__templates_name_at(k, n)) != NULL; n++)
            for (size_t g = 0; !rc && (lang = ermes__templates_lang_at(k, g)) != NULL; g++)
                rc = add(&l, k, name, lang, "builtin", 0);
        if (!rc && is_notification(k))
            rc = add_files(&l, templates_dir);
    }
    if (!rc)
        rc = ermes__store_template_each(st, kind, stored_cb, &l);
    if (!rc && l.n)
        qsort(l.e, l.n, sizeof(*l.e), cmp_entry);
    for (size_t i = 0; !rc && i < l.n; i++)
        rc = cb(ctx, l.e[i].kind, l.e[i].name, l.e[i].lang, l.e[i].source, l.e[i].updated_at);
    ermes__free(l.e);
    return rc;
}
