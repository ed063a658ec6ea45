/* Unit tests for the ISMS records and what they change (docs/SEMANTICS.md
 * §6): the risk register (assets, risks on the organisation's scale, the
 * heat map and its flags), internal audits and their findings (where a
 * finding may sit, what each status asks of it), the coverage override
 * of open nonconformities worked by hand (raised and closed at T, closed
 * without a date, a scope exclusion, propagation, joint members, the gap
 * report's plan and overdue actions, compare), the Statement of
 * Applicability's reasons and its approved versions, the audit checklist,
 * and an organisation deleted with all of it. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fw: a group X of three leaves, a leaf Y and a group Z of one leaf; dst
 * and alt reach fw by crosswalk rows; iso27001-2022 is a stand-in with
 * clause 5 and one Annex A theme. */
static const t_scenario world = {"fw: X X.1:X X.2:X X.3:X Y Z Z.1:Z; dst: T1 T2; alt: K; "
                                 "iso27001-2022: 5 5.1:5 A.5 A.5.1:A.5 A.5.2:A.5 A.5.3:A.5",
                                 "acme",
                                 "fw/X.1 equal dst/T1\nalt/K equal fw/X.2\nalt/K equal fw/Y"};

static void must(int rc, const cw_err *err, const char *what)
{
    if (rc)
        fail_msg("%s: %s", what, err->msg);
}

static void audit(cw_db *db, const char *id, const char *fw, const char *scope)
{
    const char *ids[8];
    size_t n = 0;
    char *copy = strdup(scope);
    for (char *s, *t = strtok_r(copy, " ", &s); t && n < 8; t = strtok_r(NULL, " ", &s))
        ids[n++] = t;
    cw_audit u = {.org = "acme", .id = id, .framework = fw, .scope = {ids, n}};
    cw_err err = {0};
    must(cw_audit_put(db, NULL, &u, 1, NULL, &err), &err, "audit");
    free(copy);
}

/* A finding of audit IA on fw; closed < 0: no closed_at. */
static cw_audit_finding nc(const char *id, const char *req, cw_finding_kind kind,
                           cw_finding_status st, cw_time raised, cw_time closed)
{
    return (cw_audit_finding){.org = "acme",
                              .id = id,
                              .audit = "IA",
                              .framework = "fw",
                              .requirement = req,
                              .kind = kind,
                              .status = st,
                              .corrective_action = st == CW_FST_OPEN ? NULL : "fix it",
                              .raised_at = raised,
                              .closed_at = {closed >= 0, closed},
                              .effectiveness_checked_at = {st == CW_FST_VERIFIED, raised},
                              .effectiveness = st == CW_FST_VERIFIED ? CW_EFF_EFFECTIVE : 0};
}

static int put_finding(cw_db *db, cw_audit_finding f, cw_err *err)
{
    return cw_finding_put(db, NULL, &f, 1, NULL, err);
}

static void finding(cw_db *db, cw_audit_finding f)
{
    cw_err err = {0};
    must(put_finding(db, f, &err), &err, f.id);
}

#define EXPECT(fw, t, want) t_statuses(db, "acme", fw, t, 1, want)

/* ---- the register ---- */

