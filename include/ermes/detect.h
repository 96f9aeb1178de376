/* Detection: indicators of compromise matched against network and host logs.
 *
 * The engine follows YARA's split: compile once, scan many.
 *
 *   ermes_indicator_set_t   a mutable collection of indicators (the builder). Indicators are
 *                           validated and normalised when added; bulk loaders read plain lists,
 *                           CSV and STIX 2.1 pattern lists; warninglists mark known-benign
 *                           values as suppressed.
 *   ermes_matcher_t         the compiled, immutable form of a set: hash tables keyed by the
 *                           normalised value. Reference counted; any number of threads may
 *                           look up in it at once.
 *   ermes_matcher_slot_t    the place a running system keeps "the current matcher". A new
 *                           matcher is swapped in atomically; readers never block (they take a
 *                           reference on the current matcher; the swapper waits for in-flight
 *                           acquisitions, never for scans).
 *   ermes_scanner_t         per-thread scanning state: the matcher it uses and the hit buffer.
 *   ermes_log_reader_t      a streaming reader of log records: Suricata EVE, Zeek TSV and JSON,
 *                           plain lines, CSV; gzip/zstd by magic; stdin; follow mode.
 *
 * Conventions (STYLE.md): functions return 0 or a negative ERMES_E* code; results come back in
 * out-parameters; "borrowed" arguments are copied when kept; every _free accepts NULL. No
 * globals: all state lives in the handles. */
#ifndef ERMES_DETECT_H
#define ERMES_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"
#include "ermes/net.h"

/* ---- indicators ------------------------------------------------------------------------------ */

typedef enum ermes_ind_type {
    ERMES_IND_NONE = 0,
    ERMES_IND_IPV4,   /* a single IPv4 address */
    ERMES_IND_IPV6,   /* a single IPv6 address */
    ERMES_IND_CIDR,   /* an IPv4 or IPv6 network; the most specific match wins */
    ERMES_IND_DOMAIN, /* the name and all its subdomains (exact-only with ERMES_IND_EXACT) */
    ERMES_IND_URL,    /* compared after normalisation (scheme and host lower case, hxxp, [.]) */
    ERMES_IND_MD5,
    ERMES_IND_SHA1,
    ERMES_IND_SHA256,
    ERMES_IND_SHA512,
    ERMES_IND_EMAIL, /* compared case-insensitively */
    ERMES_IND_JA3,   /* an MD5 hex digest of a TLS client hello */
    ERMES_IND_JA4,   /* a JA4 fingerprint (a_b_c), compared case-insensitively */
    ERMES_IND__COUNT
} ermes_ind_type_t;

/* Indicator flags. */
#define ERMES_IND_EXACT 1u      /* domain: the name itself only, not its subdomains */
#define ERMES_IND_SUPPRESSED 2u /* set by a warninglist: kept in the set, not compiled */
#define ERMES_IND_FORCED 4u     /* kept against the warninglists: none suppresses it */

/* Name of a type ("domain", "sha256", ...) and back. Parse returns ERMES_IND_NONE if unknown;
 * it accepts MISP attribute types (ip-dst, ip-src, hostname, domain, url, md5, sha1, sha256,
 * sha512, email-src, email-dst, ja3-fingerprint-md5) and Zeek intel types (Intel::ADDR, ...). */
const char *ermes_ind_type_name(ermes_ind_type_t t);
ermes_ind_type_t ermes_ind_type_parse(const char *s, size_t len);

/* Guesses the type of a bare value: an IP, a CIDR, a hash by its length, an e-mail, a URL, a
 * JA4, else a domain. Returns ERMES_IND_NONE when the value cannot be any indicator. */
ermes_ind_type_t ermes_ind_type_guess(const char *s, size_t len);

