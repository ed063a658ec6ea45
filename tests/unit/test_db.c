/* Unit tests for the store itself: persistence across reopen, the schema
 * record, explicit shared write transactions where a failed write leaves
 * the others intact, map growth on MDB_MAP_FULL, storage_full at the cap
 * with reads still working and writes resuming once the cap is raised, and
 * the consistency check. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store in dir opened with LMDB itself, behind the engine's back as a
 * tool would: the environment and a transaction, both with flags (0 or
 * MDB_RDONLY). */
static MDB_txn *raw_begin(const char *dir, unsigned flags, MDB_env **env)
{
    MDB_txn *txn;
    assert_int_equal(mdb_env_create(env), 0);
    mdb_env_set_maxdbs(*env, 32);
    assert_int_equal(mdb_env_open(*env, dir, flags, 0600), 0);
    assert_int_equal(mdb_txn_begin(*env, NULL, flags, &txn), 0);
    return txn;
}

/* Writes the schema record (meta "schema", eight bytes big-endian) as
 * version v. */
static void raw_set_schema(MDB_txn *txn, unsigned char v)
{
    MDB_dbi dbi;
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, v};
    MDB_val k = {6, "schema"}, val = {8, b};
    assert_int_equal(mdb_put(txn, dbi, &k, &val, 0), 0);
}

/* The version in the schema record. */
static unsigned raw_schema(MDB_txn *txn)
{
    MDB_dbi dbi;
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val k = {6, "schema"}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    return ((const unsigned char *)v.mv_data)[7];
}

/* Deletes database name, as a store from before it existed lacks it. */
static void raw_drop(MDB_txn *txn, const char *name, unsigned flags)
{
    MDB_dbi dbi;
    assert_int_equal(mdb_dbi_open(txn, name, flags, &dbi), 0);
    assert_int_equal(mdb_drop(txn, dbi, 1), 0);
}

