/* Events: one observation from a feed, with IntelMQ's harmonized field names and types
 * (intelmq/etc/harmonization.conf 3.3, plus 3.5's severity, constituency and product.*), so a
 * CERT moving from IntelMQ sees the same events, field for field.
 *
 * An event holds each field once, as its canonical text (what IntelMQ's JSON would show: IPs
 * canonical, FQDNs lower case without the trailing dot, times "YYYY-MM-DDTHH:MM:SS+00:00",
 * integers in decimal...), validated and sanitised by the field's type on the way in. Anything
 * a feed says that has no harmonized field goes to extra.* with its JSON type. Memory comes
 * from the event's arena; ermes_event_reset() makes the event reusable for the next row
 * without freeing, so a parser allocates nothing per row once warm. */
#ifndef ERMES_EVENT_H
#define ERMES_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"
#include "ermes/net.h"

/* Field types (intelmq/lib/harmonization.py). */
typedef enum ermes_ftype {
    ERMES_FT_STRING,  /* non-empty, no leading/trailing white space */
    ERMES_FT_LOWER,   /* LowercaseString */
    ERMES_FT_UPPER,   /* UppercaseString */
    ERMES_FT_INTEGER, /* decimal integer */
    ERMES_FT_FLOAT,
    ERMES_FT_BOOLEAN,  /* true/false */
    ERMES_FT_ACCURACY, /* float 0..100 */
    ERMES_FT_IP,       /* IPAddress: v4 or v6, canonical text; 0.0.0.0 and :: invalid */
    ERMES_FT_NETWORK,  /* IPNetwork: host bits are masked */
    ERMES_FT_ASN,      /* 1..4294967295, an "AS" prefix stripped */
    ERMES_FT_FQDN,     /* lower case, no trailing dot, no ':', IDNA A-labels checked */
    ERMES_FT_URL,      /* hxxp -> http, scheme and host lower case, a host required */
    ERMES_FT_DATETIME, /* converted to UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00" */
    ERMES_FT_TAXONOMY, /* RSIT class (classification.taxonomy) */
    ERMES_FT_CTYPE,    /* RSIT type with IntelMQ's additions and legacy aliases */
    ERMES_FT_TLP,      /* TLP 2.0 name; WHITE -> CLEAR, "tlp:" prefix accepted */
    ERMES_FT_REGISTRY, /* AFRINIC APNIC ARIN LACNIC RIPE (RIPE-NCC, RIPENCC -> RIPE) */
    ERMES_FT_BASE64,
    ERMES_FT_JSON, /* a JSON text */
    ERMES_FT_CC    /* two letters or digits, upper-cased (geolocation.cc) */
} ermes_ftype_t;

