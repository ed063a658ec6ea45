/* Engine-private declarations of the store floor, the bottom of the
 * engine: the environment struct and its named databases (db.c), key
 * building and record encoding (record.c), and what every module shares
 * (store.c: lookups, generations, record walks, bulk calls and the items
 * plumbing), with the arena-backed string map (strmap.c) and answer memo
 * (memo.c) they use.  Nothing here calls up into the modules above: the
 * entity modules (catalog.c, mapping.c, orgs.c, controls.c, evidence.c,
 * scope.c) and the catalogue graph build on it, the organisation snapshot
 * cache and the queries on those.  Nothing here is visible outside
 * engine/. */
#ifndef CW_ENGINE_INTERNAL_H
#define CW_ENGINE_INTERNAL_H

#include "crosswalk/arena.h"
#include "crosswalk/check.h"
#include "crosswalk/db.h"
#include "crosswalk/error.h"
#include "crosswalk/isms_model.h"
#include "crosswalk/model.h"
#include "crosswalk/strmap.h"

#include <lmdb.h>
#include <msgpack.h>
#include <pthread.h>

/* Named databases.  Keys join their parts with NUL bytes. */
enum {
    DB_META,    /* "schema" -> u32, "gen" -> u64, "org\0<slug>" -> be64 */
    DB_FW,      /* slug -> [name, version, publisher, licence] */
    DB_REQ,     /* fw\0id -> [parent, kind, title, description, attrs, seq] */
    DB_CHILD,   /* dupsort: fw\0parent -> child id */
    DB_MAP,     /* sfw\0sid\0tfw\0tid -> [[origin, rel, strength, rationale, note]...]
                    (note absent before schema 3) */
    DB_MAPIDX,  /* dupsort: fw\0id -> 'S'|'T' other_fw\0other_id */
    DB_ORG,     /* slug -> [name] */
    DB_CTL,     /* org\0id -> [title, owner, status, [[fw, id, level]...]] */
    DB_CTLLINK, /* dupsort: org\0fw\0req -> control id */
    DB_EV,      /* org\0id -> [controls, kind, title, source, uri, sha256,
                    collected, valid_until|nil, result] */
    DB_EVCTL,   /* dupsort: org\0ctl -> be64(collected) result(1) evid */
    DB_EVPASS,  /* dupsort: org\0ctl -> be64(collected) be64(valid_until|max) evid
                    (schema 4; expiry first before) */
    DB_SCOPE,   /* org\0fw\0id -> [applicable, justification] */
    /* Recent index entries, same formats as DB_EVCTL and DB_EVPASS: writes
     * go here and are merged into the main pair in one sorted pass when
     * this pair grows past a share of it (see ev_delta_merge). Every entry
     * is in exactly one of the two; readers consult both. */
    DB_EVCTL_D,
    DB_EVPASS_D,
    /* Joint crosswalk rows (schema 3): tfw\0tid\0sfw\0<8-byte set hash> ->
     * [[member ids, natural order], [[origin, rel, strength, rationale,
     * note]...]]; the hash is joint_hash() of the ordered member ids. */
    DB_JOINT,
    DB_JOINTIDX, /* dupsort: sfw\0member -> the joint row's key */
    /* The ISMS records (schema 4): an organisation's assets, risks,
     * internal audits, findings and approved SoA versions. */
    DB_ASSET,   /* org\0id -> [name, owner, classification] */
    DB_RISK,    /* org\0id -> risks.c's record */
    DB_AUDIT,   /* org\0id -> audits.c's record */
    DB_FINDING, /* org\0id -> audits.c's record */
    DB_SOAVER,  /* org\0be32(version) -> isms.c's frozen SoA */
    /* The change log (schema 5): be64(seq) -> changelog.c's entry; meta
     * "log" holds the newest entry's seq, hash and time. */
    DB_LOG,
    /* The undo history (schema 6, history.c): tag(dbi) key be64(second)
     * -> 'P' value | 'A' (absent), the value a versioned record held
     * before its first change in that second; and the seconds at which
     * the catalogues ("C" be64) or an organisation's records ("O" org
     * NUL be64) changed.  Meta "hist.floor" is the oldest time kept. */
    DB_HIST,
    DB_HISTT,
    DB_COUNT
};

