/* Tests of the settings table (src/core/config.c): defaults, validation, the INI file, the
 * environment, flags, and their precedence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/config.h"

/* A temporary directory per test, removed with what the test wrote into it. */
typedef struct fixture {
    char dir[64];
    char paths[8][PATH_MAX];
    int npaths;
} fixture_t;

static void clear_env(void)
{
    static const char *const vars[] = {
        "ERMES_CONFIG",           "ERMES_DATA_DIR",     "ERMES_LISTEN",     "ERMES_TLS_CERT",
        "ERMES_TLS_KEY",          "ERMES_LOG_LEVEL",    "ERMES_LOG_JSON",   "ERMES_THREADS",
        "ERMES_MAX_CONNECTIONS",  "ERMES_MAX_BODY",     "ERMES_MAX_HEADER", "ERMES_REQUEST_TIMEOUT",
        "ERMES_REQUEST_DEADLINE", "ERMES_BUSY_TIMEOUT", "ERMES_TOKEN_DAYS", "ERMES_PAGE_LIMIT"};

    for (size_t k = 0; k < sizeof(vars) / sizeof(vars[0]); k++)
        unsetenv(vars[k]);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-config-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    clear_env();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    for (int k = f->npaths - 1; k >= 0; k--)
        remove(f->paths[k]);
    rmdir(f->dir);
    free(f);
    clear_env();
    return 0;
}

