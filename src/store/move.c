/* Moving a database from one backend to the other (`ermes migrate --to URL`): every table of
 * the schema copied whole, ids kept, then every table counted on both sides.
 *
 * The tables and their columns are read from the two databases' catalogues, not from a list
 * kept here, so a table a later migration adds moves with the rest; a table or column only
 * one side has is an error rather than a silent loss. Each column's kind (integer, text,
 * bytes) is PostgreSQL's type of it: one side of a move is always PostgreSQL.
 *
 * The source is read inside a write transaction of its own, which keeps every other writer
 * (a daemon left running, an ingest) out until the counts are compared, and is then rolled
 * back. The target is written in one transaction, with its foreign keys checked at commit
 * (PostgreSQL) or off (SQLite, whose source was consistent); rows go in as bulk rows (COPY on
 * PostgreSQL). The audit log is copied with INSERT, which its append-only triggers allow: they
 * stay as they are. PostgreSQL's identity sequences are moved past the highest id copied. */
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "store/db.h"
#include "store/db_int.h"
#include "store/store_int.h"

/* Reading a PostgreSQL table, which libpq gives whole, a page of rows at a time. */
#define PAGE_ROWS 20000

typedef struct move_col {
    char name[64];
    char kind;     /* 'i', 't' or 'b' */
    int on_sqlite; /* the SQLite table has it too */
} move_col_t;

typedef struct move_table {
    char name[64];
    move_col_t *cols;
    int ncols;
    int id_col; /* the integer column "id" (pages of a PostgreSQL source), or -1 */
} move_table_t;

typedef struct move_tables {
    move_table_t *v;
    size_t n, cap;
} move_tables_t;

/* The table copied last: the triggers of the others move the target's counters while they are
 * copied, and the source's values are what the copy must end with. */
static int copied_last(const char *name)
{
    return strcmp(name, "counters") == 0;
}

/* Tables made from others, not copied: the events' time map, whose blocks differ between the
 * backends (partitions on PostgreSQL), is filled again on the target from the events copied
 * (src/store/event_time_map.c). */
static int derived(const char *name)
{
    return strcmp(name, "event_time_map") == 0;
}

/* Tables every use of ermes fills (`ermes init` writes an organisation, a user and the audit of
 * both): rows in any of them mean the target holds data. Other tables may hold rows a new
 * database starts with (counters, the deduplication secret, default calendars...), which the
 * copy replaces by the source's. */
static int data_table(const char *name)
{
    static const char *const names[] = {"organisations", "users",  "audit",
                                        "reports",       "events", "indicators"};

    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (strcmp(name, names[k]) == 0)
            return 1;
    return 0;
}

/* Catalogue names are used in statements: only the names a schema of ours has. */
static int plain_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= 64)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') || s[k] == '_'))
            return 0;
    return 1;
}

static void tables_free(move_tables_t *t)
{
    for (size_t k = 0; k < t->n; k++)
        ermes__free(t->v[k].cols);
    ermes__free(t->v);
    memset(t, 0, sizeof(*t));
}

