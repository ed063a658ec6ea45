/* Unit tests for crosswalks: loading with endpoint checks and precise
 * errors, reading from both ends, inferred paths with composed
 * relationships and strengths, max_hops bounds, deletion and the
 * consistency findings. */
#include "helpers.h"

#include <string.h>

/* The paths of a listing (joint rows are tested apart). */
static int list_paths(cw_db *db, const cw_mapping_query *q, cw_arena *a, cw_path **p, size_t *n,
                      cw_err *err)
{
    cw_mapping_answer ans;
    int rc = cw_mapping_list(db, q, a, &ans, err);
    *p = ans.paths;
    *n = ans.n_paths;
    return rc;
}

static void three_frameworks(cw_db *db)
{
    t_catalog(db, "fa", "a1 a2 a3");
    t_catalog(db, "fb", "b1 b2 b3");
    t_catalog(db, "fc", "c1 c2 c3");
}

static void test_load_errors(void **state)
{
    cw_db *db = t_db(state);
    three_frameworks(db);
    cw_err err = {0};
    cw_bulk_stats st;
    cw_mapping ok = t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 7, "semantic", "pub");
    /* Each batch is ok then one bad row: the whole batch is refused and the
     * message names the bad row's index and field. */
    const struct {
        const char *what;
        cw_mapping bad;
        int rc;
        const char *msg; /* in err.msg; NULL: not checked */
    } cases[] = {
        {"dangling target", t_row("fa", "a1", "fb", "b9", CW_REL_EQUAL, 7, "semantic", "pub"),
         CW_EDANGLING, "mappings[1].target"},
        {"dangling target quoted",
         t_row("fa", "a1", "fb", "b9", CW_REL_EQUAL, 7, "semantic", "pub"), CW_EDANGLING, "'b9'"},
        {"unknown source framework",
         t_row("zz", "a1", "fb", "b1", CW_REL_EQUAL, 7, "semantic", "pub"), CW_EDANGLING,
         "mappings[1].source_framework"},
        {"unknown relationship",
         t_row("fa", "a1", "fb", "b1", CW_REL_UNKNOWN, 7, "semantic", "pub"), CW_EREL,
         "mappings[1].relationship"},
        {"strength 11", t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 11, "semantic", "pub"),
         CW_ERANGE, "mappings[1].strength"},
        {"bad rationale", t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 7, "vibes", "pub"), CW_EINVAL,
         "rationale"},
        {"empty origin", t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 7, "semantic", ""), CW_EINVAL,
         NULL},
        {"self-mapping", t_row("fa", "a1", "fa", "a1", CW_REL_EQUAL, 7, "semantic", "pub"),
         CW_ECONFLICT, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cw_mapping batch[] = {ok, cases[i].bad};
        err.msg[0] = '\0';
        int rc = cw_mapping_load(db, NULL, batch, 2, &st, &err);
        if (rc != cases[i].rc || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
            fail_msg("%s: rc %d, want %d; message \"%s\", want \"%s\"", cases[i].what, rc,
                     cases[i].rc, err.msg, cases[i].msg ? cases[i].msg : "(any)");
        if (st.rejected != 2)
            fail_msg("%s: %zu rows rejected, want the whole batch", cases[i].what, st.rejected);
    }
    /* same pair and origin twice in one batch */
    assert_int_equal(cw_mapping_load(db, NULL, &ok, 1, &st, &err), 0);
    cw_mapping twice[] = {ok, ok};
    assert_int_equal(cw_mapping_load(db, NULL, twice, 2, &st, &err), CW_ECONFLICT);
    assert_non_null(strstr(err.msg, "appears twice"));
    /* nothing from the failed batches was stored: only the one good row */
    cw_db_counts c;
    assert_int_equal(cw_db_counts_get(db, &c, NULL), 0);
    assert_int_equal(c.mappings, 1);
    assert_int_equal(t_map(db, "fa/a1", "bogus", "fb/b1"), CW_EREL);
}

