/* Unit tests for catalogues: loading a requirement tree, leaves and
 * groups, publisher order, filters, replace and delete, and every
 * rejection (duplicate ids, missing parents, cycles, bad names), each
 * leaving the store unchanged. */
#include "helpers.h"

#include <string.h>

static void test_load_get_list(void **state)
{
    cw_db *db = t_db(state);
    t_catalog(db, "fx", "G1 G1.2:G1 G1.10:G1 G2 G2.1:G2 G2.1.a:G2.1 L3");
    cw_arena *a = cw_arena_new();
    cw_err err = {0};
    cw_framework_info fi;
    assert_int_equal(cw_framework_get(db, "fx", a, &fi, &err), 0);
    assert_string_equal(fi.fw.slug, "fx");
    assert_int_equal(fi.requirements, 7);
    assert_int_equal(fi.leaves, 4); /* G1.2 G1.10 G2.1.a L3 */

    cw_requirement q;
    const char **kids;
    size_t nk;
    assert_int_equal(cw_requirement_get(db, "fx", "G1", a, &q, &kids, &nk, &err), 0);
    assert_false(q.leaf);
    assert_int_equal(nk, 2);
    assert_string_equal(kids[0], "G1.2"); /* publisher order, not byte order */
    assert_string_equal(kids[1], "G1.10");
    assert_int_equal(cw_requirement_get(db, "fx", "G2.1.a", a, &q, NULL, NULL, &err), 0);
    assert_true(q.leaf);
    assert_string_equal(q.parent, "G2.1");

    cw_requirement *list;
    size_t n;
    cw_req_filter f = {.framework = "fx"};
    assert_int_equal(cw_requirement_list(db, &f, a, &list, &n, &err), 0);
    assert_int_equal(n, 7);
    const char *order[] = {"G1", "G1.2", "G1.10", "G2", "G2.1", "G2.1.a", "L3"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(list[i].id, order[i]);
    f.leaves_only = true;
    assert_int_equal(cw_requirement_list(db, &f, a, &list, &n, &err), 0);
    assert_int_equal(n, 4);
    f = (cw_req_filter){.framework = "fx", .parent = "G2"};
    assert_int_equal(cw_requirement_list(db, &f, a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "G2.1");
    f = (cw_req_filter){.framework = "fx", .kind = "group"};
    assert_int_equal(cw_requirement_list(db, &f, a, &list, &n, &err), 0);
    assert_int_equal(n, 3);

    cw_framework_info *fws;
    assert_int_equal(cw_framework_list(db, a, &fws, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(fws[0].leaves, 4);
    cw_arena_free(a);
}

static void test_attributes_and_filter(void **state)
{
    cw_db *db = t_db(state);
    const char *v1[] = {"Preventive"}, *v2[] = {"Confidentiality", "Integrity"};
    cw_attr at[] = {{"control_type", v1, 1}, {"security_properties", v2, 2}};
    cw_requirement reqs[] = {
        {.id = "A.5", .kind = "theme", .title = "Org"},
        {.id = "A.5.1",
         .parent = "A.5",
         .kind = "control",
         .title = "Policies",
         .description = "Have policies.",
         .attrs = at,
         .n_attrs = 2},
        {.id = "A.5.2", .parent = "A.5", .kind = "control", .title = "Roles"},
    };
    cw_framework fw = {"iso", "ISO", "2022", "ISO", "ids only"};
    cw_bulk_stats st;
    cw_err err = {0};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, reqs, 3, false, &st, &err), 0);
    assert_int_equal(st.created, 3);
    cw_arena *a = cw_arena_new();
    cw_requirement q;
    assert_int_equal(cw_requirement_get(db, "iso", "A.5.1", a, &q, NULL, NULL, &err), 0);
    assert_int_equal(q.n_attrs, 2);
    assert_string_equal(q.attrs[1].key, "security_properties");
    assert_int_equal(q.attrs[1].n_values, 2);
    assert_string_equal(q.attrs[1].values[1], "Integrity");
    assert_string_equal(q.description, "Have policies.");
    cw_requirement *list;
    size_t n;
    cw_req_filter f = {
        .framework = "iso", .attr_key = "security_properties", .attr_value = "Integrity"};
    assert_int_equal(cw_requirement_list(db, &f, a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "A.5.1");
    f.attr_value = "Availability";
    assert_int_equal(cw_requirement_list(db, &f, a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    /* The same rows again change nothing (and keep the order). */
    assert_int_equal(cw_catalog_load(db, NULL, &fw, reqs, 3, false, &st, &err), 0);
    assert_int_equal(st.unchanged, 3);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.created, 0);
    cw_arena_free(a);
}

static void expect_unchanged(cw_db *db)
{
    cw_arena *a = cw_arena_new();
    cw_framework_info fi;
    assert_int_equal(cw_framework_get(db, "fx", a, &fi, NULL), 0);
    assert_int_equal(fi.requirements, 3);
    cw_arena_free(a);
}

static void test_rejections(void **state)
{
    cw_db *db = t_db(state);
    t_catalog(db, "fx", "G G.1:G G.2:G");
    cw_framework fw = {"fx", "fx", "", "", ""};
    cw_err err = {0};
    cw_bulk_stats st;

    cw_requirement dup[] = {{.id = "N1"}, {.id = "N2"}, {.id = "N1"}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, dup, 3, false, &st, &err), CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "requirements[2].id"));
    assert_non_null(strstr(err.msg, "'N1'"));
    assert_int_equal(st.rejected, 3);
    expect_unchanged(db);

    cw_requirement orphan[] = {{.id = "N1"}, {.id = "N2", .parent = "NOPE"}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, orphan, 2, false, &st, &err), CW_ENOREQ);
    assert_non_null(strstr(err.msg, "requirements[1].parent"));
    assert_non_null(strstr(err.msg, "'NOPE'"));
    expect_unchanged(db);

    cw_requirement cycle[] = {{.id = "X", .parent = "Y"}, {.id = "Y", .parent = "X"}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, cycle, 2, false, &st, &err), CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "cycle"));
    expect_unchanged(db);

    /* A cycle through a stored requirement: G's new parent is its child. */
    cw_requirement cyc2[] = {{.id = "G", .parent = "G.1"}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, cyc2, 1, false, &st, &err), CW_ECONFLICT);
    expect_unchanged(db);

    cw_requirement self[] = {{.id = "S", .parent = "S"}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, self, 1, false, &st, &err), CW_ECONFLICT);

    cw_requirement empty[] = {{.id = ""}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, empty, 1, false, &st, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "requirements[0].id"));

    char longid[200];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    cw_requirement lng[] = {{.id = longid}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, lng, 1, false, &st, &err), CW_EINVAL);
    cw_requirement ctl[] = {{.id = "bad\nid"}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, ctl, 1, false, &st, &err), CW_EINVAL);

    cw_framework badfw = {"", "x", "", "", ""};
    assert_int_equal(cw_catalog_load(db, NULL, &badfw, NULL, 0, false, &st, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "framework"));
    expect_unchanged(db);

    cw_arena *a = cw_arena_new();
    cw_requirement q;
    assert_int_equal(cw_requirement_get(db, "nope", "G", a, &q, NULL, NULL, &err), CW_ENOFW);
    assert_non_null(strstr(err.msg, "'nope'"));
    assert_int_equal(cw_requirement_get(db, "fx", "Q", a, &q, NULL, NULL, &err), CW_ENOREQ);
    assert_non_null(strstr(err.msg, "'Q'"));
    cw_requirement *list;
    size_t n;
    cw_req_filter f = {.framework = "fx", .parent = "Q"};
    assert_int_equal(cw_requirement_list(db, &f, a, &list, &n, &err), CW_ENOREQ);
    cw_arena_free(a);
}

