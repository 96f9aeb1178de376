/* The intake pipeline: receive (durable), then parse, validate, deduplicate, enrich, store. */
#include "intake/intake.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/incoming.h"
#include "core/sha256.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "ermes/event.h"
#include "intake/dedup.h"
#include "intake/geoip.h"
#include "intake/parser.h"

#define MAX_OPTIONS 32
#define MAX_QUARANTINE_RAW (64 * 1024) /* bytes of a bad row kept for inspection */
#define BATCH_MS 1000                  /* longest an intake transaction runs */

struct ermes__intake {
    ermes__store_t *store;
    ermes__registry_t *registry;
    ermes__intake_options_t opts;
    char *data_dir;
    char *schema_path;
    pthread_mutex_t lock;  /* one report processed at a time */
    ermes__dedup_t *dedup; /* the window's keys, under lock */
    ermes__geoip_t *geoip; /* MaxMind databases, or NULL */
    int64_t pruned_at;     /* when the dedup log last lost its old rows */
    time_t swept_at;       /* when the worker last removed stale partial uploads */
    /* the background worker */
    pthread_t thread;
    int running, stop, kicked;
    pthread_mutex_t wlock;
    pthread_cond_t wake;
};

int ermes__intake_new(ermes__store_t *st, ermes__registry_t *reg,
                      const ermes__intake_options_t *opts, ermes__intake_t **out)
{
    ermes__intake_t *in = ermes__calloc(1, sizeof(*in));
    int rc;

    if (!in)
        return ERMES_ENOMEM;
    in->store = st;
    in->registry = reg;
    in->opts = *opts;
    pthread_mutex_init(&in->lock, NULL);
    pthread_mutex_init(&in->wlock, NULL);
    pthread_cond_init(&in->wake, NULL);
    in->data_dir = ermes__strdup(opts->data_dir ? opts->data_dir : ".");
    in->schema_path = opts->schema_path ? ermes__strdup(opts->schema_path) : NULL;
    if (!in->data_dir || (opts->schema_path && !in->schema_path) || ermes__dedup_new(&in->dedup)) {
        ermes__intake_free(in);
        return ERMES_ENOMEM;
    }
    if ((rc = ermes__geoip_new(&opts->geoip, &in->geoip, NULL))) {
        ermes__intake_free(in);
        return rc;
    }
    if (!in->opts.batch_rows)
        in->opts.batch_rows = 50000;
    if (!in->opts.max_report)
        in->opts.max_report = (size_t)16 << 30;
    *out = in;
    return 0;
}

void ermes__intake_free(ermes__intake_t *in)
{
    if (!in)
        return;
    ermes__intake_stop(in);
    pthread_mutex_destroy(&in->lock);
    pthread_mutex_destroy(&in->wlock);
    pthread_cond_destroy(&in->wake);
    ermes__dedup_free(in->dedup);
    ermes__geoip_free(in->geoip);
    ermes__free(in->data_dir);
    ermes__free(in->schema_path);
    ermes__free(in);
}

/* ---- receiving -------------------------------------------------------------------------- */

static int check_meta(const ermes__intake_t *in, const ermes__report_meta_t *meta,
                      ermes__report_t *r, ermes_diag_t *d)
{
    json_t *arr;
    char *text;

    if (!meta->feed || !ermes__parser_find(meta->feed)) {
        ermes_diag_set(d, "feed", "unknown feed \"%.64s\" (see `ermes feeds`)",
                       meta->feed ? meta->feed : "");
        return ERMES_EINVAL;
    }
    memset(r, 0, sizeof(*r));
    /* The report's TLP: the sender's, else the setting's. Its events inherit it unless their
     * feed's parser sets one (issue 15). */
    r->tlp = in->opts.default_tlp;
    if (meta->tlp && ermes_tlp_parse(meta->tlp, strlen(meta->tlp), &r->tlp)) {
        ermes_diag_set(d, "tlp", "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
        return ERMES_EINVAL;
    }
    snprintf(r->feed, sizeof(r->feed), "%s", meta->feed);
    if (meta->file_name) {
        /* Only the last path component is kept: it names the file, it is not a path. */
        const char *slash = strrchr(meta->file_name, '/');
        snprintf(r->file_name, sizeof(r->file_name), "%s", slash ? slash + 1 : meta->file_name);
    }
    if (!meta->options || !meta->options[0])
        return 0;
    if (!(arr = json_array()))
        return ERMES_ENOMEM;
    for (size_t k = 0; meta->options[k]; k++) {
        const char *o = meta->options[k];
        if (k >= MAX_OPTIONS || !strchr(o, '=') || o[0] == '=' || strlen(o) > 512) {
            json_decref(arr);
            ermes_diag_set(d, "options", "options are at most %d key=value pairs", MAX_OPTIONS);
            return ERMES_EINVAL;
        }
        json_array_append_new(arr, json_string(o));
    }
    text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!text)
        return ERMES_EINVAL;
    if (strlen(text) >= sizeof(r->options)) {
        free(text);
        ermes_diag_set(d, "options", "the options are too long");
        return ERMES_EINVAL;
    }
    snprintf(r->options, sizeof(r->options), "%s", text);
    free(text);
    return 0;
}

/* A report is received into DATA_DIR/reports as an incoming file (core/incoming.h): reports
 * with the same bytes share one file. */
struct ermes__spool {
    ermes__incoming_t f;
};
typedef struct ermes__spool spool_t;

static int spool_open(ermes__intake_t *in, spool_t *sp)
{
    char dir[4096];

    snprintf(dir, sizeof(dir), "%s/reports", in->data_dir);
    return ermes__incoming_open(&sp->f, dir);
}

/* The same bytes for the same feed and options already received (issue 15: the same file
 * twice gives no new events): *r becomes that report. 0: it was; ERMES_ENOTFOUND: it was not. */
static int received_before(ermes__intake_t *in, ermes__report_t *r)
{
    ermes__report_t first;
    int rc = ermes__store_report_find_sha256(in->store, r->sha256, r->feed, r->options, &first);

    if (rc == 0)
        *r = first;
    return rc;
}

static int spool_finish(ermes__intake_t *in, const ermes__viewer_t *v, spool_t *sp,
                        ermes__report_t *r, int force)
{
    int rc;

    ermes__incoming_digest(&sp->f);
    snprintf(r->sha256, sizeof(r->sha256), "%s", sp->f.sha256);
    if (!force && (rc = received_before(in, r)) != ERMES_ENOTFOUND) {
        ermes__incoming_abort(&sp->f);
        return rc == 0 ? ERMES_EEXISTS : rc;
    }
    if ((rc = ermes__incoming_commit(&sp->f)))
        return rc;
    snprintf(r->path, sizeof(r->path), "reports/%s", r->sha256);
    r->size = (int64_t)sp->f.size;
    r->received_at = ermes__time_now_ms();
    r->owner_org_id = v ? v->org_id : 0;
    snprintf(r->submitted_by, sizeof(r->submitted_by), "%s",
             v && v->user_name ? v->user_name : "local");
    /* The report's row commits with synchronous=FULL: once this returns, it is acknowledged. */
    return ermes__store_report_insert(in->store, r);
}

int ermes__intake_receive_mem(ermes__intake_t *in, const ermes__viewer_t *v,
                              const ermes__report_meta_t *meta, const char *data, size_t len,
                              ermes__report_t *out, ermes_diag_t *d)
{
    spool_t sp;
    int rc;

    if ((rc = check_meta(in, meta, out, d)))
        return rc;
    if (len > in->opts.max_report) {
        ermes_diag_set(d, NULL, "the report exceeds %zu bytes", in->opts.max_report);
        return ERMES_ETOOBIG;
    }
    if ((rc = spool_open(in, &sp))) {
        ermes_diag_set(d, NULL, "cannot write to %s/reports", in->data_dir);
        return rc;
    }
    if ((rc = ermes__incoming_write(&sp.f, data, len))) {
        ermes__incoming_abort(&sp.f);
        ermes_diag_set(d, NULL, "cannot write the report to disk");
        return rc;
    }
    return spool_finish(in, v, &sp, out, meta->force);
}

