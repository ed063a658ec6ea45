/* The store-wide consistency check: every secondary index entry (children,
 * crosswalk ends, control links, evidence by time and by expiry) must have
 * its record, and every record its index entries.  Used after crashes and
 * by operators; it reads everything once in one snapshot, one walk of a
 * database per rule. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* One run of the check: the snapshot it reads and what it has found. */
typedef struct check {
    MDB_txn *txn;
    cw_db *db;
    cw_arena *a; /* decoded control records */
    size_t *problems;
    cw_err *err;                     /* says the first problem */
    size_t ev_entries, pass_entries; /* index entries the evidence records call for */
} check;

static void problem(check *c, const char *fmt, const char *a, size_t al)
{
    if (*c->problems == 0 && c->err) {
        char buf[160];
        size_t n = al < sizeof buf - 1 ? al : sizeof buf - 1;
        for (size_t i = 0; i < n; i++)
            buf[i] = a[i] ? a[i] : '/';
        buf[n] = '\0';
        cw_err_set(c->err, CW_ECORRUPT, fmt, buf);
    }
    (*c->problems)++;
}

static bool has(const check *c, int dbi, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val kv = {kl, (void *)k}, vv = {vl, (void *)v};
    if (!v) {
        return mdb_get(c->txn, c->db->dbi[dbi], &kv, &vv) == 0;
    }
    MDB_cursor *cur;
    if (mdb_cursor_open(c->txn, c->db->dbi[dbi], &cur))
        return false;
    bool ok = mdb_cursor_get(cur, &kv, &vv, MDB_GET_BOTH) == 0;
    mdb_cursor_close(cur);
    return ok;
}

/* Whether the record an index entry (k, v) names is in dbi: its key is
 * k up to its first NUL, then v (a child's fw\0id, a linked control's
 * org\0id), built in rk. */
static bool names_record(const check *c, int dbi, const char *k, size_t kl, MDB_val v, cw_key *rk)
{
    const char *z = memchr(k, '\0', kl);
    key_init(rk);
    key_raw(rk, k, z ? (size_t)(z - k) + 1 : 0);
    key_raw(rk, v.mv_data, v.mv_size);
    return has(c, dbi, rk->b, rk->n, NULL, 0);
}

/* children -> requirement records */
static int check_child(void *ctx, const char *k, size_t kl, MDB_val v)
{
    check *c = ctx;
    if (!has(c, DB_REQ, k, kl, NULL, 0))
        problem(c, "req_child: parent %s has no record", k, kl);
    cw_key ck;
    if (!names_record(c, DB_REQ, k, kl, v, &ck))
        problem(c, "req_child: child %s has no record", ck.b, ck.n);
    return 0;
}

/* requirement records -> their child entries */
static int check_req(void *ctx, const char *k, size_t kl, MDB_val v)
{
    check *c = ctx;
    rec_reader rr;
    if (rr_open(&rr, v, NULL)) {
        problem(c, "req: record %s is unreadable", k, kl);
        return 0;
    }
    const msgpack_object *p = rr_at(&rr, 0);
    if (p && p->type == MSGPACK_OBJECT_STR) {
        const char *z = memchr(k, '\0', kl);
        size_t fl = z ? (size_t)(z - k) : 0;
        cw_key pk;
        key_init(&pk);
        key_raw(&pk, k, fl + 1);
        key_raw(&pk, p->via.str.ptr, p->via.str.size);
        if (!has(c, DB_CHILD, pk.b, pk.n, k + fl + 1, kl - fl - 1))
            problem(c, "req: %s is missing from its parent's children", k, kl);
    }
    rr_close(&rr);
    return 0;
}

/* crosswalk records -> endpoint index */
static int check_map(void *ctx, const char *s, size_t kl, MDB_val v)
{
    (void)v;
    check *c = ctx;
    const char *z1 = memchr(s, '\0', kl);
    const char *z2 = z1 ? memchr(z1 + 1, '\0', kl - (size_t)(z1 + 1 - s)) : NULL;
    if (!z2) {
        problem(c, "map: malformed key %s", s, kl);
        return 0;
    }
    size_t sl = (size_t)(z2 - s), tl = kl - sl - 1;
    cw_key ev;
    key_init(&ev);
    key_raw(&ev, "S", 1);
    key_raw(&ev, z2 + 1, tl);
    if (!has(c, DB_MAPIDX, s, sl, ev.b, ev.n))
        problem(c, "map: %s is missing from map_idx (source)", s, kl);
    key_init(&ev);
    key_raw(&ev, "T", 1);
    key_raw(&ev, s, sl);
    if (!has(c, DB_MAPIDX, z2 + 1, tl, ev.b, ev.n))
        problem(c, "map: %s is missing from map_idx (target)", s, kl);
    return 0;
}

/* endpoint index -> crosswalk records */
static int check_mapidx(void *ctx, const char *k, size_t kl, MDB_val v)
{
    check *c = ctx;
    if (v.mv_size < 2)
        return 0;
    const char *d = v.mv_data;
    cw_key mk;
    key_init(&mk);
    if (d[0] == 'S') {
        key_raw(&mk, k, kl);
        key_sep(&mk);
        key_raw(&mk, d + 1, v.mv_size - 1);
    } else {
        key_raw(&mk, d + 1, v.mv_size - 1);
        key_sep(&mk);
        key_raw(&mk, k, kl);
    }
    if (!has(c, DB_MAP, mk.b, mk.n, NULL, 0))
        problem(c, "map_idx: %s has no crosswalk record", mk.b, mk.n);
    return 0;
}

