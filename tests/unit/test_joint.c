/* Unit tests for what docs/SEMANTICS.md §1-§2 says about: assessable
 * requirements with children (an 800-53 control and its enhancements),
 * childless requirements that are not assessable, withdrawn requirements,
 * and joint crosswalk rows (a source set that together relates to one
 * target).  Each case is worked by hand: joint met / partial / unverified /
 * failing / nothing, a group as a member and as a target, members judged
 * with max_hops - 1, nothing propagating out of a joint target, withdrawn
 * members, compare, the gap report's missing members and joint plan steps,
 * and joint rows' storage (load, list, delete, export, check). */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* src: a group G with three members, two single requirements, a group whose
 * only child is withdrawn; dst: three criteria and a group of two; mid: a
 * third framework. */
static const t_scenario world = {
    "src: G G.1:G G.2:G G.3:G A B W!w E E.1:E!w N!n; dst: S1 S2 S3 SG SG.1:SG SG.2:SG; mid: M1 M2",
    "acme", NULL};

/* t_implemented for acme. */
static void ctl(cw_db *db, const char *id, const char *links, int evidence)
{
    t_implemented(db, "acme", id, links, evidence);
}

static void joint(cw_db *db, const char *srcs, const char *rel, const char *dst)
{
    cw_err err = {0};
    if (t_joint(db, srcs, rel, dst, &err))
        fail_msg("joint %s -> %s: %s", srcs, dst, err.msg);
}

/* Asserts statuses of fw's leaves for acme at 100: "id=status ...". */
#define EXPECT(fw, hops, want) t_statuses(db, "acme", fw, 100, hops, want)

/* Whether id is among the assessed requirements of a coverage answer. */
static bool assessed_in(const cw_coverage *c, const char *id)
{
    for (size_t i = 0; i < c->n_reqs; i++)
        if (strcmp(c->reqs[i].id, id) == 0)
            return true;
    return false;
}

static void test_joint_statuses(void **state)
{
    cw_db *db = t_db(state);
    joint(db, "src/A src/B", "superset_of", "dst/S1");
    joint(db, "src/A src/B", "equal", "dst/S2");
    joint(db, "src/A src/B", "intersects_with", "dst/S3");
    /* nothing in place: nothing */
    EXPECT("dst", 1, "S1=gap");
    /* one member met, one gap: partial */
    ctl(db, "CA", "src/A:full", 1);
    EXPECT("dst", 1, "S1=partial S3=partial");
    /* both met: met through superset_of and equal, partial through
     * intersects_with */
    ctl(db, "CB", "src/B:full", 1);
    EXPECT("dst", 1, "S1=met S2=met S3=partial");
    /* a member only partial: partial */
    assert_int_equal(t_control(db, "acme", "CB", CW_CTL_IMPLEMENTED, "src/B:partial"), 0);
    EXPECT("dst", 1, "S1=partial");
    /* members unverified (no evidence) and gap: unverified */
    assert_int_equal(cw_control_delete(db, NULL, "acme", "CA", NULL), 0);
    assert_int_equal(cw_control_delete(db, NULL, "acme", "CB", NULL), 0);
    ctl(db, "UA", "src/A:full", 0);
    EXPECT("dst", 1, "S1=unverified");
    /* failing and gap: failing; failing and unverified: unverified */
    assert_int_equal(cw_control_delete(db, NULL, "acme", "UA", NULL), 0);
    ctl(db, "FA", "src/A:full", -1);
    EXPECT("dst", 1, "S1=failing");
    ctl(db, "UB", "src/B:full", 0);
    EXPECT("dst", 1, "S1=unverified");
    /* the joint result joins the target's other contributions: a direct
     * partial link beats an unverified joint row */
    ctl(db, "P", "dst/S1:partial", 1);
    EXPECT("dst", 1, "S1=partial");
}

