/* libFuzzer target for the bulk import of organisations (POST /api/v1/organisations/import,
 * "ermes org import"): src/constituency/import.c over a real store.
 *
 * The first byte of the input chooses the options (bit 0: partial mode, bit 1: update mode);
 * the rest is imported as CSV, then as JSON, by the CERT's administrator. One store in a
 * temporary directory serves every input; after each input everything imported is deleted
 * and the CERT's own organisation restored, so every input starts from the same registry and
 * a crash reproduces. Properties checked for each import:
 *  - the result is 0, ERMES_EINVAL (rows failed in atomic mode) or ERMES_EPARSE;
 *  - the report adds up: every row imported, updated or failed; no more errors than failures;
 *    every error line within the input;
 *  - exactly the imported rows were stored: none in atomic mode after a failure;
 *  - no transaction is left open.
 * Set ERMES_FUZZ_STRICT=1 to also abort on ERMES_ENOMEM, which no allocation can cause here
 * (a known bug: text that is not UTF-8 in a list column of a CSV gives ERMES_ENOMEM). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access/access.h"
#include "constituency/registry.h"
#include "core/log.h"
#include "model/org.h"
#include "store/db.h"
#include "store/store.h"

/* A new store now and then keeps the append-only audit log from growing without bound. */
#define IMPORTS_PER_STORE 20000

static char dir[64];
static ermes__store_t *store;
static ermes__registry_t *registry;
static ermes__viewer_t admin;
static long imports;
static int strict;

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_org_import: %s\n", what);
    abort();
}

static void remove_store(void)
{
    static const char *const files[] = {"ermes.db", "ermes.db-wal", "ermes.db-shm"};
    char path[128];

    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
        unlink(path);
    }
}

static void open_store(void)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__org_t *home = ermes__org_new();
    ermes_diag_t d;

    remove_store();
    check(ermes__store_open(dir, &opts, &store) == 0, "cannot open the store");
    /* Durability is not what is fuzzed: skip the fsync of every commit. */
    check(ermes__db_exec(ermes__db_conn(store), "PRAGMA synchronous=OFF") == 0, "pragma");
    check(home != NULL, "out of memory");
    home->short_name = ermes__org_strdup(home, "CERT");
    home->name = ermes__org_strdup(home, "The CERT");
    home->type = ermes__org_strdup(home, "cert");
    home->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    check(ermes__store_org_insert(store, home, &d) == 0, "cannot create the CERT");
    admin.user_id = 0;
    admin.user_name = "fuzz";
    admin.role = ERMES_ROLE_ADMIN;
    admin.org_id = home->meta.id;
    admin.remote = "fuzz";
    ermes__org_free(home);
    check(ermes__registry_open(store, &registry) == 0, "cannot open the registry");
}

static void close_store(void)
{
    ermes__registry_close(registry);
    ermes__store_close(store);
    registry = NULL;
    store = NULL;
    remove_store();
}

static void at_exit(void)
{
    close_store();
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ermes__log_level = -1; /* rejected rows are the point: keep the output for crashes */
    strict = getenv("ERMES_FUZZ_STRICT") && strcmp(getenv("ERMES_FUZZ_STRICT"), "1") == 0;
    snprintf(dir, sizeof(dir), "/tmp/ermes-fuzz-import-XXXXXX");
    check(mkdtemp(dir) != NULL, "mkdtemp");
    check(ermes__access_init() == 0, "libsodium");
    open_store();
    atexit(at_exit);
    return 0;
}

static int64_t count_orgs(void)
{
    int64_t n = -1;

    check(ermes__store_count(store, "organisations", &n) == 0, "count");
    return n;
}

typedef struct id_list {
    int64_t *id;
    size_t n, cap;
} id_list_t;

static int collect_cb(void *ctx, const ermes__org_t *org)
{
    id_list_t *l = ctx;

    if (org->meta.id == admin.org_id)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *p = realloc(l->id, cap * sizeof(*p));
        check(p != NULL, "out of memory");
        l->id = p;
        l->cap = cap;
    }
    l->id[l->n++] = org->meta.id;
    return 0;
}

