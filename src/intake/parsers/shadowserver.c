/* Shadowserver reports: one data-driven parser for every report type, driven by Shadowserver's
 * own mapping (report_schema's intelmq.json: per report type its file name, feed name, required
 * and optional columns with a conversion each, and constant fields). The mapping is built in
 * (data/shadowserver/intelmq.json); a newer one is picked up from a file (see
 * ermes__report_info_t.schema_path) and reloaded when that file changes.
 *
 * Which report: the "report" option (a file name such as scan_adb, or a feed name such as
 * Accessible-ADB), else the file name ("2026-01-01-scan_adb-example-geo.csv" or "scan_adb.csv",
 * Shadowserver's naming, which is authoritative), else the CSV header: the report type whose
 * required columns are all there and whose mapping fits the header best (fewest header columns
 * it does not map, then fewest of its columns missing, then the first row's address family).
 * Report types with near-identical columns exist (scan_http and scan_cwmp), so this is a best
 * effort: a tie refuses the report and names the closest types.
 *
 * Per row, as IntelMQ's Shadowserver parser does: required columns first (a value that does not
 * convert or validate rejects the row), then optional ones, then the constant fields, and every
 * column not used and not empty goes to extra.<column> (sic and size, which the mapping leaves
 * out, as numbers: see implicit_mappings). Two differences, both so that nothing
 * is lost: an optional value that fails its conversion or validation is kept in extra.<column>
 * as text (IntelMQ drops it), and a required IP that is not an IP rejects the row (IntelMQ
 * emits the event without it). A row whose field count differs from the header's is rejected,
 * except a row one short (the exports omit an empty last field). */
#include "intake/parsers/feedparse.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/log.h"
#include "core/time.h"
#include "core/strbuf.h"
#include "model/harmonize.h"

/* The built-in mapping, compiled in by CMake (scripts/embed.cmake). */
extern const unsigned char ermes__shadowserver_schema[];
extern const size_t ermes__shadowserver_schema_len;

typedef enum conv {
    CV_NONE,
    CV_UTC_TIMESTAMP,
    CV_BOOL,
    CV_TO_NONE,
    CV_INT,
    CV_FLOAT,
    CV_HOST_AND_URL,
    CV_INVALIDATE_ZERO,
    CV_IP,
    CV_NETWORK,
    CV_FQDN,
    CV_DATE,
    CV_DATE_UTC,
    CV_BASE64,
    CV_EXCHANGE_TAXONOMY,
    CV_EXCHANGE_TYPE,
    CV_EXCHANGE_IDENTIFIER,
    CV_CVE_FROM_TAG,
    CV_CATEGORY_OR_DETAIL
} conv_t;

static const struct {
    const char *name;
    conv_t conv;
} conv_names[] = {
    {"add_UTC_to_timestamp", CV_UTC_TIMESTAMP},
    {"convert_bool", CV_BOOL},
    {"validate_to_none", CV_TO_NONE},
    {"convert_int", CV_INT},
    {"convert_float", CV_FLOAT},
    {"convert_http_host_and_url", CV_HOST_AND_URL},
    {"invalidate_zero", CV_INVALIDATE_ZERO},
    {"validate_ip", CV_IP},
    {"validate_network", CV_NETWORK},
    {"validate_fqdn", CV_FQDN},
    {"convert_date", CV_DATE},
    {"convert_date_utc", CV_DATE_UTC},
    {"force_base64", CV_BASE64},
    {"scan_exchange_taxonomy", CV_EXCHANGE_TAXONOMY},
    {"scan_exchange_type", CV_EXCHANGE_TYPE},
    {"scan_exchange_identifier", CV_EXCHANGE_IDENTIFIER},
    {"extract_cve_from_tag", CV_CVE_FROM_TAG},
    {"category_or_detail", CV_CATEGORY_OR_DETAIL},
};

/* One column's mapping. The target is a harmonized field, or extra.<extra>. */
typedef struct mapping {
    char *column;
    char *key;           /* as the schema says, for messages */
    ermes_field_t field; /* ERMES_F_COUNT: an extra */
    char *extra;         /* extra key (without "extra."); NULL with a field or when ignored */
    conv_t conv;
    int required;
    int ignore;   /* (false, column) or __IGNORE__: the column is used up, nothing set */
    int implicit; /* not the schema's (implicit_mappings): left out when guessing the report */
} mapping_t;

typedef struct constant {
    ermes_field_t field; /* ERMES_F_COUNT: extra */
    char *extra;
    char *value;
} constant_t;

typedef struct ss_report {
    char *file_name;
    char *feed_name;
    mapping_t *maps;
    size_t nmaps;
    size_t nrequired;
    constant_t *consts;
    size_t nconsts;
} ss_report_t;

typedef struct ss_schema {
    int refs;
    char *path; /* NULL: built in */
    struct stat st;
    ss_report_t *reports;
    size_t nreports;
} ss_schema_t;

/* ---- the schema: load, cache ------------------------------------------------------------- */

static void schema_free(ss_schema_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nreports; i++) {
        ss_report_t *r = &s->reports[i];
        for (size_t k = 0; k < r->nmaps; k++) {
            ermes__free(r->maps[k].column);
            ermes__free(r->maps[k].key);
            ermes__free(r->maps[k].extra);
        }
        for (size_t k = 0; k < r->nconsts; k++) {
            ermes__free(r->consts[k].extra);
            ermes__free(r->consts[k].value);
        }
        ermes__free(r->maps);
        ermes__free(r->consts);
        ermes__free(r->file_name);
        ermes__free(r->feed_name);
    }
    ermes__free(s->reports);
    ermes__free(s->path);
    ermes__free(s);
}

/* Where a schema key goes: a harmonized field, an extra, or nowhere. */
static int target_of(const char *key, const char *column, ermes_field_t *field, char **extra)
{
    *field = ERMES_F_COUNT;
    *extra = NULL;
    if (strcmp(key, "extra.") == 0)
        *extra = ermes__strdup(column);
    else if (strncmp(key, "extra.", 6) == 0)
        *extra = ermes__strdup(key + 6);
    else if ((*field = ermes_field_lookup(key, strlen(key))) == ERMES_F_COUNT)
        *extra = ermes__strdup(key); /* no such field: IntelMQ keeps it in extra */
    return *field == ERMES_F_COUNT && !*extra ? ERMES_ENOMEM : 0;
}

