/* The attachment of an events notification in the format its constituent asked for
 * (per-constituent preferences, prefs.c): CSV (the columns of src/intake/export.c, cells
 * neutralised against formula injection there), JSON (an array of the events, each the
 * stored event with its IntelMQ field names, as the CSV names them, and its id), or X-ARF v4
 * (one X-ARF JSON document per event; message.c makes each a part of its own). Notifications
 * of sightings and vulnerabilities carry their own CSV whatever the preference. The format
 * is read when the message is built, so a change of preference applies to the notifications
 * not sent yet too. */
#include "notify/notify.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "intake/export.h"

/* RSIT types and the X-ARF ReportClass and ReportType that say the same (the inverse of
 * src/intake/parsers/xarf.c's table where one exists). */
static void xarf_kind(const char *type, const char **cls, const char **xtype)
{
    static const struct {
        const char *rsit, *cls, *type;
    } map[] = {{"spam", "Activity", "Spam"},
               {"phishing", "Content", "Phishing"},
               {"malware-distribution", "Content", "Malware"},
               {"malware-configuration", "Content", "Malware"},
               {"c2-server", "Content", "Malware"},
               {"infected-system", "Activity", "Botnet"},
               {"brute-force", "Activity", "LoginAttack"},
               {"scanner", "Activity", "PortScan"},
               {"ddos", "Activity", "Ddos"},
               {"copyright", "Content", "Copyright"},
               {"exploit", "Activity", "Exploit"},
               {"vulnerable-system", "Vulnerability", "OpenService"},
               {"potentially-unwanted-accessible", "Vulnerability", "OpenService"},
               {"weak-crypto", "Vulnerability", "OpenService"},
               {"information-disclosure", "Vulnerability", "OpenService"}};

    for (size_t k = 0; type && k < sizeof(map) / sizeof(map[0]); k++)
        if (strcmp(type, map[k].rsit) == 0) {
            *cls = map[k].cls;
            *xtype = map[k].type;
            return;
        }
    /* No X-ARF type says it: the RSIT type itself (ReportType is free text in the schema). */
    *cls = "Activity";
    *xtype = type && *type ? type : "undetermined";
}

static const char *str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The reporter from mail_from ("Name <addr>" or "addr"): the organisation's name (the name,
 * else the address's domain), its domain and its address. */
static void reporter(const char *mail_from, char *name, size_t ncap, char *domain, size_t dcap,
                     char *addr, size_t acap)
{
    const char *lt = mail_from ? strchr(mail_from, '<') : NULL, *gt, *at;
    size_t n;

    snprintf(name, ncap, "%s", "");
    snprintf(addr, acap, "%s", mail_from ? mail_from : "ermes@localhost");
    if (lt && (gt = strchr(lt, '>')) != NULL) {
        n = (size_t)(gt - lt - 1);
        snprintf(addr, acap, "%.*s", (int)(n < acap ? n : acap - 1), lt + 1);
        n = (size_t)(lt - mail_from);
        while (n && (mail_from[n - 1] == ' ' || mail_from[n - 1] == '"'))
            n--;
        snprintf(name, ncap, "%.*s", (int)(n < ncap ? n : ncap - 1),
                 mail_from + (mail_from[0] == '"'));
    }
    at = strchr(addr, '@');
    snprintf(domain, dcap, "%s", at ? at + 1 : "localhost");
    /* ReporterOrg has at least 3 characters in the schema. */
    if (strlen(name) < 3)
        snprintf(name, ncap, "%s", domain);
}

