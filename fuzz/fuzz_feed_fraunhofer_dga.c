/* libFuzzer target: the fraunhofer-dga feed parser (DGArchive JSON,
 * src/intake/parsers/fraunhofer_dga.c), see feed_fuzz.h. */
#define FUZZ_FEED "fraunhofer-dga"
#define FUZZ_FEED_OPTIONS
#include "feed_fuzz.h"
