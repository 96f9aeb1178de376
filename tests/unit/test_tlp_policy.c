/* Tests of the one TLP policy's named recipients and sharing-group grants
 * (src/access/tlp_policy.c) and of the secret box that seals peers' credentials
 * (src/core/secret_box.c): every label against every relation, and sealing that round-trips,
 * refuses what was tampered with or sealed under another key, and a key file made 0600. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/tlp_policy.h"
#include "core/secret_box.h"

static const ermes__viewer_t staff = {1, "ana", ERMES_ROLE_ANALYST, 1, "test"};
static const ermes__viewer_t peer = {2, "pete", ERMES_ROLE_CONSTITUENT, 7, "test"};
static const ermes__viewer_t sensor = {3, "box", ERMES_ROLE_SENSOR, 7, "test"};
static const ermes__viewer_t orgless = {4, "x", ERMES_ROLE_CONSTITUENT, 0, "test"};

static void test_named_recipients(void **state)
{
    (void)state;
    for (int t = ERMES_TLP_CLEAR; t <= ERMES_TLP_RED; t++) {
        ermes_tlp_t tlp = (ermes_tlp_t)t;
        int community = tlp <= ERMES_TLP_GREEN;
        /* Not named: the community's labels only (someone else owns it). */
        assert_int_equal(
            ermes__tlp_policy_allows_named(&peer, ERMES_TLP_RED, tlp, 99, ERMES__TLP_NOT_NAMED),
            community);
        /* Named: every label (RED, AMBER+STRICT and AMBER to the named organisation). */
        assert_int_equal(
            ermes__tlp_policy_allows_named(&peer, ERMES_TLP_RED, tlp, 99, ERMES__TLP_NAMED), 1);
        /* A client of a named organisation: AMBER, not AMBER+STRICT, not RED. */
        assert_int_equal(
            ermes__tlp_policy_allows_named(&peer, ERMES_TLP_RED, tlp, 99, ERMES__TLP_CLIENT),
            community || tlp == ERMES_TLP_AMBER);
        /* The channel's cap holds for named recipients too. */
        assert_int_equal(
            ermes__tlp_policy_allows_named(&peer, ERMES_TLP_GREEN, tlp, 99, ERMES__TLP_NAMED),
            community);
        /* No account, a sensor, a viewer without organisation: naming does not apply. */
        assert_int_equal(
            ermes__tlp_policy_allows_named(NULL, ERMES_TLP_RED, tlp, 99, ERMES__TLP_NAMED),
            tlp == ERMES_TLP_CLEAR);
        assert_int_equal(
            ermes__tlp_policy_allows_named(&sensor, ERMES_TLP_RED, tlp, 99, ERMES__TLP_NAMED),
            tlp == ERMES_TLP_CLEAR);
        assert_int_equal(
            ermes__tlp_policy_allows_named(&orgless, ERMES_TLP_RED, tlp, 99, ERMES__TLP_NAMED),
            community);
        assert_int_equal(
            ermes__tlp_policy_allows_named(&staff, ERMES_TLP_RED, tlp, 99, ERMES__TLP_NOT_NAMED),
            1);
    }
}

static void test_grant(void **state)
{
    ermes__tlp_masks_t m;

    (void)state;
    /* AMBER granted under an AMBER cap: CLEAR, GREEN, AMBER for everything of the group. */
    ermes__tlp_policy_granted(&peer, ERMES_TLP_AMBER, ERMES_TLP_AMBER, &m);
    assert_int_equal(m.anyone, ERMES__TLP_BIT(ERMES_TLP_CLEAR) | ERMES__TLP_BIT(ERMES_TLP_GREEN) |
                                   ERMES__TLP_BIT(ERMES_TLP_AMBER));
    /* The cap wins over the grant. */
    ermes__tlp_policy_granted(&peer, ERMES_TLP_GREEN, ERMES_TLP_AMBER_STRICT, &m);
    assert_int_equal(m.anyone, ERMES__TLP_BIT(ERMES_TLP_CLEAR) | ERMES__TLP_BIT(ERMES_TLP_GREEN));
    /* RED is never granted. */
    ermes__tlp_policy_granted(&peer, ERMES_TLP_RED, ERMES_TLP_RED, &m);
    assert_int_equal(m.anyone & ERMES__TLP_BIT(ERMES_TLP_RED), 0);
    /* A sensor and an account without organisation get nothing from a grant. */
    ermes__tlp_policy_granted(&sensor, ERMES_TLP_RED, ERMES_TLP_AMBER, &m);
    assert_int_equal(m.anyone, ERMES__TLP_BIT(ERMES_TLP_CLEAR));
    ermes__tlp_policy_granted(&orgless, ERMES_TLP_RED, ERMES_TLP_AMBER, &m);
    assert_int_equal(m.anyone, ERMES__TLP_BIT(ERMES_TLP_CLEAR) | ERMES__TLP_BIT(ERMES_TLP_GREEN));
    /* No grant: the policy as before. */
    ermes__tlp_policy_granted(&peer, ERMES_TLP_RED, -1, &m);
    assert_int_equal(m.anyone, ERMES__TLP_BIT(ERMES_TLP_CLEAR) | ERMES__TLP_BIT(ERMES_TLP_GREEN));
}

