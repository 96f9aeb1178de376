/* The generic CSV parser: a column mapping turns any CSV into events. Modelled on IntelMQ's
 * generic parser_csv.py, option for option:
 *
 *   columns=a|b|__IGNORE__|extra.x   the field of each column in order ("__IGNORE__" or empty:
 *                                    skipped). A column may list alternatives, the first that
 *                                    takes the value wins: "source.ip/source.network". When the
 *                                    value holds ',' (IntelMQ's own syntax, possible through the
 *                                    API), columns are split at ',' and alternatives at '|'.
 *   columns_required=true|true|false whether a column whose value fits no field fails the row
 *                                    (default: all required).
 *   delimiter=,                      one character; "\t" or "tab" for a tab.
 *   skip_header=false                true, or the number of leading records to skip.
 *   type=                            classification.type of rows that set none.
 *   type_translation.<value>=<type>  maps a classification.type column's values.
 *   default_url_protocol=http://     prefix for *.url values without "://".
 *   time_format=auto                 of time.source: auto, epoch (timestamp), epoch_ms
 *                                    (epoch_millis), windows_nt, http.
 *   filter_text= filter_type=        blacklist/whitelist: rows (not) containing the text.
 *   compose.<field>=http://{0}{1}    a field from other columns ({N}: column N).
 *   regex.<field>=[0-9]+             keep only the first match of the POSIX ERE in the value.
 *   data_type.<field>=json           the value is JSON (for extra.* fields).
 *
 * As in IntelMQ, lines that start with '#' (after blanks), blank lines and NUL bytes are not
 * data. A row that a filter excludes is reported as rejected ("filtered out"), so that every
 * line of the report is accounted for. */
#include "intake/parsers/feedparse.h"

#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/strbuf.h"

#define MAX_COLUMNS 512
#define MAX_ALTS 8
#define MAX_RULES 64

enum { TF_AUTO, TF_EPOCH, TF_EPOCH_MS, TF_WINDOWS_NT, TF_HTTP };

typedef struct key {
    const char *name;    /* into the options copy */
    ermes_field_t field; /* ERMES_F_COUNT: extra.* */
    int ignore;
    int json;       /* data_type json */
    regex_t *regex; /* column_regex_search, or NULL */
} key_t_;

typedef struct column {
    key_t_ keys[MAX_ALTS];
    size_t nkeys;
    int required;
} column_t;

typedef struct rule {
    const char *key;   /* field name or value */
    const char *value; /* format or type */
} rule_t;

typedef struct generic_csv {
    ermes_csv_t *csv;
    int csv_is_report; /* the reader reads the report itself, not a prefiltered copy */
    ermes__fp_feed_t feed;
    char *opts;        /* one copy of every option we keep pointers into */
    char *column_spec; /* columns= and columns_required=, cut up in place */
    char *required_spec;
    char *filtered; /* the report without comments and blank lines, or NULL */
    long *line_map; /* filtered line -> report line */
    size_t nlines;
    column_t *columns;
    size_t ncolumns;
    char delimiter;
    int lenient; /* read as Python's csv does (strict_quotes=false, the default) */
    long skip;
    const char *type;
    const char *url_protocol;
    int time_format;
    const char *filter_text;
    int filter_whitelist;
    rule_t compose[MAX_RULES], translate[MAX_RULES];
    size_t ncompose, ntranslate;
    regex_t regexes[MAX_RULES];
    size_t nregexes;
    ermes__strbuf_t scratch;
} generic_csv_t;

static void generic_close(void *state)
{
    generic_csv_t *s = state;
    if (!s)
        return;
    ermes_csv_free(s->csv);
    for (size_t i = 0; i < s->nregexes; i++)
        regfree(&s->regexes[i]);
    ermes__strbuf_cleanup(&s->scratch);
    ermes__free(s->columns);
    ermes__free(s->filtered);
    ermes__free(s->line_map);
    ermes__free(s->opts);
    ermes__free(s->column_spec);
    ermes__free(s->required_spec);
    ermes__free(s);
}

