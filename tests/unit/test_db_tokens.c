/*
 * test_db_tokens.c — unit tests for the pure parts of bsd/db/db_tokens.c:
 * the token format (prefix + 43 base64url characters of 32 random bytes,
 * RFC 4648 §5 alphabet, no padding), its hash (SHA-256, FIPS 180-4 test
 * vector), role and name rules. The table functions are covered by
 * tests/integration/test_api.sh against a real PostgreSQL.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db.h"
#include "bsd/db/db_tokens.h"

START_TEST(test_generate)
{
    char a[DB_TOKEN_TEXT_MAX], b[DB_TOKEN_TEXT_MAX];
    ck_assert_int_eq(db_token_generate(a), 0);
    ck_assert_int_eq(db_token_generate(b), 0);
    ck_assert_uint_eq(strlen(a), DB_TOKEN_LEN);
    ck_assert_uint_eq(strlen(a), 47);
    ck_assert(strncmp(a, "bsd_", 4) == 0);
    ck_assert_str_ne(a, b);
    ck_assert(db_token_well_formed(a, strlen(a)));
    for (int i = 0; i < 200; i++) { /* every generated token is well-formed */
        ck_assert_int_eq(db_token_generate(a), 0);
        ck_assert_msg(db_token_well_formed(a, strlen(a)), "%s", a);
        ck_assert_ptr_null(strpbrk(a, "+/="));
    }
}
END_TEST

START_TEST(test_well_formed)
{
    const char *ok = "bsd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; /* 32 zero bytes */
    ck_assert(db_token_well_formed(ok, strlen(ok)));
    ck_assert(db_token_well_formed("bsd_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_w", 47));
    ck_assert(
        !db_token_well_formed("bsd_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_x", 47)); /* stray low bits */
    ck_assert(!db_token_well_formed(ok, strlen(ok) - 1));
    ck_assert(!db_token_well_formed("xsd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 47));
    ck_assert(!db_token_well_formed("bsd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 47));
    ck_assert(!db_token_well_formed("bsd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 47));
    char nul[48];
    memcpy(nul, ok, 48);
    nul[10] = 0;
    ck_assert(!db_token_well_formed(nul, 47));
    ck_assert(!db_token_well_formed(NULL, 0));
}
END_TEST

START_TEST(test_hash)
{
    uint8_t h[DB_TOKEN_HASH_LEN];
    char hex[2 * DB_TOKEN_HASH_LEN + 1];
    ck_assert_int_eq(db_token_hash("abc", 3, h), 0); /* FIPS 180-4 example "abc" */
    ck_assert_str_eq(db_hex_encode(h, sizeof h, hex),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_roles_names)
{
    ck_assert_int_eq(db_token_role_parse("viewer"), DB_ROLE_VIEWER);
    ck_assert_int_eq(db_token_role_parse("operator"), DB_ROLE_OPERATOR);
    ck_assert_int_eq(db_token_role_parse("admin"), DB_ROLE_ADMIN);
    ck_assert_int_eq(db_token_role_parse("metrics"), DB_ROLE_METRICS);
    ck_assert_int_eq(db_token_role_parse("none"), DB_ROLE_NONE);
    ck_assert_int_eq(db_token_role_parse("Admin"), DB_ROLE_NONE);
    ck_assert_int_eq(db_token_role_parse(NULL), DB_ROLE_NONE);
    ck_assert_str_eq(db_token_role_name(DB_ROLE_OPERATOR), "operator");
    ck_assert_str_eq(db_token_role_name((db_token_role_t)99), "none");
    ck_assert(DB_ROLE_VIEWER < DB_ROLE_OPERATOR && DB_ROLE_OPERATOR < DB_ROLE_ADMIN);
    ck_assert(db_token_name_ok("ci"));
    ck_assert(db_token_name_ok("mes-line.7_a"));
    ck_assert(!db_token_name_ok(""));
    ck_assert(!db_token_name_ok("-x"));
    ck_assert(!db_token_name_ok("a b"));
    ck_assert(!db_token_name_ok("a/b"));
    char longname[80];
    memset(longname, 'a', sizeof longname);
    longname[64] = 0;
    ck_assert(!db_token_name_ok(longname));
    longname[63] = 0;
    ck_assert(db_token_name_ok(longname));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("db_tokens");
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, test_generate);
    tcase_add_test(tc, test_well_formed);
    tcase_add_test(tc, test_hash);
    tcase_add_test(tc, test_roles_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