static int load_mappings(ss_report_t *r, json_t *list, int required, const char *where,
                         ermes_diag_t *d)
{
    size_t i;
    json_t *item;

    if (!list)
        return 0;
    if (!json_is_array(list)) {
        ermes_diag_set(d, NULL, "%s: %s_fields is not a list", where,
                       required ? "required" : "optional");
        return ERMES_EPARSE;
    }
    json_array_foreach(list, i, item)
    {
        mapping_t *m = &r->maps[r->nmaps];
        json_t *key = json_array_get(item, 0), *col = json_array_get(item, 1);
        json_t *fn = json_array_get(item, 2);

        if (!json_is_array(item) || !json_is_string(col) ||
            (!json_is_string(key) && !json_is_false(key))) {
            ermes_diag_set(d, NULL, "%s: entry %zu of %s_fields is not [key, column, ...]", where,
                           i, required ? "required" : "optional");
            return ERMES_EPARSE;
        }
        memset(m, 0, sizeof(*m));
        m->required = required;
        m->field = ERMES_F_COUNT;
        if (!(m->column = ermes__strdup(json_string_value(col))) ||
            !(m->key = ermes__strdup(json_is_string(key) ? json_string_value(key) : "false"))) {
            ermes__free(m->column);
            return ERMES_ENOMEM;
        }
        r->nmaps++;
        if (!json_is_string(key) || strcmp(m->key, "__IGNORE__") == 0)
            m->ignore = 1;
        else if (target_of(m->key, m->column, &m->field, &m->extra))
            return ERMES_ENOMEM;
        m->conv = CV_NONE;
        if (json_is_string(fn)) {
            size_t k;
            for (k = 0; k < sizeof(conv_names) / sizeof(conv_names[0]); k++)
                if (strcmp(conv_names[k].name, json_string_value(fn)) == 0)
                    break;
            if (k < sizeof(conv_names) / sizeof(conv_names[0]))
                m->conv = conv_names[k].conv;
            else
                /* A function this version does not know: the value is taken as it is. */
                ermes__log(ERMES_LOG_NOTICE,
                           "shadowserver schema: %s: unknown conversion \"%s\" for column "
                           "\"%s\"; the value is used as it is",
                           where, json_string_value(fn), m->column);
        }
    }
    return 0;
}

/* Columns of Shadowserver's reports that the published mapping leaves out (older exports and
 * the extra columns of some reports) are read as IntelMQ's Shadowserver tests expect them: sic
 * (the US Standard Industrial Classification of the address's owner) like naics, a number in
 * extra.sic and nothing for 0 (no classification); size (the older name of response_size) a
 * number in extra.size. Without this they would go to extra as text, sic "0" included. A
 * mapping that names the column itself wins. */
static const struct {
    const char *column;
    conv_t conv;
} implicit_columns[] = {
    {"sic", CV_INVALIDATE_ZERO},
    {"size", CV_INT},
};

static int implicit_mappings(ss_report_t *r)
{
    for (size_t i = 0; i < sizeof(implicit_columns) / sizeof(implicit_columns[0]); i++) {
        const char *col = implicit_columns[i].column;
        mapping_t *m = &r->maps[r->nmaps];
        size_t k;

        for (k = 0; k < r->nmaps; k++)
            if (strcmp(r->maps[k].column, col) == 0)
                break;
        if (k < r->nmaps)
            continue;
        memset(m, 0, sizeof(*m));
        m->field = ERMES_F_COUNT;
        m->conv = implicit_columns[i].conv;
        m->implicit = 1;
        if (!(m->column = ermes__strdup(col)) || !(m->key = ermes__strdup("extra.")) ||
            !(m->extra = ermes__strdup(col))) {
            ermes__free(m->column);
            ermes__free(m->key);
            return ERMES_ENOMEM;
        }
        r->nmaps++;
    }
    return 0;
}

static int load_report(ss_report_t *r, const char *name, json_t *o, ermes_diag_t *d)
{
    json_t *req = json_object_get(o, "required_fields"),
           *opt = json_object_get(o, "optional_fields");
    json_t *fn = json_object_get(o, "file_name"), *feed = json_object_get(o, "feed_name");
    json_t *cf = json_object_get(o, "constant_fields"), *v;
    const char *k;
    size_t n = json_array_size(req) + json_array_size(opt) +
               sizeof(implicit_columns) / sizeof(implicit_columns[0]);
    int rc;

    if (!json_is_object(o) || !json_is_string(feed)) {
        ermes_diag_set(d, NULL, "report \"%.64s\": no feed_name", name);
        return ERMES_EPARSE;
    }
    if (!(r->file_name = ermes__strdup(json_is_string(fn) ? json_string_value(fn) : name)) ||
        !(r->feed_name = ermes__strdup(json_string_value(feed))) ||
        !(r->maps = ermes__calloc(n ? n : 1, sizeof(*r->maps))))
        return ERMES_ENOMEM;
    if ((rc = load_mappings(r, req, 1, name, d)))
        return rc;
    r->nrequired = r->nmaps;
    if ((rc = load_mappings(r, opt, 0, name, d)))
        return rc;
    if ((rc = implicit_mappings(r)))
        return rc;
    if (cf && !json_is_object(cf)) {
        ermes_diag_set(d, NULL, "report \"%.64s\": constant_fields is not an object", name);
        return ERMES_EPARSE;
    }
    if (!(r->consts = ermes__calloc(json_object_size(cf) + 1, sizeof(*r->consts))))
        return ERMES_ENOMEM;
    json_object_foreach(cf, k, v)
    {
        constant_t *c = &r->consts[r->nconsts];
        if (!json_is_string(v)) {
            ermes_diag_set(d, NULL, "report \"%.64s\": constant %.64s is not a string", name, k);
            return ERMES_EPARSE;
        }
        if (!(c->value = ermes__strdup(json_string_value(v))))
            return ERMES_ENOMEM;
        r->nconsts++;
        if (target_of(k, k, &c->field, &c->extra))
            return ERMES_ENOMEM;
    }
    return 0;
}

