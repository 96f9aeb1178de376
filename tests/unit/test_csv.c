/* Tests of the streaming CSV reader (src/core/csv.c).
 *
 * Most tests turn everything the reader returns into a transcript, one line per call, and
 * compare it with the expected text. Every input is read several ways (from memory, and through
 * a callback delivering 1, 2, 3, 7 and 64 KiB bytes at a time) and all transcripts must be
 * identical: a record or an error split over reads must not change what is reported. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "ermes/csv.h"
#include "ermes/error.h"

#define TRANSCRIPT_MAX (1024 * 1024)

/* A read callback over a memory buffer that hands out at most step bytes per call. */
typedef struct slow_reader {
    const char *data;
    size_t len;
    size_t pos;
    size_t step;
} slow_reader_t;

static ssize_t slow_read_cb(void *ctx, char *buf, size_t cap)
{
    slow_reader_t *r = ctx;
    size_t n = r->len - r->pos;

    if (n > r->step)
        n = r->step;
    if (n > cap)
        n = cap;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static void add_escaped(ermes__strbuf_t *b, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '\n':
            assert_int_equal(ermes__strbuf_adds(b, "\\n"), 0);
            break;
        case '\r':
            assert_int_equal(ermes__strbuf_adds(b, "\\r"), 0);
            break;
        case '\0':
            assert_int_equal(ermes__strbuf_adds(b, "\\0"), 0);
            break;
        case '|':
            assert_int_equal(ermes__strbuf_adds(b, "\\|"), 0);
            break;
        default:
            assert_int_equal(ermes__strbuf_addc(b, s[i]), 0);
        }
    }
}

/* Reads everything from csv and describes it, one line per call of ermes_csv_next():
 *   "L<line>-<end_line> field|field|..."          a record
 *   "E<NAME> <line>:<column> @<offset> <reason> raw=<raw>"  a bad record
 * Fatal errors end the transcript with "F<NAME>". The caller frees the result. */
static char *transcript_of(ermes_csv_t *csv)
{
    ermes__strbuf_t b;
    ermes_csv_record_t rec;
    ermes_diag_t d;
    size_t i;
    int rc;

    ermes__strbuf_init(&b, TRANSCRIPT_MAX);
    assert_int_equal(ermes__strbuf_adds(&b, ""), 0);
    for (;;) {
        memset(&rec, 0, sizeof(rec));
        ermes_diag_clear(&d);
        rc = ermes_csv_next(csv, &rec, &d);
        if (rc == 0)
            break;
        if (rc == 1) {
            assert_int_equal(ermes__strbuf_addf(&b, "L%ld-%ld ", rec.line, rec.end_line), 0);
            for (i = 0; i < rec.nfields; i++) {
                /* Fields are NUL-terminated at their length. */
                assert_int_equal(rec.fields[i][rec.lengths[i]], '\0');
                if (i)
                    assert_int_equal(ermes__strbuf_addc(&b, '|'), 0);
                add_escaped(&b, rec.fields[i], rec.lengths[i]);
            }
        } else if (rc == ERMES_EPARSE || rc == ERMES_ETOOBIG) {
            assert_int_equal(ermes__strbuf_addf(&b, "E%s %ld:%ld @%ld %s raw=", ermes_errname(rc),
                                                d.line, d.column, d.offset, d.reason),
                             0);
            add_escaped(&b, rec.raw, rec.raw_len);
        } else {
            assert_int_equal(ermes__strbuf_addf(&b, "F%s", ermes_errname(rc)), 0);
            assert_int_equal(ermes__strbuf_addc(&b, '\n'), 0);
            /* Fatal errors are final. */
            assert_int_equal(ermes_csv_next(csv, &rec, &d), rc);
            break;
        }
        assert_int_equal(ermes__strbuf_addc(&b, '\n'), 0);
    }
    /* The end is final too. */
    if (rc == 0)
        assert_int_equal(ermes_csv_next(csv, &rec, &d), 0);
    return ermes__strbuf_take(&b, NULL);
}

static char *read_mem(const char *data, size_t len, const ermes_csv_options_t *opts)
{
    ermes_csv_t *csv = NULL;
    char *t;

    assert_int_equal(ermes_csv_new_mem(data, len, opts, &csv), 0);
    t = transcript_of(csv);
    ermes_csv_free(csv);
    return t;
}

