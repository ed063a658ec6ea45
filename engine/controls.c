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
            return cw_err_set(err, CW_ELINK,
                              "controls[%zu].links[%zu].framework: no framework '%s'", i, j,
                              l->framework);
        if (rc)
            return cw_err_set(err, CW_ELINK,
                              "controls[%zu].links[%zu].id: no requirement '%s' in framework '%s'",
                              i, j, l->id, l->framework);
    }
    return 0;
}

/* Adds control c's entries to the link index, or (del) removes them. */
static int index_links(cw_wtxn *w, const cw_control *c, bool del, cw_err *err)
{
    int rc = 0;
    for (size_t j = 0; j < c->n_links && rc == 0; j++) {
        const cw_link *l = &c->links[j];
        if (!l->framework || !l->id)
            continue; /* a stored link that did not decode */
        cw_key lk;
        org_req_key(&lk, c->org, l->framework, l->id);
        MDB_val vv = {strlen(c->id), (void *)c->id};
        rc = index_put(w, DB_CTLLINK, key_val(&lk), vv, del, "controls", err);
    }
    return rc;
}

/* An item_unindex_fn: old is the stored cw_control. */
static int unlink_old(cw_wtxn *w, const void *old, cw_err *err)
{
    return index_links(w, old, true, err);
}

/* An item_decode_fn: record.c's decoder, which check.c shares, with out
 * untyped. */
static int ctl_decode(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                      void *out)
{
    return decode_control(a, org, id, idl, v, out);
}

const item_kind control_items = {DB_CTL,     "control", "controls", CW_ENOCTL, sizeof(cw_control),
                                 ctl_decode, unlink_old};

static int control_put_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    bulk_args *ba = arg;
    cw_db *db = w->db;
    bulk_call bc;
    int rc = bulk_call_begin(&bc, ba->n, "controls", err);
    if (rc)
        return rc;
    for (size_t i = 0; i < ba->n && rc == 0; i++) {
        const cw_control *c = (const cw_control *)ba->items + i;
        cw_key k;
        org_item_key(&k, c->org, c->id);
        if ((rc = validate_control(w->txn, db, c, i, err)) ||
            (rc = bulk_call_admit(w, &bc, &k, c->org, i, c->id, err)))
            break;
        rec_writer rw;
        rw_init(&rw);
        encode_control(&rw, c);
        MDB_val kv = key_val(&k), v;
        if (mdb_get(w->txn, db->dbi[DB_CTL], &kv, &v) == 0) {
            if (rec_same(v, rw_val(&rw))) {
                /* its links are indexed already */
                ba->st.unchanged++;
                rw_free(&rw);
                continue;
            }
            ba->st.updated++;
            if ((rc = item_unindex(w, &control_items, c->org, c->id, v, err))) {
                rw_free(&rw);
                break;
            }
        } else {
            ba->st.created++;
        }
        v = rw_val(&rw);
        kv = key_val(&k);
        CHANGE_NOTE(w, DB_CTL, kv, &v);
        rc = lmdb_err(mdb_put(w->txn, db->dbi[DB_CTL], &kv, &v, 0), err, "controls");
        rw_free(&rw);
        if (!rc)
            rc = index_links(w, c, false, err);
    }
    bulk_call_end(&bc);
    return rc;
}

int cw_control_put(cw_db *db, cw_wtxn *w, const cw_control *ctls, size_t n, cw_bulk_stats *st,
                   cw_err *err)
{
    return write_items(db, w, control_put_fn, "controls", ctls, n, st, err);
}

int cw_control_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_control *out,
                   cw_err *err)
{
    return item_get(db, &control_items, org, id, a, out, err);
}

int controls_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a, cw_control **out, size_t *n)
{
    return controls_of_at(txn, db, org, REC_NOW, a, out, n);
}

int controls_of_at(MDB_txn *txn, cw_db *db, const char *org, cw_time rec, cw_arena *a,
                   cw_control **out, size_t *n)
{
    item_list l = {&control_items, a, cw_arena_strdup(a, org), NULL, NULL, 0, 0,
                   NULL,           0, rec != REC_NOW,          rec};
    int rc = items_of(txn, db, org, &l);
    *out = l.items;
    *n = l.n;
    return rc;
}

int cw_control_list(cw_db *db, const char *org, const cw_page *page, cw_arena *a, cw_control **out,
                    size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    item_list l = {&control_items,
                   a,
                   cw_arena_strdup(a, org),
                   NULL,
                   NULL,
                   0,
                   0,
                   page ? page->after : NULL,
                   page ? page->limit : 0,
                   false,
                   0};
    rc = items_list(db, org, &l, "controls", err);
    *out = l.items;
    *n = l.n;
    return rc;
}

int cw_control_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    return item_delete(db, w, &control_items, org, id, err);
}
