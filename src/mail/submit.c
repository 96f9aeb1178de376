/* A report that does not come by mail (POST /api/v1/incident-reports, the portal's form) takes
 * the same road as one that does: it is written as the message its reporter would have sent,
 * stored durably like any message received (so the raw text stays readable at
 * /api/v1/mail/{id}/raw and `ermes mail process` can read it again), then processed as an
 * incident report. One road means one extractor, one set of look-ups, one set of rules. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "core/uuid.h"
#include "mail/mail.h"

/* Base64 of p[0..n) in lines of 76 (RFC 2045 section 6.8). */
static int add_base64(ermes__strbuf_t *b, const char *p, size_t n)
{
    char line[80];
    int rc = 0;

    for (size_t off = 0; !rc && off < n; off += 57) {
        size_t chunk = n - off < 57 ? n - off : 57;
        sodium_bin2base64(line, sizeof(line), (const unsigned char *)p + off, chunk,
                          sodium_base64_VARIANT_ORIGINAL);
        if (!(rc = ermes__strbuf_adds(b, line)))
            rc = ermes__strbuf_add(b, "\r\n", 2);
    }
    return rc;
}

/* A header's text as written: plain when ASCII, else RFC 2047 encoded-words (UTF-8, B), each
 * within the 75 characters section 2 allows and never splitting a UTF-8 sequence. */
static int add_header_text(ermes__strbuf_t *b, const char *s)
{
    size_t n = strlen(s), off = 0;
    int ascii = 1, rc = 0;

    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] >= 0x80)
            ascii = 0;
    if (ascii)
        return ermes__strbuf_adds(b, s);
    while (!rc && off < n) {
        char enc[64];
        size_t chunk = n - off < 42 ? n - off : 42;
        while (off + chunk < n && ((unsigned char)s[off + chunk] & 0xC0) == 0x80)
            chunk--;
        sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)s + off, chunk,
                          sodium_base64_VARIANT_ORIGINAL);
        rc = ermes__strbuf_addf(b, "%s=?UTF-8?B?%s?=", off ? "\r\n " : "", enc);
        off += chunk;
    }
    return rc;
}

/* The message s stands for, into b. */
static int build(const ermes__submission_t *s, ermes__strbuf_t *b)
{
    char uuid[37], boundary[64], date[64];
    time_t now = (time_t)(ermes__time_now_ms() / 1000);
    struct tm tm;
    int rc = 0;

    ermes__uuid4(uuid);
    snprintf(boundary, sizeof(boundary), "=_ermes_%s", uuid);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    /* From only when the reporter is an address: a user name is not one (RFC 5322 3.4). */
    if (s->reporter && strchr(s->reporter, '@'))
        rc = ermes__strbuf_addf(b, "From: <%s>\r\n", s->reporter);
    if (!rc)
        rc = ermes__strbuf_addf(b,
                                "Date: %s\r\nMessage-ID: <%s@incident-reports.ermes>\r\n"
                                "X-Ermes-Submitted-By: %s\r\nSubject: ",
                                date, uuid, s->submitted_by ? s->submitted_by : "");
    if (!rc)
        rc = add_header_text(b, s->subject ? s->subject : "");
    if (!rc)
        rc = ermes__strbuf_addf(b,
                                "\r\nMIME-Version: 1.0\r\n"
                                "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                                "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n",
                                boundary, boundary);
    if (!rc)
        rc = add_base64(b, s->body ? s->body : "", s->body ? strlen(s->body) : 0);
    for (size_t k = 0; !rc && k < s->nfiles; k++) {
        rc = ermes__strbuf_addf(b,
                                "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Content-Disposition: attachment; filename=\"%s\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n",
                                boundary, s->files[k].name);
        if (!rc)
            rc = add_base64(b, s->files[k].data, s->files[k].len);
    }
    if (!rc)
        rc = ermes__strbuf_addf(b, "--%s--\r\n", boundary);
    return rc;
}

int ermes__mail_submit(ermes__mail_t *m, const char *source, const ermes__submission_t *s,
                       ermes__mail_row_t *out, ermes_diag_t *d)
{
    ermes__strbuf_t b;
    int64_t id;
    int rc;

    /* Base64 grows the text by 4/3 and a little per line: the caller's limits keep it small. */
    ermes__strbuf_init(&b, 64u << 20);
    if ((rc = build(s, &b))) {
        ermes__strbuf_cleanup(&b);
        ermes_diag_set(d, NULL, "the report is too large to be written as a message");
        return rc;
    }
    rc = ermes__mail_receive_mem(m, source, b.data, b.len, 1, out, d);
    ermes__strbuf_cleanup(&b);
    if (rc)
        return rc;
    id = out->id;
    rc = ermes__mail_process_as(m, id, s, out);
    /* Another daemon took it first (it reads it as any message): the row says what it became. */
    if (rc == ERMES_EBUSY)
        rc = 0;
    return rc;
}
