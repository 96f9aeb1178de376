/* A literal prefilter for scans with few indicators (the retro-hunt of newly added ones).
 *
 * Every indicator that can be written only one way in a log has a literal that any matching
 * line must contain: an IPv4 address its dotted quad, a network of /8 or longer the octets its
 * prefix fixes, a domain its name, a hash its hex digits, an e-mail address or JA4 its text;
 * all compared ignoring ASCII case. A scan then looks for these literals in the raw text and
 * parses only the lines that hold one, which costs about as much as reading the text once:
 * for each 32-byte window it compares two well-chosen bytes of every literal (the
 * "generic SIMD" substring search of W. Mula), and checks the whole literal only where both
 * agree. IPv6 addresses and URLs have several spellings (compressed zeros, percent-encoding,
 * defanging), so an indicator of these types turns the prefilter off: every line is parsed.
 *
 * What could hide a literal: a JSON \u escape (lines with one are candidates) and an IPv4
 * address written as an IPv4-mapped IPv6 address in hex ("::ffff:c000:201"; the literal
 * "ffff:" makes such lines candidates). Zeek TSV's \x escapes are not covered: the retro-hunt
 * does not use the prefilter for that format. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/number.h"
#include "detect/detect_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PF_AVX2 1
#endif

#define PF_MAX_LITS 64
#define PF_MAX_LEN 160 /* longest literal: an e-mail address or a SHA-512 in hex */

typedef struct pf_lit {
    char s[PF_MAX_LEN]; /* lower case */
    size_t len;
    size_t i, j;          /* the two anchor positions, i < j or both 0 for one byte */
    unsigned char fi, fj; /* their bytes, OR-ed with 0x20 */
} pf_lit_t;

struct det_prefilter {
    pf_lit_t lits[PF_MAX_LITS];
    size_t n;
    size_t maxj; /* largest anchor position */
    int avx2, avx512;
    /* Up to 8 literals: one bucket (bit) each, and for each of their first three bytes a
     * table from the low and from the high nibble of a byte to the buckets whose literal has
     * that nibble there (the "Teddy" idea of Hyperscan): three shared loads per window instead
     * of two per literal. */
    int teddy;
    unsigned char lo[3][16], hi[3][16];
};

/* A rough rarity of a byte in log text (folded to lower case): lower is rarer. JSON's
 * punctuation and digits are everywhere; some letters are uncommon. */
static int byte_score(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c + 32);
    if (c == '"' || c == ',' || c == ':' || c == ' ')
        return 10;
    if (c >= '0' && c <= '9')
        return c <= '2' ? 9 : 8;
    if (c == '.')
        return 8;
    if (strchr("etaoinsr", c))
        return 7;
    if (strchr("bcdfhlmu", c))
        return 6;
    if (c >= 'a' && c <= 'z')
        return 4;
    return 2;
}

static int lit_add(det_prefilter_t *pf, const char *s, size_t len)
{
    pf_lit_t *l;
    size_t best;

    if (len == 0 || len > PF_MAX_LEN)
        return -1;
    for (size_t k = 0; k < pf->n; k++)
        if (pf->lits[k].len == len && memcmp(pf->lits[k].s, s, len) == 0)
            return 0;
    if (pf->n == PF_MAX_LITS)
        return -1;
    l = &pf->lits[pf->n++];
    for (size_t k = 0; k < len; k++)
        l->s[k] = (char)det_lower((unsigned char)s[k]);
    l->len = len;
    /* The last byte, and the rarest before it. */
    l->j = len - 1;
    best = 0;
    for (size_t k = 1; k + 1 < len; k++)
        if (byte_score((unsigned char)l->s[k]) < byte_score((unsigned char)l->s[best]))
            best = k;
    l->i = best;
    l->fi = (unsigned char)(l->s[l->i] | 0x20);
    l->fj = (unsigned char)(l->s[l->j] | 0x20);
    if (l->j > pf->maxj)
        pf->maxj = l->j;
    return 0;
}

