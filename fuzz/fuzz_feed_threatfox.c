/* libFuzzer target: the threatfox feed parser (abuse.ch ThreatFox JSON export,
 * src/intake/parsers/threatfox.c), see feed_fuzz.h. */
#define FUZZ_FEED "threatfox"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
