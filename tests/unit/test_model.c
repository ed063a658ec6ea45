/* Unit tests for the model vocabulary: every cell of the docs/SEMANTICS.md §2.2
 * composition table, the not_related/unknown rules, inverses, levels, enum
 * names and the natural order of requirement ids; and the vocabularies,
 * strict time reading and string map the tools share from common/. */
#include "helpers.h"

#include "crosswalk/strmap.h"
#include "crosswalk/time.h"

#include <stdio.h>

#include <string.h>

#define EQ CW_REL_EQUAL
#define SUB CW_REL_SUBSET_OF
#define SUP CW_REL_SUPERSET_OF
#define INT CW_REL_INTERSECTS_WITH
#define NR CW_REL_NOT_RELATED
#define UNK CW_REL_UNKNOWN

static void test_compose_table(void **state)
{
    (void)state;
    /* Written out cell by cell from docs/SEMANTICS.md §2.2 (row: so far, column: next). */
    struct {
        cw_rel a, b, want;
    } cells[] = {
        {EQ, EQ, EQ},   {EQ, SUB, SUB},  {EQ, SUP, SUP},  {EQ, INT, INT},
        {SUB, EQ, SUB}, {SUB, SUB, SUB}, {SUB, SUP, UNK}, {SUB, INT, UNK},
        {SUP, EQ, SUP}, {SUP, SUB, INT}, {SUP, SUP, SUP}, {SUP, INT, INT},
        {INT, EQ, INT}, {INT, SUB, INT}, {INT, SUP, UNK}, {INT, INT, UNK},
    };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        cw_rel got = cw_rel_compose(cells[i].a, cells[i].b);
        if (got != cells[i].want)
            fail_msg("%s then %s: got %s, want %s", cw_rel_name(cells[i].a),
                     cw_rel_name(cells[i].b), cw_rel_name(got), cw_rel_name(cells[i].want));
    }
}

static void test_compose_not_related_and_unknown(void **state)
{
    (void)state;
    assert_int_equal(cw_rel_compose(NR, EQ), NR);
    assert_int_equal(cw_rel_compose(EQ, NR), NR);
    cw_rel others[] = {SUB, SUP, INT, NR};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(cw_rel_compose(NR, others[i]), UNK);
        assert_int_equal(cw_rel_compose(others[i], NR), UNK);
    }
    cw_rel all[] = {EQ, SUB, SUP, INT, NR, UNK};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(cw_rel_compose(UNK, all[i]), UNK);
        assert_int_equal(cw_rel_compose(all[i], UNK), UNK);
    }
}

/* Each relationship's level (what a full link through it gives) and its
 * inverse (the same fact read from the other end). */
static void test_levels_and_inverses(void **state)
{
    (void)state;
    struct {
        cw_rel r;
        cw_level level;
        cw_rel inverse;
    } rels[] = {
        {EQ, CW_LEVEL_FULL, EQ},      {SUP, CW_LEVEL_FULL, SUB}, {SUB, CW_LEVEL_PARTIAL, SUP},
        {INT, CW_LEVEL_PARTIAL, INT}, {NR, CW_LEVEL_NONE, NR},   {UNK, CW_LEVEL_NONE, UNK},
    };
    for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++) {
        if (cw_rel_level(rels[i].r) != rels[i].level)
            fail_msg("level of %s: %d, want %d", cw_rel_name(rels[i].r),
                     (int)cw_rel_level(rels[i].r), (int)rels[i].level);
        if (cw_rel_inverse(rels[i].r) != rels[i].inverse)
            fail_msg("inverse of %s: %s, want %s", cw_rel_name(rels[i].r),
                     cw_rel_name(cw_rel_inverse(rels[i].r)), cw_rel_name(rels[i].inverse));
    }
}

