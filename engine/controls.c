/* An organisation's controls in LMDB: each record, and the link index
 * (org\0fw\0req -> control id) that tells which controls name a
 * requirement; writing a control replaces its old links. */
#include "crosswalk/org.h"

#include "entity.h"

#include <string.h>

static int validate_control(MDB_txn *txn, cw_db *db, const cw_control *c, size_t i, cw_err *err)
{
    int rc;
    if ((rc = check_name_at(c->org, CW_MAX_SLUG, err, "controls[%zu].org", i)) ||
        (rc = check_name_at(c->id, CW_MAX_ID, err, "controls[%zu].id", i)) ||
        (rc = check_text_at(c->title, err, "controls[%zu].title", i)) ||
        (rc = check_text_at(c->owner, err, "controls[%zu].owner", i)))
        return rc;
    if ((unsigned)c->status > CW_CTL_NOT_IMPLEMENTED)
        return cw_err_set(err, CW_EINVAL,
                          "controls[%zu].status: must be implemented, planned or not_implemented",
                          i);
    if (org_exists(txn, db, c->org))
        return cw_err_set(err, CW_ENOORG, "controls[%zu].org: no organisation '%s'", i, c->org);
    if (c->n_links > CW_MAX_LIST)
        return cw_err_set(err, CW_EINVAL, "controls[%zu].links: more than %d", i, CW_MAX_LIST);
    for (size_t j = 0; j < c->n_links; j++) {
        const cw_link *l = &c->links[j];
        if ((rc = check_name_at(l->framework, CW_MAX_SLUG, err,
                                "controls[%zu].links[%zu].framework", i, j)) ||
            (rc = check_name_at(l->id, CW_MAX_ID, err, "controls[%zu].links[%zu].id", i, j)))
            return rc;
        if (l->level != CW_LEVEL_FULL && l->level != CW_LEVEL_PARTIAL)
            return cw_err_set(err, CW_EINVAL,
                              "controls[%zu].links[%zu].level: must be full or partial", i, j);
        rc = req_exists(txn, db, l->framework, l->id, NULL);
        if (rc == CW_ENOFW)
            return cw_err_set(err, CW_ELINK, "controls[%zu].links[%zu].framework: no framework '%s'",
                              i, j, l->framework);
        if (rc)
            return cw_err_set(err, CW_ELINK,
                              "controls[%zu].links[%zu].id: no requirement '%s' in framework '%s'",
                              i, j, l->id, l->framework);
    }
    return 0;
}

struct ctl_args {
    const cw_control *ctls;
    size_t n;
    cw_bulk_stats st;
};

/* Removes the link index entries of a control's stored record old. */
static int unlink_old(cw_wtxn *w, const char *org, const char *id, MDB_val old, cw_err *err)
{
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "controls: out of memory");
    cw_control oc;
    int rc = 0;
    if (decode_control(a, org, id, strlen(id), old, &oc) == 0) {
        for (size_t j = 0; j < oc.n_links && rc == 0; j++) {
            if (!oc.links[j].framework || !oc.links[j].id)
                continue;
            cw_key lk;
            org_req_key(&lk, org, oc.links[j].framework, oc.links[j].id);
            MDB_val kv = key_val(&lk), vv = {strlen(id), (void *)id};
            rc = mdb_del(w->txn, w->db->dbi[DB_CTLLINK], &kv, &vv);
            rc = rc == MDB_NOTFOUND ? 0 : lmdb_err(rc, err, "controls");
        }
    }
    cw_arena_free(a);
    return rc;
}

static int control_put_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    const char *touched = NULL;
    struct ctl_args *ca = arg;
    cw_db *db = w->db;
    cw_arena *a = cw_arena_new();
    strmap seen;
    if (!a || strmap_init(&seen, a, ca->n)) {
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "controls: out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < ca->n && rc == 0; i++) {
        const cw_control *c = &ca->ctls[i];
        if ((rc = validate_control(w->txn, db, c, i, err)) || (rc = org_touch_once(w, c->org, &touched, err)))
            break;
        cw_key k;
        org_item_key(&k, c->org, c->id);
        char *dk = cw_arena_strndup(a, k.b, k.n);
        size_t prev;
        if (!dk || strmap_put(&seen, dk, k.n, i, &prev) == 1) {
            rc = dk ? cw_err_set(err, CW_ECONFLICT,
                                 "controls[%zu].id: '%s' appears twice (also controls[%zu])", i,
                                 c->id, prev)
                    : cw_err_set(err, CW_ENOMEM, "controls: out of memory");
            break;
        }
        MDB_val kv = key_val(&k), v;
        if (mdb_get(w->txn, db->dbi[DB_CTL], &kv, &v) == 0) {
            ca->st.updated++;
            if ((rc = unlink_old(w, c->org, c->id, v, err)))
                break;
        } else {
            ca->st.created++;
        }
        rec_writer rw;
        rw_init(&rw);
        encode_control(&rw, c);
        v = rw_val(&rw);
        kv = key_val(&k);
        rc = mdb_put(w->txn, db->dbi[DB_CTL], &kv, &v, 0);
        rw_free(&rw);
        for (size_t j = 0; j < c->n_links && rc == 0; j++) {
            cw_key lk;
            org_req_key(&lk, c->org, c->links[j].framework, c->links[j].id);
            MDB_val lkv = key_val(&lk), vv = {strlen(c->id), (void *)c->id};
            rc = mdb_put(w->txn, db->dbi[DB_CTLLINK], &lkv, &vv, MDB_NODUPDATA);
            if (rc == MDB_KEYEXIST)
                rc = 0;
        }
        if (rc)
            rc = lmdb_err(rc, err, "controls");
    }
    cw_arena_free(a);
    return rc;
}

