/* libFuzzer target: the spamhaus-asndrop feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "spamhaus-asndrop"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