/* One event as an X-ARF v4 document, one line. */
static int xarf_line(const ermes__notify_options_t *o, const ermes__notification_t *n,
                     const json_t *ev, ermes__strbuf_t *out)
{
    char name[128], domain[128], addr[320];
    const char *cls, *type, *src, *stype = "ip-address", *date;
    json_t *doc, *rep, *v;
    char *text;
    int rc;

    reporter(o ? o->mail_from : NULL, name, sizeof(name), domain, sizeof(domain), addr,
             sizeof(addr));
    xarf_kind(str(ev, "classification.type"), &cls, &type);
    date = str(ev, "time.source") ? str(ev, "time.source") : str(ev, "time.observation");
    rep = json_pack("{s:s,s:s,s:s,s:s}", "ReportClass", cls, "ReportType", type, "Date",
                    date ? date : "1970-01-01T00:00:00Z", "ReporterCaseID", n->reference);
    doc = json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:b}", "Version", "4", "ReporterInfo", "ReporterType",
                    "Org", "ReporterOrg", name, "ReporterOrgDomain", domain, "ReporterOrgEmail",
                    addr, "Disclosure", n->tlp == ERMES_TLP_CLEAR);
    if (!rep || !doc) {
        json_decref(rep);
        json_decref(doc);
        return ERMES_ENOMEM;
    }
    if ((src = str(ev, "source.ip"))) {
        json_object_set_new(rep, "SourceIp", json_string(src));
    } else if ((src = str(ev, "source.url"))) {
        stype = "uri";
        json_object_set_new(rep, "SourceUrl", json_string(src));
    } else if ((src = str(ev, "source.fqdn"))) {
        stype = "domain";
    } else if ((src = str(ev, "destination.ip"))) {
        json_object_set_new(rep, "SourceIp", json_string(src));
    }
    if (src) {
        json_object_set_new(rep, "Source", json_string(src));
        json_object_set_new(rep, "SourceType", json_string(stype));
    }
    if (json_is_integer(v = json_object_get(ev, "source.port")) && json_integer_value(v) >= 0 &&
        json_integer_value(v) <= 65535)
        json_object_set(rep, "SourcePort", v);
    if (json_is_integer(v = json_object_get(ev, "source.asn")) && json_integer_value(v) >= 1 &&
        json_integer_value(v) <= 4199999999LL)
        json_object_set(rep, "ASN", v);
    if (json_is_integer(v = json_object_get(ev, "destination.port")) &&
        json_integer_value(v) >= 0 && json_integer_value(v) <= 65535)
        json_object_set(rep, "DestinationPort", v);
    if (str(ev, "destination.ip"))
        json_object_set_new(rep, "DestinationIp", json_string(str(ev, "destination.ip")));
    if (str(ev, "malware.name") && strcmp(type, "Botnet") == 0)
        json_object_set_new(rep, "BotnetName", json_string(str(ev, "malware.name")));
    if (str(ev, "feed.name") || str(ev, "classification.type"))
        json_object_set_new(
            rep, "ReporterNotes",
            json_sprintf("%s: %s", str(ev, "feed.name") ? str(ev, "feed.name") : "",
                         str(ev, "classification.type") ? str(ev, "classification.type") : ""));
    json_object_set_new(doc, "Report", rep);
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return ERMES_ENOMEM;
    rc = ermes__strbuf_adds(out, text);
    if (!rc)
        rc = ermes__strbuf_addc(out, '\n');
    ermes__free(text);
    return rc;
}

typedef struct attach_ctx {
    const ermes__notify_options_t *o;
    const ermes__notification_t *n;
    ermes__strbuf_t *out;
    size_t count;
} attach_ctx_t;

static int json_cb(void *ctx, const ermes__event_row_t *e)
{
    attach_ctx_t *c = ctx;
    json_t *ev = json_loadb(e->data, e->data_len, 0, NULL);
    char *text;
    int rc;

    if (!json_is_object(ev)) {
        json_decref(ev);
        return ERMES_EPARSE;
    }
    json_object_set_new(ev, "id", json_integer(e->id));
    text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    if (!text)
        return ERMES_ENOMEM;
    rc = ermes__strbuf_adds(c->out, c->count++ ? ",\n" : "\n");
    if (!rc)
        rc = ermes__strbuf_adds(c->out, text);
    ermes__free(text);
    return rc;
}

static int xarf_cb(void *ctx, const ermes__event_row_t *e)
{
    attach_ctx_t *c = ctx;
    json_t *ev = json_loadb(e->data, e->data_len, 0, NULL);
    int rc;

    if (!json_is_object(ev)) {
        json_decref(ev);
        return ERMES_EPARSE;
    }
    rc = xarf_line(c->o, c->n, ev, c->out);
    json_decref(ev);
    c->count++;
    return rc;
}

int ermes__notify_attachment(ermes__store_t *st, const ermes__notify_options_t *o,
                             ermes__notification_t *n, ermes__strbuf_t *out)
{
    ermes__notify_prefs_t *p = ermes__calloc(1, sizeof(*p));
    attach_ctx_t c = {o, n, out, 0};
    int rc, any = 0;

    if (!p)
        return ERMES_ENOMEM;
    n->attachment = ERMES_NOTIFY_ATTACH_CSV;
    ermes__strbuf_reset(out);
    /* Sightings and vulnerability warnings have their own CSV (ermes__notify_csv). */
    if ((rc = ermes__notify_sightings_csv(st, n->id, out, &any)) || any)
        goto out;
    if ((rc = ermes__notify_vulns_csv(st, n->id, out, &any)) || any)
        goto out;
    ermes__strbuf_reset(out);
    if ((rc = ermes__store_notify_prefs_get(st, n->org_id, p)))
        goto out;
    n->attachment = (int)p->attachment;
    switch (p->attachment) {
    case ERMES_NOTIFY_ATTACH_JSON:
        rc = ermes__strbuf_adds(out, "[");
        if (!rc)
            rc = ermes__store_notification_events(st, n->id, json_cb, &c);
        if (!rc)
            rc = ermes__strbuf_adds(out, "\n]\n");
        break;
    case ERMES_NOTIFY_ATTACH_XARF:
        rc = ermes__store_notification_events(st, n->id, xarf_cb, &c);
        break;
    default:
        rc = ermes__notify_csv(st, n->id, out);
        break;
    }
out:
    ermes__free(p);
    return rc;
}
