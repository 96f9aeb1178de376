/* A region allocator: per-request and per-document memory is carved from large blocks and freed
 * in one call (YARA's arena idea). Not thread-safe: one arena per request. */
#ifndef ERMES_CORE_ARENA_H
#define ERMES_CORE_ARENA_H

#include <stddef.h>

typedef struct ermes__arena_block ermes__arena_block_t;

typedef struct ermes__arena {
    ermes__arena_block_t *head;
    size_t block_size; /* default size of a new block */
    size_t used;       /* total bytes handed out, for limits and tests */
    size_t limit;      /* 0 = none; allocations beyond it fail */
} ermes__arena_t;

void ermes__arena_init(ermes__arena_t *a, size_t block_size, size_t limit);
void ermes__arena_cleanup(ermes__arena_t *a); /* frees every block */

/* 16-byte aligned memory, or NULL when out of memory or over the limit. */
void *ermes__arena_alloc(ermes__arena_t *a, size_t n);
char *ermes__arena_strndup(ermes__arena_t *a, const char *s, size_t n);
char *ermes__arena_strdup(ermes__arena_t *a, const char *s);

#endif
