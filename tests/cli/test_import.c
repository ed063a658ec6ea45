/* test_import: the importers and exporters of the crosswalk client, without
 * a server.
 *
 * Every sample in tests/cli/samples/ is imported: the valid ones must give
 * the expected batches (method, item counts and specific fields of the
 * named-argument objects), the malformed ones exactly the expected
 * problems (location, field, message; locations are compared without the
 * directory).  Crosswalk rows exported as CSV and as an OSCAL
 * mapping-collection must import back to the same rows.  The samples are
 * found in $CW_SAMPLES_DIR, else in the directory the CW_SAMPLES_DIR macro
 * names when it is defined, else next to this source file. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <glob.h>
#include <string.h>
#include <unistd.h>

#include "import.h"

#include <msgpack.h>

static char dir[4096];

static const char *sample(const char *rel)
{
    static char path[8192];
    if (!dir[0]) {
        const char *env = getenv("CW_SAMPLES_DIR");
#ifdef CW_SAMPLES_DIR
        if (!env)
            env = CW_SAMPLES_DIR;
#endif
        if (env) {
            snprintf(dir, sizeof dir, "%s", env);
        } else {
            snprintf(dir, sizeof dir, "%s", __FILE__);
            char *slash = strrchr(dir, '/');
            if (slash)
                snprintf(slash, sizeof dir - (size_t)(slash - dir), "/samples");
            else
                snprintf(dir, sizeof dir, "samples");
        }
    }
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return path;
}

static int import(const char *rel, const char *org, const char *fw, size_t bs, cw_import *out)
{
    cw_import_opts o = {org, fw, bs, NULL, NULL, NULL, NULL};
    return cw_import_file(sample(rel), &o, out);
}

static void dump_problems(const cw_import *imp)
{
    for (size_t i = 0; i < imp->n_problems; i++)
        fprintf(stderr, "  problem: %s: %s: %s\n", imp->problems[i].where, imp->problems[i].field,
                imp->problems[i].msg);
}

/* A valid sample: imported (for org, in batches of bs) it must come in
 * clean, in this format, with these numbers of batches and items. */
typedef struct clean_sample {
    const char *rel, *org;
    size_t bs;
    const char *format;
    size_t batches, items;
    cw_import imp;
} clean_sample;

/* cmocka setup of a CLEAN_SAMPLE test: the import and its clean-ness are
 * checked here, so the test itself checks only the fields it names, with
 * the import as its state. */
static int import_clean(void **state)
{
    clean_sample *c = *state;
    cw_import *imp = &c->imp;
    assert_int_equal(import(c->rel, c->org, NULL, c->bs, imp), 0);
    if (imp->n_problems)
        dump_problems(imp);
    assert_int_equal(imp->n_problems, 0);
    assert_non_null(imp->format);
    assert_string_equal(imp->format, c->format);
    assert_int_equal(imp->n_batches, c->batches);
    assert_int_equal(imp->total_items, c->items);
    *state = imp;
    return 0;
}

static int import_free(void **state)
{
    cw_import_free(*state);
    return 0;
}

/* A test entry for f, run on the sample rel imported clean (the other
 * arguments as in clean_sample). */
#define CLEAN_SAMPLE(f, rel_, org_, bs_, format_, batches_, items_)                                \
    {                                                                                              \
        .name = #f, .test_func = f, .setup_func = import_clean, .teardown_func = import_free,      \
        .initial_state = &(clean_sample)                                                           \
        {                                                                                          \
            .rel = rel_, .org = org_, .bs = bs_, .format = format_, .batches = batches_,           \
            .items = items_                                                                        \
        }                                                                                          \
    }

/* Member k of object o as a string ("" when missing). */
static const char *s_of(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* Asserts string members of o ("" when missing): key, value, ... NULL. */
static void expect_str(json_t *o, ...)
{
    va_list ap;
    va_start(ap, o);
    for (const char *k; (k = va_arg(ap, const char *));) {
        const char *want = va_arg(ap, const char *);
        if (strcmp(s_of(o, k), want) != 0)
            fail_msg("member %s is \"%s\", want \"%s\"", k, s_of(o, k), want);
    }
    va_end(ap);
}

/* msgpack -> JSON for the pre-packed batches (strings, integers, nil,
 * arrays and maps: all an importer packs). */
static json_t *to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR: return json_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new(a, to_json(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            assert_int_equal(k->type, MSGPACK_OBJECT_STR);
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)k->via.str.size, k->via.str.ptr);
            assert_null(json_object_get(m, key)); /* no key twice */
            json_object_set_new(m, key, to_json(&o->via.map.ptr[i].val));
        }
        return m;
    }
    default: fail_msg("unexpected msgpack type %d in a batch", (int)o->type);
    }
    return NULL;
}

/* A batch's params as JSON, whichever form the importer chose (owned by
 * the batch: decoded packed params are cached in place of params). */
