/* Framework catalogues in LMDB: loading a requirement tree atomically with
 * its parent checks, deleting it, and listing frameworks and requirements in
 * the publisher's order.  The child index (fw\0parent -> id) is what makes a
 * requirement a group or a leaf. */
#include "crosswalk/catalog.h"

#include "internal.h"
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct load_args {
    const cw_framework *fw;
    const cw_requirement *reqs;
    size_t n;
    bool replace;
    cw_bulk_stats st;
};

static int validate_req(const cw_requirement *q, size_t i, cw_err *err)
{
    int rc = check_name_at(q->id, CW_MAX_ID, err, "requirements[%zu].id", i);
    if (rc)
        return rc;
    if (q->parent && *q->parent) {
        if ((rc = check_name_at(q->parent, CW_MAX_ID, err, "requirements[%zu].parent", i)))
            return rc;
        if (strcmp(q->parent, q->id) == 0)
            return cw_err_set(err, CW_ECONFLICT,
                              "requirements[%zu].parent: '%s' cannot be its own parent", i, q->id);
    }
    if (q->kind && *q->kind &&
        (rc = check_name_at(q->kind, CW_MAX_SLUG, err, "requirements[%zu].kind", i)))
        return rc;
    if ((rc = check_text_at(q->title, err, "requirements[%zu].title", i)) ||
        (rc = check_text_at(q->description, err, "requirements[%zu].description", i)))
        return rc;
    if (q->n_attrs > CW_MAX_LIST)
        return cw_err_set(err, CW_EINVAL, "requirements[%zu].attributes: more than %d", i,
                          CW_MAX_LIST);
    for (size_t j = 0; j < q->n_attrs; j++) {
        const cw_attr *at = &q->attrs[j];
        if ((rc = check_name_at(at->key, CW_MAX_SLUG, err, "requirements[%zu].attributes[%zu]",
                                i, j)))
            return rc;
        if (at->n_values > CW_MAX_LIST)
            return cw_err_set(err, CW_EINVAL,
                              "requirements[%zu].attributes[%zu]: more than %d values", i, j,
                              CW_MAX_LIST);
        for (size_t k = 0; k < at->n_values; k++)
            if ((rc = check_name_at(at->values[k], CW_MAX_ID, err,
                                    "requirements[%zu].attributes[%zu]", i, j)))
                return rc;
    }
    return 0;
}

/* Reads the stored parent of fw/id into buf; returns false if the
 * requirement is not stored. */
static bool stored_parent(cw_wtxn *w, const char *fw, const char *id, char *buf, size_t cap)
{
    cw_key key;
    key_init(&key);
    key_part(&key, fw);
    key_part(&key, id);
    MDB_val k = key_val(&key), v;
    if (mdb_get(w->txn, w->db->dbi[DB_REQ], &k, &v))
        return false;
    rec_reader r;
    buf[0] = '\0';
    if (rr_open(&r, v, NULL) == 0) {
        const msgpack_object *p = rr_at(&r, 0);
        if (p && p->type == MSGPACK_OBJECT_STR && p->via.str.size < cap) {
            memcpy(buf, p->via.str.ptr, p->via.str.size);
            buf[p->via.str.size] = '\0';
        }
        rr_close(&r);
    }
    return true;
}