static void test_assets_and_risks(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    t_effective(db, "acme", "C1", "fw/Y:full");
    cw_asset as[] = {{"acme", "A1", "CRM", "sales", "confidential"},
                     {"acme", "A2", "Laptops", "it", "internal"}};
    cw_bulk_stats st;
    must(cw_asset_put(db, NULL, as, 2, &st, &err), &err, "assets");
    assert_int_equal(st.created, 2);
    const char *assets[] = {"A1"}, *ctls[] = {"C1"};
    cw_risk r = {.org = "acme",
                 .id = "R1",
                 .title = "Data leak",
                 .assets = {assets, 1},
                 .likelihood = 4,
                 .impact = 5,
                 .residual_likelihood = 2,
                 .residual_impact = 3,
                 .treatment = CW_TREAT_MITIGATE,
                 .controls = {ctls, 1},
                 .review_at = {true, 100}};
    must(cw_risk_put(db, NULL, &r, 1, &st, &err), &err, "risk");
    /* scores off the default scale 1..5 */
    cw_risk bad = r;
    bad.impact = 6;
    assert_int_equal(cw_risk_put(db, NULL, &bad, 1, NULL, &err), CW_ERANGE);
    assert_string_equal(err.msg, "items[0].impact: 6 is outside the organisation's scale 1..5");
    /* a treating control or an asset that is not the organisation's */
    const char *nope[] = {"C1", "C9"};
    bad = r;
    bad.controls = (cw_ids){nope, 2};
    assert_int_equal(cw_risk_put(db, NULL, &bad, 1, NULL, &err), CW_ELINK);
    assert_string_equal(err.msg, "items[0].controls[1]: no control 'C9' in organisation 'acme'");
    bad = r;
    bad.assets = (cw_ids){nope, 1};
    assert_int_equal(cw_risk_put(db, NULL, &bad, 1, NULL, &err), CW_ELINK);
    assert_non_null(strstr(err.msg, "items[0].assets[0]: no asset 'C1'"));
    /* an acceptance ends after it began */
    bad = r;
    bad.accepted_by = "ciso";
    bad.accepted_at = (cw_when){true, 50};
    bad.acceptance_expires = (cw_when){true, 40};
    assert_int_equal(cw_risk_put(db, NULL, &bad, 1, NULL, &err), CW_ERANGE);
    /* an accepted risk that expires, one nobody accepted */
    cw_risk acc = {.org = "acme",
                   .id = "R2",
                   .title = "Supplier outage",
                   .likelihood = 2,
                   .impact = 2,
                   .treatment = CW_TREAT_ACCEPT,
                   .accepted_by = "ciso",
                   .accepted_at = {true, 10},
                   .acceptance_expires = {true, 60}};
    cw_risk pend = {.org = "acme",
                    .id = "R3",
                    .title = "Flood",
                    .likelihood = 1,
                    .impact = 5,
                    .treatment = CW_TREAT_ACCEPT};
    cw_risk two[] = {acc, pend};
    must(cw_risk_put(db, NULL, two, 2, NULL, &err), &err, "risks");
    cw_arena *a = cw_arena_new();
    cw_risk got;
    must(cw_risk_get(db, "acme", "R1", a, &got, &err), &err, "get");
    assert_string_equal(got.title, "Data leak");
    assert_int_equal(got.controls.n, 1);
    assert_string_equal(got.controls.v[0], "C1");
    assert_int_equal(got.residual_impact, 3);
    /* half a residual pair: the other half is the inherent one */
    bad = r;
    bad.id = "R4";
    bad.residual_impact = 0;
    must(cw_risk_put(db, NULL, &bad, 1, NULL, &err), &err, "half residual");
    cw_risk half;
    must(cw_risk_get(db, "acme", "R4", a, &half, &err), &err, "get R4");
    assert_int_equal(half.residual_likelihood, 2);
    assert_int_equal(half.residual_impact, 5);
    must(cw_risk_delete(db, NULL, "acme", "R4", &err), &err, "delete R4");
    assert_true(got.review_at.has && !got.accepted_at.has);
    assert_int_equal(cw_risk_flags(&got, 100), 0); /* on the day: not yet overdue */
    assert_int_equal(cw_risk_flags(&got, 101), CW_RISK_REVIEW_OVERDUE);
    cw_risk_matrix m;
    must(cw_risk_matrix_get(db, "acme", 70, a, &m, &err), &err, "matrix");
    assert_int_equal(m.scale, 5);
    assert_int_equal(m.risks, 3);
    assert_int_equal(m.inherent[3 * 5 + 4], 1); /* R1 at likelihood 4, impact 5 */
    assert_int_equal(m.residual[1 * 5 + 2], 1); /* R1 residual 2, 3 */
    assert_int_equal(m.residual[1 * 5 + 1], 1); /* R2, unassessed: at its inherent cell */
    assert_int_equal(m.residual_unassessed, 2);
    assert_int_equal(m.acceptance_expired, 1);
    assert_int_equal(m.acceptance_pending, 1);
    assert_int_equal(m.review_overdue, 0);
    /* the scale: narrower than a stored score is refused, wider is fine */
    cw_org o = {"acme", "Acme", 4};
    assert_int_equal(cw_org_put(db, NULL, &o, NULL, &err), CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "risk_scale: 4 is below the score 5 of risk 'R1'"));
    o.risk_scale = 11;
    assert_int_equal(cw_org_put(db, NULL, &o, NULL, &err), CW_ERANGE);
    o.risk_scale = 7;
    must(cw_org_put(db, NULL, &o, NULL, &err), &err, "scale 7");
    o.risk_scale = 0; /* a rename keeps the scale */
    must(cw_org_put(db, NULL, &o, NULL, &err), &err, "rename");
    cw_org og;
    must(cw_org_get(db, "acme", a, &og, &err), &err, "org");
    assert_int_equal(og.risk_scale, 7);
    bad = r;
    bad.impact = 7;
    must(cw_risk_put(db, NULL, &bad, 1, NULL, &err), &err, "impact 7 on 1..7");
    /* an asset a risk names stays; once free it goes */
    assert_int_equal(cw_asset_delete(db, NULL, "acme", "A1", &err), CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "named by risk 'R1'"));
    must(cw_asset_delete(db, NULL, "acme", "A2", &err), &err, "delete A2");
    must(cw_risk_delete(db, NULL, "acme", "R1", &err), &err, "delete R1");
    must(cw_asset_delete(db, NULL, "acme", "A1", &err), &err, "delete A1");
    assert_int_equal(cw_risk_get(db, "acme", "R1", a, &got, &err), CW_ENOENT);
    cw_risk *list;
    size_t n;
    must(cw_risk_list(db, "acme", a, &list, &n, &err), &err, "list");
    assert_int_equal(n, 2);
    assert_int_equal(cw_risk_list(db, "nope", a, &list, &n, &err), CW_ENOORG);
    cw_arena_free(a);
    t_consistent(db);
}

