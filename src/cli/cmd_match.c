/* ermes match: indicators against logs, standalone. One NDJSON sighting per matching record. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "ermes/detect.h"
#include "ermes/ownership.h"
#include "ermes/tlp.h"
#include "sightings/sightings.h"

#define MAX_FILES 64
#define MAX_REPORTED_SKIPS 20
#define INDICATOR_FILE_MAX ((size_t)4 << 30)

static volatile int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void help(FILE *f)
{
    fprintf(
        f, "usage: ermes match --indicators FILE [--indicators FILE]... [--warninglist FILE]...\n"
           "                   [--indicator-format auto|list|csv|stix]\n"
           "                   [--format auto|eve|zeek|lines|csv] [--csv-columns NAME[:KIND],...]\n"
           "                   [--follow] [--count] [--stats] [--constituency] LOG...|-\n"
           "       ermes match --db [--record [--source NAME] [--sensor NAME]] [options] LOG...\n\n"
           "Prints one JSON object per log record that matches an indicator, listing every\n"
           "indicator and field it matched. Indicators: plain lists (type guessed), CSV with a\n"
           "value column, Zeek intel files, STIX 2.1 bundles or pattern lists. Warninglists\n"
           "(MISP format) suppress known-benign indicators; what they suppress is reported on\n"
           "stderr. Logs: Suricata EVE, Zeek TSV or JSON, one value per line, CSV; gzip and zstd\n"
           "are recognised; - reads stdin. --follow keeps reading the last file as it grows,\n"
           "through rotation and truncation, until interrupted. --constituency looks up the\n"
           "organisation owning the internal address in the database under --data-dir.\n"
           "--count prints only the number of matching records. --db matches the active\n"
           "indicators stored in the database (`ermes indicators`), beside any --indicators\n"
           "files; --record (with --db) stores what it finds as sightings, attributed to the\n"
           "constituent owning the internal address, under the log name --source (default:\n"
           "the file name) and sensor --sensor (default: the record's own). Exit status 0, 1\n"
           "on error.\n");
    cli_usage_settings(f);
}

/* ---- JSON output ---- */

static void json_str(ermes__strbuf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    ermes__strbuf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            ermes__strbuf_addc(b, '\\');
            ermes__strbuf_addc(b, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            char e[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            ermes__strbuf_add(b, e, 6);
        } else if (c >= 0x80) {
            /* Logs are not always UTF-8: pass valid sequences, escape stray bytes as U+FFFD. */
            size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0, k;
            for (k = 1; len && k < len && i + k < n; k++)
                if (((unsigned char)s[i + k] & 0xc0) != 0x80)
                    break;
            if (len && k == len && i + len <= n) {
                ermes__strbuf_add(b, s + i, len);
                i += len - 1;
            } else {
                ermes__strbuf_adds(b, "\\ufffd");
            }
        } else {
            ermes__strbuf_addc(b, (char)c);
        }
    }
    ermes__strbuf_addc(b, '"');
}

static void json_key(ermes__strbuf_t *b, const char *k)
{
    ermes__strbuf_addf(b, ",\"%s\":", k);
}

/* ---- the run ---- */

typedef struct match_run {
    ermes_matcher_t *m;
    ermes_scanner_t *scanner;
    ermes_ownership_t *owners; /* NULL without --constituency */
    ermes__strbuf_t out;
    int count_only;
    uint64_t records, sightings, skipped;
    ermes__store_t *store; /* --record: where the sightings go */
    ermes__scan_options_t record;
    ermes__scan_report_t recorded;
    int in_tx;
    int64_t *stored_ids; /* --db: the stored id of each matcher index (0: from a file) */
    size_t nstored_ids;
} match_run_t;

