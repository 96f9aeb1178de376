#include "core/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/number.h"

typedef enum { SET_STRING, SET_LONG, SET_BOOL } setting_type_t;

static int auto_setting(const char *name);

typedef struct setting {
    const char *name;
    setting_type_t type;
    size_t offset;
    const char *def;
    long min, max;
    const char *help;
    int live; /* may change while ermes runs (src/core/config_live.c) */
} setting_t;

/* Left as written: clang-format would split the initialiser and put #field in column 0. */
/* clang-format off */
#define S(field, type, def, min, max, help)                                                        \
    {#field, type, offsetof(ermes__config_t, field), def, min, max, help, 0}
/* L: a live setting, read again by the daemon's workers after a change in the database. */
#define L(field, type, def, min, max, help)                                                        \
    {#field, type, offsetof(ermes__config_t, field), def, min, max, help, 1}
/* clang-format on */

static const setting_t settings[] = {
    S(data_dir, SET_STRING, "./var", 0, 0, "directory holding the database, reports and spools"),
    S(database_url, SET_STRING, NULL, 0, 0,
      "where the rows live: unset for SQLite in DATA_DIR/ermes.db, a path for another SQLite "
      "file, postgresql://USER@HOST/DB for PostgreSQL (libpq's URI; password from ~/.pgpass "
      "or PGPASSWORD)"),
    S(listen, SET_STRING, "127.0.0.1:8080", 0, 0, "address and port the daemon listens on"),
    S(tls_cert, SET_STRING, NULL, 0, 0, "PEM certificate file: serve HTTPS with tls_key"),
    S(tls_key, SET_STRING, NULL, 0, 0, "PEM private key file for tls_cert"),
    S(log_level, SET_STRING, "notice", 0, 0, "error, warning, notice, info or debug"),
    S(log_json, SET_BOOL, "false", 0, 1, "log JSON lines instead of text"),
    S(threads, SET_LONG, "0", 0, 256, "HTTP worker threads (0: one per CPU)"),
    S(max_connections, SET_LONG, "1024", 1, 65536,
      "concurrent HTTP connections; a new one past it closes the one waiting longest without a "
      "request"),
    S(max_body, SET_LONG, "67108864", 1024, 1073741824, "largest request body in bytes"),
    S(max_header, SET_LONG, "32768", 4096, 1048576, "largest request head in bytes"),
    S(max_client_connections, SET_LONG, "0", 0, 65536,
      "concurrent HTTP connections from one client address (0: a quarter of max_connections, "
      "at least 1)"),
    S(max_query_params, SET_LONG, "256", 1, 65536,
      "query parameters one request may have; more are 414"),
    S(request_timeout, SET_LONG, "30", 1, 3600, "seconds an idle connection is kept"),
    S(head_timeout, SET_LONG, "5", 1, 3600,
      "seconds a request head (request line and headers) may take to arrive: from the "
      "connection's opening for its first request, from the request line for later ones"),
    S(request_deadline, SET_LONG, "120", 1, 86400,
      "seconds a whole request (head and body) may take to arrive"),
    S(busy_timeout, SET_LONG, "10000", 0, 600000, "milliseconds to wait on a locked database"),
    S(token_days, SET_LONG, "90", 1, 3650, "default lifetime of a new API token in days"),
    S(page_limit, SET_LONG, "1000", 1, 100000, "largest page a list request returns"),
    S(taxii_page_cache, SET_LONG, "auto", 0, 65536,
      "MiB of rendered TAXII objects and manifest pages kept, served again until a write changes "
      "what they show (0: none kept; a page of 1000 indicators is about 0.55 MiB; auto: an "
      "eighth of the memory, physical or the cgroup's limit, at most 4096 MiB; taken only as "
      "pages are rendered)"),
    S(shadowserver_schema, SET_STRING, NULL, 0, 0,
      "Shadowserver report_schema intelmq.json (default: DATA_DIR/shadowserver-schema.json)"),
    S(dedup_window, SET_LONG, "86400", 0, 31536000,
      "seconds within which a repeated event is a duplicate (0: off)"),
    S(dedup_keys, SET_STRING, NULL, 0, 0,
      "fields that make two events the same, comma-separated (IntelMQ names, extra.* too); "
      "unset: every field but those in dedup_ignore"),
    S(dedup_ignore, SET_STRING, "time.observation,raw", 0, 0,
      "fields left out of the comparison when dedup_keys is unset"),
    S(db_cache, SET_LONG, "32", 1, 65536, "MiB of database page cache per connection"),
    S(event_tlp, SET_STRING, "AMBER", 0, 0,
      "TLP of a report whose sender names none, and of its events unless the feed sets one"),
    S(batch_rows, SET_LONG, "50000", 1, 10000000,
      "rows per intake transaction (one commits after a second at most)"),
    S(max_report, SET_LONG, "16384", 1, 1048576, "largest report accepted, in MiB"),
    S(incoming_max_age, SET_LONG, "86400", 1, 31536000,
      "seconds after which the daemon removes a partial upload or message "
      "(DATA_DIR/reports/.incoming-*, DATA_DIR/mail/.incoming-*) "
      "left by a stopped process; checked at least every minute"),
    L(retention_days, SET_LONG, "0", 0, 36500,
      "days an event is kept after it was stored (0: for ever); the daemon deletes older events "
      "(not those linked to an incident) every hour, then marks expired the reports left without "
      "events and deletes their raw file and quarantined rows"),
    L(event_partition_width, SET_LONG, "10000000", 1000, 1000000000,
      "ids per partition of events on PostgreSQL, for the partitions made after it is set (those "
      "made keep theirs; unset: the width stored last); on SQLite the time map's blocks (the "
      "events list's since/until reads "
      "only the blocks that can match) are this many ids, 100000 at most"),
    L(smtp_url, SET_STRING, NULL, 0, 0,
      "SMTP server for notifications, smtp://HOST:PORT (STARTTLS when offered) or smtps://; "
      "unset: notifications are prepared but not sent"),
    L(smtp_user, SET_STRING, NULL, 0, 0, "SMTP user name (AUTH), optional"),
    L(smtp_password, SET_STRING, NULL, 0, 0, "SMTP password (never logged)"),
    L(smtp_tls, SET_STRING, "try", 0, 0,
      "try: STARTTLS when the SMTP server offers it; require: never send without TLS (with "
      "smtp_user set, TLS is required either way unless smtp_plaintext_auth is true)"),
    L(smtp_plaintext_auth, SET_BOOL, "false", 0, 1,
      "true: send smtp_user and smtp_password to a server that offers no STARTTLS, in clear"),
    L(smtp_dsn, SET_BOOL, "false", 0, 1,
      "true: ask for delivery status notifications (RFC 3461: NOTIFY=SUCCESS,FAILURE and ORCPT "
      "per recipient, RET=HDRS and ENVID=<reference> on MAIL FROM); a server that refuses the "
      "parameters (555, 501, 504) gets the message again without them"),
    L(smtp_ca_file, SET_STRING, NULL, 0, 0,
      "PEM file of the CAs that verify the SMTP server's certificate (default: the system's)"),
    L(mail_from, SET_STRING, "ermes@localhost", 0, 0, "From: address of notifications"),
    L(notify_signature, SET_STRING, NULL, 0, 0,
      "the signature that ends every notification (\\n for a line break), e.g. the team's name, "
      "address and telephone; unset: mail_from"),
    L(notify_window, SET_LONG, "3600", 0, 2592000,
      "seconds a group of events collects before its notification is made"),
    L(notify_group_by, SET_STRING, "feed", 0, 0,
      "group events into notifications by feed (feed.name) or type (classification.type)"),
    L(notify_retry_base, SET_LONG, "60", 1, 86400,
      "seconds before the first retry of a failed send; doubles, capped at 1 h"),
    L(notify_max_attempts, SET_LONG, "10", 1, 1000, "send attempts before a notification fails"),
    L(notify_rate_per_hour, SET_LONG, "30", 1, 100000,
      "messages one recipient may get per hour; more wait"),
    L(notify_encrypt, SET_BOOL, "true", 0, 1,
      "encrypt a notification (PGP/MIME) to its recipients' OpenPGP keys (the contacts' "
      "pgp_key) when every recipient has a usable one"),
    L(notify_encrypt_strict, SET_BOOL, "false", 0, 1,
      "true: a notification of TLP:AMBER+STRICT goes only to the recipients with a usable "
      "OpenPGP key, encrypted; the others are left out and the notification says so"),
    L(notify_pgp_expiry_warn, SET_LONG, "30", 0, 3650,
      "days before a contact's OpenPGP key expires that the daemon warns about it (0: never)"),
    L(notify_approval, SET_STRING, "auto", 0, 0,
      "auto: notifications go out by themselves unless a notification policy says review; "
      "review: every notification waits for approval unless a policy says auto"),
    L(notify_review_age, SET_LONG, "86400", 0, 31536000,
      "seconds after which a notification not yet sent waits for approval instead of leaving "
      "(a backlog when sending is first enabled or after an outage); 0: off"),
    L(notify_templates, SET_STRING, NULL, 0, 0,
      "directory of <lang>.txt notification templates, beside the built-in en, fr, de, nl, it, es, "
      "pl"),
    S(notify_pgp_key, SET_STRING, NULL, 0, 0,
      "OpenPGP key (id, fingerprint or user id) that signs notifications (PGP/MIME); unset: "
      "unsigned"),
    S(notify_pgp_home, SET_STRING, NULL, 0, 0,
      "GnuPG home directory holding notify_pgp_key (default: GNUPGHOME, else ~/.gnupg)"),
    S(warninglists, SET_STRING, NULL, 0, 0,
      "comma-separated MISP warninglist files, in force beside the shipped lists and those of "
      "DATA_DIR/warninglists/ (an indicator on a list in force is reported and not stored "
      "unless its import is forced)"),
    S(warninglists_off, SET_STRING, NULL, 0, 0,
      "comma-separated ids of warninglists to turn off (ermes warninglists lists them); a "
      "switch set through the API or the UI wins"),
    S(vuln_sources, SET_STRING, NULL, 0, 0,
      "comma-separated KIND=URL sources of vulnerability intelligence that `ermes vulns sync` "
      "imports (KIND: cve5, nvd, kev, epss; csaf: a CSAF provider's domain or metadata URL, "
      "its new documents imported as `ermes csaf import` does)"),
    S(vuln_sync_interval, SET_LONG, "0", 0, 31536000,
      "seconds between two runs of each vuln_sources source by the daemon (0: never; one "
      "daemon of several runs it, each source's last run and error are recorded)"),
    S(max_log, SET_LONG, "1024", 1, 1048576,
      "MiB of one log posted to /api/v1/logs once decompressed"),
    S(spool_dir, SET_STRING, NULL, 0, 0,
      "drop directory the daemon watches: a file in SPOOL_DIR/<feed>/ becomes a report of that "
      "feed (default: DATA_DIR/spool)"),
    S(spool_rescan, SET_LONG, "5", 1, 3600,
      "seconds between full rescans of spool_dir (inotify wakes the daemon at once as well)"),
    L(collect_min_interval, SET_LONG, "60", 1, 86400,
      "shortest interval a [collector \"NAME\"] runs at, in seconds"),
    S(detect_logs, SET_STRING, NULL, 0, 0,
      "log files the daemon follows and matches, FORMAT:PATH,... with FORMAT auto, eve, zeek or "
      "lines (e.g. eve:/var/log/suricata/eve.json); positions kept in DATA_DIR/tail"),
    S(detect_archive, SET_STRING, NULL, 0, 0,
      "directory of archived logs (plain, .gz, .zst) rescanned for newly added indicators"),
    S(geoip_asn_db, SET_STRING, NULL, 0, 0,
      "MaxMind DB file (GeoLite2-ASN layout) giving intake events source/destination.asn and "
      "as_name; reopened when the file is replaced"),
    S(geoip_country_db, SET_STRING, NULL, 0, 0,
      "MaxMind DB file (GeoLite2-Country or -City layout) giving intake events geolocation.cc "
      "(and with City: city, latitude, longitude); reopened when the file is replaced"),
    S(geoip_overwrite, SET_BOOL, "false", 0, 1,
      "GeoIP values replace those the feed supplied (default: only fill what is missing)"),
    S(web_dir, SET_STRING, NULL, 0, 0,
      "serve the web interface from this directory instead of the copy built into the binary "
      "(development)"),
    S(session_ttl, SET_LONG, "43200", 60, 2592000,
      "seconds a browser session lasts at most (absolute expiry)"),
    S(session_idle, SET_LONG, "3600", 1, 2592000,
      "seconds without a request after which a browser session ends"),
    S(login_workers, SET_LONG, "2", 1, 64,
      "password checks (argon2id, 64 MiB each) run at once, off the HTTP threads"),
    S(login_queue, SET_LONG, "16", 0, 4096,
      "logins waiting for a password check; more are answered 429 at once"),
    S(login_address_failures, SET_LONG, "20", 1, 1000000,
      "failed logins one client address may make in 15 minutes; more are 429 unchecked"),
    S(login_audit_interval, SET_LONG, "60", 1, 86400,
      "seconds over which failed logins from one address after the first are audited as one "
      "row of counts"),
    S(advisory_id_scheme, SET_STRING, "ERMES-%Y-%04n", 0, 0,
      "tracking id of a new CSAF advisory: %Y the year, %m the month, %n (or %04n, zero-padded) "
      "the year's sequence number, %% a percent sign"),
    S(csaf_base_url, SET_STRING, NULL, 0, 0,
      "https://HOST of the CSAF provider's /.well-known/csaf/ (its canonical URL); unset: "
      "https:// and the request's Host"),
    S(csaf_publisher_name, SET_STRING, "ermes", 0, 0,
      "the publisher's name in the CSAF provider metadata"),
    S(csaf_publisher_namespace, SET_STRING, NULL, 0, 0,
      "the publisher's namespace (a URL) in the CSAF provider metadata; unset: csaf_base_url"),
    S(csaf_openpgp_key, SET_STRING, NULL, 0, 0,
      "fingerprint of the OpenPGP key that signs each CSAF advisory at its publication (.asc); "
      "set: the provider is a csaf_trusted_provider and a publication fails when the key cannot "
      "sign; unset: no signatures, role csaf_provider"),
    S(csaf_openpgp_home, SET_STRING, NULL, 0, 0,
      "GnuPG home directory holding csaf_openpgp_key's secret key; unset: DATA_DIR/csaf-openpgp"),
    S(security_contact, SET_STRING, NULL, 0, 0,
      "Contact of /.well-known/security.txt (RFC 9116), e.g. mailto:cert@example.org; unset: "
      "no security.txt"),
    S(totp_required, SET_BOOL, "false", 0, 1,
      "admin and analyst users must sign in to the web interface with a one-time code (TOTP); "
      "one who has none set up gets a session that can only set it up (API tokens are not "
      "affected)"),
    S(lease_time, SET_LONG, "30", 1, 3600,
      "seconds a daemon's claim on a job (report, notification, collector run, retro-hunt, "
      "followed logs) lasts without renewal; renewed every third of it, so another daemon "
      "takes the job over this long after its holder died"),
    S(instance_host, SET_STRING, NULL, 0, 0,
      "the name leases give for this machine; processes with the same name test each other's "
      "process ids, so a crashed one's jobs are taken at once (default: host name, boot id "
      "and pid namespace)"),
    S(stale_feed_factor, SET_LONG, "2", 1, 1000,
      "a feed is stale when its last report is older than this many times its median interval "
      "between reports (and at least a day)"),
    S(mail_max_size, SET_LONG, "100", 1, 4096,
      "MiB of one received message (ermes mail receive, POST /api/v1/mail, mailboxes); a larger "
      "one is refused, not stored"),
    S(mail_max_depth, SET_LONG, "32", 1, 1000, "MIME nesting depth of a received message"),
    S(mail_max_parts, SET_LONG, "500", 1, 100000, "MIME parts of one received message"),
    S(mail_max_text, SET_LONG, "8", 1, 1024,
      "MiB of text (body and text attachments) read from one message for its observables"),
    S(mail_timeout, SET_LONG, "30", 1, 3600, "seconds the parsing of one message may take"),
    L(incident_warn_before, SET_LONG, "14400", 60, 2592000,
      "seconds before an incident's deadline the daemon warns (timeline, and an e-mail once per "
      "deadline to the assignee through smtp_url)"),
    L(incident_warn_mail, SET_STRING, NULL, 0, 0,
      "address the deadline warnings go to when the assignee's user name is not an e-mail "
      "address (or the incident has no assignee); unset: those are not mailed"),
};
#undef S
#undef L

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const setting_t *find(const char *name, size_t len)
{
    for (size_t k = 0; k < NSETTINGS; k++)
        if (strlen(settings[k].name) == len && strncmp(settings[k].name, name, len) == 0)
            return &settings[k];
    return NULL;
}

_Static_assert(NSETTINGS <= ERMES__CONFIG_MAX_SETTINGS, "room for every setting's source");

static int apply_value(ermes__config_t *cfg, const setting_t *s, const char *value,
                       ermes_diag_t *d);

/* Sets the value and records where it came from (cfg->loading). */
static int apply(ermes__config_t *cfg, const setting_t *s, const char *value, ermes_diag_t *d)
{
    int rc = apply_value(cfg, s, value, d);

    if (rc == 0)
        cfg->source[s - settings] = cfg->loading;
    return rc;
}

static int apply_value(ermes__config_t *cfg, const setting_t *s, const char *value, ermes_diag_t *d)
{
    char *base = (char *)cfg + s->offset;

    switch (s->type) {
    case SET_STRING: {
        char **slot = (char **)(void *)base;
        char *copy = NULL;
        /* Validate before storing, so that a rejected value leaves the one in force. */
        if (strcmp(s->name, "log_level") == 0 && value && *value && strcmp(value, "error") &&
            strcmp(value, "warning") && strcmp(value, "notice") && strcmp(value, "info") &&
            strcmp(value, "debug")) {
            ermes_diag_set(d, s->name, "log_level must be error, warning, notice, info or debug");
            return ERMES_EINVAL;
        }
        if (value && *value && !(copy = ermes__strdup(value)))
            return ERMES_ENOMEM;
        ermes__free(*slot);
        *slot = copy;
        return 0;
    }
    case SET_BOOL: {
        int *slot = (int *)(void *)base;
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes") ||
            !strcmp(value, "on"))
            *slot = 1;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no") ||
                 !strcmp(value, "off"))
            *slot = 0;
        else {
            ermes_diag_set(d, s->name, "%s must be true or false, not \"%.64s\"", s->name, value);
            return ERMES_EINVAL;
        }
        return 0;
    }
    case SET_LONG: {
        long *slot = (long *)(void *)base;
        int64_t v;
        if (auto_setting(s->name) && !strcmp(value, "auto")) {
            *slot = ERMES__CONFIG_AUTO;
            return 0;
        }
        if (ermes__parse_int64(value, s->name, INT64_MIN, INT64_MAX, &v, NULL)) {
            ermes_diag_set(d, s->name, "%s must be a whole number, not \"%.64s\"", s->name, value);
            return ERMES_EINVAL;
        }
        if (v < s->min || v > s->max) {
            ermes_diag_set(d, s->name, "%s must be between %ld and %ld", s->name, s->min, s->max);
            return ERMES_ERANGE;
        }
        *slot = v;
        return 0;
    }
    }
    return ERMES_EINVAL;
}

