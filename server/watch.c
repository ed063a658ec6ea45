/* The status feed: connections subscribe to an organisation's
 * requirement statuses (and its controls' states) and are pushed a
 * notification for every change, caused by a write or by time passing.
 *
 * Subscriptions of one organisation (and one as_of_lag) share a group.
 * The group keeps the statuses it last saw per framework and the control
 * states, and re-evaluates them (coverage as of now, minus the lag) after
 * every commit that changed the organisation or the catalogue, and when
 * the next instant at which a state can change on its own comes (evidence
 * passing its valid_until, a finding's deadline): one libuv timer is
 * armed at the earliest such instant of all groups.  Each change becomes
 * one event, numbered (the cause's log sequence << 20 | its ordinal) and
 * kept in the group's journal; every subscriber has a cursor into the
 * journal and is sent what lies beyond it while its unsent output is under
 * the soft output limit.  A subscriber that falls out of the journal, or
 * whose connection holds more than the hard output limit, is dropped and
 * told so; a writer never waits for a subscriber.  Resuming with since
 * replays the journal after that event.  Groups outlive their last
 * subscriber by GROUP_LINGER_MS so that a client that reconnects resumes
 * without a gap. */
#include "pack.h"
#include "server.h"
#include "watch.h"

#include "crosswalk/catalog.h"
#include "crosswalk/org.h"
#include "crosswalk/query.h"
#include "crosswalk/strmap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOURNAL_MAX 65536
#define GROUP_FWS CW_WATCH_FWS_MAX
#define GROUP_LINGER_MS (10 * 60 * 1000)
#define CAUSE_EVIDENCE_MAX 100
#define ID_SHIFT 20
/* Under a stream of commits a group is judged at most this long after the
 * first commit it has not been judged after: judging costs a coverage
 * read per framework (milliseconds for a large organisation) on the loop
 * thread, and judging after every commit would take the loop from the
 * writers' clients.  With no more writes on their way it is judged at
 * once. */
#define DEFER_MS 5

typedef struct wevent {
    uint64_t id;
    int fw; /* index into the group's frameworks; -1 for a control's state */
    char *bytes;
    size_t len;
} wevent;

typedef struct wfw {
    char *slug;
    uint64_t since_id; /* tracked from this event id on */
    cw_arena *a;       /* holds the baseline below */
    size_t n;
    const char **ids;
    cw_status *st;
} wfw;

struct wsub {
    struct wsub *next; /* in the group */
    struct wgroup *g;
    cw_conn *c;
    uint64_t id;
    uint64_t fw_mask;
    bool controls;
    uint64_t cursor; /* the last event id handed to it */
};

typedef struct wgroup {
    struct wgroup *next;
    char org[CW_MAX_SLUG + 1];
    int64_t lag;
    wfw fws[GROUP_FWS];
    size_t n_fws;
    /* control states, in id order */
    cw_arena *ca;
    size_t n_ctls;
    const char **ctl_ids;
    cw_ctl_state *ctl_st;
    cw_time evaluated; /* the time the baselines are as of */
    cw_time until;     /* the next time a state can change on its own (incl. lag) */
    uint64_t last_seq;
    uint32_t ordinal;
    uint64_t start_id; /* events after this id are all in the journal */
    wevent *ring;
    size_t ring_head, ring_n, ring_cap; /* the ring grows by doubling to JOURNAL_MAX */
    struct wsub *subs;
    uint64_t empty_since_ms; /* no subscribers since (0: has some) */
    bool dirty;              /* changed by a commit not yet evaluated */
    uint64_t dirty_since_ms; /* uv_now of the first such commit */
    uint64_t dirty_seq;
    int64_t dirty_at_us;
    unsigned dirty_writes;
    char dirty_method[64], dirty_actor[64];
} wgroup;

