/* Tests of the second factor (src/access/totp.c, src/store/totp.c): HOTP and TOTP against the
 * test vectors of RFC 4226 appendix D and RFC 6238 appendix B, base32 against RFC 4648
 * section 10, the window of one step either way, replays refused, enrolment, recovery codes
 * used once, the login's handling of the second factor, and the QR code's SVG. The store's
 * part runs on SQLite and, as unit_pg.test_totp, on PostgreSQL (tests/unit/test_db.h). */
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

#include "access/access.h"
#include "core/alloc.h"
#include "core/time.h"
#include "model/org.h"
#include "store/store.h"
#include "test_db.h"

/* RFC 6238 appendix B and RFC 4226 appendix D: the ASCII key "12345678901234567890". */
static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20

static void test_hotp_rfc4226(void **state)
{
    static const uint32_t want[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
    uint32_t v;

    (void)state;
    for (uint64_t c = 0; c < 10; c++) {
        assert_int_equal(ermes__hotp(rfc_key, RFC_KEY_LEN, c, 6, &v), 0);
        assert_int_equal(v, want[c]);
    }
    assert_int_equal(ermes__hotp(rfc_key, RFC_KEY_LEN, 0, 5, &v), ERMES_EINVAL);
    assert_int_equal(ermes__hotp(rfc_key, 0, 0, 6, &v), ERMES_EINVAL);
}

static void test_totp_rfc6238(void **state)
{
    /* Appendix B, the SHA-1 rows: time (s), then the 8-digit TOTP. */
    static const struct {
        int64_t t;
        uint32_t totp;
    } rows[] = {
        {59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
        {1234567890, 89005924}, {2000000000, 69279037}, {20000000000LL, 65353130},
    };
    uint32_t v;

    (void)state;
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        int64_t step = ermes__totp_step(rows[k].t * 1000);
        assert_int_equal(ermes__hotp(rfc_key, RFC_KEY_LEN, (uint64_t)step, 8, &v), 0);
        assert_int_equal(v, rows[k].totp);
        /* The 6 digits ermes uses are the last 6 of those 8 (both are the value mod 10^n). */
        assert_int_equal(ermes__hotp(rfc_key, RFC_KEY_LEN, (uint64_t)step, 6, &v), 0);
        assert_int_equal(v, rows[k].totp % 1000000);
    }
    assert_int_equal(ermes__totp_step(29999), 0);
    assert_int_equal(ermes__totp_step(30000), 1);
}

static void test_base32_rfc4648(void **state)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    /* Section 10, without the padding otpauth URIs leave out. */
    static const char *const out[] = {"",        "MY",       "MZXQ",      "MZXW6",
                                      "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
    char buf[32];

    (void)state;
    for (size_t k = 0; k < 7; k++) {
        assert_int_equal(
            ermes__base32_encode((const uint8_t *)in[k], strlen(in[k]), buf, sizeof(buf)), 0);
        assert_string_equal(buf, out[k]);
    }
    assert_int_equal(ermes__base32_encode((const uint8_t *)"foobar", 6, buf, 10), ERMES_ETOOBIG);
}

/* The code of rfc_key at step s, as a string. */
static void code_at(const uint8_t *key, size_t len, int64_t s, char out[8])
{
    uint32_t v;

    assert_int_equal(ermes__hotp(key, len, (uint64_t)s, 6, &v), 0);
    snprintf(out, 8, "%06u", v);
}

static void test_window_and_replay_rule(void **state)
{
    /* 59 s is step 1: the codes of steps 0, 1 and 2 pass, 3 and -1 not. */
    int64_t now = 59 * 1000, step = -5;
    char c[8];

    (void)state;
    for (int64_t s = 0; s <= 2; s++) {
        code_at(rfc_key, RFC_KEY_LEN, s, c);
        assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, c, now, -1, &step), 0);
        assert_int_equal(step, s);
        /* A step at or before the last one accepted is a replay. */
        assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, c, now, s, &step), ERMES_EAUTH);
    }
    code_at(rfc_key, RFC_KEY_LEN, 3, c);
    assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, c, now, -1, &step), ERMES_EAUTH);
    code_at(rfc_key, RFC_KEY_LEN, 1, c);
    assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, c, now + 90000, -1, &step),
                     ERMES_EAUTH);
    /* Not six digits: refused before any arithmetic. */
    assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, "28708", now, -1, &step), ERMES_EAUTH);
    assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, "2870822", now, -1, &step),
                     ERMES_EAUTH);
    assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, "28708a", now, -1, &step),
                     ERMES_EAUTH);
    assert_int_equal(ermes__totp_match(rfc_key, RFC_KEY_LEN, NULL, now, -1, &step), ERMES_EAUTH);
}

/* ---- against a real store ------------------------------------------------------------------ */

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    ermes__user_t u;
} fixture_t;