#define ORGSNAP_SLOTS 16

/* The caches kept on the environment by the modules above this floor. */
enum { DB_CACHE_GRAPH, DB_CACHE_ORGSNAP, DB_CACHES };

struct cw_db {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    size_t map_size, map_max;
    size_t ev_delta_min; /* entries the delta indexes may hold before merging */
    bool was_empty;
    /* Readers hold it shared for the length of one call; growing the map
     * takes it exclusively, since a remap invalidates readers' pointers. */
    pthread_rwlock_t grow_lock;
    pthread_mutex_t rcache_lock;
    MDB_txn *rcache[8];
    int n_rcache;
    /* Caches kept for the modules above (graph.c, orgsnap.c); each one
     * registers how to free its own (db_cache_register). */
    void (*cache_free[DB_CACHES])(cw_db *db);
    /* The in-memory catalogue graph of the newest generation seen. */
    pthread_mutex_t gcache_lock;
    struct graph *gcache;
    /* Graphs of past states (graph_acquire_at), replaced in turn. */
#define PAST_GRAPHS 4
    struct graph *pgcache[PAST_GRAPHS];
    size_t pg_turn;
    /* Newest transaction id at which gcache's generation was confirmed. */
    size_t gcache_txnid;
    /* The newest snapshot of recently queried organisations (orgsnap.c). */
    pthread_mutex_t ocache_lock;
    struct org_snap *ocache[ORGSNAP_SLOTS];
    uint64_t ocache_tick;
    _Atomic uint64_t memo_seq;
    /* What the write being logged has changed so far (changelog.c): set
     * by cw_logged_write for the length of its write, on the one thread
     * that writes; NULL otherwise and during dry runs. */
    struct change_acc *acc;
    /* Crosswalk row counts (cw_db_counts_get walks every pair record for
     * them) kept for the catalogue generation they were counted at, so a
     * metrics scrape does not walk the crosswalks again each time. */
    pthread_mutex_t counts_lock;
    uint64_t counts_gen; /* 0: none kept */
    size_t counts_rows, counts_joint;
};

struct cw_wtxn {
    cw_db *db;
    MDB_txn *txn;
};

/* ==== record.c: keys and record encoding ==== */

/* ---- keys ---- */
#define CW_KEY_MAX 511
typedef struct cw_key {
    size_t n;
    char b[CW_KEY_MAX + 1];
} cw_key;

void key_init(cw_key *k);
/* Appends a part, preceded by a NUL separator unless it is the first. */
void key_part(cw_key *k, const char *s);
/* Appends raw bytes with no separator. */
void key_raw(cw_key *k, const void *p, size_t n);
/* Ends the key with a NUL so it serves as a prefix of fw\0... keys. */
void key_sep(cw_key *k);
/* name\0: the prefix of every key under name (a framework's requirements,
 * an organisation's records). */
void key_prefix(cw_key *k, const char *name);
MDB_val key_val(const cw_key *k);
void be64_put(unsigned char *p, uint64_t v);
uint64_t be64_get(const unsigned char *p);
/* Order-preserving mapping of signed times onto unsigned. */
uint64_t time_key(cw_time t);
cw_time time_unkey(uint64_t k);
/* org\0id: a control's or an evidence item's record, a control's evidence
 * index entries. */
void org_item_key(cw_key *k, const char *org, const char *id);
/* org\0fw\0req: a control link index entry, a scope decision. */
void org_req_key(cw_key *k, const char *org, const char *fw, const char *req);
/* The values an evidence item (id: idl bytes) has under each of its
 * controls' org\0ctl keys: byt in DB_EVCTL(_D), pass in DB_EVPASS(_D)
 * when its result is pass.  Written by evidence.c, verified by check.c. */
void ev_index_vals(cw_key *byt, cw_key *pass, cw_time collected, bool has_vu, cw_time vu,
                   cw_result result, const char *id, size_t idl);