typedef struct cw_watch {
    cw_server *s;
    wgroup *groups;
    uint64_t next_sub;
    uint64_t head_seq; /* the newest log sequence seen */
    uv_timer_t timer;  /* the next time-driven change */
    uv_timer_t kick;   /* replays after a subscribe's answer */
    bool pending_pump;
    int handles_closed;
    uint64_t events, dropped;
} cw_watch;

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the journal and sending ---- */

static wevent *ring_at(wgroup *g, size_t i)
{
    return &g->ring[(g->ring_head + i) % g->ring_cap];
}

static void drop_sub(cw_watch *w, struct wsub *sub, const char *why);

/* Sends sub what the journal holds after its cursor, while its
 * connection's output is under the soft limit. */
static void pump(cw_watch *w, struct wsub *sub)
{
    wgroup *g = sub->g;
    cw_conn *c = sub->c;
    if (c->closing)
        return;
    if (sub->cursor < g->start_id) {
        drop_sub(w, sub, "the subscriber fell behind the journal of recent events");
        return;
    }
    size_t sent = 0;
    /* the first event after the cursor */
    size_t lo = 0, hi = g->ring_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ring_at(g, mid)->id <= sub->cursor)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < g->ring_n; i++) {
        if (c->queued + cw_out_pending(&c->out) > w->s->cfg.max_output_soft)
            break;
        wevent *e = ring_at(g, i);
        sub->cursor = e->id;
        if (e->fw < 0 ? !sub->controls : !(sub->fw_mask & ((uint64_t)1 << e->fw)))
            continue;
        msgpack_sbuffer_write(&c->out.buf, e->bytes, e->len);
        sent++;
    }
    if (sent && w->s->flush) /* no flush without sockets (the fuzzers) */
        w->s->flush(c);
}

static void journal_add(wgroup *g, uint64_t id, int fw, msgpack_sbuffer *sb)
{
    wevent *e;
    if (g->ring_n == g->ring_cap && g->ring_cap < JOURNAL_MAX) {
        wevent *bigger = malloc(2 * g->ring_cap * sizeof *bigger);
        if (bigger) {
            for (size_t i = 0; i < g->ring_n; i++)
                bigger[i] = *ring_at(g, i);
            free(g->ring);
            g->ring = bigger;
            g->ring_head = 0;
            g->ring_cap *= 2;
        }
    }
    if (g->ring_n == g->ring_cap) {
        e = ring_at(g, 0);
        free(e->bytes);
        g->start_id = e->id;
        g->ring_head = (g->ring_head + 1) % g->ring_cap;
        g->ring_n--;
    }
    e = ring_at(g, g->ring_n);
    e->id = id;
    e->fw = fw;
    e->len = sb->size;
    e->bytes = sb->data; /* taken */
    sb->data = NULL;
    sb->size = sb->alloc = 0;
    g->ring_n++;
}

/* ---- events ---- */

typedef struct cause {
    bool time;
    uint64_t seq;
    int64_t at_us;
    const char *method, *actor;
    unsigned writes;
    cw_evidence *expired; /* time: what stopped being fresh */
    size_t n_expired;
    cw_evidence *collected; /* time: what came to count (a lag, or collection times ahead) */
    size_t n_collected;
} cause;

static uint64_t next_id(wgroup *g, uint64_t seq)
{
    if (seq > g->last_seq) {
        g->last_seq = seq;
        g->ordinal = 0;
    }
    return g->last_seq << ID_SHIFT | ++g->ordinal;
}