static void test_secret_box(void **state)
{
    char dir[64], path[128], out[ERMES__SECRET_MAX + 1], *sealed = NULL, *sealed2 = NULL;
    unsigned char key[ERMES__SECRET_KEY_BYTES], again[ERMES__SECRET_KEY_BYTES];
    unsigned char other[ERMES__SECRET_KEY_BYTES];
    struct stat sb;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-secret-XXXXXX");
    assert_non_null(mkdtemp(dir));
    /* No file, not asked to make one. */
    assert_int_equal(ermes__secret_key_load(dir, 0, key), ERMES_ENOTFOUND);
    assert_int_equal(ermes__secret_key_load(dir, 1, key), 0);
    snprintf(path, sizeof(path), "%s/%s", dir, ERMES__SECRET_KEY_FILE);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* The same key read back; a second "make" keeps the file that is there. */
    assert_int_equal(ermes__secret_key_load(dir, 1, again), 0);
    assert_memory_equal(key, again, sizeof(key));

    assert_int_equal(ermes__secret_seal(key, "USER:p4ssw0rd", &sealed), 0);
    assert_true(ermes__secret_is_sealed(sealed));
    assert_null(strstr(sealed, "p4ssw0rd"));
    assert_int_equal(ermes__secret_open(key, sealed, out, sizeof(out)), 0);
    assert_string_equal(out, "USER:p4ssw0rd");
    /* A fresh nonce every time: the same secret never seals to the same text. */
    assert_int_equal(ermes__secret_seal(key, "USER:p4ssw0rd", &sealed2), 0);
    assert_string_not_equal(sealed, sealed2);
    /* Another key, a flipped byte, a cut, plain text, a small buffer: refused. */
    memcpy(other, key, sizeof(other));
    other[0] ^= 1;
    assert_int_equal(ermes__secret_open(other, sealed, out, sizeof(out)), ERMES_EPARSE);
    sealed[20] = sealed[20] == 'A' ? 'B' : 'A';
    assert_int_equal(ermes__secret_open(key, sealed, out, sizeof(out)), ERMES_EPARSE);
    sealed2[strlen(sealed2) - 8] = '\0';
    assert_int_equal(ermes__secret_open(key, sealed2, out, sizeof(out)), ERMES_EPARSE);
    assert_int_equal(ermes__secret_open(key, "token", out, sizeof(out)), ERMES_EPARSE);
    free(sealed2);
    assert_int_equal(ermes__secret_seal(key, "0123456789", &sealed2), 0);
    assert_int_equal(ermes__secret_open(key, sealed2, out, 5), ERMES_ETOOBIG);
    free(sealed);
    free(sealed2);
    /* Too long to seal. */
    {
        char *big = malloc(ERMES__SECRET_MAX + 2);
        assert_non_null(big);
        memset(big, 'x', ERMES__SECRET_MAX + 1);
        big[ERMES__SECRET_MAX + 1] = '\0';
        assert_int_equal(ermes__secret_seal(key, big, &sealed), ERMES_EINVAL);
        free(big);
    }
    /* A file that is not a key. */
    {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("not a key\n", f);
        fclose(f);
        assert_int_equal(ermes__secret_key_load(dir, 1, again), ERMES_EPARSE);
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_recipients),
        cmocka_unit_test(test_grant),
        cmocka_unit_test(test_secret_box),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
