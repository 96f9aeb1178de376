/* ermes vulns: vulnerability intelligence (CVE 5, NVD, KEV, EPSS) from files or URLs, its
 * list, and the matching against constituents' assets that warns them
 * (src/advisories/vuln_import.c, src/notify/vulns.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_import.h"
#include "advisories/vuln_import.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/time.h"
#include "store/vulns.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: ermes vulns import [--kind cve5|nvd|kev|epss|csaf] [--no-warn] FILE|URL...\n"
            "       ermes vulns sync [--no-warn]\n"
            "       ermes vulns list [--kev] [--min-score N] [--cve ID] [--limit N] [--json]\n"
            "       ermes vulns match\n"
            "       ermes vulns sources\n\n"
            "import reads CVE JSON 5 records (one, or an array), NVD CVE API 2.0 responses,\n"
            "the CISA KEV catalogue (JSON) or FIRST EPSS CSV (gzip too), from a file, \"-\"\n"
            "(stdin) or an http(s) URL; the kind is told by the content unless --kind says it.\n"
            "A document is stored whole or not at all; records unchanged since the last import\n"
            "are skipped. Vulnerabilities whose affected products or KEV entry changed are then\n"
            "matched against the constituents' assets (ermes assets) and each constituent with\n"
            "news gets one notification naming its assets (--no-warn: none); the daemon sends\n"
            "them. sync imports every source of the vuln_sources setting (KIND=URL, comma-\n"
            "separated); the daemon runs them every vuln_sync_interval seconds (0: never;\n"
            "one daemon of several), or run it from cron. list shows what is stored; match\n"
            "matches every vulnerability again (after assets were added) and warns of what is\n"
            "new. sources shows each source's last scheduled run: when, ok or its error, the\n"
            "records read and changed, and under it a line \"feed URL skipped: reason\" per\n"
            "TLP:AMBER or RED feed of a csaf source that run did not read (no credentials\n"
            "for its origin, or refused; see `ermes csaf credentials`).\n"
            "Kind csaf (csaf=URL in vuln_sources) is a CSAF provider (its domain, URL or\n"
            "provider-metadata.json URL) or a local CSAF file or directory, imported as\n"
            "`ermes csaf import` does (each document checked: size, JSON, schema and\n"
            "mandatory tests, hashes, OpenPGP signature); a provider's documents listed again\n"
            "with the same date in its feed or changes.csv are not fetched again.\n");
    {
        static const char *const s[] = {"data_dir", "database_url", "vuln_sources",
                                        "vuln_sync_interval", NULL};
        cli_usage_settings_some(f, s);
    }
}

static int options(cli_t *c, ermes__notify_options_t *o)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    memset(o, 0, sizeof(*o));
    if (ermes__notify_options_from_config(&c->cfg, o, &d)) {
        cli_error("vulns: %s: %s", d.field, d.reason);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static char *read_all(const char *path, size_t *len, ermes_diag_t *d)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f) {
        ermes_diag_set(d, "file", "cannot open it");
        return NULL;
    }
    for (;;) {
        size_t got;
        if (n + 65536 + 1 > cap) {
            char *p;
            cap = cap ? cap * 2 : 1 << 20;
            if (cap > (size_t)ERMES_VULN_DOC_MAX + 65536 + 1 ||
                !(p = ermes__reallocarray(buf, cap, 1))) {
                ermes_diag_set(d, "file", "larger than %ld bytes", ERMES_VULN_DOC_MAX);
                ermes__free(buf);
                buf = NULL;
                break;
            }
            buf = p;
        }
        got = fread(buf + n, 1, 65536, f);
        n += got;
        if (got < 65536)
            break;
    }
    if (buf && ferror(f)) {
        ermes_diag_set(d, "file", "read error");
        ermes__free(buf);
        buf = NULL;
    }
    if (f != stdin)
        fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* The vulnerabilities to match once every document is in. */
typedef struct pending {
    int64_t *ids;
    size_t n, cap;
} pending_t;

static void csaf_refused(void *ctx, const char *where, const char *reason)
{
    (void)ctx;
    printf("refused: %s: %s\n", cli_safe(where), cli_safe(reason));
}

