/* Unit tests for the write service's recovery policy (cw_write_group and
 * read_begin in engine/db.c), each condition provoked for real and each
 * test ending with its data written and read back:
 *
 * - MDB_MAP_FULL: a small map grows under a group (and a failing write in
 *   the group rolls back alone); at the cap the answer is CW_EFULL, no
 *   part of the group is kept, and reads keep working;
 * - MDB_MAP_RESIZED: a second process (fork) opens the same store and
 *   grows its map by writing a lot; this process's next write group
 *   adopts the new size and commits;
 * - MDB_READERS_FULL: with four reader slots, forked processes take them
 *   all in read transactions and are killed, leaving the slots stale; the
 *   next read frees them (mdb_reader_check) and succeeds.
 *
 * Forked children never return into cmocka: they report through their
 * exit status. */
#include "helpers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ~2 KB per item, so a few hundred fill a 1 MiB map. */
static char title[2000];

/* A write of the group: n evidence items for control C of acme, ids
 * prefix-NNNNNNNN from `from` (control "missing" makes it fail). */
typedef struct ev_batch {
    cw_db *db;
    const char *prefix, *control;
    int from, n;
} ev_batch;

static int ev_batch_write(cw_wtxn *w, void *ctx, cw_err *err)
{
    ev_batch *b = ctx;
    cw_evidence *items = calloc((size_t)b->n, sizeof *items);
    char(*ids)[32] = calloc((size_t)b->n, 32);
    const char *cs[] = {b->control};
    if (!items || !ids) {
        free(items);
        free(ids);
        return cw_err_set(err, CW_ENOMEM, "test: out of memory");
    }
    for (int i = 0; i < b->n; i++) {
        snprintf(ids[i], 32, "%s-%08d", b->prefix, b->from + i);
        items[i] = (cw_evidence){.org = "acme",
                                 .id = ids[i],
                                 .controls = cs,
                                 .n_controls = 1,
                                 .title = title,
                                 .collected_at = b->from + i,
                                 .result = CW_RESULT_PASS};
    }
    int rc = cw_evidence_put(b->db, w, items, (size_t)b->n, NULL, err);
    free(items);
    free(ids);
    return rc;
}

static void fixture(cw_db *db)
{
    memset(title, 't', sizeof title - 1);
    t_catalog(db, "fx", "A A.1:A");
    t_org(db, "acme");
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_IMPLEMENTED, "fx/A.1:full"), 0);
}

static void assert_has_evidence(cw_db *db, const char *id)
{
    cw_arena *a = cw_arena_new();
    cw_evidence e;
    cw_err err = {0};
    int rc = cw_evidence_get(db, "acme", id, a, &e, &err);
    if (rc)
        fail_msg("%s: %s", id, err.msg);
    assert_string_equal(e.id, id);
    assert_int_equal(strlen(e.title), sizeof title - 1);
    cw_arena_free(a);
}

static size_t evidence_count(cw_db *db, size_t *map_size)
{
    cw_db_counts c;
    cw_err err = {0};
    assert_int_equal(cw_db_counts_get(db, &c, &err), 0);
    if (map_size)
        *map_size = c.map_size;
    return c.evidence;
}

static void test_map_full_grows_then_storage_full(void **state)
{
    (void)state;
    tdb *t = t_open(1 << 20, 4 << 20); /* 1 MiB, growing to at most 4 MiB */
    fixture(t->db);
    /* ~1.2 MB in one group of three writes, the middle one failing */
    ev_batch b[3] = {
        {t->db, "g", "C", 0, 300}, {t->db, "bad", "missing", 0, 1}, {t->db, "g", "C", 300, 300}};
    cw_err e[3] = {{0}}, err = {0};
    cw_write_op ops[3];
    for (int i = 0; i < 3; i++)
        ops[i] = (cw_write_op){ev_batch_write, &b[i], &e[i], 0};
    cw_write_report rep;
    assert_int_equal(cw_write_group(t->db, ops, 3, &rep, &err), 0);
    assert_true(rep.grown >= 1);
    assert_int_equal(rep.runs, rep.grown + 1);
    assert_int_equal(ops[0].rc, 0);
    assert_int_equal(ops[1].rc, CW_ENOCTL); /* rolled back alone */
    assert_non_null(strstr(e[1].msg, "missing"));
    assert_int_equal(ops[2].rc, 0);
    size_t map;
    assert_int_equal(evidence_count(t->db, &map), 600);
    assert_true(map > (1u << 20));
    assert_has_evidence(t->db, "g-00000000");
    assert_has_evidence(t->db, "g-00000599");

    /* groups of two writes until the cap: CW_EFULL, whole groups only */
    int rc = 0, groups = 0;
    while (rc == 0 && groups < 50) {
        ev_batch more[2] = {{t->db, "g", "C", 600 + 600 * groups, 300},
                            {t->db, "g", "C", 900 + 600 * groups, 300}};
        cw_write_op mo[2] = {{ev_batch_write, &more[0], NULL, 0},
                             {ev_batch_write, &more[1], NULL, 0}};
        cw_err_clear(&err);
        rc = cw_write_group(t->db, mo, 2, &rep, &err);
        groups++;
    }
    assert_int_equal(rc, CW_EFULL);
    assert_non_null(strstr(err.msg, "cap of 4194304 bytes"));
    size_t n = evidence_count(t->db, &map);
    assert_int_equal(n % 600, 0);
    assert_int_equal(n, 600 * (size_t)groups);
    assert_int_equal(map, 4u << 20);

    /* reads keep working, and what was committed is there */
    assert_has_evidence(t->db, "g-00000599");
    char last[32];
    snprintf(last, sizeof last, "g-%08zu", n - 1);
    assert_has_evidence(t->db, last);
    assert_int_equal(t_cov1(t->db, "acme", "fx", "A.1", 1000000, 1), CW_ST_MET);
    t_close(t);
}

