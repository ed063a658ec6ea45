/* Crosswalk rows in LMDB and the queries over them.  A pair's record holds
 * one entry per origin; the map_idx database lists, under each endpoint,
 * the other end and the direction, so a requirement's mappings are found
 * from either side without a scan.  Path listing and the consistency check
 * run on the shared in-memory graph. */
#include "crosswalk/mapping.h"

#include "graph.h"

#include <stdio.h>
#include <string.h>

static const char *const rationales[] = {"syntactic", "semantic", "functional"};

static int validate(const cw_mapping *m, size_t i, cw_err *err)
{
    char f[112];
    int rc;
    snprintf(f, sizeof f, "mappings[%zu].source_framework", i);
    if ((rc = check_name(f, m->source_fw, CW_MAX_SLUG, err)))
        return rc;
    snprintf(f, sizeof f, "mappings[%zu].source", i);
    if ((rc = check_name(f, m->source_id, CW_MAX_ID, err)))
        return rc;
    snprintf(f, sizeof f, "mappings[%zu].target_framework", i);
    if ((rc = check_name(f, m->target_fw, CW_MAX_SLUG, err)))
        return rc;
    snprintf(f, sizeof f, "mappings[%zu].target", i);
    if ((rc = check_name(f, m->target_id, CW_MAX_ID, err)))
        return rc;
    if ((unsigned)m->rel > CW_REL_NOT_RELATED)
        return cw_err_set(err, CW_EREL,
                          "mappings[%zu].relationship: must be equal, subset_of, superset_of, "
                          "intersects_with or not_related",
                          i);
    if (m->strength < 0 || m->strength > 10)
        return cw_err_set(err, CW_ERANGE, "mappings[%zu].strength: %d is outside 1..10", i,
                          m->strength);
    if (m->rationale && *m->rationale) {
        bool ok = false;
        for (int j = 0; j < 3; j++)
            ok |= strcmp(m->rationale, rationales[j]) == 0;
        if (!ok)
            return cw_err_set(err, CW_EINVAL,
                              "mappings[%zu].rationale: '%.40s' is not syntactic, semantic or "
                              "functional",
                              i, m->rationale);
    }
    snprintf(f, sizeof f, "mappings[%zu].origin", i);
    if ((rc = check_name(f, m->origin, CW_MAX_ORIGIN, err)))
        return rc;
    if (strcmp(m->source_fw, m->target_fw) == 0 && strcmp(m->source_id, m->target_id) == 0)
        return cw_err_set(err, CW_ECONFLICT, "mappings[%zu].target: '%s' maps to itself", i,
                          m->source_id);
    return 0;
}

static void pair_key(cw_key *k, const char *sfw, const char *sid, const char *tfw,
                     const char *tid)
{
    key_init(k);
    key_part(k, sfw);
    key_part(k, sid);
    key_part(k, tfw);
    key_part(k, tid);
}

/* Index entry under one endpoint: dir byte then the other end fw\0id. */
static int idx_put(cw_wtxn *w, const char *fw, const char *id, char dir, const char *ofw,
                   const char *oid, bool del)
{
    cw_key k, v;
    key_init(&k);
    key_part(&k, fw);
    key_part(&k, id);
    key_init(&v);
    key_raw(&v, &dir, 1);
    key_raw(&v, ofw, strlen(ofw));
    key_sep(&v);
    key_raw(&v, oid, strlen(oid));
    MDB_val kv = key_val(&k), vv = key_val(&v);
    int rc = del ? mdb_del(w->txn, w->db->dbi[DB_MAPIDX], &kv, &vv)
                 : mdb_put(w->txn, w->db->dbi[DB_MAPIDX], &kv, &vv, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST || rc == MDB_NOTFOUND ? 0 : rc;
}

static void pack_entry(rec_writer *rw, const char *origin, int rel, int strength,
                       const char *rationale)
{
    rw_array(rw, 4);
    rw_str(rw, origin);
    rw_int(rw, rel);
    rw_int(rw, strength);
    rw_str(rw, rationale && *rationale ? rationale : NULL);
}

static void pack_obj_entry(rec_writer *rw, const msgpack_object *e)
{
    /* Re-packs a stored entry unchanged. */
    msgpack_pack_object(&rw->pk, *e);
}

static bool entry_origin_is(const msgpack_object *e, const char *origin)
{
    if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 1)
        return false;
    const msgpack_object *o = &e->via.array.ptr[0];
    size_t l = strlen(origin);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == l &&
           memcmp(o->via.str.ptr, origin, l) == 0;
}

