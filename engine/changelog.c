/* The change log: while a logged write runs, the places that put or
 * delete records note them here (change_note, change_org,
 * change_catalogue); when the write succeeds, one entry describing it is
 * appended in the same transaction, chained to the one before by hash.
 * Also the log's readers: the head, paging through entries with an
 * organisation's limits, verifying the chain, and compaction into a
 * checkpoint.
 *
 * An entry is a msgpack array of 12: [seq, at_us, actor, role, method,
 * [orgs], catalogue, [[kind, org|nil, id]...], keys_total, digest, prev,
 * hash].  digest is a BLAKE2b-256 over the records stored (a bulk load
 * hashes hundreds of megabytes, where it is three times faster than
 * libsodium's SHA-256); the chain's hashes are SHA-256.  hash is the SHA-256 of the same array cut to its first 11
 * elements (an 11-array header followed by the same element bytes), so
 * the stored bytes of each entry prove themselves; prev is the hash of
 * the entry before, so the entries prove their order.  A checkpoint
 * (method "log.checkpoint") keeps the hash of the last entry it replaced
 * instead of one of its own. */
#include "internal.h"

#include "crosswalk/changelog.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECKPOINT "log.checkpoint"
#define SCAN_MAX 100000
#define ENTRY_FIELDS 12

struct change_acc {
    crypto_generichash_state h; /* the digest: BLAKE2b-256 */
    cw_arena *a;
    MDB_txn *txn;  /* the write's, for the history kept beside it */
    int64_t at_us; /* the write's time, the same in its entry and its history */
    int hist_rc;   /* the first LMDB failure keeping history, else 0 */
    bool any, catalogue, all_orgs, no_mem;
    uint64_t total;
    cw_log_key keys[CW_LOG_KEYS];
    size_t n_keys;
    size_t n_orgs;
    char orgs[CW_CHANGE_ORGS][CW_MAX_SLUG + 1];
};

/* The stored kinds of record, by database; indexes and the meta record
 * are derived from these and are not named. */
static const struct {
    const char *kind;
    bool in_org; /* keyed org\0... */
} kinds[DB_COUNT] = {
    [DB_FW] = {"framework", false},      [DB_REQ] = {"requirement", false},
    [DB_MAP] = {"mapping", false},       [DB_JOINT] = {"joint_mapping", false},
    [DB_ORG] = {"org", false},           [DB_CTL] = {"control", true},
    [DB_EV] = {"evidence", true},        [DB_SCOPE] = {"scope", true},
    [DB_ASSET] = {"asset", true},        [DB_RISK] = {"risk", true},
    [DB_AUDIT] = {"audit", true},        [DB_FINDING] = {"finding", true},
    [DB_SOAVER] = {"soa_version", true},
};

static void put_len(unsigned char *b, uint32_t n)
{
    b[0] = (unsigned char)(n >> 24);
    b[1] = (unsigned char)(n >> 16);
    b[2] = (unsigned char)(n >> 8);
    b[3] = (unsigned char)n;
}

/* A key's parts joined by '/', with the binary tails some keys end in
 * (a joint row's set hash, an SoA version number) written as text. */
static char *key_text(cw_arena *a, int dbi, const unsigned char *p, size_t n)
{
    size_t tail = dbi == DB_JOINT && n >= 8 ? 8 : dbi == DB_SOAVER && n >= 4 ? 4 : 0;
    char *s = cw_arena_alloc(a, n + 24);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n - tail; i++)
        s[o++] = p[i] == 0 ? '/' : (char)p[i];
    if (dbi == DB_JOINT && tail)
        for (size_t i = n - 8; i < n; i++)
            o += (size_t)snprintf(s + o, 3, "%02x", p[i]);
    else if (tail)
        o += (size_t)snprintf(s + o, 12, "%u",
                              (unsigned)((uint32_t)p[n - 4] << 24 | (uint32_t)p[n - 3] << 16 |
                                         (uint32_t)p[n - 2] << 8 | p[n - 1]));
    s[o] = '\0';
    return s;
}

