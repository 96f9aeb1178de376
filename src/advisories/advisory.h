/* CSAF advisories the CERT authors and publishes (issue 13, item 1): a CSAF 2.0 document
 * uploaded as JSON, then draft -> review -> approved -> published, the approval by a second
 * person (never the author). ermes owns document.tracking: the id (by the advisory_id_scheme
 * setting), the version (0.1.0 while a first draft, 1.0.0 at the first publication, then the
 * major, minor or patch part incremented by the kind of change), the revision_history, the
 * release dates and the status (draft until published, then final or interim). A
 * document is published only when the native validator (ermes/csaf.h) finds it valid; a
 * publication may be scheduled (publish_at), and the daemon publishes it when due. */
#ifndef ERMES_ADVISORIES_ADVISORY_H
#define ERMES_ADVISORIES_ADVISORY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "ermes/csaf.h"
#include "ermes/tlp.h"
#include "model/user.h"
#include "store/store.h"

#define ERMES_ADVISORY_ID_MAX 128     /* bytes of a tracking id */
#define ERMES_ADVISORY_TITLE_MAX 1024 /* bytes of a title kept in the list */

typedef struct ermes__advisory {
    int64_t id;
    char tracking_id[ERMES_ADVISORY_ID_MAX + 1];
    char title[ERMES_ADVISORY_TITLE_MAX + 1];
    char status[16];           /* draft, review, approved, published */
    char *document;            /* the working copy (owned; NULL when listed without it) */
    char *published_document;  /* the text last published (owned; NULL: never published) */
    char *published_signature; /* its detached ASCII-armoured OpenPGP signature (owned; NULL:
                                * unsigned or not read) */
    ermes_tlp_t published_tlp; /* the label of published_document: who may read it */
    int has_signature;         /* published_signature is not NULL (also when listed) */
    int64_t revision;          /* publications so far */
    int64_t author_id;         /* 0: the local administrator */
    char author[128];
    char reviewer[128];
    int64_t publish_at; /* scheduled publication (ms), 0: none */
    int64_t initial_release_at, published_at;
    ermes_tlp_t tlp;
    int64_t owner_org_id, created_at, updated_at;
    char publish_error[512]; /* why its scheduled publication failed last ("": it did not) */
} ermes__advisory_t;

void ermes__advisory_cleanup(ermes__advisory_t *a);

/* ---- the store (src/store/advisories.c) ---- */

/* Stores a new advisory; fills a->id. ERMES_EEXISTS when its tracking id is taken. */
int ermes__store_advisory_insert(ermes__store_t *st, ermes__advisory_t *a);
/* How many advisories were created at or after since_ms. */
int ermes__store_advisory_count_since(ermes__store_t *st, int64_t since_ms, int64_t *n);
/* One by id or tracking id (ref), with both documents; ERMES_ENOTFOUND. */
int ermes__store_advisory_get(ermes__store_t *st, const char *ref, ermes__advisory_t *a);
typedef int (*ermes__store_advisory_cb)(void *ctx, const ermes__advisory_t *a);
/* Every advisory (status NULL) or those in status, newest first, without documents. */
int ermes__store_advisory_each(ermes__store_t *st, const char *status, ermes__store_advisory_cb cb,
                               void *ctx);
/* Writes a's mutable columns if the row is still at updated_at (ERMES_ECONFLICT otherwise:
 * someone changed it meanwhile); a->updated_at becomes now. */
int ermes__store_advisory_update(ermes__store_t *st, ermes__advisory_t *a, int64_t updated_at);
/* Ids of the approved advisories whose publish_at has come (at most cap). */
int ermes__store_advisory_due(ermes__store_t *st, int64_t now, int64_t *ids, size_t cap, size_t *n);
/* Records why the scheduled publication of approved advisory id failed (every other write of
 * the advisory clears it); *changed 0 when that reason was recorded already. */
int ermes__store_advisory_publish_failed(ermes__store_t *st, int64_t id, const char *reason,
                                         int *changed);

/* ---- the provider's OpenPGP key (src/advisories/openpgp.c) ---- */

#define ERMES_CSAF_FPR_MAX 72 /* a fingerprint's hex digits and NUL */

typedef struct ermes__csaf_signer {
    const char *home; /* the GnuPG home holding the secret key */
    const char *key;  /* its fingerprint; NULL: documents are not signed */
} ermes__csaf_signer_t;

/* The signer cfg names (csaf_openpgp_key, csaf_openpgp_home; the home defaults to
 * DATA_DIR/csaf-openpgp, written into home). */
void ermes__csaf_signer_from_config(const ermes__config_t *cfg, char *home, size_t cap,
                                    ermes__csaf_signer_t *out);
/* A detached ASCII-armoured signature of data by s->key into *armour (free it).
 * ERMES_ECONFIG with d naming csaf_openpgp_key when the key is missing, has expired or cannot
 * sign. */
int ermes__csaf_sign(const ermes__csaf_signer_t *s, const char *data, size_t len, char **armour,
                     ermes_diag_t *d);
/* The public key of s->key: its primary fingerprint (upper-case hex) and, when armour is not
 * NULL, the ASCII-armoured key (free it). ERMES_ENOTFOUND when no key is configured,
 * ERMES_ECONFIG with d when it is not in the home. Cached for a minute. */
