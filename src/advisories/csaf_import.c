/* CSAF documents of other providers as vulnerability intelligence (issue 13 item 5).
 *
 * A provider's documents are found and checked by the check of section 7.1
 * (ermes__csaf_check in csaf_check.c: the metadata, its OpenPGP keys in a temporary keyring,
 * the ROLIE feeds and the directory, each document's size, JSON, schema and mandatory tests,
 * .sha256/.sha512 and .asc), so there is one fetcher and one set of checks; this file only
 * decides what to fetch (the stamps of the last import) and imports what passed, one document
 * per transaction through the vulnerability import (vuln_import.c, kind CSAF: vuln_read.c).
 * What changed is matched once at the end (src/notify/vulns.c with csaf_match.c), so a
 * constituent gets one warning per run. Local files and directories are read with the same
 * limits and validated the same way; they have no hashes or signatures to check. */
#include "advisories/csaf_import.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "advisories/vuln_import.h"
#include "core/alloc.h"
#include "core/time.h"
#include "core/url.h"
#include "ermes/csaf.h"
#include "store/csaf_credentials.h"
#include "store/vulns.h"

#define DIR_DEPTH_MAX 3 /* a directory, its YYYY/ folders, and one more */
#define DIR_FILES_MAX 100000

typedef struct run {
    ermes__store_t *st;
    const ermes__csaf_import_options_t *o;
    const char *source; /* the state's key; NULL for local files */
    char only[1024];    /* a feed's or directory's folder: only documents below it, "" all */
    ermes__csaf_import_stats_t *stats;
    int64_t *ids, home;
    size_t nids, cap;
} run_t;

static void refuse(run_t *r, const char *where, const char *reason)
{
    r->stats->refused++;
    if (r->o->refused)
        r->o->refused(r->o->ctx, where, reason);
}

/* One document that passed its checks, in one transaction; its vulnerabilities to match are
 * kept for the end. A document the reader refuses (a CVE id it cannot read) is refused. */
static int import_doc(run_t *r, const char *where, const char *body, size_t len)
{
    ermes__vuln_import_stats_t vs;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    r->stats->documents++;
    rc = ermes__vuln_import(r->st, NULL, body, len, ERMES_VULN_CSAF, ERMES_VULN_KEEP_IDS, &vs, &d);
    if (rc == ERMES_EPARSE || rc == ERMES_ETOOBIG) {
        char why[600];
        snprintf(why, sizeof(why), "%s%s%s", d.field, d.field[0] ? ": " : "",
                 d.reason[0] ? d.reason : ermes_strerror(rc));
        refuse(r, where, why);
        return 0;
    }
    if (rc)
        return rc;
    r->stats->imported++;
    r->stats->records += vs.records;
    r->stats->changed += vs.changed;
    if (vs.to_match) {
        if (r->nids + vs.to_match > r->cap) {
            size_t cap = (r->nids + vs.to_match) * 2;
            int64_t *p = ermes__reallocarray(r->ids, cap, sizeof(*p));
            if (!p) {
                ermes__free(vs.ids);
                return ERMES_ENOMEM;
            }
            r->ids = p;
            r->cap = cap;
        }
        memcpy(r->ids + r->nids, vs.ids, vs.to_match * sizeof(*vs.ids));
        r->nids += vs.to_match;
    }
    ermes__free(vs.ids);
    return 0;
}

/* ---- a provider, through the check ---- */

static int want_cb(void *ctx, const char *url, const char *stamp)
{
    run_t *r = ctx;
    char kept[128];

    if (r->only[0] && strncmp(url, r->only, strlen(r->only)) != 0)
        return 0;
    if (!stamp[0] || ermes__store_csaf_import_stamp(r->st, r->source, url, kept, sizeof(kept)))
        return 1;
    if (strcmp(kept, stamp) == 0) {
        r->stats->skipped++;
        return 0;
    }
    return 1;
}

static int document_cb(void *ctx, const char *url, const char *stamp, const char *body, size_t len,
                       const char *refused)
{
    run_t *r = ctx;
    long before = r->stats->refused;
    int rc;

    if (refused) {
        size_t n = strlen(url);
        /* the check's reasons name the document first: it is said once */
        if (strncmp(refused, url, n) == 0 && refused[n] == ':' && refused[n + 1] == ' ')
            refused += n + 2;
        r->stats->documents++;
        refuse(r, url, refused);
        return 0;
    }
    if ((rc = import_doc(r, url, body, len)))
        return rc;
    /* A refused document is fetched again next time; an imported one only when its listing
     * changes. */
    if (r->stats->refused == before && stamp[0] && strlen(stamp) < 128)
        return ermes__store_csaf_import_put(r->st, r->source, url, stamp, r->home,
                                            ermes__time_now_ms());
    return 0;
}