/* ---- audits and where findings sit ---- */

static void test_audits_and_findings(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    const char *scope[] = {"X", "Z.1"}, *unknown[] = {"X", "Q"};
    cw_audit u = {.org = "acme", .id = "IA", .framework = "fw", .scope = {scope, 2}};
    must(cw_audit_put(db, NULL, &u, 1, NULL, &err), &err, "audit");
    cw_audit bad = u;
    bad.scope.v = unknown;
    assert_int_equal(cw_audit_put(db, NULL, &bad, 1, NULL, &err), CW_ENOREQ);
    assert_string_equal(err.msg, "items[0].scope[1]: no requirement 'Q' in framework 'fw'");
    bad = u;
    bad.scope.n = 0;
    assert_int_equal(cw_audit_put(db, NULL, &bad, 1, NULL, &err), CW_EINVAL);
    bad = u;
    bad.framework = "nofw";
    assert_int_equal(cw_audit_put(db, NULL, &bad, 1, NULL, &err), CW_ENOFW);
    bad = u;
    bad.planned_start = (cw_when){true, 20};
    bad.planned_end = (cw_when){true, 10};
    assert_int_equal(cw_audit_put(db, NULL, &bad, 1, NULL, &err), CW_ERANGE);
    /* inside the scope: under a group named, or named itself */
    finding(db, nc("F1", "X.2", CW_FIND_MAJOR_NC, CW_FST_OPEN, 10, -1));
    finding(db, nc("F2", "Z.1", CW_FIND_OBSERVATION, CW_FST_OPEN, 10, -1));
    assert_int_equal(put_finding(db, nc("F3", "Y", CW_FIND_MINOR_NC, CW_FST_OPEN, 10, -1), &err),
                     CW_EINVAL);
    assert_string_equal(err.msg,
                        "items[0].requirement: 'Y' is outside the scope of audit 'IA' (X, Z.1)");
    assert_int_equal(put_finding(db, nc("F3", "X", CW_FIND_MINOR_NC, CW_FST_OPEN, 10, -1), &err),
                     CW_EINVAL);
    assert_non_null(strstr(err.msg, "'X' is not assessed"));
    assert_int_equal(put_finding(db, nc("F3", "X.9", CW_FIND_MINOR_NC, CW_FST_OPEN, 10, -1), &err),
                     CW_ENOREQ);
    cw_audit_finding f = nc("F3", "X.1", CW_FIND_MINOR_NC, CW_FST_OPEN, 10, -1);
    f.audit = "IB";
    assert_int_equal(put_finding(db, f, &err), CW_ELINK);
    assert_string_equal(err.msg, "items[0].audit: no audit 'IB' in organisation 'acme'");
    f = nc("F3", "T1", CW_FIND_MINOR_NC, CW_FST_OPEN, 10, -1);
    f.framework = "dst";
    assert_int_equal(put_finding(db, f, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "items[0].framework: 'dst' is not the framework"));
    /* what each status asks */
    f = nc("F3", "X.1", CW_FIND_MINOR_NC, CW_FST_OPEN, 10, 20);
    assert_int_equal(put_finding(db, f, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "items[0].status: open, but closed_at is given"));
    f = nc("F3", "X.1", CW_FIND_MINOR_NC, CW_FST_CLOSED, 10, 5);
    assert_int_equal(put_finding(db, f, &err), CW_ERANGE);
    f = nc("F3", "X.1", CW_FIND_MINOR_NC, CW_FST_ACTION_PLANNED, 10, -1);
    f.corrective_action = NULL;
    assert_int_equal(put_finding(db, f, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "items[0].corrective_action: missing"));
    f = nc("F3", "X.1", CW_FIND_MINOR_NC, CW_FST_VERIFIED, 10, -1);
    f.effectiveness = CW_EFF_NOT_EFFECTIVE;
    assert_int_equal(put_finding(db, f, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "items[0].effectiveness"));
    f = nc("F3", "X.1", CW_FIND_OPPORTUNITY, CW_FST_CLOSED, 10, 30);
    finding(db, f);
    /* the audit keeps what its findings need */
    bad = u;
    bad.scope.n = 1; /* Z.1 dropped, F2 sits there */
    assert_int_equal(cw_audit_put(db, NULL, &bad, 1, NULL, &err), CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "finding 'F2'"));
    bad = u;
    bad.framework = "dst";
    const char *t1[] = {"T1"};
    bad.scope = (cw_ids){t1, 1};
    assert_int_equal(cw_audit_put(db, NULL, &bad, 1, NULL, &err), CW_ECONFLICT);
    assert_int_equal(cw_audit_delete(db, NULL, "acme", "IA", &err), CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "has 3 findings"));
    cw_arena *a = cw_arena_new();
    cw_audit_finding *fs;
    size_t n;
    cw_finding_filter ff = {.requirement = "X.1"};
    must(cw_finding_list(db, "acme", &ff, a, &fs, &n, &err), &err, "list");
    assert_int_equal(n, 1);
    assert_string_equal(fs[0].id, "F3");
    assert_int_equal(fs[0].kind, CW_FIND_OPPORTUNITY);
    assert_true(fs[0].closed_at.has);
    assert_int_equal(fs[0].closed_at.at, 30);
    for (const char *id = "F1"; id; id = strcmp(id, "F1") == 0   ? "F2"
                                         : strcmp(id, "F2") == 0 ? "F3"
                                                                 : NULL)
        must(cw_finding_delete(db, NULL, "acme", id, &err), &err, id);
    must(cw_audit_delete(db, NULL, "acme", "IA", &err), &err, "delete audit");
    cw_arena_free(a);
    t_consistent(db);
}

