/* Bulk import of organisations from CSV or JSON, with an error per bad row (line, field,
 * reason) and no half-imports: in atomic mode one bad row leaves the registry untouched; in
 * partial mode each row is its own savepoint, so a bad row is undone alone. */
#include "constituency/registry.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/text.h"
#include "ermes/csv.h"
#include "model/org.h"

/* One row read from the input, not yet stored. */
typedef struct import_row {
    long line;
    ermes__org_t *org; /* NULL when the row could not be read */
    int done;          /* stored, or failed for good */
    int failed;
} import_row_t;

void ermes__import_report_cleanup(ermes__import_report_t *rep)
{
    ermes__free(rep->errors);
    memset(rep, 0, sizeof(*rep));
}

static void report_error(ermes__import_report_t *rep, long line, const char *field,
                         const char *reason)
{
    ermes__import_error_t *e;

    rep->failed++;
    if (rep->nerrors >= ERMES_IMPORT_MAX_ERRORS)
        return;
    if (!rep->errors) {
        rep->errors = ermes__calloc(ERMES_IMPORT_MAX_ERRORS, sizeof(*rep->errors));
        if (!rep->errors)
            return;
    }
    e = &rep->errors[rep->nerrors++];
    e->line = line;
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* A structural scanner over JSON that jansson has already accepted: it only has to find
 * where things are, counting lines, never to judge. */
typedef struct json_scan {
    const char *p;
    size_t len, k;
    long line;
} json_scan_t;

static void scan_space(json_scan_t *s)
{
    while (s->k < s->len &&
           (s->p[s->k] == ' ' || s->p[s->k] == '\t' || s->p[s->k] == '\r' || s->p[s->k] == '\n')) {
        if (s->p[s->k] == '\n')
            s->line++;
        s->k++;
    }
}

/* Skips a string starting at its opening quote; escapes are respected. */
static void scan_string(json_scan_t *s)
{
    for (s->k++; s->k < s->len; s->k++) {
        if (s->p[s->k] == '\\')
            s->k++;
        else if (s->p[s->k] == '"') {
            s->k++;
            return;
        } else if (s->p[s->k] == '\n')
            s->line++;
    }
}

/* Skips one value of any type. */
static void scan_value(json_scan_t *s)
{
    int depth = 0;

    do {
        char c;
        if (s->k >= s->len)
            return;
        c = s->p[s->k];
        if (c == '"') {
            scan_string(s);
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            return; /* the end of a number or literal */
        if (c == '\n')
            s->line++;
        s->k++;
    } while (depth > 0 || (s->k < s->len && !strchr(",}] \t\r\n", s->p[s->k])));
}

/* Tells whether the string at s->k (its opening quote) spells key, escapes decoded. Only
 * ASCII keys are asked about, so a \u escape beyond ASCII never matches. */
static int scan_key_is(const json_scan_t *s, const char *key)
{
    static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
    size_t k = s->k + 1;

    for (;; key++) {
        char c;
        if (k >= s->len)
            return 0;
        c = s->p[k++];
        if (c == '"')
            return *key == '\0';
        if (*key == '\0')
            return 0;
        if (c == '\\') {
            const char *e;
            if (k >= s->len)
                return 0;
            if (s->p[k] == 'u') {
                unsigned v = 0;
                if (k + 5 > s->len)
                    return 0;
                for (size_t j = 1; j <= 4; j++) {
                    char h = s->p[k + j];
                    v = v * 16 + (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                            : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                            : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                                   : 0);
                }
                k += 5;
                c = v < 0x80 ? (char)v : '\0';
            } else {
                for (e = simple; *e && *e != s->p[k]; e += 2)
                    ;
                c = *e ? e[1] : '\0';
                k++;
            }
            if (c == '\0')
                return 0;
        }
        if (c != *key)
            return 0;
    }
}

/* At an array's '[': records the line of each element's first character. */
static void scan_elements(json_scan_t *s, long *lines, size_t count)
{
    size_t n = 0;

    s->k++;
    for (;;) {
        scan_space(s);
        if (s->k >= s->len || s->p[s->k] == ']')
            return;
        if (n < count)
            lines[n++] = s->line;
        scan_value(s);
        scan_space(s);
        if (s->k >= s->len || s->p[s->k] != ',')
            return;
        s->k++;
    }
}

/* Finds the line on which each element of the organisations array starts, because jansson
 * does not keep positions of values. The array is the root itself, or the value of the root
 * object's member "organisations"; other members, and whatever they hold, are skipped. Every
 * element counts, whatever its type: one that is not an object is a bad row of its own. */
static long *element_lines(const char *data, size_t len, size_t count)
{
    long *lines = ermes__calloc(count ? count : 1, sizeof(*lines));
    json_scan_t s = {data, len, 0, 1};

    if (!lines)
        return NULL;
    scan_space(&s);
    if (s.k < len && data[s.k] == '[') {
        scan_elements(&s, lines, count);
        return lines;
    }
    if (s.k >= len || data[s.k] != '{')
        return lines;
    s.k++;
    for (;;) {
        int wanted;
        scan_space(&s);
        if (s.k >= len || data[s.k] != '"')
            return lines;
        wanted = scan_key_is(&s, "organisations");
        scan_string(&s);
        scan_space(&s);
        if (s.k >= len || data[s.k] != ':')
            return lines;
        s.k++;
        scan_space(&s);
        if (wanted && s.k < len && data[s.k] == '[') {
            scan_elements(&s, lines, count);
            return lines;
        }
        scan_value(&s);
        scan_space(&s);
        if (s.k >= len || data[s.k] != ',')
            return lines;
        s.k++;
    }
}

static int read_json(const char *data, size_t len, import_row_t **rows, size_t *nrows,
                     ermes__import_report_t *rep)
{
    json_error_t err;
    json_t *root, *arr, *value;
    import_row_t *all;
    long *lines = NULL;
    size_t i, n;
    int rc = 0;

    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    /* jansson says "out of memory", or nothing at all when its first allocation fails: every
     * real syntax error has a text. */
    if (!root && (json_error_code(&err) == json_error_out_of_memory || !err.text[0]))
        return ERMES_ENOMEM;
    if (!root) {
        char reason[256];
        snprintf(reason, sizeof(reason), "malformed JSON at line %d, column %d: %s", err.line,
                 err.column, err.text);
        report_error(rep, err.line, NULL, reason);
        return ERMES_EPARSE;
    }
    arr = json_is_array(root) ? root : json_object_get(root, "organisations");
    if (!json_is_array(arr)) {
        report_error(rep, 1, NULL,
                     "expected an array of organisations or {\"organisations\": [...]}");
        rc = ERMES_EPARSE;
        goto out;
    }
    /* The counts are handed back only with the array they describe, so that the caller's
     * cleanup never walks rows that were not allocated. */
    n = json_array_size(arr);
    all = ermes__calloc(n ? n : 1, sizeof(*all));
    lines = element_lines(data, len, n);
    if (!all || !lines) {
        ermes__free(all);
        rc = ERMES_ENOMEM;
        goto out;
    }
    *rows = all;
    *nrows = n;
    json_array_foreach(arr, i, value)
    {
        ermes_diag_t d;
        import_row_t *row = &(*rows)[i];
        ermes_diag_clear(&d);
        row->line = lines[i] ? lines[i] : 1;
        if (!(row->org = ermes__org_new())) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        if ((rc = ermes__org_from_json(row->org, value, 0, &d))) {
            if (rc == ERMES_ENOMEM)
                goto out;
            report_error(rep, row->line, d.field, d.reason);
            ermes__org_free(row->org);
            row->org = NULL;
            row->done = row->failed = 1;
            rc = 0;
        }
    }
out:
    ermes__free(lines);
    json_decref(root);
    return rc;
}

/* ---- CSV -------------------------------------------------------------------------------- */

enum {
    C_SHORT,
    C_NAME,
    C_COUNTRY,
    C_SECTOR,
    C_TYPE,
    C_PARENT,
    C_TLP,
    C_NETWORKS,
    C_ASNS,
    C_DOMAINS,
    C_CONTACTS,
    C_COUNT
};
static const char *const csv_columns[C_COUNT] = {"short_name", "name",    "country", "sector",
                                                 "type",       "parent",  "tlp",     "networks",
                                                 "asns",       "domains", "contacts"};

/* Splits s on any of seps; calls fn for each non-empty piece. */
static int each_piece(const char *s, const char *seps, int (*fn)(void *, const char *, size_t),
                      void *ctx)
{
    while (*s) {
        size_t skip = strspn(s, seps), n;
        s += skip;
        n = strcspn(s, seps);
        if (n) {
            int rc = fn(ctx, s, n);
            if (rc)
                return rc;
        }
        s += n;
    }
    return 0;
}

/* RFC 3629 section 4: well-formed UTF-8. Overlong forms, the UTF-16 surrogates U+D800..DFFF
 * and anything beyond U+10FFFF are refused, as jansson refuses them. */
static int utf8_valid(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t k = 0;

    while (k < n) {
        unsigned char c = s[k];
        size_t more;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            k++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            more = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* beyond U+10FFFF */
        } else {
            return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
        }
        if (n - k <= more || s[k + 1] < lo || s[k + 1] > hi)
            return 0;
        for (size_t j = 2; j <= more; j++)
            if (s[k + j] < 0x80 || s[k + j] > 0xBF)
                return 0;
        k += more + 1;
    }
    return 1;
}

/* The CSV row is turned into the JSON document the API takes, so both paths share one
 * validator (ermes__org_from_json) and report the same reasons. */
struct piece_ctx {
    json_t *arr;
};

static int add_piece(void *ctx, const char *p, size_t n)
{
    struct piece_ctx *c = ctx;
    json_t *v = json_stringn(p, n);

    if (!v || json_array_append_new(c->arr, v))
        return ERMES_ENOMEM;
    return 0;
}

/* The contacts column: contacts separated by ';', each "email|name|role|language|pgp_key"
 * (the ASCII-armoured key, its line breaks kept inside the quoted cell; trailing
 * parts optional). A backslash makes the '|', ';' or '\' after it literal, as the export
 * writes them; before any other character it is itself literal. */
static int is_escape(const char *p, size_t k, size_t n)
{
    return p[k] == '\\' && k + 1 < n && (p[k + 1] == '|' || p[k + 1] == ';' || p[k + 1] == '\\');
}

/* Adds p[0..n) to obj as key, spaces around it trimmed, escapes removed; empty is absent. */
static int add_contact_part(json_t *obj, const char *key, const char *p, size_t n)
{
    char *text;
    size_t len = 0;
    json_t *v;

    while (n && p[0] == ' ')
        p++, n--;
    while (n && p[n - 1] == ' ')
        n--;
    if (!n)
        return 0;
    if (!(text = ermes__malloc(n)))
        return ERMES_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        if (is_escape(p, k, n))
            k++;
        text[len++] = p[k];
    }
    v = json_stringn(text, len);
    ermes__free(text);
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : ERMES_ENOMEM;
}

