/* Unit tests for what a load is told back: an item equal to what is stored
 * counts as unchanged and writes nothing (controls, evidence, scope
 * decisions, crosswalk rows, catalogue rows), and dry runs
 * (crosswalk/trial.h): a write run in a thrown-away transaction answers the
 * real checks and counts and leaves the store as it was, and the
 * stand-ins it may assume exist only inside it. */
#include "helpers.h"

#include "crosswalk/trial.h"

#include <string.h>

static const t_scenario base = {"fx: G G.1:G G.2:G L; fy: Y1 Y2", "acme", NULL};

static void test_unchanged_org_data(void **state)
{
    cw_db *db = t_db(state);
    cw_bulk_stats st;
    cw_link l = {"fx", "G.1", CW_LEVEL_FULL};
    cw_control c = {"acme", "C1", "Policy", "ciso", CW_CTL_IMPLEMENTED, &l, 1};
    assert_int_equal(cw_control_put(db, NULL, &c, 1, &st, NULL), 0);
    assert_int_equal(st.created, 1);
    assert_int_equal(cw_control_put(db, NULL, &c, 1, &st, NULL), 0);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(st.updated + st.created, 0);
    c.title = "Policy v2";
    assert_int_equal(cw_control_put(db, NULL, &c, 1, &st, NULL), 0);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.unchanged, 0);

    const char *ctl[] = {"C1"};
    cw_evidence e = {.org = "acme",
                     .id = "E1",
                     .controls = ctl,
                     .n_controls = 1,
                     .collected_at = 10,
                     .result = CW_RESULT_PASS};
    assert_int_equal(cw_evidence_put(db, NULL, &e, 1, &st, NULL), 0);
    assert_int_equal(st.created, 1);
    cw_evidence two[] = {e, e};
    two[1].id = "E2";
    assert_int_equal(cw_evidence_put(db, NULL, two, 2, &st, NULL), 0);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(st.created, 1);
    two[0].result = CW_RESULT_FAIL;
    assert_int_equal(cw_evidence_put(db, NULL, two, 2, &st, NULL), 0);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.unchanged, 1);

    cw_scope sc = {"acme", "fx", "G.2", false, "not used", 0};
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, &st, NULL), 0);
    assert_int_equal(st.created, 1);
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, &st, NULL), 0);
    assert_int_equal(st.unchanged, 1);
    sc.justification = "out of scope";
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, &st, NULL), 0);
    assert_int_equal(st.updated, 1);
    /* the indexes of the items written again are as they were */
    t_consistent(db);
}

static void test_unchanged_rows_keep_the_generation(void **state)
{
    cw_db *db = t_db(state);
    cw_bulk_stats st;
    cw_mapping rows[] = {t_row("fx", "L", "fy", "Y1", CW_REL_EQUAL, 5, NULL, "o1"),
                         t_row("fx", "L", "fy", "Y1", CW_REL_SUBSET_OF, 3, NULL, "o2")};
    assert_int_equal(cw_mapping_load(db, NULL, rows, 2, &st, NULL), 0);
    assert_int_equal(st.created, 2);
    cw_db_counts before, after;
    assert_int_equal(cw_db_counts_get(db, &before, NULL), 0);
    /* the first origin's entry is not the record's last: still found equal */
    assert_int_equal(cw_mapping_load(db, NULL, rows, 1, &st, NULL), 0);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(st.updated + st.created, 0);
    assert_int_equal(cw_db_counts_get(db, &after, NULL), 0);
    assert_int_equal(after.generation, before.generation);
    rows[0].strength = 6;
    assert_int_equal(cw_mapping_load(db, NULL, rows, 2, &st, NULL), 0);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(cw_db_counts_get(db, &after, NULL), 0);
    assert_true(after.generation > before.generation);
    assert_int_equal(after.mappings, 2);
    t_consistent(db);
}

/* A trial's write: a control put whose counts are kept in ctx. */
struct put_ctx {
    cw_db *db;
    const cw_control *c;
    size_t n;
    const cw_assumption *as;
    cw_bulk_stats st;
};

static int put_fn(cw_wtxn *w, void *ctx, cw_err *err)
{
    struct put_ctx *p = ctx;
    int rc = p->as ? cw_trial_assume(p->db, w, p->as, err) : 0;
    return rc ? rc : cw_control_put(p->db, w, p->c, p->n, &p->st, err);
}

