/* Unit tests for the gap report (gaps, candidates, touching controls and
 * the greedy, deterministic plan), the framework comparison and the
 * ISO/IEC 27001:2022 Statement of Applicability. */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

/* target soc: 5 criteria; held: iso with mappings */
static const t_scenario world = {
    "soc: CC CC1:CC CC2:CC CC3:CC CC4:CC CC5:CC; iso: A A1:A A2:A A3:A A4:A; csf: GV GV1:GV GV2:GV",
    "acme",
    "iso/A1 equal soc/CC1\n"
    "iso/A2 superset_of soc/CC2\n"
    "iso/A2 superset_of soc/CC3\n"
    "iso/A3 equal soc/CC3\n"
    "iso/A4 intersects_with soc/CC4\n"
    "csf/GV1 equal soc/CC4\n"
    "csf/GV2 equal iso/A3\n"};

static const cw_gap_item *gap(const cw_gap_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_gaps; i++)
        if (strcmp(r->gaps[i].id, id) == 0)
            return &r->gaps[i];
    return NULL;
}

static void test_gap_report(void **state)
{
    cw_db *db = t_db(state);
    t_effective(db, "acme", "C1", "iso/A1:full");
    assert_int_equal(t_control(db, "acme", "P", CW_CTL_PLANNED, "soc/CC5:full"), 0);
    t_effective(db, "acme", "H", "soc/CC4:partial");
    cw_arena *a = cw_arena_new();
    cw_err err = {0};
    cw_gap_query q = {"acme", "soc", NULL, 100, 0, false};
    cw_gap_report r = t_gaps(db, &q, a);
    assert_int_equal(r.max_hops, 2);
    assert_int_equal(r.counts[CW_ST_MET], 1); /* CC1 through A1 */
    assert_int_equal(r.n_gaps, 4);
    assert_null(gap(&r, "CC1"));
    const cw_gap_item *g3 = gap(&r, "CC3");
    assert_non_null(g3);
    assert_int_equal(g3->status, CW_ST_GAP);
    /* candidates: A2 and A3 directly, GV2 inferred through A3 */
    assert_int_equal(g3->n_cands, 3);
    bool saw_gv2 = false;
    for (size_t i = 0; i < g3->n_cands; i++) {
        assert_int_equal(g3->cands[i].gives, CW_LEVEL_FULL);
        assert_false(g3->cands[i].covered);
        if (strcmp(g3->cands[i].ref.id, "GV2") == 0) {
            saw_gv2 = true;
            assert_true(g3->cands[i].path->inferred);
            assert_int_equal(g3->cands[i].path->composed, CW_REL_EQUAL);
            assert_string_equal(g3->cands[i].path->from.id, "GV2");
            assert_string_equal(g3->cands[i].path->steps[1].to.id, "CC3");
        }
    }
    assert_true(saw_gv2);
    const cw_gap_item *g4 = gap(&r, "CC4");
    assert_int_equal(g4->status, CW_ST_PARTIAL);
    assert_int_equal(g4->n_controls, 1);
    assert_string_equal(g4->controls[0].control, "H");
    assert_int_equal(g4->controls[0].level, CW_LEVEL_PARTIAL);
    const cw_gap_item *g5 = gap(&r, "CC5");
    assert_int_equal(g5->n_controls, 1);
    assert_string_equal(g5->controls[0].control, "P");
    assert_int_equal(g5->controls[0].status, CW_CTL_PLANNED);
    assert_int_equal(g5->controls[0].state, CW_STATE_INACTIVE);
    /* plan: A2 closes CC2 and CC3 (two), then GV1 closes CC4; CC5 has no
     * candidate.  A3 and GV2 tie with each other only after CC3 is gone. */
    assert_string_equal(t_plan(&r), "iso/A2>CC2,CC3 csf/GV1>CC4");
    assert_int_equal(r.closable, 3);
    /* restricted to a source framework */
    q.source = "iso";
    r = t_gaps(db, &q, a);
    assert_string_equal(t_plan(&r), "iso/A2>CC2,CC3");
    q.source = "nope";
    assert_int_equal(cw_gap_report_get(db, &q, a, &r, &err), CW_ENOFW);
    assert_non_null(strstr(err.msg, "source"));
    q = (cw_gap_query){"acme", "soc", NULL, 100, 5, false};
    assert_int_equal(cw_gap_report_get(db, &q, a, &r, &err), CW_ERANGE);
    q = (cw_gap_query){"acme", "zz", NULL, 100, 0, false};
    assert_int_equal(cw_gap_report_get(db, &q, a, &r, &err), CW_ENOFW);
    assert_non_null(strstr(err.msg, "target"));
    cw_arena_free(a);
}