static json_t *params(cw_import *imp, size_t b)
{
    cw_import_batch *bt = &imp->batches[b];
    if (!bt->params) {
        assert_non_null(bt->packed);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        assert_int_equal(msgpack_unpack_next(&u, bt->packed, bt->packed_len, &off),
                         MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(off, bt->packed_len); /* exactly one object */
        bt->params = to_json(&u.data);
        msgpack_unpacked_destroy(&u);
        assert_int_equal(json_array_size(json_object_get(bt->params, "items")), bt->items);
    }
    return bt->params;
}

static json_t *item(cw_import *imp, size_t batch, const char *key, size_t i)
{
    json_t *v = json_array_get(json_object_get(params(imp, batch), key), i);
    assert_non_null(v);
    return v;
}

/* ---- valid samples ---- */

static void test_csv_catalog(void **state)
{
    cw_import *imp = *state;
    assert_string_equal(imp->batches[0].method, "catalog.load");
    json_t *p = imp->batches[0].params;
    assert_string_equal(s_of(p, "framework"), "acme-isms");
    json_t *gov1 = item(imp, 0, "requirements", 1);
    expect_str(gov1, "id", "GOV-1", "parent", "GOV", "kind", "control", "description",
               "Keep a board-approved policy set, reviewed yearly.", NULL);
    json_t *ops1 = item(imp, 0, "requirements", 4);
    json_t *ct = json_object_get(json_object_get(ops1, "attributes"), "control_type");
    assert_int_equal(json_array_size(ct), 2);
    assert_string_equal(json_string_value(json_array_get(ct, 1)), "Corrective");
    assert_null(json_object_get(item(imp, 0, "requirements", 0), "parent"));
    assert_null(json_object_get(item(imp, 0, "requirements", 0), "attributes"));

    /* The slug override wins over the file name. */
    cw_import v2;
    assert_int_equal(import("acme-isms.catalog.csv", NULL, "acme-isms-v2", 0, &v2), 0);
    assert_int_equal(v2.n_problems, 0);
    assert_string_equal(s_of(v2.batches[0].params, "framework"), "acme-isms-v2");
    cw_import_free(&v2);
}

/* A title made into a framework slug: lower case, words joined by '-', and
 * a title too long for 64 bytes cut at its last whole word. */
static void test_slugify(void **state)
{
    (void)state;
    char out[CW_IMP_MAX_SLUG + 1];
    assert_int_equal(cw_imp_slugify("  ACME ISMS, v2 ", out, sizeof out), 0);
    assert_string_equal(out, "acme-isms-v2");
    assert_int_equal(cw_imp_slugify("NIST Special Publication 800-53 Revision 5: Security and "
                                    "Privacy Controls for Information Systems and Organizations",
                                    out, sizeof out),
                     0);
    assert_string_equal(out, "nist-special-publication-800-53-revision-5-security-and-privacy");
    assert_true(strlen(out) <= CW_IMP_MAX_SLUG);
    /* exactly 64 bytes fits whole */
    const char *w64 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    assert_int_equal(cw_imp_slugify(w64, out, sizeof out), 0);
    assert_string_equal(out, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    /* one word longer than a slug is cut at 64 bytes */
    char one[100];
    memset(one, 'x', 99);
    one[99] = '\0';
    assert_int_equal(cw_imp_slugify(one, out, sizeof out), 0);
    assert_int_equal(strlen(out), CW_IMP_MAX_SLUG);
    /* nothing to make a slug of */
    assert_int_equal(cw_imp_slugify("--- ---", out, sizeof out), -1);
    /* a small buffer ends at a whole word too */
    char small[8];
    assert_int_equal(cw_imp_slugify("abc def ghi", small, sizeof small), 0);
    assert_string_equal(small, "abc-def");
}

static void test_csv_crosswalk(void **state)
{
    cw_import *imp = *state;
    assert_string_equal(imp->batches[0].method, "mapping.load");
    assert_string_equal(imp->batches[1].method, "mapping.load");
    assert_int_equal(imp->batches[0].items, 3);
    assert_int_equal(imp->batches[1].items, 2);
    json_t *r0 = item(imp, 0, "mappings", 0);
    expect_str(r0, "source_framework", "acme-isms", "source", "GOV-1", "target", "A.5.1",
               "relationship", "equal", NULL);
    assert_int_equal(json_integer_value(json_object_get(r0, "strength")), 9);
    json_t *r3 = item(imp, 1, "mappings", 0);
    assert_null(json_object_get(r3, "rationale"));
    json_t *r4 = item(imp, 1, "mappings", 1);
    assert_null(json_object_get(r4, "strength"));
    assert_string_equal(s_of(r4, "origin"), "Acme audit notes, 2026");
}

static void test_csv_evidence(void **state)
{
    cw_import *imp = *state;
    assert_string_equal(imp->batches[0].method, "evidence.load");
    assert_string_equal(s_of(params(imp, 0), "org"), "acme");
    json_t *e1 = item(imp, 0, "items", 0);
    assert_int_equal(strlen(s_of(e1, "sha256")), 64);
    assert_string_equal(s_of(e1, "valid_until"), "2027-10-01T09:00:00Z");
    json_t *e2 = item(imp, 0, "items", 1);
    assert_int_equal(json_array_size(json_object_get(e2, "controls")), 2);
    assert_string_equal(s_of(e2, "collected_at"), "2026-11-20T06:00:00+01:00");
    json_t *e3 = item(imp, 0, "items", 2);
    assert_int_equal(json_integer_value(json_object_get(e3, "collected_at")), 1795000000);
    expect_str(e3, "source", "jira, ops board", "result", "fail", NULL);
    json_t *e4 = item(imp, 0, "items", 3);
    assert_null(json_object_get(e4, "uri"));
    assert_string_equal(s_of(e4, "result"), "unknown");

    /* batch_size splits the items. */
    cw_import split;
    assert_int_equal(import("evidence.csv", "acme", NULL, 3, &split), 0);
    assert_int_equal(split.n_batches, 2);
    assert_int_equal(split.batches[1].items, 1);
    assert_string_equal(s_of(params(&split, 1), "org"), "acme");
    assert_int_equal(json_array_size(json_object_get(params(&split, 0), "items")), 3);
    cw_import_free(&split);
}

static void test_csv_controls(void **state)
{
    cw_import *imp = *state;
    assert_string_equal(imp->batches[0].method, "control.put");
    assert_string_equal(s_of(imp->batches[0].params, "org"), "acme");
    json_t *log2 = item(imp, 0, "controls", 2);
    assert_string_equal(s_of(log2, "status"), "planned");
    json_t *links = json_object_get(log2, "links");
    assert_int_equal(json_array_size(links), 2);
    assert_string_equal(s_of(json_array_get(links, 0), "level"), "full");
    expect_str(json_array_get(links, 1), "framework", "nist-csf-2.0", "id", "DE.CM-01", "level",
               "partial", NULL);
    assert_null(json_object_get(item(imp, 0, "controls", 4), "links"));
}

static void test_oscal_catalog(void **state)
{
    cw_import *imp = *state;
    json_t *p = imp->batches[0].params;
    assert_string_equal(imp->batches[0].method, "catalog.load");
    expect_str(p, "framework", "acme-cloud-baseline", "name", "Acme Cloud Baseline", "version",
               "2.1", NULL);
    static const char *const ids[] = {"ac", "ac-1", "ac-2", "ac-2.1", "ac-2.2", "lg", "lg-1"};
    static const char *const parents[] = {"", "ac", "ac", "ac-2", "ac-2", "", "lg"};
    for (size_t i = 0; i < 7; i++) {
        json_t *r = item(imp, 0, "requirements", i);
        expect_str(r, "id", ids[i], "parent", parents[i], NULL);
    }
    json_t *ac1 = item(imp, 0, "requirements", 1);
    assert_string_equal(s_of(ac1, "description"),
                        "a. Write an access control policy and share it with every team. b. Review "
                        "the policy every {{ insert: param, ac-1_prm_1 }}.");
    assert_string_equal(s_of(item(imp, 0, "requirements", 0), "kind"), "category");
    /* groups are not assessed; every control is, ac-2 with its enhancements
     * too */
    assert_true(json_is_false(json_object_get(item(imp, 0, "requirements", 0), "assessable")));
    assert_true(json_is_true(json_object_get(item(imp, 0, "requirements", 2), "assessable")));
    assert_true(json_is_true(json_object_get(item(imp, 0, "requirements", 3), "assessable")));
    json_t *wd = item(imp, 0, "requirements", 4);
    expect_str(wd, "kind", "control", "status", "withdrawn", NULL);
    assert_null(json_object_get(json_object_get(wd, "attributes"), "status"));
    assert_null(json_object_get(wd, "description"));
    assert_null(json_object_get(item(imp, 0, "requirements", 2), "status"));
}

static void test_oscal_mapping(void **state)
{
    cw_import *imp = *state;
    assert_string_equal(imp->batches[0].method, "mapping.load");
    /* a map with two sources and one target is one joint row; a map with
     * several targets is one row per target: superset-of stays superset_of
     * for each target, subset-of says no more than an overlap of each */
    static const char *const src[] = {"ac-1", "ac-2|ac-2.1", "lg-1",      "ac-2.2",
                                      "lg-1", "lg-1",        "ac-1|ac-2", "ac-1|ac-2"};
    static const char *const tgt[] = {"A.5.15", "A.5.18", "A.8.15", "A.5.16",
                                      "A.8.16", "A.8.17", "A.5.15", "A.5.16"};
    static const char *const rel[] = {"equal",           "subset_of",      "intersects_with",
                                      "not_related",     "superset_of",    "superset_of",
                                      "intersects_with", "intersects_with"};
    static const int strength[] = {9, 7, 5, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < 8; i++) {
        json_t *r = item(imp, 0, "mappings", i);
        expect_str(r, "source_framework", "acme-cloud-baseline", "target_framework",
                   "iso27001-2022", NULL);
        json_t *s = json_object_get(r, "source");
        char joined[64] = "";
        if (json_is_array(s)) {
            size_t k;
            json_t *x;
            json_array_foreach(s, k, x)
            {
                strcat(joined, k ? "|" : "");
                strcat(joined, json_string_value(x));
            }
        } else {
            snprintf(joined, sizeof joined, "%s", json_string_value(s));
        }
        assert_string_equal(joined, src[i]);
        expect_str(r, "target", tgt[i], "relationship", rel[i], NULL);
        assert_int_equal(json_integer_value(json_object_get(r, "strength")), strength[i]);
        assert_string_equal(s_of(r, "origin"), "Acme Cloud Baseline to ISO/IEC 27001:2022");
    }
    assert_string_equal(s_of(item(imp, 0, "mappings", 1), "rationale"), "functional");
    /* a map without its own takes the collection's provenance matching-rationale */
    assert_string_equal(s_of(item(imp, 0, "mappings", 0), "rationale"), "semantic");
    assert_string_equal(s_of(item(imp, 0, "mappings", 4), "note"),
                        "Logging covers both the log and the monitoring control.");
}

static void test_grc_framework(void **state)
{
    cw_import *imp = *state;
    json_t *p = imp->batches[0].params;
    assert_string_equal(imp->batches[0].method, "catalog.load");
    expect_str(p, "framework", "acme-saas-2026", "name", "Acme SaaS Security Requirements 2026",
               "version", "3", "publisher", "Acme", NULL);
    json_t *iam1 = item(imp, 0, "requirements", 1);
    expect_str(iam1, "parent", "IAM", "title", "Single sign-on", NULL);
    json_t *ig = json_object_get(json_object_get(iam1, "attributes"), "implementation_groups");
    assert_int_equal(json_array_size(ig), 2);
    json_t *iam2 = item(imp, 0, "requirements", 2);
    assert_string_equal(s_of(iam2, "title"),
                        "Administrative access requires phishing-resistant multi-factor "
                        "authentication and is reviewed by the...");
    assert_string_equal(s_of(item(imp, 0, "requirements", 3), "id"), "node4");
    assert_string_equal(s_of(item(imp, 0, "requirements", 4), "parent"), "node4");
    /* each node's assessable flag is kept */
    assert_true(json_is_false(json_object_get(item(imp, 0, "requirements", 0), "assessable")));
    assert_true(json_is_true(json_object_get(iam1, "assessable")));
}

static void test_grc_mapping(void **state)
{
    cw_import *imp = *state;
    static const char *const rel[] = {"intersects_with", "subset_of", "equal", "not_related"};
    for (size_t i = 0; i < 4; i++) {
        json_t *r = item(imp, 0, "mappings", i);
        expect_str(r, "source_framework", "acme-saas-2026", "target_framework", "iso27001-2022",
                   "relationship", rel[i], "origin",
                   "Acme SaaS 2026 to ISO/IEC 27001:2022 (Acme GRC review 2026)", NULL);
    }
    json_t *r1 = item(imp, 0, "mappings", 1);
    expect_str(r1, "source", "IAM-02", "target", "A.8.5", NULL);
    assert_int_equal(json_integer_value(json_object_get(r1, "strength")), 8);
    assert_string_equal(s_of(r1, "rationale"), "functional");
    assert_null(json_object_get(item(imp, 0, "mappings", 3), "strength"));
    /* a list of source URNs is a joint row */
    json_t *r4 = item(imp, 0, "mappings", 4);
    json_t *set = json_object_get(r4, "source");
    assert_int_equal(json_array_size(set), 2);
    assert_string_equal(json_string_value(json_array_get(set, 1)), "IAM-02");
    expect_str(r4, "relationship", "superset_of", "note",
               "Single sign-on and admin MFA together enforce the access rules.", NULL);
}

/* A problem whose location ends with where, on field, mentioning what. */
static bool has_problem(const cw_import *imp, const char *where, const char *field,
                        const char *what)
{
    for (size_t i = 0; i < imp->n_problems; i++) {
        const char *w = imp->problems[i].where;
        size_t wl = strlen(w), l = strlen(where);
        if (wl >= l && strcmp(w + wl - l, where) == 0 &&
            strcmp(imp->problems[i].field, field) == 0 && strstr(imp->problems[i].msg, what))
            return true;
    }
    dump_problems(imp);
    return false;
}

static void test_csv_flags(void **state)
{
    cw_import *imp = *state;
    assert_true(json_is_true(json_object_get(item(imp, 0, "requirements", 1), "assessable")));
    assert_null(json_object_get(item(imp, 0, "requirements", 2), "assessable"));
    assert_string_equal(s_of(item(imp, 0, "requirements", 3), "status"), "withdrawn");
    assert_string_equal(s_of(item(imp, 0, "requirements", 4), "status"), "active");
    assert_true(json_is_false(json_object_get(item(imp, 0, "requirements", 5), "assessable")));
}

static void test_csv_joint_rows(void **state)
{
    cw_import *imp = *state;
    json_t *r0 = item(imp, 0, "mappings", 0);
    assert_int_equal(json_array_size(json_object_get(r0, "source")), 2);
    assert_string_equal(
        s_of(r0, "note"),
        "Policy set (GOV-1) and its review cycle (GOV-2) together cover the control.");
    assert_string_equal(s_of(item(imp, 0, "mappings", 1), "source"), "OPS-1");
    assert_null(json_object_get(item(imp, 0, "mappings", 1), "note"));
    assert_int_equal(json_array_size(json_object_get(item(imp, 0, "mappings", 2), "source")), 3);
    /* each bad joint row is named with its line and field */
    cw_import bad;
    assert_int_equal(import("bad-joint.crosswalk.csv", NULL, NULL, 0, &bad), 0);
    assert_true(has_problem(&bad, ":2", "source_id", "appears twice"));
    assert_true(has_problem(&bad, ":3", "source_id", "empty"));
    assert_true(has_problem(&bad, ":4", "source_id", "own target"));
    assert_true(has_problem(&bad, ":5", "relationship", "bigger"));
    cw_import_free(&bad);
}

static void test_grc_combined(void **state)
{
    cw_import *imp = *state;
    assert_string_equal(imp->batches[0].method, "catalog.load");
    assert_string_equal(imp->batches[1].method, "mapping.load");
    /* URNs of this file's nodes resolve to their ref_id, case-insensitively. */
    json_t *r0 = item(imp, 1, "mappings", 0), *r1 = item(imp, 1, "mappings", 1);
    expect_str(r0, "source_framework", "acme-privacy-2026", "source", "P.1.1", NULL);
    expect_str(r1, "source", "P.1.2", "target", "A.8.10", NULL);
}

/* ---- malformed samples ---- */

typedef struct bad_case {
    const char *file;
    const char *org;
    int rc;             /* 0 or -1 */
    const char *format; /* NULL when not recognised */
    const char *problems[12][3];
} bad_case;

static const bad_case bad_cases[] = {
    {"bad-rows.catalog.csv",
     NULL,
     0,
     "csv-catalog",
     {{"bad-rows.catalog.csv:3", "parent", "'A.9' comes later (line 7); parents must come first"},
      {"bad-rows.catalog.csv:4", "kind",
       "'widget' is not one of clause, theme, control, objective, function, category, "
       "subcategory, series, criterion, domain, practice"},
      {"bad-rows.catalog.csv:5", "id", "'A.2' already appears on line 4"},
      {"bad-rows.catalog.csv:6", "title", "must not be empty"},
      {"bad-rows.catalog.csv:6", "attributes", "name 'Owner' is not lower_snake_case"}}},
    {"bad-quoting.catalog.csv",
     NULL,
     -1,
     NULL,
     {{"bad-quoting.catalog.csv:3", "csv", "unterminated quoted field"}}},
    {"bad-fields.crosswalk.csv",
     NULL,
     0,
     "csv-crosswalk",
     {{"bad-fields.crosswalk.csv:2", "relationship",
       "'equivalent' is not one of equal, subset_of, superset_of, intersects_with, not_related"},
      {"bad-fields.crosswalk.csv:3", "strength", "'11' is not an integer from 1 to 10"},
      {"bad-fields.crosswalk.csv:4", "rationale",
       "'guesswork' is not one of syntactic, semantic, functional"},
      {"bad-fields.crosswalk.csv:5", "target_id", "maps 'OPS-1' to itself"},
      {"bad-fields.crosswalk.csv:6", "target_id",
       "the pair acme-isms/GOV-1 -> iso27001-2022/A.5.1 already appears on line 2"},
      {"bad-fields.crosswalk.csv:7", "source_framework",
       "'ACME' is not a framework slug (lower-case letters, digits, '.' and '-', starting with a "
       "letter)"},
      {"bad-fields.crosswalk.csv:7", "origin",
       "must not be empty (use crosswalk-authored for your own rows)"}}},
    {"bad-shape.crosswalk.csv",
     NULL,
     0,
     "csv-crosswalk",
     {{"bad-shape.crosswalk.csv:2", "row", "has 7 fields, the header has 8"},
      {"bad-shape.crosswalk.csv:3", "source_id", "'GOV 2' must not contain spaces"}}},
    {"bad-values.evidence.csv",
     "acme",
     0,
     "csv-evidence",
     {{"bad-values.evidence.csv:2", "sha256", "'12ab' is not 64 hexadecimal digits"},
      {"bad-values.evidence.csv:3", "controls", "'LOG-1' is named twice"},
      {"bad-values.evidence.csv:3", "collected_at",
       "'2026-13-01T09:00:00Z' is not an RFC 3339 time or integer Unix seconds"},
      {"bad-values.evidence.csv:4", "valid_until", "'2026-10-01T00:00:00Z' is before collected_at"},
      {"bad-values.evidence.csv:4", "result", "'passed' is not one of pass, fail, unknown"},
      {"bad-values.evidence.csv:5", "id", "'EV-101' already appears on line 2"},
      {"bad-values.evidence.csv:5", "controls", "must name at least one control"},
      {"bad-values.evidence.csv:5", "kind",
       "'Scan' is not a lower-case word (document, log, test, screenshot, attestation, scan, "
       "ticket, ...)"},
      {"bad-values.evidence.csv:5", "collected_at",
       "'yesterday' is not an RFC 3339 time or integer Unix seconds"}}},
    {"bad-noorg.evidence.csv",
     NULL,
     0,
     "csv-evidence",
     {{"bad-noorg.evidence.csv:1", "org", "evidence files need an organisation (--org)"},
      {"bad-noorg.evidence.csv:3", "collected_at",
       "'1798761600.5' is not an RFC 3339 time or integer Unix seconds"}}},
    {"bad-values.controls.csv",
     "acme",
     0,
     "csv-controls",
     {{"bad-values.controls.csv:2", "status",
       "'done' is not one of implemented, planned, not_implemented"},
      {"bad-values.controls.csv:3", "links",
       "level 'most' of 'iso27001-2022/A.8.15:most' is not full or partial"},
      {"bad-values.controls.csv:3", "links", "'A.8.16' is not framework/id[:full|:partial]"},
      {"bad-values.controls.csv:4", "links", "iso27001-2022/A.8.16 is linked twice"}}},
    {"bad-shape.controls.csv",
     "acme",
     0,
     "csv-controls",
     {{"bad-shape.controls.csv:2", "id", "' POL-1' begins or ends with a space"},
      {"bad-shape.controls.csv:3", "row", "has 4 fields, the header has 5"}}},
    {"bad-ids.oscal-catalog.json",
     NULL,
     0,
     "oscal-catalog",
     {{"bad-ids.oscal-catalog.json:$.catalog.groups[0].controls[1].title", "title",
       "missing or empty"},
      {"bad-ids.oscal-catalog.json:$.catalog.groups[0].controls[2].id", "id", "missing"},
      {"bad-ids.oscal-catalog.json:$.catalog.groups[0].controls[3].id", "id",
       "'ps-1' appears twice in the catalog"}}},
    {"bad-syntax.oscal-catalog.json",
     NULL,
     -1,
     NULL,
     {{"bad-syntax.oscal-catalog.json:7", "json", "']' expected near '{'"}}},
    {"bad-maps.oscal-mapping.json",
     NULL,
     0,
     "oscal-mapping",
     {{"bad-maps.oscal-mapping.json:$.mapping-collection.mappings[0].maps[0].relationship",
       "relationship",
       "'related-to' is not one of equivalent-to, equal-to, subset-of, superset-of, "
       "intersects-with, no-relationship"},
      {"bad-maps.oscal-mapping.json:$.mapping-collection.mappings[0].maps[1].sources[0].id-ref",
       "id-ref", "'ac-2.a' does not name its control (<control>_smt...)"},
      {"bad-maps.oscal-mapping.json:$.mapping-collection.mappings[0].maps[2].confidence-score",
       "confidence-score", "not a score from 0 to 1, a percentage or low/medium/high"}}},
    {"bad-resources.oscal-mapping.json",
     NULL,
     0,
     "oscal-mapping",
     {{"bad-resources.oscal-mapping.json:$.mapping-collection.mappings[0].source-resource.href",
       "href", "names no framework (add a prop named \"framework\")"},
      {"bad-resources.oscal-mapping.json:$.mapping-collection.mappings[0].target-resource.href",
       "href", "cannot make a framework slug of 'https://example.org/catalogs/2026_catalog.json'"},
      {"bad-resources.oscal-mapping.json:$.mapping-collection.mappings[0].maps[0].targets",
       "targets", "must be a non-empty array"}}},
    {"bad-mappings.grc.yaml",
     NULL,
     0,
     "grc-yaml",
     {{"bad-mappings.grc.yaml:16", "relationship",
       "'overlaps' is not one of equal, subset, superset, intersect, not_related"},
      {"bad-mappings.grc.yaml:18", "target_requirement_urn",
       "'CC6.2' is no node of this file's framework and not a "
       "urn:<provider>:risk:req_node:<framework>:<node> URN"},
      {"bad-mappings.grc.yaml:24", "strength_of_relationship",
       "'120' is not an integer from 0 to 10 (or a percentage)"}}},
    {"bad-nodes.grc.yaml",
     NULL,
     0,
     "grc-yaml",
     {{"bad-nodes.grc.yaml:17", "parent_urn",
       "no requirement node 'urn:acme:risk:req_node:acme-hr-2026:people' in this framework"},
      {"bad-nodes.grc.yaml:30", "source_requirement_urn",
       "'urn:acme:risk:req_node:acme-hr-2026:hr-2' names no requirement node of this file's "
       "framework 'acme-hr-2026'"}}},
    {"bad-syntax.grc.yaml",
     NULL,
     -1,
     NULL,
     {{"bad-syntax.grc.yaml:10", "yaml",
       "found unexpected end of stream while scanning a quoted scalar"}}},
    {"not-a-library.yaml",
     NULL,
     -1,
     NULL,
     {{"not-a-library.yaml:1", "file",
       "not a recognised format (crosswalk CSV, OSCAL catalog or mapping-collection JSON, GRC "
       "YAML library)"}}},
    {"cp1252.catalog.csv",
     NULL,
     -1,
     NULL,
     {{"cp1252.catalog.csv:2:19", "encoding",
       "byte 0xf4 is not UTF-8; if the file is in another character set, name it: --encoding "
       "cp1252 (or latin1, ...)"}}},
    {"oscal-profile.json",
     NULL,
     -1,
     NULL,
     {{"oscal-profile.json:$.profile", "json",
       "an OSCAL profile selects controls from a catalog: name that catalog with --catalog "
       "CATALOG.json, or load the resolved catalog (NIST publishes one beside each baseline, "
       "*_resolved-profile_catalog.json)"}}},
    /* the reader's JSON paths come back as the lines of the XML elements */
    {"bad-maps.oscal-mapping.xml",
     NULL,
     0,
     "oscal-mapping",
     {{"bad-maps.oscal-mapping.xml:15", "relationship",
       "'kinda-like' is not one of equivalent-to, equal-to, subset-of, superset-of, "
       "intersects-with, no-relationship"},
      {"bad-maps.oscal-mapping.xml:23", "type",
       "'parameter' is not supported (only control and statement)"}}},
    {"bad-syntax.oscal-catalog.xml",
     NULL,
     -1,
     NULL,
     {{"bad-syntax.oscal-catalog.xml:9", "xml",
       "Opening and ending tag mismatch: control line 7 and contrl"}}},
    /* the reader's JSON paths come back as the lines of the XML elements */
    {"bad-ids.oscal-catalog.xml",
     NULL,
     0,
     "oscal-catalog",
     {{"bad-ids.oscal-catalog.xml:11", "title", "missing or empty"},
      {"bad-ids.oscal-catalog.xml:12", "id", "missing"},
      {"bad-ids.oscal-catalog.xml:13", "id", "'ps-1' appears twice in the catalog"}}},
    {"missing-cols.catalog.csv",
     NULL,
     -1,
     NULL,
     {{"missing-cols.catalog.csv:1", "header",
       "a catalog header without description, attributes (expected "
       "id,parent,kind,title,description,attributes,assessable,status, in any order and case)"}}},
    {"semicolons.catalog.csv",
     NULL,
     -1,
     NULL,
     {{"semicolons.catalog.csv:1", "header",
       "the columns are separated by ';': crosswalk reads ',' (save the file as CSV with "
       "commas)"}}},
    {"bad-dupes.grc.yaml",
     NULL,
     0,
     "grc-yaml",
     {{"bad-dupes.grc.yaml:31", "target_requirement_urn",
       "the pair acme-saas-2026/IAM-02 -> iso27001-2022/A.8.5 already appears on line 24, with "
       "other values"}}},
    {"unknown-header.csv",
     NULL,
     -1,
     NULL,
     {{"unknown-header.csv:1", "header",
       "not a crosswalk CSV header (expected the catalogue, crosswalk, evidence or controls "
       "header)"}}},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof bad_cases / sizeof *bad_cases; k++) {
        const bad_case *bc = &bad_cases[k];
        cw_import imp;
        int rc = import(bc->file, bc->org, NULL, 0, &imp);
        size_t n = 0;
        while (n < 12 && bc->problems[n][0])
            n++;
        if (imp.n_problems != n || (rc < 0) != (bc->rc < 0)) {
            fprintf(stderr, "%s: rc %d, %zu problems (expected %zu):\n", bc->file, rc,
                    imp.n_problems, n);
            dump_problems(&imp);
        }
        assert_int_equal(rc < 0, bc->rc < 0);
        assert_int_equal(imp.n_problems, n);
        if (bc->format) {
            assert_non_null(imp.format);
            assert_string_equal(imp.format, bc->format);
        } else {
            assert_null(imp.format);
        }
        for (size_t i = 0; i < n; i++) {
            const char *w = imp.problems[i].where, *slash = strrchr(w, '/');
            assert_string_equal(slash ? slash + 1 : w, bc->problems[i][0]);
            assert_string_equal(imp.problems[i].field, bc->problems[i][1]);
            assert_string_equal(imp.problems[i].msg, bc->problems[i][2]);
        }
        cw_import_free(&imp);
    }
}

/* A mapping-collection as trestle and oscal-content lay them out: the
 * resources are catalog.json files named by their folder, and statement
 * items map their control with the parts kept in the note. */
static void test_trestle_layout_statements(void **state)
{
    (void)state;
    cw_import imp;
    assert_int_equal(import("trestle-layout.oscal-mapping.json", NULL, NULL, 0, &imp), 0);
    dump_problems(&imp);
    assert_int_equal(imp.n_problems, 0);
    assert_string_equal(imp.format, "oscal-mapping");
    json_t *rows = json_object_get(imp.batches[0].params, "mappings");
    assert_int_equal(json_array_size(rows), 2);
    json_t *r0 = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "source_framework")),
                        "nist-800-53-rev5");
    assert_string_equal(json_string_value(json_object_get(r0, "target_framework")), "nist-csf-2.0");
    assert_string_equal(json_string_value(json_object_get(r0, "source")), "ac-2");
    assert_string_equal(json_string_value(json_object_get(r0, "note")),
                        "statement parts: ac-2_smt.a, ac-2_smt.b");
    assert_null(json_object_get(json_array_get(rows, 1), "note"));
    cw_import_free(&imp);
    /* the user's word wins over the file's layout */
    cw_import_opts o = {NULL, NULL, 0, NULL, "nist-800-53-r5", "nist-csf-2.0", NULL};
    assert_int_equal(cw_import_file(sample("trestle-layout.oscal-mapping.json"), &o, &imp), 0);
    assert_int_equal(imp.n_problems, 0);
    rows = json_object_get(imp.batches[0].params, "mappings");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rows, 0), "source_framework")),
        "nist-800-53-r5");
    cw_import_free(&imp);
}