static int add_contact(struct piece_ctx *c, const char *p, size_t n)
{
    static const char *const keys[5] = {"email", "name", "role", "language", "pgp_key"};
    size_t start = 0, part = 0;
    json_t *v = json_object();
    int rc = 0;

    if (!v)
        return ERMES_ENOMEM;
    for (size_t k = 0; k <= n && part < 5 && !rc; k++) {
        if (k < n && is_escape(p, k, n)) {
            k++;
            continue;
        }
        if (k == n || p[k] == '|') {
            rc = add_contact_part(v, keys[part++], p + start, k - start);
            start = k + 1;
        }
    }
    if (rc) {
        json_decref(v);
        return rc;
    }
    /* json_array_append_new() takes v even when it fails. */
    return json_array_append_new(c->arr, v) ? ERMES_ENOMEM : 0;
}

static int each_contact(const char *s, struct piece_ctx *c)
{
    size_t n = strlen(s), start = 0;
    int rc = 0;

    for (size_t k = 0; k <= n && !rc; k++) {
        if (k < n && is_escape(s, k, n)) {
            k++;
            continue;
        }
        if (k == n || s[k] == ';') {
            if (k > start)
                rc = add_contact(c, s + start, k - start);
            start = k + 1;
        }
    }
    return rc;
}

