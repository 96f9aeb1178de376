/* Named recipients of TLP-marked objects, between the API and the store
 * (src/store/tlp_recipients.c): read from and written as JSON lists of organisations' short
 * names, and the policy (tlp_policy.h) asked for one object with its recipients looked up. */
#ifndef ERMES_ACCESS_TLP_RECIPIENTS_H
#define ERMES_ACCESS_TLP_RECIPIENTS_H

#include <jansson.h>

#include "access/tlp_policy.h"
#include "ermes/error.h"
#include "store/store.h"

/* The organisations of list (borrowed: a JSON array of short names or decimal ids, at most
 * ERMES__TLP_RECIPIENTS_MAX) into orgs (that many slots), *n of them, duplicates dropped.
 * field names the field in d. ERMES_EINVAL (not a list, too long, an organisation unknown or
 * one v may not see). */
int ermes__tlp_recipients_parse(ermes__store_t *st, const ermes__viewer_t *v, const json_t *list,
                                const char *field, int64_t *orgs, size_t *n, ermes_diag_t *d);

/* The same from text, a comma-separated list of short names (a query parameter, a CLI flag). */
int ermes__tlp_recipients_parse_text(ermes__store_t *st, const ermes__viewer_t *v, const char *text,
                                     const char *field, int64_t *orgs, size_t *n, ermes_diag_t *d);

/* The short names of stix_id's recipients as a JSON array (new reference), NULL on error. */
json_t *ermes__tlp_recipients_json(ermes__store_t *st, const char *stix_id);

/* The policy for one object: 1 if v may see an object of label tlp owned by owner_org_id under
 * cap, with the sharing group's grant (-1: none; ermes__tlp_policy_granted), its recipients
 * (by stix_id, NULL: none, or indicator_id, 0: none) counted. */
int ermes__tlp_allows_object(ermes__store_t *st, const ermes__viewer_t *v, ermes_tlp_t cap,
                             int grant, ermes_tlp_t tlp, int64_t owner_org_id, const char *stix_id,
                             int64_t indicator_id);

#endif
