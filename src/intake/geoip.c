/* GeoIP enrichment from MaxMind DB files (see geoip.h). */
#include "intake/geoip.h"

#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"

#define CHECK_INTERVAL_NS 1000000000LL /* replaced files are looked for at most once a second */
#define CACHE_BITS 8                   /* 256 records remembered per database */

/* What identifies the contents of a file without reading it. */
typedef struct file_id {
    int valid;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} file_id_t;

/* A data record read before: key is its offset in the database plus one (0: empty slot). */
typedef struct record {
    uint32_t key;
    ermes__geoip_result_t r;
} record_t;

/* One configured database: the file open now, and the last replacement that failed to open
 * (so that it is reported once, not every second). */
typedef struct geoip_db {
    const char *setting; /* "geoip_asn_db" or "geoip_country_db" */
    char *path;
    MMDB_s *mmdb; /* NULL: not configured */
    file_id_t opened, refused;
    int missing;                      /* the file was gone at the last check (reported once) */
    record_t cache[1u << CACHE_BITS]; /* of the database open now */
} geoip_db_t;

struct ermes__geoip {
    geoip_db_t asn, country;
    int overwrite;
    int64_t checked_ns; /* when the files were last stat()ed */
};

static void id_of(const struct stat *st, file_id_t *id)
{
    id->valid = 1;
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = st->st_size;
    id->mtime = st->st_mtim;
}