static void test_plan_ties_and_covered(void **state)
{
    cw_db *db = t_db(state);
    /* every candidate closes one gap: ties broken by framework then id */
    t_world(db, "t: T1 T2; b: B1 B2; a: A1 A2", "acme",
            "b/B1 equal t/T1\n"
            "a/A2 equal t/T1\n"
            "a/A1 equal t/T2\n"
            "b/B2 equal t/T2\n");
    cw_arena *a = cw_arena_new();
    cw_gap_query q = {"acme", "t", NULL, 100, 1, false};
    cw_gap_report r = t_gaps(db, &q, a);
    assert_string_equal(t_plan(&r), "a/A1>T2 a/A2>T1");
    /* A candidate linked only by a failing control is not satisfied: it
     * stays uncovered and the gap shows the failing state. */
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_IMPLEMENTED, "a/A1:full"), 0);
    assert_int_equal(t_evidence(db, "acme", "e", "C", 10, -1, CW_RESULT_FAIL), 0);
    r = t_gaps(db, &q, a);
    const cw_gap_item *g = gap(&r, "T2");
    assert_int_equal(g->status, CW_ST_FAILING);
    for (size_t i = 0; i < g->n_cands; i++)
        assert_false(g->cands[i].covered); /* failing: not satisfied */
    cw_arena_free(a);
}

static void test_compare(void **state)
{
    cw_db *db = t_db(state);
    cw_arena *a = cw_arena_new();
    cw_compare c;
    cw_err err = {0};
    cw_compare_query q = {"iso", "soc", 0, false, 0};
    assert_int_equal(cw_framework_compare(db, &q, a, &c, &err), 0);
    assert_int_equal(c.max_hops, 1);
    assert_int_equal(c.assessable, 5);
    assert_int_equal(c.full, 3);    /* CC1 CC2 CC3 */
    assert_int_equal(c.partial, 1); /* CC4 */
    assert_int_equal(c.unreached, 1);
    assert_string_equal(c.items[2].id, "CC3");
    assert_int_equal(c.items[2].n_paths, 2); /* via A2 and via A3 */
    q.max_hops = 2;
    q.source = "csf";
    assert_int_equal(cw_framework_compare(db, &q, a, &c, &err), 0);
    assert_int_equal(c.full, 2); /* CC4 directly, CC3 through A3 */
    assert_int_equal(c.items[2].level, CW_LEVEL_FULL);
    assert_true(c.items[2].paths[0]->inferred);
    q.source = "soc";
    q.target = "soc";
    assert_int_equal(cw_framework_compare(db, &q, a, &c, &err), 0);
    assert_int_equal(c.full, 5);
    q.source = "zz";
    assert_int_equal(cw_framework_compare(db, &q, a, &c, &err), CW_ENOFW);
    cw_arena_free(a);
}

static void test_soa(void **state)
{
    cw_db *db = t_db(state);
    t_catalog(db, "iso27001-2022", "4 4.1:4 A.5 A.5.1:A.5 A.5.2:A.5 A.5.3:A.5 A.8 A.8.1:A.8");
    t_org(db, "acme");
    cw_arena *a = cw_arena_new();
    cw_soa s;
    cw_err err = {0};
    t_effective(db, "acme", "POL", "iso27001-2022/A.5.1:full");
    assert_int_equal(t_control(db, "acme", "RB", CW_CTL_PLANNED, "iso27001-2022/A.5.2:full"), 0);
    cw_scope sc = {"acme", "iso27001-2022", "A.8.1", false, "no endpoints in scope", 0};
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, NULL, NULL), 0);
    assert_int_equal(cw_soa_get(db, "acme", 100, false, a, &s, &err), 0);
    assert_int_equal(s.n_items, 4); /* Annex A only */
    assert_string_equal(s.items[0].id, "A.5.1");
    assert_true(s.items[0].applicable);
    assert_string_equal(s.items[0].implementation, "implemented");
    assert_int_equal(s.items[0].n_controls, 1);
    assert_string_equal(s.items[0].controls[0], "POL");
    assert_string_equal(s.items[0].evidence[0], "ev-POL");
    assert_non_null(strstr(s.items[0].justification, "POL"));
    assert_string_equal(s.items[1].implementation, "planned");
    assert_string_equal(s.items[2].implementation, "not implemented");
    assert_false(s.items[3].applicable);
    assert_string_equal(s.items[3].justification, "no endpoints in scope");
    assert_string_equal(s.items[3].theme, "A.8");
    assert_int_equal(s.applicable, 3);
    assert_int_equal(s.excluded, 1);
    assert_int_equal(s.implemented, 1);
    assert_int_equal(cw_soa_get(db, "nope", 100, false, a, &s, &err), CW_ENOORG);
    cw_arena_free(a);
}

static void test_soa_needs_iso(void **state)
{
    cw_db *db = t_db(state);
    t_org(db, "acme");
    cw_arena *a = cw_arena_new();
    cw_soa s;
    cw_err err = {0};
    assert_int_equal(cw_soa_get(db, "acme", 100, false, a, &s, &err), CW_ENOFW);
    assert_non_null(strstr(err.msg, "iso27001-2022"));
    cw_arena_free(a);
}

T_MAIN("query", T_WORLD_TEST(test_gap_report, world), T_STORE_TEST(test_plan_ties_and_covered),
       T_WORLD_TEST(test_compare, world), T_STORE_TEST(test_soa), T_STORE_TEST(test_soa_needs_iso))