int ermes__config_init(ermes__config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t k = 0; k < NSETTINGS; k++) {
        if (!settings[k].def)
            continue;
        int rc = apply(cfg, &settings[k], settings[k].def, NULL);
        if (rc) {
            ermes__config_cleanup(cfg);
            return rc;
        }
    }
    return 0;
}

void ermes__config_cleanup(ermes__config_t *cfg)
{
    for (size_t k = 0; k < NSETTINGS; k++)
        if (settings[k].type == SET_STRING) {
            char **slot = (char **)(void *)((char *)cfg + settings[k].offset);
            ermes__free(*slot);
            *slot = NULL;
        }
    ermes__free(cfg->config_file);
    cfg->config_file = NULL;
    ermes__collector_conf_cleanup(cfg);
    ermes__mailbox_conf_cleanup(cfg);
}

int ermes__config_set(ermes__config_t *cfg, const char *name, const char *value, ermes_diag_t *d)
{
    const setting_t *s = find(name, strlen(name));

    if (!s) {
        ermes_diag_set(d, name, "unknown setting \"%.64s\"", name);
        return ERMES_ENOTFOUND;
    }
    return apply(cfg, s, value, d);
}

struct ini_ctx {
    ermes__config_t *cfg;
    ermes_diag_t *d;
    int rc;
};

