/* The check of an edited advisory template (render.h): what a CERT types in the API must name
 * only variables the renderer fills, and must render a sample advisory, before it replaces
 * the built-in one on the public pages, the feed and the warning e-mails. */
#include <stdio.h>
#include <string.h>

#include "advisories/render.h"
#include "core/alloc.h"

#define MAX_TEMPLATE (256 * 1024)

/* What the page of html and text and the feed's entry know (render.c's document_vars). */
static const char *const document_names[] = {"lang",
                                             "title",
                                             "tracking_id",
                                             "version",
                                             "status",
                                             "tlp",
                                             "publisher",
                                             "initial_release_date",
                                             "current_release_date",
                                             NULL};
/* The headings, known to a page and to each of its list items. */
static const char *const label_names[] = {
    "l_id",         "l_version", "l_publisher", "l_initial", "l_current",     "l_vulnerabilities",
    "l_references", "l_history", "l_affected",  "l_fixed",   "l_remediation", "l_date",
    "l_summary",    NULL};

/* Each part's own variables (render.c's *_vars): the page's lists, the items' fields. */
typedef struct part_vars {
    const char *kind, *name;
    int document, labels;
    const char *own[8];
} part_vars_t;

static const part_vars_t parts[] = {
    {"page", "page", 1, 1, {"notes", "vulnerabilities", "references", "history", NULL}},
    {"page", "note", 0, 1, {"title", "text", NULL}},
    {"page",
     "vulnerability",
     0,
     1,
     {"cve", "title", "affected", "fixed", "scores", "notes", "remediations", NULL}},
    {"page", "vulnerability_note", 0, 1, {"title", "text", NULL}},
    {"page", "score", 0, 1, {"vector", "score", "severity", NULL}},
    {"page", "remediation", 0, 1, {"details", "link", NULL}},
    {"page", "reference", 0, 1, {"summary", "link", NULL}},
    {"page", "history", 0, 1, {"number", "date", "summary", NULL}},
    {"atom", "entry", 1, 0, {"summary", "link", "entry_id", NULL}},
    {"atom", "feed", 0, 0, {"lang", "feed_url", "title", "updated", NULL}},
    {"atom", "summary", 0, 0, {"title", "text", NULL}},
};

static int in(const char *const *names, const char *s, size_t len)
{
    for (size_t k = 0; names[k]; k++)
        if (strlen(names[k]) == len && memcmp(names[k], s, len) == 0)
            return 1;
    return 0;
}

static int known(const part_vars_t *p, const char *s, size_t len)
{
    return (p->document && in(document_names, s, len)) || (p->labels && in(label_names, s, len)) ||
           in(p->own, s, len);
}

static int fail(ermes_diag_t *d, long line, long col, const char *reason, const char *arg,
                size_t arglen)
{
    ermes_diag_set(d, "text", "line %ld, column %ld: %s%.*s%s", line, col, reason,
                   (int)(arglen > 64 ? 64 : arglen), arg ? arg : "", arg ? "}\"" : "");
    d->line = line;
    d->column = col;
    return ERMES_EINVAL;
}

static const char sample[] =
    "{\"document\":{\"category\":\"csaf_security_advisory\",\"csaf_version\":\"2.0\","
    "\"lang\":\"en\",\"title\":\"Sample: remote code execution in Example Router\","
    "\"distribution\":{\"tlp\":{\"label\":\"CLEAR\"}},"
    "\"publisher\":{\"category\":\"coordinator\",\"name\":\"Example CERT\","
    "\"namespace\":\"https://cert.example\"},"
    "\"notes\":[{\"category\":\"summary\",\"title\":\"Summary\","
    "\"text\":\"A crafted request runs code on the router.\"}],"
    "\"references\":[{\"url\":\"https://cert.example/advisories/EX-2026-0001\","
    "\"summary\":\"This advisory\"}],"
    "\"tracking\":{\"id\":\"EX-2026-0001\",\"version\":\"2\",\"status\":\"final\","
    "\"initial_release_date\":\"2026-12-01T10:00:00.000Z\","
    "\"current_release_date\":\"2026-12-07T09:00:00.000Z\","
    "\"revision_history\":[{\"number\":\"1\",\"date\":\"2026-12-01T10:00:00.000Z\","
    "\"summary\":\"First release.\"},{\"number\":\"2\",\"date\":\"2026-12-07T09:00:00.000Z\","
    "\"summary\":\"Fixed version added.\"}]}},"
    "\"product_tree\":{\"full_product_names\":[{\"product_id\":\"P1\","
    "\"name\":\"Example Router 1.0\"},{\"product_id\":\"P2\",\"name\":\"Example Router 1.1\"}]},"
    "\"vulnerabilities\":[{\"cve\":\"CVE-2026-0001\",\"title\":\"Command injection\","
    "\"product_status\":{\"known_affected\":[\"P1\"],\"fixed\":[\"P2\"]},"
    "\"scores\":[{\"products\":[\"P1\"],\"cvss_v3\":{\"version\":\"3.1\","
    "\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\",\"baseScore\":9.8,"
    "\"baseSeverity\":\"CRITICAL\"}}],"
    "\"remediations\":[{\"category\":\"vendor_fix\",\"details\":\"Update to 1.1.\","
    "\"url\":\"https://router.example/1.1\",\"product_ids\":[\"P1\"]}]},"
    "{\"cve\":\"CVE-2026-0002\",\"title\":\"Weak default password\","
    "\"product_status\":{\"known_affected\":[\"P1\"]}}]}";

