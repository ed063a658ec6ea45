/* Reads and writes every module shares inside an open transaction: input
 * validation, whether a framework, requirement or organisation exists,
 * the organisation data generation that cached organisation state is
 * checked against, the catalogue generation, and deleting or listing the
 * records under a key prefix. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- validation ---- */

int check_text(const char *field, const char *s, cw_err *err)
{
    if (s && strlen(s) > CW_MAX_TEXT)
        return cw_err_set(err, CW_EINVAL, "%s: longer than %d bytes", field, CW_MAX_TEXT);
    return 0;
}

/* The field of a bulk item is named ("items[3].org") only once its check
 * has failed: bulk loads check millions of fields and nearly all pass. */
#define FIELD_MAX 112

int check_name_at(const char *s, size_t max, cw_err *err, const char *fmt, ...)
{
    if (cw_check_name("", s, max, NULL) == 0)
        return 0;
    char f[FIELD_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f, sizeof f, fmt, ap);
    va_end(ap);
    return cw_check_name(f, s, max, err);
}

int check_text_at(const char *s, cw_err *err, const char *fmt, ...)
{
    if (check_text("", s, NULL) == 0)
        return 0;
    char f[FIELD_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f, sizeof f, fmt, ap);
    va_end(ap);
    return check_text(f, s, err);
}

/* ---- lookups ---- */

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

/* ---- generations ---- */

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

/* Bulk items usually share one organisation: stamp each run of them once. */
int org_touch_once(cw_wtxn *w, const char *org, const char **last, cw_err *err)
{
    if (*last && strcmp(*last, org) == 0)
        return 0;
    *last = org;
    return org_touch(w->txn, w->db, org, err);
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

/* ---- records under a prefix ---- */

int delete_prefix(cw_wtxn *w, int dbi, const cw_key *prefix, size_t *count, cw_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, w->db->dbi[dbi], &c);
    if (rc)
        return lmdb_err(rc, err, "delete");
    for (;;) {
        MDB_val k = key_val(prefix), v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size < prefix->n || memcmp(k.mv_data, prefix->b, prefix->n) != 0)
            break;
        if ((rc = mdb_cursor_del(c, MDB_NODUPDATA)))
            break;
        if (count)
            (*count)++;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : lmdb_err(rc, err, "delete");
}

/* Lists records under prefix org\0 in db dbi, calling fn for each. */
int each_in_org(MDB_txn *txn, cw_db *db, int dbi, const char *org, each_fn fn, void *ctx)
{
    cw_key pre;
    key_init(&pre);
    key_part(&pre, org);
    key_sep(&pre);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->dbi[dbi], &c);
    if (rc)
        return lmdb_err(rc, NULL, "list");
    MDB_val k = key_val(&pre), v;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         r == 0 && k.mv_size >= pre.n && memcmp(k.mv_data, pre.b, pre.n) == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if ((rc = fn(ctx, (const char *)k.mv_data + pre.n, k.mv_size - pre.n, v)))
            break;
    mdb_cursor_close(c);
    return rc;
}
