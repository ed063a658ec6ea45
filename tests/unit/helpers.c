/* Fixtures for the unit tests; see helpers.h. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

tdb *t_open(size_t map_size, size_t map_max)
{
    return t_open_delta(map_size, map_max, 0);
}

tdb *t_open_delta(size_t map_size, size_t map_max, size_t index_delta_min)
{
    cw_db_options o = {.map_size = map_size,
                       .map_size_max = map_max,
                       .no_sync = true,
                       .index_delta_min = index_delta_min};
    return t_open_opts(&o);
}

tdb *t_open_opts(cw_db_options *o)
{
    tdb *t = calloc(1, sizeof *t);
    assert_non_null(t);
    strcpy(t->dir, "/tmp/cwtest.XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    o->path = t->dir;
    cw_err err = {0};
    int rc = cw_db_open(o, &t->db, &err);
    if (rc)
        fail_msg("open %s: %s", t->dir, err.msg);
    return t;
}

void t_close(tdb *t)
{
    if (!t)
        return;
    cw_db_close(t->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", t->dir);
    free(t);
}

int t_setup(void **state)
{
    *state = t_open(0, 0);
    return 0;
}

int t_teardown(void **state)
{
    t_close(*state);
    return 0;
}

cw_db *t_db(void **state)
{
    return ((tdb *)*state)->db;
}

void t_catalog(cw_db *db, const char *slug, const char *spec)
{
    char *copy = strdup(spec);
    cw_requirement reqs[512];
    size_t n = 0;
    for (char *save, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *bang = strchr(tok, '!');
        if (bang)
            *bang = '\0';
        char *colon = strchr(tok, ':');
        if (colon)
            *colon = '\0';
        reqs[n] = (cw_requirement){.id = tok,
                                   .parent = colon ? colon + 1 : NULL,
                                   .kind = colon ? "control" : "group",
                                   .title = tok};
        for (const char *f = bang ? bang + 1 : ""; *f; f++) {
            if (*f == 'a')
                reqs[n].assess = CW_ASSESS_YES;
            else if (*f == 'n')
                reqs[n].assess = CW_ASSESS_NO;
            else if (*f == 'w')
                reqs[n].withdrawn = true;
        }
        n++;
    }
    cw_framework fw = {slug, slug, "1", "test", "none"};
    cw_err err = {0};
    int rc = cw_catalog_load(db, NULL, &fw, reqs, n, false, NULL, &err);
    if (rc)
        fail_msg("catalog %s: %s", slug, err.msg);
    free(copy);
}

static void split_ref(const char *s, char *fw, char *id)
{
    const char *slash = strchr(s, '/');
    size_t fl = (size_t)(slash - s);
    memcpy(fw, s, fl);
    fw[fl] = '\0';
    strcpy(id, slash + 1);
}

int t_map(cw_db *db, const char *src, const char *rel, const char *dst)
{
    char sf[80], si[160], tf[80], ti[160];
    split_ref(src, sf, si);
    split_ref(dst, tf, ti);
    cw_mapping m = {
        .source_fw = sf, .source_id = si, .target_fw = tf, .target_id = ti, .origin = "test"};
    if (cw_rel_parse(rel, &m.rel))
        m.rel = (cw_rel)99;
    return cw_mapping_load(db, NULL, &m, 1, NULL, NULL);
}

void t_maps(cw_db *db, const char *rows)
{
    char *copy = strdup(rows);
    for (char *save, *row = strtok_r(copy, "\n", &save); row; row = strtok_r(NULL, "\n", &save)) {
        char src[160], rel[40], dst[160];
        if (sscanf(row, "%159s %39s %159s", src, rel, dst) != 3)
            fail_msg("not a row \"fw/id REL fw/id\": %s", row);
        int rc = t_map(db, src, rel, dst);
        if (rc)
            fail_msg("row %s: rc %d", row, rc);
    }
    free(copy);
}

cw_mapping t_row(const char *sfw, const char *sid, const char *tfw, const char *tid, cw_rel rel,
                 int strength, const char *rationale, const char *origin)
{
    return (cw_mapping){.source_fw = sfw,
                        .source_id = sid,
                        .target_fw = tfw,
                        .target_id = tid,
                        .rel = rel,
                        .strength = strength,
                        .rationale = rationale,
                        .origin = origin};
}

int t_joint(cw_db *db, const char *srcs, const char *rel, const char *dst, cw_err *err)
{
    char *copy = strdup(srcs);
    char sf[80] = "", tf[80], ti[160];
    const char *ids[CW_MAX_JOINT + 2];
    char idbuf[CW_MAX_JOINT + 2][160];
    size_t n = 0;
    for (char *save, *tok = strtok_r(copy, " ", &save); tok && n < CW_MAX_JOINT + 2;
         tok = strtok_r(NULL, " ", &save)) {
        split_ref(tok, sf, idbuf[n]);
        ids[n] = idbuf[n];
        n++;
    }
    free(copy);
    split_ref(dst, tf, ti);
    cw_mapping m = {.source_fw = sf,
                    .target_fw = tf,
                    .target_id = ti,
                    .origin = "test",
                    .source_ids = ids,
                    .n_sources = n};
    if (cw_rel_parse(rel, &m.rel))
        m.rel = (cw_rel)99;
    return cw_mapping_load(db, NULL, &m, 1, NULL, err);
}

void t_org(cw_db *db, const char *org)
{
    cw_org o = {org, org, 0};
    assert_int_equal(cw_org_put(db, NULL, &o, NULL, NULL), 0);
}

void t_world(cw_db *db, const char *catalogs, const char *org, const char *rows)
{
    char *copy = strdup(catalogs);
    for (char *save, *cat = strtok_r(copy, ";", &save); cat; cat = strtok_r(NULL, ";", &save)) {
        cat += strspn(cat, " ");
        char *colon = strstr(cat, ": ");
        if (!colon)
            fail_msg("not a catalogue \"slug: spec\": %s", cat);
        *colon = '\0';
        t_catalog(db, cat, colon + 2);
    }
    free(copy);
    t_org(db, org);
    if (rows)
        t_maps(db, rows);
}

int t_setup_world(void **state)
{
    const t_scenario *sc = *state;
    t_setup(state);
    t_world(t_db(state), sc->catalogs, sc->org, sc->rows);
    return 0;
}

int t_control(cw_db *db, const char *org, const char *id, cw_ctl_status st, const char *links)
{
    char *copy = strdup(links ? links : "");
    cw_link ls[64];
    char fws[64][80], ids[64][160];
    size_t n = 0;
    for (char *save, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *colon = strrchr(tok, ':');
        *colon = '\0';
        split_ref(tok, fws[n], ids[n]);
        ls[n] = (cw_link){fws[n], ids[n],
                          strcmp(colon + 1, "full") == 0 ? CW_LEVEL_FULL : CW_LEVEL_PARTIAL};
        n++;
    }
    cw_control c = {org, id, id, "owner", st, ls, n};
    int rc = cw_control_put(db, NULL, &c, 1, NULL, NULL);
    free(copy);
    return rc;
}

int t_evidence(cw_db *db, const char *org, const char *id, const char *controls, cw_time collected,
               cw_time valid_until, cw_result res)
{
    char *copy = strdup(controls);
    const char *cs[32];
    size_t n = 0;
    for (char *save, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        cs[n++] = tok;
    cw_evidence e = {.org = org,
                     .id = id,
                     .controls = cs,
                     .n_controls = n,
                     .kind = "test",
                     .title = id,
                     .collected_at = collected,
                     .has_valid_until = valid_until >= 0,
                     .valid_until = valid_until,
                     .result = res};
    int rc = cw_evidence_put(db, NULL, &e, 1, NULL, NULL);
    free(copy);
    return rc;
}

void t_backed(cw_db *db, const char *org, const char *id, const char *links, cw_result res)
{
    assert_int_equal(t_control(db, org, id, CW_CTL_IMPLEMENTED, links), 0);
    char ev[64];
    snprintf(ev, sizeof ev, "ev-%s", id);
    assert_int_equal(t_evidence(db, org, ev, id, 10, -1, res), 0);
}

void t_implemented(cw_db *db, const char *org, const char *id, const char *links, int evidence)
{
    if (evidence)
        t_backed(db, org, id, links, evidence > 0 ? CW_RESULT_PASS : CW_RESULT_FAIL);
    else
        assert_int_equal(t_control(db, org, id, CW_CTL_IMPLEMENTED, links), 0);
}

void t_effective(cw_db *db, const char *org, const char *id, const char *links)
{
    t_backed(db, org, id, links, CW_RESULT_PASS);
}

void t_consistent(cw_db *db)
{
    size_t problems;
    cw_err err = {0};
    assert_int_equal(cw_db_check(db, &problems, &err), 0);
    if (problems)
        print_error("store check: %s\n", err.msg);
    assert_int_equal(problems, 0);
}

const cw_req_status *t_req(const cw_coverage *c, const char *id)
{
    for (size_t i = 0; i < c->n_reqs; i++)
        if (strcmp(c->reqs[i].id, id) == 0)
            return &c->reqs[i];
    fail_msg("no leaf %s in coverage of %s", id, c->framework);
    return NULL;
}

cw_status t_status(const cw_coverage *c, const char *id)
{
    return t_req(c, id)->status;
}

cw_coverage t_coverage(cw_db *db, const cw_coverage_query *q, cw_arena *a)
{
    cw_coverage c;
    cw_err err = {0};
    if (cw_coverage_get(db, q, a, &c, &err))
        fail_msg("coverage of %s for %s: %s", q->framework, q->org, err.msg);
    return c;
}

cw_coverage t_cov(cw_db *db, const char *org, const char *fw, cw_time t, int hops, cw_arena *a)
{
    cw_coverage_query q = {org, fw, t, hops, true, false};
    return t_coverage(db, &q, a);
}

cw_status t_cov1(cw_db *db, const char *org, const char *fw, const char *id, cw_time t, int hops)
{
    cw_arena *a = cw_arena_new();
    cw_coverage c = t_cov(db, org, fw, t, hops, a);
    cw_status s = t_status(&c, id);
    cw_arena_free(a);
    return s;
}

void t_statuses(cw_db *db, const char *org, const char *fw, cw_time t, int hops, const char *want)
{
    cw_arena *a = cw_arena_new();
    cw_coverage c = t_cov(db, org, fw, t, hops, a);
    char *copy = strdup(want);
    char wrong[1024] = "";
    size_t len = 0;
    for (char *save, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            fail_msg("not \"id=status\": %s", tok);
        *eq = '\0';
        const char *got = cw_status_name(t_status(&c, tok));
        if (strcmp(got, eq + 1) != 0 && len < sizeof wrong)
            len += (size_t)snprintf(wrong + len, sizeof wrong - len, " %s is %s, want %s;", tok,
                                    got, eq + 1);
    }
    free(copy);
    cw_arena_free(a);
    if (len)
        fail_msg("%s for %s at %d hops:%s", fw, org, hops, wrong);
}

cw_gap_report t_gaps(cw_db *db, const cw_gap_query *q, cw_arena *a)
{
    cw_gap_report r;
    cw_err err = {0};
    if (cw_gap_report_get(db, q, a, &r, &err))
        fail_msg("gap report: %s", err.msg);
    return r;
}

const char *t_plan(const cw_gap_report *r)
{
    static char text[4096];
    size_t len = 0;
    text[0] = '\0';
    for (size_t i = 0; i < r->n_plan && len < sizeof text; i++) {
        const cw_plan_step *p = &r->plan[i];
        /* the text shows adds; ref is documented to be the first of them */
        if (!p->n_adds || strcmp(p->ref.framework, p->adds[0].framework) != 0 ||
            strcmp(p->ref.id, p->adds[0].id) != 0)
            fail_msg("plan step %zu: ref %s/%s is not its first add", i, p->ref.framework,
                     p->ref.id);
        for (size_t k = 0; k < p->n_adds && len < sizeof text; k++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s/%s",
                                    k   ? "+"
                                    : i ? " "
                                        : "",
                                    p->adds[k].framework, p->adds[k].id);
        for (size_t k = 0; k < p->n_closes && len < sizeof text; k++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", k ? "," : ">",
                                    p->closes[k]);
    }
    return text;
}

const char *t_gap_plan(cw_db *db, const cw_gap_query *q)
{
    cw_arena *a = cw_arena_new();
    cw_gap_report r = t_gaps(db, q, a);
    const char *text = t_plan(&r);
    cw_arena_free(a);
    return text;
}