static void test_both_ends_and_upsert(void **state)
{
    cw_db *db = t_db(state);
    three_frameworks(db);
    assert_int_equal(t_map(db, "fa/a1", "subset_of", "fb/b1"), 0);
    cw_arena *a = cw_arena_new();
    cw_path *p;
    size_t n;
    cw_mapping_query q = {.framework = "fb", .id = "b1"};
    assert_int_equal(list_paths(db, &q, a, &p, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].from.id, "b1");
    assert_string_equal(p[0].steps[0].to.id, "a1");
    assert_int_equal(p[0].steps[0].rel, CW_REL_SUPERSET_OF); /* read from b1's end */
    assert_false(p[0].inferred);
    q = (cw_mapping_query){.framework = "fa", .id = "a1"};
    assert_int_equal(list_paths(db, &q, a, &p, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].steps[0].rel, CW_REL_SUBSET_OF);
    assert_string_equal(p[0].steps[0].origin, "test");
    /* upsert: same pair and origin replaces */
    cw_bulk_stats st;
    cw_mapping m = t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 3, NULL, "test");
    assert_int_equal(cw_mapping_load(db, NULL, &m, 1, &st, NULL), 0);
    assert_int_equal(st.updated, 1);
    assert_int_equal(list_paths(db, &q, a, &p, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].steps[0].rel, CW_REL_EQUAL);
    assert_int_equal(p[0].strength, 3);
    cw_arena_free(a);
}

static void test_inferred_paths(void **state)
{
    cw_db *db = t_db(state);
    three_frameworks(db);
    t_maps(db, "fa/a1 equal fb/b1\n"
               "fb/b1 subset_of fc/c1\n"
               "fc/c1 superset_of fb/b2\n"); /* a1 sub c1 sup b2: unknown */
    cw_arena *a = cw_arena_new();
    cw_path *p;
    size_t n;
    cw_err err = {0};
    cw_mapping_query q = {.framework = "fa", .id = "a1", .target_framework = "fc", .max_hops = 2};
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(p[0].inferred);
    assert_int_equal(p[0].hops, 2);
    assert_int_equal(p[0].composed, CW_REL_SUBSET_OF);
    assert_string_equal(p[0].steps[0].to.id, "b1");
    assert_string_equal(p[0].steps[1].to.id, "c1");
    assert_int_equal(p[0].strength, 0); /* unknown strengths along it */
    /* one hop only: no path to fc */
    q.max_hops = 1;
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), 0);
    assert_int_equal(n, 0);
    /* three hops to fb: a1 -> b1 direct only; a1->b1->c1->b2 composes to unknown: omitted */
    q = (cw_mapping_query){.framework = "fa", .id = "a1", .target_framework = "fb", .max_hops = 3};
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].steps[0].to.id, "b1");
    q.max_hops = 4;
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), CW_ERANGE);
    assert_non_null(strstr(err.msg, "max_hops"));
    q.max_hops = -1;
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), CW_ERANGE);
    q = (cw_mapping_query){.framework = "nope"};
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), CW_ENOFW);
    q = (cw_mapping_query){.framework = "fa", .id = "zz"};
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), CW_ENOREQ);
    /* whole framework listing */
    q = (cw_mapping_query){.framework = "fb"};
    assert_int_equal(list_paths(db, &q, a, &p, &n, &err), 0);
    assert_int_equal(n, 3); /* b1->a1, b1->c1, b2->c1 */
    cw_arena_free(a);
}

static void test_strength_min(void **state)
{
    cw_db *db = t_db(state);
    three_frameworks(db);
    cw_mapping m[] = {t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 8, NULL, "x"),
                      t_row("fb", "b1", "fc", "c1", CW_REL_EQUAL, 5, NULL, "x")};
    assert_int_equal(cw_mapping_load(db, NULL, m, 2, NULL, NULL), 0);
    cw_arena *a = cw_arena_new();
    cw_path *p;
    size_t n;
    cw_mapping_query q = {.framework = "fa", .id = "a1", .target_framework = "fc", .max_hops = 2};
    assert_int_equal(list_paths(db, &q, a, &p, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].strength, 5);
    assert_int_equal(p[0].composed, CW_REL_EQUAL);
    cw_arena_free(a);
}

