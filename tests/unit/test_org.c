/* Unit tests for organisation data: organisations, controls and their
 * links, evidence and its indexes, scope decisions, the atomicity of bulk
 * writes, and every case of the control-state rule of docs/SEMANTICS.md §2.1 (no
 * evidence, latest fail, the collected_at tie, valid_until inclusive,
 * stale, evidence from the future ignored). */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

static const t_scenario base = {
    "fx: G G.1:G G.2:G L; iso27001-2022: 6 6.1:6 A.5 A.5.1:A.5 A.5.2:A.5", "acme", NULL};

static void test_org_crud(void **state)
{
    cw_db *db = t_db(state);
    cw_org o = {"acme", "Acme Ltd", 0};
    bool created;
    cw_err err = {0};
    assert_int_equal(cw_org_put(db, NULL, &o, &created, &err), 0);
    assert_true(created);
    o.name = "Acme Limited";
    assert_int_equal(cw_org_put(db, NULL, &o, &created, &err), 0);
    assert_false(created);
    cw_arena *a = cw_arena_new();
    cw_org got;
    assert_int_equal(cw_org_get(db, "acme", a, &got, &err), 0);
    assert_string_equal(got.name, "Acme Limited");
    assert_int_equal(cw_org_get(db, "nope", a, &got, &err), CW_ENOORG);
    assert_non_null(strstr(err.msg, "'nope'"));
    cw_org bad = {"", "x", 0};
    assert_int_equal(cw_org_put(db, NULL, &bad, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "org"));
    cw_org *list;
    size_t n;
    t_org(db, "beta");
    assert_int_equal(cw_org_list(db, a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    cw_arena_free(a);
}

static void test_controls(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    assert_int_equal(t_control(db, "acme", "C1", CW_CTL_IMPLEMENTED, "fx/G.1:full fx/L:partial"),
                     0);
    assert_int_equal(t_control(db, "acme", "C2", CW_CTL_PLANNED, "fx/G:full"), 0);
    assert_int_equal(t_control(db, "nope", "C3", CW_CTL_IMPLEMENTED, ""), CW_ENOORG);
    assert_int_equal(t_control(db, "acme", "C3", CW_CTL_IMPLEMENTED, "fx/ZZ:full"), CW_ELINK);
    assert_int_equal(t_control(db, "acme", "C3", CW_CTL_IMPLEMENTED, "fy/G:full"), CW_ELINK);
    cw_link l = {"fx", "ZZ", CW_LEVEL_FULL};
    cw_control c = {"acme", "C3", "t", "o", CW_CTL_IMPLEMENTED, &l, 1};
    assert_int_equal(cw_control_put(db, NULL, &c, 1, NULL, &err), CW_ELINK);
    assert_string_equal(err.msg, "controls[0].links[0].id: no requirement 'ZZ' in framework 'fx'");
    l = (cw_link){"fx", "L", (cw_level)7};
    assert_int_equal(cw_control_put(db, NULL, &c, 1, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "level"));

    /* bulk: one bad item rejects all */
    cw_link good = {"fx", "L", CW_LEVEL_FULL}, badl = {"fx", "NOPE", CW_LEVEL_FULL};
    cw_control batch[] = {{"acme", "B1", "", "", CW_CTL_IMPLEMENTED, &good, 1},
                          {"acme", "B2", "", "", CW_CTL_IMPLEMENTED, &badl, 1}};
    cw_bulk_stats st;
    assert_int_equal(cw_control_put(db, NULL, batch, 2, &st, &err), CW_ELINK);
    assert_int_equal(st.rejected, 2);
    assert_non_null(strstr(err.msg, "controls[1]"));
    cw_arena *a = cw_arena_new();
    cw_control got;
    assert_int_equal(cw_control_get(db, "acme", "B1", a, &got, &err), CW_ENOCTL);
    cw_control dup[] = {batch[0], batch[0]};
    assert_int_equal(cw_control_put(db, NULL, dup, 2, &st, &err), CW_ECONFLICT);

    assert_int_equal(cw_control_get(db, "acme", "C1", a, &got, &err), 0);
    assert_int_equal(got.n_links, 2);
    assert_int_equal(got.links[1].level, CW_LEVEL_PARTIAL);
    assert_int_equal(got.status, CW_CTL_IMPLEMENTED);
    cw_control *list;
    size_t n;
    assert_int_equal(cw_control_list(db, "acme", NULL, a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    /* pages in id order: one at a time, after an id that need not exist */
    cw_page first = {NULL, 1}, next = {"C1", 1}, between = {"C1a", 5}, last = {"C2", 1};
    assert_int_equal(cw_control_list(db, "acme", &first, a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "C1");
    assert_int_equal(cw_control_list(db, "acme", &next, a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "C2");
    assert_int_equal(cw_control_list(db, "acme", &between, a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "C2");
    assert_int_equal(cw_control_list(db, "acme", &last, a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    /* relinking replaces the link index entries */
    assert_int_equal(t_control(db, "acme", "C1", CW_CTL_IMPLEMENTED, "fx/G.2:full"), 0);
    t_consistent(db);
    assert_int_equal(cw_control_delete(db, NULL, "acme", "C1", &err), 0);
    assert_int_equal(cw_control_delete(db, NULL, "acme", "C1", &err), CW_ENOCTL);
    t_consistent(db);
    cw_arena_free(a);
}

static void test_evidence_crud(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    assert_int_equal(t_control(db, "acme", "C1", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    assert_int_equal(t_control(db, "acme", "C2", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    assert_int_equal(t_evidence(db, "acme", "E1", "C1 C2", 100, 200, CW_RESULT_PASS), 0);
    assert_int_equal(t_evidence(db, "acme", "E2", "C9", 100, -1, CW_RESULT_PASS), CW_ENOCTL);
    assert_int_equal(t_evidence(db, "acme", "E2", "C1", 100, 50, CW_RESULT_PASS), CW_ERANGE);
    assert_int_equal(t_evidence(db, "acme", "E2", "", 100, -1, CW_RESULT_PASS), CW_EINVAL);
    cw_evidence e = {.org = "acme",
                     .id = "E3",
                     .controls = (const char *[]){"C1"},
                     .n_controls = 1,
                     .sha256 = "xyz",
                     .result = CW_RESULT_PASS};
    assert_int_equal(cw_evidence_put(db, NULL, &e, 1, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "items[0].sha256"));
    /* a control named twice would be indexed once and counted twice */
    assert_int_equal(t_evidence(db, "acme", "E2", "C1 C2 C1", 100, -1, CW_RESULT_PASS), CW_EINVAL);
    const char *many[40];
    char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "C%d", i % 2 + 1);
        many[i] = names[i];
    }
    cw_evidence rep = {
        .org = "acme", .id = "E4", .controls = many, .n_controls = 40, .result = CW_RESULT_PASS};
    assert_int_equal(cw_evidence_put(db, NULL, &rep, 1, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "'C1' appears twice"));
    cw_arena *a = cw_arena_new();
    cw_evidence *list;
    size_t n;
    assert_int_equal(cw_evidence_list(db, "acme", "C2", NULL, a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "E1");
    assert_int_equal(list[0].n_controls, 2);
    assert_true(list[0].has_valid_until);
    assert_int_equal(list[0].valid_until, 200);
    /* upsert moves it off C2 */
    assert_int_equal(t_evidence(db, "acme", "E1", "C1", 150, -1, CW_RESULT_FAIL), 0);
    assert_int_equal(cw_evidence_list(db, "acme", "C2", NULL, a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    cw_evidence got;
    assert_int_equal(cw_evidence_get(db, "acme", "E1", a, &got, &err), 0);
    assert_int_equal(got.result, CW_RESULT_FAIL);
    assert_false(got.has_valid_until);
    assert_int_equal(got.collected_at, 150);
    t_consistent(db);
    assert_int_equal(cw_evidence_delete(db, NULL, "acme", "E1", &err), 0);
    assert_int_equal(cw_evidence_get(db, "acme", "E1", a, &got, &err), CW_ENOEV);
    assert_int_equal(cw_evidence_list(db, "acme", NULL, NULL, a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    t_consistent(db);
    /* bulk atomic */
    cw_evidence items[3];
    const char *c1[] = {"C1"}, *c9[] = {"C9"};
    for (int i = 0; i < 3; i++)
        items[i] = (cw_evidence){.org = "acme",
                                 .id = i == 0   ? "X0"
                                       : i == 1 ? "X1"
                                                : "X2",
                                 .controls = i == 2 ? c9 : c1,
                                 .n_controls = 1,
                                 .collected_at = 10,
                                 .result = CW_RESULT_PASS};
    cw_bulk_stats st;
    assert_int_equal(cw_evidence_put(db, NULL, items, 3, &st, &err), CW_ENOCTL);
    assert_non_null(strstr(err.msg, "items[2].controls[0]"));
    assert_int_equal(cw_evidence_list(db, "acme", NULL, NULL, a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(cw_evidence_put(db, NULL, items, 2, &st, &err), 0);
    assert_int_equal(st.created, 2);
    cw_arena_free(a);
}

static cw_ctl_state state_at(cw_db *db, const char *ctl, cw_time t, const char **ev)
{
    cw_arena *a = cw_arena_new();
    cw_control_state s;
    cw_err err = {0};
    int rc = cw_control_state_get(db, "acme", ctl, t, a, &s, &err);
    if (rc)
        fail_msg("state: %s", err.msg);
    cw_ctl_state st = s.state;
    static char buf[64];
    buf[0] = '\0';
    if (s.n_evidence)
        snprintf(buf, sizeof buf, "%s", s.evidence[0]);
    if (ev)
        *ev = buf;
    cw_arena_free(a);
    return st;
}

static void test_control_state_rules(void **state)
{
    cw_db *db = t_db(state);
    const char *ev;
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    /* no evidence */
    assert_int_equal(state_at(db, "C", 1000, &ev), CW_STATE_UNVERIFIED);
    assert_string_equal(ev, "");
    assert_int_equal(t_evidence(db, "acme", "P1", "C", 100, 200, CW_RESULT_PASS), 0);
    /* before any evidence was collected: unverified */
    assert_int_equal(state_at(db, "C", 99, &ev), CW_STATE_UNVERIFIED);
    assert_int_equal(state_at(db, "C", 100, &ev), CW_STATE_EFFECTIVE);
    assert_string_equal(ev, "P1");
    /* valid_until is inclusive */
    assert_int_equal(state_at(db, "C", 200, &ev), CW_STATE_EFFECTIVE);
    /* after expiry: stale, unverified, the latest item decides */
    assert_int_equal(state_at(db, "C", 201, &ev), CW_STATE_UNVERIFIED);
    assert_string_equal(ev, "P1");
    /* a later fail makes it failing from then on */
    assert_int_equal(t_evidence(db, "acme", "F1", "C", 150, -1, CW_RESULT_FAIL), 0);
    assert_int_equal(state_at(db, "C", 149, &ev), CW_STATE_EFFECTIVE);
    assert_int_equal(state_at(db, "C", 150, &ev), CW_STATE_FAILING);
    assert_string_equal(ev, "F1");
    /* a pass after the fail, with no expiry, restores it */
    assert_int_equal(t_evidence(db, "acme", "P2", "C", 160, -1, CW_RESULT_PASS), 0);
    assert_int_equal(state_at(db, "C", 160, &ev), CW_STATE_EFFECTIVE);
    assert_string_equal(ev, "P2");
    assert_int_equal(state_at(db, "C", 1000000, &ev), CW_STATE_EFFECTIVE);
    /* tie on collected_at: fail wins */
    assert_int_equal(t_evidence(db, "acme", "T-pass", "C", 300, -1, CW_RESULT_PASS), 0);
    assert_int_equal(t_evidence(db, "acme", "T-fail", "C", 300, -1, CW_RESULT_FAIL), 0);
    assert_int_equal(t_evidence(db, "acme", "T-zpass", "C", 300, -1, CW_RESULT_PASS), 0);
    assert_int_equal(state_at(db, "C", 300, &ev), CW_STATE_FAILING);
    assert_string_equal(ev, "T-fail");
    assert_int_equal(state_at(db, "C", 299, &ev), CW_STATE_EFFECTIVE);
    /* latest unknown with an older fresh pass: effective */
    assert_int_equal(t_control(db, "acme", "D", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    assert_int_equal(t_evidence(db, "acme", "D1", "D", 10, 100, CW_RESULT_PASS), 0);
    assert_int_equal(t_evidence(db, "acme", "D2", "D", 20, -1, CW_RESULT_UNKNOWN), 0);
    assert_int_equal(state_at(db, "D", 50, &ev), CW_STATE_EFFECTIVE);
    assert_string_equal(ev, "D1");
    assert_int_equal(state_at(db, "D", 101, &ev), CW_STATE_UNVERIFIED);
    assert_string_equal(ev, "D2");
    /* only unknown results: unverified */
    assert_int_equal(t_control(db, "acme", "U", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    assert_int_equal(t_evidence(db, "acme", "U1", "U", 10, -1, CW_RESULT_UNKNOWN), 0);
    assert_int_equal(state_at(db, "U", 50, &ev), CW_STATE_UNVERIFIED);
    /* a pass collected after t does not count at t */
    assert_int_equal(t_evidence(db, "acme", "U2", "U", 60, -1, CW_RESULT_PASS), 0);
    assert_int_equal(state_at(db, "U", 59, &ev), CW_STATE_UNVERIFIED);
    assert_int_equal(state_at(db, "U", 60, &ev), CW_STATE_EFFECTIVE);
    /* negative times order correctly */
    assert_int_equal(t_control(db, "acme", "N", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    assert_int_equal(t_evidence(db, "acme", "N1", "N", -50, -1, CW_RESULT_FAIL), 0);
    assert_int_equal(t_evidence(db, "acme", "N2", "N", -10, -1, CW_RESULT_PASS), 0);
    assert_int_equal(state_at(db, "N", -20, &ev), CW_STATE_FAILING);
    assert_int_equal(state_at(db, "N", -10, &ev), CW_STATE_EFFECTIVE);
    /* not implemented: inactive */
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_PLANNED, "fx/L:full"), 0);
    assert_int_equal(state_at(db, "C", 1000, &ev), CW_STATE_INACTIVE);
}

static void test_scope(void **state)
{
    cw_db *db = t_db(state);
    cw_err err = {0};
    cw_scope s = {"acme", "iso27001-2022", "A.5.2", false, "no suppliers", 0};
    cw_bulk_stats st;
    assert_int_equal(cw_scope_put(db, NULL, &s, 1, &st, &err), 0);
    assert_int_equal(st.created, 1);
    cw_scope clause = {"acme", "iso27001-2022", "6.1", false, "we would rather not", 0};
    assert_int_equal(cw_scope_put(db, NULL, &clause, 1, &st, &err), CW_EMANDATORY);
    assert_non_null(strstr(err.msg, "6.1"));
    assert_non_null(strstr(err.msg, "mandatory"));
    /* marking a clause applicable is fine */
    clause.applicable = true;
    assert_int_equal(cw_scope_put(db, NULL, &clause, 1, &st, &err), 0);
    cw_scope grp = {"acme", "iso27001-2022", "A.5", false, "x", 0};
    assert_int_equal(cw_scope_put(db, NULL, &grp, 1, &st, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "group"));
    cw_scope missing = {"acme", "iso27001-2022", "A.9.9", false, "x", 0};
    assert_int_equal(cw_scope_put(db, NULL, &missing, 1, &st, &err), CW_ENOREQ);
    cw_scope nofw = {"acme", "zz", "A.9.9", false, "x", 0};
    assert_int_equal(cw_scope_put(db, NULL, &nofw, 1, &st, &err), CW_ENOFW);
    cw_scope other = {"acme", "fx", "G.1", false, "x", 0};
    /* bulk with a mandatory clause: nothing stored */
    cw_scope batch[] = {other, {"acme", "iso27001-2022", "6.1", false, "x", 0}};
    assert_int_equal(cw_scope_put(db, NULL, batch, 2, &st, &err), CW_EMANDATORY);
    assert_non_null(strstr(err.msg, "items[1]"));
    cw_arena *a = cw_arena_new();
    cw_scope *list;
    size_t n;
    assert_int_equal(cw_scope_list(db, "acme", NULL, a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(cw_scope_list(db, "acme", "fx", a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(cw_scope_delete(db, NULL, "acme", "iso27001-2022", "A.5.2", &err), 0);
    assert_int_equal(cw_scope_delete(db, NULL, "acme", "iso27001-2022", "A.5.2", &err), CW_ENOENT);
    assert_int_equal(cw_scope_list(db, "acme", "iso27001-2022", a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(list[0].applicable);
    cw_arena_free(a);
}

static void test_org_delete(void **state)
{
    cw_db *db = t_db(state);
    assert_int_equal(t_control(db, "acme", "C", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    assert_int_equal(t_evidence(db, "acme", "E", "C", 1, -1, CW_RESULT_PASS), 0);
    t_org(db, "beta");
    assert_int_equal(t_control(db, "beta", "C", CW_CTL_IMPLEMENTED, "fx/L:full"), 0);
    cw_bulk_stats st;
    assert_int_equal(cw_org_delete(db, NULL, "acme", &st, NULL), 0);
    assert_int_equal(st.deleted, 2);
    cw_db_counts c;
    cw_db_counts_get(db, &c, NULL);
    assert_int_equal(c.controls, 1);
    assert_int_equal(c.evidence, 0);
    assert_int_equal(cw_org_delete(db, NULL, "acme", &st, NULL), CW_ENOORG);
    t_consistent(db);
}

T_MAIN("org", T_STORE_TEST(test_org_crud), T_WORLD_TEST(test_controls, base),
       T_WORLD_TEST(test_evidence_crud, base), T_WORLD_TEST(test_control_state_rules, base),
       T_WORLD_TEST(test_scope, base), T_WORLD_TEST(test_org_delete, base))
