/* Vulnerability intelligence (issue 13, items 5 and 6): version comparison, the CVE JSON 5
 * version-status algorithm, NVD's version ranges, and the readers of CVE 5 records, NVD CVE
 * API 2.0 responses, the CISA KEV catalogue, FIRST EPSS CSV and SBOMs (CycloneDX JSON, SPDX
 * JSON). */
#ifndef ERMES_VULN_H
#define ERMES_VULN_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

/* Longest version string compared; longer ones are refused by the readers. */
#define ERMES_VERSION_MAX 256

/* Compares versions a and b of type (CVE 5 versionType: "semver" follows Semantic Versioning
 * 2.0.0 section 11 when both parse; anything else, or NULL, is the generic comparison: runs of
 * digits compare as numbers, other runs as case-insensitive text, separators ". - _ + ~ :"
 * split runs; a version that goes on with a number is the greater, one that goes on with
 * letters ("1.0rc1" after "1.0") the smaller). A segment "*" is greater than anything
 * (CVE 5: "2.*" as an upper bound covers the whole 2.x series). <0, 0, >0. */
int ermes_version_compare(const char *a, const char *b, const char *type);

typedef enum {
    ERMES_VSTATUS_UNKNOWN = 0,
    ERMES_VSTATUS_AFFECTED,
    ERMES_VSTATUS_UNAFFECTED,
} ermes_vstatus_t;

/* "affected", "unaffected", "unknown" (anything else is unknown). */
ermes_vstatus_t ermes_vstatus_parse(const char *s);
const char *ermes_vstatus_name(ermes_vstatus_t s);

/* One changes[] entry of a CVE 5 version range. */
typedef struct ermes_vchange {
    const char *at;
    ermes_vstatus_t status;
} ermes_vchange_t;

/* One versions[] entry of a CVE 5 affected product (strings borrowed; NULL when absent). */
typedef struct ermes_vrange {
    const char *version;
    const char *less_than;
    const char *less_than_or_equal;
    const char *version_type;
    ermes_vstatus_t status;
    const ermes_vchange_t *changes;
    size_t nchanges;
} ermes_vrange_t;

/* The CVE JSON 5 version-status algorithm (schema/docs/versions.md): the status of version in
 * the first entry that matches it (a single version by equality, a range by version <= V <
 * lessThan or <= lessThanOrEqual, "0" as the start meaning no lower bound, then changes[] with
 * at <= V in ascending order), else default_status. A range of type "git" or "custom" cannot
 * be evaluated and matches nothing. */
ermes_vstatus_t ermes_cve5_version_status(const ermes_vrange_t *v, size_t n,
                                          ermes_vstatus_t default_status, const char *version);

/* NVD API 2.0 cpeMatch bounds (each NULL when absent): 1 when version lies inside
 * [start_incl | (start_excl] ... end_incl] | end_excl), else 0. A version "*" or "-" or NULL
 * (the asset's version is not known) is inside only when there is no bound at all. */
int ermes_nvd_version_in_range(const char *version, const char *start_incl, const char *start_excl,
                               const char *end_incl, const char *end_excl);

#endif
