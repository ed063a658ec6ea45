/* The rules that decide a state or a status, in one place: a control's
 * state at a time T from its status and evidence (docs/SEMANTICS.md §2.1),
 * the status a contribution gives and which status wins (§2.4), what a
 * joint row contributes from its members' statuses (§2.3) and what open
 * audit findings do to a status (§6.3).  Pure
 * functions: evidence.c reads what the evidence indexes say and coverage.c
 * walks the catalogue graph; both ask here what it means. */
#include "state.h"

#include <stdint.h>
#include <string.h>

bool state_applies(cw_ctl_status status)
{
    return status == CW_CTL_IMPLEMENTED;
}

bool state_needs_fresh(const ctl_evidence *ev)
{
    return ev->latest && ev->latest_result != CW_RESULT_FAIL;
}

int state_decide(cw_ctl_status status, const ctl_evidence *ev, cw_arena *a, cw_control_state *out,
                 cw_time *until)
{
    memset(out, 0, sizeof *out);
    if (until)
        *until = INT64_MAX;
    if (!state_applies(status))
        return 0; /* 1. not implemented: INACTIVE, contributes nothing */
    out->state = CW_STATE_UNVERIFIED;
    if (until)
        *until = ev->next;
    if (!ev->latest)
        return 0; /* 2. no evidence by t: unverified */
    const char *decided;
    if (ev->latest_result == CW_RESULT_FAIL) {
        /* 3. the latest item failed */
        out->state = CW_STATE_FAILING;
        decided = ev->latest;
    } else if (ev->fresh) {
        /* 4. a passing item still valid at t.  While it stays fresh it
         * stays the most recently collected fresh one, so only its
         * expiry (or a new collection) can change the answer. */
        out->state = CW_STATE_EFFECTIVE;
        decided = ev->fresh;
        if (until && ev->fresh_until < INT64_MAX && ev->fresh_until + 1 < *until)
            *until = ev->fresh_until + 1;
    } else {
        /* 5. passing evidence gone stale: unverified, the latest named */
        out->stale = true;
        decided = ev->latest;
    }
    out->evidence = cw_arena_alloc(a, sizeof(char *));
    if (!out->evidence)
        return CW_ENOMEM;
    out->evidence[0] = decided;
    out->n_evidence = 1;
    return 0;
}

int status_given(cw_level level, cw_ctl_state state)
{
    switch (state) {
    case CW_STATE_EFFECTIVE: return level == CW_LEVEL_FULL ? CW_ST_MET : CW_ST_PARTIAL;
    case CW_STATE_UNVERIFIED: return CW_ST_UNVERIFIED;
    case CW_STATE_FAILING: return CW_ST_FAILING;
    default: return -1;
    }
}

void status_parts(int rank, cw_level *level, cw_ctl_state *state)
{
    *level = rank == CW_ST_MET       ? CW_LEVEL_FULL
             : rank == CW_ST_PARTIAL ? CW_LEVEL_PARTIAL
                                     : CW_LEVEL_NONE;
    *state = rank == CW_ST_MET || rank == CW_ST_PARTIAL ? CW_STATE_EFFECTIVE
             : rank == CW_ST_UNVERIFIED                 ? CW_STATE_UNVERIFIED
             : rank == CW_ST_FAILING                    ? CW_STATE_FAILING
                                                        : CW_STATE_INACTIVE;
}

bool status_better(int rank, int best)
{
    /* cw_status is declared in increasing order of merit */
    return rank > best;
}

cw_status status_settled(int best, bool excluded)
{
    if (excluded)
        return CW_ST_NOT_APPLICABLE;
    return best < 0 ? CW_ST_GAP : (cw_status)best;
}

cw_status status_with_findings(cw_status s, bool major_open, bool minor_open)
{
    if (s == CW_ST_NOT_APPLICABLE)
        return s;
    if (major_open)
        return CW_ST_FAILING;
    if (minor_open && s == CW_ST_MET)
        return CW_ST_PARTIAL;
    return s;
}

int status_of_joint(cw_rel rel, const cw_joint_member *ms, size_t n)
{
    if (rel == CW_REL_NOT_RELATED)
        return -1;
    bool all_met = true, some[CW_ST_COUNT] = {false};
    for (size_t i = 0; i < n; i++) {
        all_met &= ms[i].status == CW_ST_MET;
        some[ms[i].status] = true;
    }
    if (all_met && (rel == CW_REL_EQUAL || rel == CW_REL_SUPERSET_OF))
        return CW_ST_MET;
    if (some[CW_ST_MET] || some[CW_ST_PARTIAL])
        return CW_ST_PARTIAL;
    if (some[CW_ST_UNVERIFIED])
        return CW_ST_UNVERIFIED;
    if (some[CW_ST_FAILING])
        return CW_ST_FAILING;
    return -1;
}

double status_percent(const size_t counts[CW_ST_COUNT], size_t assessed)
{
    size_t denom = assessed - counts[CW_ST_NOT_APPLICABLE];
    return denom ? 100.0 * (double)counts[CW_ST_MET] / (double)denom : 0.0;
}