struct load_args {
    const cw_mapping *maps;
    size_t n;
    cw_bulk_stats st;
};

static int load_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct load_args *la = arg;
    cw_db *db = w->db;
    int rc = 0;
    cw_arena *a = cw_arena_new();
    strmap seen;
    if (!a || strmap_init(&seen, a, la->n)) {
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
    }
    for (size_t i = 0; i < la->n && rc == 0; i++) {
        const cw_mapping *m = &la->maps[i];
        if ((rc = validate(m, i, err)))
            break;
        int e1 = req_exists(w->txn, db, m->source_fw, m->source_id, NULL);
        if (e1) {
            rc = e1 == CW_ENOFW ? cw_err_set(err, CW_EDANGLING,
                                             "mappings[%zu].source_framework: no framework '%s'",
                                             i, m->source_fw)
                                : cw_err_set(err, CW_EDANGLING,
                                             "mappings[%zu].source: no requirement '%s' in "
                                             "framework '%s'",
                                             i, m->source_id, m->source_fw);
            break;
        }
        int e2 = req_exists(w->txn, db, m->target_fw, m->target_id, NULL);
        if (e2) {
            rc = e2 == CW_ENOFW ? cw_err_set(err, CW_EDANGLING,
                                             "mappings[%zu].target_framework: no framework '%s'",
                                             i, m->target_fw)
                                : cw_err_set(err, CW_EDANGLING,
                                             "mappings[%zu].target: no requirement '%s' in "
                                             "framework '%s'",
                                             i, m->target_id, m->target_fw);
            break;
        }
        cw_key k;
        pair_key(&k, m->source_fw, m->source_id, m->target_fw, m->target_id);
        key_sep(&k);
        key_raw(&k, m->origin, strlen(m->origin));
        char *dk = cw_arena_strndup(a, k.b, k.n);
        size_t prev;
        if (!dk) {
            rc = cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
            break;
        }
        if (strmap_put(&seen, dk, k.n, i, &prev) == 1) {
            rc = cw_err_set(err, CW_ECONFLICT,
                            "mappings[%zu]: %s %s -> %s %s from '%s' appears twice (also "
                            "mappings[%zu])",
                            i, m->source_fw, m->source_id, m->target_fw, m->target_id,
                            m->origin, prev);
            break;
        }
        pair_key(&k, m->source_fw, m->source_id, m->target_fw, m->target_id);
        MDB_val kv = key_val(&k), v;
        rec_writer rw;
        rw_init(&rw);
        bool updated = false;
        if (mdb_get(w->txn, db->dbi[DB_MAP], &kv, &v) == 0) {
            rec_reader rr;
            if ((rc = rr_open(&rr, v, err))) {
                rw_free(&rw);
                break;
            }
            size_t keep = 0;
            for (size_t j = 0; j < rr.n; j++)
                keep += !entry_origin_is(&rr.o[j], m->origin);
            updated = keep != rr.n;
            rw_array(&rw, keep + 1);
            for (size_t j = 0; j < rr.n; j++)
                if (!entry_origin_is(&rr.o[j], m->origin))
                    pack_obj_entry(&rw, &rr.o[j]);
            rr_close(&rr);
        } else {
            rw_array(&rw, 1);
        }
        pack_entry(&rw, m->origin, m->rel, m->strength, m->rationale);
        v = rw_val(&rw);
        rc = mdb_put(w->txn, db->dbi[DB_MAP], &kv, &v, 0);
        rw_free(&rw);
        if (!rc)
            rc = idx_put(w, m->source_fw, m->source_id, 'S', m->target_fw, m->target_id, false);
        if (!rc)
            rc = idx_put(w, m->target_fw, m->target_id, 'T', m->source_fw, m->source_id, false);
        if (rc) {
            rc = lmdb_err(rc, err, "mappings");
            break;
        }
        if (updated)
            la->st.updated++;
        else
            la->st.created++;
    }
    cw_arena_free(a);
    if (rc == 0)
        rc = bump_generation(w, err);
    return rc;
}

