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

#define DEPTH 16

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_json_read: %s\n", what);
    abort();
}

static int depth(const json_t *j)
{
    int d = 0, k;
    size_t i;
    const char *key;
    json_t *v;

    if (json_is_array(j)) {
        json_array_foreach((json_t *)j, i, v)
        {
            if ((k = depth(v)) > d)
                d = k;
        }
    } else if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v)
        {
            if ((k = depth(v)) > d)
                d = k;
        }
    } else {
        return 0;
    }
    return d + 1;
}

/* 1 when the text, outside strings, has a run of number characters longer than 64. */
static int long_number(const uint8_t *p, size_t n)
{
    size_t run = 0;
    int in_string = 0;

    for (size_t i = 0; i < n; i++) {
        if (in_string) {
            if (p[i] == '\\')
                i++;
            else if (p[i] == '"')
                in_string = 0;
            continue;
        }
        if (p[i] == '"') {
            in_string = 1;
            run = 0;
        } else if (strchr("0123456789+-.eE", p[i]) && p[i]) {
            if (++run > 64)
                return 1;
        } else {
            run = 0;
        }
    }
    return 0;
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
        check(depth(mine) <= DEPTH, "accepted past the depth limit");
        check(json_equal(mine, theirs), "values differ from jansson's");
        char *a = json_dumps(mine, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *b = json_dumps(theirs, JSON_COMPACT | JSON_PRESERVE_ORDER);
        check(a && b && strcmp(a, b) == 0, "order or types differ from jansson's");
        free(a);
        free(b);
    } else {
        check(mine == NULL, "declined with a value");
        check(!theirs || depth(theirs) > DEPTH || long_number(data, size) || memchr(data, 0, size),
              "declined what jansson accepts");
    }
    json_decref(mine);
    json_decref(theirs);
    return 0;
}
