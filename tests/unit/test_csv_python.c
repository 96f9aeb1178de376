/* The CSV reader's lenient mode against Python's csv module, the reader of IntelMQ's parsers
 * (issue 15, item 1): every row /usr/bin/python3's csv.reader reads, the lenient reader reads
 * with the same field values, and a row Python refuses is an error here too.
 *
 * Inputs: generated ones (a seeded generator over the bytes that matter: quotes, backslashes,
 * delimiters, CR, LF, spaces, letters and a two-byte UTF-8 letter), hand-written ones (the
 * shapes seen in Shadowserver's reports: "\"" inside quotes and text after a closing quote), and
 * every real CSV sample under ../shared/conformance/feeds/shadowserver/ (scan_mdns.csv line 4 is
 * one with text after a closing quote). Python reads each input the way IntelMQ does: the bytes
 * decoded as UTF-8 into io.StringIO (lines split at LF only) and csv.reader with the default
 * dialect (Shadowserver's "unix" dialect reads the same way). Empty rows ([], Python's blank
 * lines) are left out on both sides; ermes skips blank lines.
 *
 * Outside the comparison, and why: NUL bytes (ermes keeps NUL-terminated strings and refuses
 * them; Python 3.11 reads them), a UTF-8 byte order mark (ermes skips it, IntelMQ keeps it in
 * the first column's name), fields over Python's field_size_limit (128 KiB; ermes's limit is
 * per record). The generator never produces those.
 *
 * Each input is also read through a callback one and three bytes at a time: the lenient mode,
 * like the strict one, must not depend on where reads split the input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/alloc.h"
#include "ermes/csv.h"
#include "ermes/error.h"

#define GENERATED 4000

static char source_dir[4096];
static char tmp_dir[256];

typedef struct input {
    char *data;
    size_t len;
    char name[128];
} input_t;

static input_t *inputs;
static size_t ninputs, cap_inputs;

static void add_input(const char *name, const char *data, size_t len)
{
    if (ninputs == cap_inputs) {
        cap_inputs = cap_inputs ? cap_inputs * 2 : 256;
        inputs = realloc(inputs, cap_inputs * sizeof(*inputs));
        assert_non_null(inputs);
    }
    inputs[ninputs].data = malloc(len + 1);
    assert_non_null(inputs[ninputs].data);
    memcpy(inputs[ninputs].data, data, len);
    inputs[ninputs].data[len] = '\0';
    inputs[ninputs].len = len;
    snprintf(inputs[ninputs].name, sizeof(inputs[ninputs].name), "%s", name);
    ninputs++;
}

/* xorshift64*: reproducible inputs from a fixed seed (no rand()). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void generate(void)
{
    /* Weighted: the bytes with a meaning come often. */
    static const char *const pieces[] = {"\"", "\"",   "\"",       "\\\"", ",", ",",
                                         "\n", "\r\n", "\r",       "a",    "b", "xy",
                                         " ",  "\\",   "\xc3\xa9", "\"\"", "1", "\t"};
    char buf[512], name[64];
    size_t i, n, len, k;

    for (i = 0; i < GENERATED; i++) {
        len = 0;
        n = rng() % 40;
        for (k = 0; k < n; k++) {
            const char *p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t pl = strlen(p);
            if (len + pl >= sizeof(buf))
                break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        snprintf(name, sizeof(name), "generated-%zu", i);
        add_input(name, buf, len);
    }
}

