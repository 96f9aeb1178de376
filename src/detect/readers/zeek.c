/* Zeek logs in the ASCII writer's TSV form: "#separator", "#set_separator", "#empty_field",
 * "#unset_field", "#path", "#fields", "#types" header lines, then one record per line with
 * \xHH escapes for separators and unprintable bytes. The columns looked at (conn, dns, http,
 * ssl, files, x509, smtp) are in the table below, shared with the Zeek JSON reader. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/detect_int.h"

static const det_fieldspec_t zeek_specs[] = {
    {"ts", ERMES_FIELD_AUTO, DET_ROLE_TIME},
    {"_system_name", ERMES_FIELD_AUTO, DET_ROLE_SENSOR},
    {"id.orig_h", ERMES_FIELD_IP, DET_ROLE_FIELD | DET_ROLE_SRC},
    {"id.resp_h", ERMES_FIELD_IP, DET_ROLE_FIELD | DET_ROLE_DST},
    {"query", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD},       /* dns */
    {"answers", ERMES_FIELD_AUTO, DET_ROLE_FIELD},       /* dns: names and addresses */
    {"host", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD},        /* http */
    {"uri", ERMES_FIELD_URL, DET_ROLE_FIELD},            /* http */
    {"server_name", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD}, /* ssl */
    {"ja3", ERMES_FIELD_JA3, DET_ROLE_FIELD},            /* ssl, with the ja3 package */
    {"ja4", ERMES_FIELD_JA4, DET_ROLE_FIELD},            /* ssl, with the ja4 package */
    {"md5", ERMES_FIELD_HASH, DET_ROLE_FIELD},           /* files */
    {"sha1", ERMES_FIELD_HASH, DET_ROLE_FIELD},
    {"sha256", ERMES_FIELD_HASH, DET_ROLE_FIELD},
    {"tx_hosts", ERMES_FIELD_IP, DET_ROLE_FIELD},
    {"rx_hosts", ERMES_FIELD_IP, DET_ROLE_FIELD},
    {"san.dns", ERMES_FIELD_DOMAIN, DET_ROLE_FIELD}, /* x509 */
    {"san.ip", ERMES_FIELD_IP, DET_ROLE_FIELD},
    {"san.email", ERMES_FIELD_EMAIL, DET_ROLE_FIELD},
    {"fingerprint", ERMES_FIELD_HASH, DET_ROLE_FIELD}, /* x509 (Zeek 6: SHA-256) */
    {"mailfrom", ERMES_FIELD_EMAIL, DET_ROLE_FIELD},   /* smtp */
    {"rcptto", ERMES_FIELD_EMAIL, DET_ROLE_FIELD},
};

const det_fieldspec_t *ermes__det_zeek_spec(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(zeek_specs) / sizeof(zeek_specs[0]); i++)
        if (strlen(zeek_specs[i].path) == len && memcmp(zeek_specs[i].path, name, len) == 0)
            return &zeek_specs[i];
    return NULL;
}

#define MAX_COLS 512

struct det_zeek_tsv {
    char sep[8], set_sep[8];
    size_t sep_len, set_sep_len;
    char empty[32], unset[32];
    size_t empty_len, unset_len;
    char path[64];
    size_t ncols;
    const det_fieldspec_t *spec[MAX_COLS];
    unsigned char is_set[MAX_COLS];
};

int ermes__det_zeek_tsv_new(det_zeek_tsv_t **out)
{
    det_zeek_tsv_t *z = ermes__calloc(1, sizeof(*z));

    if (!z)
        return ERMES_ENOMEM;
    z->sep[0] = '\t';
    z->sep_len = 1;
    z->set_sep[0] = ',';
    z->set_sep_len = 1;
    memcpy(z->empty, "(empty)", 7);
    z->empty_len = 7;
    z->unset[0] = '-';
    z->unset_len = 1;
    *out = z;
    return 0;
}