/* One write as a group of its own. */
static int write_one(cw_db *db, ev_batch *b, cw_err *err)
{
    cw_write_op op = {ev_batch_write, b, err, 0};
    int rc = cw_write_group(db, &op, 1, NULL, err);
    return rc ? rc : op.rc;
}

/* In a forked child: opens the store as a second process with a map of
 * its own and writes `items` items, growing it.  Exit status 0 on
 * success. */
static int grow_from_other_process(const char *dir, int items)
{
    cw_db_options o = {
        .path = dir, .map_size = 1 << 20, .map_size_max = (size_t)256 << 20, .no_sync = true};
    cw_db *db;
    cw_err err = {0};
    if (cw_db_open(&o, &db, &err))
        return 1;
    int rc = 0;
    for (int from = 0; rc == 0 && from < items; from += 500) {
        ev_batch b = {db, "other", "C", from, 500};
        rc = write_one(db, &b, &err);
    }
    cw_db_close(db);
    return rc ? 2 : 0;
}

static void test_map_resized_by_another_process(void **state)
{
    (void)state;
    tdb *t = t_open(1 << 20, (size_t)256 << 20);
    fixture(t->db);
    size_t before;
    assert_int_equal(evidence_count(t->db, &before), 0); /* a pooled read, too */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(grow_from_other_process(t->dir, 3000)); /* ~6 MB */
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* the other process's pages lie past our map: our next write group
     * meets MDB_MAP_RESIZED, adopts the size and commits */
    ev_batch b = {t->db, "mine", "C", 0, 10};
    cw_err err = {0};
    cw_write_op op = {ev_batch_write, &b, &err, 0};
    cw_write_report rep;
    int rc = cw_write_group(t->db, &op, 1, &rep, &err);
    if (rc || op.rc)
        fail_msg("write group: %s", err.msg);
    assert_true(rep.resized >= 1);
    assert_int_equal(rep.grown, 0);
    size_t map;
    assert_int_equal(evidence_count(t->db, &map), 3010);
    assert_true(map > before && map >= (6u << 20));
    assert_has_evidence(t->db, "mine-00000009");
    assert_has_evidence(t->db, "other-00002999");
    t_close(t);
}

/* In a forked child: takes a reader slot in a read transaction of its own,
 * says so on fd, and waits to be killed. */
static void hold_reader_slot(const char *dir, int fd)
{
    MDB_env *env;
    MDB_txn *txn;
    if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32) || mdb_env_open(env, dir, 0, 0600) ||
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
        _exit(1);
    if (write(fd, "r", 1) != 1)
        _exit(1);
    for (;;)
        pause();
}

/* In a forked child: the result of beginning a read transaction. */
static int probe_reader_slot(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32) || mdb_env_open(env, dir, 0, 0600))
        return 100;
    int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    return rc == 0 ? 0 : rc == MDB_READERS_FULL ? 1 : 2;
}

static int probe(const char *dir)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(probe_reader_slot(dir));
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_readers_full_stale_slots(void **state)
{
    (void)state;
    enum { SLOTS = 4 };
    cw_db_options o = {.no_sync = true, .max_readers = SLOTS};
    tdb *t = t_open_opts(&o);
    cw_err err = {0};
    /* writes take no reader slot: this process holds none yet */
    cw_org org = {"acme", "Acme Ltd", 0};
    assert_int_equal(cw_org_put(t->db, NULL, &org, NULL, &err), 0);

    /* every slot taken by a process that then dies holding it */
    pid_t kids[SLOTS];
    for (int i = 0; i < SLOTS; i++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            close(fds[0]);
            hold_reader_slot(t->dir, fds[1]);
        }
        close(fds[1]);
        char c;
        assert_int_equal(read(fds[0], &c, 1), 1);
        close(fds[0]);
    }
    for (int i = 0; i < SLOTS; i++) {
        assert_int_equal(kill(kids[i], SIGKILL), 0);
        assert_int_equal(waitpid(kids[i], NULL, 0), kids[i]);
    }
    assert_int_equal(probe(t->dir), 1); /* MDB_READERS_FULL: the slots stayed taken */

    /* the next read meets MDB_READERS_FULL, frees the dead processes'
     * slots and succeeds */
    cw_arena *a = cw_arena_new();
    cw_org got;
    int rc = cw_org_get(t->db, "acme", a, &got, &err);
    if (rc)
        fail_msg("read: %s", err.msg);
    assert_string_equal(got.name, "Acme Ltd");
    assert_int_equal(probe(t->dir), 0); /* slots are free again */

    /* and writing then reading goes on as usual */
    cw_org org2 = {"beta", "Beta plc", 0};
    assert_int_equal(cw_org_put(t->db, NULL, &org2, NULL, &err), 0);
    assert_int_equal(cw_org_get(t->db, "beta", a, &got, &err), 0);
    assert_string_equal(got.name, "Beta plc");
    cw_arena_free(a);
    t_close(t);
}

T_MAIN("recovery", cmocka_unit_test(test_map_full_grows_then_storage_full),
       cmocka_unit_test(test_map_resized_by_another_process),
       cmocka_unit_test(test_readers_full_stale_slots))
