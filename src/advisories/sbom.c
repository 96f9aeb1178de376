/* SBOM readers, for constituents' assets (issue 13, item 6): CycloneDX JSON (1.2 to 1.6:
 * components[] with name, version, group, publisher or supplier, cpe, purl, and components
 * nested in them; metadata.component, the product the SBOM describes) and SPDX JSON (2.2,
 * 2.3: packages[] with name, versionInfo, supplier, and externalRefs of type cpe23Type,
 * cpe22Type and purl). Each component becomes an asset of the organisation that sent it. */
#include "advisories/vulns.h"

#include <string.h>

/* Nesting of CycloneDX components followed at most: deeper ones are refused, not skipped, so
 * an import never misses part of a document silently. */
#define SBOM_DEPTH_MAX 32

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int cdx_component(const json_t *c, int depth, ermes__sbom_cb cb, void *ctx, ermes_diag_t *d)
{
    ermes__sbom_component_t sc;
    const json_t *kids;
    size_t k;
    json_t *kid;
    int rc;

    if (!json_is_object(c)) {
        ermes_diag_set(d, "components", "a component must be an object");
        return ERMES_EPARSE;
    }
    if (depth > SBOM_DEPTH_MAX) {
        ermes_diag_set(d, "components", "components nested more than %d deep", SBOM_DEPTH_MAX);
        return ERMES_EPARSE;
    }
    memset(&sc, 0, sizeof(sc));
    sc.name = str(c, "name");
    sc.version = str(c, "version");
    sc.cpe = str(c, "cpe");
    sc.purl = str(c, "purl");
    sc.vendor = str(c, "publisher");
    if (!sc.vendor)
        sc.vendor = str(json_object_get(c, "supplier"), "name");
    if (!sc.vendor)
        sc.vendor = str(c, "group");
    if (!sc.name) {
        ermes_diag_set(d, "components.name", "every CycloneDX component has a name");
        return ERMES_EPARSE;
    }
    if ((rc = cb(ctx, &sc)))
        return rc;
    kids = json_object_get(c, "components");
    if (kids && !json_is_array(kids)) {
        ermes_diag_set(d, "components", "components must be an array");
        return ERMES_EPARSE;
    }
    json_array_foreach(kids, k, kid)
    {
        if ((rc = cdx_component(kid, depth + 1, cb, ctx, d)))
            return rc;
    }
    return 0;
}

static int read_cyclonedx(const json_t *doc, ermes__sbom_cb cb, void *ctx, ermes_diag_t *d)
{
    const json_t *meta = json_object_get(json_object_get(doc, "metadata"), "component");
    const json_t *comps = json_object_get(doc, "components");
    size_t k;
    json_t *c;
    int rc;

    if (comps && !json_is_array(comps)) {
        ermes_diag_set(d, "components", "components must be an array");
        return ERMES_EPARSE;
    }
    if (meta && (rc = cdx_component(meta, 0, cb, ctx, d)))
        return rc;
    json_array_foreach(comps, k, c)
    {
        if ((rc = cdx_component(c, 0, cb, ctx, d)))
            return rc;
    }
    return 0;
}

/* SPDX's supplier is "Organization: NAME" or "Person: NAME" (or NOASSERTION). */
static const char *spdx_supplier(const char *s)
{
    if (!s)
        return NULL;
    if (!strncmp(s, "Organization: ", 14))
        return s + 14;
    if (!strncmp(s, "Person: ", 8))
        return s + 8;
    return NULL;
}

static int read_spdx(const json_t *doc, ermes__sbom_cb cb, void *ctx, ermes_diag_t *d)
{
    const json_t *pkgs = json_object_get(doc, "packages");
    size_t k, j;
    json_t *p, *ref;
    int rc;

    if (pkgs && !json_is_array(pkgs)) {
        ermes_diag_set(d, "packages", "packages must be an array");
        return ERMES_EPARSE;
    }
    json_array_foreach(pkgs, k, p)
    {
        ermes__sbom_component_t sc;
        memset(&sc, 0, sizeof(sc));
        if (!json_is_object(p) || !(sc.name = str(p, "name"))) {
            ermes_diag_set(d, "packages.name", "package %zu: every SPDX package has a name", k + 1);
            return ERMES_EPARSE;
        }
        sc.version = str(p, "versionInfo");
        sc.vendor = spdx_supplier(str(p, "supplier"));
        json_array_foreach(json_object_get(p, "externalRefs"), j, ref)
        {
            const char *type = str(ref, "referenceType"), *loc = str(ref, "referenceLocator");
            if (!type || !loc)
                continue;
            if (!sc.cpe && (!strcmp(type, "cpe23Type") || !strcmp(type, "cpe22Type")))
                sc.cpe = loc;
            else if (!sc.purl && !strcmp(type, "purl"))
                sc.purl = loc;
        }
        if ((rc = cb(ctx, &sc)))
            return rc;
    }
    return 0;
}

int ermes__sbom_read(const char *data, size_t len, ermes__sbom_cb cb, void *ctx,
                     const char **format, ermes_diag_t *d)
{
    json_error_t err;
    json_t *doc;
    const char *bf;
    int rc;

    if (len > (size_t)ERMES_VULN_DOC_MAX) {
        ermes_diag_set(d, "document", "larger than %ld bytes", ERMES_VULN_DOC_MAX);
        return ERMES_ETOOBIG;
    }
    if (!(doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err))) {
        ermes_diag_set(d, "document", "not JSON: %s", err.text);
        d->line = err.line;
        d->column = err.column;
        return ERMES_EPARSE;
    }
    bf = str(doc, "bomFormat");
    if (bf && !strcmp(bf, "CycloneDX")) {
        if (format)
            *format = "cyclonedx";
        rc = read_cyclonedx(doc, cb, ctx, d);
    } else if (str(doc, "spdxVersion")) {
        if (format)
            *format = "spdx";
        rc = read_spdx(doc, cb, ctx, d);
    } else {
        ermes_diag_set(d, "document",
                       "neither CycloneDX JSON (bomFormat) nor SPDX JSON "
                       "(spdxVersion)");
        rc = ERMES_EPARSE;
    }
    json_decref(doc);
    return rc;
}
