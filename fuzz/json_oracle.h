/* What the targets that hold a JSON reader of ermes's to jansson share (fuzz_json_read.c,
 * fuzz_csaf_doc.c): the depth of jansson's value, and whether the text holds a number longer
 * than the readers take on, the two cases where they leave the verdict to jansson by design. */
#ifndef ERMES_FUZZ_JSON_ORACLE_H
#define ERMES_FUZZ_JSON_ORACLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* How deep j nests (a scalar 0, [] or {} 1). */
static int json_depth(const json_t *j)
{
    int d = 0, k;
    size_t i;
    const char *key;
    json_t *v;

    if (json_is_array(j)) {
        json_array_foreach((json_t *)j, i, v)
        {
            if ((k = json_depth(v)) > d)
                d = k;
        }
    } else if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v)
        {
            if ((k = json_depth(v)) > d)
                d = k;
        }
    } else {
        return 0;
    }
    return d + 1;
}

/* 1 when the text, outside strings, has a run of number characters longer than 64. */
static int json_long_number(const uint8_t *p, size_t n)
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

#endif
