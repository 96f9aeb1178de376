/* The reaction-time measures kept with each incident (model/incident.h, migration 49): what
 * the metrics (metrics.c) read, computed here from the incident's milestones (each the time of
 * the timeline entry that reached it) and its SLA deadlines, so that a year's metrics scan an
 * index instead of walking every incident's business-hour clocks. ermes__incident_measures_by
 * is the definition (and the reference the unit tests compare the kept columns with);
 * incidents.c calls ermes__incident_measure in the transaction of every change it saves. */
#include "incidents/incidents.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

void ermes__incident_measures_by(const ermes__incident_t *inc,
                                 const ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS],
                                 const ermes__calendar_t *cal, ermes__incident_measures_t *m)
{
    const int64_t at[ERMES_INCIDENT_METRICS] = {inc->acknowledged_at, inc->triaged_at,
                                                inc->notified_at, inc->contained_at,
                                                inc->resolved_at};
    ermes__span_t pauses[ERMES_CLOCK_MAX_PAUSES];
    size_t np = ermes__pauses_parse(inc->pauses, pauses, ERMES_CLOCK_MAX_PAUSES);

    memset(m, 0, sizeof(*m));
    /* A milestone before the creation (an imported incident's) measures nothing. The business
     * duration is the working time of the constituent's calendar from the creation to the
     * milestone, the time spent waiting on the constituent left out, whether or not an SLA
     * policy counts in business hours: the same question asked of every incident. */
    for (int i = 0; i < ERMES_INCIDENT_METRICS; i++)
        if (at[i] && at[i] >= inc->created_at) {
            m->has[i] = 1;
            m->ms[i] = at[i] - inc->created_at;
            m->bms[i] = ermes__clock_elapsed(cal, inc->created_at, at[i], pauses, np);
        }
    /* The first three deadlines are the SLA targets (first response, containment, resolution).
     * Met and missed are final once done (ermes__deadline_state); an open target keeps its due
     * time, so that whether it is late is decided at the metrics' now. */
    for (int i = 0; i < ERMES_INCIDENT_SLA_TARGETS; i++) {
        if (!dl[i].applies)
            continue;
        m->sla_applies[i] = 1;
        if (dl[i].done)
            m->sla[i] = dl[i].due && dl[i].done > dl[i].due ? ERMES_SLA_MISSED : ERMES_SLA_MET;
        else
            m->sla[i] = dl[i].due > 0 ? dl[i].due : ERMES_SLA_PAUSED;
    }
}

ermes__deadline_state_t ermes__incident_sla_state(int64_t kept, int64_t now)
{
    if (kept == ERMES_SLA_MET)
        return ERMES_DEADLINE_MET;
    if (kept == ERMES_SLA_MISSED)
        return ERMES_DEADLINE_MISSED;
    return ermes__deadline_state(kept > 0 ? kept : 0, 0, now, 0);
}

int ermes__incident_measure_with(ermes__store_t *st, const ermes__incident_t *inc,
                                 const ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS])
{
    ermes__incident_measures_t m;
    ermes__calendar_t *cal = malloc(sizeof(*cal));
    int rc;

    if (!cal)
        return ERMES_ENOMEM;
    if (!(rc = ermes__incident_calendar(st, inc->org_id, cal))) {
        ermes__incident_measures_by(inc, dl, cal, &m);
        rc = ermes__store_incident_measures_set(st, inc->id, &m, 0);
    }
    free(cal);
    return rc;
}

int ermes__incident_measure(ermes__store_t *st, const ermes__incident_t *inc)
{
    ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
    int rc;

    if ((rc = ermes__incident_deadlines(st, inc, dl)))
        return rc;
    return ermes__incident_measure_with(st, inc, dl);
}

#define PENDING_BATCH 1000

int ermes__incident_measure_pending(ermes__store_t *st, int64_t limit, int64_t *n)
{
    int64_t *ids = malloc(PENDING_BATCH * sizeof(*ids)), left = limit;
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes__calendar_t *cal = malloc(sizeof(*cal));
    size_t got = 0, want = PENDING_BATCH;
    int64_t cal_org = -1;
    int rc = 0;

    if (n)
        *n = 0;
    if (!ids || !inc || !cal) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    /* A transaction per batch: a first run over a million incidents (those stored before
     * migration 49) holds no write lock for minutes, and what it did stays done. */
    do {
        if ((rc = ermes__store_begin(st)))
            goto out;
        cal_org = -1;
        if (limit && left < PENDING_BATCH)
            want = (size_t)left;
        rc = ermes__store_incident_unmeasured(st, ids, want, &got);
        for (size_t i = 0; !rc && i < got; i++) {
            ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
            ermes__incident_measures_t m;
            /* One gone since the list was read has nothing to measure. */
            if ((rc = ermes__store_incident_get(st, NULL, ids[i], inc)) == ERMES_ENOTFOUND) {
                rc = 0;
                continue;
            }
            if (!rc)
                rc = ermes__incident_deadlines(st, inc, dl);
            /* The calendar read once for a run of incidents of one constituent (and cal_org
             * forgotten at a batch's start: a calendar may change between transactions). */
            if (!rc && inc->org_id != cal_org) {
                rc = ermes__incident_calendar(st, inc->org_id, cal);
                cal_org = rc ? -1 : inc->org_id;
            }
            if (!rc) {
                ermes__incident_measures_by(inc, dl, cal, &m);
                rc = ermes__store_incident_measures_set(st, inc->id, &m, 1);
            }
        }
        if (rc) {
            ermes__store_rollback(st);
            goto out;
        }
        if ((rc = ermes__store_commit(st)))
            goto out;
        if (n)
            *n += (int64_t)got;
        left -= (int64_t)got;
    } while (got == PENDING_BATCH && (!limit || left > 0));
out:
    free(ids);
    free(inc);
    free(cal);
    return rc;
}
