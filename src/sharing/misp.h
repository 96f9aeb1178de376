/* MISP event JSON to and from ermes indicators (issue 12, item 6).
 *
 * Import: one MISP event ({"Event": {...}} or the bare event object), a list of them, a
 * restSearch answer ({"response": [...]}) or a MISP feed's event file. Every attribute (and
 * every attribute of the event's objects) gets a fate: an indicator, skipped (a type ermes
 * cannot match, to_ids false, deleted) or invalid (a value the detection engine refuses), each
 * reported with the attribute's uuid; never silently dropped. TLP: an attribute's tlp:* tag,
 * else the event's, else the distribution (0 RED, 1 AMBER, 2 GREEN, 3 CLEAR, 4 AMBER: the
 * reverse of sharing.md 7.3), else AMBER. Other tags are kept as the indicator's tags; the
 * source is "misp:<event uuid>".
 *
 * Export: the indicators a viewer may see (the store's rule, and src/access/tlp_policy.h's, the
 * one of every sharing path) as MISP events, one per source; a source that came
 * from MISP ("misp:<uuid>") keeps its event uuid, others get UUIDv5(ERMES_MISP_NS, source);
 * attributes get UUIDv5(ERMES_MISP_NS, "type|value|exact"), so a re-export is the same.
 *
 * MISP objects: an object's attributes become indicators; the object (its uuid, name,
 * meta-category, template, comment, each member's relation and type, and its attributes that
 * are no indicators) is kept in tables of its own (src/store/misp_objects.c), never in the
 * indicators' tags, and export rebuilds the object from them (docs/API.md "MISP"). */
#ifndef ERMES_SHARING_MISP_H
#define ERMES_SHARING_MISP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"
#include "indicators/indicators.h"
#include "store/store.h"

#define ERMES_MISP_MAX_ATTRIBUTES 50000 /* per import (the feed imports event by event) */
#define ERMES_MISP_MAX_EVENTS 10000
#define ERMES_MISP_MAX_DEPTH 32 /* JSON nesting refused past this */

typedef enum ermes__misp_fate {
    ERMES_MISP_INDICATOR = 0,
    ERMES_MISP_SKIPPED,
    ERMES_MISP_INVALID,
    ERMES_MISP_SUPPRESSED
} ermes__misp_fate_t;

/* One attribute's fate. An attribute gives up to two indicators (domain|ip). */
typedef struct ermes__misp_attr {
    char uuid[48], event_uuid[48], type[48], value[160];
    ermes__misp_fate_t fate;
    char reason[200];
    int nind;           /* indicators it gave the set */
    uint32_t set_id[2]; /* their ids in the set */
    int64_t id[2];      /* the stored indicators' ids (0: suppressed) */
    char warninglist[128];
    size_t member; /* an attribute of an object: its entry in objattrs plus one, else 0 */
} ermes__misp_attr_t;

/* A MISP object of the import (src/store/misp_objects.c keeps it). */
typedef struct ermes__misp_obj {
    char uuid[40];
    size_t event; /* ref_events[event] */
    char name[64], meta_category[64], template_uuid[40];
    int64_t template_version, timestamp; /* timestamp -1: none */
    int distribution;                    /* -1: none */
    char *description, *comment;         /* owned; NULL: none */
} ermes__misp_obj_t;

/* An attribute of one of the import's objects: one that may become an indicator (key: what
 * makes two attributes one indicator; shared when objects of the event other than its own hold
 * the same key) or one that cannot (value, owned). position: its place in the import. */
typedef struct ermes__misp_objattr {
    size_t obj; /* objs[obj] */
    char relation[64], type[64], uuid[40];
    char key[200];
    char *value;
    int64_t position;
    int shared;
} ermes__misp_objattr_t;

/* The object references an event brought: refs[start .. start + n) of the import, TLP the
 * event's. */
