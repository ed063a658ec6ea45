/* Engine-private reads of the entity floor that the organisation snapshot
 * cache and the queries above it use, each inside an open read
 * transaction: an organisation's controls (controls.c), a control's state
 * at a time from its evidence (evidence.c), an organisation's scope
 * decisions (scope.c), risks (risks.c) and findings (audits.c); and the
 * check organisations (orgs.c) make of a new risk scale. */
#ifndef CW_ENGINE_ENTITY_H
#define CW_ENGINE_ENTITY_H

#include "internal.h"

struct cw_control;
struct cw_control_state;
struct cw_scope;
struct cw_risk;
struct cw_audit_finding;

/* How controls are kept (controls.c): org\0id records in DB_CTL. */
extern const item_kind control_items;

/* Every control of org, decoded into a.  Returns 0 or a CW_E* code. */
int controls_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a, struct cw_control **out,
                size_t *n);
/* controls_of as recorded at rec (REC_NOW: as they are). */
int controls_of_at(MDB_txn *txn, cw_db *db, const char *org, cw_time rec, cw_arena *a,
                   struct cw_control **out, size_t *n);

/* The state at t of control ctl of org, whose status is status
 * (docs/SEMANTICS.md §2.1, state.c), its deciding evidence copied into a.
 * *until (when given) receives the first time after t at which the answer
 * could differ; INT64_MAX when nothing ahead can change it.  Returns 0 or
 * a CW_E* code. */
int ctl_state(MDB_txn *txn, cw_db *db, const char *org, const char *ctl, cw_ctl_status status,
              cw_time t, cw_arena *a, struct cw_control_state *out, cw_time *until);
/* The evidence index cursors ctl_state reads with, kept open across the
 * controls of one snapshot (opening four cursors per control cost as much
 * as the seeks).  Zero-initialised; ev_cursors_close when done. */
typedef struct ev_cursors {
    MDB_cursor *c[4];
} ev_cursors;
void ev_cursors_close(ev_cursors *cs);
/* Judges again, at t, those of the n controls ctls (states st, from the
 * evidence as it is now) that name evidence replaced or deleted after rec,
 * with those items as they were at rec; narrows *until.  0 or a CW_E*
 * code. */
int ev_states_then(MDB_txn *txn, cw_db *db, const char *org, cw_time rec, cw_time t,
                   const struct cw_control *ctls, size_t n, cw_arena *a,
                   struct cw_control_state *st, cw_time *until);
/* ctl_state with cursors held by the caller. */
int ctl_state_with(MDB_txn *txn, cw_db *db, ev_cursors *cs, const char *org, const char *ctl,
                   cw_ctl_status status, cw_time t, cw_arena *a, struct cw_control_state *out,
                   cw_time *until);

/* Scope decisions of org as recorded at rec (REC_NOW: as they are), of
 * framework fw only when fw is given.  Returns 0
 * or a CW_E* code. */
int scopes_of(MDB_txn *txn, cw_db *db, const char *org, const char *fw, cw_time rec, cw_arena *a,
              struct cw_scope **out, size_t *n);

/* Every risk of org, and every finding of org, decoded into a.  Return 0
 * or a CW_E* code. */
int risks_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a, struct cw_risk **out,
             size_t *n);
int findings_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a,
                struct cw_audit_finding **out, size_t *n);

/* 0 when every risk of org is scored within 1..scale, else CW_ECONFLICT
 * naming the first risk that is not ("risk_scale: ..."). */
int risks_fit_scale(cw_wtxn *w, const char *org, int scale, cw_err *err);

#endif
