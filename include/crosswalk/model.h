/* The data model of docs/SEMANTICS.md §1 as plain C values, and the
 * vocabulary of §2.
 *
 * These structs are what callers hand to the engine's write functions and
 * what read functions return.  Strings are borrowed: on input the engine
 * copies what it keeps before returning; on output they live in the arena
 * passed to the read function.  Times are Unix seconds (UTC). */
#ifndef CROSSWALK_MODEL_H
#define CROSSWALK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crosswalk/time.h"

/* Size limits checked on every write (bytes, not counting the NUL). */
#define CW_MAX_SLUG 64
#define CW_MAX_ID 128
#define CW_MAX_TEXT 65536
#define CW_MAX_LIST 4096 /* attribute values, links, evidence controls */
#define CW_MAX_HOPS 3
#define CW_MAX_JOINT 64  /* members of a joint crosswalk row's source set */
#define CW_MAX_NOTE 1024 /* a crosswalk row's note */

/* NIST IR 8477 set-theory relationships; "source REL target".  UNKNOWN only
 * arises from composing paths and is never stored. */
typedef enum cw_rel {
    CW_REL_EQUAL = 0,
    CW_REL_SUBSET_OF,
    CW_REL_SUPERSET_OF,
    CW_REL_INTERSECTS_WITH,
    CW_REL_NOT_RELATED,
    CW_REL_UNKNOWN,
    CW_REL_COUNT
} cw_rel;

typedef enum cw_level { CW_LEVEL_NONE = 0, CW_LEVEL_PARTIAL, CW_LEVEL_FULL } cw_level;

typedef enum cw_ctl_status {
    CW_CTL_IMPLEMENTED = 0,
    CW_CTL_PLANNED,
    CW_CTL_NOT_IMPLEMENTED
} cw_ctl_status;

typedef enum cw_result { CW_RESULT_PASS = 0, CW_RESULT_UNKNOWN, CW_RESULT_FAIL } cw_result;

/* A control's state at time T (§3).  INACTIVE: status is not implemented. */
typedef enum cw_ctl_state {
    CW_STATE_INACTIVE = 0,
    CW_STATE_FAILING,
    CW_STATE_UNVERIFIED,
    CW_STATE_EFFECTIVE
} cw_ctl_state;

/* Requirement status, in increasing order of merit; NOT_APPLICABLE overrides
 * everything and so sits outside the order. */
typedef enum cw_status {
    CW_ST_GAP = 0,
    CW_ST_FAILING,
    CW_ST_UNVERIFIED,
    CW_ST_PARTIAL,
    CW_ST_MET,
    CW_ST_NOT_APPLICABLE,
    CW_ST_COUNT
} cw_status;

typedef struct cw_attr {
    const char *key;
    const char **values;
    size_t n_values;
} cw_attr;

typedef struct cw_framework {
    const char *slug, *name, *version, *publisher, *licence;
} cw_framework;

/* Whether an organisation is assessed against a requirement (§2).  AUTO
 * decides on the current tree: a requirement without children is
 * assessable, one with children is a group.  An explicit value is kept
 * whatever the tree (an 800-53 control with enhancements is YES; a
 * childless NO is neither assessed nor a group). */
typedef enum cw_assess { CW_ASSESS_AUTO = 0, CW_ASSESS_YES, CW_ASSESS_NO } cw_assess;

typedef struct cw_requirement {
    const char *framework; /* ignored on input to cw_catalog_load */
    const char *id;
    const char *parent; /* NULL or "" for a root */
    const char *kind;
    const char *title;
    const char *description; /* may be NULL */
    cw_attr *attrs;
    size_t n_attrs;
    bool leaf;        /* output only: no requirement has this one as parent */
    cw_assess assess; /* as given on input, as stored on output */
    bool withdrawn;   /* status `withdrawn`: kept for crosswalks, never assessed */
    bool assessable;  /* output only: assess applied to the tree */
    /* Output only, nonzero when set: identifies this requirement's answer
     * (with its children) for one catalogue generation, so a caller may
     * cache what it renders from it. */
    uint64_t answer_id;
} cw_requirement;

/* A crosswalk row.  A single row has one source, source_id.  A joint row
 * (§3 "Joint rows") has a source set instead: n_sources (2..CW_MAX_JOINT)
 * ids of source_fw in source_ids, which together are REL the target; its
 * source_id is NULL on output and ignored on input. */
typedef struct cw_mapping {
    const char *source_fw, *source_id, *target_fw, *target_id;
    cw_rel rel;
    int strength;            /* 1..10, 0 = not given */
    const char *rationale;   /* NULL, "syntactic", "semantic" or "functional" */
    const char *origin;      /* published source or "crosswalk-authored" */
    const char **source_ids; /* joint rows only; on output in natural id order */
    size_t n_sources;        /* 0 for a single row */
    const char *note;        /* NULL, or why the row holds (at most CW_MAX_NOTE) */
} cw_mapping;