int ermes__intake_receive_file(ermes__intake_t *in, const ermes__viewer_t *v,
                               const ermes__report_meta_t *meta, FILE *f, ermes__report_t *out,
                               ermes_diag_t *d)
{
    char *buf;
    spool_t sp;
    size_t n;
    int rc;

    if ((rc = check_meta(in, meta, out, d)))
        return rc;
    if (!(buf = ermes__malloc(1 << 20)))
        return ERMES_ENOMEM;
    if ((rc = spool_open(in, &sp))) {
        ermes__free(buf);
        ermes_diag_set(d, NULL, "cannot write to %s/reports", in->data_dir);
        return rc;
    }
    while ((n = fread(buf, 1, 1 << 20, f)) > 0) {
        if (sp.f.size + n > in->opts.max_report) {
            ermes_diag_set(d, NULL, "the report exceeds %zu bytes", in->opts.max_report);
            rc = ERMES_ETOOBIG;
            break;
        }
        if ((rc = ermes__incoming_write(&sp.f, buf, n))) {
            ermes_diag_set(d, NULL, "cannot write the report to disk");
            break;
        }
    }
    if (!rc && ferror(f)) {
        ermes_diag_set(d, NULL, "cannot read the report");
        rc = ERMES_EIO;
    }
    ermes__free(buf);
    if (rc) {
        ermes__incoming_abort(&sp.f);
        return rc;
    }
    return spool_finish(in, v, &sp, out, meta->force);
}

/* Hashes the open file fd to its end, refusing it past max bytes. */
static int hash_fd(int fd, size_t max, char hex[65], size_t *size)
{
    ermes__sha256_t *sha = ermes__sha256_new();
    char *buf = ermes__malloc(1 << 20);
    size_t total = 0;
    ssize_t n;

    if (!buf || !sha) {
        ermes__free(buf);
        ermes__sha256_free(sha);
        return ERMES_ENOMEM;
    }
    while ((n = read(fd, buf, 1 << 20)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ermes__free(buf);
            ermes__sha256_free(sha);
            return ERMES_EIO;
        }
        total += (size_t)n;
        if (total > max) {
            ermes__free(buf);
            ermes__sha256_free(sha);
            return ERMES_ETOOBIG;
        }
        ermes__sha256_update(sha, buf, (size_t)n);
    }
    ermes__free(buf);
    ermes__sha256_final(sha, hex);
    *size = total;
    return 0;
}

int ermes__intake_receive_path(ermes__intake_t *in, const ermes__viewer_t *v,
                               const ermes__report_meta_t *meta, const char *path,
                               ermes__report_t *out, ermes_diag_t *d)
{
    char final[4400], dir[4096];
    struct stat sb;
    size_t size = 0;
    int fd, rc;

    if ((rc = check_meta(in, meta, out, d)))
        return rc;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        ermes_diag_set(d, NULL, "cannot open the file: %s", strerror(errno));
        return ERMES_EIO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        ermes_diag_set(d, NULL, "not a regular file");
        return ERMES_EINVAL;
    }
    if ((uint64_t)sb.st_size > in->opts.max_report) {
        close(fd);
        ermes_diag_set(d, NULL, "the report exceeds %zu bytes", in->opts.max_report);
        return ERMES_ETOOBIG;
    }
    if ((rc = hash_fd(fd, in->opts.max_report, out->sha256, &size))) {
        close(fd);
        if (rc == ERMES_ETOOBIG)
            ermes_diag_set(d, NULL, "the report exceeds %zu bytes", in->opts.max_report);
        else
            ermes_diag_set(d, NULL, "cannot read the file");
        return rc;
    }
    if (!meta->force && (rc = received_before(in, out)) != ERMES_ENOTFOUND) {
        close(fd);
        return rc == 0 ? ERMES_EEXISTS : rc;
    }
    snprintf(dir, sizeof(dir), "%s/reports", in->data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        close(fd);
        ermes_diag_set(d, NULL, "cannot write to %s", dir);
        return ERMES_EIO;
    }
    snprintf(out->path, sizeof(out->path), "reports/%s", out->sha256);
    snprintf(final, sizeof(final), "%s/%s", in->data_dir, out->path);
    /* On the same file system the file becomes the report without a copy: a second name for
     * the same bytes (the caller removes the first once the report is recorded, so a crash in
     * between leaves the file where it was). Elsewhere, or where a link is refused, the bytes
     * are copied and made durable like an upload's. Reports with the same bytes share one
     * file, so a name that exists already holds these very bytes. */
    if (fsync(fd) != 0 || (link(path, final) != 0 && errno != EEXIST)) {
        spool_t sp;
        char *buf;
        ssize_t n;
        if (lseek(fd, 0, SEEK_SET) != 0 || !(buf = ermes__malloc(1 << 20))) {
            close(fd);
            return ERMES_ENOMEM;
        }
        if ((rc = spool_open(in, &sp))) {
            ermes__free(buf);
            close(fd);
            ermes_diag_set(d, NULL, "cannot write to %s", dir);
            return rc;
        }
        while ((n = read(fd, buf, 1 << 20)) != 0) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 || (rc = ermes__incoming_write(&sp.f, buf, (size_t)n))) {
                rc = ERMES_EIO;
                break;
            }
        }
        ermes__free(buf);
        close(fd);
        if (rc) {
            ermes__incoming_abort(&sp.f);
            ermes_diag_set(d, NULL, "cannot copy the report");
            return rc;
        }
        return spool_finish(in, v, &sp, out, 1);
    }
    close(fd);
    if ((rc = ermes__incoming_sync_dir(dir))) {
        ermes_diag_set(d, NULL, "cannot sync %s", dir);
        return rc;
    }
    out->size = (int64_t)size;
    out->received_at = ermes__time_now_ms();
    out->owner_org_id = v ? v->org_id : 0;
    snprintf(out->submitted_by, sizeof(out->submitted_by), "%s",
             v && v->user_name ? v->user_name : "local");
    return ermes__store_report_insert(in->store, out);
}

size_t ermes__intake_max_report(const ermes__intake_t *in)
{
    return in->opts.max_report;
}

int ermes__intake_spool_begin(ermes__intake_t *in, ermes__spool_t **out)
{
    spool_t *sp = ermes__calloc(1, sizeof(*sp));
    int rc;

    if (!sp)
        return ERMES_ENOMEM;
    if ((rc = spool_open(in, sp))) {
        ermes__free(sp);
        return rc;
    }
    *out = sp;
    return 0;
}

int ermes__intake_spool_write(ermes__intake_t *in, ermes__spool_t *sp, const char *p, size_t n,
                              ermes_diag_t *d)
{
    if (sp->f.size + n > in->opts.max_report) {
        ermes_diag_set(d, NULL, "the report exceeds %zu bytes", in->opts.max_report);
        return ERMES_ETOOBIG;
    }
    if (ermes__incoming_write(&sp->f, p, n)) {
        ermes_diag_set(d, NULL, "cannot write the report to disk");
        return ERMES_EIO;
    }
    return 0;
}

int ermes__intake_spool_finish(ermes__intake_t *in, const ermes__viewer_t *v,
                               const ermes__report_meta_t *meta, ermes__spool_t *sp,
                               ermes__report_t *out, ermes_diag_t *d)
{
    int rc = check_meta(in, meta, out, d);

    if (rc) {
        ermes__intake_spool_abort(sp);
        return rc;
    }
    rc = spool_finish(in, v, sp, out, meta->force);
    ermes__free(sp);
    return rc;
}

