/* STIX 2.1 objects in and out of ermes: bundles imported into the store whole (every
 * property, every version), indicators among them turned into ermes indicators for detection;
 * ermes's own objects (indicators, constituents) published as STIX with deterministic ids;
 * bundles exported through the one TLP policy (src/access/tlp_policy.h). */
#ifndef ERMES_SHARING_STIX_H
#define ERMES_SHARING_STIX_H

#include <jansson.h>
#include <stddef.h>

#include "access/tlp_policy.h"
#include "core/strbuf.h"
#include "ermes/detect.h"
#include "store/store.h"

#define ERMES__STIX_OBJECT_MAX (1024 * 1024) /* bytes of one object's JSON */
#define ERMES__STIX_BUNDLE_MAX 100000        /* objects in one bundle */

/* The TLP 2.0 extension and marking definitions (FIRST TLP 2.0 in STIX, OASIS
 * cti-stix-common-objects extension-definition-specifications/tlp-2.0). */
#define ERMES__TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

/* The TLP of a marking-definition id: TLP 2.0's five, TLP 1.0's four (WHITE read as CLEAR).
 * Returns 0, or ERMES_ENOTFOUND for any other marking. */
int ermes__stix_marking_tlp(const char *id, ermes_tlp_t *out);
/* The TLP 2.0 marking-definition id of tlp. */
const char *ermes__stix_marking_id(ermes_tlp_t tlp);
/* The TLP 2.0 marking-definition object of tlp (new reference). */
json_t *ermes__stix_marking_object(ermes_tlp_t tlp);

/* The STIX id of indicator r into out (cap bytes): the one it was imported with, or the
 * deterministic id ermes publishes it under. 0 or ERMES_ETOOBIG. */
int ermes__stix_indicator_id(const ermes__indicator_row_t *r, char *out, size_t cap);
/* The deterministic STIX id ermes publishes sighting sighting_id under. 0 or ERMES_ETOOBIG. */
int ermes__stix_sighting_id(int64_t sighting_id, char *out, size_t cap);

/* The STIX id of the CERT's own identity (the created_by_ref of what ermes publishes). */
int ermes__stix_cert_identity(ermes__store_t *st, char *out, size_t cap);

/* ---- named recipients of a stored object (stix_recipients.c) ---- */

/* A stored STIX object as its recipients are read and changed: its newest version. */
typedef struct ermes__stix_owned {
    char stix_id[300];
    char type[256];
    ermes_tlp_t tlp;
    int64_t owner_org_id;
} ermes__stix_owned_t;

/* Finds the object stix_id for viewer v: ERMES_EINVAL (not <type>--<UUID>), ERMES_ENOTFOUND
 * (none, or none v may see under the TLP policy), ERMES_EDENIED (v may see it but neither
 * reads its recipients, being neither CERT staff nor of its owner organisation, nor, when
 * change, may change them: an administrator or a user of the owner organisation may),
 * ERMES_ECONFLICT (change of an indicator or sighting ermes publishes from its own: their
 * recipients are the indicator's or sighting's, PATCH /api/v1/indicators or sightings). d
 * names the reason. */
int ermes__stix_recipients_find(ermes__store_t *st, const ermes__viewer_t *v, const char *stix_id,
                                int change, ermes__stix_owned_t *out, ermes_diag_t *d);
/* Replaces o's named recipients with orgs (n of them) and audits the change by v, naming
 * them. ERMES_EINVAL (recipients on a CLEAR or GREEN object: those go to everyone their label
 * allows, nobody is named), d naming the field. */
int ermes__stix_recipients_change(ermes__store_t *st, const ermes__viewer_t *v,
                                  const ermes__stix_owned_t *o, const int64_t *orgs, size_t n,
                                  ermes_diag_t *d);
/* {"id", "type", "tlp", "owner" (short name or null), "recipients": [{"short_name", "name"}]}
 * (new reference), NULL on error. */
json_t *ermes__stix_recipients_json(ermes__store_t *st, const ermes__stix_owned_t *o);

/* A STIX timestamp ("YYYY-MM-DDTHH:MM:SS[.s+]Z", STIX 2.1 section 3.2) written with exactly
 * nine fraction digits into key (text order = time order). Returns 0 or ERMES_EPARSE. */
int ermes__stix_version_key(const char *ts, char key[32]);

