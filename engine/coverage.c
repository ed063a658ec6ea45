/* Coverage, gap report, framework comparison and Statement of
 * Applicability: the rules of docs/SEMANTICS.md (those that decide a state
 * or a status are in state.c) applied over the shared catalogue graph and
 * one read transaction for the organisation's controls, evidence, scope,
 * risks and audit findings.  One routine (collect) walks every control link,
 * group expansion and crosswalk path once and records contributions per
 * target leaf; each query shapes its answer from that. */
#include "crosswalk/org.h"
#include "crosswalk/query.h"
#include "crosswalk/risk.h"

#include "entity.h"
#include "graph.h"
#include "orgsnap.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPARE_PATHS_KEPT 16

const char *cw_via_name(cw_via v)
{
    switch (v) {
    case CW_VIA_DIRECT: return "direct";
    case CW_VIA_GROUP: return "group";
    case CW_VIA_JOINT: return "joint";
    default: return "mapping";
    }
}

typedef struct req_acc {
    int best; /* best rank so far, -1 none */
    cw_contribution *c;
    size_t n, cap;
    size_t best_idx;
} req_acc;

/* The controls a run walks: an organisation's, or compare's single
 * "everything of source" control. */
typedef struct ctl_set {
    const cw_control *ctls;
    const cw_control_state *st;
    size_t n;
    bool with_inactive; /* walk controls that are not implemented too */
} ctl_set;

typedef struct run run;

/* One walk over a framework: every contribution to each assessed
 * requirement, and (for the query's own framework) the joint rows that
 * target it.  Member statuses of joint rows come from a run of their own
 * per member framework with one hop fewer and no joint rows. */
struct run {
    const graph *g;
    cw_arena *a;
    uint32_t fw;
    int hops;
    bool detail;
    int32_t *pos;   /* node -> position among reqs, -1 if not assessed here */
    uint32_t *reqs; /* assessed requirements of fw, publisher order */
    size_t n_reqs;
    req_acc *acc;
    /* the control and link being walked */
    const cw_control *ctl;
    const cw_control_state *st;
    const cw_link *link;
    int err;
    /* the organisation's audit findings (NULL for compare, which has no
     * organisation) */
    const org_snap *fx;
    /* joint rows targeting fw, evaluated by collect_joints */
    const ctl_set *cs;
    run **members; /* per framework index, the member run (lazily) */
    cw_joint_eval *jevals;
    uint32_t *jnode; /* per jeval, its target node */
    uint32_t *jidx;  /* per jeval, its index in g->joints */
    size_t n_jevals;
};

/* Records a contribution c giving rank to assessed requirement node. */
static void add_contrib(run *r, uint32_t node, int rank, const cw_contribution *c)
{
    req_acc *la = &r->acc[r->pos[node]];
    bool better = status_better(rank, la->best);
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
    arr[la->n] = *c;
    arr[la->n++].gives = status_settled(rank, false);
}

