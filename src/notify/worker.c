/* The daemon's notification thread: each round groups due events into notifications and sends
 * the notifications that are due; it sleeps until kicked, until the next notification falls
 * due, or a few seconds, whichever comes first. All state is in the database, so a restart
 * (or a CLI `ermes notify run` at the same time) picks up where anyone left off. */
#include "notify/notify.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/config_live.h"
#include "core/log.h"
#include "core/time.h"

/* The longest sleep between rounds, and the shortest (a due time just passed). */
#define IDLE_MS 2000
#define MIN_SLEEP_MS 50

struct ermes__notifier {
    ermes__store_t *st;
    ermes__notify_options_t opts;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int started, stopping, kicked;
    int sending;          /* the last round had an smtp_url (under lock) */
    int cancel;           /* set (atomically) on stop: an SMTP exchange under way gives up */
    int64_t keys_checked; /* when the contacts' keys were last checked for expiry (ms) */
};

int ermes__notifier_new(ermes__store_t *st, const ermes__notify_options_t *o,
                        ermes__notifier_t **out)
{
    ermes__notifier_t *n = ermes__calloc(1, sizeof(*n));
    pthread_condattr_t attr;

    if (!n)
        return ERMES_ENOMEM;
    n->st = st;
    n->opts = *o;
    n->opts.cancel = &n->cancel;
    n->opts.skip_waiting = 1;
    n->sending = o->smtp_url != NULL;
    pthread_mutex_init(&n->lock, NULL);
    /* The monotonic clock: a wall clock step must not make the thread sleep for hours. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&n->wake, &attr);
    pthread_condattr_destroy(&attr);
    *out = n;
    return 0;
}

/* How long to sleep: until the next notification is due, at most IDLE_MS. */
static int64_t sleep_ms(ermes__notifier_t *n)
{
    int64_t next = 0, now = ermes__time_now_ms(), ms = IDLE_MS;

    int sending;

    pthread_mutex_lock(&n->lock);
    sending = n->sending;
    pthread_mutex_unlock(&n->lock);
    if (sending && ermes__store_notification_next_due(n->st, &next) == 0 && next)
        ms = next - now < ms ? next - now : ms;
    return ms < MIN_SLEEP_MS ? MIN_SLEEP_MS : ms;
}

/* The options of one round: from the settings in force now (an administrator may have
 * changed smtp_url or the policy in the database since the last round), else those the
 * daemon started with. The snapshot is held until the round ends (release_round). */
static const ermes__config_t *options_now(ermes__notifier_t *n, ermes__notify_options_t *o)
{
    const ermes__config_t *cfg = ermes__live_acquire(NULL);
    ermes_diag_t d;

    *o = n->opts;
    if (!cfg)
        return NULL;
    ermes_diag_clear(&d);
    if (ermes__notify_options_from_config(cfg, o, &d)) {
        /* The API and the CLI check a value before storing it; a bad one can only come from
         * an older ermes: the start-up options stay in force. */
        ermes__log(ERMES_LOG_WARNING,
                   "notify: the settings in the database are refused (%s): "
                   "using those of the start",
                   d.reason);
        *o = n->opts;
        ermes__live_release(cfg);
        return NULL;
    }
    o->cancel = &n->cancel;
    o->skip_waiting = 1;
    pthread_mutex_lock(&n->lock);
    n->sending = o->smtp_url != NULL;
    pthread_mutex_unlock(&n->lock);
    return cfg;
}

static void round_once(ermes__notifier_t *n)
{
    ermes__notify_stats_t s;
    ermes__notify_options_t o;
    const ermes__config_t *cfg = options_now(n, &o);
    int rc;

    memset(&s, 0, sizeof(s));
    /* Once a day (and at start): contacts' keys that expire soon, or cannot be used. */
    if (o.expiry_warn_ms > 0 && ermes__time_now_ms() - n->keys_checked >= 86400 * 1000LL) {
        size_t warned = 0;
        n->keys_checked = ermes__time_now_ms();
        if ((rc = ermes__notify_keys_warn(n->st, &o, n->keys_checked, &warned)))
            ermes__log(ERMES_LOG_WARNING, "notify: checking the contacts' OpenPGP keys: %s",
                       ermes_strerror(rc));
    }
    rc = ermes__notify_run(n->st, &o, 0, &s);
    if (rc)
        ermes__log(ERMES_LOG_WARNING, "notify: %s", ermes_strerror(rc));
    if (s.notifications || s.sent || s.failed || s.retrying || s.recovered)
        ermes__log(ERMES_LOG_INFO,
                   "notify: %ld notifications made (%ld events), %ld sent, %ld retrying, %ld "
                   "deferred, %ld failed, %ld recovered",
                   s.notifications, s.events, s.sent, s.retrying, s.deferred, s.failed,
                   s.recovered);
    if (cfg)
        ermes__live_release(cfg);
}

static void *run(void *arg)
{
    ermes__notifier_t *n = arg;

    for (;;) {
        struct timespec until;
        int64_t ms;

        pthread_mutex_lock(&n->lock);
        if (n->stopping) {
            pthread_mutex_unlock(&n->lock);
            break;
        }
        n->kicked = 0;
        pthread_mutex_unlock(&n->lock);

        round_once(n);
        ms = sleep_ms(n);

        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)(ms / 1000);
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&n->lock);
        while (!n->stopping && !n->kicked)
            if (pthread_cond_timedwait(&n->wake, &n->lock, &until) == ETIMEDOUT)
                break;
        pthread_mutex_unlock(&n->lock);
    }
    return NULL;
}

int ermes__notifier_start(ermes__notifier_t *n)
{
    if (n->started)
        return 0;
    n->stopping = 0;
    __atomic_store_n(&n->cancel, 0, __ATOMIC_RELEASE);
    ermes__notify_cancel_all(0);
    if (pthread_create(&n->thread, NULL, run, n))
        return ERMES_EINTERNAL;
    n->started = 1;
    if (!n->opts.smtp_url)
        ermes__log(ERMES_LOG_NOTICE, "notify: smtp_url is not set: notifications are prepared "
                                     "but not sent");
    return 0;
}

void ermes__notifier_kick(ermes__notifier_t *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->kicked = 1;
    pthread_cond_signal(&n->wake);
    pthread_mutex_unlock(&n->lock);
}

void ermes__notifier_stop(ermes__notifier_t *n)
{
    if (!n)
        return;
    /* Every exchange of the process: the worker's and those of API requests. */
    ermes__notify_cancel_all(1);
    if (!n->started)
        return;
    pthread_mutex_lock(&n->lock);
    n->stopping = 1;
    __atomic_store_n(&n->cancel, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&n->wake);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    n->started = 0;
}

void ermes__notifier_free(ermes__notifier_t *n)
{
    if (!n)
        return;
    ermes__notifier_stop(n);
    pthread_cond_destroy(&n->wake);
    pthread_mutex_destroy(&n->lock);
    ermes__free(n);
}