static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *c = user;
    char cname[64];
    int rc;

    /* inih goes on parsing after an error; the first one is the one reported (its line is
     * the one ini_parse() returns), so later lines must not overwrite the diagnostic. */
    if (c->rc)
        return 0;
    if ((rc = ermes__collector_section(section, cname, sizeof(cname))) != 0) {
        if (rc < 0) {
            ermes_diag_set(c->d, NULL, "bad collector name in [%.64s]", section);
            c->rc = ERMES_ECONFIG;
            return 0;
        }
        rc = ermes__collector_conf_set(c->cfg, cname, name, value, c->d);
        if (rc)
            c->rc = rc == ERMES_ENOMEM ? ERMES_ENOMEM : ERMES_ECONFIG;
        return rc ? 0 : 1;
    }
    if ((rc = ermes__mailbox_section(section, cname, sizeof(cname))) != 0) {
        if (rc < 0) {
            ermes_diag_set(c->d, NULL, "bad mailbox name in [%.64s]", section);
            c->rc = ERMES_ECONFIG;
            return 0;
        }
        rc = ermes__mailbox_conf_set(c->cfg, cname, name, value, c->d);
        if (rc)
            c->rc = rc == ERMES_ENOMEM ? ERMES_ENOMEM : ERMES_ECONFIG;
        return rc ? 0 : 1;
    }
    if (section[0] && strcmp(section, "ermes") != 0) {
        ermes_diag_set(c->d, name, "unknown section [%.64s]", section);
        c->rc = ERMES_ECONFIG;
        return 0;
    }
    rc = ermes__config_set(c->cfg, name, value, c->d);
    if (rc) {
        /* Out of memory is not a mistake in the file. */
        c->rc = rc == ERMES_ENOMEM ? ERMES_ENOMEM : ERMES_ECONFIG;
        return 0;
    }
    return 1;
}

