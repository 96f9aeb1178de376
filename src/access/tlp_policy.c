#include "access/tlp_policy.h"

#include <stddef.h>

void ermes__tlp_policy(const ermes__viewer_t *v, ermes_tlp_t cap, ermes__tlp_masks_t *out)
{
    ermes__tlp_policy_granted(v, cap, -1, out);
}

void ermes__tlp_policy_granted(const ermes__viewer_t *v, ermes_tlp_t cap, int grant,
                               ermes__tlp_masks_t *out)
{
    unsigned below = (ERMES__TLP_BIT(cap) << 1) - 1; /* cap and every label less restrictive */

    out->org_id = v ? v->org_id : 0;
    out->named = 0;
    out->client = 0;
    if (!v) {
        out->anyone = ERMES__TLP_BIT(ERMES_TLP_CLEAR) & below;
        out->owned = 0;
        out->org_id = 0;
        return;
    }
    if (ermes__viewer_is_staff(v)) {
        out->anyone = ERMES__TLP_ALL & below;
        out->owned = out->anyone;
        return;
    }
    if (v->role == ERMES_ROLE_SENSOR) {
        /* A sensor posts logs; it reads nothing it does not need. */
        out->anyone = ERMES__TLP_BIT(ERMES_TLP_CLEAR) & below;
        out->owned = 0;
        return;
    }
    out->anyone = (ERMES__TLP_BIT(ERMES_TLP_CLEAR) | ERMES__TLP_BIT(ERMES_TLP_GREEN)) & below;
    out->owned = v->org_id ? ERMES__TLP_ALL & below : 0;
    if (!v->org_id)
        return;
    /* A member granted more by its sharing group: every label up to the grant, RED never. */
    if (grant >= (int)ERMES_TLP_CLEAR && grant < (int)ERMES_TLP_RED)
        out->anyone |= ((ERMES__TLP_BIT(grant) << 1) - 1) & below;
    out->named = (ERMES__TLP_BIT(ERMES_TLP_AMBER) | ERMES__TLP_BIT(ERMES_TLP_AMBER_STRICT) |
                  ERMES__TLP_BIT(ERMES_TLP_RED)) &
                 below;
    out->client = ERMES__TLP_BIT(ERMES_TLP_AMBER) & below;
}

int ermes__tlp_policy_allows(const ermes__viewer_t *v, ermes_tlp_t cap, ermes_tlp_t tlp,
                             int64_t owner_org_id)
{
    return ermes__tlp_policy_allows_named(v, cap, tlp, owner_org_id, ERMES__TLP_NOT_NAMED);
}

int ermes__tlp_policy_allows_named(const ermes__viewer_t *v, ermes_tlp_t cap, ermes_tlp_t tlp,
                                   int64_t owner_org_id, ermes__tlp_relation_t rel)
{
    ermes__tlp_masks_t m;
    unsigned bit = ERMES__TLP_BIT(tlp);

    if ((unsigned)tlp > ERMES_TLP_RED)
        return 0;
    ermes__tlp_policy(v, cap, &m);
    if (m.anyone & bit)
        return 1;
    if (rel == ERMES__TLP_NAMED && (m.named & bit))
        return 1;
    if (rel == ERMES__TLP_CLIENT && (m.client & bit))
        return 1;
    return m.org_id && owner_org_id == m.org_id && (m.owned & bit) != 0;
}