static int setup(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__org_t *home = ermes__org_new();
    ermes_diag_t d;

    if (!f || !home || ermes__access_init() != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-totp-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    home->short_name = ermes__org_strdup(home, "CERT");
    home->name = ermes__org_strdup(home, "The CERT");
    ermes_diag_clear(&d);
    if (ermes__store_org_insert(f->st, home, &d))
        return -1;
    snprintf(f->u.name, sizeof(f->u.name), "tina");
    f->u.role = ERMES_ROLE_ANALYST;
    f->u.org_id = home->meta.id;
    ermes__org_free(home);
    if (ermes__password_hash("correct horse battery", f->u.password_hash, &d) ||
        ermes__store_user_insert(f->st, &f->u, &d))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    DIR *d;
    struct dirent *e;
    char path[512];

    ermes__store_close(f->st);
    if ((d = opendir(f->dir))) {
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
                remove(path);
            }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* The raw key of a base32 secret (what the user's app does with it). */
static size_t base32_decode(const char *s, uint8_t *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned acc = 0, bits = 0;
    size_t n = 0;

    for (; *s; s++) {
        acc = (acc << 5) | (unsigned)(strchr(alphabet, *s) - alphabet);
        bits += 5;
        if (bits >= 8) {
            out[n++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return n;
}

static void test_enrol_check_replay(void **state)
{
    fixture_t *f = *state;
    char codes[ERMES_RECOVERY_CODES][ERMES_RECOVERY_CODE_STRLEN], c[8], c2[8];
    ermes__totp_enrolment_t e;
    ermes__user_t got;
    uint8_t key[40];
    size_t len;
    int64_t step = ermes__totp_step(ermes__time_now_ms()), left = -1;
    int by = -1;

    /* Nothing to confirm before a start; nothing to check before it is on. */
    assert_int_equal(ermes__totp_confirm(f->st, &f->u, "123456", codes), ERMES_ENOTFOUND);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, "123456", NULL, &by, &left), ERMES_EAUTH);

    assert_int_equal(ermes__totp_begin(f->st, &f->u, "ermes", &e), 0);
    assert_int_equal(strlen(e.secret), 32);
    assert_non_null(strstr(e.uri, "otpauth://totp/ermes:tina?secret="));
    assert_non_null(strstr(e.uri, e.secret));
    len = base32_decode(e.secret, key);
    assert_int_equal(len, ERMES_TOTP_SECRET_BYTES);
    /* Pending is not on. */
    assert_int_equal(ermes__store_user_get(f->st, f->u.id, NULL, &got), 0);
    assert_false(got.totp_enabled);
    code_at(key, len, step, c);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, c, NULL, &by, &left), ERMES_EAUTH);

    /* A wrong code does not confirm; the right one does, and gives ten distinct codes. */
    code_at(key, len, step + 5, c2);
    assert_int_equal(ermes__totp_confirm(f->st, &f->u, c2, codes), ERMES_EAUTH);
    assert_int_equal(ermes__totp_confirm(f->st, &f->u, c, codes), 0);
    for (int i = 0; i < ERMES_RECOVERY_CODES; i++) {
        assert_int_equal(strlen(codes[i]), ERMES_RECOVERY_CODE_STRLEN - 1);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
    }
    assert_int_equal(ermes__store_user_get(f->st, f->u.id, NULL, &got), 0);
    assert_true(got.totp_enabled);
    assert_int_equal(ermes__totp_begin(f->st, &f->u, "ermes", &e), ERMES_ECONFLICT);
    assert_int_equal(ermes__totp_confirm(f->st, &f->u, c, codes), ERMES_ECONFLICT);

    /* The confirming code was used: never again. The next step's code works once. */
    assert_int_equal(ermes__totp_check(f->st, f->u.id, c, NULL, &by, &left), ERMES_EAUTH);
    code_at(key, len, step + 1, c2);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, c2, NULL, &by, &left), 0);
    assert_int_equal(by, 0);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, c2, NULL, &by, &left), ERMES_EAUTH);
    /* Once step + 1 was used, the code of step (still in the window) is refused too. */
    assert_int_equal(ermes__totp_check(f->st, f->u.id, c, NULL, &by, &left), ERMES_EAUTH);

    /* Recovery codes: once each, typed any way. */
    assert_int_equal(ermes__totp_check(f->st, f->u.id, NULL, codes[3], &by, &left), 0);
    assert_int_equal(by, 1);
    assert_int_equal(left, ERMES_RECOVERY_CODES - 1);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, NULL, codes[3], &by, &left), ERMES_EAUTH);
    {
        char loud[32];
        size_t o = 0;
        for (const char *p = codes[4]; *p; p++)
            if (*p != '-')
                loud[o++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        loud[o] = '\0';
        assert_int_equal(ermes__totp_check(f->st, f->u.id, "", loud, &by, &left), 0);
        assert_int_equal(left, ERMES_RECOVERY_CODES - 2);
    }
    assert_int_equal(ermes__totp_check(f->st, f->u.id, NULL, "aaaa-bbbb-cccc-dddd", &by, &left),
                     ERMES_EAUTH);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, NULL, "not a code", &by, &left),
                     ERMES_EAUTH);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, NULL, NULL, &by, &left), ERMES_EAUTH);

    /* Reset: gone, and gone again is ENOTFOUND. */
    assert_int_equal(ermes__totp_reset(f->st, f->u.id), 0);
    assert_int_equal(ermes__totp_reset(f->st, f->u.id), ERMES_ENOTFOUND);
    assert_int_equal(ermes__totp_check(f->st, f->u.id, NULL, codes[5], &by, &left), ERMES_EAUTH);
    assert_int_equal(ermes__store_user_get(f->st, f->u.id, NULL, &got), 0);
    assert_false(got.totp_enabled);
}

