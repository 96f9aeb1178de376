/* GeoIP enrichment: the autonomous system and the country (with city and location when the
 * database has them) of an event's source.ip and destination.ip, from MaxMind DB files
 * (GeoLite2-ASN; GeoLite2-Country or GeoLite2-City, or any database with the same keys), as
 * IntelMQ's maxmind_geoip expert does. Internal to src/intake/.
 *
 * The database files are trusted configuration (the operator's own files, typically kept
 * current by geoipupdate), not input: they are not fuzzed. Every libmaxminddb error is still
 * handled: a file that cannot be opened is an error at start; later, a replaced file that
 * cannot be opened is a line in the log and the previous database stays in use; a lookup that
 * fails leaves the event as it was.
 *
 * Replaced files are noticed: at most once a second (on the next enrichment), each file is
 * stat()ed, and when its inode, size or mtime changed it is opened anew and swapped in whole,
 * the old one closed after. Replace the file by renaming a new one over it (geoipupdate does):
 * the database is mapped into memory, so a file rewritten in place could be read half-written.
 *
 * An ermes__geoip_t is used by one thread at a time (the intake's lock serialises reports). */
#ifndef ERMES_INTAKE_GEOIP_H
#define ERMES_INTAKE_GEOIP_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"
#include "ermes/event.h"
#include "ermes/net.h"

typedef struct ermes__geoip ermes__geoip_t;

typedef struct ermes__geoip_options {
    const char *asn_db;     /* GeoLite2-ASN style file, or NULL; borrowed (copied) */
    const char *country_db; /* GeoLite2-Country or -City style file, or NULL; borrowed (copied) */
    int overwrite;          /* 1: replace values the feed supplied; 0: only fill empty fields */
} ermes__geoip_options_t;

/* Opens the configured databases. *out is NULL when none is configured (every function takes
 * a NULL ermes__geoip_t and does nothing). A file that cannot be opened: ERMES_ECONFIG with d
 * naming the setting, the path and libmaxminddb's reason; ERMES_ENOMEM. Caller frees with
 * ermes__geoip_free(). */
int ermes__geoip_new(const ermes__geoip_options_t *o, ermes__geoip_t **out, ermes_diag_t *d);
void ermes__geoip_free(ermes__geoip_t *g);

/* What the databases say about one address. Strings point into the mapped database (not
 * NUL-terminated): valid until the next call on the same ermes__geoip_t. */
typedef struct ermes__geoip_result {
    uint32_t asn;        /* 0: none */
    const char *as_name; /* NULL: none */
    size_t as_name_len;
    int prefix;       /* the ASN database's network for the address: its prefix length in
                       * the address's family (0..32, 0..128); -1: no network found */
    char cc[3];       /* ISO 3166-1 alpha-2, "" when none */
    const char *city; /* city.names.en, NULL: none */
    size_t city_len;
    int has_location; /* latitude and longitude set */
    double latitude, longitude;
    char latitude_text[32], longitude_text[32]; /* the same as text ("%.17g") */
} ermes__geoip_result_t;

/* Looks ip up in both databases. 0 (fields not found are left empty), ERMES_EIO when
 * libmaxminddb fails on the file (then *out is empty too). */
int ermes__geoip_lookup(ermes__geoip_t *g, const ermes_ip_t *ip, ermes__geoip_result_t *out);

/* Fills source.{asn,as_name,network,geolocation.cc,geolocation.city,geolocation.latitude,
 * geolocation.longitude} from source.ip, and destination.* from destination.ip. Without
 * overwrite only empty fields are filled; as_name and network only when the event's asn is
 * the one found, city and location only when its geolocation.cc is the one found, so that a
 * value the feed supplied is never paired with data about another network or country.
 * Checks the files for replacement first (at most once a second). 0 or ERMES_ENOMEM. */
int ermes__geoip_enrich(ermes__geoip_t *g, ermes_event_t *ev);

/* Checks whether the files were replaced and reopens those that were (force: now, else at most
 * once a second). Returns the number of databases swapped in. */
int ermes__geoip_reload(ermes__geoip_t *g, int force);

#endif