int ermes__config_load_file(ermes__config_t *cfg, const char *path, ermes_diag_t *d)
{
    struct ini_ctx c = {cfg, d, 0};
    int line = ini_parse(path, ini_cb, &c);

    if (d)
        snprintf(d->source, sizeof(d->source), "%s", path);
    if (line < 0) {
        ermes_diag_set(d, NULL, "cannot open the config file");
        return ERMES_EIO;
    }
    if (c.rc == ERMES_ENOMEM)
        return ERMES_ENOMEM;
    if (line > 0) {
        if (d) {
            d->line = line;
            if (!d->reason[0])
                ermes_diag_set(d, NULL, "malformed line (expected name = value)");
        }
        return ERMES_ECONFIG;
    }
    if ((c.rc = ermes__collector_conf_check(cfg, d)) || (c.rc = ermes__mailbox_conf_check(cfg, d)))
        return c.rc;
    ermes__free(cfg->config_file);
    cfg->config_file = ermes__strdup(path);
    return cfg->config_file ? 0 : ERMES_ENOMEM;
}

int ermes__config_load_env(ermes__config_t *cfg, ermes_diag_t *d)
{
    char var[64];

    for (size_t k = 0; k < NSETTINGS; k++) {
        size_t n = 0;
        const char *v;
        for (const char *p = "ERMES_"; *p; p++)
            var[n++] = *p;
        for (const char *p = settings[k].name; *p && n < sizeof(var) - 1; p++)
            var[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        var[n] = '\0';
        v = getenv(var);
        if (!v)
            continue;
        int rc = apply(cfg, &settings[k], v, d);
        if (rc) {
            if (d)
                snprintf(d->source, sizeof(d->source), "environment variable %s", var);
            return rc;
        }
    }
    return 0;
}

int ermes__config_flag(ermes__config_t *cfg, int argc, char **argv, int *i, ermes_diag_t *d)
{
    const char *arg = argv[*i], *eq, *value;
    char name[64];
    size_t len;
    const setting_t *s;
    int rc;

    if (strncmp(arg, "--", 2) != 0)
        return 0;
    arg += 2;
    eq = strchr(arg, '=');
    len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len == 0 || len >= sizeof(name))
        return 0;
    for (size_t k = 0; k < len; k++)
        name[k] = arg[k] == '-' ? '_' : arg[k];
    name[len] = '\0';
    s = find(name, len);
    if (!s)
        return 0;
    if (eq) {
        value = eq + 1;
        (*i)++;
    } else if (s->type == SET_BOOL) {
        value = "true";
        (*i)++;
    } else {
        if (*i + 1 >= argc) {
            ermes_diag_set(d, s->name, "--%s needs a value", arg);
            return ERMES_EINVAL;
        }
        value = argv[*i + 1];
        *i += 2;
    }
    rc = apply(cfg, s, value, d);
    if (rc && d)
        snprintf(d->source, sizeof(d->source), "flag --%s", arg);
    return rc ? rc : 1;
}

