/* Settings: one table (name, type, default, bounds, help) drives the config file, the ERMES_*
 * environment, the command-line flags, --help and validation (Redis's config.c idea).
 * Precedence: built-in defaults < config file < database (live settings, config_live.h) <
 * environment < flags. Unknown keys are errors. */
#ifndef ERMES_CORE_CONFIG_H
#define ERMES_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ermes/error.h"

/* Where a setting's value comes from. Precedence: default < file < database < environment <
 * flag: what the operator wrote on the command line or in the environment of this process
 * wins over what an administrator stored while ermes runs (docs/SETTINGS.md). */
enum {
    ERMES__SRC_DEFAULT = 0,
    ERMES__SRC_FILE,
    ERMES__SRC_DATABASE,
    ERMES__SRC_ENV,
    ERMES__SRC_FLAG,
};
/* Room for the table's settings in ermes__config_t.source (config.c checks it is enough). */
#define ERMES__CONFIG_MAX_SETTINGS 160

typedef struct ermes__config {
    char *data_dir;             /* where the database and spool live */
    char *database_url;         /* NULL or a path: SQLite; postgresql://...: PostgreSQL */
    char *config_file;          /* the file that was read, or NULL */
    char *listen;               /* ADDR:PORT, [v6]:PORT */
    char *tls_cert;             /* PEM certificate; HTTPS when set with tls_key */
    char *tls_key;              /* PEM private key */
    char *log_level;            /* error..debug */
    int log_json;               /* JSON lines */
    long threads;               /* HTTP worker threads */
    long max_connections;       /* concurrent HTTP connections */
    long max_body;              /* bytes of one request body */
    long max_header;            /* bytes of a request's headers (and connection buffer) */
    long request_timeout;       /* seconds a connection may stay idle */
    long request_deadline;      /* seconds a whole request (head and body) may take */
    long busy_timeout;          /* milliseconds to wait on a locked database */
    long token_days;            /* default lifetime of a new API token */
    long page_limit;            /* largest page a list endpoint returns */
    long taxii_page_cache;      /* MiB of rendered TAXII pages kept (src/http/page_cache.c);
                                   ERMES__CONFIG_AUTO: ermes__config_taxii_page_cache_bytes */
    char *shadowserver_schema;  /* Shadowserver's report_schema intelmq.json */
    long dedup_window;          /* seconds within which a repeated event is a duplicate; 0: off */
    char *dedup_keys;           /* fields compared by deduplication (NULL: all but dedup_ignore) */
    char *dedup_ignore;         /* fields deduplication leaves out when dedup_keys is unset */
    long db_cache;              /* MiB of SQLite page cache per connection */
    char *event_tlp;            /* TLP of reports whose sender names none (and their events) */
    long batch_rows;            /* rows per intake transaction */
    long max_report;            /* largest report accepted, in MiB */
    long incoming_max_age;      /* seconds before a partial upload is removed */
    long retention_days;        /* days an event is kept (0: for ever; src/store/retention.c) */
    long event_partition_width; /* ids a partition of events holds (src/store/event_time_map.c) */
    char *smtp_url;             /* smtp://host:port or smtps://; empty: notifications wait */
    char *smtp_user;
    char *smtp_password;         /* never logged */
    char *smtp_tls;              /* try (STARTTLS when offered) or require */
    char *smtp_ca_file;          /* CAs for the SMTP server's certificate; NULL: the system's */
    int smtp_plaintext_auth;     /* credentials may go over a connection without TLS */
    int smtp_dsn;                /* ask for delivery status notifications (RFC 3461) */
    char *mail_from;             /* From: of notifications */
    char *notify_signature;      /* the text that ends every notification; NULL: mail_from */
    long notify_window;          /* seconds a group of events collects before it is sent */
    char *notify_group_by;       /* feed or type */
    long notify_retry_base;      /* seconds before the first retry; doubles, capped at 1 h */
    long notify_max_attempts;    /* attempts before a notification is failed */
    long notify_rate_per_hour;   /* messages one recipient may get per hour */
    int notify_encrypt;          /* encrypt when every recipient has a usable OpenPGP key */
    int notify_encrypt_strict;   /* AMBER+STRICT goes only to recipients with a usable key */
    long notify_pgp_expiry_warn; /* days before a contact's key expires to warn; 0: never */
    char *notify_approval;       /* auto or review: the default when no policy matches */
    long notify_review_age;      /* seconds after which an unsent notification waits; 0: off */
    char *notify_templates;      /* directory of <lang>.txt templates overriding the built-in */
    char *notify_pgp_key;        /* OpenPGP key signing notifications; NULL: unsigned */
    char *notify_pgp_home;       /* GnuPG home of that key; NULL: GNUPGHOME or ~/.gnupg */
    char *warninglists;          /* comma-separated MISP warninglist files for indicators */
    char *warninglists_off;      /* comma-separated ids of warninglists turned off */
    char *vuln_sources;          /* KIND=URL,... imported by `ermes vulns sync` */
    long vuln_sync_interval;     /* seconds between the daemon's runs of vuln_sources; 0 off */
    long max_log;                /* MiB of one log posted to /api/v1/logs, decompressed */
    char *spool_dir;             /* watched drop directory; NULL: DATA_DIR/spool */
    long spool_rescan;           /* seconds between full rescans of the spool directory */
    long collect_min_interval;   /* shortest interval a collector runs at, seconds */
    struct ermes__collector_conf *collectors; /* [collector "NAME"] sections (collector_conf.c) */
    size_t ncollectors;
    char *detect_logs;      /* FORMAT:PATH,... followed by the daemon; NULL: none */
    char *detect_archive;   /* log archive the retro-hunt rescans; NULL: none */
    char *geoip_asn_db;     /* MaxMind DB, GeoLite2-ASN layout; NULL: no ASN enrichment */
    char *geoip_country_db; /* MaxMind DB, GeoLite2-Country or -City layout; NULL: none */
    int geoip_overwrite;    /* GeoIP values replace those the feed supplied */
    char *web_dir;          /* serve the UI from this directory; NULL: the built-in copy */
    long session_ttl;       /* seconds a browser session lasts at most */
    long session_idle;      /* seconds of inactivity that end a browser session */
    int totp_required;      /* admins and analysts must sign in with TOTP (src/access/totp.c) */
    long stale_feed_factor; /* a feed is stale after this many usual intervals */
    long lease_time;        /* seconds a job's lease lasts unrenewed (src/store/lease.c) */
    char *instance_host;    /* this machine's name in leases; NULL: derived */

    /* Mail in (src/mail/). */
    long mail_max_size;                    /* MiB of one received message */
    long mail_max_depth;                   /* MIME nesting depth */
    long mail_max_parts;                   /* MIME parts of one message */
    long mail_max_text;                    /* MiB of text read from one message */
    long mail_timeout;                     /* seconds one message's parsing may take */
    long incident_warn_before;             /* seconds before a deadline it is warned of */
    char *incident_warn_mail;              /* warnings' address when the assignee has none */
    struct ermes__mailbox_conf *mailboxes; /* [mailbox "NAME"] sections (mailbox_conf.c) */
    size_t nmailboxes;

    /* Hostile clients (http/server.c, docs/API.md "Limits"). */
    long max_client_connections; /* concurrent connections per client address; 0: auto */
    long max_query_params;       /* query parameters one request may have */
    long head_timeout;           /* seconds a request head may take to arrive */

    /* The login's defences (access/login_guard.c). */
    long login_workers;          /* argon2id checks at once */
    long login_queue;            /* logins waiting for a check; more are 429 */
    long login_address_failures; /* failed logins per address per 15 minutes */
    long login_audit_interval;   /* seconds per summary row of repeated failures */

    /* CSAF advisories (src/advisories/advisory.c). */
    char *advisory_id_scheme;       /* tracking ids: %Y, %m, %n/%0Wn, %% */
    char *csaf_base_url;            /* https://HOST of /.well-known/csaf/; NULL: from Host */
    char *csaf_publisher_name;      /* the provider metadata's publisher */
    char *csaf_publisher_namespace; /* NULL: csaf_base_url */
    char *csaf_openpgp_key;         /* fingerprint signing published advisories; NULL: none */
    char *csaf_openpgp_home;        /* its GnuPG home; NULL: DATA_DIR/csaf-openpgp */
    char *security_contact;         /* security.txt's Contact; NULL: none served */

    /* Where each value came from (ERMES__SRC_*, in the table's order), and the source the
     * setting being loaded now records (config.c's apply). */
    unsigned char source[ERMES__CONFIG_MAX_SETTINGS];
    unsigned char loading;
} ermes__config_t;