static int schema_parse(const char *data, size_t len, ss_schema_t **out, ermes_diag_t *d)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr), *v;
    ss_schema_t *s = NULL;
    const char *name;
    int rc = 0;

    *out = NULL;
    if (!root || !json_is_object(root)) {
        if (root)
            ermes_diag_set(d, NULL, "the schema is not a JSON object");
        else
            ermes_diag_set(d, NULL, "the schema is not JSON: line %d: %.120s", jerr.line,
                           jerr.text);
        json_decref(root);
        return ERMES_EPARSE;
    }
    if (!(s = ermes__calloc(1, sizeof(*s))) ||
        !(s->reports = ermes__calloc(json_object_size(root) + 1, sizeof(*s->reports)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    json_object_foreach(root, name, v)
    {
        if (name[0] == '_') /* _meta */
            continue;
        rc = load_report(&s->reports[s->nreports], name, v, d);
        s->nreports++;
        if (rc)
            goto out;
    }
    if (!s->nreports) {
        ermes_diag_set(d, NULL, "the schema holds no report types");
        rc = ERMES_EPARSE;
    }
out:
    json_decref(root);
    if (rc)
        schema_free(s);
    else
        *out = s;
    return rc;
}

/* The cache: the built-in schema, and the one from a file (by path), each parsed once and
 * shared by every report being parsed; a file is parsed again when it changes. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static ss_schema_t *cache_builtin;
static ss_schema_t *cache_file;

static void schema_release(ss_schema_t *s)
{
    int last;

    if (!s)
        return;
    pthread_mutex_lock(&cache_lock);
    last = --s->refs == 0;
    pthread_mutex_unlock(&cache_lock);
    if (last)
        schema_free(s);
}

static int read_file(const char *path, char **data, size_t *len, ermes_diag_t *d)
{
    FILE *f = fopen(path, "rb");
    long n;

    *data = NULL;
    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        ermes_diag_set(d, NULL, "cannot read the Shadowserver schema %s: %s", path,
                       strerror(errno));
        if (f)
            fclose(f);
        return ERMES_EIO;
    }
    if (n > 64L << 20) {
        fclose(f);
        ermes_diag_set(d, NULL, "the Shadowserver schema %s is larger than 64 MiB", path);
        return ERMES_ETOOBIG;
    }
    if (!(*data = ermes__malloc((size_t)n + 1))) {
        fclose(f);
        return ERMES_ENOMEM;
    }
    *len = fread(*data, 1, (size_t)n, f);
    fclose(f);
    return 0;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int schema_acquire(const char *path, ss_schema_t **out, ermes_diag_t *d)
{
    ss_schema_t *s = NULL, *old = NULL;
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (path && stat(path, &st) != 0) {
        ermes_diag_set(d, NULL, "cannot read the Shadowserver schema %s: %s", path,
                       strerror(errno));
        return ERMES_EIO;
    }
    pthread_mutex_lock(&cache_lock);
    s = path ? cache_file : cache_builtin;
    if (s && (!path || (strcmp(s->path, path) == 0 && same_file(&s->st, &st)))) {
        s->refs++;
        pthread_mutex_unlock(&cache_lock);
        *out = s;
        return 0;
    }
    pthread_mutex_unlock(&cache_lock);

    /* Parsed outside the lock; two threads may both parse, one result is kept. */
    if (path) {
        if ((rc = read_file(path, &data, &len, d)))
            return rc;
        rc = schema_parse(data, len, &s, d);
        ermes__free(data);
        if (rc == ERMES_EPARSE)
            ermes_diag_set(d, NULL, "the Shadowserver schema %s is not valid: %s", path,
                           d ? d->reason : "");
        if (rc)
            return rc;
        if (!(s->path = ermes__strdup(path))) {
            schema_free(s);
            return ERMES_ENOMEM;
        }
        s->st = st;
    } else if ((rc = schema_parse((const char *)ermes__shadowserver_schema,
                                  ermes__shadowserver_schema_len, &s, d))) {
        return rc;
    }
    s->refs = 2; /* the cache's and the caller's */
    pthread_mutex_lock(&cache_lock);
    if (path) {
        old = cache_file;
        cache_file = s;
    } else {
        old = cache_builtin;
        cache_builtin = s;
    }
    pthread_mutex_unlock(&cache_lock);
    if (old) {
        if (path)
            ermes__log(ERMES_LOG_INFO, "shadowserver: reloaded the schema %s", path);
        schema_release(old);
    }
    *out = s;
    return 0;
}

/* ---- choosing the report type --------------------------------------------------------------- */

static int ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static const ss_report_t *find_report(const ss_schema_t *s, const char *name, size_t len)
{
    char buf[128];

    if (len == 0 || len >= sizeof(buf))
        return NULL;
    memcpy(buf, name, len);
    buf[len] = '\0';
    for (size_t i = 0; i < s->nreports; i++)
        if (strcmp(s->reports[i].file_name, buf) == 0)
            return &s->reports[i];
    for (size_t i = 0; i < s->nreports; i++)
        if (ieq(s->reports[i].feed_name, buf) || ieq(s->reports[i].file_name, buf))
            return &s->reports[i];
    return NULL;
}

/* Shadowserver names files "YYYY-MM-DD-<type>-<details...>.csv"; "<type>.csv" is accepted too. */
static const ss_report_t *report_from_file_name(const ss_schema_t *s, const char *file)
{
    const char *base = strrchr(file, '/'), *p, *end;
    const ss_report_t *r;

    base = base ? base + 1 : file;
    p = base;
    if (strlen(p) > 11 && isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[3]) &&
        p[4] == '-' && p[7] == '-' && p[10] == '-')
        p += 11;
    end = p + strcspn(p, "-.");
    if ((r = find_report(s, p, (size_t)(end - p))))
        return r;
    /* A name whose type itself holds '-' (a feed name such as "Accessible-ADB"). */
    return find_report(s, p, strcspn(p, "."));
}

typedef struct candidate {
    const ss_report_t *r;
    size_t unknown; /* header columns the report does not map */
    size_t missing; /* mapped columns the header lacks */
    int family;     /* 0: matches the first row's address family */
} candidate_t;

static int header_has(const ermes__fp_header_t *h, const char *col)
{
    return ermes__fp_header_find(h, col) >= 0;
}

static int report_maps(const ss_report_t *r, const char *col)
{
    for (size_t k = 0; k < r->nmaps; k++)
        if (!r->maps[k].implicit && strcmp(r->maps[k].column, col) == 0)
            return 1;
    return 0;
}

static int candidate_cmp(const candidate_t *a, const candidate_t *b)
{
    if (a->unknown != b->unknown)
        return a->unknown < b->unknown ? -1 : 1;
    if (a->missing != b->missing)
        return a->missing < b->missing ? -1 : 1;
    return a->family - b->family;
}

/* The first data row's address family (4, 6, or 0 when unknown). */
static int first_row_family(const char *data, size_t len, const ermes__fp_header_t *h)
{
    ermes_csv_options_t first_opts = {0, 0, 0, 1}; /* read as ss_open reads */
    ermes_csv_t *csv = NULL;
    ermes_csv_record_t rec;
    ermes_diag_t d;
    long col = ermes__fp_header_find(h, "ip");
    int fam = 0;

    if (col < 0 && (col = ermes__fp_header_find(h, "src_ip")) < 0)
        return 0;
    ermes_diag_clear(&d);
    if (ermes_csv_new_mem(data, len, &first_opts, &csv))
        return 0;
    if (ermes_csv_next(csv, &rec, &d) == 1 && ermes_csv_next(csv, &rec, &d) == 1) {
        ermes__fp_str_t v = ermes__fp_column(&rec, col);
        fam = memchr(v.p, ':', v.len) ? 6 : v.len ? 4 : 0;
    }
    ermes_csv_free(csv);
    return fam;
}