int ermes__config_load(ermes__config_t *cfg, int argc, char **argv, int *rest, int *nrest,
                       ermes_diag_t *d)
{
    const char *file = NULL;
    int rc, i;
    char *path = NULL;

    *nrest = 0;
    rc = ermes__config_init(cfg);
    if (rc)
        return rc;
    /* The config file is found before anything else is applied: by flag, by variable, or in
     * the data directory (which may itself come from a flag or the environment). */
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (!file)
        file = getenv("ERMES_CONFIG");
    if (!file) {
        const char *dir = getenv("ERMES_DATA_DIR");
        for (i = 0; i < argc; i++) {
            if ((strcmp(argv[i], "--data-dir") == 0 || strcmp(argv[i], "--data_dir") == 0) &&
                i + 1 < argc)
                dir = argv[i + 1];
            else if (strncmp(argv[i], "--data-dir=", 11) == 0 ||
                     strncmp(argv[i], "--data_dir=", 11) == 0)
                dir = argv[i] + 11;
        }
        if (!dir)
            dir = cfg->data_dir;
        size_t n = strlen(dir) + sizeof("/ermes.conf");
        path = ermes__malloc(n);
        if (!path)
            return ERMES_ENOMEM;
        snprintf(path, n, "%s/ermes.conf", dir);
        if (access(path, R_OK) == 0)
            file = path;
    }
    if (file) {
        cfg->loading = ERMES__SRC_FILE;
        rc = ermes__config_load_file(cfg, file, d);
        if (rc)
            goto out;
    }
    cfg->loading = ERMES__SRC_ENV;
    rc = ermes__config_load_env(cfg, d);
    if (rc)
        goto out;
    cfg->loading = ERMES__SRC_FLAG;
    for (i = 0; i < argc;) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            i += 2;
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) == 0) {
            i++;
            continue;
        }
        if (strcmp(argv[i], "--") == 0) {
            for (; i < argc; i++)
                rest[(*nrest)++] = i;
            break;
        }
        rc = ermes__config_flag(cfg, argc, argv, &i, d);
        if (rc < 0)
            goto out;
        if (rc == 0)
            rest[(*nrest)++] = i++;
    }
    rc = 0;