static void test_not_related_and_explanation(void **state)
{
    cw_db *db = t_db(state);
    joint(db, "src/A src/B", "not_related", "dst/S1");
    joint(db, "src/B src/A", "superset_of", "dst/S2"); /* order does not matter */
    ctl(db, "C", "src/A:full src/B:full", 1);
    EXPECT("dst", 1, "S1=gap");
    cw_arena *a = cw_arena_new();
    cw_coverage c = t_cov(db, "acme", "dst", 100, 1, a);
    const cw_req_status *rs = t_req(&c, "S2");
    assert_int_equal(rs->status, CW_ST_MET);
    const cw_contribution *k = &rs->contribs[rs->best];
    assert_int_equal(k->via, CW_VIA_JOINT);
    assert_null(k->control);
    assert_int_equal(k->gives, CW_ST_MET);
    const cw_joint_eval *je = k->joint;
    assert_non_null(je);
    assert_int_equal(je->n_members, 2);
    assert_int_equal(je->n_met, 2);
    assert_string_equal(je->row.source_ids[0], "A"); /* natural order */
    assert_string_equal(je->row.source_ids[1], "B");
    assert_string_equal(je->members[0].ref.id, "A");
    assert_int_equal(je->members[0].status, CW_ST_MET);
    /* the member's deciding contribution: control C's direct link, with
     * the evidence that made it effective */
    assert_non_null(je->members[0].contribution);
    assert_string_equal(je->members[0].contribution->control, "C");
    assert_int_equal(je->members[0].contribution->via, CW_VIA_DIRECT);
    assert_string_equal(je->members[0].contribution->evidence[0], "ev-C");
    cw_arena_free(a);
}

static void test_group_member_and_target(void **state)
{
    cw_db *db = t_db(state);
    joint(db, "src/G src/A", "superset_of", "dst/S1");
    joint(db, "src/E src/A", "superset_of", "dst/S2"); /* E has nothing assessed */
    joint(db, "src/A src/B", "superset_of", "dst/SG"); /* a group target */
    ctl(db, "CA", "src/A:full src/B:full", 1);
    ctl(db, "C1", "src/G.1:full src/G.2:full", 1);
    ctl(db, "C3", "src/G.3:partial", 1);
    /* G's member status is its lowest: G.3 partial */
    EXPECT("dst", 1, "S1=partial");
    cw_arena *a = cw_arena_new();
    cw_coverage c = t_cov(db, "acme", "dst", 100, 1, a);
    const cw_req_status *rs = t_req(&c, "S1");
    const cw_joint_eval *je = rs->contribs[rs->best].joint;
    assert_string_equal(je->members[0].ref.id, "A");
    assert_string_equal(je->members[1].ref.id, "G");
    assert_int_equal(je->members[1].status, CW_ST_PARTIAL);
    assert_string_equal(je->members[1].lowest, "G.3");
    /* a group member with nothing assessed under it is a gap */
    rs = t_req(&c, "S2");
    assert_int_equal(rs->status, CW_ST_PARTIAL);
    je = rs->contribs[rs->best].joint;
    assert_string_equal(je->members[1].ref.id, "E");
    assert_int_equal(je->members[1].status, CW_ST_GAP);
    assert_string_equal(je->members[1].why, "nothing assessed under it");
    /* met at a group target reaches every assessed requirement under it */
    assert_int_equal(t_status(&c, "SG.1"), CW_ST_MET);
    assert_int_equal(t_status(&c, "SG.2"), CW_ST_MET);
    assert_string_equal(t_req(&c, "SG.1")->contribs[0].reached_group, "SG");
    cw_arena_free(a);
    /* a full link to the group satisfies all of it */
    ctl(db, "C3", "src/G:full", 1);
    EXPECT("dst", 1, "S1=met");
    /* partial at a group target reaches nothing */
    assert_int_equal(t_control(db, "acme", "CA", CW_CTL_IMPLEMENTED, "src/A:full src/B:partial"),
                     0);
    EXPECT("dst", 1, "SG.1=gap");
}