static void pk_cause(msgpack_packer *pk, const cause *why)
{
    pk_key(pk, "cause");
    if (why->time) {
        msgpack_pack_map(pk, 3);
        pk_kv_str(pk, "kind", "time");
        pk_key(pk, "evidence");
        size_t n = why->n_expired > CAUSE_EVIDENCE_MAX ? CAUSE_EVIDENCE_MAX : why->n_expired;
        msgpack_pack_array(pk, n);
        for (size_t i = 0; i < n; i++) {
            msgpack_pack_map(pk, 3);
            pk_kv_str(pk, "id", why->expired[i].id);
            pk_kv_time(pk, "valid_until", why->expired[i].valid_until);
            pk_key(pk, "controls");
            pk_strs(pk, why->expired[i].controls, why->expired[i].n_controls);
        }
        pk_key(pk, "collected");
        n = why->n_collected > CAUSE_EVIDENCE_MAX ? CAUSE_EVIDENCE_MAX : why->n_collected;
        msgpack_pack_array(pk, n);
        for (size_t i = 0; i < n; i++) {
            msgpack_pack_map(pk, 4);
            pk_kv_str(pk, "id", why->collected[i].id);
            pk_kv_time(pk, "collected_at", why->collected[i].collected_at);
            pk_kv_str(pk, "result", cw_result_name(why->collected[i].result));
            pk_key(pk, "controls");
            pk_strs(pk, why->collected[i].controls, why->collected[i].n_controls);
        }
        return;
    }
    msgpack_pack_map(pk, 6);
    pk_kv_str(pk, "kind", "write");
    pk_kv_int(pk, "seq", (int64_t)why->seq);
    pk_kv_str(pk, "method", why->method);
    pk_kv_str(pk, "actor", why->actor);
    pk_kv_int(pk, "at_us", why->at_us);
    pk_kv_int(pk, "writes", why->writes);
}

/* Packs one event and keeps it in the journal. */
static void emit(cw_watch *w, wgroup *g, int fw, const char *id, const char *from, const char *to,
                 cw_time at, const cause *why)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    uint64_t eid = next_id(g, why->time ? w->head_seq : why->seq);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_int(&pk, CW_MSG_NOTIFY);
    pk_str(&pk, fw < 0 ? "control.changed" : "status.changed");
    msgpack_pack_map(&pk, fw < 0 ? 8 : 9);
    pk_kv_str(&pk, "org", g->org);
    if (fw >= 0)
        pk_kv_str(&pk, "framework", g->fws[fw].slug);
    pk_kv_str(&pk, "id", id);
    pk_kv_str(&pk, "from", from);
    pk_kv_str(&pk, "to", to);
    pk_kv_time(&pk, "at", at);
    pk_cause(&pk, why);
    pk_kv_int(&pk, "seq", (int64_t)(eid >> ID_SHIFT));
    pk_kv_int(&pk, "event", (int64_t)eid);
    if (!sb.data)
        return;
    journal_add(g, eid, fw, &sb);
    w->events++;
}

/* ---- evaluation ---- */

static const char *status_or_null(const cw_status *st, size_t i, bool have)
{
    return have ? cw_status_name(st[i]) : NULL;
}

/* Re-reads framework f of g at t and emits what changed since its
 * baseline (none when emit_events is false: a new baseline). */