/* The literal of one compiled indicator, or -1 when it has none. */
static int indicator_literal(det_prefilter_t *pf, const ermes_matcher_t *m, uint32_t id,
                             ermes_ind_type_t type, int *need_mapped)
{
    char v[DET_MAX_KEY + 64];
    size_t n = ermes_matcher_value(m, id, v, sizeof(v));

    if (n == 0)
        return -1;
    switch (type) {
    case ERMES_IND_IPV4:
        *need_mapped = 1;
        return lit_add(pf, v, n);
    case ERMES_IND_CIDR: {
        const char *slash = memchr(v, '/', n);
        int64_t plen;
        size_t octets, k = 0;
        if (!slash || memchr(v, ':', n))
            return -1; /* IPv6 */
        if (ermes__parse_int64_n(slash + 1, n - (size_t)(slash + 1 - v), "prefix", 8, 32, &plen,
                                 NULL))
            return -1;
        octets = (size_t)plen / 8;
        /* The fixed octets, each with the dot after it ("192.0.2." for a /24). */
        for (size_t seen = 0; k < n && seen < octets; k++)
            if (v[k] == '.' || v[k] == '/')
                seen++;
        *need_mapped = 1;
        if (octets == 4)
            return lit_add(pf, v, (size_t)(slash - v));
        return lit_add(pf, v, k);
    }
    case ERMES_IND_DOMAIN:
    case ERMES_IND_MD5:
    case ERMES_IND_SHA1:
    case ERMES_IND_SHA256:
    case ERMES_IND_SHA512:
    case ERMES_IND_EMAIL:
    case ERMES_IND_JA3:
    case ERMES_IND_JA4:
        return lit_add(pf, v, n);
    default:
        return -1;
    }
}

int ermes__det_prefilter_new(const ermes_matcher_t *m, int json, det_prefilter_t **out)
{
    det_prefilter_t *pf;
    int need_mapped = 0;
    size_t compiled = 0;

    *out = NULL;
    if (!m)
        return 0;
    pf = ermes__calloc(1, sizeof(*pf));
    if (!pf)
        return ERMES_ENOMEM;
    for (uint32_t id = 0;; id++) {
        ermes_matcher_indicator_t mi;
        if (ermes_matcher_indicator(m, id, &mi) != 0)
            break;
        if (mi.flags & ERMES_IND_SUPPRESSED)
            continue;
        compiled++;
        if (indicator_literal(pf, m, id, mi.type, &need_mapped) != 0)
            goto none;
    }
    /* No indicator at all: no literal, nothing is a candidate, the lines are only counted. */
    if (compiled > 0 && need_mapped && lit_add(pf, "ffff:", 5) != 0)
        goto none;
    if (compiled > 0 && json && lit_add(pf, "\\u", 2) != 0)
        goto none;
    if (pf->n <= 8) {
        pf->teddy = 1;
        for (size_t k = 0; k < pf->n; k++) {
            const pf_lit_t *l = &pf->lits[k];
            unsigned char bit = (unsigned char)(1u << k);
            for (size_t t = 0; t < 3; t++) {
                unsigned char c = (unsigned char)l->s[t];
                if (t >= l->len) {
                    /* Shorter than three bytes: any byte will do there. */
                    for (int x = 0; x < 16; x++) {
                        pf->lo[t][x] |= bit;
                        pf->hi[t][x] |= bit;
                    }
                    continue;
                }
                pf->lo[t][c & 15] |= bit;
                pf->hi[t][c >> 4] |= bit;
                if (c >= 'a' && c <= 'z')
                    pf->hi[t][(c - 32) >> 4] |= bit; /* the upper-case letter */
            }
        }
    }
#ifdef PF_AVX2
    __builtin_cpu_init();
    pf->avx2 = __builtin_cpu_supports("avx2") != 0;
    pf->avx512 = __builtin_cpu_supports("avx512bw") != 0;
    {
        /* ERMES_DETECT_ISA=avx2|scalar|pairs|pairs-avx2 narrows the instructions used: the tests
         * check that every path finds the same, and a benchmark can compare them. */
        const char *isa = getenv("ERMES_DETECT_ISA");
        if (isa && strcmp(isa, "avx2") == 0)
            pf->avx512 = 0;
        else if (isa && strcmp(isa, "scalar") == 0)
            pf->avx512 = pf->avx2 = 0;
        else if (isa && strcmp(isa, "pairs") == 0)
            pf->teddy = 0;
        else if (isa && strcmp(isa, "pairs-avx2") == 0)
            pf->teddy = pf->avx512 = 0;
    }
#endif
    *out = pf;
    return 0;
none:
    ermes__free(pf);
    return 0;
}