static const ss_report_t *report_from_header(const ss_schema_t *s, const ermes__fp_header_t *h,
                                             const char *data, size_t len, const char *named,
                                             ermes_diag_t *d)
{
    candidate_t best[5];
    size_t nbest = 0, ties = 0;
    int fam = first_row_family(data, len, h);

    for (size_t i = 0; i < s->nreports; i++) {
        const ss_report_t *r = &s->reports[i];
        candidate_t c = {r, 0, 0, 0};
        size_t k;
        for (k = 0; k < r->nrequired; k++)
            if (!header_has(h, r->maps[k].column))
                break;
        if (k < r->nrequired)
            continue;
        for (k = 0; k < h->count; k++)
            c.unknown += !report_maps(r, h->names[k]);
        for (k = 0; k < r->nmaps; k++)
            c.missing += !r->maps[k].implicit && !header_has(h, r->maps[k].column);
        c.family = fam && ((strchr(r->file_name, '6') != NULL) != (fam == 6));
        /* Keep the best few, sorted. */
        if (nbest == 0 || candidate_cmp(&c, &best[0]) < 0) {
            ties = 1;
            memmove(best + 1, best, sizeof(best[0]) * (nbest < 4 ? nbest : 4));
            best[0] = c;
            nbest += nbest < 5;
        } else {
            size_t at = 1;
            if (candidate_cmp(&c, &best[0]) == 0)
                ties++;
            while (at < nbest && candidate_cmp(&best[at], &c) <= 0)
                at++;
            if (at < 5) {
                memmove(best + at + 1, best + at, sizeof(best[0]) * (nbest - at - (nbest == 5)));
                best[at] = c;
                nbest += nbest < 5;
            }
        }
    }
    /* A file named after a report type the schema lacks (a new one, say) is taken for another
     * type only when that type maps every column of the header. */
    if (nbest && ties == 1 && named && best[0].unknown > 0) {
        ermes_diag_set(d, NULL,
                       "no Shadowserver report type \"%.64s\" in the schema, and no type has "
                       "this header's columns (closest: %s); update the schema or name the type "
                       "with the option report=TYPE",
                       named, best[0].r->file_name);
        return NULL;
    }
    if (nbest && ties == 1) {
        ermes__log(ERMES_LOG_INFO,
                   "shadowserver: report type %s recognised from the header (%zu "
                   "columns it does not map go to extra)",
                   best[0].r->file_name, best[0].unknown);
        return best[0].r;
    }
    if (!nbest) {
        ermes_diag_set(d, NULL,
                       "not a Shadowserver report this schema knows: no report type "
                       "has the header's columns; name it with the option report=TYPE "
                       "or keep Shadowserver's file name");
        return NULL;
    }
    {
        char list[256] = "";
        size_t n = 0;
        for (size_t i = 0; i < nbest && n < sizeof(list) - 1; i++)
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
                                  best[i].r->file_name);
        ermes_diag_set(d, NULL,
                       "cannot tell the Shadowserver report type from the header alone (closest: "
                       "%s); name it with the option report=TYPE or keep Shadowserver's file "
                       "name",
                       list);
    }
    return NULL;
}

/* ---- parsing ----------------------------------------------------------------------------- */

typedef struct shadowserver {
    ss_schema_t *schema;
    const ss_report_t *report;
    ermes_csv_t *csv;
    ermes__fp_feed_t feed;
    ermes__fp_header_t header;
    long *col;           /* per mapping: its column, or -1 */
    unsigned char *used; /* per header column, for the current row */
    long col_cc_dns, col_http_host, col_url, col_http_url, col_application, col_detail;
    ermes__strbuf_t scratch;
    /* Worked out at open so that a row does not redo it: the feed's fields and the constant
     * fields as the event stores them (when one of them does not validate, every row goes the
     * long way and is rejected with the reason), the extra keys of the mappings and of the
     * header's columns. */
    struct preset *feed_pre;
    size_t nfeed_pre;
    int feed_slow;
    struct preset *const_pre;
    size_t nconst_pre;
    int const_slow;
    struct ekey *map_key;    /* per mapping */
    struct ekey *column_key; /* per header column */
} shadowserver_t;

/* A value every row of the report gets, already in the form the event stores (worked out
 * once at open): a field (text NULL: the field is unset) or an extra. */
typedef struct preset {
    ermes_field_t field; /* ERMES_F_COUNT: an extra */
    char *key;           /* extra key, normalised */
    size_t klen;
    char *text;
    size_t len;
    ermes_extra_type_t type;
} preset_t;

/* An extra key normalised once at open (NULL when ermes_event_set_extra would refuse it, so
 * that it says why). */
typedef struct ekey {
    char *key;
    size_t len;
} ekey_t;

static void presets_free(preset_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ermes__free(p[i].key);
        ermes__free(p[i].text);
    }
    ermes__free(p);
}

static void ekeys_free(ekey_t *k, size_t n)
{
    for (size_t i = 0; k && i < n; i++)
        ermes__free(k[i].key);
    ermes__free(k);
}

static int ekey_init(ekey_t *k, const char *key)
{
    char buf[256];
    size_t n = key ? ermes__event_extra_key(key, strlen(key), buf) : 0;

    k->key = NULL;
    k->len = n;
    if (n && !(k->key = ermes__strndup(buf, n)))
        return ERMES_ENOMEM;
    return 0;
}

/* Appends to *p what ev holds: its fields (only that one, unset included, when only is a
 * field), then its extras. */
static int presets_take(const ermes_event_t *ev, ermes_field_t only, preset_t **p, size_t *n)
{
    size_t nx = ermes_event_extra_count(ev), want = *n + ERMES_F_COUNT + nx + 1;
    preset_t *np = ermes__reallocarray(*p, want, sizeof(**p));

    if (!np)
        return ERMES_ENOMEM;
    *p = np;
    for (unsigned f = 0; f < ERMES_F_COUNT; f++) {
        size_t len;
        const char *v = ermes_event_get(ev, (ermes_field_t)f, &len);
        preset_t *e = &np[*n];
        if (only != ERMES_F_COUNT && f != (unsigned)only)
            continue;
        if (!v && only == ERMES_F_COUNT)
            continue;
        memset(e, 0, sizeof(*e));
        e->field = (ermes_field_t)f;
        (*n)++;
        if (v && !(e->text = ermes__strndup(v, len)))
            return ERMES_ENOMEM;
        e->len = v ? len : 0;
    }
    for (size_t i = 0; i < nx; i++) {
        const char *key, *v;
        size_t len;
        ermes_extra_type_t t = ERMES_EXTRA_STRING;
        preset_t *e = &np[*n];
        ermes_event_extra_at(ev, i, &key, &v, &len, &t);
        memset(e, 0, sizeof(*e));
        e->field = ERMES_F_COUNT;
        e->klen = strlen(key);
        e->len = len;
        e->type = t;
        (*n)++;
        if (!(e->key = ermes__strndup(key, e->klen)) || !(e->text = ermes__strndup(v, len)))
            return ERMES_ENOMEM;
    }
    return 0;
}

static int presets_apply(ermes_event_t *ev, const preset_t *p, size_t n)
{
    int rc;

    for (size_t i = 0; i < n; i++) {
        if (p[i].field != ERMES_F_COUNT)
            rc = ermes__event_put(ev, p[i].field, p[i].text, p[i].text ? p[i].len : 0);
        else
            rc = ermes__event_put_extra(ev, p[i].key, p[i].klen, p[i].text, p[i].len, p[i].type);
        if (rc)
            return rc;
    }
    return 0;
}

/* The feed's fields and the constant fields, applied once to a scratch event: what a row gets.
 * A value that does not validate leaves its part to be done per row (which rejects the row). */
static int presets_init(shadowserver_t *s)
{
    const ss_report_t *r = s->report;
    ermes_event_t *ev;
    ermes_diag_t d;
    int rc;

    if ((rc = ermes_event_new(&ev)))
        return rc;
    ermes_diag_clear(&d);
    rc = ermes__fp_feed_apply(&s->feed, ev, &d);
    if (rc == ERMES_ENOMEM)
        goto out;
    if (rc)
        s->feed_slow = 1;
    else if ((rc = presets_take(ev, ERMES_F_COUNT, &s->feed_pre, &s->nfeed_pre)))
        goto out;
    rc = 0;
    for (size_t k = 0; k < r->nconsts; k++) {
        const constant_t *c = &r->consts[k];
        ermes_event_reset(ev);
        ermes_diag_clear(&d);
        if (c->field != ERMES_F_COUNT)
            rc = ermes_event_set(ev, c->field, c->value, strlen(c->value), &d);
        else
            rc = ermes_event_set_extra(ev, c->extra, strlen(c->extra), c->value, strlen(c->value),
                                       ERMES_EXTRA_STRING, &d);
        if (rc == ERMES_ENOMEM)
            goto out;
        if (rc) {
            s->const_slow = 1;
            rc = 0;
            break;
        }
        /* A constant field is unset, then set: the preset of an empty value unsets it. */
        if ((rc = presets_take(ev, c->field, &s->const_pre, &s->nconst_pre)))
            goto out;
    }
out:
    ermes_event_free(ev);
    return rc;
}

