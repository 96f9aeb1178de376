/* Federation: peers, other TAXII 2.1 servers (ermes nodes or not), pulled from and pushed to
 * on a schedule with the TAXII client (taxii_client.h).
 *
 * Pull: the peer's collection, page by page (`next`, `more`), from the peer's
 * X-TAXII-Date-Added-Last of the last page taken (added_after), each page imported through
 * the STIX import (stix.h) as source "peer:NAME": kept whole with its provenance (which peer,
 * when: date_added, and the object's own created_by_ref), objects marked above the peer's
 * max_tlp refused, unmarked ones taken at max_tlp, and indicators made for detection like
 * local ones. A version already stored is not stored again: an object that went round the
 * network comes back as the same object.
 * Push: the objects of the local sharing group share_group added since the last push that the
 * peer may read, decided as the TAXII server decides them for the peer's account here
 * (local_user): the one TLP policy (tlp_policy.h) with that account's role and organisation,
 * the group's cap and its member_tlp grant, so a RED object goes only to the peer whose
 * organisation it names a recipient, an AMBER+STRICT one only to the peer of its owner
 * organisation (or a recipient); a peer with no account here is read as the community (CLEAR
 * and GREEN), one whose account may not read the group receives nothing (a failure saying
 * why). Except those received from this very peer or posted by its account (loop
 * prevention), POSTed in envelopes, the status resource followed until complete.
 * A round that fails is retried after the interval doubled per consecutive failure. */
#ifndef ERMES_SHARING_FEDERATION_H
#define ERMES_SHARING_FEDERATION_H

#include <jansson.h>

#include "store/store.h"

#define ERMES__PEER_NAME_MAX 64
#define ERMES__PEER_URL_MAX 1000
#define ERMES__PEER_CREDENTIALS_MAX 1000
#define ERMES__PEER_INTERVAL_MIN 1
#define ERMES__PEER_INTERVAL_MAX 86400

/* The peer as the API shows it (new reference): its credentials never, only whether it has
 * some. */
json_t *ermes__peer_to_json(const ermes__peer_t *p);

/* Creates a peer from the API's JSON (name, url, collection, auth, credentials, share_group,
 * max_tlp, interval, pull, push), owned by v's organisation; *id: the new peer.
 * ERMES_EINVAL (field and reason in d), ERMES_EEXISTS (the name is taken). */
int ermes__peer_create(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                       int64_t *id, ermes_diag_t *d);
/* Checks a new peer's JSON as ermes__peer_create does, without the store (whether the
 * sharing group exists is not looked up). 0 or ERMES_EINVAL (field and reason in d). */
int ermes__peer_body_check(const json_t *body, ermes_diag_t *d);
/* Changes the members body has of peer key (its other members kept). A new url or
 * collection starts the pulls and pushes over. ERMES_ENOTFOUND, ERMES_EINVAL, ERMES_EEXISTS. */
int ermes__peer_update(ermes__store_t *st, const char *key, const json_t *body, ermes_diag_t *d);

/* What one round did. */
typedef struct ermes__peer_round {
    long pages, received, stored, duplicates, failed, indicators;
    long pushed, push_failures;
    char error[512]; /* "" when the round went through */
} ermes__peer_round_t;

/* One round with peer key now (pull then push, as it is configured), its state saved.
 * Returns 0 (a failure of the peer's is in r->error and the peer's state), ERMES_ENOTFOUND,
 * or a store error. stop (may be NULL): set, the round gives up. */
int ermes__peer_sync(ermes__store_t *st, const char *key, const int *stop, ermes__peer_round_t *r);

/* The daemon's scheduler: every peer's round when it is due, by one daemon at a time (the
 * lease "peer:NAME"). */
typedef struct ermes__federation ermes__federation_t;
int ermes__federation_start(ermes__store_t *st, ermes__federation_t **out);
void ermes__federation_stop(ermes__federation_t *f);

#endif