/* Copies the report's options into one buffer; *copies gets NULL-terminated pointers. */
static int copy_options(generic_csv_t *s, const ermes__report_info_t *info)
{
    size_t total = 0, n = 0;
    char *p;

    for (const char *const *o = info->options; o && *o; o++, n++)
        total += strlen(*o) + 1;
    s->opts = ermes__malloc(total + 1);
    if (!s->opts)
        return ERMES_ENOMEM;
    p = s->opts;
    for (const char *const *o = info->options; o && *o; o++) {
        size_t l = strlen(*o) + 1;
        memcpy(p, *o, l);
        p += l;
    }
    *p = '\0';
    return 0;
}

/* The value of option key in our copy, or NULL. */
static char *option(generic_csv_t *s, const char *key)
{
    size_t n = strlen(key);
    for (char *p = s->opts; *p; p += strlen(p) + 1)
        if (strncmp(p, key, n) == 0 && p[n] == '=')
            return p + n + 1;
    return NULL;
}

static char *trim_inplace(char *p)
{
    char *e;
    while (*p == ' ' || *p == '\t')
        p++;
    e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return p;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "1") || !strcmp(v, "yes"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "0") || !strcmp(v, "no"))
        *out = 0;
    else
        return ERMES_EINVAL;
    return 0;
}

static key_t_ *find_key(generic_csv_t *s, const char *name)
{
    for (size_t c = 0; c < s->ncolumns; c++)
        for (size_t k = 0; k < s->columns[c].nkeys; k++)
            if (strcmp(s->columns[c].keys[k].name, name) == 0)
                return &s->columns[c].keys[k];
    return NULL;
}

