/* The crosswalk store: one LMDB environment holding catalogues, crosswalks
 * and every organisation's controls, evidence and scope decisions.
 *
 * Reads open their own short read transaction per call (reset and renewed,
 * never held across calls).  Writes either run in a transaction of their own
 * (pass w = NULL to any write function) or inside a write group
 * (cw_write_group), which is how the server commits many clients' writes
 * at once; each write function is atomic even inside a shared transaction
 * (it runs in a nested transaction).  Both recover the same way from what
 * a retry can cure: a full map grows geometrically up to map_size_max and
 * is then reported as CW_EFULL, a map grown by another process is adopted,
 * and reader slots left by dead processes are freed. */
#ifndef CROSSWALK_DB_H
#define CROSSWALK_DB_H

#include "crosswalk/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_SCHEMA_VERSION 6

typedef struct cw_db cw_db;
typedef struct cw_wtxn cw_wtxn;

typedef struct cw_db_options {
    const char *path;    /* directory; created if missing */
    size_t map_size;     /* initial map size; 0 = 64 MiB */
    size_t map_size_max; /* growth cap; 0 = 64 GiB; never below map_size */
    bool no_sync;        /* MDB_NOSYNC: for tests and benchmarks only */
    /* Evidence index entries held apart before a merge into the main
     * indexes, at least (the limit is also a quarter of the main index);
     * 0 = 65536. Tests set it small to exercise merging. */
    size_t index_delta_min;
    /* Reader slots, shared by every process using the store (LMDB's
     * maxreaders); 0 = 126.  Tests set it small to fill it. */
    unsigned max_readers;
} cw_db_options;

/* Opens (creating if needed) the store in opts->path.  On success *out owns
 * the environment until cw_db_close.  Fails with CW_ESCHEMA when the store
 * was written by an incompatible schema version. */
int cw_db_open(const cw_db_options *opts, cw_db **out, cw_err *err);

/* Closes the environment.  No transaction may be open.  NULL is allowed. */
void cw_db_close(cw_db *db);

/* One write of a group: runs against w and returns 0 or a CW_E* code with
 * err filled.  It may run more than once (see cw_write_group), so it
 * must leave nothing behind outside the store that a rerun would repeat. */
typedef int (*cw_write_fn)(cw_wtxn *w, void *ctx, cw_err *err);

typedef struct cw_write_op {
    cw_write_fn fn;
    void *ctx;
    cw_err *err; /* passed to fn (may be NULL); cleared before each run */
    int rc;      /* out: fn's result in the last run */
} cw_write_op;

/* What recovering a group took. */
typedef struct cw_write_report {
    unsigned runs;            /* times the group ran: 1 + replays */
    unsigned grown;           /* map doublings after MDB_MAP_FULL */
    unsigned resized;         /* map sizes adopted from another process */
    unsigned readers_cleared; /* reader slots of dead processes freed */
} cw_write_report;

/* Runs ops[0..n) in one write transaction, each in a nested transaction of
 * its own, and commits once.  An op that fails (rc != 0) rolls back only
 * its own writes; the others are kept.  When the map fills, in an op or at
 * the commit, the group is aborted, the map grows and every op runs again;
 * other conditions a retry cures are cured before retrying (db.c
 * "recovery"), a bounded number of times.  Returns 0 when the group is
 * committed (each op's rc says whether its writes are in it), else a
 * CW_E* code with err filled and nothing committed: CW_EFULL when the map
 * is at map_size_max or the disk is full.  rep (may be NULL) receives
 * what recovery took.  One group at a time per environment. */
int cw_write_group(cw_db *db, cw_write_op *ops, size_t n, cw_write_report *rep, cw_err *err);

/* A dry run: runs fn against a transaction nested in w (or a write
 * transaction of its own when w is NULL) and then discards whatever fn
 * wrote, whether it succeeded or not.  fn sees the store as a real write
 * would, so it finds the same problems and counts the same changes; none
 * of them is ever committed.  Returns fn's result (CW_EMAPFULL included:
 * a group replays it like any write). */
int cw_write_trial(cw_db *db, cw_wtxn *w, cw_write_fn fn, void *ctx, cw_err *err);

/* Starts an explicit write transaction shared by several write calls.
 * Exactly one of cw_write_commit / cw_write_abort ends it and frees *out.
 * Unlike a write group it is not replayed: a full map is reported. */
int cw_write_begin(cw_db *db, cw_wtxn **out, cw_err *err);

/* Commits and frees w.  On CW_EMAPFULL nothing was committed (abort was
 * done for you). */
int cw_write_commit(cw_wtxn *w, cw_err *err);

/* Discards and frees w.  NULL is allowed. */
void cw_write_abort(cw_wtxn *w);

/* Raises the growth cap (e.g. after an operator frees disk). */
void cw_db_set_map_max(cw_db *db, size_t map_size_max);

/* True when the store had no frameworks when it was opened (first start). */
bool cw_db_is_empty(cw_db *db);

typedef struct cw_db_counts {
    size_t frameworks, requirements, mappings, orgs, controls, evidence, scope;
    size_t joint_mappings; /* of mappings, the joint rows */
    size_t map_size, map_used, map_size_max;
    uint64_t generation; /* bumped by every catalogue or crosswalk change */
} cw_db_counts;

int cw_db_counts_get(cw_db *db, cw_db_counts *out, cw_err *err);

/* Full consistency check: every secondary index entry has its record and
 * every record its index entries.  Returns 0 and *problems = 0 when all is
 * well; the first problems are described in err->msg when err is given. */
int cw_db_check(cw_db *db, size_t *problems, cw_err *err);

#endif
