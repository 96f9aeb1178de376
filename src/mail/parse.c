/* A received message read with GMime 3 (see parse.h). GMime does the MIME: headers and
 * their RFC 2047 words, multipart boundaries, transfer encodings; OpenPGP goes through its
 * gpgme-backed context. This file walks the tree GMime builds, under the limits, and keeps
 * what the rest of ermes needs. Text is converted to UTF-8 from the charset the part
 * declares; a part whose charset is missing, unknown or wrong is read as UTF-8 where it is
 * valid and as Windows-1252 where it is not, and the note says so. */
#define _GNU_SOURCE /* strcasestr */
#include "mail/parse.h"

#include <fcntl.h>
#include <gmime/gmime.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/time.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static GMimeCryptoContext *gpg_new(void)
{
    return g_mime_gpg_context_new();
}

static void gmime_init(void)
{
    g_mime_init();
    g_mime_crypto_context_register("application/pgp-signature", gpg_new);
    g_mime_crypto_context_register("application/pgp-encrypted", gpg_new);
    g_mime_crypto_context_register("application/pgp-keys", gpg_new);
}

typedef struct walk {
    const ermes__mail_limits_t *lim;
    ermes__mail_parsed_t *m;
    ermes_diag_t *d;
    int failed; /* a limit was reached: d says which */
    int crit;   /* GMime's parser reported a critical problem */
    char crit_what[160];
    size_t text_left;
} walk_t;

static char *dup_or_null(const char *s)
{
    return s ? ermes__strdup(s) : NULL;
}

/* Appends "a" "b" "c" to the note, "; " between notes. */
static void note(ermes__mail_parsed_t *m, const char *a, const char *b, const char *c)
{
    size_t n = strlen(m->note);

    if (n + 3 >= sizeof(m->note))
        return;
    snprintf(m->note + n, sizeof(m->note) - n, "%s%s%s%s", n ? "; " : "", a, b ? b : "",
             c ? c : "");
}

static void warning_cb(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user)
{
    walk_t *w = user;
    const char *what = NULL;

    (void)offset;
    switch (code) {
    case GMIME_CRIT_NESTING_OVERFLOW:
        what = "MIME nesting beyond GMime's limit";
        break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
        what = "a multipart without a boundary";
        break;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        what = "a part without headers or content";
        break;
    case GMIME_CRIT_INVALID_HEADER_NAME:
        what = "an invalid header name";
        break;
    case GMIME_WARN_MALFORMED_MULTIPART:
        what = "a multipart without parts (missing boundary lines)";
        break;
    case GMIME_WARN_TRUNCATED_MESSAGE:
        what = "the message is truncated";
        break;
    default:
        break;
    }
    (void)item;
    if (what && !w->crit) {
        w->crit = 1;
        snprintf(w->crit_what, sizeof(w->crit_what), "%s", what);
    }
}

/* Bytes of a stream, at most max (+1 to tell it was longer). */
static int read_stream(GMimeStream *s, size_t max, ermes__strbuf_t *out)
{
    char buf[65536];
    ssize_t n;

    while ((n = g_mime_stream_read(s, buf, sizeof(buf))) > 0)
        if (ermes__strbuf_add(out, buf, (size_t)n))
            return ERMES_ETOOBIG;
    (void)max;
    return n < 0 ? ERMES_EIO : 0;
}

/* The decoded content of a leaf part as UTF-8 (*out NUL-terminated, caller frees), at most
 * max bytes decoded. ERMES_ETOOBIG when it is longer. */
