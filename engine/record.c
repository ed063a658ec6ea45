/* Record layer: how keys and values are laid out in the store.  Keys join
 * their parts with NUL bytes; values are msgpack arrays, written with
 * rec_writer and read back with rec_reader, whose strings are copied into
 * an arena on request.  The requirement and control records, the crosswalk
 * entries and the evidence index values, which more than one module reads,
 * are laid out here (the other records belong to the one module that reads and writes
 * them).  Nothing here opens a transaction. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- keys ---- */

void key_init(cw_key *k)
{
    k->n = 0;
}

void key_raw(cw_key *k, const void *p, size_t n)
{
    /* Parts are length-checked on input (slug 64, id 128), so only a
     * malformed caller can overflow; truncation keeps it memory-safe. */
    if (n > CW_KEY_MAX - k->n)
        n = CW_KEY_MAX - k->n;
    memcpy(k->b + k->n, p, n);
    k->n += n;
}

void key_sep(cw_key *k)
{
    key_raw(k, "", 1);
}

void key_part(cw_key *k, const char *s)
{
    if (k->n)
        key_sep(k);
    key_raw(k, s ? s : "", s ? strlen(s) : 0);
}

void key_prefix(cw_key *k, const char *name)
{
    key_init(k);
    key_part(k, name);
    key_sep(k);
}

MDB_val key_val(const cw_key *k)
{
    return (MDB_val){.mv_size = k->n, .mv_data = (void *)k->b};
}

void be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

uint64_t be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

uint64_t time_key(cw_time t)
{
    return (uint64_t)t ^ (UINT64_C(1) << 63);
}

cw_time time_unkey(uint64_t k)
{
    return (cw_time)(k ^ (UINT64_C(1) << 63));
}

/* ---- record encoding ---- */

void rw_init(rec_writer *r)
{
    msgpack_sbuffer_init(&r->sb);
    msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
}

void rw_free(rec_writer *r)
{
    msgpack_sbuffer_destroy(&r->sb);
}

void rw_str(rec_writer *r, const char *s)
{
    if (!s) {
        msgpack_pack_nil(&r->pk);
        return;
    }
    size_t n = strlen(s);
    msgpack_pack_str(&r->pk, n);
    msgpack_pack_str_body(&r->pk, s, n);
}

void rw_int(rec_writer *r, int64_t v)
{
    msgpack_pack_int64(&r->pk, v);
}

void rw_array(rec_writer *r, size_t n)
{
    msgpack_pack_array(&r->pk, n);
}

void rw_nil(rec_writer *r)
{
    msgpack_pack_nil(&r->pk);
}

void rw_bool(rec_writer *r, bool b)
{
    if (b)
        msgpack_pack_true(&r->pk);
    else
        msgpack_pack_false(&r->pk);
}

MDB_val rw_val(rec_writer *r)
{
    return (MDB_val){.mv_size = r->sb.size, .mv_data = r->sb.data};
}

bool rec_same(MDB_val stored, MDB_val next)
{
    return stored.mv_size == next.mv_size &&
           (next.mv_size == 0 || memcmp(stored.mv_data, next.mv_data, next.mv_size) == 0);
}

int rr_open(rec_reader *r, MDB_val v, cw_err *err)
{
    msgpack_unpacked_init(&r->u);
    size_t off = 0;
    if (msgpack_unpack_next(&r->u, v.mv_data, v.mv_size, &off) != MSGPACK_UNPACK_SUCCESS ||
        r->u.data.type != MSGPACK_OBJECT_ARRAY) {
        msgpack_unpacked_destroy(&r->u);
        return cw_err_set(err, CW_ECORRUPT, "record: not a valid encoded record");
    }
    r->o = r->u.data.via.array.ptr;
    r->n = r->u.data.via.array.size;
    return 0;
}

void rr_close(rec_reader *r)
{
    msgpack_unpacked_destroy(&r->u);
}

const msgpack_object *rr_at(const rec_reader *r, size_t i)
{
    return i < r->n ? &r->o[i] : NULL;
}

char *obj_str(cw_arena *a, const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    return cw_arena_strndup(a, o->via.str.ptr, o->via.str.size);
}