/* The tables of db's schema (SQLite's own and schema_version left out), by name. */
static int read_tables(ermes__db_t *db, move_tables_t *out, ermes_diag_t *d)
{
    ermes__db_stmt_t *s;
    int rc;

    if (ermes__db_kind(db) == ERMES__DB_POSTGRESQL)
        /* Partitions are copied through their parent (events, event_ips: migration 62), and
         * the tables that describe them are PostgreSQL's own. */
        rc = ermes__db_prepare(db,
                               "SELECT c.relname FROM pg_class c WHERE"
                               " c.relnamespace = current_schema()::regnamespace"
                               " AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                               " AND c.relname NOT IN ('event_partitions', 'event_partitioning')"
                               " ORDER BY c.relname",
                               &s);
    else
        rc = ermes__db_prepare(db,
                               "SELECT name FROM sqlite_master WHERE type = 'table'"
                               " AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name",
                               &s);
    if (rc)
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        const char *name = ermes__db_col_text(s, 0);
        if (!name || strcmp(name, "schema_version") == 0)
            continue;
        if (!plain_name(name)) {
            ermes_diag_set(d, "table", "a table named \"%.60s\" is not one of ermes's", name);
            rc = ERMES_EINVAL;
            break;
        }
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 64;
            move_table_t *v = ermes__reallocarray(out->v, cap, sizeof(*v));
            if (!v) {
                rc = ERMES_ENOMEM;
                break;
            }
            out->v = v;
            out->cap = cap;
        }
        memset(&out->v[out->n], 0, sizeof(out->v[0]));
        snprintf(out->v[out->n].name, sizeof(out->v[0].name), "%s", name);
        out->v[out->n].id_col = -1;
        out->n++;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static char kind_of(const char *pg_type)
{
    if (!pg_type)
        return 't';
    if (strcmp(pg_type, "bigint") == 0 || strcmp(pg_type, "integer") == 0 ||
        strcmp(pg_type, "smallint") == 0)
        return 'i';
    if (strcmp(pg_type, "bytea") == 0)
        return 'b';
    return 't';
}

/* The columns of t: PostgreSQL's in its order, with their kinds, checked against SQLite's: the
 * same names on both sides. */
