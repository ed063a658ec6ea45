/* An organisation's risk register (engine/risks.c): its assets and its
 * risks, each risk scored for likelihood and impact on the organisation's
 * scale before and after treatment, treated by some of the organisation's
 * controls (which is what makes those controls' Annex A rows "required by
 * a risk" in the Statement of Applicability), and the heat map of the
 * register.  Writes are idempotent upserts keyed by id, all or nothing
 * per call, as for controls (crosswalk/org.h). */
#ifndef CROSSWALK_RISK_H
#define CROSSWALK_RISK_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/isms_model.h"
#include "crosswalk/model.h"
#include "crosswalk/org.h"

/* Upserts assets, all or nothing: the organisation must exist (CW_ENOORG);
 * an id twice in the call is CW_ECONFLICT. */
int cw_asset_put(cw_db *db, cw_wtxn *w, const cw_asset *items, size_t n, cw_bulk_stats *st,
                 cw_err *err);
/* CW_ENOENT when absent.  Results live in a. */
int cw_asset_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_asset *out,
                 cw_err *err);
int cw_asset_list(cw_db *db, const char *org, cw_arena *a, cw_asset **out, size_t *n, cw_err *err);
/* CW_ECONFLICT while a risk names the asset (the message names the risks),
 * CW_ENOENT when absent. */
int cw_asset_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err);

/* Upserts risks, all or nothing.  Every asset and control named must be
 * the organisation's (CW_ELINK: "items[2].controls[0]: no control 'C-9'
 * in organisation 'acme'"); likelihood and impact, and the residual ones
 * when given, lie on the organisation's scale (CW_ERANGE); an acceptance
 * does not expire before it was given (CW_ERANGE).  A residual pair given
 * by half reads with the other half as inherent (treatment lowered one
 * axis); an acceptance dated without accepted_by is pending. */
int cw_risk_put(cw_db *db, cw_wtxn *w, const cw_risk *items, size_t n, cw_bulk_stats *st,
                cw_err *err);
int cw_risk_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_risk *out, cw_err *err);
int cw_risk_list(cw_db *db, const char *org, cw_arena *a, cw_risk **out, size_t *n, cw_err *err);
int cw_risk_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err);

/* The heat map: how many risks sit in each cell of the scale x scale
 * matrix, inherent and residual (a risk whose residual pair is not
 * assessed counts at its inherent cell), and how many carry each flag at
 * as_of.  Cell (likelihood l, impact i) is [(l - 1) * scale + (i - 1)]. */
typedef struct cw_risk_matrix {
    const char *org;
    cw_time as_of;
    int scale;
    size_t risks;
    size_t *inherent, *residual; /* scale * scale counts each */
    size_t residual_unassessed;  /* risks counted at their inherent cell */
    size_t review_overdue, acceptance_expired, acceptance_pending;
} cw_risk_matrix;

/* CW_ENOORG.  Results live in a. */
int cw_risk_matrix_get(cw_db *db, const char *org, cw_time as_of, cw_arena *a, cw_risk_matrix *out,
                       cw_err *err);

#endif