/* A collector: a feed fetched over HTTP(S) on a schedule (src/intake/collect.c). */
#define ERMES_COLLECTOR_MAX_HEADERS 16
#define ERMES_COLLECTOR_MAX_OPTIONS 32
typedef struct ermes__collector_conf {
    char name[64];
    char *url;            /* http:// or https:// */
    char *feed;           /* parser name */
    char *file_name;      /* name the report gets; NULL: the URL's last path segment */
    long interval;        /* seconds between runs (at least collect_min_interval) */
    long timeout;         /* seconds a whole transfer may take */
    long connect_timeout; /* seconds to connect */
    long max_size;        /* largest body accepted, bytes (also capped by max_report) */
    int enabled;
    int gzip; /* content = gzip: the body is a gzip file, decoded before it is a report */
    char *headers[ERMES_COLLECTOR_MAX_HEADERS + 1]; /* "Name: value", NULL-terminated */
    size_t nheaders;
    char *options[ERMES_COLLECTOR_MAX_OPTIONS + 1]; /* "key=value", NULL-terminated */
    size_t noptions;
    /* List mode (collect_list.c): url answers a listing of files, each fetched and made a
     * report once. */
    int list;           /* ERMES_COLLECT_LIST_* */
    char *list_items;   /* json: the keys to the array of items, joined by '.'; NULL: the root */
    char *item_id;      /* json: the item's id field ("id") */
    char *item_file;    /* json: the item's file name field; NULL: the id names the file */
    char *download_url; /* json: an item's URL, "{id}" and "{file}" filled in */
    long max_items;     /* items a listing may have */
    /* Requests as a POST of a JSON object of these "key=value" string fields (values may hold
     * {today:F} / {yesterday:F}; download_post also {id} and {file}); none: a GET. */
    char *post[ERMES_COLLECTOR_MAX_HEADERS + 1];
    size_t npost;
    char *download_post[ERMES_COLLECTOR_MAX_HEADERS + 1];
    size_t ndownload_post;
    /* Signing: each POST body's HMAC-SHA256 in hex, keyed with secret, in header sign_header
     * (Shadowserver: HMAC2). The secret is never logged nor shown by the API. */
    char *sign_header;
    char *secret;
    char tlp[16]; /* the TLP of its reports ("tlp" key); "": the event_tlp setting's */
} ermes__collector_conf_t;

