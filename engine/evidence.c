/* Evidence in LMDB, and a control's state at a time T read from it.  Two
 * evidence indexes serve the control state rule of docs/SEMANTICS.md §2.1
 * (state.c): ev_ctl orders a control's items by collection time (fail last
 * among equal times, so the tie rule falls out of the order) and ev_pass
 * orders its passing items by collection time with their expiry beside
 * it, so "latest item at T" is one cursor seek and "fresh passing item at
 * T" a seek and a short walk back to the first item still valid at T. */
#include "crosswalk/org.h"

#include "entity.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

/* The index values of item e (record.c lays them out). */
static void item_index_vals(cw_key *byt, cw_key *pass, const cw_evidence *e)
{
    ev_index_vals(byt, pass, e->collected_at, e->has_valid_until, e->valid_until, e->result, e->id,
                  strlen(e->id));
}

/* The two evidence indexes, main then delta (see DB_EVCTL_D). */
static const int ev_by_time[2] = {DB_EVCTL, DB_EVCTL_D};
static const int ev_passing[2] = {DB_EVPASS, DB_EVPASS_D};

/* Removes the index entries of one evidence item, from whichever of the
 * main and delta indexes holds them. */
static int ev_unindex(cw_wtxn *w, const void *item, cw_err *err)
{
    const cw_evidence *e = item;
    cw_key byt, pass;
    item_index_vals(&byt, &pass, e);
    int rc = 0;
    for (size_t i = 0; i < e->n_controls && !rc; i++) {
        cw_key ck;
        org_item_key(&ck, e->org, e->controls[i]);
        for (int d = 0; d < 2 && !rc; d++) {
            rc = index_put(w, ev_by_time[d], key_val(&ck), key_val(&byt), true, "items", err);
            if (!rc && e->result == CW_RESULT_PASS)
                rc = index_put(w, ev_passing[d], key_val(&ck), key_val(&pass), true, "items", err);
        }
    }
    return rc;
}

/* Moves every entry of the delta index from into the main index to, in key
 * order (one pass over each main page touched), and empties from. */
static int ev_delta_merge_one(MDB_txn *txn, MDB_dbi from, MDB_dbi to, cw_err *err)
{
    MDB_cursor *cf = NULL, *ct = NULL;
    int rc = mdb_cursor_open(txn, from, &cf);
    if (!rc)
        rc = mdb_cursor_open(txn, to, &ct);
    MDB_val k, v;
    int r = rc ? rc : mdb_cursor_get(cf, &k, &v, MDB_FIRST);
    for (; r == 0; r = mdb_cursor_get(cf, &k, &v, MDB_NEXT)) {
        /* Copied: what LMDB returns is only promised until the next write. */
        char kb[512], vb[512];
        if (k.mv_size > sizeof kb || v.mv_size > sizeof vb) {
            r = MDB_BAD_VALSIZE;
            break;
        }
        memcpy(kb, k.mv_data, k.mv_size);
        memcpy(vb, v.mv_data, v.mv_size);
        MDB_val kc = {k.mv_size, kb}, vc = {v.mv_size, vb};
        r = mdb_cursor_put(ct, &kc, &vc, MDB_NODUPDATA);
        if (r == MDB_KEYEXIST)
            r = 0;
        if (r)
            break;
    }
    if (r == MDB_NOTFOUND)
        r = 0;
    if (cf)
        mdb_cursor_close(cf);
    if (ct)
        mdb_cursor_close(ct);
    return lmdb_err(r ? r : mdb_drop(txn, from, 0), err, "items");
}

/* Bulk writes put their index entries in the delta pair, whose pages are
 * few enough that every write rewriting them costs little; inserting them
 * straight into the main pair rewrote nearly every main index page on
 * each bulk call once the store held a few hundred thousand items (items'
 * times are spread over each control's whole history). The delta is
 * merged once it outgrows a quarter of the main pair, which keeps the
 * pages written per item roughly constant as the store grows. */
static int ev_delta_maybe_merge(cw_wtxn *w, cw_err *err)
{
    MDB_stat ms, ds;
    int rc;
    if ((rc = mdb_stat(w->txn, w->db->dbi[DB_EVCTL], &ms)) ||
        (rc = mdb_stat(w->txn, w->db->dbi[DB_EVCTL_D], &ds)))
        return lmdb_err(rc, err, "items");
    size_t limit = ms.ms_entries / 4;
    if (limit < w->db->ev_delta_min)
        limit = w->db->ev_delta_min;
    if (ds.ms_entries <= limit)
        return 0;
    if ((rc = ev_delta_merge_one(w->txn, w->db->dbi[DB_EVCTL_D], w->db->dbi[DB_EVCTL], err)))
        return rc;
    return ev_delta_merge_one(w->txn, w->db->dbi[DB_EVPASS_D], w->db->dbi[DB_EVPASS], err);
}

/* Index entries of a bulk call, inserted after its records in key order:
 * LMDB positions a cursor on the page it is already on when the next key
 * falls there, so sorted inserts touch each index page once instead of
 * jumping between the sub-databases of hundreds of controls per item.
 * Sorting a million entries by their bytes was itself a tenth of a bulk
 * load, so each entry carries its key as the rank of that key among the
 * call's distinct control keys and the first eight value bytes (a time) as
 * an integer: nearly every comparison ends on integers. */