/* The harmonized fields: X(ID, "name", TYPE). ID names the enum constant ERMES_F_<ID>. */
#define ERMES_EVENT_FIELDS(X)                                                                      \
    X(CLASSIFICATION_IDENTIFIER, "classification.identifier", ERMES_FT_STRING)                     \
    X(CLASSIFICATION_TAXONOMY, "classification.taxonomy", ERMES_FT_TAXONOMY)                       \
    X(CLASSIFICATION_TYPE, "classification.type", ERMES_FT_CTYPE)                                  \
    X(COMMENT, "comment", ERMES_FT_STRING)                                                         \
    X(CONSTITUENCY, "constituency", ERMES_FT_STRING)                                               \
    X(DESTINATION_ABUSE_CONTACT, "destination.abuse_contact", ERMES_FT_LOWER)                      \
    X(DESTINATION_ACCOUNT, "destination.account", ERMES_FT_STRING)                                 \
    X(DESTINATION_ALLOCATED, "destination.allocated", ERMES_FT_DATETIME)                           \
    X(DESTINATION_AS_NAME, "destination.as_name", ERMES_FT_STRING)                                 \
    X(DESTINATION_ASN, "destination.asn", ERMES_FT_ASN)                                            \
    X(DESTINATION_DOMAIN_SUFFIX, "destination.domain_suffix", ERMES_FT_FQDN)                       \
    X(DESTINATION_FQDN, "destination.fqdn", ERMES_FT_FQDN)                                         \
    X(DESTINATION_GEOLOCATION_CC, "destination.geolocation.cc", ERMES_FT_CC)                       \
    X(DESTINATION_GEOLOCATION_CITY, "destination.geolocation.city", ERMES_FT_STRING)               \
    X(DESTINATION_GEOLOCATION_COUNTRY, "destination.geolocation.country", ERMES_FT_STRING)         \
    X(DESTINATION_GEOLOCATION_LATITUDE, "destination.geolocation.latitude", ERMES_FT_FLOAT)        \
    X(DESTINATION_GEOLOCATION_LONGITUDE, "destination.geolocation.longitude", ERMES_FT_FLOAT)      \
    X(DESTINATION_GEOLOCATION_REGION, "destination.geolocation.region", ERMES_FT_STRING)           \
    X(DESTINATION_GEOLOCATION_STATE, "destination.geolocation.state", ERMES_FT_STRING)             \
    X(DESTINATION_IP, "destination.ip", ERMES_FT_IP)                                               \
    X(DESTINATION_LOCAL_HOSTNAME, "destination.local_hostname", ERMES_FT_STRING)                   \
    X(DESTINATION_LOCAL_IP, "destination.local_ip", ERMES_FT_IP)                                   \
    X(DESTINATION_NETWORK, "destination.network", ERMES_FT_NETWORK)                                \
    X(DESTINATION_PORT, "destination.port", ERMES_FT_INTEGER)                                      \
    X(DESTINATION_REGISTRY, "destination.registry", ERMES_FT_REGISTRY)                             \
    X(DESTINATION_REVERSE_DNS, "destination.reverse_dns", ERMES_FT_FQDN)                           \
    X(DESTINATION_TOR_NODE, "destination.tor_node", ERMES_FT_BOOLEAN)                              \
    X(DESTINATION_URL, "destination.url", ERMES_FT_URL)                                            \
    X(DESTINATION_URLPATH, "destination.urlpath", ERMES_FT_STRING)                                 \
    X(EVENT_DESCRIPTION_TARGET, "event_description.target", ERMES_FT_STRING)                       \
    X(EVENT_DESCRIPTION_TEXT, "event_description.text", ERMES_FT_STRING)                           \
    X(EVENT_DESCRIPTION_URL, "event_description.url", ERMES_FT_URL)                                \
    X(EVENT_HASH, "event_hash", ERMES_FT_UPPER)                                                    \
    X(FEED_ACCURACY, "feed.accuracy", ERMES_FT_ACCURACY)                                           \
    X(FEED_CODE, "feed.code", ERMES_FT_STRING)                                                     \
    X(FEED_DOCUMENTATION, "feed.documentation", ERMES_FT_STRING)                                   \
    X(FEED_NAME, "feed.name", ERMES_FT_STRING)                                                     \
    X(FEED_PROVIDER, "feed.provider", ERMES_FT_STRING)                                             \
    X(FEED_URL, "feed.url", ERMES_FT_URL)                                                          \
    X(MALWARE_HASH_MD5, "malware.hash.md5", ERMES_FT_STRING)                                       \
    X(MALWARE_HASH_SHA1, "malware.hash.sha1", ERMES_FT_STRING)                                     \
    X(MALWARE_HASH_SHA256, "malware.hash.sha256", ERMES_FT_STRING)                                 \
    X(MALWARE_NAME, "malware.name", ERMES_FT_LOWER)                                                \
    X(MALWARE_VERSION, "malware.version", ERMES_FT_STRING)                                         \
    X(MISP_ATTRIBUTE_UUID, "misp.attribute_uuid", ERMES_FT_LOWER)                                  \
    X(MISP_EVENT_UUID, "misp.event_uuid", ERMES_FT_LOWER)                                          \
    X(OUTPUT, "output", ERMES_FT_JSON)                                                             \
    X(PRODUCT_FULL_NAME, "product.full_name", ERMES_FT_STRING)                                     \
    X(PRODUCT_NAME, "product.name", ERMES_FT_STRING)                                               \
    X(PRODUCT_VENDOR, "product.vendor", ERMES_FT_STRING)                                           \
    X(PRODUCT_VERSION, "product.version", ERMES_FT_STRING)                                         \
    X(PRODUCT_VULNERABILITIES, "product.vulnerabilities", ERMES_FT_LOWER)                          \
    X(PROTOCOL_APPLICATION, "protocol.application", ERMES_FT_LOWER)                                \
    X(PROTOCOL_TRANSPORT, "protocol.transport", ERMES_FT_LOWER)                                    \
    X(RAW, "raw", ERMES_FT_BASE64)                                                                 \
    X(RTIR_ID, "rtir_id", ERMES_FT_INTEGER)                                                        \
    X(SCREENSHOT_URL, "screenshot_url", ERMES_FT_URL)                                              \
    X(SEVERITY, "severity", ERMES_FT_LOWER)                                                        \
    X(SOURCE_ABUSE_CONTACT, "source.abuse_contact", ERMES_FT_LOWER)                                \
    X(SOURCE_ACCOUNT, "source.account", ERMES_FT_STRING)                                           \
    X(SOURCE_ALLOCATED, "source.allocated", ERMES_FT_DATETIME)                                     \
    X(SOURCE_AS_NAME, "source.as_name", ERMES_FT_STRING)                                           \
    X(SOURCE_ASN, "source.asn", ERMES_FT_ASN)                                                      \
    X(SOURCE_DOMAIN_SUFFIX, "source.domain_suffix", ERMES_FT_FQDN)                                 \
    X(SOURCE_FQDN, "source.fqdn", ERMES_FT_FQDN)                                                   \
    X(SOURCE_GEOLOCATION_CC, "source.geolocation.cc", ERMES_FT_CC)                                 \
    X(SOURCE_GEOLOCATION_CITY, "source.geolocation.city", ERMES_FT_STRING)                         \
    X(SOURCE_GEOLOCATION_COUNTRY, "source.geolocation.country", ERMES_FT_STRING)                   \
    X(SOURCE_GEOLOCATION_CYMRU_CC, "source.geolocation.cymru_cc", ERMES_FT_CC)                     \
    X(SOURCE_GEOLOCATION_GEOIP_CC, "source.geolocation.geoip_cc", ERMES_FT_CC)                     \
    X(SOURCE_GEOLOCATION_LATITUDE, "source.geolocation.latitude", ERMES_FT_FLOAT)                  \
    X(SOURCE_GEOLOCATION_LONGITUDE, "source.geolocation.longitude", ERMES_FT_FLOAT)                \
    X(SOURCE_GEOLOCATION_REGION, "source.geolocation.region", ERMES_FT_STRING)                     \
    X(SOURCE_GEOLOCATION_STATE, "source.geolocation.state", ERMES_FT_STRING)                       \
    X(SOURCE_IP, "source.ip", ERMES_FT_IP)                                                         \
    X(SOURCE_LOCAL_HOSTNAME, "source.local_hostname", ERMES_FT_STRING)                             \
    X(SOURCE_LOCAL_IP, "source.local_ip", ERMES_FT_IP)                                             \
    X(SOURCE_NETWORK, "source.network", ERMES_FT_NETWORK)                                          \
    X(SOURCE_PORT, "source.port", ERMES_FT_INTEGER)                                                \
    X(SOURCE_REGISTRY, "source.registry", ERMES_FT_REGISTRY)                                       \
    X(SOURCE_REVERSE_DNS, "source.reverse_dns", ERMES_FT_FQDN)                                     \
    X(SOURCE_TOR_NODE, "source.tor_node", ERMES_FT_BOOLEAN)                                        \
    X(SOURCE_URL, "source.url", ERMES_FT_URL)                                                      \
    X(SOURCE_URLPATH, "source.urlpath", ERMES_FT_STRING)                                           \
    X(STATUS, "status", ERMES_FT_STRING)                                                           \
    X(TIME_OBSERVATION, "time.observation", ERMES_FT_DATETIME)                                     \
    X(TIME_SOURCE, "time.source", ERMES_FT_DATETIME)                                               \
    X(TLP, "tlp", ERMES_FT_TLP)

