/* Crosswalk rows in LMDB and the queries over them.  A pair's record holds
 * one entry per origin; the map_idx database lists, under each endpoint,
 * the other end and the direction, so a requirement's mappings are found
 * from either side without a scan.  A joint row (a source set that together
 * relates to one target) is stored once under its target and a hash of its
 * ordered set, with one joint_idx entry per member.  Path listing and the
 * consistency check run on the shared in-memory graph. */
#include "crosswalk/mapping.h"

#include "graph.h"

#include <stdio.h>
#include <string.h>

static bool is_joint(const cw_mapping *m)
{
    return m->source_ids != NULL || m->n_sources > 0;
}

/* Order of a joint row's members: natural id order, bytes on a tie, so a
 * set has one spelling whatever order it was given in. */
static int member_cmp(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int c = cw_id_cmp(a, b);
    return c ? c : strcmp(a, b);
}

/* FNV-1a over the ordered ids, NUL-separated: the set's part of the key
 * (the full set is in the record and compared on every write). */
static uint64_t joint_hash(const char *const *ids, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)ids[i]; *p; p++)
            h = (h ^ *p) * UINT64_C(0x100000001b3);
        h = (h ^ 0) * UINT64_C(0x100000001b3);
    }
    return h;
}

static void joint_key(cw_key *k, const char *tfw, const char *tid, const char *sfw,
                      const char *const *ids, size_t n)
{
    key_init(k);
    key_part(k, tfw);
    key_part(k, tid);
    key_part(k, sfw);
    key_sep(k);
    unsigned char h[8];
    be64_put(h, joint_hash(ids, n));
    key_raw(k, h, 8);
}

/* The joint-specific checks: 2..CW_MAX_JOINT non-empty ids, none twice,
 * the target not among them.  *sorted receives the ids in member order
 * (arena a). */
static int validate_joint(const cw_mapping *m, size_t i, cw_arena *a, const char ***sorted,
                          cw_err *err)
{
    int rc;
    if (m->n_sources < 2 || m->n_sources > CW_MAX_JOINT || !m->source_ids)
        return cw_err_set(err, CW_EINVAL,
                          "mappings[%zu].source: a joint row names 2..%d requirements, got %zu", i,
                          CW_MAX_JOINT, m->n_sources);
    const char **ids = cw_arena_alloc(a, m->n_sources * sizeof *ids);
    if (!ids)
        return cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
    for (size_t j = 0; j < m->n_sources; j++) {
        if ((rc = check_name_at(m->source_ids[j], CW_MAX_ID, err, "mappings[%zu].source[%zu]", i,
                                j)))
            return rc;
        if (strcmp(m->source_fw, m->target_fw) == 0 && strcmp(m->source_ids[j], m->target_id) == 0)
            return cw_err_set(err, CW_EINVAL,
                              "mappings[%zu].source[%zu]: '%s' is the row's own target; a joint "
                              "row's set cannot contain its target",
                              i, j, m->source_ids[j]);
        size_t k;
        if (repeats_earlier(m->source_ids, j, &k))
            return cw_err_set(err, CW_EINVAL,
                              "mappings[%zu].source[%zu]: '%s' appears twice in the set (also "
                              "source[%zu])",
                              i, j, m->source_ids[j], k);
        ids[j] = m->source_ids[j];
    }
    qsort(ids, m->n_sources, sizeof *ids, member_cmp);
    *sorted = ids;
    return 0;
}

static int validate(const cw_mapping *m, size_t i, cw_err *err)
{
    int rc;
    if ((rc = check_name_at(m->source_fw, CW_MAX_SLUG, err, "mappings[%zu].source_framework", i)) ||
        (!is_joint(m) &&
         (rc = check_name_at(m->source_id, CW_MAX_ID, err, "mappings[%zu].source", i))) ||
        (rc = check_name_at(m->target_fw, CW_MAX_SLUG, err, "mappings[%zu].target_framework", i)) ||
        (rc = check_name_at(m->target_id, CW_MAX_ID, err, "mappings[%zu].target", i)))
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
        if (!cw_rationale_ok(m->rationale))
            return cw_err_set(err, CW_EINVAL,
                              "mappings[%zu].rationale: '%.40s' is not syntactic, semantic or "
                              "functional",
                              i, m->rationale);
    }
    if ((rc = check_name_at(m->origin, CW_MAX_ORIGIN, err, "mappings[%zu].origin", i)))
        return rc;
    if (m->note && strlen(m->note) > CW_MAX_NOTE)
        return cw_err_set(err, CW_EINVAL, "mappings[%zu].note: longer than %d bytes", i,
                          CW_MAX_NOTE);
    if (!is_joint(m) && strcmp(m->source_fw, m->target_fw) == 0 &&
        strcmp(m->source_id, m->target_id) == 0)
        return cw_err_set(err, CW_ECONFLICT, "mappings[%zu].target: '%s' maps to itself", i,
                          m->source_id);
    return 0;
}