/* Rewrites the passing indexes of a store older than schema 4 in the
 * schema-4 order (record.c).  Returns 0 or an LMDB error code. */
int ev_pass_upgrade(MDB_txn *txn, cw_db *db);

/* ---- record encoding (msgpack) ---- */
typedef struct rec_writer {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} rec_writer;
void rw_init(rec_writer *r);
void rw_free(rec_writer *r);
void rw_str(rec_writer *r, const char *s); /* NULL packs nil */
void rw_int(rec_writer *r, int64_t v);
void rw_array(rec_writer *r, size_t n);
void rw_nil(rec_writer *r);
void rw_bool(rec_writer *r, bool b);
MDB_val rw_val(rec_writer *r);
/* Whether record next holds the bytes stored already: writing it would
 * change nothing (the item is unchanged).  Records are encoded one way
 * only, so equal items give equal bytes. */
bool rec_same(MDB_val stored, MDB_val next);

/* A decoded record: a msgpack array whose element strings are copied into
 * an arena on request. */
typedef struct rec_reader {
    msgpack_unpacked u;
    const msgpack_object *o; /* the top array's elements */
    size_t n;
} rec_reader;
int rr_open(rec_reader *r, MDB_val v, cw_err *err);
void rr_close(rec_reader *r);
const msgpack_object *rr_at(const rec_reader *r, size_t i); /* NULL if absent */
char *obj_str(cw_arena *a, const msgpack_object *o);        /* NULL for nil/absent */
int64_t obj_int(const msgpack_object *o, int64_t dflt);
bool obj_is_nil(const msgpack_object *o);
/* A list of n strings, and back: the strings of array o (absent or not an
 * array: none) copied into a, *out NULL-padded by one.  0 or CW_ENOMEM. */
void rw_strs(rec_writer *r, const char *const *v, size_t n);
int obj_strs(cw_arena *a, const msgpack_object *o, const char ***out, size_t *n);
/* A time that may be absent (nil), and back. */
void rw_when(rec_writer *r, cw_when w);
cw_when obj_when(const msgpack_object *o);

/* Records read by more than one module.  The decoders copy strings into a
 * and return 0 or CW_ECORRUPT. */
/* Requirement record; seq is its publisher position. */
int encode_req(rec_writer *r, const cw_requirement *q, int64_t seq);
/* seq (may be NULL) receives the publisher position. */
int decode_req(cw_arena *a, const char *fw, const char *id, size_t idl, MDB_val v,
               cw_requirement *q, int64_t *seq);
/* One crosswalk entry of a pair's or a joint row's record (DB_MAP,
 * DB_JOINT): m's origin, rel, strength, rationale and note.  The decoder
 * fills those fields of m (strings in a), false when e is no entry. */
void encode_map_entry(rec_writer *r, const cw_mapping *m);
bool decode_map_entry(cw_arena *a, const msgpack_object *e, cw_mapping *m);
/* Fields 6 and 7 of requirement record v alone: whether it is assessable
 * (nil: by the tree, that is when it is a leaf) and withdrawn.  0, or
 * CW_ECORRUPT with nothing set. */
int req_flags(MDB_val v, bool leaf, bool *assessable, bool *withdrawn);
void encode_control(rec_writer *r, const cw_control *c);
int decode_control(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                   cw_control *out);

/* ==== db.c: the environment and its transactions ==== */

/* ---- transactions ---- */
/* Turns an LMDB result (an MDB_* code or an errno) into 0 or a CW_E* code,
 * filling err with "what: ..." when given.  Every mdb_* result goes
 * through it where the call is made (after testing for MDB_NOTFOUND or
 * MDB_KEYEXIST where those mean something): no engine function returns a
 * raw LMDB code or errno, so a CW_E* code is never mistaken for one. */
int lmdb_err(int rc, cw_err *err, const char *what);
int read_begin(cw_db *db, MDB_txn **out, cw_err *err);
void read_end(cw_db *db, MDB_txn *txn);

