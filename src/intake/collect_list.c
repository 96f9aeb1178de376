/* The requests of collectors in list mode (collect.h): an item's URL and POST body from the
 * collector's templates, and the URLs of Azure Blob Storage's List Blobs and Get Blob. The
 * run itself (fetch the listing, then each new item) is collect.c's. */
#include "intake/collect.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define FIELD_CAP 4096

/* Appends n bytes of s to out (len, cap), percent-encoding for a URL path segment or query
 * value when escape is set (RFC 3986 unreserved characters stay; keep_slash keeps '/'). */
static int put(char *out, size_t cap, size_t *len, const char *s, size_t n, int escape,
               int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        int plain = !escape || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                    (keep_slash && c == '/');
        if (*len + (plain ? 1 : 3) >= cap)
            return ERMES_ERANGE;
        if (plain) {
            out[(*len)++] = (char)c;
        } else {
            out[(*len)++] = '%';
            out[(*len)++] = hex[c >> 4];
            out[(*len)++] = hex[c & 15];
        }
    }
    out[*len] = '\0';
    return 0;
}

int ermes__collect_template(const char *tmpl, int64_t now_ms, const char *id, const char *file,
                            int escape, char *out, size_t cap)
{
    size_t len = 0;
    int rc;

    if (cap == 0)
        return ERMES_ERANGE;
    out[0] = '\0';
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{id}", 4) == 0 || strncmp(p, "{file}", 6) == 0) {
            const char *v = p[1] == 'i' ? id : file;
            if (!v)
                return ERMES_EINVAL;
            if ((rc = put(out, cap, &len, v, strlen(v), escape, 0)))
                return rc;
            p += p[1] == 'i' ? 4 : 6;
        } else if (strncmp(p, "{today:", 7) == 0 || strncmp(p, "{yesterday:", 11) == 0) {
            const char *close = strchr(p, '}');
            char part[128], date[128];
            if (!close || (size_t)(close - p) + 2 > sizeof(part))
                return ERMES_EINVAL;
            memcpy(part, p, (size_t)(close - p) + 1);
            part[close - p + 1] = '\0';
            if ((rc = ermes__collect_url_expand(part, now_ms, date, sizeof(date))) ||
                (rc = put(out, cap, &len, date, strlen(date), 0, 0)))
                return rc;
            p = close + 1;
        } else {
            if ((rc = put(out, cap, &len, p, 1, 0, 0)))
                return rc;
            p++;
        }
    }
    return 0;
}

int ermes__collect_post_body(char *const *fields, size_t n, int64_t now_ms, const char *id,
                             const char *file, char **out)
{
    json_t *o = json_object();
    char value[FIELD_CAP], key[128];
    int rc = 0;

    *out = NULL;
    if (!o)
        return ERMES_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        const char *eq = strchr(fields[k], '=');
        if (!eq || (size_t)(eq - fields[k]) >= sizeof(key)) {
            rc = ERMES_EINVAL;
            goto out;
        }
        memcpy(key, fields[k], (size_t)(eq - fields[k]));
        key[eq - fields[k]] = '\0';
        if ((rc = ermes__collect_template(eq + 1, now_ms, id, file, 0, value, sizeof(value))))
            goto out;
        if (json_object_set_new(o, key, json_string(value))) {
            rc = ERMES_EINVAL; /* a value that is not UTF-8 */
            goto out;
        }
    }
    /* Compact, keys in the order given: the bytes signed are the bytes sent. */
    if (!(*out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        rc = ERMES_ENOMEM;
out:
    json_decref(o);
    return rc;
}

int ermes__collect_azure_url(const char *container, const char *marker, const char *blob, char *out,
                             size_t cap)
{
    const char *q = strchr(container, '?');
    size_t base = q ? (size_t)(q - container) : strlen(container), len = 0;
    int rc;

    if (cap == 0)
        return ERMES_ERANGE;
    out[0] = '\0';
    /* The container's URL, any '/' at its end dropped: the blob's name follows one. */
    while (base > 0 && container[base - 1] == '/')
        base--;
    if ((rc = put(out, cap, &len, container, base, 0, 0)))
        return rc;
    if (blob) {
        /* Get Blob: https://ACCOUNT.blob.core.windows.net/CONTAINER/NAME?SAS */
        if ((rc = put(out, cap, &len, "/", 1, 0, 0)) ||
            (rc = put(out, cap, &len, blob, strlen(blob), 1, 1)))
            return rc;
        if (q && q[1])
            rc = put(out, cap, &len, q, strlen(q), 0, 0);
        return rc;
    }
    /* List Blobs: ...CONTAINER?restype=container&comp=list&SAS[&marker=M] */
    if ((rc = put(out, cap, &len, "?restype=container&comp=list", 28, 0, 0)))
        return rc;
    if (q && q[1] &&
        ((rc = put(out, cap, &len, "&", 1, 0, 0)) ||
         (rc = put(out, cap, &len, q + 1, strlen(q + 1), 0, 0))))
        return rc;
    if (marker && ((rc = put(out, cap, &len, "&marker=", 8, 0, 0)) ||
                   (rc = put(out, cap, &len, marker, strlen(marker), 1, 0))))
        return rc;
    return 0;
}