static void print_sighting(match_run_t *run, const ermes_log_record_t *rec, const ermes_hit_t *hits,
                           size_t nhits)
{
    ermes__strbuf_t *b = &run->out;
    char val[8200];
    const char *ip;
    size_t iplen;
    ermes_owner_t owner;

    ermes__strbuf_reset(b);
    ermes__strbuf_adds(b, "{\"source\":");
    json_str(b, rec->source, strlen(rec->source));
    ermes__strbuf_addf(b, ",\"line\":%ld", rec->line);
    if (rec->offset >= 0)
        ermes__strbuf_addf(b, ",\"offset\":%lld", (long long)rec->offset);
    json_key(b, "format");
    json_str(b, rec->format, strlen(rec->format));
    if (rec->time) {
        json_key(b, "time");
        json_str(b, rec->time, rec->time_len);
    }
    if (rec->sensor) {
        json_key(b, "sensor");
        json_str(b, rec->sensor, rec->sensor_len);
    }
    if (rec->src_ip) {
        json_key(b, "src_ip");
        json_str(b, rec->src_ip, rec->src_ip_len);
    }
    if (rec->dest_ip) {
        json_key(b, "dest_ip");
        json_str(b, rec->dest_ip, rec->dest_ip_len);
    }
    ermes__strbuf_adds(b, ",\"matches\":[");
    for (size_t i = 0; i < nhits; i++) {
        const ermes_log_field_t *f = &rec->fields[hits[i].field];
        ermes_matcher_indicator_t mi;
        size_t n = ermes_matcher_value(run->m, hits[i].indicator, val, sizeof(val));

        ermes_matcher_indicator(run->m, hits[i].indicator, &mi);
        ermes__strbuf_adds(b, i ? ",{\"indicator\":" : "{\"indicator\":");
        json_str(b, val, n);
        json_key(b, "type");
        json_str(b, ermes_ind_type_name(mi.type), strlen(ermes_ind_type_name(mi.type)));
        json_key(b, "field");
        json_str(b, f->name, strlen(f->name));
        json_key(b, "value");
        json_str(b, f->value, f->len);
        /* The stored indicator's id for the database's indicators (what `ermes indicators
         * show` takes); an indicator from a file has none and is named by its position. */
        if (hits[i].indicator < run->nstored_ids && run->stored_ids[hits[i].indicator])
            ermes__strbuf_addf(b, ",\"id\":%lld", (long long)run->stored_ids[hits[i].indicator]);
        else
            ermes__strbuf_addf(b, ",\"id\":%u", hits[i].indicator);
        if (mi.source[0]) {
            json_key(b, "indicator_source");
            json_str(b, mi.source, strlen(mi.source));
        }
        if (mi.confidence >= 0)
            ermes__strbuf_addf(b, ",\"confidence\":%d", mi.confidence);
        if (mi.tlp >= 0)
            ermes__strbuf_addf(b, ",\"tlp\":\"%s\"", ermes_tlp_name((ermes_tlp_t)mi.tlp));
        if (mi.tags[0]) {
            json_key(b, "tags");
            json_str(b, mi.tags, strlen(mi.tags));
        }
        if (mi.flags & ERMES_IND_EXACT)
            ermes__strbuf_adds(b, ",\"exact\":true");
        ermes__strbuf_addc(b, '}');
    }
    ermes__strbuf_addc(b, ']');
    /* The same choice as the sightings stored (src/sightings/scan.c): what this prints is what
     * --record keeps. */
    ermes__sightings_internal_side(run->owners, rec, hits, nhits, &ip, &iplen, &owner);
    if (ip) {
        json_key(b, "internal_ip");
        json_str(b, ip, iplen);
    }
    if (owner.rule != ERMES_OWNER_NONE) {
        char net[ERMES_CIDR_STRLEN];
        ermes__strbuf_addf(b, ",\"constituent\":{\"org_id\":%lld", (long long)owner.org_id);
        if (owner.rule == ERMES_OWNER_NETWORK) {
            ermes_cidr_format(&owner.network, net);
            ermes__strbuf_addf(b, ",\"network\":\"%s\"", net);
        }
        ermes__strbuf_addc(b, '}');
    }
    ermes__strbuf_adds(b, "}\n");
    fwrite(b->data, 1, b->len, stdout);
}

/* --record: stores the hits of rec as sightings, a thousand to a transaction (one record to
 * one when following a live log, so what was seen is stored as it is seen). */
