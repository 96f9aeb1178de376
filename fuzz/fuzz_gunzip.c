/* libFuzzer target for the collectors' gzip decoder (src/intake/gunzip.c).
 *
 * Feeds the input as a collector's body would come (in pieces of varying size, the first byte
 * choosing them) under a cap of 1 MiB of output: the decoder must neither crash nor hand out
 * more than the cap, and must agree with itself whole versus in pieces. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/error.h"
#include "intake/collect.h"

#define CAP (1u << 20)

typedef struct sink {
    size_t len;
    uint32_t sum;
} sink_t;

static int take(void *ctx, const void *p, size_t n)
{
    sink_t *s = ctx;
    const unsigned char *b = p;

    if (n > CAP - s->len)
        return ERMES_ERANGE;
    for (size_t k = 0; k < n; k++)
        s->sum = s->sum * 31 + b[k];
    s->len += n;
    return 0;
}

static int run(const uint8_t *data, size_t size, size_t step, sink_t *s)
{
    ermes__gunzip_t *g;
    int rc = 0;

    memset(s, 0, sizeof(*s));
    if (ermes__gunzip_new(&g))
        abort();
    for (size_t k = 0; k < size && rc == 0; k += step)
        rc = ermes__gunzip_feed(g, data + k, size - k < step ? size - k : step, take, s);
    if (rc == 0)
        rc = ermes__gunzip_end(g) ? 1 : 0;
    ermes__gunzip_free(g);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sink_t whole, pieces;
    int a, b;

    if (size < 1)
        return 0;
    a = run(data + 1, size - 1, size, &whole);
    b = run(data + 1, size - 1, (size_t)data[0] % 64 + 1, &pieces);
    if (whole.len > CAP || pieces.len > CAP)
        abort();
    /* Output up to where each stopped is the same bytes; where both ended well, all of it. */
    if (a == 0 && b == 0 && (whole.len != pieces.len || whole.sum != pieces.sum)) {
        fprintf(stderr, "fuzz_gunzip: whole and in pieces differ\n");
        abort();
    }
    return 0;
}
