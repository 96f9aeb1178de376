/* A growable byte buffer with a hard cap (curl's dynbuf idea): anything fed by the network or
 * a file grows through one of these, so no input can make ermes allocate without bound. */
#ifndef ERMES_CORE_STRBUF_H
#define ERMES_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ermes_strbuf {
    char *data; /* always NUL-terminated once anything was added; NULL before */
    size_t len;
    size_t cap;
    size_t max; /* appends that would exceed max bytes fail with ERMES_ETOOBIG */
} ermes__strbuf_t;

void ermes__strbuf_init(ermes__strbuf_t *b, size_t max);
void ermes__strbuf_cleanup(ermes__strbuf_t *b);
void ermes__strbuf_reset(ermes__strbuf_t *b); /* len 0, keeps the memory */

/* Returns 0, ERMES_ETOOBIG (buffer unchanged) or ERMES_ENOMEM (buffer unchanged). */
int ermes__strbuf_add(ermes__strbuf_t *b, const void *p, size_t n);
int ermes__strbuf_adds(ermes__strbuf_t *b, const char *s);
/* Room for n more bytes written in place: *at is where they go (NULL on error); then
 * ermes__strbuf_used() with how many of them were written (at most n). */
int ermes__strbuf_room(ermes__strbuf_t *b, size_t n, char **at);
void ermes__strbuf_used(ermes__strbuf_t *b, size_t n);
int ermes__strbuf_addc(ermes__strbuf_t *b, char c);
int ermes__strbuf_addf(ermes__strbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ermes__strbuf_vaddf(ermes__strbuf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Hands the buffer's memory to the caller (frees with ermes__free); the buffer is left empty.
 * Returns "" allocated when nothing was added; NULL only on ENOMEM. */
char *ermes__strbuf_take(ermes__strbuf_t *b, size_t *len);

#endif
