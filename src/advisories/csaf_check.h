/* The check of a CSAF provider against the requirements of CSAF 2.0 section 7.1 (`ermes csaf
 * check URL`, issue 13 item 3): csaf_check.c fetches the provider's files with libcurl (size
 * and time limits) and judges each requirement for the role the metadata claims (section 7.2);
 * csaf_check_read.c reads the provider's small formats (changes.csv, index.txt, security.txt,
 * ROLIE feeds, hash files), pure functions a fuzzer drives. */
#ifndef ERMES_ADVISORIES_CSAF_CHECK_H
#define ERMES_ADVISORIES_CSAF_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

/* ---- readers (csaf_check_read.c) ---- */

/* Largest index.txt, changes.csv, security.txt, feed or hash file read (bytes). */
#define ERMES_CSAF_CHECK_LIST_MAX (8u * 1024 * 1024)
/* At most this many lines of index.txt or changes.csv, entries of a feed. */
#define ERMES_CSAF_CHECK_LINES_MAX 100000

typedef struct ermes__csaf_change {
    char *path; /* relative path, "2022/x.json" (owned) */
    int64_t at; /* the date of the line, ms since 1970 */
    char *when; /* the date as written (owned) */
} ermes__csaf_change_t;

/* A relative path of index.txt or changes.csv: no "..", no leading '/', no scheme, no
 * control character or backslash, ends in ".json". 1 when path (len bytes) is one. */
int ermes__csaf_relpath_ok(const char *path, size_t len);

/* changes.csv of section 7.1.13: lines "path","date" (no header). *out (caller frees with
 * ermes__csaf_changes_free) holds *n lines in file order. ERMES_EPARSE with the line in d. */
int ermes__csaf_changes_read(const char *text, size_t len, ermes__csaf_change_t **out, size_t *n,
                             ermes_diag_t *d);
void ermes__csaf_changes_free(ermes__csaf_change_t *c, size_t n);

/* index.txt of section 7.1.12: one relative path per line (blank lines skipped). *out
 * (caller frees with ermes__csaf_lines_free) holds *n paths. ERMES_EPARSE with the line. */
int ermes__csaf_index_read(const char *text, size_t len, char ***out, size_t *n, ermes_diag_t *d);
void ermes__csaf_lines_free(char **lines, size_t n);

/* The values of the "CSAF:" fields of a security.txt (RFC 9116, CSAF 2.0 section 7.1.8), in
 * order, into *out (caller frees with ermes__csaf_lines_free). */
int ermes__csaf_security_txt_read(const char *text, size_t len, char ***out, size_t *n);

/* One entry of a ROLIE feed (section 7.1.15). Strings owned by the feed. */
typedef struct ermes__csaf_feed_entry {
    char *id, *src;                    /* the entry's id, content.src */
    char *sha256, *sha512, *signature; /* from link rel=hash / rel=signature, or NULL */
    char *updated;                     /* as written */
} ermes__csaf_feed_entry_t;

typedef struct ermes__csaf_feed {
    ermes__csaf_feed_entry_t *entries;
    size_t n;
    char *self; /* the feed's link rel=self, or NULL */
} ermes__csaf_feed_t;

/* A ROLIE feed as section 7.1.15 wants it: feed.id, title, link (self), category (the scheme
 * urn:ietf:params:rolie:category:information-type with the term csaf), updated; each entry id,
 * title, link self, published, updated, content {type application/json, src}, format {schema,
 * version "2.0"}. The first thing missing or wrong is ERMES_EPARSE with the place in d->field
 * and the reason; out is then empty. Caller frees with ermes__csaf_feed_cleanup. */
int ermes__csaf_feed_read(const char *text, size_t len, ermes__csaf_feed_t *out, ermes_diag_t *d);
void ermes__csaf_feed_cleanup(ermes__csaf_feed_t *f);

/* A .sha256 or .sha512 file: the hexadecimal digest first (hexlen 64 or 128 digits),
 * optionally followed by white space and a file name. Copies the digest in lower case into
 * hex (hexlen + 1 bytes). ERMES_EPARSE when it does not start so. */
int ermes__csaf_hash_file_read(const char *text, size_t len, size_t hexlen, char *hex);

/* ---- the check (csaf_check.c) ---- */

#define ERMES_CSAF_REQUIREMENTS 23
enum { ERMES_CSAF_PASS = 0, ERMES_CSAF_FAIL = 1, ERMES_CSAF_NA = 2 };

typedef struct ermes__csaf_check_options {
    const char *cacert; /* PEM file of the CAs to trust, or NULL: the system's */
    long timeout_s;     /* per request */
    long max_documents; /* documents fetched at most */
    /* For an import of the provider's documents (csaf_import.c), NULL for a plain check.
     * want: asked before a document is fetched with the stamp its listing gives it (the ROLIE
     * entry's updated, the changes.csv date; "" when none): 0 skips it (already imported).
     * document: called for each document fetched, after every check of it, with its body and
     * NULL when it passed them all (size limit, JSON, schema and mandatory tests, .sha256 /
     * .sha512, an .asc signature by a key the metadata names), else the first reason it
     * failed (naming its URL); a non-zero return stops the check and is returned. */
    int (*want)(void *ctx, const char *url, const char *stamp);
    int (*document)(void *ctx, const char *url, const char *stamp, const char *body, size_t len,
                    const char *refused);
    void *ctx;
    /* Credentials for the provider's protected distributions (src/store/csaf_credentials.h),
     * sent with a request only when its URL's origin is cred_origin (scheme://host:port, as
     * ermes__url_origin writes it): each hop of a redirect is judged by its own URL, so a
     * redirect to another host, port or scheme is followed without them. cred_headers: header
     * lines "Name: value"; cred_cert, cred_key: PEM of a TLS client certificate and its key.
     * cred_origin NULL or "": none. */
    const char *cred_origin;
    const char *const *cred_headers;
    size_t ncred_headers;
    const char *cred_cert, *cred_key;
    /* For an import: a feed or listing of a protected distribution not read, and why (no
     * credentials for it, or the provider refused them). May be NULL. */
    void (*skipped)(void *ctx, const char *url, const char *reason);
} ermes__csaf_check_options_t;

typedef struct ermes__csaf_requirement {
    int status;      /* ERMES_CSAF_PASS, _FAIL or _NA */
    json_t *reasons; /* array of strings: why (failures name the document by URL) */
} ermes__csaf_requirement_t;

typedef struct ermes__csaf_check {
    char role[40]; /* the metadata's role, or "" when it was not read */
    char metadata_url[1024];
    long documents;                                             /* documents fetched */
    ermes__csaf_requirement_t req[ERMES_CSAF_REQUIREMENTS + 1]; /* [1..23] */
} ermes__csaf_check_t;

/* The title of requirement n (1..23) in the words of section 7.1. */
const char *ermes__csaf_requirement_title(int n);

/* Checks the provider at url: a domain ("example.com") or the URL of its
 * provider-metadata.json. Fills out (caller cleans with ermes__csaf_check_cleanup); returns 0
 * when the check ran (whatever it found), ERMES_EINVAL for an unusable url, ERMES_ENOMEM. */
int ermes__csaf_check(const char *url, const ermes__csaf_check_options_t *o,
                      ermes__csaf_check_t *out, ermes_diag_t *d);
void ermes__csaf_check_cleanup(ermes__csaf_check_t *c);

#endif
