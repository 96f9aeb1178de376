/* libFuzzer target: the cymru-cap feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "cymru-cap"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
