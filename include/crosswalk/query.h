/* The questions crosswalk answers (docs/SEMANTICS.md; the protocol in server/PROTOCOL.md): coverage of a framework
 * by an organisation at a time, the gap report with its greedy plan, the
 * organisation-free framework comparison, and the ISO/IEC 27001:2022
 * Statement of Applicability.  "Now" is always a parameter.  Every answer
 * is allocated in the arena the caller passes and lives until it is freed. */
#ifndef CROSSWALK_QUERY_H
#define CROSSWALK_QUERY_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/isms_model.h"
#include "crosswalk/model.h"

#define CW_DEFAULT_HOPS_COVERAGE 1
#define CW_DEFAULT_HOPS_GAP 2
#define CW_DEFAULT_HOPS_COMPARE 1

/* How a contribution reached its requirement. */
typedef enum cw_via {
    CW_VIA_DIRECT = 0, /* the control links the requirement itself */
    CW_VIA_GROUP,      /* the control links a group above it at level full */
    CW_VIA_MAPPING,    /* a crosswalk path from a requirement the control links */
    CW_VIA_JOINT,      /* a joint crosswalk row whose members are in place */
} cw_via;

const char *cw_via_name(cw_via v);

struct cw_joint_eval;

typedef struct cw_contribution {
    const char *control; /* NULL for a joint contribution */
    cw_ctl_state state;
    cw_level level; /* the level it gives this requirement */
    cw_via via;
    cw_link link;              /* the control's link it starts from */
    const cw_path *path;       /* VIA_MAPPING: from the linked requirement (or an
                            assessable requirement under it) to this
                            requirement or a group above it */
    const char *reached_group; /* path or joint row ended at this group */
    const char **evidence;     /* ids that decided the control's state */
    size_t n_evidence;
    bool stale;
    cw_status gives;                   /* the status this contribution alone gives; GAP: none */
    const struct cw_joint_eval *joint; /* VIA_JOINT: the row and its members */
} cw_contribution;

/* One member of a joint row as evaluated for an organisation (§3): its
 * member status and what decided it. */
typedef struct cw_joint_member {
    cw_ref ref;
    const char *title;                   /* NULL when it is not in its catalogue */
    cw_status status;                    /* GAP .. MET */
    const char *why;                     /* NULL, or why it is a gap whatever is linked:
                                    "withdrawn", "not in the catalogue",
                                    "not assessable", "nothing assessed under it" */
    const char *lowest;                  /* a group member: the requirement under it
                                    whose (lowest) status it took */
    const cw_contribution *contribution; /* what decided that status; NULL for gap */
    const cw_audit_finding *finding;     /* an open finding that changed that status */
} cw_joint_member;

/* A joint row evaluated for one answer. */
typedef struct cw_joint_eval {
    cw_mapping row;           /* source set, target, relationship, origin, note */
    cw_joint_member *members; /* in the row's order */
    size_t n_members;
    size_t n_met;    /* members met ("in place") */
    bool gives_any;  /* it contributes to its target */
    cw_status gives; /* what it contributes, when gives_any */
} cw_joint_eval;

typedef struct cw_req_status {
    const char *id, *title, *group; /* group: top-level ancestor id */
    cw_status status;
    const char *justification; /* scope decision, if any */
    cw_contribution *contribs; /* only with detail */
    size_t n_contribs;
    size_t best; /* index of the deciding contribution */
    /* The open finding that set the status (a major nonconformity, or a
     * minor one that lowered met to partial), or NULL; and every finding
     * open on the requirement at the time asked (only with detail). */
    const cw_audit_finding *finding;
    const cw_audit_finding *const *findings;
    size_t n_findings;
} cw_req_status;

typedef struct cw_group_summary {
    const char *id, *title;
    size_t counts[CW_ST_COUNT];
    size_t assessable;
    double percent;
    const char **partial_links; /* controls with a partial link to the group itself */
    size_t n_partial_links;
} cw_group_summary;

typedef struct cw_coverage_query {
    const char *org, *framework;
    cw_time as_of;
    int max_hops; /* 0 = default (1) */
    bool detail;
    /* Judge the controls, links, scope decisions, catalogues and crosswalks
     * as they were recorded at as_of (their history), not as they are now. */
    bool as_recorded;
} cw_coverage_query;

