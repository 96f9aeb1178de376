/* The match filters of STIX exports and TAXII requests, from their query values. */
#include "sharing/stix.h"

#include <string.h>

#include "core/time.h"

/* Splits v at commas into out (pointers into scratch), at most ERMES__STIX_LIST_MAX. */
static int split(const char *v, char **scratch, size_t *left, const char **out, size_t *n,
                 const char *field, ermes_diag_t *d)
{
    size_t len = strlen(v);
    char *p = *scratch, *s;

    *n = 0;
    if (len + 1 > *left) {
        ermes_diag_set(d, field, "%s is too long", field);
        return ERMES_EINVAL;
    }
    memcpy(p, v, len + 1);
    *scratch += len + 1;
    *left -= len + 1;
    for (s = p;;) {
        char *c = strchr(s, ',');
        if (c)
            *c = '\0';
        if (!*s) {
            ermes_diag_set(d, field, "%s has an empty value", field);
            return ERMES_EINVAL;
        }
        if (*n == ERMES__STIX_LIST_MAX) {
            ermes_diag_set(d, field, "%s has more than %d values", field, ERMES__STIX_LIST_MAX);
            return ERMES_EINVAL;
        }
        out[(*n)++] = s;
        if (!c)
            break;
        s = c + 1;
    }
    return 0;
}

int ermes__stix_filter_parse(ermes__stix_filter_t *f, char *scratch, size_t cap, const char *ids,
                             const char *types, const char *versions, const char *spec_versions,
                             const char *added_after, ermes_diag_t *d)
{
    size_t left = cap;
    int rc;

    f->added_after = -1;
    f->after_added = -1;
    f->after_id = 0;
    f->versions = ERMES__STIX_VERSION_LAST;
    if (ids && (rc = split(ids, &scratch, &left, f->ids, &f->nids, "match[id]", d)))
        return rc;
    if (types && (rc = split(types, &scratch, &left, f->types, &f->ntypes, "match[type]", d)))
        return rc;
    if (spec_versions && (rc = split(spec_versions, &scratch, &left, f->spec_versions,
                                     &f->nspec_versions, "match[spec_version]", d)))
        return rc;
    if (versions) {
        const char *v[ERMES__STIX_LIST_MAX];
        size_t n = 0, k = 0;
        if ((rc = split(versions, &scratch, &left, v, &n, "match[version]", d)))
            return rc;
        f->nversion_keys = 0;
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(v[i], "last") || !strcmp(v[i], "first") || !strcmp(v[i], "all")) {
                /* One keyword: a list of them reads as its broadest (all). */
                f->versions = n > 1                    ? ERMES__STIX_VERSION_ALL
                              : !strcmp(v[i], "last")  ? ERMES__STIX_VERSION_LAST
                              : !strcmp(v[i], "first") ? ERMES__STIX_VERSION_FIRST
                                                       : ERMES__STIX_VERSION_ALL;
                continue;
            }
            if (left < 32) {
                ermes_diag_set(d, "match[version]", "match[version] is too long");
                return ERMES_EINVAL;
            }
            if (ermes__stix_version_key(v[i], scratch)) {
                ermes_diag_set(d, "match[version]",
                               "match[version] is last, first, all or STIX timestamps");
                return ERMES_EINVAL;
            }
            f->version_keys[k++] = scratch;
            scratch += 32;
            left -= 32;
        }
        f->nversion_keys = k;
        if (k && k == n)
            f->versions = ERMES__STIX_VERSION_LISTED;
        else if (k)
            f->versions = ERMES__STIX_VERSION_ALL; /* keywords with timestamps: all */
    }
    if (added_after) {
        int64_t ms;
        ermes_diag_t td;
        if (ermes__time_parse(added_after, strlen(added_after), &ms, &td)) {
            ermes_diag_set(d, "added_after", "added_after must be a timestamp");
            return ERMES_EINVAL;
        }
        f->added_after = ms;
    }
    return 0;
}
