/* Dry runs of bulk writes.  A dry run does the write inside a transaction
 * that is thrown away (cw_write_trial, db.h), so it meets exactly the
 * checks, errors and counts of the real write.  What it cannot see is what
 * the earlier calls of the same load would have written first (the
 * organisation a load creates, the catalogue its crosswalk rows name, the
 * controls its evidence backs): cw_trial_assume writes stand-ins for those into
 * the dry run's own transaction, where they are thrown away with it. */
#ifndef CROSSWALK_TRIAL_H
#define CROSSWALK_TRIAL_H

#include "crosswalk/db.h"
#include "crosswalk/model.h"

/* What to take as written.  Strings are borrowed. */
typedef struct cw_assumption {
    const char *org;             /* the organisation of the write, or NULL */
    bool org_exists;             /* take org itself as existing */
    const char *const *controls; /* controls of org */
    size_t n_controls;
    const cw_ref *requirements;
    size_t n_requirements;
} cw_assumption;

/* Makes what as names exist inside w: the organisation, each requirement (and
 * its framework) and control that is not stored yet is written as a
 * stand-in holding its id alone (a requirement as a root without
 * children, a control without links); what is stored is left as it is.
 * Controls are made only when their organisation exists, so a batch
 * naming an organisation that exists nowhere is still refused for it.
 * For dry runs only: w must be a transaction that is discarded.  Returns
 * 0 or a CW_E* code with err filled ("assume.requirements[2].id: ..."). */
int cw_trial_assume(cw_db *db, cw_wtxn *w, const cw_assumption *as, cw_err *err);

#endif