/* dst = dir/name (dst is PATH_MAX bytes and does not overlap the others). */
static void join(char *dst, const char *dir, const char *name)
{
    char tmp[PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s/%s", dir, name);
    memcpy(dst, tmp, strlen(tmp) + 1);
}

/* Writes text to DIR/name and returns the path (owned by the fixture). */
static const char *write_file(fixture_t *f, const char *name, const char *text)
{
    char *path;
    FILE *fp;

    assert_true(f->npaths < 8);
    path = f->paths[f->npaths++];
    join(path, f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    return path;
}

/* Adds a subdirectory to the fixture (removed at teardown after its files). */
static const char *make_dir(fixture_t *f, const char *name)
{
    char *path;

    assert_true(f->npaths < 8);
    path = f->paths[f->npaths++];
    join(path, f->dir, name);
    assert_int_equal(mkdir(path, 0700), 0);
    return path;
}

static void test_defaults(void **state)
{
    ermes__config_t cfg;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    assert_string_equal(cfg.data_dir, "./var");
    /* The daemon listens on loopback unless told otherwise (STYLE.md). */
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_null(cfg.tls_cert);
    assert_null(cfg.tls_key);
    assert_null(cfg.config_file);
    assert_string_equal(cfg.log_level, "notice");
    assert_int_equal(cfg.log_json, 0);
    assert_int_equal(cfg.threads, 0) /* one per CPU */;
    assert_int_equal(cfg.max_connections, 1024);
    assert_int_equal(cfg.max_body, 64L << 20);
    assert_int_equal(cfg.max_header, 32768);
    assert_int_equal(cfg.request_timeout, 30);
    assert_int_equal(cfg.request_deadline, 120);
    assert_int_equal(cfg.busy_timeout, 10000);
    assert_int_equal(cfg.token_days, 90);
    assert_int_equal(cfg.page_limit, 1000);
    ermes__config_cleanup(&cfg);
    /* Cleanup twice is harmless. */
    ermes__config_cleanup(&cfg);
}

/* taxii_page_cache: auto by default (an eighth of the memory, of the cgroup's limit when lower,
 * at most 4 GiB, whole MiB), a number of MiB, or 0; other number settings refuse "auto". */
static void test_page_cache_auto(void **state)
{
    ermes__config_t cfg;
    ermes_diag_t d;
    char buf[32];
    size_t bytes;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    assert_int_equal(cfg.taxii_page_cache, ERMES__CONFIG_AUTO);
    assert_int_equal(ermes__config_get(&cfg, "taxii_page_cache", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "auto");
    bytes = ermes__config_taxii_page_cache_bytes(&cfg);
    assert_true(bytes >= (1u << 20));
    assert_true(bytes <= (size_t)ERMES__PAGE_CACHE_AUTO_MAX);
    assert_int_equal(bytes % (1u << 20), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_set(&cfg, "taxii_page_cache", "1024", &d), 0);
    assert_int_equal(ermes__config_taxii_page_cache_bytes(&cfg), (size_t)1024 << 20);
    assert_int_equal(ermes__config_set(&cfg, "taxii_page_cache", "0", &d), 0);
    assert_int_equal(ermes__config_taxii_page_cache_bytes(&cfg), 0);
    assert_int_equal(ermes__config_set(&cfg, "taxii_page_cache", "auto", &d), 0);
    assert_int_equal(cfg.taxii_page_cache, ERMES__CONFIG_AUTO);
    assert_int_not_equal(ermes__config_set(&cfg, "taxii_page_cache", "-1", &d), 0);
    assert_int_not_equal(ermes__config_set(&cfg, "page_limit", "auto", &d), 0);
    ermes__config_cleanup(&cfg);
    /* 16 GiB, no cgroup limit: 2 GiB. 64 GiB: the 4 GiB cap. A 1 GiB cgroup limit on 64 GiB:
     * 128 MiB. Unknown memory: the limit's eighth; nothing known: 1 MiB. Never below 1 MiB. */
    assert_int_equal(ermes__config_auto_cache_bytes((uint64_t)16 << 30, 0), (size_t)2 << 30);
    assert_int_equal(ermes__config_auto_cache_bytes((uint64_t)64 << 30, 0), (size_t)4 << 30);
    assert_int_equal(ermes__config_auto_cache_bytes((uint64_t)64 << 30, (uint64_t)1 << 30),
                     (size_t)128 << 20);
    assert_int_equal(ermes__config_auto_cache_bytes(0, (uint64_t)512 << 20), (size_t)64 << 20);
    assert_int_equal(ermes__config_auto_cache_bytes(0, 0), (size_t)1 << 20);
    assert_int_equal(ermes__config_auto_cache_bytes((uint64_t)3 << 20, 0), (size_t)1 << 20);
    assert_int_equal(ermes__config_auto_cache_bytes(((uint64_t)1 << 30) + 12345, 0),
                     (size_t)128 << 20);
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

/* The cgroup's memory limit: the smallest of the process's group and the groups above it, on
 * cgroup v2 (a systemd unit's MemoryMax= below an unlimited root) and v1; none: 0. */
static void test_cgroup_limit(void **state)
{
    char dir[] = "/tmp/ermes-test-cgroup-XXXXXX", sub[512], proc[512];

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(proc, sizeof(proc), "%s/proc-cgroup", dir);
    /* v2: max at the root, 1 GiB on the slice, max on the unit. */
    snprintf(sub, sizeof(sub), "%s/system.slice", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/system.slice/ermes.service", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    put_file(dir, "memory.max", "max\n");
    put_file(dir, "system.slice/memory.max", "1073741824\n");
    put_file(dir, "system.slice/ermes.service/memory.max", "max\n");
    put_file(dir, "proc-cgroup", "0::/system.slice/ermes.service\n");
    assert_int_equal(ermes__config_cgroup_limit(proc, dir), (uint64_t)1 << 30);
    /* The unit's own, lower. */
    put_file(dir, "system.slice/ermes.service/memory.max", "268435456\n");
    assert_int_equal(ermes__config_cgroup_limit(proc, dir), (uint64_t)256 << 20);
    /* A container: its group is the root. */
    put_file(dir, "proc-cgroup", "0::/\n");
    assert_int_equal(ermes__config_cgroup_limit(proc, dir), 0);
    put_file(dir, "memory.max", "536870912\n");
    assert_int_equal(ermes__config_cgroup_limit(proc, dir), (uint64_t)512 << 20);
    put_file(dir, "memory.max", "max\n");
    /* v1: a huge number is no limit; the group's own. */
    snprintf(sub, sizeof(sub), "%s/memory", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/memory/docker", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    put_file(dir, "memory/memory.limit_in_bytes", "9223372036854771712\n");
    put_file(dir, "proc-cgroup", "4:memory:/docker\n1:cpu:/\n");
    assert_int_equal(ermes__config_cgroup_limit(proc, dir), 0);
    put_file(dir, "memory/docker/memory.limit_in_bytes", "2147483648\n");
    assert_int_equal(ermes__config_cgroup_limit(proc, dir), (uint64_t)2 << 30);
    /* Nothing to read. */
    assert_int_equal(ermes__config_cgroup_limit("/nonexistent/cgroup", "/nonexistent"), 0);
    for (const char *const *n =
             (const char *const[]){"memory/docker/memory.limit_in_bytes",
                                   "memory/memory.limit_in_bytes",
                                   "system.slice/ermes.service/memory.max",
                                   "system.slice/memory.max", "memory.max", "proc-cgroup", NULL};
         *n; n++) {
        snprintf(sub, sizeof(sub), "%s/%s", dir, *n);
        unlink(sub);
    }
    for (const char *const *n =
             (const char *const[]){"memory/docker", "memory", "system.slice/ermes.service",
                                   "system.slice", "", NULL};
         *n; n++) {
        snprintf(sub, sizeof(sub), "%s/%s", dir, *n);
        rmdir(sub);
    }
}

static void test_set_valid(void **state)
{
    ermes__config_t cfg;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_set(&cfg, "threads", "256", &d), 0);
    assert_int_equal(cfg.threads, 256);
    assert_int_equal(ermes__config_set(&cfg, "threads", "1", &d), 0);
    assert_int_equal(cfg.threads, 1);
    assert_int_equal(ermes__config_set(&cfg, "busy_timeout", "0", &d), 0);
    assert_int_equal(cfg.busy_timeout, 0);
    assert_int_equal(ermes__config_set(&cfg, "listen", "[::1]:9000", &d), 0);
    assert_string_equal(cfg.listen, "[::1]:9000");
    assert_int_equal(ermes__config_set(&cfg, "tls_cert", "/etc/ermes/cert.pem", &d), 0);
    assert_string_equal(cfg.tls_cert, "/etc/ermes/cert.pem");
    /* An empty string unsets an optional string. */
    assert_int_equal(ermes__config_set(&cfg, "tls_cert", "", &d), 0);
    assert_null(cfg.tls_cert);
    for (int k = 0; k < 5; k++) {
        static const char *const levels[] = {"error", "warning", "notice", "info", "debug"};
        assert_int_equal(ermes__config_set(&cfg, "log_level", levels[k], &d), 0);
        assert_string_equal(cfg.log_level, levels[k]);
    }
    {
        static const char *const yes[] = {"1", "true", "yes", "on"};
        static const char *const no[] = {"0", "false", "no", "off"};
        for (int k = 0; k < 4; k++) {
            assert_int_equal(ermes__config_set(&cfg, "log_json", yes[k], &d), 0);
            assert_int_equal(cfg.log_json, 1);
            assert_int_equal(ermes__config_set(&cfg, "log_json", no[k], &d), 0);
            assert_int_equal(cfg.log_json, 0);
        }
    }
    ermes__config_cleanup(&cfg);
}

/* Expects ermes__config_set(name, value) to fail with want, naming the setting, and to leave
 * the setting as it was. */
static void check_set_rejected(const char *name, const char *value, int want)
{
    ermes__config_t cfg, before;
    ermes_diag_t d;

    assert_int_equal(ermes__config_init(&cfg), 0);
    assert_int_equal(ermes__config_init(&before), 0);
    ermes_diag_clear(&d);
    if (ermes__config_set(&cfg, name, value, &d) != want)
        fail_msg("%s = \"%s\": want %s", name, value, ermes_errname(want));
    assert_string_equal(d.field, name);
    assert_true(d.reason[0] != '\0');
    assert_int_equal(cfg.threads, before.threads);
    assert_int_equal(cfg.max_body, before.max_body);
    assert_int_equal(cfg.log_json, before.log_json);
    assert_int_equal(cfg.page_limit, before.page_limit);
    ermes__config_cleanup(&cfg);
    ermes__config_cleanup(&before);
}

static void test_set_rejected(void **state)
{
    ermes__config_t cfg;
    ermes_diag_t d;

    (void)state;
    /* Unknown key. */
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_set(&cfg, "thread", "4", &d), ERMES_ENOTFOUND);
    assert_string_equal(d.field, "thread");
    assert_non_null(strstr(d.reason, "unknown setting"));
    assert_int_equal(ermes__config_set(&cfg, "config_file", "/x", &d), ERMES_ENOTFOUND);
    assert_int_equal(ermes__config_set(&cfg, "", "4", &d), ERMES_ENOTFOUND);
    assert_int_equal(ermes__config_set(&cfg, "THREADS", "4", &d), ERMES_ENOTFOUND);
    ermes__config_cleanup(&cfg);

    /* Out of range. */
    check_set_rejected("threads", "-1", ERMES_ERANGE);
    check_set_rejected("threads", "257", ERMES_ERANGE);
    check_set_rejected("threads", "-1", ERMES_ERANGE);
    check_set_rejected("max_body", "1023", ERMES_ERANGE);
    check_set_rejected("max_body", "1073741825", ERMES_ERANGE);
    check_set_rejected("page_limit", "100001", ERMES_ERANGE);
    check_set_rejected("token_days", "3651", ERMES_ERANGE);
    /* Not a number. */
    check_set_rejected("threads", "", ERMES_EINVAL);
    check_set_rejected("threads", "four", ERMES_EINVAL);
    check_set_rejected("threads", "4x", ERMES_EINVAL);
    check_set_rejected("threads", "4 ", ERMES_EINVAL);
    check_set_rejected("threads", "4.0", ERMES_EINVAL);
    check_set_rejected("threads", "99999999999999999999999", ERMES_EINVAL);
    /* Bad booleans. */
    check_set_rejected("log_json", "", ERMES_EINVAL);
    check_set_rejected("log_json", "maybe", ERMES_EINVAL);
    check_set_rejected("log_json", "2", ERMES_EINVAL);
    check_set_rejected("log_json", "truex", ERMES_EINVAL);
    /* Bad log level. */
    check_set_rejected("log_level", "loud", ERMES_EINVAL);
}

/* STYLE.md: results come back through out-parameters, untouched on failure. A rejected
 * log_level must not replace the one in force. */
static void test_set_rejected_log_level_unchanged(void **state)
{
    ermes__config_t cfg;
    ermes_diag_t d;
    char level[32];

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_set(&cfg, "log_level", "info", &d), 0);
    assert_int_equal(ermes__config_set(&cfg, "log_level", "loud", &d), ERMES_EINVAL);
    snprintf(level, sizeof(level), "%s", cfg.log_level ? cfg.log_level : "(null)");
    ermes__config_cleanup(&cfg);
    assert_string_equal(level, "info");
}

static void test_file(void **state)
{
    fixture_t *f = *state;
    ermes__config_t cfg;
    ermes_diag_t d;
    const char *path = write_file(f, "ok.conf",
                                  "; a comment\n"
                                  "threads = 8\n"
                                  "\n"
                                  "[ermes]\n"
                                  "listen = 0.0.0.0:8443\n"
                                  "log_json = yes\n"
                                  "data_dir = /srv/ermes\n");

    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), 0);
    assert_int_equal(cfg.threads, 8);
    assert_string_equal(cfg.listen, "0.0.0.0:8443");
    assert_int_equal(cfg.log_json, 1);
    assert_string_equal(cfg.data_dir, "/srv/ermes");
    assert_string_equal(cfg.config_file, path);
    /* Untouched settings keep their defaults. */
    assert_int_equal(cfg.page_limit, 1000);
    ermes__config_cleanup(&cfg);
}

static void test_file_unknown_key(void **state)
{
    fixture_t *f = *state;
    ermes__config_t cfg;
    ermes_diag_t d;
    const char *path = write_file(f, "unknown.conf",
                                  "threads = 8\n"
                                  "# comment\n"
                                  "listen = 127.0.0.1:9000\n"
                                  "max_bodyy = 1000000\n"
                                  "page_limit = 10\n");

    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    assert_int_equal(d.line, 4);
    assert_string_equal(d.field, "max_bodyy");
    assert_non_null(strstr(d.reason, "max_bodyy"));
    assert_string_equal(d.source, path);
    ermes__config_cleanup(&cfg);
}

static void test_file_bad_value(void **state)
{
    fixture_t *f = *state;
    ermes__config_t cfg;
    ermes_diag_t d;
    const char *path = write_file(f, "range.conf", "[ermes]\nthreads = 1000\n");

    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    assert_int_equal(d.line, 2);
    assert_string_equal(d.field, "threads");
    assert_non_null(strstr(d.reason, "between"));
    assert_null(cfg.config_file);
    ermes__config_cleanup(&cfg);
}

static void test_file_unknown_section(void **state)
{
    fixture_t *f = *state;
    ermes__config_t cfg;
    ermes_diag_t d;
    const char *path = write_file(f, "section.conf", "threads = 2\n[server]\nthreads = 3\n");

    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    assert_int_equal(d.line, 3);
    assert_non_null(strstr(d.reason, "[server]"));
    ermes__config_cleanup(&cfg);
}

static void test_file_malformed_line(void **state)
{
    fixture_t *f = *state;
    ermes__config_t cfg;
    ermes_diag_t d;
    const char *path = write_file(f, "malformed.conf", "threads = 2\nthis is not a setting\n");

    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    assert_int_equal(d.line, 2);
    assert_true(d.reason[0] != '\0');
    ermes__config_cleanup(&cfg);
}

/* The diagnostic describes the first bad line: a later bad line must not overwrite the
 * reason while d.line keeps pointing at the first. */
static void test_file_first_error_reported(void **state)
{
    fixture_t *f = *state;
    ermes__config_t cfg;
    ermes_diag_t d;
    const char *path = write_file(f, "two-errors.conf",
                                  "bogus = 1\n"
                                  "threads = 2\n"
                                  "threads = 9999\n");

    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_ECONFIG);
    ermes__config_cleanup(&cfg);
    assert_int_equal(d.line, 1);
    assert_string_equal(d.field, "bogus");
    assert_non_null(strstr(d.reason, "bogus"));
}

