#include "core/arena.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

struct ermes__arena_block {
    ermes__arena_block_t *next;
    size_t size;
    size_t off;
    _Alignas(16) unsigned char mem[];
};

void ermes__arena_init(ermes__arena_t *a, size_t block_size, size_t limit)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 16384;
    a->used = 0;
    a->limit = limit;
}

void ermes__arena_cleanup(ermes__arena_t *a)
{
    ermes__arena_block_t *b = a->head, *next;

    while (b) {
        next = b->next;
        ermes__free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}

void *ermes__arena_alloc(ermes__arena_t *a, size_t n)
{
    ermes__arena_block_t *b = a->head;
    size_t need, size;
    void *p;

    if (n > SIZE_MAX - 15)
        return NULL;
    need = (n + 15) & ~(size_t)15;
    if (a->limit && (need > a->limit || a->used > a->limit - need))
        return NULL;
    if (!b || b->size - b->off < need) {
        size = need > a->block_size ? need : a->block_size;
        if (size > SIZE_MAX - sizeof(*b))
            return NULL;
        b = ermes__malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->off = 0;
        /* A large one-off allocation goes behind the current block, so the current block's
         * free space stays usable. */
        if (a->head && size > a->block_size) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    p = b->mem + b->off;
    b->off += need;
    a->used += need;
    return p;
}

char *ermes__arena_strndup(ermes__arena_t *a, const char *s, size_t n)
{
    char *p;

    if (n == SIZE_MAX)
        return NULL;
    p = ermes__arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ermes__arena_strdup(ermes__arena_t *a, const char *s)
{
    return ermes__arena_strndup(a, s, strlen(s));
}