/* ---- the coverage override ---- */

static void test_findings_override_coverage(void **state)
{
    cw_db *db = t_db(state);
    t_effective(db, "acme", "C1", "fw/X.1:full fw/X.2:full fw/X.3:full fw/Y:full");
    audit(db, "IA", "fw", "X Y");
    EXPECT("fw", 50, "X.1=met X.2=met X.3=met Y=met");
    /* a major nonconformity, raised at 50: open from 50 on */
    finding(db, nc("F1", "X.1", CW_FIND_MAJOR_NC, CW_FST_OPEN, 50, -1));
    EXPECT("fw", 49, "X.1=met");
    EXPECT("fw", 50, "X.1=failing X.2=met");
    /* a minor one lowers met to partial until it is closed at 80 */
    finding(db, nc("F2", "X.2", CW_FIND_MINOR_NC, CW_FST_CLOSED, 50, 80));
    EXPECT("fw", 60, "X.1=failing X.2=partial");
    EXPECT("fw", 80, "X.2=met");
    EXPECT("fw", 79, "X.2=partial");
    /* closed without a date: never open; observations change nothing */
    finding(db, nc("F3", "X.3", CW_FIND_MAJOR_NC, CW_FST_CLOSED, 50, -1));
    finding(db, nc("F4", "Y", CW_FIND_OBSERVATION, CW_FST_OPEN, 50, -1));
    EXPECT("fw", 60, "X.3=met Y=met");
    /* the explanation names the finding */
    cw_arena *a = cw_arena_new();
    cw_coverage c = t_cov(db, "acme", "fw", 60, 1, a);
    const cw_req_status *rs = t_req(&c, "X.1");
    assert_non_null(rs->finding);
    assert_string_equal(rs->finding->id, "F1");
    assert_int_equal(rs->n_findings, 1);
    assert_string_equal(t_req(&c, "X.2")->finding->id, "F2");
    assert_null(t_req(&c, "Y")->finding);
    assert_int_equal(t_req(&c, "Y")->n_findings, 1); /* listed, not deciding */
    assert_int_equal(c.counts[CW_ST_FAILING], 1);
    assert_int_equal(c.counts[CW_ST_PARTIAL], 1);
    /* a major nonconformity makes a gap failing too */
    assert_int_equal(t_control(db, "acme", "C1", CW_CTL_IMPLEMENTED, "fw/X.2:full"), 0);
    EXPECT("fw", 60, "X.1=failing X.3=gap");
    /* a scope exclusion wins over it */
    cw_scope sc = {"acme", "fw", "X.1", false, "not here", 0};
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, NULL, NULL), 0);
    EXPECT("fw", 60, "X.1=not_applicable");
    cw_arena_free(a);
}

