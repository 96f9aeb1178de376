/* CSAF product_status matching (issue 13, item 6): which of the constituents' assets a CSAF
 * 2.0 document's vulnerabilities concern, and in which state. A function over a parsed
 * document, so that published advisories (src/notify/advisories.c) and other providers'
 * imported documents use the same code. Matching itself is vuln_match.c's (NISTIR 7696 CPE
 * relations, CVE 5 version ranges): each CSAF product is turned into the NVD criterion or
 * CVE 5 affected entry that describes it.
 *
 * Product tree: branches down to a product (vendor, product_name, product_version or
 * product_version_range collected on the way), full_product_names, and relationships (the
 * product of a relationship is matched by its product_reference: the component that is
 * installed on, or a default component of, something else; the "relates to" product need not
 * be a registered asset). A product is identified by, in this order, its
 * product_identification_helper cpe (CPE 2.3 or 2.2), its first purl, or the vendor and
 * product_name of its branches; a product with none of these names no asset (hashes,
 * sbom_urls, serial numbers, SKUs, model numbers and x_generic_uris identify no registered
 * asset). Its versions: the version in the CPE or purl, else product_version, else
 * product_version_range read as vers ("vers:TYPE/>=1.0|<2.0", the constraint list of the
 * purl specification; "!=" constraints are ignored) or as the same constraint list without
 * the "vers:" prefix ("<1.25.2", as BSI publishes); an unreadable range or no version at all
 * means every version.
 *
 * Status groups, per vulnerability and asset: known_affected, first_affected (this version
 * and later ones, up to the group's first_fixed version of the same product when there is
 * one) and last_affected (this version and earlier) make the asset AFFECTED;
 * under_investigation makes it UNDER_INVESTIGATION (warned as possibly affected);
 * fixed and first_fixed (this version and later) FIXED; known_not_affected NOT_AFFECTED;
 * recommended decides nothing. When several groups name one asset the strongest wins:
 * affected, then under investigation, then fixed, then not affected (an asset whose version is
 * not known is matched by every version of its product, and so is called affected when any
 * is). */
#ifndef ERMES_ADVISORIES_CSAF_MATCH_H
#define ERMES_ADVISORIES_CSAF_MATCH_H

#include <jansson.h>
#include <stddef.h>

#include "advisories/vulns.h"

typedef enum {
    ERMES__CSAF_NONE = 0,
    ERMES__CSAF_NOT_AFFECTED,
    ERMES__CSAF_FIXED,
    ERMES__CSAF_UNDER_INVESTIGATION,
    ERMES__CSAF_AFFECTED,
} ermes__csaf_state_t;

/* "not_affected", "fixed", "under_investigation", "affected" ("" for NONE). */
const char *ermes__csaf_state_name(ermes__csaf_state_t s);

/* The state of one asset for one vulnerability (everything borrowed for the callback). */
typedef struct ermes__csaf_hit {
    size_t asset;     /* index into the assets given to ermes__vmatch_new */
    size_t vuln;      /* index into the document's vulnerabilities[] */
    const char *name; /* the vulnerability's cve, else its first ids[].text, else NULL */
    ermes__csaf_state_t state;
    const char *product_id;      /* the product of the deciding status group */
    const char *remediation;     /* details of the first vendor_fix naming that product (else of
                                    any other remediation naming it), NULL when none */
    const char *remediation_url; /* its url, NULL when none */
} ermes__csaf_hit_t;

typedef int (*ermes__csaf_hit_cb)(void *ctx, const ermes__csaf_hit_t *h);

/* Matches doc (a parsed CSAF 2.0 document; it need not be valid: what cannot be read names
 * nothing) against the assets indexed in m, calling cb once per vulnerability and asset
 * concerned, in the order of vulnerabilities[] then asset index. A non-zero return of cb
 * stops and is returned; ERMES_ENOMEM. *products (may be NULL) gets the number of products
 * the tree resolved to. */
int ermes__csaf_match(ermes__vmatch_t *m, const json_t *doc, ermes__csaf_hit_cb cb, void *ctx,
                      size_t *products);

#endif