int cw_mapping_load(cw_db *db, cw_wtxn *w, const cw_mapping *maps, size_t n,
                    cw_bulk_stats *st, cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (n && !maps)
        return cw_err_set(err, CW_EINVAL, "mappings: missing");
    struct load_args la = {maps, n, {0}};
    return write_bulk(db, w, load_fn, &la, &la.st, n, st, err);
}

/* ---- delete ---- */

struct del_args {
    const cw_mapping_filter *f;
    cw_bulk_stats st;
};

static bool part_is(const char *p, size_t l, const char *want)
{
    return !want || (strlen(want) == l && memcmp(p, want, l) == 0);
}

/* Splits a pair key into its four parts. */
static bool split4(const MDB_val *k, const char *p[4], size_t l[4])
{
    const char *s = k->mv_data, *end = s + k->mv_size;
    for (int i = 0; i < 4; i++) {
        const char *z = i < 3 ? memchr(s, '\0', (size_t)(end - s)) : end;
        if (!z)
            return false;
        p[i] = s;
        l[i] = (size_t)(z - s);
        s = z + 1;
    }
    return true;
}

static bool pair_matches(const cw_mapping_filter *f, const char *p[4], size_t l[4])
{
    if (f->framework && !part_is(p[0], l[0], f->framework) && !part_is(p[2], l[2], f->framework))
        return false;
    bool fwd = part_is(p[0], l[0], f->source_fw) && part_is(p[1], l[1], f->source_id) &&
               part_is(p[2], l[2], f->target_fw) && part_is(p[3], l[3], f->target_id);
    bool rev = part_is(p[2], l[2], f->source_fw) && part_is(p[3], l[3], f->source_id) &&
               part_is(p[0], l[0], f->target_fw) && part_is(p[1], l[1], f->target_id);
    return fwd || rev;
}

static int del_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct del_args *da = arg;
    const cw_mapping_filter *f = da->f;
    cw_db *db = w->db;
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
    /* Collect the matching pairs first, then rewrite them: the cursor is
     * not disturbed by writes that way. */
    typedef struct {
        char *key;
        size_t len;
    } victim;
    victim *vs = NULL;
    size_t nv = 0, cap = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, db->dbi[DB_MAP], &c);
    if (rc) {
        cw_arena_free(a);
        return lmdb_err(rc, err, "mappings");
    }
    MDB_val k, v;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const char *p[4];
        size_t l[4];
        if (!split4(&k, p, l) || !pair_matches(f, p, l))
            continue;
        victim *arr = cw_arena_grow(a, vs, sizeof *vs, &cap, nv + 1);
        if (!arr)
            break;
        vs = arr;
        vs[nv].key = cw_arena_strndup(a, k.mv_data, k.mv_size);
        vs[nv++].len = k.mv_size;
    }
    mdb_cursor_close(c);
    for (size_t i = 0; i < nv && rc == 0; i++) {
        k = (MDB_val){vs[i].len, vs[i].key};
        if (mdb_get(w->txn, db->dbi[DB_MAP], &k, &v))
            continue;
        rec_reader rr;
        if ((rc = rr_open(&rr, v, err)))
            break;
        size_t keep = 0;
        for (size_t j = 0; j < rr.n; j++)
            keep += f->origin && !entry_origin_is(&rr.o[j], f->origin);
        da->st.deleted += rr.n - keep;
        if (keep == rr.n) {
            rr_close(&rr);
            continue;
        }
        if (keep) {
            rec_writer rw;
            rw_init(&rw);
            rw_array(&rw, keep);
            for (size_t j = 0; j < rr.n; j++)
                if (!entry_origin_is(&rr.o[j], f->origin))
                    pack_obj_entry(&rw, &rr.o[j]);
            MDB_val nv2 = rw_val(&rw);
            rc = mdb_put(w->txn, db->dbi[DB_MAP], &k, &nv2, 0);
            rw_free(&rw);
            rr_close(&rr);
            continue;
        }
        rr_close(&rr);
        const char *p[4];
        size_t l[4];
        split4(&k, p, l);
        char *s[4];
        for (int j = 0; j < 4; j++)
            s[j] = cw_arena_strndup(a, p[j], l[j]);
        rc = mdb_del(w->txn, db->dbi[DB_MAP], &k, NULL);
        if (!rc)
            rc = idx_put(w, s[0], s[1], 'S', s[2], s[3], true);
        if (!rc)
            rc = idx_put(w, s[2], s[3], 'T', s[0], s[1], true);
    }
    cw_arena_free(a);
    if (rc)
        return rc < 0 ? rc : lmdb_err(rc, err, "mappings");
    return da->st.deleted ? bump_generation(w, err) : 0;
}

