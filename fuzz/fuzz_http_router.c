/* libFuzzer target for the HTTP router (src/http/router.c): a method and a path, as a request
 * line gives them, matched against the route table; then the path parameters read back.
 *
 * Input: the method, a newline, the path (a NUL ends it, as libmicrohttpd's decoded URL would).
 * Checks: a route found has the method asked (or GET for HEAD) and a pattern that matches the
 * path again; its parameters are at most ERMES_ROUTE_MAX_PARAMS non-empty segments inside the
 * path; the Allow list is NUL-terminated inside its buffer however many methods it names; a
 * path no route knows leaves it empty. Anything else aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/error.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t mlen = nl ? (size_t)(nl - data) : 0, plen, i;
    char method[16], *path, allow[96], param[64];
    const ermes__route_t *r;
    ermes__req_t req;
    int known = 0;

    if (!nl || mlen >= sizeof(method))
        return 0;
    memcpy(method, data, mlen);
    method[mlen] = '\0';
    plen = size - mlen - 1;
    path = malloc(plen + 1); /* exact size: reads past the end are caught */
    if (!path)
        return 0;
    memcpy(path, nl + 1, plen);
    path[plen] = '\0';
    memset(&req, 0, sizeof(req));
    memset(allow, 'x', sizeof(allow));
    r = ermes__route_match(method, path, &req, &known, allow, sizeof(allow));
    if (!memchr(allow, '\0', sizeof(allow)))
        abort();
    if (r) {
        if (strcmp(r->method, method) != 0 &&
            !(strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
            abort();
        if (req.nparams > ERMES_ROUTE_MAX_PARAMS)
            abort();
        for (i = 0; i < req.nparams; i++) {
            if (req.params[i] < path || req.params[i] >= path + strlen(path))
                abort();
            if (ermes__param(&req, i, param, sizeof(param)) == 0 && !param[0])
                abort();
            (void)ermes__param_id(&req, i);
        }
        /* A parameter past the count reads as empty, never as memory. */
        if (ermes__param(&req, ERMES_ROUTE_MAX_PARAMS, param, sizeof(param)) != 0 || param[0])
            abort();
    } else if (!known && allow[0]) {
        abort();
    }
    free(path);
    return 0;
}
