/* What a message's headers and words refer to: the reference of a notification it answers,
 * and the TLP label its sender gave it. */
#include "mail/mail.h"

#include <string.h>
#include <strings.h>

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

int ermes__mail_find_reference(const char *s, char *ref, size_t cap)
{
    /* ERMES-YYYY-N...: what ermes__notification_reference writes, in a subject ("[ERMES-2026-
     * 000042] ..."), or inside a Message-ID of ours ("<ERMES-2026-000042.1712...@host>"). */
    for (const char *p = s; p && *p; p++) {
        size_t n;
        if (lower((unsigned char)p[0]) != 'e' || strncasecmp(p, "ermes-", 6) != 0)
            continue;
        if (p > s && ((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z')))
            continue;
        if (!is_digit((unsigned char)p[6]) || !is_digit((unsigned char)p[7]) ||
            !is_digit((unsigned char)p[8]) || !is_digit((unsigned char)p[9]) || p[10] != '-' ||
            !is_digit((unsigned char)p[11]))
            continue;
        n = 11;
        while (is_digit((unsigned char)p[n]) && n < 32)
            n++;
        if (is_digit((unsigned char)p[n]) || n >= cap)
            continue;
        memcpy(ref, "ERMES-", 6);
        memcpy(ref + 6, p + 6, n - 6);
        ref[n] = '\0';
        return 1;
    }
    return 0;
}

int ermes__mail_find_tlp(const char *s, ermes_tlp_t *out)
{
    /* TLP 2.0 (FIRST): labels are written "TLP:RED", "TLP:AMBER+STRICT"; people also write
     * "TLP: amber", "TLP RED", "[TLP-GREEN]". */
    for (const char *p = s; p && *p; p++) {
        const char *w;
        size_t n = 0;
        if (strncasecmp(p, "tlp", 3) != 0)
            continue;
        if (p > s && ((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z')))
            continue;
        w = p + 3;
        if (*w != ':' && *w != ' ' && *w != '-' && *w != '_')
            continue;
        while (*w == ':' || *w == ' ' || *w == '-' || *w == '_')
            w++;
        while ((w[n] >= 'a' && w[n] <= 'z') || (w[n] >= 'A' && w[n] <= 'Z') || w[n] == '+')
            n++;
        while (n && w[n - 1] == '+')
            n--;
        if (n && ermes_tlp_parse(w, n, out) == 0)
            return 1;
    }
    return 0;
}
