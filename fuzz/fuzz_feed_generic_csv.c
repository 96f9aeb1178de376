/* libFuzzer target: the generic-csv feed parser (src/intake/parsers/), see feed_fuzz.h. */
#define FUZZ_FEED "generic-csv"
#define FUZZ_FEED_OPTIONS                                                                          \
    "columns=source.ip|source.url|source.port|time.source", "skip_header=true", "type=blacklist",  \
        "default_url_protocol=http://",
#include "feed_fuzz.h"