static int csv_row_to_org(char **f, const int *col, ermes__org_t *org, ermes_diag_t *d)
{
    json_t *doc;
    int rc = 0;

    /* jansson takes only UTF-8; a field that is not is this row's fault, said as such. */
    for (int c = 0; c < C_COUNT; c++) {
        const char *v = col[c] >= 0 ? f[col[c]] : NULL;
        if (v && !utf8_valid(v, strlen(v))) {
            ermes_diag_set(d, csv_columns[c], "field %s is not valid UTF-8", csv_columns[c]);
            return ERMES_EINVAL;
        }
    }
    if (!(doc = json_object()))
        return ERMES_ENOMEM;
    for (int c = 0; c < C_COUNT && !rc; c++) {
        const char *v = col[c] >= 0 ? f[col[c]] : NULL;
        if (!v)
            continue;
        /* The export puts a single quote before a cell a spreadsheet would take for a formula
         * (OWASP's rule, see export.c), and one more before such a cell's own leading quotes:
         * take one off, so export then import changes nothing. */
        if (v[0] == '\'' &&
            ermes__csv_cell_is_formula(v + strspn(v, "'"), strlen(v + strspn(v, "'"))))
            v++;
        if (c <= C_TLP) {
            /* Empty optional text is absent; short_name and name are checked by the model. */
            if ((*v || c <= C_NAME) && json_object_set_new(doc, csv_columns[c], json_string(v)))
                rc = ERMES_ENOMEM;
        } else {
            struct piece_ctx pc = {json_array()};
            if (!pc.arr) {
                rc = ERMES_ENOMEM;
                break;
            }
            rc = c == C_CONTACTS ? each_contact(v, &pc) : each_piece(v, " \t,;", add_piece, &pc);
            if (!rc && json_object_set_new(doc, csv_columns[c], pc.arr))
                rc = ERMES_ENOMEM;
            else if (rc)
                json_decref(pc.arr);
        }
    }
    if (!rc)
        rc = ermes__org_from_json(org, doc, 0, d);
    json_decref(doc);
    return rc;
}