static void ss_close(void *state)
{
    shadowserver_t *s = state;

    if (!s)
        return;
    ermes_csv_free(s->csv);
    ekeys_free(s->map_key, s->report ? s->report->nmaps : 0);
    ekeys_free(s->column_key, s->header.count);
    ermes__fp_header_cleanup(&s->header);
    ermes__free(s->col);
    ermes__free(s->used);
    ermes__strbuf_cleanup(&s->scratch);
    presets_free(s->feed_pre, s->nfeed_pre);
    presets_free(s->const_pre, s->nconst_pre);
    schema_release(s->schema);
    ermes__free(s);
}

static int ss_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                   ermes_diag_t *d)
{
    shadowserver_t *s = ermes__calloc(1, sizeof(*s));
    ermes_csv_options_t opts = {0, 16u << 20, 4096, 1};
    ermes_csv_record_t rec;
    char named[128] = "";
    const char *v;
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__strbuf_init(&s->scratch, 64u << 20);
    if ((rc = schema_acquire(info->schema_path, &s->schema, d)))
        goto out;
    if ((v = ermes__parser_option(info, "report")) && *v) {
        if (!(s->report = find_report(s->schema, v, strlen(v)))) {
            ermes_diag_set(d, "report", "no Shadowserver report type \"%.64s\" in the schema", v);
            rc = ERMES_EINVAL;
            goto out;
        }
    } else if (info->feed && strncmp(info->feed, "shadowserver-", 13) == 0) {
        s->report = find_report(s->schema, info->feed + 13, strlen(info->feed + 13));
    }
    if (!s->report && info->file_name)
        s->report = report_from_file_name(s->schema, info->file_name);
    if ((rc = ermes_csv_new_mem(data, len, &opts, &s->csv)))
        goto out;
    if ((rc = ermes_csv_next(s->csv, &rec, d)) != 1) {
        if (rc == 0)
            ermes_diag_set(d, NULL, "empty report: no CSV header");
        rc = rc == 0 ? ERMES_EPARSE : rc;
        goto out;
    }
    if ((rc = ermes__fp_header_init(&s->header, &rec)))
        goto out;
    if (!s->report && info->file_name) {
        /* The type the file name gives, for the message if the header cannot settle it. */
        const char *base = strrchr(info->file_name, '/');
        base = base ? base + 1 : info->file_name;
        if (strlen(base) > 11 && isdigit((unsigned char)base[0]) && base[10] == '-')
            base += 11;
        snprintf(named, sizeof(named), "%.*s", (int)strcspn(base, "-."), base);
    }
    if (!s->report && !(s->report = report_from_header(s->schema, &s->header, data, len,
                                                       named[0] ? named : NULL, d))) {
        rc = ERMES_EPARSE;
        goto out;
    }
    if ((rc = ermes__fp_feed_init(&s->feed, info, s->report->feed_name, NULL, d)))
        goto out;
    if (!s->feed.provider)
        s->feed.provider = "Shadowserver";
    if (!(s->col = ermes__calloc(s->report->nmaps + 1, sizeof(*s->col))) ||
        !(s->used = ermes__calloc(s->header.count + 1, 1))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < s->report->nmaps; k++) {
        s->col[k] = ermes__fp_header_find(&s->header, s->report->maps[k].column);
        /* Older versions of a report may lack a column the schema now requires; IntelMQ
         * warns and goes on, and so do we: its rows simply lack that field. */
        if (s->col[k] < 0 && s->report->maps[k].required)
            ermes__log(ERMES_LOG_WARNING,
                       "shadowserver: report %s: the header lacks the required column \"%s\"; "
                       "its events will not have %s",
                       s->report->file_name, s->report->maps[k].column, s->report->maps[k].key);
    }
    s->col_cc_dns = ermes__fp_header_find(&s->header, "cc_dns");
    s->col_http_host = ermes__fp_header_find(&s->header, "http_host");
    s->col_url = ermes__fp_header_find(&s->header, "url");
    s->col_http_url = ermes__fp_header_find(&s->header, "http_url");
    s->col_application = ermes__fp_header_find(&s->header, "application");
    s->col_detail = ermes__fp_header_find(&s->header, "detail");
    if (!(s->map_key = ermes__calloc(s->report->nmaps + 1, sizeof(*s->map_key))) ||
        !(s->column_key = ermes__calloc(s->header.count + 1, sizeof(*s->column_key)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < s->report->nmaps; k++)
        if ((rc = ekey_init(&s->map_key[k], s->report->maps[k].extra)))
            goto out;
    for (size_t k = 0; k < s->header.count; k++)
        if ((rc = ekey_init(&s->column_key[k], s->header.names[k])))
            goto out;
    if ((rc = presets_init(s)))
        goto out;
    *state = s;
    return 0;
out:
    ss_close(s);
    return rc;
}

/* What a conversion gives. */
enum { GOT_NONE, GOT_VALUE, GOT_FAIL };

/* What a converted value is known to be, so that the event need not check it again. */
enum {
    VK_TEXT, /* anything */
    VK_INT,  /* an integer, p is its decimal text, i64 its value */
    VK_TIME, /* p is the canonical text of a date-time in the years 1 to 9999 */
    VK_IP    /* p is the (trimmed) text of the address in ip */
};

typedef struct value {
    const char *p;
    size_t len;
    ermes_extra_type_t type;
    int kind;
    int64_t i64;
    ermes_ip_t ip;
    char buf[64];
    const char *why; /* with GOT_FAIL */
} value_t;

/* Python's datetime range in seconds since the epoch (0001-01-01 to 9999-12-31T23:59:59). */
#define SEC_MIN (-62135596800LL)
#define SEC_MAX (253402300799LL)

static unsigned dig2(const char *p)
{
    return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

/* "YYYY-MM-DD HH:MM:SS" (or 'T', and an optional 'Z'), the form of Shadowserver's timestamps,
 * read the way ermes__fp_parse_time reads it (hours up to 24 and a leap second roll over).
 * Returns 1 with *sec, or 0 when s has another form or a value out of range: the caller then
 * asks ermes__fp_parse_time. */
static int quick_time(ermes__fp_str_t s, int64_t *sec)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd";
    const char *p = s.p;
    unsigned y, mo, da, h, mi, se;

    if (s.len == 20 && (p[19] == 'Z' || p[19] == 'z'))
        s.len = 19;
    if (s.len != 19)
        return 0;
    for (size_t i = 0; i < 19; i++) {
        if (shape[i] == 'd') {
            if (p[i] < '0' || p[i] > '9')
                return 0;
        } else if (i == 10) {
            if (p[i] != ' ' && p[i] != 'T' && p[i] != 't')
                return 0;
        } else if (p[i] != shape[i]) {
            return 0;
        }
    }
    y = dig2(p) * 100 + dig2(p + 2);
    mo = dig2(p + 5);
    da = dig2(p + 8);
    h = dig2(p + 11);
    mi = dig2(p + 14);
    se = dig2(p + 17);
    if (y < 1 || mo < 1 || mo > 12 || da < 1 || da > (unsigned)ermes__days_in_month(y, (int)mo) ||
        h > 24 || mi > 59 || se > 60)
        return 0;
    *sec = ermes__days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
    return 1;
}

/* Python's int() of digits alone, the common case: 1 with *v, 0 for anything else. */
static int quick_int(ermes__fp_str_t s, int64_t *v)
{
    int64_t acc = 0;

    if (s.len == 0 || s.len > 18)
        return 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return 0;
        acc = acc * 10 + (s.p[i] - '0');
    }
    *v = acc;
    return 1;
}

static int set_text(value_t *out, const char *p, size_t len, ermes_extra_type_t type)
{
    out->kind = VK_TEXT;
    out->p = p;
    out->len = len;
    out->type = type;
    return GOT_VALUE;
}

/* Python's int(): optional sign, digits, surrounding white space. */
static int parse_int(ermes__fp_str_t v, int64_t *out)
{
    v = ermes__fp_trim(v);
    if (v.len && v.p[0] == '+') {
        v.p++;
        v.len--;
    }
    return ermes__fp_int(v, out);
}

static int is_base64(ermes__fp_str_t v)
{
    size_t pad = 0;

    if (v.len % 4)
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c == '=') {
            if (++pad > 2 || i + 3 - pad < v.len - 1)
                return 0;
        } else if (pad || !(isalnum(c) || c == '+' || c == '/')) {
            return 0;
        }
    }
    return 1;
}

