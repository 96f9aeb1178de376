/* Sharing groups: who shares what with whom. A sharing group is a TAXII 2.1 collection
 * (its collection_id): the highest TLP it carries, who may read it and who may write into it,
 * and what it selects of the stored STIX objects besides those posted into it. */
#ifndef ERMES_SHARING_SHARING_GROUPS_H
#define ERMES_SHARING_SHARING_GROUPS_H

#include <jansson.h>

#include "sharing/stix.h"
#include "store/store.h"

/* The members of readers and writers lists. */
#define ERMES__SG_STAFF "staff"               /* the CERT's admins and analysts */
#define ERMES__SG_CONSTITUENTS "constituents" /* every constituent's people */
/* Any other member is an organisation's short name: that organisation's people. */

/* 1 if v may read (write = 0) or write (write = 1) group g. */
int ermes__sharing_group_can(ermes__store_t *st, const ermes__sharing_group_t *g,
                             const ermes__viewer_t *v, int write);

/* Narrows f (its match part already parsed) to what v may read of g: the TLP masks of the
 * policy under g's max_tlp, the objects posted into g, or with "all" in its selection every
 * stored object, of the selection's types only. selection: g's selection, parsed (borrowed;
 * f may point into it). *none is set when the request's types and the selection's have
 * nothing in common (the answer is empty). */
void ermes__sharing_group_filter(const ermes__sharing_group_t *g, const json_t *selection,
                                 const ermes__viewer_t *v, int grant, ermes__stix_filter_t *f,
                                 int *none);

/* The highest TLP g's member_tlp grants v (an organisation's short name, v's organisation's;
 * never staff, who see everything up to the cap anyway), or -1 when none: what
 * ermes__sharing_group_filter and the group's MISP feed take as grant. Only a reader of g gets
 * a grant; it never exceeds g's max_tlp (tlp_policy.h caps it again). */
int ermes__sharing_group_grant(ermes__store_t *st, const ermes__sharing_group_t *g,
                               const ermes__viewer_t *v);

/* The group as the API shows it (new reference). */
json_t *ermes__sharing_group_to_json(const ermes__sharing_group_t *g);

/* Creates a group from the API's JSON (name, title, description, max_tlp, readers, writers,
 * selection, member_tlp, collection_id: a new UUID when absent), owned by v's organisation. *id:
 * the new group. ERMES_EINVAL (field and reason in d), ERMES_EEXISTS (name or collection id taken).
 */
int ermes__sharing_group_create(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                                int64_t *id, ermes_diag_t *d);

/* The demo community of `ermes init --demo`: the sharing group "demo-community" (up to
 * TLP:GREEN, read by the staff and every constituent, written by the staff; a TAXII
 * collection with a fixed id) and a few demo indicators in STIX, shared in it. Safe to run
 * again. collection_id receives the collection's id. */
int ermes__sharing_demo(ermes__store_t *st, const ermes__viewer_t *v, char collection_id[37],
                        size_t *indicators);

#endif