void ermes__det_zeek_tsv_free(det_zeek_tsv_t *z)
{
    ermes__free(z);
}

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes Zeek's \xHH escapes into out (capacity n); returns the length. */
static size_t unescape(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o < cap; i++) {
        if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && hexv((unsigned char)s[i + 2]) >= 0 &&
            hexv((unsigned char)s[i + 3]) >= 0) {
            out[o++] = (char)(hexv((unsigned char)s[i + 2]) << 4 | hexv((unsigned char)s[i + 3]));
            i += 3;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

static const char *find(const char *p, const char *end, const char *sep, size_t n)
{
    if (n == 1)
        return memchr(p, sep[0], (size_t)(end - p));
    return memmem(p, (size_t)(end - p), sep, n);
}

static void header_value(const char *v, size_t n, char *out, size_t cap, size_t *outlen)
{
    if (n >= cap)
        n = cap - 1;
    *outlen = unescape(v, n, out, cap - 1);
    out[*outlen] = '\0';
}

static int header(det_zeek_tsv_t *z, const char *line, size_t len, ermes_diag_t *d)
{
    const char *end = line + len, *p;
    size_t n;

    if (len > 11 && memcmp(line, "#separator ", 11) == 0) {
        header_value(line + 11, len - 11, z->sep, sizeof(z->sep), &z->sep_len);
        if (z->sep_len == 0) {
            z->sep[0] = '\t';
            z->sep_len = 1;
        }
        return 0;
    }
    /* Every other header is "#name<sep>value...". */
    p = find(line, end, z->sep, z->sep_len);
    if (!p)
        return 0;
    n = (size_t)(p - line);
    p += z->sep_len;
    if (n == 14 && memcmp(line, "#set_separator", 14) == 0) {
        header_value(p, (size_t)(end - p), z->set_sep, sizeof(z->set_sep), &z->set_sep_len);
        if (!z->set_sep_len) {
            z->set_sep[0] = ',';
            z->set_sep_len = 1;
        }
    } else if (n == 12 && memcmp(line, "#empty_field", 12) == 0) {
        header_value(p, (size_t)(end - p), z->empty, sizeof(z->empty), &z->empty_len);
    } else if (n == 12 && memcmp(line, "#unset_field", 12) == 0) {
        header_value(p, (size_t)(end - p), z->unset, sizeof(z->unset), &z->unset_len);
    } else if (n == 5 && memcmp(line, "#path", 5) == 0) {
        size_t pl;
        header_value(p, (size_t)(end - p), z->path, sizeof(z->path), &pl);
    } else if (n == 7 && memcmp(line, "#fields", 7) == 0) {
        z->ncols = 0;
        while (p <= end) {
            const char *e = find(p, end, z->sep, z->sep_len);
            if (!e)
                e = end;
            if (z->ncols == MAX_COLS) {
                ermes_diag_set(d, "#fields", "more than %d columns", MAX_COLS);
                z->ncols = 0;
                return ERMES_EPARSE;
            }
            z->spec[z->ncols] = ermes__det_zeek_spec(p, (size_t)(e - p));
            z->is_set[z->ncols] = 0;
            z->ncols++;
            p = e + z->sep_len;
        }
    } else if (n == 6 && memcmp(line, "#types", 6) == 0) {
        size_t c = 0;
        while (p <= end && c < z->ncols) {
            const char *e = find(p, end, z->sep, z->sep_len);
            if (!e)
                e = end;
            z->is_set[c++] = (e - p > 4 && memcmp(p, "set[", 4) == 0) ||
                             (e - p > 7 && memcmp(p, "vector[", 7) == 0);
            p = e + z->sep_len;
        }
    }
    return 0;
}

static void column(det_zeek_tsv_t *z, det_rec_t *r, size_t c, const char *v, size_t n)
{
    const det_fieldspec_t *spec = z->spec[c];

    if ((n == z->unset_len && memcmp(v, z->unset, n) == 0) ||
        (n == z->empty_len && memcmp(v, z->empty, n) == 0))
        return;
    if (memchr(v, '\\', n)) {
        char *out = ermes__det_rec_scratch(r, NULL, n);
        if (!out)
            return;
        n = unescape(v, n, out, n);
        v = out;
    }
    if (z->is_set[c] || (spec->roles & DET_ROLE_FIELD && memmem(v, n, z->set_sep, z->set_sep_len) &&
                         spec->kind != ERMES_FIELD_URL)) {
        const char *p = v, *end = v + n;
        while (p <= end) {
            const char *e = find(p, end, z->set_sep, z->set_sep_len);
            if (!e)
                e = end;
            if (e > p && spec->roles & DET_ROLE_FIELD)
                ermes__det_rec_add(r, spec->path, spec->kind, p, (size_t)(e - p));
            p = e + z->set_sep_len;
        }
        return;
    }
    if (spec->roles & DET_ROLE_FIELD)
        ermes__det_rec_add(r, spec->path, spec->kind, v, n);
    ermes__det_rec_role(r, spec, v, n);
}

int ermes__det_zeek_tsv_line(det_zeek_tsv_t *z, const char *line, size_t len, det_rec_t *r,
                             ermes_diag_t *d)
{
    const char *p = line, *end = line + len;
    size_t c = 0;

    if (len && line[0] == '#')
        return header(z, line, len, d);
    if (z->ncols == 0) {
        ermes_diag_set(d, NULL, "a Zeek record before any #fields header");
        return ERMES_EPARSE;
    }
    while (p <= end) {
        const char *e = find(p, end, z->sep, z->sep_len);
        if (!e)
            e = end;
        if (c >= z->ncols) {
            c++;
            break;
        }
        if (z->spec[c])
            column(z, r, c, p, (size_t)(e - p));
        c++;
        p = e + z->sep_len;
    }
    if (c != z->ncols) {
        ermes_diag_set(d, NULL, "the record has %s%zu columns, #fields names %zu",
                       c > z->ncols ? "more than " : "", c > z->ncols ? z->ncols : c, z->ncols);
        return ERMES_EPARSE;
    }
    if (!r->rec->sensor && z->path[0]) {
        r->rec->sensor = z->path;
        r->rec->sensor_len = strlen(z->path);
    }
    return 1;
}
