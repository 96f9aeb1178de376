/* Receiving a message (stored first, durably) and processing it into what it is (mail.h). */
#include "mail/mail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/incoming.h"
#include "core/time.h"
#include "ermes/net.h"
#include "incidents/incidents.h"
#include "incidents/rules.h"
#include "intake/intake.h"
#include "mail/observables.h"
#include "mail/parse.h"

#define BODY_KEPT                                                                                  \
    (256u << 10) /* bytes of a message's text kept in a row (correspondence, report) */

struct ermes__mail {
    ermes__store_t *store;
    ermes__registry_t *reg;
    struct ermes__intake *intake;
    ermes__mail_options_t opts;
    char data_dir[4096];
    char gnupg_home[4096];
    ermes__viewer_t staff; /* the viewer the look-ups are made as: the CERT */
};

void ermes__mail_options_from_config(const ermes__config_t *cfg, ermes__mail_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->data_dir = cfg->data_dir;
    o->max_size = (size_t)cfg->mail_max_size << 20;
    o->max_depth = cfg->mail_max_depth;
    o->max_parts = cfg->mail_max_parts;
    o->max_text = (size_t)cfg->mail_max_text << 20;
    o->timeout = cfg->mail_timeout;
    o->gnupg_home = cfg->notify_pgp_home;
}

int ermes__mail_new(ermes__store_t *st, ermes__registry_t *reg, struct ermes__intake *in,
                    const ermes__mail_options_t *opts, ermes__mail_t **out)
{
    ermes__mail_t *m = ermes__calloc(1, sizeof(*m));

    if (!m)
        return ERMES_ENOMEM;
    m->store = st;
    m->reg = reg;
    m->intake = in;
    m->opts = *opts;
    snprintf(m->data_dir, sizeof(m->data_dir), "%s", opts->data_dir ? opts->data_dir : ".");
    snprintf(m->gnupg_home, sizeof(m->gnupg_home), "%s", opts->gnupg_home ? opts->gnupg_home : "");
    m->opts.data_dir = m->data_dir;
    m->opts.gnupg_home = m->gnupg_home[0] ? m->gnupg_home : NULL;
    if (!m->opts.max_size)
        m->opts.max_size = 100u << 20;
    if (!m->opts.max_depth)
        m->opts.max_depth = 32;
    if (!m->opts.max_parts)
        m->opts.max_parts = 500;
    if (!m->opts.max_text)
        m->opts.max_text = 8u << 20;
    if (!m->opts.timeout)
        m->opts.timeout = 30;
    m->staff.role = ERMES_ROLE_ADMIN;
    m->staff.user_name = "mail";
    m->staff.remote = "mail";
    ermes__store_home_org(st, &m->staff.org_id);
    *out = m;
    return 0;
}

void ermes__mail_free(ermes__mail_t *m)
{
    ermes__free(m);
}

void ermes__mail_path(const ermes__mail_t *m, const char *sha256, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/mail/%s", m->data_dir, sha256);
}

/* ---- storing ----------------------------------------------------------------------------- */

/* A message is received into DATA_DIR/mail as an incoming file (core/incoming.h): the same
 * bytes twice share one file (and one row). */
static int spool_open(ermes__mail_t *m, ermes__incoming_t *sp)
{
    char dir[sizeof(m->data_dir) + 8];

    snprintf(dir, sizeof(dir), "%s/mail", m->data_dir);
    return ermes__incoming_open(sp, dir);
}

/* The file made durable under its name, then the row: once this returns 0 the message is
 * acknowledged. */
static int spool_finish(ermes__mail_t *m, ermes__incoming_t *sp, const char *source,
                        ermes__mail_row_t *row, ermes_diag_t *d)
{
    int rc;

    memset(row, 0, sizeof(*row));
    if ((rc = ermes__incoming_commit(sp))) {
        ermes_diag_set(d, NULL, "cannot write the message to disk");
        return rc;
    }
    snprintf(row->sha256, sizeof(row->sha256), "%s", sp->sha256);
    row->size = (int64_t)sp->size;
    snprintf(row->source, sizeof(row->source), "%s", source ? source : "pipe");
    row->received_at = ermes__time_now_ms();
    /* Until it is read, nobody but the CERT knows what it holds. */
    row->tlp = ERMES_TLP_AMBER_STRICT;
    row->owner_org_id = m->staff.org_id;
    if ((rc = ermes__store_mail_insert(m->store, row, NULL)))
        ermes_diag_set(d, NULL, "cannot record the message: %s", ermes_strerror(rc));
    return rc;
}

