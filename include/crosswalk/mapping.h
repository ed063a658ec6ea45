/* Crosswalks: mappings between requirements of different (or the same)
 * frameworks, stored once and readable from both ends, plus path queries
 * and consistency checks over them.  A row is keyed by (source, target,
 * origin): the same pair may be stated by several published sources. */
#ifndef CROSSWALK_MAPPING_H
#define CROSSWALK_MAPPING_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/model.h"

#define CW_MAX_ORIGIN 256

/* Upserts maps[0..n), all or nothing.  Each endpoint must exist
 * (CW_EDANGLING naming "mappings[i].source" or ".target"), rel must be a
 * storable relationship (CW_EREL), strength 0..10 (CW_ERANGE), rationale
 * NULL or syntactic/semantic/functional, origin non-empty; a row that maps a
 * requirement to itself, or the same (pair, origin) twice in one batch, is
 * CW_ECONFLICT.  w may be NULL.  st may be NULL. */
int cw_mapping_load(cw_db *db, cw_wtxn *w, const cw_mapping *maps, size_t n, cw_bulk_stats *st,
                    cw_err *err);

/* Rows to delete: every given field must match (a pair matches in either
 * stored direction); at least one field must be given (CW_EINVAL).  A
 * joint row is matched by its set (sources, in any order; source_id names
 * single rows only), its target, its frameworks and its origin; a filter
 * without source_id or sources matches joint rows and pairs alike. */
typedef struct cw_mapping_filter {
    const char *source_fw, *source_id, *target_fw, *target_id;
    const char *origin;
    const char *framework; /* either endpoint in this framework */
    const char **sources;  /* a joint row's exact set (2..CW_MAX_JOINT ids) */
    size_t n_sources;
} cw_mapping_filter;

/* Deletes the matching rows; st->deleted counts them (0 is not an error). */
int cw_mapping_delete(cw_db *db, cw_wtxn *w, const cw_mapping_filter *f, cw_bulk_stats *st,
                      cw_err *err);

typedef struct cw_mapping_query {
    const char *framework;        /* required */
    const char *id;               /* one requirement, or every one of framework */
    const char *target_framework; /* only paths ending there */
    int max_hops;                 /* 1..3; 0 means 1 */
    bool has_as_of;               /* the crosswalks as recorded at as_of */
    cw_time as_of;
} cw_mapping_query;

/* A joint row in a listing, and which end of it the listed requirement
 * is: "member" (it is in the source set) or "target". */
typedef struct cw_joint_listing {
    cw_ref from;      /* the listed requirement; id NULL in a framework-wide list */
    const char *role; /* "member" or "target" */
    cw_mapping row;
} cw_joint_listing;

typedef struct cw_mapping_answer {
    cw_path *paths;
    size_t n_paths;
    cw_joint_listing *joints;
    size_t n_joints;
} cw_mapping_answer;

/* Direct (hops 1) and inferred (hops >= 2) paths from the requirement(s),
 * read in the direction that starts at them, with each step's stored
 * relationship, origin and strength and the composed relationship.
 * Inferred paths whose composed relationship is unknown (nothing can be
 * concluded) are left out; direct rows are always listed.  Joint rows are
 * listed apart, from both ends: they are one step and never part of a
 * path.  With target_framework, only paths ending there and joint rows
 * whose other end is there.  Results live in a. */
int cw_mapping_list(cw_db *db, const cw_mapping_query *q, cw_arena *a, cw_mapping_answer *out,
                    cw_err *err);

/* The stored crosswalk rows touching framework (and, if given,
 * target_framework at the other end), exactly as stored: in their stored
 * direction, one per origin; joint rows after the pairs, with their set.  This is what an export must write so that
 * loading it back updates the same rows.  Results live in a. */
int cw_mapping_rows(cw_db *db, const char *framework, const char *target_framework, cw_arena *a,
                    cw_mapping **out, size_t *n, cw_err *err);

typedef struct cw_finding {
    const char *kind; /* "dangling", "subset_both_ways", "conflict", and for joint
                         rows also "withdrawn_member", "duplicate_member" */
    cw_ref a, b;
    const char *detail;
} cw_finding;

/* Consistency findings over all rows (or those touching framework):
 * endpoints that do not exist; A subset_of B and B subset_of A with no row
 * saying equal; the same pair stated with different relationships.  For
 * joint rows: members or targets that do not exist, withdrawn members, a
 * member repeated or inside another member that is a group, a member whose
 * own row to the target contradicts the set's relationship (a member
 * not_related to the target, or wider than a target the set is said to be
 * inside of or equal to), and the same set and target stated with
 * different relationships.  An empty list means the crosswalks are
 * consistent.  Results live in a. */
int cw_mapping_check(cw_db *db, const char *framework, cw_arena *a, cw_finding **out, size_t *n,
                     cw_err *err);

#endif
