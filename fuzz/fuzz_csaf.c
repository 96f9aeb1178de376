/* libFuzzer target for the CSAF 2.0 reader and validator (src/advisories/csaf.c, jsonschema.c,
 * csaf_tests.c, lang.c, purl.c): exactly what `ermes csaf validate` and the body of POST
 * /api/v1/csaf/validate go through: ermes_csaf_validate on the input, then the result as
 * JSON (ermes_csaf_result_json).
 * Checks: the input is refused only as not JSON, too deep or too big, with a reason; a result
 * is valid exactly when it lists no mandatory failure (when all are listed); every failure has
 * a test, the group "mandatory", "optional" or "informative",
 * a path that is "" or a JSON pointer and a message; the JSON of the result parses back with
 * the same verdict and failures, and is byte for byte what building it with jansson and
 * dumping it compactly gives (ermes writes it by hand for speed); the basic preset
 * (ermes_csaf_validate_preset) reaches the same verdict and lists exactly the mandatory
 * failures of the full run, in the same order. Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/csaf.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_csaf: %s\n", what);
    abort();
}

/* The result's JSON as ermes built it before writing it by hand: the reference. */
static char *jansson_json(const ermes_csaf_result_t *r, const char *file)
{
    json_t *o = json_object(), *failed = json_array();
    char *s = NULL;

    if (!o || !failed)
        goto out;
    if (file && json_object_set_new(o, "file", json_string(file)))
        goto out;
    json_object_set_new(o, "valid", json_boolean(r->valid));
    for (size_t i = 0; i < r->listed; i++) {
        const ermes_csaf_failure_t *f = &r->failed[i];
        json_array_append_new(failed, json_pack("{s:s,s:s,s:s,s:s}", "test", f->test, "group",
                                                f->group, "path", f->path, "message", f->message));
    }
    json_object_set(o, "failed", failed);
    if (r->count > r->listed)
        json_object_set_new(o, "more_failures", json_integer((json_int_t)(r->count - r->listed)));
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
    json_decref(failed);
    json_decref(o);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    ermes_csaf_result_t r;
    ermes_diag_t d;
    int rc;

    if (!s)
        return 0;
    memcpy(s, data, size);
    ermes_diag_clear(&d);
    rc = ermes_csaf_validate(s, size, &r, &d);
    if (rc) {
        free(s);
        check(rc == ERMES_EPARSE || rc == ERMES_ETOOBIG, "unexpected error code");
        check(d.reason[0] != '\0', "refusal without a reason");
        return 0;
    }
    check(r.listed <= r.count && r.listed <= ERMES_CSAF_MAX_FAILURES, "listed out of range");
    int mandatory = 0;
    for (size_t i = 0; i < r.listed; i++) {
        const ermes_csaf_failure_t *f = &r.failed[i];
        check(f->test[0] != '\0' && f->message && f->message[0], "failure without test/message");
        check(strcmp(f->group, "mandatory") == 0 || strcmp(f->group, "optional") == 0 ||
                  strcmp(f->group, "informative") == 0,
              "unexpected group");
        mandatory |= strcmp(f->group, "mandatory") == 0;
        check(f->path && (f->path[0] == '\0' || f->path[0] == '/'), "path not a JSON pointer");
    }
    if (r.listed == r.count)
        check(r.valid == !mandatory, "valid disagrees with the failures");
    else
        check(!r.valid || r.listed == ERMES_CSAF_MAX_FAILURES, "valid with unlisted failures");
    char *out = ermes_csaf_result_json(&r, "fuzz.json");
    check(out != NULL, "result does not serialise");
    char *ref = jansson_json(&r, "fuzz.json");
    check(ref && strcmp(ref, out) == 0, "result JSON differs from jansson's dump");
    free(ref);
    json_t *back = json_loads(out, 0, NULL);
    check(back != NULL, "result JSON does not parse");
    check(json_is_true(json_object_get(back, "valid")) == r.valid, "verdict lost in JSON");
    check(json_array_size(json_object_get(back, "failed")) == r.listed, "failures lost in JSON");
    json_decref(back);
    free(out);
    ermes_csaf_result_t basic;
    check(ermes_csaf_validate_preset(s, size, ERMES_CSAF_BASIC, &basic, &d) == 0,
          "the basic preset refuses what the full one took");
    check(basic.valid == r.valid, "the basic preset's verdict differs");
    if (r.listed == r.count) {
        size_t k = 0;
        for (size_t i = 0; i < r.listed; i++) {
            if (strcmp(r.failed[i].group, "mandatory") != 0)
                continue;
            check(k < basic.listed && strcmp(basic.failed[k].test, r.failed[i].test) == 0 &&
                      strcmp(basic.failed[k].path, r.failed[i].path) == 0 &&
                      strcmp(basic.failed[k].message, r.failed[i].message) == 0,
                  "the basic preset lists other mandatory failures");
            k++;
        }
        check(k == basic.listed, "the basic preset lists more than the mandatory failures");
    }
    ermes_csaf_result_cleanup(&basic);
    free(s);
    ermes_csaf_result_cleanup(&r);
    return 0;
}
