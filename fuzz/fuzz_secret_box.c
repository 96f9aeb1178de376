/* libFuzzer target for the secret box (src/core/secret_box.c) that seals peers' credentials:
 * what ermes__secret_open reads comes from the database's peers.credentials, which a person
 * with write access to the database (or a restored backup) chooses.
 *
 * The input is opened as a sealed secret under a fixed key: it opens only if it is one sealed
 * under that key (never for arbitrary bytes, which would be a forgery), into a NUL-terminated
 * text without a NUL inside, never past the buffer. The input is also sealed as a secret (up
 * to the limit) and must open to itself again. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret_box.h"
#include "ermes/error.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_secret_box: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char key[ERMES__SECRET_KEY_BYTES] = {
        1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    char *text = malloc(size + 1), out[64], *sealed = NULL;
    static char big[ERMES__SECRET_MAX + 1];
    int rc;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rc = ermes__secret_open(key, text, out, sizeof(out));
    check(rc == 0 || rc == ERMES_EPARSE || rc == ERMES_ETOOBIG, "unexpected error");
    if (rc == 0)
        check(memchr(out, '\0', sizeof(out)) != NULL, "not NUL-terminated");
    /* The input as a secret: sealed, it opens to itself. */
    if (strlen(text) <= ERMES__SECRET_MAX && ermes__secret_seal(key, text, &sealed) == 0) {
        check(ermes__secret_is_sealed(sealed), "sealed without its prefix");
        check(ermes__secret_open(key, sealed, big, sizeof(big)) == 0, "does not open");
        check(strcmp(big, text) == 0, "opens to something else");
        free(sealed);
    }
    free(text);
    return 0;
}