static void test_file_missing(void **state)
{
    fixture_t *f = *state;
    ermes__config_t cfg;
    ermes_diag_t d;
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/absent.conf", f->dir);
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_file(&cfg, path, &d), ERMES_EIO);
    assert_string_equal(d.source, path);
    ermes__config_cleanup(&cfg);
}

static void test_env(void **state)
{
    ermes__config_t cfg;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    setenv("ERMES_THREADS", "16", 1);
    setenv("ERMES_LOG_JSON", "on", 1);
    setenv("ERMES_BIN", "/usr/bin/ermes", 1); /* not a setting: ignored */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_env(&cfg, &d), 0);
    assert_int_equal(cfg.threads, 16);
    assert_int_equal(cfg.log_json, 1);
    unsetenv("ERMES_BIN");

    setenv("ERMES_PAGE_LIMIT", "0", 1);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load_env(&cfg, &d), ERMES_ERANGE);
    assert_string_equal(d.field, "page_limit");
    assert_non_null(strstr(d.source, "ERMES_PAGE_LIMIT"));
    ermes__config_cleanup(&cfg);
}

static void test_flags(void **state)
{
    char *argv[] = {"--threads", "7",  "--max-body=2048", "--log-json", "--page_limit",
                    "5",         "--", "--threads=9",     "--nope"};
    int argc = 9, i = 0;
    ermes__config_t cfg;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_flag(&cfg, argc, argv, &i, &d), 1);
    assert_int_equal(i, 2);
    assert_int_equal(cfg.threads, 7);
    assert_int_equal(ermes__config_flag(&cfg, argc, argv, &i, &d), 1);
    assert_int_equal(i, 3);
    assert_int_equal(cfg.max_body, 2048);
    /* A boolean flag without a value means true. */
    assert_int_equal(ermes__config_flag(&cfg, argc, argv, &i, &d), 1);
    assert_int_equal(i, 4);
    assert_int_equal(cfg.log_json, 1);
    /* '_' is accepted as well as '-'. */
    assert_int_equal(ermes__config_flag(&cfg, argc, argv, &i, &d), 1);
    assert_int_equal(i, 6);
    assert_int_equal(cfg.page_limit, 5);
    /* "--" and unknown flags are not settings: left alone. */
    assert_int_equal(ermes__config_flag(&cfg, argc, argv, &i, &d), 0);
    assert_int_equal(i, 6);
    i = 8;
    assert_int_equal(ermes__config_flag(&cfg, argc, argv, &i, &d), 0);
    assert_int_equal(i, 8);
    ermes__config_cleanup(&cfg);
}

