/* The history methods: coverage.diff (which requirements changed status
 * between two times, and what changed under each), coverage.period
 * (whether each requirement held throughout a period, and the stretches
 * when it did not, with what began each) and history.compact.  Both
 * queries judge the records as they were recorded at each time by
 * default (the engine's history), evidence and findings by their own
 * dates; as_recorded: false judges today's records instead.  A period is
 * walked from one instant at which an answer can change to the next, as
 * the engine reports them (an evidence window, a finding's dates, the
 * next recorded write), so nothing between two instants is missed. */
#include "pack.h"
#include "server.h"

#include "crosswalk/changelog.h"
#include "crosswalk/history.h"
#include "crosswalk/query.h"
#include "crosswalk/strmap.h"

#include <stdio.h>
#include <string.h>

/* Bounds one call: a year of daily evidence under many controls stays
 * well below it; beyond it the answer says where to resume. */
#define PERIOD_STEPS_MAX 20000
/* Log entries named as the writes behind one change. */
#define WRITES_NAMED 8

/* A requirement's status counts as held when it is met or out of scope. */
static bool held(cw_status s)
{
    return s == CW_ST_MET || s == CW_ST_NOT_APPLICABLE;
}

/* The sequences of the change log entries written in second t that touch
 * org or a catalogue (at most WRITES_NAMED), into seqs; how many. */
static size_t writes_at(cw_call *k, const char *org, cw_time t, int64_t *seqs)
{
    uint64_t since;
    cw_err e = {0};
    if (cw_log_seq_at(k->db, (int64_t)t * 1000000, &since, &e) || !since)
        return 0;
    cw_log_entry *es;
    size_t n, got = 0;
    uint64_t next;
    if (cw_log_list(k->db, NULL, since - 1, 64, k->a, &es, &n, &next, &e))
        return 0;
    for (size_t i = 0; i < n && got < WRITES_NAMED; i++) {
        if (es[i].at_us >= ((int64_t)t + 1) * 1000000)
            break;
        if (es[i].checkpoint)
            continue;
        bool mine = es[i].catalogue;
        for (size_t j = 0; !mine && j < es[i].n_orgs; j++)
            mine = es[i].orgs[j] && strcmp(es[i].orgs[j], org) == 0;
        if (mine)
            seqs[got++] = (int64_t)es[i].seq;
    }
    return got;
}

/* What began a stretch: the start of the period, writes recorded in its
 * first second, or the passing of time (evidence collected or expiring, a
 * finding raised, closed or falling overdue). */
static void pk_cause(cw_call *k, msgpack_packer *pk, const char *org, cw_time at, bool start)
{
    if (start) {
        msgpack_pack_map(pk, 1);
        pk_kv_str(pk, "kind", "start");
        return;
    }
    int64_t seqs[WRITES_NAMED];
    size_t n = writes_at(k, org, at, seqs);
    msgpack_pack_map(pk, n ? 2 : 1);
    pk_kv_str(pk, "kind", n ? "write" : "time");
    if (n) {
        pk_key(pk, "writes");
        msgpack_pack_array(pk, n);
        for (size_t i = 0; i < n; i++)
            msgpack_pack_int64(pk, seqs[i]);
    }
}

/* What coverage.period and coverage.diff take alike: the end of the
 * span (now unless given; not before from) and whether to judge the
 * records as recorded at each time (the default for both). */
static int span_args(bool has_to, cw_time to_arg, cw_time from, bool has_rec, bool rec_arg,
                     cw_time *to, bool *rec, cw_err *err)
{
    *to = has_to ? to_arg : cw_now();
    *rec = !has_rec || rec_arg;
    return *to < from ? cw_err_set(err, CW_EINVAL, "to: before from") : 0;
}

/* ---- coverage.period ---- */

typedef struct stretch {
    cw_time from, to; /* to: INT64_MAX while open */
    cw_status status;
    bool start;
} stretch;

typedef struct req_track {
    const char *id, *title;
    cw_status first, now;
    stretch *s;
    size_t n, cap;
} req_track;

typedef struct period {
    cw_arena *a;
    cw_strmap idx;
    req_track *r;
    size_t n, cap;
} period;

