/* The in-memory catalogue and crosswalk graph.  Coverage, gap and compare
 * queries walk mapping paths many times per call; doing that against LMDB
 * cursors would repeat the same lookups thousands of times, so the graph is
 * built once per catalogue generation and shared, read-only, by every query
 * until a catalogue or crosswalk write bumps the generation. */
#include "graph.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

uint32_t graph_fw(const graph *g, const char *fw)
{
    size_t i;
    return strmap_get(&g->fwidx, fw, strlen(fw), &i) ? (uint32_t)i : G_NONE;
}

static uint32_t add_fw(graph *g, const char *fw, size_t len, size_t *cap)
{
    size_t i;
    if (strmap_get(&g->fwidx, fw, len, &i))
        return (uint32_t)i;
    const char **arr = cw_arena_grow(g->a, g->fws, sizeof *g->fws, cap, g->n_fws + 1);
    char *copy = cw_arena_strndup(g->a, fw, len);
    if (!arr || !copy)
        return G_NONE;
    g->fws = arr;
    g->fws[g->n_fws] = copy;
    if (strmap_put(&g->fwidx, copy, len, g->n_fws, NULL) < 0)
        return G_NONE;
    return (uint32_t)g->n_fws++;
}

bool graph_find(const graph *g, const char *fw, const char *id, uint32_t *out)
{
    char buf[CW_MAX_SLUG + CW_MAX_ID + 2];
    size_t fl = strlen(fw), il = strlen(id);
    if (fl > CW_MAX_SLUG || il > CW_MAX_ID)
        return false;
    memcpy(buf, fw, fl);
    buf[fl] = '\0';
    memcpy(buf + fl + 1, id, il);
    size_t v;
    if (!strmap_get(&g->idx, buf, fl + 1 + il, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool find_key(const graph *g, const void *key, size_t len, uint32_t *out)
{
    size_t v;
    if (!strmap_get(&g->idx, key, len, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static int kid_cmp_ctx_seq(const g_node *nodes, uint32_t a, uint32_t b)
{
    if (nodes[a].seq != nodes[b].seq)
        return nodes[a].seq < nodes[b].seq ? -1 : 1;
    return cw_id_cmp(nodes[a].id, nodes[b].id);
}

static void sort_kids(const g_node *nodes, uint32_t *k, uint32_t n)
{
    /* Insertion sort: child lists are short and mostly loaded in order. */
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = k[i], j = i;
        while (j > 0 && kid_cmp_ctx_seq(nodes, k[j - 1], x) > 0) {
            k[j] = k[j - 1];
            j--;
        }
        k[j] = x;
    }
}

typedef struct raw_edge {
    uint32_t from, to;
    uint8_t rel, strength;
    const char *origin, *rationale, *note;
} raw_edge;

/* Joins origin o to *dst as "a; b", unless already named there. */
static void join_origin(cw_arena *a, const char **dst, const char *o)
{
    if (!o || !*dst || strstr(*dst, o))
        return;
    size_t l1 = strlen(*dst), l2 = strlen(o);
    char *j = cw_arena_alloc(a, l1 + l2 + 3);
    if (!j)
        return;
    memcpy(j, *dst, l1);
    memcpy(j + l1, "; ", 2);
    memcpy(j + l1 + 2, o, l2 + 1);
    *dst = j;
}

/* A "fw\0id" key part (len bytes) as a reference, both parts copied into
 * a; the id is "" when there is no NUL. */
static cw_ref key_ref(cw_arena *a, const char *k, size_t len)
{
    const char *z = memchr(k, '\0', len);
    return (cw_ref){cw_arena_strndup(a, k, z ? (size_t)(z - k) : len),
                    z ? cw_arena_strndup(a, z + 1, len - (size_t)(z - k) - 1) : ""};
}

/* Room for one more row kept aside for mapping.check: NULL when out of
 * memory. */
static struct g_dangling *add_dangling(graph *g, size_t *cap)
{
    struct g_dangling *d = cw_arena_grow(g->a, g->dangling, sizeof *d, cap, g->n_dangling + 1);
    if (!d)
        return NULL;
    g->dangling = d;
    return memset(&d[g->n_dangling++], 0, sizeof *d);
}

/* What building a graph keeps between its walks of the store. */
typedef struct builder {
    graph *g;
    size_t fcap, ncap, dcap, jcap; /* of g->fws, nodes, dangling, joints */
    const char **parent_ids;       /* per node, its parent's id, resolved after */
    size_t pcap;
    raw_edge *re; /* crosswalk rows read, each way */
    size_t nre, recap;
} builder;

/* An each_fn over DB_FW: the frameworks, in slug order. */
static int build_fw(void *ctx, const char *slug, size_t sl, MDB_val v)
{
    (void)v;
    builder *b = ctx;
    return add_fw(b->g, slug, sl, &b->fcap) == G_NONE ? CW_ENOMEM : 0;
}

/* An each_fn over DB_REQ: one node per requirement, its parent's id kept
 * to be resolved once every node is there. */
static int build_req(void *ctx, const char *key, size_t kl, MDB_val v)
{
    builder *b = ctx;
    graph *g = b->g;
    cw_arena *a = g->a;
    const char *z = memchr(key, '\0', kl);
    if (!z)
        return 0;
    g_node *nodes = cw_arena_grow(a, g->nodes, sizeof *nodes, &b->ncap, g->n + 1);
    size_t pc = b->pcap;
    const char **pids = cw_arena_grow(a, b->parent_ids, sizeof *pids, &pc, g->n + 1);
    char *kcopy = cw_arena_strndup(a, key, kl);
    if (!nodes || !pids || !kcopy)
        return CW_ENOMEM;
    g->nodes = nodes;
    b->parent_ids = pids;
    b->pcap = pc;
    g_node *n = &nodes[g->n];
    memset(n, 0, sizeof *n);
    n->fw = add_fw(g, key, (size_t)(z - key), &b->fcap);
    n->id = kcopy + (z - key) + 1;
    n->parent = G_NONE;
    cw_requirement q;
    pids[g->n] = NULL;
    if (decode_req(a, NULL, n->id, strlen(n->id), v, &q, &n->seq) == 0) {
        pids[g->n] = q.parent;
        n->parent_id = q.parent;
        n->kind = q.kind;
        n->title = q.title;
        n->description = q.description;
        n->attrs = q.attrs;
        n->n_attrs = q.n_attrs;
        n->assess = q.assess;
        n->withdrawn = q.withdrawn;
    }
    if (strmap_put(&g->idx, kcopy, kl, g->n, NULL) < 0)
        return CW_ENOMEM;
    g->n++;
    return 0;
}

/* Each node's parent and children, children in publisher order. */
static int link_kids(graph *g, const char *const *parent_ids)
{
    uint32_t *nk = cw_arena_alloc(g->a, (g->n + 1) * sizeof *nk);
    if (!nk)
        return CW_ENOMEM;
    for (size_t i = 0; i < g->n; i++) {
        uint32_t p;
        if (parent_ids[i] && graph_find(g, g->fws[g->nodes[i].fw], parent_ids[i], &p)) {
            g->nodes[i].parent = p;
            nk[p]++;
        }
    }
    for (size_t i = 0; i < g->n; i++) {
        g_node *n = &g->nodes[i];
        n->kids = nk[i] ? cw_arena_alloc(g->a, nk[i] * sizeof(uint32_t)) : NULL;
        n->leaf = nk[i] == 0;
        n->assessable = n->assess == CW_ASSESS_YES || (n->assess == CW_ASSESS_AUTO && n->leaf);
    }
    for (size_t i = 0; i < g->n; i++) {
        uint32_t p = g->nodes[i].parent;
        if (p != G_NONE && g->nodes[p].kids)
            g->nodes[p].kids[g->nodes[p].n_kids++] = (uint32_t)i;
    }
    for (size_t i = 0; i < g->n; i++)
        sort_kids(g->nodes, g->nodes[i].kids, g->nodes[i].n_kids);
    return 0;
}

/* An each_fn over DB_MAP (sfw\0sid\0tfw\0tid: the source ends at the
 * second NUL): each entry read both ways, or kept aside for mapping.check
 * when an end is gone.  Out of room, the rest of a record is passed over. */
static int build_map(void *ctx, const char *key, size_t kl, MDB_val v)
{
    builder *b = ctx;
    graph *g = b->g;
    cw_arena *a = g->a;
    const char *z1 = memchr(key, '\0', kl);
    const char *z2 = z1 ? memchr(z1 + 1, '\0', kl - (size_t)(z1 + 1 - key)) : NULL;
    if (!z2)
        return 0;
    size_t sl = (size_t)(z2 - key);
    uint32_t s = G_NONE, t = G_NONE;
    bool hs = find_key(g, key, sl, &s);
    bool ht = find_key(g, z2 + 1, kl - sl - 1, &t);
    rec_reader rr;
    if (rr_open(&rr, v, NULL))
        return 0;
    for (size_t i = 0; i < rr.n; i++) {
        cw_mapping en;
        if (!decode_map_entry(a, &rr.o[i], &en))
            continue;
        if (!hs || !ht) {
            struct g_dangling *d = add_dangling(g, &b->dcap);
            if (!d)
                break;
            *d = (struct g_dangling){.s = key_ref(a, key, sl),
                                     .t = key_ref(a, z2 + 1, kl - sl - 1),
                                     .origin = en.origin,
                                     .s_missing = !hs,
                                     .t_missing = !ht};
            continue;
        }
        raw_edge *arr = cw_arena_grow(a, b->re, sizeof *arr, &b->recap, b->nre + 2);
        if (!arr)
            break;
        b->re = arr;
        uint8_t rel = (uint8_t)en.rel, st = (uint8_t)en.strength;
        arr[b->nre++] = (raw_edge){s, t, rel, st, en.origin, en.rationale, en.note};
        arr[b->nre++] =
            (raw_edge){t, s, (uint8_t)cw_rel_inverse(rel), st, en.origin, en.rationale, en.note};
    }
    rr_close(&rr);
    return 0;
}

/* One edge each way per distinct (to, relationship) of the rows read. */
static int add_edges(graph *g, const raw_edge *re, size_t nre)
{
    uint32_t *cnt = cw_arena_alloc(g->a, (g->n + 1) * sizeof *cnt);
    if (!cnt)
        return CW_ENOMEM;
    for (size_t i = 0; i < nre; i++)
        cnt[re[i].from]++;
    for (size_t i = 0; i < g->n; i++)
        g->nodes[i].edges = cnt[i] ? cw_arena_alloc(g->a, cnt[i] * sizeof(g_edge)) : NULL;
    for (size_t i = 0; i < nre; i++) {
        g_node *n = &g->nodes[re[i].from];
        if (!n->edges)
            continue;
        g_edge *dup = NULL;
        for (uint32_t j = 0; j < n->n_edges; j++)
            if (n->edges[j].to == re[i].to && n->edges[j].rel == re[i].rel)
                dup = &n->edges[j];
        if (dup) {
            /* Several origins state the same relationship: one edge, the
             * strongest stated strength, the origins joined. */
            if (re[i].strength > dup->strength)
                dup->strength = re[i].strength;
            join_origin(g->a, &dup->origin, re[i].origin);
            continue;
        }
        n->edges[n->n_edges++] = (g_edge){re[i].to,     re[i].rel,       re[i].strength,
                                          re[i].origin, re[i].rationale, re[i].note};
    }
    return 0;
}

/* An each_fn over DB_JOINT (schema 3; tfw\0tid\0sfw\0hash8): one g_joint
 * per distinct (set, target, relationship), origins stating the same
 * relationship joined.  A row whose target is gone is kept aside for
 * mapping.check; a member that is gone stays as G_NONE (its member status
 * is gap). */
static int build_joint(void *ctx, const char *key, size_t kl, MDB_val v)
{
    builder *b = ctx;
    graph *g = b->g;
    cw_arena *a = g->a;
    if (kl < 9)
        return 0;
    const char *z1 = memchr(key, '\0', kl - 9);
    const char *z2 = z1 ? memchr(z1 + 1, '\0', kl - 9 - (size_t)(z1 + 1 - key)) : NULL;
    if (!z2)
        return 0;
    size_t tl = (size_t)(z2 - key);
    const char *sfw = z2 + 1;
    size_t sfl = kl - 9 - tl - 1;
    uint32_t t = G_NONE;
    bool ht = find_key(g, key, tl, &t);
    rec_reader rr;
    if (rr_open(&rr, v, NULL))
        return 0;
    const msgpack_object *ms = rr_at(&rr, 0), *es = rr_at(&rr, 1);
    if (!ms || ms->type != MSGPACK_OBJECT_ARRAY || !es || es->type != MSGPACK_OBJECT_ARRAY) {
        rr_close(&rr);
        return 0;
    }
    uint32_t nm = ms->via.array.size;
    const char **ids = cw_arena_alloc(a, (nm + 1) * sizeof *ids);
    uint32_t *mem = cw_arena_alloc(a, (nm + 1) * sizeof *mem);
    char *sfwc = cw_arena_strndup(a, sfw, sfl);
    if (!ids || !mem || !sfwc) {
        rr_close(&rr);
        return CW_ENOMEM;
    }
    for (uint32_t i = 0; i < nm; i++) {
        ids[i] = obj_str(a, &ms->via.array.ptr[i]);
        if (!ids[i] || !graph_find(g, sfwc, ids[i], &mem[i]))
            mem[i] = G_NONE;
    }
    size_t first = g->n_joints;
    for (uint32_t i = 0; i < es->via.array.size; i++) {
        cw_mapping en;
        if (!decode_map_entry(a, &es->via.array.ptr[i], &en))
            continue;
        if (!ht) {
            struct g_dangling *d = add_dangling(g, &b->dcap);
            if (!d)
                break;
            *d = (struct g_dangling){.s = {sfwc, ids[0]},
                                     .t = key_ref(a, key, tl),
                                     .origin = en.origin,
                                     .t_missing = true,
                                     .members = ids,
                                     .n_members = nm};
            continue;
        }
        uint8_t rel = (uint8_t)en.rel, st = (uint8_t)en.strength;
        g_joint *same = NULL;
        for (size_t j = first; j < g->n_joints; j++)
            if (g->joints[j].rel == rel)
                same = &g->joints[j];
        if (same) {
            if (st > same->strength)
                same->strength = st;
            join_origin(a, &same->origin, en.origin);
            continue;
        }
        g_joint *arr = cw_arena_grow(a, g->joints, sizeof *arr, &b->jcap, g->n_joints + 1);
        if (!arr)
            break;
        g->joints = arr;
        arr[g->n_joints++] = (g_joint){.target = t,
                                       .sfw = graph_fw(g, sfwc),
                                       .sfw_slug = sfwc,
                                       .members = mem,
                                       .member_ids = ids,
                                       .n_members = nm,
                                       .rel = rel,
                                       .strength = st,
                                       .origin = en.origin,
                                       .rationale = en.rationale,
                                       .note = en.note};
    }
    rr_close(&rr);
    return 0;
}

/* Per node: the joint rows targeting it and those it is a member of. */
static int index_joints(graph *g)
{
    cw_arena *a = g->a;
    uint32_t *nin = cw_arena_alloc(a, (g->n + 1) * sizeof *nin);
    uint32_t *nof = cw_arena_alloc(a, (g->n + 1) * sizeof *nof);
    if (!nin || !nof)
        return CW_ENOMEM;
    for (size_t j = 0; j < g->n_joints; j++) {
        const g_joint *J = &g->joints[j];
        nin[J->target]++;
        for (uint32_t i = 0; i < J->n_members; i++)
            if (J->members[i] != G_NONE)
                nof[J->members[i]]++;
    }
    for (size_t i = 0; i < g->n; i++) {
        g_node *n = &g->nodes[i];
        n->joints_in = nin[i] ? cw_arena_alloc(a, nin[i] * sizeof(uint32_t)) : NULL;
        n->joints_of = nof[i] ? cw_arena_alloc(a, nof[i] * sizeof(uint32_t)) : NULL;
        if ((nin[i] && !n->joints_in) || (nof[i] && !n->joints_of))
            return CW_ENOMEM;
    }
    for (size_t j = 0; j < g->n_joints; j++) {
        const g_joint *J = &g->joints[j];
        g_node *t = &g->nodes[J->target];
        t->joints_in[t->n_joints_in++] = (uint32_t)j;
        for (uint32_t i = 0; i < J->n_members; i++) {
            if (J->members[i] == G_NONE)
                continue;
            g_node *m = &g->nodes[J->members[i]];
            m->joints_of[m->n_joints_of++] = (uint32_t)j;
        }
    }
    return 0;
}

/* The graph of txn's snapshot: frameworks, requirements and their tree,
 * then crosswalk rows, then joint rows (dangling ones of both kept in that
 * order), each database walked once. */
static int build(MDB_txn *txn, cw_db *db, cw_time rec, graph *g, cw_err *err)
{
    builder b = {.g = g};
    int rc = 0;
    if (strmap_init(&g->fwidx, g->a, 16) || strmap_init(&g->idx, g->a, 1024) ||
        (rc = each_record_at(txn, db, DB_FW, NULL, NULL, rec, build_fw, &b, err, "graph")) ||
        (rc = each_record_at(txn, db, DB_REQ, NULL, NULL, rec, build_req, &b, err, "graph")) ||
        (rc = link_kids(g, b.parent_ids)) ||
        (rc = each_record_at(txn, db, DB_MAP, NULL, NULL, rec, build_map, &b, err, "graph")) ||
        (rc = add_edges(g, b.re, b.nre)) ||
        (rc = each_record_at(txn, db, DB_JOINT, NULL, NULL, rec, build_joint, &b, err, "graph")) ||
        (rc = index_joints(g)))
        return rc && rc != CW_ENOMEM ? rc : cw_err_set(err, CW_ENOMEM, "graph: out of memory");
    return 0;
}

/* Bounds the memo: source x target x max_hops of compare on real catalogues
 * stay far below it. */
#define GRAPH_MEMO_MAX 128

static void graph_free(graph *g)
{
    if (!g)
        return;
    memo_free(&g->memo);
    cw_arena_free(g->a);
}

/* A new graph of generation gen built from the records as recorded at
 * rec (REC_NOW: as they are), valid until the change at next; one
 * reference, the caller's. */
static int graph_new(cw_db *db, MDB_txn *txn, cw_time rec, uint64_t gen, cw_time next, graph **out,
                     cw_err *err)
{
    cw_arena *a = cw_arena_new();
    graph *g = a ? cw_arena_alloc(a, sizeof *g) : NULL;
    if (!g) {
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "graph: out of memory");
    }
    g->a = a;
    g->gen = gen;
    memo_init(&g->memo, GRAPH_MEMO_MAX, &db->memo_seq);
    int rc = build(txn, db, rec, g, err);
    if (rc) {
        graph_free(g);
        return rc;
    }
    g->refs = 1;
    g->next = next;
    *out = g;
    return 0;
}

int graph_acquire(cw_db *db, MDB_txn *txn, graph **out, cw_err *err)
{
    uint64_t gen = cat_gen(txn, db);
    pthread_mutex_lock(&db->gcache_lock);
    graph *c = db->gcache;
    if (c && c->gen == gen) {
        atomic_fetch_add(&c->refs, 1);
        if (mdb_txn_id(txn) > db->gcache_txnid)
            db->gcache_txnid = mdb_txn_id(txn);
        pthread_mutex_unlock(&db->gcache_lock);
        *out = c;
        return 0;
    }
    pthread_mutex_unlock(&db->gcache_lock);

    graph *g;
    int rc = graph_new(db, txn, REC_NOW, gen, INT64_MAX, &g, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&db->gcache_lock);
    c = db->gcache;
    /* Keep the newest generation cached; an older reader's graph is still
     * handed to it but not cached. */
    if (!c || c->gen <= gen) {
        /* The cache holds one reference of its own. */
        if (c && atomic_fetch_sub(&c->refs, 1) == 1)
            graph_free(c);
        atomic_fetch_add(&g->refs, 1);
        db->gcache = g;
        db->gcache_txnid = mdb_txn_id(txn);
        db_cache_register(db, DB_CACHE_GRAPH, graph_cache_clear);
    }
    pthread_mutex_unlock(&db->gcache_lock);
    *out = g;
    return 0;
}

static void graph_unref(void *p)
{
    graph *g = p;
    if (atomic_fetch_sub(&g->refs, 1) == 1)
        graph_free(g);
}

void graph_release(cw_db *db, graph *g)
{
    (void)db;
    if (g)
        graph_unref(g);
}

int graph_hold(graph *g, cw_arena *a)
{
    atomic_fetch_add(&g->refs, 1);
    return cw_arena_defer(a, graph_unref, g) ? CW_ENOMEM : 0;
}

/* The cached graph without a read transaction, when no transaction has
 * committed since one confirmed its generation: catalogue lookups are the
 * most frequent queries, and most of their cost was opening a snapshot to
 * read one counter. */
static graph *graph_if_current(cw_db *db)
{
    MDB_envinfo info;
    graph *c = NULL;
    pthread_rwlock_rdlock(&db->grow_lock); /* a remap moves the meta pages */
    int rc = mdb_env_info(db->env, &info);
    pthread_rwlock_unlock(&db->grow_lock);
    if (rc)
        return NULL;
    pthread_mutex_lock(&db->gcache_lock);
    if (db->gcache && db->gcache_txnid == info.me_last_txnid) {
        c = db->gcache;
        atomic_fetch_add(&c->refs, 1);
    }
    pthread_mutex_unlock(&db->gcache_lock);
    return c;
}

int graph_for_answer(cw_db *db, cw_arena *a, graph **out, cw_err *err)
{
    int rc = 0;
    if (!(*out = graph_if_current(db))) {
        MDB_txn *txn;
        if ((rc = read_begin(db, &txn, err)))
            return rc;
        rc = graph_acquire(db, txn, out, err);
        read_end(db, txn);
    }
    if (rc)
        return rc;
    if (graph_hold(*out, a)) {
        graph_release(db, *out);
        return cw_err_set(err, CW_ENOMEM, "graph: out of memory");
    }
    return 0;
}

int graph_for_answer_at(cw_db *db, cw_arena *a, bool has_as_of, cw_time as_of, graph **out,
                        cw_err *err)
{
    if (!has_as_of)
        return graph_for_answer(db, a, out, err);
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    if ((rc = hist_check(txn, db, as_of, "as_of", err)) == 0)
        rc = graph_acquire_at(db, txn, as_of, out, err);
    read_end(db, txn);
    if (rc)
        return rc;
    if (graph_hold(*out, a)) {
        graph_release(db, *out);
        return cw_err_set(err, CW_ENOMEM, "graph: out of memory");
    }
    return 0;
}

void graph_cache_clear(cw_db *db)
{
    pthread_mutex_lock(&db->gcache_lock);
    graph *g = db->gcache, *past[PAST_GRAPHS];
    db->gcache = NULL;
    memcpy(past, db->pgcache, sizeof past);
    memset(db->pgcache, 0, sizeof db->pgcache);
    pthread_mutex_unlock(&db->gcache_lock);
    if (g)
        graph_unref(g);
    for (size_t i = 0; i < PAST_GRAPHS; i++)
        if (past[i])
            graph_unref(past[i]);
}

/* A past state of the catalogues holds from one change to the next, so
 * the second of the next change names it: a graph built for it serves
 * every time in between, and history is never rewritten (a compaction
 * only removes states before its floor, which are not asked for again). */
int graph_acquire_at(cw_db *db, MDB_txn *txn, cw_time rec, graph **out, cw_err *err)
{
    cw_time next = rec == REC_NOW ? INT64_MAX : hist_next(txn, db, NULL, rec);
    if (next == INT64_MAX)
        return graph_acquire(db, txn, out, err);
    pthread_mutex_lock(&db->gcache_lock);
    for (size_t i = 0; i < PAST_GRAPHS; i++) {
        graph *c = db->pgcache[i];
        if (c && c->next == next) {
            atomic_fetch_add(&c->refs, 1);
            pthread_mutex_unlock(&db->gcache_lock);
            *out = c;
            return 0;
        }
    }
    pthread_mutex_unlock(&db->gcache_lock);
    /* a generation no stored counter reaches: the memos it tags stay apart */
    graph *g;
    int rc = graph_new(db, txn, rec, UINT64_C(1) << 63 | atomic_fetch_add(&db->memo_seq, 1), next,
                       &g, err);
    if (rc)
        return rc;
    atomic_fetch_add(&g->refs, 1); /* the cache's */
    pthread_mutex_lock(&db->gcache_lock);
    size_t slot = db->pg_turn++ % PAST_GRAPHS;
    graph *old = db->pgcache[slot];
    db->pgcache[slot] = g;
    db_cache_register(db, DB_CACHE_GRAPH, graph_cache_clear);
    pthread_mutex_unlock(&db->gcache_lock);
    if (old)
        graph_unref(old);
    *out = g;
    return 0;
}

int graph_assessable_under(const graph *g, uint32_t node, cw_arena *a, uint32_t **out, size_t *n,
                           size_t *cap)
{
    const g_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->n_kids; i++) {
        uint32_t k = nd->kids[i];
        if (g->nodes[k].assessable) {
            uint32_t *arr = cw_arena_grow(a, *out, sizeof **out, cap, *n + 1);
            if (!arr)
                return CW_ENOMEM;
            *out = arr;
            arr[(*n)++] = k;
        }
        int rc = graph_assessable_under(g, k, a, out, n, cap);
        if (rc)
            return rc;
    }
    return 0;
}

int graph_roots(const graph *g, uint32_t fw, cw_arena *a, uint32_t **out, size_t *n)
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

static int assessed_from(const graph *g, uint32_t node, cw_arena *a, uint32_t **out, size_t *n,
                         size_t *cap)
{
    const g_node *nd = &g->nodes[node];
    if (g_assessed(nd)) {
        uint32_t *arr = cw_arena_grow(a, *out, sizeof **out, cap, *n + 1);
        if (!arr)
            return CW_ENOMEM;
        *out = arr;
        arr[(*n)++] = node;
    }
    for (uint32_t i = 0; i < nd->n_kids; i++) {
        int rc = assessed_from(g, nd->kids[i], a, out, n, cap);
        if (rc)
            return rc;
    }
    return 0;
}

int graph_assessed(const graph *g, uint32_t fw, cw_arena *a, uint32_t **out, size_t *n)
{
    uint32_t *roots;
    size_t nr, cap = 0;
    *out = NULL;
    *n = 0;
    int rc = graph_roots(g, fw, a, &roots, &nr);
    for (size_t i = 0; !rc && i < nr; i++)
        rc = assessed_from(g, roots[i], a, out, n, &cap);
    return rc;
}

uint32_t graph_root(const graph *g, uint32_t node)
{
    int guard = 0;
    while (g->nodes[node].parent != G_NONE && guard++ < 64)
        node = g->nodes[node].parent;
    return node;
}

struct walk {
    const graph *g;
    int max_hops;
    bool report_all;
    path_cb cb;
    void *ctx;
    uint32_t nodes[CW_MAX_HOPS + 1];
    const g_edge *edges[CW_MAX_HOPS];
};

static int walk_from(struct walk *w, size_t depth, cw_rel so_far)
{
    const g_node *n = &w->g->nodes[w->nodes[depth]];
    for (uint32_t i = 0; i < n->n_edges; i++) {
        const g_edge *e = &n->edges[i];
        bool seen = false;
        for (size_t j = 0; j <= depth; j++)
            if (w->nodes[j] == e->to)
                seen = true;
        if (seen)
            continue;
        cw_rel c = depth == 0 ? (cw_rel)e->rel : cw_rel_compose(so_far, (cw_rel)e->rel);
        bool dead = c == CW_REL_UNKNOWN || c == CW_REL_NOT_RELATED;
        w->nodes[depth + 1] = e->to;
        w->edges[depth] = e;
        /* A direct not_related row is a stated fact, always reported. */
        if (!dead || w->report_all || depth == 0) {
            int rc = w->cb(w->ctx, w->nodes, w->edges, depth + 1, c);
            if (rc)
                return rc;
        }
        /* max_hops never exceeds CW_MAX_HOPS (graph_walk clamps it); the
         * second bound is the arrays' own and lets the compiler see it. */
        if (!dead && (int)depth + 1 < w->max_hops && depth + 1 < CW_MAX_HOPS) {
            int rc = walk_from(w, depth + 1, c);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int graph_walk(const graph *g, uint32_t start, int max_hops, bool report_all, path_cb cb, void *ctx)
{
    if (max_hops < 1)
        return 0;
    if (max_hops > CW_MAX_HOPS)
        max_hops = CW_MAX_HOPS;
    struct walk w = {g, max_hops, report_all, cb, ctx, {start}, {0}};
    return walk_from(&w, 0, CW_REL_EQUAL);
}

cw_path *graph_path(const graph *g, cw_arena *a, const uint32_t *nodes, const g_edge *const *edges,
                    size_t hops, cw_rel composed)
{
    cw_path *p = cw_arena_alloc(a, sizeof *p);
    if (!p)
        return NULL;
    p->steps = cw_arena_alloc(a, hops * sizeof *p->steps);
    if (!p->steps)
        return NULL;
    p->from.framework = g->fws[g->nodes[nodes[0]].fw];
    p->from.id = g->nodes[nodes[0]].id;
    p->hops = hops;
    p->composed = composed;
    p->inferred = hops >= 2;
    int strength = 10;
    for (size_t i = 0; i < hops; i++) {
        const g_node *n = &g->nodes[nodes[i + 1]];
        p->steps[i] = (cw_step){{g->fws[n->fw], n->id}, (cw_rel)edges[i]->rel, edges[i]->strength,
                                edges[i]->origin,       edges[i]->rationale,   edges[i]->note};
        if (edges[i]->strength == 0)
            strength = 0;
        else if (strength && edges[i]->strength < strength)
            strength = edges[i]->strength;
    }
    p->strength = strength;
    return p;
}

void graph_joint_row(const graph *g, const g_joint *J, cw_mapping *out)
{
    const g_node *t = &g->nodes[J->target];
    *out = (cw_mapping){.source_fw = J->sfw_slug,
                        .target_fw = g->fws[t->fw],
                        .target_id = t->id,
                        .rel = (cw_rel)J->rel,
                        .strength = J->strength,
                        .rationale = J->rationale,
                        .origin = J->origin,
                        .source_ids = J->member_ids,
                        .n_sources = J->n_members,
                        .note = J->note};
}