/* One indicator as given by a caller. Strings are borrowed (copied by _add). */
typedef struct ermes_indicator {
    ermes_ind_type_t type; /* ERMES_IND_NONE: guessed from the value */
    const char *value;
    size_t len;
    unsigned flags;      /* ERMES_IND_EXACT, ERMES_IND_FORCED */
    int64_t valid_from;  /* ms since the epoch; 0 = always */
    int64_t valid_until; /* ms since the epoch; 0 = never expires */
    int confidence;      /* 0..100, -1 = unknown */
    int tlp;             /* ermes_tlp_t value (include/ermes/tlp.h), -1 = unknown */
    const char *source;  /* feed or list name; NULL = none */
    const char *tags;    /* comma-separated tags; NULL = none */
} ermes_indicator_t;

/* Initialises an indicator descriptor with no validity bounds, unknown confidence and TLP. */
void ermes_indicator_init(ermes_indicator_t *ind);

typedef struct ermes_indicator_set ermes_indicator_set_t;

/* A new empty set. Caller frees with ermes_indicator_set_free(). Returns 0 or ERMES_ENOMEM. */
int ermes_indicator_set_new(ermes_indicator_set_t **out);
void ermes_indicator_set_free(ermes_indicator_set_t *set);

/* Validates, normalises and adds one indicator; *id_out (may be NULL) receives its index.
 * Returns 0, ERMES_EINVAL (the reason in d), ERMES_ETOOBIG (more than 2^31 indicators or 4 GiB
 * of keys) or ERMES_ENOMEM. */
int ermes_indicator_set_add(ermes_indicator_set_t *set, const ermes_indicator_t *ind,
                            uint32_t *id_out, ermes_diag_t *d);

size_t ermes_indicator_set_count(const ermes_indicator_set_t *set);

/* The normalised value of indicator id as text (IPs and CIDRs canonical, hashes lower-case
 * hex), NUL-terminated in buf. Returns the length, or 0 if id is out of range or cap too
 * small. */
size_t ermes_indicator_set_value(const ermes_indicator_set_t *set, uint32_t id, char *buf,
                                 size_t cap);

/* Bulk formats. */
typedef enum ermes_ind_format {
    ERMES_IND_FORMAT_AUTO = 0, /* STIX if the text holds "[...:value" patterns, CSV if the
                                  first line is a header with a "value"/"indicator" column,
                                  else a plain list */
    ERMES_IND_FORMAT_LIST,     /* one value per line, a "#", "//" or ";" comment may follow;
                                  other text after the value is refused; type guessed */
    ERMES_IND_FORMAT_CSV,      /* header with value|indicator, and optional type, valid_from,
                                  valid_until, confidence, tlp, source, tags, exact columns;
                                  Zeek intel files (#fields) are read the same way */
    ERMES_IND_FORMAT_STIX      /* STIX 2.1: a bundle/array of indicator objects, or one
                                  pattern per line */
} ermes_ind_format_t;

/* Called for each rejected entry of a bulk load (line, reason in d). Return non-zero to stop. */
typedef int (*ermes_ind_reject_cb)(void *ctx, const ermes_diag_t *d);

typedef struct ermes_ind_load_stats {
    size_t added;
    size_t rejected;
} ermes_ind_load_stats_t;

/* Loads indicators from data[0..len) (borrowed). defaults (may be NULL) gives the source,
 * TLP, confidence and validity of entries that do not carry their own. Entries that fail are
 * reported through reject_cb (may be NULL) and counted; loading goes on. Returns 0 (even when
 * some entries were rejected), ERMES_EPARSE when the document as a whole is unreadable (reason
 * in d), or ERMES_ENOMEM. */
int ermes_indicator_set_load(ermes_indicator_set_t *set, const char *data, size_t len,
                             ermes_ind_format_t fmt, const ermes_indicator_t *defaults,
                             ermes_ind_reject_cb reject_cb, void *ctx,
                             ermes_ind_load_stats_t *stats, ermes_diag_t *d);