static void test_findings_do_not_propagate(void **state)
{
    cw_db *db = t_db(state);
    t_effective(db, "acme", "C1", "fw/X.1:full fw/Y:full");
    audit(db, "IA", "fw", "X Y");
    finding(db, nc("F1", "X.1", CW_FIND_MAJOR_NC, CW_FST_OPEN, 50, -1));
    /* X.1 under a major nonconformity still reaches T1 through the
     * crosswalk: a finding changes the requirement it names only */
    EXPECT("fw", 60, "X.1=failing");
    EXPECT("dst", 60, "T1=met");
    /* a joint member carries its findings: {X.1, Y} superset_of T2 is
     * partial while X.1 fails, met once the finding closes */
    cw_err err = {0};
    must(t_joint(db, "fw/X.1 fw/Y", "superset_of", "dst/T2", &err), &err, "joint");
    EXPECT("dst", 60, "T2=partial");
    EXPECT("dst", 40, "T2=met");
    cw_arena *a = cw_arena_new();
    cw_coverage c = t_cov(db, "acme", "dst", 60, 1, a);
    const cw_req_status *rs = t_req(&c, "T2");
    const cw_joint_eval *je = rs->contribs[rs->best].joint;
    assert_non_null(je);
    assert_int_equal(je->members[0].status, CW_ST_FAILING);
    assert_non_null(je->members[0].finding);
    assert_string_equal(je->members[0].finding->id, "F1");
    /* framework.compare ignores findings */
    cw_compare cmp;
    cw_compare_query q = {"fw", "dst", 1, false, 0};
    must(cw_framework_compare(db, &q, a, &cmp, &err), &err, "compare");
    assert_int_equal(cmp.full, 2);
    /* a group member takes the lowest of the statuses under it, findings
     * included: Z's only leaf under a minor nonconformity is partial */
    t_effective(db, "acme", "C2", "fw/Z.1:full");
    audit(db, "IZ", "fw", "Z");
    cw_audit_finding f = nc("F2", "Z.1", CW_FIND_MINOR_NC, CW_FST_OPEN, 50, -1);
    f.audit = "IZ";
    finding(db, f);
    must(t_joint(db, "fw/Z fw/Y", "equal", "dst/T1", &err), &err, "joint Z");
    c = t_cov(db, "acme", "dst", 60, 1, a);
    rs = t_req(&c, "T1");
    for (size_t i = 0; i < rs->n_contribs; i++)
        if (rs->contribs[i].joint) {
            assert_int_equal(rs->contribs[i].joint->members[1].status, CW_ST_PARTIAL);
            assert_string_equal(rs->contribs[i].joint->members[1].lowest, "Z.1");
        }
    cw_arena_free(a);
}

/* A finding on a requirement that is no longer assessed changes nothing:
 * the requirement is not judged, and as a joint member it is a gap for
 * being withdrawn, not failing for the finding. */