const char *ermes__advisory_template_sample(void)
{
    return sample;
}

int ermes__advisory_template_check(const char *kind, const char *name, const char *text,
                                   ermes_diag_t *d)
{
    size_t n = text ? strlen(text) : 0;
    const part_vars_t *p = NULL;
    long line = 1, col = 1;
    int atom, rc;

    ermes_diag_clear(d);
    if (!ermes__advisory_template_builtin(kind, name)) {
        ermes_diag_set(d, "name", "no template \"%.16s\" of kind \"%.16s\"", name ? name : "",
                       kind ? kind : "");
        return ERMES_EINVAL;
    }
    atom = strcmp(kind, "atom") == 0;
    for (size_t k = 0; !p && k < sizeof(parts) / sizeof(parts[0]); k++)
        if (strcmp(parts[k].kind, atom ? "atom" : "page") == 0 && strcmp(parts[k].name, name) == 0)
            p = &parts[k];
    if (!p) {
        ermes_diag_set(d, "name", "no template \"%.16s\" of kind \"%.16s\"", name, kind);
        return ERMES_EINVAL;
    }
    if (n == 0)
        return fail(d, 1, 1, "the template is empty", NULL, 0);
    if (n > MAX_TEMPLATE) {
        ermes_diag_set(d, "text", "a template is at most %d bytes", MAX_TEMPLATE);
        return ERMES_ETOOBIG;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)text[k];
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            return fail(d, line, col, "a control character", NULL, 0);
        if (c == '$' && k + 1 < n && text[k + 1] == '{') {
            size_t j = k + 2;
            while (j < n && text[j] != '}' && text[j] != '\n' && text[j] != '$')
                j++;
            if (j >= n || text[j] != '}')
                return fail(d, line, col, "\"${\" is not closed by \"}\"", NULL, 0);
            if (!known(p, text + k + 2, j - (k + 2)))
                return fail(d, line, col, "unknown placeholder \"${", text + k + 2, j - (k + 2));
            col += (long)(j - k) + 1;
            k = j;
            continue;
        }
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xc0) != 0x80) {
            col++; /* columns count characters, not UTF-8 continuation bytes */
        }
    }
    /* The proof: the sample advisory through it, as the pages and the feed will use it. */
    {
        ermes__advisory_tpls_t t = {.name = name, .text = text};
        ermes__strbuf_t b;

        ermes__strbuf_init(&b, 16u << 20);
        if (atom && strcmp(name, "feed") == 0) {
            rc = ermes__advisory_feed_begin(&b, "Example CERT advisories",
                                            "https://cert.example/feed.atom", 1796601600000, "en",
                                            &t);
        } else if (atom) {
            ermes__advisory_t a;
            memset(&a, 0, sizeof(a));
            snprintf(a.tracking_id, sizeof(a.tracking_id), "EX-2026-0001");
            rc = ermes__advisory_feed_entry(&b, &a, sample, "https://cert.example/", ".html", "en",
                                            &t);
        } else {
            rc = ermes__advisory_render(
                sample, strcmp(kind, "html") == 0 ? ERMES_ADVISORY_HTML : ERMES_ADVISORY_TEXT, "en",
                &t, &b);
        }
        ermes__strbuf_cleanup(&b);
        if (rc) {
            ermes_diag_set(d, "text", "the sample advisory does not render through it (%s)",
                           ermes_strerror(rc));
            return rc;
        }
    }
    return 0;
}
