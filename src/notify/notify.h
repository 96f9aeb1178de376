/* Notify: events become e-mails to the constituents they concern.
 *
 *   group.c    events not yet notified, per (constituent, feed or classification type), wait
 *              notify_window from the oldest one; then they become one notification per
 *              language group of the contacts for those kinds of issue, with a reference
 *              number. One transaction per group: the events are marked notified in the same
 *              commit, and the constituent's cursor moves past them (migration 12 in
 *              src/store/schema.c): a round reads only the events past each cursor.
 *   message.c  the text from a template in the contact's language (built-in en, fr, de), and
 *              the MIME message: text part, the events as a CSV attachment, headers; signed
 *              with OpenPGP (PGP/MIME, RFC 3156) when notify_pgp_key is set (pgp.c).
 *   smtp.c     delivery with libcurl (STARTTLS when the server offers it, or smtps://).
 *   send.c     one delivery attempt: claim, rate limit, record, send, record; backoff.
 *   encrypt.c  encryption to the recipients' OpenPGP keys (pgp.c: gpgme), and who is left out.
 *   sightings.c  sightings of a constituent's systems become notifications too.
 *   review.c   review before sending: the notification policies that make a notification wait
 *              for approval, the backlog rule (notify_review_age), approve/hold/cancel/edit.
 *   worker.c   the daemon's thread: group, then send what is due; again every few seconds.
 *
 * Who gets a notification: the organisation's contacts for the kind of issue its events are
 * (the RSIT class of classification.type), in tiers; the first tier that has a contact is
 * written to:
 *
 *   kind         classes                                   tiers
 *   abuse        every class not below                     abuse | security, cert | technical
 *   vulnerable   vulnerable                                technical | security, cert | abuse
 *   compromise   intrusions, information-content-security  security, cert | abuse | technical
 *
 * Contacts with role "notification" (a mailbox for the CERT's notifications) are in every
 * first tier; "management" contacts are never e-mailed events. An e-mail whose events are of
 * several kinds (grouped by feed) goes to the contacts of each kind. An organisation with no
 * contact of these roles gets nothing: its events wait (counted by ermes__store_notify_waiting)
 * until one is added.
 *
 * TLP: a notification only carries events of one constituent and goes only to that
 * constituent's own contacts, so AMBER and AMBER+STRICT never reach anyone else; TLP:RED
 * events are never e-mailed at all. The subject shows the most restrictive label of the
 * events it carries.
 *
 * Never twice: an event is marked notified when its notification is made, and the database
 * refuses a second notification of an event to the same language group (UNIQUE (event_id,
 * language)); a notification is sent by one sender at a time (a lease naming its daemon
 * instance, renewed by that process's heartbeat while it sends: src/store/lease.c) and never
 * again once sent.
 *
 * A crash during delivery: at least once, not at most once. An attempt is recorded as state
 * "sending" (committed, attempts + 1) before the SMTP exchange starts and as "sent" after the
 * server accepted the message. A process that dies in between leaves the notification in
 * "sending"; once its lease ran out (or its process on this machine is gone) the next round
 * of any daemon makes it
 * "retrying" with a note in last_error, and the next attempt sends it again. The server may
 * have accepted the first copy, so the recipient may get two; both carry the same Message-ID,
 * Date and reference (the message is built from stored data only: every attempt is the same
 * message, byte for byte, bar the OpenPGP signature's time), so the recipient's system can
 * drop the second. Losing a notification silently would be worse for a CERT than a duplicate
 * that says what it is. Interrupted attempts count towards notify_max_attempts, so a process
 * that keeps dying cannot make it resend without end. */
#ifndef ERMES_NOTIFY_NOTIFY_H
#define ERMES_NOTIFY_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "model/notification.h"
#include "model/org.h"
#include "store/notify_prefs.h"
#include "store/store.h"

struct ermes__config;

