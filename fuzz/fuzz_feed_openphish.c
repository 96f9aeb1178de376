/* libFuzzer target: the openphish feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "openphish"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