/* Parses one STIX 2.1 pattern of simple equality comparisons, possibly OR-ed:
 * [ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x.example']. For each comparison
 * add_cb receives the indicator type and the (unescaped) value. Anything else (AND, FOLLOWEDBY,
 * other operators or object paths) is ERMES_EUNSUPPORTED with the reason in d; a syntax error
 * is ERMES_EPARSE. */
typedef int (*ermes_stix_value_cb)(void *ctx, ermes_ind_type_t type, const char *value, size_t len);
int ermes_stix_pattern_parse(const char *pattern, size_t len, ermes_stix_value_cb add_cb, void *ctx,
                             ermes_diag_t *d);

/* ---- warninglists ---------------------------------------------------------------------------- */

typedef struct ermes_warninglist ermes_warninglist_t;

/* Parses a MISP warninglist (JSON: "name", "type" string|substring|hostname|cidr|regex,
 * "list"). data is borrowed. Caller frees with ermes_warninglist_free(). Returns 0,
 * ERMES_EPARSE (reason in d), ERMES_EUNSUPPORTED (an unknown type) or ERMES_ENOMEM. */
int ermes_warninglist_new(const char *data, size_t len, ermes_warninglist_t **out, ermes_diag_t *d);
void ermes_warninglist_free(ermes_warninglist_t *wl);
const char *ermes_warninglist_name(const ermes_warninglist_t *wl);
size_t ermes_warninglist_count(const ermes_warninglist_t *wl);
/* Its "description" ("" when none), "version" (0 when none) and type's name. */
const char *ermes_warninglist_description(const ermes_warninglist_t *wl);
long long ermes_warninglist_version(const ermes_warninglist_t *wl);
const char *ermes_warninglist_type(const ermes_warninglist_t *wl);

/* 1 if the value (any text) is on the list, else 0. */
int ermes_warninglist_contains(const ermes_warninglist_t *wl, const char *value, size_t len);

/* Marks every indicator of set that the list covers ERMES_IND_SUPPRESSED and reports each
 * through cb (may be NULL) with its id. Returns the number suppressed. */
typedef void (*ermes_suppressed_cb)(void *ctx, uint32_t id, const ermes_warninglist_t *wl);
size_t ermes_indicator_set_suppress(ermes_indicator_set_t *set, const ermes_warninglist_t *wl,
                                    ermes_suppressed_cb cb, void *ctx);
/* The same, leaving out every indicator i whose skip[i] is non-zero (skip: one byte per
 * indicator of set, or NULL for none): a caller that checked those before does not pay again. */
size_t ermes_indicator_set_suppress_some(ermes_indicator_set_t *set, const ermes_warninglist_t *wl,
                                         const unsigned char *skip, ermes_suppressed_cb cb,
                                         void *ctx);

/* ---- the compiled matcher -------------------------------------------------------------------- */

typedef struct ermes_matcher ermes_matcher_t;

/* Compiles the set's indicators (suppressed ones and those whose valid_until is before
 * now_ms, when now_ms is non-zero, left out) into an immutable matcher with refcount 1. The
 * set is borrowed and may be freed or changed afterwards. Returns 0, ERMES_ENOMEM. */
int ermes_matcher_build(const ermes_indicator_set_t *set, int64_t now_ms, ermes_matcher_t **out);

/* Reference counting (atomic). _release(NULL) is a no-op; the last release frees. */
ermes_matcher_t *ermes_matcher_retain(ermes_matcher_t *m);
void ermes_matcher_release(ermes_matcher_t *m);

/* The compiled form of indicator id (the set's id). The strings are owned by the matcher. */
typedef struct ermes_matcher_indicator {
    ermes_ind_type_t type;
    unsigned flags;
    int64_t valid_from, valid_until;
    int confidence, tlp;
    const char *source; /* "" when none */
    const char *tags;   /* "" when none */
} ermes_matcher_indicator_t;
int ermes_matcher_indicator(const ermes_matcher_t *m, uint32_t id, ermes_matcher_indicator_t *out);
size_t ermes_matcher_value(const ermes_matcher_t *m, uint32_t id, char *buf, size_t cap);