static int part_text(walk_t *w, GMimePart *part, size_t max, char **out, size_t *len)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    const char *charset = g_mime_object_get_content_type_parameter((GMimeObject *)part, "charset");
    GMimeStream *mem;
    ermes__strbuf_t b;
    char *conv = NULL;
    gsize clen = 0;
    int rc;

    *out = NULL;
    if (!dw)
        return ERMES_ENOTFOUND;
    ermes__strbuf_init(&b, max);
    mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(dw, mem);
    g_mime_stream_seek(mem, 0, GMIME_STREAM_SEEK_SET);
    rc = read_stream(mem, max, &b);
    g_object_unref(mem);
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return rc;
    }
    if (ermes__strbuf_addc(&b, '\0')) {
        ermes__strbuf_cleanup(&b);
        return ERMES_ETOOBIG;
    }
    b.len--;
    if (charset && strcasecmp(charset, "utf-8") && strcasecmp(charset, "utf8") &&
        strcasecmp(charset, "us-ascii")) {
        GError *err = NULL;
        conv = g_convert(b.data, (gssize)b.len, "UTF-8", charset, NULL, &clen, &err);
        if (!conv) {
            note(w->m, "charset ", charset, " could not be read");
            g_clear_error(&err);
        }
    }
    if (!conv && !g_utf8_validate(b.data, (gssize)b.len, NULL)) {
        GError *err = NULL;
        if (!charset)
            note(w->m, "text without a charset was not UTF-8: read as Windows-1252", NULL, NULL);
        else if (!strcasecmp(charset, "utf-8") || !strcasecmp(charset, "utf8") ||
                 !strcasecmp(charset, "us-ascii"))
            note(w->m, "text declared ", charset, " was not: read as Windows-1252");
        else
            note(w->m, "text not UTF-8 either: read as Windows-1252", NULL, NULL);
        conv = g_convert_with_fallback(b.data, (gssize)b.len, "UTF-8", "WINDOWS-1252", "?", NULL,
                                       &clen, &err);
        g_clear_error(&err);
        if (!conv)
            conv = g_convert_with_fallback(b.data, (gssize)b.len, "UTF-8", "ISO-8859-1", "?", NULL,
                                           &clen, NULL);
    }
    if (conv) {
        ermes__strbuf_reset(&b);
        rc = ermes__strbuf_add(&b, conv, clen);
        g_free(conv);
        if (rc || ermes__strbuf_addc(&b, '\0')) {
            ermes__strbuf_cleanup(&b);
            return ERMES_ETOOBIG;
        }
        b.len--;
    }
    *out = ermes__strbuf_take(&b, len);
    return *out ? 0 : ERMES_ENOMEM;
}

/* Encoded size of a leaf part (an upper bound of the decoded one, near enough). */
static int64_t part_size(GMimePart *part)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GMimeStream *s = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;

    return s ? g_mime_stream_length(s) : 0;
}

/* Text of an HTML part, its tags and the contents of style and script taken out, entities
 * left as written (observables in them are rare). */
static void strip_html(char *s, size_t *len)
{
    size_t o = 0;
    int in_tag = 0;

    for (size_t i = 0; i < *len; i++) {
        char c = s[i];
        if (in_tag) {
            if (c == '>')
                in_tag = 0;
            continue;
        }
        if (c == '<') {
            if (!strncasecmp(s + i, "<style", 6) || !strncasecmp(s + i, "<script", 7)) {
                const char *end = strcasestr(s + i, s[i + 2] == 't' ? "</style" : "</script");
                if (end) {
                    i = (size_t)(end - s);
                }
            }
            in_tag = 1;
            s[o++] = ' ';
            continue;
        }
        s[o++] = c;
    }
    s[o] = '\0';
    *len = o;
}

static int walk(walk_t *w, GMimeObject *obj, int depth);

static int over_limits(walk_t *w, int depth)
{
    if (depth > w->lim->max_depth) {
        ermes_diag_set(w->d, NULL, "MIME nesting deeper than %ld", w->lim->max_depth);
        return 1;
    }
    if (++w->m->nparts > w->lim->max_parts) {
        ermes_diag_set(w->d, NULL, "more than %ld MIME parts", w->lim->max_parts);
        return 1;
    }
    if (w->lim->deadline_ns && ermes__time_monotonic_ns() > w->lim->deadline_ns) {
        ermes_diag_set(w->d, NULL, "parsing took longer than the time limit");
        return 1;
    }
    return 0;
}