void ermes__det_prefilter_free(det_prefilter_t *pf)
{
    ermes__free(pf);
}

static int lit_at(const pf_lit_t *l, const char *p, size_t avail)
{
    if (l->len > avail)
        return 0;
    for (size_t k = 0; k < l->len; k++)
        if (det_lower((unsigned char)p[k]) != (unsigned char)l->s[k])
            return 0;
    return 1;
}

static int any_lit_at(const det_prefilter_t *pf, const char *p, size_t avail)
{
    for (size_t k = 0; k < pf->n; k++)
        if (lit_at(&pf->lits[k], p, avail))
            return 1;
    return 0;
}

static size_t find_scalar(const det_prefilter_t *pf, const char *p, size_t from, size_t len,
                          uint64_t *newlines)
{
    for (size_t q = from; q < len; q++) {
        unsigned char c = (unsigned char)p[q] | 0x20;
        if (p[q] == '\n') {
            (*newlines)++;
            continue;
        }
        for (size_t k = 0; k < pf->n; k++) {
            const pf_lit_t *l = &pf->lits[k];
            if (c == (unsigned char)(l->s[0] | 0x20) && lit_at(l, p + q, len - q))
                return q;
        }
    }
    return len;
}

#ifdef PF_AVX2
__attribute__((target("avx2,popcnt"))) static size_t
find_avx2(const det_prefilter_t *pf, const char *p, size_t len, uint64_t *newlines, size_t *done)
{
    const __m256i nlv = _mm256_set1_epi8('\n'), fold = _mm256_set1_epi8(0x20);
    __m256i vi[PF_MAX_LITS], vj[PF_MAX_LITS];
    uint64_t lines = 0;
    size_t pos = 0;

    for (size_t k = 0; k < pf->n; k++) {
        vi[k] = _mm256_set1_epi8((char)pf->lits[k].fi);
        vj[k] = _mm256_set1_epi8((char)pf->lits[k].fj);
    }
    for (; pos + 32 + pf->maxj <= len; pos += 32) {
        const char *w = p + pos;
        uint32_t nl = (uint32_t)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)w), nlv));
        uint32_t hit = 0;
        for (size_t k = 0; k < pf->n; k++) {
            const pf_lit_t *l = &pf->lits[k];
            __m256i a = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(w + l->i)), fold);
            __m256i b = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(w + l->j)), fold);
            hit |= (uint32_t)_mm256_movemask_epi8(
                _mm256_and_si256(_mm256_cmpeq_epi8(a, vi[k]), _mm256_cmpeq_epi8(b, vj[k])));
        }
        while (hit) {
            unsigned bit = (unsigned)__builtin_ctz(hit);
            if (any_lit_at(pf, w + bit, len - pos - bit)) {
                *newlines += lines + (uint64_t)__builtin_popcount(nl & ((1u << bit) - 1u));
                *done = pos;
                return pos + bit;
            }
            hit &= hit - 1;
        }
        lines += (uint64_t)__builtin_popcount(nl);
    }
    *newlines += lines;
    *done = pos;
    return len;
}
/* The same with 64-byte windows and compare masks (AVX-512BW): about half the instructions. */
__attribute__((target("avx512f,avx512bw,popcnt"))) static size_t
find_avx512(const det_prefilter_t *pf, const char *p, size_t len, uint64_t *newlines, size_t *done)
{
    const __m512i nlv = _mm512_set1_epi8('\n'), fold = _mm512_set1_epi8(0x20);
    __m512i vi[PF_MAX_LITS], vj[PF_MAX_LITS];
    uint64_t lines = 0;
    size_t pos = 0;

    for (size_t k = 0; k < pf->n; k++) {
        vi[k] = _mm512_set1_epi8((char)pf->lits[k].fi);
        vj[k] = _mm512_set1_epi8((char)pf->lits[k].fj);
    }
    for (; pos + 64 + pf->maxj <= len; pos += 64) {
        const char *w = p + pos;
        uint64_t nl = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)w), nlv);
        uint64_t hit = 0;
        for (size_t k = 0; k < pf->n; k++) {
            const pf_lit_t *l = &pf->lits[k];
            __m512i a = _mm512_or_si512(_mm512_loadu_si512((const void *)(w + l->i)), fold);
            __m512i b = _mm512_or_si512(_mm512_loadu_si512((const void *)(w + l->j)), fold);
            hit |= _mm512_mask_cmpeq_epi8_mask(_mm512_cmpeq_epi8_mask(a, vi[k]), b, vj[k]);
        }
        while (hit) {
            unsigned bit = (unsigned)__builtin_ctzll(hit);
            if (any_lit_at(pf, w + bit, len - pos - bit)) {
                *newlines += lines + (uint64_t)__builtin_popcountll(nl & ((1ull << bit) - 1u));
                *done = pos;
                return pos + bit;
            }
            hit &= hit - 1;
        }
        lines += (uint64_t)__builtin_popcountll(nl);
    }
    *newlines += lines;
    *done = pos;
    return len;
}
/* Teddy, 32 bytes at a time: the bucket masks of the three bytes at each position, AND-ed. */
__attribute__((target("avx2,popcnt"))) static size_t
teddy_avx2(const det_prefilter_t *pf, const char *p, size_t len, uint64_t *newlines, size_t *done)
{
    const __m256i nlv = _mm256_set1_epi8('\n'), low = _mm256_set1_epi8(0x0f);
    __m256i lo[3], hi[3];
    uint64_t lines = 0;
    size_t pos = 0;

    for (int t = 0; t < 3; t++) {
        lo[t] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pf->lo[t]));
        hi[t] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pf->hi[t]));
    }
    for (; pos + 32 + 2 <= len; pos += 32) {
        const char *w = p + pos;
        __m256i r = _mm256_set1_epi8(-1), x0 = _mm256_setzero_si256();
        uint32_t nl, cand;
        for (int t = 0; t < 3; t++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(w + t));
            __m256i m = _mm256_and_si256(
                _mm256_shuffle_epi8(lo[t], _mm256_and_si256(x, low)),
                _mm256_shuffle_epi8(hi[t], _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
            r = _mm256_and_si256(r, m);
            if (t == 0)
                x0 = x;
        }
        nl = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x0, nlv));
        cand = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(r, _mm256_setzero_si256()));
        if (cand) {
            unsigned char buckets[32];
            _mm256_storeu_si256((__m256i *)buckets, r);
            while (cand) {
                unsigned bit = (unsigned)__builtin_ctz(cand);
                for (unsigned b = buckets[bit]; b; b &= b - 1)
                    if (lit_at(&pf->lits[__builtin_ctz(b)], w + bit, len - pos - bit)) {
                        *newlines += lines + (uint64_t)__builtin_popcount(nl & ((1u << bit) - 1u));
                        *done = pos;
                        return pos + bit;
                    }
                cand &= cand - 1;
            }
        }
        lines += (uint64_t)__builtin_popcount(nl);
    }
    *newlines += lines;
    *done = pos;
    return len;
}

