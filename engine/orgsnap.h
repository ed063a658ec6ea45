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
    /* A query answer depends only on the snapshot, the catalogue graph and
     * the query's options, so it is computed once per snapshot and graph
     * generation (the tag) and shared by later identical queries: the key
     * names the query kind and options.  An answer kept here may hold a
     * graph reference. */
    memo memo;
} org_snap;

/* The snapshot of org as of t inside txn: the cached one when its
 * generation is current and t lies in its window, else a new one (cached
 * when it is the newest for org).  The snapshot stays alive until the
 * arena hold is freed or reset; the caller never frees it.  The caller has
 * checked that org exists.  Returns 0 or CW_ENOMEM / an LMDB-derived code
 * (err filled). */
int orgsnap_acquire(cw_db *db, MDB_txn *txn, const char *org, cw_time t, cw_arena *hold,
                    org_snap **out, cw_err *err);

/* Drops every cached snapshot (readers still holding one keep it). */
void orgsnap_cache_clear(cw_db *db);

#endif