int cw_mapping_delete(cw_db *db, cw_wtxn *w, const cw_mapping_filter *f, cw_bulk_stats *st,
                      cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (!f || !(f->source_fw || f->source_id || f->target_fw || f->target_id || f->origin ||
                f->framework))
        return cw_err_set(err, CW_EINVAL,
                          "mappings: give at least one of source_framework, source, "
                          "target_framework, target, origin or framework");
    struct del_args da = {f, {0}};
    int rc = write_run(db, w, del_fn, &da, err);
    if (st && rc == 0)
        *st = da.st;
    return rc;
}

/* ---- list ---- */

struct list_ctx {
    const graph *g;
    cw_arena *a;
    uint32_t target_fw;
    cw_path *out;
    size_t n, cap;
};

static int list_cb(void *ctx, const uint32_t *nodes, const g_edge *const *edges, size_t hops,
                   cw_rel composed)
{
    struct list_ctx *lc = ctx;
    if (hops >= 2 && composed == CW_REL_UNKNOWN)
        return 0;
    if (lc->target_fw != G_NONE && lc->g->nodes[nodes[hops]].fw != lc->target_fw)
        return 0;
    cw_path *p = graph_path(lc->g, lc->a, nodes, edges, hops, composed);
    cw_path *arr = cw_arena_grow(lc->a, lc->out, sizeof *arr, &lc->cap, lc->n + 1);
    if (!p || !arr)
        return CW_ENOMEM;
    lc->out = arr;
    arr[lc->n++] = *p;
    return 0;
}