static void handwritten(void)
{
    static const char *const cases[] = {
        "a,\"Basic realm=\\\"\\\"Squid proxy\\\"\\\"\",b\n",
        "\"\\\"\\\"vendor=Synology\\\"\\\" \\\"\\\"model=DS218+\\\"\\\"\",x\r\n",
        "\"ab\"cd,e\n",
        "\"ab\"c\"d\",e\n",
        "\"a\"\r\n\"b\"\r\r\n",
        "a\r\rb\n",
        "a,b\r\n\r\n\r\nc\n",
        "\"multi\nline\",\"x\r\ny\"\n",
        "\"unterminated,at,end",
        "\"\"\n\"\",\"\"\n",
        "x,\"\"\"quoted\"\"\"\n",
        "\r",
        "\r\r\n",
        "a\rb,c\nd,e\n",
        "\"a\"\rx\n",
        "\"a\"\r\r\n",
        "a,\"b\" ,c\n",
    };
    char name[64];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(name, sizeof(name), "handwritten-%zu", i);
        add_input(name, cases[i], strlen(cases[i]));
    }
}

static void real_samples(void)
{
    char dir[8192], path[8192 + 300];
    struct dirent *de;
    int n = 0;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/../shared/conformance/feeds/shadowserver", source_dir);
    d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s (../shared is needed)", dir);
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        FILE *f;
        char *data;
        long size;

        if (len < 5 || strcmp(de->d_name + len - 4, ".csv") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fseek(f, 0, SEEK_SET);
        data = malloc((size_t)size + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        add_input(de->d_name, data, (size_t)size);
        free(data);
        n++;
    }
    closedir(d);
    assert_true(n >= 40);
}

/* Python's answer for every input, one JSON line each: a list of rows, a row being a list of
 * strings or the string "#error" for a row csv.reader refused. */
static const char python_script[] =
    "import csv, io, json, sys\n"
    "out = open(sys.argv[2], 'w', encoding='utf-8')\n"
    "for i in range(int(sys.argv[3])):\n"
    "    text = open('%s/%d.csv' % (sys.argv[1], i), 'rb').read().decode('utf-8')\n"
    "    rows, reader = [], csv.reader(io.StringIO(text))\n"
    "    while True:\n"
    "        try:\n"
    "            row = next(reader)\n"
    "        except StopIteration:\n"
    "            break\n"
    "        except csv.Error:\n"
    "            rows.append('#error')\n"
    "            continue\n"
    "        if row != []:\n"
    "            rows.append(row)\n"
    "    out.write(json.dumps(rows) + '\\n')\n";

typedef struct slow_reader {
    const char *data;
    size_t len, pos, step;
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

/* ermes's lenient reading of in, in Python's shape. step 0: from memory. */
static json_t *ermes_rows(const input_t *in, size_t step)
{
    ermes_csv_options_t opts = {0, 0, 0, 1};
    slow_reader_t r = {in->data, in->len, 0, step};
    ermes_csv_record_t rec;
    ermes_csv_t *csv = NULL;
    json_t *rows = json_array();
    ermes_diag_t d;
    int rc;

    if (step)
        assert_int_equal(ermes_csv_new(slow_read_cb, &r, &opts, &csv), 0);
    else
        assert_int_equal(ermes_csv_new_mem(in->data, in->len, &opts, &csv), 0);
    for (;;) {
        ermes_diag_clear(&d);
        rc = ermes_csv_next(csv, &rec, &d);
        if (rc == 0)
            break;
        if (rc == 1) {
            json_t *row = json_array();
            size_t i;
            for (i = 0; i < rec.nfields; i++)
                json_array_append_new(row, json_stringn(rec.fields[i], rec.lengths[i]));
            json_array_append_new(rows, row);
        } else {
            assert_int_equal(rc, ERMES_EPARSE);
            json_array_append_new(rows, json_string("#error"));
        }
    }
    ermes_csv_free(csv);
    return rows;
}

static void test_lenient_reads_what_python_reads(void **state)
{
    char path[512], cmd[2048], script[512], answers[512], *line = NULL;
    size_t i, cap = 0, python_rows = 0, python_errors = 0;
    int differ = 0;
    ssize_t n;
    FILE *f;

    (void)state;
    generate();
    handwritten();
    real_samples();
    for (i = 0; i < ninputs; i++) {
        snprintf(path, sizeof(path), "%s/%zu.csv", tmp_dir, i);
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(inputs[i].data, 1, inputs[i].len, f), inputs[i].len);
        fclose(f);
    }
    snprintf(script, sizeof(script), "%s/read.py", tmp_dir);
    f = fopen(script, "w");
    assert_non_null(f);
    fputs(python_script, f);
    fclose(f);
    snprintf(answers, sizeof(answers), "%s/python.jsonl", tmp_dir);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %s %zu", script, tmp_dir, answers, ninputs);
    if (system(cmd) != 0)
        fail_msg("/usr/bin/python3 failed: %s", cmd);

    f = fopen(answers, "r");
    assert_non_null(f);
    for (i = 0; i < ninputs; i++) {
        json_t *want, *got, *slow1, *slow3, *row;
        size_t k;

        n = getline(&line, &cap, f);
        assert_true(n > 0);
        want = json_loads(line, 0, NULL);
        assert_non_null(want);
        json_array_foreach(want, k, row)
        {
            if (json_is_string(row))
                python_errors++;
            else
                python_rows++;
        }
        got = ermes_rows(&inputs[i], 0);
        slow1 = ermes_rows(&inputs[i], 1);
        slow3 = ermes_rows(&inputs[i], 3);
        if (!json_equal(want, got) || !json_equal(got, slow1) || !json_equal(got, slow3)) {
            char *ws = json_dumps(want, JSON_ENCODE_ANY), *gs = json_dumps(got, JSON_ENCODE_ANY);
            if (differ < 10)
                fprintf(stderr, "%s differs\n  python: %.600s\n  ermes:  %.600s\n", inputs[i].name,
                        ws, gs);
            free(ws);
            free(gs);
            differ++;
        }
        json_decref(want);
        json_decref(got);
        json_decref(slow1);
        json_decref(slow3);
    }
    fclose(f);
    free(line);
    fprintf(stderr, "%zu inputs, %zu rows Python read, %zu rows it refused\n", ninputs, python_rows,
            python_errors);
    /* The comparison means something only if both kinds occur. */
    assert_true(python_rows > 1000 && python_errors > 100);
    if (differ)
        fail_msg("%d of %zu inputs read differently from Python's csv", differ, ninputs);
}

/* The row of scan_mdns.csv that the strict reader refuses, read as Python reads it. */
static void test_scan_mdns_line_4(void **state)
{
    static const char row[] =
        "x,\"\\\"\\\"vendor=Synology\\\"\\\" \\\"\\\"model=DS218+\\\"\\\"\",y\n";
    ermes_csv_options_t strict = {0, 0, 0, 0}, lenient = {0, 0, 0, 1};
    ermes_csv_record_t rec;
    ermes_csv_t *csv = NULL;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes_csv_new_mem(row, sizeof(row) - 1, &strict, &csv), 0);
    assert_int_equal(ermes_csv_next(csv, &rec, &d), ERMES_EPARSE);
    assert_string_equal(d.reason, "text after closing quote");
    ermes_csv_free(csv);

    assert_int_equal(ermes_csv_new_mem(row, sizeof(row) - 1, &lenient, &csv), 0);
    assert_int_equal(ermes_csv_next(csv, &rec, &d), 1);
    assert_int_equal(rec.nfields, 3);
    assert_string_equal(rec.fields[1],
                        "\\\\\"vendor=Synology\\\"\\\" \\\"\\\"model=DS218+\\\"\\\"\"");
    assert_string_equal(rec.fields[2], "y");
    ermes_csv_free(csv);
}

static int setup(void **state)
{
    const char *src = getenv("ERMES_SOURCE_DIR");

    (void)state;
    snprintf(source_dir, sizeof(source_dir), "%s", src ? src : ".");
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/ermes-csv-python-XXXXXX");
    if (!mkdtemp(tmp_dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    char cmd[512];
    size_t i;

    (void)state;
    for (i = 0; i < ninputs; i++)
        free(inputs[i].data);
    free(inputs);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_mdns_line_4),
        cmocka_unit_test(test_lenient_reads_what_python_reads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