static int catalog_load_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct load_args *la = arg;
    cw_db *db = w->db;
    const char *slug = la->fw->slug;
    int rc;
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
    strmap ids;
    if (strmap_init(&ids, a, la->n)) {
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
    }
    for (size_t i = 0; i < la->n; i++) {
        const cw_requirement *q = &la->reqs[i];
        if ((rc = validate_req(q, i, err)))
            goto out;
        size_t prev;
        if (strmap_put(&ids, q->id, strlen(q->id), i, &prev) == 1) {
            rc = cw_err_set(err, CW_ECONFLICT,
                            "requirements[%zu].id: '%s' appears twice (also requirements[%zu])",
                            i, q->id, prev);
            goto out;
        }
    }
    cw_key pre;
    key_init(&pre);
    key_part(&pre, slug);
    key_sep(&pre);
    bool existed = fw_exists(w->txn, db, slug) == 0;
    size_t existing = 0;
    /* With replace, the ids stored before, so that the counts say what
     * changed: kept ids are updated, dropped ones deleted. */
    strmap before = {0};
    if (la->replace && existed) {
        MDB_cursor *c;
        MDB_val k = key_val(&pre), v;
        size_t nb = 0;
        if (strmap_init(&before, a, 64)) {
            rc = cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
            goto out;
        }
        if ((rc = mdb_cursor_open(w->txn, db->dbi[DB_REQ], &c))) {
            rc = lmdb_err(rc, err, "requirements");
            goto out;
        }
        for (int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
             r == 0 && k.mv_size >= pre.n && memcmp(k.mv_data, pre.b, pre.n) == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            char *id = cw_arena_strndup(a, (const char *)k.mv_data + pre.n, k.mv_size - pre.n);
            if (!id || strmap_put(&before, id, strlen(id), nb, NULL) < 0) {
                mdb_cursor_close(c);
                rc = cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
                goto out;
            }
            nb++;
        }
        mdb_cursor_close(c);
        if ((rc = delete_prefix(w, DB_REQ, &pre, NULL, err)) ||
            (rc = delete_prefix(w, DB_CHILD, &pre, NULL, err)))
            goto out;
        la->st.deleted = nb;
    } else if (existed) {
        MDB_cursor *c;
        MDB_val k = key_val(&pre), v;
        if ((rc = mdb_cursor_open(w->txn, db->dbi[DB_REQ], &c))) {
            rc = lmdb_err(rc, err, "requirements");
            goto out;
        }
        for (int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
             r == 0 && k.mv_size >= pre.n && memcmp(k.mv_data, pre.b, pre.n) == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            existing++;
        mdb_cursor_close(c);
    }
    /* Parents and cycles, against the batch first and the store second. */
    char buf[CW_MAX_ID + 1];
    for (size_t i = 0; i < la->n; i++) {
        const cw_requirement *q = &la->reqs[i];
        const char *p = q->parent && *q->parent ? q->parent : NULL;
        size_t depth = 0;
        while (p) {
            size_t j;
            if (++depth > MAX_DEPTH) {
                rc = cw_err_set(err, CW_ECONFLICT,
                                "requirements[%zu].parent: '%s' leads to a parent cycle or a "
                                "tree deeper than %d",
                                i, q->parent, MAX_DEPTH);
                goto out;
            }
            if (strmap_get(&ids, p, strlen(p), &j)) {
                const char *pp = la->reqs[j].parent;
                p = pp && *pp ? pp : NULL;
            } else if (!la->replace && stored_parent(w, slug, p, buf, sizeof buf)) {
                p = buf[0] ? buf : NULL;
            } else {
                rc = cw_err_set(err, CW_ENOREQ,
                                depth == 1 ? "requirements[%zu].parent: no requirement '%s' in "
                                             "framework '%s'"
                                           : "requirements[%zu].parent: ancestor '%s' is not in "
                                             "framework '%s'",
                                i, p, slug);
                goto out;
            }
        }
    }
    for (size_t i = 0; i < la->n; i++) {
        const cw_requirement *q = &la->reqs[i];
        cw_key key;
        key_init(&key);
        key_part(&key, slug);
        key_part(&key, q->id);
        MDB_val k = key_val(&key), v;
        int64_t seq = (int64_t)(existing + i);
        size_t bi;
        if (before.keys && strmap_get(&before, q->id, strlen(q->id), &bi)) {
            /* replaced, and kept: an update, not a delete and a create */
            la->st.updated++;
            la->st.deleted--;
        } else if (mdb_get(w->txn, db->dbi[DB_REQ], &k, &v) == 0) {
            la->st.updated++;
            rec_reader r;
            if (rr_open(&r, v, NULL) == 0) {
                seq = obj_int(rr_at(&r, 5), seq);
                const msgpack_object *op = rr_at(&r, 0);
                if (op && op->type == MSGPACK_OBJECT_STR) {
                    cw_key ck;
                    key_init(&ck);
                    key_part(&ck, slug);
                    key_sep(&ck);
                    key_raw(&ck, op->via.str.ptr, op->via.str.size);
                    MDB_val cv = {strlen(q->id), (void *)q->id}, ckv = key_val(&ck);
                    rc = mdb_del(w->txn, db->dbi[DB_CHILD], &ckv, &cv);
                }
                rr_close(&r);
                if (rc && rc != MDB_NOTFOUND) {
                    rc = lmdb_err(rc, err, "requirements");
                    goto out;
                }
                rc = 0;
            }
        } else {
            la->st.created++;
        }
        rec_writer rw;
        rw_init(&rw);
        encode_req(&rw, q, seq);
        v = rw_val(&rw);
        k = key_val(&key);
        rc = mdb_put(w->txn, db->dbi[DB_REQ], &k, &v, 0);
        rw_free(&rw);
        if (rc) {
            rc = lmdb_err(rc, err, "requirements");
            goto out;
        }
        if (q->parent && *q->parent) {
            cw_key ck;
            key_init(&ck);
            key_part(&ck, slug);
            key_part(&ck, q->parent);
            MDB_val ckv = key_val(&ck), cv = {strlen(q->id), (void *)q->id};
            rc = mdb_put(w->txn, db->dbi[DB_CHILD], &ckv, &cv, MDB_NODUPDATA);
            if (rc && rc != MDB_KEYEXIST) {
                rc = lmdb_err(rc, err, "requirements");
                goto out;
            }
        }
    }
    rec_writer rw;
    rw_init(&rw);
    rw_array(&rw, 4);
    rw_str(&rw, la->fw->name && *la->fw->name ? la->fw->name : slug);
    rw_str(&rw, la->fw->version ? la->fw->version : "");
    rw_str(&rw, la->fw->publisher ? la->fw->publisher : "");
    rw_str(&rw, la->fw->licence ? la->fw->licence : "");
    MDB_val k = {strlen(slug), (void *)slug}, v = rw_val(&rw);
    rc = mdb_put(w->txn, db->dbi[DB_FW], &k, &v, 0);
    rw_free(&rw);
    if (rc) {
        rc = lmdb_err(rc, err, "framework");
        goto out;
    }
    rc = bump_generation(w, err);
out:
    cw_arena_free(a);
    return rc;
}

