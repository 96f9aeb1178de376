/* Correlation: for one value, the indicators, events, sightings and incidents that mention it,
 * and those related through networks (an address inside an indicator's network, the addresses
 * inside a network asked about) and parent domains, read from the one index of distinct values
 * (src/store/correlations.c) and filtered for the viewer by the TLP policy. */
#ifndef ERMES_SHARING_CORRELATION_H
#define ERMES_SHARING_CORRELATION_H

#include <jansson.h>

#include "ermes/error.h"
#include "model/user.h"
#include "store/store.h"

#define ERMES__CORR_THRESHOLD_DEFAULT 20 /* MISP's default for over-correlating values */
#define ERMES__CORR_THRESHOLD_MAX 10000
#define ERMES__CORR_LIMIT_DEFAULT 100 /* objects listed for a range (a network's addresses) */
#define ERMES__CORR_LIMIT_MAX 1000

typedef struct ermes__corr_options {
    const char *type; /* the value's type (an indicator type, "ip", "fqdn"); NULL: guessed */
    long threshold;   /* a value mentioned by more objects is reported, not listed; 0: default */
    long limit;       /* objects listed for a range of addresses; 0: default */
    int no_sync;      /* 1: do not index what was added since the last lookup first */
} ermes__corr_options_t;

/* Correlates value[0..len) for viewer v (borrowed) into *out (caller frees with json_decref):
 * {"value", "type", "threshold", "matches": [{"relation", "value", "object", "id", "tlp",
 * ...}], "over_correlated": [{"relation", "value"}], "truncated", and "pending" (rows added
 * and not indexed yet, counted to 5,001) when a backlog was left to the daemon}. Unless
 * no_sync, a backlog of up to 5,000 rows is indexed first. ERMES_EINVAL (reason in d,
 * field "value") when the value is empty or too long. */
int ermes__correlate(ermes__store_t *st, const ermes__viewer_t *v, const char *value, size_t len,
                     const ermes__corr_options_t *opts, json_t **out, ermes_diag_t *d);

#endif