static int read_csv(const char *data, size_t len, import_row_t **rows, size_t *nrows,
                    ermes__import_report_t *rep)
{
    ermes_csv_t *csv = NULL;
    ermes_csv_record_t rec;
    ermes_diag_t d;
    int col[C_COUNT], rc, header = 1;
    size_t cap = 0;

    *rows = NULL;
    *nrows = 0;
    if ((rc = ermes_csv_new_mem(data, len, NULL, &csv)))
        return rc;
    for (;;) {
        ermes_diag_clear(&d);
        rc = ermes_csv_next(csv, &rec, &d);
        if (rc == 0)
            break;
        if (rc == ERMES_EIO || rc == ERMES_ENOMEM)
            goto out;
        if (rc < 0) {
            /* A broken record is one failed row; reading goes on with the next. */
            if (header) {
                report_error(rep, d.line ? d.line : 1, NULL, d.reason);
                rc = ERMES_EPARSE;
                goto out;
            }
            rep->rows++;
            report_error(rep, d.line ? d.line : rec.line, NULL, d.reason);
            continue;
        }
        if (header) {
            for (int c = 0; c < C_COUNT; c++)
                col[c] = -1;
            for (size_t k = 0; k < rec.nfields; k++) {
                int found = -1;
                for (int c = 0; c < C_COUNT; c++)
                    if (strcmp(rec.fields[k], csv_columns[c]) == 0)
                        found = c;
                if (found < 0) {
                    char reason[256];
                    snprintf(reason, sizeof(reason),
                             "unknown column \"%.64s\" (expected short_name, name, country, "
                             "sector, type, parent, tlp, networks, asns, domains, contacts)",
                             rec.fields[k]);
                    report_error(rep, rec.line, rec.fields[k], reason);
                    rc = ERMES_EPARSE;
                    goto out;
                }
                if (col[found] >= 0) {
                    report_error(rep, rec.line, rec.fields[k], "column appears twice");
                    rc = ERMES_EPARSE;
                    goto out;
                }
                col[found] = (int)k;
            }
            if (col[C_SHORT] < 0 || col[C_NAME] < 0) {
                report_error(rep, rec.line, NULL,
                             "the header must name at least short_name and name");
                rc = ERMES_EPARSE;
                goto out;
            }
            header = 0;
            continue;
        }
        if (*nrows == cap) {
            import_row_t *p = ermes__reallocarray(*rows, cap ? cap * 2 : 64, sizeof(**rows));
            if (!p) {
                rc = ERMES_ENOMEM;
                goto out;
            }
            *rows = p;
            cap = cap ? cap * 2 : 64;
        }
        import_row_t *row = &(*rows)[(*nrows)++];
        memset(row, 0, sizeof(*row));
        row->line = rec.line;
        {
            /* Columns beyond the header are an error, fewer are padded as empty. */
            char *fields[C_COUNT + 1];
            int colmap[C_COUNT];
            size_t nheader = 0;
            for (int c = 0; c < C_COUNT; c++)
                if (col[c] >= 0 && (size_t)col[c] + 1 > nheader)
                    nheader = (size_t)col[c] + 1;
            if (rec.nfields != nheader) {
                char reason[128];
                snprintf(reason, sizeof(reason), "the row has %zu fields, the header %zu",
                         rec.nfields, nheader);
                report_error(rep, rec.line, NULL, reason);
                row->done = row->failed = 1;
                continue;
            }
            for (int c = 0; c < C_COUNT; c++) {
                colmap[c] = col[c] >= 0 ? c : -1;
                fields[c] = col[c] >= 0 ? rec.fields[col[c]] : NULL;
            }
            if (!(row->org = ermes__org_new())) {
                rc = ERMES_ENOMEM;
                goto out;
            }
            rc = csv_row_to_org(fields, colmap, row->org, &d);
            if (rc == ERMES_ENOMEM)
                goto out;
            if (rc) {
                report_error(rep, rec.line, d.field, d.reason);
                ermes__org_free(row->org);
                row->org = NULL;
                row->done = row->failed = 1;
            }
        }
    }
    rc = header ? (report_error(rep, 1, NULL, "the input is empty: expected a header row"),
                   ERMES_EPARSE)
                : 0;
out:
    ermes_csv_free(csv);
    return rc;
}