void change_note(cw_db *db, MDB_txn *txn, int dbi, MDB_val k, const MDB_val *v)
{
    struct change_acc *acc = db->acc;
    if (dbi < 0 || dbi >= DB_COUNT || !kinds[dbi].kind)
        return;
    if (!acc->hist_rc)
        acc->hist_rc = hist_note(db, txn, dbi, k, v, (cw_time)(acc->at_us / 1000000));
    acc->any = true;
    acc->total++;
    /* database, key length, key, value length (all ones: deleted), value;
     * the framing in one buffer with the key when it fits, so that a bulk
     * load's many small records cost two hash updates each, not five */
    unsigned char b[9 + 512];
    size_t bn = 0;
    b[bn++] = (unsigned char)dbi;
    put_len(b + bn, (uint32_t)k.mv_size);
    bn += 4;
    if (k.mv_size <= 512) {
        memcpy(b + bn, k.mv_data, k.mv_size);
        bn += k.mv_size;
    } else {
        crypto_generichash_update(&acc->h, b, bn);
        crypto_generichash_update(&acc->h, k.mv_data, k.mv_size);
        bn = 0;
    }
    put_len(b + bn, v ? (uint32_t)v->mv_size : UINT32_MAX);
    bn += 4;
    crypto_generichash_update(&acc->h, b, bn);
    if (v)
        crypto_generichash_update(&acc->h, v->mv_data, v->mv_size);
    if (acc->n_keys == CW_LOG_KEYS || acc->no_mem)
        return;
    const unsigned char *p = k.mv_data;
    size_t n = k.mv_size, skip = 0;
    char *org = NULL;
    if (kinds[dbi].in_org) {
        const unsigned char *z = memchr(p, 0, n);
        skip = z ? (size_t)(z - p) + 1 : n;
        org = cw_arena_strndup(acc->a, (const char *)p, z ? (size_t)(z - p) : n);
    } else if (dbi == DB_ORG) {
        /* an organisation's own record is its own: its log shows it */
        org = cw_arena_strndup(acc->a, (const char *)p, n);
    }
    char *id = key_text(acc->a, dbi, p + skip, n - skip);
    if (!id || ((kinds[dbi].in_org || dbi == DB_ORG) && !org)) {
        acc->no_mem = true;
        return;
    }
    acc->keys[acc->n_keys++] = (cw_log_key){kinds[dbi].kind, org, id};
}

/* Neither of these alone makes an entry: a write stamps generations
 * beside the records it changes, which change_note counts. */
void change_org(cw_db *db, const char *org)
{
    struct change_acc *acc = db->acc;
    for (size_t i = 0; i < acc->n_orgs; i++)
        if (strcmp(acc->orgs[i], org) == 0)
            return;
    if (acc->n_orgs == CW_CHANGE_ORGS) {
        acc->all_orgs = true;
        return;
    }
    snprintf(acc->orgs[acc->n_orgs++], sizeof acc->orgs[0], "%s", org);
}

void change_catalogue(cw_db *db)
{
    db->acc->catalogue = true;
}

/* ---- the head record: meta "log" -> be64(seq) hash[32] be64(at_us) ---- */

static const MDB_val head_key = {3, "log"};

