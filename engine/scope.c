/* Scope decisions in LMDB: an assessed requirement declared not applicable
 * (or applicable, with a justification and the legal, contractual or
 * business reasons for it) for one organisation, keyed org\0fw\0id. */
#include "crosswalk/isms_model.h"
#include "crosswalk/org.h"

#include "entity.h"

#include <string.h>

static int validate_scope(MDB_txn *txn, cw_db *db, const cw_scope *s, size_t i, cw_err *err)
{
    int rc;
    if ((rc = check_name_at(s->org, CW_MAX_SLUG, err, "items[%zu].org", i)) ||
        (rc = check_name_at(s->framework, CW_MAX_SLUG, err, "items[%zu].framework", i)) ||
        (rc = check_name_at(s->id, CW_MAX_ID, err, "items[%zu].id", i)) ||
        (rc = check_text_at(s->justification, err, "items[%zu].justification", i)))
        return rc;
    if (org_exists(txn, db, s->org))
        return cw_err_set(err, CW_ENOORG, "items[%zu].org: no organisation '%s'", i, s->org);
    bool assessed = false;
    rc = req_exists(txn, db, s->framework, s->id, &assessed);
    if (rc == CW_ENOFW)
        return cw_err_set(err, CW_ENOFW, "items[%zu].framework: no framework '%s'", i,
                          s->framework);
    if (rc)
        return cw_err_set(err, CW_ENOREQ, "items[%zu].id: no requirement '%s' in framework '%s'", i,
                          s->id, s->framework);
    if (!assessed)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].id: '%s' is not assessed (a group, withdrawn or not "
                          "assessable); scope decisions apply to assessed requirements",
                          i, s->id);
    if (s->reasons & ~(unsigned)CW_REASONS_RECORDED)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].reasons: only legal, contractual and business are recorded; "
                          "risk comes from the risks that name its controls",
                          i);
    if (!s->applicable && s->reasons)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].applicable: false, but reasons for including it are "
                          "given; an exclusion gives its justification",
                          i);
    if (!s->applicable && strcmp(s->framework, "iso27001-2022") == 0 &&
        strncmp(s->id, "A.", 2) != 0)
        return cw_err_set(err, CW_EMANDATORY,
                          "items[%zu].id: clause %s of iso27001-2022 is mandatory and cannot be "
                          "excluded; only Annex A controls can",
                          i, s->id);
    return 0;
}

static int scope_put_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    const char *touched = NULL;
    bulk_args *ba = arg;
    int rc = 0;
    for (size_t i = 0; i < ba->n && rc == 0; i++) {
        const cw_scope *s = (const cw_scope *)ba->items + i;
        if ((rc = validate_scope(w->txn, w->db, s, i, err)) ||
            (rc = org_touch_once(w, s->org, &touched, err)))
            break;
        cw_key k;
        org_req_key(&k, s->org, s->framework, s->id);
        rec_writer rw;
        rw_init(&rw);
        rw_array(&rw, 3);
        rw_bool(&rw, s->applicable);
        rw_str(&rw, s->justification ? s->justification : "");
        rw_int(&rw, s->reasons);
        MDB_val kv = key_val(&k), v;
        bool stored = mdb_get(w->txn, w->db->dbi[DB_SCOPE], &kv, &v) == 0;
        if (stored && rec_same(v, rw_val(&rw))) {
            ba->st.unchanged++;
            rw_free(&rw);
            continue;
        }
        if (stored)
            ba->st.updated++;
        else
            ba->st.created++;
        v = rw_val(&rw);
        CHANGE_NOTE(w, DB_SCOPE, kv, &v);
        rc = mdb_put(w->txn, w->db->dbi[DB_SCOPE], &kv, &v, 0);
        rw_free(&rw);
        if (rc)
            rc = lmdb_err(rc, err, "items");
    }
    return rc;
}

int cw_scope_put(cw_db *db, cw_wtxn *w, const cw_scope *items, size_t n, cw_bulk_stats *st,
                 cw_err *err)
{
    return write_items(db, w, scope_put_fn, "items", items, n, st, err);
}

/* An item_decode_fn: out is a cw_scope, rest is fw\0id. */
static int decode_scope(cw_arena *a, const char *org, const char *rest, size_t rl, MDB_val v,
                        void *item)
{
    cw_scope *out = item;
    const char *z = memchr(rest, '\0', rl);
    if (!z)
        return CW_ECORRUPT;
    rec_reader r;
    if (rr_open(&r, v, NULL))
        return CW_ECORRUPT;
    out->org = org;
    out->framework = cw_arena_strndup(a, rest, (size_t)(z - rest));
    out->id = cw_arena_strndup(a, z + 1, rl - (size_t)(z - rest) - 1);
    const msgpack_object *ap = rr_at(&r, 0);
    out->applicable = ap && ap->type == MSGPACK_OBJECT_BOOLEAN && ap->via.boolean;
    out->justification = obj_str(a, rr_at(&r, 1));
    out->reasons = (unsigned)obj_int(rr_at(&r, 2), 0) & CW_REASONS_RECORDED;
    rr_close(&r);
    return 0;
}

/* Scope decisions are listed, never read or deleted one by one through
 * item_get / item_delete: their keys hold a framework too. */
static const item_kind scope_items = {DB_SCOPE,         "scope decision", "items", CW_ENOENT,
                                      sizeof(cw_scope), decode_scope,     NULL};

int scopes_of(MDB_txn *txn, cw_db *db, const char *org, const char *fw, cw_time rec, cw_arena *a,
              cw_scope **out, size_t *n)
{
    item_list l = {&scope_items, a, cw_arena_strdup(a, org), fw, NULL, 0, 0,
                   NULL,         0, rec != REC_NOW,          rec};
    int rc = items_of(txn, db, org, &l);
    *out = l.items;
    *n = l.n;
    return rc;
}

int cw_scope_list(cw_db *db, const char *org, const char *framework, cw_arena *a, cw_scope **out,
                  size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    if (rc || (framework && (rc = cw_check_name("framework", framework, CW_MAX_SLUG, err))))
        return rc;
    item_list l = {&scope_items, a, cw_arena_strdup(a, org), framework, NULL, 0, 0, NULL, 0,
                   false,        0};
    rc = items_list(db, org, &l, "scope", err);
    *out = l.items;
    *n = l.n;
    return rc;
}

static int scope_delete_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    const char **p = arg;
    cw_key k;
    org_req_key(&k, p[0], p[1], p[2]);
    MDB_val kv = key_val(&k);
    int rc = org_find(w->txn, w->db, p[0], err);
    if (rc || (rc = org_touch(w->txn, w->db, p[0], err)))
        return rc;
    CHANGE_NOTE(w, DB_SCOPE, kv, NULL);
    rc = mdb_del(w->txn, w->db->dbi[DB_SCOPE], &kv, NULL);
    if (rc == MDB_NOTFOUND)
        return cw_err_set(err, CW_ENOENT, "id: no scope decision for %s %s in organisation '%s'",
                          p[1], p[2], p[0]);
    return lmdb_err(rc, err, "scope");
}

int cw_scope_delete(cw_db *db, cw_wtxn *w, const char *org, const char *framework, const char *id,
                    cw_err *err)
{
    int rc;
    if ((rc = cw_check_name("org", org, CW_MAX_SLUG, err)) ||
        (rc = cw_check_name("framework", framework, CW_MAX_SLUG, err)) ||
        (rc = cw_check_name("id", id, CW_MAX_ID, err)))
        return rc;
    const char *p[3] = {org, framework, id};
    return write_run(db, w, scope_delete_fn, (void *)p, err);
}
