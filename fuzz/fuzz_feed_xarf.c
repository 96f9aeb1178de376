/* libFuzzer target: the xarf feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "xarf"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