static int parse_columns(generic_csv_t *s, char *spec, ermes_diag_t *d)
{
    int intelmq_syntax = strchr(spec, ',') != NULL;
    char col_sep = intelmq_syntax ? ',' : '|', alt_sep = intelmq_syntax ? '|' : '/';
    char *p = spec;

    s->columns = ermes__calloc(MAX_COLUMNS, sizeof(column_t));
    if (!s->columns)
        return ERMES_ENOMEM;
    for (;;) {
        char *end = strchr(p, col_sep), *q;
        column_t *c;
        if (s->ncolumns == MAX_COLUMNS) {
            ermes_diag_set(d, "columns", "more than %d columns", MAX_COLUMNS);
            return ERMES_EINVAL;
        }
        if (end)
            *end = '\0';
        c = &s->columns[s->ncolumns++];
        c->required = 1;
        q = p;
        for (;;) {
            char *aend = strchr(q, alt_sep), *name;
            key_t_ *k;
            if (aend)
                *aend = '\0';
            if (c->nkeys == MAX_ALTS) {
                ermes_diag_set(d, "columns", "more than %d alternatives in a column", MAX_ALTS);
                return ERMES_EINVAL;
            }
            k = &c->keys[c->nkeys++];
            name = trim_inplace(q);
            k->name = name;
            k->field = ERMES_F_COUNT;
            if (!*name || strcmp(name, "__IGNORE__") == 0) {
                k->ignore = 1;
            } else if (strncmp(name, "extra.", 6) != 0 &&
                       (k->field = ermes_field_lookup(name, strlen(name))) == ERMES_F_COUNT) {
                ermes_diag_set(d, "columns", "column %zu: \"%s\" is not a field", s->ncolumns,
                               name);
                return ERMES_EINVAL;
            }
            if (!aend)
                break;
            q = aend + 1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* Lines IntelMQ removes before reading the CSV: '#' after blanks, blank lines; and NUL bytes.
 * When there are any, the parser reads a filtered copy and maps line numbers back. */
static int prefilter(generic_csv_t *s, const char *data, size_t len, const char **out,
                     size_t *outlen)
{
    ermes__fp_lines_t c;
    ermes__fp_str_t line;
    size_t kept = 0, lines = 0;
    int needed = memchr(data, '\0', len) != NULL;
    char *w;

    ermes__fp_lines_init(&c, data, len);
    while (ermes__fp_lines_next(&c, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        lines++;
        if (t.len == 0 ||
            (line.len && (t.p[0] == '#') && strspn(line.p, " \t") == (size_t)(t.p - line.p)))
            needed = 1;
    }
    if (!needed) {
        *out = data;
        *outlen = len;
        return 0;
    }
    s->filtered = ermes__malloc(len + 1);
    s->line_map = ermes__calloc(lines + 1, sizeof(long));
    if (!s->filtered || !s->line_map)
        return ERMES_ENOMEM;
    w = s->filtered;
    ermes__fp_lines_init(&c, data, len);
    while (ermes__fp_lines_next(&c, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        size_t lead = (size_t)(t.p - line.p);
        if (t.len == 0 || (t.p[0] == '#' && strspn(line.p, " \t") >= lead))
            continue;
        for (size_t i = 0; i < line.len; i++)
            if (line.p[i] != '\0')
                *w++ = line.p[i];
        *w++ = '\n';
        s->line_map[kept++] = c.line;
    }
    s->nlines = kept;
    *out = s->filtered;
    *outlen = (size_t)(w - s->filtered);
    return 0;
}

static int generic_open(const ermes__report_info_t *info, const char *data, size_t len,
                        void **state, ermes_diag_t *d)
{
    generic_csv_t *s = ermes__calloc(1, sizeof(*s));
    ermes_csv_options_t copts;
    const char *csvdata;
    size_t csvlen;
    char *v;
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__strbuf_init(&s->scratch, 1u << 20);
    if ((rc = ermes__fp_feed_init(&s->feed, info, NULL, NULL, d)) || (rc = copy_options(s, info)))
        goto out;
    rc = ERMES_EINVAL;
    if (!(v = option(s, "columns")) || !*v) {
        ermes_diag_set(d, "columns", "the generic CSV parser needs the option columns=");
        goto out;
    }
    rc = ERMES_ENOMEM;
    if (!(s->column_spec = ermes__strdup(v)))
        goto out;
    if ((rc = parse_columns(s, s->column_spec, d)))
        goto out;
    rc = ERMES_EINVAL;
    if ((v = option(s, "columns_required"))) {
        if (!(s->required_spec = ermes__strdup(v))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        v = s->required_spec;
        char sep = strchr(v, ',') ? ',' : '|';
        size_t i = 0;
        for (char *p = v;; i++) {
            char *end = strchr(p, sep);
            int b;
            if (end)
                *end = '\0';
            if (i >= s->ncolumns || parse_bool(trim_inplace(p), &b)) {
                ermes_diag_set(d, "columns_required",
                               "columns_required must be one true/false per column");
                goto out;
            }
            s->columns[i].required = b;
            if (!end)
                break;
            p = end + 1;
        }
        if (i + 1 != s->ncolumns) {
            ermes_diag_set(d, "columns_required", "columns_required has %zu values for %zu columns",
                           i + 1, s->ncolumns);
            goto out;
        }
    }
    s->delimiter = ',';
    if ((v = option(s, "delimiter")) && *v) {
        if (!strcmp(v, "\\t") || !strcmp(v, "tab") || !strcmp(v, "\t"))
            s->delimiter = '\t';
        else if (!strcmp(v, "space"))
            s->delimiter = ' ';
        else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n' && v[0] != '\r')
            s->delimiter = v[0];
        else {
            ermes_diag_set(d, "delimiter", "delimiter must be one character, got \"%s\"", v);
            goto out;
        }
    }
    if ((v = option(s, "skip_header")) && *v) {
        int b;
        if (parse_bool(v, &b) == 0)
            s->skip = b;
        else if (ermes__parse_int(v, "skip_header", 0, INT_MAX, &b, NULL) == 0)
            s->skip = b;
        else {
            ermes_diag_set(d, "skip_header", "skip_header must be true, false or a count");
            goto out;
        }
    }
    /* IntelMQ's generic CSV parser reads with Python's csv module, which keeps text after a
     * closing quote; so does ermes unless the feed is known to be clean (strict_quotes=true:
     * such a row is quarantined as malformed). */
    s->lenient = 1;
    if ((v = option(s, "strict_quotes")) && *v) {
        int b;
        if (parse_bool(v, &b) != 0) {
            ermes_diag_set(d, "strict_quotes", "strict_quotes must be true or false");
            goto out;
        }
        s->lenient = !b;
    }
    if ((v = option(s, "type")) && *v)
        s->type = v;
    s->url_protocol = "http://";
    if ((v = option(s, "default_url_protocol")))
        s->url_protocol = v;
    if ((v = option(s, "time_format")) && *v) {
        static const struct {
            const char *name;
            int format;
        } tf[] = {
            {"auto", TF_AUTO},         {"epoch", TF_EPOCH},           {"timestamp", TF_EPOCH},
            {"epoch_ms", TF_EPOCH_MS}, {"epoch_millis", TF_EPOCH_MS}, {"windows_nt", TF_WINDOWS_NT},
            {"http", TF_HTTP}};
        size_t i;
        for (i = 0; i < sizeof(tf) / sizeof(tf[0]); i++)
            if (!strcmp(v, tf[i].name))
                break;
        if (i == sizeof(tf) / sizeof(tf[0])) {
            ermes_diag_set(d, "time_format",
                           "time_format must be auto, epoch, epoch_ms, windows_nt or http");
            goto out;
        }
        s->time_format = tf[i].format;
    }
    {
        char *ft = option(s, "filter_text"), *ftype = option(s, "filter_type");
        if (ft && *ft && ftype && *ftype) {
            if (strcmp(ftype, "whitelist") && strcmp(ftype, "blacklist")) {
                ermes_diag_set(d, "filter_type", "filter_type must be blacklist or whitelist");
                goto out;
            }
            s->filter_text = ft;
            s->filter_whitelist = !strcmp(ftype, "whitelist");
        }
    }
    for (char *p = s->opts, *next; *p; p = next) {
        char *eq = strchr(p, '=');
        next = p + strlen(p) + 1;
        if (!eq)
            continue;
        if (!strncmp(p, "compose.", 8) || !strncmp(p, "type_translation.", 17)) {
            int compose = p[0] == 'c';
            rule_t *r = compose ? &s->compose[s->ncompose] : &s->translate[s->ntranslate];
            if ((compose ? s->ncompose : s->ntranslate) == MAX_RULES) {
                ermes_diag_set(d, p, "too many %s options", compose ? "compose" : "translation");
                goto out;
            }
            *eq = '\0';
            r->key = p + (compose ? 8 : 17);
            r->value = eq + 1;
            if (compose && ermes_field_lookup(r->key, strlen(r->key)) == ERMES_F_COUNT &&
                strncmp(r->key, "extra.", 6)) {
                ermes_diag_set(d, "compose", "compose.%s: not a field", r->key);
                goto out;
            }
            if (compose)
                s->ncompose++;
            else
                s->ntranslate++;
        } else if (!strncmp(p, "regex.", 6) || !strncmp(p, "data_type.", 10)) {
            int regex = p[0] == 'r';
            key_t_ *k;
            *eq = '\0';
            k = find_key(s, p + (regex ? 6 : 10));
            if (!k) {
                ermes_diag_set(d, p, "%s: no column maps to that field", p);
                goto out;
            }
            if (regex) {
                if (s->nregexes == MAX_RULES ||
                    regcomp(&s->regexes[s->nregexes], eq + 1, REG_EXTENDED)) {
                    ermes_diag_set(d, p, "%s: not a valid regular expression", p);
                    goto out;
                }
                k->regex = &s->regexes[s->nregexes++];
            } else if (strcmp(eq + 1, "json") == 0) {
                k->json = 1;
            } else {
                ermes_diag_set(d, p, "%s: the only data type is json", p);
                goto out;
            }
        }
    }
    if ((rc = prefilter(s, data, len, &csvdata, &csvlen)))
        goto out;
    memset(&copts, 0, sizeof(copts));
    copts.delimiter = s->delimiter;
    copts.max_fields = MAX_COLUMNS * 4;
    copts.lenient = s->lenient;
    if ((rc = ermes_csv_new_mem(csvdata, csvlen, &copts, &s->csv)))
        goto out;
    s->csv_is_report = csvdata == data;
    *state = s;
    return 0;
out:
    generic_close(s);
    return rc;
}

/* Converts a time.source value per time_format into canonical text in buf. */
static int convert_time(generic_csv_t *s, ermes__fp_str_t v, char *buf, size_t *len,
                        const char *field, ermes_diag_t *d)
{
    int64_t sec, n;
    int32_t usec = 0;
    int rc;

    v = ermes__fp_trim(v);
    switch (s->time_format) {
    case TF_EPOCH_MS:
        /* As IntelMQ: 10 digits are seconds, 13 are milliseconds (the milliseconds dropped). */
        if (ermes__fp_int(v, &n))
            return ermes__fp_reject(d, "%s: \"%.*s\" is not epoch milliseconds", field, (int)v.len,
                                    v.p);
        sec = v.len <= 10 ? n : n / 1000;
        break;
    case TF_WINDOWS_NT:
        if (ermes__fp_int(v, &n))
            return ermes__fp_reject(d, "%s: \"%.*s\" is not a Windows NT time", field, (int)v.len,
                                    v.p);
        sec = n / 10000000 - 11644473600LL;
        usec = (int32_t)(n % 10000000 / 10);
        break;
    case TF_EPOCH:
        if (ermes__fp_int(v, &sec) && (rc = ermes__fp_parse_time(v, &sec, &usec, field, d)))
            return rc;
        break;
    default:
        if ((rc = ermes__fp_parse_time(v, &sec, &usec, field, d)))
            return rc;
    }
    *len = ermes__fp_format_time(sec, usec, buf);
    return 0;
}

/* Tries key for value; 1: taken (or nothing to take), 0: does not fit, <0: fatal. */
static int try_key(generic_csv_t *s, const key_t_ *k, ermes__fp_str_t v, ermes_event_t *ev,
                   ermes_diag_t *d)
{
    char tbuf[48];
    int rc;

    if (k->regex) {
        regmatch_t m;
        char tmp[4096];
        size_t n = v.len < sizeof(tmp) - 1 ? v.len : sizeof(tmp) - 1;
        memcpy(tmp, v.p, n);
        tmp[n] = '\0';
        /* No match: IntelMQ adds nothing and counts the column as done. */
        if (regexec(k->regex, tmp, 1, &m, 0) != 0 || m.rm_so < 0)
            return 1;
        v.p += m.rm_so;
        v.len = (size_t)(m.rm_eo - m.rm_so);
    }
    if (ermes__fp_is_none(v))
        return 1;
    if (k->field == ERMES_F_TIME_SOURCE) {
        size_t n = 0;
        if (convert_time(s, v, tbuf, &n, k->name, d))
            return 0;
        v.p = tbuf;
        v.len = n;
    } else if (k->field == ERMES_F_CLASSIFICATION_TYPE && s->ntranslate) {
        size_t i;
        ermes__fp_str_t t = ermes__fp_trim(v);
        for (i = 0; i < s->ntranslate; i++)
            if (ermes__fp_eq(t, s->translate[i].key))
                break;
        if (i < s->ntranslate) {
            v.p = s->translate[i].value;
            v.len = strlen(v.p);
        } else if (!s->type) {
            return 0;
        }
    } else if (strlen(k->name) > 4 && !strcmp(k->name + strlen(k->name) - 4, ".url") &&
               ermes__fp_find(v, "://") < 0) {
        ermes__fp_str_t t = ermes__fp_trim(v);
        ermes__strbuf_reset(&s->scratch);
        if ((rc = ermes__strbuf_adds(&s->scratch, s->url_protocol)) ||
            (rc = ermes__strbuf_add(&s->scratch, t.p, t.len)))
            return rc;
        v.p = s->scratch.data;
        v.len = s->scratch.len;
    }
    if (k->field == ERMES_F_COUNT)
        rc =
            ermes__fp_extra(ev, k->name + 6, v, k->json ? ERMES_EXTRA_JSON : ERMES_EXTRA_STRING, d);
    else
        rc = ermes__fp_set(ev, k->field, v, d);
    if (rc == ERMES_ENOMEM)
        return rc;
    return rc == 0;
}

static int generic_row(generic_csv_t *s, const ermes_csv_record_t *rec, ermes_event_t *ev,
                       ermes_diag_t *d)
{
    size_t n = rec->nfields < s->ncolumns ? rec->nfields : s->ncolumns;
    int rc;

    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        return rc;
    for (size_t c = 0; c < n; c++) {
        const column_t *col = &s->columns[c];
        ermes__fp_str_t v = {rec->fields[c], rec->lengths[c]};
        int taken = 0;
        if (v.len == 0)
            continue;
        for (size_t k = 0; k < col->nkeys && !taken; k++) {
            if (col->keys[k].ignore) {
                taken = 1;
                break;
            }
            if ((taken = try_key(s, &col->keys[k], v, ev, d)) < 0)
                return taken;
        }
        if (!taken && col->required) {
            if (!d->reason[0])
                ermes_diag_set(d, col->keys[col->nkeys - 1].name, "invalid value \"%.*s\" for %s",
                               (int)v.len, v.p, col->keys[col->nkeys - 1].name);
            return ERMES_EINVAL;
        }
        d->reason[0] = '\0';
    }
    for (size_t i = 0; i < s->ncompose; i++) {
        /* "{0}{1}": the columns' values. */
        ermes__strbuf_reset(&s->scratch);
        for (const char *p = s->compose[i].value; *p; p++) {
            const char *end = *p == '{' ? strchr(p, '}') : NULL;
            int64_t idx;
            if (end && ermes__parse_int64_n(p + 1, (size_t)(end - p - 1), "column", 0, INT64_MAX,
                                            &idx, NULL) == 0) {
                {
                    if (idx < 0 || (size_t)idx >= rec->nfields)
                        return ermes__fp_reject(d, "compose.%s: no column %ld", s->compose[i].key,
                                                idx);
                    if ((rc = ermes__strbuf_add(&s->scratch, rec->fields[idx], rec->lengths[idx])))
                        return rc;
                    p = end;
                    continue;
                }
            }
            if ((rc = ermes__strbuf_addc(&s->scratch, *p)))
                return rc;
        }
        if ((rc = ermes_event_set_name(ev, s->compose[i].key,
                                       s->scratch.data ? s->scratch.data : "", s->scratch.len, d)))
            return rc;
    }
    if (s->type && !ermes_event_get(ev, ERMES_F_CLASSIFICATION_TYPE, NULL) &&
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, s->type, d)))
        return rc;
    return 0;
}

/* Whether the row passes filter_text/filter_type (checked on the fields joined by the
 * delimiter, as IntelMQ does). */
static int filtered_out(generic_csv_t *s, const ermes_csv_record_t *rec)
{
    int found;

    if (!s->filter_text)
        return 0;
    ermes__strbuf_reset(&s->scratch);
    for (size_t i = 0; i < rec->nfields; i++) {
        if (i)
            ermes__strbuf_addc(&s->scratch, s->delimiter);
        ermes__strbuf_add(&s->scratch, rec->fields[i], rec->lengths[i]);
    }
    found = s->scratch.data && strstr(s->scratch.data, s->filter_text) != NULL;
    return s->filter_whitelist ? !found : found;
}

static int generic_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    generic_csv_t *s = state;
    ermes_csv_record_t rec;
    int rc;

    for (;;) {
        rc = ermes_csv_next(s->csv, &rec, d);
        if (rc == 0)
            return 0;
        if (s->line_map && rec.line >= 1 && (size_t)rec.line <= s->nlines)
            rec.line = s->line_map[rec.line - 1];
        row->line = rec.line;
        row->raw = rec.raw;
        row->raw_len = rec.raw_len;
        /* offsets are the report's own unless a prefilter rewrote the bytes */
        row->has_offset = s->csv_is_report;
        row->offset = rec.offset;
        d->line = rec.line;
        if (rc < 0)
            return rc;
        if (s->skip > 0) {
            s->skip--;
            continue;
        }
        if (filtered_out(s, &rec))
            return ermes__fp_reject(d, "filtered out: the row %s \"%s\"",
                                    s->filter_whitelist ? "does not contain" : "contains",
                                    s->filter_text);
        rc = generic_row(s, &rec, ev, d);
        return rc ? rc : 1;
    }
}

const ermes__parser_def_t ermes__parser_generic_csv = {
    "generic-csv", "Any CSV with a column mapping (options: columns=, delimiter=, type=, ...)",
    generic_open, generic_next, generic_close};