/* What a published collection says beyond the model's fields: the
 * provenance's rationale and score are every map's default, a rationale
 * prop "none" overrides the default, qualifiers go to the note, and what
 * no row can hold (method, status, remarks) is named in a note. */
static void check_qualified(const char *rel)
{
    cw_import imp;
    assert_int_equal(import(rel, NULL, NULL, 0, &imp), 0);
    dump_problems(&imp);
    assert_int_equal(imp.n_problems, 0);
    json_t *rows = json_object_get(imp.batches[0].params, "mappings");
    assert_int_equal(json_array_size(rows), 2);
    json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
    assert_int_equal(json_integer_value(json_object_get(r0, "strength")), 9);
    assert_string_equal(json_string_value(json_object_get(r0, "rationale")), "functional");
    assert_string_equal(json_string_value(json_object_get(r0, "note")),
                        "qualifier: target has-requirement (restricted): only for systems "
                        "holding customer data");
    assert_int_equal(json_integer_value(json_object_get(r1, "strength")), 5);
    assert_null(json_object_get(r1, "rationale"));
    assert_null(json_object_get(r1, "note"));
    assert_int_equal(imp.n_notes, 3);
    assert_string_equal(imp.notes[0].msg,
                        "method automation, status draft: not kept (a crosswalk row has no field "
                        "for them)");
    assert_string_equal(imp.notes[1].msg,
                        "the publisher marks this collection draft: its rows load like any other");
    assert_string_equal(imp.notes[2].msg, "the remarks of 1 map are not kept (a row's note holds "
                                          "its statement parts and qualifiers)");
    cw_import_free(&imp);
}