static void test_finding_on_withdrawn_requirement(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    t_effective(db, "acme", "C1", "fw/X.1:full fw/Y:full");
    audit(db, "IA", "fw", "X Y");
    finding(db, nc("F1", "X.1", CW_FIND_MAJOR_NC, CW_FST_OPEN, 50, -1));
    must(t_joint(db, "fw/X.1 fw/Y", "superset_of", "dst/T2", &err), &err, "joint");
    cw_requirement x1 = {.id = "X.1", .parent = "X", .withdrawn = true};
    cw_framework fw = {"fw", "fw", "", "", ""};
    must(cw_catalog_load(db, NULL, &fw, &x1, 1, false, NULL, &err), &err, "withdraw X.1");
    cw_arena *a = cw_arena_new();
    cw_coverage c = t_cov(db, "acme", "fw", 60, 1, a);
    for (size_t i = 0; i < c.n_reqs; i++)
        assert_string_not_equal(c.reqs[i].id, "X.1");
    assert_int_equal(c.counts[CW_ST_FAILING], 0);
    c = t_cov(db, "acme", "dst", 60, 1, a);
    const cw_req_status *rs = t_req(&c, "T2");
    const cw_joint_eval *je = rs->contribs[rs->best].joint;
    assert_int_equal(je->members[0].status, CW_ST_GAP);
    assert_string_equal(je->members[0].why, "withdrawn");
    assert_null(je->members[0].finding);
    cw_arena_free(a);
}

static void test_gap_plan_and_overdue(void **state)
{
    cw_db *db = t_db(state);
    audit(db, "IA", "fw", "X Y");
    /* without findings, satisfying alt/K closes X.2 and Y */
    cw_gap_query q = {"acme", "fw", "alt", 60, 1, false};
    assert_string_equal(t_gap_plan(db, &q), "alt/K>X.2,Y");
    /* a minor nonconformity on X.2 keeps it from being met: K now
     * closes Y only, and X.2 is held */
    cw_audit_finding f = nc("F1", "X.2", CW_FIND_MINOR_NC, CW_FST_ACTION_PLANNED, 50, -1);
    f.due_at = (cw_when){true, 70};
    finding(db, f);
    assert_string_equal(t_gap_plan(db, &q), "alt/K>Y");
    cw_arena *a = cw_arena_new();
    cw_gap_report r = t_gaps(db, &q, a);
    for (size_t i = 0; i < r.n_gaps; i++) {
        assert_int_equal(r.gaps[i].held, strcmp(r.gaps[i].id, "X.2") == 0);
        assert_int_equal(r.gaps[i].n_findings, strcmp(r.gaps[i].id, "X.2") == 0);
    }
    assert_int_equal(r.n_overdue, 0); /* due on 70: not overdue yet */
    q.as_of = 70;
    r = t_gaps(db, &q, a);
    assert_int_equal(r.n_overdue, 0);
    q.as_of = 71;
    r = t_gaps(db, &q, a);
    assert_int_equal(r.n_overdue, 1);
    assert_string_equal(r.overdue[0]->id, "F1");
    /* verified actions are not overdue, and other frameworks' gap reports
     * do not list them */
    q.target = "dst";
    q.source = NULL;
    r = t_gaps(db, &q, a);
    assert_int_equal(r.n_overdue, 0);
    f.status = CW_FST_VERIFIED;
    f.effectiveness_checked_at = (cw_when){true, 65};
    f.effectiveness = CW_EFF_EFFECTIVE;
    finding(db, f);
    q.target = "fw";
    q.source = "alt";
    r = t_gaps(db, &q, a);
    assert_int_equal(r.n_overdue, 0);
    /* still open while verified: X.2 stays held until the finding closes */
    assert_string_equal(t_gap_plan(db, &q), "alt/K>Y");
    f.status = CW_FST_CLOSED;
    f.closed_at = (cw_when){true, 71};
    finding(db, f);
    assert_string_equal(t_gap_plan(db, &q), "alt/K>X.2,Y");
    cw_arena_free(a);
}

/* ---- the Statement of Applicability ---- */