static void add(run *r, uint32_t node, cw_level level, cw_via via, const cw_path *path,
                const char *group)
{
    cw_contribution c = {
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
    add_contrib(r, node, status_given(level, r->st->state), &c);
}

/* The requirements under node (at any depth) that a walk assesses (pos),
 * into *out in a.  Returns 0 or CW_ENOMEM. */
static int assessed_under(const graph *g, const int32_t *pos, uint32_t node, cw_arena *a,
                          uint32_t **out, size_t *n)
{
    size_t cap = 0, k = 0;
    *out = NULL;
    *n = 0;
    if (graph_assessable_under(g, node, a, out, n, &cap))
        return CW_ENOMEM;
    for (size_t i = 0; i < *n; i++)
        if (pos[(*out)[i]] >= 0)
            (*out)[k++] = (*out)[i];
    *n = k;
    return 0;
}

/* A full link or path to a group reaches every assessed requirement under
 * it, at any depth. */
static void add_group(run *r, uint32_t node, cw_level level, cw_via via, const cw_path *path,
                      bool is_end_group)
{
    uint32_t *lv;
    size_t n;
    if (assessed_under(r->g, r->pos, node, r->a, &lv, &n)) {
        r->err = CW_ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++)
        add(r, lv[i], level, via, path, is_end_group ? r->g->nodes[node].id : NULL);
}

/* A walk along crosswalk paths into framework fw (coverage's, or
 * compare's target), and where the paths that count go. */
typedef struct path_walk {
    const graph *g;
    const int32_t *pos; /* fw's requirements assessed here */
    uint32_t fw;
    cw_arena *a;
    bool want_path; /* build each path (detail, compare) */
    /* Gives level, by path p, to assessed requirement leaf; group: the
     * group end the path reached it through, or NULL.  A failure sets
     * *err. */
    void (*reach)(void *ctx, uint32_t leaf, cw_level level, const cw_path *p, const char *group);
    void *ctx;
    const int *err;
} path_walk;

/* graph_walk's callback for a path_walk (SEMANTICS §2.2): a path into fw
 * counts at the level its composed relationship gives.  An assessed end
 * takes it for itself alone (an assessable parent too), a group end taken
 * in full gives it to every assessed requirement under it, and a withdrawn
 * or childless non-assessable end takes nothing. */
static int on_path(void *ctx, const uint32_t *nodes, const g_edge *const *edges, size_t hops,
                   cw_rel composed)
{
    const path_walk *w = ctx;
    uint32_t y = nodes[hops];
    const g_node *ny = &w->g->nodes[y];
    if (ny->fw != w->fw)
        return 0;
    cw_level level = cw_rel_level(composed);
    bool to_group = g_group(ny) && level == CW_LEVEL_FULL;
    if (level == CW_LEVEL_NONE || (w->pos[y] < 0 && !to_group))
        return 0;
    const cw_path *p = NULL;
    if (w->want_path && !(p = graph_path(w->g, w->a, nodes, edges, hops, composed)))
        return CW_ENOMEM;
    if (w->pos[y] >= 0) {
        w->reach(w->ctx, y, level, p, NULL);
        return *w->err;
    }
    uint32_t *under;
    size_t n;
    if (assessed_under(w->g, w->pos, y, w->a, &under, &n))
        return CW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        w->reach(w->ctx, under[i], level, p, ny->id);
    return *w->err;
}

/* Coverage's path_walk reach: a mapping contribution. */
static void cov_reach(void *ctx, uint32_t leaf, cw_level level, const cw_path *p, const char *group)
{
    add(ctx, leaf, level, CW_VIA_MAPPING, p, group);
}

/* Walks one control's links: direct, group and crosswalk contributions. */
static int collect_control(run *r, const cw_control *c, const cw_control_state *st)
{
    r->ctl = c;
    r->st = st;
    path_walk pw = {r->g, r->pos, r->fw, r->a, r->detail, cov_reach, r, &r->err};
    for (size_t i = 0; i < c->n_links && !r->err; i++) {
        const cw_link *l = &c->links[i];
        r->link = l;
        uint32_t x;
        if (!l->framework || !l->id || !graph_find(r->g, l->framework, l->id, &x))
            continue; /* a link to a deleted catalogue counts for nothing */
        const g_node *nx = &r->g->nodes[x];
        bool group = g_group(nx);
        if (nx->fw == r->fw) {
            if (r->pos[x] >= 0)
                add(r, x, l->level, CW_VIA_DIRECT, NULL, NULL);
            else if (group && l->level == CW_LEVEL_FULL)
                add_group(r, x, CW_LEVEL_FULL, CW_VIA_GROUP, NULL, false);
        }
        if (l->level != CW_LEVEL_FULL || r->hops < 1)
            continue;
        int rc = graph_walk(r->g, x, r->hops, false, on_path, &pw);
        /* A full link to a group also starts propagation from each
         * assessable requirement under it; one to an assessable parent
         * does not reach its children. */
        if (!rc && group) {
            uint32_t *lv = NULL;
            size_t n = 0, cap = 0;
            if (graph_assessable_under(r->g, x, r->a, &lv, &n, &cap))
                return CW_ENOMEM;
            for (size_t j = 0; j < n && !rc; j++)
                rc = graph_walk(r->g, lv[j], r->hops, false, on_path, &pw);
        }
        if (rc)
            return rc;
    }
    return r->err;
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
    if (graph_assessed(g, fw, a, &r->reqs, &r->n_reqs))
        return CW_ENOMEM;
    r->acc = cw_arena_alloc(a, (r->n_reqs + 1) * sizeof *r->acc);
    if (!r->acc)
        return CW_ENOMEM;
    for (size_t i = 0; i < r->n_reqs; i++) {
        r->pos[r->reqs[i]] = (int32_t)i;
        r->acc[i].best = -1;
    }
    return 0;
}

/* Runs every control of cs (inactive ones too when cs says so, for the
 * gap report's planned candidates) through collect. */
static int collect_set(run *r, const ctl_set *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        if (!state_applies(cs->ctls[i].status) && !cs->with_inactive)
            continue;
        int rc = collect_control(r, &cs->ctls[i], &cs->st[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- audit findings ---- */

/* The findings open on node at the answer's time, or NULL (none, or no
 * organisation). */
static const snap_held *held_on(const run *r, uint32_t node)
{
    if (!r->fx || !r->fx->n_held)
        return NULL;
    const g_node *n = &r->g->nodes[node];
    return orgsnap_held(r->fx, r->g->fws[n->fw], n->id);
}

/* Whether an open nonconformity on node keeps it from being met. */
static bool held_back(const run *r, uint32_t node)
{
    const snap_held *h = held_on(r, node);
    return h && (h->major || h->minor);
}

/* Status st of node after its open findings (§6.3); *by receives the
 * finding that holds it: an open major nonconformity, or a minor one that
 * lowered met (else NULL). */
static cw_status with_findings(const run *r, uint32_t node, cw_status st,
                               const cw_audit_finding **by)
{
    const snap_held *h = held_on(r, node);
    *by = NULL;
    if (!h || st == CW_ST_NOT_APPLICABLE)
        return st;
    cw_status out = status_with_findings(st, h->major != NULL, h->minor != NULL);
    if (h->major)
        *by = h->major;
    else if (out != st)
        *by = h->minor;
    return out;
}

/* ---- joint rows ---- */

static cw_status status_of(const req_acc *la)
{
    return status_settled(la->best, false);
}

static const cw_contribution *deciding(const run *m, const req_acc *la)
{
    return m->detail && la->best >= 0 && la->n ? &la->c[la->best_idx] : NULL;
}

/* The run that gives member statuses in framework sfw: the same controls,
 * one hop fewer, no joint rows, no scope. */
static int member_run(run *r, uint32_t sfw, run **out)
{
    if (!r->members) {
        r->members = cw_arena_alloc(r->a, (r->g->n_fws + 1) * sizeof *r->members);
        if (!r->members)
            return CW_ENOMEM;
    }
    if (!r->members[sfw]) {
        run *m = cw_arena_alloc(r->a, sizeof *m);
        int rc = m ? run_init(m, r->g, r->a, sfw, r->hops - 1, r->detail) : CW_ENOMEM;
        if (!rc) {
            m->fx = r->fx;
            rc = collect_set(m, r->cs);
        }
        if (rc)
            return rc;
        r->members[sfw] = m;
    }
    *out = r->members[sfw];
    return 0;
}

/* A member's status (§3 "Joint rows"): its own status when it is assessed;
 * for a group, the lowest among the assessed requirements under it; gap
 * when it is withdrawn, gone, not assessable or has nothing assessed
 * under it.  Open findings count (§6.3), scope decisions do not. */
static int member_status(run *r, const g_joint *J, uint32_t i, cw_joint_member *out)
{
    const graph *g = r->g;
    uint32_t x = J->members[i];
    memset(out, 0, sizeof *out);
    out->ref = (cw_ref){J->sfw_slug, J->member_ids[i]};
    out->status = CW_ST_GAP;
    if (x == G_NONE || J->sfw == G_NONE) {
        out->why = "not in the catalogue";
        return 0;
    }
    const g_node *nx = &g->nodes[x];
    out->title = nx->title;
    if (nx->withdrawn) {
        out->why = "withdrawn";
        return 0;
    }
    if (!g_assessed(nx) && !g_group(nx)) {
        out->why = "not assessable";
        return 0;
    }
    run *m;
    int rc = member_run(r, J->sfw, &m);
    if (rc)
        return rc;
    if (g_assessed(nx)) {
        const req_acc *la = &m->acc[m->pos[x]];
        out->status = with_findings(m, x, status_of(la), &out->finding);
        out->contribution = deciding(m, la);
        return 0;
    }
    uint32_t *lv;
    size_t n;
    if (assessed_under(g, m->pos, x, r->a, &lv, &n))
        return CW_ENOMEM;
    bool any = false;
    for (size_t k = 0; k < n; k++) {
        const req_acc *la = &m->acc[m->pos[lv[k]]];
        const cw_audit_finding *by;
        cw_status st = with_findings(m, lv[k], status_of(la), &by);
        if (!any || status_better(out->status, st)) {
            out->status = st;
            out->lowest = g->nodes[lv[k]].id;
            out->contribution = deciding(m, la);
            out->finding = by;
        }
        any = true;
    }
    if (!any)
        out->why = "nothing assessed under it";
    return 0;
}

/* Evaluates every joint row whose target is in r's framework and adds what
 * each contributes: to its target when assessed, or, when the target is a
 * group and the row gives met, to every assessed requirement under it.
 * Joint rows are the last step of a contribution: nothing propagates from
 * what they give.  All evaluations are kept (r->jevals), contributing or
 * not, for the gap report. */
static int collect_joints(run *r, const ctl_set *cs)
{
    const graph *g = r->g;
    r->cs = cs;
    size_t want = 0;
    for (size_t j = 0; j < g->n_joints; j++)
        want += g->nodes[g->joints[j].target].fw == r->fw;
    if (!want)
        return 0;
    r->jevals = cw_arena_alloc(r->a, want * sizeof *r->jevals);
    r->jnode = cw_arena_alloc(r->a, want * sizeof *r->jnode);
    r->jidx = cw_arena_alloc(r->a, want * sizeof *r->jidx);
    if (!r->jevals || !r->jnode || !r->jidx)
        return CW_ENOMEM;
    for (size_t j = 0; j < g->n_joints; j++) {
        const g_joint *J = &g->joints[j];
        uint32_t t = J->target;
        if (g->nodes[t].fw != r->fw)
            continue;
        cw_joint_eval *je = &r->jevals[r->n_jevals];
        r->jnode[r->n_jevals] = t;
        r->jidx[r->n_jevals++] = (uint32_t)j;
        memset(je, 0, sizeof *je);
        graph_joint_row(g, J, &je->row);
        je->members = cw_arena_alloc(r->a, (J->n_members + 1) * sizeof *je->members);
        if (!je->members)
            return CW_ENOMEM;
        je->n_members = J->n_members;
        for (uint32_t i = 0; i < J->n_members; i++) {
            int rc = member_status(r, J, i, &je->members[i]);
            if (rc)
                return rc;
            je->n_met += je->members[i].status == CW_ST_MET;
        }
        int rank = status_of_joint(J->rel, je->members, J->n_members);
        if (rank < 0)
            continue;
        je->gives_any = true;
        je->gives = (cw_status)rank;
        const g_node *nt = &g->nodes[t];
        cw_contribution c = {.via = CW_VIA_JOINT, .joint = je};
        status_parts(rank, &c.level, &c.state);
        if (r->pos[t] >= 0) {
            add_contrib(r, t, rank, &c);
        } else if (g_group(nt) && rank == CW_ST_MET) {
            c.reached_group = nt->id;
            uint32_t *lv;
            size_t n;
            if (assessed_under(g, r->pos, t, r->a, &lv, &n))
                return CW_ENOMEM;
            for (size_t k = 0; k < n; k++)
                add_contrib(r, lv[k], rank, &c);
        }
        if (r->err)
            return r->err;
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

/* The checks an organisation query starts with, in the order answered:
 * max_hops (given, or dflt when 0), then that an organisation is named
 * (its name is checked when the query opens, qctx_open). */
static int check_org_query(const char *org, int given, int dflt, int *hops, cw_err *err)
{
    int rc = check_hops(given, dflt, hops, err);
    if (!rc && !org)
        rc = cw_err_set(err, CW_EINVAL, "org: must be a non-empty string");
    return rc;
}

/* Everything one organisation-level query needs, loaded in one snapshot. */
typedef struct org_snapshot {
    const char *org;
    const cw_control *ctls;
    size_t n_ctls;
    const cw_control_state *st; /* per control; INACTIVE unless implemented */
    cw_scope *scope;
    size_t n_scope;
    const org_snap *fx; /* its audit findings */
} org_snapshot;

static int load_org(cw_db *db, MDB_txn *txn, const char *org, cw_arena *a, cw_time t, cw_time rec,
                    org_snapshot *s, org_snap **snap, cw_err *err)
{
    memset(s, 0, sizeof *s);
    int rc = org_find_at(txn, db, org, rec, err);
    if (rc || (rc = orgsnap_acquire(db, txn, org, t, rec, a, snap, err)))
        return rc;
    s->org = (*snap)->org;
    s->ctls = (*snap)->ctls;
    s->n_ctls = (*snap)->n_ctls;
    s->st = (*snap)->st;
    s->fx = *snap;
    return 0;
}

/* Shared start of the organisation queries: validates, opens the snapshot,
 * takes the graph and loads the organisation. */
typedef struct qctx {
    cw_db *db;
    MDB_txn *txn;
    cw_time rec; /* the recorded state used: REC_NOW, or a past time */
    graph *g;
    uint32_t fw;
    org_snap *snap;
    org_snapshot os;
} qctx;

static int qctx_open(qctx *q, cw_db *db, const char *org, const char *fw, const char *fw_field,
                     cw_time t, cw_time rec, cw_arena *a, cw_err *err)
{
    memset(q, 0, sizeof *q);
    q->db = db;
    q->rec = rec;
    int rc;
    if ((org && (rc = cw_check_name("org", org, CW_MAX_SLUG, err))) ||
        (rc = cw_check_name(fw_field, fw, CW_MAX_SLUG, err)))
        return rc;
    if ((rc = read_begin(db, &q->txn, err)))
        return rc;
    if ((rec != REC_NOW && (rc = hist_check(q->txn, db, rec, "as_of", err))) ||
        (rc = graph_acquire_at(db, q->txn, rec, &q->g, err)))
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
    if (org && (rc = load_org(db, q->txn, org, a, t, rec, &q->os, &q->snap, err)))
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
static int memo_answer(qctx *qc, const char *key, compute_fn fn, const void *query, size_t size,
                       cw_arena *a, void *out, uint64_t *id)
{
    const void *m = memo_get(&qc->snap->memo, qc->g->gen, key, id);
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
    int rc = res ? scopes_of(qc->txn, qc->db, qc->os.org, qc->g->fws[qc->fw], qc->rec, w,
                             &qc->os.scope, &qc->os.n_scope)
                 : CW_ENOMEM;
    if (!rc)
        rc = fn(qc, query, w, res);
    if (rc) {
        cw_arena_free(w);
        return rc;
    }
    memcpy(out, res, size);
    return memo_put(&qc->snap->memo, qc->g->gen, key, w, res, a, id);
}

/* memo_answer, then qc closed; a failure says "<what>: out of memory". */
static int answer(qctx *qc, const char *key, compute_fn fn, const void *query, size_t size,
                  cw_arena *a, void *out, uint64_t *id, const char *what, cw_err *err)
{
    int rc = memo_answer(qc, key, fn, query, size, a, out, id);
    qctx_close(qc);
    return rc ? cw_err_set(err, rc, "%s: out of memory", what) : 0;
}

/* Runs every control of the organisation (inactive ones too when
 * with_inactive, for the gap report's planned candidates) through collect,
 * then the joint rows that target r's framework. */
static int collect_all(run *r, const org_snapshot *os, bool with_inactive)
{
    ctl_set cs = {os->ctls, os->st, os->n_ctls, with_inactive};
    r->fx = os->fx;
    int rc = collect_set(r, &cs);
    return rc ? rc : collect_joints(r, &cs);
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
    out->assessable = r->n_reqs;
    out->n_reqs = r->n_reqs;
    out->reqs = cw_arena_alloc(a, (r->n_reqs + 1) * sizeof *out->reqs);
    uint32_t *roots;
    size_t nr;
    if (!out->reqs || graph_roots(g, r->fw, a, &roots, &nr))
        return CW_ENOMEM;
    out->groups = cw_arena_alloc(a, (nr + 1) * sizeof *out->groups);
    if (!out->groups)
        return CW_ENOMEM;
    out->n_groups = nr;
    for (size_t i = 0; i < nr; i++) {
        out->groups[i].id = g->nodes[roots[i]].id;
        out->groups[i].title = g->nodes[roots[i]].title;
    }
    for (size_t i = 0; i < r->n_reqs; i++) {
        uint32_t node = r->reqs[i];
        const g_node *n = &g->nodes[node];
        cw_req_status *rs = &out->reqs[i];
        const req_acc *la = &r->acc[i];
        uint32_t root = graph_root(g, node);
        rs->id = n->id;
        rs->title = n->title;
        rs->group = g->nodes[root].id;
        rs->contribs = la->c;
        rs->n_contribs = la->n;
        rs->best = la->best_idx;
        const cw_scope *sc = os ? scope_for(os, n->id) : NULL;
        rs->status =
            with_findings(r, node, status_settled(la->best, sc && !sc->applicable), &rs->finding);
        if (sc)
            rs->justification = sc->justification;
        const snap_held *h = held_on(r, node);
        if (h) {
            rs->findings = h->open;
            rs->n_findings = h->n_open;
        }
        out->counts[rs->status]++;
        for (size_t j = 0; j < nr; j++)
            if (roots[j] == root) {
                out->groups[j].counts[rs->status]++;
                out->groups[j].assessable++;
            }
    }
    out->percent = status_percent(out->counts, out->assessable);
    for (size_t j = 0; j < nr; j++)
        out->groups[j].percent = status_percent(out->groups[j].counts, out->groups[j].assessable);
    /* Partial links to groups count for nothing assessed but are listed. */
    for (size_t i = 0; os && i < os->n_ctls; i++) {
        const cw_control *c = &os->ctls[i];
        if (!state_applies(c->status))
            continue;
        for (size_t k = 0; k < c->n_links; k++) {
            uint32_t x;
            if (c->links[k].level != CW_LEVEL_PARTIAL || !c->links[k].framework ||
                !graph_find(g, c->links[k].framework, c->links[k].id, &x) ||
                g->nodes[x].fw != r->fw || !g_group(&g->nodes[x]))
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
    qctx qc;
    if ((rc = check_org_query(q->org, q->max_hops, CW_DEFAULT_HOPS_COVERAGE, &hops, err)) ||
        (rc = qctx_open(&qc, db, q->org, q->framework, "framework", q->as_of,
                        q->as_recorded ? q->as_of : REC_NOW, a, err)))
        return rc;
    char key[64];
    snprintf(key, sizeof key, "coverage %u %d %d", qc.fw, hops, q->detail ? 1 : 0);
    struct cov_args ca = {q, hops};
    uint64_t id = 0;
    if ((rc = answer(&qc, key, coverage_compute, &ca, sizeof *out, a, out, &id, "coverage", err)))
        return rc;
    out->org = qc.os.org;
    out->as_of = q->as_of;
    out->answer_id = id;
    /* the answer holds until evidence or a finding changes it, or, for a
     * past recorded state, until the next write changed that state */
    out->until = qc.snap->until < qc.g->next ? qc.snap->until : qc.g->next;
    return 0;
}

int cw_org_states(cw_db *db, const char *org, cw_time t, cw_arena *a, cw_state_list *out,
                  cw_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    MDB_txn *txn;
    if (rc || (rc = read_begin(db, &txn, err)))
        return rc;
    org_snapshot os;
    org_snap *snap;
    if ((rc = load_org(db, txn, org, a, t, REC_NOW, &os, &snap, err)) == 0) {
        out->ids = cw_arena_alloc(a, (os.n_ctls + 1) * sizeof *out->ids);
        out->states = cw_arena_alloc(a, (os.n_ctls + 1) * sizeof *out->states);
        if (!out->ids || !out->states) {
            rc = cw_err_set(err, CW_ENOMEM, "org: out of memory");
        } else {
            for (size_t i = 0; i < os.n_ctls; i++) {
                out->ids[i] = os.ctls[i].id;
                out->states[i] = os.st[i].state;
            }
            out->n = os.n_ctls;
            out->until = snap->until;
        }
    }
    read_end(db, txn);
    return rc;
}

/* ---- gap report ---- */

static void mark_under(const graph *g, uint32_t x, bool *mark)
{
    for (uint32_t j = 0; j < g->nodes[x].n_kids; j++) {
        mark[g->nodes[x].kids[j]] = true;
        mark_under(g, g->nodes[x].kids[j], mark);
    }
}

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
            sat[x] = true;
            /* a group satisfies what is under it; an assessable parent
             * does not satisfy its children */
            if (g_group(&g->nodes[x]))
                mark_under(g, x, sat);
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

/* Walks back from y0, and from each group above it (which gives full to
 * what is under it), collecting candidates in rv; an assessable parent in
 * between takes paths for itself only. */
static int rev_walk(rev *rv, uint32_t y0, int hops)
{
    const graph *g = rv->g;
    int rc = 0;
    for (uint32_t y = y0; y != G_NONE && !rc; y = g->nodes[y].parent) {
        if (y != y0 && !g_group(&g->nodes[y]))
            continue;
        rv->end_is_group = y != y0;
        rc = graph_walk(g, y, hops, true, rev_cb, rv);
    }
    return rc;
}

static int cand_cmp(const void *x, const void *y)
{
    const cw_gap_candidate *a = x, *b = y;
    if (a->gives != b->gives)
        return a->gives > b->gives ? -1 : 1;
    int c = strcmp(a->ref.framework, b->ref.framework);
    return c ? c : cw_id_cmp(a->ref.id, b->ref.id);
}

/* ---- the plan ---- */

/* A step the plan may take: one requirement (a crosswalk candidate that
 * would close gaps in full), or the missing members of one joint row. */
typedef struct pstep {
    bool joint;
    uint32_t node;     /* single step: the requirement */
    size_t je;         /* joint step: index into r->jevals */
    uint32_t *missing; /* joint step: members not met when the plan starts */
    size_t n_missing;
    uint64_t *bits; /* gaps it closes on its own */
    bool used;
} pstep;

typedef struct plan {
    const graph *g;
    cw_arena *a;
    const run *r;
    size_t ng, words;
    pstep *steps;
    size_t n_steps, cap;
    int32_t *single_of; /* node -> single step, -1 */
    bool *added;        /* requirements the plan has satisfied so far */
    /* node -> joint steps it may complete: a missing member at or under
     * it, or one it reaches in full by a path */
    uint32_t **jsteps_at;
    uint32_t *n_jsteps_at;
    /* missing member -> requirements whose satisfaction would make it met
     * through a path of at most max_hops - 1 steps (as member statuses are
     * computed) */
    uint32_t **reach;
    uint32_t *n_reach;
    bool *reach_done;
    uint64_t *remaining, *scratch;
    const bool *sat;
} plan;

static bool in_nodes(const uint32_t *nodes, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (nodes[i] == x)
            return true;
    return false;
}

/* x is added by the step (nodes) or an earlier one. */
static bool added(const plan *p, const uint32_t *nodes, size_t n, uint32_t x)
{
    return p->added[x] || in_nodes(nodes, n, x);
}

/* A group above x is added by the step (nodes) or an earlier one. */
static bool group_above_added(const plan *p, const uint32_t *nodes, size_t n, uint32_t x)
{
    for (uint32_t up = p->g->nodes[x].parent; up != G_NONE; up = p->g->nodes[up].parent)
        if (g_group(&p->g->nodes[up]) && added(p, nodes, n, up))
            return true;
    return false;
}

/* x is satisfied by the step (nodes) or earlier: itself, or a group above
 * it, is there. */
static bool satisfied_by(const plan *p, const uint32_t *nodes, size_t n, uint32_t x)
{
    return added(p, nodes, n, x) || group_above_added(p, nodes, n, x);
}

/* A path starts from x once the step (nodes) is taken: x itself is
 * satisfied, or x is assessable and a group above it is (a full link to a
 * group starts propagation from the group and from each assessable
 * requirement under it, not from a group nested in it). */
static bool propagates_from(const plan *p, const uint32_t *nodes, size_t n, uint32_t x)
{
    return added(p, nodes, n, x) ||
           (p->g->nodes[x].assessable && group_above_added(p, nodes, n, x));
}

/* Missing member m would be met once the step (nodes) is taken: it is
 * satisfied, or a requirement that then starts a path reaches it in full. */
static bool covers(const plan *p, const uint32_t *nodes, size_t n, uint32_t m)
{
    if (satisfied_by(p, nodes, n, m))
        return true;
    for (uint32_t i = 0; i < p->n_reach[m]; i++)
        if (propagates_from(p, nodes, n, p->reach[m][i]))
            return true;
    return false;
}

/* The step's requirements as they stand now (a joint step's missing
 * members less those already added). */
static size_t step_nodes(const plan *p, const pstep *st, uint32_t *out)
{
    if (!st->joint) {
        out[0] = st->node;
        return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < st->n_missing; i++)
        if (!covers(p, NULL, 0, st->missing[i]))
            out[n++] = st->missing[i];
    return n;
}

/* Gaps still open that taking nodes[0..n) would close, into p->scratch:
 * their own crosswalk candidates' gaps, and every joint row all of whose
 * missing members the step and earlier steps supply.  Returns the count. */
static size_t closes_now(plan *p, const uint32_t *nodes, size_t n)
{
    memset(p->scratch, 0, p->words * sizeof *p->scratch);
    for (size_t i = 0; i < n; i++) {
        int32_t s = p->single_of[nodes[i]];
        if (s >= 0)
            for (size_t w = 0; w < p->words; w++)
                p->scratch[w] |= p->steps[s].bits[w];
        for (uint32_t k = 0; k < p->n_jsteps_at[nodes[i]]; k++) {
            const pstep *K = &p->steps[p->jsteps_at[nodes[i]][k]];
            bool done = true;
            for (size_t m = 0; m < K->n_missing && done; m++)
                done = covers(p, nodes, n, K->missing[m]);
            if (done)
                for (size_t w = 0; w < p->words; w++)
                    p->scratch[w] |= K->bits[w];
        }
    }
    size_t cnt = 0;
    for (size_t w = 0; w < p->words; w++) {
        p->scratch[w] &= p->remaining[w];
        cnt += (size_t)__builtin_popcountll(p->scratch[w]);
    }
    return cnt;
}

/* Tie order between two steps with the same ratio: more gaps closed, then
 * fewer requirements, then the first requirement by framework and id, then
 * a single step before a joint one, then the joint row's target. */
static bool step_before(const plan *p, const pstep *a, size_t ca, size_t na, const uint32_t *fa,
                        const pstep *b, size_t cb, size_t nb, const uint32_t *fb)
{
    /* ca/na > cb/nb */
    if (ca * nb != cb * na)
        return ca * nb > cb * na;
    if (ca != cb)
        return ca > cb;
    if (na != nb)
        return na < nb;
    const g_node *x = &p->g->nodes[fa[0]], *y = &p->g->nodes[fb[0]];
    int c = strcmp(p->g->fws[x->fw], p->g->fws[y->fw]);
    if (c)
        return c < 0;
    if ((c = cw_id_cmp(x->id, y->id)))
        return c < 0;
    if (a->joint != b->joint)
        return !a->joint;
    if (a->joint)
        return cw_id_cmp(p->r->jevals[a->je].row.target_id, p->r->jevals[b->je].row.target_id) < 0;
    return false;
}

/* Whether a member can ever be made met by satisfying it. */
static bool member_reachable(const graph *g, uint32_t m)
{
    if (m == G_NONE)
        return false;
    const g_node *n = &g->nodes[m];
    if (n->withdrawn)
        return false;
    if (g_assessed(n))
        return true;
    if (!g_group(n))
        return false;
    for (uint32_t i = 0; i < n->n_kids; i++)
        if (g_assessed(&g->nodes[n->kids[i]]) || member_reachable(g, n->kids[i]))
            return true;
    return false;
}

/* Whether an open nonconformity keeps member m from ever being met: on m
 * itself, or, for a group, on an assessed requirement under it. */
static bool held_under(const run *r, uint32_t x)
{
    const g_node *n = &r->g->nodes[x];
    for (uint32_t i = 0; i < n->n_kids; i++)
        if ((g_assessed(&r->g->nodes[n->kids[i]]) && held_back(r, n->kids[i])) ||
            held_under(r, n->kids[i]))
            return true;
    return false;
}

static bool member_held(const run *r, uint32_t m)
{
    if (m == G_NONE)
        return false;
    const g_node *n = &r->g->nodes[m];
    return g_assessed(n) ? held_back(r, m) : g_group(n) && held_under(r, m);
}

static pstep *plan_add(plan *p)
{
    pstep *arr = cw_arena_grow(p->a, p->steps, sizeof *arr, &p->cap, p->n_steps + 1);
    uint64_t *bits = cw_arena_alloc(p->a, (p->words + 1) * sizeof *bits);
    if (!arr || !bits)
        return NULL;
    p->steps = arr;
    pstep *st = &arr[p->n_steps++];
    memset(st, 0, sizeof *st);
    st->bits = bits;
    return st;
}

/* The single step for requirement x, added when x has none yet; NULL when
 * out of memory. */
static pstep *single_step(plan *p, uint32_t x)
{
    if (p->single_of[x] < 0) {
        pstep *st = plan_add(p);
        if (!st)
            return NULL;
        st->node = x;
        p->single_of[x] = (int32_t)(p->n_steps - 1);
    }
    return &p->steps[p->single_of[x]];
}

static int index_jstep(plan *p, uint32_t node, uint32_t step)
{
    uint32_t n = p->n_jsteps_at[node];
    uint32_t *arr = cw_arena_alloc(p->a, (n + 1) * sizeof *arr);
    if (!arr)
        return CW_ENOMEM;
    if (n)
        memcpy(arr, p->jsteps_at[node], n * sizeof *arr);
    arr[n] = step;
    p->jsteps_at[node] = arr;
    p->n_jsteps_at[node] = n + 1;
    return 0;
}

/* Fills p->reach[m]: the requirements (not of the target framework, of
 * src_fw when given, not yet satisfied) with a full path of at most
 * max_hops - 1 steps to member m or to a group above it; each becomes a
 * single step of the plan if it is not one yet, since satisfying it would
 * make m met. */
static int member_reach(plan *p, uint32_t m, uint32_t src_fw)
{
    const graph *g = p->g;
    if (p->reach_done[m])
        return 0;
    p->reach_done[m] = true;
    int hops = p->r->hops - 1;
    if (hops < 1)
        return 0;
    rev rv = {g, p->a, p->r->fw, false, NULL, NULL, 0, 0, 0, 0};
    int rc = rev_walk(&rv, m, hops);
    if (rc)
        return rc;
    uint32_t *arr = cw_arena_alloc(p->a, (rv.n + 1) * sizeof *arr);
    if (!arr)
        return CW_ENOMEM;
    uint32_t n = 0;
    for (size_t i = 0; i < rv.n; i++) {
        uint32_t x = rv.cnode[i];
        if (rv.c[i].gives != CW_LEVEL_FULL || p->sat[x] || x == m ||
            (src_fw != G_NONE && g->nodes[x].fw != src_fw))
            continue;
        arr[n++] = x;
        if (!single_step(p, x))
            return CW_ENOMEM;
    }
    p->reach[m] = arr;
    p->n_reach[m] = n;
    return 0;
}

/* The greedy plan (§4): unsatisfied requirements of other frameworks (or
 * of src_fw), alone or as a joint row's missing members together, ranked
 * by remaining gaps closed in full per requirement added. */
static int make_plan(const run *r, cw_gap_report *out, const uint32_t *gap_node, const bool *sat,
                     uint32_t src_fw, cw_arena *a)
{
    const graph *g = r->g;
    plan P = {.g = g, .a = a, .r = r, .ng = out->n_gaps, .words = (out->n_gaps + 63) / 64};
    plan *p = &P;
    size_t ng = p->ng, words = p->words;
    p->single_of = cw_arena_alloc(a, (g->n + 1) * sizeof *p->single_of);
    p->added = cw_arena_alloc(a, g->n + 1);
    p->jsteps_at = cw_arena_alloc(a, (g->n + 1) * sizeof *p->jsteps_at);
    p->n_jsteps_at = cw_arena_alloc(a, (g->n + 1) * sizeof *p->n_jsteps_at);
    p->remaining = cw_arena_alloc(a, (words + 1) * sizeof *p->remaining);
    p->scratch = cw_arena_alloc(a, (words + 1) * sizeof *p->scratch);
    int32_t *gap_of = cw_arena_alloc(a, (g->n + 1) * sizeof *gap_of);
    p->reach = cw_arena_alloc(a, (g->n + 1) * sizeof *p->reach);
    p->n_reach = cw_arena_alloc(a, (g->n + 1) * sizeof *p->n_reach);
    p->reach_done = cw_arena_alloc(a, g->n + 1);
    if (!p->single_of || !p->added || !p->jsteps_at || !p->n_jsteps_at || !p->remaining ||
        !p->scratch || !gap_of || !p->reach || !p->n_reach || !p->reach_done)
        return CW_ENOMEM;
    p->sat = sat;
    for (size_t i = 0; i < g->n; i++)
        p->single_of[i] = gap_of[i] = -1;
    for (size_t gi = 0; gi < ng; gi++)
        gap_of[gap_node[gi]] = (int32_t)gi;
    /* single candidates */
    for (size_t gi = 0; gi < ng; gi++) {
        const cw_gap_item *item = &out->gaps[gi];
        for (size_t j = 0; j < item->n_cands; j++) {
            const cw_gap_candidate *c = &item->cands[j];
            uint32_t x;
            if (c->gives != CW_LEVEL_FULL || c->covered ||
                !graph_find(g, c->ref.framework, c->ref.id, &x) ||
                (src_fw != G_NONE && g->nodes[x].fw != src_fw))
                continue;
            pstep *st = single_step(p, x);
            if (!st)
                return CW_ENOMEM;
            st->bits[gi / 64] |= UINT64_C(1) << (gi % 64);
        }
    }
    /* joint steps: rows that would give met once their missing members are
     * satisfied */
    for (size_t k = 0; k < r->n_jevals; k++) {
        const cw_joint_eval *je = &r->jevals[k];
        const g_joint *J = &g->joints[r->jidx[k]];
        if ((J->rel != CW_REL_EQUAL && J->rel != CW_REL_SUPERSET_OF) ||
            (src_fw != G_NONE && J->sfw != src_fw))
            continue;
        bool ok = true;
        size_t nm = 0;
        for (uint32_t i = 0; i < J->n_members && ok; i++) {
            ok = member_reachable(g, J->members[i]) && !member_held(r, J->members[i]);
            nm += je->members[i].status != CW_ST_MET;
        }
        if (!ok || !nm)
            continue;
        uint32_t t = r->jnode[k];
        pstep *st = plan_add(p);
        uint32_t *miss = cw_arena_alloc(a, nm * sizeof *miss);
        if (!st || !miss)
            return CW_ENOMEM;
        st->joint = true;
        st->je = k;
        st->missing = miss;
        for (uint32_t i = 0; i < J->n_members; i++)
            if (je->members[i].status != CW_ST_MET)
                st->missing[st->n_missing++] = J->members[i];
        size_t closes = 0;
        if (gap_of[t] >= 0) {
            st->bits[gap_of[t] / 64] |= UINT64_C(1) << (gap_of[t] % 64);
            closes++;
        } else if (g_group(&g->nodes[t])) {
            uint32_t *lv = NULL;
            size_t nl = 0, lcap = 0;
            if (graph_assessable_under(g, t, a, &lv, &nl, &lcap))
                return CW_ENOMEM;
            for (size_t j = 0; j < nl; j++)
                if (gap_of[lv[j]] >= 0) {
                    st->bits[gap_of[lv[j]] / 64] |= UINT64_C(1) << (gap_of[lv[j]] % 64);
                    closes++;
                }
        }
        if (!closes) {
            p->n_steps--;
            continue;
        }
        uint32_t si = (uint32_t)(p->n_steps - 1);
        for (size_t m = 0; m < st->n_missing; m++) {
            uint32_t mm = st->missing[m];
            if (member_reach(p, mm, src_fw))
                return CW_ENOMEM;
            st = &p->steps[si]; /* member_reach may add steps */
            for (uint32_t u = mm; u != G_NONE; u = g->nodes[u].parent)
                if (index_jstep(p, u, si))
                    return CW_ENOMEM;
            for (uint32_t i = 0; i < p->n_reach[mm]; i++)
                for (uint32_t u = p->reach[mm][i]; u != G_NONE; u = g->nodes[u].parent)
                    if (index_jstep(p, u, si))
                        return CW_ENOMEM;
        }
    }
    /* A group candidate also closes what the assessable requirements under
     * it close, since satisfying a group at full starts propagation from
     * each of them. */
    for (size_t i = 0; i < p->n_steps; i++) {
        if (p->steps[i].joint || !g_group(&g->nodes[p->steps[i].node]))
            continue;
        uint32_t *lv = NULL;
        size_t nl = 0, lcap = 0;
        if (graph_assessable_under(g, p->steps[i].node, a, &lv, &nl, &lcap))
            return CW_ENOMEM;
        for (size_t j = 0; j < nl; j++)
            if (p->single_of[lv[j]] >= 0)
                for (size_t w = 0; w < words; w++)
                    p->steps[i].bits[w] |= p->steps[p->single_of[lv[j]]].bits[w];
    }
    /* a gap an open nonconformity holds is closed by no step (§6.3) */
    for (size_t gi = 0; gi < ng; gi++)
        if (!out->gaps[gi].held)
            p->remaining[gi / 64] |= UINT64_C(1) << (gi % 64);
    /* what the organisation satisfies already counts as added */
    for (size_t i = 0; i < g->n; i++)
        p->added[i] = sat[i];
    out->plan = cw_arena_alloc(a, (p->n_steps + 1) * sizeof *out->plan);
    uint32_t *cur = cw_arena_alloc(a, (CW_MAX_JOINT + 1) * sizeof *cur);
    uint32_t *best_nodes = cw_arena_alloc(a, (CW_MAX_JOINT + 1) * sizeof *best_nodes);
    if (!out->plan || !cur || !best_nodes)
        return CW_ENOMEM;
    for (;;) {
        size_t best = SIZE_MAX, best_c = 0, best_n = 0;
        for (size_t i = 0; i < p->n_steps; i++) {
            pstep *st = &p->steps[i];
            if (st->used)
                continue;
            size_t n = step_nodes(p, st, cur);
            if (!n || (!st->joint && satisfied_by(p, NULL, 0, st->node)))
                continue;
            size_t c = closes_now(p, cur, n);
            if (!c)
                continue;
            if (best == SIZE_MAX ||
                step_before(p, st, c, n, cur, &p->steps[best], best_c, best_n, best_nodes)) {
                best = i;
                best_c = c;
                best_n = n;
                memcpy(best_nodes, cur, n * sizeof *cur);
            }
        }
        if (best == SIZE_MAX)
            break;
        pstep *st = &p->steps[best];
        st->used = true;
        closes_now(p, best_nodes, best_n);
        cw_plan_step *ps = &out->plan[out->n_plan++];
        ps->adds = cw_arena_alloc(a, best_n * sizeof *ps->adds);
        ps->add_titles = cw_arena_alloc(a, best_n * sizeof *ps->add_titles);
        ps->closes = cw_arena_alloc(a, (best_c + 1) * sizeof *ps->closes);
        if (!ps->adds || !ps->add_titles || !ps->closes)
            return CW_ENOMEM;
        for (size_t i = 0; i < best_n; i++) {
            const g_node *nb = &g->nodes[best_nodes[i]];
            ps->adds[i] = (cw_ref){g->fws[nb->fw], nb->id};
            ps->add_titles[i] = nb->title;
            p->added[best_nodes[i]] = true;
        }
        ps->n_adds = best_n;
        ps->ref = ps->adds[0];
        ps->title = ps->add_titles[0];
        ps->joint = st->joint ? &r->jevals[st->je] : NULL;
        for (size_t gi = 0; gi < ng; gi++) {
            uint64_t bit = UINT64_C(1) << (gi % 64);
            if (p->scratch[gi / 64] & bit) {
                ps->closes[ps->n_closes++] = out->gaps[gi].id;
                p->remaining[gi / 64] &= ~bit;
            }
        }
        out->closable += ps->n_closes;
    }
    return 0;
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
        return CW_ENOMEM;
    out->target = g->fws[qc.fw];
    out->max_hops = hops;
    memcpy(out->counts, cov.counts, sizeof out->counts);
    out->assessable = cov.assessable;
    out->percent = cov.percent;

    /* Gaps, with their candidates, the controls that touch them and the
     * joint rows that reach them. */
    out->gaps = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *out->gaps);
    uint32_t *gap_node = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *gap_node);
    if (!out->gaps || !gap_node)
        return CW_ENOMEM;
    for (size_t i = 0; i < cov.n_reqs; i++) {
        const cw_req_status *rs = &cov.reqs[i];
        if (rs->status == CW_ST_MET || rs->status == CW_ST_NOT_APPLICABLE)
            continue;
        uint32_t y0 = r.reqs[i];
        cw_gap_item *gi = &out->gaps[out->n_gaps];
        gap_node[out->n_gaps++] = y0;
        gi->id = rs->id;
        gi->title = rs->title;
        gi->group = rs->group;
        gi->status = rs->status;
        gi->findings = rs->findings;
        gi->n_findings = rs->n_findings;
        gi->held = held_back(&r, y0);
        /* Paths reach the gap itself, or a group above it. */
        rev rv = {g, a, qc.fw, false, NULL, NULL, 0, 0, 0, 0};
        if ((rc = rev_walk(&rv, y0, hops)))
            return CW_ENOMEM;
        for (size_t j = 0; j < rv.n; j++)
            rv.c[j].covered = sat[rv.cnode[j]];
        if (rv.n)
            qsort(rv.c, rv.n, sizeof *rv.c, cand_cmp);
        gi->cands = rv.c;
        gi->n_cands = rv.n;
        gi->controls = cw_arena_alloc(a, (rs->n_contribs + 1) * sizeof *gi->controls);
        if (!gi->controls)
            return CW_ENOMEM;
        for (size_t j = 0; j < rs->n_contribs; j++) {
            const cw_contribution *c = &rs->contribs[j];
            if (!c->control)
                continue; /* a joint contribution is listed with the joint rows */
            const cw_control *ctl = NULL;
            for (size_t k = 0; k < qc.os.n_ctls && !ctl; k++)
                if (strcmp(qc.os.ctls[k].id, c->control) == 0)
                    ctl = &qc.os.ctls[k];
            gi->controls[gi->n_controls++] = (cw_gap_control){
                c->control, ctl ? ctl->status : CW_CTL_NOT_IMPLEMENTED, c->state, c->level, c->via,
                c->link};
        }
        size_t nj = 0;
        for (size_t k = 0; k < r.n_jevals; k++)
            for (uint32_t y = y0; y != G_NONE; y = g->nodes[y].parent)
                if (r.jnode[k] == y && (y == y0 || g_group(&g->nodes[y])))
                    nj++;
        if (nj) {
            gi->joints = cw_arena_alloc(a, nj * sizeof *gi->joints);
            if (!gi->joints)
                return CW_ENOMEM;
            for (size_t k = 0; k < r.n_jevals; k++)
                for (uint32_t y = y0; y != G_NONE; y = g->nodes[y].parent)
                    if (r.jnode[k] == y && (y == y0 || g_group(&g->nodes[y])))
                        gi->joints[gi->n_joints++] = &r.jevals[k];
        }
    }
    if (make_plan(&r, out, gap_node, sat, src_fw, a))
        return CW_ENOMEM;
    /* corrective actions overdue on the target's requirements */
    const org_snap *fx = qc.os.fx;
    const cw_audit_finding **od = cw_arena_alloc(a, (fx->n_overdue + 1) * sizeof *od);
    if (!od)
        return CW_ENOMEM;
    for (size_t i = 0; i < fx->n_overdue; i++)
        if (strcmp(fx->overdue[i]->framework, out->target) == 0)
            od[out->n_overdue++] = fx->overdue[i];
    out->overdue = od;
    return 0;
}

int cw_gap_report_get(cw_db *db, const cw_gap_query *q, cw_arena *a, cw_gap_report *out,
                      cw_err *err)
{
    memset(out, 0, sizeof *out);
    int hops, rc;
    qctx qc;
    if ((rc = check_org_query(q->org, q->max_hops, CW_DEFAULT_HOPS_GAP, &hops, err)) ||
        (q->source && (rc = cw_check_name("source", q->source, CW_MAX_SLUG, err))) ||
        (rc = qctx_open(&qc, db, q->org, q->target, "target", q->as_of,
                        q->as_recorded ? q->as_of : REC_NOW, a, err)))
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
    if ((rc = answer(&qc, key, gap_compute, &ga, sizeof *out, a, out, &id, "gap", err)))
        return rc;
    out->org = qc.os.org;
    out->source = q->source;
    out->as_of = q->as_of;
    out->answer_id = id;
    return 0;
}

/* ---- framework compare ---- */

typedef struct cmp_run {
    cw_arena *a;
    const int32_t *pos;
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

/* Compare's path_walk reach. */
static void cmp_reach(void *ctx, uint32_t leaf, cw_level level, const cw_path *p, const char *group)
{
    (void)group;
    cmp_add(ctx, leaf, level, p);
}

/* Compare's organisation: one effective control linking every requirement
 * of the source framework (groups and withdrawn ones included) at full. */
static int everything_of(const graph *g, uint32_t sfw, cw_arena *a, ctl_set *out)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        n += g->nodes[i].fw == sfw;
    cw_control *c = cw_arena_alloc(a, sizeof *c);
    cw_control_state *st = cw_arena_alloc(a, sizeof *st);
    cw_link *links = cw_arena_alloc(a, (n + 1) * sizeof *links);
    if (!c || !st || !links)
        return CW_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->nodes[i].fw == sfw)
            links[k++] = (cw_link){g->fws[sfw], g->nodes[i].id, CW_LEVEL_FULL};
    *c =
        (cw_control){.id = g->fws[sfw], .status = CW_CTL_IMPLEMENTED, .links = links, .n_links = k};
    *st = (cw_control_state){.state = CW_STATE_EFFECTIVE};
    *out = (ctl_set){c, st, 1, false};
    return 0;
}

/* The comparison of framework sfw with qc's target, computed into a. */
static int compare_compute(const qctx *qcp, uint32_t sfw, int hops, cw_arena *a, cw_compare *out)
{
    const qctx qc = *qcp;
    const graph *g = qc.g;
    int rc;
    run r;
    ctl_set cs;
    if ((rc = run_init(&r, g, a, qc.fw, hops, false)) || (rc = everything_of(g, sfw, a, &cs)))
        return CW_ENOMEM;
    memset(out, 0, sizeof *out);
    out->source = g->fws[sfw];
    out->target = g->fws[qc.fw];
    out->max_hops = hops;
    out->assessable = out->n_items = r.n_reqs;
    out->items = cw_arena_alloc(a, (r.n_reqs + 1) * sizeof *out->items);
    if (!out->items)
        return CW_ENOMEM;
    for (size_t i = 0; i < r.n_reqs; i++) {
        const g_node *n = &g->nodes[r.reqs[i]];
        out->items[i].id = n->id;
        out->items[i].title = n->title;
        out->items[i].group = g->nodes[graph_root(g, r.reqs[i])].id;
        /* Comparing a framework with itself: each requirement satisfies
         * itself. */
        if (sfw == qc.fw) {
            out->items[i].level = CW_LEVEL_FULL;
            out->items[i].n_paths_total = 1;
        }
    }
    cmp_run c = {a, r.pos, out->items, 0};
    path_walk pw = {g, r.pos, qc.fw, a, true, cmp_reach, &c, &c.err};
    for (size_t i = 0; i < g->n && sfw != qc.fw; i++) {
        if (g->nodes[i].fw != sfw)
            continue;
        if ((rc = graph_walk(g, (uint32_t)i, hops, false, on_path, &pw)))
            return CW_ENOMEM;
    }
    /* Joint rows into the target, their members judged as the same
     * everything-of-source organisation would be. */
    if ((rc = collect_joints(&r, &cs)))
        return CW_ENOMEM;
    for (size_t i = 0; i < r.n_reqs; i++) {
        cw_compare_item *it = &out->items[i];
        cw_level jl;
        cw_ctl_state unused;
        status_parts(r.acc[i].best, &jl, &unused);
        if (jl > it->level) {
            it->level = jl;
            it->n_paths = it->n_paths_total = 0;
        }
        if (jl == CW_LEVEL_NONE || jl != it->level)
            continue;
        /* the joint rows that give this level, to it or a group above it */
        size_t nj = 0;
        const cw_joint_eval **js = cw_arena_alloc(a, (r.n_jevals + 1) * sizeof *js);
        if (!js)
            return CW_ENOMEM;
        for (size_t k = 0; k < r.n_jevals; k++) {
            const cw_joint_eval *je = &r.jevals[k];
            if (!je->gives_any || je->gives != (jl == CW_LEVEL_FULL ? CW_ST_MET : CW_ST_PARTIAL))
                continue;
            for (uint32_t y = r.reqs[i]; y != G_NONE; y = g->nodes[y].parent)
                if (r.jnode[k] == y &&
                    (y == r.reqs[i] || (g_group(&g->nodes[y]) && je->gives == CW_ST_MET))) {
                    js[nj++] = je;
                    break;
                }
        }
        it->joints = js;
        it->n_joints = nj;
    }
    for (size_t i = 0; i < r.n_reqs; i++) {
        if (out->items[i].level == CW_LEVEL_FULL)
            out->full++;
        else if (out->items[i].level == CW_LEVEL_PARTIAL)
            out->partial++;
        else
            out->unreached++;
    }
    return 0;
}

int cw_framework_compare(cw_db *db, const cw_compare_query *q, cw_arena *a, cw_compare *out,
                         cw_err *err)
{
    memset(out, 0, sizeof *out);
    int hops, rc;
    if ((rc = check_hops(q->max_hops, CW_DEFAULT_HOPS_COMPARE, &hops, err)))
        return rc;
    if ((rc = cw_check_name("source", q->source, CW_MAX_SLUG, err)))
        return rc;
    qctx qc;
    if ((rc = qctx_open(&qc, db, NULL, q->target, "target", 0, q->has_as_of ? q->as_of : REC_NOW, a,
                        err)))
        return rc;
    uint32_t sfw = graph_fw(qc.g, q->source);
    if (sfw == G_NONE) {
        qctx_close(&qc);
        return cw_err_set(err, CW_ENOFW, "source: no framework '%s'", q->source);
    }
    /* Compare depends on the catalogues alone: computed once per graph
     * generation and kept with the graph. */
    char key[64];
    snprintf(key, sizeof key, "compare %u %u %d", sfw, qc.fw, hops);
    uint64_t id = 0;
    const cw_compare *m = memo_get(&qc.g->memo, 0, key, &id);
    if (m) {
        *out = *m;
    } else {
        cw_arena *w = cw_arena_new();
        cw_compare *res = w ? cw_arena_alloc(w, sizeof *res) : NULL;
        rc = res ? compare_compute(&qc, sfw, hops, w, res) : CW_ENOMEM;
        if (rc) {
            cw_arena_free(w);
        } else {
            *out = *res;
            rc = memo_put(&qc.g->memo, 0, key, w, res, a, &id);
        }
    }
    qctx_close(&qc);
    if (rc)
        return cw_err_set(err, CW_ENOMEM, "compare: out of memory");
    out->answer_id = id;
    return 0;
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
        for (size_t k = 0; k < os->n_ctls && rs->contribs[i].control; k++)
            if (strcmp(os->ctls[k].id, rs->contribs[i].control) == 0 &&
                os->ctls[k].status == CW_CTL_PLANNED)
                return "planned";
    return "not implemented";
}

static bool in_list(const char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], s) == 0)
            return true;
    return false;
}

/* Appends s to l (room made by the caller) unless it is there. */
static void add_once(const char **l, size_t *n, const char *s)
{
    if (!in_list(l, *n, s))
        l[(*n)++] = s;
}

int cw_req_sources_get(const cw_req_status *rs, cw_arena *a, cw_req_sources *out)
{
    memset(out, 0, sizeof *out);
    /* A joint contribution is implemented by the controls behind its
     * members' statuses. */
    size_t nctl = 0, nev = 0;
    for (size_t j = 0; j < rs->n_contribs; j++) {
        const cw_contribution *c = &rs->contribs[j];
        nctl++;
        nev += c->n_evidence;
        for (size_t m = 0; c->joint && m < c->joint->n_members; m++)
            if (c->joint->members[m].contribution) {
                nctl++;
                nev += c->joint->members[m].contribution->n_evidence;
            }
    }
    out->reaching = cw_arena_alloc(a, (nctl + 1) * sizeof(char *));
    out->controls = cw_arena_alloc(a, (nctl + 1) * sizeof(char *));
    out->evidence = cw_arena_alloc(a, (nev + 1) * sizeof(char *));
    if (!out->reaching || !out->controls || !out->evidence)
        return CW_ENOMEM;
    for (size_t j = 0; j < rs->n_contribs; j++) {
        const cw_contribution *c = &rs->contribs[j];
        size_t nm = c->joint ? c->joint->n_members : 0;
        for (size_t m = 0; m <= nm; m++) {
            const cw_contribution *x = m < nm ? c->joint->members[m].contribution : c;
            if (!x || !x->control)
                continue;
            add_once(out->reaching, &out->n_reaching, x->control);
            if (x->state == CW_STATE_INACTIVE)
                continue;
            add_once(out->controls, &out->n_controls, x->control);
            for (size_t k = 0; k < x->n_evidence; k++)
                add_once(out->evidence, &out->n_evidence, x->evidence[k]);
        }
    }
    return 0;
}

/* The risks of the organisation, and what the SoA gathers across rows:
 * every control that reaches an Annex A row (planned ones too). */
typedef struct soa_risks {
    const cw_risk *risks;
    size_t n_risks;
    const char **reaching;
    size_t n_reaching;
} soa_risks;

/* Why row it is in (§6.2): the reasons its scope decision records, and
 * "risk" when a risk names one of the controls that reach it (ctl[0..n),
 * planned ones included); and whether the row can be stood behind. */
static int soa_reasons(cw_soa *out, cw_soa_item *it, const cw_scope *sc, const char *const *ctl,
                       size_t n, soa_risks *sr, cw_arena *a)
{
    it->risks = cw_arena_alloc(a, (sr->n_risks + 1) * sizeof *it->risks);
    if (!it->risks)
        return CW_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        add_once(sr->reaching, &sr->n_reaching, ctl[j]);
        for (size_t k = 0; it->applicable && k < sr->n_risks; k++)
            if (in_list(sr->risks[k].controls.v, sr->risks[k].controls.n, ctl[j]))
                add_once(it->risks, &it->n_risks, sr->risks[k].id);
    }
    if (it->applicable)
        it->reasons = (sc ? sc->reasons : 0) | (it->n_risks ? CW_REASON_RISK : 0);
    const char *why = it->applicable && !it->reasons ? "included without a reason"
                      : !it->applicable && !(sc && sc->justification && *sc->justification)
                          ? "excluded without a justification"
                          : NULL;
    if (why)
        out->unjustified[out->n_unjustified++] = (cw_soa_issue){it->id, why};
    return 0;
}

/* The controls that reach some row and that no risk names. */
static int soa_untreating(cw_soa *out, const soa_risks *sr, cw_arena *a)
{
    out->untreating = cw_arena_alloc(a, (sr->n_reaching + 1) * sizeof *out->untreating);
    if (!out->untreating)
        return CW_ENOMEM;
    for (size_t j = 0; j < sr->n_reaching; j++) {
        bool named = false;
        for (size_t k = 0; k < sr->n_risks && !named; k++)
            named = in_list(sr->risks[k].controls.v, sr->risks[k].controls.n, sr->reaching[j]);
        if (!named)
            out->untreating[out->n_untreating++] = sr->reaching[j];
    }
    return 0;
}

static int soa_compute(qctx *qcp, const void *query, cw_arena *a, void *res)
{
    (void)query;
    cw_soa *out = res;
    const qctx qc = *qcp;
    int rc;
    run r;
    cw_coverage cov = {0};
    cw_risk *risks;
    size_t nrisks;
    if ((rc = run_init(&r, qc.g, a, qc.fw, CW_DEFAULT_HOPS_COVERAGE, true)) ||
        (rc = collect_all(&r, &qc.os, true)) || (rc = shape_coverage(&r, &qc.os, a, &cov)) ||
        (rc = risks_of(qc.txn, qc.db, qc.os.org, a, &risks, &nrisks)))
        return rc == CW_ENOMEM ? CW_ENOMEM : rc;
    out->items = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *out->items);
    out->unjustified = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *out->unjustified);
    soa_risks sr = {risks, nrisks, cw_arena_alloc(a, (qc.os.n_ctls + 1) * sizeof(char *)), 0};
    if (!out->items || !out->unjustified || !sr.reaching)
        return CW_ENOMEM;
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
        cw_req_sources src;
        if ((rc = cw_req_sources_get(rs, a, &src)) ||
            (rc = soa_reasons(out, it, scope_for(&qc.os, rs->id), src.reaching, src.n_reaching, &sr,
                              a)))
            return rc;
        it->controls = src.controls;
        it->n_controls = src.n_controls;
        it->evidence = src.evidence;
        it->n_evidence = src.n_evidence;
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
                return CW_ENOMEM;
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
    return soa_untreating(out, &sr, a);
}

int cw_soa_get(cw_db *db, const char *org, cw_time as_of, bool as_recorded, cw_arena *a,
               cw_soa *out, cw_err *err)
{
    memset(out, 0, sizeof *out);
    int rc;
    if (!org)
        return cw_err_set(err, CW_EINVAL, "org: must be a non-empty string");
    qctx qc;
    if ((rc = qctx_open(&qc, db, org, "iso27001-2022", "framework", as_of,
                        as_recorded ? as_of : REC_NOW, a, err))) {
        if (rc == CW_ENOFW)
            cw_err_set(err, CW_ENOFW,
                       "framework: the iso27001-2022 catalogue is not loaded; the Statement of "
                       "Applicability needs it");
        return rc;
    }
    uint64_t id;
    /* the snapshot outlives qc: a holds it */
    const org_snap *snap = qc.snap;
    if ((rc = answer(&qc, "soa", soa_compute, NULL, sizeof *out, a, out, &id, "soa", err)))
        return rc;
    out->org = qc.os.org;
    out->as_of = as_of;
    out->sequence = snap->gen;
    return 0;
}