static void csaf_skipped(void *ctx, const char *where, const char *reason)
{
    (void)ctx;
    printf("skipped: %s: %s\n", cli_safe(where), cli_safe(reason));
}

static int import_one(cli_t *c, const ermes__notify_options_t *o, const char *src,
                      ermes__vuln_kind_t kind, pending_t *pend, int warn)
{
    ermes__vuln_import_stats_t s;
    ermes_diag_t d;
    char *data;
    size_t len = 0;
    int rc, is_url = !strncmp(src, "http://", 7) || !strncmp(src, "https://", 8);
    int64_t t0 = ermes__time_monotonic_ns();

    ermes_diag_clear(&d);
    if (kind == ERMES_VULN_CSAF) {
        /* A provider or a directory of CSAF documents: `ermes csaf import`'s work. */
        ermes__csaf_import_options_t io;
        ermes__csaf_import_stats_t cs;
        memset(&io, 0, sizeof(io));
        io.timeout_s = 30;
        io.max_documents = 100000;
        io.warn = warn;
        io.refused = csaf_refused;
        io.skipped = csaf_skipped;
        rc = ermes__csaf_import(c->store, o, src, &io, &cs, &d);
        printf("%s: csaf, %ld documents, %ld imported, %ld refused, %ld unchanged, %ld records, "
               "%ld changed, %zu new asset warnings (%.2f s)\n",
               cli_safe(src), cs.documents, cs.imported, cs.refused, cs.skipped, cs.records,
               cs.changed, cs.matches, (double)(ermes__time_monotonic_ns() - t0) / 1e9);
        (void)pend;
        if (rc)
            cli_error("vulns: %s: %s", cli_safe(src),
                      d.reason[0] ? cli_safe(d.reason) : ermes_strerror(rc));
        return rc || cs.refused ? CLI_ERROR : CLI_OK;
    }
    if (is_url) {
        if ((rc = ermes__vuln_fetch(src, &data, &len, &d))) {
            cli_error("vulns: %s: %s", cli_safe(src), d.reason[0] ? d.reason : ermes_strerror(rc));
            return CLI_ERROR;
        }
    } else if (!(data = read_all(src, &len, &d))) {
        cli_error("vulns: %s: %s", cli_safe(src), d.reason);
        return CLI_ERROR;
    }
    rc = ermes__vuln_import(c->store, o, data, len, kind, ERMES_VULN_KEEP_IDS, &s, &d);
    ermes__free(data);
    if (!rc && s.to_match) {
        if (pend->n + s.to_match > pend->cap) {
            size_t cap = (pend->n + s.to_match) * 2;
            int64_t *p = ermes__reallocarray(pend->ids, cap, sizeof(*p));
            if (!p)
                rc = ERMES_ENOMEM;
            else {
                pend->ids = p;
                pend->cap = cap;
            }
        }
        if (!rc) {
            memcpy(pend->ids + pend->n, s.ids, s.to_match * sizeof(*s.ids));
            pend->n += s.to_match;
        }
    }
    ermes__free(s.ids);
    if (rc) {
        if (d.line)
            cli_error("vulns: %s: line %ld: %s%s%s", cli_safe(src), d.line, cli_safe(d.field),
                      d.field[0] ? ": " : "",
                      d.reason[0] ? cli_safe(d.reason) : ermes_strerror(rc));
        else
            cli_error("vulns: %s: %s%s%s (nothing imported)", cli_safe(src), cli_safe(d.field),
                      d.field[0] ? ": " : "",
                      d.reason[0] ? cli_safe(d.reason) : ermes_strerror(rc));
        return CLI_ERROR;
    }
    printf("%s: %s, %ld records, %ld changed, %zu to match (%.2f s)\n", cli_safe(src),
           ermes__vuln_kind_name(s.kind), s.records, s.changed, s.to_match,
           (double)(ermes__time_monotonic_ns() - t0) / 1e9);
    return CLI_OK;
}