static int id_same(const file_id_t *a, const file_id_t *b)
{
    return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Opens path into a new MMDB_s. The reason of a failure goes into d. */
static int open_mmdb(const char *setting, const char *path, MMDB_s **out, ermes_diag_t *d)
{
    MMDB_s *db = ermes__calloc(1, sizeof(*db));
    int status;

    if (!db)
        return ERMES_ENOMEM;
    errno = 0;
    status = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (status != MMDB_SUCCESS) {
        if ((status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) && errno)
            ermes_diag_set(d, setting, "%s: cannot open %s: %s", setting, path, strerror(errno));
        else
            ermes_diag_set(d, setting, "%s: cannot open %s: %s", setting, path,
                           MMDB_strerror(status));
        ermes__free(db); /* MMDB_open frees what it had on failure */
        return status == MMDB_OUT_OF_MEMORY_ERROR ? ERMES_ENOMEM : ERMES_ECONFIG;
    }
    *out = db;
    return 0;
}

static void close_mmdb(MMDB_s *db)
{
    if (db) {
        MMDB_close(db);
        ermes__free(db);
    }
}

static void describe(const geoip_db_t *db, int level, const char *verb)
{
    const MMDB_metadata_s *m = &db->mmdb->metadata;
    char built[ERMES_TIME_STRLEN];

    ermes__time_format((int64_t)m->build_epoch * 1000, built);
    ermes__log(level, "%s: %s %s (%s, built %s)", db->setting, verb, db->path,
               m->database_type ? m->database_type : "unknown type", built);
}

static int db_open(geoip_db_t *db, const char *setting, const char *path, ermes_diag_t *d)
{
    struct stat st;
    int rc;

    db->setting = setting;
    if (!path || !*path)
        return 0;
    if (!(db->path = ermes__strdup(path)))
        return ERMES_ENOMEM;
    /* The identity is taken before the open: a file replaced in between is opened again at the
     * first check, never missed. */
    if (stat(path, &st) == 0)
        id_of(&st, &db->opened);
    if ((rc = open_mmdb(setting, path, &db->mmdb, d)))
        return rc;
    describe(db, ERMES_LOG_INFO, "opened");
    return 0;
}

static void db_close(geoip_db_t *db)
{
    close_mmdb(db->mmdb);
    ermes__free(db->path);
}

/* Reopens db when its file was replaced. Returns 1 when a new database was swapped in. */
static int db_reload(geoip_db_t *db)
{
    struct stat st;
    file_id_t now = {0};
    MMDB_s *fresh = NULL;
    ermes_diag_t d;
    int rc;

    if (!db->mmdb)
        return 0;
    if (stat(db->path, &st) != 0) {
        /* Gone for now (being replaced, or removed): keep what is open. */
        if (!db->missing)
            ermes__log(ERMES_LOG_WARNING, "%s: %s: %s; the database opened before stays in use",
                       db->setting, db->path, strerror(errno));
        db->missing = 1;
        return 0;
    }
    db->missing = 0;
    id_of(&st, &now);
    if (id_same(&now, &db->opened) || id_same(&now, &db->refused))
        return 0;
    ermes_diag_clear(&d);
    if ((rc = open_mmdb(db->setting, db->path, &fresh, &d))) {
        db->refused = now;
        ermes__log(ERMES_LOG_ERROR, "%s; the database opened before stays in use",
                   d.reason[0] ? d.reason : ermes_strerror(rc));
        return 0;
    }
    /* The new database is complete before it replaces the old one; no lookup is under way
     * (one thread at a time), so the old one can go at once. */
    close_mmdb(db->mmdb);
    db->mmdb = fresh;
    memset(db->cache, 0, sizeof(db->cache)); /* its records pointed into the old file */
    db->opened = now;
    memset(&db->refused, 0, sizeof(db->refused));
    describe(db, ERMES_LOG_NOTICE, "reopened");
    return 1;
}

int ermes__geoip_new(const ermes__geoip_options_t *o, ermes__geoip_t **out, ermes_diag_t *d)
{
    ermes__geoip_t *g;
    int rc;

    *out = NULL;
    if ((!o->asn_db || !*o->asn_db) && (!o->country_db || !*o->country_db))
        return 0;
    if (!(g = ermes__calloc(1, sizeof(*g))))
        return ERMES_ENOMEM;
    g->overwrite = o->overwrite;
    g->checked_ns = ermes__time_monotonic_ns();
    if ((rc = db_open(&g->asn, "geoip_asn_db", o->asn_db, d)) ||
        (rc = db_open(&g->country, "geoip_country_db", o->country_db, d))) {
        ermes__geoip_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void ermes__geoip_free(ermes__geoip_t *g)
{
    if (!g)
        return;
    db_close(&g->asn);
    db_close(&g->country);
    ermes__free(g);
}

int ermes__geoip_reload(ermes__geoip_t *g, int force)
{
    int64_t now;

    if (!g)
        return 0;
    now = ermes__time_monotonic_ns();
    if (!force && now - g->checked_ns < CHECK_INTERVAL_NS)
        return 0;
    g->checked_ns = now;
    return db_reload(&g->asn) + db_reload(&g->country);
}

/* ---- lookups ----------------------------------------------------------------------------- */

/* The record of ip in db; *found 0 when the database has none. */
static int db_find(MMDB_s *db, const ermes_ip_t *ip, MMDB_lookup_result_s *res)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    const struct sockaddr *sa;
    int mmdb_error = MMDB_SUCCESS;

    if (ip->family == ERMES_AF_INET) {
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        memcpy(&sin.sin_addr, ip->bytes, 4);
        sa = (const struct sockaddr *)&sin;
    } else {
        memset(&sin6, 0, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        memcpy(&sin6.sin6_addr, ip->bytes, 16);
        sa = (const struct sockaddr *)&sin6;
    }
    *res = MMDB_lookup_sockaddr(db, sa, &mmdb_error);
    if (mmdb_error == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) {
        res->found_entry = 0; /* an IPv4-only database knows nothing of IPv6 */
        return 0;
    }
    return mmdb_error == MMDB_SUCCESS ? 0 : ERMES_EIO;
}

/* The value at path (NULL-terminated) of an entry: 1 when it is there with one of the types
 * wanted, 0 when absent, <0 on a libmaxminddb error. */
static int get_value(MMDB_entry_s *entry, MMDB_entry_data_s *v, const char *const *path)
{
    int status = MMDB_aget_value(entry, v, path);

    if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        return 0; /* a key on the way is not a map: absent */
    if (status != MMDB_SUCCESS)
        return ERMES_EIO;
    return v->has_data ? 1 : 0;
}

static int get_string(MMDB_entry_s *entry, const char *const *path, const char **s, size_t *len)
{
    MMDB_entry_data_s v;
    int rc = get_value(entry, &v, path);

    if (rc <= 0)
        return rc;
    if (v.type != MMDB_DATA_TYPE_UTF8_STRING || v.data_size == 0)
        return 0;
    *s = v.utf8_string;
    *len = v.data_size;
    return 1;
}

static int get_uint(MMDB_entry_s *entry, const char *const *path, uint64_t *out)
{
    MMDB_entry_data_s v;
    int rc = get_value(entry, &v, path);

    if (rc <= 0)
        return rc;
    switch (v.type) {
    case MMDB_DATA_TYPE_UINT16:
        *out = v.uint16;
        return 1;
    case MMDB_DATA_TYPE_UINT32:
        *out = v.uint32;
        return 1;
    case MMDB_DATA_TYPE_UINT64:
        *out = v.uint64;
        return 1;
    case MMDB_DATA_TYPE_INT32:
        *out = v.int32 > 0 ? (uint64_t)v.int32 : 0;
        return 1;
    default:
        return 0;
    }
}

static int get_double(MMDB_entry_s *entry, const char *const *path, double *out)
{
    MMDB_entry_data_s v;
    int rc = get_value(entry, &v, path);

    if (rc <= 0)
        return rc;
    if (v.type == MMDB_DATA_TYPE_DOUBLE)
        *out = v.double_value;
    else if (v.type == MMDB_DATA_TYPE_FLOAT)
        *out = v.float_value;
    else
        return 0;
    return 1;
}

static void result_clear(ermes__geoip_result_t *out)
{
    memset(out, 0, sizeof(*out));
    out->prefix = -1;
}

/* What one data record of the ASN database says (the prefix comes from the tree, not here). */
static int extract_asn(MMDB_entry_s *entry, ermes__geoip_result_t *out)
{
    static const char *const number[] = {"autonomous_system_number", NULL};
    static const char *const org[] = {"autonomous_system_organization", NULL};
    uint64_t asn = 0;
    int rc;

    if ((rc = get_uint(entry, number, &asn)) < 0)
        return rc;
    if (rc == 0 || asn == 0 || asn > UINT32_MAX)
        return 0; /* a network without an AS says nothing here */
    out->asn = (uint32_t)asn;
    rc = get_string(entry, org, &out->as_name, &out->as_name_len);
    return rc < 0 ? rc : 0;
}

/* What one data record of the country (or city) database says. */
static int extract_country(MMDB_entry_s *entry, ermes__geoip_result_t *out)
{
    static const char *const iso[] = {"country", "iso_code", NULL};
    static const char *const city[] = {"city", "names", "en", NULL};
    static const char *const lat[] = {"location", "latitude", NULL};
    static const char *const lon[] = {"location", "longitude", NULL};
    const char *cc;
    size_t len;
    int rc;

    if ((rc = get_string(entry, iso, &cc, &len)) < 0)
        return rc;
    if (rc == 0 || len != 2)
        return 0; /* no country: the city and location alone are not trusted either */
    memcpy(out->cc, cc, 2);
    out->cc[2] = '\0';
    if ((rc = get_string(entry, city, &out->city, &out->city_len)) < 0)
        return rc;
    if ((rc = get_double(entry, lat, &out->latitude)) < 0)
        return rc;
    if (rc == 1 && (rc = get_double(entry, lon, &out->longitude)) < 0)
        return rc;
    out->has_location = rc == 1;
    if (out->has_location) {
        /* Formatted here once per record rather than once per event. */
        snprintf(out->latitude_text, sizeof(out->latitude_text), "%.17g", out->latitude);
        snprintf(out->longitude_text, sizeof(out->longitude_text), "%.17g", out->longitude);
    }
    return 0;
}

/* The record of ip in db, through db's cache of records seen: a feed's rows come from a few
 * networks over and over, and reading a record is most of a lookup's cost. *rec points into
 * the cache (valid until the next lookup in db); NULL when the database has nothing. */
static int db_record(geoip_db_t *db, const ermes_ip_t *ip,
                     int (*extract)(MMDB_entry_s *, ermes__geoip_result_t *),
                     const ermes__geoip_result_t **rec, int *prefix)
{
    MMDB_lookup_result_s res;
    record_t *slot;
    uint32_t key;
    int rc;

    *rec = NULL;
    if ((rc = db_find(db->mmdb, ip, &res)) || !res.found_entry)
        return rc;
    /* libmaxminddb counts an IPv4 address's prefix in the IPv6 tree when the database holds
     * both families: bring it back to IPv4's 0..32. */
    *prefix = res.netmask;
    if (ip->family == ERMES_AF_INET && db->mmdb->metadata.ip_version == 6)
        *prefix = res.netmask >= 96 ? res.netmask - 96 : -1;
    if (*prefix > (ip->family == ERMES_AF_INET ? 32 : 128))
        *prefix = -1;
    key = res.entry.offset + 1;
    slot = &db->cache[(key * 2654435761u) >> (32 - CACHE_BITS)];
    if (slot->key != key) {
        slot->key = 0;
        result_clear(&slot->r);
        if ((rc = extract(&res.entry, &slot->r)))
            return rc;
        slot->key = key;
    }
    *rec = &slot->r;
    return 0;
}

int ermes__geoip_lookup(ermes__geoip_t *g, const ermes_ip_t *ip, ermes__geoip_result_t *out)
{
    const ermes__geoip_result_t *rec;
    int rc = 0, prefix = -1;

    result_clear(out);
    if (!g || (ip->family != ERMES_AF_INET && ip->family != ERMES_AF_INET6))
        return 0;
    if (g->asn.mmdb && (rc = db_record(&g->asn, ip, extract_asn, &rec, &prefix)) == 0 && rec &&
        rec->asn) {
        out->asn = rec->asn;
        out->as_name = rec->as_name;
        out->as_name_len = rec->as_name_len;
        out->prefix = prefix;
    }
    if (!rc && g->country.mmdb &&
        (rc = db_record(&g->country, ip, extract_country, &rec, &prefix)) == 0 && rec) {
        memcpy(out->cc, rec->cc, sizeof(out->cc));
        out->city = rec->city;
        out->city_len = rec->city_len;
        out->has_location = rec->has_location;
        out->latitude = rec->latitude;
        out->longitude = rec->longitude;
        memcpy(out->latitude_text, rec->latitude_text, sizeof(out->latitude_text));
        memcpy(out->longitude_text, rec->longitude_text, sizeof(out->longitude_text));
    }
    if (rc)
        result_clear(out);
    return rc;
}

/* ---- enrichment --------------------------------------------------------------------------- */

typedef struct side {
    ermes_field_t ip, asn, as_name, network, cc, city, latitude, longitude;
} side_t;

static const side_t sides[] = {
    {ERMES_F_SOURCE_IP, ERMES_F_SOURCE_ASN, ERMES_F_SOURCE_AS_NAME, ERMES_F_SOURCE_NETWORK,
     ERMES_F_SOURCE_GEOLOCATION_CC, ERMES_F_SOURCE_GEOLOCATION_CITY,
     ERMES_F_SOURCE_GEOLOCATION_LATITUDE, ERMES_F_SOURCE_GEOLOCATION_LONGITUDE},
    {ERMES_F_DESTINATION_IP, ERMES_F_DESTINATION_ASN, ERMES_F_DESTINATION_AS_NAME,
     ERMES_F_DESTINATION_NETWORK, ERMES_F_DESTINATION_GEOLOCATION_CC,
     ERMES_F_DESTINATION_GEOLOCATION_CITY, ERMES_F_DESTINATION_GEOLOCATION_LATITUDE,
     ERMES_F_DESTINATION_GEOLOCATION_LONGITUDE},
};

/* Sets f to value unless the feed gave one and overwrite is off. A value the field's type
 * refuses (a database with odd data) is left out: only out of memory is an error. */
static int put(const ermes__geoip_t *g, ermes_event_t *ev, ermes_field_t f, const char *value,
               size_t len)
{
    int rc;

    if (!g->overwrite && ermes_event_get(ev, f, NULL))
        return 0;
    rc = ermes_event_set(ev, f, value, len, NULL);
    return rc == ERMES_ENOMEM ? rc : 0;
}

static int enrich_side(ermes__geoip_t *g, ermes_event_t *ev, const side_t *s)
{
    ermes__geoip_result_t r;
    ermes_ip_t ip;
    char buf[ERMES_CIDR_STRLEN];
    const char *text;
    size_t len;
    uint32_t asn = 0;
    int rc, n;

    if (ermes_event_ip(ev, s->ip, &ip))
        return 0;
    if (ermes__geoip_lookup(g, &ip, &r))
        return 0; /* the database failed on this address: the event goes on without */
    if (r.asn) {
        n = snprintf(buf, sizeof(buf), "%u", r.asn);
        if ((rc = put(g, ev, s->asn, buf, (size_t)n)))
            return rc;
        /* The name and network describe the AS found: only for an event that names it. */
        if (ermes_event_asn(ev, s->asn, &asn) == 0 && asn == r.asn) {
            if (r.as_name && (rc = put(g, ev, s->as_name, r.as_name, r.as_name_len)))
                return rc;
            text = ermes_event_get(ev, s->ip, &len);
            if (r.prefix >= 0 && text && len + 5 <= sizeof(buf)) {
                n = snprintf(buf, sizeof(buf), "%.*s/%d", (int)len, text, r.prefix);
                if ((rc = put(g, ev, s->network, buf, (size_t)n)))
                    return rc; /* the network type masks the host bits */
            }
        }
    }
    if (r.cc[0]) {
        if ((rc = put(g, ev, s->cc, r.cc, 2)))
            return rc;
        text = ermes_event_get(ev, s->cc, &len);
        if (text && len == 2 && memcmp(text, r.cc, 2) == 0) {
            if (r.city && (rc = put(g, ev, s->city, r.city, r.city_len)))
                return rc;
            if (r.has_location &&
                ((rc = put(g, ev, s->latitude, r.latitude_text, strlen(r.latitude_text))) ||
                 (rc = put(g, ev, s->longitude, r.longitude_text, strlen(r.longitude_text)))))
                return rc;
        }
    }
    return 0;
}

int ermes__geoip_enrich(ermes__geoip_t *g, ermes_event_t *ev)
{
    int rc;

    if (!g)
        return 0;
    ermes__geoip_reload(g, 0);
    for (size_t k = 0; k < sizeof(sides) / sizeof(sides[0]); k++)
        if ((rc = enrich_side(g, ev, &sides[k])))
            return rc;
    return 0;
}