static char *read_slow(const char *data, size_t len, const ermes_csv_options_t *opts, size_t step)
{
    slow_reader_t r = {data, len, 0, step};
    ermes_csv_t *csv = NULL;
    char *t;

    assert_int_equal(ermes_csv_new(slow_read_cb, &r, opts, &csv), 0);
    t = transcript_of(csv);
    ermes_csv_free(csv);
    return t;
}

/* Reads data every way there is and checks each transcript against expected. */
static void check_n(const char *data, size_t len, const ermes_csv_options_t *opts,
                    const char *expected)
{
    static const size_t steps[] = {1, 2, 3, 7, 64 * 1024};
    char *t;
    size_t i;

    t = read_mem(data, len, opts);
    assert_string_equal(t, expected);
    ermes__free(t);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        t = read_slow(data, len, opts, steps[i]);
        assert_string_equal(t, expected);
        ermes__free(t);
    }
}

static void check(const char *data, const ermes_csv_options_t *opts, const char *expected)
{
    check_n(data, strlen(data), opts, expected);
}

static void test_simple(void **state)
{
    (void)state;
    check("ip,asn,geo\n192.0.2.1,64496,BE\n198.51.100.7,64497,FR\n", NULL,
          "L1-1 ip|asn|geo\n"
          "L2-2 192.0.2.1|64496|BE\n"
          "L3-3 198.51.100.7|64497|FR\n");
    check("", NULL, "");
    check("a", NULL, "L1-1 a\n");
}

static void test_quoted(void **state)
{
    (void)state;
    check("\"a,b\",\"say \"\"hi\"\"\",\"\"\n\"\"\"\",x\n", NULL,
          "L1-1 a,b|say \"hi\"|\n"
          "L2-2 \"|x\n");
    /* A quote inside an unquoted field is an ordinary character. */
    check("ab\"c,d\"\n", NULL, "L1-1 ab\"c|d\"\n");
    /* Quoted fields may hold delimiters, CR, CRLF and the other bytes with a meaning. */
    check("\"a\r\nb\",\"\r\"\n", NULL, "L1-2 a\\r\\nb|\\r\n");
}

static void test_embedded_newlines(void **state)
{
    (void)state;
    check("h1,h2\n\"line one\nline two\nline three\",x\nnext,row\n", NULL,
          "L1-1 h1|h2\n"
          "L2-4 line one\\nline two\\nline three|x\n"
          "L5-5 next|row\n");
    /* A field made only of a newline, and a record ending on its last line. */
    check("\"\n\"\n\"a\n\"", NULL, "L1-2 \\n\nL3-4 a\\n\n");
}

static void test_crlf(void **state)
{
    (void)state;
    check("a,b\r\nc,d\r\n\"e\"\r\n,\r\n", NULL, "L1-1 a|b\nL2-2 c|d\nL3-3 e\nL4-4 |\n");
    /* Mixed line ends, and a CR that is not part of a line end is data. */
    check("a\r\nb\nc\rd\r\n", NULL, "L1-1 a\nL2-2 b\nL3-3 c\\rd\n");
    /* A lone CR at the very end is the start of a CRLF that was cut off. */
    check("a,b\r", NULL, "L1-1 a|b\n");
    check("\"a\"\r", NULL, "L1-1 a\n");
}

static void test_bom(void **state)
{
    (void)state;
    check("\xef\xbb\xbfip,asn\n1,2\n", NULL, "L1-1 ip|asn\nL2-2 1|2\n");
    /* The BOM counts for the offset, not for the column, and is not part of the raw record. */
    check("\xef\xbb\xbf\"a\"x\n", NULL, "EPARSE 1:4 @3 text after closing quote raw=\"a\"x\n");
    /* Only at the very start, and only whole. */
    check("\xef\xbb\xbf", NULL, "");
    check("\xef\xbb", NULL, "L1-1 \xef\xbb\n");
    check("a\n\xef\xbb\xbf\n", NULL, "L1-1 a\nL2-2 \xef\xbb\xbf\n");
}

