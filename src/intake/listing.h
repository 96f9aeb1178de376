/* Listings of report files that an API hands out before the files themselves (collectors in
 * list mode, collect_list.c): a JSON array of objects (Shadowserver's reports/list answers
 * [{"id", "type", "url", "file", "report", "timestamp"}, ...]) or an Azure Blob Storage
 * container listing (List Blobs, restype=container&comp=list: EnumerationResults XML), as
 * Microsoft delivers CTIP. Parsing only: what is fetched and remembered is the collector's. */
#ifndef ERMES_INTAKE_LISTING_H
#define ERMES_INTAKE_LISTING_H

#include <stddef.h>

#include "ermes/error.h"

#define ERMES_LISTING_MAX_ID 512   /* an item's id (a report id, a blob name), bytes */
#define ERMES_LISTING_MAX_FILE 255 /* the file name a report gets */
#define ERMES_LISTING_MAX_VERSION 128

typedef struct ermes__list_item {
    char *id;      /* what names the item to the API: the id field, the blob name */
    char *file;    /* the report's file name (no '/'): the file field, the blob's last segment */
    char *version; /* "" or what changes when the item does (a blob's ETag) */
} ermes__list_item_t;

typedef struct ermes__listing {
    ermes__list_item_t *items;
    size_t n;
    char *next_marker; /* Azure: the marker of the next page; NULL: the last page */
} ermes__listing_t;

/* The items of a JSON listing: the array at path (keys joined by '.'; "" for the document
 * itself), each an object whose id_field is a string or a whole number and whose file_field
 * (may be NULL) a string; an item without a file name is named by its id. At most max_items
 * (more is ERMES_ERANGE). ERMES_EPARSE with the reason in d for anything else; an object
 * {"error": "..."} (how such APIs refuse a request) gives that message. */
int ermes__listing_json(const char *data, size_t len, const char *path, const char *id_field,
                        const char *file_field, size_t max_items, ermes__listing_t *out,
                        ermes_diag_t *d);

/* The blobs of one page of an Azure List Blobs answer (<EnumerationResults><Blobs><Blob>
 * <Name>..</Name><Properties><Etag>..</Etag>...), with its <NextMarker>. Errors as above;
 * an Azure <Error><Code>..</Code><Message>..</Message></Error> gives its code and message. */
int ermes__listing_azure(const char *data, size_t len, size_t max_items, ermes__listing_t *out,
                         ermes_diag_t *d);

void ermes__listing_free(ermes__listing_t *l);

#endif
