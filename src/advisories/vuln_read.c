/* Readers of the sources of vulnerability intelligence (../shared/reference/advisories.md
 * sections 6.1 to 6.4, and CSAF 2.0 documents of other providers): CVE JSON 5 records (one, or an
 * array of them), NVD CVE API 2.0 responses (format NVD_CVE), the CISA KEV catalogue
 * (known_exploited_vulnerabilities.json) and FIRST EPSS CSV (the daily file: a "#model_version"
 * comment, the header "cve,epss,percentile", a row a CVE). Each record becomes an
 * ermes__vuln_record_t with a digest of what it says, so an import skips what has not changed since
 * the last one. */
#include "advisories/vulns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "core/time.h"

int ermes__vuln_kind_parse(const char *s, ermes__vuln_kind_t *out)
{
    static const char *const names[] = {"auto", "cve5", "nvd", "kev", "epss", "csaf"};
    for (int k = 0; k < 6; k++)
        if (s && !strcmp(s, names[k])) {
            *out = (ermes__vuln_kind_t)k;
            return 0;
        }
    return ERMES_EINVAL;
}

const char *ermes__vuln_kind_name(ermes__vuln_kind_t k)
{
    static const char *const names[] = {"auto", "cve5", "nvd", "kev", "epss", "csaf"};
    return k >= ERMES_VULN_AUTO && k <= ERMES_VULN_CSAF ? names[k] : "auto";
}