/* Back to the registry every input starts from: the CERT alone, as created. */
static void reset(void)
{
    ermes__org_filter_t filter;
    id_list_t ids = {NULL, 0, 0};
    ermes__org_t *home = ermes__org_new();
    ermes_diag_t d;
    int more, progress;

    check(home != NULL, "out of memory");
    /* One transaction; begin also proves the import left none open. */
    check(ermes__store_begin(store) == 0, "a transaction was left open");
    /* An import in update mode may have changed the CERT itself (even given it a parent). */
    home->short_name = ermes__org_strdup(home, "CERT");
    home->name = ermes__org_strdup(home, "The CERT");
    home->type = ermes__org_strdup(home, "cert");
    home->meta.tlp = ERMES_TLP_GREEN;
    home->has = ~0u;
    ermes_diag_clear(&d);
    check(ermes__store_org_update(store, admin.org_id, home, &d) == 0, "cannot restore the CERT");
    ermes__org_free(home);
    memset(&filter, 0, sizeof(filter));
    check(ermes__store_org_each(store, &admin, &filter, collect_cb, &ids, &more) == 0, "list");
    /* Children before parents: delete what has no children, until nothing is left. */
    do {
        progress = 0;
        for (size_t k = ids.n; k-- > 0;) {
            int rc;
            if (!ids.id[k])
                continue;
            ermes_diag_clear(&d);
            rc = ermes__store_org_delete(store, ids.id[k], &d);
            check(rc == 0 || rc == ERMES_ECONFLICT, "cannot delete an imported organisation");
            if (rc == 0) {
                ids.id[k] = 0;
                progress = 1;
            }
        }
    } while (progress);
    free(ids.id);
    check(ermes__store_commit(store) == 0, "commit");
    check(count_orgs() == 1, "imported organisations left behind");
    check(ermes__registry_refresh(registry, 1) == 0, "refresh");
}

static long count_lines(const uint8_t *data, size_t size)
{
    long n = 1;

    for (size_t k = 0; k < size; k++)
        n += data[k] == '\n';
    return n;
}

/* Runs one import and checks its report; returns 1 when something was stored. */
static int import_once(const uint8_t *data, size_t size, ermes__format_t format, int partial,
                       int update)
{
    ermes__import_options_t opts = {format, partial, update, "fuzz"};
    ermes__import_report_t rep;
    int64_t before = count_orgs(), after;
    long lines = count_lines(data, size);
    int rc, stored;

    rc = ermes__registry_import(registry, &admin, (const char *)data, size, &opts, &rep);
    if (rc == ERMES_ENOMEM && !strict) {
        /* The known bug (see the top of this file): nothing may have been stored. */
        check(count_orgs() == before, "ERMES_ENOMEM, yet rows were stored");
        ermes__import_report_cleanup(&rep);
        return 0;
    }
    check(rc == 0 || rc == ERMES_EINVAL || rc == ERMES_EPARSE, "unexpected result");
    check(rep.nerrors <= (size_t)rep.failed && rep.nerrors <= ERMES_IMPORT_MAX_ERRORS,
          "more errors than failures");
    for (size_t k = 0; k < rep.nerrors; k++) {
        const ermes__import_error_t *e = &rep.errors[k];
        check(memchr(e->field, '\0', sizeof(e->field)) &&
                  memchr(e->reason, '\0', sizeof(e->reason)),
              "unterminated error");
        check(e->reason[0] != '\0', "an error without a reason");
        check(e->line >= 1 && e->line <= lines, "an error line outside the input");
    }
    if (rc == 0) {
        check(rep.imported + rep.updated + rep.failed == rep.rows, "the report does not add up");
        check(partial || rep.failed == 0, "rows failed in atomic mode, yet it succeeded");
    } else if (rc == ERMES_EINVAL) {
        check(!partial, "ERMES_EINVAL in partial mode");
        check(rep.failed >= 1 && rep.imported == 0 && rep.updated == 0,
              "a failed atomic import reports stored rows");
    } else {
        check(rep.nerrors >= 1, "unreadable input without a reason");
    }
    after = count_orgs();
    check(after == before + (rc == 0 ? rep.imported : 0), "stored rows differ from the report");
    stored = rc == 0 && (rep.imported || rep.updated);
    ermes__import_report_cleanup(&rep);
    return stored;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int partial, update, stored = 0;

    if (size < 1)
        return 0;
    partial = data[0] & 1;
    update = (data[0] >> 1) & 1;
    data++;
    size--;
    stored |= import_once(data, size, ERMES_FORMAT_CSV, partial, update);
    stored |= import_once(data, size, ERMES_FORMAT_JSON, partial, update);
    if (stored) {
        reset();
        if (++imports % IMPORTS_PER_STORE == 0) {
            close_store();
            open_store();
        }
    }
    return 0;
}
