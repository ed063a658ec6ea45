/* The vocabulary of the ISMS records (crosswalk/isms_model.h) and the
 * rules that read a record at a time: whether a finding is open or its
 * corrective action overdue, which flags a risk carries.  They live on the
 * shared floor because the engine decides with them, the server parses
 * the words and the tools print them. */
#include "crosswalk/isms_model.h"

#include <string.h>

const char *const cw_treatment_names[] = {NULL, "mitigate", "transfer", "avoid", "accept", NULL};
const size_t cw_treatment_count = 5;
const char *const cw_audit_status_names[] = {"planned", "in_progress", "closed", NULL};
const size_t cw_audit_status_count = 3;
const char *const cw_finding_kind_names[] = {"major_nc", "minor_nc", "observation", "opportunity",
                                             NULL};
const size_t cw_finding_kind_count = 4;
const char *const cw_finding_status_names[] = {"open", "action_planned", "verified", "closed",
                                               NULL};
const size_t cw_finding_status_count = 4;
const char *const cw_effectiveness_names[] = {NULL, "effective", "not_effective", NULL};
const size_t cw_effectiveness_count = 3;
const char *const cw_reason_names[] = {"legal", "contractual", "business", NULL};
const unsigned cw_reason_bits[] = {CW_REASON_LEGAL, CW_REASON_CONTRACTUAL, CW_REASON_BUSINESS};

const char *cw_word_name(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

int cw_word_parse(const char *const *names, size_t n, const char *s, int *out)
{
    for (size_t i = 0; s && i < n; i++)
        if (names[i] && strcmp(names[i], s) == 0) {
            *out = (int)i;
            return 0;
        }
    return -1;
}

bool cw_finding_open_at(const cw_audit_finding *f, cw_time t)
{
    if (f->raised_at > t)
        return false;
    if (f->status != CW_FST_CLOSED)
        return true;
    return f->closed_at.has && t < f->closed_at.at;
}

bool cw_finding_overdue_at(const cw_audit_finding *f, cw_time t)
{
    return f->due_at.has && t > f->due_at.at && cw_finding_open_at(f, t) &&
           (f->status == CW_FST_OPEN || f->status == CW_FST_ACTION_PLANNED);
}

unsigned cw_risk_flags(const cw_risk *r, cw_time t)
{
    unsigned fl = 0;
    if (r->review_at.has && t > r->review_at.at)
        fl |= CW_RISK_REVIEW_OVERDUE;
    if (r->acceptance_expires.has && t > r->acceptance_expires.at)
        fl |= CW_RISK_ACCEPTANCE_EXPIRED;
    if ((r->treatment == CW_TREAT_ACCEPT || r->accepted_at.has || r->acceptance_expires.has) &&
        !(r->accepted_by && *r->accepted_by))
        fl |= CW_RISK_ACCEPTANCE_PENDING;
    return fl;
}
