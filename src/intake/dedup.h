/* Deduplication of events within a time window (see dedup.c). Internal to src/intake/. */
#ifndef ERMES_INTAKE_DEDUP_H
#define ERMES_INTAKE_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

typedef struct ermes__store ermes__store_t;
typedef struct ermes__dedup ermes__dedup_t;

int ermes__dedup_new(ermes__dedup_t **out);
void ermes__dedup_free(ermes__dedup_t *dd);
/* Reads the log rows written since the last sync; keys first seen before keep_from are left
 * out. Call it inside the write transaction, before the checks of that transaction. */
int ermes__dedup_sync(ermes__dedup_t *dd, ermes__store_t *st, int64_t keep_from);
/* *dup = 1 when key was first seen at or after window_start; otherwise records it as first
 * seen now (in memory at once; in the store's log at the next flush). */
int ermes__dedup_check(ermes__dedup_t *dd, ermes__store_t *st, const uint8_t key[16],
                       int64_t window_start, int64_t now, int *dup);
/* The key of an event from the bytes that make it what it is: SipHash-2-4 with 128 bits out,
 * keyed with the database's secret (so nobody who cannot read the database can make two
 * different events collide), a fifth of BLAKE2b's cost. After ermes__dedup_sync. */
int ermes__dedup_hash(const ermes__dedup_t *dd, const void *bytes, size_t n, uint8_t key[16]);
/* Writes the keys recorded since the last flush to the store's log, in the caller's
 * transaction: call it before every commit of a transaction that checked keys. */
int ermes__dedup_flush(ermes__dedup_t *dd, ermes__store_t *st);
/* After a rollback: the set may hold keys the store does not; read it all again next time. */
void ermes__dedup_forget(ermes__dedup_t *dd);
size_t ermes__dedup_size(const ermes__dedup_t *dd);

#endif