/* A source that names a ROLIE feed or a directory of a provider rather than the provider
 * ("https://host/.well-known/csaf/white/csaf-feed-tlp-white.json", ".../white/",
 * ".../white/index.txt", ".../white/changes.csv"): its documents are checked against the
 * metadata of that host (its keys, its distributions), and only those below the feed's or
 * directory's folder are imported. Fills meta (the metadata URL) and r->only; 0 when source is
 * the provider itself. */
static int feed_or_directory(run_t *r, const char *source, char *meta, size_t cap)
{
    const char *wk = strstr(source, "/.well-known/csaf/"), *slash;
    size_t n = strlen(source);

    if (!wk || !strncmp(source + n - strlen("provider-metadata.json"), "provider-metadata.json",
                        strlen("provider-metadata.json")))
        return 0;
    slash = strrchr(source, '/');
    if (!slash || (size_t)(slash - source) + 2 > sizeof(r->only) ||
        (size_t)(wk - source) + 40 > cap)
        return 0;
    /* the folder: the whole URL for "dir/", else up to its last '/' */
    memcpy(r->only, source, (size_t)(slash - source) + 1);
    r->only[slash - source + 1] = '\0';
    snprintf(meta, cap, "%.*s/.well-known/csaf/provider-metadata.json", (int)(wk - source), source);
    return 1;
}

static void skipped_cb(void *ctx, const char *url, const char *reason)
{
    run_t *r = ctx;

    r->stats->protected_skipped++;
    if (r->o->skipped)
        r->o->skipped(r->o->ctx, url, reason);
}

/* The header lines of cred (a JSON array of strings) into *lines (n of them, borrowed from
 * *arr, which the caller decrefs). */
static int cred_lines(const ermes__csaf_cred_t *cred, json_t **arr, const char ***lines, size_t *n)
{
    size_t i;
    json_t *v;

    *arr = NULL;
    *lines = NULL;
    *n = 0;
    if (!cred->headers || !(*arr = json_loads(cred->headers, 0, NULL)) || !json_is_array(*arr))
        return 0;
    if (!(*lines = ermes__reallocarray(NULL, json_array_size(*arr) + 1, sizeof(**lines))))
        return ERMES_ENOMEM;
    json_array_foreach(*arr, i, v) if (json_is_string(v))(*lines)[(*n)++] = json_string_value(v);
    return 0;
}

static int from_provider(run_t *r, const char *source, ermes_diag_t *d)
{
    ermes__csaf_check_options_t co;
    ermes__csaf_check_t res;
    ermes__csaf_cred_t cred;
    json_t *harr = NULL;
    const char **lines = NULL;
    char meta[1100], origin[512], with_scheme[1200];
    int rc;

    if (feed_or_directory(r, source, meta, sizeof(meta)))
        source = meta;
    memset(&co, 0, sizeof(co));
    memset(&cred, 0, sizeof(cred));
    /* The provider's origin as ermes__csaf_check reads it: a bare domain is https. */
    snprintf(with_scheme, sizeof(with_scheme), "%s%s", strstr(source, "://") ? "" : "https://",
             source);
    if (ermes__url_origin(NULL, with_scheme, origin, sizeof(origin)) == 0) {
        rc = ermes__store_csaf_cred_get(r->st, origin, &cred);
        if (rc && rc != ERMES_ENOTFOUND)
            return rc;
        if (rc == 0) {
            if ((rc = cred_lines(&cred, &harr, &lines, &co.ncred_headers)))
                goto out;
            co.cred_origin = cred.origin;
            co.cred_headers = lines;
            co.cred_cert = cred.client_cert;
            co.cred_key = cred.client_key;
            r->stats->credentials = 1;
        }
    }
    co.skipped = skipped_cb;
    co.cacert = r->o->cacert;
    co.timeout_s = r->o->timeout_s > 0 ? r->o->timeout_s : 30;
    co.max_documents = r->o->max_documents > 0 ? r->o->max_documents : 100000;
    co.want = want_cb;
    co.document = document_cb;
    co.ctx = r;
    if ((rc = ermes__csaf_check(source, &co, &res, d)))
        goto out;
    /* The role is set once the metadata was read: without it no document was looked for. */
    if (!res.role[0]) {
        const char *why = json_string_value(json_array_get(res.req[7].reasons, 0));
        ermes_diag_set(d, "source", "%s", why ? why : "the provider metadata cannot be read");
        rc = ERMES_EIO;
    }
    ermes__csaf_check_cleanup(&res);
out:
    ermes__free(lines);
    json_decref(harr);
    ermes__csaf_cred_clear(&cred);
    return rc;
}

/* ---- local files ---- */

