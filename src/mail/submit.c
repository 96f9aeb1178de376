/* A report that does not come by mail (POST /api/v1/incident-reports, the portal's form) takes
 * the same road as one that does: it is written as the message its reporter would have sent,
 * stored durably like any message received (its raw text readable at /api/v1/mail/{id}/raw),
 * then processed as an incident report. One road means one extractor, one set of look-ups, one set
 * of rules. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "core/uuid.h"
#include "mail/mail.h"
#include "model/org.h"

#define SUBJECT_MAX 998       /* a header line (RFC 5322 section 2.1.1) */
#define BODY_MAX (256u << 10) /* what a report keeps of a message's text (receive.c) */
#define FILE_MAX (1u << 20)   /* one attached file, decoded */
#define FILES_MAX (4u << 20)  /* all attached files, decoded */
#define FILE_NAME_MAX 255
#define EXTRA_VALUE_MAX 1024

/* ---- reading the JSON body --------------------------------------------------------------- */

/* 1 when p[0..n) reads as UTF-8 text: lead and continuation bytes in place, no NUL. */
static int is_text(const unsigned char *p, size_t n)
{
    for (size_t k = 0; k < n;) {
        unsigned char c = p[k];
        size_t more = c < 0x80             ? 0
                      : (c & 0xE0) == 0xC0 ? 1
                      : (c & 0xF0) == 0xE0 ? 2
                      : (c & 0xF8) == 0xF0 ? 3
                                           : 9;
        if (!c || more == 9 || (more == 1 && c < 0xC2) || (more == 3 && c > 0xF4) ||
            k + more >= n + (more ? 0 : 1))
            return 0;
        for (size_t j = 1; j <= more; j++)
            if ((p[k + j] & 0xC0) != 0x80)
                return 0;
        k += more + 1;
    }
    return 1;
}

/* 1 when s has a control character (a header or a file name could be split by it). */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

void ermes__submission_in_cleanup(ermes__submission_in_t *in)
{
    for (size_t k = 0; k < ERMES_SUBMIT_MAX_ATTACHMENTS; k++)
        ermes__free(in->decoded[k]);
}

/* The attachments member: [{name, content (base64 of a text file)}]. */
static int read_files(const json_t *arr, ermes__submission_in_t *in, ermes_diag_t *d)
{
    size_t total = 0, k;
    json_t *f;

    if (!json_is_array(arr)) {
        ermes_diag_set(d, "attachments", "attachments must be an array of {name, content}");
        return ERMES_EINVAL;
    }
    if (json_array_size(arr) > ERMES_SUBMIT_MAX_ATTACHMENTS) {
        ermes_diag_set(d, "attachments", "at most %d attachments", ERMES_SUBMIT_MAX_ATTACHMENTS);
        return ERMES_EINVAL;
    }
    json_array_foreach(arr, k, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *b64 = json_string_value(json_object_get(f, "content"));
        size_t blen = b64 ? strlen(b64) : 0, len = 0;
        char *buf;

        if (!json_is_object(f) || json_object_size(f) != 2 || !name || !b64) {
            ermes_diag_set(d, "attachments", "attachment %zu must be {name, content}", k);
            return ERMES_EINVAL;
        }
        if (!*name || strlen(name) > FILE_NAME_MAX || has_control(name) || strchr(name, '"') ||
            strchr(name, '\\') || strchr(name, '/')) {
            ermes_diag_set(d, "attachments",
                           "attachment %zu: the name must be 1 to %d characters, without quotes, "
                           "slashes, backslashes or control characters",
                           k, FILE_NAME_MAX);
            return ERMES_EINVAL;
        }
        if (blen / 4 * 3 > FILE_MAX + 3) {
            ermes_diag_set(d, "attachments", "attachment %zu exceeds %u bytes", k, FILE_MAX);
            return ERMES_ETOOBIG;
        }
        if (!(buf = ermes__malloc(blen / 4 * 3 + 4)))
            return ERMES_ENOMEM;
        in->decoded[k] = buf;
        if (sodium_base642bin((unsigned char *)buf, blen / 4 * 3 + 4, b64, blen, " \r\n", &len,
                              NULL, sodium_base64_VARIANT_ORIGINAL)) {
            ermes_diag_set(d, "attachments", "attachment %zu: content is not base64", k);
            return ERMES_EINVAL;
        }
        if (len > FILE_MAX) {
            ermes_diag_set(d, "attachments", "attachment %zu exceeds %u bytes", k, FILE_MAX);
            return ERMES_ETOOBIG;
        }
        if (!is_text((const unsigned char *)buf, len)) {
            ermes_diag_set(d, "attachments", "attachment %zu is not a UTF-8 text file", k);
            return ERMES_EINVAL;
        }
        if ((total += len) > FILES_MAX) {
            ermes_diag_set(d, "attachments", "the attachments exceed %u bytes together", FILES_MAX);
            return ERMES_ETOOBIG;
        }
        in->files[k] = (ermes__submit_file_t){name, buf, len};
    }
    in->s.files = in->files;
    in->s.nfiles = json_array_size(arr);
    return 0;
}

