/* UUIDs: name-based version 5 (RFC 9562 section 5.5), for the deterministic ids STIX wants
 * (the same object always gets the same id), and random version 4. */
#ifndef ERMES_CORE_UUID_H
#define ERMES_CORE_UUID_H

#include <stddef.h>

/* The STIX 2.1 namespace of cyber-observable ids (STIX 2.1 section 2.9). */
#define ERMES__UUID_STIX_SCO_NS "00abedb4-aa42-466c-9c01-fed23315a9b7"
/* ermes's own namespace, for the SDOs and SROs it makes from its objects (STIX forbids the
 * SCO namespace for them). */
#define ERMES__UUID_ERMES_NS "4f1b3c2e-8d5a-5e67-9a0b-e11e5c0de5a1"

/* UUIDv5 of name (len bytes) in namespace ns ("xxxxxxxx-xxxx-..."), written with a NUL into out.
 * Returns 0 or ERMES_EINVAL (ns is not a UUID). */
int ermes__uuid5(const char *ns, const char *name, size_t len, char out[37]);
/* A random UUIDv4 into out. */
void ermes__uuid4(char out[37]);
/* 1 if s (len bytes) is a UUID in its text form, lower or upper case. */
int ermes__uuid_valid(const char *s, size_t len);

#endif