out:
    /* Whatever is set later (tests, the database overlay) says so itself. */
    cfg->loading = ERMES__SRC_DEFAULT;
    ermes__free(path);
    return rc;
}

void ermes__config_list(FILE *f)
{
    for (size_t k = 0; k < NSETTINGS; k++)
        fprintf(f, "%s\n", settings[k].name);
}

/* Settings whose values are never shown back: passwords, and the URLs that may carry one. */
static int secret_setting(const char *name)
{
    return strstr(name, "password") || strstr(name, "secret") || strstr(name, "token_key") ||
           strcmp(name, "database_url") == 0 || strcmp(name, "smtp_url") == 0;
}

/* Settings that also take "auto" (ERMES__CONFIG_AUTO): the daemon sizes them from the machine. */
static int auto_setting(const char *name)
{
    return strcmp(name, "taxii_page_cache") == 0;
}

static void long_text(const setting_t *s, long v, char *buf, size_t cap)
{
    if (v == ERMES__CONFIG_AUTO && auto_setting(s->name))
        snprintf(buf, cap, "auto");
    else
        snprintf(buf, cap, "%ld", v);
}

size_t ermes__config_auto_cache_bytes(uint64_t physical, uint64_t limit)
{
    uint64_t room = physical, bytes;

    /* The smaller of the machine's memory and the cgroup's limit (0: none) is what the daemon
     * may use at all; an eighth of it leaves the database's caches and the requests theirs. */
    if (limit && (!room || limit < room))
        room = limit;
    bytes = room / 8;
    if (bytes > ERMES__PAGE_CACHE_AUTO_MAX)
        bytes = ERMES__PAGE_CACHE_AUTO_MAX;
    bytes &= ~(uint64_t)((1u << 20) - 1); /* whole MiB */
    if (!bytes)
        bytes = (uint64_t)1 << 20;
    return bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}

/* The number a cgroup memory file holds: 0 for none ("max", unreadable, or v1's huge number
 * that means no limit). */
static uint64_t limit_in(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[64], *end;
    unsigned long long v;

    if (!f)
        return 0;
    if (!fgets(line, sizeof(line), f)) {
        fclose(f);
        return 0;
    }
    fclose(f);
    errno = 0;
    v = strtoull(line, &end, 10);
    if (end == line || errno || (*end && *end != '\n') || v >= (1ull << 60))
        return 0;
    return (uint64_t)v;
}

/* The smallest limit of group (a path under root, "" or "/" the root itself) and of every group
 * above it, in their file (memory.max, memory.limit_in_bytes); 0: none. */
static uint64_t limit_of_groups(const char *root, const char *group_in, const char *file)
{
    char group[512], path[700];
    uint64_t limit = 0, v;

    snprintf(group, sizeof(group), "%s", group_in);
    for (;;) {
        char *slash;
        snprintf(path, sizeof(path), "%s%s/%s", root, strcmp(group, "/") ? group : "", file);
        if ((v = limit_in(path)) && (!limit || v < limit))
            limit = v;
        if (!group[0] || !strcmp(group, "/") || !(slash = strrchr(group, '/')))
            break;
        *slash = '\0'; /* the group above; "" is the root */
    }
    return limit;
}

