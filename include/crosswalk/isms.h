/* The ISMS questions built on coverage (engine/isms.c): an internal
 * audit's checklist, the auditor's working paper of every assessed
 * requirement in the audit's scope with its status and deciding evidence,
 * and the Statement of Applicability frozen as numbered, approved
 * versions.  Every answer lives in the arena the caller passes. */
#ifndef CROSSWALK_ISMS_H
#define CROSSWALK_ISMS_H

#include "crosswalk/arena.h"
#include "crosswalk/audit.h"
#include "crosswalk/db.h"
#include "crosswalk/query.h"

typedef struct cw_checklist_item {
    const char *id, *title, *group;
    const char *look_for; /* the requirement's description, else its title */
    cw_status status;     /* as coverage.get answers it at as_of */
    /* The controls that reach it and the evidence that decided their
     * states (through a joint row: its members'). */
    const char **controls;
    size_t n_controls;
    const char **evidence;
    size_t n_evidence;
    const cw_audit_finding *finding;         /* the open finding that set the status */
    const cw_audit_finding *const *findings; /* every finding open on it */
    size_t n_findings;
} cw_checklist_item;

typedef struct cw_checklist {
    const char *org;
    cw_audit audit;
    cw_time as_of;
    cw_checklist_item *items; /* assessed requirements in scope, publisher order */
    size_t n_items;
    size_t counts[CW_ST_COUNT]; /* of items */
    /* Requirements in scope that a scope decision excludes: left out of
     * items, listed so the auditor sees them. */
    const char **excluded;
    size_t n_excluded;
} cw_checklist;

/* The checklist of audit (of org) at as_of: every assessed requirement of
 * the audit's framework that is one of its scope ids or under one (at any
 * depth), with status, controls and evidence as coverage at default hops
 * gives them.  CW_ENOORG, CW_ENOENT (no such audit), CW_ENOFW (its
 * framework is no longer loaded). */
int cw_audit_checklist(cw_db *db, const char *org, const char *audit, cw_time as_of, cw_arena *a,
                       cw_checklist *out, cw_err *err);

/* One approved version of an organisation's Statement of Applicability. */
typedef struct cw_soa_approval {
    int version;
    const char *approver;
    cw_time approved_at;
    uint64_t sequence;
    bool forced;
    size_t n_unjustified;
} cw_soa_approval;

/* Freezes the Statement of Applicability of org as it stands at now as
 * version, approved by approver.  version must be above every approved
 * one (CW_ECONFLICT).  With unjustified rows it is refused (CW_ECONFLICT,
 * "force: ...", naming the first rows) unless force.  The SoA is computed
 * from the committed store; when a write to the organisation runs earlier
 * in the same write group, the approval is refused (CW_ECONFLICT) rather
 * than freeze what that write changed without it.  *out (may be NULL)
 * receives what was frozen, in a. */
int cw_soa_approve(cw_db *db, cw_wtxn *w, const char *org, int version, const char *approver,
                   bool force, cw_time now, cw_arena *a, cw_soa *out, cw_err *err);

/* A frozen version, as approved.  CW_ENOENT when there is no such version. */
int cw_soa_version_get(cw_db *db, const char *org, int version, cw_arena *a, cw_soa *out,
                       cw_err *err);

/* Every approved version of org, oldest first. */
int cw_soa_versions(cw_db *db, const char *org, cw_arena *a, cw_soa_approval **out, size_t *n,
                    cw_err *err);

#endif