size_t ermes__mail_sweep_incoming(ermes__mail_t *m, long max_age)
{
    char dir[sizeof(m->data_dir) + 8];

    snprintf(dir, sizeof(dir), "%s/mail", m->data_dir);
    return ermes__incoming_sweep(dir, max_age, "message");
}

/* A message just recorded, processed at once; another daemon already on it (it found the
 * message pending) is no failure of the receipt: out says it is received. */
static int process_received(ermes__mail_t *m, ermes__mail_row_t *out)
{
    int rc = ermes__mail_process(m, out->id, out);

    return rc == ERMES_EBUSY ? 0 : rc;
}

int ermes__mail_receive_mem(ermes__mail_t *m, const char *source, const char *data, size_t len,
                            int no_process, ermes__mail_row_t *out, ermes_diag_t *d)
{
    ermes__incoming_t sp;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len > m->opts.max_size) {
        ermes_diag_set(d, NULL, "the message exceeds %zu bytes (mail_max_size)", m->opts.max_size);
        return ERMES_ETOOBIG;
    }
    if ((rc = spool_open(m, &sp))) {
        ermes_diag_set(d, NULL, "cannot write to %s/mail", m->data_dir);
        return rc;
    }
    if ((rc = ermes__incoming_write(&sp, data, len))) {
        ermes__incoming_abort(&sp);
        ermes_diag_set(d, NULL, "cannot write the message to disk");
        return rc;
    }
    if ((rc = spool_finish(m, &sp, source, out, d)))
        return rc;
    return no_process ? 0 : process_received(m, out);
}

int ermes__mail_receive_file(ermes__mail_t *m, const char *source, FILE *f, int no_process,
                             ermes__mail_row_t *out, ermes_diag_t *d)
{
    char *buf = ermes__malloc(1 << 16);
    ermes__incoming_t sp;
    size_t n;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!buf)
        return ERMES_ENOMEM;
    if ((rc = spool_open(m, &sp))) {
        ermes__free(buf);
        ermes_diag_set(d, NULL, "cannot write to %s/mail", m->data_dir);
        return rc;
    }
    while ((n = fread(buf, 1, 1 << 16, f)) > 0) {
        if (sp.size + n > m->opts.max_size) {
            ermes_diag_set(d, NULL, "the message exceeds %zu bytes (mail_max_size)",
                           m->opts.max_size);
            rc = ERMES_ETOOBIG;
            break;
        }
        if ((rc = ermes__incoming_write(&sp, buf, n))) {
            ermes_diag_set(d, NULL, "cannot write the message to disk");
            break;
        }
    }
    ermes__free(buf);
    if (!rc && ferror(f)) {
        ermes_diag_set(d, NULL, "cannot read the message");
        rc = ERMES_EIO;
    }
    if (rc) {
        ermes__incoming_abort(&sp);
        return rc;
    }
    if ((rc = spool_finish(m, &sp, source, out, d)))
        return rc;
    return no_process ? 0 : process_received(m, out);
}

/* ---- what a message becomes --------------------------------------------------------------- */

static void set_text(char *dst, size_t cap, const char *src)
{
    size_t n;

    snprintf(dst, cap, "%s", src ? src : "");
    /* Cut on a character boundary, not inside a UTF-8 sequence. */
    n = strlen(dst);
    if (src && strlen(src) > n)
        while (n && ((unsigned char)dst[n - 1] & 0xC0) == 0x80)
            dst[--n] = '\0';
    if (n && ((unsigned char)dst[n - 1] & 0xC0) == 0xC0 && src && strlen(src) > n)
        dst[--n] = '\0';
}