void ermes__intake_spool_abort(ermes__spool_t *sp)
{
    if (!sp)
        return;
    ermes__incoming_abort(&sp->f);
    ermes__free(sp);
}

/* ---- processing ------------------------------------------------------------------------- */

/* A report's bytes, mapped read-only: the page cache holds them, not our heap. */
typedef struct mapped {
    const char *data;
    size_t len;
    void *map;
    size_t released; /* bytes at the start whose pages were given back */
} mapped_t;

/* Gives back the pages of the report before the row being processed, so a large report costs
 * a window of page cache, not its size. The map is private and read-only: a parser that looks
 * back (none should) faults the page in again from the file. */
#define RELEASE_STEP (32u << 20)
static void release_behind(mapped_t *m, const char *row)
{
    size_t at, page = (size_t)sysconf(_SC_PAGESIZE);

    if (!m->map || !row || row < m->data || row > m->data + m->len)
        return;
    at = (size_t)(row - m->data) & ~(page - 1);
    if (at < m->released + RELEASE_STEP)
        return;
    madvise((char *)m->map + m->released, at - m->released, MADV_DONTNEED);
    m->released = at;
}

static int map_report(ermes__intake_t *in, const ermes__report_t *r, mapped_t *m)
{
    char path[4400];
    struct stat sb;
    int fd;

    memset(m, 0, sizeof(*m));
    snprintf(path, sizeof(path), "%s/%s", in->data_dir, r->path);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return ERMES_EIO;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return ERMES_EIO;
    }
    m->len = (size_t)sb.st_size;
    m->data = "";
    if (m->len) {
        m->map = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m->map == MAP_FAILED) {
            close(fd);
            m->map = NULL;
            return ERMES_EIO;
        }
        madvise(m->map, m->len, MADV_SEQUENTIAL);
        m->data = m->map;
    }
    close(fd);
    return 0;
}

static void unmap_report(mapped_t *m)
{
    if (m->map)
        munmap(m->map, m->len);
    m->map = NULL;
}

/* Options stored as a JSON array, as the parser wants them: a NULL-terminated array. */
typedef struct options {
    json_t *json;
    const char *list[MAX_OPTIONS + 1];
} options_t;

static void load_options(const ermes__report_t *r, options_t *o)
{
    size_t k, n = 0;
    json_t *v;

    memset(o, 0, sizeof(*o));
    if (!r->options[0])
        return;
    o->json = json_loads(r->options, 0, NULL);
    json_array_foreach(o->json, k, v)
    {
        if (json_is_string(v) && n < MAX_OPTIONS)
            o->list[n++] = json_string_value(v);
    }
}

#define OWNER_NAMES 256
#define BATCH_ORGS 64
/* The processing of one report: parser state, the event being built, counters. */
typedef struct run {
    ermes__intake_t *in;
    ermes__report_t *r;
    const ermes__parser_def_t *parser;
    void *pstate;
    ermes_event_t *ev;
    ermes_ownership_t *owners;
    ermes__strbuf_t scratch; /* the bytes of the deduplication key */
    int64_t home_org;
    ermes__event_tally_t *tally; /* the transaction's events per day, for event_daily */
    /* The organisations the transaction's events name, checked before it commits (the
     * batches run without foreign keys: see ermes__intake_process). */
    int64_t batch_orgs[BATCH_ORGS];
    size_t nbatch_orgs;
    int batch_orgs_overflow;
    int64_t batch_first_id; /* 0: no event yet */
    struct owner_name {
        int64_t org_id;
        char short_name[64];
    } names[OWNER_NAMES];
} run_t;

