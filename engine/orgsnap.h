/* Per-organisation snapshots shared between queries: an organisation's
 * controls and every implemented control's state (§3), and its audit
 * findings with those open at the snapshot's time indexed by requirement
 * (§6.3), decoded once and reused by every coverage, gap and SoA query
 * that asks for a time the states and the open findings still hold at,
 * until a write to that organisation changes its data generation.
 * Engine-private. */
#ifndef CW_ENGINE_ORGSNAP_H
#define CW_ENGINE_ORGSNAP_H

#include "internal.h"

#include <stdatomic.h>

/* The findings open on one requirement at the snapshot's times: the first
 * open major and minor nonconformity (by id; NULL when none) and every
 * open finding, of any kind. */
typedef struct snap_held {
    const struct cw_audit_finding *major, *minor;
    const struct cw_audit_finding **open;
    size_t n_open;
} snap_held;

typedef struct org_snap {
    atomic_int refs;
    cw_arena *a; /* owns everything below */
    char *org;
    uint64_t gen;
    /* The states hold for every time t with from <= t < until. */
    cw_time from, until;
    /* Of a past recorded state (history.c): the next change after it,
     * where until ends at the latest; INT64_MAX for the current state. */
    cw_time rec_next;
    bool past_slot;          /* kept in its organisation's slot for older times */
    uint64_t used;           /* last use, for eviction */
    struct cw_control *ctls; /* in ctl_owner's arena when that is set */
    size_t n_ctls;
    /* The snapshot whose arena holds ctls, referenced, or NULL: this one. */
    struct org_snap *ctl_owner;
    struct cw_control_state *st; /* per control; zero (INACTIVE) unless implemented */
    /* Every finding of the organisation, by id; those open at the
     * snapshot's times by requirement ("fw\0id" -> index into held), and
     * those whose corrective action is overdue then, by id. */
    struct cw_audit_finding *findings;
    size_t n_findings;
    strmap held_idx;
    snap_held *held;
    size_t n_held;
    const struct cw_audit_finding **overdue;
    size_t n_overdue;
    /* A query answer depends only on the snapshot, the catalogue graph and
     * the query's options, so it is computed once per snapshot and graph
     * generation (the tag) and shared by later identical queries: the key
     * names the query kind and options.  An answer kept here may hold a
     * graph reference. */
    memo memo;
} org_snap;

/* The snapshot of org as of t inside txn, its controls as recorded at
 * rec (REC_NOW: as they are): the cached one when its
 * generation is current and t lies in its window, else a new one (cached
 * when it is the newest for org).  The snapshot stays alive until the
 * arena hold is freed or reset; the caller never frees it.  The caller has
 * checked that org exists.  Returns 0 or CW_ENOMEM / an LMDB-derived code
 * (err filled). */
int orgsnap_acquire(cw_db *db, MDB_txn *txn, const char *org, cw_time t, cw_time rec,
                    cw_arena *hold, org_snap **out, cw_err *err);

/* The findings open on requirement id of framework fw, or NULL. */
const snap_held *orgsnap_held(const org_snap *s, const char *fw, const char *id);

/* Drops every cached snapshot (readers still holding one keep it). */
void orgsnap_cache_clear(cw_db *db);

#endif