/* Events in one e-mail at most; a larger group becomes several notifications. */
#define ERMES_NOTIFY_MAX_EVENTS 10000
/* Backoff between attempts: retry_base, doubled each time, never more than this. */
#define ERMES_NOTIFY_BACKOFF_CAP_MS (3600 * 1000LL)
/* Seconds an SMTP exchange may take, and its connection. */
#define ERMES_NOTIFY_SMTP_TIMEOUT 120
#define ERMES_NOTIFY_SMTP_CONNECT_TIMEOUT 20
/* Recipients of one notification at most. */
#define ERMES_NOTIFY_MAX_RECIPIENTS 32

/* Kinds of issue, each with its contacts (see above). */
#define ERMES_NOTIFY_KIND_ABUSE 0x1u
#define ERMES_NOTIFY_KIND_VULNERABLE 0x2u
#define ERMES_NOTIFY_KIND_COMPROMISE 0x4u

typedef struct ermes__notify_options {
    int64_t window_ms;     /* a group is due when its oldest event is this old */
    int by_type;           /* group by classification.type, else by feed.name */
    int64_t retry_base_ms; /* first backoff */
    long max_attempts;
    long rate_per_hour;        /* per recipient */
    const char *smtp_url;      /* NULL: prepare notifications, send nothing */
    const char *smtp_user;     /* NULL: no AUTH */
    const char *smtp_password; /* never logged */
    const char *smtp_ca_file;  /* NULL: the system's CAs verify the server's certificate */
    int smtp_dsn;              /* ask for DSNs (smtp_dsn; smtp.c) */
    int smtp_tls_required;     /* 1: fail rather than send without TLS (smtp_tls=require, or
                                * smtp_user set without smtp_plaintext_auth) */
    const char *pgp_key;       /* NULL: unsigned; else the OpenPGP key that signs */
    const char *pgp_home;      /* GnuPG home of that key; NULL: GNUPGHOME or ~/.gnupg */
    const char *mail_from;     /* "ermes@localhost", or "Name <addr>" */
    const char *signature;     /* notify_signature ("\n" for line breaks); NULL: mail_from */
    const char *templates_dir; /* NULL: built-in templates only */
    const int *cancel;         /* when set and non-zero (read atomically), an SMTP exchange stops */
    int skip_waiting;   /* 1: grouping leaves stats->waiting alone (the daemon's rounds do not
                         * report it, and counting reads every event of the orgs it counts) */
    int encrypt;        /* notify_encrypt: encrypt when every recipient has a usable key */
    int encrypt_strict; /* notify_encrypt_strict: AMBER+STRICT and above only encrypted */
    char pgp_contacts_home[1024]; /* the contacts' keyring: DATA_DIR/pgp-contacts */
    int64_t expiry_warn_ms;       /* notify_pgp_expiry_warn; 0: no warnings */
    int review_default;           /* notify_approval = review: wait unless a policy says auto */
    int64_t review_age_ms;        /* notify_review_age; 0: off (review.c) */
} ermes__notify_options_t;

/* The options from the settings; strings borrow from cfg. ERMES_ECONFIG with d for a bad
 * notify_group_by, mail_from or smtp_url. */
int ermes__notify_options_from_config(const struct ermes__config *cfg, ermes__notify_options_t *o,
                                      ermes_diag_t *d);
/* Checks that setting name may become value in the settings now: the table's parser and
 * limits (ermes__config_check), then the notification options made with it (mail_from with
 * smtp_url...). ERMES_EINVAL / ERMES_ERANGE / ERMES_ECONFIG with the field and reason in d. */
int ermes__notify_check_setting(const struct ermes__config *now, const char *name,
                                const char *value, ermes_diag_t *d);

/* What a run did, for logs, the CLI and the API. */
typedef struct ermes__notify_stats {
    long groups;        /* groups that became notifications */
    long notifications; /* notifications made */
    long events;        /* events they carry */
    int64_t waiting;    /* events waiting for a contact */
    long sent;          /* notifications delivered */
    long deferred;      /* over a recipient's rate limit: wait, not dropped */
    long retrying;      /* attempts that failed and will be retried */
    long failed;        /* given up: max_attempts, or a permanent refusal */
    long recovered;     /* left in state sending by a process that died: retrying now */
    long for_review;    /* notifications made that wait for approval (a policy) */
    long held_stale;    /* notifications that became waiting for their age (the backlog) */
} ermes__notify_stats_t;

