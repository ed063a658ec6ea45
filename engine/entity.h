/* Engine-private reads of the entity floor that the organisation snapshot
 * cache and the queries above it use, each inside an open read
 * transaction: an organisation's controls (controls.c), a control's state
 * at a time from its evidence (evidence.c) and an organisation's scope
 * decisions (scope.c). */
#ifndef CW_ENGINE_ENTITY_H
#define CW_ENGINE_ENTITY_H

#include "internal.h"

struct cw_control;
struct cw_control_state;
struct cw_scope;

/* How controls are kept (controls.c): org\0id records in DB_CTL. */
extern const item_kind control_items;

/* Every control of org, decoded into a.  Returns 0 or a CW_E* code. */
int controls_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a, struct cw_control **out,
                size_t *n);

/* The state at t of control ctl of org, whose status is status
 * (docs/SEMANTICS.md §2.1, state.c), its deciding evidence copied into a.
 * *until (when given) receives the first time after t at which the answer
 * could differ; INT64_MAX when nothing ahead can change it.  Returns 0 or
 * a CW_E* code. */
int ctl_state(MDB_txn *txn, cw_db *db, const char *org, const char *ctl, cw_ctl_status status,
              cw_time t, cw_arena *a, struct cw_control_state *out, cw_time *until);

/* Scope decisions of org, of framework fw only when fw is given.  Returns 0
 * or a CW_E* code. */
int scopes_of(MDB_txn *txn, cw_db *db, const char *org, const char *fw, cw_arena *a,
              struct cw_scope **out, size_t *n);

#endif