static int eval_fw(cw_watch *w, wgroup *g, size_t f, cw_time t, const cause *why, bool emit_events)
{
    wfw *x = &g->fws[f];
    cw_arena *a = cw_arena_new();
    if (!a)
        return CW_ENOMEM;
    cw_coverage cov;
    cw_err err = {0};
    cw_coverage_query q = {g->org, x->slug, t, 0, false, false};
    int rc = cw_coverage_get(w->s->db, &q, a, &cov, &err);
    if (rc) {
        cw_arena_free(a);
        return rc;
    }
    if (cov.until < g->until)
        g->until = cov.until;
    const char **ids = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *ids);
    cw_status *st = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *st);
    if (!ids || !st) {
        cw_arena_free(a);
        return CW_ENOMEM;
    }
    for (size_t i = 0; i < cov.n_reqs; i++) {
        ids[i] = cov.reqs[i].id;
        st[i] = cov.reqs[i].status;
    }
    if (emit_events && x->a) {
        bool same_order = x->n == cov.n_reqs;
        for (size_t i = 0; same_order && i < x->n; i++)
            same_order = x->ids[i] == ids[i] || strcmp(x->ids[i], ids[i]) == 0;
        if (same_order) {
            for (size_t i = 0; i < x->n; i++)
                if (x->st[i] != st[i])
                    emit(w, g, (int)f, ids[i], cw_status_name(x->st[i]), cw_status_name(st[i]), t,
                         why);
        } else {
            /* The catalogue changed: match by id. */
            cw_strmap old;
            if (cw_strmap_init(&old, a, x->n + 1) == 0) {
                for (size_t i = 0; i < x->n; i++)
                    cw_strmap_put(&old, x->ids[i], strlen(x->ids[i]), i, NULL);
                bool *seen = cw_arena_alloc(a, (x->n + 1) * sizeof *seen);
                if (seen)
                    memset(seen, 0, (x->n + 1) * sizeof *seen);
                for (size_t i = 0; i < cov.n_reqs; i++) {
                    size_t j;
                    bool had = cw_strmap_get(&old, ids[i], strlen(ids[i]), &j);
                    if (had && seen)
                        seen[j] = true;
                    if (!had || x->st[j] != st[i])
                        emit(w, g, (int)f, ids[i], status_or_null(x->st, j, had),
                             cw_status_name(st[i]), t, why);
                }
                for (size_t j = 0; seen && j < x->n; j++)
                    if (!seen[j])
                        emit(w, g, (int)f, x->ids[j], cw_status_name(x->st[j]), NULL, t, why);
            }
        }
    }
    cw_arena_free(x->a);
    x->a = a;
    x->ids = ids;
    x->st = st;
    x->n = cov.n_reqs;
    return 0;
}

static int eval_controls(cw_watch *w, wgroup *g, cw_time t, const cause *why, bool emit_events)
{
    cw_arena *a = cw_arena_new();
    if (!a)
        return CW_ENOMEM;
    cw_state_list now;
    cw_err err = {0};
    int rc = cw_org_states(w->s->db, g->org, t, a, &now, &err);
    if (rc) {
        cw_arena_free(a);
        return rc;
    }
    if (now.until < g->until)
        g->until = now.until;
    if (emit_events && g->ca) {
        /* both in id order: merge */
        size_t i = 0, j = 0;
        while (i < g->n_ctls || j < now.n) {
            int cmp = i == g->n_ctls ? 1 : j == now.n ? -1 : strcmp(g->ctl_ids[i], now.ids[j]);
            if (cmp == 0) {
                if (g->ctl_st[i] != now.states[j])
                    emit(w, g, -1, now.ids[j], cw_ctl_state_name(g->ctl_st[i]),
                         cw_ctl_state_name(now.states[j]), t, why);
                i++;
                j++;
            } else if (cmp < 0) {
                emit(w, g, -1, g->ctl_ids[i], cw_ctl_state_name(g->ctl_st[i]), NULL, t, why);
                i++;
            } else {
                emit(w, g, -1, now.ids[j], NULL, cw_ctl_state_name(now.states[j]), t, why);
                j++;
            }
        }
    }
    cw_arena_free(g->ca);
    g->ca = a;
    g->ctl_ids = now.ids;
    g->ctl_st = now.states;
    g->n_ctls = now.n;
    return 0;
}

static void end_group_subs(cw_watch *w, wgroup *g, const char *why)
{
    while (g->subs)
        drop_sub(w, g->subs, why);
}

/* Evaluates every framework and the controls of g at now minus its lag,
 * emitting what changed, then sends each subscriber what is new. */
