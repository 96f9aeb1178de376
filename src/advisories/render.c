/* Advisories for people (render.h): the built-in templates, their headings in seven
 * languages, and the variables taken from a CSAF document. Lists (notes, vulnerabilities,
 * references, the revision history) are rendered item by item from an item template and
 * inserted as trusted text; every value from the document goes through the template engine's
 * escaping for the output (core/template.c). Every template here, the pages', the items' and
 * the feed's header and entry, is a built-in default of the one template system
 * (src/templates/templates.c): a stored one of the language replaces it. */
#include "advisories/render.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/template.h"
#include "core/time.h"

/* ---- headings ---------------------------------------------------------------------------- */

enum {
    L_ID,
    L_VERSION,
    L_PUBLISHER,
    L_INITIAL,
    L_CURRENT,
    L_VULNERABILITIES,
    L_REFERENCES,
    L_HISTORY,
    L_AFFECTED,
    L_FIXED,
    L_REMEDIATION,
    L_DATE,
    L_SUMMARY,
    L_COUNT
};

static const char *const label_names[L_COUNT] = {
    "l_id",         "l_version", "l_publisher", "l_initial", "l_current",     "l_vulnerabilities",
    "l_references", "l_history", "l_affected",  "l_fixed",   "l_remediation", "l_date",
    "l_summary"};

typedef struct labels {
    const char *lang;
    const char *text[L_COUNT];
} labels_t;

static const labels_t labels[] = {
    {"en",
     {"Tracking ID", "Version", "Publisher", "Initial release", "Current release",
      "Vulnerabilities", "References", "Revision history", "Affected products", "Fixed products",
      "Remediation", "Date", "Summary"}},
    {"fr",
     {"Identifiant", "Version", "Éditeur", "Première publication", "Publication actuelle",
      "Vulnérabilités", "Références", "Historique des révisions", "Produits affectés",
      "Produits corrigés", "Remédiation", "Date", "Résumé"}},
    {"de",
     {"Kennung", "Version", "Herausgeber", "Erstveröffentlichung", "Aktuelle Veröffentlichung",
      "Schwachstellen", "Referenzen", "Versionshistorie", "Betroffene Produkte",
      "Behobene Produkte", "Abhilfe", "Datum", "Zusammenfassung"}},
    {"nl",
     {"Kenmerk", "Versie", "Uitgever", "Eerste publicatie", "Huidige publicatie", "Kwetsbaarheden",
      "Referenties", "Revisiegeschiedenis", "Getroffen producten", "Verholpen producten",
      "Oplossing", "Datum", "Samenvatting"}},
    {"it",
     {"Identificativo", "Versione", "Editore", "Prima pubblicazione", "Pubblicazione attuale",
      "Vulnerabilità", "Riferimenti", "Cronologia delle revisioni", "Prodotti interessati",
      "Prodotti corretti", "Rimedio", "Data", "Sintesi"}},
    {"es",
     {"Identificador", "Versión", "Editor", "Publicación inicial", "Publicación actual",
      "Vulnerabilidades", "Referencias", "Historial de revisiones", "Productos afectados",
      "Productos corregidos", "Solución", "Fecha", "Resumen"}},
    {"pl",
     {"Identyfikator", "Wersja", "Wydawca", "Pierwsza publikacja", "Bieżąca publikacja",
      "Podatności", "Odnośniki", "Historia wersji", "Produkty podatne", "Produkty poprawione",
      "Środki zaradcze", "Data", "Podsumowanie"}},
};

static const labels_t *labels_for(const char *lang)
{
    for (size_t k = 0; lang && k < sizeof(labels) / sizeof(labels[0]); k++)
        if (strncmp(lang, labels[k].lang, 2) == 0 && (lang[2] == '\0' || lang[2] == '-'))
            return &labels[k];
    return NULL;
}

const char *ermes__advisory_render_lang_at(size_t k)
{
    return k < sizeof(labels) / sizeof(labels[0]) ? labels[k].lang : NULL;
}

const char *ermes__advisory_render_lang(const char *lang, const char *document_lang)
{
    const labels_t *l = labels_for(lang);

    if (!l)
        l = labels_for(document_lang);
    return l ? l->lang : "en";
}

/* ---- templates --------------------------------------------------------------------------- */

