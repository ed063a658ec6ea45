/* Unit tests for the change log: one entry per logged write that changes
 * something (none for a write that changes nothing, a failed one or a dry
 * run), entries of a group each in their own place, and verification
 * naming the first bad entry whichever way the store was tampered with:
 * bytes changed, an entry removed, entries swapped, the head record
 * rewritten; compaction leaves a chain that still verifies. */
#include "helpers.h"

#include "crosswalk/changelog.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct put_ctl {
    const char *org, *id, *title;
    bool dry;
};

/* The store the write closures write to (cmocka passes no context). */
static cw_db *the_db;

static int put_ctl_fn(cw_wtxn *w, void *ctx, cw_err *err)
{
    struct put_ctl *p = ctx;
    cw_control c = {p->org, p->id, p->title, "owner", CW_CTL_IMPLEMENTED, NULL, 0};
    if (p->dry) {
        struct put_ctl inner = *p;
        inner.dry = false;
        return cw_write_trial(the_db, w, put_ctl_fn, &inner, err);
    }
    return cw_control_put(the_db, w, &c, 1, NULL, err);
}

struct logged {
    struct put_ctl p;
    cw_change_info info;
};

static int logged_fn(cw_wtxn *w, void *ctx, cw_err *err)
{
    struct logged *l = ctx;
    cw_change_who who = {"tester", "editor", "control.put"};
    return cw_logged_write(w, &who, put_ctl_fn, &l->p, &l->info, err);
}

/* One logged control.put in a group of its own; returns the entry's seq
 * (0: none). */
static uint64_t put(cw_db *db, const char *id, const char *title, bool dry)
{
    struct logged l = {{"acme", id, title, dry}, {0}};
    cw_write_op op = {logged_fn, &l, NULL, 0};
    cw_err err = {0};
    assert_int_equal(cw_write_group(db, &op, 1, NULL, &err), 0);
    return op.rc ? 0 : l.info.seq;
}

static cw_log_check verify(cw_db *db)
{
    cw_log_check c;
    cw_err err = {0};
    assert_int_equal(cw_log_verify(db, 0, 0, &c, &err), 0);
    return c;
}

/* The log database of the store in dir, opened behind the engine's back. */
static MDB_txn *raw(const char *dir, MDB_env **env, MDB_dbi *log, MDB_dbi *meta)
{
    MDB_txn *txn;
    assert_int_equal(mdb_env_create(env), 0);
    mdb_env_set_maxdbs(*env, 40);
    assert_int_equal(mdb_env_open(*env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(*env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "log", 0, log), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, meta), 0);
    return txn;
}

static MDB_val seq_key(unsigned char b[8], uint64_t s)
{
    for (int i = 7; i >= 0; i--, s >>= 8)
        b[i] = (unsigned char)s;
    return (MDB_val){8, b};
}

/* A fresh store with five entries; the store is closed, its dir kept. */
static tdb *five(void)
{
    tdb *t = t_open(0, 0);
    the_db = t->db;
    t_org(t->db, "acme");
    for (int i = 1; i <= 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "C%d", i);
        assert_int_equal(put(t->db, id, "t", false), (uint64_t)i);
    }
    assert_true(verify(t->db).ok);
    return t;
}

/* Opens t's store again after the test closed it to tamper with it. */
static void reopen(tdb *t)
{
    cw_db_options o = {.path = t->dir};
    cw_err err = {0};
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    the_db = t->db;
}