/* Runs fn atomically: inside w (nested) when w is given, otherwise as a
 * write group of its own (cw_write_group: map growth and replay, the
 * recovery policy). */
int write_run(cw_db *db, cw_wtxn *w, cw_write_fn fn, void *arg, cw_err *err);
/* write_run for a bulk call of n items: *st (may be NULL) receives the
 * counts fn left in *done on success, or rejected = n on failure. */
int write_bulk(cw_db *db, cw_wtxn *w, cw_write_fn fn, void *arg, const cw_bulk_stats *done,
               size_t n, cw_bulk_stats *st, cw_err *err);
/* A bulk call's items as its write closure sees them, and the counts the
 * closure leaves. */
typedef struct bulk_args {
    const void *items; /* the call's n items, borrowed */
    size_t n;
    cw_bulk_stats st;
} bulk_args;
/* write_bulk of the n items of a bulk call, handed to fn as a bulk_args:
 * *st (may be NULL) is zeroed first, and no items with n > 0 is refused
 * ("<field>: missing"). */
int write_items(cw_db *db, cw_wtxn *w, cw_write_fn fn, const char *field, const void *items,
                size_t n, cw_bulk_stats *st, cw_err *err);
/* Registers how the cache `which` is freed when the environment closes.
 * Called by the module that fills it, each time it does (idempotent). */
void db_cache_register(cw_db *db, int which, void (*free_fn)(cw_db *db));

/* ==== changelog.c: noting what a logged write changes ==== */

/* Called where records are put or deleted (v NULL): a record of one of
 * the stored kinds (not an index) is named in the write's log entry and
 * its bytes go into the entry's digest.  Cheap when nothing is logged. */
void change_note(cw_db *db, MDB_txn *txn, int dbi, MDB_val k, const MDB_val *v);
/* w: the write (cw_wtxn *) making the change, in whose transaction, maybe
 * nested, the history is kept. */
#define CHANGE_NOTE(w, dbi, k, v)                                                                  \
    do {                                                                                           \
        if ((w)->db->acc)                                                                          \
            change_note((w)->db, (w)->txn, (dbi), (k), (v));                                       \
    } while (0)
/* An organisation's data changed (org_touch), a catalogue or crosswalk
 * changed (bump_generation). */
void change_org(cw_db *db, const char *org);
void change_catalogue(cw_db *db);

/* ==== memo.c: answers kept with a shared cache entry ==== */

/* A bounded list of answers, each under a key and a tag (what else it
 * depends on), each in an arena of its own that the memo owns once kept.
 * Thread-safe. */
typedef struct memo {
    pthread_mutex_t lock;
    struct memo_entry *head;
    size_t n, max;
    _Atomic uint64_t *seq; /* the environment's answer id sequence */
} memo;
void memo_init(memo *m, size_t max, _Atomic uint64_t *seq);
/* Frees every kept answer's arena. */
void memo_free(memo *m);
/* The answer under (tag, key), or NULL; *id receives its id.  It lives as
 * long as the memo. */
const void *memo_get(memo *m, uint64_t tag, const char *key, uint64_t *id);
/* Offers answer, allocated in a together with everything it points to,
 * under (tag, key).  Takes a: the memo keeps it, or, when the key is
 * already there or the memo is full, it is handed to hold and freed with
 * it.  *id receives the entry's id (unique in the process), or 0 when it
 * was not kept.  Returns 0 or CW_ENOMEM (a then already freed). */
int memo_put(memo *m, uint64_t tag, const char *key, cw_arena *a, const void *answer,
             cw_arena *hold, uint64_t *id);

/* ---- a string-keyed hash map in an arena (keys are borrowed) ----
 * The engine's short names for the shared map (common/strmap.c). */
typedef cw_strmap strmap;
static inline int strmap_init(strmap *m, cw_arena *a, size_t expect)
{
    return cw_strmap_init(m, a, expect);
}
static inline int strmap_put(strmap *m, const char *key, size_t len, size_t val, size_t *old)
{
    return cw_strmap_put(m, key, len, val, old);
}
static inline bool strmap_get(const strmap *m, const char *key, size_t len, size_t *val)
{
    return cw_strmap_get(m, key, len, val);
}