/* A copy of the text cut to max bytes on a character boundary (caller frees). */
static char *cut(const char *s, size_t len, size_t max)
{
    char *c;

    if (len > max) {
        len = max;
        while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (!(c = ermes__malloc(len + 1)))
        return NULL;
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

static int as_reply(ermes__mail_t *m, const ermes__mail_parsed_t *p, ermes__mail_row_t *row)
{
    const char *where[3] = {p->in_reply_to, p->references, p->subject};
    char ref[40];
    int64_t nid = 0, incident_id;
    ermes__notification_t n;
    const char *state;
    char *body;
    int rc;

    /* A DSN that ermes asked for (smtp_dsn) names the notification in its
     * Original-Envelope-Id: the surest sign of what it is about. */
    if (p->dsn.envid[0] && ermes__mail_find_reference(p->dsn.envid, ref, sizeof(ref)) &&
        ermes__store_notification_find(m->store, ref, &nid) != 0)
        nid = 0;
    for (size_t k = 0; k < 3 && !nid; k++)
        if (where[k] && ermes__mail_find_reference(where[k], ref, sizeof(ref)) &&
            ermes__store_notification_find(m->store, ref, &nid) != 0)
            nid = 0;
    /* A delivery status notification seldom says In-Reply-To: the message it is about is
     * quoted in it (text/rfc822-headers), with our Message-ID and subject. Its text is a mail
     * system's, so the reference is looked for there too. */
    if (!nid && p->dsn.n && p->text.data &&
        ermes__mail_find_reference(p->text.data, ref, sizeof(ref)) &&
        ermes__store_notification_find(m->store, ref, &nid) != 0)
        nid = 0;
    for (size_t k = 0; !nid && p->dsn.n && k < p->nattachments; k++)
        if (p->attachments[k].text &&
            ermes__mail_find_reference(p->attachments[k].text, ref, sizeof(ref)) &&
            ermes__store_notification_find(m->store, ref, &nid) != 0)
            nid = 0;
    if (!nid)
        return 0;
    memset(&n, 0, sizeof(n));
    if ((rc = ermes__store_notification_get(m->store, nid, &n)))
        return rc == ERMES_ENOTFOUND ? 0 : rc;
    /* RFC 3834: Auto-Submitted other than "no" is an automatic answer (an out-of-office, a
     * ticket system's receipt); so is a read receipt (RFC 8098). It tells the message
     * arrived, not that somebody answered. A delivery status notification is read below. */
    state = (p->auto_submitted && strncasecmp(p->auto_submitted, "no", 2) != 0) || p->is_mdn_or_dsn
                ? "acknowledged"
                : "replied";
    if (!(body = cut(p->text.data ? p->text.data : "", p->text.len, BODY_KEPT))) {
        ermes__notification_cleanup(&n);
        return ERMES_ENOMEM;
    }
    if (p->dsn.n) {
        /* What the recipients' mail systems did with it: delivered or failed, each recipient
         * on its own; a delay moves nothing. */
        rc = 0;
        state = "delayed";
        for (size_t k = 0; k < p->dsn.n && !rc; k++) {
            const ermes__dsn_recipient_t *r = &p->dsn.recipients[k];
            const char *what = r->action == ERMES_DSN_DELIVERED ? "delivered"
                               : r->action == ERMES_DSN_FAILED  ? "failed"
                                                                : "delayed";
            if (!r->address[0])
                continue;
            rc = ermes__store_correspondence_add(m->store, nid, row->id, p->from ? p->from : "",
                                                 r->address, p->subject ? p->subject : "", body,
                                                 what, n.tlp, n.owner_org_id);
            if (!rc && strcmp(what, "delayed") != 0)
                rc = ermes__incident_message_event(m->store, &n, what, r->address);
            if (strcmp(state, "delayed") == 0)
                state = what;
        }
        ermes__free(body);
    } else {
        rc = ermes__store_correspondence_add(m->store, nid, row->id, p->from ? p->from : "", NULL,
                                             p->subject ? p->subject : "", body, state, n.tlp,
                                             n.owner_org_id);
        ermes__free(body);
        /* An answer to a message written from an incident: its timeline says so. */
        if (!rc)
            rc = ermes__incident_message_event(m->store, &n, state, p->from);
    }
    /* A person's answer ends the incident's wait on the constituent; a receipt does not. */
    if (!rc && strcmp(state, "replied") == 0 && ermes__incident_message_of(&n, &incident_id))
        rc = ermes__incident_answered(m->store, incident_id, n.owner_org_id, p->from);
    if (!rc) {
        snprintf(row->kind, sizeof(row->kind), "reply");
        row->notification_id = nid;
        row->tlp = n.tlp;
        ermes__log(ERMES_LOG_INFO, "mail %lld: %s to notification %s", (long long)row->id, state,
                   n.reference);
    }
    ermes__notification_cleanup(&n);
    return rc ? rc : 1;
}

static int as_feed(ermes__mail_t *m, const char *feed, const char *doc, ermes__mail_row_t *row)
{
    ermes__report_meta_t meta = {.feed = feed};
    ermes__report_t rep;
    char name[64];
    ermes_diag_t d;
    int rc;

    if (!m->intake) {
        snprintf(row->reason, sizeof(row->reason), "an %s report, but no intake to take it", feed);
        return ERMES_EINVAL;
    }
    snprintf(name, sizeof(name), "mail-%lld.%s", (long long)row->id,
             strcmp(feed, "xarf") == 0 ? "json" : "txt");
    meta.file_name = name;
    ermes_diag_clear(&d);
    memset(&rep, 0, sizeof(rep));
    rc = ermes__intake_receive_mem(m->intake, &m->staff, &meta, doc, strlen(doc), &rep, &d);
    if (rc == ERMES_EEXISTS) {
        /* The same document came before (another message, the same abuse report sent again):
         * it is that report, and gives no second set of events. */
        snprintf(row->kind, sizeof(row->kind), "%s", feed);
        row->report_id = rep.id;
        return 0;
    }
    if (rc) {
        snprintf(row->reason, sizeof(row->reason), "the %s report could not be stored: %s", feed,
                 d.reason[0] ? d.reason : ermes_strerror(rc));
        return rc;
    }
    /* Processed now, like `ermes ingest`: its events (or quarantined rows) exist when the
     * message is done. A crash in between leaves a pending report the intake resumes. */
    ermes__intake_process(m->intake, rep.id, NULL);
    snprintf(row->kind, sizeof(row->kind), "%s", feed);
    row->report_id = rep.id;
    return 0;
}

typedef struct owner_count {
    int64_t org_id;
    size_t n;
} owner_count_t;

static int count_cb(void *ctx, const ermes__event_row_t *e)
{
    (void)e;
    (*(int64_t *)ctx)++;
    return 0;
}

static void lookup(ermes__mail_t *m, ermes_ownership_t *own, const ermes__observable_t *ob,
                   ermes__report_observable_t *r)
{
    ermes_owner_t owner;
    ermes__event_filter_t f;
    const char *host = NULL;
    ermes_ip_t ip;
    ermes_cidr_t net;
    int64_t count = 0;

    memset(&owner, 0, sizeof(owner));
    memset(&f, 0, sizeof(f));
    switch (ob->type) {
    case ERMES_OBS_IPV4:
    case ERMES_OBS_IPV6:
        if (ermes_ip_parse(ob->value, strlen(ob->value), &ip, NULL) == 0) {
            if (own)
                ermes_ownership_ip(own, &ip, 0, &owner);
            f.has_net = 1;
            f.net.addr = ip;
            f.net.prefix = ip.family == ERMES_AF_INET ? 32 : 128;
        }
        break;
    case ERMES_OBS_CIDR:
        if (ermes_cidr_parse(ob->value, strlen(ob->value), 0, &net, NULL) == 0) {
            if (own)
                ermes_ownership_ip(own, &net.addr, 0, &owner);
            f.has_net = 1;
            f.net = net;
        }
        break;
    case ERMES_OBS_DOMAIN:
        host = ob->value;
        f.domain = ob->value;
        break;
    case ERMES_OBS_EMAIL:
        host = strchr(ob->value, '@') + 1;
        break;
    default:
        break;
    }
    if (host && own)
        ermes_ownership_domain(own, host, strlen(host), &owner);
    r->org_id = owner.org_id;
    /* Known bad: a stored indicator of the same type and value (CVE ids have none); for an
     * address, else a network indicator it lies in, the most specific first (/8 to /32, /16
     * to /128: an indexed look-up each). */
    if (ob->type != ERMES_OBS_CVE)
        ermes__store_indicator_known(m->store, ermes__obs_type_name(ob->type), ob->value,
                                     ob->type == ERMES_OBS_DOMAIN, &r->indicator_id, &r->sightings);
    if (!r->indicator_id && (ob->type == ERMES_OBS_IPV4 || ob->type == ERMES_OBS_IPV6) &&
        f.has_net) {
        int max = f.net.addr.family == ERMES_AF_INET ? 32 : 128;
        int min = f.net.addr.family == ERMES_AF_INET ? 8 : 16;
        for (int len = max; len >= min && !r->indicator_id; len--) {
            ermes_cidr_t c;
            char text[ERMES_CIDR_STRLEN];
            c.addr = f.net.addr;
            c.prefix = (uint8_t)len;
            for (int bit = len; bit < max; bit++)
                c.addr.bytes[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
            ermes_cidr_format(&c, text);
            if (ermes__store_indicator_known(m->store, "cidr", text, 0, &r->indicator_id,
                                             &r->sightings))
                break;
        }
    }
    /* Seen before: events about the address, network or domain (up to 1000 counted). */
    if (f.has_net || f.domain) {
        f.limit = 1000;
        ermes__store_event_each(m->store, &m->staff, &f, count_cb, &count, NULL);
        r->events = count;
    }
}

static int as_report(ermes__mail_t *m, const ermes__mail_parsed_t *p, ermes__mail_row_t *row,
                     const ermes__submission_t *sub)
{
    ermes__observables_t obs;
    ermes__report_observable_t *ro = NULL;
    ermes__incident_report_t r;
    ermes_ownership_t *own = m->reg ? ermes__registry_ownership(m->reg) : NULL;
    owner_count_t owners[64];
    size_t nowners = 0, best = 0;
    char where[ERMES_MAIL_MAX_ATTACHMENTS][300];
    char *body = NULL;
    int rc = 0;

    ermes__observables_init(&obs, 0);
    if (p->subject)
        rc = ermes__observables_extract(&obs, p->subject, strlen(p->subject), "subject");
    if (!rc && p->text.len)
        rc = ermes__observables_extract(&obs, p->text.data, p->text.len, "body");
    for (size_t k = 0; !rc && k < p->nattachments; k++) {
        if (!p->attachments[k].text)
            continue;
        snprintf(where[k], sizeof(where[k]), "attachment %s",
                 p->attachments[k].name[0] ? p->attachments[k].name : "(unnamed)");
        rc = ermes__observables_extract(&obs, p->attachments[k].text,
                                        strlen(p->attachments[k].text), where[k]);
    }
    /* The values a submitter typed in as observables (POST /api/v1/incident-reports). */
    for (size_t k = 0; !rc && sub && k < sub->nextra; k++)
        rc = ermes__observables_extract(&obs, sub->extra[k], strlen(sub->extra[k]), "submitted");
    if (rc)
        goto out;
    if (obs.n && !(ro = ermes__calloc(obs.n, sizeof(*ro)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < obs.n; k++) {
        ro[k].type = ermes__obs_type_name(obs.items[k].type);
        ro[k].value = obs.items[k].value;
        ro[k].found_in = obs.items[k].where;
        lookup(m, own, &obs.items[k], &ro[k]);
        /* The constituent the report is about: the one most of its observables belong to. */
        if (ro[k].org_id) {
            size_t j;
            for (j = 0; j < nowners && owners[j].org_id != ro[k].org_id; j++)
                ;
            if (j == nowners && nowners < sizeof(owners) / sizeof(owners[0]))
                owners[nowners++] = (owner_count_t){ro[k].org_id, 0};
            if (j < nowners)
                owners[j].n++;
        }
    }
    for (size_t j = 1; j < nowners; j++)
        if (owners[j].n > owners[best].n)
            best = j;
    memset(&r, 0, sizeof(r));
    r.mail_id = row->id;
    r.reporter = p->from ? p->from : "";
    r.received_at = row->received_at;
    r.subject = p->subject ? p->subject : "";
    if (!(body = cut(p->text.data ? p->text.data : "", p->text.len, BODY_KEPT))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    r.body = body;
    /* The reporter's TLP where it marked one, the subject first; else AMBER: the CERT and the
     * organisation concerned (TLP 2.0's default for what was not marked is the sender's to
     * say; AMBER is what a CERT assumes of a report). */
    r.tlp = ERMES_TLP_AMBER;
    r.tlp_marked = (p->subject && ermes__mail_find_tlp(p->subject, &r.tlp)) ||
                   (p->text.data && ermes__mail_find_tlp(p->text.data, &r.tlp));
    r.org_id = nowners ? owners[best].org_id : 0;
    r.owner_org_id = m->staff.org_id;
    if (sub) {
        /* Typed in: the submitter said who reports, the TLP, and (a constituent) whom it
         * concerns; the report is the submitting constituent's own object. */
        r.reporter = sub->reporter ? sub->reporter : "";
        r.tlp = sub->tlp;
        r.tlp_marked = 1;
        if (sub->org_id)
            r.org_id = sub->org_id;
        if (sub->owner_org_id)
            r.owner_org_id = sub->owner_org_id;
    }
    if ((rc = ermes__store_incident_report_insert(m->store, &r, ro, obs.n)))
        goto out;
    snprintf(row->kind, sizeof(row->kind), "report");
    row->incident_report_id = r.id;
    /* The incident rules (src/incidents/rules.c) link it, open an incident or leave it for
     * triage; a failure there leaves it for triage, the report is kept. */
    {
        int64_t inc = 0;
        char *thread = NULL;
        size_t tn = (p->references ? strlen(p->references) : 0) +
                    (p->in_reply_to ? strlen(p->in_reply_to) : 0) + 2;
        int rrc;
        if ((thread = ermes__malloc(tn)))
            snprintf(thread, tn, "%s %s", p->references ? p->references : "",
                     p->in_reply_to ? p->in_reply_to : "");
        rrc = thread ? ermes__incident_rules_run(m->store, &m->staff, r.id, thread, &inc)
                     : ERMES_ENOMEM;
        ermes__free(thread);
        if (rrc)
            ermes__log(ERMES_LOG_WARNING, "mail %lld: incident rules failed (%s): left for triage",
                       (long long)row->id, ermes_strerror(rrc));
    }
    row->tlp = r.tlp;
    if (obs.truncated) {
        size_t n = strlen(row->reason);
        snprintf(row->reason + n, sizeof(row->reason) - n, "%sonly the first %zu observables kept",
                 n ? "; " : "", obs.n);
    }
    ermes__log(ERMES_LOG_INFO, "mail %lld: incident report %lld, %zu observables",
               (long long)row->id, (long long)r.id, obs.n);
out:
    ermes_ownership_release(own);
    ermes__free(body);
    ermes__free(ro);
    ermes__observables_cleanup(&obs);
    return rc;
}

static int process_held(ermes__mail_t *m, int64_t id, const ermes__submission_t *sub,
                        ermes__mail_row_t *out);

int ermes__mail_process(ermes__mail_t *m, int64_t id, ermes__mail_row_t *out)
{
    return ermes__mail_process_as(m, id, NULL, out);
}

int ermes__mail_process_as(ermes__mail_t *m, int64_t id, const ermes__submission_t *sub,
                           ermes__mail_row_t *out)
{
    char lease[40];
    int rc, held = 0;

    /* One daemon at a time on a message (several may share the database and the mailbox):
     * the lease is taken before the state is read, so a message another daemon has just
     * processed is seen processed here. */
    snprintf(lease, sizeof(lease), "mail:%lld", (long long)id);
    if ((rc = ermes__store_lease_take(m->store, lease, &held)))
        return rc;
    if (!held) {
        if (out && ermes__store_mail_get(m->store, id, out) != 0)
            memset(out, 0, sizeof(*out));
        return ERMES_EBUSY;
    }
    rc = process_held(m, id, sub, out);
    ermes__store_lease_drop(m->store, lease);
    return rc;
}

/* ermes__mail_process once its lease is held. */
static int process_held(ermes__mail_t *m, int64_t id, const ermes__submission_t *sub,
                        ermes__mail_row_t *out)
{
    ermes__mail_parsed_t p;
    ermes__mail_limits_t lim;
    ermes__mail_row_t row;
    char path[4400];
    ermes_diag_t d;
    int rc, prc;

    if ((rc = ermes__store_mail_get(m->store, id, &row)))
        return rc;
    /* Once processed, a message is what it became: the same bytes received again (an MTA's
     * retry, an IMAP message fetched twice) make no second report or event. */
    if (!strcmp(row.state, ERMES_MAIL_PROCESSED)) {
        if (out)
            *out = row;
        return 0;
    }
    ermes__mail_path(m, row.sha256, path, sizeof(path));
    lim.max_depth = m->opts.max_depth;
    lim.max_parts = m->opts.max_parts;
    lim.max_text = m->opts.max_text;
    lim.deadline_ns = ermes__time_monotonic_ns() + (int64_t)m->opts.timeout * 1000000000;
    ermes_diag_clear(&d);
    prc = ermes__mail_parse_file(path, m->opts.gnupg_home, &lim, &p, &d);
    row.kind[0] = row.reason[0] = '\0';
    row.notification_id = row.report_id = row.incident_report_id = 0;
    set_text(row.message_id, sizeof(row.message_id), p.message_id);
    set_text(row.from_addr, sizeof(row.from_addr), p.from);
    set_text(row.subject, sizeof(row.subject), p.subject);
    set_text(row.signature, sizeof(row.signature), p.signature);
    set_text(row.encryption, sizeof(row.encryption), p.encryption);
    if (prc) {
        /* Kept, raw, with the reason: an analyst can read it (GET /api/v1/mail/{id}/raw). */
        snprintf(row.state, sizeof(row.state), ERMES_MAIL_FAILED);
        snprintf(row.kind, sizeof(row.kind), "unparsed");
        snprintf(row.reason, sizeof(row.reason), "%s",
                 d.reason[0] ? d.reason : ermes_strerror(prc));
        ermes__log(ERMES_LOG_WARNING, "mail %lld kept unparsed: %s", (long long)id, row.reason);
        rc = 0;
        goto write;
    }
    if (p.note[0])
        snprintf(row.reason, sizeof(row.reason), "%s", p.note);
    /* A report typed in is a report, whatever reference or JSON its text holds. */
    if (sub) {
        rc = as_report(m, &p, &row, sub);
        goto write;
    }
    /* One typed in whose submission did not get to process it (the daemon stopped between
     * storing and processing): its TLP and organisation are not in the message, and read as
     * ordinary mail it would get the default label, perhaps a lower one than the reporter
     * chose. It is kept, failed, with the reason, for an analyst to read and submit again. */
    if (!strncmp(row.source, "report:", 7)) {
        snprintf(row.state, sizeof(row.state), ERMES_MAIL_FAILED);
        snprintf(row.kind, sizeof(row.kind), "report");
        snprintf(row.reason, sizeof(row.reason),
                 "a report typed in through the API whose processing was interrupted: its TLP "
                 "and organisation are not in the message; read it and submit it again");
        ermes__log(ERMES_LOG_WARNING, "mail %lld: %s", (long long)id, row.reason);
        prc = 1; /* written as it is: failed */
        goto write;
    }
    if ((rc = as_reply(m, &p, &row)) < 0)
        goto write;
    if (rc == 0) {
        if (p.xarf)
            rc = as_feed(m, "xarf", p.xarf, &row);
        else if (p.arf)
            rc = as_feed(m, "arf", p.arf, &row);
        else
            rc = as_report(m, &p, &row, NULL);
    } else {
        rc = 0;
    }
write:
    if (rc) {
        /* What it was could not be recorded (the store, the intake): the message stays, failed,
         * with the reason; `ermes mail process ID` tries again. */
        snprintf(row.state, sizeof(row.state), ERMES_MAIL_FAILED);
        if (!row.reason[0])
            snprintf(row.reason, sizeof(row.reason), "processing failed: %s", ermes_strerror(rc));
    } else if (!prc) {
        snprintf(row.state, sizeof(row.state), ERMES_MAIL_PROCESSED);
    }
    ermes__mail_parsed_cleanup(&p);
    {
        int urc = ermes__store_mail_update(m->store, &row);
        if (urc)
            return urc;
    }
    if (out)
        *out = row;
    return 0;
}

int ermes__mail_process_pending(ermes__mail_t *m, size_t *processed)
{
    int64_t ids[64], after = 0;
    size_t n = 0, done = 0;
    int rc;

    /* One pass forward by id: a message another daemon is processing (busy), or one left
     * "received" by a failure, is not read again in this pass (the next sweep retries it). */
    do {
        if ((rc = ermes__store_mail_pending(m->store, after, ids, 64, &n)))
            break;
        if (n)
            after = ids[n - 1];
        for (size_t k = 0; k < n; k++) {
            rc = ermes__mail_process(m, ids[k], NULL);
            if (rc == ERMES_EBUSY) { /* another daemon has it */
                rc = 0;
                continue;
            }
            if (rc)
                goto out;
            done++;
        }
    } while (n == 64);
out:
    if (processed)
        *processed = done;
    return rc;
}
