/* libFuzzer target: the bambenek-c2-domains feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "bambenek-c2-domains"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