static void test_persist_and_schema(void **state)
{
    (void)state;
    tdb *t = t_open(0, 0);
    t_catalog(t->db, "fx", "A A.1:A");
    t_org(t->db, "acme");
    assert_true(cw_db_is_empty(t->db)); /* it was empty when opened */
    cw_db_close(t->db);
    cw_db_options o = {.path = t->dir};
    cw_err err = {0};
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    assert_false(cw_db_is_empty(t->db));
    cw_db_counts c;
    assert_int_equal(cw_db_counts_get(t->db, &c, &err), 0);
    assert_int_equal(c.frameworks, 1);
    assert_int_equal(c.requirements, 2);
    assert_int_equal(c.orgs, 1);
    assert_true(c.generation >= 1);
    cw_db_close(t->db);
    t->db = NULL;
    /* a store from another schema version is refused, not misread */
    MDB_env *env;
    MDB_txn *txn = raw_begin(t->dir, 0, &env);
    raw_set_schema(txn, 99);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(cw_db_open(&o, &t->db, &err), CW_ESCHEMA);
    assert_non_null(strstr(err.msg, "99"));
    assert_null(t->db);
    /* a version-1 store (no delta indexes yet) is upgraded in place and
     * keeps its data */
    txn = raw_begin(t->dir, 0, &env);
    raw_set_schema(txn, 1);
    raw_drop(txn, "ev_ctl_delta", MDB_DUPSORT);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    assert_int_equal(cw_db_counts_get(t->db, &c, &err), 0);
    assert_int_equal(c.orgs, 1);
    cw_db_close(t->db);
    t->db = NULL;
    txn = raw_begin(t->dir, MDB_RDONLY, &env);
    assert_int_equal(raw_schema(txn), CW_SCHEMA_VERSION);
    MDB_dbi dd;
    assert_int_equal(mdb_dbi_open(txn, "ev_ctl_delta", MDB_DUPSORT, &dd), 0);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    /* a version-2 store (no joint-row databases; requirement records of six
     * fields, pair entries of four) is upgraded in place and answers as
     * before */
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    t_catalog(t->db, "fy", "G G.1:G G.2:G");
    assert_int_equal(t_map(t->db, "fx/A.1", "equal", "fy/G.1"), 0);
    cw_db_close(t->db);
    t->db = NULL;
    txn = raw_begin(t->dir, 0, &env);
    raw_set_schema(txn, 2);
    raw_drop(txn, "joint", 0);
    raw_drop(txn, "joint_idx", MDB_DUPSORT);
    /* rewrite the records in the version-2 shapes */
    MDB_dbi rq, mp;
    assert_int_equal(mdb_dbi_open(txn, "req", 0, &rq), 0);
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, rq, &cur), 0);
    MDB_val ck, cv;
    size_t rewritten = 0;
    unsigned char keys[8][64], vals[8][512];
    size_t kl[8], vl[8];
    for (int r = mdb_cursor_get(cur, &ck, &cv, MDB_FIRST); r == 0 && rewritten < 8;
         r = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT)) {
        /* [parent, kind, title, description, attrs, seq, assessable,
         * withdrawn]: fixarray of 8 -> of 6, the last two fields (nil, 0)
         * dropped: two bytes.  Collected first: putting while the cursor
         * walks would move it. */
        unsigned char *buf = vals[rewritten];
        assert_true(cv.mv_size < sizeof vals[0] && ck.mv_size < sizeof keys[0]);
        memcpy(buf, cv.mv_data, cv.mv_size);
        memcpy(keys[rewritten], ck.mv_data, ck.mv_size);
        assert_int_equal(buf[0], 0x98);
        assert_int_equal(buf[cv.mv_size - 2], 0xc0);
        assert_int_equal(buf[cv.mv_size - 1], 0x00);
        buf[0] = 0x96;
        kl[rewritten] = ck.mv_size;
        vl[rewritten++] = cv.mv_size - 2;
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; i < rewritten; i++) {
        MDB_val nk = {kl[i], keys[i]}, nv = {vl[i], vals[i]};
        assert_int_equal(mdb_put(txn, rq, &nk, &nv, 0), 0);
    }
    assert_int_equal(rewritten, 5);
    assert_int_equal(mdb_dbi_open(txn, "map", 0, &mp), 0);
    assert_int_equal(mdb_cursor_open(txn, mp, &cur), 0);
    assert_int_equal(mdb_cursor_get(cur, &ck, &cv, MDB_FIRST), 0);
    {
        /* [[origin, rel, strength, rationale, note]] -> four fields */
        unsigned char buf[256], kb[128];
        memcpy(buf, cv.mv_data, cv.mv_size);
        memcpy(kb, ck.mv_data, ck.mv_size);
        assert_int_equal(buf[1], 0x95);
        assert_int_equal(buf[cv.mv_size - 1], 0xc0);
        buf[1] = 0x94;
        MDB_val nk = {ck.mv_size, kb}, nv = {cv.mv_size - 1, buf};
        mdb_cursor_close(cur);
        assert_int_equal(mdb_put(txn, mp, &nk, &nv, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    assert_int_equal(cw_db_counts_get(t->db, &c, &err), 0);
    assert_int_equal(c.orgs, 1);
    assert_int_equal(c.requirements, 5);
    assert_int_equal(c.mappings, 1);
    cw_arena *ar = cw_arena_new();
    cw_requirement rq1;
    assert_int_equal(cw_requirement_get(t->db, "fy", "G.1", ar, &rq1, NULL, NULL, &err), 0);
    assert_true(rq1.assessable);
    assert_false(rq1.withdrawn);
    assert_int_equal(cw_requirement_get(t->db, "fy", "G", ar, &rq1, NULL, NULL, &err), 0);
    assert_false(rq1.assessable);
    assert_int_equal(t_control(t->db, "acme", "C", CW_CTL_IMPLEMENTED, "fx/A.1:full"), 0);
    assert_int_equal(t_evidence(t->db, "acme", "E", "C", 10, -1, CW_RESULT_PASS), 0);
    assert_int_equal(t_cov1(t->db, "acme", "fy", "G.1", 20, 1), CW_ST_MET);
    assert_int_equal(t_cov1(t->db, "acme", "fy", "G.2", 20, 1), CW_ST_GAP);
    /* joint rows can be written once upgraded */
    assert_int_equal(t_joint(t->db, "fy/G.1 fy/G.2", "equal", "fx/A", &err), 0);
    t_consistent(t->db);
    cw_arena_free(ar);
    cw_db_close(t->db);
    t->db = NULL;
    txn = raw_begin(t->dir, MDB_RDONLY, &env);
    assert_int_equal(raw_schema(txn), CW_SCHEMA_VERSION);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    /* a version-3 store (passing index entries expiry first) is upgraded
     * in place: its entries are rewritten collection time first, and the
     * control states read from them are what they were */
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    assert_int_equal(t_evidence(t->db, "acme", "E2", "C", 30, 40, CW_RESULT_PASS), 0);
    assert_int_equal(t_evidence(t->db, "acme", "E3", "C", 50, 55, CW_RESULT_PASS), 0);
    assert_int_equal(t_control(t->db, "acme", "D", CW_CTL_IMPLEMENTED, "fy/G.2:full"), 0);
    assert_int_equal(t_evidence(t->db, "acme", "E4", "D", 10, 20, CW_RESULT_PASS), 0);
    assert_int_equal(t_evidence(t->db, "acme", "E5", "D", 30, 60, CW_RESULT_PASS), 0);
    static const cw_time at[] = {5, 15, 25, 35, 45, 52, 58, 70};
    cw_status before[2][8];
    for (int i = 0; i < 8; i++) {
        before[0][i] = t_cov1(t->db, "acme", "fy", "G.1", at[i], 1);
        before[1][i] = t_cov1(t->db, "acme", "fy", "G.2", at[i], 1);
    }
    cw_db_close(t->db);
    t->db = NULL;
    txn = raw_begin(t->dir, 0, &env);
    raw_set_schema(txn, 3);
    size_t swapped = 0;
    for (int d = 0; d < 2; d++) {
        MDB_dbi pass;
        assert_int_equal(mdb_dbi_open(txn, d ? "ev_pass_delta" : "ev_pass", MDB_DUPSORT, &pass), 0);
        unsigned char keys2[16][64], vals2[16][128];
        size_t kl2[16], vl2[16], n = 0;
        assert_int_equal(mdb_cursor_open(txn, pass, &cur), 0);
        for (int r = mdb_cursor_get(cur, &ck, &cv, MDB_FIRST); r == 0;
             r = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT)) {
            assert_true(n < 16 && ck.mv_size < 64 && cv.mv_size < 128 && cv.mv_size > 16);
            memcpy(keys2[n], ck.mv_data, ck.mv_size);
            memcpy(vals2[n], cv.mv_data, cv.mv_size);
            kl2[n] = ck.mv_size;
            vl2[n++] = cv.mv_size;
        }
        mdb_cursor_close(cur);
        assert_int_equal(mdb_drop(txn, pass, 0), 0);
        for (size_t i = 0; i < n; i++) { /* collected, expiry -> expiry, collected */
            unsigned char tmp[8];
            memcpy(tmp, vals2[i], 8);
            memmove(vals2[i], vals2[i] + 8, 8);
            memcpy(vals2[i] + 8, tmp, 8);
            MDB_val nk = {kl2[i], keys2[i]}, nv = {vl2[i], vals2[i]};
            assert_int_equal(mdb_put(txn, pass, &nk, &nv, 0), 0);
        }
        swapped += n;
    }
    assert_int_equal(swapped, 5);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(t_cov1(t->db, "acme", "fy", "G.1", at[i], 1), before[0][i]);
        assert_int_equal(t_cov1(t->db, "acme", "fy", "G.2", at[i], 1), before[1][i]);
    }
    assert_int_equal(before[1][1], CW_ST_MET);        /* E4 valid at 15 */
    assert_int_equal(before[1][2], CW_ST_UNVERIFIED); /* E4 expired at 25, E5 not yet */
    assert_int_equal(before[0][6], CW_ST_MET); /* E3 expired at 58, open-ended E still valid */
    t_consistent(t->db);
    cw_db_close(t->db);
    t->db = NULL;
    txn = raw_begin(t->dir, MDB_RDONLY, &env);
    assert_int_equal(raw_schema(txn), CW_SCHEMA_VERSION);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    /* a version-3 store (no ISMS databases; organisations without a risk
     * scale) is upgraded in place: the scale reads as the default and
     * risks can be written */
    txn = raw_begin(t->dir, 0, &env);
    raw_set_schema(txn, 3);
    static const char *const isms[] = {"asset", "risk", "audit", "finding", "soa_version"};
    for (size_t i = 0; i < sizeof isms / sizeof isms[0]; i++)
        raw_drop(txn, isms[i], 0);
    MDB_dbi og;
    assert_int_equal(mdb_dbi_open(txn, "org", 0, &og), 0);
    unsigned char old_org[] = {0x91, 0xa4, 'A', 'c', 'm', 'e'}; /* ["Acme"] */
    MDB_val ok = {4, "acme"}, ov = {sizeof old_org, old_org};
    assert_int_equal(mdb_put(txn, og, &ok, &ov, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    ar = cw_arena_new();
    cw_org got;
    assert_int_equal(cw_org_get(t->db, "acme", ar, &got, &err), 0);
    assert_string_equal(got.name, "Acme");
    assert_int_equal(got.risk_scale, 5);
    cw_risk rk = {.org = "acme", .id = "R1", .title = "t", .likelihood = 5, .impact = 1};
    assert_int_equal(cw_risk_put(t->db, NULL, &rk, 1, NULL, &err), 0);
    cw_arena_free(ar);
    cw_db_close(t->db);
    t->db = NULL;
    t_close(t);
    cw_db *db = NULL;
    o.path = "";
    assert_int_equal(cw_db_open(&o, &db, &err), CW_EINVAL);
    o.path = "/proc/nope/cannot";
    assert_int_equal(cw_db_open(&o, &db, &err), CW_ESTORAGE);
    assert_non_null(strstr(err.msg, "/proc/nope/cannot"));
}

static void test_shared_txn(void **state)
{
    (void)state;
    tdb *t = t_open(0, 0);
    t_catalog(t->db, "fx", "A A.1:A");
    t_org(t->db, "acme");
    cw_wtxn *w;
    cw_err err = {0};
    assert_int_equal(cw_write_begin(t->db, &w, &err), 0);
    cw_link l = {"fx", "A.1", CW_LEVEL_FULL}, bad = {"fx", "nope", CW_LEVEL_FULL};
    cw_control good = {"acme", "G", "", "", CW_CTL_IMPLEMENTED, &l, 1};
    cw_control broken = {"acme", "B", "", "", CW_CTL_IMPLEMENTED, &bad, 1};
    assert_int_equal(cw_control_put(t->db, w, &good, 1, NULL, &err), 0);
    assert_int_equal(cw_control_put(t->db, w, &broken, 1, NULL, &err), CW_ELINK);
    const char *cs[] = {"G"};
    cw_evidence e = {.org = "acme",
                     .id = "E",
                     .controls = cs,
                     .n_controls = 1,
                     .collected_at = 5,
                     .result = CW_RESULT_PASS};
    assert_int_equal(cw_evidence_put(t->db, w, &e, 1, NULL, &err), 0);
    /* not visible before commit */
    cw_arena *a = cw_arena_new();
    cw_control got;
    assert_int_equal(cw_control_get(t->db, "acme", "G", a, &got, &err), CW_ENOCTL);
    assert_int_equal(cw_write_commit(w, &err), 0);
    assert_int_equal(cw_control_get(t->db, "acme", "G", a, &got, &err), 0);
    assert_int_equal(cw_control_get(t->db, "acme", "B", a, &got, &err), CW_ENOCTL);
    cw_evidence ge;
    assert_int_equal(cw_evidence_get(t->db, "acme", "E", a, &ge, &err), 0);
    /* abort discards */
    assert_int_equal(cw_write_begin(t->db, &w, &err), 0);
    assert_int_equal(cw_evidence_delete(t->db, w, "acme", "E", &err), 0);
    cw_write_abort(w);
    assert_int_equal(cw_evidence_get(t->db, "acme", "E", a, &ge, &err), 0);
    cw_arena_free(a);
    t_close(t);
}

static int load_evidence(cw_db *db, int from, int n, cw_err *err)
{
    cw_evidence *items = calloc((size_t)n, sizeof *items);
    char(*ids)[32] = calloc((size_t)n, 32);
    const char *cs[] = {"C"};
    static char title[2000];
    memset(title, 't', sizeof title - 1);
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], 32, "ev-%08d", from + i);
        items[i] = (cw_evidence){.org = "acme",
                                 .id = ids[i],
                                 .controls = cs,
                                 .n_controls = 1,
                                 .title = title,
                                 .collected_at = from + i,
                                 .result = CW_RESULT_PASS};
    }
    int rc = cw_evidence_put(db, NULL, items, (size_t)n, NULL, err);
    free(items);
    free(ids);
    return rc;
}