typedef struct cw_org {
    const char *slug, *name;
    /* Likelihood and impact of its risks are scored 1..risk_scale
     * (crosswalk/isms_model.h).  On input 0 keeps the stored scale (the
     * default for a new organisation); on output the scale in force. */
    int risk_scale;
} cw_org;

typedef struct cw_link {
    const char *framework, *id;
    cw_level level; /* FULL or PARTIAL */
} cw_link;

typedef struct cw_control {
    const char *org, *id, *title, *owner;
    cw_ctl_status status;
    cw_link *links;
    size_t n_links;
} cw_control;

typedef struct cw_evidence {
    const char *org, *id;
    const char **controls;
    size_t n_controls;
    const char *kind, *title, *source, *uri, *sha256;
    cw_time collected_at;
    bool has_valid_until;
    cw_time valid_until; /* inclusive */
    cw_result result;
} cw_evidence;

/* A scope decision.  applicable=false excludes a leaf requirement
 * (not_applicable); applicable=true records why it is in scope, for the
 * Statement of Applicability. */
typedef struct cw_scope {
    const char *org, *framework, *id;
    bool applicable;
    const char *justification;
    /* Why it is included, for the Statement of Applicability: CW_REASON_*
     * bits of CW_REASONS_RECORDED (crosswalk/isms_model.h); 0 for an
     * exclusion. */
    unsigned reasons;
} cw_scope;

/* What a bulk write did.  Bulk writes are atomic, so rejected is 0 on
 * success and the whole batch size on failure.  An item equal to what is
 * stored is unchanged, not updated, and nothing is written for it: a
 * re-run of the same load says so, and leaves the caches built on the
 * stored data valid. */
typedef struct cw_bulk_stats {
    size_t created, updated, deleted, rejected, unchanged;
} cw_bulk_stats;

/* A reference to one requirement. */
typedef struct cw_ref {
    const char *framework, *id;
} cw_ref;

/* One step of a mapping path, read in the direction of travel. */
typedef struct cw_step {
    cw_ref to;
    cw_rel rel; /* previous node REL to */
    int strength;
    const char *origin;
    const char *rationale;
    const char *note;
} cw_step;

/* A path R0 -> ... -> Rk through crosswalk mappings (§3). */
typedef struct cw_path {
    cw_ref from;
    cw_step *steps;
    size_t hops;
    cw_rel composed;
    int strength;  /* minimum along the path, 0 when any step's is unknown */
    bool inferred; /* hops >= 2 */
} cw_path;

/* Names <-> enums.  The *_name functions return static strings; the parse
 * functions return 0 or CW_EINVAL / CW_EREL. */
const char *cw_rel_name(cw_rel r);
int cw_rel_parse(const char *s, cw_rel *out);
const char *cw_level_name(cw_level l);
int cw_level_parse(const char *s, cw_level *out);
const char *cw_ctl_status_name(cw_ctl_status s);
int cw_ctl_status_parse(const char *s, cw_ctl_status *out);
const char *cw_result_name(cw_result r);
int cw_result_parse(const char *s, cw_result *out);
const char *cw_ctl_state_name(cw_ctl_state s);
const char *cw_status_name(cw_status s);

/* The rationale kinds of NIST IR 8477 a crosswalk row may name
 * ("syntactic", "semantic", "functional"), NULL-terminated, and whether s
 * is one of them. */
extern const char *const cw_rationale_names[];
bool cw_rationale_ok(const char *s);

/* The requirement kinds a catalogue file may use (frameworks/README.md:
 * "clause" .. "practice"), NULL-terminated, and whether s is one.  The
 * engine stores any kind; the tools hold files to this list. */
extern const char *const cw_kind_names[];
bool cw_kind_ok(const char *s);

/* A framework slug as the project's files spell one (frameworks/README.md):
 * a lower-case letter, then lower-case letters, digits, '.' and '-', at
 * most CW_MAX_SLUG bytes.  The tools hold files to it; the engine only
 * limits the length. */
bool cw_slug_ok(const char *s);

/* Writes names (NULL-terminated) joined by ", " into out (cap bytes,
 * NUL-terminated, truncated if short): the lists in messages. */
void cw_names_join(const char *const *names, char *out, size_t cap);

/* Inverse of a relationship (subset_of <-> superset_of). */
cw_rel cw_rel_inverse(cw_rel r);

/* The §3 composition: "X so_far B" then "B next C" gives "X result C". */
cw_rel cw_rel_compose(cw_rel so_far, cw_rel next);

/* Level a satisfied source gives the end of a path with this composed
 * relationship: FULL for equal/superset_of, PARTIAL for
 * subset_of/intersects_with, NONE otherwise. */
cw_level cw_rel_level(cw_rel composed);

/* Natural order of requirement ids: digit runs compare as numbers, so
 * A.5.2 < A.5.10 and GV.OC-01 < GV.OC-02.  strcmp-like result. */
int cw_id_cmp(const char *a, const char *b);

#endif
