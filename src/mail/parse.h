/* One received message read with GMime: the headers that decide what it becomes (Message-ID,
 * In-Reply-To, References, From, Subject, Auto-Submitted), its text in UTF-8 (text/plain
 * parts, text/html ones with their tags taken out when there is no plain one), its text
 * attachments, an X-ARF report (JSON) or an ARF feedback report (RFC 5965) when it carries
 * one, and what OpenPGP said: the signature's status (gpgme) and whether it was decrypted
 * with the CERT's key. Limits bound the work a hostile message can cause: nesting depth,
 * number of parts, bytes of text kept, time. */
#ifndef ERMES_MAIL_PARSE_H
#define ERMES_MAIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "ermes/error.h"
#include "mail/dsn.h"

typedef struct ermes__mail_limits {
    long max_depth;      /* MIME nesting depth */
    long max_parts;      /* parts in all */
    size_t max_text;     /* bytes of text kept (body and attachments together) */
    int64_t deadline_ns; /* monotonic time (ermes__time_monotonic_ns) after which parsing gives up;
                          * 0: none */
} ermes__mail_limits_t;

#define ERMES_MAIL_MAX_ATTACHMENTS 64

typedef struct ermes__mail_attachment {
    char name[256];
    char content_type[128];
    int64_t size; /* decoded bytes, -1 when not read (binary, over the limit) */
    char *text;   /* UTF-8, for text attachments read; NULL otherwise */
} ermes__mail_attachment_t;

typedef struct ermes__mail_parsed {
    char *message_id;  /* without the angle brackets; NULL when absent */
    char *in_reply_to; /* as written */
    char *references;
    char *from; /* the address (lower case domain), NULL when absent */
    char *from_name;
    char *subject; /* decoded (RFC 2047) to UTF-8 */
    char *auto_submitted;
    int64_t date;         /* ms; 0 when absent or unreadable */
    ermes__strbuf_t text; /* the message's text, UTF-8 */
    ermes__mail_attachment_t attachments[ERMES_MAIL_MAX_ATTACHMENTS];
    size_t nattachments;
    char *xarf;          /* the X-ARF JSON document, when there is one */
    char *arf;           /* the message/feedback-report part (RFC 5965 section 3.1), when any */
    int is_mdn_or_dsn;   /* a delivery or read receipt (multipart/report; RFC 3464, 8098) */
    ermes__dsn_t dsn;    /* a delivery receipt's recipients and what became of each */
    char signature[32];  /* none, good, bad, unknown-key, error */
    char encryption[32]; /* none, decrypted, no-key, error */
    char note[256];      /* what was left out (over a limit, undecodable charset), "" */
    int nparts;
    int depth;
} ermes__mail_parsed_t;

/* Parses the message in file path (the raw message as stored). gnupg_home: GnuPG home of
 * the CERT's key (NULL: GNUPGHOME or ~/.gnupg). Returns 0, or ERMES_EPARSE with the reason in
 * d when the message cannot be read as one (no header, nesting or part limit, encrypted for
 * a key not here, time limit); *out is filled as far as it got either way, and is the
 * caller's to free with ermes__mail_parsed_cleanup. */
int ermes__mail_parse_file(const char *path, const char *gnupg_home,
                           const ermes__mail_limits_t *lim, ermes__mail_parsed_t *out,
                           ermes_diag_t *d);
/* The same on bytes in memory (tests, fuzzing). */
int ermes__mail_parse_mem(const char *data, size_t len, const char *gnupg_home,
                          const ermes__mail_limits_t *lim, ermes__mail_parsed_t *out,
                          ermes_diag_t *d);
void ermes__mail_parsed_cleanup(ermes__mail_parsed_t *m);

/* Initialises GMime once per process (the parse calls do it themselves; other users of
 * GMime's helpers, such as the ARF parser's dates, call this first). */
void ermes__mail_init(void);

#endif
