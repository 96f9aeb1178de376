/* The warninglists in force (see warninglists.h): the shipped ones unpacked from the binary,
 * the data directory's, the setting's, with their switches. */
#include "indicators/warninglists.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "indicators/indicators.h"

/* The blob of scripts/pack-warninglists.py, put in the binary by CMakeLists.txt. */
extern const unsigned char ermes__builtin_warninglists[];
extern const unsigned char ermes__builtin_warninglists_end[];

#define WL_FILE_MAX ((size_t)64 << 20) /* one list file; the largest MISP list is 2 MB */
#define WL_BLOB_MAX ((size_t)256 << 20)

/* The hashes of zero bytes: a file that is empty is no evidence of anything, yet feeds list
 * these as malware. Built in, so that they are never live by default whatever is shipped. */
static const char empty_hashes[] =
    "{\"name\": \"Hashes of the empty file\", \"version\": 1, \"type\": \"string\","
    " \"description\": \"MD5, SHA-1, SHA-256 and SHA-512 of zero bytes (built into ermes)\","
    " \"matching_attributes\": [\"md5\", \"sha1\", \"sha256\", \"sha512\"], \"list\": ["
    "\"d41d8cd98f00b204e9800998ecf8427e\","
    "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\","
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
    "\"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d28"
    "77eec2f63b931bd47417a81a538327af927da3e\"]}";

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ermes__wl_builtin_each(int (*cb)(void *ctx, const char *id, const char *json, size_t len),
                           void *ctx)
{
    size_t zlen = (size_t)(ermes__builtin_warninglists_end - ermes__builtin_warninglists);
    unsigned char *out = NULL;
    size_t cap = 0, len = 0, at = 0;
    z_stream zs;
    int zr, rc = 0;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        return ERMES_ENOMEM;
    zs.next_in = (unsigned char *)ermes__builtin_warninglists;
    zs.avail_in = (uInt)zlen;
    do {
        if (len == cap) {
            size_t c = cap ? cap * 2 : (size_t)16 << 20;
            unsigned char *grown;
            if (c > WL_BLOB_MAX || !(grown = ermes__realloc(out, c))) {
                rc = c > WL_BLOB_MAX ? ERMES_EINTERNAL : ERMES_ENOMEM;
                goto out;
            }
            out = grown;
            cap = c;
        }
        zs.next_out = out + len;
        zs.avail_out = (uInt)(cap - len);
        zr = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
        if (zr != Z_OK && zr != Z_STREAM_END) {
            rc = zr == Z_MEM_ERROR ? ERMES_ENOMEM : ERMES_EINTERNAL;
            goto out;
        }
    } while (zr != Z_STREAM_END);
    /* Records: id length, id, data length, data. */
    while (at < len && rc == 0) {
        char id[ERMES_WL_ID_MAX];
        uint32_t ilen, dlen;
        if (len - at < 4 || (ilen = be32(out + at)) >= sizeof(id) || len - at - 4 < ilen + 4) {
            rc = ERMES_EINTERNAL;
            break;
        }
        memcpy(id, out + at + 4, ilen);
        id[ilen] = '\0';
        at += 4 + ilen;
        if ((dlen = be32(out + at)) > len - at - 4) {
            rc = ERMES_EINTERNAL;
            break;
        }
        rc = cb(ctx, id, (const char *)out + at + 4, dlen);
        at += 4 + dlen;
    }
out:
    inflateEnd(&zs);
    ermes__free(out);
    return rc;
}

/* ---- the catalog ------------------------------------------------------------------------- */

static ermes__wl_entry_t *find(ermes__wl_catalog_t *c, const char *id)
{
    for (size_t k = 0; k < c->n; k++)
        if (strcmp(c->v[k].id, id) == 0)
            return &c->v[k];
    return NULL;
}

const ermes__wl_entry_t *ermes__wl_catalog_find(const ermes__wl_catalog_t *c, const char *id)
{
    return find((ermes__wl_catalog_t *)c, id);
}