typedef enum ermes_field {
#define ERMES__FIELD_ENUM(id, name, type) ERMES_F_##id,
    ERMES_EVENT_FIELDS(ERMES__FIELD_ENUM)
#undef ERMES__FIELD_ENUM
        ERMES_F_COUNT
} ermes_field_t;

/* Field metadata. ermes_field_lookup: ERMES_F_COUNT when name is no harmonized field (an
 * "extra.*" name is not one: see ermes_event_set_extra). */
const char *ermes_field_name(ermes_field_t f);
ermes_ftype_t ermes_field_type(ermes_field_t f);
ermes_field_t ermes_field_lookup(const char *name, size_t len);

/* JSON type of an extra.* value. */
typedef enum ermes_extra_type {
    ERMES_EXTRA_STRING,
    ERMES_EXTRA_INTEGER,
    ERMES_EXTRA_FLOAT,
    ERMES_EXTRA_BOOLEAN,
    ERMES_EXTRA_JSON /* a JSON text kept as is (object, array, null) */
} ermes_extra_type_t;

typedef struct ermes_event ermes_event_t;

/* Caller frees with ermes_event_free(). */
int ermes_event_new(ermes_event_t **out);
void ermes_event_free(ermes_event_t *ev);
/* Forgets every field; keeps the memory for the next event. */
void ermes_event_reset(ermes_event_t *ev);

/* Sets field f from text (borrowed, copied): sanitised and validated by the field's type.
 * An empty value (after trimming) leaves the field unset and returns 0. Returns 0,
 * ERMES_EINVAL with d->field = the field name and d->reason (e.g. "source.ip: \"300.1.1.1\"
 * is not an IP address"), ERMES_ENOMEM. */
int ermes_event_set(ermes_event_t *ev, ermes_field_t f, const char *value, size_t len,
                    ermes_diag_t *d);
/* The same by name; a name starting with "extra." sets an extra string; any other unknown
 * name is ERMES_EINVAL ("unknown field"). */
