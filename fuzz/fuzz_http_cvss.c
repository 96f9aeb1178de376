/* libFuzzer target for GET /api/v1/cvss (src/http/h_cvss.c): ermes__cvss_json, what the
 * handler answers for the vector parameter (the parser and scorer under it are fuzzed by
 * fuzz_cvss too).
 *
 * Input: the vector as libmicrohttpd hands it over, any bytes. Checks: an answer is an object
 * with the vector as given, a known version, a base score in 0.0-10.0 with a severity, and
 * the other scores null or in range, and it serializes; a refusal is ERMES_EPARSE with a
 * reason; vectors over ERMES_CVSS_MAX_VECTOR bytes are refused. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/cvss.h"
#include "http/http.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_http_cvss: %s\n", what);
    abort();
}

static void score_ok(json_t *j, const char *name, int nullable)
{
    json_t *v = json_object_get(j, name);

    check(v != NULL, "a score is missing");
    if (json_is_null(v)) {
        check(nullable, "the base score is null");
        return;
    }
    check(json_is_real(v) && json_real_value(v) >= 0.0 && json_real_value(v) <= 10.0,
          "a score is out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = NULL;
    ermes_diag_t d;
    const char *ver;
    char *text;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__cvss_json((const char *)data, size, &j, &d);
    if (rc) {
        check(rc == ERMES_EPARSE, "a refusal is not ERMES_EPARSE");
        check(d.reason[0] != '\0', "a refusal has no reason");
        check(j == NULL, "a refusal left an answer");
        return 0;
    }
    check(size <= ERMES_CVSS_MAX_VECTOR, "a vector over the limit was accepted");
    check(json_is_object(j), "the answer is not an object");
    check(json_string_length(json_object_get(j, "vector")) == size &&
              memcmp(json_string_value(json_object_get(j, "vector")), data, size) == 0,
          "the answer's vector is not the one given");
    ver = json_string_value(json_object_get(j, "version"));
    check(ver && (!strcmp(ver, "2.0") || !strcmp(ver, "3.0") || !strcmp(ver, "3.1") ||
                  !strcmp(ver, "4.0")),
          "unknown version");
    check(json_string_value(json_object_get(j, "base_severity")) != NULL, "no severity");
    score_ok(j, "base_score", 0);
    score_ok(j, "temporal_score", 1);
    score_ok(j, "threat_score", 1);
    score_ok(j, "environmental_score", 1);
    text = json_dumps(j, JSON_COMPACT);
    check(text != NULL, "the answer does not serialize");
    free(text);
    json_decref(j);
    return 0;
}