/* Adds the list id from json (a new entry, or replacing one of that id when replace allows:
 * a data directory file replaces a shipped list of the same version or older). */
static int add(ermes__wl_catalog_t *c, const char *id, const char *origin, const char *json,
               size_t len)
{
    ermes__wl_entry_t *e = find(c, id);
    ermes_warninglist_t *wl = NULL;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_warninglist_new(json, len, &wl, &d);
    if (rc == ERMES_ENOMEM)
        return rc;
    if (e && !wl && e->wl) {
        /* A broken file does not take a good list away: the one read before (the shipped
         * list) stays in force, listed with the file's error. */
        snprintf(e->error, sizeof(e->error), "%.40s%s%.150s", d.field[0] ? d.field : "",
                 d.field[0] ? ": " : "", d.reason);
        return 0;
    }
    if (e) {
        /* An older file does not replace a newer shipped list: a stale copy left in the
         * data directory after an upgrade must not roll the list back. */
        if (wl && e->wl && ermes_warninglist_version(wl) < ermes_warninglist_version(e->wl)) {
            ermes_warninglist_free(wl);
            return 0;
        }
        ermes_warninglist_free(e->wl);
    } else {
        ermes__wl_entry_t *grown = ermes__reallocarray(c->v, c->n + 1, sizeof(*c->v));
        if (!grown) {
            ermes_warninglist_free(wl);
            return ERMES_ENOMEM;
        }
        c->v = grown;
        e = &c->v[c->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->id, sizeof(e->id), "%s", id);
        e->enabled = 1;
    }
    e->origin = origin;
    e->wl = wl;
    e->error[0] = '\0';
    if (!wl)
        snprintf(e->error, sizeof(e->error), "%.40s%s%.150s", d.field[0] ? d.field : "",
                 d.field[0] ? ": " : "", d.reason);
    return 0;
}

struct builtin_ctx {
    ermes__wl_catalog_t *c;
    const int *stop;
};

static int builtin_cb(void *ctx, const char *id, const char *json, size_t len)
{
    struct builtin_ctx *b = ctx;

    if (b->stop && __atomic_load_n(b->stop, __ATOMIC_RELAXED))
        return ERMES_EBUSY;
    return add(b->c, id, "builtin", json, len);
}