static int head_read(MDB_txn *txn, cw_db *db, uint64_t *seq, unsigned char hash[32], int64_t *at_us)
{
    MDB_val k = head_key, v;
    *seq = 0;
    memset(hash, 0, 32);
    if (at_us)
        *at_us = 0;
    int rc = mdb_get(txn, db->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return lmdb_err(rc, NULL, "log");
    if (v.mv_size != 48)
        return CW_ECORRUPT;
    *seq = be64_get(v.mv_data);
    memcpy(hash, (const unsigned char *)v.mv_data + 8, 32);
    if (at_us)
        *at_us = (int64_t)be64_get((const unsigned char *)v.mv_data + 40);
    return 0;
}

static int head_write(cw_wtxn *w, uint64_t seq, const unsigned char hash[32], int64_t at_us,
                      cw_err *err)
{
    unsigned char b[48];
    be64_put(b, seq);
    memcpy(b + 8, hash, 32);
    be64_put(b + 40, (uint64_t)at_us);
    MDB_val k = head_key, v = {sizeof b, b};
    return lmdb_err(mdb_put(w->txn, w->db->dbi[DB_META], &k, &v, 0), err, "log");
}

/* ---- entries ---- */

static void pack_str(msgpack_packer *pk, const char *s)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_bin32(msgpack_packer *pk, const unsigned char b[32])
{
    msgpack_pack_bin(pk, 32);
    msgpack_pack_bin_body(pk, b, 32);
}

/* Packs e's first 11 fields after a one-byte array header into sb and
 * fills e->hash (unless it is a checkpoint, whose hash is given), then
 * completes the 12-array. */
static int entry_encode(cw_log_entry *e, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, ENTRY_FIELDS - 1);
    msgpack_pack_uint64(&pk, e->seq);
    msgpack_pack_int64(&pk, e->at_us);
    pack_str(&pk, e->actor);
    pack_str(&pk, e->role);
    pack_str(&pk, e->method);
    msgpack_pack_array(&pk, e->n_orgs);
    for (size_t i = 0; i < e->n_orgs; i++)
        pack_str(&pk, e->orgs[i]);
    if (e->catalogue)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    msgpack_pack_array(&pk, e->n_keys);
    for (size_t i = 0; i < e->n_keys; i++) {
        msgpack_pack_array(&pk, 3);
        pack_str(&pk, e->keys[i].kind);
        pack_str(&pk, e->keys[i].org);
        pack_str(&pk, e->keys[i].id);
    }
    msgpack_pack_uint64(&pk, e->keys_total);
    pack_bin32(&pk, e->digest);
    pack_bin32(&pk, e->prev);
    if (!sb->data)
        return CW_ENOMEM;
    if (!e->checkpoint)
        crypto_hash_sha256(e->hash, (const unsigned char *)sb->data, sb->size);
    sb->data[0] = (char)(0x90 | ENTRY_FIELDS);
    pack_bin32(&pk, e->hash);
    return 0;
}

static bool bin32(const msgpack_object *o, unsigned char out[32])
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != 32)
        return false;
    memcpy(out, o->via.bin.ptr, 32);
    return true;
}

static const char *str_or_null(cw_arena *a, const msgpack_object *o, bool *ok)
{
    if (o->type == MSGPACK_OBJECT_NIL)
        return NULL;
    if (o->type != MSGPACK_OBJECT_STR) {
        *ok = false;
        return NULL;
    }
    char *s = cw_arena_strndup(a, o->via.str.ptr, o->via.str.size);
    if (!s)
        *ok = false;
    return s;
}

/* Decodes stored entry v into e (strings in a) and says whether its bytes
 * match its hash (*self_ok; a checkpoint's always do).  0, CW_ECORRUPT
 * when v is no entry, or CW_ENOMEM. */
