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
        if ((rc = check_name_at(at->key, CW_MAX_SLUG, err, "requirements[%zu].attributes[%zu]", i,
                                j)))
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

/* The requirements a framework held before a replacing load, so that the
 * counts say what changed: kept ids are updated (or unchanged, when their
 * record is the same), dropped ones deleted. */
struct ids_before {
    cw_arena *a;
    strmap ids; /* id (in a) -> its position */
    size_t n, cap;
    MDB_val *recs; /* malloc'd: each position's record, its bytes in a */
};

/* An each_fn: notes one stored requirement's id and record. */
static int note_before(void *ctx, const char *id, size_t idl, MDB_val v)
{
    struct ids_before *b = ctx;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        MDB_val *r = realloc(b->recs, cap * sizeof *r);
        if (!r)
            return CW_ENOMEM;
        b->recs = r;
        b->cap = cap;
    }
    char *c = cw_arena_strndup(b->a, id, idl);
    void *bytes = cw_arena_alloc(b->a, v.mv_size ? v.mv_size : 1);
    if (!c || !bytes || strmap_put(&b->ids, c, strlen(c), b->n, NULL) < 0)
        return CW_ENOMEM;
    memcpy(bytes, v.mv_data, v.mv_size);
    b->recs[b->n++] = (MDB_val){v.mv_size, bytes};
    return 0;
}

/* An each_fn: counts the records it is called for. */
static int count_one(void *ctx, const char *rest, size_t rl, MDB_val v)
{
    (void)rest;
    (void)rl;
    (void)v;
    (*(size_t *)ctx)++;
    return 0;
}

static int catalog_load_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct load_args *la = arg;
    cw_db *db = w->db;
    const char *slug = la->fw->slug;
    bulk_call bc;
    int rc = bulk_call_begin(&bc, la->n, "requirements", err);
    if (rc)
        return rc;
    cw_arena *a = bc.a;
    struct ids_before before = {a, {0}, 0, 0, NULL};
    for (size_t i = 0; i < la->n; i++) {
        const cw_requirement *q = &la->reqs[i];
        if ((rc = validate_req(q, i, err)) ||
            (rc = once_per_call(&bc.seen, a, q->id, strlen(q->id), i, "requirements", q->id, err)))
            goto out;
    }
    strmap *ids = &bc.seen; /* the batch's ids -> their position */
    cw_key pre;
    key_prefix(&pre, slug);
    bool existed = fw_exists(w->txn, db, slug) == 0;
    size_t existing = 0;
    if (la->replace && existed) {
        if (strmap_init(&before.ids, a, 64)) {
            rc = cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
            goto out;
        }
        if ((rc = each_record(w->txn, db, DB_REQ, &pre, note_before, &before, err,
                              "requirements"))) {
            if (rc == CW_ENOMEM)
                cw_err_set(err, rc, "requirements: out of memory");
            goto out;
        }
        if ((rc = delete_prefix(w, DB_REQ, &pre, NULL, err)) ||
            (rc = delete_prefix(w, DB_CHILD, &pre, NULL, err)))
            goto out;
        la->st.deleted = before.n;
    } else if (existed && (rc = each_record(w->txn, db, DB_REQ, &pre, count_one, &existing, err,
                                            "requirements"))) {
        goto out;
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
            if (strmap_get(ids, p, strlen(p), &j)) {
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
        rec_writer rw;
        if (before.ids.keys && strmap_get(&before.ids, q->id, strlen(q->id), &bi)) {
            /* replaced, and kept: an update, not a delete and a create; the
             * record is written again whatever it held (the load removed
             * them all) */
            rw_init(&rw);
            encode_req(&rw, q, seq);
            bool same = rec_same(before.recs[bi], rw_val(&rw));
            rw_free(&rw);
            if (same)
                la->st.unchanged++;
            else
                la->st.updated++;
            la->st.deleted--;
        } else if (mdb_get(w->txn, db->dbi[DB_REQ], &k, &v) == 0) {
            rec_reader r;
            if (rr_open(&r, v, NULL) == 0) {
                seq = obj_int(rr_at(&r, 5), seq);
                rw_init(&rw);
                encode_req(&rw, q, seq);
                bool same = rec_same(v, rw_val(&rw));
                rw_free(&rw);
                if (same) {
                    /* same parent too: its child entry is there */
                    rr_close(&r);
                    la->st.unchanged++;
                    continue;
                }
                la->st.updated++;
                const msgpack_object *op = rr_at(&r, 0);
                if (op && op->type == MSGPACK_OBJECT_STR) {
                    /* out of its old parent's children */
                    cw_key ck;
                    key_prefix(&ck, slug);
                    key_raw(&ck, op->via.str.ptr, op->via.str.size);
                    MDB_val cv = {strlen(q->id), (void *)q->id};
                    rc = index_put(w, DB_CHILD, key_val(&ck), cv, true, "requirements", err);
                }
                rr_close(&r);
                if (rc)
                    goto out;
            } else {
                la->st.updated++;
            }
        } else {
            la->st.created++;
        }
        rw_init(&rw);
        encode_req(&rw, q, seq);
        v = rw_val(&rw);
        k = key_val(&key);
        CHANGE_NOTE(w, DB_REQ, k, &v);
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
            MDB_val cv = {strlen(q->id), (void *)q->id};
            if ((rc = index_put(w, DB_CHILD, key_val(&ck), cv, false, "requirements", err)))
                goto out;
        }
    }
    rec_writer rw;
    rw_init(&rw);
    rw_array(&rw, 4);
    rw_str(&rw, la->fw->name && *la->fw->name ? la->fw->name : slug);
    rw_str(&rw, la->fw->version ? la->fw->version : "");
    rw_str(&rw, la->fw->publisher ? la->fw->publisher : "");
    rw_str(&rw, la->fw->licence ? la->fw->licence : "");
    MDB_val k = {strlen(slug), (void *)slug}, v;
    bool fw_same =
        existed && mdb_get(w->txn, db->dbi[DB_FW], &k, &v) == 0 && rec_same(v, rw_val(&rw));
    v = rw_val(&rw);
    if (!fw_same)
        CHANGE_NOTE(w, DB_FW, k, &v);
    rc = fw_same ? 0 : mdb_put(w->txn, db->dbi[DB_FW], &k, &v, 0);
    rw_free(&rw);
    if (rc) {
        rc = lmdb_err(rc, err, "framework");
        goto out;
    }
    /* A load that changed nothing keeps the catalogue graph built on it. */
    if (!fw_same || la->st.created + la->st.updated + la->st.deleted)
        rc = bump_generation(w, err);