/* Whether extra.NAME is in the comma-separated list (of full field names, extra.NAME). */
static int extra_listed(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; p && (p = strstr(p, name)); p += n) {
        if (p - list >= 6 && memcmp(p - 6, "extra.", 6) == 0 &&
            (p - list == 6 || p[-7] == ',' || p[-7] == ' ') &&
            (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
    }
    return 0;
}

/* A key over what the event says, as dedup_keys or dedup_ignore choose: by default everything
 * but when we saw it (IntelMQ's deduplicator skips time.observation and raw the same way).
 * The bytes hashed: per field its number (2 bytes, host order) and text with its NUL; per
 * extra "x", its name and its text, each with its NUL; gathered, then hashed in one call
 * (ermes__dedup_hash). */
static int dedup_key(const ermes__intake_options_t *o, const ermes__dedup_t *dd,
                     const ermes_event_t *ev, ermes__strbuf_t *buf, uint8_t key[16])
{
    int rc = 0;

    ermes__strbuf_reset(buf);
    for (unsigned f = ermes_event_next(ev, 0); f < ERMES_F_COUNT && !rc;
         f = ermes_event_next(ev, f + 1)) {
        size_t len;
        const char *v;
        uint16_t id = (uint16_t)f;
        char *at;
        if (!o->dedup_field[f])
            continue;
        v = ermes_event_get(ev, (ermes_field_t)f, &len);
        if ((rc = ermes__strbuf_room(buf, sizeof(id) + len + 1, &at)))
            break;
        memcpy(at, &id, sizeof(id));
        memcpy(at + sizeof(id), v, len + 1);
        ermes__strbuf_used(buf, sizeof(id) + len + 1);
    }
    for (size_t k = 0; k < ermes_event_extra_count(ev) && !rc; k++) {
        const char *ek, *ev_;
        size_t len;
        ermes_extra_type_t t;
        ermes_event_extra_at(ev, k, &ek, &ev_, &len, &t);
        if (o->dedup_extras ? extra_listed(o->dedup_extras, ek) != o->dedup_extras_only
                            : o->dedup_extras_only)
            continue;
        {
            size_t kl = strlen(ek) + 1;
            char *at;
            if ((rc = ermes__strbuf_room(buf, 1 + kl + len + 1, &at)))
                break;
            at[0] = 'x';
            memcpy(at + 1, ek, kl);
            memcpy(at + 1 + kl, ev_, len + 1);
            ermes__strbuf_used(buf, 1 + kl + len + 1);
        }
    }
    if (rc)
        return rc;
    return ermes__dedup_hash(dd, buf->len ? buf->data : "", buf->len, key);
}

/* Owner of the event: source.ip (with source.asn as a hint), else source.fqdn, else
 * source.asn. Sets "constituency" to the owner's short name. */
static const char *enrich(run_t *run, const ermes_ip_t *ip, uint32_t asn, int64_t *org_id)
{
    static const char *const rules[] = {NULL, "network", "asn", "domain"};
    ermes_owner_t o;
    size_t len;
    const char *fqdn;
    int found = 0;

    *org_id = 0;
    if (ip->family)
        found = ermes_ownership_ip(run->owners, ip, asn, &o);
    if (!found && (fqdn = ermes_event_get(run->ev, ERMES_F_SOURCE_FQDN, &len)))
        found = ermes_ownership_domain(run->owners, fqdn, len, &o);
    if (!found && asn)
        found = ermes_ownership_asn(run->owners, asn, &o);
    if (!found)
        return NULL;
    *org_id = o.org_id;
    return rules[o.rule];
}

/* A write transaction of the pipeline: the dedup set first catches up with what other
 * processes wrote (inside the transaction, so nobody writes meanwhile). */
static int begin(ermes__intake_t *in, const ermes__report_t *r)
{
    int rc;

    if ((rc = ermes__store_begin(in->store)))
        return rc;
    if (in->opts.dedup_window_ms > 0 &&
        (rc = ermes__dedup_sync(in->dedup, in->store, r->received_at - in->opts.dedup_window_ms))) {
        ermes__store_rollback(in->store);
        return rc;
    }
    return 0;
}

static void rollback(ermes__intake_t *in)
{
    ermes__store_rollback(in->store);
    ermes__dedup_forget(in->dedup); /* it may hold keys the store no longer has */
}

/* Where the row's bytes are in the report's file, when the parser's raw points into it. */
static void row_place(const mapped_t *m, const ermes__row_t *row, int64_t *offset, int64_t *length)
{
    *offset = -1;
    *length = 0;
    if (row->raw && m->len && row->raw >= m->data && row->raw_len <= m->len &&
        (size_t)(row->raw - m->data) <= m->len - row->raw_len) {
        *offset = (int64_t)(row->raw - m->data);
        *length = (int64_t)row->raw_len;
    } else if (row->has_offset && row->offset >= 0 && (uint64_t)row->offset < m->len &&
               row->raw_len <= m->len - (size_t)row->offset) {
        *offset = row->offset;
        *length = (int64_t)row->raw_len;
    }
}

/* Remembers that the transaction's events name organisation id. */
static void batch_org(run_t *run, int64_t id)
{
    if (!id || run->batch_orgs_overflow)
        return;
    for (size_t k = 0; k < run->nbatch_orgs; k++) {
        if (run->batch_orgs[k] == id)
            return;
    }
    if (run->nbatch_orgs == BATCH_ORGS)
        run->batch_orgs_overflow = 1;
    else
        run->batch_orgs[run->nbatch_orgs++] = id;
}

static int store_event(run_t *run, int64_t row, long line, int64_t raw_offset, int64_t raw_length,
                       int64_t *event_id, int *duplicate)
{
    ermes__intake_t *in = run->in;
    ermes__event_row_t er;
    uint8_t key[16];
    char when[48];
    int64_t org_id;
    size_t len;
    const char *owner_rule;
    int rc, dup = 0;

    *event_id = 0;
    *duplicate = 0;
    /* What the feed did not say, the report does. */
    if (!ermes_event_get(run->ev, ERMES_F_TIME_OBSERVATION, NULL)) {
        len = ermes_time_format_intelmq(run->r->received_at, when);
        ermes_event_set(run->ev, ERMES_F_TIME_OBSERVATION, when, len, NULL);
    }
    if (!ermes_event_get(run->ev, ERMES_F_FEED_NAME, NULL))
        ermes_event_set(run->ev, ERMES_F_FEED_NAME, run->r->feed, strlen(run->r->feed), NULL);
    if (!ermes_event_get(run->ev, ERMES_F_TLP, NULL)) {
        const char *t = ermes_tlp_name(run->r->tlp);
        ermes_event_set(run->ev, ERMES_F_TLP, t, strlen(t), NULL);
    }
    if (in->opts.dedup_window_ms > 0) {
        if ((rc = dedup_key(&in->opts, in->dedup, run->ev, &run->scratch, key)))
            return rc;
        rc = ermes__dedup_check(in->dedup, in->store, key,
                                run->r->received_at - in->opts.dedup_window_ms, run->r->received_at,
                                &dup);
        if (rc)
            return rc;
        if (dup) {
            *duplicate = 1;
            return 0;
        }
    }
    if ((rc = ermes__geoip_enrich(in->geoip, run->ev)))
        return rc;
    /* The address and AS number, read once for the owner and the row. */
    memset(&er, 0, sizeof(er));
    ermes_event_ip(run->ev, ERMES_F_SOURCE_IP, &er.source_ip);
    ermes_event_asn(run->ev, ERMES_F_SOURCE_ASN, &er.source_asn);
    owner_rule = enrich(run, &er.source_ip, er.source_asn, &org_id);
    if (org_id) {
        /* Owners repeat from row to row: their names are remembered for the run. */
        struct owner_name *c = &run->names[(uint64_t)org_id % OWNER_NAMES];
        if (c->org_id != org_id) {
            c->org_id = 0;
            if (ermes__store_org_short_name(in->store, org_id, c->short_name,
                                            sizeof(c->short_name)) == 0)
                c->org_id = org_id;
        }
        if (c->org_id == org_id)
            ermes_event_set(run->ev, ERMES_F_CONSTITUENCY, c->short_name, strlen(c->short_name),
                            NULL);
    }
    er.report_id = run->r->id;
    er.row = row;
    er.line = line;
    er.raw_offset = raw_offset;
    er.raw_length = raw_length;
    ermes_event_time_ms(run->ev, ERMES_F_TIME_SOURCE, &er.time_source);
    ermes_event_time_ms(run->ev, ERMES_F_TIME_OBSERVATION, &er.time_observation);
    er.org_id = org_id;
    er.owner_rule = owner_rule;
    er.event = run->ev; /* the store packs it, and takes feed, classification, fqdn from it */
    {
        const char *t = ermes_event_get(run->ev, ERMES_F_TLP, &len);
        if (!t || ermes_tlp_parse(t, len, &er.tlp))
            er.tlp = run->r->tlp;
    }
    er.owner_org_id = run->home_org;
    if ((rc = ermes__store_event_insert(in->store, &er)) ||
        (rc = ermes__event_tally_add(run->tally, &er)))
        return rc;
    *event_id = er.id;
    if (!run->batch_first_id)
        run->batch_first_id = er.id;
    batch_org(run, org_id);
    batch_org(run, er.owner_org_id);
    return 0;
}

static int open_run_over(ermes__intake_t *in, ermes__report_t *r, mapped_t *m, options_t *o,
                         run_t *run, const char *data, size_t len, ermes_diag_t *d);

static int open_run(ermes__intake_t *in, ermes__report_t *r, mapped_t *m, options_t *o, run_t *run,
                    ermes_diag_t *d)
{
    return open_run_over(in, r, m, o, run, NULL, 0, d);
}

/* The owners' names, read before the rows: looked up one by one as the rows name them, each
 * lookup ended the COPY under way on PostgreSQL (a round trip, this process waiting for the
 * server to store what it had sent), a few dozen times a report. Those that do not fit (more
 * organisations than slots) are still looked up when a row names them. */
static int remember_name(void *ctx, int64_t id, const char *short_name)
{
    run_t *run = ctx;
    struct owner_name *c = &run->names[(uint64_t)id % OWNER_NAMES];

    if (!c->org_id && id > 0) {
        c->org_id = id;
        snprintf(c->short_name, sizeof(c->short_name), "%s", short_name);
    }
    return 0;
}

/* open_run, the parser reading data (len bytes) instead of the report's file when data is not
 * NULL (a corrected quarantined row in the report's place). */
static int open_run_over(ermes__intake_t *in, ermes__report_t *r, mapped_t *m, options_t *o,
                         run_t *run, const char *data, size_t len, ermes_diag_t *d)
{
    ermes__report_info_t info;
    int rc;

    memset(run, 0, sizeof(*run));
    run->in = in;
    run->r = r;
    ermes__strbuf_init(&run->scratch, 64u << 20);
    ermes__store_home_org(in->store, &run->home_org);
    run->parser = ermes__parser_find(r->feed);
    if (!run->parser) {
        ermes_diag_set(d, "feed", "no parser for feed \"%s\"", r->feed);
        return ERMES_EINVAL;
    }
    if ((rc = map_report(in, r, m))) {
        ermes_diag_set(d, NULL, "cannot read the report's file %s", r->path);
        return rc;
    }
    load_options(r, o);
    memset(&info, 0, sizeof(info));
    info.feed = r->feed;
    info.file_name = r->file_name[0] ? r->file_name : NULL;
    info.received_ms = r->received_at;
    info.options = o->list;
    info.schema_path = in->schema_path;
    if ((rc = ermes_event_new(&run->ev)) || (rc = ermes__event_tally_new(&run->tally)))
        return rc;
    run->owners = ermes__registry_ownership(in->registry);
    if (!run->owners)
        return ERMES_EINTERNAL;
    /* A failure here costs only the round trips: the rows look the names up themselves. */
    (void)ermes__store_org_short_names(in->store, OWNER_NAMES, remember_name, run);
    return run->parser->open(&info, data ? data : m->data, data ? len : m->len, &run->pstate, d);
}

static void close_run(run_t *run, mapped_t *m, options_t *o)
{
    if (run->parser && run->pstate)
        run->parser->close(run->pstate);
    ermes_event_free(run->ev);
    ermes__event_tally_free(run->tally);
    ermes_ownership_release(run->owners);
    ermes__strbuf_cleanup(&run->scratch);
    unmap_report(m);
    json_decref(o->json);
}

/* Progress and the day's counts of the events commit with the rows they cover. */
static int save(run_t *run, ermes__report_t *r)
{
    int rc = 0;
    size_t gone = 0;

    /* What foreign keys would have checked per row, once: an organisation deleted since the
     * ownership snapshot was taken leaves the batch's events as its deletion would have. */
    if (run->batch_first_id)
        rc = ermes__store_events_orphans(run->in->store,
                                         run->batch_orgs_overflow ? NULL : run->batch_orgs,
                                         run->nbatch_orgs, run->batch_first_id, &gone);
    if (gone)
        ermes__log(ERMES_LOG_NOTICE,
                   "report %lld: %zu organisation(s) deleted meanwhile: their"
                   " new events have no owner",
                   (long long)r->id, gone);
    run->nbatch_orgs = 0;
    run->batch_orgs_overflow = 0;
    run->batch_first_id = 0;
    if (!rc)
        rc = ermes__event_tally_flush(run->tally, run->in->store);

    if (!rc)
        rc = ermes__dedup_flush(run->in->dedup, run->in->store);
    return rc ? rc : ermes__store_report_update(run->in->store, r);
}

/* In the transaction of a batch, before it commits: the report's lease renewed, so that the
 * batch commits only while this instance holds it. Another instance (on any machine) that took
 * the report over, because this one was cut off or stalled for longer than a lease, has it
 * now: the batch rolls back (ERMES_EBUSY) and that instance's work stands, so no row is stored
 * twice. Write transactions are serialised (SQLite's lock, PostgreSQL's advisory lock), so the
 * check and the commit see the same holder. */
static int keep_lease(ermes__intake_t *in, int64_t report_id)
{
    int claimed = 0;
    int rc = ermes__store_report_claim(in->store, report_id, ermes__instance_id(),
                                       ermes__time_now_ms() + ermes__lease_ms(), &claimed);

    if (!rc && !claimed) {
        ermes__log(ERMES_LOG_WARNING,
                   "report %lld: taken over by another daemon while this one was on it; its "
                   "last batch here is undone",
                   (long long)report_id);
        rc = ERMES_EBUSY;
    }
    return rc;
}

/* After batches committed without waiting for the disk: the report's row written again in a
 * transaction that waits, whose sync makes the batches before it durable too. (SQLite
 * cannot change that inside a transaction, so it is one of its own.) */
static int sync_report(ermes__intake_t *in, const ermes__report_t *r)
{
    int rc;

    if ((rc = ermes__store_durable(in->store, 1)) || (rc = ermes__store_begin(in->store)))
        return rc;
    if ((rc = ermes__store_report_update(in->store, r)) || (rc = ermes__store_commit(in->store)))
        ermes__store_rollback(in->store);
    return rc;
}

/* ---- reading ahead: the parser in a thread of its own ------------------------------------- */

/* On SQLite the report's rows are parsed by a thread of their own while this one
 * deduplicates, enriches and stores those parsed before them (ermes__intake_process says why
 * not on PostgreSQL): on two CPUs the parsing then overlaps SQLite's writing, CPU in this
 * process, and the waits at each batch's end (the commit), which the parser fills with the
 * next rows. Only the parser runs there: deduplication, enrichment, the store and every decision
 * about a row (skipped before next_row, quarantined, counted) stay here, in the rows' order,
 * so transactions, progress and crash redo are as they were. At most AHEAD_ROWS rows wait
 * parsed, each in an event of its own; they change hands AHEAD_STEP at a time, so that the
 * two threads meet (a lock, perhaps a wake-up) once per AHEAD_STEP rows, not once a row. */
#define AHEAD_ROWS 1024
#define AHEAD_STEP 64

typedef struct ahead_row {
    ermes_event_t *ev; /* made when the slot is first used */
    int rc;            /* the parser's answer for the row */
    long line;
    const char *raw;  /* where the row is in the report's map (release_behind), or NULL */
    int64_t off, len; /* row_place's answer */
    char *bad;        /* a bad row's bytes, a copy (the parser may reuse its own) */
    size_t bad_len, bad_cap;
    ermes_diag_t d;
} ahead_row_t;

typedef struct ahead {
    const ermes__parser_def_t *parser;
    void *pstate;
    const mapped_t *m;
    ahead_row_t *rows;
    /* Under lock: rows parsed and handed over (filled), rows given back (taken: every slot
     * before it may be refilled), the parser's end, a request to stop, who waits. */
    size_t filled, taken;
    int end, quit, writer_waits, reader_waits;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int started;
    size_t nrows; /* AHEAD_ROWS with a thread; 1 without (the rows parsed here, one by one) */
    /* The reader's own: rows it has used, and the filled it last saw. */
    size_t used, seen;
} ahead_t;

/* Parses one row into slot s. The parser's answer. */
static int ahead_parse(ahead_t *a, ahead_row_t *s)
{
    ermes__row_t row;
    int rc;

    ermes_diag_clear(&s->d);
    memset(&row, 0, sizeof(row));
    s->bad_len = 0;
    /* The events are made as the rows need them: a small report makes a few. */
    if (!s->ev && ermes_event_new(&s->ev))
        return s->rc = ERMES_ENOMEM;
    ermes_event_reset(s->ev);
    rc = s->rc = a->parser->next(a->pstate, s->ev, &row, &s->d);
    s->line = row.line;
    s->raw = row.raw && row.raw >= a->m->data && row.raw <= a->m->data + a->m->len ? row.raw : NULL;
    if (rc > 0) {
        row_place(a->m, &row, &s->off, &s->len);
    } else if (rc < 0 && rc != ERMES_ENOMEM && rc != ERMES_EIO && row.raw) {
        size_t keep = row.raw_len > MAX_QUARANTINE_RAW ? MAX_QUARANTINE_RAW : row.raw_len;
        if (keep > s->bad_cap) {
            char *b = ermes__realloc(s->bad, keep);
            if (!b)
                return s->rc = ERMES_ENOMEM;
            s->bad = b;
            s->bad_cap = keep;
        }
        memcpy(s->bad, row.raw, keep);
        s->bad_len = keep;
    }
    return rc;
}

static void *ahead_main(void *arg)
{
    ahead_t *a = arg;
    size_t made = 0, given = 0, taken = 0; /* rows parsed, handed over, given back */
    int end = 0, quit = 0;

    while (!end && !quit) {
        /* Slots are free up to the one the reader may still use (taken - 1). */
        if (made - taken + (taken > 0) >= AHEAD_ROWS) {
            pthread_mutex_lock(&a->lock);
            a->filled = given = made;
            if (a->reader_waits)
                pthread_cond_signal(&a->cond);
            while (!a->quit && made - a->taken + (a->taken > 0) >= AHEAD_ROWS) {
                a->writer_waits = 1;
                pthread_cond_wait(&a->cond, &a->lock);
                a->writer_waits = 0;
            }
            taken = a->taken;
            quit = a->quit;
            pthread_mutex_unlock(&a->lock);
            continue;
        }
        {
            int rc = ahead_parse(a, &a->rows[made % AHEAD_ROWS]);
            made++;
            end = rc == 0 || rc == ERMES_ENOMEM || rc == ERMES_EIO;
        }
        if (end || made - given >= AHEAD_STEP) {
            pthread_mutex_lock(&a->lock);
            a->filled = given = made;
            a->end = end;
            if (a->reader_waits)
                pthread_cond_signal(&a->cond);
            taken = a->taken;
            quit = a->quit;
            pthread_mutex_unlock(&a->lock);
        }
    }
    return NULL;
}

/* Stops the parsing thread and frees the rows. */
static void ahead_stop(ahead_t *a)
{
    if (a->started) {
        pthread_mutex_lock(&a->lock);
        a->quit = 1;
        pthread_cond_signal(&a->cond);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
        a->started = 0;
    }
    if (a->rows) {
        for (size_t k = 0; k < a->nrows; k++) {
            ermes_event_free(a->rows[k].ev);
            ermes__free(a->rows[k].bad);
        }
        ermes__free(a->rows);
        a->rows = NULL;
        pthread_mutex_destroy(&a->lock);
        pthread_cond_destroy(&a->cond);
    }
}

/* Starts parsing the run's report, in a thread of its own when threaded is not 0, else row by
 * row as ahead_next asks. */
static int ahead_start(ahead_t *a, run_t *run, const mapped_t *m, int threaded)
{
    memset(a, 0, sizeof(*a));
    a->nrows = threaded ? AHEAD_ROWS : 1;
    if (!(a->rows = ermes__calloc(a->nrows, sizeof(*a->rows))))
        return ERMES_ENOMEM;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    a->parser = run->parser;
    a->pstate = run->pstate;
    a->m = m;
    if (threaded && pthread_create(&a->thread, NULL, ahead_main, a) != 0) {
        ahead_stop(a);
        return ERMES_ENOMEM;
    }
    a->started = threaded;
    return 0;
}

/* The next row, in the report's order; the slot of the one before may be refilled from now
 * on. NULL past the end (not reached: the row that ends the report stops the caller). */
static ahead_row_t *ahead_next(ahead_t *a)
{
    if (!a->started) {
        /* Without a thread: the next row, parsed now; after the end, none. */
        if (a->end)
            return NULL;
        int rc = ahead_parse(a, &a->rows[0]);
        a->end = rc == 0 || rc == ERMES_ENOMEM || rc == ERMES_EIO;
        return &a->rows[0];
    }
    if (a->used == a->seen || a->used % AHEAD_STEP == 0) {
        pthread_mutex_lock(&a->lock);
        a->taken = a->used;
        if (a->writer_waits)
            pthread_cond_signal(&a->cond);
        while (a->filled == a->used && !a->end) {
            a->reader_waits = 1;
            pthread_cond_wait(&a->cond, &a->lock);
            a->reader_waits = 0;
        }
        a->seen = a->filled;
        pthread_mutex_unlock(&a->lock);
        if (a->seen == a->used)
            return NULL;
    }
    return &a->rows[a->used++ % AHEAD_ROWS];
}

int ermes__intake_process(ermes__intake_t *in, int64_t report_id, ermes__report_t *out)
{
    ermes__report_t r;
    mapped_t m = {0};
    options_t o = {0};
    run_t run;
    ermes_diag_t d;
    ahead_t ahead;
    ermes_event_t *own_ev = NULL;
    int64_t index = 0, in_batch = 0;
    int64_t batch_start = ermes__time_now_ms();
    int rc, tx = 0, claimed = 0, durable_off = 0;

    pthread_mutex_lock(&in->lock);
    memset(&run, 0, sizeof(run));
    memset(&ahead, 0, sizeof(ahead));
    /* Another process (the CLI, other daemons: they share the database) may be on it. */
    if ((rc = ermes__store_report_claim(in->store, report_id, ermes__instance_id(),
                                        ermes__time_now_ms() + ermes__lease_ms(), &claimed)))
        goto unlock;
    if (!claimed) {
        rc = ERMES_EBUSY;
        goto unlock;
    }
    if ((rc = ermes__store_report_get(in->store, NULL, report_id, &r)))
        goto unlock;
    if (strcmp(r.state, "done") == 0 || strcmp(r.state, "failed") == 0)
        goto finish;
    ermes_diag_clear(&d);
    rc = open_run(in, &r, &m, &o, &run, &d);
    if (rc == ERMES_ENOMEM || rc == ERMES_EINTERNAL)
        goto unlock;
    if (rc) {
        /* The report cannot be read at all: that is the report's state, not our error. */
        snprintf(r.state, sizeof(r.state), "failed");
        snprintf(r.error, sizeof(r.error), "%s", d.reason[0] ? d.reason : ermes_strerror(rc));
        r.processed_at = ermes__time_now_ms();
        rc = ermes__store_report_update(in->store, &r);
        ermes__log(ERMES_LOG_WARNING, "report %lld (%s) failed: %s", (long long)r.id, r.feed,
                   r.error);
        goto finish;
    }
    if (in->opts.dedup_window_ms > 0 && ermes__time_now_ms() - in->pruned_at > 3600 * 1000) {
        /* Once an hour the log loses what is twice the window old. */
        if (ermes__store_dedup_prune(in->store,
                                     ermes__time_now_ms() - 2 * in->opts.dedup_window_ms) == 0)
            in->pruned_at = ermes__time_now_ms();
    }
    /* The batches need not wait for the disk: the report's file is durable, and a batch lost
     * to a power cut is redone from it (next_row commits with the rows it covers). The
     * commit that ends the report, or stops it, waits for the disk, and so for every batch
     * before it. Nor need they check foreign keys per row (three B-tree lookups per event:
     * a sixth of storing it): the report is ours and never deleted, and the organisations
     * the batch names are checked once before it commits (save()). */
    if ((rc = ermes__store_durable(in->store, 0)) || (rc = ermes__store_foreign_keys(in->store, 0)))
        goto unlock;
    durable_off = 1;
    if ((rc = begin(in, &r)))
        goto unlock;
    tx = 1;
    snprintf(r.state, sizeof(r.state), "processing");
    own_ev = run.ev;
    /* The parser's thread where the storing is CPU in this process (SQLite): measured there,
     * the intake's wall time falls by a sixth on two cores. On PostgreSQL the processing
     * thread and the server take turns at each batch's end either way, and the thread gave
     * the daemon's intake no gain but a seventh more wall time (bench/README.md run 6). */
    if ((rc =
             ahead_start(&ahead, &run, &m, strcmp(ermes__store_backend(in->store), "sqlite") == 0)))
        goto unlock;
    for (;;) {
        int64_t event_id;
        int dup;
        ahead_row_t *s = ahead_next(&ahead);

        if (!s) {
            rc = ERMES_EINTERNAL;
            goto unlock;
        }
        rc = s->rc;
        run.ev = s->ev; /* the row's event, the reader's until the next row is asked for */
        if (rc == 0)
            break;
        if (rc == ERMES_ENOMEM || rc == ERMES_EIO)
            goto unlock;
        /* Rows before next_row were committed before a crash: skip them, once. */
        if (index < r.next_row) {
            index++;
            continue;
        }
        if (rc < 0) {
            rc = ermes__store_quarantine_insert(
                in->store, r.id, index, s->line, s->bad, s->bad_len, s->d.field,
                s->d.reason[0] ? s->d.reason : "invalid row", run.home_org);
            if (rc)
                goto unlock;
            r.quarantined++;
        } else {
            if ((rc = store_event(&run, index, s->line, s->off, s->len, &event_id, &dup)))
                goto unlock;
            if (dup)
                r.duplicates++;
            else
                r.events++;
        }
        r.rows_in++;
        index++;
        release_behind(&m, s->raw);
        /* A stopping daemon commits what it has and leaves the rest for its next start. */
        if (__atomic_load_n(&in->stop, __ATOMIC_RELAXED)) {
            r.next_row = index;
            if ((rc = save(&run, &r)) || (rc = keep_lease(in, r.id)) ||
                (rc = ermes__store_commit(in->store)))
                goto unlock;
            tx = 0;
            if ((rc = sync_report(in, &r)))
                goto unlock;
            goto finish;
        }
        /* A batch ends at batch_rows rows or after BATCH_MS: every batch rewrites the index
         * pages it touched (random ones, for events_ip), so fewer, larger batches cost less;
         * the time bound keeps the write lock from being held long when rows are slow. */
        if (++in_batch >= in->opts.batch_rows ||
            (in_batch % 1024 == 0 && ermes__time_now_ms() - batch_start >= BATCH_MS)) {
            /* Progress commits with the rows it covers. */
            r.next_row = index;
            if ((rc = save(&run, &r)) || (rc = keep_lease(in, r.id)) ||
                (rc = ermes__store_commit(in->store)))
                goto unlock;
            tx = 0;
            if ((rc = begin(in, &r)))
                goto unlock;
            tx = 1;
            in_batch = 0;
            batch_start = ermes__time_now_ms();
        }
    }
    r.next_row = index;
    snprintf(r.state, sizeof(r.state), "done");
    r.processed_at = ermes__time_now_ms();
    if ((rc = save(&run, &r)) || (rc = keep_lease(in, r.id)) ||
        (rc = ermes__store_commit(in->store)))
        goto unlock;
    tx = 0;
    if ((rc = sync_report(in, &r)))
        goto unlock;
    ermes__log(ERMES_LOG_INFO,
               "report %lld (%s): %lld rows, %lld events, %lld duplicates, %lld quarantined",
               (long long)r.id, r.feed, (long long)r.rows_in, (long long)r.events,
               (long long)r.duplicates, (long long)r.quarantined);
finish:
    if (out)
        *out = r;
unlock:
    /* The parsing thread ends before the parser's state and the map go (close_run). */
    ahead_stop(&ahead);
    if (own_ev)
        run.ev = own_ev;
    if (tx && rc)
        rollback(in);
    if (durable_off) {
        ermes__store_durable(in->store, 1);
        ermes__store_foreign_keys(in->store, 1);
    }
    /* Given back (unless another instance has it now: then this changes nothing). */
    if (claimed)
        ermes__store_report_claim(in->store, report_id, ermes__instance_id(), 0, &claimed);
    close_run(&run, &m, &o);
    pthread_mutex_unlock(&in->lock);
    return rc;
}

int ermes__intake_process_wait(ermes__intake_t *in, int64_t report_id, ermes__report_t *out,
                               int64_t wait_ms)
{
    ermes__report_t r;
    int64_t until = ermes__time_now_ms() + wait_ms;
    int rc = ermes__intake_process(in, report_id, out);

    while (rc == ERMES_EBUSY) {
        struct timespec nap = {0, 50 * 1000 * 1000};
        if ((rc = ermes__store_report_get(in->store, NULL, report_id, &r)))
            return rc;
        if (strcmp(r.state, "done") == 0 || strcmp(r.state, "failed") == 0) {
            if (out)
                *out = r;
            return 0;
        }
        if (ermes__time_now_ms() >= until)
            return ERMES_EBUSY;
        nanosleep(&nap, NULL);
        rc = ERMES_EBUSY;
    }
    return rc;
}

/* The pending reports form one queue for every process on the database: a report another
 * daemon (or the CLI) holds is passed over, not waited for, so that reports posted to two
 * daemons advance together, one in each. A pass ends when it made no progress (everything
 * left is someone else's); the worker comes back at its next kick or tick, and takes over a
 * report whose holder's lease ran out. */
int ermes__intake_process_pending(ermes__intake_t *in, size_t *processed)
{
    int64_t ids[64];
    int64_t busy[64];
    size_t n = 0, nbusy = 0;
    int rc;

    if (processed)
        *processed = 0;
    for (;;) {
        size_t done = 0;
        if ((rc = ermes__store_report_pending(in->store, ids, 64, &n)) || n == 0)
            return rc;
        for (size_t k = 0; k < n; k++) {
            int skip = 0;
            if (__atomic_load_n(&in->stop, __ATOMIC_RELAXED))
                return 0;
            for (size_t b = 0; b < nbusy && !skip; b++)
                skip = busy[b] == ids[k];
            if (skip)
                continue;
            rc = ermes__intake_process(in, ids[k], NULL);
            if (rc == ERMES_EBUSY) {
                /* Another process has it: the next one, and this one again next pass. */
                if (nbusy < sizeof(busy) / sizeof(busy[0]))
                    busy[nbusy++] = ids[k];
                continue;
            }
            if (rc)
                return rc;
            done++;
            if (processed)
                (*processed)++;
        }
        /* Nothing done: every pending report in sight is held elsewhere. Something done:
         * the ones passed over may be free now (their holder finished or stopped). */
        if (!done)
            return 0;
        nbusy = 0;
    }
}

struct retry_ctx {
    ermes__quarantine_row_t q;
    char state[16];
    int found;
    size_t raw_lines; /* newlines inside the original row (a quoted field over lines) */
    char *edited;     /* the stored correction, a copy; NULL when none */
    size_t edited_len;
};

static int quarantine_cb(void *arg, const ermes__quarantine_row_t *q)
{
    struct retry_ctx *c = arg;

    c->q = *q;
    snprintf(c->state, sizeof(c->state), "%s", q->state ? q->state : "");
    for (size_t i = 0; q->raw && i < q->raw_len; i++)
        c->raw_lines += q->raw[i] == '\n';
    if (q->edited_raw) {
        if (!(c->edited = ermes__malloc(q->edited_raw_len + 1)))
            return ERMES_ENOMEM;
        memcpy(c->edited, q->edited_raw, q->edited_raw_len);
        c->edited[q->edited_raw_len] = '\0';
        c->edited_len = q->edited_raw_len;
    }
    c->q.raw = NULL; /* borrowed from the statement: not used past the call */
    c->q.field = c->q.reason = c->q.state = c->q.feed = NULL;
    c->q.edited_raw = c->q.resolution = c->q.resolved_by = NULL;
    c->found = 1;
    return 0;
}

/* The report's bytes with the quarantined row (lines line .. line + extra) replaced by fix: the
 * parser then reads the corrected row where the original was, after the same header and rows,
 * so it is found again by the same position. *out is the caller's to free. */
static int splice_row(const mapped_t *m, long line, size_t extra, const char *fix, size_t fix_len,
                      char **out, size_t *out_len)
{
    const char *p = m->data, *end = m->data + m->len, *start, *stop, *nl;
    char *buf;
    long l;

    for (l = 1; l < line && p < end; l++) {
        if (!(nl = memchr(p, '\n', (size_t)(end - p))))
            return ERMES_ENOTFOUND;
        p = nl + 1;
    }
    start = p;
    for (size_t k = 0; k < extra && p < end; k++) {
        if (!(nl = memchr(p, '\n', (size_t)(end - p))))
            return ERMES_ENOTFOUND;
        p = nl + 1;
    }
    stop = (nl = memchr(p, '\n', (size_t)(end - p))) ? nl : end;
    if (stop > start && stop[-1] == '\r')
        stop--;
    if (!(buf = ermes__malloc(m->len + fix_len + 1)))
        return ERMES_ENOMEM;
    memcpy(buf, m->data, (size_t)(start - m->data));
    memcpy(buf + (start - m->data), fix, fix_len);
    memcpy(buf + (start - m->data) + fix_len, stop, (size_t)(end - stop));
    *out_len = (size_t)(start - m->data) + fix_len + (size_t)(end - stop);
    buf[*out_len] = '\0';
    *out = buf;
    return 0;
}

int ermes__intake_retry(ermes__intake_t *in, int64_t quarantine_id, int64_t *event_id,
                        ermes_diag_t *d)
{
    struct retry_ctx c = {0};
    ermes__report_t r;
    mapped_t m = {0};
    options_t o = {0};
    run_t run;
    ermes__row_t row;
    int64_t index = 0, off, len;
    char *spliced = NULL;
    size_t spliced_len = 0;
    int rc, dup = 0;

    *event_id = 0;
    if ((rc = ermes__store_quarantine_get(in->store, quarantine_id, quarantine_cb, &c))) {
        ermes__free(c.edited);
        return rc;
    }
    if (strcmp(c.state, "open") != 0) {
        ermes_diag_set(d, NULL, "the row was already %s", c.state);
        ermes__free(c.edited);
        return ERMES_ECONFLICT;
    }
    pthread_mutex_lock(&in->lock);
    memset(&run, 0, sizeof(run));
    if ((rc = ermes__store_report_get(in->store, NULL, c.q.report_id, &r)))
        goto out;
    if (c.edited) {
        /* A corrected row: the report's bytes with the correction in the row's place. */
        if ((rc = map_report(in, &r, &m))) {
            ermes_diag_set(d, NULL, "cannot read the report's file %s", r.path);
            goto out;
        }
        rc = splice_row(&m, c.q.line, c.raw_lines, c.edited, c.edited_len, &spliced, &spliced_len);
        unmap_report(&m);
        memset(&m, 0, sizeof(m));
        if (rc == ERMES_ENOTFOUND)
            ermes_diag_set(d, NULL, "the row is no longer in the report");
        if (rc)
            goto out;
    }
    if ((rc = open_run_over(in, &r, &m, &o, &run, spliced, spliced_len, d)))
        goto out;
    /* The row is found again by its position in the report. */
    for (;;) {
        ermes_event_reset(run.ev);
        ermes_diag_clear(d);
        rc = run.parser->next(run.pstate, run.ev, &row, d);
        if (rc == 0) {
            ermes_diag_set(d, NULL, "the row is no longer in the report");
            rc = ERMES_ENOTFOUND;
            goto out;
        }
        if (rc == ERMES_ENOMEM || rc == ERMES_EIO)
            goto out;
        if (index++ == c.q.row)
            break;
    }
    if (rc < 0) {
        rc = ERMES_EINVAL; /* still bad: d says why */
        goto out;
    }
    if ((rc = begin(in, &r)))
        goto out;
    row_place(&m, &row, &off, &len);
    if (spliced) {
        /* The event's bytes are the correction, not a place in the report's file. */
        off = -1;
        len = 0;
    }
    rc = store_event(&run, c.q.row, row.line, off, len, event_id, &dup);
    if (!rc)
        rc = ermes__store_quarantine_set_state(in->store, quarantine_id, "retried", *event_id);
    if (!rc)
        rc = ermes__store_report_count_retry(in->store, r.id, dup);
    if (!rc)
        rc = ermes__event_tally_flush(run.tally, in->store);
    if (!rc)
        rc = ermes__dedup_flush(in->dedup, in->store);
    if (rc == ERMES_ENOTFOUND) {
        ermes_diag_set(d, NULL, "the row was retried meanwhile");
        rc = ERMES_ECONFLICT;
        *event_id = 0;
    }
    if (!rc)
        rc = ermes__store_commit(in->store);
    if (rc)
        rollback(in);
out:
    close_run(&run, &m, &o);
    pthread_mutex_unlock(&in->lock);
    ermes__free(spliced);
    ermes__free(c.edited);
    return rc;
}

int ermes__intake_read_raw(ermes__intake_t *in, const ermes__event_row_t *e, size_t max, char **out,
                           size_t *len, int *truncated)
{
    ermes__report_t r;
    char path[4400];
    size_t want;
    ssize_t got;
    char *buf;
    int fd, rc;

    *out = NULL;
    *len = 0;
    *truncated = 0;
    if (e->raw_offset < 0 || e->raw_length <= 0)
        return ERMES_ENOTFOUND;
    if ((rc = ermes__store_report_get(in->store, NULL, e->report_id, &r)))
        return rc;
    snprintf(path, sizeof(path), "%s/%s", in->data_dir, r.path);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return ERMES_ENOTFOUND;
    want = (size_t)e->raw_length;
    if (want > max) {
        want = max;
        *truncated = 1;
    }
    if (!(buf = ermes__malloc(want + 1))) {
        close(fd);
        return ERMES_ENOMEM;
    }
    got = pread(fd, buf, want, (off_t)e->raw_offset);
    close(fd);
    if (got != (ssize_t)want) {
        ermes__free(buf);
        return ERMES_ENOTFOUND;
    }
    buf[want] = '\0';
    *out = buf;
    *len = want;
    return 0;
}

/* ---- the daemon's worker ------------------------------------------------------------------ */

static void sweep_stale_spool(ermes__intake_t *in);

static void *worker_main(void *arg)
{
    ermes__intake_t *in = arg;

    for (;;) {
        struct timespec until;
        size_t n = 0;
        int rc;

        pthread_mutex_lock(&in->wlock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        while (!in->stop && !in->kicked)
            if (pthread_cond_timedwait(&in->wake, &in->wlock, &until) == ETIMEDOUT)
                break;
        in->kicked = 0;
        if (in->stop) {
            pthread_mutex_unlock(&in->wlock);
            break;
        }
        pthread_mutex_unlock(&in->wlock);
        sweep_stale_spool(in);
        rc = ermes__intake_process_pending(in, &n);
        if (rc)
            ermes__log(ERMES_LOG_ERROR, "intake: %s", ermes_strerror(rc));
    }
    return NULL;
}

/* A process killed while receiving a report leaves its partial spool file (.incoming-*): never
 * acknowledged, so nobody waits for it. The daemon removes those older than incoming_max_age
 * (a day by default) at start and then every minute, so a daemon that runs for months does
 * not collect them; younger ones may belong to a receive still under way in another process. */
static long stale_spool_age(const ermes__intake_t *in)
{
    return in->opts.incoming_max_age > 0 ? in->opts.incoming_max_age : 24 * 3600;
}

static void remove_stale_spool(ermes__intake_t *in)
{
    char dir[4096];

    snprintf(dir, sizeof(dir), "%s/reports", in->data_dir);
    ermes__incoming_sweep(dir, stale_spool_age(in), "report");
    in->swept_at = time(NULL);
}

static void sweep_stale_spool(ermes__intake_t *in)
{
    /* Every minute, or every second when the age itself is that short. */
    long every = stale_spool_age(in) < 2        ? 1
                 : stale_spool_age(in) / 2 < 60 ? stale_spool_age(in) / 2
                                                : 60;

    if (time(NULL) - in->swept_at >= every)
        remove_stale_spool(in);
}

int ermes__intake_start(ermes__intake_t *in)
{
    if (in->running)
        return 0;
    remove_stale_spool(in);
    in->stop = 0;
    if (pthread_create(&in->thread, NULL, worker_main, in) != 0)
        return ERMES_ENOMEM;
    in->running = 1;
    return 0;
}

void ermes__intake_kick(ermes__intake_t *in)
{
    pthread_mutex_lock(&in->wlock);
    in->kicked = 1;
    pthread_cond_signal(&in->wake);
    pthread_mutex_unlock(&in->wlock);
}

void ermes__intake_stop(ermes__intake_t *in)
{
    if (!in->running)
        return;
    pthread_mutex_lock(&in->wlock);
    in->stop = 1;
    pthread_cond_signal(&in->wake);
    pthread_mutex_unlock(&in->wlock);
    pthread_join(in->thread, NULL);
    in->running = 0;
}