#define ERMES_COLLECT_LIST_NONE 0
#define ERMES_COLLECT_LIST_JSON 1  /* a JSON array of objects */
#define ERMES_COLLECT_LIST_AZURE 2 /* an Azure Blob Storage container (List Blobs) */

/* If section names a collector ([collector "NAME"] or [collector.NAME]), copies NAME into
 * name (cap bytes) and returns 1; returns 0 for any other section, -1 for a collector section
 * whose name is empty, too long or has characters other than letters, digits, '-', '_', '.'. */
int ermes__collector_section(const char *section, char *name, size_t cap);
/* Sets key = value of collector `name` (created on first use). ERMES_EINVAL / ERMES_ERANGE with
 * the reason in d; ERMES_ENOTFOUND for an unknown key. */
int ermes__collector_conf_set(ermes__config_t *cfg, const char *name, const char *key,
                              const char *value, ermes_diag_t *d);
/* Checks that every collector has what it needs (url, feed). */
int ermes__collector_conf_check(const ermes__config_t *cfg, ermes_diag_t *d);
/* The collector called name, or NULL. */
const ermes__collector_conf_t *ermes__collector_conf_find(const ermes__config_t *cfg,
                                                          const char *name);
void ermes__collector_conf_cleanup(ermes__config_t *cfg);

