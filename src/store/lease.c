/* Leases: which process works on a report, a collector or a notification, and until when. */
#include "store/store_int.h"

#include <errno.h>
#include <signal.h>

int ermes__lease_holds(int64_t holder, int64_t until, int64_t now, int64_t self, int self_holds)
{
    if (!until || until < now)
        return 0;
    /* An unknown holder (no pid) keeps its lease until it runs out; kill() of 0 or of a
     * negative pid would ask about process groups, not a process. */
    if (holder <= 0)
        return 1;
    if (holder == self)
        return self_holds;
    /* kill(pid, 0) asks whether the process exists: a holder that crashed left its lease. */
    return !(kill((pid_t)holder, 0) != 0 && errno == ESRCH);
}

int ermes__lease_claim(ermes__db_t *db, const ermes__lease_claim_t *c, int *claimed)
{
    ermes__db_stmt_t *s;
    int64_t holder = 0, lease = 0;
    int rc;

    *claimed = 0;
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
    if (rc || ermes__lease_holds(holder, lease, c->now, c->self, c->self_holds))
        return rc;
    /* Compare and swap: the lease changes only if it is still the one read, so of two
     * claimants that both saw it free, one wins. */
    if ((rc = ermes__db_prepare(db, c->update_sql, &s)))
        return rc;
    if (c->name)
        ermes__db_bind_text(s, 1, c->name);
    else
        ermes__db_bind_int(s, 1, c->id);
    if (c->until) {
        ermes__db_bind_int(s, 2, c->pid);
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
