/* Engine-private: the rules of docs/SEMANTICS.md that decide a state or a
 * status, as pure functions (state.c).  Everything a rule needs is passed
 * in; nothing here reads the store. */
#ifndef CW_ENGINE_STATE_H
#define CW_ENGINE_STATE_H

#include "crosswalk/arena.h"
#include "crosswalk/model.h"
#include "crosswalk/org.h"
#include "crosswalk/query.h"

#include <stdbool.h>

/* What a control's evidence says at a time t, as read from the evidence
 * indexes (evidence.c).  Ids live in the arena the reader was given. */
typedef struct ctl_evidence {
    const char *latest;      /* latest item collected at or before t; NULL: none */
    cw_result latest_result; /* its result (a fail wins a tie on time) */
    const char *fresh;       /* most recently collected passing item still
                                valid at t; NULL: none, or not looked up */
    cw_time fresh_until;     /* its last day of validity; INT64_MAX: none */
    cw_time next;            /* first collection after t; INT64_MAX: none */
} ctl_evidence;

/* §2.1 rule 1: only an implemented control has a state; any other is
 * INACTIVE and its evidence is not read. */
bool state_applies(cw_ctl_status status);

/* Whether the fresh passing item can decide the state: only when the
 * latest item exists and did not fail (§2.1 rules 2-3 decide the rest),
 * so the reader seeks it only then. */
bool state_needs_fresh(const ctl_evidence *ev);

/* §2.1: the state at t of a control with status and evidence ev, with the
 * deciding evidence (an array in a).  *until (when given) receives the
 * first time after t at which the answer could differ: ev->next, or
 * earlier the day after the deciding fresh item expires.  Returns 0 or
 * CW_ENOMEM. */
int state_decide(cw_ctl_status status, const ctl_evidence *ev, cw_arena *a, cw_control_state *out,
                 cw_time *until);

/* §2.4: the status one contribution (level, control state) gives, or -1
 * when it gives none (an inactive control). */
int status_given(cw_level level, cw_ctl_state state);

/* The (level, state) pair that gives status rank (a joint row's
 * contribution is reported that way); LEVEL_NONE / INACTIVE for -1. */
void status_parts(int rank, cw_level *level, cw_ctl_state *state);

/* §2.4, best status wins: whether rank is better than best, in the order
 * met > partial > unverified > failing > none (-1). */
bool status_better(int rank, int best);

/* §2.4: a requirement's status from the best of its contributions (-1:
 * none, a gap); a scope decision that excludes it makes it not_applicable
 * whatever else holds. */
cw_status status_settled(int best, bool excluded);

/* §6.3, applied after the best-of (and only when no scope decision
 * excludes the requirement): an open major nonconformity on the
 * requirement makes any status failing, an open minor one lowers met to
 * partial; other statuses, and other kinds of finding, stay. */
cw_status status_with_findings(cw_status s, bool major_open, bool minor_open);

/* §2.3: what a joint row of relationship rel contributes given its
 * members' statuses, or -1 for nothing. */
int status_of_joint(cw_rel rel, const cw_joint_member *members, size_t n);

/* §2.4: coverage percent from the counts per status of `assessed`
 * requirements: met / (assessed - not applicable) x 100, 0 when nothing
 * is left to assess. */
double status_percent(const size_t counts[CW_ST_COUNT], size_t assessed);

#endif