static void evaluate(cw_watch *w, wgroup *g, const cause *why, bool emit_events)
{
    cw_time t = cw_now() - g->lag;
    g->until = CW_TIME_MAX;
    int rc = 0;
    for (size_t f = 0; rc == 0 && f < g->n_fws; f++) {
        rc = eval_fw(w, g, f, t, why, emit_events);
        if (rc == CW_ENOFW) {
            /* its framework was deleted: say so once and stop tracking it */
            emit(w, g, (int)f, "*", "tracked", NULL, t, why);
            rc = 0;
        }
    }
    if (rc == 0)
        rc = eval_controls(w, g, t, why, emit_events);
    g->evaluated = t;
    if (g->until < CW_TIME_MAX)
        g->until += g->lag;
    if (rc == CW_ENOORG) {
        end_group_subs(w, g, "the organisation was deleted");
        g->until = CW_TIME_MAX;
    } else if (rc) {
        cw_log(w->s, LOG_WARN, "watch org=%s: cannot evaluate: %s", g->org,
               cw_proto_name(cw_proto_code(rc)));
    }
    for (struct wsub *sub = g->subs, *next; sub; sub = next) {
        next = sub->next;
        pump(w, sub);
    }
}

/* ---- the timer ---- */

static void arm(cw_watch *w);

static void on_timer(uv_timer_t *t)
{
    cw_watch *w = t->data;
    cw_time now = cw_now();
    for (wgroup *g = w->groups; g; g = g->next) {
        if (g->until > now)
            continue;
        cw_arena *a = cw_arena_new();
        cause why = {.time = true};
        cw_err err = {0};
        if (a) {
            /* one walk of the organisation's evidence for both */
            cw_evidence_turning(w->s->db, g->org, g->evaluated, now - g->lag, a, &why.expired,
                                &why.n_expired, &why.collected, &why.n_collected, &err);
        }
        evaluate(w, g, &why, true);
        cw_arena_free(a);
    }
    arm(w);
}

static void arm(cw_watch *w)
{
    cw_time next = CW_TIME_MAX;
    for (wgroup *g = w->groups; g; g = g->next)
        if (g->until < next)
            next = g->until;
    if (next == CW_TIME_MAX) {
        uv_timer_stop(&w->timer);
        return;
    }
    int64_t due = (int64_t)next * 1000 - realtime_ms();
    /* a few ms late, so that the second has turned when it fires */
    uv_timer_start(&w->timer, on_timer, due < 0 ? 0 : (uint64_t)due + 5, 0);
}

/* ---- groups and subscriptions ---- */

static cw_watch *watch_of(cw_server *s)
{
    if (s->watch)
        return s->watch;
    cw_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->s = s;
    w->next_sub = 1;
    uv_timer_init(s->loop, &w->timer);
    uv_timer_init(s->loop, &w->kick);
    w->timer.data = w->kick.data = w;
    uint64_t seq = 0;
    unsigned char hash[32];
    int64_t at;
    cw_err err = {0};
    if (cw_log_head(s->db, &seq, hash, &at, &err) == 0)
        w->head_seq = seq;
    s->watch = w;
    return w;
}

static void group_free(wgroup *g)
{
    for (size_t i = 0; i < g->n_fws; i++) {
        free(g->fws[i].slug);
        cw_arena_free(g->fws[i].a);
    }
    cw_arena_free(g->ca);
    for (size_t i = 0; i < g->ring_n; i++)
        free(ring_at(g, i)->bytes);
    free(g->ring);
    free(g);
}

static void sub_unlink(struct wsub *sub)
{
    wgroup *g = sub->g;
    for (struct wsub **p = &g->subs; *p; p = &(*p)->next)
        if (*p == sub) {
            *p = sub->next;
            break;
        }
    if (!g->subs)
        g->empty_since_ms = (uint64_t)realtime_ms();
    sub->c->n_watch--;
    free(sub);
}

static void drop_sub(cw_watch *w, struct wsub *sub, const char *why)
{
    cw_conn *c = sub->c;
    w->dropped++;
    if (!c->closing) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, &c->out.buf, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 3);
        msgpack_pack_int(&pk, CW_MSG_NOTIFY);
        pk_str(&pk, "watch.dropped");
        msgpack_pack_map(&pk, 4);
        pk_kv_int(&pk, "subscription", (int64_t)sub->id);
        pk_kv_str(&pk, "org", sub->g->org);
        pk_kv_str(&pk, "reason", why);
        pk_kv_int(&pk, "resume", (int64_t)sub->cursor);
        if (w->s->flush) /* none without sockets (the fuzzers) */
            w->s->flush(c);
    }
    cw_log(w->s, LOG_INFO, "watch conn=%llu subscription=%llu org=%s dropped: %s",
           (unsigned long long)c->id, (unsigned long long)sub->id, sub->g->org, why);
    sub_unlink(sub);
}