/* control records -> their organisation and link index entries */
static int check_ctl(void *ctx, const char *k, size_t kl, MDB_val v)
{
    check *c = ctx;
    const char *z = memchr(k, '\0', kl);
    if (!z)
        return 0;
    size_t ol = (size_t)(z - k);
    char org[CW_MAX_SLUG + 1];
    memcpy(org, k, ol < CW_MAX_SLUG ? ol : CW_MAX_SLUG);
    org[ol < CW_MAX_SLUG ? ol : CW_MAX_SLUG] = '\0';
    if (!has(c, DB_ORG, org, strlen(org), NULL, 0))
        problem(c, "ctl: %s belongs to no organisation", k, kl);
    struct cw_control ctl;
    if (decode_control(c->a, org, z + 1, kl - ol - 1, v, &ctl)) {
        problem(c, "ctl: record %s is unreadable", k, kl);
        return 0;
    }
    for (size_t i = 0; i < ctl.n_links; i++) {
        cw_key lk;
        org_req_key(&lk, org, ctl.links[i].framework, ctl.links[i].id);
        if (!has(c, DB_CTLLINK, lk.b, lk.n, ctl.id, strlen(ctl.id)))
            problem(c, "ctl: link of %s is missing from ctl_link", k, kl);
    }
    return 0;
}

/* link index -> control records */
static int check_ctllink(void *ctx, const char *k, size_t kl, MDB_val v)
{
    check *c = ctx;
    cw_key ck;
    if (memchr(k, '\0', kl) && !names_record(c, DB_CTL, k, kl, v, &ck))
        problem(c, "ctl_link: %s names a missing control", ck.b, ck.n);
    return 0;
}

/* evidence records -> both evidence indexes (main or delta) */
static int check_ev(void *ctx, const char *k, size_t kl, MDB_val v)
{
    check *c = ctx;
    const char *z = memchr(k, '\0', kl);
    rec_reader rr;
    if (!z || rr_open(&rr, v, NULL)) {
        problem(c, "ev: record %s is unreadable", k, kl);
        return 0;
    }
    size_t ol = (size_t)(z - k);
    const char *id = z + 1;
    size_t il = kl - ol - 1;
    cw_time col = obj_int(rr_at(&rr, 6), 0);
    const msgpack_object *vu = rr_at(&rr, 7);
    cw_result res = (cw_result)obj_int(rr_at(&rr, 8), CW_RESULT_UNKNOWN);
    const msgpack_object *ctls = rr_at(&rr, 0);
    for (size_t i = 0; ctls && ctls->type == MSGPACK_OBJECT_ARRAY && i < ctls->via.array.size;
         i++) {
        const msgpack_object *cid = &ctls->via.array.ptr[i];
        if (cid->type != MSGPACK_OBJECT_STR)
            continue;
        cw_key ck, byt, pass;
        key_init(&ck);
        key_raw(&ck, k, ol + 1);
        key_raw(&ck, cid->via.str.ptr, cid->via.str.size);
        ev_index_vals(&byt, &pass, col, !obj_is_nil(vu), obj_int(vu, 0), res, id, il);
        c->ev_entries++;
        if (!has(c, DB_EVCTL, ck.b, ck.n, byt.b, byt.n) &&
            !has(c, DB_EVCTL_D, ck.b, ck.n, byt.b, byt.n))
            problem(c, "ev: %s is missing from ev_ctl", k, kl);
        if (res != CW_RESULT_PASS)
            continue;
        c->pass_entries++;
        if (!has(c, DB_EVPASS, ck.b, ck.n, pass.b, pass.n) &&
            !has(c, DB_EVPASS_D, ck.b, ck.n, pass.b, pass.n))
            problem(c, "ev: %s is missing from ev_pass", k, kl);
    }
    rr_close(&rr);
    return 0;
}

/* Index entries without records: the entries in an index pair (main and
 * delta) must be as many as the records call for, since every record's
 * entries were found; an entry in both the main and the delta index
 * counts twice, so this also finds one that a merge left behind. */
static void check_count(check *c, int main_dbi, int delta_dbi, size_t want, const char *fmt)
{
    MDB_stat st, sd;
    if (mdb_stat(c->txn, c->db->dbi[main_dbi], &st) == 0 &&
        mdb_stat(c->txn, c->db->dbi[delta_dbi], &sd) == 0 && st.ms_entries + sd.ms_entries != want)
        problem(c, fmt, "count", 5);
}

int cw_db_check(cw_db *db, size_t *problems, cw_err *err)
{
    *problems = 0;
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    cw_arena *a = cw_arena_new();
    if (!a) {
        read_end(db, txn);
        return cw_err_set(err, CW_ENOMEM, "check: out of memory");
    }
    check c = {txn, db, a, problems, err, 0, 0};
    /* In this order, which decides the problem err reports.  A database
     * that cannot be walked is passed over. */
    static const struct {
        int dbi;
        each_fn fn;
    } walks[] = {{DB_CHILD, check_child},   {DB_REQ, check_req}, {DB_MAP, check_map},
                 {DB_MAPIDX, check_mapidx}, {DB_CTL, check_ctl}, {DB_CTLLINK, check_ctllink},
                 {DB_EV, check_ev}};
    for (size_t i = 0; i < sizeof walks / sizeof walks[0]; i++)
        each_record(txn, db, walks[i].dbi, NULL, walks[i].fn, &c, NULL, "check");
    check_count(&c, DB_EVCTL, DB_EVCTL_D, c.ev_entries,
                "ev_ctl: %s entries do not match the evidence records");
    check_count(&c, DB_EVPASS, DB_EVPASS_D, c.pass_entries,
                "ev_pass: %s entries do not match the evidence records");
    cw_arena_free(a);
    read_end(db, txn);
    return 0;
}