static void pair_key(cw_key *k, const char *sfw, const char *sid, const char *tfw, const char *tid)
{
    key_init(k);
    key_part(k, sfw);
    key_part(k, sid);
    key_part(k, tfw);
    key_part(k, tid);
}

/* Index entry under one endpoint: dir byte then the other end fw\0id. */
static int idx_put(cw_wtxn *w, const char *fw, const char *id, char dir, const char *ofw,
                   const char *oid, bool del, cw_err *err)
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
    return index_put(w, DB_MAPIDX, key_val(&k), key_val(&v), del, "mappings", err);
}

/* A joint row's entry under one member: the row's key. */
static int jidx_put(cw_wtxn *w, const char *sfw, const char *member, const cw_key *jk, bool del,
                    cw_err *err)
{
    cw_key k;
    key_init(&k);
    key_part(&k, sfw);
    key_part(&k, member);
    return index_put(w, DB_JOINTIDX, key_val(&k), key_val(jk), del, "mappings", err);
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

/* The stored record's entry list: a pair's record is the list; a joint
 * row's holds it after the members. */
static const msgpack_object *entry_list(rec_reader *rr, int dbi)
{
    return dbi == DB_JOINT ? rr_at(rr, 1) : &rr->u.data;
}

/* How many entries of es remain once origin's are dropped (none when
 * origin is NULL: then every entry goes). */
static size_t entries_kept(const msgpack_object *es, const char *origin)
{
    size_t n = es && es->type == MSGPACK_OBJECT_ARRAY ? es->via.array.size : 0, keep = 0;
    for (size_t j = 0; origin && j < n; j++)
        keep += !entry_origin_is(&es->via.array.ptr[j], origin);
    return keep;
}

/* Rewrites the entry list es (msgpack array of [origin, ...] entries)
 * without origin, then with the new entry m when given; returns the packed
 * array in rw.  *replaced tells whether an entry of that origin was there. */
static void entries_replace(rec_writer *rw, const msgpack_object *es, const char *origin,
                            const cw_mapping *m, bool *replaced)
{
    size_t n = es && es->type == MSGPACK_OBJECT_ARRAY ? es->via.array.size : 0;
    size_t keep = entries_kept(es, origin);
    *replaced = keep != n;
    rw_array(rw, keep + (m ? 1 : 0));
    for (size_t j = 0; j < n; j++)
        if (!entry_origin_is(&es->via.array.ptr[j], origin))
            pack_obj_entry(rw, &es->via.array.ptr[j]);
    if (m)
        encode_map_entry(rw, m);
}

static bool members_equal(const msgpack_object *ms, const char *const *ids, size_t n)
{
    if (!ms || ms->type != MSGPACK_OBJECT_ARRAY || ms->via.array.size != n)
        return false;
    for (size_t j = 0; j < n; j++) {
        const msgpack_object *o = &ms->via.array.ptr[j];
        size_t l = strlen(ids[j]);
        if (o->type != MSGPACK_OBJECT_STR || o->via.str.size != l ||
            memcmp(o->via.str.ptr, ids[j], l) != 0)
            return false;
    }
    return true;
}

/* What a put did to one row. */
enum { ROW_CREATED, ROW_UPDATED, ROW_UNCHANGED };

/* Whether the entry list es holds origin's entry exactly as m would be
 * written: compared as packed bytes (entries are encoded one way only). */
static bool entry_same(const msgpack_object *es, const cw_mapping *m)
{
    size_t n = es && es->type == MSGPACK_OBJECT_ARRAY ? es->via.array.size : 0;
    for (size_t j = 0; j < n; j++) {
        if (!entry_origin_is(&es->via.array.ptr[j], m->origin))
            continue;
        rec_writer was, now;
        rw_init(&was);
        rw_init(&now);
        pack_obj_entry(&was, &es->via.array.ptr[j]);
        encode_map_entry(&now, m);
        bool same = rec_same(rw_val(&was), rw_val(&now));
        rw_free(&was);
        rw_free(&now);
        return same;
    }
    return false;
}

/* Writes record k of dbi with m's entry in place of any of its origin's;
 * *how: ROW_CREATED, ROW_UPDATED (there was one), or ROW_UNCHANGED (there
 * was one just like it: nothing is written).  rw holds what precedes the
 * entries (a joint row's members, ids, which the stored record must hold
 * too). */
static int put_entry(cw_wtxn *w, int dbi, const cw_key *k, rec_writer *rw, const cw_mapping *m,
                     const char *const *ids, size_t i, int *how, cw_err *err)
{
    MDB_val kv = key_val(k), v;
    rec_reader rr;
    bool stored = mdb_get(w->txn, w->db->dbi[dbi], &kv, &v) == 0;
    int rc = stored ? rr_open(&rr, v, err) : 0;
    if (rc)
        return rc;
    if (stored && ids && !members_equal(rr_at(&rr, 0), ids, m->n_sources)) {
        /* Two sets with one 64-bit hash: never seen, refused if it is. */
        rr_close(&rr);
        return cw_err_set(err, CW_ECONFLICT,
                          "mappings[%zu].source: the set's 64-bit key collides with a "
                          "different set already stored for this target; it cannot be "
                          "stored",
                          i);
    }
    if (stored && entry_same(entry_list(&rr, dbi), m)) {
        rr_close(&rr);
        *how = ROW_UNCHANGED;
        return 0;
    }
    bool replaced;
    entries_replace(rw, stored ? entry_list(&rr, dbi) : NULL, m->origin, m, &replaced);
    *how = replaced ? ROW_UPDATED : ROW_CREATED;
    if (stored)
        rr_close(&rr);
    v = rw_val(rw);
    CHANGE_NOTE(w, dbi, kv, &v);
    return lmdb_err(mdb_put(w->txn, w->db->dbi[dbi], &kv, &v, 0), err, "mappings");
}

/* Refuses row i whose end (fw, id) is not in the catalogue; end names the
 * row's field ("source", "target"). */
static int end_exists(cw_wtxn *w, const char *fw, const char *id, size_t i, const char *end,
                      cw_err *err)
{
    int rc = req_exists(w->txn, w->db, fw, id, NULL);
    if (rc == CW_ENOFW)
        return cw_err_set(err, CW_EDANGLING, "mappings[%zu].%s_framework: no framework '%s'", i,
                          end, fw);
    if (rc)
        return cw_err_set(err, CW_EDANGLING,
                          "mappings[%zu].%s: no requirement '%s' in framework '%s'", i, end, id,
                          fw);
    return 0;
}

/* Row i, stored at k with origin, seen earlier in the batch?  seen holds
 * pair and joint rows alike; tag ('P', 'J') keeps the two apart.  1 seen
 * (*prev: where), 0 not, CW_ENOMEM. */
static int seen_before(strmap *seen, cw_arena *a, char tag, const cw_key *k, const char *origin,
                       size_t i, size_t *prev)
{
    size_t ol = strlen(origin);
    char *dk = cw_arena_alloc(a, k->n + ol + 2);
    if (!dk)
        return CW_ENOMEM;
    dk[0] = tag;
    memcpy(dk + 1, k->b, k->n);
    dk[k->n + 1] = '\0';
    memcpy(dk + k->n + 2, origin, ol);
    int r = strmap_put(seen, dk, k->n + ol + 2, i, prev);
    return r < 0 ? CW_ENOMEM : r;
}

/* Stores joint row m (already validated) as mappings[i]: every member and
 * the target must exist; the same (set, target, origin) twice in one batch
 * is a conflict, as for pairs. */
static int joint_put(cw_wtxn *w, const cw_mapping *m, size_t i, bulk_call *bc, int *how,
                     cw_err *err)
{
    const char **ids = NULL;
    int rc = validate_joint(m, i, bc->a, &ids, err);
    if (rc)
        return rc;
    if (fw_exists(w->txn, w->db, m->source_fw))
        return cw_err_set(err, CW_EDANGLING, "mappings[%zu].source_framework: no framework '%s'", i,
                          m->source_fw);
    for (size_t j = 0; j < m->n_sources; j++)
        if (req_exists(w->txn, w->db, m->source_fw, m->source_ids[j], NULL))
            return cw_err_set(err, CW_EDANGLING,
                              "mappings[%zu].source[%zu]: no requirement '%s' in framework '%s'", i,
                              j, m->source_ids[j], m->source_fw);
    if ((rc = end_exists(w, m->target_fw, m->target_id, i, "target", err)))
        return rc;
    cw_key k;
    joint_key(&k, m->target_fw, m->target_id, m->source_fw, ids, m->n_sources);
    size_t prev;
    if ((rc = seen_before(&bc->seen, bc->a, 'J', &k, m->origin, i, &prev)))
        return rc == 1 ? cw_err_set(err, CW_ECONFLICT,
                                    "mappings[%zu]: the joint row %s {%s, ...} -> %s %s from '%s' "
                                    "appears twice (also mappings[%zu])",
                                    i, m->source_fw, ids[0], m->target_fw, m->target_id, m->origin,
                                    prev)
                       : cw_err_set(err, rc, "mappings: out of memory");
    rec_writer rw;
    rw_init(&rw);
    rw_array(&rw, 2);
    rw_array(&rw, m->n_sources);
    for (size_t j = 0; j < m->n_sources; j++)
        rw_str(&rw, ids[j]);
    rc = put_entry(w, DB_JOINT, &k, &rw, m, ids, i, how, err);
    rw_free(&rw);
    for (size_t j = 0; !rc && *how != ROW_UNCHANGED && j < m->n_sources; j++)
        rc = jidx_put(w, m->source_fw, ids[j], &k, false, err);
    return rc;
}

/* Stores the single row m (already validated) as mappings[i], indexed
 * under both ends. */
static int pair_put(cw_wtxn *w, const cw_mapping *m, size_t i, bulk_call *bc, int *how, cw_err *err)
{
    int rc;
    if ((rc = end_exists(w, m->source_fw, m->source_id, i, "source", err)) ||
        (rc = end_exists(w, m->target_fw, m->target_id, i, "target", err)))
        return rc;
    cw_key k;
    pair_key(&k, m->source_fw, m->source_id, m->target_fw, m->target_id);
    size_t prev;
    if ((rc = seen_before(&bc->seen, bc->a, 'P', &k, m->origin, i, &prev)))
        return rc == 1 ? cw_err_set(err, CW_ECONFLICT,
                                    "mappings[%zu]: %s %s -> %s %s from '%s' appears twice (also "
                                    "mappings[%zu])",
                                    i, m->source_fw, m->source_id, m->target_fw, m->target_id,
                                    m->origin, prev)
                       : cw_err_set(err, rc, "mappings: out of memory");
    rec_writer rw;
    rw_init(&rw);
    rc = put_entry(w, DB_MAP, &k, &rw, m, NULL, i, how, err);
    rw_free(&rw);
    if (rc || *how == ROW_UNCHANGED)
        return rc; /* an unchanged row is indexed already */
    rc = idx_put(w, m->source_fw, m->source_id, 'S', m->target_fw, m->target_id, false, err);
    if (!rc)
        rc = idx_put(w, m->target_fw, m->target_id, 'T', m->source_fw, m->source_id, false, err);
    return rc;
}

static int load_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    bulk_args *ba = arg;
    bulk_call bc;
    int rc = bulk_call_begin(&bc, ba->n, "mappings", err);
    for (size_t i = 0; i < ba->n && rc == 0; i++) {
        const cw_mapping *m = (const cw_mapping *)ba->items + i;
        int how = ROW_CREATED;
        if (!(rc = validate(m, i, err)))
            rc = is_joint(m) ? joint_put(w, m, i, &bc, &how, err)
                             : pair_put(w, m, i, &bc, &how, err);
        if (rc)
            break;
        if (how == ROW_UPDATED)
            ba->st.updated++;
        else if (how == ROW_UNCHANGED)
            ba->st.unchanged++;
        else
            ba->st.created++;
    }
    bulk_call_end(&bc);
    /* Nothing changed, nothing to rebuild: the catalogue graph stays. */
    if (rc || ba->st.created + ba->st.updated == 0)
        return rc;
    return bump_generation(w, err);
}

