/* Allocation wrappers. Every allocation in ermes goes through these, so tests can make the
 * Nth allocation fail (ermes__alloc_fail_after) and prove each failure path returns
 * ERMES_ENOMEM instead of crashing: curl's torture-test idea. */
#ifndef ERMES_CORE_ALLOC_H
#define ERMES_CORE_ALLOC_H

#include <stddef.h>

void *ermes__malloc(size_t n);
void *ermes__calloc(size_t count, size_t size);
void *ermes__realloc(void *p, size_t n);
void *ermes__reallocarray(void *p, size_t count, size_t size);
char *ermes__strdup(const char *s);
char *ermes__strndup(const char *s, size_t n);
void ermes__free(void *p);

/* Test hook: after n more successful allocations, every allocation fails until reset with
 * n < 0; jansson's allocations count too (its first call hands jansson these wrappers with
 * json_set_alloc_funcs). Not thread-safe; for single-threaded unit tests only. */
void ermes__alloc_fail_after(long n);

#endif