/* ---- grouping (group.c) ------------------------------------------------------------------ */

/* Makes notifications of every due group: those whose oldest event was stored at least
 * window_ms before now, or all of them with ignore_window. Adds to *stats. */
int ermes__notify_group(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                        int ignore_window, ermes__notify_stats_t *stats);

/* The kind of issue (ERMES_NOTIFY_KIND_*) an event of classification type `type` is. */
unsigned ermes__notify_kind_of_type(const char *type);

/* Recipients of org's notifications about issues of kinds (ERMES_NOTIFY_KIND_* bits; 0 is
 * abuse), by the rule above: the indexes into org->contacts, at most cap, into idx, in the
 * organisation's order; returns how many. */
size_t ermes__notify_recipients(const ermes__org_t *org, unsigned kinds, size_t *idx, size_t cap);
/* The addresses, lower case, of org's contacts for vulnerable systems (the vulnerability and
 * advisory warnings' recipients) as a JSON array text into *out (free()); *out NULL when it
 * has none. 0 or ERMES_ENOMEM. */
int ermes__notify_vulnerable_recipients(const ermes__org_t *org, char **out);

/* ---- review before sending (review.c) -------------------------------------------------- */

/* The notification policies, read once a round. */
typedef struct ermes__notify_policies {
    ermes__notify_policy_t *items;
    size_t n, cap;
} ermes__notify_policies_t;

int ermes__notify_policies_load(ermes__store_t *st, ermes__notify_policies_t *out);
void ermes__notify_policies_cleanup(ermes__notify_policies_t *l);

/* 1 when a notification of constituent org_id carrying events of feeds and types waits for
 * approval by the policies l (the rule in review.c), else 0; reason gets which policy (or
 * setting) decided, "" when none did and the default is auto. l may be NULL. */
int ermes__notify_review_decide(const ermes__notify_policies_t *l, int review_default,
                                int64_t org_id, const char *const *feeds, size_t nfeeds,
                                const char *const *types, size_t ntypes, char *reason, size_t cap);

/* The backlog rule: every notification not sent o->review_age_ms after it was made now waits
 * for approval; *held gets how many. */
int ermes__notify_hold_stale(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                             size_t *held);

/* Reads a policy from a JSON body: "mode" (auto or review, required), "feed", "classification"
 * (an RSIT class or type), "org" (an id or short name, returned in *org, borrowed from body,
 * for the caller to resolve), "note"; nothing else. ERMES_EINVAL with d naming the field. */
int ermes__notify_policy_read(const json_t *body, ermes__notify_policy_t *p, const char **org,
                              ermes_diag_t *d);
/* A policy as JSON ({id, mode, feed, classification, org, note, created_at}). */
json_t *ermes__notify_policy_to_json(const ermes__notify_policy_t *p);

/* A review decision on notification id by viewer v (API or CLI): approve, hold or cancel;
 * audited. ERMES_ECONFLICT with why (may be NULL) saying so when it is sent, being sent or
 * cancelled; ERMES_ENOTFOUND. */
int ermes__notify_review(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                         ermes__review_action_t action, char *why, size_t whycap);
/* Applies a reviewer's edit (ermes__notification_edit_read) to notification id, which must
 * wait for approval (waiting or held): ERMES_ECONFLICT otherwise; audited. */
int ermes__notify_edit(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                       const ermes__notification_edit_t *e);

/* ---- sightings (sightings.c) ------------------------------------------------------------ */

/* Makes notifications of the due groups of sightings (per constituent and indicator source),
 * with the policies pol; adds to *stats. */
int ermes__notify_group_sightings(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                                  int ignore_window, const ermes__notify_policies_t *pol,
                                  int64_t home, ermes__notify_stats_t *stats);
/* The CSV of the sightings notification id carries (a header, then one line each; the
 * indicator and the value seen withheld for a TLP:RED indicator); *any = 0 when it carries
 * none (out then has the header only). */
int ermes__notify_sightings_csv(ermes__store_t *st, int64_t id, ermes__strbuf_t *out, int *any);