static int from_file(run_t *r, const char *path)
{
    ermes_csaf_result_t res;
    ermes_diag_t d;
    struct stat sb;
    char why[800], *body = NULL;
    size_t len = 0;
    FILE *f = NULL;
    int rc = 0;

    if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
        r->stats->documents++;
        refuse(r, path, "cannot be read");
        return 0;
    }
    if ((unsigned long long)sb.st_size > ERMES_CSAF_MAX_DOCUMENT) {
        r->stats->documents++;
        snprintf(why, sizeof(why), "larger than %u bytes", ERMES_CSAF_MAX_DOCUMENT);
        refuse(r, path, why);
        return 0;
    }
    if (!(body = ermes__malloc((size_t)sb.st_size + 1)))
        return ERMES_ENOMEM;
    if (!(f = fopen(path, "rb")) ||
        (len = fread(body, 1, (size_t)sb.st_size + 1, f)) > ERMES_CSAF_MAX_DOCUMENT || ferror(f)) {
        r->stats->documents++;
        refuse(r, path, len > ERMES_CSAF_MAX_DOCUMENT ? "too large" : "cannot be read");
        goto out;
    }
    ermes_diag_clear(&d);
    if (ermes_csaf_validate(body, len, &res, &d)) {
        r->stats->documents++;
        snprintf(why, sizeof(why), "%s", d.reason[0] ? d.reason : "not JSON");
        refuse(r, path, why);
        goto out;
    }
    why[0] = '\0';
    for (size_t i = 0; i < res.listed && !res.valid; i++)
        if (strcmp(res.failed[i].group, "mandatory") == 0) {
            snprintf(why, sizeof(why), "fails %s at %s: %s", res.failed[i].test,
                     res.failed[i].path[0] ? res.failed[i].path : "/", res.failed[i].message);
            break;
        }
    if (!res.valid && !why[0])
        snprintf(why, sizeof(why), "fails a mandatory test");
    ermes_csaf_result_cleanup(&res);
    if (why[0]) {
        r->stats->documents++;
        refuse(r, path, why);
        goto out;
    }
    rc = import_doc(r, path, body, len);
out:
    if (f)
        fclose(f);
    ermes__free(body);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files below dir (in name order; directories to DIR_DEPTH_MAX). */
static int from_dir(run_t *r, const char *dir, int depth, long *seen)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (!dh) {
        refuse(r, dir, "cannot be read");
        return 0;
    }
    while ((e = readdir(dh)) && *seen < DIR_FILES_MAX) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t c = cap ? cap * 2 : 64;
            char **p = ermes__reallocarray(names, c, sizeof(*p));
            if (!p) {
                rc = ERMES_ENOMEM;
                break;
            }
            names = p;
            cap = c;
        }
        if (!(names[n] = ermes__strdup(e->d_name))) {
            rc = ERMES_ENOMEM;
            break;
        }
        n++;
        (*seen)++;
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n && !rc; i++) {
        size_t pl = strlen(dir) + strlen(names[i]) + 2, nl = strlen(names[i]);
        char *path = ermes__malloc(pl);
        struct stat sb;
        if (!path) {
            rc = ERMES_ENOMEM;
            break;
        }
        snprintf(path, pl, "%s/%s", dir, names[i]);
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (depth < DIR_DEPTH_MAX)
                rc = from_dir(r, path, depth + 1, seen);
        } else if (nl > 5 && strcmp(names[i] + nl - 5, ".json") == 0) {
            rc = from_file(r, path);
        }
        ermes__free(path);
    }
    for (size_t i = 0; i < n; i++)
        ermes__free(names[i]);
    ermes__free(names);
    return rc;
}

int ermes__csaf_import(ermes__store_t *st, const ermes__notify_options_t *no, const char *source,
                       const ermes__csaf_import_options_t *o, ermes__csaf_import_stats_t *stats,
                       ermes_diag_t *d)
{
    run_t r;
    struct stat sb;
    int rc;

    memset(&r, 0, sizeof(r));
    memset(stats, 0, sizeof(*stats));
    r.st = st;
    r.o = o;
    r.stats = stats;
    r.source = source;
    ermes__store_home_org(st, &r.home);
    if (!source || !*source || strlen(source) > 900) {
        ermes_diag_set(d, "source", "a provider URL or domain, a file or a directory");
        return ERMES_EINVAL;
    }
    if (!strstr(source, "://") && stat(source, &sb) == 0) {
        long seen = 0;
        r.source = NULL;
        rc = S_ISDIR(sb.st_mode) ? from_dir(&r, source, 1, &seen) : from_file(&r, source);
    } else if (!strstr(source, "://") && (strchr(source, '/') || !strchr(source, '.'))) {
        ermes_diag_set(d, "source", "no such file or directory");
        return ERMES_ENOTFOUND;
    } else {
        rc = from_provider(&r, source, d);
    }
    /* What was imported warns, even when the source failed part of the way. */
    if (o->warn && r.nids && no) {
        ermes__notify_stats_t ns;
        int wrc;
        memset(&ns, 0, sizeof(ns));
        wrc = ermes__notify_vulns(st, no, r.ids, r.nids, &ns, &stats->matches);
        stats->notifications = ns.notifications;
        if (!rc)
            rc = wrc;
    }
    ermes__free(r.ids);
    return rc;
}
