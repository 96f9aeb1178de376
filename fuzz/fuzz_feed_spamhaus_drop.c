/* libFuzzer target: the spamhaus-drop feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "spamhaus-drop"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