/* The parts of a page: the page itself and the item templates of its lists, each a template
 * of the system an administrator may replace per language (names as src/templates has them). */
enum {
    P_PAGE,
    P_NOTE,
    P_VULN,
    P_VULN_NOTE,
    P_SCORE,
    P_REMEDIATION,
    P_REFERENCE,
    P_HISTORY,
    P_COUNT
};

static const char *const page_parts[P_COUNT] = {
    "page",  "note",        "vulnerability", "vulnerability_note",
    "score", "remediation", "reference",     "history"};

static const char *const html[P_COUNT] = {
    "<!DOCTYPE html>\n"
    "<html lang=\"${lang}\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\"/>\n"
    "<title>${tracking_id}: ${title}</title>\n"
    "</head>\n"
    "<body>\n"
    "<main>\n"
    "<h1>${title}</h1>\n"
    "<p class=\"tlp\">TLP:${tlp}</p>\n"
    "<dl>\n"
    "<dt>${l_id}</dt><dd>${tracking_id}</dd>\n"
    "<dt>${l_version}</dt><dd>${version} (${status})</dd>\n"
    "<dt>${l_publisher}</dt><dd>${publisher}</dd>\n"
    "<dt>${l_initial}</dt><dd>${initial_release_date}</dd>\n"
    "<dt>${l_current}</dt><dd>${current_release_date}</dd>\n"
    "</dl>\n"
    "${notes}"
    "<h2>${l_vulnerabilities}</h2>\n"
    "${vulnerabilities}"
    "<h2>${l_references}</h2>\n"
    "<ul>\n${references}</ul>\n"
    "<h2>${l_history}</h2>\n"
    "<table>\n"
    "<tr><th>${l_version}</th><th>${l_date}</th><th>${l_summary}</th></tr>\n"
    "${history}"
    "</table>\n"
    "</main>\n"
    "</body>\n"
    "</html>\n",
    "<section class=\"note\">\n<h2>${title}</h2>\n<p>${text}</p>\n</section>\n",
    "<section class=\"vulnerability\">\n"
    "<h3>${cve} ${title}</h3>\n"
    "${scores}${notes}"
    "<p>${l_affected}: ${affected}</p>\n"
    "<p>${l_fixed}: ${fixed}</p>\n"
    "${remediations}"
    "</section>\n",
    "<p>${text}</p>\n",
    "<p>CVSS ${vector} (${score} ${severity})</p>\n",
    "<p>${l_remediation}: ${details} ${link}</p>\n",
    "<li>${link} ${summary}</li>\n",
    "<tr><td>${number}</td><td>${date}</td><td>${summary}</td></tr>\n",
};

static const char *const text[P_COUNT] = {
    "${title}\n"
    "${tracking_id} ${version} (${status}) TLP:${tlp}\n"
    "${l_publisher}: ${publisher}\n"
    "${l_initial}: ${initial_release_date}\n"
    "${l_current}: ${current_release_date}\n"
    "\n"
    "${notes}"
    "${l_vulnerabilities}:\n"
    "${vulnerabilities}"
    "\n"
    "${l_references}:\n"
    "${references}"
    "\n"
    "${l_history}:\n"
    "${history}",
    "${title}:\n${text}\n\n",
    "- ${cve} ${title}\n"
    "${scores}${notes}"
    "  ${l_affected}: ${affected}\n"
    "  ${l_fixed}: ${fixed}\n"
    "${remediations}",
    "  ${text}\n",
    "  CVSS ${vector} (${score} ${severity})\n",
    "  ${l_remediation}: ${details} ${link}\n",
    "- ${link} ${summary}\n",
    "- ${number} ${date} ${summary}\n",
};