int cw_mapping_load(cw_db *db, cw_wtxn *w, const cw_mapping *maps, size_t n, cw_bulk_stats *st,
                    cw_err *err)
{
    return write_items(db, w, load_fn, "mappings", maps, n, st, err);
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

/* Splits a joint key tfw\0tid\0sfw\0hash8 into its three names. */
static bool split_joint(const MDB_val *k, const char *p[3], size_t l[3])
{
    if (k->mv_size < 9)
        return false;
    const char *s = k->mv_data, *end = s + k->mv_size - 9;
    for (int i = 0; i < 3; i++) {
        const char *z = memchr(s, '\0', (size_t)(end - s + (i == 2)));
        if (!z || (i == 2 && z != end))
            return false;
        p[i] = s;
        l[i] = (size_t)(z - s);
        s = z + 1;
    }
    return true;
}

static bool joint_matches(const cw_mapping_filter *f, const char *p[3], size_t l[3],
                          const msgpack_object *members, const char *const *want)
{
    if (f->source_id)
        return false; /* a single source id names single rows only */
    if (f->framework && !part_is(p[0], l[0], f->framework) && !part_is(p[2], l[2], f->framework))
        return false;
    if (!part_is(p[2], l[2], f->source_fw) || !part_is(p[0], l[0], f->target_fw) ||
        !part_is(p[1], l[1], f->target_id))
        return false;
    return !want || members_equal(members, want, f->n_sources);
}

struct joint_match {
    const cw_mapping_filter *f;
    const char *const *want; /* f->sources in member order, or NULL */
};

/* A record_match_fn: the joint rows f names. */
static bool joint_hit(void *ctx, MDB_val k, MDB_val v)
{
    const struct joint_match *jm = ctx;
    const char *p[3];
    size_t l[3];
    rec_reader rr;
    if (!split_joint(&k, p, l) || rr_open(&rr, v, NULL))
        return false;
    bool hit = joint_matches(jm->f, p, l, rr_at(&rr, 0), jm->want);
    rr_close(&rr);
    return hit;
}

/* A record_match_fn: the pairs f names (none when it names a set). */
static bool pair_hit(void *ctx, MDB_val k, MDB_val v)
{
    (void)v;
    const cw_mapping_filter *f = ctx;
    const char *p[4];
    size_t l[4];
    return !f->sources && split4(&k, p, l) && pair_matches(f, p, l);
}

/* Removes the index entries of the row stored at k (record rr): a pair's
 * under both ends, a joint row's under each member. */
static int unindex_row(cw_wtxn *w, int dbi, MDB_val k, rec_reader *rr, cw_arena *a, cw_err *err)
{
    if (dbi == DB_MAP) {
        const char *p[4];
        size_t l[4];
        char *s[4];
        if (!split4(&k, p, l))
            return cw_err_set(err, CW_ECORRUPT, "mappings: a crosswalk row's key is malformed");
        for (int j = 0; j < 4; j++)
            if (!(s[j] = cw_arena_strndup(a, p[j], l[j])))
                return cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
        int rc = idx_put(w, s[0], s[1], 'S', s[2], s[3], true, err);
        return rc ? rc : idx_put(w, s[2], s[3], 'T', s[0], s[1], true, err);
    }
    const char *p[3];
    size_t l[3];
    if (!split_joint(&k, p, l))
        return cw_err_set(err, CW_ECORRUPT, "mappings: a joint row's key is malformed");
    char *sfw = cw_arena_strndup(a, p[2], l[2]);
    cw_key jk;
    key_init(&jk);
    key_raw(&jk, k.mv_data, k.mv_size);
    const msgpack_object *ms = rr_at(rr, 0);
    int rc = 0;
    for (size_t j = 0; !rc && ms && ms->type == MSGPACK_OBJECT_ARRAY && j < ms->via.array.size;
         j++) {
        char *id = obj_str(a, &ms->via.array.ptr[j]);
        if (id && sfw)
            rc = jidx_put(w, sfw, id, &jk, true, err);
    }
    return rc;
}

/* Drops origin's entries (every entry when origin is NULL) from the rows
 * of dbi stored at keys: a row left with some is rewritten, one left with
 * none is deleted with its index entries.  Adds the entries dropped to
 * *deleted. */
static int drop_entries(cw_wtxn *w, int dbi, const MDB_val *keys, size_t nk, const char *origin,
                        cw_arena *a, size_t *deleted, cw_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < nk && rc == 0; i++) {
        MDB_val k = keys[i], v;
        if (mdb_get(w->txn, w->db->dbi[dbi], &k, &v))
            continue;
        rec_reader rr;
        if ((rc = rr_open(&rr, v, err)))
            break;
        const msgpack_object *es = entry_list(&rr, dbi);
        size_t n = es && es->type == MSGPACK_OBJECT_ARRAY ? es->via.array.size : 0;
        size_t keep = entries_kept(es, origin);
        *deleted += n - keep;
        if (keep == n) {
            /* nothing of origin's here */
        } else if (keep) {
            rec_writer rw;
            rw_init(&rw);
            if (dbi == DB_JOINT) {
                rw_array(&rw, 2);
                msgpack_pack_object(&rw.pk, *rr_at(&rr, 0));
            }
            bool replaced;
            entries_replace(&rw, es, origin, NULL, &replaced);
            MDB_val nv = rw_val(&rw);
            CHANGE_NOTE(w, dbi, k, &nv);
            rc = lmdb_err(mdb_put(w->txn, w->db->dbi[dbi], &k, &nv, 0), err, "mappings");
            rw_free(&rw);
        } else if (!(rc = unindex_row(w, dbi, k, &rr, a, err))) {
            CHANGE_NOTE(w, dbi, k, NULL);
            rc = lmdb_err(mdb_del(w->txn, w->db->dbi[dbi], &k, NULL), err, "mappings");
        }
        rr_close(&rr);
    }
    return rc;
}