/* Removes groups without subscribers for longer than GROUP_LINGER_MS. */
static void sweep_groups(cw_watch *w)
{
    uint64_t now = (uint64_t)realtime_ms();
    for (wgroup **p = &w->groups; *p;) {
        wgroup *g = *p;
        if (!g->subs && g->empty_since_ms && now - g->empty_since_ms > GROUP_LINGER_MS) {
            *p = g->next;
            group_free(g);
        } else {
            p = &g->next;
        }
    }
}

static int fw_index(wgroup *g, const char *slug)
{
    for (size_t i = 0; i < g->n_fws; i++)
        if (strcmp(g->fws[i].slug, slug) == 0)
            return (int)i;
    return -1;
}

static uint64_t position(const cw_watch *w, const wgroup *g)
{
    uint64_t head = g->last_seq > w->head_seq ? g->last_seq : w->head_seq;
    return head == g->last_seq ? g->last_seq << ID_SHIFT | g->ordinal : head << ID_SHIFT;
}

static void pump_all(cw_watch *w)
{
    for (wgroup *g = w->groups; g; g = g->next)
        for (struct wsub *sub = g->subs, *next; sub; sub = next) {
            next = sub->next;
            pump(w, sub);
        }
}

static void flush_groups(cw_watch *w, bool force);

/* After a subscribe's answer (its replay), or when judging waited its
 * longest under a stream of commits. */
static void on_kick(uv_timer_t *t)
{
    flush_groups(t->data, true);
}