int cw_control_put(cw_db *db, cw_wtxn *w, const cw_control *ctls, size_t n, cw_bulk_stats *st,
                   cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (n && !ctls)
        return cw_err_set(err, CW_EINVAL, "controls: missing");
    struct ctl_args ca = {ctls, n, {0}};
    return write_bulk(db, w, control_put_fn, &ca, &ca.st, n, st, err);
}

int cw_control_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_control *out,
                   cw_err *err)
{
    int rc;
    if ((rc = cw_check_name("org", org, CW_MAX_SLUG, err)) ||
        (rc = cw_check_name("id", id, CW_MAX_ID, err)))
        return rc;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    cw_key k;
    org_item_key(&k, org, id);
    MDB_val kv = key_val(&k), v;
    if (org_exists(txn, db, org))
        rc = cw_err_set(err, CW_ENOORG, "org: no organisation '%s'", org);
    else if (mdb_get(txn, db->dbi[DB_CTL], &kv, &v))
        rc = cw_err_set(err, CW_ENOCTL, "id: no control '%s' in organisation '%s'", id, org);
    else if (decode_control(a, cw_arena_strdup(a, org), id, strlen(id), v, out))
        rc = cw_err_set(err, CW_ECORRUPT, "id: record of control '%s' is unreadable", id);
    read_end(db, txn);
    return rc;
}


struct ctl_list {
    cw_arena *a;
    const char *org;
    cw_control *out;
    size_t n, cap;
};

static int ctl_list_fn(void *ctx, const char *id, size_t idl, MDB_val v)
{
    struct ctl_list *cl = ctx;
    cw_control *arr = cw_arena_grow(cl->a, cl->out, sizeof *arr, &cl->cap, cl->n + 1);
    if (!arr)
        return CW_ENOMEM;
    cl->out = arr;
    if (decode_control(cl->a, cl->org, id, idl, v, &arr[cl->n]) == 0)
        cl->n++;
    return 0;
}

/* Internal: all of an org's controls inside txn. */
int controls_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a, cw_control **out,
                size_t *n)
{
    struct ctl_list cl = {a, cw_arena_strdup(a, org), NULL, 0, 0};
    int rc = each_in_org(txn, db, DB_CTL, org, ctl_list_fn, &cl);
    *out = cl.out;
    *n = cl.n;
    return rc;
}

int cw_control_list(cw_db *db, const char *org, cw_arena *a, cw_control **out, size_t *n,
                    cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    if (org_exists(txn, db, org))
        rc = cw_err_set(err, CW_ENOORG, "org: no organisation '%s'", org);
    else if ((rc = controls_of(txn, db, org, a, out, n)))
        cw_err_set(err, rc, "controls: cannot list");
    read_end(db, txn);
    return rc;
}

static int control_delete_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    const char **p = arg;
    cw_key k;
    org_item_key(&k, p[0], p[1]);
    MDB_val kv = key_val(&k), v;
    if (org_exists(w->txn, w->db, p[0]))
        return cw_err_set(err, CW_ENOORG, "org: no organisation '%s'", p[0]);
    int rc = org_touch(w->txn, w->db, p[0], err);
    if (rc)
        return rc;
    if (mdb_get(w->txn, w->db->dbi[DB_CTL], &kv, &v))
        return cw_err_set(err, CW_ENOCTL, "id: no control '%s' in organisation '%s'", p[1], p[0]);
    if ((rc = unlink_old(w, p[0], p[1], v, err)))
        return rc;
    return lmdb_err(mdb_del(w->txn, w->db->dbi[DB_CTL], &kv, NULL), err, "controls");
}

int cw_control_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    int rc;
    if ((rc = cw_check_name("org", org, CW_MAX_SLUG, err)) ||
        (rc = cw_check_name("id", id, CW_MAX_ID, err)))
        return rc;
    const char *p[2] = {org, id};
    return write_run(db, w, control_delete_fn, (void *)p, err);
}