int cw_catalog_load(cw_db *db, cw_wtxn *w, const cw_framework *fw,
                    const cw_requirement *reqs, size_t n, bool replace,
                    cw_bulk_stats *st, cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (!fw)
        return cw_err_set(err, CW_EINVAL, "framework: missing");
    int rc = cw_check_name("framework", fw->slug, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    if ((rc = check_text("name", fw->name, err)) || (rc = check_text("version", fw->version, err)) ||
        (rc = check_text("publisher", fw->publisher, err)) ||
        (rc = check_text("licence", fw->licence, err)))
        return rc;
    if (n && !reqs)
        return cw_err_set(err, CW_EINVAL, "requirements: missing");
    struct load_args la = {fw, reqs, n, replace, {0}};
    return write_bulk(db, w, catalog_load_fn, &la, &la.st, n, st, err);
}

struct del_args {
    const char *slug;
    cw_bulk_stats st;
};

static int catalog_delete_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct del_args *da = arg;
    cw_db *db = w->db;
    MDB_val k = {strlen(da->slug), (void *)da->slug};
    int rc = mdb_del(w->txn, db->dbi[DB_FW], &k, NULL);
    if (rc == MDB_NOTFOUND)
        return cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", da->slug);
    if (rc)
        return lmdb_err(rc, err, "framework");
    cw_key pre;
    key_init(&pre);
    key_part(&pre, da->slug);
    key_sep(&pre);
    if ((rc = delete_prefix(w, DB_REQ, &pre, &da->st.deleted, err)) ||
        (rc = delete_prefix(w, DB_CHILD, &pre, NULL, err)))
        return rc;
    /* Scope decisions are keyed org\0fw\0id: walk them all (they are few),
     * collect the matching keys, then delete. */
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(w->txn, db->dbi[DB_SCOPE], &c)))
        return lmdb_err(rc, err, "scope");
    cw_arena *a = cw_arena_new();
    MDB_val *victims = NULL, v;
    size_t nv = 0, cap = 0, sl = strlen(da->slug);
    rc = a ? 0 : CW_ENOMEM;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const char *key = k.mv_data;
        const char *z = memchr(key, '\0', k.mv_size);
        size_t rest = z ? k.mv_size - (size_t)(z + 1 - key) : 0;
        if (!(z && rest > sl && memcmp(z + 1, da->slug, sl) == 0 && z[1 + sl] == '\0'))
            continue;
        MDB_val *arr = cw_arena_grow(a, victims, sizeof *victims, &cap, nv + 1);
        char *kc = cw_arena_strndup(a, k.mv_data, k.mv_size);
        if (!arr || !kc) {
            rc = CW_ENOMEM;
            break;
        }
        victims = arr;
        victims[nv].mv_size = k.mv_size;
        victims[nv++].mv_data = kc;
    }
    mdb_cursor_close(c);
    if (rc)
        rc = cw_err_set(err, rc, "scope: out of memory");
    for (size_t i = 0; rc == 0 && i < nv; i++)
        rc = lmdb_err(mdb_del(w->txn, db->dbi[DB_SCOPE], &victims[i], NULL), err, "scope");
    cw_arena_free(a);
    return rc ? rc : bump_generation(w, err);
}