/* ermes__fp_column, ermes__fp_trim and ermes__fp_is_none for the per-row code, where a call
 * each into another file costs more than the work. */
static inline ermes__fp_str_t col_value(const ermes_csv_record_t *rec, long col)
{
    ermes__fp_str_t v = {"", 0};

    if (col >= 0 && (size_t)col < rec->nfields) {
        v.p = rec->fields[col];
        v.len = rec->lengths[col];
    }
    return v;
}

static inline int space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static inline ermes__fp_str_t trim(ermes__fp_str_t v)
{
    while (v.len && space(v.p[0])) {
        v.p++;
        v.len--;
    }
    while (v.len && space(v.p[v.len - 1]))
        v.len--;
    return v;
}

/* Of a trimmed view. */
static inline int trimmed_is_none(ermes__fp_str_t t)
{
    return t.len == 0 || (t.len == 1 && t.p[0] == '-') ||
           (t.len == 3 && memcmp(t.p, "N/A", 3) == 0);
}

static inline int trimmed_eq(ermes__fp_str_t t, const char *lit, size_t n)
{
    return t.len == n && memcmp(t.p, lit, n) == 0;
}

/* Builds the URL from the host and path columns as IntelMQ's convert_http_host_and_url does. */
static int host_and_url(shadowserver_t *s, const ermes_csv_record_t *rec, ermes__fp_str_t raw,
                        value_t *out)
{
    ermes__fp_str_t host = {"", 0}, path = {"", 0}, app;
    const char *scheme = "http";
    size_t i;

    if (s->col_cc_dns >= 0)
        host = col_value(rec, s->col_cc_dns);
    else if (s->col_http_host >= 0)
        host = col_value(rec, s->col_http_host);
    if (s->col_url >= 0)
        path = col_value(rec, s->col_url);
    else if (s->col_http_url >= 0)
        path = col_value(rec, s->col_http_url);
    if (!host.len || !path.len)
        return ermes__fp_is_none(raw) ? GOT_NONE : set_text(out, raw.p, raw.len, 0);
    /* Leading request text ("GET ") before the first '/', and anything after white space. */
    for (i = 0; i < path.len && path.p[i] != '/'; i++)
        ;
    path.p += i;
    path.len -= i;
    for (i = 0; i < path.len && !isspace((unsigned char)path.p[i]); i++)
        ;
    path.len = i;
    app = s->col_application >= 0 ? col_value(rec, s->col_application) : host;
    if (s->col_application >= 0 && ermes__fp_eq(app, "https"))
        scheme = "https";
    ermes__strbuf_reset(&s->scratch);
    if (ermes__strbuf_addf(&s->scratch, "%s://%.*s%.*s", scheme, (int)host.len, host.p,
                           (int)path.len, path.p))
        return GOT_FAIL;
    return set_text(out, s->scratch.data, s->scratch.len, ERMES_EXTRA_STRING);
}

/* CVE names in a tag such as "cve-2021-26855;exchange": lower case, ';'-separated. */
static int cve_from_tag(shadowserver_t *s, ermes__fp_str_t v, value_t *out)
{
    size_t i = 0;

    ermes__strbuf_reset(&s->scratch);
    while (i < v.len) {
        size_t j = i;
        while (j < v.len && v.p[j] != ';' && v.p[j] != ',' && v.p[j] != ' ')
            j++;
        if (j - i >= 10 && strncasecmp(v.p + i, "cve-", 4) == 0) {
            size_t k = i + 4, digits = 0, dash = 0;
            for (; k < j; k++) {
                if (v.p[k] == '-' && !dash && digits == 4)
                    dash = 1;
                else if (isdigit((unsigned char)v.p[k]))
                    digits++;
                else
                    break;
            }
            if (k == j && dash && digits >= 8) {
                if (s->scratch.len && ermes__strbuf_addc(&s->scratch, ';'))
                    return GOT_FAIL;
                for (k = i; k < j; k++) {
                    char c = (char)tolower((unsigned char)v.p[k]);
                    if (ermes__strbuf_addc(&s->scratch, c))
                        return GOT_FAIL;
                }
            }
        }
        i = j + 1;
    }
    return s->scratch.len ? set_text(out, s->scratch.data, s->scratch.len, ERMES_EXTRA_STRING)
                          : GOT_NONE;
}

