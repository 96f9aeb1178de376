/* Internals shared by the detection engine's files (src/detect/). The public API is
 * include/ermes/detect.h. */
#ifndef ERMES_DETECT_DETECT_INT_H
#define ERMES_DETECT_DETECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"

#define DET_NONE UINT32_MAX
#define DET_MAX_KEY 8192 /* longest normalised key (URLs); longer values are rejected */

/* One indicator, compactly: its key (the normalised value) lives in the key pool, its source
 * and tags in the string pool (interned), so a set of ten million indicators costs about 40
 * bytes per indicator here plus its key. The set and the compiled matcher share the layout, so
 * building a matcher copies the array in one go. */
typedef struct det_ind {
    uint32_t key_off; /* into the key pool */
    uint32_t next;    /* matcher: next indicator with the same key, DET_NONE at the end */
    int64_t valid_from, valid_until;
    uint32_t source, tags; /* offsets into the string pool; 0 is "" */
    uint16_t key_len;
    uint8_t type;  /* ermes_ind_type_t */
    uint8_t flags; /* ERMES_IND_EXACT, ERMES_IND_SUPPRESSED */
    int8_t confidence;
    int8_t tlp;
    uint8_t pad[2];
} det_ind_t;

/* A growable byte pool with 32-bit offsets. */
typedef struct det_pool {
    char *data;
    size_t len, cap;
} det_pool_t;

int ermes__det_pool_add(det_pool_t *p, const void *s, size_t n, uint32_t *off);

struct ermes_indicator_set {
    det_ind_t *inds;
    size_t n, cap;
    det_pool_t keys;
    det_pool_t strs;  /* interned sources and tags; strs.data[0] == '\0' */
    uint32_t *intern; /* open addressing over strs offsets, 0 = empty */
    size_t intern_cap, intern_n;
};

/* Key encodings (what ermes__det_normalise writes):
 *   IPv4, IPv6, CIDR: family byte (4 or 6), prefix length byte, the masked address bytes;
 *   domain, URL, e-mail, JA4: the normalised text (lower case where the type is);
 *   MD5, SHA-1, SHA-256, SHA-512, JA3: the binary digest. */
int ermes__det_normalise(ermes_ind_type_t type, const char *s, size_t len, unsigned flags,
                         char *key, size_t cap, size_t *key_len, ermes_ind_type_t *type_out,
                         ermes_diag_t *d);

/* Formats an indicator's key as text. */
size_t ermes__det_key_format(ermes_ind_type_t type, const char *key, size_t key_len, char *buf,
                             size_t cap);

/* Hex decoding, case-insensitive: returns 0 or -1. */
int ermes__det_hex_decode(const char *s, size_t len, uint8_t *out);

/* The right-to-left string hash: the domain lookup walks label suffixes of an observed name and
 * needs each suffix's hash, which this order yields incrementally. */
static inline uint64_t det_hash_step(uint64_t h, unsigned char c)
{
    return (h ^ c) * 0x100000001b3ULL;
}
#define DET_HASH_SEED 0xcbf29ce484222325ULL
static inline uint64_t det_hash_final(uint64_t h, size_t len)
{
    h ^= (uint64_t)len * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}
static inline uint64_t det_hash(const char *s, size_t len)
{
    uint64_t h = DET_HASH_SEED;
    for (size_t i = len; i > 0; i--)
        h = det_hash_step(h, (unsigned char)s[i - 1]);
    return det_hash_final(h, len);
}

