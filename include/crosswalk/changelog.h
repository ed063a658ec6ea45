/* The change log: one entry per committed write, appended in the write's
 * own transaction, so the log holds exactly the writes the store holds.
 * An entry names who wrote (actor, role), the method, the organisations
 * and records it changed (the first CW_LOG_KEYS of them, and how many),
 * a BLAKE2b-256 digest of the bytes it stored, and the SHA-256 of the entry
 * before it; its own hash covers all of that.  Changing, removing or
 * reordering an entry therefore breaks the chain at that entry, which
 * cw_log_verify finds.  cw_log_compact removes old entries and leaves a
 * checkpoint holding the hash of the last one removed, so what remains
 * still verifies. */
#ifndef CROSSWALK_CHANGELOG_H
#define CROSSWALK_CHANGELOG_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/error.h"
#include "crosswalk/model.h"

#include <stdbool.h>
#include <stdint.h>

/* Records an entry keeps by name; the rest are counted (keys_total). */
#define CW_LOG_KEYS 32
/* Organisations a write reports to its caller (cw_change_info); a write
 * touching more reports all_orgs. */
#define CW_CHANGE_ORGS 8

/* Who writes: borrowed for the length of the call. */
typedef struct cw_change_who {
    const char *actor;  /* the token's label, or "local" */
    const char *role;   /* "admin", "editor", ... */
    const char *method; /* the protocol method */
} cw_change_who;

/* What a logged write changed. */
typedef struct cw_change_info {
    uint64_t seq;   /* the entry's sequence; 0 when the write changed nothing */
    int64_t at_us;  /* its time, Unix microseconds */
    bool catalogue; /* a catalogue or crosswalk changed */
    bool all_orgs;  /* more organisations than orgs[] holds changed */
    size_t n_orgs;
    char orgs[CW_CHANGE_ORGS][CW_MAX_SLUG + 1];
} cw_change_info;

/* Runs fn(w, ctx, err) and, when it succeeds having changed something,
 * appends the log entry for it inside w.  Dry runs (cw_write_trial) inside
 * fn change nothing and are not logged.  *info is filled either way.
 * Returns fn's result, or a CW_E* code from appending. */
int cw_logged_write(cw_wtxn *w, const cw_change_who *who, cw_write_fn fn, void *ctx,
                    cw_change_info *info, cw_err *err);

/* One record an entry names: its kind ("control", "evidence", "scope",
 * "requirement", ...), organisation (NULL for catalogue records) and id
 * (parts joined by '/'). */
typedef struct cw_log_key {
    const char *kind, *org, *id;
} cw_log_key;

typedef struct cw_log_entry {
    uint64_t seq;
    int64_t at_us;
    const char *actor, *role, *method;
    const char **orgs;
    size_t n_orgs;
    bool catalogue;
    cw_log_key *keys;
    size_t n_keys;
    uint64_t keys_total;
    /* A checkpoint stands for the entries a compaction removed: keys_total
     * of them, the last with this entry's seq; hash is that entry's. */
    bool checkpoint;
    unsigned char digest[32], prev[32], hash[32];
} cw_log_entry;

/* The newest entry's sequence, hash and time; all zero for an empty log. */
int cw_log_head(cw_db *db, uint64_t *seq, unsigned char hash[32], int64_t *at_us, cw_err *err);

/* Entries after sequence since, oldest first, at most limit, of those
 * touching org when org is given (their keys then only org's).  *next
 * receives the sequence to pass as since for the next page (0 when the
 * log is exhausted).  A page stops after scanning 100,000 entries even if
 * it found fewer than limit.  Strings live in a. */
int cw_log_list(cw_db *db, const char *org, uint64_t since, size_t limit, cw_arena *a,
                cw_log_entry **out, size_t *n, uint64_t *next, cw_err *err);

/* The sequence of the first entry kept that was written at or after at_us
 * (entries are in time order), or the newest's + 1 when none was: pass it
 * less one as cw_log_list's since to read from that time on.  A binary
 * search, not a walk. */
int cw_log_seq_at(cw_db *db, int64_t at_us, uint64_t *seq, cw_err *err);

/* What cw_log_verify found. */
typedef struct cw_log_check {
    bool ok;
    uint64_t from, to;  /* the range checked */
    uint64_t entries;   /* entries checked */
    uint64_t first_bad; /* the first entry that fails, when !ok */
    char reason[200];
} cw_log_check;

/* Checks entries from..to (0: the oldest kept / the newest): each one's
 * hash, its link to the one before, unbroken sequence numbers, and that
 * the newest matches the head the store records. */
int cw_log_verify(cw_db *db, uint64_t from, uint64_t to, cw_log_check *out, cw_err *err);

/* Removes the entries written before `before` (Unix microseconds), except
 * the newest, and leaves a checkpoint in the place of the last one
 * removed.  *removed receives how many went. */
int cw_log_compact(cw_db *db, cw_wtxn *w, int64_t before_us, uint64_t *removed, cw_err *err);

/* Bytes the log takes in the store (its pages) and its entries. */
int cw_log_size(cw_db *db, uint64_t *entries, uint64_t *bytes, cw_err *err);

#endif
