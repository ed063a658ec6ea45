/* Coverage, gap report, framework comparison and Statement of
 * Applicability: the normative rules of SPEC §3 applied over the shared
 * catalogue graph and one read transaction for the organisation's controls,
 * evidence and scope.  One routine (collect) walks every control link,
 * group expansion and crosswalk path once and records contributions per
 * target leaf; each query shapes its answer from that. */
#include "crosswalk/org.h"
#include "crosswalk/query.h"

#include "graph.h"
#include "orgsnap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPARE_PATHS_KEPT 16

const char *cw_via_name(cw_via v)
{
    switch (v) {
    case CW_VIA_DIRECT: return "direct";
    case CW_VIA_GROUP: return "group";
    default: return "mapping";
    }
}

/* Status a single (level, state) pair gives; -1 when it gives nothing. */
static int contrib_rank(cw_level level, cw_ctl_state state)
{
    switch (state) {
    case CW_STATE_EFFECTIVE: return level == CW_LEVEL_FULL ? CW_ST_MET : CW_ST_PARTIAL;
    case CW_STATE_UNVERIFIED: return CW_ST_UNVERIFIED;
    case CW_STATE_FAILING: return CW_ST_FAILING;
    default: return -1;
    }
}

typedef struct leaf_acc {
    int best; /* best rank so far, -1 none */
    cw_contribution *c;
    size_t n, cap;
    size_t best_idx;
} leaf_acc;

typedef struct run {
    const graph *g;
    cw_arena *a;
    uint32_t fw;
    int hops;
    bool detail;
    int32_t *pos; /* node -> leaf position, -1 if not a target leaf */
    uint32_t *leaves;
    size_t n_leaves;
    leaf_acc *acc;
    /* the control and link being walked */
    const cw_control *ctl;
    const cw_control_state *st;
    const cw_link *link;
    int err;
} run;

static void add(run *r, uint32_t leaf, cw_level level, cw_via via, const cw_path *path,
                const char *group)
{
    leaf_acc *la = &r->acc[r->pos[leaf]];
    int rank = contrib_rank(level, r->st->state);
    bool better = rank > la->best;
    if (better)
        la->best = rank;
    if (!r->detail)
        return;
    cw_contribution *arr = cw_arena_grow(r->a, la->c, sizeof *arr, &la->cap, la->n + 1);
    if (!arr) {
        r->err = CW_ENOMEM;
        return;
    }
    la->c = arr;
    if (better)
        la->best_idx = la->n;
    arr[la->n++] = (cw_contribution){
        .control = r->ctl->id,
        .state = r->st->state,
        .level = level,
        .via = via,
        .link = *r->link,
        .path = path,
        .reached_group = group,
        .evidence = r->st->evidence,
        .n_evidence = r->st->n_evidence,
        .stale = r->st->stale,
    };
}

static void add_group(run *r, uint32_t node, cw_level level, cw_via via, const cw_path *path,
                      bool is_end_group)
{
    uint32_t *lv = NULL;
    size_t n = 0, cap = 0;
    if (graph_leaves(r->g, node, r->a, &lv, &n, &cap)) {
        r->err = CW_ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (r->pos[lv[i]] >= 0)
            add(r, lv[i], level, via, path, is_end_group ? r->g->nodes[node].id : NULL);
}

static int cov_cb(void *ctx, const uint32_t *nodes, const g_edge *const *edges, size_t hops,
                  cw_rel composed)
{
    run *r = ctx;
    uint32_t y = nodes[hops];
    const g_node *ny = &r->g->nodes[y];
    if (ny->fw != r->fw)
        return 0;
    cw_level level = cw_rel_level(composed);
    if (level == CW_LEVEL_NONE || (!ny->leaf && level != CW_LEVEL_FULL))
        return 0;
    const cw_path *p = NULL;
    if (r->detail && !(p = graph_path(r->g, r->a, nodes, edges, hops, composed)))
        return CW_ENOMEM;
    if (ny->leaf)
        add(r, y, level, CW_VIA_MAPPING, p, NULL);
    else
        add_group(r, y, level, CW_VIA_MAPPING, p, true);
    return r->err;
}

/* Walks one control's links: direct, group and crosswalk contributions. */
static int collect_control(run *r, const cw_control *c, const cw_control_state *st)
{
    r->ctl = c;
    r->st = st;
    for (size_t i = 0; i < c->n_links && !r->err; i++) {
        const cw_link *l = &c->links[i];
        r->link = l;
        uint32_t x;
        if (!l->framework || !l->id || !graph_find(r->g, l->framework, l->id, &x))
            continue; /* a link to a deleted catalogue counts for nothing */
        const g_node *nx = &r->g->nodes[x];
        if (nx->fw == r->fw) {
            if (nx->leaf)
                add(r, x, l->level, CW_VIA_DIRECT, NULL, NULL);
            else if (l->level == CW_LEVEL_FULL)
                add_group(r, x, CW_LEVEL_FULL, CW_VIA_GROUP, NULL, false);
        }
        if (l->level != CW_LEVEL_FULL || r->hops < 1)
            continue;
        int rc = graph_walk(r->g, x, r->hops, false, cov_cb, r);
        if (!rc && !nx->leaf) {
            uint32_t *lv = NULL;
            size_t n = 0, cap = 0;
            if (graph_leaves(r->g, x, r->a, &lv, &n, &cap))
                return CW_ENOMEM;
            for (size_t j = 0; j < n && !rc; j++)
                rc = graph_walk(r->g, lv[j], r->hops, false, cov_cb, r);
        }
        if (rc)
            return rc;
    }
    return r->err;
}

/* Roots of framework fw in publisher order. */
static int fw_roots(const graph *g, uint32_t fw, cw_arena *a, uint32_t **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (g->nodes[i].fw != fw || g->nodes[i].parent != G_NONE)
            continue;
        uint32_t *arr = cw_arena_grow(a, *out, sizeof *arr, &cap, *n + 1);
        if (!arr)
            return CW_ENOMEM;
        *out = arr;
        size_t j = (*n)++;
        /* insertion by (seq, id) */
        while (j > 0 && (g->nodes[arr[j - 1]].seq > g->nodes[i].seq ||
                         (g->nodes[arr[j - 1]].seq == g->nodes[i].seq &&
                          cw_id_cmp(g->nodes[arr[j - 1]].id, g->nodes[i].id) > 0))) {
            arr[j] = arr[j - 1];
            j--;
        }
        arr[j] = (uint32_t)i;
    }
    return 0;
}