/* The same collection in XML gives the same batch, through the same reader. */
static void test_provenance_and_qualifiers(void **state)
{
    (void)state;
    check_qualified("qualified.oscal-mapping.json");
    check_qualified("qualified.oscal-mapping.xml");
    cw_import a, b;
    assert_int_equal(import("qualified.oscal-mapping.json", NULL, NULL, 0, &a), 0);
    assert_int_equal(import("qualified.oscal-mapping.xml", NULL, NULL, 0, &b), 0);
    assert_int_equal(a.n_batches, 1);
    assert_int_equal(b.n_batches, 1);
    assert_true(json_equal(a.batches[0].params, b.batches[0].params));
    assert_string_equal(b.format, "oscal-mapping");
    cw_import_free(&a);
    cw_import_free(&b);
}

/* A ref_id repeated inside one framework (URNs are unique there): the
 * second node takes its URN's last segment as id, with a note. */
static void test_repeated_ref_id(void **state)
{
    (void)state;
    cw_import imp;
    import("bad-nodes.grc.yaml", NULL, NULL, 0, &imp);
    assert_int_equal(imp.n_notes, 1);
    assert_string_equal(imp.notes[0].msg, "'HR-1' is also the ref_id of the node on line 16: this "
                                          "node's id is its part of its URN, 'hr-1b'");
    cw_import_free(&imp);
}

