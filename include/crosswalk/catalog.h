/* Framework catalogues: frameworks and their requirement trees.
 *
 * A requirement's parent is in the same framework.  Which requirements an
 * organisation is assessed against is each requirement's `assessable`
 * flag (by default: the leaves, i.e. requirements no other requirement
 * names as parent) less the withdrawn ones; an assessable requirement may
 * have children of its own (an 800-53 control and its enhancements).
 * Lists come back in the publisher's order: the order the catalogue was
 * loaded in. */
#ifndef CROSSWALK_CATALOG_H
#define CROSSWALK_CATALOG_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/model.h"

/* Creates or updates framework fw and upserts reqs[0..n) into it, all or
 * nothing.  replace=true first removes every requirement of fw not in reqs.
 * Checks: slug and ids non-empty and within CW_MAX_SLUG / CW_MAX_ID, no id
 * twice in reqs (CW_ECONFLICT), each parent present in reqs or in the stored
 * catalogue (CW_ENOREQ), no parent cycles (CW_ECONFLICT).  The message
 * names the field, e.g. "requirements[4].parent: ...".  reqs[i].framework
 * is ignored.  w may be NULL (own transaction).  st may be NULL. */
int cw_catalog_load(cw_db *db, cw_wtxn *w, const cw_framework *fw, const cw_requirement *reqs,
                    size_t n, bool replace, cw_bulk_stats *st, cw_err *err);

/* Removes framework slug, its requirements and the scope decisions about
 * them.  Crosswalk rows and control links that name it are kept (they
 * become dangling and mapping.check reports them) so that a catalogue can
 * be deleted and loaded again without losing its crosswalks.  CW_ENOFW when
 * absent. */
int cw_catalog_delete(cw_db *db, cw_wtxn *w, const char *slug, cw_bulk_stats *st, cw_err *err);

typedef struct cw_framework_info {
    cw_framework fw;
    size_t requirements, leaves;
    size_t assessable; /* assessed: assessable and not withdrawn */
    size_t withdrawn;
} cw_framework_info;

/* All frameworks, by slug, with requirement counts.  Results live in a. */
int cw_framework_list(cw_db *db, cw_arena *a, cw_framework_info **out, size_t *n, cw_err *err);

/* One framework; CW_ENOFW when absent. */
int cw_framework_get(cw_db *db, const char *slug, cw_arena *a, cw_framework_info *out, cw_err *err);

/* One requirement, with its children's ids in publisher order.  CW_ENOFW or
 * CW_ENOREQ when absent.  Results live in a. */
int cw_requirement_get(cw_db *db, const char *fw, const char *id, cw_arena *a, cw_requirement *out,
                       const char ***children, size_t *n_children, cw_err *err);
/* cw_requirement_get of the framework as recorded at as_of (its history)
 * when has_as_of. */
int cw_requirement_get_at(cw_db *db, const char *fw, const char *id, bool has_as_of, cw_time as_of,
                          cw_arena *a, cw_requirement *out, const char ***children,
                          size_t *n_children, cw_err *err);

typedef struct cw_req_filter {
    const char *framework;  /* required */
    const char *parent;     /* only direct children of this id */
    const char *kind;       /* only this kind */
    bool leaves_only;       /* only requirements without children */
    bool assessable_only;   /* only assessed ones: assessable and not withdrawn */
    const char *attr_key;   /* only those with this attribute ... */
    const char *attr_value; /* ... holding this value (any value if NULL) */
    const char *after;      /* a page: only those after this requirement ... */
    size_t limit;           /* ... and at most this many (0: all) */
    bool has_as_of;         /* the framework as recorded at as_of */
    cw_time as_of;
} cw_req_filter;

/* Requirements matching f, in publisher order.  CW_ENOFW for an unknown
 * framework, CW_ENOREQ for an unknown parent or `after` (a page starts
 * after a requirement of the framework, in publisher order).  Results live
 * in a. */
int cw_requirement_list(cw_db *db, const cw_req_filter *f, cw_arena *a, cw_requirement **out,
                        size_t *n, cw_err *err);

#endif