int cw_catalog_delete(cw_db *db, cw_wtxn *w, const char *slug, cw_bulk_stats *st, cw_err *err)
{
    int rc = cw_check_name("framework", slug, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    struct del_args da = {slug, {0}};
    rc = write_run(db, w, catalog_delete_fn, &da, err);
    if (st)
        *st = da.st;
    return rc;
}

/* ---- reads ---- */

static int decode_fw(cw_arena *a, const char *slug, size_t sl, MDB_val v, cw_framework *out)
{
    rec_reader r;
    int rc = rr_open(&r, v, NULL);
    if (rc)
        return rc;
    out->slug = cw_arena_strndup(a, slug, sl);
    out->name = obj_str(a, rr_at(&r, 0));
    out->version = obj_str(a, rr_at(&r, 1));
    out->publisher = obj_str(a, rr_at(&r, 2));
    out->licence = obj_str(a, rr_at(&r, 3));
    rr_close(&r);
    return 0;
}

/* Counts fw's requirements, leaves, assessed and withdrawn ones.  The
 * assessable flag and status sit in the record, so each is decoded. */
static int count_reqs(MDB_txn *txn, cw_db *db, const char *slug, cw_framework_info *fi)
{
    cw_key pre;
    key_init(&pre);
    key_part(&pre, slug);
    key_sep(&pre);
    fi->requirements = fi->leaves = fi->assessable = fi->withdrawn = 0;
    MDB_cursor *c, *cc;
    if (mdb_cursor_open(txn, db->dbi[DB_REQ], &c))
        return CW_ESTORAGE;
    if (mdb_cursor_open(txn, db->dbi[DB_CHILD], &cc)) {
        mdb_cursor_close(c);
        return CW_ESTORAGE;
    }
    MDB_val k = key_val(&pre), v;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         r == 0 && k.mv_size >= pre.n && memcmp(k.mv_data, pre.b, pre.n) == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        fi->requirements++;
        MDB_val ck = k, cv;
        bool leaf = mdb_cursor_get(cc, &ck, &cv, MDB_SET) != 0;
        fi->leaves += leaf;
        rec_reader rr;
        if (rr_open(&rr, v, NULL))
            continue;
        const msgpack_object *as = rr_at(&rr, 6);
        bool assessable = as && as->type == MSGPACK_OBJECT_BOOLEAN ? as->via.boolean : leaf;
        bool withdrawn = obj_int(rr_at(&rr, 7), 0) == 1;
        rr_close(&rr);
        fi->withdrawn += withdrawn;
        fi->assessable += assessable && !withdrawn;
    }
    mdb_cursor_close(cc);
    mdb_cursor_close(c);
    return 0;
}

