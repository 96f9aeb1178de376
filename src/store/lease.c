/* Leases: which daemon instance works on a report, a collector, a notification, a retro-hunt or
 * a named job, and until when.
 *
 * Several ermes processes, on one machine or on several, share one database. Each process is
 * an instance with a random 63-bit id drawn when it starts; a lease names that id and ends at
 * lease_until. The holder renews its leases while it works (ermes__store_lease_heartbeat,
 * every third of the lease time; the intake also at every batch), so a lease runs out only
 * when its holder stopped: killed, its machine down, or cut off from the database. Whoever
 * claims it then takes the work over.
 *
 * A process id means nothing on another machine, but on the same one it tells at once that a
 * holder is gone: the instances table says where each instance runs (host: the machine's name,
 * its boot id and the pid namespace, or the instance_host setting) and under which pid, and a
 * claimant on the same host whose kill(pid, 0) says the process does not exist takes the
 * lease without waiting for it to run out. That keeps a restart after a crash as quick as
 * with one process.
 *
 * Taking a lease is a compare and swap on the (owner, until) read, inside the caller's write
 * transaction when there is one: of two claimants that both saw it free, one wins. A holder's
 * writes that must not happen once it lost the lease (the intake's batches) renew it in the
 * transaction that writes them, and roll back when the renewal fails. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"
#include "store/db_int.h"
#include "store/store_int.h"

#define DEFAULT_LEASE_MS 30000
/* An instance row not seen for this long is removed by whoever beats next. */
#define INSTANCE_FORGET_MS (24 * 3600 * 1000LL)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int64_t instance_id;
static int64_t started_at;
static char host_key[256];
static int64_t lease_ms = DEFAULT_LEASE_MS;

/* The first line of a small file, without its newline ("" when it cannot be read). */
static void read_line(const char *path, char *out, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, out, cap - 1) : -1;

    if (fd >= 0)
        close(fd);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

static void init_instance(void)
{
    char name[128] = "", boot[64] = "", ns[64] = "";
    uint64_t v = 0;
    ssize_t n;

    /* Never 0 (no holder) and positive, so that it reads back the same from any column type. */
    while ((v & INT64_MAX) == 0)
        randombytes_buf(&v, sizeof(v));
    instance_id = (int64_t)(v & INT64_MAX);
    started_at = ermes__time_now_ms();
    if (gethostname(name, sizeof(name) - 1) != 0)
        name[0] = '\0';
    read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    /* Two containers on one kernel share its boot id but not their process ids. */
    if ((n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1)) > 0)
        ns[n] = '\0';
    if (!host_key[0])
        snprintf(host_key, sizeof(host_key), "%s/%s/%s", name, boot, ns);
}

void ermes__lease_configure(int64_t ms, const char *host)
{
    if (ms > 0)
        lease_ms = ms;
    if (host && *host)
        snprintf(host_key, sizeof(host_key), "%s", host);
    pthread_once(&once, init_instance);
}

int64_t ermes__lease_ms(void)
{
    return lease_ms;
}

int64_t ermes__instance_id(void)
{
    pthread_once(&once, init_instance);
    return instance_id;
}

const char *ermes__lease_host(void)
{
    pthread_once(&once, init_instance);
    return host_key;
}

int ermes__lease_holds(int64_t holder, int64_t until, int64_t now, int64_t self, int self_holds,
                       int holder_gone)
{
    if (!until || until < now)
        return 0;
    /* An unknown holder (none recorded) keeps its lease until it runs out. */
    if (holder == 0)
        return 1;
    if (holder == self)
        return self_holds;
    return !holder_gone;
}

int ermes__instance_gone(ermes__db_t *db, int64_t id)
{
    ermes__db_stmt_t *s;
    int gone = 0;

    pthread_once(&once, init_instance);
    if (id == 0 || id == instance_id ||
        ermes__db_prepare(db, "SELECT host, pid FROM instances WHERE id = ?1", &s))
        return 0;
    ermes__db_bind_int(s, 1, id);
    if (ermes__db_step(s) == 1) {
        const char *host = ermes__db_col_text(s, 0);
        int64_t pid = ermes__db_col_int(s, 1);
        /* kill() of 0 or of a negative pid would ask about process groups, not a process. A
         * pid that is this process's now was another instance's before it ended. */
        if (host && strcmp(host, host_key) == 0 && pid > 0 &&
            ((pid_t)pid == getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)))
            gone = 1;
    }
    ermes__db_done(s);
    return gone;
}

