/* Package URLs (the purl specification): "pkg:" type "/" [namespace "/"] name ["@" version]
 * ["?" qualifiers] ["#" subpath]. This checks the general syntax the specification requires
 * of every type (CSAF test 6.1.13); type-specific rules are not applied. */
#include "advisories/csaf_int.h"

#include <ctype.h>
#include <strings.h>
#include <string.h>

/* Percent-encoding is well formed (every % followed by two hex digits). */
static int encoded_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]))
                return 0;
            i += 2;
        } else if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static const char *rfind(const char *s, size_t n, char ch)
{
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == ch)
            return s + i - 1;
    return NULL;
}

int ermes__purl_valid(const char *s, size_t len)
{
    const char *end = s + len, *p, *hash, *query, *slash, *at;
    size_t n;

    if (len < 4 || strncasecmp(s, "pkg:", 4) != 0)
        return 0;
    p = s + 4;
    while (p < end && *p == '/')
        p++;
    hash = memchr(p, '#', (size_t)(end - p));
    if (hash) {
        if (!encoded_ok(hash + 1, (size_t)(end - hash - 1)))
            return 0;
        end = hash;
    }
    query = memchr(p, '?', (size_t)(end - p));
    if (query) {
        /* key=value pairs: keys of letters, digits, '.', '-', '_' not starting with a
         * digit, each once; values non-empty. */
        const char *q = query + 1;
        char keys[32][64];
        size_t nkeys = 0;
        while (q < end) {
            const char *amp = memchr(q, '&', (size_t)(end - q)), *stop = amp ? amp : end;
            const char *eq = memchr(q, '=', (size_t)(stop - q));
            if (!eq || eq == q || eq + 1 == stop || (size_t)(eq - q) >= sizeof(keys[0]))
                return 0;
            if (isdigit((unsigned char)q[0]))
                return 0;
            for (const char *k = q; k < eq; k++)
                if (!isalnum((unsigned char)*k) && *k != '.' && *k != '-' && *k != '_')
                    return 0;
            for (size_t k = 0; k < nkeys; k++)
                if (strlen(keys[k]) == (size_t)(eq - q) &&
                    strncasecmp(keys[k], q, (size_t)(eq - q)) == 0)
                    return 0;
            if (nkeys < 32) {
                memcpy(keys[nkeys], q, (size_t)(eq - q));
                keys[nkeys++][eq - q] = '\0';
            }
            if (!encoded_ok(eq + 1, (size_t)(stop - eq - 1)))
                return 0;
            q = amp ? amp + 1 : end;
        }
        end = query;
    }
    while (end > p && end[-1] == '/')
        end--;
    /* type */
    slash = memchr(p, '/', (size_t)(end - p));
    if (!slash || slash == p)
        return 0;
    if (!isalpha((unsigned char)p[0]) && p[0] != '.' && p[0] != '+' && p[0] != '-')
        return 0;
    for (const char *t = p; t < slash; t++)
        if (!isalnum((unsigned char)*t) && *t != '.' && *t != '+' && *t != '-')
            return 0;
    p = slash + 1;
    /* version: after the last '@' of the rest */
    at = rfind(p, (size_t)(end - p), '@');
    if (at) {
        if (at + 1 == end || !encoded_ok(at + 1, (size_t)(end - at - 1)))
            return 0;
        end = at;
    }
    /* name: the last segment; namespace: the segments before it */
    slash = rfind(p, (size_t)(end - p), '/');
    n = (size_t)(end - (slash ? slash + 1 : p));
    if (n == 0)
        return 0;
    return encoded_ok(p, (size_t)(end - p));
}
