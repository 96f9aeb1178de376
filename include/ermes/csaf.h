/* CSAF 2.0 documents: native validation (issue 13, item 2).
 *
 * A document is checked against the OASIS CSAF 2.0 JSON schema (with the FIRST CVSS schemas
 * it references; strict: no properties the schema does not name, as the CSAF validators'
 * strict mode) and against the mandatory tests of section 6.1 of the specification; the
 * optional (6.2.1 to 6.2.12, 6.2.14 to 6.2.18) and informative (6.3.1 to 6.3.5, 6.3.10,
 * 6.3.11) tests ermes implements are reported too and leave the document valid. Each failure names
 * its test ("6.1.7", or "schema"), its group, the JSON pointer of the place and the reason. */
#ifndef ERMES_CSAF_H
#define ERMES_CSAF_H

#include <stddef.h>

#include "ermes/error.h"

/* The largest document accepted (bytes); larger ones are refused unread. */
#define ERMES_CSAF_MAX_DOCUMENT (16u * 1024 * 1024)
/* At most this many failures are listed per document (the count goes on). */
#define ERMES_CSAF_MAX_FAILURES 1000

typedef struct ermes_csaf_failure {
    char test[16];     /* "schema", "6.1.1" ... "6.1.27.11", "6.2.1" ... */
    const char *group; /* "mandatory" (the schema's too), "optional" or "informative" */
    char *path;        /* JSON pointer, "" for the document itself */
    char *message;
} ermes_csaf_failure_t;

typedef struct ermes_csaf_result {
    int valid;     /* the schema and every mandatory test hold (optional tests only warn) */
    size_t count;  /* failures and warnings found */
    size_t listed; /* failures in failed[] (at most ERMES_CSAF_MAX_FAILURES) */
    ermes_csaf_failure_t *failed;
} ermes_csaf_result_t;

/* Prepares the validator (compiles the schemas). Called by ermes_csaf_validate when needed;
 * calling it first (e.g. at start-up) moves the cost out of the first request. Thread-safe. */
int ermes_csaf_init(void);

/* Validates the JSON text json (len bytes). Returns 0 with *out filled (valid or not; free
 * with ermes_csaf_result_cleanup), ERMES_EPARSE when the text is not JSON (d says where),
 * ERMES_ETOOBIG past ERMES_CSAF_MAX_DOCUMENT, or ERMES_ENOMEM. */
int ermes_csaf_validate(const char *json, size_t len, ermes_csaf_result_t *out, ermes_diag_t *d);

/* Which test groups run, as csaf-validator-lib names its presets: the schema and the
 * mandatory tests always; the optional ones from EXTENDED; the informative ones in FULL (what
 * ermes_csaf_validate runs). */
typedef enum ermes_csaf_preset {
    ERMES_CSAF_BASIC,
    ERMES_CSAF_EXTENDED,
    ERMES_CSAF_FULL
} ermes_csaf_preset_t;

/* ermes_csaf_validate with only the groups of preset; valid means the same in each. */
int ermes_csaf_validate_preset(const char *json, size_t len, ermes_csaf_preset_t preset,
                               ermes_csaf_result_t *out, ermes_diag_t *d);

/* "basic", "extended" or "full" (exact, lower case) into *out: 0, or ERMES_EINVAL for any
 * other name (*out untouched). */
int ermes_csaf_preset_parse(const char *name, ermes_csaf_preset_t *out);

void ermes_csaf_result_cleanup(ermes_csaf_result_t *r);

/* The result as one JSON object {"file", "valid", "failed": [{test, group, path, message}]}
 * (file omitted when NULL), compact, without a newline; caller frees with free(). */
char *ermes_csaf_result_json(const ermes_csaf_result_t *r, const char *file);

#endif
