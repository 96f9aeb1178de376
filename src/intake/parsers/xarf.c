/* X-ARF v4 abuse reports (https://github.com/abusix/xarf, schema 4): one JSON document, the
 * report of one incident, as an e-mail carries it (src/mail/ hands the document over as a
 * report of feed "xarf"). One document is one event: Report.Source (an address, a URL or a
 * domain, by SourceType) becomes source.ip, source.url or source.fqdn, Report.Date
 * time.source, and ReportClass/ReportType the RSIT type. */
#include "intake/parsers/feedparse.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"

typedef struct xarf {
    ermes__fp_feed_t feed;
    const char *data;
    size_t len;
    int done;
} xarf_t;

static int xarf_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                     ermes_diag_t *d)
{
    xarf_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    if ((rc = ermes__fp_feed_init(&s->feed, info, "X-ARF", NULL, d))) {
        ermes__free(s);
        return rc;
    }
    s->data = data;
    s->len = len;
    *state = s;
    return 0;
}

static void xarf_close(void *state)
{
    ermes__free(state);
}

/* X-ARF's report types and the RSIT classification.type each stands for. */
static const char *type_of(const char *cls, const char *type)
{
    static const struct {
        const char *xarf, *rsit;
    } map[] = {{"Spam", "spam"},
               {"Phishing", "phishing"},
               {"Malware", "malware-distribution"},
               {"Botnet", "infected-system"},
               {"Infected", "infected-system"},
               {"LoginAttack", "brute-force"},
               {"PortScan", "scanner"},
               {"Ddos", "ddos"},
               {"DDoS", "ddos"},
               {"Harvesting", "other"},
               {"Copyright", "copyright"},
               {"Fraud", "phishing"},
               {"Vulnerable", "vulnerable-system"},
               {"OpenService", "vulnerable-system"},
               {"Exploit", "exploit"},
               {"Scan", "scanner"}};

    for (size_t k = 0; type && k < sizeof(map) / sizeof(map[0]); k++)
        if (strcasecmp(type, map[k].xarf) == 0)
            return map[k].rsit;
    if (cls && strcasecmp(cls, "Vulnerability") == 0)
        return "vulnerable-system";
    if (cls && strcasecmp(cls, "Copyright") == 0)
        return "copyright";
    return "undetermined";
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static ermes__fp_str_t S(const char *s)
{
    ermes__fp_str_t r = {s ? s : "", s ? strlen(s) : 0};
    return r;
}

static int xarf_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    xarf_t *s = state;
    json_error_t je;
    json_t *doc, *rep;
    const char *src, *stype, *version;
    int rc = 1;

    if (s->done)
        return 0;
    s->done = 1;
    ermes__fp_row(row, d, 1, (ermes__fp_str_t){s->data, s->len});
    if (!(doc = json_loadb(s->data, s->len, 0, &je)))
        return ermes__fp_reject(d, "not JSON: %s", je.text);
    version = str(doc, "Version");
    rep = json_object_get(doc, "Report");
    if (!version || strcmp(version, "4") != 0 || !json_is_object(rep)) {
        json_decref(doc);
        return ermes__fp_reject(d, "not an X-ARF v4 document (Version \"4\" and a Report object)");
    }
    src = str(rep, "Source");
    stype = str(rep, "SourceType");
    if (!src) {
        json_decref(doc);
        return ermes__fp_reject(d, "the report has no Source");
    }
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        goto out;
    if (stype && strcasecmp(stype, "uri") == 0)
        rc = ermes__fp_set(ev, ERMES_F_SOURCE_URL, S(src), d);
    else if (stype && strcasecmp(stype, "domain") == 0)
        rc = ermes__fp_set(ev, ERMES_F_SOURCE_FQDN, S(src), d);
    else
        rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, S(src), d);
    if (!rc && str(rep, "Date"))
        rc = ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, S(str(rep, "Date")), d);
    if (!rc)
        rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE,
                            type_of(str(rep, "ReportClass"), str(rep, "ReportType")), d);
    if (!rc && json_is_integer(json_object_get(rep, "SourcePort")))
        rc = ermes__fp_extra_int(
            ev, "source_port", (int64_t)json_integer_value(json_object_get(rep, "SourcePort")), d);
    if (!rc && str(rep, "ReportType"))
        rc = ermes__fp_extra(ev, "xarf_report_type", S(str(rep, "ReportType")), ERMES_EXTRA_STRING,
                             d);
    if (!rc && str(rep, "ReportClass"))
        rc = ermes__fp_extra(ev, "xarf_report_class", S(str(rep, "ReportClass")),
                             ERMES_EXTRA_STRING, d);
    if (!rc && str(json_object_get(doc, "ReporterInfo"), "ReporterOrg"))
        rc = ermes__fp_extra(ev, "reporter",
                             S(str(json_object_get(doc, "ReporterInfo"), "ReporterOrg")),
                             ERMES_EXTRA_STRING, d);
out:
    json_decref(doc);
    return rc ? rc : 1;
}

const ermes__parser_def_t ermes__parser_xarf = {
    "xarf", "X-ARF v4 abuse report (one JSON document; from mail in)", xarf_open, xarf_next,
    xarf_close};
