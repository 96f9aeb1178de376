/* The structured diff of two JSON documents (revisions.h): what changed between two published
 * revisions of an advisory, path by path, for the API, the CLI and a person reading it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/revisions.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "ermes/error.h"

#define PATH_MAX_BYTES (32u << 20) /* one path at a time; documents are at most 16 MiB */
#define TEXT_MAX (64u << 20)

typedef struct diff_ctx {
    json_t *out;
    size_t max, n;
    int truncated, failed;
} diff_ctx_t;

/* Appends "/" and key escaped as RFC 6901 says (~ as ~0, / as ~1) to the path. */
static int path_push(ermes__strbuf_t *p, const char *key)
{
    int rc = ermes__strbuf_addc(p, '/');

    for (const char *k = key; !rc && *k; k++) {
        if (*k == '~')
            rc = ermes__strbuf_add(p, "~0", 2);
        else if (*k == '/')
            rc = ermes__strbuf_add(p, "~1", 2);
        else
            rc = ermes__strbuf_addc(p, *k);
    }
    return rc;
}

static void emit(diff_ctx_t *c, const char *op, const char *path, const json_t *old,
                 const json_t *new)
{
    json_t *item;

    if (c->failed)
        return;
    if (c->n >= c->max) {
        c->truncated = 1;
        return;
    }
    item = json_pack("{s:s,s:s}", "op", op, "path", path);
    if (!item) {
        c->failed = 1;
        return;
    }
    if (old && json_object_set(item, "old", (json_t *)old))
        c->failed = 1;
    if (new &&json_object_set(item, "new", (json_t *)new))
        c->failed = 1;
    if (json_array_append_new(c->out, item))
        c->failed = 1;
    c->n++;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a and of b, each once, sorted: the diff reads the same whatever order the
 * documents were written in. */
static const char **union_keys(const json_t *a, const json_t *b, size_t *n)
{
    size_t cap = json_object_size(a) + json_object_size(b), k = 0, i, m = 0;
    const char **keys = ermes__calloc(cap ? cap : 1, sizeof(*keys));
    const char *key;
    json_t *v;

    if (!keys)
        return NULL;
    json_object_foreach((json_t *)a, key, v) keys[k++] = key;
    json_object_foreach((json_t *)b, key, v)
    {
        if (!json_object_get(a, key))
            keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), cmp_keys);
    for (i = 0; i < k; i++)
        if (!m || strcmp(keys[m - 1], keys[i]) != 0)
            keys[m++] = keys[i];
    *n = m;
    return keys;
}

static void walk(diff_ctx_t *c, ermes__strbuf_t *path, const json_t *a, const json_t *b);

static void walk_child(diff_ctx_t *c, ermes__strbuf_t *path, const char *key, const json_t *a,
                       const json_t *b)
{
    size_t was = path->len;

    if (path_push(path, key)) {
        c->failed = 1;
        return;
    }
    if (a && !b)
        emit(c, "removed", path->data, a, NULL);
    else if (!a && b)
        emit(c, "added", path->data, NULL, b);
    else
        walk(c, path, a, b);
    path->len = was;
    path->data[was] = '\0';
}

static void walk(diff_ctx_t *c, ermes__strbuf_t *path, const json_t *a, const json_t *b)
{
    const char *here = path->data ? path->data : "";

    if (c->failed || c->truncated)
        return;
    if (json_is_object(a) && json_is_object(b)) {
        size_t n = 0;
        const char **keys = union_keys(a, b, &n);

        if (!keys) {
            c->failed = 1;
            return;
        }
        for (size_t i = 0; i < n && !c->failed && !c->truncated; i++)
            walk_child(c, path, keys[i], json_object_get(a, keys[i]), json_object_get(b, keys[i]));
        ermes__free(keys);
        return;
    }
    if (json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);

        for (size_t i = 0; i < (na > nb ? na : nb) && !c->failed && !c->truncated; i++) {
            char idx[24];

            snprintf(idx, sizeof(idx), "%zu", i);
            walk_child(c, path, idx, i < na ? json_array_get(a, i) : NULL,
                       i < nb ? json_array_get(b, i) : NULL);
        }
        return;
    }
    if (!json_equal((json_t *)a, (json_t *)b))
        emit(c, "changed", here, a, b);
}

json_t *ermes__json_diff(const json_t *a, const json_t *b, size_t max_items, int *truncated)
{
    diff_ctx_t c = {json_array(), max_items, 0, 0, 0};
    ermes__strbuf_t path;

    *truncated = 0;
    if (!c.out)
        return NULL;
    ermes__strbuf_init(&path, PATH_MAX_BYTES);
    walk(&c, &path, a, b);
    ermes__strbuf_cleanup(&path);
    if (c.failed) {
        json_decref(c.out);
        return NULL;
    }
    *truncated = c.truncated;
    return c.out;
}

/* A value as compact JSON with control characters made visible (core/text.c). */
static int add_value(ermes__strbuf_t *b, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    rc = ermes__text_escape(b, s, strlen(s));
    free(s);
    return rc;
}

char *ermes__json_diff_text(const json_t *diff)
{
    ermes__strbuf_t b;
    size_t i;
    json_t *item;
    int rc = 0;

    ermes__strbuf_init(&b, TEXT_MAX);
    json_array_foreach((json_t *)diff, i, item)
    {
        const char *op = json_string_value(json_object_get(item, "op"));
        const char *path = json_string_value(json_object_get(item, "path"));

        if (!op || !path)
            continue;
        rc = ermes__strbuf_adds(&b, strcmp(op, "added") == 0     ? "+ "
                                    : strcmp(op, "removed") == 0 ? "- "
                                                                 : "~ ");
        if (!rc)
            rc = ermes__text_escape(&b, *path ? path : "/", *path ? strlen(path) : 1);
        if (!rc)
            rc = ermes__strbuf_adds(&b, ": ");
        if (!rc && strcmp(op, "added") != 0)
            rc = add_value(&b, json_object_get(item, "old"));
        if (!rc && strcmp(op, "changed") == 0)
            rc = ermes__strbuf_adds(&b, " -> ");
        if (!rc && strcmp(op, "removed") != 0)
            rc = add_value(&b, json_object_get(item, "new"));
        if (!rc)
            rc = ermes__strbuf_addc(&b, '\n');
        if (rc)
            break;
    }
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return NULL;
    }
    return ermes__strbuf_take(&b, NULL);
}