/* A mailbox the daemon polls for mail in (src/mail/poll.c): an IMAP folder (url) or a
 * maildir (maildir). */
typedef struct ermes__mailbox_conf {
    char name[64];
    char *url;       /* imap://HOST[:PORT] or imaps://...; NULL for a maildir */
    char *maildir;   /* a maildir's directory (new/ is read, read messages go to cur/) */
    char *user;      /* IMAP login */
    char *password;  /* never logged */
    char *folder;    /* IMAP folder, default INBOX */
    char *processed; /* seen (flag \Seen), move (to move_to), delete */
    char *move_to;
    char *ca_file; /* CAs for the server's certificate; NULL: the system's */
    long interval; /* seconds between polls */
    long timeout;  /* seconds one IMAP exchange may take */
    int enabled;
} ermes__mailbox_conf_t;

/* As ermes__collector_section for [mailbox "NAME"] and [mailbox.NAME]. */
int ermes__mailbox_section(const char *section, char *name, size_t cap);
int ermes__mailbox_conf_set(ermes__config_t *cfg, const char *name, const char *key,
                            const char *value, ermes_diag_t *d);
/* Every mailbox has a url or a maildir (not both), and move_to when processed is move. */
int ermes__mailbox_conf_check(const ermes__config_t *cfg, ermes_diag_t *d);
const ermes__mailbox_conf_t *ermes__mailbox_conf_find(const ermes__config_t *cfg, const char *name);
void ermes__mailbox_conf_cleanup(ermes__config_t *cfg);

/* Fills cfg with the built-in defaults. Returns 0 or ERMES_ENOMEM. */
int ermes__config_init(ermes__config_t *cfg);
void ermes__config_cleanup(ermes__config_t *cfg);

/* Sets one setting by name from text, with validation. ERMES_ENOTFOUND for an unknown name,
 * ERMES_EINVAL / ERMES_ERANGE with the reason in d. */
int ermes__config_set(ermes__config_t *cfg, const char *name, const char *value, ermes_diag_t *d);

/* Reads an INI file (keys at top level or in an [ermes] section). Errors name file:line. */
int ermes__config_load_file(ermes__config_t *cfg, const char *path, ermes_diag_t *d);

/* Applies every ERMES_<NAME> variable of the table that is set. Other ERMES_* variables that
 * do not name a setting (ERMES_CONFIG, ERMES_BIN...) are ignored. */
int ermes__config_load_env(ermes__config_t *cfg, ermes_diag_t *d);

/* If argv[*i] is "--<setting>" (with '-' for '_') or "--<setting>=value", applies it, advances
 * *i past what it used and returns 1; returns 0 if argv[*i] is no setting flag; <0 on a bad
 * value (d says why). */
int ermes__config_flag(ermes__config_t *cfg, int argc, char **argv, int *i, ermes_diag_t *d);

/* Loads everything in precedence order for a command: defaults, then the config file
 * (--config FILE flag, else ERMES_CONFIG, else DATA_DIR/ermes.conf if present), then the
 * environment, then the flags in argv that name settings. Arguments that are not settings are
 * left in place and their indexes returned in rest/nrest (rest has room for argc entries). */
int ermes__config_load(ermes__config_t *cfg, int argc, char **argv, int *rest, int *nrest,
                       ermes_diag_t *d);

/* Prints every setting with its flag, variable, default and help. */
void ermes__config_usage(FILE *f);
/* The same for the settings named in the NULL-terminated list names (every one when NULL),
 * in the table's order. */
void ermes__config_usage_some(FILE *f, const char *const *names);
/* The settings table's names, one a line, in its order (`ermes settings --list`). */
void ermes__config_list(FILE *f);