static int convert(shadowserver_t *s, const mapping_t *m, const ermes_csv_record_t *rec,
                   ermes__fp_str_t raw, value_t *out)
{
    ermes__fp_str_t t = trim(raw);
    int64_t i64;

    out->why = NULL;
    switch (m->conv) {
    case CV_NONE:
        return trimmed_is_none(t) ? GOT_NONE : set_text(out, raw.p, raw.len, 0);
    case CV_TO_NONE:
        if (!t.len || trimmed_eq(t, "0", 1) || trimmed_eq(t, "unknown", 7))
            return GOT_NONE;
        return set_text(out, raw.p, raw.len, 0);
    case CV_UTC_TIMESTAMP:
    case CV_DATE:
    case CV_DATE_UTC: {
        int64_t sec;
        int32_t usec = 0;
        if (!t.len)
            return GOT_NONE;
        if (!quick_time(t, &sec) && ermes__fp_parse_time(t, &sec, &usec, NULL, NULL)) {
            out->why = "is not a date and time";
            return GOT_FAIL;
        }
        if (sec < SEC_MIN || sec > SEC_MAX)
            return set_text(out, out->buf, ermes__fp_format_time(sec, usec, out->buf), 0);
        /* The same text as ermes__fp_format_time within these years, and the event's own. */
        set_text(out, out->buf, ermes__datetime_format_us(sec * 1000000 + usec, out->buf), 0);
        out->kind = VK_TIME;
        return GOT_VALUE;
    }
    case CV_BOOL: {
        static const char *const yes[] = {"y", "yes", "true", "enabled", "1"};
        static const char *const no[] = {"n", "no", "false", "disabled", "0"};
        char low[16];
        out->why = "is not true or false";
        if (!t.len)
            return GOT_NONE;
        if (t.len >= sizeof(low))
            return GOT_FAIL;
        for (size_t i = 0; i < t.len; i++)
            low[i] = (char)tolower((unsigned char)t.p[i]);
        low[t.len] = '\0';
        for (size_t i = 0; i < 5; i++) {
            if (low[0] == yes[i][0] && strcmp(low, yes[i]) == 0)
                return set_text(out, "true", 4, ERMES_EXTRA_BOOLEAN);
            if (low[0] == no[i][0] && strcmp(low, no[i]) == 0)
                return set_text(out, "false", 5, ERMES_EXTRA_BOOLEAN);
        }
        return GOT_FAIL;
    }
    case CV_INT:
    case CV_INVALIDATE_ZERO:
        if (!t.len)
            return GOT_NONE;
        if (!quick_int(t, &i64) && parse_int(t, &i64)) {
            out->why = "is not a whole number";
            return GOT_FAIL;
        }
        if (m->conv == CV_INVALIDATE_ZERO && i64 == 0)
            return GOT_NONE;
        set_text(out, out->buf, ermes__i64_format(i64, out->buf), ERMES_EXTRA_INTEGER);
        out->kind = VK_INT;
        out->i64 = i64;
        return GOT_VALUE;
    case CV_FLOAT: {
        char tmp[64];
        double dv;
        if (!t.len)
            return GOT_NONE;
        if (t.len >= sizeof(tmp)) {
            out->why = "is not a number";
            return GOT_FAIL;
        }
        memcpy(tmp, t.p, t.len);
        tmp[t.len] = '\0';
        if (ermes__parse_double(tmp, "float", -DBL_MAX, DBL_MAX, &dv, NULL)) {
            out->why = "is not a number";
            return GOT_FAIL;
        }
        return set_text(out, out->buf, ermes__fp_format_double(dv, out->buf, sizeof(out->buf)),
                        ERMES_EXTRA_FLOAT);
    }
    case CV_IP:
        if (!t.len || trimmed_eq(t, "0.0.0.0", 7))
            return GOT_NONE;
        if (memchr(t.p, '/', t.len)) {
            /* A network in an address column: the report's network mapping takes it. */
            size_t olen;
            ermes_diag_t d;
            ermes_diag_clear(&d);
            if (ermes_harmonize(ERMES_FT_NETWORK, t.p, t.len, out->buf, sizeof(out->buf), &olen,
                                &d) == 0)
                return GOT_NONE;
            out->why = "is not an IP address";
            return GOT_FAIL;
        }
        /* ermes__fp_is_ip(t), keeping the address. */
        if (ermes_ip_parse(t.p, t.len, &out->ip, NULL)) {
            out->why = "is not an IP address";
            return GOT_FAIL;
        }
        set_text(out, t.p, t.len, 0);
        out->kind = VK_IP;
        return GOT_VALUE;
    case CV_NETWORK: {
        size_t olen;
        ermes_diag_t d;
        if (!t.len)
            return GOT_NONE;
        if (!memchr(t.p, '/', t.len)) {
            /* A single address: the report's address mapping takes it. */
            if (ermes__fp_is_ip(t))
                return GOT_NONE;
            out->why = "is not an IP network";
            return GOT_FAIL;
        }
        ermes_diag_clear(&d);
        if (ermes_harmonize(ERMES_FT_NETWORK, t.p, t.len, out->buf, sizeof(out->buf), &olen, &d)) {
            out->why = "is not an IP network";
            return GOT_FAIL;
        }
        return set_text(out, t.p, t.len, 0);
    }
    case CV_FQDN: {
        size_t olen;
        ermes_diag_t d;
        char tmp[300];
        if (!t.len)
            return GOT_NONE;
        ermes_diag_clear(&d);
        if (ermes_harmonize(ERMES_FT_FQDN, t.p, t.len, tmp, sizeof(tmp), &olen, &d)) {
            out->why = "is not a domain name";
            return GOT_FAIL;
        }
        return set_text(out, t.p, t.len, 0);
    }
    case CV_BASE64: {
        size_t cap;
        if (!raw.len)
            return GOT_NONE;
        if (is_base64(raw))
            return set_text(out, raw.p, raw.len, 0);
        cap = sodium_base64_ENCODED_LEN(raw.len, sodium_base64_VARIANT_ORIGINAL);
        ermes__strbuf_reset(&s->scratch);
        /* Grow to cap bytes, then encode over them (the text ends with its NUL). */
        while (s->scratch.len < cap)
            if (ermes__strbuf_addc(&s->scratch, '\0'))
                return GOT_FAIL;
        sodium_bin2base64(s->scratch.data, cap, (const unsigned char *)raw.p, raw.len,
                          sodium_base64_VARIANT_ORIGINAL);
        return set_text(out, s->scratch.data, strlen(s->scratch.data), 0);
    }
    case CV_EXCHANGE_TAXONOMY:
        return ermes__fp_eq(raw, "exchange;webshell") ? set_text(out, "intrusions", 10, 0)
                                                      : set_text(out, "vulnerable", 10, 0);
    case CV_EXCHANGE_TYPE:
        return ermes__fp_eq(raw, "exchange;webshell") ? set_text(out, "system-compromise", 17, 0)
                                                      : set_text(out, "infected-system", 15, 0);
    case CV_EXCHANGE_IDENTIFIER:
        return ermes__fp_eq(raw, "exchange;webshell")
                   ? set_text(out, "exchange-server-webshell", 24, 0)
                   : set_text(out, "vulnerable-exchange-server", 26, 0);
    case CV_CVE_FROM_TAG:
        return cve_from_tag(s, t, out);
    case CV_CATEGORY_OR_DETAIL:
        if (!ermes__fp_is_none(t))
            return set_text(out, raw.p, raw.len, 0);
        if (s->col_detail >= 0) {
            ermes__fp_str_t det = ermes__fp_trim(col_value(rec, s->col_detail));
            if (!ermes__fp_is_none(det))
                return set_text(out, det.p, det.len, 0);
        }
        return GOT_NONE;
    case CV_HOST_AND_URL:
        return host_and_url(s, rec, raw, out);
    }
    return GOT_NONE;
}

/* ermes_event_set(ev, f, v), without checking again what convert() already knows. */
static int set_field(ermes_event_t *ev, ermes_field_t f, const value_t *v, ermes_diag_t *d)
{
    ermes_ftype_t t = ermes_field_type(f);

    switch (v->kind) {
    case VK_INT:
        if (t == ERMES_FT_INTEGER || (t == ERMES_FT_ASN && v->i64 >= 1 && v->i64 <= 4294967295LL))
            return ermes__event_put(ev, f, v->p, v->len);
        break;
    case VK_TIME:
        if (t == ERMES_FT_DATETIME)
            return ermes__event_put(ev, f, v->p, v->len);
        break;
    case VK_IP: {
        static const uint8_t zero[16];
        char buf[ERMES_IP_STRLEN];
        /* What ermes_harmonize does with an address: its canonical text; the unspecified
         * address and the bracketed form take the long way. */
        if (t == ERMES_FT_IP && v->p[0] != '[' && memcmp(v->ip.bytes, zero, 16) != 0)
            return ermes__event_put(ev, f, buf, ermes_ip_format(&v->ip, buf));
        break;
    }
    }
    return ermes_event_set(ev, f, v->p, v->len, d);
}

