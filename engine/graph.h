/* Engine-private: the catalogue and crosswalk graph held in memory for
 * queries.  Built from one read transaction, shared read-only between
 * queries and rebuilt only when the catalogue generation changes. */
#ifndef CW_ENGINE_GRAPH_H
#define CW_ENGINE_GRAPH_H

#include "internal.h"

#define G_NONE UINT32_MAX

struct g_edge {
    uint32_t to;
    uint8_t rel;      /* this node REL to */
    uint8_t strength; /* 0 unknown */
    const char *origin;
    const char *rationale;
    const char *note;
};

typedef struct g_edge g_edge;

/* A joint crosswalk row (§3): members of one framework that together are
 * REL the target.  One per distinct (set, target, relationship); origins
 * stating the same relationship are joined, as for edges. */
typedef struct g_joint {
    uint32_t target;
    uint32_t sfw; /* the members' framework; G_NONE when not loaded */
    const char *sfw_slug;
    uint32_t *members;       /* nodes; G_NONE for one deleted from its catalogue */
    const char **member_ids; /* as stored, natural id order */
    uint32_t n_members;
    uint8_t rel, strength;
    const char *origin, *rationale, *note;
} g_joint;

typedef struct g_node {
    uint32_t fw;
    const char *id, *title, *kind;
    const char *parent_id, *description; /* as stored */
    cw_attr *attrs;
    size_t n_attrs;
    uint32_t parent; /* G_NONE for a root */
    uint32_t *kids;
    uint32_t n_kids;
    bool leaf;
    cw_assess assess; /* as stored */
    bool assessable;  /* assess applied to the tree */
    bool withdrawn;
    int64_t seq;
    g_edge *edges;
    uint32_t n_edges;
    uint32_t *joints_in; /* joint rows targeting this node (indexes into joints) */
    uint32_t n_joints_in;
    uint32_t *joints_of; /* joint rows this node is a member of */
    uint32_t n_joints_of;
} g_node;

/* Assessed: counted in coverage (assessable and active). */
static inline bool g_assessed(const g_node *n)
{
    return n->assessable && !n->withdrawn;
}

/* A group: has children and is not itself assessable; a full link or path
 * to it reaches every assessable requirement under it. */
static inline bool g_group(const g_node *n)
{
    return n->n_kids > 0 && !n->assessable;
}

typedef struct graph {
    cw_arena *a;
    g_node *nodes;
    size_t n;
    const char **fws; /* framework slugs, index = g_node.fw */
    size_t n_fws;
    strmap idx;   /* "fw\0id" -> node */
    strmap fwidx; /* slug -> fw index */
    uint64_t gen;
    /* A past state's graph: the second of the next change after it
     * (INT64_MAX: the current state's). */
    cw_time next;
    _Atomic int refs;
    /* Answers that depend on the catalogues alone (framework.compare,
     * under tag 0), kept for the graph's life and freed with it.  An answer
     * kept here must not hold a reference to the graph. */
    memo memo;
    g_joint *joints;
    size_t n_joints;
    /* Crosswalk rows whose endpoint is missing, kept for mapping.check. */
    struct g_dangling {
        cw_ref s, t;
        const char *origin;
        bool s_missing, t_missing;
        const char **members; /* a joint row whose target is missing: its set */
        size_t n_members;
    } * dangling;
    size_t n_dangling;
} graph;

/* Returns the shared graph for txn's snapshot (building it if the cached one
 * is stale).  Release with graph_release. */
int graph_acquire(cw_db *db, MDB_txn *txn, graph **out, cw_err *err);
void graph_release(cw_db *db, graph *g);
/* Keeps g alive until arena a is freed (answers point into the graph). */
int graph_hold(graph *g, cw_arena *a);
/* The current graph for an answer built in a: acquired in a short read
 * transaction and held by a.  Release the caller's reference with
 * graph_release when done; a keeps its own. */
int graph_for_answer(cw_db *db, cw_arena *a, graph **out, cw_err *err);
/* graph_for_answer of the catalogues as recorded at as_of when has_as_of
 * (CW_ENOENT naming as_of before the kept history). */
int graph_for_answer_at(cw_db *db, cw_arena *a, bool has_as_of, cw_time as_of, graph **out,
                        cw_err *err);
/* Frees the cached graph at close. */
void graph_cache_clear(cw_db *db);
/* graph_acquire of the catalogues and crosswalks as recorded at rec
 * (REC_NOW: as they are); past graphs are cached too. */
int graph_acquire_at(cw_db *db, MDB_txn *txn, cw_time rec, graph **out, cw_err *err);

bool graph_find(const graph *g, const char *fw, const char *id, uint32_t *out);
/* Index of framework slug, or G_NONE. */
uint32_t graph_fw(const graph *g, const char *fw);

/* Appends to *out (arena array, capacity *cap) every assessable requirement
 * strictly under node, at any depth, in publisher order (withdrawn ones
 * included: callers that assess filter them out).  This is what a full
 * link or path to a group reaches. */
int graph_assessable_under(const graph *g, uint32_t node, cw_arena *a, uint32_t **out, size_t *n,
                           size_t *cap);

/* Every assessed requirement (assessable, not withdrawn) of framework fw
 * in publisher order: depth first, parents before their children. */
int graph_assessed(const graph *g, uint32_t fw, cw_arena *a, uint32_t **out, size_t *n);

/* Roots of framework fw in publisher order. */
int graph_roots(const graph *g, uint32_t fw, cw_arena *a, uint32_t **out, size_t *n);

/* Top-level ancestor of a node (itself for a root). */
uint32_t graph_root(const graph *g, uint32_t node);

/* Path enumeration (§3): every simple path of 1..max_hops steps from start,
 * each step read from the node it leaves.  cb sees the nodes (len hops+1),
 * the edges taken, and the composed relationship; returning non-zero stops
 * the walk.  Paths whose composed relationship can no longer give anything
 * (unknown, or not_related) are not extended, but are reported when
 * report_all is set. */
typedef int (*path_cb)(void *ctx, const uint32_t *nodes, const g_edge *const *edges, size_t hops,
                       cw_rel composed);
int graph_walk(const graph *g, uint32_t start, int max_hops, bool report_all, path_cb cb,
               void *ctx);

/* The joint row J as a cw_mapping (pointers into the graph). */
void graph_joint_row(const graph *g, const g_joint *J, cw_mapping *out);

/* Turns a walk's nodes/edges into a cw_path in arena a. */
cw_path *graph_path(const graph *g, cw_arena *a, const uint32_t *nodes, const g_edge *const *edges,
                    size_t hops, cw_rel composed);

#endif