static int entry_decode(cw_arena *a, MDB_val v, cw_log_entry *e, bool *self_ok)
{
    memset(e, 0, sizeof *e);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = CW_ECORRUPT;
    if (msgpack_unpack_next(&u, v.mv_data, v.mv_size, &off) != MSGPACK_UNPACK_SUCCESS ||
        off != v.mv_size || u.data.type != MSGPACK_OBJECT_ARRAY ||
        u.data.via.array.size != ENTRY_FIELDS)
        goto out;
    const msgpack_object *f = u.data.via.array.ptr;
    bool ok = f[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
              (f[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
               f[1].type == MSGPACK_OBJECT_NEGATIVE_INTEGER) &&
              f[5].type == MSGPACK_OBJECT_ARRAY && f[6].type == MSGPACK_OBJECT_BOOLEAN &&
              f[7].type == MSGPACK_OBJECT_ARRAY && f[8].type == MSGPACK_OBJECT_POSITIVE_INTEGER;
    if (!ok)
        goto out;
    e->seq = f[0].via.u64;
    e->at_us = f[1].via.i64;
    e->actor = str_or_null(a, &f[2], &ok);
    e->role = str_or_null(a, &f[3], &ok);
    e->method = str_or_null(a, &f[4], &ok);
    e->n_orgs = f[5].via.array.size;
    e->orgs = cw_arena_alloc(a, (e->n_orgs + 1) * sizeof *e->orgs);
    for (size_t i = 0; ok && e->orgs && i < e->n_orgs; i++)
        e->orgs[i] = str_or_null(a, &f[5].via.array.ptr[i], &ok);
    e->catalogue = f[6].via.boolean;
    e->n_keys = f[7].via.array.size;
    e->keys = cw_arena_alloc(a, (e->n_keys + 1) * sizeof *e->keys);
    for (size_t i = 0; ok && e->keys && i < e->n_keys; i++) {
        const msgpack_object *t = &f[7].via.array.ptr[i];
        if (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size != 3) {
            ok = false;
            break;
        }
        e->keys[i].kind = str_or_null(a, &t->via.array.ptr[0], &ok);
        e->keys[i].org = str_or_null(a, &t->via.array.ptr[1], &ok);
        e->keys[i].id = str_or_null(a, &t->via.array.ptr[2], &ok);
    }
    if (!e->orgs || !e->keys) {
        rc = CW_ENOMEM;
        goto out;
    }
    e->keys_total = f[8].via.u64;
    if (!ok || !bin32(&f[9], e->digest) || !bin32(&f[10], e->prev) || !bin32(&f[11], e->hash))
        goto out;
    e->checkpoint = e->method && strcmp(e->method, CHECKPOINT) == 0;
    /* The first 11 elements' bytes run from after the header to the hash
     * field, whose encoding (bin8 header, length, 32 bytes) ends v. */
    if (v.mv_size < 35 || ((const unsigned char *)v.mv_data)[0] != (0x90 | ENTRY_FIELDS)) {
        rc = CW_ECORRUPT;
        goto out;
    }
    if (e->checkpoint) {
        *self_ok = true;
    } else {
        crypto_hash_sha256_state h;
        unsigned char hdr = 0x90 | (ENTRY_FIELDS - 1), sum[32];
        crypto_hash_sha256_init(&h);
        crypto_hash_sha256_update(&h, &hdr, 1);
        crypto_hash_sha256_update(&h, (const unsigned char *)v.mv_data + 1, v.mv_size - 1 - 34);
        crypto_hash_sha256_final(&h, sum);
        *self_ok = sodium_memcmp(sum, e->hash, 32) == 0;
    }
    rc = 0;
out:
    msgpack_unpacked_destroy(&u);
    return rc;
}

static int entry_put(cw_wtxn *w, cw_log_entry *e, unsigned flags, cw_err *err)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = entry_encode(e, &sb);
    if (rc == 0) {
        unsigned char kb[8];
        be64_put(kb, e->seq);
        MDB_val k = {8, kb}, v = {sb.size, sb.data};
        rc = lmdb_err(mdb_put(w->txn, w->db->dbi[DB_LOG], &k, &v, flags), err, "log");
    } else {
        cw_err_set(err, rc, "log: out of memory");
    }
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Appends the entry describing acc after the head; the head moves. */
static int append(cw_wtxn *w, const cw_change_who *who, struct change_acc *acc,
                  cw_change_info *info, cw_err *err)
{
    uint64_t seq;
    cw_log_entry e = {0};
    /* read again, not kept from the start: the write may have been a
     * compaction, which rewrites what precedes the head */
    int rc = head_read(w->txn, w->db, &seq, e.prev, NULL);
    if (rc)
        return cw_err_set(err, rc, "log: the head record is damaged");
    e.seq = seq + 1;
    e.at_us = acc->at_us;
    e.actor = who && who->actor ? who->actor : "local";
    e.role = who && who->role ? who->role : "admin";
    e.method = who && who->method ? who->method : "";
    const char *orgs[CW_CHANGE_ORGS];
    for (size_t i = 0; i < acc->n_orgs; i++)
        orgs[i] = acc->orgs[i];
    e.orgs = orgs;
    e.n_orgs = acc->n_orgs;
    e.catalogue = acc->catalogue;
    e.keys = acc->keys;
    e.n_keys = acc->n_keys;
    e.keys_total = acc->total;
    crypto_generichash_final(&acc->h, e.digest, sizeof e.digest);
    if ((rc = entry_put(w, &e, MDB_APPEND, err)) ||
        (rc = head_write(w, e.seq, e.hash, e.at_us, err)))
        return rc;
    info->seq = e.seq;
    info->at_us = e.at_us;
    return 0;
}

int cw_logged_write(cw_wtxn *w, const cw_change_who *who, cw_write_fn fn, void *ctx,
                    cw_change_info *info, cw_err *err)
{
    memset(info, 0, sizeof *info);
    cw_db *db = w->db;
    struct change_acc *acc = calloc(1, sizeof *acc);
    cw_arena *a = acc ? cw_arena_new() : NULL;
    if (!a) {
        free(acc);
        return cw_err_set(err, CW_ENOMEM, "log: out of memory");
    }
    acc->a = a;
    /* Entries, and the history kept with them, are in time order even if
     * the clock steps back. */
    uint64_t seq;
    unsigned char prev[32];
    int64_t at_before = 0;
    acc->at_us = now_us();
    if (head_read(w->txn, db, &seq, prev, &at_before) == 0 && acc->at_us < at_before)
        acc->at_us = at_before;
    crypto_generichash_init(&acc->h, NULL, 0, sizeof((cw_log_entry *)0)->digest);
    struct change_acc *outer = db->acc;
    db->acc = acc;
    int rc = fn(w, ctx, err);
    db->acc = outer;
    if (acc->hist_rc)
        rc = lmdb_err(acc->hist_rc, err, "history");
    if (rc == 0 && acc->any)
        rc = append(w, who, acc, info, err);
    if (rc == 0) {
        info->catalogue = acc->catalogue;
        info->all_orgs = acc->all_orgs;
        info->n_orgs = acc->n_orgs;
        memcpy(info->orgs, acc->orgs, sizeof info->orgs);
    }
    cw_arena_free(a);
    free(acc);
    return rc;
}

/* ---- reading ---- */

int cw_log_head(cw_db *db, uint64_t *seq, unsigned char hash[32], int64_t *at_us, cw_err *err)
{
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    rc = head_read(txn, db, seq, hash, at_us);
    read_end(db, txn);
    return rc ? cw_err_set(err, rc, "log: the head record is damaged") : 0;
}

static bool entry_has_org(const cw_log_entry *e, const char *org)
{
    for (size_t i = 0; i < e->n_orgs; i++)
        if (e->orgs[i] && strcmp(e->orgs[i], org) == 0)
            return true;
    return false;
}

int cw_log_list(cw_db *db, const char *org, uint64_t since, size_t limit, cw_arena *a,
                cw_log_entry **out, size_t *n, uint64_t *next, cw_err *err)
{
    *out = NULL;
    *n = 0;
    *next = 0;
    if (limit == 0)
        limit = 100;
    cw_log_entry *list = cw_arena_alloc(a, limit * sizeof *list);
    if (!list)
        return cw_err_set(err, CW_ENOMEM, "log: out of memory");
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    MDB_cursor *c;
    if ((rc = lmdb_err(mdb_cursor_open(txn, db->dbi[DB_LOG], &c), err, "log"))) {
        read_end(db, txn);
        return rc;
    }
    unsigned char kb[8];
    be64_put(kb, since + 1);
    MDB_val k = {8, kb}, v;
    size_t scanned = 0;
    uint64_t last = since;
    int r;
    for (r = mdb_cursor_get(c, &k, &v, since == UINT64_MAX ? MDB_LAST : MDB_SET_RANGE); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (*n == limit || scanned == SCAN_MAX) {
            *next = last;
            break;
        }
        scanned++;
        cw_log_entry e;
        bool self_ok;
        if ((rc = entry_decode(a, v, &e, &self_ok))) {
            cw_err_set(err, rc, "log: entry %llu cannot be read (log.verify says more)",
                       (unsigned long long)be64_get(k.mv_data));
            break;
        }
        last = e.seq;
        if (org && !entry_has_org(&e, org))
            continue;
        if (org) {
            /* Only the organisation's own records, its name alone. */
            size_t kept = 0;
            for (size_t i = 0; i < e.n_keys; i++)
                if (e.keys[i].org && strcmp(e.keys[i].org, org) == 0)
                    e.keys[kept++] = e.keys[i];
            e.n_keys = kept;
            e.orgs = cw_arena_alloc(a, sizeof *e.orgs);
            if (!e.orgs) {
                rc = cw_err_set(err, CW_ENOMEM, "log: out of memory");
                break;
            }
            e.orgs[0] = cw_arena_strdup(a, org);
            e.n_orgs = 1;
        }
        list[(*n)++] = e;
    }
    mdb_cursor_close(c);
    read_end(db, txn);
    if (rc)
        return rc;
    if (r != 0 && r != MDB_NOTFOUND)
        return lmdb_err(r, err, "log");
    *out = list;
    return 0;
}

int cw_log_seq_at(cw_db *db, int64_t at_us, uint64_t *seq, cw_err *err)
{
    *seq = 0;
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "log: out of memory");
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc) {
        cw_arena_free(a);
        return rc;
    }
    uint64_t head;
    unsigned char hash[32];
    MDB_cursor *c = NULL;
    MDB_val k, v;
    if (head_read(txn, db, &head, hash, NULL)) {
        rc = cw_err_set(err, CW_ECORRUPT, "log: the head record is damaged");
        goto done;
    }
    if ((rc = lmdb_err(mdb_cursor_open(txn, db->dbi[DB_LOG], &c), err, "log")))
        goto done;
    /* the kept entries hold every sequence from the first kept to the head */
    uint64_t lo = mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0 && k.mv_size == 8 ? be64_get(k.mv_data)
                                                                              : head + 1,
             hi = head + 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        unsigned char kb[8];
        be64_put(kb, mid);
        MDB_val mk = {8, kb}, mv;
        cw_log_entry e;
        bool self_ok;
        if (mdb_get(txn, db->dbi[DB_LOG], &mk, &mv) != 0 || entry_decode(a, mv, &e, &self_ok)) {
            rc = cw_err_set(err, CW_ECORRUPT,
                            "log: entry %llu cannot be read (log.verify says more)",
                            (unsigned long long)mid);
            goto done;
        }
        cw_arena_reset(a);
        if (e.at_us < at_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    *seq = lo;
done:
    if (c)
        mdb_cursor_close(c);
    read_end(db, txn);
    cw_arena_free(a);
    return rc;
}

static void bad(cw_log_check *out, uint64_t seq, const char *why)
{
    out->ok = false;
    out->first_bad = seq;
    snprintf(out->reason, sizeof out->reason, "entry %llu %s", (unsigned long long)seq, why);
}

int cw_log_verify(cw_db *db, uint64_t from, uint64_t to, cw_log_check *out, cw_err *err)
{
    memset(out, 0, sizeof *out);
    out->ok = true;
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "log: out of memory");
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc) {
        cw_arena_free(a);
        return rc;
    }
    uint64_t head;
    unsigned char head_hash[32];
    MDB_cursor *c = NULL;
    if (head_read(txn, db, &head, head_hash, NULL)) {
        out->ok = false;
        snprintf(out->reason, sizeof out->reason, "the log's head record is damaged");
        goto done;
    }
    if ((rc = lmdb_err(mdb_cursor_open(txn, db->dbi[DB_LOG], &c), err, "log")))
        goto done;
    if (to == 0 || to > head)
        to = head;
    if (from > to) { /* nothing written there (yet): nothing to doubt */
        out->from = from;
        out->to = to;
        goto done;
    }
    unsigned char kb[8];
    be64_put(kb, from > 1 ? from - 1 : 0);
    MDB_val k = {8, kb}, v;
    int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    bool have_prev = false;
    uint64_t prev_seq = 0;
    unsigned char prev_hash[32];
    for (; r == 0; r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        uint64_t key = k.mv_size == 8 ? be64_get(k.mv_data) : 0;
        if (key > to)
            break;
        cw_log_entry e;
        bool self_ok = false;
        int d = entry_decode(a, v, &e, &self_ok);
        bool in_range = key >= from;
        if (d == CW_ENOMEM) {
            rc = cw_err_set(err, CW_ENOMEM, "log: out of memory");
            goto done;
        }
        if (!in_range) {
            /* The entry before the range: the first one's link. */
            if (d == 0 && e.seq == key) {
                have_prev = true;
                prev_seq = key;
                memcpy(prev_hash, e.hash, 32);
            }
            continue;
        }
        if (out->entries == 0)
            out->from = key;
        out->entries++;
        if (d || k.mv_size != 8) {
            bad(out, key, "is not a log entry");
            goto done;
        }
        if (e.seq != key) {
            bad(out, key, "says it is another entry");
            goto done;
        }
        if (!self_ok) {
            bad(out, key, "does not match its own hash: its bytes were changed");
            goto done;
        }
        if (have_prev && key != prev_seq + 1) {
            bad(out, prev_seq + 1, "is missing");
            goto done;
        }
        if (have_prev && sodium_memcmp(e.prev, prev_hash, 32) != 0) {
            /* This entry proves itself, so the one before it is not the
             * entry it was chained to. */
            bad(out, prev_seq, "is not the entry the next one was chained to: it was replaced");
            goto done;
        }
        if (!have_prev && !e.checkpoint && key == 1) {
            static const unsigned char zero[32];
            if (sodium_memcmp(e.prev, zero, 32) != 0) {
                bad(out, key, "is the first but names an entry before it");
                goto done;
            }
        }
        have_prev = true;
        prev_seq = key;
        memcpy(prev_hash, e.hash, 32);
        cw_arena_reset(a);
    }
    if (r != 0 && r != MDB_NOTFOUND) {
        rc = lmdb_err(r, err, "log");
        goto done;
    }
    out->to = have_prev ? prev_seq : 0;
    if (to == head && head > 0) {
        if (!have_prev || prev_seq != head) {
            bad(out, have_prev ? prev_seq + 1 : head,
                "is missing: the head record names a later entry");
        } else if (sodium_memcmp(prev_hash, head_hash, 32) != 0) {
            bad(out, head, "is not the entry the head record names");
        }
    }
