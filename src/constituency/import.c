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
#include "ermes/csv.h"
#include "model/org.h"

/* One row read from the input, not yet stored. */
typedef struct import_row {
    long line;
    ermes_org_t *org; /* NULL when the row could not be read */
    int done;         /* stored, or failed for good */
    int failed;
} import_row_t;

void ermes_import_report_cleanup(ermes_import_report_t *rep)
{
    ermes__free(rep->errors);
    memset(rep, 0, sizeof(*rep));
}

static void report_error(ermes_import_report_t *rep, long line, const char *field,
                         const char *reason)
{
    ermes_import_error_t *e;

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

/* Finds the line on which each element of the organisations array starts, by a structural
 * scan (strings and escapes respected), because jansson does not keep positions of values.
 * Elements are the objects at depth 1 of a bare array, or depth 2 of {"organisations": [...]}. */
static long *element_lines(const char *data, size_t len, size_t count)
{
    long *lines = ermes__calloc(count ? count : 1, sizeof(*lines));
    long line = 1;
    int depth = 0, in_str = 0, want;
    size_t n = 0, k = 0;

    if (!lines)
        return NULL;
    while (k < len && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n'))
        k++;
    want = k < len && data[k] == '[' ? 1 : 2;
    for (; k < len && n < count; k++) {
        char c = data[k];
        if (c == '\n')
            line++;
        if (in_str) {
            if (c == '\\')
                k++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '{' || c == '[') {
            if (depth == want && c == '{')
                lines[n++] = line;
            depth++;
        } else if (c == '}' || c == ']')
            depth--;
    }
    return lines;
}

static int read_json(const char *data, size_t len, import_row_t **rows, size_t *nrows,
                     ermes_import_report_t *rep)
{
    json_error_t err;
    json_t *root, *arr, *value;
    long *lines = NULL;
    size_t i;
    int rc = 0;

    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
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
    *nrows = json_array_size(arr);
    *rows = ermes__calloc(*nrows ? *nrows : 1, sizeof(**rows));
    lines = element_lines(data, len, *nrows);
    if (!*rows || !lines) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    json_array_foreach(arr, i, value) {
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

enum { C_SHORT, C_NAME, C_COUNTRY, C_SECTOR, C_TYPE, C_PARENT, C_TLP, C_NETWORKS, C_ASNS,
       C_DOMAINS, C_CONTACTS, C_COUNT };
static const char *const csv_columns[C_COUNT] = {"short_name", "name",     "country", "sector",
                                                 "type",       "parent",   "tlp",     "networks",
                                                 "asns",       "domains",  "contacts"};

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

/* The CSV row is turned into the JSON document the API takes, so both paths share one
 * validator (ermes__org_from_json) and report the same reasons. */
struct piece_ctx {
    json_t *arr;
    int kind; /* 0 string, 1 asn, 2 contact */
};

static int add_piece(void *ctx, const char *p, size_t n)
{
    struct piece_ctx *c = ctx;
    json_t *v;

    if (c->kind == 2) {
        /* email|name|role|language */
        const char *keys[4] = {"email", "name", "role", "language"};
        size_t start = 0, part = 0;
        v = json_object();
        if (!v)
            return ERMES_ENOMEM;
        for (size_t k = 0; k <= n && part < 4; k++) {
            if (k == n || p[k] == '|') {
                size_t a = start, b = k;
                while (a < b && p[a] == ' ')
                    a++;
                while (b > a && p[b - 1] == ' ')
                    b--;
                if (b > a)
                    json_object_set_new(v, keys[part], json_stringn(p + a, b - a));
                part++;
                start = k + 1;
            }
        }
    } else {
        v = json_stringn(p, n);
    }
    if (!v || json_array_append_new(c->arr, v))
        return ERMES_ENOMEM;
    return 0;
}

static int csv_row_to_org(char **f, const int *col, ermes_org_t *org, ermes_diag_t *d)
{
    json_t *doc = json_object();
    int rc = 0;

    if (!doc)
        return ERMES_ENOMEM;
    for (int c = 0; c < C_COUNT && !rc; c++) {
        const char *v = col[c] >= 0 ? f[col[c]] : NULL;
        if (!v)
            continue;
        if (c <= C_TLP) {
            /* Empty optional text is absent; short_name and name are checked by the model. */
            if (*v || c <= C_NAME)
                rc = json_object_set_new(doc, csv_columns[c], json_string(v)) ? ERMES_EINVAL : 0;
            if (rc) {
                ermes_diag_set(d, csv_columns[c], "%s is not valid UTF-8", csv_columns[c]);
                break;
            }
        } else {
            struct piece_ctx pc = {json_array(), c == C_CONTACTS ? 2 : 0};
            if (!pc.arr) {
                rc = ERMES_ENOMEM;
                break;
            }
            rc = each_piece(v, c == C_CONTACTS ? ";" : " \t,;", add_piece, &pc);
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
                    ermes_import_report_t *rep)
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
static int store_row(ermes_registry_t *r, const ermes_viewer_t *v, import_row_t *row,
                     const ermes_import_options_t *opts, ermes_import_report_t *rep)
{
    ermes_store_t *st = ermes_registry_store(r);
    ermes_diag_t d;
    int64_t id;
    int rc;

    ermes_diag_clear(&d);
    if ((rc = ermes_store_savepoint(st)))
        return rc;
    row->org->meta.owner_org_id = v->org_id;
    rc = ermes_store_org_insert(st, row->org, &d);
    if (rc == ERMES_EEXISTS && opts->update && strcmp(d.field, "short_name") == 0 &&
        ermes_store_org_resolve(st, NULL, row->org->short_name, &id) == 0) {
        /* The savepoint undoes the half-done insert; the update replaces everything. */
        ermes_store_rollback_to(st);
        if ((rc = ermes_store_savepoint(st)))
            return rc;
        ermes_diag_clear(&d);
        row->org->has = ~0u;
        rc = ermes_store_org_update(st, id, row->org, &d);
        if (!rc)
            rep->updated++;
    } else if (!rc) {
        rep->imported++;
    }
    if (rc == 0)
        return ermes_store_release(st);
    ermes_store_rollback_to(st);
    if (rc == ERMES_ENOMEM || rc == ERMES_EBUSY || rc == ERMES_ESTORE || rc == ERMES_EIO)
        return rc;
    report_error(rep, row->line, d.field, d.reason[0] ? d.reason : ermes_strerror(rc));
    return 1;
}

int ermes_registry_import(ermes_registry_t *r, const ermes_viewer_t *v, const char *data,
                          size_t len, const ermes_import_options_t *opts,
                          ermes_import_report_t *rep)
{
    import_row_t *rows = NULL;
    size_t nrows = 0, left;
    ermes_store_t *st = ermes_registry_store(r);
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
    if ((rc = ermes_store_begin(st)))
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
    if ((rc = ermes_audit_write(st, v, "import", "organisation", NULL, detail)))
        goto fail;
    if ((rc = ermes_store_commit(st)))
        goto fail;
    rc = ermes_registry_refresh(r, 0);
    goto out;
fail:
    ermes_store_rollback(st);
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