static int read_columns(ermes__db_t *pg, ermes__db_t *lite, move_table_t *t, ermes_diag_t *d)
{
    ermes__db_stmt_t *s;
    int rc, nlite = 0;

    if ((rc = ermes__db_prepare(pg,
                                "SELECT column_name, data_type FROM information_schema.columns"
                                " WHERE table_schema = current_schema() AND table_name = ?1"
                                " ORDER BY ordinal_position",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, t->name);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *name = ermes__db_col_text(s, 0);
        move_col_t *c;
        if (!name || !plain_name(name)) {
            ermes_diag_set(d, t->name, "a column named \"%.60s\" is not one of ermes's",
                           name ? name : "");
            rc = ERMES_EINVAL;
            break;
        }
        c = ermes__reallocarray(t->cols, (size_t)t->ncols + 1, sizeof(*c));
        if (!c) {
            rc = ERMES_ENOMEM;
            break;
        }
        t->cols = c;
        c = &t->cols[t->ncols];
        memset(c, 0, sizeof(*c));
        snprintf(c->name, sizeof(c->name), "%s", name);
        c->kind = kind_of(ermes__db_col_text(s, 1));
        if (strcmp(name, "id") == 0 && c->kind == 'i')
            t->id_col = t->ncols;
        t->ncols++;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if ((rc = ermes__db_prepare(lite, "SELECT name FROM pragma_table_info(?1)", &s)))
        return rc;
    ermes__db_bind_text(s, 1, t->name);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *name = ermes__db_col_text(s, 0);
        int found = 0;
        nlite++;
        for (int k = 0; k < t->ncols && name; k++)
            if (strcmp(t->cols[k].name, name) == 0) {
                t->cols[k].on_sqlite = 1;
                found = 1;
            }
        if (!found) {
            ermes_diag_set(d, t->name,
                           "column %s.%.60s is in the SQLite database and not in the PostgreSQL"
                           " one",
                           t->name, name ? name : "");
            rc = ERMES_EINVAL;
            break;
        }
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    for (int k = 0; k < t->ncols; k++)
        if (!t->cols[k].on_sqlite) {
            ermes_diag_set(d, t->name,
                           "column %s.%s is in the PostgreSQL database and not in the SQLite one",
                           t->name, t->cols[k].name);
            return ERMES_EINVAL;
        }
    if (nlite == 0 || t->ncols == 0) {
        ermes_diag_set(d, t->name, "table %s has no columns on one side", t->name);
        return ERMES_EINVAL;
    }
    return 0;
}

/* Builds a statement's text and gives it to db to keep (ermes__db_keep_sql). */
static const char *kept_sql(ermes__db_t *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *kept_sql(ermes__db_t *db, const char *fmt, ...)
{
    ermes__strbuf_t b;
    va_list ap;
    int rc;

    ermes__strbuf_init(&b, 1u << 20);
    va_start(ap, fmt);
    rc = ermes__strbuf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return NULL;
    }
    return ermes__db_keep_sql(db, ermes__strbuf_take(&b, NULL));
}

/* "a, b, c": t's column names. */
static int column_list(const move_table_t *t, ermes__strbuf_t *b)
{
    int rc = 0;

    for (int k = 0; k < t->ncols && !rc; k++)
        rc = ermes__strbuf_addf(b, "%s%s", k ? ", " : "", t->cols[k].name);
    return rc;
}

static int count_rows(ermes__db_t *db, const char *table, int64_t *n)
{
    const char *sql = kept_sql(db, "SELECT count(*) FROM %s", table);
    ermes__db_stmt_t *s;
    int rc;

    if (!sql)
        return ERMES_ENOMEM;
    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    rc = ermes__db_step(s);
    if (rc == 1) {
        *n = ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : (rc == 0 ? 0 : ERMES_ESTORE);
}

/* One value from the source's row to the target's. */
static int move_value(ermes__db_stmt_t *from, int col, char kind, ermes__db_stmt_t *to, int idx)
{
    const void *p;
    size_t len;

    if (ermes__db_col_null(from, col))
        return ermes__db_bind_null(to, idx);
    if (kind == 'i')
        return ermes__db_bind_int(to, idx, ermes__db_col_int(from, col));
    if (kind == 't')
        return ermes__db_bind_text(to, idx, ermes__db_col_text(from, col));
    p = ermes__db_col_blob(from, col, &len);
    return ermes__db_bind_blob(to, idx, p ? p : "", len);
}

/* Copies table t from src to dst (dst in its transaction); *copied gets the rows. */
static int copy_table(ermes__db_t *src, ermes__db_t *dst, const move_table_t *t, int64_t *copied)
{
    ermes__strbuf_t cols, params;
    ermes__db_bulk_def_t *def;
    const char *select_sql;
    char *kinds;
    int paged = ermes__db_kind(src) == ERMES__DB_POSTGRESQL && t->id_col >= 0;
    int64_t after = 0;
    int rc = 0, more = 1;

    *copied = 0;
    ermes__strbuf_init(&cols, 1u << 20);
    ermes__strbuf_init(&params, 1u << 20);
    def = ermes__calloc(1, sizeof(*def));
    kinds = ermes__calloc(1, (size_t)t->ncols + 1);
    if (!def || !kinds || (rc = column_list(t, &cols)))
        goto fail;
    for (int k = 0; k < t->ncols && !rc; k++) {
        kinds[k] = t->cols[k].kind;
        rc = ermes__strbuf_addf(&params, "%s?%d", k ? ", " : "", k + 1);
    }
    if (rc)
        goto fail;
    /* The definition and its kinds live as long as the target's connection: they are kept
     * with it (ermes__db_keep_sql frees what it cannot keep). */
    def->kinds = ermes__db_keep_sql(dst, kinds);
    kinds = NULL;
    if (!def->kinds || !ermes__db_keep_sql(dst, (char *)def)) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (paged)
        select_sql = kept_sql(src, "SELECT %s FROM %s WHERE id > ?1 ORDER BY id LIMIT %d",
                              cols.data, t->name, PAGE_ROWS);
    else
        select_sql = kept_sql(src, "SELECT %s FROM %s%s", cols.data, t->name,
                              t->id_col >= 0 ? " ORDER BY id" : "");
    def->insert_sql =
        kept_sql(dst, "INSERT INTO %s (%s) VALUES (%s)", t->name, cols.data, params.data);
    def->copy_sql = kept_sql(dst, "COPY %s (%s) FROM STDIN", t->name, cols.data);
    if (!select_sql || !def->insert_sql || !def->copy_sql) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    while (more && !rc) {
        ermes__db_stmt_t *s, *row;
        int64_t page = 0;
        if ((rc = ermes__db_prepare(src, select_sql, &s)))
            break;
        if (paged)
            ermes__db_bind_int(s, 1, after);
        while ((rc = ermes__db_step(s)) == 1) {
            if ((rc = ermes__db_bulk_row(dst, def, &row)))
                break;
            for (int k = 0; k < t->ncols && !rc; k++)
                rc = move_value(s, k, t->cols[k].kind, row, k + 1);
            if (rc || (rc = ermes__db_bulk_add(row)))
                break;
            if (paged)
                after = ermes__db_col_int(s, t->id_col);
            page++;
            (*copied)++;
        }
        ermes__db_done(s);
        more = paged && page == PAGE_ROWS;
    }
    goto out;
fail:
    ermes__free(def);
    ermes__free(kinds);
    if (!rc)
        rc = ERMES_ENOMEM;
out:
    ermes__strbuf_cleanup(&cols);
    ermes__strbuf_cleanup(&params);
    return rc < 0 ? rc : 0;
}

/* PostgreSQL's identity sequences past the highest id of their tables, so that the next
 * generated id follows the copied ones. */
static int set_sequences(ermes__db_t *pg)
{
    ermes__db_stmt_t *s;
    char names[64][2][64];
    int n = 0, rc;

    if ((rc = ermes__db_prepare(pg,
                                "SELECT table_name, column_name FROM information_schema.columns"
                                " WHERE table_schema = current_schema() AND is_identity = 'YES'",
                                &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1 && n < 64) {
        const char *t = ermes__db_col_text(s, 0), *c = ermes__db_col_text(s, 1);
        if (!t || !c || !plain_name(t) || !plain_name(c))
            continue;
        snprintf(names[n][0], sizeof(names[n][0]), "%s", t);
        snprintf(names[n][1], sizeof(names[n][1]), "%s", c);
        n++;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return ERMES_ETOOBIG; /* more than 64 identity columns: not a schema of ours */
    for (int k = 0; k < n && !rc; k++) {
        ermes__strbuf_t sql;
        ermes__strbuf_init(&sql, 4096);
        rc = ermes__strbuf_addf(&sql,
                                "SELECT setval(pg_get_serial_sequence('%s', '%s'),"
                                " COALESCE((SELECT max(%s) FROM %s), 0) + 1, false)",
                                names[k][0], names[k][1], names[k][1], names[k][0]);
        if (!rc)
            rc = ermes__db_exec(pg, sql.data);
        ermes__strbuf_cleanup(&sql);
    }
    return rc;
}

int ermes__store_move_check(ermes__store_t *dst, char *table, size_t tablelen)
{
    ermes__db_t *db = ermes__db_conn(dst);
    move_tables_t tabs = {0};
    ermes_diag_t d;
    int64_t n;
    int rc;

    table[0] = '\0';
    if (!db)
        return ERMES_ESTORE;
    ermes_diag_clear(&d);
    if ((rc = read_tables(db, &tabs, &d)))
        goto out;
    for (size_t k = 0; k < tabs.n; k++) {
        if (!data_table(tabs.v[k].name))
            continue;
        if ((rc = count_rows(db, tabs.v[k].name, &n)))
            break;
        if (n > 0) {
            snprintf(table, tablelen, "%s", tabs.v[k].name);
            break;
        }
    }
out:
    tables_free(&tabs);
    return rc;
}

int ermes__store_wipe(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    move_tables_t tabs = {0};
    ermes_diag_t d;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    ermes_diag_clear(&d);
    if ((rc = read_tables(db, &tabs, &d)))
        goto out;
    /* DROP, not DELETE: the audit log refuses DELETE and TRUNCATE, and a database given up
     * whole is not the log being rewritten. The schema is made again at the next open. */
    for (size_t k = 0; k < tabs.n && !rc; k++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s%s", tabs.v[k].name,
                 ermes__db_kind(db) == ERMES__DB_POSTGRESQL ? " CASCADE" : "");
        rc = ermes__db_exec(db, sql);
    }
    if (!rc)
        rc = ermes__db_exec(db, "DROP TABLE IF EXISTS schema_version");
    /* PostgreSQL's own tables, which read_tables leaves out (the partitions went with their
     * parents). */
    if (!rc && ermes__db_kind(db) == ERMES__DB_POSTGRESQL)
        rc = ermes__db_exec(db, "DROP TABLE IF EXISTS event_partitions, event_partitioning");
    if (!rc && ermes__db_kind(db) == ERMES__DB_POSTGRESQL)
        /* The functions of the schema's triggers, made again with it. */
        rc = ermes__db_exec(db, "DO $$ DECLARE f regprocedure; BEGIN"
                                " FOR f IN SELECT p.oid::regprocedure FROM pg_proc p"
                                " WHERE p.pronamespace = current_schema()::regnamespace LOOP"
                                " EXECUTE 'DROP FUNCTION ' || f || ' CASCADE'; END LOOP; END $$");
out:
    tables_free(&tabs);
    return rc;
}

int ermes__store_move(ermes__store_t *src_st, ermes__store_t *dst_st, ermes__store_move_cb cb,
                      void *ctx, ermes_diag_t *d)
{
    ermes__db_t *src = ermes__db_conn(src_st), *dst = ermes__db_conn(dst_st);
    move_tables_t st = {0}, dt = {0};
    int64_t *copied = NULL;
    int rc, src_open = 0, dst_open = 0, vs = 0, vd = 0;

    if (!src || !dst)
        return ERMES_ESTORE;
    if (ermes__db_kind(src) == ermes__db_kind(dst)) {
        ermes_diag_set(d, "to",
                       "the target is a %s database as the source is: ermes migrate"
                       " moves between SQLite and PostgreSQL",
                       ermes__store_backend(src_st));
        return ERMES_EINVAL;
    }
    if ((rc = ermes__store_schema_version(src_st, &vs)) ||
        (rc = ermes__store_schema_version(dst_st, &vd)))
        return rc;
    if (vs != vd) {
        ermes_diag_set(d, "to",
                       "the source has schema version %d and the target %d: both must be the"
                       " same (open the older one with this ermes first)",
                       vs, vd);
        return ERMES_EUNSUPPORTED;
    }
    /* The source's write lock for the whole copy and count: no other writer gets in. */
    if ((rc = ermes__db_begin(src, 1)))
        goto out;
    src_open = 1;
    if ((rc = read_tables(src, &st, d)) || (rc = read_tables(dst, &dt, d)))
        goto out;
    for (size_t k = 0, j = 0; k < st.n || j < dt.n;) {
        int c = k == st.n ? 1 : j == dt.n ? -1 : strcmp(st.v[k].name, dt.v[j].name);
        if (c) {
            ermes_diag_set(d, "table", "table %s is in the %s database only",
                           c < 0 ? st.v[k].name : dt.v[j].name,
                           c < 0 ? ermes__store_backend(src_st) : ermes__store_backend(dst_st));
            rc = ERMES_EINVAL;
            goto out;
        }
        k++, j++;
    }
    for (size_t k = 0; k < st.n; k++) {
        ermes__db_t *pg = ermes__db_kind(src) == ERMES__DB_POSTGRESQL ? src : dst;
        if ((rc = read_columns(pg, pg == src ? dst : src, &st.v[k], d)))
            goto out;
    }
    copied = ermes__calloc(st.n ? st.n : 1, sizeof(*copied));
    if (!copied) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    /* Foreign keys: checked at commit on PostgreSQL, off on SQLite (the source has them). */
    if ((rc = ermes__store_foreign_keys(dst_st, 0)) || (rc = ermes__db_begin(dst, 1)))
        goto out;
    dst_open = 1;
    /* PostgreSQL's partitions of events for every id the source has (migration 62). */
    if (ermes__db_kind(dst) == ERMES__DB_POSTGRESQL) {
        ermes__db_stmt_t *s;
        int64_t last = 0;
        int made = 0;

        if ((rc = ermes__db_prepare(src, "SELECT max(id) FROM events", &s)))
            goto out;
        if ((rc = ermes__db_step(s)) == 1)
            last = ermes__db_col_int(s, 0);
        ermes__db_done(s);
        if (rc < 0 || (rc = ermes__store_event_partitions_cover(dst_st, last, &made))) {
            ermes_diag_set(d, "events", "cannot make the partitions of events: %s",
                           ermes__db_errmsg(dst));
            goto out;
        }
    }
    /* The rows the target started with (ermes__store_move_check found none of its own data)
     * give way to the source's. */
    for (size_t k = 0; k < st.n; k++) {
        int64_t n = 0;
        char sql[128];
        if ((rc = count_rows(dst, st.v[k].name, &n)))
            goto out;
        if (n == 0)
            continue;
        snprintf(sql, sizeof(sql), "DELETE FROM %s", st.v[k].name);
        if ((rc = ermes__db_exec(dst, sql))) {
            ermes_diag_set(d, st.v[k].name, "cannot empty table %s of the target: %s", st.v[k].name,
                           ermes__db_errmsg(dst));
            goto out;
        }
    }
    for (size_t k = 0; k < st.n; k++)
        if (!copied_last(st.v[k].name) && !derived(st.v[k].name) &&
            (rc = copy_table(src, dst, &st.v[k], &copied[k]))) {
            ermes_diag_set(d, st.v[k].name, "copying table %s failed: %s", st.v[k].name,
                           ermes__db_errmsg(rc == ERMES_ENOMEM ? src : dst));
            goto out;
        }
    /* Last, after the triggers of the tables above have moved the target's counters. */
    for (size_t k = 0; k < st.n; k++)
        if (copied_last(st.v[k].name)) {
            char sql[128];
            snprintf(sql, sizeof(sql), "DELETE FROM %s", st.v[k].name);
            if ((rc = ermes__db_exec(dst, sql)) ||
                (rc = copy_table(src, dst, &st.v[k], &copied[k])))
                goto out;
        }
    if ((rc = ermes__store_event_time_map_fill(dst_st))) {
        ermes_diag_set(d, "event_time_map", "cannot fill the time map of events: %s",
                       ermes__db_errmsg(dst));
        goto out;
    }
    if (ermes__db_kind(dst) == ERMES__DB_POSTGRESQL && (rc = set_sequences(dst)))
        goto out;
    if ((rc = ermes__db_commit(dst))) {
        ermes_diag_set(d, "to", "the target refused the copy at commit: %s", ermes__db_errmsg(dst));
        goto out;
    }
    dst_open = 0;
    ermes__store_foreign_keys(dst_st, 1);
    /* Every table counted on both sides, the source still locked. */
    for (size_t k = 0; k < st.n; k++) {
        int64_t ns = 0, nd = 0;
        if (derived(st.v[k].name))
            continue;
        if ((rc = count_rows(src, st.v[k].name, &ns)) || (rc = count_rows(dst, st.v[k].name, &nd)))
            goto out;
        if (cb)
            cb(ctx, st.v[k].name, ns, nd);
        if (ns != nd || ns != copied[k]) {
            ermes_diag_set(d, st.v[k].name,
                           "table %s: %lld rows in the source, %lld copied, %lld in the target",
                           st.v[k].name, (long long)ns, (long long)copied[k], (long long)nd);
            rc = ERMES_ESTORE;
            goto out;
        }
    }
out:
    if (dst_open) {
        ermes__db_rollback(dst);
        ermes__store_foreign_keys(dst_st, 1);
    }
    if (src_open)
        ermes__db_rollback(src);
    ermes__free(copied);
    tables_free(&st);
    tables_free(&dt);
    return rc;
}