static void test_parent_from_store_and_move(void **state)
{
    cw_db *db = t_db(state);
    t_catalog(db, "fx", "G G.1:G H");
    /* Add a child of a stored requirement, then move G.1 under H. */
    t_catalog(db, "fx", "G.2:G G.1:H");
    cw_arena *a = cw_arena_new();
    const char **kids;
    size_t nk;
    cw_requirement q;
    assert_int_equal(cw_requirement_get(db, "fx", "G", a, &q, &kids, &nk, NULL), 0);
    assert_int_equal(nk, 1);
    assert_string_equal(kids[0], "G.2");
    assert_int_equal(cw_requirement_get(db, "fx", "H", a, &q, &kids, &nk, NULL), 0);
    assert_int_equal(nk, 1);
    assert_false(q.leaf);
    t_consistent(db);
    cw_arena_free(a);
}

static void test_replace_and_delete(void **state)
{
    cw_db *db = t_db(state);
    t_catalog(db, "fx", "G G.1:G G.2:G");
    t_org(db, "acme");
    cw_scope sc = {"acme", "fx", "G.1", false, "n/a", 0};
    assert_int_equal(cw_scope_put(db, NULL, &sc, 1, NULL, NULL), 0);
    cw_requirement nr[] = {{.id = "K"}, {.id = "K.1", .parent = "K"}};
    cw_framework fw = {"fx", "fx", "2", "", ""};
    cw_bulk_stats st;
    cw_err err = {0};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, nr, 2, true, &st, &err), 0);
    assert_int_equal(st.created, 2);
    assert_int_equal(st.deleted, 3);
    /* replacing with a list that keeps one id as it was: it is unchanged,
     * the other dropped */
    cw_requirement keep[] = {{.id = "K"}, {.id = "K.2", .parent = "K"}};
    assert_int_equal(cw_catalog_load(db, NULL, &fw, keep, 2, true, &st, &err), 0);
    assert_int_equal(st.created, 1);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.deleted, 1);
    /* and again with a new title for K: updated */
    keep[0].title = "Key";
    assert_int_equal(cw_catalog_load(db, NULL, &fw, keep, 2, true, &st, &err), 0);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(st.created + st.deleted, 0);
    cw_arena *a = cw_arena_new();
    cw_framework_info fi;
    assert_int_equal(cw_framework_get(db, "fx", a, &fi, NULL), 0);
    assert_int_equal(fi.requirements, 2);
    assert_string_equal(fi.fw.version, "2");
    assert_int_equal(cw_catalog_delete(db, NULL, "fx", &st, &err), 0);
    assert_int_equal(st.deleted, 2);
    assert_int_equal(cw_framework_get(db, "fx", a, &fi, &err), CW_ENOFW);
    assert_int_equal(cw_catalog_delete(db, NULL, "fx", &st, &err), CW_ENOFW);
    /* its scope decisions went with it */
    cw_scope *sl;
    size_t n;
    assert_int_equal(cw_scope_list(db, "acme", NULL, a, &sl, &n, NULL), 0);
    assert_int_equal(n, 0);
    t_consistent(db);
    cw_arena_free(a);
}

T_MAIN("catalog", T_STORE_TEST(test_load_get_list), T_STORE_TEST(test_attributes_and_filter),
       T_STORE_TEST(test_rejections), T_STORE_TEST(test_parent_from_store_and_move),
       T_STORE_TEST(test_replace_and_delete))