static int del_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct del_args *da = arg;
    const cw_mapping_filter *f = da->f;
    cw_arena *a = cw_arena_new();
    const char **want = NULL;
    if (!a || (f->sources && !(want = cw_arena_alloc(a, (f->n_sources + 1) * sizeof *want)))) {
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
    }
    if (want) {
        memcpy(want, f->sources, f->n_sources * sizeof *want);
        qsort(want, f->n_sources, sizeof *want, member_cmp);
    }
    struct joint_match jm = {f, want};
    MDB_val *keys;
    size_t nk;
    int rc = keys_where(w->txn, w->db, DB_JOINT, joint_hit, &jm, a, "mappings", &keys, &nk, err);
    if (!rc)
        rc = drop_entries(w, DB_JOINT, keys, nk, f->origin, a, &da->st.deleted, err);
    if (!rc)
        rc = keys_where(w->txn, w->db, DB_MAP, pair_hit, (void *)f, a, "mappings", &keys, &nk, err);
    if (!rc)
        rc = drop_entries(w, DB_MAP, keys, nk, f->origin, a, &da->st.deleted, err);
    cw_arena_free(a);
    if (rc)
        return rc;
    return da->st.deleted ? bump_generation(w, err) : 0;
}

int cw_mapping_delete(cw_db *db, cw_wtxn *w, const cw_mapping_filter *f, cw_bulk_stats *st,
                      cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (!f || !(f->source_fw || f->source_id || f->target_fw || f->target_id || f->origin ||
                f->framework || f->sources))
        return cw_err_set(err, CW_EINVAL,
                          "mappings: give at least one of source_framework, source, "
                          "target_framework, target, origin or framework");
    if (f->sources && (f->n_sources < 2 || f->n_sources > CW_MAX_JOINT))
        return cw_err_set(err, CW_EINVAL,
                          "source: a joint row's set has 2..%d requirements, got %zu", CW_MAX_JOINT,
                          f->n_sources);
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

static int add_listing(const graph *g, cw_arena *a, cw_mapping_answer *out, size_t *cap, uint32_t j,
                       const char *role, const g_node *from)
{
    cw_joint_listing *arr = cw_arena_grow(a, out->joints, sizeof *arr, cap, out->n_joints + 1);
    if (!arr)
        return CW_ENOMEM;
    out->joints = arr;
    cw_joint_listing *l = &arr[out->n_joints++];
    l->role = role;
    l->from = from ? (cw_ref){g->fws[from->fw], from->id} : (cw_ref){NULL, NULL};
    graph_joint_row(g, &g->joints[j], &l->row);
    return 0;
}

/* The joint rows a listing shows: those the requirement (or, without one,
 * any requirement of fw) is a member or the target of, whose other end is
 * in tfw when tfw is given. */
static int list_joints(const graph *g, uint32_t fw, const uint32_t *node, uint32_t tfw, cw_arena *a,
                       cw_mapping_answer *out)
{
    size_t cap = 0;
    int rc = 0;
    if (node) {
        const g_node *n = &g->nodes[*node];
        for (uint32_t i = 0; !rc && i < n->n_joints_of; i++) {
            const g_joint *J = &g->joints[n->joints_of[i]];
            if (tfw == G_NONE || g->nodes[J->target].fw == tfw)
                rc = add_listing(g, a, out, &cap, n->joints_of[i], "member", n);
        }
        for (uint32_t i = 0; !rc && i < n->n_joints_in; i++) {
            const g_joint *J = &g->joints[n->joints_in[i]];
            if (tfw == G_NONE || J->sfw == tfw)
                rc = add_listing(g, a, out, &cap, n->joints_in[i], "target", n);
        }
        return rc;
    }
    for (size_t j = 0; !rc && j < g->n_joints; j++) {
        const g_joint *J = &g->joints[j];
        uint32_t jt = g->nodes[J->target].fw;
        if (J->sfw == fw && (tfw == G_NONE || jt == tfw))
            rc = add_listing(g, a, out, &cap, (uint32_t)j, "member", NULL);
        else if (jt == fw && (tfw == G_NONE || J->sfw == tfw))
            rc = add_listing(g, a, out, &cap, (uint32_t)j, "target", NULL);
    }
    return rc;
}

int cw_mapping_list(cw_db *db, const cw_mapping_query *q, cw_arena *a, cw_mapping_answer *ans,
                    cw_err *err)
{
    memset(ans, 0, sizeof *ans);
    cw_path **out = &ans->paths;
    size_t *n = &ans->n_paths;
    int rc;
    if ((rc = cw_check_name("framework", q->framework, CW_MAX_SLUG, err)))
        return rc;
    if (q->id && (rc = cw_check_name("id", q->id, CW_MAX_ID, err)))
        return rc;
    if (q->target_framework &&
        (rc = cw_check_name("target_framework", q->target_framework, CW_MAX_SLUG, err)))
        return rc;
    int hops = q->max_hops ? q->max_hops : 1;
    if (hops < 1 || hops > CW_MAX_HOPS)
        return cw_err_set(err, CW_ERANGE, "max_hops: %d is outside 1..%d", q->max_hops,
                          CW_MAX_HOPS);
    graph *g;
    if ((rc = graph_for_answer_at(db, a, q->has_as_of, q->as_of, &g, err)))
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
        if (!rc)
            rc = list_joints(g, fw, &s, lc.target_fw, a, ans);
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
        if (!rc)
            rc = list_joints(g, fw, NULL, lc.target_fw, a, ans);
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

/* Whether a row from framework s to framework t belongs to the listing of
 * framework, with target_framework (when given) at its other end. */
static bool row_listed(const char *s, size_t sl, const char *t, size_t tl, const char *framework,
                       const char *target_framework)
{
    bool s_is = part_eq(s, sl, framework), t_is = part_eq(t, tl, framework);
    if (!s_is && !t_is)
        return false;
    return !target_framework || (s_is && part_eq(t, tl, target_framework)) ||
           (t_is && part_eq(s, sl, target_framework));
}

/* Appends one row per entry of the stored list es, with the ends (and a
 * joint row's set) of ends.  Returns 0 or CW_ENOMEM. */
static int add_rows(cw_arena *a, const msgpack_object *es, const cw_mapping *ends, cw_mapping **out,
                    size_t *n, size_t *cap)
{
    for (size_t i = 0; i < es->via.array.size; i++) {
        cw_mapping row = *ends;
        if (!decode_map_entry(a, &es->via.array.ptr[i], &row))
            continue;
        cw_mapping *arr = cw_arena_grow(a, *out, sizeof *arr, cap, *n + 1);
        if (!arr)
            return CW_ENOMEM;
        *out = arr;
        arr[(*n)++] = row;
    }
    return 0;
}

int cw_mapping_rows(cw_db *db, const char *framework, const char *target_framework, cw_arena *a,
                    cw_mapping **out, size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc;
    if ((rc = cw_check_name("framework", framework, CW_MAX_SLUG, err)) ||
        (target_framework &&
         (rc = cw_check_name("target_framework", target_framework, CW_MAX_SLUG, err))))
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
        return cw_err_set(err, CW_ENOFW, "target_framework: no framework '%s'", target_framework);
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
        rec_reader rr;
        if (!split4(&k, p, l) || !row_listed(p[0], l[0], p[2], l[2], framework, target_framework) ||
            rr_open(&rr, v, NULL))
            continue;
        cw_mapping ends = {.source_fw = cw_arena_strndup(a, p[0], l[0]),
                           .source_id = cw_arena_strndup(a, p[1], l[1]),
                           .target_fw = cw_arena_strndup(a, p[2], l[2]),
                           .target_id = cw_arena_strndup(a, p[3], l[3])};
        if (add_rows(a, &rr.u.data, &ends, out, n, &cap))
            rc = cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
        rr_close(&rr);
    }
    mdb_cursor_close(c);
    if (!rc && (rc = mdb_cursor_open(txn, db->dbi[DB_JOINT], &c)))
        rc = lmdb_err(rc, err, "mappings");
    else if (!rc) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0 && rc == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const char *p[3];
            size_t l[3];
            rec_reader rr;
            if (!split_joint(&k, p, l) ||
                !row_listed(p[2], l[2], p[0], l[0], framework, target_framework) ||
                rr_open(&rr, v, NULL))
                continue;
            const msgpack_object *ms = rr_at(&rr, 0), *es = rr_at(&rr, 1);
            if (!ms || ms->type != MSGPACK_OBJECT_ARRAY || !es ||
                es->type != MSGPACK_OBJECT_ARRAY) {
                rr_close(&rr);
                continue;
            }
            size_t nm = ms->via.array.size;
            const char **ids = cw_arena_alloc(a, (nm + 1) * sizeof *ids);
            for (size_t j = 0; ids && j < nm; j++)
                ids[j] = obj_str(a, &ms->via.array.ptr[j]);
            cw_mapping ends = {.source_fw = cw_arena_strndup(a, p[2], l[2]),
                               .target_fw = cw_arena_strndup(a, p[0], l[0]),
                               .target_id = cw_arena_strndup(a, p[1], l[1]),
                               .source_ids = ids,
                               .n_sources = nm};
            if (!ids || add_rows(a, es, &ends, out, n, &cap))
                rc = cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
            rr_close(&rr);
        }
        mdb_cursor_close(c);
    }
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