static int track(period *p, const cw_req_status *rs, cw_time at, bool start)
{
    size_t i;
    if (!cw_strmap_get(&p->idx, rs->id, strlen(rs->id), &i)) {
        req_track *grown = cw_arena_grow(p->a, p->r, sizeof *grown, &p->cap, p->n + 1);
        if (!grown)
            return CW_ENOMEM;
        p->r = grown;
        i = p->n++;
        /* copied: the answer it comes from is freed after its step */
        const char *id = cw_arena_strdup(p->a, rs->id);
        const char *title = rs->title ? cw_arena_strdup(p->a, rs->title) : NULL;
        if (!id || (rs->title && !title))
            return CW_ENOMEM;
        p->r[i] = (req_track){id, title, rs->status, rs->status, NULL, 0, 0};
        if (cw_strmap_put(&p->idx, id, strlen(id), i, NULL) < 0)
            return CW_ENOMEM;
    } else if (p->r[i].now == rs->status) {
        return 0;
    } else {
        req_track *t = &p->r[i];
        if (t->n && t->s[t->n - 1].to == INT64_MAX)
            t->s[t->n - 1].to = at;
        t->now = rs->status;
    }
    req_track *t = &p->r[i];
    if (held(rs->status))
        return 0;
    stretch *grown = cw_arena_grow(p->a, t->s, sizeof *grown, &t->cap, t->n + 1);
    if (!grown)
        return CW_ENOMEM;
    t->s = grown;
    t->s[t->n++] = (stretch){at, INT64_MAX, rs->status, start};
    return 0;
}

int cw_h_coverage_period(cw_call *k, const cw_args_coverage_period *args, msgpack_packer *pk,
                         cw_err *err)
{
    cw_time to;
    bool rec;
    int rc = span_args(args->has_to, args->to, args->from, args->has_as_recorded, args->as_recorded,
                       &to, &rec, err);
    if (rc)
        return rc;
    cw_coverage_query q = {args->org, args->framework, args->from, args->max_hops, false, rec};
    cw_coverage cur;
    if ((rc = cw_coverage_get(k->db, &q, k->a, &cur, err)))
        return rc;
    period p = {k->a, {0}, NULL, 0, 0};
    if (cw_strmap_init(&p.idx, k->a, cur.n_reqs + 1))
        return cw_err_set(err, CW_ENOMEM, "out of memory");
    for (size_t i = 0; i < cur.n_reqs; i++)
        if (track(&p, &cur.reqs[i], args->from, true))
            return cw_err_set(err, CW_ENOMEM, "out of memory");
    size_t steps = 0;
    bool complete = true;
    cw_time until = cur.until, at = cur.as_of;
    /* each instant's answer in an arena of its own, freed once tracked:
     * a year of instants would otherwise hold a year of answers */
    while (until <= to) {
        if (steps == PERIOD_STEPS_MAX) {
            complete = false;
            break;
        }
        q.as_of = until;
        cw_arena *step = cw_arena_new();
        if (!step)
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        cw_coverage nx;
        if ((rc = cw_coverage_get(k->db, &q, step, &nx, err))) {
            cw_arena_free(step);
            return rc;
        }
        for (size_t i = 0; i < nx.n_reqs && !rc; i++)
            rc = track(&p, &nx.reqs[i], nx.as_of, false);
        until = nx.until;
        at = nx.as_of;
        cw_arena_free(step);
        if (rc)
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        steps++;
    }
    cw_time end = complete ? to : at;
    size_t held_all = 0;
    for (size_t i = 0; i < p.n; i++)
        held_all += p.r[i].n == 0;
    msgpack_pack_map(pk, complete ? 10 : 11);
    pk_kv_str(pk, "org", args->org);
    pk_kv_str(pk, "framework", cur.framework);
    pk_kv_time(pk, "from", args->from);
    pk_kv_time(pk, "to", end);
    pk_kv_bool(pk, "as_recorded", rec);
    pk_kv_int(pk, "instants", (int64_t)steps);
    pk_kv_bool(pk, "complete", complete);
    if (!complete)
        pk_kv_time(pk, "resume_from", at);
    pk_kv_int(pk, "held_throughout", (int64_t)held_all);
    pk_kv_int(pk, "not_held", (int64_t)(p.n - held_all));
    pk_key(pk, "requirements");
    msgpack_pack_array(pk, p.n);
    for (size_t i = 0; i < p.n; i++) {
        req_track *t = &p.r[i];
        msgpack_pack_map(pk, 6);
        pk_kv_str(pk, "id", t->id);
        pk_kv_str(pk, "title", t->title);
        pk_kv_bool(pk, "held_throughout", t->n == 0);
        pk_kv_str(pk, "start", cw_status_name(t->first));
        pk_kv_str(pk, "end", cw_status_name(t->now));
        pk_key(pk, "not_held");
        msgpack_pack_array(pk, t->n);
        for (size_t j = 0; j < t->n; j++) {
            stretch *s = &t->s[j];
            msgpack_pack_map(pk, 4);
            pk_kv_time(pk, "from", s->from);
            pk_kv_time(pk, "to", s->to == INT64_MAX || s->to > end ? end : s->to);
            pk_kv_str(pk, "status", cw_status_name(s->status));
            pk_key(pk, "cause");
            pk_cause(k, pk, args->org, s->from, s->start);
        }
    }
    return 0;
}

/* ---- coverage.diff ---- */