/* A mapping library that gives one row twice alike loads, the second
 * dropped with a note (CISO Assistant's libraries do this). */
static void test_identical_rows_dropped(void **state)
{
    (void)state;
    cw_import imp;
    assert_int_equal(import("grc-dupes.yaml", NULL, NULL, 0, &imp), 0);
    dump_problems(&imp);
    assert_int_equal(imp.n_problems, 0);
    assert_int_equal(imp.n_notes, 1);
    assert_string_equal(imp.notes[0].where + strlen(imp.notes[0].where) - 17, "grc-dupes.yaml:27");
    assert_string_equal(imp.notes[0].msg, "the same row as on line 20, dropped");
    assert_int_equal(imp.total_items, 2);
    cw_import_free(&imp);
}

/* A header in another order and case, with an unnamed empty column,
 * reads as the catalogue it is. */
static void test_header_any_order(void **state)
{
    (void)state;
    cw_import imp;
    assert_int_equal(import("any-order.catalog.csv", NULL, NULL, 0, &imp), 0);
    dump_problems(&imp);
    assert_int_equal(imp.n_problems, 0);
    assert_string_equal(imp.format, "csv-catalog");
    json_t *reqs = json_object_get(imp.batches[0].params, "requirements");
    assert_int_equal(json_array_size(reqs), 2);
    json_t *r1 = json_array_get(reqs, 1);
    assert_string_equal(json_string_value(json_object_get(r1, "id")), "AC-2");
    assert_string_equal(json_string_value(json_object_get(r1, "parent")), "AC");
    assert_string_equal(json_string_value(json_object_get(r1, "title")), "Account management");
    assert_string_equal(json_string_value(json_object_get(r1, "description")),
                        "Accounts are reviewed.");
    cw_import_free(&imp);
}

