/* An organisation's own data: the organisation, its controls (with their
 * links to requirements), the evidence behind the controls and its scope
 * decisions.  Every write is an idempotent upsert keyed by id; the bulk
 * forms are all or nothing.  Evidence is indexed per control by collection
 * time and, for passing items, by expiry, so a control's state at any time
 * is found without reading all its evidence. */
#ifndef CROSSWALK_ORG_H
#define CROSSWALK_ORG_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/model.h"

/* Creates or renames an organisation, and sets the scale its risks are
 * scored on (org->risk_scale 2..10, CW_ERANGE outside; 0 keeps the one in
 * force, 5 for a new organisation; CW_ECONFLICT when a risk already
 * scored lies outside the new scale).  *created (if given) tells which. */
int cw_org_put(cw_db *db, cw_wtxn *w, const cw_org *org, bool *created, cw_err *err);
int cw_org_get(cw_db *db, const char *slug, cw_arena *a, cw_org *out, cw_err *err);
int cw_org_list(cw_db *db, cw_arena *a, cw_org **out, size_t *n, cw_err *err);
/* Removes the organisation and all of its controls, evidence, scope
 * decisions and ISMS records (assets, risks, audits, findings, approved
 * SoA versions); st->deleted counts records.  CW_ENOORG when absent. */
int cw_org_delete(cw_db *db, cw_wtxn *w, const char *slug, cw_bulk_stats *st, cw_err *err);

/* Upserts ctls[0..n), all or nothing.  The organisation must exist
 * (CW_ENOORG); every link must name an existing requirement (CW_ELINK, e.g.
 * "controls[2].links[0].id: no requirement 'A.9.9' in framework
 * 'iso27001-2022'") at level FULL or PARTIAL; an id twice in the batch is
 * CW_ECONFLICT. */
int cw_control_put(cw_db *db, cw_wtxn *w, const cw_control *ctls, size_t n, cw_bulk_stats *st,
                   cw_err *err);
int cw_control_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_control *out,
                   cw_err *err);
/* One page of a list in id order: the records whose id comes after
 * `after` (NULL: from the first; it need not exist) in byte order, at most
 * limit of them (0: all).  A page shorter than limit is the last. */
typedef struct cw_page {
    const char *after;
    size_t limit;
} cw_page;

/* The organisation's controls, by id; page may be NULL (all of them). */
int cw_control_list(cw_db *db, const char *org, const cw_page *page, cw_arena *a, cw_control **out,
                    size_t *n, cw_err *err);
/* Deletes one control.  Its evidence stays (it may back other controls and
 * comes back into force if the control is put again).  CW_ENOCTL when
 * absent. */
int cw_control_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err);

/* Upserts evidence items, all or nothing: every named control must exist
 * (CW_ENOCTL), at least one control per item, valid_until not before
 * collected_at (CW_ERANGE). */
int cw_evidence_put(cw_db *db, cw_wtxn *w, const cw_evidence *items, size_t n, cw_bulk_stats *st,
                    cw_err *err);
int cw_evidence_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_evidence *out,
                    cw_err *err);
/* The organisation's evidence by id, or (control given) one control's by
 * collection time.  page may be NULL; a page is of the whole list only
 * (CW_EINVAL with control). */
int cw_evidence_list(cw_db *db, const char *org, const char *control, const cw_page *page,
                     cw_arena *a, cw_evidence **out, size_t *n, cw_err *err);
int cw_evidence_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err);
/* The organisation's evidence whose validity ends in (after, until]: the
 * items that stop being fresh in that stretch of time (an item is fresh
 * up to and including its valid_until), in id order.  Walks every item of
 * the organisation.  Results live in a. */
int cw_evidence_expiring(cw_db *db, const char *org, cw_time after, cw_time until, cw_arena *a,
                         cw_evidence **out, size_t *n, cw_err *err);
/* cw_evidence_expiring and, in the same walk, the evidence collected in
 * (after, until]: the items that come to count then (collected may be
 * NULL: not asked for). */
int cw_evidence_turning(cw_db *db, const char *org, cw_time after, cw_time until, cw_arena *a,
                        cw_evidence **expired, size_t *n_expired, cw_evidence **collected,
                        size_t *n_collected, cw_err *err);

/* Upserts scope decisions, all or nothing.  The requirement must exist and
 * be assessed (assessable, not withdrawn); it excludes that requirement
 * alone, not its children; in iso27001-2022 only Annex A controls may be excluded
 * (CW_EMANDATORY for clauses 4-10).  Reasons (legal, contractual,
 * business) go with an inclusion only (CW_EINVAL on an exclusion). */
int cw_scope_put(cw_db *db, cw_wtxn *w, const cw_scope *items, size_t n, cw_bulk_stats *st,
                 cw_err *err);
/* The organisation's decisions, optionally for one framework. */
int cw_scope_list(cw_db *db, const char *org, const char *framework, cw_arena *a, cw_scope **out,
                  size_t *n, cw_err *err);
int cw_scope_delete(cw_db *db, cw_wtxn *w, const char *org, const char *framework, const char *id,
                    cw_err *err);

/* A control's state at time t (§3) and the ids of the evidence that decided
 * it (the latest item for failing and stale, a fresh passing item for
 * effective).  Results live in a. */
typedef struct cw_control_state {
    cw_ctl_state state;
    const char **evidence;
    size_t n_evidence;
    bool stale; /* unverified because all passing evidence expired */
} cw_control_state;
/* The control and its state at t; the control as recorded at t (its
 * history) when as_recorded, as it is now otherwise. */
int cw_control_get_at(cw_db *db, const char *org, const char *id, cw_time t, bool as_recorded,
                      cw_arena *a, cw_control *ctl, cw_control_state *st, cw_err *err);
int cw_control_state_get(cw_db *db, const char *org, const char *id, cw_time t, cw_arena *a,
                         cw_control_state *out, cw_err *err);

#endif