static const cw_contribution *contrib_of(const cw_req_status *r, const char *control)
{
    for (size_t i = 0; r && i < r->n_contribs; i++)
        if (r->contribs[i].control && strcmp(r->contribs[i].control, control) == 0)
            return &r->contribs[i];
    return NULL;
}

static bool has_str(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* The evidence ids in a's list and not in b's. */
static size_t only_in(const cw_contribution *a, const cw_contribution *b, const char **out,
                      size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; a && i < a->n_evidence && n < cap; i++)
        if (!b || !has_str(b->evidence, b->n_evidence, a->evidence[i]))
            out[n++] = a->evidence[i];
    return n;
}

typedef struct cause {
    const char *kind, *id, *change;
    const char *ev_in[16], *ev_out[16];
    size_t n_in, n_out;
    cw_ctl_state s_from, s_to;
    bool states;
} cause;

/* What differs under one requirement between its answer at from (a) and
 * at to (b): the controls that contribute, their states and deciding
 * evidence, how a control reaches it (a link or a crosswalk path), its
 * scope decision and its open findings. */
static size_t causes_of(cw_arena *ar, const cw_req_status *a, const cw_req_status *b, cause *out,
                        size_t cap)
{
    size_t n = 0;
    for (int side = 0; side < 2; side++) {
        const cw_req_status *x = side ? b : a, *y = side ? a : b;
        for (size_t i = 0; x && i < x->n_contribs && n < cap; i++) {
            const cw_contribution *c = &x->contribs[i];
            if (!c->control) {
                /* a joint row: matched by its position among the joint
                 * contributions, compared by the members in place */
                const cw_contribution *o = NULL;
                size_t nth = 0, seen = 0;
                for (size_t j = 0; j < i; j++)
                    nth += x->contribs[j].control == NULL;
                for (size_t j = 0; y && j < y->n_contribs && !o; j++)
                    if (y->contribs[j].control == NULL && seen++ == nth)
                        o = &y->contribs[j];
                if (!o) {
                    out[n++] =
                        (cause){.kind = "joint_row",
                                .id = x->id,
                                .change = side ? "now contributes" : "no longer contributes"};
                } else if (!side && c->joint && o->joint &&
                           (c->joint->n_met != o->joint->n_met || c->gives != o->gives)) {
                    char *m = cw_arena_alloc(ar, 96);
                    if (m)
                        snprintf(m, 96, "members in place: %zu of %zu, then %zu of %zu",
                                 c->joint->n_met, c->joint->n_members, o->joint->n_met,
                                 o->joint->n_members);
                    out[n++] = (cause){.kind = "joint_row", .id = x->id, .change = m};
                }
                continue;
            }
            const cw_contribution *o = contrib_of(y, c->control);
            if (!o) {
                out[n++] = (cause){.kind = "control",
                                   .id = c->control,
                                   .change = side ? "now contributes" : "no longer contributes"};
                continue;
            }
            if (side)
                continue; /* both sides: compared once */
            cause e = {.kind = "control", .id = c->control, .change = NULL};
            e.n_in = only_in(o, c, e.ev_in, 16);
            e.n_out = only_in(c, o, e.ev_out, 16);
            if (c->state != o->state) {
                e.states = true;
                e.s_from = c->state;
                e.s_to = o->state;
            }
            bool path_changed = c->via != o->via || (c->path == NULL) != (o->path == NULL) ||
                                (c->path && o->path && c->path->hops != o->path->hops) ||
                                c->level != o->level;
            if (path_changed)
                e.change = "reaches it another way";
            else if (c->gives != o->gives || c->stale != o->stale)
                e.change =
                    o->stale && !c->stale ? "its evidence went stale" : "gives another status";
            if (e.n_in || e.n_out || e.states || e.change)
                out[n++] = e;
        }
    }
    bool na = a && a->status == CW_ST_NOT_APPLICABLE, nb = b && b->status == CW_ST_NOT_APPLICABLE;
    if (na != nb && n < cap)
        out[n++] = (cause){
            .kind = "scope", .id = (a ? a : b)->id, .change = nb ? "excluded" : "included again"};
    size_t fa = a ? a->n_findings : 0, fb = b ? b->n_findings : 0;
    if (fa != fb && n < cap)
        out[n++] = (cause){
            .kind = "finding", .id = (a ? a : b)->id, .change = fb > fa ? "raised" : "closed"};
    if ((!a || !b) && n < cap)
        out[n++] = (cause){.kind = "requirement",
                           .id = (a ? a : b)->id,
                           .change = b ? "added to the catalogue" : "removed from the catalogue"};
    return n;
}

