/* Per-constituent notification preferences (migration 36 in src/store/schema.c): which feeds
 * and classifications a constituent wants e-mailed, how often (as they come, or a daily or
 * weekly digest) and in which attachment format. The rules that apply them are
 * src/notify/prefs.c's; this is their storage (notify_prefs.c). */
#ifndef ERMES_STORE_NOTIFY_PREFS_H
#define ERMES_STORE_NOTIFY_PREFS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Entries of each list at most, and the length of one. */
#define ERMES_NOTIFY_PREFS_MAX_ITEMS 64
#define ERMES_NOTIFY_PREFS_ITEM_MAX 128

typedef enum ermes__notify_frequency {
    ERMES_NOTIFY_IMMEDIATE = 0, /* as they come (notify_window), the default */
    ERMES_NOTIFY_DAILY,
    ERMES_NOTIFY_WEEKLY
} ermes__notify_frequency_t;

typedef enum ermes__notify_attachment {
    ERMES_NOTIFY_ATTACH_CSV = 0, /* the default */
    ERMES_NOTIFY_ATTACH_JSON,    /* an array of the events, IntelMQ field names */
    ERMES_NOTIFY_ATTACH_XARF     /* one X-ARF v4 document per event */
} ermes__notify_attachment_t;

typedef struct ermes__notify_prefs {
    int64_t org_id;
    char feeds[ERMES_NOTIFY_PREFS_MAX_ITEMS][ERMES_NOTIFY_PREFS_ITEM_MAX];
    size_t nfeeds; /* 0: every feed */
    char classifications[ERMES_NOTIFY_PREFS_MAX_ITEMS][ERMES_NOTIFY_PREFS_ITEM_MAX];
    size_t nclassifications; /* RSIT classes or types; 0: every one */
    ermes__notify_frequency_t frequency;
    int digest_hour;    /* 0-23, in the organisation's time (utc_offset_minutes) */
    int digest_weekday; /* 0 (Sunday) - 6, weekly only */
    /* Not stored here: the organisation's offset from UTC, that of its business-hours
     * calendar (the calendars table, src/store/sla.c: its own, else the CERT's default);
     * organisations have no other time zone. */
    int utc_offset_minutes;
    ermes__notify_attachment_t attachment;
    int64_t digest_through; /* ms: the due time of the last digest made; 0: none yet */
    int stored;             /* 1 when a row exists (else the defaults) */
    int64_t created_at, updated_at;
} ermes__notify_prefs_t;

/* The preferences of org_id: the stored row, or the defaults (everything, immediate, CSV;
 * p->stored = 0), with the organisation's UTC offset. */
int ermes__store_notify_prefs_get(ermes__store_t *st, int64_t org_id, ermes__notify_prefs_t *p);
/* Every stored row, ascending org id; cb gets each (borrowed for the call), without the UTC
 * offset (ermes__store_notify_prefs_offset). */
typedef int (*ermes__store_notify_prefs_cb)(void *ctx, const ermes__notify_prefs_t *p);
int ermes__store_notify_prefs_each(ermes__store_t *st, ermes__store_notify_prefs_cb cb, void *ctx);
/* Writes p (insert or update) with owner home. A change of frequency or digest time starts
 * the digest clock again at now (digest_through = now) so that the first digest covers what
 * came after the change; otherwise digest_through is kept. */
int ermes__store_notify_prefs_put(ermes__store_t *st, ermes__notify_prefs_t *p, int64_t home,
                                  int64_t now);
/* Moves org_id's digest_through forward to through (never back), inside the caller's
 * transaction: the digest made and its clock move in one commit. ERMES_ECONFLICT when it was
 * already at or past through (another process made this digest). */
/* The UTC offset of org_id's calendar (minutes) into p->utc_offset_minutes. */
int ermes__store_notify_prefs_offset(ermes__store_t *st, ermes__notify_prefs_t *p);
int ermes__store_notify_prefs_digested(ermes__store_t *st, int64_t org_id, int64_t through);

#endif