static void test_members_use_one_hop_less(void **state)
{
    cw_db *db = t_db(state);
    joint(db, "src/A src/B", "superset_of", "dst/S1");
    assert_int_equal(t_map(db, "mid/M1", "equal", "src/A"), 0);
    ctl(db, "CM", "mid/M1:full", 1);
    ctl(db, "CB", "src/B:full", 1);
    /* max_hops 1: members see direct links only, so A is a gap */
    EXPECT("dst", 1, "S1=partial");
    /* max_hops 2: A is met through its one-step path from M1 */
    EXPECT("dst", 2, "S1=met");
    EXPECT("dst", 3, "S1=met");
    /* member statuses ignore scope decisions of their framework */
    cw_scope sc = {"acme", "src", "B", false, "not ours", 0};
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, NULL, NULL), 0);
    EXPECT("src", 1, "B=not_applicable");
    EXPECT("dst", 2, "S1=met");
}

static void test_joint_is_the_last_step(void **state)
{
    cw_db *db = t_db(state);
    joint(db, "src/A src/B", "superset_of", "dst/S1");
    assert_int_equal(t_map(db, "dst/S1", "equal", "mid/M1"), 0);
    joint(db, "dst/S1 dst/S2", "superset_of", "mid/M2");
    ctl(db, "C", "src/A:full src/B:full dst/S2:full", 1);
    EXPECT("dst", 3, "S1=met");
    /* S1 holds only through the joint row: nothing propagates from it,
     * neither along a single row nor as a member of another joint row
     * (M2 is partial: its member S2 is met, S1 a gap) */
    EXPECT("mid", 3, "M1=gap M2=partial");
    /* read from its target a joint row covers nothing */
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_IMPLEMENTED, "dst/S1:full"), 0);
    EXPECT("src", 3, "A=gap");
}

static void test_withdrawn(void **state)
{
    cw_db *db = t_db(state);
    joint(db, "src/A src/W", "superset_of", "dst/S1");
    t_maps(db, "mid/M1 equal src/W\n"
               "src/W equal dst/S2\n");
    ctl(db, "C", "src/A:full src/W:full mid/M1:full", 1);
    /* a withdrawn member is always a gap: the row never gives met */
    EXPECT("dst", 1, "S1=partial");
    /* a withdrawn requirement is not assessed, but a full link to it still
     * propagates and paths pass through it */
    cw_arena *a = cw_arena_new();
    cw_coverage_query q = {"acme", "src", 100, 2, false, false};
    cw_coverage c = t_coverage(db, &q, a);
    assert_false(assessed_in(&c, "W"));
    assert_false(assessed_in(&c, "E.1"));
    assert_false(assessed_in(&c, "E")); /* E has children: a group */
    assert_false(assessed_in(&c, "N")); /* childless, not assessable */
    assert_int_equal(c.assessable, 5);  /* G.1 G.2 G.3 A B */
    cw_arena_free(a);
    EXPECT("dst", 1, "S2=met"); /* W linked directly */
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_IMPLEMENTED, "mid/M1:full"), 0);
    EXPECT("dst", 1, "S2=gap");
    EXPECT("dst", 2, "S2=met"); /* M1 -> W -> S2 */
}