static inline unsigned char det_lower(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* ---- readers (src/detect/input.c, readers/) ---- */

/* The byte source under a reader: a file, stdin or memory; gzip/zstd decoded by magic. */
typedef struct det_input det_input_t;
int ermes__det_input_open(const char *path, int follow, int poll_ms, volatile int *stop,
                          det_input_t **out, ermes_diag_t *d);
int ermes__det_input_open_mem(const char *data, size_t len, det_input_t **out);
/* Reads up to cap bytes: the count, 0 at the end (in follow mode only when stopped), or a
 * negative ERMES_E* code. */
long ermes__det_input_read(det_input_t *in, char *buf, size_t cap, ermes_diag_t *d);
uint64_t ermes__det_input_rotations(const det_input_t *in);
void ermes__det_input_free(det_input_t *in);

/* Per-record output area of the readers. */
#define DET_MAX_FIELDS 256
typedef struct det_rec {
    ermes_log_record_t *rec;
    ermes_log_field_t fields[DET_MAX_FIELDS];
    size_t nfields;
    char *scratch; /* unescaped strings; reset per record */
    size_t scratch_len, scratch_cap;
    int overflow; /* too many fields or too much scratch: the rest was dropped */
} det_rec_t;

void ermes__det_rec_reset(det_rec_t *r, ermes_log_record_t *rec);
int ermes__det_rec_add(det_rec_t *r, const char *name, ermes_field_kind_t kind, const char *v,
                       size_t len);
/* Copies n bytes into scratch; NULL when full. */
char *ermes__det_rec_scratch(det_rec_t *r, const char *s, size_t n);
/* After all fields: "http://host" + path for path-only URL fields (EVE http.url, Zeek uri). */
void ermes__det_rec_compose_urls(det_rec_t *r, const char *host_field, const char *url_field);

/* JSON records (EVE and Zeek JSON): a fast scanner that extracts only the fields of the
 * format's table, with a jansson fallback when it sees something it does not handle. */
typedef enum det_json_table { DET_JSON_EVE, DET_JSON_ZEEK } det_json_table_t;
int ermes__det_json_record(det_json_table_t table, const char *line, size_t len, det_rec_t *r,
                           ermes_diag_t *d);

/* Zeek TSV: header state and records. */
typedef struct det_zeek_tsv det_zeek_tsv_t;
int ermes__det_zeek_tsv_new(det_zeek_tsv_t **out);
void ermes__det_zeek_tsv_free(det_zeek_tsv_t *z);
/* A "#..." header line (returns 0) or a data line (fills r; 1), or ERMES_EPARSE. */
int ermes__det_zeek_tsv_line(det_zeek_tsv_t *z, const char *line, size_t len, det_rec_t *r,
                             ermes_diag_t *d);
/* Field spec of a Zeek column name (shared by TSV and JSON); 0 if not looked at. */
#define DET_ROLE_FIELD 1u
#define DET_ROLE_TIME 2u
#define DET_ROLE_SENSOR 4u
#define DET_ROLE_SRC 8u
#define DET_ROLE_DST 16u
typedef struct det_fieldspec {
    const char *path;
    ermes_field_kind_t kind;
    unsigned roles;
} det_fieldspec_t;
const det_fieldspec_t *ermes__det_zeek_spec(const char *name, size_t len);

/* Applies the record roles (time, sensor, endpoints) of a matched spec. */
void ermes__det_rec_role(det_rec_t *r, const det_fieldspec_t *spec, const char *v, size_t len);

/* ---- readers fed line by line (src/detect/reader.c; used by tail.c and retro.c) ---- */

/* A reader without an input of its own: its caller splits the stream into lines and hands
 * them to ermes__det_reader_line(). Any format but CSV (ERMES_EUNSUPPORTED). Freed with
 * ermes_log_reader_free(). */
int ermes__det_reader_lines_new(const char *source, const ermes_log_options_t *opts,
                                ermes_log_reader_t **out);
/* Parses one line (without its newline) numbered lineno at stream offset offset: 1 with *rec
 * filled (valid until the next call), 0 when the line holds no record (blank, header,
 * comment), ERMES_EPARSE (reason in d; counted as skipped) or ERMES_ENOMEM. */
int ermes__det_reader_line(ermes_log_reader_t *r, const char *line, size_t len, long lineno,
                           int64_t offset, ermes_log_record_t *rec, ermes_diag_t *d);

/* Raw (compressed) bytes read so far from the input's file. */
uint64_t ermes__det_input_raw_bytes(const det_input_t *in);

/* ---- literal prefilter (src/detect/prefilter.c) ---- */

/* Strings at least one of which appears (ignoring ASCII case) in every line that can match
 * a given matcher: the retro-hunt skips, without parsing, the text between candidates. */
typedef struct det_prefilter det_prefilter_t;
/* Builds the prefilter of m; *out is NULL (no error) when some indicator has no literal form
 * (an IPv6 address, a URL, a network shorter than /8) or there are too many. json: the text
 * is JSON, whose \u escapes can hide any character (lines holding one are candidates). */
int ermes__det_prefilter_new(const ermes_matcher_t *m, int json, det_prefilter_t **out);
void ermes__det_prefilter_free(det_prefilter_t *pf);
/* The offset in p[0..len) of the first position where a literal starts, or len; *newlines
 * gets the number of '\n' bytes before that offset. */
size_t ermes__det_prefilter_find(const det_prefilter_t *pf, const char *p, size_t len,
                                 uint64_t *newlines);

#endif
