/* libFuzzer target for the fast JSON reader (src/core/json_read.c), differential against
 * jansson: whatever ermes__json_read accepts, json_loadb(JSON_REJECT_DUPLICATES) accepts too,
 * with the same values in the same order and the same types (integer or real); and whatever
 * jansson accepts, the reader accepts unless it is nested deeper than the reader's limit or
 * holds a number longer than the reader takes on (the cases it leaves to jansson by design),
 * or holds a NUL byte (jansson's reader skips some of them as if absent: "[1,1\0]" is [1,1]
 * to it; the reader declines them all and jansson decides, as before). Anything else
 * aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_read.h"
#include "json_oracle.h"

#define DEPTH 16

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_json_read: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *mine = NULL, *theirs;
    json_error_t err;
    int rc = ermes__json_read((const char *)data, size, DEPTH, &mine);

    theirs = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (rc == 0) {
        check(mine != NULL, "accepted without a value");
        check(theirs != NULL, "accepted what jansson refuses");
        check(json_depth(mine) <= DEPTH, "accepted past the depth limit");
        check(json_equal(mine, theirs), "values differ from jansson's");
        char *a = json_dumps(mine, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *b = json_dumps(theirs, JSON_COMPACT | JSON_PRESERVE_ORDER);
        check(a && b && strcmp(a, b) == 0, "order or types differ from jansson's");
        free(a);
        free(b);
    } else {
        check(mine == NULL, "declined with a value");
        check(!theirs || json_depth(theirs) > DEPTH || json_long_number(data, size) ||
                  memchr(data, 0, size),
              "declined what jansson accepts");
    }
    json_decref(mine);
    json_decref(theirs);
    return 0;
}