static void test_flags_rejected(void **state)
{
    char *missing[] = {"--threads"};
    char *range[] = {"--threads=257"};
    char *boolean[] = {"--log-json=perhaps"};
    int i;
    ermes__config_t cfg;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    i = 0;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_flag(&cfg, 1, missing, &i, &d), ERMES_EINVAL);
    assert_non_null(strstr(d.reason, "needs a value"));
    i = 0;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_flag(&cfg, 1, range, &i, &d), ERMES_ERANGE);
    assert_non_null(strstr(d.source, "--threads"));
    i = 0;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_flag(&cfg, 1, boolean, &i, &d), ERMES_EINVAL);
    assert_int_equal(cfg.threads, 0);
    assert_int_equal(cfg.log_json, 0);
    ermes__config_cleanup(&cfg);
}

static void test_load_precedence(void **state)
{
    fixture_t *f = *state;
    const char *path = write_file(f, "p.conf",
                                  "threads = 8\nmax_connections = 100\nrequest_timeout = 60\n"
                                  "token_days = 30\n");
    char *argv[] = {"serve", "--config", (char *)path,    "--threads",
                    "32",    "extra",    "--token-days=7"};
    int argc = 7, rest[7], nrest = -1;
    ermes__config_t cfg;
    ermes_diag_t d;

    setenv("ERMES_THREADS", "16", 1);
    setenv("ERMES_MAX_CONNECTIONS", "200", 1);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, argc, argv, rest, &nrest, &d), 0);
    /* defaults < file < environment < flags */
    assert_int_equal(cfg.page_limit, 1000);     /* default */
    assert_int_equal(cfg.request_timeout, 60);  /* file */
    assert_int_equal(cfg.max_connections, 200); /* environment over file */
    assert_int_equal(cfg.threads, 32);          /* flag over environment over file */
    assert_int_equal(cfg.token_days, 7);        /* flag over file */
    assert_string_equal(cfg.config_file, path);
    /* What is not a setting comes back in order; --config and its value are consumed. */
    assert_int_equal(nrest, 2);
    assert_int_equal(rest[0], 0);
    assert_int_equal(rest[1], 5);
    ermes__config_cleanup(&cfg);

    /* Without the flag the environment wins over the file. */
    {
        char *argv2[] = {"--config=", NULL};
        char arg[PATH_MAX + 16];
        snprintf(arg, sizeof(arg), "--config=%s", path);
        argv2[0] = arg;
        argv2[1] = "lookup";
        ermes_diag_clear(&d);
        assert_int_equal(ermes__config_load(&cfg, 2, argv2, rest, &nrest, &d), 0);
        assert_int_equal(cfg.threads, 16);
        assert_string_equal(cfg.config_file, path);
        assert_int_equal(nrest, 1);
        assert_int_equal(rest[0], 1);
        ermes__config_cleanup(&cfg);
    }
}