static void test_names(void **state)
{
    (void)state;
    const char *names[] = {"equal", "subset_of", "superset_of", "intersects_with", "not_related"};
    for (int i = 0; i < 5; i++) {
        cw_rel r;
        assert_int_equal(cw_rel_parse(names[i], &r), 0);
        assert_int_equal(r, i);
        assert_string_equal(cw_rel_name(r), names[i]);
    }
    cw_rel r;
    assert_int_equal(cw_rel_parse("unknown", &r), CW_EREL);
    assert_int_equal(cw_rel_parse("subset", &r), CW_EREL);
    assert_int_equal(cw_rel_parse(NULL, &r), CW_EREL);
    cw_level l;
    assert_int_equal(cw_level_parse("full", &l), 0);
    assert_int_equal(l, CW_LEVEL_FULL);
    assert_int_equal(cw_level_parse("half", &l), CW_EINVAL);
    cw_result res;
    assert_int_equal(cw_result_parse("fail", &res), 0);
    assert_int_equal(res, CW_RESULT_FAIL);
    assert_int_equal(cw_result_parse("ok", &res), CW_EINVAL);
    cw_ctl_status st;
    assert_int_equal(cw_ctl_status_parse("planned", &st), 0);
    assert_int_equal(st, CW_CTL_PLANNED);
    assert_string_equal(cw_status_name(CW_ST_NOT_APPLICABLE), "not_applicable");
    assert_string_equal(cw_strerror(CW_ENOFW), "unknown_framework");
    assert_int_equal(cw_proto_code(CW_ENOFW), CW_PE_NOT_FOUND);
    assert_string_equal(cw_proto_name(cw_proto_code(CW_ENOFW)), "not_found");
    assert_int_equal(cw_proto_code(CW_EFULL), CW_PE_STORAGE_FULL);
    assert_int_equal(cw_proto_code(CW_EAUTH), CW_PE_UNAUTHENTICATED);
    assert_int_equal(cw_proto_code(-999), CW_PE_INTERNAL);
    assert_string_equal(cw_proto_name(99), "internal");
}

static void test_status_order(void **state)
{
    (void)state;
    /* met > partial > unverified > failing > gap */
    assert_true(CW_ST_MET > CW_ST_PARTIAL);
    assert_true(CW_ST_PARTIAL > CW_ST_UNVERIFIED);
    assert_true(CW_ST_UNVERIFIED > CW_ST_FAILING);
    assert_true(CW_ST_FAILING > CW_ST_GAP);
}

static void test_id_order(void **state)
{
    (void)state;
    assert_true(cw_id_cmp("A.5.2", "A.5.10") < 0);
    assert_true(cw_id_cmp("A.5.10", "A.5.2") > 0);
    assert_true(cw_id_cmp("9.2", "10.1") < 0);
    assert_true(cw_id_cmp("GV.OC-01", "GV.OC-02") < 0);
    assert_true(cw_id_cmp("CC1.1", "CC10.1") < 0);
    assert_int_equal(cw_id_cmp("A.5.1", "A.5.1"), 0);
    assert_true(cw_id_cmp("A.5.01", "A.5.1") != 0);
    assert_true(cw_id_cmp("4", "4.1") < 0);
}

static void test_err_helpers(void **state)
{
    (void)state;
    cw_err e = {0};
    assert_int_equal(cw_err_set(&e, CW_EINVAL, "field: %s", "bad"), CW_EINVAL);
    assert_string_equal(e.msg, "field: bad");
    cw_err_prefix(&e, "items[%d].", 3);
    assert_string_equal(e.msg, "items[3].field: bad");
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cw_err_set(&e, CW_EINVAL, "%s", big);
    assert_true(strlen(e.msg) < CW_ERR_MSG_MAX);
    assert_int_equal(cw_err_set(NULL, CW_ENOFW, "x"), CW_ENOFW);
}