typedef struct ix_ent {
    uint8_t dbi;
    uint16_t vl;
    uint32_t key;  /* index into ix_list.keys, then its rank once ranked */
    uint64_t vpfx; /* first 8 value bytes, big-endian, as a number */
    const char *v; /* value bytes (arena) */
} ix_ent;

typedef struct ix_key {
    const char *b; /* arena */
    size_t n;
} ix_key;

typedef struct ix_list {
    ix_ent *e;
    size_t n, cap;
    ix_key *keys; /* distinct control keys, in first-seen order */
    size_t nk, kcap;
    strmap kmap; /* key bytes -> index into keys */
    cw_arena *a;
} ix_list;

static int ix_init(ix_list *l, cw_arena *a)
{
    *l = (ix_list){.a = a};
    return strmap_init(&l->kmap, a, 64);
}

/* Values are at least 9 bytes (a time first), never more than UINT16_MAX. */
static int ix_add(ix_list *l, int dbi, uint32_t key, const cw_key *v)
{
    ix_ent *arr = cw_arena_grow(l->a, l->e, sizeof *arr, &l->cap, l->n + 1);
    char *vb = cw_arena_alloc(l->a, v->n);
    if (!arr || !vb)
        return CW_ENOMEM;
    memcpy(vb, v->b, v->n);
    l->e = arr;
    l->e[l->n++] =
        (ix_ent){(uint8_t)dbi, (uint16_t)v->n, key, be64_get((const unsigned char *)vb), vb};
    return 0;
}

/* LMDB's default order for keys and for duplicate values: bytes, then
 * length. */
static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int ix_key_cmp(const void *x, const void *y)
{
    const ix_key *a = x, *b = y;
    return bytes_cmp(a->b, a->n, b->b, b->n);
}

/* Same order as comparing (dbi, key bytes, value bytes), given ranked keys. */
static int ix_cmp(const void *x, const void *y)
{
    const ix_ent *a = x, *b = y;
    if (a->dbi != b->dbi)
        return a->dbi < b->dbi ? -1 : 1;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->vpfx != b->vpfx)
        return a->vpfx < b->vpfx ? -1 : 1;
    return bytes_cmp(a->v + 8, a->vl - 8u, b->v + 8, b->vl - 8u);
}

/* Index of control key k among the call's distinct keys, added if new. */
static int ix_key_index(ix_list *l, const cw_key *k, size_t *ki)
{
    if (strmap_get(&l->kmap, k->b, k->n, ki))
        return 0;
    ix_key *ks = cw_arena_grow(l->a, l->keys, sizeof *ks, &l->kcap, l->nk + 1);
    char *kb = cw_arena_strndup(l->a, k->b, k->n);
    if (!ks || !kb || strmap_put(&l->kmap, kb, k->n, l->nk, NULL) < 0)
        return CW_ENOMEM;
    l->keys = ks;
    *ki = l->nk;
    l->keys[l->nk++] = (ix_key){kb, k->n};
    return 0;
}

static int ix_collect(ix_list *l, const cw_evidence *e)
{
    cw_key byt, pass;
    item_index_vals(&byt, &pass, e);
    for (size_t i = 0; i < e->n_controls; i++) {
        cw_key ck;
        org_item_key(&ck, e->org, e->controls[i]);
        size_t ki;
        int rc = ix_key_index(l, &ck, &ki);
        if (!rc)
            rc = ix_add(l, DB_EVCTL_D, (uint32_t)ki, &byt);
        if (!rc && e->result == CW_RESULT_PASS)
            rc = ix_add(l, DB_EVPASS_D, (uint32_t)ki, &pass);
        if (rc)
            return rc;
    }
    return 0;
}

static int ix_flush(cw_wtxn *w, ix_list *l, cw_err *err)
{
    if (l->nk > 1) {
        /* Rank the distinct keys, then give every entry its key's rank. */
        uint32_t *rank = cw_arena_alloc(l->a, l->nk * sizeof *rank);
        ix_key *sorted = cw_arena_alloc(l->a, l->nk * sizeof *sorted);
        if (!rank || !sorted)
            return cw_err_set(err, CW_ENOMEM, "items: out of memory");
        memcpy(sorted, l->keys, l->nk * sizeof *sorted);
        qsort(sorted, l->nk, sizeof *sorted, ix_key_cmp);
        for (size_t r = 0; r < l->nk; r++) {
            size_t ki = 0;
            strmap_get(&l->kmap, sorted[r].b, sorted[r].n, &ki);
            rank[ki] = (uint32_t)r;
        }
        for (size_t i = 0; i < l->n; i++)
            l->e[i].key = rank[l->e[i].key];
        l->keys = sorted;
    }
    if (l->n > 1)
        qsort(l->e, l->n, sizeof *l->e, ix_cmp);
    MDB_cursor *c = NULL;
    int cur_dbi = -1, rc = 0;
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        const ix_ent *x = &l->e[i];
        if (x->dbi != cur_dbi) {
            if (c)
                mdb_cursor_close(c);
            c = NULL;
            cur_dbi = x->dbi;
            if ((rc = mdb_cursor_open(w->txn, w->db->dbi[cur_dbi], &c)))
                break;
        }
        MDB_val k = {l->keys[x->key].n, (void *)l->keys[x->key].b}, v = {x->vl, (void *)x->v};
        rc = mdb_cursor_put(c, &k, &v, MDB_NODUPDATA);
        if (rc == MDB_KEYEXIST)
            rc = 0;
    }
    if (c)
        mdb_cursor_close(c);
    return lmdb_err(rc, err, "items");
}

