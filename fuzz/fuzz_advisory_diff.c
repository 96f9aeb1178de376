/* libFuzzer target for the diff of two advisory revisions (src/advisories/diff.c, served by
 * GET /api/v1/advisories/{ref}/diff and `ermes advisories diff`): the input is two JSON texts
 * split at the first NUL byte. Checks: a document compared with itself has no change; every
 * change has an op and a JSON Pointer path ("" or starting with "/"); an added item has only
 * "new", a removed one only "old", a changed one both; the text form has one line a change
 * and no control character but the newlines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/revisions.h"
#include "core/alloc.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_advisory_diff: %s\n", what);
    abort();
}

static void check_diff(const json_t *diff)
{
    size_t i, lines = 0;
    json_t *item;
    char *text;

    json_array_foreach((json_t *)diff, i, item)
    {
        const char *op = json_string_value(json_object_get(item, "op"));
        const char *path = json_string_value(json_object_get(item, "path"));
        int has_old = json_object_get(item, "old") != NULL;
        int has_new = json_object_get(item, "new") != NULL;

        check(op && path, "op and path");
        check(!*path || *path == '/', "a JSON Pointer");
        if (strcmp(op, "added") == 0)
            check(!has_old && has_new, "added: new only");
        else if (strcmp(op, "removed") == 0)
            check(has_old && !has_new, "removed: old only");
        else
            check(strcmp(op, "changed") == 0 && has_old && has_new, "changed: both");
    }
    text = ermes__json_diff_text(diff);
    check(text != NULL, "a text form");
    for (const char *p = text; *p; p++) {
        check((unsigned char)*p >= 0x20 || *p == '\n', "no control character in the text");
        check(*p != 0x7f, "no DEL in the text");
        lines += *p == '\n';
    }
    check(lines == json_array_size(diff), "one line a change");
    ermes__free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *nul;
    size_t na, nb;
    json_t *a, *b, *diff;
    int truncated;

    if (size > 1 << 20)
        return 0;
    nul = memchr(text, '\0', size);
    na = nul ? (size_t)(nul - text) : size;
    nb = nul ? size - na - 1 : 0;
    a = json_loadb(text, na, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    b = nul ? json_loadb(nul + 1, nb, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
    if (a) {
        diff = ermes__json_diff(a, a, 1000, &truncated);
        check(diff && json_array_size(diff) == 0 && !truncated, "no change from itself");
        json_decref(diff);
    }
    if (a && b) {
        diff = ermes__json_diff(a, b, 1000, &truncated);
        check(diff != NULL, "a diff");
        check(json_array_size(diff) <= 1000, "at most max_items");
        check(json_array_size(diff) || json_equal(a, b) || truncated, "a difference is seen");
        check_diff(diff);
        json_decref(diff);
    }
    json_decref(a);
    json_decref(b);
    return 0;
}