static void test_load_rest_order(void **state)
{
    char *argv[] = {"org", "add",        "--listen", "127.0.0.1:1", "--short",
                    "x",   "--log-json", "--",       "--threads",   "9"};
    int argc = 10, rest[10], nrest = -1;
    ermes__config_t cfg;
    ermes_diag_t d;

    (void)state;
    setenv("ERMES_DATA_DIR", "/nonexistent/ermes-test", 1);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, argc, argv, rest, &nrest, &d), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:1");
    assert_int_equal(cfg.log_json, 1);
    /* After "--" nothing is a setting. */
    assert_int_equal(cfg.threads, 0);
    assert_null(cfg.config_file);
    {
        static const int want[] = {0, 1, 4, 5, 7, 8, 9};
        assert_int_equal(nrest, 7);
        for (int k = 0; k < 7; k++)
            assert_int_equal(rest[k], want[k]);
    }
    ermes__config_cleanup(&cfg);
}

static void test_load_errors(void **state)
{
    fixture_t *f = *state;
    const char *bad = write_file(f, "bad.conf", "threads = 8\nwhat = 1\n");
    char missing[PATH_MAX];
    char *argv1[] = {"--config", (char *)bad};
    char *argv2[] = {"--config", missing};
    char *argv3[] = {"--threads", "many"};
    int rest[2], nrest;
    ermes__config_t cfg;
    ermes_diag_t d;

    snprintf(missing, sizeof(missing), "%s/missing.conf", f->dir);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, 2, argv1, rest, &nrest, &d), ERMES_ECONFIG);
    assert_int_equal(d.line, 2);
    assert_string_equal(d.field, "what");
    ermes__config_cleanup(&cfg);
    /* A config file named explicitly must exist. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, 2, argv2, rest, &nrest, &d), ERMES_EIO);
    ermes__config_cleanup(&cfg);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, 2, argv3, rest, &nrest, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "threads");
    ermes__config_cleanup(&cfg);
    /* ERMES_CONFIG names the file when no flag does. */
    setenv("ERMES_CONFIG", bad, 1);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, 0, NULL, rest, &nrest, &d), ERMES_ECONFIG);
    assert_int_equal(nrest, 0);
    ermes__config_cleanup(&cfg);
}

