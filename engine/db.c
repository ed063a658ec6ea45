/* The LMDB environment: opening it with its named databases and schema
 * record, short reused read transactions, atomic writes with map growth and
 * retry, LMDB error translation (the only place it happens), the store's
 * counts, and freeing the caches the modules above keep on it when it
 * closes. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MAP (64u << 20)
#define DEFAULT_MAP_MAX ((size_t)64 << 30)
#define DEFAULT_READERS 126

static const struct {
    const char *name;
    unsigned flags;
} db_defs[DB_COUNT] = {
    [DB_META] = {"meta", 0},
    [DB_FW] = {"fw", 0},
    [DB_REQ] = {"req", 0},
    [DB_CHILD] = {"req_child", MDB_DUPSORT},
    [DB_MAP] = {"map", 0},
    [DB_MAPIDX] = {"map_idx", MDB_DUPSORT},
    [DB_ORG] = {"org", 0},
    [DB_CTL] = {"ctl", 0},
    [DB_CTLLINK] = {"ctl_link", MDB_DUPSORT},
    [DB_EV] = {"ev", 0},
    [DB_EVCTL] = {"ev_ctl", MDB_DUPSORT},
    [DB_EVPASS] = {"ev_pass", MDB_DUPSORT},
    [DB_SCOPE] = {"scope", 0},
    [DB_EVCTL_D] = {"ev_ctl_delta", MDB_DUPSORT},
    [DB_EVPASS_D] = {"ev_pass_delta", MDB_DUPSORT},
    [DB_JOINT] = {"joint", 0},
    [DB_JOINTIDX] = {"joint_idx", MDB_DUPSORT},
    [DB_ASSET] = {"asset", 0},
    [DB_RISK] = {"risk", 0},
    [DB_AUDIT] = {"audit", 0},
    [DB_FINDING] = {"finding", 0},
    [DB_SOAVER] = {"soa_version", 0},
    [DB_LOG] = {"log", 0},
    [DB_HIST] = {"hist", 0},
    [DB_HISTT] = {"hist_time", 0},
};

/* ---- errors ---- */

int lmdb_err(int rc, cw_err *err, const char *what)
{
    switch (rc) {
    case 0: return 0;
    case MDB_MAP_FULL: return cw_err_set(err, CW_EMAPFULL, "%s: the storage map is full", what);
    case MDB_NOTFOUND: return cw_err_set(err, CW_ENOENT, "%s: not found", what);
    case MDB_BAD_VALSIZE: return cw_err_set(err, CW_ETOOBIG, "%s: key or value too large", what);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND: return cw_err_set(err, CW_ECORRUPT, "%s: %s", what, mdb_strerror(rc));
    case ENOMEM: return cw_err_set(err, CW_ENOMEM, "%s: out of memory", what);
    case ENOSPC:
    case EDQUOT:
    case EIO:
        /* The disk, not the map: a full filesystem or quota shows as one
         * of these when the commit writes its pages (EIO on some
         * filesystems when they run out). */
        return cw_err_set(err, CW_EFULL,
                          "%s: the disk refused the write (%s): free space on the data "
                          "directory's filesystem; nothing of it was stored",
                          what, strerror(rc));
    default: return cw_err_set(err, CW_ESTORAGE, "%s: %s", what, mdb_strerror(rc));
    }
}

/* ---- open / close ---- */

static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST)
                return errno;
            *p = '/';
        }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

