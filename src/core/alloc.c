#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static long fail_countdown = -1;

static int should_fail(void)
{
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

/* jansson's allocations go through the wrappers too, so that injected failures reach every
 * json_t ermes makes or parses. The wrappers are plain malloc and free when no failure is
 * injected, so a value jansson allocated before the switch may be freed after it. */
static void *json_malloc_cb(size_t n)
{
    return ermes__malloc(n);
}

static void json_free_cb(void *p)
{
    ermes__free(p);
}

void ermes__alloc_fail_after(long n)
{
    static int json_hooked;

    if (!json_hooked) {
        json_set_alloc_funcs(json_malloc_cb, json_free_cb);
        json_hooked = 1;
    }
    fail_countdown = n;
}

void *ermes__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *ermes__calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *ermes__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void *ermes__reallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return ermes__realloc(p, count * size);
}

char *ermes__strndup(const char *s, size_t n)
{
    char *p = ermes__malloc(n + 1);

    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ermes__strdup(const char *s)
{
    return ermes__strndup(s, strlen(s));
}

void ermes__free(void *p)
{
    free(p);
}
