/* Shared fixtures for the engine's unit tests (and test_frameworks): a
 * fresh LMDB store in a temporary directory per test (holding a world of
 * catalogues, org and crosswalk rows when the test asks), terse builders for
 * catalogues, crosswalks, controls and evidence, and the common checks
 * (leaf statuses, a gap plan as text, a consistent store) so each test
 * states only what it checks; and the main() every unit test file runs its
 * group with. */
#ifndef CW_TEST_HELPERS_H
#define CW_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "crosswalk/audit.h"
#include "crosswalk/catalog.h"
#include "crosswalk/db.h"
#include "crosswalk/isms.h"
#include "crosswalk/mapping.h"
#include "crosswalk/org.h"
#include "crosswalk/query.h"
#include "crosswalk/risk.h"

#include <lmdb.h>

typedef struct tdb {
    cw_db *db;
    char dir[64];
} tdb;

/* cmocka setup/teardown: state is a tdb* */
int t_setup(void **state);
int t_teardown(void **state);
/* The store of a test run with t_setup/t_teardown. */
cw_db *t_db(void **state);
/* A test entry for main()'s list: f runs with a fresh store as its state. */
#define T_STORE_TEST(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
/* The main() of a test file: runs its entries as one cmocka group named
 * group, which prints each test's result and exits non-zero on a failure.
 * A macro because cmocka counts the entries from the array's type. */
#define T_MAIN(group, ...)                                                                         \
    int main(void)                                                                                 \
    {                                                                                              \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                           \
        return cmocka_run_group_tests_name(group, tests, NULL, NULL);                              \
    }
/* Opens a fresh store with the given map size and cap (0 = defaults). */
tdb *t_open(size_t map_size, size_t map_max);
/* The same with the store's index delta limit (cw_db_options). */
tdb *t_open_delta(size_t map_size, size_t map_max, size_t index_delta_min);
/* The same with any options: o's path is set to the new directory. */
tdb *t_open_opts(cw_db_options *o);
void t_close(tdb *t);

/* Loads framework slug from a spec "id[:parent][!flags] ..." in publisher
 * order; flags: a = assessable, n = not assessable, w = withdrawn.
 * Asserts success. */
void t_catalog(cw_db *db, const char *slug, const char *spec);
/* One crosswalk row "fw/id REL fw/id", origin "test".  Returns the rc. */
int t_map(cw_db *db, const char *src, const char *rel, const char *dst);
/* Crosswalk rows "fw/id REL fw/id", one a line, origin "test"; asserts
 * that each loads, naming the row that does not. */
void t_maps(cw_db *db, const char *rows);
/* A single crosswalk row with its fields in cw_mapping's order, for tests
 * that set strength, rationale or origin (t_map fixes them); the strings
 * are not copied. */
cw_mapping t_row(const char *sfw, const char *sid, const char *tfw, const char *tid, cw_rel rel,
                 int strength, const char *rationale, const char *origin);
/* One joint row "fw/a fw/b ..." REL "fw/t", origin "test".  Returns the rc
 * (err may be NULL). */
int t_joint(cw_db *db, const char *srcs, const char *rel, const char *dst, cw_err *err);
void t_org(cw_db *db, const char *org);
/* A test's world: catalogues "slug: spec; slug: spec ..." (t_catalog's
 * spec), then the org, then crosswalk rows as t_maps takes them (NULL:
 * none). */
void t_world(cw_db *db, const char *catalogs, const char *org, const char *rows);
/* A world shared by many tests of a file, loaded by T_WORLD_TEST. */
typedef struct t_scenario {
    const char *catalogs, *org, *rows;
} t_scenario;
/* cmocka setup: a fresh store (as t_setup) holding the t_scenario that
 * *state points to on entry. */
int t_setup_world(void **state);
/* A test entry for main()'s list: f runs as with T_STORE_TEST, its store
 * holding the world sc (a t_scenario). */
#define T_WORLD_TEST(f, sc)                                                                        \
    cmocka_unit_test_prestate_setup_teardown(f, t_setup_world, t_teardown, (void *)&(sc))
/* Control with links "fw/id:full fw/id:partial ...".  Returns the rc. */
int t_control(cw_db *db, const char *org, const char *id, cw_ctl_status st, const char *links);
/* Evidence results, short. */
#define PASS CW_RESULT_PASS
#define FAIL CW_RESULT_FAIL
/* Evidence backing "c1 c2"; valid_until < 0 means none.  Returns the rc. */
int t_evidence(cw_db *db, const char *org, const char *id, const char *controls, cw_time collected,
               cw_time valid_until, cw_result res);
/* An implemented control with links, backed by one evidence "ev-<id>"
 * collected at 10 with result res.  Asserts both writes. */
void t_backed(cw_db *db, const char *org, const char *id, const char *links, cw_result res);
/* An implemented control with links and passing (1), failing (-1) or no
 * (0) evidence, as t_backed.  Asserts the writes. */
void t_implemented(cw_db *db, const char *org, const char *id, const char *links, int evidence);
/* An effective control: t_backed with a passing result. */
void t_effective(cw_db *db, const char *org, const char *id, const char *links);
/* Asserts that the store's consistency check runs and finds no problem. */
void t_consistent(cw_db *db);
/* The coverage answer for q, in a; fails with the engine's message if the
 * query does. */
cw_coverage t_coverage(cw_db *db, const cw_coverage_query *q, cw_arena *a);
/* t_coverage of fw for org at t with max_hops, detail on: the query most
 * tests look at. */
cw_coverage t_cov(cw_db *db, const char *org, const char *fw, cw_time t, int hops, cw_arena *a);
/* Status of one leaf in a coverage answer (asserts the leaf is there). */
cw_status t_status(const cw_coverage *c, const char *id);
const cw_req_status *t_req(const cw_coverage *c, const char *id);
/* Coverage of fw for org at t with max_hops (detail on). */
cw_status t_cov1(cw_db *db, const char *org, const char *fw, const char *id, cw_time t, int hops);

/* The gap report for q, in a; fails with the engine's message if the
 * query does. */
cw_gap_report t_gaps(cw_db *db, const cw_gap_query *q, cw_arena *a);
/* A gap report's plan as text, each step "fw/id+fw/id>T1,T2" (what it adds,
 * then the targets it closes) and steps apart by a space, so that a test
 * states a whole plan in one comparison.  The text lives until the next
 * call. */
const char *t_plan(const cw_gap_report *r);
/* t_plan of the gap report for q, for a test that looks only at the plan. */
const char *t_gap_plan(cw_db *db, const cw_gap_query *q);
/* Asserts the statuses of leaves of fw for org at t with max_hops, given as
 * "id=status ..." in cw_status_name's words; the failure names every leaf
 * that differs. */
void t_statuses(cw_db *db, const char *org, const char *fw, cw_time t, int hops, const char *want);

#endif