static void test_assessable_parent(void **state)
{
    cw_db *db = t_db(state);
    t_world(db, "nist: AC AC-1:AC AC-2:AC!a AC-2(1):AC-2 AC-2(2):AC-2!w AC-3:AC; x: X1 X2 X3",
            "acme",
            "x/X1 superset_of nist/AC-2\n"
            "x/X2 equal nist/AC\n");
    ctl(db, "C1", "x/X1:full", 1);
    cw_arena *a = cw_arena_new();
    cw_coverage_query q = {"acme", "nist", 100, 1, false, false};
    cw_coverage c = t_coverage(db, &q, a);
    /* AC-2 is assessed and so is AC-2(1); AC is a group; AC-2(2) is withdrawn */
    assert_int_equal(c.assessable, 4);
    assert_true(assessed_in(&c, "AC-2"));
    assert_true(assessed_in(&c, "AC-2(1)"));
    assert_false(assessed_in(&c, "AC"));
    assert_false(assessed_in(&c, "AC-2(2)"));
    /* publisher order: a parent before its children */
    assert_string_equal(c.reqs[0].id, "AC-1");
    assert_string_equal(c.reqs[1].id, "AC-2");
    assert_string_equal(c.reqs[2].id, "AC-2(1)");
    cw_arena_free(a);
    /* a path to AC-2 gives AC-2 alone */
    EXPECT("nist", 1, "AC-2=met AC-2(1)=gap");
    /* a direct link to AC-2 as well */
    ctl(db, "C1", "nist/AC-2:full", 1);
    EXPECT("nist", 1, "AC-2(1)=gap");
    /* a path to the family reaches every assessed requirement under it,
     * at any depth */
    ctl(db, "C2", "x/X2:full", 1);
    EXPECT("nist", 1, "AC-2(1)=met AC-3=met");
    /* excluding AC-2 leaves AC-2(1) assessed */
    cw_scope sc = {"acme", "nist", "AC-2", false, "n/a", 0};
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, NULL, NULL), 0);
    EXPECT("nist", 1, "AC-2=not_applicable AC-2(1)=met");
    /* a group, or a withdrawn requirement, cannot be excluded */
    cw_err err = {0};
    cw_scope bad = {"acme", "nist", "AC", false, "n/a", 0};
    assert_int_equal(cw_scope_put(db, NULL, &bad, 1, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "not assessed"));
    bad.id = "AC-2(2)";
    assert_int_equal(cw_scope_put(db, NULL, &bad, 1, NULL, &err), CW_EINVAL);
    /* the catalogue answers both flags */
    a = cw_arena_new();
    cw_requirement r;
    const char **kids;
    size_t nk;
    assert_int_equal(cw_requirement_get(db, "nist", "AC-2", a, &r, &kids, &nk, NULL), 0);
    assert_true(r.assessable);
    assert_false(r.leaf);
    assert_int_equal(r.assess, CW_ASSESS_YES);
    assert_int_equal(nk, 2);
    assert_int_equal(cw_requirement_get(db, "nist", "AC-2(2)", a, &r, NULL, NULL, NULL), 0);
    assert_true(r.withdrawn);
    assert_true(r.assessable);
    cw_req_filter f = {.framework = "nist", .assessable_only = true};
    cw_requirement *l;
    size_t n;
    assert_int_equal(cw_requirement_list(db, &f, a, &l, &n, NULL), 0);
    assert_int_equal(n, 4);
    f = (cw_req_filter){.framework = "nist", .leaves_only = true};
    assert_int_equal(cw_requirement_list(db, &f, a, &l, &n, NULL), 0);
    assert_int_equal(n, 4); /* AC-1, AC-2(1), AC-2(2), AC-3 */
    cw_framework_info fi;
    assert_int_equal(cw_framework_get(db, "nist", a, &fi, NULL), 0);
    assert_int_equal(fi.requirements, 6);
    assert_int_equal(fi.assessable, 4);
    assert_int_equal(fi.withdrawn, 1);
    cw_arena_free(a);
}

static void test_not_assessable_leaf(void **state)
{
    cw_db *db = t_db(state);
    t_maps(db, "src/N equal dst/S1\n"
               "mid/M1 equal src/N\n");
    ctl(db, "C", "src/N:full", 1);
    /* N is not assessed, yet a full link to it propagates */
    EXPECT("dst", 1, "S1=met");
    /* a path reaching N gives nothing assessed */
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_IMPLEMENTED, "mid/M1:full"), 0);
    cw_arena *a = cw_arena_new();
    cw_coverage_query q = {"acme", "src", 100, 1, false, false};
    cw_coverage c = t_coverage(db, &q, a);
    assert_false(assessed_in(&c, "N"));
    assert_int_equal(c.counts[CW_ST_MET], 0);
    cw_arena_free(a);
}