/* ---- storing ----------------------------------------------------------------------------- */

static int find_row(import_row_t *rows, size_t n, const char *short_name)
{
    for (size_t k = 0; k < n; k++)
        if (rows[k].org && strcasecmp(rows[k].org->short_name, short_name) == 0)
            return (int)k;
    return -1;
}

/* Stores one row; 0 stored, >0 the row failed (reported), <0 a store failure. */
static int store_row(ermes__registry_t *r, const ermes__viewer_t *v, import_row_t *row,
                     const ermes__import_options_t *opts, ermes__import_report_t *rep)
{
    ermes__store_t *st = ermes__registry_store(r);
    ermes_diag_t d;
    int64_t id;
    int rc;

    ermes_diag_clear(&d);
    if ((rc = ermes__store_savepoint(st)))
        return rc;
    row->org->meta.owner_org_id = v->org_id;
    if ((rc = ermes__registry_check_keys(r, row->org, &d)) == 0)
        rc = ermes__store_org_insert(st, row->org, &d);
    if (rc == ERMES_EEXISTS && opts->update && strcmp(d.field, "short_name") == 0 &&
        ermes__store_org_resolve(st, NULL, row->org->short_name, &id) == 0) {
        /* The savepoint undoes the half-done insert; the update replaces everything. */
        ermes__store_rollback_to(st);
        if ((rc = ermes__store_savepoint(st)))
            return rc;
        ermes_diag_clear(&d);
        row->org->has = ~0u;
        rc = ermes__store_org_update(st, id, row->org, &d);
        if (!rc)
            rep->updated++;
    } else if (!rc) {
        rep->imported++;
    }
    if (rc == 0)
        return ermes__store_release(st);
    ermes__store_rollback_to(st);
    if (rc == ERMES_ENOMEM || rc == ERMES_EBUSY || rc == ERMES_ESTORE || rc == ERMES_EIO)
        return rc;
    report_error(rep, row->line, d.field, d.reason[0] ? d.reason : ermes_strerror(rc));
    return 1;
}