/* A file in another character set loads when the user names it, and its
 * text arrives as UTF-8; an unknown name is a problem, not a guess. */
static void test_named_encoding(void **state)
{
    (void)state;
    cw_import imp;
    cw_import_opts o = {NULL, NULL, 0, "CP1252", NULL, NULL, NULL};
    assert_int_equal(cw_import_file(sample("cp1252.catalog.csv"), &o, &imp), 0);
    dump_problems(&imp);
    assert_int_equal(imp.n_problems, 0);
    assert_string_equal(imp.format, "csv-catalog");
    assert_int_equal(imp.n_batches, 1);
    json_t *reqs = json_object_get(imp.batches[0].params, "requirements");
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "title")),
                        "Contrôle d’accès");
    assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 1), "description")),
                        "Les accès sont revus chaque année.");
    cw_import_free(&imp);
    o.encoding = "no-such-charset";
    assert_true(cw_import_file(sample("cp1252.catalog.csv"), &o, &imp) < 0);
    assert_int_equal(imp.n_problems, 1);
    assert_string_equal(imp.problems[0].field, "encoding");
    assert_string_equal(imp.problems[0].msg,
                        "'no-such-charset' is not a character set iconv knows");
    cw_import_free(&imp);
}

static void test_unreadable(void **state)
{
    (void)state;
    cw_import imp;
    assert_true(import("no-such-file.csv", NULL, NULL, 0, &imp) < 0);
    assert_int_equal(imp.n_problems, 1);
    assert_string_equal(imp.problems[0].field, "file");
    assert_string_equal(imp.problems[0].msg, "cannot read: No such file or directory");
    assert_int_equal(imp.n_batches, 0);
    cw_import_free(&imp);
    cw_import_free(&imp); /* idempotent */
}

/* ---- export -> import round trips ---- */