/* ---- vulnerabilities (vulns.c) ------------------------------------------------------------ */

/* Matches the vulnerabilities ids (nids of them; NULL: every one) against every asset and
 * makes one notification per constituent with news (an asset never warned of a CVE, or a CVE
 * that entered KEV since), remembering what was warned; adds to *stats; *matches (may be
 * NULL) gets the pieces of news. */
int ermes__notify_vulns(ermes__store_t *st, const ermes__notify_options_t *o, const int64_t *ids,
                        size_t nids, ermes__notify_stats_t *stats, size_t *matches);
/* The CSV of the assets and CVEs notification id warned of (a header, then one line each);
 * *any = 0 when it carries none. */
int ermes__notify_vulns_csv(ermes__store_t *st, int64_t id, ermes__strbuf_t *out, int *any);

/* ---- published advisories warn the affected constituents (advisories.c) ------------------- */

/* Every asset of every organisation, as the matcher sees it (vulns.c; strings owned). */
typedef struct ermes__notify_assets {
    struct ermes__asset_ref *v;
    size_t n, cap;
} ermes__notify_assets_t;
int ermes__notify_assets_load(ermes__store_t *st, ermes__notify_assets_t *l);
void ermes__notify_assets_cleanup(ermes__notify_assets_t *l);

/* For each published advisory whose latest revision has not been warned of yet: matches its
 * published document's product_status against every asset (src/advisories/csaf_match.h) and
 * makes one notification per organisation with an asset affected or under investigation
 * whose warning differs from what it was last warned of by this advisory (a new asset, another
 * vulnerability, state or remediation); an asset the constituent marked fixed or not_affected
 * for a vulnerability is not warned of it. The recipients and the review policy are
 * notify_vulns's (feed "advisories"); the advisory's TLP decides what the message says.
 * Adds to *stats; *warned (may be NULL) gets the number of assets warned. */
int ermes__notify_advisories(ermes__store_t *st, const ermes__notify_options_t *o,
                             ermes__notify_stats_t *stats, size_t *warned);

/* ---- per-constituent preferences (prefs.c) ------------------------------------------------ */

/* 1 when a constituent with preferences p (NULL: the defaults) wants events of feed and
 * classification type e-mailed (the rule in prefs.c), else 0. */
int ermes__notify_prefs_wants(const ermes__notify_prefs_t *p, const char *feed, const char *type);
/* The latest digest due time at or before now (ms; 0 for immediate). */
int64_t ermes__notify_digest_last_due(const ermes__notify_prefs_t *p, int64_t now);
/* 1 when a digest is due at now (its due time, in *due, is past p->digest_through). */
int ermes__notify_digest_due(const ermes__notify_prefs_t *p, int64_t now, int64_t *due);
/* The first digest due time after now (0 for immediate). */
int64_t ermes__notify_digest_next(const ermes__notify_prefs_t *p, int64_t now);
const char *ermes__notify_frequency_name(ermes__notify_frequency_t f);
const char *ermes__notify_attachment_name(ermes__notify_attachment_t a);
/* Reads the fields of body present (feeds, classifications, frequency, digest_hour,
 * digest_weekday, attachment; the read-only ones are ignored) into p, which holds the values
 * kept. ERMES_EINVAL with d naming the field. */
int ermes__notify_prefs_read(const json_t *body, ermes__notify_prefs_t *p, ermes_diag_t *d);
/* p as JSON, with next_digest_at computed at now. */
json_t *ermes__notify_prefs_to_json(const ermes__notify_prefs_t *p, int64_t now);
/* The audit record's detail of a change from before to after: after as JSON (to_json) with
 * "changed": {field: [old, new]} for each settable field that changed (who changed it is the
 * audit record's user). NULL when out of memory; the caller frees it. */
char *ermes__notify_prefs_audit_detail(const ermes__notify_prefs_t *before,
                                       const ermes__notify_prefs_t *after, int64_t now);
/* The attachment of notification n in its constituent's format (attach.c): out gets the CSV,
 * the JSON array, or the X-ARF documents one per line; n->attachment says which. */