typedef struct ermes_matcher_stats {
    size_t indicators; /* compiled */
    size_t by_type[ERMES_IND__COUNT];
    size_t bytes; /* memory held by the matcher */
} ermes_matcher_stats_t;
void ermes_matcher_stats(const ermes_matcher_t *m, ermes_matcher_stats_t *out);

/* The slot holding the current matcher for a running system. */
typedef struct ermes_matcher_slot ermes_matcher_slot_t;

/* m (may be NULL) is retained by the slot. Caller frees with ermes_matcher_slot_free(). */
int ermes_matcher_slot_new(ermes_matcher_t *m, ermes_matcher_slot_t **out);
void ermes_matcher_slot_free(ermes_matcher_slot_t *slot);
/* Installs m (retained by the slot) and drops the slot's reference to the previous one, which
 * lives on while scanners still use it. Never blocks readers. */
void ermes_matcher_slot_swap(ermes_matcher_slot_t *slot, ermes_matcher_t *m);
/* The current matcher with a reference the caller releases (NULL if none). Lock-free. */
ermes_matcher_t *ermes_matcher_slot_acquire(ermes_matcher_slot_t *slot);
/* A counter bumped by every swap: a scanner compares it to decide to re-acquire. */
uint64_t ermes_matcher_slot_generation(const ermes_matcher_slot_t *slot);

/* ---- log records ----------------------------------------------------------------------------- */

/* What a log field holds, which decides the tables it is looked up in. */
typedef enum ermes_field_kind {
    ERMES_FIELD_AUTO = 0, /* guessed per value (plain lines, CSV, Zeek answers) */
    ERMES_FIELD_IP,
    ERMES_FIELD_DOMAIN,
    ERMES_FIELD_URL,
    ERMES_FIELD_HASH, /* md5/sha1/sha256/sha512 hex, by length */
    ERMES_FIELD_EMAIL,
    ERMES_FIELD_JA3,
    ERMES_FIELD_JA4
} ermes_field_kind_t;

typedef struct ermes_log_field {
    const char *name; /* "dns.rrname", "query", "line", ...; static or owned by the reader */
    ermes_field_kind_t kind;
    const char *value; /* not NUL-terminated */
    size_t len;
} ermes_log_field_t;

/* One record. Everything borrows from the reader and is valid until the next call. */
typedef struct ermes_log_record {
    const char *source; /* the file name, "-" for stdin */
    long line;          /* 1-based line number in the (decompressed) stream */
    int64_t offset;     /* byte offset of the record in the (decompressed) stream */
    const char *time;   /* event time as written in the record, NULL if none */
    size_t time_len;
    const char *sensor; /* EVE "host", Zeek "_system_name" or #path; NULL if none */
    size_t sensor_len;
    const char *src_ip, *dest_ip; /* the record's endpoints as text, NULL if none */
    size_t src_ip_len, dest_ip_len;
    const char *format; /* "eve", "zeek", "lines", "csv" */
    size_t nfields;
    const ermes_log_field_t *fields;
} ermes_log_record_t;

/* ---- scanning -------------------------------------------------------------------------------- */

typedef struct ermes_scanner ermes_scanner_t;

/* One hit: indicator id, and the field (index into the record's fields) it matched. */
typedef struct ermes_hit {
    uint32_t indicator;
    uint32_t field;
} ermes_hit_t;

/* A scanner bound to m (retained; may be NULL and set later). Caller frees with
 * ermes_scanner_free(). Returns 0 or ERMES_ENOMEM. */
int ermes_scanner_new(ermes_matcher_t *m, ermes_scanner_t **out);
void ermes_scanner_free(ermes_scanner_t *s);
/* Switches the scanner to m (retained), releasing the previous matcher. */
void ermes_scanner_use(ermes_scanner_t *s, ermes_matcher_t *m);
/* If the slot's generation moved, re-acquires its matcher. Cheap when nothing changed. */
void ermes_scanner_refresh(ermes_scanner_t *s, ermes_matcher_slot_t *slot);
ermes_matcher_t *ermes_scanner_matcher(const ermes_scanner_t *s); /* borrowed */