static int run_init(run *r, const graph *g, cw_arena *a, uint32_t fw, int hops, bool detail)
{
    memset(r, 0, sizeof *r);
    r->g = g;
    r->a = a;
    r->fw = fw;
    r->hops = hops;
    r->detail = detail;
    r->pos = cw_arena_alloc(a, (g->n + 1) * sizeof *r->pos);
    if (!r->pos)
        return CW_ENOMEM;
    for (size_t i = 0; i < g->n; i++)
        r->pos[i] = -1;
    uint32_t *roots;
    size_t nr, cap = 0;
    if (fw_roots(g, fw, a, &roots, &nr))
        return CW_ENOMEM;
    for (size_t i = 0; i < nr; i++)
        if (graph_leaves(g, roots[i], a, &r->leaves, &r->n_leaves, &cap))
            return CW_ENOMEM;
    r->acc = cw_arena_alloc(a, (r->n_leaves + 1) * sizeof *r->acc);
    if (!r->acc)
        return CW_ENOMEM;
    for (size_t i = 0; i < r->n_leaves; i++) {
        r->pos[r->leaves[i]] = (int32_t)i;
        r->acc[i].best = -1;
    }
    return 0;
}

static int check_hops(int given, int dflt, int *out, cw_err *err)
{
    *out = given ? given : dflt;
    if (*out < 1 || *out > CW_MAX_HOPS)
        return cw_err_set(err, CW_ERANGE, "max_hops: %d is outside 1..%d", given, CW_MAX_HOPS);
    return 0;
}

/* Everything one organisation-level query needs, loaded in one snapshot. */
typedef struct org_snapshot {
    const char *org;
    const cw_control *ctls;
    size_t n_ctls;
    const cw_control_state *st; /* per control; INACTIVE unless implemented */
    cw_scope *scope;
    size_t n_scope;
} org_snapshot;

static int load_org(cw_db *db, MDB_txn *txn, const char *org, cw_arena *a, cw_time t,
                    org_snapshot *s, org_snap **snap, cw_err *err)
{
    memset(s, 0, sizeof *s);
    if (org_exists(txn, db, org))
        return cw_err_set(err, CW_ENOORG, "org: no organisation '%s'", org);
    int rc = orgsnap_acquire(db, txn, org, t, a, snap, err);
    if (rc)
        return rc;
    s->org = (*snap)->org;
    s->ctls = (*snap)->ctls;
    s->n_ctls = (*snap)->n_ctls;
    s->st = (*snap)->st;
    return 0;
}

/* Shared start of the organisation queries: validates, opens the snapshot,
 * takes the graph and loads the organisation. */
typedef struct qctx {
    cw_db *db;
    MDB_txn *txn;
    graph *g;
    uint32_t fw;
    org_snap *snap;
    org_snapshot os;
} qctx;

static int qctx_open(qctx *q, cw_db *db, const char *org, const char *fw, const char *fw_field,
                     cw_time t, cw_arena *a, cw_err *err)
{
    memset(q, 0, sizeof *q);
    q->db = db;
    int rc;
    if ((org && (rc = check_name("org", org, CW_MAX_SLUG, err))) ||
        (rc = check_name(fw_field, fw, CW_MAX_SLUG, err)))
        return rc;
    if ((rc = read_begin(db, &q->txn, err)))
        return rc;
    if ((rc = graph_acquire(db, q->txn, &q->g, err)))
        goto fail;
    /* The answer points into the graph: keep it alive with the arena. */
    if (graph_hold(q->g, a)) {
        rc = cw_err_set(err, CW_ENOMEM, "query: out of memory");
        goto fail;
    }
    if ((q->fw = graph_fw(q->g, fw)) == G_NONE) {
        rc = cw_err_set(err, CW_ENOFW, "%s: no framework '%s'", fw_field, fw);
        goto fail;
    }
    if (org && (rc = load_org(db, q->txn, org, a, t, &q->os, &q->snap, err)))
        goto fail;
    return 0;
fail:
    if (q->g)
        graph_release(db, q->g);
    read_end(db, q->txn);
    q->txn = NULL;
    q->g = NULL;
    return rc;
}

