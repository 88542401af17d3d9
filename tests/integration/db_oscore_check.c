/*
 * db_oscore_check.c — checks bsd/db/db_oscore.h against a real PostgreSQL
 * (run by test_db_oscore.sh on a private cluster, after `bsctl migrate`):
 * disjoint increasing SSN blocks, two connections reserving at once, the
 * 2^40 limit (RFC 8613 §7.2.1), the monotonic replay floor, lease
 * exclusivity and expiry, separate rows per ID Context (Appendix B.2), and
 * state surviving a new connection (a restarted daemon).
 *
 * Usage: db_oscore_check DB_URL
 * Output: `ok`/`not ok` lines; exit status 1 when any check failed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db.h"
#include "bsd/db/db_migrate.h"
#include "bsd/db/db_oscore.h"

#define RACE_ROUNDS 1000 /* reservations per connection in the race */

static int n_ok, n_fail;
static const char *url;

static void check(int cond, const char *what)
{
    printf("%s - %s\n", cond ? "ok" : "not ok", what);
    cond ? n_ok++ : n_fail++;
}

static db_t *conn(void)
{
    char err[DB_ERR_MAX];
    db_t *db = NULL;
    if (db_connect(url, &db, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
    return db;
}

/* A key for |ep| with Recipient ID |rid| and, when |ctx| is not NULL, the
 * ID Context |ctx| of |ctx_len| bytes. */
static db_oscore_key_t key(const char *ep, const char *rid, size_t rid_len, const char *ctx, size_t ctx_len)
{
    db_oscore_key_t k = {.endpoint = ep, .recipient_id_len = rid_len, .has_id_context = ctx != NULL};
    memcpy(k.recipient_id, rid, rid_len);
    if (ctx) {
        memcpy(k.id_context, ctx, ctx_len);
        k.id_context_len = ctx_len;
    }
    return k;
}

static void test_blocks(db_t *db)
{
    db_oscore_key_t k = key("dev-blocks", "\x01", 1, NULL, 0);
    int64_t s, e, prev_end = 0;
    int good = 1;
    for (int64_t n = 1; n <= 20; n++) {
        int r = db_oscore_reserve(db, &k, n * 7, &s, &e);
        good &= r == 0 && s == prev_end && e == s + n * 7;
        prev_end = e;
    }
    check(good, "blocks of one context start at 0, follow each other and never overlap");

    /* A new connection is a restarted daemon: it continues after every block handed out. */
    db_t *again = conn();
    int r = db_oscore_reserve(again, &k, 5, &s, &e);
    check(r == 0 && s == prev_end && e == prev_end + 5, "a new connection continues after the last block");
    db_oscore_state_t st;
    r = db_oscore_load(again, &k, &st);
    check(r == 0 && st.ssn_reserved == e && st.replay_floor == -1 && !st.lease_live && st.lease_owner[0] == 0,
          "load reads ssn_reserved back; no floor, no lease yet");
    db_close(again);

    check(db_oscore_reserve(db, &k, 0, &s, &e) == -EINVAL, "a block of 0 is refused");
    check(db_oscore_reserve(db, &k, DB_OSCORE_SSN_LIMIT + 1, &s, &e) == -EINVAL,
          "a block above 2^40 is refused");
}

typedef struct race {
    pthread_barrier_t *go;
    int64_t start[RACE_ROUNDS], end[RACE_ROUNDS];
    int failed;
} race_t;

static void *race_run(void *arg)
{
    race_t *rc = arg;
    db_t *db = conn();
    db_oscore_key_t k = key("dev-race", "\x00\x07", 2, "race", 4);
    pthread_barrier_wait(rc->go);
    for (int i = 0; i < RACE_ROUNDS; i++)
        if (db_oscore_reserve(db, &k, 1 + i % 13, &rc->start[i], &rc->end[i]) < 0) rc->failed++;
    db_close(db);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_race(db_t *db)
{
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    static race_t rc[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        rc[i].go = &go;
        pthread_create(&th[i], NULL, race_run, &rc[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    check(rc[0].failed == 0 && rc[1].failed == 0, "two connections reserve 1000 blocks each");

    /* Both threads' blocks sorted by start must tile [0, total) exactly: no overlap, no gap. */
    static int64_t pairs[2 * RACE_ROUNDS][2];
    int64_t total = 0;
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < RACE_ROUNDS; i++) {
            pairs[t * RACE_ROUNDS + i][0] = rc[t].start[i];
            pairs[t * RACE_ROUNDS + i][1] = rc[t].end[i];
            total += rc[t].end[i] - rc[t].start[i];
        }
    qsort(pairs, 2 * RACE_ROUNDS, sizeof pairs[0], cmp_i64);
    int64_t at = 0;
    int tiled = 1;
    for (int i = 0; i < 2 * RACE_ROUNDS; i++) {
        tiled &= pairs[i][0] == at && pairs[i][1] > pairs[i][0];
        at = pairs[i][1];
    }
    check(tiled && at == total, "concurrent blocks never overlap and leave no gap");
    /* Each thread's own blocks increase. */
    int up = 1;
    for (int t = 0; t < 2; t++)
        for (int i = 1; i < RACE_ROUNDS; i++)
            up &= rc[t].start[i] >= rc[t].end[i - 1];
    check(up, "each connection's blocks increase");
    db_oscore_key_t k = key("dev-race", "\x00\x07", 2, "race", 4);
    db_oscore_state_t st;
    check(db_oscore_load(db, &k, &st) == 0 && st.ssn_reserved == total,
          "ssn_reserved is the sum of all blocks");
}

static void test_limit(db_t *db)
{
    db_oscore_key_t k = key("dev-limit", "\x02", 1, NULL, 0);
    int64_t s = -1, e = -1, L = DB_OSCORE_SSN_LIMIT;
    check(db_oscore_reserve(db, &k, L - 10, &s, &e) == 0 && s == 0 && e == L - 10, "a block up to 2^40 - 10");
    int r = db_oscore_reserve(db, &k, 11, &s, &e);
    check(r == -ERANGE && strstr(db_errmsg(db), "re-keyed") != NULL, "a block passing 2^40 is -ERANGE");
    db_oscore_state_t st;
    check(db_oscore_load(db, &k, &st) == 0 && st.ssn_reserved == L - 10, "a refused block hands nothing out");
    check(db_oscore_reserve(db, &k, 10, &s, &e) == 0 && s == L - 10 && e == L,
          "the last block ends at 2^40 (last SSN 2^40 - 1)");
    check(db_oscore_reserve(db, &k, 1, &s, &e) == -ERANGE, "nothing is left after 2^40");
    db_oscore_key_t fresh = key("dev-limit", "\x03", 1, NULL, 0);
    check(db_oscore_reserve(db, &fresh, L, &s, &e) == 0 && s == 0 && e == L, "a first block of exactly 2^40");
}

static void test_floor(db_t *db)
{
    db_oscore_key_t k = key("dev-floor", "\x04", 1, NULL, 0);
    db_oscore_state_t st;
    check(db_oscore_load(db, &k, &st) == -ENOENT, "an unused context has no state");
    int64_t f = -2;
    check(db_oscore_replay_floor_raise(db, &k, 5, &f) == 0 && f == 5, "the floor is raised to 5");
    check(db_oscore_replay_floor_raise(db, &k, 3, &f) == 0 && f == 5, "a lower SSN leaves the floor at 5");
    check(db_oscore_replay_floor_raise(db, &k, 0, &f) == 0 && f == 5, "SSN 0 leaves the floor at 5");
    check(db_oscore_replay_floor_raise(db, &k, 9, NULL) == 0, "the floor is raised to 9");
    db_t *again = conn();
    check(db_oscore_load(again, &k, &st) == 0 && st.replay_floor == 9 && st.ssn_reserved == 0,
          "a new connection reads the floor 9 back");
    db_close(again);
    check(db_oscore_replay_floor_raise(db, &k, DB_OSCORE_SSN_LIMIT, &f) == -EINVAL, "SSN 2^40 is refused");
    check(db_oscore_replay_floor_raise(db, &k, -1, &f) == -EINVAL, "a negative SSN is refused");
    check(db_oscore_replay_floor_raise(db, &k, DB_OSCORE_SSN_LIMIT - 1, &f) == 0 &&
              f == DB_OSCORE_SSN_LIMIT - 1,
          "the floor reaches 2^40 - 1");
}

static void test_lease(db_t *a, db_t *b)
{
    db_oscore_key_t k = key("dev-lease", "\x05", 1, "\x10\x20", 2);
    int64_t u1 = 0, u2 = 0;
    check(db_oscore_lease(a, &k, "bsd-a", 60, &u1) == 0 && u1 > 0, "instance a takes a free lease");
    check(db_oscore_lease(b, &k, "bsd-b", 60, NULL) == -EBUSY && strstr(db_errmsg(b), "bsd-a") != NULL,
          "instance b is refused while a holds it, and told who does");
    check(db_oscore_lease(a, &k, "bsd-a", 120, &u2) == 0 && u2 >= u1 + 60, "instance a renews its lease");
    db_oscore_state_t st;
    check(db_oscore_load(b, &k, &st) == 0 && st.lease_live && strcmp(st.lease_owner, "bsd-a") == 0 &&
              st.lease_until == u2,
          "load shows a's live lease");
    check(db_oscore_release(b, &k, "bsd-b") == -ENOENT, "b cannot release a's lease");
    check(db_oscore_release(a, &k, "bsd-a") == 0, "a releases");
    check(db_oscore_release(a, &k, "bsd-a") == -ENOENT, "releasing twice is -ENOENT");
    check(db_oscore_lease(b, &k, "bsd-b", 60, NULL) == 0, "b takes the released lease");
    check(db_oscore_lease(a, &k, "bsd-a", 60, NULL) == -EBUSY, "now a is refused");

    /* Expiry, by the database's clock: a 1-second lease, then a wait longer than it. */
    db_oscore_key_t k2 = key("dev-lease", "\x06", 1, NULL, 0);
    check(db_oscore_lease(a, &k2, "bsd-a", 1, NULL) == 0, "a takes a 1-second lease");
    check(db_oscore_lease(b, &k2, "bsd-b", 60, NULL) == -EBUSY, "b is refused before it expires");
    check(db_exec(b, "SELECT pg_sleep(1.2)") == 0, "(waited 1.2 s)");
    check(db_oscore_load(b, &k2, &st) == 0 && !st.lease_live && strcmp(st.lease_owner, "bsd-a") == 0,
          "the expired lease is no longer live");
    check(db_oscore_lease(b, &k2, "bsd-b", 60, NULL) == 0, "b takes the expired lease");
    check(db_oscore_release(a, &k2, "bsd-a") == -ENOENT, "a's release after losing it is -ENOENT");
    check(db_oscore_lease(a, &k2, "bsd-a", 60, NULL) == -EBUSY, "a is refused: b holds it now");

    /* A kill -9 leaves the lease behind: the same owner name takes it back at once. */
    db_t *again = conn();
    check(db_oscore_lease(again, &k2, "bsd-b", 60, NULL) == 0, "a restarted instance renews its own lease");
    db_close(again);

    check(db_oscore_lease(a, &k2, "bsd a", 60, NULL) == -EINVAL, "an owner with a space is refused");
    check(db_oscore_lease(a, &k2, "", 60, NULL) == -EINVAL, "an empty owner is refused");
    check(db_oscore_lease(a, &k2, "bsd-a", 0, NULL) == -EINVAL, "a lease of 0 seconds is refused");
    check(db_oscore_lease(a, &k2, "bsd-a", DB_OSCORE_LEASE_MAX + 1, NULL) == -EINVAL,
          "a lease too long is refused");
}

static void test_contexts(db_t *db)
{
    /* One device, one Recipient ID: no ID Context, an empty one, and two Appendix B.2 contexts (R2 || R3). */
    db_oscore_key_t ks[] = {
        key("dev-ctx", "\x07", 1, NULL, 0),
        key("dev-ctx", "\x07", 1, "", 0),
        key("dev-ctx", "\x07", 1, "\x11\x22\x33\x44\x55\x66\x77\x88\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8", 16),
        key("dev-ctx", "\x07", 1, "\x11\x22\x33\x44\x55\x66\x77\x88\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8", 16),
        key("dev-ctx", "", 0, NULL, 0),       /* the empty Recipient ID */
        key("dev-ctx", "\x00", 1, NULL, 0),   /* differs from the empty one */
        key("dev-ctx-2", "\x07", 1, NULL, 0), /* another device, same IDs */
    };
    size_t n = sizeof ks / sizeof ks[0];
    int good = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t s, e;
        good &= db_oscore_reserve(db, &ks[i], (int64_t)(i + 1) * 100, &s, &e) == 0 && s == 0;
        good &= db_oscore_replay_floor_raise(db, &ks[i], (int64_t)i, NULL) == 0;
    }
    check(good, "every ID Context, Recipient ID and endpoint starts its own row at SSN 0");
    for (size_t i = 0; i < n; i++) {
        db_oscore_state_t st;
        good &= db_oscore_load(db, &ks[i], &st) == 0 && st.ssn_reserved == (int64_t)(i + 1) * 100 &&
                st.replay_floor == (int64_t)i;
    }
    check(good, "each row keeps its own counter and floor");

    db_oscore_key_t bad = key("dev-ctx", "\x07", 1, NULL, 0);
    bad.id_context_len = 1; /* bytes without presence */
    int64_t s, e;
    check(db_oscore_reserve(db, &bad, 1, &s, &e) == -EINVAL, "ID Context bytes without presence are refused");
    bad = key("dev-ctx", "\x07", 1, NULL, 0);
    bad.recipient_id_len = DB_OSCORE_ID_MAX + 1;
    check(db_oscore_reserve(db, &bad, 1, &s, &e) == -EINVAL, "an 8-byte Recipient ID is refused");
    bad = key("", "\x07", 1, NULL, 0);
    check(db_oscore_reserve(db, &bad, 1, &s, &e) == -EINVAL, "an empty endpoint is refused");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: db_oscore_check DB_URL\n");
        return 2;
    }
    url = argv[1];
    db_t *db = conn(), *db2 = conn();
    check(db_schema_check(db) == 0, "the schema is current (oscore_state migrated)");
    test_blocks(db);
    test_race(db);
    test_limit(db);
    test_floor(db);
    test_lease(db, db2);
    test_contexts(db);
    db_close(db2);
    db_close(db);
    return n_fail ? 1 : 0;
}