typedef struct cw_coverage {
    const char *org, *framework;
    cw_time as_of;
    int max_hops;
    size_t counts[CW_ST_COUNT];
    size_t assessable; /* assessed requirements: assessable and not withdrawn */
    double percent;    /* met / (assessable - not_applicable) * 100; 0 if none */
    cw_group_summary *groups;
    size_t n_groups;
    cw_req_status *reqs; /* every assessed requirement, publisher order */
    size_t n_reqs;
    /* Nonzero when the engine shares this answer between identical queries
     * (same organisation data, catalogue and options, a time inside the
     * same validity window): answers with equal ids are identical apart
     * from org and as_of, so a caller may cache what it renders from one. */
    uint64_t answer_id;
    /* The answer holds for every time from as_of up to (not including)
     * until, unless a write changes the organisation or the catalogue:
     * the next instant evidence expires or a finding's deadline passes. */
    cw_time until;
} cw_coverage;

/* Every control of an organisation with its state at t (in id order), and
 * until: the states hold for t <= time < until unless a write changes
 * them.  Results live in a (which also keeps them alive). */
typedef struct cw_state_list {
    const char **ids;
    cw_ctl_state *states;
    size_t n;
    cw_time until;
} cw_state_list;
int cw_org_states(cw_db *db, const char *org, cw_time t, cw_arena *a, cw_state_list *out,
                  cw_err *err);

/* CW_ENOORG, CW_ENOFW, CW_ERANGE (max_hops outside 1..3). */
int cw_coverage_get(cw_db *db, const cw_coverage_query *q, cw_arena *a, cw_coverage *out,
                    cw_err *err);

/* What stands behind a requirement's status in a detailed answer: the
 * controls whose contributions reach it (through a joint row, the
 * controls that decided its members), those of them that are implemented,
 * and the evidence that decided their states; each listed once. */
typedef struct cw_req_sources {
    const char **reaching; /* every control, planned ones too */
    size_t n_reaching;
    const char **controls; /* the implemented ones */
    size_t n_controls;
    const char **evidence;
    size_t n_evidence;
} cw_req_sources;

/* Arrays in a; 0 or CW_ENOMEM. */
int cw_req_sources_get(const cw_req_status *rs, cw_arena *a, cw_req_sources *out);

typedef struct cw_gap_candidate {
    cw_ref ref;
    const char *title;
    const cw_path *path; /* from the candidate to the gap (or a group above it) */
    cw_level gives;      /* level satisfying the candidate would give the gap */
    bool covered;        /* the organisation satisfies the candidate already */
} cw_gap_candidate;

typedef struct cw_gap_control {
    const char *control;
    cw_ctl_status status;
    cw_ctl_state state;
    cw_level level; /* level it gives (or would give, once implemented) */
    cw_via via;
    cw_link link;
} cw_gap_control;

typedef struct cw_gap_item {
    const char *id, *title, *group;
    cw_status status;
    cw_gap_candidate *cands;
    size_t n_cands;
    cw_gap_control *controls; /* planned, not implemented or partial */
    size_t n_controls;
    const cw_joint_eval **joints; /* joint rows to it or to a group above it */
    size_t n_joints;
    /* Open findings on it; held: an open nonconformity keeps it from being
     * met whatever is linked, so no plan step closes it. */
    const cw_audit_finding *const *findings;
    size_t n_findings;
    bool held;
} cw_gap_item;

/* One step of the plan: one requirement to satisfy, or the missing
 * members of one joint row together. */
typedef struct cw_plan_step {
    cw_ref ref; /* the first requirement the step adds */
    const char *title;
    cw_ref *adds; /* every requirement the step adds (ref first) */
    const char **add_titles;
    size_t n_adds;
    const cw_joint_eval *joint; /* a joint step: the row it completes */
    const char **closes;        /* target ids closed in full, in target order */
    size_t n_closes;
} cw_plan_step;

typedef struct cw_gap_query {
    const char *org, *target, *source; /* source optional */
    cw_time as_of;
    int max_hops; /* 0 = default (2) */
    bool as_recorded; /* as in cw_coverage_query */
} cw_gap_query;