/* Teddy, 64 bytes at a time (AVX-512BW). */
__attribute__((target("avx512f,avx512bw,popcnt"))) static size_t
teddy_avx512(const det_prefilter_t *pf, const char *p, size_t len, uint64_t *newlines, size_t *done)
{
    const __m512i nlv = _mm512_set1_epi8('\n'), low = _mm512_set1_epi8(0x0f);
    __m512i lo[3], hi[3];
    uint64_t lines = 0;
    size_t pos = 0;

    for (int t = 0; t < 3; t++) {
        lo[t] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)pf->lo[t]));
        hi[t] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)pf->hi[t]));
    }
    for (; pos + 64 + 2 <= len; pos += 64) {
        const char *w = p + pos;
        __m512i x0 = _mm512_loadu_si512((const void *)w);
        __m512i x1 = _mm512_loadu_si512((const void *)(w + 1));
        __m512i x2 = _mm512_loadu_si512((const void *)(w + 2));
        __m512i r = _mm512_and_si512(
            _mm512_shuffle_epi8(lo[0], _mm512_and_si512(x0, low)),
            _mm512_shuffle_epi8(hi[0], _mm512_and_si512(_mm512_srli_epi16(x0, 4), low)));
        uint64_t nl = _mm512_cmpeq_epi8_mask(x0, nlv), cand;
        r = _mm512_and_si512(
            r, _mm512_and_si512(
                   _mm512_shuffle_epi8(lo[1], _mm512_and_si512(x1, low)),
                   _mm512_shuffle_epi8(hi[1], _mm512_and_si512(_mm512_srli_epi16(x1, 4), low))));
        r = _mm512_and_si512(
            r, _mm512_and_si512(
                   _mm512_shuffle_epi8(lo[2], _mm512_and_si512(x2, low)),
                   _mm512_shuffle_epi8(hi[2], _mm512_and_si512(_mm512_srli_epi16(x2, 4), low))));
        cand = _mm512_test_epi8_mask(r, r);
        if (cand) {
            unsigned char buckets[64];
            _mm512_storeu_si512((void *)buckets, r);
            while (cand) {
                unsigned bit = (unsigned)__builtin_ctzll(cand);
                for (unsigned b = buckets[bit]; b; b &= b - 1)
                    if (lit_at(&pf->lits[__builtin_ctz(b)], w + bit, len - pos - bit)) {
                        *newlines +=
                            lines + (uint64_t)__builtin_popcountll(nl & ((1ull << bit) - 1u));
                        *done = pos;
                        return pos + bit;
                    }
                cand &= cand - 1;
            }
        }
        lines += (uint64_t)__builtin_popcountll(nl);
    }
    *newlines += lines;
    *done = pos;
    return len;
}
#endif

size_t ermes__det_prefilter_find(const det_prefilter_t *pf, const char *p, size_t len,
                                 uint64_t *newlines)
{
    size_t from = 0;

#ifdef PF_AVX2
    if (pf->teddy && (pf->avx512 || pf->avx2)) {
        size_t q, more = 0;
        if (pf->avx512) {
            q = teddy_avx512(pf, p, len, newlines, &from);
            if (q < len)
                return q;
        }
        /* The rest shorter than a 64-byte window, or all of it without AVX-512. */
        q = teddy_avx2(pf, p + from, len - from, newlines, &more);
        if (q < len - from)
            return from + q;
        from += more;
    } else if (pf->avx512) {
        size_t q = find_avx512(pf, p, len, newlines, &from);
        if (q < len)
            return q;
        /* The tail shorter than a window: by 32 bytes, then one at a time. */
        if (pf->avx2) {
            size_t more = 0;
            q = find_avx2(pf, p + from, len - from, newlines, &more);
            if (q < len - from)
                return from + q;
            from += more;
        }
    } else if (pf->avx2) {
        size_t q = find_avx2(pf, p, len, newlines, &from);
        if (q < len)
            return q;
    }
#endif
    return find_scalar(pf, p, from, len, newlines);
}
