/* The feed catalogue (presets.h). Each entry was written from the provider's documentation
 * (the doc link); the parser and its options are those of src/intake/parsers/, and each
 * preset's sample is parsed by tests/unit/test_presets.c. The interval follows what the
 * provider asks of its users (Spamhaus: not more than once an hour; abuse.ch: every few
 * minutes at most; blocklist.de and OpenPhish community: lists rebuilt a few times a day). */
#include "intake/presets.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define HOUR 3600L
#define DAY 86400L

#define P(...)                                                                                     \
    &(const ermes__preset_t)                                                                       \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

/* abuse.ch's CSV exports: quoted values, the column names in a '#' comment. */
#define FEODO_COLUMNS                                                                              \
    "columns=time.source|source.ip|source.port|extra.c2_status|extra.last_online|malware.name"
#define URLHAUS_COLUMNS                                                                            \
    "columns=extra.urlhaus_id|time.source|source.url|extra.url_status|extra.last_online|"          \
    "extra.threat|extra.tags|extra.urlhaus_link|extra.reporter"

#define BLOCKLISTDE(kind, what)                                                                    \
    P(.name = "blocklistde-" kind, .provider = "blocklist.de", .title = "blocklist.de: " what,     \
      .url = "https://lists.blocklist.de/lists/" kind ".txt", .parser = "blocklistde",             \
      .options = {"kind=" kind}, .interval = 12 * HOUR, .tlp = "CLEAR",                            \
      .doc = "https://www.blocklist.de/en/export.html",                                            \
      .sample = "conformance/feeds/intelmq/blocklistde/imap.txt")

