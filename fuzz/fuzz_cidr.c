/* libFuzzer target for the address and network parsers (src/core/net.c).
 *
 * Feeds the input, exactly size bytes with no terminating NUL, to ermes_ip_parse and to
 * ermes_cidr_parse in strict and lenient mode. Whatever parses must format to text that parses
 * back to the same value and formats to the same text again; anything rejected must say why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/error.h"
#include "ermes/net.h"

static void check(int ok, const char *what, const uint8_t *data, size_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_cidr: %s for input \"%.*s\"\n", what, (int)size, (const char *)data);
    abort();
}

static void check_rejection(int rc, const ermes_diag_t *d, const uint8_t *data, size_t size)
{
    check(rc == ERMES_EPARSE, "unexpected error code", data, size);
    check(d->reason[0] != '\0', "rejection without a reason", data, size);
    check(d->column >= 1 && d->column <= (long)size + 1, "column out of range", data, size);
}

static void round_trip_ip(const ermes_ip_t *ip, const uint8_t *data, size_t size)
{
    char text[ERMES_IP_STRLEN], again_text[ERMES_IP_STRLEN];
    ermes_ip_t again;
    ermes_diag_t d;
    size_t n;

    n = ermes_ip_format(ip, text);
    check(n > 0 && n < ERMES_IP_STRLEN && strlen(text) == n, "bad address format", data, size);
    ermes_diag_clear(&d);
    check(ermes_ip_parse(text, n, &again, &d) == 0, "formatted address does not parse", data, size);
    check(ermes_ip_cmp(ip, &again) == 0 && memcmp(ip, &again, sizeof(again)) == 0,
          "address round trip mismatch", data, size);
    ermes_ip_format(&again, again_text);
    check(strcmp(text, again_text) == 0, "address format not canonical", data, size);
}

static void round_trip_cidr(const ermes_cidr_t *net, const uint8_t *data, size_t size)
{
    char text[ERMES_CIDR_STRLEN], again_text[ERMES_CIDR_STRLEN];
    ermes_cidr_t again;
    ermes_diag_t d;
    size_t n;

    n = ermes_cidr_format(net, text);
    check(n > 0 && n < ERMES_CIDR_STRLEN && strlen(text) == n, "bad network format", data, size);
    ermes_diag_clear(&d);
    check(ermes_cidr_parse(text, n, 0, &again, &d) == 0, "formatted network does not parse", data,
          size);
    check(ermes_ip_cmp(&net->addr, &again.addr) == 0 && net->prefix == again.prefix,
          "network round trip mismatch", data, size);
    ermes_cidr_format(&again, again_text);
    check(strcmp(text, again_text) == 0, "network format not canonical", data, size);
    check(ermes_cidr_contains(net, &net->addr), "network does not contain its address", data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so that reading past the end trips AddressSanitizer. */
    char *s = malloc(size ? size : 1);
    ermes_ip_t ip;
    ermes_cidr_t strict, lenient;
    ermes_diag_t d;
    int rc_ip, rc_strict, rc_lenient;

    if (!s)
        return 0;
    memcpy(s, data, size);

    ermes_diag_clear(&d);
    rc_ip = ermes_ip_parse(s, size, &ip, &d);
    if (rc_ip == 0)
        round_trip_ip(&ip, data, size);
    else
        check_rejection(rc_ip, &d, data, size);

    ermes_diag_clear(&d);
    rc_strict = ermes_cidr_parse(s, size, 0, &strict, &d);
    if (rc_strict == 0)
        round_trip_cidr(&strict, data, size);
    else
        check_rejection(rc_strict, &d, data, size);

    ermes_diag_clear(&d);
    rc_lenient = ermes_cidr_parse(s, size, ERMES_CIDR_LENIENT, &lenient, &d);
    if (rc_lenient == 0)
        round_trip_cidr(&lenient, data, size);
    else
        check_rejection(rc_lenient, &d, data, size);

    /* Lenient accepts a superset of strict and agrees with it where both accept. */
    check(rc_strict != 0 || rc_lenient == 0, "strict accepts what lenient rejects", data, size);
    if (rc_strict == 0)
        check(memcmp(&strict, &lenient, sizeof(strict)) == 0, "strict and lenient differ", data,
              size);
    /* A bare address is also a host network. */
    if (rc_ip == 0)
        check(rc_strict == 0 && ermes_ip_cmp(&ip, &strict.addr) == 0 &&
                  strict.prefix == (ip.family == ERMES_AF_INET ? 32 : 128),
              "address and host network disagree", data, size);

    free(s);
    return 0;
}
