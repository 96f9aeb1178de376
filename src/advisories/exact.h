/* Exact decimal arithmetic for the CVSS formulas.
 *
 * A value is a signed integer mantissa of up to ERMES__EXACT_LIMBS 32-bit limbs and a decimal
 * scale: mantissa * 10^-scale. The CVSS 3.x formulas raise six- to thirteen-decimal numbers to
 * the 13th and 15th power (up to some 200 decimal digits), which no machine number holds
 * exactly; with these every intermediate is exact and only the spec's own rounding steps
 * (Roundup, round to one decimal) round. */
#ifndef ERMES_ADVISORIES_EXACT_H
#define ERMES_ADVISORIES_EXACT_H

#include <stdint.h>

#define ERMES__EXACT_LIMBS 48

typedef struct ermes__exact {
    uint32_t m[ERMES__EXACT_LIMBS]; /* magnitude, least significant limb first */
    int n;                          /* limbs in use; 0 is the value zero */
    int neg;                        /* 1 when negative (never for zero) */
    int scale;                      /* decimal places */
} ermes__exact_t;

/* The rounding modes of the CVSS specifications. */
typedef enum {
    ERMES__ROUND_FLOOR,   /* toward minus infinity */
    ERMES__ROUND_CEIL,    /* toward plus infinity (CVSS 3.0 Round up) */
    ERMES__ROUND_HALF_UP, /* to nearest, halves away from zero for positive values */
} ermes__round_t;

/* r = v * 10^-scale. */
void ermes__exact_set(ermes__exact_t *r, int64_t v, int scale);
/* r = a + b, a - b, a * b (r may alias a or b). Return 0, or ERMES_ERANGE past the limbs. */
int ermes__exact_add(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b);
int ermes__exact_sub(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b);
int ermes__exact_mul(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b);
/* r = a^k (k >= 1). */
int ermes__exact_pow(ermes__exact_t *r, const ermes__exact_t *a, unsigned k);
/* -1, 0 or 1 as a <, =, > b. */
int ermes__exact_cmp(const ermes__exact_t *a, const ermes__exact_t *b);
/* The value rounded to places decimals, as an integer in units of 10^-places (9.85 at 1 place
 * with HALF_UP is 99). The value must be non-negative and the result fit an int64. */
int ermes__exact_round(const ermes__exact_t *a, int places, ermes__round_t mode, int64_t *out);

#endif