int cw_mapping_list(cw_db *db, const cw_mapping_query *q, cw_arena *a, cw_path **out,
                    size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc;
    if ((rc = check_name("framework", q->framework, CW_MAX_SLUG, err)))
        return rc;
    if (q->id && (rc = check_name("id", q->id, CW_MAX_ID, err)))
        return rc;
    if (q->target_framework && (rc = check_name("target_framework", q->target_framework,
                                                CW_MAX_SLUG, err)))
        return rc;
    int hops = q->max_hops ? q->max_hops : 1;
    if (hops < 1 || hops > CW_MAX_HOPS)
        return cw_err_set(err, CW_ERANGE, "max_hops: %d is outside 1..%d", q->max_hops,
                          CW_MAX_HOPS);
    graph *g;
    if ((rc = graph_for_answer(db, a, &g, err)))
        return rc;
    struct list_ctx lc = {g, a, G_NONE, NULL, 0, 0};
    uint32_t fw = graph_fw(g, q->framework);
    if (fw == G_NONE) {
        rc = cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", q->framework);
        goto out;
    }
    if (q->target_framework) {
        lc.target_fw = graph_fw(g, q->target_framework);
        if (lc.target_fw == G_NONE) {
            rc = cw_err_set(err, CW_ENOFW, "target_framework: no framework '%s'",
                            q->target_framework);
            goto out;
        }
    }
    if (q->id) {
        uint32_t s;
        if (!graph_find(g, q->framework, q->id, &s)) {
            rc = cw_err_set(err, CW_ENOREQ, "id: no requirement '%s' in framework '%s'", q->id,
                            q->framework);
            goto out;
        }
        rc = graph_walk(g, s, hops, false, list_cb, &lc);
    } else {
        /* Every requirement of the framework, in publisher order. */
        for (size_t i = 0; rc == 0 && i < g->n; i++) {
            if (g->nodes[i].fw != fw || g->nodes[i].parent != G_NONE)
                continue;
            uint32_t stack[256];
            size_t sp = 0;
            stack[sp++] = (uint32_t)i;
            while (sp && rc == 0) {
                uint32_t x = stack[--sp];
                rc = graph_walk(g, x, hops, false, list_cb, &lc);
                const g_node *nd = &g->nodes[x];
                for (uint32_t j = nd->n_kids; j-- > 0 && sp < 256;)
                    stack[sp++] = nd->kids[j];
            }
        }
    }
    if (rc)
        cw_err_set(err, rc, "mappings: out of memory");
    *out = lc.out;
    *n = lc.n;
out:
    graph_release(db, g);
    return rc;
}

/* ---- rows as stored ---- */

static bool part_eq(const char *p, size_t l, const char *s)
{
    return strlen(s) == l && memcmp(p, s, l) == 0;
}

int cw_mapping_rows(cw_db *db, const char *framework, const char *target_framework,
                    cw_arena *a, cw_mapping **out, size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc;
    if ((rc = check_name("framework", framework, CW_MAX_SLUG, err)) ||
        (target_framework &&
         (rc = check_name("target_framework", target_framework, CW_MAX_SLUG, err))))
        return rc;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    if (fw_exists(txn, db, framework)) {
        read_end(db, txn);
        return cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", framework);
    }
    if (target_framework && fw_exists(txn, db, target_framework)) {
        read_end(db, txn);
        return cw_err_set(err, CW_ENOFW, "target_framework: no framework '%s'",
                          target_framework);
    }
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, db->dbi[DB_MAP], &c))) {
        read_end(db, txn);
        return lmdb_err(rc, err, "mappings");
    }
    size_t cap = 0;
    MDB_val k, v;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0 && rc == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const char *p[4];
        size_t l[4];
        if (!split4(&k, p, l))
            continue;
        bool s_is = part_eq(p[0], l[0], framework), t_is = part_eq(p[2], l[2], framework);
        if (!s_is && !t_is)
            continue;
        if (target_framework && !((s_is && part_eq(p[2], l[2], target_framework)) ||
                                  (t_is && part_eq(p[0], l[0], target_framework))))
            continue;
        rec_reader rr;
        if (rr_open(&rr, v, NULL))
            continue;
        for (size_t i = 0; i < rr.n; i++) {
            const msgpack_object *e = &rr.o[i];
            if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 4)
                continue;
            cw_mapping *arr = cw_arena_grow(a, *out, sizeof *arr, &cap, *n + 1);
            if (!arr) {
                rc = cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
                break;
            }
            *out = arr;
            arr[(*n)++] = (cw_mapping){
                cw_arena_strndup(a, p[0], l[0]), cw_arena_strndup(a, p[1], l[1]),
                cw_arena_strndup(a, p[2], l[2]), cw_arena_strndup(a, p[3], l[3]),
                (cw_rel)obj_int(&e->via.array.ptr[1], CW_REL_INTERSECTS_WITH),
                (int)obj_int(&e->via.array.ptr[2], 0), obj_str(a, &e->via.array.ptr[3]),
                obj_str(a, &e->via.array.ptr[0])};
        }
        rr_close(&rr);
    }
    mdb_cursor_close(c);
    read_end(db, txn);
    return rc;
}

/* ---- check ---- */