static void test_grow_and_full(void **state)
{
    (void)state;
    /* 1 MiB map growing to at most 8 MiB */
    tdb *t = t_open(1 << 20, 8 << 20);
    t_catalog(t->db, "fx", "A A.1:A");
    t_org(t->db, "acme");
    assert_int_equal(t_control(t->db, "acme", "C", CW_CTL_IMPLEMENTED, "fx/A.1:full"), 0);
    cw_err err = {0};
    /* ~2 KB per item: 1000 items need more than 1 MiB, so the map grows */
    assert_int_equal(load_evidence(t->db, 0, 1000, &err), 0);
    cw_db_counts c;
    assert_int_equal(cw_db_counts_get(t->db, &c, &err), 0);
    assert_true(c.map_size > (1u << 20));
    assert_int_equal(c.evidence, 1000);
    /* keep loading until the cap: storage_full, nothing partial stored */
    int rc = 0, batches = 0;
    while (rc == 0 && batches < 100)
        rc = load_evidence(t->db, 1000 + 1000 * batches++, 1000, &err);
    assert_int_equal(rc, CW_EFULL);
    assert_non_null(strstr(err.msg, "full"));
    assert_int_equal(cw_db_counts_get(t->db, &c, &err), 0);
    assert_int_equal(c.evidence % 1000, 0); /* whole batches only */
    size_t before = c.evidence;
    /* reads keep working */
    cw_arena *a = cw_arena_new();
    cw_coverage cov;
    cw_coverage_query q = {"acme", "fx", 1000000, 1, false, false};
    assert_int_equal(cw_coverage_get(t->db, &q, a, &cov, &err), 0);
    assert_int_equal(cov.counts[CW_ST_MET], 1);
    cw_arena_free(a);
    /* raising the cap lets writes resume */
    cw_db_set_map_max(t->db, 64 << 20);
    assert_int_equal(load_evidence(t->db, 900000, 1000, &err), 0);
    assert_int_equal(cw_db_counts_get(t->db, &c, &err), 0);
    assert_int_equal(c.evidence, before + 1000);
    t_consistent(t->db);
    t_close(t);
}