const ermes__preset_t *const ermes__presets[] = {
    P(.name = "abusech-feodo", .provider = "abuse.ch",
      .title = "Feodo Tracker botnet C2 IP blocklist (Dridex, Emotet, QakBot, ...)",
      .url = "https://feodotracker.abuse.ch/downloads/ipblocklist.csv", .parser = "generic-csv",
      .options = {FEODO_COLUMNS, "type=c2-server"}, .interval = HOUR, .tlp = "CLEAR",
      .doc = "https://feodotracker.abuse.ch/blocklist/", .sample = "local:abusech-feodo.csv"),
    P(.name = "abusech-urlhaus", .provider = "abuse.ch",
      .title = "URLhaus: malware distribution URLs added in the last 30 days",
      .url = "https://urlhaus.abuse.ch/downloads/csv_recent/", .parser = "generic-csv",
      .options = {URLHAUS_COLUMNS, "type=malware-distribution"}, .interval = HOUR, .tlp = "CLEAR",
      .doc = "https://urlhaus.abuse.ch/api/#csv", .sample = "local:abusech-urlhaus.csv"),
    P(.name = "abusech-threatfox", .provider = "abuse.ch",
      .title = "ThreatFox: IOCs (URLs, domains, IP:port, hashes) of the last 48 hours",
      .url = "https://threatfox.abuse.ch/export/json/recent/", .parser = "threatfox",
      .interval = HOUR, .tlp = "CLEAR", .doc = "https://threatfox.abuse.ch/export/",
      .sample = "local:abusech-threatfox.json"),
    P(.name = "spamhaus-drop", .provider = "Spamhaus",
      .title = "Spamhaus DROP: netblocks hijacked or leased by criminals (IPv4)",
      .url = "https://www.spamhaus.org/drop/drop.txt", .parser = "spamhaus-drop",
      .interval = 12 * HOUR, .tlp = "CLEAR",
      .doc = "https://www.spamhaus.org/blocklists/do-not-route-or-peer/",
      .sample = "conformance/feeds/intelmq/spamhaus/drop.txt"),
    P(.name = "spamhaus-edrop", .provider = "Spamhaus",
      .title = "Spamhaus EDROP: the extended DROP list (merged into DROP by Spamhaus in 2024)",
      .url = "https://www.spamhaus.org/drop/edrop.txt", .parser = "spamhaus-drop",
      .interval = 12 * HOUR, .tlp = "CLEAR",
      .doc = "https://www.spamhaus.org/blocklists/do-not-route-or-peer/",
      .sample = "conformance/feeds/intelmq/spamhaus/drop.txt"),
    P(.name = "spamhaus-dropv6", .provider = "Spamhaus",
      .title = "Spamhaus DROPv6: the DROP list of IPv6 netblocks",
      .url = "https://www.spamhaus.org/drop/dropv6.txt", .parser = "spamhaus-drop",
      .interval = 12 * HOUR, .tlp = "CLEAR",
      .doc = "https://www.spamhaus.org/blocklists/do-not-route-or-peer/",
      .sample = "local:spamhaus-dropv6.txt"),
    P(.name = "spamhaus-asndrop", .provider = "Spamhaus",
      .title = "Spamhaus ASN-DROP: autonomous systems controlled by criminals",
      .url = "https://www.spamhaus.org/drop/asndrop.txt", .parser = "spamhaus-asndrop",
      .interval = 12 * HOUR, .tlp = "CLEAR",
      .doc = "https://www.spamhaus.org/blocklists/do-not-route-or-peer/",
      .sample = "conformance/feeds/intelmq/spamhaus/asndrop.txt"),
    P(.name = "dshield-block", .provider = "DShield (SANS ISC)",
      .title = "DShield recommended block list: the top 20 attacking /24 networks",
      .url = "https://www.dshield.org/block.txt", .parser = "dshield-block", .interval = DAY,
      .tlp = "CLEAR", .doc = "https://isc.sans.edu/block.txt",
      .sample = "conformance/feeds/intelmq/dshield/block.txt"),
    P(.name = "dshield-asn", .provider = "DShield (SANS ISC)",
      .title = "DShield: the attacking addresses of one AS (give its number)",
      .url = "https://dshield.org/asdetailsascii.html?as={value}", .parser = "dshield-asn",
      .options = {"asn={value}"}, .interval = DAY, .tlp = "CLEAR",
      .doc = "https://isc.sans.edu/api/", .needs = ERMES_PRESET_NEEDS_ASN,
      .sample = "conformance/feeds/intelmq/dshield/asdetailsascii.html"),
    BLOCKLISTDE("all", "all addresses reported in the last 48 hours"),
    BLOCKLISTDE("ssh", "SSH attacks"),
    BLOCKLISTDE("mail", "mail server attacks (Postfix, ...)"),
    BLOCKLISTDE("apache", "Apache, DDoS and RFI attacks"),
    BLOCKLISTDE("imap", "IMAP, SASL and POP3 attacks"),
    BLOCKLISTDE("ftp", "FTP attacks"),
    BLOCKLISTDE("sip", "SIP and VoIP attacks"),
    BLOCKLISTDE("bots", "IRC, forum, wiki and registration spam bots"),
    BLOCKLISTDE("strongips", "attackers of the last two months"),
    BLOCKLISTDE("ircbot", "IRC bots"),
    BLOCKLISTDE("bruteforcelogin", "web login brute force (Joomla, WordPress, ...)"),
    P(.name = "openphish", .provider = "OpenPhish",
      .title = "OpenPhish community feed: phishing URLs (one per line)",
      .url = "https://openphish.com/feed.txt", .parser = "openphish", .interval = 12 * HOUR,
      .tlp = "CLEAR", .doc = "https://openphish.com/phishing_feeds.html",
      .sample = "conformance/feeds/intelmq/openphish/feed.txt"),
    P(.name = "openphish-commercial", .provider = "OpenPhish",
      .title = "OpenPhish premium feed: phishing URLs with targets and hosting details",
      .url = "https://{value}@openphish.com/prvt-intell/", .parser = "openphish-commercial",
      .interval = HOUR, .tlp = "AMBER", .doc = "https://openphish.com/phishing_feeds.html",
      .needs = ERMES_PRESET_NEEDS_CREDENTIALS,
      .sample = "local:../feeds/openphish-commercial/feed_commercial.txt"),
    P(.name = "phishtank", .provider = "PhishTank (Cisco Talos)",
      .title = "PhishTank: verified phishing URLs online now (needs an application key)",
      .url = "https://data.phishtank.com/data/{value}/online-valid.csv", .parser = "generic-csv",
      .options = {"columns=extra.phishtank_id|source.url|event_description.url|time.source|"
                  "__IGNORE__|__IGNORE__|__IGNORE__|event_description.target",
                  "skip_header=true", "type=phishing"},
      .interval = 6 * HOUR, .tlp = "CLEAR", .doc = "https://phishtank.org/developer_info.php",
      .needs = ERMES_PRESET_NEEDS_API_KEY, .sample = "local:phishtank.csv"),
    P(.name = "cymru-fullbogons-ipv4", .provider = "Team Cymru",
      .title = "Team Cymru full bogons (IPv4): unallocated and reserved space",
      .url = "https://www.team-cymru.org/Services/Bogons/fullbogons-ipv4.txt",
      .parser = "generic-csv", .options = {"columns=source.network", "type=blacklist"},
      .interval = DAY, .tlp = "CLEAR", .doc = "https://www.team-cymru.com/bogon-reference-http",
      .sample = "local:cymru-fullbogons-ipv4.txt"),
    P(.name = "cymru-fullbogons-ipv6", .provider = "Team Cymru",
      .title = "Team Cymru full bogons (IPv6): unallocated and reserved space",
      .url = "https://www.team-cymru.org/Services/Bogons/fullbogons-ipv6.txt",
      .parser = "generic-csv", .options = {"columns=source.network", "type=blacklist"},
      .interval = DAY, .tlp = "CLEAR", .doc = "https://www.team-cymru.com/bogon-reference-http",
      .sample = "local:cymru-fullbogons-ipv6.txt"),
    P(.name = "cznic-turris-greylist", .provider = "CZ.NIC",
      .title = "Turris Sentinel greylist: addresses that attacked Turris routers",
      .url = "https://view.sentinel.turris.cz/greylist-data/greylist-latest.csv",
      .parser = "generic-csv",
      .options = {"columns=source.ip|extra.tags", "skip_header=true", "type=scanner"},
      .interval = DAY, .tlp = "CLEAR", .doc = "https://docs.turris.cz/basics/sentinel/greylist/",
      .sample = "local:cznic-turris-greylist.csv"),
    /* One gzipped JSON file a day, of the day before (HaaS's export page); the fields as
     * IntelMQ's cznic_haas parser reads them (ip, time). */
    P(.name = "cznic-haas", .provider = "CZ.NIC",
      .title = "HaaS (Honeypot as a Service): yesterday's SSH honeypot attackers",
      .url = "https://haas.nic.cz/stats/export/{yesterday:%Y/%m/%Y-%m-%d}.json.gz",
      .parser = "generic-json",
      .options = {"map.ip=source.ip", "map.time=time.source", "unmapped=extra", "type=brute-force"},
      .content = "gzip", .interval = DAY, .tlp = "CLEAR", .doc = "https://haas.nic.cz/stats/",
      .sample = "local:cznic-haas.json"),
    P(.name = "fraunhofer-dga", .provider = "Fraunhofer FKIE",
      .title = "DGArchive: today's domains of the known domain generation algorithms",
      .url = "https://{value}@dgarchive.caad.fkie.fraunhofer.de/today", .parser = "fraunhofer-dga",
      .interval = DAY, .tlp = "AMBER", .doc = "https://dgarchive.caad.fkie.fraunhofer.de/site/",
      .needs = ERMES_PRESET_NEEDS_CREDENTIALS, .sample = "local:fraunhofer-dga.json"),
    P(.name = "certpl-n6", .provider = "CERT Polska",
      .title = "n6 REST API: events about your networks (report/inside)",
      .url = "https://n6api.cert.pl/report/inside.json", .parser = "n6",
      .headers = {"Authorization: Bearer {value}"}, .interval = HOUR, .tlp = "AMBER",
      .doc = "https://n6.readthedocs.io/usage/restapi/", .needs = ERMES_PRESET_NEEDS_API_KEY,
      .sample = "local:certpl-n6.json"),
    /* The reports API: a signed POST of reports/list for yesterday and today, then a signed
     * POST of reports/download for each report not fetched before; the shadowserver parser
     * takes the report type from the file name the listing gives. */
    P(.name = "shadowserver-reports-api", .provider = "The Shadowserver Foundation",
      .title = "Reports API: the reports about your networks of yesterday and today, each once",
      .url = "https://transform.shadowserver.org/api2/reports/list", .parser = "shadowserver",
      .lines = {"list = json", "item_id = id", "item_file = file", "post = apikey={key}",
                "post = date={yesterday:%Y-%m-%d}:{today:%Y-%m-%d}",
                "download_url = https://transform.shadowserver.org/api2/reports/download",
                "download_post = apikey={key}", "download_post = id={id}", "sign_header = HMAC2",
                "secret = {secret}"},
      .interval = HOUR, .tlp = "AMBER",
      .doc = "https://github.com/The-Shadowserver-Foundation/api_utils/wiki/API:-Reports",
      .needs = ERMES_PRESET_NEEDS_KEY_SECRET,
      .sample = "conformance/feeds/shadowserver/scan_ftp.csv"),
    /* CTIP Infected as Microsoft delivers it to a CERT's Azure Blob Storage container: List
     * Blobs with the container's SAS token, then each new blob (JSON lines; .gz decoded). */
    P(.name = "microsoft-ctip-azure", .provider = "Microsoft (Digital Crimes Unit)",
      .title = "CTIP Infected: infected hosts in your networks, from your Azure container",
      .url = "{value}", .parser = "microsoft-ctip", .lines = {"list = azure-blob"},
      .interval = HOUR, .tlp = "AMBER",
      .doc = "https://learn.microsoft.com/en-us/rest/api/storageservices/list-blobs",
      .needs = ERMES_PRESET_NEEDS_CONTAINER_URL,
      .sample = "conformance/feeds/intelmq/microsoft/ctip_azure.txt"),
    /* The same feed through the Interflow API: the list of files, then each new file by its
     * name, the subscription key in a header (as IntelMQ's microsoft interflow collector). */
    P(.name = "microsoft-ctip-interflow", .provider = "Microsoft (Digital Crimes Unit)",
      .title = "CTIP Infected through the Interflow API (files listed, then each new one)",
      .url = "https://api.interflow.azure.com/fileshare/api/files", .parser = "microsoft-ctip",
      .headers = {"Ocp-Apim-Subscription-Key: {value}"},
      .lines = {"list = json", "item_id = Name",
                "download_url = https://api.interflow.azure.com/fileshare/api/file?fileName={id}"},
      .interval = HOUR, .tlp = "AMBER",
      .doc = "https://docs.intelmq.org/latest/user/bots/#microsoft-interflow",
      .needs = ERMES_PRESET_NEEDS_API_KEY,
      .sample = "conformance/feeds/intelmq/microsoft/ctip.txt"),
    NULL,
};