int ermes__notify_attachment(ermes__store_t *st, const ermes__notify_options_t *o,
                             ermes__notification_t *n, ermes__strbuf_t *out);

/* ---- messages (message.c) ---------------------------------------------------------------- */

/* The language whose template serves contacts speaking lang (ISO 639-1, any case): lang
 * itself when templates_dir has lang.txt or a built-in exists (en, fr, de), else "en". buf
 * gets at least 3 bytes. */
void ermes__notify_language(const char *templates_dir, const char *lang, char *buf, size_t cap);

/* What a template is filled with. */
typedef struct ermes__notify_vars {
    const char *reference; /* "ERMES-2026-000042" */
    const char *org;       /* short name */
    const char *org_name;
    const char *group; /* the feed name or the type */
    int by_type;
    ermes_tlp_t tlp;
    int64_t events;
    int64_t first, last;      /* time range of the events, ms */
    const char *const *types; /* classification types present, NULL-terminated */
    const int64_t *type_counts;
    const char *mail_from;
    const char *signature; /* NULL: mail_from */
    /* Per-constituent preferences (prefs.c): 1 daily or 2 weekly digest, 0 not a digest; the
     * period it covers (ms); the attachment's file name extension (NULL: "csv"). */
    int digest;
    int64_t period_start, period_end;
    const char *attachment_ext;
} ermes__notify_vars_t;

/* Renders the subject (one line) and the body ("\n" line ends) in language lang from its
 * template (templates_dir/lang.txt: first line the subject, then a blank line, then the
 * body; ${name} substitutions, see message.c; else the built-in). ERMES_EIO when a template file
 * cannot be read, ERMES_ETOOBIG, ERMES_ENOMEM. */
int ermes__notify_render(const char *templates_dir, const char *lang,
                         const ermes__notify_vars_t *vars, ermes__strbuf_t *subject,
                         ermes__strbuf_t *body);

/* As ermes__notify_render with stored (when not NULL) as the template: a template edited in
 * the API, which wins over templates_dir's file and the built-in one. */
int ermes__notify_render_text(const char *templates_dir, const char *lang, const char *stored,
                              const ermes__notify_vars_t *vars, ermes__strbuf_t *subject,
                              ermes__strbuf_t *body);
/* The templates of kind notification (src/templates): the message, then the item templates of
 * its lines: explanation (one per classification type, joined by line breaks: the message's
 * ${explanations}), digest_daily and digest_weekly (a digest's opening sentence: ${digest}),
 * attached_csv, attached_json and attached_xarf (how the events are attached: ${attached}). */
enum {
    ERMES_NOTIFY_PART_MESSAGE,
    ERMES_NOTIFY_PART_EXPLANATION,
    ERMES_NOTIFY_PART_DIGEST_DAILY,
    ERMES_NOTIFY_PART_DIGEST_WEEKLY,
    ERMES_NOTIFY_PART_ATTACHED_CSV,
    ERMES_NOTIFY_PART_ATTACHED_JSON,
    ERMES_NOTIFY_PART_ATTACHED_XARF,
    ERMES_NOTIFY_PARTS
};

/* The stored templates of one language by part (owned, NULL where none is stored). */
typedef struct ermes__notify_texts {
    char *text[ERMES_NOTIFY_PARTS];
} ermes__notify_texts_t;

/* The k-th part's name ("message", "explanation", ...), NULL past the last. */
const char *ermes__notify_part_at(size_t k);
/* The built-in template of part name in lang (English for a language without one), NULL for
 * an unknown name; for the message, without templates_dir's file. Borrowed. */
const char *ermes__notify_part_builtin(const char *name, const char *lang);
/* Loads every stored notification template of lang in one query into *t (cleaned up on
 * failure). Free with ermes__notify_texts_cleanup. */
int ermes__notify_texts_load(ermes__store_t *st, const char *lang, ermes__notify_texts_t *t);
/* Puts a copy of text in the place of part name (an unknown name is ignored). */
int ermes__notify_texts_set(ermes__notify_texts_t *t, const char *name, const char *text);
void ermes__notify_texts_cleanup(ermes__notify_texts_t *t);
/* As ermes__notify_render_text with texts (borrowed, may be NULL) as the stored templates of
 * every part. */
