/* libFuzzer target: the dshield-asn feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "dshield-asn"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
