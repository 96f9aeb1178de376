/* Exact decimal arithmetic for the CVSS formulas (see exact.h). Magnitudes are little-endian
 * arrays of 32-bit limbs; products go through 64-bit intermediates. */
#include "advisories/exact.h"

#include <string.h>

#include "ermes/error.h"

static void trim(ermes__exact_t *r)
{
    while (r->n > 0 && r->m[r->n - 1] == 0)
        r->n--;
    if (r->n == 0)
        r->neg = 0;
}

/* m = m * k + add. */
static int mag_mul_small(ermes__exact_t *r, uint32_t k, uint32_t add)
{
    uint64_t carry = add;

    for (int i = 0; i < r->n; i++) {
        uint64_t t = (uint64_t)r->m[i] * k + carry;
        r->m[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) {
        if (r->n >= ERMES__EXACT_LIMBS)
            return ERMES_ERANGE;
        r->m[r->n++] = (uint32_t)carry;
    }
    return 0;
}

/* m = m / k, returns the remainder. */
static uint32_t mag_div_small(ermes__exact_t *r, uint32_t k)
{
    uint64_t rem = 0;

    for (int i = r->n - 1; i >= 0; i--) {
        uint64_t t = (rem << 32) | r->m[i];
        r->m[i] = (uint32_t)(t / k);
        rem = t % k;
    }
    trim(r);
    return (uint32_t)rem;
}

static int mag_cmp(const ermes__exact_t *a, const ermes__exact_t *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (int i = a->n - 1; i >= 0; i--)
        if (a->m[i] != b->m[i])
            return a->m[i] < b->m[i] ? -1 : 1;
    return 0;
}

/* r = |a| + |b| (scales already equal). */
static int mag_add(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b)
{
    int n = a->n > b->n ? a->n : b->n;
    uint64_t carry = 0;

    for (int i = 0; i < n; i++) {
        uint64_t t = carry + (i < a->n ? a->m[i] : 0) + (i < b->n ? b->m[i] : 0);
        r->m[i] = (uint32_t)t;
        carry = t >> 32;
    }
    r->n = n;
    if (carry) {
        if (n >= ERMES__EXACT_LIMBS)
            return ERMES_ERANGE;
        r->m[r->n++] = (uint32_t)carry;
    }
    return 0;
}

/* r = |a| - |b| where |a| >= |b|. */
static void mag_sub(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b)
{
    int64_t borrow = 0;

    for (int i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->m[i] - (i < b->n ? b->m[i] : 0) - borrow;
        borrow = t < 0;
        r->m[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
    }
    r->n = a->n;
    trim(r);
}

/* Raises r's scale to scale by multiplying its mantissa by powers of ten. */
static int rescale(ermes__exact_t *r, int scale)
{
    int rc;

    while (r->scale < scale) {
        int step = scale - r->scale > 9 ? 9 : scale - r->scale;
        uint32_t k = 1;
        for (int i = 0; i < step; i++)
            k *= 10;
        if ((rc = mag_mul_small(r, k, 0)))
            return rc;
        r->scale += step;
    }
    return 0;
}

void ermes__exact_set(ermes__exact_t *r, int64_t v, int scale)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    memset(r, 0, sizeof(*r));
    r->m[0] = (uint32_t)mag;
    r->m[1] = (uint32_t)(mag >> 32);
    r->n = 2;
    r->neg = v < 0;
    r->scale = scale;
    trim(r);
}

/* r = a + (negate_b ? -b : b). */
static int add_signed(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b,
                      int negate_b)
{
    ermes__exact_t x = *a, y = *b;
    int rc, yneg;

    if (negate_b && y.n)
        y.neg = !y.neg;
    yneg = y.neg;
    if ((rc = rescale(&x, y.scale)) || (rc = rescale(&y, x.scale)))
        return rc;
    if (x.neg == yneg) {
        int neg = x.neg;
        if ((rc = mag_add(r, &x, &y)))
            return rc;
        r->neg = neg;
    } else if (mag_cmp(&x, &y) >= 0) {
        int neg = x.neg;
        mag_sub(r, &x, &y);
        r->neg = r->n ? neg : 0;
    } else {
        mag_sub(r, &y, &x);
        r->neg = r->n ? yneg : 0;
    }
    r->scale = x.scale;
    return 0;
}

int ermes__exact_add(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b)
{
    return add_signed(r, a, b, 0);
}

int ermes__exact_sub(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b)
{
    return add_signed(r, a, b, 1);
}

int ermes__exact_mul(ermes__exact_t *r, const ermes__exact_t *a, const ermes__exact_t *b)
{
    ermes__exact_t t;

    memset(&t, 0, sizeof(t));
    if (a->n + b->n > ERMES__EXACT_LIMBS)
        return ERMES_ERANGE;
    for (int i = 0; i < a->n; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < b->n; j++) {
            uint64_t p = (uint64_t)a->m[i] * b->m[j] + t.m[i + j] + carry;
            t.m[i + j] = (uint32_t)p;
            carry = p >> 32;
        }
        t.m[i + b->n] = (uint32_t)carry;
    }
    t.n = a->n + b->n;
    t.neg = a->neg != b->neg;
    t.scale = a->scale + b->scale;
    trim(&t);
    *r = t;
    return 0;
}

int ermes__exact_pow(ermes__exact_t *r, const ermes__exact_t *a, unsigned k)
{
    ermes__exact_t acc = *a;
    int rc;

    for (unsigned i = 1; i < k; i++)
        if ((rc = ermes__exact_mul(&acc, &acc, a)))
            return rc;
    *r = acc;
    return 0;
}

int ermes__exact_cmp(const ermes__exact_t *a, const ermes__exact_t *b)
{
    ermes__exact_t d;

    if (ermes__exact_sub(&d, a, b))
        return 0; /* cannot happen within the CVSS formulas' sizes */
    return d.n == 0 ? 0 : d.neg ? -1 : 1;
}

int ermes__exact_round(const ermes__exact_t *a, int places, ermes__round_t mode, int64_t *out)
{
    ermes__exact_t q = *a, twice;
    int nonzero = 0, rc;
    int64_t v;

    if (a->neg)
        return ERMES_ERANGE;
    if ((rc = rescale(&q, places)))
        return rc;
    twice = q;
    if ((rc = mag_mul_small(&twice, 2, 0)))
        return rc;
    /* q = floor(m / 10^k); twice = floor(2m / 10^k), whose low bit says whether the dropped
     * part was at least one half. */
    for (int k = q.scale - places; k > 0; k--) {
        nonzero |= mag_div_small(&q, 10) != 0;
        mag_div_small(&twice, 10);
    }
    if (q.n > 2 || (q.n == 2 && q.m[1] >= 0x80000000u))
        return ERMES_ERANGE;
    v = (int64_t)(q.n > 0 ? q.m[0] : 0) | (int64_t)(q.n > 1 ? q.m[1] : 0) << 32;
    if (mode == ERMES__ROUND_CEIL && nonzero)
        v++;
    else if (mode == ERMES__ROUND_HALF_UP && twice.n > 0 && (twice.m[0] & 1))
        v++;
    *out = v;
    return 0;
}