int cw_framework_list(cw_db *db, cw_arena *a, cw_framework_info **out, size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    MDB_cursor *c;
    size_t cap = 0;
    if ((rc = mdb_cursor_open(txn, db->dbi[DB_FW], &c))) {
        read_end(db, txn);
        return lmdb_err(rc, err, "framework");
    }
    MDB_val k, v;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        cw_framework_info *arr = cw_arena_grow(a, *out, sizeof **out, &cap, *n + 1);
        if (!arr) {
            rc = cw_err_set(err, CW_ENOMEM, "framework: out of memory");
            break;
        }
        *out = arr;
        cw_framework_info *fi = &arr[*n];
        if (decode_fw(a, k.mv_data, k.mv_size, v, &fi->fw))
            continue;
        count_reqs(txn, db, fi->fw.slug, fi);
        (*n)++;
    }
    mdb_cursor_close(c);
    read_end(db, txn);
    return rc;
}

int cw_framework_get(cw_db *db, const char *slug, cw_arena *a, cw_framework_info *out,
                     cw_err *err)
{
    int rc = cw_check_name("framework", slug, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    MDB_val k = {strlen(slug), (void *)slug}, v;
    if (mdb_get(txn, db->dbi[DB_FW], &k, &v)) {
        rc = cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", slug);
    } else {
        memset(out, 0, sizeof *out);
        rc = decode_fw(a, slug, strlen(slug), v, &out->fw);
        if (rc == 0)
            count_reqs(txn, db, slug, out);
        else
            cw_err_set(err, rc, "framework: record of '%s' is unreadable", slug);
    }
    read_end(db, txn);
    return rc;
}

typedef struct seq_req {
    cw_requirement q;
    int64_t seq;
} seq_req;

static int seq_cmp(const void *x, const void *y)
{
    const seq_req *a = x, *b = y;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return cw_id_cmp(a->q.id, b->q.id);
}

/* Loads every requirement of fw (with leaf flags) in publisher order. */
static int load_all(MDB_txn *txn, cw_db *db, const char *fw, cw_arena *a, seq_req **out,
                    size_t *n)
{
    cw_key pre;
    key_init(&pre);
    key_part(&pre, fw);
    key_sep(&pre);
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    MDB_cursor *c, *cc;
    if (mdb_cursor_open(txn, db->dbi[DB_REQ], &c))
        return CW_ESTORAGE;
    if (mdb_cursor_open(txn, db->dbi[DB_CHILD], &cc)) {
        mdb_cursor_close(c);
        return CW_ESTORAGE;
    }
    const char *fwc = cw_arena_strdup(a, fw);
    MDB_val k = key_val(&pre), v;
    int rc = 0;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         r == 0 && k.mv_size >= pre.n && memcmp(k.mv_data, pre.b, pre.n) == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        seq_req *arr = cw_arena_grow(a, *out, sizeof **out, &cap, *n + 1);
        if (!arr) {
            rc = CW_ENOMEM;
            break;
        }
        *out = arr;
        if (decode_req(a, fwc, (const char *)k.mv_data + pre.n, k.mv_size - pre.n, v,
                       &arr[*n].q, &arr[*n].seq))
            continue;
        MDB_val ck = k, cv;
        cw_requirement *q = &arr[*n].q;
        q->leaf = mdb_cursor_get(cc, &ck, &cv, MDB_SET) != 0;
        q->assessable = q->assess == CW_ASSESS_YES || (q->assess == CW_ASSESS_AUTO && q->leaf);
        (*n)++;
    }
    mdb_cursor_close(cc);
    mdb_cursor_close(c);
    if (*n)
        qsort(*out, *n, sizeof **out, seq_cmp);
    return rc;
}