int ermes__submission_read(const json_t *body, int staff, const char *user_name,
                           ermes__submission_in_t *in, ermes_diag_t *d)
{
    static const char *known[] = {"subject", "body",        "reporter",   "tlp",
                                  "org",     "observables", "attachments"};
    const char *key, *tlp;
    json_t *val, *x;
    size_t k;
    int rc;

    memset(in, 0, sizeof(*in));
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, val)
    {
        size_t j;
        for (j = 0; j < sizeof(known) / sizeof(known[0]) && strcmp(known[j], key); j++)
            ;
        if (j == sizeof(known) / sizeof(known[0])) {
            ermes_diag_set(d, key, "unknown member \"%.64s\"", key);
            return ERMES_EINVAL;
        }
    }
    {
        const char *sub = json_string_value(json_object_get(body, "subject"));
        size_t n = sub ? strlen(sub) : 0;
        while (n && sub[n - 1] == ' ')
            n--;
        while (n && *sub == ' ') {
            sub++;
            n--;
        }
        if (!n || n > SUBJECT_MAX || has_control(sub)) {
            ermes_diag_set(d, "subject", "subject must be text of 1 to %d bytes on one line",
                           SUBJECT_MAX);
            return ERMES_EINVAL;
        }
        memcpy(in->subject, sub, n);
        in->subject[n] = '\0';
        in->s.subject = in->subject;
    }
    in->s.body = json_string_value(json_object_get(body, "body"));
    if (!in->s.body || strlen(in->s.body) > BODY_MAX) {
        ermes_diag_set(d, "body", "body must be text of at most %u bytes", BODY_MAX);
        return ERMES_EINVAL;
    }
    /* The reporter: an address (staff report on someone's behalf); a constituent's user is
     * the reporter unless it names another address of its own. */
    if ((x = json_object_get(body, "reporter")) && !json_is_null(x)) {
        ermes_diag_t ed;
        in->s.reporter = json_string_value(x);
        ermes_diag_clear(&ed);
        if (!in->s.reporter || ermes__org_check_email(in->s.reporter, &ed)) {
            ermes_diag_set(d, "reporter", "reporter must be an e-mail address");
            return ERMES_EINVAL;
        }
    } else if (staff) {
        ermes_diag_set(d, "reporter", "reporter (the e-mail address of who reports) is required");
        return ERMES_EINVAL;
    } else {
        in->s.reporter = user_name ? user_name : "";
    }
    in->s.submitted_by = user_name ? user_name : "";
    in->s.tlp = ERMES_TLP_AMBER;
    if ((x = json_object_get(body, "tlp")) &&
        (!(tlp = json_string_value(x)) || ermes_tlp_parse(tlp, strlen(tlp), &in->s.tlp))) {
        ermes_diag_set(d, "tlp", "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
        return ERMES_EINVAL;
    }
    if ((x = json_object_get(body, "org"))) {
        if (!staff) {
            ermes_diag_set(d, "org", "a constituent's report concerns its own organisation");
            return ERMES_EINVAL;
        }
        if (!(in->org = json_string_value(x)) || !*in->org) {
            ermes_diag_set(d, "org", "org must name an organisation (id or short name)");
            return ERMES_EINVAL;
        }
    }
    if ((x = json_object_get(body, "observables"))) {
        if (!json_is_array(x) || json_array_size(x) > ERMES_SUBMIT_MAX_EXTRA) {
            ermes_diag_set(d, "observables", "observables must be an array of at most %d values",
                           ERMES_SUBMIT_MAX_EXTRA);
            return ERMES_EINVAL;
        }
        json_array_foreach(x, k, val)
        {
            const char *s = json_string_value(val);
            if (!s || !*s || strlen(s) > EXTRA_VALUE_MAX) {
                ermes_diag_set(d, "observables", "observable %zu must be text of 1 to %d bytes", k,
                               EXTRA_VALUE_MAX);
                return ERMES_EINVAL;
            }
            in->extra[k] = s;
        }
        in->s.extra = in->extra;
        in->s.nextra = json_array_size(x);
    }
    if ((x = json_object_get(body, "attachments")) && (rc = read_files(x, in, d)))
        return rc;
    return 0;
}

/* ---- writing the message ----------------------------------------------------------------- */

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

/* A header's text as written: plain when ASCII, else RFC 2047 encoded-words (UTF-8, Q), each
 * within the 75 characters section 2 allows and never splitting a UTF-8 sequence. Q, not B:
 * GMime joins adjacent B words before decoding them, and a B word's "=" padding then ends
 * the text early. */
static int add_header_text(ermes__strbuf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s), off = 0, used = 0;
    int ascii = 1, rc = 0;

    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] >= 0x80)
            ascii = 0;
    /* ASCII text that looks like an encoded-word would be decoded: it is encoded too. */
    if (ascii && !strstr(s, "=?"))
        return ermes__strbuf_adds(b, s);
    rc = ermes__strbuf_adds(b, "=?UTF-8?Q?");
    while (!rc && off < n) {
        /* One character: its lead byte and continuation bytes. */
        size_t len = 1, enc = 0;
        while (off + len < n && ((unsigned char)s[off + len] & 0xC0) == 0x80)
            len++;
        for (size_t k = 0; k < len; k++) {
            unsigned char c = (unsigned char)s[off + k];
            enc += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           c == ' '
                       ? 1
                       : 3;
        }
        if (used + enc > 63) {
            rc = ermes__strbuf_adds(b, "?=\r\n =?UTF-8?Q?");
            used = 0;
        }
        for (size_t k = 0; !rc && k < len; k++) {
            unsigned char c = (unsigned char)s[off + k];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                rc = ermes__strbuf_addc(b, (char)c);
            else if (c == ' ')
                rc = ermes__strbuf_addc(b, '_');
            else
                rc = ermes__strbuf_addf(b, "=%c%c", hex[c >> 4], hex[c & 15]);
        }
        used += enc;
        off += len;
    }
    return rc ? rc : ermes__strbuf_adds(b, "?=");
}

int ermes__submission_write(const ermes__submission_t *s, ermes__strbuf_t *b)
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
    if ((rc = ermes__submission_write(s, &b))) {
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