static int open_dbs(cw_db *db, cw_err *err)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(db->env, NULL, 0, &txn);
    if (rc)
        return lmdb_err(rc, err, "open");
    for (int i = 0; i < DB_COUNT; i++) {
        rc = mdb_dbi_open(txn, db_defs[i].name, db_defs[i].flags | MDB_CREATE, &db->dbi[i]);
        if (rc) {
            mdb_txn_abort(txn);
            return lmdb_err(rc, err, db_defs[i].name);
        }
    }
    MDB_val k = {6, "schema"}, v;
    rc = mdb_get(txn, db->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        unsigned char ver[8];
        be64_put(ver, CW_SCHEMA_VERSION);
        v = (MDB_val){8, ver};
        rc = mdb_put(txn, db->dbi[DB_META], &k, &v, 0);
    } else if (rc == 0) {
        uint64_t have = v.mv_size == 8 ? be64_get(v.mv_data) : 0;
        if (have >= 1 && have < CW_SCHEMA_VERSION) {
            /* Version 2 added the (empty) delta indexes, version 3 the
             * (empty) joint-row databases and version 4 the (empty) ISMS
             * databases, version 5 the (empty) change log and version 6 the
             * (empty) history, all opened
             * above; requirement records without the
             * assessable and status fields, pair entries without a note,
             * organisations without a risk scale and scope decisions
             * without reasons read as their defaults.  Version 4 also put
             * the collection time first in the passing index, which is
             * rewritten here.  The stamp keeps older builds from missing
             * what newer writes put in the new databases. */
            unsigned char ver[8];
            be64_put(ver, CW_SCHEMA_VERSION);
            MDB_val nv = {8, ver};
            rc = have <= 3 ? ev_pass_upgrade(txn, db) : 0;
            if (!rc)
                rc = mdb_put(txn, db->dbi[DB_META], &k, &nv, 0);
        } else if (have != CW_SCHEMA_VERSION) {
            mdb_txn_abort(txn);
            return cw_err_set(err, CW_ESCHEMA,
                              "data: store has schema version %llu, this build reads %d",
                              (unsigned long long)have, CW_SCHEMA_VERSION);
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return lmdb_err(rc, err, "schema");
    }
    MDB_stat st;
    mdb_stat(txn, db->dbi[DB_FW], &st);
    db->was_empty = st.ms_entries == 0;
    rc = mdb_txn_commit(txn);
    return lmdb_err(rc, err, "open");
}