done:
    if (c)
        mdb_cursor_close(c);
    read_end(db, txn);
    cw_arena_free(a);
    return rc;
}

int cw_log_compact(cw_db *db, cw_wtxn *w, int64_t before_us, uint64_t *removed, cw_err *err)
{
    *removed = 0;
    uint64_t head;
    unsigned char head_hash[32];
    if (head_read(w->txn, db, &head, head_hash, NULL))
        return cw_err_set(err, CW_ECORRUPT, "log: the head record is damaged");
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "log: out of memory");
    MDB_cursor *c;
    int rc = lmdb_err(mdb_cursor_open(w->txn, db->dbi[DB_LOG], &c), err, "log");
    if (rc) {
        cw_arena_free(a);
        return rc;
    }
    /* Find the last entry to go: written before `before`, not the newest. */
    MDB_val k, v;
    cw_log_entry first = {0}, last = {0};
    uint64_t represented = 0, n = 0;
    int r;
    for (r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        cw_log_entry e;
        bool self_ok;
        if (entry_decode(a, v, &e, &self_ok) || !self_ok) {
            rc = cw_err_set(err, CW_ECORRUPT,
                            "log: entry %llu does not verify; compaction would hide it "
                            "(log.verify names what is wrong)",
                            (unsigned long long)(k.mv_size == 8 ? be64_get(k.mv_data) : 0));
            break;
        }
        if (e.seq >= head || e.at_us >= before_us)
            break;
        if (n == 0)
            first = e;
        represented += e.checkpoint ? e.keys_total : 1;
        if (!e.checkpoint)
            (*removed)++;
        last = e;
        n++;
    }
    mdb_cursor_close(c);
    if (rc == 0 && *removed > 0) {
        for (uint64_t s = first.seq; rc == 0 && s <= last.seq; s++) {
            unsigned char kb[8];
            be64_put(kb, s);
            MDB_val dk = {8, kb};
            int d = mdb_del(w->txn, db->dbi[DB_LOG], &dk, NULL);
            rc = d == MDB_NOTFOUND ? 0 : lmdb_err(d, err, "log");
        }
        cw_log_entry cp = {0};
        cp.seq = last.seq;
        cp.at_us = last.at_us;
        cp.actor = "";
        cp.role = "";
        cp.method = CHECKPOINT;
        cp.keys_total = represented;
        cp.checkpoint = true;
        memcpy(cp.prev, first.prev, 32);
        memcpy(cp.hash, last.hash, 32);
        if (rc == 0)
            rc = entry_put(w, &cp, 0, err);
        /* The compaction is itself a change the log records. */
        if (rc == 0 && db->acc) {
            db->acc->any = true;
            db->acc->total += *removed;
        }
    }
    cw_arena_free(a);
    return rc;
}

int cw_log_size(cw_db *db, uint64_t *entries, uint64_t *bytes, cw_err *err)
{
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    MDB_stat st;
    rc = lmdb_err(mdb_stat(txn, db->dbi[DB_LOG], &st), err, "log");
    if (rc == 0) {
        *entries = st.ms_entries;
        *bytes =
            (uint64_t)st.ms_psize * (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    }
    read_end(db, txn);
    return rc;
}
