/* The warninglists in force: known-benign values (MISP warninglists, format unchanged) that an
 * indicator may not be, unless its import is forced. Three sources, in this order:
 *   - the lists that ship with ermes (data/warninglists/, compiled into the binary), and a
 *     built-in list of the hashes of the empty file;
 *   - DATA_DIR/warninglists/<id>.json: a file named like a shipped list replaces it when its
 *     version is not older (how lists are updated without a new ermes), any other adds a list;
 *     a running daemon notices new and changed files within seconds and reloads them (an
 *     unreadable file leaves the version read before in force, listed with its error);
 *   - the files of the warninglists setting (ids are their file names without .json).
 * Each list is on unless the warninglists_off setting names it; a switch stored in the database
 * (the API, the UI) wins over the setting. A list that cannot be read is listed with its
 * error and matches nothing; the others still load. */
#ifndef ERMES_INDICATORS_WARNINGLISTS_H
#define ERMES_INDICATORS_WARNINGLISTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"
#include "store/store.h"

#define ERMES_WL_ID_MAX 96

typedef struct ermes__wl_entry {
    char id[ERMES_WL_ID_MAX]; /* file name without .json */
    const char *origin;       /* "builtin", "data_dir" or "setting" */
    ermes_warninglist_t *wl;  /* NULL when it could not be read (error says why) */
    char error[200];
    int enabled;
    int switched; /* enabled comes from a stored switch, not the setting */
} ermes__wl_entry_t;

typedef struct ermes__wl_catalog {
    ermes__wl_entry_t *v;
    size_t n;
    /* The enabled lists that loaded, for ermes__indicators_store (pointers into v). */
    ermes_warninglist_t **active;
    size_t nactive;
} ermes__wl_catalog_t;

/* Loads every list. data_dir: the data directory (its warninglists/ is read when present);
 * files: the warninglists setting (NULL or ""); off: the warninglists_off setting, ids
 * comma-separated. st (may be NULL) gives the stored switches. Returns 0, ERMES_ENOMEM, or
 * ERMES_EIO / ERMES_EPARSE for a file of the setting (d names it: an operator's own list
 * must load). */
int ermes__wl_catalog_load(const char *data_dir, const char *files, const char *off,
                           ermes__store_t *st, ermes__wl_catalog_t *out, ermes_diag_t *d);
/* The same, given up with ERMES_EBUSY as soon as *stop (read atomically) is non-zero: a
 * daemon told to stop while it loads does not wait for the rest. */
int ermes__wl_catalog_load_until(const char *data_dir, const char *files, const char *off,
                                 ermes__store_t *st, const int *stop, ermes__wl_catalog_t *out,
                                 ermes_diag_t *d);
void ermes__wl_catalog_free(ermes__wl_catalog_t *c);
/* Turns list id on or off in c (and rebuilds c->active). ERMES_ENOTFOUND for an unknown id. */
int ermes__wl_catalog_switch(ermes__wl_catalog_t *c, const char *id, int enabled);
/* A broken file does not take a good list away: each entry of fresh that has an error takes
 * the list old had under its id, if any (moved: old no longer holds it), and fresh->active is
 * rebuilt. Returns 0 or ERMES_ENOMEM. */
int ermes__wl_catalog_keep_good(ermes__wl_catalog_t *fresh, ermes__wl_catalog_t *old);
/* A number that changes when a file of DATA_DIR/warninglists/ appears, goes, or changes size
 * or modification time (0 when there is no such directory). Returns 0. */
int ermes__wl_dir_stamp(const char *data_dir, uint64_t *out);
/* The entry of id, or NULL. */
const ermes__wl_entry_t *ermes__wl_catalog_find(const ermes__wl_catalog_t *c, const char *id);

/* The shipped lists as they are in the binary: calls cb with each id and its JSON bytes.
 * Returns 0, what cb returned, or ERMES_ECORRUPT when the blob does not unpack. */
int ermes__wl_builtin_each(int (*cb)(void *ctx, const char *id, const char *json, size_t len),
                           void *ctx);

#endif
