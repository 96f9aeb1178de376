#include "core/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/error.h"

void ermes__strbuf_init(ermes__strbuf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void ermes__strbuf_cleanup(ermes__strbuf_t *b)
{
    ermes__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ermes__strbuf_reset(ermes__strbuf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static int reserve(ermes__strbuf_t *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return ERMES_ETOOBIG;
    /* len + n <= max now; the NUL needs one byte more, which SIZE_MAX cannot give. */
    if (b->len + n == SIZE_MAX)
        return ERMES_ETOOBIG;
    need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    /* Never hold much more than the cap allows. With max == SIZE_MAX there is nothing to
     * clamp (and max + 1 would wrap to 0); need <= max + 1 always, so cap stays >= need. */
    if (b->max < SIZE_MAX && cap > b->max + 1)
        cap = b->max + 1;
    p = ermes__realloc(b->data, cap);
    if (!p)
        return ERMES_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ermes__strbuf_room(ermes__strbuf_t *b, size_t n, char **at)
{
    int rc = reserve(b, n);

    *at = rc ? NULL : b->data + b->len;
    return rc;
}

void ermes__strbuf_used(ermes__strbuf_t *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

int ermes__strbuf_add(ermes__strbuf_t *b, const void *p, size_t n)
{
    int rc = reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ermes__strbuf_adds(ermes__strbuf_t *b, const char *s)
{
    return ermes__strbuf_add(b, s, strlen(s));
}

int ermes__strbuf_addc(ermes__strbuf_t *b, char c)
{
    return ermes__strbuf_add(b, &c, 1);
}

int ermes__strbuf_vaddf(ermes__strbuf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ERMES_EINVAL;
    rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int ermes__strbuf_addf(ermes__strbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = ermes__strbuf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *ermes__strbuf_take(ermes__strbuf_t *b, size_t *len)
{
    char *p = b->data;

    if (!p)
        p = ermes__strdup("");
    if (len)
        *len = p ? b->len : 0;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