/* An item_decode_fn: out is a cw_evidence. */
static int decode_evidence(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                           void *item)
{
    cw_evidence *out = item;
    rec_reader r;
    if (rr_open(&r, v, NULL))
        return CW_ECORRUPT;
    memset(out, 0, sizeof *out);
    out->org = org;
    out->id = cw_arena_strndup(a, id, idl);
    const msgpack_object *c = rr_at(&r, 0);
    if (c && c->type == MSGPACK_OBJECT_ARRAY) {
        out->controls = cw_arena_alloc(a, (c->via.array.size + 1) * sizeof(char *));
        for (size_t i = 0; out->controls && i < c->via.array.size; i++) {
            const char *s = obj_str(a, &c->via.array.ptr[i]);
            if (s)
                out->controls[out->n_controls++] = s;
        }
    }
    out->kind = obj_str(a, rr_at(&r, 1));
    out->title = obj_str(a, rr_at(&r, 2));
    out->source = obj_str(a, rr_at(&r, 3));
    out->uri = obj_str(a, rr_at(&r, 4));
    out->sha256 = obj_str(a, rr_at(&r, 5));
    out->collected_at = obj_int(rr_at(&r, 6), 0);
    out->has_valid_until = !obj_is_nil(rr_at(&r, 7));
    out->valid_until = obj_int(rr_at(&r, 7), 0);
    out->result = (cw_result)obj_int(rr_at(&r, 8), CW_RESULT_UNKNOWN);
    rr_close(&r);
    return 0;
}

static const item_kind evidence_items = {
    DB_EV, "evidence", "items", CW_ENOEV, sizeof(cw_evidence), decode_evidence, ev_unindex};

static int str_ptr_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A control named twice by one item would index it once but be counted,
 * and unindexed, twice: refused.  Short lists are compared pairwise; long
 * ones sorted, so a hostile item cannot make this quadratic. */
static int no_repeats(const cw_evidence *e, size_t i, cw_err *err)
{
    size_t n = e->n_controls;
    if (n <= 16) {
        size_t k;
        for (size_t j = 1; j < n; j++)
            if (repeats_earlier(e->controls, j, &k))
                return cw_err_set(err, CW_EINVAL,
                                  "items[%zu].controls[%zu]: '%s' appears twice (also "
                                  "controls[%zu])",
                                  i, j, e->controls[j], k);
        return 0;
    }
    const char **s = malloc(n * sizeof *s);
    if (!s)
        return cw_err_set(err, CW_ENOMEM, "items: out of memory");
    memcpy(s, e->controls, n * sizeof *s);
    qsort(s, n, sizeof *s, str_ptr_cmp);
    int rc = 0;
    for (size_t j = 1; j < n && !rc; j++)
        if (strcmp(s[j - 1], s[j]) == 0)
            rc = cw_err_set(err, CW_EINVAL, "items[%zu].controls: '%s' appears twice", i, s[j]);
    free(s);
    return rc;
}

/* org_ok names an organisation already found in this call (or NULL); the
 * call's index list holds the control keys found so far (the same keys its
 * index entries are ranked by), so a bulk call looks each organisation and
 * control up once. */
static int validate_evidence(MDB_txn *txn, cw_db *db, const cw_evidence *e, size_t i,
                             const char *org_ok, ix_list *ix, cw_err *err)
{
    int rc;
    if ((rc = check_name_at(e->org, CW_MAX_SLUG, err, "items[%zu].org", i)) ||
        (rc = check_name_at(e->id, CW_MAX_ID, err, "items[%zu].id", i)))
        return rc;
    const char *texts[] = {e->kind, e->title, e->source, e->uri, e->sha256};
    const char *names[] = {"kind", "title", "source", "uri", "sha256"};
    for (int j = 0; j < 5; j++)
        if ((rc = check_text_at(texts[j], err, "items[%zu].%s", i, names[j])))
            return rc;
    if (e->sha256 && *e->sha256) {
        size_t l = strlen(e->sha256);
        bool hex = l == 64;
        for (size_t j = 0; hex && j < l; j++) {
            unsigned char ch = (unsigned char)e->sha256[j];
            hex = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
        }
        if (!hex)
            return cw_err_set(err, CW_EINVAL, "items[%zu].sha256: expected 64 hex digits", i);
    }
    if ((unsigned)e->result > CW_RESULT_FAIL)
        return cw_err_set(err, CW_EINVAL, "items[%zu].result: must be pass, fail or unknown", i);
    if (e->has_valid_until && e->valid_until < e->collected_at)
        return cw_err_set(err, CW_ERANGE, "items[%zu].valid_until: earlier than collected_at", i);
    if (!(org_ok && strcmp(org_ok, e->org) == 0) && org_exists(txn, db, e->org))
        return cw_err_set(err, CW_ENOORG, "items[%zu].org: no organisation '%s'", i, e->org);
    if (e->n_controls == 0)
        return cw_err_set(err, CW_EINVAL, "items[%zu].controls: at least one control is needed", i);
    if (e->n_controls > CW_MAX_LIST)
        return cw_err_set(err, CW_EINVAL, "items[%zu].controls: more than %d", i, CW_MAX_LIST);
    for (size_t j = 0; j < e->n_controls; j++) {
        if ((rc = check_name_at(e->controls[j], CW_MAX_ID, err, "items[%zu].controls[%zu]", i, j)))
            return rc;
        cw_key k;
        org_item_key(&k, e->org, e->controls[j]);
        if (strmap_get(&ix->kmap, k.b, k.n, NULL))
            continue;
        MDB_val kv = key_val(&k), v;
        if (mdb_get(txn, db->dbi[DB_CTL], &kv, &v))
            return cw_err_set(err, CW_ENOCTL,
                              "items[%zu].controls[%zu]: no control '%s' in "
                              "organisation '%s'",
                              i, j, e->controls[j], e->org);
        size_t ki;
        if (ix_key_index(ix, &k, &ki))
            return cw_err_set(err, CW_ENOMEM, "items: out of memory");
    }
    return no_repeats(e, i, err);
}