int ermes__notify_render_texts(const char *templates_dir, const char *lang,
                               const ermes__notify_texts_t *texts, const ermes__notify_vars_t *vars,
                               ermes__strbuf_t *subject, ermes__strbuf_t *body);
/* Checks a template of part name before it is stored: the message as below; another part at
 * most 64 KiB, not empty, no control character, every ${name} closed on its line and one the
 * part knows. ERMES_EINVAL (d's field "name" for an unknown part, else "text" with the line
 * and column) or ERMES_ETOOBIG. */
int ermes__notify_part_check(const char *name, const char *text, ermes_diag_t *d);
/* Checks a template before it is stored: a subject line, at most 64 KiB, no control
 * character, every ${name} closed on its line and known. ERMES_EINVAL/ERMES_ETOOBIG with the
 * line and column in d. */
int ermes__notify_template_check(const char *text, ermes_diag_t *d);
/* 1 when lang is a template language as stored: two or three lower-case letters. */
int ermes__notify_template_valid_lang(const char *lang);
/* The k-th built-in language ("en", "fr", ...), NULL past the last. */
const char *ermes__notify_builtin_lang(size_t k);
/* The template lang has without a stored one: templates_dir's file (*source "file") or the
 * built-in (*source "builtin"); ERMES_ENOTFOUND when neither. *text to ermes__free. */
int ermes__notify_template_default(const char *templates_dir, const char *lang, char **text,
                                   const char **source);

/* The Message-ID of a notification: "<REFERENCE.CREATED_MS@domain of mail_from>". */
void ermes__notify_message_id(const char *reference, int64_t created_ms, const char *mail_from,
                              char *buf, size_t cap);

/* A contact's OpenPGP public key as read (pgp.c). */
typedef struct ermes__pgp_key_info {
    char fingerprint[64];
    char uid[160];
    int usable;         /* 1: a subkey can encrypt now */
    int64_t expires_at; /* ms when the last such subkey expires; 0: never (or not usable) */
    char problem[160];  /* why not usable: revoked, expired, cannot encrypt */
} ermes__pgp_key_info_t;

/* Encryption of one notification to its recipients' keys (encrypt.c). */
typedef struct ermes__notify_crypt {
    int encrypt;                                /* 1: encrypted to armours */
    char *armours[ERMES_NOTIFY_MAX_RECIPIENTS]; /* owned */
    size_t nkeys;
    char note[512]; /* who was left out and why; "" when nobody */
} ermes__notify_crypt_t;

/* Decides, for notification n and its recipients rcpts (*nrcpt of them, borrowed), whether
 * the message is encrypted and to which keys (the contacts of n's constituent with those
 * addresses): every recipient with a usable key and o->encrypt: encrypted; o->encrypt_strict
 * and n at TLP:AMBER+STRICT or above: the recipients without a usable key are left out of
 * rcpts (*nrcpt shrinks), the note says who and why, and ERMES_EDENIED (note says why) when
 * nobody is left. Caller frees c with ermes__notify_crypt_cleanup. */
int ermes__notify_crypt_plan(ermes__store_t *st, const ermes__notify_options_t *o,
                             const ermes__notification_t *n, const char **rcpts, size_t *nrcpt,
                             int64_t now, ermes__notify_crypt_t *c);
void ermes__notify_crypt_cleanup(ermes__notify_crypt_t *c);

/* Every contact's OpenPGP key, checked at now: cb gets the organisation, the contact, what the
 * key says (info) and err when it cannot be read (else NULL); all borrowed for the call. */
typedef int (*ermes__notify_key_cb)(void *ctx, const ermes__org_t *org, const ermes__contact_t *c,
                                    const ermes__pgp_key_info_t *info, const char *err);
int ermes__notify_keys_each(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                            ermes__notify_key_cb cb, void *ctx);
/* Logs a warning for each contact key that expires within o->expiry_warn_ms, or cannot be
 * used; *warned gets how many (the daemon does this once a day). */
int ermes__notify_keys_warn(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                            size_t *warned);