static void test_soa_reasons_and_versions(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    t_effective(db, "acme", "CP", "iso27001-2022/A.5.1:full");
    t_effective(db, "acme", "CQ", "iso27001-2022/A.5.2:full");
    const char *cp[] = {"CP"};
    cw_risk r = {.org = "acme",
                 .id = "R1",
                 .title = "Policy ignored",
                 .likelihood = 3,
                 .impact = 3,
                 .treatment = CW_TREAT_MITIGATE,
                 .controls = {cp, 1}};
    must(cw_risk_put(db, NULL, &r, 1, NULL, &err), &err, "risk");
    cw_scope legal = {"acme", "iso27001-2022",      "A.5.2",
                      true,   "the regulator asks", CW_REASON_LEGAL | CW_REASON_CONTRACTUAL};
    must(cw_scope_put(db, NULL, &legal, 1, NULL, &err), &err, "scope");
    cw_scope wrong = {"acme", "iso27001-2022", "A.5.3", false, "n/a", CW_REASON_LEGAL};
    assert_int_equal(cw_scope_put(db, NULL, &wrong, 1, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "items[0].applicable: false, but reasons"));
    cw_arena *a = cw_arena_new();
    cw_soa s;
    must(cw_soa_get(db, "acme", 100, false, a, &s, &err), &err, "soa");
    assert_int_equal(s.n_items, 3);
    assert_int_equal(s.items[0].reasons, CW_REASON_RISK);
    assert_int_equal(s.items[0].n_risks, 1);
    assert_string_equal(s.items[0].risks[0], "R1");
    assert_int_equal(s.items[1].reasons, CW_REASON_LEGAL | CW_REASON_CONTRACTUAL);
    assert_int_equal(s.items[2].reasons, 0);
    assert_int_equal(s.n_unjustified, 1);
    assert_string_equal(s.unjustified[0].id, "A.5.3");
    assert_string_equal(s.unjustified[0].why, "included without a reason");
    assert_int_equal(s.n_untreating, 1);
    assert_string_equal(s.untreating[0], "CQ");
    /* approval: refused over an unjustified row unless forced */
    assert_int_equal(cw_soa_approve(db, NULL, "acme", 1, "ciso", false, 100, a, NULL, &err),
                     CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "force: 1 rows"));
    assert_non_null(strstr(err.msg, "A.5.3 included without a reason"));
    must(cw_soa_approve(db, NULL, "acme", 1, "ciso", true, 100, a, &s, &err), &err, "force");
    assert_true(s.forced);
    assert_int_equal(cw_soa_approve(db, NULL, "acme", 1, "ciso", true, 101, a, NULL, &err),
                     CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "version: 1 is not above the latest approved version 1"));
    /* justified by excluding it; a later version needs no force */
    cw_scope out = {"acme", "iso27001-2022", "A.5.3", false, "no such activity", 0};
    must(cw_scope_put(db, NULL, &out, 1, NULL, &err), &err, "exclude");
    must(cw_soa_approve(db, NULL, "acme", 2, "board", false, 200, a, &s, &err), &err, "v2");
    assert_false(s.forced);
    /* the frozen versions answer as approved, whatever came after */
    must(cw_risk_delete(db, NULL, "acme", "R1", &err), &err, "delete risk");
    cw_soa v1;
    must(cw_soa_version_get(db, "acme", 1, a, &v1, &err), &err, "v1");
    assert_int_equal(v1.version, 1);
    assert_string_equal(v1.approver, "ciso");
    assert_int_equal(v1.approved_at, 100);
    assert_true(v1.forced);
    assert_int_equal(v1.n_items, 3);
    assert_true(v1.items[2].applicable);
    assert_string_equal(v1.items[0].risks[0], "R1");
    assert_int_equal(v1.n_unjustified, 1);
    assert_int_equal(v1.n_untreating, 1);
    assert_true(v1.sequence > 0);
    cw_soa v2;
    must(cw_soa_version_get(db, "acme", 2, a, &v2, &err), &err, "v2");
    assert_false(v2.items[2].applicable);
    assert_string_equal(v2.items[2].justification, "no such activity");
    assert_true(v2.sequence > v1.sequence);
    assert_int_equal(cw_soa_version_get(db, "acme", 3, a, &v2, &err), CW_ENOENT);
    cw_soa_approval *vs;
    size_t n;
    must(cw_soa_versions(db, "acme", a, &vs, &n, &err), &err, "versions");
    assert_int_equal(n, 2);
    assert_int_equal(vs[0].version, 1);
    assert_int_equal(vs[0].n_unjustified, 1);
    assert_string_equal(vs[1].approver, "board");
    /* now A.5.1 has lost its risk */
    must(cw_soa_get(db, "acme", 300, false, a, &s, &err), &err, "soa");
    assert_int_equal(s.n_unjustified, 1);
    assert_string_equal(s.unjustified[0].id, "A.5.1");
    cw_arena_free(a);
}