int ermes_event_set_name(ermes_event_t *ev, const char *name, const char *value, size_t len,
                         ermes_diag_t *d);
/* Sets extra.<key>. key: lower case [a-z_][a-z_0-9]* segments separated by '.', as IntelMQ
 * requires; other keys are normalised (lower-cased, other characters to '_'). For
 * ERMES_EXTRA_INTEGER/FLOAT/BOOLEAN the text must parse as that type (else ERMES_EINVAL);
 * ERMES_EXTRA_JSON must be valid JSON. An empty string value leaves it unset. */
int ermes_event_set_extra(ermes_event_t *ev, const char *key, size_t keylen, const char *value,
                          size_t len, ermes_extra_type_t type, ermes_diag_t *d);
void ermes_event_unset(ermes_event_t *ev, ermes_field_t f);

/* The canonical text of a field, or NULL when unset. *len may be NULL. Valid until the next
 * reset. */
const char *ermes_event_get(const ermes_event_t *ev, ermes_field_t f, size_t *len);
/* The first field at or after f that is set, ERMES_F_COUNT when none: for walking the set
 * fields of an event without asking for every field. */
ermes_field_t ermes_event_next(const ermes_event_t *ev, unsigned f);
/* Typed views of fields set (0 / ERMES_ENOTFOUND when unset). */
int ermes_event_ip(const ermes_event_t *ev, ermes_field_t f, ermes_ip_t *out);
int ermes_event_time_ms(const ermes_event_t *ev, ermes_field_t f, int64_t *out);
int ermes_event_asn(const ermes_event_t *ev, ermes_field_t f, uint32_t *out);

/* Number of extra.* values and the i-th one (key without "extra.", text, type). */
size_t ermes_event_extra_count(const ermes_event_t *ev);
void ermes_event_extra_at(const ermes_event_t *ev, size_t i, const char **key, const char **value,
                          size_t *len, ermes_extra_type_t *type);

/* Appends the event as one JSON object in IntelMQ's form: flat dotted keys in sorted order
 * ("classification.type", ..., "extra.tag", ...), integers and floats as numbers, booleans as
 * true/false, everything else as strings. out is a struct ermes_strbuf (src/core/strbuf.h).
 * Returns 0, ERMES_ETOOBIG, ERMES_ENOMEM. */
struct ermes_strbuf;
int ermes_event_to_json(const ermes_event_t *ev, struct ermes_strbuf *out);

/* Reads an event from one JSON object in the same form (unknown non-extra keys are errors). */
int ermes_event_from_json(ermes_event_t *ev, const char *json, size_t len, ermes_diag_t *d);

/* ---- the harmonization functions the event uses, for parsers that need them alone ----- */

/* Sanitises value per type into buf (cap bytes, NUL-terminated); *outlen gets the length.
 * Returns 0, ERMES_EINVAL (reason in d, field not set), ERMES_ETOOBIG (buf too small). */
int ermes_harmonize(ermes_ftype_t type, const char *value, size_t len, char *buf, size_t cap,
                    size_t *outlen, ermes_diag_t *d);

/* Time converters for feeds' own formats, all to ms since the epoch (UTC):
 *   ERMES_TIME_AUTO      RFC 3339 / ISO 8601 with or without offset ("2024-01-02 03:04:05" is
 *                        taken as UTC), or epoch seconds when all digits;
 *   ERMES_TIME_EPOCH     seconds (may have a fraction); ERMES_TIME_EPOCH_MS milliseconds;
 *   ERMES_TIME_WINDOWS_NT  100 ns ticks since 1601;
 *   ERMES_TIME_HTTP      RFC 7231 date ("Mon, 14 Sep 2015 04:39:22 GMT"). */
typedef enum ermes_time_format {
    ERMES_TIME_AUTO,
    ERMES_TIME_EPOCH,
    ERMES_TIME_EPOCH_MS,
    ERMES_TIME_WINDOWS_NT,
    ERMES_TIME_HTTP
} ermes_time_format_t;
int ermes_time_convert(ermes_time_format_t fmt, const char *value, size_t len, int64_t *ms,
                       ermes_diag_t *d);
/* Formats ms as IntelMQ does: "YYYY-MM-DDTHH:MM:SS+00:00" (with ".ffffff" only when the
 * milliseconds are not zero). buf holds at least 40 bytes. Returns the length. */
size_t ermes_time_format_intelmq(int64_t ms, char *buf);

/* RSIT: the class (taxonomy) of a classification.type, or NULL for an unknown type. */
const char *ermes_taxonomy_of_type(const char *type);
/* 1 when taxonomy is an RSIT class ("vulnerable", "intrusions", ...). */
int ermes_taxonomy_valid(const char *taxonomy);

#endif