static int leaf(walk_t *w, GMimePart *part)
{
    GMimeContentType *ct = g_mime_object_get_content_type((GMimeObject *)part);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
    const char *fname = g_mime_part_get_filename(part);
    int attachment = g_mime_part_is_attachment(part) || fname;
    int is_text = type && !strcasecmp(type, "text");
    int is_json = type && sub && !strcasecmp(type, "application") && !strcasecmp(sub, "json");
    int is_fbr = type && sub && !strcasecmp(type, "message") && !strcasecmp(sub, "feedback-report");
    int is_dsn =
        type && sub && !strcasecmp(type, "message") &&
        (!strcasecmp(sub, "delivery-status") || !strcasecmp(sub, "global-delivery-status"));
    int64_t size = part_size(part);
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!is_text && !is_json && !is_fbr && !is_dsn) {
        if (w->m->nattachments < ERMES_MAIL_MAX_ATTACHMENTS) {
            ermes__mail_attachment_t *a = &w->m->attachments[w->m->nattachments++];
            snprintf(a->name, sizeof(a->name), "%s", fname ? fname : "");
            snprintf(a->content_type, sizeof(a->content_type), "%s/%s", type ? type : "",
                     sub ? sub : "");
            a->size = size;
        }
        return 0;
    }
    if (size < 0 || (size_t)size > w->text_left * 2 + 4096) {
        note(w->m, "text part ", fname ? fname : "(body)", " not read: over the text limit");
        return 0;
    }
    rc = part_text(w, part, w->text_left, &text, &len);
    if (rc == ERMES_ETOOBIG) {
        note(w->m, "text part ", fname ? fname : "(body)", " not read: over the text limit");
        return 0;
    }
    if (rc)
        return rc == ERMES_ENOTFOUND ? 0 : rc;
    w->text_left -= len < w->text_left ? len : w->text_left;
    if (is_dsn) {
        /* What became of the message for each recipient (RFC 3464): the first such part. */
        if (!w->m->dsn.n)
            ermes__dsn_read(text, len, &w->m->dsn);
        ermes__free(text);
        return 0;
    }
    if (is_fbr) {
        if (!w->m->arf)
            w->m->arf = text;
        else
            ermes__free(text);
        return 0;
    }
    if (is_json ||
        (fname && strlen(fname) > 5 && !strcasecmp(fname + strlen(fname) - 5, ".json"))) {
        /* X-ARF v4: the report is a JSON document with Version "4" and a Report object. */
        if (!w->m->xarf && strstr(text, "\"Report\"") && strstr(text, "\"Version\"")) {
            w->m->xarf = text;
            return 0;
        }
    }
    if (attachment) {
        if (w->m->nattachments < ERMES_MAIL_MAX_ATTACHMENTS) {
            ermes__mail_attachment_t *a = &w->m->attachments[w->m->nattachments++];
            snprintf(a->name, sizeof(a->name), "%s", fname ? fname : "");
            snprintf(a->content_type, sizeof(a->content_type), "%s/%s", type ? type : "",
                     sub ? sub : "");
            a->size = (int64_t)len;
            a->text = text;
            return 0;
        }
        ermes__free(text);
        return 0;
    }
    if (sub && !strcasecmp(sub, "html"))
        strip_html(text, &len);
    if (w->m->text.len)
        ermes__strbuf_add(&w->m->text, "\n", 1);
    rc = ermes__strbuf_add(&w->m->text, text, len);
    ermes__free(text);
    return rc ? 0 : 0;
}

static void verify(walk_t *w, GMimeMultipartSigned *mps)
{
    GError *err = NULL;
    GMimeSignatureList *sigs = g_mime_multipart_signed_verify(mps, GMIME_VERIFY_NONE, &err);
    int good = 0, bad = 0, missing = 0;

    if (!sigs) {
        snprintf(w->m->signature, sizeof(w->m->signature), "error");
        g_clear_error(&err);
        return;
    }
    for (int k = 0; k < g_mime_signature_list_length(sigs); k++) {
        GMimeSignature *s = g_mime_signature_list_get_signature(sigs, k);
        GMimeSignatureStatus st = g_mime_signature_get_status(s);
        if (st & GMIME_SIGNATURE_STATUS_RED)
            bad++;
        else if (st & GMIME_SIGNATURE_STATUS_KEY_MISSING)
            missing++;
        else if (st & (GMIME_SIGNATURE_STATUS_VALID | GMIME_SIGNATURE_STATUS_GREEN))
            good++;
        else if (st == 0)
            good++; /* gpgme: no error, trust not known */
        else
            bad++;
    }
    snprintf(w->m->signature, sizeof(w->m->signature), "%s",
             bad       ? "bad"
             : missing ? "unknown-key"
             : good    ? "good"
                       : "error");
    g_object_unref(sigs);
}