static int record_hits(match_run_t *run, const ermes_log_record_t *rec, const ermes_hit_t *hits,
                       size_t n, int follow)
{
    ermes__scan_options_t o = run->record;
    int rc;

    if (!o.source)
        o.source = rec->source;
    if (!run->in_tx) {
        if ((rc = ermes__store_begin(run->store)))
            return rc;
        run->in_tx = 1;
    }
    rc = ermes__sightings_record(run->store, run->owners, run->m, rec, hits, n, &o, &run->recorded,
                                 NULL, NULL);
    if (rc || follow || run->recorded.hits % 1000 < n) {
        run->in_tx = 0;
        if (rc)
            ermes__store_rollback(run->store);
        else
            rc = ermes__store_commit(run->store);
    }
    return rc;
}

static int match_file(match_run_t *run, const char *path, const ermes_log_options_t *opts)
{
    ermes_log_reader_t *r = NULL;
    ermes_log_record_t rec;
    ermes_log_stats_t st;
    ermes_diag_t d;
    int rc, reported = 0;

    ermes_diag_clear(&d);
    if ((rc = ermes_log_reader_open(path, opts, &r, &d))) {
        cli_error("match: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        return CLI_ERROR;
    }
    for (;;) {
        const ermes_hit_t *hits;
        size_t n;

        /* d is cleared after each use rather than before each record: clearing it is a
         * 500-byte memset, a tenth of the time of a plain-line log. */
        rc = ermes_log_reader_next(r, &rec, &d);
        if (rc == 0)
            break;
        if (rc == ERMES_EPARSE) {
            if (reported++ < MAX_REPORTED_SKIPS)
                cli_error("match: %s:%ld: skipped: %s", path, d.line, d.reason);
            ermes_diag_clear(&d);
            continue;
        }
        if (rc < 0) {
            cli_error("match: %s: %s", path, d.reason[0] ? d.reason : ermes_strerror(rc));
            ermes_log_reader_free(r);
            return CLI_ERROR;
        }
        n = ermes_scanner_scan(run->scanner, &rec, &hits);
        if (n) {
            run->records++;
            run->sightings += n;
            if (run->store && (rc = record_hits(run, &rec, hits, n, opts->follow))) {
                cli_error("match: %s:%ld: recording sightings: %s", path, rec.line,
                          ermes_strerror(rc));
                ermes_log_reader_free(r);
                return CLI_ERROR;
            }
            if (!run->count_only)
                print_sighting(run, &rec, hits, n);
        }
    }
    if (run->in_tx) {
        run->in_tx = 0;
        if ((rc = ermes__store_commit(run->store))) {
            cli_error("match: %s: recording sightings: %s", path, ermes_strerror(rc));
            ermes_log_reader_free(r);
            return CLI_ERROR;
        }
    }
    ermes_log_reader_stats(r, &st);
    run->skipped += st.skipped;
    if (st.skipped > MAX_REPORTED_SKIPS)
        cli_error("match: %s: %llu malformed records skipped in all", path,
                  (unsigned long long)st.skipped);
    ermes_log_reader_free(r);
    return CLI_OK;
}

static int reject_cb(void *ctx, const ermes_diag_t *d)
{
    size_t *n = ctx;

    if ((*n)++ < MAX_REPORTED_SKIPS)
        cli_error("match: indicators line %ld: rejected: %s", d->line, d->reason);
    return 0;
}

typedef struct suppress_ctx {
    ermes_indicator_set_t *set;
    size_t n;
} suppress_ctx_t;

static void suppressed_cb(void *ctx, uint32_t id, const ermes_warninglist_t *wl)
{
    suppress_ctx_t *c = ctx;
    char val[8200];

    ermes_indicator_set_value(c->set, id, val, sizeof(val));
    if (c->n++ < 1000)
        fprintf(stderr, "ermes: match: warninglist \"%s\" suppresses indicator %s\n",
                cli_safe(ermes_warninglist_name(wl)), cli_safe(val));
}

/* `--db`: the active indicators of the store, and their stored ids by matcher index. */
static int load_from_store(cli_t *c, ermes_indicator_set_t *set, match_run_t *run)
{
    size_t n = 0;
    int rc;

    if (!c->store && cli_open_store(c, 0))
        return ERMES_ESTORE;
    rc =
        ermes__indicators_from_store_ids(c->store, 0, set, &n, &run->stored_ids, &run->nstored_ids);
    if (!rc)
        cli_error("match: %zu active indicators from the database", n);
    return rc;
}

int ermes__cmd_match(cli_t *c)
{
    const char *ind_files[MAX_FILES], *wl_files[MAX_FILES], *logs[MAX_FILES], *v;
    int nind = 0, nwl = 0, nlogs = 0, n, rc = CLI_ERROR, stats = 0, use_db = 0, constituency = 0;
    int record = 0;
    ermes_ind_format_t ifmt = ERMES_IND_FORMAT_AUTO;
    ermes_log_options_t opts;
    ermes_indicator_set_t *set = NULL;
    ermes__registry_t *reg = NULL;
    match_run_t run;
    struct timespec t0, t1;

    memset(&opts, 0, sizeof(opts));
    memset(&run, 0, sizeof(run));
    ermes__strbuf_init(&run.out, 1u << 26);
    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if ((n = cli_flag(c, i, "--indicators", &v)) > 0) {
            if (nind == MAX_FILES)
                return CLI_USAGE;
            ind_files[nind++] = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--warninglist", &v)) > 0) {
            if (nwl == MAX_FILES)
                return CLI_USAGE;
            wl_files[nwl++] = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--indicator-format", &v)) > 0) {
            static const char *const names[] = {"auto", "list", "csv", "stix"};
            int k;
            for (k = 0; k < 4 && strcmp(v, names[k]); k++)
                ;
            if (k == 4) {
                cli_error("match: --indicator-format is auto, list, csv or stix");
                return CLI_USAGE;
            }
            ifmt = (ermes_ind_format_t)k;
        } else if (n == 0 && (n = cli_flag(c, i, "--format", &v)) > 0) {
            int f = ermes_log_format_parse(v);
            if (f < 0) {
                cli_error("match: --format is auto, eve, zeek, lines or csv");
                return CLI_USAGE;
            }
            opts.format = (ermes_log_format_t)f;
        } else if (n == 0 && (n = cli_flag(c, i, "--csv-columns", &v)) > 0) {
            opts.csv_columns = v;
        } else if (n == 0 && cli_flag(c, i, "--follow", NULL)) {
            opts.follow = 1;
            n = 1;
        } else if (n == 0 && cli_flag(c, i, "--count", NULL)) {
            run.count_only = 1;
            n = 1;
        } else if (n == 0 && cli_flag(c, i, "--stats", NULL)) {
            stats = 1;
            n = 1;
        } else if (n == 0 && cli_flag(c, i, "--db", NULL)) {
            use_db = 1;
            n = 1;
        } else if (n == 0 && cli_flag(c, i, "--record", NULL)) {
            record = constituency = 1;
            n = 1;
        } else if (n == 0 && (n = cli_flag(c, i, "--source", &v)) > 0) {
            run.record.source = v;
        } else if (n == 0 && (n = cli_flag(c, i, "--sensor", &v)) > 0) {
            run.record.sensor = v;
        } else if (n == 0 && cli_flag(c, i, "--constituency", NULL)) {
            constituency = 1;
            n = 1;
        } else if (n == 0 && (cli_arg(c, i)[0] != '-' || strcmp(cli_arg(c, i), "-") == 0)) {
            if (nlogs == MAX_FILES)
                return CLI_USAGE;
            logs[nlogs++] = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("match: unexpected argument \"%s\"", cli_arg(c, i));
            ermes__strbuf_cleanup(&run.out);
            return CLI_USAGE;
        }
    }
    if (record && !use_db) {
        cli_error("match: --record stores sightings of the database's indicators: add --db");
        ermes__strbuf_cleanup(&run.out);
        return CLI_USAGE;
    }
    if ((nind == 0 && !use_db) || nlogs == 0) {
        help(stderr);
        ermes__strbuf_cleanup(&run.out);
        return CLI_USAGE;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ermes_indicator_set_new(&set))
        goto out;
    if (use_db && (n = load_from_store(c, set, &run))) {
        cli_error("match: --db: %s", ermes_strerror(n));
        goto out;
    }
    for (int i = 0; i < nind; i++) {
        ermes_ind_load_stats_t ls;
        ermes_diag_t d;
        ermes_indicator_t defaults;
        size_t len, rejected = 0;
        char *data = cli_read_file(ind_files[i], INDICATOR_FILE_MAX, &len);
        const char *base = strrchr(ind_files[i], '/');

        if (!data)
            goto out;
        ermes_indicator_init(&defaults);
        defaults.source = base ? base + 1 : ind_files[i];
        ermes_diag_clear(&d);
        n = ermes_indicator_set_load(set, data, len, ifmt, &defaults, reject_cb, &rejected, &ls,
                                     &d);
        ermes__free(data);
        if (n) {
            cli_error("match: %s: %s", ind_files[i], d.reason[0] ? d.reason : ermes_strerror(n));
            goto out;
        }
        if (stats || ls.rejected)
            cli_error("match: %s: %zu indicators loaded, %zu rejected", ind_files[i], ls.added,
                      ls.rejected);
    }
    for (int i = 0; i < nwl; i++) {
        ermes_warninglist_t *wl = NULL;
        ermes_diag_t d;
        size_t len;
        suppress_ctx_t sc = {set, 0};
        char *data = cli_read_file(wl_files[i], 256u << 20, &len);

        if (!data)
            goto out;
        ermes_diag_clear(&d);
        n = ermes_warninglist_new(data, len, &wl, &d);
        ermes__free(data);
        if (n) {
            cli_error("match: warninglist %s: %s", wl_files[i],
                      d.reason[0] ? d.reason : ermes_strerror(n));
            goto out;
        }
        ermes_indicator_set_suppress(set, wl, suppressed_cb, &sc);
        cli_error("match: warninglist \"%s\" (%s, %zu entries) suppressed %zu indicators",
                  ermes_warninglist_name(wl), wl_files[i], ermes_warninglist_count(wl), sc.n);
        ermes_warninglist_free(wl);
    }
    if (ermes_matcher_build(set, 0, &run.m) || ermes_scanner_new(run.m, &run.scanner)) {
        cli_error("match: out of memory");
        goto out;
    }
    ermes_indicator_set_free(set);
    set = NULL;
    if (constituency) {
        if (cli_open_store(c, 0))
            goto out;
        if ((n = ermes__registry_open(c->store, &reg))) {
            cli_error("match: constituency: %s", ermes_strerror(n));
            goto out;
        }
        run.owners = ermes__registry_ownership(reg);
    }
    if (record) {
        run.store = c->store;
        run.record.record = 1;
    }
    if (stats) {
        ermes_matcher_stats_t ms;
        ermes_matcher_stats(run.m, &ms);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cli_error("match: %zu indicators compiled (%zu bytes) in %.3f s", ms.indicators, ms.bytes,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    opts.stop = &stop_requested;
    if (opts.follow) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        setvbuf(stdout, NULL, _IOLBF, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = CLI_OK;
    for (int i = 0; i < nlogs && rc == CLI_OK; i++) {
        ermes_log_options_t o = opts;
        o.follow = opts.follow && i == nlogs - 1;
        rc = match_file(&run, logs[i], &o);
    }
    if (run.count_only)
        printf("%llu\n", (unsigned long long)run.records);
    if (record)
        cli_error("match: %llu sightings recorded, %llu already known",
                  (unsigned long long)run.recorded.sightings,
                  (unsigned long long)run.recorded.duplicates);
    fflush(stdout);
    if (stats) {
        double s;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        cli_error("match: %llu matching records, %llu sightings, %llu skipped, %.3f s",
                  (unsigned long long)run.records, (unsigned long long)run.sightings,
                  (unsigned long long)run.skipped, s);
    }
out:
    ermes_ownership_release(run.owners);
    ermes__registry_close(reg);
    ermes_scanner_free(run.scanner);
    ermes_matcher_release(run.m);
    ermes_indicator_set_free(set);
    ermes__strbuf_cleanup(&run.out);
    ermes__free(run.stored_ids);
    return rc;
}