static json_t *all_rows(const cw_import *imp)
{
    json_t *rows = json_array();
    for (size_t b = 0; b < imp->n_batches; b++)
        json_array_extend(rows, json_object_get(imp->batches[b].params, "mappings"));
    return rows;
}

static void roundtrip(const char *file, size_t rows, int oscal)
{
    cw_import a, b;
    assert_int_equal(import(file, NULL, NULL, 0, &a), 0);
    assert_int_equal(a.n_problems, 0);
    json_t *paths = all_rows(&a);
    char tmp[] = "/tmp/cw-export-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    if (oscal)
        assert_int_equal(cw_export_oscal(f, paths, "acme-isms", "iso27001-2022"), 0);
    else
        assert_int_equal(cw_export_csv(f, paths), 0);
    assert_int_equal(fclose(f), 0);
    cw_import_opts o = {NULL, NULL, 0, NULL, NULL, NULL, NULL};
    int rc = cw_import_file(tmp, &o, &b);
    if (b.n_problems)
        dump_problems(&b);
    assert_int_equal(rc, 0);
    assert_int_equal(b.n_problems, 0);
    assert_string_equal(b.format, oscal ? "oscal-mapping" : "csv-crosswalk");
    json_t *ra = all_rows(&a), *rb = all_rows(&b);
    assert_int_equal(json_array_size(rb), rows);
    if (!json_equal(ra, rb)) {
        char *x = json_dumps(ra, 0), *y = json_dumps(rb, 0);
        fprintf(stderr, "before: %s\nafter:  %s\n", x, y);
        free(x);
        free(y);
    }
    assert_true(json_equal(ra, rb));
    json_decref(ra);
    json_decref(rb);
    json_decref(paths);
    unlink(tmp);
    cw_import_free(&a);
    cw_import_free(&b);
}

static void test_roundtrip_csv(void **state)
{
    (void)state;
    roundtrip("acme-isms__iso27001-2022.crosswalk.csv", 5, 0);
    roundtrip("acme-joint__iso27001-2022.crosswalk.csv", 3, 0);
}

static void test_roundtrip_oscal(void **state)
{
    (void)state;
    roundtrip("acme-isms__iso27001-2022.crosswalk.csv", 5, 1);
    roundtrip("acme-joint__iso27001-2022.crosswalk.csv", 3, 1);
    /* an equal row goes out as equal-to, not as the weaker equivalent-to */
    cw_import a;
    assert_int_equal(import("acme-isms__iso27001-2022.crosswalk.csv", NULL, NULL, 0, &a), 0);
    json_t *paths = all_rows(&a);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(cw_export_oscal(f, paths, "acme-isms", "iso27001-2022"), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"equal-to\""));
    assert_null(strstr(buf, "equivalent-to"));
    free(buf);
    json_decref(paths);
    cw_import_free(&a);
}

static void test_export_filters(void **state)
{
    (void)state;
    cw_import a;
    assert_int_equal(import("acme-isms__iso27001-2022.crosswalk.csv", NULL, NULL, 0, &a), 0);
    json_t *paths = all_rows(&a);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    /* No row goes from iso27001-2022 to acme-isms: an empty collection. */
    assert_int_equal(cw_export_oscal(f, paths, "iso27001-2022", NULL), 0);
    fclose(f);
    json_t *doc = json_loads(buf, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(doc, "mapping-collection"), "mappings")),
        0);
    json_decref(doc);
    free(buf);
    json_t *notarray = json_object();
    assert_int_equal(cw_export_csv(stdout, notarray), -1);
    json_decref(notarray);
    json_decref(paths);
    cw_import_free(&a);
}

/* The shipped data files (frameworks/, next to tests/) are in the same
 * formats: each imports without problems, with the documented counts. */
static void test_shipped_frameworks(void **state)
{
    (void)state;
    char pattern[8192];
    int len = snprintf(pattern, sizeof pattern, "%s/../../../frameworks/*.c*.csv", sample(""));
    assert_true(len > 0 && (size_t)len < sizeof pattern);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) {
        skip();
        return;
    }
    size_t reqs = 0, rows = 0, files = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        cw_import imp;
        int rc = cw_import_file(g.gl_pathv[i], NULL, &imp);
        if (imp.n_problems)
            dump_problems(&imp);
        assert_int_equal(rc, 0);
        assert_int_equal(imp.n_problems, 0);
        if (strcmp(imp.format, "csv-catalog") == 0)
            reqs += imp.total_items;
        else
            rows += imp.total_items;
        files++;
        cw_import_free(&imp);
    }
    globfree(&g);
    assert_int_equal(files, 12);
    assert_int_equal(reqs, 792);
    assert_int_equal(rows, 1580);
}

/* An OSCAL catalog in XML goes through the JSON reader: the XML form of
 * oscal-catalog.json must give exactly its batch. */
static void test_oscal_catalog_xml(void **state)
{
    (void)state;
    cw_import js, xml;
    assert_int_equal(import("oscal-catalog.json", NULL, NULL, 0, &js), 0);
    assert_int_equal(import("oscal-catalog.xml", NULL, NULL, 0, &xml), 0);
    if (xml.n_problems)
        dump_problems(&xml);
    assert_int_equal(xml.n_problems, 0);
    assert_string_equal(xml.format, "oscal-catalog");
    assert_int_equal(xml.n_batches, 1);
    assert_int_equal(js.n_batches, 1);
    assert_string_equal(xml.batches[0].method, js.batches[0].method);
    assert_int_equal(xml.total_items, js.total_items);
    if (!json_equal(params(&xml, 0), params(&js, 0))) {
        char *a = json_dumps(params(&xml, 0), JSON_INDENT(1) | JSON_SORT_KEYS),
             *b = json_dumps(params(&js, 0), JSON_INDENT(1) | JSON_SORT_KEYS);
        fail_msg("XML batch differs:\n%s\nJSON batch:\n%s", a, b);
    }
    cw_import_free(&js);
    cw_import_free(&xml);
}

/* ---- OSCAL profiles resolved against --catalog ---- */

/* Imports the profile sample rel resolved against the catalog sample cat. */
static int import_profile(const char *rel, const char *cat, const char *fw, cw_import *out)
{
    char *cp = strdup(sample(cat)); /* sample() reuses one buffer */
    assert_non_null(cp);
    cw_import_opts o = {NULL, fw, 0, NULL, NULL, NULL, cp};
    int rc = cw_import_file(sample(rel), &o, out);
    free(cp);
    return rc;
}