const ermes__preset_t *ermes__preset_find(const char *name)
{
    for (size_t k = 0; name && ermes__presets[k]; k++)
        if (strcmp(ermes__presets[k]->name, name) == 0)
            return ermes__presets[k];
    return NULL;
}

const char *ermes__preset_needs_name(ermes__preset_needs_t n)
{
    switch (n) {
    case ERMES_PRESET_NEEDS_API_KEY:
        return "api_key";
    case ERMES_PRESET_NEEDS_CREDENTIALS:
        return "credentials";
    case ERMES_PRESET_NEEDS_ASN:
        return "asn";
    case ERMES_PRESET_NEEDS_KEY_SECRET:
        return "api_key_secret";
    case ERMES_PRESET_NEEDS_CONTAINER_URL:
        return "container_url";
    default:
        return "nothing";
    }
}

/* value fits p: it goes into a URL, a header or an option line of the config file, so no
 * white space, quotes, braces or characters a URL would have to escape. */
static int value_ok(const ermes__preset_t *p, const char *value, ermes_diag_t *d)
{
    size_t n = strlen(value);

    if (p->needs == ERMES_PRESET_NEEDS_CONTAINER_URL) {
        /* A URL as Azure gives it (https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=...&sig=
         * ...%2B...): its query is kept as it is, so nothing that would end the config line or
         * start a template. */
        if (n > 2048 || (strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0) ||
            strpbrk(value, " \t\r\n\"'{}\\#<>") || strchr(value, '\x7f')) {
            ermes_diag_set(d, "value",
                           "preset %s needs its container's URL (https://ACCOUNT.blob.core."
                           "windows.net/CONTAINER?SAS-TOKEN, no white space, quotes, braces)",
                           p->name);
            return 0;
        }
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)value[k] < 0x20 || (unsigned char)value[k] >= 0x80) {
                ermes_diag_set(d, "value",
                               "container_url of preset %s: character %zu is not "
                               "allowed",
                               p->name, k + 1);
                return 0;
            }
        return 1;
    }

    if (n == 0 || n > 512) {
        ermes_diag_set(d, "value", "preset %s needs its %s (1 to 256 characters)", p->name,
                       ermes__preset_needs_name(p->needs));
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)value[k];
        int ok = (c >= '0' && c <= '9');
        if (p->needs != ERMES_PRESET_NEEDS_ASN)
            ok = ok || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strchr("-._~", c) ||
                 (c == ':' && (p->needs == ERMES_PRESET_NEEDS_CREDENTIALS ||
                               p->needs == ERMES_PRESET_NEEDS_KEY_SECRET));
        if (!ok) {
            ermes_diag_set(d, "value", "%s of preset %s: character %zu is not allowed (%s)",
                           ermes__preset_needs_name(p->needs), p->name, k + 1,
                           p->needs == ERMES_PRESET_NEEDS_ASN
                               ? "digits only"
                               : "letters, digits, '-', '.', '_', '~'");
            return 0;
        }
    }
    if (p->needs == ERMES_PRESET_NEEDS_CREDENTIALS && !strchr(value, ':')) {
        ermes_diag_set(d, "value", "preset %s needs user:password", p->name);
        return 0;
    }
    if (p->needs == ERMES_PRESET_NEEDS_KEY_SECRET &&
        (!strchr(value, ':') || value[0] == ':' || strchr(value, ':')[1] == '\0' ||
         strchr(strchr(value, ':') + 1, ':'))) {
        ermes_diag_set(d, "value", "preset %s needs API_KEY:SECRET", p->name);
        return 0;
    }
    return 1;
}

