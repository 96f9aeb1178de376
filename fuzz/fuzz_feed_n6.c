/* libFuzzer target: the n6 feed parser (n6 REST API JSON, src/intake/parsers/n6.c), see
 * feed_fuzz.h. */
#define FUZZ_FEED "n6"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
