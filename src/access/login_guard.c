/* The login's worker pool, per-address failure counts and flood audit (login_guard.h). */
#include "access/login_guard.h"

#include <pthread.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"

/* Client addresses remembered at once. A flood from more addresses than this forgets the
 * quietest ones first; each still meets the per-name lock-out in the database. */
#define ADDRESSES 4096
#define PROBES 16
#define ADDRESS_WINDOW_MS ERMES_LOGIN_WINDOW_MS

typedef struct address {
    char ip[64]; /* "" for a free slot */
    int64_t window_start;
    int64_t failures; /* within the window from window_start */
    int64_t last_seen;
    int64_t audit_start; /* the audit interval this address's counts belong to */
    int64_t counts[ERMES_LOGIN_NKINDS];
    unsigned audited; /* bit k: outcome k was audited in full in this interval */
} address_t;

struct ermes__login_guard {
    ermes__store_t *store;
    const ermes__config_t *cfg;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    ermes__login_job_t *head, *tail; /* waiting jobs, oldest first */
    long waiting;                    /* jobs queued */
    long reserved;                   /* places promised to callers about to submit */
    long running;                    /* jobs being checked */
    int stopping;
    pthread_t *threads;
    long nthreads;
    address_t *addresses;
};

static void *worker_main(void *arg)
{
    ermes__login_guard_t *g = arg;

    /* Below the HTTP threads: under a login flood the CPU goes to the other requests first,
     * the password checks take what is left (Linux: the nice value of one thread). */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);

    for (;;) {
        ermes__login_job_t *job;

        pthread_mutex_lock(&g->lock);
        while (!g->head && !g->stopping)
            pthread_cond_wait(&g->wake, &g->lock);
        if (!g->head) {
            pthread_mutex_unlock(&g->lock);
            return NULL;
        }
        job = g->head;
        g->head = job->next;
        if (!g->head)
            g->tail = NULL;
        g->waiting--;
        g->running++;
        pthread_mutex_unlock(&g->lock);

        job->next = NULL;
        /* Expired sessions and old failures go while we are here. */
        {
            int64_t now = ermes__time_now_ms();
            ermes__store_session_prune(g->store, now, now - g->cfg->session_idle * 1000,
                                       now - ERMES_LOGIN_WINDOW_MS - ERMES_LOGIN_LOCK_MS);
        }
        {
            ermes__login_factor_t f = {job->totp, job->recovery_code, ERMES_FACTOR_NONE, 0};
            job->rc = ermes__login(g->store, job->name, job->password, &f, job->ip, &job->user,
                                   &job->locked, &job->retry_after_s);
            job->factor_state = f.state;
            job->recovery_left = f.recovery_left;
        }
        sodium_memzero(job->password, sizeof(job->password));
        sodium_memzero(job->totp, sizeof(job->totp));
        sodium_memzero(job->recovery_code, sizeof(job->recovery_code));
        /* The place is free before the answer goes: the client's next login finds it. */
        pthread_mutex_lock(&g->lock);
        g->running--;
        pthread_mutex_unlock(&g->lock);
        /* The job belongs to its caller again from here on. */
        job->done_cb(job);
    }
}

int ermes__login_guard_new(ermes__store_t *st, const ermes__config_t *cfg,
                           ermes__login_guard_t **out)
{
    ermes__login_guard_t *g = ermes__calloc(1, sizeof(*g));
    int rc = ERMES_ENOMEM;

    if (!g)
        return ERMES_ENOMEM;
    g->store = st;
    g->cfg = cfg;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->addresses = ermes__calloc(ADDRESSES, sizeof(*g->addresses));
    g->threads = ermes__calloc((size_t)(cfg->login_workers > 0 ? cfg->login_workers : 1),
                               sizeof(*g->threads));
    if (!g->addresses || !g->threads)
        goto fail;
    for (long k = 0; k < (cfg->login_workers > 0 ? cfg->login_workers : 1); k++) {
        if (pthread_create(&g->threads[k], NULL, worker_main, g)) {
            rc = ERMES_EINTERNAL;
            goto fail;
        }
        g->nthreads++;
    }
    *out = g;
    return 0;
fail:
    ermes__login_guard_free(g);
    return rc;
}