static void test_compare_with_joint_rows(void **state)
{
    cw_db *db = t_db(state);
    joint(db, "src/A src/B", "superset_of", "dst/S1");
    joint(db, "src/A src/B", "intersects_with", "dst/S2");
    joint(db, "src/A src/W", "superset_of", "dst/S3"); /* W withdrawn */
    joint(db, "mid/M1 mid/M2", "equal", "dst/SG");
    t_maps(db, "src/A equal mid/M1\n"
               "src/B superset_of mid/M2\n");
    cw_arena *a = cw_arena_new();
    cw_compare cmp;
    cw_compare_query q = {"src", "dst", 1, false, 0};
    assert_int_equal(cw_framework_compare(db, &q, a, &cmp, NULL), 0);
    const char *want1[] = {"S1",      "full", "S2",        "partial", "S3",
                           "partial", "SG.1", "unreached", "SG.2",    "unreached"};
    for (size_t i = 0; i < cmp.n_items; i++) {
        const char *lv = cmp.items[i].level == CW_LEVEL_FULL      ? "full"
                         : cmp.items[i].level == CW_LEVEL_PARTIAL ? "partial"
                                                                  : "unreached";
        assert_string_equal(cmp.items[i].id, want1[2 * i]);
        assert_string_equal(lv, want1[2 * i + 1]);
    }
    assert_int_equal(cmp.items[0].n_joints, 1);
    /* third-framework members get their level through one hop fewer: at
     * max_hops 2, M1 and M2 are met from src, so SG is reached */
    q.max_hops = 2;
    assert_int_equal(cw_framework_compare(db, &q, a, &cmp, NULL), 0);
    assert_int_equal(cmp.items[3].level, CW_LEVEL_FULL);
    assert_int_equal(cmp.items[4].level, CW_LEVEL_FULL);
    assert_int_equal(cmp.full, 3);
    cw_arena_free(a);
}

static void test_gap_missing_members_and_plan(void **state)
{
    cw_db *db = t_db(state);
    t_world(db, "src: P Q R S T U; dst: D1 D2 D3 D4", "acme", NULL);
    joint(db, "src/P src/Q src/R", "superset_of", "dst/D1");
    joint(db, "src/Q src/R", "superset_of", "dst/D2");
    joint(db, "src/S src/T", "superset_of", "dst/D3");
    assert_int_equal(t_map(db, "src/U", "equal", "dst/D4"), 0);
    ctl(db, "CP", "src/P:full", 1);
    cw_arena *a = cw_arena_new();
    cw_gap_query q = {"acme", "dst", "src", 100, 0, false};
    cw_gap_report r = t_gaps(db, &q, a);
    assert_int_equal(r.n_gaps, 4);
    const cw_gap_item *g1 = &r.gaps[0];
    assert_string_equal(g1->id, "D1");
    assert_int_equal(g1->status, CW_ST_PARTIAL);
    assert_int_equal(g1->n_joints, 1);
    assert_int_equal(g1->joints[0]->n_met, 1);
    assert_int_equal(g1->joints[0]->n_members, 3);
    /* The plan: Q+R close D1 and D2 (2 gaps for 2 requirements, ratio 1),
     * U closes D4 (1 for 1), S+T close D3 (1 for 2).  Ties at ratio 1 go
     * to more gaps closed first. */
    assert_string_equal(t_plan(&r), "src/Q+src/R>D1,D2 src/U>D4 src/S+src/T>D3");
    assert_non_null(r.plan[0].joint);
    assert_null(r.plan[1].joint);
    assert_int_equal(r.closable, 4);
    /* once Q is satisfied, R alone closes both */
    ctl(db, "CQ", "src/Q:full", 1);
    r = t_gaps(db, &q, a);
    assert_string_equal(t_plan(&r), "src/R>D1,D2 src/U>D4 src/S+src/T>D3");
    cw_arena_free(a);
}

static void test_plan_member_through_a_path(void **state)
{
    cw_db *db = t_db(state);
    t_world(db, "src: P Q; mid: M; dst: D1", "acme", NULL);
    joint(db, "src/P src/Q", "superset_of", "dst/D1");
    assert_int_equal(t_map(db, "mid/M", "equal", "src/Q"), 0);
    ctl(db, "CP", "src/P:full", 1);
    cw_gap_query q = {"acme", "dst", NULL, 100, 2, false};
    /* satisfying Q, or M (which reaches Q in one step, as member statuses
     * allow at max_hops 2), closes D1; Q's step comes first: same ratio,
     * framework "mid" < "src" */
    assert_string_equal(t_gap_plan(db, &q), "mid/M>D1");
    /* at max_hops 1 members take no path, so only Q closes it */
    q.max_hops = 1;
    assert_string_equal(t_gap_plan(db, &q), "src/Q>D1");
}