/* Looks up every field of rec; returns the number of hits, whose array (owned by the scanner,
 * valid until the next call) comes back in *hits. Each (indicator, field) pair appears once.
 * When the record has a time, indicators not valid at that time are left out. */
size_t ermes_scanner_scan(ermes_scanner_t *s, const ermes_log_record_t *rec,
                          const ermes_hit_t **hits);

/* Looks up one value of the given kind; same result convention (field is always 0). */
size_t ermes_scanner_lookup(ermes_scanner_t *s, ermes_field_kind_t kind, const char *value,
                            size_t len, const ermes_hit_t **hits);

/* ---- log readers ----------------------------------------------------------------------------- */

typedef enum ermes_log_format {
    ERMES_LOG_AUTO = 0, /* decided from the first record */
    ERMES_LOG_EVE,
    ERMES_LOG_ZEEK, /* TSV with #fields or JSON lines */
    ERMES_LOG_LINES,
    ERMES_LOG_CSV
} ermes_log_format_t;

/* Parses "auto", "eve", "zeek", "lines", "csv"; -1 if unknown. */
int ermes_log_format_parse(const char *s);

typedef struct ermes_log_options {
    ermes_log_format_t format;
    int follow;              /* keep reading at end of file; survive rotation and truncation */
    int follow_poll_ms;      /* 0 = 250 */
    size_t max_line;         /* 0 = 16 MiB; longer lines are skipped with a reason */
    const char *csv_columns; /* "name[:kind],..." columns to look at (NULL = every column, kind
                                guessed); kinds: ip domain url hash email ja3 ja4 auto */
    char csv_delimiter;      /* 0 = ',' */
    volatile int *stop;      /* follow mode ends when *stop becomes non-zero (may be NULL) */
} ermes_log_options_t;

typedef struct ermes_log_reader ermes_log_reader_t;

/* Opens path ("-" = stdin; gzip and zstd detected by magic). opts may be NULL. Caller frees
 * with ermes_log_reader_free(). Returns 0, ERMES_EIO (reason in d) or ERMES_ENOMEM. */
int ermes_log_reader_open(const char *path, const ermes_log_options_t *opts,
                          ermes_log_reader_t **out, ermes_diag_t *d);
/* A reader over memory (borrowed, must outlive the reader); for tests and fuzzers. */
int ermes_log_reader_open_mem(const char *data, size_t len, const ermes_log_options_t *opts,
                              ermes_log_reader_t **out, ermes_diag_t *d);
void ermes_log_reader_free(ermes_log_reader_t *r);

/* Next record: returns 1 with *rec filled, 0 at end of input, ERMES_EPARSE for a malformed
 * record (skipped; line and reason in d; call again to go on), ERMES_EIO / ERMES_ENOMEM when
 * reading cannot go on. */
int ermes_log_reader_next(ermes_log_reader_t *r, ermes_log_record_t *rec, ermes_diag_t *d);

/* The format in use (after auto-detection), and counters. */
ermes_log_format_t ermes_log_reader_format(const ermes_log_reader_t *r);
typedef struct ermes_log_stats {
    uint64_t records, skipped, bytes, lines;
    uint64_t rotations; /* follow mode: reopened after rotation or truncation */
} ermes_log_stats_t;
void ermes_log_reader_stats(const ermes_log_reader_t *r, ermes_log_stats_t *out);

/* ---- hits: what the tailer and the retro-hunt report (stored as sightings)
 * ------------------------------------ */

/* One indicator seen in one field of one log record. Everything is borrowed and valid only
 * during the callback. */
