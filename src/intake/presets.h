/* The feed catalogue: named presets of the public feeds a European CERT subscribes to, shipped
 * in the binary. A preset is what a [collector "NAME"] section needs (URL, parser, options,
 * headers, schedule) plus what a person needs to choose it (provider, documentation, TLP, what
 * it asks for). `ermes collectors presets`, GET /api/v1/collector-presets and the collectors
 * screen list them; `ermes collectors add --preset NAME` writes the section. */
#ifndef ERMES_INTAKE_PRESETS_H
#define ERMES_INTAKE_PRESETS_H

#include <stddef.h>

#include "ermes/error.h"

/* What a preset asks of the user, written into its URL, headers or options where "{value}"
 * appears. */
typedef enum {
    ERMES_PRESET_NEEDS_NOTHING = 0,
    ERMES_PRESET_NEEDS_API_KEY,     /* the provider's API key */
    ERMES_PRESET_NEEDS_CREDENTIALS, /* "user:password" of the provider's account (HTTP basic) */
    ERMES_PRESET_NEEDS_ASN,         /* an AS number, digits only */
    /* "KEY:SECRET": an API key ({key}) and the secret that signs requests ({secret}) */
    ERMES_PRESET_NEEDS_KEY_SECRET,
    /* an Azure Blob Storage container's URL with its SAS token as query ({value}) */
    ERMES_PRESET_NEEDS_CONTAINER_URL,
} ermes__preset_needs_t;

#define ERMES_PRESET_MAX_LIST 12

typedef struct ermes__preset {
    const char *name;                           /* "abusech-feodo": letters, digits, '-' */
    const char *provider;                       /* "abuse.ch" */
    const char *title;                          /* one line */
    const char *url;                            /* may hold "{value}" */
    const char *parser;                         /* a parser of parsers.c */
    const char *options[ERMES_PRESET_MAX_LIST]; /* "key=value", NULL-terminated */
    const char *headers[4];                     /* "Name: value", may hold "{value}" */
    long interval;                              /* seconds */
    const char *tlp;                            /* of what the feed says: "CLEAR", "AMBER" */
    const char *doc;                            /* the provider's documentation */
    ermes__preset_needs_t needs;
    const char *content; /* "gzip": the file is gzipped (content = gzip); NULL: raw */
    /* More "key = value" lines of the section (list mode, signing: collect_list.c), may hold
     * "{value}", "{key}", "{secret}"; NULL-terminated. */
    const char *lines[ERMES_PRESET_MAX_LIST];
    /* The sample its parser is tested on (tests/unit/test_presets.c): under ../shared or
     * "local:" under tests/data/presets. */
    const char *sample;
} ermes__preset_t;

/* NULL-terminated, in catalogue order. */
extern const ermes__preset_t *const ermes__presets[];

const ermes__preset_t *ermes__preset_find(const char *name);
/* "nothing", "api_key", "credentials", "asn", "api_key_secret", "container_url". */
const char *ermes__preset_needs_name(ermes__preset_needs_t n);

/* The [collector "name"] section for preset p with value (what p needs; NULL when it needs
 * nothing), appended to out (a NUL-terminated string of cap bytes). ERMES_EINVAL with the
 * reason in d when the value is missing, unneeded or unfit (white space, quotes, '{', a
 * non-numeric ASN) or name is not a collector name. */
int ermes__preset_section(const ermes__preset_t *p, const char *name, const char *value, char *out,
                          size_t cap, ermes_diag_t *d);

/* A collector's URL as it may be shown (the API, `ermes collectors --json`): when it is the URL
 * of a preset that writes its credential into the URL's path (PhishTank's key is a path
 * segment), that segment is replaced by "(credential)" in place (cap bytes). A config file's
 * section written by `ermes collectors add --to-config` holds the URL with the key in it, and
 * nothing else tells which part is the key. */
void ermes__preset_url_redact(char *url, size_t cap);

struct json_t;
/* The preset as the API shows it (never a value: there is none in a preset). */
struct json_t *ermes__preset_to_json(const ermes__preset_t *p);

#endif