static void test_delimiters(void **state)
{
    ermes_csv_options_t semi = {';', 0, 0, 0};
    ermes_csv_options_t tab = {'\t', 0, 0, 0};

    (void)state;
    check("a;b,c;\"d;e\"\n", &semi, "L1-1 a|b,c|d;e\n");
    check("a\tb c\t\"d\te\"\t\n", &tab, "L1-1 a|b c|d\te|\n");
    check("a,b\tc\n", &tab, "L1-1 a,b|c\n");
}

static void test_empty_fields(void **state)
{
    (void)state;
    check(",,\na,,b\n,\n\"\",\n", NULL, "L1-1 ||\nL2-2 a||b\nL3-3 |\nL4-4 |\n");
    /* A trailing delimiter is one more, empty, field. */
    check("a,b,\nc,d,\r\n", NULL, "L1-1 a|b|\nL2-2 c|d|\n");
    check("a,", NULL, "L1-1 a|\n");
}

static void test_last_line_without_newline(void **state)
{
    (void)state;
    check("a,b\nc,d", NULL, "L1-1 a|b\nL2-2 c|d\n");
    check("a,b\n\"c\"", NULL, "L1-1 a|b\nL2-2 c\n");
    check("a,b\n\"c\"\"\"", NULL, "L1-1 a|b\nL2-2 c\"\n");
}

static void test_blank_lines(void **state)
{
    (void)state;
    check("\n\na\n\n\r\nb\n\n", NULL, "L3-3 a\nL6-6 b\n");
    check("\n\r\n\r", NULL, "");
    /* Spaces and quoted empty fields are not blank. */
    check(" \n\"\"\n", NULL, "L1-1  \nL2-2 \n");
}

static void test_text_after_quote(void **state)
{
    (void)state;
    check("ip,asn\n\"192.0.2.1\"x,1\n1,2\n", NULL,
          "L1-1 ip|asn\n"
          "EPARSE 2:12 @7 text after closing quote raw=\"192.0.2.1\"x,1\n"
          "L3-3 1|2\n");
    /* A CR after the closing quote that is not the start of a CRLF. */
    check("a,\"b\"\rc\nd\n", NULL,
          "EPARSE 1:6 @0 text after closing quote raw=a,\"b\"\\rc\nL2-2 d\n");
    /* On the second line of a multi-line record; the skip goes to the end of that line. */
    check("x\n\"a\nb\" c\"\nok\n", NULL,
          "L1-1 x\n"
          "EPARSE 3:3 @2 text after closing quote raw=\"a\\nb\" c\"\n"
          "L4-4 ok\n");
    /* After a malformed record, quoting on the rest of the line is not trusted. */
    check("\"a\"b,\"c\nd\n", NULL,
          "EPARSE 1:4 @0 text after closing quote raw=\"a\"b,\"c\nL2-2 d\n");
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    check("a,b\nc,\"d\ne,f\n", NULL,
          "L1-1 a|b\n"
          "EPARSE 2:3 @4 unterminated quoted field raw=c,\"d\\ne,f\\n\n");
    check("\"", NULL, "EPARSE 1:1 @0 unterminated quoted field raw=\"\n");
    check("\"a\"\"", NULL, "EPARSE 1:1 @0 unterminated quoted field raw=\"a\"\"\n");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    check_n("a,b\0c\nd\n", 8, NULL, "EPARSE 1:4 @0 NUL byte in record raw=a,b\\0c\nL2-2 d\n");
    check_n("\"\0\"\nd\n", 6, NULL, "EPARSE 1:2 @0 NUL byte in record raw=\"\\0\"\nL2-2 d\n");
    check_n("\"a\"\0\nd\n", 7, NULL, "EPARSE 1:4 @0 NUL byte in record raw=\"a\"\\0\nL2-2 d\n");
    check_n("\0", 1, NULL, "EPARSE 1:1 @0 NUL byte in record raw=\\0\n");
}

