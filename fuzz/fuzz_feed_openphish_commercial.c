/* libFuzzer target: the openphish-commercial feed parser (JSON lines, src/intake/parsers/
 * openphish.c), see feed_fuzz.h. */
#define FUZZ_FEED "openphish-commercial"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
