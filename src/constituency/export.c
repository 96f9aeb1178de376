/* Export of the organisations a viewer may see, as JSON or CSV (the import formats). */
#include "constituency/registry.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/text.h"
#include "model/org.h"

struct export_ctx {
    ermes__format_t format;
    ermes__export_write_cb write;
    void *ctx;
    long n;
    ermes__strbuf_t line;
};

/* RFC 4180: a field with a delimiter, quote or line break is quoted, quotes doubled. OWASP's
 * rule against CSV injection: a cell starting with = + - @ tab or CR gets a single quote in
 * front, so a spreadsheet shows it as text instead of running it. So that the import (which
 * takes one such quote off again) gives back exactly what was exported, a value whose leading
 * quotes are followed by one of those characters gets one more quote too. */
static int csv_field(ermes__strbuf_t *b, const char *s, int last)
{
    int rc = 0, guard = 0;

    if (s) {
        size_t quotes = strspn(s, "'");
        guard = ermes__csv_cell_is_formula(s + quotes, strlen(s + quotes));
    }
    if (s && (guard || s[strcspn(s, ",\"\r\n")])) {
        rc |= ermes__strbuf_addc(b, '"');
        if (guard)
            rc |= ermes__strbuf_addc(b, '\'');
        for (; *s && !rc; s++)
            rc |= *s == '"' ? ermes__strbuf_add(b, "\"\"", 2) : ermes__strbuf_addc(b, *s);
        rc |= ermes__strbuf_addc(b, '"');
    } else if (s) {
        rc |= ermes__strbuf_adds(b, s);
    }
    return rc | ermes__strbuf_addc(b, last ? '\n' : ',');
}

/* One part of a contact in the CSV contacts column: '|' separates the parts and ';' the
 * contacts, so those and the backslash itself are written after a backslash (the import
 * reads them back so). */
static int contact_part(ermes__strbuf_t *b, const char *s)
{
    int rc = 0;

    for (; s && *s && !rc; s++) {
        if (*s == '|' || *s == ';' || *s == '\\')
            rc = ermes__strbuf_addc(b, '\\');
        if (!rc)
            rc = ermes__strbuf_addc(b, *s);
    }
    return rc;
}

static int org_cb(void *arg, const ermes__org_t *org)
{
    struct export_ctx *c = arg;
    ermes__strbuf_t *b = &c->line;
    char text[ERMES_CIDR_STRLEN];
    int rc = 0;

    ermes__strbuf_reset(b);
    if (c->format == ERMES_FORMAT_JSON) {
        json_t *j = ermes__org_to_json(org);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!s)
            return ERMES_ENOMEM;
        rc = c->write(c->ctx, c->n ? ",\n" : "\n", c->n ? 2 : 1);
        if (!rc)
            rc = c->write(c->ctx, s, strlen(s));
        free(s);
        c->n++;
        return rc;
    }
    rc |= csv_field(b, org->short_name, 0);
    rc |= csv_field(b, org->name, 0);
    rc |= csv_field(b, org->country, 0);
    rc |= csv_field(b, org->sector, 0);
    rc |= csv_field(b, org->type, 0);
    rc |= csv_field(b, org->parent, 0);
    rc |= csv_field(b, ermes_tlp_name(org->meta.tlp), 0);
    {
        ermes__strbuf_t f;
        ermes__strbuf_init(&f, 64u << 20);
        for (size_t k = 0; k < org->nnetworks; k++) {
            ermes_cidr_format(&org->networks[k], text);
            rc |= ermes__strbuf_addf(&f, "%s%s", k ? " " : "", text);
        }
        rc |= csv_field(b, f.data ? f.data : "", 0);
        ermes__strbuf_reset(&f);
        for (size_t k = 0; k < org->nasns; k++)
            rc |= ermes__strbuf_addf(&f, "%s%u", k ? " " : "", org->asns[k]);
        rc |= csv_field(b, f.data ? f.data : "", 0);
        ermes__strbuf_reset(&f);
        for (size_t k = 0; k < org->ndomains; k++)
            rc |= ermes__strbuf_addf(&f, "%s%s", k ? " " : "", org->domains[k]);
        rc |= csv_field(b, f.data ? f.data : "", 0);
        ermes__strbuf_reset(&f);
        for (size_t k = 0; k < org->ncontacts; k++) {
            const ermes__contact_t *ct = &org->contacts[k];
            if (k)
                rc |= ermes__strbuf_addc(&f, ';');
            rc |= contact_part(&f, ct->email);
            rc |= ermes__strbuf_addc(&f, '|');
            rc |= contact_part(&f, ct->name);
            rc |= ermes__strbuf_addc(&f, '|');
            rc |= contact_part(&f, ct->role);
            rc |= ermes__strbuf_addc(&f, '|');
            rc |= contact_part(&f, ct->language);
            /* The key last, and only when there is one: a file without keys reads as
             * before. */
            if (ct->pgp_key && *ct->pgp_key) {
                rc |= ermes__strbuf_addc(&f, '|');
                rc |= contact_part(&f, ct->pgp_key);
            }
        }
        rc |= csv_field(b, f.data ? f.data : "", 1);
        ermes__strbuf_cleanup(&f);
    }
    if (rc)
        return rc < 0 ? rc : ERMES_ENOMEM;
    c->n++;
    return c->write(c->ctx, b->data, b->len);
}

int ermes__registry_export(ermes__registry_t *r, const ermes__viewer_t *v, ermes__format_t format,
                           ermes__export_write_cb write, void *ctx)
{
    static const char csv_header[] =
        "short_name,name,country,sector,type,parent,tlp,networks,asns,domains,contacts\n";
    struct export_ctx c = {format, write, ctx, 0, {0}};
    ermes__org_filter_t f;
    int rc, more;

    memset(&f, 0, sizeof(f));
    ermes__strbuf_init(&c.line, 64u << 20);
    rc = format == ERMES_FORMAT_CSV ? write(ctx, csv_header, sizeof(csv_header) - 1)
                                    : write(ctx, "{\"organisations\": [", 19);
    if (!rc)
        rc = ermes__store_org_each(ermes__registry_store(r), v, &f, org_cb, &c, &more);
    if (!rc && format == ERMES_FORMAT_JSON)
        rc = write(ctx, "\n]}\n", 4);
    ermes__strbuf_cleanup(&c.line);
    return rc;
}