static void test_too_many_fields(void **state)
{
    ermes_csv_options_t opts = {0, 0, 3, 0};

    (void)state;
    check("a,b,c\na,b,c,d,e\n1,2,3\na,b,\"c\",\"\n\",e\nx\n", &opts,
          "L1-1 a|b|c\n"
          "ETOOBIG 2:7 @6 record has more than 3 fields raw=a,b,c,d,e\n"
          "L3-3 1|2|3\n"
          /* The skip follows quotes: the quoted newline does not end the record. */
          "ETOOBIG 4:9 @22 record has more than 3 fields raw=a,b,\"c\",\"\\n\",e\n"
          "L6-6 x\n");
    check("a,b,c,\n", &opts, "ETOOBIG 1:7 @0 record has more than 3 fields raw=a,b,c,\n");
}

static void test_max_record_boundary(void **state)
{
    ermes_csv_options_t opts = {0, 8, 0, 0};

    (void)state;
    /* Exactly max_record bytes, with LF, CRLF and at the end of input. */
    check("1234,678\n1234,678\r\n\"2\"\",56\"\r\n12345678", &opts,
          "L1-1 1234|678\n"
          "L2-2 1234|678\n"
          "L3-3 2\",56\n"
          "L4-4 12345678\n");
    /* One byte more. */
    check("123456789\n12345678\n", &opts,
          "ETOOBIG 1:10 @0 record is longer than 8 bytes raw=12345678\nL2-2 12345678\n");
    check("12345678,\r\nx", &opts,
          "ETOOBIG 1:10 @0 record is longer than 8 bytes raw=12345678\nL2-2 x\n");
    check("123456789", &opts, "ETOOBIG 1:10 @0 record is longer than 8 bytes raw=12345678\n");
    check("12345678\r\r\n", &opts, "ETOOBIG 1:10 @0 record is longer than 8 bytes raw=12345678\n");
    /* A long quoted field with newlines is skipped as one record. */
    check("\"1\n2\n3\n4\n5\n\"\nok\n", &opts,
          "ETOOBIG 5:1 @0 record is longer than 8 bytes raw=\"1\\n2\\n3\\n4\n"
          "L7-7 ok\n");
    /* An unterminated quote in a long record is reported once, as too long. */
    check("\"1\n2\n3\n4\n5\n", &opts,
          "ETOOBIG 5:1 @0 record is longer than 8 bytes raw=\"1\\n2\\n3\\n4\n");
}

/* Generates one huge line of 'x' of the given size, then "\nnext,record\n". */
typedef struct huge_line {
    size_t size;
    size_t done;
    size_t tail_done;
    long rss_base; /* resident pages once the reader is warmed up */
    long rss_max;  /* the most seen after that */
} huge_line_t;

static long resident_pages(void)
{
    long size = 0, resident = -1;
    FILE *f = fopen("/proc/self/statm", "r");

    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident;
}

static ssize_t huge_line_cb(void *ctx, char *buf, size_t cap)
{
    static const char tail[] = "\nnext,record\n";
    huge_line_t *h = ctx;
    size_t n;
    long rss;

    if (h->done < h->size) {
        n = h->size - h->done;
        if (n > cap)
            n = cap;
        memset(buf, 'x', n);
        h->done += n;
        rss = resident_pages();
        if (h->done >= 1024 * 1024 && h->rss_base < 0)
            h->rss_base = rss;
        if (rss > h->rss_max)
            h->rss_max = rss;
        return (ssize_t)n;
    }
    n = sizeof(tail) - 1 - h->tail_done;
    if (n > cap)
        n = cap;
    memcpy(buf, tail + h->tail_done, n);
    h->tail_done += n;
    return (ssize_t)n;
}

