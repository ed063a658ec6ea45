/* The store-wide consistency check: every secondary index entry (children,
 * crosswalk ends, control links, evidence by time and by expiry) must have
 * its record, and every record its index entries.  Used after crashes and
 * by operators; it reads everything once in one snapshot. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static void problem(size_t *count, cw_err *err, const char *fmt, const char *a, size_t al)
{
    if (*count == 0 && err) {
        char buf[160];
        size_t n = al < sizeof buf - 1 ? al : sizeof buf - 1;
        for (size_t i = 0; i < n; i++)
            buf[i] = a[i] ? a[i] : '/';
        buf[n] = '\0';
        cw_err_set(err, CW_ECORRUPT, fmt, buf);
    }
    (*count)++;
}

static bool has(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val kv = {kl, (void *)k}, vv = {vl, (void *)v};
    if (!v) {
        return mdb_get(txn, dbi, &kv, &vv) == 0;
    }
    MDB_cursor *c;
    if (mdb_cursor_open(txn, dbi, &c))
        return false;
    bool ok = mdb_cursor_get(c, &kv, &vv, MDB_GET_BOTH) == 0;
    mdb_cursor_close(c);
    return ok;
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
    MDB_cursor *c;
    MDB_val k, v;
    /* children -> requirement records */
    if (mdb_cursor_open(txn, db->dbi[DB_CHILD], &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (!has(txn, db->dbi[DB_REQ], k.mv_data, k.mv_size, NULL, 0))
                problem(problems, err, "req_child: parent %s has no record", k.mv_data, k.mv_size);
            const char *z = memchr(k.mv_data, '\0', k.mv_size);
            cw_key ck;
            key_init(&ck);
            key_raw(&ck, k.mv_data, z ? (size_t)(z - (const char *)k.mv_data) + 1 : 0);
            key_raw(&ck, v.mv_data, v.mv_size);
            if (!has(txn, db->dbi[DB_REQ], ck.b, ck.n, NULL, 0))
                problem(problems, err, "req_child: child %s has no record", ck.b, ck.n);
        }
        mdb_cursor_close(c);
    }
    /* requirement records -> their child entries */
    if (mdb_cursor_open(txn, db->dbi[DB_REQ], &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            rec_reader rr;
            if (rr_open(&rr, v, NULL)) {
                problem(problems, err, "req: record %s is unreadable", k.mv_data, k.mv_size);
                continue;
            }
            const msgpack_object *p = rr_at(&rr, 0);
            if (p && p->type == MSGPACK_OBJECT_STR) {
                const char *z = memchr(k.mv_data, '\0', k.mv_size);
                size_t fl = z ? (size_t)(z - (const char *)k.mv_data) : 0;
                cw_key pk;
                key_init(&pk);
                key_raw(&pk, k.mv_data, fl + 1);
                key_raw(&pk, p->via.str.ptr, p->via.str.size);
                if (!has(txn, db->dbi[DB_CHILD], pk.b, pk.n, (const char *)k.mv_data + fl + 1,
                         k.mv_size - fl - 1))
                    problem(problems, err, "req: %s is missing from its parent's children",
                            k.mv_data, k.mv_size);
            }
            rr_close(&rr);
        }
        mdb_cursor_close(c);
    }
    /* crosswalk records <-> endpoint index */
    if (mdb_cursor_open(txn, db->dbi[DB_MAP], &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const char *s = k.mv_data;
            const char *z1 = memchr(s, '\0', k.mv_size);
            const char *z2 = z1 ? memchr(z1 + 1, '\0', k.mv_size - (size_t)(z1 + 1 - s)) : NULL;
            if (!z2) {
                problem(problems, err, "map: malformed key %s", s, k.mv_size);
                continue;
            }
            size_t sl = (size_t)(z2 - s), tl = k.mv_size - sl - 1;
            cw_key ev;
            key_init(&ev);
            key_raw(&ev, "S", 1);
            key_raw(&ev, z2 + 1, tl);
            if (!has(txn, db->dbi[DB_MAPIDX], s, sl, ev.b, ev.n))
                problem(problems, err, "map: %s is missing from map_idx (source)", s, k.mv_size);
            key_init(&ev);
            key_raw(&ev, "T", 1);
            key_raw(&ev, s, sl);
            if (!has(txn, db->dbi[DB_MAPIDX], z2 + 1, tl, ev.b, ev.n))
                problem(problems, err, "map: %s is missing from map_idx (target)", s, k.mv_size);
        }
        mdb_cursor_close(c);
    }
    if (mdb_cursor_open(txn, db->dbi[DB_MAPIDX], &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (v.mv_size < 2)
                continue;
            const char *d = v.mv_data;
            cw_key mk;
            key_init(&mk);
            if (d[0] == 'S') {
                key_raw(&mk, k.mv_data, k.mv_size);
                key_sep(&mk);
                key_raw(&mk, d + 1, v.mv_size - 1);
            } else {
                key_raw(&mk, d + 1, v.mv_size - 1);
                key_sep(&mk);
                key_raw(&mk, k.mv_data, k.mv_size);
            }
            if (!has(txn, db->dbi[DB_MAP], mk.b, mk.n, NULL, 0))
                problem(problems, err, "map_idx: %s has no crosswalk record", mk.b, mk.n);
        }
        mdb_cursor_close(c);
    }
    /* control records <-> link index */
    if (mdb_cursor_open(txn, db->dbi[DB_CTL], &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const char *z = memchr(k.mv_data, '\0', k.mv_size);
            if (!z)
                continue;
            size_t ol = (size_t)(z - (const char *)k.mv_data);
            char org[CW_MAX_SLUG + 1];
            memcpy(org, k.mv_data, ol < CW_MAX_SLUG ? ol : CW_MAX_SLUG);
            org[ol < CW_MAX_SLUG ? ol : CW_MAX_SLUG] = '\0';
            if (!has(txn, db->dbi[DB_ORG], org, strlen(org), NULL, 0))
                problem(problems, err, "ctl: %s belongs to no organisation", k.mv_data, k.mv_size);
            struct cw_control ctl;
            if (decode_control(a, org, z + 1, k.mv_size - ol - 1, v, &ctl)) {
                problem(problems, err, "ctl: record %s is unreadable", k.mv_data, k.mv_size);
                continue;
            }
            for (size_t i = 0; i < ctl.n_links; i++) {
                cw_key lk;
                key_init(&lk);
                key_part(&lk, org);
                key_part(&lk, ctl.links[i].framework);
                key_part(&lk, ctl.links[i].id);
                if (!has(txn, db->dbi[DB_CTLLINK], lk.b, lk.n, ctl.id, strlen(ctl.id)))
                    problem(problems, err, "ctl: link of %s is missing from ctl_link", k.mv_data,
                            k.mv_size);
            }
        }
        mdb_cursor_close(c);
    }
    if (mdb_cursor_open(txn, db->dbi[DB_CTLLINK], &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const char *z = memchr(k.mv_data, '\0', k.mv_size);
            if (!z)
                continue;
            cw_key ck;
            key_init(&ck);
            key_raw(&ck, k.mv_data, (size_t)(z - (const char *)k.mv_data) + 1);
            key_raw(&ck, v.mv_data, v.mv_size);
            if (!has(txn, db->dbi[DB_CTL], ck.b, ck.n, NULL, 0))
                problem(problems, err, "ctl_link: %s names a missing control", ck.b, ck.n);
        }
        mdb_cursor_close(c);
    }
    /* evidence records <-> both evidence indexes */
    size_t ev_entries = 0, pass_entries = 0;
    if (mdb_cursor_open(txn, db->dbi[DB_EV], &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const char *z = memchr(k.mv_data, '\0', k.mv_size);
            rec_reader rr;
            if (!z || rr_open(&rr, v, NULL)) {
                problem(problems, err, "ev: record %s is unreadable", k.mv_data, k.mv_size);
                continue;
            }
            size_t ol = (size_t)(z - (const char *)k.mv_data);
            const char *id = z + 1;
            size_t il = k.mv_size - ol - 1;
            cw_time col = obj_int(rr_at(&rr, 6), 0);
            const msgpack_object *vu = rr_at(&rr, 7);
            cw_result res = (cw_result)obj_int(rr_at(&rr, 8), CW_RESULT_UNKNOWN);
            const msgpack_object *ctls = rr_at(&rr, 0);
            for (size_t i = 0; ctls && ctls->type == MSGPACK_OBJECT_ARRAY &&
                               i < ctls->via.array.size;
                 i++) {
                const msgpack_object *cid = &ctls->via.array.ptr[i];
                if (cid->type != MSGPACK_OBJECT_STR)
                    continue;
                cw_key ck, byt, pass;
                key_init(&ck);
                key_raw(&ck, k.mv_data, ol + 1);
                key_raw(&ck, cid->via.str.ptr, cid->via.str.size);
                ev_index_vals(&byt, &pass, col, !obj_is_nil(vu), obj_int(vu, 0), res, id, il);
                ev_entries++;
                if (!has(txn, db->dbi[DB_EVCTL], ck.b, ck.n, byt.b, byt.n) &&
                    !has(txn, db->dbi[DB_EVCTL_D], ck.b, ck.n, byt.b, byt.n))
                    problem(problems, err, "ev: %s is missing from ev_ctl", k.mv_data, k.mv_size);
                if (res != CW_RESULT_PASS)
                    continue;
                pass_entries++;
                if (!has(txn, db->dbi[DB_EVPASS], ck.b, ck.n, pass.b, pass.n) &&
                    !has(txn, db->dbi[DB_EVPASS_D], ck.b, ck.n, pass.b, pass.n))
                    problem(problems, err, "ev: %s is missing from ev_pass", k.mv_data, k.mv_size);
            }
            rr_close(&rr);
        }
        mdb_cursor_close(c);
    }
    /* Index entries without records: counts must agree, since every record's
     * entries were found above. */
    /* An entry in both the main and the delta index would be counted
     * twice, so this also finds one that a merge left behind. */
    MDB_stat st, sd;
    if (mdb_stat(txn, db->dbi[DB_EVCTL], &st) == 0 &&
        mdb_stat(txn, db->dbi[DB_EVCTL_D], &sd) == 0 &&
        st.ms_entries + sd.ms_entries != ev_entries)
        problem(problems, err, "ev_ctl: %s entries do not match the evidence records", "count", 5);
    if (mdb_stat(txn, db->dbi[DB_EVPASS], &st) == 0 &&
        mdb_stat(txn, db->dbi[DB_EVPASS_D], &sd) == 0 &&
        st.ms_entries + sd.ms_entries != pass_entries)
        problem(problems, err, "ev_pass: %s entries do not match the evidence records", "count", 5);
    cw_arena_free(a);
    read_end(db, txn);
    return 0;
}
