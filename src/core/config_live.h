/* The settings in force while ermes runs: the start-up settings (defaults < file < environment
 * < flags) with the live ones stored in the database laid over them (docs/SETTINGS.md). One
 * per process. Readers take a snapshot, use it for one batch (a notification round, an HTTP
 * request) and give it back; a change makes a new snapshot, and the old one is freed when its
 * last reader gives it back, so no reader ever sees a value freed under it. */
#ifndef ERMES_CORE_CONFIG_LIVE_H
#define ERMES_CORE_CONFIG_LIVE_H

#include <stddef.h>

#include "core/config.h"

/* Remembers a copy of base (the settings without the database's) as what the database's
 * values are laid over. Called once, before any reader; again replaces it. */
int ermes__live_init(const ermes__config_t *base);
/* Lays names[k] = values[k] (every row of the settings table) over the base and makes that
 * the current snapshot. Does nothing when the rows are the ones already applied (*changed
 * = 0). changed may be NULL. */
int ermes__live_update(const char *const *names, const char *const *values, size_t n, int *changed);
/* The current snapshot, or fallback when ermes__live_init was not called. Give it back with
 * ermes__live_release. */
const ermes__config_t *ermes__live_acquire(const ermes__config_t *fallback);
void ermes__live_release(const ermes__config_t *cfg);
/* Frees the base and the current snapshot (once every reader has given theirs back). */
void ermes__live_free(void);

#endif
