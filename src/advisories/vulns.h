/* Vulnerability intelligence inside ermes: the readers of the five sources (vuln_read.c),
 * SBOM readers (sbom.c) and the matcher of vulnerabilities against constituents' assets
 * (vuln_match.c). The version algorithms are public: include/ermes/vuln.h. */
#ifndef ERMES_ADVISORIES_VULNS_H
#define ERMES_ADVISORIES_VULNS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ermes/cvss.h"
#include "ermes/error.h"
#include "ermes/vuln.h"

/* Largest document a reader takes (NVD's pages are at most 2,000 records, a few tens of MB;
 * the whole KEV catalogue a few MB; an EPSS file about 10 MB uncompressed). */
#define ERMES_VULN_DOC_MAX (256L * 1024 * 1024)
#define ERMES_VULN_DESC_MAX 8192

typedef enum {
    ERMES_VULN_AUTO = 0,
    ERMES_VULN_CVE5,
    ERMES_VULN_NVD,
    ERMES_VULN_KEV,
    ERMES_VULN_EPSS,
    ERMES_VULN_CSAF, /* a CSAF 2.0 document of another provider (issue 13 item 5) */
} ermes__vuln_kind_t;

/* "cve5", "nvd", "kev", "epss", "csaf" (or "auto") into *out; ERMES_EINVAL otherwise. */
int ermes__vuln_kind_parse(const char *s, ermes__vuln_kind_t *out);
const char *ermes__vuln_kind_name(ermes__vuln_kind_t k);

/* What one source says of one CVE. Which members are set depends on kind; the rest are zero
 * (strings NULL, numbers 0, scores -1). Everything is borrowed for the callback only. */
typedef struct ermes__vuln_record {
    ermes__vuln_kind_t kind;
    char cve_id[32];
    const char *description;
    int64_t published, modified; /* ms; 0 when unknown */
    char cvss_version[8];        /* "4.0", "3.1", "3.0", "2.0"; "" when none */
    char cvss_vector[ERMES_CVSS_MAX_VECTOR];
    int cvss_score; /* tenths, computed by cvss.c; -1 when none */
    char cvss_severity[16];
    char cwe[64];               /* the first CWE named, "CWE-79" */
    int kev;                    /* 1: in the KEV catalogue (KEV, or NVD's cisaExploitAdd) */
    int64_t kev_added, kev_due; /* ms */
    const char *kev_name, *kev_action, *kev_ransomware, *kev_vendor, *kev_product;
    long epss, epss_percentile; /* parts per 100,000; -1 when none */
    const json_t *affected;     /* NVD: configurations[]; CVE 5: containers.cna.affected[];
                                 * CSAF: the document cut to this vulnerability (document
                                 * tracking, publisher, references, product_tree and
                                 * vulnerabilities[] of one), what csaf_match.c reads */
    char source[512];           /* CSAF: "publisher namespace tracking-id version" */
    char tlp[8];                /* CSAF: the document's TLP label (WHITE read as CLEAR) */
    char sum[65];               /* SHA-256 of what the record says, to skip unchanged ones */
} ermes__vuln_record_t;

typedef int (*ermes__vuln_record_cb)(void *ctx, const ermes__vuln_record_t *r);

/* Reads a document of kind (AUTO: told by its content) and calls cb for each record; a
 * non-zero return of cb stops and is returned. A record that is not well-formed is an error
 * of the whole document (ERMES_EPARSE, d naming the record and field): nothing of a broken
 * document should be imported. *kind_out (may be NULL) gets the kind read. */
int ermes__vuln_read(const char *data, size_t len, ermes__vuln_kind_t kind,
                     ermes__vuln_record_cb cb, void *ctx, ermes__vuln_kind_t *kind_out,
                     ermes_diag_t *d);

/* ---- SBOMs (sbom.c) ------------------------------------------------------------------------ */

/* A component of an SBOM, borrowed for the callback: any of cpe, purl may be NULL. */
typedef struct ermes__sbom_component {
    const char *name, *version, *vendor, *cpe, *purl;
} ermes__sbom_component_t;

typedef int (*ermes__sbom_cb)(void *ctx, const ermes__sbom_component_t *c);

/* Reads a CycloneDX JSON (bomFormat "CycloneDX": components[] and their nested components,
 * metadata.component) or SPDX JSON (spdxVersion: packages[] with externalRefs cpe23Type and
 * purl) document; *format gets "cyclonedx" or "spdx". ERMES_EPARSE with d. */
int ermes__sbom_read(const char *data, size_t len, ermes__sbom_cb cb, void *ctx,
                     const char **format, ermes_diag_t *d);

/* ---- matching (vuln_match.c) ----------------------------------------------------------------- */

/* An asset as the matcher sees it (strings borrowed; NULL when absent). */
typedef struct ermes__asset_ref {
    int64_t id, org_id;
    const char *cpe, *purl, *vendor, *product, *version;
} ermes__asset_ref_t;

typedef struct ermes__vmatch ermes__vmatch_t;

/* Indexes n assets (copied). */
int ermes__vmatch_new(const ermes__asset_ref_t *assets, size_t n, ermes__vmatch_t **out);
void ermes__vmatch_free(ermes__vmatch_t *m);

/* What is known of one vulnerability for matching (borrowed JSON, NULL when absent). */
typedef struct ermes__vuln_affects {
    const json_t *nvd;                    /* NVD configurations[] */
    const json_t *cve5;                   /* CVE 5 affected[] */
    const char *kev_vendor, *kev_product; /* used only when neither of the above is known */
} ermes__vuln_affects_t;

/* Calls cb with the index (into the assets given to _new) of every asset a affects: NVD
 * configurations (vulnerable criteria by NISTIR 7696 with their version ranges; an AND
 * configuration only when the same organisation has an asset for each of its nodes), CVE 5
 * affected[] (vendor/product, cpes[] or packageName against a purl; the version-status
 * algorithm), else KEV's vendor and product. An asset is named once per call. */
int ermes__vmatch_run(ermes__vmatch_t *m, const ermes__vuln_affects_t *a,
                      int (*cb)(void *ctx, size_t asset), void *ctx);

#endif