uint64_t ermes__config_cgroup_limit(const char *proc_cgroup, const char *sys_cgroup)
{
    char v2[512] = "", v1[512] = "", line[500], root[300];
    uint64_t a, b;
    FILE *f = fopen(proc_cgroup, "r");

    if (f) {
        while (fgets(line, sizeof(line), f)) {
            const char *memory = strstr(line, ":memory:");
            line[strcspn(line, "\n")] = '\0';
            if (!strncmp(line, "0::", 3))
                snprintf(v2, sizeof(v2), "%s", line + 3);
            else if (memory)
                snprintf(v1, sizeof(v1), "%s", memory + 8);
        }
        fclose(f);
    }
    a = limit_of_groups(sys_cgroup, v2, "memory.max");
    snprintf(root, sizeof(root), "%s/memory", sys_cgroup);
    b = limit_of_groups(root, v1, "memory.limit_in_bytes");
    return a && (!b || a < b) ? a : b;
}

size_t ermes__config_taxii_page_cache_bytes(const ermes__config_t *cfg)
{
    long pages, page_size;

    if (cfg->taxii_page_cache != ERMES__CONFIG_AUTO)
        return cfg->taxii_page_cache > 0 ? (size_t)cfg->taxii_page_cache << 20 : 0;
    pages = sysconf(_SC_PHYS_PAGES);
    page_size = sysconf(_SC_PAGE_SIZE);
    return ermes__config_auto_cache_bytes(
        pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0,
        ermes__config_cgroup_limit("/proc/self/cgroup", "/sys/fs/cgroup"));
}

/* Why a setting waits for a restart: what reads it reads it once. */
static const char *restart_reason(const char *name)
{
    static const char *const server[] = {"listen",           "tls_cert",
                                         "tls_key",          "threads",
                                         "max_connections",  "max_body",
                                         "max_header",       "max_client_connections",
                                         "max_query_params", "request_timeout",
                                         "head_timeout",     "request_deadline",
                                         "web_dir",          NULL};

    if (!strcmp(name, "data_dir") || !strcmp(name, "database_url") ||
        !strcmp(name, "busy_timeout") || !strcmp(name, "db_cache"))
        return "the database is opened when ermes starts";
    for (size_t k = 0; server[k]; k++)
        if (!strcmp(name, server[k]))
            return "the HTTP server is set up when the daemon starts";
    if (!strncmp(name, "warninglists", 12))
        return "the warninglists are loaded once; switch one on or off at /api/v1/warninglists";
    if (!strncmp(name, "log_", 4))
        return "logging is set up when ermes starts";
    return "read once when the daemon starts";
}

const char *ermes__config_source_name(int src)
{
    switch (src) {
    case ERMES__SRC_FILE:
        return "file";
    case ERMES__SRC_DATABASE:
        return "database";
    case ERMES__SRC_ENV:
        return "env";
    case ERMES__SRC_FLAG:
        return "flag";
    default:
        return "default";
    }
}

int ermes__config_setting_info(const char *name, int *live, int *secret)
{
    const setting_t *s = find(name, strlen(name));

    if (!s)
        return ERMES_ENOTFOUND;
    if (live)
        *live = s->live;
    if (secret)
        *secret = secret_setting(s->name);
    return 0;
}

int ermes__config_check(const char *name, const char *value, ermes_diag_t *d)
{
    static const struct {
        const char *name, *a, *b;
    } choices[] = {{"smtp_tls", "try", "require"},
                   {"notify_group_by", "feed", "type"},
                   {"notify_approval", "auto", "review"}};
    const setting_t *s = find(name, strlen(name));
    ermes__config_t scratch;
    int rc;

    if (!s) {
        /* The field is the name itself (it may be empty). */
        ermes_diag_set(d, "name", "unknown setting \"%.64s\"", name);
        return ERMES_ENOTFOUND;
    }
    /* A config file's line cannot hold a line break; a value from the API or the CLI must
     * not either (a From: or an SMTP user with CR LF would write headers or commands). */
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            ermes_diag_set(d, name, "%s must not contain control characters", name);
            return ERMES_EINVAL;
        }
    memset(&scratch, 0, sizeof(scratch));
    rc = apply_value(&scratch, s, value, d);
    if (s->type == SET_STRING)
        ermes__free(*(char **)(void *)((char *)&scratch + s->offset));
    if (rc)
        return rc;
    for (size_t k = 0; k < sizeof(choices) / sizeof(choices[0]); k++)
        if (!strcmp(name, choices[k].name) && *value && strcmp(value, choices[k].a) &&
            strcmp(value, choices[k].b)) {
            ermes_diag_set(d, name, "%s must be %s or %s", name, choices[k].a, choices[k].b);
            return ERMES_EINVAL;
        }
    if (!strcmp(name, "smtp_url") && *value && strncasecmp(value, "smtp://", 7) &&
        strncasecmp(value, "smtps://", 8)) {
        ermes_diag_set(d, name, "smtp_url must start with smtp:// or smtps://");
        return ERMES_EINVAL;
    }
    return 0;
}

int ermes__config_get(const ermes__config_t *cfg, const char *name, char *buf, size_t cap, int *src)
{
    const setting_t *s = find(name, strlen(name));
    const char *base;

    if (!s)
        return ERMES_ENOTFOUND;
    base = (const char *)cfg + s->offset;
    switch (s->type) {
    case SET_STRING: {
        const char *v = *(char *const *)(const void *)base;
        snprintf(buf, cap, "%s", v ? v : "");
        break;
    }
    case SET_BOOL:
        snprintf(buf, cap, "%s", *(const int *)(const void *)base ? "true" : "false");
        break;
    case SET_LONG:
        long_text(s, *(const long *)(const void *)base, buf, cap);
        break;
    }
    if (src)
        *src = cfg->source[s - settings];
    return 0;
}

