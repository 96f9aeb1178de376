/* libFuzzer target: the arf feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "arf"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