/* Asserts the requirement ids of a catalog.load batch, in order. */
static void expect_ids(cw_import *imp, const char *const *ids, size_t n)
{
    json_t *reqs = json_object_get(params(imp, 0), "requirements");
    assert_int_equal(json_array_size(reqs), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(s_of(json_array_get(reqs, i), "id"), ids[i]);
}

static void test_profile_resolved(void **state)
{
    (void)state;
    cw_import imp;
    int rc = import_profile("low-baseline.oscal-profile.json", "oscal-catalog.json", NULL, &imp);
    dump_problems(&imp);
    assert_int_equal(rc, 0);
    assert_int_equal(imp.n_problems, 0);
    assert_string_equal(imp.format, "oscal-profile");
    assert_int_equal(imp.n_batches, 1);
    assert_string_equal(imp.batches[0].method, "catalog.load");
    /* ac-2 with its children, less the excluded ac-2.2; lg-* by pattern;
     * the groups of what is in */
    static const char *const ids[] = {"ac", "ac-1", "ac-2", "ac-2.1", "lg", "lg-1"};
    expect_ids(&imp, ids, 6);
    expect_str(params(&imp, 0), "framework", "acme-cloud-low-baseline", "name",
               "Acme Cloud Low Baseline", "version", "1.0", NULL);
    expect_str(item(&imp, 0, "requirements", 3), "parent", "ac-2", NULL);
    /* merge and modify are reported, not applied, and do not block */
    assert_int_equal(imp.n_notes, 2);
    assert_string_equal(imp.notes[0].field, "merge");
    assert_string_equal(imp.notes[1].field, "set-parameters");
    assert_non_null(strstr(imp.notes[1].msg, "not applied"));
    cw_import_free(&imp);
    /* --framework wins over the profile's title */
    assert_int_equal(
        import_profile("low-baseline.oscal-profile.json", "oscal-catalog.json", "acme-low", &imp),
        0);
    expect_str(params(&imp, 0), "framework", "acme-low", NULL);
    cw_import_free(&imp);
}

/* An enhancement alone brings its base control (noted) and its group. */
static void test_profile_parent_kept(void **state)
{
    (void)state;
    cw_import imp;
    int rc = import_profile("enhancement.oscal-profile.json", "oscal-catalog.json", NULL, &imp);
    dump_problems(&imp);
    assert_int_equal(rc, 0);
    assert_int_equal(imp.n_problems, 0);
    static const char *const ids[] = {"ac", "ac-2", "ac-2.1"};
    expect_ids(&imp, ids, 3);
    assert_int_equal(imp.n_notes, 2);
    const char *w = strrchr(imp.notes[0].where, '/');
    assert_string_equal(w ? w + 1 : imp.notes[0].where,
                        "enhancement.oscal-profile.json:$.profile.imports[0].include-controls[1]."
                        "matching[0]");
    assert_string_equal(imp.notes[0].msg, "'xx-*' matches no control of oscal-catalog.json");
    assert_string_equal(imp.notes[1].msg, "ac-2 is loaded as the control ac-2.1 is nested in, "
                                          "though the profile does not select it");
    cw_import_free(&imp);
}

static void test_profile_problems(void **state)
{
    (void)state;
    static const char *const want[][3] = {
        {"bad-ids.oscal-profile.json:$.profile.imports[0].include-controls[0].with-ids[1]",
         "with-ids", "'ac-9' is not a control of oscal-catalog.json"},
        {"bad-ids.oscal-profile.json:$.profile.imports[0].exclude-controls[0].with-ids[0]",
         "with-ids", "'zz-1' is not a control of oscal-catalog.json"},
        {"bad-ids.oscal-profile.json:$.profile.imports[1].href", "href",
         "'other-catalog.json' is not the catalog given (--catalog oscal-catalog.json): only a "
         "profile of that one catalog is resolved here"},
    };
    cw_import imp;
    int rc = import_profile("bad-ids.oscal-profile.json", "oscal-catalog.json", NULL, &imp);
    if (imp.n_problems != 3)
        dump_problems(&imp);
    assert_int_equal(rc, 0);
    assert_int_equal(imp.n_problems, 3);
    assert_int_equal(imp.n_batches, 0);
    for (size_t i = 0; i < 3; i++) {
        const char *w = imp.problems[i].where, *slash = strrchr(w, '/');
        assert_string_equal(slash ? slash + 1 : w, want[i][0]);
        assert_string_equal(imp.problems[i].field, want[i][1]);
        assert_string_equal(imp.problems[i].msg, want[i][2]);
    }
    cw_import_free(&imp);
    /* without --catalog the profile is refused, saying how to give it */
    assert_true(import("low-baseline.oscal-profile.json", NULL, NULL, 0, &imp) < 0);
    assert_int_equal(imp.n_problems, 1);
    assert_null(imp.format);
    assert_non_null(strstr(imp.problems[0].msg, "--catalog CATALOG.json"));
    cw_import_free(&imp);
    /* a catalog that is not one is named as such */
    rc = import_profile("low-baseline.oscal-profile.json", "oscal-mapping.json", NULL, &imp);
    assert_true(rc < 0);
    assert_int_equal(imp.n_problems, 1);
    assert_string_equal(imp.problems[0].field, "catalog");
    cw_import_free(&imp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CLEAN_SAMPLE(test_csv_catalog, "acme-isms.catalog.csv", NULL, 0, "csv-catalog", 1, 6),
        CLEAN_SAMPLE(test_csv_crosswalk, "acme-isms__iso27001-2022.crosswalk.csv", NULL, 3,
                     "csv-crosswalk", 2, 5),
        CLEAN_SAMPLE(test_csv_evidence, "evidence.csv", "acme", 0, "csv-evidence", 1, 4),
        CLEAN_SAMPLE(test_csv_controls, "controls.csv", "acme", 0, "csv-controls", 1, 5),
        CLEAN_SAMPLE(test_oscal_catalog, "oscal-catalog.json", NULL, 0, "oscal-catalog", 1, 7),
        CLEAN_SAMPLE(test_oscal_mapping, "oscal-mapping.json", NULL, 0, "oscal-mapping", 1, 8),
        CLEAN_SAMPLE(test_grc_framework, "grc-framework.yaml", NULL, 0, "grc-yaml", 1, 5),
        CLEAN_SAMPLE(test_grc_mapping, "grc-mapping.yaml", NULL, 0, "grc-yaml", 1, 5),
        CLEAN_SAMPLE(test_grc_combined, "grc-combined.yaml", NULL, 0, "grc-yaml", 2, 5),
        CLEAN_SAMPLE(test_csv_flags, "acme-ctl.catalog.csv", NULL, 0, "csv-catalog", 1, 6),
        CLEAN_SAMPLE(test_csv_joint_rows, "acme-joint__iso27001-2022.crosswalk.csv", NULL, 0,
                     "csv-crosswalk", 1, 3),
        cmocka_unit_test(test_slugify),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_named_encoding),
        cmocka_unit_test(test_header_any_order),
        cmocka_unit_test(test_identical_rows_dropped),
        cmocka_unit_test(test_repeated_ref_id),
        cmocka_unit_test(test_trestle_layout_statements),
        cmocka_unit_test(test_provenance_and_qualifiers),
        cmocka_unit_test(test_roundtrip_csv),
        cmocka_unit_test(test_roundtrip_oscal),
        cmocka_unit_test(test_export_filters),
        cmocka_unit_test(test_shipped_frameworks),
        cmocka_unit_test(test_oscal_catalog_xml),
        cmocka_unit_test(test_profile_resolved),
        cmocka_unit_test(test_profile_parent_kept),
        cmocka_unit_test(test_profile_problems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
