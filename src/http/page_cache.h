/* The rendered-page cache of the TAXII server (page_cache.c): page bodies kept by key and by the
 * scope they were rendered at (the sum of the database counters of what they are made of),
 * bounded in bytes. */
#ifndef ERMES_HTTP_PAGE_CACHE_H
#define ERMES_HTTP_PAGE_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ermes__page_cache ermes__page_cache_t;

/* One rendered page, shared by the cache and the answers that send it (each holds a reference):
 * body and len what is sent, first and last its X-TAXII-Date-Added-First and -Last ("" when the
 * page has none). Never changed once made. */
typedef struct ermes__cached_page {
    const char *body;
    size_t len;
    char first[32], last[32];
} ermes__cached_page_t;

/* A cache holding at most max_bytes of pages (0: none is kept; every call still works). */
int ermes__page_cache_new(size_t max_bytes, ermes__page_cache_t **out);
/* Frees the cache; the pages still being sent are freed by their last release. NULL: no-op. */
void ermes__page_cache_free(ermes__page_cache_t *c);
/* The page kept under key (klen bytes) that was rendered at scope: a reference
 * (ermes__page_cache_release), or NULL. A higher scope drops the page of that key. */
ermes__cached_page_t *ermes__page_cache_get(ermes__page_cache_t *c, const void *key, size_t klen,
                                            int64_t scope);
/* Makes a page of buf (from ermes__malloc; owned by the page from now on, freed even on failure)
 * whose body is len bytes from off, keeps it under key for scope when it fits (and the page kept
 * under key is not of a later scope), and returns a reference for the answer (NULL: out of
 * memory). first and last: as in the page (NULL: ""). */
ermes__cached_page_t *ermes__page_cache_put(ermes__page_cache_t *c, const void *key, size_t klen,
                                            int64_t scope, char *buf, size_t off, size_t len,
                                            const char *first, const char *last);
/* Drops a reference (void * for libmicrohttpd's free callback). */
void ermes__page_cache_release(void *page);
/* Pages and bytes kept, and pages served from the cache since it was made (GET /metrics). */
void ermes__page_cache_stats(ermes__page_cache_t *c, size_t *pages, size_t *bytes, uint64_t *hits);

#endif