static void test_entries_only_for_changes(void **state)
{
    (void)state;
    tdb *t = t_open(0, 0);
    the_db = t->db;
    t_org(t->db, "acme");
    assert_int_equal(put(t->db, "C1", "first", false), 1);
    assert_int_equal(put(t->db, "C1", "first", false), 0); /* unchanged */
    assert_int_equal(put(t->db, "C2", "dry", true), 0);    /* a dry run */
    assert_int_equal(put(t->db, "", "bad", false), 0);     /* refused */
    assert_int_equal(put(t->db, "C1", "second", false), 2);
    cw_arena *a = cw_arena_new();
    cw_log_entry *es;
    size_t n;
    uint64_t next;
    cw_err err = {0};
    assert_int_equal(cw_log_list(t->db, NULL, 0, 10, a, &es, &n, &next, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(es[1].actor, "tester");
    assert_string_equal(es[1].role, "editor");
    assert_int_equal(es[1].n_keys, 1);
    assert_string_equal(es[1].keys[0].kind, "control");
    assert_string_equal(es[1].keys[0].org, "acme");
    assert_string_equal(es[1].keys[0].id, "C1");
    assert_memory_equal(es[1].prev, es[0].hash, 32);
    assert_memory_not_equal(es[0].digest, es[1].digest, 32);
    /* another organisation's filter sees nothing */
    assert_int_equal(cw_log_list(t->db, "other", 0, 10, a, &es, &n, &next, &err), 0);
    assert_int_equal(n, 0);
    cw_arena_free(a);
    t_close(t);
}

static void test_changed_bytes(void **state)
{
    (void)state;
    tdb *t = five();
    cw_db_close(t->db);
    MDB_env *env;
    MDB_dbi log, meta;
    MDB_txn *txn = raw(t->dir, &env, &log, &meta);
    unsigned char kb[8];
    MDB_val k = seq_key(kb, 3), v;
    assert_int_equal(mdb_get(txn, log, &k, &v), 0);
    unsigned char *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[v.mv_size / 2] ^= 0x20;
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_put(txn, log, &k, &nv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(copy);
    reopen(t);
    cw_log_check c = verify(t->db);
    assert_false(c.ok);
    assert_int_equal(c.first_bad, 3);
    t_close(t);
}

static void test_removed_and_swapped(void **state)
{
    (void)state;
    tdb *t = five();
    cw_db_close(t->db);
    MDB_env *env;
    MDB_dbi log, meta;
    MDB_txn *txn = raw(t->dir, &env, &log, &meta);
    unsigned char kb[8];
    MDB_val k = seq_key(kb, 4);
    assert_int_equal(mdb_del(txn, log, &k, NULL), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    reopen(t);
    cw_log_check c = verify(t->db);
    assert_false(c.ok);
    assert_int_equal(c.first_bad, 4);
    assert_non_null(strstr(c.reason, "missing"));
    t_close(t);

    /* entries 2 and 3 trade places */
    t = five();
    cw_db_close(t->db);
    txn = raw(t->dir, &env, &log, &meta);
    unsigned char k2b[8], k3b[8];
    MDB_val k2 = seq_key(k2b, 2), k3 = seq_key(k3b, 3), v2, v3;
    assert_int_equal(mdb_get(txn, log, &k2, &v2), 0);
    assert_int_equal(mdb_get(txn, log, &k3, &v3), 0);
    void *c2 = malloc(v2.mv_size), *c3 = malloc(v3.mv_size);
    memcpy(c2, v2.mv_data, v2.mv_size);
    memcpy(c3, v3.mv_data, v3.mv_size);
    MDB_val n2 = {v3.mv_size, c3}, n3 = {v2.mv_size, c2};
    assert_int_equal(mdb_put(txn, log, &k2, &n2, 0), 0);
    assert_int_equal(mdb_put(txn, log, &k3, &n3, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(c2);
    free(c3);
    reopen(t);
    c = verify(t->db);
    assert_false(c.ok);
    assert_int_equal(c.first_bad, 2);
    t_close(t);
}

static void test_head_rewritten(void **state)
{
    (void)state;
    tdb *t = five();
    /* the newest entry is dropped and the head made to name the one before */
    cw_db_close(t->db);
    MDB_env *env;
    MDB_dbi log, meta;
    MDB_txn *txn = raw(t->dir, &env, &log, &meta);
    unsigned char kb[8];
    MDB_val k = seq_key(kb, 5);
    assert_int_equal(mdb_del(txn, log, &k, NULL), 0);
    MDB_val hk = {3, "log"}, hv;
    assert_int_equal(mdb_get(txn, meta, &hk, &hv), 0);
    unsigned char head[48];
    memcpy(head, hv.mv_data, 48);
    head[7] = 4; /* seq 4, with entry 5's hash */
    MDB_val nh = {48, head};
    assert_int_equal(mdb_put(txn, meta, &hk, &nh, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    reopen(t);
    cw_log_check c = verify(t->db);
    assert_false(c.ok);
    assert_int_equal(c.first_bad, 4);
    assert_non_null(strstr(c.reason, "head"));
    t_close(t);
}

static int compact_fn(cw_wtxn *w, void *ctx, cw_err *err)
{
    return cw_log_compact(the_db, w, INT64_MAX, (uint64_t *)ctx, err);
}

static void test_compaction_verifies(void **state)
{
    (void)state;
    tdb *t = five();
    uint64_t removed = 0;
    cw_write_op op = {compact_fn, &removed, NULL, 0};
    cw_err err = {0};
    assert_int_equal(cw_write_group(t->db, &op, 1, NULL, &err), 0);
    assert_int_equal(op.rc, 0);
    assert_int_equal(removed, 4); /* all but the newest */
    cw_log_check c = verify(t->db);
    assert_true(c.ok);
    assert_int_equal(c.from, 4);
    assert_int_equal(c.to, 5);
    assert_int_equal(put(t->db, "C9", "t", false), 6);
    assert_true(verify(t->db).ok);
    t_close(t);
}

static void test_seq_at_a_time(void **state)
{
    (void)state;
    tdb *t = five();
    cw_arena *a = cw_arena_new();
    cw_log_entry *es;
    size_t n;
    uint64_t next, seq;
    cw_err err = {0};
    assert_int_equal(cw_log_list(t->db, NULL, 0, 10, a, &es, &n, &next, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(cw_log_seq_at(t->db, 0, &seq, &err), 0);
    assert_int_equal(seq, 1);
    assert_int_equal(cw_log_seq_at(t->db, INT64_MAX, &seq, &err), 0);
    assert_int_equal(seq, 6); /* none written then: after the newest */
    assert_int_equal(cw_log_seq_at(t->db, es[2].at_us, &seq, &err), 0);
    assert_true(seq >= 1 && seq <= 3);
    assert_int_equal(es[seq - 1].at_us, es[2].at_us); /* the first of that time */
    assert_int_equal(cw_log_seq_at(t->db, es[2].at_us + 1, &seq, &err), 0);
    assert_true(seq > 3);
    assert_true(seq == 6 || es[seq - 1].at_us > es[2].at_us);
    /* after a compaction the search starts at the checkpoint */
    uint64_t removed = 0;
    cw_write_op op = {compact_fn, &removed, NULL, 0};
    assert_int_equal(cw_write_group(t->db, &op, 1, NULL, &err), 0);
    assert_int_equal(cw_log_seq_at(t->db, 0, &seq, &err), 0);
    assert_int_equal(seq, 4);
    cw_arena_free(a);
    t_close(t);
}

T_MAIN("changelog", cmocka_unit_test(test_entries_only_for_changes),
       cmocka_unit_test(test_changed_bytes), cmocka_unit_test(test_removed_and_swapped),
       cmocka_unit_test(test_head_rewritten), cmocka_unit_test(test_compaction_verifies),
       cmocka_unit_test(test_seq_at_a_time))