static void test_load_data_dir_file(void **state)
{
    fixture_t *f = *state;
    const char *dir = make_dir(f, "data");
    char conf[PATH_MAX], arg[PATH_MAX + 16];
    int rest[4], nrest;
    ermes__config_t cfg;
    ermes_diag_t d;

    snprintf(conf, sizeof(conf), "data/ermes.conf");
    write_file(f, conf, "threads = 12\n");
    snprintf(conf, sizeof(conf), "%s/ermes.conf", dir);

    /* --data-dir DIR */
    {
        char *argv[] = {"--data-dir", (char *)dir};
        ermes_diag_clear(&d);
        assert_int_equal(ermes__config_load(&cfg, 2, argv, rest, &nrest, &d), 0);
        assert_int_equal(cfg.threads, 12);
        assert_string_equal(cfg.data_dir, dir);
        assert_non_null(cfg.config_file);
        assert_string_equal(cfg.config_file, conf);
        assert_int_equal(nrest, 0);
        ermes__config_cleanup(&cfg);
    }
    /* --data-dir=DIR */
    {
        char *argv[] = {arg};
        snprintf(arg, sizeof(arg), "--data-dir=%s", dir);
        ermes_diag_clear(&d);
        assert_int_equal(ermes__config_load(&cfg, 1, argv, rest, &nrest, &d), 0);
        assert_int_equal(cfg.threads, 12);
        ermes__config_cleanup(&cfg);
    }
    /* ERMES_DATA_DIR */
    setenv("ERMES_DATA_DIR", dir, 1);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, 0, NULL, rest, &nrest, &d), 0);
    assert_int_equal(cfg.threads, 12);
    assert_string_equal(cfg.data_dir, dir);
    ermes__config_cleanup(&cfg);
    unsetenv("ERMES_DATA_DIR");
    /* An explicit --config wins over DATA_DIR/ermes.conf. */
    {
        const char *other = write_file(f, "other.conf", "threads = 3\n");
        char *argv[] = {"--data-dir", (char *)dir, "--config", (char *)other};
        ermes_diag_clear(&d);
        assert_int_equal(ermes__config_load(&cfg, 4, argv, rest, &nrest, &d), 0);
        assert_int_equal(cfg.threads, 3);
        assert_string_equal(cfg.config_file, other);
        ermes__config_cleanup(&cfg);
    }
    /* No ermes.conf in the data directory: no file, no error. */
    {
        char *argv[] = {"--data-dir", f->dir};
        ermes_diag_clear(&d);
        assert_int_equal(ermes__config_load(&cfg, 2, argv, rest, &nrest, &d), 0);
        assert_int_equal(cfg.threads, 0);
        assert_null(cfg.config_file);
        ermes__config_cleanup(&cfg);
    }
}

