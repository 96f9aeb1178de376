#include "access/tlp_recipients.h"

#include <stdio.h>
#include <string.h>

int ermes__tlp_recipients_parse(ermes__store_t *st, const ermes__viewer_t *v, const json_t *list,
                                const char *field, int64_t *orgs, size_t *n, ermes_diag_t *d)
{
    const json_t *m;
    size_t i, k = 0;

    if (!json_is_array(list) || json_array_size(list) > ERMES__TLP_RECIPIENTS_MAX) {
        ermes_diag_set(d, field, "%s is a list of up to %d organisations' short names", field,
                       ERMES__TLP_RECIPIENTS_MAX);
        return ERMES_EINVAL;
    }
    json_array_foreach(list, i, m)
    {
        int64_t id = 0;
        int dup = 0;
        if (!json_is_string(m) || json_string_length(m) == 0 || json_string_length(m) > 64) {
            ermes_diag_set(d, field, "%s lists organisations' short names", field);
            return ERMES_EINVAL;
        }
        /* An organisation the viewer may not see is as unknown as one that does not exist. */
        if (ermes__store_org_resolve(st, v, json_string_value(m), &id) || id <= 0) {
            ermes_diag_set(d, field, "%s: no organisation %.64s", field, json_string_value(m));
            return ERMES_EINVAL;
        }
        for (size_t j = 0; j < k && !dup; j++)
            dup = orgs[j] == id;
        if (!dup)
            orgs[k++] = id;
    }
    *n = k;
    return 0;
}

int ermes__tlp_recipients_parse_text(ermes__store_t *st, const ermes__viewer_t *v, const char *text,
                                     const char *field, int64_t *orgs, size_t *n, ermes_diag_t *d)
{
    json_t *list = json_array();
    const char *p = text;
    int rc = 0;

    *n = 0;
    if (!list)
        return ERMES_ENOMEM;
    while (!rc) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!len || len > 64) {
            ermes_diag_set(d, field, "%s is a comma-separated list of organisations' short names",
                           field);
            rc = ERMES_EINVAL;
            break;
        }
        if (json_array_size(list) >= ERMES__TLP_RECIPIENTS_MAX) {
            ermes_diag_set(d, field, "%s: at most %d organisations", field,
                           ERMES__TLP_RECIPIENTS_MAX);
            rc = ERMES_EINVAL;
            break;
        }
        if (json_array_append_new(list, json_stringn(p, len)))
            rc = ERMES_ENOMEM;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (!rc)
        rc = ermes__tlp_recipients_parse(st, v, list, field, orgs, n, d);
    json_decref(list);
    return rc;
}

static int name_cb(void *ctx, int64_t org_id, const char *short_name)
{
    (void)org_id;
    return json_array_append_new(ctx, json_string(short_name ? short_name : "")) ? ERMES_ENOMEM : 0;
}

json_t *ermes__tlp_recipients_json(ermes__store_t *st, const char *stix_id)
{
    json_t *a = json_array();

    if (a && ermes__store_tlp_recipients_each(st, stix_id, name_cb, a)) {
        json_decref(a);
        return NULL;
    }
    return a;
}

int ermes__tlp_allows_object(ermes__store_t *st, const ermes__viewer_t *v, ermes_tlp_t cap,
                             int grant, ermes_tlp_t tlp, int64_t owner_org_id, const char *stix_id,
                             int64_t indicator_id)
{
    ermes__tlp_masks_t m;
    unsigned bit = ERMES__TLP_BIT(tlp);
    int rel = 0;

    if ((unsigned)tlp > ERMES_TLP_RED)
        return 0;
    ermes__tlp_policy_granted(v, cap, grant, &m);
    if ((m.anyone & bit) || (m.org_id && owner_org_id == m.org_id && (m.owned & bit)))
        return 1;
    /* Only then are the recipients looked up: most objects need no query. A lookup that
     * fails shows nothing. */
    if (!v || !v->org_id || ermes__store_tlp_relation(st, stix_id, indicator_id, v->org_id, &rel))
        return 0;
    return (rel == ERMES__TLP_NAMED && (m.named & bit)) ||
           (rel == ERMES__TLP_CLIENT && (m.client & bit));
}