int64_t obj_int(const msgpack_object *o, int64_t dflt)
{
    if (!o)
        return dflt;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t)o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return dflt;
}

bool obj_is_nil(const msgpack_object *o)
{
    return !o || o->type == MSGPACK_OBJECT_NIL;
}

/* ---- keys shared by the organisation modules ---- */

void org_item_key(cw_key *k, const char *org, const char *id)
{
    key_init(k);
    key_part(k, org);
    key_part(k, id);
}

void org_req_key(cw_key *k, const char *org, const char *fw, const char *req)
{
    key_init(k);
    key_part(k, org);
    key_part(k, fw);
    key_part(k, req);
}

/* The values of an evidence item's entries under each of its controls:
 * by time, be64(collected) result(1) id, where pass 0 < unknown 1 < fail
 * 2 puts a fail last among equal times; passing, be64(collected)
 * be64(valid_until, or UINT64_MAX when open-ended) id (schema 4; before,
 * expiry came first), so the fresh item at T is the first one valid at T
 * on a walk back from T. */
void ev_index_vals(cw_key *byt, cw_key *pass, cw_time collected, bool has_vu, cw_time vu,
                   cw_result result, const char *id, size_t idl)
{
    unsigned char b[8];
    key_init(byt);
    be64_put(b, time_key(collected));
    key_raw(byt, b, 8);
    unsigned char r = (unsigned char)result;
    key_raw(byt, &r, 1);
    key_raw(byt, id, idl);
    key_init(pass);
    be64_put(b, time_key(collected));
    key_raw(pass, b, 8);
    be64_put(b, has_vu ? time_key(vu) : UINT64_MAX);
    key_raw(pass, b, 8);
    key_raw(pass, id, idl);
}

/* Schema 3 -> 4: the passing index entries (main and delta) get their
 * collection time before their expiry.  Each control's entries are read,
 * deleted and put back rewritten, one control at a time, so memory follows
 * the largest control, not the store. */
int ev_pass_upgrade(MDB_txn *txn, cw_db *db)
{
    for (int d = 0; d < 2; d++) {
        MDB_cursor *c;
        int rc = mdb_cursor_open(txn, db->dbi[d ? DB_EVPASS_D : DB_EVPASS], &c);
        if (rc)
            return rc;
        MDB_val k, v;
        unsigned char *vals = NULL;
        size_t cap = 0;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;) {
            cw_key key;
            key_init(&key);
            key_raw(&key, k.mv_data, k.mv_size);
            size_t used = 0;
            /* every duplicate of this key: [size_t length][bytes]... */
            for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
                size_t need = used + sizeof(size_t) + v.mv_size;
                if (need > cap) {
                    unsigned char *nv = realloc(vals, cap = need * 2);
                    if (!nv) {
                        free(vals);
                        mdb_cursor_close(c);
                        return ENOMEM;
                    }
                    vals = nv;
                }
                memcpy(vals + used, &v.mv_size, sizeof(size_t));
                memcpy(vals + used + sizeof(size_t), v.mv_data, v.mv_size);
                used += sizeof(size_t) + v.mv_size;
            }
            MDB_val kk = key_val(&key);
            rc = mdb_del(txn, db->dbi[d ? DB_EVPASS_D : DB_EVPASS], &kk, NULL);
            for (size_t o = 0; rc == 0 && o < used;) {
                size_t l;
                memcpy(&l, vals + o, sizeof(size_t));
                unsigned char *p = vals + o + sizeof(size_t), t[8];
                if (l >= 16) { /* expiry, collected -> collected, expiry */
                    memcpy(t, p, 8);
                    memmove(p, p + 8, 8);
                    memcpy(p + 8, t, 8);
                }
                MDB_val nv = {l, p};
                rc = mdb_put(txn, db->dbi[d ? DB_EVPASS_D : DB_EVPASS], &kk, &nv, 0);
                o += sizeof(size_t) + l;
            }
            if (rc == 0) { /* on to the key after this one */
                kk = key_val(&key);
                rc = mdb_cursor_get(c, &kk, &v, MDB_SET_RANGE);
                if (rc == 0 && kk.mv_size == key.n && memcmp(kk.mv_data, key.b, key.n) == 0)
                    rc = mdb_cursor_get(c, &kk, &v, MDB_NEXT_NODUP);
                k = kk;
            }
        }
        free(vals);
        mdb_cursor_close(c);
        if (rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

/* ---- crosswalk entries ---- */

/* Entry: [origin, rel, strength, rationale, note]; entries written before
 * schema 3 stop at rationale. */
void encode_map_entry(rec_writer *r, const cw_mapping *m)
{
    rw_array(r, 5);
    rw_str(r, m->origin);
    rw_int(r, m->rel);
    rw_int(r, m->strength);
    rw_str(r, m->rationale && *m->rationale ? m->rationale : NULL);
    rw_str(r, m->note && *m->note ? m->note : NULL);
}

bool decode_map_entry(cw_arena *a, const msgpack_object *e, cw_mapping *m)
{
    if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 4)
        return false;
    const msgpack_object *f = e->via.array.ptr;
    m->origin = obj_str(a, &f[0]);
    m->rel = (cw_rel)obj_int(&f[1], CW_REL_INTERSECTS_WITH);
    m->strength = (int)obj_int(&f[2], 0);
    m->rationale = obj_str(a, &f[3]);
    m->note = e->via.array.size > 4 ? obj_str(a, &f[4]) : NULL;
    return true;
}