int ermes__csaf_public_key(const ermes__csaf_signer_t *s, char fpr[ERMES_CSAF_FPR_MAX],
                           char **armour, ermes_diag_t *d);

/* Days before the provider key's expiry from which ermes warns (`ermes csaf check`, the
 * daemon's log, GET /healthz). */
#define ERMES_CSAF_KEY_WARN_DAYS 30
struct _gpgme_key;
/* When a gpgme key stops signing (ms since the epoch, 0: never): the last expiry of its usable
 * signing (sub)keys, bounded by the primary key's. */
int64_t ermes__csaf_key_expiry_of(struct _gpgme_key *key);
/* The expiry of s->key (0: never), cached as ermes__csaf_public_key; its errors. */
int ermes__csaf_key_expires(const ermes__csaf_signer_t *s, int64_t *expires, ermes_diag_t *d);
/* The fingerprint and expiry (0: never) of s->key, cached as ermes__csaf_public_key; its
 * errors (ERMES_ENOTFOUND without a key set, ERMES_ECONFIG when gpg does not have it). */
int ermes__csaf_key_state(const ermes__csaf_signer_t *s, char fpr[ERMES_CSAF_FPR_MAX],
                          int64_t *expires, ermes_diag_t *d);
/* 1 with a sentence for the admins in buf when s->key has expired or expires within
 * ERMES_CSAF_KEY_WARN_DAYS of now; 0 otherwise (no key, no expiry, unreadable: the provider's
 * own checks report that). */
int ermes__csaf_key_warning(const ermes__csaf_signer_t *s, int64_t now, char *buf, size_t cap);

/* ---- the workflow (src/advisories/advisory.c) ---- */

/* Expands scheme ("%Y" year, "%m" month, "%n" or "%0Wn" the year's sequence number, "%%")
 * for the time now_ms and number n into out. ERMES_EINVAL for an unknown directive or a
 * result that does not fit. */
int ermes__advisory_expand_id(const char *scheme, int64_t now_ms, int64_t n, char *out, size_t cap);

/* Creates a draft from the CSAF JSON text (len bytes). ERMES_EINVAL/EPARSE with d naming the
 * field. */
int ermes__advisory_create(ermes__store_t *st, const char *scheme, const ermes__viewer_t *v,
                           const char *json, size_t len, int64_t *id, ermes_diag_t *d);
/* Replaces the working document of ref (a draft; a published advisory starts its next
 * revision as a draft). Tracking stays ermes's. */
int ermes__advisory_update(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                           const char *json, size_t len, ermes_diag_t *d);
/* Moves ref through the workflow: "submit" (draft -> review), "reject" (review or approved ->
 * draft), "approve" (review -> approved; ERMES_EDENIED when v wrote it). ERMES_ECONFLICT from
 * another state. */
int ermes__advisory_transition(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                               const char *action, ermes_diag_t *d);
/* Publishes an approved advisory now (publish_at <= now) or schedules it. summary: the
 * revision_history entry's (NULL: a default). When the final document fails validation,
 * ERMES_EINVAL and *result (if not NULL) holds the validator's result (free it). With a
 * signer that has a key, the published text is signed (stored with it); a key that cannot
 * sign fails the publication (or the scheduling) with ERMES_ECONFIG, nothing written. */
int ermes__advisory_publish(ermes__store_t *st, const ermes__viewer_t *v,
                            const ermes__csaf_signer_t *signer, const char *ref, int64_t publish_at,
                            const char *summary, ermes_csaf_result_t *result, int *scheduled,
                            ermes_diag_t *d);
/* The analyst's choices for a publication (all borrowed, NULL for the default): the
 * revision_history summary; the tracking status, "final" (default) or "interim" (CSAF 2.0
 * section 3.2.1.12.6: more changes are expected); the change, "major", "minor" or "patch"
 * (default: what ermes finds comparing with the published revision, section 3.1.11.5). */
typedef struct ermes__advisory_publish_opts {
    const char *summary;
    const char *status;
    const char *change;
} ermes__advisory_publish_opts_t;
/* ermes__advisory_publish with those choices (o NULL: the defaults); ERMES_EINVAL (d naming the
 * field) for a status or change not in the lists, or an interim or chosen change with a publish_at
 * in the future. Every publication is kept as a revision (advisories/revisions.h). */
int ermes__advisory_publish_with(ermes__store_t *st, const ermes__viewer_t *v,
                                 const ermes__csaf_signer_t *signer, const char *ref,
                                 int64_t publish_at, const ermes__advisory_publish_opts_t *o,
                                 ermes_csaf_result_t *result, int *scheduled, ermes_diag_t *d);
/* Publishes every scheduled advisory that is due (the daemon), signed by signer (NULL or no
 * key: unsigned); *n published. */
int ermes__advisory_publish_due(ermes__store_t *st, const ermes__csaf_signer_t *signer, int64_t now,
                                size_t *n);

/* The advisory as JSON (metadata; the working document when with_document, parsed). */
json_t *ermes__advisory_to_json(const ermes__advisory_t *a, int with_document);

#endif