static void test_delete(void **state)
{
    cw_db *db = t_db(state);
    three_frameworks(db);
    cw_mapping m[] = {t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 0, NULL, "o1"),
                      t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 0, NULL, "o2"),
                      t_row("fa", "a2", "fc", "c2", CW_REL_EQUAL, 0, NULL, "o1")};
    assert_int_equal(cw_mapping_load(db, NULL, m, 3, NULL, NULL), 0);
    cw_bulk_stats st;
    cw_err err = {0};
    cw_mapping_filter f = {0};
    assert_int_equal(cw_mapping_delete(db, NULL, &f, &st, &err), CW_EINVAL);
    f.origin = "o2";
    assert_int_equal(cw_mapping_delete(db, NULL, &f, &st, &err), 0);
    assert_int_equal(st.deleted, 1);
    /* a pair filter matches in the reverse direction too */
    f = (cw_mapping_filter){
        .source_fw = "fb", .source_id = "b1", .target_fw = "fa", .target_id = "a1"};
    assert_int_equal(cw_mapping_delete(db, NULL, &f, &st, &err), 0);
    assert_int_equal(st.deleted, 1);
    f = (cw_mapping_filter){.framework = "fc"};
    assert_int_equal(cw_mapping_delete(db, NULL, &f, &st, &err), 0);
    assert_int_equal(st.deleted, 1);
    cw_db_counts c;
    cw_db_counts_get(db, &c, NULL);
    assert_int_equal(c.mappings, 0);
    t_consistent(db);
}

static void test_check_findings(void **state)
{
    cw_db *db = t_db(state);
    three_frameworks(db);
    cw_arena *a = cw_arena_new();
    cw_finding *fs;
    size_t n;
    cw_mapping m[] = {
        t_row("fa", "a1", "fb", "b1", CW_REL_SUBSET_OF, 0, NULL, "o1"),
        t_row("fb", "b1", "fa", "a1", CW_REL_SUBSET_OF, 0, NULL, "o2"), /* both ways, no equal */
        t_row("fa", "a2", "fb", "b2", CW_REL_EQUAL, 0, NULL, "o1"),
        t_row("fa", "a2", "fb", "b2", CW_REL_INTERSECTS_WITH, 0, NULL, "o2"), /* conflict */
        t_row("fa", "a3", "fc", "c3", CW_REL_EQUAL, 0, NULL, "o1"),
        t_row("fa", "a3", "fb", "b3", CW_REL_EQUAL, 0, NULL, "o1"),
        t_row("fa", "a3", "fb", "b3", CW_REL_EQUAL, 0, NULL, "o2"), /* agreement: fine */
    };
    assert_int_equal(cw_mapping_load(db, NULL, m, 7, NULL, NULL), 0);
    assert_int_equal(cw_mapping_check(db, NULL, a, &fs, &n, NULL), 0);
    assert_int_equal(n, 2);
    int sub = -1, conf = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(fs[i].kind, "subset_both_ways") == 0)
            sub = (int)i;
        if (strcmp(fs[i].kind, "conflict") == 0)
            conf = (int)i;
    }
    assert_true(sub >= 0 && conf >= 0);
    assert_non_null(strstr(fs[conf].detail, "o2"));
    /* Deleting fc leaves a dangling row, reported; the rest is untouched. */
    assert_int_equal(cw_catalog_delete(db, NULL, "fc", NULL, NULL), 0);
    assert_int_equal(cw_mapping_check(db, NULL, a, &fs, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(cw_mapping_check(db, "fc", a, &fs, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(fs[0].kind, "dangling");
    assert_non_null(strstr(fs[0].detail, "target"));
    assert_int_equal(cw_mapping_check(db, "zz", a, &fs, &n, NULL), CW_ENOFW);
    /* adding equal resolves the both-ways finding */
    cw_mapping eq = t_row("fa", "a1", "fb", "b1", CW_REL_EQUAL, 0, NULL, "o3");
    assert_int_equal(cw_mapping_load(db, NULL, &eq, 1, NULL, NULL), 0);
    assert_int_equal(cw_mapping_check(db, "fa", a, &fs, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(fs[i].kind, "subset_both_ways");
    cw_arena_free(a);
}

T_MAIN("mapping", T_STORE_TEST(test_load_errors), T_STORE_TEST(test_both_ends_and_upsert),
       T_STORE_TEST(test_inferred_paths), T_STORE_TEST(test_strength_min),
       T_STORE_TEST(test_delete), T_STORE_TEST(test_check_findings))