static void test_arena(void **state)
{
    (void)state;
    cw_arena *a = cw_arena_new();
    for (int i = 0; i < 10000; i++) {
        char *p = cw_arena_alloc(a, (size_t)(i % 97) + 1);
        assert_non_null(p);
        assert_int_equal(((uintptr_t)p) % 16, 0);
    }
    char *big = cw_arena_alloc(a, 1 << 20);
    assert_non_null(big);
    big[(1 << 20) - 1] = 1;
    size_t cap = 0;
    int *arr = NULL;
    for (int i = 0; i < 1000; i++) {
        arr = cw_arena_grow(a, arr, sizeof *arr, &cap, (size_t)i + 1);
        arr[i] = i;
    }
    for (int i = 0; i < 1000; i++)
        assert_int_equal(arr[i], i);
    assert_string_equal(cw_arena_strndup(a, "hello", 4), "hell");
    cw_arena_reset(a);
    assert_int_equal(cw_arena_used(a), 0);
    cw_arena_free(a);
}

/* The vocabularies, the strict time reading and the string map of
 * common/ that the tools share with the engine. */
static void test_tools_floor(void **state)
{
    (void)state;
    assert_true(cw_rationale_ok("semantic"));
    assert_false(cw_rationale_ok("Semantic"));
    assert_false(cw_rationale_ok(NULL));
    assert_true(cw_kind_ok("subcategory"));
    assert_false(cw_kind_ok("widget"));
    char list[256];
    cw_names_join(cw_rationale_names, list, sizeof list);
    assert_string_equal(list, "syntactic, semantic, functional");
    cw_names_join(cw_kind_names, list, 12);
    assert_string_equal(list, "clause, the");
    assert_true(cw_slug_ok("iso27001-2022"));
    assert_false(cw_slug_ok("ISO"));
    assert_false(cw_slug_ok("2022"));
    assert_false(cw_slug_ok(""));

    cw_time t;
    assert_int_equal(cw_time_parse_strict("2024-02-29T00:00:00Z", &t), 0);
    assert_int_equal(t, 1709164800);
    assert_int_equal(cw_time_parse_strict("2026-01-31T13:30:00.5+01:30", &t), 0);
    assert_int_equal(t, 1769860800);
    /* a day its month does not have, either way */
    assert_int_not_equal(cw_time_parse("2026-02-31T00:00:00Z", 20, &t), 0);
    assert_int_not_equal(cw_time_parse_strict("2026-02-30T00:00:00Z", &t), 0);
    /* the lax reading takes a space for the T; the strict one does not */
    assert_int_equal(cw_time_parse("2026-01-31 12:00:00Z", 20, &t), 0);
    assert_int_not_equal(cw_time_parse_strict("2023-02-29T00:00:00Z", &t), 0);
    assert_int_not_equal(cw_time_parse_strict("2026-04-31T00:00:00Z", &t), 0);
    assert_int_not_equal(cw_time_parse_strict("2026-01-31 12:00:00Z", &t), 0);
    assert_int_not_equal(cw_time_parse_strict("2026-01-31T12:00:00", &t), 0);

    cw_arena *a = cw_arena_new();
    assert_non_null(a);
    cw_strmap m = {0};
    assert_false(cw_strmap_get(&m, "x", 1, NULL));
    assert_int_equal(cw_strmap_init(&m, a, 2), 0);
    char keys[100][8];
    for (size_t i = 0; i < 100; i++) {
        snprintf(keys[i], sizeof keys[i], "k%zu", i);
        assert_int_equal(cw_strmap_put(&m, keys[i], strlen(keys[i]), i, NULL), 0);
    }
    size_t v, old;
    assert_int_equal(cw_strmap_put(&m, "k7", 2, 99, &old), 1);
    assert_int_equal(old, 7);
    assert_true(cw_strmap_get(&m, "k42", 3, &v));
    assert_int_equal(v, 42);
    assert_false(cw_strmap_get(&m, "k4", 3, NULL)); /* length counts */
    cw_arena_free(a);
}

T_MAIN("model", cmocka_unit_test(test_compose_table),
       cmocka_unit_test(test_compose_not_related_and_unknown),
       cmocka_unit_test(test_levels_and_inverses), cmocka_unit_test(test_names),
       cmocka_unit_test(test_status_order), cmocka_unit_test(test_id_order),
       cmocka_unit_test(test_err_helpers), cmocka_unit_test(test_arena),
       cmocka_unit_test(test_tools_floor))
