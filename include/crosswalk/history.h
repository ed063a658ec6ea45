/* The recorded history of an organisation's records and of the
 * catalogues and crosswalks (engine/history.c): every logged write keeps
 * the value each versioned record held before it, so that a query can
 * judge the records as they were recorded at a past time
 * (cw_coverage_query.as_recorded).  Folding old history bounds the store;
 * states before the fold are then refused (CW_ENOENT), not guessed. */
#ifndef CROSSWALK_HISTORY_H
#define CROSSWALK_HISTORY_H

#include "crosswalk/db.h"
#include "crosswalk/error.h"
#include "crosswalk/time.h"

#include <stddef.h>

/* Removes the versions that only states before `before` need, inside w;
 * before must not lie ahead of now.  *removed receives how many versions
 * went, *kept_from the oldest time whose state is still answered (before,
 * or an earlier fold's time when that is later).  0 or a CW_E* code. */
int cw_history_compact(cw_db *db, cw_wtxn *w, cw_time before, size_t *removed, cw_time *kept_from,
                       cw_err *err);

/* The oldest time whose recorded state is kept (CW_TIME_MIN: all), how
 * many versions the history holds and the bytes of the pages holding
 * them and their time index. */
int cw_history_info(cw_db *db, cw_time *kept_from, size_t *versions, size_t *bytes, cw_err *err);

/* Which versions an answer about time t used: the second at which each
 * of the n controls of org was last written at or before t (control_at,
 * n entries), and likewise any record of org (org_at) and any catalogue or
 * crosswalk row (catalogues_at).  CW_TIME_MIN where no write the history
 * keeps did: the record is as it was when the history began.  org may be
 * NULL (n 0).  0 or a CW_E* code. */
int cw_history_versions(cw_db *db, const char *org, cw_time t, const char *const *controls,
                        size_t n, cw_time *control_at, cw_time *org_at, cw_time *catalogues_at,
                        cw_err *err);

#endif
