/* The dictionary of extra names the packed events use (src/model/event_pack.h).
 *
 * A packed event names its extras by number; the table event_names (migration 11) holds the
 * numbers, one row per name ever used, never changed or deleted, so a number once committed
 * means its name forever. The process keeps what it has read of the table in memory (every
 * connection shares it, under a mutex): a number it does not know is read from the table, and
 * a name the intake has not seen is looked up and, when new, inserted in the intake's own
 * transaction, with the events that use it.
 *
 * A number inserted in a transaction that rolls back may be taken by another process for
 * another name. So the names a connection inserted are remembered as pending until its
 * transaction ends: a commit keeps them, a rollback takes them out of memory again. Nothing
 * else can read such a number meanwhile: only events of that same transaction carry it. Name
 * texts stay allocated until the store closes (readers hold them without the mutex); the ones a
 * rollback takes out are kept aside until then too. */
#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store.h"
#include "store/store_int.h"

#define NAME_MAX_BYTES 255 /* an extra key without "extra." (event.c's EXTRA_KEY_MAX) */

typedef struct name {
    char *text; /* NULL: unknown number */
    uint32_t len;
} name_t;

typedef struct pending {
    const ermes__db_t *db;
    uint32_t id;
} pending_t;

struct ermes__event_names {
    pthread_mutex_t lock;
    name_t *by_id; /* indexed by number */
    size_t cap_id;
    uint32_t *table; /* open addressing on the text's hash: number, 0 = empty */
    size_t cap_table, used;
    pending_t *pending; /* inserted by a transaction still open */
    size_t npending, cap_pending;
    char **aside; /* texts taken out by a rollback, freed at close */
    size_t naside, cap_aside;
};

static uint64_t hash_of(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t k = 0; k < len; k++)
        h = (h ^ (uint8_t)s[k]) * 0x100000001b3ull;
    return h;
}

int ermes__event_names_new(ermes__event_names_t **out)
{
    ermes__event_names_t *n = ermes__calloc(1, sizeof(*n));

    if (!n)
        return ERMES_ENOMEM;
    pthread_mutex_init(&n->lock, NULL);
    *out = n;
    return 0;
}

void ermes__event_names_free(ermes__event_names_t *n)
{
    if (!n)
        return;
    for (size_t k = 0; k < n->cap_id; k++)
        ermes__free(n->by_id[k].text);
    for (size_t k = 0; k < n->naside; k++)
        ermes__free(n->aside[k]);
    ermes__free(n->by_id);
    ermes__free(n->table);
    ermes__free(n->pending);
    ermes__free(n->aside);
    pthread_mutex_destroy(&n->lock);
    ermes__free(n);
}

/* The slot of the table where text is, or the empty one where it would go. */
static uint32_t *slot_for(ermes__event_names_t *n, const char *text, size_t len)
{
    size_t i = (size_t)hash_of(text, len) & (n->cap_table - 1);

    for (;; i = (i + 1) & (n->cap_table - 1)) {
        uint32_t id = n->table[i];
        if (id == 0 || (n->by_id[id].len == len && memcmp(n->by_id[id].text, text, len) == 0))
            return &n->table[i];
    }
}

static int rehash(ermes__event_names_t *n, size_t cap)
{
    uint32_t *old = n->table;
    size_t oldcap = n->cap_table;

    if (!(n->table = ermes__calloc(cap, sizeof(*n->table)))) {
        n->table = old;
        return ERMES_ENOMEM;
    }
    n->cap_table = cap;
    for (size_t k = 0; k < oldcap; k++) {
        if (old[k])
            *slot_for(n, n->by_id[old[k]].text, n->by_id[old[k]].len) = old[k];
    }
    ermes__free(old);
    return 0;
}

/* Remembers id = text (under the lock). */
static int learn(ermes__event_names_t *n, uint32_t id, const char *text, size_t len)
{
    uint32_t *slot;
    char *copy;

    if (id == 0 || len == 0 || len > NAME_MAX_BYTES)
        return ERMES_EINVAL; /* no such name is ever written */
    if (id < n->cap_id && n->by_id[id].text)
        return 0;
    if (id >= n->cap_id) {
        size_t cap = n->cap_id ? n->cap_id : 64;
        name_t *b;
        while (cap <= id)
            cap *= 2;
        if (!(b = ermes__reallocarray(n->by_id, cap, sizeof(*b))))
            return ERMES_ENOMEM;
        memset(b + n->cap_id, 0, (cap - n->cap_id) * sizeof(*b));
        n->by_id = b;
        n->cap_id = cap;
    }
    if ((n->used + 1) * 2 > n->cap_table && rehash(n, n->cap_table ? n->cap_table * 2 : 256))
        return ERMES_ENOMEM;
    if (!(copy = ermes__malloc(len + 1)))
        return ERMES_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    n->by_id[id].text = copy;
    n->by_id[id].len = (uint32_t)len;
    slot = slot_for(n, text, len);
    if (!*slot) {
        *slot = id;
        n->used++;
    }
    return 0;
}

