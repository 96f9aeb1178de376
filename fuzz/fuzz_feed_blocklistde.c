/* libFuzzer target: the blocklistde feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "blocklistde"
#define FUZZ_FEED_OPTIONS "kind=ssh",
#include "feed_fuzz.h"