/* ==== store.c: what every module shares ==== */

/* ---- validation shared by the write modules (names: cw_check_name,
 * crosswalk/check.h, the rule the server holds filters to) ---- */
int check_text(const char *field, const char *s, cw_err *err);
/* cw_check_name and check_text for a field whose name is printf-formatted
 * from fmt (cut at 111 bytes), formatted only when the check fails. */
int check_name_at(const char *s, size_t max, cw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int check_text_at(const char *s, cw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether ids[j] equals an earlier id of the list; *k: the first such. */
bool repeats_earlier(const char *const *ids, size_t j, size_t *k);

/* ---- lookups (inside a transaction) ---- */
int fw_exists(MDB_txn *txn, cw_db *db, const char *fw);
/* 0 found (optionally fills *assessed: assessable and not withdrawn),
 * CW_ENOFW, CW_ENOREQ. */
int req_exists(MDB_txn *txn, cw_db *db, const char *fw, const char *id, bool *assessed);
int org_exists(MDB_txn *txn, cw_db *db, const char *org);
/* 0 when org exists, else CW_ENOORG with "org: no organisation '<org>'". */
int org_find(MDB_txn *txn, cw_db *db, const char *org, cw_err *err);
/* org_find of the organisation as recorded at rec. */
int org_find_at(MDB_txn *txn, cw_db *db, const char *org, cw_time rec, cw_err *err);
/* The risk scale of organisation record v (orgs.c writes [name, scale]),
 * and of organisation org; CW_RISK_SCALE_DEFAULT when it has none. */
int org_scale_of(MDB_val v);
int org_risk_scale(MDB_txn *txn, cw_db *db, const char *org);

/* ---- generations ---- */
/* Organisation data generation (meta "org\0<slug>"): every write that
 * changes an organisation's controls, evidence, scope or existence stamps
 * it with its transaction id, so cached per-organisation state is valid
 * exactly while the generation it was built from is current.  0 = never
 * stamped. */
int org_touch(MDB_txn *txn, cw_db *db, const char *org, cw_err *err);
uint64_t org_gen(MDB_txn *txn, cw_db *db, const char *org);
/* org_touch once per run of bulk items of one organisation: *last is the
 * organisation stamped last in this call (NULL at first). */
int org_touch_once(cw_wtxn *w, const char *org, const char **last, cw_err *err);
/* The catalogue generation: bumped by every catalogue or crosswalk write,
 * so the graph built at one is valid while it is current.  0 = never. */
uint64_t cat_gen(MDB_txn *txn, cw_db *db);
/* Bumps the catalogue generation inside w. */
int bump_generation(cw_wtxn *w, cw_err *err);

/* ---- walking and writing records ---- */
/* Deletes every record whose key starts with prefix (all duplicates),
 * adding how many to *count when count is given. */
int delete_prefix(cw_wtxn *w, int dbi, const cw_key *prefix, size_t *count, cw_err *err);
/* Calls fn for each record of database dbi whose key starts with prefix
 * (every record when prefix is NULL), in key order, with the rest of its
 * key; stops at the first non-zero (a CW_E* code) and returns it.  A
 * cursor that cannot be opened is answered with err saying "<what>: ...". */
typedef int (*each_fn)(void *ctx, const char *rest, size_t rl, MDB_val v);
int each_record(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, each_fn fn, void *ctx,
                cw_err *err, const char *what);
/* each_record, starting after the key start (which need not exist) when
 * start is given. */
int each_record_after(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, const cw_key *start,
                      each_fn fn, void *ctx, cw_err *err, const char *what);
/* each_record under org\0. */
int each_in_org(MDB_txn *txn, cw_db *db, int dbi, const char *org, each_fn fn, void *ctx);
/* Adds the entry (k, v) to the dupsort index dbi, or (del) removes it;
 * one already there, or already gone, is no error.  0 or a CW_E* code,
 * err saying "<what>: ...". */
int index_put(cw_wtxn *w, int dbi, MDB_val k, MDB_val v, bool del, const char *what, cw_err *err);
/* Whether record (k, v) is one keys_where collects. */
typedef bool (*record_match_fn)(void *ctx, MDB_val k, MDB_val v);
/* The keys of dbi's records that match, copied into a, so that the caller
 * can rewrite or delete those records after the walk without disturbing
 * it.  0, or a CW_E* code with err saying "<what>: ...". */
int keys_where(MDB_txn *txn, cw_db *db, int dbi, record_match_fn match, void *ctx, cw_arena *a,
               const char *what, MDB_val **keys, size_t *n, cw_err *err);

/* ==== history.c: the recorded state at a past time ==== */

/* The rec of "as the records are now". */
#define REC_NOW INT64_MAX
/* Whether records of dbi keep their history. */
bool hist_kept(int dbi);
/* Before record k of dbi is put (v) or deleted (v NULL) by a write at
 * second at, keeps the value it holds.  0 or an LMDB code. */
int hist_note(cw_db *db, MDB_txn *txn, int dbi, MDB_val k, const MDB_val *v, cw_time at);
/* The first second after t at which org's records (the catalogues' and
 * crosswalks' when org is NULL) changed; INT64_MAX when none did. */
cw_time hist_next(MDB_txn *txn, cw_db *db, const char *org, cw_time t);
/* Every second in [from, to] at which they changed, in order, into a. */
int hist_changes(MDB_txn *txn, cw_db *db, const char *org, cw_time from, cw_time to, cw_arena *a,
                 cw_time **out, size_t *n);
/* The oldest time whose state is kept (CW_TIME_MIN until a compaction). */
cw_time hist_floor(MDB_txn *txn, cw_db *db);
/* 0 when the state at rec is kept, else CW_ENOENT naming field. */
int hist_check(MDB_txn *txn, cw_db *db, cw_time rec, const char *field, cw_err *err);
/* each_record_after over the records as they were at rec (REC_NOW: as
 * they are). */
int each_record_at(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, const cw_key *start,
                   cw_time rec, each_fn fn, void *ctx, cw_err *err, const char *what);
/* A record changed after some time: its key, and the value it held then
 * (present false: it did not exist). */
typedef struct hist_rec {
    MDB_val k, v;
    bool present;
} hist_rec;
/* Every record of dbi under prefix that changed after rec, with what it
 * held at rec, into a (the values point into txn's pages).  0 or a CW_E*
 * code. */
int hist_changed(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, cw_time rec, cw_arena *a,
                 hist_rec **out, size_t *n);
/* mdb_get of the record as it was at rec: 0, MDB_NOTFOUND or an LMDB
 * code. */
int record_get_at(MDB_txn *txn, cw_db *db, int dbi, MDB_val k, cw_time rec, MDB_val *v);

/* ---- bulk calls ---- */
/* Refuses the second item of a bulk call with the same key (kn bytes):
 * seen maps the keys met so far (copied into a) to their item's index i.
 * list names the bulk argument and id the item in the message
 * ("controls[3].id: 'C-1' appears twice (also controls[1])"). */
int once_per_call(strmap *seen, cw_arena *a, const char *key, size_t kn, size_t i, const char *list,
                  const char *id, cw_err *err);
/* What a bulk write keeps for the length of one call. */
typedef struct bulk_call {
    const char *field;   /* the bulk argument, "controls" */
    cw_arena *a;         /* the call's scratch, freed by bulk_call_end */
    strmap seen;         /* the keys of the items so far -> their index */
    const char *touched; /* the organisation stamped last (org_touch_once) */
} bulk_call;
/* 0, or CW_ENOMEM "<field>: out of memory"; bulk_call_end either way. */
int bulk_call_begin(bulk_call *b, size_t n, const char *field, cw_err *err);
void bulk_call_end(bulk_call *b);
/* Item i (key k, organisation org, id id) of a bulk of organisation
 * items, checked: stamps org once per run of its items and refuses a key
 * met earlier in the call (once_per_call). */
int bulk_call_admit(cw_wtxn *w, bulk_call *b, const cw_key *k, const char *org, size_t i,
                    const char *id, cw_err *err);

/* ---- items: the records a module keeps, read, listed and deleted the
 * same way: an organisation's under org\0 (controls, evidence, scope
 * decisions), and records named by a slug (frameworks, organisations) ---- */

/* Decodes record v, keyed org\0rest (a named record: rest is the name,
 * org NULL), into out (the module's item type), copying strings into a.
 * 0, or non-zero to leave the record out. */
typedef int (*item_decode_fn)(cw_arena *a, const char *org, const char *rest, size_t rl, MDB_val v,
                              void *out);
/* Removes what the item old (as stored, decoded) indexes elsewhere, before
 * its record is deleted or replaced.  0 or a CW_E* code with err filled. */
typedef int (*item_unindex_fn)(cw_wtxn *w, const void *old, cw_err *err);

typedef struct item_kind {
    int dbi;
    const char *noun;  /* "control": "id: no control 'C-1' in organisation 'o'" */
    const char *field; /* the argument naming the records ("controls"; a
                          named record's own, "framework"), in messages */
    int missing;       /* the code for an id or a name with no record */
    size_t size;       /* bytes of one decoded item */
    item_decode_fn decode;
    item_unindex_fn unindex; /* NULL when nothing else points at a record */
} item_kind;

/* Decoded items growing in an arena; items_add (an each_fn) decodes one
 * more. */
typedef struct item_list {
    const item_kind *kind;
    cw_arena *a;       /* holds the items and everything they point to */
    const char *org;   /* the organisation as the items name it (in a), or NULL */
    const char *under; /* NULL, or only the records whose rest starts under\0 */
    void *items;
    size_t n, cap;
    /* A page (items_of): the records after this id, at most limit of them
     * (0: all).  Key order is id byte order, so pages are stable. */
    const char *after;
    size_t limit;
    /* past: the records as recorded at rec (history.c), not as now */
    bool past;
    cw_time rec;
} item_list;

int items_add(void *list, const char *rest, size_t rl, MDB_val v);
/* Every item org keeps in l's database, appended to l.  0 or a CW_E* code. */
int items_of(MDB_txn *txn, cw_db *db, const char *org, item_list *l);
/* Every item of kind org keeps, decoded into a: *out an array of *n
 * items of kind->size bytes.  0 or a CW_E* code. */
int org_items(MDB_txn *txn, cw_db *db, const item_kind *kind, const char *org, cw_arena *a,
              void **out, size_t *n);
/* org_items in a read transaction of its own, after checking the name
 * "org" and finding it; what names the list in messages ("risks: cannot
 * list"). */
int org_items_list(cw_db *db, const item_kind *kind, const char *org, const char *what, cw_arena *a,
                   void **out, size_t *n, cw_err *err);
/* Runs fn(txn, db, org, ctx, err) in a read transaction of its own, once
 * the name "org" is checked and the organisation found. */
typedef int (*org_read_fn)(MDB_txn *txn, cw_db *db, const char *org, void *ctx, cw_err *err);
int org_read(cw_db *db, const char *org, org_read_fn fn, void *ctx, cw_err *err);
/* items_of in a read transaction of its own, once org is found; what
 * names the list in messages ("controls: cannot list").  The caller has
 * checked the names. */
int items_list(cw_db *db, const char *org, item_list *l, const char *what, cw_err *err);
/* What runs on each decoded item inside the read transaction that read
 * it (framework counts). */
typedef void (*item_then_fn)(MDB_txn *txn, cw_db *db, void *item);
/* Every record of l's database, decoded into l in a read transaction of
 * its own, then (may be NULL) run on each.  0 or a CW_E* code, "<field>:
 * out of memory" when l could not grow. */
int items_all(cw_db *db, item_list *l, item_then_fn then, cw_err *err);
/* The record named name (checked as a slug, under kind->field) decoded into
 * out, zeroed first, then (may be NULL) run on it, in a read transaction
 * of its own.  CW_E<missing> "<field>: no <noun> '<name>'", CW_ECORRUPT. */
int named_get(cw_db *db, const item_kind *kind, const char *name, item_then_fn then, cw_arena *a,
              void *out, cw_err *err);
/* cw_check_name of org ("org", a slug) and id ("id"). */
int check_org_id(const char *org, const char *id, cw_err *err);
/* Record org\0id of kind: 0 and *v (valid while txn is), CW_ENOORG, or
 * kind->missing, with err filled. */
int item_find(MDB_txn *txn, cw_db *db, const item_kind *kind, const char *org, const char *id,
              MDB_val *v, cw_err *err);
/* What item_read hands an item's record v to, inside its read transaction;
 * fills err itself. */
typedef int (*item_read_fn)(MDB_txn *txn, cw_db *db, const char *org, const char *id, MDB_val v,
                            void *ctx, cw_err *err);
/* Checks the names "org" and "id", finds the item in a read transaction of
 * its own and runs fn(..., ctx, err) on its record. */
int item_read(cw_db *db, const item_kind *kind, const char *org, const char *id, item_read_fn fn,
              void *ctx, cw_err *err);
/* Decodes record v of org's item id into out, strings (org too) copied
 * into a; CW_ECORRUPT "id: record of <noun> '<id>' is unreadable". */
int item_decode(const item_kind *kind, cw_arena *a, const char *org, const char *id, MDB_val v,
                void *out, cw_err *err);
/* item_read that decodes the item into out (item_decode). */
int item_get(cw_db *db, const item_kind *kind, const char *org, const char *id, cw_arena *a,
             void *out, cw_err *err);
/* Runs kind->unindex on the stored record v of org\0id, decoded: what a
 * put that replaces the item and a delete both do first. */
int item_unindex(cw_wtxn *w, const item_kind *kind, const char *org, const char *id, MDB_val v,
                 cw_err *err);
/* Deletes item org\0id and what it indexes, inside w (see write_run);
 * checks the names "org" and "id". */
int item_delete(cw_db *db, cw_wtxn *w, const item_kind *kind, const char *org, const char *id,
                cw_err *err);
/* Refuses to delete org's record id while something still names it: 0, or
 * a CW_E* code with err saying what names it. */
typedef int (*item_in_use_fn)(cw_wtxn *w, const char *org, const char *id, cw_err *err);
/* item_delete, refused when in_use (run inside the deleting transaction)
 * says the record is still named. */
int item_delete_unused(cw_db *db, cw_wtxn *w, const item_kind *kind, item_in_use_fn in_use,
                       const char *org, const char *id, cw_err *err);

/* The first members of an organisation's item (cw_control, cw_evidence,
 * cw_asset, cw_risk, cw_audit, cw_audit_finding all begin so): items_put reads
 * them through it. */
typedef struct org_item_head {
    const char *org, *id;
} org_item_head;

/* Opens record v of org's item id (idl bytes) for decoding into the item
 * whose head is h: org borrowed, id copied into a.  0, or CW_ECORRUPT with
 * nothing to close. */
int item_open(rec_reader *r, MDB_val v, cw_arena *a, const char *org, const char *id, size_t idl,
              org_item_head *h);

/* What a module gives items_put: the kind, a check of item i inside w
 * (after its names and organisation are checked; err naming
 * "<field>[i].<member>") and its record's encoding. */
typedef struct item_put_ops {
    const item_kind *kind;
    int (*check)(cw_wtxn *w, const void *item, size_t i, cw_err *err);
    void (*encode)(rec_writer *r, const void *item);
} item_put_ops;

/* Upserts the n items (kind->size bytes each, beginning with an
 * org_item_head) all or nothing: names checked, the organisation found,
 * an id twice in the call refused (once_per_call), each organisation
 * stamped once per run of its items, a replaced record unindexed first.
 * *st as write_items gives it. */
int items_put(cw_db *db, cw_wtxn *w, const item_put_ops *ops, const void *items, size_t n,
              cw_bulk_stats *st, cw_err *err);

#endif