static void qctx_close(qctx *q)
{
    if (q->g)
        graph_release(q->db, q->g);
    if (q->txn)
        read_end(q->db, q->txn);
}

typedef int (*compute_fn)(qctx *qc, const void *query, cw_arena *w, void *out);

/* Answers an organisation query from the snapshot's memo, or computes it
 * into an arena of its own (which also receives the scope decisions it
 * reads, and holds the graph it points into) and offers it to the memo.
 * The answer is copied shallowly into out, size bytes; the caller fills in
 * the fields that echo the query (org, as_of, ...). */
static int memo_answer(qctx *qc, const char *key, compute_fn fn, const void *query,
                       size_t size, cw_arena *a, void *out, uint64_t *id)
{
    const void *m = orgsnap_memo_get(qc->snap, qc->g->gen, key, id);
    if (m) {
        memcpy(out, m, size);
        return 0;
    }
    cw_arena *w = cw_arena_new();
    if (!w || graph_hold(qc->g, w)) {
        cw_arena_free(w);
        return CW_ENOMEM;
    }
    void *res = cw_arena_alloc(w, size);
    int rc = res ? scopes_of(qc->txn, qc->db, qc->os.org, qc->g->fws[qc->fw], w, &qc->os.scope,
                             &qc->os.n_scope)
                 : CW_ENOMEM;
    if (!rc)
        rc = fn(qc, query, w, res);
    if (rc) {
        cw_arena_free(w);
        return rc;
    }
    memcpy(out, res, size);
    return orgsnap_memo_put(qc->snap, qc->g->gen, key, w, res, a, id);
}

/* Runs every control (inactive ones too when with_inactive, for the gap
 * report's planned candidates) through collect. */