/* Satisfying a group starts paths from the assessable requirements under
 * it, not from a group nested in it: a member reached only from such a
 * nested group is not made met by satisfying the outer group. */
static void test_plan_reach_through_nested_group(void **state)
{
    cw_db *db = t_db(state);
    t_world(db, "fa: A1 A1.3:A1 A1.3.1:A1.3!n; fb: B1 B2; fc: C4 C6!a", "acme", NULL);
    joint(db, "fc/C4 fc/C6", "superset_of", "fb/B1");
    t_maps(db, "fc/C4 equal fa/A1.3\n"
               "fb/B2 equal fa/A1\n");
    cw_gap_query q = {"acme", "fb", NULL, 100, 2, false};
    /* A1.3 is a group (its one child is not assessable): satisfying A1 does
     * not start a path from it, so C4 is still needed */
    assert_string_equal(t_gap_plan(db, &q), "fa/A1>B2 fc/C4+fc/C6>B1");
}

static void test_joint_storage(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    /* bad rows: nothing is written */
    assert_int_equal(t_joint(db, "src/A", "equal", "dst/S1", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "mappings[0].source"));
    assert_int_equal(t_joint(db, "src/A src/A", "equal", "dst/S1", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "appears twice"));
    assert_int_equal(t_joint(db, "dst/S1 dst/S2", "equal", "dst/S1", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "own target"));
    assert_int_equal(t_joint(db, "src/A src/nope", "equal", "dst/S1", &err), CW_EDANGLING);
    assert_non_null(strstr(err.msg, "mappings[0].source[1]"));
    char big[65 * 8 + 1] = "";
    for (int i = 0; i < 65; i++)
        strcat(big, i % 2 ? "src/A " : "src/B ");
    assert_int_equal(t_joint(db, big, "equal", "dst/S1", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "2..64"));
    cw_db_counts n;
    assert_int_equal(cw_db_counts_get(db, &n, NULL), 0);
    assert_int_equal(n.mappings, 0);
    /* a row, then the same set in another order: one row, updated */
    cw_bulk_stats bs;
    const char *ab[] = {"B", "A"};
    cw_mapping m = {.source_fw = "src",
                    .target_fw = "dst",
                    .target_id = "S1",
                    .rel = CW_REL_SUPERSET_OF,
                    .origin = "o",
                    .source_ids = ab,
                    .n_sources = 2,
                    .note = "A and B together"};
    assert_int_equal(cw_mapping_load(db, NULL, &m, 1, &bs, NULL), 0);
    assert_int_equal(bs.created, 1);
    ab[0] = "A", ab[1] = "B";
    m.rel = CW_REL_EQUAL;
    assert_int_equal(cw_mapping_load(db, NULL, &m, 1, &bs, NULL), 0);
    assert_int_equal(bs.updated, 1);
    assert_int_equal(cw_db_counts_get(db, &n, NULL), 0);
    assert_int_equal(n.mappings, 1);
    assert_int_equal(n.joint_mappings, 1);
    /* listed from both ends */
    cw_arena *a = cw_arena_new();
    cw_mapping_answer ans;
    cw_mapping_query lq = {.framework = "src", .id = "A"};
    assert_int_equal(cw_mapping_list(db, &lq, a, &ans, NULL), 0);
    assert_int_equal(ans.n_joints, 1);
    assert_string_equal(ans.joints[0].role, "member");
    assert_int_equal(ans.joints[0].row.rel, CW_REL_EQUAL);
    assert_string_equal(ans.joints[0].row.note, "A and B together");
    lq = (cw_mapping_query){.framework = "dst", .id = "S1"};
    assert_int_equal(cw_mapping_list(db, &lq, a, &ans, NULL), 0);
    assert_int_equal(ans.n_joints, 1);
    assert_string_equal(ans.joints[0].role, "target");
    lq.target_framework = "mid";
    assert_int_equal(cw_mapping_list(db, &lq, a, &ans, NULL), 0);
    assert_int_equal(ans.n_joints, 0);
    /* exported as stored */
    cw_mapping *rows;
    size_t nr;
    assert_int_equal(cw_mapping_rows(db, "dst", NULL, a, &rows, &nr, NULL), 0);
    assert_int_equal(nr, 1);
    assert_int_equal(rows[0].n_sources, 2);
    assert_null(rows[0].source_id);
    /* a single source id does not name a joint row; the set does */
    cw_mapping_filter f = {.source_fw = "src", .source_id = "A"};
    assert_int_equal(cw_mapping_delete(db, NULL, &f, &bs, NULL), 0);
    assert_int_equal(bs.deleted, 0);
    const char *ba[] = {"B", "A"};
    f = (cw_mapping_filter){.sources = ba, .n_sources = 2, .target_id = "S1"};
    assert_int_equal(cw_mapping_delete(db, NULL, &f, &bs, NULL), 0);
    assert_int_equal(bs.deleted, 1);
    assert_int_equal(cw_mapping_list(db, &lq, a, &ans, NULL), 0);
    assert_int_equal(ans.n_joints, 0);
    t_consistent(db);
    cw_arena_free(a);
}

