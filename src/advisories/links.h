/* Advisories linked to incidents and indicators (issue 13, item 1: "Advisories link to
 * incidents and indicators where they share content"). Two kinds of link:
 * - computed: an advisory's CVE ids (vulnerabilities[].cve) equal an incident's observable of
 *   type cve, or an indicator's value or one of its tags (indicators have no cve type: a MISP
 *   or STIX source tags an indicator with the CVE it exploits). Found at read (never stored), so a
 * link appears and disappears as either side changes;
 * - explicit: an analyst links an advisory to an incident or an indicator (advisory_links,
 *   migration 48; audited, and the incident's timeline records it).
 * A viewer sees only the links to what it may see: incidents and indicators by the store's
 * visibility rules (their TLP policy), advisories as GET /api/v1/advisories/{ref} shows them. */
#ifndef ERMES_ADVISORIES_LINKS_H
#define ERMES_ADVISORIES_LINKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "advisories/advisory.h"
#include "ermes/tlp.h"
#include "model/user.h"
#include "store/store.h"

#define ERMES_CVE_ID_MAX 32          /* bytes of a CVE id kept ("CVE-YYYY-" and up to 19 digits) */
#define ERMES_ADVISORY_CVES_MAX 512  /* CVE ids of one advisory looked up for links */
#define ERMES_ADVISORY_LINKS_MAX 500 /* links of each kind shown with one object */

/* ---- the store (src/store/advisory_links.c) ---- */

/* Adds the explicit link (kind "incident" or "indicator"); *added 0 when it existed. */
int ermes__store_advisory_link_add(ermes__store_t *st, int64_t advisory_id, const char *kind,
                                   int64_t object_id, const char *actor, ermes_tlp_t tlp,
                                   int64_t owner_org_id, int *added);
/* Removes it; ERMES_ENOTFOUND when there was none. */
int ermes__store_advisory_link_remove(ermes__store_t *st, int64_t advisory_id, const char *kind,
                                      int64_t object_id);
typedef int (*ermes__store_advisory_link_cb)(void *ctx, int64_t advisory_id, const char *kind,
                                             int64_t object_id);
/* The explicit links of an advisory (advisory_id > 0), or to an object (advisory_id 0: those of
 * kind and object_id), at most ERMES_ADVISORY_LINKS_MAX, oldest first. */
int ermes__store_advisory_link_each(ermes__store_t *st, int64_t advisory_id, const char *kind,
                                    int64_t object_id, ermes__store_advisory_link_cb cb, void *ctx);
typedef int (*ermes__store_id_cb)(void *ctx, int64_t id);
/* Ids of the incidents with an observable of type cve equal to cve (any case). */
int ermes__store_incidents_with_cve(ermes__store_t *st, const char *cve, ermes__store_id_cb cb,
                                    void *ctx);
/* Ids of the indicators whose value is cve or tagged with it (any case). */
int ermes__store_indicators_with_value(ermes__store_t *st, const char *cve, ermes__store_id_cb cb,
                                       void *ctx);
/* ---- the CVE ids of each advisory (src/store/advisory_cves.c, migration 57) ---- */

/* Sets the CVE ids stored for a (a->id) to those of its working and published documents
 * (ermes__advisory_cves of each), in the caller's transaction or one of its own. */
int ermes__store_advisory_cves_set(ermes__store_t *st, const ermes__advisory_t *a);
/* Ids of the advisories whose working or published document names cve (upper case) among its
 * vulnerabilities[].cve, newest first, at most ERMES_ADVISORY_LINKS_MAX (a candidate list: the
 * caller checks the CVE ids of the text its viewer reads). */
int ermes__store_advisories_with_cve(ermes__store_t *st, const char *cve, ermes__store_id_cb cb,
                                     void *ctx);

/* ---- the links (src/advisories/links.c) ---- */

/* The distinct CVE ids of a CSAF document's vulnerabilities[].cve (upper case, valid ones
 * only, at most cap), in order of appearance. */
size_t ermes__advisory_cves(const json_t *doc, char (*out)[ERMES_CVE_ID_MAX], size_t cap);
/* Sets "incidents" and "indicators" of j (an advisory's JSON) to what a links to that v may
 * see: [{"id", "title"/"type"+"value", "status", "cves": [shared ids], "linked": explicit}]. */
int ermes__advisory_links_json(ermes__store_t *st, const ermes__viewer_t *v,
                               const ermes__advisory_t *a, json_t *j);
/* Sets "advisories" of j (an incident's JSON) to the advisories v may see that share a CVE id
 * with incident_id or are linked to it: [{"id", "tracking_id", "title", "status", "cves",
 * "linked"}]. */
int ermes__incident_advisories_json(ermes__store_t *st, const ermes__viewer_t *v,
                                    int64_t incident_id, json_t *j);
/* Reads the body of POST .../links and .../unlink: {"kind": "incident" or "indicator", "id": a
 * positive integer}, nothing else. *kind borrowed from body. ERMES_EINVAL with d naming kind or
 * id. */
int ermes__advisory_link_body_read(const json_t *body, const char **kind, int64_t *id,
                                   ermes_diag_t *d);
/* Adds (remove 0) or removes the explicit link of advisory ref to kind/object_id, audited; a
 * link to an incident is recorded on its timeline. ERMES_EINVAL (d names kind or id) for an
 * unknown kind or an object v cannot see, ERMES_ENOTFOUND for no such advisory or (remove) no
 * such link. *changed: 0 when nothing changed (an existing link added again). */
int ermes__advisory_link(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                         const char *kind, int64_t object_id, int remove, int *changed,
                         ermes_diag_t *d);

#endif