/* ermes__notify_build_message, encrypted (RFC 3156 section 4; signed first, section 6.1, with
 * o->pgp_key) when crypt says so. */
int ermes__notify_build_message_to(const ermes__notify_options_t *o, const ermes__notification_t *n,
                                   const char *csv, size_t csv_len,
                                   const ermes__notify_crypt_t *crypt, ermes__strbuf_t *out,
                                   char *err, size_t errcap);

/* The complete message (RFC 5322 + MIME, CRLF line ends) as sent: headers Date (when the
 * notification was made), From, To, Subject, Message-ID (n->message_id, made from the
 * reference when empty), MIME-Version, X-ERMES-Reference; a multipart/mixed body with the text
 * (quoted-printable UTF-8) and the events as REFERENCE.csv (base64 text/csv). csv may be NULL
 * for a message without attachment. With o->pgp_key the multipart/mixed entity is wrapped in
 * multipart/signed (RFC 3156); ERMES_ECONFIG when the key cannot sign (reason in err, which
 * may be NULL). */
int ermes__notify_build_message(const ermes__notify_options_t *o, const ermes__notification_t *n,
                                const char *csv, size_t csv_len, ermes__strbuf_t *out, char *err,
                                size_t errcap);

/* OpenPGP (pgp.c, with gpgme): a detached, ASCII-armoured signature (CRLF line ends) of data
 * by key (an id, fingerprint or user id of a secret key in the keyring of home, or of
 * GNUPGHOME when home is NULL) into sig, "pgp-" and the hash's name for micalg into micalg.
 * ERMES_ECONFIG when the key is not there or cannot sign without a passphrase (reason in
 * err), ERMES_EUNSUPPORTED when gpgme cannot start. */
int ermes__notify_pgp_sign(const char *home, const char *key, const char *data, size_t len,
                           ermes__strbuf_t *sig, char *micalg, size_t micalg_cap, char *err,
                           size_t errcap);

/* Reads the one OpenPGP public key in armour (not imported anywhere; home is the contacts'
 * keyring, made if missing) and says whether it can encrypt at now (ms). ERMES_EPARSE with
 * the reason in err when armour holds no key, or more than one; ERMES_EUNSUPPORTED when
 * gpgme cannot start. */
int ermes__notify_pgp_key_info(const char *home, const char *armour, int64_t now,
                               ermes__pgp_key_info_t *info, char *err, size_t errcap);

/* ermes__registry_key_check_cb for the constituency registry: ctx is the contacts' keyring
 * (char *); a key that cannot be read, is revoked, expired or cannot encrypt is refused. */
int ermes__notify_key_check_cb(void *ctx, const char *armour, char *why, size_t cap);

/* Encrypts data to the n armoured public keys (imported into the contacts' keyring home) as
 * an ASCII-armoured OpenPGP message (CRLF line ends) into out. ERMES_ECONFIG with the reason
 * in err when a key cannot be imported or cannot encrypt. */
int ermes__notify_pgp_encrypt(const char *home, const char *const *armours, size_t n,
                              const char *data, size_t len, ermes__strbuf_t *out, char *err,
                              size_t errcap);

/* The CSV attachment of notification id: the events it carries. */
int ermes__notify_csv(ermes__store_t *st, int64_t id, ermes__strbuf_t *out);

/* The complete message of a stored notification, as it is sent (the same at every attempt,
 * bar an OpenPGP signature's time). err (may be NULL) gets the reason signing failed. */
int ermes__notify_preview(ermes__store_t *st, const ermes__notify_options_t *o, int64_t id,
                          ermes__strbuf_t *out, char *err, size_t errcap);

/* Encoders (RFC 2045 section 6.7 and 6.8, RFC 2047), exposed for the tests. */
int ermes__notify_base64(const void *p, size_t n, ermes__strbuf_t *out);
int ermes__notify_qp(const char *text, size_t n, ermes__strbuf_t *out);
int ermes__notify_header_word(const char *text, ermes__strbuf_t *out);

/* The bare address of "Name <addr>" or "addr" into buf; ERMES_EINVAL when there is none. */
int ermes__notify_address(const char *from, char *buf, size_t cap);

