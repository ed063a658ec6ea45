/* The records of an information security management system as plain C
 * values (docs/SEMANTICS.md §6): an organisation's assets and risks (the
 * register behind the Statement of Applicability), its internal audits
 * and their findings, and the words each of them is described with.
 *
 * As in crosswalk/model.h, strings are borrowed: on input the engine
 * copies what it keeps; on output they live in the arena passed to the
 * read function.  Times are Unix seconds (UTC); a time that may be absent
 * comes with a has_ flag. */
#ifndef CROSSWALK_ISMS_MODEL_H
#define CROSSWALK_ISMS_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "crosswalk/time.h"

/* The scale likelihood and impact are scored on, 1..N, set per
 * organisation (org.put risk_scale). */
#define CW_RISK_SCALE_DEFAULT 5
#define CW_RISK_SCALE_MIN 2
#define CW_RISK_SCALE_MAX 10

/* Risk treatment options (ISO/IEC 27001 6.1.3).  NONE: not decided yet. */
typedef enum cw_treatment {
    CW_TREAT_NONE = 0,
    CW_TREAT_MITIGATE,
    CW_TREAT_TRANSFER,
    CW_TREAT_AVOID,
    CW_TREAT_ACCEPT
} cw_treatment;

typedef enum cw_audit_status {
    CW_AUDIT_PLANNED = 0,
    CW_AUDIT_IN_PROGRESS,
    CW_AUDIT_CLOSED
} cw_audit_status;

/* What an internal audit found; only the two nonconformities change a
 * requirement's status. */
typedef enum cw_finding_kind {
    CW_FIND_MAJOR_NC = 0,
    CW_FIND_MINOR_NC,
    CW_FIND_OBSERVATION,
    CW_FIND_OPPORTUNITY
} cw_finding_kind;

/* A finding's life: every status but CLOSED is open. */
typedef enum cw_finding_status {
    CW_FST_OPEN = 0,
    CW_FST_ACTION_PLANNED,
    CW_FST_VERIFIED,
    CW_FST_CLOSED
} cw_finding_status;

/* The result of checking a corrective action's effectiveness. */
typedef enum cw_effectiveness {
    CW_EFF_NONE = 0, /* not checked */
    CW_EFF_EFFECTIVE,
    CW_EFF_NOT_EFFECTIVE
} cw_effectiveness;

/* Why an Annex A control is in the Statement of Applicability: a bit
 * each.  RISK is derived (a risk names one of its implementing controls);
 * the other three are recorded with the scope decision. */
enum {
    CW_REASON_RISK = 1,
    CW_REASON_LEGAL = 2,
    CW_REASON_CONTRACTUAL = 4,
    CW_REASON_BUSINESS = 8,
};
#define CW_REASONS_RECORDED (CW_REASON_LEGAL | CW_REASON_CONTRACTUAL | CW_REASON_BUSINESS)

/* A list of ids. */
typedef struct cw_ids {
    const char **v;
    size_t n;
} cw_ids;

/* A time that may be absent. */
typedef struct cw_when {
    bool has;
    cw_time at;
} cw_when;

typedef struct cw_asset {
    const char *org, *id, *name, *owner, *classification;
} cw_asset;

typedef struct cw_risk {
    const char *org, *id, *title, *description, *threat, *owner;
    cw_ids assets;                            /* asset ids of the organisation */
    int likelihood, impact;                   /* inherent, 1..scale */
    int residual_likelihood, residual_impact; /* 1..scale; 0: not assessed */
    cw_treatment treatment;
    cw_ids controls;         /* the organisation's controls that treat it */
    const char *accepted_by; /* who accepted the (residual) risk, or NULL */
    cw_when accepted_at, acceptance_expires, review_at;
} cw_risk;

/* Flags a risk carries at a time (cw_risk_flags). */
enum {
    CW_RISK_REVIEW_OVERDUE = 1,     /* its review date has passed */
    CW_RISK_ACCEPTANCE_EXPIRED = 2, /* its acceptance has expired */
    CW_RISK_ACCEPTANCE_PENDING = 4, /* accepted (by treatment or date), by nobody named */
};

typedef struct cw_audit {
    const char *org, *id, *title, *framework, *auditor;
    cw_ids scope; /* requirement or group ids of framework */
    cw_when planned_start, planned_end;
    cw_audit_status status;
} cw_audit;

typedef struct cw_audit_finding {
    const char *org, *id, *audit, *framework, *requirement;
    cw_finding_kind kind;
    cw_finding_status status;
    const char *description, *owner, *root_cause, *corrective_action;
    cw_time raised_at;
    cw_when closed_at, due_at, effectiveness_checked_at;
    cw_effectiveness effectiveness;
} cw_audit_finding;

/* The words of each vocabulary, indexed by the enum's value (a NULL entry
 * has no word: CW_TREAT_NONE, CW_EFF_NONE) and NULL-terminated after the
 * last. */
extern const char *const cw_treatment_names[];
extern const char *const cw_audit_status_names[];
extern const char *const cw_finding_kind_names[];
extern const char *const cw_finding_status_names[];
extern const char *const cw_effectiveness_names[];
/* The recorded reasons, "legal", "contractual", "business", and the bit of
 * each (cw_reason_bits[i] for cw_reason_names[i]). */
extern const char *const cw_reason_names[];
extern const unsigned cw_reason_bits[];
extern const size_t cw_treatment_count, cw_audit_status_count, cw_finding_kind_count,
    cw_finding_status_count, cw_effectiveness_count;

/* The word of value v in names (n entries), or NULL. */
const char *cw_word_name(const char *const *names, size_t n, int v);
/* The value whose word is s; 0, or -1 when s is none of them. */
int cw_word_parse(const char *const *names, size_t n, const char *s, int *out);

/* docs/SEMANTICS.md §6.3: whether finding f is open at t (raised at or
 * before t and not closed at t; a closed finding without closed_at never
 * is). */
bool cw_finding_open_at(const cw_audit_finding *f, cw_time t);
/* Whether f's corrective action is overdue at t: f is open at t, its due
 * date has passed and it is neither verified nor closed. */
bool cw_finding_overdue_at(const cw_audit_finding *f, cw_time t);
/* The CW_RISK_* flags risk r carries at t. */
unsigned cw_risk_flags(const cw_risk *r, cw_time t);

#endif
