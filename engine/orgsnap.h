/* Per-organisation snapshots shared between queries: an organisation's
 * controls and every implemented control's state (§3), decoded once and
 * reused by every coverage, gap and SoA query that asks for a time the
 * states still hold at, until a write to that organisation changes its
 * data generation.  Engine-private. */
#ifndef CW_ENGINE_ORGSNAP_H
#define CW_ENGINE_ORGSNAP_H

#include "internal.h"

#include <stdatomic.h>

typedef struct org_snap {
    atomic_int refs;
    cw_arena *a; /* owns everything below */
    char *org;
    uint64_t gen;
    /* The states hold for every time t with from <= t < until. */
    cw_time from, until;
    uint64_t used; /* last use, for eviction */
    struct cw_control *ctls;
    size_t n_ctls;
    struct cw_control_state *st; /* per control; zero (INACTIVE) unless implemented */
    /* Answers computed from this snapshot (see orgsnap_memo_get). */
    pthread_mutex_t memo_lock;
    _Atomic uint64_t *seq; /* the environment's answer id sequence */
    struct snap_memo *memo;
    size_t n_memo;
} org_snap;

/* The snapshot of org as of t inside txn: the cached one when its
 * generation is current and t lies in its window, else a new one (cached
 * when it is the newest for org).  The snapshot stays alive until the
 * arena hold is freed or reset; the caller never frees it.  The caller has
 * checked that org exists.  Returns 0 or CW_ENOMEM / an LMDB-derived code
 * (err filled). */
int orgsnap_acquire(cw_db *db, MDB_txn *txn, const char *org, cw_time t, cw_arena *hold,
                    org_snap **out, cw_err *err);

/* A query answer depends only on the snapshot, the catalogue graph and the
 * query's options, so it is computed once per snapshot and graph
 * generation and shared by later identical queries.  key names the query
 * kind and options.  Returns the answer or NULL. */
const void *orgsnap_memo_get(org_snap *s, uint64_t graph_gen, const char *key, uint64_t *id);

/* Offers answer, allocated in m together with everything it points to
 * (m holding a graph reference when it points into the graph), under key.
 * Takes m: the snapshot keeps it, or, when the key is already there or the
 * memo is full, it is handed to hold and freed with it.  *id receives the
 * entry's id (unique in the process), or 0 when it was not kept.  Returns
 * 0 or CW_ENOMEM (m then already freed). */
int orgsnap_memo_put(org_snap *s, uint64_t graph_gen, const char *key, cw_arena *m,
                     const void *answer, cw_arena *hold, uint64_t *id);

/* Drops every cached snapshot (readers still holding one keep it). */
void orgsnap_cache_clear(cw_db *db);

#endif