/* ---- delivery (smtp.c, send.c) ----------------------------------------------------------- */

/* Sends msg to rcpts over SMTP. On failure returns ERMES_EIO with the reason (never the
 * password) in err, and *permanent = 1 when the server refused for good (a 5xx reply other
 * than to AUTH: the same message would be refused again). */
int ermes__notify_smtp_send(const ermes__notify_options_t *o, const char *const *rcpts, size_t n,
                            const char *msg, size_t len, int *permanent, char *err, size_t errcap);

/* The same for notification envid (its reference): with smtp_dsn, asks for delivery status
 * notifications (RFC 3461): RET=HDRS ENVID=<envid> on MAIL FROM, NOTIFY=SUCCESS,FAILURE and
 * ORCPT=rfc822;<address> on each RCPT TO; when the server refuses those parameters (555, 501,
 * 504), sends again without them. envid NULL, or smtp_dsn off: no DSN asked. */
int ermes__notify_smtp_send_ref(const ermes__notify_options_t *o, const char *envid,
                                const char *const *rcpts, size_t n, const char *msg, size_t len,
                                int *permanent, char *err, size_t errcap);

/* Makes every SMTP exchange of this process, in any thread, give up at once (on) and lets
 * them run again (off): the daemon stopping must not wait for a slow server. */
void ermes__notify_cancel_all(int on);

/* The wait before attempt number attempts + 1, after attempts failed ones (>= 1):
 * base * 2^(attempts-1), capped at ERMES_NOTIFY_BACKOFF_CAP_MS (or base when that is larger). */
int64_t ermes__notify_backoff_ms(int64_t base_ms, int64_t attempts);

/* Rate limit: sent holds the times (newest first) of the messages a recipient got in the last
 * hour, n of them. Returns 0 when one more may go now, else the time at which it may. */
int64_t ermes__notify_rate_next(const int64_t *sent, size_t n, long rate_per_hour, int64_t now);

/* One delivery attempt of notification id: claims it, checks the rate limits, records state
 * sending, sends, records the outcome (sent; retrying with a backoff; failed after
 * max_attempts or a permanent refusal; deferred by the rate limit without counting an
 * attempt). force: a manual send (now, even before its next attempt or after it failed).
 * Returns 0 when the attempt ran (its outcome in stats and in the store), ERMES_ECONFLICT when
 * it was already sent, ERMES_EBUSY when another sender holds it, ERMES_EDENIED when it waits
 * for approval, is held or cancelled (the reason in err), ERMES_ENOTFOUND,
 * ERMES_ECONFIG without smtp_url. err gets the SMTP error, if any. */
int ermes__notify_send(ermes__store_t *st, const ermes__notify_options_t *o, int64_t id, int force,
                       ermes__notify_stats_t *stats, char *err, size_t errcap);

/* Recovers what dead senders left in state sending (see above), then attempts every
 * notification due now. */
int ermes__notify_send_due(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                           ermes__notify_stats_t *stats);

/* Grouping then sending (without smtp_url: grouping only), as the worker does each round. */
int ermes__notify_run(ermes__store_t *st, const ermes__notify_options_t *o, int ignore_window,
                      ermes__notify_stats_t *stats);

/* ---- the daemon's worker (worker.c) ---------------------------------------------------- */

typedef struct ermes__notifier ermes__notifier_t;

/* st and the strings of o are borrowed and must outlive the notifier. */
int ermes__notifier_new(ermes__store_t *st, const ermes__notify_options_t *o,
                        ermes__notifier_t **out);
/* Starts the thread: a round at once, then whenever kicked, when a notification falls due,
 * and every few seconds. */
int ermes__notifier_start(ermes__notifier_t *n);
void ermes__notifier_kick(ermes__notifier_t *n);
/* Stops and joins the thread; every SMTP exchange of the process under way is abandoned (see
 * ermes__notify_cancel_all; its attempt counts as failed and is retried after the restart). */
void ermes__notifier_stop(ermes__notifier_t *n);
/* Stops if needed and frees. NULL is a no-op. */
void ermes__notifier_free(ermes__notifier_t *n);

#endif