static int evidence_put_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    bulk_args *ba = arg;
    cw_db *db = w->db;
    bulk_call bc;
    ix_list ix;
    int rc = bulk_call_begin(&bc, ba->n, "items", err);
    if (rc)
        return rc;
    if (ix_init(&ix, bc.a)) {
        bulk_call_end(&bc);
        return cw_err_set(err, CW_ENOMEM, "items: out of memory");
    }
    /* One record buffer for the whole call. */
    rec_writer rw;
    rw_init(&rw);
    for (size_t i = 0; i < ba->n && rc == 0; i++) {
        const cw_evidence *e = (const cw_evidence *)ba->items + i;
        cw_key k;
        org_item_key(&k, e->org, e->id);
        if ((rc = validate_evidence(w->txn, db, e, i, bc.touched, &ix, err)) ||
            (rc = bulk_call_admit(w, &bc, &k, e->org, i, e->id, err)))
            break;
        msgpack_sbuffer_clear(&rw.sb);
        rw_array(&rw, 9);
        rw_array(&rw, e->n_controls);
        for (size_t j = 0; j < e->n_controls; j++)
            rw_str(&rw, e->controls[j]);
        rw_str(&rw, e->kind ? e->kind : "");
        rw_str(&rw, e->title ? e->title : "");
        rw_str(&rw, e->source ? e->source : "");
        rw_str(&rw, e->uri ? e->uri : "");
        rw_str(&rw, e->sha256 ? e->sha256 : "");
        rw_int(&rw, e->collected_at);
        if (e->has_valid_until)
            rw_int(&rw, e->valid_until);
        else
            rw_nil(&rw);
        rw_int(&rw, e->result);
        /* Bulk loads mostly create: one put that fails on an existing key
         * (handing back the stored record) instead of a look-up first. */
        MDB_val kv = key_val(&k), v = rw_val(&rw);
        rc = mdb_put(w->txn, db->dbi[DB_EV], &kv, &v, MDB_NOOVERWRITE);
        if (rc == 0) {
            ba->st.created++;
            CHANGE_NOTE(w, DB_EV, kv, &v);
        } else if (rc == MDB_KEYEXIST && rec_same(v, rw_val(&rw))) {
            /* stored as it is, its index entries with it */
            ba->st.unchanged++;
            rc = 0;
            continue;
        } else if (rc == MDB_KEYEXIST) {
            ba->st.updated++;
            if ((rc = item_unindex(w, &evidence_items, e->org, e->id, v, err)))
                break;
            kv = key_val(&k);
            v = rw_val(&rw);
            CHANGE_NOTE(w, DB_EV, kv, &v);
            rc = mdb_put(w->txn, db->dbi[DB_EV], &kv, &v, 0);
        }
        if ((rc = lmdb_err(rc, err, "items")))
            break;
        if ((rc = ix_collect(&ix, e)))
            rc = cw_err_set(err, rc, "items: out of memory");
    }
    if (rc == 0 && (rc = ix_flush(w, &ix, err)) == 0)
        rc = ev_delta_maybe_merge(w, err);
    rw_free(&rw);
    bulk_call_end(&bc);
    return rc;
}

int cw_evidence_put(cw_db *db, cw_wtxn *w, const cw_evidence *items, size_t n, cw_bulk_stats *st,
                    cw_err *err)
{
    return write_items(db, w, evidence_put_fn, "items", items, n, st, err);
}

int cw_evidence_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_evidence *out,
                    cw_err *err)
{
    return item_get(db, &evidence_items, org, id, a, out, err);
}

/* The items naming control, in collection-time order: its entries of the
 * main and delta by-time indexes, merged. */
