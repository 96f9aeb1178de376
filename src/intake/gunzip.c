/* Gzip bodies of collectors (collect.h): a feed published as a .gz file (CZ.NIC HaaS) is
 * decoded as it arrives, so the report holds what the parser reads. The decoded size is what
 * the collector's cap limits (a small gzip file may inflate a thousandfold). Concatenated
 * gzip members (RFC 1952 section 2.2) are one file. */
#include "intake/collect.h"

#include <zlib.h>

#include "core/alloc.h"

struct ermes__gunzip {
    z_stream z;
    int ended;  /* the last member ended: only another member may follow */
    int failed; /* not gzip, or corrupt */
};

int ermes__gunzip_new(ermes__gunzip_t **out)
{
    ermes__gunzip_t *g = ermes__calloc(1, sizeof(*g));

    if (!g)
        return ERMES_ENOMEM;
    /* 16 + MAX_WBITS: a gzip header and trailer, nothing else (zlib's inflateInit2). */
    if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
        ermes__free(g);
        return ERMES_ENOMEM;
    }
    *out = g;
    return 0;
}

void ermes__gunzip_free(ermes__gunzip_t *g)
{
    if (!g)
        return;
    inflateEnd(&g->z);
    ermes__free(g);
}

int ermes__gunzip_feed(ermes__gunzip_t *g, const void *in, size_t n, ermes__gunzip_out_cb cb,
                       void *ctx)
{
    unsigned char buf[16384];

    if (g->failed)
        return ERMES_EINVAL;
    g->z.next_in = (unsigned char *)(uintptr_t)in;
    while (n) {
        /* avail_in is an unsigned int: a larger write is fed in pieces. */
        uInt piece = n > 1u << 30 ? 1u << 30 : (uInt)n;
        g->z.avail_in = piece;
        while (g->z.avail_in) {
            int zr, rc;
            if (g->ended) {
                if (inflateReset(&g->z) != Z_OK) {
                    g->failed = 1;
                    return ERMES_EINVAL;
                }
                g->ended = 0;
            }
            g->z.next_out = buf;
            g->z.avail_out = sizeof(buf);
            zr = inflate(&g->z, Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
                g->failed = 1;
                return ERMES_EINVAL;
            }
            if (sizeof(buf) - g->z.avail_out && (rc = cb(ctx, buf, sizeof(buf) - g->z.avail_out)))
                return rc;
            if (zr == Z_STREAM_END)
                g->ended = 1;
            else if (zr == Z_BUF_ERROR && g->z.avail_out) {
                g->failed = 1; /* no progress with input and room: never ends */
                return ERMES_EINVAL;
            }
        }
        n -= piece;
    }
    return 0;
}

int ermes__gunzip_end(ermes__gunzip_t *g)
{
    return g->failed || !g->ended ? ERMES_EINVAL : 0;
}