/* text with "{value}" replaced by value, "{key}" by what value has before its ':' and
 * "{secret}" by what it has after, appended to out after prefix. */
static int append(char *out, size_t cap, const char *prefix, const char *text, const char *value)
{
    size_t len = strlen(out);
    const char *colon = value ? strchr(value, ':') : NULL;
    int w = snprintf(out + len, cap - len, "%s", prefix);

    if (w < 0 || (size_t)w >= cap - len)
        return ERMES_ERANGE;
    len += (size_t)w;
    for (const char *p = text; *p;) {
        const char *v = NULL;
        size_t vn = 0, skip = 1;
        if (strncmp(p, "{value}", 7) == 0) {
            v = value ? value : "";
            vn = strlen(v);
            skip = 7;
        } else if (strncmp(p, "{key}", 5) == 0 && colon) {
            v = value;
            vn = (size_t)(colon - value);
            skip = 5;
        } else if (strncmp(p, "{secret}", 8) == 0 && colon) {
            v = colon + 1;
            vn = strlen(v);
            skip = 8;
        } else {
            v = p;
            vn = 1;
        }
        if (vn + 1 >= cap - len)
            return ERMES_ERANGE;
        memcpy(out + len, v, vn);
        len += vn;
        out[len] = '\0';
        p += skip;
    }
    if (len + 2 > cap)
        return ERMES_ERANGE;
    out[len++] = '\n';
    out[len] = '\0';
    return 0;
}