int ermes__registry_import(ermes__registry_t *r, const ermes__viewer_t *v, const char *data,
                           size_t len, const ermes__import_options_t *opts,
                           ermes__import_report_t *rep)
{
    import_row_t *rows = NULL;
    size_t nrows = 0, left;
    ermes__store_t *st = ermes__registry_store(r);
    char detail[160];
    int rc, progress;

    memset(rep, 0, sizeof(*rep));
    if (!ermes__viewer_is_staff(v)) {
        report_error(rep, 0, NULL, "only the CERT's staff may import organisations");
        return ERMES_EDENIED;
    }
    rc = opts->format == ERMES_FORMAT_CSV ? read_csv(data, len, &rows, &nrows, rep)
                                          : read_json(data, len, &rows, &nrows, rep);
    if (opts->format == ERMES_FORMAT_JSON)
        rep->rows = (long)nrows;
    else
        rep->rows += (long)nrows;
    if (rc)
        goto out;
    if (rep->failed && !opts->partial) {
        rc = ERMES_EINVAL;
        goto out;
    }
    if ((rc = ermes__store_begin(st)))
        goto out;
    /* Parents first: a row waits while its parent is a row of this file not yet stored.
     * Each pass stores at least one row or ends; what is left refers to a parent that failed
     * or to a cycle. */
    do {
        progress = 0;
        left = 0;
        for (size_t k = 0; k < nrows; k++) {
            import_row_t *row = &rows[k];
            int p;
            if (row->done)
                continue;
            if (row->org->parent && (p = find_row(rows, nrows, row->org->parent)) >= 0 &&
                (size_t)p != k && !rows[p].done) {
                left++;
                continue;
            }
            if (row->org->parent && p >= 0 && rows[p].failed) {
                char reason[128];
                snprintf(reason, sizeof(reason), "its parent \"%.32s\" was not imported",
                         row->org->parent);
                report_error(rep, row->line, "parent", reason);
                row->done = row->failed = 1;
                progress = 1;
                continue;
            }
            rc = store_row(r, v, row, opts, rep);
            if (rc < 0)
                goto fail;
            row->done = 1;
            row->failed = rc > 0;
            progress = 1;
        }
    } while (left && progress);
    for (size_t k = 0; k < nrows; k++)
        if (!rows[k].done) {
            report_error(rep, rows[k].line, "parent",
                         "the parent chain of this organisation is a cycle");
            rows[k].done = rows[k].failed = 1;
        }
    if (rep->failed && !opts->partial) {
        rc = ERMES_EINVAL;
        goto fail;
    }
    snprintf(detail, sizeof(detail),
             "{\"rows\":%ld,\"imported\":%ld,\"updated\":%ld,\"failed\":%ld}", rep->rows,
             rep->imported, rep->updated, rep->failed);
    if ((rc = ermes__audit_write(st, v, "import", "organisation", NULL, detail)))
        goto fail;
    if ((rc = ermes__store_commit(st)))
        goto fail;
    rc = ermes__registry_refresh(r, 0);
    goto out;
fail:
    ermes__store_rollback(st);
    if (rc == ERMES_EINVAL) {
        /* Nothing was stored: the report says so. */
        rep->imported = rep->updated = 0;
    }
out:
    for (size_t k = 0; k < nrows; k++)
        ermes__org_free(rows[k].org);
    ermes__free(rows);
    return rc;
}
