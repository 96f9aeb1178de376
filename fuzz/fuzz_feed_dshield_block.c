/* libFuzzer target: the dshield-block feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "dshield-block"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
