/* Observables in free text: what an incident report by e-mail names (IPv4 and IPv6 addresses,
 * CIDR networks, domains, URLs, e-mail addresses, MD5, SHA-1 and SHA-256 hashes, CVE ids),
 * found in its subject, body and text attachments. Reporters de-fang what they paste so that
 * nobody clicks it (hxxp://, example[.]org, example(dot)org, user[@]example.org): the text is
 * re-fanged before it is read. Domains are kept only under a top-level domain of the Public
 * Suffix List (libpsl's built-in copy), so file names ("invoice.pdf") and version numbers
 * ("2.4.1") are not taken for domains. */
#ifndef ERMES_MAIL_OBSERVABLES_H
#define ERMES_MAIL_OBSERVABLES_H

#include <stddef.h>

#include "ermes/error.h"

typedef enum ermes__obs_type {
    ERMES_OBS_IPV4,
    ERMES_OBS_IPV6,
    ERMES_OBS_CIDR,
    ERMES_OBS_DOMAIN,
    ERMES_OBS_URL,
    ERMES_OBS_EMAIL,
    ERMES_OBS_MD5,
    ERMES_OBS_SHA1,
    ERMES_OBS_SHA256,
    ERMES_OBS_CVE,
    ERMES_OBS_COUNT
} ermes__obs_type_t;

/* "ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "cve". */
const char *ermes__obs_type_name(ermes__obs_type_t t);

typedef struct ermes__observable {
    ermes__obs_type_t type;
    char *value;       /* canonical: addresses as ermes_ip_format, domains and hashes lower
                        * case, CVE ids upper case, URLs re-fanged with a lower-case scheme */
    const char *where; /* the found_in label given to ermes__observables_extract (borrowed) */
} ermes__observable_t;

/* A set of observables, each value once per type, in the order first seen. */
typedef struct ermes__observables {
    ermes__observable_t *items;
    size_t n, cap;
    size_t max; /* at most this many are kept (0: 10000); more set truncated */
    int truncated;
    size_t *slots; /* hash index over items (1-based; 0 empty) */
    size_t nslots;
} ermes__observables_t;

void ermes__observables_init(ermes__observables_t *o, size_t max);
void ermes__observables_cleanup(ermes__observables_t *o);

/* Adds the observables of text[0..len) (any bytes; not NUL-terminated) to o, labelled where
 * (borrowed: must outlive o, e.g. a string literal or the caller's copy). Returns 0 or
 * ERMES_ENOMEM; a full set is not an error (o->truncated). */
int ermes__observables_extract(ermes__observables_t *o, const char *text, size_t len,
                               const char *where);

/* Re-fangs text[0..len) into out (cap bytes, NUL-terminated; the result is never longer
 * than the input): hxxp -> http, [.] (.) {.} [dot] (dot) {dot} -> ".", [@] (@) [at] (at)
 * -> "@", [:] -> ":". Returns the length written (cap must be at least len + 1). */
size_t ermes__observables_refang(const char *text, size_t len, char *out, size_t cap);

#endif