/* Appends "id, id, ..." of the members flagged in pick to buf. */
static void list_members(const g_joint *J, const bool *pick, char *buf, size_t cap)
{
    size_t o = strlen(buf);
    bool first = true;
    for (uint32_t i = 0; i < J->n_members && o < cap - 1; i++) {
        if (!pick[i])
            continue;
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", first ? "" : ", ", J->member_ids[i]);
        first = false;
    }
}

/* Does a single row "s REL1 t" contradict "the set containing s REL2 t"?
 * Each member must overlap t (so s not_related t contradicts any joint
 * claim but not_related); a set whose union lies inside t (subset_of) or
 * is t (equal) cannot hold a member that is wider than t. */
static bool single_contradicts(cw_rel single, cw_rel joint)
{
    if (single == CW_REL_NOT_RELATED || joint == CW_REL_NOT_RELATED)
        return single != joint;
    if (single == CW_REL_SUPERSET_OF)
        return joint == CW_REL_SUBSET_OF || joint == CW_REL_EQUAL;
    if (single == CW_REL_EQUAL)
        return joint == CW_REL_SUBSET_OF;
    return false;
}

/* The findings about joint row j: members missing from their catalogue,
 * withdrawn members, a member repeated or already inside a group member,
 * a member whose own single row to the target contradicts the set's
 * relationship, and the same set and target stated with different
 * relationships. */