void ermes__preset_url_redact(char *url, size_t cap)
{
    static const char mark[] = "(credential)";

    for (size_t k = 0; url && ermes__presets[k]; k++) {
        const ermes__preset_t *p = ermes__presets[k];
        const char *t = p->url, *hole = t ? strstr(t, "{value}") : NULL, *scheme, *tail;
        size_t pre, post, len = strlen(url), mid;
        if (!hole || p->needs == ERMES_PRESET_NEEDS_NOTHING || p->needs == ERMES_PRESET_NEEDS_ASN)
            continue;
        /* Only a value in the path: one in the user information or the query is not shown
         * (ermes__collector_to_json), and a template that is all value matches anything. */
        pre = (size_t)(hole - t);
        scheme = strstr(t, "://");
        if (!scheme || scheme > hole || !memchr(scheme + 3, '/', (size_t)(hole - scheme - 3)) ||
            strchr(hole + 7, '{'))
            continue;
        tail = hole + 7;
        post = strcspn(tail, "?#");
        if (len < pre + post || strncmp(url, t, pre) != 0 ||
            strncmp(url + len - post, tail, post) != 0)
            continue;
        mid = len - pre - post;
        if (mid == 0 || memchr(url + pre, '/', mid) || memchr(url + pre, '?', mid))
            continue;
        if (pre + sizeof(mark) - 1 + post >= cap) {
            snprintf(url, cap, "%s", mark); /* no room: none of it shown */
            return;
        }
        memmove(url + pre + sizeof(mark) - 1, url + len - post, post + 1);
        memcpy(url + pre, mark, sizeof(mark) - 1);
        return;
    }
}