int cw_db_open(const cw_db_options *opts, cw_db **out, cw_err *err)
{
    *out = NULL;
    if (!opts || !opts->path || !*opts->path)
        return cw_err_set(err, CW_EINVAL, "data: no directory given");
    int rc = mkdir_p(opts->path);
    if (rc)
        return cw_err_set(err, CW_ESTORAGE, "data: cannot create '%s': %s", opts->path,
                          strerror(rc));
    cw_db *db = calloc(1, sizeof *db);
    if (!db)
        return cw_err_set(err, CW_ENOMEM, "data: out of memory");
    db->map_size = opts->map_size ? opts->map_size : DEFAULT_MAP;
    db->map_max = opts->map_size_max ? opts->map_size_max : DEFAULT_MAP_MAX;
    db->ev_delta_min = opts->index_delta_min ? opts->index_delta_min : 65536;
    if (db->map_max < db->map_size)
        db->map_max = db->map_size;
    pthread_rwlock_init(&db->grow_lock, NULL);
    pthread_mutex_init(&db->rcache_lock, NULL);
    pthread_mutex_init(&db->gcache_lock, NULL);
    pthread_mutex_init(&db->ocache_lock, NULL);
    pthread_mutex_init(&db->counts_lock, NULL);
    unsigned readers = opts->max_readers ? opts->max_readers : DEFAULT_READERS;
    if ((rc = mdb_env_create(&db->env)) || (rc = mdb_env_set_maxdbs(db->env, DB_COUNT + 2)) ||
        (rc = mdb_env_set_maxreaders(db->env, readers))) {
        cw_db_close(db);
        return lmdb_err(rc, err, "data");
    }
    /* An existing store may already be bigger than the requested size;
     * LMDB keeps the larger of the two. */
    mdb_env_set_mapsize(db->env, db->map_size);
    /* Deliberately without MDB_WRITEMAP: LMDB then writes dirty pages with
     * write() from its own buffers and the data file grows by those
     * writes, while the map stays read-only and is read only up to the
     * last committed page.  A full disk therefore fails a commit with
     * ENOSPC (CW_EFULL) and can never raise SIGBUS on a page of a sparse
     * file, which a writable map would do; no handler is needed. */
    unsigned flags = MDB_NOTLS | (opts->no_sync ? MDB_NOSYNC : 0);
    rc = mdb_env_open(db->env, opts->path, flags, 0600);
    if (rc) {
        cw_err_set(err, CW_ESTORAGE, "data: cannot open store in '%s': %s", opts->path,
                   mdb_strerror(rc));
        cw_db_close(db);
        return CW_ESTORAGE;
    }
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    db->map_size = info.me_mapsize;
    if (db->map_max < db->map_size)
        db->map_max = db->map_size;
    rc = open_dbs(db, err);
    if (rc) {
        cw_db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

void cw_db_close(cw_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < DB_CACHES; i++)
        if (db->cache_free[i])
            db->cache_free[i](db);
    for (int i = 0; i < db->n_rcache; i++)
        mdb_txn_abort(db->rcache[i]);
    if (db->env)
        mdb_env_close(db->env);
    pthread_rwlock_destroy(&db->grow_lock);
    pthread_mutex_destroy(&db->rcache_lock);
    pthread_mutex_destroy(&db->gcache_lock);
    pthread_mutex_destroy(&db->ocache_lock);
    pthread_mutex_destroy(&db->counts_lock);
    free(db);
}

void db_cache_register(cw_db *db, int which, void (*free_fn)(cw_db *db))
{
    /* Written under the cache's own lock, always with the same function:
     * no two threads store different values, and closing runs alone. */
    db->cache_free[which] = free_fn;
}

bool cw_db_is_empty(cw_db *db)
{
    return db->was_empty;
}

void cw_db_set_map_max(cw_db *db, size_t map_size_max)
{
    pthread_rwlock_wrlock(&db->grow_lock);
    if (map_size_max > db->map_max)
        db->map_max = map_size_max;
    pthread_rwlock_unlock(&db->grow_lock);
}

/* ---- recovery ----
 *
 * One policy for every LMDB condition that a retry can cure, after
 * postfix's slmdb, applied by reads (read_begin) and write groups alike:
 *
 * - MDB_MAP_RESIZED: another process (an offline loader, a second
 *   server on the same directory) grew the map past ours: adopt its size
 *   (mdb_env_set_mapsize(env, 0)) and retry;
 * - MDB_READERS_FULL: every reader slot is taken; slots of processes that
 *   died holding a read transaction stay taken until mdb_reader_check
 *   frees them: check, and retry when some were freed;
 * - MDB_MAP_FULL (writes only): abort the whole group, double the map up
 *   to map_size_max and replay the group; at the cap the answer is
 *   CW_EFULL (storage_full) and reads keep working.
 *
 * Every retry counts against RECOVER_ATTEMPTS, so a condition that keeps
 * coming back ends in an error instead of a loop. */

/* Doubling from the smallest map LMDB allows reaches any cap well within
 * this, with room for adopting sizes and clearing readers on the way. */
#define RECOVER_ATTEMPTS 32

/* Remaps at the size another process gave the map.  Needs the exclusive
 * lock, like any remap, so no read transaction is running. */
static int adopt_resized(cw_db *db)
{
    pthread_rwlock_wrlock(&db->grow_lock);
    int rc = mdb_env_set_mapsize(db->env, 0);
    if (rc == 0) {
        MDB_envinfo info;
        mdb_env_info(db->env, &info);
        db->map_size = info.me_mapsize;
    }
    pthread_rwlock_unlock(&db->grow_lock);
    return rc;
}

/* Cures rc when it is MDB_MAP_RESIZED or MDB_READERS_FULL, counting what
 * was done in rep (may be NULL); true when the call should be retried. */
static bool cure(cw_db *db, int rc, cw_write_report *rep)
{
    if (rc == MDB_MAP_RESIZED) {
        if (adopt_resized(db))
            return false;
        if (rep)
            rep->resized++;
        return true;
    }
    if (rc == MDB_READERS_FULL) {
        int dead = 0;
        if (mdb_reader_check(db->env, &dead) || dead <= 0)
            return false;
        if (rep)
            rep->readers_cleared += (unsigned)dead;
        return true;
    }
    return false;
}

/* Doubles the map, capped by map_max; CW_EFULL at the cap.  No write
 * transaction may be open; waits for running reads. */
static int grow_map(cw_db *db, cw_err *err)
{
    pthread_rwlock_wrlock(&db->grow_lock);
    int rc = 0;
    if (db->map_size >= db->map_max) {
        rc = cw_err_set(err, CW_EFULL, "storage: the map is full at its cap of %zu bytes",
                        db->map_max);
    } else {
        size_t ns = db->map_size > db->map_max / 2 ? db->map_max : db->map_size * 2;
        int mrc = mdb_env_set_mapsize(db->env, ns);
        if (mrc)
            rc = lmdb_err(mrc, err, "storage");
        else
            db->map_size = ns;
    }
    pthread_rwlock_unlock(&db->grow_lock);
    return rc;
}

/* ---- reads ---- */

int read_begin(cw_db *db, MDB_txn **out, cw_err *err)
{
    for (int attempt = 0; attempt < RECOVER_ATTEMPTS; attempt++) {
        pthread_rwlock_rdlock(&db->grow_lock);
        MDB_txn *txn = NULL;
        pthread_mutex_lock(&db->rcache_lock);
        if (db->n_rcache)
            txn = db->rcache[--db->n_rcache];
        pthread_mutex_unlock(&db->rcache_lock);
        int rc;
        if (txn) {
            rc = mdb_txn_renew(txn);
            if (rc)
                mdb_txn_abort(txn);
        } else {
            rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
        }
        if (rc == 0) {
            *out = txn;
            return 0;
        }
        pthread_rwlock_unlock(&db->grow_lock);
        if (!cure(db, rc, NULL))
            return lmdb_err(rc, err, "read");
    }
    return cw_err_set(err, CW_ESTORAGE, "read: still failing after %d recoveries",
                      RECOVER_ATTEMPTS);
}

void read_end(cw_db *db, MDB_txn *txn)
{
    mdb_txn_reset(txn);
    pthread_mutex_lock(&db->rcache_lock);
    if (db->n_rcache < (int)(sizeof db->rcache / sizeof db->rcache[0])) {
        db->rcache[db->n_rcache++] = txn;
        txn = NULL;
    }
    pthread_mutex_unlock(&db->rcache_lock);
    if (txn)
        mdb_txn_abort(txn);
    pthread_rwlock_unlock(&db->grow_lock);
}

/* ---- writes ---- */

static int begin_top(cw_db *db, MDB_txn **txn, cw_write_report *rep, cw_err *err)
{
    for (int attempt = 0; attempt < RECOVER_ATTEMPTS; attempt++) {
        int rc = mdb_txn_begin(db->env, NULL, 0, txn);
        if (rc == 0 || !cure(db, rc, rep))
            return lmdb_err(rc, err, "write");
    }
    return cw_err_set(err, CW_ESTORAGE, "write: still failing after %d recoveries",
                      RECOVER_ATTEMPTS);
}

int cw_write_begin(cw_db *db, cw_wtxn **out, cw_err *err)
{
    cw_wtxn *w = calloc(1, sizeof *w);
    if (!w)
        return cw_err_set(err, CW_ENOMEM, "write: out of memory");
    w->db = db;
    int rc = begin_top(db, &w->txn, NULL, err);
    if (rc) {
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int cw_write_trial(cw_db *db, cw_wtxn *w, cw_write_fn fn, void *ctx, cw_err *err)
{
    cw_wtxn t = {db, NULL};
    int rc = w ? lmdb_err(mdb_txn_begin(db->env, w->txn, 0, &t.txn), err, "write")
               : begin_top(db, &t.txn, NULL, err);
    if (rc)
        return rc;
    /* Nothing a dry run does is kept, so nothing of it is logged. */
    struct change_acc *acc = db->acc;
    db->acc = NULL;
    rc = fn(&t, ctx, err);
    db->acc = acc;
    mdb_txn_abort(t.txn);
    return rc;
}

int cw_write_commit(cw_wtxn *w, cw_err *err)
{
    int rc = mdb_txn_commit(w->txn);
    free(w);
    return lmdb_err(rc, err, "commit");
}

void cw_write_abort(cw_wtxn *w)
{
    if (!w)
        return;
    mdb_txn_abort(w->txn);
    free(w);
}

/* Runs each op once inside top.  Returns CW_EMAPFULL as soon as one finds
 * the map full (the group is then aborted, grown and replayed), else 0,
 * each op's rc telling how it went. */
static int run_ops(cw_db *db, MDB_txn *top, cw_write_op *ops, size_t n)
{
    if (n == 1) {
        /* Alone in its group, an op needs no nested transaction: when it
         * fails, aborting the group is its rollback. */
        cw_wtxn w = {db, top};
        cw_err_clear(ops[0].err);
        ops[0].rc = ops[0].fn(&w, ops[0].ctx, ops[0].err);
        return ops[0].rc == CW_EMAPFULL ? CW_EMAPFULL : 0;
    }
    for (size_t i = 0; i < n; i++) {
        cw_write_op *op = &ops[i];
        cw_err_clear(op->err);
        cw_wtxn child = {db, NULL};
        int rc = lmdb_err(mdb_txn_begin(db->env, top, 0, &child.txn), op->err, "write");
        if (rc == 0) {
            rc = op->fn(&child, op->ctx, op->err);
            if (rc)
                mdb_txn_abort(child.txn); /* this op's writes only */
            else
                rc = lmdb_err(mdb_txn_commit(child.txn), op->err, "write");
        }
        op->rc = rc;
        if (rc == CW_EMAPFULL)
            return rc;
    }
    return 0;
}

int cw_write_group(cw_db *db, cw_write_op *ops, size_t n, cw_write_report *rep, cw_err *err)
{
    cw_write_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    for (int attempt = 0; attempt < RECOVER_ATTEMPTS; attempt++) {
        MDB_txn *top;
        int rc = begin_top(db, &top, rep, err);
        if (rc)
            return rc;
        rep->runs++;
        rc = run_ops(db, top, ops, n);
        if (rc == 0 && n == 1 && ops[0].rc) {
            mdb_txn_abort(top); /* nothing else in the group to keep */
            return 0;
        }
        if (rc == 0) {
            /* No MDB_WRITEMAP (see cw_db_open): a full disk fails this
             * commit's write() with ENOSPC, answered CW_EFULL. */
            rc = mdb_txn_commit(top);
            if (rc != MDB_MAP_FULL)
                return lmdb_err(rc, err, "commit");
        } else {
            mdb_txn_abort(top);
        }
        /* The map filled: nothing of the group was committed. */
        if ((rc = grow_map(db, err)))
            return rc;
        rep->grown++;
    }
    return cw_err_set(err, CW_EFULL, "storage: the write does not fit after growing the map");
}

int write_run(cw_db *db, cw_wtxn *w, cw_write_fn fn, void *arg, cw_err *err)
{
    if (w) {
        cw_wtxn child = {db, NULL};
        int rc = mdb_txn_begin(db->env, w->txn, 0, &child.txn);
        if (rc)
            return lmdb_err(rc, err, "write");
        rc = fn(&child, arg, err);
        if (rc) {
            mdb_txn_abort(child.txn);
            return rc;
        }
        return lmdb_err(mdb_txn_commit(child.txn), err, "write");
    }
    cw_write_op op = {fn, arg, err, 0};
    int rc = cw_write_group(db, &op, 1, NULL, err);
    return rc ? rc : op.rc;
}

int write_bulk(cw_db *db, cw_wtxn *w, cw_write_fn fn, void *arg, const cw_bulk_stats *done,
               size_t n, cw_bulk_stats *st, cw_err *err)
{
    int rc = write_run(db, w, fn, arg, err);
    if (st) {
        if (rc == 0)
            *st = *done;
        else
            *st = (cw_bulk_stats){.rejected = n};
    }
    return rc;
}

int write_items(cw_db *db, cw_wtxn *w, cw_write_fn fn, const char *field, const void *items,
                size_t n, cw_bulk_stats *st, cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (n && !items)
        return cw_err_set(err, CW_EINVAL, "%s: missing", field);
    bulk_args ba = {items, n, {0}};
    return write_bulk(db, w, fn, &ba, &ba.st, n, st, err);
}

int cw_db_counts_get(cw_db *db, cw_db_counts *out, cw_err *err)
{
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    MDB_stat st;
    size_t *dst[DB_COUNT] = {
        [DB_FW] = &out->frameworks, [DB_REQ] = &out->requirements, [DB_MAP] = &out->mappings,
        [DB_ORG] = &out->orgs,      [DB_CTL] = &out->controls,     [DB_EV] = &out->evidence,
        [DB_SCOPE] = &out->scope};
    for (int i = 0; i < DB_COUNT; i++)
        if (dst[i] && mdb_stat(txn, db->dbi[i], &st) == 0)
            *dst[i] = st.ms_entries;
    MDB_val k = {3, "gen"}, v;
    if (mdb_get(txn, db->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8)
        out->generation = be64_get(v.mv_data);
    pthread_mutex_lock(&db->counts_lock);
    bool kept = db->counts_gen && db->counts_gen == out->generation;
    if (kept) {
        out->mappings = db->counts_rows;
        out->joint_mappings = db->counts_joint;
    }
    pthread_mutex_unlock(&db->counts_lock);
    if (!kept) {
        /* A crosswalk row is one (pair, origin); the map db stores one record per
         * pair, so count origins. */
        MDB_cursor *c;
        if (mdb_cursor_open(txn, db->dbi[DB_MAP], &c) == 0) {
            MDB_val mk, mv;
            size_t rows = 0;
            for (int op = MDB_FIRST; mdb_cursor_get(c, &mk, &mv, op) == 0; op = MDB_NEXT) {
                rec_reader r;
                if (rr_open(&r, mv, NULL) == 0) {
                    rows += r.n;
                    rr_close(&r);
                }
            }
            mdb_cursor_close(c);
            out->mappings = rows;
        }
        /* Joint rows: one record per (set, target), one entry per origin. */
        if (mdb_cursor_open(txn, db->dbi[DB_JOINT], &c) == 0) {
            MDB_val mk, mv;
            for (int op = MDB_FIRST; mdb_cursor_get(c, &mk, &mv, op) == 0; op = MDB_NEXT) {
                rec_reader r;
                if (rr_open(&r, mv, NULL) == 0) {
                    const msgpack_object *e = rr_at(&r, 1);
                    if (e && e->type == MSGPACK_OBJECT_ARRAY)
                        out->joint_mappings += e->via.array.size;
                    rr_close(&r);
                }
            }
            mdb_cursor_close(c);
            out->mappings += out->joint_mappings;
        }
        pthread_mutex_lock(&db->counts_lock);
        db->counts_gen = out->generation;
        db->counts_rows = out->mappings;
        db->counts_joint = out->joint_mappings;
        pthread_mutex_unlock(&db->counts_lock);
    }

    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    mdb_env_stat(db->env, &st);
    out->map_size = info.me_mapsize;
    out->map_used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    out->map_size_max = db->map_max;
    read_end(db, txn);
    return 0;
}