/* CVE JSON 5: ^CVE-[0-9]{4}-[0-9]{4,19}$ */
static int cve_id_valid(const char *s)
{
    size_t n;

    if (!s || strncmp(s, "CVE-", 4))
        return 0;
    for (int k = 4; k < 8; k++)
        if (s[k] < '0' || s[k] > '9')
            return 0;
    if (s[8] != '-')
        return 0;
    for (n = 0; s[9 + n]; n++)
        if (s[9 + n] < '0' || s[9 + n] > '9')
            return 0;
    return n >= 4 && n <= 19;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A time: RFC 3339, a bare date, or NVD's date-time without a zone (which is UTC). */
static int64_t when(const char *s)
{
    ermes_diag_t d;
    int64_t ms = 0;
    char buf[64];
    size_t n;

    if (!s || !*s)
        return 0;
    n = strlen(s);
    if (!ermes__time_parse(s, n, &ms, &d))
        return ms;
    if (n + 2 > sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = 'Z';
    buf[n + 1] = '\0';
    if (!ermes__time_parse(buf, n + 1, &ms, &d))
        return ms;
    return 0;
}

/* The digest of a record as written out (members in the document's order: jansson keeps it),
 * so the same record read again has the same digest. */
static void digest(const json_t *j, char hex[65])
{
    ermes__sha256_t *h = ermes__sha256_new();
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

    hex[0] = '\0';
    if (h && text) {
        ermes__sha256_update(h, text, strlen(text));
        ermes__sha256_final(h, hex); /* frees h */
    } else
        ermes__sha256_free(h);
    free(text);
}

static void record_init(ermes__vuln_record_t *r, ermes__vuln_kind_t kind)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->cvss_score = -1;
    r->epss = r->epss_percentile = -1;
}

/* Keeps vector when it scores and is of a later CVSS version than the one kept. */
static void take_cvss(ermes__vuln_record_t *r, const char *vector)
{
    ermes_cvss_t v;
    ermes_cvss_scores_t s;
    ermes_diag_t d;
    const char *name;

    if (!vector || strlen(vector) >= sizeof(r->cvss_vector) ||
        ermes_cvss_parse(vector, strlen(vector), &v, &d) || ermes_cvss_score(&v, &s) || s.base < 0)
        return;
    name = ermes_cvss_version_name(v.version);
    if (r->cvss_version[0] && strcmp(name, r->cvss_version) <= 0)
        return;
    snprintf(r->cvss_version, sizeof(r->cvss_version), "%s", name);
    snprintf(r->cvss_vector, sizeof(r->cvss_vector), "%s", vector);
    r->cvss_score = s.base;
    snprintf(r->cvss_severity, sizeof(r->cvss_severity), "%s",
             ermes_cvss_severity(v.version, s.base));
}

static void take_cwe(ermes__vuln_record_t *r, const char *cwe)
{
    if (!r->cwe[0] && cwe && !strncmp(cwe, "CWE-", 4) && strlen(cwe) < sizeof(r->cwe))
        snprintf(r->cwe, sizeof(r->cwe), "%s", cwe);
}

/* The English text of a descriptions[] array ({lang, value}), else the first. */
static const char *description(const json_t *arr)
{
    const char *first = NULL;
    size_t k;
    json_t *e;

    json_array_foreach(arr, k, e)
    {
        const char *lang = str(e, "lang"), *v = str(e, "value");
        if (!v)
            continue;
        if (lang && (!strcmp(lang, "en") || !strncmp(lang, "en-", 3) || !strncmp(lang, "en_", 3)))
            return v;
        if (!first)
            first = v;
    }
    return first;
}

static int fail(ermes_diag_t *d, size_t index, const char *field, const char *reason)
{
    ermes_diag_set(d, field, "record %zu: %s", index + 1, reason);
    return ERMES_EPARSE;
}

/* ---- CVE JSON 5 ---------------------------------------------------------------------------- */

static void cve5_metrics(ermes__vuln_record_t *r, const json_t *container)
{
    static const char *const keys[] = {"cvssV2_0", "cvssV3_0", "cvssV3_1", "cvssV4_0"};
    size_t k, j;
    json_t *m, *pt, *de;

    json_array_foreach(json_object_get(container, "metrics"), k, m)
    {
        for (int v = 0; v < 4; v++)
            take_cvss(r, str(json_object_get(m, keys[v]), "vectorString"));
    }
    json_array_foreach(json_object_get(container, "problemTypes"), k, pt)
    {
        json_array_foreach(json_object_get(pt, "descriptions"), j, de)
        {
            take_cwe(r, str(de, "cweId"));
        }
    }
}

static int read_cve5_one(const json_t *rec, size_t index, ermes__vuln_record_cb cb, void *ctx,
                         ermes_diag_t *d)
{
    ermes__vuln_record_t r;
    const json_t *meta = json_object_get(rec, "cveMetadata");
    const json_t *containers = json_object_get(rec, "containers");
    const json_t *cna = json_object_get(containers, "cna"), *adp;
    const char *id = str(meta, "cveId"), *state = str(meta, "state");
    size_t k;

    if (!json_is_object(rec) || !json_is_object(meta))
        return fail(d, index, "cveMetadata", "a CVE 5 record needs cveMetadata");
    if (!cve_id_valid(id))
        return fail(d, index, "cveMetadata.cveId", "not a CVE id (CVE-YYYY-NNNN)");
    /* A rejected record warns nobody and carries no affected products. */
    if (state && !strcmp(state, "REJECTED"))
        return 0;
    if (!json_is_object(cna))
        return fail(d, index, "containers.cna", "a published CVE 5 record needs containers.cna");
    record_init(&r, ERMES_VULN_CVE5);
    snprintf(r.cve_id, sizeof(r.cve_id), "%s", id);
    r.published = when(str(meta, "datePublished"));
    r.modified = when(str(meta, "dateUpdated"));
    r.description = description(json_object_get(cna, "descriptions"));
    cve5_metrics(&r, cna);
    /* ADP containers (CISA's Vulnrichment) add scores and CWEs the CNA did not give. */
    json_array_foreach(json_object_get(containers, "adp"), k, adp)
    {
        cve5_metrics(&r, adp);
    }
    r.affected = json_object_get(cna, "affected");
    if (r.affected && !json_is_array(r.affected))
        return fail(d, index, "containers.cna.affected", "must be an array");
    digest(rec, r.sum);
    return cb(ctx, &r);
}

static int read_cve5(const json_t *doc, ermes__vuln_record_cb cb, void *ctx, ermes_diag_t *d)
{
    size_t k;
    json_t *rec;
    int rc;

    if (json_is_object(doc))
        return read_cve5_one(doc, 0, cb, ctx, d);
    json_array_foreach(doc, k, rec)
    {
        if ((rc = read_cve5_one(rec, k, cb, ctx, d)))
            return rc;
    }
    return 0;
}

/* ---- NVD CVE API 2.0 ------------------------------------------------------------------------ */

static int read_nvd(const json_t *doc, ermes__vuln_record_cb cb, void *ctx, ermes_diag_t *d)
{
    static const char *const keys[] = {"cvssMetricV2", "cvssMetricV30", "cvssMetricV31",
                                       "cvssMetricV40"};
    const json_t *vulns = json_object_get(doc, "vulnerabilities");
    size_t k, j, i;
    json_t *v, *m, *w, *de;
    int rc;

    if (!json_is_array(vulns))
        return fail(d, 0, "vulnerabilities", "an NVD_CVE response needs vulnerabilities[]");
    json_array_foreach(vulns, k, v)
    {
        const json_t *cve = json_object_get(v, "cve"), *metrics;
        ermes__vuln_record_t r;
        const char *id = str(cve, "id");

        if (!json_is_object(cve))
            return fail(d, k, "cve", "each vulnerability needs its cve object");
        if (!cve_id_valid(id))
            return fail(d, k, "cve.id", "not a CVE id (CVE-YYYY-NNNN)");
        if (str(cve, "vulnStatus") && !strcmp(str(cve, "vulnStatus"), "Rejected"))
            continue;
        record_init(&r, ERMES_VULN_NVD);
        snprintf(r.cve_id, sizeof(r.cve_id), "%s", id);
        r.published = when(str(cve, "published"));
        r.modified = when(str(cve, "lastModified"));
        r.description = description(json_object_get(cve, "descriptions"));
        metrics = json_object_get(cve, "metrics");
        for (int n = 0; n < 4; n++)
            json_array_foreach(json_object_get(metrics, keys[n]), j, m)
            {
                take_cvss(&r, str(json_object_get(m, "cvssData"), "vectorString"));
            }
        json_array_foreach(json_object_get(cve, "weaknesses"), j, w)
        {
            json_array_foreach(json_object_get(w, "description"), i, de)
            {
                take_cwe(&r, str(de, "value"));
            }
        }
        if (str(cve, "cisaExploitAdd")) {
            r.kev = 1;
            r.kev_added = when(str(cve, "cisaExploitAdd"));
            r.kev_due = when(str(cve, "cisaActionDue"));
            r.kev_action = str(cve, "cisaRequiredAction");
            r.kev_name = str(cve, "cisaVulnerabilityName");
        }
        r.affected = json_object_get(cve, "configurations");
        if (r.affected && !json_is_array(r.affected))
            return fail(d, k, "cve.configurations", "must be an array");
        digest(cve, r.sum);
        if ((rc = cb(ctx, &r)))
            return rc;
    }
    return 0;
}

/* ---- CISA KEV ------------------------------------------------------------------------------- */

static int read_kev(const json_t *doc, ermes__vuln_record_cb cb, void *ctx, ermes_diag_t *d)
{
    const json_t *vulns = json_object_get(doc, "vulnerabilities");
    size_t k, j;
    json_t *v, *c;
    int rc;

    if (!json_is_array(vulns))
        return fail(d, 0, "vulnerabilities", "the KEV catalogue needs vulnerabilities[]");
    json_array_foreach(vulns, k, v)
    {
        ermes__vuln_record_t r;
        const char *id = str(v, "cveID");

        if (!cve_id_valid(id))
            return fail(d, k, "cveID", "not a CVE id (CVE-YYYY-NNNN)");
        /* The schema's required members. */
        if (!str(v, "vendorProject") || !str(v, "product") || !str(v, "dateAdded") ||
            !str(v, "requiredAction") || !str(v, "dueDate"))
            return fail(d, k, "vulnerabilities",
                        "a KEV entry needs vendorProject, product, "
                        "dateAdded, requiredAction and dueDate");
        record_init(&r, ERMES_VULN_KEV);
        snprintf(r.cve_id, sizeof(r.cve_id), "%s", id);
        r.kev = 1;
        r.kev_added = when(str(v, "dateAdded"));
        r.kev_due = when(str(v, "dueDate"));
        if (!r.kev_added || !r.kev_due)
            return fail(d, k, "dateAdded", "dateAdded and dueDate are dates (YYYY-MM-DD)");
        r.kev_name = str(v, "vulnerabilityName");
        r.kev_action = str(v, "requiredAction");
        r.kev_ransomware = str(v, "knownRansomwareCampaignUse");
        r.kev_vendor = str(v, "vendorProject");
        r.kev_product = str(v, "product");
        r.description = str(v, "shortDescription");
        json_array_foreach(json_object_get(v, "cwes"), j, c)
        {
            take_cwe(&r, json_string_value(c));
        }
        digest(v, r.sum);
        if ((rc = cb(ctx, &r)))
            return rc;
    }
    return 0;
}

/* ---- FIRST EPSS ----------------------------------------------------------------------------- */

/* "0.94334" (or "1", "1.0") as parts per 100,000; digits past the fifth are dropped. */
static int epss_number(const char *s, size_t n, long *out)
{
    long v = 0, scale = 100000;
    size_t k = 0;

    if (!n || s[0] < '0' || s[0] > '1')
        return -1;
    v = (s[0] - '0') * 100000L;
    k = 1;
    if (k < n) {
        if (s[k++] != '.' || k == n)
            return -1;
        for (; k < n; k++) {
            if (s[k] < '0' || s[k] > '9')
                return -1;
            if (scale > 1) {
                scale /= 10;
                v += (s[k] - '0') * scale;
            }
        }
    }
    if (v > 100000)
        return -1;
    *out = v;
    return 0;
}

static int read_epss(const char *data, size_t len, ermes__vuln_record_cb cb, void *ctx,
                     ermes_diag_t *d)
{
    size_t pos = 0, line = 0;
    int header = 0, rc;

    while (pos < len) {
        const char *s = data + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos, c1, c2;
        const char *p1, *p2;
        ermes__vuln_record_t r;
        ermes__sha256_t *h;

        pos += n + (nl != NULL);
        line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (!n || s[0] == '#')
            continue;
        if (!header) {
            if (n < 19 || strncmp(s, "cve,epss,percentile", 19)) {
                ermes_diag_set(d, "header", "line %zu: the EPSS header is cve,epss,percentile",
                               line);
                d->line = (long)line;
                return ERMES_EPARSE;
            }
            header = 1;
            continue;
        }
        p1 = memchr(s, ',', n);
        p2 = p1 ? memchr(p1 + 1, ',', n - (size_t)(p1 + 1 - s)) : NULL;
        record_init(&r, ERMES_VULN_EPSS);
        c1 = p1 ? (size_t)(p1 - s) : 0;
        c2 = p2 ? (size_t)(p2 - p1 - 1) : 0;
        if (!p2 || c1 >= sizeof(r.cve_id) || memchr(p2 + 1, ',', n - (size_t)(p2 + 1 - s))) {
            ermes_diag_set(d, "cve", "line %zu: three columns: cve,epss,percentile", line);
            d->line = (long)line;
            return ERMES_EPARSE;
        }
        memcpy(r.cve_id, s, c1);
        r.cve_id[c1] = '\0';
        if (!cve_id_valid(r.cve_id) || epss_number(p1 + 1, c2, &r.epss) ||
            epss_number(p2 + 1, n - (size_t)(p2 + 1 - s), &r.epss_percentile)) {
            ermes_diag_set(d, "epss", "line %zu: a CVE id and two numbers from 0 to 1", line);
            d->line = (long)line;
            return ERMES_EPARSE;
        }
        if ((h = ermes__sha256_new())) {
            ermes__sha256_update(h, s, n);
            ermes__sha256_final(h, r.sum); /* frees h */
        }
        if ((rc = cb(ctx, &r)))
            return rc;
    }
    if (!header) {
        ermes_diag_set(d, "header", "no EPSS header (cve,epss,percentile)");
        return ERMES_EPARSE;
    }
    return 0;
}

/* ---- CSAF 2.0 documents of other providers ----------------------------------------------------
 */

/* The text of the first note of vuln (or of the document) of category cat. */
static const char *csaf_note(const json_t *notes, const char *cat)
{
    size_t k;
    json_t *n;

    json_array_foreach(notes, k, n)
    {
        const char *c = str(n, "category"), *t = str(n, "text");
        if (c && t && !strcmp(c, cat))
            return t;
    }
    return NULL;
}

/* The document cut to one vulnerability: what matching (csaf_match.c) and a reader of the
 * stored row need, and nothing of the other vulnerabilities, so that a revision that changes
 * another CVE leaves this one's digest alone (apart from the tracking version). */
static json_t *csaf_cut(const json_t *doc, const json_t *vuln)
{
    const json_t *document = json_object_get(doc, "document");
    const json_t *tracking = json_object_get(document, "tracking");
    json_t *out = json_object(), *d = json_object(), *t = json_object(), *vs = json_array();
    static const char *const tkeys[] = {"id", "version", "current_release_date",
                                        "initial_release_date"};
    static const char *const dkeys[] = {"title", "publisher", "distribution", "references", "lang"};

    if (!out || !d || !t || !vs) {
        json_decref(out);
        json_decref(d);
        json_decref(t);
        json_decref(vs);
        return NULL;
    }
    for (size_t k = 0; k < sizeof(tkeys) / sizeof(tkeys[0]); k++)
        if (json_object_get(tracking, tkeys[k]))
            json_object_set(t, tkeys[k], json_object_get(tracking, tkeys[k]));
    for (size_t k = 0; k < sizeof(dkeys) / sizeof(dkeys[0]); k++)
        if (json_object_get(document, dkeys[k]))
            json_object_set(d, dkeys[k], json_object_get(document, dkeys[k]));
    json_object_set_new(d, "tracking", t);
    json_object_set_new(out, "document", d);
    if (json_object_get(doc, "product_tree"))
        json_object_set(out, "product_tree", json_object_get(doc, "product_tree"));
    json_array_append(vs, (json_t *)vuln);
    json_object_set_new(out, "vulnerabilities", vs);
    return out;
}

/* Each vulnerability of a CSAF document that names a CVE becomes a record (one without a CVE
 * has no key in the store of vulnerabilities and is skipped). The document is expected to
 * have passed ermes's validator already (`ermes csaf import` refuses one that does not); what
 * is read here is only what a record needs, and what is not of the expected type is an error
 * of the whole document. */
static int read_csaf(const json_t *doc, ermes__vuln_record_cb cb, void *ctx, ermes_diag_t *d)
{
    const json_t *document = json_object_get(doc, "document");
    const json_t *tracking = json_object_get(document, "tracking");
    const json_t *publisher = json_object_get(document, "publisher");
    const json_t *vulns = json_object_get(doc, "vulnerabilities");
    const char *label =
        str(json_object_get(json_object_get(document, "distribution"), "tlp"), "label");
    size_t k, j;
    json_t *v, *sc;
    int rc;

    if (!json_is_object(document) || !str(document, "csaf_version"))
        return fail(d, 0, "document.csaf_version", "a CSAF document needs document.csaf_version");
    if (!json_is_object(tracking) || !str(tracking, "id"))
        return fail(d, 0, "document.tracking.id", "a CSAF document needs its tracking id");
    if (vulns && !json_is_array(vulns))
        return fail(d, 0, "vulnerabilities", "must be an array");
    if (json_object_get(doc, "product_tree") &&
        !json_is_object(json_object_get(doc, "product_tree")))
        return fail(d, 0, "product_tree", "must be an object");
    json_array_foreach(vulns, k, v)
    {
        ermes__vuln_record_t r;
        const char *cve = str(v, "cve"), *summary;
        json_t *cut;

        if (!json_is_object(v))
            return fail(d, k, "vulnerabilities", "each vulnerability must be an object");
        if (!json_object_get(v, "cve"))
            continue;
        if (!cve_id_valid(cve))
            return fail(d, k, "vulnerabilities.cve", "not a CVE id (CVE-YYYY-NNNN)");
        if (json_object_get(v, "product_status") &&
            !json_is_object(json_object_get(v, "product_status")))
            return fail(d, k, "vulnerabilities.product_status", "must be an object");
        record_init(&r, ERMES_VULN_CSAF);
        snprintf(r.cve_id, sizeof(r.cve_id), "%s", cve);
        summary = csaf_note(json_object_get(v, "notes"), "summary");
        if (!summary)
            summary = csaf_note(json_object_get(v, "notes"), "description");
        r.description = summary ? summary : str(v, "title");
        r.published = when(str(v, "release_date"));
        if (!r.published)
            r.published = when(str(tracking, "initial_release_date"));
        r.modified = when(str(tracking, "current_release_date"));
        json_array_foreach(json_object_get(v, "scores"), j, sc)
        {
            take_cvss(&r, str(json_object_get(sc, "cvss_v2"), "vectorString"));
            take_cvss(&r, str(json_object_get(sc, "cvss_v3"), "vectorString"));
        }
        take_cwe(&r, str(json_object_get(v, "cwe"), "id"));
        snprintf(r.source, sizeof(r.source), "%.150s %.150s %.150s %.40s",
                 str(publisher, "name") ? str(publisher, "name") : "?",
                 str(publisher, "namespace") ? str(publisher, "namespace") : "?",
                 str(tracking, "id"), str(tracking, "version") ? str(tracking, "version") : "?");
        snprintf(r.tlp, sizeof(r.tlp), "%s",
                 !label || !strcmp(label, "WHITE") ? (label ? "CLEAR" : "AMBER") : label);
        if (strcmp(r.tlp, "CLEAR") && strcmp(r.tlp, "GREEN") && strcmp(r.tlp, "AMBER") &&
            strcmp(r.tlp, "RED"))
            return fail(d, 0, "document.distribution.tlp.label", "not a TLP label");
        if (!(cut = csaf_cut(doc, v)))
            return ERMES_ENOMEM;
        r.affected = cut;
        digest(cut, r.sum);
        rc = cb(ctx, &r);
        json_decref(cut);
        if (rc)
            return rc;
    }
    return 0;
}

static ermes__vuln_kind_t detect(const json_t *doc)
{
    const json_t *v;

    if (json_is_array(doc))
        return ERMES_VULN_CVE5;
    if (json_object_get(doc, "cveMetadata") || json_object_get(doc, "dataType"))
        return ERMES_VULN_CVE5;
    if (json_object_get(doc, "catalogVersion"))
        return ERMES_VULN_KEV;
    if (str(json_object_get(doc, "document"), "csaf_version"))
        return ERMES_VULN_CSAF;
    if (str(doc, "format") && !strcmp(str(doc, "format"), "NVD_CVE"))
        return ERMES_VULN_NVD;
    v = json_array_get(json_object_get(doc, "vulnerabilities"), 0);
    if (json_object_get(v, "cve"))
        return ERMES_VULN_NVD;
    if (json_object_get(v, "cveID"))
        return ERMES_VULN_KEV;
    return ERMES_VULN_AUTO;
}

int ermes__vuln_read(const char *data, size_t len, ermes__vuln_kind_t kind,
                     ermes__vuln_record_cb cb, void *ctx, ermes__vuln_kind_t *kind_out,
                     ermes_diag_t *d)
{
    json_error_t err;
    json_t *doc;
    size_t k = 0;
    int rc, auto_kind;

    if (len > (size_t)ERMES_VULN_DOC_MAX) {
        ermes_diag_set(d, "document", "larger than %ld bytes", ERMES_VULN_DOC_MAX);
        return ERMES_ETOOBIG;
    }
    while (k < len && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n'))
        k++;
    if (kind == ERMES_VULN_EPSS ||
        (kind == ERMES_VULN_AUTO && k < len && data[k] != '{' && data[k] != '[')) {
        if (kind_out)
            *kind_out = ERMES_VULN_EPSS;
        return read_epss(data, len, cb, ctx, d);
    }
    if (!(doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err))) {
        ermes_diag_set(d, "document", "not JSON: %s", err.text);
        d->line = err.line;
        d->column = err.column;
        return ERMES_EPARSE;
    }
    auto_kind = kind == ERMES_VULN_AUTO;
    if (kind == ERMES_VULN_AUTO && (kind = detect(doc)) == ERMES_VULN_AUTO) {
        json_decref(doc);
        ermes_diag_set(d, "document",
                       "neither a CVE 5 record, an NVD_CVE response, the "
                       "KEV catalogue nor a CSAF document");
        return ERMES_EPARSE;
    }
    if (kind == ERMES_VULN_CSAF && auto_kind) {
        /* A CSAF document is validated and its provider's hashes and signature checked
         * before it is read (csaf_import.c): never by guessing its kind. */
        json_decref(doc);
        ermes_diag_set(d, "document",
                       "a CSAF document: import it with `ermes csaf import` "
                       "(or --kind csaf)");
        return ERMES_EPARSE;
    }
    if (kind_out)
        *kind_out = kind;
    rc = kind == ERMES_VULN_CVE5   ? read_cve5(doc, cb, ctx, d)
         : kind == ERMES_VULN_NVD  ? read_nvd(doc, cb, ctx, d)
         : kind == ERMES_VULN_CSAF ? read_csaf(doc, cb, ctx, d)
                                   : read_kev(doc, cb, ctx, d);
    json_decref(doc);
    return rc;
}