/* Every spelling of the data directory flag that ermes__config_flag() accepts must also be
 * the one used to find DATA_DIR/ermes.conf. */
static void test_load_data_dir_underscore_equals(void **state)
{
    fixture_t *f = *state;
    const char *dir = make_dir(f, "data2");
    char arg[PATH_MAX + 16];
    char *argv[] = {arg};
    int rest[1], nrest;
    long threads;
    ermes__config_t cfg;
    ermes_diag_t d;

    write_file(f, "data2/ermes.conf", "threads = 12\n");
    snprintf(arg, sizeof(arg), "--data_dir=%s", dir);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__config_load(&cfg, 1, argv, rest, &nrest, &d), 0);
    assert_string_equal(cfg.data_dir, dir);
    threads = cfg.threads;
    ermes__config_cleanup(&cfg);
    assert_int_equal(threads, 12);
}

static void test_usage(void **state)
{
    FILE *fp = tmpfile();
    char text[65536];
    size_t n;

    (void)state;
    assert_non_null(fp);
    ermes__config_usage(fp);
    rewind(fp);
    n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    assert_non_null(strstr(text, "--threads"));
    assert_non_null(strstr(text, "ERMES_THREADS"));
    assert_non_null(strstr(text, "--max-body"));
    assert_non_null(strstr(text, "ERMES_MAX_BODY"));
    assert_non_null(strstr(text, "--config FILE"));
    assert_non_null(strstr(text, "(default: 127.0.0.1:8080)"));
}

