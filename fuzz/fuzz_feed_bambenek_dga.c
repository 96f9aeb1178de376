/* libFuzzer target: the bambenek-dga feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "bambenek-dga"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