out:
    free(before.recs);
    bulk_call_end(&bc);
    return rc;
}

int cw_catalog_load(cw_db *db, cw_wtxn *w, const cw_framework *fw, const cw_requirement *reqs,
                    size_t n, bool replace, cw_bulk_stats *st, cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (!fw)
        return cw_err_set(err, CW_EINVAL, "framework: missing");
    int rc = cw_check_name("framework", fw->slug, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    if ((rc = check_text("name", fw->name, err)) ||
        (rc = check_text("version", fw->version, err)) ||
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

/* A record_match_fn: the scope decisions (org\0fw\0id) of framework fw. */
static bool scope_of_fw(void *fw, MDB_val k, MDB_val v)
{
    (void)v;
    const char *key = k.mv_data, *z = memchr(key, '\0', k.mv_size);
    size_t sl = strlen(fw), rest = z ? k.mv_size - (size_t)(z + 1 - key) : 0;
    return z && rest > sl && memcmp(z + 1, fw, sl) == 0 && z[1 + sl] == '\0';
}

static int catalog_delete_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct del_args *da = arg;
    cw_db *db = w->db;
    MDB_val k = {strlen(da->slug), (void *)da->slug};
    CHANGE_NOTE(w, DB_FW, k, NULL);
    int rc = mdb_del(w->txn, db->dbi[DB_FW], &k, NULL);
    if (rc == MDB_NOTFOUND)
        return cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", da->slug);
    if (rc)
        return lmdb_err(rc, err, "framework");
    cw_key pre;
    key_prefix(&pre, da->slug);
    if ((rc = delete_prefix(w, DB_REQ, &pre, &da->st.deleted, err)) ||
        (rc = delete_prefix(w, DB_CHILD, &pre, NULL, err)))
        return rc;
    /* Scope decisions are keyed org\0fw\0id: walk them all (they are few),
     * collect the matching keys, then delete. */
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "scope: out of memory");
    MDB_val *victims;
    size_t nv;
    rc = keys_where(w->txn, db, DB_SCOPE, scope_of_fw, (void *)da->slug, a, "scope", &victims, &nv,
                    err);
    for (size_t i = 0; rc == 0 && i < nv; i++) {
        CHANGE_NOTE(w, DB_SCOPE, victims[i], NULL);
        rc = lmdb_err(mdb_del(w->txn, db->dbi[DB_SCOPE], &victims[i], NULL), err, "scope");
    }
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

/* The requirements of framework fw as each_req hands them on: id, record
 * and whether it is a leaf (has no child index entry). */
typedef int (*req_fn)(void *ctx, const char *id, size_t idl, MDB_val v, bool leaf);

struct req_walk {
    const cw_key *pre; /* fw\0 */
    MDB_cursor *cc;    /* on the child index */
    req_fn fn;
    void *ctx;
};

static int req_walk_fn(void *ctx, const char *id, size_t idl, MDB_val v)
{
    struct req_walk *rw = ctx;
    cw_key k = *rw->pre;
    key_raw(&k, id, idl);
    MDB_val ck = key_val(&k), cv;
    return rw->fn(rw->ctx, id, idl, v, mdb_cursor_get(rw->cc, &ck, &cv, MDB_SET) != 0);
}

/* Calls fn for every requirement of fw in key order; stops at the first
 * non-zero and returns it. */
static int each_req(MDB_txn *txn, cw_db *db, const char *fw, req_fn fn, void *ctx)
{
    cw_key pre;
    key_prefix(&pre, fw);
    MDB_cursor *cc;
    if (mdb_cursor_open(txn, db->dbi[DB_CHILD], &cc))
        return CW_ESTORAGE;
    struct req_walk rw = {&pre, cc, fn, ctx};
    int rc = each_record(txn, db, DB_REQ, &pre, req_walk_fn, &rw, NULL, "requirements");
    mdb_cursor_close(cc);
    return rc;
}

/* A req_fn: counts a requirement into the cw_framework_info ctx.  The
 * assessable flag and status sit in the record, so each is read. */
static int count_req(void *ctx, const char *id, size_t idl, MDB_val v, bool leaf)
{
    (void)id;
    (void)idl;
    cw_framework_info *fi = ctx;
    bool assessable, withdrawn;
    fi->requirements++;
    fi->leaves += leaf;
    if (req_flags(v, leaf, &assessable, &withdrawn) == 0) {
        fi->withdrawn += withdrawn;
        fi->assessable += assessable && !withdrawn;
    }
    return 0;
}

/* Counts fw's requirements, leaves, assessed and withdrawn ones. */
static int count_reqs(MDB_txn *txn, cw_db *db, const char *slug, cw_framework_info *fi)
{
    fi->requirements = fi->leaves = fi->assessable = fi->withdrawn = 0;
    return each_req(txn, db, slug, count_req, fi);
}

/* An item_decode_fn for framework records (keyed by slug): out is a
 * cw_framework_info, its counts filled in after. */
static int decode_fw_info(cw_arena *a, const char *org, const char *slug, size_t sl, MDB_val v,
                          void *out)
{
    (void)org;
    return decode_fw(a, slug, sl, v, &((cw_framework_info *)out)->fw);
}

static const item_kind framework_records = {
    DB_FW, "framework", "framework", CW_ENOFW, sizeof(cw_framework_info), decode_fw_info, NULL};

/* An item_then_fn: a listed framework's counts. */
static void count_fw(MDB_txn *txn, cw_db *db, void *item)
{
    cw_framework_info *fi = item;
    count_reqs(txn, db, fi->fw.slug, fi);
}

int cw_framework_list(cw_db *db, cw_arena *a, cw_framework_info **out, size_t *n, cw_err *err)
{
    item_list l = {&framework_records, a, NULL, NULL, NULL, 0, 0, NULL, 0, false, 0};
    int rc = items_all(db, &l, count_fw, err);
    *out = l.items;
    *n = l.n;
    return rc;
}

int cw_framework_get(cw_db *db, const char *slug, cw_arena *a, cw_framework_info *out, cw_err *err)
{
    return named_get(db, &framework_records, slug, count_fw, a, out, err);
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

struct req_list {
    cw_arena *a;
    const char *fw; /* in a */
    seq_req *out;
    size_t n, cap;
};

/* A req_fn: decodes one requirement into the req_list ctx. */
static int list_req(void *ctx, const char *id, size_t idl, MDB_val v, bool leaf)
{
    struct req_list *l = ctx;
    seq_req *arr = cw_arena_grow(l->a, l->out, sizeof *arr, &l->cap, l->n + 1);
    if (!arr)
        return CW_ENOMEM;
    l->out = arr;
    cw_requirement *q = &arr[l->n].q;
    if (decode_req(l->a, l->fw, id, idl, v, q, &arr[l->n].seq))
        return 0;
    q->leaf = leaf;
    q->assessable = q->assess == CW_ASSESS_YES || (q->assess == CW_ASSESS_AUTO && q->leaf);
    l->n++;
    return 0;
}

/* Loads every requirement of fw (with leaf flags) in publisher order. */
static int load_all(MDB_txn *txn, cw_db *db, const char *fw, cw_arena *a, seq_req **out, size_t *n)
{
    struct req_list l = {a, cw_arena_strdup(a, fw), NULL, 0, 0};
    int rc = each_req(txn, db, fw, list_req, &l);
    if (l.n)
        qsort(l.out, l.n, sizeof *l.out, seq_cmp);
    *out = l.out;
    *n = l.n;
    return rc;
}

/* Answered from the catalogue graph, which holds every requirement decoded
 * with its children in publisher order: one lookup in memory instead of a
 * record decode plus a lookup per child. */
int cw_requirement_get(cw_db *db, const char *fw, const char *id, cw_arena *a, cw_requirement *out,
                       const char ***children, size_t *n_children, cw_err *err)
{
    return cw_requirement_get_at(db, fw, id, false, 0, a, out, children, n_children, err);
}

int cw_requirement_get_at(cw_db *db, const char *fw, const char *id, bool has_as_of, cw_time as_of,
                          cw_arena *a, cw_requirement *out, const char ***children,
                          size_t *n_children, cw_err *err)
{
    int rc;
    if ((rc = cw_check_name("framework", fw, CW_MAX_SLUG, err)) ||
        (rc = cw_check_name("id", id, CW_MAX_ID, err)))
        return rc;
    graph *g;
    if ((rc = graph_for_answer_at(db, a, has_as_of, as_of, &g, err)))
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
                            /* generations are never reused: unique per content;
                             * a past state's answer is not kept */
                            .answer_id = g->next == INT64_MAX ? (g->gen + 1) << 32 | x : 0};
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

static int node_seq_cmp(const void *pa, const void *pb)
{
    const g_node *a = *(const g_node *const *)pa, *b = *(const g_node *const *)pb;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return cw_id_cmp(a->id, b->id);
}

/* Every requirement of fw as the past graph g holds it, in publisher
 * order (the order load_all gives), into a. */
static int graph_reqs(const graph *g, uint32_t fw, cw_arena *a, seq_req **out, size_t *n)
{
    size_t cnt = 0;
    for (size_t i = 0; i < g->n; i++)
        cnt += g->nodes[i].fw == fw;
    const g_node **v = cw_arena_alloc(a, (cnt + 1) * sizeof *v);
    seq_req *r = cw_arena_alloc(a, (cnt + 1) * sizeof *r);
    if (!v || !r)
        return CW_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->nodes[i].fw == fw)
            v[k++] = &g->nodes[i];
    qsort(v, k, sizeof *v, node_seq_cmp);
    for (size_t i = 0; i < k; i++) {
        const g_node *x = v[i];
        r[i].q = (cw_requirement){.framework = g->fws[fw],
                                  .id = x->id,
                                  .parent = x->parent_id,
                                  .kind = x->kind,
                                  .title = x->title,
                                  .description = x->description,
                                  .attrs = x->attrs,
                                  .n_attrs = x->n_attrs,
                                  .leaf = x->leaf,
                                  .assess = x->assess,
                                  .withdrawn = x->withdrawn,
                                  .assessable = x->assessable};
        r[i].seq = x->seq;
    }
    *out = r;
    *n = k;
    return 0;
}

int cw_requirement_list(cw_db *db, const cw_req_filter *f, cw_arena *a, cw_requirement **out,
                        size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = cw_check_name("framework", f->framework, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    if ((f->parent && (rc = cw_check_name("parent", f->parent, CW_MAX_ID, err))) ||
        (f->after && (rc = cw_check_name("cursor", f->after, CW_MAX_ID, err))))
        return rc;
    seq_req *all;
    size_t na;
    if (f->has_as_of) {
        /* as recorded then: the past state's graph holds every field */
        graph *g;
        uint32_t x;
        if ((rc = graph_for_answer_at(db, a, true, f->as_of, &g, err)))
            return rc;
        graph_release(db, g); /* a holds it */
        uint32_t fw = graph_fw(g, f->framework);
        if (fw == G_NONE)
            return cw_err_set(err, CW_ENOFW, "framework: no framework '%s' as recorded then",
                              f->framework);
        if (f->parent && !graph_find(g, f->framework, f->parent, &x))
            return cw_err_set(err, CW_ENOREQ,
                              "parent: no requirement '%s' in framework '%s' as recorded then",
                              f->parent, f->framework);
        if ((rc = graph_reqs(g, fw, a, &all, &na)))
            return cw_err_set(err, rc, "requirements: out of memory");
    } else {
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
        rc = load_all(txn, db, f->framework, a, &all, &na);
        read_end(db, txn);
        if (rc)
            return cw_err_set(err, rc, "framework: cannot read '%s'", f->framework);
    }
    cw_requirement *res = cw_arena_alloc(a, (na + 1) * sizeof *res);
    if (!res)
        return cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
    size_t from = 0;
    if (f->after) {
        while (from < na && strcmp(all[from].q.id, f->after) != 0)
            from++;
        if (from == na)
            return cw_err_set(err, CW_ENOREQ, "cursor: no requirement '%s' in framework '%s'",
                              f->after, f->framework);
        from++;
    }
    for (size_t i = from; i < na && (!f->limit || *n < f->limit); i++) {
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