static int walk(walk_t *w, GMimeObject *obj, int depth)
{
    if (!obj)
        return 0;
    if (over_limits(w, depth)) {
        w->failed = 1;
        return ERMES_EPARSE;
    }
    if (depth > w->m->depth)
        w->m->depth = depth;
    if (GMIME_IS_MULTIPART_ENCRYPTED(obj)) {
        GError *err = NULL;
        GMimeObject *clear = g_mime_multipart_encrypted_decrypt(
            (GMimeMultipartEncrypted *)obj, GMIME_DECRYPT_NONE, NULL, NULL, &err);
        int rc;
        if (!clear) {
            snprintf(w->m->encryption, sizeof(w->m->encryption), "no-key");
            ermes_diag_set(w->d, NULL, "encrypted, and cannot be decrypted here: %s",
                           err && err->message ? err->message : "no secret key");
            g_clear_error(&err);
            w->failed = 1;
            return ERMES_EPARSE;
        }
        snprintf(w->m->encryption, sizeof(w->m->encryption), "decrypted");
        /* A signed-then-encrypted message: the signature is checked inside. */
        rc = walk(w, clear, depth + 1);
        g_object_unref(clear);
        return rc;
    }
    if (GMIME_IS_MULTIPART_SIGNED(obj)) {
        verify(w, (GMimeMultipartSigned *)obj);
        return walk(
            w, g_mime_multipart_get_part((GMimeMultipart *)obj, GMIME_MULTIPART_SIGNED_CONTENT),
            depth + 1);
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = (GMimeMultipart *)obj;
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "";
        int n = g_mime_multipart_get_count(mp), rc;
        if (sub && !strcasecmp(sub, "report")) {
            const char *rt = g_mime_content_type_get_parameter(ct, "report-type");
            if (rt &&
                (!strcasecmp(rt, "delivery-status") || !strcasecmp(rt, "disposition-notification")))
                w->m->is_mdn_or_dsn = 1;
        }
        /* multipart/alternative: the plain text when there is one, else the first. */
        if (sub && !strcasecmp(sub, "alternative")) {
            GMimeObject *best = NULL;
            for (int k = 0; k < n; k++) {
                GMimeObject *p = g_mime_multipart_get_part(mp, k);
                GMimeContentType *pct = g_mime_object_get_content_type(p);
                if (pct && g_mime_content_type_is_type(pct, "text", "plain")) {
                    best = p;
                    break;
                }
                if (!best)
                    best = p;
            }
            return walk(w, best, depth + 1);
        }
        for (int k = 0; k < n; k++)
            if ((rc = walk(w, g_mime_multipart_get_part(mp, k), depth + 1)))
                return rc;
        return 0;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *inner = g_mime_message_part_get_message((GMimeMessagePart *)obj);
        return inner ? walk(w, g_mime_message_get_mime_part(inner), depth + 1) : 0;
    }
    if (GMIME_IS_PART(obj))
        return leaf(w, (GMimePart *)obj);
    return 0;
}

static int parse_stream(GMimeStream *stream, const char *gnupg_home,
                        const ermes__mail_limits_t *lim, ermes__mail_parsed_t *m, ermes_diag_t *d)
{
    GMimeParserOptions *opts;
    GMimeParser *parser;
    GMimeMessage *msg;
    InternetAddressList *from;
    GDateTime *date;
    walk_t w;
    const char *v;
    int rc = 0;

    (void)gnupg_home;
    memset(&w, 0, sizeof(w));
    w.lim = lim;
    w.m = m;
    w.d = d;
    w.text_left = lim->max_text;
    opts = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(opts, warning_cb, &w);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, opts);
    g_object_unref(parser);
    if (!msg) {
        ermes_diag_set(d, NULL, "not an e-mail message: no header could be read");
        g_mime_parser_options_free(opts);
        return ERMES_EPARSE;
    }
    v = g_mime_message_get_message_id(msg);
    m->message_id = dup_or_null(v);
    m->in_reply_to = dup_or_null(g_mime_object_get_header((GMimeObject *)msg, "In-Reply-To"));
    m->references = dup_or_null(g_mime_object_get_header((GMimeObject *)msg, "References"));
    m->auto_submitted = dup_or_null(g_mime_object_get_header((GMimeObject *)msg, "Auto-Submitted"));
    m->subject = dup_or_null(g_mime_message_get_subject(msg));
    if (m->subject && !g_utf8_validate(m->subject, -1, NULL)) {
        char *c =
            g_convert_with_fallback(m->subject, -1, "UTF-8", "WINDOWS-1252", "?", NULL, NULL, NULL);
        ermes__free(m->subject);
        m->subject = dup_or_null(c ? c : "");
        g_free(c);
    }
    from = g_mime_message_get_from(msg);
    if (from && internet_address_list_length(from) > 0) {
        InternetAddress *a = internet_address_list_get_address(from, 0);
        if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
            const char *addr = internet_address_mailbox_get_addr((InternetAddressMailbox *)a);
            if (addr && *addr && g_utf8_validate(addr, -1, NULL))
                m->from = ermes__strdup(addr);
        }
        if (internet_address_get_name(a) && g_utf8_validate(internet_address_get_name(a), -1, NULL))
            m->from_name = dup_or_null(internet_address_get_name(a));
    }
    date = g_mime_message_get_date(msg);
    if (date)
        m->date = (int64_t)g_date_time_to_unix(date) * 1000;
    rc = walk(&w, g_mime_message_get_mime_part(msg), 0);
    if (!rc && w.crit) {
        /* GMime got past it, but the message is damaged: what could be read is used, and the
         * reason is kept with it. */
        note(m, "damaged MIME: ", w.crit_what, NULL);
    }
    g_object_unref(msg);
    g_mime_parser_options_free(opts);
    return rc;
}