static int evidence_of_control(cw_db *db, const char *org, const char *control, item_list *l,
                               cw_err *err)
{
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    cw_key ck;
    org_item_key(&ck, org, control);
    MDB_val kv = key_val(&ck), v;
    if (!(rc = org_find(txn, db, org, err)) && mdb_get(txn, db->dbi[DB_CTL], &kv, &v))
        rc = cw_err_set(err, CW_ENOCTL, "control: no control '%s' in organisation '%s'", control,
                        org);
    if (!rc) {
        MDB_cursor *c[2] = {NULL, NULL};
        MDB_val cv[2];
        int cr[2] = {MDB_NOTFOUND, MDB_NOTFOUND};
        for (int d = 0; d < 2 && rc == 0; d++) {
            if ((rc = lmdb_err(mdb_cursor_open(txn, db->dbi[ev_by_time[d]], &c[d]), err,
                               "items")) == 0) {
                kv = key_val(&ck);
                cr[d] = mdb_cursor_get(c[d], &kv, &cv[d], MDB_SET);
            }
        }
        while (rc == 0 && (cr[0] == 0 || cr[1] == 0)) {
            int d = cr[0] != 0   ? 1
                    : cr[1] != 0 ? 0
                    : bytes_cmp(cv[0].mv_data, cv[0].mv_size, cv[1].mv_data, cv[1].mv_size) <= 0
                        ? 0
                        : 1;
            v = cv[d];
            if (v.mv_size > 9) {
                cw_key ek;
                key_init(&ek);
                key_part(&ek, org);
                key_sep(&ek);
                key_raw(&ek, (const char *)v.mv_data + 9, v.mv_size - 9);
                MDB_val ekv = key_val(&ek), ev;
                if (mdb_get(txn, db->dbi[DB_EV], &ekv, &ev) == 0 &&
                    items_add(l, (const char *)v.mv_data + 9, v.mv_size - 9, ev))
                    rc = cw_err_set(err, CW_ENOMEM, "items: out of memory");
            }
            cr[d] = mdb_cursor_get(c[d], &kv, &cv[d], MDB_NEXT_DUP);
        }
        for (int d = 0; d < 2; d++)
            if (c[d])
                mdb_cursor_close(c[d]);
    }
    read_end(db, txn);
    return rc;
}

int cw_evidence_list(cw_db *db, const char *org, const char *control, const cw_page *page,
                     cw_arena *a, cw_evidence **out, size_t *n, cw_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    if (rc || (control && (rc = cw_check_name("control", control, CW_MAX_ID, err))))
        return rc;
    if (control && page && (page->after || page->limit))
        return cw_err_set(err, CW_EINVAL,
                          "control: one control's evidence comes in collection-time order, "
                          "whole; pages (limit, cursor) are of the organisation's list");
    item_list l = {&evidence_items,
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
    rc = control ? evidence_of_control(db, org, control, &l, err)
                 : items_list(db, org, &l, "items", err);
    *out = l.items;
    *n = l.n;
    return rc;
}

/* The items of one walk: those whose validity ends, and (when asked for)
 * those collected, in (after, until]. */
typedef struct ev_list {
    cw_evidence *items;
    size_t n, cap;
} ev_list;

struct turning {
    cw_arena *a;
    const char *org;
    cw_time after, until;
    ev_list expired;
    ev_list *collected; /* NULL: not asked for */
};

static int ev_list_add(cw_arena *a, ev_list *l, const cw_evidence *e)
{
    cw_evidence *grown = cw_arena_grow(a, l->items, sizeof *grown, &l->cap, l->n + 1);
    if (!grown)
        return CW_ENOMEM;
    l->items = grown;
    l->items[l->n++] = *e;
    return 0;
}

static int turning_one(void *ctx, const char *rest, size_t rl, MDB_val v)
{
    struct turning *x = ctx;
    cw_evidence e;
    if (decode_evidence(x->a, x->org, rest, rl, v, &e))
        return 0; /* store.check reports it */
    int rc = 0;
    if (e.has_valid_until && e.valid_until > x->after && e.valid_until <= x->until)
        rc = ev_list_add(x->a, &x->expired, &e);
    if (!rc && x->collected && e.collected_at > x->after && e.collected_at <= x->until)
        rc = ev_list_add(x->a, x->collected, &e);
    return rc;
}

int cw_evidence_turning(cw_db *db, const char *org, cw_time after, cw_time until, cw_arena *a,
                        cw_evidence **expired, size_t *n_expired, cw_evidence **collected,
                        size_t *n_collected, cw_err *err)
{
    *expired = NULL;
    *n_expired = 0;
    if (collected) {
        *collected = NULL;
        *n_collected = 0;
    }
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    ev_list got = {NULL, 0, 0};
    struct turning x = {
        a, cw_arena_strdup(a, org), after, until, {NULL, 0, 0}, collected ? &got : NULL};
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    if ((rc = org_find(txn, db, org, err)) == 0) {
        rc = each_in_org(txn, db, DB_EV, org, turning_one, &x);
        if (rc == CW_ENOMEM)
            cw_err_set(err, rc, "evidence: out of memory");
        else if (rc)
            cw_err_set(err, rc, "evidence: cannot be read");
    }
    read_end(db, txn);
    *expired = x.expired.items;
    *n_expired = x.expired.n;
    if (collected) {
        *collected = got.items;
        *n_collected = got.n;
    }
    return rc;
}

int cw_evidence_expiring(cw_db *db, const char *org, cw_time after, cw_time until, cw_arena *a,
                         cw_evidence **out, size_t *n, cw_err *err)
{
    return cw_evidence_turning(db, org, after, until, a, out, n, NULL, NULL, err);
}

int cw_evidence_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    return item_delete(db, w, &evidence_items, org, id, err);
}

/* ---- a control's evidence at T, and its state (§2.1) ---- */

/* Puts c on the last of ck's entries collected at or before tk (both
 * evidence indexes' entries start with be64(collected)); *after gets the
 * first entry collected after tk, or NULL data when there is none.
 * Returns 0, or MDB_NOTFOUND when no entry is at or before tk. */
