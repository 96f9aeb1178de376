/* libFuzzer target for STIX 2.1 bundle import (src/sharing/stix_import.c): the JSON shapes it
 * takes, every object checked on its own (type, id, spec_version, timestamps, markings,
 * patterns), stored in a SQLite database in a temporary directory made once, and the
 * indicators made from the patterns. Checks: every object is counted once, as stored,
 * already there or failed, and every failure names a reason. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sharing/stix.h"

static ermes__store_t *store;
/* No organisation: the store the harness opens has none (an owner would be a foreign key). */
static ermes__viewer_t admin = {1, "fuzz", ERMES_ROLE_ADMIN, 0, "fuzz"};

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_stix_bundle: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__stix_import_opts_t o;
    ermes__stix_import_result_t res;
    ermes_diag_t d;
    json_t *f;
    size_t i;
    int rc;

    if (!store) {
        char dir[] = "/tmp/ermes-fuzz-stix-XXXXXX";
        ermes__store_options_t opts = {0, 1, 0, NULL};
        check(mkdtemp(dir) != NULL, "a temporary directory");
        check(ermes__store_open(dir, &opts, &store) == 0, "a store");
    }
    if (size > 1 << 20)
        return 0;
    memset(&o, 0, sizeof(o));
    o.viewer = &admin;
    o.default_tlp = ERMES_TLP_AMBER;
    o.max_tlp = data && size && data[0] == 'G' ? ERMES_TLP_GREEN : ERMES_TLP_RED;
    ermes__stix_import_result_init(&res);
    ermes_diag_clear(&d);
    rc = ermes__stix_import(store, (const char *)data, size, &o, &res, &d);
    if (!(rc == 0 || rc == ERMES_EPARSE || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM))
        fprintf(stderr, "fuzz_stix_bundle: import returned %s (%s)\n", ermes_errname(rc), d.reason);
    check(rc == 0 || rc == ERMES_EPARSE || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM,
          "import returns 0 or a reason");
    if (rc == 0) {
        check(res.stored + res.duplicates + res.failed == res.total, "every object counted once");
        json_array_foreach(res.failures, i, f)
        {
            const char *why = json_string_value(json_object_get(f, "reason"));
            check(why && why[0], "a failure names its reason");
        }
    }
    ermes__stix_import_result_cleanup(&res);
    return 0;
}
