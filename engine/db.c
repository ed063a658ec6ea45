/* The LMDB environment: opening it with its named databases and schema
 * record, short reused read transactions, atomic writes with map growth and
 * retry, LMDB error translation (the only place it happens), and the key and
 * record encoding helpers the model modules share. */
#include "internal.h"
#include "graph.h"
#include "orgsnap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MAP (64u << 20)
#define DEFAULT_MAP_MAX ((size_t)64 << 30)
#define WRITE_RETRIES 24

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
};

/* ---- errors ---- */

int lmdb_err(int rc, cw_err *err, const char *what)
{
    switch (rc) {
    case 0: return 0;
    case MDB_MAP_FULL:
        return cw_err_set(err, CW_EMAPFULL, "%s: the storage map is full", what);
    case MDB_NOTFOUND: return cw_err_set(err, CW_ENOENT, "%s: not found", what);
    case MDB_BAD_VALSIZE:
        return cw_err_set(err, CW_ETOOBIG, "%s: key or value too large", what);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
        return cw_err_set(err, CW_ECORRUPT, "%s: %s", what, mdb_strerror(rc));
    case ENOMEM: return cw_err_set(err, CW_ENOMEM, "%s: out of memory", what);
    case ENOSPC: return cw_err_set(err, CW_EFULL, "%s: no space left on device", what);
    default: return cw_err_set(err, CW_ESTORAGE, "%s: %s", what, mdb_strerror(rc));
    }
}

/* ---- keys ---- */

void key_init(cw_key *k)
{
    k->n = 0;
}

void key_raw(cw_key *k, const void *p, size_t n)
{
    /* Parts are length-checked on input (slug 64, id 128), so only a
     * malformed caller can overflow; truncation keeps it memory-safe. */
    if (n > CW_KEY_MAX - k->n)
        n = CW_KEY_MAX - k->n;
    memcpy(k->b + k->n, p, n);
    k->n += n;
}

void key_sep(cw_key *k)
{
    key_raw(k, "", 1);
}

void key_part(cw_key *k, const char *s)
{
    if (k->n)
        key_sep(k);
    key_raw(k, s ? s : "", s ? strlen(s) : 0);
}

MDB_val key_val(const cw_key *k)
{
    return (MDB_val){.mv_size = k->n, .mv_data = (void *)k->b};
}

void be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

uint64_t be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

uint64_t time_key(cw_time t)
{
    return (uint64_t)t ^ (UINT64_C(1) << 63);
}