int cw_watch_subscribe(cw_server *s, cw_conn *c, const cw_watch_request *rq, cw_watch_reply *out,
                       cw_err *err)
{
    memset(out, 0, sizeof *out);
    cw_watch *w = watch_of(s);
    if (!w)
        return cw_err_set(err, CW_ENOMEM, "watch: out of memory");
    if (c->n_watch >= CW_WATCH_PER_CONN)
        return cw_err_set(err, CW_ERANGE,
                          "org: a connection may hold %d subscriptions; unsubscribe one first",
                          CW_WATCH_PER_CONN);
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "watch: out of memory");
    /* The frameworks: those named, or every framework. */
    const char **fws = rq->frameworks;
    size_t n_fws = rq->n_frameworks;
    int rc = 0;
    if (rq->all_frameworks) {
        cw_framework_info *all;
        size_t n;
        if ((rc = cw_framework_list(s->db, a, &all, &n, err)))
            goto out;
        fws = cw_arena_alloc(a, (n + 1) * sizeof *fws);
        for (size_t i = 0; fws && i < n; i++)
            fws[i] = all[i].fw.slug;
        n_fws = n;
    }
    if (n_fws > GROUP_FWS) {
        rc = cw_err_set(err, CW_ERANGE,
                        "frameworks: %zu frameworks; a subscription watches at most %d (name them)",
                        n_fws, GROUP_FWS);
        goto out;
    }
    /* named frameworks were checked by the caller (m_watch.c) */
    cw_org org;
    if ((rc = cw_org_get(s->db, rq->org, a, &org, err)))
        goto out;
    wgroup *g = w->groups;
    while (g && !(strcmp(g->org, rq->org) == 0 && g->lag == rq->lag))
        g = g->next;
    bool fresh = false;
    if (!g) {
        g = calloc(1, sizeof *g);
        wevent *ring = g ? calloc(64, sizeof *ring) : NULL;
        if (!ring) {
            free(g);
            rc = cw_err_set(err, CW_ENOMEM, "watch: out of memory");
            goto out;
        }
        g->ring = ring;
        g->ring_cap = 64;
        snprintf(g->org, sizeof g->org, "%s", rq->org);
        g->lag = rq->lag;
        g->last_seq = w->head_seq;
        g->start_id = w->head_seq << ID_SHIFT;
        g->until = CW_TIME_MAX;
        g->next = w->groups;
        w->groups = g;
        fresh = true;
    }
    uint64_t mask = 0;
    bool added = false;
    for (size_t i = 0; i < n_fws; i++) {
        int f = fw_index(g, fws[i]);
        if (f < 0) {
            if (g->n_fws == GROUP_FWS) {
                rc = cw_err_set(err, CW_ERANGE,
                                "frameworks: the organisation's watches already track %d "
                                "frameworks",
                                GROUP_FWS);
                goto out;
            }
            f = (int)g->n_fws++;
            g->fws[f].slug = strdup(fws[i]);
            g->fws[f].since_id = position(w, g);
            added = true;
        }
        mask |= (uint64_t)1 << f;
    }
    if (fresh || added) {
        /* New baselines: the state now, no events. */
        cause none = {0};
        evaluate(w, g, &none, false);
        arm(w);
    }
    /* Where this subscriber starts. */
    uint64_t pos = position(w, g);
    bool resumed = false;
    if (rq->has_since) {
        uint64_t need = g->start_id;
        for (size_t i = 0; i < n_fws; i++) {
            int f = fw_index(g, fws[i]);
            if (g->fws[f].since_id > need)
                need = g->fws[f].since_id;
        }
        if (rq->since >= need && rq->since <= pos) {
            pos = rq->since;
            resumed = true;
        }
    }
    struct wsub *sub = calloc(1, sizeof *sub);
    if (!sub) {
        rc = cw_err_set(err, CW_ENOMEM, "watch: out of memory");
        goto out;
    }
    sub->g = g;
    sub->c = c;
    sub->id = w->next_sub++;
    sub->fw_mask = mask;
    sub->controls = rq->controls;
    sub->cursor = pos;
    sub->next = g->subs;
    g->subs = sub;
    g->empty_since_ms = 0;
    c->n_watch++;
    out->subscription = sub->id;
    out->position = pos;
    out->resumed = resumed;
    out->lost = rq->has_since && !resumed;
    out->n_frameworks = n_fws;
    for (size_t i = 0; i < n_fws && i < CW_WATCH_FWS_MAX; i++)
        snprintf(out->frameworks[i], sizeof out->frameworks[i], "%s", fws[i]);
    out->until = g->until;
    /* What it missed follows the answer (the loop's next turn). */
    if (resumed) {
        w->pending_pump = true;
        uv_timer_start(&w->kick, on_kick, 0, 0);
    }
out:
    cw_arena_free(a);
    return rc;
}

void cw_watch_unsubscribe(cw_server *s, cw_conn *c, uint64_t id, bool *found)
{
    cw_watch *w = s->watch;
    *found = false;
    for (wgroup *g = w ? w->groups : NULL; g; g = g->next)
        for (struct wsub *sub = g->subs; sub; sub = sub->next)
            if (sub->id == id && sub->c == c) {
                sub_unlink(sub);
                *found = true;
                return;
            }
}

void cw_watch_conn_closed(cw_server *s, cw_conn *c)
{
    cw_watch *w = s->watch;
    if (!w || !c->n_watch)
        return;
    for (wgroup *g = w->groups; g; g = g->next)
        for (struct wsub *sub = g->subs, *next; sub; sub = next) {
            next = sub->next;
            if (sub->c == c)
                sub_unlink(sub);
        }
}