static int add_finding(cw_arena *a, cw_finding **out, size_t *n, size_t *cap, const char *kind,
                       cw_ref x, cw_ref y, const char *detail)
{
    cw_finding *arr = cw_arena_grow(a, *out, sizeof **out, cap, *n + 1);
    if (!arr)
        return CW_ENOMEM;
    *out = arr;
    arr[(*n)++] = (cw_finding){kind, x, y, cw_arena_strdup(a, detail)};
    return 0;
}

int cw_mapping_check(cw_db *db, const char *framework, cw_arena *a, cw_finding **out,
                     size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc;
    if (framework && (rc = check_name("framework", framework, CW_MAX_SLUG, err)))
        return rc;
    graph *g;
    if ((rc = graph_for_answer(db, a, &g, err)))
        return rc;
    uint32_t fw = G_NONE;
    if (framework && (fw = graph_fw(g, framework)) == G_NONE) {
        /* A deleted framework can still have dangling rows; only refuse a
         * slug nothing mentions. */
        bool mentioned = false;
        for (size_t i = 0; i < g->n_dangling; i++)
            mentioned |= strcmp(g->dangling[i].s.framework, framework) == 0 ||
                          strcmp(g->dangling[i].t.framework, framework) == 0;
        if (!mentioned) {
            graph_release(db, g);
            return cw_err_set(err, CW_ENOFW, "framework: no framework '%s'", framework);
        }
    }
    size_t cap = 0;
    char detail[512];
    for (size_t i = 0; rc == 0 && i < g->n_dangling; i++) {
        const struct g_dangling *d = &g->dangling[i];
        if (framework && strcmp(d->s.framework, framework) && strcmp(d->t.framework, framework))
            continue;
        snprintf(detail, sizeof detail, "%s%s%s does not exist (row from '%s')",
                 d->s_missing ? "source" : "", d->s_missing && d->t_missing ? " and " : "",
                 d->t_missing ? "target" : "", d->origin ? d->origin : "?");
        rc = add_finding(a, out, n, &cap, "dangling", d->s, d->t, detail);
    }
    for (size_t u = 0; rc == 0 && u < g->n; u++) {
        const g_node *nu = &g->nodes[u];
        for (uint32_t i = 0; rc == 0 && i < nu->n_edges; i++) {
            uint32_t v = nu->edges[i].to;
            if (v < u)
                continue; /* each pair once, from its lower node */
            if (framework && (fw == G_NONE || (nu->fw != fw && g->nodes[v].fw != fw)))
                continue;
            /* First edge to v decides; later ones to the same v skip. */
            bool first = true;
            for (uint32_t j = 0; j < i; j++)
                first &= nu->edges[j].to != v;
            if (!first)
                continue;
            unsigned rels = 0;
            size_t dl = 0;
            detail[0] = '\0';
            for (uint32_t j = i; j < nu->n_edges; j++) {
                if (nu->edges[j].to != v)
                    continue;
                rels |= 1u << nu->edges[j].rel;
                if (dl < sizeof detail - 1)
                    dl += (size_t)snprintf(detail + dl, sizeof detail - dl, "%s%s (%s)",
                                           dl ? ", " : "", cw_rel_name(nu->edges[j].rel),
                                           nu->edges[j].origin ? nu->edges[j].origin : "?");
            }
            if (dl >= sizeof detail)
                dl = sizeof detail - 1;
            cw_ref x = {g->fws[nu->fw], nu->id}, y = {g->fws[g->nodes[v].fw], g->nodes[v].id};
            unsigned sub = 1u << CW_REL_SUBSET_OF, sup = 1u << CW_REL_SUPERSET_OF;
            if ((rels & sub) && (rels & sup) && !(rels & (1u << CW_REL_EQUAL)))
                rc = add_finding(a, out, n, &cap, "subset_both_ways", x, y, detail);
            else if (rels & (rels - 1))
                rc = add_finding(a, out, n, &cap, "conflict", x, y, detail);
        }
    }
    graph_release(db, g);
    if (rc)
        return cw_err_set(err, rc, "findings: out of memory");
    return 0;
}