int ermes__preset_section(const ermes__preset_t *p, const char *name, const char *value, char *out,
                          size_t cap, ermes_diag_t *d)
{
    char line[512];
    int rc, w;

    if (!name || !*name || strlen(name) >= 64 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
            strlen(name)) {
        ermes_diag_set(d, "name", "a collector name is 1 to 63 letters, digits, '-', '_', '.'");
        return ERMES_EINVAL;
    }
    if (p->needs == ERMES_PRESET_NEEDS_NOTHING && value) {
        ermes_diag_set(d, "value", "preset %s needs no key", p->name);
        return ERMES_EINVAL;
    }
    if (p->needs != ERMES_PRESET_NEEDS_NOTHING && (!value || !value_ok(p, value, d))) {
        if (!value)
            ermes_diag_set(d, "value", "preset %s needs its %s", p->name,
                           ermes__preset_needs_name(p->needs));
        return ERMES_EINVAL;
    }
    w = snprintf(line, sizeof(line), "\n# feed catalogue preset %s (%s)\n[collector \"%s\"]\n",
                 p->name, p->doc, name);
    if (w < 0 || (size_t)w >= sizeof(line) || strlen(out) + (size_t)w >= cap)
        return ERMES_ERANGE;
    memcpy(out + strlen(out), line, strlen(line) + 1);
    snprintf(line, sizeof(line), "%ld", p->interval);
    if ((rc = append(out, cap, "url = ", p->url, value)) ||
        (rc = append(out, cap, "feed = ", p->parser, NULL)) ||
        (rc = append(out, cap, "interval = ", line, NULL)))
        return rc;
    if (p->content && (rc = append(out, cap, "content = ", p->content, NULL)))
        return rc;
    for (size_t k = 0; k < 4 && p->headers[k]; k++)
        if ((rc = append(out, cap, "header = ", p->headers[k], value)))
            return rc;
    for (size_t k = 0; k < ERMES_PRESET_MAX_LIST && p->options[k]; k++)
        if ((rc = append(out, cap, "option = ", p->options[k], value)))
            return rc;
    for (size_t k = 0; k < ERMES_PRESET_MAX_LIST && p->lines[k]; k++)
        if ((rc = append(out, cap, "", p->lines[k], value)))
            return rc;
    return 0;
}

json_t *ermes__preset_to_json(const ermes__preset_t *p)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "name", p->name, "provider",
                          p->provider, "title", p->title, "url", p->url, "parser", p->parser,
                          "interval", (json_int_t)p->interval, "tlp", p->tlp, "documentation",
                          p->doc, "needs", ermes__preset_needs_name(p->needs));
    json_t *opts = json_array(), *hdrs = json_array();

    if (!j || !opts || !hdrs) {
        json_decref(j);
        json_decref(opts);
        json_decref(hdrs);
        return NULL;
    }
    for (size_t k = 0; k < ERMES_PRESET_MAX_LIST && p->options[k]; k++)
        json_array_append_new(opts, json_string(p->options[k]));
    for (size_t k = 0; k < 4 && p->headers[k]; k++)
        json_array_append_new(hdrs, json_string(p->headers[k]));
    json_object_set_new(j, "options", opts);
    json_object_set_new(j, "headers", hdrs);
    json_object_set_new(j, "content", json_string(p->content ? p->content : "raw"));
    {
        json_t *lines = json_array();
        for (size_t k = 0; lines && k < ERMES_PRESET_MAX_LIST && p->lines[k]; k++)
            json_array_append_new(lines, json_string(p->lines[k]));
        json_object_set_new(j, "settings", lines ? lines : json_array());
    }
    return j;
}