static void test_trial_writes_nothing(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    cw_link l = {"fx", "G.1", CW_LEVEL_FULL};
    cw_control c[] = {{"acme", "C1", "t", "o", CW_CTL_IMPLEMENTED, &l, 1},
                      {"acme", "C2", "t", "o", CW_CTL_PLANNED, NULL, 0}};
    struct put_ctx p = {db, c, 2, NULL, {0}};
    assert_int_equal(cw_write_trial(db, NULL, put_fn, &p, &err), 0);
    assert_int_equal(p.st.created, 2);
    cw_db_counts n;
    assert_int_equal(cw_db_counts_get(db, &n, NULL), 0);
    assert_int_equal(n.controls, 0);
    /* inside a write: nested, and thrown away with nothing else touched */
    cw_wtxn *w;
    assert_int_equal(cw_write_begin(db, &w, &err), 0);
    assert_int_equal(cw_control_put(db, w, &c[1], 1, NULL, &err), 0);
    p.st = (cw_bulk_stats){0};
    assert_int_equal(cw_write_trial(db, w, put_fn, &p, &err), 0);
    assert_int_equal(p.st.created, 1);
    assert_int_equal(p.st.unchanged, 1);
    assert_int_equal(cw_write_commit(w, &err), 0);
    assert_int_equal(cw_db_counts_get(db, &n, NULL), 0);
    assert_int_equal(n.controls, 1);
    /* a refused trial answers the real error */
    l.id = "NOPE";
    assert_int_equal(cw_write_trial(db, NULL, put_fn, &p, &err), CW_ELINK);
    assert_string_equal(err.msg,
                        "controls[0].links[0].id: no requirement 'NOPE' in framework 'fx'");
    t_consistent(db);
}

static void test_trial_assumes_what_comes_first(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    /* a control of a new organisation naming a requirement of a new
     * framework: refused in a trial alone, passed when both are assumed */
    cw_link l = {"fnew", "N1", CW_LEVEL_FULL};
    cw_control c = {"neworg", "C1", "t", "o", CW_CTL_IMPLEMENTED, &l, 1};
    struct put_ctx p = {db, &c, 1, NULL, {0}};
    assert_int_equal(cw_write_trial(db, NULL, put_fn, &p, &err), CW_ENOORG);
    cw_ref reqs[] = {{"fnew", "N1"}, {"fnew", "N1"}, {"fx", "G.1"}};
    cw_assumption as = {
        .org = "neworg", .org_exists = true, .requirements = reqs, .n_requirements = 3};
    p.as = &as;
    assert_int_equal(cw_write_trial(db, NULL, put_fn, &p, &err), 0);
    assert_int_equal(p.st.created, 1);
    /* nothing of it stayed: no organisation, no framework */
    cw_arena *a = cw_arena_new();
    cw_org o;
    assert_int_equal(cw_org_get(db, "neworg", a, &o, NULL), CW_ENOORG);
    cw_framework_info fi;
    assert_int_equal(cw_framework_get(db, "fnew", a, &fi, NULL), CW_ENOFW);
    /* what is stored is left as it is: G.1 keeps its parent */
    assert_int_equal(cw_framework_get(db, "fx", a, &fi, NULL), 0);
    assert_int_equal(fi.requirements, 4);
    cw_arena_free(a);

    /* assumed controls back evidence; an organisation that is nowhere
     * still refuses it */
    const char *ctl[] = {"C9"};
    cw_evidence e = {.org = "acme",
                     .id = "E1",
                     .controls = ctl,
                     .n_controls = 1,
                     .collected_at = 10,
                     .result = CW_RESULT_PASS};
    cw_assumption ac = {.org = "acme", .controls = ctl, .n_controls = 1};
    cw_wtxn *w;
    cw_bulk_stats st;
    assert_int_equal(cw_write_begin(db, &w, &err), 0);
    assert_int_equal(cw_trial_assume(db, w, &ac, &err), 0);
    assert_int_equal(cw_evidence_put(db, w, &e, 1, &st, &err), 0);
    cw_write_abort(w);
    e.org = ac.org = "ghost"; /* the stand-in controls need their organisation */
    assert_int_equal(cw_write_begin(db, &w, &err), 0);
    assert_int_equal(cw_trial_assume(db, w, &ac, &err), 0);
    assert_int_equal(cw_evidence_put(db, w, &e, 1, &st, &err), CW_ENOORG);
    cw_write_abort(w);
    cw_db_counts n;
    assert_int_equal(cw_db_counts_get(db, &n, NULL), 0);
    assert_int_equal(n.controls + n.evidence, 0);
    /* an assumption is checked like any name */
    cw_ref bad[] = {{"fx", ""}};
    cw_assumption ab = {.requirements = bad, .n_requirements = 1};
    assert_int_equal(cw_write_begin(db, &w, &err), 0);
    assert_int_equal(cw_trial_assume(db, w, &ab, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "assume.requirements[0].id"));
    cw_write_abort(w);
    t_consistent(db);
}

T_MAIN("trial", T_WORLD_TEST(test_unchanged_org_data, base),
       T_WORLD_TEST(test_unchanged_rows_keep_the_generation, base),
       T_WORLD_TEST(test_trial_writes_nothing, base),
       T_WORLD_TEST(test_trial_assumes_what_comes_first, base))