typedef struct ermes_detect_hit {
    const char *source; /* the log file's path */
    int64_t offset;     /* byte offset of the record: in the file (tailer) or in
                           the decompressed stream (retro-hunt) */
    long line;          /* 1-based line number, as offset */
    const char *field;  /* "dns.rrname", "line", ... */
    const char *value;  /* the value as written in the field (not NUL-terminated) */
    size_t value_len;
    uint32_t indicator;               /* the indicator's id in the matcher's set */
    const ermes_matcher_t *matcher;   /* the matcher that matched: ermes_matcher_value() and
                                         ermes_matcher_indicator() describe the indicator */
    const ermes_log_record_t *record; /* the whole record (time, sensor, endpoints, fields) */
} ermes_detect_hit_t;

/* Called once per (record, indicator, field). Returns 0 to go on; non-zero is a failure of
 * the sink (the tailer delivers the record again later, the retro-hunt fails). */
typedef int (*ermes_detect_hit_cb)(void *ctx, const ermes_detect_hit_t *s);

/* ---- the tailer: configured log files followed in a thread ----------------------------------- */

typedef struct ermes_tail_file {
    const char *path;          /* borrowed (copied by ermes_tail_new) */
    ermes_log_format_t format; /* ERMES_LOG_AUTO, _EVE, _ZEEK or _LINES (not CSV) */
} ermes_tail_file_t;

/* Parses a detect_logs setting: "FORMAT:PATH,FORMAT:PATH,..." where FORMAT is auto, eve, zeek
 * or lines and may be left out with its colon (auto). *files (caller frees with
 * ermes_tail_files_free(), paths included) and *n receive the list. Returns 0, ERMES_EINVAL
 * (reason in d) or ERMES_ENOMEM. */
int ermes_tail_files_parse(const char *spec, ermes_tail_file_t **files, size_t *n, ermes_diag_t *d);
void ermes_tail_files_free(ermes_tail_file_t *files, size_t n);

typedef struct ermes_tail_options {
    const char *state_dir; /* directory of the position file "tail.state"; NULL: positions
                              are not kept (every start begins as a first start) */
    int poll_ms;           /* how often files at their end are looked at again; 0 = 250 */
    int start_at_end;      /* a file without a saved position: 1 = from its current end (only
                              new records), 0 = from its beginning */
    size_t max_line;       /* 0 = 1 MiB; longer records are skipped */
} ermes_tail_options_t;

typedef struct ermes_tail ermes_tail_t;

typedef struct ermes_tail_stats {
    uint64_t records;   /* records parsed */
    uint64_t skipped;   /* malformed or over-long records */
    uint64_t sightings; /* sink calls */
    uint64_t rotations; /* files reopened after rotation or rewound after truncation */
    uint64_t sink_failures;
    uint64_t bytes;  /* bytes read */
    int state_error; /* 0 or the last ERMES_E* code of writing the position file */
} ermes_tail_stats_t;

/* A tailer of files[0..n) (borrowed, copied) matching against the current matcher of slot
 * (borrowed; must outlive the tailer), reporting to sink_cb with ctx. Saved positions are read
 * from opts->state_dir: a file whose device and inode are those saved resumes at the saved
 * offset; one rotated away while the tailer was down is looked for by its inode in the same
 * directory and finished first. Caller frees with ermes_tail_free(). Returns 0, ERMES_EINVAL
 * (reason in d), ERMES_EIO (unreadable state file, reason in d) or ERMES_ENOMEM. */
int ermes_tail_new(ermes_matcher_slot_t *slot, const ermes_tail_file_t *files, size_t n,
                   const ermes_tail_options_t *opts, ermes_detect_hit_cb sink_cb, void *ctx,
                   ermes_tail_t **out, ermes_diag_t *d);
/* Reads every file up to its current end once, in the calling thread (tests, one-shot use);
 * records, sightings and the saved positions are as the thread would leave them. Returns 0 or
 * the first ERMES_E* code (the other files are still read); ERMES_EINVAL while the thread
 * runs. */