typedef struct ermes__misp_ref_event {
    char uuid[40];
    size_t start, n;
    int tlp;
    size_t attr_start, nattrs; /* its attributes: attrs[attr_start .. attr_start + nattrs) */
    size_t obj_start, nobjs;   /* its objects: objs[obj_start .. obj_start + nobjs) */
    size_t oa_start, noas;     /* their attributes: objattrs[oa_start .. oa_start + noas) */
} ermes__misp_ref_event_t;

typedef struct ermes__misp_import {
    size_t events, indicators, skipped, invalid, suppressed;
    ermes__misp_attr_t *attrs;
    size_t nattrs, cap;
    ermes__misp_ref_t *refs; /* ObjectReference entries, event by event */
    size_t nrefs, refs_cap;
    ermes__misp_ref_event_t *ref_events;
    size_t nref_events, ref_events_cap;
    ermes__misp_obj_t *objs; /* the events' MISP objects, event by event */
    size_t nobjs, objs_cap;
    ermes__misp_objattr_t *objattrs; /* their attributes, object by object */
    size_t nobjattrs, objattrs_cap;
    json_t *event_errors; /* [{"index", "uuid"?, "reason"}] events refused whole */
    json_t *event_uuids;  /* the uuids of the events read, in order */
    ermes__ind_import_t store;
} ermes__misp_import_t;

void ermes__misp_import_cleanup(ermes__misp_import_t *imp);

/* MISP type (and object relation, may be NULL) to an ermes indicator type: *part 0 the whole
 * value, 1 the part before '|', 2 the part after it, 3 both (domain|ip). ERMES_IND_NONE when
 * ermes cannot hold it. For ip-* types the caller checks the value is an address or network. */
ermes_ind_type_t ermes__misp_type_map(const char *type, const char *relation, int *part,
                                      int *exact);
/* A tag's TLP: 1 with *tlp set when tag is tlp:clear/white/green/amber/amber+strict/red (any
 * case), else 0. */
int ermes__misp_tag_tlp(const char *tag, ermes_tlp_t *tlp);
/* MISP distribution (0..4) to a TLP; -1 for 5 (inherit) or unknown. */
int ermes__misp_distribution_tlp(long distribution);

/* Reads data[0..len) into set and imp. ERMES_EPARSE (reason in d) when it is not JSON or holds
 * no MISP event at all; ERMES_ETOOBIG past the limits above. */
int ermes__misp_read(const char *data, size_t len, ermes_indicator_set_t *set,
                     ermes__misp_import_t *imp, ermes_diag_t *d);
/* Reads, stores (warninglists wls in force; none with nwl 0) on behalf of v, and fills every
 * attribute's fate. Returns 0, ERMES_EPARSE (d) or a store error. */
int ermes__misp_import(ermes__store_t *st, const ermes__viewer_t *v, const char *data, size_t len,
                       ermes_warninglist_t *const *wls, size_t nwl, ermes__misp_import_t *imp,
                       ermes_diag_t *d);
/* The import's report as JSON (NULL on allocation failure). */
json_t *ermes__misp_import_to_json(const ermes__misp_import_t *imp);

/* Export: the indicators v may see matching f (its limit and cursor ignored) as a JSON array of
 * {"Event": {...}}, events sorted by uuid. */
int ermes__misp_export(ermes__store_t *st, const ermes__viewer_t *v,
                       const ermes__indicator_filter_t *f, json_t **out);

/* The same under the cap of a channel (a published feed's sharing group): nothing above cap,
 * for any viewer; grant: what the group's member_tlp gives v (-1: nothing more). */
int ermes__misp_export_capped(ermes__store_t *st, const ermes__viewer_t *v, ermes_tlp_t cap,
                              int grant, const ermes__indicator_filter_t *f, json_t **out);

/* UUIDv5 (RFC 9562) of name in ERMES_MISP_NS, as 36 characters plus NUL in buf. */
void ermes__misp_uuid5(const char *name, char buf[37]);

#endif
