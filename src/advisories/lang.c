/* BCP 47 (RFC 5646) language tags: the syntax of section 2.1 and the IANA registry's
 * subtags (data/csaf/language-subtags.json, built in), for CSAF test 6.1.12. */
#include "advisories/csaf_int.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include "core/json_read.h"

extern const unsigned char ermes__language_subtags[];
extern const size_t ermes__language_subtags_len;

static json_t *registry;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void load_registry(void)
{
    /* The fast reader first (start-up of every `ermes csaf validate`), jansson should it
     * decline. */
    if (ermes__json_read((const char *)ermes__language_subtags, ermes__language_subtags_len, 256,
                         &registry))
        registry =
            json_loadb((const char *)ermes__language_subtags, ermes__language_subtags_len, 0, NULL);
}

/* The tags RFC 5646 section 2.2.8 keeps for compatibility ("grandfathered"). */
static const char *const grandfathered[] = {
    "en-gb-oed", "i-ami",     "i-bnn",     "i-default",  "i-enochian",  "i-hak",  "i-klingon",
    "i-lux",     "i-mingo",   "i-navajo",  "i-pwn",      "i-tao",       "i-tay",  "i-tsu",
    "sgn-be-fr", "sgn-be-nl", "sgn-ch-de", "art-lojban", "cel-gaulish", "no-bok", "no-nyn",
    "zh-guoyu",  "zh-hakka",  "zh-min",    "zh-min-nan", "zh-xiang",    NULL};

/* Is subtag (lower case) in the registry's list of type kind? Ranges "qaa..qtz" included. */
static int registered(const char *kind, const char *subtag)
{
    json_t *list = json_object_get(registry, kind), *v;
    size_t lo = 0, hi = json_array_size(list), i;

    /* The lists are sorted: binary search for the exact subtag first. */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(json_string_value(json_array_get(list, mid)), subtag);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v), *dots = strstr(s, "..");
        if (dots && strlen(dots + 2) == strlen(subtag) && (size_t)(dots - s) == strlen(subtag) &&
            strncmp(s, subtag, (size_t)(dots - s)) <= 0 && strcmp(subtag, dots + 2) <= 0)
            return 1;
    }
    return 0;
}

static int all(const char *s, size_t n, int (*pred)(int))
{
    for (size_t i = 0; i < n; i++)
        if (!pred((unsigned char)s[i]))
            return 0;
    return 1;
}

void ermes__lang_init(void)
{
    pthread_once(&registry_once, load_registry);
}

int ermes__lang_tag_valid(const char *tag)
{
    char low[128], *parts[64];
    size_t n = strlen(tag), np = 0, i = 0;
    char variants[16][9];
    size_t nvariants = 0;
    char singletons[16];
    size_t nsingletons = 0;

    pthread_once(&registry_once, load_registry);
    if (!registry || n == 0 || n >= sizeof(low))
        return 0;
    for (size_t k = 0; k <= n; k++)
        low[k] = (char)tolower((unsigned char)tag[k]);
    for (int g = 0; grandfathered[g]; g++)
        if (strcmp(low, grandfathered[g]) == 0)
            return 1;
    for (char *p = low;;) {
        char *dash = strchr(p, '-');
        if (np == 64)
            return 0;
        parts[np++] = p;
        if (!dash)
            break;
        *dash = '\0';
        p = dash + 1;
    }
    for (size_t k = 0; k < np; k++)
        if (parts[k][0] == '\0' || strlen(parts[k]) > 8 ||
            !all(parts[k], strlen(parts[k]), isalnum))
            return 0;
    /* Private use only: "x-..." */
    if (strcmp(parts[0], "x") == 0) {
        return np > 1;
    }
    /* language: 2-3 letters (+ up to 3 extlangs), 4 letters, or 5-8 letters */
    size_t len = strlen(parts[0]);
    if (len < 2 || !all(parts[0], len, isalpha) || !registered("language", parts[0]))
        return 0;
    i = 1;
    if (len <= 3) {
        int extlangs = 0;
        while (i < np && strlen(parts[i]) == 3 && all(parts[i], 3, isalpha)) {
            if (++extlangs > 1 || !registered("extlang", parts[i]))
                return 0;
            i++;
        }
    }
    if (i < np && strlen(parts[i]) == 4 && all(parts[i], 4, isalpha)) {
        if (!registered("script", parts[i]))
            return 0;
        i++;
    }
    if (i < np && ((strlen(parts[i]) == 2 && all(parts[i], 2, isalpha)) ||
                   (strlen(parts[i]) == 3 && all(parts[i], 3, isdigit)))) {
        if (!registered("region", parts[i]))
            return 0;
        i++;
    }
    while (i < np && ((strlen(parts[i]) >= 5) ||
                      (strlen(parts[i]) == 4 && isdigit((unsigned char)parts[i][0])))) {
        if (!registered("variant", parts[i]) || nvariants == 16)
            return 0;
        for (size_t k = 0; k < nvariants; k++)
            if (strcmp(variants[k], parts[i]) == 0)
                return 0;
        memcpy(variants[nvariants++], parts[i], strlen(parts[i]) + 1);
        i++;
    }
    /* Extensions: a singleton (registered ones are t and u) and 2-8 character subtags. */
    while (i < np && strlen(parts[i]) == 1 && strcmp(parts[i], "x") != 0) {
        char sgl = parts[i][0];
        if ((sgl != 't' && sgl != 'u') || nsingletons == sizeof(singletons))
            return 0;
        for (size_t k = 0; k < nsingletons; k++)
            if (singletons[k] == sgl)
                return 0;
        singletons[nsingletons++] = sgl;
        i++;
        size_t start = i;
        while (i < np && strlen(parts[i]) >= 2)
            i++;
        if (i == start)
            return 0;
    }
    if (i < np && strcmp(parts[i], "x") == 0)
        return i + 1 < np;
    return i == np;
}

/* Private use (RFC 5646 section 4.5): the language qaa..qtz, the script Qaaa..Qabx, or the
 * region AA, QM..QZ, XA..XZ or ZZ (the registry's private-use ranges); a tag of x- alone too. */
int ermes__lang_tag_private(const char *tag)
{
    char low[128];
    size_t n = strlen(tag);

    if (n == 0 || n >= sizeof(low))
        return 0;
    for (size_t k = 0; k <= n; k++)
        low[k] = (char)tolower((unsigned char)tag[k]);
    if (strncmp(low, "x-", 2) == 0)
        return 1;
    for (char *p = low, *next; p; p = next) {
        char *dash = strchr(p, '-');
        size_t len = dash ? (size_t)(dash - p) : strlen(p);
        next = dash ? dash + 1 : NULL;
        if (p == low && len == 3 && strncmp(p, "qaa", 3) >= 0 && strncmp(p, "qtz", 3) <= 0)
            return 1;
        if (p != low && len == 4 && isalpha((unsigned char)p[0]) && strncmp(p, "qaaa", 4) >= 0 &&
            strncmp(p, "qabx", 4) <= 0)
            return 1;
        if (p != low && len == 2 && isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]) &&
            (strncmp(p, "aa", 2) == 0 || strncmp(p, "zz", 2) == 0 || (p[0] == 'q' && p[1] >= 'm') ||
             p[0] == 'x'))
            return 1;
        if (len == 1) /* extensions and private use follow: not the main subtags */
            break;
    }
    return 0;
}