static void pk_cause_entry(msgpack_packer *pk, const cause *c)
{
    size_t m = 2 + (c->change != NULL) + 2 * c->states + (c->n_in > 0) + (c->n_out > 0);
    msgpack_pack_map(pk, m);
    pk_kv_str(pk, "kind", c->kind);
    pk_kv_str(pk, "id", c->id);
    if (c->change)
        pk_kv_str(pk, "change", c->change);
    if (c->states) {
        pk_kv_str(pk, "state_from", cw_ctl_state_name(c->s_from));
        pk_kv_str(pk, "state_to", cw_ctl_state_name(c->s_to));
    }
    if (c->n_in) {
        pk_key(pk, "evidence_added");
        pk_strs(pk, c->ev_in, c->n_in);
    }
    if (c->n_out) {
        pk_key(pk, "evidence_dropped");
        pk_strs(pk, c->ev_out, c->n_out);
    }
}

int cw_h_coverage_diff(cw_call *k, const cw_args_coverage_diff *args, msgpack_packer *pk,
                       cw_err *err)
{
    cw_time to;
    bool rec;
    int rc = span_args(args->has_to, args->to, args->from, args->has_as_recorded, args->as_recorded,
                       &to, &rec, err);
    if (rc)
        return rc;
    cw_coverage_query qa = {args->org, args->framework, args->from, args->max_hops, true, rec};
    cw_coverage_query qb = qa;
    qb.as_of = to;
    cw_coverage a, b;
    if ((rc = cw_coverage_get(k->db, &qa, k->a, &a, err)) ||
        (rc = cw_coverage_get(k->db, &qb, k->a, &b, err)))
        return rc;
    cw_strmap ia;
    if (cw_strmap_init(&ia, k->a, a.n_reqs + 1))
        return cw_err_set(err, CW_ENOMEM, "out of memory");
    for (size_t i = 0; i < a.n_reqs; i++)
        cw_strmap_put(&ia, a.reqs[i].id, strlen(a.reqs[i].id), i, NULL);
    bool *seen = cw_arena_alloc(k->a, a.n_reqs + 1);
    const cw_req_status **pa = cw_arena_alloc(k->a, (a.n_reqs + b.n_reqs + 1) * sizeof *pa);
    const cw_req_status **pb = cw_arena_alloc(k->a, (a.n_reqs + b.n_reqs + 1) * sizeof *pb);
    if (!seen || !pa || !pb)
        return cw_err_set(err, CW_ENOMEM, "out of memory");
    memset(seen, 0, a.n_reqs + 1);
    size_t n = 0;
    for (size_t i = 0; i < b.n_reqs; i++) {
        size_t j;
        const cw_req_status *x = NULL;
        if (cw_strmap_get(&ia, b.reqs[i].id, strlen(b.reqs[i].id), &j)) {
            x = &a.reqs[j];
            seen[j] = true;
        }
        if (!x || x->status != b.reqs[i].status) {
            pa[n] = x;
            pb[n++] = &b.reqs[i];
        }
    }
    for (size_t j = 0; j < a.n_reqs; j++)
        if (!seen[j]) {
            pa[n] = &a.reqs[j];
            pb[n++] = NULL;
        }
    msgpack_pack_map(pk, 8);
    pk_kv_str(pk, "org", args->org);
    pk_kv_str(pk, "framework", b.framework);
    pk_kv_time(pk, "from", args->from);
    pk_kv_time(pk, "to", to);
    pk_kv_bool(pk, "as_recorded", rec);
    pk_key(pk, "counts_from");
    pk_counts(pk, a.counts);
    pk_key(pk, "counts_to");
    pk_counts(pk, b.counts);
    pk_key(pk, "changed");
    msgpack_pack_array(pk, n);
    cause cs[32];
    for (size_t i = 0; i < n; i++) {
        const cw_req_status *x = pa[i], *y = pb[i];
        const cw_req_status *r = y ? y : x;
        size_t nc = causes_of(k->a, x, y, cs, 32);
        msgpack_pack_map(pk, 5);
        pk_kv_str(pk, "id", r->id);
        pk_kv_str(pk, "title", r->title);
        pk_key(pk, "from");
        if (x)
            pk_str(pk, cw_status_name(x->status));
        else
            msgpack_pack_nil(pk);
        pk_key(pk, "to");
        if (y)
            pk_str(pk, cw_status_name(y->status));
        else
            msgpack_pack_nil(pk);
        pk_key(pk, "causes");
        msgpack_pack_array(pk, nc);
        for (size_t c = 0; c < nc; c++)
            pk_cause_entry(pk, &cs[c]);
    }
    return 0;
}

/* ---- history.compact ---- */

int cw_h_history_compact(cw_call *k, const cw_args_history_compact *args, msgpack_packer *pk,
                         cw_err *err)
{
    size_t removed;
    cw_time floor;
    int rc = cw_history_compact(k->db, k->w, args->before, &removed, &floor, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 2);
    pk_kv_int(pk, "removed", (int64_t)removed);
    pk_kv_time(pk, "kept_from", floor);
    return 0;
}