void rw_strs(rec_writer *r, const char *const *v, size_t n)
{
    rw_array(r, n);
    for (size_t i = 0; i < n; i++)
        rw_str(r, v[i]);
}

int obj_strs(cw_arena *a, const msgpack_object *o, const char ***out, size_t *n)
{
    size_t k = o && o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0;
    *n = 0;
    *out = cw_arena_alloc(a, (k + 1) * sizeof **out);
    if (!*out)
        return CW_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        const char *s = obj_str(a, &o->via.array.ptr[i]);
        if (s)
            (*out)[(*n)++] = s;
    }
    return 0;
}

void rw_when(rec_writer *r, cw_when w)
{
    if (w.has)
        rw_int(r, w.at);
    else
        rw_nil(r);
}

cw_when obj_when(const msgpack_object *o)
{
    if (!o ||
        (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER && o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER))
        return (cw_when){false, 0};
    return (cw_when){true, obj_int(o, 0)};
}

/* ---- requirement records ---- */

/* Record: [parent, kind, title, description, attrs, seq, assessable,
 * withdrawn].  assessable is nil when left to the tree (AUTO), else a
 * boolean; withdrawn is 0 or 1.  Records written before schema 3 stop at
 * seq and read as AUTO and active, which is what they meant. */
int encode_req(rec_writer *r, const cw_requirement *q, int64_t seq)
{
    rw_array(r, 8);
    rw_str(r, q->parent && *q->parent ? q->parent : NULL);
    rw_str(r, q->kind && *q->kind ? q->kind : "requirement");
    rw_str(r, q->title ? q->title : "");
    rw_str(r, q->description && *q->description ? q->description : NULL);
    rw_array(r, q->n_attrs);
    for (size_t i = 0; i < q->n_attrs; i++) {
        rw_array(r, 2);
        rw_str(r, q->attrs[i].key);
        rw_array(r, q->attrs[i].n_values);
        for (size_t j = 0; j < q->attrs[i].n_values; j++)
            rw_str(r, q->attrs[i].values[j]);
    }
    rw_int(r, seq);
    if (q->assess == CW_ASSESS_AUTO)
        rw_nil(r);
    else
        rw_bool(r, q->assess == CW_ASSESS_YES);
    rw_int(r, q->withdrawn ? 1 : 0);
    return 0;
}

int req_flags(MDB_val v, bool leaf, bool *assessable, bool *withdrawn)
{
    rec_reader r;
    if (rr_open(&r, v, NULL))
        return CW_ECORRUPT;
    const msgpack_object *as = rr_at(&r, 6);
    *assessable = as && as->type == MSGPACK_OBJECT_BOOLEAN ? as->via.boolean : leaf;
    *withdrawn = obj_int(rr_at(&r, 7), 0) == 1;
    rr_close(&r);
    return 0;
}