/* One match for everything the documents changed: a constituent gets one warning. */
static int warn_pending(cli_t *c, const ermes__notify_options_t *o, pending_t *pend, int warn)
{
    ermes__notify_stats_t ns;
    size_t matches = 0;
    int rc = 0;

    memset(&ns, 0, sizeof(ns));
    if (warn && pend->n)
        rc = ermes__notify_vulns(c->store, o, pend->ids, pend->n, &ns, &matches);
    ermes__free(pend->ids);
    pend->ids = NULL;
    if (rc) {
        cli_error("vulns: matching: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    if (warn)
        printf("%zu new asset warnings, %ld notifications\n", matches, ns.notifications);
    return CLI_OK;
}

static int sync_all(cli_t *c, const ermes__notify_options_t *o, int warn)
{
    pending_t pend = {NULL, 0, 0};
    const char *p = c->cfg.vuln_sources;
    int failed = 0, any = 0;

    while (p && *p) {
        const char *end = strchr(p, ','), *eq;
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[2048], kind_name[16];
        ermes__vuln_kind_t kind;

        while (n && *p == ' ')
            p++, n--;
        if (n && n < sizeof(item)) {
            memcpy(item, p, n);
            item[n] = '\0';
            while (n && item[n - 1] == ' ')
                item[--n] = '\0';
            eq = strchr(item, '=');
            if (!eq || (size_t)(eq - item) >= sizeof(kind_name)) {
                cli_error("vulns sync: vuln_sources: \"%s\" is not KIND=URL", cli_safe(item));
                ermes__free(pend.ids);
                return CLI_ERROR;
            }
            memcpy(kind_name, item, (size_t)(eq - item));
            kind_name[eq - item] = '\0';
            if (ermes__vuln_kind_parse(kind_name, &kind)) {
                cli_error(
                    "vulns sync: vuln_sources: unknown kind \"%s\" (cve5, nvd, kev, epss, csaf)",
                    cli_safe(kind_name));
                ermes__free(pend.ids);
                return CLI_ERROR;
            }
            any = 1;
            failed |= import_one(c, o, eq + 1, kind, &pend, warn) != CLI_OK;
        }
        p = end ? end + 1 : NULL;
    }
    if (!any)
        printf("no vuln_sources set: nothing to sync\n");
    /* What the sources that worked changed warns, even when another failed. */
    if (warn_pending(c, o, &pend, warn) != CLI_OK)
        failed = 1;
    return failed ? CLI_ERROR : CLI_OK;
}

static int source_cb(void *ctx, const ermes__vuln_sync_row_t *r)
{
    char when[ERMES_TIME_STRLEN];

    (void)ctx;
    ermes__time_format(r->last_run_at, when);
    printf("%s  %s  %s  %ld records, %ld changed%s%s\n", cli_safe(r->source), when,
           r->ok ? "ok" : "failed", r->records, r->changed, r->ok ? "" : "  ",
           r->ok ? "" : cli_safe(r->error));
    /* What the run left unread: a line each, under the source's. */
    if (r->skipped && *r->skipped) {
        json_t *all = json_loads(r->skipped, 0, NULL), *x;
        size_t i;
        json_array_foreach(all, i, x)
        {
            const char *feed = json_string_value(json_object_get(x, "feed"));
            const char *why = json_string_value(json_object_get(x, "reason"));
            printf("  feed %s skipped: %s\n", cli_safe(feed ? feed : "?"),
                   cli_safe(why ? why : "?"));
        }
        json_decref(all);
    }
    return 0;
}

static int list_cb(void *ctx, const ermes__vuln_row_t *v)
{
    int json = *(int *)ctx;
    char added[ERMES_TIME_STRLEN] = "";

    if (json) {
        json_t *j =
            json_pack("{s:s,s:s?,s:s?,s:b,s:s?}", "cve", v->cve_id, "cvss_vector", v->cvss_vector,
                      "cvss_severity", v->cvss_severity, "kev", v->kev, "cwe", v->cwe);
        char *text;
        if (!j)
            return ERMES_ENOMEM;
        if (v->cvss_score >= 0)
            json_object_set_new(j, "cvss_score", json_real(v->cvss_score / 10.0));
        if (v->epss >= 0)
            json_object_set_new(j, "epss", json_real((double)v->epss / 100000.0));
        text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(j);
        return 0;
    }
    if (v->kev && v->kev_added) {
        ermes__time_format(v->kev_added, added);
        added[10] = '\0';
    }
    if (v->cvss_score >= 0)
        printf("%-18s %4d.%d %-9s", cli_safe(v->cve_id), v->cvss_score / 10, v->cvss_score % 10,
               v->cvss_severity ? cli_safe(v->cvss_severity) : "");
    else
        printf("%-18s %6s %-9s", cli_safe(v->cve_id), "-", "");
    printf(" %s%-10s", v->kev ? "KEV " : "    ", added);
    if (v->epss >= 0)
        printf(" EPSS %ld.%03ld%%", v->epss / 1000, v->epss % 1000);
    printf("\n");
    return 0;
}

int ermes__cmd_vulns(cli_t *c)
{
    const char *verb = NULL, *v;
    const char *srcs[64];
    size_t nsrcs = 0;
    ermes__vuln_kind_t kind = ERMES_VULN_AUTO;
    ermes__vuln_filter_t f;
    ermes__notify_options_t o;
    int warn = 1, json = 0, rc;
    long long num;

    memset(&f, 0, sizeof(f));
    for (int i = 0, n = 1; i<c->nargs; i += n> 0 ? n : 1) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
        } else if (cli_flag(c, i, "--no-warn", NULL)) {
            warn = 0;
        } else if (cli_flag(c, i, "--kev", NULL)) {
            f.kev_only = 1;
        } else if ((n = cli_flag(c, i, "--kind", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            if (ermes__vuln_kind_parse(v, &kind)) {
                cli_error("vulns: --kind is cve5, nvd, kev, epss or csaf");
                return CLI_USAGE;
            }
        } else if ((n = cli_flag(c, i, "--min-score", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            if (cli_number("--min-score", v, 0, 10, &num))
                return CLI_USAGE;
            f.min_score = (int)num * 10;
        } else if ((n = cli_flag(c, i, "--limit", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            if (cli_number("--limit", v, 1, 1000000, &num))
                return CLI_USAGE;
            f.limit = (long)num;
        } else if ((n = cli_flag(c, i, "--cve", &v)) != 0) {
            if (n < 0)
                return CLI_USAGE;
            f.cve_id = v;
        } else if (!verb && cli_arg(c, i)[0] != '-') {
            verb = cli_arg(c, i);
        } else if (verb && (cli_arg(c, i)[0] != '-' || !strcmp(cli_arg(c, i), "-")) &&
                   nsrcs < sizeof(srcs) / sizeof(srcs[0])) {
            srcs[nsrcs++] = cli_arg(c, i);
        } else {
            cli_error("vulns: unexpected argument \"%s\"", cli_safe(cli_arg(c, i)));
            help(stderr);
            return CLI_USAGE;
        }
    }
    if (!verb || (strcmp(verb, "import") && strcmp(verb, "sync") && strcmp(verb, "list") &&
                  strcmp(verb, "match") && strcmp(verb, "sources"))) {
        if (verb)
            cli_error("vulns: unknown command \"%s\"", cli_safe(verb));
        help(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(verb, "import") && !nsrcs) {
        cli_error("vulns import: give a FILE or URL");
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (!strcmp(verb, "list")) {
        rc = ermes__store_vuln_each(c->store, &f, list_cb, &json, NULL);
        if (rc) {
            cli_error("vulns: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if (!strcmp(verb, "sources")) {
        if ((rc = ermes__store_vuln_sync_each(c->store, source_cb, NULL))) {
            cli_error("vulns: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    if ((rc = options(c, &o)))
        return rc;
    if (!strcmp(verb, "match")) {
        ermes__notify_stats_t s;
        size_t matches = 0;
        memset(&s, 0, sizeof(s));
        if ((rc = ermes__notify_vulns(c->store, &o, NULL, 0, &s, &matches))) {
            cli_error("vulns match: %s", ermes_strerror(rc));
            return CLI_ERROR;
        }
        printf("%zu new asset warnings, %ld notifications\n", matches, s.notifications);
        return CLI_OK;
    }
    if (!strcmp(verb, "sync"))
        return sync_all(c, &o, warn);
    {
        pending_t pend = {NULL, 0, 0};
        for (size_t k = 0; k < nsrcs; k++)
            if ((rc = import_one(c, &o, srcs[k], kind, &pend, warn)) != CLI_OK) {
                /* The documents before were imported: their warnings go out. */
                warn_pending(c, &o, &pend, warn);
                return rc;
            }
        return warn_pending(c, &o, &pend, warn);
    }
}