static int check_joint(const graph *g, size_t j, uint32_t fw, bool filtered, cw_arena *a,
                       cw_finding **out, size_t *n, size_t *cap)
{
    const g_joint *J = &g->joints[j];
    const g_node *t = &g->nodes[J->target];
    if (filtered && (fw == G_NONE || (J->sfw != fw && t->fw != fw)))
        return 0;
    cw_ref tref = {g->fws[t->fw], t->id};
    cw_ref first = {J->sfw_slug, J->member_ids[0]};
    char detail[512];
    bool *pick = cw_arena_alloc(a, J->n_members + 1);
    if (!pick)
        return CW_ENOMEM;
    int rc = 0;
    /* missing and withdrawn members */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        size_t hits = 0;
        for (uint32_t i = 0; i < J->n_members; i++) {
            uint32_t m = J->members[i];
            pick[i] = pass == 0 ? m == G_NONE : m != G_NONE && g->nodes[m].withdrawn;
            if (pick[i] && !hits++)
                first.id = J->member_ids[i];
        }
        if (!hits)
            continue;
        snprintf(detail, sizeof detail, "joint row from '%s': %s: ", J->origin ? J->origin : "?",
                 pass == 0 ? "members that do not exist" : "withdrawn members");
        list_members(J, pick, detail, sizeof detail);
        rc = add_finding(a, out, n, cap, pass == 0 ? "dangling" : "withdrawn_member", first, tref,
                         detail);
    }
    /* a member twice, or under a member that is a group */
    size_t hits = 0;
    for (uint32_t i = 0; i < J->n_members && !rc; i++) {
        pick[i] = false;
        uint32_t m = J->members[i];
        for (uint32_t k = 0; k < J->n_members; k++) {
            if (k == i)
                continue;
            if (strcmp(J->member_ids[k], J->member_ids[i]) == 0 && k < i)
                pick[i] = true;
            uint32_t up = m == G_NONE ? G_NONE : g->nodes[m].parent;
            for (int guard = 0; up != G_NONE && guard < 64; guard++, up = g->nodes[up].parent)
                if (up == J->members[k] && g_group(&g->nodes[up]))
                    pick[i] = true;
        }
        if (pick[i] && !hits++)
            first.id = J->member_ids[i];
    }
    if (hits && !rc) {
        snprintf(detail, sizeof detail,
                 "joint row from '%s': members repeated or already inside a group member: ",
                 J->origin ? J->origin : "?");
        list_members(J, pick, detail, sizeof detail);
        rc = add_finding(a, out, n, cap, "duplicate_member", first, tref, detail);
    }
    /* a member's own row to the target contradicting the set's relationship */
    for (uint32_t i = 0; i < J->n_members && !rc; i++) {
        uint32_t m = J->members[i];
        if (m == G_NONE)
            continue;
        const g_node *nm = &g->nodes[m];
        for (uint32_t e = 0; e < nm->n_edges && !rc; e++) {
            const g_edge *ed = &nm->edges[e];
            if (ed->to != J->target || !single_contradicts((cw_rel)ed->rel, (cw_rel)J->rel))
                continue;
            snprintf(detail, sizeof detail,
                     "%s %s %s (%s) but the joint row with it says the set is %s %s (%s)", nm->id,
                     cw_rel_name(ed->rel), t->id, ed->origin ? ed->origin : "?",
                     cw_rel_name(J->rel), t->id, J->origin ? J->origin : "?");
            rc = add_finding(a, out, n, cap, "conflict", (cw_ref){J->sfw_slug, nm->id}, tref,
                             detail);
        }
    }
    /* the same set and target with another relationship (reported once) */
    for (size_t k = j + 1; k < g->n_joints && !rc; k++) {
        const g_joint *K = &g->joints[k];
        if (K->target != J->target || K->n_members != J->n_members || K->rel == J->rel ||
            strcmp(K->sfw_slug, J->sfw_slug) != 0)
            continue;
        bool same = true;
        for (uint32_t i = 0; i < J->n_members && same; i++)
            same = strcmp(J->member_ids[i], K->member_ids[i]) == 0;
        if (!same)
            continue;
        snprintf(detail, sizeof detail, "joint row stated as %s (%s) and as %s (%s)",
                 cw_rel_name(J->rel), J->origin ? J->origin : "?", cw_rel_name(K->rel),
                 K->origin ? K->origin : "?");
        rc = add_finding(a, out, n, cap, "conflict", (cw_ref){J->sfw_slug, J->member_ids[0]}, tref,
                         detail);
    }
    return rc;
}

int cw_mapping_check(cw_db *db, const char *framework, cw_arena *a, cw_finding **out, size_t *n,
                     cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc;
    if (framework && (rc = cw_check_name("framework", framework, CW_MAX_SLUG, err)))
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
        if (d->n_members)
            snprintf(detail, sizeof detail,
                     "target does not exist (joint row of %zu members from '%s')", d->n_members,
                     d->origin ? d->origin : "?");
        else
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
    for (size_t j = 0; rc == 0 && j < g->n_joints; j++)
        rc = check_joint(g, j, fw, framework != NULL, a, out, n, &cap);
    graph_release(db, g);
    if (rc)
        return cw_err_set(err, rc, "findings: out of memory");
    return 0;
}
