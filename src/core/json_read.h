/* A fast reader of JSON text into jansson values, for the hot paths that parse many large
 * documents (CSAF validation, issue 13). jansson's own json_loadb reads a character at a time
 * through a stream with a UTF-8 check per byte and copies every string twice; this reader
 * scans the buffer in place and hands jansson finished strings, keys and numbers.
 *
 * It never guesses: what it accepts is exactly what json_loadb(text, len,
 * JSON_REJECT_DUPLICATES) accepts, with the same values (integers and reals as jansson types
 * them, keys in document order); anything it does not take on (a syntax error, bad UTF-8, a
 * lone surrogate, \u0000, a duplicate key, an out-of-range number, nesting past max_depth, an
 * over-long number) it declines with ERMES_EPARSE and no message, and the caller asks jansson,
 * whose error message and position the user then sees. fuzz/fuzz_json_read.c holds it to that
 * against jansson. */
#ifndef ERMES_CORE_JSON_READ_H
#define ERMES_CORE_JSON_READ_H

#include <jansson.h>
#include <stddef.h>

/* Reads text (len bytes, need not be NUL-terminated) whose top level is an object or array,
 * nested at most max_depth levels (the top level counts 1). Returns 0 with *out (caller
 * decrefs), ERMES_EPARSE when declined, ERMES_ENOMEM. */
int ermes__json_read(const char *text, size_t len, int max_depth, json_t **out);

#endif
