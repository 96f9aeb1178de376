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

int ermes__lease_read(ermes_db_stmt_t *s, int64_t *holder, int64_t *until)
{
    int rc = ermes__db_step(s);

    if (rc == 1) {
        *holder = ermes__db_col_int(s, 0);
        *until = ermes__db_col_int(s, 1);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__lease_swap(ermes_db_stmt_t *s, int *claimed)
{
    int rc = ermes__db_step(s);

    if (rc == 1) {
        *claimed = 1;
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}