static void test_login_second_factor(void **state)
{
    fixture_t *f = *state;
    char codes[ERMES_RECOVERY_CODES][ERMES_RECOVERY_CODE_STRLEN], c[8];
    ermes__totp_enrolment_t e;
    ermes__login_factor_t lf;
    ermes__user_t u;
    uint8_t key[40];
    size_t len;
    int64_t step = ermes__totp_step(ermes__time_now_ms()), retry;
    int locked;

    /* Without TOTP the password is all. */
    memset(&lf, 0, sizeof(lf));
    assert_int_equal(
        ermes__login(f->st, "tina", "correct horse battery", &lf, "t", &u, &locked, &retry), 0);
    assert_int_equal(lf.state, ERMES_FACTOR_NONE);

    assert_int_equal(ermes__totp_begin(f->st, &f->u, "ermes", &e), 0);
    len = base32_decode(e.secret, key);
    code_at(key, len, step, c);
    assert_int_equal(ermes__totp_confirm(f->st, &f->u, c, codes), 0);

    /* The password alone: missing, not a failure. */
    memset(&lf, 0, sizeof(lf));
    assert_int_equal(
        ermes__login(f->st, "tina", "correct horse battery", &lf, "t", &u, &locked, &retry),
        ERMES_EAUTH);
    assert_int_equal(lf.state, ERMES_FACTOR_MISSING);
    assert_int_equal(
        ermes__login(f->st, "tina", "correct horse battery", NULL, "t", &u, &locked, &retry),
        ERMES_EAUTH);
    /* Four wrong codes, then the right one still works (no lock yet) and forgets them. */
    for (int i = 0; i < 4; i++) {
        lf.totp = "000000";
        lf.recovery_code = NULL;
        if (strcmp(c, "000000") == 0)
            lf.totp = "111111";
        assert_int_equal(
            ermes__login(f->st, "tina", "correct horse battery", &lf, "t", &u, &locked, &retry),
            ERMES_EAUTH);
        assert_int_equal(lf.state, ERMES_FACTOR_WRONG);
        assert_false(locked);
    }
    code_at(key, len, step + 1, c);
    lf.totp = c;
    assert_int_equal(
        ermes__login(f->st, "tina", "correct horse battery", &lf, "t", &u, &locked, &retry), 0);
    assert_int_equal(lf.state, ERMES_FACTOR_TOTP);
    assert_string_equal(u.name, "tina");
    /* A wrong password with a right recovery code is a wrong password, and uses no code. */
    lf.totp = NULL;
    lf.recovery_code = codes[0];
    assert_int_equal(ermes__login(f->st, "tina", "wrong password!!", &lf, "t", &u, &locked, &retry),
                     ERMES_EAUTH);
    assert_int_equal(lf.state, ERMES_FACTOR_NONE);
    assert_int_equal(
        ermes__login(f->st, "tina", "correct horse battery", &lf, "t", &u, &locked, &retry), 0);
    assert_int_equal(lf.state, ERMES_FACTOR_RECOVERY);
    assert_int_equal(lf.recovery_left, ERMES_RECOVERY_CODES - 1);
    /* Five wrong codes lock the name like five wrong passwords. */
    lf.recovery_code = NULL;
    for (int i = 0; i < 5; i++) {
        lf.totp = strcmp(c, "000000") ? "000000" : "111111";
        assert_int_equal(
            ermes__login(f->st, "tina", "correct horse battery", &lf, "t", &u, &locked, &retry),
            ERMES_EAUTH);
    }
    assert_true(locked);
    code_at(key, len, step + 2, c);
    lf.totp = c;
    assert_int_equal(
        ermes__login(f->st, "tina", "correct horse battery", &lf, "t", &u, &locked, &retry),
        ERMES_EDENIED);
}

static void test_qr_svg(void **state)
{
    char *svg = NULL;

    (void)state;
    assert_int_equal(ermes__totp_qr_svg("otpauth://totp/ermes:tina?secret=MZXW6YTBOI", &svg), 0);
    assert_non_null(svg);
    assert_true(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", 52) == 0);
    assert_non_null(strstr(svg, "<path fill=\"#000\" d=\"M"));
    assert_non_null(strstr(svg, "</svg>"));
    ermes__free(svg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotp_rfc4226),
        cmocka_unit_test(test_totp_rfc6238),
        cmocka_unit_test(test_base32_rfc4648),
        cmocka_unit_test(test_window_and_replay_rule),
        cmocka_unit_test_setup_teardown(test_enrol_check_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_second_factor, setup, teardown),
        cmocka_unit_test(test_qr_svg),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