/* A file name that makes an id: NAME.json, NAME of letters, digits, '-', '_' and '.'. */
static int id_of_file(const char *name, char id[ERMES_WL_ID_MAX])
{
    size_t n = strlen(name);

    if (n <= 5 || n - 5 >= ERMES_WL_ID_MAX || strcmp(name + n - 5, ".json") != 0 || name[0] == '.')
        return 0;
    for (size_t k = 0; k < n - 5; k++) {
        char ch = name[k];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    memcpy(id, name, n - 5);
    id[n - 5] = '\0';
    return 1;
}

static char *read_file(const char *path, size_t *len, int *too_big)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, r;

    *too_big = 0;
    if (!f)
        return NULL;
    do {
        if (n == cap) {
            char *grown;
            if (cap >= WL_FILE_MAX) {
                *too_big = 1;
                goto fail;
            }
            cap = cap ? cap * 2 : 65536;
            if (!(grown = ermes__realloc(buf, cap)))
                goto fail;
            buf = grown;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    if (ferror(f))
        goto fail;
    fclose(f);
    *len = n;
    return buf;
fail:
    fclose(f);
    ermes__free(buf);
    return NULL;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DATA_DIR/warninglists/<id>.json, in name order. */
static int rebuild_active(ermes__wl_catalog_t *c);

/* The origin an entry read from the data directory gets: "data_dir", unless a broken file
 * leaves the list it would have replaced in force (add keeps that one's origin then). */
static const char *origin_of(ermes__wl_catalog_t *c, const char *id)
{
    ermes__wl_entry_t *e = find(c, id);
    return e && e->wl ? e->origin : "data_dir";
}

int ermes__wl_dir_stamp(const char *data_dir, uint64_t *out)
{
    char path[4096];
    struct dirent *de;
    uint64_t sum = 0;
    DIR *dir;

    *out = 0;
    if (!data_dir ||
        (size_t)snprintf(path, sizeof(path), "%s/warninglists", data_dir) >= sizeof(path))
        return 0;
    if (!(dir = opendir(path)))
        return 0; /* none: the stamp of an empty directory */
    while ((de = readdir(dir))) {
        char id[ERMES_WL_ID_MAX], file[4352];
        struct stat sb;
        uint64_t h = 1469598103934665603ULL; /* FNV-1a of name, size, mtime (ns) */
        uint64_t parts[3];
        if (!id_of_file(de->d_name, id))
            continue;
        snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
        if (stat(file, &sb) != 0)
            continue;
        for (const char *p = de->d_name; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        parts[0] = (uint64_t)sb.st_size;
        parts[1] = (uint64_t)sb.st_mtim.tv_sec;
        parts[2] = (uint64_t)sb.st_mtim.tv_nsec;
        for (size_t k = 0; k < sizeof(parts); k++)
            h = (h ^ ((const unsigned char *)parts)[k]) * 1099511628211ULL;
        /* Summed: the order readdir gives does not matter. */
        sum += h;
    }
    closedir(dir);
    *out = sum ? sum : 1;
    return 0;
}

int ermes__wl_catalog_keep_good(ermes__wl_catalog_t *fresh, ermes__wl_catalog_t *old)
{
    for (size_t k = 0; k < fresh->n; k++) {
        ermes__wl_entry_t *e = &fresh->v[k], *was;
        if (!e->error[0] || !(was = find(old, e->id)) || !was->wl)
            continue;
        /* The file is broken now: the version in force before stays (moved out of old). */
        ermes_warninglist_free(e->wl);
        e->wl = was->wl;
        e->origin = was->origin;
        was->wl = NULL;
    }
    return rebuild_active(fresh);
}

static int load_dir(ermes__wl_catalog_t *c, const char *data_dir)
{
    char path[4096];
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    DIR *dir;
    int rc = 0;

    if ((size_t)snprintf(path, sizeof(path), "%s/warninglists", data_dir) >= sizeof(path) ||
        !(dir = opendir(path)))
        return 0; /* none dropped there */
    while ((de = readdir(dir))) {
        char id[ERMES_WL_ID_MAX], **grown;
        if (!id_of_file(de->d_name, id))
            continue;
        if (!(grown = ermes__reallocarray(names, n + 1, sizeof(*names))) ||
            !(grown[n] = ermes__strdup(de->d_name))) {
            if (grown)
                names = grown;
            rc = ERMES_ENOMEM;
            break;
        }
        names = grown;
        n++;
    }
    closedir(dir);
    if (!rc && n)
        qsort(names, n, sizeof(*names), cmp_name);
    for (size_t k = 0; k < n && rc == 0; k++) {
        char file[4352], id[ERMES_WL_ID_MAX];
        size_t len = 0;
        int too_big;
        char *data;
        id_of_file(names[k], id);
        snprintf(file, sizeof(file), "%s/%s", path, names[k]);
        if ((data = read_file(file, &len, &too_big))) {
            rc = add(c, id, "data_dir", data, len);
            ermes__free(data);
        } else {
            /* Listed with its error: the operator sees it, the other lists still load. */
            ermes__wl_entry_t *e;
            if ((rc = add(c, id, origin_of(c, id), "", 0)) == 0 && (e = find(c, id)))
                snprintf(e->error, sizeof(e->error), "%.120s: %s", names[k],
                         too_big ? "larger than 64 MiB" : "cannot be read");
        }
    }
    for (size_t k = 0; k < n; k++)
        ermes__free(names[k]);
    ermes__free(names);
    return rc;
}

static int rebuild_active(ermes__wl_catalog_t *c)
{
    ermes_warninglist_t **a = NULL;
    size_t n = 0;

    if (c->n && !(a = ermes__calloc(c->n, sizeof(*a))))
        return ERMES_ENOMEM;
    for (size_t k = 0; k < c->n; k++)
        if (c->v[k].enabled && c->v[k].wl)
            a[n++] = c->v[k].wl;
    ermes__free(c->active);
    c->active = a;
    c->nactive = n;
    return 0;
}

static int switch_cb(void *ctx, const char *id, int enabled)
{
    ermes__wl_entry_t *e = find(ctx, id);

    if (e) {
        e->enabled = enabled;
        e->switched = 1;
    }
    return 0;
}

int ermes__wl_catalog_load(const char *data_dir, const char *files, const char *off,
                           ermes__store_t *st, ermes__wl_catalog_t *out, ermes_diag_t *d)
{
    return ermes__wl_catalog_load_until(data_dir, files, off, st, NULL, out, d);
}

int ermes__wl_catalog_load_until(const char *data_dir, const char *files, const char *off,
                                 ermes__store_t *st, const int *stop, ermes__wl_catalog_t *out,
                                 ermes_diag_t *d)
{
    ermes__wl_catalog_t c = {0};
    struct builtin_ctx bc = {&c, stop};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = ermes__wl_builtin_each(builtin_cb, &bc)) ||
        (rc = add(&c, "empty-file-hashes", "builtin", empty_hashes, sizeof(empty_hashes) - 1)))
        goto fail;
    if (data_dir && (rc = load_dir(&c, data_dir)))
        goto fail;
    /* The setting's files: an operator's own lists, which must load. */
    {
        ermes_warninglist_t **wls = NULL;
        size_t n = 0;
        const char *p = files ? files : "";
        if ((rc = ermes__warninglists_load(files, &wls, &n, d)))
            goto fail;
        for (size_t k = 0; k < n; k++) {
            /* Their id: the file's name without directory and .json. */
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            const char *base = p;
            size_t blen;
            for (size_t j = 0; j < len; j++)
                if (p[j] == '/')
                    base = p + j + 1;
            blen = len - (size_t)(base - p);
            ermes__wl_entry_t *grown;
            if (blen > 5 && memcmp(base + blen - 5, ".json", 5) == 0)
                blen -= 5;
            if (!(grown = ermes__reallocarray(c.v, c.n + 1, sizeof(*c.v)))) {
                for (size_t j = k; j < n; j++)
                    ermes_warninglist_free(wls[j]);
                ermes__free(wls);
                rc = ERMES_ENOMEM;
                goto fail;
            }
            c.v = grown;
            memset(&c.v[c.n], 0, sizeof(c.v[c.n]));
            snprintf(c.v[c.n].id, sizeof(c.v[c.n].id), "%.*s", (int)blen, base);
            c.v[c.n].origin = "setting";
            c.v[c.n].wl = wls[k];
            c.v[c.n].enabled = 1;
            c.n++;
            p = e ? e + 1 : p + len;
            while (*p == ',')
                p++;
        }
        ermes__free(wls);
    }
    /* warninglists_off, then the stored switches, which win. */
    for (const char *p = off ? off : ""; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char id[ERMES_WL_ID_MAX];
        ermes__wl_entry_t *en;
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len && len < sizeof(id)) {
            memcpy(id, p, len);
            id[len] = '\0';
            if ((en = find(&c, id)))
                en->enabled = 0;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (st && (rc = ermes__store_wl_switch_each(st, switch_cb, &c)))
        goto fail;
    if ((rc = rebuild_active(&c)))
        goto fail;
    *out = c;
    return 0;
fail:
    ermes__wl_catalog_free(&c);
    return rc;
}

void ermes__wl_catalog_free(ermes__wl_catalog_t *c)
{
    if (!c)
        return;
    for (size_t k = 0; k < c->n; k++)
        ermes_warninglist_free(c->v[k].wl);
    ermes__free(c->v);
    ermes__free(c->active);
    memset(c, 0, sizeof(*c));
}

int ermes__wl_catalog_switch(ermes__wl_catalog_t *c, const char *id, int enabled)
{
    ermes__wl_entry_t *e = find(c, id);

    if (!e)
        return ERMES_ENOTFOUND;
    e->enabled = enabled != 0;
    e->switched = 1;
    return rebuild_active(c);
}