void ermes__login_guard_stop(ermes__login_guard_t *g)
{
    ermes__login_job_t *job, *next;

    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    if (g->stopping) {
        pthread_mutex_unlock(&g->lock);
        return;
    }
    g->stopping = 1;
    job = g->head;
    g->head = g->tail = NULL;
    g->waiting = 0;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->lock);
    /* What nobody started is answered as if the queue had been full. */
    for (; job; job = next) {
        next = job->next;
        job->next = NULL;
        sodium_memzero(job->password, sizeof(job->password));
        job->rc = ERMES_EBUSY;
        job->done_cb(job);
    }
    for (long k = 0; k < g->nthreads; k++)
        pthread_join(g->threads[k], NULL);
    g->nthreads = 0;
}

void ermes__login_guard_free(ermes__login_guard_t *g)
{
    if (!g)
        return;
    ermes__login_guard_stop(g);
    if (g->addresses)
        ermes__login_guard_flush(g, ermes__time_now_ms(), 1);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    ermes__free(g->threads);
    ermes__free(g->addresses);
    ermes__free(g);
}

int ermes__login_guard_reserve(ermes__login_guard_t *g)
{
    int rc = 0;

    pthread_mutex_lock(&g->lock);
    /* login_workers checks run, login_queue more wait. */
    if (g->stopping || g->waiting + g->reserved + g->running >= g->cfg->login_queue + g->nthreads)
        rc = ERMES_EBUSY;
    else
        g->reserved++;
    pthread_mutex_unlock(&g->lock);
    return rc;
}

void ermes__login_guard_submit(ermes__login_guard_t *g, ermes__login_job_t *job)
{
    pthread_mutex_lock(&g->lock);
    g->reserved--;
    if (g->stopping) {
        pthread_mutex_unlock(&g->lock);
        sodium_memzero(job->password, sizeof(job->password));
        job->rc = ERMES_EBUSY;
        job->done_cb(job);
        return;
    }
    job->next = NULL;
    if (g->tail)
        g->tail->next = job;
    else
        g->head = job;
    g->tail = job;
    g->waiting++;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
}

static uint32_t hash_ip(const char *ip)
{
    uint32_t h = 2166136261u;

    for (; *ip; ip++)
        h = (h ^ (unsigned char)*ip) * 16777619u;
    return h;
}

/* The slot of ip, under g->lock. With create, a new one is made when ip has none, in place of
 * the least recently seen of its probe sequence whose counts are not waiting for the audit;
 * NULL when there is none such, or without create and ip unknown. */
static address_t *find_address(ermes__login_guard_t *g, const char *ip, int64_t now, int create)
{
    uint32_t h = hash_ip(ip);
    address_t *victim = NULL;

    for (unsigned k = 0; k < PROBES; k++) {
        address_t *a = &g->addresses[(h + k) % ADDRESSES];
        int pending = 0;
        if (a->ip[0] && strcmp(a->ip, ip) == 0)
            return a;
        for (int i = 0; i < ERMES_LOGIN_NKINDS; i++)
            pending |= a->counts[i] > 0;
        if (pending)
            continue;
        /* A free slot first, else the least recently seen. */
        if (!victim || (victim->ip[0] && (!a->ip[0] || a->last_seen < victim->last_seen)))
            victim = a;
    }
    if (!create || !victim)
        return NULL;
    memset(victim, 0, sizeof(*victim));
    snprintf(victim->ip, sizeof(victim->ip), "%s", ip);
    victim->window_start = now;
    victim->audit_start = now;
    victim->last_seen = now;
    return victim;
}

int ermes__login_guard_blocked(ermes__login_guard_t *g, const char *ip, int64_t now_ms,
                               int64_t *retry_after_s)
{
    address_t *a;
    int blocked = 0;

    *retry_after_s = 0;
    pthread_mutex_lock(&g->lock);
    a = find_address(g, ip, now_ms, 0);
    if (a && now_ms - a->window_start < ADDRESS_WINDOW_MS &&
        a->failures >= g->cfg->login_address_failures) {
        blocked = 1;
        *retry_after_s = (a->window_start + ADDRESS_WINDOW_MS - now_ms + 999) / 1000;
    }
    pthread_mutex_unlock(&g->lock);
    return blocked;
}

