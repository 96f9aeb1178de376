/* The one TLP 2.0 policy every sharing export path asks (STIX export, TAXII): what a viewer may
 * see of an object by its TLP and its owner, under the cap of the channel (a collection's
 * highest TLP; RED for the API, which has none of its own).
 *
 * TLP 2.0 (FIRST, 2022), read for objects shared by the CERT that concern no one organisation
 * in particular (indicators, threat objects): CLEAR to anyone; GREEN to the community, which
 * is everyone with an account (constituents, staff, peers); AMBER and AMBER+STRICT to the
 * organisation that owns the object (and the CERT's staff, who hold it for the CERT); RED to
 * its owner and staff only. A viewer with no account sees CLEAR only.
 *
 * Named recipients (tlp_recipients, migration 51): an object may name organisations it is given
 * to, a peer CERT's organisation among them (a peer pulls with a token of a user of its
 * organisation). TLP 2.0 then reads: RED to the named recipients ("for the eyes of individual
 * recipients only"); AMBER+STRICT to the recipient organisation only; AMBER to the recipient
 * organisation and its clients, which in ermes are the organisations whose parent it is (a
 * national CERT's constituents). A sharing group may grant one of its members a higher label
 * than the community receives (grant: that member sees every object of the group up to it), never
 * above the group's cap, never RED (RED goes to named recipients only). The cap removes
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
    unsigned named;  /* labels the viewer sees on objects naming its organisation a recipient */
    unsigned client; /* labels it sees on objects naming its organisation's parent */
} ermes__tlp_masks_t;

/* How the viewer's organisation stands to an object's named recipients. */
typedef enum ermes__tlp_relation {
    ERMES__TLP_NOT_NAMED = 0, /* neither it nor its parent is named */
    ERMES__TLP_NAMED = 1,     /* the viewer's organisation is a named recipient */
    ERMES__TLP_CLIENT = 2     /* its parent organisation is (the viewer is a client of one) */
} ermes__tlp_relation_t;

/* The masks for viewer v (NULL: no account) under cap. */
void ermes__tlp_policy(const ermes__viewer_t *v, ermes_tlp_t cap, ermes__tlp_masks_t *out);

/* The same, for a member of a sharing group granted up to grant (-1: no grant; RED is never
 * granted, see above) on a channel capped at cap. */
void ermes__tlp_policy_granted(const ermes__viewer_t *v, ermes_tlp_t cap, int grant,
                               ermes__tlp_masks_t *out);

/* 1 if v may see an object of label tlp owned by owner_org_id (0: none) under cap, naming no
 * recipient that concerns v. */
int ermes__tlp_policy_allows(const ermes__viewer_t *v, ermes_tlp_t cap, ermes_tlp_t tlp,
                             int64_t owner_org_id);

/* The same, with rel how v's organisation stands to the object's named recipients. */
int ermes__tlp_policy_allows_named(const ermes__viewer_t *v, ermes_tlp_t cap, ermes_tlp_t tlp,
                                   int64_t owner_org_id, ermes__tlp_relation_t rel);

#endif