cw_time time_unkey(uint64_t k)
{
    return (cw_time)(k ^ (UINT64_C(1) << 63));
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
        if (have == 1 || have == 2) {
            /* Version 2 added the (empty) delta indexes and version 3 the
             * (empty) joint-row databases, both opened above; requirement
             * records without the assessable and status fields and pair
             * entries without a note read as their defaults.  The stamp
             * keeps older builds from missing what newer writes put in the
             * new databases. */
            unsigned char ver[8];
            be64_put(ver, CW_SCHEMA_VERSION);
            MDB_val nv = {8, ver};
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
    if ((rc = mdb_env_create(&db->env)) || (rc = mdb_env_set_maxdbs(db->env, DB_COUNT + 2)) ||
        (rc = mdb_env_set_maxreaders(db->env, 126))) {
        cw_db_close(db);
        return lmdb_err(rc, err, "data");
    }
    /* An existing store may already be bigger than the requested size;
     * LMDB keeps the larger of the two. */
    mdb_env_set_mapsize(db->env, db->map_size);
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
    graph_cache_clear(db);
    orgsnap_cache_clear(db);
    for (int i = 0; i < db->n_rcache; i++)
        mdb_txn_abort(db->rcache[i]);
    if (db->env)
        mdb_env_close(db->env);
    pthread_rwlock_destroy(&db->grow_lock);
    pthread_mutex_destroy(&db->rcache_lock);
    pthread_mutex_destroy(&db->gcache_lock);
    pthread_mutex_destroy(&db->ocache_lock);
    free(db);
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

/* ---- reads ---- */

/* Another process (an offline loader) may have grown the map; adopt its
 * size.  Needs the exclusive lock, like any remap. */
static void adopt_resized(cw_db *db)
{
    pthread_rwlock_wrlock(&db->grow_lock);
    mdb_env_set_mapsize(db->env, 0);
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    db->map_size = info.me_mapsize;
    pthread_rwlock_unlock(&db->grow_lock);
}

int read_begin(cw_db *db, MDB_txn **out, cw_err *err)
{
    for (int attempt = 0; attempt < 3; attempt++) {
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
        if (rc != MDB_MAP_RESIZED)
            return lmdb_err(rc, err, "read");
        adopt_resized(db);
    }
    return cw_err_set(err, CW_ESTORAGE, "read: the map keeps being resized");
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

static int begin_top(cw_db *db, MDB_txn **txn, cw_err *err)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc = mdb_txn_begin(db->env, NULL, 0, txn);
        if (rc == MDB_MAP_RESIZED) {
            adopt_resized(db);
            continue;
        }
        return lmdb_err(rc, err, "write");
    }
    return cw_err_set(err, CW_ESTORAGE, "write: the map keeps being resized");
}

int cw_write_begin(cw_db *db, cw_wtxn **out, cw_err *err)
{
    cw_wtxn *w = calloc(1, sizeof *w);
    if (!w)
        return cw_err_set(err, CW_ENOMEM, "write: out of memory");
    w->db = db;
    int rc = begin_top(db, &w->txn, err);
    if (rc) {
        free(w);
        return rc;
    }
    *out = w;
    return 0;
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

int cw_db_grow(cw_db *db, cw_err *err)
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

int write_run(cw_db *db, cw_wtxn *w, write_fn fn, void *arg, cw_err *err)
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
    for (int attempt = 0; attempt < WRITE_RETRIES; attempt++) {
        cw_wtxn top = {db, NULL};
        int rc = begin_top(db, &top.txn, err);
        if (rc)
            return rc;
        rc = fn(&top, arg, err);
        if (rc == 0)
            rc = lmdb_err(mdb_txn_commit(top.txn), err, "commit");
        else
            mdb_txn_abort(top.txn);
        if (rc != CW_EMAPFULL)
            return rc;
        cw_err_clear(err);
        rc = cw_db_grow(db, err);
        if (rc)
            return rc;
    }
    return cw_err_set(err, CW_EFULL, "storage: the write does not fit after growing the map");
}

int write_bulk(cw_db *db, cw_wtxn *w, write_fn fn, void *arg, const cw_bulk_stats *done,
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

int bump_generation(cw_wtxn *w, cw_err *err)
{
    MDB_val k = {3, "gen"}, v;
    uint64_t gen = 0;
    if (mdb_get(w->txn, w->db->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8)
        gen = be64_get(v.mv_data);
    unsigned char b[8];
    be64_put(b, gen + 1);
    v = (MDB_val){8, b};
    return lmdb_err(mdb_put(w->txn, w->db->dbi[DB_META], &k, &v, 0), err, "generation");
}

int cw_db_counts_get(cw_db *db, cw_db_counts *out, cw_err *err)
{
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    MDB_stat st;
    size_t *dst[DB_COUNT] = {[DB_FW] = &out->frameworks, [DB_REQ] = &out->requirements,
                             [DB_MAP] = &out->mappings,  [DB_ORG] = &out->orgs,
                             [DB_CTL] = &out->controls,  [DB_EV] = &out->evidence,
                             [DB_SCOPE] = &out->scope};
    for (int i = 0; i < DB_COUNT; i++)
        if (dst[i] && mdb_stat(txn, db->dbi[i], &st) == 0)
            *dst[i] = st.ms_entries;
    /* A crosswalk row is one (pair, origin); the map db stores one record per
     * pair, so count origins. */
    MDB_cursor *c;
    if (mdb_cursor_open(txn, db->dbi[DB_MAP], &c) == 0) {
        MDB_val k, v;
        size_t rows = 0;
        for (int op = MDB_FIRST; mdb_cursor_get(c, &k, &v, op) == 0; op = MDB_NEXT) {
            rec_reader r;
            if (rr_open(&r, v, NULL) == 0) {
                rows += r.n;
                rr_close(&r);
            }
        }
        mdb_cursor_close(c);
        out->mappings = rows;
    }
    /* Joint rows: one record per (set, target), one entry per origin. */
    if (mdb_cursor_open(txn, db->dbi[DB_JOINT], &c) == 0) {
        MDB_val k, v;
        for (int op = MDB_FIRST; mdb_cursor_get(c, &k, &v, op) == 0; op = MDB_NEXT) {
            rec_reader r;
            if (rr_open(&r, v, NULL) == 0) {
                const msgpack_object *e = rr_at(&r, 1);
                if (e && e->type == MSGPACK_OBJECT_ARRAY)
                    out->joint_mappings += e->via.array.size;
                rr_close(&r);
            }
        }
        mdb_cursor_close(c);
        out->mappings += out->joint_mappings;
    }
    MDB_val k = {3, "gen"}, v;
    if (mdb_get(txn, db->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8)
        out->generation = be64_get(v.mv_data);
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    mdb_env_stat(db->env, &st);
    out->map_size = info.me_mapsize;
    out->map_used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    out->map_size_max = db->map_max;
    read_end(db, txn);
    return 0;
}

/* ---- record encoding ---- */

void rw_init(rec_writer *r)
{
    msgpack_sbuffer_init(&r->sb);
    msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
}

void rw_free(rec_writer *r)
{
    msgpack_sbuffer_destroy(&r->sb);
}

void rw_str(rec_writer *r, const char *s)
{
    if (!s) {
        msgpack_pack_nil(&r->pk);
        return;
    }
    size_t n = strlen(s);
    msgpack_pack_str(&r->pk, n);
    msgpack_pack_str_body(&r->pk, s, n);
}

void rw_int(rec_writer *r, int64_t v)
{
    msgpack_pack_int64(&r->pk, v);
}

void rw_array(rec_writer *r, size_t n)
{
    msgpack_pack_array(&r->pk, n);
}

void rw_nil(rec_writer *r)
{
    msgpack_pack_nil(&r->pk);
}

void rw_bool(rec_writer *r, bool b)
{
    if (b)
        msgpack_pack_true(&r->pk);
    else
        msgpack_pack_false(&r->pk);
}

MDB_val rw_val(rec_writer *r)
{
    return (MDB_val){.mv_size = r->sb.size, .mv_data = r->sb.data};
}

int rr_open(rec_reader *r, MDB_val v, cw_err *err)
{
    msgpack_unpacked_init(&r->u);
    size_t off = 0;
    if (msgpack_unpack_next(&r->u, v.mv_data, v.mv_size, &off) != MSGPACK_UNPACK_SUCCESS ||
        r->u.data.type != MSGPACK_OBJECT_ARRAY) {
        msgpack_unpacked_destroy(&r->u);
        return cw_err_set(err, CW_ECORRUPT, "record: not a valid encoded record");
    }
    r->o = r->u.data.via.array.ptr;
    r->n = r->u.data.via.array.size;
    return 0;
}

void rr_close(rec_reader *r)
{
    msgpack_unpacked_destroy(&r->u);
}

const msgpack_object *rr_at(const rec_reader *r, size_t i)
{
    return i < r->n ? &r->o[i] : NULL;
}

char *obj_str(cw_arena *a, const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    return cw_arena_strndup(a, o->via.str.ptr, o->via.str.size);
}

int64_t obj_int(const msgpack_object *o, int64_t dflt)
{
    if (!o)
        return dflt;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t)o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return dflt;
}

bool obj_is_nil(const msgpack_object *o)
{
    return !o || o->type == MSGPACK_OBJECT_NIL;
}

/* ---- validation ---- */

int check_name(const char *field, const char *s, size_t max, cw_err *err)
{
    if (!s || !*s)
        return cw_err_set(err, CW_EINVAL, "%s: must be a non-empty string", field);
    size_t n = strlen(s);
    if (n > max)
        return cw_err_set(err, CW_EINVAL, "%s: '%.40s...' is longer than %zu bytes", field, s,
                          max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return cw_err_set(err, CW_EINVAL, "%s: '%.60s' contains a control character",
                              field, s);
    return 0;
}

int check_text(const char *field, const char *s, cw_err *err)
{
    if (s && strlen(s) > CW_MAX_TEXT)
        return cw_err_set(err, CW_EINVAL, "%s: longer than %d bytes", field, CW_MAX_TEXT);
    return 0;
}

int fw_exists(MDB_txn *txn, cw_db *db, const char *fw)
{
    MDB_val k = {strlen(fw), (void *)fw}, v;
    return mdb_get(txn, db->dbi[DB_FW], &k, &v) == 0 ? 0 : CW_ENOFW;
}

int req_exists(MDB_txn *txn, cw_db *db, const char *fw, const char *id, bool *assessed)
{
    cw_key key;
    key_init(&key);
    key_part(&key, fw);
    key_part(&key, id);
    MDB_val k = key_val(&key), v;
    if (mdb_get(txn, db->dbi[DB_REQ], &k, &v) != 0)
        return fw_exists(txn, db, fw) ? CW_ENOFW : CW_ENOREQ;
    if (assessed) {
        MDB_val ck = key_val(&key), cv;
        bool leaf = mdb_get(txn, db->dbi[DB_CHILD], &ck, &cv) != 0;
        /* record fields 6 (assessable: nil = by the tree) and 7 (withdrawn) */
        rec_reader rr;
        bool as = leaf, wd = false;
        if (rr_open(&rr, v, NULL) == 0) {
            const msgpack_object *o = rr_at(&rr, 6);
            if (o && o->type == MSGPACK_OBJECT_BOOLEAN)
                as = o->via.boolean;
            wd = obj_int(rr_at(&rr, 7), 0) == 1;
            rr_close(&rr);
        }
        *assessed = as && !wd;
    }
    return 0;
}

int org_exists(MDB_txn *txn, cw_db *db, const char *org)
{
    MDB_val k = {strlen(org), (void *)org}, v;
    return mdb_get(txn, db->dbi[DB_ORG], &k, &v) == 0 ? 0 : CW_ENOORG;
}

static void org_gen_key(cw_key *k, const char *org)
{
    key_init(k);
    key_part(k, "org");
    key_part(k, org);
}

int org_touch(MDB_txn *txn, cw_db *db, const char *org, cw_err *err)
{
    /* The writing transaction's id is unique and grows with every commit,
     * so it serves as the generation without reading the old value. */
    cw_key k;
    org_gen_key(&k, org);
    unsigned char b[8];
    be64_put(b, (uint64_t)mdb_txn_id(txn));
    MDB_val kv = key_val(&k), v = {8, b};
    return lmdb_err(mdb_put(txn, db->dbi[DB_META], &kv, &v, 0), err, "org");
}

uint64_t org_gen(MDB_txn *txn, cw_db *db, const char *org)
{
    cw_key k;
    org_gen_key(&k, org);
    MDB_val kv = key_val(&k), v;
    if (mdb_get(txn, db->dbi[DB_META], &kv, &v) == 0 && v.mv_size == 8)
        return be64_get(v.mv_data);
    return 0;
}