int ermes__login_guard_record(ermes__login_guard_t *g, const char *ip,
                              ermes__login_outcome_t outcome, int64_t now_ms)
{
    address_t *a;
    int full = 1;

    pthread_mutex_lock(&g->lock);
    a = find_address(g, ip, now_ms, 1);
    if (!a)
        goto out; /* every slot holds counts not yet audited: audit this one in full */
    a->last_seen = now_ms;
    if (outcome == ERMES_LOGIN_FAILED) {
        if (now_ms - a->window_start >= ADDRESS_WINDOW_MS) {
            a->window_start = now_ms;
            a->failures = 0;
        }
        a->failures++;
    }
    if (now_ms - a->audit_start >= g->cfg->login_audit_interval * 1000) {
        /* The flush has not come by yet: these counts are the previous interval's. */
        int pending = 0;
        for (int i = 0; i < ERMES_LOGIN_NKINDS; i++)
            pending |= a->counts[i] > 0;
        if (!pending) {
            a->audit_start = now_ms;
            a->audited = 0;
        }
    }
    if (a->audited & (1u << outcome)) {
        a->counts[outcome]++;
        full = 0;
    } else {
        a->audited |= 1u << outcome;
    }
out:
    pthread_mutex_unlock(&g->lock);
    return full;
}

typedef struct due {
    char ip[64];
    int64_t from, until;
    int64_t counts[ERMES_LOGIN_NKINDS];
} due_t;

void ermes__login_guard_flush(ermes__login_guard_t *g, int64_t now_ms, int all)
{
    static const char *const names[ERMES_LOGIN_NKINDS] = {"failed", "locked", "rate_limited",
                                                          "busy"};
    due_t due[64];
    size_t n = 0;
    int64_t interval = g->cfg->login_audit_interval * 1000;

    /* Gathered under the lock, written without it: the database may be slow. */
    pthread_mutex_lock(&g->lock);
    for (size_t k = 0; k < ADDRESSES && n < sizeof(due) / sizeof(due[0]); k++) {
        address_t *a = &g->addresses[k];
        int pending = 0;
        if (!a->ip[0] || (!all && now_ms - a->audit_start < interval))
            continue;
        for (int i = 0; i < ERMES_LOGIN_NKINDS; i++)
            pending |= a->counts[i] > 0;
        if (pending) {
            snprintf(due[n].ip, sizeof(due[n].ip), "%s", a->ip);
            due[n].from = a->audit_start;
            due[n].until = now_ms;
            memcpy(due[n].counts, a->counts, sizeof(a->counts));
            n++;
        }
        memset(a->counts, 0, sizeof(a->counts));
        a->audited = 0;
        a->audit_start = now_ms;
    }
    pthread_mutex_unlock(&g->lock);
    for (size_t k = 0; k < n; k++) {
        char detail[256], from[ERMES_TIME_STRLEN], until[ERMES_TIME_STRLEN];
        ermes__viewer_t v;
        size_t len;
        memset(&v, 0, sizeof(v));
        v.user_name = "anonymous";
        v.role = ERMES_ROLE_CONSTITUENT;
        v.remote = due[k].ip;
        ermes__time_format(due[k].from, from);
        ermes__time_format(due[k].until, until);
        len = (size_t)snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"until\":\"%s\"", from,
                               until);
        for (int i = 0; i < ERMES_LOGIN_NKINDS && len < sizeof(detail); i++)
            len += (size_t)snprintf(detail + len, sizeof(detail) - len, ",\"%s\":%lld", names[i],
                                    (long long)due[k].counts[i]);
        if (len < sizeof(detail))
            snprintf(detail + len, sizeof(detail) - len, "}");
        if (ermes__audit_write(g->store, &v, "login_failures", "session", NULL, detail))
            ermes__log(ERMES_LOG_WARNING, "audit: cannot record the failed logins of %s",
                       due[k].ip);
    }
}