static bool has_finding(const cw_finding *fs, size_t n, const char *kind, const char *a_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fs[i].kind, kind) == 0 && strcmp(fs[i].a.id, a_id) == 0)
            return true;
    return false;
}

static void test_joint_check(void **state)
{
    cw_db *db = t_db(state);
    t_catalog(db, "gone", "Z1 Z2");
    joint(db, "src/A src/W", "superset_of", "dst/S1");   /* withdrawn member */
    joint(db, "src/G src/G.2", "superset_of", "dst/S2"); /* G.2 is inside G */
    joint(db, "src/A src/B", "subset_of", "dst/S3");     /* A superset_of S3 below */
    assert_int_equal(t_map(db, "src/A", "superset_of", "dst/S3"), 0);
    joint(db, "gone/Z1 gone/Z2", "equal", "dst/SG.1"); /* will dangle */
    joint(db, "src/A src/B", "equal", "gone/Z1");      /* target will dangle */
    cw_err err = {0};
    assert_int_equal(cw_catalog_delete(db, NULL, "gone", NULL, &err), 0);
    cw_arena *a = cw_arena_new();
    cw_finding *fs;
    size_t n;
    assert_int_equal(cw_mapping_check(db, NULL, a, &fs, &n, &err), 0);
    assert_true(has_finding(fs, n, "withdrawn_member", "W"));
    assert_true(has_finding(fs, n, "duplicate_member", "G.2"));
    assert_true(has_finding(fs, n, "conflict", "A"));
    assert_true(has_finding(fs, n, "dangling", "Z1"));
    assert_int_equal(n, 5);
    /* a member that no longer exists is a gap, and the row stays */
    ctl(db, "C", "src/A:full src/B:full", 1);
    EXPECT("dst", 1, "SG.1=gap");
    assert_int_equal(cw_mapping_check(db, "src", a, &fs, &n, &err), 0);
    assert_int_equal(n, 4); /* the dangling target row names src */
    cw_arena_free(a);
}

T_MAIN("joint", T_WORLD_TEST(test_joint_statuses, world),
       T_WORLD_TEST(test_not_related_and_explanation, world),
       T_WORLD_TEST(test_group_member_and_target, world),
       T_WORLD_TEST(test_members_use_one_hop_less, world),
       T_WORLD_TEST(test_joint_is_the_last_step, world), T_WORLD_TEST(test_withdrawn, world),
       T_STORE_TEST(test_assessable_parent), T_WORLD_TEST(test_not_assessable_leaf, world),
       T_WORLD_TEST(test_compare_with_joint_rows, world),
       T_STORE_TEST(test_gap_missing_members_and_plan),
       T_STORE_TEST(test_plan_member_through_a_path),
       T_STORE_TEST(test_plan_reach_through_nested_group), T_WORLD_TEST(test_joint_storage, world),
       T_WORLD_TEST(test_joint_check, world))