static int collect_all(run *r, const org_snapshot *os, bool with_inactive)
{
    for (size_t i = 0; i < os->n_ctls; i++) {
        if (os->ctls[i].status != CW_CTL_IMPLEMENTED && !with_inactive)
            continue;
        int rc = collect_control(r, &os->ctls[i], &os->st[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static const cw_scope *scope_for(const org_snapshot *os, const char *id)
{
    for (size_t i = 0; i < os->n_scope; i++)
        if (strcmp(os->scope[i].id, id) == 0)
            return &os->scope[i];
    return NULL;
}

/* Fills a cw_coverage from a finished run. */
static int shape_coverage(const run *r, const org_snapshot *os, cw_arena *a, cw_coverage *out)
{
    const graph *g = r->g;
    out->assessable = r->n_leaves;
    out->n_reqs = r->n_leaves;
    out->reqs = cw_arena_alloc(a, (r->n_leaves + 1) * sizeof *out->reqs);
    uint32_t *roots;
    size_t nr;
    if (!out->reqs || fw_roots(g, r->fw, a, &roots, &nr))
        return CW_ENOMEM;
    out->groups = cw_arena_alloc(a, (nr + 1) * sizeof *out->groups);
    if (!out->groups)
        return CW_ENOMEM;
    out->n_groups = nr;
    for (size_t i = 0; i < nr; i++) {
        out->groups[i].id = g->nodes[roots[i]].id;
        out->groups[i].title = g->nodes[roots[i]].title;
    }
    for (size_t i = 0; i < r->n_leaves; i++) {
        uint32_t node = r->leaves[i];
        const g_node *n = &g->nodes[node];
        cw_req_status *rs = &out->reqs[i];
        const leaf_acc *la = &r->acc[i];
        uint32_t root = graph_root(g, node);
        rs->id = n->id;
        rs->title = n->title;
        rs->group = g->nodes[root].id;
        rs->status = la->best < 0 ? CW_ST_GAP : (cw_status)la->best;
        rs->contribs = la->c;
        rs->n_contribs = la->n;
        rs->best = la->best_idx;
        const cw_scope *sc = os ? scope_for(os, n->id) : NULL;
        if (sc) {
            rs->justification = sc->justification;
            if (!sc->applicable)
                rs->status = CW_ST_NOT_APPLICABLE;
        }
        out->counts[rs->status]++;
        for (size_t j = 0; j < nr; j++)
            if (roots[j] == root) {
                out->groups[j].counts[rs->status]++;
                out->groups[j].assessable++;
            }
    }
    size_t denom = out->assessable - out->counts[CW_ST_NOT_APPLICABLE];
    out->percent = denom ? 100.0 * (double)out->counts[CW_ST_MET] / (double)denom : 0.0;
    for (size_t j = 0; j < nr; j++) {
        cw_group_summary *gs = &out->groups[j];
        size_t d = gs->assessable - gs->counts[CW_ST_NOT_APPLICABLE];
        gs->percent = d ? 100.0 * (double)gs->counts[CW_ST_MET] / (double)d : 0.0;
    }
    /* Partial links to groups count for no leaf but are listed. */
    for (size_t i = 0; os && i < os->n_ctls; i++) {
        const cw_control *c = &os->ctls[i];
        if (c->status != CW_CTL_IMPLEMENTED)
            continue;
        for (size_t k = 0; k < c->n_links; k++) {
            uint32_t x;
            if (c->links[k].level != CW_LEVEL_PARTIAL || !c->links[k].framework ||
                !graph_find(g, c->links[k].framework, c->links[k].id, &x) ||
                g->nodes[x].fw != r->fw || g->nodes[x].leaf)
                continue;
            uint32_t root = graph_root(g, x);
            for (size_t j = 0; j < nr; j++) {
                if (roots[j] != root)
                    continue;
                cw_group_summary *gs = &out->groups[j];
                const char **arr = cw_arena_alloc(a, (gs->n_partial_links + 1) * sizeof *arr);
                if (!arr)
                    return CW_ENOMEM;
                if (gs->n_partial_links)
                    memcpy(arr, gs->partial_links, gs->n_partial_links * sizeof *arr);
                char buf[CW_MAX_ID * 2 + 8];
                snprintf(buf, sizeof buf, "%s -> %s", c->id, c->links[k].id);
                arr[gs->n_partial_links++] = cw_arena_strdup(a, buf);
                gs->partial_links = arr;
            }
        }
    }
    return 0;
}

struct cov_args {
    const cw_coverage_query *q;
    int hops;
};

static int coverage_compute(qctx *qc, const void *query, cw_arena *a, void *res)
{
    const struct cov_args *ca = query;
    cw_coverage *out = res;
    run r;
    int rc;
    if ((rc = run_init(&r, qc->g, a, qc->fw, ca->hops, ca->q->detail)) ||
        (rc = collect_all(&r, &qc->os, false)) || (rc = shape_coverage(&r, &qc->os, a, out)))
        return rc;
    out->framework = qc->g->fws[qc->fw];
    out->max_hops = ca->hops;
    return 0;
}

int cw_coverage_get(cw_db *db, const cw_coverage_query *q, cw_arena *a, cw_coverage *out,
                    cw_err *err)
{
    memset(out, 0, sizeof *out);
    int hops, rc;
    if ((rc = check_hops(q->max_hops, CW_DEFAULT_HOPS_COVERAGE, &hops, err)))
        return rc;
    if (!q->org)
        return cw_err_set(err, CW_EINVAL, "org: must be a non-empty string");
    qctx qc;
    if ((rc = qctx_open(&qc, db, q->org, q->framework, "framework", q->as_of, a, err)))
        return rc;
    char key[64];
    snprintf(key, sizeof key, "coverage %u %d %d", qc.fw, hops, q->detail ? 1 : 0);
    struct cov_args ca = {q, hops};
    uint64_t id = 0;
    rc = memo_answer(&qc, key, coverage_compute, &ca, sizeof *out, a, out, &id);
    qctx_close(&qc);
    if (rc)
        return cw_err_set(err, rc, "coverage: out of memory");
    out->org = qc.os.org;
    out->as_of = q->as_of;
    out->answer_id = id;
    return 0;
}

/* ---- gap report ---- */

/* Which requirements the organisation satisfies (§4): an effective control
 * links it, or a group above it, directly at level full. */
static int satisfied_set(const graph *g, const org_snapshot *os, cw_arena *a, bool **out)
{
    bool *sat = cw_arena_alloc(a, g->n + 1);
    if (!sat)
        return CW_ENOMEM;
    for (size_t i = 0; i < os->n_ctls; i++) {
        if (os->st[i].state != CW_STATE_EFFECTIVE)
            continue;
        const cw_control *c = &os->ctls[i];
        for (size_t k = 0; k < c->n_links; k++) {
            uint32_t x;
            if (c->links[k].level != CW_LEVEL_FULL || !c->links[k].framework ||
                !graph_find(g, c->links[k].framework, c->links[k].id, &x))
                continue;
            /* mark x and everything under it */
            uint32_t stack[512];
            size_t sp = 0;
            stack[sp++] = x;
            while (sp) {
                uint32_t y = stack[--sp];
                sat[y] = true;
                for (uint32_t j = 0; j < g->nodes[y].n_kids && sp < 512; j++)
                    stack[sp++] = g->nodes[y].kids[j];
            }
        }
    }
    *out = sat;
    return 0;
}

/* Reverse search state: candidates reaching one gap. */
typedef struct rev {
    const graph *g;
    cw_arena *a;
    uint32_t target_fw;
    bool end_is_group; /* walking from a group above the gap: only full counts */
    cw_gap_candidate *c;
    uint32_t *cnode;
    size_t n, cap, ncap;
    int err;
} rev;

static int rev_cb(void *ctx, const uint32_t *nodes, const g_edge *const *edges, size_t hops,
                  cw_rel composed_rev)
{
    (void)composed_rev; /* the walk ran backwards; fold forwards instead */
    rev *r = ctx;
    uint32_t x = nodes[hops];
    if (r->g->nodes[x].fw == r->target_fw)
        return 0;
    /* Forward path x = nodes[hops] -> ... -> nodes[0]; step j leaves
     * nodes[hops-j] over the inverse of edges[hops-j-1]. */
    cw_rel c = CW_REL_EQUAL;
    uint32_t fnodes[CW_MAX_HOPS + 1];
    g_edge fe[CW_MAX_HOPS];
    const g_edge *fep[CW_MAX_HOPS];
    for (size_t j = 0; j <= hops; j++)
        fnodes[j] = nodes[hops - j];
    for (size_t j = 0; j < hops; j++) {
        const g_edge *e = edges[hops - j - 1];
        fe[j] = *e;
        fe[j].rel = (uint8_t)cw_rel_inverse((cw_rel)e->rel);
        fe[j].to = fnodes[j + 1];
        fep[j] = &fe[j];
        c = j == 0 ? (cw_rel)fe[j].rel : cw_rel_compose(c, (cw_rel)fe[j].rel);
    }
    cw_level lv = cw_rel_level(c);
    if (lv == CW_LEVEL_NONE || (r->end_is_group && lv != CW_LEVEL_FULL))
        return 0;
    if (hops >= 2 && c == CW_REL_UNKNOWN)
        return 0;
    /* Keep the best path per candidate: higher level, then fewer hops. */
    for (size_t i = 0; i < r->n; i++) {
        if (r->cnode[i] != x)
            continue;
        if (lv > r->c[i].gives || (lv == r->c[i].gives && hops < r->c[i].path->hops)) {
            const cw_path *p = graph_path(r->g, r->a, fnodes, fep, hops, c);
            if (!p)
                return CW_ENOMEM;
            r->c[i].path = p;
            r->c[i].gives = lv;
        }
        return 0;
    }
    size_t ccap = r->cap;
    cw_gap_candidate *arr = cw_arena_grow(r->a, r->c, sizeof *arr, &ccap, r->n + 1);
    uint32_t *narr = cw_arena_grow(r->a, r->cnode, sizeof *narr, &r->ncap, r->n + 1);
    const cw_path *p = graph_path(r->g, r->a, fnodes, fep, hops, c);
    if (!arr || !narr || !p)
        return CW_ENOMEM;
    r->cap = ccap;
    r->c = arr;
    r->cnode = narr;
    const g_node *nx = &r->g->nodes[x];
    arr[r->n] = (cw_gap_candidate){{r->g->fws[nx->fw], nx->id}, nx->title, p, lv, false};
    narr[r->n++] = x;
    return 0;
}

static int cand_cmp(const void *x, const void *y)
{
    const cw_gap_candidate *a = x, *b = y;
    if (a->gives != b->gives)
        return a->gives > b->gives ? -1 : 1;
    int c = strcmp(a->ref.framework, b->ref.framework);
    return c ? c : cw_id_cmp(a->ref.id, b->ref.id);
}

struct gap_args {
    int hops;
    uint32_t src_fw;
};

static int gap_compute(qctx *qcp, const void *query, cw_arena *a, void *res)
{
    const struct gap_args *ga = query;
    cw_gap_report *out = res;
    const qctx qc = *qcp;
    const graph *g = qc.g;
    int hops = ga->hops, rc;
    uint32_t src_fw = ga->src_fw;
    run r;
    cw_coverage cov = {0};
    bool *sat = NULL;
    rc = run_init(&r, g, a, qc.fw, hops, true);
    if (!rc)
        rc = collect_all(&r, &qc.os, true);
    if (!rc)
        rc = shape_coverage(&r, &qc.os, a, &cov);
    if (!rc)
        rc = satisfied_set(g, &qc.os, a, &sat);
    if (rc)
        goto nomem;
    out->target = g->fws[qc.fw];
    out->max_hops = hops;
    memcpy(out->counts, cov.counts, sizeof out->counts);
    out->assessable = cov.assessable;
    out->percent = cov.percent;

    /* Gaps, with their candidates and the controls that touch them. */
    out->gaps = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *out->gaps);
    uint32_t *gap_node = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *gap_node);
    if (!out->gaps || !gap_node)
        goto nomem;
    for (size_t i = 0; i < cov.n_reqs; i++) {
        const cw_req_status *rs = &cov.reqs[i];
        if (rs->status == CW_ST_MET || rs->status == CW_ST_NOT_APPLICABLE)
            continue;
        cw_gap_item *gi = &out->gaps[out->n_gaps];
        gap_node[out->n_gaps++] = r.leaves[i];
        gi->id = rs->id;
        gi->title = rs->title;
        gi->group = rs->group;
        gi->status = rs->status;
        rev rv = {g, a, qc.fw, false, NULL, NULL, 0, 0, 0, 0};
        for (uint32_t y = r.leaves[i]; y != G_NONE && !rc; y = g->nodes[y].parent) {
            rv.end_is_group = y != r.leaves[i];
            rc = graph_walk(g, y, hops, true, rev_cb, &rv);
        }
        if (rc)
            goto nomem;
        for (size_t j = 0; j < rv.n; j++)
            rv.c[j].covered = sat[rv.cnode[j]];
        if (rv.n)
            qsort(rv.c, rv.n, sizeof *rv.c, cand_cmp);
        gi->cands = rv.c;
        gi->n_cands = rv.n;
        gi->controls = cw_arena_alloc(a, (rs->n_contribs + 1) * sizeof *gi->controls);
        if (!gi->controls)
            goto nomem;
        for (size_t j = 0; j < rs->n_contribs; j++) {
            const cw_contribution *c = &rs->contribs[j];
            const cw_control *ctl = NULL;
            for (size_t k = 0; k < qc.os.n_ctls && !ctl; k++)
                if (strcmp(qc.os.ctls[k].id, c->control) == 0)
                    ctl = &qc.os.ctls[k];
            gi->controls[gi->n_controls++] = (cw_gap_control){
                c->control, ctl ? ctl->status : CW_CTL_NOT_IMPLEMENTED, c->state, c->level,
                c->via, c->link};
        }
    }

    /* The plan: which unsatisfied requirements (of other frameworks, or of
     * source) would close the most remaining gaps in full, greedily. */
    size_t ng = out->n_gaps;
    size_t words = (ng + 63) / 64;
    typedef struct pc {
        uint32_t node;
        uint64_t *bits;
    } pc;
    pc *pcs = NULL;
    size_t npc = 0, pccap = 0;
    int32_t *pc_of = cw_arena_alloc(a, (g->n + 1) * sizeof *pc_of);
    if (!pc_of)
        goto nomem;
    for (size_t i = 0; i < g->n; i++)
        pc_of[i] = -1;
    for (size_t gi = 0; gi < ng; gi++) {
        const cw_gap_item *item = &out->gaps[gi];
        for (size_t j = 0; j < item->n_cands; j++) {
            const cw_gap_candidate *c = &item->cands[j];
            if (c->gives != CW_LEVEL_FULL || c->covered)
                continue;
            uint32_t x;
            if (!graph_find(g, c->ref.framework, c->ref.id, &x))
                continue;
            if (src_fw != G_NONE && g->nodes[x].fw != src_fw)
                continue;
            if (pc_of[x] < 0) {
                pc *arr = cw_arena_grow(a, pcs, sizeof *arr, &pccap, npc + 1);
                uint64_t *bits = cw_arena_alloc(a, (words + 1) * sizeof *bits);
                if (!arr || !bits)
                    goto nomem;
                pcs = arr;
                pcs[npc] = (pc){x, bits};
                pc_of[x] = (int32_t)npc++;
            }
            pcs[pc_of[x]].bits[gi / 64] |= UINT64_C(1) << (gi % 64);
        }
    }
    /* A group candidate also closes what the leaves under it close, since
     * satisfying a group at full starts propagation from each leaf. */
    for (size_t i = 0; i < npc; i++) {
        const g_node *n = &g->nodes[pcs[i].node];
        if (n->leaf)
            continue;
        uint32_t *lv = NULL;
        size_t nl = 0, lcap = 0;
        if (graph_leaves(g, pcs[i].node, a, &lv, &nl, &lcap))
            goto nomem;
        for (size_t j = 0; j < nl; j++)
            if (pc_of[lv[j]] >= 0)
                for (size_t w = 0; w < words; w++)
                    pcs[i].bits[w] |= pcs[pc_of[lv[j]]].bits[w];
    }
    uint64_t *remaining = cw_arena_alloc(a, (words + 1) * sizeof *remaining);
    out->plan = cw_arena_alloc(a, (npc + 1) * sizeof *out->plan);
    if (!remaining || !out->plan)
        goto nomem;
    for (size_t gi = 0; gi < ng; gi++)
        remaining[gi / 64] |= UINT64_C(1) << (gi % 64);
    bool *used = cw_arena_alloc(a, npc + 1);
    if (!used)
        goto nomem;
    for (;;) {
        size_t best = SIZE_MAX, best_n = 0;
        for (size_t i = 0; i < npc; i++) {
            if (used[i])
                continue;
            size_t cnt = 0;
            for (size_t w = 0; w < words; w++)
                cnt += (size_t)__builtin_popcountll(pcs[i].bits[w] & remaining[w]);
            if (cnt == 0)
                continue;
            const g_node *ni = &g->nodes[pcs[i].node];
            bool take = cnt > best_n;
            if (!take && cnt == best_n) {
                const g_node *nb = &g->nodes[pcs[best].node];
                int c = strcmp(g->fws[ni->fw], g->fws[nb->fw]);
                take = c < 0 || (c == 0 && cw_id_cmp(ni->id, nb->id) < 0);
            }
            if (take) {
                best = i;
                best_n = cnt;
            }
        }
        if (best == SIZE_MAX)
            break;
        used[best] = true;
        const g_node *nb = &g->nodes[pcs[best].node];
        cw_plan_step *ps = &out->plan[out->n_plan++];
        ps->ref = (cw_ref){g->fws[nb->fw], nb->id};
        ps->title = nb->title;
        ps->closes = cw_arena_alloc(a, (best_n + 1) * sizeof *ps->closes);
        if (!ps->closes)
            goto nomem;
        for (size_t gi = 0; gi < ng; gi++) {
            uint64_t bit = UINT64_C(1) << (gi % 64);
            if ((pcs[best].bits[gi / 64] & bit) && (remaining[gi / 64] & bit)) {
                ps->closes[ps->n_closes++] = out->gaps[gi].id;
                remaining[gi / 64] &= ~bit;
            }
        }
        out->closable += ps->n_closes;
    }
    return 0;
nomem:
    return CW_ENOMEM;
}

int cw_gap_report_get(cw_db *db, const cw_gap_query *q, cw_arena *a, cw_gap_report *out,
                      cw_err *err)
{
    memset(out, 0, sizeof *out);
    int hops, rc;
    if ((rc = check_hops(q->max_hops, CW_DEFAULT_HOPS_GAP, &hops, err)))
        return rc;
    if (!q->org)
        return cw_err_set(err, CW_EINVAL, "org: must be a non-empty string");
    if (q->source && (rc = check_name("source", q->source, CW_MAX_SLUG, err)))
        return rc;
    qctx qc;
    if ((rc = qctx_open(&qc, db, q->org, q->target, "target", q->as_of, a, err)))
        return rc;
    uint32_t src_fw = G_NONE;
    if (q->source && (src_fw = graph_fw(qc.g, q->source)) == G_NONE) {
        qctx_close(&qc);
        return cw_err_set(err, CW_ENOFW, "source: no framework '%s'", q->source);
    }
    char key[64];
    snprintf(key, sizeof key, "gap %u %u %d", qc.fw, src_fw, hops);
    struct gap_args ga = {hops, src_fw};
    uint64_t id;
    rc = memo_answer(&qc, key, gap_compute, &ga, sizeof *out, a, out, &id);
    qctx_close(&qc);
    if (rc)
        return cw_err_set(err, rc, "gap: out of memory");
    out->org = qc.os.org;
    out->source = q->source;
    out->as_of = q->as_of;
    return 0;
}

/* ---- framework compare ---- */

typedef struct cmp_run {
    const graph *g;
    cw_arena *a;
    uint32_t tfw;
    int32_t *pos;
    cw_compare_item *items;
    int err;
} cmp_run;

static void cmp_add(cmp_run *c, uint32_t leaf, cw_level level, const cw_path *p)
{
    cw_compare_item *it = &c->items[c->pos[leaf]];
    if (level < it->level)
        return;
    if (level > it->level) {
        it->level = level;
        it->n_paths = it->n_paths_total = 0;
    }
    it->n_paths_total++;
    if (!p || it->n_paths >= COMPARE_PATHS_KEPT)
        return;
    if (!it->paths) {
        it->paths = cw_arena_alloc(c->a, COMPARE_PATHS_KEPT * sizeof *it->paths);
        if (!it->paths) {
            c->err = CW_ENOMEM;
            return;
        }
    }
    it->paths[it->n_paths++] = p;
}

static int cmp_cb(void *ctx, const uint32_t *nodes, const g_edge *const *edges, size_t hops,
                  cw_rel composed)
{
    cmp_run *c = ctx;
    uint32_t y = nodes[hops];
    const g_node *ny = &c->g->nodes[y];
    if (ny->fw != c->tfw)
        return 0;
    cw_level lv = cw_rel_level(composed);
    if (lv == CW_LEVEL_NONE || (!ny->leaf && lv != CW_LEVEL_FULL))
        return 0;
    /* Build the path only if it can still be kept. */
    const cw_path *p = graph_path(c->g, c->a, nodes, edges, hops, composed);
    if (!p)
        return CW_ENOMEM;
    if (ny->leaf) {
        cmp_add(c, y, lv, p);
    } else {
        uint32_t *lv2 = NULL;
        size_t n = 0, cap = 0;
        if (graph_leaves(c->g, y, c->a, &lv2, &n, &cap))
            return CW_ENOMEM;
        for (size_t i = 0; i < n; i++)
            if (c->pos[lv2[i]] >= 0)
                cmp_add(c, lv2[i], lv, p);
    }
    return c->err;
}

int cw_framework_compare(cw_db *db, const cw_compare_query *q, cw_arena *a, cw_compare *out,
                         cw_err *err)
{
    memset(out, 0, sizeof *out);
    int hops, rc;
    if ((rc = check_hops(q->max_hops, CW_DEFAULT_HOPS_COMPARE, &hops, err)))
        return rc;
    if ((rc = check_name("source", q->source, CW_MAX_SLUG, err)))
        return rc;
    qctx qc;
    if ((rc = qctx_open(&qc, db, NULL, q->target, "target", 0, a, err)))
        return rc;
    const graph *g = qc.g;
    uint32_t sfw = graph_fw(g, q->source);
    if (sfw == G_NONE) {
        qctx_close(&qc);
        return cw_err_set(err, CW_ENOFW, "source: no framework '%s'", q->source);
    }
    run r;
    if ((rc = run_init(&r, g, a, qc.fw, hops, false)))
        goto nomem;
    out->source = g->fws[sfw];
    out->target = g->fws[qc.fw];
    out->max_hops = hops;
    out->assessable = out->n_items = r.n_leaves;
    out->items = cw_arena_alloc(a, (r.n_leaves + 1) * sizeof *out->items);
    if (!out->items)
        goto nomem;
    for (size_t i = 0; i < r.n_leaves; i++) {
        const g_node *n = &g->nodes[r.leaves[i]];
        out->items[i].id = n->id;
        out->items[i].title = n->title;
        out->items[i].group = g->nodes[graph_root(g, r.leaves[i])].id;
        /* Comparing a framework with itself: each leaf satisfies itself. */
        if (sfw == qc.fw) {
            out->items[i].level = CW_LEVEL_FULL;
            out->items[i].n_paths_total = 1;
        }
    }
    cmp_run c = {g, a, qc.fw, r.pos, out->items, 0};
    for (size_t i = 0; i < g->n && sfw != qc.fw; i++) {
        if (g->nodes[i].fw != sfw)
            continue;
        if ((rc = graph_walk(g, (uint32_t)i, hops, false, cmp_cb, &c)))
            goto nomem;
    }
    for (size_t i = 0; i < r.n_leaves; i++) {
        if (out->items[i].level == CW_LEVEL_FULL)
            out->full++;
        else if (out->items[i].level == CW_LEVEL_PARTIAL)
            out->partial++;
        else
            out->unreached++;
    }
    qctx_close(&qc);
    return 0;
nomem:
    qctx_close(&qc);
    return cw_err_set(err, CW_ENOMEM, "compare: out of memory");
}

/* ---- Statement of Applicability ---- */

static const char *implementation_of(const cw_req_status *rs, const org_snapshot *os)
{
    switch (rs->status) {
    case CW_ST_MET: return "implemented";
    case CW_ST_PARTIAL: return "partially implemented";
    case CW_ST_UNVERIFIED: return "implemented, not verified";
    case CW_ST_FAILING: return "failing";
    case CW_ST_NOT_APPLICABLE: return "not applicable";
    default: break;
    }
    for (size_t i = 0; i < rs->n_contribs; i++)
        for (size_t k = 0; k < os->n_ctls; k++)
            if (strcmp(os->ctls[k].id, rs->contribs[i].control) == 0 &&
                os->ctls[k].status == CW_CTL_PLANNED)
                return "planned";
    return "not implemented";
}

static bool in_list(const char **l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], s) == 0)
            return true;
    return false;
}

