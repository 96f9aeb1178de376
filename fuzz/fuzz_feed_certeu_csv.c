/* libFuzzer target: the certeu-csv feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "certeu-csv"
#define FUZZ_FEED_OPTIONS "accuracy=50",
#include "feed_fuzz.h"