static void test_init_out_of_memory(void **state)
{
    ermes__config_t cfg;
    int rc = ERMES_ENOMEM;

    (void)state;
    /* Each allocation of init in turn fails: ENOMEM, nothing leaks (ASan), then success. */
    for (long n = 0; n < 100 && rc == ERMES_ENOMEM; n++) {
        ermes__alloc_fail_after(n);
        rc = ermes__config_init(&cfg);
        ermes__alloc_fail_after(-1);
        if (rc == 0)
            ermes__config_cleanup(&cfg);
        else
            assert_int_equal(rc, ERMES_ENOMEM);
    }
    assert_int_equal(rc, 0);
}

static void test_load_out_of_memory(void **state)
{
    fixture_t *f = *state;
    const char *path = write_file(f, "oom.conf", "listen = 127.0.0.1:1\n");
    char *argv[] = {"--config", (char *)path, "--tls-cert", "/c.pem", "x"};
    int rest[5], nrest, rc = ERMES_ENOMEM;
    ermes__config_t cfg;
    ermes_diag_t d;

    /* Each allocation in turn fails: an error, no crash, nothing leaks (ASan), then success.
     * A failure while the file is applied is ERMES_ENOMEM too, not ERMES_ECONFIG: see
     * test_file_out_of_memory_reported. */
    for (long n = 0; n < 200 && rc != 0; n++) {
        ermes_diag_clear(&d);
        ermes__alloc_fail_after(n);
        rc = ermes__config_load(&cfg, 5, argv, rest, &nrest, &d);
        ermes__alloc_fail_after(-1);
        if (rc != 0 && rc != ERMES_ENOMEM)
            fail_msg("allocation %ld failing gave %s", n, ermes_errname(rc));
        if (rc)
            ermes__config_cleanup(&cfg);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(cfg.listen, "127.0.0.1:1");
    assert_string_equal(cfg.tls_cert, "/c.pem");
    ermes__config_cleanup(&cfg);
}

/* Out of memory is an error like any other (STYLE.md), not a configuration mistake. */
static void test_file_out_of_memory_reported(void **state)
{
    fixture_t *f = *state;
    const char *path = write_file(f, "oom2.conf", "listen = 127.0.0.1:1\n");
    ermes__config_t cfg;
    ermes_diag_t d;
    int rc;

    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    ermes__alloc_fail_after(0);
    rc = ermes__config_load_file(&cfg, path, &d);
    ermes__alloc_fail_after(-1);
    ermes__config_cleanup(&cfg);
    assert_int_equal(rc, ERMES_ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_cache_auto, setup, teardown),
        cmocka_unit_test(test_cgroup_limit),
        cmocka_unit_test_setup_teardown(test_set_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_rejected_log_level_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_bad_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_unknown_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_malformed_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_first_error_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_rest_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_data_dir_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_data_dir_underscore_equals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_out_of_memory_reported, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