int ermes_tail_poll(ermes_tail_t *t);
/* Starts the tailing thread. Returns 0, ERMES_EINVAL (already running) or ERMES_ENOMEM. */
int ermes_tail_start(ermes_tail_t *t);
/* Asks the thread to stop and waits for it (well under 2 s); positions are saved. */
void ermes_tail_stop(ermes_tail_t *t);
/* Thread-safe counters. */
void ermes_tail_stats(ermes_tail_t *t, ermes_tail_stats_t *out);
/* Stops the thread if running and frees. NULL is a no-op. */
void ermes_tail_free(ermes_tail_t *t);

/* ---- retro-hunt: an archive rescanned for new indicators ------------------------------------- */

typedef enum ermes_retro_state {
    ERMES_RETRO_QUEUED = 0,
    ERMES_RETRO_RUNNING,
    ERMES_RETRO_DONE,
    ERMES_RETRO_FAILED,
    ERMES_RETRO_CANCELLED
} ermes_retro_state_t;

/* "queued", "running", "done", "failed", "cancelled". */
const char *ermes_retro_state_name(ermes_retro_state_t s);

typedef struct ermes_retro_options {
    ermes_log_format_t format; /* AUTO: by the file's name (eve, zeek's log names, .csv), else by
                                  its first record */
    int no_prefilter;          /* parse every record even with few indicators (comparisons) */
    size_t max_files;          /* 0 = 1,000,000 */
    size_t max_line;           /* 0 = 16 MiB */
} ermes_retro_options_t;

typedef struct ermes_retro_progress {
    ermes_retro_state_t state;
    uint64_t files_total, files_done, files_failed;
    uint64_t bytes_total, bytes_done; /* on disk (compressed) */
    uint64_t bytes_scanned;           /* decompressed */
    uint64_t records;                 /* lines read (with the prefilter, most are not parsed) */
    uint64_t skipped;                 /* malformed records among those parsed */
    uint64_t matches;                 /* sightings reported */
    char current[256];                /* the file being scanned */
    char error[256];                  /* why the job failed, or the last unreadable file */
} ermes_retro_progress_t;

typedef struct ermes_retro ermes_retro_t;

/* A job scanning every regular file under archive_dir (recursively; plain, gzip or zstd, by
 * magic) with m (retained; typically built from only the new indicators) and calling sink_cb
 * per sighting. opts may be NULL. Nothing runs before ermes_retro_run or _start. Caller frees
 * with ermes_retro_free(). Returns 0, ERMES_EINVAL or ERMES_ENOMEM. */
int ermes_retro_new(const char *archive_dir, ermes_matcher_t *m, const ermes_retro_options_t *opts,
                    ermes_detect_hit_cb sink_cb, void *ctx, ermes_retro_t **out);
/* Runs the job in the calling thread. Returns 0 when it ended done or cancelled (the state in
 * the progress tells which), else the failure's ERMES_E* code (an unreadable archive
 * directory: ERMES_EIO; a failing sink: ERMES_EIO; ERMES_ENOMEM), the reason in the progress's
 * error. A file that cannot be read or decoded is counted in files_failed and the job goes on. */
int ermes_retro_run(ermes_retro_t *job);
/* Runs the job in a thread of its own. Returns 0, ERMES_EINVAL (started before), ERMES_ENOMEM. */
int ermes_retro_start(ermes_retro_t *job);
/* Asks the job to stop; it ends within one buffer's worth of work as cancelled. Any thread. */
void ermes_retro_cancel(ermes_retro_t *job);
/* Waits for a started job; returns what ermes_retro_run returned. */
int ermes_retro_wait(ermes_retro_t *job);
/* A consistent snapshot of the progress. Any thread. */
void ermes_retro_progress(ermes_retro_t *job, ermes_retro_progress_t *out);
/* Cancels and waits for a running job, then frees. NULL is a no-op. */
void ermes_retro_free(ermes_retro_t *job);

#endif
