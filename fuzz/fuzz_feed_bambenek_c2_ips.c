/* libFuzzer target: the bambenek-c2-ips feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "bambenek-c2-ips"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