/* Decodes a requirement record.  seq receives its publisher position. */
int decode_req(cw_arena *a, const char *fw, const char *id, size_t idl, MDB_val v,
               cw_requirement *q, int64_t *seq)
{
    rec_reader r;
    int rc = rr_open(&r, v, NULL);
    if (rc)
        return rc;
    memset(q, 0, sizeof *q);
    q->framework = fw;
    q->id = cw_arena_strndup(a, id, idl);
    q->parent = obj_str(a, rr_at(&r, 0));
    q->kind = obj_str(a, rr_at(&r, 1));
    q->title = obj_str(a, rr_at(&r, 2));
    q->description = obj_str(a, rr_at(&r, 3));
    const msgpack_object *at = rr_at(&r, 4);
    if (at && at->type == MSGPACK_OBJECT_ARRAY && at->via.array.size) {
        q->n_attrs = at->via.array.size;
        q->attrs = cw_arena_alloc(a, q->n_attrs * sizeof *q->attrs);
        for (size_t i = 0; q->attrs && i < q->n_attrs; i++) {
            const msgpack_object *e = &at->via.array.ptr[i];
            if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2)
                continue;
            q->attrs[i].key = obj_str(a, &e->via.array.ptr[0]);
            const msgpack_object *vals = &e->via.array.ptr[1];
            if (vals->type == MSGPACK_OBJECT_ARRAY) {
                q->attrs[i].n_values = vals->via.array.size;
                q->attrs[i].values = cw_arena_alloc(a, (vals->via.array.size + 1) * sizeof(char *));
                for (size_t j = 0; q->attrs[i].values && j < vals->via.array.size; j++)
                    q->attrs[i].values[j] = obj_str(a, &vals->via.array.ptr[j]);
            }
        }
    }
    if (seq)
        *seq = obj_int(rr_at(&r, 5), 0);
    const msgpack_object *as = rr_at(&r, 6);
    q->assess = as && as->type == MSGPACK_OBJECT_BOOLEAN
                    ? (as->via.boolean ? CW_ASSESS_YES : CW_ASSESS_NO)
                    : CW_ASSESS_AUTO;
    q->withdrawn = obj_int(rr_at(&r, 7), 0) == 1;
    rr_close(&r);
    return 0;
}

/* ---- control records ---- */

/* Record: [title, owner, status, [[fw, id, level]...]]. */
void encode_control(rec_writer *r, const cw_control *c)
{
    rw_array(r, 4);
    rw_str(r, c->title ? c->title : "");
    rw_str(r, c->owner ? c->owner : "");
    rw_int(r, c->status);
    rw_array(r, c->n_links);
    for (size_t j = 0; j < c->n_links; j++) {
        rw_array(r, 3);
        rw_str(r, c->links[j].framework);
        rw_str(r, c->links[j].id);
        rw_int(r, c->links[j].level);
    }
}

int decode_control(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                   cw_control *out)
{
    rec_reader r;
    if (rr_open(&r, v, NULL))
        return CW_ECORRUPT;
    memset(out, 0, sizeof *out);
    out->org = org;
    out->id = cw_arena_strndup(a, id, idl);
    out->title = obj_str(a, rr_at(&r, 0));
    out->owner = obj_str(a, rr_at(&r, 1));
    out->status = (cw_ctl_status)obj_int(rr_at(&r, 2), CW_CTL_NOT_IMPLEMENTED);
    const msgpack_object *l = rr_at(&r, 3);
    if (l && l->type == MSGPACK_OBJECT_ARRAY) {
        out->links = cw_arena_alloc(a, (l->via.array.size + 1) * sizeof *out->links);
        for (size_t i = 0; out->links && i < l->via.array.size; i++) {
            const msgpack_object *e = &l->via.array.ptr[i];
            if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 3)
                continue;
            cw_link *ln = &out->links[out->n_links++];
            ln->framework = obj_str(a, &e->via.array.ptr[0]);
            ln->id = obj_str(a, &e->via.array.ptr[1]);
            ln->level = (cw_level)obj_int(&e->via.array.ptr[2], CW_LEVEL_PARTIAL);
        }
    }
    rr_close(&r);
    return 0;
}
