/* IP addresses and CIDR networks, IPv4 and IPv6. */
#ifndef ERMES_NET_H
#define ERMES_NET_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

#define ERMES_AF_INET 4
#define ERMES_AF_INET6 6

/* An address in network byte order. IPv4 uses bytes[0..3], the rest zero. */
typedef struct ermes_ip {
    uint8_t family; /* ERMES_AF_INET or ERMES_AF_INET6 */
    uint8_t bytes[16];
} ermes_ip_t;

/* A network: the address has all host bits zero (parsing rejects set host bits unless
 * ERMES_CIDR_LENIENT is given, which masks them). */
typedef struct ermes_cidr {
    ermes_ip_t addr;
    uint8_t prefix; /* 0..32 or 0..128 */
} ermes_cidr_t;

/* Longest text forms, with the terminating NUL. */
#define ERMES_IP_STRLEN 46
#define ERMES_CIDR_STRLEN 50

#define ERMES_CIDR_LENIENT 1u /* mask host bits instead of rejecting them */

/* Parses s[0..len) as an IPv4 dotted quad (exactly four decimal parts, no leading zeros
 * beyond a single "0") or an IPv6 address (RFC 4291 section 2.2, including "::" and an
 * embedded IPv4 tail; no zone index). Returns 0, ERMES_EPARSE (reason in d if non-NULL). */
int ermes_ip_parse(const char *s, size_t len, ermes_ip_t *out, struct ermes_diag *d);

/* Parses "addr/prefix" or a bare address (a host network, /32 or /128). */
int ermes_cidr_parse(const char *s, size_t len, unsigned flags, ermes_cidr_t *out,
                     struct ermes_diag *d);

/* Canonical text (IPv6 per RFC 5952: lower case, longest zero run compressed, ties to the
 * first, a single zero group never compressed). buf must hold ERMES_IP_STRLEN /
 * ERMES_CIDR_STRLEN bytes. Returns the length written. */
size_t ermes_ip_format(const ermes_ip_t *ip, char *buf);
size_t ermes_cidr_format(const ermes_cidr_t *net, char *buf);

/* 1 if ip lies inside net (same family), else 0. */
int ermes_cidr_contains(const ermes_cidr_t *net, const ermes_ip_t *ip);

/* Compares two addresses: family first, then bytes. <0, 0, >0. */
int ermes_ip_cmp(const ermes_ip_t *a, const ermes_ip_t *b);

#endif
