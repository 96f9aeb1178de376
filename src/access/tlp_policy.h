/* The one TLP 2.0 policy every sharing export path asks (STIX export, TAXII): what a viewer may
 * see of an object by its TLP and its owner, under the cap of the channel (a collection's
 * highest TLP; RED for the API, which has none of its own).
 *
 * TLP 2.0 (FIRST, 2022), read for objects shared by the CERT that concern no one organisation
 * in particular (indicators, threat objects): CLEAR to anyone; GREEN to the community, which
 * is everyone with an account (constituents, staff, peers); AMBER and AMBER+STRICT to the
 * organisation that owns the object (and the CERT's staff, who hold it for the CERT); RED to
 * its owner and staff only. A viewer with no account sees CLEAR only. The cap removes
 * anything above it, for every viewer, staff included: a collection up to GREEN never
 * carries AMBER. The store turns the same masks into its WHERE clause, so lists are filtered
 * before they are paged. */
#ifndef ERMES_ACCESS_TLP_POLICY_H
#define ERMES_ACCESS_TLP_POLICY_H

#include <stdint.h>

#include "ermes/tlp.h"
#include "model/user.h"

/* One bit per TLP label: 1u << ermes_tlp_t. */
#define ERMES__TLP_BIT(t) (1u << (unsigned)(t))
#define ERMES__TLP_ALL 0x1fu

typedef struct ermes__tlp_masks {
    unsigned anyone; /* labels the viewer sees on every object */
    unsigned owned;  /* labels the viewer sees on objects its organisation owns */
    int64_t org_id;  /* the viewer's organisation (0: none) */
} ermes__tlp_masks_t;

/* The masks for viewer v (NULL: no account) under cap. */
void ermes__tlp_policy(const ermes__viewer_t *v, ermes_tlp_t cap, ermes__tlp_masks_t *out);

/* 1 if v may see an object of label tlp owned by owner_org_id (0: none) under cap. */
int ermes__tlp_policy_allows(const ermes__viewer_t *v, ermes_tlp_t cap, ermes_tlp_t tlp,
                             int64_t owner_org_id);

#endif