void ermes__mail_init(void)
{
    pthread_once(&gmime_once, gmime_init);
}

static void parsed_init(ermes__mail_parsed_t *out, const ermes__mail_limits_t *lim)
{
    memset(out, 0, sizeof(*out));
    ermes__strbuf_init(&out->text, lim->max_text + 1);
    snprintf(out->signature, sizeof(out->signature), "none");
    snprintf(out->encryption, sizeof(out->encryption), "none");
}

static void set_home(const char *gnupg_home)
{
    /* GMime's gpg context makes its gpgme contexts with gpgme's default engine settings: the
     * CERT's key home (notify_pgp_home) is made that default, for this process, whenever it
     * is not already (gpgme keeps it under its own lock; no environment variable changes,
     * which other threads may be reading). notify/pgp.c sets its home per context. */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char current[4096];

    if (!gnupg_home || !*gnupg_home)
        return;
    pthread_mutex_lock(&lock);
    if (strcmp(current, gnupg_home) != 0 && strlen(gnupg_home) < sizeof(current)) {
        gpgme_check_version(NULL);
        if (gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP, NULL, gnupg_home) == 0)
            snprintf(current, sizeof(current), "%s", gnupg_home);
    }
    pthread_mutex_unlock(&lock);
}

int ermes__mail_parse_mem(const char *data, size_t len, const char *gnupg_home,
                          const ermes__mail_limits_t *lim, ermes__mail_parsed_t *out,
                          ermes_diag_t *d)
{
    GMimeStream *s;
    int rc;

    parsed_init(out, lim);
    set_home(gnupg_home);
    pthread_once(&gmime_once, gmime_init);
    s = g_mime_stream_mem_new_with_buffer(data, len);
    rc = parse_stream(s, gnupg_home, lim, out, d);
    g_object_unref(s);
    return rc;
}

int ermes__mail_parse_file(const char *path, const char *gnupg_home,
                           const ermes__mail_limits_t *lim, ermes__mail_parsed_t *out,
                           ermes_diag_t *d)
{
    GMimeStream *s;
    int fd, rc;

    parsed_init(out, lim);
    set_home(gnupg_home);
    pthread_once(&gmime_once, gmime_init);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        ermes_diag_set(d, NULL, "cannot open the stored message");
        return ERMES_EIO;
    }
    /* The file stream owns fd; parts refer to ranges of it instead of copies, so a large
     * attachment costs no memory until (unless) it is decoded. */
    s = g_mime_stream_fs_new(fd);
    rc = parse_stream(s, gnupg_home, lim, out, d);
    g_object_unref(s);
    return rc;
}

void ermes__mail_parsed_cleanup(ermes__mail_parsed_t *m)
{
    ermes__free(m->message_id);
    ermes__free(m->in_reply_to);
    ermes__free(m->references);
    ermes__free(m->from);
    ermes__free(m->from_name);
    ermes__free(m->subject);
    ermes__free(m->auto_submitted);
    ermes__free(m->xarf);
    ermes__free(m->arf);
    for (size_t k = 0; k < m->nattachments; k++)
        ermes__free(m->attachments[k].text);
    ermes__strbuf_cleanup(&m->text);
    memset(m, 0, sizeof(*m));
}
