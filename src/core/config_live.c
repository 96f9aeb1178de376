/* The settings in force while ermes runs (see config_live.h): a reference-counted snapshot
 * swapped under a mutex. */
#include "core/config_live.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/sha256.h"

typedef struct snapshot {
    ermes__config_t cfg; /* first: a reader's pointer is the snapshot's */
    unsigned refs;
} snapshot_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ermes__config_t *base;
static snapshot_t *current;
static char applied[65]; /* hash of the rows current was made from */
static int active;       /* ermes__live_init was called: acquire hands out snapshots */

static void snapshot_put(snapshot_t *s)
{
    if (s && --s->refs == 0) {
        ermes__config_copy_free(&s->cfg);
        ermes__free(s);
    }
}

/* A hash of the rows, to tell a change from the same rows read again. */
static void rows_hash(const char *const *names, const char *const *values, size_t n, char out[65])
{
    ermes__sha256_t *h = ermes__sha256_new();

    /* Out of memory: a hash no rows have, so the rows are applied again next time. */
    snprintf(out, 65, "%s", "-");
    if (!h)
        return;
    for (size_t k = 0; k < n; k++) {
        ermes__sha256_update(h, names[k], strlen(names[k]) + 1);
        ermes__sha256_update(h, values[k], strlen(values[k]) + 1);
    }
    ermes__sha256_final(h, out); /* frees h */
}

int ermes__live_init(const ermes__config_t *cfg)
{
    ermes__config_t *b = ermes__calloc(1, sizeof(*b));
    snapshot_t *s = ermes__calloc(1, sizeof(*s));
    int rc = ERMES_ENOMEM;

    if (!b || !s || (rc = ermes__config_copy(b, cfg)))
        goto fail;
    if ((rc = ermes__config_copy(&s->cfg, cfg))) {
        ermes__config_copy_free(b);
        goto fail;
    }
    s->refs = 1;
    pthread_mutex_lock(&lock);
    if (base) {
        ermes__config_copy_free(base);
        ermes__free(base);
    }
    base = b;
    snapshot_put(current);
    current = s;
    rows_hash(NULL, NULL, 0, applied);
    active = 1;
    pthread_mutex_unlock(&lock);
    return 0;
fail:
    ermes__free(b);
    ermes__free(s);
    return rc;
}

int ermes__live_update(const char *const *names, const char *const *values, size_t n, int *changed)
{
    char h[65];
    snapshot_t *s;
    int rc;

    if (changed)
        *changed = 0;
    rows_hash(names, values, n, h);
    pthread_mutex_lock(&lock);
    if (!base || strcmp(h, applied) == 0) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    if (!(s = ermes__calloc(1, sizeof(*s)))) {
        pthread_mutex_unlock(&lock);
        return ERMES_ENOMEM;
    }
    if ((rc = ermes__config_copy(&s->cfg, base))) {
        pthread_mutex_unlock(&lock);
        ermes__free(s);
        return rc;
    }
    ermes__config_overlay(&s->cfg, names, values, n);
    s->refs = 1;
    snapshot_put(current);
    current = s;
    snprintf(applied, sizeof(applied), "%s", h);
    pthread_mutex_unlock(&lock);
    if (changed)
        *changed = 1;
    return 0;
}

const ermes__config_t *ermes__live_acquire(const ermes__config_t *fallback)
{
    const ermes__config_t *c = fallback;

    pthread_mutex_lock(&lock);
    if (current) {
        current->refs++;
        c = &current->cfg;
    }
    pthread_mutex_unlock(&lock);
    return c;
}

void ermes__live_release(const ermes__config_t *cfg)
{
    pthread_mutex_lock(&lock);
    /* Before ermes__live_init, acquire hands out the caller's own fallback, not counted. */
    if (active && cfg)
        snapshot_put((snapshot_t *)(void *)cfg);
    pthread_mutex_unlock(&lock);
}

void ermes__live_free(void)
{
    pthread_mutex_lock(&lock);
    snapshot_put(current);
    current = NULL;
    active = 0;
    if (base) {
        ermes__config_copy_free(base);
        ermes__free(base);
        base = NULL;
    }
    pthread_mutex_unlock(&lock);
}