/* ermes_event_set_extra(ev, extra, v), the key normalised at open and the value not checked
 * again when it is known good. */
static int set_extra(ermes_event_t *ev, const ekey_t *key, const char *extra, const value_t *v,
                     ermes_diag_t *d)
{
    if (key->key) {
        switch (v->type) {
        case ERMES_EXTRA_STRING:
            if (ermes__text_check(v->p, v->len) == 0)
                return ermes__event_put_extra(ev, key->key, key->len, v->p, v->len, v->type);
            break;
        case ERMES_EXTRA_INTEGER:
            /* convert() writes integers in decimal, which is what the event keeps. */
            if (v->kind == VK_INT)
                return ermes__event_put_extra(ev, key->key, key->len, v->p, v->len, v->type);
            break;
        case ERMES_EXTRA_BOOLEAN:
            /* "true" or "false" */
            return ermes__event_put_extra(ev, key->key, key->len, v->p, v->len, v->type);
        default:
            break;
        }
    }
    return ermes_event_set_extra(ev, extra, strlen(extra), v->p, v->len, v->type, d);
}

static int ss_row(shadowserver_t *s, const ermes_csv_record_t *rec, ermes_event_t *ev,
                  ermes_diag_t *d)
{
    const ss_report_t *r = s->report;
    int rc;

    /* Shadowserver's exports sometimes leave out the last field when it is empty: a row one
     * short is whole. Any other count is a broken row. */
    if (rec->nfields != s->header.count && rec->nfields + 1 != s->header.count) {
        /* Python's csv, and so the lenient reader, ends a quote left open at the end of the
         * report with the report; the count is then the symptom, the quote the cause. */
        if (rec->unterminated)
            return ermes__fp_reject(d,
                                    "unterminated quoted field (the row has %zu fields, the "
                                    "header %zu)",
                                    rec->nfields, s->header.count);
        return ermes__fp_reject(d, "the row has %zu fields, the header %zu", rec->nfields,
                                s->header.count);
    }
    memset(s->used, 0, s->header.count);
    if ((rc = s->feed_slow ? ermes__fp_feed_apply(&s->feed, ev, d)
                           : presets_apply(ev, s->feed_pre, s->nfeed_pre)))
        return rc;
    for (size_t k = 0; k < r->nmaps; k++) {
        const mapping_t *m = &r->maps[k];
        ermes__fp_str_t raw;
        value_t v;
        int got;

        if (s->col[k] < 0)
            continue;
        if (m->ignore) {
            s->used[s->col[k]] = 1;
            continue;
        }
        raw = col_value(rec, s->col[k]);
        got = convert(s, m, rec, raw, &v);
        if (got == GOT_NONE) {
            s->used[s->col[k]] = 1;
            continue;
        }
        if (got == GOT_FAIL) {
            if (m->required)
                return ermes__fp_reject(d, "%s: \"%.*s\" (column %s) %s", m->key,
                                        (int)(raw.len > 80 ? 80 : raw.len), raw.p, m->column,
                                        v.why ? v.why : "cannot be converted");
            continue; /* kept in extra.<column> below */
        }
        if (m->field != ERMES_F_COUNT) {
            if (ermes_event_get(ev, m->field, NULL)) {
                s->used[s->col[k]] = 1; /* the first mapping of a field wins */
                continue;
            }
            rc = set_field(ev, m->field, &v, d);
        } else {
            rc = set_extra(ev, &s->map_key[k], m->extra, &v, d);
        }
        if (rc == ERMES_ENOMEM)
            return rc;
        if (rc) {
            if (m->required)
                return rc; /* d names the field and the reason */
            ermes_diag_clear(d);
            d->line = rec->line;
            continue;
        }
        s->used[s->col[k]] = 1;
    }
    if (!s->const_slow && (rc = presets_apply(ev, s->const_pre, s->nconst_pre)))
        return rc;
    for (size_t k = 0; s->const_slow && k < r->nconsts; k++) {
        const constant_t *c = &r->consts[k];
        if (c->field != ERMES_F_COUNT) {
            ermes_event_unset(ev, c->field);
            rc = ermes_event_set(ev, c->field, c->value, strlen(c->value), d);
        } else {
            rc = ermes_event_set_extra(ev, c->extra, strlen(c->extra), c->value, strlen(c->value),
                                       ERMES_EXTRA_STRING, d);
        }
        if (rc)
            return rc;
    }
    /* Every other column with a value: extra.<column>, as text. */
    for (size_t k = 0; k < s->header.count; k++) {
        if (k >= rec->nfields || s->used[k] || !rec->lengths[k])
            continue;
        if (s->column_key[k].key && ermes__text_check(rec->fields[k], rec->lengths[k]) == 0)
            rc = ermes__event_put_extra(ev, s->column_key[k].key, s->column_key[k].len,
                                        rec->fields[k], rec->lengths[k], ERMES_EXTRA_STRING);
        else
            rc = ermes_event_set_extra(ev, s->header.names[k], strlen(s->header.names[k]),
                                       rec->fields[k], rec->lengths[k], ERMES_EXTRA_STRING, d);
        if (rc)
            return rc;
    }
    return 0;
}

static int ss_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    shadowserver_t *s = state;
    ermes_csv_record_t rec;
    int rc = ermes_csv_next(s->csv, &rec, d);

    if (rc == 0)
        return 0;
    row->line = rec.line;
    row->raw = rec.raw;
    row->has_offset = 1;
    row->offset = rec.offset;
    row->raw_len = rec.raw_len;
    d->line = rec.line;
    if (rc < 0)
        return rc;
    rc = ss_row(s, &rec, ev, d);
    return rc ? rc : 1;
}

const ermes__parser_def_t ermes__parser_shadowserver = {
    "shadowserver",
    "Shadowserver reports, every type in the schema; type from the file name, the report= "
    "option or the header",
    ss_open, ss_next, ss_close};

/* For tests and `ermes feeds`: the report types of the schema in use. */
int ermes__shadowserver_types(const char *schema_path,
                              void (*cb)(void *ctx, const char *file_name, const char *feed_name),
                              void *ctx, ermes_diag_t *d)
{
    ss_schema_t *s;
    int rc = schema_acquire(schema_path, &s, d);

    if (rc)
        return rc;
    for (size_t i = 0; i < s->nreports; i++)
        cb(ctx, s->reports[i].file_name, s->reports[i].feed_name);
    schema_release(s);
    return 0;
}

int ermes__shadowserver_schema_check(const char *data, size_t len, ermes_diag_t *d)
{
    ss_schema_t *s;
    int rc = schema_parse(data, len, &s, d);

    if (rc == 0)
        schema_free(s);
    return rc;
}
