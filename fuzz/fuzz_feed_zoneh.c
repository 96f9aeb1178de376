/* libFuzzer target: the zoneh feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "zoneh"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