/* ---- the checklist ---- */

static void test_checklist(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    t_effective(db, "acme", "C1", "fw/X.1:full");
    t_implemented(db, "acme", "C2", "fw/X.2:full", -1);
    audit(db, "IA", "fw", "X");
    finding(db, nc("F1", "X.1", CW_FIND_MAJOR_NC, CW_FST_OPEN, 50, -1));
    cw_scope sc = {"acme", "fw", "X.3", false, "not here", 0};
    must(cw_scope_put(db, NULL, &sc, 1, NULL, &err), &err, "scope");
    cw_arena *a = cw_arena_new();
    cw_checklist cl;
    must(cw_audit_checklist(db, "acme", "IA", 40, a, &cl, &err), &err, "checklist");
    assert_int_equal(cl.n_items, 2);
    assert_string_equal(cl.items[0].id, "X.1");
    assert_int_equal(cl.items[0].status, CW_ST_MET);
    assert_string_equal(cl.items[0].controls[0], "C1");
    assert_string_equal(cl.items[0].evidence[0], "ev-C1");
    assert_string_equal(cl.items[1].id, "X.2");
    assert_int_equal(cl.items[1].status, CW_ST_FAILING);
    assert_int_equal(cl.n_excluded, 1);
    assert_string_equal(cl.excluded[0], "X.3");
    must(cw_audit_checklist(db, "acme", "IA", 60, a, &cl, &err), &err, "checklist at 60");
    assert_int_equal(cl.items[0].status, CW_ST_FAILING);
    assert_string_equal(cl.items[0].finding->id, "F1");
    assert_int_equal(cl.counts[CW_ST_FAILING], 2);
    assert_int_equal(cw_audit_checklist(db, "acme", "IB", 60, a, &cl, &err), CW_ENOENT);
    assert_int_equal(cw_audit_checklist(db, "nope", "IA", 60, a, &cl, &err), CW_ENOORG);
    cw_arena_free(a);
}

static void test_org_delete_takes_everything(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    t_effective(db, "acme", "C1", "fw/X.1:full");
    cw_asset as = {"acme", "A1", "CRM", NULL, NULL};
    cw_risk r = {.org = "acme", .id = "R1", .title = "t", .likelihood = 1, .impact = 1};
    must(cw_asset_put(db, NULL, &as, 1, NULL, &err), &err, "asset");
    must(cw_risk_put(db, NULL, &r, 1, NULL, &err), &err, "risk");
    audit(db, "IA", "fw", "X");
    finding(db, nc("F1", "X.1", CW_FIND_MAJOR_NC, CW_FST_OPEN, 50, -1));
    cw_arena *a = cw_arena_new();
    must(cw_soa_approve(db, NULL, "acme", 1, "ciso", true, 100, a, NULL, &err), &err, "approve");
    cw_bulk_stats st;
    must(cw_org_delete(db, NULL, "acme", &st, &err), &err, "delete");
    /* control, evidence, asset, risk, audit, finding, SoA version */
    assert_int_equal(st.deleted, 7);
    t_org(db, "acme");
    cw_risk *rs;
    size_t n;
    must(cw_risk_list(db, "acme", a, &rs, &n, &err), &err, "risks");
    assert_int_equal(n, 0);
    cw_soa_approval *vs;
    must(cw_soa_versions(db, "acme", a, &vs, &n, &err), &err, "versions");
    assert_int_equal(n, 0);
    EXPECT("fw", 60, "X.1=gap");
    cw_arena_free(a);
    t_consistent(db);
}

T_MAIN("isms", T_WORLD_TEST(test_assets_and_risks, world),
       T_WORLD_TEST(test_audits_and_findings, world),
       T_WORLD_TEST(test_findings_override_coverage, world),
       T_WORLD_TEST(test_findings_do_not_propagate, world),
       T_WORLD_TEST(test_finding_on_withdrawn_requirement, world),
       T_WORLD_TEST(test_gap_plan_and_overdue, world),
       T_WORLD_TEST(test_soa_reasons_and_versions, world), T_WORLD_TEST(test_checklist, world),
       T_WORLD_TEST(test_org_delete_takes_everything, world))
