/* libFuzzer target: the spamhaus-cert feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "spamhaus-cert"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