static void test_check_finds_damage(void **state)
{
    (void)state;
    tdb *t = t_open(0, 0);
    t_catalog(t->db, "fx", "A A.1:A");
    t_org(t->db, "acme");
    assert_int_equal(t_control(t->db, "acme", "C", CW_CTL_IMPLEMENTED, "fx/A.1:full"), 0);
    assert_int_equal(t_evidence(t->db, "acme", "E", "C", 1, -1, CW_RESULT_PASS), 0);
    size_t problems;
    cw_err err = {0};
    t_consistent(t->db);
    cw_db_close(t->db);
    /* Damage the store from outside with the LMDB tools' library: drop the
     * evidence-by-time index entry behind the engine's back. */
    MDB_env *env;
    MDB_txn *txn = raw_begin(t->dir, 0, &env);
    MDB_dbi dbi;
    /* the entry is in the main index or, not yet merged, in the delta */
    MDB_dbi dbd;
    assert_int_equal(mdb_dbi_open(txn, "ev_ctl", MDB_DUPSORT, &dbi), 0);
    assert_int_equal(mdb_dbi_open(txn, "ev_ctl_delta", MDB_DUPSORT, &dbd), 0);
    MDB_val k = {6, "acme\0C"};
    int in_main = mdb_del(txn, dbi, &k, NULL);
    k = (MDB_val){6, "acme\0C"};
    int in_delta = mdb_del(txn, dbd, &k, NULL);
    assert_true((in_main == 0) != (in_delta == 0));
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    cw_db_options o = {.path = t->dir};
    assert_int_equal(cw_db_open(&o, &t->db, &err), 0);
    assert_int_equal(cw_db_check(t->db, &problems, &err), 0);
    assert_true(problems >= 1);
    assert_non_null(strstr(err.msg, "ev_ctl"));
    t_close(t);
}

T_MAIN("db", cmocka_unit_test(test_persist_and_schema), cmocka_unit_test(test_shared_txn),
       cmocka_unit_test(test_grow_and_full), cmocka_unit_test(test_check_finds_damage))