/* Answered from the catalogue graph, which holds every requirement decoded
 * with its children in publisher order: one lookup in memory instead of a
 * record decode plus a lookup per child. */
int cw_requirement_get(cw_db *db, const char *fw, const char *id, cw_arena *a,
                       cw_requirement *out, const char ***children, size_t *n_children,
                       cw_err *err)
{
    int rc;
    if ((rc = cw_check_name("framework", fw, CW_MAX_SLUG, err)) ||
        (rc = cw_check_name("id", id, CW_MAX_ID, err)))
        return rc;
    graph *g;
    if ((rc = graph_for_answer(db, a, &g, err)))
        return rc;
    graph_release(db, g); /* a holds the graph for the answer */
    uint32_t x;
    if (!graph_find(g, fw, id, &x))
        return graph_fw(g, fw) == G_NONE
                   ? cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", fw)
                   : cw_err_set(err, CW_ENOREQ, "id: no requirement '%s' in framework '%s'", id,
                                fw);
    const g_node *n = &g->nodes[x];
    *out = (cw_requirement){.framework = g->fws[n->fw],
                            .id = n->id,
                            .parent = n->parent_id,
                            .kind = n->kind,
                            .title = n->title,
                            .description = n->description,
                            .attrs = n->attrs,
                            .n_attrs = n->n_attrs,
                            .leaf = n->leaf,
                            .assess = n->assess,
                            .withdrawn = n->withdrawn,
                            .assessable = n->assessable,
                            /* generations are never reused: unique per content */
                            .answer_id = (g->gen + 1) << 32 | x};
    if (children) {
        *children = cw_arena_alloc(a, (n->n_kids + 1) * sizeof(char *));
        if (!*children)
            return cw_err_set(err, CW_ENOMEM, "requirement: out of memory");
        for (size_t i = 0; i < n->n_kids; i++)
            (*children)[i] = g->nodes[n->kids[i]].id;
        *n_children = n->n_kids;
    }
    return 0;
}

static bool has_attr(const cw_requirement *q, const char *key, const char *val)
{
    for (size_t i = 0; i < q->n_attrs; i++) {
        if (!q->attrs[i].key || strcmp(q->attrs[i].key, key) != 0)
            continue;
        if (!val)
            return true;
        for (size_t j = 0; j < q->attrs[i].n_values; j++)
            if (q->attrs[i].values[j] && strcmp(q->attrs[i].values[j], val) == 0)
                return true;
    }
    return false;
}

int cw_requirement_list(cw_db *db, const cw_req_filter *f, cw_arena *a, cw_requirement **out,
                        size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = cw_check_name("framework", f->framework, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    if (f->parent && (rc = cw_check_name("parent", f->parent, CW_MAX_ID, err)))
        return rc;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    if (fw_exists(txn, db, f->framework)) {
        read_end(db, txn);
        return cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", f->framework);
    }
    if (f->parent && req_exists(txn, db, f->framework, f->parent, NULL)) {
        read_end(db, txn);
        return cw_err_set(err, CW_ENOREQ, "parent: no requirement '%s' in framework '%s'",
                          f->parent, f->framework);
    }
    seq_req *all;
    size_t na;
    rc = load_all(txn, db, f->framework, a, &all, &na);
    read_end(db, txn);
    if (rc)
        return cw_err_set(err, rc, "framework: cannot read '%s'", f->framework);
    cw_requirement *res = cw_arena_alloc(a, (na + 1) * sizeof *res);
    if (!res)
        return cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
    for (size_t i = 0; i < na; i++) {
        const cw_requirement *q = &all[i].q;
        if (f->parent && (!q->parent || strcmp(q->parent, f->parent) != 0))
            continue;
        if (f->kind && (!q->kind || strcmp(q->kind, f->kind) != 0))
            continue;
        if (f->leaves_only && !q->leaf)
            continue;
        if (f->assessable_only && (!q->assessable || q->withdrawn))
            continue;
        if (f->attr_key && !has_attr(q, f->attr_key, f->attr_value))
            continue;
        res[(*n)++] = *q;
    }
    *out = res;
    return 0;
}