static int seek_at_or_before(MDB_cursor *c, const cw_key *ck, uint64_t tk, MDB_val *kv, MDB_val *v,
                             MDB_val *after)
{
    unsigned char bound[8];
    *after = (MDB_val){0, NULL};
    *kv = key_val(ck);
    if (tk != UINT64_MAX) {
        be64_put(bound, tk + 1);
        *v = (MDB_val){8, bound};
        if (mdb_cursor_get(c, kv, v, MDB_GET_BOTH_RANGE) == 0) {
            *after = *v;
            return mdb_cursor_get(c, kv, v, MDB_PREV_DUP);
        }
        *kv = key_val(ck);
    }
    int r = mdb_cursor_get(c, kv, v, MDB_SET);
    return r ? r : mdb_cursor_get(c, kv, v, MDB_LAST_DUP);
}

/* Reads the latest item collected at or before t (id copied into a) and
 * the first collection after t, from either by-time index: the greater of
 * the two in index order wins, as it would in one index. */
/* Cursor i of cs on database dbi, opened on first use. */
static int ev_cursor(MDB_txn *txn, cw_db *db, ev_cursors *cs, int i, int dbi, MDB_cursor **c)
{
    if (!cs->c[i]) {
        int rc = mdb_cursor_open(txn, db->dbi[dbi], &cs->c[i]);
        if (rc)
            return lmdb_err(rc, NULL, "evidence");
    }
    *c = cs->c[i];
    return 0;
}

void ev_cursors_close(ev_cursors *cs)
{
    for (size_t i = 0; i < sizeof cs->c / sizeof cs->c[0]; i++)
        if (cs->c[i])
            mdb_cursor_close(cs->c[i]);
    memset(cs, 0, sizeof *cs);
}

static int ev_latest_at(MDB_txn *txn, cw_db *db, ev_cursors *cs, const cw_key *ck, uint64_t tk,
                        cw_arena *a, ctl_evidence *ev)
{
    MDB_val best = {0, NULL}, kv, v, after;
    MDB_cursor *c = NULL;
    int rc, r;
    ev->next = INT64_MAX;
    for (int d = 0; d < 2; d++) {
        if ((rc = ev_cursor(txn, db, cs, d, ev_by_time[d], &c)))
            return rc;
        r = seek_at_or_before(c, ck, tk, &kv, &v, &after);
        if (after.mv_size >= 8) {
            cw_time at = time_unkey(be64_get(after.mv_data));
            if (at < ev->next)
                ev->next = at;
        }
        if (r == 0 && v.mv_size >= 9 && be64_get(v.mv_data) <= tk &&
            (!best.mv_data || bytes_cmp(v.mv_data, v.mv_size, best.mv_data, best.mv_size) > 0))
            best = v;
    }
    if (!best.mv_data)
        return 0;
    const unsigned char *lv = best.mv_data;
    ev->latest_result = (cw_result)lv[8];
    ev->latest = cw_arena_strndup(a, (const char *)lv + 9, best.mv_size - 9);
    return ev->latest ? 0 : CW_ENOMEM;
}

/* Reads the fresh passing item at t: collected <= t and valid_until >= t
 * (or none).  Of several, the most recently collected one, ties going to
 * the greatest entry in index order (expiry, then id).  The passing index
 * is ordered by collection time, so a walk back from t stops at the first
 * item still valid at t: the cost is the number of passing items collected
 * since the fresh one (usually none), not the control's whole history.  A
 * control with no fresh item is walked to its first item. */
static int ev_fresh_at(MDB_txn *txn, cw_db *db, ev_cursors *cs, const cw_key *ck, uint64_t tk,
                       cw_arena *a, ctl_evidence *ev)
{
    MDB_val fv = {0, NULL}, kv, v, after;
    MDB_cursor *c = NULL;
    int rc, r;
    for (int d = 0; d < 2; d++) {
        if ((rc = ev_cursor(txn, db, cs, 2 + d, ev_passing[d], &c)))
            return rc;
        for (r = seek_at_or_before(c, ck, tk, &kv, &v, &after); r == 0;
             r = mdb_cursor_get(c, &kv, &v, MDB_PREV_DUP)) {
            if (v.mv_size < 16 || be64_get(v.mv_data) > tk)
                continue;
            /* the other index's find is older or equal: stop there too */
            if (fv.mv_data && bytes_cmp(v.mv_data, v.mv_size, fv.mv_data, fv.mv_size) <= 0)
                break;
            if (be64_get((const unsigned char *)v.mv_data + 8) >= tk) {
                fv = v;
                break;
            }
        }
    }
    if (!fv.mv_data)
        return 0;
    /* no expiry: INT64_MAX */
    ev->fresh_until = time_unkey(be64_get((const unsigned char *)fv.mv_data + 8));
    ev->fresh = cw_arena_strndup(a, (const char *)fv.mv_data + 16, fv.mv_size - 16);
    return ev->fresh ? 0 : CW_ENOMEM;
}

/* The state rule itself is state_decide (state.c); this reads what it
 * needs, seeking the fresh item only when it can matter.  *until lets
 * queries reuse a state until it can change (orgsnap.c). */
int ctl_state_with(MDB_txn *txn, cw_db *db, ev_cursors *cs, const char *org, const char *ctl,
                   cw_ctl_status status, cw_time t, cw_arena *a, cw_control_state *out,
                   cw_time *until)
{
    ctl_evidence ev = {NULL, CW_RESULT_UNKNOWN, NULL, INT64_MAX, INT64_MAX};
    if (state_applies(status)) {
        cw_key ck;
        org_item_key(&ck, org, ctl);
        uint64_t tk = time_key(t);
        int rc = ev_latest_at(txn, db, cs, &ck, tk, a, &ev);
        if (!rc && state_needs_fresh(&ev))
            rc = ev_fresh_at(txn, db, cs, &ck, tk, a, &ev);
        if (rc)
            return rc;
    }
    return state_decide(status, &ev, a, out, until);
}