typedef struct cw_gap_report {
    const char *org, *target, *source;
    cw_time as_of;
    int max_hops;
    size_t counts[CW_ST_COUNT];
    size_t assessable;
    double percent;
    cw_gap_item *gaps;
    size_t n_gaps;
    cw_plan_step *plan;
    size_t n_plan;
    size_t closable; /* gaps the plan closes in full */
    /* Findings on target requirements whose corrective action is overdue
     * at as_of (cw_finding_overdue_at), by id. */
    const cw_audit_finding *const *overdue;
    size_t n_overdue;
    /* As cw_coverage.answer_id: equal ids mean identical answers apart
     * from org, source and as_of. */
    uint64_t answer_id;
} cw_gap_report;

int cw_gap_report_get(cw_db *db, const cw_gap_query *q, cw_arena *a, cw_gap_report *out,
                      cw_err *err);

typedef struct cw_compare_item {
    const char *id, *title, *group;
    cw_level level;
    const cw_path **paths; /* paths that give that level (at most 16 kept) */
    size_t n_paths;
    size_t n_paths_total;         /* how many paths give that level in all */
    const cw_joint_eval **joints; /* joint rows that give that level */
    size_t n_joints;
} cw_compare_item;

typedef struct cw_compare_query {
    const char *source, *target;
    int max_hops; /* 0 = default (1) */
    /* The catalogues and crosswalks as recorded at as_of (their history),
     * when has_as_of; as they are now otherwise. */
    bool has_as_of;
    cw_time as_of;
} cw_compare_query;

typedef struct cw_compare {
    const char *source, *target;
    int max_hops;
    size_t full, partial, unreached, assessable;
    cw_compare_item *items; /* every assessed target requirement */
    size_t n_items;
    /* Nonzero when shared: answers with equal ids are identical, so a
     * caller may cache what it renders from one. */
    uint64_t answer_id;
} cw_compare;

/* If every requirement of source were satisfied (as if one effective
 * control linked each of them, groups and withdrawn ones included, at level
 * full), which assessed target requirements would be full (met), partial
 * or unreached.  No organisation involved. */
int cw_framework_compare(cw_db *db, const cw_compare_query *q, cw_arena *a, cw_compare *out,
                         cw_err *err);

typedef struct cw_soa_item {
    const char *id, *title, *theme;
    bool applicable;
    const char *justification;
    cw_status status;           /* the coverage status */
    const char *implementation; /* "implemented", "partially implemented",
                                   "not verified", "failing", "not implemented",
                                   "planned", "not applicable" */
    const char **controls;      /* implementing controls */
    size_t n_controls;
    const char **evidence;
    size_t n_evidence;
    /* Why it is included: CW_REASON_* bits (none for an excluded row), and
     * the risks that name one of its implementing controls (planned ones
     * too). */
    unsigned reasons;
    const char **risks;
    size_t n_risks;
} cw_soa_item;

/* A row the Statement of Applicability cannot stand behind as it is. */
typedef struct cw_soa_issue {
    const char *id;
    const char *why; /* "included without a reason", "excluded without a justification" */
} cw_soa_issue;

typedef struct cw_soa {
    const char *org;
    cw_time as_of;
    cw_soa_item *items; /* the 93 Annex A controls, in order */
    size_t n_items;
    size_t applicable, excluded, implemented;
    cw_soa_issue *unjustified; /* in row order */
    size_t n_unjustified;
    /* Controls implementing some Annex A row that no risk names. */
    const char **untreating;
    size_t n_untreating;
    /* The organisation's data generation the answer was computed at: it
     * grows with every write to the organisation. */
    uint64_t sequence;
    /* A frozen version (crosswalk/isms.h): its number (0 for the SoA as it
     * stands), who approved it and when, and whether it was approved over
     * unjustified rows. */
    int version;
    const char *approver;
    cw_time approved_at;
    bool forced;
} cw_soa;

/* Needs the iso27001-2022 catalogue (CW_ENOFW otherwise).  The controls
 * and scope decisions are those of now, or those recorded at as_of when
 * as_recorded. */
int cw_soa_get(cw_db *db, const char *org, cw_time as_of, bool as_recorded, cw_arena *a,
               cw_soa *out, cw_err *err);

#endif
