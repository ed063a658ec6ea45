/* The crosswalk store: one LMDB environment holding catalogues, crosswalks
 * and every organisation's controls, evidence and scope decisions.
 *
 * Reads open their own short read transaction per call (reset and renewed,
 * never held across calls).  Writes either run in a transaction of their own
 * (pass w = NULL to any write function) or join an explicit write
 * transaction from cw_write_begin, which is how the server commits many
 * clients' writes at once; each write function is atomic even inside a
 * shared transaction (it runs in a nested transaction).  A full map grows
 * geometrically up to map_size_max and is then reported as CW_EFULL. */
#ifndef CROSSWALK_DB_H
#define CROSSWALK_DB_H

#include "crosswalk/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_SCHEMA_VERSION 3

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
} cw_db_options;

/* Opens (creating if needed) the store in opts->path.  On success *out owns
 * the environment until cw_db_close.  Fails with CW_ESCHEMA when the store
 * was written by an incompatible schema version. */
int cw_db_open(const cw_db_options *opts, cw_db **out, cw_err *err);

/* Closes the environment.  No transaction may be open.  NULL is allowed. */
void cw_db_close(cw_db *db);

/* Starts an explicit write transaction shared by several write calls.
 * Exactly one of cw_write_commit / cw_write_abort ends it and frees *out. */
int cw_write_begin(cw_db *db, cw_wtxn **out, cw_err *err);

/* Commits and frees w.  On CW_EMAPFULL nothing was committed: abort was done
 * for you; call cw_db_grow and replay the writes. */
int cw_write_commit(cw_wtxn *w, cw_err *err);

/* Discards and frees w.  NULL is allowed. */
void cw_write_abort(cw_wtxn *w);

/* Grows the map (doubling, capped by map_size_max).  Must be called with no
 * write transaction open; waits for running reads.  CW_EFULL at the cap. */
int cw_db_grow(cw_db *db, cw_err *err);

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
