/* POST /api/v1/csaf/validate: a CSAF 2.0 document in the body, the validation result back, as
 * `ermes csaf validate --json` prints it (without "file"); ?preset=basic|extended|full (default
 * full) chooses the test groups as the CLI's --preset does. The body is capped at
 * ERMES_CSAF_MAX_DOCUMENT as well as by max_body. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "ermes/csaf.h"
#include "http/http.h"

enum MHD_Result ermes__h_csaf_validate(ermes__req_t *req)
{
    ermes_csaf_preset_t preset = ERMES_CSAF_FULL;
    const char *name = ermes__query(req, "preset");
    ermes_csaf_result_t r;
    ermes_diag_t d;
    char *out, *copy;
    int rc;

    if (name && ermes_csaf_preset_parse(name, &preset))
        return ermes__reply_error(req, 400, "bad_request", "preset",
                                  "basic, extended or full (the default)");
    if (req->body.len > ERMES_CSAF_MAX_DOCUMENT)
        return ermes__reply_error(req, 413, "too_large", "body",
                                  "a CSAF document is limited to %u bytes",
                                  ERMES_CSAF_MAX_DOCUMENT);
    ermes_diag_clear(&d);
    rc = ermes_csaf_validate_preset(req->body.data ? req->body.data : "", req->body.len, preset, &r,
                                    &d);
    if (rc == ERMES_EPARSE)
        return ermes__reply_error(req, 400, "bad_request", "body", "%s (line %ld, column %ld)",
                                  d.reason, d.line, d.column);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    out = ermes_csaf_result_json(&r, NULL);
    ermes_csaf_result_cleanup(&r);
    if (!out)
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    /* reply_owned frees with ermes__free: hand it a copy made by ermes's allocator. */
    copy = ermes__strdup(out);
    free(out);
    if (!copy)
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    return ermes__reply_owned(req, 200, "application/json", copy, strlen(copy));
}