typedef struct ermes__stix_import_opts {
    const ermes__viewer_t *viewer;   /* who imports: the owner of what is stored (borrowed) */
    ermes_tlp_t default_tlp;         /* objects without a TLP marking */
    ermes_tlp_t max_tlp;             /* objects marked above it are refused (RED: no cap) */
    const char *source;              /* provenance: "local" (NULL), "peer:NAME" */
    int64_t sharing_group_id;        /* the collection posted into; 0: none */
    ermes_warninglist_t *const *wls; /* for the indicators made (borrowed) */
    size_t nwl;
    /* Named recipients (TLP 2.0; tlp_policy.h) of every object the import accepts, replacing
     * those its id had (borrowed; n 0: the objects' recipients are left as they are). */
    const int64_t *recipients;
    size_t nrecipients;
} ermes__stix_import_opts_t;

typedef struct ermes__stix_import_result {
    size_t total, stored, duplicates, failed, indicators, unsupported;
    json_t *failures;             /* [{"index", "id", "version", "reason"}] */
    json_t *successes;            /* [{"id", "version"}] */
    json_t *unsupported_patterns; /* [{"id", "reason"}]: kept whole, not matched */
} ermes__stix_import_result_t;

void ermes__stix_import_result_init(ermes__stix_import_result_t *r);
void ermes__stix_import_result_cleanup(ermes__stix_import_result_t *r);
/* The result as the API's JSON document (new reference). */
json_t *ermes__stix_import_result_json(const ermes__stix_import_result_t *r);

/* Imports a bundle, a TAXII envelope ({"objects": [...]}), an array of objects or one object.
 * Each object is checked on its own: those that fail are listed with their index, id and
 * reason, the others are stored. Returns 0; ERMES_EPARSE when the text is not JSON or not any
 * of those shapes (the reason in d); a store error (nothing stored then). */
int ermes__stix_import(ermes__store_t *st, const char *data, size_t len,
                       const ermes__stix_import_opts_t *o, ermes__stix_import_result_t *res,
                       ermes_diag_t *d);
/* The same for an array of objects already parsed (borrowed). */
int ermes__stix_import_objects(ermes__store_t *st, json_t *objects,
                               const ermes__stix_import_opts_t *o,
                               ermes__stix_import_result_t *res);

/* Publishes what ermes made itself as STIX objects in the store: the CERT and its
 * constituents as identities, the indicators not imported from STIX as indicators, the
 * sightings as sightings of their indicators (naming the constituent in where_sighted_refs
 * only when the sighting is AMBER or stricter, and then as that constituent's object, which
 * the TLP policy shows to it and the CERT's staff only), each
 * with a deterministic id (UUIDv5 of a stable key), a new version only when the object
 * changed. Cheap when nothing changed (two counters read). */
int ermes__stix_publish(ermes__store_t *st);
/* Incidents as STIX reports (stix_incidents.c): *any = 1 when an incident changed since the
 * last publication; publishing them (in the caller's transaction) as reports and their
 * observables as SCOs, created by cert_id (the CERT's identity). */
int ermes__stix_incidents_changed(ermes__store_t *st, int *any);
int ermes__stix_publish_incidents(ermes__store_t *st, const char *cert_id);

typedef struct ermes__stix_export_opts {
    const ermes__viewer_t *viewer; /* NULL: no account */
    ermes_tlp_t cap;               /* RED: none */
    ermes__stix_filter_t filter;   /* ids, types, versions, added_after, source */
    /* Events as observed-data with their SCOs (made on the fly, not stored: there are too
     * many), those the viewer may see with time.source from events_since (ms; 0: any), at
     * most events_limit of them (0: none). */
    long events_limit;
    int64_t events_since;
} ermes__stix_export_opts_t;

#define ERMES__STIX_EVENTS_MAX 100000 /* events in one export */

/* Writes a bundle of what the viewer may see into out, with the TLP 2.0 marking definitions
 * the objects refer to. *count: the objects written. */
int ermes__stix_export(ermes__store_t *st, const ermes__stix_export_opts_t *o, ermes__strbuf_t *out,
                       size_t *count);

/* Fills the match part of f from the query values (each NULL when absent; comma-separated,
 * at most ERMES__STIX_LIST_MAX values each), TAXII 2.1 section 3.5's semantics: ids, types,
 * versions ("last" (default), "first", "all", or timestamps), spec_versions, added_after
 * (a timestamp; exclusive). The strings f points to live in scratch (cap bytes). Returns 0, or
 * ERMES_EINVAL with the field and reason in d. */
int ermes__stix_filter_parse(ermes__stix_filter_t *f, char *scratch, size_t cap, const char *ids,
                             const char *types, const char *versions, const char *spec_versions,
                             const char *added_after, ermes_diag_t *d);

#endif
