/* libFuzzer target: the dataplane feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "dataplane"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