int ctl_state(MDB_txn *txn, cw_db *db, const char *org, const char *ctl, cw_ctl_status status,
              cw_time t, cw_arena *a, cw_control_state *out, cw_time *until)
{
    ev_cursors cs = {{NULL}};
    int rc = ctl_state_with(txn, db, &cs, org, ctl, status, t, a, out, until);
    ev_cursors_close(&cs);
    return rc;
}

struct state_at {
    cw_time t;
    cw_arena *a;
    cw_control_state *out;
};

/* An item_read_fn: the state of the control whose record is v. */
static int state_of(MDB_txn *txn, cw_db *db, const char *org, const char *id, MDB_val v, void *ctx,
                    cw_err *err)
{
    const struct state_at *s = ctx;
    cw_control c;
    int rc = item_decode(&control_items, s->a, org, id, v, &c, err);
    if (!rc && (rc = ctl_state(txn, db, org, id, c.status, s->t, s->a, s->out, NULL)))
        cw_err_set(err, rc, "evidence: cannot read");
    return rc;
}

int cw_control_state_get(cw_db *db, const char *org, const char *id, cw_time t, cw_arena *a,
                         cw_control_state *out, cw_err *err)
{
    struct state_at s = {t, a, out};
    return item_read(db, &control_items, org, id, state_of, &s, err);
}

int cw_control_get_at(cw_db *db, const char *org, const char *id, cw_time t, bool as_recorded,
                      cw_arena *a, cw_control *ctl, cw_control_state *st, cw_err *err)
{
    int rc = check_org_id(org, id, err);
    if (rc)
        return rc;
    cw_time rec = as_recorded ? t : REC_NOW;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    cw_key k;
    org_item_key(&k, org, id);
    MDB_val kv = key_val(&k), v;
    char when[32] = "";
    if (as_recorded)
        cw_time_format(t, when, sizeof when);
    if ((rec != REC_NOW && (rc = hist_check(txn, db, rec, "as_of", err))) ||
        (rc = org_find_at(txn, db, org, rec, err)))
        goto out;
    if (record_get_at(txn, db, DB_CTL, kv, rec, &v)) {
        rc = cw_err_set(err, CW_ENOCTL, "id: no control '%s' in organisation '%s'%s%s", id, org,
                        as_recorded ? " as recorded at " : "", when);
        goto out;
    }
    cw_time until = INT64_MAX;
    if ((rc = item_decode(&control_items, a, org, id, v, ctl, err)) == 0 &&
        ((rc = ctl_state(txn, db, org, id, ctl->status, t, a, st, NULL)) ||
         (rec != REC_NOW && (rc = ev_states_then(txn, db, org, rec, t, ctl, 1, a, st, &until)))))
        cw_err_set(err, rc, "evidence: cannot read");
out:
    read_end(db, txn);
    return rc;
}

/* ---- evidence as recorded at a past time ----
 *
 * The evidence indexes hold the items as they are now.  An item replaced
 * or deleted after rec still counted at rec as it was then (history.c
 * keeps that version; an item's first recording is not history, since it
 * counts from its collection anyway).  The controls those items name are
 * judged again from their index entries with the replaced or deleted
 * items' current entries left out and their entries as of rec put in. */

/* One index entry of an item as it was at rec: its DB_EVCTL value, and
 * its DB_EVPASS value when it passed. */
typedef struct then_entry {
    const char *ctl;
    cw_key byt, pass;
    bool passed;
} then_entry;

/* The id at the end of an index value (after skip bytes). */
static bool excluded_id(const strmap *gone, MDB_val v, size_t skip)
{
    size_t i;
    return v.mv_size > skip &&
           strmap_get(gone, (const char *)v.mv_data + skip, v.mv_size - skip, &i);
}

/* Keeps in *best the greater of it and cand (index order). */
static void keep_greater(MDB_val *best, const void *cand, size_t n)
{
    if (!best->mv_data || bytes_cmp(cand, n, best->mv_data, best->mv_size) > 0)
        *best = (MDB_val){n, (void *)cand};
}

/* The evidence of control ctl at t (latest, fresh, next) from its index
 * entries, leaving out items in gone, and from the entries of then. */