static int soa_compute(qctx *qcp, const void *query, cw_arena *a, void *res)
{
    (void)query;
    cw_soa *out = res;
    const qctx qc = *qcp;
    int rc;
    run r;
    cw_coverage cov = {0};
    if ((rc = run_init(&r, qc.g, a, qc.fw, CW_DEFAULT_HOPS_COVERAGE, true)) ||
        (rc = collect_all(&r, &qc.os, true)) || (rc = shape_coverage(&r, &qc.os, a, &cov)))
        goto nomem;
    out->items = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *out->items);
    if (!out->items)
        goto nomem;
    for (size_t i = 0; i < cov.n_reqs; i++) {
        const cw_req_status *rs = &cov.reqs[i];
        if (strncmp(rs->id, "A.", 2) != 0)
            continue; /* clauses 4-10 are not part of the SoA */
        cw_soa_item *it = &out->items[out->n_items++];
        it->id = rs->id;
        it->title = rs->title;
        it->theme = rs->group;
        it->applicable = rs->status != CW_ST_NOT_APPLICABLE;
        it->status = rs->status;
        it->implementation = implementation_of(rs, &qc.os);
        it->controls = cw_arena_alloc(a, (rs->n_contribs + 1) * sizeof(char *));
        size_t nev = 0;
        for (size_t j = 0; j < rs->n_contribs; j++)
            nev += rs->contribs[j].n_evidence;
        it->evidence = cw_arena_alloc(a, (nev + 1) * sizeof(char *));
        if (!it->controls || !it->evidence)
            goto nomem;
        for (size_t j = 0; j < rs->n_contribs; j++) {
            const cw_contribution *c = &rs->contribs[j];
            if (c->state == CW_STATE_INACTIVE)
                continue;
            if (!in_list(it->controls, it->n_controls, c->control))
                it->controls[it->n_controls++] = c->control;
            for (size_t k = 0; k < c->n_evidence; k++)
                if (!in_list(it->evidence, it->n_evidence, c->evidence[k]))
                    it->evidence[it->n_evidence++] = c->evidence[k];
        }
        if (rs->justification && *rs->justification) {
            it->justification = rs->justification;
        } else if (!it->applicable) {
            it->justification = "excluded (no justification recorded)";
        } else if (it->n_controls) {
            size_t len = 64;
            for (size_t j = 0; j < it->n_controls; j++)
                len += strlen(it->controls[j]) + 2;
            char *s = cw_arena_alloc(a, len);
            if (!s)
                goto nomem;
            size_t o = (size_t)snprintf(s, len, "included: addressed by ");
            for (size_t j = 0; j < it->n_controls; j++)
                o += (size_t)snprintf(s + o, len - o, "%s%s", j ? ", " : "", it->controls[j]);
            it->justification = s;
        } else {
            it->justification = "included: no exclusion recorded; no implementing control yet";
        }
        if (it->applicable)
            out->applicable++;
        else
            out->excluded++;
        if (rs->status == CW_ST_MET)
            out->implemented++;
    }
    return 0;
nomem:
    return CW_ENOMEM;
}

int cw_soa_get(cw_db *db, const char *org, cw_time as_of, cw_arena *a, cw_soa *out, cw_err *err)
{
    memset(out, 0, sizeof *out);
    int rc;
    if (!org)
        return cw_err_set(err, CW_EINVAL, "org: must be a non-empty string");
    qctx qc;
    if ((rc = qctx_open(&qc, db, org, "iso27001-2022", "framework", as_of, a, err))) {
        if (rc == CW_ENOFW)
            cw_err_set(err, CW_ENOFW,
                       "framework: the iso27001-2022 catalogue is not loaded; the Statement of "
                       "Applicability needs it");
        return rc;
    }
    uint64_t id;
    rc = memo_answer(&qc, "soa", soa_compute, NULL, sizeof *out, a, out, &id);
    qctx_close(&qc);
    if (rc)
        return cw_err_set(err, rc, "soa: out of memory");
    out->org = qc.os.org;
    out->as_of = as_of;
    return 0;
}
