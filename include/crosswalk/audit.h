/* Internal audits and their findings (engine/audits.c).  An audit names a
 * framework and its scope (requirements or groups of it); a finding names
 * one assessed requirement inside its audit's scope.  Open major and minor
 * nonconformities change that requirement's coverage status
 * (docs/SEMANTICS.md §6.3); the organisation snapshot reads them once per
 * window of time in which the set of open findings stays the same.
 * Writes are idempotent upserts keyed by id, all or nothing per call. */
#ifndef CROSSWALK_AUDIT_H
#define CROSSWALK_AUDIT_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/isms_model.h"
#include "crosswalk/model.h"

/* Upserts audits, all or nothing.  The framework and every scope id must
 * exist (CW_ENOFW, CW_ENOREQ naming items[i].scope[j]); the scope is not
 * empty; planned_end is not before planned_start (CW_ERANGE).  An audit
 * that has findings keeps its framework, and its new scope must still hold
 * each finding's requirement (CW_ECONFLICT naming the finding). */
int cw_audit_put(cw_db *db, cw_wtxn *w, const cw_audit *items, size_t n, cw_bulk_stats *st,
                 cw_err *err);
int cw_audit_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_audit *out,
                 cw_err *err);
int cw_audit_list(cw_db *db, const char *org, cw_arena *a, cw_audit **out, size_t *n, cw_err *err);
/* CW_ECONFLICT while findings name the audit (the message names them). */
int cw_audit_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err);

/* Upserts findings, all or nothing.  The audit must be the organisation's
 * (CW_ENOENT); framework, when given, is the audit's (else it is taken
 * from the audit); the requirement is assessed (assessable, not
 * withdrawn) and inside the audit's scope: one of its ids or under one
 * (CW_EINVAL naming items[i].requirement).  closed_at is given only with
 * status closed and is not before raised_at (CW_ERANGE); a nonconformity
 * whose action is planned or later names its corrective action, and a
 * verified one the date and result of the effectiveness check
 * (CW_EINVAL). */
int cw_finding_put(cw_db *db, cw_wtxn *w, const cw_audit_finding *items, size_t n,
                   cw_bulk_stats *st, cw_err *err);
int cw_finding_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_audit_finding *out,
                   cw_err *err);

/* Which findings cw_finding_list returns: all of them, or those of one
 * audit, framework or requirement (each NULL for any). */
typedef struct cw_finding_filter {
    const char *audit, *framework, *requirement;
} cw_finding_filter;

/* The organisation's findings by id, filtered (f may be NULL). */
int cw_finding_list(cw_db *db, const char *org, const cw_finding_filter *f, cw_arena *a,
                    cw_audit_finding **out, size_t *n, cw_err *err);
int cw_finding_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err);

#endif
