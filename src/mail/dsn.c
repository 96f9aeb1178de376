/* RFC 3464 delivery-status fields, read without trusting them: every field is bounded, folded
 * lines are joined, unknown fields are skipped. */
#include "mail/dsn.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One unfolded field: name and value, trimmed, cut to what the buffers hold. */
typedef struct field {
    char name[64];
    char value[400];
} field_t;

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(char *s)
{
    size_t n = strlen(s), k = 0;

    while (n && (is_wsp(s[n - 1]) || s[n - 1] == '\r'))
        s[--n] = '\0';
    while (is_wsp(s[k]))
        k++;
    if (k)
        memmove(s, s + k, n - k + 1);
}

/* The line starting at *p (without its end of line); *p moves past it. Returns its length. */
static size_t line_at(const char **p, const char *end, const char **start)
{
    const char *s = *p, *e = memchr(s, '\n', (size_t)(end - s));
    size_t n;

    if (!e)
        e = end;
    n = (size_t)(e - s);
    if (n && s[n - 1] == '\r')
        n--;
    *start = s;
    *p = e < end ? e + 1 : end;
    return n;
}

static void append(char *dst, size_t cap, const char *src, size_t n)
{
    size_t have = strlen(dst);

    if (have + 1 >= cap)
        return;
    if (n > cap - have - 1)
        n = cap - have - 1;
    memcpy(dst + have, src, n);
    dst[have + n] = '\0';
}

static ermes__dsn_action_t action_of(const char *v)
{
    /* RFC 3464 section 2.3.3; a comment or parameters may follow the word. */
    size_t n = strcspn(v, " \t(;");

    if ((n == 9 && !strncasecmp(v, "delivered", 9)) || (n == 7 && !strncasecmp(v, "relayed", 7)) ||
        (n == 8 && !strncasecmp(v, "expanded", 8)))
        return ERMES_DSN_DELIVERED;
    if (n == 6 && !strncasecmp(v, "failed", 6))
        return ERMES_DSN_FAILED;
    if (n == 7 && !strncasecmp(v, "delayed", 7))
        return ERMES_DSN_DELAYED;
    return ERMES_DSN_UNKNOWN;
}

/* "rfc822; user@example.org" (RFC 3464 section 2.3.2): the address, lower case, when the
 * type is one of an Internet mail address. */
static void address_of(const char *v, char *out, size_t cap)
{
    const char *semi = strchr(v, ';');
    size_t tn, k = 0;

    out[0] = '\0';
    if (!semi)
        return;
    tn = (size_t)(semi - v);
    while (tn && is_wsp(v[tn - 1]))
        tn--;
    if (!((tn == 6 && !strncasecmp(v, "rfc822", 6)) || (tn == 5 && !strncasecmp(v, "utf-8", 5))))
        return;
    for (v = semi + 1; is_wsp(*v); v++)
        ;
    if (*v == '<')
        v++;
    for (; *v && *v != '>' && !is_wsp(*v) && k + 1 < cap; v++)
        out[k++] = (char)(*v >= 'A' && *v <= 'Z' ? *v + 32 : *v);
    out[k] = '\0';
    /* Something that is not an address (no @, or control characters) is no address. */
    if (!strchr(out, '@'))
        out[0] = '\0';
    for (size_t i = 0; i < k; i++)
        if ((unsigned char)out[i] < 0x21 || out[i] == 0x7f)
            out[0] = '\0';
}

static void take(ermes__dsn_recipient_t *r, int *seen, int *original, const field_t *f)
{
    if (!strcasecmp(f->name, "Final-Recipient")) {
        if (!*original)
            address_of(f->value, r->address, sizeof(r->address));
        *seen = 1;
    } else if (!strcasecmp(f->name, "Original-Recipient")) {
        char orcpt[sizeof(r->address)];
        address_of(f->value, orcpt, sizeof(orcpt));
        if (orcpt[0])
            memcpy(r->address, orcpt, sizeof(orcpt));
        *original = orcpt[0] != 0;
    } else if (!strcasecmp(f->name, "Action")) {
        r->action = action_of(f->value);
        *seen = 1;
    } else if (!strcasecmp(f->name, "Status")) {
        size_t k = 0;
        for (const char *v = f->value; *v && k + 1 < sizeof(r->status); v++)
            if ((*v >= '0' && *v <= '9') || *v == '.')
                r->status[k++] = *v;
            else
                break;
        r->status[k] = '\0';
    }
}

void ermes__dsn_read(const char *text, size_t len, ermes__dsn_t *out)
{
    const char *p = text, *end = text + len;
    ermes__dsn_recipient_t cur;
    field_t f;
    int seen = 0, have_field = 0, original = 0;

    memset(out, 0, sizeof(*out));
    memset(&cur, 0, sizeof(cur));
    memset(&f, 0, sizeof(f));
    if (!text)
        return;
    for (;;) {
        const char *s;
        size_t n = p < end ? line_at(&p, end, &s) : 0;
        int done = p >= end && n == 0;

        /* A continuation line belongs to the field before it. */
        if (n && is_wsp(s[0]) && have_field) {
            append(f.value, sizeof(f.value), " ", 1);
            append(f.value, sizeof(f.value), s, n);
            continue;
        }
        if (have_field) {
            trim(f.value);
            if (!strcasecmp(f.name, "Original-Envelope-Id")) {
                /* xtext of printable characters (RFC 3461 section 4.4): kept when it is. */
                const char *v = f.value + (f.value[0] == '<');
                size_t k = 0;
                for (; v[k] && v[k] != '>' && k + 1 < sizeof(out->envid); k++)
                    out->envid[k] = (unsigned char)v[k] > 0x20 && v[k] != 0x7f ? v[k] : '?';
                out->envid[k] = '\0';
            }
            take(&cur, &seen, &original, &f);
            have_field = 0;
        }
        if (n == 0) {
            /* The end of a block: the per-message one (Reporting-MTA...) has neither
             * Final-Recipient nor Action; each per-recipient one has. */
            if (seen && out->n < ERMES_DSN_MAX_RECIPIENTS)
                out->recipients[out->n++] = cur;
            memset(&cur, 0, sizeof(cur));
            seen = original = 0;
            if (done)
                return;
            continue;
        }
        {
            const char *colon = memchr(s, ':', n);
            size_t nn;
            if (!colon)
                continue; /* not a field: skipped */
            nn = (size_t)(colon - s);
            if (nn == 0 || nn >= sizeof(f.name))
                continue;
            memcpy(f.name, s, nn);
            f.name[nn] = '\0';
            trim(f.name);
            f.value[0] = '\0';
            append(f.value, sizeof(f.value), colon + 1, n - nn - 1);
            have_field = 1;
        }
    }
}