static void test_huge_record(void **state)
{
    ermes_csv_options_t opts = {0, 64, 0, 0};
    huge_line_t h = {10 * 1024 * 1024, 0, 0, -1, -1};
    ermes_csv_record_t rec;
    ermes_csv_t *csv = NULL;
    ermes_diag_t d;
    size_t i;

    (void)state;
    assert_int_equal(ermes_csv_new(huge_line_cb, &h, &opts, &csv), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes_csv_next(csv, &rec, &d), ERMES_ETOOBIG);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.column, 66);
    assert_int_equal(d.offset, 0);
    assert_string_equal(d.reason, "record is longer than 64 bytes");
    assert_int_equal(rec.line, 1);
    assert_int_equal(rec.end_line, 1);
    assert_int_equal(rec.raw_len, 64);
    for (i = 0; i < rec.raw_len; i++)
        assert_int_equal(rec.raw[i], 'x');
    assert_true(h.done == h.size);

    assert_int_equal(ermes_csv_next(csv, &rec, &d), 1);
    assert_int_equal(rec.line, 2);
    assert_int_equal(rec.nfields, 2);
    assert_string_equal(rec.fields[0], "next");
    assert_string_equal(rec.fields[1], "record");
    assert_int_equal(ermes_csv_next(csv, &rec, &d), 0);
    ermes_csv_free(csv);

    /* Nine of the ten MiB went through the reader after the baseline: had it kept them, the
     * process would have grown by that much. */
    if (h.rss_base > 0)
        assert_true((h.rss_max - h.rss_base) * 4096 < 2 * 1024 * 1024);

    /* The same from memory: the text kept stays within the limit there too. */
    {
        char *big = malloc(h.size + 20);
        char *t;

        assert_non_null(big);
        memset(big, 'y', h.size);
        memcpy(big + h.size, "\n\"a\"\n", 5);
        t = read_mem(big, h.size + 5, &opts);
        assert_string_equal(t,
                            "ETOOBIG 1:66 @0 record is longer than 64 bytes "
                            "raw=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n"
                            "L2-2 a\n");
        ermes__free(t);
        free(big);
    }
}

/* Everything at once, to compare the readers on input mixing every rule. */
static void test_slow_reader_agrees(void **state)
{
    static const char input[] = "\xef\xbb\xbfh1;h2;h3\r\n"
                                "\"q;1\";\"multi\r\nline\";x\r\n"
                                "\r\n"
                                "\"bad\"x;y\r\n"
                                "a;;\r\n"
                                "\"esc\"\"aped\";\"\";z\n"
                                "1;2;3;4;5\n"
                                "last;\"open\n";
    ermes_csv_options_t opts = {';', 0, 4, 0};
    char *expected;
    char *t;
    size_t step;

    (void)state;
    expected = read_mem(input, sizeof(input) - 1, &opts);
    assert_string_equal(expected, "L1-1 h1|h2|h3\n"
                                  "L2-3 q;1|multi\\r\\nline|x\n"
                                  "EPARSE 5:6 @38 text after closing quote raw=\"bad\"x;y\n"
                                  "L6-6 a||\n"
                                  "L7-7 esc\"aped||z\n"
                                  "ETOOBIG 8:9 @70 record has more than 4 fields raw=1;2;3;4;5\n"
                                  "EPARSE 9:6 @80 unterminated quoted field raw=last;\"open\\n\n");
    for (step = 1; step <= sizeof(input); step++) {
        t = read_slow(input, sizeof(input) - 1, &opts, step);
        assert_string_equal(t, expected);
        ermes__free(t);
    }
    ermes__free(expected);
}

typedef struct failing_reader {
    int calls;
} failing_reader_t;

static ssize_t failing_read_cb(void *ctx, char *buf, size_t cap)
{
    failing_reader_t *r = ctx;

    (void)cap;
    if (r->calls++ == 0) {
        memcpy(buf, "a,b\nc,", 6);
        return 6;
    }
    return -1;
}

static ssize_t lying_read_cb(void *ctx, char *buf, size_t cap)
{
    (void)ctx;
    (void)buf;
    return (ssize_t)cap + 1;
}

static void test_read_error(void **state)
{
    failing_reader_t r = {0};
    ermes_csv_record_t rec;
    ermes_csv_t *csv = NULL;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes_csv_new(failing_read_cb, &r, NULL, &csv), 0);
    assert_int_equal(ermes_csv_next(csv, &rec, &d), 1);
    assert_string_equal(rec.fields[1], "b");
    ermes_diag_clear(&d);
    assert_int_equal(ermes_csv_next(csv, &rec, &d), ERMES_EIO);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.offset, 4);
    assert_string_equal(d.reason, "read error");
    assert_int_equal(ermes_csv_next(csv, &rec, &d), ERMES_EIO);
    ermes_csv_free(csv);

    /* A callback claiming more bytes than asked for is broken, not trusted. */
    assert_int_equal(ermes_csv_new(lying_read_cb, NULL, NULL, &csv), 0);
    assert_int_equal(ermes_csv_next(csv, &rec, &d), ERMES_EIO);
    ermes_csv_free(csv);
}