static int ev_then(MDB_txn *txn, cw_db *db, const cw_key *ck, cw_time t, const strmap *gone,
                   const then_entry *then, size_t n_then, const char *ctl, cw_arena *a,
                   ctl_evidence *ev)
{
    uint64_t tk = time_key(t);
    MDB_val latest = {0, NULL}, fresh = {0, NULL};
    ev->next = INT64_MAX;
    for (int d = 0; d < 4; d++) {
        MDB_cursor *c;
        int rc = mdb_cursor_open(txn, db->dbi[d < 2 ? ev_by_time[d] : ev_passing[d - 2]], &c);
        if (rc)
            return lmdb_err(rc, NULL, "evidence");
        MDB_val kv = key_val(ck), v;
        for (int r = mdb_cursor_get(c, &kv, &v, MDB_SET); r == 0;
             r = mdb_cursor_get(c, &kv, &v, MDB_NEXT_DUP)) {
            if (v.mv_size < (d < 2 ? 9u : 16u) || excluded_id(gone, v, d < 2 ? 9 : 16))
                continue;
            uint64_t at = be64_get(v.mv_data);
            if (d < 2 && at > tk && time_unkey(at) < ev->next)
                ev->next = time_unkey(at);
            if (d < 2 && at <= tk)
                keep_greater(&latest, v.mv_data, v.mv_size);
            if (d >= 2 && at <= tk && be64_get((const unsigned char *)v.mv_data + 8) >= tk)
                keep_greater(&fresh, v.mv_data, v.mv_size);
        }
        mdb_cursor_close(c);
    }
    for (size_t i = 0; i < n_then; i++) {
        const then_entry *e = &then[i];
        if (strcmp(e->ctl, ctl) != 0)
            continue;
        uint64_t at = be64_get((const unsigned char *)e->byt.b);
        if (at > tk && time_unkey(at) < ev->next)
            ev->next = time_unkey(at);
        if (at <= tk)
            keep_greater(&latest, e->byt.b, e->byt.n);
        if (e->passed && at <= tk && be64_get((const unsigned char *)e->pass.b + 8) >= tk)
            keep_greater(&fresh, e->pass.b, e->pass.n);
    }
    if (latest.mv_data) {
        const unsigned char *lv = latest.mv_data;
        ev->latest_result = (cw_result)lv[8];
        if (!(ev->latest = cw_arena_strndup(a, (const char *)lv + 9, latest.mv_size - 9)))
            return CW_ENOMEM;
    }
    if (fresh.mv_data) {
        ev->fresh_until = time_unkey(be64_get((const unsigned char *)fresh.mv_data + 8));
        if (!(ev->fresh =
                  cw_arena_strndup(a, (const char *)fresh.mv_data + 16, fresh.mv_size - 16)))
            return CW_ENOMEM;
    }
    return 0;
}

/* Adds every control of item id, as decoded from v, to the list of
 * controls to judge again (named in touched), and, when then, its entries. */
static int note_item(cw_arena *a, const char *org, const char *id, MDB_val v, bool then,
                     strmap *touched, then_entry **ents, size_t *n, size_t *cap)
{
    cw_evidence e;
    if (decode_evidence(a, org, id, strlen(id), v, &e))
        return 0; /* unreadable: left as the indexes have it */
    for (size_t j = 0; j < e.n_controls; j++) {
        const char *ctl = e.controls[j];
        size_t x;
        if (!strmap_get(touched, ctl, strlen(ctl), &x) &&
            strmap_put(touched, ctl, strlen(ctl), 0, NULL) < 0)
            return CW_ENOMEM;
        if (!then)
            continue;
        then_entry *grown = cw_arena_grow(a, *ents, sizeof **ents, cap, *n + 1);
        if (!grown)
            return CW_ENOMEM;
        *ents = grown;
        then_entry *te = &grown[(*n)++];
        te->ctl = ctl;
        te->passed = e.result == CW_RESULT_PASS;
        ev_index_vals(&te->byt, &te->pass, e.collected_at, e.has_valid_until, e.valid_until,
                      e.result, id, strlen(id));
    }
    return 0;
}

int ev_states_then(MDB_txn *txn, cw_db *db, const char *org, cw_time rec, cw_time t,
                   const cw_control *ctls, size_t n, cw_arena *a, cw_control_state *st,
                   cw_time *until)
{
    cw_key pre;
    key_prefix(&pre, org);
    cw_arena *w = cw_arena_new();
    hist_rec *ch;
    size_t nch;
    int rc = w ? hist_changed(txn, db, DB_EV, &pre, rec, w, &ch, &nch) : CW_ENOMEM;
    if (rc || nch == 0) {
        cw_arena_free(w);
        return rc;
    }
    strmap gone, touched;
    then_entry *ents = NULL;
    size_t n_ents = 0, cap = 0;
    if (strmap_init(&gone, w, nch) || strmap_init(&touched, w, nch * 2)) {
        cw_arena_free(w);
        return CW_ENOMEM;
    }
    for (size_t i = 0; i < nch && rc == 0; i++) {
        const char *id =
            cw_arena_strndup(w, (const char *)ch[i].k.mv_data + pre.n, ch[i].k.mv_size - pre.n);
        if (!id || strmap_put(&gone, id, strlen(id), i, NULL) < 0) {
            rc = CW_ENOMEM;
            break;
        }
        /* its controls now and then are judged again */
        MDB_val now;
        if (mdb_get(txn, db->dbi[DB_EV], &ch[i].k, &now) == 0)
            rc = note_item(w, org, id, now, false, &touched, &ents, &n_ents, &cap);
        if (rc == 0 && ch[i].present)
            rc = note_item(w, org, id, ch[i].v, true, &touched, &ents, &n_ents, &cap);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t x;
        const char *id = ctls[i].id;
        if (!state_applies(ctls[i].status) || !strmap_get(&touched, id, strlen(id), &x))
            continue;
        cw_key ck;
        org_item_key(&ck, org, id);
        ctl_evidence ev = {NULL, CW_RESULT_UNKNOWN, NULL, INT64_MAX, INT64_MAX};
        cw_time u;
        if ((rc = ev_then(txn, db, &ck, t, &gone, ents, n_ents, id, a, &ev)) == 0 &&
            (rc = state_decide(ctls[i].status, &ev, a, &st[i], &u)) == 0 && u < *until)
            *until = u;
    }
    cw_arena_free(w);
    return rc;
}