/* One setting as in force in a configuration, for GET /api/v1/settings: its value as text
 * (NULL when unset; a secret's never: secret says it is one, set whether it has a value). */
typedef struct ermes__setting_view {
    const char *name, *help, *def;
    const char *value; /* borrowed from cfg, or from text */
    char text[32];     /* a number or a boolean written out */
    int secret, set;
    int live;           /* changes while ermes runs (PUT /api/v1/settings/NAME) */
    const char *source; /* default, file, database, env or flag */
    const char *why;    /* a restart-only setting: why it needs one */
    /* "auto": the value it stands for now (NULL otherwise), in the setting's unit */
    const char *effective;
    char effective_text[32];
} ermes__setting_view_t;

/* The value of a number setting that is "auto" (taxii_page_cache). */
#define ERMES__CONFIG_AUTO (-1L)
/* The most taxii_page_cache's auto takes: 4 GiB (a million-object collection's pages of 1,000,
 * about 550 MiB, fit many times over). */
#define ERMES__PAGE_CACHE_AUTO_MAX ((uint64_t)4 << 30)
/* The bytes of rendered TAXII pages cfg keeps: taxii_page_cache MiB, or for auto
 * ermes__config_auto_cache_bytes of the machine's physical memory (sysconf) and the cgroup's
 * memory limit (/sys/fs/cgroup/memory.max, or v1's memory.limit_in_bytes). */
size_t ermes__config_taxii_page_cache_bytes(const ermes__config_t *cfg);
/* An eighth of the smaller of physical and limit (either 0: unknown), whole MiB, at least 1 MiB,
 * at most ERMES__PAGE_CACHE_AUTO_MAX. */
size_t ermes__config_auto_cache_bytes(uint64_t physical, uint64_t limit);
/* The memory limit of the cgroup the process runs in, 0 when none: that of its own group (named
 * in proc_cgroup, /proc/self/cgroup: a systemd unit's MemoryMax=) or of a group above it,
 * whichever is the smallest, in cgroup v2's memory.max or v1's memory/memory.limit_in_bytes
 * under sys_cgroup (/sys/fs/cgroup; in a container whose namespace makes its group the root,
 * the root's file). */
uint64_t ermes__config_cgroup_limit(const char *proc_cgroup, const char *sys_cgroup);
typedef int (*ermes__setting_cb)(void *ctx, const ermes__setting_view_t *s);
/* Calls cb for every setting of cfg in the table's order; stops at its first non-zero. */
int ermes__config_each(const ermes__config_t *cfg, ermes__setting_cb cb, void *ctx);

/* What the table says of name: *live = 1 when it may change while ermes runs, *secret = 1 when
 * its value is never shown back. ERMES_ENOTFOUND for an unknown name. Either may be NULL. */
int ermes__config_setting_info(const char *name, int *live, int *secret);
/* Checks value against the setting's own parser and limits without changing anything. */
int ermes__config_check(const char *name, const char *value, ermes_diag_t *d);
/* The value of setting name in cfg as text (secrets too: for the daemon's own use) into buf;
 * ERMES_ENOTFOUND. *src (may be NULL): its ERMES__SRC_*. */
int ermes__config_get(const ermes__config_t *cfg, const char *name, char *buf, size_t cap,
                      int *src);
/* Copies the table's settings of src into dst (strings duplicated; collectors, mailboxes and
 * config_file borrowed from src, which must outlive dst). Free with ermes__config_copy_free. */
int ermes__config_copy(ermes__config_t *dst, const ermes__config_t *src);
void ermes__config_copy_free(ermes__config_t *c);
/* Applies the values stored in the database (names[k] = values[k]) to cfg: only live
 * settings, and only those whose value came from the default or the file (the environment
 * and flags win). A stored value the table refuses (stored by an older ermes) is skipped
 * with a warning in the log. */
void ermes__config_overlay(ermes__config_t *cfg, const char *const *names,
                           const char *const *values, size_t n);
/* The name of an ERMES__SRC_* value. */
const char *ermes__config_source_name(int src);

#endif
