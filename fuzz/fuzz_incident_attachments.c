/* libFuzzer target for what POST /api/v1/incidents/{id}/attachments checks before it touches
 * the store (src/incidents/attachments.c): the first input byte picks the declared type (one
 * of those accepted, or one refused), the next up to 255 bytes (their length in the second
 * byte) are the file name, the rest the bytes. Checks: a name accepted is within bounds,
 * UTF-8, without control characters, slashes or quotes; a type accepted is one of the list
 * and its bytes are what it says (magic number, or UTF-8 text without NUL); a refusal is
 * ERMES_EUNSUPPORTED or ERMES_EINVAL with a reason. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incidents/attachments.h"
#include "model/harmonize.h"

static const char *const declared[] = {
    "text/plain",
    "TEXT/CSV; charset=utf-8",
    "application/json",
    "message/rfc822",
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "application/zip",
    "text/html",
    "application/octet-stream",
    "",
    "image/svg+xml",
    "text/plain;",
};

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_incident_attachments: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[256], type[64];
    const char *ct;
    size_t nlen;
    ermes_diag_t d;
    int rc;

    if (size < 2)
        return 0;
    ct = declared[data[0] % (sizeof(declared) / sizeof(declared[0]))];
    nlen = data[1];
    if (nlen > size - 2)
        nlen = size - 2;
    memcpy(name, data + 2, nlen);
    name[nlen] = '\0';
    if (ermes__attachment_name_ok(name)) {
        size_t n = strlen(name);
        check(n > 0 && n <= ERMES_ATTACHMENT_NAME_MAX, "name length");
        check(ermes__utf8_valid(name, n), "name not UTF-8");
        check(!strpbrk(name, "/\\\""), "name with a slash or quote");
        for (size_t k = 0; k < n; k++)
            check((unsigned char)name[k] >= 0x20 && name[k] != 0x7f, "name with a control");
    }
    data += 2 + nlen;
    size -= 2 + nlen;
    ermes_diag_clear(&d);
    rc = ermes__attachment_type_check(ct, data, size, type, sizeof(type), &d);
    if (rc == 0) {
        check(size > 0, "an empty attachment accepted");
        check(strcmp(type, "text/html") != 0 && strcmp(type, "image/svg+xml") != 0 && type[0],
              "a type that is not on the list");
        if (strncmp(type, "text/", 5) == 0 || strcmp(type, "application/json") == 0 ||
            strcmp(type, "message/rfc822") == 0)
            check(!memchr(data, 0, size) && ermes__utf8_valid((const char *)data, size),
                  "text that is not text");
        if (strcmp(type, "image/png") == 0)
            check(size >= 8 && memcmp(data, "\x89PNG", 4) == 0, "a PNG that is not");
    } else {
        check(rc == ERMES_EUNSUPPORTED || (rc == ERMES_EINVAL && d.reason[0]),
              "unexpected refusal");
    }
    return 0;
}