void cw_watch_committed(cw_server *s, const cw_change_info *ci, const char *method,
                        const char *actor)
{
    cw_watch *w = s->watch;
    if (!w || !ci->seq)
        return;
    if (ci->seq > w->head_seq)
        w->head_seq = ci->seq;
    for (wgroup *g = w->groups; g; g = g->next) {
        bool hit = ci->catalogue || ci->all_orgs;
        for (size_t i = 0; !hit && i < ci->n_orgs; i++)
            hit = strcmp(ci->orgs[i], g->org) == 0;
        if (!hit)
            continue;
        if (!g->dirty)
            g->dirty_since_ms = uv_now(s->loop);
        g->dirty = true;
        g->dirty_seq = ci->seq;
        g->dirty_at_us = ci->at_us;
        g->dirty_writes++;
        snprintf(g->dirty_method, sizeof g->dirty_method, "%s", method);
        snprintf(g->dirty_actor, sizeof g->dirty_actor, "%s", actor);
    }
}

/* Whether more commits are on their way: writes queued or being written. */
static bool writes_coming(cw_server *s)
{
    if (s->inline_writes)
        return false;
    pthread_mutex_lock(&s->wlock);
    bool coming = s->wq_len > 0 || s->writer_busy;
    pthread_mutex_unlock(&s->wlock);
    return coming;
}

/* Judges the groups commits changed (all of them with force, else those
 * that may not wait longer), sends what subscribers are owed, and keeps
 * the kick timer for the ones left waiting. */
static void flush_groups(cw_watch *w, bool force)
{
    cw_server *s = w->s;
    bool any = false, coming = !force && writes_coming(s);
    uint64_t now = uv_now(s->loop), wait = UINT64_MAX;
    for (wgroup *g = w->groups; g; g = g->next) {
        if (!g->dirty)
            continue;
        if (coming && now - g->dirty_since_ms < DEFER_MS) {
            uint64_t left = DEFER_MS - (now - g->dirty_since_ms);
            if (left < wait)
                wait = left;
            continue;
        }
        cause why = {false,          g->dirty_seq,
                     g->dirty_at_us, g->dirty_method,
                     g->dirty_actor, g->dirty_writes,
                     NULL,           0,
                     NULL,           0};
        g->dirty = false;
        g->dirty_writes = 0;
        evaluate(w, g, &why, true);
        any = true;
    }
    if (w->pending_pump) {
        w->pending_pump = false;
        pump_all(w);
    }
    if (wait != UINT64_MAX)
        uv_timer_start(&w->kick, on_kick, wait, 0);
    if (any)
        arm(w);
    sweep_groups(w);
}

void cw_watch_flush(cw_server *s)
{
    if (s->watch)
        flush_groups(s->watch, false);
}

void cw_watch_writable(cw_server *s, cw_conn *c)
{
    cw_watch *w = s->watch;
    if (!w || !c->n_watch)
        return;
    for (wgroup *g = w->groups; g; g = g->next)
        for (struct wsub *sub = g->subs, *next; sub; sub = next) {
            next = sub->next;
            if (sub->c == c && g->ring_n && sub->cursor < ring_at(g, g->ring_n - 1)->id)
                pump(w, sub);
        }
}

void cw_watch_counts_get(cw_server *s, cw_watch_counts *st)
{
    memset(st, 0, sizeof *st);
    cw_watch *w = s->watch;
    if (!w)
        return;
    st->events = w->events;
    st->dropped = w->dropped;
    for (wgroup *g = w->groups; g; g = g->next) {
        st->groups++;
        for (struct wsub *sub = g->subs; sub; sub = sub->next)
            st->subscriptions++;
    }
}

/* Freed when the second of its two handles has closed, in whatever
 * order libuv closes them. */
static void on_timer_closed(uv_handle_t *h)
{
    cw_watch *w = h->data;
    if (++w->handles_closed == 2)
        free(w);
}

void cw_watch_free(cw_server *s)
{
    cw_watch *w = s->watch;
    if (!w)
        return;
    s->watch = NULL;
    while (w->groups) {
        wgroup *g = w->groups;
        w->groups = g->next;
        while (g->subs)
            sub_unlink(g->subs);
        group_free(g);
    }
    uv_close((uv_handle_t *)&w->timer, on_timer_closed);
    uv_close((uv_handle_t *)&w->kick, on_timer_closed);
}