static void test_options(void **state)
{
    ermes_csv_options_t opts = {'"', 0, 0, 0};
    ermes_csv_t *csv = NULL;

    (void)state;
    assert_int_equal(ermes_csv_new_mem("a", 1, &opts, &csv), ERMES_EINVAL);
    opts.delimiter = '\n';
    assert_int_equal(ermes_csv_new_mem("a", 1, &opts, &csv), ERMES_EINVAL);
    opts.delimiter = '\r';
    assert_int_equal(ermes_csv_new_mem("a", 1, &opts, &csv), ERMES_EINVAL);
    opts.delimiter = 0;
    opts.max_record = (size_t)-1;
    assert_int_equal(ermes_csv_new_mem("a", 1, &opts, &csv), ERMES_EINVAL);
    assert_null(csv);
    assert_int_equal(ermes_csv_new(NULL, NULL, NULL, &csv), ERMES_EINVAL);
    assert_int_equal(ermes_csv_new_mem(NULL, 1, NULL, &csv), ERMES_EINVAL);
    assert_int_equal(ermes_csv_new_mem(NULL, 0, NULL, &csv), 0);
    assert_int_equal(ermes_csv_next(csv, NULL, NULL), ERMES_EINVAL);
    ermes_csv_free(csv);
    ermes_csv_free(NULL);

    /* d may be NULL. */
    assert_int_equal(ermes_csv_new_mem("\"", 1, NULL, &csv), 0);
    {
        ermes_csv_record_t rec;

        assert_int_equal(ermes_csv_next(csv, &rec, NULL), ERMES_EPARSE);
        assert_int_equal(ermes_csv_next(csv, &rec, NULL), 0);
    }
    ermes_csv_free(csv);
}

/* Makes the nth allocation fail, for every n until a run needs no more: each failure must come
 * back as ERMES_ENOMEM (creation or reading), never a crash or a leak (ASan checks). */
static void test_alloc_failures(void **state)
{
    /* Many fields, so the field arrays grow several times. */
    ermes__strbuf_t input;
    ermes_csv_options_t opts = {0, 0, 0, 0};
    long n;
    int mode;
    int i;

    (void)state;
    ermes__strbuf_init(&input, 1 << 20);
    for (i = 0; i < 100; i++)
        assert_int_equal(ermes__strbuf_addf(&input, "f%d,\"q\"\"%d\",", i, i), 0);
    assert_int_equal(ermes__strbuf_adds(&input, "end\nshort,row\n"), 0);

    for (mode = 0; mode < 2; mode++) {
        for (n = 0;; n++) {
            slow_reader_t r = {input.data, input.len, 0, 5};
            ermes_csv_record_t rec;
            ermes_csv_t *csv = NULL;
            ermes_diag_t d;
            int rc, records = 0, nomem = 0;

            ermes__alloc_fail_after(n);
            if (mode == 0)
                rc = ermes_csv_new_mem(input.data, input.len, &opts, &csv);
            else
                rc = ermes_csv_new(slow_read_cb, &r, &opts, &csv);
            if (rc == 0) {
                while ((rc = ermes_csv_next(csv, &rec, &d)) == 1)
                    records++;
                if (rc == ERMES_ENOMEM) {
                    /* Final. */
                    assert_int_equal(ermes_csv_next(csv, &rec, &d), ERMES_ENOMEM);
                    nomem = 1;
                } else {
                    assert_int_equal(rc, 0);
                }
            } else {
                assert_int_equal(rc, ERMES_ENOMEM);
                assert_null(csv);
                nomem = 1;
            }
            ermes_csv_free(csv);
            ermes__alloc_fail_after(-1);
            if (!nomem) {
                assert_int_equal(records, 2);
                break;
            }
            assert_true(n < 1000);
        }
        /* The loop did reach failures in the reading, not only at creation. */
        assert_true(n > 3);
    }
    ermes__strbuf_cleanup(&input);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_record),
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_embedded_newlines),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_last_line_without_newline),
        cmocka_unit_test(test_blank_lines),
        cmocka_unit_test(test_text_after_quote),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_max_record_boundary),
        cmocka_unit_test(test_slow_reader_agrees),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