int ermes__config_copy(ermes__config_t *dst, const ermes__config_t *src)
{
    memcpy(dst, src, sizeof(*dst));
    for (size_t k = 0; k < NSETTINGS; k++)
        if (settings[k].type == SET_STRING) {
            char **slot = (char **)(void *)((char *)dst + settings[k].offset);
            *slot = NULL;
        }
    for (size_t k = 0; k < NSETTINGS; k++)
        if (settings[k].type == SET_STRING) {
            char *const *from =
                (char *const *)(const void *)((const char *)src + settings[k].offset);
            char **slot = (char **)(void *)((char *)dst + settings[k].offset);
            if (*from && !(*slot = ermes__strdup(*from))) {
                ermes__config_copy_free(dst);
                return ERMES_ENOMEM;
            }
        }
    return 0;
}

void ermes__config_copy_free(ermes__config_t *c)
{
    for (size_t k = 0; k < NSETTINGS; k++)
        if (settings[k].type == SET_STRING) {
            char **slot = (char **)(void *)((char *)c + settings[k].offset);
            ermes__free(*slot);
            *slot = NULL;
        }
}

void ermes__config_overlay(ermes__config_t *cfg, const char *const *names,
                           const char *const *values, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        const setting_t *s = find(names[j], strlen(names[j]));
        ermes_diag_t d;
        if (!s || !s->live || cfg->source[s - settings] > ERMES__SRC_DATABASE)
            continue;
        ermes_diag_clear(&d);
        if (ermes__config_check(s->name, values[j], &d) == 0) {
            unsigned char was = cfg->loading;
            cfg->loading = ERMES__SRC_DATABASE;
            (void)apply(cfg, s, values[j], &d);
            cfg->loading = was;
        } else {
            ermes__log(ERMES_LOG_WARNING, "settings: the stored %s is refused: %s", s->name,
                       d.reason);
        }
    }
}

int ermes__config_each(const ermes__config_t *cfg, ermes__setting_cb cb, void *ctx)
{
    for (size_t k = 0; k < NSETTINGS; k++) {
        const setting_t *s = &settings[k];
        const char *base = (const char *)cfg + s->offset;
        ermes__setting_view_t v;
        int rc;

        memset(&v, 0, sizeof(v));
        v.name = s->name;
        v.help = s->help;
        v.def = s->def;
        v.secret = secret_setting(s->name);
        v.live = s->live;
        v.source = ermes__config_source_name(cfg->source[k]);
        v.why = s->live ? NULL : restart_reason(s->name);
        switch (s->type) {
        case SET_STRING:
            v.value = *(char *const *)(const void *)base;
            break;
        case SET_BOOL:
            snprintf(v.text, sizeof(v.text), "%s",
                     *(const int *)(const void *)base ? "true" : "false");
            v.value = v.text;
            break;
        case SET_LONG:
            long_text(s, *(const long *)(const void *)base, v.text, sizeof(v.text));
            v.value = v.text;
            if (*(const long *)(const void *)base == ERMES__CONFIG_AUTO &&
                !strcmp(s->name, "taxii_page_cache")) {
                snprintf(v.effective_text, sizeof(v.effective_text), "%zu",
                         ermes__config_taxii_page_cache_bytes(cfg) >> 20);
                v.effective = v.effective_text;
            }
            break;
        }
        v.set = v.value && *v.value;
        if (v.secret)
            v.value = NULL;
        if ((rc = cb(ctx, &v)))
            return rc;
    }
    return 0;
}

void ermes__config_usage(FILE *f)
{
    ermes__config_usage_some(f, NULL);
}

void ermes__config_usage_some(FILE *f, const char *const *names)
{
    fprintf(f, "Settings (defaults < config file < database < ERMES_* environment < flags;\n"
               "[live]: changeable without a restart (ermes settings set NAME VALUE, or\n"
               "PUT /api/v1/settings/NAME), stored in the database):\n");
    for (size_t k = 0; k < NSETTINGS; k++) {
        int wanted = !names;
        for (size_t j = 0; names && names[j] && !wanted; j++)
            wanted = strcmp(names[j], settings[k].name) == 0;
        if (!wanted)
            continue;
        char flag[64], env[64];
        size_t n;
        for (n = 0; settings[k].name[n] && n < sizeof(flag) - 1; n++) {
            flag[n] = settings[k].name[n] == '_' ? '-' : settings[k].name[n];
            env[n] = (char)(settings[k].name[n] >= 'a' && settings[k].name[n] <= 'z'
                                ? settings[k].name[n] - 32
                                : settings[k].name[n]);
        }
        flag[n] = env[n] = '\0';
        fprintf(f, "  --%-18s ERMES_%-18s %s%s (default: %s)\n", flag, env,
                settings[k].live ? "[live] " : "", settings[k].help,
                settings[k].def ? settings[k].def : "none");
    }
    fprintf(f, "  --%-18s ERMES_%-18s %s\n", "config FILE", "CONFIG",
            "config file (default: DATA_DIR/ermes.conf when present)");
}