/* Takes id out again (a rollback undid its row). */
static void unlearn(ermes__event_names_t *n, uint32_t id)
{
    name_t *nm;

    if (id >= n->cap_id || !(nm = &n->by_id[id])->text)
        return;
    if (n->naside == n->cap_aside) {
        size_t cap = n->cap_aside ? n->cap_aside * 2 : 16;
        char **a = ermes__reallocarray(n->aside, cap, sizeof(*a));
        if (!a)
            return; /* the text leaks until exit rather than be freed under a reader */
        n->aside = a;
        n->cap_aside = cap;
    }
    n->aside[n->naside++] = nm->text;
    /* The table is rebuilt without it: open addressing cannot just empty a slot. */
    nm->text = NULL;
    nm->len = 0;
    memset(n->table, 0, n->cap_table * sizeof(*n->table));
    n->used = 0;
    for (size_t k = 1; k < n->cap_id; k++) {
        if (n->by_id[k].text) {
            *slot_for(n, n->by_id[k].text, n->by_id[k].len) = (uint32_t)k;
            n->used++;
        }
    }
}

void ermes__event_names_end(ermes__event_names_t *n, const ermes__db_t *db, int how)
{
    size_t kept = 0;

    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    for (size_t k = 0; k < n->npending; k++) {
        if (n->pending[k].db != db) {
            n->pending[kept++] = n->pending[k];
            continue;
        }
        if (how != ERMES__NAMES_COMMIT)
            unlearn(n, n->pending[k].id);
        /* After a savepoint's rollback the transaction goes on: names inserted before the
         * savepoint are still in it, read again from the table when needed, and still
         * pending on its end. */
        if (how == ERMES__NAMES_SAVEPOINT)
            n->pending[kept++] = n->pending[k];
    }
    n->npending = kept;
    pthread_mutex_unlock(&n->lock);
}

int ermes__store_event_name_id(ermes__store_t *st, const char *name, size_t len, uint32_t *id)
{
    ermes__event_names_t *n = st->names;
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    uint32_t *slot;
    int64_t got = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (len == 0 || len > NAME_MAX_BYTES)
        return ERMES_EINVAL;
    pthread_mutex_lock(&n->lock);
    slot = n->cap_table ? slot_for(n, name, len) : NULL;
    *id = slot ? *slot : 0;
    pthread_mutex_unlock(&n->lock);
    if (*id)
        return 0;
    /* Not known here: another process may have written it; else it is new. */
    if ((rc = ermes__db_prepare(db, "SELECT id FROM event_names WHERE name = ?1", &s)))
        return rc;
    ermes__db_bind_textn(s, 1, name, len);
    if ((rc = ermes__db_step(s)) == 1)
        got = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (!got) {
        if (!ermes__db_in_tx(db))
            return ERMES_EINVAL; /* a number must commit with the events that use it */
        if ((rc = ermes__db_prepare(db, "INSERT INTO event_names (name) VALUES (?1) RETURNING id",
                                    &s)))
            return rc;
        ermes__db_bind_textn(s, 1, name, len);
        rc = ermes__db_step(s);
        if (rc == 1) {
            got = ermes__db_col_int(s, 0);
            rc = 0;
        }
        ermes__db_done(s);
        if (rc < 0)
            return rc;
        if (got <= 0 || got > (int64_t)(UINT32_MAX >> 3))
            return ERMES_ETOOBIG;
        pthread_mutex_lock(&n->lock);
        if (n->npending == n->cap_pending) {
            size_t cap = n->cap_pending ? n->cap_pending * 2 : 16;
            pending_t *p = ermes__reallocarray(n->pending, cap, sizeof(*p));
            if (!p) {
                pthread_mutex_unlock(&n->lock);
                return ERMES_ENOMEM;
            }
            n->pending = p;
            n->cap_pending = cap;
        }
        n->pending[n->npending++] = (pending_t){db, (uint32_t)got};
        pthread_mutex_unlock(&n->lock);
    }
    pthread_mutex_lock(&n->lock);
    rc = learn(n, (uint32_t)got, name, len);
    pthread_mutex_unlock(&n->lock);
    *id = (uint32_t)got;
    return rc;
}

int ermes__store_event_name_of(ermes__store_t *st, uint32_t id, const char **name, size_t *len)
{
    ermes__event_names_t *n = st->names;
    ermes__db_t *db;
    ermes__db_stmt_t *s;
    int rc;

    pthread_mutex_lock(&n->lock);
    if (id < n->cap_id && n->by_id[id].text) {
        *name = n->by_id[id].text;
        *len = n->by_id[id].len;
        pthread_mutex_unlock(&n->lock);
        return 0;
    }
    pthread_mutex_unlock(&n->lock);
    if (!(db = ermes__db_conn(st)))
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT name FROM event_names WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        const char *text = ermes__db_col_text(s, 0);
        pthread_mutex_lock(&n->lock);
        rc = text ? learn(n, id, text, strlen(text)) : ERMES_EINVAL;
        if (rc == 0) {
            *name = n->by_id[id].text;
            *len = n->by_id[id].len;
        }
        pthread_mutex_unlock(&n->lock);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}