static const char feed_head[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"${lang}\">\n"
    "<id>${feed_url}</id>\n"
    "<title>${title}</title>\n"
    "<updated>${updated}</updated>\n"
    "<link rel=\"self\" href=\"${feed_url}\"/>\n"
    "<generator>ermes</generator>\n";

static const char feed_entry[] = "<entry>\n"
                                 "<id>${entry_id}</id>\n"
                                 "<title>${tracking_id}: ${title}</title>\n"
                                 "<updated>${current_release_date}</updated>\n"
                                 "<published>${initial_release_date}</published>\n"
                                 "<author><name>${publisher}</name></author>\n"
                                 "<link rel=\"alternate\" type=\"text/html\" href=\"${link}\"/>\n"
                                 "<category term=\"TLP:${tlp}\"/>\n"
                                 "<category term=\"${version}\" label=\"${status}\"/>\n"
                                 "<summary>${summary}</summary>\n"
                                 "</entry>\n";

/* An entry's summary: one item per note of category summary (title, text), joined by a line
 * break. */
static const char feed_summary[] = "${text}";

/* The parts of the Atom feed: an entry per advisory, the feed's header and the item of an
 * entry's summary. */
enum { A_ENTRY, A_FEED, A_SUMMARY, A_COUNT };

static const char *const atom_parts[A_COUNT] = {"entry", "feed", "summary"};

static const char *const atom[A_COUNT] = {feed_entry, feed_head, feed_summary};

/* The parts of kind ("html", "text", "atom"), their built-in texts and their count; 0 for
 * another kind. */
static size_t parts_of(const char *kind, const char *const **names, const char *const **builtin)
{
    if (kind && strcmp(kind, "html") == 0) {
        *names = page_parts, *builtin = html;
        return P_COUNT;
    }
    if (kind && strcmp(kind, "text") == 0) {
        *names = page_parts, *builtin = text;
        return P_COUNT;
    }
    if (kind && strcmp(kind, "atom") == 0) {
        *names = atom_parts, *builtin = atom;
        return A_COUNT;
    }
    return 0;
}

const char *ermes__advisory_template_part(const char *kind, size_t k)
{
    const char *const *names, *const *builtin;

    return k < parts_of(kind, &names, &builtin) ? names[k] : NULL;
}

const char *ermes__advisory_template_builtin(const char *kind, const char *name)
{
    const char *const *names, *const *builtin;
    size_t n = parts_of(kind, &names, &builtin);

    for (size_t k = 0; name && k < n; k++)
        if (strcmp(names[k], name) == 0)
            return builtin[k];
    return NULL;
}

/* The templates a rendering uses: the built-in ones, with the stored ones of the language
 * over them, and the one being checked or previewed over those. */
typedef struct chosen {
    const char *t[P_COUNT];
    char *owned[P_COUNT];
    const char *const *names;
    size_t n;
} chosen_t;

static void chosen_cleanup(chosen_t *c)
{
    for (size_t k = 0; k < c->n; k++)
        ermes__free(c->owned[k]);
}

static int stored_cb(void *ctx, const char *name, const char *stored)
{
    chosen_t *c = ctx;

    for (size_t k = 0; name && k < c->n; k++)
        if (!c->owned[k] && strcmp(c->names[k], name) == 0) {
            if (!(c->owned[k] = ermes__strdup(stored)))
                return ERMES_ENOMEM;
            c->t[k] = c->owned[k];
        }
    return 0;
}

static void choose(const ermes__advisory_tpls_t *tpls, const char *kind, const char *lang,
                   chosen_t *c)
{
    const char *const *builtin;

    memset(c, 0, sizeof(*c));
    c->n = parts_of(kind, &c->names, &builtin);
    for (size_t k = 0; k < c->n; k++)
        c->t[k] = builtin[k];
    /* A store that cannot answer leaves the built-in templates: the page still renders. */
    if (tpls && tpls->fn && tpls->fn(tpls->ctx, kind, lang, stored_cb, c)) {
        chosen_cleanup(c);
        memset(c->owned, 0, sizeof(c->owned));
        for (size_t k = 0; k < c->n; k++)
            c->t[k] = builtin[k];
    }
    for (size_t k = 0; tpls && tpls->text && k < c->n; k++)
        if (strcmp(c->names[k], tpls->name ? tpls->name : c->names[0]) == 0)
            c->t[k] = tpls->text;
}

/* ---- variables --------------------------------------------------------------------------- */

#define MAX_VARS 32

typedef struct var {
    const char *name;
    char *value; /* owned */
    size_t len;
    int trusted;
} var_t;

typedef struct vars {
    var_t v[MAX_VARS];
    size_t n;
    const labels_t *l;
    const char *const *t; /* the item templates of nested lists (chosen_t's) */
} vars_t;

static void vars_cleanup(vars_t *vs)
{
    for (size_t k = 0; k < vs->n; k++)
        ermes__free(vs->v[k].value);
    vs->n = 0;
}

static int var_cb(void *ctx, const char *name, size_t len, const char **value, size_t *vlen,
                  int *trusted)
{
    vars_t *vs = ctx;

    for (size_t k = 0; k < vs->n; k++)
        if (strlen(vs->v[k].name) == len && memcmp(vs->v[k].name, name, len) == 0) {
            *value = vs->v[k].value;
            *vlen = vs->v[k].len;
            *trusted = vs->v[k].trusted;
            return 1;
        }
    for (size_t k = 0; vs->l && k < L_COUNT; k++)
        if (strlen(label_names[k]) == len && memcmp(label_names[k], name, len) == 0) {
            *value = vs->l->text[k];
            *vlen = strlen(vs->l->text[k]);
            *trusted = 0;
            return 1;
        }
    return 0;
}

/* Sets name (a literal) to len bytes of value, copied. */
static int set_n(vars_t *vs, const char *name, const char *value, size_t len, int trusted)
{
    char *copy;

    if (vs->n >= MAX_VARS)
        return ERMES_ENOMEM;
    if (!(copy = ermes__malloc(len + 1)))
        return ERMES_ENOMEM;
    memcpy(copy, value ? value : "", len);
    copy[len] = '\0';
    vs->v[vs->n++] = (var_t){name, copy, len, trusted};
    return 0;
}

static int set(vars_t *vs, const char *name, const char *value)
{
    return set_n(vs, name, value ? value : "", value ? strlen(value) : 0, 0);
}

/* Sets name to b's text, trusted (already rendered for the output). */
static int set_rendered(vars_t *vs, const char *name, ermes__strbuf_t *b)
{
    return set_n(vs, name, b->data ? b->data : "", b->len, 1);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A link: in markup an <a> only for http(s) addresses (never javascript: or data:), the
 * address otherwise as text; in text the address. */
static int set_link(vars_t *vs, const char *url, ermes__template_escape_t esc)
{
    ermes__strbuf_t b;
    int rc = 0;

    if (esc == ERMES_TEMPLATE_TEXT || esc == ERMES_TEMPLATE_RAW ||
        (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return set(vs, "link", url);
    ermes__strbuf_init(&b, 1u << 20);
    rc = ermes__strbuf_adds(&b, "<a href=\"");
    if (!rc)
        rc = ermes__template_escape(&b, url, strlen(url), esc);
    if (!rc)
        rc = ermes__strbuf_adds(&b, "\">");
    if (!rc)
        rc = ermes__template_escape(&b, url, strlen(url), esc);
    if (!rc)
        rc = ermes__strbuf_adds(&b, "</a>");
    if (!rc)
        rc = set_rendered(vs, "link", &b);
    ermes__strbuf_cleanup(&b);
    return rc;
}

/* The product names of the tree by product id (6.1.1 makes every referenced id defined). */
static void collect_products(json_t *node, json_t *names)
{
    json_t *v, *p;
    size_t i;

    if (!json_is_object(node))
        return;
    p = json_object_get(node, "product");
    if (json_is_object(p) && json_is_string(json_object_get(p, "product_id")))
        json_object_set(names, str(p, "product_id"), json_object_get(p, "name"));
    json_array_foreach(json_object_get(node, "branches"), i, v) collect_products(v, names);
    json_array_foreach(json_object_get(node, "full_product_names"), i, v)
    {
        if (json_is_string(json_object_get(v, "product_id")))
            json_object_set(names, str(v, "product_id"), json_object_get(v, "name"));
    }
    json_array_foreach(json_object_get(node, "relationships"), i, v)
    {
        json_t *f = json_object_get(v, "full_product_name");
        if (json_is_string(json_object_get(f, "product_id")))
            json_object_set(names, str(f, "product_id"), json_object_get(f, "name"));
    }
}

/* The names of the product ids in list, joined by ", " (an id without a name as itself). */
static int product_names(json_t *list, json_t *names, vars_t *vs, const char *var)
{
    ermes__strbuf_t b;
    json_t *v;
    size_t i;
    int rc = 0;

    ermes__strbuf_init(&b, 16u << 20);
    json_array_foreach(list, i, v)
    {
        const char *id = json_string_value(v), *name;
        if (!id)
            continue;
        name = json_string_value(json_object_get(names, id));
        if (b.len)
            rc = ermes__strbuf_adds(&b, ", ");
        if (!rc)
            rc = ermes__strbuf_adds(&b, name ? name : id);
        if (rc)
            break;
    }
    if (!rc)
        rc = set_n(vs, var, b.data ? b.data : "-", b.data ? b.len : 1, 0);
    ermes__strbuf_cleanup(&b);
    return rc;
}

typedef int (*item_vars_fn)(vars_t *vs, json_t *item, json_t *names, ermes__template_escape_t esc);

/* Renders tpl once per item of list (each with the variables fill gives it) into out. */
static int render_list(json_t *list, const char *tpl, item_vars_fn fill, json_t *names,
                       const vars_t *parent, ermes__template_escape_t esc, ermes__strbuf_t *out)
{
    json_t *item;
    size_t i;
    int rc = 0;

    json_array_foreach(list, i, item)
    {
        vars_t vs = {.n = 0, .l = parent->l, .t = parent->t};

        rc = fill(&vs, item, names, esc);
        if (!rc)
            rc = ermes__template_render(tpl, strlen(tpl), esc, var_cb, &vs, out);
        vars_cleanup(&vs);
        if (rc)
            break;
    }
    return rc;
}

static int note_vars(vars_t *vs, json_t *n, json_t *names, ermes__template_escape_t esc)
{
    int rc;

    (void)names, (void)esc;
    rc = set(vs, "title", *str(n, "title") ? str(n, "title") : str(n, "category"));
    return rc ? rc : set(vs, "text", str(n, "text"));
}

static int score_vars(vars_t *vs, json_t *s, json_t *names, ermes__template_escape_t esc)
{
    json_t *c = json_object_get(s, "cvss_v3");
    char score[32];
    int rc;

    (void)names, (void)esc;
    if (!c)
        c = json_object_get(s, "cvss_v2");
    snprintf(score, sizeof(score), "%.1f", json_number_value(json_object_get(c, "baseScore")));
    rc = set(vs, "vector", str(c, "vectorString"));
    if (!rc)
        rc = set(vs, "score", score);
    return rc ? rc : set(vs, "severity", str(c, "baseSeverity"));
}

static int remediation_vars(vars_t *vs, json_t *r, json_t *names, ermes__template_escape_t esc)
{
    int rc;

    (void)names;
    rc = set(vs, "details", str(r, "details"));
    return rc ? rc : set_link(vs, str(r, "url"), esc);
}

static int reference_vars(vars_t *vs, json_t *r, json_t *names, ermes__template_escape_t esc)
{
    int rc;

    (void)names;
    rc = set(vs, "summary", str(r, "summary"));
    return rc ? rc : set_link(vs, str(r, "url"), esc);
}

static int history_vars(vars_t *vs, json_t *h, json_t *names, ermes__template_escape_t esc)
{
    int rc;

    (void)names, (void)esc;
    rc = set(vs, "number", str(h, "number"));
    if (!rc)
        rc = set(vs, "date", str(h, "date"));
    return rc ? rc : set(vs, "summary", str(h, "summary"));
}

static int vuln_vars(vars_t *vs, json_t *v, json_t *names, ermes__template_escape_t esc)
{
    json_t *ps = json_object_get(v, "product_status");
    ermes__strbuf_t b;
    int rc;

    rc = set(vs, "cve", str(v, "cve"));
    if (!rc)
        rc = set(vs, "title", str(v, "title"));
    if (!rc)
        rc = product_names(json_object_get(ps, "known_affected"), names, vs, "affected");
    if (!rc)
        rc = product_names(json_object_get(ps, "fixed"), names, vs, "fixed");
    ermes__strbuf_init(&b, 16u << 20);
    if (!rc)
        rc = render_list(json_object_get(v, "scores"), vs->t[P_SCORE], score_vars, names, vs, esc,
                         &b);
    if (!rc)
        rc = set_rendered(vs, "scores", &b);
    ermes__strbuf_reset(&b);
    if (!rc)
        rc = render_list(json_object_get(v, "notes"), vs->t[P_VULN_NOTE], note_vars, names, vs, esc,
                         &b);
    if (!rc)
        rc = set_rendered(vs, "notes", &b);
    ermes__strbuf_reset(&b);
    if (!rc)
        rc = render_list(json_object_get(v, "remediations"), vs->t[P_REMEDIATION], remediation_vars,
                         names, vs, esc, &b);
    if (!rc)
        rc = set_rendered(vs, "remediations", &b);
    ermes__strbuf_cleanup(&b);
    return rc;
}

/* The document-level variables every output uses. */
static int document_vars(vars_t *vs, json_t *root, const char *lang)
{
    json_t *doc = json_object_get(root, "document"), *tr = json_object_get(doc, "tracking");
    const char *tlp = str(json_object_get(json_object_get(doc, "distribution"), "tlp"), "label");
    int rc;

    rc = set(vs, "lang", lang);
    if (!rc)
        rc = set(vs, "title", str(doc, "title"));
    if (!rc)
        rc = set(vs, "tracking_id", str(tr, "id"));
    if (!rc)
        rc = set(vs, "version", str(tr, "version"));
    if (!rc)
        rc = set(vs, "status", str(tr, "status"));
    /* TLP 1.0's WHITE is TLP 2.0's CLEAR, the label ermes shows everywhere. */
    if (!rc)
        rc = set(vs, "tlp", strcmp(tlp, "WHITE") == 0 ? "CLEAR" : *tlp ? tlp : "AMBER");
    if (!rc)
        rc = set(vs, "publisher", str(json_object_get(doc, "publisher"), "name"));
    if (!rc)
        rc = set(vs, "initial_release_date", str(tr, "initial_release_date"));
    if (!rc)
        rc = set(vs, "current_release_date", str(tr, "current_release_date"));
    return rc;
}

static int parse(const char *document, json_t **root)
{
    *root = json_loads(document, 0, NULL);
    if (!json_is_object(*root) || !json_is_object(json_object_get(*root, "document"))) {
        json_decref(*root);
        *root = NULL;
        return ERMES_EPARSE;
    }
    return 0;
}

int ermes__advisory_render(const char *document, ermes__advisory_format_t fmt, const char *lang,
                           const ermes__advisory_tpls_t *tpls, ermes__strbuf_t *out)
{
    const char *const *t;
    chosen_t c;
    ermes__template_escape_t esc =
        fmt == ERMES_ADVISORY_HTML ? ERMES_TEMPLATE_HTML : ERMES_TEMPLATE_TEXT;
    json_t *root, *names = NULL, *doc;
    vars_t vs = {.n = 0};
    ermes__strbuf_t b;
    int rc;

    if ((rc = parse(document, &root)))
        return rc;
    doc = json_object_get(root, "document");
    lang = ermes__advisory_render_lang(lang, str(doc, "lang"));
    choose(tpls, fmt == ERMES_ADVISORY_HTML ? "html" : "text", lang, &c);
    t = c.t;
    vs.l = labels_for(lang);
    vs.t = t;
    ermes__strbuf_init(&b, 64u << 20);
    if (!(names = json_object())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    collect_products(json_object_get(root, "product_tree"), names);
    if ((rc = document_vars(&vs, root, lang)))
        goto out;
    if ((rc = render_list(json_object_get(doc, "notes"), t[P_NOTE], note_vars, names, &vs, esc,
                          &b)) ||
        (rc = set_rendered(&vs, "notes", &b)))
        goto out;
    ermes__strbuf_reset(&b);
    if ((rc = render_list(json_object_get(root, "vulnerabilities"), t[P_VULN], vuln_vars, names,
                          &vs, esc, &b)) ||
        (rc = set_rendered(&vs, "vulnerabilities", &b)))
        goto out;
    ermes__strbuf_reset(&b);
    if ((rc = render_list(json_object_get(doc, "references"), t[P_REFERENCE], reference_vars, names,
                          &vs, esc, &b)) ||
        (rc = set_rendered(&vs, "references", &b)))
        goto out;
    ermes__strbuf_reset(&b);
    if ((rc = render_list(json_object_get(json_object_get(doc, "tracking"), "revision_history"),
                          t[P_HISTORY], history_vars, names, &vs, esc, &b)) ||
        (rc = set_rendered(&vs, "history", &b)))
        goto out;
    rc = ermes__template_render(t[P_PAGE], strlen(t[P_PAGE]), esc, var_cb, &vs, out);
out:
    chosen_cleanup(&c);
    ermes__strbuf_cleanup(&b);
    vars_cleanup(&vs);
    json_decref(names);
    json_decref(root);
    return rc;
}

/* ---- the Atom feed ----------------------------------------------------------------------- */

int ermes__advisory_feed_begin(ermes__strbuf_t *out, const char *title, const char *feed_url,
                               int64_t updated_ms, const char *lang,
                               const ermes__advisory_tpls_t *tpls)
{
    vars_t vs = {.n = 0};
    char updated[40];
    chosen_t c;
    int rc;

    lang = ermes__advisory_render_lang(lang, NULL);
    choose(tpls, "atom", lang, &c);
    updated[ermes__time_format(updated_ms, updated)] = '\0';
    rc = set(&vs, "lang", lang);
    if (!rc)
        rc = set(&vs, "feed_url", feed_url);
    if (!rc)
        rc = set(&vs, "title", title);
    if (!rc)
        rc = set(&vs, "updated", updated);
    if (!rc)
        rc = ermes__template_render(c.t[A_FEED], strlen(c.t[A_FEED]), ERMES_TEMPLATE_XML, var_cb,
                                    &vs, out);
    chosen_cleanup(&c);
    vars_cleanup(&vs);
    return rc;
}

/* Characters of a tracking id other than unreserved ones (RFC 3986) percent-encoded, for the
 * address of its page. */
static int add_url_part(ermes__strbuf_t *b, const char *s)
{
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            rc = ermes__strbuf_addc(b, (char)*p);
        else
            rc = ermes__strbuf_addf(b, "%%%02X", *p);
    }
    return rc;
}

int ermes__advisory_feed_entry(ermes__strbuf_t *out, const ermes__advisory_t *a,
                               const char *document, const char *link_prefix,
                               const char *link_suffix, const char *lang,
                               const ermes__advisory_tpls_t *tpls)
{
    chosen_t c;
    vars_t vs = {.n = 0};
    ermes__strbuf_t b;
    json_t *root, *n;
    size_t i;
    int rc;

    if ((rc = parse(document, &root)))
        return rc;
    ermes__strbuf_init(&b, 1u << 20);
    choose(tpls, "atom",
           ermes__advisory_render_lang(lang, str(json_object_get(root, "document"), "lang")), &c);
    rc = document_vars(&vs, root, "en");
    /* The summary: the summary item rendered for each of the document's notes of category
     * summary, joined by a line break. */
    json_array_foreach(json_object_get(json_object_get(root, "document"), "notes"), i, n)
    {
        vars_t item = {.n = 0};
        if (rc || strcmp(str(n, "category"), "summary") != 0)
            continue;
        if (b.len)
            rc = ermes__strbuf_addc(&b, '\n');
        if (!rc)
            rc = note_vars(&item, n, NULL, ERMES_TEMPLATE_XML);
        if (!rc)
            rc = ermes__template_render(c.t[A_SUMMARY], strlen(c.t[A_SUMMARY]), ERMES_TEMPLATE_XML,
                                        var_cb, &item, &b);
        vars_cleanup(&item);
    }
    if (!rc)
        rc = set_n(&vs, "summary", b.data ? b.data : "", b.len, 1);
    ermes__strbuf_reset(&b);
    if (!rc)
        rc = ermes__strbuf_adds(&b, link_prefix);
    if (!rc)
        rc = add_url_part(&b, a->tracking_id);
    if (!rc)
        rc = ermes__strbuf_adds(&b, link_suffix);
    if (!rc)
        rc = set_n(&vs, "link", b.data, b.len, 0);
    /* The entry's id: the same in the public feed and a signed-in reader's. */
    ermes__strbuf_reset(&b);
    if (!rc)
        rc = ermes__strbuf_adds(&b, "urn:ermes:advisory:");
    if (!rc)
        rc = add_url_part(&b, a->tracking_id);
    if (!rc)
        rc = set_n(&vs, "entry_id", b.data, b.len, 0);
    if (!rc)
        rc = ermes__template_render(c.t[A_ENTRY], strlen(c.t[A_ENTRY]), ERMES_TEMPLATE_XML, var_cb,
                                    &vs, out);
    chosen_cleanup(&c);
    ermes__strbuf_cleanup(&b);
    vars_cleanup(&vs);
    json_decref(root);
    return rc;
}

int ermes__advisory_feed_end(ermes__strbuf_t *out)
{
    return ermes__strbuf_adds(out, "</feed>\n");
}