/* This instance's row: made or refreshed (seen now). */
static int instance_seen(ermes__db_t *db, int64_t now)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO instances (id, host, pid, started_at, seen_at, tlp,"
                                " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'AMBER', ?5,"
                                " ?5) ON CONFLICT (id) DO UPDATE SET seen_at = ?5, updated_at = ?5",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, instance_id);
    ermes__db_bind_text(s, 2, host_key);
    ermes__db_bind_int(s, 3, (int64_t)getpid());
    ermes__db_bind_int(s, 4, started_at);
    ermes__db_bind_int(s, 5, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* Before this process's first claim on a store: its instance row, so that a claimant on the
 * same machine can tell when it is gone. Outside a transaction only (one that rolls back would
 * take the row with it); the next claim tries again. */
void ermes__lease_register(ermes__db_t *db)
{
    ermes__store_t *st = db->store;

    if (__atomic_load_n(&st->instance_seen, __ATOMIC_ACQUIRE) || ermes__db_in_tx(db))
        return;
    if (instance_seen(db, ermes__time_now_ms()) == 0)
        __atomic_store_n(&st->instance_seen, 1, __ATOMIC_RELEASE);
}

int ermes__lease_claim(ermes__db_t *db, const ermes__lease_claim_t *c, int *claimed)
{
    ermes__db_stmt_t *s;
    int64_t holder = 0, lease = 0, self = ermes__instance_id();
    int rc;

    *claimed = 0;
    ermes__lease_register(db);
    if ((rc = ermes__db_prepare(db, c->select_sql, &s)))
        return rc;
    if (c->name)
        ermes__db_bind_text(s, 1, c->name);
    else
        ermes__db_bind_int(s, 1, c->id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        holder = ermes__db_col_int(s, 0);
        lease = ermes__db_col_int(s, 1);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    if (rc)
        return rc;
    if (ermes__lease_holds(holder, lease, c->now, self, c->self_holds,
                           holder != self && lease >= c->now && ermes__instance_gone(db, holder)))
        return 0;
    /* Compare and swap: the lease changes only if it is still the one read, so of two
     * claimants that both saw it free, one wins. */
    if ((rc = ermes__db_prepare(db, c->update_sql, &s)))
        return rc;
    if (c->name)
        ermes__db_bind_text(s, 1, c->name);
    else
        ermes__db_bind_int(s, 1, c->id);
    if (c->until) {
        ermes__db_bind_int(s, 2, c->owner);
        ermes__db_bind_int(s, 3, c->until);
    }
    ermes__db_bind_int(s, 4, holder);
    ermes__db_bind_int(s, 5, lease);
    for (int k = 0; k < c->nextra; k++)
        ermes__db_bind_int(s, 6 + k, c->extra[k]);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *claimed = 1;
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

/* The tables whose leases a heartbeat renews: every lease this instance holds and has not
 * given back. */
static const char *const renewals[] = {
    "UPDATE reports SET lease_until = ?2 WHERE lease_owner = ?1 AND lease_until IS NOT NULL",
    "UPDATE notifications SET lease_until = ?2 WHERE lease_owner = ?1 AND lease_until IS NOT NULL",
    "UPDATE collectors SET lease_until = ?2 WHERE lease_owner = ?1 AND lease_until IS NOT NULL",
    "UPDATE retrohunts SET lease_until = ?2 WHERE lease_owner = ?1 AND state = 'running'",
    "UPDATE leases SET lease_until = ?2, updated_at = ?3 WHERE lease_owner = ?1",
};

int ermes__store_lease_heartbeat(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms(), self = ermes__instance_id();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Statement by statement, not in a write transaction: one would wait for the write lock
     * (SQLite's, PostgreSQL's advisory lock) that a long intake batch holds, and the leases
     * would run out while their holder is busy with them. Each statement is atomic alone. */
    rc = instance_seen(db, now);
    for (size_t k = 0; !rc && k < sizeof(renewals) / sizeof(renewals[0]); k++) {
        if ((rc = ermes__db_prepare(db, renewals[k], &s)))
            break;
        ermes__db_bind_int(s, 1, self);
        ermes__db_bind_int(s, 2, now + lease_ms);
        if (k == sizeof(renewals) / sizeof(renewals[0]) - 1)
            ermes__db_bind_int(s, 3, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        rc = rc < 0 ? rc : 0;
    }
    /* Instances that stopped long ago (their leases ran out with them). */
    if (!rc && !(rc = ermes__db_prepare(db, "DELETE FROM instances WHERE seen_at < ?1", &s))) {
        ermes__db_bind_int(s, 1, now - INSTANCE_FORGET_MS);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        rc = rc < 0 ? rc : 0;
    }
    if (!rc)
        __atomic_store_n(&st->instance_seen, 1, __ATOMIC_RELEASE);
    return rc;
}

int ermes__store_instance_stop(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "DELETE FROM instances WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, ermes__instance_id());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_instance_alive(ermes__store_t *st, int64_t id, int *alive)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *alive = 0;
    if (!db)
        return ERMES_ESTORE;
    if (id == ermes__instance_id()) {
        *alive = 1;
        return 0;
    }
    if ((rc = ermes__db_prepare(db, "SELECT seen_at FROM instances WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1)
        *alive = ermes__db_col_int(s, 0) + lease_ms >= ermes__time_now_ms();
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (*alive && ermes__instance_gone(db, id))
        *alive = 0;
    return 0;
}

int ermes__store_lease_take(ermes__store_t *st, const char *name, int *held)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    ermes__lease_claim_t c = {
        .select_sql = "SELECT lease_owner, lease_until FROM leases WHERE name = ?1",
        .update_sql = "UPDATE leases SET lease_owner = ?2, lease_until = ?3, updated_at = ?6"
                      " WHERE name = ?1 AND COALESCE(lease_owner, 0) = ?4"
                      " AND COALESCE(lease_until, 0) = ?5 RETURNING name",
        .name = name,
        .owner = ermes__instance_id(),
        .until = now + lease_ms,
        .now = now,
        .nextra = 1,
        .extra = {now},
    };
    int rc;

    *held = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO leases (name, tlp, created_at, updated_at)"
                                " VALUES (?1, 'AMBER', ?2, ?2) ON CONFLICT (name) DO NOTHING",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    /* Ours already (self_holds 0): renewed, and still ours. */
    return ermes__lease_claim(db, &c, held);
}

int ermes__store_lease_drop(ermes__store_t *st, const char *name)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "DELETE FROM leases WHERE name = ?1 AND lease_owner = ?2", &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, ermes__instance_id());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* ---- the heartbeat thread ---- */

struct ermes__lease_beat {
    ermes__store_t *st;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping;
};

static void *beat_main(void *arg)
{
    ermes__lease_beat_t *b = arg;
    sigset_t all;
    int failing = 0;

    /* Started before the daemon blocks its signals for its own thread to take them: this
     * thread must never be the one a SIGTERM is delivered to (it would end the process). */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&b->lock);
    while (!b->stopping) {
        struct timespec until;
        int64_t ms = lease_ms / 3 > 0 ? lease_ms / 3 : 1;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)(ms / 1000);
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!b->stopping && pthread_cond_timedwait(&b->wake, &b->lock, &until) != ETIMEDOUT)
            ;
        if (b->stopping)
            break;
        pthread_mutex_unlock(&b->lock);
        {
            int rc = ermes__store_lease_heartbeat(b->st);
            /* Said once while it lasts: the leases run out if it goes on for a lease time. */
            if (rc && !failing)
                ermes__log(ERMES_LOG_WARNING,
                           "cannot renew this process's leases in the database: %s; its jobs "
                           "go to other daemons if this lasts %lld ms",
                           ermes_strerror(rc), (long long)lease_ms);
            else if (!rc && failing)
                ermes__log(ERMES_LOG_NOTICE, "leases renewed again");
            failing = rc != 0;
        }
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

int ermes__lease_beat_start(ermes__store_t *st, ermes__lease_beat_t **out)
{
    ermes__lease_beat_t *b = ermes__calloc(1, sizeof(*b));
    pthread_condattr_t attr;
    sigset_t all, old;
    int made;

    if (!b)
        return ERMES_ENOMEM;
    b->st = st;
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wake, &attr);
    pthread_condattr_destroy(&attr);
    /* The thread starts with every signal blocked (inherited), so none lands on it. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    made = pthread_create(&b->thread, NULL, beat_main, b);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (made != 0) {
        pthread_cond_destroy(&b->wake);
        pthread_mutex_destroy(&b->lock);
        ermes__free(b);
        return ERMES_ENOMEM;
    }
    *out = b;
    return 0;
}

void ermes__lease_beat_stop(ermes__lease_beat_t *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stopping = 1;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    /* A clean stop: the instance's row goes, if it ever made one. */
    if (__atomic_load_n(&b->st->instance_seen, __ATOMIC_ACQUIRE))
        ermes__store_instance_stop(b->st);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    ermes__free(b);
}
