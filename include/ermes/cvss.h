/* CVSS vectors: parsing and scoring of versions 2.0, 3.0, 3.1 and 4.0 (issue 13, item 5).
 *
 * Scores are computed with exact decimal arithmetic: the only rounding is the one each
 * specification prescribes (2.0: round to one decimal; 3.0: round up; 3.1: the Roundup of its
 * Appendix A; 4.0: the MacroVector lookup and severity distances, rounded to one decimal).
 * Scores are given in tenths (98 is 9.8) so that no binary fraction enters. */
#ifndef ERMES_CVSS_H
#define ERMES_CVSS_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

typedef enum {
    ERMES_CVSS_V2 = 20,
    ERMES_CVSS_V30 = 30,
    ERMES_CVSS_V31 = 31,
    ERMES_CVSS_V40 = 40,
} ermes_cvss_version_t;

#define ERMES_CVSS_MAX_METRICS 32
/* The longest vector accepted (every 4.0 metric with its longest value is under 200). */
#define ERMES_CVSS_MAX_VECTOR 512

/* A parsed vector: the chosen value of each metric of its version, or -1 when absent. */
typedef struct ermes_cvss {
    ermes_cvss_version_t version;
    int8_t value[ERMES_CVSS_MAX_METRICS];
    unsigned has_temporal : 1;      /* 2.0/3.x temporal metrics, 4.0 threat metric (E) */
    unsigned has_environmental : 1; /* environmental metrics */
} ermes_cvss_t;

/* Scores in tenths; -1 where the vector has no metric of that group (X and ND values do not
 * count). For 4.0, base is the
 * score of the base metrics alone (CVSS-B), temporal the score with the threat metric
 * (CVSS-BT), environmental the score with everything the vector has (CVSS-BE or -BTE). */
typedef struct ermes_cvss_scores {
    int base;
    int temporal;
    int environmental;
} ermes_cvss_scores_t;

/* Parses a vector of len bytes: "CVSS:3.1/AV:N/...", "CVSS:4.0/...", or a 2.0 vector
 * "AV:N/AC:L/..." (optionally in parentheses or with a "CVSS:2.0/" prefix). Metrics may come
 * in any order; each at most once; every base metric is required. On failure returns
 * ERMES_EPARSE and names the metric and its 1-based column in d. */
int ermes_cvss_parse(const char *vector, size_t len, ermes_cvss_t *out, ermes_diag_t *d);

/* Computes the scores of a parsed vector. Returns 0 (or ERMES_EINTERNAL, never expected). */
int ermes_cvss_score(const ermes_cvss_t *v, ermes_cvss_scores_t *out);

/* The same, with the temporal (threat) and environmental scores computed even where the
 * vector has none of their metrics (they then take their defaults, X or ND), as the FIRST
 * calculators and CSAF test 6.1.9 do. */
int ermes_cvss_score_all(const ermes_cvss_t *v, ermes_cvss_scores_t *out);

/* "2.0", "3.0", "3.1" or "4.0". */
const char *ermes_cvss_version_name(ermes_cvss_version_t v);

/* The qualitative severity of a score in tenths: "NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"
 * (3.x and 4.0 bands); for 2.0 NVD's bands "LOW", "MEDIUM", "HIGH". */
const char *ermes_cvss_severity(ermes_cvss_version_t v, int tenths);

/* Writes the canonical form of v (the version's metric order, absent metrics left out) into
 * buf of cap bytes; returns the length, or 0 when it does not fit. */
size_t ermes_cvss_format(const ermes_cvss_t *v, char *buf, size_t cap);

/* The value a metric has in v ("N"), or NULL when absent or unknown to the version. */
const char *ermes_cvss_metric(const ermes_cvss_t *v, const char *metric);

#endif
